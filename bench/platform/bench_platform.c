/*
 * bench_platform - the control plane's API against one bare RPC round trip,
 * in one run, over one attested keep-alive connection of libcustos:
 *
 *   health  GET /v1/health: TLS, HTTP and JSON, nothing else (the peer)
 *   read    GET /v1/functions/ID: token check, a sealed record read
 *   write   POST /v1/tasks: token check, reads, a sealed write, an audit append
 *   task    a whole echo task: create, assign, approve (get + approve),
 *           invoke, then a long poll that returns when the worker finished it
 *
 * The first three run in interleaved rounds of SECS seconds; the task runs
 * TASKS times after them. Prints a table and "name value" lines.
 *
 *   bench_platform URL MANIFEST SIGS AUDITORS K USER PWFILE FUNCTION FILE SECS ROUNDS TASKS
 *
 * FUNCTION is an echo function with one input "a"; FILE an input of USER.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "custos/custos.h"

#define MAX_LIST  8
#define MAX_SAMPL 2000000

enum { V_HEALTH, V_READ, V_WRITE, V_N };
static const char *const vname[V_N] = {"health", "read", "write"};

struct tally {
	long calls;
	double secs;
	double *lat;
	size_t nlat;
};

static struct custos_client *c;
static const char *function, *file, *user;

static double now(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static void die(const char *what)
{
	fprintf(stderr, "bench_platform: %s: %s\n", what, custos_last_error(c));
	exit(1);
}

static int one(int v)
{
	static const struct custos_task_arg arg = {"message", "bench"};
	const char *own[1] = {user};
	const struct custos_task_slot slot = {"a", own, 1};
	const struct custos_task_spec spec = {function, &arg, 1, &slot, 1, NULL, 0};
	char id[CUSTOS_ID_MAX], *json = NULL;
	int rc;

	switch (v) {
	case V_HEALTH:
		rc = custos_health(c, &json);
		break;
	case V_READ:
		rc = custos_function_get(c, function, &json);
		break;
	default:
		rc = custos_task_create(c, &spec, id);
		break;
	}
	custos_free(json);
	return rc;
}

static void push(struct tally *t, double dt)
{
	if (t->nlat < MAX_SAMPL)
		t->lat[t->nlat++] = dt;
}

static void round_of(int v, double secs, struct tally *t)
{
	double t0 = now(), end = t0 + secs, a, b = t0;

	do {
		a = b;
		if (one(v))
			die(vname[v]);
		b = now();
		push(t, b - a);
		t->calls++;
	} while (b < end);
	t->secs += b - t0;
}

static int cmp(const void *x, const void *y)
{
	double a = *(const double *)x, b = *(const double *)y;

	return a < b ? -1 : a > b;
}

static double quantile(double *v, size_t n, double q)
{
	qsort(v, n, sizeof(*v), cmp);
	return n ? v[(size_t)(q * (double)(n - 1))] : 0;
}

/* One whole echo task; its latency in seconds. */
static double task_once(void)
{
	const char *own[1] = {user};
	const struct custos_task_slot slot = {"a", own, 1};
	const struct custos_task_arg arg = {"message", "bench"};
	const struct custos_task_spec spec = {function, &arg, 1, &slot, 1, NULL, 0};
	const struct custos_task_file in = {"a", file};
	char id[CUSTOS_ID_MAX], *json = NULL;
	double t0 = now(), t1;

	if (custos_task_create(c, &spec, id))
		die("task create");
	if (custos_task_assign(c, id, &in, 1, NULL, 0, NULL))
		die("task assign");
	if (custos_task_approve(c, id, NULL, NULL))
		die("task approve");
	if (custos_task_invoke(c, id, NULL))
		die("task invoke");
	if (custos_task_wait(c, id, 30, &json))
		die("task wait");
	t1 = now();
	if (!strstr(json, "\"finished\"")) {
		fprintf(stderr, "bench_platform: the task did not finish: %s\n", json);
		exit(1);
	}
	custos_free(json);
	return t1 - t0;
}

static size_t split(char *s, const char **out)
{
	size_t n = 0;

	for (char *tok = strtok(s, ","); tok && n < MAX_LIST; tok = strtok(NULL, ","))
		out[n++] = tok;
	return n;
}

int main(int argc, char **argv)
{
	static const char *sigs[MAX_LIST], *auds[MAX_LIST];
	struct custos_trust t = {0};
	struct tally tl[V_N];
	char pw[256];
	double secs, *tasks, p50[V_N], task50, task99;
	int rounds, ntasks;
	FILE *f;

	if (argc != 13) {
		fprintf(stderr, "usage: bench_platform URL MANIFEST SIGS AUDITORS K USER PWFILE "
		                "FUNCTION FILE SECS ROUNDS TASKS\n");
		return 2;
	}
	t.url = argv[1];
	t.manifest = argv[2];
	t.signatures = sigs;
	t.nsignatures = split(argv[3], sigs);
	t.auditors = auds;
	t.nauditors = split(argv[4], auds);
	t.threshold = (unsigned)atoi(argv[5]);
	t.allow_simulation = 1;
	user = argv[6];
	if (!(f = fopen(argv[7], "r")) || !fgets(pw, sizeof(pw), f))
		return fprintf(stderr, "bench_platform: cannot read %s\n", argv[7]), 2;
	fclose(f);
	pw[strcspn(pw, "\r\n")] = '\0';
	function = argv[8];
	file = argv[9];
	secs = atof(argv[10]);
	rounds = atoi(argv[11]);
	ntasks = atoi(argv[12]);
	if (secs <= 0 || rounds < 1 || ntasks < 1)
		return fprintf(stderr, "bench_platform: SECS, ROUNDS and TASKS must be positive\n"),
		       2;
	if (!(c = custos_client_new()))
		return 1;
	if (custos_connect(c, &t))
		die("connect");
	if (custos_login(c, user, pw))
		die("login");
	memset(tl, 0, sizeof(tl));
	for (int v = 0; v < V_N; v++)
		if (!(tl[v].lat = malloc(MAX_SAMPL * sizeof(double))))
			return 1;
	for (int v = 0; v < V_N; v++) /* warm up */
		round_of(v, 0.2, &(struct tally){.lat = tl[v].lat});
	for (int r = 0; r < rounds; r++)
		for (int v = 0; v < V_N; v++)
			round_of(v, secs, &tl[v]);
	if (!(tasks = malloc((size_t)ntasks * sizeof(double))))
		return 1;
	for (int i = 0; i < ntasks; i++)
		tasks[i] = task_once();
	task50 = quantile(tasks, (size_t)ntasks, 0.5);
	task99 = quantile(tasks, (size_t)ntasks, 0.99);

	printf("%-8s %12s %10s %10s %14s\n", "call", "calls/s", "p50 us", "p99 us", "vs health");
	for (int v = 0; v < V_N; v++) {
		double rate = (double)tl[v].calls / tl[v].secs;
		double base = (double)tl[V_HEALTH].calls / tl[V_HEALTH].secs;

		p50[v] = quantile(tl[v].lat, tl[v].nlat, 0.5);
		printf("%-8s %12.0f %10.0f %10.0f %13.3fx\n", vname[v], rate, p50[v] * 1e6,
		       quantile(tl[v].lat, tl[v].nlat, 0.99) * 1e6, rate / base);
	}
	printf("%-8s %12s %10.0f %10.0f %13.1fx  (latency, %d tasks)\n", "task", "-", task50 * 1e6,
	       task99 * 1e6, task50 / p50[V_HEALTH], ntasks);
	printf("\n");
	for (int v = 0; v < V_N; v++)
		printf("%s_calls_per_s %.0f\n", vname[v], (double)tl[v].calls / tl[v].secs);
	printf("read_vs_health %.3f\n", ((double)tl[V_READ].calls / tl[V_READ].secs) /
	                                    ((double)tl[V_HEALTH].calls / tl[V_HEALTH].secs));
	printf("write_vs_health %.3f\n", ((double)tl[V_WRITE].calls / tl[V_WRITE].secs) /
	                                     ((double)tl[V_HEALTH].calls / tl[V_HEALTH].secs));
	printf("task_p50_us %.0f\n", task50 * 1e6);
	printf("task_vs_health_rtt %.1f\n", task50 / p50[V_HEALTH]);
	for (int v = 0; v < V_N; v++)
		free(tl[v].lat);
	free(tasks);
	custos_client_free(c);
	return 0;
}
