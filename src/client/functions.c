/* functions.c - the functions calls of the API: a spec struct to the contract's JSON. */
#include <stdlib.h>
#include <string.h>

#include "client/client_int.h"
#include "common/encoding.h"

#define FN_PAYLOAD_MAX (8u << 20) /* the contract's limit on a wasm module */

static json_t *args_json(struct custos_client *c, const struct custos_function_arg *v, size_t n)
{
	json_t *a = json_array(), *o;

	if (n && !v)
		goto bad;
	for (size_t i = 0; a && i < n; i++) {
		if (!v[i].name || !*v[i].name || !(o = cl_obj(c)) || json_array_append_new(a, o) ||
		    cl_set_str(c, o, "name", v[i].name) ||
		    (v[i].default_value && cl_set_str(c, o, "default", v[i].default_value)) ||
		    cl_set_new(c, o, "overridable", json_boolean(!v[i].fixed)))
			goto bad;
	}
	if (a)
		return a;
bad:
	json_decref(a);
	cl_fail(c, CUSTOS_EINVAL, "malformed function arguments (each needs a name)");
	return NULL;
}

static json_t *io_json(struct custos_client *c, const struct custos_function_io *v, size_t n)
{
	json_t *a = json_array(), *o;

	if (n && !v)
		goto bad;
	for (size_t i = 0; a && i < n; i++) {
		if (!v[i].name || !*v[i].name || !(o = cl_obj(c)) || json_array_append_new(a, o) ||
		    cl_set_str(c, o, "name", v[i].name) ||
		    (v[i].description && cl_set_str(c, o, "description", v[i].description)) ||
		    (v[i].optional && cl_set_new(c, o, "optional", json_true())))
			goto bad;
	}
	if (a)
		return a;
bad:
	json_decref(a);
	cl_fail(c, CUSTOS_EINVAL, "malformed function inputs or outputs (each needs a name)");
	return NULL;
}

static int set_opt_str(struct custos_client *c, json_t *o, const char *key, const char *v)
{
	return v ? cl_set_str(c, o, key, v) : 0;
}

static int set_payload(struct custos_client *c, json_t *o, const struct custos_function_spec *f)
{
	size_t n;
	char *b64;
	int rc;

	if (!f->payload)
		return 0;
	if (f->payload_len > FN_PAYLOAD_MAX)
		return cl_fail(c, CUSTOS_ETOOLARGE, "a payload is at most %u bytes",
		               FN_PAYLOAD_MAX);
	n = ((f->payload_len + 2) / 3) * 4 + 1;
	if (!(b64 = malloc(n)))
		return cl_fail(c, CUSTOS_ENOMEM, "out of memory");
	if (cu_b64_encode(f->payload, f->payload_len, b64, n, CU_B64_STD))
		rc = cl_fail(c, CUSTOS_EINVAL, "cannot encode the payload");
	else
		rc = cl_set_str(c, o, "payload", b64);
	free(b64);
	return rc;
}

/* "limits": the members that are not 0 (the platform checks the ranges). */
static int set_limits(struct custos_client *c, json_t *o, const struct custos_function_spec *f)
{
	json_t *l;

	if (f->fuel > (uint64_t)INT64_MAX || f->max_memory > (uint64_t)INT64_MAX)
		return cl_fail(c, CUSTOS_EINVAL, "limits too large");
	if (!(l = json_object()) ||
	    (f->fuel && json_object_set_new(l, "fuel", json_integer((json_int_t)f->fuel))) ||
	    (f->max_memory &&
	     json_object_set_new(l, "memory", json_integer((json_int_t)f->max_memory)))) {
		json_decref(l);
		return cl_fail(c, CUSTOS_ENOMEM, "out of memory");
	}
	return cl_set_new(c, o, "limits", l);
}

/* The request body of a register (or, with every member optional, an update). */
static int spec_json(struct custos_client *c, const struct custos_function_spec *f, json_t *o)
{
	int rc;

	if ((rc = set_opt_str(c, o, "name", f->name)) ||
	    (rc = set_opt_str(c, o, "description", f->description)) ||
	    (rc = set_opt_str(c, o, "executor", f->executor)) ||
	    (rc = set_opt_str(c, o, "builtin", f->builtin)) || (rc = set_payload(c, o, f)))
		return rc;
	if ((f->nargs || (f->set & CUSTOS_FN_ARGS)) &&
	    (rc = cl_set_new(c, o, "arguments", args_json(c, f->args, f->nargs))))
		return rc;
	if ((f->ninputs || (f->set & CUSTOS_FN_INPUTS)) &&
	    (rc = cl_set_new(c, o, "inputs", io_json(c, f->inputs, f->ninputs))))
		return rc;
	if ((f->noutputs || (f->set & CUSTOS_FN_OUTPUTS)) &&
	    (rc = cl_set_new(c, o, "outputs", io_json(c, f->outputs, f->noutputs))))
		return rc;
	if ((f->set & CUSTOS_FN_PUBLIC) &&
	    (rc = cl_set_new(c, o, "public", json_boolean(f->is_public))))
		return rc;
	if ((f->nallow || (f->set & CUSTOS_FN_ALLOW)) &&
	    (rc = cl_set_new(c, o, "allow", cl_str_array(c, f->allow, f->nallow))))
		return rc;
	if ((f->set & CUSTOS_FN_IDEMPOTENT) &&
	    (rc = cl_set_new(c, o, "idempotent", json_boolean(f->idempotent))))
		return rc;
	if ((f->fuel || f->max_memory) && (rc = set_limits(c, o, f)))
		return rc;
	if (f->set & CUSTOS_FN_QUOTA) {
		if (f->quota > (uint64_t)INT64_MAX)
			return cl_fail(c, CUSTOS_EINVAL, "quota too large");
		if ((rc = cl_set_new(c, o, "quota", json_integer((json_int_t)f->quota))))
			return rc;
	}
	return 0;
}

int custos_function_register(struct custos_client *c, const struct custos_function_spec *f,
                             char id[CUSTOS_ID_MAX])
{
	json_t *req;
	int rc;

	if (id)
		memset(id, 0, CUSTOS_ID_MAX);
	if (!c)
		return CUSTOS_EINVAL;
	if (!f)
		return cl_fail(c, CUSTOS_EINVAL, "no function given");
	if ((rc = cl_need(c, "name", f->name)) || (rc = cl_need(c, "executor", f->executor)))
		return rc;
	if (!(req = cl_obj(c)))
		return CUSTOS_ENOMEM;
	if (!(rc = spec_json(c, f, req)))
		rc = cl_call_id(c, "POST", "/v1/functions", req, id, NULL);
	json_decref(req);
	return rc;
}

int custos_function_update(struct custos_client *c, const char *id,
                           const struct custos_function_spec *f)
{
	char path[CL_PATH_MAX];
	json_t *req;
	int rc;

	if ((rc = cl_need(c, "function id", id)) ||
	    (rc = cl_path(c, path, sizeof(path), "functions", id, NULL)))
		return rc;
	if (!f)
		return cl_fail(c, CUSTOS_EINVAL, "no function given");
	if (!(req = cl_obj(c)))
		return CUSTOS_ENOMEM;
	if (!(rc = spec_json(c, f, req)) && !json_object_size(req))
		rc = cl_fail(c, CUSTOS_EINVAL, "nothing to update");
	if (!rc)
		rc = cl_call(c, "PUT", path, req, NULL);
	json_decref(req);
	return rc;
}

int custos_function_get(struct custos_client *c, const char *id, char **json)
{
	return cl_get_one(c, "functions", "function id", id, json);
}

int custos_function_list(struct custos_client *c, char **json)
{
	return cl_get_list(c, "/v1/functions", json);
}

int custos_function_delete(struct custos_client *c, const char *id)
{
	char path[CL_PATH_MAX];
	int rc;

	if ((rc = cl_need(c, "function id", id)) ||
	    (rc = cl_path(c, path, sizeof(path), "functions", id, NULL)))
		return rc;
	return cl_call(c, "DELETE", path, NULL, NULL);
}

int custos_function_disable(struct custos_client *c, const char *id)
{
	char path[CL_PATH_MAX];
	json_t *req;
	int rc;

	if ((rc = cl_need(c, "function id", id)) ||
	    (rc = cl_path(c, path, sizeof(path), "functions", id, "/disable")))
		return rc;
	if (!(req = cl_obj(c)))
		return CUSTOS_ENOMEM;
	rc = cl_call(c, "POST", path, req, NULL);
	json_decref(req);
	return rc;
}
