/*
 * reader.h - the one bounds-checked reader for untrusted bytes.
 *
 * A cu_reader is a cursor over a buffer the caller owns; it never allocates
 * and never writes to the buffer. Every read checks the remaining length
 * without overflow and consumes bytes only on success: on failure the cursor
 * stays where it was and the out-parameter is zeroed. Readers are cheap value
 * types; a sub-reader limits a nested structure to its announced length.
 *
 * Pointers returned by cu_read_ptr() point into the caller's buffer and live
 * as long as it does; parsers copy what they keep.
 */
#ifndef CUSTOS_COMMON_READER_H
#define CUSTOS_COMMON_READER_H

#include <stddef.h>
#include <stdint.h>

struct cu_reader {
	const uint8_t *buf;
	size_t len; /* total length */
	size_t off; /* bytes consumed */
};

/* Point r at buf[0..len). buf may be NULL only when len is 0. */
void cu_reader_init(struct cu_reader *r, const void *buf, size_t len);

/* Bytes not yet consumed. */
static inline size_t cu_reader_left(const struct cu_reader *r)
{
	return r->len - r->off;
}

/* Pointer to the next unread byte (valid while the buffer is). */
static inline const uint8_t *cu_reader_cur(const struct cu_reader *r)
{
	return r->buf + r->off;
}

/* Fixed-width integers, little or big endian. */
int cu_read_u8(struct cu_reader *r, uint8_t *v);
int cu_read_u16le(struct cu_reader *r, uint16_t *v);
int cu_read_u32le(struct cu_reader *r, uint32_t *v);
int cu_read_u64le(struct cu_reader *r, uint64_t *v);
int cu_read_u16be(struct cu_reader *r, uint16_t *v);
int cu_read_u32be(struct cu_reader *r, uint32_t *v);
int cu_read_u64be(struct cu_reader *r, uint64_t *v);

/* Copy n bytes into out. */
int cu_read_bytes(struct cu_reader *r, void *out, size_t n);

/* Borrow n bytes: *p points into the buffer. */
int cu_read_ptr(struct cu_reader *r, const uint8_t **p, size_t n);

/* Skip n bytes. */
int cu_read_skip(struct cu_reader *r, size_t n);

/* Consume n bytes as a reader of their own. */
int cu_read_sub(struct cu_reader *r, struct cu_reader *sub, size_t n);

/*
 * LEB128 as WebAssembly encodes it: at most ceil(bits/7) bytes, unused bits
 * of the last byte must be zero (unsigned) or a sign extension (signed).
 * Malformed encodings return CU_EFORMAT, a short buffer CU_ETRUNC.
 */
int cu_read_uleb32(struct cu_reader *r, uint32_t *v);
int cu_read_uleb64(struct cu_reader *r, uint64_t *v);
int cu_read_sleb32(struct cu_reader *r, int32_t *v);
int cu_read_sleb64(struct cu_reader *r, int64_t *v);
/* A signed 33-bit LEB128 (WebAssembly block types). */
int cu_read_sleb33(struct cu_reader *r, int64_t *v);

#endif
