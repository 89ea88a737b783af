/*
 * tee_backend.h - what a backend of tee.h provides (private to src/tee).
 *
 * open() gets the options with defaults already applied and makes the
 * backend's state; the other operations get that state. tee.c checks the
 * arguments (label syntax, buffer sizes) before it calls a backend.
 */
#ifndef CUSTOS_TEE_TEE_BACKEND_H
#define CUSTOS_TEE_TEE_BACKEND_H

#include "tee/tee.h"

struct tee_backend {
	const char *name;
	int (*open)(const struct tee_options *opt, void **state, enum tee_type *type);
	int (*evidence)(void *state, const uint8_t report_data[static TEE_REPORT_DATA_LEN],
	                uint8_t **evidence, size_t *len);
	int (*sealing_key)(void *state, const char *label, size_t label_len,
	                   uint8_t key[static TEE_SEALING_KEY_LEN]);
	int (*measurement)(void *state, uint8_t *buf, size_t *len);
	/* NULL when the backend has none (tee_get_endorsement says CU_ENOTFOUND). */
	int (*endorsement)(void *state, uint8_t **out, size_t *len);
	void (*free)(void *state);
};

extern const struct tee_backend tee_backend_sim;
extern const struct tee_backend tee_backend_sgx;
extern const struct tee_backend tee_backend_tsm;

/* Helpers shared by the file-based backends. */

/* "<root>/<name>" into out; CU_ELIMIT when it does not fit. */
int tee_path_join(char *out, size_t outsz, const char *root, const char *name);

/* Write all of buf to the existing file path (no O_CREAT, no O_TRUNC). */
int tee_file_put(const char *path, const void *buf, size_t len);

#endif
