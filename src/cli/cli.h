/*
 * cli.h - the framework of the `custos` command.
 *
 * `custos GROUP SUBCOMMAND [options]`: every group is a file cmd_GROUP.c
 * exporting `int cli_GROUP(int argc, char **argv)`, listed once in
 * commands.h. argv[0] is the group name; the function returns the process
 * exit status: 0 on success, CLI_EXIT_FAIL with one line on stderr (through
 * cli_fail) otherwise, CLI_EXIT_USAGE for bad usage. Output for machines
 * (--json) is one JSON object on stdout (cli_json_out); output for people is
 * plain text on stdout. Nothing but errors and progress goes to stderr.
 *
 * Options are parsed with getopt_long through cli_getopt(), which resets
 * getopt's state, so each subcommand parses its own argv.
 */
#ifndef CUSTOS_CLI_CLI_H
#define CUSTOS_CLI_CLI_H

#include <getopt.h>
#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#define CLI_EXIT_OK    0
#define CLI_EXIT_FAIL  1
#define CLI_EXIT_USAGE 2

/* The X-macro list of command groups. */
#define CLI_GROUP(name, summary) int cli_##name(int argc, char **argv);
#include "cli/commands.h"
#undef CLI_GROUP

/* Subcommand dispatch: a table ends with a NULL name. */
struct cli_cmd {
	const char *name;
	int (*run)(int argc, char **argv);
	const char *usage; /* first line: "SUB ARGS", then description lines */
};

/* Find argv[1] in cmds and run it with argv shifted by one; prints usage on --help or no
 * subcommand. */
int cli_dispatch(const char *group, const struct cli_cmd *cmds, int argc, char **argv);

/* Print "custos: <message>[: <cu_strerror(err)>]" on stderr; return CLI_EXIT_FAIL. err 0 omits the
 * suffix. */
int cli_fail(int err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Print "custos: <message>" and a hint to use --help; return CLI_EXIT_USAGE. */
int cli_usage_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Print usage text (for --help) on stdout; return CLI_EXIT_OK. */
int cli_help(const char *usage);

/* getopt_long after resetting getopt's state for a fresh argv (call in a loop as usual; first call
 * with reset=1). */
int cli_getopt(int argc, char **argv, const char *shortopts, const struct option *longopts,
               int *reset);

/* Print obj compactly on one line of stdout and release it. */
int cli_json_out(json_t *obj);

/* Print {"error": {"code": ..., "message": ...}} for --json failures... on stdout; returns
 * CLI_EXIT_FAIL. */
int cli_json_fail(int err, const char *message);

/* Parse a decimal unsigned integer in [min, max]. */
int cli_parse_u64(const char *s, uint64_t min, uint64_t max, uint64_t *out);

/* Decode an exact-length hex argument (e.g. --iv). */
int cli_parse_hex(const char *s, uint8_t *out, size_t n);

/*
 * A progress bar on stderr for long work, shown only when stderr is a
 * terminal. total may be 0 when unknown. Updates are rate-limited.
 */
struct cli_progress {
	int enabled;
	uint64_t total;
	uint64_t last_ms;
	const char *label;
};
void cli_progress_init(struct cli_progress *p, const char *label, uint64_t total);
void cli_progress_update(struct cli_progress *p, uint64_t done);
void cli_progress_done(struct cli_progress *p);

#endif
