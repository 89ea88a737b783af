/*
 * builtins_int.h - the entry of each builtin (one file each), for the table
 * in builtins.c and for the tests. Not part of the module's API.
 */
#ifndef CUSTOS_FUNCTIONS_BUILTINS_INT_H
#define CUSTOS_FUNCTIONS_BUILTINS_INT_H

#include "functions/functions.h"

int fn_echo(struct fn_ctx *c);
int fn_online_decrypt(struct fn_ctx *c);
int fn_ordered_set_intersect(struct fn_ctx *c);
int fn_ordered_set_join(struct fn_ctx *c);
int fn_password_check(struct fn_ctx *c);
int fn_rsa_sign(struct fn_ctx *c);
int fn_sql(struct fn_ctx *c);
int fn_private_join_and_compute(struct fn_ctx *c);
int fn_logistic_regression_train(struct fn_ctx *c);
int fn_logistic_regression_predict(struct fn_ctx *c);
int fn_gbdt_train(struct fn_ctx *c);
int fn_gbdt_predict(struct fn_ctx *c);
int fn_principal_components_analysis(struct fn_ctx *c);
int fn_image_classification(struct fn_ctx *c);

/*
 * The unsigned decimal argument name (no sign, no spaces, at most max):
 * 0 with *out set, 0 with *out = def when it is absent, or a failure set on c.
 */
int fn_arg_size(struct fn_ctx *c, const char *name, size_t def, size_t max, size_t *out);

/* The argument name as "true" or "false"; def when absent; a failure set on c. */
int fn_arg_bool(struct fn_ctx *c, const char *name, int def, int *out);

#endif
