#!/usr/bin/env python3
"""A bounded random-input run over the validators and the JSON parser.

Mutated request bodies go to the REST routes (the parser sees the raw
bytes), random JSON documents to dbx_create_database_config, random strings
to every argument of dbx_store_oauth_credentials.  Every answer must be a
success or a catalog error (never a 5xx, a crash or another error), and
afterwards every stored secret must still open.  DBX_FUZZ_SEED repeats a run
(the seed is printed); DBX_FUZZ_CASES sets its size (default 3000 a target).

Runs against the stack of test/http.sh."""
import json
import os
import random
import re
import subprocess
from collections import Counter

from http_test import CONFIGS, TENANT, credentials_path, request
from suite import check, run

SEED = int(os.environ.get("DBX_FUZZ_SEED") or random.SystemRandom().randrange(1 << 32))
CASES = int(os.environ.get("DBX_FUZZ_CASES") or 3000)
rng = random.Random(SEED)
CONN = "fuzz-conn"
ENVELOPE = re.compile(r'\{"successful": false, "error": "Code: DS_[A-Z_]+; Message parameters: \[.*\]\. .*"\}')
CATALOG_ERROR = re.compile(r"ERROR:  (22|42|55)[0-9A-Z]{3}: Code: DS_[A-Z_]+; ")

# Pieces that parsers and validators trip on.
PALETTE = ['{', '}', '[', ']', '"', ':', ',', '\\', '\\u', '\\ud800', '\\udc00', '\\u0000', '\\"', 'e', 'E',
           '-', '+', '.', '0', '1e999', '-0', 'true', 'null', ' ', '\t', '\n', '\r', '\x00', '\x01', '\x7f',
           '\u0085', '\u00e9', '\u2028', '\u200b', '\ufeff', '\U0001f600', '%2F', '../', ':', "'", ';']
BAD_BYTES = [b'\xff', b'\xc3', b'\xc3\x28', b'\xed\xa0\x80', b'\xf4\x90\x80\x80', b'\xe2\x82']


def mutate(text):
    data = text.encode()
    for _ in range(rng.randint(1, 6)):
        at = rng.randrange(len(data) + 1)
        op = rng.random()
        if op < 0.3 and data:
            data = data[:at] + data[at + rng.randint(1, 8):]
        elif op < 0.65:
            data = data[:at] + rng.choice(PALETTE).encode() + data[at:]
        elif op < 0.75:
            data = data[:at] + rng.choice(BAD_BYTES) + data[at:]
        elif op < 0.9 and data:
            start = rng.randrange(len(data))
            data = data[:at] + data[start:start + rng.randint(1, 40)] + data[at:]
        else:
            depth = rng.randint(1, 80)
            data = data[:at] + b"[" * depth + b"1" + b"]" * rng.choice([depth, depth - 1]) + data[at:]
    return data


def random_string():
    kind = rng.random()
    if kind < 0.1:
        return None
    if kind < 0.2:
        return rng.choice(["", " ", "\u3000", "a" * rng.choice([64, 65, 128, 129, 256, 257, 1024, 1025, 5000])])
    return "".join(rng.choice(PALETTE + list("abcXYZ019_-.")) for _ in range(rng.randint(1, 40)))


def random_json(depth=0):
    kind = rng.random()
    if depth > 4 or kind < 0.3:
        return rng.choice([None, True, False, 0, -1, 2 ** 31, 2 ** 63, 1.5, 1e308, "", random_string() or "x"])
    if kind < 0.65:
        keys = ["connection_name", "database_type", "databricks_config", "workspace", "workspace_url",
                "sql_warehouse", "warehouse_id", "share_info", "shared_catalog_name", "auth_type",
                "auto_stop_minutes", "auto_stop", random_string() or "k"]
        return {rng.choice(keys): random_json(depth + 1) for _ in range(rng.randint(0, 6))}
    return [random_json(depth + 1) for _ in range(rng.randint(0, 4))]


def valid_config(name):
    return {"connection_name": name, "database_type": "DATABRICKS", "databricks_config": {
        "workspace": {"workspace_url": "https://dbc-a1b2c3d4-e5f6.cloud.databricks.com", "region": "us-east-1"},
        "sql_warehouse": {"warehouse_id": "abc123def456", "auto_stop": True, "auto_stop_minutes": 10},
        "share_info": {"shared_catalog_name": "reltio_interactions"}, "auth_type": "OAUTH_M2M"}}


def sql_session():
    return subprocess.Popen(["psql", "-X", "-At", "-q", "-v", "VERBOSITY=verbose"], text=True,
                            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)


def sql_run(session, query):
    session.stdin.write(query + ";\n\\echo '-- done --'\n")
    session.stdin.flush()
    lines = []
    for line in session.stdout:
        if line.rstrip("\n") == "-- done --":
            break
        lines.append(line.rstrip("\n"))
    return "\n".join(lines)


def outcome(out, success):
    """A SQL answer in short: "success" if it matches the success pattern, the
    catalog code of a catalog error, else "other" (a crash, a lost session, an
    error from elsewhere)."""
    if re.fullmatch(success, out):
        return "success"
    return CATALOG_ERROR.match(out) and re.search(r"Code: (DS_[A-Z_]+)", out).group(1) or "other"


def lit(value):
    if value is None:
        return "NULL"
    return "E'" + "".join("\\\\" if c == "\\" else "\\'" if c == "'" else "" if c == "\x00" else
                          f"\\x{ord(c):02x}" if ord(c) < 0x20 or ord(c) == 0x7f else c for c in value) + "'"


def setup():
    """A config with credentials to aim at (seed printed to repeat the run)."""
    print(f"# DBX_FUZZ_SEED={SEED} DBX_FUZZ_CASES={CASES}")
    request("DELETE", f"{CONFIGS}/{CONN}")
    subprocess.run(["psql", "-X", "-q", "-c", "DO $$BEGIN CREATE ROLE fuzz_writer NOLOGIN IN ROLE dbx_oauth_writer; "
                    "EXCEPTION WHEN duplicate_object THEN NULL; END$$",
                    "-c", f"SELECT dbx_oauth.dbx_grant_tenant('fuzz_writer', '{TENANT}')"], check=True, capture_output=True)
    status, _, _ = request("POST", CONFIGS, valid_config(CONN))
    check("the fuzz config is created", status == 201, status)
    status, _, _ = request("POST", credentials_path(CONN), {"clientId": "fuzz-client", "clientSecret": "fuzz-secret"})
    check("with credentials", status == 200, status)


def http_bodies():
    """Mutated bodies on the credentials, create and one-call routes: a success or a catalog error, never a 5xx."""
    targets = [(credentials_path(CONN), json.dumps({"clientId": "fuzz-client", "clientSecret": "fuzz-secret"})),
               (CONFIGS, json.dumps(valid_config("fuzz-new"))),
               (CONFIGS + "/databricks/oauth/credentials", json.dumps({
                   "connectionName": "fuzz-one", "workspaceUrl": "https://dbc-a1b2c3d4-e5f6.cloud.databricks.com",
                   "warehouseId": "abc123def456", "clientId": "a", "clientSecret": "b"}))]
    odd = []
    outcomes = Counter()
    for _ in range(CASES):
        path, body = rng.choice(targets)
        status, _, answer = request("POST", path, mutate(body))
        outcomes[status if status != 400 else answer.split(";")[0].split("Code: ")[-1]] += 1
        if status in (200, 201):
            # Something valid came out: undo it so the next cases meet the same state.
            name = json.loads(answer).get("result", {}).get("connection_name") or \
                json.loads(answer).get("result", {}).get("connectionName")
            if path != credentials_path(CONN) and name:
                request("DELETE", f"{CONFIGS}/{name}")
        elif status not in (400, 404, 413) or not ENVELOPE.fullmatch(answer):
            odd.append((status, answer[:200]))
    print(f"# outcomes: {dict(outcomes.most_common())}")
    check(f"{CASES} mutated bodies: only successes and catalog errors", not odd, odd[:5])


def fuzz_sql(title, statement, success, undo=None, role=None):
    """Run statement(i) for i below CASES in one session (as role): each
    answer a success (matching the pattern) or a catalog error."""
    session = sql_session()
    odd = []
    outcomes = Counter()
    if role:
        sql_run(session, f"SET ROLE {role}")
    for i in range(CASES):
        out = sql_run(session, statement(i))
        kind = outcome(out, success)
        outcomes[kind] += 1
        if kind == "success" and undo:
            sql_run(session, undo(out))
        elif kind == "other":
            odd.append(out[:200])
    alive = session.poll() is None
    session.stdin.close()
    session.wait()
    print(f"# outcomes: {dict(outcomes.most_common())}")
    check(f"{CASES} {title}: only successes and catalog errors", alive and not odd, odd[:5])


def sql_documents():
    """Random JSON documents to dbx_create_database_config: a success or a catalog error."""
    def document(i):
        value = random_json() if rng.random() < 0.7 else valid_config(f"fuzz-sql-{i}")
        if isinstance(value, dict) and rng.random() < 0.5:
            value = dict(valid_config(f"fuzz-sql-{i}"), **{k: v for k, v in value.items() if rng.random() < 0.5})
        return (f"SELECT dbx_oauth.dbx_create_database_config('{TENANT}', {lit(json.dumps(value))}::json)"
                "->'result'->>'connection_name'")

    fuzz_sql("random documents", document, r"[A-Za-z0-9][A-Za-z0-9._-]{0,127}",
             undo=lambda name: f"SELECT dbx_oauth.dbx_delete_database_config('{TENANT}', {lit(name)})")


def sql_arguments():
    """Random strings for every argument of dbx_store_oauth_credentials: a success or a catalog error."""
    def arguments(_):
        args = [random_string() if rng.random() < 0.3 else TENANT, random_string() if rng.random() < 0.3 else CONN,
                random_string() if rng.random() < 0.5 else "fuzz-client",
                random_string() if rng.random() < 0.5 else "fuzz-secret"]
        return "SELECT dbx_oauth.dbx_store_oauth_credentials(" + ", ".join(map(lit, args)) + ")->'data'->>'status'"

    fuzz_sql("random argument sets, by a writer granted one tenant", arguments, "success", role="fuzz_writer")


def aftermath():
    """The server is up and every secret the run stored opens."""
    done = subprocess.run(["psql", "-X", "-At", "-c", "SELECT string_agg(DISTINCT status, ',') FROM dbx_oauth.dbx_check_credentials() "
                           f"WHERE tenant_id = '{TENANT}' AND connection_name = '{CONN}'"], capture_output=True, text=True)
    check("the secret the run stored opens", done.stdout.strip() == "ok", done.stdout + done.stderr)
    subprocess.run(["psql", "-X", "-q", "-c", f"SELECT dbx_oauth.dbx_revoke_tenant('fuzz_writer', '{TENANT}')",
                    "-c", "DROP ROLE fuzz_writer"], check=True, capture_output=True)
    status, _, _ = request("DELETE", f"{CONFIGS}/{CONN}")
    check("and the fuzz config goes", status == 200, status)


if __name__ == "__main__":
    run((setup, http_bodies, sql_documents, sql_arguments, aftermath))
