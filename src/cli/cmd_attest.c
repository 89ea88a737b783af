/*
 * custos attest: verify a running platform against a platform manifest that
 * k of the client's trusted auditors signed (DESIGN.md sections 4 and 5).
 *
 * The manifest is accepted first; its policy, for one role, is what the
 * RA-TLS verifier applies to the certificate the platform presents in the
 * TLS handshake. The platform's /v1/attestation reply must carry that same
 * certificate. What is printed are the claims verified in the handshake,
 * never what the platform says about itself.
 */
#include <openssl/err.h>
#include <openssl/pem.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "client/trust.h"
#include "common/encoding.h"
#include "common/err.h"
#include "common/file.h"
#include "common/time.h"
#include "crypto/hash.h"
#include "crypto/pkey.h"
#include "ratls/ratls.h"
#include "rpc/rpc.h"
#include "tee/manifest.h"

#define MSG_MAX            1024
#define CALL_TIMEOUT_MS    15000
#define CONNECT_TIMEOUT_MS 5000

static const char attest_usage[] =
    "usage: custos attest https://HOST:PORT --manifest M --signature SIG...\n"
    "                     --auditor PUB... --threshold K [--role NAME]\n"
    "                     [--allow-simulation] [--json]\n"
    "\n"
    "  Attest a Custos platform: accept the manifest M only when K distinct auditors\n"
    "  among the trusted public keys PUB signed it (SIG: their signature files), then\n"
    "  connect with attested TLS and accept the platform only when its TEE evidence\n"
    "  satisfies the manifest's policy for role NAME (default control). Prints the\n"
    "  TEE, measurement, TCB status and the auditors who signed.\n"
    "  --allow-simulation  accept simulated evidence (INSECURE, tests only) if the\n"
    "                      manifest allows it too; without it, it is always refused\n";

struct attest_args {
	const char *url;
	const char *manifest;
	const char *sigs[TEE_MANIFEST_MAX_SIGS];
	size_t nsigs;
	const char *auditors[TEE_MANIFEST_MAX_AUDITORS];
	size_t nauditors;
	uint64_t k;
	const char *role;
	int allow_sim;
	int json;
};

/* What the run holds; freed by state_free. */
struct attest_state {
	struct cl_trust *trust; /* the accepted manifest and the verifier of its policy */
	struct ratls_peer peer;
	json_t *reply;
};

/* Replace control characters (a peer's text may hold some) so the reason stays one line. */
static void one_line(char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			*s = ' ';
}

/* Report a failure: one line on stderr (and the JSON error on stdout with --json). */
__attribute__((format(printf, 3, 4))) static int fail(const struct attest_args *a, int err,
                                                      const char *fmt, ...)
{
	char msg[MSG_MAX];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	one_line(msg);
	if (a->json)
		return cli_json_fail(err ? err : CU_EAUTH, msg);
	return cli_fail(0, "%s", msg);
}

static int parse_args(int argc, char **argv, struct attest_args *a)
{
	static const struct option opts[] = {
	    {"manifest", required_argument, NULL, 'm'},
	    {"signature", required_argument, NULL, 's'},
	    {"auditor", required_argument, NULL, 'a'},
	    {"threshold", required_argument, NULL, 'k'},
	    {"role", required_argument, NULL, 'r'},
	    {"allow-simulation", no_argument, NULL, 'S'},
	    {"json", no_argument, NULL, 'j'},
	    {"help", no_argument, NULL, 'h'},
	    {NULL, 0, NULL, 0},
	};
	int c, reset = 1, have_k = 0;

	a->role = "control";
	while ((c = cli_getopt(argc, argv, "h", opts, &reset)) != -1) {
		if (c == 'm')
			a->manifest = optarg;
		else if (c == 's' && a->nsigs < TEE_MANIFEST_MAX_SIGS)
			a->sigs[a->nsigs++] = optarg;
		else if (c == 'a' && a->nauditors < TEE_MANIFEST_MAX_AUDITORS)
			a->auditors[a->nauditors++] = optarg;
		else if (c == 'k' && !cli_parse_u64(optarg, 1, TEE_MANIFEST_MAX_AUDITORS, &a->k))
			have_k = 1;
		else if (c == 'k')
			return cli_usage_error(
			    "--threshold wants 1..%d distinct auditors, not '%s' "
			    "(a manifest is never accepted unsigned)",
			    TEE_MANIFEST_MAX_AUDITORS, optarg);
		else if (c == 'r')
			a->role = optarg;
		else if (c == 'S')
			a->allow_sim = 1;
		else if (c == 'j')
			a->json = 1;
		else if (c == 'h')
			return cli_help(attest_usage), -1;
		else
			return cli_usage_error(
			    "attest: bad or too many '%s' (at most %d signatures "
			    "and auditors)",
			    argv[optind - 1], TEE_MANIFEST_MAX_SIGS);
	}
	if (optind != argc - 1 || !a->manifest || !have_k || !a->nauditors)
		return cli_usage_error("attest needs the platform's https:// URL, --manifest M, "
		                       "--auditor PUB and --threshold K");
	a->url = argv[optind];
	if (strncmp(a->url, "https://", 8) || !a->url[8])
		return cli_usage_error("attest wants an https://HOST:PORT URL, not '%s'", a->url);
	return 0;
}

/* Accept the manifest (k of n trusted auditors) and make the verifier of its policy. */
static int load_trust(const struct attest_args *a, struct attest_state *st)
{
	struct cl_trust_config cfg = {.manifest = a->manifest,
	                              .signatures = a->sigs,
	                              .nsignatures = a->nsigs,
	                              .auditors = a->auditors,
	                              .nauditors = a->nauditors,
	                              .threshold = a->k,
	                              .role = a->role,
	                              .allow_simulation = a->allow_sim};
	char msg[CL_TRUST_MSG_MAX];
	int rc = cl_trust_load(&cfg, &st->trust, msg, sizeof(msg));

	return rc ? fail(a, rc, "%s", msg) : 0;
}

/* A failed call: the verifier's verdict when it spoke, else the transport's reason. */
static int call_failed(const struct attest_args *a, const struct attest_state *st, int rc,
                       const char *reason)
{
	char msg[CL_TRUST_MSG_MAX];

	rc = cl_trust_explain(st->trust, a->url, rc, reason, msg, sizeof(msg));
	return fail(a, rc, "%s", msg);
}

static int fetch(const struct attest_args *a, struct attest_state *st)
{
	struct rpc_client_options o = {.base_url = a->url,
	                               .ssl_setup = cl_trust_ssl_setup,
	                               .ssl_arg = st->trust,
	                               .timeout_ms = CALL_TIMEOUT_MS,
	                               .connect_timeout_ms = CONNECT_TIMEOUT_MS};
	struct rpc_client *c = NULL;
	char reason[RPC_REASON_LEN], text[RPC_REASON_LEN];
	long status = 0;
	int rc;

	if ((rc = rpc_client_new(&o, &c)))
		return fail(a, rc, "cannot connect to %s: %s", a->url, cu_strerror(rc));
	rc = rpc_call(c, "GET", "/v1/attestation", NULL, &status, &st->reply, reason,
	              sizeof(reason));
	rpc_client_free(c);
	if (rc)
		return call_failed(a, st, rc, reason);
	if (status != 200)
		return fail(a, CU_ENET, "platform %s answered /v1/attestation with %s", a->url,
		            rpc_error_text(status, st->reply, text, sizeof(text)));
	if ((rc = ratls_verifier_last(st->trust->verifier, &st->peer, reason, sizeof(reason))))
		return fail(a, CU_ETLS, "platform %s: no verified certificate", a->url);
	return 0;
}

/* SHA-256 of the DER of the PEM certificate in s. */
static int pem_cert_sha256(const char *s, uint8_t out[static 32])
{
	BIO *b = BIO_new_mem_buf(s, -1);
	X509 *x = b ? PEM_read_bio_X509(b, NULL, NULL, NULL) : NULL;
	unsigned char *der = NULL;
	int n = x ? i2d_X509(x, &der) : -1, rc;

	rc = n > 0 && n <= RATLS_CERT_MAX ? cr_sha256(der, (size_t)n, out) : CU_EFORMAT;
	OPENSSL_free(der);
	X509_free(x);
	BIO_free(b);
	ERR_clear_error();
	return rc;
}

/* The certificate the platform reports must be the one verified in the handshake. */
static int check_reply(const struct attest_args *a, struct attest_state *st)
{
	const json_t *cert = json_object_get(st->reply, "certificate");
	uint8_t h[32];

	if (!json_is_string(cert) || json_string_length(cert) > 2 * RATLS_CERT_MAX ||
	    pem_cert_sha256(json_string_value(cert), h))
		return fail(a, CU_EFORMAT, "platform %s: the reply has no PEM certificate", a->url);
	if (memcmp(h, st->peer.cert_sha256, sizeof(h)))
		return fail(a, CU_EAUTH,
		            "platform %s refused: the certificate in its reply is not the one "
		            "verified in the TLS handshake",
		            a->url);
	return 0;
}

static json_t *auditors_json(const struct attest_args *a, const struct tee_manifest_signers *s)
{
	char id[2 * TEE_MANIFEST_KEY_ID_LEN + 1];
	json_t *arr = json_array();

	for (size_t i = 0; arr && i < s->count; i++) {
		if (cu_hex_encode(s->key_id[i], TEE_MANIFEST_KEY_ID_LEN, id, sizeof(id)) ||
		    json_array_append_new(arr, json_pack("{s:s,s:s}", "key_id", id, "file",
		                                         a->auditors[s->trusted_index[i]]))) {
			json_decref(arr);
			return NULL;
		}
	}
	return arr;
}

static int print_json(const struct attest_args *a, const struct attest_state *st,
                      const char *measurement, const char *cert_hash, const char *until)
{
	const struct tee_claims *c = &st->peer.claims;
	json_t *aud = auditors_json(a, &st->trust->signers);

	if (!aud)
		return cli_fail(CU_ENOMEM, "attest");
	return cli_json_out(json_pack(
	    "{s:s,s:b,s:s,s:s,s:b,s:b,s:s,s:s,s:s,s:s,s:{s:s,s:s,s:I},s:o}", "platform", a->url,
	    "accepted", 1, "tee", tee_type_name(c->type), "measurement", measurement, "simulated",
	    c->simulated, "debug", c->debug, "tcb_status", tee_tcb_status_name(c->tcb_status),
	    "role", st->peer.role, "certificate_sha256", cert_hash, "not_after", until, "manifest",
	    "file", a->manifest, "name", st->trust->manifest.name, "threshold", (json_int_t)a->k,
	    "auditors", aud));
}

static int print_text(const struct attest_args *a, const struct attest_state *st,
                      const char *measurement, const char *cert_hash, const char *until)
{
	const struct tee_claims *c = &st->peer.claims;
	char id[2 * TEE_MANIFEST_KEY_ID_LEN + 1];

	printf("platform %s: attested\n", a->url);
	if (c->simulated)
		printf("  WARNING: SIMULATED — INSECURE: the evidence comes from custos-simtee; "
		       "never trust this platform with data\n");
	printf("  tee:          %s%s%s\n", tee_type_name(c->type),
	       c->simulated ? " (SIMULATED — INSECURE)" : "", c->debug ? " (DEBUG)" : "");
	printf("  measurement:  %s\n", measurement);
	printf("  tcb status:   %s\n", tee_tcb_status_name(c->tcb_status));
	printf("  role:         %s\n", st->peer.role);
	printf("  certificate:  sha256 %s, valid until %s\n", cert_hash, until);
	printf("  manifest:     %s (%s), signed by %zu of the required %llu auditors:\n",
	       a->manifest, st->trust->manifest.name, st->trust->signers.count,
	       (unsigned long long)a->k);
	for (size_t i = 0; i < st->trust->signers.count; i++) {
		const struct tee_manifest_signers *sg = &st->trust->signers;
		(void)cu_hex_encode(sg->key_id[i], TEE_MANIFEST_KEY_ID_LEN, id, sizeof(id));
		printf("    %s  %s\n", id, a->auditors[sg->trusted_index[i]]);
	}
	return fflush(stdout) == 0 ? CLI_EXIT_OK : CLI_EXIT_FAIL;
}

static int report(const struct attest_args *a, const struct attest_state *st)
{
	const struct tee_claims *c = &st->peer.claims;
	char m[2 * TEE_MEASUREMENT_MAX + 1] = "", h[65], until[32] = "";

	if (cu_hex_encode(c->measurement, c->measurement_len, m, sizeof(m)) ||
	    cu_hex_encode(st->peer.cert_sha256, 32, h, sizeof(h)) ||
	    cu_time_format(st->peer.not_after, until, sizeof(until)))
		return cli_fail(CU_EFORMAT, "attest: cannot format the verified claims");
	if (a->json)
		return print_json(a, st, m, h, until);
	return print_text(a, st, m, h, until);
}

static void state_free(struct attest_state *st)
{
	cl_trust_free(st->trust);
	json_decref(st->reply);
	free(st);
}

int cli_attest(int argc, char **argv)
{
	struct attest_args a;
	struct attest_state *st;
	int rc;

	memset(&a, 0, sizeof(a));
	if ((rc = parse_args(argc, argv, &a)))
		return rc < 0 ? CLI_EXIT_OK : rc;
	if (!(st = calloc(1, sizeof(*st))))
		return cli_fail(CU_ENOMEM, "attest");
	if (!(rc = load_trust(&a, st)) && !(rc = fetch(&a, st)) && !(rc = check_reply(&a, st)))
		rc = report(&a, st);
	state_free(st);
	return rc;
}
