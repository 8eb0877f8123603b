#!/usr/bin/env bash
# Render the REST layer's configuration, PostgREST's and nginx's, for a
# database where dbx_oauth is installed and rest/setup.sql has run.  The
# error bodies nginx answers with are read from that database's catalog.
#
# Usage: scripts/rest-config.sh DIR
#
#   DIR      the folder of both configurations, sockets, logs and nginx's
#            temporary files: created (mode 700) if missing, and owned by
#            the operating-system user PostgREST and nginx run as
#   PGHOST, PGPORT, PGDATABASE, PGUSER
#            where to read the catalog from, and where PostgREST connects
#            (PGHOST must be PostgreSQL's Unix socket folder)
#   DBX_REST_JWT_SECRET_FILE  (required) the file PostgREST verifies bearer
#            tokens with: an HS256 secret, or your identity provider's JWKS
#   DBX_REST_HTTP_PORT   nginx's port on 127.0.0.1 (default 8080)
#   DBX_REST_ADMIN_PORT  PostgREST's /ready and /live on 127.0.0.1 (default 3001)
#   DBX_REST_EXTRA_LOCATIONS  nginx location blocks of your own (default none)
#
# Then start PostgREST and nginx as DIR's owner (not as root: nginx's
# workers must reach the sockets in DIR):
#   postgrest DIR/postgrest.conf
#   nginx -p DIR -c DIR/nginx.conf -e DIR/nginx-error.log
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

DIR=${1:?usage: $0 DIR}
SECRET_FILE=${DBX_REST_JWT_SECRET_FILE:?set DBX_REST_JWT_SECRET_FILE to the HS256 secret or JWKS file}
case "$DIR$SECRET_FILE" in *'"'* | *'\'*) die "DIR and DBX_REST_JWT_SECRET_FILE cannot contain \" or \\" ;; esac
[ -d "${PGHOST:-}" ] || die "PGHOST must name PostgreSQL's Unix socket folder"

# The catalog's error bodies, as a JSON object of DS_... values quoted for
# nginx's single-quoted strings.
error_bodies() {
	run_psql -At -c "SELECT json_object_agg(code, replace(replace(
		dbx_oauth.dbx_error_envelope(code)::text, '\\', '\\\\'), '''', '\\'''))
		FROM dbx_oauth.error_catalog WHERE cardinality(parameters) = 0"
}

# Render rest/NAME.in into DIR with the values of the JSON files given.
render() {
	local name=$1
	shift
	python3 "$REPO_ROOT/scripts/render.py" "$REPO_ROOT/rest/$name.in" "$@" |
		as_server_user tee "$DIR/$name" >/dev/null
	as_server_user chmod 600 "$DIR/$name"
}

as_server_user mkdir -p -m 700 "$DIR" "$DIR/nginx-tmp"
values=$(mktemp)
trap 'rm -f "$values" "$values.errors"' EXIT
DIR=$DIR PG_SOCKET_DIR=$PGHOST PG_PORT=${PGPORT:-5432} DATABASE=${PGDATABASE:-postgres} \
	JWT_SECRET_FILE=$SECRET_FILE HTTP_PORT=${DBX_REST_HTTP_PORT:-8080} \
	ADMIN_PORT=${DBX_REST_ADMIN_PORT:-3001} EXTRA_LOCATIONS=${DBX_REST_EXTRA_LOCATIONS:-} python3 -c '
import json, os
names = ("DIR", "PG_SOCKET_DIR", "PG_PORT", "DATABASE", "JWT_SECRET_FILE", "HTTP_PORT", "ADMIN_PORT", "EXTRA_LOCATIONS")
print(json.dumps({name: os.environ[name] for name in names}))' >"$values"
error_bodies >"$values.errors"
render postgrest.conf "$values"
render nginx.conf "$values" "$values.errors"
