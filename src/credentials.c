/*
 * credentials.c - storing OAuth credentials, checking that every stored
 * secret still opens, and their SQL functions
 */
#include "postgres.h"

#include "fmgr.h"
#include "funcapi.h"
#include "miscadmin.h"
#include "utils/builtins.h"
#include "utils/timestamp.h"

#include "api.h"
#include "audit.h"
#include "authz.h"
#include "credentials.h"
#include "crypto.h"
#include "errors.h"
#include "json_output.h"
#include "keyring.h"
#include "settings.h"
#include "storage.h"
#include "token_cache.h"
#include "validate.h"

SealContext
credentials_seal_context(const char *tenant, const char *name, const char *client_id)
{
	SealContext context = {4, {"client_secret", tenant, name, client_id}};

	return context;
}

/*
 * One UPDATE writes the credentials: concurrent stores on one connection
 * queue on its row lock and the last to commit wins.
 */
void
credentials_store(const char *tenant, const char *name, const text *client_id,
				  const text *client_secret, pg_uuid_t *id, TimestampTz *stored_at)
{
	char	   *stored_by = GetUserNameFromId(GetUserId(), false);
	StorageScope scope;
	const DbxKey *key;
	SealContext context;
	bytea	   *sealed;
	bool		found;
	bool		replaced;

	check_tenant(tenant, name);
	validate_connection_name(name);
	validate_client_id(client_id);
	validate_client_secret(client_secret);
	PreventCommandIfReadOnly("dbx_store_oauth_credentials()");

	key = keyring_newest();
	context = credentials_seal_context(tenant, name, text_to_cstring(client_id));
	sealed = crypto_seal(key, client_secret, &context);
	*stored_at = GetCurrentTimestamp();
	storage_open(&scope);
	found = storage_put_credentials(tenant, name, client_id, sealed, key->version,
									*stored_at, stored_by, id, &replaced);
	if (found)
		audit_success(replaced ? "credentials_replaced" : "credentials_stored", tenant, name,
					  psprintf("key version %d", key->version));
	storage_close(&scope);
	if (!found)
		dbx_raise(DBX_ERR_CONNECTION_NOT_FOUND, name, tenant);
	token_cache_forget_at_commit(tenant, name);
}

char *
credentials_stored_body(const char *name, const pg_uuid_t *id, TimestampTz stored_at)
{
	StringInfoData out;
	bool		first = true;

	initStringInfo(&out);
	appendStringInfoString(&out, "{\"status\": \"success\", \"data\": {");
	json_string_member(&out, &first, "status", "success");
	json_string_member(&out, &first, "message", "Databricks M2M OAuth credentials stored successfully");
	json_string_member(&out, &first, "connectionId", uuid_to_text(id));
	json_string_member(&out, &first, "connectionName", name);
	json_key(&out, &first, "timestamp");
	appendStringInfo(&out, INT64_FORMAT, timestamp_to_unix_ms(stored_at));
	appendStringInfoString(&out, "}}");
	return out.data;
}

/* Wipe a detoasted copy of argument n once it is no longer needed. */
static void
wipe_argument_copy(FunctionCallInfo fcinfo, int n, text *value)
{
	if (value != NULL && (Pointer) value != DatumGetPointer(PG_GETARG_DATUM(n)))
		explicit_bzero(VARDATA_ANY(value), VARSIZE_ANY_EXHDR(value));
}

PG_FUNCTION_INFO_V1(dbx_store_oauth_credentials);

/* SQL: store (or replace) the OAuth M2M credentials of a connection. */
Datum
dbx_store_oauth_credentials(PG_FUNCTION_ARGS)
{
	char	   *name = text_arg(fcinfo, 1);
	text	   *client_secret = PG_ARGISNULL(3) ? NULL : PG_GETARG_TEXT_PP(3);
	pg_uuid_t	id;
	TimestampTz stored_at;

	credentials_store(text_arg(fcinfo, 0), name, PG_ARGISNULL(2) ? NULL : PG_GETARG_TEXT_PP(2),
					  client_secret, &id, &stored_at);
	wipe_argument_copy(fcinfo, 3, client_secret);
	return json_result(credentials_stored_body(name, &id, stored_at));
}

/* Whether a stored secret opens: "ok", "key_missing" or "tampered". */
static const char *
credential_status(const CredentialRow *credential)
{
	SealContext context = credentials_seal_context(credential->tenant_id, credential->connection_name,
												   credential->client_id);
	int32		version;
	SealedState state;
	bytea	   *plain = keyring_open(credential->sealed_secret, &context, &version, &state);

	if (plain != NULL)
	{
		explicit_bzero(VARDATA_ANY(plain), VARSIZE_ANY_EXHDR(plain));
		pfree(plain);
	}
	if (state == SEALED_OPENED && version == credential->key_version)
		return "ok";
	return state == SEALED_KEY_MISSING && version == credential->key_version ? "key_missing" : "tampered";
}

PG_FUNCTION_INFO_V1(dbx_credential_max_age);

/* SQL: dbx_oauth.credential_max_age, for the metadata view. */
Datum
dbx_credential_max_age(PG_FUNCTION_ARGS)
{
	PG_RETURN_INT32(dbx_credential_max_age_days);
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
	keyring_recheck();
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
