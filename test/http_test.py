#!/usr/bin/env python3
"""HTTP suite: the vendor's routes through nginx and PostgREST, against a
running stack (scripts/stack.sh start; its export lines in the environment).

Every case states the exact status, body (or body pattern, where ids and
times vary) and content type it expects.  At the end it checks that every
error the REST layer answers with was produced, and that no secret used
here appears in any log of the stack.  Run by test/http.sh."""
import base64
import gzip
import hashlib
import hmac
import http.client
import json
import os
import re
import socket
import subprocess
import time
from urllib.parse import urlparse

from suite import check, run

BASE = urlparse(os.environ["DBX_BASE_URL"])
STACK_DIR = os.environ["DBX_STACK_DIR"]
JWT_SECRET = open(os.environ["DBX_JWT_SECRET_FILE"], "rb").read().strip()
TENANT = "ce5627DYnQ6abcD"
CONFIGS = f"/reltio/api/tenants/{TENANT}/interactions/database-configs"
JSON_TYPE = "application/json; charset=utf-8"
UUID = r"[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}"
TIME = r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z"

# The catalog texts this suite expects, written out (not read from the code).
TEXTS = {
    "DS_DATABRICKS_OAUTH_CLIENT_ID_REQUIRED": "Databricks OAuth client ID is required. The clientId field cannot be null or empty when storing Databricks M2M OAuth credentials",
    "DS_DATABRICKS_OAUTH_CLIENT_SECRET_REQUIRED": "Databricks OAuth client secret is required. The clientSecret field cannot be null or empty when storing Databricks M2M OAuth credentials",
    "DS_SNOWFLAKE_CONNECTION_ALREADY_EXISTS": "A connection with this name already exists. A connection named {0} already exists for tenant {1}. Please choose a different name.",
    "DS_TENANT_ID_INVALID": "Tenant ID is invalid. A tenant ID is 1 to 64 letters, digits, '_' or '-'.",
    "DS_CONNECTION_NAME_REQUIRED": "Connection name is required. The connection name cannot be null or empty.",
    "DS_CONNECTION_NAME_INVALID": "Connection name is invalid. A connection name is 1 to 128 letters, digits, '.', '_' or '-' and starts with a letter or digit.",
    "DS_CONNECTION_NOT_FOUND": "Connection not found. No connection named {0} exists for tenant {1}.",
    "DS_VALUE_TOO_LONG": "Value too long. The {0} field cannot be longer than {1} characters.",
    "DS_INVALID_REQUEST_BODY": "Invalid request body. The request body must be a valid JSON object.",
    "DS_JSON_DUPLICATE_KEY": "Duplicate JSON key. A key appears more than once in the same JSON object.",
    "DS_FIELD_REQUIRED": "A required field is missing. The {0} field cannot be null or empty.",
    "DS_FIELD_TYPE_INVALID": "Invalid field type. The {0} field must be a {1}.",
    "DS_DATABRICKS_WORKSPACE_URL_INVALID": "Invalid Databricks workspace URL. The workspace URL must be an https URL of a workspace host, such as https://dbc-a1b2c3d4-e5f6.cloud.databricks.com, without user name, path, query or fragment.",
    "DS_ENCRYPTION_KEY_NOT_CONFIGURED": "Encryption key is not configured. Credentials cannot be stored or read until an administrator sets dbx_oauth.key_file.",
    "DS_DATABRICKS_CONNECTION_ALREADY_ACTIVE": "An active Databricks connection already exists. Tenant {0} already has an active Databricks connection; store new credentials on it or delete it first.",
    "DS_ACCESS_DENIED": "Access denied. The caller may not act for tenant {0}.",
    "DS_FORBIDDEN": "Access denied. The role of the token may not use this API.",
    "DS_AUTH_TOKEN_REQUIRED": "Authentication required. Send a bearer token in the Authorization header.",
    "DS_AUTH_TOKEN_INVALID": "Invalid authentication token. The bearer token is malformed, has no expiry, or its signature does not verify.",
    "DS_AUTH_TOKEN_EXPIRED": "Authentication token expired. Send a new bearer token.",
    "DS_BAD_REQUEST": "Bad request. The request is not valid HTTP, or its request line or headers are too long.",
    "DS_ROUTE_NOT_FOUND": "Resource not found. No API route matches this path.",
    "DS_METHOD_NOT_ALLOWED": "Method not allowed. The Allow header lists the methods this route accepts.",
    "DS_REQUEST_TOO_LARGE": "Request body too large. The request body cannot be larger than 64 kilobytes.",
    "DS_UNSUPPORTED_MEDIA_TYPE": "Unsupported content type. Send the request body as application/json.",
    "DS_SERVICE_UNAVAILABLE": "Service unavailable. The request could not be completed now; try again later.",
    "DS_INTERNAL_ERROR": "Internal error. The request could not be completed; the server log has the details.",
}

seen_codes = set()
secrets_used = []


def envelope(code, *params):
    """The exact error body for a catalog entry."""
    message = f"Code: {code}; Message parameters: [{', '.join(params)}]. {TEXTS[code].format(*params)}"
    return json.dumps({"successful": False, "error": message})


def b64url(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def token(claims, secret=JWT_SECRET, lifetime=3600):
    claims = dict(claims)
    if lifetime is not None:
        claims.setdefault("exp", int(time.time()) + lifetime)
    head = b64url(json.dumps({"alg": "HS256", "typ": "JWT"}).encode())
    body = b64url(json.dumps(claims).encode())
    sig = b64url(hmac.new(secret, f"{head}.{body}".encode(), hashlib.sha256).digest())
    return f"{head}.{body}.{sig}"


WRITER = token({"role": "dbx_oauth_api", "sub": "http-test", "tenants": [TENANT, "otherTenant02"]})


def request(method, path, body=None, auth=WRITER, content_type="application/json", headers=None):
    conn = http.client.HTTPConnection(BASE.hostname, BASE.port, timeout=30)
    sent = {}
    if auth is not None:
        sent["Authorization"] = auth if " " in auth else f"Bearer {auth}"
    if body is not None:
        if isinstance(body, (dict, list)):
            body = json.dumps(body)
        if isinstance(body, str):
            body = body.encode()
        if content_type is not None:
            sent["Content-Type"] = content_type
    sent.update(headers or {})
    conn.request(method, path, body=body, headers=sent)
    response = conn.getresponse()
    data = response.read().decode("utf-8", "replace")
    conn.close()
    return response.status, headers_of(response.getheaders()), data


def headers_of(pairs):
    """Headers by lower-case name; a header sent twice has its values joined by a line break."""
    headers = {}
    for name, value in pairs:
        headers[name.lower()] = headers[name.lower()] + "\n" + value if name.lower() in headers else value
    return headers


def expect(name, reply, status, body=None, pattern=None, headers=None):
    """Check a reply's status, content type and exact body (or full-match pattern)."""
    got_status, got_headers, got_body = reply
    problems = []
    if got_status != status:
        problems.append(f"status {got_status}, expected {status}")
    if got_headers.get("content-type") != JSON_TYPE:
        problems.append(f"content type {got_headers.get('content-type')!r}")
    if body is not None and got_body != body:
        problems.append(f"body\n      got      {got_body}\n      expected {body}")
    if pattern is not None and not re.fullmatch(pattern, got_body):
        problems.append(f"body {got_body!r} does not match {pattern!r}")
    for key, value in (headers or {}).items():
        if got_headers.get(key.lower()) != value:
            problems.append(f"header {key}: {got_headers.get(key.lower())!r}, expected {value!r}")
    match = re.match(r'\{"successful": false, "error": "Code: ([A-Z_]+);', got_body)
    if match:
        seen_codes.add(match.group(1))
    check(name, not problems, "\n    " + "\n    ".join(problems))
    return got_body


def psql(sql):
    return subprocess.run(["psql", "-X", "-At", "-v", "ON_ERROR_STOP=1", "-c", sql],
                          check=True, capture_output=True, text=True).stdout.strip()


def reload_settings(sql):
    psql(sql)
    psql("SELECT pg_reload_conf()")
    time.sleep(0.5)


def secret(label):
    value = f"httpProbe-{os.getpid()}-{label}-{time.time_ns()}"
    secrets_used.append((label, value))
    return value


def config_body(name, url="https://dbc-a1b2c3d4-e5f6.cloud.databricks.com"):
    return {"connection_name": name, "database_type": "DATABRICKS",
            "databricks_config": {
                "workspace": {"workspace_url": url, "workspace_id": "1234567890123456",
                              "region": "us-east-1", "cloud_provider": "AWS"},
                "sql_warehouse": {"warehouse_id": "abc123def456", "warehouse_name": "reltio-warehouse",
                                  "size": "SMALL", "auto_stop": True, "auto_stop_minutes": 10},
                "share_info": {"shared_catalog_name": "reltio_interactions"},
                "connection_properties": {"query_timeout": 300, "max_pool_size": 5},
                "auth_type": "OAUTH_M2M"}}


def credentials_path(name):
    return f"{CONFIGS}/{name}/databricks/oauth/credentials"


CONFIG_RESULT = (r'\{"successful": true, "result": \{"connection_id": "(' + UUID + r')", '
                 r'"connection_name": "my-databricks-connection", "tenant_id": "ce5627DYnQ6abcD", '
                 r'"database_type": "DATABRICKS", "databricks_config": \{"workspace": \{"workspace_url": '
                 r'"https://dbc-a1b2c3d4-e5f6.cloud.databricks.com", "workspace_id": "1234567890123456", '
                 r'"region": "us-east-1", "cloud_provider": "AWS"\}, "sql_warehouse": \{"warehouse_id": '
                 r'"abc123def456", "warehouse_name": "reltio-warehouse", "size": "SMALL", "auto_stop": true, '
                 r'"auto_stop_minutes": 10\}, "share_info": \{"shared_catalog_name": "reltio_interactions"\}, '
                 r'"connection_properties": \{"query_timeout": 300, "max_pool_size": 5\}, "auth_type": "OAUTH_M2M"'
                 r'%s\}, "status": "PENDING", "created_time": "' + TIME + r'", "updated_time": "' + TIME + r'"\}\}')
STORED = (r'\{"status": "success", "data": \{"status": "success", "message": "Databricks M2M OAuth '
          r'credentials stored successfully", "connectionId": "(' + UUID + r')", "connectionName": '
          r'"%s", "timestamp": (\d{13})\}\}')


def test_vendor_flow():
    body = expect("create config: 201 and the config", request("POST", f"{CONFIGS}/", config_body("my-databricks-connection")),
                  201, pattern=CONFIG_RESULT % "")
    connection_id = json.loads(body)["result"]["connection_id"]
    the_secret = secret("vendor")
    body = expect("store the vendor's example request: 200 and the success body",
                  request("POST", credentials_path("my-databricks-connection"),
                          {"clientId": "a1b2c3d4-e5f6-7890-abcd-ef1234567890", "clientSecret": the_secret}),
                  200, pattern=STORED % "my-databricks-connection")
    data = json.loads(body)["data"]
    check("connectionId is the config's id", data["connectionId"] == connection_id)
    check("timestamp is now", abs(data["timestamp"] - time.time() * 1000) < 60000, data["timestamp"])
    expect("get shows the client ID, never the secret", request("GET", f"{CONFIGS}/my-databricks-connection"),
           200, pattern=CONFIG_RESULT % ', "oauth_client_id": "a1b2c3d4-e5f6-7890-abcd-ef1234567890"')
    expect("list, with the slash", request("GET", f"{CONFIGS}/"), 200,
           pattern=r'\{"successful": true, "result": \[' + CONFIG_RESULT[len(r'\{"successful": true, "result": '):-2] % ', "oauth_client_id": "a1b2c3d4-e5f6-7890-abcd-ef1234567890"' + r'\]\}')
    expect("list, without the slash", request("GET", CONFIGS), 200, pattern=r'\{"successful": true, "result": \[.*\]\}')
    expect("list of a tenant with nothing", request("GET", "/reltio/api/tenants/otherTenant02/interactions/database-configs"),
           200, body='{"successful": true, "result": []}')
    rotated = expect("rotation: same connectionId", request("POST", credentials_path("my-databricks-connection"),
                                                            {"clientId": "b2", "clientSecret": secret("rotated")}),
                     200, pattern=STORED % "my-databricks-connection")
    check("rotation keeps the connectionId", json.loads(rotated)["data"]["connectionId"] == connection_id)
    check("the stored client ID is the new one",
          psql(f"SELECT client_id FROM dbx_oauth.credential_metadata WHERE connection_name = 'my-databricks-connection'") == "b2")
    check("the audit trail names the token's subject and role",
          psql("SELECT string_agg(action || ' ' || actor || ' ' || jwt_subject, ', ' ORDER BY id) FROM dbx_oauth.audit_log "
               "WHERE tenant_id = 'ce5627DYnQ6abcD' AND connection_name = 'my-databricks-connection'")
          == "config_created dbx_oauth_api http-test, credentials_stored dbx_oauth_api http-test, "
             "credentials_replaced dbx_oauth_api http-test")


def test_documented_errors():
    doc_id = ('{"successful": false, "error": "Code: DS_DATABRICKS_OAUTH_CLIENT_ID_REQUIRED; Message parameters: []. '
              'Databricks OAuth client ID is required. The clientId field cannot be null or empty when storing '
              'Databricks M2M OAuth credentials"}')
    doc_secret = ('{"successful": false, "error": "Code: DS_DATABRICKS_OAUTH_CLIENT_SECRET_REQUIRED; Message parameters: []. '
                  'Databricks OAuth client secret is required. The clientSecret field cannot be null or empty when storing '
                  'Databricks M2M OAuth credentials"}')
    path = credentials_path("my-databricks-connection")
    before = psql("SELECT stored_at FROM dbx_oauth.credential_metadata WHERE connection_name = 'my-databricks-connection'")
    for label, body in [("missing", {"clientSecret": "example-secret"}), ("null", {"clientId": None, "clientSecret": "example-secret"}),
                        ("empty", {"clientId": "", "clientSecret": "x"}), ("blank", {"clientId": " \t", "clientSecret": "x"})]:
        expect(f"clientId {label}: the documented body, character for character", request("POST", path, body), 400, body=doc_id)
    for label, body in [("missing", {"clientId": "a1b2c3d4-e5f6-7890-abcd-ef1234567890"}),
                        ("null", {"clientId": "a", "clientSecret": None}), ("empty", {"clientId": "a", "clientSecret": ""}),
                        ("blank", {"clientId": "a", "clientSecret": "\u00a0 "})]:
        expect(f"clientSecret {label}: the documented body, character for character", request("POST", path, body), 400, body=doc_secret)
    expect("clientId and clientSecret missing: clientId first", request("POST", path, {}), 400, body=doc_id)
    after = psql("SELECT stored_at FROM dbx_oauth.credential_metadata WHERE connection_name = 'my-databricks-connection'")
    check("the failed stores changed nothing", before == after)


def test_body_errors():
    path = credentials_path("my-databricks-connection")
    expect("malformed JSON", request("POST", path, '{"clientId": "a", "clientSecret": '), 400, body=envelope("DS_INVALID_REQUEST_BODY"))
    expect("JSON that is not an object", request("POST", path, '["a", "b"]'), 400, body=envelope("DS_INVALID_REQUEST_BODY"))
    expect("empty body", request("POST", path, ""), 400, body=envelope("DS_INVALID_REQUEST_BODY"))
    expect("invalid UTF-8", request("POST", path, b'{"clientId": "\xff", "clientSecret": "x"}'), 400, body=envelope("DS_INVALID_REQUEST_BODY"))
    expect("duplicate key", request("POST", path, '{"clientId": "a", "clientId": "b", "clientSecret": "x"}'), 400,
           body=envelope("DS_JSON_DUPLICATE_KEY"))
    expect("clientId of the wrong type", request("POST", path, {"clientId": {"id": 42}, "clientSecret": "x"}), 400,
           body=envelope("DS_FIELD_TYPE_INVALID", "clientId", "string"))
    expect("a number where a string belongs is its text", request("POST", path, {"clientId": 42, "clientSecret": secret("number")}),
           200, pattern=STORED % "my-databricks-connection")
    check("  stored as the string 42", psql("SELECT client_id FROM dbx_oauth.credential_metadata "
                                           "WHERE connection_name = 'my-databricks-connection'") == "42")
    expect("a UTF-8 byte order mark is ignored", request("POST", path, b'\xef\xbb\xbf' + json.dumps(
        {"clientId": "a", "clientSecret": secret("bom")}).encode()), 200, pattern=STORED % "my-databricks-connection")
    expect("nesting deeper than 64 levels", request("POST", path, "[" * 15000), 400, body=envelope("DS_INVALID_REQUEST_BODY"))
    expect("clientSecret too long", request("POST", path, {"clientId": "a", "clientSecret": "s" * 1025}), 400,
           body=envelope("DS_VALUE_TOO_LONG", "clientSecret", "1024"))
    expect("body over 64 kB", request("POST", path, {"clientId": "a", "clientSecret": "s" * 70000}), 413,
           body=envelope("DS_REQUEST_TOO_LARGE"))
    expect("unknown fields are ignored", request("POST", path, {"clientId": "a", "clientSecret": secret("extra"), "extra": [1, {"x": None}]}),
           200, pattern=STORED % "my-databricks-connection")
    expect("create: duplicate name", request("POST", CONFIGS, config_body("my-databricks-connection")), 400,
           body=envelope("DS_SNOWFLAKE_CONNECTION_ALREADY_EXISTS", "my-databricks-connection", TENANT))
    expect("create: missing connection_name", request("POST", CONFIGS, {"database_type": "DATABRICKS"}), 400,
           body=envelope("DS_CONNECTION_NAME_REQUIRED"))
    expect("create: ftp workspace URL", request("POST", CONFIGS, config_body("c2", url="ftp://dbc-1.cloud.databricks.com")), 400,
           body=envelope("DS_DATABRICKS_WORKSPACE_URL_INVALID"))
    body = config_body("c2")
    del body["databricks_config"]["sql_warehouse"]["warehouse_id"]
    expect("create: missing warehouse_id", request("POST", CONFIGS, body), 400,
           body=envelope("DS_FIELD_REQUIRED", "databricks_config.sql_warehouse.warehouse_id"))


def test_paths():
    expect("connection not found", request("GET", f"{CONFIGS}/no-such-connection"), 404,
           body=envelope("DS_CONNECTION_NOT_FOUND", "no-such-connection", TENANT))
    expect("names are case-sensitive", request("GET", f"{CONFIGS}/MY-DATABRICKS-CONNECTION"), 404,
           body=envelope("DS_CONNECTION_NOT_FOUND", "MY-DATABRICKS-CONNECTION", TENANT))
    expect("percent-encoded unreserved characters are decoded", request("GET", f"{CONFIGS}/my%2Ddatabricks-connection"), 200,
           pattern=r'\{"successful": true, "result": \{"connection_id": .*')
    expect("an encoded slash is refused", request("GET", f"{CONFIGS}/a%2Fb"), 400, body=envelope("DS_CONNECTION_NAME_INVALID"))
    expect("an encoded traversal is refused", request("GET", f"{CONFIGS}/..%2F..%2Fetc"), 400, body=envelope("DS_CONNECTION_NAME_INVALID"))
    expect("a raw dot segment is refused", request("GET", f"{CONFIGS}/.."), 400, body=envelope("DS_CONNECTION_NAME_INVALID"))
    expect("a broken escape is refused by nginx", request("GET", f"{CONFIGS}/my%zz"), 400, body=envelope("DS_BAD_REQUEST"))
    expect("an encoded NUL is refused by nginx", request("GET", f"{CONFIGS}/my%00x"), 400, body=envelope("DS_BAD_REQUEST"))
    expect("an invalid tenant", request("GET", "/reltio/api/tenants/bad%20tenant/interactions/database-configs"), 400,
           body=envelope("DS_TENANT_ID_INVALID"))
    expect("a tenant the token does not name", request("GET", "/reltio/api/tenants/someoneElse/interactions/database-configs"), 403,
           body=envelope("DS_ACCESS_DENIED", "someoneElse"))
    expect("writes for a tenant the token does not name", request("POST", "/reltio/api/tenants/someoneElse/interactions/database-configs/x/databricks/oauth/credentials",
                                                                   {"clientId": "a", "clientSecret": "b"}), 403, body=envelope("DS_ACCESS_DENIED", "someoneElse"))
    expect("unknown route", request("GET", "/reltio/api/tenants/x/other"), 404, body=envelope("DS_ROUTE_NOT_FOUND"))
    expect("root", request("GET", "/"), 404, body=envelope("DS_ROUTE_NOT_FOUND"))
    expect("PostgREST is not reachable directly", request("POST", "/rpc/list_configs", "{}"), 404, body=envelope("DS_ROUTE_NOT_FOUND"))
    expect("error pages are internal", request("GET", "/.dbx-error/400"), 404, body=envelope("DS_ROUTE_NOT_FOUND"))
    expect("wrong method on a config", request("PUT", f"{CONFIGS}/my-databricks-connection", {}), 405,
           body=envelope("DS_METHOD_NOT_ALLOWED"), headers={"Allow": "GET, HEAD, DELETE, OPTIONS"})
    expect("wrong method on credentials", request("GET", credentials_path("my-databricks-connection")), 405,
           body=envelope("DS_METHOD_NOT_ALLOWED"), headers={"Allow": "POST, OPTIONS"})
    expect("wrong method on the configs", request("DELETE", CONFIGS), 405,
           body=envelope("DS_METHOD_NOT_ALLOWED"), headers={"Allow": "GET, HEAD, POST, OPTIONS"})
    path = credentials_path("my-databricks-connection")
    expect("text/plain body", request("POST", path, '{"clientId": "a", "clientSecret": "b"}', content_type="text/plain"), 415,
           body=envelope("DS_UNSUPPORTED_MEDIA_TYPE"))
    expect("no content type", request("POST", path, '{"clientId": "a", "clientSecret": "b"}', content_type=None), 415,
           body=envelope("DS_UNSUPPORTED_MEDIA_TYPE"))
    expect("form body", request("POST", path, "clientId=a&clientSecret=b", content_type="application/x-www-form-urlencoded"), 415,
           body=envelope("DS_UNSUPPORTED_MEDIA_TYPE"))
    compressed = gzip.compress(json.dumps({"clientId": "a", "clientSecret": secret("gzip")}).encode())
    expect("a gzip body", request("POST", path, compressed, headers={"Content-Encoding": "gzip"}), 415,
           body=envelope("DS_UNSUPPORTED_MEDIA_TYPE"))
    expect("a JSON body that says it is gzip", request("POST", path, {"clientId": "a", "clientSecret": secret("gzip2")},
                                                       headers={"Content-Encoding": "gzip"}), 415,
           body=envelope("DS_UNSUPPORTED_MEDIA_TYPE"))
    expect("Content-Encoding: identity", request("POST", path, {"clientId": "a", "clientSecret": secret("identity")},
                                                 headers={"Content-Encoding": "identity"}), 200, pattern=STORED % "my-databricks-connection")
    expect("application/json with a charset", request("POST", path, {"clientId": "a", "clientSecret": secret("charset")},
                                                      content_type="application/json;charset=UTF-8"), 200, pattern=STORED % "my-databricks-connection")
    expect("content type in capitals", request("POST", path, {"clientId": "a", "clientSecret": secret("caps")},
                                               content_type="Application/JSON"), 200, pattern=STORED % "my-databricks-connection")


def raw_request(data):
    """Send bytes as they are; return (status, headers, body) of the first answer."""
    with socket.create_connection((BASE.hostname, BASE.port), timeout=10) as s:
        s.sendall(data)
        answer = b""
        while chunk := s.recv(65536):
            answer += chunk
    head, _, body = answer.decode("utf-8", "replace").partition("\r\n\r\n")
    headers = {k.lower(): v.strip() for k, v in re.findall(r"(?m)^([^:\r\n]+): (.*)$", head)}
    length = int(headers.get("content-length", len(body)))
    return int(head.split(" ")[1]), headers, body[:length]


def test_raw_http():
    auth = f"Authorization: Bearer {WRITER}\r\n".encode()
    for name, raw in [("a request line that is not HTTP", b"GARBAGE\r\n\r\n"),
                      ("a header without a colon", b"GET / HTTP/1.1\r\nHost: x\r\nBad Header\r\n\r\n"),
                      ("a request line over 8 kB", b"GET /" + b"a" * 9000 + b" HTTP/1.1\r\nHost: x\r\n\r\n"),
                      ("HTTP/2.0 in the request line", f"GET {CONFIGS} HTTP/2.0\r\nHost: x\r\n\r\n".encode() + auth),
                      ("a raw non-ASCII byte in the path",
                       f"GET {CONFIGS}/conn".encode() + b"\xe9 HTTP/1.1\r\nHost: x\r\nConnection: close\r\n" + auth + b"\r\n"),
                      ("a transfer coding nginx does not know",
                       f"POST {CONFIGS}/ HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n".encode() + auth +
                       b"Transfer-Encoding: gzip, chunked\r\nConnection: close\r\n\r\n2\r\n{}\r\n0\r\n\r\n")]:
        expect(name, raw_request(raw), 400, body=envelope("DS_BAD_REQUEST"))
    body = json.dumps({"clientId": "a", "clientSecret": secret("chunked"), "pad": "x" * 70000}).encode()
    chunks = b"".join(b"%x\r\n%s\r\n" % (len(body[i:i + 8192]), body[i:i + 8192]) for i in range(0, len(body), 8192))
    expect("a chunked body over 64 kB", raw_request(
        f"POST {credentials_path('my-databricks-connection')} HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n".encode()
        + auth + b"Transfer-Encoding: chunked\r\nConnection: close\r\n\r\n" + chunks + b"0\r\n\r\n"),
        413, body=envelope("DS_REQUEST_TOO_LARGE"))
    nginx_log = open(os.path.join(STACK_DIR, "nginx-error.log"), encoding="utf-8", errors="replace").read()
    check("no body was buffered to a temporary file", "buffered to a temporary file" not in nginx_log)


def test_http_details():
    """HEAD, OPTIONS, trailing slashes, and headers nginx does not pass on."""
    status, headers, body = request("HEAD", f"{CONFIGS}/my-databricks-connection")
    check("HEAD on a config: 200 without a body", status == 200 and body == "", f"{status} {body!r}")
    status, headers, body = request("OPTIONS", f"{CONFIGS}/my-databricks-connection", auth=None)
    check("OPTIONS: 204 and the methods", status == 204 and headers.get("allow") == "GET, HEAD, DELETE, OPTIONS",
          f"{status} {headers.get('allow')}")
    expect("a trailing slash on a config", request("GET", f"{CONFIGS}/my-databricks-connection/"), 200,
           pattern=r'\{"successful": true, "result": \{"connection_id": .*')
    expect("a trailing slash on credentials", request("POST", credentials_path("my-databricks-connection") + "/",
                                                      {"clientId": "a", "clientSecret": secret("slash")}),
           200, pattern=STORED % "my-databricks-connection")
    expect("a header byte that is not UTF-8 does not matter", request("GET", CONFIGS, headers={"X-Junk": "\xff", "Cookie": "a=\xff"}),
           200, pattern=r'\{"successful": true, "result": \[.*\]\}')


def test_authentication():
    path = CONFIGS
    for name, auth in [("a malformed token", "not-a-jwt"), ("an expired token", token({"role": "dbx_oauth_api", "exp": 1000})),
                       ("a token signed with another key", token({"role": "dbx_oauth_api"}, secret=b"y" * 32))]:
        status, headers, _ = request("GET", path, auth=auth)
        check(f"{name}: one WWW-Authenticate, no more than invalid_token",
              headers.get("www-authenticate") == 'Bearer error="invalid_token"', headers.get("www-authenticate"))
    status, headers, _ = request("GET", path, auth=None)
    check("WWW-Authenticate for a missing token", headers.get("www-authenticate") == "Bearer", headers.get("www-authenticate"))
    expect("a token without expiry", request("GET", path, auth=token({"role": "dbx_oauth_api", "tenants": [TENANT]}, lifetime=None)),
           401, body=envelope("DS_AUTH_TOKEN_INVALID"))
    expect("claims our parser refuses (\\u0000)", request("GET", path, auth=token({"role": "dbx_oauth_api", "tenants": [TENANT], "sub": "a\u0000b"})),
           401, body=envelope("DS_AUTH_TOKEN_INVALID"))
    expect("a signed token without a role: 403, no challenge", request("GET", path, auth=token({"tenants": [TENANT]})),
           403, body=envelope("DS_FORBIDDEN"), headers={"WWW-Authenticate": None})
    expect("a signed token for the anonymous role", request("GET", path, auth=token({"role": "dbx_api_anon", "tenants": [TENANT]})),
           403, body=envelope("DS_FORBIDDEN"), headers={"WWW-Authenticate": None})
    expect("an Authorization header with a byte that is not ASCII", request("GET", path, headers={"Authorization": "Bearer \xff"}),
           400, body=envelope("DS_BAD_REQUEST"))
    expect("no token", request("GET", path, auth=None), 401, body=envelope("DS_AUTH_TOKEN_REQUIRED"))
    expect("Basic instead of Bearer", request("GET", path, auth="Basic YTpi"), 401, body=envelope("DS_AUTH_TOKEN_REQUIRED"))
    expect("a token that is not a JWT", request("GET", path, auth="not-a-jwt"), 401, body=envelope("DS_AUTH_TOKEN_INVALID"))
    expect("a token signed with another key", request("GET", path, auth=token({"role": "dbx_oauth_api", "tenants": [TENANT]}, secret=b"x" * 32)),
           401, body=envelope("DS_AUTH_TOKEN_INVALID"))
    expect("an expired token", request("GET", path, auth=token({"role": "dbx_oauth_api", "tenants": [TENANT], "exp": 1000})),
           401, body=envelope("DS_AUTH_TOKEN_EXPIRED"))
    expect("a token for a superuser role", request("GET", path, auth=token({"role": "postgres", "tenants": [TENANT]})),
           403, body=envelope("DS_FORBIDDEN"))
    for role in ("dbx_oauth_writer", "dbx_oauth_admin", "dbx_authenticator"):
        expect(f"a token for {role}, which PostgREST may not take", request("GET", path, auth=token({"role": role, "tenants": [TENANT]})),
               403, body=envelope("DS_FORBIDDEN"))
    expect("a token for a role that does not exist", request("GET", path, auth=token({"role": "no_such_role", "tenants": [TENANT]})),
           403, body=envelope("DS_FORBIDDEN"))
    expect("a token without a tenants claim", request("GET", path, auth=token({"role": "dbx_oauth_api"})),
           403, body=envelope("DS_ACCESS_DENIED", TENANT))
    expect("a token whose tenants claim is not a list", request("GET", path, auth=token({"role": "dbx_oauth_api", "tenants": TENANT})),
           403, body=envelope("DS_ACCESS_DENIED", TENANT))
    long_subject = "clip" + "\u00e9" * 100
    expect("a denied token with a long subject", request("GET", path, auth=token({"role": "dbx_oauth_api", "sub": long_subject})),
           403, body=envelope("DS_ACCESS_DENIED", TENANT))
    query = ("SELECT octet_length(jwt_subject) || ' ' || length(jwt_subject) FROM dbx_oauth.audit_log "
             "WHERE jwt_subject LIKE 'clip%'")
    deadline = time.time() + 10
    while (out := psql(query)) == "" and time.time() < deadline:
        time.sleep(0.2)
    check("the trail keeps its first 126 bytes: 65 whole characters", out == "126 65", out)
    for name, segment in [("my-conn", "my%2Dconn"), (None, "%FF"), (None, "a%0D%0Ainject")]:
        expect(f"a denied request for connection {segment}", request("GET", f"{CONFIGS}/{segment}", auth=token({"role": "dbx_oauth_api", "sub": f"deny {segment}"})),
               403, body=envelope("DS_ACCESS_DENIED", TENANT))
        query = f"SELECT coalesce(connection_name, '(none)') FROM dbx_oauth.audit_log WHERE jwt_subject = 'deny {segment}'"
        deadline = time.time() + 10
        while (out := psql(query)) == "" and time.time() < deadline:
            time.sleep(0.2)
        check(f"its audit line names the connection, decoded ({segment}), if it is a valid name", out == (name or "(none)"), out)


def test_spoofing():
    path = credentials_path("my-databricks-connection")
    expect("client X-Dbx-Tenant and X-Dbx-Connection headers are ignored",
           request("POST", path, {"clientId": "spoof-check", "clientSecret": secret("spoof")},
                   headers={"X-Dbx-Tenant": "someoneElse", "X-Dbx-Connection": "other"}),
           200, pattern=STORED % "my-databricks-connection")
    expect("Prefer: tx=rollback is ignored", request("POST", path, {"clientId": "kept", "clientSecret": secret("prefer")},
                                                     headers={"Prefer": "tx=rollback"}), 200, pattern=STORED % "my-databricks-connection")
    check("the store was committed", psql("SELECT client_id FROM dbx_oauth.credential_metadata "
                                          "WHERE connection_name = 'my-databricks-connection'") == "kept")
    expect("Accept: text/html still gets JSON", request("GET", CONFIGS, headers={"Accept": "text/html"}), 200,
           pattern=r'\{"successful": true, "result": \[.*\]\}')
    expect("a query string is not passed on", request("GET", f"{CONFIGS}?select=connection_id&tenant_id=eq.x"), 200,
           pattern=r'\{"successful": true, "result": \[\{"connection_id": .*')


def test_one_call():
    path = f"{CONFIGS}/databricks/oauth/credentials"
    body = {"connectionName": "databricks-test-02", "workspaceUrl": "https://dbc-a1b2c3d4-e5f6.cloud.databricks.com",
            "warehouseId": "abc123def456", "clientId": "a1b2c3d4-e5f6-7890-abcd-ef1234567890", "clientSecret": secret("one-call")}
    expect("one call: 201 and the result", request("POST", path, body), 201,
           pattern=r'\{"successful": true, "result": \{"connectionId": "' + UUID + r'", "connectionName": "databricks-test-02", '
                   r'"message": "Databricks connection created and M2M OAuth credentials stored successfully", '
                   r'"status": "PENDING", "timestamp": \d{13}\}\}')
    expect("one call: the config exists with its client ID", request("GET", f"{CONFIGS}/databricks-test-02"), 200,
           pattern=r'.*"databricks_config": \{"workspace": \{"workspace_url": "https://dbc-a1b2c3d4-e5f6.cloud.databricks.com"\}, '
                   r'"sql_warehouse": \{"warehouse_id": "abc123def456"\}, "auth_type": "OAUTH_M2M", '
                   r'"oauth_client_id": "a1b2c3d4-e5f6-7890-abcd-ef1234567890"\}.*')
    expect("one call: duplicate name", request("POST", path, body), 400,
           body=envelope("DS_SNOWFLAKE_CONNECTION_ALREADY_EXISTS", "databricks-test-02", TENANT))
    for field, expected in [("connectionName", envelope("DS_CONNECTION_NAME_REQUIRED")),
                            ("workspaceUrl", envelope("DS_FIELD_REQUIRED", "workspaceUrl")),
                            ("warehouseId", envelope("DS_FIELD_REQUIRED", "warehouseId")),
                            ("clientId", envelope("DS_DATABRICKS_OAUTH_CLIENT_ID_REQUIRED")),
                            ("clientSecret", envelope("DS_DATABRICKS_OAUTH_CLIENT_SECRET_REQUIRED"))]:
        partial = dict(body, connectionName="databricks-test-03")
        del partial[field]
        expect(f"one call: {field} missing", request("POST", path, partial), 400, body=expected)
    expect("one call: no config was left by the failures", request("GET", f"{CONFIGS}/databricks-test-03"), 404,
           body=envelope("DS_CONNECTION_NOT_FOUND", "databricks-test-03", TENANT))
    psql(f"UPDATE dbx_oauth.database_configs SET status = 'ACTIVE' WHERE connection_name = 'databricks-test-02'")
    expect("one call: the tenant has an active connection", request("POST", path, dict(body, connectionName="databricks-test-04")),
           400, body=envelope("DS_DATABRICKS_CONNECTION_ALREADY_ACTIVE", TENANT))
    expect("delete", request("DELETE", f"{CONFIGS}/databricks-test-02"), 200,
           pattern=r'\{"successful": true, "result": \{"connection_id": "' + UUID + r'", "connection_name": "databricks-test-02", '
                   r'"tenant_id": "ce5627DYnQ6abcD", "message": "Database config deleted successfully"\}\}')
    expect("delete again", request("DELETE", f"{CONFIGS}/databricks-test-02"), 404,
           body=envelope("DS_CONNECTION_NOT_FOUND", "databricks-test-02", TENANT))


def test_server_side_failures():
    path = credentials_path("my-databricks-connection")
    reload_settings("ALTER SYSTEM SET dbx_oauth.key_file = ''")
    expect("no key configured: 500 and the catalog error", request("POST", path, {"clientId": "a", "clientSecret": secret("nokey")}),
           500, body=envelope("DS_ENCRYPTION_KEY_NOT_CONFIGURED"))
    reload_settings("ALTER SYSTEM RESET dbx_oauth.key_file")
    psql("ALTER TABLE dbx_oauth.database_configs RENAME TO database_configs_moved")
    try:
        expect("an unexpected failure: 500 without internals", request("GET", CONFIGS), 500, body=envelope("DS_INTERNAL_ERROR"))
    finally:
        psql("ALTER TABLE dbx_oauth.database_configs_moved RENAME TO database_configs")
    expect("and back to normal", request("GET", CONFIGS), 200, pattern=r'\{"successful": true, "result": \[.*\]\}')

    # A config row locked by a long transaction: a store waits 5 s at most.
    holder = subprocess.Popen(["psql", "-X", "-q", "-v", "ON_ERROR_STOP=1"], stdin=subprocess.PIPE, text=True)
    holder.stdin.write("BEGIN; SELECT FROM dbx_oauth.database_configs WHERE connection_name = 'my-databricks-connection' FOR UPDATE;\n"
                       "SELECT pg_sleep(30);\n")
    holder.stdin.flush()
    try:
        deadline = time.time() + 10
        while psql("SELECT count(*) FROM pg_locks l JOIN pg_stat_activity a USING (pid) "
                   "WHERE l.locktype = 'transactionid' AND a.query LIKE '%pg_sleep%'") == "0" and time.time() < deadline:
            time.sleep(0.1)
        started = time.time()
        reply = request("POST", path, {"clientId": "a", "clientSecret": secret("locked")})
        took = time.time() - started
        expect("a store behind a row lock: 503 after lock_timeout", reply, 503, body=envelope("DS_SERVICE_UNAVAILABLE"))
        check("after 5 s, not the holder's 30", 4.5 < took < 10, f"{took:.1f} s")
    finally:
        psql("SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE query = 'SELECT pg_sleep(30);'")
        holder.kill()
        holder.wait()


def test_statement_logging():
    """With log_statement = all, the statements are logged but not the bodies."""
    reload_settings("ALTER SYSTEM SET log_statement = 'all'")
    try:
        expect("store while every statement is logged",
               request("POST", credentials_path("my-databricks-connection"), {"clientId": "logged", "clientSecret": secret("log-all")}),
               200, pattern=STORED % "my-databricks-connection")
    finally:
        reload_settings("ALTER SYSTEM RESET log_statement")
    log = open(os.path.join(STACK_DIR, "postgresql.log"), encoding="utf-8", errors="replace").read()
    check("the statement itself was logged", '"dbx_api"."store_credentials"' in log)


def test_unavailable():
    subprocess.run(["pkill", "-f", f"{STACK_DIR}/postgrest {STACK_DIR}/postgrest.conf"], check=False)
    time.sleep(0.5)
    expect("PostgREST down: 503", request("GET", CONFIGS), 503, body=envelope("DS_SERVICE_UNAVAILABLE"))


def test_logs_hold_no_secret():
    logs = [os.path.join(STACK_DIR, name) for name in
            ("postgresql.log", "postgrest.log", "nginx-access.log", "nginx-error.log")]
    content = {path: open(path, "rb").read() for path in logs}
    for label, value in secrets_used:
        forms = [value.encode(), value.encode().hex().encode(), base64.b64encode(value.encode())]
        hits = [path for path, data in content.items() if any(form in data for form in forms)]
        check(f"secret '{label}' is in no log", not hits, hits)


def test_coverage():
    http_codes = set(psql("SELECT string_agg(code, ' ') FROM dbx_oauth.error_catalog WHERE http_only").split())
    documented = {"DS_DATABRICKS_OAUTH_CLIENT_ID_REQUIRED", "DS_DATABRICKS_OAUTH_CLIENT_SECRET_REQUIRED",
                  "DS_SNOWFLAKE_CONNECTION_ALREADY_EXISTS"}
    missing = sorted((http_codes | documented) - seen_codes)
    check("every error only the REST layer answers with was produced", not missing, missing)


def main():
    run((test_vendor_flow, test_documented_errors, test_body_errors, test_paths, test_raw_http,
         test_http_details, test_authentication, test_spoofing, test_one_call, test_server_side_failures,
         test_statement_logging, test_unavailable, test_logs_hold_no_secret, test_coverage))


if __name__ == "__main__":
    main()
