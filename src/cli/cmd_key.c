/* custos key: generate data-file keys and signature key pairs. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/cli.h"
#include "common/encoding.h"
#include "common/err.h"
#include "common/file.h"
#include "common/mem.h"
#include "crypto/hash.h"
#include "crypto/pkey.h"
#include "efile/keyfile.h"

static const char key_generate_usage[] =
    "generate [--algorithm ALG] [--key-hex HEX] [--id ID] [--force] [--json] -o KEYFILE\n"
    "\n"
    "  Write a new key. ALG is one of:\n"
    "    custos       (default) a 256-bit key for the Custos file format\n"
    "    aes-gcm-128  a 128-bit key for Teaclave's aes-gcm-128 files\n"
    "    aes-gcm-256  a 256-bit key for Teaclave's aes-gcm-256 files\n"
    "    ed25519, ecdsa-p256  a signature key pair: the private key (PEM, mode 0600)\n"
    "                 goes to KEYFILE, the public key to KEYFILE.pub\n"
    "  --key-hex HEX  import this key instead of making a random one (data keys only)\n"
    "  --id ID        a label stored in the key file\n"
    "  --force        overwrite KEYFILE if it exists\n";

/* Write a signature key pair: KEY (private, 0600) and KEY.pub. */
static int generate_pair(enum cr_key_type t, const char *path, int force, int json)
{
	EVP_PKEY *k = NULL;
	char *priv = NULL, *pub = NULL, *pubpath = NULL, idhex[65];
	uint8_t *spki = NULL, id[CR_SHA256_LEN];
	size_t privlen = 0, publen, spkilen;
	int rc;

	if (!force && access(path, F_OK) == 0)
		return cli_fail(0, "%s exists (use --force to overwrite)", path);
	if (asprintf(&pubpath, "%s.pub", path) < 0)
		return cli_fail(CU_ENOMEM, "key generate");
	if ((rc = cr_pkey_generate(t, &k)) || (rc = cr_pkey_to_pem(k, 1, &priv, &privlen)) ||
	    (rc = cr_pkey_to_pem(k, 0, &pub, &publen)) ||
	    (rc = cr_pkey_spki_der(k, &spki, &spkilen)) || (rc = cr_sha256(spki, spkilen, id))) {
		rc = cli_fail(rc, "cannot generate a %s key", cr_key_type_name(t));
		goto out;
	}
	if ((rc = cu_file_write_atomic(path, priv, privlen, 0600)) ||
	    (rc = cu_file_write_atomic(pubpath, pub, publen, 0644))) {
		rc = cli_fail(rc, "cannot write %s", path);
		goto out;
	}
	cu_hex_encode(id, sizeof(id), idhex, sizeof(idhex));
	if (json)
		rc = cli_json_out(json_pack("{s:s,s:s,s:s,s:s}", "algorithm", cr_key_type_name(t),
		                            "private_key", path, "public_key", pubpath, "key_id",
		                            idhex));
	else
		printf("wrote %s (private, %s) and %s\nkey id (SHA-256 of the public key): %s\n",
		       path, cr_key_type_name(t), pubpath, idhex);
out:
	cu_free_secret(priv, privlen);
	free(pub);
	free(pubpath);
	free(spki);
	EVP_PKEY_free(k);
	return rc;
}

static int generate_data_key(enum ef_format f, const char *hex, const char *id, const char *path,
                             int force, int json)
{
	struct ef_key k;
	int rc = hex ? ef_key_from_hex(f, hex, id, &k) : ef_key_generate(f, id, &k);

	if (rc == CU_EKEY)
		return cli_fail(0, "--key-hex must be %zu hex digits for %s",
		                2 * ef_format_key_len(f), ef_format_name(f));
	if (rc)
		return cli_fail(rc, "cannot make the key");
	rc = ef_key_save(&k, path, force);
	ef_key_wipe(&k);
	if (rc == CU_EEXISTS)
		return cli_fail(0, "%s exists (use --force to overwrite)", path);
	if (rc)
		return cli_fail(rc, "cannot write %s", path);
	if (json)
		return cli_json_out(
		    json_pack("{s:s,s:s}", "algorithm", ef_format_name(f), "path", path));
	printf("wrote %s (%s key, mode 0600)\n", path, ef_format_name(f));
	return CLI_EXIT_OK;
}

static int key_generate(int argc, char **argv)
{
	static const struct option opts[] = {
	    {"algorithm", required_argument, NULL, 'a'},
	    {"key-hex", required_argument, NULL, 'k'},
	    {"id", required_argument, NULL, 'I'},
	    {"output", required_argument, NULL, 'o'},
	    {"force", no_argument, NULL, 'f'},
	    {"json", no_argument, NULL, 'j'},
	    {"help", no_argument, NULL, 'h'},
	    {NULL, 0, NULL, 0},
	};
	const char *alg = "custos", *hex = NULL, *id = NULL, *out = NULL;
	int c, reset = 1, force = 0, json = 0;
	enum ef_format f;
	enum cr_key_type t;

	while ((c = cli_getopt(argc, argv, "a:o:fh", opts, &reset)) != -1) {
		switch (c) {
		case 'a':
			alg = optarg;
			break;
		case 'k':
			hex = optarg;
			break;
		case 'I':
			id = optarg;
			break;
		case 'o':
			out = optarg;
			break;
		case 'f':
			force = 1;
			break;
		case 'j':
			json = 1;
			break;
		case 'h':
			return cli_help(key_generate_usage);
		default:
			return cli_usage_error("key generate: bad option '%s'", argv[optind - 1]);
		}
	}
	if (optind != argc)
		return cli_usage_error("key generate: unexpected argument '%s'", argv[optind]);
	if (!out)
		return cli_usage_error("key generate: -o KEYFILE is required");
	if ((t = cr_key_type_from_name(alg)) == CR_KEY_ED25519 || t == CR_KEY_P256) {
		if (hex)
			return cli_usage_error("--key-hex applies to data keys only");
		return generate_pair(t, out, force, json);
	}
	if (!(f = ef_format_from_name(alg)))
		return cli_usage_error("unknown algorithm '%s'", alg);
	return generate_data_key(f, hex, id, out, force, json);
}

int cli_key(int argc, char **argv)
{
	static const struct cli_cmd cmds[] = {
	    {"generate", key_generate, key_generate_usage},
	    {NULL, NULL, NULL},
	};
	return cli_dispatch("key", cmds, argc, argv);
}
