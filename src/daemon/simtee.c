/*
 * custos-simtee - the simulated hardware root of Custos (INSECURE).
 *
 *   custos-simtee --state-dir DIR [--debug] [--idle-timeout MS]
 *
 * It serves DIR/simtee.sock (mode 0666: it measures whoever calls, so any
 * local user may ask; see docs/attestation.md) with the protocol of
 * tee/simproto.h, one poll loop for every client. Each request is answered
 * for the process at the other end of the socket, measured by this daemon
 * (simtee_peer.c). SIGTERM and SIGINT end it cleanly; the socket is removed.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "common/encoding.h"
#include "common/err.h"
#include "common/log.h"
#include "common/mem.h"
#include "common/time.h"
#include "daemon/simtee.h"

enum conn_phase { CONN_FREE, CONN_READ, CONN_WRITE };

struct conn {
	enum conn_phase phase;
	int fd;
	struct simtee_peer peer;
	uint8_t in[SIMTEE_REQ_MAX];
	size_t got, want; /* want: header, then header + body */
	uint8_t *out;     /* the response; may hold a key: wiped when freed */
	size_t outlen, sent;
	int close_after; /* the request was refused: close once it is sent */
	int64_t deadline;
};

struct server {
	struct simtee_state st;
	char sock_path[sizeof(((struct sockaddr_un *)0)->sun_path)];
	int listen_fd, sig_fd, idle_ms;
	struct conn conns[SIMTEE_MAX_CLIENTS];
};

static int64_t mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void conn_close(struct conn *c)
{
	if (c->phase == CONN_FREE)
		return;
	close(c->fd);
	simtee_peer_close(&c->peer);
	cu_free_secret(c->out, c->outlen);
	cu_wipe(c->in, sizeof(c->in));
	memset(c, 0, sizeof(*c));
	c->fd = -1;
	c->phase = CONN_FREE;
}

static void conn_reset_read(struct conn *c, int idle_ms)
{
	cu_free_secret(c->out, c->outlen);
	c->out = NULL;
	c->outlen = c->sent = 0;
	c->got = 0;
	c->want = SIMTEE_HDR_LEN;
	c->phase = CONN_READ;
	c->deadline = mono_ms() + idle_ms;
}

static void log_measurement(const struct conn *c, const char *what,
                            const uint8_t m[static SIM_MEASUREMENT_LEN])
{
	char hex[2 * SIM_MEASUREMENT_LEN + 1];

	if (cu_hex_encode(m, SIM_MEASUREMENT_LEN, hex, sizeof(hex)))
		hex[0] = 0;
	cu_info("%s for pid %ld uid %lu, measurement %.16s...", what, (long)c->peer.pid,
	        (unsigned long)c->peer.uid, hex);
}

static int do_evidence(struct server *s, const struct simtee_req *req,
                       const uint8_t m[static SIM_MEASUREMENT_LEN], uint8_t **ev, size_t *len)
{
	int rc = simtee_state_refresh(&s->st, cu_time_now());

	if (rc)
		return rc;
	return sim_evidence_build(m, s->st.platform_id, req->report_data, s->st.attest_key,
	                          s->st.attest_cert, s->st.attest_cert_len, ev, len);
}

/* Answer one decoded request: measure the peer, then compute the result. */
static int handle(struct server *s, struct conn *c, const struct simtee_req *req)
{
	uint8_t m[SIM_MEASUREMENT_LEN], key[SIMTEE_KEY_LEN], *ev = NULL;
	size_t evlen = 0;
	int rc;

	rc = simtee_peer_measure(&c->peer, m);
	if (rc) {
		cu_warn("cannot measure pid %ld: %s", (long)c->peer.pid, cu_strerror(rc));
		return simtee_resp_encode(req->type, rc, NULL, 0, &c->out, &c->outlen);
	}
	switch (req->type) {
	case SIMTEE_GET_EVIDENCE:
		rc = do_evidence(s, req, m, &ev, &evlen);
		if (!rc)
			log_measurement(c, "evidence", m);
		rc = simtee_resp_encode(req->type, rc, ev, evlen, &c->out, &c->outlen);
		free(ev);
		break;
	case SIMTEE_GET_SEALING_KEY:
		rc = simtee_state_seal_key(&s->st, m, req->label, req->label_len, key);
		if (!rc)
			log_measurement(c, "sealing key", m);
		rc = simtee_resp_encode(req->type, rc, key, sizeof(key), &c->out, &c->outlen);
		cu_wipe(key, sizeof(key));
		break;
	case SIMTEE_GET_ROOT:
		rc = simtee_resp_encode(req->type, 0, s->st.root_der, s->st.root_der_len, &c->out,
		                        &c->outlen);
		break;
	default:
		rc = simtee_resp_encode(req->type, 0, m, sizeof(m), &c->out, &c->outlen);
		break;
	}
	return rc;
}

/* A refused frame: answer SIMTEE_ERROR with the reason, then close. */
static void refuse(struct conn *c, int why)
{
	cu_warn("pid %ld: refused a request: %s", (long)c->peer.pid, cu_strerror(why));
	cu_free_secret(c->out, c->outlen);
	c->out = NULL;
	c->outlen = c->sent = 0;
	if (simtee_resp_encode(SIMTEE_ERROR, why, NULL, 0, &c->out, &c->outlen)) {
		conn_close(c);
		return;
	}
	c->close_after = 1;
	c->phase = CONN_WRITE;
}

/* A whole header or frame has arrived: check it, and answer when complete. */
static void on_input(struct server *s, struct conn *c)
{
	struct simtee_req req;
	uint32_t bodylen;
	uint16_t type;
	int rc;

	if (c->want == SIMTEE_HDR_LEN) {
		/* The size check comes before a byte of the body is read. */
		if ((rc = simtee_req_hdr(c->in, &type, &bodylen))) {
			refuse(c, rc);
			return;
		}
		c->want = SIMTEE_HDR_LEN + bodylen;
		if (bodylen)
			return;
	}
	if ((rc = simtee_req_decode(c->in, c->got, &req))) {
		refuse(c, rc);
		return;
	}
	rc = handle(s, c, &req);
	cu_wipe(&req, sizeof(req));
	if (rc) {
		conn_close(c);
		return;
	}
	c->phase = CONN_WRITE;
}

static void conn_read(struct server *s, struct conn *c)
{
	ssize_t n = recv(c->fd, c->in + c->got, c->want - c->got, MSG_DONTWAIT);

	if (n < 0 && (errno == EINTR || errno == EAGAIN))
		return;
	if (n <= 0) {
		conn_close(c);
		return;
	}
	c->got += (size_t)n;
	c->deadline = mono_ms() + s->idle_ms;
	if (c->got == c->want)
		on_input(s, c);
}

static void conn_write(struct server *s, struct conn *c)
{
	ssize_t n = send(c->fd, c->out + c->sent, c->outlen - c->sent, MSG_DONTWAIT | MSG_NOSIGNAL);

	if (n < 0 && (errno == EINTR || errno == EAGAIN))
		return;
	if (n <= 0) {
		conn_close(c);
		return;
	}
	c->sent += (size_t)n;
	c->deadline = mono_ms() + s->idle_ms;
	if (c->sent < c->outlen)
		return;
	if (c->close_after)
		conn_close(c);
	else
		conn_reset_read(c, s->idle_ms);
}

static void on_accept(struct server *s)
{
	struct conn *c = NULL;
	int fd = accept4(s->listen_fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC), rc;

	if (fd < 0)
		return;
	for (size_t i = 0; i < SIMTEE_MAX_CLIENTS && !c; i++)
		if (s->conns[i].phase == CONN_FREE)
			c = &s->conns[i];
	if (!c) {
		cu_warn("too many clients (%d): refusing one", SIMTEE_MAX_CLIENTS);
		close(fd);
		return;
	}
	memset(c, 0, sizeof(*c));
	if ((rc = simtee_peer_open(fd, &c->peer))) {
		cu_warn("cannot identify a peer: %s", cu_strerror(rc));
		close(fd);
		c->fd = -1;
		return;
	}
	c->fd = fd;
	conn_reset_read(c, s->idle_ms);
	cu_debug("pid %ld uid %lu connected (%s)", (long)c->peer.pid, (unsigned long)c->peer.uid,
	         c->peer.pidfd_from_socket ? "SO_PEERPIDFD" : "pidfd_open");
}

static int serve_listen(struct server *s)
{
	struct sockaddr_un a = {.sun_family = AF_UNIX};
	int n = snprintf(s->sock_path, sizeof(s->sock_path), "%s/simtee.sock", s->st.dir);

	if (n < 0 || (size_t)n >= sizeof(s->sock_path)) {
		cu_error("%s: the socket path is too long", s->st.dir);
		return CU_ELIMIT;
	}
	memcpy(a.sun_path, s->sock_path, (size_t)n + 1);
	/* We hold the directory's lock: a socket left here is stale. */
	unlink(s->sock_path);
	if ((s->listen_fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0)) < 0 ||
	    bind(s->listen_fd, (struct sockaddr *)&a, sizeof(a)) != 0 ||
	    chmod(s->sock_path, 0666) != 0 || listen(s->listen_fd, SIMTEE_MAX_CLIENTS) != 0) {
		cu_error("%s: %s", s->sock_path, strerror(errno));
		return CU_EIO;
	}
	return 0;
}

static int serve_signals(struct server *s)
{
	sigset_t set;

	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	signal(SIGPIPE, SIG_IGN);
	if (sigprocmask(SIG_BLOCK, &set, NULL) != 0 ||
	    (s->sig_fd = signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK)) < 0)
		return CU_EIO;
	return 0;
}

/* Close connections whose deadline passed; return the poll timeout until the next. */
static int expire(struct server *s)
{
	int64_t now = mono_ms(), next = -1;

	for (size_t i = 0; i < SIMTEE_MAX_CLIENTS; i++) {
		struct conn *c = &s->conns[i];
		if (c->phase == CONN_FREE)
			continue;
		if (c->deadline <= now) {
			cu_debug("pid %ld: idle, closing", (long)c->peer.pid);
			conn_close(c);
		} else if (next < 0 || c->deadline - now < next) {
			next = c->deadline - now;
		}
	}
	return (int)next;
}

static int serve(struct server *s)
{
	struct pollfd pfd[2 + SIMTEE_MAX_CLIENTS];
	struct conn *map[2 + SIMTEE_MAX_CLIENTS];
	int n, timeout;

	for (;;) {
		timeout = expire(s);
		pfd[0] = (struct pollfd){.fd = s->sig_fd, .events = POLLIN};
		pfd[1] = (struct pollfd){.fd = s->listen_fd, .events = POLLIN};
		n = 2;
		for (size_t i = 0; i < SIMTEE_MAX_CLIENTS; i++) {
			struct conn *c = &s->conns[i];
			if (c->phase == CONN_FREE)
				continue;
			map[n] = c;
			pfd[n++] = (struct pollfd){
			    .fd = c->fd, .events = c->phase == CONN_READ ? POLLIN : POLLOUT};
		}
		if (poll(pfd, (nfds_t)n, timeout) < 0) {
			if (errno == EINTR)
				continue;
			cu_error("poll: %s", strerror(errno));
			return CU_EIO;
		}
		if (pfd[0].revents)
			return 0;
		if (pfd[1].revents & POLLIN)
			on_accept(s);
		for (int i = 2; i < n; i++) {
			if (!pfd[i].revents || map[i]->phase == CONN_FREE)
				continue;
			if (map[i]->phase == CONN_READ)
				conn_read(s, map[i]);
			else
				conn_write(s, map[i]);
		}
	}
}

static void usage(void)
{
	fprintf(stderr, "usage: custos-simtee --state-dir DIR [--debug] [--idle-timeout MS]\n");
}

static int parse_args(int argc, char **argv, const char **dir, int *debug, int *idle_ms)
{
	static const struct option opts[] = {
	    {"state-dir", required_argument, NULL, 'd'},
	    {"debug", no_argument, NULL, 'v'},
	    {"idle-timeout", required_argument, NULL, 't'},
	    {"help", no_argument, NULL, 'h'},
	    {NULL, 0, NULL, 0},
	};
	char *end;
	long v;
	int ch;

	while ((ch = getopt_long(argc, argv, "d:vt:h", opts, NULL)) != -1) {
		switch (ch) {
		case 'd':
			*dir = optarg;
			break;
		case 'v':
			*debug = 1;
			break;
		case 't':
			errno = 0;
			v = strtol(optarg, &end, 10);
			if (errno || *end || v < 100 || v > 3600000)
				return CU_EINVAL;
			*idle_ms = (int)v;
			break;
		default:
			return CU_EINVAL;
		}
	}
	return *dir && optind == argc ? 0 : CU_EINVAL;
}

int main(int argc, char **argv)
{
	static struct server s; /* large: keep it off the stack */
	const char *dir = NULL;
	int debug = 0, rc;

	s.idle_ms = SIMTEE_IDLE_TIMEOUT_MS;
	s.listen_fd = s.sig_fd = -1;
	if (parse_args(argc, argv, &dir, &debug, &s.idle_ms)) {
		usage();
		return 2;
	}
	cu_log_init("custos-simtee", debug ? CU_LOG_DEBUG : CU_LOG_INFO);
	cu_warn("simulated TEE: its evidence is INSECURE and must never be trusted in production");
	if ((rc = serve_signals(&s)) || (rc = simtee_state_open(dir, &s.st)))
		return 1;
	if (!(rc = serve_listen(&s))) {
		cu_info("serving %s", s.sock_path);
		rc = serve(&s);
		unlink(s.sock_path);
	}
	for (size_t i = 0; i < SIMTEE_MAX_CLIENTS; i++)
		conn_close(&s.conns[i]);
	if (s.listen_fd >= 0)
		close(s.listen_fd);
	close(s.sig_fd);
	simtee_state_free(&s.st);
	cu_info("stopped");
	return rc ? 1 : 0;
}
