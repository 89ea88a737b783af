/*
 * Unit tests: the sgx backend against a fake /dev/attestation tree.
 *
 * The fake has Gramine's files: attestation_type, user_report_data (a
 * regular file the backend writes into), my_target_info, keys/_sgx_mrenclave,
 * and quote. To model "the quote covers the report data just written",
 * quote is a FIFO served by a helper thread that, when the backend opens it,
 * reads user_report_data and answers a quote-shaped blob carrying it at the
 * offset of a real quote's REPORTDATA. Limits of the fake: the quote is not
 * a signed SGX quote (the DCAP verifier is tested elsewhere), and Gramine's
 * per-process isolation of these files is not modelled.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/err.h"
#include "common/file.h"
#include "crypto/hkdf.h"
#include "tee/tee.h"

#define QUOTE_LEN 1024
#define RD_OFF    368

struct fake {
	char root[256];
	pthread_t quoter;
	int quoter_running;
};

static void put(const struct fake *f, const char *name, const void *data, size_t len)
{
	char path[512];

	snprintf(path, sizeof(path), "%s/%s", f->root, name);
	assert_int_equal(cu_file_write_atomic(path, data, len, 0600), 0);
}

static void rm_tree(const char *root)
{
	static const char *const names[] = {"attestation_type", "user_report_data",
	                                    "my_target_info", "quote", "keys/_sgx_mrenclave"};
	char path[512];

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		snprintf(path, sizeof(path), "%s/%s", root, names[i]);
		unlink(path);
	}
	snprintf(path, sizeof(path), "%s/keys", root);
	rmdir(path);
	rmdir(root);
}

static int setup(void **state)
{
	struct fake *f = calloc(1, sizeof(*f));
	uint8_t ti[512], key[16], zero[64] = {0};
	char path[512];

	assert_non_null(f);
	snprintf(f->root, sizeof(f->root), "/tmp/custos-sgx-XXXXXX");
	assert_non_null(mkdtemp(f->root));
	snprintf(path, sizeof(path), "%s/keys", f->root);
	assert_int_equal(mkdir(path, 0700), 0);
	put(f, "attestation_type", "dcap\n", 5);
	put(f, "user_report_data", zero, sizeof(zero));
	for (size_t i = 0; i < sizeof(ti); i++)
		ti[i] = (uint8_t)(i + 1);
	put(f, "my_target_info", ti, sizeof(ti));
	for (size_t i = 0; i < sizeof(key); i++)
		key[i] = (uint8_t)(0x40 + i);
	put(f, "keys/_sgx_mrenclave", key, sizeof(key));
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fake *f = *state;

	if (f->quoter_running)
		pthread_join(f->quoter, NULL);
	rm_tree(f->root);
	free(f);
	return 0;
}

static struct tee *open_fake(const struct fake *f)
{
	struct tee_options o = {.sgx_root = f->root};
	struct tee *t = NULL;

	assert_int_equal(tee_open("sgx", &o, &t), 0);
	assert_int_equal(tee_get_type(t), TEE_SGX);
	return t;
}

/* One quote: wait for the backend to open the FIFO, then answer over user_report_data. */
static void *quoter(void *arg)
{
	struct fake *f = arg;
	uint8_t quote[QUOTE_LEN], *rd = NULL;
	char path[512];
	size_t len = 0;
	FILE *fp;

	memset(quote, 0xee, sizeof(quote));
	snprintf(path, sizeof(path), "%s/quote", f->root);
	fp = fopen(path, "wb"); /* blocks until the reader opens */
	snprintf(path, sizeof(path), "%s/user_report_data", f->root);
	if (cu_file_read(path, 4096, &rd, &len) == 0 && len == 64)
		memcpy(quote + RD_OFF, rd, 64);
	free(rd);
	if (fp) {
		fwrite(quote, 1, sizeof(quote), fp);
		fclose(fp);
	}
	return NULL;
}

static void start_quoter(struct fake *f)
{
	char path[512];

	snprintf(path, sizeof(path), "%s/quote", f->root);
	unlink(path);
	assert_int_equal(mkfifo(path, 0600), 0);
	assert_int_equal(pthread_create(&f->quoter, NULL, quoter, f), 0);
	f->quoter_running = 1;
}

static void test_evidence(void **state)
{
	struct fake *f = *state;
	uint8_t rd[64], *ev = NULL, *written = NULL;
	char path[512];
	size_t len = 0, wlen = 0;
	struct tee *t = open_fake(f);

	for (size_t i = 0; i < sizeof(rd); i++)
		rd[i] = (uint8_t)(0x80 ^ i);
	start_quoter(f);
	assert_int_equal(tee_get_evidence(t, rd, &ev, &len), 0);
	pthread_join(f->quoter, NULL);
	f->quoter_running = 0;
	assert_int_equal(len, QUOTE_LEN);
	assert_memory_equal(ev + RD_OFF, rd, 64);
	snprintf(path, sizeof(path), "%s/user_report_data", f->root);
	assert_int_equal(cu_file_read(path, 4096, &written, &wlen), 0);
	assert_int_equal(wlen, 64);
	assert_memory_equal(written, rd, 64);
	free(written);
	free(ev);
	tee_free(t);
}

static void test_stale_quote(void **state)
{
	struct fake *f = *state;
	uint8_t rd[64] = {1}, quote[QUOTE_LEN] = {0}, *ev = NULL;
	size_t len = 0;
	struct tee *t = open_fake(f);

	/* A quote over other report data (a plain file that ignores our write). */
	put(f, "quote", quote, sizeof(quote));
	assert_int_equal(tee_get_evidence(t, rd, &ev, &len), CU_EFORMAT);
	assert_null(ev);
	assert_int_equal(len, 0);
	/* Too short to be a quote. */
	put(f, "quote", quote, 100);
	memset(rd, 0, sizeof(rd));
	assert_int_equal(tee_get_evidence(t, rd, &ev, &len), CU_EFORMAT);
	tee_free(t);
}

static void test_sealing_key(void **state)
{
	struct fake *f = *state;
	uint8_t k1[32], k2[32], k3[32], want[32], hw[16];
	struct tee *t = open_fake(f);

	for (size_t i = 0; i < sizeof(hw); i++)
		hw[i] = (uint8_t)(0x40 + i);
	assert_int_equal(tee_get_sealing_key(t, "storage", k1), 0);
	assert_int_equal(tee_get_sealing_key(t, "storage", k2), 0);
	assert_int_equal(tee_get_sealing_key(t, "jwt", k3), 0);
	assert_memory_equal(k1, k2, 32);
	assert_memory_not_equal(k1, k3, 32);
	/* The documented construction: HKDF-SHA-384(seal key, salt, label). */
	assert_int_equal(cr_hkdf(CR_SHA384, hw, 16, (const uint8_t *)"custos-sgx-seal-v1", 18,
	                         "storage", 7, want, 32),
	                 0);
	assert_memory_equal(k1, want, 32);

	/* Labels: empty, too long, not printable. */
	assert_int_equal(tee_get_sealing_key(t, "", k1), CU_EINVAL);
	assert_int_equal(tee_get_sealing_key(t, NULL, k1), CU_EINVAL);
	assert_int_equal(tee_get_sealing_key(t, "a b", k1), CU_EINVAL);
	assert_int_equal(
	    tee_get_sealing_key(
	        t, "0123456789012345678901234567890123456789012345678901234567890123x", k1),
	    CU_EINVAL);

	/* A seal key of the wrong size, or none. */
	put(f, "keys/_sgx_mrenclave", hw, 15);
	assert_int_equal(tee_get_sealing_key(t, "storage", k1), CU_EFORMAT);
	assert_true(k1[0] == 0 && !memcmp(k1, k1 + 1, 31));
	put(f, "keys/_sgx_mrenclave", "0123456789abcdefg", 17);
	assert_int_equal(tee_get_sealing_key(t, "storage", k1), CU_EFORMAT);
	{
		char path[512];
		snprintf(path, sizeof(path), "%s/keys/_sgx_mrenclave", f->root);
		unlink(path);
	}
	assert_int_equal(tee_get_sealing_key(t, "storage", k1), CU_ENOTFOUND);
	tee_free(t);
}

static void test_measurement(void **state)
{
	struct fake *f = *state;
	uint8_t m[TEE_MEASUREMENT_MAX], ti[512] = {0};
	size_t len = sizeof(m);
	struct tee *t = open_fake(f);

	assert_int_equal(tee_self_measurement(t, m, &len), 0);
	assert_int_equal(len, 32);
	for (size_t i = 0; i < 32; i++)
		assert_int_equal(m[i], i + 1);
	len = 16;
	assert_int_equal(tee_self_measurement(t, m, &len), CU_ELIMIT);
	put(f, "my_target_info", ti, 511);
	len = sizeof(m);
	assert_int_equal(tee_self_measurement(t, m, &len), CU_EFORMAT);
	tee_free(t);
}

static void test_open(void **state)
{
	struct fake *f = *state;
	struct tee_options o = {.sgx_root = "/nonexistent/custos"};
	uint8_t rd[64] = {0}, key[32], *ev = NULL;
	size_t len;
	struct tee *t = NULL;

	assert_int_equal(tee_open("sgx", &o, &t), CU_ENOTFOUND);
	assert_null(t);
	assert_int_equal(tee_open("sev", &o, &t), CU_EINVAL);
	assert_int_equal(tee_open(NULL, &o, &t), CU_EINVAL);
	o.sgx_root = f->root;
	put(f, "attestation_type", "epid2\n", 6);
	assert_int_equal(tee_open("sgx", &o, &t), CU_EUNSUPPORTED);
	put(f, "attestation_type", "dc\0ap", 5);
	assert_int_equal(tee_open("sgx", &o, &t), CU_EFORMAT);
	/* "none": no quotes, but sealing keys still. */
	put(f, "attestation_type", "none", 4);
	assert_int_equal(tee_open("sgx", &o, &t), 0);
	assert_int_equal(tee_get_evidence(t, rd, &ev, &len), CU_EUNSUPPORTED);
	assert_int_equal(tee_get_sealing_key(t, "x", key), 0);
	tee_free(t);
	tee_free(NULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_evidence, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_stale_quote, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_sealing_key, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_measurement, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_open, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
