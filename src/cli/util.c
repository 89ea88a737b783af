/* Shared helpers of the custos command: errors, options, JSON output, progress. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli/cli.h"
#include "common/encoding.h"
#include "common/err.h"

int cli_fail(int err, const char *fmt, ...)
{
	va_list ap;

	fputs("custos: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	if (err)
		fprintf(stderr, ": %s", cu_strerror(err));
	fputc('\n', stderr);
	return CLI_EXIT_FAIL;
}

int cli_usage_error(const char *fmt, ...)
{
	va_list ap;

	fputs("custos: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputs(" (try --help)\n", stderr);
	return CLI_EXIT_USAGE;
}

int cli_help(const char *usage)
{
	fputs(usage, stdout);
	return CLI_EXIT_OK;
}

int cli_dispatch(const char *group, const struct cli_cmd *cmds, int argc, char **argv)
{
	const struct cli_cmd *c;

	if (argc < 2 || !strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
		FILE *f = argc < 2 ? stderr : stdout;
		fprintf(f, "usage: custos %s SUBCOMMAND [OPTIONS]\n\nsubcommands:\n", group);
		for (c = cmds; c->name; c++)
			fprintf(f, "  custos %s %.*s\n", group, (int)strcspn(c->usage, "\n"),
			        c->usage);
		return argc < 2 ? CLI_EXIT_USAGE : CLI_EXIT_OK;
	}
	for (c = cmds; c->name; c++)
		if (!strcmp(argv[1], c->name))
			return c->run(argc - 1, argv + 1);
	return cli_usage_error("unknown subcommand '%s %s'", group, argv[1]);
}

int cli_getopt(int argc, char **argv, const char *shortopts, const struct option *longopts,
               int *reset)
{
	if (*reset) {
		optind = 0; /* GNU getopt: 0 re-initialises its internal state */
		opterr = 0;
		*reset = 0;
	}
	return getopt_long(argc, argv, shortopts, longopts, NULL);
}

int cli_json_out(json_t *obj)
{
	char *s;

	if (!obj)
		return cli_fail(CU_ENOMEM, "cannot build JSON output");
	s = json_dumps(obj, JSON_COMPACT | JSON_PRESERVE_ORDER);
	json_decref(obj);
	if (!s)
		return cli_fail(CU_ENOMEM, "cannot build JSON output");
	puts(s);
	free(s);
	return fflush(stdout) == 0 ? CLI_EXIT_OK : CLI_EXIT_FAIL;
}

int cli_json_fail(int err, const char *message)
{
	json_t *o =
	    json_pack("{s:{s:s,s:s}}", "error", "code", cu_errname(err), "message", message);

	cli_json_out(o);
	fprintf(stderr, "custos: %s\n", message);
	return CLI_EXIT_FAIL;
}

int cli_parse_u64(const char *s, uint64_t min, uint64_t max, uint64_t *out)
{
	char *end;
	unsigned long long v;

	*out = 0;
	if (!s || !*s || *s == '-' || *s == '+')
		return CU_EFORMAT;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno || *end)
		return CU_EFORMAT;
	if (v < min || v > max)
		return CU_ELIMIT;
	*out = v;
	return 0;
}

int cli_parse_hex(const char *s, uint8_t *out, size_t n)
{
	return cu_hex_decode_exact(s, out, n);
}

static uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

void cli_progress_init(struct cli_progress *p, const char *label, uint64_t total)
{
	p->enabled = isatty(STDERR_FILENO) && total > (8u << 20);
	p->total = total;
	p->last_ms = 0;
	p->label = label;
}

void cli_progress_update(struct cli_progress *p, uint64_t done)
{
	uint64_t t;
	unsigned pct, bars;

	if (!p->enabled)
		return;
	t = now_ms();
	if (t - p->last_ms < 100)
		return;
	p->last_ms = t;
	pct = p->total ? (unsigned)(done * 100 / p->total) : 0;
	if (pct > 100)
		pct = 100;
	bars = pct * 30 / 100;
	fprintf(stderr, "\r%s [%.*s%*s] %3u%% %llu MiB", p->label, (int)bars,
	        "##############################", (int)(30 - bars), "", pct,
	        (unsigned long long)(done >> 20));
}

void cli_progress_done(struct cli_progress *p)
{
	if (p->enabled)
		fprintf(stderr, "\r%*s\r", 70, "");
}
