/*
 * tokens.c - Databricks access tokens minted with the stored credentials,
 * and the connection test; their SQL functions
 */
#include "postgres.h"

#include "fmgr.h"
#include "miscadmin.h"
#include "utils/memutils.h"
#include "utils/builtins.h"

#include "api.h"
#include "audit.h"
#include "authz.h"
#include "credentials.h"
#include "databricks.h"
#include "errors.h"
#include "http_client.h"
#include "json_output.h"
#include "keyring.h"
#include "storage.h"
#include "subxact.h"
#include "token_cache.h"
#include "tokens.h"
#include "validate.h"

/* Which connection a token is for. */
typedef struct ConnectionName
{
	const char *tenant;
	const char *connection;
} ConnectionName;

/* The stored config of a connection (see storage_get_connection); raises when there is none. */
static ConnectionRow *
load_connection(const ConnectionName *name, bool latest)
{
	StorageScope scope;
	ConnectionRow *row;

	storage_open(&scope);
	row = storage_get_connection(name->tenant, name->connection, latest);
	storage_close(&scope);
	if (row == NULL)
		dbx_raise(DBX_ERR_CONNECTION_NOT_FOUND, name->connection, name->tenant);
	return row;
}

/* The plaintext client secret of a connection; the caller wipes it. */
static bytea *
open_secret(const ConnectionName *name, const ConnectionRow *row)
{
	SealContext context = credentials_seal_context(name->tenant, name->connection, row->client_id);
	int32		version;
	SealedState state;
	bytea	   *plain = keyring_open(row->sealed_secret, &context, &version, &state);

	if (state == SEALED_KEY_MISSING)
		dbx_raise(DBX_ERR_KEY_VERSION_MISSING, psprintf("%d", version));
	if (plain == NULL)
		dbx_raise(DBX_ERR_CREDENTIALS_TAMPERED, name->connection, name->tenant);
	return plain;
}

/*
 * TokenMinter: request a token with the connection's stored credentials, as
 * last committed, whatever the transaction's snapshot: a token minted with
 * credentials this transaction changed is for this caller only.  A failure
 * (no such connection, no credentials, a secret that does not open, what
 * Databricks answers) is audited once, by the minter.
 */
static void
mint_with_stored_credentials(void *arg, AccessToken *token, bool *shareable)
{
	ConnectionName *name = arg;
	bytea	   *volatile secret = NULL;

	PG_TRY();
	{
		ConnectionRow *row = load_connection(name, true);
		TokenRequest request;

		*shareable = !row->changed_here;
		if (row->client_id == NULL)
			dbx_raise(DBX_ERR_CREDENTIALS_NOT_STORED, name->connection, name->tenant);
		secret = open_secret(name, row);
		request.tenant = name->tenant;
		request.connection = name->connection;
		request.workspace_url = row->workspace_url;
		request.client_id = row->client_id;
		request.client_secret = secret;
		databricks_request_token(&request, token);
	}
	PG_CATCH();
	{
		ErrorData  *error;
		MemoryContext context = MemoryContextSwitchTo(ErrorContext);

		if (secret != NULL)
			explicit_bzero(VARDATA_ANY(secret), VARSIZE_ANY_EXHDR(secret));
		error = CopyErrorData();
		MemoryContextSwitchTo(context);
		audit_failure("token_request_failed", name->tenant, name->connection,
					  dbx_error_label(error->message, error->sqlerrcode));
		PG_RE_THROW();
	}
	PG_END_TRY();
	explicit_bzero(VARDATA_ANY(secret), VARSIZE_ANY_EXHDR(secret));
}

char *
access_token_body(const char *tenant, const char *connection)
{
	ConnectionName name = {tenant, connection};
	TimestampTz expires_at;
	char	   *token;
	StringInfoData out;
	bool		first = true;

	check_tenant(tenant, connection);
	validate_connection_name(connection);
	token = token_cache_get(tenant, connection, false, mint_with_stored_credentials, &name,
							&expires_at);
	initStringInfo(&out);
	appendStringInfoChar(&out, '{');
	json_string_member(&out, &first, "accessToken", token);
	json_string_member(&out, &first, "tokenType", "Bearer");
	json_key(&out, &first, "expiresAt");
	appendStringInfo(&out, INT64_FORMAT "}", timestamp_to_unix_ms(expires_at));
	explicit_bzero(token, strlen(token));
	return out.data;
}

/* A connection test: what it tests and what it found. */
typedef struct ConnectionTest
{
	ConnectionName name;
	ConnectionRow *row;
	char	   *problem;		/* NULL when the connection works */
} ConnectionTest;

/* Mint a fresh token and check the warehouse with it (run in a subtransaction). */
static void
run_connection_test(void *arg)
{
	ConnectionTest *test = arg;
	TimestampTz expires_at;
	char	   *token = token_cache_get(test->name.tenant, test->name.connection, true,
										mint_with_stored_credentials, &test->name, &expires_at);

	test->problem = databricks_check_warehouse(test->row->workspace_url, test->row->warehouse_id,
											   token);
	explicit_bzero(token, strlen(token));
	if (test->problem == NULL)
	{
		StorageScope scope;
		bool		found;

		storage_open(&scope);
		found = storage_set_status(&test->row->connection_id, "ACTIVE");
		storage_close(&scope);
		if (!found)
			dbx_raise(DBX_ERR_CONNECTION_NOT_FOUND, test->name.connection, test->name.tenant);
	}
}

/* The text of a catalog message, without "Code: ...; Message parameters: [...]. ". */
static const char *
catalog_text(const char *message)
{
	const char *text = strstr(message, "]. ");

	return text ? text + 3 : message;
}

char *
connection_test_body(const char *tenant, const char *connection)
{
	ConnectionTest test = {{tenant, connection}};
	ErrorData  *error;
	const char *detail = NULL;	/* for the audit trail: a catalog code, or what was found */
	StorageScope scope;
	StringInfoData out;
	bool		first = true;

	check_tenant(tenant, connection);
	validate_connection_name(connection);
	PreventCommandIfReadOnly("dbx_test_connection()");	/* success is written */
	test.row = load_connection(&test.name, false);
	http_share_budget(true);
	error = run_in_subtransaction(run_connection_test, &test);
	http_share_budget(false);
	if (error != NULL)
	{
		/*
		 * What the test found is an answer; anything else (a cancel, the
		 * config deleted meanwhile) is an error.
		 */
		detail = dbx_error_label(error->message, error->sqlerrcode);
		if (strncmp(error->message, "Code: ", 6) != 0 || strcmp(detail, "DS_CONNECTION_NOT_FOUND") == 0)
			ReThrowError(error);
		test.problem = error->hint ? psprintf("%s %s", catalog_text(error->message), error->hint)
			: pstrdup(catalog_text(error->message));
	}
	else if (test.problem != NULL)
		detail = test.problem;	/* what the warehouse check found */
	storage_open(&scope);
	audit_outcome("connection_tested", test.problem ? "failed" : "ok", tenant, connection,
				  detail);
	storage_close(&scope);

	initStringInfo(&out);
	appendStringInfoString(&out, "{\"status\": \"success\", \"data\": {");
	json_key(&out, &first, "connected");
	appendStringInfoString(&out, test.problem ? "false" : "true");
	json_string_member(&out, &first, "databaseType", "DATABRICKS");
	json_string_member(&out, &first, "message", test.problem
					   ? psprintf("Connection failed: %s", test.problem) : "Connection successful");
	appendStringInfoString(&out, "}}");
	return out.data;
}

PG_FUNCTION_INFO_V1(dbx_get_access_token);

/* SQL (token users): {"accessToken", "tokenType": "Bearer", "expiresAt"} for a connection. */
Datum
dbx_get_access_token(PG_FUNCTION_ARGS)
{
	return json_result(access_token_body(text_arg(fcinfo, 0), text_arg(fcinfo, 1)));
}

PG_FUNCTION_INFO_V1(dbx_test_connection);

/* SQL: test a connection the way the vendor's /test route does. */
Datum
dbx_test_connection(PG_FUNCTION_ARGS)
{
	return json_result(connection_test_body(text_arg(fcinfo, 0), text_arg(fcinfo, 1)));
}
