/*
 * password.h - Argon2id password hashes in the PHC string format.
 *
 *   $argon2id$v=19$m=<KiB>,t=<passes>,p=<lanes>$<salt>$<hash>
 *
 * salt and hash are standard base64 without padding, as libargon2 writes
 * them. New hashes take a 16-byte salt from cr_random() and a 32-byte
 * output; the default cost is OWASP's for Argon2id (19 MiB, 2 passes, 1
 * lane).
 *
 * An encoded string is untrusted (it comes from a database row): before any
 * hashing, pw_verify() parses it strictly and refuses, with CU_EFORMAT, any
 * other variant or version, unknown or reordered parameters, numbers with a
 * sign or leading zeros, and costs beyond PW_VERIFY_M_MAX, PW_VERIFY_T_MAX
 * and PW_VERIFY_P_MAX, so that a corrupt or malicious row cannot make the
 * platform allocate gigabytes or spin for minutes.
 *
 * Passwords are byte strings of PW_LEN_MIN..PW_LEN_MAX bytes (not
 * NUL-terminated, not normalised). A new password must also pass
 * pw_check_quality(): at least PW_CHARS_MIN characters, counted as UTF-8
 * code points. The module never stores or logs a password and wipes every
 * buffer that held derived bytes.
 */
#ifndef CUSTOS_PLATFORM_PASSWORD_H
#define CUSTOS_PLATFORM_PASSWORD_H

#include <stddef.h>
#include <stdint.h>

/* Password length in bytes, accepted by every function. */
#define PW_LEN_MIN 1
#define PW_LEN_MAX 1024
/* The quality rule for a new password: at least this many code points. */
#define PW_CHARS_MIN 8

/* Default cost (OWASP Password Storage Cheat Sheet, Argon2id). */
#define PW_DEFAULT_M_KIB (19 * 1024)
#define PW_DEFAULT_T     2
#define PW_DEFAULT_P     1

/* Bounds on the cost of a stored hash, checked before any allocation. */
#define PW_VERIFY_M_MAX (256 * 1024) /* KiB: 256 MiB */
#define PW_VERIFY_T_MAX 10
#define PW_VERIFY_P_MAX 8

/* Salt and hash lengths: what we write, and what we accept in a stored string. */
#define PW_SALT_LEN     16
#define PW_HASH_LEN     32
#define PW_SALT_LEN_MIN 8
#define PW_SALT_LEN_MAX 64
#define PW_HASH_LEN_MIN 16
#define PW_HASH_LEN_MAX 64

/* Room for any encoded string we accept, with its NUL; longer strings are refused. */
#define PW_ENCODED_MAX 256

/*
 * Argon2id cost. m_kib is at least 8 * p (Argon2's minimum) and every field
 * lies within the PW_VERIFY_* bounds, so that what pw_hash() writes
 * pw_verify() accepts.
 */
struct pw_params {
	uint32_t m_kib; /* memory in KiB */
	uint32_t t;     /* passes */
	uint32_t p;     /* lanes (and threads) */
};

/* The default cost, PW_DEFAULT_*. */
void pw_params_default(struct pw_params *params);

/*
 * 0 when password[0..len) may be set as a new password: PW_LEN_MIN..
 * PW_LEN_MAX bytes and at least PW_CHARS_MIN code points (bytes that are not
 * UTF-8 continuation bytes). CU_ELIMIT when it is too long, CU_EPOLICY when
 * it is too short.
 */
int pw_check_quality(const char *password, size_t len) __attribute__((warn_unused_result));

/*
 * Hash a new password into out[0..outsz) as a NUL-terminated PHC string,
 * with a fresh random salt and the default cost. The password must pass
 * pw_check_quality() (its error is returned otherwise). CU_ELIMIT when out
 * is smaller than the string (PW_ENCODED_MAX always suffices). out is an
 * empty string on failure (when outsz > 0).
 */
int pw_hash(const char *password, size_t len, char *out, size_t outsz)
    __attribute__((warn_unused_result));

/* pw_hash() with the cost params (NULL: the default); CU_EINVAL when it is out of bounds. */
int pw_hash_params(const char *password, size_t len, const struct pw_params *params, char *out,
                   size_t outsz) __attribute__((warn_unused_result));

/*
 * Check password[0..len) against the NUL-terminated PHC string encoded.
 * 0 when it matches; CU_EAUTH when it does not, or when len is outside
 * PW_LEN_MIN..PW_LEN_MAX; CU_EFORMAT when encoded is malformed or its cost
 * is out of bounds (no hashing is done then). The derived hash is compared
 * in constant time.
 */
int pw_verify(const char *encoded, const char *password, size_t len)
    __attribute__((warn_unused_result));

/*
 * 1 when encoded was made with a cost other than params (NULL: the default)
 * or with another salt or hash length, so that the caller should hash the
 * password again after a successful pw_verify(); 0 when it is current;
 * CU_EFORMAT when encoded is malformed.
 */
int pw_needs_rehash(const char *encoded, const struct pw_params *params)
    __attribute__((warn_unused_result));

#endif
