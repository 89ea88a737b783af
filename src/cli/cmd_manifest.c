/* custos manifest: create, sign and verify platform manifests (docs/manifest.md). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "common/encoding.h"
#include "common/err.h"
#include "common/file.h"
#include "common/mem.h"
#include "common/time.h"
#include "crypto/hash.h"
#include "crypto/pkey.h"
#include "tee/manifest.h"

#define KEY_FILE_MAX (64 * 1024)

static const char create_usage[] =
    "create [--role NAME:EXECUTABLE]... [--name NAME] [--tee TYPES] [--allow-simulation]\n"
    "       [--simulation-root ROOT.pem] -o MANIFEST\n"
    "\n"
    "  Write a platform manifest. Each --role accepts, for role NAME, the measurement of\n"
    "  EXECUTABLE as the simulated TEE takes it (SHA-384 of the file's bytes).\n"
    "  --tee TYPES         accepted TEE types, comma-separated (default sgx,tdx,sev-snp)\n"
    "  --allow-simulation  accept simulated evidence (insecure, test only); adds sim\n"
    "  --simulation-root   the simulation root certificate (required with simulation)\n"
    "  --name NAME         the manifest's name (default custos)\n";

static const char sign_usage[] =
    "sign --key KEY -o SIG MANIFEST\n"
    "\n"
    "  Sign the exact bytes of MANIFEST with an Ed25519 or ECDSA P-256\n"
    "  private key (from custos key generate); write the detached\n"
    "  signature file SIG.\n";

static const char verify_usage[] =
    "verify MANIFEST --signature SIG... --auditor PUB... --threshold K [--json]\n"
    "\n"
    "  Accept MANIFEST only when at least K distinct auditors among the trusted public\n"
    "  keys PUB (PEM) signed its exact bytes; print the auditors who signed.\n";

static int read_file(const char *path, size_t max, uint8_t **buf, size_t *len)
{
	int rc = cu_file_read(path, max, buf, len);

	if (rc)
		cli_fail(rc, "cannot read %s", path);
	return rc;
}

static int parse_types(const char *list, unsigned *types)
{
	char buf[64], *save = NULL, *tok;

	*types = 0;
	if (strlen(list) >= sizeof(buf))
		return CU_EFORMAT;
	memcpy(buf, list, strlen(list) + 1);
	for (tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		enum tee_type t = tee_policy_type_from_name(tok);
		if (t == TEE_NONE || t == TEE_SIM)
			return CU_EFORMAT;
		*types |= TEE_TYPE_BIT(t);
	}
	return *types ? 0 : CU_EFORMAT;
}

/* NAME:EXECUTABLE -> a role with the SHA-384 of the executable. */
static int add_role(struct tee_manifest *m, const char *arg, unsigned types, int sim)
{
	const char *colon = strchr(arg, ':');
	char name[TEE_POLICY_ROLE_NAME_MAX + 1];
	uint8_t h[CR_SHA384_LEN];
	struct tee_policy_role *r;
	int rc;

	if (!colon || colon == arg || (size_t)(colon - arg) > TEE_POLICY_ROLE_NAME_MAX)
		return cli_usage_error("--role wants NAME:EXECUTABLE, not '%s'", arg);
	memcpy(name, arg, (size_t)(colon - arg));
	name[colon - arg] = '\0';
	if ((rc = cr_hash_file(CR_SHA384, colon + 1, h)))
		return cli_fail(rc, "cannot measure %s", colon + 1);
	r = NULL;
	for (size_t i = 0; i < m->policy.role_count; i++)
		if (!strcmp(m->policy.roles[i].name, name))
			r = &m->policy.roles[i];
	if (!r && (rc = tee_policy_add_role(&m->policy, name, &r)))
		return cli_fail(rc, "cannot add role '%s'", name);
	r->tee_types = types | (sim ? TEE_TYPE_BIT(TEE_SIM) : 0);
	r->rules.allow_simulation = sim;
	if ((rc = tee_policy_add_measurement(r, h, sizeof(h))))
		return cli_fail(rc, "role '%s'", name);
	return 0;
}

static int sim_root_digest(const char *path, uint8_t out[static 32])
{
	uint8_t *pem = NULL;
	size_t n;
	int rc;

	if ((rc = read_file(path, TEE_MANIFEST_SIM_ROOT_MAX, &pem, &n)))
		return rc;
	if ((rc = tee_manifest_sim_root_digest((char *)pem, n, out)))
		rc = cli_fail(rc, "%s is not a PEM certificate or public key", path);
	free(pem);
	return rc;
}

static int manifest_create(int argc, char **argv)
{
	static const struct option opts[] = {
	    {"role", required_argument, NULL, 'r'},
	    {"name", required_argument, NULL, 'n'},
	    {"tee", required_argument, NULL, 't'},
	    {"allow-simulation", no_argument, NULL, 'S'},
	    {"simulation-root", required_argument, NULL, 'R'},
	    {"output", required_argument, NULL, 'o'},
	    {"help", no_argument, NULL, 'h'},
	    {NULL, 0, NULL, 0},
	};
	const char *roles[TEE_POLICY_MAX_ROLES * 4], *out = NULL, *root = NULL, *name = "custos";
	const char *tees = "sgx,tdx,sev-snp";
	size_t nroles = 0, len;
	int c, reset = 1, sim = 0, rc;
	unsigned types;
	struct tee_manifest *m = calloc(1, sizeof(*m));
	char *doc = NULL;

	if (!m)
		return cli_fail(CU_ENOMEM, "manifest create");
	while ((c = cli_getopt(argc, argv, "o:h", opts, &reset)) != -1) {
		switch (c) {
		case 'r':
			if (nroles == sizeof(roles) / sizeof(roles[0])) {
				rc = cli_usage_error("too many --role options");
				goto out;
			}
			roles[nroles++] = optarg;
			break;
		case 'n':
			name = optarg;
			break;
		case 't':
			tees = optarg;
			break;
		case 'S':
			sim = 1;
			break;
		case 'R':
			root = optarg;
			break;
		case 'o':
			out = optarg;
			break;
		case 'h':
			rc = cli_help(create_usage);
			goto out;
		default:
			rc = cli_usage_error("manifest create: bad option '%s'", argv[optind - 1]);
			goto out;
		}
	}
	rc = CLI_EXIT_USAGE;
	if (optind != argc) {
		rc = cli_usage_error("manifest create: unexpected argument '%s'", argv[optind]);
		goto out;
	}
	if (!out || !nroles || (sim != (root != NULL))) {
		rc = cli_usage_error("manifest create needs -o, at least one --role, and "
		                     "--simulation-root exactly with --allow-simulation");
		goto out;
	}
	if (parse_types(tees, &types)) {
		rc = cli_usage_error("--tee wants a comma-separated list of sgx, tdx, sev-snp");
		goto out;
	}
	m->version = TEE_MANIFEST_VERSION;
	m->created = cu_time_now();
	if (strlen(name) == 0 || strlen(name) > TEE_MANIFEST_NAME_MAX) {
		rc = cli_usage_error("--name must have 1..%d characters", TEE_MANIFEST_NAME_MAX);
		goto out;
	}
	memcpy(m->name, name, strlen(name) + 1);
	for (size_t i = 0; i < nroles; i++)
		if ((rc = add_role(m, roles[i], types, sim)))
			goto out;
	if (root && (rc = sim_root_digest(root, m->sim_root_sha256)))
		goto out;
	m->has_sim_root = root != NULL;
	if ((rc = tee_manifest_to_json(m, &doc, &len)) ||
	    (rc = cu_file_write_atomic(out, doc, len, 0644))) {
		rc = cli_fail(rc, "cannot write %s", out);
		goto out;
	}
	printf("wrote %s (%zu roles%s)\n", out, m->policy.role_count,
	       sim ? "; simulation allowed: INSECURE, for tests only" : "");
	rc = CLI_EXIT_OK;
out:
	free(doc);
	free(m);
	return rc;
}

static int manifest_sign(int argc, char **argv)
{
	static const struct option opts[] = {
	    {"key", required_argument, NULL, 'k'},
	    {"output", required_argument, NULL, 'o'},
	    {"help", no_argument, NULL, 'h'},
	    {NULL, 0, NULL, 0},
	};
	const char *keypath = NULL, *out = NULL;
	uint8_t *key = NULL, *doc = NULL;
	size_t keylen = 0, doclen, siglen;
	char *sig = NULL, reason[TEE_MANIFEST_REASON_LEN];
	EVP_PKEY *k = NULL;
	struct tee_manifest *m = NULL;
	int c, reset = 1, rc;

	while ((c = cli_getopt(argc, argv, "k:o:h", opts, &reset)) != -1) {
		if (c == 'k')
			keypath = optarg;
		else if (c == 'o')
			out = optarg;
		else if (c == 'h')
			return cli_help(sign_usage);
		else
			return cli_usage_error("manifest sign: bad option '%s'", argv[optind - 1]);
	}
	if (!keypath || !out || optind != argc - 1)
		return cli_usage_error("manifest sign needs --key KEY -o SIG MANIFEST");
	if (!(m = malloc(sizeof(*m)))) {
		rc = cli_fail(CU_ENOMEM, "manifest sign");
		goto out;
	}
	if ((rc = read_file(argv[optind], TEE_MANIFEST_MAX_LEN, &doc, &doclen)) ||
	    (rc = read_file(keypath, KEY_FILE_MAX, &key, &keylen)))
		goto out;
	/* An auditor signs only what parses as a manifest. */
	if ((rc = tee_manifest_parse(doc, doclen, m, reason, sizeof(reason)))) {
		rc = cli_fail(0, "%s is not a valid manifest: %s", argv[optind], reason);
		goto out;
	}
	if ((rc = cr_pkey_from_pem(key, keylen, 1, &k)) ||
	    (rc = tee_manifest_sign(doc, doclen, k, &sig, &siglen)) ||
	    (rc = cu_file_write_atomic(out, sig, siglen, 0644))) {
		rc = cli_fail(rc, "cannot sign %s with %s", argv[optind], keypath);
		goto out;
	}
	printf("wrote %s\n", out);
	rc = CLI_EXIT_OK;
out:
	EVP_PKEY_free(k);
	cu_free_secret(key, keylen);
	free(doc);
	free(sig);
	free(m);
	return rc;
}

struct verify_args {
	const char *manifest;
	const char *sigs[TEE_MANIFEST_MAX_SIGS];
	size_t nsigs;
	const char *auditors[TEE_MANIFEST_MAX_AUDITORS];
	size_t nauditors;
	uint64_t k;
	int json;
};

static int verify_parse_args(int argc, char **argv, struct verify_args *a)
{
	static const struct option opts[] = {
	    {"signature", required_argument, NULL, 's'},
	    {"auditor", required_argument, NULL, 'a'},
	    {"threshold", required_argument, NULL, 'k'},
	    {"json", no_argument, NULL, 'j'},
	    {"help", no_argument, NULL, 'h'},
	    {NULL, 0, NULL, 0},
	};
	int c, reset = 1, have_k = 0;

	while ((c = cli_getopt(argc, argv, "s:a:k:h", opts, &reset)) != -1) {
		if (c == 's' && a->nsigs < TEE_MANIFEST_MAX_SIGS)
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
		else if (c == 'j')
			a->json = 1;
		else if (c == 'h')
			return cli_help(verify_usage), -1;
		else
			return cli_usage_error("manifest verify: bad or too many '%s' (threshold "
			                       "1..%d, at most %d signatures and auditors)",
			                       argv[optind - 1], TEE_MANIFEST_MAX_AUDITORS,
			                       TEE_MANIFEST_MAX_SIGS);
	}
	if (optind != argc - 1 || !have_k || !a->nauditors)
		return cli_usage_error("manifest verify needs MANIFEST, --auditor PUB and "
		                       "--threshold K (at least 1)");
	a->manifest = argv[optind];
	return 0;
}

static int print_signers(const struct verify_args *a, const struct tee_manifest *m,
                         const struct tee_manifest_signers *s)
{
	json_t *arr = a->json ? json_array() : NULL;
	char idhex[2 * TEE_MANIFEST_KEY_ID_LEN + 1];

	if (!a->json)
		printf("manifest %s (%s): accepted, signed by %zu of the required %llu auditors\n",
		       a->manifest, m->name, s->count, (unsigned long long)a->k);
	for (size_t i = 0; i < s->count; i++) {
		cu_hex_encode(s->key_id[i], TEE_MANIFEST_KEY_ID_LEN, idhex, sizeof(idhex));
		if (a->json)
			json_array_append_new(arr, json_pack("{s:s,s:s}", "auditor",
			                                     a->auditors[s->trusted_index[i]],
			                                     "key_id", idhex));
		else
			printf("  %s  %s\n", idhex, a->auditors[s->trusted_index[i]]);
	}
	if (a->json)
		return cli_json_out(
		    json_pack("{s:b,s:s,s:o}", "accepted", 1, "name", m->name, "signers", arr));
	return CLI_EXIT_OK;
}

static int load_verify_inputs(const struct verify_args *a, uint8_t **sigbuf,
                              struct tee_manifest_sig *sigs, EVP_PKEY **keys)
{
	uint8_t *pem;
	size_t n;
	int rc;

	for (size_t i = 0; i < a->nsigs; i++) {
		if ((rc = read_file(a->sigs[i], TEE_MANIFEST_SIG_MAX_LEN, &sigbuf[i], &n)))
			return rc;
		sigs[i].data = sigbuf[i];
		sigs[i].len = n;
	}
	for (size_t i = 0; i < a->nauditors; i++) {
		if ((rc = read_file(a->auditors[i], KEY_FILE_MAX, &pem, &n)))
			return rc;
		rc = cr_pkey_from_pem(pem, n, 0, &keys[i]);
		free(pem);
		if (rc)
			return cli_fail(rc, "%s is not a PEM public key", a->auditors[i]);
	}
	return 0;
}

static int manifest_verify(int argc, char **argv)
{
	struct verify_args a;
	uint8_t *sigbuf[TEE_MANIFEST_MAX_SIGS] = {0}, *doc = NULL;
	struct tee_manifest_sig sigs[TEE_MANIFEST_MAX_SIGS];
	EVP_PKEY *keys[TEE_MANIFEST_MAX_AUDITORS] = {0};
	struct tee_manifest_signers who;
	struct tee_manifest *m = malloc(sizeof(*m));
	char reason[TEE_MANIFEST_REASON_LEN];
	size_t doclen;
	int rc;

	memset(&a, 0, sizeof(a));
	if (!m)
		return cli_fail(CU_ENOMEM, "manifest verify");
	if ((rc = verify_parse_args(argc, argv, &a))) {
		rc = rc < 0 ? CLI_EXIT_OK : rc;
		goto out;
	}
	if ((rc = read_file(a.manifest, TEE_MANIFEST_MAX_LEN, &doc, &doclen)) ||
	    (rc = load_verify_inputs(&a, sigbuf, sigs, keys))) {
		rc = CLI_EXIT_FAIL;
		goto out;
	}
	rc = tee_manifest_verify(doc, doclen, sigs, a.nsigs, keys, a.nauditors, a.k, m, &who,
	                         reason, sizeof(reason));
	if (rc) {
		rc = a.json ? cli_json_fail(rc, reason)
		            : cli_fail(0, "manifest %s refused: %s", a.manifest, reason);
		goto out;
	}
	rc = print_signers(&a, m, &who);
out:
	for (size_t i = 0; i < TEE_MANIFEST_MAX_SIGS; i++)
		free(sigbuf[i]);
	for (size_t i = 0; i < TEE_MANIFEST_MAX_AUDITORS; i++)
		EVP_PKEY_free(keys[i]);
	free(doc);
	free(m);
	return rc;
}

int cli_manifest(int argc, char **argv)
{
	static const struct cli_cmd cmds[] = {
	    {"create", manifest_create, create_usage},
	    {"sign", manifest_sign, sign_usage},
	    {"verify", manifest_verify, verify_usage},
	    {NULL, NULL, NULL},
	};
	return cli_dispatch("manifest", cmds, argc, argv);
}
