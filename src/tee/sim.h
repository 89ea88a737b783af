/*
 * sim.h - simulated TEE evidence: format, verifier, issuer.
 *
 * Simulated evidence is what custos-simtee signs for a process it measured
 * itself. It proves nothing about hardware: every piece of it carries the
 * INSECURE_SIMULATION flag, and a policy accepts it only when told to
 * (allow_simulation). The byte layout is documented in docs/attestation.md,
 * section "Simulated TEE"; all integers are little-endian:
 *
 *   off  len  field
 *     0    4  magic "CSIM"
 *     4    2  version (1)
 *     6    2  reserved, zero
 *     8    4  flags: bit 0 INSECURE_SIMULATION must be set, others zero
 *    12   48  measurement: SHA-384 of the measured executable
 *    60   16  platform id of the simulated machine
 *    76   64  report data chosen by the caller
 *   140   64  attestation public key, P-256 x||y
 *   204    2  n = length of the certificate (1..SIM_CERT_MAX)
 *   206    n  DER X.509 certificate of the attestation key, issued by the
 *             simulated root
 * 206+n   64  ECDSA P-256 / SHA-256 signature r||s by the attestation key
 *             over bytes [0, 206+n)
 *
 * Nothing may follow the signature.
 *
 * The verifier trusts only the root certificate its caller gives: never one
 * because it is self-signed, never one that came with the evidence.
 */
#ifndef CUSTOS_TEE_SIM_H
#define CUSTOS_TEE_SIM_H

#include <openssl/evp.h>
#include <openssl/x509.h>
#include <stddef.h>
#include <stdint.h>

#include "tee/claims.h"

#define SIM_MAGIC                    "CSIM"
#define SIM_MAGIC_LEN                4
#define SIM_VERSION                  1
#define SIM_FLAG_INSECURE_SIMULATION 0x00000001u
#define SIM_FLAGS_KNOWN              SIM_FLAG_INSECURE_SIMULATION
#define SIM_MEASUREMENT_LEN          48
#define SIM_PLATFORM_ID_LEN          16
#define SIM_REPORT_DATA_LEN          64
#define SIM_PUBKEY_LEN               64
#define SIM_SIG_LEN                  64
#define SIM_CERT_MAX                 2048
#define SIM_FIXED_LEN                206 /* bytes before the certificate */
#define SIM_EVIDENCE_MAX             (SIM_FIXED_LEN + SIM_CERT_MAX + SIM_SIG_LEN)
#define SIM_ROOT_MAX                 16384 /* a root certificate, PEM or DER */

/* Subject common names of the two certificates custos-simtee makes. */
#define SIM_ROOT_CN   "Custos simulated TEE root (INSECURE)"
#define SIM_ATTEST_CN "Custos simulated TEE attestation key (INSECURE)"

/* Parsed evidence: every field copied, nothing points into the input. */
struct sim_evidence {
	uint16_t version;
	uint32_t flags;
	uint8_t measurement[SIM_MEASUREMENT_LEN];
	uint8_t platform_id[SIM_PLATFORM_ID_LEN];
	uint8_t report_data[SIM_REPORT_DATA_LEN];
	uint8_t attest_pub[SIM_PUBKEY_LEN];
	uint8_t cert[SIM_CERT_MAX];
	size_t cert_len;
	uint8_t sig[SIM_SIG_LEN];
	size_t signed_len; /* bytes covered by sig: SIM_FIXED_LEN + cert_len */
};

/*
 * Parse ev[0..len) without verifying anything but its shape: magic,
 * version, reserved bytes, known flags with INSECURE_SIMULATION set, the
 * certificate length, and no trailing bytes. CU_ETRUNC when it ends early,
 * CU_EFORMAT when malformed, CU_EUNSUPPORTED for another version, CU_ELIMIT
 * when longer than SIM_EVIDENCE_MAX. *out is zeroed on failure.
 */
int sim_evidence_parse(const uint8_t *ev, size_t len, struct sim_evidence *out);

/*
 * Verify simulated evidence against root (the simulated root certificate,
 * PEM or DER, rootlen <= SIM_ROOT_MAX) at time now (seconds since the
 * epoch): shape as sim_evidence_parse(), the attestation certificate chains
 * to root and both are valid at now, the certificate's key is the one in
 * the evidence, and the signature verifies. On success *claims holds
 * TEE_SIM, simulated = 1, debug = 0, the measurement, the report data and
 * TEE_TCB_NOT_APPLICABLE. On failure *claims is zeroed and, when reasonsz
 * is not 0, reason holds an English sentence. Errors: those of parsing,
 * CU_EUNTRUSTED (chain, key mismatch), CU_EEXPIRED, CU_EAUTH (signature),
 * CU_EINVAL (bad root).
 */
int sim_verify(const uint8_t *ev, size_t len, const uint8_t *root, size_t rootlen, int64_t now,
               struct tee_claims *claims, char *reason, size_t reasonsz)
    __attribute__((warn_unused_result));

/*
 * Human-readable decode: fn is called once per field in wire order with a
 * name and a NUL-terminated value (hex for bytes); a non-zero return from
 * fn stops the walk and is returned. The fields are not verified by this.
 */
typedef int (*sim_field_fn)(void *arg, const char *name, const char *value);
int sim_evidence_show(const struct sim_evidence *ev, sim_field_fn fn, void *arg);

/*
 * Issuer side: used by custos-simtee, and by tests to make evidence.
 */

/* A self-signed CA certificate (CN SIM_ROOT_CN) for key, valid [not_before, not_after]. */
int sim_root_cert_new(EVP_PKEY *key, int64_t not_before, int64_t not_after, X509 **out);

/*
 * A certificate (CN SIM_ATTEST_CN, not a CA, digitalSignature) for the
 * public half of attest_key, issued by root / root_key, valid
 * [not_before, not_after]; *der is malloc'd DER of at most SIM_CERT_MAX bytes.
 */
int sim_attest_cert_new(EVP_PKEY *root_key, X509 *root, EVP_PKEY *attest_key, int64_t not_before,
                        int64_t not_after, uint8_t **der, size_t *derlen);

/*
 * Build and sign evidence with attest_key (P-256) and its certificate; the
 * INSECURE_SIMULATION flag is always set. *out is malloc'd, *outlen at most
 * SIM_EVIDENCE_MAX.
 */
int sim_evidence_build(const uint8_t measurement[static SIM_MEASUREMENT_LEN],
                       const uint8_t platform_id[static SIM_PLATFORM_ID_LEN],
                       const uint8_t report_data[static SIM_REPORT_DATA_LEN], EVP_PKEY *attest_key,
                       const uint8_t *cert_der, size_t cert_len, uint8_t **out, size_t *outlen);

/* The platform id of a simulated root: the first 16 bytes of SHA-256 of its SubjectPublicKeyInfo.
 */
int sim_platform_id(X509 *root, uint8_t id[static SIM_PLATFORM_ID_LEN]);

#endif
