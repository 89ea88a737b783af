/*
 * functions_test_util.h - a task context for calling builtins in tests:
 * arguments, inputs and outputs added by name, outputs freed at the end.
 */
#ifndef CUSTOS_TESTS_FUNCTIONS_TEST_UTIL_H
#define CUSTOS_TESTS_FUNCTIONS_TEST_UTIL_H

#include <stdlib.h>
#include <string.h>

#include "functions/functions.h"

#define T_MAX 16

struct tctx {
	struct fn_ctx c;
	struct fn_arg args[T_MAX];
	struct fn_input in[T_MAX];
	struct fn_output out[T_MAX];
};

static inline void t_init(struct tctx *t)
{
	memset(t, 0, sizeof(*t));
	t->c.args = t->args;
	t->c.inputs = t->in;
	t->c.outputs = t->out;
}

static inline void t_arg(struct tctx *t, const char *name, const char *value)
{
	t->args[t->c.nargs++] = (struct fn_arg){name, value};
}

static inline void t_in_n(struct tctx *t, const char *name, const void *data, size_t len)
{
	t->in[t->c.ninputs++] = (struct fn_input){name, data, len};
}

static inline void t_in(struct tctx *t, const char *name, const char *data)
{
	t_in_n(t, name, data, strlen(data));
}

static inline void t_out(struct tctx *t, const char *name, size_t max)
{
	t->out[t->c.noutputs++] = (struct fn_output){.name = name, .max = max};
}

static inline void t_free(struct tctx *t)
{
	for (size_t i = 0; i < t->c.noutputs; i++)
		free(t->out[i].data);
}

/* Run the builtin called name on t. */
static inline int t_run(struct tctx *t, const char *name)
{
	const struct fn_builtin *b = fn_find(name);

	return b ? b->run(&t->c) : -1000;
}

/* Whether output name holds exactly want. */
static inline int t_out_is(struct tctx *t, const char *name, const char *want)
{
	struct fn_output *o = fn_output(&t->c, name);

	return o && o->written && o->len == strlen(want) &&
	       !memcmp(o->data ? (const void *)o->data : "", want, o->len);
}

#endif
