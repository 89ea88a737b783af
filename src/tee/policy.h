/*
 * policy.h - which verified TEE claims are acceptable, per role.
 *
 * A verifier (dcap.h, snp.h, sim) says whether evidence is authentic and
 * what it claims; a policy says whether those claims are good enough for a
 * role ("control", "worker", ...). Per role a policy lists the accepted TEE
 * types and measurements and its rules: allowed TCB statuses (default
 * UpToDate only), whether a debuggable TEE is allowed (default no), whether
 * simulated evidence is allowed (default no), minimum security versions per
 * TEE type, and optionally the expected signer and product id.
 *
 * A struct tee_policy is a plain value (no pointers): copy it, keep it on
 * the stack or in another struct, zero it to empty it. The JSON form is
 * described in docs/attestation.md ("Policy").
 */
#ifndef CUSTOS_TEE_POLICY_H
#define CUSTOS_TEE_POLICY_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "tee/claims.h"

#define TEE_POLICY_MAX_ROLES        16
#define TEE_POLICY_ROLE_NAME_MAX    32 /* characters of [a-z0-9_-], without the NUL */
#define TEE_POLICY_MAX_MEASUREMENTS 32 /* per role */
#define TEE_POLICY_JSON_MAX         (256 * 1024)
#define TEE_POLICY_REASON_LEN       256
#define TEE_TYPE_COUNT              (TEE_SIM + 1)

/* Bits of tee_policy_role.tee_types and tee_policy_rules.tcb_statuses. */
#define TEE_TYPE_BIT(t)   (1u << (unsigned)(t))
#define TEE_STATUS_BIT(s) (1u << (unsigned)(s))

struct tee_policy_rules {
	unsigned tcb_statuses; /* TEE_STATUS_BIT of each allowed status */
	int allow_debug;
	int allow_simulation;
	uint32_t min_security_version[TEE_TYPE_COUNT]; /* by enum tee_type; 0: no minimum */
	int has_signer;
	uint8_t signer[TEE_SIGNER_MAX];
	size_t signer_len;
	int has_product_id;
	uint16_t product_id;
};

struct tee_policy_measurement {
	uint8_t value[TEE_MEASUREMENT_MAX];
	size_t len; /* 32 (SGX MRENCLAVE) or 48 */
};

struct tee_policy_role {
	char name[TEE_POLICY_ROLE_NAME_MAX + 1];
	unsigned tee_types; /* TEE_TYPE_BIT of each accepted type */
	struct tee_policy_measurement measurements[TEE_POLICY_MAX_MEASUREMENTS];
	size_t measurement_count; /* 0 only when rules.has_signer: any measurement by that signer */
	struct tee_policy_rules rules;
};

struct tee_policy {
	struct tee_policy_role roles[TEE_POLICY_MAX_ROLES];
	size_t role_count;
};

/* The default rules: UpToDate only, no debug, no simulation, no minimums, no signer. */
void tee_policy_rules_default(struct tee_policy_rules *r);

/*
 * Append a role with default rules and no types or measurements; *out
 * points at it inside p. CU_EFORMAT for a bad name, CU_EEXISTS when the
 * role exists, CU_ELIMIT when p is full.
 */
int tee_policy_add_role(struct tee_policy *p, const char *name, struct tee_policy_role **out);

/* Add a measurement (32 or 48 bytes) to a role. */
int tee_policy_add_measurement(struct tee_policy_role *r, const uint8_t *m, size_t len);

/* The role named name, or NULL. */
const struct tee_policy_role *tee_policy_find_role(const struct tee_policy *p, const char *name);

/*
 * Decide whether claims (from a verifier that returned success) are
 * acceptable for role. Returns 0, or CU_EPOLICY with reason (may be NULL)
 * saying which rule refused them; CU_EINVAL when p, role or c is NULL.
 */
int tee_policy_check(const struct tee_policy *p, const char *role, const struct tee_claims *c,
                     char *reason, size_t reasonsz) __attribute__((warn_unused_result));

/*
 * JSON. tee_policy_from_json parses a policy document {"roles": {...}};
 * tee_policy_roles_from_json parses just the roles object (the manifest
 * embeds one). Unknown keys, wrong types, bad hex, unknown TEE types or TCB
 * statuses, and inconsistent roles are refused with CU_EFORMAT (CU_ELIMIT
 * for counts over the maxima) and a reason. *p is zeroed on failure.
 */
int tee_policy_from_json(const void *buf, size_t len, struct tee_policy *p, char *reason,
                         size_t reasonsz) __attribute__((warn_unused_result));
int tee_policy_roles_from_json(const json_t *roles, struct tee_policy *p, char *reason,
                               size_t reasonsz) __attribute__((warn_unused_result));

/* Serialise: a new reference to {"roles": {...}} / to the roles object, or NULL (no memory). */
json_t *tee_policy_to_json(const struct tee_policy *p);
json_t *tee_policy_roles_to_json(const struct tee_policy *p);

/* The TEE type named as in claims.h ("sgx", "tdx", "sev-snp", "sim"), TEE_NONE if none. */
enum tee_type tee_policy_type_from_name(const char *name);

#endif
