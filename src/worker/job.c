/*
 * job.c - run one job (job.h): inputs in, checked and decrypted; the
 * function in the sandbox; outputs encrypted and out.
 */
#include <openssl/crypto.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/encoding.h"
#include "common/err.h"
#include "common/json.h"
#include "common/mem.h"
#include "functions/functions.h"
#include "worker/fetch.h"
#include "worker/job.h"
#include "worker/sandbox.h"
#include "worker/wasm_exec.h"
#include "wasm/wasm.h"

struct job_run {
	struct fn_arg args[WK_JOB_SLOTS_MAX];
	struct fn_input in[WK_JOB_SLOTS_MAX];
	struct fn_output out[WK_JOB_SLOTS_MAX];
	const json_t *out_slot[WK_JOB_SLOTS_MAX];
	uint8_t *code; /* a wasm function's module */
	size_t code_len;
	struct fn_ctx ctx;
};

static const char *jstr(const json_t *o, const char *key)
{
	return json_string_value(json_object_get(o, key));
}

static int is_fusion(const char *url)
{
	return url && !strncmp(url, "fusion://", 9);
}

static void run_free(struct job_run *r)
{
	for (size_t i = 0; i < r->ctx.ninputs; i++)
		cu_free_secret((void *)(uintptr_t)r->in[i].data, r->in[i].len);
	for (size_t i = 0; i < r->ctx.noutputs; i++)
		cu_free_secret(r->out[i].data, r->out[i].cap);
	free(r->code);
	cu_wipe(r, sizeof(*r));
}

/* The crypto member of a slot into c: the schema, the key, the iv for aes-gcm. */
static int crypto_of(const json_t *slot, struct fa_crypto *c, char *why, size_t whysz)
{
	const json_t *cr = json_object_get(slot, "crypto");
	const char *key = jstr(cr, "key"), *iv = jstr(cr, "iv");
	size_t n = 0;

	memset(c, 0, sizeof(*c));
	c->format = ef_format_from_name(jstr(cr, "schema"));
	if (!c->format || !key ||
	    cu_b64_decode(key, strlen(key), c->key, sizeof(c->key), &n, CU_B64_STD) ||
	    n != ef_format_key_len(c->format) ||
	    (c->format != EF_FORMAT_CUSTOS && (!iv || cu_hex_decode_exact(iv, c->iv, 12)))) {
		cu_wipe(c, sizeof(*c));
		return cu_reason(why, whysz, CU_EFORMAT, "the crypto of file %.80s is unusable",
		                 jstr(slot, "file"));
	}
	c->key_len = n;
	return 0;
}

/* One input: from its url, or the fusion ciphertext the job carries. */
static int load_input(const json_t *slot, uint8_t **plain, size_t *len, char *why, size_t whysz)
{
	const char *fid = jstr(slot, "file"), *url = jstr(slot, "url");
	char what[128], sub[FA_REASON_MAX];
	uint8_t digest[32], *ct = NULL;
	struct fa_crypto c;
	size_t n = 0;
	int rc;

	if (!fid || !jstr(slot, "name") || cu_hex_decode_exact(jstr(slot, "digest"), digest, 32))
		return cu_reason(why, whysz, CU_EFORMAT, "an input of the job is malformed");
	if ((rc = crypto_of(slot, &c, why, whysz)))
		return rc;
	if (json_object_get(slot, "ciphertext")) {
		snprintf(what, sizeof(what), "fusion file %.80s", fid);
		if ((rc = cu_json_get_b64(slot, "ciphertext", WK_JOB_FUSION_MAX, &ct, &n)))
			rc = cu_reason(why, whysz, rc, "the ciphertext of input %.80s is malformed",
			               fid);
		else
			rc = fa_open(what, ct, n, digest, &c, FA_SIZE_DEFAULT, plain, len, sub,
			             sizeof(sub));
	} else if (is_fusion(url) || !url) {
		rc = cu_reason(why, whysz, CU_EFORMAT, "input %.80s has no location", fid);
		goto out;
	} else {
		rc = fa_get_decrypted(url, digest, &c, NULL, plain, len, sub, sizeof(sub));
	}
	if (rc)
		cu_reason(why, whysz, rc, "input %.80s: %s", fid, sub);
out:
	free(ct);
	cu_wipe(&c, sizeof(c));
	return rc;
}

/* The function's context: arguments, inputs decrypted, outputs empty. */
static int prepare(const json_t *job, struct job_run *r, char *why, size_t whysz)
{
	const json_t *args = json_object_get(job, "arguments"), *slot, *v;
	const char *k;
	size_t i;
	int rc;

	r->ctx.args = r->args;
	r->ctx.inputs = r->in;
	r->ctx.outputs = r->out;
	if (!json_is_object(args) || !json_is_array(json_object_get(job, "inputs")) ||
	    !json_is_array(json_object_get(job, "outputs")))
		return cu_reason(why, whysz, CU_EFORMAT, "the job is malformed");
	json_object_foreach((json_t *)(uintptr_t)args, k, v)
	{
		if (r->ctx.nargs == WK_JOB_SLOTS_MAX || !json_is_string(v))
			return cu_reason(why, whysz, CU_EFORMAT,
			                 "the task's arguments are malformed");
		r->args[r->ctx.nargs++] = (struct fn_arg){k, json_string_value(v)};
	}
	json_array_foreach(json_object_get(job, "inputs"), i, slot)
	{
		uint8_t *plain = NULL;
		size_t len = 0;

		if (r->ctx.ninputs == WK_JOB_SLOTS_MAX)
			return cu_reason(why, whysz, CU_ELIMIT, "too many inputs");
		if ((rc = load_input(slot, &plain, &len, why, whysz)))
			return rc;
		r->in[r->ctx.ninputs++] = (struct fn_input){jstr(slot, "name"), plain, len};
	}
	json_array_foreach(json_object_get(job, "outputs"), i, slot)
	{
		if (r->ctx.noutputs == WK_JOB_SLOTS_MAX)
			return cu_reason(why, whysz, CU_ELIMIT, "too many outputs");
		if (!jstr(slot, "name") || !jstr(slot, "file") || !jstr(slot, "url"))
			return cu_reason(why, whysz, CU_EFORMAT,
			                 "an output of the job is malformed");
		r->out_slot[r->ctx.noutputs] = slot;
		r->out[r->ctx.noutputs++] =
		    (struct fn_output){.name = jstr(slot, "name"), .max = WK_JOB_OUTPUT_MAX};
	}
	return 0;
}

/* Encrypt one output and put it (or return it, for fusion); its entry into list. */
static int put_output(const json_t *slot, const struct fn_output *o, json_t *list, char *why,
                      size_t whysz)
{
	const char *url = jstr(slot, "url"), *fid = jstr(slot, "file");
	char sub[FA_REASON_MAX];
	uint8_t digest[32], *ct = NULL;
	struct fa_crypto c;
	json_t *w = NULL;
	size_t n = 0;
	int rc;

	if ((rc = crypto_of(slot, &c, why, whysz)))
		return rc;
	if (is_fusion(url) ? (rc = fa_seal(&c, o->data, o->len, &ct, &n, digest, sub, sizeof(sub)))
	                   : (rc = fa_put_encrypted(url, &c, NULL, o->data, o->len, digest, sub,
	                                            sizeof(sub)))) {
		cu_reason(why, whysz, rc, "output %.80s: %s", o->name, sub);
		goto out;
	}
	if (is_fusion(url) && n > WK_JOB_FUSION_MAX) {
		rc = cu_reason(why, whysz, CU_ELIMIT,
		               "output %.80s: a fusion file holds %llu bytes at most", o->name,
		               (unsigned long long)WK_JOB_FUSION_MAX);
		goto out;
	}
	rc = CU_ENOMEM;
	if (!(w = json_object()) || cu_json_set_str(w, "name", o->name) ||
	    cu_json_set_str(w, "file", fid) || cu_json_set_hex(w, "digest", digest, 32) ||
	    (c.format != EF_FORMAT_CUSTOS && cu_json_set_hex(w, "iv", c.iv, 12)) ||
	    (ct && cu_json_set_b64(w, "ciphertext", ct, n)) || json_array_append(list, w)) {
		cu_reason(why, whysz, rc, "out of memory");
		goto out;
	}
	rc = 0;
out:
	json_decref(w);
	free(ct);
	cu_wipe(&c, sizeof(c));
	return rc;
}

/* A wasm sandbox's address space besides the linear memory (inputs, module, interpreter). */
#define WASM_SANDBOX_BASE (1024ull << 20)

/* The module and limits of a wasm job into r's context; the sandbox's memory made room. */
static int wasm_entry(const json_t *fn, struct job_run *r, struct sb_limits *lim, char *why,
                      size_t whysz)
{
	int64_t fuel = 0, mem = 0;
	int rc;

	if ((rc = cu_json_get_b64(fn, "payload", WASM_MAX_MODULE_SIZE, &r->code, &r->code_len)) ||
	    !r->code_len)
		return cu_reason(why, whysz, rc == CU_ELIMIT ? CU_ELIMIT : CU_EFORMAT,
		                 "the job's wasm module is malformed");
	if ((json_object_get(fn, "fuel") && cu_json_get_int(fn, "fuel", 1, INT64_MAX, &fuel)) ||
	    (json_object_get(fn, "memory") &&
	     cu_json_get_int(fn, "memory", WASM_PAGE_SIZE, (int64_t)WX_MAX_MEMORY, &mem)))
		return cu_reason(why, whysz, CU_EFORMAT, "the job's wasm limits are malformed");
	r->ctx.code = r->code;
	r->ctx.code_len = r->code_len;
	r->ctx.fuel = (uint64_t)fuel;
	r->ctx.max_memory = (uint64_t)mem;
	lim->memory = WASM_SANDBOX_BASE + (mem ? (uint64_t)mem : WX_DEF_MEMORY);
	return 0;
}

/* The entry of the job's function (and, for wasm, its module and limits). */
static int entry_of(const json_t *job, struct job_run *r, struct sb_limits *lim, fn_entry *entry,
                    char *why, size_t whysz)
{
	const json_t *fn = json_object_get(job, "function");
	const char *ex = jstr(fn, "executor"), *name = jstr(fn, "builtin");
	const struct fn_builtin *b;
	int rc;

	if (ex && !strcmp(ex, "wasm")) {
		if ((rc = wasm_entry(fn, r, lim, why, whysz)))
			return rc;
		*entry = wx_run;
		return 0;
	}
	if (!ex || strcmp(ex, "builtin"))
		return cu_reason(why, whysz, CU_EUNSUPPORTED, "unknown executor \"%.32s\"",
		                 ex ? ex : "");
	if (!(b = fn_find(name ? name : "")))
		return cu_reason(why, whysz, CU_EUNSUPPORTED, "unknown builtin \"%.64s\"",
		                 name ? name : "");
	*entry = b->run;
	return 0;
}

/* The sandbox's verdict as an error: whose fault, and why. */
static int verdict(const struct sb_result *res, char *why, size_t whysz)
{
	int rc = res->outcome == SB_FAILED     ? CU_EINVAL
	         : res->outcome == SB_CANCELED ? CU_ESTATE
	                                       : CU_ETRAP;

	return cu_reason(why, whysz, rc, "%s",
	                 res->reason[0] ? res->reason : sb_outcome_name(res->outcome));
}

/* The function's result as a JSON string (a fixed one when it is not UTF-8). */
static json_t *result_text(const char *text)
{
	json_t *s = json_string(text);

	return s ? s : json_string("(the function's result is not valid UTF-8)");
}

int wk_job_run(const json_t *job, const volatile int *cancel, json_t **reply, char *why,
               size_t whysz)
{
	struct sb_limits lim = {.output = WK_JOB_OUTPUT_MAX};
	struct sb_result *res = NULL;
	struct job_run *r = NULL;
	json_t *list = NULL, *rep = NULL;
	fn_entry entry = NULL;
	int rc;

	if (why && whysz)
		why[0] = '\0';
	if (!reply)
		return cu_reason(why, whysz, CU_EINVAL, "wk_job_run: no reply");
	*reply = NULL;
	if (!json_is_object(job))
		return cu_reason(why, whysz, CU_EFORMAT, "the job is not an object");
	/* OpenSSL reads its configuration file once, on first use: before the
	   sandbox, whose child may open no file (rsa-sign, password-check). */
	if (OPENSSL_init_crypto(OPENSSL_INIT_LOAD_CONFIG, NULL) != 1)
		return cu_reason(why, whysz, CU_ECRYPTO, "OpenSSL could not start");
	if (!(r = calloc(1, sizeof(*r))) || !(res = calloc(1, sizeof(*res))) ||
	    !(list = json_array())) {
		rc = cu_reason(why, whysz, CU_ENOMEM, "out of memory");
		goto out;
	}
	if ((rc = entry_of(job, r, &lim, &entry, why, whysz)) || (rc = prepare(job, r, why, whysz)))
		goto out;
	if ((rc = sb_run(entry, &r->ctx, &lim, cancel, res))) {
		cu_reason(why, whysz, rc, "the sandbox could not start: %s", cu_strerror(rc));
		goto out;
	}
	if (res->outcome != SB_OK) {
		rc = verdict(res, why, whysz);
		goto out;
	}
	for (size_t i = 0; i < r->ctx.noutputs; i++)
		if ((rc = put_output(r->out_slot[i], &r->out[i], list, why, whysz)))
			goto out;
	if (!(rep = json_object()) ||
	    json_object_set_new(rep, "result", result_text(res->result)) ||
	    json_object_set(rep, "outputs", list)) {
		rc = cu_reason(why, whysz, CU_ENOMEM, "out of memory");
		goto out;
	}
	*reply = rep;
	rep = NULL;
out:
	if (r)
		run_free(r);
	free(r);
	if (res)
		cu_wipe(res, sizeof(*res));
	free(res);
	json_decref(list);
	cu_json_free_secret(rep);
	return rc;
}
