/*
 * echo.c - the result is the argument "message" (Teaclave's builtin-echo).
 */
#include <string.h>

#include "common/err.h"
#include "functions/builtins_int.h"

int fn_echo(struct fn_ctx *c)
{
	const char *msg = fn_arg(c, "message");

	if (!msg)
		return fn_fail(c, CU_EINVAL, "echo needs the argument \"message\"");
	if (strlen(msg) > FN_RESULT_MAX)
		return fn_fail(c, CU_ELIMIT, "the message is longer than %d bytes", FN_RESULT_MAX);
	fn_result(c, "%s", msg);
	return 0;
}
