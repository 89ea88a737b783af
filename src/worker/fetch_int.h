/*
 * fetch_int.h - the file agent's URL parsers, for fetch.c, the unit tests
 * and the fuzzer. Every function here parses untrusted text: it never reads
 * past the length it is given, allocates at most what its bound allows, and
 * explains a refusal in one line in why.
 */
#ifndef CUSTOS_WORKER_FETCH_INT_H
#define CUSTOS_WORKER_FETCH_INT_H

#include <stddef.h>
#include <stdint.h>

/* Longest URL the file agent accepts (data: URLs excepted: their bound is the file size). */
#define FA_URL_MAX 8192
/* Longest path of a file:// URL, after percent-decoding. */
#define FA_PATH_MAX 4096

/* 1 if url[0..len) starts with scheme (which ends with ':' or "://"), ignoring case. */
int fa_has_scheme(const char *url, size_t len, const char *scheme);

/*
 * Decode an RFC 2397 URL, url[0..len): "data:" [mediatype] [";base64"] ","
 * data. The media type is checked only for its characters (printable ASCII,
 * no space); ";base64" must be its last parameter. The data is
 * percent-decoded; in the base64 form the result must then be canonical
 * standard base64 (padded, no whitespace). Every byte of the URL must be
 * printable ASCII without space. *out (malloc'd, never NULL on success, even
 * for empty data) gets at most max bytes: CU_ELIMIT beyond that, before
 * allocating more than the URL's length. CU_EFORMAT for a malformed URL.
 */
int fa_data_url_decode(const char *url, size_t len, uint64_t max, uint8_t **out, size_t *outlen,
                       char *why, size_t whysz) __attribute__((warn_unused_result));

/*
 * The local path of a file URL, url[0..len): "file://" then an absolute,
 * percent-encoded path (an empty authority only: no host). Refused with
 * CU_EINVAL: a relative path, a host, a "." or ".." component, a NUL (raw or
 * %00), '?' or '#', a bad percent escape, a byte that is not printable
 * ASCII. CU_ELIMIT beyond FA_PATH_MAX. *path is malloc'd and NUL-terminated.
 */
int fa_file_url_path(const char *url, size_t len, char **path, char *why, size_t whysz)
    __attribute__((warn_unused_result));

/*
 * A form of url fit for logs and reasons: at most outsz - 1 bytes, without
 * user information ("user:password@") and without the query or fragment
 * (which hold the signatures of pre-signed URLs), non-printable bytes as
 * '?'. A data: URL shows only its first bytes.
 */
void fa_url_for_log(const char *url, char *out, size_t outsz);

#endif
