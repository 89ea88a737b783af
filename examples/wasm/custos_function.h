/*
 * custos_function.h - the host API of a Custos wasm function, for C built
 * with clang --target=wasm32-wasi (wasi-libc). See docs/wasm.md, "In the
 * platform", for how the platform runs it.
 *
 * The function is a WASI reactor that exports
 *
 *     int entrypoint(int argc, char **argv);
 *
 * (CUSTOS_ENTRYPOINT below exports it). argv holds the task's arguments
 * flattened as Teaclave does: name, value, name, value, ... in the order
 * the function declares them, so argc is twice their number; there is no
 * program name. Build it with
 *
 *     clang --target=wasm32-wasi --sysroot=/usr -O2 -mexec-model=reactor \
 *           -Wl,--export=malloc -o f.wasm f.c
 *
 * (-mexec-model=reactor: the platform calls _initialize, which runs
 * wasi-libc's constructors, before entrypoint; --export=malloc: argv is
 * placed with the module's own allocator.)
 *
 * What it sees of the world:
 *  - its task's inputs and outputs, by the names the function declares,
 *    through the five teaclave_* functions below (the same as Teaclave's,
 *    so Teaclave functions run unchanged); no other file exists;
 *  - stdout and stderr: both go to the task's log, which the task's result
 *    carries after the return value (at most about 4 KiB; the rest is cut).
 *    stdout is line-buffered: end what you print with a newline, or
 *    fflush(stdout), before returning;
 *  - WASI clocks and random numbers; no environment variables, no network.
 *
 * How it ends:
 *  - returning from entrypoint: the task finishes; its result text is the
 *    return value in decimal, then a newline and the log if there is one.
 *    Any value is a success, as in Teaclave: it is the function's answer.
 *  - exit(status) (or a CUSTOS_FAIL): status 0 is a success with value 0;
 *    any other status fails the task, with the start of the log (write
 *    why to stderr first) in the task's error.
 *  - a trap (abort(), an out-of-bounds access, running out of its fuel,
 *    ...) fails the task with the trap's reason. memory.grow beyond the
 *    function's memory limit fails as malloc returning NULL.
 *
 * The outputs are encrypted for their owners when the function returns;
 * the log and the return value are seen by every participant of the task,
 * so they must not hold a party's data.
 */
#ifndef CUSTOS_FUNCTION_H
#define CUSTOS_FUNCTION_H

#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>

#define CUSTOS_IMPORT(name) __attribute__((import_module("env"), import_name(name)))

/* Export the function's entry point: CUSTOS_ENTRYPOINT int entrypoint(int argc, char **argv). */
#define CUSTOS_ENTRYPOINT __attribute__((export_name("entrypoint")))

/*
 * Open the task's input called name (NUL-terminated) for reading from its
 * start: a handle >= 0, or -1 when the task has no such input or too many
 * files are open (64 at most). An input may be opened more than once.
 */
CUSTOS_IMPORT("teaclave_open_input") int teaclave_open_input(const char *name);

/*
 * Create the task's output called name, empty: a handle >= 0, or -1 when
 * the task has no such output or it is open already. Creating it again
 * after closing it starts it over. An output the function never creates
 * is stored empty.
 */
CUSTOS_IMPORT("teaclave_create_output") int teaclave_create_output(const char *name);

/* Read up to n bytes into buf: the count (0 at the end), or -1. */
CUSTOS_IMPORT("teaclave_read_file") int teaclave_read_file(int handle, void *buf, int n);

/*
 * Append n bytes of buf to an output: n, or -1. Writing more than the
 * task allows an output stops the function (the task fails).
 */
CUSTOS_IMPORT("teaclave_write_file") int teaclave_write_file(int handle, const void *buf, int n);

/* Close a handle: 0, or -1 when it is not open. */
CUSTOS_IMPORT("teaclave_close_file") int teaclave_close_file(int handle);

/* Fail the task: the reason to stderr (it lands in the task's error), then exit(1). */
#define CUSTOS_FAIL(...)                                                                           \
	do {                                                                                       \
		fprintf(stderr, __VA_ARGS__);                                                      \
		fputc('\n', stderr);                                                               \
		exit(1);                                                                           \
	} while (0)

/* The value of argument name in Teaclave's flattened argv, or NULL. */
static inline const char *custos_arg(int argc, char **argv, const char *name)
{
	for (int i = 0; i + 1 < argc; i += 2) {
		const char *a = argv[i], *b = name;

		while (*a && *a == *b) {
			a++;
			b++;
		}
		if (*a == *b)
			return argv[i + 1];
	}
	return NULL;
}

#endif
