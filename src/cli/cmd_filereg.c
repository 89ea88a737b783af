/*
 * The platform's subcommands of `custos file` (the group lives in
 * cmd_file.c): register input, output and fusion files, inputs made of
 * outputs, upload (encrypt, write and register in one step), get, list.
 */
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"
#include "cli/platform_cmd.h"
#include "client/args.h"

const char cli_file_register_input_usage[] =
    "register-input --url URL --key KEYFILE [--iv HEX] --digest HEX [--json]\n"
    "\n"
    "  Register an encrypted input file that the platform will fetch from URL\n"
    "  (file://, http://, https://, data:). KEYFILE is the key it was encrypted with\n"
    "  (custos key generate); aes-gcm files need their --iv. HEX is the digest\n"
    "  'custos file encrypt' printed (SHA-256 of the encrypted file). Prints the id.\n";
const char cli_file_register_output_usage[] =
    "register-output --url URL --key KEYFILE [--json]\n"
    "\n"
    "  Register an output file: the platform writes the result to URL, encrypted\n"
    "  with the key of KEYFILE. Prints the id.\n";
const char cli_file_register_fusion_usage[] =
    "register-fusion --owner USER --owner USER... [--json]\n"
    "\n"
    "  Register a fusion output owned by these users (oneself among them, two at\n"
    "  least): its key never leaves the platform; it feeds later tasks. Prints the id.\n";
const char cli_file_register_from_output_usage[] =
    "register-from-output OUTPUT_ID [--json]\n"
    "\n"
    "  Register a written output one owns as an input of later tasks. Prints the id.\n";
const char cli_file_upload_usage[] =
    "upload PLAINTEXT DESTINATION [--json]\n"
    "\n"
    "  Encrypt PLAINTEXT with a fresh key (Custos format), write it to DESTINATION\n"
    "  (a path or file:// URL the platform can read; it must not exist) and\n"
    "  register it as an input. The key goes to the platform only. Prints the id.\n";
const char cli_file_get_usage[] = "get ID [--json]\n\n  Show a file one owns.\n";
const char cli_file_list_usage[] = "list [--json]\n\n  List one's files.\n";

struct reg_args {
	const char *url, *key, *iv, *digest;
	const char *owners[CL_OWNERS_MAX];
	size_t nowners;
};

static int reg_opt(struct pc *p, void *arg, int c, const char *optarg)
{
	struct reg_args *a = arg;

	if (c == 'u')
		a->url = optarg;
	else if (c == 'k')
		a->key = optarg;
	else if (c == 'v')
		a->iv = optarg;
	else if (c == 'd')
		a->digest = optarg;
	else if (c == 'o') {
		if (!cl_user_ok(optarg))
			return cli_usage_error("%s: '%s' is not a user id", p->name, optarg);
		if (a->nowners >= CL_OWNERS_MAX)
			return cli_usage_error("%s: at most %d owners", p->name, CL_OWNERS_MAX);
		a->owners[a->nowners++] = optarg;
	} else
		return cli_usage_error("%s: bad option", p->name);
	return 0;
}

static const struct option reg_opts[] = {
    {"url", required_argument, NULL, 'u'},   {"key", required_argument, NULL, 'k'},
    {"iv", required_argument, NULL, 'v'},    {"digest", required_argument, NULL, 'd'},
    {"owner", required_argument, NULL, 'o'}, {NULL, 0, NULL, 0},
};

enum reg_kind { REG_INPUT, REG_OUTPUT, REG_FUSION, REG_FROM_OUTPUT, REG_UPLOAD };

static int reg_check(const struct reg_args *a, enum reg_kind k)
{
	if (k == REG_INPUT && (!a->url || !a->key || !a->digest))
		return cli_usage_error("file register-input needs --url, --key and --digest");
	if (k == REG_OUTPUT && (!a->url || !a->key))
		return cli_usage_error("file register-output needs --url and --key");
	if (k == REG_OUTPUT && (a->iv || a->digest))
		return cli_usage_error("file register-output takes no --iv nor --digest");
	if (k == REG_FUSION && a->nowners < 2)
		return cli_usage_error("file register-fusion needs two --owner at least");
	if (k != REG_INPUT && k != REG_OUTPUT && (a->url || a->key || a->iv || a->digest))
		return cli_usage_error("this subcommand takes no --url, --key, --iv or --digest");
	if (k != REG_FUSION && a->nowners)
		return cli_usage_error("--owner is for register-fusion");
	return 0;
}

static int reg_run(int argc, char **argv, const char *name, const char *usage, enum reg_kind k)
{
	struct pc p = {.name = name, .usage = usage};
	struct reg_args a = {0};
	char id[CUSTOS_ID_MAX];
	int npos = k == REG_FROM_OUTPUT ? 1 : k == REG_UPLOAD ? 2 : 0, rc;

	if ((rc = pc_parse(&p, argc, argv, reg_opts, reg_opt, &a, npos, npos)))
		return pc_parse_exit(rc);
	if ((rc = reg_check(&a, k)) || (rc = pc_connect(&p, 1)))
		goto out;
	if (k == REG_INPUT)
		rc = custos_file_register_input_keyfile(p.client, a.url, a.key, a.iv, a.digest, id);
	else if (k == REG_OUTPUT)
		rc = custos_file_register_output_keyfile(p.client, a.url, a.key, id);
	else if (k == REG_FUSION)
		rc = custos_file_register_fusion(p.client, a.owners, a.nowners, id);
	else if (k == REG_FROM_OUTPUT)
		rc = custos_file_register_from_output(p.client, p.pos[0], id);
	else
		rc = custos_file_upload_input(p.client, p.pos[0], p.pos[1], id);
	rc = rc ? pc_fail_client(&p, rc) : pc_out_id(&p, id);
out:
	pc_done(&p);
	return rc;
}

int cli_file_register_input(int argc, char **argv)
{
	return reg_run(argc, argv, "file register-input", cli_file_register_input_usage, REG_INPUT);
}

int cli_file_register_output(int argc, char **argv)
{
	return reg_run(argc, argv, "file register-output", cli_file_register_output_usage,
	               REG_OUTPUT);
}

int cli_file_register_fusion(int argc, char **argv)
{
	return reg_run(argc, argv, "file register-fusion", cli_file_register_fusion_usage,
	               REG_FUSION);
}

int cli_file_register_from_output(int argc, char **argv)
{
	return reg_run(argc, argv, "file register-from-output", cli_file_register_from_output_usage,
	               REG_FROM_OUTPUT);
}

int cli_file_upload(int argc, char **argv)
{
	return reg_run(argc, argv, "file upload", cli_file_upload_usage, REG_UPLOAD);
}

static void file_text(const json_t *v)
{
	const json_t *o;
	size_t i;

	printf("id:      %s\nkind:    %s\nurl:     %s\nschema:  %s\ndigest:  %s\nowners: ",
	       pc_str(v, "id"), pc_str(v, "kind"), pc_str(v, "url"), pc_str(v, "schema"),
	       pc_str(v, "digest"));
	json_array_foreach(json_object_get(v, "owners"), i, o)
	    printf(" %s", json_string_value(o) ? json_string_value(o) : "?");
	printf("\n");
}

static void list_text(const json_t *v)
{
	const json_t *f;
	size_t i;

	json_array_foreach(json_object_get(v, "files"), i, f)
	    printf("%-41s %-8s %s\n", pc_str(f, "id"), pc_str(f, "kind"), pc_str(f, "url"));
}

int cli_file_get(int argc, char **argv)
{
	struct pc p = {.name = "file get", .usage = cli_file_get_usage};
	char *json = NULL;
	int rc;

	if ((rc = pc_parse(&p, argc, argv, NULL, NULL, NULL, 1, 1)))
		return pc_parse_exit(rc);
	if (!(rc = pc_connect(&p, 1)))
		rc = (rc = custos_file_get(p.client, p.pos[0], &json))
		         ? pc_fail_client(&p, rc)
		         : pc_out(&p, json, file_text);
	pc_done(&p);
	return rc;
}

int cli_file_list(int argc, char **argv)
{
	struct pc p = {.name = "file list", .usage = cli_file_list_usage};
	char *json = NULL;
	int rc;

	if ((rc = pc_parse(&p, argc, argv, NULL, NULL, NULL, 0, 0)))
		return pc_parse_exit(rc);
	if (!(rc = pc_connect(&p, 1)))
		rc = (rc = custos_file_list(p.client, &json)) ? pc_fail_client(&p, rc)
		                                              : pc_out(&p, json, list_text);
	pc_done(&p);
	return rc;
}
