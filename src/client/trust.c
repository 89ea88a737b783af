/*
 * trust.c - accept a platform manifest with k of n trusted auditor
 * signatures (DESIGN.md section 4) and make the RA-TLS verifier of its
 * policy (section 5). The verifier is what every connection of a client is
 * checked with; nothing is sent before it accepted the platform.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "client/trust.h"
#include "common/err.h"
#include "common/file.h"
#include "crypto/pkey.h"

#define KEY_FILE_MAX (64 * 1024)

/* What loading holds until the manifest is accepted. */
struct trust_files {
	uint8_t *doc;
	size_t doclen;
	uint8_t *sigbuf[TEE_MANIFEST_MAX_SIGS];
	struct tee_manifest_sig sigs[TEE_MANIFEST_MAX_SIGS];
	EVP_PKEY *keys[TEE_MANIFEST_MAX_AUDITORS];
};

/* Replace control characters (a peer's text may hold some) so the message stays one line. */
static void one_line(char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			*s = ' ';
}

__attribute__((format(printf, 4, 5))) static int say(char *msg, size_t msgsz, int rc,
                                                     const char *fmt, ...)
{
	va_list ap;

	if (msg && msgsz) {
		va_start(ap, fmt);
		vsnprintf(msg, msgsz, fmt, ap);
		va_end(ap);
		one_line(msg);
	}
	return rc;
}

static void files_free(struct trust_files *f)
{
	for (size_t i = 0; i < TEE_MANIFEST_MAX_SIGS; i++)
		free(f->sigbuf[i]);
	for (size_t i = 0; i < TEE_MANIFEST_MAX_AUDITORS; i++)
		EVP_PKEY_free(f->keys[i]);
	free(f->doc);
}

static int read_one(const char *path, size_t max, uint8_t **buf, size_t *len, char *msg,
                    size_t msgsz)
{
	int rc = cu_file_read(path, max, buf, len);

	if (rc == CU_ENOTFOUND)
		return say(msg, msgsz, CU_EIO, "cannot read %s: no such file", path);
	if (rc == CU_ELIMIT)
		return say(msg, msgsz, CU_ELIMIT, "cannot read %s: over %zu bytes", path, max);
	if (rc)
		return say(msg, msgsz, CU_EIO, "cannot read %s: %s", path, cu_strerror(rc));
	return 0;
}

static int load_files(const struct cl_trust_config *cfg, struct trust_files *f, char *msg,
                      size_t msgsz)
{
	uint8_t *pem;
	size_t n;
	int rc;

	if ((rc = read_one(cfg->manifest, TEE_MANIFEST_MAX_LEN, &f->doc, &f->doclen, msg, msgsz)))
		return rc;
	for (size_t i = 0; i < cfg->nsignatures; i++) {
		if ((rc = read_one(cfg->signatures[i], TEE_MANIFEST_SIG_MAX_LEN, &f->sigbuf[i], &n,
		                   msg, msgsz)))
			return rc;
		f->sigs[i] = (struct tee_manifest_sig){.data = f->sigbuf[i], .len = n};
	}
	for (size_t i = 0; i < cfg->nauditors; i++) {
		if ((rc = read_one(cfg->auditors[i], KEY_FILE_MAX, &pem, &n, msg, msgsz)))
			return rc;
		rc = cr_pkey_from_pem(pem, n, 0, &f->keys[i]);
		free(pem);
		if (rc)
			return say(msg, msgsz, CU_EINVAL, "%s is not a PEM public key",
			           cfg->auditors[i]);
	}
	return 0;
}

static int check_config(const struct cl_trust_config *cfg, const char *role, char *msg,
                        size_t msgsz)
{
	if (!cfg->manifest || !*cfg->manifest)
		return say(msg, msgsz, CU_EINVAL, "no manifest given");
	if (!cfg->nauditors || !cfg->auditors)
		return say(msg, msgsz, CU_EINVAL, "no trusted auditor key given");
	if (cfg->nsignatures && !cfg->signatures)
		return say(msg, msgsz, CU_EINVAL, "signature paths missing");
	if (cfg->nsignatures > TEE_MANIFEST_MAX_SIGS || cfg->nauditors > TEE_MANIFEST_MAX_AUDITORS)
		return say(msg, msgsz, CU_ELIMIT, "at most %d signatures and %d auditor keys",
		           TEE_MANIFEST_MAX_SIGS, TEE_MANIFEST_MAX_AUDITORS);
	if (cfg->threshold < 1 || cfg->threshold > cfg->nauditors)
		return say(msg, msgsz, CU_EINVAL,
		           "the threshold must be 1..%zu (the number of trusted auditors), not "
		           "%llu: a manifest is never accepted unsigned",
		           cfg->nauditors, (unsigned long long)cfg->threshold);
	if (strlen(role) > TEE_POLICY_ROLE_NAME_MAX)
		return say(msg, msgsz, CU_ELIMIT, "role name too long");
	if (strlen(cfg->manifest) >= sizeof(((struct cl_trust *)0)->manifest_path))
		return say(msg, msgsz, CU_ELIMIT, "manifest path too long");
	return 0;
}

static int accept_manifest(const struct cl_trust_config *cfg, struct trust_files *f,
                           struct cl_trust *t, char *msg, size_t msgsz)
{
	char why[TEE_MANIFEST_REASON_LEN];
	const struct tee_policy_role *r;
	int rc;

	rc = tee_manifest_verify(f->doc, f->doclen, f->sigs, cfg->nsignatures, f->keys,
	                         cfg->nauditors, cfg->threshold, &t->manifest, &t->signers, why,
	                         sizeof(why));
	if (rc)
		return say(msg, msgsz, rc, "manifest %s refused: %s", cfg->manifest, why);
	if (!(r = tee_policy_find_role(&t->manifest.policy, t->role)))
		return say(msg, msgsz, CU_ENOTFOUND, "manifest %s has no role '%s'", cfg->manifest,
		           t->role);
	t->manifest_allows_sim = r->rules.allow_simulation && t->manifest.has_sim_root;
	return 0;
}

/*
 * The verifier: the manifest's policy for our role. Simulated evidence
 * needs both sides: the manifest allows it (and pins its root), and this
 * client allows it. Otherwise the policy is copied with simulation
 * cleared for every role and no root is pinned.
 */
static int make_verifier(struct cl_trust *t, char *msg, size_t msgsz)
{
	struct ratls_verifier_options o = {.policy = &t->policy, .nroles = 1};
	int rc;

	t->policy = t->manifest.policy;
	if (!t->allow_simulation)
		for (size_t i = 0; i < t->policy.role_count; i++)
			t->policy.roles[i].rules.allow_simulation = 0;
	if (t->allow_simulation && t->manifest_allows_sim) {
		o.trust.has_sim_root = 1;
		memcpy(o.trust.sim_root_sha256, t->manifest.sim_root_sha256, 32);
	}
	o.roles[0] = t->role;
	o.cache_entries = 16;
	if ((rc = ratls_verifier_new(&o, &t->verifier)))
		return say(msg, msgsz, rc, "cannot make the verifier: %s", cu_strerror(rc));
	return 0;
}

int cl_trust_load(const struct cl_trust_config *cfg, struct cl_trust **out, char *msg, size_t msgsz)
{
	const char *role = cfg && cfg->role ? cfg->role : "control";
	struct trust_files f;
	struct cl_trust *t;
	int rc;

	*out = NULL;
	if (!cfg)
		return say(msg, msgsz, CU_EINVAL, "no trust configuration");
	if ((rc = check_config(cfg, role, msg, msgsz)))
		return rc;
	if (!(t = calloc(1, sizeof(*t))))
		return say(msg, msgsz, CU_ENOMEM, "out of memory");
	memset(&f, 0, sizeof(f));
	strcpy(t->role, role);                   /* length checked above */
	strcpy(t->manifest_path, cfg->manifest); /* length checked above */
	t->allow_simulation = !!cfg->allow_simulation;
	if (!(rc = load_files(cfg, &f, msg, msgsz)) &&
	    !(rc = accept_manifest(cfg, &f, t, msg, msgsz)))
		rc = make_verifier(t, msg, msgsz);
	files_free(&f);
	if (rc) {
		cl_trust_free(t);
		return rc;
	}
	*out = t;
	return 0;
}

void cl_trust_free(struct cl_trust *t)
{
	if (!t)
		return;
	ratls_verifier_free(t->verifier);
	free(t);
}

int cl_trust_ssl_setup(void *arg, SSL_CTX *ctx)
{
	struct cl_trust *t = arg;

	return ratls_client_ctx_setup(ctx, t->verifier, NULL);
}

/* Which side refused simulated evidence, when that is why the platform was refused. */
static const char *sim_note(const struct cl_trust *t, int vrc, const char *why)
{
	if (vrc != CU_EUNTRUSTED || !strstr(why, "simulated"))
		return "";
	if (!t->allow_simulation)
		return "; it presents simulated evidence (INSECURE), which this client refuses "
		       "without --allow-simulation";
	if (!t->manifest_allows_sim)
		return "; it presents simulated evidence, which the manifest does not allow for "
		       "this role";
	return "";
}

int cl_trust_explain(const struct cl_trust *t, const char *url, int rc, const char *reason,
                     char *msg, size_t msgsz)
{
	char why[RATLS_REASON_LEN];
	int vrc;

	if (rc == CU_ETLS) {
		vrc = ratls_verifier_last(t->verifier, NULL, why, sizeof(why));
		if (vrc == CU_ESTATE)
			return say(msg, msgsz, rc,
			           "platform %s: TLS handshake failed before any certificate was "
			           "verified: %s",
			           url, reason);
		if (vrc == 0) /* the peer was accepted: the failure came after */
			return say(msg, msgsz, rc, "platform %s: %s", url, reason);
		return say(msg, msgsz, vrc, "platform %s refused: %s%s", url, why,
		           sim_note(t, vrc, why));
	}
	if (rc == CU_EIO)
		return say(msg, msgsz, rc, "cannot reach %s: %s", url, reason);
	return say(msg, msgsz, rc, "platform %s: %s", url, reason);
}
