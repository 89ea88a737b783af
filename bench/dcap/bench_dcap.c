/*
 * bench_dcap.c - DCAP quote verifications per second on one core.
 *
 * The collateral is parsed and verified once (dcap_collateral_verify), then
 * the same quote is verified again and again against the cached collateral,
 * each time from its raw bytes (parse, PCK chain, QE report, quote
 * signature, TCB evaluation), as a verifier of many quotes would: first
 * with dcap_verify() (the PCK chain decoded and verified every time), then
 * through a dcap_verifier whose cache holds the verified PCK chain (what a
 * verifier of many quotes from the same platforms sees).
 *
 * usage: bench_dcap QUOTE COLLATERAL NOW(RFC 3339) SECONDS
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/err.h"
#include "common/file.h"
#include "common/time.h"
#include "tee/dcap.h"

#define FILE_MAX (8u << 20)

static double seconds(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Verifications per second of one quote over secs seconds (col and v may be NULL). */
static double rate(struct dcap_verifier *v, const uint8_t *q, size_t n,
                   const struct dcap_collateral *col, int64_t now, double secs)
{
	struct dcap_result res;
	struct tee_claims c;
	double t0 = seconds(), t;
	long count = 0;

	do {
		for (int i = 0; i < 64; i++, count++)
			if (dcap_verifier_verify(v, q, n, col, now, &c, &res) != 0) {
				fprintf(stderr, "verification failed: %s\n", res.reason);
				exit(1);
			}
		t = seconds() - t0;
	} while (t < secs);
	return (double)count / t;
}

int main(int argc, char **argv)
{
	struct dcap_collateral *col = NULL;
	struct dcap_verifier *v = NULL;
	struct dcap_cache_stats st;
	struct dcap_result res;
	uint8_t *q, *c;
	size_t qn, cn;
	int64_t now;
	double secs;

	if (argc != 5) {
		fprintf(stderr, "usage: %s QUOTE COLLATERAL NOW SECONDS\n", argv[0]);
		return 2;
	}
	secs = strtod(argv[4], NULL);
	if (cu_file_read(argv[1], FILE_MAX, &q, &qn) || cu_file_read(argv[2], FILE_MAX, &c, &cn) ||
	    cu_time_parse(argv[3], &now) || secs <= 0) {
		fprintf(stderr, "bad arguments\n");
		return 2;
	}
	if (dcap_collateral_parse(c, cn, &col, &res) || dcap_collateral_verify(col, now, &res)) {
		fprintf(stderr, "collateral: %s\n", res.reason);
		return 1;
	}
	if (dcap_verifier_new(DCAP_PCK_CACHE_DEFAULT, &v) != 0)
		return 1;
	printf("with_collateral_per_s %.1f\n", rate(NULL, q, qn, col, now, secs));
	printf("without_collateral_per_s %.1f\n", rate(NULL, q, qn, NULL, now, secs));
	printf("cached_chain_with_collateral_per_s %.1f\n", rate(v, q, qn, col, now, secs));
	printf("cached_chain_without_collateral_per_s %.1f\n", rate(v, q, qn, NULL, now, secs));
	dcap_verifier_stats(v, &st);
	printf("cache_hits %llu misses %llu\n", (unsigned long long)st.hits,
	       (unsigned long long)st.misses);
	dcap_verifier_free(v);
	dcap_collateral_free(col);
	free(q);
	free(c);
	return 0;
}
