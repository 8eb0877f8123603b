/*
 * api_configs.c - SQL entry points for connection configs ("database-configs")
 */
#include "postgres.h"

#include "fmgr.h"
#include "utils/builtins.h"
#include "utils/timestamp.h"

#include "api.h"
#include "config_body.h"
#include "errors.h"
#include "json_input.h"
#include "json_output.h"
#include "storage.h"
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
static Datum
config_response(const ConfigRow *config)
{
	StringInfoData out;

	initStringInfo(&out);
	appendStringInfoString(&out, "{\"successful\": true, \"result\": ");
	append_config(&out, config);
	appendStringInfoChar(&out, '}');
	return json_result(&out);
}

PG_FUNCTION_INFO_V1(dbx_create_database_config);

/* SQL: create a connection config from the vendor's create body. */
Datum
dbx_create_database_config(PG_FUNCTION_ARGS)
{
	char	   *tenant = text_arg(fcinfo, 0);
	text	   *body;
	DatabaseConfig request;
	ConfigRow	config = {0};
	StorageScope scope;

	validate_tenant(tenant);
	if (PG_ARGISNULL(1))
		dbx_raise(DBX_ERR_INVALID_REQUEST_BODY);
	body = PG_GETARG_TEXT_PP(1);
	database_config_from_json(json_parse_document(VARDATA_ANY(body), VARSIZE_ANY_EXHDR(body)),
							  &request);

	random_uuid(&config.connection_id);
	config.tenant_id = tenant;
	config.connection_name = request.connection_name;
	config.database_type = request.database_type;
	config.databricks_config = request.databricks_config;
	config.status = "PENDING";
	config.created_time = config.updated_time = GetCurrentTimestamp();

	storage_open(&scope);
	if (!storage_insert_config(tenant, &request, &config.connection_id, config.created_time))
		dbx_raise(DBX_ERR_CONNECTION_ALREADY_EXISTS, request.connection_name, tenant);
	storage_close(&scope);
	return config_response(&config);
}

PG_FUNCTION_INFO_V1(dbx_get_database_config);

/* SQL: one connection config of a tenant. */
Datum
dbx_get_database_config(PG_FUNCTION_ARGS)
{
	char	   *tenant = text_arg(fcinfo, 0);
	char	   *name = text_arg(fcinfo, 1);
	ConfigRow  *config;
	StorageScope scope;

	validate_tenant(tenant);
	validate_connection_name(name);
	storage_open(&scope);
	config = storage_get_config(tenant, name);
	storage_close(&scope);
	if (config == NULL)
		dbx_raise(DBX_ERR_CONNECTION_NOT_FOUND, name, tenant);
	return config_response(config);
}

PG_FUNCTION_INFO_V1(dbx_list_database_configs);

/* SQL: all connection configs of a tenant, oldest first. */
Datum
dbx_list_database_configs(PG_FUNCTION_ARGS)
{
	char	   *tenant = text_arg(fcinfo, 0);
	List	   *configs;
	StringInfoData out;
	ListCell   *cell;
	StorageScope scope;

	validate_tenant(tenant);
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
	return json_result(&out);
}

PG_FUNCTION_INFO_V1(dbx_delete_database_config);

/* SQL: delete a connection config and its credentials. */
Datum
dbx_delete_database_config(PG_FUNCTION_ARGS)
{
	char	   *tenant = text_arg(fcinfo, 0);
	char	   *name = text_arg(fcinfo, 1);
	pg_uuid_t	id;
	bool		found;
	StorageScope scope;
	StringInfoData out;
	bool		first = true;

	validate_tenant(tenant);
	validate_connection_name(name);
	storage_open(&scope);
	found = storage_delete_config(tenant, name, &id);
	storage_close(&scope);
	if (!found)
		dbx_raise(DBX_ERR_CONNECTION_NOT_FOUND, name, tenant);

	initStringInfo(&out);
	appendStringInfoString(&out, "{\"successful\": true, \"result\": {");
	json_string_member(&out, &first, "connection_id", uuid_to_text(&id));
	json_string_member(&out, &first, "connection_name", name);
	json_string_member(&out, &first, "tenant_id", tenant);
	json_string_member(&out, &first, "message", "Database config deleted successfully");
	appendStringInfoString(&out, "}}");
	return json_result(&out);
}
