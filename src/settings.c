/*
 * settings.c - the dbx_oauth.* configuration parameters
 */
#include "postgres.h"

#include "utils/guc.h"

#include "settings.h"

char	   *dbx_key_file = NULL;

/* The key file must be named by an absolute path: the server's cwd is the data directory. */
static bool
check_key_file(char **newval, void **extra, GucSource source)
{
	if (*newval == NULL || (*newval)[0] == '\0' || is_absolute_path(*newval))
		return true;
	GUC_check_errdetail("dbx_oauth.key_file must be an absolute path.");
	return false;
}

/* Register the settings; called once per backend from _PG_init. */
void
settings_define(void)
{
	DefineCustomStringVariable("dbx_oauth.key_file",
							   "Path of the file holding the dbx_oauth encryption keys.",
							   "One key per line as <version>:<64 hex characters>; "
							   "the highest version encrypts new writes.",
							   &dbx_key_file,
							   "",
							   PGC_SUSET,
							   GUC_SUPERUSER_ONLY,
							   check_key_file, NULL, NULL);
	MarkGUCPrefixReserved("dbx_oauth");
}
