/*
 * encoding.h - hex and base64 in constant time.
 *
 * The encoders and decoders take time that depends only on the length, not
 * on the bytes, so that they may carry keys. Decoders reject any character
 * outside the alphabet (hex accepts both cases; base64 requires canonical
 * padding in the standard variant and no padding in the url variant).
 */
#ifndef CUSTOS_COMMON_ENCODING_H
#define CUSTOS_COMMON_ENCODING_H

#include <stddef.h>
#include <stdint.h>

/* Lower-case hex of in[0..n) into out, which must hold 2n+1 bytes (NUL-terminated). */
int cu_hex_encode(const uint8_t *in, size_t n, char *out, size_t outsz);

/*
 * Decode hex text (len characters, even) into out[0..outsz); *outlen gets
 * len/2. CU_EFORMAT for a bad character or odd length, CU_ELIMIT when out is
 * too small. out is wiped on failure.
 */
int cu_hex_decode(const char *hex, size_t len, uint8_t *out, size_t outsz, size_t *outlen);

/* Decode exactly n bytes of hex (a NUL-terminated string of length 2n). */
int cu_hex_decode_exact(const char *hex, uint8_t *out, size_t n);

enum cu_b64_variant { CU_B64_STD, CU_B64_URL };

/* Size of the encoding of n bytes, with its NUL. */
size_t cu_b64_encoded_size(size_t n, enum cu_b64_variant v);

int cu_b64_encode(const uint8_t *in, size_t n, char *out, size_t outsz, enum cu_b64_variant v);

/* Decode len characters; out gets at most len*3/4 bytes. */
int cu_b64_decode(const char *in, size_t len, uint8_t *out, size_t outsz, size_t *outlen,
                  enum cu_b64_variant v);

#endif
