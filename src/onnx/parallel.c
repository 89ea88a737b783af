/*
 * parallel.c - the session's worker threads and a fork-join over a range.
 *
 * A session with threads > 1 starts threads - 1 workers once. ox_parallel_for()
 * hands each worker an equal slice, runs slice 0 on the caller's thread and
 * waits for the rest. A model's steps come one after another, microseconds
 * apart: a worker that finished spins a while (OX_SPIN pauses: 0.4 ms on
 * the AMD Zen 5 of the benchmarks, longer on CPUs with a slower pause)
 * watching for the next job before it sleeps on a condition
 * variable, and the caller spins the same while before it sleeps waiting for
 * the workers: a hand-off then costs no system call. With no pool
 * (threads == 1, or folding constants at plan time) the whole range runs on
 * the caller's thread and no thread exists.
 */
#include <pthread.h>
#include <stdlib.h>

#include "common/err.h"
#include "onnx/internal.h"

#define OX_SPIN 20000

struct ox_pool {
	unsigned n; /* threads, the caller included */
	pthread_mutex_t mu;
	pthread_cond_t work, done;
	uint64_t gen;     /* bumped for every job (atomic; written under mu) */
	unsigned pending; /* workers still running the job (atomic) */
	bool stop;        /* atomic; written under mu */
	ox_range_fn fn;
	void *ctx;
	uint64_t items;
	pthread_t tid[OX_MAX_THREADS];
	unsigned started;
};

struct ox_worker_arg {
	struct ox_pool *p;
	unsigned slice;
};

static inline void cpu_relax(void)
{
#if defined(__x86_64__) || defined(__i386__)
	__builtin_ia32_pause();
#endif
}

static void run_slice(struct ox_pool *p, ox_range_fn fn, void *ctx, uint64_t items, unsigned s)
{
	uint64_t b = items * s / p->n, e = items * (s + 1) / p->n;

	if (b < e)
		fn(ctx, b, e, s);
}

/* Whether a job newer than seen (or the stop) came within the spin. */
static bool spin_for_job(struct ox_pool *p, uint64_t seen)
{
	for (int i = 0; i < OX_SPIN; i++) {
		if (__atomic_load_n(&p->gen, __ATOMIC_ACQUIRE) != seen ||
		    __atomic_load_n(&p->stop, __ATOMIC_ACQUIRE))
			return true;
		cpu_relax();
	}
	return false;
}

static void *worker_main(void *arg)
{
	struct ox_pool *p = ((struct ox_worker_arg *)arg)->p;
	unsigned slice = ((struct ox_worker_arg *)arg)->slice;
	uint64_t seen = 0;

	free(arg);
	for (;;) {
		if (!spin_for_job(p, seen)) {
			pthread_mutex_lock(&p->mu);
			while (p->gen == seen && !p->stop)
				pthread_cond_wait(&p->work, &p->mu);
			pthread_mutex_unlock(&p->mu);
		}
		if (__atomic_load_n(&p->stop, __ATOMIC_ACQUIRE))
			break;
		/* fn, ctx and items were written before gen was bumped (release) */
		seen = __atomic_load_n(&p->gen, __ATOMIC_ACQUIRE);
		run_slice(p, p->fn, p->ctx, p->items, slice);
		if (__atomic_sub_fetch(&p->pending, 1, __ATOMIC_ACQ_REL) == 0) {
			pthread_mutex_lock(&p->mu);
			pthread_cond_signal(&p->done);
			pthread_mutex_unlock(&p->mu);
		}
	}
	return NULL;
}

int ox_pool_new(unsigned threads, struct ox_pool **out)
{
	struct ox_pool *p;

	*out = NULL;
	if (threads <= 1)
		return 0;
	if (threads > OX_MAX_THREADS)
		return CU_EINVAL;
	if ((p = calloc(1, sizeof(*p))) == NULL)
		return CU_ENOMEM;
	p->n = threads;
	pthread_mutex_init(&p->mu, NULL);
	pthread_cond_init(&p->work, NULL);
	pthread_cond_init(&p->done, NULL);
	for (unsigned t = 1; t < threads; t++) {
		struct ox_worker_arg *a = malloc(sizeof(*a));
		if (a != NULL) {
			a->p = p;
			a->slice = t;
			if (pthread_create(&p->tid[p->started], NULL, worker_main, a) == 0) {
				p->started++;
				continue;
			}
		}
		free(a);
		ox_pool_free(p);
		return CU_ENOMEM;
	}
	*out = p;
	return 0;
}

void ox_pool_free(struct ox_pool *p)
{
	if (p == NULL)
		return;
	pthread_mutex_lock(&p->mu);
	__atomic_store_n(&p->stop, true, __ATOMIC_RELEASE);
	pthread_cond_broadcast(&p->work);
	pthread_mutex_unlock(&p->mu);
	for (unsigned t = 0; t < p->started; t++)
		pthread_join(p->tid[t], NULL);
	pthread_cond_destroy(&p->work);
	pthread_cond_destroy(&p->done);
	pthread_mutex_destroy(&p->mu);
	free(p);
}

unsigned ox_pool_threads(const struct ox_pool *p)
{
	return p != NULL ? p->n : 1;
}

void ox_parallel_for(struct ox_pool *p, uint64_t n, ox_range_fn fn, void *ctx)
{
	if (p == NULL || n < 2) {
		fn(ctx, 0, n, 0);
		return;
	}
	/* No worker is inside a job here: the previous call waited for all of them. */
	p->fn = fn;
	p->ctx = ctx;
	p->items = n;
	__atomic_store_n(&p->pending, p->started, __ATOMIC_RELAXED);
	pthread_mutex_lock(&p->mu);
	__atomic_add_fetch(&p->gen, 1, __ATOMIC_RELEASE);
	pthread_cond_broadcast(&p->work);
	pthread_mutex_unlock(&p->mu);
	run_slice(p, fn, ctx, n, 0);
	for (int i = 0; i < OX_SPIN && __atomic_load_n(&p->pending, __ATOMIC_ACQUIRE) > 0; i++)
		cpu_relax();
	if (__atomic_load_n(&p->pending, __ATOMIC_ACQUIRE) == 0)
		return;
	pthread_mutex_lock(&p->mu);
	while (__atomic_load_n(&p->pending, __ATOMIC_ACQUIRE) > 0)
		pthread_cond_wait(&p->done, &p->mu);
	pthread_mutex_unlock(&p->mu);
}
