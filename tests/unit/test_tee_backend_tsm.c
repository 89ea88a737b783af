/*
 * Unit tests: the tsm backend against a fake configfs-tsm report directory.
 *
 * configfs makes an entry's attributes appear when the entry is made with
 * mkdir(2), and lets rmdir(2) remove the entry with its attributes; a plain
 * directory does neither. So this test interposes mkdir() and rmdir() (the
 * backend is in a static library linked into this program, and calls them
 * through the ordinary symbols): under the fake root, mkdir also makes
 * provider, generation ("0"), an empty inblob, and outblob as a FIFO served
 * by a helper thread; rmdir removes them first. When the backend opens
 * outblob, the helper reads what the backend wrote to inblob, sets
 * generation to 1 (one write, as the kernel counts), and answers a
 * report-shaped blob of the provider's format carrying that report data.
 *
 * Limits of the fake: the blobs are shaped like TDX quotes and SEV-SNP
 * reports (the fields the backend reads are at their real offsets) but not
 * signed; the kernel's other attributes (auxblob, privlevel) are absent;
 * EFBIG from an oversized outblob is modelled by a blob larger than the
 * backend's maximum.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "common/err.h"
#include "common/file.h"
#include "tee/tee.h"

enum blob_kind { BLOB_TDX4, BLOB_TDX5, BLOB_SNP };

/* The fake's configuration and its one live entry (the backend makes one at a time). */
static struct {
	char root[256];
	const char *provider;
	enum blob_kind kind;
	int extra_writes; /* another writer's writes to count in generation */
	int stale;        /* answer over other report data */
	size_t truncate;  /* answer only this many bytes (0: all) */
	int huge;         /* answer more than TEE_EVIDENCE_MAX */
	char entry[512];
	pthread_t helper;
	int helper_running;
	volatile int cancel;
	int entries_made;
} fake;

static uint8_t fake_measurement(size_t i)
{
	return (uint8_t)(0xc0 + i);
}

static void entry_file(const char *name, char *out, size_t outsz)
{
	snprintf(out, outsz, "%s/%s", fake.entry, name);
}

static void put_u16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
}

static void put_u32(uint8_t *p, uint32_t v)
{
	put_u16(p, (uint16_t)v);
	put_u16(p + 2, (uint16_t)(v >> 16));
}

/* A blob of the configured format with rd and the fake measurement; *len gets its size. */
static uint8_t *make_blob(const uint8_t *rd, size_t *len)
{
	size_t body = 0, moff, rdoff;
	uint8_t *b;

	*len = fake.huge ? TEE_EVIDENCE_MAX + 4096 : 4096;
	if (!(b = calloc(1, *len)))
		return NULL;
	if (fake.kind == BLOB_SNP) {
		put_u32(b, 3);
		moff = 0x90;
		rdoff = 0x50;
		*len = fake.huge ? *len : 0x4a0;
	} else {
		put_u16(b, fake.kind == BLOB_TDX4 ? 4 : 5);
		put_u16(b + 2, 2);
		put_u32(b + 4, 0x81);
		body = 48;
		if (fake.kind == BLOB_TDX5) {
			put_u16(b + 48, 3);
			put_u32(b + 50, 648);
			body = 54;
		}
		moff = body + 136;
		rdoff = body + 520;
		*len = fake.huge ? *len : body + 648 + 64;
	}
	for (size_t i = 0; i < 48; i++)
		b[moff + i] = fake_measurement(i);
	memcpy(b + rdoff, rd, 64);
	if (fake.stale)
		b[rdoff] ^= 1;
	if (fake.truncate)
		*len = fake.truncate;
	return b;
}

static void write_text(const char *name, const char *text)
{
	char path[600];

	entry_file(name, path, sizeof(path));
	cu_file_write_atomic(path, text, strlen(text), 0600);
}

/* The helper: serve outblob once, after the backend has written inblob. */
static void *helper(void *arg)
{
	char path[600], gen[32];
	uint8_t *in = NULL, *blob = NULL, rd[64] = {0};
	size_t inlen = 0, bloblen = 0;
	int fd;

	(void)arg;
	entry_file("outblob", path, sizeof(path));
	fd = open(path, O_WRONLY | O_CLOEXEC); /* waits for the reader */
	if (fd < 0 || fake.cancel)
		goto out;
	entry_file("inblob", path, sizeof(path));
	if (cu_file_read(path, 4096, &in, &inlen) == 0 && inlen <= 64)
		memcpy(rd, in, inlen);
	snprintf(gen, sizeof(gen), "%d\n", (inlen ? 1 : 0) + fake.extra_writes);
	write_text("generation", gen);
	if ((blob = make_blob(rd, &bloblen)))
		cu_write_full(fd, blob, bloblen);
out:
	if (fd >= 0)
		close(fd);
	free(in);
	free(blob);
	return NULL;
}

static int under_root(const char *path)
{
	size_t n = strlen(fake.root);

	return fake.root[0] && !strncmp(path, fake.root, n) && path[n] == '/';
}

/* Interposed: configfs's mkdir, under the fake root. */
int mkdir(const char *path, mode_t mode)
{
	char f[600];
	int rc = (int)syscall(SYS_mkdirat, AT_FDCWD, path, mode);

	if (rc != 0 || !under_root(path))
		return rc;
	fake.entries_made++;
	snprintf(fake.entry, sizeof(fake.entry), "%s", path);
	write_text("provider", fake.provider);
	write_text("generation", "0\n");
	entry_file("inblob", f, sizeof(f));
	close(open(f, O_WRONLY | O_CREAT | O_CLOEXEC, 0600));
	entry_file("outblob", f, sizeof(f));
	mkfifo(f, 0600);
	fake.cancel = 0;
	if (pthread_create(&fake.helper, NULL, helper, NULL) == 0)
		fake.helper_running = 1;
	return 0;
}

/* Interposed: configfs's rmdir removes the attributes with the entry. */
int rmdir(const char *path)
{
	static const char *const names[] = {"provider", "generation", "inblob", "outblob"};
	char f[600];
	int fd;

	if (under_root(path) && !strcmp(path, fake.entry)) {
		if (fake.helper_running) {
			/* Release a helper still waiting for a reader. */
			fake.cancel = 1;
			entry_file("outblob", f, sizeof(f));
			fd = open(f, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
			pthread_join(fake.helper, NULL);
			if (fd >= 0)
				close(fd);
			fake.helper_running = 0;
		}
		for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
			entry_file(names[i], f, sizeof(f));
			unlink(f);
		}
		fake.entry[0] = 0;
	}
	return (int)syscall(SYS_unlinkat, AT_FDCWD, path, AT_REMOVEDIR);
}

static int root_is_empty(void)
{
	DIR *d = opendir(fake.root);
	struct dirent *e;
	int n = 0;

	assert_non_null(d);
	while ((e = readdir(d)))
		if (strcmp(e->d_name, ".") && strcmp(e->d_name, ".."))
			n++;
	closedir(d);
	return n == 0;
}

static int setup(void **state)
{
	(void)state;
	memset(&fake, 0, sizeof(fake));
	snprintf(fake.root, sizeof(fake.root), "/tmp/custos-tsm-XXXXXX");
	assert_non_null(mkdtemp(fake.root));
	fake.provider = "tdx_guest\n";
	fake.kind = BLOB_TDX4;
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	if (fake.entry[0])
		rmdir(fake.entry);
	rmdir(fake.root);
	fake.root[0] = 0;
	return 0;
}

static struct tee *open_fake(enum tee_type want)
{
	struct tee_options o = {.tsm_root = fake.root};
	struct tee *t = NULL;

	assert_int_equal(tee_open("tsm", &o, &t), 0);
	assert_int_equal(tee_get_type(t), want);
	assert_true(root_is_empty());
	return t;
}

static void check_evidence(struct tee *t)
{
	uint8_t rd[64], *ev = NULL, m[TEE_MEASUREMENT_MAX];
	size_t len = 0, mlen = sizeof(m);
	int made = fake.entries_made;

	for (size_t i = 0; i < sizeof(rd); i++)
		rd[i] = (uint8_t)(i ^ 0x5a);
	assert_int_equal(tee_get_evidence(t, rd, &ev, &len), 0);
	assert_non_null(ev);
	assert_true(len > 64);
	assert_int_equal(fake.entries_made, made + 1);
	assert_true(root_is_empty());
	free(ev);
	assert_int_equal(tee_self_measurement(t, m, &mlen), 0);
	assert_int_equal(mlen, 48);
	for (size_t i = 0; i < 48; i++)
		assert_int_equal(m[i], fake_measurement(i));
	assert_true(root_is_empty());
}

static void test_tdx(void **state)
{
	struct tee *t;

	(void)state;
	t = open_fake(TEE_TDX);
	check_evidence(t);
	fake.kind = BLOB_TDX5;
	check_evidence(t);
	tee_free(t);
}

static void test_snp(void **state)
{
	struct tee *t;
	uint8_t key[32];

	(void)state;
	fake.provider = "sev_guest\n";
	fake.kind = BLOB_SNP;
	t = open_fake(TEE_SEV_SNP);
	check_evidence(t);
	/* No sealing through configfs-tsm: documented, and the key is wiped. */
	memset(key, 0xaa, sizeof(key));
	assert_int_equal(tee_get_sealing_key(t, "storage", key), CU_EUNSUPPORTED);
	assert_true(key[0] == 0 && !memcmp(key, key + 1, 31));
	tee_free(t);
}

static void expect_failure(struct tee *t, int want)
{
	uint8_t rd[64] = {7}, *ev = (uint8_t *)1;
	size_t len = 1;

	assert_int_equal(tee_get_evidence(t, rd, &ev, &len), want);
	assert_null(ev);
	assert_int_equal(len, 0);
	assert_true(root_is_empty());
}

static void test_refusals(void **state)
{
	struct tee *t;

	(void)state;
	t = open_fake(TEE_TDX);
	fake.stale = 1;
	expect_failure(t, CU_EFORMAT);
	fake.stale = 0;
	fake.extra_writes = 1; /* someone else wrote to our entry */
	expect_failure(t, CU_ESTATE);
	fake.extra_writes = 0;
	fake.truncate = 600;
	expect_failure(t, CU_ETRUNC);
	fake.truncate = 0;
	fake.huge = 1;
	expect_failure(t, CU_ELIMIT);
	fake.huge = 0;
	/* The provider changed under us: refused, not mixed up. */
	fake.provider = "sev_guest\n";
	fake.kind = BLOB_SNP;
	expect_failure(t, CU_ESTATE);
	/* A wrong TEE type in a TDX quote. */
	fake.provider = "tdx_guest\n";
	fake.kind = BLOB_SNP;
	expect_failure(t, CU_EFORMAT);
	fake.kind = BLOB_TDX4;
	check_evidence(t);
	tee_free(t);
}

static void test_open_refusals(void **state)
{
	struct tee_options o = {.tsm_root = "/nonexistent/custos-tsm"};
	struct tee *t = NULL;

	(void)state;
	assert_int_equal(tee_open("tsm", &o, &t), CU_ENOTFOUND);
	o.tsm_root = fake.root;
	fake.provider = "arm_cca_guest\n";
	assert_int_equal(tee_open("tsm", &o, &t), CU_EUNSUPPORTED);
	assert_null(t);
	assert_true(root_is_empty());
	fake.provider = "tdx_guest\ntrailing\n";
	assert_int_equal(tee_open("tsm", &o, &t), CU_EUNSUPPORTED);
	assert_true(root_is_empty());
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_tdx, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_snp, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_refusals, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_open_refusals, setup, teardown),
	};

	signal(SIGPIPE, SIG_IGN);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
