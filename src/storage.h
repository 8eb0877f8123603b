/*
 * storage.h - the extension's tables, read and written through SPI with
 * bound parameters, as the owner of the tables
 */
#ifndef DBX_STORAGE_H
#define DBX_STORAGE_H

#include "nodes/pg_list.h"
#include "utils/timestamp.h"
#include "utils/uuid.h"

#include "config_body.h"

/* What is saved while storage is open; see storage_open. */
typedef struct StorageScope
{
	Oid			saved_user;
	int			saved_security_context;
	MemoryContext caller_context;
} StorageScope;

/* A connection config as read back, with the client ID once credentials exist. */
typedef struct ConfigRow
{
	pg_uuid_t	connection_id;
	char	   *tenant_id;
	char	   *connection_name;
	char	   *database_type;
	char	   *databricks_config;
	char	   *status;
	TimestampTz created_time;
	TimestampTz updated_time;
	char	   *client_id;		/* NULL without credentials */
} ConfigRow;

/* Stored credentials as the check function sees them: never decrypted here. */
typedef struct CredentialRow
{
	pg_uuid_t	connection_id;
	char	   *tenant_id;
	char	   *connection_name;
	char	   *client_id;
	int32		key_version;
	bytea	   *sealed_secret;
} CredentialRow;

/*
 * Switch to the owner of the extension's tables with the search path pinned
 * to pg_catalog alone, and connect to SPI.  Results are allocated in the caller's
 * memory context.  An error in between is cleaned up by transaction abort.
 */
extern void storage_open(StorageScope *scope);

/* The OID of the table dbx_oauth.database_configs. */
extern Oid	storage_table(void);

/* Whether dbx_oauth is installed in this database. */
extern bool storage_exists(void);

/* The role that called: the one storage_open switched away from. */
extern Oid	storage_caller(void);

struct AuditEvent;

/* Append a line to dbx_oauth.audit_log. */
extern void storage_audit(const struct AuditEvent *event);
extern void storage_close(StorageScope *scope);

/* Insert a config unless the tenant has one of that name; false if it has. */
extern bool storage_insert_config(const char *tenant, const DatabaseConfig *config,
								  const pg_uuid_t *id, TimestampTz now);

/* The tenant's config of that name, or NULL. */
extern ConfigRow *storage_get_config(const char *tenant, const char *name);

/* All configs of the tenant, oldest first. */
extern List *storage_list_configs(const char *tenant);

/* Delete the config and its credentials; false if there was none. */
extern bool storage_delete_config(const char *tenant, const char *name, pg_uuid_t *id);

/*
 * Insert or replace the credentials of the tenant's config of that name, and
 * move its updated_time; false (nothing written) if there is no such config.
 * Sets *id to the config's id and *replaced to whether it had credentials.
 */
extern bool storage_put_credentials(const char *tenant, const char *name, const text *client_id,
									const bytea *sealed_secret, int32 key_version,
									TimestampTz stored_at, const char *stored_by, pg_uuid_t *id,
									bool *replaced);

/* What minting a token and testing a connection read of a config. */
typedef struct ConnectionRow
{
	pg_uuid_t	connection_id;
	char	   *workspace_url;
	char	   *warehouse_id;
	char	   *client_id;		/* NULL without credentials */
	int32		key_version;
	bytea	   *sealed_secret;
	bool		changed_here;	/* written by the current transaction */
} ConnectionRow;

/*
 * The tenant's connection of that name, or NULL: as the transaction sees it,
 * or with "latest", as last committed (and changed by this transaction).
 */
extern ConnectionRow *storage_get_connection(const char *tenant, const char *name, bool latest);

/*
 * Set the status of the config with that id, which stays locked until the
 * transaction ends; false if it is gone (deleted, or replaced by another of
 * the same name).
 */
extern bool storage_set_status(const pg_uuid_t *id, const char *status);

/* The OID of the table of tenant grants. */
extern Oid storage_grants_table(void);

/* The roles granted the tenant, or every tenant ('*'), as last committed. */
extern List *storage_tenant_grantees(const char *tenant);

/* Add or remove a tenant grant; whether anything changed. */
extern bool storage_grant_tenant(Oid role, const char *tenant);
extern bool storage_revoke_tenant(Oid role, const char *tenant);

/* Whether the tenant has a config whose status is ACTIVE. */
extern bool storage_tenant_has_active_config(const char *tenant);

/* Every stored credential, ordered by tenant and connection name. */
extern List *storage_list_credentials(void);

/* Up to limit stored credentials not sealed under key version, with ids after "after". */
extern List *storage_list_credentials_to_reseal(int32 version, const pg_uuid_t *after, int limit);

/* Replace a sealed secret if it is still the one read; false if it changed meanwhile. */
extern bool storage_reseal(const pg_uuid_t *id, const bytea *old_sealed, const bytea *new_sealed,
						   int32 key_version);

#endif
