/*
 * builtins.c - the table of builtin functions, and the argument parsers
 * they share.
 */
#include <string.h>

#include "common/err.h"
#include "functions/builtins_int.h"

/* Every builtin here is deterministic given its inputs: running it again is harmless. */
static const struct fn_builtin table[] = {
    {"echo", fn_echo, 1},
    {"gbdt-predict", fn_gbdt_predict, 1},
    {"gbdt-train", fn_gbdt_train, 1},
    {"image-classification", fn_image_classification, 1},
    {"logistic-regression-predict", fn_logistic_regression_predict, 1},
    {"logistic-regression-train", fn_logistic_regression_train, 1},
    {"online-decrypt", fn_online_decrypt, 1},
    {"ordered-set-intersect", fn_ordered_set_intersect, 1},
    {"ordered-set-join", fn_ordered_set_join, 1},
    {"password-check", fn_password_check, 1},
    {"principal-components-analysis", fn_principal_components_analysis, 1},
    {"private-join-and-compute", fn_private_join_and_compute, 1},
    {"rsa-sign", fn_rsa_sign, 1},
    {"sql", fn_sql, 1},
};

const struct fn_builtin *fn_find(const char *name)
{
	for (size_t i = 0; i < sizeof(table) / sizeof(table[0]); i++)
		if (!strcmp(table[i].name, name))
			return &table[i];
	return NULL;
}

const struct fn_builtin *fn_all(size_t *n)
{
	*n = sizeof(table) / sizeof(table[0]);
	return table;
}

int fn_arg_size(struct fn_ctx *c, const char *name, size_t def, size_t max, size_t *out)
{
	const char *s = fn_arg(c, name);
	size_t v = 0;

	*out = def;
	if (!s)
		return 0;
	if (!*s)
		return fn_fail(c, CU_EINVAL, "the argument \"%s\" is empty", name);
	for (; *s; s++) {
		if (*s < '0' || *s > '9')
			return fn_fail(c, CU_EINVAL, "the argument \"%s\" must be a decimal number",
			               name);
		size_t d = (size_t)(*s - '0');
		if (d > max || v > (max - d) / 10)
			return fn_fail(c, CU_EINVAL, "the argument \"%s\" exceeds %zu", name, max);
		v = v * 10 + d;
	}
	*out = v;
	return 0;
}

int fn_arg_bool(struct fn_ctx *c, const char *name, int def, int *out)
{
	const char *s = fn_arg(c, name);

	*out = def;
	if (!s)
		return 0;
	if (!strcmp(s, "true"))
		*out = 1;
	else if (!strcmp(s, "false"))
		*out = 0;
	else
		return fn_fail(c, CU_EINVAL, "the argument \"%s\" must be \"true\" or \"false\"",
		               name);
	return 0;
}
