#!/usr/bin/env bash
# Run every dbx_oauth test: installs what is missing, builds with warnings as
# errors, installs, then runs the pg_regress suite, the isolation specs, the
# leak test, the crash test, and the token, HTTP, bad-input corpus and
# random-input suites, each against throwaway servers of their own (the last
# four with PostgREST and nginx in front).
#
# Usage: scripts/test.sh        (exit status 0 when every test passed)
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

ensure_packages
ensure_postgrest
build_and_install

WORK=$(make_workdir)
KEEP_WORK=${KEEP_WORK:-}
STANDIN_PID=
cleanup() {
	for dir in "$WORK"/*/; do stop_cluster "$dir"; done
	[ -n "$STANDIN_PID" ] && kill "$STANDIN_PID" 2>/dev/null
	if [ -n "$KEEP_WORK" ]; then log "work folder kept: $WORK"; else rm -rf "$WORK"; fi
}
trap cleanup EXIT

# The tests read their inputs from a copy the server user can read.
cp -r "$REPO_ROOT/sql" "$REPO_ROOT/expected" "$REPO_ROOT/test" "$REPO_ROOT/README.md" "$WORK/"
mkdir -m 700 "$WORK/keys"
write_key_file "$WORK/keys/current.key"
cat >"$WORK/test.conf" <<EOF
shared_preload_libraries = 'dbx_oauth'
dbx_oauth.key_file = '$WORK/keys/current.key'
max_prepared_transactions = 2
EOF
[ "$(id -u)" = 0 ] && chown -R postgres: "$WORK"

PGXS_DIR=$(dirname "$($PG_CONFIG --pgxs)")/..
failed=()

run_suite() {
	local name=$1 runner=$2
	shift 2
	log "$name"
	if ! (cd "$WORK" && as_server_user env DBX_TEST_KEYDIR="$WORK/keys" DBX_TEST_README="$WORK/README.md" "$runner" \
		--bindir="$PG_BIN" --temp-config="$WORK/test.conf" --encoding=UTF8 --no-locale "$@"); then
		failed+=("$name")
		find "$WORK" -name regression.diffs -exec cat {} + >&2 || true
	fi
}

run_suite "pg_regress" "$PGXS_DIR/test/regress/pg_regress" \
	--inputdir=. --outputdir=regress --temp-instance="$WORK/regress/instance" \
	--dbname=contrib_regression $(make -s -C "$REPO_ROOT" print-REGRESS)

# The isolation specs: also a second key file (versions 1 and 2) and the
# Databricks stand-in, answering after 1 s.
cp "$WORK/keys/current.key" "$WORK/keys/two-versions.key"
printf '2:%s\n' "$(od -An -tx1 -N32 /dev/urandom | tr -d ' \n')" >>"$WORK/keys/two-versions.key"
start_standin "$WORK"
curl -sf -d '{"delay": 1}' "$DBX_STANDIN_URL/control/config" >/dev/null
cat "$WORK/test.conf" - >"$WORK/isolation.conf" <<EOF
dbx_oauth.allow_insecure_http = on
dbx_oauth.token_allowed_hosts = '127.0.0.1, *.cloud.databricks.com'
dbx_test.key_dir = '$WORK/keys'
dbx_test.standin_url = '$DBX_STANDIN_URL'
EOF
[ "$(id -u)" = 0 ] && chown -R postgres: "$WORK/keys" "$WORK/isolation.conf"
run_suite "isolation" "$PGXS_DIR/test/isolation/pg_isolation_regress" \
	--inputdir=test --outputdir=isolation --temp-instance="$WORK/isolation/instance" \
	--temp-config="$WORK/isolation.conf" \
	--dbname=isolation_regression $(make -s -C "$REPO_ROOT" print-ISOLATION)
kill "$STANDIN_PID"; STANDIN_PID=

log "leak test (data directory, WAL, log, dumps; restores)"
bash "$REPO_ROOT/test/leak_test.sh" || failed+=("leak test")

log "crash test (SIGKILL of the postmaster under concurrent stores)"
bash "$REPO_ROOT/test/crash_test.sh" >"$WORK/crash.log" 2>&1 || { failed+=("crash test"); cat "$WORK/crash.log" >&2; }
grep -c '^ok' "$WORK/crash.log" | xargs printf 'crash test: %s checks passed\n'

log "HTTP, corpus and random inputs (nginx, PostgREST, PostgreSQL)"
bash "$REPO_ROOT/test/http.sh" >"$WORK/http.log" 2>&1 || { failed+=("HTTP"); grep -v '^ok' "$WORK/http.log" >&2; }
grep -E '^# ([a-z_]+\.py: |DBX_FUZZ_SEED)' "$WORK/http.log" | sed 's/^# /  /'


if [ ${#failed[@]} -gt 0 ]; then
	printf 'FAILED: %s\n' "${failed[@]}" >&2
	exit 1
fi
log "all tests passed"
