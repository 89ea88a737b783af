/*
 * The file agent (src/worker/fetch.h): file://, data: and http(s):// get and
 * put, against tests/integration/fetch_http_server.py for HTTP (started here
 * on a free port, with its fault modes), and the encrypted forms: the digest
 * checked before decryption, fresh IVs, no plaintext on the file host.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "common/err.h"
#include "common/file.h"
#include "common/mem.h"
#include "crypto/hash.h"
#include "crypto/rand.h"
#include "worker/fetch.h"
#include "worker/fetch_int.h"

#define SERVER_SCRIPT CUSTOS_SOURCE_DIR "/tests/integration/fetch_http_server.py"
#define PYTHON        "/usr/bin/python3"
#define OPENSSL       "/usr/bin/openssl"

static struct {
	char dir[64];
	pid_t srv;
	int port;
	pid_t tls_srv;
	int tls_port;
} g;

static char why[FA_REASON_MAX];

/* ---- helpers ---- */

static void path_of(char *buf, size_t sz, const char *name)
{
	snprintf(buf, sz, "%s/%s", g.dir, name);
}

static void file_url(char *buf, size_t sz, const char *name)
{
	snprintf(buf, sz, "file://%s/%s", g.dir, name);
}

static void http_url(char *buf, size_t sz, const char *mode, const char *name)
{
	snprintf(buf, sz, "http://127.0.0.1:%d/%s/%s", g.port, mode, name);
}

static void put_local(const char *name, const void *data, size_t len)
{
	char p[256];

	path_of(p, sizeof(p), name);
	assert_int_equal(cu_file_write_atomic(p, data, len, 0600), 0);
}

static long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000L + ts.tv_nsec / 1000000L;
}

/* Start the server (extra arguments may be NULL): its pid; *port from its first line. */
static pid_t server_start(const char *a1, const char *a2, const char *a3, int *port)
{
	int fds[2];
	char line[32] = {0};
	size_t got = 0;
	struct pollfd p;
	pid_t pid;

	assert_int_equal(pipe2(fds, O_CLOEXEC), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		dup2(fds[1], 1);
		prctl(PR_SET_PDEATHSIG, SIGTERM);
		execl(PYTHON, "python3", SERVER_SCRIPT, a1, a2, a3, (char *)NULL);
		_exit(127);
	}
	close(fds[1]);
	p.fd = fds[0];
	p.events = POLLIN;
	while (got < sizeof(line) - 1 && !memchr(line, '\n', got) && poll(&p, 1, 10000) == 1) {
		ssize_t r = read(fds[0], line + got, sizeof(line) - 1 - got);
		if (r <= 0)
			break;
		got += (size_t)r;
	}
	close(fds[0]);
	*port = (int)strtol(line, NULL, 10);
	if (*port <= 0) {
		kill(pid, SIGKILL);
		waitpid(pid, NULL, 0);
		fail_msg("the test HTTP server did not start");
	}
	return pid;
}

static void server_stop(pid_t pid)
{
	if (pid > 0) {
		kill(pid, SIGTERM);
		waitpid(pid, NULL, 0);
	}
}

/* How many requests the server had at /mode/name. */
static int requests(const char *mode, const char *name)
{
	char url[256], text[32] = {0};
	uint8_t *b = NULL;
	size_t n = 0;

	snprintf(url, sizeof(url), "http://127.0.0.1:%d/_count/%s/%s", g.port, mode, name);
	assert_int_equal(fa_get(url, NULL, &b, &n, why, sizeof(why)), 0);
	memcpy(text, b, n < sizeof(text) - 1 ? n : sizeof(text) - 1);
	free(b);
	return (int)strtol(text, NULL, 10);
}

static int rm_entry(const char *p, const struct stat *st, int flag, struct FTW *f)
{
	(void)st;
	(void)flag;
	(void)f;
	return remove(p);
}

static int group_setup(void **state)
{
	(void)state;
	/* The server is local: no proxy of the environment may come between. */
	unsetenv("http_proxy");
	unsetenv("https_proxy");
	unsetenv("HTTPS_PROXY");
	unsetenv("all_proxy");
	unsetenv("ALL_PROXY");
	snprintf(g.dir, sizeof(g.dir), "/tmp/custos-fetch-XXXXXX");
	if (!mkdtemp(g.dir))
		return -1;
	g.srv = server_start(NULL, NULL, NULL, &g.port);
	return 0;
}

static int group_teardown(void **state)
{
	(void)state;
	server_stop(g.srv);
	server_stop(g.tls_srv);
	nftw(g.dir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
	return 0;
}

/* ---- file:// ---- */

static void test_file_round_trip(void **state)
{
	static const uint8_t data[] = "some bytes\0with a NUL";
	char url[256], p[256];
	uint8_t *b = NULL;
	size_t n = 0;
	struct stat st;

	(void)state;
	file_url(url, sizeof(url), "rt");
	assert_int_equal(fa_put(url, NULL, data, sizeof(data), why, sizeof(why)), 0);
	path_of(p, sizeof(p), "rt");
	assert_int_equal(stat(p, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	assert_int_equal(fa_get(url, NULL, &b, &n, why, sizeof(why)), 0);
	assert_int_equal(n, sizeof(data));
	assert_memory_equal(b, data, n);
	free(b);

	/* Replaced whole; an empty file round-trips too. */
	assert_int_equal(fa_put(url, NULL, NULL, 0, why, sizeof(why)), 0);
	assert_int_equal(fa_get(url, NULL, &b, &n, why, sizeof(why)), 0);
	assert_non_null(b);
	assert_int_equal(n, 0);
	free(b);

	/* A percent-encoded path. */
	put_local("with space", "x", 1);
	snprintf(url, sizeof(url), "file://%s/with%%20space", g.dir);
	assert_int_equal(fa_get(url, NULL, &b, &n, why, sizeof(why)), 0);
	assert_int_equal(n, 1);
	free(b);
}

struct url_case {
	const char *url; /* '@' stands for the test directory */
	int rc;
};

static void expand(char *out, size_t sz, const char *tmpl)
{
	size_t o = 0, dl = strlen(g.dir);

	for (; *tmpl && o + dl + 1 < sz; tmpl++) {
		if (*tmpl == '@') {
			memcpy(out + o, g.dir, dl);
			o += dl;
		} else {
			out[o++] = *tmpl;
		}
	}
	out[o] = '\0';
}

static void test_file_get_refused(void **state)
{
	static const struct url_case cases[] = {
	    {"file://@/missing", CU_ENOTFOUND}, {"file://@", CU_EINVAL},      /* a directory */
	    {"file://@/sub", CU_EINVAL},        {"file://@/link", CU_EINVAL}, /* a symbolic link */
	    {"file://@/fifo", CU_EINVAL}, /* must not hang either */
	    {"file://@/sub/../ok", CU_EINVAL},  {"file://@/sub/%2e%2E/ok", CU_EINVAL},
	    {"file://@/./ok", CU_EINVAL},       {"file://@/..", CU_EINVAL},
	    {"file://@/ok%00x", CU_EINVAL},     {"file://@/ok%zz", CU_EINVAL},
	    {"file://@/ok%4", CU_EINVAL},       {"file://@/ok?x", CU_EINVAL},
	    {"file://@/ok#x", CU_EINVAL},       {"file://localhost@/ok", CU_EINVAL},
	    {"file:relative/ok@", CU_EINVAL},   {"file://relative/ok@", CU_EINVAL},
	    {"file:@/ok", CU_EINVAL},           {"file://", CU_EINVAL},
	};
	char url[512], p[256], target[256];
	uint8_t *b;
	size_t n;

	(void)state;
	put_local("ok", "fine", 4);
	path_of(p, sizeof(p), "sub");
	mkdir(p, 0700);
	path_of(p, sizeof(p), "fifo");
	assert_int_equal(mkfifo(p, 0600), 0);
	path_of(p, sizeof(p), "link");
	path_of(target, sizeof(target), "ok");
	assert_int_equal(symlink(target, p), 0);

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		expand(url, sizeof(url), cases[i].url);
		b = (uint8_t *)url;
		why[0] = '\0';
		int rc = fa_get(url, NULL, &b, &n, why, sizeof(why));
		if (rc != cases[i].rc)
			fail_msg("%s: %d (%s), expected %d", url, rc, why, cases[i].rc);
		assert_null(b);
		assert_int_equal(n, 0);
		assert_true(why[0] != '\0');
	}
	/* The sane form of the same file works. */
	file_url(url, sizeof(url), "ok");
	assert_int_equal(fa_get(url, NULL, &b, &n, why, sizeof(why)), 0);
	free(b);
}

static void test_file_size_bound(void **state)
{
	struct fa_options o = {.max_size = 10};
	char url[256];
	uint8_t *b;
	size_t n;

	(void)state;
	put_local("ten", "0123456789", 10);
	put_local("eleven", "0123456789a", 11);
	file_url(url, sizeof(url), "ten");
	assert_int_equal(fa_get(url, &o, &b, &n, why, sizeof(why)), 0);
	assert_int_equal(n, 10);
	free(b);
	file_url(url, sizeof(url), "eleven");
	assert_int_equal(fa_get(url, &o, &b, &n, why, sizeof(why)), CU_ELIMIT);
	assert_non_null(strstr(why, "limit"));
	/* Puts are bounded alike. */
	assert_int_equal(fa_put(url, &o, (const uint8_t *)"0123456789a", 11, why, sizeof(why)),
	                 CU_ELIMIT);
}

static void test_file_put_refused(void **state)
{
	char url[256];

	(void)state;
	snprintf(url, sizeof(url), "file://%s/nodir/x", g.dir);
	assert_int_equal(fa_put(url, NULL, (const uint8_t *)"x", 1, why, sizeof(why)),
	                 CU_ENOTFOUND);
	assert_non_null(strstr(why, "directory"));
	snprintf(url, sizeof(url), "file://%s", g.dir);
	assert_int_equal(fa_put(url, NULL, (const uint8_t *)"x", 1, why, sizeof(why)), CU_EINVAL);
	snprintf(url, sizeof(url), "file://%s/../x", g.dir);
	assert_int_equal(fa_put(url, NULL, (const uint8_t *)"x", 1, why, sizeof(why)), CU_EINVAL);
	assert_int_equal(fa_put("file:x", NULL, (const uint8_t *)"x", 1, why, sizeof(why)),
	                 CU_EINVAL);
	assert_int_equal(fa_put("data:,x", NULL, (const uint8_t *)"x", 1, why, sizeof(why)),
	                 CU_EUNSUPPORTED);
	assert_int_equal(fa_put("fusion://abc", NULL, (const uint8_t *)"x", 1, why, sizeof(why)),
	                 CU_EUNSUPPORTED);
}

static void test_other_schemes(void **state)
{
	static const struct url_case cases[] = {
	    {"fusion://0123", CU_EUNSUPPORTED},         {"ftp://host/x", CU_EUNSUPPORTED},
	    {"gopher://host/x", CU_EUNSUPPORTED},       {"", CU_EUNSUPPORTED},
	    {"/etc/passwd", CU_EUNSUPPORTED},           {"http://127.0.0.1/a b", CU_EINVAL},
	    {"http://127.0.0.1/a\nHost: x", CU_EINVAL},
	};
	uint8_t *b;
	size_t n;

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		int rc = fa_get(cases[i].url, NULL, &b, &n, why, sizeof(why));
		if (rc != cases[i].rc)
			fail_msg("%s: %d (%s), expected %d", cases[i].url, rc, why, cases[i].rc);
		assert_null(b);
	}
	assert_int_equal(fa_get(NULL, NULL, &b, &n, why, sizeof(why)), CU_EINVAL);
}

/* ---- data: ---- */

struct data_case {
	const char *url;
	uint64_t max;
	int rc;
	const char *want;
	size_t want_len;
};

static void test_data_urls(void **state)
{
	static const struct data_case cases[] = {
	    {"data:,hello", 0, 0, "hello", 5},
	    {"DATA:,hello", 0, 0, "hello", 5},
	    {"data:,", 0, 0, "", 0},
	    {"data:;base64,", 0, 0, "", 0},
	    {"data:text/plain;charset=US-ASCII,a%20b%2c%25", 0, 0, "a b,%", 5},
	    {"data:,%00%ff", 0, 0, "\0\xff", 2},
	    {"data:,a,b", 0, 0, "a,b", 3},
	    {"data:;base64,aGVsbG8=", 0, 0, "hello", 5},
	    {"data:application/octet-stream;BASE64,AAEC", 0, 0, "\0\1\2", 3},
	    {"data:;base64,aGVsbG8%3D", 0, 0, "hello", 5},
	    {"data:;base64,aGVs%62G8=", 0, 0, "hello", 5},
	    {"data:base64,aGVsbG8=", 0, 0, "aGVsbG8=", 8}, /* no ';': not base64 */
	    {"data:,hello", 5, 0, "hello", 5},
	    {"data:;base64,aGVsbG8=", 5, 0, "hello", 5},
	    /* Malformed. */
	    {"data:hello", 0, CU_EFORMAT, NULL, 0},
	    {"data:", 0, CU_EFORMAT, NULL, 0},
	    {"data:;base64,aGVsbG8", 0, CU_EFORMAT, NULL, 0},
	    {"data:;base64,aGVsbG9=", 0, CU_EFORMAT, NULL, 0}, /* not canonical */
	    {"data:;base64,@@@@", 0, CU_EFORMAT, NULL, 0},
	    {"data:;base64,aGVs bG8=", 0, CU_EFORMAT, NULL, 0},
	    {"data:;base64,aGVsbG8=%", 0, CU_EFORMAT, NULL, 0},
	    {"data:,a%", 0, CU_EFORMAT, NULL, 0},
	    {"data:,a%2", 0, CU_EFORMAT, NULL, 0},
	    {"data:,a%g1", 0, CU_EFORMAT, NULL, 0},
	    {"data:,a%1g", 0, CU_EFORMAT, NULL, 0},
	    {"data:,a b", 0, CU_EFORMAT, NULL, 0},
	    {"data:,a\tb", 0, CU_EFORMAT, NULL, 0},
	    {"data:,caf\xc3\xa9", 0, CU_EFORMAT, NULL, 0},
	    {"data:text/plain;x=\x7f,a", 0, CU_EFORMAT, NULL, 0},
	    /* Over the bound. */
	    {"data:,hello", 4, CU_ELIMIT, NULL, 0},
	    {"data:;base64,aGVsbG8=", 4, CU_ELIMIT, NULL, 0},
	    {"data:,%41%41%41%41%41", 4, CU_ELIMIT, NULL, 0},
	};
	uint8_t *b;
	size_t n;

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const struct data_case *c = &cases[i];
		struct fa_options o = {.max_size = c->max};
		why[0] = '\0';
		int rc = fa_get(c->url, &o, &b, &n, why, sizeof(why));
		if (rc != c->rc)
			fail_msg("case %zu %s: %d (%s), expected %d", i, c->url, rc, why, c->rc);
		if (rc) {
			assert_null(b);
			assert_true(why[0] != '\0');
			continue;
		}
		assert_non_null(b);
		assert_int_equal(n, c->want_len);
		assert_memory_equal(b, c->want, n);
		free(b);
	}
}

static void test_data_url_reasons(void **state)
{
	uint8_t *b;
	size_t n;

	(void)state;
	assert_int_equal(fa_data_url_decode("data:abc", 8, 100, &b, &n, why, sizeof(why)),
	                 CU_EFORMAT);
	assert_non_null(strstr(why, "comma"));
	assert_int_equal(fa_data_url_decode("data:,ab%zz", 11, 100, &b, &n, why, sizeof(why)),
	                 CU_EFORMAT);
	assert_non_null(strstr(why, "offset 8"));
	assert_int_equal(fa_data_url_decode("data:;base64,!!!!", 17, 100, &b, &n, why, sizeof(why)),
	                 CU_EFORMAT);
	assert_non_null(strstr(why, "base64"));
	/* The length given is the bound: the rest of the string is not read. */
	assert_int_equal(fa_data_url_decode("data:,abcdef", 8, 100, &b, &n, why, sizeof(why)), 0);
	assert_int_equal(n, 2);
	free(b);
	assert_int_equal(fa_data_url_decode("http://x", 8, 100, &b, &n, why, sizeof(why)),
	                 CU_EINVAL);
}

/* A big data: URL over the bound is refused before anything that large is allocated. */
static void test_data_url_oversize(void **state)
{
	size_t big = 3u << 20;
	char *url = malloc(big + 7);
	struct fa_options o = {.max_size = 1000};
	uint8_t *b;
	size_t n;

	(void)state;
	assert_non_null(url);
	memcpy(url, "data:,", 6);
	memset(url + 6, 'A', big);
	url[6 + big] = '\0';
	assert_int_equal(fa_get(url, &o, &b, &n, why, sizeof(why)), CU_ELIMIT);
	o.max_size = big;
	assert_int_equal(fa_get(url, &o, &b, &n, why, sizeof(why)), 0);
	assert_int_equal(n, big);
	free(b);
	free(url);
}

static void test_url_for_log(void **state)
{
	char out[FA_REASON_MAX];

	(void)state;
	fa_url_for_log("https://user:secret@host:8443/bucket/f?X-Amz-Signature=deadbeef", out,
	               sizeof(out));
	assert_string_equal(out, "https://host:8443/bucket/f...");
	fa_url_for_log("http://host/a#frag", out, sizeof(out));
	assert_string_equal(out, "http://host/a...");
	fa_url_for_log("http://host/p@x", out, sizeof(out));
	assert_string_equal(out, "http://host/p@x");
	fa_url_for_log("data:;base64,c2VjcmV0IHNlY3JldCBzZWNyZXQ=", out, sizeof(out));
	assert_null(strstr(out, "c2VjcmV0IHNl"));
	fa_url_for_log("file:///a\nb", out, sizeof(out));
	assert_string_equal(out, "file:///a?b");
	fa_url_for_log("file:///abcdef", out, 8);
	assert_string_equal(out, "file://");
}

/* ---- http:// ---- */

static void test_http_round_trip(void **state)
{
	size_t big = (2u << 20) + 3;
	uint8_t *data = malloc(big), *b = NULL;
	char url[256];
	size_t n = 0;

	(void)state;
	assert_non_null(data);
	for (size_t i = 0; i < big; i++)
		data[i] = (uint8_t)(i * 7 + (i >> 9));
	http_url(url, sizeof(url), "ok", "big");
	assert_int_equal(fa_put(url, NULL, data, big, why, sizeof(why)), 0);
	assert_int_equal(fa_get(url, NULL, &b, &n, why, sizeof(why)), 0);
	assert_int_equal(n, big);
	assert_memory_equal(b, data, big);
	free(b);
	/* Empty. */
	http_url(url, sizeof(url), "ok", "empty");
	assert_int_equal(fa_put(url, NULL, NULL, 0, why, sizeof(why)), 0);
	assert_int_equal(fa_get(url, NULL, &b, &n, why, sizeof(why)), 0);
	assert_non_null(b);
	assert_int_equal(n, 0);
	free(b);
	free(data);
}

static void test_http_retries(void **state)
{
	struct fa_options one = {.retries = 1}, none = {.retries = -1};
	char url[256];
	uint8_t *b = NULL;
	size_t n = 0;

	(void)state;
	/* GET: a 500, then the file. */
	http_url(url, sizeof(url), "ok", "r1");
	assert_int_equal(fa_put(url, NULL, (const uint8_t *)"retried", 7, why, sizeof(why)), 0);
	http_url(url, sizeof(url), "fail500-1", "r1");
	assert_int_equal(fa_get(url, NULL, &b, &n, why, sizeof(why)), 0);
	assert_int_equal(n, 7);
	assert_memory_equal(b, "retried", 7);
	free(b);
	assert_int_equal(requests("fail500-1", "r1"), 2);

	/* PUT: a 500, then stored. */
	http_url(url, sizeof(url), "fail500-1", "r2");
	assert_int_equal(fa_put(url, NULL, (const uint8_t *)"put", 3, why, sizeof(why)), 0);
	assert_int_equal(requests("fail500-1", "r2"), 2);
	http_url(url, sizeof(url), "ok", "r2");
	assert_int_equal(fa_get(url, NULL, &b, &n, why, sizeof(why)), 0);
	assert_memory_equal(b, "put", 3);
	free(b);

	/* Retries run out: one try plus `retries`. */
	http_url(url, sizeof(url), "fail500-9", "r1");
	assert_int_equal(fa_get(url, &one, &b, &n, why, sizeof(why)), CU_ENET);
	assert_non_null(strstr(why, "500"));
	assert_non_null(strstr(why, "2 attempts"));
	assert_int_equal(requests("fail500-9", "r1"), 2);
	/* None at all. */
	http_url(url, sizeof(url), "fail500-9", "r3");
	assert_int_equal(fa_put(url, &none, (const uint8_t *)"x", 1, why, sizeof(why)), CU_ENET);
	assert_int_equal(requests("fail500-9", "r3"), 1);
	/* The default: two retries. */
	http_url(url, sizeof(url), "fail500-9", "r4");
	assert_int_equal(fa_get(url, NULL, &b, &n, why, sizeof(why)), CU_ENET);
	assert_int_equal(requests("fail500-9", "r4"), 3);
}

static void test_http_4xx(void **state)
{
	char url[256];
	uint8_t *b = NULL;
	size_t n = 0;

	(void)state;
	http_url(url, sizeof(url), "ok", "absent");
	assert_int_equal(fa_get(url, NULL, &b, &n, why, sizeof(why)), CU_ENOTFOUND);
	assert_null(b);
	assert_non_null(strstr(why, "404"));
	assert_int_equal(requests("ok", "absent"), 1);
	http_url(url, sizeof(url), "status-404", "x");
	assert_int_equal(fa_get(url, NULL, &b, &n, why, sizeof(why)), CU_ENOTFOUND);
	assert_int_equal(requests("status-404", "x"), 1);
	http_url(url, sizeof(url), "status-403", "x");
	assert_int_equal(fa_get(url, NULL, &b, &n, why, sizeof(why)), CU_EPERM);
	assert_int_equal(requests("status-403", "x"), 1);
	http_url(url, sizeof(url), "status-400", "x");
	assert_int_equal(fa_put(url, NULL, (const uint8_t *)"x", 1, why, sizeof(why)), CU_ENET);
	assert_int_equal(requests("status-400", "x"), 1);
	/* A redirect is not followed (least of all to file://). */
	http_url(url, sizeof(url), "redirect", "x");
	assert_int_equal(fa_get(url, NULL, &b, &n, why, sizeof(why)), CU_ENET);
	assert_non_null(strstr(why, "redirect"));
	assert_null(b);
}

static void test_http_truncated(void **state)
{
	struct fa_options one = {.retries = 1};
	char url[256];
	uint8_t *b = NULL;
	size_t n = 0;
	int rc;

	(void)state;
	http_url(url, sizeof(url), "ok", "t");
	assert_int_equal(
	    fa_put(url, NULL, (const uint8_t *)"0123456789abcdef", 16, why, sizeof(why)), 0);
	http_url(url, sizeof(url), "truncate", "t");
	rc = fa_get(url, &one, &b, &n, why, sizeof(why));
	assert_true(rc == CU_ENET || rc == CU_EIO);
	assert_null(b);
	assert_int_equal(n, 0);
	/* A broken transfer is transient: retried. */
	assert_int_equal(requests("truncate", "t"), 2);
}

static void test_http_oversize(void **state)
{
	struct fa_options o = {.max_size = 1000};
	char url[256];
	uint8_t *b = NULL;
	size_t n = 0;

	(void)state;
	/* Announced too big (Content-Length): refused at once, never retried. */
	http_url(url, sizeof(url), "oversize-1000000", "x");
	assert_int_equal(fa_get(url, &o, &b, &n, why, sizeof(why)), CU_ELIMIT);
	assert_null(b);
	assert_int_equal(requests("oversize-1000000", "x"), 1);
	/* No length: stopped by the write callback. */
	http_url(url, sizeof(url), "stream-1000000", "x");
	assert_int_equal(fa_get(url, &o, &b, &n, why, sizeof(why)), CU_ELIMIT);
	assert_null(b);
	assert_int_equal(requests("stream-1000000", "x"), 1);
	http_url(url, sizeof(url), "stream-1001", "x");
	assert_int_equal(fa_get(url, &o, &b, &n, why, sizeof(why)), CU_ELIMIT);
	/* Exactly the limit is fine. */
	http_url(url, sizeof(url), "stream-1000", "x");
	assert_int_equal(fa_get(url, &o, &b, &n, why, sizeof(why)), 0);
	assert_int_equal(n, 1000);
	free(b);
	http_url(url, sizeof(url), "oversize-1000", "x");
	assert_int_equal(fa_get(url, &o, &b, &n, why, sizeof(why)), 0);
	assert_int_equal(n, 1000);
	free(b);
}

static void test_http_slow(void **state)
{
	struct fa_options o = {.timeout_ms = 300, .retries = 1};
	char url[256];
	uint8_t *b = NULL;
	size_t n = 0;
	long t0 = now_ms(), dt;

	(void)state;
	http_url(url, sizeof(url), "ok", "s");
	assert_int_equal(fa_put(url, NULL, (const uint8_t *)"s", 1, why, sizeof(why)), 0);
	http_url(url, sizeof(url), "slow-3000", "s");
	assert_int_equal(fa_get(url, &o, &b, &n, why, sizeof(why)), CU_ETIMEOUT);
	dt = now_ms() - t0;
	assert_null(b);
	/* Two attempts of 300 ms and a 200 ms pause, well before the server answers. */
	assert_true(dt >= 600 && dt < 2500);
	assert_int_equal(requests("slow-3000", "s"), 2);
	/* Slow but within the time: fine. */
	o.timeout_ms = 5000;
	http_url(url, sizeof(url), "slow-100", "s");
	assert_int_equal(fa_get(url, &o, &b, &n, why, sizeof(why)), 0);
	free(b);
}

static void test_http_refused(void **state)
{
	struct fa_options one = {.retries = 1, .timeout_ms = 2000};
	char url[256];
	uint8_t *b = NULL;
	size_t n = 0;
	int port;
	pid_t pid;

	(void)state;
	/* A port that was just free: start a server, stop it, connect. */
	pid = server_start(NULL, NULL, NULL, &port);
	server_stop(pid);
	snprintf(url, sizeof(url), "http://127.0.0.1:%d/ok/x", port);
	assert_int_equal(fa_get(url, &one, &b, &n, why, sizeof(why)), CU_ENET);
	assert_non_null(strstr(why, "2 attempts"));
	assert_int_equal(fa_put(url, &one, (const uint8_t *)"x", 1, why, sizeof(why)), CU_ENET);
}

/* curl's CA verification stays on: a self-signed certificate is an error. */
static void test_https_bad_certificate(void **state)
{
	char cert[256], key[256], cmd[1024], url[256];
	uint8_t *b = NULL;
	size_t n = 0;

	(void)state;
	if (access(OPENSSL, X_OK) != 0)
		skip();
	path_of(cert, sizeof(cert), "cert.pem");
	path_of(key, sizeof(key), "key.pem");
	snprintf(cmd, sizeof(cmd),
	         OPENSSL " req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes "
	                 "-subj /CN=127.0.0.1 -addext subjectAltName=IP:127.0.0.1 -days 1 "
	                 "-keyout %s -out %s >/dev/null 2>&1",
	         key, cert);
	assert_int_equal(system(cmd), 0);
	g.tls_srv = server_start("--tls", cert, key, &g.tls_port);
	snprintf(url, sizeof(url), "https://127.0.0.1:%d/ok/x", g.tls_port);
	assert_int_equal(fa_get(url, NULL, &b, &n, why, sizeof(why)), CU_ETLS);
	assert_non_null(strstr(why, "certificate"));
	assert_null(b);
}

/* ---- encrypted ---- */

static const enum ef_format formats[] = {EF_FORMAT_CUSTOS, EF_FORMAT_AES_GCM_128,
                                         EF_FORMAT_AES_GCM_256};

static void crypto_new(struct fa_crypto *c, enum ef_format f)
{
	memset(c, 0, sizeof(*c));
	c->format = f;
	c->key_len = ef_format_key_len(f);
	assert_int_equal(cr_random(c->key, c->key_len), 0);
	assert_int_equal(cr_random(c->iv, sizeof(c->iv)), 0);
}

/* Encrypt plain under c as a registered input at name: its digest into d. */
static void encrypt_to(const struct fa_crypto *c, const char *name, const char *plain,
                       uint8_t d[32])
{
	uint8_t *ct;
	size_t n;

	assert_int_equal(ef_encrypt_buf(c->format, c->key, c->key_len, c->iv,
	                                (const uint8_t *)plain, strlen(plain), &ct, &n),
	                 0);
	assert_int_equal(cr_sha256(ct, n, d), 0);
	put_local(name, ct, n);
	free(ct);
}

static void test_get_decrypted(void **state)
{
	static const char plain[] = "the registered input";
	char url[256];
	uint8_t d[32], d2[32], *p = NULL, *ct;
	size_t n = 0, ctlen;
	struct fa_crypto c, wrong;

	(void)state;
	for (size_t i = 0; i < 3; i++) {
		const char *fname = ef_format_name(formats[i]);
		crypto_new(&c, formats[i]);
		crypto_new(&wrong, formats[i]);
		encrypt_to(&c, fname, plain, d);
		file_url(url, sizeof(url), fname);

		/* The right file and key. */
		assert_int_equal(fa_get_decrypted(url, d, &c, NULL, &p, &n, why, sizeof(why)), 0);
		assert_int_equal(n, strlen(plain));
		assert_memory_equal(p, plain, n);
		cu_free_secret(p, n);

		/* Swapped on the host: refused on its digest, before decryption (the key is
		 * wrong too, yet the reason is the digest). */
		encrypt_to(&c, fname, "another file, same key", d2);
		assert_int_equal(fa_get_decrypted(url, d, &wrong, NULL, &p, &n, why, sizeof(why)),
		                 CU_EAUTH);
		assert_null(p);
		assert_non_null(strstr(why, "not the one registered (digest"));
		assert_int_equal(fa_get_decrypted(url, d, &c, NULL, &p, &n, why, sizeof(why)),
		                 CU_EAUTH);
		assert_non_null(strstr(why, "digest"));

		/* Tampered, registered with the tampered file's digest: the AEAD refuses it. */
		encrypt_to(&c, fname, plain, d);
		assert_int_equal(fa_get(url, NULL, &ct, &ctlen, why, sizeof(why)), 0);
		ct[ctlen / 2] ^= 0x01;
		assert_int_equal(cr_sha256(ct, ctlen, d), 0);
		put_local(fname, ct, ctlen);
		free(ct);
		assert_int_equal(fa_get_decrypted(url, d, &c, NULL, &p, &n, why, sizeof(why)),
		                 CU_EAUTH);
		assert_null(p);
		assert_non_null(strstr(why, "does not decrypt"));
		assert_null(strstr(why, "digest"));

		/* The wrong key with the right digest. */
		encrypt_to(&c, fname, plain, d);
		assert_int_equal(fa_get_decrypted(url, d, &wrong, NULL, &p, &n, why, sizeof(why)),
		                 CU_EAUTH);
		assert_non_null(strstr(why, "does not decrypt"));
		/* A key of the wrong length, before any fetch. */
		wrong.key_len = 24;
		assert_int_equal(fa_get_decrypted(url, d, &wrong, NULL, &p, &n, why, sizeof(why)),
		                 CU_EKEY);
	}
	/* Missing file. */
	file_url(url, sizeof(url), "no-such-input");
	assert_int_equal(fa_get_decrypted(url, d, &c, NULL, &p, &n, why, sizeof(why)),
	                 CU_ENOTFOUND);
}

static void test_put_encrypted(void **state)
{
	static const char plain[] = "output: CANARY-PLAIN, twice CANARY-PLAIN";
	uint8_t zero[12] = {0}, d1[32], d2[32], *p, *f1, *f2;
	char u1[256], u2[256], p1[64];
	size_t n, l1, l2;
	struct fa_crypto c, c2;

	(void)state;
	for (size_t i = 0; i < 3; i++) {
		int gcm = formats[i] != EF_FORMAT_CUSTOS;
		crypto_new(&c, formats[i]);
		memset(c.iv, 0, sizeof(c.iv));
		c2 = c;
		snprintf(p1, sizeof(p1), "out-%s-1", ef_format_name(formats[i]));
		file_url(u1, sizeof(u1), p1);
		snprintf(p1, sizeof(p1), "out-%s-2", ef_format_name(formats[i]));
		file_url(u2, sizeof(u2), p1);

		assert_int_equal(fa_put_encrypted(u1, &c, NULL, (const uint8_t *)plain,
		                                  strlen(plain), d1, why, sizeof(why)),
		                 0);
		assert_int_equal(fa_put_encrypted(u2, &c2, NULL, (const uint8_t *)plain,
		                                  strlen(plain), d2, why, sizeof(why)),
		                 0);
		if (gcm) {
			/* Fresh IVs, never the caller's. */
			assert_memory_not_equal(c.iv, zero, 12);
			assert_memory_not_equal(c2.iv, zero, 12);
			assert_memory_not_equal(c.iv, c2.iv, 12);
		}
		/* Different ciphertexts, and so digests; the digest is the file's. */
		assert_memory_not_equal(d1, d2, 32);
		assert_int_equal(fa_get(u1, NULL, &f1, &l1, why, sizeof(why)), 0);
		assert_int_equal(fa_get(u2, NULL, &f2, &l2, why, sizeof(why)), 0);
		assert_int_equal(l1, l2);
		assert_memory_not_equal(f1, f2, l1);
		assert_int_equal(cr_sha256(f1, l1, d2), 0);
		assert_memory_equal(d1, d2, 32);
		/* The canary never reaches the host. */
		assert_null(memmem(f1, l1, "CANARY-PLAIN", 12));
		assert_null(memmem(f2, l2, "CANARY-PLAIN", 12));
		free(f1);
		free(f2);

		/* Its owner gets it back with the digest and IV of the result. */
		assert_int_equal(fa_get_decrypted(u1, d1, &c, NULL, &p, &n, why, sizeof(why)), 0);
		assert_int_equal(n, strlen(plain));
		assert_memory_equal(p, plain, n);
		cu_free_secret(p, n);
		if (gcm) {
			/* With the caller's (old) IV it does not decrypt. */
			memset(c.iv, 0, 12);
			assert_int_equal(
			    fa_get_decrypted(u1, d1, &c, NULL, &p, &n, why, sizeof(why)), CU_EAUTH);
		}
	}
}

static void test_encrypted_over_http(void **state)
{
	static const char plain[] = "CANARY-PLAIN over http";
	char url[256];
	uint8_t d[32], *p, *f;
	size_t n, l;
	struct fa_crypto c;

	(void)state;
	crypto_new(&c, EF_FORMAT_AES_GCM_256);
	http_url(url, sizeof(url), "fail500-1", "enc");
	assert_int_equal(fa_put_encrypted(url, &c, NULL, (const uint8_t *)plain, strlen(plain), d,
	                                  why, sizeof(why)),
	                 0);
	http_url(url, sizeof(url), "ok", "enc");
	assert_int_equal(fa_get(url, NULL, &f, &l, why, sizeof(why)), 0);
	assert_null(memmem(f, l, "CANARY-PLAIN", 12));
	free(f);
	assert_int_equal(fa_get_decrypted(url, d, &c, NULL, &p, &n, why, sizeof(why)), 0);
	assert_memory_equal(p, plain, n);
	cu_free_secret(p, n);
	/* A failed put leaves no digest. */
	http_url(url, sizeof(url), "status-403", "enc");
	assert_int_equal(fa_put_encrypted(url, &c, NULL, (const uint8_t *)plain, strlen(plain), d,
	                                  why, sizeof(why)),
	                 CU_EPERM);
	assert_true(cu_ct_is_zero(d, 32));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_file_round_trip),
	    cmocka_unit_test(test_file_get_refused),
	    cmocka_unit_test(test_file_size_bound),
	    cmocka_unit_test(test_file_put_refused),
	    cmocka_unit_test(test_other_schemes),
	    cmocka_unit_test(test_data_urls),
	    cmocka_unit_test(test_data_url_reasons),
	    cmocka_unit_test(test_data_url_oversize),
	    cmocka_unit_test(test_url_for_log),
	    cmocka_unit_test(test_http_round_trip),
	    cmocka_unit_test(test_http_retries),
	    cmocka_unit_test(test_http_4xx),
	    cmocka_unit_test(test_http_truncated),
	    cmocka_unit_test(test_http_oversize),
	    cmocka_unit_test(test_http_slow),
	    cmocka_unit_test(test_http_refused),
	    cmocka_unit_test(test_https_bad_certificate),
	    cmocka_unit_test(test_get_decrypted),
	    cmocka_unit_test(test_put_encrypted),
	    cmocka_unit_test(test_encrypted_over_http),
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
