/*
 * args.h - the command line's NAME=VALUE and NAME=OWNER[,OWNER...] forms,
 * parsed strictly (internal to the project: the CLI and its tests).
 */
#ifndef CUSTOS_CLIENT_ARGS_H
#define CUSTOS_CLIENT_ARGS_H

#include <stddef.h>

#define CL_ARG_NAME_MAX  128 /* a name of an argument, input or output */
#define CL_ARG_VALUE_MAX 4096
#define CL_USER_MAX      64 /* a user id: [A-Za-z0-9_.@-], not starting with '-' or '.' */
#define CL_OWNERS_MAX    64

/* A name: 1..CL_ARG_NAME_MAX printable ASCII characters but space, '=' and ','. */
int cl_arg_name_ok(const char *s);
/* A user id as the platform takes it. */
int cl_user_ok(const char *s);

/*
 * "NAME=VALUE" (split at the first '='): *name and *value are malloc'd.
 * With value_required 0, "NAME" alone gives *value NULL. VALUE may be
 * empty; it holds no control character and at most CL_ARG_VALUE_MAX bytes.
 * CU_EFORMAT (CU_ELIMIT for lengths) for anything else, outputs NULL.
 */
int cl_parse_kv(const char *s, int value_required, char **name, char **value);

/*
 * "NAME=OWNER[,OWNER...]": 1..CL_OWNERS_MAX distinct user ids. *owners is
 * a malloc'd array of malloc'd strings (cl_owners_free).
 */
int cl_parse_owners(const char *s, char **name, char ***owners, size_t *n);
void cl_owners_free(char **owners, size_t n);

#endif
