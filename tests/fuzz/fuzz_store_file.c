/*
 * fuzz_store_file.c - libFuzzer target: a hostile database file given to
 * st_open (the host owns the file): SQLite with our hardening settings, the
 * schema check, the rows' metadata and the sealed state record. A file
 * that opens is read (a scan of a table and a queue).
 *
 * Arbitrary bytes rarely make an SQLite file, so the input is a patch to a
 * valid store made once at start: repeated (offset: u32 LE, n: u8, n bytes)
 * written over the template at offset modulo its size.
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "store/store.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int visit(void *arg, const char *key, const uint8_t *val, size_t len, uint64_t version)
{
	(void)arg, (void)key, (void)val, (void)len, (void)version;
	return 0;
}

static void remove_all(const char *path)
{
	char side[300];

	unlink(path);
	snprintf(side, sizeof(side), "%s-wal", path);
	unlink(side);
	snprintf(side, sizeof(side), "%s-shm", path);
	unlink(side);
}

static const uint8_t key[ST_KEY_LEN] = {7};
static uint8_t *tmpl;
static size_t tmpl_len;

/* A small valid store: two tables, a queue; then its bytes. */
static void make_template(const char *path)
{
	struct st_store *s = NULL;
	char k[16];
	FILE *f;
	long n;

	remove_all(path);
	if (st_open(path, key, &s))
		abort();
	for (int i = 0; i < 8; i++) {
		snprintf(k, sizeof(k), "user%d", i);
		if (st_put(s, "users", k, "secret-value", 12) || st_put(s, "tasks", k, k, 5) ||
		    st_queue_push(s, "staged", k, 5))
			abort();
	}
	st_close(s);
	if (!(f = fopen(path, "rb")) || fseek(f, 0, SEEK_END) || (n = ftell(f)) <= 0 ||
	    fseek(f, 0, SEEK_SET) || !(tmpl = malloc((size_t)n)) ||
	    fread(tmpl, 1, (size_t)n, f) != (size_t)n)
		abort();
	fclose(f);
	tmpl_len = (size_t)n;
	remove_all(path);
}

/* The template with the patches of data applied, written to path. */
static int write_patched(const char *path, const uint8_t *data, size_t size)
{
	uint8_t *buf = malloc(tmpl_len);
	size_t i = 0;
	int fd, ok;

	if (!buf)
		return -1;
	memcpy(buf, tmpl, tmpl_len);
	while (i + 5 <= size) {
		uint32_t off = (uint32_t)data[i] | (uint32_t)data[i + 1] << 8 |
		               (uint32_t)data[i + 2] << 16 | (uint32_t)data[i + 3] << 24;
		size_t n = data[i + 4];

		i += 5;
		for (size_t j = 0; j < n && i < size; j++, i++)
			buf[(off + j) % tmpl_len] = data[i];
	}
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	ok = fd >= 0 && write(fd, buf, tmpl_len) == (ssize_t)tmpl_len;
	if (fd >= 0)
		close(fd);
	free(buf);
	return ok ? 0 : -1;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char path[256];
	struct st_store *s = NULL;
	uint8_t *val = NULL;
	size_t len;

	snprintf(path, sizeof(path), "/tmp/custos-fuzz-store-%ld.db", (long)getpid());
	if (!tmpl)
		make_template(path);
	remove_all(path);
	if (write_patched(path, data, size))
		return 0;
	if (!st_open(path, key, &s)) {
		(void)st_scan(s, "users", NULL, visit, NULL);
		if (!st_queue_pop(s, "staged", &val, &len))
			free(val);
		st_close(s);
	}
	remove_all(path);
	return 0;
}
