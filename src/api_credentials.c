/*
 * api_credentials.c - SQL entry points for OAuth credentials: store them,
 * and check that every stored secret still opens
 */
#include "postgres.h"

#include "fmgr.h"
#include "funcapi.h"
#include "miscadmin.h"
#include "utils/builtins.h"
#include "utils/timestamp.h"

#include "api.h"
#include "crypto.h"
#include "errors.h"
#include "json_output.h"
#include "keyring.h"
#include "storage.h"
#include "validate.h"

/* Wipe a detoasted copy of argument n once it is no longer needed. */
static void
wipe_argument_copy(FunctionCallInfo fcinfo, int n, text *value)
{
	if (value != NULL && (Pointer) value != DatumGetPointer(PG_GETARG_DATUM(n)))
		explicit_bzero(VARDATA_ANY(value), VARSIZE_ANY_EXHDR(value));
}

PG_FUNCTION_INFO_V1(dbx_store_oauth_credentials);

/*
 * SQL: store (or replace) the OAuth M2M credentials of a connection.  The
 * config row is locked first, so concurrent stores on one connection queue
 * up and the last to commit wins.
 */
Datum
dbx_store_oauth_credentials(PG_FUNCTION_ARGS)
{
	char	   *tenant = text_arg(fcinfo, 0);
	char	   *name = text_arg(fcinfo, 1);
	text	   *client_id = PG_ARGISNULL(2) ? NULL : PG_GETARG_TEXT_PP(2);
	text	   *client_secret = PG_ARGISNULL(3) ? NULL : PG_GETARG_TEXT_PP(3);
	char	   *stored_by = GetUserNameFromId(GetUserId(), false);
	TimestampTz now = GetCurrentTimestamp();
	pg_uuid_t	id;
	StorageScope scope;
	const DbxKey *key;
	bytea	   *sealed;
	StringInfoData out;
	bool		first = true;

	validate_tenant(tenant);
	validate_connection_name(name);
	validate_client_id(client_id);
	validate_client_secret(client_secret);

	storage_open(&scope);
	if (!storage_lock_config(tenant, name, now, &id))
		dbx_raise(DBX_ERR_CONNECTION_NOT_FOUND, name, tenant);
	key = keyring_newest();
	sealed = crypto_seal(key, client_secret, DBX_PURPOSE_CLIENT_SECRET, &id);
	wipe_argument_copy(fcinfo, 3, client_secret);
	storage_put_credentials(&id, client_id, sealed, key->version, now, stored_by);
	storage_close(&scope);

	initStringInfo(&out);
	appendStringInfoString(&out, "{\"status\": \"success\", \"data\": {");
	json_string_member(&out, &first, "status", "success");
	json_string_member(&out, &first, "message", "Databricks M2M OAuth credentials stored successfully");
	json_string_member(&out, &first, "connectionId", uuid_to_text(&id));
	json_string_member(&out, &first, "connectionName", name);
	json_key(&out, &first, "timestamp");
	appendStringInfo(&out, INT64_FORMAT, timestamp_to_unix_ms(now));
	appendStringInfoString(&out, "}}");
	return json_result(&out);
}

/* Whether a stored secret opens: "ok", "key_missing" or "tampered". */
static const char *
credential_status(const CredentialRow *credential)
{
	int32		version;
	const DbxKey *key;
	bytea	   *plain;

	if (!crypto_sealed_key_version(credential->sealed_secret, &version) ||
		version != credential->key_version)
		return "tampered";
	key = keyring_find(version);
	if (key == NULL)
		return "key_missing";
	plain = crypto_open(key, credential->sealed_secret, DBX_PURPOSE_CLIENT_SECRET,
						&credential->connection_id);
	if (plain == NULL)
		return "tampered";
	explicit_bzero(VARDATA_ANY(plain), VARSIZE_ANY_EXHDR(plain));
	pfree(plain);
	return "ok";
}

PG_FUNCTION_INFO_V1(dbx_check_credentials);

/*
 * SQL (admins): for every stored secret, whether it still authenticates and
 * decrypts under the configured keys.  Returns no plaintext.
 */
Datum
dbx_check_credentials(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	StorageScope scope;
	List	   *credentials;
	ListCell   *cell;

	InitMaterializedSRF(fcinfo, 0);
	storage_open(&scope);
	credentials = storage_list_credentials();
	storage_close(&scope);

	foreach(cell, credentials)
	{
		CredentialRow *credential = lfirst(cell);
		Datum		values[5];
		bool		nulls[5] = {false};

		values[0] = CStringGetTextDatum(credential->tenant_id);
		values[1] = CStringGetTextDatum(credential->connection_name);
		values[2] = UUIDPGetDatum(&credential->connection_id);
		values[3] = Int32GetDatum(credential->key_version);
		values[4] = CStringGetTextDatum(credential_status(credential));
		tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
	}
	return (Datum) 0;
}
