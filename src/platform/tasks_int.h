/*
 * tasks_int.h - what tasks.c shares with worker.c (internal): a task loaded
 * with its function, its digest computed fresh, its effective status.
 */
#ifndef CUSTOS_PLATFORM_TASKS_INT_H
#define CUSTOS_PLATFORM_TASKS_INT_H

#include <jansson.h>
#include <stdint.h>

#include "platform/platform_int.h"

#define PLAT_DIGEST_HEX 64 /* hex characters of a SHA-256 digest */

/*
 * A task record read from the store, with the record of its function (NULL
 * when the function is gone), its digest as the files and the function are
 * now, and its status: for an open task (created, data_assigned, approved)
 * the status the slots and the approvals give now, else the stored one.
 */
struct plat_task {
	json_t *rec;
	uint64_t version;
	json_t *fn;
	char digest[PLAT_DIGEST_HEX + 1];
	const char *status; /* a static string */
};

/*
 * Load task id (CU_ENOTFOUND when absent): no access check. t is cleared
 * first; release it with plat_task_release (which accepts a cleared t).
 */
int plat_task_load(struct platform *p, const char *id, struct plat_task *t);
void plat_task_release(struct plat_task *t);

/* Whether every approver's approval equals t->digest (1), or not (0). */
int plat_task_all_approved(const struct plat_task *t);

/*
 * Write t->rec back with status and "updated" set. Call it inside the store
 * transaction in which t was loaded (the read-modify-write of a task).
 */
int plat_task_save(struct platform *p, struct plat_task *t, const char *status);

/* Begin and end a store transaction, setting err on failure; plat_task_tx_end rolls
   back when rc is not 0 and returns rc, else commits. */
int plat_task_tx_begin(struct platform *p, struct plat_error *err);
int plat_task_tx_end(struct platform *p, int rc, struct plat_error *err);

/* Whether status is final: finished, failed, canceled. */
int plat_task_terminal(const char *status);

#endif
