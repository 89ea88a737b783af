/* platform_cmd.c - options, settings, connection, output and errors of the platform commands. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "cli/platform_cmd.h"
#include "common/err.h"
#include "common/file.h"
#include "common/mem.h"

static const struct option pc_common[] = {
    {"json", no_argument, NULL, PC_OPT_JSON},
    {"url", required_argument, NULL, PC_OPT_URL},
    {"manifest", required_argument, NULL, PC_OPT_MANIFEST},
    {"signature", required_argument, NULL, PC_OPT_SIGNATURE},
    {"auditor", required_argument, NULL, PC_OPT_AUDITOR},
    {"threshold", required_argument, NULL, PC_OPT_THRESHOLD},
    {"platform-role", required_argument, NULL, PC_OPT_ROLE},
    {"allow-simulation", no_argument, NULL, PC_OPT_ALLOW_SIM},
    {"help", no_argument, NULL, 'h'},
};
#define PC_COMMON_N (sizeof(pc_common) / sizeof(pc_common[0]))

static int common_opt(struct pc *p, int c, const char *arg)
{
	switch (c) {
	case PC_OPT_JSON:
		p->json = 1;
		return 0;
	case PC_OPT_URL:
		p->url = arg;
		return 0;
	case PC_OPT_MANIFEST:
		p->manifest = arg;
		return 0;
	case PC_OPT_ROLE:
		p->role = arg;
		return 0;
	case PC_OPT_ALLOW_SIM:
		p->allow_sim = 1;
		return 0;
	case PC_OPT_SIGNATURE:
		if (p->nsigs >= CL_CONFIG_LIST_MAX)
			return cli_usage_error("%s: at most %d --signature", p->name,
			                       CL_CONFIG_LIST_MAX);
		p->sigs[p->nsigs++] = arg;
		return 0;
	case PC_OPT_AUDITOR:
		if (p->nauditors >= CL_CONFIG_LIST_MAX)
			return cli_usage_error("%s: at most %d --auditor", p->name,
			                       CL_CONFIG_LIST_MAX);
		p->auditors[p->nauditors++] = arg;
		return 0;
	case PC_OPT_THRESHOLD:
		if (cli_parse_u64(arg, 1, CL_CONFIG_LIST_MAX, &p->threshold))
			return cli_usage_error("--threshold wants 1..%d", CL_CONFIG_LIST_MAX);
		return 0;
	default:
		return -1;
	}
}

/* "usage: custos GROUP SUB ..." and the common options. */
static void pc_help(const struct pc *p)
{
	size_t group = strcspn(p->name, " ");

	if (strncmp(p->usage, "usage:", 6))
		printf("usage: custos %.*s ", (int)group, p->name);
	fputs(p->usage, stdout);
	if (!p->local && !strstr(p->usage, "Common options"))
		fputs(PC_COMMON_USAGE, stdout);
}

int pc_parse(struct pc *p, int argc, char **argv, const struct option *own, pc_opt_fn fn, void *arg,
             int min_pos, int max_pos)
{
	struct option all[PC_OPTIONS_MAX];
	size_t n = 0;
	int c, reset = 1, rc;

	for (; own && own[n].name; n++)
		all[n] = own[n];
	if (n + PC_COMMON_N + 1 > PC_OPTIONS_MAX)
		return cli_fail(0, "%s: too many options", p->name);
	memcpy(&all[n], pc_common, sizeof(pc_common));
	memset(&all[n + PC_COMMON_N], 0, sizeof(all[0]));
	while ((c = cli_getopt(argc, argv, "h", all, &reset)) != -1) {
		if (c == 'h')
			return pc_help(p), -1;
		if (p->local && c > PC_OPT_JSON && c <= PC_OPT_ALLOW_SIM)
			return cli_usage_error("%s: bad option '%s'", p->name, argv[optind - 1]);
		if ((rc = common_opt(p, c, optarg)) >= 0) {
			if (rc)
				return rc;
			continue;
		}
		if (c == '?' || c == ':' || !fn)
			return cli_usage_error("%s: bad option '%s'", p->name, argv[optind - 1]);
		if ((rc = fn(p, arg, c, optarg)))
			return rc;
	}
	for (; optind < argc; optind++) {
		if (p->npos >= max_pos || p->npos >= PC_POS_MAX)
			return cli_usage_error("%s: unexpected argument '%s'", p->name,
			                       argv[optind]);
		p->pos[p->npos++] = argv[optind];
	}
	if (p->npos < min_pos)
		return cli_usage_error("%s: missing argument", p->name);
	return 0;
}

static int json_error(struct pc *p, int err, const char *message)
{
	const char *colon = strstr(message, ": ");
	json_t *o;

	/* last_error is "code: message": the JSON gets them apart. */
	if (colon && !strncmp(message, custos_error_code(err), (size_t)(colon - message)))
		message = colon + 2;
	o = json_pack("{s:{s:s,s:s}}", "error", "code", custos_error_code(err), "message", message);
	(void)cli_json_out(o);
	(void)p;
	return CLI_EXIT_FAIL;
}

int pc_fail_client(struct pc *p, int rc)
{
	const char *e = custos_last_error(p->client);

	if (!e || !*e)
		e = custos_strerror(rc);
	if (p->json)
		json_error(p, rc, e);
	fprintf(stderr, "custos: %s: %s\n", p->name, e);
	return CLI_EXIT_FAIL;
}

int pc_fail(struct pc *p, int err, const char *fmt, ...)
{
	char msg[CUSTOS_ERROR_MAX];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	for (char *s = msg; *s; s++)
		if ((unsigned char)*s < 0x20)
			*s = ' ';
	if (p->json)
		json_error(p, err, msg);
	fprintf(stderr, "custos: %s: %s\n", p->name, msg);
	return CLI_EXIT_FAIL;
}

/* The settings with this call's overrides. */
static int trust_of(struct pc *p, struct custos_trust *t)
{
	char msg[512];
	int rc;

	if ((rc = cl_config_dir(p->dir, sizeof(p->dir))))
		return pc_fail(p, CUSTOS_EIO, "no config directory: set CUSTOS_HOME or HOME");
	if ((rc = cl_config_load(p->dir, &p->cfg, msg, sizeof(msg))))
		return pc_fail(p, CUSTOS_EIO, "%s", msg);
	memset(t, 0, sizeof(*t));
	t->url = p->url ? p->url : p->cfg.url;
	t->manifest = p->manifest ? p->manifest : p->cfg.manifest;
	t->role = p->role ? p->role : p->cfg.role;
	t->signatures = p->nsigs ? p->sigs : (const char *const *)p->cfg.signatures;
	t->nsignatures = p->nsigs ? p->nsigs : p->cfg.nsignatures;
	t->auditors = p->nauditors ? p->auditors : (const char *const *)p->cfg.auditors;
	t->nauditors = p->nauditors ? p->nauditors : p->cfg.nauditors;
	t->threshold = (unsigned)(p->threshold ? p->threshold : p->cfg.threshold);
	t->allow_simulation = p->allow_sim || p->cfg.allow_simulation;
	if (!t->url || !t->manifest || !t->nauditors || !t->threshold)
		return pc_fail(p, CUSTOS_EINVAL,
		               "no platform configured: 'custos config set' url, manifest, "
		               "signatures, auditors and threshold (or give --url, --manifest, "
		               "--signature, --auditor, --threshold)");
	return 0;
}

int pc_connect(struct pc *p, int with_token)
{
	struct custos_trust t;
	char *token = NULL;
	int rc;

	if ((rc = trust_of(p, &t)))
		return rc;
	if (!(p->client = custos_client_new()))
		return pc_fail(p, CUSTOS_ENOMEM, "out of memory");
	if (with_token) {
		rc = cl_token_load(p->dir, &token);
		if (rc == CU_ENOTFOUND)
			return pc_fail(p, CUSTOS_EUNAUTHENTICATED,
			               "not logged in: run 'custos login'");
		if (rc)
			return pc_fail(p, CUSTOS_EIO, "cannot read the token in %s: %s", p->dir,
			               cu_strerror(rc));
		rc = custos_set_token(p->client, token);
		cu_free_secret(token, strlen(token));
		if (rc)
			return pc_fail_client(p, rc);
	}
	if ((rc = custos_connect(p->client, &t)))
		return pc_fail_client(p, rc);
	return 0;
}

void pc_done(struct pc *p)
{
	custos_client_free(p->client);
	p->client = NULL;
	cl_config_clear(&p->cfg);
}

const char *pc_str(const json_t *o, const char *key)
{
	const char *s = json_string_value(json_object_get(o, key));

	return s ? s : "";
}

int pc_out(struct pc *p, char *json_text, void (*text_fn)(const json_t *v))
{
	json_t *v = NULL;
	char *pretty;

	if (p->json) {
		puts(json_text);
		custos_free(json_text);
		return fflush(stdout) ? CLI_EXIT_FAIL : CLI_EXIT_OK;
	}
	v = json_loads(json_text, 0, NULL);
	custos_free(json_text);
	if (!v)
		return pc_fail(p, CUSTOS_EPROTO, "cannot read the platform's answer");
	if (text_fn) {
		text_fn(v);
	} else if ((pretty = json_dumps(v, JSON_INDENT(2) | JSON_PRESERVE_ORDER))) {
		puts(pretty);
		free(pretty);
	}
	json_decref(v);
	return fflush(stdout) ? CLI_EXIT_FAIL : CLI_EXIT_OK;
}

int pc_out_id(struct pc *p, const char *id)
{
	if (p->json)
		return cli_json_out(json_pack("{s:s}", "id", id));
	puts(id);
	return fflush(stdout) ? CLI_EXIT_FAIL : CLI_EXIT_OK;
}

static void status_text(const json_t *v)
{
	printf("%s: %s\n", pc_str(v, "id"), pc_str(v, "status"));
}

int pc_out_status(struct pc *p, char *json_text)
{
	return pc_out(p, json_text, status_text);
}

int pc_read_secret(struct pc *p, const char *what, const char *path, char **out)
{
	uint8_t *buf;
	size_t len, line;
	int rc;

	*out = NULL;
	if (!strcmp(path, "-"))
		rc = cu_fd_read_all(0, PC_SECRET_MAX, &buf, &len);
	else
		rc = cu_file_read(path, PC_SECRET_MAX, &buf, &len);
	if (rc)
		return pc_fail(p, CUSTOS_EIO, "cannot read the %s file %s: %s", what, path,
		               rc == CU_ELIMIT ? "too long" : cu_strerror(rc));
	line = strcspn((char *)buf, "\n");
	if (memchr(buf, 0, len) || (line + 1 < len && buf[line] == '\n'))
		rc = pc_fail(p, CUSTOS_EINVAL, "the %s file %s must hold one line", what, path);
	if (!rc && line && buf[line - 1] == '\r')
		line--;
	if (!rc && !line)
		rc = pc_fail(p, CUSTOS_EINVAL, "the %s file %s is empty", what, path);
	if (rc) {
		cu_free_secret(buf, len);
		return rc;
	}
	cu_wipe(buf + line, len - line);
	*out = (char *)buf;
	return 0;
}

void pc_secret_free(char *s)
{
	if (s)
		cu_free_secret(s, strlen(s));
}
