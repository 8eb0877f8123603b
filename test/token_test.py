#!/usr/bin/env python3
"""Token suite: dbx_get_access_token and the connection test against the
Databricks stand-in (test/databricks_standin.py), through SQL and through
the /test route.  Runs against a stack started by test/http.sh, with
DBX_STANDIN_URL pointing at the stand-in.

Every case states the exact answer it expects; request counts come from the
stand-in, so "no request" and "exactly one request" are checked, not
guessed.  Run by test/http.sh."""
import http.client
import json
import os
import re
import subprocess
import time
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from urllib.parse import urlparse

from suite import check, run

STANDIN = os.environ["DBX_STANDIN_URL"]
BASE = urlparse(os.environ["DBX_BASE_URL"])
STACK_DIR = os.environ["DBX_STACK_DIR"]
TENANT = "tokenTenant01"
SECRET = "standin-secret"

seen_codes = set()



def standin(path, body=None):
    request = urllib.request.Request(STANDIN + path, data=json.dumps(body).encode() if body is not None else None,
                                     method="POST" if body is not None else "GET")
    with urllib.request.urlopen(request, timeout=10) as response:
        return json.loads(response.read())


def token_requests():
    return standin("/control/stats")["token_requests"]


def sql(query, settings=(), role=None, database=None):
    """Run one query in a new session; returns (stdout, error message or None, sqlstate or None)."""
    script = "".join(f"SET {s};\n" for s in settings)
    if role:
        script += f"SET ROLE {role};\n"
    script += "\\set VERBOSITY verbose\n" + query + ";\n"
    done = subprocess.run(["psql", "-X", "-At", "-q", "-v", "ON_ERROR_STOP=1"] + (["-d", database] if database else []),
                          input=script, capture_output=True, text=True)
    match = re.search(r"ERROR:  ([0-9A-Z]{5}): (.*)", done.stderr)
    if match:
        code = re.match(r"Code: ([A-Z_]+);", match.group(2))
        if code:
            seen_codes.add(code.group(1))
        return done.stdout.strip(), match.group(2), match.group(1)
    return done.stdout.strip(), None, None


def get_token(connection="c1", settings=(), role=None):
    return sql(f"SELECT dbx_oauth.dbx_get_access_token('{TENANT}', '{connection}')", settings, role)


def expect_error(name, result, sqlstate, message):
    _, error, state = result
    check(name, error == message and state == sqlstate, f"\n    got      {state}: {error}\n    expected {sqlstate}: {message}")


TOKEN_BODY = r'\{"accessToken": "(standin-token-\d+)", "tokenType": "Bearer", "expiresAt": (\d{13})\}'


def expect_token(name, result, same_as=None, other_than=None):
    """Check a token answer; with same_as / other_than, which token it must (not) be."""
    out, error, _ = result
    match = re.fullmatch(TOKEN_BODY, out)
    token = match.group(1) if match and error is None else None
    check(name, token is not None and (same_as is None or token == same_as) and
          (other_than is None or token != other_than), f"got {out!r} {error!r}")
    return token


def expires_at_of(result):
    match = re.fullmatch(TOKEN_BODY, result[0])
    return int(match.group(2)) if match else 0


def count_since(name, before, expected):
    got = token_requests() - before
    check(name, got == expected, f"(token requests: {got}, expected {expected})")


def create_connection(name, warehouse="abc123def456", url=None):
    sql(f"SELECT dbx_oauth.dbx_delete_database_config('{TENANT}', '{name}') "
        f"WHERE EXISTS (SELECT FROM dbx_oauth.database_configs WHERE connection_name = '{name}')")
    body = json.dumps({"connection_name": name, "database_type": "DATABRICKS", "databricks_config": {
        "workspace": {"workspace_url": url or STANDIN}, "sql_warehouse": {"warehouse_id": warehouse},
        "share_info": {"shared_catalog_name": "s"}, "auth_type": "OAUTH_M2M"}})
    out, error, _ = sql(f"SELECT dbx_oauth.dbx_create_database_config('{TENANT}', '{body}')")
    assert error is None, error


def store(name="c1", secret=SECRET, client_id="standin-client"):
    out, error, _ = sql(f"SELECT dbx_oauth.dbx_store_oauth_credentials('{TENANT}', '{name}', '{client_id}', '{secret}')")
    assert error is None, error


class Session:
    """One psql session kept open, for interleaving transactions: send() a
    statement without waiting, wait() for what it printed (errors included)."""
    marker = "-- done --"

    def __init__(self, name="dbx_oauth_test"):
        self.psql = subprocess.Popen(["psql", "-X", "-At", "-q", "-v", "VERBOSITY=verbose"], text=True,
                                     stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                     env=dict(os.environ, PGAPPNAME=name))

    def send(self, query):
        self.psql.stdin.write(f"{query};\n\\echo '{self.marker}'\n")
        self.psql.stdin.flush()

    def wait(self):
        lines = []
        for line in self.psql.stdout:
            if line.rstrip("\n") == self.marker:
                return "\n".join(lines)
            lines.append(line.rstrip("\n"))
        return "\n".join(lines)

    def run(self, query):
        self.send(query)
        return self.wait()

    def close(self):
        self.psql.stdin.close()
        self.psql.wait()


def wait_until(query, expected, seconds=15, database=None):
    """Poll a query until it prints the expected value (or time runs out); returns the last value."""
    deadline = time.time() + seconds
    while True:
        out = sql(query, database=database)[0]
        if out == expected or time.time() > deadline:
            return out
        time.sleep(0.2)


def parallel(count, function):
    with ThreadPoolExecutor(max_workers=count) as pool:
        return list(pool.map(lambda _: function(), range(count)))


def message(code, params, text):
    return f"Code: {code}; Message parameters: [{', '.join(params)}]. {text}"


REJECTED = message("DS_DATABRICKS_OAUTH_AUTHENTICATION_FAILED", ["c1", TENANT],
                   f"OAuth authentication failed. Databricks rejected the client ID and secret of connection c1 of tenant {TENANT}: they are invalid or expired.")


def test_cache():
    """A token is reused, replaced on re-store, kept on a rolled-back store, gone with its config."""
    standin("/control/reset", {})
    create_connection("c1")
    store()
    before = token_requests()
    first = get_token()
    token = expect_token("the first call mints a token", first)
    check("it expires in an hour", abs(expires_at_of(first) - (time.time() + 3600) * 1000) < 60000, first)
    last = standin("/control/stats")["last_token_request"]
    check("the request is the M2M client-credentials grant with HTTP Basic",
          last == {"content_type": "application/x-www-form-urlencoded", "accept": "application/json",
                   "form": {"grant_type": ["client_credentials"], "scope": ["all-apis"]}, "authorization_ok": True}, last)
    expect_token("the second call gets the same token", get_token(), same_as=token)
    count_since("and makes no request", before, 1)
    sql(f"BEGIN; SELECT dbx_oauth.dbx_store_oauth_credentials('{TENANT}', 'c1', 'standin-client', '{SECRET}'); ROLLBACK")
    expect_token("a store that rolled back changes nothing", get_token(), same_as=token)
    store()
    token = expect_token("storing the credentials again replaces the token", get_token(), other_than=token)
    count_since("with one new request", before, 2)
    sql(f"SELECT dbx_oauth.dbx_delete_database_config('{TENANT}', 'c1')")
    expect_error("deleting the config forgets its token", get_token(), "42704",
                 message("DS_CONNECTION_NOT_FOUND", ["c1", TENANT], f"Connection not found. No connection named c1 exists for tenant {TENANT}."))
    create_connection("c1")
    expect_error("a new config has no credentials yet", get_token(), "55000",
                 message("DS_DATABRICKS_OAUTH_CREDENTIALS_NOT_STORED", ["c1", TENANT],
                         f"No OAuth credentials stored. Connection c1 of tenant {TENANT} has no Databricks M2M OAuth credentials yet."))
    store()
    expect_token("and then a token of its own", get_token(), other_than=token)


def test_single_flight():
    """Many callers finding the token expired cause exactly one request."""
    store()
    old = expect_token("a one-hour token", get_token())
    standin("/control/config", {"delay": 1})
    before = token_requests()
    expired = ["dbx_oauth.test_clock_offset = '3570s'"]      # 30 s before expiry: expired
    results = parallel(8, lambda: get_token(settings=expired))
    tokens = [json.loads(r[0])["accessToken"] if r[1] is None else r[1] for r in results]
    check("8 concurrent callers all get the same new token", len(set(tokens)) == 1 and tokens[0] != old, tokens)
    count_since("with exactly one request", before, 1)
    standin("/control/config", {"delay": 0})


def test_early_refresh():
    """Within min(TTL/2, 20 min) of expiry one caller refreshes, the others use the valid token."""
    store()
    cached = expect_token("a fresh one-hour token", get_token())
    standin("/control/config", {"delay": 4})      # long enough for all 6 sessions to start
    before = token_requests()
    late = ["dbx_oauth.test_clock_offset = '3000s'"]      # 10 min before expiry: in the window
    results = parallel(6, lambda: get_token(settings=late))
    tokens = sorted(json.loads(r[0])["accessToken"] if r[1] is None else r[1] for r in results)
    fresh = [t for t in tokens if t != cached]
    check("5 callers get the cached token, the refresher a new one",
          tokens.count(cached) == 5 and len(fresh) == 1, tokens)
    count_since("exactly one refresh", before, 1)
    standin("/control/config", {"delay": 0})
    if fresh:
        expect_token("then everyone gets the new token", get_token(settings=late), same_as=fresh[0])

    store()
    cached = expect_token("another fresh token", get_token())
    before = token_requests()
    standin("/control/script", {"token": [{"status": 400, "body": {"error": "invalid_request"}}]})
    expect_token("a failed early refresh still answers the valid token", get_token(settings=late), same_as=cached)
    expect_token("for a minute no refresh is tried", get_token(settings=late), same_as=cached)
    count_since("(one request so far)", before, 1)
    refreshed = expect_token("after a minute the refresh is tried again",
                             get_token(settings=["dbx_oauth.test_clock_offset = '3070s'"]), other_than=cached)
    count_since("(two requests)", before, 2)
    expect_token("40 s before expiry a token is not used any more",
                 get_token(settings=["dbx_oauth.test_clock_offset = '7200s'"]), other_than=refreshed)


def test_failures():
    """Each failure has its catalog error; only 429, 502, 503, 504 and network errors are retried."""
    store(secret="revoked-secret")
    before = token_requests()
    expect_error("a revoked secret: store the credentials again", get_token(), "28000", REJECTED)
    count_since("not retried", before, 1)
    store()
    cases = [
        ("the errorCode variant of invalid_client", {"status": 400, "body": {"errorCode": "invalid_client", "errorSummary": "bad"}},
         "28000", REJECTED, 1),
        ("another 4xx", {"status": 400, "body": {"error": "invalid_scope"}}, "08004",
         message("DS_DATABRICKS_TOKEN_REQUEST_REJECTED", ["400"], "Databricks refused the token request. The token endpoint answered HTTP 400."), 1),
        ("a 500", {"status": 500, "raw": "oops"}, "08004",
         message("DS_DATABRICKS_TOKEN_REQUEST_REJECTED", ["500"], "Databricks refused the token request. The token endpoint answered HTTP 500."), 1),
        ("malformed JSON", {"status": 200, "raw": '{"access_token": "x", '}, "08P01",
         message("DS_DATABRICKS_RESPONSE_INVALID", [], "Invalid answer from Databricks. The token endpoint's answer is not a valid token response."), 1),
        ("no access_token", {"status": 200, "body": {"token_type": "Bearer", "expires_in": 3600}}, "08P01",
         message("DS_DATABRICKS_RESPONSE_INVALID", [], "Invalid answer from Databricks. The token endpoint's answer is not a valid token response."), 1),
    ]
    for name, answer, state, text, requests in cases:
        store()
        standin("/control/script", {"token": [answer]})
        before = token_requests()
        expect_error(name, get_token(), state, text)
        count_since(f"{name}: {requests} request", before, requests)

    store()
    standin("/control/script", {"token": [{"status": 429, "headers": {"Retry-After": "1"}, "body": {}}]})
    before = token_requests()
    started = time.time()
    expect_token("429 with Retry-After: waits, retries, succeeds", get_token())
    check("it waited as Retry-After said", time.time() - started >= 1.0, time.time() - started)
    count_since("two requests", before, 2)

    store()
    standin("/control/script", {"token": [{"status": 503, "body": {}}] * 20})
    before = token_requests()
    expect_error("503 until the budget runs out", get_token(settings=["dbx_oauth.retry_budget = '2s'"]), "08006",
                 message("DS_DATABRICKS_UNAVAILABLE", ["503"], "Databricks is unavailable. The workspace answered HTTP 503 until dbx_oauth.retry_budget ran out."))
    retried = token_requests() - before
    check("was retried within the budget", 2 <= retried <= 6, retried)

    standin("/control/reset", {})
    store()
    standin("/control/script", {"token": [{"status": 429, "headers": {"Retry-After": "0"}, "body": {}}] * 50})
    before = token_requests()
    expect_error("429 with Retry-After: 0 until the budget runs out", get_token(settings=["dbx_oauth.retry_budget = '2s'"]),
                 "08006", message("DS_DATABRICKS_UNAVAILABLE", ["429"], "Databricks is unavailable. The workspace answered HTTP 429 until dbx_oauth.retry_budget ran out."))
    count_since("Retry-After cannot shorten the backoff: requests at 0, 0.5 and 1.5 s", before, 3)
    standin("/control/reset", {})
    standin("/control/config", {"ttl": 3600})

    store()
    standin("/control/config", {"delay": 3})
    expect_error("a reply slower than the request timeout, until the budget runs out",
                 get_token(settings=["dbx_oauth.request_timeout = '500ms'", "dbx_oauth.retry_budget = '1s'"]), "08001",
                 message("DS_DATABRICKS_UNREACHABLE", [], "Databricks cannot be reached. The workspace did not answer within dbx_oauth.retry_budget."))
    standin("/control/config", {"delay": 30})
    started = time.time()
    _, error, state = get_token(settings=["statement_timeout = '1s'"])
    elapsed = time.time() - started
    check("statement_timeout interrupts a 30 s request (within a second of it)", state == "57014" and elapsed < 8,
          f"{state} {error} {elapsed:.1f}s")
    standin("/control/config", {"delay": 0})

    store()
    standin("/control/script", {"token": [{"status": 400, "body": {"error": "invalid_request"}, "delay": 1.5}]})
    before = token_requests()
    results = parallel(4, get_token)
    check("callers waiting on a failed mint get its error",
          [r[2] for r in results] == ["08004"] * 4, [(r[2], r[1]) for r in results])
    count_since("from one request", before, 1)


def test_egress():
    """Only https (http only when allowed for tests) and only allowed hosts."""
    store()
    before = token_requests()
    expect_error("a host not in token_allowed_hosts", get_token(settings=["dbx_oauth.token_allowed_hosts = '*.cloud.databricks.com'"]),
                 "22023", message("DS_DATABRICKS_HOST_NOT_ALLOWED", ["127.0.0.1"],
                                  "Databricks host not allowed. The workspace host 127.0.0.1 is not one that dbx_oauth.token_allowed_hosts lets tokens be requested from."))
    expect_error("http without allow_insecure_http", get_token(settings=["dbx_oauth.allow_insecure_http = off"]), "22023",
                 message("DS_DATABRICKS_WORKSPACE_URL_INVALID", [], "Invalid Databricks workspace URL. The workspace URL must be an https URL of a workspace host, such as https://dbc-a1b2c3d4-e5f6.cloud.databricks.com, without user name, path, query or fragment."))
    count_since("no request was sent", before, 0)
    _, error, state = sql("SET dbx_oauth.token_allowed_hosts = '*.example.com'", role="dbx_oauth_token_user")
    check("users cannot change the allowed hosts", state == "42501", f"{state} {error}")


def test_privileges():
    """Only token users get tokens."""
    out, error, state = get_token(role="dbx_oauth_writer")
    check("a writer gets no token", state == "42501" and "permission denied for function dbx_get_access_token" in error, error)
    _, error, state = get_token(role="dbx_oauth_token_user")
    check("a token user not granted the tenant gets none", state == "42501" and "DS_ACCESS_DENIED" in (error or ""), error)
    sql(f"SELECT dbx_oauth.dbx_grant_tenant('dbx_oauth_token_user', '{TENANT}')")
    token = expect_token("a token user granted the tenant does", get_token(role="dbx_oauth_token_user"))
    expect_token("the same token as the superuser's", get_token(), same_as=token)


def test_connection_test():
    """The connection test mints a fresh token, checks the warehouse, and makes the config ACTIVE."""
    standin("/control/reset", {})
    audited_before = sql("SELECT coalesce(max(id), 0) FROM dbx_oauth.audit_log")[0]
    create_connection("c1")
    store()
    expect_token("a cached token", get_token())
    before = token_requests()
    out, error, _ = sql(f"SELECT dbx_oauth.dbx_test_connection('{TENANT}', 'c1')")
    check("success", out == '{"status": "success", "data": {"connected": true, "databaseType": "DATABRICKS", "message": "Connection successful"}}', out or error)
    count_since("with a fresh token", before, 1)
    check("the config is ACTIVE", sql(f"SELECT status FROM dbx_oauth.database_configs WHERE connection_name = 'c1'")[0] == "ACTIVE")

    create_connection("c2", warehouse="no-such-warehouse")
    store("c2")
    out, _, _ = sql(f"SELECT dbx_oauth.dbx_test_connection('{TENANT}', 'c2')")
    check("a missing warehouse", out == '{"status": "success", "data": {"connected": false, "databaseType": "DATABRICKS", "message": "Connection failed: SQL warehouse no-such-warehouse does not exist in the workspace"}}', out)
    standin("/control/config", {"warehouses": {"abc123def456": 200, "locked": 403}})
    create_connection("c3", warehouse="locked")
    store("c3")
    out, _, _ = sql(f"SELECT dbx_oauth.dbx_test_connection('{TENANT}', 'c3')")
    check("a warehouse the service principal may not use", out == '{"status": "success", "data": {"connected": false, "databaseType": "DATABRICKS", "message": "Connection failed: the service principal may not use SQL warehouse locked; it needs the CAN USE permission"}}', out)
    store("c3", secret="revoked-secret")
    out, _, _ = sql(f"SELECT dbx_oauth.dbx_test_connection('{TENANT}', 'c3')")
    check("bad credentials: store them again", out == '{"status": "success", "data": {"connected": false, "databaseType": "DATABRICKS", "message": "Connection failed: OAuth authentication failed. Databricks rejected the client ID and secret of connection c3 of tenant ' + TENANT + ': they are invalid or expired. Store valid credentials of the service principal again."}}', out)
    check("failures leave the config PENDING", sql("SELECT status FROM dbx_oauth.database_configs WHERE connection_name = 'c3'")[0] == "PENDING")
    expect_error("an unknown connection is an error, not a test result", sql(f"SELECT dbx_oauth.dbx_test_connection('{TENANT}', 'nope')"),
                 "42704", message("DS_CONNECTION_NOT_FOUND", ["nope", TENANT], f"Connection not found. No connection named nope exists for tenant {TENANT}."))
    out = sql("SELECT string_agg(concat_ws(' ', connection_name, outcome, detail), ', ' ORDER BY id) FROM dbx_oauth.audit_log"
              f" WHERE id > {audited_before} AND action = 'connection_tested'")[0]
    check("every test is in the audit trail", out == "c1 ok, c2 failed SQL warehouse no-such-warehouse does not exist in the workspace, "
          "c3 failed the service principal may not use SQL warehouse locked; it needs the CAN USE permission, "
          "c3 failed DS_DATABRICKS_OAUTH_AUTHENTICATION_FAILED", out)

    # Deleted after the test's snapshot was taken, before its token request.
    create_connection("gone")
    store("gone")
    tester = Session()
    tester.run("BEGIN ISOLATION LEVEL REPEATABLE READ; SELECT 1")
    sql(f"SELECT dbx_oauth.dbx_delete_database_config('{TENANT}', 'gone')")
    out = tester.run(f"SELECT dbx_oauth.dbx_test_connection('{TENANT}', 'gone')")
    check("a config deleted meanwhile is an error too", out.startswith("ERROR:  42704: Code: DS_CONNECTION_NOT_FOUND; Message parameters: [gone, "), out)
    tester.run("ROLLBACK")
    tester.close()

    # Deleted while the warehouse is checked, and created again under the same name.
    create_connection("gone")
    store("gone")
    standin("/control/script", {"warehouse": [{"status": 200, "body": {"id": "abc123def456"}, "delay": 2}]})
    with ThreadPoolExecutor(max_workers=1) as pool:
        testing = pool.submit(sql, f"SELECT dbx_oauth.dbx_test_connection('{TENANT}', 'gone')")
        time.sleep(1)
        create_connection("gone", warehouse="no-such-warehouse")
        _, error, state = testing.result()
    check("a config deleted during the warehouse check is an error",
          state == "42704" and (error or "").startswith("Code: DS_CONNECTION_NOT_FOUND; Message parameters: [gone, "), error)
    check("and the new config of that name stays PENDING",
          sql(f"SELECT status FROM dbx_oauth.database_configs WHERE connection_name = 'gone'")[0] == "PENDING")

    before = token_requests()
    expect_error("a read-only transaction cannot test a connection (success is written)",
                 sql(f"SELECT dbx_oauth.dbx_test_connection('{TENANT}', 'c1')", settings=["default_transaction_read_only = on"]),
                 "25006", "cannot execute dbx_test_connection() in a read-only transaction")
    count_since("and sends no request", before, 0)


def jwt(claims):
    return subprocess.run(["python3", os.path.join(os.path.dirname(__file__), "..", "scripts", "jwt.py"),
                           os.environ["DBX_JWT_SECRET_FILE"], json.dumps(claims)],
                          capture_output=True, text=True, check=True).stdout.strip()


def route(method, path, token, timeout=30):
    """A request through nginx; returns (status, content type, body)."""
    conn = http.client.HTTPConnection(BASE.hostname, BASE.port, timeout=timeout)
    conn.request(method, path, headers={"Authorization": f"Bearer {token}"})
    response = conn.getresponse()
    body = response.read().decode()
    conn.close()
    return response.status, response.getheader("Content-Type"), body


def post_test(tenant, name, token, timeout=30):
    """POST .../{name}/test through nginx; returns (status, body), checking the content type."""
    status, content_type, body = route("POST", f"/reltio/api/tenants/{tenant}/interactions/database-configs/{name}/test",
                                       token, timeout)
    return status, body if content_type == "application/json; charset=utf-8" else f"content type {content_type}: {body}"


def test_route():
    """POST .../{connectionName}/test through nginx: always 200 with the result."""
    token = jwt({"role": "dbx_oauth_api", "tenants": [TENANT]})
    for name, expected in [("c1", '{"status": "success", "data": {"connected": true, "databaseType": "DATABRICKS", "message": "Connection successful"}}'),
                           ("c2", '{"status": "success", "data": {"connected": false, "databaseType": "DATABRICKS", "message": "Connection failed: SQL warehouse no-such-warehouse does not exist in the workspace"}}')]:
        status, body = post_test(TENANT, name, token)
        check(f"POST /{name}/test", (status, body) == (200, expected), f"{status} {body}")


def test_route_limits():
    """Connection tests over REST take at most 2 of PostgREST's pooled connections per tenant and 4 in all,
    counted where they run: a client that leaves does not free its test's connection."""
    tenants = [TENANT, "limitTenantB", "limitTenantC"]
    for tenant in tenants:
        body = json.dumps({"connection_name": "lim", "database_type": "DATABRICKS", "databricks_config": {
            "workspace": {"workspace_url": STANDIN}, "sql_warehouse": {"warehouse_id": "abc123def456"},
            "share_info": {"shared_catalog_name": "s"}, "auth_type": "OAUTH_M2M"}})
        sql(f"SELECT dbx_oauth.dbx_delete_database_config('{tenant}', 'lim') "
            f"WHERE EXISTS (SELECT FROM dbx_oauth.database_configs WHERE tenant_id = '{tenant}' AND connection_name = 'lim')")
        assert sql(f"SELECT dbx_oauth.dbx_create_database_config('{tenant}', '{body}')")[1] is None
        assert sql(f"SELECT dbx_oauth.dbx_store_oauth_credentials('{tenant}', 'lim', 'standin-client', '{SECRET}')")[1] is None
    token = jwt({"role": "dbx_oauth_api", "tenants": tenants})
    standin("/control/config", {"delay": 3})
    busy = "SELECT count(*) FROM pg_stat_activity WHERE query LIKE '%test_connection%' AND state = 'active' AND pid <> pg_backend_pid()"
    connected = '{"status": "success", "data": {"connected": true, "databaseType": "DATABRICKS", "message": "Connection successful"}}'
    unavailable = json.dumps({"successful": False, "error": message("DS_SERVICE_UNAVAILABLE", [], "Service unavailable. The request could not be completed now; try again later.")})
    try:
        with ThreadPoolExecutor(max_workers=4) as pool:
            slow = [pool.submit(post_test, tenant, "lim", token) for tenant in (TENANT, TENANT, tenants[1], tenants[1])]
            check("four tests run at once", wait_until(busy, "4") == "4")
            check("a third test for one tenant: 503 at once", post_test(TENANT, "lim", token) == (503, unavailable))
            check("another spelling of the tenant counts as the same tenant",
                  post_test("%" + TENANT[0].encode().hex() + TENANT[1:], "lim", token) == (503, unavailable))
            check("a fifth test in all: 503 at once", post_test(tenants[2], "lim", token) == (503, unavailable))
            status, _, _ = route("GET", f"/reltio/api/tenants/{tenants[2]}/interactions/database-configs", token)
            check("the other routes still answer", status == 200, status)
            check("the four tests that ran answer", [f.result() for f in slow] == [(200, connected)] * 4, [f.result() for f in slow])
        sql(f"SELECT dbx_oauth.dbx_store_oauth_credentials('{TENANT}', 'lim', 'standin-client', '{SECRET}')")
        with ThreadPoolExecutor(max_workers=2) as pool:
            left = [pool.submit(lambda: post_test(TENANT, "lim", token, timeout=0.5)) for _ in range(2)]
            for future in left:
                try:
                    future.result()
                except (TimeoutError, OSError):
                    pass
        check("two tests whose clients left still run", wait_until(busy, "2") == "2")
        check("and still count: a third for the tenant gets 503", post_test(TENANT, "lim", token) == (503, unavailable))
        check("until they end", wait_until(busy, "0") == "0")
    finally:
        standin("/control/config", {"delay": 0})
    check("then tests run again", post_test(TENANT, "lim", token) == (200, connected))


def test_shared_budget():
    """A connection test's token request and warehouse check share one retry budget (5 s here)."""
    standin("/control/reset", {})
    create_connection("budget")
    store("budget")
    standin("/control/script", {"token": [{"status": 503, "body": {}, "delay": 1.5}] * 2,
                                "warehouse": [{"status": 503, "body": {}}] * 10})
    started = time.time()
    out, error, _ = sql(f"SELECT dbx_oauth.dbx_test_connection('{TENANT}', 'budget')")
    took = time.time() - started
    check("a token late in the budget, then a warehouse that answers 503",
          out == '{"status": "success", "data": {"connected": false, "databaseType": "DATABRICKS", "message": "Connection failed: the SQL warehouses API answered HTTP 503"}}', out or error)
    stats = standin("/control/stats")
    check("the warehouse check retried only in what was left of the budget",
          stats["token_requests"] == 3 and stats["warehouse_requests"] <= 2 and took < 6.5,
          f"{stats['token_requests']} token and {stats['warehouse_requests']} warehouse requests in {took:.1f} s")
    standin("/control/reset", {})


def test_slow_route():
    """A test slower than nginx's default read timeout (60 s) still gets its answer."""
    sql("ALTER SYSTEM SET dbx_oauth.request_timeout = '90s'")
    sql("SELECT pg_reload_conf()")
    time.sleep(0.5)
    create_connection("slow")
    store("slow")
    standin("/control/config", {"delay": 62})
    try:
        token = jwt({"role": "dbx_oauth_api", "tenants": [TENANT]})
        started = time.time()
        status, body = post_test(TENANT, "slow", token, timeout=120)
        check("POST /slow/test after 62 s: 200, connected", (status, body) == (200, '{"status": "success", "data": {"connected": true, "databaseType": "DATABRICKS", "message": "Connection successful"}}')
              and time.time() - started >= 62, f"{status} {body} after {time.time() - started:.1f} s")
    finally:
        standin("/control/config", {"delay": 0})
        sql("ALTER SYSTEM RESET dbx_oauth.request_timeout")
        sql("SELECT pg_reload_conf()")


def test_rotation():
    """Re-encryption seals the cached tokens anew too: the old key can go without a new request."""
    standin("/control/reset", {})
    create_connection("c1")
    store()
    token = expect_token("a cached token", get_token())
    key_file = os.path.join(STACK_DIR, "dbx_oauth.key")
    new_key = "2:" + os.urandom(32).hex()
    with open(key_file, "a") as f:
        f.write(new_key + "\n")
    reader = Session()
    expect_token("a session that read the token", (reader.run(get_token_sql()), None, None), same_as=token)
    done = subprocess.run(["psql", "-X", "-c", "CALL dbx_oauth.dbx_reencrypt_credentials()"], capture_output=True, text=True)
    expect_token("reads it again at once, sealed under the new key", (reader.run(get_token_sql()), None, None), same_as=token)
    reader.close()
    sealed_anew = re.search(r"(\d+) cached tokens sealed anew", done.stderr)
    check("cached tokens were sealed anew", sealed_anew and int(sealed_anew.group(1)) >= 1, done.stderr)
    with open(key_file, "w") as f:
        f.write(new_key + "\n")
    before = token_requests()
    expect_token("with only the new key, the cached token still serves", get_token(), same_as=token)
    count_since("without a request", before, 0)
    check("and the secret still opens", sql("SELECT string_agg(DISTINCT status || ' ' || key_version, ',') "
                                            "FROM dbx_oauth.dbx_check_credentials()")[0] == "ok 2")


def get_token_sql(connection="c1"):
    return f"SELECT dbx_oauth.dbx_get_access_token('{TENANT}', '{connection}')"


def test_committed_only():
    """Tokens come from committed credentials only, whatever the transaction sees."""
    standin("/control/reset", {})
    create_connection("c1")
    store(secret="revoked-secret")            # committed: credentials Databricks rejects
    before = token_requests()
    writer = Session()
    out = writer.run(f"BEGIN; SELECT dbx_oauth.dbx_store_oauth_credentials('{TENANT}', 'c1', 'standin-client', '{SECRET}') IS NOT NULL; "
                     f"SELECT dbx_oauth.dbx_test_connection('{TENANT}', 'c1')->'data'->>'connected'; " + get_token_sql())
    check("a transaction that stored good credentials gets a token with them", re.fullmatch("t\ntrue\n" + TOKEN_BODY, out) is not None, out)
    expect_error("while every other session still gets the committed credentials' answer", get_token(), "28000", REJECTED)
    writer.run("ROLLBACK")
    expect_error("and after the rollback too: nothing was shared", get_token(), "28000", REJECTED)
    count_since("each of the four calls made its own request", before, 4)

    store()
    token = expect_token("a cached token", get_token())
    reader = Session()
    reader.run("BEGIN ISOLATION LEVEL REPEATABLE READ; SELECT 1")
    store(client_id="rotated-client", secret="rotated-secret")
    standin("/control/config", {"client_id": "rotated-client", "client_secret": "rotated-secret"})
    before = token_requests()
    out = reader.run(get_token_sql())
    match = re.fullmatch(TOKEN_BODY, out)
    check("a repeatable-read transaction older than a store mints with the new credentials",
          match is not None and match.group(1) != token and standin("/control/stats")["last_token_request"]["authorization_ok"], out)
    reader.run("COMMIT")
    expect_token("and that token is the one shared", get_token(), same_as=match.group(1) if match else "?")
    count_since("one request", before, 1)

    reader.run("BEGIN ISOLATION LEVEL REPEATABLE READ; SELECT 1")
    sql(f"SELECT dbx_oauth.dbx_delete_database_config('{TENANT}', 'c1')")
    out = reader.run(get_token_sql())
    check("a repeatable-read transaction older than a delete gets no token", "DS_CONNECTION_NOT_FOUND" in out, out)
    reader.run("COMMIT")
    create_connection("c1")
    expect_error("and a config made anew has none either", get_token(), "55000",
                 message("DS_DATABRICKS_OAUTH_CREDENTIALS_NOT_STORED", ["c1", TENANT],
                         f"No OAuth credentials stored. Connection c1 of tenant {TENANT} has no Databricks M2M OAuth credentials yet."))
    standin("/control/reset", {})
    store()
    token = expect_token("a cached token again", get_token())
    out = writer.run(f"BEGIN; SELECT dbx_oauth.dbx_store_oauth_credentials('{TENANT}', 'c1', 'standin-client', '{SECRET}') IS NOT NULL; "
                     + get_token_sql())
    match = re.fullmatch("t\n" + TOKEN_BODY, out)
    check("a transaction that stored credentials does not get the shared token", match is not None and match.group(1) != token, out)
    writer.run("ROLLBACK")
    expect_token("which the others still get after its rollback", get_token(), same_as=token)
    out = writer.run(f"BEGIN; SELECT dbx_oauth.dbx_delete_database_config('{TENANT}', 'c1') IS NOT NULL; " + get_token_sql())
    check("a transaction that deleted the config gets no token", "DS_CONNECTION_NOT_FOUND" in out, out)
    writer.run("ROLLBACK")
    expect_token("and the others keep theirs", get_token(), same_as=token)
    writer.close()
    reader.close()
    standin("/control/reset", {})


def test_mint_failures_and_cancels():
    """A failed fresh mint keeps the cached token; a cancelled mint hands over to its waiters."""
    store()
    token = expect_token("a cached token", get_token())
    standin("/control/script", {"token": [{"status": 400, "body": {"error": "invalid_request"}}]})
    out = sql(f"SELECT dbx_oauth.dbx_test_connection('{TENANT}', 'c1')->'data'->>'message'")[0]
    check("a connection test whose mint fails", out == "Connection failed: Databricks refused the token request. The token endpoint answered HTTP 400. The server log has Databricks' error.", out)
    expect_token("leaves the cached token in use", get_token(), same_as=token)

    store()
    standin("/control/script", {"token": [{"status": 418, "body": {}}]})
    expect_error("a failed mint", get_token(), "08004",
                 message("DS_DATABRICKS_TOKEN_REQUEST_REJECTED", ["418"], "Databricks refused the token request. The token endpoint answered HTTP 418."))
    standin("/control/config", {"delay": 3})
    minter, waiter = Session("dbx_minter"), Session("dbx_waiter")
    minter.send(get_token_sql())
    wait_until("SELECT count(*) FROM pg_stat_activity WHERE application_name = 'dbx_minter' AND state = 'active'", "1")
    waiter.send(get_token_sql())
    time.sleep(0.5)
    sql("SELECT pg_cancel_backend(pid) FROM pg_stat_activity WHERE application_name = 'dbx_minter'")
    out = minter.wait()
    check("the minter is cancelled", "57014" in out, out)
    out = waiter.wait()
    check("its waiter mints for itself instead of taking an older error", re.fullmatch(TOKEN_BODY, out) is not None, out)
    standin("/control/config", {"delay": 0})
    minter.close()
    waiter.close()


def test_short_lived_tokens():
    """A token of 30 s is cached too (its margin is a quarter of its life, not 40 s)."""
    standin("/control/config", {"ttl": 30})
    store()
    before = token_requests()
    first = get_token()
    token = expect_token("a 30 s token", first)
    check("it expires in 30 s", abs(expires_at_of(first) - (time.time() + 30) * 1000) < 5000, first)
    expect_token("is reused", get_token(), same_as=token)
    count_since("one request", before, 1)
    expect_token("until 7.5 s before its expiry", get_token(settings=["dbx_oauth.test_clock_offset = '23s'"]), other_than=token)
    standin("/control/config", {"ttl": 3600})


def key_versions():
    with open(os.path.join(STACK_DIR, "dbx_oauth.key")) as f:
        return [int(line.split(":")[0]) for line in f if line.strip() and not line.startswith("#")]


def test_rotation_races():
    """Re-encryption against a store sealed under an older key, and a key that leaves the file."""
    standin("/control/reset", {})
    for name in ("r1", "r2", "r3"):
        create_connection(name)
        store(name)
    key_file = os.path.join(STACK_DIR, "dbx_oauth.key")
    newest = max(key_versions())
    writer, rotation = Session(), Session("dbx_rotation")
    writer.run(f"BEGIN; SELECT dbx_oauth.dbx_store_oauth_credentials('{TENANT}', 'r1', 'standin-client', '{SECRET}') IS NOT NULL")
    with open(key_file, "a") as f:
        f.write(f"{newest + 1}:{os.urandom(32).hex()}\n")
    rotation.send("CALL dbx_oauth.dbx_reencrypt_credentials()")
    waiting = "SELECT count(*) FROM pg_stat_activity WHERE application_name = 'dbx_rotation' AND wait_event_type = 'Lock'"
    check("re-encryption waits for the store", wait_until(waiting, "1") == "1")
    writer.run("COMMIT")
    out = rotation.wait()
    check("and then re-encrypts what it stored, under the older key, too",
          re.search(rf"secrets sealed to key version {newest + 1}: \d+ re-encrypted, 0 failed", out) is not None, out)
    out = sql("SELECT string_agg(DISTINCT status || ' ' || key_version, ',') FROM dbx_oauth.dbx_check_credentials()")[0]
    check("every secret is under the newest key", out == f"ok {newest + 1}", out)

    with open(key_file) as f:
        kept = f.read()
    writer.run(f"BEGIN; SELECT FROM dbx_oauth.database_configs WHERE tenant_id = '{TENANT}' AND connection_name = 'r2' FOR UPDATE")
    with open(key_file, "a") as f:
        f.write(f"{newest + 2}:{os.urandom(32).hex()}\n")
    rotation.send("CALL dbx_oauth.dbx_reencrypt_credentials()")
    check("re-encryption waits for a locked row", wait_until(waiting, "1") == "1")
    with open(key_file, "w") as f:
        f.write(kept)
    writer.run("COMMIT")
    out = rotation.wait()
    check("a target key that leaves the key file meanwhile fails the batch",
          f"DS_ENCRYPTION_KEY_VERSION_MISSING; Message parameters: [{newest + 2}]" in out, out)
    out = sql("SELECT string_agg(DISTINCT status || ' ' || key_version, ',') FROM dbx_oauth.dbx_check_credentials()")[0]
    check("and nothing was sealed to it", out == f"ok {newest + 1}", out)
    writer.close()
    rotation.close()


def test_audit_writers():
    """Failures are audited in every database, read-only by default or not; idle writers free their queues."""
    databases = [f"dbx_audit_{i}" for i in range(1, 10)]
    sql("DO $$BEGIN CREATE ROLE dbx_audit_probe NOLOGIN IN ROLE dbx_oauth_token_user; "
        "EXCEPTION WHEN duplicate_object THEN NULL; END$$")
    for database in databases:
        sql(f"DROP DATABASE IF EXISTS {database} WITH (FORCE)")
        sql(f"CREATE DATABASE {database}")
        sql("SET client_min_messages = warning; CREATE EXTENSION dbx_oauth CASCADE", database=database)
    sql(f"ALTER DATABASE {databases[0]} SET default_transaction_read_only = on")
    writers = "SELECT count(*) FROM pg_stat_activity WHERE backend_type = 'dbx_oauth audit writer'"
    check("no audit writer is left running", wait_until(writers, "0") == "0")

    def deny(database):
        return sql(get_token_sql(), role="dbx_audit_probe", database=database)[2]

    audited = "SELECT count(*) FROM dbx_oauth.audit_log WHERE action = 'access_denied' AND actor = 'dbx_audit_probe'"
    check("a denial in each of 8 databases", [deny(d) for d in databases[:8]] == ["42501"] * 8)
    counts = [wait_until(audited, "1", database=database) for database in databases[:8]]
    check("is in each one's trail, the read-only one's too", counts == ["1"] * 8, counts)
    check("the writers leave when idle", wait_until(writers, "0") == "0")
    check("a denial in a ninth database", deny(databases[8]) == "42501")
    out = wait_until(audited, "1", database=databases[8])
    check("is in its trail: the queues of idle databases were freed", out == "1", out)
    _, err, _ = sql(f"DROP DATABASE {databases[8]}")
    check("its writer leaves in time for DROP DATABASE, which waits 5 s", err is None, err)
    for database in databases[:8]:
        sql(f"DROP DATABASE {database} WITH (FORCE)")


def test_audit_overflow():
    """Denials beyond the queue (256 a database) go to the server log, one line each, names escaped."""
    role = '"dbx flood\nprobe"'
    sql(f"DO $$BEGIN CREATE ROLE {role} NOLOGIN IN ROLE dbx_oauth_writer; EXCEPTION WHEN duplicate_object THEN NULL; END$$")
    log = os.path.join(STACK_DIR, "postgresql.log")
    start = os.path.getsize(log)
    sql("DO $$BEGIN FOR i IN 1..1000 LOOP BEGIN PERFORM dbx_oauth.dbx_get_database_config('floodTenant', 'flood-' || i); "
        "EXCEPTION WHEN insufficient_privilege THEN NULL; END; END LOOP; END$$", role=role)
    writers = "SELECT count(*) FROM pg_stat_activity WHERE backend_type = 'dbx_oauth audit writer'"
    check("the writer drains the queue and leaves", wait_until(writers, "0") == "0")
    audited = int(sql("SELECT count(*) FROM dbx_oauth.audit_log WHERE action = 'access_denied' "
                      "AND actor = E'dbx flood\\nprobe' AND tenant_id = 'floodTenant' AND connection_name LIKE 'flood-%'")[0])
    with open(log, encoding="utf-8", errors="replace") as f:
        f.seek(start)
        logged = sum(1 for line in f if "dbx_oauth audit event not recorded (the queue is full): access_denied denied, "
                     'actor "dbx flood\\nprobe", tenant "floodTenant", connection "flood-' in line)
    check("1000 denials: each in the trail or in the log", audited + logged == 1000 and logged > 0,
          f"{audited} in the trail, {logged} in the log")


def test_audit():
    """Failed token requests are in the audit trail, with their code and never a secret or token."""
    time.sleep(1.5)         # the audit writer runs on its own
    out, _, _ = sql(f"SELECT count(*) FROM dbx_oauth.audit_log WHERE action = 'token_request_failed' AND tenant_id = '{TENANT}' "
                    "AND detail = 'DS_DATABRICKS_OAUTH_AUTHENTICATION_FAILED' AND outcome = 'failed'")
    check("rejected credentials were audited", out != "" and int(out) >= 2, out)
    out, _, _ = sql("SELECT count(*) FROM dbx_oauth.audit_log l WHERE l::text ~ 'standin-secret|revoked-secret|standin-token'")
    check("no secret or token in the trail", out == "0", out)


def test_logs():
    """Neither the secrets nor the tokens are in any log."""
    logs = b"".join(open(os.path.join(STACK_DIR, name), "rb").read()
                    for name in ("postgresql.log", "postgrest.log", "nginx-access.log", "nginx-error.log"))
    for value in (SECRET, "revoked-secret", "standin-token-"):
        check(f"{value!r} is in no log", value.encode() not in logs)


def test_coverage():
    expected = {"DS_DATABRICKS_OAUTH_AUTHENTICATION_FAILED", "DS_DATABRICKS_TOKEN_REQUEST_REJECTED",
                "DS_DATABRICKS_UNAVAILABLE", "DS_DATABRICKS_UNREACHABLE", "DS_DATABRICKS_RESPONSE_INVALID",
                "DS_DATABRICKS_HOST_NOT_ALLOWED", "DS_DATABRICKS_OAUTH_CREDENTIALS_NOT_STORED"}
    check("every token error was produced", expected <= seen_codes, sorted(expected - seen_codes))


def main():
    run((test_cache, test_single_flight, test_early_refresh, test_failures, test_egress,
         test_privileges, test_connection_test, test_route, test_route_limits, test_shared_budget, test_slow_route, test_rotation, test_committed_only,
         test_mint_failures_and_cancels, test_short_lived_tokens, test_rotation_races, test_audit_writers, test_audit_overflow,
         test_audit, test_logs, test_coverage))


if __name__ == "__main__":
    main()
