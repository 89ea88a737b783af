/* snp_show.c - a human-readable decode of every field of an SEV-SNP report. */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "common/encoding.h"
#include "tee/snp.h"

#define SHOW_VALUE_MAX (2 * 64 + 1)

struct show {
	snp_field_fn fn;
	void *arg;
	int rc;
};

static void put(struct show *s, const char *name, const char *value)
{
	if (!s->rc)
		s->rc = s->fn(s->arg, name, value);
}

static void put_u64(struct show *s, const char *name, uint64_t v)
{
	char buf[32];

	snprintf(buf, sizeof(buf), "%" PRIu64, v);
	put(s, name, buf);
}

static void put_x64(struct show *s, const char *name, uint64_t v)
{
	char buf[32];

	snprintf(buf, sizeof(buf), "0x%016" PRIx64, v);
	put(s, name, buf);
}

static void put_hex(struct show *s, const char *name, const uint8_t *p, size_t n)
{
	char buf[SHOW_VALUE_MAX];

	if (2 * n + 1 > sizeof(buf) || cu_hex_encode(p, n, buf, sizeof(buf)))
		snprintf(buf, sizeof(buf), "?");
	put(s, name, buf);
}

static void put_bit(struct show *s, const char *name, uint64_t word, uint64_t bit)
{
	put(s, name, (word & bit) ? "yes" : "no");
}

static void put_tcb(struct show *s, const char *prefix, uint64_t raw, enum snp_product p)
{
	struct snp_tcb t;
	char name[64];

	snp_tcb_decode(raw, p, &t);
	put_x64(s, prefix, raw);
	if (p == SNP_PRODUCT_TURIN) {
		snprintf(name, sizeof(name), "%s.fmc", prefix);
		put_u64(s, name, t.fmc);
	}
	snprintf(name, sizeof(name), "%s.bootloader", prefix);
	put_u64(s, name, t.bootloader);
	snprintf(name, sizeof(name), "%s.tee", prefix);
	put_u64(s, name, t.tee);
	snprintf(name, sizeof(name), "%s.snp", prefix);
	put_u64(s, name, t.snp);
	snprintf(name, sizeof(name), "%s.microcode", prefix);
	put_u64(s, name, t.microcode);
}

static void show_policy(struct show *s, uint64_t p)
{
	put_x64(s, "policy", p);
	put_u64(s, "policy.abi_major", SNP_POLICY_ABI_MAJOR(p));
	put_u64(s, "policy.abi_minor", SNP_POLICY_ABI_MINOR(p));
	put_bit(s, "policy.smt_allowed", p, SNP_POLICY_SMT);
	put_bit(s, "policy.migrate_ma_allowed", p, SNP_POLICY_MIGRATE_MA);
	put_bit(s, "policy.debug_allowed", p, SNP_POLICY_DEBUG);
	put_bit(s, "policy.single_socket", p, SNP_POLICY_SINGLE_SOCKET);
	put_bit(s, "policy.cxl_allowed", p, SNP_POLICY_CXL_ALLOW);
	put_bit(s, "policy.mem_aes_256_xts", p, SNP_POLICY_MEM_AES_256_XTS);
	put_bit(s, "policy.rapl_disabled", p, SNP_POLICY_RAPL_DIS);
	put_bit(s, "policy.ciphertext_hiding", p, SNP_POLICY_CIPHERTEXT_HIDE);
	put_bit(s, "policy.page_swap_disabled", p, SNP_POLICY_PAGE_SWAP_DIS);
}

static void show_platform(struct show *s, const struct snp_report *r)
{
	unsigned key = SNP_KEYINFO_SIGNING_KEY(r->key_info);

	put_x64(s, "platform_info", r->platform_info);
	put_bit(s, "platform_info.smt_enabled", r->platform_info, 1u << 0);
	put_bit(s, "platform_info.tsme_enabled", r->platform_info, 1u << 1);
	put_bit(s, "platform_info.ecc_enabled", r->platform_info, 1u << 2);
	put_bit(s, "platform_info.rapl_disabled", r->platform_info, 1u << 3);
	put_bit(s, "platform_info.ciphertext_hiding", r->platform_info, 1u << 4);
	put_bit(s, "platform_info.alias_check_complete", r->platform_info, 1u << 5);
	put_bit(s, "platform_info.tio_enabled", r->platform_info, 1u << 7);
	put_x64(s, "key_info", r->key_info);
	put_bit(s, "key_info.author_key_en", r->key_info, SNP_KEYINFO_AUTHOR_KEY_EN);
	put_bit(s, "key_info.mask_chip_key", r->key_info, SNP_KEYINFO_MASK_CHIP_KEY);
	put(s, "key_info.signing_key",
	    key == SNP_KEY_VCEK   ? "VCEK"
	    : key == SNP_KEY_VLEK ? "VLEK"
	                          : "none");
}

static void show_versions(struct show *s, const struct snp_report *r, enum snp_product p)
{
	char buf[32];

	put_tcb(s, "reported_tcb", r->reported_tcb, p);
	if (r->has_cpuid) {
		put_u64(s, "cpuid_fam_id", r->cpuid_fam_id);
		put_u64(s, "cpuid_mod_id", r->cpuid_mod_id);
		put_u64(s, "cpuid_step", r->cpuid_step);
	}
	put_hex(s, "chip_id", r->chip_id, sizeof(r->chip_id));
	put_tcb(s, "committed_tcb", r->committed_tcb, p);
	snprintf(buf, sizeof(buf), "%u.%u.%u", r->current_major, r->current_minor,
	         r->current_build);
	put(s, "current_firmware", buf);
	snprintf(buf, sizeof(buf), "%u.%u.%u", r->committed_major, r->committed_minor,
	         r->committed_build);
	put(s, "committed_firmware", buf);
	put_tcb(s, "launch_tcb", r->launch_tcb, p);
	if (r->has_mit_vector) {
		put_x64(s, "launch_mit_vector", r->launch_mit_vector);
		put_x64(s, "current_mit_vector", r->current_mit_vector);
	}
}

int snp_report_show(const struct snp_report *r, enum snp_product product, snp_field_fn fn,
                    void *arg)
{
	struct show s = {fn, arg, 0};
	enum snp_product p = product != SNP_PRODUCT_UNKNOWN ? product : snp_report_product_hint(r);

	put_u64(&s, "version", r->version);
	put_u64(&s, "guest_svn", r->guest_svn);
	show_policy(&s, r->policy);
	put_hex(&s, "family_id", r->family_id, sizeof(r->family_id));
	put_hex(&s, "image_id", r->image_id, sizeof(r->image_id));
	put_u64(&s, "vmpl", r->vmpl);
	put(&s, "signature_algo", r->sig_algo == 1 ? "ECDSA P-384 with SHA-384" : "unknown");
	put(&s, "product", snp_product_name(p));
	put_tcb(&s, "current_tcb", r->current_tcb, p);
	show_platform(&s, r);
	put_hex(&s, "report_data", r->report_data, sizeof(r->report_data));
	put_hex(&s, "measurement", r->measurement, sizeof(r->measurement));
	put_hex(&s, "host_data", r->host_data, sizeof(r->host_data));
	put_hex(&s, "id_key_digest", r->id_key_digest, sizeof(r->id_key_digest));
	put_hex(&s, "author_key_digest", r->author_key_digest, sizeof(r->author_key_digest));
	put_hex(&s, "report_id", r->report_id, sizeof(r->report_id));
	put_hex(&s, "report_id_ma", r->report_id_ma, sizeof(r->report_id_ma));
	show_versions(&s, r, p);
	put_hex(&s, "signature.r", r->sig_r, sizeof(r->sig_r));
	put_hex(&s, "signature.s", r->sig_s, sizeof(r->sig_s));
	return s.rc;
}
