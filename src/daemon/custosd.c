/*
 * custosd - the Custos platform daemon: it attests itself with RA-TLS,
 * serves /v1/health and /v1/attestation (custosd_api.c) and the control
 * plane (custosd_platform.c), and runs tasks on its in-process worker
 * (--role all, the default), on remote workers (--role control, with
 * custosd_workers.c), or is such a remote worker (--role worker,
 * custosd_worker.c).
 *
 *   custosd --data-dir DIR --listen HOST:PORT --tee sim|sgx|tsm
 *           [--role all|control] [--worker-listen HOST:PORT PEERS]
 *           [--simtee SOCKET] [--admin-password-file FILE]
 *           [--cert-lifetime SECONDS] [--log-level error|warn|info|debug]
 *   custosd --role worker --control https://HOST:PORT --data-dir DIR --tee ... PEERS
 *   PEERS:  --manifest M --signature S... --auditor PUB... [--threshold K]
 *           [--allow-simulation]
 *
 * Start-up opens the TEE, makes the first RA-TLS certificate (and checks
 * it), opens the sealed store and the platform, and listens; the bound address is logged as
 * "listening on HOST:PORT" (with --listen HOST:0 the kernel picks the port). Users do not present
 * certificates: the attestation is one-way, users will authenticate with tokens inside the channel.
 * SIGTERM and SIGINT stop the loop; custosd then frees everything and exits 0.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <event2/event.h>
#include <event2/thread.h>

#include "common/err.h"
#include "common/log.h"
#include "daemon/custosd.h"
#include "onnx/onnx.h"
#include "worker/sandbox.h"

#define LOCK_NAME "custosd.lock"

struct args {
	const char *data_dir;
	const char *listen;
	const char *worker_listen;
	const char *control;
	const char *name;
	enum custosd_role role;
	struct custosd_peers peers;
	const char *tee;
	const char *simtee;
	const char *admin_pw;
	int64_t lifetime;
	enum cu_log_level level;
};

static const char usage_text[] =
    "usage: custosd --data-dir DIR --listen HOST:PORT --tee sim|sgx|tsm [--simtee SOCKET]\n"
    "               [--role all|control] [--worker-listen HOST:PORT PEERS]\n"
    "               [--admin-password-file FILE] [--cert-lifetime SECONDS]\n"
    "               [--log-level error|warn|info|debug]\n"
    "       custosd --role worker --control https://HOST:PORT --data-dir DIR\n"
    "               --tee sim|sgx|tsm [--simtee SOCKET] [--name NAME] PEERS\n"
    "  PEERS: --manifest FILE --signature FILE... --auditor PUB.pem... [--threshold K]\n"
    "         [--allow-simulation]\n"
    "\n"
    "  --role ROLE            all (default): the control plane and one worker in this\n"
    "                         process; control: the control plane alone, its tasks run\n"
    "                         on remote workers (needs --worker-listen); worker: a\n"
    "                         remote worker of the control plane at --control\n"
    "  --worker-listen HOST:PORT\n"
    "                         where remote workers connect (mutual attested TLS: a\n"
    "                         worker must match the manifest's \"worker\" role)\n"
    "  --control URL          (worker) the control plane's --worker-listen address; it\n"
    "                         must match the manifest's \"control\" role\n"
    "  --name NAME            (worker) a name for the logs (default: the host name)\n"
    "  --manifest, --signature, --auditor, --threshold, --allow-simulation\n"
    "                         the platform manifest that the peer at the other end of a\n"
    "                         worker link must match, accepted with K (default: all)\n"
    "                         of the auditors' signatures; simulated evidence only with\n"
    "                         --allow-simulation and a manifest that allows it\n"
    "  --data-dir DIR         the daemon's state (made 0700 if missing; refused when\n"
    "                         others may read it)\n"
    "  --listen HOST:PORT     the address of the API (PORT 0: any free port; the log\n"
    "                         says \"listening on HOST:PORT\")\n"
    "  --tee KIND             sim (custos-simtee: INSECURE, tests only), sgx (Gramine)\n"
    "                         or tsm (a confidential VM)\n"
    "  --simtee SOCKET        the socket of custos-simtee (default $" TEE_SIM_SOCKET_ENV ")\n"
    "  --admin-password-file FILE\n"
    "                         on the first start, the password of the account \"admin\"\n"
    "                         (its first line); without it a random one is printed once\n"
    "  --cert-lifetime SECS   seconds an RA-TLS certificate lives (default and at most\n"
    "                         86400); it is renewed two thirds into its life\n"
    "  --log-level LEVEL      error, warn, info (default) or debug\n";

/* One line on stderr for bad usage; the exit status is 2. */
__attribute__((format(printf, 1, 2))) static int usage_error(const char *fmt, ...)
{
	va_list ap;

	fputs("custosd: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputs(" (try --help)\n", stderr);
	return 2;
}

/* The index of s in names[0..n), or -1. */
static int word_index(const char *s, const char *const *names, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (!strcmp(s, names[i]))
			return (int)i;
	return -1;
}

static int parse_level(const char *s, enum cu_log_level *out)
{
	static const char *const names[] = {"error", "warn", "info", "debug"};
	int i = word_index(s, names, sizeof(names) / sizeof(names[0]));

	if (i < 0)
		return CU_EINVAL;
	*out = (enum cu_log_level)i;
	return 0;
}

static int parse_lifetime(const char *s, int64_t *out)
{
	char *end;
	long long v;

	if (*s < '0' || *s > '9')
		return CU_EINVAL;
	errno = 0;
	v = strtoll(s, &end, 10);
	if (errno || *end || v < 1 || v > RATLS_LIFETIME_MAX)
		return CU_EINVAL;
	*out = v;
	return 0;
}

static int check_role(const struct args *a)
{
	int peers = a->peers.manifest || a->peers.nauditors || a->peers.nsignatures;

	if (peers && (!a->peers.manifest || !a->peers.nauditors || !a->peers.nsignatures))
		return usage_error("--manifest, --signature and --auditor go together");
	if (a->peers.threshold > a->peers.nauditors)
		return usage_error("--threshold %llu is more than the %zu auditors given",
		                   (unsigned long long)a->peers.threshold, a->peers.nauditors);
	if (a->role == CUSTOSD_WORKER) {
		if (!a->data_dir || !a->tee || !a->control || !peers)
			return usage_error(
			    "--role worker needs --data-dir, --tee, --control and the "
			    "manifest (--manifest, --signature, --auditor)");
		if (a->listen || a->worker_listen || a->admin_pw)
			return usage_error(
			    "a worker serves nothing: no --listen, --worker-listen or "
			    "--admin-password-file");
		return 0;
	}
	if (a->control || a->name)
		return usage_error("--control and --name are for --role worker");
	if (a->role == CUSTOSD_CONTROL && !a->worker_listen)
		return usage_error("--role control needs --worker-listen: its tasks run on remote "
		                   "workers");
	if (a->worker_listen && !peers)
		return usage_error("--worker-listen needs the manifest (--manifest, --signature, "
		                   "--auditor) that workers must match");
	return 0;
}

static int check_args(const struct args *a)
{
	if (a->role != CUSTOSD_WORKER && (!a->data_dir || !a->listen || !a->tee))
		return usage_error("needs --data-dir, --listen and --tee");
	if (strcmp(a->tee, "sim") && strcmp(a->tee, "sgx") && strcmp(a->tee, "tsm"))
		return usage_error("--tee wants sim, sgx or tsm, not '%s'", a->tee);
	if (a->simtee && strcmp(a->tee, "sim"))
		return usage_error("--simtee is for --tee sim");
	return check_role(a);
}

static int parse_role(const char *s, enum custosd_role *out)
{
	static const char *const names[] = {"all", "control", "worker"};
	int i = word_index(s, names, sizeof(names) / sizeof(names[0]));

	if (i < 0)
		return CU_EINVAL;
	*out = (enum custosd_role)i;
	return 0;
}

/* A repeatable option into list[*n] (at most max). */
static int add_path(const char **list, size_t *n, size_t max, const char *v)
{
	if (*n == max)
		return CU_ELIMIT;
	list[(*n)++] = v;
	return 0;
}

/* The options of roles and peers: 0 when c was one of them and fine, 2 for bad usage, 1 else. */
static int parse_peer_opt(int c, struct args *a)
{
	struct custosd_peers *p = &a->peers;
	char *end;

	if (c == 'R' && parse_role(optarg, &a->role))
		return usage_error("--role wants all, control or worker, not '%s'", optarg);
	else if (c == 'W')
		a->worker_listen = optarg;
	else if (c == 'C')
		a->control = optarg;
	else if (c == 'N')
		a->name = optarg;
	else if (c == 'm')
		p->manifest = optarg;
	else if (c == 'S' &&
	         add_path(p->signatures, &p->nsignatures, TEE_MANIFEST_MAX_SIGS, optarg))
		return usage_error("at most %d --signature", TEE_MANIFEST_MAX_SIGS);
	else if (c == 'A' &&
	         add_path(p->auditors, &p->nauditors, TEE_MANIFEST_MAX_AUDITORS, optarg))
		return usage_error("at most %d --auditor", TEE_MANIFEST_MAX_AUDITORS);
	else if (c == 'k') {
		errno = 0;
		p->threshold = strtoull(optarg, &end, 10);
		if (errno || *end || optarg[0] < '1' || optarg[0] > '9' ||
		    p->threshold > TEE_MANIFEST_MAX_AUDITORS)
			return usage_error("--threshold wants 1..%d, not '%s'",
			                   TEE_MANIFEST_MAX_AUDITORS, optarg);
	} else if (c == 'X')
		p->allow_simulation = 1;
	else if (!strchr("RWCNmSAk", c))
		return 1;
	return 0;
}

/* 0 to run, 1 after --help, 2 for bad usage (printed). */
static int parse_args(int argc, char **argv, struct args *a)
{
	static const struct option opts[] = {
	    {"data-dir", required_argument, NULL, 'd'},
	    {"listen", required_argument, NULL, 'l'},
	    {"tee", required_argument, NULL, 't'},
	    {"simtee", required_argument, NULL, 's'},
	    {"admin-password-file", required_argument, NULL, 'a'},
	    {"cert-lifetime", required_argument, NULL, 'L'},
	    {"log-level", required_argument, NULL, 'v'},
	    {"role", required_argument, NULL, 'R'},
	    {"worker-listen", required_argument, NULL, 'W'},
	    {"control", required_argument, NULL, 'C'},
	    {"name", required_argument, NULL, 'N'},
	    {"manifest", required_argument, NULL, 'm'},
	    {"signature", required_argument, NULL, 'S'},
	    {"auditor", required_argument, NULL, 'A'},
	    {"threshold", required_argument, NULL, 'k'},
	    {"allow-simulation", no_argument, NULL, 'X'},
	    {"help", no_argument, NULL, 'h'},
	    {NULL, 0, NULL, 0},
	};
	int c, r;

	opterr = 0;
	while ((c = getopt_long(argc, argv, ":h", opts, NULL)) != -1) {
		if ((r = parse_peer_opt(c, a)) != 1) {
			if (r)
				return r;
		} else if (c == 'd')
			a->data_dir = optarg;
		else if (c == 'l')
			a->listen = optarg;
		else if (c == 't')
			a->tee = optarg;
		else if (c == 's')
			a->simtee = optarg;
		else if (c == 'a')
			a->admin_pw = optarg;
		else if (c == 'L' && parse_lifetime(optarg, &a->lifetime))
			return usage_error("--cert-lifetime wants 1..86400 seconds, not '%s'",
			                   optarg);
		else if (c == 'v' && parse_level(optarg, &a->level))
			return usage_error("--log-level wants error, warn, info or debug, not '%s'",
			                   optarg);
		else if (c == 'h')
			return fputs(usage_text, stdout), 1;
		else if (c == ':')
			return usage_error("%s needs a value", argv[optind - 1]);
		else if (c == '?')
			return usage_error("unknown option '%s'", argv[optind - 1]);
	}
	if (optind != argc)
		return usage_error("unexpected argument '%s'", argv[optind]);
	return check_args(a);
}

/* Make DIR 0700 if missing; refuse one that is not ours alone; lock it. */
static int open_data_dir(const char *dir, int *lock_fd)
{
	char path[4096];
	struct stat sb;
	int n;

	if (mkdir(dir, 0700) != 0 && errno != EEXIST) {
		cu_error("cannot make the data directory %s: %s", dir, strerror(errno));
		return CU_EIO;
	}
	if (stat(dir, &sb) != 0 || !S_ISDIR(sb.st_mode)) {
		cu_error("the data directory %s is not a directory", dir);
		return CU_EIO;
	}
	if (sb.st_uid != geteuid() || (sb.st_mode & 077)) {
		cu_error("the data directory %s must belong to uid %lu with mode 0700 (it has uid "
		         "%lu, mode %04o)",
		         dir, (unsigned long)geteuid(), (unsigned long)sb.st_uid,
		         (unsigned)(sb.st_mode & 07777));
		return CU_EPERM;
	}
	n = snprintf(path, sizeof(path), "%s/%s", dir, LOCK_NAME);
	if (n < 0 || (size_t)n >= sizeof(path) ||
	    (*lock_fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600)) < 0) {
		cu_error("cannot open %s/%s", dir, LOCK_NAME);
		return CU_EIO;
	}
	if (flock(*lock_fd, LOCK_EX | LOCK_NB) != 0) {
		cu_error("another custosd uses the data directory %s", dir);
		return CU_EEXISTS;
	}
	return 0;
}

static int open_tee(const struct args *a, struct custosd *d)
{
	struct tee_options o = {.sim_socket = a->simtee, .timeout_ms = CUSTOSD_TEE_TIMEOUT_MS};
	int rc = tee_open(a->tee, &o, &d->tee);

	if (rc == CU_ENOTFOUND && !strcmp(a->tee, "sim")) {
		cu_error("--tee sim needs --simtee SOCKET or $%s", TEE_SIM_SOCKET_ENV);
		return rc;
	}
	if (rc) {
		cu_error("cannot open the %s TEE: %s", a->tee, cu_strerror(rc));
		return rc;
	}
	if (strcmp(a->tee, "sim")) {
		snprintf(d->tee_name, sizeof(d->tee_name), "the %s TEE", a->tee);
		return 0;
	}
	snprintf(d->tee_name, sizeof(d->tee_name), "custos-simtee at %s",
	         a->simtee ? a->simtee : getenv(TEE_SIM_SOCKET_ENV));
	cu_warn("simulated TEE: this platform's attestation is INSECURE (tests only)");
	return 0;
}

/* The manifest that peers of worker links must match: control's for a worker, workers' else. */
static int load_peers(const struct args *a, struct custosd *d)
{
	const struct custosd_peers *p = &a->peers;
	const char *role = a->role == CUSTOSD_WORKER ? "control" : "worker";
	struct cl_trust_config cfg = {
	    .manifest = p->manifest,
	    .signatures = p->signatures,
	    .nsignatures = p->nsignatures,
	    .auditors = p->auditors,
	    .nauditors = p->nauditors,
	    .threshold = p->threshold ? p->threshold : p->nauditors,
	    .role = role,
	    .allow_simulation = p->allow_simulation,
	};
	char msg[CL_TRUST_MSG_MAX];
	int rc;

	if (!p->manifest)
		return 0;
	if ((rc = cl_trust_load(&cfg, &d->peer_trust, msg, sizeof(msg))))
		cu_error("the manifest for the %s role: %s", role, msg);
	return rc;
}

static void on_signal(evutil_socket_t sig, short what, void *arg)
{
	struct custosd *d = arg;

	(void)what;
	cu_info("stopping (signal %d)", (int)sig);
	event_base_loopbreak(d->base);
}

/*
 * libevent's own messages go to our log. Its warnings (a failed bind, a
 * failed accept) are debug: custosd reports what they lead to itself.
 */
static void on_libevent_log(int severity, const char *msg)
{
	cu_log(severity >= EVENT_LOG_ERR ? CU_LOG_WARN : CU_LOG_DEBUG, "libevent: %s", msg);
}

static int serve(const struct args *a, struct custosd *d, struct event **sigs)
{
	char bound[RPC_ADDR_LEN];
	int rc, err;

	if (evthread_use_pthreads() || !(d->base = event_base_new()) ||
	    !(sigs[0] = evsignal_new(d->base, SIGTERM, on_signal, d)) ||
	    !(sigs[1] = evsignal_new(d->base, SIGINT, on_signal, d)) || event_add(sigs[0], NULL) ||
	    event_add(sigs[1], NULL)) {
		cu_error("cannot set up the event loop");
		return CU_ENOMEM;
	}
	if ((rc = rpc_server_new(d->base, d->cur.ctx, NULL, &d->server))) {
		cu_error("cannot make the server: %s", cu_strerror(rc));
		return rc;
	}
	/* The workers' listener first: the platform wakes it from its worker thread. */
	if ((rc = custosd_api_routes(d)) ||
	    (a->worker_listen && (rc = custosd_workers_start(d, &a->peers, a->worker_listen))) ||
	    (rc = custosd_platform_serve(d)))
		return rc;
	errno = 0;
	if ((rc = rpc_server_listen(d->server, a->listen, bound, sizeof(bound)))) {
		err = errno;
		if (rc == CU_EINVAL)
			cu_error("--listen wants HOST:PORT or [IPV6]:PORT, not '%s'", a->listen);
		else
			cu_error("cannot listen on %s: %s", a->listen,
			         err ? strerror(err) : cu_strerror(rc));
		return rc;
	}
	if ((rc = custosd_identity_schedule(d))) {
		cu_error("cannot arm the renewal timer");
		return rc;
	}
	cu_info("listening on %s", bound);
	if (event_base_dispatch(d->base) < 0) {
		cu_error("the event loop failed");
		return CU_EIO;
	}
	return 0;
}

/*
 * OpenBLAS (the ONNX engine's products) chooses its kernels and starts a
 * pool of threads when it loads, and starts the pool again in each forked
 * task sandbox, where no thread may start: it must see
 * OPENBLAS_NUM_THREADS=1 (and its best kernels, onnx_blas_env) before it
 * loads, so the daemon runs itself again with them. Returns only when
 * nothing was to change, or it cannot be done.
 */
static void blas_env(char **argv)
{
	int rc = onnx_blas_env(1);

	if (rc == 1)
		execv("/proc/self/exe", argv);
	if (rc)
		fprintf(stderr, "custosd: cannot set OpenBLAS's environment: %s\n",
		        strerror(errno));
}

int main(int argc, char **argv)
{
	struct args a = {.lifetime = CUSTOSD_LIFETIME_DEFAULT, .level = CU_LOG_INFO};
	struct custosd d;
	struct event *sigs[2] = {NULL, NULL};
	int rc, lock_fd = -1;

	blas_env(argv);
	memset(&d, 0, sizeof(d));
	if ((rc = parse_args(argc, argv, &a)))
		return rc == 1 ? 0 : rc;
	cu_log_init("custosd", a.level);
	event_set_log_callback(on_libevent_log);
	/* rpc.h: a peer that has gone must not kill the daemon. */
	signal(SIGPIPE, SIG_IGN);
	d.lifetime = a.lifetime;
	d.role = a.role;
	/*
	 * Tasks' children are forked by a spawner started now, while this
	 * process has one thread and holds no secret (sandbox.h).
	 */
	if (a.role != CUSTOSD_CONTROL && (rc = sb_spawner_start()) != 0) {
		cu_error("the sandbox's spawner did not start: %s", cu_strerror(rc));
		return 1;
	}
	rc = open_data_dir(a.data_dir, &lock_fd);
	if (!rc)
		rc = open_tee(&a, &d);
	if (!rc)
		rc = load_peers(&a, &d);
	if (!rc)
		rc = custosd_identity_start(&d);
	if (!rc && a.role == CUSTOSD_WORKER)
		rc = custosd_worker_run(&d, &a.peers, a.control, a.name);
	else if (!rc && !(rc = custosd_platform_start(&d, a.data_dir, a.admin_pw)))
		rc = serve(&a, &d, sigs);
	custosd_platform_stop(&d);
	custosd_workers_stop(&d);
	rpc_server_free(d.server);
	custosd_identity_stop(&d);
	for (size_t i = 0; i < 2; i++)
		if (sigs[i])
			event_free(sigs[i]);
	if (d.base)
		event_base_free(d.base);
	tee_free(d.tee);
	cl_trust_free(d.peer_trust);
	if (lock_fd >= 0)
		close(lock_fd);
	sb_spawner_stop();
	if (!rc)
		cu_info("stopped");
	return rc ? 1 : 0;
}
