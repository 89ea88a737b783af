/* custos onnx: run ONNX models with the inference engine. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "cli/cli.h"
#include "common/err.h"
#include "common/file.h"
#include "onnx/onnx.h"

#define ONNX_CLI_MAX_INPUTS 64
#define ONNX_CLI_MAX_REPEAT 100000u

static const char onnx_run_usage[] =
    "run MODEL.onnx --input NAME=TENSOR.pb... --output-dir DIR [--threads N] [--repeat N] "
    "[--json]\n"
    "\n"
    "  Load and validate MODEL.onnx, run it on the given inputs (TensorProto\n"
    "  files as in the ONNX test data, one --input per graph input) and write\n"
    "  every output as DIR/<output name>.pb.\n"
    "  --threads N  threads for the matrix products (default 1)\n"
    "  --repeat N   run N times (after one warm-up run when N > 1) and report the\n"
    "               median run time, model loading not counted (default 1)\n"
    "  --json       print {\"outputs\": [...], \"runs\": N, \"median_ms\": X}\n";

struct onnx_cli {
	const char *model, *outdir;
	const char *in_names[ONNX_CLI_MAX_INPUTS], *in_paths[ONNX_CLI_MAX_INPUTS];
	size_t n_in;
	unsigned threads, repeat;
	int json;
};

static int fail(const struct onnx_cli *c, int err, const char *msg)
{
	if (c->json)
		return cli_json_fail(err, msg);
	return cli_fail(0, "%s", msg);
}

static double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

/* Read the inputs in the model's order; every graph input must be given once. */
static int read_inputs(const struct onnx_cli *c, const struct onnx_model *m, struct onnx_tensor *in,
                       char *why, size_t whysz)
{
	size_t n = onnx_model_num_inputs(m);

	for (size_t i = 0; i < c->n_in; i++) {
		size_t j;
		struct onnx_io_info info;
		for (j = 0; j < n; j++)
			if (onnx_model_input(m, j, &info) == 0 &&
			    strcmp(info.name, c->in_names[i]) == 0)
				break;
		if (j == n)
			return cu_reason(why, whysz, CU_ENOTFOUND, "the model has no input '%s'",
			                 c->in_names[i]);
		if (in[j].data != NULL || in[j].rank != 0 || in[j].dtype != 0)
			return cu_reason(why, whysz, CU_EINVAL, "input '%s' given twice",
			                 c->in_names[i]);
		uint8_t *buf = NULL;
		size_t len = 0;
		char err[256] = "";
		int rc = cu_file_read(c->in_paths[i], (size_t)1 << 30, &buf, &len);
		if (rc != 0)
			return cu_reason(why, whysz, rc, "cannot read %s: %s", c->in_paths[i],
			                 cu_strerror(rc));
		rc = onnx_tensor_parse(buf, len, NULL, &in[j], NULL, err, sizeof(err));
		free(buf);
		if (rc != 0)
			return cu_reason(why, whysz, rc, "%s: %s", c->in_paths[i], err);
	}
	for (size_t j = 0; j < n; j++) {
		struct onnx_io_info info;
		onnx_model_input(m, j, &info);
		if (in[j].dtype == 0)
			return cu_reason(why, whysz, CU_EINVAL, "no --input for '%s'", info.name);
	}
	return 0;
}

/* DIR/<name>.pb with characters other than [A-Za-z0-9._-] replaced by '_'. */
static int output_path(const char *dir, const char *name, char *path, size_t sz)
{
	size_t n = (size_t)snprintf(path, sz, "%s/", dir), start = n;

	for (const char *p = name; *p != '\0' && n + 4 < sz; p++, n++) {
		char ch = *p;
		int ok = (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
		         (ch >= '0' && ch <= '9') || ch == '_' || ch == '-' ||
		         (ch == '.' && n > start);
		path[n] = ok ? ch : '_';
	}
	if (n + 4 >= sz)
		return CU_ELIMIT;
	memcpy(path + n, ".pb", 4);
	return 0;
}

static int write_outputs(const struct onnx_cli *c, const struct onnx_model *m,
                         const struct onnx_tensor *out, json_t *list, char *why, size_t whysz)
{
	for (size_t i = 0; i < onnx_model_num_outputs(m); i++) {
		struct onnx_io_info info;
		char path[4096];
		uint8_t *buf = NULL;
		size_t len = 0;
		onnx_model_output(m, i, &info);
		int rc = output_path(c->outdir, info.name, path, sizeof(path));
		if (rc == 0)
			rc = onnx_tensor_serialize(&out[i], info.name, &buf, &len);
		if (rc == 0)
			rc = cu_file_write_atomic(path, buf, len, 0644);
		free(buf);
		if (rc != 0)
			return cu_reason(why, whysz, rc, "cannot write %s: %s", path,
			                 cu_strerror(rc));
		json_t *shape = json_array();
		for (uint32_t d = 0; d < out[i].rank; d++)
			json_array_append_new(shape, json_integer(out[i].dims[d]));
		json_array_append_new(list, json_pack("{s:s, s:o, s:s}", "name", info.name, "shape",
		                                      shape, "file", path));
	}
	return 0;
}

static int run_model(const struct onnx_cli *c, const struct onnx_model *m, json_t *list,
                     double *median, char *why, size_t whysz)
{
	size_t ni = onnx_model_num_inputs(m), no = onnx_model_num_outputs(m);
	struct onnx_tensor *in = calloc(ni + 1, sizeof(*in)), *out = calloc(no + 1, sizeof(*out));
	double *times = calloc(c->repeat, sizeof(double));
	struct onnx_session *s = NULL;
	int rc = CU_ENOMEM;

	if (in == NULL || out == NULL || times == NULL)
		goto out;
	if ((rc = read_inputs(c, m, in, why, whysz)) != 0)
		goto out;
	if ((rc = onnx_session_new(m, c->threads, &s)) != 0)
		goto out;
	/* The first run plans and allocates: with --repeat N > 1 it is a warm-up,
	   not timed, then N runs are (the definition of tools/onnx/ort-run.mjs). */
	if (c->repeat > 1 && (rc = onnx_session_run(s, in, ni, out, no, why, whysz)) != 0)
		goto out;
	for (unsigned r = 0; r < c->repeat; r++) {
		double t0 = now_ms();
		if ((rc = onnx_session_run(s, in, ni, out, no, why, whysz)) != 0)
			goto out;
		times[r] = now_ms() - t0;
	}
	qsort(times, c->repeat, sizeof(double), cmp_double);
	*median = c->repeat % 2 ? times[c->repeat / 2]
	                        : (times[c->repeat / 2 - 1] + times[c->repeat / 2]) / 2;
	rc = write_outputs(c, m, out, list, why, whysz);
out:
	for (size_t i = 0; in != NULL && i < ni; i++)
		onnx_tensor_release(&in[i]);
	onnx_session_free(s);
	free(in);
	free(out);
	free(times);
	return rc;
}

static int onnx_run_main(const struct onnx_cli *c)
{
	uint8_t *buf = NULL;
	size_t len = 0;
	struct onnx_model *m = NULL;
	char why[512] = "";
	double median = 0;
	json_t *list = json_array();
	int rc;

	if (list == NULL)
		return fail(c, CU_ENOMEM, "out of memory");
	if ((rc = cu_file_read(c->model, (size_t)1 << 30, &buf, &len)) != 0) {
		snprintf(why, sizeof(why), "cannot read %s: %s", c->model, cu_strerror(rc));
		goto out;
	}
	if ((rc = onnx_model_load(buf, len, NULL, &m, why, sizeof(why))) != 0)
		goto out;
	if (mkdir(c->outdir, 0755) != 0 && errno != EEXIST) {
		rc = CU_EIO;
		snprintf(why, sizeof(why), "cannot create %s: %s", c->outdir, strerror(errno));
		goto out;
	}
	rc = run_model(c, m, list, &median, why, sizeof(why));
out:
	free(buf);
	onnx_model_free(m);
	if (rc != 0) {
		json_decref(list);
		return fail(c, rc, why[0] ? why : cu_strerror(rc));
	}
	if (c->json)
		return cli_json_out(json_pack("{s:o, s:i, s:i, s:f}", "outputs", list, "runs",
		                              (json_int_t)c->repeat, "threads",
		                              (json_int_t)c->threads, "median_ms", median));
	for (size_t i = 0; i < json_array_size(list); i++) {
		json_t *o = json_array_get(list, i);
		printf("%s -> %s\n", json_string_value(json_object_get(o, "name")),
		       json_string_value(json_object_get(o, "file")));
	}
	printf("median_ms %.3f (%u runs, %u threads)\n", median, c->repeat, c->threads);
	json_decref(list);
	return CLI_EXIT_OK;
}

static int onnx_run(int argc, char **argv)
{
	static const struct option opts[] = {
	    {"input", required_argument, NULL, 'i'},
	    {"output-dir", required_argument, NULL, 'o'},
	    {"threads", required_argument, NULL, 't'},
	    {"repeat", required_argument, NULL, 'r'},
	    {"json", no_argument, NULL, 'j'},
	    {"help", no_argument, NULL, 'h'},
	    {NULL, 0, NULL, 0},
	};
	struct onnx_cli c = {.threads = 1, .repeat = 1};
	uint64_t v;
	int ch, reset = 1;

	while ((ch = cli_getopt(argc, argv, "h", opts, &reset)) != -1) {
		switch (ch) {
		case 'i': {
			char *eq = strchr(optarg, '=');
			if (eq == NULL || eq == optarg || eq[1] == '\0')
				return cli_usage_error("--input: NAME=TENSOR.pb expected, not '%s'",
				                       optarg);
			if (c.n_in == ONNX_CLI_MAX_INPUTS)
				return cli_usage_error("at most %d inputs", ONNX_CLI_MAX_INPUTS);
			*eq = '\0';
			c.in_names[c.n_in] = optarg;
			c.in_paths[c.n_in++] = eq + 1;
			break;
		}
		case 'o':
			c.outdir = optarg;
			break;
		case 't':
			if (cli_parse_u64(optarg, 1, 64, &v) != 0)
				return cli_usage_error("--threads: 1 to 64");
			c.threads = (unsigned)v;
			break;
		case 'r':
			if (cli_parse_u64(optarg, 1, ONNX_CLI_MAX_REPEAT, &v) != 0)
				return cli_usage_error("--repeat: 1 to %u", ONNX_CLI_MAX_REPEAT);
			c.repeat = (unsigned)v;
			break;
		case 'j':
			c.json = 1;
			break;
		case 'h':
			return cli_help(onnx_run_usage);
		default:
			return cli_usage_error("onnx run: bad option '%s'", argv[optind - 1]);
		}
	}
	if (optind + 1 != argc)
		return cli_usage_error("onnx run: exactly one MODEL.onnx is required");
	if (c.outdir == NULL)
		return cli_usage_error("onnx run: --output-dir is required");
	c.model = argv[optind];
	return onnx_run_main(&c);
}

int cli_onnx(int argc, char **argv)
{
	static const struct cli_cmd cmds[] = {
	    {"run", onnx_run, onnx_run_usage},
	    {NULL, NULL, NULL},
	};
	return cli_dispatch("onnx", cmds, argc, argv);
}
