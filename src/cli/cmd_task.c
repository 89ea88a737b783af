/* custos task: create, assign, approve, invoke, follow and cancel tasks. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "cli/platform_cmd.h"
#include "client/args.h"
#include "common/err.h"

#define TASK_LIST_MAX 64
#define WAIT_FOREVER  0

static const char create_usage[] =
    "create --function ID [--arg NAME=VALUE]... [--input NAME=OWNER[,OWNER...]]...\n"
    "       [--output NAME=OWNER[,OWNER...]]... [--json]\n"
    "\n"
    "  Create a task of a function: its arguments, and who must own the file of\n"
    "  each input and output. Prints the task's id (and status with --json).\n";
static const char assign_usage[] =
    "assign TASK [--input NAME=FILE_ID]... [--output NAME=FILE_ID]... [--json]\n"
    "\n"
    "  Put one's files in the task's slots (voids approvals made before).\n";
static const char approve_usage[] =
    "approve TASK [--json]\n"
    "\n"
    "  Approve the task as it is now: the digest of its function, arguments and\n"
    "  files that 'task get' shows. A later change voids the approval.\n";
static const char invoke_usage[] = "invoke TASK [--json]\n\n  Run an approved task (creator).\n";
static const char cancel_usage[] = "cancel TASK [--json]\n\n  Cancel a task that is not running.\n";
static const char get_usage[] =
    "get TASK [--wait [SECONDS]] [--json]\n"
    "\n"
    "  Show a task: status, result, output digests. With --wait, block until it has\n"
    "  ended (finished, failed, canceled), at most SECONDS when given (then exit 1\n"
    "  if it has not).\n";
static const char list_usage[] = "list [--json]\n\n  List the tasks one takes part in.\n";

struct task_args {
	struct custos_task_spec t;
	struct custos_task_arg args[TASK_LIST_MAX];
	struct custos_task_slot slots_in[TASK_LIST_MAX], slots_out[TASK_LIST_MAX];
	struct custos_task_file files_in[TASK_LIST_MAX], files_out[TASK_LIST_MAX];
	size_t nfiles_in, nfiles_out;
	char *names[3 * TASK_LIST_MAX], *values[2 * TASK_LIST_MAX];
	size_t nnames, nvalues;
	char **owners[2 * TASK_LIST_MAX];
	size_t nowners[2 * TASK_LIST_MAX], nowner_lists;
	int assign; /* --input/--output take NAME=FILE_ID */
	int wait;
	const char *wait_arg;
};

static void task_args_free(struct task_args *a)
{
	for (size_t i = 0; i < a->nnames; i++)
		free(a->names[i]);
	for (size_t i = 0; i < a->nvalues; i++)
		free(a->values[i]);
	for (size_t i = 0; i < a->nowner_lists; i++)
		cl_owners_free(a->owners[i], a->nowners[i]);
}

/* NAME=VALUE of --arg (create) or NAME=FILE_ID of --input/--output (assign). */
static int add_pair(struct pc *p, struct task_args *a, const char *s, int what)
{
	char *name, *value;
	struct custos_task_file *f = what == 'i' ? a->files_in : a->files_out;
	size_t *nf = what == 'i' ? &a->nfiles_in : &a->nfiles_out;

	if (cl_parse_kv(s, 1, &name, &value) || !*value)
		return cli_usage_error("%s: '%s' is not NAME=%s", p->name, s,
		                       what == 'a' ? "VALUE" : "FILE_ID");
	a->names[a->nnames++] = name;
	a->values[a->nvalues++] = value;
	if (what == 'a') {
		for (size_t i = 0; i < a->t.nargs; i++)
			if (!strcmp(a->args[i].name, name))
				return cli_usage_error("%s: argument '%s' given twice", p->name,
				                       name);
		a->args[a->t.nargs++] = (struct custos_task_arg){name, value};
		return 0;
	}
	for (size_t i = 0; i < *nf; i++)
		if (!strcmp(f[i].name, name))
			return cli_usage_error("%s: slot '%s' given twice", p->name, name);
	f[(*nf)++] = (struct custos_task_file){name, value};
	return 0;
}

/* NAME=OWNER[,OWNER...] of create's --input/--output. */
static int add_slot(struct pc *p, struct task_args *a, const char *s, int input)
{
	struct custos_task_slot *v = input ? a->slots_in : a->slots_out;
	size_t *n = input ? &a->t.ninputs : &a->t.noutputs, k = a->nowner_lists;
	char *name;
	int rc = cl_parse_owners(s, &name, &a->owners[k], &a->nowners[k]);

	if (rc)
		return cli_usage_error("%s: '%s' is not NAME=OWNER[,OWNER...] (distinct user ids, "
		                       "at most %d)",
		                       p->name, s, CL_OWNERS_MAX);
	a->nowner_lists++;
	a->names[a->nnames++] = name;
	for (size_t i = 0; i < *n; i++)
		if (!strcmp(v[i].name, name))
			return cli_usage_error("%s: slot '%s' given twice", p->name, name);
	v[(*n)++] =
	    (struct custos_task_slot){name, (const char *const *)a->owners[k], a->nowners[k]};
	return 0;
}

static int task_opt(struct pc *p, void *arg, int c, const char *optarg)
{
	struct task_args *a = arg;

	if (a->t.nargs >= TASK_LIST_MAX || a->t.ninputs >= TASK_LIST_MAX ||
	    a->t.noutputs >= TASK_LIST_MAX || a->nfiles_in >= TASK_LIST_MAX ||
	    a->nfiles_out >= TASK_LIST_MAX)
		return cli_usage_error("%s: at most %d of each option", p->name, TASK_LIST_MAX);
	switch (c) {
	case 'f':
		a->t.function = optarg;
		return 0;
	case 'a':
		return add_pair(p, a, optarg, 'a');
	case 'i':
	case 'o':
		if (a->assign)
			return add_pair(p, a, optarg, c);
		return add_slot(p, a, optarg, c == 'i');
	case 'w':
		a->wait = 1;
		a->wait_arg = optarg;
		return 0;
	default:
		return cli_usage_error("%s: bad option", p->name);
	}
}

static const struct option create_opts[] = {
    {"function", required_argument, NULL, 'f'},
    {"arg", required_argument, NULL, 'a'},
    {"input", required_argument, NULL, 'i'},
    {"output", required_argument, NULL, 'o'},
    {NULL, 0, NULL, 0},
};

static int task_create(int argc, char **argv)
{
	struct pc p = {.name = "task create", .usage = create_usage};
	struct task_args *a = calloc(1, sizeof(*a));
	char id[CUSTOS_ID_MAX];
	int rc;

	if (!a)
		return cli_fail(CU_ENOMEM, "task create");
	a->t.args = a->args;
	a->t.inputs = a->slots_in;
	a->t.outputs = a->slots_out;
	if ((rc = pc_parse(&p, argc, argv, create_opts, task_opt, a, 0, 0))) {
		rc = pc_parse_exit(rc);
	} else if (!a->t.function) {
		rc = cli_usage_error("task create needs --function ID");
	} else if (!(rc = pc_connect(&p, 1))) {
		if ((rc = custos_task_create(p.client, &a->t, id)))
			rc = pc_fail_client(&p, rc);
		else if (p.json)
			rc = cli_json_out(json_pack("{s:s,s:s}", "id", id, "status", "created"));
		else
			rc = pc_out_id(&p, id);
	}
	task_args_free(a);
	free(a);
	pc_done(&p);
	return rc;
}

static int task_assign(int argc, char **argv)
{
	struct pc p = {.name = "task assign", .usage = assign_usage};
	struct task_args *a = calloc(1, sizeof(*a));
	char *json = NULL;
	int rc;

	if (!a)
		return cli_fail(CU_ENOMEM, "task assign");
	a->assign = 1;
	if ((rc = pc_parse(&p, argc, argv, create_opts + 2, task_opt, a, 1, 1))) {
		rc = pc_parse_exit(rc);
	} else if (!a->nfiles_in && !a->nfiles_out) {
		rc = cli_usage_error("task assign needs --input or --output NAME=FILE_ID");
	} else if (!(rc = pc_connect(&p, 1))) {
		rc = custos_task_assign(p.client, p.pos[0], a->files_in, a->nfiles_in, a->files_out,
		                        a->nfiles_out, &json);
		rc = rc ? pc_fail_client(&p, rc) : pc_out_status(&p, json);
	}
	task_args_free(a);
	free(a);
	pc_done(&p);
	return rc;
}

static int task_approve(int argc, char **argv)
{
	struct pc p = {.name = "task approve", .usage = approve_usage};
	char digest[CUSTOS_DIGEST_HEXLEN + 1], *json = NULL;
	json_t *v;
	int rc;

	if ((rc = pc_parse(&p, argc, argv, NULL, NULL, NULL, 1, 1)))
		return pc_parse_exit(rc);
	if ((rc = pc_connect(&p, 1)))
		goto out;
	if ((rc = custos_task_approve(p.client, p.pos[0], digest, &json))) {
		rc = pc_fail_client(&p, rc);
		goto out;
	}
	if (p.json) {
		v = json_loads(json, 0, NULL);
		if (v)
			json_object_set_new(v, "digest", json_string(digest));
		rc = cli_json_out(v);
	} else {
		printf("approved task %s with digest %s\n", p.pos[0], digest);
		rc = pc_out_status(&p, json);
		json = NULL;
	}
out:
	custos_free(json);
	pc_done(&p);
	return rc;
}

static int task_simple(int argc, char **argv, const char *name, const char *usage, int which)
{
	struct pc p = {.name = name, .usage = usage};
	char *json = NULL;
	int rc;

	if ((rc = pc_parse(&p, argc, argv, NULL, NULL, NULL, 1, 1)))
		return pc_parse_exit(rc);
	if (!(rc = pc_connect(&p, 1))) {
		rc = which ? custos_task_cancel(p.client, p.pos[0], &json)
		           : custos_task_invoke(p.client, p.pos[0], &json);
		rc = rc ? pc_fail_client(&p, rc) : pc_out_status(&p, json);
	}
	pc_done(&p);
	return rc;
}

static int task_invoke(int argc, char **argv)
{
	return task_simple(argc, argv, "task invoke", invoke_usage, 0);
}

static int task_cancel(int argc, char **argv)
{
	return task_simple(argc, argv, "task cancel", cancel_usage, 1);
}

static void slots_text(const char *label, const json_t *arr)
{
	const json_t *s, *o;
	size_t i, j;

	json_array_foreach(arr, i, s)
	{
		printf("%-8s %s: file %s, owners", label, pc_str(s, "name"),
		       json_is_string(json_object_get(s, "file")) ? pc_str(s, "file") : "(none)");
		json_array_foreach(json_object_get(s, "owners"), j, o)
		    printf(" %s", json_string_value(o) ? json_string_value(o) : "?");
		printf("\n");
	}
}

static void task_text(const json_t *v)
{
	const json_t *d, *x;
	const char *k;
	size_t i;

	printf("id:        %s\nstatus:    %s\nfunction:  %s\ncreator:   %s\ndigest:    %s\n",
	       pc_str(v, "id"), pc_str(v, "status"), pc_str(v, "function"), pc_str(v, "creator"),
	       pc_str(v, "digest"));
	slots_text("input", json_object_get(v, "inputs"));
	slots_text("output", json_object_get(v, "outputs"));
	printf("approvals:");
	json_array_foreach(json_object_get(v, "approvals"), i, x)
	    printf(" %s", json_string_value(x) ? json_string_value(x) : "?");
	printf("\napprovers:");
	json_array_foreach(json_object_get(v, "approvers"), i, x)
	    printf(" %s", json_string_value(x) ? json_string_value(x) : "?");
	printf("\n");
	if (json_is_string(json_object_get(v, "result")))
		printf("result:    %s\n", pc_str(v, "result"));
	if (json_is_string(json_object_get(v, "error")))
		printf("error:     %s\n", pc_str(v, "error"));
	d = json_object_get(v, "output_digests");
	json_object_foreach((json_t *)(uintptr_t)d, k, x)
	    printf("output %s digest: %s\n", k, json_string_value(x) ? json_string_value(x) : "");
}

static void list_text(const json_t *v)
{
	const json_t *t;
	size_t i;

	json_array_foreach(json_object_get(v, "tasks"), i, t)
	    printf("%-41s %-14s %s\n", pc_str(t, "id"), pc_str(t, "status"), pc_str(t, "function"));
}

static const struct option get_opts[] = {
    {"wait", optional_argument, NULL, 'w'},
    {NULL, 0, NULL, 0},
};

static int task_get(int argc, char **argv)
{
	struct pc p = {.name = "task get", .usage = get_usage};
	struct task_args a = {0};
	const char *secs;
	uint64_t timeout = WAIT_FOREVER;
	char *json = NULL;
	int rc;

	if ((rc = pc_parse(&p, argc, argv, get_opts, task_opt, &a, 1, 2)))
		return pc_parse_exit(rc);
	/* "--wait 30" leaves 30 a positional argument; "--wait=30" is the option's. */
	secs = a.wait_arg ? a.wait_arg : p.npos == 2 ? p.pos[1] : NULL;
	if (p.npos == 2 && (!a.wait || a.wait_arg))
		return cli_usage_error("task get: unexpected argument '%s'", p.pos[1]);
	if (secs && cli_parse_u64(secs, 1, 7 * 86400, &timeout))
		return cli_usage_error("task get: --wait wants seconds (1..604800), not '%s'",
		                       secs);
	if ((rc = pc_connect(&p, 1)))
		goto out;
	if (a.wait)
		rc = custos_task_wait(p.client, p.pos[0], (unsigned)timeout, &json);
	else
		rc = custos_task_get(p.client, p.pos[0], 0, &json);
	if (rc == CUSTOS_ETIMEOUT && json) {
		(void)pc_out(&p, json, task_text);
		json = NULL;
		rc = pc_fail_client(&p, rc);
	} else if (rc) {
		rc = pc_fail_client(&p, rc);
	} else {
		rc = pc_out(&p, json, task_text);
		json = NULL;
	}
out:
	custos_free(json);
	pc_done(&p);
	return rc;
}

static int task_list(int argc, char **argv)
{
	struct pc p = {.name = "task list", .usage = list_usage};
	char *json = NULL;
	int rc;

	if ((rc = pc_parse(&p, argc, argv, NULL, NULL, NULL, 0, 0)))
		return pc_parse_exit(rc);
	if (!(rc = pc_connect(&p, 1)))
		rc = (rc = custos_task_list(p.client, &json)) ? pc_fail_client(&p, rc)
		                                              : pc_out(&p, json, list_text);
	pc_done(&p);
	return rc;
}

int cli_task(int argc, char **argv)
{
	static const struct cli_cmd cmds[] = {
	    {"create", task_create, create_usage},
	    {"assign", task_assign, assign_usage},
	    {"approve", task_approve, approve_usage},
	    {"invoke", task_invoke, invoke_usage},
	    {"get", task_get, get_usage},
	    {"list", task_list, list_usage},
	    {"cancel", task_cancel, cancel_usage},
	    {NULL, NULL, NULL},
	};
	return cli_dispatch("task", cmds, argc, argv);
}
