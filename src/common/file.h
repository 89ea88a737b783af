/*
 * file.h - whole-file reads with a size limit, and all-or-nothing writes.
 *
 * An atomic file is written to a temporary file in the target's directory
 * (so the final rename stays within one filesystem) and appears under its
 * name only on cu_afile_commit(): a reader never sees a partial file, and a
 * failed run leaves no output. cu_afile_abort() removes the temporary.
 */
#ifndef CUSTOS_COMMON_FILE_H
#define CUSTOS_COMMON_FILE_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* Read the whole of path (at most max bytes) into a malloc'd buffer with a NUL after it. */
int cu_file_read(const char *path, size_t max, uint8_t **out, size_t *len);

/* Read all of fd (at most max bytes). */
int cu_fd_read_all(int fd, size_t max, uint8_t **out, size_t *len);

/* write(2) and read(2) that retry on EINTR and short counts. read_full returns the bytes read (< n
 * only at EOF). */
int cu_write_full(int fd, const void *buf, size_t n);
int cu_read_full(int fd, void *buf, size_t n, size_t *got);

struct cu_afile {
	int fd;
	char *path;
	char *tmp;
};

/* Create a temporary beside path with the given mode (e.g. 0600); af->fd is open for writing. */
int cu_afile_open(struct cu_afile *af, const char *path, mode_t mode);

/* fsync, close and rename over path. af is released whatever the result. */
int cu_afile_commit(struct cu_afile *af);

/* Close and unlink the temporary. Safe on a released or zeroed af. */
void cu_afile_abort(struct cu_afile *af);

/* Write buf to path atomically with mode. */
int cu_file_write_atomic(const char *path, const void *buf, size_t len, mode_t mode);

#endif
