/*
 * fetch.c - the file agent (fetch.h): get and put raw bytes at file://,
 * http(s):// and data: locations, and the encrypted forms that check a
 * fetched file's digest before decrypting it and encrypt outputs under
 * fresh nonces. docs/fetch.md explains the choices made here.
 */
#include <curl/curl.h>
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "common/buf.h"
#include "common/encoding.h"
#include "common/err.h"
#include "common/file.h"
#include "common/mem.h"
#include "crypto/hash.h"
#include "crypto/rand.h"
#include "worker/fetch.h"
#include "worker/fetch_int.h"

#define FA_TIMEOUT_DEFAULT_MS 60000L
#define FA_CONNECT_TIMEOUT_MS 10000L
#define FA_RETRIES_DEFAULT    2
#define FA_RETRIES_MAX        10
#define FA_BACKOFF_FIRST_MS   200L
#define FA_BACKOFF_MAX_MS     5000L
#define FA_LOG_URL_MAX        160

/* The options with their defaults applied. */
struct limits {
	size_t max;
	long timeout_ms;
	int retries;
};

static void limits_of(const struct fa_options *o, struct limits *l)
{
	uint64_t max = o && o->max_size ? o->max_size : FA_SIZE_DEFAULT;

	l->max = max > SIZE_MAX / 2 ? SIZE_MAX / 2 : (size_t)max;
	l->timeout_ms = o && o->timeout_ms > 0 ? o->timeout_ms : FA_TIMEOUT_DEFAULT_MS;
	l->retries = !o || !o->retries ? FA_RETRIES_DEFAULT : o->retries < 0 ? 0 : o->retries;
	if (l->retries > FA_RETRIES_MAX)
		l->retries = FA_RETRIES_MAX;
}

/* ---- file:// ---- */

static int errno_rc(int e)
{
	switch (e) {
	case ENOENT:
	case ENOTDIR:
		return CU_ENOTFOUND;
	case EACCES:
	case EPERM:
		return CU_EPERM;
	case ENOMEM:
		return CU_ENOMEM;
	default:
		return CU_EIO;
	}
}

/*
 * O_NOFOLLOW: the final component may not be a symbolic link (directories
 * on the way may), so that a link planted where a file is expected cannot
 * redirect the read; O_NONBLOCK: opening a FIFO does not hang.
 */
static int file_get(const char *url, size_t ulen, const char *lurl, const struct limits *l,
                    uint8_t **out, size_t *len, char *why, size_t whysz)
{
	char *path = NULL;
	struct stat st;
	int fd = -1, rc;

	if ((rc = fa_file_url_path(url, ulen, &path, why, whysz)))
		return rc;
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY);
	if (fd < 0) {
		int e = errno;
		rc = e == ELOOP
		         ? cu_reason(why, whysz, CU_EINVAL,
		                     "%s is a symbolic link: give the file it points to", lurl)
		         : cu_reason(why, whysz, errno_rc(e), "cannot open %s: %s", lurl,
		                     strerror(e));
		goto out;
	}
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
		rc = cu_reason(why, whysz, CU_EINVAL, "%s is not a regular file", lurl);
		goto out;
	}
	if ((uint64_t)st.st_size > l->max) {
		rc = cu_reason(why, whysz, CU_ELIMIT, "%s has %lld bytes, more than the limit %zu",
		               lurl, (long long)st.st_size, l->max);
		goto out;
	}
	/* The size is bounded again while reading: the file may grow meanwhile. */
	if ((rc = cu_fd_read_all(fd, l->max, out, len)))
		rc = cu_reason(why, whysz, rc, "reading %s: %s", lurl, cu_strerror(rc));
out:
	if (fd >= 0)
		close(fd);
	free(path);
	return rc;
}

/* The parent directory must exist already, and path may not be a directory. */
static int file_put(const char *url, size_t ulen, const char *lurl, const uint8_t *data, size_t n,
                    char *why, size_t whysz)
{
	char *path = NULL, *copy = NULL;
	struct stat st;
	int rc;

	if ((rc = fa_file_url_path(url, ulen, &path, why, whysz)))
		return rc;
	rc = CU_ENOMEM;
	if (!(copy = cu_strdup(path)))
		goto out;
	if (stat(dirname(copy), &st) != 0 || !S_ISDIR(st.st_mode)) {
		rc =
		    cu_reason(why, whysz, CU_ENOTFOUND, "the directory of %s does not exist", lurl);
		goto out;
	}
	if (lstat(path, &st) == 0 && S_ISDIR(st.st_mode)) {
		rc = cu_reason(why, whysz, CU_EINVAL, "%s is a directory", lurl);
		goto out;
	}
	/* A temporary beside it, then rename: a symbolic link at path is replaced, not followed. */
	if ((rc = cu_file_write_atomic(path, data, n, 0600)))
		rc = cu_reason(why, whysz, rc, "writing %s: %s", lurl, cu_strerror(rc));
out:
	free(copy);
	free(path);
	return rc;
}

/* ---- http:// and https:// ---- */

static pthread_once_t curl_once = PTHREAD_ONCE_INIT;
static CURLcode curl_init_rc = CURLE_FAILED_INIT;

static void curl_init(void)
{
	curl_init_rc = curl_global_init(CURL_GLOBAL_DEFAULT);
}

/* One transfer: the body received (GET) or the bytes to send (PUT). */
struct xfer {
	struct cu_buf body;
	int too_big;
	const uint8_t *up;
	size_t up_len, up_off;
	char errbuf[CURL_ERROR_SIZE];
};

static size_t get_write_cb(char *data, size_t size, size_t n, void *arg)
{
	struct xfer *x = arg;

	/* curl guarantees size * n fits; a short count stops the transfer. */
	if (cu_buf_append(&x->body, data, size * n)) {
		x->too_big = 1;
		return 0;
	}
	return size * n;
}

/* A PUT's reply body is not needed. */
static size_t discard_cb(char *data, size_t size, size_t n, void *arg)
{
	(void)data;
	(void)arg;
	return size * n;
}

static size_t put_read_cb(char *buf, size_t size, size_t n, void *arg)
{
	struct xfer *x = arg;
	size_t room = size * n, left = x->up_len - x->up_off;
	size_t k = left < room ? left : room;

	if (k)
		memcpy(buf, x->up + x->up_off, k);
	x->up_off += k;
	return k;
}

static int set_options(CURL *h, const char *url, const struct limits *l, struct xfer *x,
                       struct curl_slist *hdrs)
{
	CURLcode rc = CURLE_OK;

#define SET(opt, val)                                                                              \
	do {                                                                                       \
		if (rc == CURLE_OK)                                                                \
			rc = curl_easy_setopt(h, opt, val);                                        \
	} while (0)
	SET(CURLOPT_URL, url);
	SET(CURLOPT_NOSIGNAL, 1L);
	SET(CURLOPT_PROTOCOLS_STR, "http,https");
	SET(CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
	/* Redirects are not followed: a 3xx is an error (docs/fetch.md). */
	SET(CURLOPT_FOLLOWLOCATION, 0L);
	/* Not a security boundary (the digest and the AEAD are) but a bad certificate is an error.
	 */
	SET(CURLOPT_SSL_VERIFYPEER, 1L);
	SET(CURLOPT_SSL_VERIFYHOST, 2L);
	SET(CURLOPT_SSLVERSION, (long)CURL_SSLVERSION_TLSv1_2);
	SET(CURLOPT_FAILONERROR, 1L);
	SET(CURLOPT_MAXFILESIZE_LARGE, (curl_off_t)l->max);
	SET(CURLOPT_TIMEOUT_MS, l->timeout_ms);
	SET(CURLOPT_CONNECTTIMEOUT_MS,
	    l->timeout_ms < FA_CONNECT_TIMEOUT_MS ? l->timeout_ms : FA_CONNECT_TIMEOUT_MS);
	SET(CURLOPT_USERAGENT, "custos-worker");
	SET(CURLOPT_ERRORBUFFER, x->errbuf);
	SET(CURLOPT_HTTPHEADER, hdrs);
#undef SET
	if (rc == CURLE_OUT_OF_MEMORY)
		return CU_ENOMEM;
	return rc == CURLE_OK ? 0 : CU_EUNSUPPORTED;
}

static int set_method(CURL *h, struct xfer *x)
{
	CURLcode rc;

	if (!x->up) {
		rc = curl_easy_setopt(h, CURLOPT_HTTPGET, 1L);
		if (!rc)
			rc = curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, get_write_cb);
		if (!rc)
			rc = curl_easy_setopt(h, CURLOPT_WRITEDATA, x);
		return rc ? CU_EUNSUPPORTED : 0;
	}
	rc = curl_easy_setopt(h, CURLOPT_UPLOAD, 1L);
	if (!rc)
		rc = curl_easy_setopt(h, CURLOPT_READFUNCTION, put_read_cb);
	if (!rc)
		rc = curl_easy_setopt(h, CURLOPT_READDATA, x);
	if (!rc)
		rc = curl_easy_setopt(h, CURLOPT_INFILESIZE_LARGE, (curl_off_t)x->up_len);
	if (!rc)
		rc = curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, discard_cb);
	return rc ? CU_EUNSUPPORTED : 0;
}

/* Failures worth another attempt: the network, the peer's end, a 5xx. */
static int transient(CURLcode cc, long status)
{
	switch (cc) {
	case CURLE_COULDNT_RESOLVE_HOST:
	case CURLE_COULDNT_CONNECT:
	case CURLE_OPERATION_TIMEDOUT:
	case CURLE_SEND_ERROR:
	case CURLE_RECV_ERROR:
	case CURLE_GOT_NOTHING:
	case CURLE_PARTIAL_FILE:
	case CURLE_HTTP2:
	case CURLE_HTTP2_STREAM:
		return 1;
	case CURLE_HTTP_RETURNED_ERROR:
		return status >= 500;
	default:
		return 0;
	}
}

static int status_rc(long status)
{
	if (status == 404 || status == 410)
		return CU_ENOTFOUND;
	if (status == 401 || status == 403)
		return CU_EPERM;
	return CU_ENET;
}

static int curl_rc(CURLcode cc)
{
	switch (cc) {
	case CURLE_OUT_OF_MEMORY:
		return CU_ENOMEM;
	case CURLE_OPERATION_TIMEDOUT:
		return CU_ETIMEOUT;
	case CURLE_URL_MALFORMAT:
	case CURLE_UNSUPPORTED_PROTOCOL:
		return CU_EINVAL;
	case CURLE_PEER_FAILED_VERIFICATION:
	case CURLE_SSL_CONNECT_ERROR:
	case CURLE_SSL_CERTPROBLEM:
	case CURLE_SSL_CACERT_BADFILE:
		return CU_ETLS;
	case CURLE_READ_ERROR:
	case CURLE_WRITE_ERROR:
		return CU_EIO;
	default:
		return CU_ENET;
	}
}

/* The outcome of one performed transfer; *retry says whether another attempt may help. */
static int outcome(CURL *h, CURLcode cc, struct xfer *x, const char *method, const char *lurl,
                   const struct limits *l, int *retry, char *why, size_t whysz)
{
	long status = 0;

	curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status);
	*retry = transient(cc, status);
	if (x->too_big || cc == CURLE_FILESIZE_EXCEEDED)
		return cu_reason(why, whysz, CU_ELIMIT,
		                 "%s %s: the file is larger than the limit %zu", method, lurl,
		                 l->max);
	if (cc == CURLE_HTTP_RETURNED_ERROR)
		return cu_reason(why, whysz, status_rc(status), "%s %s: HTTP status %ld", method,
		                 lurl, status);
	if (cc != CURLE_OK)
		return cu_reason(why, whysz, curl_rc(cc), "%s %s: %s", method, lurl,
		                 x->errbuf[0] ? x->errbuf : curl_easy_strerror(cc));
	if (status >= 300 && status < 400)
		return cu_reason(why, whysz, CU_ENET,
		                 "%s %s: HTTP status %ld, a redirect, which is not followed "
		                 "(register the final URL)",
		                 method, lurl, status);
	if (status < 200 || status >= 300)
		return cu_reason(why, whysz, CU_ENET, "%s %s: unexpected HTTP status %ld", method,
		                 lurl, status);
	return 0;
}

static int http_once(const char *url, const char *lurl, const struct limits *l, struct xfer *x,
                     int *retry, char *why, size_t whysz)
{
	const char *method = x->up ? "PUT" : "GET";
	struct curl_slist *hdrs = NULL, *t;
	CURL *h;
	int rc = CU_ENOMEM;

	*retry = 0;
	if (!(h = curl_easy_init()))
		return CU_ENOMEM;
	/* No "Expect: 100-continue" wait before a PUT's body. */
	if (!(t = curl_slist_append(hdrs, "Expect:")))
		goto out;
	hdrs = t;
	if (x->up) {
		if (!(t = curl_slist_append(hdrs, "Content-Type: application/octet-stream")))
			goto out;
		hdrs = t;
	}
	if ((rc = set_options(h, url, l, x, hdrs)) || (rc = set_method(h, x))) {
		rc = cu_reason(why, whysz, rc, "%s %s: libcurl refused an option", method, lurl);
		goto out;
	}
	rc = outcome(h, curl_easy_perform(h), x, method, lurl, l, retry, why, whysz);
out:
	curl_slist_free_all(hdrs);
	curl_easy_cleanup(h);
	return rc;
}

static void sleep_ms(long ms)
{
	struct timespec ts = {.tv_sec = ms / 1000, .tv_nsec = (ms % 1000) * 1000000L};

	while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
		;
}

/* GET (up == NULL: the body into *out) or PUT (up[0..up_len)), with retries and backoff. */
static int http_transfer(const char *url, const char *lurl, const struct limits *l,
                         const uint8_t *up, size_t up_len, uint8_t **out, size_t *len, char *why,
                         size_t whysz)
{
	struct xfer x;
	long backoff = FA_BACKOFF_FIRST_MS;
	int rc, retry = 0, attempt;

	pthread_once(&curl_once, curl_init);
	if (curl_init_rc != CURLE_OK)
		return cu_reason(why, whysz, CU_EUNSUPPORTED, "libcurl did not initialise");
	for (attempt = 0;; attempt++) {
		memset(&x, 0, sizeof(x));
		cu_buf_init(&x.body, l->max);
		x.up = up;
		x.up_len = up_len;
		rc = http_once(url, lurl, l, &x, &retry, why, whysz);
		if (!rc || !retry || attempt >= l->retries)
			break;
		cu_buf_free(&x.body);
		sleep_ms(backoff);
		backoff = backoff * 2 > FA_BACKOFF_MAX_MS ? FA_BACKOFF_MAX_MS : backoff * 2;
	}
	if (rc) {
		cu_buf_free(&x.body);
		if (attempt && why && whysz) {
			size_t k = strlen(why);
			cu_reason(why + k, whysz - k, rc, " (after %d attempts)", attempt + 1);
		}
		return rc;
	}
	if (!up) {
		if (!x.body.data && (rc = cu_buf_reserve(&x.body, 1)))
			return rc;
		*out = x.body.data;
		*len = x.body.len;
	}
	return 0;
}

/* ---- the API ---- */

enum scheme { SCHEME_FILE, SCHEME_HTTP, SCHEME_DATA, SCHEME_FUSION, SCHEME_OTHER };

static enum scheme scheme_of(const char *url, size_t n)
{
	if (fa_has_scheme(url, n, "file:"))
		return SCHEME_FILE; /* fa_file_url_path refuses all but file:///ABS */
	if (fa_has_scheme(url, n, "http://") || fa_has_scheme(url, n, "https://"))
		return SCHEME_HTTP;
	if (fa_has_scheme(url, n, "data:"))
		return SCHEME_DATA;
	if (fa_has_scheme(url, n, "fusion://"))
		return SCHEME_FUSION;
	return SCHEME_OTHER;
}

/* Checks common to get and put; *s gets the scheme. */
static int check_url(const char *url, const char *lurl, enum scheme *s, char *why, size_t whysz)
{
	size_t n = strlen(url);

	*s = scheme_of(url, n);
	if (*s == SCHEME_DATA)
		return 0; /* bounded by the size limit, checked by its parser */
	if (n > FA_URL_MAX)
		return cu_reason(why, whysz, CU_ELIMIT, "the URL is longer than %d bytes",
		                 FA_URL_MAX);
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)url[i] <= 0x20 || (unsigned char)url[i] >= 0x7f)
			return cu_reason(why, whysz, CU_EINVAL,
			                 "byte 0x%02x at offset %zu of the URL is not allowed",
			                 (unsigned char)url[i], i);
	if (*s == SCHEME_FUSION)
		return cu_reason(why, whysz, CU_EUNSUPPORTED,
		                 "%s: fusion:// files are kept by the platform, not the file agent",
		                 lurl);
	if (*s == SCHEME_OTHER)
		return cu_reason(why, whysz, CU_EUNSUPPORTED,
		                 "%s: unsupported location (file://, http://, https://, data:)",
		                 lurl);
	return 0;
}

int fa_get(const char *url, const struct fa_options *o, uint8_t **out, size_t *len, char *why,
           size_t whysz)
{
	char lurl[FA_LOG_URL_MAX];
	struct limits l;
	enum scheme s;
	int rc;

	if (why && whysz)
		why[0] = '\0';
	if (!out || !len)
		return cu_reason(why, whysz, CU_EINVAL, "fa_get: no output");
	*out = NULL;
	*len = 0;
	if (!url)
		return cu_reason(why, whysz, CU_EINVAL, "fa_get: no URL");
	limits_of(o, &l);
	fa_url_for_log(url, lurl, sizeof(lurl));
	if ((rc = check_url(url, lurl, &s, why, whysz)))
		return rc;
	switch (s) {
	case SCHEME_DATA:
		return fa_data_url_decode(url, strlen(url), l.max, out, len, why, whysz);
	case SCHEME_FILE:
		return file_get(url, strlen(url), lurl, &l, out, len, why, whysz);
	default:
		return http_transfer(url, lurl, &l, NULL, 0, out, len, why, whysz);
	}
}

int fa_put(const char *url, const struct fa_options *o, const uint8_t *data, size_t len, char *why,
           size_t whysz)
{
	char lurl[FA_LOG_URL_MAX];
	struct limits l;
	enum scheme s;
	int rc;

	if (why && whysz)
		why[0] = '\0';
	if (!url || (!data && len))
		return cu_reason(why, whysz, CU_EINVAL, "fa_put: no URL or no data");
	limits_of(o, &l);
	fa_url_for_log(url, lurl, sizeof(lurl));
	if ((rc = check_url(url, lurl, &s, why, whysz)))
		return rc;
	if (len > l.max)
		return cu_reason(why, whysz, CU_ELIMIT,
		                 "put %s: %zu bytes, more than the limit %zu", lurl, len, l.max);
	if (!data)
		data = (const uint8_t *)"";
	switch (s) {
	case SCHEME_DATA:
		return cu_reason(why, whysz, CU_EUNSUPPORTED, "a data: URL cannot be written to");
	case SCHEME_FILE:
		return file_put(url, strlen(url), lurl, data, len, why, whysz);
	default:
		return http_transfer(url, lurl, &l, data, len, NULL, NULL, why, whysz);
	}
}

static int check_crypto(const struct fa_crypto *c, char *why, size_t whysz)
{
	size_t want;

	if (!c)
		return cu_reason(why, whysz, CU_EINVAL, "no crypto information");
	if (!(want = ef_format_key_len(c->format)))
		return cu_reason(why, whysz, CU_EUNSUPPORTED, "unknown file format %d",
		                 (int)c->format);
	if (c->key_len != want)
		return cu_reason(why, whysz, CU_EKEY, "a %s key must have %zu bytes, not %zu",
		                 ef_format_name(c->format), want, c->key_len);
	return 0;
}

static int is_teaclave(enum ef_format f)
{
	return f == EF_FORMAT_AES_GCM_128 || f == EF_FORMAT_AES_GCM_256;
}

/* Reason for a digest mismatch: both digests in hex (they are not secret). */
static int digest_mismatch(const char *lurl, const uint8_t got[32], const uint8_t want[32],
                           char *why, size_t whysz)
{
	char g[65], w[65];

	if (cu_hex_encode(got, 32, g, sizeof(g)) || cu_hex_encode(want, 32, w, sizeof(w)))
		g[0] = w[0] = '\0';
	return cu_reason(why, whysz, CU_EAUTH,
	                 "the file at %s is not the one registered (digest %s, registered %s)",
	                 lurl, g, w);
}

int fa_open(const char *what, const uint8_t *ct, size_t n, const uint8_t digest[32],
            const struct fa_crypto *c, uint64_t max, uint8_t **plain, size_t *len, char *why,
            size_t whysz)
{
	uint8_t got[CR_SHA256_LEN];
	int rc;

	if (why && whysz)
		why[0] = '\0';
	if (!plain || !len || !digest || (!ct && n) || !what)
		return cu_reason(why, whysz, CU_EINVAL, "fa_open: missing argument");
	*plain = NULL;
	*len = 0;
	if ((rc = check_crypto(c, why, whysz)))
		return rc;
	if ((rc = cr_sha256(ct ? ct : (const uint8_t *)"", n, got)))
		return cu_reason(why, whysz, rc, "hashing %s failed", what);
	/* Before any decryption: a swapped file never reaches the decryptor. */
	if (!cu_ct_eq(got, digest, CR_SHA256_LEN))
		return digest_mismatch(what, got, digest, why, whysz);
	rc = ef_decrypt_buf(c->format, c->key, c->key_len, c->iv, ct, n,
	                    max ? max : FA_SIZE_DEFAULT, plain, len);
	if (rc && rc != CU_ENOMEM)
		rc = cu_reason(why, whysz, CU_EAUTH,
		               "the file at %s does not decrypt as %s with its registered key (%s)",
		               what, ef_format_name(c->format), cu_strerror(rc));
	return rc;
}

int fa_get_decrypted(const char *url, const uint8_t digest[32], const struct fa_crypto *c,
                     const struct fa_options *o, uint8_t **plain, size_t *len, char *why,
                     size_t whysz)
{
	char lurl[FA_LOG_URL_MAX];
	uint8_t *ct = NULL;
	struct limits l;
	size_t n = 0;
	int rc;

	if (why && whysz)
		why[0] = '\0';
	if (!plain || !len || !digest)
		return cu_reason(why, whysz, CU_EINVAL, "fa_get_decrypted: missing argument");
	*plain = NULL;
	*len = 0;
	if ((rc = check_crypto(c, why, whysz)) || (rc = fa_get(url, o, &ct, &n, why, whysz)))
		return rc;
	limits_of(o, &l);
	fa_url_for_log(url, lurl, sizeof(lurl));
	rc = fa_open(lurl, ct, n, digest, c, l.max, plain, len, why, whysz);
	free(ct);
	return rc;
}

int fa_seal(struct fa_crypto *c, const uint8_t *plain, size_t len, uint8_t **ct, size_t *n,
            uint8_t digest[32], char *why, size_t whysz)
{
	int rc;

	if (why && whysz)
		why[0] = '\0';
	if (!digest || !ct || !n || (!plain && len))
		return cu_reason(why, whysz, CU_EINVAL, "fa_seal: missing argument");
	*ct = NULL;
	*n = 0;
	memset(digest, 0, CR_SHA256_LEN);
	if ((rc = check_crypto(c, why, whysz)))
		return rc;
	/* Never the caller's IV: a key is never used twice with one IV. */
	if (is_teaclave(c->format) && cr_random(c->iv, sizeof(c->iv)))
		return cu_reason(why, whysz, CU_ECRYPTO, "no random IV");
	if ((rc = ef_encrypt_buf(c->format, c->key, c->key_len, c->iv,
	                         plain ? plain : (const uint8_t *)"", len, ct, n)))
		return cu_reason(why, whysz, rc, "encryption failed: %s", cu_strerror(rc));
	if ((rc = cr_sha256(*ct, *n, digest))) {
		free(*ct);
		*ct = NULL;
		*n = 0;
		return cu_reason(why, whysz, rc, "hashing the output failed");
	}
	return 0;
}

int fa_put_encrypted(const char *url, struct fa_crypto *c, const struct fa_options *o,
                     const uint8_t *plain, size_t len, uint8_t digest[32], char *why, size_t whysz)
{
	uint8_t d[CR_SHA256_LEN], *ct = NULL;
	size_t n = 0;
	int rc;

	if (!digest)
		return cu_reason(why, whysz, CU_EINVAL, "fa_put_encrypted: missing argument");
	memset(digest, 0, CR_SHA256_LEN);
	if ((rc = fa_seal(c, plain, len, &ct, &n, d, why, whysz)))
		return rc;
	if (!(rc = fa_put(url, o, ct, n, why, whysz)))
		memcpy(digest, d, sizeof(d));
	free(ct);
	return rc;
}
