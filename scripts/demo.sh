#!/usr/bin/env bash
# The main job end to end on the vendor's example request: installs what is
# missing, builds and installs dbx_oauth, starts a throwaway stack
# (PostgreSQL with a fresh key file, PostgREST, nginx), creates the
# connection config and stores the vendor's example credentials through the
# vendor's REST routes, then prints the replies, the masked metadata, the
# check of the stored secret and both documented errors (over HTTP and SQL).
# Everything it started is stopped and removed at the end.
#
# Usage: scripts/demo.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

export DBX_STACK_DIR=${TMPDIR:-/tmp}/dbx_oauth-demo-$$
trap 'bash "$REPO_ROOT/scripts/stack.sh" stop' EXIT
eval "$(bash "$REPO_ROOT/scripts/stack.sh" start)"

section() { printf '\n## %s\n' "$*"; }
# POST a JSON body through nginx; print the command, the body and the status.
post() {
	local path=$1 body=$2
	printf '$ curl -X POST "$DBX_CONFIGS_URL%s" -H "Authorization: Bearer $DBX_JWT" -H '"'"'Content-Type: application/json'"'"' -d '"'"'%s'"'"'\n' \
		"$path" "$(printf %s "$body" | tr -s ' \n' ' ')"
	curl -sS -X POST "$DBX_CONFIGS_URL$path" -H "Authorization: Bearer $DBX_JWT" \
		-H 'Content-Type: application/json' -d "$body" -w '\nHTTP %{http_code} %{content_type}\n'
}

section "Create the connection config (POST .../database-configs/)"
post / '{"connection_name": "my-databricks-connection", "database_type": "DATABRICKS",
  "databricks_config": {
    "workspace": {"workspace_url": "https://dbc-a1b2c3d4-e5f6.cloud.databricks.com",
                  "workspace_id": "1234567890123456", "region": "us-east-1", "cloud_provider": "AWS"},
    "sql_warehouse": {"warehouse_id": "abc123def456", "warehouse_name": "reltio-warehouse",
                      "size": "SMALL", "auto_stop": true, "auto_stop_minutes": 10},
    "share_info": {"shared_catalog_name": "reltio_interactions"},
    "connection_properties": {"query_timeout": 300, "max_pool_size": 5},
    "auth_type": "OAUTH_M2M"}}'

section "Store the vendor's example credentials (POST .../my-databricks-connection/databricks/oauth/credentials)"
post /my-databricks-connection/databricks/oauth/credentials \
	'{"clientId": "a1b2c3d4-e5f6-7890-abcd-ef1234567890", "clientSecret": "example-secret"}'

section "SELECT * FROM dbx_oauth.credential_metadata   (the secret itself is never readable)"
run_psql -c "SELECT * FROM dbx_oauth.credential_metadata"

section "SELECT * FROM dbx_oauth.dbx_check_credentials()"
run_psql -c "SELECT * FROM dbx_oauth.dbx_check_credentials()"

section "The documented errors over HTTP: clientId missing, clientSecret missing"
post /my-databricks-connection/databricks/oauth/credentials '{"clientSecret": "example-secret"}'
post /my-databricks-connection/databricks/oauth/credentials '{"clientId": "a1b2c3d4-e5f6-7890-abcd-ef1234567890"}'

section "The documented errors in SQL"
run_psql -v ON_ERROR_STOP=0 -e 2>&1 <<'SQL' || true
SELECT dbx_oauth.dbx_store_oauth_credentials('ce5627DYnQ6abcD', 'my-databricks-connection', NULL, 'example-secret');
SELECT dbx_oauth.dbx_store_oauth_credentials('ce5627DYnQ6abcD', 'my-databricks-connection', 'a1b2c3d4-e5f6-7890-abcd-ef1234567890', '');
SQL
echo
log "demo finished; stopping the stack"
