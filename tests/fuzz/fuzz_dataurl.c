/*
 * libFuzzer target: the file agent's URL parsers (src/worker/dataurl.c):
 * data: URLs, the paths of file: URLs, and the redacted form for logs.
 * The input is the URL after a "data:" or "file://" prefix chosen by its
 * first byte, so that the fuzzer spends its time past the scheme.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "common/err.h"
#include "worker/fetch.h"
#include "worker/fetch_int.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_data(const char *url, size_t len, uint64_t max)
{
	char why[FA_REASON_MAX];
	uint8_t *out = (uint8_t *)1;
	size_t n = 1;
	int rc = fa_data_url_decode(url, len, max, &out, &n, why, sizeof(why));

	if (rc) {
		if (out || n || rc >= 0 || !memchr(why, '\0', sizeof(why)))
			abort();
		return;
	}
	/* Decoding never grows the data, and respects the bound. */
	if (!out || n > len || n > max)
		abort();
	free(out);
}

static void check_file(const char *url, size_t len)
{
	char why[FA_REASON_MAX], *path = (char *)1;
	int rc = fa_file_url_path(url, len, &path, why, sizeof(why));

	if (rc) {
		if (path)
			abort();
		return;
	}
	/* Absolute, within its bound, no "." or ".." component. */
	if (path[0] != '/' || strlen(path) > FA_PATH_MAX)
		abort();
	for (const char *c = path; c; c = strchr(c + 1, '/')) {
		size_t k = strcspn(c + 1, "/");
		if ((k == 1 && c[1] == '.') || (k == 2 && c[1] == '.' && c[2] == '.'))
			abort();
	}
	free(path);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const prefixes[] = {"data:", "data:;base64,", "file://", ""};
	char log[FA_REASON_MAX];
	const char *pre;
	size_t plen, len;
	char *url;

	if (!size)
		return 0;
	pre = prefixes[data[0] % 4];
	plen = strlen(pre);
	len = plen + size - 1;
	if (!(url = malloc(len + 1)))
		return 0;
	memcpy(url, pre, plen);
	memcpy(url + plen, data + 1, size - 1);
	url[len] = '\0';
	check_data(url, len, data[0] & 0x80 ? 16 : FA_SIZE_DEFAULT);
	check_file(url, len);
	fa_url_for_log(url, log, sizeof(log));
	if (strlen(log) >= sizeof(log))
		abort();
	free(url);
	return 0;
}
