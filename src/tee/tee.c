/* tee.c - one interface over the sim, sgx and tsm backends (see tee.h). */
#include "tee/tee.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/err.h"
#include "common/file.h"
#include "common/mem.h"
#include "tee/tee_backend.h"

struct tee {
	const struct tee_backend *be;
	void *state;
	enum tee_type type;
};

static const struct tee_backend *const backends[] = {
    &tee_backend_sim,
    &tee_backend_sgx,
    &tee_backend_tsm,
};

int tee_path_join(char *out, size_t outsz, const char *root, const char *name)
{
	int n = snprintf(out, outsz, "%s/%s", root, name);

	return n < 0 || (size_t)n >= outsz ? CU_ELIMIT : 0;
}

int tee_file_put(const char *path, const void *buf, size_t len)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC);
	int rc;

	if (fd < 0)
		return errno == ENOENT ? CU_ENOTFOUND : CU_EIO;
	rc = cu_write_full(fd, buf, len);
	/* configfs takes a binary attribute when it is closed: that may fail too. */
	if (close(fd) != 0 && !rc)
		rc = CU_EIO;
	return rc;
}

static int check_root(const char *root)
{
	return root && *root && strlen(root) < TEE_PATH_MAX ? 0 : CU_EINVAL;
}

static int apply_defaults(const struct tee_options *in, struct tee_options *o)
{
	memset(o, 0, sizeof(*o));
	if (in)
		*o = *in;
	if (!o->sim_socket)
		o->sim_socket = getenv(TEE_SIM_SOCKET_ENV);
	if (!o->sgx_root)
		o->sgx_root = TEE_SGX_DEFAULT_ROOT;
	if (!o->tsm_root)
		o->tsm_root = TEE_TSM_DEFAULT_ROOT;
	if (o->timeout_ms <= 0)
		o->timeout_ms = TEE_DEFAULT_TIMEOUT_MS;
	if (check_root(o->sgx_root) || check_root(o->tsm_root))
		return CU_EINVAL;
	if (o->sim_socket && check_root(o->sim_socket))
		return CU_EINVAL;
	return 0;
}

int tee_open(const char *kind, const struct tee_options *options, struct tee **out)
{
	const struct tee_backend *be = NULL;
	struct tee_options o;
	struct tee *t;
	int rc;

	*out = NULL;
	for (size_t i = 0; kind && i < sizeof(backends) / sizeof(backends[0]); i++)
		if (!strcmp(kind, backends[i]->name))
			be = backends[i];
	if (!be)
		return CU_EINVAL;
	if ((rc = apply_defaults(options, &o)))
		return rc;
	if (!(t = calloc(1, sizeof(*t))))
		return CU_ENOMEM;
	t->be = be;
	if ((rc = be->open(&o, &t->state, &t->type))) {
		free(t);
		return rc;
	}
	*out = t;
	return 0;
}

enum tee_type tee_get_type(const struct tee *tee)
{
	return tee ? tee->type : TEE_NONE;
}

int tee_get_evidence(struct tee *tee, const uint8_t report_data[static TEE_REPORT_DATA_LEN],
                     uint8_t **evidence, size_t *len)
{
	*evidence = NULL;
	*len = 0;
	if (!tee)
		return CU_EINVAL;
	return tee->be->evidence(tee->state, report_data, evidence, len);
}

int tee_get_endorsement(struct tee *tee, uint8_t **out, size_t *len)
{
	if (!out || !len)
		return CU_EINVAL;
	*out = NULL;
	*len = 0;
	if (!tee)
		return CU_EINVAL;
	if (!tee->be->endorsement)
		return CU_ENOTFOUND;
	return tee->be->endorsement(tee->state, out, len);
}

int tee_get_sealing_key(struct tee *tee, const char *label, uint8_t key[static TEE_SEALING_KEY_LEN])
{
	size_t n = label ? strnlen(label, TEE_LABEL_MAX + 1) : 0;
	int rc;

	cu_wipe(key, TEE_SEALING_KEY_LEN);
	if (!tee || n == 0 || n > TEE_LABEL_MAX)
		return CU_EINVAL;
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)label[i] < 0x21 || (unsigned char)label[i] > 0x7e)
			return CU_EINVAL;
	rc = tee->be->sealing_key(tee->state, label, n, key);
	if (rc)
		cu_wipe(key, TEE_SEALING_KEY_LEN);
	return rc;
}

int tee_self_measurement(struct tee *tee, uint8_t *buf, size_t *len)
{
	if (!tee || !buf || !len)
		return CU_EINVAL;
	return tee->be->measurement(tee->state, buf, len);
}

void tee_free(struct tee *tee)
{
	if (!tee)
		return;
	tee->be->free(tee->state);
	free(tee);
}
