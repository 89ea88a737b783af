/*
 * simtee_peer.c - who is calling custos-simtee, and what it runs.
 *
 * The caller is the process at the other end of the socket (SO_PEERCRED,
 * recorded by the kernel at connect()). Its measurement is SHA-384 of the
 * executable it runs, read by this daemon through /proc/PID/exe: the caller
 * sends nothing that names itself.
 *
 * PID reuse: a PID names a process only while that process lives. So we
 * hold a pidfd for the peer: from SO_PEERPIDFD (Linux 6.5 and later), which
 * the kernel takes at connect() and so refers to the connecting process and
 * no other; or, on older kernels, from pidfd_open(pid) at accept(), which
 * leaves a window between connect() and accept() in which the peer could
 * die and its PID be reused. To measure, we open /proc/PID/exe, then check
 * that the pidfd's process has not exited (a pidfd polls readable once it
 * has) and that the start time in /proc/PID/stat is still the one seen at
 * accept(): if both hold, the PID still named our peer when we opened its
 * executable, and we hash that open file.
 *
 * What this does not stop (docs/attestation.md): a process that shares its
 * socket with a child and then execs another binary obtains the
 * measurement of that binary; and any user who can run or ptrace a binary
 * can make it ask for its keys. Simulated evidence is for development.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "common/err.h"
#include "common/file.h"
#include "crypto/hash.h"
#include "daemon/simtee.h"

#ifndef SO_PEERPIDFD
#define SO_PEERPIDFD 77
#endif

#define STAT_MAX   4096
#define HASH_CHUNK 65536

/* Field 22 (starttime) of /proc/PID/stat, counted after the ")" that ends comm. */
static int read_start(pid_t pid, unsigned long long *start)
{
	char path[64], *p, *end;
	uint8_t *buf = NULL;
	size_t len = 0;
	int rc, field;

	*start = 0;
	snprintf(path, sizeof(path), "/proc/%ld/stat", (long)pid);
	if ((rc = cu_file_read(path, STAT_MAX, &buf, &len)))
		return rc == CU_ENOTFOUND ? CU_ESTATE : rc;
	rc = CU_EFORMAT;
	if (!(p = memrchr(buf, ')', len)))
		goto out;
	/* After ")": " state ppid ..." - state is field 3, starttime field 22. */
	for (field = 2; field < 22 && p; field++)
		p = strchr(p + 1, ' ');
	if (!p)
		goto out;
	errno = 0;
	*start = strtoull(p + 1, &end, 10);
	if (errno || end == p + 1 || (*end != ' ' && *end != '\n' && *end))
		goto out;
	rc = 0;
out:
	free(buf);
	return rc;
}

static int peer_pidfd(int fd, pid_t pid, int *from_socket)
{
	socklen_t sl = sizeof(int);
	int pidfd = -1;

	*from_socket = 0;
	if (getsockopt(fd, SOL_SOCKET, SO_PEERPIDFD, &pidfd, &sl) == 0 && pidfd >= 0) {
		*from_socket = 1;
		return pidfd;
	}
	return (int)syscall(SYS_pidfd_open, pid, 0);
}

int simtee_peer_open(int fd, struct simtee_peer *p)
{
	struct ucred cred;
	socklen_t sl = sizeof(cred);
	int rc;

	memset(p, 0, sizeof(*p));
	p->pidfd = -1;
	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &sl) != 0 || cred.pid <= 0)
		return CU_EPERM;
	p->pid = cred.pid;
	p->uid = cred.uid;
	if ((p->pidfd = peer_pidfd(fd, cred.pid, &p->pidfd_from_socket)) < 0)
		return CU_ESTATE;
	fcntl(p->pidfd, F_SETFD, FD_CLOEXEC);
	if ((rc = read_start(p->pid, &p->start))) {
		simtee_peer_close(p);
		return rc;
	}
	return 0;
}

/* 1 if the pidfd's process has not exited. */
static int pidfd_alive(int pidfd)
{
	struct pollfd pf = {.fd = pidfd, .events = POLLIN};
	int n;

	do
		n = poll(&pf, 1, 0);
	while (n < 0 && errno == EINTR);
	return n == 0;
}

static int hash_fd(int fd, uint8_t out[static SIM_MEASUREMENT_LEN])
{
	struct cr_hash *h = NULL;
	uint8_t *buf = NULL;
	long total = 0;
	size_t got;
	int rc;

	if ((rc = cr_hash_new(CR_SHA384, &h)))
		return rc;
	rc = CU_ENOMEM;
	if (!(buf = malloc(HASH_CHUNK)))
		goto out;
	do {
		rc = cu_read_full(fd, buf, HASH_CHUNK, &got);
		total += (long)got;
		if (!rc && total > SIMTEE_EXE_MAX)
			rc = CU_ELIMIT;
		if (!rc && got)
			rc = cr_hash_update(h, buf, got);
	} while (!rc && got == HASH_CHUNK);
	if (!rc)
		rc = cr_hash_final(h, out);
out:
	free(buf);
	cr_hash_free(h);
	return rc;
}

int simtee_peer_measure(const struct simtee_peer *p, uint8_t out[static SIM_MEASUREMENT_LEN])
{
	unsigned long long start;
	char path[64];
	int fd, rc;

	memset(out, 0, SIM_MEASUREMENT_LEN);
	if (p->pidfd < 0)
		return CU_ESTATE;
	snprintf(path, sizeof(path), "/proc/%ld/exe", (long)p->pid);
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
		return errno == ENOENT || errno == ESRCH ? CU_ESTATE : CU_EPERM;
	/* Only now, with the file open, check that the PID still named our peer. */
	rc = CU_ESTATE;
	if (!pidfd_alive(p->pidfd) || read_start(p->pid, &start) || start != p->start)
		goto out;
	rc = hash_fd(fd, out);
out:
	close(fd);
	return rc;
}

void simtee_peer_close(struct simtee_peer *p)
{
	if (p->pidfd >= 0)
		close(p->pidfd);
	p->pidfd = -1;
}
