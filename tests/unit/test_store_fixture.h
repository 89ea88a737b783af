/*
 * test_store_fixture.h - a scratch directory holding one store file, for
 * the store's tests: made with mkdtemp, removed with every file SQLite or
 * a test puts beside the database (-wal, -shm, .old).
 */
#ifndef CUSTOS_TEST_STORE_FIXTURE_H
#define CUSTOS_TEST_STORE_FIXTURE_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct st_tmp {
	char dir[64];
	char path[96]; /* dir/store.db */
};

static inline void st_tmp_make(struct st_tmp *t)
{
	strcpy(t->dir, "/tmp/custos-store-XXXXXX");
	assert_non_null(mkdtemp(t->dir));
	snprintf(t->path, sizeof(t->path), "%s/store.db", t->dir);
}

static inline void st_tmp_remove(const struct st_tmp *t)
{
	static const char *const side[] = {"", "-wal", "-shm", ".old"};
	char p[128];

	for (size_t i = 0; i < sizeof(side) / sizeof(side[0]); i++) {
		snprintf(p, sizeof(p), "%s%s", t->path, side[i]);
		unlink(p);
	}
	rmdir(t->dir);
}

#endif
