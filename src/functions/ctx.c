/*
 * ctx.c - what a builtin sees of its task: arguments, inputs, outputs, the
 * result text and the reason of a failure (functions.h).
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/err.h"
#include "functions/functions.h"

const char *fn_arg(const struct fn_ctx *c, const char *name)
{
	for (size_t i = 0; i < c->nargs; i++)
		if (c->args[i].name && !strcmp(c->args[i].name, name))
			return c->args[i].value;
	return NULL;
}

const struct fn_input *fn_input(const struct fn_ctx *c, const char *name)
{
	for (size_t i = 0; i < c->ninputs; i++)
		if (c->inputs[i].name && !strcmp(c->inputs[i].name, name))
			return &c->inputs[i];
	return NULL;
}

struct fn_output *fn_output(struct fn_ctx *c, const char *name)
{
	for (size_t i = 0; i < c->noutputs; i++)
		if (c->outputs[i].name && !strcmp(c->outputs[i].name, name))
			return &c->outputs[i];
	return NULL;
}

/* Grow o->data to hold need bytes: doubling, never beyond o->max. */
static int output_reserve(struct fn_output *o, size_t need)
{
	size_t cap = o->cap ? o->cap : 4096;
	uint8_t *p;

	if (need <= o->cap)
		return 0;
	while (cap < need)
		cap = cap > SIZE_MAX / 2 ? need : cap * 2;
	if (cap > o->max)
		cap = o->max;
	if (!(p = realloc(o->data, cap)))
		return CU_ENOMEM;
	o->data = p;
	o->cap = cap;
	return 0;
}

int fn_output_write(struct fn_output *o, const void *p, size_t n)
{
	int rc;

	if (n > o->max || o->len > o->max - n)
		return CU_ELIMIT;
	if (n && (rc = output_reserve(o, o->len + n)))
		return rc;
	if (n)
		memcpy(o->data + o->len, p, n);
	o->len += n;
	o->written = 1;
	return 0;
}

void fn_result(struct fn_ctx *c, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(c->result, sizeof(c->result), fmt, ap);
	va_end(ap);
}

int fn_fail(struct fn_ctx *c, int rc, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(c->reason, sizeof(c->reason), fmt, ap);
	va_end(ap);
	return rc;
}
