/*
 * execute_int.h - running a task's function for real (execute.c; internal).
 */
#ifndef CUSTOS_PLATFORM_EXECUTE_INT_H
#define CUSTOS_PLATFORM_EXECUTE_INT_H

#include <jansson.h>

#include "platform/platform_int.h"

#define PLAT_OUTPUT_MAX (1024ull * 1024 * 1024) /* bytes of all a task's outputs */

/*
 * Run the function fn (a record) of task (a record) in the sandbox, on its
 * inputs fetched, checked and decrypted; put its outputs encrypted. On
 * success *result is the result text (malloc'd; wipe it) and *written a
 * list of {"name","file","digest"[,"iv"]} for the outputs written. On
 * failure err says why in one line: the function's own reason, the
 * sandbox's verdict, or which input could not be had. p->cancel becoming
 * non-zero stops the function within about 100 ms (CU_ESTATE).
 */
int plat_execute(struct platform *p, const json_t *task, const json_t *fn, char **result,
                 json_t **written, struct plat_error *err);

#endif
