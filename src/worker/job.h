/*
 * job.h - one task as a worker receives it, and its execution (DESIGN.md §9).
 *
 * A job is a JSON object that the control plane makes of a task, its
 * function and the files the task names (plat_job_build, src/platform). It
 * carries the file keys, so it lives only inside the TEE: in the process
 * of an all-in-one daemon, or sent over mutual RA-TLS to a worker that
 * attested against the manifest's "worker" role. Free it with
 * cu_json_free_secret (common/json.h), which wipes it.
 *
 *   {"task": ID,
 *    "function": {"executor": "builtin", "builtin": NAME}
 *              | {"executor": "wasm", "payload": BASE64, "fuel": N, "memory": BYTES},
 *    "arguments": {NAME: VALUE, ...},                  in the task's order
 *    "inputs":  [{"name", "file", "url", "digest": HEX,
 *                 "crypto": {"schema", "key": BASE64, "iv": HEX},
 *                 "ciphertext": BASE64}],              ciphertext: fusion files only
 *    "outputs": [{"name", "file", "url", "crypto": {...}}]}
 *
 * wk_job_run fetches each input (or takes the ciphertext given), checks
 * its SHA-256 against the digest in constant time, decrypts it, runs the
 * function in a sandboxed child (sandbox.h), and encrypts each output for
 * its owner with a fresh nonce: put at its url, or, for a fusion://
 * output, returned as ciphertext for the control plane to keep. The reply:
 *
 *   {"result": TEXT,
 *    "outputs": [{"name", "file", "digest": HEX, "iv": HEX, "ciphertext": BASE64}]}
 *
 * ("iv" for Teaclave's aes-gcm formats only, "ciphertext" for fusion
 * outputs only). Every plaintext is wiped when released.
 */
#ifndef CUSTOS_WORKER_JOB_H
#define CUSTOS_WORKER_JOB_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#define WK_JOB_SLOTS_MAX  64                      /* inputs, outputs or arguments of a job */
#define WK_JOB_FUSION_MAX (64ull * 1024 * 1024)   /* bytes of a fusion file carried in a job */
#define WK_JOB_OUTPUT_MAX (1024ull * 1024 * 1024) /* bytes of all a job's outputs */
#define WK_REASON_MAX     512

/*
 * Run job. cancel (may be NULL) is polled by the sandbox at least every
 * 100 ms; non-zero stops the function. On success *reply is the reply
 * above (the caller's; wipe it: the result is the data owners'). On
 * failure *reply is NULL, why holds one line, and the return value says
 * whose fault it was:
 *   CU_EINVAL    the function refused its input (why is its own reason)
 *   CU_ETRAP     the sandbox stopped it: crash, forbidden system call,
 *                memory, CPU or wall-clock limit, too much output
 *   CU_ESTATE    canceled
 *   CU_EFORMAT   the job itself is malformed
 *   CU_EAUTH     an input's digest or decryption failed (a swapped file)
 *   CU_EUNSUPPORTED an unknown executor or builtin
 *   others       an input could not be fetched or an output put (CU_EIO,
 *                CU_ENET, CU_ENOTFOUND, CU_ELIMIT), or no memory
 */
int wk_job_run(const json_t *job, const volatile int *cancel, json_t **reply, char *why,
               size_t whysz) __attribute__((warn_unused_result));

#endif
