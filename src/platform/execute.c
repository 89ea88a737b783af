/*
 * execute.c - the control plane's side of running a task: make the job a
 * worker runs (src/worker/job.h) from the task, its function and its
 * files; and take the worker's reply back: check it against the task, keep
 * fusion outputs sealed in the store, and list what was written for
 * worker.c to record. plat_execute does all three in this process (the
 * all-in-one daemon's worker); a remote worker runs the job itself
 * (workers.c hands it over).
 *
 * A job holds the file keys: it is wiped when freed (cu_json_free_secret).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/encoding.h"
#include "common/err.h"
#include "common/json.h"
#include "common/mem.h"
#include "crypto/hash.h"
#include "platform/execute_int.h"
#include "platform/platform_int.h"
#include "store/store.h"
#include "worker/job.h"

static const char *jstr(const json_t *o, const char *key)
{
	return json_string_value(json_object_get(o, key));
}

static int is_fusion(const char *url)
{
	return url && !strncmp(url, "fusion://", 9);
}

/* A slot of the job for the file fid: name, file, url, crypto (and digest for inputs). */
static int file_slot(struct platform *p, const char *name, const char *fid, int input, json_t *list,
                     struct plat_error *err)
{
	json_t *file = NULL, *s = NULL;
	uint8_t *ct = NULL;
	size_t n = 0;
	int rc;

	if ((rc = plat_file_get(p, fid, &file, NULL)))
		return plat_fail(err, rc, "the %s file %.80s is gone", input ? "input" : "output",
		                 fid);
	if (input && !jstr(file, "digest")) {
		rc = plat_fail(err, CU_ESTATE, "the input file %.80s has no content yet", fid);
		goto out;
	}
	if (input && is_fusion(jstr(file, "url"))) {
		if ((rc = st_get(p->st, PLAT_T_FUSION, fid, &ct, &n, NULL))) {
			rc = plat_fail(err, rc, "the fusion file %.80s holds nothing", fid);
			goto out;
		}
		if (n > WK_JOB_FUSION_MAX) {
			rc = plat_fail(err, CU_ELIMIT, "the fusion file %.80s is too large", fid);
			goto out;
		}
	}
	if (!(s = json_object()) || cu_json_set_str(s, "name", name) ||
	    cu_json_set_str(s, "file", fid) ||
	    cu_json_set_str(s, "url", jstr(file, "url") ? jstr(file, "url") : "") ||
	    json_object_set_new(s, "crypto", json_deep_copy(json_object_get(file, "crypto"))) ||
	    (input && cu_json_set_str(s, "digest", jstr(file, "digest"))) ||
	    (ct && cu_json_set_b64(s, "ciphertext", ct, n)) || json_array_append(list, s))
		rc = plat_fail(err, CU_ENOMEM, "out of memory");
out:
	json_decref(s);
	free(ct);
	plat_file_release(file);
	return rc;
}

/*
 * The job's "function": the builtin's name, or the wasm module (checked
 * against the record's payload_sha256: the store is untrusted) and its
 * limits.
 */
static int job_function(struct platform *p, const json_t *fn, json_t **out, struct plat_error *err)
{
	const json_t *limits = json_object_get(fn, "limits");
	const char *ex = jstr(fn, "executor"), *sum = jstr(fn, "payload_sha256");
	uint8_t *code = NULL, want[32], got[32];
	size_t n = 0;
	json_t *f;
	int rc = 0;

	if (!(f = json_pack("{s:s}", "executor", ex ? ex : "")))
		return plat_fail(err, CU_ENOMEM, "out of memory");
	if (jstr(fn, "builtin")) {
		rc = cu_json_set_str(f, "builtin", jstr(fn, "builtin"));
	} else if (ex && !strcmp(ex, "wasm")) {
		if (!sum || cu_hex_decode_exact(sum, want, sizeof(want)))
			rc =
			    plat_fail(err, CU_ESTATE, "the wasm function's record names no module");
		else if ((rc = st_get(p->st, PLAT_T_PAYLOADS, jstr(fn, "id"), &code, &n, NULL)))
			plat_fail(err, rc, "the wasm function's module cannot be read: %s",
			          cu_strerror(rc));
		else if ((rc = cr_sha256(code, n, got)) || !cu_ct_eq(got, want, sizeof(got)))
			rc = plat_fail(err, CU_EAUTH,
			               "the wasm function's module is not the one registered");
		else if (cu_json_set_b64(f, "payload", code, n) ||
		         (json_is_integer(json_object_get(limits, "fuel")) &&
		          json_object_set(f, "fuel", json_object_get(limits, "fuel"))) ||
		         (json_is_integer(json_object_get(limits, "memory")) &&
		          json_object_set(f, "memory", json_object_get(limits, "memory"))))
			rc = plat_fail(err, CU_ENOMEM, "out of memory");
		free(code);
	}
	if (rc) {
		json_decref(f);
		return rc;
	}
	*out = f;
	return 0;
}

int plat_job_build(struct platform *p, const json_t *task, const json_t *fn, json_t **job,
                   struct plat_error *err)
{
	json_t *j, *f = NULL, *ins, *outs;
	const json_t *slot;
	size_t i;
	int rc;

	*job = NULL;
	if (!(j = json_object()) || !(ins = json_array()) ||
	    json_object_set_new(j, "inputs", ins) || !(outs = json_array()) ||
	    json_object_set_new(j, "outputs", outs) ||
	    cu_json_set_str(j, "task", jstr(task, "id")) ||
	    json_object_set(j, "arguments", json_object_get(task, "arguments"))) {
		json_decref(j);
		return plat_fail(err, CU_ENOMEM, "out of memory");
	}
	if ((rc = job_function(p, fn, &f, err)) || (rc = json_object_set_new(j, "function", f)))
		goto out;
	json_array_foreach(json_object_get(task, "inputs"), i, slot)
	{
		if (jstr(slot, "file") &&
		    (rc = file_slot(p, jstr(slot, "name"), jstr(slot, "file"), 1, ins, err)))
			goto out;
	}
	json_array_foreach(json_object_get(task, "outputs"), i, slot)
	{
		if (jstr(slot, "file") &&
		    (rc = file_slot(p, jstr(slot, "name"), jstr(slot, "file"), 0, outs, err)))
			goto out;
	}
	*job = j;
	return 0;
out:
	cu_json_free_secret(j);
	return rc ? rc : plat_fail(err, CU_ENOMEM, "out of memory");
}

/* The task's output slot called name, assigned to file fid, or NULL. */
static const json_t *output_slot(const json_t *task, const char *name, const char *fid)
{
	const json_t *slot;
	size_t i;

	json_array_foreach(json_object_get(task, "outputs"), i, slot)
	{
		if (jstr(slot, "name") && jstr(slot, "file") && !strcmp(jstr(slot, "name"), name) &&
		    !strcmp(jstr(slot, "file"), fid))
			return slot;
	}
	return NULL;
}

/* Whether the list written already names output name. */
static int already(const json_t *written, const char *name)
{
	const json_t *w;
	size_t i;

	json_array_foreach(written, i, w) if (!strcmp(jstr(w, "name"), name)) return 1;
	return 0;
}

/* Check one entry of a reply's outputs; keep a fusion ciphertext; its record into written. */
static int take_output(struct platform *p, const json_t *task, const json_t *o, json_t *written,
                       struct plat_error *err)
{
	const char *name = jstr(o, "name"), *fid = jstr(o, "file"), *iv = jstr(o, "iv");
	uint8_t digest[32], md[32], ivb[12], *ct = NULL;
	json_t *file = NULL, *w;
	size_t n = 0;
	int rc;

	if (!name || !fid || !output_slot(task, name, fid) || already(written, name) ||
	    cu_json_get_hex(o, "digest", digest, 32) ||
	    (iv && cu_hex_decode_exact(iv, ivb, sizeof(ivb))))
		return plat_fail(err, CU_EFORMAT, "the worker's reply names an output badly");
	if ((rc = plat_file_get(p, fid, &file, NULL)))
		return plat_fail(err, rc, "the output file %.80s is gone", fid);
	if (is_fusion(jstr(file, "url"))) {
		if ((rc = cu_json_get_b64(o, "ciphertext", WK_JOB_FUSION_MAX, &ct, &n)) ||
		    (rc = cr_sha256(ct ? ct : (const uint8_t *)"", n, md)) ||
		    !cu_ct_eq(md, digest, 32))
			rc = plat_fail(err, CU_EFORMAT,
			               "the worker's fusion output %.80s is malformed", name);
		else if ((rc = st_put(p->st, PLAT_T_FUSION, fid, ct ? ct : (const uint8_t *)"", n)))
			plat_fail(err, rc, "output %.80s: cannot keep it: %s", name,
			          cu_strerror(rc));
	} else if (json_object_get(o, "ciphertext")) {
		rc = plat_fail(err, CU_EFORMAT, "the worker returned the content of output %.80s",
		               name);
	}
	free(ct);
	plat_file_release(file);
	if (rc)
		return rc;
	w = json_pack("{s:s, s:s, s:s}", "name", name, "file", fid, "digest", jstr(o, "digest"));
	if (!w || (iv && json_object_set_new(w, "iv", json_string(iv))) ||
	    json_array_append_new(written, w))
		return plat_fail(err, CU_ENOMEM, "out of memory");
	return 0;
}

int plat_job_complete(struct platform *p, const json_t *task, const json_t *reply, char **result,
                      json_t **written, struct plat_error *err)
{
	const json_t *outs = json_object_get(reply, "outputs"), *o, *slot;
	json_t *w;
	size_t i, nslots = 0;
	int rc;

	*result = NULL;
	*written = NULL;
	json_array_foreach(json_object_get(task, "outputs"), i, slot) nslots +=
	    !!jstr(slot, "file");
	if (!jstr(reply, "result") || !json_is_array(outs) || json_array_size(outs) != nslots)
		return plat_fail(err, CU_EFORMAT, "the worker's reply is malformed");
	if (!(w = json_array()))
		return plat_fail(err, CU_ENOMEM, "out of memory");
	json_array_foreach(outs, i, o)
	{
		if ((rc = take_output(p, task, o, w, err))) {
			json_decref(w);
			return rc;
		}
	}
	if (!(*result = cu_strdup(jstr(reply, "result")))) {
		json_decref(w);
		return plat_fail(err, CU_ENOMEM, "out of memory");
	}
	*written = w;
	return 0;
}

int plat_execute(struct platform *p, const json_t *task, const json_t *fn, char **result,
                 json_t **written, struct plat_error *err)
{
	json_t *job = NULL, *reply = NULL;
	char why[WK_REASON_MAX];
	int rc;

	*result = NULL;
	*written = NULL;
	if ((rc = plat_job_build(p, task, fn, &job, err)))
		return rc;
	if ((rc = wk_job_run(job, &p->cancel, &reply, why, sizeof(why))))
		plat_fail(err, rc, "%s", why);
	else
		rc = plat_job_complete(p, task, reply, result, written, err);
	cu_json_free_secret(job);
	cu_json_free_secret(reply);
	return rc;
}
