/*
 * configs.c - connection config operations ("database-configs") and their
 * SQL functions
 */
#include "postgres.h"

#include "fmgr.h"
#include "miscadmin.h"
#include "utils/builtins.h"
#include "utils/timestamp.h"

#include "api.h"
#include "audit.h"
#include "authz.h"
#include "config_body.h"
#include "configs.h"
#include "credentials.h"
#include "errors.h"
#include "json_output.h"
#include "storage.h"
#include "token_cache.h"
#include "validate.h"

/* A new random (version 4) UUID. */
static void
random_uuid(pg_uuid_t *id)
{
	if (!pg_strong_random(id->data, UUID_LEN))
		ereport(ERROR, errcode(ERRCODE_INTERNAL_ERROR),
				errmsg("could not generate random values"));
	id->data[6] = (id->data[6] & 0x0f) | 0x40;
	id->data[8] = (id->data[8] & 0x3f) | 0x80;
}

/* Append a config object: the "result" of create and get, an element of list. */
static void
append_config(StringInfo out, const ConfigRow *config)
{
	bool		first = true;
	size_t		stored_len = strlen(config->databricks_config);

	appendStringInfoChar(out, '{');
	json_string_member(out, &first, "connection_id", uuid_to_text(&config->connection_id));
	json_string_member(out, &first, "connection_name", config->connection_name);
	json_string_member(out, &first, "tenant_id", config->tenant_id);
	json_string_member(out, &first, "database_type", config->database_type);
	json_key(out, &first, "databricks_config");
	/* The stored config is an object we normalized; the client ID joins it at the end. */
	if (config->client_id == NULL)
		appendStringInfoString(out, config->databricks_config);
	else
	{
		bool		inner_first = (stored_len == 2);

		appendBinaryStringInfo(out, config->databricks_config, stored_len - 1);
		json_string_member(out, &inner_first, "oauth_client_id", config->client_id);
		appendStringInfoChar(out, '}');
	}
	json_string_member(out, &first, "status", config->status);
	json_time_member(out, &first, "created_time", config->created_time);
	json_time_member(out, &first, "updated_time", config->updated_time);
	appendStringInfoChar(out, '}');
}

/* {"successful": true, "result": <config>} */
static char *
config_body(const ConfigRow *config)
{
	StringInfoData out;

	initStringInfo(&out);
	appendStringInfoString(&out, "{\"successful\": true, \"result\": ");
	append_config(&out, config);
	appendStringInfoChar(&out, '}');
	return out.data;
}

/* Insert a validated config for the tenant; raises the duplicate-name error. */
static ConfigRow *
insert_config(const char *tenant, const DatabaseConfig *request)
{
	ConfigRow  *config = palloc0(sizeof(ConfigRow));
	StorageScope scope;

	random_uuid(&config->connection_id);
	config->tenant_id = pstrdup(tenant);
	config->connection_name = request->connection_name;
	config->database_type = request->database_type;
	config->databricks_config = request->databricks_config;
	config->status = "PENDING";
	config->created_time = config->updated_time = GetCurrentTimestamp();

	PreventCommandIfReadOnly("dbx_create_database_config()");
	storage_open(&scope);
	if (!storage_insert_config(tenant, request, &config->connection_id, config->created_time))
		dbx_raise(DBX_ERR_CONNECTION_ALREADY_EXISTS, request->connection_name, tenant);
	audit_success("config_created", tenant, request->connection_name, NULL);
	storage_close(&scope);
	return config;
}

char *
config_create(const char *tenant, const JsonNode *body)
{
	DatabaseConfig request;

	check_tenant(tenant, NULL);
	database_config_from_json(body, &request);
	return config_body(insert_config(tenant, &request));
}

char *
config_get(const char *tenant, const char *name)
{
	ConfigRow  *config;
	StorageScope scope;

	check_tenant(tenant, name);
	validate_connection_name(name);
	storage_open(&scope);
	config = storage_get_config(tenant, name);
	storage_close(&scope);
	if (config == NULL)
		dbx_raise(DBX_ERR_CONNECTION_NOT_FOUND, name, tenant);
	return config_body(config);
}

char *
config_list(const char *tenant)
{
	List	   *configs;
	StringInfoData out;
	ListCell   *cell;
	StorageScope scope;

	check_tenant(tenant, NULL);
	storage_open(&scope);
	configs = storage_list_configs(tenant);
	storage_close(&scope);

	initStringInfo(&out);
	appendStringInfoString(&out, "{\"successful\": true, \"result\": [");
	foreach(cell, configs)
	{
		if (foreach_current_index(cell) > 0)
			appendStringInfoString(&out, ", ");
		append_config(&out, lfirst(cell));
	}
	appendStringInfoString(&out, "]}");
	return out.data;
}

char *
config_delete(const char *tenant, const char *name)
{
	pg_uuid_t	id;
	bool		found;
	StorageScope scope;
	StringInfoData out;
	bool		first = true;

	check_tenant(tenant, name);
	validate_connection_name(name);
	PreventCommandIfReadOnly("dbx_delete_database_config()");
	storage_open(&scope);
	found = storage_delete_config(tenant, name, &id);
	if (found)
		audit_success("config_deleted", tenant, name, NULL);
	storage_close(&scope);
	if (!found)
		dbx_raise(DBX_ERR_CONNECTION_NOT_FOUND, name, tenant);
	token_cache_forget_at_commit(tenant, name);

	initStringInfo(&out);
	appendStringInfoString(&out, "{\"successful\": true, \"result\": {");
	json_string_member(&out, &first, "connection_id", uuid_to_text(&id));
	json_string_member(&out, &first, "connection_name", name);
	json_string_member(&out, &first, "tenant_id", tenant);
	json_string_member(&out, &first, "message", "Database config deleted successfully");
	appendStringInfoString(&out, "}}");
	return out.data;
}

char *
config_create_with_credentials(const char *tenant, JsonNode *body)
{
	DatabaseConfig request;
	text	   *client_id;
	text	   *client_secret;
	ConfigRow  *config;
	bool		active;
	StorageScope scope;
	pg_uuid_t	id;
	TimestampTz stored_at;
	StringInfoData out;
	bool		first = true;

	check_tenant(tenant, NULL);
	database_config_from_one_call(body, &request, &client_id, &client_secret);

	storage_open(&scope);
	active = storage_tenant_has_active_config(tenant);
	storage_close(&scope);
	if (active)
		dbx_raise(DBX_ERR_CONNECTION_ALREADY_ACTIVE, tenant);

	config = insert_config(tenant, &request);
	credentials_store(tenant, config->connection_name, client_id, client_secret, &id, &stored_at);
	explicit_bzero(VARDATA_ANY(client_secret), VARSIZE_ANY_EXHDR(client_secret));

	initStringInfo(&out);
	appendStringInfoString(&out, "{\"successful\": true, \"result\": {");
	json_string_member(&out, &first, "connectionId", uuid_to_text(&id));
	json_string_member(&out, &first, "connectionName", config->connection_name);
	json_string_member(&out, &first, "message",
					   "Databricks connection created and M2M OAuth credentials stored successfully");
	json_string_member(&out, &first, "status", config->status);
	json_key(&out, &first, "timestamp");
	appendStringInfo(&out, INT64_FORMAT, timestamp_to_unix_ms(stored_at));
	appendStringInfoString(&out, "}}");
	return out.data;
}

/* SQL entry points */

PG_FUNCTION_INFO_V1(dbx_create_database_config);

/* SQL: create a connection config from the vendor's create body. */
Datum
dbx_create_database_config(PG_FUNCTION_ARGS)
{
	char	   *tenant = text_arg(fcinfo, 0);
	JsonNode   *body = NULL;

	/* The tenant is checked before the body, whatever state the body is in. */
	check_tenant(tenant, NULL);
	if (!PG_ARGISNULL(1))
	{
		text	   *json = PG_GETARG_TEXT_PP(1);

		body = json_parse_document(VARDATA_ANY(json), VARSIZE_ANY_EXHDR(json), false);
	}
	return json_result(config_create(tenant, body));
}

PG_FUNCTION_INFO_V1(dbx_get_database_config);

/* SQL: one connection config of a tenant. */
Datum
dbx_get_database_config(PG_FUNCTION_ARGS)
{
	return json_result(config_get(text_arg(fcinfo, 0), text_arg(fcinfo, 1)));
}

PG_FUNCTION_INFO_V1(dbx_list_database_configs);

/* SQL: all connection configs of a tenant, oldest first. */
Datum
dbx_list_database_configs(PG_FUNCTION_ARGS)
{
	return json_result(config_list(text_arg(fcinfo, 0)));
}

PG_FUNCTION_INFO_V1(dbx_delete_database_config);

/* SQL: delete a connection config and its credentials. */
Datum
dbx_delete_database_config(PG_FUNCTION_ARGS)
{
	return json_result(config_delete(text_arg(fcinfo, 0), text_arg(fcinfo, 1)));
}
