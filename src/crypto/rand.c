#include "crypto/rand.h"

#include <limits.h>
#include <openssl/rand.h>

#include "common/err.h"

int cr_random(void *buf, size_t n)
{
	unsigned char *p = buf;

	while (n) {
		int k = n > INT_MAX ? INT_MAX : (int)n;
		if (RAND_bytes(p, k) != 1)
			return CU_ECRYPTO;
		p += k;
		n -= (size_t)k;
	}
	return 0;
}
