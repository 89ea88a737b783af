/*
 * hello.c - the smallest Custos wasm function: it logs its arguments, as
 * Teaclave passes them (name, value, ...), and greets with the argument
 * "greeting" when there is one. Returns the number of arguments.
 *
 *   custos wasm run hello.wasm greeting hi     (locally, without a platform)
 */
#include <stdio.h>

#include "custos_function.h"

CUSTOS_ENTRYPOINT int entrypoint(int argc, char **argv)
{
	const char *greeting = custos_arg(argc, argv, "greeting");

	for (int i = 0; i + 1 < argc; i += 2)
		printf("argument %s = %s\n", argv[i], argv[i + 1]);
	printf("%s, world\n", greeting ? greeting : "hello");
	return argc / 2;
}
