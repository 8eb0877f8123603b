/*
 * dbx_oauth.c - module entry: Databricks OAuth M2M credentials kept inside
 * PostgreSQL
 */
#include "postgres.h"

#include "fmgr.h"
#include "miscadmin.h"
#include "storage/ipc.h"

#include "audit.h"
#include "settings.h"
#include "token_cache.h"

PG_MODULE_MAGIC;

void		_PG_init(void);

static shmem_request_hook_type previous_shmem_request = NULL;
static shmem_startup_hook_type previous_shmem_startup = NULL;

/* Reserve the shared memory of the token cache and the audit queue. */
static void
request_shmem(void)
{
	if (previous_shmem_request)
		previous_shmem_request();
	token_cache_request_shmem();
	audit_request_shmem();
}

/* Set up the token cache and the audit queue in shared memory. */
static void
startup_shmem(void)
{
	if (previous_shmem_startup)
		previous_shmem_startup();
	token_cache_init_shmem();
	audit_init_shmem();
}

/*
 * Define the settings; when preloaded, also hook in the shared memory of the
 * token cache and the audit queue (without preloading, tokens are
 * unavailable and failures are audited in the server log only).
 */
void
_PG_init(void)
{
	settings_define();
	if (!process_shared_preload_libraries_in_progress)
		return;
	previous_shmem_request = shmem_request_hook;
	shmem_request_hook = request_shmem;
	previous_shmem_startup = shmem_startup_hook;
	shmem_startup_hook = startup_shmem;
}
