/*
 * backend_sgx.c - SGX under Gramine, through its /dev/attestation
 * pseudo-filesystem (Gramine's Documentation/attestation.rst):
 *
 *   attestation_type      read: "none", "epid" or "dcap"
 *   user_report_data      write 64 bytes before reading the quote
 *   quote                 read: the quote over the last report data
 *   my_target_info        read: 512-byte target info, MRENCLAVE first
 *   keys/_sgx_mrenclave   read: the 16-byte raw EGETKEY seal key bound to
 *                         MRENCLAVE
 *
 * Gramine keeps these process-local, so no locking between processes.
 * Sealing keys are HKDF-SHA-384 of the MRENCLAVE seal key with our own
 * salt and the label, so that the hardware key is never used directly for
 * two purposes (Gramine's manifest documentation warns against reusing a
 * key of its encrypted-files mounts).
 */
#include <stdlib.h>
#include <string.h>

#include "common/err.h"
#include "common/file.h"
#include "common/mem.h"
#include "crypto/hkdf.h"
#include "tee/tee_backend.h"

#define SGX_TYPE_MAX        32
#define SGX_QUOTE_MIN       432 /* header 48 + report body 384 */
#define SGX_QUOTE_RD_OFF    368 /* report_data: header 48 + body offset 320 */
#define SGX_TARGET_INFO_LEN 512
#define SGX_MRENCLAVE_LEN   32
#define SGX_SEAL_KEY_LEN    16
#define SGX_SEAL_SALT       "custos-sgx-seal-v1"

struct sgx_state {
	char root[TEE_PATH_MAX];
	int can_quote; /* attestation_type is not "none" */
};

static int sgx_path(const struct sgx_state *s, const char *name, char *out, size_t outsz)
{
	return tee_path_join(out, outsz, s->root, name);
}

static int read_type(const struct sgx_state *s, char *out, size_t outsz)
{
	char path[TEE_PATH_MAX + 64];
	uint8_t *buf = NULL;
	size_t len;
	int rc;

	if ((rc = sgx_path(s, "attestation_type", path, sizeof(path))) ||
	    (rc = cu_file_read(path, SGX_TYPE_MAX, &buf, &len)))
		return rc == CU_ELIMIT ? CU_EFORMAT : rc;
	while (len && (buf[len - 1] == '\n' || buf[len - 1] == '\0'))
		len--;
	rc = len < outsz && !memchr(buf, 0, len) ? 0 : CU_EFORMAT;
	if (!rc) {
		memcpy(out, buf, len);
		out[len] = 0;
	}
	free(buf);
	return rc;
}

static int sgx_open(const struct tee_options *opt, void **state, enum tee_type *type)
{
	char kind[SGX_TYPE_MAX + 1];
	struct sgx_state *s;
	int rc;

	*state = NULL;
	if (!(s = calloc(1, sizeof(*s))))
		return CU_ENOMEM;
	memcpy(s->root, opt->sgx_root, strlen(opt->sgx_root) + 1);
	if ((rc = read_type(s, kind, sizeof(kind)))) {
		free(s);
		return rc;
	}
	if (strcmp(kind, "none") && strcmp(kind, "epid") && strcmp(kind, "dcap")) {
		free(s);
		return CU_EUNSUPPORTED;
	}
	s->can_quote = strcmp(kind, "none") != 0;
	*state = s;
	*type = TEE_SGX;
	return 0;
}

static int sgx_evidence(void *state, const uint8_t report_data[static TEE_REPORT_DATA_LEN],
                        uint8_t **evidence, size_t *len)
{
	struct sgx_state *s = state;
	char path[TEE_PATH_MAX + 64];
	uint8_t *q = NULL;
	size_t n = 0;
	int rc;

	if (!s->can_quote)
		return CU_EUNSUPPORTED;
	if ((rc = sgx_path(s, "user_report_data", path, sizeof(path))) ||
	    (rc = tee_file_put(path, report_data, TEE_REPORT_DATA_LEN)) ||
	    (rc = sgx_path(s, "quote", path, sizeof(path))) ||
	    (rc = cu_file_read(path, TEE_EVIDENCE_MAX, &q, &n)))
		goto out;
	/* A quote over stale report data would bind nothing: check ours is in it. */
	rc = CU_EFORMAT;
	if (n < SGX_QUOTE_MIN ||
	    memcmp(q + SGX_QUOTE_RD_OFF, report_data, TEE_REPORT_DATA_LEN) != 0)
		goto out;
	*evidence = q;
	*len = n;
	q = NULL;
	rc = 0;
out:
	free(q);
	return rc;
}

static int sgx_sealing_key(void *state, const char *label, size_t label_len,
                           uint8_t key[static TEE_SEALING_KEY_LEN])
{
	struct sgx_state *s = state;
	char path[TEE_PATH_MAX + 64];
	uint8_t *hw = NULL;
	size_t n = 0;
	int rc;

	if ((rc = sgx_path(s, "keys/_sgx_mrenclave", path, sizeof(path))) ||
	    (rc = cu_file_read(path, SGX_SEAL_KEY_LEN + 1, &hw, &n)))
		goto out;
	rc = CU_EFORMAT;
	if (n != SGX_SEAL_KEY_LEN)
		goto out;
	rc = cr_hkdf(CR_SHA384, hw, n, (const uint8_t *)SGX_SEAL_SALT, sizeof(SGX_SEAL_SALT) - 1,
	             label, label_len, key, TEE_SEALING_KEY_LEN);
out:
	cu_free_secret(hw, n);
	return rc == CU_ELIMIT ? CU_EFORMAT : rc;
}

static int sgx_measurement(void *state, uint8_t *buf, size_t *len)
{
	struct sgx_state *s = state;
	char path[TEE_PATH_MAX + 64];
	uint8_t *ti = NULL;
	size_t n = 0;
	int rc;

	if (*len < SGX_MRENCLAVE_LEN)
		return CU_ELIMIT;
	if ((rc = sgx_path(s, "my_target_info", path, sizeof(path))) ||
	    (rc = cu_file_read(path, SGX_TARGET_INFO_LEN + 1, &ti, &n)))
		goto out;
	rc = CU_EFORMAT;
	if (n != SGX_TARGET_INFO_LEN)
		goto out;
	memcpy(buf, ti, SGX_MRENCLAVE_LEN);
	*len = SGX_MRENCLAVE_LEN;
	rc = 0;
out:
	free(ti);
	return rc == CU_ELIMIT ? CU_EFORMAT : rc;
}

static void sgx_free(void *state)
{
	free(state);
}

const struct tee_backend tee_backend_sgx = {
    .name = "sgx",
    .open = sgx_open,
    .evidence = sgx_evidence,
    .sealing_key = sgx_sealing_key,
    .measurement = sgx_measurement,
    .free = sgx_free,
};
