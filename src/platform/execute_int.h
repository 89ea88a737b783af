/*
 * execute_int.h - running a task's function for real (execute.c; internal).
 */
#ifndef CUSTOS_PLATFORM_EXECUTE_INT_H
#define CUSTOS_PLATFORM_EXECUTE_INT_H

#include <jansson.h>

#include "platform/platform_int.h"

/*
 * Run the function fn (a record) of task (a record) in the sandbox, on its
 * inputs fetched, checked and decrypted; put its outputs encrypted. On
 * success *result is the result text (malloc'd; wipe it) and *written a
 * list of {"name","file","digest"[,"iv"]} for the outputs written. On
 * failure err says why in one line: the function's own reason, the
 * sandbox's verdict, or which input could not be had. p->cancel becoming
 * non-zero stops the function within about 100 ms (CU_ESTATE).
 */
/*
 * The job (src/worker/job.h) of task (a record) running fn (a record): its
 * arguments, its input files with their locations, digests and keys (a
 * fusion input's ciphertext from the store), its output files. *job is the
 * caller's: free it with cu_json_free_secret.
 */
int plat_job_build(struct platform *p, const json_t *task, const json_t *fn, json_t **job,
                   struct plat_error *err);

/*
 * Take a worker's reply to the job of task: every output of the task once,
 * with its digest (and iv); fusion ciphertexts checked against their digest
 * and kept in the store. *result (malloc'd; wipe it) and *written as
 * plat_execute gives them. CU_EFORMAT when the reply does not match the task.
 */
int plat_job_complete(struct platform *p, const json_t *task, const json_t *reply, char **result,
                      json_t **written, struct plat_error *err);

int plat_execute(struct platform *p, const json_t *task, const json_t *fn, char **result,
                 json_t **written, struct plat_error *err);

#endif
