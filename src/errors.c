/*
 * errors.c - the error catalog, how its entries are raised, and its SQL view
 */
#include "postgres.h"

#include "fmgr.h"
#include "funcapi.h"
#include "utils/array.h"
#include "utils/builtins.h"

#include "errors.h"

#define DBX_MAX_PARAMS 2

typedef struct DbxErrorEntry
{
	const char *code;
	int			sqlstate;
	int			http_status;
	const char *params[DBX_MAX_PARAMS]; /* names, in message order */
	const char *text;			/* "<param>" marks where a value goes */
	const char *hint;			/* NULL when there is nothing to add */
} DbxErrorEntry;

/* Indexed by DbxErrorId; the order of this table is the order of the view. */
static const DbxErrorEntry catalog[DBX_ERROR_COUNT] = {
	[DBX_ERR_CLIENT_ID_REQUIRED] = {
		"DS_DATABRICKS_OAUTH_CLIENT_ID_REQUIRED", ERRCODE_INVALID_PARAMETER_VALUE, 400, {NULL},
		"Databricks OAuth client ID is required. The clientId field cannot be null or empty when storing Databricks M2M OAuth credentials",
		"Pass the application (client) ID of the Databricks service principal."
	},
	[DBX_ERR_CLIENT_SECRET_REQUIRED] = {
		"DS_DATABRICKS_OAUTH_CLIENT_SECRET_REQUIRED", ERRCODE_INVALID_PARAMETER_VALUE, 400, {NULL},
		"Databricks OAuth client secret is required. The clientSecret field cannot be null or empty when storing Databricks M2M OAuth credentials",
		"Pass an OAuth secret of the Databricks service principal."
	},
	[DBX_ERR_CONNECTION_ALREADY_EXISTS] = {
		"DS_SNOWFLAKE_CONNECTION_ALREADY_EXISTS", ERRCODE_DUPLICATE_OBJECT, 400, {"name", "tenant"},
		"A connection with this name already exists. A connection named <name> already exists for tenant <tenant>. Please choose a different name.",
		NULL
	},
	[DBX_ERR_TENANT_ID_REQUIRED] = {
		"DS_TENANT_ID_REQUIRED", ERRCODE_INVALID_PARAMETER_VALUE, 400, {NULL},
		"Tenant ID is required. The tenant ID cannot be null or empty.",
		NULL
	},
	[DBX_ERR_TENANT_ID_INVALID] = {
		"DS_TENANT_ID_INVALID", ERRCODE_INVALID_PARAMETER_VALUE, 400, {NULL},
		"Tenant ID is invalid. A tenant ID is 1 to 64 letters, digits, '_' or '-'.",
		NULL
	},
	[DBX_ERR_CONNECTION_NAME_REQUIRED] = {
		"DS_CONNECTION_NAME_REQUIRED", ERRCODE_INVALID_PARAMETER_VALUE, 400, {NULL},
		"Connection name is required. The connection name cannot be null or empty.",
		NULL
	},
	[DBX_ERR_CONNECTION_NAME_INVALID] = {
		"DS_CONNECTION_NAME_INVALID", ERRCODE_INVALID_PARAMETER_VALUE, 400, {NULL},
		"Connection name is invalid. A connection name is 1 to 128 letters, digits, '.', '_' or '-' and starts with a letter or digit.",
		NULL
	},
	[DBX_ERR_CONNECTION_NOT_FOUND] = {
		"DS_CONNECTION_NOT_FOUND", ERRCODE_UNDEFINED_OBJECT, 404, {"name", "tenant"},
		"Connection not found. No connection named <name> exists for tenant <tenant>.",
		"Create the database config first; connection names are case-sensitive."
	},
	[DBX_ERR_CLIENT_ID_INVALID] = {
		"DS_DATABRICKS_OAUTH_CLIENT_ID_INVALID", ERRCODE_INVALID_PARAMETER_VALUE, 400, {NULL},
		"Databricks OAuth client ID is invalid. The clientId field cannot contain control characters or ':'.",
		NULL
	},
	[DBX_ERR_CLIENT_SECRET_INVALID] = {
		"DS_DATABRICKS_OAUTH_CLIENT_SECRET_INVALID", ERRCODE_INVALID_PARAMETER_VALUE, 400, {NULL},
		"Databricks OAuth client secret is invalid. The clientSecret field cannot contain control characters such as line breaks.",
		"Check that no line break was copied along with the secret."
	},
	[DBX_ERR_VALUE_TOO_LONG] = {
		"DS_VALUE_TOO_LONG", ERRCODE_STRING_DATA_RIGHT_TRUNCATION, 400, {"field", "limit"},
		"Value too long. The <field> field cannot be longer than <limit> characters.",
		NULL
	},
	[DBX_ERR_INVALID_REQUEST_BODY] = {
		"DS_INVALID_REQUEST_BODY", ERRCODE_INVALID_TEXT_REPRESENTATION, 400, {NULL},
		"Invalid request body. The request body must be a JSON object.",
		NULL
	},
	[DBX_ERR_JSON_DUPLICATE_KEY] = {
		"DS_JSON_DUPLICATE_KEY", ERRCODE_DUPLICATE_JSON_OBJECT_KEY_VALUE, 400, {NULL},
		"Duplicate JSON key. A key appears more than once in the same JSON object.",
		NULL
	},
	[DBX_ERR_FIELD_REQUIRED] = {
		"DS_FIELD_REQUIRED", ERRCODE_INVALID_PARAMETER_VALUE, 400, {"field"},
		"A required field is missing. The <field> field cannot be null or empty.",
		NULL
	},
	[DBX_ERR_FIELD_TYPE_INVALID] = {
		"DS_FIELD_TYPE_INVALID", ERRCODE_INVALID_PARAMETER_VALUE, 400, {"field", "type"},
		"Invalid field type. The <field> field must be a <type>.",
		NULL
	},
	[DBX_ERR_FIELD_VALUE_INVALID] = {
		"DS_FIELD_VALUE_INVALID", ERRCODE_INVALID_PARAMETER_VALUE, 400, {"field"},
		"Invalid field value. The <field> field cannot contain control characters.",
		NULL
	},
	[DBX_ERR_DATABASE_TYPE_UNSUPPORTED] = {
		"DS_DATABASE_TYPE_UNSUPPORTED", ERRCODE_INVALID_PARAMETER_VALUE, 400, {NULL},
		"Unsupported database type. The database_type field must be DATABRICKS.",
		NULL
	},
	[DBX_ERR_AUTH_TYPE_UNSUPPORTED] = {
		"DS_AUTH_TYPE_UNSUPPORTED", ERRCODE_INVALID_PARAMETER_VALUE, 400, {NULL},
		"Unsupported authentication type. The auth_type field must be OAUTH_M2M; personal access tokens are not supported.",
		NULL
	},
	[DBX_ERR_WORKSPACE_URL_INVALID] = {
		"DS_DATABRICKS_WORKSPACE_URL_INVALID", ERRCODE_INVALID_PARAMETER_VALUE, 400, {NULL},
		"Invalid Databricks workspace URL. The workspace_url field must be an https URL of a workspace host, such as https://dbc-a1b2c3d4-e5f6.cloud.databricks.com, without user name, path, query or fragment.",
		NULL
	},
	[DBX_ERR_KEY_NOT_CONFIGURED] = {
		"DS_ENCRYPTION_KEY_NOT_CONFIGURED", ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE, 500, {NULL},
		"Encryption key is not configured. Credentials cannot be stored or read until an administrator sets dbx_oauth.key_file.",
		"A superuser sets dbx_oauth.key_file to the absolute path of the key file and reloads the configuration."
	},
	[DBX_ERR_KEY_FILE_UNREADABLE] = {
		"DS_ENCRYPTION_KEY_FILE_UNREADABLE", ERRCODE_UNDEFINED_FILE, 500, {NULL},
		"Encryption key file cannot be read. Credentials cannot be stored or read until the file named by dbx_oauth.key_file can be read by the server.",
		"The server log names the file and the reason."
	},
	[DBX_ERR_KEY_FILE_INSECURE] = {
		"DS_ENCRYPTION_KEY_FILE_INSECURE", ERRCODE_CONFIG_FILE_ERROR, 500, {NULL},
		"Encryption key file is not protected. The key file must be a regular file outside the data directory that only its owner can read or write.",
		"Run chmod 600 on the key file and keep it outside the data directory."
	},
	[DBX_ERR_KEY_FILE_INVALID] = {
		"DS_ENCRYPTION_KEY_FILE_INVALID", ERRCODE_CONFIG_FILE_ERROR, 500, {"line"},
		"Encryption key file is malformed. Line <line> is not of the form <version>:<64 hexadecimal characters> with a version from 1 to 2147483647 that appears once.",
		NULL
	},
	[DBX_ERR_KEY_FILE_EMPTY] = {
		"DS_ENCRYPTION_KEY_FILE_EMPTY", ERRCODE_CONFIG_FILE_ERROR, 500, {NULL},
		"Encryption key file has no keys. Add a line of the form <version>:<64 hexadecimal characters>.",
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

PG_FUNCTION_INFO_V1(dbx_error_catalog);

/* SQL: every catalog entry as (code, sqlstate, http_status, parameters, message, hint). */
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
		Datum		values[6];
		bool		nulls[6] = {false};

		for (int i = 0; i < nparams; i++)
			names[i] = CStringGetTextDatum(entry->params[i]);
		values[0] = CStringGetTextDatum(entry->code);
		values[1] = CStringGetTextDatum(unpack_sql_state(entry->sqlstate));
		values[2] = Int32GetDatum(entry->http_status);
		values[3] = PointerGetDatum(construct_array_builtin(names, nparams, TEXTOID));
		values[4] = CStringGetTextDatum(entry->text);
		values[5] = entry->hint ? CStringGetTextDatum(entry->hint) : (Datum) 0;
		nulls[5] = (entry->hint == NULL);
		tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
	}
	return (Datum) 0;
}
