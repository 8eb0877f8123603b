/*
 * errors.c - the error catalog, how its entries are raised, and its SQL view
 */
#include "postgres.h"

#include "fmgr.h"
#include "funcapi.h"
#include "mb/pg_wchar.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/json.h"

#include "errors.h"

#define DBX_MAX_PARAMS 2

typedef struct DbxErrorEntry
{
	const char *code;
	int			sqlstate;
	int			http_status;
	bool		http_only;		/* only the REST layer answers with it */
	const char *params[DBX_MAX_PARAMS]; /* names, in message order */
	const char *text;			/* "<param>" marks where a value goes */
	const char *hint;			/* NULL when there is nothing to add */
} DbxErrorEntry;

/* Indexed by DbxErrorId; the order of this table is the order of the view. */
static const DbxErrorEntry catalog[DBX_ERROR_COUNT] = {
	[DBX_ERR_CLIENT_ID_REQUIRED] = {
		"DS_DATABRICKS_OAUTH_CLIENT_ID_REQUIRED", ERRCODE_INVALID_PARAMETER_VALUE, 400, false, {NULL},
		"Databricks OAuth client ID is required. The clientId field cannot be null or empty when storing Databricks M2M OAuth credentials",
		"Pass the application (client) ID of the Databricks service principal."
	},
	[DBX_ERR_CLIENT_SECRET_REQUIRED] = {
		"DS_DATABRICKS_OAUTH_CLIENT_SECRET_REQUIRED", ERRCODE_INVALID_PARAMETER_VALUE, 400, false, {NULL},
		"Databricks OAuth client secret is required. The clientSecret field cannot be null or empty when storing Databricks M2M OAuth credentials",
		"Pass an OAuth secret of the Databricks service principal."
	},
	[DBX_ERR_CONNECTION_ALREADY_EXISTS] = {
		"DS_SNOWFLAKE_CONNECTION_ALREADY_EXISTS", ERRCODE_DUPLICATE_OBJECT, 400, false, {"name", "tenant"},
		"A connection with this name already exists. A connection named <name> already exists for tenant <tenant>. Please choose a different name.",
		NULL
	},
	[DBX_ERR_TENANT_ID_REQUIRED] = {
		"DS_TENANT_ID_REQUIRED", ERRCODE_INVALID_PARAMETER_VALUE, 400, false, {NULL},
		"Tenant ID is required. The tenant ID cannot be null or empty.",
		NULL
	},
	[DBX_ERR_TENANT_ID_INVALID] = {
		"DS_TENANT_ID_INVALID", ERRCODE_INVALID_PARAMETER_VALUE, 400, false, {NULL},
		"Tenant ID is invalid. A tenant ID is 1 to 64 letters, digits, '_' or '-'.",
		NULL
	},
	[DBX_ERR_CONNECTION_NAME_REQUIRED] = {
		"DS_CONNECTION_NAME_REQUIRED", ERRCODE_INVALID_PARAMETER_VALUE, 400, false, {NULL},
		"Connection name is required. The connection name cannot be null or empty.",
		NULL
	},
	[DBX_ERR_CONNECTION_NAME_INVALID] = {
		"DS_CONNECTION_NAME_INVALID", ERRCODE_INVALID_PARAMETER_VALUE, 400, false, {NULL},
		"Connection name is invalid. A connection name is 1 to 128 letters, digits, '.', '_' or '-' and starts with a letter or digit.",
		NULL
	},
	[DBX_ERR_CONNECTION_NOT_FOUND] = {
		"DS_CONNECTION_NOT_FOUND", ERRCODE_UNDEFINED_OBJECT, 404, false, {"name", "tenant"},
		"Connection not found. No connection named <name> exists for tenant <tenant>.",
		"Create the database config first; connection names are case-sensitive."
	},
	[DBX_ERR_CLIENT_ID_INVALID] = {
		"DS_DATABRICKS_OAUTH_CLIENT_ID_INVALID", ERRCODE_INVALID_PARAMETER_VALUE, 400, false, {NULL},
		"Databricks OAuth client ID is invalid. The clientId field cannot contain control characters or ':'.",
		NULL
	},
	[DBX_ERR_CLIENT_SECRET_INVALID] = {
		"DS_DATABRICKS_OAUTH_CLIENT_SECRET_INVALID", ERRCODE_INVALID_PARAMETER_VALUE, 400, false, {NULL},
		"Databricks OAuth client secret is invalid. The clientSecret field cannot contain control characters such as line breaks.",
		"Check that no line break was copied along with the secret."
	},
	[DBX_ERR_VALUE_TOO_LONG] = {
		"DS_VALUE_TOO_LONG", ERRCODE_STRING_DATA_RIGHT_TRUNCATION, 400, false, {"field", "limit"},
		"Value too long. The <field> field cannot be longer than <limit> characters.",
		NULL
	},
	[DBX_ERR_INVALID_REQUEST_BODY] = {
		"DS_INVALID_REQUEST_BODY", ERRCODE_INVALID_TEXT_REPRESENTATION, 400, false, {NULL},
		"Invalid request body. The request body must be a valid JSON object.",
		NULL
	},
	[DBX_ERR_JSON_DUPLICATE_KEY] = {
		"DS_JSON_DUPLICATE_KEY", ERRCODE_DUPLICATE_JSON_OBJECT_KEY_VALUE, 400, false, {NULL},
		"Duplicate JSON key. A key appears more than once in the same JSON object.",
		NULL
	},
	[DBX_ERR_CHARACTER_NOT_SUPPORTED] = {
		"DS_CHARACTER_NOT_SUPPORTED", ERRCODE_UNTRANSLATABLE_CHARACTER, 400, false, {NULL},
		"Character not supported. The request contains a character that the database's encoding cannot store.",
		"Keep dbx_oauth in a UTF8 database to store any character."
	},
	[DBX_ERR_FIELD_REQUIRED] = {
		"DS_FIELD_REQUIRED", ERRCODE_INVALID_PARAMETER_VALUE, 400, false, {"field"},
		"A required field is missing. The <field> field cannot be null or empty.",
		NULL
	},
	[DBX_ERR_FIELD_TYPE_INVALID] = {
		"DS_FIELD_TYPE_INVALID", ERRCODE_INVALID_PARAMETER_VALUE, 400, false, {"field", "type"},
		"Invalid field type. The <field> field must be a <type>.",
		NULL
	},
	[DBX_ERR_FIELD_VALUE_INVALID] = {
		"DS_FIELD_VALUE_INVALID", ERRCODE_INVALID_PARAMETER_VALUE, 400, false, {"field"},
		"Invalid field value. The <field> field cannot contain control characters.",
		NULL
	},
	[DBX_ERR_DATABASE_TYPE_UNSUPPORTED] = {
		"DS_DATABASE_TYPE_UNSUPPORTED", ERRCODE_INVALID_PARAMETER_VALUE, 400, false, {NULL},
		"Unsupported database type. The database_type field must be DATABRICKS.",
		NULL
	},
	[DBX_ERR_AUTH_TYPE_UNSUPPORTED] = {
		"DS_AUTH_TYPE_UNSUPPORTED", ERRCODE_INVALID_PARAMETER_VALUE, 400, false, {NULL},
		"Unsupported authentication type. The auth_type field must be OAUTH_M2M; personal access tokens are not supported.",
		NULL
	},
	[DBX_ERR_WORKSPACE_URL_INVALID] = {
		"DS_DATABRICKS_WORKSPACE_URL_INVALID", ERRCODE_INVALID_PARAMETER_VALUE, 400, false, {NULL},
		"Invalid Databricks workspace URL. The workspace URL must be an https URL of a workspace host, such as https://dbc-a1b2c3d4-e5f6.cloud.databricks.com, without user name, path, query or fragment.",
		NULL
	},
	[DBX_ERR_KEY_NOT_CONFIGURED] = {
		"DS_ENCRYPTION_KEY_NOT_CONFIGURED", ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE, 500, false, {NULL},
		"Encryption key is not configured. Credentials cannot be stored or read until an administrator sets dbx_oauth.key_file.",
		"A superuser sets dbx_oauth.key_file to the absolute path of the key file and reloads the configuration."
	},
	[DBX_ERR_KEY_FILE_UNREADABLE] = {
		"DS_ENCRYPTION_KEY_FILE_UNREADABLE", ERRCODE_UNDEFINED_FILE, 500, false, {NULL},
		"Encryption key file cannot be read. Credentials cannot be stored or read until the file named by dbx_oauth.key_file can be read by the server.",
		"The server log names the file and the reason."
	},
	[DBX_ERR_KEY_FILE_INSECURE] = {
		"DS_ENCRYPTION_KEY_FILE_INSECURE", ERRCODE_CONFIG_FILE_ERROR, 500, false, {NULL},
		"Encryption key file is not protected. The key file must be a regular file outside the data directory that only its owner can read or write.",
		"Make the server's operating-system user the owner of the key file, run chmod 600 on it, keep it outside the data directory, and give it no second name (hard link); the server log says which rule it breaks."
	},
	[DBX_ERR_KEY_FILE_INVALID] = {
		"DS_ENCRYPTION_KEY_FILE_INVALID", ERRCODE_CONFIG_FILE_ERROR, 500, false, {"line"},
		"Encryption key file is malformed. Line <line> is not of the form <version>:<64 hexadecimal characters> with a version from 1 to 2147483647 that appears once.",
		NULL
	},
	[DBX_ERR_KEY_FILE_EMPTY] = {
		"DS_ENCRYPTION_KEY_FILE_EMPTY", ERRCODE_CONFIG_FILE_ERROR, 500, false, {NULL},
		"Encryption key file has no keys. Add a line of the form <version>:<64 hexadecimal characters>.",
		NULL
	},
	[DBX_ERR_KEY_FILE_TOO_LARGE] = {
		"DS_ENCRYPTION_KEY_FILE_TOO_LARGE", ERRCODE_CONFIG_FILE_ERROR, 500, false, {NULL},
		"Encryption key file is too large. A key file cannot be larger than 64 kilobytes.",
		NULL
	},
	[DBX_ERR_HOST_NOT_ALLOWED] = {
		"DS_DATABRICKS_HOST_NOT_ALLOWED", ERRCODE_INVALID_PARAMETER_VALUE, 400, false, {"host"},
		"Databricks host not allowed. The workspace host <host> is not one that dbx_oauth.token_allowed_hosts lets tokens be requested from.",
		"An administrator adds the host, or a *.domain pattern for it, to dbx_oauth.token_allowed_hosts."
	},
	[DBX_ERR_NOT_PRELOADED] = {
		"DS_DBX_OAUTH_NOT_PRELOADED", ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE, 500, false, {NULL},
		"Token cache unavailable. Access tokens need dbx_oauth in shared_preload_libraries.",
		"Add dbx_oauth to shared_preload_libraries and restart the server."
	},
	[DBX_ERR_CREDENTIALS_NOT_STORED] = {
		"DS_DATABRICKS_OAUTH_CREDENTIALS_NOT_STORED", ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE, 400, false, {"name", "tenant"},
		"No OAuth credentials stored. Connection <name> of tenant <tenant> has no Databricks M2M OAuth credentials yet.",
		"Store the client ID and secret of the service principal first."
	},
	[DBX_ERR_KEY_VERSION_MISSING] = {
		"DS_ENCRYPTION_KEY_VERSION_MISSING", ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE, 500, false, {"version"},
		"Encryption key missing. The key file no longer lists key version <version>, which the stored credentials were sealed with.",
		"Put the key of that version back into the key file, or store the credentials again."
	},
	[DBX_ERR_CREDENTIALS_TAMPERED] = {
		"DS_DATABRICKS_OAUTH_CREDENTIALS_TAMPERED", ERRCODE_DATA_CORRUPTED, 500, false, {"name", "tenant"},
		"Stored credentials do not authenticate. The sealed secret of connection <name> of tenant <tenant> was changed, moved, or sealed under another key.",
		"Store the credentials again."
	},
	[DBX_ERR_CREDENTIALS_REJECTED] = {
		"DS_DATABRICKS_OAUTH_AUTHENTICATION_FAILED", ERRCODE_INVALID_AUTHORIZATION_SPECIFICATION, 400, false, {"name", "tenant"},
		"OAuth authentication failed. Databricks rejected the client ID and secret of connection <name> of tenant <tenant>: they are invalid or expired.",
		"Store valid credentials of the service principal again."
	},
	[DBX_ERR_DATABRICKS_REJECTED] = {
		"DS_DATABRICKS_TOKEN_REQUEST_REJECTED", ERRCODE_SQLSERVER_REJECTED_ESTABLISHMENT_OF_SQLCONNECTION, 502, false, {"status"},
		"Databricks refused the token request. The token endpoint answered HTTP <status>.",
		"The server log has Databricks' error."
	},
	[DBX_ERR_DATABRICKS_UNAVAILABLE] = {
		"DS_DATABRICKS_UNAVAILABLE", ERRCODE_CONNECTION_FAILURE, 503, false, {"status"},
		"Databricks is unavailable. The workspace answered HTTP <status> until dbx_oauth.retry_budget ran out.",
		"Try again later."
	},
	[DBX_ERR_DATABRICKS_UNREACHABLE] = {
		"DS_DATABRICKS_UNREACHABLE", ERRCODE_SQLCLIENT_UNABLE_TO_ESTABLISH_SQLCONNECTION, 503, false, {NULL},
		"Databricks cannot be reached. The workspace did not answer within dbx_oauth.retry_budget.",
		"Check the workspace URL and the network; the server log has the reason."
	},
	[DBX_ERR_DATABRICKS_RESPONSE_INVALID] = {
		"DS_DATABRICKS_RESPONSE_INVALID", ERRCODE_PROTOCOL_VIOLATION, 502, false, {NULL},
		"Invalid answer from Databricks. The token endpoint's answer is not a valid token response.",
		NULL
	},
	[DBX_ERR_CONNECTION_ALREADY_ACTIVE] = {
		"DS_DATABRICKS_CONNECTION_ALREADY_ACTIVE", ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE, 400, true, {"tenant"},
		"An active Databricks connection already exists. Tenant <tenant> already has an active Databricks connection; store new credentials on it or delete it first.",
		NULL
	},
	[DBX_ERR_ACCESS_DENIED] = {
		"DS_ACCESS_DENIED", ERRCODE_INSUFFICIENT_PRIVILEGE, 403, false, {"tenant"},
		"Access denied. The caller may not act for tenant <tenant>.",
		NULL
	},
	[DBX_ERR_FORBIDDEN] = {
		"DS_FORBIDDEN", ERRCODE_INSUFFICIENT_PRIVILEGE, 403, true, {NULL},
		"Access denied. The role of the token may not use this API.",
		NULL
	},
	[DBX_ERR_AUTH_TOKEN_REQUIRED] = {
		"DS_AUTH_TOKEN_REQUIRED", ERRCODE_INVALID_AUTHORIZATION_SPECIFICATION, 401, true, {NULL},
		"Authentication required. Send a bearer token in the Authorization header.",
		NULL
	},
	[DBX_ERR_AUTH_TOKEN_INVALID] = {
		"DS_AUTH_TOKEN_INVALID", ERRCODE_INVALID_AUTHORIZATION_SPECIFICATION, 401, true, {NULL},
		"Invalid authentication token. The bearer token is malformed, has no expiry, or its signature does not verify.",
		NULL
	},
	[DBX_ERR_AUTH_TOKEN_EXPIRED] = {
		"DS_AUTH_TOKEN_EXPIRED", ERRCODE_INVALID_AUTHORIZATION_SPECIFICATION, 401, true, {NULL},
		"Authentication token expired. Send a new bearer token.",
		NULL
	},
	[DBX_ERR_BAD_REQUEST] = {
		"DS_BAD_REQUEST", ERRCODE_PROTOCOL_VIOLATION, 400, true, {NULL},
		"Bad request. The request is not valid HTTP, or its request line or headers are too long.",
		NULL
	},
	[DBX_ERR_ROUTE_NOT_FOUND] = {
		"DS_ROUTE_NOT_FOUND", ERRCODE_UNDEFINED_FUNCTION, 404, true, {NULL},
		"Resource not found. No API route matches this path.",
		NULL
	},
	[DBX_ERR_METHOD_NOT_ALLOWED] = {
		"DS_METHOD_NOT_ALLOWED", ERRCODE_FEATURE_NOT_SUPPORTED, 405, true, {NULL},
		"Method not allowed. The Allow header lists the methods this route accepts.",
		NULL
	},
	[DBX_ERR_REQUEST_TOO_LARGE] = {
		"DS_REQUEST_TOO_LARGE", ERRCODE_PROGRAM_LIMIT_EXCEEDED, 413, false, {NULL},
		"Request body too large. The request body cannot be larger than 64 kilobytes.",
		NULL
	},
	[DBX_ERR_UNSUPPORTED_MEDIA_TYPE] = {
		"DS_UNSUPPORTED_MEDIA_TYPE", ERRCODE_INVALID_PARAMETER_VALUE, 415, true, {NULL},
		"Unsupported content type. Send the request body as application/json.",
		NULL
	},
	[DBX_ERR_SERVICE_UNAVAILABLE] = {
		"DS_SERVICE_UNAVAILABLE", ERRCODE_CANNOT_CONNECT_NOW, 503, true, {NULL},
		"Service unavailable. The request could not be completed now; try again later.",
		NULL
	},
	[DBX_ERR_INTERNAL] = {
		"DS_INTERNAL_ERROR", ERRCODE_INTERNAL_ERROR, 500, true, {NULL},
		"Internal error. The request could not be completed; the server log has the details.",
		NULL
	},
};

/* Number of parameters an entry takes. */
static int
param_count(const DbxErrorEntry *entry)
{
	int			n = 0;

	while (n < DBX_MAX_PARAMS && entry->params[n] != NULL)
		n++;
	return n;
}

/* Index of the parameter named by the text at "p" between '<' and '>', or -1. */
static int
param_at(const DbxErrorEntry *entry, const char *p)
{
	for (int i = 0; i < param_count(entry); i++)
	{
		size_t		len = strlen(entry->params[i]);

		if (strncmp(p, entry->params[i], len) == 0 && p[len] == '>')
			return i;
	}
	return -1;
}

/* The vendor-format message of an entry with its parameter values filled in. */
static char *
format_message(const DbxErrorEntry *entry, const char *const *values)
{
	StringInfoData buf;
	int			nparams = param_count(entry);

	initStringInfo(&buf);
	appendStringInfo(&buf, "Code: %s; Message parameters: [", entry->code);
	for (int i = 0; i < nparams; i++)
		appendStringInfo(&buf, "%s%s", i > 0 ? ", " : "", values[i]);
	appendStringInfoString(&buf, "]. ");

	for (const char *p = entry->text; *p != '\0'; p++)
	{
		int			param = (*p == '<') ? param_at(entry, p + 1) : -1;

		if (param < 0)
			appendStringInfoChar(&buf, *p);
		else
		{
			appendStringInfoString(&buf, values[param]);
			p += strlen(entry->params[param]) + 1;
		}
	}
	return buf.data;
}

static void raise_entry(DbxErrorId id, const char *log_detail, va_list args) pg_attribute_noreturn();

/* Raise an entry, reading one C string per parameter from args. */
static void
raise_entry(DbxErrorId id, const char *log_detail, va_list args)
{
	const DbxErrorEntry *entry = &catalog[id];
	const char *values[DBX_MAX_PARAMS] = {NULL};
	char	   *message;

	for (int i = 0; i < param_count(entry); i++)
		values[i] = va_arg(args, const char *);
	message = format_message(entry, values);

	ereport(ERROR,
			errcode(entry->sqlstate),
			errmsg_internal("%s", message),
			entry->hint ? errhint("%s", entry->hint) : 0,
			log_detail ? errdetail_log("%s", log_detail) : 0);
	pg_unreachable();
}

void
dbx_raise(DbxErrorId id,...)
{
	va_list		args;

	va_start(args, id);
	raise_entry(id, NULL, args);
	va_end(args);
}

void
dbx_raise_with_log_detail(const char *log_detail, DbxErrorId id,...)
{
	va_list		args;

	va_start(args, id);
	raise_entry(id, log_detail, args);
	va_end(args);
}

/* The entry whose code the message starts with ("Code: <CODE>;"), or -1. */
static int
entry_of_message(const char *message)
{
	const char *prefix = "Code: ";

	if (strncmp(message, prefix, strlen(prefix)) != 0)
		return -1;
	message += strlen(prefix);
	for (int id = 0; id < DBX_ERROR_COUNT; id++)
	{
		size_t		len = strlen(catalog[id].code);

		if (strncmp(message, catalog[id].code, len) == 0 && message[len] == ';')
			return id;
	}
	return -1;
}

const char *
dbx_error_label(const char *message, int sqlstate)
{
	int			id = entry_of_message(message);

	return id >= 0 ? catalog[id].code : psprintf("SQLSTATE %s", unpack_sql_state(sqlstate));
}

/* Errors that say "try again", not "you did something wrong". */
static bool
is_transient(int sqlstate)
{
	return sqlstate == ERRCODE_QUERY_CANCELED ||
		sqlstate == ERRCODE_READ_ONLY_SQL_TRANSACTION ||	/* a standby, say */
		sqlstate == ERRCODE_T_R_SERIALIZATION_FAILURE ||
		sqlstate == ERRCODE_T_R_DEADLOCK_DETECTED ||
		sqlstate == ERRCODE_LOCK_NOT_AVAILABLE ||
		sqlstate == ERRCODE_ADMIN_SHUTDOWN ||
		ERRCODE_TO_CATEGORY(sqlstate) == ERRCODE_INSUFFICIENT_RESOURCES;
}

/* {"successful": false, "error": "<message>"} */
static char *
envelope(const char *message)
{
	StringInfoData buf;

	initStringInfo(&buf);
	appendStringInfoString(&buf, "{\"successful\": false, \"error\": ");
	escape_json(&buf, message);
	appendStringInfoChar(&buf, '}');
	return buf.data;
}

char *
dbx_error_response(const char *message, int sqlstate, int *http_status)
{
	int			id = entry_of_message(message);

	if (id < 0)
	{
		id = sqlstate == ERRCODE_INSUFFICIENT_PRIVILEGE ? DBX_ERR_FORBIDDEN
			: is_transient(sqlstate) ? DBX_ERR_SERVICE_UNAVAILABLE
			: DBX_ERR_INTERNAL;
		message = format_message(&catalog[id], NULL);
	}
	*http_status = catalog[id].http_status;
	return envelope(message);
}

void
dbx_reraise(int sqlstate, const char *message)
{
	int			id = entry_of_message(message);

	ereport(ERROR,
			errcode(sqlstate),
			errmsg_internal("%s", message),
			(id >= 0 && catalog[id].hint) ? errhint("%s", catalog[id].hint) : 0);
	pg_unreachable();
}

PG_FUNCTION_INFO_V1(dbx_error_envelope);

/* SQL: the HTTP error body of a catalog entry that takes no parameters. */
Datum
dbx_error_envelope(PG_FUNCTION_ARGS)
{
	char	   *code = text_to_cstring(PG_GETARG_TEXT_PP(0));
	int			shown;
	char	   *quoted;

	for (int id = 0; id < DBX_ERROR_COUNT; id++)
	{
		if (strcmp(catalog[id].code, code) != 0)
			continue;
		if (param_count(&catalog[id]) > 0)
			ereport(ERROR, errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					errmsg("error code %s takes parameters", code));
		PG_RETURN_TEXT_P(cstring_to_text(envelope(format_message(&catalog[id], NULL))));
	}
	/* A code not in the catalog: at most 64 bytes of it, control characters as '?'. */
	shown = pg_mbcliplen(code, strlen(code), 64);
	quoted = pnstrdup(code, shown);
	for (char *c = quoted; *c != '\0'; c++)
		if ((unsigned char) *c < 0x20 || *c == 0x7f)
			*c = '?';
	ereport(ERROR, errcode(ERRCODE_UNDEFINED_OBJECT),
			errmsg("error code %s%s is not in the catalog", quoted, code[shown] ? "..." : ""));
	PG_RETURN_NULL();
}

PG_FUNCTION_INFO_V1(dbx_error_catalog);

/* SQL: every catalog entry as (code, sqlstate, http_status, parameters, message, hint, http_only). */
Datum
dbx_error_catalog(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;

	InitMaterializedSRF(fcinfo, 0);
	for (int id = 0; id < DBX_ERROR_COUNT; id++)
	{
		const DbxErrorEntry *entry = &catalog[id];
		int			nparams = param_count(entry);
		Datum		names[DBX_MAX_PARAMS];
		Datum		values[7];
		bool		nulls[7] = {false};

		for (int i = 0; i < nparams; i++)
			names[i] = CStringGetTextDatum(entry->params[i]);
		values[0] = CStringGetTextDatum(entry->code);
		values[1] = CStringGetTextDatum(unpack_sql_state(entry->sqlstate));
		values[2] = Int32GetDatum(entry->http_status);
		values[3] = PointerGetDatum(construct_array_builtin(names, nparams, TEXTOID));
		values[4] = CStringGetTextDatum(entry->text);
		values[5] = entry->hint ? CStringGetTextDatum(entry->hint) : (Datum) 0;
		nulls[5] = (entry->hint == NULL);
		values[6] = BoolGetDatum(entry->http_only);
		tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
	}
	return (Datum) 0;
}
