/* custos config: the settings of the platform commands, in the config directory. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "cli/platform_cmd.h"
#include "common/err.h"

static const char set_usage[] =
    "set KEY VALUE [--json]\n"
    "\n"
    "  Store a setting in the config directory ($CUSTOS_HOME, else ~/.config/custos;\n"
    "  made with mode 0700, files 0600). Keys:\n"
    "    url               the platform, https://HOST:PORT\n"
    "    manifest          the platform manifest (a path, stored absolute)\n"
    "    signatures        its signature files, comma-separated paths (\"\" clears)\n"
    "    auditors          the trusted auditors' public keys, comma-separated paths\n"
    "    threshold         how many distinct trusted auditors must have signed (k)\n"
    "    allow-simulation  true or false: accept simulated evidence (INSECURE, tests)\n"
    "    role              the manifest's role to verify the platform with (control)\n";

static const char get_usage[] = "get KEY [--json]\n"
                                "\n"
                                "  Print one setting (empty when unset).\n";

static const char show_usage[] = "show [--json]\n"
                                 "\n"
                                 "  Print every setting, and whether a login token is stored.\n";

static int key_known(const char *k)
{
	for (size_t i = 0; cl_config_keys[i]; i++)
		if (!strcmp(cl_config_keys[i], k))
			return 1;
	return 0;
}

static int load(struct pc *p)
{
	char msg[512];

	if (cl_config_dir(p->dir, sizeof(p->dir)))
		return pc_fail(p, CUSTOS_EIO, "no config directory: set CUSTOS_HOME or HOME");
	if (cl_config_load(p->dir, &p->cfg, msg, sizeof(msg)))
		return pc_fail(p, CUSTOS_EIO, "%s", msg);
	return 0;
}

static int config_set(int argc, char **argv)
{
	struct pc p = {.name = "config set", .usage = set_usage, .local = 1};
	char msg[512];
	int rc;

	if ((rc = pc_parse(&p, argc, argv, NULL, NULL, NULL, 2, 2)))
		return pc_parse_exit(rc);
	if (!key_known(p.pos[0]))
		return cli_usage_error("config set: unknown key '%s'", p.pos[0]);
	if (!(rc = load(&p))) {
		if (cl_config_set(&p.cfg, p.pos[0], p.pos[1], msg, sizeof(msg)))
			rc = pc_fail(&p, CUSTOS_EINVAL, "%s: %s", p.pos[0], msg);
		else if ((rc = cl_config_save(p.dir, &p.cfg)))
			rc = pc_fail(&p, CUSTOS_EIO, "cannot write the settings in %s: %s", p.dir,
			             cu_strerror(rc));
		else if (p.json)
			rc = cli_json_out(cl_config_json(&p.cfg));
		else
			printf("%s set in %s/%s\n", p.pos[0], p.dir, CL_CONFIG_FILE);
	}
	pc_done(&p);
	return rc;
}

static int config_get(int argc, char **argv)
{
	struct pc p = {.name = "config get", .usage = get_usage, .local = 1};
	char *v = NULL;
	int rc;

	if ((rc = pc_parse(&p, argc, argv, NULL, NULL, NULL, 1, 1)))
		return pc_parse_exit(rc);
	if (!key_known(p.pos[0]))
		return cli_usage_error("config get: unknown key '%s'", p.pos[0]);
	if (!(rc = load(&p))) {
		if (cl_config_get(&p.cfg, p.pos[0], &v))
			rc = pc_fail(&p, CUSTOS_ENOMEM, "out of memory");
		else if (p.json)
			rc = cli_json_out(json_pack("{s:s,s:s}", "key", p.pos[0], "value", v));
		else
			puts(v);
	}
	free(v);
	pc_done(&p);
	return rc;
}

static int config_show(int argc, char **argv)
{
	struct pc p = {.name = "config show", .usage = show_usage, .local = 1};
	char *v, *token = NULL;
	json_t *j;
	int rc, logged_in;

	if ((rc = pc_parse(&p, argc, argv, NULL, NULL, NULL, 0, 0)))
		return pc_parse_exit(rc);
	if ((rc = load(&p)))
		goto out;
	logged_in = cl_token_load(p.dir, &token) == 0;
	pc_secret_free(token);
	if (p.json) {
		j = cl_config_json(&p.cfg);
		if (j) {
			json_object_set_new(j, "directory", json_string(p.dir));
			json_object_set_new(j, "logged_in", json_boolean(logged_in));
		}
		rc = cli_json_out(j);
		goto out;
	}
	printf("directory: %s\n", p.dir);
	for (size_t i = 0; cl_config_keys[i]; i++) {
		if (cl_config_get(&p.cfg, cl_config_keys[i], &v)) {
			rc = pc_fail(&p, CUSTOS_ENOMEM, "out of memory");
			goto out;
		}
		printf("%s: %s\n", cl_config_keys[i], v);
		free(v);
	}
	printf("logged in: %s\n", logged_in ? "yes (a token is stored)" : "no");
out:
	pc_done(&p);
	return rc;
}

int cli_config(int argc, char **argv)
{
	static const struct cli_cmd cmds[] = {
	    {"set", config_set, set_usage},
	    {"get", config_get, get_usage},
	    {"show", config_show, show_usage},
	    {NULL, NULL, NULL},
	};
	return cli_dispatch("config", cmds, argc, argv);
}
