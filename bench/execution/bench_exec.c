/*
 * bench_exec - a task's run on the platform against the same builtin run
 * outside it, in one process and one run:
 *
 *   echo: invoke -> finished latency of a task whose only input is a small
 *         encrypted file (fetched, checked, decrypted, then the sandbox), and
 *         tasks per second with TASKS invoked back to back; the peer is the
 *         builtin called directly in this process.
 *   pjc:  private-join-and-compute over three parties' inputs (about 100 MB
 *         together): invoke -> finished on the platform (fetch, SHA-256 and
 *         decryption of each input, the sandbox, three outputs encrypted and
 *         written); the peer is the builtin on the same plaintext in this
 *         process.
 *
 *   bench_exec URL MANIFEST SIG AUDITOR USER PWFILE ECHO_FN ECHO_FILE
 *              PJC_FN IN0,IN1,IN2 OUT0,OUT1,OUT2 PLAIN0,PLAIN1,PLAIN2 TASKS
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/file.h"
#include "custos/custos.h"
#include "functions/functions.h"

static struct custos_client *c;
static const char *user;

static double now(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static void die(const char *what)
{
	fprintf(stderr, "bench_exec: %s: %s\n", what, custos_last_error(c));
	exit(1);
}

static int cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static double median(double *v, int n)
{
	qsort(v, (size_t)n, sizeof(*v), cmp);
	return v[n / 2];
}

/* Create, assign, approve a task; its id. */
static void make_task(const char *fn, const struct custos_task_slot *ins, size_t nin,
                      const struct custos_task_file *fin, const struct custos_task_slot *outs,
                      size_t nout, const struct custos_task_file *fout,
                      const struct custos_task_arg *args, size_t nargs, char *id)
{
	const struct custos_task_spec spec = {fn, args, nargs, ins, nin, outs, nout};

	if (custos_task_create(c, &spec, id))
		die("task create");
	if (custos_task_assign(c, id, fin, nin, fout, nout, NULL))
		die("task assign");
	if (custos_task_approve(c, id, NULL, NULL))
		die("task approve");
}

/* invoke -> finished, seconds. */
static double run(const char *id)
{
	char *json = NULL;
	double t0 = now(), t1;

	if (custos_task_invoke(c, id, NULL))
		die("task invoke");
	if (custos_task_wait(c, id, 600, &json))
		die("task wait");
	t1 = now();
	if (!strstr(json, "\"finished\"")) {
		fprintf(stderr, "bench_exec: the task did not finish: %.400s\n", json);
		exit(1);
	}
	custos_free(json);
	return t1 - t0;
}

static size_t split(char *s, const char **out, size_t max)
{
	size_t n = 0;

	for (char *t = strtok(s, ","); t && n < max; t = strtok(NULL, ","))
		out[n++] = t;
	return n;
}

int main(int argc, char **argv)
{
	const char *sig[1], *aud[1], *in[3], *out[3], *plain[3];
	struct custos_trust t = {0};
	char pw[256], id[CUSTOS_ID_MAX];
	const char *own[1];
	int ntasks;
	FILE *f;

	if (argc != 14) {
		fprintf(stderr, "usage: bench_exec URL MANIFEST SIG AUDITOR USER PWFILE ECHO_FN "
		                "ECHO_FILE PJC_FN INS OUTS PLAINS TASKS\n");
		return 2;
	}
	sig[0] = argv[3];
	aud[0] = argv[4];
	t = (struct custos_trust){.url = argv[1],
	                          .manifest = argv[2],
	                          .signatures = sig,
	                          .nsignatures = 1,
	                          .auditors = aud,
	                          .nauditors = 1,
	                          .threshold = 1,
	                          .allow_simulation = 1};
	user = argv[5];
	own[0] = user;
	if (!(f = fopen(argv[6], "r")) || !fgets(pw, sizeof(pw), f))
		return fprintf(stderr, "bench_exec: cannot read %s\n", argv[6]), 2;
	fclose(f);
	pw[strcspn(pw, "\r\n")] = '\0';
	if (split(argv[10], in, 3) != 3 || split(argv[11], out, 3) != 3 ||
	    split(argv[12], plain, 3) != 3 || (ntasks = atoi(argv[13])) < 1)
		return fprintf(stderr, "bench_exec: bad arguments\n"), 2;
	if (!(c = custos_client_new()) || custos_connect(c, &t) || custos_login(c, user, pw))
		die("connect and log in");

	/* ---- echo ---- */
	{
		const struct custos_task_slot slot = {"a", own, 1};
		const struct custos_task_file file = {"a", argv[8]};
		const struct custos_task_arg arg = {"message", "bench"};
		double *lat = calloc((size_t)ntasks, sizeof(double)), t0, total, direct;
		char(*ids)[CUSTOS_ID_MAX] = calloc((size_t)ntasks, CUSTOS_ID_MAX);
		const struct fn_builtin *b = fn_find("echo");
		struct fn_arg farg = {"message", "bench"};
		int reps = 200000;

		if (!lat || !ids || !b)
			return 1;
		for (int i = 0; i < ntasks; i++) {
			make_task(argv[7], &slot, 1, &file, NULL, 0, NULL, &arg, 1, id);
			lat[i] = run(id);
		}
		/* throughput: every task prepared first, then invoked back to back */
		for (int i = 0; i < ntasks; i++)
			make_task(argv[7], &slot, 1, &file, NULL, 0, NULL, &arg, 1, ids[i]);
		t0 = now();
		for (int i = 0; i < ntasks; i++)
			if (custos_task_invoke(c, ids[i], NULL))
				die("task invoke");
		for (int i = 0; i < ntasks; i++) {
			char *json = NULL;

			if (custos_task_wait(c, ids[i], 600, &json) ||
			    !strstr(json, "\"finished\""))
				die("task wait");
			custos_free(json);
		}
		total = now() - t0;
		t0 = now();
		for (int i = 0; i < reps; i++) {
			struct fn_ctx ctx = {.args = &farg, .nargs = 1};

			if (b->run(&ctx))
				return 1;
		}
		direct = (now() - t0) / reps;
		printf("%-28s %12s %12s %10s\n", "", "platform", "direct", "ratio");
		printf("%-28s %10.0f us %10.3f us %9.0fx\n", "echo invoke->finished p50",
		       median(lat, ntasks) * 1e6, direct * 1e6, median(lat, ntasks) / direct);
		printf("%-28s %12.1f %12.0f\n", "echo tasks/s (back to back)", ntasks / total,
		       1 / direct);
		printf("echo_latency_us %.0f\necho_tasks_per_s %.1f\necho_direct_us %.3f\n",
		       median(lat, ntasks) * 1e6, ntasks / total, direct * 1e6);
		free(lat);
		free(ids);
	}

	/* ---- private-join-and-compute over ~100 MB ---- */
	{
		const char *names_in[3] = {"input_data0", "input_data1", "input_data2"};
		const char *names_out[3] = {"output_data0", "output_data1", "output_data2"};
		struct custos_task_slot ins[3], outs[3];
		struct custos_task_file fin[3], fout[3];
		const struct custos_task_arg arg = {"num_user", "3"};
		const struct fn_builtin *b = fn_find("private-join-and-compute");
		struct fn_input pin[3];
		struct fn_output pout[3];
		uint8_t *data[3];
		size_t len[3], total = 0;
		double plat, t0, direct;
		struct fn_ctx ctx;

		for (int i = 0; i < 3; i++) {
			ins[i] = (struct custos_task_slot){names_in[i], own, 1};
			outs[i] = (struct custos_task_slot){names_out[i], own, 1};
			fin[i] = (struct custos_task_file){names_in[i], in[i]};
			fout[i] = (struct custos_task_file){names_out[i], out[i]};
			if (cu_file_read(plain[i], 1ull << 30, &data[i], &len[i]))
				return fprintf(stderr, "bench_exec: cannot read %s\n", plain[i]), 1;
			total += len[i];
			pin[i] = (struct fn_input){names_in[i], data[i], len[i]};
			pout[i] = (struct fn_output){.name = names_out[i], .max = 1ull << 30};
		}
		make_task(argv[9], ins, 3, fin, outs, 3, fout, &arg, 1, id);
		plat = run(id);
		memset(&ctx, 0, sizeof(ctx));
		ctx.inputs = pin;
		ctx.ninputs = 3;
		ctx.outputs = pout;
		ctx.noutputs = 3;
		t0 = now();
		if (!b || b->run(&ctx))
			return fprintf(stderr, "bench_exec: direct pjc: %s\n", ctx.reason), 1;
		direct = now() - t0;
		printf("%-28s %10.2f s  %10.2f s  %9.2fx  (%.0f MB of input, %s)\n",
		       "pjc invoke->finished", plat, direct, plat / direct, total / 1e6,
		       ctx.result);
		printf(
		    "pjc_platform_s %.3f\npjc_direct_s %.3f\npjc_ratio %.2f\npjc_input_mb %.0f\n",
		    plat, direct, plat / direct, total / 1e6);
		for (int i = 0; i < 3; i++) {
			free(data[i]);
			free(pout[i].data);
		}
	}
	custos_client_free(c);
	return 0;
}
