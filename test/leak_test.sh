#!/usr/bin/env bash
# Leak-proofing: a workload of stores (secrets passed as bind parameters, as
# the README asks), replacements, failed stores, a key rotation with
# re-encryption, and deletes; then CHECKPOINT and a WAL switch, a plain and a
# custom-format pg_dump, and a search of every file under the data directory
# (WAL included), the server log and both dumps for the secrets' bytes.  Two
# canaries prove the search sees what it must: a value inserted into a plain
# table must be found in the data directory and the dumps, and a value sent
# as a literal in a failing statement must be found in the log.
#
# Then the custom dump is restored (in parallel) into a fresh cluster with the
# same key file, where every secret must open, and into one with another key
# file, where none may, nothing may be lost, and putting the right key back
# must make every secret open again.
#
# The server runs without dbx_oauth in shared_preload_libraries, as one may:
# stores work, and access tokens say what they need.
source "$(dirname "${BASH_SOURCE[0]}")/../scripts/lib.sh"

WORK=$(make_workdir)
trap 'for c in "$WORK"/a "$WORK"/b "$WORK"/c; do stop_cluster "$c"; done; rm -rf "$WORK"' EXIT
for c in a b c; do as_server_user mkdir -m 700 "$WORK/$c"; done

write_key_file "$WORK/dbx.key"
write_key_file "$WORK/other.key"
start_cluster "$WORK/a" "dbx_oauth.key_file = '$WORK/dbx.key'" \
	"log_statement = 'none'" "log_min_error_statement = error"
A=("$PGHOST" "$PGPORT")

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
  FROM unnest(ARRAY['conn-1', 'conn-2', 'conn-3', 'conn-4']) AS n;
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
# Run a query in cluster $1 (a, b or c) and print the answer.
query() {
	local cluster=$1
	shift
	as_server_user env PGHOST="$WORK/$cluster" PGPORT="$(cat "$WORK/$cluster.port")" PGUSER=postgres \
		PGDATABASE=postgres "$PG_BIN/psql" -X -At -v ON_ERROR_STOP=1 "$@"
}
echo "$PGPORT" >"$WORK/a.port"

expect_store "$WORK/store.sql" conn-1 "$(secret 1)"
expect_store "$WORK/store.sql" conn-1 "$(secret 2)"            # replaced
expect_store "$WORK/store.sql" conn-2 "$(secret 3)"
expect_store "$WORK/store.sql" conn-3 "$(secret 4)"            # deleted below
expect_store "$WORK/store.sql" conn-4 "$(secret 7)"            # re-encrypted below
expect_error DS_CONNECTION_NOT_FOUND "$WORK/store.sql" no-such-connection "$(secret 5)"
expect_error DS_ENCRYPTION_KEY_NOT_CONFIGURED "$WORK/store_unkeyed.sql" conn-2 "$(secret 6)"
run_psql -c "SELECT dbx_oauth.dbx_delete_database_config('ce5627DYnQ6abcD', 'conn-3')" >/dev/null
out=$(run_psql -c "SELECT dbx_oauth.dbx_get_access_token('ce5627DYnQ6abcD', 'conn-1')" 2>&1) &&
	die "a token without the library preloaded"
grep -q "Code: DS_DBX_OAUTH_NOT_PRELOADED;" <<<"$out" || die "expected DS_DBX_OAUTH_NOT_PRELOADED, got: $out"

# Rotation: version 2 joins the key file; everything is sealed under it.
printf '2:%s\n' "$(od -An -tx1 -N32 /dev/urandom | tr -d ' \n')" | as_server_user tee -a "$WORK/dbx.key" >/dev/null
run_psql -c "CALL dbx_oauth.dbx_reencrypt_credentials()" >/dev/null 2>&1
[ "$(query a -c "SELECT string_agg(DISTINCT key_version::text, ',') FROM dbx_oauth.credential_metadata")" = 2 ] ||
	die "re-encryption left secrets under key version 1"

# The log canary: a literal in a failing statement is logged with the statement.
run_psql -c "SELECT dbx_oauth.dbx_store_oauth_credentials('ce5627DYnQ6abcD', 'no-such', 'id', '$canary_log')" \
	>/dev/null 2>&1 && die "canary statement unexpectedly succeeded"

run_psql -c "CHECKPOINT" -c "SELECT pg_switch_wal()" -c "CHECKPOINT" >/dev/null
as_server_user "$PG_BIN/pg_dump" -h "$PGHOST" -p "$PGPORT" -U postgres -Fp -f "$WORK/dump.sql" postgres
as_server_user "$PG_BIN/pg_dump" -h "$PGHOST" -p "$PGPORT" -U postgres -Fc -f "$WORK/dump.custom" postgres
expected_rows=$(query a -c "SELECT count(*) FROM dbx_oauth.credential_metadata")
stop_cluster "$WORK/a"

found_in() {
	as_server_user grep -r -a -l -F -e "$1" "${@:2}" 2>/dev/null || true
}

status=0
fail() { echo "FAIL: $*" >&2; status=1; }
[ -n "$(found_in "$canary_data" "$WORK/a/data")" ] || fail "canary row not found under the data directory"
[ -n "$(found_in "$canary_data" "$WORK/dump.sql")" ] || fail "canary row not found in the plain dump"
[ -n "$(found_in "$canary_log" "$WORK/a/postgresql.log")" ] || fail "canary statement not found in the server log"
for n in 1 2 3 4 5 6 7; do
	hits=$(found_in "$(secret "$n")" "$WORK/a/data" "$WORK/a/postgresql.log" "$WORK/dump.sql" "$WORK/dump.custom")
	[ -z "$hits" ] || fail "secret $n found in: $hits"
done

# Restore into a fresh cluster with the same key file: every secret opens.
restore() {
	local cluster=$1 key=$2
	start_cluster "$WORK/$cluster" "dbx_oauth.key_file = '$key'"
	echo "$PGPORT" >"$WORK/$cluster.port"
	as_server_user "$PG_BIN/pg_restore" -h "$PGHOST" -p "$PGPORT" -U postgres -d postgres -j 4 \
		"$WORK/dump.custom" || fail "pg_restore into $cluster failed"
}
restore b "$WORK/dbx.key"
[ "$(query b -c "SELECT count(*) FROM dbx_oauth.credential_metadata")" = "$expected_rows" ] ||
	fail "restore with the same key lost rows"
[ "$(query b -c "SELECT string_agg(DISTINCT status, ',') FROM dbx_oauth.dbx_check_credentials()")" = ok ] ||
	fail "restore with the same key: not every secret opens"
query b -c "SELECT count(*) FROM dbx_oauth.audit_log WHERE action = 'credentials_reencrypted'" | grep -qx 1 ||
	fail "restore lost the audit trail"

# With another key file: nothing opens, clearly; nothing is lost; the right key brings all back.
restore c "$WORK/other.key"
[ "$(query c -c "SELECT count(*) FROM dbx_oauth.credential_metadata")" = "$expected_rows" ] ||
	fail "restore with another key lost rows"
[ "$(query c -c "SELECT string_agg(DISTINCT status, ',') FROM dbx_oauth.dbx_check_credentials()")" = key_missing ] ||
	fail "restore with another key: secrets not reported key_missing"
query c -c "ALTER SYSTEM SET dbx_oauth.key_file = '$WORK/dbx.key'" -c "SELECT pg_reload_conf()" >/dev/null
sleep 0.5
[ "$(query c -c "SELECT string_agg(DISTINCT status, ',') FROM dbx_oauth.dbx_check_credentials()")" = ok ] ||
	fail "the right key did not bring the secrets back"

wal_files=$(find "$WORK/a/data/pg_wal" -maxdepth 1 -type f -name '0*' | wc -l)
[ "$status" = 0 ] && echo "leak test: 7 secrets absent from $(find "$WORK/a/data" -type f | wc -l) files ($wal_files WAL segments), the server log and both dumps; canaries found; restores: same key all ok, other key none, nothing lost"
exit $status
