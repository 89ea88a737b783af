/*
 * index.c - the trusted index of rows, and the undo log of its changes.
 *
 * The index lives in the store's (TEE) memory: it is what the store knows
 * the database should hold, and every row read is checked against it. Row
 * ids are HMAC outputs under a key the host does not know, so their first
 * bytes are a good hash and the host cannot choose collisions. Linear
 * probing, load at most 1/2, backward-shift deletion (no tombstones), so
 * that a deletion never allocates and an insertion after sti_ix_reserve
 * never fails: undoing changes cannot fail.
 */
#include <stdlib.h>
#include <string.h>

#include "common/err.h"
#include "common/mem.h"
#include "store/internal.h"

#define IX_MIN_CAP 64

static size_t home(const struct st_index *ix, const uint8_t *rid)
{
	uint64_t h;

	memcpy(&h, rid, sizeof(h));
	return (size_t)h & (ix->cap - 1);
}

/* Slot of rid, or of the free slot where it would go. */
static size_t probe(const struct st_index *ix, const uint8_t *rid)
{
	size_t i = home(ix, rid);

	while (ix->slot[i].ver && memcmp(ix->slot[i].rid, rid, ST_RID_LEN))
		i = (i + 1) & (ix->cap - 1);
	return i;
}

static int grow(struct st_index *ix, size_t cap)
{
	struct st_entry *old = ix->slot;
	size_t oldcap = ix->cap;

	ix->slot = cu_calloc(cap, sizeof(*ix->slot));
	if (!ix->slot) {
		ix->slot = old;
		return CU_ENOMEM;
	}
	ix->cap = cap;
	for (size_t i = 0; i < oldcap; i++)
		if (old[i].ver)
			ix->slot[probe(ix, old[i].rid)] = old[i];
	free(old);
	return 0;
}

int sti_ix_reserve(struct st_index *ix, size_t more)
{
	size_t need, cap = ix->cap ? ix->cap : IX_MIN_CAP;

	if (more > SIZE_MAX / 4 - ix->n)
		return CU_ELIMIT;
	need = 2 * (ix->n + more);
	if (ix->cap && need <= ix->cap)
		return 0;
	while (cap < need) {
		if (cap > SIZE_MAX / 2 / sizeof(struct st_entry))
			return CU_ELIMIT;
		cap *= 2;
	}
	return grow(ix, cap);
}

const struct st_entry *sti_ix_find(const struct st_index *ix, const uint8_t rid[static ST_RID_LEN])
{
	size_t i;

	if (!ix->cap)
		return NULL;
	i = probe(ix, rid);
	return ix->slot[i].ver ? &ix->slot[i] : NULL;
}

void sti_ix_set(struct st_index *ix, const struct st_entry *e)
{
	size_t i = probe(ix, e->rid);

	if (!ix->slot[i].ver)
		ix->n++;
	ix->slot[i] = *e;
}

void sti_ix_del(struct st_index *ix, const uint8_t rid[static ST_RID_LEN])
{
	size_t mask = ix->cap - 1, i, j;

	if (!ix->cap)
		return;
	i = probe(ix, rid);
	if (!ix->slot[i].ver)
		return;
	/* Shift back every entry of the run that may move into the hole. */
	for (j = (i + 1) & mask; ix->slot[j].ver; j = (j + 1) & mask) {
		size_t k = home(ix, ix->slot[j].rid);
		int stays = i <= j ? (i < k && k <= j) : (i < k || k <= j);
		if (!stays) {
			ix->slot[i] = ix->slot[j];
			i = j;
		}
	}
	memset(&ix->slot[i], 0, sizeof(ix->slot[i]));
	ix->n--;
}

size_t sti_ix_count_tid(const struct st_index *ix, const uint8_t tid[static ST_TID_LEN])
{
	size_t n = 0;

	for (size_t i = 0; i < ix->cap; i++)
		if (ix->slot[i].ver && !memcmp(ix->slot[i].tid, tid, ST_TID_LEN))
			n++;
	return n;
}

void sti_ix_free(struct st_index *ix)
{
	free(ix->slot);
	memset(ix, 0, sizeof(*ix));
}

int sti_log_reserve(struct st_log *l, size_t more)
{
	size_t cap = l->cap ? l->cap : 16;
	struct st_undo *v;

	if (more <= l->cap - l->n)
		return 0;
	if (more > SIZE_MAX / sizeof(*v) - l->n)
		return CU_ELIMIT;
	while (cap - l->n < more)
		cap = cap > SIZE_MAX / sizeof(*v) / 2 ? l->n + more : cap * 2;
	v = realloc(l->v, cap * sizeof(*v));
	if (!v)
		return CU_ENOMEM;
	l->v = v;
	l->cap = cap;
	return 0;
}

void sti_log_free(struct st_log *l)
{
	free(l->v);
	memset(l, 0, sizeof(*l));
}
