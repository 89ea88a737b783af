/*
 * platform-load - N concurrent clients of libcustos, each on its own
 * attested connection, each making M calls; any error fails the run.
 *
 *   platform-load URL MANIFEST SIG1,SIG2 AUD1,AUD2 K USER PASSWORD_FILE FUNCTION N M
 *
 * USER logs in once per client. The calls cycle through a read of the
 * function, a task created on it (a write, audited), a read of that task
 * and a read of the user, so that readers and writers of the store run at
 * once. Prints "N clients x M calls: T s, R calls/s, 0 errors".
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "custos/custos.h"

#define MAX_LIST 8

struct load {
	struct custos_trust t;
	const char *user, *function;
	char password[256];
	int calls;
	pthread_mutex_t mu;
	int errors;
	char first_error[CUSTOS_ERROR_MAX + 64];
};

static void record_error(struct load *l, int id, const char *what, struct custos_client *c)
{
	pthread_mutex_lock(&l->mu);
	if (!l->errors++)
		snprintf(l->first_error, sizeof(l->first_error), "client %d: %s: %s", id, what,
		         c ? custos_last_error(c) : "out of memory");
	pthread_mutex_unlock(&l->mu);
}

struct worker {
	struct load *l;
	int id;
	pthread_t th;
};

static void *client_main(void *arg)
{
	struct worker *w = arg;
	struct load *l = w->l;
	struct custos_client *c = custos_client_new();
	const struct custos_task_arg targ = {"message", "load"};
	const struct custos_task_spec spec = {.function = l->function, .args = &targ, .nargs = 1};
	char task[CUSTOS_ID_MAX] = "", *json = NULL;
	int rc = 0;

	if (!c || custos_connect(c, &l->t) || custos_login(c, l->user, l->password)) {
		record_error(l, w->id, "connect and log in", c);
		custos_client_free(c);
		return NULL;
	}
	for (int i = 0; i < l->calls; i++) {
		const char *what;

		switch (i % 4) {
		case 0:
			what = "function get";
			rc = custos_function_get(c, l->function, &json);
			break;
		case 1:
			what = "task create";
			rc = custos_task_create(c, &spec, task);
			break;
		case 2:
			what = "task get";
			rc = task[0] ? custos_task_get(c, task, 0, &json)
			             : custos_function_get(c, l->function, &json);
			break;
		default:
			what = "user get";
			rc = custos_user_get(c, l->user, &json);
			break;
		}
		custos_free(json);
		json = NULL;
		if (rc)
			record_error(l, w->id, what, c);
	}
	custos_client_free(c);
	return NULL;
}

/* Split "a,b" into at most MAX_LIST pointers into s. */
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
	struct load l;
	struct worker *ws;
	struct timespec t0, t1;
	FILE *f;
	int n;
	double secs;

	if (argc != 11) {
		fprintf(stderr, "usage: platform-load URL MANIFEST SIGS AUDITORS K USER PWFILE "
		                "FUNCTION N M\n");
		return 2;
	}
	memset(&l, 0, sizeof(l));
	pthread_mutex_init(&l.mu, NULL);
	l.t.url = argv[1];
	l.t.manifest = argv[2];
	l.t.signatures = sigs;
	l.t.nsignatures = split(argv[3], sigs);
	l.t.auditors = auds;
	l.t.nauditors = split(argv[4], auds);
	l.t.threshold = (unsigned)atoi(argv[5]);
	l.t.allow_simulation = 1;
	l.user = argv[6];
	if (!(f = fopen(argv[7], "r")) || !fgets(l.password, sizeof(l.password), f)) {
		fprintf(stderr, "platform-load: cannot read %s\n", argv[7]);
		return 2;
	}
	fclose(f);
	l.password[strcspn(l.password, "\r\n")] = '\0';
	l.function = argv[8];
	n = atoi(argv[9]);
	l.calls = atoi(argv[10]);
	if (n < 1 || n > 1024 || l.calls < 1 || !(ws = calloc((size_t)n, sizeof(*ws)))) {
		fprintf(stderr, "platform-load: N wants 1..1024 and M at least 1\n");
		return 2;
	}
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (int i = 0; i < n; i++) {
		ws[i].l = &l;
		ws[i].id = i;
		if (pthread_create(&ws[i].th, NULL, client_main, &ws[i])) {
			fprintf(stderr, "platform-load: cannot start a thread\n");
			return 2;
		}
	}
	for (int i = 0; i < n; i++)
		pthread_join(ws[i].th, NULL);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	secs = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
	printf("%d clients x %d calls: %.2f s, %.0f calls/s, %d errors\n", n, l.calls, secs,
	       (double)n * l.calls / secs, l.errors);
	if (l.errors)
		fprintf(stderr, "platform-load: %d errors; the first: %s\n", l.errors,
		        l.first_error);
	free(ws);
	return l.errors ? 1 : 0;
}
