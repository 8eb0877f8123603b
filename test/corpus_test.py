#!/usr/bin/env python3
"""The bad-input corpus: hostile and broken values through SQL and through
the REST routes, each case stating its exact error (SQLSTATE and catalog
message, or HTTP status and body) and checking that nothing changed: the
configs, credentials and grants hash the same after the call as before,
and no successful action joined the audit trail.

Runs against the stack of test/http.sh."""
import json
import os
import subprocess

from http_test import CONFIGS, TENANT, TEXTS, WRITER, credentials_path, envelope, request, token
from suite import check, run

TEXTS.update({
    "DS_TENANT_ID_REQUIRED": "Tenant ID is required. The tenant ID cannot be null or empty.",
    "DS_DATABRICKS_OAUTH_CLIENT_ID_INVALID": "Databricks OAuth client ID is invalid. The clientId field cannot contain control characters or ':'.",
    "DS_DATABRICKS_OAUTH_CLIENT_SECRET_INVALID": "Databricks OAuth client secret is invalid. The clientSecret field cannot contain control characters such as line breaks.",
    "DS_FIELD_VALUE_INVALID": "Invalid field value. The {0} field cannot contain control characters.",
    "DS_DATABASE_TYPE_UNSUPPORTED": "Unsupported database type. The database_type field must be DATABRICKS.",
    "DS_AUTH_TYPE_UNSUPPORTED": "Unsupported authentication type. The auth_type field must be OAUTH_M2M; personal access tokens are not supported.",
    "DS_DATABRICKS_HOST_NOT_ALLOWED": "Databricks host not allowed. The workspace host {0} is not one that dbx_oauth.token_allowed_hosts lets tokens be requested from.",
    "DS_CHARACTER_NOT_SUPPORTED": "Character not supported. The request contains a character that the database's encoding cannot store.",
})
SQLSTATES = {
    "DS_TENANT_ID_REQUIRED": "22023", "DS_TENANT_ID_INVALID": "22023", "DS_CONNECTION_NAME_REQUIRED": "22023",
    "DS_CONNECTION_NAME_INVALID": "22023", "DS_CONNECTION_NOT_FOUND": "42704",
    "DS_DATABRICKS_OAUTH_CLIENT_ID_REQUIRED": "22023", "DS_DATABRICKS_OAUTH_CLIENT_ID_INVALID": "22023",
    "DS_DATABRICKS_OAUTH_CLIENT_SECRET_REQUIRED": "22023", "DS_DATABRICKS_OAUTH_CLIENT_SECRET_INVALID": "22023",
    "DS_VALUE_TOO_LONG": "22001", "DS_INVALID_REQUEST_BODY": "22P02", "DS_JSON_DUPLICATE_KEY": "22030",
    "DS_FIELD_REQUIRED": "22023", "DS_FIELD_TYPE_INVALID": "22023", "DS_FIELD_VALUE_INVALID": "22023",
    "DS_DATABASE_TYPE_UNSUPPORTED": "22023", "DS_AUTH_TYPE_UNSUPPORTED": "22023",
    "DS_DATABRICKS_WORKSPACE_URL_INVALID": "22023", "DS_DATABRICKS_HOST_NOT_ALLOWED": "22023",
    "DS_SNOWFLAKE_CONNECTION_ALREADY_EXISTS": "42710", "DS_ACCESS_DENIED": "42501",
}
CONN = "corpus-conn"
MB = 1024 * 1024

STATE = """SELECT md5(concat(
    (SELECT string_agg(c::text, '|' ORDER BY connection_id) FROM dbx_oauth.database_configs c), '#',
    (SELECT string_agg(g::text, '|' ORDER BY grantee::oid, tenant_id) FROM dbx_oauth.tenant_grants g), '#',
    (SELECT count(*) FROM dbx_oauth.audit_log WHERE outcome = 'ok')))"""


def psql(script):
    """Run a script through psql's standard input (values can be megabytes); returns (stdout, stderr)."""
    done = subprocess.run(["psql", "-X", "-At", "-q", "-v", "VERBOSITY=verbose"], input=script,
                          capture_output=True, text=True)
    return done.stdout.strip(), done.stderr


def state():
    return psql(STATE + ";")[0]


class Raw(str):
    """A SQL expression, put into the statement as it is."""


def lit(value):
    if value is None:
        return "NULL"
    if isinstance(value, Raw):
        return value
    escaped = "".join("\\\\" if c == "\\" else "\\'" if c == "'" else
                      f"\\x{ord(c):02x}" if ord(c) < 0x20 or ord(c) == 0x7f else c for c in value)
    return f"E'{escaped}'"


def message(code, params):
    return f"Code: {code}; Message parameters: [{', '.join(params)}]. {TEXTS[code].format(*params)}"


def expect_sql(name, function, args, code, *params, role=None):
    """Call dbx_oauth.<function>(args) and expect exactly the catalog error code(params)."""
    before = state()
    call = f"SELECT dbx_oauth.{function}({', '.join(lit(a) for a in args)});"
    _, err = psql((f"SET ROLE {role};\n" if role else "") + call)
    wanted = f"ERROR:  {SQLSTATES[code]}: {message(code, params)}"
    got = next((line for line in err.splitlines() if line.startswith("ERROR:")), err.strip()[:300])
    after = state()
    check(f"SQL: {name}", got == wanted and before == after,
          f"\n    got      {got}\n    expected {wanted}" + ("" if before == after else "\n    and the state changed"))


def expect_http(name, method, path, body, status, code, *params, content_type="application/json", auth=WRITER):
    before = state()
    got_status, _, got_body = request(method, path, body, auth=auth, content_type=content_type)
    wanted = envelope(code, *params)
    after = state()
    check(f"HTTP: {name}", got_status == status and got_body == wanted and before == after,
          f"\n    got      {got_status} {got_body[:300]}\n    expected {status} {wanted}" +
          ("" if before == after else "\n    and the state changed"))


def config(name=CONN, **changes):
    body = {"connection_name": name, "database_type": "DATABRICKS", "databricks_config": {
        "workspace": {"workspace_url": "https://dbc-a1b2c3d4-e5f6.cloud.databricks.com"},
        "sql_warehouse": {"warehouse_id": "abc123def456", "auto_stop_minutes": 10},
        "share_info": {"shared_catalog_name": "reltio_interactions"}, "auth_type": "OAUTH_M2M"}}
    for path, value in changes.items():
        target = body
        *parents, last = path.split("__")
        for parent in parents:
            target = target[parent]
        if value is KeyError:
            del target[last]
        else:
            target[last] = value
    return json.dumps(body)


def setup():
    """A config with credentials, and a writer granted only this tenant."""
    psql(f"""SET client_min_messages = warning;
        SELECT dbx_oauth.dbx_create_database_config('{TENANT}', {lit(config())}::json);
        SELECT dbx_oauth.dbx_store_oauth_credentials('{TENANT}', '{CONN}', 'corpus-client', 'corpus-secret');
        DO $$BEGIN CREATE ROLE corpus_writer NOLOGIN IN ROLE dbx_oauth_writer;
           EXCEPTION WHEN duplicate_object THEN NULL; END$$;
        SELECT dbx_oauth.dbx_grant_tenant('corpus_writer', '{TENANT}');""")
    check("the corpus config exists", psql(f"SELECT count(*) FROM dbx_oauth.credential_metadata WHERE connection_name = '{CONN}'")[0] == "1")


def sql_store_cases():
    """dbx_store_oauth_credentials: every argument broken every way."""
    def store(name, tenant, conn, client_id, secret, code, *params, role=None):
        expect_sql(name, "dbx_store_oauth_credentials", [tenant, conn, client_id, secret], code, *params, role=role)

    ok = dict(tenant=TENANT, conn=CONN, client_id="new-client", secret="new-secret")

    def case(name, code, *params, role=None, **changes):
        args = dict(ok, **changes)
        store(name, args["tenant"], args["conn"], args["client_id"], args["secret"], code, *params, role=role)

    case("null tenant", "DS_TENANT_ID_REQUIRED", tenant=None)
    case("empty tenant", "DS_TENANT_ID_REQUIRED", tenant="")
    case("blank tenant (spaces and a tab)", "DS_TENANT_ID_REQUIRED", tenant=" \t ")
    case("tenant with a space", "DS_TENANT_ID_INVALID", tenant="ten ant")
    case("tenant of 65 characters", "DS_TENANT_ID_INVALID", tenant="t" * 65)
    case("non-ASCII tenant", "DS_TENANT_ID_INVALID", tenant="t\u00e9nant")
    case("tenant with a line break", "DS_TENANT_ID_INVALID", tenant="ten\nant")
    case("tenant the role was not granted", "DS_ACCESS_DENIED", "otherTenant99", role="corpus_writer", tenant="otherTenant99")
    case("null connection name", "DS_CONNECTION_NAME_REQUIRED", conn=None)
    case("connection name of ideographic spaces", "DS_CONNECTION_NAME_REQUIRED", conn="\u3000\u3000")
    case("path traversal as a connection name", "DS_CONNECTION_NAME_INVALID", conn="../../etc/passwd")
    case("URL-encoded slash in a connection name", "DS_CONNECTION_NAME_INVALID", conn="a%2Fb")
    case("connection name starting with '-'", "DS_CONNECTION_NAME_INVALID", conn="-conn")
    case("connection name of 129 characters", "DS_CONNECTION_NAME_INVALID", conn="c" * 129)
    case("non-ASCII connection name", "DS_CONNECTION_NAME_INVALID", conn="caf\u00e9")
    case("connection that does not exist", "DS_CONNECTION_NOT_FOUND", "no-such-conn", TENANT, conn="no-such-conn")
    case("null client ID", "DS_DATABRICKS_OAUTH_CLIENT_ID_REQUIRED", client_id=None)
    case("client ID of zero-width spaces", "DS_DATABRICKS_OAUTH_CLIENT_ID_REQUIRED", client_id="\u200b\ufeff")
    case("client ID with ':'", "DS_DATABRICKS_OAUTH_CLIENT_ID_INVALID", client_id="user:name")
    case("client ID with DEL", "DS_DATABRICKS_OAUTH_CLIENT_ID_INVALID", client_id="id\x7f")
    case("client ID of 257 characters", "DS_VALUE_TOO_LONG", "clientId", "256", client_id="i" * 257)
    case("client ID of 257 two-byte characters", "DS_VALUE_TOO_LONG", "clientId", "256", client_id="\u00e9" * 257)
    case("client ID of 3 MB", "DS_VALUE_TOO_LONG", "clientId", "256", client_id=Raw(f"repeat('c', {3 * MB})"))
    case("null secret", "DS_DATABRICKS_OAUTH_CLIENT_SECRET_REQUIRED", secret=None)
    case("secret of line breaks", "DS_DATABRICKS_OAUTH_CLIENT_SECRET_REQUIRED", secret="\r\n")
    case("secret ending in a line break", "DS_DATABRICKS_OAUTH_CLIENT_SECRET_INVALID", secret="secret\n")
    case("secret with a C1 control (U+0085)", "DS_DATABRICKS_OAUTH_CLIENT_SECRET_INVALID", secret="sec\u0085ret")
    case("secret of 1025 characters", "DS_VALUE_TOO_LONG", "clientSecret", "1024", secret="s" * 1025)
    case("secret of 5 MB", "DS_VALUE_TOO_LONG", "clientSecret", "1024", secret=Raw(f"repeat('s', {5 * MB})"))


def sql_config_cases():
    """dbx_create_database_config and the other config functions."""
    def create(name, body, code, *params, tenant=TENANT):
        expect_sql(name, "dbx_create_database_config", [tenant, Raw(f"{lit(body)}::json") if body is not None else None],
                   code, *params)

    create("null body", None, "DS_INVALID_REQUEST_BODY")
    create("an array", "[]", "DS_INVALID_REQUEST_BODY")
    create("a string", '"config"', "DS_INVALID_REQUEST_BODY")
    create("duplicate key", '{"connection_name": "a", "connection_name": "b"}', "DS_JSON_DUPLICATE_KEY")
    create("nested 100 deep", "[" * 100 + "]" * 100, "DS_INVALID_REQUEST_BODY")
    create("connection_name an object", config(connection_name={"name": "x"}), "DS_FIELD_TYPE_INVALID", "connection_name", "string")
    create("connection_name a path", config(connection_name="../x"), "DS_CONNECTION_NAME_INVALID")
    create("database_type SNOWFLAKE", config(database_type="SNOWFLAKE"), "DS_DATABASE_TYPE_UNSUPPORTED")
    create("auth_type PAT", config(databricks_config__auth_type="PAT"), "DS_AUTH_TYPE_UNSUPPORTED")
    create("workspace URL with a user name", config(databricks_config__workspace__workspace_url="https://user@dbc-1.cloud.databricks.com"),
           "DS_DATABRICKS_WORKSPACE_URL_INVALID")
    create("workspace URL with a path", config(databricks_config__workspace__workspace_url="https://dbc-1.cloud.databricks.com/x"),
           "DS_DATABRICKS_WORKSPACE_URL_INVALID")
    create("workspace host not allowed", config(databricks_config__workspace__workspace_url="https://evil.example.com"),
           "DS_DATABRICKS_HOST_NOT_ALLOWED", "evil.example.com")
    create("warehouse_id missing", config(databricks_config__sql_warehouse__warehouse_id=KeyError),
           "DS_FIELD_REQUIRED", "databricks_config.sql_warehouse.warehouse_id")
    create("warehouse_id with a tab", config(databricks_config__sql_warehouse__warehouse_id="abc\tdef"),
           "DS_FIELD_VALUE_INVALID", "databricks_config.sql_warehouse.warehouse_id")
    create("auto_stop_minutes a word", config(databricks_config__sql_warehouse__auto_stop_minutes="ten"),
           "DS_FIELD_TYPE_INVALID", "databricks_config.sql_warehouse.auto_stop_minutes", "whole number from 0 to 2147483647")
    create("region of 300 characters", config(databricks_config__workspace__region="r" * 300),
           "DS_VALUE_TOO_LONG", "databricks_config.workspace.region", "256")
    create("a name that exists", config(), "DS_SNOWFLAKE_CONNECTION_ALREADY_EXISTS", CONN, TENANT)
    create("an invalid tenant", config(), "DS_TENANT_ID_INVALID", tenant="../t")
    expect_sql("get: a traversal name", "dbx_get_database_config", [TENANT, ".."], "DS_CONNECTION_NAME_INVALID")
    expect_sql("delete: no such connection", "dbx_delete_database_config", [TENANT, "gone"], "DS_CONNECTION_NOT_FOUND", "gone", TENANT)
    expect_sql("grant: an invalid tenant", "dbx_grant_tenant", ["corpus_writer", "bad tenant"], "DS_TENANT_ID_INVALID")


def http_store_cases():
    """POST .../{connectionName}/databricks/oauth/credentials."""
    path = credentials_path(CONN)

    def store(name, body, status, code, *params, **options):
        expect_http(name, "POST", options.pop("path", path), body, status, code, *params, **options)

    store("malformed JSON", '{"clientId": "a", ', 400, "DS_INVALID_REQUEST_BODY")
    store("duplicate key", '{"clientId": "a", "clientSecret": "b", "clientSecret": "c"}', 400, "DS_JSON_DUPLICATE_KEY")
    store("clientId null", {"clientId": None, "clientSecret": "b"}, 400, "DS_DATABRICKS_OAUTH_CLIENT_ID_REQUIRED")
    store("clientId empty", {"clientId": "", "clientSecret": "b"}, 400, "DS_DATABRICKS_OAUTH_CLIENT_ID_REQUIRED")
    store("clientSecret blank", {"clientId": "a", "clientSecret": " \u00a0 "}, 400, "DS_DATABRICKS_OAUTH_CLIENT_SECRET_REQUIRED")
    store("clientSecret missing", {"clientId": "a"}, 400, "DS_DATABRICKS_OAUTH_CLIENT_SECRET_REQUIRED")
    store("clientSecret with an escaped NUL", '{"clientId": "a", "clientSecret": "a\\u0000b"}', 400, "DS_INVALID_REQUEST_BODY")
    store("clientSecret with a line break", {"clientId": "a", "clientSecret": "line\n"}, 400, "DS_DATABRICKS_OAUTH_CLIENT_SECRET_INVALID")
    store("clientId an array", {"clientId": ["a"], "clientSecret": "b"}, 400, "DS_FIELD_TYPE_INVALID", "clientId", "string")
    store("clientSecret of 2000 characters", {"clientId": "a", "clientSecret": "s" * 2000}, 400, "DS_VALUE_TOO_LONG", "clientSecret", "1024")
    store("a body of 5 MB", {"clientId": "a", "clientSecret": "s" * (5 * MB)}, 413, "DS_REQUEST_TOO_LARGE")
    store("text/plain", '{"clientId": "a", "clientSecret": "b"}', 415, "DS_UNSUPPORTED_MEDIA_TYPE", content_type="text/plain")
    store("no content type", '{"clientId": "a", "clientSecret": "b"}', 415, "DS_UNSUPPORTED_MEDIA_TYPE", content_type=None)
    store("invalid UTF-8", b'{"clientId": "\xc3\x28", "clientSecret": "b"}', 400, "DS_INVALID_REQUEST_BODY")
    store("encoded path traversal", {"clientId": "a", "clientSecret": "b"}, 400, "DS_CONNECTION_NAME_INVALID",
          path=credentials_path("..%2F..%2Fetc"))
    store("encoded slash in the name", {"clientId": "a", "clientSecret": "b"}, 400, "DS_CONNECTION_NAME_INVALID",
          path=credentials_path("a%2Fb"))
    store("non-ASCII name", {"clientId": "a", "clientSecret": "b"}, 400, "DS_CONNECTION_NAME_INVALID",
          path=credentials_path("caf%C3%A9"))
    store("name of 129 characters", {"clientId": "a", "clientSecret": "b"}, 400, "DS_CONNECTION_NAME_INVALID",
          path=credentials_path("n" * 129))
    store("unknown connection", {"clientId": "a", "clientSecret": "b"}, 404, "DS_CONNECTION_NOT_FOUND", "nobody", TENANT,
          path=credentials_path("nobody"))
    store("a tenant the token does not name", {"clientId": "a", "clientSecret": "b"}, 403, "DS_ACCESS_DENIED", "unknownTenant7",
          path=credentials_path(CONN).replace(TENANT, "unknownTenant7"))
    store("an invalid tenant", {"clientId": "a", "clientSecret": "b"}, 400, "DS_TENANT_ID_INVALID",
          path=credentials_path(CONN).replace(TENANT, "bad%20tenant"))
    store("an expired token", {"clientId": "a", "clientSecret": "b"}, 401, "DS_AUTH_TOKEN_EXPIRED",
          auth=token({"role": "dbx_oauth_api", "tenants": [TENANT], "exp": 1000}))
    store("no token", {"clientId": "a", "clientSecret": "b"}, 401, "DS_AUTH_TOKEN_REQUIRED", auth=None)


def http_config_cases():
    """POST .../database-configs, the one-call route and DELETE."""
    def create(name, body, status, code, *params, **options):
        expect_http(name, "POST", CONFIGS, body, status, code, *params, **options)

    create("an array", "[]", 400, "DS_INVALID_REQUEST_BODY")
    create("database_type MYSQL", config("c-new", database_type="MYSQL"), 400, "DS_DATABASE_TYPE_UNSUPPORTED")
    create("auth_type PAT", config("c-new", databricks_config__auth_type="PAT"), 400, "DS_AUTH_TYPE_UNSUPPORTED")
    create("javascript: workspace URL", config("c-new", databricks_config__workspace__workspace_url="javascript:alert(1)"),
           400, "DS_DATABRICKS_WORKSPACE_URL_INVALID")
    create("connection_name a path", config("../x"), 400, "DS_CONNECTION_NAME_INVALID")
    create("nested duplicate key", '{"connection_name": "c-new", "databricks_config": {"auth_type": "OAUTH_M2M", "auth_type": "PAT"}}',
           400, "DS_JSON_DUPLICATE_KEY")
    create("databricks_config a string", config("c-new", databricks_config="{}"), 400, "DS_FIELD_TYPE_INVALID", "databricks_config", "JSON object")
    create("databricks_config missing", config("c-new", databricks_config=KeyError), 400, "DS_FIELD_REQUIRED", "databricks_config")
    create("a name that exists", config(), 400, "DS_SNOWFLAKE_CONNECTION_ALREADY_EXISTS", CONN, TENANT)
    one_call = CONFIGS + "/databricks/oauth/credentials"
    full = {"connectionName": "c-one", "workspaceUrl": "https://dbc-a1b2c3d4-e5f6.cloud.databricks.com",
            "warehouseId": "abc123def456", "clientId": "a", "clientSecret": "b"}
    expect_http("one call: workspaceUrl missing", "POST", one_call, {k: v for k, v in full.items() if k != "workspaceUrl"},
                400, "DS_FIELD_REQUIRED", "workspaceUrl")
    expect_http("one call: clientSecret missing", "POST", one_call, {k: v for k, v in full.items() if k != "clientSecret"},
                400, "DS_DATABRICKS_OAUTH_CLIENT_SECRET_REQUIRED")
    expect_http("one call: connectionName with a space", "POST", one_call, dict(full, connectionName="c one"),
                400, "DS_CONNECTION_NAME_INVALID")
    expect_http("one call: warehouseId an object", "POST", one_call, dict(full, warehouseId={"id": 1}),
                400, "DS_FIELD_TYPE_INVALID", "warehouseId", "string")
    expect_http("delete: unknown connection", "DELETE", f"{CONFIGS}/nobody", None, 404, "DS_CONNECTION_NOT_FOUND", "nobody", TENANT)


LATIN1_DB = "corpus_latin1"
UTF8_CLIENT = dict(os.environ, PGCLIENTENCODING="UTF8")


def latin1_psql(script, user=None):
    done = subprocess.run(["psql", "-X", "-At", "-q", "-d", LATIN1_DB] + (["-U", user] if user else []),
                          input=script, capture_output=True, text=True, env=UTF8_CLIENT)
    return done.stdout.strip()


def latin1_call(function, body, connection=None):
    """A REST function called as PostgREST calls it, for tenant t1, with body as UTF-8."""
    headers = {"x-dbx-tenant": "t1", **({"x-dbx-connection": connection} if connection else {})}
    claims = {"role": "dbx_oauth_api", "tenants": ["t1"], "exp": 9999999999}
    data = body.encode()
    return latin1_psql(f"""BEGIN; SET LOCAL ROLE dbx_oauth_api;
        SELECT set_config('request.jwt.claims', '{json.dumps(claims)}', true),
               set_config('request.headers', '{json.dumps(headers)}', true) \\g /dev/null
        SELECT dbx_api.{function}(decode('{data.hex()}', 'hex'));
        COMMIT;""", user="dbx_authenticator")


def encoding_cases():
    """A LATIN1 database: REST bodies are UTF-8 and stored in LATIN1, JSON
    escapes included; a character LATIN1 has no equivalent for is
    DS_CHARACTER_NOT_SUPPORTED, and nothing is written."""
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    psql(f"""DROP DATABASE IF EXISTS {LATIN1_DB} WITH (FORCE);
        CREATE DATABASE {LATIN1_DB} ENCODING 'LATIN1' TEMPLATE template0 LC_COLLATE 'C' LC_CTYPE 'C';""")
    latin1_psql(f"""SET client_min_messages = warning;
        CREATE EXTENSION dbx_oauth CASCADE;
        \\i {root}/rest/setup.sql""")
    created = latin1_call("create_config", config("c1").replace("abc123def456", "w\u00fc")
                          .replace("reltio_interactions", "caf\\u00e9"))
    check("LATIN1: a config with UTF-8 and an escape", json.loads(created or "{}").get("successful") is True, created)
    stored = latin1_call("store_credentials", '{"clientId": "id-\u00e9", "clientSecret": "s\\u00e9cret"}', "c1")
    check("LATIN1: credentials with non-ASCII characters", json.loads(stored or "{}").get("status") == "success", stored)
    values = latin1_psql("""SELECT convert_to(warehouse_id, 'UTF8'),
        convert_to(databricks_config->'share_info'->>'shared_catalog_name', 'UTF8'), convert_to(client_id, 'UTF8')
        FROM dbx_oauth.database_configs""")
    check("LATIN1: stored as the characters sent", values == "\\x77c3bc|\\x636166c3a9|\\x69642dc3a9", values)
    check("LATIN1: the secret opens", latin1_psql("SELECT status FROM dbx_oauth.dbx_check_credentials()") == "ok")

    before = latin1_psql(STATE + ";")
    for name, body, connection in [
            ("a euro sign", config("c2").replace("abc123def456", "w\u20ac"), None),
            ("an escaped euro sign", config("c2").replace("abc123def456", "w\\u20ac"), None),
            ("a euro sign in an unknown field", config("c2").replace('"connection_name"', '"note": "\u20ac", "connection_name"'), None),
            ("a secret with a euro sign", '{"clientId": "a", "clientSecret": "\u20ac"}', "c1"),
            ("a secret with an escaped euro sign", '{"clientId": "a", "clientSecret": "\\u20ac"}', "c1")]:
        got = latin1_call("store_credentials" if connection else "create_config", body, connection)
        check(f"LATIN1: {name}", got == envelope("DS_CHARACTER_NOT_SUPPORTED") and latin1_psql(STATE + ";") == before,
              f"\n    got {got[:300]}")
    psql(f"DROP DATABASE {LATIN1_DB} WITH (FORCE);")


def cleanup():
    psql(f"""SELECT dbx_oauth.dbx_revoke_tenant('corpus_writer', '{TENANT}');
        DROP ROLE corpus_writer;
        SELECT dbx_oauth.dbx_delete_database_config('{TENANT}', '{CONN}');""")


if __name__ == "__main__":
    run((setup, sql_store_cases, sql_config_cases, http_store_cases, http_config_cases, encoding_cases, cleanup))
