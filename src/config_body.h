/*
 * config_body.h - the vendor's create-config body, validated and normalized
 */
#ifndef DBX_CONFIG_BODY_H
#define DBX_CONFIG_BODY_H

#include "json_input.h"

typedef struct DatabaseConfig
{
	char	   *connection_name;
	char	   *database_type;
	char	   *workspace_url;
	char	   *warehouse_id;
	char	   *databricks_config;	/* normalized JSON: known fields, fixed order */
} DatabaseConfig;

/*
 * Validate a create body and fill config.  Unknown fields are ignored (and
 * not stored); known fields are checked in document order of the vendor's
 * example, each raising its catalog error.
 */
extern void database_config_from_json(const JsonNode *body, DatabaseConfig *config);

/*
 * Validate a one-call body {connectionName, workspaceUrl, warehouseId,
 * clientId, clientSecret}, in that order, and fill config; the credentials
 * are taken out of the body (the copies in it are wiped).
 */
extern void database_config_from_one_call(JsonNode *body, DatabaseConfig *config,
										  text **client_id, text **client_secret);

#endif
