/* custos login / logout: a session token kept in the config directory. */
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"
#include "cli/platform_cmd.h"
#include "common/err.h"

static const char login_usage[] =
    "usage: custos login --user USER --password-file FILE [--json] [common options]\n"
    "\n"
    "  Log in to the platform (after attesting it against the manifest) and keep the\n"
    "  token in the config directory (mode 0600) for the other commands. The password\n"
    "  is read from FILE ('-': standard input), never from the command line.\n";

static const char logout_usage[] = "usage: custos logout [--json]\n"
                                   "\n"
                                   "  Forget the stored token.\n";

struct login_args {
	const char *user, *password_file;
};

static int login_opt(struct pc *p, void *arg, int c, const char *optarg)
{
	struct login_args *a = arg;

	(void)p;
	if (c == 'u')
		a->user = optarg;
	else if (c == 'P')
		a->password_file = optarg;
	else
		return cli_usage_error("login: bad option");
	return 0;
}

int cli_login(int argc, char **argv)
{
	static const struct option opts[] = {
	    {"user", required_argument, NULL, 'u'},
	    {"password-file", required_argument, NULL, 'P'},
	    {NULL, 0, NULL, 0},
	};
	struct pc p = {.name = "login", .usage = login_usage};
	struct login_args a = {0};
	char *password = NULL;
	int rc;

	if ((rc = pc_parse(&p, argc, argv, opts, login_opt, &a, 0, 0)))
		return pc_parse_exit(rc);
	if (!a.user || !a.password_file)
		return cli_usage_error("login needs --user and --password-file");
	if ((rc = pc_read_secret(&p, "password", a.password_file, &password)) ||
	    (rc = pc_connect(&p, 0)))
		goto out;
	if ((rc = custos_login(p.client, a.user, password))) {
		rc = pc_fail_client(&p, rc);
		goto out;
	}
	if ((rc = cl_token_save(p.dir, custos_token(p.client)))) {
		rc = pc_fail(&p, CUSTOS_EIO, "cannot store the token in %s: %s", p.dir,
		             cu_strerror(rc));
		goto out;
	}
	if (p.json)
		rc = cli_json_out(json_pack("{s:s,s:s}", "user", a.user, "status", "logged_in"));
	else
		printf("logged in as %s (token stored in %s)\n", a.user, p.dir);
out:
	pc_secret_free(password);
	pc_done(&p);
	return rc;
}

int cli_logout(int argc, char **argv)
{
	struct pc p = {.name = "logout", .usage = logout_usage, .local = 1};
	int rc;

	if ((rc = pc_parse(&p, argc, argv, NULL, NULL, NULL, 0, 0)))
		return pc_parse_exit(rc);
	if (cl_config_dir(p.dir, sizeof(p.dir)))
		return pc_fail(&p, CUSTOS_EIO, "no config directory: set CUSTOS_HOME or HOME");
	if ((rc = cl_token_remove(p.dir)))
		return pc_fail(&p, CUSTOS_EIO, "cannot remove the token in %s", p.dir);
	if (p.json)
		return cli_json_out(json_pack("{s:s}", "status", "logged_out"));
	printf("logged out\n");
	return CLI_EXIT_OK;
}
