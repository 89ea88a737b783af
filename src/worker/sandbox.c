/*
 * sandbox.c - run a function in a fresh, confined child process
 * (sandbox.h, docs/sandbox.md).
 *
 * Three parts: the parser of the child's frames (untrusted: the parent
 * reads them), the child (confine itself, read the request, run the entry,
 * send the outputs), and the parent (fork, send the request, read the
 * frames under the limits, reap, classify).
 *
 * Who forks the child: the spawner (a process of one thread, started
 * early, see below), or without one the calling thread. A child forked
 * from a thread inherits every lock another thread held at that moment;
 * glibc resets only its malloc's.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <seccomp.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/wait.h>

#include "common/err.h"
#include "common/mem.h"
#include "common/reader.h"
#include "worker/sandbox.h"
#include "worker/sandbox_int.h"

#define SB_CHILD_FD       3          /* the child's end of the stream, its only descriptor */
#define SB_EXIT_FORBIDDEN 125        /* after the SIGSYS handler sent its frame */
#define SB_EXIT_SETUP     126        /* the child could not confine itself */
#define SB_EXIT_IO        127        /* the child could not read its request or send its frames */
#define SB_POLL_MS        100        /* cancel is looked at least this often */
#define SB_SEND_BURST     (4u << 20) /* bytes sent before looking at the clock again */
#define SB_SOCKBUF        (1 << 20)
#define SB_REQ_HDR        32 /* bytes kept for one request frame's header and fixed fields */

#define SB_DEF_MEMORY (1024ull * 1024 * 1024)
#define SB_DEF_CPU_S  60u
#define SB_DEF_WALL   120000u
#define SB_DEF_OUTPUT (1024ull * 1024 * 1024)

static void put32(uint8_t *b, uint32_t v)
{
	b[0] = (uint8_t)v;
	b[1] = (uint8_t)(v >> 8);
	b[2] = (uint8_t)(v >> 16);
	b[3] = (uint8_t)(v >> 24);
}

static void put64(uint8_t *b, uint64_t v)
{
	put32(b, (uint32_t)v);
	put32(b + 4, (uint32_t)(v >> 32));
}

static void put_hdr(uint8_t *b, uint8_t type, uint32_t len)
{
	b[0] = type;
	put32(b + 1, len);
}

/* ---- The parent's parser of the child's frames ---- */

int sb_parser_init(struct sb_parser *p, size_t noutputs, const uint64_t *max, uint64_t limit)
{
	memset(p, 0, sizeof(*p));
	p->noutputs = noutputs;
	p->max = max;
	p->limit = limit;
	if (noutputs) {
		p->outs = cu_calloc(noutputs, sizeof(*p->outs));
		if (!p->outs)
			return CU_ENOMEM;
	}
	return 0;
}

void sb_parser_free(struct sb_parser *p)
{
	size_t i;

	if (!p)
		return;
	for (i = 0; p->outs && i < p->noutputs; i++)
		cu_free_secret(p->outs[i].data, p->outs[i].cap);
	free(p->outs);
	p->outs = NULL;
	p->noutputs = 0;
}

__attribute__((format(printf, 3, 4))) static int perr(struct sb_parser *p, int rc, const char *fmt,
                                                      ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(p->err, sizeof(p->err), fmt, ap);
	va_end(ap);
	p->failed = rc;
	return rc;
}

/* The largest payload a frame of this type may announce; 0: unknown type. */
static uint32_t frame_max(uint8_t type)
{
	switch (type) {
	case SB_F_OUT:
		return 4 + SB_CHUNK;
	case SB_F_RESULT:
		return FN_RESULT_MAX;
	case SB_F_REASON:
	case SB_F_SETUP:
		return FN_REASON_MAX - 1;
	case SB_F_END:
	case SB_F_FORBIDDEN:
		return 4;
	default:
		return 0;
	}
}

static int frame_complete(struct sb_parser *p);

static int frame_header(struct sb_parser *p)
{
	struct cu_reader r;
	uint8_t type;
	uint32_t len, max;

	cu_reader_init(&r, p->hdr, SB_HDR_LEN);
	if (cu_read_u8(&r, &type) || cu_read_u32le(&r, &len))
		return perr(p, CU_EFORMAT, "a short frame header");
	max = frame_max(type);
	if (!max)
		return perr(p, CU_EFORMAT, "a frame of unknown type %u", type);
	if (len > max)
		return perr(p, CU_EFORMAT, "a frame of type %u announces %u bytes (at most %u)",
		            type, len, max);
	if ((type == SB_F_END || type == SB_F_FORBIDDEN) && len != 4)
		return perr(p, CU_EFORMAT, "a final frame of %u bytes instead of 4", len);
	if (type == SB_F_OUT && len < 4)
		return perr(p, CU_EFORMAT, "an output frame without its index");
	if (type == SB_F_OUT && len - 4 > p->limit - p->total)
		return perr(p, CU_ELIMIT, "more than %llu bytes of outputs in all",
		            (unsigned long long)p->limit);
	p->type = type;
	p->flen = len;
	p->fgot = 0;
	p->in_frame = 1;
	return len == 0 ? frame_complete(p) : 0;
}

/* Grow o to hold need bytes. */
static int pout_reserve(struct sb_pout *o, size_t need)
{
	size_t cap;
	uint8_t *d;

	if (need <= o->cap)
		return 0;
	cap = o->cap > SIZE_MAX / 2 ? SIZE_MAX : o->cap * 2;
	if (cap < need)
		cap = need;
	d = malloc(cap);
	if (!d)
		return CU_ENOMEM;
	if (o->len)
		memcpy(d, o->data, o->len);
	cu_free_secret(o->data, o->cap);
	o->data = d;
	o->cap = cap;
	return 0;
}

/* The index of an OUT frame is in: check it, the output's own limit, make room. */
static int out_begin(struct sb_parser *p)
{
	struct cu_reader r;
	uint32_t idx, n = p->flen - 4;
	struct sb_pout *o;

	cu_reader_init(&r, p->small, 4);
	if (cu_read_u32le(&r, &idx))
		return perr(p, CU_EFORMAT, "a short output index");
	if (idx >= p->noutputs)
		return perr(p, CU_EFORMAT, "output index %u of %zu outputs", idx, p->noutputs);
	o = &p->outs[idx];
	if (p->max && p->max[idx] && n > p->max[idx] - o->len)
		return perr(p, CU_ELIMIT, "more than %llu bytes in output %u",
		            (unsigned long long)p->max[idx], idx);
	if (n > SIZE_MAX - o->len || pout_reserve(o, o->len + n))
		return perr(p, CU_ENOMEM, "no memory for output %u", idx);
	o->written = 1;
	p->oidx = idx;
	return 0;
}

/* Text frames: no NUL byte, copied with its terminator. */
static int frame_text(struct sb_parser *p, char *dst, int *seen, const char *what)
{
	if (*seen)
		return perr(p, CU_EFORMAT, "a second %s", what);
	if (memchr(p->small, 0, p->flen))
		return perr(p, CU_EFORMAT, "a NUL byte in the %s", what);
	memcpy(dst, p->small, p->flen);
	dst[p->flen] = '\0';
	*seen = 1;
	return 0;
}

static int frame_complete(struct sb_parser *p)
{
	struct cu_reader r;
	uint32_t v = 0;

	p->in_frame = 0;
	cu_reader_init(&r, p->small, p->flen);
	switch (p->type) {
	case SB_F_OUT:
		return 0;
	case SB_F_RESULT:
		return frame_text(p, p->result, &p->has_result, "result");
	case SB_F_REASON:
		return frame_text(p, p->reason, &p->has_reason, "reason");
	case SB_F_SETUP:
		p->has_reason = 0;
		p->end = SB_END_SETUP;
		return frame_text(p, p->reason, &p->has_reason, "setup message");
	case SB_F_END:
	case SB_F_FORBIDDEN:
		if (cu_read_u32le(&r, &v))
			return perr(p, CU_EFORMAT, "a short final frame");
		if (p->type == SB_F_END) {
			p->end = SB_END_RC;
			p->rc = (int32_t)v;
		} else {
			p->end = SB_END_FORBIDDEN;
			p->sysno = v;
		}
		return 0;
	default:
		return perr(p, CU_EFORMAT, "a frame of unknown type %u", p->type);
	}
}

/* Payload bytes of the current frame: output data streams into its output. */
static int frame_payload(struct sb_parser *p, const uint8_t *b, size_t n, size_t *used)
{
	size_t take = p->flen - p->fgot;
	struct sb_pout *o;
	int rc;

	if (take > n)
		take = n;
	if (p->type == SB_F_OUT && p->fgot >= 4) {
		o = &p->outs[p->oidx];
		memcpy(o->data + o->len, b, take);
		o->len += take;
		p->total += take;
	} else {
		if (p->type == SB_F_OUT && take > 4 - p->fgot)
			take = 4 - p->fgot;
		memcpy(p->small + p->fgot, b, take);
	}
	p->fgot += take;
	*used = take;
	if (p->type == SB_F_OUT && p->fgot == 4 && (rc = out_begin(p)))
		return rc;
	return p->fgot == p->flen ? frame_complete(p) : 0;
}

int sb_parser_feed(struct sb_parser *p, const uint8_t *b, size_t n)
{
	size_t take;
	int rc;

	if (p->failed)
		return p->failed;
	while (n) {
		if (p->end)
			return perr(p, CU_EFORMAT, "bytes after the last frame");
		if (!p->in_frame) {
			take = SB_HDR_LEN - p->hdr_got;
			if (take > n)
				take = n;
			memcpy(p->hdr + p->hdr_got, b, take);
			p->hdr_got += take;
			b += take;
			n -= take;
			if (p->hdr_got < SB_HDR_LEN)
				break;
			p->hdr_got = 0;
			if ((rc = frame_header(p)))
				return rc;
			continue;
		}
		if ((rc = frame_payload(p, b, n, &take)))
			return rc;
		b += take;
		n -= take;
	}
	return 0;
}

int sb_parser_finish(struct sb_parser *p)
{
	if (p->failed)
		return p->failed;
	if (p->in_frame || p->hdr_got)
		return perr(p, CU_EFORMAT, "the stream ends inside a frame");
	if (p->end == SB_END_NONE)
		return perr(p, CU_EFORMAT, "the stream ends before the last frame");
	return 0;
}

/* ---- The request: the parent's frames, as iovecs over the caller's buffers ---- */

struct sb_req {
	struct iovec *iov;
	size_t niov, cur;
	uint8_t *hdrs; /* SB_REQ_HDR bytes per frame header */
	size_t nhdr;
};

static void req_free(struct sb_req *r)
{
	free(r->iov);
	free(r->hdrs);
	memset(r, 0, sizeof(*r));
}

static void req_add(struct sb_req *r, const void *p, size_t n)
{
	if (n)
		r->iov[r->niov++] = (struct iovec){(void *)(uintptr_t)p, n};
}

static uint8_t *req_hdr(struct sb_req *r)
{
	return r->hdrs + SB_REQ_HDR * r->nhdr++;
}

static int req_check(const struct fn_ctx *c, size_t *frames, char *why, size_t whysz)
{
	size_t i, nl, vl;

	if (c->nargs > SB_COUNT_MAX || c->ninputs > SB_COUNT_MAX || c->noutputs > SB_COUNT_MAX)
		return cu_reason(why, whysz, CU_ELIMIT, "more than %d arguments, inputs or outputs",
		                 SB_COUNT_MAX);
	if ((c->nargs && !c->args) || (c->ninputs && !c->inputs) || (c->noutputs && !c->outputs))
		return cu_reason(why, whysz, CU_EINVAL,
		                 "a NULL array of arguments, inputs or outputs");
	*frames = c->nargs + c->ninputs + c->noutputs + 1;
	if (c->code_len && !c->code)
		return cu_reason(why, whysz, CU_EINVAL, "code of %zu bytes at NULL", c->code_len);
	if (c->code_len > SB_CODE_MAX)
		return cu_reason(why, whysz, CU_ELIMIT, "the code is larger than %u bytes",
		                 SB_CODE_MAX);
	if (c->code_len)
		*frames += c->code_len / SB_CHUNK + 2;
	for (i = 0; i < c->nargs; i++) {
		if (!c->args[i].name || !c->args[i].value)
			return cu_reason(why, whysz, CU_EINVAL, "argument %zu has no name or value",
			                 i);
		nl = strnlen(c->args[i].name, SB_NAME_MAX + 1);
		vl = strnlen(c->args[i].value, SB_FRAME_MAX);
		if (nl > SB_NAME_MAX || vl > SB_FRAME_MAX - 4 - nl)
			return cu_reason(why, whysz, CU_ELIMIT, "argument %zu is too long", i);
	}
	for (i = 0; i < c->ninputs; i++) {
		if (!c->inputs[i].name || (!c->inputs[i].data && c->inputs[i].len))
			return cu_reason(why, whysz, CU_EINVAL, "input %zu has no name or data", i);
		if (strnlen(c->inputs[i].name, SB_NAME_MAX + 1) > SB_NAME_MAX)
			return cu_reason(why, whysz, CU_ELIMIT, "the name of input %zu is too long",
			                 i);
		*frames += c->inputs[i].len / SB_CHUNK + 1;
	}
	for (i = 0; i < c->noutputs; i++)
		if (!c->outputs[i].name ||
		    strnlen(c->outputs[i].name, SB_NAME_MAX + 1) > SB_NAME_MAX)
			return cu_reason(why, whysz, CU_EINVAL,
			                 "output %zu has no name or a long one", i);
	return 0;
}

/* DATA frames over data[0..len), after the INPUT or CODE frame that announced them. */
static void req_data(struct sb_req *r, const uint8_t *data, size_t len)
{
	size_t off, n;
	uint8_t *h;

	for (off = 0; off < len; off += n) {
		n = len - off < SB_CHUNK ? len - off : SB_CHUNK;
		h = req_hdr(r);
		put_hdr(h, SB_F_DATA, (uint32_t)n);
		req_add(r, h, SB_HDR_LEN);
		req_add(r, data + off, n);
	}
}

static void req_input(struct sb_req *r, const struct fn_input *in)
{
	size_t nl = strlen(in->name);
	uint8_t *h = req_hdr(r);

	put_hdr(h, SB_F_INPUT, (uint32_t)(8 + nl));
	put64(h + SB_HDR_LEN, in->len);
	req_add(r, h, SB_HDR_LEN + 8);
	req_add(r, in->name, nl);
	req_data(r, in->data, in->len);
}

static void req_code(struct sb_req *r, const struct fn_ctx *c)
{
	uint8_t *h = req_hdr(r);

	put_hdr(h, SB_F_CODE, 24);
	put64(h + SB_HDR_LEN, c->code_len);
	put64(h + SB_HDR_LEN + 8, c->fuel);
	put64(h + SB_HDR_LEN + 16, c->max_memory);
	req_add(r, h, SB_HDR_LEN + 24);
	req_data(r, c->code, c->code_len);
}

/* Lay out every frame of the request; nothing is copied but the headers. */
static int req_build(const struct fn_ctx *c, struct sb_req *r, char *why, size_t whysz)
{
	size_t frames = 0, i, nl, vl;
	uint8_t *h;
	int rc;

	memset(r, 0, sizeof(*r));
	if ((rc = req_check(c, &frames, why, whysz)))
		return rc;
	r->hdrs = cu_calloc(frames, SB_REQ_HDR);
	r->iov = cu_calloc(frames, 3 * sizeof(*r->iov));
	if (!r->hdrs || !r->iov) {
		req_free(r);
		return cu_reason(why, whysz, CU_ENOMEM, "no memory for the sandbox's request");
	}
	if (c->code_len)
		req_code(r, c);
	for (i = 0; i < c->nargs; i++) {
		nl = strlen(c->args[i].name);
		vl = strlen(c->args[i].value);
		h = req_hdr(r);
		put_hdr(h, SB_F_ARG, (uint32_t)(4 + nl + vl));
		put32(h + SB_HDR_LEN, (uint32_t)nl);
		req_add(r, h, SB_HDR_LEN + 4);
		req_add(r, c->args[i].name, nl);
		req_add(r, c->args[i].value, vl);
	}
	for (i = 0; i < c->ninputs; i++)
		req_input(r, &c->inputs[i]);
	for (i = 0; i < c->noutputs; i++) {
		nl = strlen(c->outputs[i].name);
		h = req_hdr(r);
		put_hdr(h, SB_F_OUTPUT, (uint32_t)nl);
		req_add(r, h, SB_HDR_LEN);
		req_add(r, c->outputs[i].name, nl);
	}
	h = req_hdr(r);
	put_hdr(h, SB_F_GO, 0);
	req_add(r, h, SB_HDR_LEN);
	return 0;
}

/* Send what the socket takes: 1 when all is sent, 0 to come back, CU_EIO. */
static int req_send(int fd, struct sb_req *r)
{
	struct msghdr m;
	size_t sent = 0, k;
	ssize_t n;

	while (r->cur < r->niov && sent < SB_SEND_BURST) {
		memset(&m, 0, sizeof(m));
		m.msg_iov = r->iov + r->cur;
		m.msg_iovlen = r->niov - r->cur < 64 ? r->niov - r->cur : 64;
		n = sendmsg(fd, &m, MSG_NOSIGNAL | MSG_DONTWAIT);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return errno == EAGAIN || errno == EWOULDBLOCK ? 0 : CU_EIO;
		sent += (size_t)n;
		for (k = (size_t)n; k && r->cur < r->niov;) {
			struct iovec *v = &r->iov[r->cur];
			size_t t = k < v->iov_len ? k : v->iov_len;

			v->iov_base = (uint8_t *)v->iov_base + t;
			v->iov_len -= t;
			k -= t;
			if (!v->iov_len)
				r->cur++;
		}
	}
	return r->cur == r->niov;
}

/* ---- The child ---- */

/*
 * Leave at once, through the system call itself: no exit hooks inherited
 * from the worker (atexit, stdio flushing, a sanitizer's leak check) run.
 */
__attribute__((noreturn)) static void child_exit(int code)
{
	for (;;)
		(void)syscall(SYS_exit_group, code);
}

static int child_write(const void *b, size_t n)
{
	const uint8_t *p = b;
	ssize_t k;

	while (n) {
		k = write(SB_CHILD_FD, p, n);
		if (k < 0 && errno == EINTR)
			continue;
		if (k <= 0)
			return -1;
		p += k;
		n -= (size_t)k;
	}
	return 0;
}

static void child_frame(uint8_t type, const void *b, size_t n)
{
	uint8_t h[SB_HDR_LEN];

	put_hdr(h, type, (uint32_t)n);
	if (child_write(h, sizeof(h)) || child_write(b, n))
		child_exit(SB_EXIT_IO);
}

/* Say why the child could not confine itself, and stop. */
static void child_setup_failed(const char *what, int err)
{
	char msg[FN_REASON_MAX];
	int n;

	n = snprintf(msg, sizeof(msg), "%s: %s", what, strerrordesc_np(err));
	if (n < 0)
		n = 0;
	if ((size_t)n >= sizeof(msg))
		n = sizeof(msg) - 1;
	child_frame(SB_F_SETUP, msg, (size_t)n);
	child_exit(SB_EXIT_SETUP);
}

/*
 * seccomp traps a refused call here (SECCOMP_RET_TRAP): report its number
 * and stop. The function cannot replace this handler (no rt_sigaction). A
 * function that blocked SIGSYS is killed by it instead (the kernel forces
 * the default action), which the parent reports as forbidden too.
 */
static void child_sigsys(int sig, siginfo_t *si, void *uc)
{
	uint8_t f[SB_HDR_LEN + 4];

	(void)sig;
	(void)uc;
	put_hdr(f, SB_F_FORBIDDEN, 4);
	put32(f + SB_HDR_LEN, (uint32_t)si->si_syscall);
	(void)!write(SB_CHILD_FD, f, sizeof(f));
	child_exit(SB_EXIT_FORBIDDEN);
}

/* Keep only the stream, as descriptor SB_CHILD_FD. */
static void child_fds(int sock)
{
	int fd;

	if (sock != SB_CHILD_FD && dup2(sock, SB_CHILD_FD) < 0)
		child_exit(SB_EXIT_SETUP);
	if (close_range(0, SB_CHILD_FD - 1, 0) < 0 || close_range(SB_CHILD_FD + 1, ~0u, 0) < 0) {
		for (fd = 0; fd < 65536; fd++)
			if (fd != SB_CHILD_FD)
				(void)close(fd);
	}
}

static void child_signals(void)
{
	struct sigaction sa;
	sigset_t none;
	int s;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = SIG_DFL;
	sigemptyset(&sa.sa_mask);
	for (s = 1; s < NSIG; s++)
		if (s != SIGKILL && s != SIGSTOP)
			(void)sigaction(s, &sa, NULL);
	sa.sa_sigaction = child_sigsys;
	sa.sa_flags = SA_SIGINFO;
	sigfillset(&sa.sa_mask);
	if (sigaction(SIGSYS, &sa, NULL) < 0)
		child_setup_failed("sigaction(SIGSYS)", errno);
	sigemptyset(&none);
	if (sigprocmask(SIG_SETMASK, &none, NULL) < 0)
		child_setup_failed("sigprocmask", errno);
}

/* The address space the child inherited, in bytes: its limit adds to it. */
static uint64_t child_vm_size(void)
{
	char b[128];
	ssize_t n;
	int fd;

	fd = open("/proc/self/statm", O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		child_setup_failed("open(/proc/self/statm)", errno);
	n = read(fd, b, sizeof(b) - 1);
	(void)close(fd);
	if (n <= 0)
		child_setup_failed("read(/proc/self/statm)", n < 0 ? errno : EIO);
	b[n] = '\0';
	return strtoull(b, NULL, 10) * (uint64_t)sysconf(_SC_PAGESIZE);
}

static void child_rlimit(int res, rlim_t cur, rlim_t max, const char *what)
{
	struct rlimit rl = {cur, max};

	if (setrlimit(res, &rl) < 0)
		child_setup_failed(what, errno);
}

static void child_limits(const struct sb_limits *lim)
{
	uint64_t base = child_vm_size(), as;

	as = lim->memory > UINT64_MAX - base ? RLIM_INFINITY : base + lim->memory;
	child_rlimit(RLIMIT_AS, as, as, "setrlimit(RLIMIT_AS)");
	child_rlimit(RLIMIT_CPU, lim->cpu_s, (rlim_t)lim->cpu_s + 1, "setrlimit(RLIMIT_CPU)");
	child_rlimit(RLIMIT_FSIZE, 0, 0, "setrlimit(RLIMIT_FSIZE)");
	child_rlimit(RLIMIT_CORE, 0, 0, "setrlimit(RLIMIT_CORE)");
	child_rlimit(RLIMIT_NPROC, 0, 0, "setrlimit(RLIMIT_NPROC)");
	child_rlimit(RLIMIT_NOFILE, SB_CHILD_FD + 1, SB_CHILD_FD + 1, "setrlimit(RLIMIT_NOFILE)");
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
		child_setup_failed("prctl(PR_SET_NO_NEW_PRIVS)", errno);
	if (prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) < 0)
		child_setup_failed("prctl(PR_SET_DUMPABLE)", errno);
	/* Its parent (the worker's thread, or the spawner) gone, it goes too. */
	if (prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0) < 0)
		child_setup_failed("prctl(PR_SET_PDEATHSIG)", errno);
}

/* An argument comparison, every field set (libseccomp's SCMP_A* leave datum_b out). */
static struct scmp_arg_cmp cmp(unsigned arg, enum scmp_compare op, uint64_t a, uint64_t b)
{
	return (struct scmp_arg_cmp){.arg = arg, .op = op, .datum_a = a, .datum_b = b};
}

/*
 * The allow-list. Everything else traps (SIGSYS, reported as forbidden);
 * fstat and newfstatat fail with EPERM instead, because stdio asks for them
 * on its first use of a stream (newfstatat also takes absolute paths, so it
 * is not allowed through); sysinfo fails with ENOSYS, because glibc's qsort
 * asks it for the machine's memory before sorting more than a little, and
 * falls back to its in-place sort without it; mbind fails with ENOSYS
 * (OpenBLAS asks for a NUMA policy for its buffers, and does without). No thread may start (a
 * filter loaded without TSYNC would not confine it): a process that embeds
 * the sandbox runs OpenBLAS with OPENBLAS_NUM_THREADS=1 (custosd makes
 * sure), else the ONNX engine's first product asks for a thread and is
 * stopped. Another architecture's calls kill the process.
 */
static void child_seccomp(void)
{
	static const int allow[] = {
	    SCMP_SYS(read),         SCMP_SYS(write),
	    SCMP_SYS(readv),        SCMP_SYS(writev),
	    SCMP_SYS(close),        SCMP_SYS(exit),
	    SCMP_SYS(exit_group),   SCMP_SYS(brk),
	    SCMP_SYS(munmap),       SCMP_SYS(mremap),
	    SCMP_SYS(futex),        SCMP_SYS(clock_gettime),
	    SCMP_SYS(rt_sigreturn), SCMP_SYS(rt_sigprocmask),
	    SCMP_SYS(getrandom),    SCMP_SYS(getpid),
	    SCMP_SYS(gettid),
	};
	static const int advice[] = {MADV_NORMAL,   MADV_RANDOM, MADV_SEQUENTIAL, MADV_WILLNEED,
	                             MADV_DONTNEED, MADV_FREE,   MADV_HUGEPAGE,   MADV_NOHUGEPAGE,
	                             MADV_DONTDUMP, MADV_DODUMP};
	scmp_filter_ctx f;
	uint32_t pid = (uint32_t)getpid();
	size_t i;
	int rc;

	f = seccomp_init(SCMP_ACT_TRAP);
	if (!f)
		child_setup_failed("seccomp_init", ENOMEM);
	rc = seccomp_attr_set(f, SCMP_FLTATR_ACT_BADARCH, SCMP_ACT_KILL_PROCESS);
	for (i = 0; !rc && i < sizeof(allow) / sizeof(allow[0]); i++)
		rc = seccomp_rule_add(f, SCMP_ACT_ALLOW, allow[i], 0);
	if (!rc)
		rc = seccomp_rule_add(f, SCMP_ACT_ALLOW, SCMP_SYS(mmap), 1,
		                      cmp(2, SCMP_CMP_MASKED_EQ, PROT_EXEC, 0));
	if (!rc)
		rc = seccomp_rule_add(f, SCMP_ACT_ALLOW, SCMP_SYS(mprotect), 1,
		                      cmp(2, SCMP_CMP_MASKED_EQ, PROT_EXEC, 0));
	/* Advice about its own memory only (not MADV_HWPOISON and the like, which root could use).
	 */
	for (i = 0; !rc && i < sizeof(advice) / sizeof(advice[0]); i++)
		rc = seccomp_rule_add(f, SCMP_ACT_ALLOW, SCMP_SYS(madvise), 1,
		                      cmp(2, SCMP_CMP_EQ, (uint64_t)advice[i], 0));
	/* raise() and abort(): signals to itself only. */
	if (!rc)
		rc = seccomp_rule_add(f, SCMP_ACT_ALLOW, SCMP_SYS(tgkill), 2,
		                      cmp(0, SCMP_CMP_EQ, pid, 0), cmp(1, SCMP_CMP_EQ, pid, 0));
	/* Asking for the signal stack only (AddressSanitizer does, before noreturn calls). */
	if (!rc)
		rc = seccomp_rule_add(f, SCMP_ACT_ALLOW, SCMP_SYS(sigaltstack), 1,
		                      cmp(0, SCMP_CMP_EQ, 0, 0));
	if (!rc)
		rc = seccomp_rule_add(f, SCMP_ACT_ERRNO(EPERM), SCMP_SYS(fstat), 0);
	if (!rc)
		rc = seccomp_rule_add(f, SCMP_ACT_ERRNO(EPERM), SCMP_SYS(newfstatat), 0);
	if (!rc)
		rc = seccomp_rule_add(f, SCMP_ACT_ERRNO(ENOSYS), SCMP_SYS(sysinfo), 0);
	if (!rc)
		rc = seccomp_rule_add(f, SCMP_ACT_ERRNO(ENOSYS), SCMP_SYS(mbind), 0);

	if (!rc)
		rc = seccomp_load(f);
	seccomp_release(f);
	if (rc)
		child_setup_failed("seccomp", -rc);
}

/* The request as the child rebuilds it. */
struct child_req {
	struct fn_arg args[SB_COUNT_MAX];
	struct fn_input inputs[SB_COUNT_MAX];
	struct fn_output outputs[SB_COUNT_MAX];
	size_t nargs, ninputs, noutputs;
	uint8_t *code;
	size_t code_len;
	uint64_t fuel, max_memory;
	uint8_t *fill;    /* where DATA frames go: the last input's or the code's buffer */
	size_t *fill_len; /* and its length so far */
};

static void child_read(void *b, size_t n)
{
	uint8_t *p = b;
	ssize_t k;

	while (n) {
		k = read(SB_CHILD_FD, p, n);
		if (k < 0 && errno == EINTR)
			continue;
		if (k <= 0)
			child_exit(SB_EXIT_IO);
		p += k;
		n -= (size_t)k;
	}
}

/* Out of memory before the function ran: say so as the function would. */
static void child_nomem(const char *what)
{
	uint8_t rc[4];

	child_frame(SB_F_REASON, what, strlen(what));
	put32(rc, (uint32_t)CU_ENOMEM);
	child_frame(SB_F_END, rc, 4);
	child_exit(0);
}

static char *child_str(const uint8_t *p, size_t n)
{
	char *s = malloc(n + 1);

	if (!s)
		child_nomem("the arguments do not fit in the memory limit");
	memcpy(s, p, n);
	s[n] = '\0';
	return s;
}

/* One frame of the request (from the parent: trusted, but checked anyway). */
static int child_frame_in(struct child_req *q, uint8_t type, const uint8_t *b, uint32_t len,
                          uint64_t *left)
{
	struct cu_reader r;
	uint32_t nl;
	uint64_t total;
	struct fn_input *in;

	cu_reader_init(&r, b, len);
	switch (type) {
	case SB_F_ARG:
		if (q->nargs == SB_COUNT_MAX || cu_read_u32le(&r, &nl) || nl > len - 4)
			return -1;
		q->args[q->nargs].name = child_str(b + 4, nl);
		q->args[q->nargs++].value = child_str(b + 4 + nl, len - 4 - nl);
		return 0;
	case SB_F_INPUT:
		if (q->ninputs == SB_COUNT_MAX || *left || cu_read_u64le(&r, &total) ||
		    total > SIZE_MAX)
			return -1;
		in = &q->inputs[q->ninputs++];
		in->name = child_str(b + 8, len - 8);
		in->len = 0;
		in->data = malloc(total ? (size_t)total : 1);
		if (!in->data)
			child_nomem("the inputs do not fit in the memory limit");
		q->fill = (uint8_t *)(uintptr_t)in->data;
		q->fill_len = &in->len;
		*left = total;
		return 0;
	case SB_F_CODE:
		if (q->code || *left || len != 24 || cu_read_u64le(&r, &total) ||
		    cu_read_u64le(&r, &q->fuel) || cu_read_u64le(&r, &q->max_memory) || !total ||
		    total > SB_CODE_MAX)
			return -1;
		if (!(q->code = malloc((size_t)total)))
			child_nomem("the code does not fit in the memory limit");
		q->fill = q->code;
		q->fill_len = &q->code_len;
		*left = total;
		return 0;
	case SB_F_OUTPUT:
		if (q->noutputs == SB_COUNT_MAX)
			return -1;
		/* No limit of its own here: the parent enforces the limits. */
		q->outputs[q->noutputs].max = SIZE_MAX;
		q->outputs[q->noutputs++].name = child_str(b, len);
		return 0;
	default:
		return -1;
	}
}

static void child_request(struct child_req *q)
{
	uint8_t h[SB_HDR_LEN], *buf;
	struct cu_reader r;
	uint8_t type;
	uint32_t len;
	uint64_t left = 0;

	for (;;) {
		child_read(h, sizeof(h));
		cu_reader_init(&r, h, sizeof(h));
		if (cu_read_u8(&r, &type) || cu_read_u32le(&r, &len) || len > SB_FRAME_MAX)
			child_setup_failed("a malformed request", EPROTO);
		if (type == SB_F_GO && !left && !len)
			break;
		if (type == SB_F_DATA) {
			if (!q->fill || len > left)
				child_setup_failed("a malformed request", EPROTO);
			child_read(q->fill + *q->fill_len, len);
			*q->fill_len += len;
			left -= len;
			continue;
		}
		if (type == SB_F_INPUT && len < 8)
			child_setup_failed("a malformed request", EPROTO);
		/* Sized to the frame: a small memory limit still takes small requests. */
		if (!(buf = malloc(len ? len : 1)))
			child_nomem("the arguments do not fit in the memory limit");
		child_read(buf, len);
		if (child_frame_in(q, type, buf, len, &left))
			child_setup_failed("a malformed request", EPROTO);
		free(buf);
	}
}

static void child_send(struct fn_ctx *c, int rc)
{
	uint8_t h[SB_HDR_LEN + 4];
	size_t i, off, n;
	struct fn_output *o;

	for (i = 0; i < c->noutputs; i++) {
		o = &c->outputs[i];
		if (!o->written)
			continue;
		off = 0;
		do {
			n = o->len - off < SB_CHUNK ? o->len - off : SB_CHUNK;
			put_hdr(h, SB_F_OUT, (uint32_t)(4 + n));
			put32(h + SB_HDR_LEN, (uint32_t)i);
			if (child_write(h, sizeof(h)) || (n && child_write(o->data + off, n)))
				child_exit(SB_EXIT_IO);
			off += n;
		} while (off < o->len);
	}
	c->result[FN_RESULT_MAX] = '\0';
	c->reason[FN_REASON_MAX - 1] = '\0';
	if (c->result[0])
		child_frame(SB_F_RESULT, c->result, strlen(c->result));
	if (rc && c->reason[0])
		child_frame(SB_F_REASON, c->reason, strlen(c->reason));
	put32(h, (uint32_t)rc);
	child_frame(SB_F_END, h, 4);
}

/* Confine, read the request, run, answer, exit. Never returns. */
__attribute__((noreturn)) static void child_main(int sock, fn_entry entry,
                                                 const struct sb_limits *lim)
{
	struct child_req *q;
	struct fn_ctx *c;
	int rc;

	child_fds(sock);
	child_signals();
	child_limits(lim);
	child_seccomp();
	/* Confined from here on. */
	q = calloc(1, sizeof(*q));
	c = calloc(1, sizeof(*c));
	if (!q || !c)
		child_nomem("no memory for the function's context");
	child_request(q);
	c->args = q->args;
	c->nargs = q->nargs;
	c->inputs = q->inputs;
	c->ninputs = q->ninputs;
	c->outputs = q->outputs;
	c->noutputs = q->noutputs;
	c->code = q->code;
	c->code_len = q->code_len;
	c->fuel = q->fuel;
	c->max_memory = q->max_memory;
	rc = entry(c);
	child_send(c, rc);
	child_exit(0);
}

/* ---- The parent ---- */

/* Why the parent stopped reading; all but ST_EOF and ST_LOST kill the child. */
enum sb_stop { ST_EOF, ST_TIMEOUT, ST_CANCEL, ST_OUTPUT, ST_PROTOCOL, ST_NOMEM, ST_IO, ST_LOST };

struct sb_run {
	pid_t pid;
	int fd;
	int ctl;           /* the spawner's channel about this child, or -1 (forked here) */
	int pidfd;         /* the child, from the spawner */
	uint64_t deadline; /* CLOCK_MONOTONIC, ms */
	const volatile int *cancel;
	struct sb_req req;
	struct sb_parser p;
	uint64_t *max;
	int status;
	struct rusage ru;
};

static uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* Time out or cancel: ST_TIMEOUT, ST_CANCEL, or -1 to go on. */
static int run_expired(const struct sb_run *r, int *wait_ms)
{
	uint64_t now = now_ms();

	if (r->cancel && *r->cancel)
		return ST_CANCEL;
	if (now >= r->deadline)
		return ST_TIMEOUT;
	*wait_ms = r->deadline - now < SB_POLL_MS ? (int)(r->deadline - now) : SB_POLL_MS;
	return -1;
}

static int run_read(struct sb_run *r)
{
	uint8_t buf[65536];
	ssize_t n;
	int rc;

	n = recv(r->fd, buf, sizeof(buf), MSG_DONTWAIT);
	if (n == 0 || (n < 0 && errno == ECONNRESET))
		return ST_EOF;
	if (n < 0)
		return errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR ? -1 : ST_IO;
	rc = sb_parser_feed(&r->p, buf, (size_t)n);
	if (rc == CU_ELIMIT)
		return ST_OUTPUT;
	if (rc == CU_ENOMEM)
		return ST_NOMEM;
	return rc ? ST_PROTOCOL : -1;
}

/* Send the request and read the frames until the end of the stream or a stop. */
static enum sb_stop run_stream(struct sb_run *r)
{
	struct pollfd pf;
	int writing = 1, st, wait_ms = 0, rc;

	for (;;) {
		if ((st = run_expired(r, &wait_ms)) >= 0)
			return (enum sb_stop)st;
		pf.fd = r->fd;
		pf.events = POLLIN | (writing ? POLLOUT : 0);
		pf.revents = 0;
		rc = poll(&pf, 1, wait_ms);
		if (rc < 0 && errno != EINTR)
			return ST_IO;
		if (rc <= 0)
			continue;
		if (writing && (pf.revents & (POLLOUT | POLLERR | POLLHUP))) {
			rc = req_send(r->fd, &r->req);
			if (rc != 0) {
				/* All sent, or the child stopped reading: its frames say why. */
				writing = 0;
				(void)shutdown(r->fd, SHUT_WR);
			}
		}
		if (pf.revents & (POLLIN | POLLERR | POLLHUP))
			if ((st = run_read(r)) >= 0)
				return (enum sb_stop)st;
	}
}

/*
 * After the end of the stream: wait for the exit, still under the limits.
 * A pidfd (Linux 5.3) becomes readable the moment the child exits; without
 * one, look again every 5 ms.
 */
static enum sb_stop spawned_wait(struct sb_run *r);

static enum sb_stop run_wait(struct sb_run *r)
{
	if (r->ctl >= 0)
		return spawned_wait(r);
	int pidfd = (int)syscall(SYS_pidfd_open, r->pid, 0);
	enum sb_stop stop;
	pid_t w;
	int st, wait_ms;

	for (;;) {
		w = wait4(r->pid, &r->status, WNOHANG, &r->ru);
		if (w == r->pid) {
			stop = ST_EOF;
			break;
		}
		if (w < 0 && errno != EINTR) {
			stop = ST_LOST; /* reaped elsewhere: its pid may be reused, no kill */
			break;
		}
		if ((st = run_expired(r, &wait_ms)) >= 0) {
			stop = (enum sb_stop)st;
			break;
		}
		if (pidfd >= 0) {
			struct pollfd pf = {.fd = pidfd, .events = POLLIN};

			(void)poll(&pf, 1, wait_ms);
		} else {
			(void)poll(NULL, 0, wait_ms < 5 ? wait_ms : 5);
		}
	}
	if (pidfd >= 0)
		close(pidfd);
	return stop;
}

static void spawned_kill(struct sb_run *r);

static void run_kill(struct sb_run *r)
{
	if (r->ctl >= 0) {
		spawned_kill(r);
		return;
	}
	(void)kill(r->pid, SIGKILL);
	while (wait4(r->pid, &r->status, 0, &r->ru) < 0 && errno == EINTR)
		;
}

/*
 * ---- The spawner ----
 *
 * A process forked once, early, while the worker has a single thread: it
 * forks the children in its place. A child forked from the worker itself
 * would inherit every lock another worker thread held at that moment
 * (glibc resets its malloc's, but not the sanitizers' allocators, OpenSSL's
 * or any other library's): a function that needs one waits forever. The
 * spawner has one thread, so its children inherit no held lock, and only
 * the memory the worker had when it started it (no task's keys or data).
 *
 * One SOCK_SEQPACKET socket joins the worker and the spawner: each sb_run
 * sends a struct sp_req with two descriptors, the child's end of the stream
 * and a channel of its own (a SOCK_SEQPACKET pair). On that channel the
 * spawner answers a struct sp_started with a pidfd of the child, and, once
 * it reaped the child, a struct sp_exited; then it closes the channel. At
 * the end of the worker's socket (the worker stopped or died) the spawner
 * kills its children and exits.
 */
struct sp_req {
	uintptr_t entry; /* an address in the image both processes share */
	struct sb_limits lim;
};

struct sp_started {
	int32_t pid; /* > 0, or -1 with err */
	int32_t err;
};

struct sp_exited {
	int32_t status;
	struct rusage ru;
};

struct sp_child {
	pid_t pid;
	int pidfd, ctl;
};

static int spawner_sock = -1; /* the worker's end */
static pid_t spawner_pid = -1;

static int pidfd_of(pid_t pid)
{
	return (int)syscall(SYS_pidfd_open, pid, 0);
}

/* One message and at most two descriptors; 0 bytes at the end of the socket. */
static ssize_t recv_fds(int sock, void *b, size_t n, int *fds, int nfds)
{
	union {
		char buf[CMSG_SPACE(2 * sizeof(int))];
		struct cmsghdr align;
	} u;
	struct iovec iov = {b, n};
	struct msghdr m = {.msg_iov = &iov,
	                   .msg_iovlen = 1,
	                   .msg_control = u.buf,
	                   .msg_controllen = sizeof(u.buf)};
	struct cmsghdr *c;
	ssize_t k;
	int got = 0;

	for (int i = 0; i < nfds; i++)
		fds[i] = -1;
	do
		k = recvmsg(sock, &m, MSG_CMSG_CLOEXEC);
	while (k < 0 && errno == EINTR);
	for (c = k >= 0 ? CMSG_FIRSTHDR(&m) : NULL; c; c = CMSG_NXTHDR(&m, c)) {
		if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS)
			continue;
		size_t cnt = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
		for (size_t i = 0; i < cnt; i++) {
			int fd;
			memcpy(&fd, CMSG_DATA(c) + i * sizeof(int), sizeof(int));
			if (got < nfds)
				fds[got++] = fd;
			else
				(void)close(fd);
		}
	}
	if (k >= 0 && (m.msg_flags & (MSG_TRUNC | MSG_CTRUNC)))
		k = -2; /* not a message of ours */
	return k;
}

static int send_fds(int sock, const void *b, size_t n, const int *fds, int nfds)
{
	union {
		char buf[CMSG_SPACE(2 * sizeof(int))];
		struct cmsghdr align;
	} u;
	struct iovec iov = {(void *)(uintptr_t)b, n};
	struct msghdr m = {.msg_iov = &iov, .msg_iovlen = 1};
	ssize_t k;

	if (nfds > 0) {
		memset(&u, 0, sizeof(u));
		m.msg_control = u.buf;
		m.msg_controllen = CMSG_SPACE((size_t)nfds * sizeof(int));
		struct cmsghdr *c = CMSG_FIRSTHDR(&m);
		c->cmsg_level = SOL_SOCKET;
		c->cmsg_type = SCM_RIGHTS;
		c->cmsg_len = CMSG_LEN((size_t)nfds * sizeof(int));
		memcpy(CMSG_DATA(c), fds, (size_t)nfds * sizeof(int));
	}
	do
		k = sendmsg(sock, &m, MSG_NOSIGNAL);
	while (k < 0 && errno == EINTR);
	return k == (ssize_t)n ? 0 : -1;
}

/* In the spawner: fork the child of one request and tell the worker. */
static void spawn_one(int sock, struct sp_child **kids, size_t *nkids, size_t *cap)
{
	struct sp_req q;
	struct sp_started a = {-1, 0};
	int fds[2];
	ssize_t k = recv_fds(sock, &q, sizeof(q), fds, 2);

	if (k == 0 || k == -1) {
		/* The worker is gone: so are the children it asked for. */
		for (size_t i = 0; i < *nkids; i++)
			(void)syscall(SYS_pidfd_send_signal, (*kids)[i].pidfd, SIGKILL, NULL, 0);
		child_exit(0);
	}
	if (k == (ssize_t)sizeof(q) && fds[0] >= 0 && fds[1] >= 0 && *nkids == *cap) {
		struct sp_child *more = realloc(*kids, (*cap * 2 + 8) * sizeof(**kids));
		if (more) {
			*kids = more;
			*cap = *cap * 2 + 8;
		}
	}
	if (k != (ssize_t)sizeof(q) || fds[0] < 0 || fds[1] < 0 || *nkids == *cap) {
		a.err = *nkids == *cap ? ENOMEM : EPROTO;
		if (fds[1] >= 0)
			(void)send_fds(fds[1], &a, sizeof(a), NULL, 0);
		for (int i = 0; i < 2; i++)
			if (fds[i] >= 0)
				(void)close(fds[i]);
		return;
	}
	a.pid = fork();
	if (a.pid == 0)
		child_main(fds[0], (fn_entry)q.entry, &q.lim);
	(void)close(fds[0]);
	int pidfd = a.pid > 0 ? pidfd_of(a.pid) : -1;
	if (a.pid > 0 && pidfd < 0) {
		/* Not kept track of: stop it now. The worker sees the channel close. */
		(void)kill(a.pid, SIGKILL);
		(void)waitpid(a.pid, NULL, 0);
		a.pid = -1;
	}
	if (a.pid < 0) {
		a.err = errno;
		(void)send_fds(fds[1], &a, sizeof(a), NULL, 0);
		(void)close(fds[1]);
		return;
	}
	(void)send_fds(fds[1], &a, sizeof(a), &pidfd, 1);
	(*kids)[(*nkids)++] = (struct sp_child){a.pid, pidfd, fds[1]};
}

/* In the spawner: reap kids[i] if it exited, and tell the worker how. */
static int reap_one(struct sp_child *kid)
{
	struct sp_exited e;
	pid_t w;

	memset(&e, 0, sizeof(e));
	do
		w = wait4(kid->pid, &e.status, WNOHANG, &e.ru);
	while (w < 0 && errno == EINTR);
	if (w == 0)
		return 0;
	if (w == kid->pid)
		(void)send_fds(kid->ctl, &e, sizeof(e), NULL, 0);
	(void)close(kid->ctl);
	(void)close(kid->pidfd);
	return 1;
}

__attribute__((noreturn)) static void spawner_main(int sock)
{
	struct sp_child *kids = NULL;
	struct pollfd *pf = NULL;
	size_t nkids = 0, cap = 0, pcap = 0;
	struct sigaction sa;
	sigset_t none;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = SIG_DFL;
	for (int s = 1; s < NSIG; s++)
		if (s != SIGKILL && s != SIGSTOP)
			(void)sigaction(s, &sa, NULL);
	sigemptyset(&none);
	(void)sigprocmask(SIG_SETMASK, &none, NULL);
	/* Only its socket: no listener, log or lock file of the worker's. */
	if (sock != 0 && dup2(sock, 0) < 0)
		child_exit(SB_EXIT_SETUP);
	sock = 0;
	if (close_range(1, ~0u, 0) < 0)
		for (int fd = 1; fd < 65536; fd++)
			(void)close(fd);
	(void)prctl(PR_SET_NAME, "custos-spawner", 0, 0, 0);
	(void)prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0);
	for (;;) {
		if (pcap < nkids + 1) {
			pcap = nkids + 9;
			if (!(pf = realloc(pf, pcap * sizeof(*pf))))
				child_exit(SB_EXIT_SETUP);
		}
		pf[0] = (struct pollfd){.fd = sock, .events = POLLIN};
		for (size_t i = 0; i < nkids; i++)
			pf[i + 1] = (struct pollfd){.fd = kids[i].pidfd, .events = POLLIN};
		if (poll(pf, nkids + 1, -1) < 0 && errno != EINTR)
			child_exit(SB_EXIT_IO);
		for (size_t i = nkids; i-- > 0;)
			if (pf[i + 1].revents && reap_one(&kids[i]))
				kids[i] = kids[--nkids];
		if (pf[0].revents)
			spawn_one(sock, &kids, &nkids, &cap);
	}
}

int sb_spawner_start(void)
{
	int sv[2], probe;

	if (spawner_sock >= 0)
		return 0;
	/* pidfds (Linux 5.3) are how the spawner watches its children. */
	if ((probe = pidfd_of(getpid())) < 0)
		return CU_EUNSUPPORTED;
	(void)close(probe);
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0)
		return CU_EIO;
	pid_t pid = fork();
	if (pid == 0) {
		(void)close(sv[0]);
		spawner_main(sv[1]);
	}
	(void)close(sv[1]);
	if (pid < 0) {
		(void)close(sv[0]);
		return CU_EIO;
	}
	spawner_sock = sv[0];
	spawner_pid = pid;
	return 0;
}

void sb_spawner_stop(void)
{
	if (spawner_sock < 0)
		return;
	(void)close(spawner_sock);
	spawner_sock = -1;
	while (waitpid(spawner_pid, NULL, 0) < 0 && errno == EINTR)
		;
	spawner_pid = -1;
}

pid_t sb_spawner_pid(void)
{
	return spawner_sock >= 0 ? spawner_pid : -1;
}

/* Ask the spawner for the child of r (stream: its end of the stream, given away). */
static int spawned_start(struct sb_run *r, int stream, const fn_entry entry,
                         const struct sb_limits *lim, struct sb_result *res)
{
	struct sp_req q;
	struct sp_started a;
	int ch[2], fds[2], fd;
	ssize_t k;

	memset(&q, 0, sizeof(q));
	q.entry = (uintptr_t)entry;
	q.lim = *lim;
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, ch) < 0) {
		(void)close(stream);
		return cu_reason(res->reason, sizeof(res->reason), CU_EIO, "socketpair: %s",
		                 strerror(errno));
	}
	fds[0] = stream;
	fds[1] = ch[1];
	k = send_fds(spawner_sock, &q, sizeof(q), fds, 2);
	(void)close(stream);
	(void)close(ch[1]);
	if (k < 0) {
		(void)close(ch[0]);
		return cu_reason(res->reason, sizeof(res->reason), CU_EIO,
		                 "the sandbox's spawner is gone");
	}
	r->ctl = ch[0];
	k = recv_fds(r->ctl, &a, sizeof(a), &fd, 1);
	if (k != (ssize_t)sizeof(a) || a.pid <= 0 || fd < 0) {
		if (fd >= 0)
			(void)close(fd);
		return cu_reason(res->reason, sizeof(res->reason), CU_EIO, "fork: %s",
		                 k == (ssize_t)sizeof(a) && a.err ? strerror(a.err)
		                                                  : "the spawner did not answer");
	}
	r->pid = a.pid;
	r->pidfd = fd;
	return 0;
}

/* The exit status the spawner reports; ST_LOST if it cannot. */
static enum sb_stop spawned_status(struct sb_run *r)
{
	struct sp_exited e;
	int none = -1;

	if (recv_fds(r->ctl, &e, sizeof(e), &none, 0) != (ssize_t)sizeof(e)) {
		/* The spawner stopped: the pidfd still names this very child. */
		(void)syscall(SYS_pidfd_send_signal, r->pidfd, SIGKILL, NULL, 0);
		return ST_LOST;
	}
	r->status = e.status;
	r->ru = e.ru;
	return ST_EOF;
}

static enum sb_stop spawned_wait(struct sb_run *r)
{
	int st, wait_ms;

	for (;;) {
		if ((st = run_expired(r, &wait_ms)) >= 0)
			return (enum sb_stop)st;
		struct pollfd pf = {.fd = r->ctl, .events = POLLIN};
		if (poll(&pf, 1, wait_ms) > 0)
			return spawned_status(r);
	}
}

static void spawned_kill(struct sb_run *r)
{
	(void)syscall(SYS_pidfd_send_signal, r->pidfd, SIGKILL, NULL, 0);
	if (spawned_status(r) != ST_EOF)
		r->status = SIGKILL; /* as a wait status: killed by SIGKILL */
}

/* Replace control characters: the reason is one line of untrusted text. */
static void one_line(char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			*s = ' ';
}

static void set_outcome(struct sb_result *res, enum sb_outcome o, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void set_outcome(struct sb_result *res, enum sb_outcome o, const char *fmt, ...)
{
	va_list ap;

	res->outcome = o;
	va_start(ap, fmt);
	vsnprintf(res->reason, sizeof(res->reason), fmt, ap);
	va_end(ap);
	one_line(res->reason);
}

static void classify_signal(struct sb_run *r, const struct sb_limits *lim, struct sb_result *res)
{
	int sig = WTERMSIG(r->status);
	double cpu = (double)r->ru.ru_utime.tv_sec + (double)r->ru.ru_stime.tv_sec +
	             (double)(r->ru.ru_utime.tv_usec + r->ru.ru_stime.tv_usec) / 1e6;
	const char *name = sigabbrev_np(sig);

	if (sig == SIGSYS)
		set_outcome(res, SB_FORBIDDEN, "the function tried a forbidden system call");
	else if (sig == SIGXCPU || (sig == SIGKILL && cpu >= lim->cpu_s))
		set_outcome(res, SB_CPU, "the function used more than its %u s of CPU time",
		            lim->cpu_s);
	else if (sig == SIGKILL)
		set_outcome(res, SB_CRASHED,
		            "the function was killed from outside the sandbox "
		            "(SIGKILL; the system may be out of memory)");
	else
		set_outcome(res, SB_CRASHED, "the function crashed (SIG%s)", name ? name : "?");
}

static void take_outputs(struct sb_run *r, struct fn_ctx *ctx)
{
	struct fn_output *o;
	size_t i;

	for (i = 0; i < ctx->noutputs; i++) {
		if (!r->p.outs[i].written)
			continue;
		o = &ctx->outputs[i];
		free(o->data);
		o->data = r->p.outs[i].data;
		o->len = r->p.outs[i].len;
		o->cap = r->p.outs[i].cap;
		o->written = 1;
		memset(&r->p.outs[i], 0, sizeof(r->p.outs[i]));
	}
}

/* The child exited on its own: its frames say how it ended. */
static int classify_exit(struct sb_run *r, const struct sb_limits *lim, struct fn_ctx *ctx,
                         struct sb_result *res)
{
	struct sb_parser *p = &r->p;
	char *name;

	if (sb_parser_finish(p)) {
		set_outcome(res, SB_PROTOCOL,
		            "the sandboxed function exited (status %d) without "
		            "its result: %s",
		            WEXITSTATUS(r->status), p->err);
		return 0;
	}
	if (p->end == SB_END_SETUP)
		return cu_reason(res->reason, sizeof(res->reason), CU_EIO,
		                 "the sandbox could not be set up: %s", p->reason);
	if (p->end == SB_END_FORBIDDEN) {
		name = seccomp_syscall_resolve_num_arch(SCMP_ARCH_NATIVE, (int)p->sysno);
		set_outcome(res, SB_FORBIDDEN, "the function tried a forbidden system call (%s)",
		            name ? name : "unknown");
		free(name);
		return 0;
	}
	one_line(p->reason);
	if (p->rc == 0) {
		set_outcome(res, SB_OK, "the function finished");
		memcpy(res->result, p->result, sizeof(res->result));
		memcpy(ctx->result, p->result, sizeof(ctx->result));
		take_outputs(r, ctx);
	} else if (p->rc == CU_ENOMEM) {
		set_outcome(res, SB_MEMORY, "the function ran out of memory (limit %llu %s)%s%s",
		            (unsigned long long)(lim->memory >= (1u << 20) ? lim->memory >> 20
		                                                           : lim->memory),
		            lim->memory >= (1u << 20) ? "MiB" : "bytes", p->has_reason ? ": " : "",
		            p->reason);
	} else if (p->has_reason) {
		set_outcome(res, SB_FAILED, "%s", p->reason);
	} else {
		set_outcome(res, SB_FAILED, "the function failed: %s", cu_strerror(p->rc));
	}
	if (p->rc)
		snprintf(ctx->reason, sizeof(ctx->reason), "%s", res->reason);
	return 0;
}

static int classify(struct sb_run *r, enum sb_stop st, const struct sb_limits *lim,
                    struct fn_ctx *ctx, struct sb_result *res)
{
	switch (st) {
	case ST_TIMEOUT:
		set_outcome(res, SB_TIMEOUT, "the function ran longer than its %u ms",
		            lim->wall_ms);
		return 0;
	case ST_CANCEL:
		set_outcome(res, SB_CANCELED, "the task was canceled");
		return 0;
	case ST_OUTPUT:
		set_outcome(res, SB_OUTPUT, "the function wrote %s", r->p.err);
		return 0;
	case ST_PROTOCOL:
		set_outcome(res, SB_PROTOCOL, "the sandboxed function sent %s", r->p.err);
		return 0;
	case ST_NOMEM:
		return cu_reason(res->reason, sizeof(res->reason), CU_ENOMEM,
		                 "the worker ran out of memory for the function's outputs");
	case ST_IO:
		return cu_reason(res->reason, sizeof(res->reason), CU_EIO,
		                 "the sandbox failed to talk to its child");
	case ST_LOST:
		return cu_reason(res->reason, sizeof(res->reason), CU_EIO,
		                 "the sandbox lost its child (reaped elsewhere, or its spawner "
		                 "stopped)");
	case ST_EOF:
		break;
	}
	if (WIFSIGNALED(r->status)) {
		classify_signal(r, lim, res);
		return 0;
	}
	return classify_exit(r, lim, ctx, res);
}

static void limits_or_defaults(const struct sb_limits *in, struct sb_limits *l)
{
	memset(l, 0, sizeof(*l));
	if (in)
		*l = *in;
	if (!l->memory)
		l->memory = SB_DEF_MEMORY;
	if (!l->cpu_s)
		l->cpu_s = SB_DEF_CPU_S;
	if (!l->wall_ms)
		l->wall_ms = SB_DEF_WALL;
	if (!l->output)
		l->output = SB_DEF_OUTPUT;
}

static int run_prepare(struct sb_run *r, struct fn_ctx *ctx, const struct sb_limits *lim,
                       struct sb_result *res)
{
	size_t i;
	int rc;

	if ((rc = req_build(ctx, &r->req, res->reason, sizeof(res->reason))))
		return rc;
	if (ctx->noutputs && !(r->max = cu_calloc(ctx->noutputs, sizeof(*r->max))))
		return cu_reason(res->reason, sizeof(res->reason), CU_ENOMEM, "out of memory");
	for (i = 0; i < ctx->noutputs; i++)
		r->max[i] = ctx->outputs[i].max;
	if (sb_parser_init(&r->p, ctx->noutputs, r->max, lim->output))
		return cu_reason(res->reason, sizeof(res->reason), CU_ENOMEM, "out of memory");
	return 0;
}

int sb_run(fn_entry entry, struct fn_ctx *ctx, const struct sb_limits *limits,
           const volatile int *cancel, struct sb_result *res)
{
	struct sb_limits lim;
	struct sb_run r;
	int sv[2] = {-1, -1}, rc, sz = SB_SOCKBUF;
	enum sb_stop st;

	if (!res)
		return CU_EINVAL;
	memset(res, 0, sizeof(*res));
	memset(&r, 0, sizeof(r));
	r.fd = r.ctl = r.pidfd = -1;
	if (!entry || !ctx)
		return cu_reason(res->reason, sizeof(res->reason), CU_EINVAL, "no function to run");
	limits_or_defaults(limits, &lim);
	if ((rc = run_prepare(&r, ctx, &lim, res)))
		goto out;
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0) {
		rc = cu_reason(res->reason, sizeof(res->reason), CU_EIO, "socketpair: %s",
		               strerror(errno));
		goto out;
	}
	(void)setsockopt(sv[0], SOL_SOCKET, SO_SNDBUF, &sz, sizeof(sz));
	(void)setsockopt(sv[0], SOL_SOCKET, SO_RCVBUF, &sz, sizeof(sz));
	r.deadline = now_ms() + lim.wall_ms;
	r.cancel = cancel;
	r.fd = sv[0];
	if (spawner_sock >= 0) {
		if ((rc = spawned_start(&r, sv[1], entry, &lim, res)))
			goto out;
	} else {
		r.pid = fork();
		if (r.pid == 0)
			child_main(sv[1], entry, &lim);
		(void)close(sv[1]);
		if (r.pid < 0) {
			rc = cu_reason(res->reason, sizeof(res->reason), CU_EIO, "fork: %s",
			               strerror(errno));
			goto out;
		}
	}
	st = run_stream(&r);
	if (st == ST_EOF)
		st = run_wait(&r);
	if (st != ST_EOF && st != ST_LOST)
		run_kill(&r);
	rc = classify(&r, st, &lim, ctx, res);
out:
	if (r.fd >= 0)
		(void)close(r.fd);
	if (r.ctl >= 0)
		(void)close(r.ctl);
	if (r.pidfd >= 0)
		(void)close(r.pidfd);
	req_free(&r.req);
	sb_parser_free(&r.p);
	free(r.max);
	return rc;
}

const char *sb_outcome_name(enum sb_outcome o)
{
	static const char *const names[] = {
	    [SB_OK] = "ok",
	    [SB_FAILED] = "failed",
	    [SB_CRASHED] = "crashed",
	    [SB_FORBIDDEN] = "forbidden",
	    [SB_MEMORY] = "memory",
	    [SB_CPU] = "cpu",
	    [SB_TIMEOUT] = "timeout",
	    [SB_OUTPUT] = "output",
	    [SB_CANCELED] = "canceled",
	    [SB_PROTOCOL] = "protocol",
	};

	if ((unsigned)o < sizeof(names) / sizeof(names[0]) && names[o])
		return names[o];
	return "unknown";
}
