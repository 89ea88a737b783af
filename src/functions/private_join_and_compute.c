/*
 * private_join_and_compute.c - several parties' (identifier, amount) lists;
 * each learns, for the identifiers that every party holds, the sum of the
 * amounts (Teaclave's builtin-private-join-and-compute).
 *
 * Inputs "input_data0" .. "input_data<n-1>": one "id:amount" (Teaclave's
 * form) or "id,amount" a line, split at the last ':' or ',', blanks around
 * both trimmed, the amount an unsigned decimal; blank lines skipped; an
 * identifier at most once per input. Argument "num_user": n, at least 2
 * (default: the number of inputs input_data0, input_data1, ... present).
 * Outputs "output_data<k>" (each one declared gets the same text): a line
 * "id, amount" per common identifier, sorted by identifier (bytes).
 * Result: "<m> common identifiers".
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/err.h"
#include "functions/builtins_int.h"

#define PJC_PARTIES_MAX 64
#define PJC_ID_MAX      1024

struct entry {
	const uint8_t *id;
	size_t len;
	uint64_t amount;
};

struct party {
	const struct fn_input *in;
	struct entry *e;
	size_t n;
};

static int entry_cmp(const void *pa, const void *pb)
{
	const struct entry *a = pa, *b = pb;
	int r = memcmp(a->id, b->id, a->len < b->len ? a->len : b->len);

	if (r)
		return r;
	return a->len < b->len ? -1 : a->len > b->len;
}

static int blank(uint8_t ch)
{
	return ch == ' ' || ch == '\t' || ch == '\r';
}

static void trim(const uint8_t **p, size_t *n)
{
	while (*n && blank((*p)[0])) {
		++*p;
		--*n;
	}
	while (*n && blank((*p)[*n - 1]))
		--*n;
}

static int parse_amount(const uint8_t *p, size_t n, uint64_t *v)
{
	*v = 0;
	if (!n)
		return -1;
	for (size_t i = 0; i < n; i++) {
		if (p[i] < '0' || p[i] > '9' || *v > (UINT64_MAX - (p[i] - '0')) / 10)
			return -1;
		*v = *v * 10 + (p[i] - '0');
	}
	return 0;
}

/* One line: *e filled, or a failure set on c. */
static int parse_line(struct fn_ctx *c, const struct party *pt, size_t line, const uint8_t *p,
                      size_t n, struct entry *e)
{
	size_t sep = n;

	while (sep && p[sep - 1] != ':' && p[sep - 1] != ',')
		sep--;
	if (!sep)
		return fn_fail(c, CU_EFORMAT, "line %zu of \"%s\" is not \"id:amount\"", line,
		               pt->in->name);
	e->id = p;
	e->len = sep - 1;
	trim(&e->id, &e->len);
	const uint8_t *a = p + sep;
	size_t an = n - sep;
	trim(&a, &an);
	if (!e->len || e->len > PJC_ID_MAX)
		return fn_fail(c, CU_EFORMAT,
		               "line %zu of \"%s\" has an empty or too long "
		               "identifier",
		               line, pt->in->name);
	if (parse_amount(a, an, &e->amount))
		return fn_fail(c, CU_EFORMAT,
		               "line %zu of \"%s\" has no valid amount (an unsigned "
		               "decimal number)",
		               line, pt->in->name);
	return 0;
}

static int read_party(struct fn_ctx *c, struct party *pt)
{
	const uint8_t *d = pt->in->data;
	size_t len = pt->in->len, pos = 0, line = 0, lines = 1;
	int rc;

	for (size_t i = 0; i < len; i++)
		lines += d[i] == '\n';
	if (!(pt->e = calloc(lines, sizeof(*pt->e))))
		return fn_fail(c, CU_ENOMEM, "out of memory for \"%s\"", pt->in->name);
	while (pos < len) {
		const uint8_t *p = d + pos, *nl = memchr(p, '\n', len - pos);
		size_t n = nl ? (size_t)(nl - p) : len - pos;

		pos += n + 1;
		line++;
		trim(&p, &n);
		if (!n)
			continue;
		if ((rc = parse_line(c, pt, line, p, n, &pt->e[pt->n])))
			return rc;
		pt->n++;
	}
	qsort(pt->e, pt->n, sizeof(*pt->e), entry_cmp);
	for (size_t i = 1; i < pt->n; i++)
		if (!entry_cmp(&pt->e[i - 1], &pt->e[i]))
			return fn_fail(c, CU_EFORMAT, "an identifier appears twice in \"%s\"",
			               pt->in->name);
	return 0;
}

/* Keep in acc the entries also in pt, adding their amounts; acc and pt sorted. */
static int merge(struct fn_ctx *c, struct party *acc, const struct party *pt)
{
	size_t i = 0, j = 0, k = 0;

	while (i < acc->n && j < pt->n) {
		int r = entry_cmp(&acc->e[i], &pt->e[j]);
		if (r < 0) {
			i++;
		} else if (r > 0) {
			j++;
		} else {
			if (acc->e[i].amount > UINT64_MAX - pt->e[j].amount)
				return fn_fail(c, CU_ELIMIT, "a sum exceeds 2^64 - 1");
			acc->e[k] = acc->e[i++];
			acc->e[k++].amount += pt->e[j++].amount;
		}
	}
	acc->n = k;
	return 0;
}

static int write_all(struct fn_ctx *c, size_t parties, const struct party *acc)
{
	size_t written = 0;

	for (size_t p = 0; p < parties; p++) {
		char name[32], num[32];
		struct fn_output *o;
		int rc = 0;

		snprintf(name, sizeof(name), "output_data%zu", p);
		if (!(o = fn_output(c, name)))
			continue;
		rc = fn_output_write(o, "", 0);
		for (size_t i = 0; !rc && i < acc->n; i++) {
			int w = snprintf(num, sizeof(num), ", %llu\n",
			                 (unsigned long long)acc->e[i].amount);
			if (!(rc = fn_output_write(o, acc->e[i].id, acc->e[i].len)))
				rc = fn_output_write(o, num, (size_t)w);
		}
		if (rc)
			return fn_fail(c, rc, "writing \"%s\" failed: %s", name, cu_strerror(rc));
		written++;
	}
	if (!written)
		return fn_fail(c, CU_EINVAL,
		               "private-join-and-compute needs at least one output "
		               "\"output_data<k>\"");
	return 0;
}

static int count_parties(struct fn_ctx *c, size_t *n)
{
	size_t present = 0;
	char name[32];
	int rc;

	for (;; present++) {
		snprintf(name, sizeof(name), "input_data%zu", present);
		if (present == PJC_PARTIES_MAX || !fn_input(c, name))
			break;
	}
	if ((rc = fn_arg_size(c, "num_user", present, PJC_PARTIES_MAX, n)))
		return rc;
	if (*n < 2)
		return fn_fail(c, CU_EINVAL,
		               "private-join-and-compute needs at least two parties "
		               "(inputs input_data0 and input_data1)");
	if (*n > present)
		return fn_fail(c, CU_EINVAL, "the input \"input_data%zu\" is missing", present);
	return 0;
}

int fn_private_join_and_compute(struct fn_ctx *c)
{
	struct party pt[PJC_PARTIES_MAX];
	size_t n = 0;
	int rc;

	memset(pt, 0, sizeof(pt));
	if ((rc = count_parties(c, &n)))
		return rc;
	for (size_t i = 0; i < n; i++) {
		char name[32];
		snprintf(name, sizeof(name), "input_data%zu", i);
		pt[i].in = fn_input(c, name);
		if ((rc = read_party(c, &pt[i])))
			goto out;
	}
	for (size_t i = 1; i < n; i++)
		if ((rc = merge(c, &pt[0], &pt[i])))
			goto out;
	if ((rc = write_all(c, n, &pt[0])))
		goto out;
	fn_result(c, "%zu common identifiers", pt[0].n);
out:
	for (size_t i = 0; i < n; i++)
		free(pt[i].e);
	return rc;
}
