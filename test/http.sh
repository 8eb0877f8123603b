#!/usr/bin/env bash
# The HTTP suite: starts the whole stack (PostgreSQL, PostgREST, nginx) in a
# folder of its own, runs test/http_test.py against it, and stops it.
source "$(dirname "${BASH_SOURCE[0]}")/../scripts/lib.sh"

WORK=$(make_workdir)
export DBX_STACK_DIR=$WORK/stack
trap 'bash "$REPO_ROOT/scripts/stack.sh" stop; rm -rf "$WORK"' EXIT

eval "$(bash "$REPO_ROOT/scripts/stack.sh" start)"
python3 "$REPO_ROOT/test/http_test.py"
