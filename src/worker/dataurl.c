/*
 * dataurl.c - the file agent's URL parsers: data: URLs (RFC 2397), the
 * path of a file: URL (RFC 8089, local files only), and the redacted form
 * of a URL for reasons and logs. All of them read untrusted text.
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "common/encoding.h"
#include "common/err.h"
#include "worker/fetch_int.h"

int fa_has_scheme(const char *url, size_t len, const char *scheme)
{
	size_t n = strlen(scheme);

	return len >= n && strncasecmp(url, scheme, n) == 0;
}

/* Characters allowed anywhere in a URL we parse: printable ASCII, no space. */
static int url_char_ok(unsigned char c)
{
	return c > 0x20 && c < 0x7f;
}

static int check_chars(const char *s, size_t n, size_t base, const char *what, char *why,
                       size_t whysz)
{
	for (size_t i = 0; i < n; i++)
		if (!url_char_ok((unsigned char)s[i]))
			return cu_reason(why, whysz, CU_EFORMAT,
			                 "byte 0x%02x at offset %zu of the %s URL is not allowed "
			                 "(percent-encode it)",
			                 (unsigned char)s[i], base + i, what);
	return 0;
}

static int hex_value(unsigned char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c |= 0x20;
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

/*
 * Percent-decode s[0..n) into out (room for n bytes); base is the offset of
 * s in its URL, for the reason. A NUL is refused unless allow_nul.
 */
static int pct_decode(const char *s, size_t n, size_t base, int allow_nul, uint8_t *out,
                      size_t *outlen, char *why, size_t whysz)
{
	size_t o = 0;

	for (size_t i = 0; i < n; i++) {
		int hi, lo;

		if (s[i] != '%') {
			out[o++] = (uint8_t)s[i];
			continue;
		}
		if (n - i < 3 || (hi = hex_value((unsigned char)s[i + 1])) < 0 ||
		    (lo = hex_value((unsigned char)s[i + 2])) < 0)
			return cu_reason(
			    why, whysz, CU_EFORMAT,
			    "bad percent escape at offset %zu of the URL (want %%XX, X hex)",
			    base + i);
		out[o] = (uint8_t)(hi << 4 | lo);
		if (!out[o] && !allow_nul)
			return cu_reason(why, whysz, CU_EINVAL, "%%00 at offset %zu of the URL",
			                 base + i);
		o++;
		i += 2;
	}
	*outlen = o;
	return 0;
}

/* meta[0..n) ends with ";base64", ignoring case. */
static int is_base64(const char *meta, size_t n)
{
	static const char tag[] = ";base64";
	size_t t = sizeof(tag) - 1;

	return n >= t && strncasecmp(meta + n - t, tag, t) == 0;
}

/* Decode the percent-decoded base64 text pct[0..plen) into *out (at most max bytes). */
static int decode_base64(const uint8_t *pct, size_t plen, uint64_t max, uint8_t **out,
                         size_t *outlen, char *why, size_t whysz)
{
	size_t cap = plen / 4 * 3 + 3, n;
	uint8_t *buf = malloc(cap);
	int rc;

	if (!buf)
		return CU_ENOMEM;
	rc = cu_b64_decode((const char *)pct, plen, buf, cap, &n, CU_B64_STD);
	if (rc) {
		free(buf);
		return cu_reason(why, whysz, CU_EFORMAT,
		                 "the data of the data: URL is not canonical base64 (padded, no "
		                 "whitespace)");
	}
	if (n > max) {
		free(buf);
		return cu_reason(why, whysz, CU_ELIMIT,
		                 "the data: URL holds %zu bytes, more than the limit %llu", n,
		                 (unsigned long long)max);
	}
	*out = buf;
	*outlen = n;
	return 0;
}

int fa_data_url_decode(const char *url, size_t len, uint64_t max, uint8_t **out, size_t *outlen,
                       char *why, size_t whysz)
{
	const size_t skip = 5; /* "data:" */
	const char *comma, *data;
	size_t dlen, plen;
	uint8_t *pct;
	int rc, b64;

	*out = NULL;
	*outlen = 0;
	if (!url || !fa_has_scheme(url, len, "data:"))
		return cu_reason(why, whysz, CU_EINVAL, "not a data: URL");
	if ((rc = check_chars(url + skip, len - skip, skip, "data:", why, whysz)))
		return rc;
	if (!(comma = memchr(url + skip, ',', len - skip)))
		return cu_reason(
		    why, whysz, CU_EFORMAT,
		    "the data: URL has no comma before its data (data:[type][;base64],DATA)");
	b64 = is_base64(url + skip, (size_t)(comma - url) - skip);
	data = comma + 1;
	dlen = len - (size_t)(data - url);
	/*
	 * Refuse early what must exceed max: a byte decoded takes at most 3
	 * characters ("%XX"); in base64, 4 characters (3 escaped) give 3 bytes,
	 * less at most 2 for padding.
	 */
	if ((b64 && dlen / 4 > 2 && dlen / 4 - 2 > max) || (!b64 && dlen / 3 > max))
		return cu_reason(why, whysz, CU_ELIMIT,
		                 "the data: URL holds more than the limit of %llu bytes",
		                 (unsigned long long)max);
	if (!(pct = malloc(dlen ? dlen : 1)))
		return CU_ENOMEM;
	rc = pct_decode(data, dlen, (size_t)(data - url), 1, pct, &plen, why, whysz);
	if (rc)
		goto fail;
	if (b64) {
		rc = decode_base64(pct, plen, max, out, outlen, why, whysz);
		free(pct);
		return rc;
	}
	if (plen > max) {
		rc = cu_reason(why, whysz, CU_ELIMIT,
		               "the data: URL holds %zu bytes, more than the limit %llu", plen,
		               (unsigned long long)max);
		goto fail;
	}
	*out = pct;
	*outlen = plen;
	return 0;
fail:
	free(pct);
	return rc;
}

/* Refuse "." and ".." components of the absolute path p[0..n). */
static int check_components(const char *p, size_t n, char *why, size_t whysz)
{
	size_t i = 0;

	while (i < n) {
		size_t j = i + 1, c;
		while (j < n && p[j] != '/')
			j++;
		c = j - i - 1; /* the component is p[i+1..j) */
		if ((c == 1 && p[i + 1] == '.') || (c == 2 && p[i + 1] == '.' && p[i + 2] == '.'))
			return cu_reason(
			    why, whysz, CU_EINVAL,
			    "the path of a file URL may not have a \".\" or \"..\" component");
		i = j;
	}
	return 0;
}

int fa_file_url_path(const char *url, size_t len, char **path, char *why, size_t whysz)
{
	const size_t skip = 7; /* "file://" */
	const char *p;
	size_t n, plen;
	char *buf;
	int rc;

	*path = NULL;
	if (!url || !fa_has_scheme(url, len, "file://"))
		return cu_reason(why, whysz, CU_EINVAL, "not a file URL (file:///ABSOLUTE/PATH)");
	p = url + skip;
	n = len - skip;
	if (!n || p[0] != '/')
		return cu_reason(
		    why, whysz, CU_EINVAL,
		    "a file URL must be file:///ABSOLUTE/PATH (no host, no relative path)");
	if ((rc = check_chars(p, n, skip, "file", why, whysz)))
		return rc == CU_EFORMAT ? CU_EINVAL : rc;
	if (memchr(p, '?', n) || memchr(p, '#', n))
		return cu_reason(
		    why, whysz, CU_EINVAL,
		    "a file URL may have no query or fragment (percent-encode '?' and '#')");
	if (n > FA_PATH_MAX * 3)
		return cu_reason(why, whysz, CU_ELIMIT, "the path of the file URL is too long");
	if (!(buf = malloc(n + 1)))
		return CU_ENOMEM;
	rc = pct_decode(p, n, skip, 0, (uint8_t *)buf, &plen, why, whysz);
	if (!rc && plen > FA_PATH_MAX)
		rc = cu_reason(why, whysz, CU_ELIMIT, "the path of the file URL is too long");
	if (!rc)
		rc = check_components(buf, plen, why, whysz);
	if (rc) {
		free(buf);
		return rc == CU_EFORMAT ? CU_EINVAL : rc;
	}
	buf[plen] = '\0';
	*path = buf;
	return 0;
}

void fa_url_for_log(const char *url, char *out, size_t outsz)
{
	size_t o = 0, i = 0, end, limit, full;
	const char *sep, *at;
	int data;

	if (!outsz)
		return;
	if (!url)
		url = "";
	full = strlen(url);
	data = fa_has_scheme(url, full, "data:");
	end = data ? full : strcspn(url, "?#");
	limit = data && end > 24 ? 24 : end;
	/* Drop "user:password@" from the authority. */
	if (!data && (sep = strstr(url, "://")) && (size_t)(sep - url) < end) {
		size_t auth = (size_t)(sep - url) + 3, alen = strcspn(url + auth, "/?#");
		at = memchr(url + auth, '@', alen);
		for (; i < auth && o + 1 < outsz; i++)
			out[o++] = url[i];
		if (at)
			i = (size_t)(at - url) + 1;
	}
	for (; i < limit && o + 1 < outsz; i++)
		out[o++] = url_char_ok((unsigned char)url[i]) ? url[i] : '?';
	if (limit < full && o + 4 < outsz) {
		memcpy(out + o, "...", 3);
		o += 3;
	}
	out[o] = '\0';
}
