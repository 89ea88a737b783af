/*
 * backend_tsm.c - confidential VMs (TDX, SEV-SNP) through Linux configfs-tsm
 * (Documentation/ABI/testing/configfs-tsm-report):
 *
 *   mkdir <root>/<name>          a report entry of our own, with attributes
 *   <name>/provider              "tdx_guest" or "sev_guest": the outblob format
 *   <name>/generation            decimal count of writes to the entry
 *   <name>/inblob                write: up to 64 bytes of report data
 *   <name>/outblob               read: the report over inblob (EFBIG if
 *                                larger than the kernel's maximum)
 *   rmdir <root>/<name>
 *
 * Each request makes a fresh entry with a random name, so no other process
 * shares it; the generation is still checked as the ABI asks (read before
 * writing, and after reading outblob it must have grown by exactly our one
 * write). The outblob must carry our report data: a stale report is refused.
 *
 * Sealing: configfs-tsm has no sealing key. A TDX guest has none at all;
 * an SEV-SNP guest can derive keys through /dev/sev-guest (SNP_GET_DERIVED_KEY),
 * which is not part of this ABI and not generic. A confidential VM gets its
 * long-lived secrets by key release after attestation instead, so
 * tee_get_sealing_key() returns CU_EUNSUPPORTED here (docs/attestation.md).
 *
 * Removing the entry is best effort: the report is valid whether or not
 * rmdir succeeds, and configfs refuses it only if the entry is gone already.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/encoding.h"
#include "common/err.h"
#include "common/file.h"
#include "common/reader.h"
#include "crypto/rand.h"
#include "tee/tee_backend.h"

#define TSM_ATTR_MAX     64 /* a text attribute: provider, generation */
#define TSM_NAME_RAND    8  /* random bytes in an entry name */
#define TSM_TDX_TEE_TYPE 0x81
#define TSM_TDX_MRTD     136 /* offsets within a TD quote body */
#define TSM_TDX_RD       520
#define TSM_TDX_BODY_MIN 584
#define TSM_SNP_RD       0x50
#define TSM_SNP_MEAS     0x90
#define TSM_SNP_LEN      0x4a0

struct tsm_state {
	char root[TEE_PATH_MAX];
	enum tee_type type;
};

/* One report entry: its directory and the path of one attribute in it. */
struct tsm_entry {
	char dir[TEE_PATH_MAX + 64];
	char attr[TEE_PATH_MAX + 96];
	int made;
};

static int entry_attr(struct tsm_entry *e, const char *name)
{
	return tee_path_join(e->attr, sizeof(e->attr), e->dir, name);
}

static int entry_make(const char *root, struct tsm_entry *e)
{
	uint8_t rnd[TSM_NAME_RAND];
	char hex[2 * TSM_NAME_RAND + 1], name[64];
	int rc;

	memset(e, 0, sizeof(*e));
	if (cr_random(rnd, sizeof(rnd)) || cu_hex_encode(rnd, sizeof(rnd), hex, sizeof(hex)))
		return CU_ECRYPTO;
	snprintf(name, sizeof(name), "custos-%ld-%s", (long)getpid(), hex);
	if ((rc = tee_path_join(e->dir, sizeof(e->dir), root, name)))
		return rc;
	if (mkdir(e->dir, 0700) != 0)
		return errno == ENOENT || errno == ENXIO ? CU_ENOTFOUND : CU_EIO;
	e->made = 1;
	return 0;
}

static void entry_remove(struct tsm_entry *e)
{
	if (e->made)
		(void)rmdir(e->dir);
	e->made = 0;
}

/* A text attribute without its trailing newline, NUL-terminated. */
static int read_attr(struct tsm_entry *e, const char *name, char *out, size_t outsz)
{
	uint8_t *buf = NULL;
	size_t len = 0;
	int rc;

	if ((rc = entry_attr(e, name)) || (rc = cu_file_read(e->attr, TSM_ATTR_MAX, &buf, &len)))
		return rc == CU_ELIMIT ? CU_EFORMAT : rc;
	if (len && buf[len - 1] == '\n')
		len--;
	rc = len < outsz && !memchr(buf, 0, len) ? 0 : CU_EFORMAT;
	if (!rc) {
		memcpy(out, buf, len);
		out[len] = 0;
	}
	free(buf);
	return rc;
}

static int read_generation(struct tsm_entry *e, uint64_t *gen)
{
	char s[TSM_ATTR_MAX];
	uint64_t v = 0;
	int rc;

	*gen = 0;
	if ((rc = read_attr(e, "generation", s, sizeof(s))))
		return rc;
	if (!s[0] || strlen(s) > 19)
		return CU_EFORMAT;
	for (const char *p = s; *p; p++) {
		if (*p < '0' || *p > '9')
			return CU_EFORMAT;
		v = v * 10 + (uint64_t)(*p - '0');
	}
	*gen = v;
	return 0;
}

static int provider_type(const char *provider, enum tee_type *type)
{
	if (!strcmp(provider, "tdx_guest"))
		*type = TEE_TDX;
	else if (!strcmp(provider, "sev_guest"))
		*type = TEE_SEV_SNP;
	else
		return CU_EUNSUPPORTED;
	return 0;
}

/* Where the report data and measurement of a TD quote (v4 or v5) are. */
static int tdx_body(struct cu_reader *r)
{
	uint16_t version, body_type;
	uint32_t tee_type, body_size;
	int rc;

	if ((rc = cu_read_u16le(r, &version)) || (rc = cu_read_skip(r, 2)) ||
	    (rc = cu_read_u32le(r, &tee_type)) || (rc = cu_read_skip(r, 40)))
		return rc;
	if (tee_type != TSM_TDX_TEE_TYPE)
		return CU_EFORMAT;
	if (version == 4)
		return 0;
	if (version != 5)
		return CU_EUNSUPPORTED;
	if ((rc = cu_read_u16le(r, &body_type)) || (rc = cu_read_u32le(r, &body_size)))
		return rc;
	return body_type == 2 || body_type == 3 ? 0 : CU_EUNSUPPORTED;
}

/* Check that blob carries report_data and take its measurement (48 bytes). */
static int parse_outblob(enum tee_type type, const uint8_t *blob, size_t len,
                         const uint8_t report_data[static TEE_REPORT_DATA_LEN], uint8_t meas[48])
{
	uint8_t rd[TEE_REPORT_DATA_LEN];
	struct cu_reader r, body;
	size_t moff, rdoff;
	int rc;

	cu_reader_init(&r, blob, len);
	if (type == TEE_TDX) {
		if ((rc = tdx_body(&r)) || (rc = cu_read_sub(&r, &body, cu_reader_left(&r))))
			return rc;
		moff = TSM_TDX_MRTD;
		rdoff = TSM_TDX_RD;
		if (cu_reader_left(&body) < TSM_TDX_BODY_MIN)
			return CU_ETRUNC;
	} else {
		if (len < TSM_SNP_LEN)
			return CU_ETRUNC;
		body = r;
		moff = TSM_SNP_MEAS;
		rdoff = TSM_SNP_RD;
	}
	r = body;
	if ((rc = cu_read_skip(&r, moff)) || (rc = cu_read_bytes(&r, meas, 48)))
		return rc;
	r = body;
	if ((rc = cu_read_skip(&r, rdoff)) || (rc = cu_read_bytes(&r, rd, sizeof(rd))))
		return rc;
	return memcmp(rd, report_data, sizeof(rd)) ? CU_EFORMAT : 0;
}

/* The report exchange on a fresh entry; see the comment at the top. */
static int tsm_report(struct tsm_state *s, const uint8_t report_data[static TEE_REPORT_DATA_LEN],
                      uint8_t **blob, size_t *bloblen, uint8_t meas[48])
{
	char provider[TSM_ATTR_MAX];
	uint64_t g0, g1;
	struct tsm_entry e;
	enum tee_type type;
	int rc;

	*blob = NULL;
	*bloblen = 0;
	if ((rc = entry_make(s->root, &e)))
		return rc;
	if ((rc = read_attr(&e, "provider", provider, sizeof(provider))) ||
	    (rc = provider_type(provider, &type)) || (rc = read_generation(&e, &g0)) ||
	    (rc = entry_attr(&e, "inblob")) ||
	    (rc = tee_file_put(e.attr, report_data, TEE_REPORT_DATA_LEN)) ||
	    (rc = entry_attr(&e, "outblob")) ||
	    (rc = cu_file_read(e.attr, TEE_EVIDENCE_MAX, blob, bloblen)) ||
	    (rc = read_generation(&e, &g1)))
		goto out;
	rc = CU_ESTATE;
	if (g1 != g0 + 1 || (s->type != TEE_NONE && type != s->type))
		goto out;
	s->type = type;
	rc = parse_outblob(type, *blob, *bloblen, report_data, meas);
out:
	entry_remove(&e);
	if (rc) {
		free(*blob);
		*blob = NULL;
		*bloblen = 0;
	}
	return rc;
}

/* Opening checks that an entry can be made and names a provider we know. */
static int tsm_open(const struct tee_options *opt, void **state, enum tee_type *type)
{
	char provider[TSM_ATTR_MAX];
	struct tsm_state *s;
	struct tsm_entry e;
	int rc;

	*state = NULL;
	if (!(s = calloc(1, sizeof(*s))))
		return CU_ENOMEM;
	memcpy(s->root, opt->tsm_root, strlen(opt->tsm_root) + 1);
	if ((rc = entry_make(s->root, &e)))
		goto out;
	rc = read_attr(&e, "provider", provider, sizeof(provider));
	entry_remove(&e);
	if (rc || (rc = provider_type(provider, &s->type)))
		goto out;
	*type = s->type;
	*state = s;
out:
	if (rc)
		free(s);
	return rc;
}

static int tsm_evidence(void *state, const uint8_t report_data[static TEE_REPORT_DATA_LEN],
                        uint8_t **evidence, size_t *len)
{
	uint8_t meas[48];

	return tsm_report(state, report_data, evidence, len, meas);
}

static int tsm_sealing_key(void *state, const char *label, size_t label_len,
                           uint8_t key[static TEE_SEALING_KEY_LEN])
{
	(void)state;
	(void)label;
	(void)label_len;
	(void)key;
	return CU_EUNSUPPORTED;
}

static int tsm_measurement(void *state, uint8_t *buf, size_t *len)
{
	static const uint8_t zero[TEE_REPORT_DATA_LEN];
	uint8_t meas[48], *blob = NULL;
	size_t n = 0;
	int rc;

	if (*len < sizeof(meas))
		return CU_ELIMIT;
	if ((rc = tsm_report(state, zero, &blob, &n, meas)))
		return rc;
	free(blob);
	memcpy(buf, meas, sizeof(meas));
	*len = sizeof(meas);
	return 0;
}

static void tsm_free(void *state)
{
	free(state);
}

const struct tee_backend tee_backend_tsm = {
    .name = "tsm",
    .open = tsm_open,
    .evidence = tsm_evidence,
    .sealing_key = tsm_sealing_key,
    .measurement = tsm_measurement,
    .free = tsm_free,
};
