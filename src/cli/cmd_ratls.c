/*
 * custos ratls: inspect attested-TLS (RA-TLS) certificates made by Custos,
 * Gramine, the Intel SGX SDK or rats-tls.
 */
#include <openssl/pem.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "common/encoding.h"
#include "common/err.h"
#include "common/file.h"
#include "common/time.h"
#include "ratls/ratls.h"
#include "tee/manifest.h"

static const char inspect_usage[] =
    "inspect CERT [--sim-root FILE] [--at RFC3339] [--json]\n"
    "\n"
    "  Verify the TEE evidence of an RA-TLS certificate (PEM or DER): the evidence\n"
    "  (an Intel quote to the Intel root, without collateral: TCB status unknown;\n"
    "  an SEV-SNP report with the VCEK it carries; simulated evidence only with\n"
    "  --sim-root, the root.pem of custos-simtee), its binding of the certificate's\n"
    "  key, and the certificate's validity at --at (default: the clock). Exit 0\n"
    "  only when all three hold. No policy is applied.\n";

/* PEM if it says so, else DER; X509 from either. */
static X509 *load_cert(const uint8_t *buf, size_t n)
{
	const unsigned char *p = buf;
	X509 *x = NULL;
	BIO *b;

	if (n >= 11 && memmem(buf, n, "-----BEGIN", 10)) {
		if ((b = BIO_new_mem_buf(buf, (int)n))) {
			x = PEM_read_bio_X509(b, NULL, NULL, NULL);
			BIO_free(b);
		}
		return x;
	}
	return d2i_X509(NULL, &p, (long)n);
}

static json_t *hex_or_null(const uint8_t *p, size_t n)
{
	char hex[2 * 64 + 1];

	if (!n || n > 64 || cu_hex_encode(p, n, hex, sizeof(hex)))
		return json_null();
	return json_string(hex);
}

static json_t *ext_names(unsigned exts)
{
	json_t *a = json_array();

	for (unsigned i = 0; a && i < RATLS_EXT_COUNT; i++)
		if (exts & (1u << i))
			json_array_append_new(
			    a, json_string(ratls_ext_name((enum ratls_ext)(1u << i))));
	return a ? a : json_array();
}

static int report(const char *path, const struct ratls_info *in, int rc, int json)
{
	const struct tee_claims *c = &in->claims;

	if (rc)
		cli_fail(rc, "certificate %s refused: %s", path, in->reason);
	if (!json) {
		if (!rc)
			printf("certificate %s: accepted (%s%s%s, key bound, TCB status %s)\n",
			       path, tee_type_name(c->type), c->debug ? ", DEBUG" : "",
			       c->simulated ? ", SIMULATED: INSECURE" : "",
			       tee_tcb_status_name(c->tcb_status));
		return rc ? CLI_EXIT_FAIL : CLI_EXIT_OK;
	}
	cli_json_out(
	    json_pack("{s:s,s:b,s:b,s:b,s:o,s:o,s:o,s:o,s:o,s:o}", "tee", tee_type_name(c->type),
	              "authentic", in->authentic, "key_bound", in->key_bound, "time_valid",
	              in->time_valid, "debug", in->authentic ? json_boolean(c->debug) : json_null(),
	              "measurement", hex_or_null(c->measurement, c->measurement_len), "signer",
	              hex_or_null(c->signer, c->signer_len), "tcb_status",
	              in->authentic ? json_string(tee_tcb_status_name(c->tcb_status)) : json_null(),
	              "extensions", ext_names(in->extensions), "error",
	              rc ? json_string(in->reason) : json_null()));
	return rc ? CLI_EXIT_FAIL : CLI_EXIT_OK;
}

/* Trust the simulated root in path (PEM), pinned by its SHA-256 as a manifest pins it. */
static int pin_sim_root(const char *path, struct ratls_trust *t)
{
	uint8_t *pem = NULL;
	size_t n = 0;
	int rc;

	if ((rc = cu_file_read(path, TEE_MANIFEST_SIM_ROOT_MAX, &pem, &n)))
		return cli_fail(rc, "cannot read %s", path);
	if ((rc = tee_manifest_sim_root_digest((const char *)pem, n, t->sim_root_sha256)))
		rc = cli_fail(rc, "%s: not a PEM certificate", path);
	t->has_sim_root = !rc;
	free(pem);
	return rc;
}

static int ratls_inspect(int argc, char **argv)
{
	static const struct option opts[] = {
	    {"at", required_argument, NULL, 'a'},
	    {"sim-root", required_argument, NULL, 'S'},
	    {"json", no_argument, NULL, 'j'},
	    {"help", no_argument, NULL, 'h'},
	    {NULL, 0, NULL, 0},
	};
	struct ratls_info *info = NULL;
	const char *at = NULL, *sim_root = NULL;
	struct ratls_trust trust = {0};
	int64_t now = cu_time_now();
	int c, reset = 1, json = 0, rc;
	uint8_t *buf = NULL;
	size_t n;
	X509 *x = NULL;

	while ((c = cli_getopt(argc, argv, "h", opts, &reset)) != -1) {
		if (c == 'a')
			at = optarg;
		else if (c == 'S')
			sim_root = optarg;
		else if (c == 'j')
			json = 1;
		else if (c == 'h')
			return cli_help(inspect_usage);
		else
			return cli_usage_error("ratls inspect: bad option '%s'", argv[optind - 1]);
	}
	if (optind + 1 != argc)
		return cli_usage_error("ratls inspect needs one CERT");
	if (at && cu_time_parse(at, &now))
		return cli_usage_error("--at wants an RFC 3339 time, not '%s'", at);
	if (sim_root && (rc = pin_sim_root(sim_root, &trust)))
		return rc;
	if ((rc = cu_file_read(argv[optind], 2 * RATLS_CERT_MAX, &buf, &n)))
		return cli_fail(rc, "cannot read %s", argv[optind]);
	if (!(x = load_cert(buf, n))) {
		rc = json ? cli_json_fail(CU_EFORMAT, "not a PEM or DER X.509 certificate")
		          : cli_fail(CU_EFORMAT, "%s: not a PEM or DER X.509 certificate",
		                     argv[optind]);
	} else if (!(info = malloc(sizeof(*info)))) {
		rc = cli_fail(CU_ENOMEM, "ratls inspect");
	} else {
		rc = report(argv[optind], info, ratls_cert_inspect(x, now, &trust, info), json);
	}
	free(info);
	X509_free(x);
	free(buf);
	return rc;
}

int cli_ratls(int argc, char **argv)
{
	static const struct cli_cmd cmds[] = {
	    {"inspect", ratls_inspect, inspect_usage},
	    {NULL, NULL, NULL},
	};
	return cli_dispatch("ratls", cmds, argc, argv);
}
