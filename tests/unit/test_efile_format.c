/*
 * Unit tests: the Custos file format and Teaclave's formats. Round trips at
 * chunk boundaries, then every way an attacker on the file host could change
 * a file: bit flips in every region, truncation, extension, reordered,
 * dropped or duplicated chunks, chunks and headers spliced from another file
 * under the same key, and a wrong key.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/err.h"
#include "common/mem.h"
#include "crypto/hash.h"
#include "efile/efile.h"

#define CS     EF_MIN_CHUNK /* small chunks make multi-chunk files small */
#define REC    (CS + EF_TAG_LEN)
#define OFF(i) (EF_HEADER_LEN + (size_t)(i)*REC)

static const uint8_t key[32] = {1,  2,  3,  4,  5,  6,  7,  8,  9,  10, 11, 12, 13, 14, 15, 16,
                                17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31, 32};

struct blob {
	uint8_t *p;
	size_t n;
};

static uint8_t *pattern(size_t n, uint8_t seed)
{
	uint8_t *p = malloc(n ? n : 1);

	for (size_t i = 0; i < n; i++)
		p[i] = (uint8_t)(i * 31 + seed);
	return p;
}

/* Encrypt through file descriptors with CS-byte chunks (pipes would do as well). */
static struct blob encrypt_fd(const uint8_t *pt, size_t n, uint8_t digest[32])
{
	FILE *in = tmpfile(), *out = tmpfile();
	struct ef_io_opts o = {CS, NULL, NULL};
	struct blob b;
	long len;

	assert_int_equal(fwrite(pt, 1, n, in), n);
	fflush(in);
	rewind(in);
	assert_int_equal(ef_encrypt_fd(EF_FORMAT_CUSTOS, key, 32, NULL, fileno(in), fileno(out), &o,
	                               digest, NULL),
	                 0);
	len = lseek(fileno(out), 0, SEEK_END);
	b.n = (size_t)len;
	b.p = malloc(b.n);
	assert_int_equal(pread(fileno(out), b.p, b.n, 0), (ssize_t)b.n);
	fclose(in);
	fclose(out);
	return b;
}

/* Decrypt a blob through file descriptors; on success *pt gets the plaintext. */
static int decrypt_fd(enum ef_format f, const uint8_t *k, size_t kl, const uint8_t *iv,
                      const struct blob *c, struct blob *pt)
{
	FILE *in = tmpfile(), *out = tmpfile();
	int rc;

	assert_int_equal(fwrite(c->p, 1, c->n, in), c->n);
	fflush(in);
	rewind(in);
	rc = ef_decrypt_fd(f, k, kl, iv, fileno(in), fileno(out), NULL);
	pt->n = (size_t)lseek(fileno(out), 0, SEEK_END);
	pt->p = malloc(pt->n ? pt->n : 1);
	assert_int_equal(pread(fileno(out), pt->p, pt->n, 0), (ssize_t)pt->n);
	fclose(in);
	fclose(out);
	return rc;
}

/* Decrypt both ways (fd and buffer); both must give rc. */
static void expect_decrypt(const struct blob *c, int rc, const char *what)
{
	struct blob pt;
	uint8_t *out;
	size_t outlen;
	int r1 = decrypt_fd(EF_FORMAT_CUSTOS, key, 32, NULL, c, &pt);
	int r2 =
	    ef_decrypt_buf(EF_FORMAT_CUSTOS, key, 32, NULL, c->p, c->n, SIZE_MAX, &out, &outlen);

	free(pt.p);
	if (!r2)
		free(out);
	else
		assert_null(out);
	if ((rc == 0) != (r1 == 0) || (rc == 0) != (r2 == 0) || (rc && (r1 != rc || r2 != rc)))
		fail_msg("%s: want %d, fd gave %d, buffer gave %d", what, rc, r1, r2);
}

static void test_roundtrip_sizes(void **state)
{
	static const size_t sizes[] = {0, 1, CS - 1, CS, CS + 1, 3 * CS, 3 * CS + 17};

	(void)state;
	for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		size_t n = sizes[i];
		uint8_t *pt = pattern(n, (uint8_t)i), digest[32], d2[32];
		struct blob c = encrypt_fd(pt, n, digest), back;
		size_t chunks = n ? (n + CS - 1) / CS : 1;

		/* Header + one tag per chunk; the last chunk is full or short, empty only for an
		 * empty file. */
		assert_int_equal(c.n, EF_HEADER_LEN + n + chunks * EF_TAG_LEN);
		assert_int_equal(cr_sha256(c.p, c.n, d2), 0);
		assert_memory_equal(digest, d2, 32);
		assert_int_equal(decrypt_fd(EF_FORMAT_CUSTOS, key, 32, NULL, &c, &back), 0);
		assert_int_equal(back.n, n);
		assert_memory_equal(back.p, pt, n);
		free(back.p);
		free(c.p);
		free(pt);
	}
}

static void test_buffer_api(void **state)
{
	uint8_t *pt = pattern(200000, 7), *c, *back;
	size_t cl, bl;

	(void)state;
	assert_int_equal(ef_encrypt_buf(EF_FORMAT_CUSTOS, key, 32, NULL, pt, 200000, &c, &cl), 0);
	assert_int_equal(ef_decrypt_buf(EF_FORMAT_CUSTOS, key, 32, NULL, c, cl, 200000, &back, &bl),
	                 0);
	assert_int_equal(bl, 200000);
	assert_memory_equal(back, pt, bl);
	cu_free_secret(back, bl);
	/* A plaintext larger than the caller's bound is refused. */
	assert_int_equal(ef_decrypt_buf(EF_FORMAT_CUSTOS, key, 32, NULL, c, cl, 199999, &back, &bl),
	                 CU_ELIMIT);
	assert_int_equal(ef_encrypt_buf(EF_FORMAT_CUSTOS, key, 16, NULL, pt, 1, &back, &bl),
	                 CU_EKEY);
	/* The same plaintext encrypts differently each time (fresh salt). */
	assert_int_equal(ef_encrypt_buf(EF_FORMAT_CUSTOS, key, 32, NULL, pt, 200000, &back, &bl),
	                 0);
	assert_int_equal(bl, cl);
	assert_memory_not_equal(back, c, cl);
	free(back);
	free(c);
	free(pt);
}

static void test_bit_flips(void **state)
{
	uint8_t *pt = pattern(2 * CS + 100, 3), digest[32];
	struct blob c = encrypt_fd(pt, 2 * CS + 100, digest);

	(void)state;
	/* Every bit of the header, and bits across every chunk's body and tag. */
	for (size_t bit = 0; bit < 8 * c.n; bit += bit < 8 * EF_HEADER_LEN ? 1 : 61) {
		char what[64];
		int want;

		c.p[bit / 8] ^= (uint8_t)(1 << (bit % 8));
		snprintf(what, sizeof(what), "flip of bit %zu", bit);
		if (bit < 8 * EF_MAGIC_LEN)
			want = CU_EFORMAT; /* no longer a Custos file */
		else if (bit < 8 * 10)
			want = CU_EUNSUPPORTED; /* version or algorithm */
		else if (bit < 8 * 16)
			want = bit / 8 >= 12 ? -1 : CU_EFORMAT; /* flags; chunk size */
		else
			want = CU_EAUTH;
		if (want == -1) {
			/* A changed chunk size either is out of range or misframes the chunks. */
			struct blob pt2;
			int rc = decrypt_fd(EF_FORMAT_CUSTOS, key, 32, NULL, &c, &pt2);
			free(pt2.p);
			if (rc != CU_EFORMAT && rc != CU_EAUTH && rc != CU_ETRUNC)
				fail_msg("%s: rc %d", what, rc);
		} else {
			expect_decrypt(&c, want, what);
		}
		c.p[bit / 8] ^= (uint8_t)(1 << (bit % 8));
	}
	expect_decrypt(&c, 0, "restored file");
	free(c.p);
	free(pt);
}

static void test_truncation_and_extension(void **state)
{
	uint8_t *pt = pattern(3 * CS, 9), digest[32];
	struct blob c = encrypt_fd(pt, 3 * CS, digest), t;

	(void)state;
	/* Cut at every chunk boundary and inside every region. */
	static const struct {
		size_t cut;
		int rc;
	} cuts[] = {
	    {0, CU_EFORMAT},
	    {5, CU_EFORMAT},
	    {EF_HEADER_LEN - 1, CU_ETRUNC},
	    {EF_HEADER_LEN, CU_ETRUNC},
	    {EF_HEADER_LEN + 15, CU_ETRUNC},
	    {EF_HEADER_LEN + 16, CU_EAUTH},
	    {OFF(1), CU_EAUTH},
	    {OFF(1) + 1, CU_ETRUNC},
	    {OFF(1) + 16, CU_EAUTH},
	    {OFF(2), CU_EAUTH},
	    {OFF(3) - 1, CU_EAUTH},
	    {OFF(3) - REC + 20, CU_EAUTH},
	};
	assert_int_equal(c.n, OFF(3));
	for (size_t i = 0; i < sizeof(cuts) / sizeof(cuts[0]); i++) {
		char what[64];
		t.p = c.p;
		t.n = cuts[i].cut;
		snprintf(what, sizeof(what), "truncated to %zu bytes", cuts[i].cut);
		expect_decrypt(&t, cuts[i].rc, what);
	}
	/* Extension: a byte, a tag's worth, and a whole chunk appended. */
	static const size_t ext[] = {1, EF_TAG_LEN, REC};
	for (size_t i = 0; i < 3; i++) {
		t.n = c.n + ext[i];
		t.p = malloc(t.n);
		memcpy(t.p, c.p, c.n);
		memcpy(t.p + c.n, c.p + OFF(0), ext[i]);
		expect_decrypt(&t, CU_EAUTH, "extended file");
		free(t.p);
	}
	free(c.p);
	free(pt);
}

static void test_reorder_and_splice(void **state)
{
	uint8_t *pt = pattern(3 * CS + 10, 1), *pt2 = pattern(3 * CS + 10, 1), digest[32];
	struct blob a = encrypt_fd(pt, 3 * CS + 10, digest),
	            b = encrypt_fd(pt2, 3 * CS + 10, digest);
	struct blob t = {malloc(a.n), a.n};

	(void)state;
	/* Same plaintext, same key: still different files. */
	assert_memory_not_equal(a.p + EF_HEADER_LEN, b.p + EF_HEADER_LEN, REC);
	/* Swap chunks 0 and 1. */
	memcpy(t.p, a.p, a.n);
	memcpy(t.p + OFF(0), a.p + OFF(1), REC);
	memcpy(t.p + OFF(1), a.p + OFF(0), REC);
	expect_decrypt(&t, CU_EAUTH, "chunks 0 and 1 swapped");
	/* Duplicate chunk 0 over chunk 1. */
	memcpy(t.p, a.p, a.n);
	memcpy(t.p + OFF(1), a.p + OFF(0), REC);
	expect_decrypt(&t, CU_EAUTH, "chunk 0 duplicated");
	/* Drop chunk 1. */
	memcpy(t.p, a.p, OFF(1));
	memcpy(t.p + OFF(1), a.p + OFF(2), a.n - OFF(2));
	t.n = a.n - REC;
	expect_decrypt(&t, CU_EAUTH, "chunk 1 dropped");
	t.n = a.n;
	/* Chunk 1 of another file under the same key, at the same index. */
	memcpy(t.p, a.p, a.n);
	memcpy(t.p + OFF(1), b.p + OFF(1), REC);
	expect_decrypt(&t, CU_EAUTH, "chunk spliced from another file");
	/* Header of another file over this file's chunks. */
	memcpy(t.p, a.p, a.n);
	memcpy(t.p, b.p, EF_HEADER_LEN);
	expect_decrypt(&t, CU_EAUTH, "header of another file");
	/* A non-final chunk made final by dropping everything after it. */
	t.n = OFF(1);
	expect_decrypt(&t, CU_EAUTH, "cut after chunk 0");
	/* Wrong key. */
	{
		uint8_t other[32];
		struct blob back;
		memcpy(other, key, 32);
		other[0] ^= 1;
		assert_int_equal(decrypt_fd(EF_FORMAT_CUSTOS, other, 32, NULL, &a, &back),
		                 CU_EAUTH);
		assert_int_equal(back.n, 0); /* the first chunk already fails: nothing written */
		free(back.p);
		assert_int_equal(decrypt_fd(EF_FORMAT_CUSTOS, key, 16, NULL, &a, &back), CU_EKEY);
		free(back.p);
	}
	free(t.p);
	free(a.p);
	free(b.p);
	free(pt);
	free(pt2);
}

static void test_header_parse(void **state)
{
	uint8_t h[EF_HEADER_LEN] = "CUSTOSEF\x01\x01\x00\x00\x00\x01\x00\x00";
	struct ef_header eh;

	(void)state;
	assert_int_equal(ef_header_parse(h, sizeof(h), &eh), 0);
	assert_int_equal(eh.chunk_size, 65536);
	assert_int_equal(ef_header_parse(h, sizeof(h) - 1, &eh), CU_ETRUNC);
	h[12] = 0x02; /* 32 MiB chunks: above the maximum */
	assert_int_equal(ef_header_parse(h, sizeof(h), &eh), CU_EFORMAT);
	h[12] = 0;
	h[14] = 0x01;
	h[13] = 0; /* 256 bytes: below the minimum */
	assert_int_equal(ef_header_parse(h, sizeof(h), &eh), CU_EFORMAT);
	assert_int_equal(ef_detect(h, sizeof(h)), EF_FORMAT_CUSTOS);
	assert_int_equal(ef_detect(h, 7), 0);
}

static void test_stream_state(void **state)
{
	struct ef_stream *s;
	uint8_t buf[CS + EF_TAG_LEN] = {0};

	(void)state;
	assert_int_equal(ef_stream_new_encrypt(key, 100, &s), CU_EINVAL);
	assert_int_equal(ef_stream_new_encrypt(key, CS, &s), 0);
	assert_int_equal(ef_stream_seal(s, buf, CS - 1, 0, buf), CU_EINVAL); /* short non-final */
	assert_int_equal(ef_stream_seal(s, buf, CS + 1, 1, buf), CU_EINVAL);
	assert_int_equal(ef_stream_seal(s, buf, 3, 1, buf), 0);
	assert_int_equal(ef_stream_seal(s, buf, 3, 1, buf), CU_ESTATE); /* nothing after final */
	ef_stream_free(s);
	/* A full chunk followed by an empty final chunk is not the canonical encoding. */
	{
		uint8_t file[EF_HEADER_LEN + 2 * REC];
		struct blob b = {file, EF_HEADER_LEN + REC + EF_TAG_LEN};
		assert_int_equal(ef_stream_new_encrypt(key, CS, &s), 0);
		memcpy(file, ef_stream_header(s), EF_HEADER_LEN);
		assert_int_equal(ef_stream_seal(s, buf, CS, 0, file + EF_HEADER_LEN), 0);
		assert_int_equal(ef_stream_seal(s, buf, 0, 1, file + EF_HEADER_LEN + REC), 0);
		ef_stream_free(s);
		expect_decrypt(&b, CU_EFORMAT, "empty final chunk after a full one");
	}
	ef_stream_free(NULL);
}

/* Teaclave's aes-gcm formats: ciphertext then tag, AAD eight zero bytes, IV outside. */
static void test_teaclave_formats(void **state)
{
	static const uint8_t iv[12] = {9, 8, 7, 6, 5, 4, 3, 2, 1, 0, 1, 2};
	static const uint8_t zero_aad[8];
	uint8_t *pt = pattern(100000, 5), *c, *back, tag[16];
	size_t cl, bl;

	(void)state;
	for (int f = EF_FORMAT_AES_GCM_128; f <= EF_FORMAT_AES_GCM_256; f++) {
		size_t kl = ef_format_key_len(f);
		struct blob cb, pb;
		assert_int_equal(ef_encrypt_buf(f, key, kl, iv, pt, 100000, &c, &cl), 0);
		assert_int_equal(cl, 100000 + 16);
		/* The same bytes as one AES-GCM call with the documented parameters. */
		back = malloc(100000);
		assert_int_equal(cr_aead_seal(key, kl, iv, zero_aad, 8, pt, 100000, back, tag), 0);
		assert_memory_equal(back, c, 100000);
		assert_memory_equal(tag, c + 100000, 16);
		free(back);
		/* Streaming decrypt across block boundaries. */
		cb.p = c;
		cb.n = cl;
		assert_int_equal(decrypt_fd(f, key, kl, iv, &cb, &pb), 0);
		assert_int_equal(pb.n, 100000);
		assert_memory_equal(pb.p, pt, pb.n);
		free(pb.p);
		c[500] ^= 1;
		assert_int_equal(decrypt_fd(f, key, kl, iv, &cb, &pb), CU_EAUTH);
		free(pb.p);
		assert_int_equal(ef_decrypt_buf(f, key, kl, iv, c, cl, SIZE_MAX, &back, &bl),
		                 CU_EAUTH);
		c[500] ^= 1;
		cb.n = 15;
		assert_int_equal(decrypt_fd(f, key, kl, iv, &cb, &pb), CU_ETRUNC);
		free(pb.p);
		assert_int_equal(ef_decrypt_buf(f, key, kl, NULL, c, cl, SIZE_MAX, &back, &bl),
		                 CU_EINVAL);
		free(c);
		/* An empty file is just a tag. */
		assert_int_equal(ef_encrypt_buf(f, key, kl, iv, pt, 0, &c, &cl), 0);
		assert_int_equal(cl, 16);
		assert_int_equal(ef_decrypt_buf(f, key, kl, iv, c, cl, 0, &back, &bl), 0);
		assert_int_equal(bl, 0);
		free(back);
		free(c);
	}
	free(pt);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_roundtrip_sizes),
	    cmocka_unit_test(test_buffer_api),
	    cmocka_unit_test(test_bit_flips),
	    cmocka_unit_test(test_truncation_and_extension),
	    cmocka_unit_test(test_reorder_and_splice),
	    cmocka_unit_test(test_header_parse),
	    cmocka_unit_test(test_stream_state),
	    cmocka_unit_test(test_teaclave_formats),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
