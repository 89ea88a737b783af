/*
 * tee_dcap_util.h - helpers shared by the DCAP unit tests (header only).
 */
#ifndef CUSTOS_TESTS_TEE_DCAP_UTIL_H
#define CUSTOS_TESTS_TEE_DCAP_UTIL_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/err.h"
#include "common/file.h"
#include "common/mem.h"
#include "common/time.h"
#include "tee/dcap.h"

#define ATT_DIR CUSTOS_SHARED_DIR "/testdata/attestation/"

struct vec {
	const char *quote;
	const char *collateral;
	const char *at; /* a time inside every window */
	int64_t now;
	uint8_t *q;
	size_t qlen;
	uint8_t *c;
	size_t clen;
};

static inline int64_t t_of(const char *s)
{
	int64_t t = 0;

	if (cu_time_parse(s, &t) != 0)
		abort();
	return t;
}

static inline void load(const char *rel, uint8_t **buf, size_t *len)
{
	char path[512];

	snprintf(path, sizeof(path), "%s%s", ATT_DIR, rel);
	if (cu_file_read(path, 8u << 20, buf, len) != 0) {
		fprintf(stderr, "cannot read %s\n", path);
		abort();
	}
}

static inline void vec_load(struct vec *v)
{
	load(v->quote, &v->q, &v->qlen);
	load(v->collateral, &v->c, &v->clen);
	v->now = t_of(v->at);
}

static inline void vec_free(struct vec *v)
{
	free(v->q);
	free(v->c);
	v->q = v->c = NULL;
}

static inline struct dcap_collateral *col_parse(const uint8_t *c, size_t n)
{
	struct dcap_collateral *col = NULL;
	struct dcap_result res;

	if (dcap_collateral_parse(c, n, &col, &res) != 0) {
		fprintf(stderr, "collateral: %s\n", res.reason);
		abort();
	}
	return col;
}

#define SGX_V3 VEC("sgx/sgx-quote-v3", "2025-07-01T00:00:00Z")
#define TDX_V4 VEC("tdx/tdx-quote-v4", "2025-07-01T00:00:00Z")
#define TDX_V5 VEC("tdx/tdx-quote-v5-notcb", "2026-03-01T00:00:00Z")
#define VEC(base, time)                                                                            \
	{                                                                                          \
		.quote = base ".bin", .collateral = base ".collateral.json", .at = time            \
	}

#endif
