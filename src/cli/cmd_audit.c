/* custos audit: read and verify the platform's audit chain (platform-admin). */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"
#include "cli/platform_cmd.h"

static const char list_usage[] =
    "list [--from N] [--user U] [--json]\n"
    "\n"
    "  Print audit records from number N on (at most 1000), those of user U only\n"
    "  when given.\n";
static const char verify_usage[] =
    "verify [--json]\n"
    "\n"
    "  Verify the audit chain: print how many records it holds and, when it is\n"
    "  broken, the first broken link (then exit 1).\n";

struct audit_args {
	uint64_t from;
	const char *user;
};

static int audit_opt(struct pc *p, void *arg, int c, const char *optarg)
{
	struct audit_args *a = arg;

	if (c == 'f') {
		if (cli_parse_u64(optarg, 0, INT64_MAX, &a->from))
			return cli_usage_error("%s: --from wants a record number", p->name);
	} else if (c == 'u') {
		a->user = optarg;
	} else {
		return cli_usage_error("%s: bad option", p->name);
	}
	return 0;
}

static void records_text(const json_t *v)
{
	const json_t *r;
	size_t i;

	json_array_foreach(json_object_get(v, "records"), i, r)
	    printf("%6lld %lld %-20s %-20s %-40s %s\n",
	           (long long)json_integer_value(json_object_get(r, "n")),
	           (long long)json_integer_value(json_object_get(r, "time")), pc_str(r, "user"),
	           pc_str(r, "action"), pc_str(r, "target"), pc_str(r, "result"));
}

static int audit_list(int argc, char **argv)
{
	static const struct option opts[] = {
	    {"from", required_argument, NULL, 'f'},
	    {"user", required_argument, NULL, 'u'},
	    {NULL, 0, NULL, 0},
	};
	struct pc p = {.name = "audit list", .usage = list_usage};
	struct audit_args a = {0};
	char *json = NULL;
	int rc;

	if ((rc = pc_parse(&p, argc, argv, opts, audit_opt, &a, 0, 0)))
		return pc_parse_exit(rc);
	if (!(rc = pc_connect(&p, 1)))
		rc = (rc = custos_audit_query(p.client, a.from, a.user, &json))
		         ? pc_fail_client(&p, rc)
		         : pc_out(&p, json, records_text);
	pc_done(&p);
	return rc;
}

static int audit_verify(int argc, char **argv)
{
	struct pc p = {.name = "audit verify", .usage = verify_usage};
	char *json = NULL;
	json_t *v = NULL, *bad;
	int rc, ok;

	if ((rc = pc_parse(&p, argc, argv, NULL, NULL, NULL, 0, 0)))
		return pc_parse_exit(rc);
	if ((rc = pc_connect(&p, 1)))
		goto out;
	if ((rc = custos_audit_verify(p.client, &json))) {
		rc = pc_fail_client(&p, rc);
		goto out;
	}
	if (!(v = json_loads(json, 0, NULL)) || !json_is_boolean(json_object_get(v, "ok"))) {
		rc = pc_fail(&p, CUSTOS_EPROTO, "the platform's answer has no verdict");
		goto out;
	}
	ok = json_is_true(json_object_get(v, "ok"));
	bad = json_object_get(v, "first_bad");
	if (p.json) {
		puts(json);
	} else if (ok) {
		printf("audit chain intact: %lld records\n",
		       (long long)json_integer_value(json_object_get(v, "count")));
	} else {
		printf("audit chain BROKEN: %lld records; first broken link: record %lld (%s)\n",
		       (long long)json_integer_value(json_object_get(v, "count")),
		       (long long)json_integer_value(bad), pc_str(v, "reason"));
	}
	fflush(stdout);
	if (!ok) {
		fprintf(stderr, "custos: audit verify: the audit chain is broken at record %lld\n",
		        (long long)json_integer_value(bad));
		rc = CLI_EXIT_FAIL;
	}
out:
	json_decref(v);
	custos_free(json);
	pc_done(&p);
	return rc;
}

int cli_audit(int argc, char **argv)
{
	static const struct cli_cmd cmds[] = {
	    {"list", audit_list, list_usage},
	    {"verify", audit_verify, verify_usage},
	    {NULL, NULL, NULL},
	};
	return cli_dispatch("audit", cmds, argc, argv);
}
