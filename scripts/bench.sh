#!/usr/bin/env bash
# Benchmarks: dbx_oauth against baselines measured in the same run, on
# loopback, reported as ratios (the machines are noisy: absolute numbers mean
# little, ratios of neighbours measured alike mean more).
#
#   store       dbx_store_oauth_credentials vs the same row upserted
#               unencrypted (the limit) and vs a hand-written upsert with
#               pgp_sym_encrypt at pgcrypto's defaults (what people write)
#   http        a store through nginx + PostgREST vs a trivial RPC through
#               the same stack
#   token       a cached dbx_get_access_token vs SELECT 1
#   memory      backend memory growth over 100,000 stores in one session
#
# Usage: scripts/bench.sh  (or make bench); BENCH_SECONDS (5) a run,
# BENCH_ROUNDS (3) runs of each measure, interleaved; medians are reported.
# BENCH_SCRIPTS="store plain ..." runs only those pgbench scripts.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

SECONDS_PER_RUN=${BENCH_SECONDS:-5}
ROUNDS=${BENCH_ROUNDS:-3}
CLIENTS=4
CONNECTIONS=1000
TENANT=benchTenant

ensure_packages wrk
ensure_postgrest
build_and_install

standin_workdir

export DBX_STACK_SETTINGS="synchronous_commit = off
dbx_oauth.allow_insecure_http = on
dbx_oauth.token_allowed_hosts = '127.0.0.1'"
# A trivial RPC beside the vendor's routes, for the HTTP baseline.
export DBX_STACK_NGINX_EXTRA='location = /bench/ping {
            proxy_pass http://postgrest/rpc/bench_ping;
            proxy_method POST;
            proxy_http_version 1.1;
            proxy_pass_request_headers off;
            proxy_set_header Connection "";
            proxy_set_header Authorization $http_authorization;
            proxy_set_header Content-Type "application/octet-stream";
            proxy_set_header Accept "application/json";
        }'
eval "$(bash "$REPO_ROOT/scripts/stack.sh" start)"
JWT=$(python3 "$REPO_ROOT/scripts/jwt.py" "$DBX_JWT_SECRET_FILE" \
	"{\"role\": \"dbx_oauth_api\", \"sub\": \"bench\", \"tenants\": [\"$TENANT\"]}" 3600)

# Connections c1..c$CONNECTIONS take the stores; c0 keeps the stand-in's
# credentials for the token runs.
log "setting up $CONNECTIONS connections and the baselines"
run_psql >/dev/null <<EOF
SET client_min_messages = warning;
CREATE ROLE bench_writer LOGIN IN ROLE dbx_oauth_writer, dbx_oauth_token_user;
SELECT dbx_oauth.dbx_grant_tenant('bench_writer', '$TENANT');
SELECT count(*) FROM (
  SELECT dbx_oauth.dbx_create_database_config('$TENANT', json_build_object(
    'connection_name', 'c' || i, 'database_type', 'DATABRICKS', 'databricks_config', json_build_object(
      'workspace', json_build_object('workspace_url', '$DBX_STANDIN_URL'),
      'sql_warehouse', json_build_object('warehouse_id', 'abc123def456'),
      'share_info', json_build_object('shared_catalog_name', 'reltio_interactions'),
      'auth_type', 'OAUTH_M2M')))
  FROM generate_series(0, $CONNECTIONS) AS i) s;
SELECT count(*) FROM (
  SELECT dbx_oauth.dbx_store_oauth_credentials('$TENANT', 'c' || i, 'standin-client', 'standin-secret')
  FROM generate_series(0, $CONNECTIONS) AS i) s;

-- The baselines: the same rows, one unencrypted, one sealed the way people
-- do it by hand (pgp_sym_encrypt with a key passed in, pgcrypto's defaults).
CREATE SCHEMA bench;
CREATE TABLE bench.plain (tenant_id text, connection_name text, client_id text, client_secret text,
                          stored_at timestamptz, stored_by name, PRIMARY KEY (tenant_id, connection_name));
CREATE TABLE bench.pgp (LIKE bench.plain INCLUDING ALL);
ALTER TABLE bench.pgp ALTER COLUMN client_secret TYPE bytea USING NULL;
INSERT INTO bench.plain SELECT '$TENANT', 'c' || i, 'standin-client', 'standin-secret', now(), current_user
  FROM generate_series(1, $CONNECTIONS) AS i;
INSERT INTO bench.pgp SELECT tenant_id, connection_name, client_id, NULL, stored_at, stored_by FROM bench.plain;
-- The same work as a store but for the encryption: the row and an audit row.
CREATE TABLE bench.audit (LIKE dbx_oauth.audit_log INCLUDING ALL);
GRANT USAGE ON SCHEMA bench TO bench_writer;
GRANT ALL ON ALL TABLES IN SCHEMA bench TO bench_writer;
-- The trivial RPC of the HTTP baseline.
CREATE FUNCTION dbx_api.bench_ping(bytea) RETURNS json LANGUAGE sql AS \$\$ SELECT '{"ok": true}'::json \$\$;
GRANT EXECUTE ON FUNCTION dbx_api.bench_ping(bytea) TO dbx_oauth_api;
NOTIFY pgrst, 'reload schema';
EOF

mkdir -p "$WORK/scripts"
cat >"$WORK/scripts/store.sql" <<EOF
\set n random(1, $CONNECTIONS)
SELECT dbx_oauth.dbx_store_oauth_credentials('$TENANT', 'c' || :n, :client_id, :secret);
EOF
cat >"$WORK/scripts/plain.sql" <<EOF
\set n random(1, $CONNECTIONS)
INSERT INTO bench.plain VALUES ('$TENANT', 'c' || :n, :client_id, :secret, now(), current_user)
  ON CONFLICT (tenant_id, connection_name) DO UPDATE SET client_id = excluded.client_id,
  client_secret = excluded.client_secret, stored_at = excluded.stored_at, stored_by = excluded.stored_by;
EOF
cat >"$WORK/scripts/audited.sql" <<EOF
\set n random(1, $CONNECTIONS)
WITH stored AS (
  INSERT INTO bench.plain VALUES ('$TENANT', 'c' || :n, :client_id, :secret, now(), current_user)
    ON CONFLICT (tenant_id, connection_name) DO UPDATE SET client_id = excluded.client_id,
    client_secret = excluded.client_secret, stored_at = excluded.stored_at, stored_by = excluded.stored_by
    RETURNING tenant_id, connection_name)
INSERT INTO bench.audit (at, actor, session_user_name, action, outcome, tenant_id, connection_name, detail)
  SELECT now(), current_user, session_user, 'credentials_replaced', 'ok', tenant_id, connection_name, 'key version 1'
  FROM stored;
EOF
cat >"$WORK/scripts/pgp.sql" <<EOF
\set n random(1, $CONNECTIONS)
INSERT INTO bench.pgp VALUES ('$TENANT', 'c' || :n, :client_id, pgp_sym_encrypt(:secret, :key), now(), current_user)
  ON CONFLICT (tenant_id, connection_name) DO UPDATE SET client_id = excluded.client_id,
  client_secret = excluded.client_secret, stored_at = excluded.stored_at, stored_by = excluded.stored_by;
EOF
cat >"$WORK/scripts/token.sql" <<EOF
SELECT dbx_oauth.dbx_get_access_token('$TENANT', 'c0');
EOF
cat >"$WORK/scripts/select1.sql" <<EOF
SELECT 1;
EOF
[ "$(id -u)" = 0 ] && chown -R postgres: "$WORK/scripts"

# Transactions per second of a pgbench script, as bench_writer.
tps() {
	as_server_user env PGHOST="$PGHOST" PGPORT="$PGPORT" PGDATABASE="$PGDATABASE" \
		"$PG_BIN/pgbench" -n -M prepared -c "$CLIENTS" -j 2 -T "$SECONDS_PER_RUN" -U bench_writer \
		-D client_id=a1b2c3d4-e5f6-7890-abcd-ef1234567890 -D secret=bench-secret-value-0123456789 \
		-D key=a-key-the-application-keeps -f "$WORK/scripts/$1.sql" 2>&1 |
		sed -n 's/^tps = \([0-9.]*\) .*/\1/p'
}

# Requests per second of wrk POSTing a body to a path, where "{n}" in the
# path becomes a random connection number per request, as in the pgbench
# scripts (stores on one connection would queue on its row lock).
rps() {
	local path=$1 body=${2:-}
	cat >"$WORK/wrk.lua" <<EOF
wrk.method = "POST"
wrk.body = '$body'
wrk.headers["Authorization"] = "Bearer $JWT"
wrk.headers["Content-Type"] = "application/json"
-- Each thread its own sequence of connections.
local threads = 0
setup = function(thread) threads = threads + 1; thread:set("seed", threads) end
init = function(args) math.randomseed(seed) end
request = function()
	local path = string.gsub("$path", "{n}", tostring(math.random(1, $CONNECTIONS)))
	return wrk.format(nil, path)
end
EOF
	local out
	out=$(wrk -t 2 -c "$CLIENTS" -d "${SECONDS_PER_RUN}s" -s "$WORK/wrk.lua" "$DBX_BASE_URL")
	# Only successes count: a run with errors measures nothing.
	grep -q 'Non-2xx' <<<"$out" && die "POST $path answered errors under load: $(grep Non-2xx <<<"$out")"
	sed -n 's/^Requests\/sec: *\([0-9.]*\).*/\1/p' <<<"$out"
}

ratio() { python3 -c "print(f'{$1 / $2:.2f}x')"; }

log "warming up the token cache"
run_psql -c "SET ROLE bench_writer" -c "SELECT dbx_oauth.dbx_get_access_token('$TENANT', 'c0')" >/dev/null

# Every measure ROUNDS times, interleaved with its baseline; the medians count.
declare -A samples
STORE_PATH="/reltio/api/tenants/$TENANT/interactions/database-configs/c{n}/databricks/oauth/credentials"
STORE_BODY='{"clientId": "a1b2c3d4-e5f6-7890-abcd-ef1234567890", "clientSecret": "bench-secret-value-0123456789"}'
for round in $(seq 1 "$ROUNDS"); do
	log "round $round of $ROUNDS: pgbench and wrk, $SECONDS_PER_RUN s a run"
	for script in ${BENCH_SCRIPTS:-store plain audited pgp token select1}; do
		samples[$script]+="$(tps $script) "
	done
	[ -n "${BENCH_SCRIPTS:-}" ] && continue
	samples[http_store]+="$(rps "$STORE_PATH" "$STORE_BODY") "
	samples[http_ping]+="$(rps /bench/ping '{}') "
done
median() { python3 -c 'import statistics, sys; print(f"{statistics.median(map(float, sys.argv[1:])):.0f}")' $1; }
for name in "${!samples[@]}"; do
	declare "$name=$(median "${samples[$name]}")"
done

# A partial run (BENCH_SCRIPTS names pgbench scripts) shows its medians only.
if [ -n "${BENCH_SCRIPTS:-}" ]; then
	for name in $BENCH_SCRIPTS; do echo "$name ${!name}"; done
	exit 0
fi

log "memory: 100,000 stores in one session"
python3 - "$TENANT" "$CONNECTIONS" >"$WORK/scripts/memory.sql" <<'EOF'
import sys
tenant, connections = sys.argv[1], int(sys.argv[2])
# The backend's memory contexts (PostgreSQL's allocations) and its private
# resident memory (RssAnon: malloc'd memory too, OpenSSL's included).
size = ("RESET ROLE;\nSELECT sum(total_bytes) FROM pg_backend_memory_contexts \\gset {}\n"
        "SELECT pg_backend_pid() \\g | xargs -I@ awk '/^RssAnon:/ {{print \"rss\", $2}}' /proc/@/status\n"
        "SET ROLE bench_writer;\n")
call = "SELECT dbx_oauth.dbx_store_oauth_credentials('{}', 'c{}', 'client-{}', 'secret-{}') IS NULL;\n"
print("SET ROLE bench_writer;")
for i in range(1000):                              # warm-up: plans, caches, keyring
    print(call.format(tenant, i % connections + 1, i, i), end="")
print(size.format("before_"), end="")
for i in range(100000):
    print(call.format(tenant, i % connections + 1, i, i), end="")
print(size.format("after_"), end="")
print("\\echo :before_sum :after_sum")
EOF
[ "$(id -u)" = 0 ] && chown postgres: "$WORK/scripts/memory.sql"
run_psql -At -f "$WORK/scripts/memory.sql" >"$WORK/memory.out"
read -r mem_before mem_after < <(tail -1 "$WORK/memory.out")
read -r rss_before rss_after < <(sed -n 's/^rss //p' "$WORK/memory.out" | paste -sd ' ')
[ -n "${mem_after:-}" ] && [ -n "${rss_after:-}" ] || die "the memory run printed no figures; see $WORK/memory.out"
growth=$((mem_after - mem_before))
rss_growth=$(((rss_after - rss_before) * 1024))

cat <<EOF

dbx_oauth benchmark: $CLIENTS clients, medians of $ROUNDS interleaved runs of ${SECONDS_PER_RUN} s, pgbench -M prepared, synchronous_commit = off,
$CONNECTIONS connections, role with a tenant grant (bench_writer), loopback, $(nproc) cores

| measure | dbx_oauth | baseline | ratio | goal |
| --- | --- | --- | --- | --- |
| store vs unencrypted upsert (tps) | $store | $plain | $(ratio "$store" "$plain") | >= 0.8x |
| store vs the same work unencrypted: upsert and audit row (tps) | $store | $audited | $(ratio "$store" "$audited") | |
| store vs pgp_sym_encrypt upsert (tps) | $store | $pgp | $(ratio "$store" "$pgp") | >= 2.5x |
| store through nginx + PostgREST vs trivial RPC (req/s) | $http_store | $http_ping | $(ratio "$http_store" "$http_ping") | >= 0.8x |
| cached dbx_get_access_token vs SELECT 1 (tps) | $token | $select1 | $(ratio "$token" "$select1") | >= 0.5x |
| backend memory growth over 100,000 stores: memory contexts (bytes) | $growth | | | < 1 MB |
| backend memory growth over 100,000 stores: private resident memory (bytes) | $rss_growth | | | < 1 MB |
EOF
