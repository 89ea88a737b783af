/* custos - the command line of the Custos platform. */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "cli/cli.h"
#include "onnx/onnx.h"

struct group {
	const char *name;
	int (*run)(int argc, char **argv);
	const char *summary;
};

static const struct group groups[] = {
#define CLI_GROUP(n, s) {#n, cli_##n, s},
#include "cli/commands.h"
#undef CLI_GROUP
    {NULL, NULL, NULL},
};

static void usage(FILE *f)
{
	fprintf(f, "usage: custos COMMAND SUBCOMMAND [OPTIONS]\n\ncommands:\n");
	for (const struct group *g = groups; g->name; g++)
		fprintf(f, "  %-10s %s\n", g->name, g->summary);
	fprintf(f, "\nRun 'custos COMMAND --help' for the subcommands of a command.\n");
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		usage(stderr);
		return CLI_EXIT_USAGE;
	}
	if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") || !strcmp(argv[1], "help")) {
		usage(stdout);
		return CLI_EXIT_OK;
	}
	if (!strcmp(argv[1], "--version")) {
		printf("custos %s\n", CUSTOS_VERSION);
		return CLI_EXIT_OK;
	}
	/*
	 * The ONNX engine's OpenBLAS picks its kernels and its threads when it
	 * loads: see onnx_blas_env. The engine threads products itself.
	 */
	if (!strcmp(argv[1], "onnx") && onnx_blas_env(1) == 1)
		execv("/proc/self/exe", argv);
	for (const struct group *g = groups; g->name; g++)
		if (!strcmp(argv[1], g->name))
			return g->run(argc - 1, argv + 1);
	return cli_usage_error("unknown command '%s'", argv[1]);
}
