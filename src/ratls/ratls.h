/*
 * ratls.h - attested TLS (RA-TLS): certificates that carry TEE evidence
 * binding their key, their verification with a manifest's policy, and the
 * OpenSSL contexts that use both. docs/ratls.md has the formats.
 *
 * Inspection (ratls_cert_inspect*) parses a certificate with OpenSSL and
 * looks for the evidence extensions Custos understands:
 *
 * - the TCG DICE tagged-evidence extension (OID 2.23.133.5.4.9) in the CCC
 *   interoperable RA-TLS format: a CBOR tag naming the kind of evidence
 *   over [evidence: bstr, claims: bstr] or, with an endorsement the
 *   verifier needs, [evidence, claims, endorsement: bstr]. Tags: 60000 (an
 *   Intel SGX/TDX quote; also rats-tls' older 0x1a7501), 0x1a7504 (an AMD
 *   SEV-SNP report, as rats-tls tags it; endorsement: the VCEK or VLEK, DER
 *   or PEM, optionally followed by its ASK/ASVK and ARK in PEM), and
 *   RATLS_TAG_CUSTOS_SIM (Custos simulated evidence; endorsement: the DER of
 *   the simulated root, accepted only when pinned, see struct ratls_trust).
 *   The claims are a CBOR map whose "pubkey-hash" (a bstr holding the CBOR
 *   [alg, hash], or that array itself) hashes the certificate's
 *   SubjectPublicKeyInfo DER (alg 1 SHA-256, 7 SHA-384, 8 SHA-512); the
 *   evidence's report_data[0:32] is SHA-256 of the claims bytes exactly as
 *   carried in the bstr;
 * - Gramine's legacy quote extension, under its mis-encoded OID (content
 *   bytes 06 09 2A 86 48 86 F8 4D 8A 39 06) or the correct
 *   1.2.840.113741.1337.6, and the Intel SGX SDK's 1.2.840.113741.1.13.1:
 *   a raw quote whose report_data[0:32] is SHA-256 of the SPKI DER, or the
 *   hash of the DICE claims of the same certificate when those bind the key.
 *
 * Every piece of evidence found is verified (dcap_verify() without
 * collateral: the TCB status of an Intel quote stays TEE_TCB_UNKNOWN, no
 * collateral ships with a certificate; snp_verify(); sim_verify()) and
 * every one must bind the key; when there are several, they must agree on
 * the measurement. A self-issued certificate must carry a signature made
 * with its own key, and the certificate must be valid at "now".
 *
 * Inspection applies no policy. A struct ratls_verifier does: it inspects,
 * then checks the claims against the roles of a policy (a manifest's), and
 * caches what it accepted.
 */
#ifndef CUSTOS_RATLS_RATLS_H
#define CUSTOS_RATLS_RATLS_H

#include <openssl/x509.h>
#include <stddef.h>
#include <stdint.h>

#include <openssl/ssl.h>

#include "tee/claims.h"
#include "tee/policy.h"

#define RATLS_CERT_MAX   (128 * 1024) /* a whole certificate, DER */
#define RATLS_EXT_MAX    (80 * 1024)  /* one evidence extension's value */
#define RATLS_CLAIMS_MAX 4096         /* the DICE claims CBOR */
#define RATLS_CLAIMS_N   64           /* entries of the claims map */
#define RATLS_REASON_LEN 256

/* CBOR tags of the evidence in the DICE extension. */
#define RATLS_TAG_INTEL_QUOTE      60000
#define RATLS_TAG_RATS_INTEL_QUOTE 0x1a7501
#define RATLS_TAG_SEV_SNP          0x1a7504
#define RATLS_TAG_CUSTOS_SIM       0x4353494d /* "CSIM" */

#define RATLS_LIFETIME_MAX    86400 /* seconds: a certificate lives a day at most */
#define RATLS_ENDORSEMENT_MAX (64 * 1024)

/* Bits of struct ratls_info.extensions. */
enum ratls_ext {
	RATLS_EXT_DICE = 1u << 0,           /* 2.23.133.5.4.9 */
	RATLS_EXT_GRAMINE_LEGACY = 1u << 1, /* Gramine's mis-encoded OID */
	RATLS_EXT_GRAMINE = 1u << 2,        /* 1.2.840.113741.1337.6 */
	RATLS_EXT_SGXSDK = 1u << 3,         /* 1.2.840.113741.1.13.1 */
};
#define RATLS_EXT_COUNT 4

/*
 * What an inspection learnt. A plain value: no pointers, nothing refers to
 * the certificate after return.
 */
struct ratls_info {
	unsigned extensions;           /* enum ratls_ext bits of the extensions present */
	int authentic;                 /* every quote verifies to the Intel root */
	int key_bound;                 /* every quote binds the certificate's key */
	int time_valid;                /* now lies inside notBefore..notAfter */
	int64_t not_before;            /* seconds since the epoch */
	int64_t not_after;             /* seconds since the epoch */
	int64_t valid_from;            /* the verdict holds for now in [valid_from, */
	int64_t valid_until;           /*   valid_until]: the certificate's window and those
	                                  of every certificate its evidence chains through */
	uint8_t spki_sha256[32];       /* SHA-256 of the SubjectPublicKeyInfo DER */
	struct tee_claims claims;      /* of the DICE quote, else the first quote; zero
	                                  unless authentic */
	char reason[RATLS_REASON_LEN]; /* why it was refused, "" on success */
};

/* "dice", "gramine-legacy", "gramine", "sgx-sdk" for one bit; NULL otherwise. */
const char *ratls_ext_name(enum ratls_ext bit);

/*
 * What a verifier trusts besides the vendor roots compiled in (Intel's,
 * AMD's). Simulated evidence is refused unless has_sim_root: then the root
 * that the certificate carries must have this SHA-256 (of its DER, or of
 * its SubjectPublicKeyInfo DER), the pin of a manifest's simulation_root.
 * snp_chain (PEM: ASK or ASVK, and ARK; borrowed) serves SEV-SNP evidence
 * whose endorsement holds the VCEK or VLEK alone.
 */
struct ratls_trust {
	int has_sim_root;
	uint8_t sim_root_sha256[32];
	const uint8_t *snp_chain;
	size_t snp_chain_len;
};

/*
 * Inspect and verify cert at now (seconds since the epoch) with trust
 * (NULL: vendor roots only; simulated evidence refused). out is cleared
 * on entry and filled as far as the certificate allows, also on failure.
 * Returns 0 only when the evidence is authentic, binds the key and the
 * certificate is valid at now. Otherwise, with out->reason saying why:
 *   CU_EINVAL      NULL argument
 *   CU_ELIMIT      the certificate or an extension exceeds its maximum
 *   CU_EFORMAT     the certificate, an extension or its CBOR is malformed
 *   CU_ENOTFOUND   no evidence extension
 *   CU_EUNSUPPORTED evidence of a kind (CBOR tag, hash algorithm) not handled
 *   CU_EAUTH       a quote does not verify (dcap_verify's error is in the
 *                  reason), quotes disagree, or the certificate's signature
 *                  does not verify with its own key
 *   CU_EKEY        the evidence does not bind the certificate's key
 *   CU_EEXPIRED    the certificate is not valid at now
 * The first of these that applies, in the order above, is returned.
 */
int ratls_cert_inspect(const X509 *cert, int64_t now, const struct ratls_trust *trust,
                       struct ratls_info *out) __attribute__((warn_unused_result));

/* The same for len bytes of DER (exactly one certificate, no trailing bytes). */
int ratls_cert_inspect_der(const uint8_t *der, size_t len, int64_t now,
                           const struct ratls_trust *trust, struct ratls_info *out)
    __attribute__((warn_unused_result));

/* ---- making certificates ---- */

struct tee;

/*
 * An identity: a fresh ECDSA P-256 key made in memory, and a self-signed
 * certificate (CN "custos", serial random) valid [now - 60 s (clock skew),
 * now + lifetime] carrying the TEE's evidence in the DICE extension, with
 * claims {"pubkey-hash": [1, SHA-256(SPKI)]} and report_data =
 * SHA-256(claims) || 32 zero bytes; the endorsement of the TEE, when it has
 * one (tee_get_endorsement), goes with it. lifetime is 1..RATLS_LIFETIME_MAX
 * seconds, else CU_EINVAL. Errors of the TEE pass through. An identity is
 * immutable; renewal makes a new one.
 */
struct ratls_identity;

int ratls_identity_new(struct tee *tee, int64_t now, int64_t lifetime, struct ratls_identity **out)
    __attribute__((warn_unused_result));
/*
 * An identity of a key and a certificate made elsewhere (ratls_cert_build,
 * a test, another builder); both are up-referenced, not stolen. CU_EKEY
 * when the certificate is not for the key.
 */
int ratls_identity_wrap(EVP_PKEY *key, X509 *cert, struct ratls_identity **out)
    __attribute__((warn_unused_result));
void ratls_identity_free(struct ratls_identity *id);
X509 *ratls_identity_cert(const struct ratls_identity *id);    /* borrowed */
EVP_PKEY *ratls_identity_key(const struct ratls_identity *id); /* borrowed */
int64_t ratls_identity_not_after(const struct ratls_identity *id);
/* When to renew: two thirds into its lifetime (from the "now" it was made at). */
int64_t ratls_identity_renew_at(const struct ratls_identity *id);

/*
 * The same certificate made from given evidence: tests use it to make
 * certificates whose evidence binds another key (key_for_evidence, or NULL
 * for key itself), and the builders of other TEEs may. kind is the CBOR tag.
 */
int ratls_cert_build(EVP_PKEY *key, const EVP_PKEY *key_for_evidence, uint64_t kind,
                     const uint8_t *evidence, size_t evlen, const uint8_t *endorsement,
                     size_t endlen, int64_t not_before, int64_t not_after, X509 **out)
    __attribute__((warn_unused_result));

/* The claims and report data an identity for key binds: what the TEE is asked to sign. */
int ratls_report_data(const EVP_PKEY *key, uint8_t **claims, size_t *claims_len,
                      uint8_t report_data[static TEE_REPORT_DATA_LEN])
    __attribute__((warn_unused_result));

/* ---- verification with a policy ---- */

#define RATLS_ROLES_MAX     4
#define RATLS_CACHE_DEFAULT 256
#define RATLS_CACHE_MAX     4096

/* The clock of a verifier: seconds since the epoch. */
typedef int64_t (*ratls_clock_fn)(void *arg);

struct ratls_verifier_options {
	const struct tee_policy *policy; /* copied */
	/* Roles of the policy a peer may have ("control"; "worker"); the first that
	   accepts the claims is the peer's. At least one. */
	const char *roles[RATLS_ROLES_MAX];
	size_t nroles;
	struct ratls_trust trust; /* snp_chain is copied */
	size_t cache_entries;     /* 0: no cache; at most RATLS_CACHE_MAX */
	ratls_clock_fn clock;     /* NULL: the system clock */
	void *clock_arg;
};

/* What a verifier accepted about a peer. A plain value. */
struct ratls_peer {
	struct tee_claims claims;
	char role[TEE_POLICY_ROLE_NAME_MAX + 1];
	uint8_t cert_sha256[32];
	uint8_t spki_sha256[32];
	int64_t not_after;
	int from_cache;
};

struct ratls_verifier;

int ratls_verifier_new(const struct ratls_verifier_options *o, struct ratls_verifier **out)
    __attribute__((warn_unused_result));
void ratls_verifier_free(struct ratls_verifier *v);

/*
 * Verify a peer's certificate: inspection (as ratls_cert_inspect with the
 * verifier's trust) at the verifier's now, then the policy for one of its
 * roles. A certificate accepted before, with the same DER and a now inside
 * the window of that verdict, is accepted from the cache without either;
 * refusals are never cached. Returns 0 with *peer filled, or the error of
 * the inspection, or CU_EPOLICY; reason (may be NULL) says why. Safe to call
 * from several threads.
 */
int ratls_verify_cert(struct ratls_verifier *v, X509 *cert, struct ratls_peer *peer, char *reason,
                      size_t reasonsz) __attribute__((warn_unused_result));

struct ratls_cache_stats {
	uint64_t hits, misses, evictions;
	size_t entries, capacity;
};
void ratls_verifier_stats(struct ratls_verifier *v, struct ratls_cache_stats *st);

/* ---- TLS ---- */

/*
 * A server context (TLS 1.3 only, no session resumption) presenting id
 * (borrowed, referenced by the context). With verifier (borrowed; it must
 * outlive the context), a client certificate is requested and, when sent,
 * verified as a peer: mutual attestation. require_peer refuses clients
 * without one; otherwise such a client is a user, who authenticates inside
 * the channel.
 */
/* The context holds its own references to id's key and certificate: id may be freed after. */
int ratls_server_ctx_new(const struct ratls_identity *id, struct ratls_verifier *verifier,
                         int require_peer, SSL_CTX **out) __attribute__((warn_unused_result));

/*
 * Make ctx (a client's, e.g. curl's) verify the server with verifier
 * (borrowed), TLS 1.3 only, no resumption; present id when not NULL
 * (mutual). The handshake fails unless the server's certificate passes
 * ratls_verify_cert.
 */
int ratls_client_ctx_setup(SSL_CTX *ctx, struct ratls_verifier *verifier,
                           const struct ratls_identity *id) __attribute__((warn_unused_result));

/*
 * After a handshake: what the verifier accepted about the peer of ssl.
 * CU_ENOTFOUND when the peer presented no certificate (a user).
 */
int ratls_peer_of(SSL *ssl, struct ratls_peer *out);

/*
 * The outcome of the verifier's last verification, for a client that made
 * one connection and wants to report on it (custos attest): its return
 * value, and the peer (when 0) or the reason (otherwise). CU_ESTATE when
 * the verifier has verified nothing yet (the handshake failed before the
 * server's certificate was seen).
 */
int ratls_verifier_last(struct ratls_verifier *v, struct ratls_peer *peer, char *reason,
                        size_t reasonsz);

#endif
