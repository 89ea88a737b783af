/* crypto.h - the thin OpenSSL 3 wrappers of Custos, all in one include. */
#ifndef CUSTOS_CRYPTO_CRYPTO_H
#define CUSTOS_CRYPTO_CRYPTO_H

#include "crypto/gcm.h"
#include "crypto/hash.h"
#include "crypto/hkdf.h"
#include "crypto/hmac.h"
#include "crypto/pkey.h"
#include "crypto/rand.h"

#endif
