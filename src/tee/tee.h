/*
 * tee.h - the TEE a Custos process runs in: evidence, sealing keys, and
 * its own measurement, behind one interface with three backends.
 *
 *   "sim"  talks to custos-simtee over its UNIX socket; insecure, for
 *          development and tests (DESIGN.md section 3).
 *   "sgx"  runs under Gramine: /dev/attestation (user_report_data, quote,
 *          my_target_info, keys/_sgx_mrenclave).
 *   "tsm"  a confidential VM (TDX or SEV-SNP) through Linux configfs-tsm,
 *          /sys/kernel/config/tsm/report.
 *
 * Every path a backend touches is rooted in struct tee_options, so that
 * tests run the backends against fake trees. A struct tee is used by one
 * thread at a time. Sealing keys are 32 bytes, secret: the caller wipes
 * them (cu_wipe) when done.
 */
#ifndef CUSTOS_TEE_TEE_H
#define CUSTOS_TEE_TEE_H

#include <stddef.h>
#include <stdint.h>

#include "tee/claims.h"

#define TEE_SEALING_KEY_LEN 32
#define TEE_LABEL_MAX       64      /* bytes of a sealing-key label, printable ASCII */
#define TEE_EVIDENCE_MAX    1048576 /* evidence of any backend */
#define TEE_PATH_MAX        512     /* a root path in tee_options */

#define TEE_SGX_DEFAULT_ROOT   "/dev/attestation"
#define TEE_TSM_DEFAULT_ROOT   "/sys/kernel/config/tsm/report"
#define TEE_SIM_SOCKET_ENV     "CUSTOS_SIMTEE_SOCKET"
#define TEE_DEFAULT_TIMEOUT_MS 10000

struct tee_options {
	/* sim: the socket of custos-simtee; NULL takes $CUSTOS_SIMTEE_SOCKET. */
	const char *sim_socket;
	/* sgx: the attestation pseudo-filesystem; NULL is TEE_SGX_DEFAULT_ROOT. */
	const char *sgx_root;
	/* tsm: the report directory of configfs-tsm; NULL is TEE_TSM_DEFAULT_ROOT. */
	const char *tsm_root;
	/* sim: the deadline of one request in milliseconds; 0 is TEE_DEFAULT_TIMEOUT_MS. */
	int timeout_ms;
};

struct tee;

/*
 * Open the backend kind ("sim", "sgx", "tsm") with options (NULL for all
 * defaults). The backend checks at once that its interface is there: sim
 * that the socket path is set, sgx that attestation_type names a quoting
 * scheme, tsm that a report entry can be made and names a known provider.
 * CU_EINVAL for an unknown kind, CU_ENOTFOUND when the interface is absent.
 */
int tee_open(const char *kind, const struct tee_options *options, struct tee **out);

/* The TEE type of an open tee (TEE_SIM, TEE_SGX, TEE_TDX or TEE_SEV_SNP). */
enum tee_type tee_get_type(const struct tee *tee);

/*
 * Evidence binding report_data: simulated evidence (sim.h), an SGX quote,
 * a TDX quote or an SEV-SNP report. *evidence is malloc'd (at most
 * TEE_EVIDENCE_MAX bytes) and the caller's.
 */
int tee_get_evidence(struct tee *tee, const uint8_t report_data[static TEE_REPORT_DATA_LEN],
                     uint8_t **evidence, size_t *len);

/*
 * What a verifier needs besides the evidence to check it, when the
 * evidence does not carry it: sim, the DER of custos-simtee's root
 * certificate (a verifier accepts it only when its SHA-256 is pinned, in
 * the manifest). *out is malloc'd and the caller's. CU_ENOTFOUND when the
 * backend has none to give (sgx: the PCK chain is in the quote; tsm: the
 * VCEK comes from the verifier's side, see docs/ratls.md).
 */
int tee_get_endorsement(struct tee *tee, uint8_t **out, size_t *len);

/*
 * A 32-byte sealing key for label (1..TEE_LABEL_MAX printable ASCII bytes),
 * the same for the same measurement on the same (simulated) platform, and
 * different for other labels. The tsm backend has none: CU_EUNSUPPORTED
 * (see docs/attestation.md). key is wiped on failure.
 */
int tee_get_sealing_key(struct tee *tee, const char *label,
                        uint8_t key[static TEE_SEALING_KEY_LEN]);

/*
 * The measurement of this process as a verifier will see it in its
 * evidence: SHA-384 of the executable (sim), MRENCLAVE (sgx, 32 bytes),
 * MRTD (tdx, 48) or MEASUREMENT (sev-snp, 48). buf holds *len bytes on
 * entry (TEE_MEASUREMENT_MAX suffices); *len gets the length.
 */
int tee_self_measurement(struct tee *tee, uint8_t *buf, size_t *len);

/* Close; NULL is fine. */
void tee_free(struct tee *tee);

#endif
