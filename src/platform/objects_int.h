/*
 * objects_int.h - what functions.c and files.c share (internal): checks of
 * user ids named in requests (allowlists, file owners), and the wiping of
 * secret strings held in JSON records.
 */
#ifndef CUSTOS_PLATFORM_OBJECTS_INT_H
#define CUSTOS_PLATFORM_OBJECTS_INT_H

#include <jansson.h>

#include "platform/platform_int.h"

/*
 * Check that every entry of list (a JSON array of strings, as
 * plat_req_str_list makes it) is a valid user id of an existing user.
 * CU_EINVAL naming field and the user otherwise.
 */
int plat_obj_check_users(struct platform *p, const json_t *list, const char *field,
                         struct plat_error *err);

/*
 * Overwrite the bytes of the string value v in place (jansson keeps no
 * other copy); v may be NULL or not a string (nothing is done). Used on
 * file keys before their record is released.
 */
void plat_obj_wipe_string(json_t *v);

#endif
