/* custos user: register, inspect, change and remove users of the platform. */
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"
#include "cli/platform_cmd.h"

static const char register_usage[] =
    "register --user USER --role ROLE [--org ORG] --password-file FILE [--json]\n"
    "\n"
    "  Register a user. ROLE: platform-admin, function-owner, data-owner,\n"
    "  data-owner-manager (which needs --org). The password is read from FILE.\n"
    "  Prints the user's id.\n";
static const char get_usage[] =
    "get USER [--json]\n"
    "\n"
    "  Show a user (oneself; admins and managers: those they manage).\n";
static const char list_usage[] = "list [--json]\n"
                                 "\n"
                                 "  List the users the caller manages.\n";
static const char update_usage[] = "update USER [--role ROLE] [--org ORG] [--json]\n"
                                   "\n"
                                   "  Change a user's role or organisation.\n";
static const char password_usage[] =
    "password USER --old-password-file FILE --new-password-file FILE [--json]\n"
    "\n"
    "  Change one's own password (every token issued before stops working).\n";
static const char reset_usage[] = "reset USER [--json]\n"
                                  "\n"
                                  "  Give a user a fresh random password, printed once.\n";
static const char delete_usage[] = "delete USER [--json]\n"
                                   "\n"
                                   "  Remove a user.\n";

struct user_args {
	const char *user, *role, *org, *pw, *old_pw, *new_pw;
};

static int user_opt(struct pc *p, void *arg, int c, const char *optarg)
{
	struct user_args *a = arg;

	switch (c) {
	case 'u':
		a->user = optarg;
		break;
	case 'r':
		a->role = optarg;
		break;
	case 'o':
		a->org = optarg;
		break;
	case 'P':
		a->pw = optarg;
		break;
	case 'O':
		a->old_pw = optarg;
		break;
	case 'N':
		a->new_pw = optarg;
		break;
	default:
		return cli_usage_error("%s: bad option", p->name);
	}
	return 0;
}

static const struct option user_opts[] = {
    {"user", required_argument, NULL, 'u'},
    {"role", required_argument, NULL, 'r'},
    {"org", required_argument, NULL, 'o'},
    {"password-file", required_argument, NULL, 'P'},
    {"old-password-file", required_argument, NULL, 'O'},
    {"new-password-file", required_argument, NULL, 'N'},
    {NULL, 0, NULL, 0},
};

static int user_register(int argc, char **argv)
{
	struct pc p = {.name = "user register", .usage = register_usage};
	struct user_args a = {0};
	char id[CUSTOS_ID_MAX], *pw = NULL;
	int rc;

	if ((rc = pc_parse(&p, argc, argv, user_opts, user_opt, &a, 0, 0)))
		return pc_parse_exit(rc);
	if (!a.user || !a.role || !a.pw)
		return cli_usage_error("user register needs --user, --role and --password-file");
	if (!(rc = pc_read_secret(&p, "password", a.pw, &pw)) && !(rc = pc_connect(&p, 1))) {
		if ((rc = custos_user_register(p.client, a.user, a.role, a.org, pw, id)))
			rc = pc_fail_client(&p, rc);
		else
			rc = pc_out_id(&p, id);
	}
	pc_secret_free(pw);
	pc_done(&p);
	return rc;
}

static void user_text(const json_t *v)
{
	json_t *c = json_object_get(v, "created");

	printf("id:         %s\nrole:       %s\norg:        %s\ncreated by: %s\n", pc_str(v, "id"),
	       pc_str(v, "role"), pc_str(v, "org"), pc_str(v, "created_by"));
	if (json_is_integer(c))
		printf("created:    %lld\n", (long long)json_integer_value(c));
}

static void list_text(const json_t *v)
{
	const json_t *u;
	size_t i;

	json_array_foreach(json_object_get(v, "users"), i, u)
	    printf("%-32s %-20s %s\n", pc_str(u, "id"), pc_str(u, "role"), pc_str(u, "org"));
}

static int user_get(int argc, char **argv)
{
	struct pc p = {.name = "user get", .usage = get_usage};
	char *json = NULL;
	int rc;

	if ((rc = pc_parse(&p, argc, argv, NULL, NULL, NULL, 1, 1)))
		return pc_parse_exit(rc);
	if (!(rc = pc_connect(&p, 1)))
		rc = (rc = custos_user_get(p.client, p.pos[0], &json))
		         ? pc_fail_client(&p, rc)
		         : pc_out(&p, json, user_text);
	pc_done(&p);
	return rc;
}

static int user_list(int argc, char **argv)
{
	struct pc p = {.name = "user list", .usage = list_usage};
	char *json = NULL;
	int rc;

	if ((rc = pc_parse(&p, argc, argv, NULL, NULL, NULL, 0, 0)))
		return pc_parse_exit(rc);
	if (!(rc = pc_connect(&p, 1)))
		rc = (rc = custos_user_list(p.client, &json)) ? pc_fail_client(&p, rc)
		                                              : pc_out(&p, json, list_text);
	pc_done(&p);
	return rc;
}

static int user_update(int argc, char **argv)
{
	static const struct option opts[] = {
	    {"role", required_argument, NULL, 'r'},
	    {"org", required_argument, NULL, 'o'},
	    {NULL, 0, NULL, 0},
	};
	struct pc p = {.name = "user update", .usage = update_usage};
	struct user_args a = {0};
	int rc;

	if ((rc = pc_parse(&p, argc, argv, opts, user_opt, &a, 1, 1)))
		return pc_parse_exit(rc);
	if (!a.role && !a.org)
		return cli_usage_error("user update needs --role or --org");
	if (!(rc = pc_connect(&p, 1))) {
		if ((rc = custos_user_update(p.client, p.pos[0], a.role, a.org)))
			rc = pc_fail_client(&p, rc);
		else
			rc = pc_out_id(&p, p.pos[0]);
	}
	pc_done(&p);
	return rc;
}

static int user_password(int argc, char **argv)
{
	struct pc p = {.name = "user password", .usage = password_usage};
	struct user_args a = {0};
	char *old = NULL, *new = NULL;
	int rc;

	if ((rc = pc_parse(&p, argc, argv, user_opts, user_opt, &a, 1, 1)))
		return pc_parse_exit(rc);
	if (!a.old_pw || !a.new_pw)
		return cli_usage_error("user password needs --old-password-file and "
		                       "--new-password-file");
	if (!(rc = pc_read_secret(&p, "old password", a.old_pw, &old)) &&
	    !(rc = pc_read_secret(&p, "new password", a.new_pw, &new)) &&
	    !(rc = pc_connect(&p, 1))) {
		if ((rc = custos_user_password(p.client, p.pos[0], old, new)))
			rc = pc_fail_client(&p, rc);
		else if (p.json)
			rc = pc_out_id(&p, p.pos[0]);
		else
			printf("password changed for %s: log in again\n", p.pos[0]);
	}
	pc_secret_free(old);
	pc_secret_free(new);
	pc_done(&p);
	return rc;
}

static void reset_text(const json_t *v)
{
	printf("new password of %s: %s\n", pc_str(v, "id"), pc_str(v, "password"));
}

static int user_reset(int argc, char **argv)
{
	struct pc p = {.name = "user reset", .usage = reset_usage};
	char *json = NULL;
	int rc;

	if ((rc = pc_parse(&p, argc, argv, NULL, NULL, NULL, 1, 1)))
		return pc_parse_exit(rc);
	if (!(rc = pc_connect(&p, 1)))
		rc = (rc = custos_user_reset(p.client, p.pos[0], &json))
		         ? pc_fail_client(&p, rc)
		         : pc_out(&p, json, reset_text);
	pc_done(&p);
	return rc;
}

static int user_delete(int argc, char **argv)
{
	struct pc p = {.name = "user delete", .usage = delete_usage};
	int rc;

	if ((rc = pc_parse(&p, argc, argv, NULL, NULL, NULL, 1, 1)))
		return pc_parse_exit(rc);
	if (!(rc = pc_connect(&p, 1))) {
		if ((rc = custos_user_delete(p.client, p.pos[0])))
			rc = pc_fail_client(&p, rc);
		else
			rc = pc_out_id(&p, p.pos[0]);
	}
	pc_done(&p);
	return rc;
}

int cli_user(int argc, char **argv)
{
	static const struct cli_cmd cmds[] = {
	    {"register", user_register, register_usage},
	    {"get", user_get, get_usage},
	    {"list", user_list, list_usage},
	    {"update", user_update, update_usage},
	    {"password", user_password, password_usage},
	    {"reset", user_reset, reset_usage},
	    {"delete", user_delete, delete_usage},
	    {NULL, NULL, NULL},
	};
	return cli_dispatch("user", cmds, argc, argv);
}
