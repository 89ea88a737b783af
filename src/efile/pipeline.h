/*
 * pipeline.h - internal to efile: a bounded ring of buffers between the
 * calling thread and one helper thread, so that streaming uses two cores.
 *
 * A ring holds up to EF_PL_SLOTS buffers of a fixed size. One side (the producer)
 * takes free slots, fills them and passes them on in order; the other side
 * (the consumer) takes them in the same order and gives them back. Exactly
 * one thread plays each side. The helper thread is either
 *
 *   - a reader, which fills slots from a file descriptor (producer), or
 *   - a hasher, which feeds the slots it is given to a hash (consumer).
 *
 * The calling thread plays the other side. ef_pl_finish stops the helper and
 * joins it, on success and failure alike; a reader blocked on a pipe or a
 * terminal notices within EF_PL_POLL_MS. Slots made with secret set are
 * wiped when the ring is freed. Nothing here calls back into the caller, so
 * progress callbacks stay on the calling thread.
 */
#ifndef CUSTOS_EFILE_PIPELINE_H
#define CUSTOS_EFILE_PIPELINE_H

#include <stddef.h>
#include <stdint.h>

#include "crypto/hash.h"

#define EF_PL_SLOTS   4
#define EF_PL_POLL_MS 50

struct ef_pl_slot {
	uint8_t *buf;
	size_t len; /* bytes of buf in use */
	int final;  /* reader: the input ends after these bytes */
	int rc;     /* reader: the read failed (len is then 0) */
};

struct ef_pl;

/*
 * Input with a one-byte look-ahead. ef_pl_read_block reads up to n bytes
 * (fewer only at the end of input) and sets *final when the input ends right
 * after them; the look-ahead byte, if any, starts the next block. A read
 * error gives CU_EIO and *got 0.
 */
struct ef_pl_input {
	int fd;
	int pollable; /* a pipe, socket or terminal: wait with poll() */
	int have_peek;
	uint8_t peek;
	struct ef_pl *cancel; /* reader thread: give up once this ring stops */
};

void ef_pl_input_init(struct ef_pl_input *in, int fd);
int ef_pl_read_block(struct ef_pl_input *in, uint8_t *buf, size_t n, size_t *got, int *final);

/* A ring of nslots (2..EF_PL_SLOTS) buffers of size bytes each (size > 0), and no thread yet. */
int ef_pl_new(size_t size, int nslots, int secret, struct ef_pl **out);

/* Wipe (if secret) and free. The helper must have been finished. p may be NULL. */
void ef_pl_free(struct ef_pl *p);

/* Size of every slot's buffer. */
size_t ef_pl_slot_size(const struct ef_pl *p);

/*
 * Start the reader: it fills each slot with up to ef_pl_slot_size bytes of
 * fd, short only at the end of input, and sets final when nothing follows
 * (a one-byte look-ahead carried into the next slot). It stops after a final
 * slot or a failed read (rc set).
 */
int ef_pl_start_reader(struct ef_pl *p, int fd);

/* Start the hasher: every slot passed with ef_pl_put_full is hashed into h, in order. */
int ef_pl_start_hasher(struct ef_pl *p, struct cr_hash *h);

/* Producer side: a free slot to fill (NULL once the ring is stopped), then hand it on. */
struct ef_pl_slot *ef_pl_get_free(struct ef_pl *p);
void ef_pl_put_full(struct ef_pl *p);

/* Consumer side: the next filled slot, waiting for it (NULL once stopped), then give it back. */
struct ef_pl_slot *ef_pl_get_full(struct ef_pl *p);
void ef_pl_put_free(struct ef_pl *p);

/*
 * Join the helper. With drain set (hasher only), the hasher first consumes
 * every slot already handed on; otherwise the ring is stopped at once.
 * Returns the hasher's first error, or 0. Safe to call when no helper runs.
 */
int ef_pl_finish(struct ef_pl *p, int drain);

#endif
