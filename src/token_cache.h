/*
 * token_cache.h - Databricks access tokens shared by every backend: reused
 * while fresh, refreshed early by one caller, minted once however many
 * callers find them expired
 */
#ifndef DBX_TOKEN_CACHE_H
#define DBX_TOKEN_CACHE_H

#include "utils/timestamp.h"

#include "crypto.h"
#include "databricks.h"

/*
 * Mints a token for the connection; raises the catalog error of a failure.
 * Sets *shareable (false on entry) once it knows that the token, or the
 * error, may be shared with other sessions: that it comes from committed
 * credentials this transaction did not change.
 */
typedef void (*TokenMinter) (void *arg, AccessToken *token, bool *shareable);

/*
 * The access token of the tenant's connection.  A cached token is used until
 * min(40 s, TTL/4) before it expires; within min(TTL/2, 20 min) of its
 * expiry one caller mints a new one while the others go on using it (after a
 * failed early refresh, the next waits a minute).  When there is no usable
 * token, one backend mints and the others wait for its token, or its error.
 * With "fresh", the token returned was minted after the call began (a failed
 * fresh mint leaves the cached token in place).  Sets *expires_at.  Needs
 * dbx_oauth in shared_preload_libraries.
 */
extern char *token_cache_get(const char *tenant, const char *connection, bool fresh,
							 TokenMinter mint, void *arg, TimestampTz *expires_at);

/*
 * Seal this database's cached tokens with key (the newest): those whose key
 * is gone are dropped.  Returns how many were sealed anew.
 */
extern int	token_cache_reseal(const DbxKey *key);

/*
 * Drop the connection's token when the current transaction commits.  Such a
 * transaction cannot be prepared for two-phase commit.
 */
extern void token_cache_forget_at_commit(const char *tenant, const char *connection);

/* Shared memory: request it (shmem_request_hook), then set it up (shmem_startup_hook). */
extern void token_cache_request_shmem(void);
extern void token_cache_init_shmem(void);

#endif
