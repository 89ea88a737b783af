/*
 * Integration tests: the real custos-simtee program (CUSTOS_BIN_DIR), with
 * the sim backend and the sim verifier.
 *
 * This program is also its own helper: started as "<copy> --helper OUT
 * SOCKET" it asks the daemon for its measurement and a sealing key and
 * writes them to OUT. The tests run it from a copy of this executable with
 * one byte appended, so that a second, different binary asks.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "common/err.h"
#include "common/file.h"
#include "common/time.h"
#include "crypto/hash.h"
#include "crypto/pkey.h"
#include "tee/manifest.h"
#include "tee/sim.h"
#include "tee/simproto.h"
#include "tee/tee.h"

#define SIMTEE_BIN   CUSTOS_BIN_DIR "/custos-simtee"
#define IDLE_MS      700
#define EXE_MAX      (512u * 1024 * 1024)
#define HELPER_LABEL "storage"

/* The daemon under test (test code: one at a time). */
static struct {
	char dir[48];
	char state[64];
	char sock[108];
	pid_t pid;
} d;

static void sleep_ms(int ms)
{
	struct timespec ts = {.tv_sec = ms / 1000, .tv_nsec = (long)(ms % 1000) * 1000000};

	nanosleep(&ts, NULL);
}

static int try_connect(void)
{
	struct sockaddr_un a = {.sun_family = AF_UNIX};
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

	snprintf(a.sun_path, sizeof(a.sun_path), "%s", d.sock);
	if (fd >= 0 && connect(fd, (struct sockaddr *)&a, sizeof(a)) == 0)
		return fd;
	if (fd >= 0)
		close(fd);
	return -1;
}

/* Fork and exec the daemon, its output going to the log; it dies with us. */
static pid_t daemon_spawn(void)
{
	char log[400], idle[16];
	pid_t pid;

	snprintf(log, sizeof(log), "%s/simtee.log", d.dir);
	snprintf(idle, sizeof(idle), "%d", IDLE_MS);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		int lfd = open(log, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
		if (lfd >= 0) {
			dup2(lfd, 1);
			dup2(lfd, 2);
		}
		prctl(PR_SET_PDEATHSIG, SIGTERM);
		execl(SIMTEE_BIN, "custos-simtee", "--state-dir", d.state, "--idle-timeout", idle,
		      "--debug", (char *)NULL);
		_exit(127);
	}
	return pid;
}

/* Start a daemon that must refuse to run: its exit status. */
static int daemon_refused(void)
{
	pid_t pid = daemon_spawn();
	int status;

	for (int i = 0; i < 500; i++) {
		if (waitpid(pid, &status, WNOHANG) == pid)
			return WIFEXITED(status) ? WEXITSTATUS(status) : 128;
		sleep_ms(10);
	}
	kill(pid, SIGKILL);
	waitpid(pid, &status, 0);
	fail_msg("custos-simtee started where it must refuse");
	return -1;
}

/* Start the daemon; 0 when its socket answers, else its exit status. */
static int daemon_start(void)
{
	int status, fd;

	d.pid = daemon_spawn();
	for (int i = 0; i < 500; i++) {
		if (waitpid(d.pid, &status, WNOHANG) == d.pid) {
			d.pid = 0;
			return WIFEXITED(status) ? WEXITSTATUS(status) : 128;
		}
		if ((fd = try_connect()) >= 0) {
			close(fd);
			return 0;
		}
		sleep_ms(10);
	}
	fail_msg("custos-simtee did not start");
	return -1;
}

/* Stop with SIGTERM; it must exit 0 and remove its socket. */
static void daemon_stop(void)
{
	int status;

	if (d.pid <= 0)
		return;
	assert_int_equal(kill(d.pid, SIGTERM), 0);
	assert_int_equal(waitpid(d.pid, &status, 0), d.pid);
	d.pid = 0;
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
	assert_int_not_equal(access(d.sock, F_OK), 0);
}

static void daemon_alive(void)
{
	int status;

	assert_int_equal(waitpid(d.pid, &status, WNOHANG), 0);
}

static int setup(void **state)
{
	(void)state;
	memset(&d, 0, sizeof(d));
	snprintf(d.dir, sizeof(d.dir), "/tmp/custos-simtee-XXXXXX");
	assert_non_null(mkdtemp(d.dir));
	snprintf(d.state, sizeof(d.state), "%s/state", d.dir);
	snprintf(d.sock, sizeof(d.sock), "%s/simtee.sock", d.state);
	assert_int_equal(daemon_start(), 0);
	return 0;
}

static int teardown(void **state)
{
	static const char *const files[] = {"state/root.key",    "state/root.pem", "state/seal.key",
	                                    "state/simtee.lock", "helper",         "helper.out",
	                                    "root.pem.aside",    "simtee.log"};
	char path[512];

	(void)state;
	daemon_stop();
	for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		snprintf(path, sizeof(path), "%s/%s", d.dir, files[i]);
		unlink(path);
	}
	rmdir(d.state);
	rmdir(d.dir);
	return 0;
}

static struct tee *open_sim(const char *sock)
{
	struct tee_options o = {.sim_socket = sock, .timeout_ms = 20000};
	struct tee *t = NULL;

	assert_int_equal(tee_open("sim", &o, &t), 0);
	assert_int_equal(tee_get_type(t), TEE_SIM);
	return t;
}

static void read_root(uint8_t **pem, size_t *len)
{
	char path[512];

	snprintf(path, sizeof(path), "%s/root.pem", d.state);
	assert_int_equal(cu_file_read(path, SIM_ROOT_MAX, pem, len), 0);
}

static void test_evidence_round_trip(void **state)
{
	uint8_t rd[64], *ev = NULL, *root = NULL, self[48], m[TEE_MEASUREMENT_MAX];
	size_t len = 0, rootlen = 0, mlen = sizeof(m);
	struct tee_claims c;
	char why[256];
	struct tee *t = open_sim(d.sock);

	(void)state;
	for (size_t i = 0; i < sizeof(rd); i++)
		rd[i] = (uint8_t)(0xff - i);
	assert_int_equal(tee_get_evidence(t, rd, &ev, &len), 0);
	read_root(&root, &rootlen);
	assert_int_equal(sim_verify(ev, len, root, rootlen, cu_time_now(), &c, why, sizeof(why)),
	                 0);
	assert_int_equal(c.type, TEE_SIM);
	assert_int_equal(c.simulated, 1);
	assert_memory_equal(c.report_data, rd, 64);
	/* The daemon measured this very executable. */
	assert_int_equal(cr_hash_file(CR_SHA384, "/proc/self/exe", self), 0);
	assert_int_equal(c.measurement_len, 48);
	assert_memory_equal(c.measurement, self, 48);
	assert_int_equal(tee_self_measurement(t, m, &mlen), 0);
	assert_int_equal(mlen, 48);
	assert_memory_equal(m, self, 48);
	/* The endorsement is the root of root.pem, as DER; it verifies the evidence too. */
	{
		uint8_t *der = NULL, pin[32], want[32];
		size_t derlen = 0;
		assert_int_equal(tee_get_endorsement(t, &der, &derlen), 0);
		assert_int_equal(
		    sim_verify(ev, len, der, derlen, cu_time_now(), &c, why, sizeof(why)), 0);
		assert_int_equal(tee_manifest_sim_root_digest((char *)root, rootlen, want), 0);
		assert_int_equal(cr_sha256(der, derlen, pin), 0);
		assert_memory_equal(pin, want, 32);
		free(der);
	}

	/* The attestation certificate expires: refused at a later "now". */
	assert_int_equal(
	    sim_verify(ev, len, root, rootlen, cu_time_now() + 3 * 86400, &c, why, sizeof(why)),
	    CU_EEXPIRED);
	/* Another root refuses. */
	{
		EVP_PKEY *k = NULL;
		X509 *other = NULL;
		unsigned char *der = NULL;
		int n;
		assert_int_equal(cr_pkey_generate(CR_KEY_P256, &k), 0);
		assert_int_equal(sim_root_cert_new(k, 0, cu_time_now() + 86400, &other), 0);
		n = i2d_X509(other, &der);
		assert_true(n > 0);
		assert_int_equal(
		    sim_verify(ev, len, der, (size_t)n, cu_time_now(), &c, why, sizeof(why)),
		    CU_EUNTRUSTED);
		OPENSSL_free(der);
		X509_free(other);
		EVP_PKEY_free(k);
	}
	free(root);
	free(ev);
	tee_free(t);
}

/* Copy this executable with one byte appended: a different binary that runs the same. */
static void make_helper(char *path, size_t pathsz)
{
	uint8_t *exe = NULL, *copy;
	size_t len = 0;

	snprintf(path, pathsz, "%s/helper", d.dir);
	assert_int_equal(cu_file_read("/proc/self/exe", EXE_MAX, &exe, &len), 0);
	copy = realloc(exe, len + 1);
	assert_non_null(copy);
	copy[len] = 0x5a;
	assert_int_equal(cu_file_write_atomic(path, copy, len + 1, 0755), 0);
	free(copy);
}

/* Run the helper; *out gets measurement (48) || sealing key (32). */
static void run_helper(const char *helper, uint8_t out[80])
{
	char outpath[512];
	uint8_t *buf = NULL;
	size_t len = 0;
	int status;
	pid_t pid;

	snprintf(outpath, sizeof(outpath), "%s/helper.out", d.dir);
	unlink(outpath);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		execl(helper, helper, "--helper", outpath, d.sock, (char *)NULL);
		_exit(127);
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
	assert_int_equal(cu_file_read(outpath, 4096, &buf, &len), 0);
	assert_int_equal(len, 80);
	memcpy(out, buf, 80);
	free(buf);
}

static void test_two_binaries(void **state)
{
	uint8_t self[48], helper_hash[48], key[32], got[80], again[80];
	char helper[512];
	struct tee *t = open_sim(d.sock);

	(void)state;
	make_helper(helper, sizeof(helper));
	run_helper(helper, got);
	assert_int_equal(cr_hash_file(CR_SHA384, helper, helper_hash), 0);
	assert_int_equal(cr_hash_file(CR_SHA384, "/proc/self/exe", self), 0);
	/* The helper got the measurement of its own file, not ours. */
	assert_memory_equal(got, helper_hash, 48);
	assert_memory_not_equal(got, self, 48);
	assert_int_equal(tee_get_sealing_key(t, HELPER_LABEL, key), 0);
	assert_memory_not_equal(got + 48, key, 32);
	/* The same binary, run again: the same key. */
	run_helper(helper, again);
	assert_memory_equal(got, again, 80);
	tee_free(t);
}

static void test_restart_same_key(void **state)
{
	uint8_t k1[32], k2[32], k3[32], *root1 = NULL, *root2 = NULL;
	size_t r1 = 0, r2 = 0;
	struct tee *t = open_sim(d.sock);

	(void)state;
	assert_int_equal(tee_get_sealing_key(t, "storage", k1), 0);
	assert_int_equal(tee_get_sealing_key(t, "jwt", k3), 0);
	assert_memory_not_equal(k1, k3, 32);
	read_root(&root1, &r1);
	daemon_stop();
	/* No daemon: a clear error, not a hang. */
	assert_int_equal(tee_get_sealing_key(t, "storage", k2), CU_ENOTFOUND);
	assert_int_equal(daemon_start(), 0);
	assert_int_equal(tee_get_sealing_key(t, "storage", k2), 0);
	assert_memory_equal(k1, k2, 32);
	/* The root survived the restart as well. */
	read_root(&root2, &r2);
	assert_int_equal(r1, r2);
	assert_memory_equal(root1, root2, r1);
	free(root1);
	free(root2);
	tee_free(t);
}

static void test_state_dir_guards(void **state)
{
	char path[512], aside[512];

	(void)state;
	snprintf(aside, sizeof(aside), "%s/root.pem.aside", d.dir);
	/* A second daemon on the same directory refuses to start. */
	assert_int_equal(daemon_refused(), 1);
	daemon_alive();
	daemon_stop();
	/* A key file that others may read is refused. */
	snprintf(path, sizeof(path), "%s/root.key", d.state);
	assert_int_equal(chmod(path, 0644), 0);
	assert_int_equal(daemon_refused(), 1);
	assert_int_equal(chmod(path, 0600), 0);
	snprintf(path, sizeof(path), "%s/seal.key", d.state);
	assert_int_equal(chmod(path, 0640), 0);
	assert_int_equal(daemon_refused(), 1);
	assert_int_equal(chmod(path, 0600), 0);
	/* Only one of root.key and root.pem: refused, nothing overwritten. */
	snprintf(path, sizeof(path), "%s/root.pem", d.state);
	assert_int_equal(rename(path, aside), 0);
	assert_int_equal(daemon_refused(), 1);
	assert_int_equal(access(path, F_OK), -1);
	assert_int_equal(rename(aside, path), 0);
	assert_int_equal(daemon_start(), 0);
}

/* Send raw bytes; return the status of the answer (SIMTEE_ERROR expected) and expect EOF after. */
static int raw_exchange(const void *msg, size_t len, int expect_eof)
{
	uint8_t resp[64];
	size_t got = 0;
	ssize_t n;
	int fd = try_connect(), status = 1;
	struct pollfd p;

	assert_true(fd >= 0);
	assert_int_equal(send(fd, msg, len, MSG_NOSIGNAL), (ssize_t)len);
	for (;;) {
		p = (struct pollfd){.fd = fd, .events = POLLIN};
		assert_int_equal(poll(&p, 1, 5000), 1);
		n = recv(fd, resp + got, sizeof(resp) - got, 0);
		if (n <= 0)
			break;
		got += (size_t)n;
	}
	close(fd);
	if (got >= 12) {
		assert_int_equal(resp[2] | resp[3] << 8, SIMTEE_ERROR);
		status = (int)(int32_t)((uint32_t)resp[8] | (uint32_t)resp[9] << 8 |
		                        (uint32_t)resp[10] << 16 | (uint32_t)resp[11] << 24);
	}
	(void)expect_eof;
	return status;
}

static void test_malformed_messages(void **state)
{
	static const uint8_t bad_version[] = {2, 0, 1, 0, 64, 0, 0, 0};
	static const uint8_t huge_label[] = {1, 0, 2, 0, 0xff, 0xff, 0xff, 0xff};
	static const uint8_t huge_evidence[] = {1, 0, 1, 0, 0, 0, 0, 0x10};
	static const uint8_t bad_type[] = {1, 0, 0x77, 0, 0, 0, 0, 0};
	static const uint8_t bad_label[] = {1, 0, 2, 0, 3, 0, 0, 0, 'a', '\n', 'b'};
	uint8_t garbage[300], key[32];
	int fds[80];
	struct tee *t;

	(void)state;
	assert_int_equal(raw_exchange(bad_version, sizeof(bad_version), 1), CU_EUNSUPPORTED);
	assert_int_equal(raw_exchange(huge_label, sizeof(huge_label), 1), CU_ELIMIT);
	assert_int_equal(raw_exchange(huge_evidence, sizeof(huge_evidence), 1), CU_EFORMAT);
	assert_int_equal(raw_exchange(bad_type, sizeof(bad_type), 1), CU_EUNSUPPORTED);
	assert_int_equal(raw_exchange(bad_label, sizeof(bad_label), 1), CU_EFORMAT);
	for (size_t i = 0; i < sizeof(garbage); i++)
		garbage[i] = (uint8_t)(i * 131 + 7);
	assert_int_not_equal(raw_exchange(garbage, sizeof(garbage), 1), 0);
	daemon_alive();

	/* A half frame, then silence: the daemon closes it after the idle timeout. */
	{
		int fd = try_connect();
		struct pollfd p = {.fd = fd, .events = POLLIN};
		char c;
		assert_true(fd >= 0);
		assert_int_equal(send(fd, bad_version, 4, MSG_NOSIGNAL), 4);
		assert_int_equal(poll(&p, 1, IDLE_MS * 5), 1);
		assert_int_equal(recv(fd, &c, 1, 0), 0);
		close(fd);
	}

	/* More clients than the daemon takes at once: the extra ones are refused, it survives. */
	for (size_t i = 0; i < sizeof(fds) / sizeof(fds[0]); i++)
		fds[i] = try_connect();
	for (size_t i = 0; i < sizeof(fds) / sizeof(fds[0]); i++)
		if (fds[i] >= 0)
			close(fds[i]);
	daemon_alive();
	t = open_sim(d.sock);
	assert_int_equal(tee_get_sealing_key(t, "after-abuse", key), 0);
	tee_free(t);
}

static void test_two_requests_one_connection(void **state)
{
	struct simtee_req req = {.type = SIMTEE_GET_MEASUREMENT};
	uint8_t msg[SIMTEE_REQ_MAX], resp[2 * (SIMTEE_HDR_LEN + 4 + 48)], self[48];
	size_t len, got = 0;
	ssize_t n;
	int fd = try_connect();

	(void)state;
	assert_true(fd >= 0);
	assert_int_equal(simtee_req_encode(&req, msg, sizeof(msg), &len), 0);
	memcpy(msg + len, msg, len); /* pipelined */
	assert_int_equal(send(fd, msg, 2 * len, MSG_NOSIGNAL), (ssize_t)(2 * len));
	while (got < sizeof(resp) && (n = recv(fd, resp + got, sizeof(resp) - got, 0)) > 0)
		got += (size_t)n;
	close(fd);
	assert_int_equal(got, sizeof(resp));
	assert_int_equal(cr_hash_file(CR_SHA384, "/proc/self/exe", self), 0);
	assert_memory_equal(resp + 12, self, 48);
	assert_memory_equal(resp + 60 + 12, self, 48);
}

/* The helper role: measurement || sealing key into argv[2]. */
static int helper_main(const char *out, const char *sock)
{
	struct tee_options o = {.sim_socket = sock, .timeout_ms = 20000};
	uint8_t buf[80];
	size_t len = 48;
	struct tee *t = NULL;
	int rc;

	if ((rc = tee_open("sim", &o, &t)) || (rc = tee_self_measurement(t, buf, &len)) ||
	    (rc = tee_get_sealing_key(t, HELPER_LABEL, buf + 48)) ||
	    (rc = cu_file_write_atomic(out, buf, sizeof(buf), 0600)))
		fprintf(stderr, "helper: %s\n", cu_strerror(rc));
	tee_free(t);
	return rc ? 1 : 0;
}

int main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_evidence_round_trip, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_two_binaries, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_restart_same_key, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_state_dir_guards, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_malformed_messages, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_two_requests_one_connection, setup, teardown),
	};

	if (argc == 4 && !strcmp(argv[1], "--helper"))
		return helper_main(argv[2], argv[3]);
	signal(SIGPIPE, SIG_IGN);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
