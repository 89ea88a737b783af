/*
 * password_int.h - the PHC string parser of password.c, for the fuzzer and
 * the tests; not part of the module's API.
 */
#ifndef CUSTOS_PLATFORM_PASSWORD_INT_H
#define CUSTOS_PLATFORM_PASSWORD_INT_H

#include <stddef.h>
#include <stdint.h>

#include "platform/password.h"

/* A parsed "$argon2id$v=19$..." string; copies, no pointers into the text. */
struct pw_phc {
	struct pw_params params;
	uint8_t salt[PW_SALT_LEN_MAX];
	size_t salt_len;
	uint8_t hash[PW_HASH_LEN_MAX];
	size_t hash_len;
};

/*
 * Parse and bound the NUL-terminated encoded (at most PW_ENCODED_MAX - 1
 * characters). Never hashes or allocates. CU_EFORMAT for anything but a
 * canonical Argon2id v=19 string within the PW_VERIFY_* and length bounds;
 * *out is zeroed then.
 */
int pw_phc_parse(const char *encoded, struct pw_phc *out) __attribute__((warn_unused_result));

#endif
