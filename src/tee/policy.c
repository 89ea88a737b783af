/* policy.c - roles and their rules, and the decision over verified claims. */
#include "tee/policy.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "common/encoding.h"
#include "common/err.h"
#include "common/mem.h"

void tee_policy_rules_default(struct tee_policy_rules *r)
{
	memset(r, 0, sizeof(*r));
	r->tcb_statuses = TEE_STATUS_BIT(TEE_TCB_UP_TO_DATE);
}

enum tee_type tee_policy_type_from_name(const char *name)
{
	for (int t = TEE_SGX; t <= TEE_SIM; t++)
		if (name && !strcmp(name, tee_type_name((enum tee_type)t)))
			return (enum tee_type)t;
	return TEE_NONE;
}

static int name_ok(const char *name)
{
	size_t n = name ? strlen(name) : 0;

	if (n == 0 || n > TEE_POLICY_ROLE_NAME_MAX)
		return 0;
	for (size_t i = 0; i < n; i++) {
		char c = name[i];
		if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '-'))
			return 0;
	}
	return 1;
}

const struct tee_policy_role *tee_policy_find_role(const struct tee_policy *p, const char *name)
{
	for (size_t i = 0; p && name && i < p->role_count && i < TEE_POLICY_MAX_ROLES; i++)
		if (!strcmp(p->roles[i].name, name))
			return &p->roles[i];
	return NULL;
}

int tee_policy_add_role(struct tee_policy *p, const char *name, struct tee_policy_role **out)
{
	struct tee_policy_role *r;

	*out = NULL;
	if (!name_ok(name))
		return CU_EFORMAT;
	if (tee_policy_find_role(p, name))
		return CU_EEXISTS;
	if (p->role_count >= TEE_POLICY_MAX_ROLES)
		return CU_ELIMIT;
	r = &p->roles[p->role_count++];
	memset(r, 0, sizeof(*r));
	memcpy(r->name, name, strlen(name) + 1);
	tee_policy_rules_default(&r->rules);
	*out = r;
	return 0;
}

int tee_policy_add_measurement(struct tee_policy_role *r, const uint8_t *m, size_t len)
{
	struct tee_policy_measurement *pm;

	if (len != 32 && len != 48)
		return CU_EFORMAT;
	if (r->measurement_count >= TEE_POLICY_MAX_MEASUREMENTS)
		return CU_ELIMIT;
	pm = &r->measurements[r->measurement_count++];
	memcpy(pm->value, m, len);
	pm->len = len;
	return 0;
}

static int measurement_ok(const struct tee_policy_role *r, const struct tee_claims *c)
{
	for (size_t i = 0; i < r->measurement_count && i < TEE_POLICY_MAX_MEASUREMENTS; i++)
		if (r->measurements[i].len == c->measurement_len &&
		    !memcmp(r->measurements[i].value, c->measurement, c->measurement_len))
			return 1;
	return 0;
}

static void hex_of(const uint8_t *p, size_t n, char *out, size_t outsz)
{
	if (n > TEE_MEASUREMENT_MAX || cu_hex_encode(p, n, out, outsz))
		snprintf(out, outsz, "?");
}

/* Type, simulation and debug: what kind of TEE this is. */
static int check_kind(const struct tee_policy_role *r, const struct tee_claims *c, char *reason,
                      size_t sz)
{
	int simulated = c->simulated || c->type == TEE_SIM;

	if (c->type <= TEE_NONE || c->type > TEE_SIM || !(r->tee_types & TEE_TYPE_BIT(c->type)))
		return cu_reason(reason, sz, CU_EPOLICY, "role %s does not accept TEE type %s",
		                 r->name, tee_type_name(c->type));
	if (simulated && !r->rules.allow_simulation)
		return cu_reason(reason, sz, CU_EPOLICY,
		                 "role %s does not allow simulated evidence (insecure, test only)",
		                 r->name);
	if (c->debug && !r->rules.allow_debug)
		return cu_reason(reason, sz, CU_EPOLICY, "role %s does not allow a debuggable TEE",
		                 r->name);
	return 0;
}

/* Measurement, signer, product id: which code this is. */
static int check_identity(const struct tee_policy_role *r, const struct tee_claims *c, char *reason,
                          size_t sz)
{
	char hex[2 * TEE_MEASUREMENT_MAX + 1];
	const struct tee_policy_rules *ru = &r->rules;

	if (r->measurement_count && !measurement_ok(r, c)) {
		hex_of(c->measurement, c->measurement_len, hex, sizeof(hex));
		return cu_reason(reason, sz, CU_EPOLICY, "role %s does not accept measurement %s",
		                 r->name, hex);
	}
	if (ru->has_signer &&
	    (c->signer_len != ru->signer_len || memcmp(c->signer, ru->signer, ru->signer_len))) {
		hex_of(c->signer, c->signer_len, hex, sizeof(hex));
		return cu_reason(reason, sz, CU_EPOLICY, "role %s expects another signer than '%s'",
		                 r->name, hex);
	}
	if (ru->has_product_id && c->product_id != ru->product_id)
		return cu_reason(reason, sz, CU_EPOLICY, "role %s expects product id %u, not %u",
		                 r->name, ru->product_id, c->product_id);
	return 0;
}

/* Security version and TCB status: how current this is. */
static int check_currency(const struct tee_policy_role *r, const struct tee_claims *c, char *reason,
                          size_t sz)
{
	uint32_t min = r->rules.min_security_version[c->type];
	unsigned st = (unsigned)c->tcb_status;

	if (c->security_version < min)
		return cu_reason(reason, sz, CU_EPOLICY,
		                 "role %s needs security version %u or later, not %u", r->name, min,
		                 c->security_version);
	/* Simulated evidence has no TCB; allow_simulation (checked already) covers it. */
	if (c->simulated || c->type == TEE_SIM)
		return 0;
	if (st > TEE_TCB_NOT_APPLICABLE || !(r->rules.tcb_statuses & TEE_STATUS_BIT(st)))
		return cu_reason(reason, sz, CU_EPOLICY, "role %s does not allow TCB status %s",
		                 r->name, tee_tcb_status_name(c->tcb_status));
	return 0;
}

int tee_policy_check(const struct tee_policy *p, const char *role, const struct tee_claims *c,
                     char *reason, size_t reasonsz)
{
	const struct tee_policy_role *r;
	int rc;

	if (reason && reasonsz)
		reason[0] = '\0';
	if (!p || !role || !c)
		return CU_EINVAL;
	if (!(r = tee_policy_find_role(p, role)))
		return cu_reason(reason, reasonsz, CU_EPOLICY,
		                 "the policy has no role named '%.*s'", TEE_POLICY_ROLE_NAME_MAX,
		                 role);
	if ((rc = check_kind(r, c, reason, reasonsz)) ||
	    (rc = check_identity(r, c, reason, reasonsz)) ||
	    (rc = check_currency(r, c, reason, reasonsz)))
		return rc;
	cu_reason(reason, reasonsz, CU_EPOLICY, "accepted by role %s", r->name);
	return 0;
}
