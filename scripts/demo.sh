#!/usr/bin/env bash
# The main job end to end on the vendor's example request: installs what is
# missing, builds and installs dbx_oauth, starts a throwaway PostgreSQL with a
# fresh key file, creates the connection config, stores the example
# credentials and prints the reply, the masked metadata and both documented
# errors.  Everything it started is stopped and removed at the end.
#
# Usage: scripts/demo.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

ensure_packages
build_and_install

WORK=$(make_workdir)
trap 'stop_cluster "$WORK"; rm -rf "$WORK"' EXIT
write_key_file "$WORK/dbx_oauth.key"
log "starting a throwaway PostgreSQL $PG_MAJOR in $WORK"
start_cluster "$WORK" "dbx_oauth.key_file = '$WORK/dbx_oauth.key'"

TENANT=ce5627DYnQ6abcD
CONNECTION=my-databricks-connection

section() { printf '\n## %s\n' "$*"; }

section "CREATE EXTENSION dbx_oauth CASCADE"
run_psql -c "SET client_min_messages = warning" -c "CREATE EXTENSION dbx_oauth CASCADE" \
	-c "SELECT extname, extversion FROM pg_extension WHERE extname IN ('dbx_oauth', 'pgcrypto') ORDER BY 1"

section "dbx_create_database_config('$TENANT', <vendor create body>)"
run_psql -At <<EOF
SELECT dbx_oauth.dbx_create_database_config('$TENANT', '{
  "connection_name": "$CONNECTION", "database_type": "DATABRICKS",
  "databricks_config": {
    "workspace": {"workspace_url": "https://dbc-a1b2c3d4-e5f6.cloud.databricks.com",
                  "workspace_id": "1234567890123456", "region": "us-east-1", "cloud_provider": "AWS"},
    "sql_warehouse": {"warehouse_id": "abc123def456", "warehouse_name": "reltio-warehouse",
                      "size": "SMALL", "auto_stop": true, "auto_stop_minutes": 10},
    "share_info": {"shared_catalog_name": "reltio_interactions"},
    "connection_properties": {"query_timeout": 300, "max_pool_size": 5},
    "auth_type": "OAUTH_M2M"}}');
EOF

section "dbx_store_oauth_credentials('$TENANT', '$CONNECTION', 'a1b2c3d4-e5f6-7890-abcd-ef1234567890', 'example-secret')"
run_psql -At -c "SELECT dbx_oauth.dbx_store_oauth_credentials('$TENANT', '$CONNECTION',
	'a1b2c3d4-e5f6-7890-abcd-ef1234567890', 'example-secret')"

section "SELECT * FROM dbx_oauth.credential_metadata   (the secret is never readable)"
run_psql -c "SELECT * FROM dbx_oauth.credential_metadata"

section "SELECT * FROM dbx_oauth.dbx_check_credentials()"
run_psql -c "SELECT * FROM dbx_oauth.dbx_check_credentials()"

section "The documented errors: clientId missing, clientSecret missing"
run_psql -v ON_ERROR_STOP=0 -c "SELECT dbx_oauth.dbx_store_oauth_credentials('$TENANT', '$CONNECTION',
	NULL, 'example-secret')" 2>&1 || true
run_psql -v ON_ERROR_STOP=0 -c "SELECT dbx_oauth.dbx_store_oauth_credentials('$TENANT', '$CONNECTION',
	'a1b2c3d4-e5f6-7890-abcd-ef1234567890', '')" 2>&1 || true
echo
log "demo finished; the throwaway cluster is removed"
