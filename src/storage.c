/*
 * storage.c - the extension's tables, read and written through SPI with
 * bound parameters, as the owner of the tables
 *
 * Callers need EXECUTE on the SQL function only; no role gets any privilege
 * on the tables.  Every statement names its tables with their schema and
 * runs with the search path pinned to pg_catalog alone (not even the
 * temporary schema), so objects a caller creates elsewhere cannot stand in
 * for ours or for built-in operators.  Plans are prepared once per backend.
 */
#include "postgres.h"

#include "access/htup_details.h"
#include "access/xact.h"
#include "catalog/namespace.h"
#include "catalog/pg_class.h"
#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "miscadmin.h"
#include "utils/builtins.h"
#include "utils/lsyscache.h"
#include "utils/snapmgr.h"
#include "utils/syscache.h"

#include "audit.h"
#include "storage.h"

#define SCHEMA_NAME "dbx_oauth"
#define MAX_ARGS 9

typedef struct Statement
{
	const char *sql;
	int			nargs;
	Oid			argtypes[MAX_ARGS];
	SPIPlanPtr	plan;			/* prepared on first use, kept for the backend's life */
} Statement;

#define CONFIG_SELECT \
	"SELECT connection_id, tenant_id, connection_name, database_type," \
	" databricks_config::pg_catalog.text, status, created_time, updated_time, client_id" \
	" FROM dbx_oauth.database_configs"

static Statement insert_config = {
	"INSERT INTO dbx_oauth.database_configs (connection_id, tenant_id, connection_name,"
	" database_type, workspace_url, warehouse_id, databricks_config, created_time, updated_time)"
	" VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $8)"
	" ON CONFLICT (tenant_id, connection_name) DO NOTHING RETURNING connection_id",
	8, {UUIDOID, TEXTOID, TEXTOID, TEXTOID, TEXTOID, TEXTOID, JSONOID, TIMESTAMPTZOID}
};

static Statement get_config = {
	CONFIG_SELECT " WHERE tenant_id = $1 AND connection_name = $2",
	2, {TEXTOID, TEXTOID}
};

static Statement list_configs = {
	CONFIG_SELECT " WHERE tenant_id = $1 ORDER BY created_time, connection_name",
	1, {TEXTOID}
};

static Statement delete_config = {
	"DELETE FROM dbx_oauth.database_configs WHERE tenant_id = $1 AND connection_name = $2"
	" RETURNING connection_id",
	2, {TEXTOID, TEXTOID}
};

/*
 * Storing is this one statement: concurrent stores on one connection queue
 * on its row lock, and store_count, computed from the row each store
 * finally updates, tells a first store from a replacement.
 */
static Statement put_credentials = {
	"UPDATE dbx_oauth.database_configs SET client_id = $3, client_secret_sealed = $4,"
	" key_version = $5, stored_at = $6, stored_by = $7, updated_time = $6,"
	" store_count = store_count + 1"
	" WHERE tenant_id = $1 AND connection_name = $2 RETURNING connection_id, store_count",
	7, {TEXTOID, TEXTOID, TEXTOID, BYTEAOID, INT4OID, TIMESTAMPTZOID, NAMEOID}
};

static Statement get_connection = {
	"SELECT workspace_url, warehouse_id, client_id, key_version, client_secret_sealed, xmin,"
	" connection_id"
	" FROM dbx_oauth.database_configs WHERE tenant_id = $1 AND connection_name = $2",
	2, {TEXTOID, TEXTOID}
};

static Statement lock_config = {
	"SELECT status FROM dbx_oauth.database_configs WHERE connection_id = $1 FOR NO KEY UPDATE",
	1, {UUIDOID}
};

static Statement set_status = {
	"UPDATE dbx_oauth.database_configs SET status = $2, updated_time = pg_catalog.clock_timestamp()"
	" WHERE connection_id = $1",
	2, {UUIDOID, TEXTOID}
};

static Statement insert_audit = {
	"INSERT INTO dbx_oauth.audit_log (at, actor, session_user_name, jwt_subject, action, outcome,"
	" tenant_id, connection_name, detail)"
	" VALUES ($1, $2, $3, NULLIF($4, ''), $5, $6, NULLIF($7, ''),"
	" NULLIF($8, ''), NULLIF($9, ''))",
	9, {TIMESTAMPTZOID, NAMEOID, NAMEOID, TEXTOID, TEXTOID, TEXTOID, TEXTOID, TEXTOID, TEXTOID}
};

static Statement tenant_grantees = {
	"SELECT grantee::pg_catalog.oid FROM dbx_oauth.tenant_grants"
	" WHERE tenant_id = $1 OR tenant_id = '*'",
	1, {TEXTOID}
};

static Statement grant_tenant = {
	"INSERT INTO dbx_oauth.tenant_grants (grantee, tenant_id, granted_at, granted_by)"
	" VALUES ($1::pg_catalog.oid::pg_catalog.regrole, $2, pg_catalog.clock_timestamp(), $3)"
	" ON CONFLICT DO NOTHING",
	3, {OIDOID, TEXTOID, NAMEOID}
};

static Statement revoke_tenant = {
	"DELETE FROM dbx_oauth.tenant_grants WHERE grantee = $1::pg_catalog.oid::pg_catalog.regrole"
	" AND tenant_id = $2",
	2, {OIDOID, TEXTOID}
};

static Statement tenant_has_active = {
	"SELECT FROM dbx_oauth.database_configs WHERE tenant_id = $1 AND status = 'ACTIVE' LIMIT 1",
	1, {TEXTOID}
};

static Statement list_to_reseal = {
	"SELECT connection_id, tenant_id, connection_name, client_id, key_version, client_secret_sealed"
	" FROM dbx_oauth.database_configs"
	" WHERE client_secret_sealed IS NOT NULL AND key_version <> $1 AND connection_id > $2"
	" ORDER BY connection_id LIMIT $3",
	3, {INT4OID, UUIDOID, INT4OID}
};

static Statement reseal = {
	"UPDATE dbx_oauth.database_configs SET client_secret_sealed = $3, key_version = $4"
	" WHERE connection_id = $1 AND client_secret_sealed = $2",
	4, {UUIDOID, BYTEAOID, BYTEAOID, INT4OID}
};

static Statement list_credentials = {
	"SELECT connection_id, tenant_id, connection_name, client_id, key_version, client_secret_sealed"
	" FROM dbx_oauth.database_configs WHERE client_secret_sealed IS NOT NULL"
	" ORDER BY tenant_id, connection_name",
	0, {InvalidOid}
};

/* Where results go: the memory context of the caller of storage_open. */
static MemoryContext result_context = NULL;

/* Who called storage_open. */
static Oid	caller = InvalidOid;

bool
storage_exists(void)
{
	Oid			schema = get_namespace_oid(SCHEMA_NAME, true);

	return OidIsValid(schema) && OidIsValid(get_relname_relid("audit_log", schema));
}

Oid
storage_caller(void)
{
	Assert(OidIsValid(caller));
	return caller;
}

Oid
storage_table(void)
{
	Oid			relid = get_relname_relid("database_configs", get_namespace_oid(SCHEMA_NAME, false));

	if (!OidIsValid(relid))
		elog(ERROR, "table %s.database_configs is missing", SCHEMA_NAME);
	return relid;
}

Oid
storage_grants_table(void)
{
	return get_relname_relid("tenant_grants", get_namespace_oid(SCHEMA_NAME, false));
}

/* The role that owns the extension's table. */
static Oid
table_owner(void)
{
	Oid			relid = storage_table();
	HeapTuple	tuple;
	Oid			owner;

	tuple = SearchSysCache1(RELOID, ObjectIdGetDatum(relid));
	if (!HeapTupleIsValid(tuple))
		elog(ERROR, "table %s.database_configs is missing", SCHEMA_NAME);
	owner = ((Form_pg_class) GETSTRUCT(tuple))->relowner;
	ReleaseSysCache(tuple);
	return owner;
}

void
storage_open(StorageScope *scope)
{
	OverrideSearchPath catalog_only = {NIL, true, false};

	scope->caller_context = CurrentMemoryContext;
	PushOverrideSearchPath(&catalog_only);
	GetUserIdAndSecContext(&scope->saved_user, &scope->saved_security_context);
	caller = scope->saved_user;
	SetUserIdAndSecContext(table_owner(),
						   scope->saved_security_context | SECURITY_LOCAL_USERID_CHANGE);
	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	result_context = scope->caller_context;
}

void
storage_close(StorageScope *scope)
{
	result_context = NULL;
	if (SPI_finish() != SPI_OK_FINISH)
		elog(ERROR, "SPI_finish failed");
	SetUserIdAndSecContext(scope->saved_user, scope->saved_security_context);
	PopOverrideSearchPath();
}

/*
 * Execute a statement with bound parameters, under the given snapshot (or,
 * with InvalidSnapshot, the transaction's); returns the number of rows.
 */
static uint64
run_in_snapshot(Statement *statement, Datum *values, Snapshot snapshot)
{
	int			rc;

	Assert(result_context != NULL);
	if (statement->plan == NULL)
	{
		SPIPlanPtr	plan = SPI_prepare(statement->sql, statement->nargs, statement->argtypes);

		if (plan == NULL || SPI_keepplan(plan) != 0)
			elog(ERROR, "could not prepare \"%s\": %s", statement->sql,
				 SPI_result_code_string(SPI_result));
		statement->plan = plan;
	}
	rc = SPI_execute_snapshot(statement->plan, values, NULL, snapshot, InvalidSnapshot,
							  false, true, 0);
	if (rc < 0)
		elog(ERROR, "could not run \"%s\": %s", statement->sql, SPI_result_code_string(rc));
	return SPI_processed;
}

/* Execute a statement with bound parameters; returns the number of rows. */
static uint64
run(Statement *statement, Datum *values)
{
	return run_in_snapshot(statement, values, InvalidSnapshot);
}

/* Column col (1-based) of result row "row". */
static Datum
column(uint64 row, int col, bool *isnull)
{
	return SPI_getbinval(SPI_tuptable->vals[row], SPI_tuptable->tupdesc, col, isnull);
}

/* A text column copied into the result context, or NULL. */
static char *
column_text(uint64 row, int col)
{
	bool		isnull;
	Datum		value = column(row, col, &isnull);

	return isnull ? NULL : MemoryContextStrdup(result_context, TextDatumGetCString(value));
}

/* A non-null uuid column. */
static void
column_uuid(uint64 row, int col, pg_uuid_t *id)
{
	bool		isnull;

	*id = *DatumGetUUIDP(column(row, col, &isnull));
}

/* A non-null timestamptz column. */
static TimestampTz
column_time(uint64 row, int col)
{
	bool		isnull;

	return DatumGetTimestampTz(column(row, col, &isnull));
}

/* Result row "row" of CONFIG_SELECT, allocated in the result context. */
static ConfigRow *
config_row(uint64 row)
{
	ConfigRow  *config = MemoryContextAllocZero(result_context, sizeof(ConfigRow));

	column_uuid(row, 1, &config->connection_id);
	config->tenant_id = column_text(row, 2);
	config->connection_name = column_text(row, 3);
	config->database_type = column_text(row, 4);
	config->databricks_config = column_text(row, 5);
	config->status = column_text(row, 6);
	config->created_time = column_time(row, 7);
	config->updated_time = column_time(row, 8);
	config->client_id = column_text(row, 9);
	return config;
}

bool
storage_insert_config(const char *tenant, const DatabaseConfig *config,
					  const pg_uuid_t *id, TimestampTz now)
{
	Datum		values[] = {
		UUIDPGetDatum(id),
		CStringGetTextDatum(tenant),
		CStringGetTextDatum(config->connection_name),
		CStringGetTextDatum(config->database_type),
		CStringGetTextDatum(config->workspace_url),
		CStringGetTextDatum(config->warehouse_id),
		CStringGetTextDatum(config->databricks_config),
		TimestampTzGetDatum(now),
	};

	return run(&insert_config, values) == 1;
}

ConfigRow *
storage_get_config(const char *tenant, const char *name)
{
	Datum		values[] = {CStringGetTextDatum(tenant), CStringGetTextDatum(name)};

	return run(&get_config, values) == 1 ? config_row(0) : NULL;
}

List *
storage_list_configs(const char *tenant)
{
	Datum		values[] = {CStringGetTextDatum(tenant)};
	uint64		count = run(&list_configs, values);
	List	   *result = NIL;
	MemoryContext old;

	for (uint64 row = 0; row < count; row++)
	{
		ConfigRow  *config = config_row(row);

		old = MemoryContextSwitchTo(result_context);
		result = lappend(result, config);
		MemoryContextSwitchTo(old);
	}
	return result;
}

bool
storage_delete_config(const char *tenant, const char *name, pg_uuid_t *id)
{
	Datum		values[] = {CStringGetTextDatum(tenant), CStringGetTextDatum(name)};

	if (run(&delete_config, values) != 1)
		return false;
	column_uuid(0, 1, id);
	return true;
}

bool
storage_put_credentials(const char *tenant, const char *name, const text *client_id,
						const bytea *sealed_secret, int32 key_version,
						TimestampTz stored_at, const char *stored_by, pg_uuid_t *id,
						bool *replaced)
{
	Datum		values[] = {
		CStringGetTextDatum(tenant),
		CStringGetTextDatum(name),
		PointerGetDatum(client_id),
		PointerGetDatum(sealed_secret),
		Int32GetDatum(key_version),
		TimestampTzGetDatum(stored_at),
		DirectFunctionCall1(namein, CStringGetDatum(stored_by)),
	};

	bool		isnull;

	if (run(&put_credentials, values) != 1)
		return false;
	column_uuid(0, 1, id);
	*replaced = DatumGetInt32(column(0, 2, &isnull)) > 1;
	return true;
}

ConnectionRow *
storage_get_connection(const char *tenant, const char *name, bool latest)
{
	Datum		values[] = {CStringGetTextDatum(tenant), CStringGetTextDatum(name)};
	ConnectionRow *connection;
	MemoryContext old;
	bool		isnull;
	Datum		sealed;

	if (run_in_snapshot(&get_connection, values,
						latest ? GetLatestSnapshot() : InvalidSnapshot) != 1)
		return NULL;
	connection = MemoryContextAllocZero(result_context, sizeof(ConnectionRow));
	connection->workspace_url = column_text(0, 1);
	connection->warehouse_id = column_text(0, 2);
	connection->client_id = column_text(0, 3);
	connection->key_version = DatumGetInt32(column(0, 4, &isnull));
	sealed = column(0, 5, &isnull);
	old = MemoryContextSwitchTo(result_context);
	connection->sealed_secret = isnull ? NULL : DatumGetByteaPCopy(sealed);
	MemoryContextSwitchTo(old);
	connection->changed_here =
		TransactionIdIsCurrentTransactionId(DatumGetTransactionId(column(0, 6, &isnull)));
	column_uuid(0, 7, &connection->connection_id);
	return connection;
}

bool
storage_set_status(const pg_uuid_t *id, const char *status)
{
	Datum		values[] = {UUIDPGetDatum(id), CStringGetTextDatum(status)};
	char	   *current;

	if (run(&lock_config, values) != 1)
		return false;
	current = column_text(0, 1);
	if (strcmp(current, status) != 0)
		run(&set_status, values);
	return true;
}

void
storage_audit(const AuditEvent *event)
{
	Datum		values[] = {
		TimestampTzGetDatum(event->at),
		NameGetDatum(&event->actor),
		NameGetDatum(&event->session_user),
		CStringGetTextDatum(event->subject),
		CStringGetTextDatum(event->action),
		CStringGetTextDatum(event->outcome),
		CStringGetTextDatum(event->tenant),
		CStringGetTextDatum(event->connection),
		CStringGetTextDatum(event->detail),
	};

	run(&insert_audit, values);
}

List *
storage_tenant_grantees(const char *tenant)
{
	Datum		values[] = {CStringGetTextDatum(tenant)};
	uint64		count = run_in_snapshot(&tenant_grantees, values, GetLatestSnapshot());
	List	   *result = NIL;
	MemoryContext old = MemoryContextSwitchTo(result_context);

	for (uint64 row = 0; row < count; row++)
	{
		bool		isnull;

		result = lappend_oid(result, DatumGetObjectId(column(row, 1, &isnull)));
	}
	MemoryContextSwitchTo(old);
	return result;
}

bool
storage_grant_tenant(Oid role, const char *tenant)
{
	Datum		values[] = {
		ObjectIdGetDatum(role), CStringGetTextDatum(tenant),
		DirectFunctionCall1(namein, CStringGetDatum(GetUserNameFromId(caller, false))),
	};

	return run(&grant_tenant, values) == 1;
}

bool
storage_revoke_tenant(Oid role, const char *tenant)
{
	Datum		values[] = {ObjectIdGetDatum(role), CStringGetTextDatum(tenant)};

	return run(&revoke_tenant, values) == 1;
}

bool
storage_tenant_has_active_config(const char *tenant)
{
	Datum		values[] = {CStringGetTextDatum(tenant)};

	return run(&tenant_has_active, values) == 1;
}

/* The rows of a query on credentials, as CredentialRows. */
static List *
credential_rows(uint64 count)
{
	List	   *result = NIL;

	for (uint64 row = 0; row < count; row++)
	{
		CredentialRow *credential = MemoryContextAllocZero(result_context, sizeof(CredentialRow));
		MemoryContext old;
		bool		isnull;

		column_uuid(row, 1, &credential->connection_id);
		credential->tenant_id = column_text(row, 2);
		credential->connection_name = column_text(row, 3);
		credential->client_id = column_text(row, 4);
		credential->key_version = DatumGetInt32(column(row, 5, &isnull));
		old = MemoryContextSwitchTo(result_context);
		credential->sealed_secret = DatumGetByteaPCopy(column(row, 6, &isnull));
		result = lappend(result, credential);
		MemoryContextSwitchTo(old);
	}
	return result;
}

List *
storage_list_credentials(void)
{
	return credential_rows(run(&list_credentials, NULL));
}

List *
storage_list_credentials_to_reseal(int32 version, const pg_uuid_t *after, int limit)
{
	Datum		values[] = {Int32GetDatum(version), UUIDPGetDatum(after), Int32GetDatum(limit)};

	return credential_rows(run(&list_to_reseal, values));
}

bool
storage_reseal(const pg_uuid_t *id, const bytea *old_sealed, const bytea *new_sealed,
			   int32 key_version)
{
	Datum		values[] = {
		UUIDPGetDatum(id), PointerGetDatum(old_sealed), PointerGetDatum(new_sealed),
		Int32GetDatum(key_version)
	};

	return run(&reseal, values) == 1;
}
