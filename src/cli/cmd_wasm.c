/* custos wasm: run WebAssembly modules in the sandboxed interpreter. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "common/err.h"
#include "common/file.h"
#include "wasm/wasm.h"

/* Declared by commands.h once the group is listed there. */

#define WASM_CLI_LOG_MAX (16u << 20)

static const char wasm_run_usage[] =
    "run MODULE.wasm [--invoke NAME] [--fuel N] [--max-memory BYTES] [--] [ARGS...]\n"
    "\n"
    "  Load, validate and instantiate MODULE.wasm with the platform's host API\n"
    "  (Teaclave's env.teaclave_* file functions, which have no files here, and\n"
    "  WASI preview1), then:\n"
    "    --invoke NAME  call the exported function NAME with ARGS parsed per its\n"
    "                   parameter types (integers or floats) and print its results,\n"
    "                   one per line\n"
    "    otherwise      run the WASI command `_start` with ARGS as its arguments\n"
    "                   (or Teaclave's `entrypoint(argc, argv)` if there is no\n"
    "                   `_start`), print what it wrote to stdout/stderr, and exit\n"
    "                   with its status\n"
    "  --fuel N            instruction budget (default 10^10)\n"
    "  --max-memory BYTES  linear memory limit (default 1 GiB)\n"
    "  Put -- before negative numbers so they are not taken as options.\n";

static int parse_arg(const char *s, uint8_t type, struct wasm_value *v)
{
	char *end = NULL;

	memset(v, 0, sizeof(*v));
	v->type = type;
	errno = 0;
	switch (type) {
	case WASM_I32: {
		long long x = strtoll(s, &end, 0);
		if (x < INT32_MIN || x > (long long)UINT32_MAX)
			return CU_EINVAL;
		v->of.i32 = (uint32_t)x;
		break;
	}
	case WASM_I64:
		if (s[0] == '-')
			v->of.i64 = (uint64_t)strtoll(s, &end, 0);
		else
			v->of.i64 = strtoull(s, &end, 0);
		break;
	case WASM_F32: {
		float f = strtof(s, &end);
		memcpy(&v->of.f32, &f, 4);
		break;
	}
	case WASM_F64: {
		double d = strtod(s, &end);
		memcpy(&v->of.f64, &d, 8);
		break;
	}
	default:
		return CU_EUNSUPPORTED;
	}
	if (errno != 0 || end == s || *end != '\0')
		return CU_EINVAL;
	return 0;
}

static void print_value(const struct wasm_value *v)
{
	float f;
	double d;

	switch (v->type) {
	case WASM_I32:
		printf("%" PRId32 "\n", (int32_t)v->of.i32);
		break;
	case WASM_I64:
		printf("%" PRId64 "\n", (int64_t)v->of.i64);
		break;
	case WASM_F32:
		memcpy(&f, &v->of.f32, 4);
		printf("%.9g\n", (double)f);
		break;
	case WASM_F64:
		memcpy(&d, &v->of.f64, 8);
		printf("%.17g\n", d);
		break;
	default:
		printf("%s\n", v->of.ext ? "ref" : "null");
	}
}

static int invoke(struct wasm_store *s, struct wasm_instance *inst, const char *name, int argc,
                  char **argv)
{
	struct wasm_value *args = NULL, *res = NULL;
	const struct wasm_functype *t;
	struct wasm_extern e;
	uint32_t i;
	int rc;

	if (wasm_instance_export(inst, name, &e) != 0 || e.kind != WASM_EXTERN_FUNC)
		return cli_fail(0, "no exported function '%s'", name);
	t = wasm_func_type(e.of.func);
	if ((uint32_t)argc != t->nparams)
		return cli_usage_error("'%s' takes %u arguments, %d given", name, t->nparams, argc);
	args = calloc((size_t)t->nparams + 1, sizeof(*args));
	res = calloc((size_t)t->nresults + 1, sizeof(*res));
	if (args == NULL || res == NULL) {
		rc = cli_fail(CU_ENOMEM, "wasm run");
		goto out;
	}
	for (i = 0; i < t->nparams; i++) {
		if (parse_arg(argv[i], t->params[i], &args[i]) != 0) {
			rc = cli_usage_error("argument %u '%s' does not fit the parameter type",
			                     i + 1, argv[i]);
			goto out;
		}
	}
	rc = wasm_invoke(s, e.of.func, args, t->nparams, res, t->nresults);
	if (rc == CU_ETRAP) {
		rc = cli_fail(0, "trap: %s", wasm_store_error(s));
		goto out;
	}
	if (rc != 0) {
		rc = cli_fail(rc, "cannot invoke '%s'", name);
		goto out;
	}
	for (i = 0; i < t->nresults; i++)
		print_value(&res[i]);
	rc = CLI_EXIT_OK;
out:
	free(args);
	free(res);
	return rc;
}

static int run_command(struct wasm_store *s, struct wasm_instance *inst, struct wasm_platform *p,
                       int argc, char **argv)
{
	struct wasm_extern e;
	int32_t ret = 0;
	int status = 0, rc;

	if (wasm_instance_export(inst, "_start", &e) == 0) {
		rc = wasm_platform_start(s, inst, &status);
	} else {
		rc = wasm_platform_entrypoint(s, inst, (const char *const *)argv, (size_t)argc,
		                              &ret);
		status = ret;
	}
	if (p->log_len > 0)
		fwrite(p->log, 1, p->log_len, stdout);
	if (p->log_truncated)
		fprintf(stderr, "custos: output truncated at %u bytes\n", WASM_CLI_LOG_MAX);
	if (rc == CU_ETRAP)
		return cli_fail(0, "trap: %s", wasm_store_error(s));
	if (rc == CU_ENOTFOUND)
		return cli_fail(0, "the module exports neither _start nor entrypoint");
	if (rc != 0)
		return cli_fail(rc, "run failed");
	if (wasm_instance_export(inst, "_start", &e) != 0)
		printf("%" PRId32 "\n", ret);
	return status & 0xff;
}

static int load_and_run(const char *path, const char *name, struct wasm_config *cfg, int argc,
                        char **argv)
{
	struct wasm_platform plat;
	struct wasm_module *m = NULL;
	struct wasm_store *s = NULL;
	struct wasm_instance *inst;
	char err[WASM_MAX_ERROR];
	uint8_t *buf = NULL;
	size_t len;
	int rc;

	memset(&plat, 0, sizeof(plat));
	if ((rc = cu_file_read(path, WASM_MAX_MODULE_SIZE, &buf, &len)) != 0)
		return cli_fail(rc, "cannot read %s", path);
	if ((rc = wasm_module_load(buf, len, &m, err, sizeof(err))) != 0) {
		rc = cli_fail(0, "%s: %s", path, err);
		goto out;
	}
	if ((rc = wasm_store_new(cfg, &s)) != 0) {
		rc = cli_fail(rc, "wasm run");
		goto out;
	}
	/* WASI argv: the module path, then ARGS. */
	plat.argv = (const char *const *)argv - 1;
	plat.argc = (size_t)argc + 1;
	plat.log_max = WASM_CLI_LOG_MAX;
	if ((rc = wasm_instantiate(s, m, wasm_platform_resolve, &plat, &inst)) != 0) {
		rc = cli_fail(0, "cannot instantiate %s: %s", path, wasm_store_error(s));
		goto out;
	}
	if (name != NULL)
		rc = invoke(s, inst, name, argc, argv);
	else
		rc = run_command(s, inst, &plat, argc, argv);
out:
	wasm_store_free(s);
	wasm_module_free(m);
	wasm_platform_release(&plat);
	free(buf);
	return rc;
}

static int wasm_run(int argc, char **argv)
{
	static const struct option opts[] = {
	    {"invoke", required_argument, NULL, 'i'},
	    {"fuel", required_argument, NULL, 'F'},
	    {"max-memory", required_argument, NULL, 'm'},
	    {"help", no_argument, NULL, 'h'},
	    {NULL, 0, NULL, 0},
	};
	struct wasm_config cfg;
	const char *name = NULL;
	uint64_t v;
	int c, reset = 1;

	memset(&cfg, 0, sizeof(cfg));
	while ((c = cli_getopt(argc, argv, "h", opts, &reset)) != -1) {
		switch (c) {
		case 'i':
			name = optarg;
			break;
		case 'F':
			if (cli_parse_u64(optarg, 1, UINT64_MAX, &v) != 0)
				return cli_usage_error("--fuel: bad number '%s'", optarg);
			cfg.fuel = v;
			break;
		case 'm':
			if (cli_parse_u64(optarg, WASM_PAGE_SIZE,
			                  (uint64_t)WASM_MAX_PAGES * WASM_PAGE_SIZE, &v) != 0)
				return cli_usage_error("--max-memory: between %u and 4 GiB bytes",
				                       WASM_PAGE_SIZE);
			cfg.max_memory_pages = (uint32_t)(v / WASM_PAGE_SIZE);
			break;
		case 'h':
			return cli_help(wasm_run_usage);
		default:
			return cli_usage_error("wasm run: bad option '%s'", argv[optind - 1]);
		}
	}
	if (optind >= argc)
		return cli_usage_error("wasm run: MODULE.wasm is required");
	return load_and_run(argv[optind], name, &cfg, argc - optind - 1, argv + optind + 1);
}

int cli_wasm(int argc, char **argv)
{
	static const struct cli_cmd cmds[] = {
	    {"run", wasm_run, wasm_run_usage},
	    {NULL, NULL, NULL},
	};
	return cli_dispatch("wasm", cmds, argc, argv);
}
