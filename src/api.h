/*
 * api.h - what the SQL entry points share
 */
#ifndef DBX_API_H
#define DBX_API_H

#include "fmgr.h"
#include "utils/builtins.h"

/* Text argument n as a C string, or NULL when it is SQL NULL. */
static inline char *
text_arg(FunctionCallInfo fcinfo, int n)
{
	return PG_ARGISNULL(n) ? NULL : text_to_cstring(PG_GETARG_TEXT_PP(n));
}

#endif
