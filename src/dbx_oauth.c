/*
 * dbx_oauth.c - module entry: Databricks OAuth M2M credentials kept inside
 * PostgreSQL
 */
#include "postgres.h"

#include "fmgr.h"

#include "settings.h"

PG_MODULE_MAGIC;

void		_PG_init(void);

/* Define the settings when the library is loaded. */
void
_PG_init(void)
{
	settings_define();
}
