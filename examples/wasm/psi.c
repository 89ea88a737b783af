/*
 * psi.c - private set intersection of two parties' lists, as a Custos wasm
 * function (examples/wasm/README.md).
 *
 * Inputs: input_data1 and input_data2, one item a line (a final newline
 * is optional; "\r\n" counts as a newline; empty lines are ignored).
 * Outputs: output_result1 and output_result2, each the items both lists
 * hold, once each, sorted bytewise, one a line. Each party receives the
 * intersection in its own output, encrypted for it alone; neither learns
 * anything else of the other's list but, from the task, its existence.
 * Returns the number of common items (the task's result, which every
 * participant sees). Fails the task on a missing or oversized input.
 */
#include <stdlib.h>
#include <string.h>

#include "custos_function.h"

#define PSI_INPUT_MAX (64u << 20) /* bytes of one list */
#define PSI_CHUNK     65536

struct item {
	const char *p;
	size_t n;
};

struct list {
	char *buf;
	struct item *items;
	size_t n;
};

/* The whole input called name, NUL-terminated, into *out (malloc'd); its length. */
static size_t read_input(const char *name, char **out)
{
	size_t len = 0, cap = PSI_CHUNK;
	char *buf = malloc(cap + 1), *q;
	int h = teaclave_open_input(name), got;

	if (h < 0)
		CUSTOS_FAIL("psi: the task has no input %s", name);
	if (!buf)
		CUSTOS_FAIL("psi: out of memory");
	while ((got = teaclave_read_file(h, buf + len, (int)(cap - len))) > 0) {
		len += (size_t)got;
		if (len > PSI_INPUT_MAX)
			CUSTOS_FAIL("psi: input %s is larger than %u bytes", name, PSI_INPUT_MAX);
		if (len == cap) {
			cap *= 2;
			if (!(q = realloc(buf, cap + 1)))
				CUSTOS_FAIL("psi: out of memory for input %s", name);
			buf = q;
		}
	}
	if (got < 0)
		CUSTOS_FAIL("psi: cannot read input %s", name);
	teaclave_close_file(h);
	buf[len] = '\0';
	*out = buf;
	return len;
}

static int item_cmp(const void *a, const void *b)
{
	const struct item *x = a, *y = b;
	int c = memcmp(x->p, y->p, x->n < y->n ? x->n : y->n);

	return c ? c : (x->n > y->n) - (x->n < y->n);
}

/* The lines of input name, sorted, each once. */
static void load_list(const char *name, struct list *l)
{
	size_t len = read_input(name, &l->buf), i, start = 0, k;

	l->n = 0;
	l->items = malloc((len / 2 + 1) * sizeof(*l->items)); /* a line takes 2 bytes at least */
	if (!l->items)
		CUSTOS_FAIL("psi: out of memory for the lines of %s", name);
	for (i = 0; i <= len; i++) {
		if (i < len && l->buf[i] != '\n')
			continue;
		k = i - start;
		if (k && l->buf[start + k - 1] == '\r')
			k--;
		if (k)
			l->items[l->n++] = (struct item){l->buf + start, k};
		start = i + 1;
	}
	qsort(l->items, l->n, sizeof(*l->items), item_cmp);
	for (i = k = 0; i < l->n; i++)
		if (!k || item_cmp(&l->items[k - 1], &l->items[i]))
			l->items[k++] = l->items[i];
	l->n = k;
}

static void put(int h, const void *p, size_t n)
{
	if (teaclave_write_file(h, p, (int)n) != (int)n)
		CUSTOS_FAIL("psi: cannot write the result");
}

CUSTOS_ENTRYPOINT int entrypoint(int argc, char **argv)
{
	static const char *const outputs[] = {"output_result1", "output_result2"};
	struct list a, b;
	size_t i = 0, j = 0, common = 0;
	int h[2], c;

	(void)argc;
	(void)argv;
	load_list("input_data1", &a);
	load_list("input_data2", &b);
	for (c = 0; c < 2; c++)
		if ((h[c] = teaclave_create_output(outputs[c])) < 0)
			CUSTOS_FAIL("psi: the task has no output %s", outputs[c]);
	while (i < a.n && j < b.n) {
		c = item_cmp(&a.items[i], &b.items[j]);
		if (c < 0) {
			i++;
		} else if (c > 0) {
			j++;
		} else {
			for (int k = 0; k < 2; k++) {
				put(h[k], a.items[i].p, a.items[i].n);
				put(h[k], "\n", 1);
			}
			common++;
			i++;
			j++;
		}
	}
	for (c = 0; c < 2; c++)
		teaclave_close_file(h[c]);
	free(a.items);
	free(b.items);
	free(a.buf);
	free(b.buf);
	return (int)common;
}
