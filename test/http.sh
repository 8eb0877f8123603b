#!/usr/bin/env bash
# The HTTP and token suites: starts a stand-in for a Databricks workspace and
# the whole stack (PostgreSQL, PostgREST, nginx) in a folder of their own,
# runs test/token_test.py and test/http_test.py against them, and stops all.
source "$(dirname "${BASH_SOURCE[0]}")/../scripts/lib.sh"

WORK=$(make_workdir)
export DBX_STACK_DIR=$WORK/stack
STANDIN_PID=
cleanup() {
	bash "$REPO_ROOT/scripts/stack.sh" stop
	[ -n "$STANDIN_PID" ] && kill "$STANDIN_PID" 2>/dev/null
	rm -rf "$WORK"
}
trap cleanup EXIT

python3 "$REPO_ROOT/test/databricks_standin.py" "$WORK/standin.port" &
STANDIN_PID=$!
for _ in $(seq 1 50); do [ -s "$WORK/standin.port" ] && break; sleep 0.1; done
export DBX_STANDIN_URL="http://127.0.0.1:$(cat "$WORK/standin.port")"

# The stand-in speaks plain http on loopback: allowed here, and only here.
export DBX_STACK_SETTINGS="dbx_oauth.allow_insecure_http = on
dbx_oauth.token_allowed_hosts = '127.0.0.1, *.cloud.databricks.com, *.azuredatabricks.net'
dbx_oauth.retry_budget = '5s'"
eval "$(bash "$REPO_ROOT/scripts/stack.sh" start)"

status=0
python3 "$REPO_ROOT/test/token_test.py" || status=1
python3 "$REPO_ROOT/test/http_test.py" || status=1
exit $status
