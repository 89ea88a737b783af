/*
 * custos evidence: verify and decode TEE evidence (SEV-SNP reports, Intel
 * DCAP quotes, simulated evidence). The type is recognised from the bytes;
 * hex text is accepted.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "common/encoding.h"
#include "common/err.h"
#include "common/file.h"
#include "common/time.h"
#include "tee/dcap.h"
#include "tee/policy.h"
#include "tee/sim.h"
#include "tee/snp.h"

#define EVIDENCE_MAX (2 * DCAP_QUOTE_MAX + 64) /* hex text of the largest quote */
#define REASON_LEN   512

static const char verify_usage[] =
    "verify --evidence FILE [--collateral FILE] [--vcek FILE] [--chain FILE]\n"
    "       [--sim-root FILE] [--at RFC3339] [--policy FILE [--role NAME]] [--json]\n"
    "\n"
    "  Verify evidence (binary or hex): an Intel DCAP quote (SGX, TDX) with optional\n"
    "  collateral JSON, or an AMD SEV-SNP report with its VCEK/VLEK (--vcek, DER or\n"
    "  PEM) and ASK/ARK chain (--chain, PEM), or simulated evidence (INSECURE, from\n"
    "  custos-simtee) with the simulated root certificate (--sim-root, required).\n"
    "  --at pins \"now\" (default: the clock).\n"
    "  With --policy the claims must be accepted by --role (or, without it, by any\n"
    "  role of the policy). Exit 0 only when everything holds.\n";

static const char show_usage[] = "show FILE\n"
                                 "\n"
                                 "  Decode every field of the evidence in FILE (binary or hex).\n";

enum ev_kind { EV_UNKNOWN, EV_SNP, EV_DCAP, EV_SIM };

struct ev_opts {
	const char *evidence, *collateral, *vcek, *chain, *sim_root, *policy, *role;
	int64_t now;
	int json;
};

struct ev_result {
	struct tee_claims claims;
	int authentic;
	int have_collateral;
	int rc;
	const char *tee; /* the type recognised from the bytes, until the claims say */
	char reason[REASON_LEN];
	char role[TEE_POLICY_ROLE_NAME_MAX + 1];
};

/* Hex text (with whitespace) is decoded in place; binary is left alone. */
static void maybe_unhex(uint8_t *buf, size_t *len)
{
	size_t n = 0, out;

	for (size_t i = 0; i < *len; i++) {
		if (isspace(buf[i]))
			continue;
		if (!isxdigit(buf[i]))
			return;
		buf[n++] = buf[i];
	}
	if (n && !cu_hex_decode((char *)buf, n, buf, n, &out))
		*len = out;
}

/* The TEE a piece of evidence names, before it is verified. */
static const char *kind_tee(enum ev_kind kind, const uint8_t *b, size_t n)
{
	switch (kind) {
	case EV_SNP:
		return "sev-snp";
	case EV_SIM:
		return "sim";
	case EV_DCAP:
		return n >= 8 && b[4] == (DCAP_TEE_TDX & 0xff) ? "tdx" : "sgx";
	default:
		return "none";
	}
}

static enum ev_kind recognise(const uint8_t *b, size_t n)
{
	uint32_t v32 =
	    n >= 4 ? (uint32_t)(b[0] | b[1] << 8) | (uint32_t)(b[2] | b[3] << 8) << 16 : 0;
	uint16_t ver = n >= 4 ? (uint16_t)(b[0] | b[1] << 8) : 0;
	uint16_t key = n >= 4 ? (uint16_t)(b[2] | b[3] << 8) : 0;

	if (n >= SIM_MAGIC_LEN && !memcmp(b, SIM_MAGIC, SIM_MAGIC_LEN))
		return EV_SIM;
	if (n == SNP_REPORT_LEN && v32 >= SNP_REPORT_VERSION_MIN && v32 <= SNP_REPORT_VERSION_MAX &&
	    b[0x34] == 1)
		return EV_SNP;
	if ((ver == 3 || ver == 4 || ver == 5) && key == 2)
		return EV_DCAP;
	return EV_UNKNOWN;
}

static int load_evidence(const char *path, uint8_t **buf, size_t *len, enum ev_kind *kind)
{
	int rc = cu_file_read(path, EVIDENCE_MAX, buf, len);

	if (rc)
		return cli_fail(rc, "cannot read %s", path);
	maybe_unhex(*buf, len);
	*kind = recognise(*buf, *len);
	return 0;
}

static int verify_snp(const uint8_t *ev, size_t n, const struct ev_opts *o, struct ev_result *r)
{
	uint8_t *leaf = NULL, *chain = NULL;
	size_t leaflen = 0, chainlen = 0;
	struct snp_certs certs;

	if (!o->vcek || !o->chain) {
		snprintf(r->reason, sizeof(r->reason),
		         "an SEV-SNP report needs --vcek and --chain to be verified");
		return CU_EINVAL;
	}
	if ((r->rc = cu_file_read(o->vcek, SNP_CERT_MAX, &leaf, &leaflen)) ||
	    (r->rc = cu_file_read(o->chain, SNP_CHAIN_MAX, &chain, &chainlen))) {
		snprintf(r->reason, sizeof(r->reason), "cannot read --vcek or --chain");
	} else {
		certs = (struct snp_certs){leaf, leaflen, chain, chainlen};
		r->have_collateral = 1;
		r->rc = snp_verify(ev, n, &certs, o->now, &r->claims, NULL, r->reason,
		                   sizeof(r->reason));
	}
	free(leaf);
	free(chain);
	return r->rc;
}

/* Simulated evidence: only against the root the caller names, never one of its own. */
static int verify_sim(const uint8_t *ev, size_t n, const struct ev_opts *o, struct ev_result *r)
{
	uint8_t *root = NULL;
	size_t rootlen = 0;

	if (!o->sim_root) {
		snprintf(r->reason, sizeof(r->reason),
		         "simulated evidence needs --sim-root (the root.pem of custos-simtee)");
		return r->rc = CU_EINVAL;
	}
	if ((r->rc = cu_file_read(o->sim_root, SIM_ROOT_MAX, &root, &rootlen))) {
		snprintf(r->reason, sizeof(r->reason), "cannot read %s", o->sim_root);
		return r->rc;
	}
	r->have_collateral = 1;
	r->rc = sim_verify(ev, n, root, rootlen, o->now, &r->claims, r->reason, sizeof(r->reason));
	free(root);
	return r->rc;
}

static int verify_dcap(const uint8_t *ev, size_t n, const struct ev_opts *o, struct ev_result *r)
{
	struct dcap_collateral *col = NULL;
	struct dcap_result res;
	uint8_t *cj = NULL;
	size_t cjlen;

	memset(&res, 0, sizeof(res));
	if (o->collateral) {
		if ((r->rc = cu_file_read(o->collateral, DCAP_COLLATERAL_MAX, &cj, &cjlen))) {
			snprintf(r->reason, sizeof(r->reason), "cannot read %s", o->collateral);
			goto out;
		}
		if ((r->rc = dcap_collateral_parse(cj, cjlen, &col, &res)))
			goto out;
		r->have_collateral = 1;
	}
	r->rc = dcap_verify(ev, n, col, o->now, &r->claims, &res);
out:
	if (r->rc && !r->reason[0])
		snprintf(r->reason, sizeof(r->reason), "%s", res.reason);
	dcap_collateral_free(col);
	free(cj);
	return r->rc;
}

static int apply_policy(const struct ev_opts *o, struct ev_result *r)
{
	struct tee_policy *p = malloc(sizeof(*p));
	uint8_t *doc = NULL;
	size_t n;
	int rc;

	if (!p)
		return CU_ENOMEM;
	if ((rc = cu_file_read(o->policy, TEE_POLICY_JSON_MAX, &doc, &n))) {
		snprintf(r->reason, sizeof(r->reason), "cannot read %s", o->policy);
	} else if (!(rc = tee_policy_from_json(doc, n, p, r->reason, sizeof(r->reason)))) {
		if (o->role) {
			rc = tee_policy_check(p, o->role, &r->claims, r->reason, sizeof(r->reason));
			snprintf(r->role, sizeof(r->role), "%s", o->role);
		} else {
			rc = CU_EPOLICY;
			for (size_t i = 0; rc && i < p->role_count; i++) {
				rc = tee_policy_check(p, p->roles[i].name, &r->claims, r->reason,
				                      sizeof(r->reason));
				if (!rc)
					snprintf(r->role, sizeof(r->role), "%s", p->roles[i].name);
			}
		}
	}
	free(doc);
	free(p);
	return rc;
}

static json_t *hex_or_null(const uint8_t *p, size_t n)
{
	char hex[2 * 64 + 1];

	if (!n || n > 64 || cu_hex_encode(p, n, hex, sizeof(hex)))
		return json_null();
	return json_string(hex);
}

static int report(const struct ev_opts *o, const struct ev_result *r, int ok)
{
	const struct tee_claims *c = &r->claims;
	const char *tee = c->type != TEE_NONE ? tee_type_name(c->type) : r->tee;
	json_t *adv, *out;

	/* The reason of a refusal is one line on stderr, with or without --json. */
	if (!ok)
		cli_fail(r->rc, "evidence %s refused: %s", o->evidence, r->reason);
	if (!o->json) {
		if (ok)
			printf("evidence %s: accepted (%s, TCB %s%s%s)%s\n", o->evidence, tee,
			       tee_tcb_status_name(c->tcb_status), r->role[0] ? ", role " : "",
			       r->role,
			       c->simulated ? "; SIMULATED evidence: INSECURE, for tests only"
			                    : "");
		return ok ? CLI_EXIT_OK : CLI_EXIT_FAIL;
	}
	adv = json_array();
	for (size_t i = 0; adv && i < c->advisory_count && i < TEE_MAX_ADVISORIES; i++)
		json_array_append_new(adv, json_string(c->advisories[i]));
	out = json_pack("{s:s,s:b,s:o,s:o,s:b,s:o,s:o,s:o,s:o,s:o}", "tee", tee, "authentic",
	                r->authentic, "tcb_status",
	                r->have_collateral && c->type != TEE_NONE
	                    ? json_string(tee_tcb_status_name(c->tcb_status))
	                    : json_null(),
	                "advisories", adv ? adv : json_array(), "debug", c->debug, "measurement",
	                hex_or_null(c->measurement, c->measurement_len), "signer",
	                hex_or_null(c->signer, c->signer_len), "report_data",
	                c->type != TEE_NONE ? hex_or_null(c->report_data, sizeof(c->report_data))
	                                    : json_null(),
	                "role", r->role[0] ? json_string(r->role) : json_null(), "error",
	                ok ? json_null() : json_string(r->reason));
	cli_json_out(out);
	return ok ? CLI_EXIT_OK : CLI_EXIT_FAIL;
}

static int parse_verify_opts(int argc, char **argv, struct ev_opts *o)
{
	static const struct option opts[] = {
	    {"evidence", required_argument, NULL, 'e'},
	    {"collateral", required_argument, NULL, 'c'},
	    {"vcek", required_argument, NULL, 'v'},
	    {"chain", required_argument, NULL, 'C'},
	    {"sim-root", required_argument, NULL, 'S'},
	    {"at", required_argument, NULL, 'a'},
	    {"policy", required_argument, NULL, 'p'},
	    {"role", required_argument, NULL, 'r'},
	    {"json", no_argument, NULL, 'j'},
	    {"help", no_argument, NULL, 'h'},
	    {NULL, 0, NULL, 0},
	};
	const char *at = NULL;
	int c, reset = 1;

	memset(o, 0, sizeof(*o));
	while ((c = cli_getopt(argc, argv, "e:h", opts, &reset)) != -1) {
		switch (c) {
		case 'e':
			o->evidence = optarg;
			break;
		case 'c':
			o->collateral = optarg;
			break;
		case 'v':
			o->vcek = optarg;
			break;
		case 'C':
			o->chain = optarg;
			break;
		case 'S':
			o->sim_root = optarg;
			break;
		case 'a':
			at = optarg;
			break;
		case 'p':
			o->policy = optarg;
			break;
		case 'r':
			o->role = optarg;
			break;
		case 'j':
			o->json = 1;
			break;
		case 'h':
			cli_help(verify_usage);
			return -1;
		default:
			return cli_usage_error("evidence verify: bad option '%s'",
			                       argv[optind - 1]);
		}
	}
	if (optind != argc || !o->evidence)
		return cli_usage_error(
		    "evidence verify needs --evidence FILE and no other argument");
	o->now = cu_time_now();
	if (at && cu_time_parse(at, &o->now))
		return cli_usage_error("--at wants an RFC 3339 time, not '%s'", at);
	return 0;
}

static int evidence_verify(int argc, char **argv)
{
	struct ev_opts o;
	struct ev_result *r = calloc(1, sizeof(*r));
	uint8_t *ev = NULL;
	size_t n;
	enum ev_kind kind;
	int rc;

	if (!r)
		return cli_fail(CU_ENOMEM, "evidence verify");
	if ((rc = parse_verify_opts(argc, argv, &o))) {
		rc = rc < 0 ? CLI_EXIT_OK : rc;
		goto out;
	}
	if ((rc = load_evidence(o.evidence, &ev, &n, &kind)))
		goto out;
	r->tee = kind_tee(kind, ev, n);
	if (kind == EV_SNP)
		r->rc = verify_snp(ev, n, &o, r);
	else if (kind == EV_DCAP)
		r->rc = verify_dcap(ev, n, &o, r);
	else if (kind == EV_SIM)
		r->rc = verify_sim(ev, n, &o, r);
	else {
		snprintf(r->reason, sizeof(r->reason),
		         "unrecognised evidence: not a DCAP quote, an SEV-SNP report or "
		         "simulated evidence");
		r->rc = CU_EUNSUPPORTED;
	}
	/*
	 * A DCAP verifier reports "no TCB level matches" only after every
	 * signature and chain checked out: the evidence is authentic, the
	 * platform is not acceptable.
	 */
	r->authentic = r->rc == 0 || r->rc == CU_ETCB;
	if (!r->rc && o.policy)
		r->rc = apply_policy(&o, r);
	rc = report(&o, r, r->rc == 0);
out:
	free(ev);
	free(r);
	return rc;
}

static int print_field(void *arg, const char *name, const char *value)
{
	(void)arg;
	printf("%-36s %s\n", name, value);
	return 0;
}

/* Simulated evidence, decoded without verifying it, and said to be insecure. */
static int show_sim(const char *path, const uint8_t *ev, size_t n, struct sim_evidence **sim)
{
	int rc;

	if (!(*sim = malloc(sizeof(**sim))))
		return cli_fail(CU_ENOMEM, "evidence show");
	if ((rc = sim_evidence_parse(ev, n, *sim)))
		return cli_fail(rc, "%s: simulated evidence that does not parse", path);
	printf("%-36s %s\n", "tee", "sim (INSECURE simulation: proves nothing about hardware)");
	return sim_evidence_show(*sim, print_field, NULL);
}

static int evidence_show(int argc, char **argv)
{
	uint8_t *ev = NULL;
	size_t n;
	enum ev_kind kind;
	struct snp_report rep;
	struct dcap_quote *q = NULL;
	struct sim_evidence *sim = NULL;
	char reason[SNP_REASON_LEN];
	int rc;

	if (argc == 2 && (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")))
		return cli_help(show_usage);
	if (argc != 2)
		return cli_usage_error("evidence show needs one FILE");
	if ((rc = load_evidence(argv[1], &ev, &n, &kind)))
		return rc;
	if (kind == EV_SNP && !(rc = snp_report_parse(ev, n, &rep, reason, sizeof(reason)))) {
		printf("%-36s %s\n", "tee", "sev-snp");
		rc = snp_report_show(&rep, SNP_PRODUCT_UNKNOWN, print_field, NULL);
	} else if (kind == EV_SNP) {
		rc = cli_fail(rc, "%s: %s", argv[1], reason);
	} else if (kind == EV_SIM) {
		rc = show_sim(argv[1], ev, n, &sim);
	} else if (kind == EV_DCAP && !(rc = dcap_quote_parse(ev, n, &q))) {
		printf("%-36s %s\n", "tee", q->hdr.tee_type == DCAP_TEE_TDX ? "tdx" : "sgx");
		rc = dcap_quote_show(q, print_field, NULL);
	} else {
		rc = cli_fail(
		    kind == EV_DCAP ? rc : CU_EUNSUPPORTED,
		    "%s: not a DCAP quote, SEV-SNP report or simulated evidence that parses",
		    argv[1]);
	}
	free(sim);
	dcap_quote_free(q);
	free(ev);
	return rc ? CLI_EXIT_FAIL : CLI_EXIT_OK;
}

int cli_evidence(int argc, char **argv)
{
	static const struct cli_cmd cmds[] = {
	    {"verify", evidence_verify, verify_usage},
	    {"show", evidence_show, show_usage},
	    {NULL, NULL, NULL},
	};
	return cli_dispatch("evidence", cmds, argc, argv);
}
