/* policy_json.c - the JSON form of a policy (docs/attestation.md, "Policy"). */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "common/encoding.h"
#include "common/err.h"
#include "common/json.h"
#include "tee/policy.h"

static const char *const role_keys[] = {"tee_types", "measurements", "policy", NULL};
static const char *const rules_keys[] = {
    "tcb_statuses", "allow_debug", "allow_simulation", "min_security_version", "signer",
    "product_id",   NULL};

/* Every key of obj must be in allowed. */
static int parse_types(const json_t *a, struct tee_policy_role *r, char *reason, size_t sz)
{
	size_t i;
	json_t *v;

	if (!json_is_array(a) || json_array_size(a) == 0)
		return cu_reason(reason, sz, CU_EFORMAT,
		                 "role %s: tee_types must be a non-empty array", r->name);
	json_array_foreach(a, i, v)
	{
		enum tee_type t = tee_policy_type_from_name(json_string_value(v));
		if (t == TEE_NONE)
			return cu_reason(reason, sz, CU_EFORMAT,
			                 "role %s: tee_types[%zu] is not sgx, tdx, sev-snp or sim",
			                 r->name, i);
		r->tee_types |= TEE_TYPE_BIT(t);
	}
	return 0;
}

static int parse_measurements(const json_t *a, struct tee_policy_role *r, char *reason, size_t sz)
{
	uint8_t m[TEE_MEASUREMENT_MAX];
	size_t i, n;
	json_t *v;

	if (!json_is_array(a))
		return cu_reason(reason, sz, CU_EFORMAT, "role %s: measurements must be an array",
		                 r->name);
	if (json_array_size(a) > TEE_POLICY_MAX_MEASUREMENTS)
		return cu_reason(reason, sz, CU_ELIMIT, "role %s: more than %d measurements",
		                 r->name, TEE_POLICY_MAX_MEASUREMENTS);
	json_array_foreach(a, i, v)
	{
		const char *s = json_string_value(v);
		if (!s || cu_hex_decode(s, json_string_length(v), m, sizeof(m), &n) ||
		    tee_policy_add_measurement(r, m, n))
			return cu_reason(
			    reason, sz, CU_EFORMAT,
			    "role %s: measurements[%zu] is not the hex of 32 or 48 bytes", r->name,
			    i);
	}
	return 0;
}

static int parse_statuses(const json_t *a, struct tee_policy_rules *ru, const char *role,
                          char *reason, size_t sz)
{
	size_t i;
	json_t *v;

	if (!json_is_array(a))
		return cu_reason(reason, sz, CU_EFORMAT, "role %s: tcb_statuses must be an array",
		                 role);
	ru->tcb_statuses = 0;
	json_array_foreach(a, i, v)
	{
		const char *s = json_string_value(v);
		unsigned st = 0;
		while (st <= TEE_TCB_NOT_APPLICABLE &&
		       (!s || strcmp(s, tee_tcb_status_name((enum tee_tcb_status)st))))
			st++;
		if (st > TEE_TCB_NOT_APPLICABLE)
			return cu_reason(reason, sz, CU_EFORMAT,
			                 "role %s: tcb_statuses[%zu] is not a TCB status name",
			                 role, i);
		ru->tcb_statuses |= TEE_STATUS_BIT(st);
	}
	return 0;
}

static int parse_min_svn(const json_t *o, struct tee_policy_rules *ru, const char *role,
                         char *reason, size_t sz)
{
	const char *key;
	json_t *v;

	if (!json_is_object(o))
		return cu_reason(reason, sz, CU_EFORMAT,
		                 "role %s: min_security_version must be an object", role);
	json_object_foreach((json_t *)(uintptr_t)o, key, v)
	{
		enum tee_type t = tee_policy_type_from_name(key);
		json_int_t x = json_integer_value(v);
		if (t == TEE_NONE || !json_is_integer(v) || x < 0 || x > UINT32_MAX)
			return cu_reason(
			    reason, sz, CU_EFORMAT,
			    "role %s: min_security_version.%.20s must be a TEE type with "
			    "an integer 0..4294967295",
			    role, key);
		ru->min_security_version[t] = (uint32_t)x;
	}
	return 0;
}

static int parse_flags(const json_t *o, struct tee_policy_rules *ru, const char *role, char *reason,
                       size_t sz)
{
	int rc;
	int64_t pid;
	const char *s;
	size_t n;

	if ((rc = cu_json_get_bool(o, "allow_debug", &ru->allow_debug)) && rc != CU_ENOTFOUND)
		return cu_reason(reason, sz, rc, "role %s: allow_debug must be a boolean", role);
	rc = cu_json_get_bool(o, "allow_simulation", &ru->allow_simulation);
	if (rc && rc != CU_ENOTFOUND)
		return cu_reason(reason, sz, rc, "role %s: allow_simulation must be a boolean",
		                 role);
	rc = cu_json_get_int(o, "product_id", 0, UINT16_MAX, &pid);
	if (rc && rc != CU_ENOTFOUND)
		return cu_reason(reason, sz, CU_EFORMAT, "role %s: product_id must be 0..65535",
		                 role);
	ru->has_product_id = rc == 0;
	ru->product_id = (uint16_t)pid;
	rc = cu_json_get_str(o, "signer", &s);
	if (rc == CU_ENOTFOUND)
		return 0;
	if (rc || cu_hex_decode(s, strlen(s), ru->signer, sizeof(ru->signer), &n) || n == 0)
		return cu_reason(reason, sz, CU_EFORMAT,
		                 "role %s: signer must be hex of 1..%d bytes", role,
		                 TEE_SIGNER_MAX);
	ru->has_signer = 1;
	ru->signer_len = n;
	return 0;
}

static int parse_rules(const json_t *o, struct tee_policy_role *r, char *reason, size_t sz)
{
	const json_t *v;
	int rc;

	if (!o)
		return 0;
	if (!json_is_object(o))
		return cu_reason(reason, sz, CU_EFORMAT, "role %s: policy must be an object",
		                 r->name);
	if ((rc = cu_json_only_keys(o, rules_keys, "a role's policy", reason, sz)) ||
	    (rc = parse_flags(o, &r->rules, r->name, reason, sz)))
		return rc;
	if ((v = json_object_get(o, "tcb_statuses")) &&
	    (rc = parse_statuses(v, &r->rules, r->name, reason, sz)))
		return rc;
	if ((v = json_object_get(o, "min_security_version")) &&
	    (rc = parse_min_svn(v, &r->rules, r->name, reason, sz)))
		return rc;
	return 0;
}

/* Rules that contradict each other are refused rather than guessed at. */
static int check_role(const struct tee_policy_role *r, char *reason, size_t sz)
{
	int sim = (r->tee_types & TEE_TYPE_BIT(TEE_SIM)) != 0;

	if (sim != (r->rules.allow_simulation != 0))
		return cu_reason(
		    reason, sz, CU_EFORMAT,
		    "role %s: tee_types lists sim if and only if allow_simulation is true",
		    r->name);
	if (r->measurement_count == 0 && !r->rules.has_signer)
		return cu_reason(reason, sz, CU_EFORMAT,
		                 "role %s: no measurements (an empty list needs a signer)",
		                 r->name);
	return 0;
}

static int parse_role(const char *name, const json_t *o, struct tee_policy *p, char *reason,
                      size_t sz)
{
	struct tee_policy_role *r;
	const json_t *m;
	int rc = tee_policy_add_role(p, name, &r);

	if (rc)
		return cu_reason(reason, sz, rc == CU_ELIMIT ? CU_ELIMIT : CU_EFORMAT,
		                 "role name '%.40s' is %s", name,
		                 rc == CU_ELIMIT ? "one too many" : "not 1..32 of [a-z0-9_-]");
	if (!json_is_object(o))
		return cu_reason(reason, sz, CU_EFORMAT, "role %s must be an object", name);
	if ((rc = cu_json_only_keys(o, role_keys, "a role", reason, sz)) ||
	    (rc = parse_types(json_object_get(o, "tee_types"), r, reason, sz)))
		return rc;
	if (!(m = json_object_get(o, "measurements")))
		return cu_reason(reason, sz, CU_EFORMAT, "role %s: measurements are missing", name);
	if ((rc = parse_measurements(m, r, reason, sz)) ||
	    (rc = parse_rules(json_object_get(o, "policy"), r, reason, sz)))
		return rc;
	return check_role(r, reason, sz);
}

int tee_policy_roles_from_json(const json_t *roles, struct tee_policy *p, char *reason,
                               size_t reasonsz)
{
	const char *name;
	json_t *v;
	int rc = 0;

	memset(p, 0, sizeof(*p));
	if (!json_is_object(roles) || json_object_size(roles) == 0) {
		rc = cu_reason(reason, reasonsz, CU_EFORMAT, "roles must be a non-empty object");
		goto out;
	}
	json_object_foreach((json_t *)(uintptr_t)roles, name, v)
	{
		if ((rc = parse_role(name, v, p, reason, reasonsz)))
			goto out;
	}
out:
	if (rc)
		memset(p, 0, sizeof(*p));
	return rc;
}

int tee_policy_from_json(const void *buf, size_t len, struct tee_policy *p, char *reason,
                         size_t reasonsz)
{
	static const char *const top_keys[] = {"roles", NULL};
	json_t *doc = NULL;
	int rc;

	memset(p, 0, sizeof(*p));
	if ((rc = cu_json_parse(buf, len, TEE_POLICY_JSON_MAX, &doc))) {
		cu_reason(reason, reasonsz, rc, "policy is not valid JSON (or exceeds %d bytes)",
		          TEE_POLICY_JSON_MAX);
		goto out;
	}
	if (!json_is_object(doc)) {
		rc = cu_reason(reason, reasonsz, CU_EFORMAT, "policy is not a JSON object");
		goto out;
	}
	if ((rc = cu_json_only_keys(doc, top_keys, "the policy", reason, reasonsz)))
		goto out;
	rc = tee_policy_roles_from_json(json_object_get(doc, "roles"), p, reason, reasonsz);
out:
	json_decref(doc);
	return rc;
}

/* ---- writing ---- */

static int add_new(json_t *arr, json_t *v)
{
	return v ? json_array_append_new(arr, v) : -1;
}

static json_t *types_json(unsigned types)
{
	json_t *a = json_array();

	for (int t = TEE_SGX; a && t <= TEE_SIM; t++)
		if ((types & TEE_TYPE_BIT(t)) && add_new(a, json_string(tee_type_name(t)))) {
			json_decref(a);
			return NULL;
		}
	return a;
}

static json_t *hex_json(const uint8_t *p, size_t n)
{
	char hex[2 * TEE_MEASUREMENT_MAX + 1];

	if (n > TEE_MEASUREMENT_MAX || cu_hex_encode(p, n, hex, sizeof(hex)))
		return NULL;
	return json_string(hex);
}

static json_t *measurements_json(const struct tee_policy_role *r)
{
	json_t *a = json_array();

	for (size_t i = 0; a && i < r->measurement_count; i++)
		if (add_new(a, hex_json(r->measurements[i].value, r->measurements[i].len))) {
			json_decref(a);
			return NULL;
		}
	return a;
}

static json_t *statuses_json(unsigned statuses)
{
	json_t *a = json_array();

	for (unsigned s = 0; a && s <= TEE_TCB_NOT_APPLICABLE; s++)
		if ((statuses & TEE_STATUS_BIT(s)) &&
		    add_new(a, json_string(tee_tcb_status_name((enum tee_tcb_status)s)))) {
			json_decref(a);
			return NULL;
		}
	return a;
}

static json_t *rules_json(const struct tee_policy_rules *ru)
{
	json_t *o = json_object(), *svn = json_object();
	int err = !o || !svn;

	for (int t = TEE_SGX; !err && t <= TEE_SIM; t++)
		if (ru->min_security_version[t])
			err |= cu_json_set_int(svn, tee_type_name(t), ru->min_security_version[t]);
	err = err || json_object_set_new(o, "tcb_statuses", statuses_json(ru->tcb_statuses)) ||
	      cu_json_set_bool(o, "allow_debug", ru->allow_debug) ||
	      cu_json_set_bool(o, "allow_simulation", ru->allow_simulation) ||
	      json_object_set(o, "min_security_version", svn) ||
	      (ru->has_signer && cu_json_set_hex(o, "signer", ru->signer, ru->signer_len)) ||
	      (ru->has_product_id && cu_json_set_int(o, "product_id", ru->product_id));
	json_decref(svn);
	if (err) {
		json_decref(o);
		return NULL;
	}
	return o;
}

json_t *tee_policy_roles_to_json(const struct tee_policy *p)
{
	json_t *roles = json_object();

	for (size_t i = 0; roles && i < p->role_count && i < TEE_POLICY_MAX_ROLES; i++) {
		const struct tee_policy_role *r = &p->roles[i];
		json_t *o = json_object();
		if (!o || json_object_set_new(roles, r->name, o) ||
		    json_object_set_new(o, "tee_types", types_json(r->tee_types)) ||
		    json_object_set_new(o, "measurements", measurements_json(r)) ||
		    json_object_set_new(o, "policy", rules_json(&r->rules))) {
			json_decref(roles);
			return NULL;
		}
	}
	return roles;
}

json_t *tee_policy_to_json(const struct tee_policy *p)
{
	json_t *roles = tee_policy_roles_to_json(p), *doc;

	if (!roles)
		return NULL;
	doc = json_object();
	if (!doc || json_object_set_new(doc, "roles", roles)) {
		json_decref(doc);
		return NULL;
	}
	return doc;
}
