/* Unit tests: the CLI's config directory, settings file and token file. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "client/config.h"
#include "common/err.h"
#include "common/file.h"

struct fx {
	char root[64];
	char dir[128];
	char file_a[160], file_b[160];
};

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));

	if (!f)
		return -1;
	strcpy(f->root, "/tmp/custos-test-config-XXXXXX");
	if (!mkdtemp(f->root))
		return -1;
	snprintf(f->dir, sizeof(f->dir), "%s/home/.config/custos", f->root);
	snprintf(f->file_a, sizeof(f->file_a), "%s/a.pub", f->root);
	snprintf(f->file_b, sizeof(f->file_b), "%s/b.pub", f->root);
	if (cu_file_write_atomic(f->file_a, "a", 1, 0644) ||
	    cu_file_write_atomic(f->file_b, "b", 1, 0644))
		return -1;
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", f->root);
	if (system(cmd) != 0)
		return -1;
	free(f);
	return 0;
}

static mode_t mode_of(const char *path)
{
	struct stat st;

	assert_int_equal(lstat(path, &st), 0);
	return st.st_mode & 07777;
}

/* Nothing but the named files in dir: no temporary left behind. */
static void assert_only(const char *dir, const char *a, const char *b)
{
	DIR *d = opendir(dir);
	struct dirent *e;

	assert_non_null(d);
	while ((e = readdir(d))) {
		if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
			continue;
		if (strcmp(e->d_name, a) && (!b || strcmp(e->d_name, b)))
			fail_msg("unexpected file %s in %s", e->d_name, dir);
	}
	closedir(d);
}

static void test_dir_from_env(void **state)
{
	char out[256], *old = getenv("CUSTOS_HOME") ? strdup(getenv("CUSTOS_HOME")) : NULL;

	(void)state;
	setenv("CUSTOS_HOME", "/somewhere/custos", 1);
	assert_int_equal(cl_config_dir(out, sizeof(out)), 0);
	assert_string_equal(out, "/somewhere/custos");
	assert_int_equal(cl_config_dir(out, 8), CU_ELIMIT);
	setenv("CUSTOS_HOME", "", 1);
	setenv("HOME", "/home/u", 1);
	assert_int_equal(cl_config_dir(out, sizeof(out)), 0);
	assert_string_equal(out, "/home/u/.config/custos");
	unsetenv("CUSTOS_HOME");
	assert_int_equal(cl_config_dir(out, sizeof(out)), 0);
	assert_string_equal(out, "/home/u/.config/custos");
	if (old)
		setenv("CUSTOS_HOME", old, 1);
	free(old);
}

static void test_dir_modes(void **state)
{
	struct fx *f = *state;
	char file[256];

	assert_int_equal(cl_config_dir_ensure(f->dir), 0);
	assert_int_equal(mode_of(f->dir), 0700);
	/* A directory that others may read is tightened. */
	assert_int_equal(chmod(f->dir, 0755), 0);
	assert_int_equal(cl_config_dir_ensure(f->dir), 0);
	assert_int_equal(mode_of(f->dir), 0700);
	/* A file in its place is refused. */
	snprintf(file, sizeof(file), "%s/plain", f->root);
	assert_int_equal(cu_file_write_atomic(file, "x", 1, 0600), 0);
	assert_int_equal(cl_config_dir_ensure(file), CU_EFORMAT);
	snprintf(file, sizeof(file), "%s/plain/sub", f->root);
	assert_int_equal(cl_config_dir_ensure(file), CU_EIO);
}

static void test_set_get_save_load(void **state)
{
	struct fx *f = *state;
	struct cl_config c = {0}, back;
	char msg[256], list[400], path[256], *v;

	assert_int_equal(cl_config_set(&c, "url", "https://127.0.0.1:8443", msg, sizeof(msg)), 0);
	assert_int_equal(cl_config_set(&c, "manifest", f->file_a, msg, sizeof(msg)), 0);
	snprintf(list, sizeof(list), "%s,%s", f->file_a, f->file_b);
	assert_int_equal(cl_config_set(&c, "auditors", list, msg, sizeof(msg)), 0);
	assert_int_equal(cl_config_set(&c, "signatures", f->file_b, msg, sizeof(msg)), 0);
	assert_int_equal(cl_config_set(&c, "threshold", "2", msg, sizeof(msg)), 0);
	assert_int_equal(cl_config_set(&c, "allow-simulation", "true", msg, sizeof(msg)), 0);
	assert_int_equal(cl_config_set(&c, "role", "control", msg, sizeof(msg)), 0);
	assert_int_equal(cl_config_save(f->dir, &c), 0);
	assert_int_equal(mode_of(f->dir), 0700);
	snprintf(path, sizeof(path), "%s/%s", f->dir, CL_CONFIG_FILE);
	assert_int_equal(mode_of(path), 0600);
	assert_only(f->dir, CL_CONFIG_FILE, NULL);

	assert_int_equal(cl_config_load(f->dir, &back, msg, sizeof(msg)), 0);
	assert_string_equal(back.url, "https://127.0.0.1:8443");
	assert_string_equal(back.manifest, f->file_a);
	assert_int_equal(back.nauditors, 2);
	assert_string_equal(back.auditors[1], f->file_b);
	assert_int_equal(back.nsignatures, 1);
	assert_int_equal(back.threshold, 2);
	assert_int_equal(back.allow_simulation, 1);
	assert_int_equal(cl_config_get(&back, "auditors", &v), 0);
	assert_string_equal(v, list);
	free(v);
	assert_int_equal(cl_config_get(&back, "allow-simulation", &v), 0);
	assert_string_equal(v, "true");
	free(v);
	assert_int_equal(cl_config_get(&back, "nope", &v), CU_EINVAL);
	/* An empty list clears; a second save replaces the file atomically. */
	assert_int_equal(cl_config_set(&back, "signatures", "", msg, sizeof(msg)), 0);
	assert_int_equal(back.nsignatures, 0);
	assert_int_equal(cl_config_save(f->dir, &back), 0);
	assert_only(f->dir, CL_CONFIG_FILE, NULL);
	cl_config_clear(&back);
	assert_int_equal(cl_config_load(f->dir, &back, msg, sizeof(msg)), 0);
	assert_int_equal(back.nsignatures, 0);
	cl_config_clear(&back);
	cl_config_clear(&c);
}

static void test_relative_paths_stored_absolute(void **state)
{
	struct fx *f = *state;
	struct cl_config c = {0};
	char msg[256], cwd[512];

	assert_non_null(getcwd(cwd, sizeof(cwd)));
	assert_int_equal(chdir(f->root), 0);
	assert_int_equal(cl_config_set(&c, "manifest", "a.pub", msg, sizeof(msg)), 0);
	assert_string_equal(c.manifest, f->file_a);
	assert_int_equal(cl_config_set(&c, "auditors", "./a.pub,b.pub", msg, sizeof(msg)), 0);
	assert_string_equal(c.auditors[0], f->file_a);
	assert_string_equal(c.auditors[1], f->file_b);
	assert_int_equal(chdir(cwd), 0);
	cl_config_clear(&c);
}

static const struct {
	const char *key, *value;
	int rc;
} bad_sets[] = {
    {"url", "http://127.0.0.1:1", CU_EFORMAT},
    {"url", "https://", CU_EFORMAT},
    {"url", "https://a b", CU_EFORMAT},
    {"manifest", "/nonexistent/manifest.json", CU_EFORMAT},
    {"manifest", "", CU_EFORMAT},
    {"auditors", "/nonexistent.pub", CU_EFORMAT},
    {"auditors", ",", CU_EFORMAT},
    {"threshold", "0", CU_EFORMAT},
    {"threshold", "33", CU_EFORMAT},
    {"threshold", "-1", CU_EFORMAT},
    {"threshold", "2x", CU_EFORMAT},
    {"threshold", "", CU_EFORMAT},
    {"allow-simulation", "yes", CU_EFORMAT},
    {"allow-simulation", "1", CU_EFORMAT},
    {"role", "Control", CU_EFORMAT},
    {"role", "", CU_EFORMAT},
    {"token", "x", CU_EINVAL},
    {"URL", "https://a:1", CU_EINVAL},
};

static void test_set_refuses(void **state)
{
	struct cl_config c = {0};
	char msg[256];

	(void)state;
	for (size_t i = 0; i < sizeof(bad_sets) / sizeof(bad_sets[0]); i++) {
		msg[0] = 0;
		int rc = cl_config_set(&c, bad_sets[i].key, bad_sets[i].value, msg, sizeof(msg));
		if (rc != bad_sets[i].rc)
			fail_msg("case %zu %s=%s: rc %d, want %d", i, bad_sets[i].key,
			         bad_sets[i].value, rc, bad_sets[i].rc);
		assert_true(msg[0] != 0);
	}
	/* Nothing was set by a refused value. */
	assert_null(c.url);
	assert_null(c.manifest);
	assert_int_equal(c.nauditors, 0);
	assert_int_equal(c.threshold, 0);
	cl_config_clear(&c);
}

static void test_load_refuses(void **state)
{
	static const char *const bad[] = {
	    "[]",
	    "{\"url\":1}",
	    "{\"unknown\":true}",
	    "{\"auditors\":\"/a\"}",
	    "{\"auditors\":[\"relative.pub\"]}",
	    "{\"auditors\":[1]}",
	    "{\"threshold\":0}",
	    "{\"threshold\":\"2\"}",
	    "{\"allow_simulation\":\"true\"}",
	    "{\"url\":\"a\",\"url\":\"b\"}",
	    "not json",
	};
	struct fx *f = *state;
	struct cl_config c;
	char path[256], msg[256];

	assert_int_equal(cl_config_dir_ensure(f->dir), 0);
	/* No file at all: empty settings. */
	assert_int_equal(cl_config_load(f->dir, &c, msg, sizeof(msg)), 0);
	assert_null(c.url);
	snprintf(path, sizeof(path), "%s/%s", f->dir, CL_CONFIG_FILE);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_int_equal(cu_file_write_atomic(path, bad[i], strlen(bad[i]), 0600), 0);
		if (cl_config_load(f->dir, &c, msg, sizeof(msg)) != CU_EFORMAT)
			fail_msg("case %zu accepted: %s", i, bad[i]);
		assert_null(c.url);
		assert_int_equal(c.nauditors, 0);
	}
}

static void test_token(void **state)
{
	struct fx *f = *state;
	char path[256], *t;

	assert_int_equal(cl_token_load(f->dir, &t), CU_ENOTFOUND);
	assert_null(t);
	assert_int_equal(cl_token_save(f->dir, "eyJhbGciOi.x.y"), 0);
	snprintf(path, sizeof(path), "%s/%s", f->dir, CL_CONFIG_TOKEN);
	assert_int_equal(mode_of(path), 0600);
	assert_int_equal(mode_of(f->dir), 0700);
	assert_only(f->dir, CL_CONFIG_TOKEN, NULL);
	assert_int_equal(cl_token_load(f->dir, &t), 0);
	assert_string_equal(t, "eyJhbGciOi.x.y");
	free(t);
	/* A token file edited by hand: the newline goes. */
	assert_int_equal(cu_file_write_atomic(path, "abc\r\n", 5, 0600), 0);
	assert_int_equal(cl_token_load(f->dir, &t), 0);
	assert_string_equal(t, "abc");
	free(t);
	assert_int_equal(cu_file_write_atomic(path, "\n", 1, 0600), 0);
	assert_int_equal(cl_token_load(f->dir, &t), CU_EFORMAT);
	assert_int_equal(cu_file_write_atomic(path, "a\0b", 3, 0600), 0);
	assert_int_equal(cl_token_load(f->dir, &t), CU_EFORMAT);
	assert_int_equal(cl_token_save(f->dir, ""), CU_EINVAL);
	assert_int_equal(cl_token_save(f->dir, NULL), CU_EINVAL);
	assert_int_equal(cl_token_remove(f->dir), 0);
	assert_int_equal(cl_token_remove(f->dir), 0); /* absent is fine */
	assert_int_equal(cl_token_load(f->dir, &t), CU_ENOTFOUND);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_dir_from_env),
	    cmocka_unit_test_setup_teardown(test_dir_modes, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_set_get_save_load, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_relative_paths_stored_absolute, setup, teardown),
	    cmocka_unit_test(test_set_refuses),
	    cmocka_unit_test_setup_teardown(test_load_refuses, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_token, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
