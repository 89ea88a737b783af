/*
 * keyfile.h - data-file keys in a small JSON file.
 *
 *   {"custos_key": 1, "algorithm": "custos" | "aes-gcm-128" | "aes-gcm-256",
 *    "key": "<hex>", "id": "<optional text>"}
 *
 * Files are written with mode 0600, atomically. The parser rejects unknown
 * members, a key of the wrong length for its algorithm, and files over
 * EF_KEYFILE_MAX bytes. A struct ef_key holds a secret: release it with
 * ef_key_wipe().
 */
#ifndef CUSTOS_EFILE_KEYFILE_H
#define CUSTOS_EFILE_KEYFILE_H

#include <stddef.h>
#include <stdint.h>

#include "efile/efile.h"

#define EF_KEYFILE_MAX 4096
#define EF_KEY_ID_MAX  128

struct ef_key {
	enum ef_format format;
	uint8_t key[32];
	size_t key_len;
	char id[EF_KEY_ID_MAX + 1]; /* empty when absent */
};

/* Parse a key file's bytes. */
int ef_key_parse(const uint8_t *buf, size_t len, struct ef_key *k);
/* Read and parse a key file. */
int ef_key_load(const char *path, struct ef_key *k);
/* A fresh random key of the given format; id may be NULL. */
int ef_key_generate(enum ef_format f, const char *id, struct ef_key *k);
/* A key imported from hex (must have the format's length). */
int ef_key_from_hex(enum ef_format f, const char *hex, const char *id, struct ef_key *k);
/* Serialise to JSON text (malloc'd, wipe with cu_free_secret(p, strlen(p))). */
int ef_key_serialize(const struct ef_key *k, char **out);
/* Write atomically with mode 0600; refuses to overwrite unless overwrite is set. */
int ef_key_save(const struct ef_key *k, const char *path, int overwrite);
void ef_key_wipe(struct ef_key *k);

#endif
