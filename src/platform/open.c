/*
 * open.c - opening the control plane: the token-signing key (made once,
 * kept sealed in the store), the admin account, tasks to recover.
 */
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "common/err.h"
#include "common/mem.h"
#include "common/time.h"
#include "crypto/rand.h"
#include "platform/platform_int.h"
#include "store/store.h"

#define TOKEN_KEY_NAME "token-key"
#define ED25519_LEN    32

/* The token key from the store, or a new one written there. */
static int token_key(struct platform *p)
{
	uint8_t *v = NULL, raw[ED25519_LEN];
	size_t n = 0;
	int rc = st_get(p->st, PLAT_T_SECRETS, TOKEN_KEY_NAME, &v, &n, NULL);

	if (rc == 0) {
		if (n != ED25519_LEN) {
			cu_free_secret(v, n);
			return CU_EFORMAT;
		}
		memcpy(raw, v, ED25519_LEN);
		cu_free_secret(v, n);
	} else if (rc == CU_ENOTFOUND) {
		if ((rc = cr_random(raw, sizeof(raw))) ||
		    (rc = st_cas(p->st, PLAT_T_SECRETS, TOKEN_KEY_NAME, 0, raw, sizeof(raw),
		                 NULL))) {
			cu_wipe(raw, sizeof(raw));
			return rc;
		}
	} else {
		return rc;
	}
	p->tok_key = EVP_PKEY_new_raw_private_key(EVP_PKEY_ED25519, NULL, raw, sizeof(raw));
	cu_wipe(raw, sizeof(raw));
	return p->tok_key ? 0 : CU_ECRYPTO;
}

int plat_open(struct st_store *st, const struct plat_options *o, struct platform **out,
              char *admin_password, size_t admin_password_sz)
{
	struct platform *p;
	int rc;

	if (!st || !out || !admin_password || admin_password_sz < 64)
		return CU_EINVAL;
	*out = NULL;
	admin_password[0] = '\0';
	if (o && o->token_lifetime < 0)
		return CU_EINVAL;
	if (!(p = calloc(1, sizeof(*p))))
		return CU_ENOMEM;
	p->st = st;
	pthread_mutex_init(&p->tok_mu, NULL);
	pthread_mutex_init(&p->run_mu, NULL);
	p->tok_cache = calloc(PLAT_TOKEN_CACHE, sizeof(*p->tok_cache));
	p->token_lifetime =
	    o && o->token_lifetime ? o->token_lifetime : PLAT_TOKEN_LIFETIME_DEFAULT;
	p->now = o && o->now ? o->now : cu_time_now;
	if (o) {
		p->on_staged = o->on_staged;
		p->on_done = o->on_done;
		p->notify_arg = o->notify_arg;
	}
	if ((rc = token_key(p)) ||
	    (rc = plat_users_bootstrap(p, o && o->admin_user ? o->admin_user : "admin",
	                               o ? o->admin_password : NULL, admin_password,
	                               admin_password_sz)) ||
	    (rc = plat_tasks_recover(p))) {
		plat_close(p);
		return rc;
	}
	*out = p;
	return 0;
}

void plat_close(struct platform *p)
{
	if (!p)
		return;
	EVP_PKEY_free(p->tok_key);
	if (p->tok_cache)
		cu_free_secret(p->tok_cache, PLAT_TOKEN_CACHE * sizeof(*p->tok_cache));
	pthread_mutex_destroy(&p->tok_mu);
	pthread_mutex_destroy(&p->run_mu);
	free(p);
}

int plat_authenticate(struct platform *p, const char *token, struct plat_caller *who,
                      struct plat_error *err)
{
	if (!p || !token || !who)
		return CU_EINVAL;
	return plat_users_authenticate(p, token, who, err);
}
