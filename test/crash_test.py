#!/usr/bin/env python3
"""The workload and the checks of test/crash_test.sh.

  crash_test.py setup              200 connections with credentials
  crash_test.py load ACKS.json     8 sessions storing until the server dies
  crash_test.py verify ACKS.json   what the server acknowledged is there
"""
import json
import subprocess
import sys
import threading

from suite import check, run

TENANT = "crashTenant01"
WORKERS, PER_WORKER = 8, 25


def psql(query):
    return subprocess.run(["psql", "-X", "-At", "-v", "ON_ERROR_STOP=1", "-c", query],
                          check=True, capture_output=True, text=True).stdout.strip()


def connection(worker, i):
    return f"w{worker}-c{i}"


def store_sql(name, client_id):
    return (f"SELECT dbx_oauth.dbx_store_oauth_credentials('{TENANT}', '{name}', '{client_id}', "
            f"'secret-of-{client_id}')->'data'->>'status'")


def setup():
    psql("SET client_min_messages = warning; CREATE EXTENSION dbx_oauth CASCADE")
    for worker in range(WORKERS):
        for i in range(PER_WORKER):
            name = connection(worker, i)
            body = json.dumps({"connection_name": name, "database_type": "DATABRICKS", "databricks_config": {
                "workspace": {"workspace_url": "https://dbc-a1b2c3d4-e5f6.cloud.databricks.com"},
                "sql_warehouse": {"warehouse_id": "abc123def456"},
                "share_info": {"shared_catalog_name": "reltio_interactions"}, "auth_type": "OAUTH_M2M"}})
            psql(f"SELECT dbx_oauth.dbx_create_database_config('{TENANT}', '{body}') IS NOT NULL; "
                 + store_sql(name, f"{name}-0"))


def worker_loop(worker, acks):
    """Store round-robin on this worker's connections until the session dies."""
    session = subprocess.Popen(["psql", "-X", "-At", "-q", "-v", "ON_ERROR_STOP=1"], text=True,
                               stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    state = {connection(worker, i): {"acked": f"{connection(worker, i)}-0", "acked_count": 1, "in_flight": None}
             for i in range(PER_WORKER)}
    n = 0
    while True:
        n += 1
        name = connection(worker, n % PER_WORKER)
        client_id = f"{name}-{n}"
        state[name]["in_flight"] = client_id
        try:
            session.stdin.write(store_sql(name, client_id) + ";\n")
            session.stdin.flush()
            answer = session.stdout.readline()
        except (BrokenPipeError, OSError):
            break
        if answer.strip() != "success":
            break
        state[name].update(acked=client_id, in_flight=None)
        state[name]["acked_count"] += 1
    session.kill()
    acks.update(state)


def load(path):
    acks = {}
    threads = [threading.Thread(target=worker_loop, args=(w, acks)) for w in range(WORKERS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    with open(path, "w") as f:
        json.dump(acks, f)


def verify(path):
    with open(path) as f:
        acks = json.load(f)
    acked = sum(a["acked_count"] - 1 for a in acks.values())
    check(f"the workload got {acked} stores acknowledged before the crash", acked > WORKERS * PER_WORKER, acked)
    stored = dict(line.split("|") for line in psql(
        f"SELECT connection_name, client_id FROM dbx_oauth.credential_metadata WHERE tenant_id = '{TENANT}'").splitlines())
    check("every connection is still there", len(stored) == WORKERS * PER_WORKER, len(stored))
    lost = {name: (stored.get(name), a) for name, a in acks.items() if stored.get(name) not in (a["acked"], a["in_flight"])}
    check("each holds its last acknowledged store (or the one in flight)", not lost, lost)
    audited = dict((name, int(count)) for name, count in (line.split("|") for line in psql(
        "SELECT connection_name, count(*) FROM dbx_oauth.audit_log WHERE action LIKE 'credentials_%' "
        f"AND tenant_id = '{TENANT}' GROUP BY 1").splitlines()))
    unaudited = {name: (audited.get(name), a["acked_count"]) for name, a in acks.items()
                 if not a["acked_count"] <= audited.get(name, 0) <= a["acked_count"] + 1}
    check("and an audit row for every store it holds", not unaudited, unaudited)
    statuses = psql(f"SELECT status, count(*) FROM dbx_oauth.dbx_check_credentials() WHERE tenant_id = '{TENANT}' GROUP BY 1")
    check("every secret opens", statuses == f"ok|{WORKERS * PER_WORKER}", statuses)
    check("and the server takes stores again", psql(store_sql("w0-c0", "after-recovery")) == "success")


if __name__ == "__main__":
    mode = sys.argv[1]
    if mode == "setup":
        setup()
    elif mode == "load":
        load(sys.argv[2])
    else:
        def crash_recovery():
            """Every store acknowledged before the SIGKILL survived crash recovery."""
            verify(sys.argv[2])
        run([crash_recovery])
