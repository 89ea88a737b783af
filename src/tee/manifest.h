/*
 * manifest.h - the platform manifest and its auditor signatures.
 *
 * A platform manifest (DESIGN.md section 4, docs/manifest.md) is a JSON
 * document that lists, per role, the accepted TEE types and measurements
 * and the attestation policy (policy.h), plus the simulation root when a
 * role allows simulated evidence. Auditors sign its exact bytes with
 * detached signatures (Ed25519 or ECDSA P-256), each in a small JSON
 * signature file. A client accepts a manifest only when at least k of the
 * signatures verify under k distinct keys from its own list of trusted
 * auditor keys:
 *
 *   - k = 0 is refused as a parameter (CU_EINVAL), so zero signatures never pass;
 *   - an auditor counts once, however many of its signatures are given and
 *     however often its key appears in the trusted list;
 *   - signatures by keys not in the trusted list, malformed signature files,
 *     signatures with the wrong algorithm for the key and signatures that do
 *     not verify do not count; they are not errors by themselves.
 *
 * Nothing returned points into the caller's buffers.
 */
#ifndef CUSTOS_TEE_MANIFEST_H
#define CUSTOS_TEE_MANIFEST_H

#include <openssl/evp.h>
#include <stddef.h>
#include <stdint.h>

#include "tee/policy.h"

#define TEE_MANIFEST_VERSION      1
#define TEE_MANIFEST_MAX_LEN      (512 * 1024) /* the manifest document */
#define TEE_MANIFEST_NAME_MAX     64           /* printable ASCII characters */
#define TEE_MANIFEST_SIM_ROOT_MAX (16 * 1024)  /* PEM of the simulation root */
#define TEE_MANIFEST_SIG_MAX_LEN  (16 * 1024)  /* one signature file */
#define TEE_MANIFEST_MAX_SIGS     32           /* signature files per verification */
#define TEE_MANIFEST_MAX_AUDITORS 32           /* trusted auditor keys */
#define TEE_MANIFEST_KEY_ID_LEN   32           /* SHA-256 of the DER SubjectPublicKeyInfo */
#define TEE_MANIFEST_REASON_LEN   512

struct tee_manifest {
	unsigned version;
	char name[TEE_MANIFEST_NAME_MAX + 1];
	int64_t created; /* seconds since the epoch */
	struct tee_policy policy;
	int has_sim_root;            /* set exactly when a role allows simulation */
	uint8_t sim_root_sha256[32]; /* of the DER inside the simulation root's PEM */
};

/*
 * Parse a manifest document (structure and policy only: it is not
 * authentic until its signatures are checked). CU_EFORMAT with a reason for
 * malformed JSON, unknown keys, wrong types or an inconsistent policy;
 * CU_EUNSUPPORTED for another version; CU_ELIMIT for sizes over the maxima.
 * *out is zeroed on failure.
 */
int tee_manifest_parse(const void *buf, size_t len, struct tee_manifest *out, char *reason,
                       size_t reasonsz) __attribute__((warn_unused_result));

/* Serialise m (indented, ending in a newline) into a malloc'd NUL-terminated string. */
int tee_manifest_to_json(const struct tee_manifest *m, char **out, size_t *len);

/*
 * The pin of a simulation root: SHA-256 of the DER inside one PEM block
 * (CERTIFICATE or PUBLIC KEY). pem need not be NUL-terminated.
 */
int tee_manifest_sim_root_digest(const char *pem, size_t len, uint8_t out[static 32]);

/* SHA-256 of k's DER SubjectPublicKeyInfo: an auditor's key id. */
int tee_manifest_key_id(EVP_PKEY *k, uint8_t id[static TEE_MANIFEST_KEY_ID_LEN]);

/*
 * Sign the exact bytes of a manifest with an Ed25519 or ECDSA P-256 private
 * key; *out receives the signature file (JSON, with the public key, ending in
 * a newline), malloc'd and NUL-terminated. CU_EKEY for another key type.
 */
int tee_manifest_sign(const uint8_t *manifest, size_t len, EVP_PKEY *key, char **out,
                      size_t *outlen);

/* A signature file as the caller read it (borrowed for the call). */
struct tee_manifest_sig {
	const uint8_t *data;
	size_t len;
};

/* The auditors whose signatures counted, each once. */
struct tee_manifest_signers {
	size_t count;
	uint8_t key_id[TEE_MANIFEST_MAX_AUDITORS][TEE_MANIFEST_KEY_ID_LEN];
	size_t trusted_index[TEE_MANIFEST_MAX_AUDITORS]; /* first index of the key in trusted[] */
};

/*
 * Check signatures over manifest[0..len) against the trusted auditor keys
 * (public Ed25519 or ECDSA P-256 keys; borrowed) with threshold k. Returns
 * 0 when at least k distinct trusted auditors signed; signers (may be NULL)
 * lists those whose signatures verified, success or not. Errors:
 *   CU_EINVAL  k is 0, or k exceeds the number of distinct trusted keys
 *   CU_EKEY    a trusted key is neither Ed25519 nor ECDSA P-256
 *   CU_ELIMIT  more than TEE_MANIFEST_MAX_SIGS signatures or MAX_AUDITORS keys
 *   CU_EAUTH   fewer than k distinct trusted auditors signed (reason says
 *              how many did and why the others did not count)
 */
int tee_manifest_check_signatures(const uint8_t *manifest, size_t len,
                                  const struct tee_manifest_sig *sigs, size_t nsigs,
                                  EVP_PKEY *const *trusted, size_t ntrusted, size_t k,
                                  struct tee_manifest_signers *signers, char *reason,
                                  size_t reasonsz) __attribute__((warn_unused_result));

/* tee_manifest_check_signatures(), then tee_manifest_parse() into *out. */
int tee_manifest_verify(const uint8_t *manifest, size_t len, const struct tee_manifest_sig *sigs,
                        size_t nsigs, EVP_PKEY *const *trusted, size_t ntrusted, size_t k,
                        struct tee_manifest *out, struct tee_manifest_signers *signers,
                        char *reason, size_t reasonsz) __attribute__((warn_unused_result));

#endif
