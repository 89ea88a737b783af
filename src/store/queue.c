/*
 * queue.c - FIFO queues, made of sealed rows like any record.
 *
 * A queue q is a state row (kind ST_KIND_QSTATE, table q, empty key) holding
 * head and tail (8 bytes each, big endian), and one entry row per element
 * (kind ST_KIND_QENTRY, table q, key = index, 8 bytes big endian) for the
 * indices head .. tail-1. Push writes the entry at tail and the state; pop
 * reads and deletes the entry at head and writes the state, or deletes it
 * when the queue becomes empty. Both are one unit (see store.c), so a queue
 * is never seen half changed, and the index guards every row as for tables.
 */
#include <stdlib.h>
#include <string.h>

#include "common/err.h"
#include "common/mem.h"
#include "store/internal.h"

#define QSTATE_LEN 16

static void be64(uint8_t *p, uint64_t v)
{
	for (int i = 0; i < 8; i++)
		p[i] = (uint8_t)(v >> (56 - 8 * i));
}

static uint64_t rd64(const uint8_t *p)
{
	uint64_t v = 0;

	for (int i = 0; i < 8; i++)
		v = v << 8 | p[i];
	return v;
}

/* Head and tail of a queue (0, 0 when it has no state row). Under the lock. */
static int qstate_get(struct st_store *s, const struct st_name *sn, uint64_t *head, uint64_t *tail)
{
	uint8_t *v = NULL;
	size_t len = 0;
	int rc;

	*head = *tail = 0;
	rc = sti_read(s, sn, &v, &len, NULL);
	if (rc == CU_ENOTFOUND)
		return 0;
	if (rc)
		return rc;
	if (len != QSTATE_LEN) {
		rc = CU_EFORMAT;
	} else {
		*head = rd64(v);
		*tail = rd64(v + 8);
		if (*head > *tail)
			rc = CU_EFORMAT;
	}
	free(v);
	return rc;
}

static int qstate_put(struct st_store *s, const struct st_name *sn, uint64_t head, uint64_t tail)
{
	uint8_t v[QSTATE_LEN];

	if (head == tail)
		return sti_remove(s, sn);
	be64(v, head);
	be64(v + 8, tail);
	return sti_write(s, sn, v, sizeof(v), NULL);
}

static int entry_name(struct st_store *s, const char *queue, uint64_t i, uint8_t key[static 8],
                      struct st_name *n)
{
	be64(key, i);
	return sti_name(s, ST_KIND_QENTRY, queue, key, 8, n);
}

int st_queue_push(struct st_store *s, const char *queue, const void *val, size_t len)
{
	struct st_name sn, en;
	struct st_mark m;
	uint64_t head, tail;
	uint8_t key[8];
	int rc;

	if (!s || (!val && len))
		return CU_EINVAL;
	if (len > ST_VALUE_MAX)
		return CU_ELIMIT;
	rc = sti_name(s, ST_KIND_QSTATE, queue, NULL, 0, &sn);
	if (!rc)
		rc = sti_op_begin(s, &m);
	if (rc)
		return rc;
	rc = qstate_get(s, &sn, &head, &tail);
	if (!rc && tail == UINT64_MAX)
		rc = CU_ELIMIT;
	if (!rc)
		rc = entry_name(s, queue, tail, key, &en);
	if (!rc)
		rc = sti_write(s, &en, val, len, NULL);
	if (!rc)
		rc = qstate_put(s, &sn, head, tail + 1);
	return sti_op_end(s, &m, rc);
}

int st_queue_pop(struct st_store *s, const char *queue, uint8_t **val, size_t *len)
{
	struct st_name sn, en;
	struct st_mark m;
	uint64_t head, tail;
	uint8_t key[8], *v = NULL;
	size_t l = 0;
	int rc;

	if (val)
		*val = NULL;
	if (len)
		*len = 0;
	if (!s || !val || !len)
		return CU_EINVAL;
	rc = sti_name(s, ST_KIND_QSTATE, queue, NULL, 0, &sn);
	if (!rc)
		rc = sti_op_begin(s, &m);
	if (rc)
		return rc;
	rc = qstate_get(s, &sn, &head, &tail);
	if (!rc && head == tail)
		rc = CU_ENOTFOUND;
	if (!rc)
		rc = entry_name(s, queue, head, key, &en);
	if (!rc)
		rc = sti_read(s, &en, &v, &l, NULL);
	if (rc == CU_ENOTFOUND && head != tail)
		rc = CU_EAUTH; /* the state names an entry the index lacks */
	if (!rc)
		rc = sti_remove(s, &en);
	if (!rc)
		rc = qstate_put(s, &sn, head + 1, tail);
	rc = sti_op_end(s, &m, rc);
	if (rc) {
		cu_free_secret(v, v ? l + 1 : 0);
		return rc;
	}
	*val = v;
	*len = l;
	return 0;
}

int st_queue_len(struct st_store *s, const char *queue, uint64_t *n)
{
	struct st_name sn;
	uint64_t head, tail;
	int rc;

	if (n)
		*n = 0;
	if (!s || !n)
		return CU_EINVAL;
	rc = sti_name(s, ST_KIND_QSTATE, queue, NULL, 0, &sn);
	if (!rc)
		rc = sti_lock(s);
	if (rc)
		return rc;
	rc = qstate_get(s, &sn, &head, &tail);
	sti_unlock(s);
	if (!rc)
		*n = tail - head;
	return rc;
}
