/*
 * trust.h - what a client trusts: a platform manifest accepted with k of n
 * trusted auditor signatures, and the RA-TLS verifier made of its policy.
 *
 * Shared by libcustos (custos_connect) and `custos attest`, so that the
 * acceptance of a manifest is written once. Internal to the project: the
 * public header hides these types.
 */
#ifndef CUSTOS_CLIENT_TRUST_H
#define CUSTOS_CLIENT_TRUST_H

#include <openssl/ssl.h>
#include <stddef.h>
#include <stdint.h>

#include "ratls/ratls.h"
#include "tee/manifest.h"

#define CL_TRUST_MSG_MAX 1024

struct cl_trust_config {
	const char *manifest;          /* path */
	const char *const *signatures; /* paths of signature files */
	size_t nsignatures;            /* at most TEE_MANIFEST_MAX_SIGS */
	const char *const *auditors;   /* paths of PEM public keys */
	size_t nauditors;              /* 1..TEE_MANIFEST_MAX_AUDITORS */
	uint64_t threshold;            /* k >= 1 */
	const char *role;              /* NULL: "control" */
	int allow_simulation;
};

struct cl_trust {
	struct tee_manifest manifest;
	struct tee_manifest_signers signers;
	struct tee_policy policy; /* the manifest's, as this client applies it */
	struct ratls_verifier *verifier;
	char role[TEE_POLICY_ROLE_NAME_MAX + 1];
	char manifest_path[4096];
	int allow_simulation;
	int manifest_allows_sim; /* for role, with a pinned root */
};

/*
 * Read the files, accept the manifest (CU_EAUTH and friends from
 * tee_manifest_verify when fewer than k trusted auditors signed;
 * CU_ENOTFOUND when it has no such role), and make the verifier. Simulated
 * evidence is accepted only when both the manifest and allow_simulation
 * say so. msg receives one line saying why on failure.
 */
int cl_trust_load(const struct cl_trust_config *cfg, struct cl_trust **out, char *msg, size_t msgsz)
    __attribute__((warn_unused_result));
void cl_trust_free(struct cl_trust *t);

/* An rpc_ssl_setup_fn: arg is the struct cl_trust. */
int cl_trust_ssl_setup(void *arg, SSL_CTX *ctx);

/*
 * Explain a failed rpc_call (rc, with the transport's reason) to url: the
 * verifier's verdict when it spoke, else the transport's. Writes one line
 * into msg; returns the error to report (CU_ETLS, the verifier's, CU_EIO...).
 */
int cl_trust_explain(const struct cl_trust *t, const char *url, int rc, const char *reason,
                     char *msg, size_t msgsz);

#endif
