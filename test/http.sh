#!/usr/bin/env bash
# The HTTP and token suites: starts a stand-in for a Databricks workspace and
# the whole stack (PostgreSQL, PostgREST, nginx) in a folder of their own,
# runs test/token_test.py, the bad-input corpus (test/corpus_test.py), the
# random-input run (test/fuzz_test.py) and test/http_test.py against them,
# and stops all.
source "$(dirname "${BASH_SOURCE[0]}")/../scripts/lib.sh"

standin_workdir

# The stand-in speaks plain http on loopback: allowed here, and only here.
export DBX_STACK_SETTINGS="dbx_oauth.allow_insecure_http = on
dbx_oauth.token_allowed_hosts = '127.0.0.1, *.cloud.databricks.com, *.azuredatabricks.net'
dbx_oauth.retry_budget = '5s'"
eval "$(bash "$REPO_ROOT/scripts/stack.sh" start)"

status=0
python3 "$REPO_ROOT/test/token_test.py" || status=1
python3 "$REPO_ROOT/test/corpus_test.py" || status=1
python3 "$REPO_ROOT/test/fuzz_test.py" || status=1
# Last: it ends by taking PostgREST away.
python3 "$REPO_ROOT/test/http_test.py" || status=1
exit $status
