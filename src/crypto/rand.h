/* rand.h - random bytes from OpenSSL's CSPRNG. */
#ifndef CUSTOS_CRYPTO_RAND_H
#define CUSTOS_CRYPTO_RAND_H

#include <stddef.h>

/* Fill buf with n random bytes; CU_ECRYPTO if the generator fails. */
int cr_random(void *buf, size_t n) __attribute__((warn_unused_result));

#endif
