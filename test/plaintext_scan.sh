#!/usr/bin/env bash
# Plaintext scan: store distinctive secrets (passed as bind parameters, as
# the README asks), replace and delete some, fail some stores after the
# config row was locked; then CHECKPOINT, switch WAL, stop the server, and
# search every file under the data directory (WAL included) and the server
# log for the secrets' bytes.  Two canaries prove the scan sees what it must:
# a value inserted into a plain table must be found in the data directory, and
# a value sent as a literal in a failing statement must be found in the log.
# The server runs without dbx_oauth in shared_preload_libraries, as one may:
# stores work, and access tokens say what they need.
source "$(dirname "${BASH_SOURCE[0]}")/../scripts/lib.sh"

WORK=$(make_workdir)
trap 'stop_cluster "$WORK"; rm -rf "$WORK"' EXIT

write_key_file "$WORK/dbx.key"
start_cluster "$WORK" "dbx_oauth.key_file = '$WORK/dbx.key'" \
	"log_statement = 'none'" "log_min_error_statement = error"

probe=$(od -An -tx1 -N8 /dev/urandom | tr -d ' \n')
secret() { echo "dbxPlaintextProbe-$probe-$1"; }
canary_data="dbxCanaryData-$probe"
canary_log="dbxCanaryLog-$probe"

run_psql >/dev/null <<EOF
SET client_min_messages = warning;
CREATE EXTENSION dbx_oauth CASCADE;
SELECT dbx_oauth.dbx_create_database_config('ce5627DYnQ6abcD', format(
  '{"connection_name": %s, "database_type": "DATABRICKS", "databricks_config": {
    "workspace": {"workspace_url": "https://dbc-a1b2c3d4-e5f6.cloud.databricks.com"},
    "sql_warehouse": {"warehouse_id": "abc123def456"},
    "share_info": {"shared_catalog_name": "reltio_interactions"},
    "auth_type": "OAUTH_M2M"}}', to_json(n))::json)
  FROM unnest(ARRAY['conn-1', 'conn-2', 'conn-3']) AS n;
CREATE TABLE canary (value text);
INSERT INTO canary VALUES ('$canary_data');
EOF

cat >"$WORK/store.sql" <<'EOF'
SELECT dbx_oauth.dbx_store_oauth_credentials(:tenant, :conn, :client_id, :secret);
EOF
cat >"$WORK/store_unkeyed.sql" <<'EOF'
SET dbx_oauth.key_file = '';
SELECT dbx_oauth.dbx_store_oauth_credentials(:tenant, :conn, :client_id, :secret);
EOF
[ "$(id -u)" = 0 ] && chown postgres: "$WORK"/*.sql

# pgbench -M extended sends every :variable as a bind parameter.
store() {
	local script=$1 conn=$2 value=$3
	as_server_user env PGHOST="$PGHOST" PGPORT="$PGPORT" PGUSER="$PGUSER" PGDATABASE="$PGDATABASE" \
		"$PG_BIN/pgbench" -n -t 1 -M extended -f "$script" -D tenant=ce5627DYnQ6abcD \
		-D conn="$conn" -D client_id=a1b2c3d4-e5f6-7890-abcd-ef1234567890 -D secret="$value" 2>&1
}
expect_store() {
	local out
	out=$(store "$@") || die "store failed: $out"
}
expect_error() {
	local code=$1 out
	shift
	out=$(store "$@") && die "store unexpectedly succeeded"
	grep -q "Code: $code;" <<<"$out" || die "expected $code, got: $out"
}

expect_store "$WORK/store.sql" conn-1 "$(secret 1)"
expect_store "$WORK/store.sql" conn-1 "$(secret 2)"            # replaced
expect_store "$WORK/store.sql" conn-2 "$(secret 3)"
expect_store "$WORK/store.sql" conn-3 "$(secret 4)"            # deleted below
expect_error DS_CONNECTION_NOT_FOUND "$WORK/store.sql" no-such-connection "$(secret 5)"
expect_error DS_ENCRYPTION_KEY_NOT_CONFIGURED "$WORK/store_unkeyed.sql" conn-2 "$(secret 6)"
run_psql -c "SELECT dbx_oauth.dbx_delete_database_config('ce5627DYnQ6abcD', 'conn-3')" >/dev/null
out=$(run_psql -c "SELECT dbx_oauth.dbx_get_access_token('ce5627DYnQ6abcD', 'conn-1')" 2>&1) &&
	die "a token without the library preloaded"
grep -q "Code: DS_DBX_OAUTH_NOT_PRELOADED;" <<<"$out" || die "expected DS_DBX_OAUTH_NOT_PRELOADED, got: $out"
# The log canary: a literal in a failing statement is logged with the statement.
run_psql -c "SELECT dbx_oauth.dbx_store_oauth_credentials('ce5627DYnQ6abcD', 'no-such', 'id', '$canary_log')" \
	>/dev/null 2>&1 && die "canary statement unexpectedly succeeded"

run_psql -c "CHECKPOINT" -c "SELECT pg_switch_wal()" -c "CHECKPOINT" >/dev/null
stop_cluster "$WORK"

found_in() {
	as_server_user grep -r -a -l -F -e "$1" "${@:2}" 2>/dev/null || true
}

status=0
[ -n "$(found_in "$canary_data" "$WORK/data")" ] ||
	{ echo "FAIL: canary row not found under the data directory: the scan cannot see data" >&2; status=1; }
[ -n "$(found_in "$canary_log" "$WORK/postgresql.log")" ] ||
	{ echo "FAIL: canary statement not found in the server log: the scan cannot see the log" >&2; status=1; }
for n in 1 2 3 4 5 6; do
	hits=$(found_in "$(secret "$n")" "$WORK/data" "$WORK/postgresql.log")
	if [ -n "$hits" ]; then
		echo "FAIL: secret $n found in: $hits" >&2
		status=1
	fi
done
wal_files=$(find "$WORK/data/pg_wal" -maxdepth 1 -type f -name '0*' | wc -l)
[ "$status" = 0 ] && echo "plaintext scan: 6 secrets absent from $(find "$WORK/data" -type f | wc -l) files ($wal_files WAL segments) and the server log; both canaries found"
exit $status
