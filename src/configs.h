/*
 * configs.h - connection config operations, shared by the SQL functions and
 * the REST layer; each returns its response body as JSON text
 */
#ifndef DBX_CONFIGS_H
#define DBX_CONFIGS_H

#include "json_input.h"

/* {"successful": true, "result": <config>} for a new config from the vendor's create body. */
extern char *config_create(const char *tenant, const JsonNode *body);

/* {"successful": true, "result": <config>} */
extern char *config_get(const char *tenant, const char *name);

/* {"successful": true, "result": [<config>, ...]} */
extern char *config_list(const char *tenant);

/* {"successful": true, "result": {connection_id, connection_name, tenant_id, message}} */
extern char *config_delete(const char *tenant, const char *name);

/*
 * The one-call API: create a config from {connectionName, workspaceUrl,
 * warehouseId, clientId, clientSecret} and store its credentials, in one
 * transaction.  {"successful": true, "result": {connectionId, connectionName,
 * message, status, timestamp}}
 */
extern char *config_create_with_credentials(const char *tenant, JsonNode *body);

#endif
