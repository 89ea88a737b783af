/* custos function: register, inspect, change, disable and remove functions. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "cli/platform_cmd.h"
#include "client/args.h"
#include "common/err.h"
#include "common/file.h"

#define FN_LIST_MAX    64
#define FN_PAYLOAD_MAX (8u << 20)
#define FN_FUEL_MAX    1000000000000ull /* the platform's maxima of a wasm function's limits */
#define FN_MEMORY_MIN  65536ull
#define FN_MEMORY_MAX  (4096ull << 20)

static const char register_usage[] =
    "register --name N --executor builtin|wasm [--builtin NAME]\n"
    "         [--payload FILE [--fuel N] [--max-memory BYTES]] [--description D]\n"
    "         [--arg NAME[=DEFAULT]]... [--fixed-arg NAME=VALUE]...\n"
    "         [--input NAME]... [--optional-input NAME]... [--output NAME]...\n"
    "         [--optional-output NAME]... [--public | --allow USER...] [--quota N]\n"
    "         [--idempotent yes|no] [--json]\n"
    "\n"
    "  Register a function and print its id. --arg declares an argument tasks may\n"
    "  give (an argument without default must be given); --fixed-arg one they may\n"
    "  not override. --payload is the wasm module; --fuel (instructions, 1 to\n"
    "  10^12) and --max-memory (bytes of linear memory, 64 KiB to 4 GiB) limit each\n"
    "  run of it (default 10^10 and 256 MiB). --quota N limits the uses\n"
    "  (0: unlimited). --public lets every user run it; --allow lets these users.\n"
    "  --idempotent: whether a task may run again after its worker was lost\n"
    "  (default: the builtin's own answer; no for wasm).\n";
static const char update_usage[] =
    "update ID [the options of register] [--private] [--json]\n"
    "\n"
    "  Change a function (owner or admin): only what is given changes; lists given\n"
    "  replace the old ones. Bumps its revision, which voids approvals of tasks.\n";
static const char get_usage[] = "get ID [--json]\n\n  Show a function.\n";
static const char list_usage[] = "list [--json]\n\n  List one's functions (an admin: all).\n";
static const char delete_usage[] = "delete ID [--json]\n\n  Remove a function.\n";
static const char disable_usage[] =
    "disable ID [--json]\n\n  Disable a function: no new task may use it, nor be invoked.\n";

struct fn_args {
	struct custos_function_spec f;
	struct custos_function_arg args[FN_LIST_MAX];
	char *arg_name[FN_LIST_MAX], *arg_value[FN_LIST_MAX];
	struct custos_function_io inputs[FN_LIST_MAX], outputs[FN_LIST_MAX];
	const char *allow[FN_LIST_MAX];
	const char *payload_path;
	uint8_t *payload;
	size_t payload_len;
	int private;
};

static void fn_args_free(struct fn_args *a)
{
	for (size_t i = 0; i < a->f.nargs; i++) {
		free(a->arg_name[i]);
		free(a->arg_value[i]);
	}
	free(a->payload);
}

static int add_arg(struct pc *p, struct fn_args *a, const char *s, int fixed)
{
	char *name, *value;
	int rc = cl_parse_kv(s, fixed, &name, &value);

	if (rc)
		return cli_usage_error("%s: '%s' is not %s", p->name, s,
		                       fixed ? "NAME=VALUE" : "NAME or NAME=DEFAULT");
	if (a->f.nargs >= FN_LIST_MAX) {
		free(name);
		free(value);
		return cli_usage_error("%s: at most %d arguments", p->name, FN_LIST_MAX);
	}
	for (size_t i = 0; i < a->f.nargs; i++)
		if (!strcmp(a->arg_name[i], name)) {
			free(name);
			free(value);
			return cli_usage_error("%s: argument '%s' declared twice", p->name, s);
		}
	a->arg_name[a->f.nargs] = name;
	a->arg_value[a->f.nargs] = value;
	a->args[a->f.nargs] = (struct custos_function_arg){name, value, fixed};
	a->f.nargs++;
	a->f.set |= CUSTOS_FN_ARGS;
	return 0;
}

static int add_io(struct pc *p, struct custos_function_io *v, size_t *n, const char *name,
                  int optional)
{
	if (!cl_arg_name_ok(name))
		return cli_usage_error("%s: '%s' is not a valid name", p->name, name);
	if (*n >= FN_LIST_MAX)
		return cli_usage_error("%s: at most %d inputs and outputs", p->name, FN_LIST_MAX);
	for (size_t i = 0; i < *n; i++)
		if (!strcmp(v[i].name, name))
			return cli_usage_error("%s: '%s' declared twice", p->name, name);
	v[(*n)++] = (struct custos_function_io){name, NULL, optional};
	return 0;
}

static int fn_opt(struct pc *p, void *arg, int c, const char *optarg)
{
	struct fn_args *a = arg;
	struct custos_function_spec *f = &a->f;

	switch (c) {
	case 'n':
		f->name = optarg;
		return 0;
	case 'e':
		f->executor = optarg;
		return 0;
	case 'b':
		f->builtin = optarg;
		return 0;
	case 'd':
		f->description = optarg;
		return 0;
	case 'a':
	case 'F':
		return add_arg(p, a, optarg, c == 'F');
	case 'i':
	case 'I':
		f->set |= CUSTOS_FN_INPUTS;
		return add_io(p, a->inputs, &f->ninputs, optarg, c == 'I');
	case 'o':
	case 'O':
		f->set |= CUSTOS_FN_OUTPUTS;
		return add_io(p, a->outputs, &f->noutputs, optarg, c == 'O');
	case 'p':
		f->set |= CUSTOS_FN_PUBLIC;
		f->is_public = 1;
		return 0;
	case 'X':
		a->private = 1;
		f->set |= CUSTOS_FN_PUBLIC;
		f->is_public = 0;
		return 0;
	case 'A':
		if (!cl_user_ok(optarg))
			return cli_usage_error("%s: '%s' is not a user id", p->name, optarg);
		if (f->nallow >= FN_LIST_MAX)
			return cli_usage_error("%s: at most %d --allow", p->name, FN_LIST_MAX);
		a->allow[f->nallow++] = optarg;
		f->set |= CUSTOS_FN_ALLOW;
		return 0;
	case 'q':
		if (cli_parse_u64(optarg, 0, INT64_MAX, &f->quota))
			return cli_usage_error("%s: --quota wants a count (0: unlimited)", p->name);
		f->set |= CUSTOS_FN_QUOTA;
		return 0;
	case 'P':
		a->payload_path = optarg;
		return 0;
	case 'D':
		if (strcmp(optarg, "yes") && strcmp(optarg, "no"))
			return cli_usage_error("%s: --idempotent wants yes or no", p->name);
		f->idempotent = !strcmp(optarg, "yes");
		f->set |= CUSTOS_FN_IDEMPOTENT;
		return 0;
	case 'U':
		if (cli_parse_u64(optarg, 1, FN_FUEL_MAX, &f->fuel))
			return cli_usage_error("%s: --fuel wants 1 to 10^12 instructions", p->name);
		return 0;
	case 'M':
		if (cli_parse_u64(optarg, FN_MEMORY_MIN, FN_MEMORY_MAX, &f->max_memory))
			return cli_usage_error("%s: --max-memory wants 65536 to 4294967296 bytes",
			                       p->name);
		return 0;
	default:
		return cli_usage_error("%s: bad option", p->name);
	}
}

static const struct option fn_opts[] = {
    {"name", required_argument, NULL, 'n'},
    {"executor", required_argument, NULL, 'e'},
    {"builtin", required_argument, NULL, 'b'},
    {"description", required_argument, NULL, 'd'},
    {"arg", required_argument, NULL, 'a'},
    {"fixed-arg", required_argument, NULL, 'F'},
    {"input", required_argument, NULL, 'i'},
    {"optional-input", required_argument, NULL, 'I'},
    {"output", required_argument, NULL, 'o'},
    {"optional-output", required_argument, NULL, 'O'},
    {"public", no_argument, NULL, 'p'},
    {"private", no_argument, NULL, 'X'},
    {"allow", required_argument, NULL, 'A'},
    {"quota", required_argument, NULL, 'q'},
    {"payload", required_argument, NULL, 'P'},
    {"fuel", required_argument, NULL, 'U'},
    {"max-memory", required_argument, NULL, 'M'},
    {"idempotent", required_argument, NULL, 'D'},
    {NULL, 0, NULL, 0},
};

/* Parse, check what goes together, and read the payload. */
static int fn_prepare(struct pc *p, int argc, char **argv, struct fn_args *a, int npos)
{
	int rc;

	a->f.args = a->args;
	a->f.inputs = a->inputs;
	a->f.outputs = a->outputs;
	a->f.allow = a->allow;
	if ((rc = pc_parse(p, argc, argv, fn_opts, fn_opt, a, npos, npos)))
		return pc_parse_exit(rc) == 0 ? -1 : rc;
	if (a->f.is_public && a->f.nallow)
		return cli_usage_error("%s: --public and --allow exclude each other", p->name);
	if (a->f.is_public && a->private)
		return cli_usage_error("%s: --public or --private, not both", p->name);
	if (a->f.executor && strcmp(a->f.executor, "builtin") && strcmp(a->f.executor, "wasm"))
		return cli_usage_error("%s: --executor is builtin or wasm", p->name);
	if (a->f.executor && !strcmp(a->f.executor, "builtin") && a->payload_path)
		return cli_usage_error("%s: --payload is for wasm functions", p->name);
	if (a->f.executor && !strcmp(a->f.executor, "builtin") && (a->f.fuel || a->f.max_memory))
		return cli_usage_error("%s: --fuel and --max-memory are for wasm functions",
		                       p->name);
	if (a->f.executor && !strcmp(a->f.executor, "wasm") && a->f.builtin)
		return cli_usage_error("%s: --builtin is for builtin functions", p->name);
	if (a->payload_path) {
		if ((rc = cu_file_read(a->payload_path, FN_PAYLOAD_MAX, &a->payload,
		                       &a->payload_len)))
			return pc_fail(p, CUSTOS_EIO, "cannot read %s: %s", a->payload_path,
			               rc == CU_ELIMIT ? "over 8 MiB" : cu_strerror(rc));
		a->f.payload = a->payload;
		a->f.payload_len = a->payload_len;
	}
	return 0;
}

static int fn_register(int argc, char **argv)
{
	struct pc p = {.name = "function register", .usage = register_usage};
	struct fn_args *a = calloc(1, sizeof(*a));
	char id[CUSTOS_ID_MAX];
	int rc;

	if (!a)
		return cli_fail(CU_ENOMEM, "function register");
	if ((rc = fn_prepare(&p, argc, argv, a, 0)))
		goto out;
	if (!a->f.name || !a->f.executor)
		rc = cli_usage_error("function register needs --name and --executor");
	else if (!strcmp(a->f.executor, "builtin") && !a->f.builtin)
		rc = cli_usage_error("a builtin function needs --builtin NAME");
	else if (!strcmp(a->f.executor, "wasm") && !a->payload_path)
		rc = cli_usage_error("a wasm function needs --payload FILE");
	else if (a->private)
		rc = cli_usage_error("--private is for update (functions start private)");
	else if (!(rc = pc_connect(&p, 1)))
		rc = (rc = custos_function_register(p.client, &a->f, id)) ? pc_fail_client(&p, rc)
		                                                          : pc_out_id(&p, id);
out:
	fn_args_free(a);
	free(a);
	pc_done(&p);
	return rc < 0 ? CLI_EXIT_OK : rc;
}

static int fn_update(int argc, char **argv)
{
	struct pc p = {.name = "function update", .usage = update_usage};
	struct fn_args *a = calloc(1, sizeof(*a));
	int rc;

	if (!a)
		return cli_fail(CU_ENOMEM, "function update");
	if (!(rc = fn_prepare(&p, argc, argv, a, 1)) && !(rc = pc_connect(&p, 1)))
		rc = (rc = custos_function_update(p.client, p.pos[0], &a->f))
		         ? pc_fail_client(&p, rc)
		         : pc_out_id(&p, p.pos[0]);
	fn_args_free(a);
	free(a);
	pc_done(&p);
	return rc < 0 ? CLI_EXIT_OK : rc;
}

static void names_text(const char *label, const json_t *arr)
{
	const json_t *x;
	size_t i;

	printf("%-12s", label);
	json_array_foreach(arr, i, x)
	{
		const json_t *opt = json_object_get(x, "optional");
		const json_t *ovr = json_object_get(x, "overridable");
		const json_t *def = json_object_get(x, "default");
		printf(" %s", pc_str(x, "name"));
		if (json_is_string(def))
			printf("=%s", json_string_value(def));
		if (json_is_true(opt))
			printf(" (optional)");
		if (json_is_false(ovr))
			printf(" (fixed)");
	}
	printf("\n");
}

static void fn_text(const json_t *v)
{
	const json_t *lim = json_object_get(v, "limits");

	printf("id:          %s\nname:        %s\nowner:       %s\nexecutor:    %s %s%s\n",
	       pc_str(v, "id"), pc_str(v, "name"), pc_str(v, "owner"), pc_str(v, "executor"),
	       pc_str(v, "builtin"), pc_str(v, "payload_sha256"));
	printf("description: %s\n", pc_str(v, "description"));
	names_text("arguments:", json_object_get(v, "arguments"));
	names_text("inputs:", json_object_get(v, "inputs"));
	names_text("outputs:", json_object_get(v, "outputs"));
	if (json_is_object(lim))
		printf("limits:      fuel %lld, memory %lld (0: default)\n",
		       (long long)json_integer_value(json_object_get(lim, "fuel")),
		       (long long)json_integer_value(json_object_get(lim, "memory")));
	printf("public:      %s\ndisabled:    %s\n",
	       json_is_true(json_object_get(v, "public")) ? "yes" : "no",
	       json_is_true(json_object_get(v, "disabled")) ? "yes" : "no");
	if (json_is_boolean(json_object_get(v, "idempotent")))
		printf("idempotent:  %s\n",
		       json_is_true(json_object_get(v, "idempotent")) ? "yes" : "no");
	printf("quota:       %lld (used %lld)\nrevision:    %lld\n",
	       (long long)json_integer_value(json_object_get(v, "quota")),
	       (long long)json_integer_value(json_object_get(v, "uses")),
	       (long long)json_integer_value(json_object_get(v, "revision")));
}

static void fn_list_text(const json_t *v)
{
	const json_t *f;
	size_t i;

	json_array_foreach(json_object_get(v, "functions"), i, f)
	    printf("%-45s %-24s %s%s\n", pc_str(f, "id"), pc_str(f, "name"), pc_str(f, "owner"),
	           json_is_true(json_object_get(f, "disabled")) ? " (disabled)" : "");
}

/* get, list, delete, disable: one id (or none) and one call. */
static int fn_simple(int argc, char **argv, const char *name, const char *usage, int npos,
                     int which)
{
	struct pc p = {.name = name, .usage = usage};
	char *json = NULL;
	int rc;

	if ((rc = pc_parse(&p, argc, argv, NULL, NULL, NULL, npos, npos)))
		return pc_parse_exit(rc);
	if ((rc = pc_connect(&p, 1)))
		goto out;
	if (which == 0)
		rc = custos_function_get(p.client, p.pos[0], &json);
	else if (which == 1)
		rc = custos_function_list(p.client, &json);
	else if (which == 2)
		rc = custos_function_delete(p.client, p.pos[0]);
	else
		rc = custos_function_disable(p.client, p.pos[0]);
	if (rc)
		rc = pc_fail_client(&p, rc);
	else if (which <= 1)
		rc = pc_out(&p, json, which ? fn_list_text : fn_text);
	else
		rc = pc_out_id(&p, p.pos[0]);
out:
	pc_done(&p);
	return rc;
}

static int fn_get(int argc, char **argv)
{
	return fn_simple(argc, argv, "function get", get_usage, 1, 0);
}

static int fn_list(int argc, char **argv)
{
	return fn_simple(argc, argv, "function list", list_usage, 0, 1);
}

static int fn_delete(int argc, char **argv)
{
	return fn_simple(argc, argv, "function delete", delete_usage, 1, 2);
}

static int fn_disable(int argc, char **argv)
{
	return fn_simple(argc, argv, "function disable", disable_usage, 1, 3);
}

int cli_function(int argc, char **argv)
{
	static const struct cli_cmd cmds[] = {
	    {"register", fn_register, register_usage},
	    {"get", fn_get, get_usage},
	    {"list", fn_list, list_usage},
	    {"update", fn_update, update_usage},
	    {"delete", fn_delete, delete_usage},
	    {"disable", fn_disable, disable_usage},
	    {NULL, NULL, NULL},
	};
	return cli_dispatch("function", cmds, argc, argv);
}
