#!/usr/bin/env bash
# The whole dbx_oauth stack on loopback, for demos and tests: a throwaway
# PostgreSQL with the extension, PostgREST on a private Unix socket, and
# nginx serving the vendor's REST routes on a free 127.0.0.1 port.
#
# Usage: scripts/stack.sh start   start it and print shell export lines
#        scripts/stack.sh env     print the export lines of the running stack
#        scripts/stack.sh stop    stop all of it and remove its folder
#
# Everything lives in $DBX_STACK_DIR (default /tmp/dbx_oauth-stack-$UID):
# data directory, key file, JWT secret, configurations and logs.
# $DBX_STACK_SETTINGS, if set, holds extra postgresql.conf lines (one a line);
# $DBX_STACK_NGINX_EXTRA, if set, extra nginx location blocks (benchmarks).
# The export lines: DBX_BASE_URL (the platform URL), DBX_CONFIGS_URL (the
# database-configs base of tenant ce5627DYnQ6abcD), DBX_JWT (a demo token
# for that tenant), DBX_JWT_SECRET_FILE, DBX_STACK_DIR and the libpq
# variables PGHOST, PGPORT, PGUSER, PGDATABASE.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

STACK_DIR=${DBX_STACK_DIR:-${TMPDIR:-/tmp}/dbx_oauth-stack-$(id -u)}
DEMO_TENANT=ce5627DYnQ6abcD

# Wait until a command succeeds (up to ~10 s).
wait_for() {
	local what=$1 i
	shift
	for i in $(seq 1 100); do
		"$@" >/dev/null 2>&1 && return 0
		sleep 0.1
	done
	die "$what did not come up; see the logs in $STACK_DIR"
}

# PostgREST and nginx, configured by scripts/rest-config.sh.
start_rest() {
	local http_port=$1 admin_port=$2
	DBX_REST_JWT_SECRET_FILE=$STACK_DIR/jwt-secret DBX_REST_HTTP_PORT=$http_port \
		DBX_REST_ADMIN_PORT=$admin_port DBX_REST_EXTRA_LOCATIONS=${DBX_STACK_NGINX_EXTRA:-} \
		bash "$REPO_ROOT/scripts/rest-config.sh" "$STACK_DIR"
	cp "$POSTGREST_BIN" "$STACK_DIR/postgrest"
	[ "$(id -u)" = 0 ] && chown postgres: "$STACK_DIR/postgrest"
	as_server_user setsid "$STACK_DIR/postgrest" "$STACK_DIR/postgrest.conf" \
		>>"$STACK_DIR/postgrest.log" 2>&1 </dev/null &
	wait_for PostgREST curl -sf "http://127.0.0.1:$admin_port/ready"
	as_server_user /usr/sbin/nginx -q -p "$STACK_DIR" -c "$STACK_DIR/nginx.conf" -e "$STACK_DIR/nginx-error.log"
	wait_for nginx curl -s -o /dev/null "http://127.0.0.1:$http_port/"
}

cmd_start() {
	local http_port admin_port
	[ -f "$STACK_DIR/env" ] && die "a stack is already running in $STACK_DIR; run '$0 stop' first"
	ensure_packages
	ensure_postgrest
	build_and_install

	rm -rf "$STACK_DIR"
	mkdir -m 700 "$STACK_DIR"
	[ "$(id -u)" = 0 ] && chown postgres: "$STACK_DIR"
	write_key_file "$STACK_DIR/dbx_oauth.key"
	(umask 077 && od -An -tx1 -N32 /dev/urandom | tr -d ' \n' >"$STACK_DIR/jwt-secret")
	[ "$(id -u)" = 0 ] && chown postgres: "$STACK_DIR/jwt-secret"

	log "starting PostgreSQL, PostgREST and nginx in $STACK_DIR"
	local settings=()
	[ -n "${DBX_STACK_SETTINGS:-}" ] && mapfile -t settings <<<"$DBX_STACK_SETTINGS"
	start_cluster "$STACK_DIR" "shared_preload_libraries = 'dbx_oauth'" \
		"dbx_oauth.key_file = '$STACK_DIR/dbx_oauth.key'" "${settings[@]}"
	run_psql -c "SET client_min_messages = warning" -c "CREATE EXTENSION dbx_oauth CASCADE" \
		-f "$REPO_ROOT/rest/setup.sql" >/dev/null

	http_port=$(free_port)
	admin_port=$(free_port)
	start_rest "$http_port" "$admin_port"

	(umask 077 && cat >"$STACK_DIR/env") <<EOF
export DBX_STACK_DIR='$STACK_DIR'
export DBX_BASE_URL='http://127.0.0.1:$http_port'
export DBX_CONFIGS_URL='http://127.0.0.1:$http_port/reltio/api/tenants/$DEMO_TENANT/interactions/database-configs'
export DBX_JWT='$(python3 "$REPO_ROOT/scripts/jwt.py" "$STACK_DIR/jwt-secret" '{"role": "dbx_oauth_api", "sub": "demo-client", "tenants": ["'"$DEMO_TENANT"'"]}' 86400)'
export DBX_JWT_SECRET_FILE='$STACK_DIR/jwt-secret'
export PGHOST='$PGHOST' PGPORT='$PGPORT' PGUSER='$PGUSER' PGDATABASE='$PGDATABASE'
EOF
	cat "$STACK_DIR/env"
}

cmd_env() {
	[ -f "$STACK_DIR/env" ] || die "no stack is running in $STACK_DIR"
	cat "$STACK_DIR/env"
}

cmd_stop() {
	[ -d "$STACK_DIR" ] || return 0
	if [ -f "$STACK_DIR/nginx.pid" ]; then
		as_server_user /usr/sbin/nginx -q -p "$STACK_DIR" -c "$STACK_DIR/nginx.conf" \
			-e "$STACK_DIR/nginx-error.log" -s stop || true
		wait_for "nginx shutdown" test ! -f "$STACK_DIR/nginx.pid"
	fi
	pkill -f -- "$STACK_DIR/postgrest $STACK_DIR/postgrest.conf" || true
	stop_cluster "$STACK_DIR"
	rm -rf "$STACK_DIR"
}

case "${1:-}" in
	start) cmd_start ;;
	env) cmd_env ;;
	stop) cmd_stop ;;
	*) die "usage: $0 start|env|stop" ;;
esac
