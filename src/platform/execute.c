/*
 * execute.c - run one task's function for real: fetch each assigned input
 * from its (untrusted) location, check its digest and decrypt it inside the
 * TEE (src/worker/fetch.h); run the builtin in a sandboxed child
 * (src/worker/sandbox.h); encrypt each output under its owners' key with a
 * fresh nonce and put it at its location, or, for a fusion output, keep the
 * ciphertext sealed in the store. The caller (worker.c) records the result
 * and the outputs' digests when the task ends.
 *
 * Plaintext never leaves this process but into the sandbox's child; every
 * plaintext and key buffer is wiped when released.
 */
#include <openssl/crypto.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/encoding.h"
#include "common/err.h"
#include "common/mem.h"
#include "crypto/hash.h"
#include "functions/functions.h"
#include "platform/execute_int.h"
#include "platform/platform_int.h"
#include "store/store.h"
#include "worker/fetch.h"
#include "worker/sandbox.h"
#include "worker/wasm_exec.h"

#define SLOTS_MAX PLAT_LIST_MAX

static const char *jstr(const json_t *o, const char *key)
{
	return json_string_value(json_object_get(o, key));
}

/* The crypto of a file record into c (key decoded, iv when aes-gcm). */
static int crypto_of(const json_t *file, struct fa_crypto *c, struct plat_error *err)
{
	const json_t *cr = json_object_get(file, "crypto");
	const char *key = jstr(cr, "key"), *iv = jstr(cr, "iv");
	size_t n = 0;

	memset(c, 0, sizeof(*c));
	c->format = ef_format_from_name(jstr(cr, "schema"));
	if (!c->format || !key ||
	    cu_b64_decode(key, strlen(key), c->key, sizeof(c->key), &n, CU_B64_STD) ||
	    n != ef_format_key_len(c->format) ||
	    (c->format != EF_FORMAT_CUSTOS && (!iv || cu_hex_decode_exact(iv, c->iv, 12)))) {
		cu_wipe(c, sizeof(*c));
		return plat_fail(err, CU_EFORMAT, "the crypto of file %.80s is unusable",
		                 jstr(file, "id"));
	}
	c->key_len = n;
	return 0;
}

/* A fusion output's ciphertext is kept sealed in the store, under its file id. */
static int fusion_get(struct platform *p, const json_t *file, const uint8_t digest[32],
                      const struct fa_crypto *c, uint8_t **plain, size_t *len,
                      struct plat_error *err)
{
	uint8_t *ct = NULL, md[32];
	size_t n = 0;
	int rc;

	if ((rc = st_get(p->st, PLAT_T_FUSION, jstr(file, "id"), &ct, &n, NULL)))
		return plat_fail(err, rc, "the fusion file %.80s holds nothing", jstr(file, "id"));
	if ((rc = cr_sha256(ct, n, md)) || !cu_ct_eq(md, digest, 32))
		rc = plat_fail(err, CU_EAUTH, "the fusion file %.80s is not the one written",
		               jstr(file, "id"));
	else if ((rc = ef_decrypt_buf(c->format, c->key, c->key_len, c->iv, ct, n, FA_SIZE_DEFAULT,
	                              plain, len)))
		rc = plat_fail(err, CU_EAUTH, "the fusion file %.80s does not decrypt",
		               jstr(file, "id"));
	free(ct);
	return rc;
}

/* Fetch, check and decrypt the input file of one slot. */
static int load_input(struct platform *p, const char *fid, uint8_t **plain, size_t *len,
                      struct plat_error *err)
{
	json_t *file = NULL;
	struct fa_crypto c;
	uint8_t digest[32];
	char why[FA_REASON_MAX];
	const char *url;
	int rc;

	if ((rc = plat_file_get(p, fid, &file, NULL)))
		return plat_fail(err, rc, "the input file %.80s is gone", fid);
	url = jstr(file, "url");
	if (!jstr(file, "digest") || cu_hex_decode_exact(jstr(file, "digest"), digest, 32))
		rc = plat_fail(err, CU_ESTATE, "the input file %.80s has no content yet", fid);
	else if (!(rc = crypto_of(file, &c, err))) {
		if (url && !strncmp(url, "fusion://", 9))
			rc = fusion_get(p, file, digest, &c, plain, len, err);
		else if ((rc = fa_get_decrypted(url, digest, &c, NULL, plain, len, why,
		                                sizeof(why))))
			plat_fail(err, rc, "input %.80s: %s", fid, why);
		cu_wipe(&c, sizeof(c));
	}
	plat_file_release(file);
	return rc;
}

/* Encrypt and put one output; its digest (and fresh iv) into the outputs list. */
static int store_output(struct platform *p, const char *name, const char *fid,
                        const struct fn_output *o, json_t *written, struct plat_error *err)
{
	json_t *file = NULL, *w;
	struct fa_crypto c;
	uint8_t digest[32], *ct = NULL;
	char hex[65], ivhex[25], why[FA_REASON_MAX];
	const char *url;
	size_t n = 0;
	int rc;

	if ((rc = plat_file_get(p, fid, &file, NULL)))
		return plat_fail(err, rc, "the output file %.80s is gone", fid);
	url = jstr(file, "url");
	if ((rc = crypto_of(file, &c, err)))
		goto out;
	if (url && !strncmp(url, "fusion://", 9)) {
		if ((rc = ef_encrypt_buf(c.format, c.key, c.key_len, c.iv, o->data, o->len, &ct,
		                         &n)) ||
		    (rc = cr_sha256(ct, n, digest)) ||
		    (rc = st_put(p->st, PLAT_T_FUSION, fid, ct, n)))
			plat_fail(err, rc, "output %.80s: cannot keep it: %s", name,
			          cu_strerror(rc));
		free(ct);
	} else if ((rc = fa_put_encrypted(url, &c, NULL, o->data, o->len, digest, why,
	                                  sizeof(why)))) {
		plat_fail(err, rc, "output %.80s: %s", name, why);
	}
	if (!rc) {
		cu_hex_encode(digest, 32, hex, sizeof(hex));
		cu_hex_encode(c.iv, 12, ivhex, sizeof(ivhex));
		w = json_pack("{s:s, s:s, s:s}", "name", name, "file", fid, "digest", hex);
		if (!w ||
		    (c.format != EF_FORMAT_CUSTOS &&
		     json_object_set_new(w, "iv", json_string(ivhex))) ||
		    json_array_append_new(written, w))
			rc = plat_fail(err, CU_ENOMEM, "out of memory");
	}
	cu_wipe(&c, sizeof(c));
out:
	plat_file_release(file);
	return rc;
}

struct run {
	struct fn_arg args[SLOTS_MAX];
	struct fn_input in[SLOTS_MAX];
	struct fn_output out[SLOTS_MAX];
	const char *out_file[SLOTS_MAX];
	struct fn_ctx ctx;
};

static void run_free(struct run *r)
{
	for (size_t i = 0; i < r->ctx.ninputs; i++)
		cu_free_secret((void *)(uintptr_t)r->in[i].data, r->in[i].len);
	for (size_t i = 0; i < r->ctx.noutputs; i++)
		cu_free_secret(r->out[i].data, r->out[i].cap);
	cu_wipe(&r->ctx, sizeof(r->ctx));
}

/* The context of the task's function: its arguments, its inputs decrypted, its outputs. */
static int prepare(struct platform *p, const json_t *task, struct run *r, struct plat_error *err)
{
	const json_t *args = json_object_get(task, "arguments"), *slot, *v;
	const char *k;
	size_t i;
	int rc;

	r->ctx.args = r->args;
	r->ctx.inputs = r->in;
	r->ctx.outputs = r->out;
	json_object_foreach((json_t *)(uintptr_t)args, k, v)
	{
		if (r->ctx.nargs == SLOTS_MAX || !json_is_string(v))
			return plat_fail(err, CU_EFORMAT, "the task's arguments are malformed");
		r->args[r->ctx.nargs++] = (struct fn_arg){k, json_string_value(v)};
	}
	json_array_foreach(json_object_get(task, "inputs"), i, slot)
	{
		const char *fid = jstr(slot, "file");
		uint8_t *plain = NULL;
		size_t len = 0;

		if (!fid)
			continue;
		if (r->ctx.ninputs == SLOTS_MAX)
			return plat_fail(err, CU_ELIMIT, "too many inputs");
		if ((rc = load_input(p, fid, &plain, &len, err)))
			return rc;
		r->in[r->ctx.ninputs++] = (struct fn_input){jstr(slot, "name"), plain, len};
	}
	json_array_foreach(json_object_get(task, "outputs"), i, slot)
	{
		if (!jstr(slot, "file"))
			continue;
		if (r->ctx.noutputs == SLOTS_MAX)
			return plat_fail(err, CU_ELIMIT, "too many outputs");
		r->out_file[r->ctx.noutputs] = jstr(slot, "file");
		r->out[r->ctx.noutputs++] =
		    (struct fn_output){.name = jstr(slot, "name"), .max = PLAT_OUTPUT_MAX};
	}
	return 0;
}

/* A wasm function's sandbox: address space besides its linear memory (inputs, module...). */
#define WASM_SANDBOX_BASE (1024ull << 20)

/*
 * The wasm executor: the function's module from the payload table (checked
 * against the record's payload_sha256) into ctx->code (*code, malloc'd,
 * the caller frees it), its "limits" into ctx->fuel and ctx->max_memory
 * (0: the executor's defaults), and the sandbox's memory limit made room
 * for the linear memory.
 */
static int wasm_prepare(struct platform *p, const json_t *fn, struct fn_ctx *ctx, uint8_t **code,
                        struct sb_limits *lim, struct plat_error *err)
{
	const json_t *limits = json_object_get(fn, "limits");
	const char *id = jstr(fn, "id"), *sum = jstr(fn, "payload_sha256");
	uint8_t want[32], got[32];
	size_t n = 0;
	int rc;

	*code = NULL;
	if (!id || !sum || cu_hex_decode_exact(sum, want, sizeof(want)))
		return plat_fail(err, CU_ESTATE, "the wasm function's record names no module");
	if ((rc = st_get(p->st, PLAT_T_PAYLOADS, id, code, &n, NULL)))
		return plat_fail(err, rc, "the wasm function's module cannot be read: %s",
		                 cu_strerror(rc));
	if ((rc = cr_sha256(*code, n, got)) || !cu_ct_eq(got, want, sizeof(got)))
		return plat_fail(err, CU_EAUTH,
		                 "the wasm function's module is not the one registered");
	ctx->code = *code;
	ctx->code_len = n;
	ctx->fuel = (uint64_t)json_integer_value(json_object_get(limits, "fuel"));
	ctx->max_memory = (uint64_t)json_integer_value(json_object_get(limits, "memory"));
	lim->memory = WASM_SANDBOX_BASE + (ctx->max_memory ? ctx->max_memory : WX_DEF_MEMORY);
	return 0;
}

int plat_execute(struct platform *p, const json_t *task, const json_t *fn, char **result,
                 json_t **written, struct plat_error *err)
{
	const char *ex = jstr(fn, "executor"), *name = jstr(fn, "builtin");
	const struct fn_builtin *b = NULL;
	struct sb_limits lim = {.output = PLAT_OUTPUT_MAX};
	uint8_t *code = NULL;
	struct sb_result res;
	struct run *r;
	json_t *w = NULL;
	int rc;

	*result = NULL;
	*written = NULL;
	if (!ex || (strcmp(ex, "builtin") && strcmp(ex, "wasm")))
		return plat_fail(err, CU_EUNSUPPORTED, "unknown executor \"%.32s\"", ex ? ex : "");
	if (!strcmp(ex, "builtin") && !(b = fn_find(name ? name : "")))
		return plat_fail(err, CU_EUNSUPPORTED, "unknown builtin \"%.64s\"",
		                 name ? name : "");
	/* OpenSSL reads its configuration file once, on first use: before the
	   sandbox, whose child may open no file (rsa-sign, password-check). */
	if (OPENSSL_init_crypto(OPENSSL_INIT_LOAD_CONFIG, NULL) != 1)
		return plat_fail(err, CU_ECRYPTO, "OpenSSL could not start");
	if (!(r = calloc(1, sizeof(*r))) || !(w = json_array())) {
		free(r);
		return plat_fail(err, CU_ENOMEM, "out of memory");
	}
	if ((rc = prepare(p, task, r, err)))
		goto out;
	if (!b && (rc = wasm_prepare(p, fn, &r->ctx, &code, &lim, err)))
		goto out;
	if ((rc = sb_run(b ? b->run : wx_run, &r->ctx, &lim, &p->cancel, &res))) {
		plat_fail(err, rc, "the sandbox could not start: %s", cu_strerror(rc));
		goto out;
	}
	if (res.outcome != SB_OK) {
		rc = res.outcome == SB_FAILED     ? CU_EINVAL
		     : res.outcome == SB_CANCELED ? CU_ESTATE
		                                  : CU_ETRAP;
		plat_fail(err, rc, "%s", res.reason[0] ? res.reason : sb_outcome_name(res.outcome));
		goto out;
	}
	for (size_t i = 0; i < r->ctx.noutputs; i++)
		if ((rc = store_output(p, r->out[i].name, r->out_file[i], &r->out[i], w, err)))
			goto out;
	if (!(*result = cu_strdup(res.result)))
		rc = plat_fail(err, CU_ENOMEM, "out of memory");
out:
	run_free(r);
	free(r);
	free(code);
	cu_wipe(&res, sizeof(res));
	if (rc)
		json_decref(w);
	else
		*written = w;
	return rc;
}
