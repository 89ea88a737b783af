/* A bounded ring of buffers between the calling thread and one helper thread. */
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/err.h"
#include "common/mem.h"
#include "efile/pipeline.h"

enum pl_role { PL_NONE, PL_READER, PL_HASHER };

struct ef_pl {
	pthread_mutex_t mu;
	pthread_cond_t cv;
	struct ef_pl_slot slot[EF_PL_SLOTS];
	size_t size;
	int nslots; /* 2..EF_PL_SLOTS in use */
	int secret;
	uint64_t filled; /* slots handed on by the producer, ever */
	uint64_t taken;  /* slots given back by the consumer, ever */
	int stop;        /* the calling thread gives up: helper, return now */
	int closing;     /* producer is done: hasher, drain then return */
	enum pl_role role;
	pthread_t thread;
	struct ef_pl_input in; /* reader */
	struct cr_hash *hash;  /* hasher */
	int hash_rc;
};

static int pl_stopped(struct ef_pl *p)
{
	int s;

	pthread_mutex_lock(&p->mu);
	s = p->stop;
	pthread_mutex_unlock(&p->mu);
	return s;
}

void ef_pl_input_init(struct ef_pl_input *in, int fd)
{
	struct stat st;

	in->fd = fd;
	/* Regular files and block devices never block for long; anything else may
	 * wait on another process, so a reader thread must be able to give up. */
	in->pollable = fstat(fd, &st) != 0 || !(S_ISREG(st.st_mode) || S_ISBLK(st.st_mode));
	in->have_peek = 0;
	in->peek = 0;
	in->cancel = NULL;
}

/* Wait until fd is readable (or at its end, or failed): 0, or CU_ESTATE once the ring stops. */
static int wait_readable(struct ef_pl_input *in)
{
	struct pollfd pfd = {in->fd, POLLIN, 0};

	for (;;) {
		if (in->cancel && pl_stopped(in->cancel))
			return CU_ESTATE;
		int r = poll(&pfd, 1, in->cancel ? EF_PL_POLL_MS : -1);
		if (r > 0 || (r < 0 && errno != EINTR))
			return 0; /* read() tells what happened */
	}
}

/* read(2) until n bytes or the end of input: CU_EIO on failure. */
static int read_full(struct ef_pl_input *in, uint8_t *buf, size_t n, size_t *got)
{
	size_t done = 0;
	int rc;

	while (done < n) {
		if (in->pollable && in->cancel && (rc = wait_readable(in)))
			return rc;
		ssize_t r = read(in->fd, buf + done, n - done);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return CU_EIO;
		if (r == 0)
			break;
		done += (size_t)r;
	}
	*got = done;
	return 0;
}

int ef_pl_read_block(struct ef_pl_input *in, uint8_t *buf, size_t n, size_t *got, int *final)
{
	size_t off = 0, g = 0;
	int rc;

	*got = 0;
	*final = 0;
	if (in->have_peek) {
		buf[0] = in->peek;
		off = 1;
		in->have_peek = 0;
	}
	if ((rc = read_full(in, buf + off, n - off, &g)))
		return rc;
	if (off + g < n) {
		*got = off + g;
		*final = 1;
		return 0;
	}
	if ((rc = read_full(in, &in->peek, 1, &g)))
		return rc;
	*got = n;
	in->have_peek = g == 1;
	*final = g == 0;
	return 0;
}

int ef_pl_new(size_t size, int nslots, int secret, struct ef_pl **out)
{
	struct ef_pl *p;

	*out = NULL;
	if (!size || nslots < 2 || nslots > EF_PL_SLOTS)
		return CU_EINVAL;
	if (!(p = calloc(1, sizeof(*p))))
		return CU_ENOMEM;
	p->size = size;
	p->nslots = nslots;
	p->secret = secret;
	if (pthread_mutex_init(&p->mu, NULL)) {
		free(p);
		return CU_ENOMEM;
	}
	if (pthread_cond_init(&p->cv, NULL)) {
		pthread_mutex_destroy(&p->mu);
		free(p);
		return CU_ENOMEM;
	}
	for (int i = 0; i < nslots; i++) {
		if (!(p->slot[i].buf = malloc(size))) {
			ef_pl_free(p);
			return CU_ENOMEM;
		}
	}
	*out = p;
	return 0;
}

void ef_pl_free(struct ef_pl *p)
{
	if (!p)
		return;
	for (int i = 0; i < p->nslots && p->slot[i].buf; i++) {
		if (p->secret)
			cu_free_secret(p->slot[i].buf, p->size);
		else
			free(p->slot[i].buf);
	}
	pthread_cond_destroy(&p->cv);
	pthread_mutex_destroy(&p->mu);
	free(p);
}

size_t ef_pl_slot_size(const struct ef_pl *p)
{
	return p->size;
}

struct ef_pl_slot *ef_pl_get_free(struct ef_pl *p)
{
	struct ef_pl_slot *s = NULL;

	pthread_mutex_lock(&p->mu);
	while (!p->stop && p->filled - p->taken == (uint64_t)p->nslots)
		pthread_cond_wait(&p->cv, &p->mu);
	if (!p->stop)
		s = &p->slot[p->filled % (uint64_t)p->nslots];
	pthread_mutex_unlock(&p->mu);
	return s;
}

void ef_pl_put_full(struct ef_pl *p)
{
	pthread_mutex_lock(&p->mu);
	p->filled++;
	pthread_cond_broadcast(&p->cv);
	pthread_mutex_unlock(&p->mu);
}

struct ef_pl_slot *ef_pl_get_full(struct ef_pl *p)
{
	struct ef_pl_slot *s = NULL;

	pthread_mutex_lock(&p->mu);
	while (!p->stop && !p->closing && p->filled == p->taken)
		pthread_cond_wait(&p->cv, &p->mu);
	if (!p->stop && p->filled != p->taken)
		s = &p->slot[p->taken % (uint64_t)p->nslots];
	pthread_mutex_unlock(&p->mu);
	return s;
}

void ef_pl_put_free(struct ef_pl *p)
{
	pthread_mutex_lock(&p->mu);
	p->taken++;
	pthread_cond_broadcast(&p->cv);
	pthread_mutex_unlock(&p->mu);
}

static void *reader_main(void *arg)
{
	struct ef_pl *p = arg;
	struct ef_pl_slot *s;

	while ((s = ef_pl_get_free(p))) {
		s->rc = ef_pl_read_block(&p->in, s->buf, p->size, &s->len, &s->final);
		if (s->rc == CU_ESTATE)
			break; /* stopped while waiting for input: nobody takes this slot */
		ef_pl_put_full(p);
		if (s->rc || s->final)
			break;
	}
	return NULL;
}

static void *hasher_main(void *arg)
{
	struct ef_pl *p = arg;
	struct ef_pl_slot *s;
	int rc = 0;

	while ((s = ef_pl_get_full(p))) {
		if (!rc)
			rc = cr_hash_update(p->hash, s->buf, s->len);
		ef_pl_put_free(p);
	}
	p->hash_rc = rc; /* read by the calling thread after pthread_join */
	return NULL;
}

static int pl_start(struct ef_pl *p, enum pl_role role, void *(*fn)(void *))
{
	if (p->role != PL_NONE)
		return CU_ESTATE;
	if (pthread_create(&p->thread, NULL, fn, p))
		return CU_ENOMEM;
	p->role = role;
	return 0;
}

int ef_pl_start_reader(struct ef_pl *p, int fd)
{
	ef_pl_input_init(&p->in, fd);
	p->in.cancel = p;
	return pl_start(p, PL_READER, reader_main);
}

int ef_pl_start_hasher(struct ef_pl *p, struct cr_hash *h)
{
	p->hash = h;
	return pl_start(p, PL_HASHER, hasher_main);
}

int ef_pl_finish(struct ef_pl *p, int drain)
{
	if (p->role == PL_NONE)
		return 0;
	pthread_mutex_lock(&p->mu);
	if (drain && p->role == PL_HASHER)
		p->closing = 1;
	else
		p->stop = 1;
	pthread_cond_broadcast(&p->cv);
	pthread_mutex_unlock(&p->mu);
	pthread_join(p->thread, NULL);
	p->role = PL_NONE;
	return p->hash_rc;
}
