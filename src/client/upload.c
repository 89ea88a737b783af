/*
 * upload.c - custos_file_upload_input: encrypt a plaintext file with a fresh
 * key in the Custos format, write it where the platform will read it
 * (file://), and register it with its digest, in one call.
 */
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "client/client_int.h"
#include "common/encoding.h"
#include "common/err.h"
#include "common/file.h"
#include "common/mem.h"
#include "efile/efile.h"
#include "efile/keyfile.h"

#define FILE_URL "file://"

/* Bytes a file:// URL may carry as they are: printable ASCII but for URL syntax. */
static int path_plain(const char *p)
{
	for (; *p; p++)
		if ((unsigned char)*p <= 0x20 || (unsigned char)*p >= 0x7f || strchr("%?#", *p))
			return 0;
	return 1;
}

/*
 * The absolute path of destination (a path, or a file:// URL), whose
 * directory must exist; the file itself must not.
 */
static int dest_path(struct custos_client *c, const char *dest, char *out, size_t outsz)
{
	char dir[PATH_MAX], base[PATH_MAX], real[PATH_MAX];
	const char *p = dest;
	struct stat st;
	int n;

	if (!strncmp(p, FILE_URL, strlen(FILE_URL))) {
		p += strlen(FILE_URL);
		if (*p != '/')
			return cl_fail(c, CUSTOS_EINVAL, "a file:// URL holds an absolute path");
	}
	if (!*p || strlen(p) >= sizeof(dir))
		return cl_fail(c, CUSTOS_EINVAL, "bad destination '%s'", dest);
	if (!path_plain(p))
		return cl_fail(
		    c, CUSTOS_EINVAL,
		    "the destination path may hold printable ASCII but space, %%, ? and #");
	strcpy(dir, p);
	strcpy(base, p);
	if (!realpath(dirname(dir), real))
		return cl_fail(c, CUSTOS_EIO, "cannot resolve the directory of %s: %s", p,
		               strerror(errno));
	if (lstat(p, &st) == 0 || errno != ENOENT)
		return cl_fail(c, CUSTOS_EEXISTS, "%s exists already", p);
	n = snprintf(out, outsz, "%s/%s", strcmp(real, "/") ? real : "", basename(base));
	if (n < 0 || (size_t)n >= outsz || !path_plain(out))
		return cl_fail(c, CUSTOS_EINVAL, "destination path too long or not plain");
	return 0;
}

/* Encrypt plaintext to path (atomically), with digest of what was written. */
static int encrypt_to(struct custos_client *c, const char *plaintext, const char *path,
                      const struct ef_key *k, uint8_t digest[EF_DIGEST_LEN])
{
	struct cu_afile af = {.fd = -1};
	int in, rc;

	if ((in = open(plaintext, O_RDONLY | O_CLOEXEC)) < 0)
		return cl_fail(c, CUSTOS_EIO, "cannot open %s: %s", plaintext, strerror(errno));
	if ((rc = cu_afile_open(&af, path, 0644))) {
		close(in);
		return cl_fail(c, CUSTOS_EIO, "cannot create %s: %s", path, cu_strerror(rc));
	}
	rc = ef_encrypt_fd(EF_FORMAT_CUSTOS, k->key, k->key_len, NULL, in, af.fd, NULL, digest,
	                   NULL);
	close(in);
	if (rc) {
		cu_afile_abort(&af);
		return cl_fail(c, cl_map_cu(rc), "cannot encrypt %s: %s", plaintext,
		               cu_strerror(rc));
	}
	if ((rc = cu_afile_commit(&af)))
		return cl_fail(c, CUSTOS_EIO, "cannot write %s: %s", path, cu_strerror(rc));
	return 0;
}

int custos_file_upload_input(struct custos_client *c, const char *plaintext,
                             const char *destination, char id[CUSTOS_ID_MAX])
{
	char path[PATH_MAX], url[PATH_MAX + sizeof(FILE_URL)], dhex[2 * EF_DIGEST_LEN + 1];
	uint8_t digest[EF_DIGEST_LEN];
	struct custos_crypto cr;
	struct ef_key k;
	int rc;

	if (id)
		memset(id, 0, CUSTOS_ID_MAX);
	if ((rc = cl_need(c, "plaintext path", plaintext)) ||
	    (rc = cl_need(c, "destination", destination)) ||
	    (rc = dest_path(c, destination, path, sizeof(path))))
		return rc;
	if (!c->rpc)
		return cl_fail(c, CUSTOS_ESTATE, "not connected (custos_connect first)");
	if ((rc = ef_key_generate(EF_FORMAT_CUSTOS, NULL, &k)))
		return cl_fail(c, cl_map_cu(rc), "cannot make a key: %s", cu_strerror(rc));
	if ((rc = encrypt_to(c, plaintext, path, &k, digest)))
		goto out;
	snprintf(url, sizeof(url), FILE_URL "%s", path);
	cu_hex_encode(digest, sizeof(digest), dhex, sizeof(dhex));
	cr = (struct custos_crypto){.schema = "custos", .key = k.key, .key_len = k.key_len};
	if ((rc = custos_file_register_input(c, url, &cr, dhex, id)))
		(void)unlink(path); /* the key is gone with k: the file is of no use */
out:
	ef_key_wipe(&k);
	return rc;
}
