#!/usr/bin/env bash
# Crash safety: 8 sessions store credentials as fast as they can, each on 25
# connections of its own, recording every store the server acknowledged;
# then the postmaster is killed with SIGKILL.  After crash recovery every
# acknowledged store must be there (or the one store that was in flight when
# the server died), with its audit row, and every secret must open.
source "$(dirname "${BASH_SOURCE[0]}")/../scripts/lib.sh"

WORK=$(make_workdir)
trap 'stop_cluster "$WORK/db"; rm -rf "$WORK"' EXIT
as_server_user mkdir -m 700 "$WORK/db"
write_key_file "$WORK/dbx.key"
start_cluster "$WORK/db" "shared_preload_libraries = 'dbx_oauth'" "dbx_oauth.key_file = '$WORK/dbx.key'"

python3 "$REPO_ROOT/test/crash_test.py" setup

# The workload runs until its sessions lose the server.
python3 "$REPO_ROOT/test/crash_test.py" load "$WORK/acks.json" &
LOAD_PID=$!
sleep 3
postmaster=$(head -1 "$WORK/db/data/postmaster.pid")
kill -9 "$postmaster"
wait "$LOAD_PID"

# The killed postmaster's children leave on their own; then crash recovery.
for _ in $(seq 1 60); do
	as_server_user "$PG_BIN/pg_ctl" -D "$WORK/db/data" -l "$WORK/db/postgresql.log" -w -s start 2>/dev/null && break
	sleep 0.5
done
python3 "$REPO_ROOT/test/crash_test.py" verify "$WORK/acks.json"
