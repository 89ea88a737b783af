/*
 * backend_sim.c - the simulated TEE: ask custos-simtee, which measures this
 * process itself (simproto.h). One connection per request, each with a
 * deadline of timeout_ms.
 */
#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "common/err.h"
#include "common/mem.h"
#include "tee/simproto.h"
#include "tee/tee_backend.h"

struct sim_state {
	struct sockaddr_un addr;
	int timeout_ms;
};

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Wait until fd is ready for events, or the deadline passes. */
static int wait_fd(int fd, short events, int64_t deadline)
{
	struct pollfd p = {.fd = fd, .events = events};
	int64_t left;
	int n;

	for (;;) {
		left = deadline - now_ms();
		if (left <= 0)
			return CU_ETIMEOUT;
		n = poll(&p, 1, (int)left);
		if (n > 0)
			return 0;
		if (n == 0)
			return CU_ETIMEOUT;
		if (errno != EINTR)
			return CU_EIO;
	}
}

static int send_all(int fd, const uint8_t *p, size_t n, int64_t deadline)
{
	ssize_t w;
	int rc;

	while (n) {
		if ((rc = wait_fd(fd, POLLOUT, deadline)))
			return rc;
		w = send(fd, p, n, MSG_NOSIGNAL | MSG_DONTWAIT);
		if (w < 0 && (errno == EINTR || errno == EAGAIN))
			continue;
		if (w <= 0)
			return CU_ENET;
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

static int recv_all(int fd, uint8_t *p, size_t n, int64_t deadline)
{
	ssize_t r;
	int rc;

	while (n) {
		if ((rc = wait_fd(fd, POLLIN, deadline)))
			return rc;
		r = recv(fd, p, n, MSG_DONTWAIT);
		if (r < 0 && (errno == EINTR || errno == EAGAIN))
			continue;
		if (r < 0)
			return CU_ENET;
		if (r == 0)
			return CU_ETRUNC;
		p += r;
		n -= (size_t)r;
	}
	return 0;
}

static int sim_connect(const struct sim_state *s, int *fdp)
{
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

	*fdp = -1;
	if (fd < 0)
		return CU_EIO;
	if (connect(fd, (const struct sockaddr *)&s->addr, sizeof(s->addr)) != 0) {
		close(fd);
		return errno == ENOENT || errno == ECONNREFUSED ? CU_ENOTFOUND : CU_ENET;
	}
	*fdp = fd;
	return 0;
}

/*
 * One round trip: send req, read the response into out (exactly outsz
 * bytes when exact, else at most), and return the daemon's status.
 */
static int sim_call(const struct sim_state *s, const struct simtee_req *req, uint8_t *out,
                    size_t outsz, int exact, size_t *outlen)
{
	uint8_t msg[SIMTEE_REQ_MAX], hdr[SIMTEE_HDR_LEN], *body = NULL;
	int64_t deadline = now_ms() + s->timeout_ms;
	uint32_t bodylen;
	size_t len;
	int fd = -1, status, rc;

	*outlen = 0;
	if ((rc = simtee_req_encode(req, msg, sizeof(msg), &len)) || (rc = sim_connect(s, &fd)) ||
	    (rc = send_all(fd, msg, len, deadline)) ||
	    (rc = recv_all(fd, hdr, sizeof(hdr), deadline)) ||
	    (rc = simtee_resp_hdr(hdr, req->type, &bodylen)))
		goto out;
	if (!(body = malloc(bodylen))) {
		rc = CU_ENOMEM;
		goto out;
	}
	if ((rc = recv_all(fd, body, bodylen, deadline)) ||
	    (rc = simtee_resp_body(body, bodylen, &status, out, outsz, exact, outlen)))
		goto out;
	rc = status;
out:
	cu_wipe(msg, sizeof(msg));
	if (body)
		cu_free_secret(body, bodylen);
	if (fd >= 0)
		close(fd);
	return rc;
}

static int sim_open(const struct tee_options *opt, void **state, enum tee_type *type)
{
	struct sim_state *s;

	*state = NULL;
	if (!opt->sim_socket)
		return CU_ENOTFOUND;
	if (strlen(opt->sim_socket) >= sizeof(s->addr.sun_path))
		return CU_ELIMIT;
	if (!(s = calloc(1, sizeof(*s))))
		return CU_ENOMEM;
	s->addr.sun_family = AF_UNIX;
	memcpy(s->addr.sun_path, opt->sim_socket, strlen(opt->sim_socket));
	s->timeout_ms = opt->timeout_ms;
	*state = s;
	*type = TEE_SIM;
	return 0;
}

static int sim_evidence(void *state, const uint8_t report_data[static TEE_REPORT_DATA_LEN],
                        uint8_t **evidence, size_t *len)
{
	struct simtee_req req = {.type = SIMTEE_GET_EVIDENCE};
	uint8_t *buf;
	size_t n;
	int rc;

	memcpy(req.report_data, report_data, TEE_REPORT_DATA_LEN);
	if (!(buf = malloc(SIM_EVIDENCE_MAX)))
		return CU_ENOMEM;
	if ((rc = sim_call(state, &req, buf, SIM_EVIDENCE_MAX, 0, &n))) {
		free(buf);
		return rc;
	}
	*evidence = buf;
	*len = n;
	return 0;
}

static int sim_sealing_key(void *state, const char *label, size_t label_len,
                           uint8_t key[static TEE_SEALING_KEY_LEN])
{
	struct simtee_req req = {.type = SIMTEE_GET_SEALING_KEY};
	size_t n;

	if (label_len > SIMTEE_LABEL_MAX)
		return CU_EINVAL;
	memcpy(req.label, label, label_len);
	req.label_len = label_len;
	return sim_call(state, &req, key, TEE_SEALING_KEY_LEN, 1, &n);
}

static int sim_measurement(void *state, uint8_t *buf, size_t *len)
{
	struct simtee_req req = {.type = SIMTEE_GET_MEASUREMENT};
	uint8_t m[SIM_MEASUREMENT_LEN];
	size_t n;
	int rc;

	if (*len < SIM_MEASUREMENT_LEN)
		return CU_ELIMIT;
	if ((rc = sim_call(state, &req, m, sizeof(m), 1, &n)))
		return rc;
	memcpy(buf, m, n);
	*len = n;
	return 0;
}

static int sim_endorsement(void *state, uint8_t **out, size_t *len)
{
	struct simtee_req req = {.type = SIMTEE_GET_ROOT};
	uint8_t *buf;
	int rc;

	if (!(buf = malloc(SIM_CERT_MAX)))
		return CU_ENOMEM;
	if ((rc = sim_call(state, &req, buf, SIM_CERT_MAX, 0, len))) {
		free(buf);
		return rc;
	}
	*out = buf;
	return 0;
}

static void sim_free(void *state)
{
	free(state);
}

const struct tee_backend tee_backend_sim = {
    .name = "sim",
    .open = sim_open,
    .evidence = sim_evidence,
    .sealing_key = sim_sealing_key,
    .measurement = sim_measurement,
    .endorsement = sim_endorsement,
    .free = sim_free,
};
