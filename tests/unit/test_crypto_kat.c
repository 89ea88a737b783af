/* Unit tests: known-answer vectors for the crypto wrappers, and their failure paths. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>

#include "common/encoding.h"
#include "common/err.h"
#include "crypto/crypto.h"

static size_t unhex(const char *hex, uint8_t *out, size_t max)
{
	size_t n;

	assert_int_equal(cu_hex_decode(hex, strlen(hex), out, max, &n), 0);
	return n;
}

/* The AES-GCM test cases of McGrew and Viega's GCM specification (NIST). */
static const struct gcm_case {
	const char *name, *key, *iv, *aad, *pt, *ct, *tag;
} gcm_cases[] = {
    {"TC2 AES-128", "00000000000000000000000000000000", "000000000000000000000000", "",
     "00000000000000000000000000000000", "0388dace60b6a392f328c2b971b2fe78",
     "ab6e47d42cec13bdf53a67b21257bddf"},
    {"TC3 AES-128", "feffe9928665731c6d6a8f9467308308", "cafebabefacedbaddecaf888", "",
     "d9313225f88406e5a55909c5aff5269a86a7a9531534f7da2e4c303d8a318a721c3c0c95956809532fcf0e2449a6b"
     "525b16aedf5aa0de657ba637b391aafd255",
     "42831ec2217774244b7221b784d0d49ce3aa212f2c02a4e035c17e2329aca12e21d514b25466931c7d8f6a5aac84a"
     "a051ba30b396a0aac973d58e091473f5985",
     "4d5c2af327cd64a62cf35abd2ba6fab4"},
    {"TC4 AES-128 with AAD", "feffe9928665731c6d6a8f9467308308", "cafebabefacedbaddecaf888",
     "feedfacedeadbeeffeedfacedeadbeefabaddad2",
     "d9313225f88406e5a55909c5aff5269a86a7a9531534f7da2e4c303d8a318a721c3c0c95956809532fcf0e2449a6b"
     "525b16aedf5aa0de657ba637b39",
     "42831ec2217774244b7221b784d0d49ce3aa212f2c02a4e035c17e2329aca12e21d514b25466931c7d8f6a5aac84a"
     "a051ba30b396a0aac973d58e091",
     "5bc94fbc3221a5db94fae95ae7121a47"},
    {"TC14 AES-256", "0000000000000000000000000000000000000000000000000000000000000000",
     "000000000000000000000000", "", "00000000000000000000000000000000",
     "cea7403d4d606b6e074ec5d3baf39d18", "d0d1c8a799996bf0265b98b5d48ab919"},
    {"TC15 AES-256", "feffe9928665731c6d6a8f9467308308feffe9928665731c6d6a8f9467308308",
     "cafebabefacedbaddecaf888", "",
     "d9313225f88406e5a55909c5aff5269a86a7a9531534f7da2e4c303d8a318a721c3c0c95956809532fcf0e2449a6b"
     "525b16aedf5aa0de657ba637b391aafd255",
     "522dc1f099567d07f47f37a32a84427d643a8cdcbfe5c0c97598a2bd2555d1aa8cb08e48590dbb3da7b08b1056828"
     "838c5f61e6393ba7a0abcc9f662898015ad",
     "b094dac5d93471bdec1a502270e3cc6c"},
    {"TC16 AES-256 with AAD", "feffe9928665731c6d6a8f9467308308feffe9928665731c6d6a8f9467308308",
     "cafebabefacedbaddecaf888", "feedfacedeadbeeffeedfacedeadbeefabaddad2",
     "d9313225f88406e5a55909c5aff5269a86a7a9531534f7da2e4c303d8a318a721c3c0c95956809532fcf0e2449a6b"
     "525b16aedf5aa0de657ba637b39",
     "522dc1f099567d07f47f37a32a84427d643a8cdcbfe5c0c97598a2bd2555d1aa8cb08e48590dbb3da7b08b1056828"
     "838c5f61e6393ba7a0abcc9f662",
     "76fc6ece0f4e1768cddf8853bb2d551b"},
};

static void test_gcm_kat(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(gcm_cases) / sizeof(gcm_cases[0]); i++) {
		const struct gcm_case *c = &gcm_cases[i];
		uint8_t key[32], iv[12], aad[32], pt[64], ct[64], tag[16], out[64], t[16];
		size_t kl = unhex(c->key, key, sizeof(key)), al = unhex(c->aad, aad, sizeof(aad));
		size_t pl = unhex(c->pt, pt, sizeof(pt));
		struct cr_gcm *g;

		unhex(c->iv, iv, sizeof(iv));
		unhex(c->ct, ct, sizeof(ct));
		unhex(c->tag, tag, sizeof(tag));
		assert_int_equal(cr_aead_seal(key, kl, iv, aad, al, pt, pl, out, t), 0);
		if (memcmp(out, ct, pl) || memcmp(t, tag, 16))
			fail_msg("%s: seal differs", c->name);
		assert_int_equal(cr_aead_open(key, kl, iv, aad, al, ct, pl, out, tag), 0);
		assert_memory_equal(out, pt, pl);
		/* Streaming in uneven pieces gives the same result. */
		assert_int_equal(cr_gcm_new(key, kl, CR_ENCRYPT, &g), 0);
		assert_int_equal(cr_gcm_begin(g, iv, aad, al), 0);
		assert_int_equal(cr_gcm_update(g, pt, 7, out), 0);
		assert_int_equal(cr_gcm_update(g, pt + 7, pl - 7, out + 7), 0);
		assert_int_equal(cr_gcm_finish_seal(g, t), 0);
		assert_memory_equal(out, ct, pl);
		assert_memory_equal(t, tag, 16);
		cr_gcm_free(g);
		/* Any flipped bit of tag, ciphertext or AAD fails, and the output is wiped. */
		for (size_t bit = 0; bit < 8 * (16 + pl + al); bit += 5) {
			uint8_t *p = bit < 128 ? tag : bit < 128 + 8 * pl ? ct : aad;
			size_t off = bit < 128            ? bit
			             : bit < 128 + 8 * pl ? bit - 128
			                                  : bit - 128 - 8 * pl;
			p[off / 8] ^= (uint8_t)(1 << (off % 8));
			memset(out, 0x55, sizeof(out));
			assert_int_equal(cr_aead_open(key, kl, iv, aad, al, ct, pl, out, tag),
			                 CU_EAUTH);
			for (size_t k = 0; k < pl; k++)
				assert_int_equal(out[k], 0);
			p[off / 8] ^= (uint8_t)(1 << (off % 8));
		}
	}
}

static void test_gcm_misuse(void **state)
{
	uint8_t key[32] = {0}, iv[12] = {0}, tag[16];
	struct cr_gcm *g;

	(void)state;
	assert_int_equal(cr_gcm_new(key, 24, CR_ENCRYPT, &g), CU_EINVAL);
	assert_null(g);
	assert_int_equal(cr_gcm_new(key, 32, CR_DECRYPT, &g), 0);
	assert_int_equal(cr_gcm_begin(g, iv, NULL, 0), 0);
	assert_int_equal(cr_gcm_finish_seal(g, tag), CU_EINVAL); /* wrong direction */
	cr_gcm_free(g);
	cr_gcm_free(NULL);
}

static void test_hashes(void **state)
{
	uint8_t d[64], want[64];
	struct cr_hash *h;

	(void)state;
	assert_int_equal(cr_sha256("abc", 3, d), 0);
	unhex("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad", want, 32);
	assert_memory_equal(d, want, 32);
	assert_int_equal(cr_sha384("abc", 3, d), 0);
	unhex("cb00753f45a35e8bb5a03d699ac65007272c32ab0eded1631a8b605a43ff5bed8086072ba1e7cc2358ba"
	      "eca134c825a7",
	      want, 48);
	assert_memory_equal(d, want, 48);
	assert_int_equal(cr_hash_new(CR_SHA384, &h), 0);
	assert_int_equal(cr_hash_update(h, "a", 1), 0);
	assert_int_equal(cr_hash_update(h, "bc", 2), 0);
	assert_int_equal(cr_hash_final(h, d), 0);
	assert_memory_equal(d, want, 48);
	assert_int_equal(cr_hash_reset(h), 0);
	assert_int_equal(cr_hash_final(h, d), 0);
	unhex("38b060a751ac96384cd9327eb1b1e36a21fdb71114be07434c0cc7bf63f6e1da274edebfe76f65fbd51a"
	      "d2f14898b95b",
	      want, 48);
	assert_memory_equal(d, want, 48);
	cr_hash_free(h);
	assert_int_equal(cr_hash_len(CR_SHA256), 32);
	assert_int_equal(cr_hash_file(CR_SHA256, "/nonexistent/file", d), CU_EIO);
}

static void test_hmac_hkdf(void **state)
{
	uint8_t mac[32], want[64], ikm[22], salt[13], info[10], okm[42];

	(void)state;
	/* RFC 4231 test case 2. */
	assert_int_equal(
	    cr_hmac(CR_SHA256, (const uint8_t *)"Jefe", 4, "what do ya want for nothing?", 28, mac),
	    0);
	unhex("5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843", want, 32);
	assert_memory_equal(mac, want, 32);
	assert_int_equal(cr_hmac_verify(CR_SHA256, (const uint8_t *)"Jefe", 4,
	                                "what do ya want for nothing?", 28, want, 32),
	                 0);
	want[31] ^= 1;
	assert_int_equal(cr_hmac_verify(CR_SHA256, (const uint8_t *)"Jefe", 4,
	                                "what do ya want for nothing?", 28, want, 32),
	                 CU_EAUTH);
	assert_int_equal(cr_hmac_verify(CR_SHA256, (const uint8_t *)"Jefe", 4,
	                                "what do ya want for nothing?", 28, want, 31),
	                 CU_EAUTH);
	/* RFC 5869 test case 1. */
	memset(ikm, 0x0b, sizeof(ikm));
	for (int i = 0; i < 13; i++)
		salt[i] = (uint8_t)i;
	for (int i = 0; i < 10; i++)
		info[i] = (uint8_t)(0xf0 + i);
	assert_int_equal(cr_hkdf(CR_SHA256, ikm, sizeof(ikm), salt, sizeof(salt), info,
	                         sizeof(info), okm, sizeof(okm)),
	                 0);
	unhex(
	    "3cb25f25faacd57a90434f64d0362f2a2d2d0a90cf1a5a4c5db02d56ecc4c5bf34007208d5b887185865",
	    want, 42);
	assert_memory_equal(okm, want, 42);
}

static void test_ed25519_kat(void **state)
{
	uint8_t sk[32], pk[32], sig[64], want[64];
	size_t siglen, pklen = sizeof(pk);
	EVP_PKEY *k;

	(void)state;
	/* RFC 8032 section 7.1, test 1. */
	unhex("9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60", sk, 32);
	k = EVP_PKEY_new_raw_private_key(EVP_PKEY_ED25519, NULL, sk, 32);
	assert_non_null(k);
	assert_int_equal(cr_pkey_type(k), CR_KEY_ED25519);
	assert_int_equal(EVP_PKEY_get_raw_public_key(k, pk, &pklen), 1);
	unhex("d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a", want, 32);
	assert_memory_equal(pk, want, 32);
	assert_int_equal(cr_sign(k, "", 0, sig, &siglen), 0);
	assert_int_equal(siglen, 64);
	unhex("e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e"
	      "39701cf9b46bd25bf5f0595bbe24655141438e7a100b",
	      want, 64);
	assert_memory_equal(sig, want, 64);
	assert_int_equal(cr_verify(k, "", 0, sig, 64), 0);
	sig[10] ^= 4;
	assert_int_equal(cr_verify(k, "", 0, sig, 64), CU_EAUTH);
	assert_int_equal(cr_verify(k, "", 0, sig, 63), CU_EAUTH);
	EVP_PKEY_free(k);
}

static void test_sign_roundtrip(void **state)
{
	static const enum cr_key_type types[] = {CR_KEY_ED25519, CR_KEY_P256, CR_KEY_P384};

	(void)state;
	for (size_t i = 0; i < 3; i++) {
		EVP_PKEY *k, *pub, *priv;
		uint8_t sig[CR_SIG_MAX_LEN], *spki;
		char *pem;
		size_t siglen, pemlen, spkilen;

		assert_int_equal(cr_pkey_generate(types[i], &k), 0);
		assert_int_equal(cr_pkey_type(k), types[i]);
		assert_int_equal(cr_sign(k, "message", 7, sig, &siglen), 0);
		assert_int_equal(siglen, cr_sig_len(types[i]));
		/* Through PEM and back, public and private. */
		assert_int_equal(cr_pkey_to_pem(k, 0, &pem, &pemlen), 0);
		assert_int_equal(cr_pkey_from_pem(pem, pemlen, 0, &pub), 0);
		EVP_PKEY_free(pub);
		free(pem);
		assert_int_equal(cr_pkey_to_pem(k, 1, &pem, &pemlen), 0);
		assert_int_equal(cr_pkey_from_pem(pem, pemlen, 1, &priv), 0);
		assert_int_equal(cr_pkey_from_pem(pem, pemlen, 0, &pub), CU_EFORMAT);
		free(pem);
		assert_int_equal(cr_pkey_from_pem(pem = "junk", 4, 0, &pub), CU_EFORMAT);
		assert_int_equal(cr_pkey_to_pem(k, 0, &pem, &pemlen), 0);
		assert_int_equal(cr_pkey_from_pem(pem, pemlen, 0, &pub), 0);
		free(pem);
		assert_int_equal(cr_verify(pub, "message", 7, sig, siglen), 0);
		assert_int_equal(cr_verify(pub, "messagf", 7, sig, siglen), CU_EAUTH);
		sig[siglen - 1] ^= 1;
		assert_int_equal(cr_verify(pub, "message", 7, sig, siglen), CU_EAUTH);
		assert_int_equal(cr_sign(priv, "message", 7, sig, &siglen), 0);
		assert_int_equal(cr_verify(pub, "message", 7, sig, siglen), 0);
		assert_int_equal(cr_pkey_spki_der(pub, &spki, &spkilen), 0);
		assert_true(spkilen > 32);
		free(spki);
		EVP_PKEY_free(k);
		EVP_PKEY_free(pub);
		EVP_PKEY_free(priv);
	}
}

static void test_ec_raw_points(void **state)
{
	EVP_PKEY *k, *raw;
	uint8_t xy[64], sig[64], *der;
	size_t siglen, derlen;
	BIGNUM *x = NULL, *y = NULL;

	(void)state;
	assert_int_equal(cr_pkey_generate(CR_KEY_P256, &k), 0);
	assert_int_equal(EVP_PKEY_get_bn_param(k, "qx", &x), 1);
	assert_int_equal(EVP_PKEY_get_bn_param(k, "qy", &y), 1);
	BN_bn2binpad(x, xy, 32);
	BN_bn2binpad(y, xy + 32, 32);
	assert_int_equal(cr_pkey_from_ec_xy(CR_KEY_P256, xy, 64, &raw), 0);
	assert_int_equal(cr_sign(k, "q", 1, sig, &siglen), 0);
	assert_int_equal(cr_verify(raw, "q", 1, sig, siglen), 0);
	/* DER and raw forms convert both ways. */
	assert_int_equal(cr_ecdsa_raw_to_der(sig, 64, &der, &derlen), 0);
	memset(sig, 0, sizeof(sig));
	assert_int_equal(cr_ecdsa_der_to_raw(der, derlen, 32, sig), 0);
	assert_int_equal(cr_verify(raw, "q", 1, sig, 64), 0);
	assert_int_equal(cr_ecdsa_der_to_raw(der, derlen - 1, 32, sig), CU_EFORMAT);
	free(der);
	EVP_PKEY_free(raw);
	/* A point off the curve, and a wrong length, are refused. */
	xy[63] ^= 1;
	assert_int_equal(cr_pkey_from_ec_xy(CR_KEY_P256, xy, 64, &raw), CU_EFORMAT);
	assert_int_equal(cr_pkey_from_ec_xy(CR_KEY_P256, xy, 63, &raw), CU_EINVAL);
	BN_free(x);
	BN_free(y);
	EVP_PKEY_free(k);
}

static void test_random(void **state)
{
	uint8_t a[32], b[32];

	(void)state;
	assert_int_equal(cr_random(a, sizeof(a)), 0);
	assert_int_equal(cr_random(b, sizeof(b)), 0);
	assert_memory_not_equal(a, b, sizeof(a));
	assert_int_equal(cr_random(a, 0), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_gcm_kat),       cmocka_unit_test(test_gcm_misuse),
	    cmocka_unit_test(test_hashes),        cmocka_unit_test(test_hmac_hkdf),
	    cmocka_unit_test(test_ed25519_kat),   cmocka_unit_test(test_sign_roundtrip),
	    cmocka_unit_test(test_ec_raw_points), cmocka_unit_test(test_random),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
