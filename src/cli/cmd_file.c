/* custos file: encrypt, decrypt and inspect data files. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli/cli.h"
#include "cli/platform_cmd.h"
#include "common/encoding.h"
#include "common/err.h"
#include "common/file.h"
#include "common/mem.h"
#include "crypto/hash.h"
#include "crypto/rand.h"
#include "efile/efile.h"
#include "efile/keyfile.h"

static const char encrypt_usage[] =
    "encrypt --key KEYFILE -i IN -o OUT [--iv HEX] [--chunk-size N] [--json]\n"
    "\n"
    "  Encrypt IN ('-' for standard input) into OUT with the key in KEYFILE, in the\n"
    "  key's format, and print the content digest (SHA-256 of OUT). For aes-gcm keys\n"
    "  a random 12-byte IV is used unless --iv gives one; the IV and the tag are printed.\n"
    "  A regular OUT appears only when the whole file was written. OUT may also be a\n"
    "  pipe, a device or '-' (standard output; the digest then goes to stderr).\n";

static const char decrypt_usage[] =
    "decrypt --key KEYFILE -i IN -o OUT [--iv HEX] [--json]\n"
    "\n"
    "  Decrypt IN into OUT. A regular OUT appears only when the whole file\n"
    "  authenticates. To a stream (a pipe, a device, '-'), Custos-format chunks are\n"
    "  written as each authenticates, and a failure means: discard the output.\n"
    "  aes-gcm files need the IV they were encrypted with (--iv).\n";

static const char inspect_usage[] = "inspect FILE [--json]\n"
                                    "\n"
                                    "  Describe an encrypted file without a key.\n";

struct file_opts {
	const char *key, *in, *out, *iv_hex;
	uint64_t chunk;
	int json;
};

static int parse_file_opts(int argc, char **argv, const char *usage, struct file_opts *o)
{
	static const struct option opts[] = {
	    {"key", required_argument, NULL, 'k'},
	    {"input", required_argument, NULL, 'i'},
	    {"output", required_argument, NULL, 'o'},
	    {"iv", required_argument, NULL, 'v'},
	    {"chunk-size", required_argument, NULL, 'c'},
	    {"json", no_argument, NULL, 'j'},
	    {"help", no_argument, NULL, 'h'},
	    {NULL, 0, NULL, 0},
	};
	int c, reset = 1;

	memset(o, 0, sizeof(*o));
	while ((c = cli_getopt(argc, argv, "k:i:o:h", opts, &reset)) != -1) {
		switch (c) {
		case 'k':
			o->key = optarg;
			break;
		case 'i':
			o->in = optarg;
			break;
		case 'o':
			o->out = optarg;
			break;
		case 'v':
			o->iv_hex = optarg;
			break;
		case 'j':
			o->json = 1;
			break;
		case 'c':
			if (cli_parse_u64(optarg, EF_MIN_CHUNK, EF_MAX_CHUNK, &o->chunk))
				return cli_usage_error("--chunk-size must be %u..%u", EF_MIN_CHUNK,
				                       EF_MAX_CHUNK);
			break;
		case 'h':
			return cli_help(usage) - 1; /* -1: stop, exit 0 */
		default:
			return cli_usage_error("bad option '%s'", argv[optind - 1]);
		}
	}
	if (optind != argc)
		return cli_usage_error("unexpected argument '%s'", argv[optind]);
	if (!o->key || !o->in || !o->out)
		return cli_usage_error("--key, -i and -o are required");
	if (o->json && !strcmp(o->out, "-"))
		return cli_usage_error("--json and -o - both want standard output");
	return 0;
}

/* A sentence for each way decryption can fail. */
static const char *decrypt_reason(int rc)
{
	switch (rc) {
	case CU_EAUTH:
		return "authentication failed: wrong key, or the file was tampered with";
	case CU_ETRUNC:
		return "the file is truncated";
	case CU_EFORMAT:
		return "not a Custos encrypted file, or its header is corrupt";
	case CU_EUNSUPPORTED:
		return "the file uses a version or algorithm this build does not know";
	default:
		return cu_strerror(rc);
	}
}

static void on_progress(void *arg, uint64_t done)
{
	cli_progress_update(arg, done);
}

static int open_input(const char *path, uint64_t *size)
{
	struct stat st;
	int fd = strcmp(path, "-") ? open(path, O_RDONLY | O_CLOEXEC) : dup(STDIN_FILENO);

	*size = 0;
	if (fd >= 0 && fstat(fd, &st) == 0 && S_ISREG(st.st_mode))
		*size = (uint64_t)st.st_size;
	if (fd >= 0 && fstat(fd, &st) == 0 && S_ISDIR(st.st_mode)) {
		close(fd);
		errno = EISDIR;
		return -1;
	}
	return fd;
}

/*
 * Where output goes. A regular file (or a new path) is written to a
 * temporary beside it and renamed over it only on success. A device, a pipe
 * or "-" (standard output) cannot be replaced that way: it is written to as
 * the work goes, which for decryption is safe only in the Custos format,
 * whose chunks are each authenticated before they are written.
 */
struct output {
	struct cu_afile af;
	int fd;
	int streamed;
};

static int output_open(struct output *out, const char *path)
{
	struct stat st;

	memset(out, 0, sizeof(*out));
	out->fd = -1;
	if (!strcmp(path, "-")) {
		out->streamed = 1;
		out->fd = STDOUT_FILENO;
		return 0;
	}
	if (stat(path, &st) == 0 && !S_ISREG(st.st_mode)) {
		if (S_ISDIR(st.st_mode)) {
			errno = EISDIR;
			return -1;
		}
		out->streamed = 1;
		out->fd = open(path, O_WRONLY | O_CLOEXEC);
		return out->fd < 0 ? -1 : 0;
	}
	if (cu_afile_open(&out->af, path, 0600))
		return -1;
	out->fd = out->af.fd;
	return 0;
}

static int output_close(struct output *out, int ok)
{
	if (out->streamed) {
		if (out->fd != STDOUT_FILENO)
			close(out->fd);
		return 0;
	}
	if (!ok) {
		cu_afile_abort(&out->af);
		return 0;
	}
	return cu_afile_commit(&out->af);
}

/* Run an encryption or decryption from o->in to o->out. */
static int run_crypt(const struct file_opts *o, const struct ef_key *k, const uint8_t *iv,
                     int encrypt, uint8_t digest[EF_DIGEST_LEN], uint8_t tag[EF_TAG_LEN])
{
	struct cli_progress prog;
	struct ef_io_opts io = {(uint32_t)o->chunk, on_progress, &prog};
	struct output out;
	uint64_t size;
	int in, rc;

	if ((in = open_input(o->in, &size)) < 0)
		return cli_fail(0, "cannot read %s: %s", o->in, strerror(errno));
	if (output_open(&out, o->out) != 0) {
		close(in);
		return cli_fail(0, "cannot create %s: %s", o->out, strerror(errno));
	}
	if (out.streamed && !encrypt && k->format != EF_FORMAT_CUSTOS) {
		close(in);
		output_close(&out, 0);
		return cli_fail(0,
		                "%s files authenticate only at their end: decrypt them to a "
		                "regular file, not to a stream",
		                ef_format_name(k->format));
	}
	cli_progress_init(&prog, encrypt ? "encrypting" : "decrypting", size);
	if (encrypt)
		rc = ef_encrypt_fd(k->format, k->key, k->key_len, iv, in, out.fd, &io, digest, tag);
	else
		rc = ef_decrypt_fd(k->format, k->key, k->key_len, iv, in, out.fd, &io);
	cli_progress_done(&prog);
	close(in);
	if (rc) {
		output_close(&out, 0);
		if (encrypt)
			return cli_fail(rc, "cannot encrypt %s", o->in);
		return cli_fail(0, "cannot decrypt %s: %s; %s", o->in, decrypt_reason(rc),
		                out.streamed ? "discard what was written" : "nothing was written");
	}
	if ((rc = output_close(&out, 1)))
		return cli_fail(rc, "cannot write %s", o->out);
	return CLI_EXIT_OK;
}

/* Load the key, and the IV for aes-gcm formats (generated when encrypting without --iv). */
static int load_key_iv(const struct file_opts *o, int encrypt, struct ef_key *k,
                       uint8_t iv[EF_TEACLAVE_IV_LEN])
{
	int rc = ef_key_load(o->key, k);

	if (rc)
		return cli_fail(0, "cannot use key file %s: %s", o->key, cu_strerror(rc));
	if (k->format == EF_FORMAT_CUSTOS) {
		if (o->iv_hex)
			return cli_usage_error("--iv applies to aes-gcm keys only: the Custos "
			                       "format makes its own nonces");
		return 0;
	}
	if (o->chunk)
		return cli_usage_error("--chunk-size applies to the Custos format only");
	if (o->iv_hex) {
		if (cli_parse_hex(o->iv_hex, iv, EF_TEACLAVE_IV_LEN))
			return cli_usage_error("--iv must be 24 hex digits");
		return 0;
	}
	if (!encrypt)
		return cli_usage_error("decrypting an %s file needs --iv",
		                       ef_format_name(k->format));
	return cr_random(iv, EF_TEACLAVE_IV_LEN) ? cli_fail(CU_ECRYPTO, "no random IV") : 0;
}

static int print_encrypt_result(const struct file_opts *o, const struct ef_key *k,
                                const uint8_t *iv, const uint8_t *digest, const uint8_t *tag)
{
	char dhex[2 * EF_DIGEST_LEN + 1], ivhex[2 * EF_TEACLAVE_IV_LEN + 1],
	    thex[2 * EF_TAG_LEN + 1];
	int tc = k->format != EF_FORMAT_CUSTOS;
	json_t *j;

	cu_hex_encode(digest, EF_DIGEST_LEN, dhex, sizeof(dhex));
	if (tc) {
		cu_hex_encode(iv, EF_TEACLAVE_IV_LEN, ivhex, sizeof(ivhex));
		cu_hex_encode(tag, EF_TAG_LEN, thex, sizeof(thex));
	}
	if (!o->json) {
		/* With the data on standard output, the result goes to stderr. */
		FILE *f = strcmp(o->out, "-") ? stdout : stderr;
		fprintf(f, "digest: %s\n", dhex);
		if (tc)
			fprintf(f, "iv: %s\ntag: %s\n", ivhex, thex);
		return CLI_EXIT_OK;
	}

	j = json_pack("{s:s,s:s,s:s}", "format", ef_format_name(k->format), "path", o->out,
	              "digest", dhex);
	if (j && tc) {
		json_object_set_new(j, "iv", json_string(ivhex));
		json_object_set_new(j, "tag", json_string(thex));
	}
	return cli_json_out(j);
}

static int file_encrypt(int argc, char **argv)
{
	struct file_opts o;
	struct ef_key k;
	uint8_t iv[EF_TEACLAVE_IV_LEN] = {0}, digest[EF_DIGEST_LEN], tag[EF_TAG_LEN];
	int rc = parse_file_opts(argc, argv, encrypt_usage, &o);

	if (rc)
		return rc < 0 ? CLI_EXIT_OK : rc;
	if (!(rc = load_key_iv(&o, 1, &k, iv)) && !(rc = run_crypt(&o, &k, iv, 1, digest, tag)))
		rc = print_encrypt_result(&o, &k, iv, digest, tag);
	ef_key_wipe(&k);
	return rc;
}

static int file_decrypt(int argc, char **argv)
{
	struct file_opts o;
	struct ef_key k;
	uint8_t iv[EF_TEACLAVE_IV_LEN] = {0};
	int rc = parse_file_opts(argc, argv, decrypt_usage, &o);

	if (rc)
		return rc < 0 ? CLI_EXIT_OK : rc;
	if (!(rc = load_key_iv(&o, 0, &k, iv)) && !(rc = run_crypt(&o, &k, iv, 0, NULL, NULL))) {
		if (o.json)
			rc = cli_json_out(json_pack("{s:s,s:s}", "format", ef_format_name(k.format),
			                            "path", o.out));
		else if (strcmp(o.out, "-"))
			printf("decrypted %s to %s\n", o.in, o.out);
	}
	ef_key_wipe(&k);
	return rc;
}

static int file_inspect(int argc, char **argv)
{
	static const struct option opts[] = {
	    {"json", no_argument, NULL, 'j'}, {"help", no_argument, NULL, 'h'}, {NULL, 0, NULL, 0}};
	uint8_t hdr[EF_HEADER_LEN], digest[EF_DIGEST_LEN];
	char dhex[2 * EF_DIGEST_LEN + 1], salthex[2 * EF_SALT_LEN + 1];
	struct ef_header h;
	int c, reset = 1, json = 0, fd, rc;
	uint64_t size, body, rec, chunks, last, plain;
	size_t got;
	const char *path, *problem = NULL;

	while ((c = cli_getopt(argc, argv, "h", opts, &reset)) != -1) {
		if (c == 'j')
			json = 1;
		else if (c == 'h')
			return cli_help(inspect_usage);
		else
			return cli_usage_error("bad option '%s'", argv[optind - 1]);
	}
	if (optind != argc - 1)
		return cli_usage_error("file inspect takes one FILE");
	path = argv[optind];
	if ((fd = open_input(path, &size)) < 0)
		return cli_fail(0, "cannot read %s: %s", path, strerror(errno));
	rc = cu_read_full(fd, hdr, sizeof(hdr), &got);
	close(fd);
	if (rc || (rc = cr_hash_file(CR_SHA256, path, digest)))
		return cli_fail(rc, "cannot read %s", path);
	cu_hex_encode(digest, sizeof(digest), dhex, sizeof(dhex));
	if (ef_detect(hdr, got) != EF_FORMAT_CUSTOS) {
		if (json)
			return cli_json_out(json_pack("{s:s,s:s,s:I,s:s}", "path", path, "format",
			                              "unknown", "size", (json_int_t)size, "digest",
			                              dhex));
		printf("%s: not a Custos encrypted file (no header)\n"
		       "  it may be a Teaclave aes-gcm file: ciphertext then a 16-byte tag,\n"
		       "  with the IV kept elsewhere\n  size: %llu bytes\n  digest: %s\n",
		       path, (unsigned long long)size, dhex);
		return CLI_EXIT_OK;
	}
	if ((rc = ef_header_parse(hdr, got, &h)))
		return cli_fail(0, "%s: %s", path, decrypt_reason(rc));
	rec = (uint64_t)h.chunk_size + EF_TAG_LEN;
	body = size - EF_HEADER_LEN;
	chunks = body ? (body + rec - 1) / rec : 0;
	last = body - (chunks ? chunks - 1 : 0) * rec;
	if (chunks == 0 || last < EF_TAG_LEN)
		problem = "truncated: the last chunk is shorter than its tag";
	plain = problem ? 0 : body - chunks * EF_TAG_LEN;
	cu_hex_encode(h.salt, sizeof(h.salt), salthex, sizeof(salthex));
	if (json) {
		json_t *j = json_pack("{s:s,s:s,s:i,s:s,s:I,s:s,s:I,s:I,s:I,s:s}", "path", path,
		                      "format", "custos", "version", h.version, "algorithm",
		                      "AES-256-GCM, HKDF-SHA256 file key, STREAM chunks",
		                      "chunk_size", (json_int_t)h.chunk_size, "salt", salthex,
		                      "size", (json_int_t)size, "chunks", (json_int_t)chunks,
		                      "plaintext_size", (json_int_t)plain, "digest", dhex);
		if (j)
			json_object_set_new(j, "problem",
			                    problem ? json_string(problem) : json_null());
		return cli_json_out(j);
	}
	printf("%s: Custos encrypted file, version %u\n  algorithm: AES-256-GCM, HKDF-SHA256 "
	       "file key, STREAM chunks\n  chunk size: %u bytes\n  salt: %s\n  size: %llu bytes in "
	       "%llu chunks\n  plaintext: %llu bytes\n  digest: %s\n",
	       path, h.version, h.chunk_size, salthex, (unsigned long long)size,
	       (unsigned long long)chunks, (unsigned long long)plain, dhex);
	if (problem)
		printf("  problem: %s\n", problem);
	return CLI_EXIT_OK;
}

int cli_file(int argc, char **argv)
{
	static const struct cli_cmd cmds[] = {
	    {"encrypt", file_encrypt, encrypt_usage},
	    {"decrypt", file_decrypt, decrypt_usage},
	    {"inspect", file_inspect, inspect_usage},
	    /* the platform's (cmd_filereg.c) */
	    {"register-input", cli_file_register_input, cli_file_register_input_usage},
	    {"register-output", cli_file_register_output, cli_file_register_output_usage},
	    {"register-fusion", cli_file_register_fusion, cli_file_register_fusion_usage},
	    {"register-from-output", cli_file_register_from_output,
	     cli_file_register_from_output_usage},
	    {"upload", cli_file_upload, cli_file_upload_usage},
	    {"get", cli_file_get, cli_file_get_usage},
	    {"list", cli_file_list, cli_file_list_usage},
	    {NULL, NULL, NULL},
	};
	return cli_dispatch("file", cmds, argc, argv);
}
