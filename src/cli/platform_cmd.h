/*
 * platform_cmd.h - what the commands that talk to a platform share (user,
 * function, file registration, task, audit, login): options every one
 * takes, the settings of the config directory with per-command overrides,
 * the attested connection through libcustos, output and errors.
 *
 * Every such command takes --json (one JSON object on stdout: the
 * platform's answer, with "id" and "status" where they apply), --help, and
 * overrides of the settings: --url, --manifest, --signature, --auditor,
 * --threshold, --platform-role, --allow-simulation. Errors are one line on stderr
 * (and {"error": {"code", "message"}} on stdout with --json), exit 1.
 */
#ifndef CUSTOS_CLI_PLATFORM_CMD_H
#define CUSTOS_CLI_PLATFORM_CMD_H

#include <getopt.h>
#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "client/config.h"
#include "custos/custos.h"

#define PC_POS_MAX     8
#define PC_OPTIONS_MAX 48
#define PC_SECRET_MAX  1024 /* bytes of a password file */

/* Option codes of the common options (beyond any character). */
enum pc_opt {
	PC_OPT_JSON = 0x1000,
	PC_OPT_URL,
	PC_OPT_MANIFEST,
	PC_OPT_SIGNATURE,
	PC_OPT_AUDITOR,
	PC_OPT_THRESHOLD,
	PC_OPT_ROLE,
	PC_OPT_ALLOW_SIM,
};

/* The usage lines of the common options, for every command's --help. */
#define PC_COMMON_USAGE                                                                            \
	"\n  Common options: --json (machine output), --url URL, --manifest M,\n"                  \
	"  --signature SIG..., --auditor PUB..., --threshold K, --platform-role NAME,\n"           \
	"  --allow-simulation: override the settings of 'custos config' for this call.\n"

struct pc {
	const char *name;  /* "user get" */
	const char *usage; /* for --help */
	int local;         /* no platform: of the common options, --json only */
	int json;
	const char *pos[PC_POS_MAX];
	int npos;
	/* overrides */
	const char *url, *manifest, *role;
	const char *sigs[CL_CONFIG_LIST_MAX];
	size_t nsigs;
	const char *auditors[CL_CONFIG_LIST_MAX];
	size_t nauditors;
	uint64_t threshold;
	int allow_sim;
	/* state */
	char dir[CL_CONFIG_PATH_MAX];
	struct cl_config cfg;
	struct custos_client *client;
};

/*
 * A command's own option: 0 when taken, else a CLI exit status (after
 * cli_usage_error). arg is the command's.
 */
typedef int (*pc_opt_fn)(struct pc *p, void *arg, int c, const char *optarg);

/*
 * Parse argv with the command's own options (may be NULL) and the common
 * ones; positional arguments go to p->pos (min_pos..max_pos of them).
 * Returns 0 to go on, -1 when --help was printed (exit 0), or a CLI exit
 * status for bad usage.
 */
int pc_parse(struct pc *p, int argc, char **argv, const struct option *own, pc_opt_fn fn, void *arg,
             int min_pos, int max_pos);

/* The exit status of pc_parse's result: 0 for -1 (help), else rc. */
static inline int pc_parse_exit(int rc)
{
	return rc < 0 ? 0 : rc;
}

/*
 * Load the settings, apply the overrides, connect to the platform, and
 * (with_token) use the token of `custos login`. Prints the error itself;
 * returns 0 or CLI_EXIT_FAIL.
 */
int pc_connect(struct pc *p, int with_token);

/* Release what p holds. */
void pc_done(struct pc *p);

/* A failed libcustos call: its last error; returns CLI_EXIT_FAIL. */
int pc_fail_client(struct pc *p, int rc);

/* A failure of this side with its CUSTOS_E* code; returns CLI_EXIT_FAIL. */
int pc_fail(struct pc *p, int err, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/*
 * Print an answer: with --json the text itself (compact), else text_fn
 * (may be NULL: the JSON indented) on the parsed answer. Frees json_text.
 */
int pc_out(struct pc *p, char *json_text, void (*text_fn)(const json_t *v));

/* Print a created object's id: {"id": ...} with --json, else the id alone. */
int pc_out_id(struct pc *p, const char *id);

/* Print {"id","status"} of a state change, or "ID: STATUS". Frees json_text. */
int pc_out_status(struct pc *p, char *json_text);

/*
 * The first line of a secret file (at most PC_SECRET_MAX bytes, no NUL,
 * trailing newline dropped), malloc'd: free with pc_secret_free.
 */
int pc_read_secret(struct pc *p, const char *what, const char *path, char **out);
void pc_secret_free(char *s);

/* A JSON string member, or "" (for text output). */
const char *pc_str(const json_t *o, const char *key);

/* The platform's file subcommands of `custos file` (cmd_filereg.c). */
int cli_file_register_input(int argc, char **argv);
int cli_file_register_output(int argc, char **argv);
int cli_file_register_fusion(int argc, char **argv);
int cli_file_register_from_output(int argc, char **argv);
int cli_file_get(int argc, char **argv);
int cli_file_list(int argc, char **argv);
int cli_file_upload(int argc, char **argv);
extern const char cli_file_register_input_usage[], cli_file_register_output_usage[],
    cli_file_register_fusion_usage[], cli_file_register_from_output_usage[], cli_file_get_usage[],
    cli_file_list_usage[], cli_file_upload_usage[];

#endif
