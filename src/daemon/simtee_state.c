/*
 * simtee_state.c - the state directory of custos-simtee.
 *
 *   root.key   the simulated root's P-256 private key, PKCS#8 PEM, 0600
 *   root.pem   its self-signed certificate, 0644: what verifiers are given
 *   seal.key   32 random bytes, 0600: the root of every sealing key
 *   simtee.lock  flock()ed while a daemon runs
 *
 * Files are written atomically (cu_afile), keys before the certificate, so
 * that a crash never leaves a certificate without its key. The attestation
 * key is made anew at every start and never written down.
 */
#include <errno.h>
#include <fcntl.h>
#include <openssl/pem.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/err.h"
#include "common/file.h"
#include "common/log.h"
#include "common/mem.h"
#include "common/time.h"
#include "crypto/hkdf.h"
#include "crypto/pkey.h"
#include "crypto/rand.h"
#include "daemon/simtee.h"

static int state_path(const struct simtee_state *st, const char *name, char *out, size_t outsz)
{
	int n = snprintf(out, outsz, "%s/%s", st->dir, name);

	return n < 0 || (size_t)n >= outsz ? CU_ELIMIT : 0;
}

/* A key file must be a regular file that only its owner may read. */
static int check_private(const char *path)
{
	struct stat sb;

	if (lstat(path, &sb) != 0)
		return errno == ENOENT ? CU_ENOTFOUND : CU_EIO;
	if (!S_ISREG(sb.st_mode) || (sb.st_mode & 077)) {
		cu_error("%s: must be a regular file of mode 0600", path);
		return CU_EPERM;
	}
	return 0;
}

static int lock_dir(struct simtee_state *st)
{
	char path[4096];
	int rc;

	if (mkdir(st->dir, 0700) != 0 && errno != EEXIST) {
		cu_error("%s: %s", st->dir, strerror(errno));
		return CU_EIO;
	}
	if ((rc = state_path(st, "simtee.lock", path, sizeof(path))))
		return rc;
	if ((st->lock_fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600)) < 0)
		return CU_EIO;
	if (flock(st->lock_fd, LOCK_EX | LOCK_NB) != 0) {
		cu_error("%s: another custos-simtee uses this directory", st->dir);
		return CU_EEXISTS;
	}
	return 0;
}

static int load_root(struct simtee_state *st, const char *keypath, const char *certpath)
{
	uint8_t *pem = NULL;
	size_t len = 0;
	BIO *bio = NULL;
	int rc;

	if ((rc = check_private(keypath)) ||
	    (rc = cu_file_read(keypath, SIMTEE_PEM_MAX, &pem, &len)))
		goto out;
	rc = cr_pkey_from_pem(pem, len, 1, &st->root_key);
	cu_free_secret(pem, len);
	pem = NULL;
	if (rc || (rc = cu_file_read(certpath, SIMTEE_PEM_MAX, &pem, &len)))
		goto out;
	rc = CU_EFORMAT;
	if (!(bio = BIO_new_mem_buf(pem, (int)len)) ||
	    !(st->root_cert = PEM_read_bio_X509(bio, NULL, NULL, NULL)))
		goto out;
	rc = EVP_PKEY_eq(st->root_key, X509_get0_pubkey(st->root_cert)) == 1 ? 0 : CU_EKEY;
out:
	BIO_free(bio);
	free(pem);
	if (rc)
		cu_error("cannot load the simulated root from %s: %s", st->dir, cu_strerror(rc));
	return rc;
}

static int write_cert_pem(X509 *x, const char *path)
{
	BIO *bio = BIO_new(BIO_s_mem());
	char *data;
	long n;
	int rc = CU_ECRYPTO;

	if (!bio)
		return CU_ENOMEM;
	if (PEM_write_bio_X509(bio, x) && (n = BIO_get_mem_data(bio, &data)) > 0)
		rc = cu_file_write_atomic(path, data, (size_t)n, 0644);
	BIO_free(bio);
	return rc;
}

static int make_root(struct simtee_state *st, const char *keypath, const char *certpath)
{
	int64_t now = cu_time_now();
	char *pem = NULL;
	size_t len = 0;
	int rc;

	if ((rc = cr_pkey_generate(CR_KEY_P256, &st->root_key)) ||
	    (rc = sim_root_cert_new(st->root_key, now - SIMTEE_ATTEST_BACKDATE,
	                            now + (int64_t)SIMTEE_ROOT_YEARS * 365 * 86400,
	                            &st->root_cert)) ||
	    (rc = cr_pkey_to_pem(st->root_key, 1, &pem, &len)) ||
	    (rc = cu_file_write_atomic(keypath, pem, len, 0600)) ||
	    (rc = write_cert_pem(st->root_cert, certpath)))
		goto out;
	cu_info("made a new simulated root in %s (INSECURE: for development only)", st->dir);
out:
	cu_free_secret(pem, len);
	return rc;
}

/* Load root.key and root.pem, or make both if neither exists; never overwrite one. */
static int root_open(struct simtee_state *st)
{
	char keypath[4096], certpath[4096];
	int has_key, has_cert, rc;

	if ((rc = state_path(st, "root.key", keypath, sizeof(keypath))) ||
	    (rc = state_path(st, "root.pem", certpath, sizeof(certpath))))
		return rc;
	has_key = access(keypath, F_OK) == 0;
	has_cert = access(certpath, F_OK) == 0;
	if (has_key != has_cert) {
		cu_error("%s: root.key and root.pem must both exist or neither", st->dir);
		return CU_ESTATE;
	}
	if (has_key)
		return load_root(st, keypath, certpath);
	return make_root(st, keypath, certpath);
}

static int seal_open(struct simtee_state *st)
{
	char path[4096];
	uint8_t *buf = NULL;
	size_t len = 0;
	int rc;

	if ((rc = state_path(st, "seal.key", path, sizeof(path))))
		return rc;
	rc = check_private(path);
	if (rc == CU_ENOTFOUND) {
		if (cr_random(st->seal_secret, sizeof(st->seal_secret)))
			return CU_ECRYPTO;
		return cu_file_write_atomic(path, st->seal_secret, sizeof(st->seal_secret), 0600);
	}
	if (rc || (rc = cu_file_read(path, SIMTEE_SEAL_SECRET_LEN + 1, &buf, &len)))
		goto out;
	rc = CU_EFORMAT;
	if (len != SIMTEE_SEAL_SECRET_LEN)
		goto out;
	memcpy(st->seal_secret, buf, len);
	rc = 0;
out:
	cu_free_secret(buf, len);
	if (rc)
		cu_error("%s: cannot load the sealing secret: %s", path, cu_strerror(rc));
	return rc;
}

/* A new attestation key and certificate valid from a little before now. */
static int attest_issue(struct simtee_state *st, int64_t now)
{
	EVP_PKEY *k = NULL;
	uint8_t *der = NULL;
	size_t len = 0;
	int rc;

	if ((rc = cr_pkey_generate(CR_KEY_P256, &k)) ||
	    (rc = sim_attest_cert_new(st->root_key, st->root_cert, k, now - SIMTEE_ATTEST_BACKDATE,
	                              now + SIMTEE_ATTEST_VALIDITY, &der, &len))) {
		EVP_PKEY_free(k);
		return rc;
	}
	EVP_PKEY_free(st->attest_key);
	free(st->attest_cert);
	st->attest_key = k;
	st->attest_cert = der;
	st->attest_cert_len = len;
	st->attest_not_after = now + SIMTEE_ATTEST_VALIDITY;
	cu_info("issued a new attestation key certificate, valid for %d s", SIMTEE_ATTEST_VALIDITY);
	return 0;
}

int simtee_state_refresh(struct simtee_state *st, int64_t now)
{
	if (st->attest_key && st->attest_not_after - now > SIMTEE_ATTEST_RENEW)
		return 0;
	return attest_issue(st, now);
}

/* The root's DER, served to the sim backend so that its RA-TLS certificates carry it. */
static int root_encode(struct simtee_state *st)
{
	unsigned char *der = NULL;
	int n = i2d_X509(st->root_cert, &der);

	if (n <= 0 || n > SIM_CERT_MAX) {
		OPENSSL_free(der);
		return n <= 0 ? CU_ECRYPTO : CU_ELIMIT;
	}
	if (!(st->root_der = malloc((size_t)n))) {
		OPENSSL_free(der);
		return CU_ENOMEM;
	}
	memcpy(st->root_der, der, (size_t)n);
	st->root_der_len = (size_t)n;
	OPENSSL_free(der);
	return 0;
}

int simtee_state_open(const char *dir, struct simtee_state *st)
{
	int rc;

	memset(st, 0, sizeof(*st));
	st->lock_fd = -1;
	if (!(st->dir = cu_strdup(dir)))
		return CU_ENOMEM;
	if ((rc = lock_dir(st)) || (rc = root_open(st)) || (rc = root_encode(st)) ||
	    (rc = seal_open(st)) || (rc = sim_platform_id(st->root_cert, st->platform_id)) ||
	    (rc = simtee_state_refresh(st, cu_time_now())))
		simtee_state_free(st);
	return rc;
}

int simtee_state_seal_key(const struct simtee_state *st,
                          const uint8_t measurement[static SIM_MEASUREMENT_LEN], const char *label,
                          size_t label_len, uint8_t key[static SIMTEE_KEY_LEN])
{
	uint8_t info[SIM_MEASUREMENT_LEN + SIMTEE_LABEL_MAX];
	int rc;

	if (label_len == 0 || label_len > SIMTEE_LABEL_MAX)
		return CU_EINVAL;
	/* The measurement has a fixed length, so measurement || label is unambiguous. */
	memcpy(info, measurement, SIM_MEASUREMENT_LEN);
	memcpy(info + SIM_MEASUREMENT_LEN, label, label_len);
	rc = cr_hkdf(CR_SHA384, st->seal_secret, sizeof(st->seal_secret),
	             (const uint8_t *)SIMTEE_SEAL_SALT, sizeof(SIMTEE_SEAL_SALT) - 1, info,
	             SIM_MEASUREMENT_LEN + label_len, key, SIMTEE_KEY_LEN);
	if (rc)
		cu_wipe(key, SIMTEE_KEY_LEN);
	return rc;
}

void simtee_state_free(struct simtee_state *st)
{
	if (!st)
		return;
	EVP_PKEY_free(st->root_key);
	EVP_PKEY_free(st->attest_key);
	X509_free(st->root_cert);
	free(st->root_der);
	free(st->attest_cert);
	cu_wipe(st->seal_secret, sizeof(st->seal_secret));
	if (st->lock_fd >= 0)
		close(st->lock_fd);
	free(st->dir);
	memset(st, 0, sizeof(*st));
	st->lock_fd = -1;
}
