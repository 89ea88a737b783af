/*
 * onnx_node_runner - run ONNX backend node tests (libonnx-testdata) on the
 * engine and print passed/total per operator and overall.
 *
 * usage: onnx_node_runner DATA_DIR CASES_FILE [CASE...]
 *        onnx_node_runner --compare GOT.pb WANT.pb
 *
 * CASES_FILE lists "Operator test_dir..." lines (# comments); each test
 * directory holds model.onnx and test_data_set_N directories of
 * input_N.pb and output_N.pb files.
 * Outputs are compared as the ONNX backend suite does: |got - want| <=
 * atol + rtol * |want| with rtol 1e-3 and atol 1e-7, NaN matching NaN.
 * Exit status: 0 when every case passes, 1 otherwise, 77 (the ctest skip)
 * when DATA_DIR does not exist.
 */
#include <dirent.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "common/err.h"
#include "common/file.h"
#include "onnx/onnx.h"

#define SKIP_CODE 77
#define MAX_IO    16
#define FILE_MAX  ((size_t)256 << 20)
#define RTOL      1e-3
#define ATOL      1e-7

/* out = a + b, refusing truncation. */
static int path_join(char *out, size_t sz, const char *a, const char *b)
{
	int n = snprintf(out, sz, "%s%s", a, b);

	return n < 0 || (size_t)n >= sz ? CU_ELIMIT : 0;
}

static int read_tensor(const char *path, struct onnx_tensor *t, char *why, size_t whysz)
{
	uint8_t *buf = NULL;
	size_t len = 0;
	int rc = cu_file_read(path, FILE_MAX, &buf, &len);

	if (rc != 0)
		return cu_reason(why, whysz, rc, "cannot read %s", path);
	rc = onnx_tensor_parse(buf, len, NULL, t, NULL, why, whysz);
	free(buf);
	return rc;
}

static int compare(const struct onnx_tensor *got, const struct onnx_tensor *want, char *why,
                   size_t whysz)
{
	if (got->dtype != want->dtype || got->rank != want->rank)
		return cu_reason(why, whysz, CU_EFORMAT, "type or rank differs (%d/%u vs %d/%u)",
		                 got->dtype, got->rank, want->dtype, want->rank);
	for (uint32_t i = 0; i < got->rank; i++)
		if (got->dims[i] != want->dims[i])
			return cu_reason(why, whysz, CU_EFORMAT, "dimension %u is %lld, want %lld",
			                 i, (long long)got->dims[i], (long long)want->dims[i]);
	uint64_t n = onnx_tensor_count(want);
	for (uint64_t i = 0; i < n; i++) {
		double g, w;
		if (want->dtype == ONNX_FLOAT) {
			g = ((const float *)got->data)[i];
			w = ((const float *)want->data)[i];
		} else {
			g = (double)((const int64_t *)got->data)[i];
			w = (double)((const int64_t *)want->data)[i];
		}
		if (isnan(w) && isnan(g))
			continue;
		if (!(fabs(g - w) <= ATOL + RTOL * fabs(w)))
			return cu_reason(why, whysz, CU_EFORMAT, "element %llu is %g, want %g",
			                 (unsigned long long)i, g, w);
	}
	return 0;
}

static int run_set(struct onnx_session *s, const struct onnx_model *m, const char *set, char *why,
                   size_t whysz)
{
	struct onnx_tensor in[MAX_IO], out[MAX_IO], want;
	size_t ni = onnx_model_num_inputs(m), no = onnx_model_num_outputs(m);
	char path[4096];
	int rc = 0;

	memset(in, 0, sizeof(in));
	if (ni > MAX_IO || no > MAX_IO)
		return cu_reason(why, whysz, CU_ELIMIT, "too many inputs or outputs");
	for (size_t i = 0; i < ni && rc == 0; i++) {
		char leaf[64];
		snprintf(leaf, sizeof(leaf), "/input_%zu.pb", i);
		if ((rc = path_join(path, sizeof(path), set, leaf)) == 0)
			rc = read_tensor(path, &in[i], why, whysz);
	}
	if (rc == 0)
		rc = onnx_session_run(s, in, ni, out, MAX_IO, why, whysz);
	for (size_t i = 0; i < no && rc == 0; i++) {
		char leaf[64];
		snprintf(leaf, sizeof(leaf), "/output_%zu.pb", i);
		if ((rc = path_join(path, sizeof(path), set, leaf)) != 0 ||
		    (rc = read_tensor(path, &want, why, whysz)) != 0)
			break;
		rc = compare(&out[i], &want, why, whysz);
		onnx_tensor_release(&want);
	}
	for (size_t i = 0; i < ni; i++)
		onnx_tensor_release(&in[i]);
	return rc;
}

static int run_case(const char *dir, char *why, size_t whysz)
{
	char path[4096];
	uint8_t *buf = NULL;
	size_t len = 0;
	struct onnx_model *m = NULL;
	struct onnx_session *s = NULL;
	int rc, sets = 0;

	if ((rc = path_join(path, sizeof(path), dir, "/model.onnx")) != 0)
		return rc;
	if ((rc = cu_file_read(path, FILE_MAX, &buf, &len)) != 0)
		return cu_reason(why, whysz, rc, "cannot read %s", path);
	if ((rc = onnx_model_load(buf, len, NULL, &m, why, whysz)) != 0)
		goto out;
	if ((rc = onnx_session_new(m, 1, &s)) != 0)
		goto out;
	for (int i = 0; rc == 0; i++, sets++) {
		struct stat st;
		char leaf[64];
		snprintf(leaf, sizeof(leaf), "/test_data_set_%d", i);
		if (path_join(path, sizeof(path), dir, leaf) != 0 || stat(path, &st) != 0)
			break;
		rc = run_set(s, m, path, why, whysz);
	}
	if (rc == 0 && sets == 0)
		rc = cu_reason(why, whysz, CU_ENOTFOUND, "no test data sets");
out:
	onnx_session_free(s);
	onnx_model_free(m);
	free(buf);
	return rc;
}

/* Whether case is selected by the filter arguments (all when none). */
static int selected(const char *name, int argc, char **argv)
{
	if (argc <= 3)
		return 1;
	for (int i = 3; i < argc; i++)
		if (strcmp(argv[i], name) == 0)
			return 1;
	return 0;
}

/* --compare: one tensor file against another, with the suite's tolerance. */
static int compare_files(const char *got_path, const char *want_path)
{
	struct onnx_tensor got, want;
	char why[512] = "";
	int rc = read_tensor(got_path, &got, why, sizeof(why));

	if (rc == 0) {
		rc = read_tensor(want_path, &want, why, sizeof(why));
		if (rc == 0)
			rc = compare(&got, &want, why, sizeof(why));
		onnx_tensor_release(&want);
	}
	onnx_tensor_release(&got);
	if (rc != 0)
		printf("FAIL %s: %s\n", got_path, why);
	return rc == 0 ? 0 : 1;
}

int main(int argc, char **argv)
{
	char line[8192], why[512];
	int all = 0, passed = 0;
	struct stat st;
	FILE *f;

	if (argc == 4 && strcmp(argv[1], "--compare") == 0)
		return compare_files(argv[2], argv[3]);
	if (argc < 3) {
		fprintf(stderr, "usage: onnx_node_runner DATA_DIR CASES_FILE [CASE...]\n"
		                "       onnx_node_runner --compare GOT.pb WANT.pb\n");
		return 2;
	}
	if (stat(argv[1], &st) != 0) {
		printf("no ONNX node tests at %s (install libonnx-testdata): skipped\n", argv[1]);
		return SKIP_CODE;
	}
	if ((f = fopen(argv[2], "r")) == NULL) {
		fprintf(stderr, "cannot open %s\n", argv[2]);
		return 2;
	}
	while (fgets(line, sizeof(line), f) != NULL) {
		char *save = NULL, *op = strtok_r(line, " \t\r\n", &save);
		int n = 0, ok = 0;
		if (op == NULL || op[0] == '#')
			continue;
		for (char *c = strtok_r(NULL, " \t\r\n", &save); c != NULL;
		     c = strtok_r(NULL, " \t\r\n", &save)) {
			char dir[4096];
			if (!selected(c, argc, argv))
				continue;
			if (snprintf(dir, sizeof(dir), "%s/%s", argv[1], c) >= (int)sizeof(dir))
				continue;
			why[0] = '\0';
			n++;
			if (run_case(dir, why, sizeof(why)) == 0)
				ok++;
			else
				printf("FAIL %s: %s\n", c, why);
		}
		if (n > 0)
			printf("%-20s %d/%d\n", op, ok, n);
		all += n;
		passed += ok;
	}
	fclose(f);
	printf("overall              %d/%d\n", passed, all);
	return passed == all && all > 0 ? 0 : 1;
}
