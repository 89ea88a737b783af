#include "common/file.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/buf.h"
#include "common/err.h"
#include "common/mem.h"

int cu_write_full(int fd, const void *buf, size_t n)
{
	const uint8_t *p = buf;

	while (n) {
		ssize_t w = write(fd, p, n);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return CU_EIO;
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

int cu_read_full(int fd, void *buf, size_t n, size_t *got)
{
	uint8_t *p = buf;
	size_t done = 0;

	while (done < n) {
		ssize_t r = read(fd, p + done, n - done);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			*got = done;
			return CU_EIO;
		}
		if (r == 0)
			break;
		done += (size_t)r;
	}
	*got = done;
	return 0;
}

int cu_fd_read_all(int fd, size_t max, uint8_t **out, size_t *len)
{
	struct cu_buf b;
	uint8_t chunk[65536];
	size_t got;
	int rc;

	*out = NULL;
	*len = 0;
	cu_buf_init(&b, max);
	for (;;) {
		rc = cu_read_full(fd, chunk, sizeof(chunk), &got);
		if (!rc && got)
			rc = cu_buf_append(&b, chunk, got);
		if (rc) {
			cu_wipe(chunk, sizeof(chunk));
			cu_buf_free_secret(&b);
			return rc;
		}
		if (got < sizeof(chunk))
			break;
	}
	cu_wipe(chunk, sizeof(chunk));
	if (!b.data && (rc = cu_buf_reserve(&b, 0)))
		return rc;
	*out = b.data;
	*len = b.len;
	return 0;
}

int cu_file_read(const char *path, size_t max, uint8_t **out, size_t *len)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	int rc;

	*out = NULL;
	*len = 0;
	if (fd < 0)
		return errno == ENOENT ? CU_ENOTFOUND : CU_EIO;
	rc = cu_fd_read_all(fd, max, out, len);
	close(fd);
	return rc;
}

int cu_afile_open(struct cu_afile *af, const char *path, mode_t mode)
{
	char *copy = NULL, *dir;
	int rc = CU_ENOMEM;

	af->fd = -1;
	af->tmp = NULL;
	af->path = cu_strdup(path);
	copy = cu_strdup(path);
	if (!af->path || !copy)
		goto out;
	dir = dirname(copy);
	if (asprintf(&af->tmp, "%s/.custos-tmp-XXXXXX", dir) < 0) {
		af->tmp = NULL;
		goto out;
	}
	af->fd = mkostemp(af->tmp, O_CLOEXEC);
	if (af->fd < 0) {
		free(af->tmp); /* nothing was created: nothing to unlink */
		af->tmp = NULL;
		rc = CU_EIO;
		goto out;
	}
	if (fchmod(af->fd, mode) != 0) {
		rc = CU_EIO;
		goto out;
	}
	rc = 0;
out:
	free(copy);
	if (rc)
		cu_afile_abort(af);
	return rc;
}

static void afile_release(struct cu_afile *af)
{
	if (af->fd >= 0)
		close(af->fd);
	free(af->path);
	free(af->tmp);
	af->fd = -1;
	af->path = NULL;
	af->tmp = NULL;
}

int cu_afile_commit(struct cu_afile *af)
{
	int rc = 0;

	if (af->fd < 0 || fsync(af->fd) != 0 || close(af->fd) != 0)
		rc = CU_EIO;
	af->fd = -1;
	if (!rc && rename(af->tmp, af->path) != 0)
		rc = CU_EIO;
	if (rc)
		cu_afile_abort(af);
	else
		afile_release(af);
	return rc;
}

void cu_afile_abort(struct cu_afile *af)
{
	if (af->tmp)
		unlink(af->tmp);
	afile_release(af);
}

int cu_file_write_atomic(const char *path, const void *buf, size_t len, mode_t mode)
{
	struct cu_afile af;
	int rc = cu_afile_open(&af, path, mode);

	if (rc)
		return rc;
	rc = cu_write_full(af.fd, buf, len);
	if (rc) {
		cu_afile_abort(&af);
		return rc;
	}
	return cu_afile_commit(&af);
}
