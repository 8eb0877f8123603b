-- Install the extension and the helpers the other tests use.
CREATE EXTENSION dbx_oauth CASCADE;
SELECT extname, extversion, extnamespace::regnamespace AS schema, extrelocatable
  FROM pg_extension WHERE extname IN ('dbx_oauth', 'pgcrypto') ORDER BY extname;

-- Roles the tests act as.
CREATE ROLE regress_writer LOGIN IN ROLE dbx_oauth_writer;
CREATE ROLE regress_admin LOGIN IN ROLE dbx_oauth_admin;
CREATE ROLE regress_nobody LOGIN;

CREATE SCHEMA test_helpers;
GRANT USAGE ON SCHEMA test_helpers TO PUBLIC;

-- The vendor's create body for a connection name.
CREATE FUNCTION test_helpers.example_config(name text) RETURNS json
LANGUAGE sql IMMUTABLE AS $$
SELECT format($json${"connection_name": %s, "database_type": "DATABRICKS",
  "databricks_config": {
    "workspace": {"workspace_url": "https://dbc-a1b2c3d4-e5f6.cloud.databricks.com",
                  "workspace_id": "1234567890123456", "region": "us-east-1", "cloud_provider": "AWS"},
    "sql_warehouse": {"warehouse_id": "abc123def456", "warehouse_name": "reltio-warehouse",
                      "size": "SMALL", "auto_stop": true, "auto_stop_minutes": 10},
    "share_info": {"shared_catalog_name": "reltio_interactions"},
    "connection_properties": {"query_timeout": 300, "max_pool_size": 5},
    "auth_type": "OAUTH_M2M"}}$json$, to_json(name))::json
$$;

-- A digest of everything the extension stores, ciphertext included.
CREATE FUNCTION test_helpers.state() RETURNS text
LANGUAGE sql SECURITY DEFINER SET search_path = pg_catalog AS $$
SELECT md5(coalesce(string_agg(c::text, '|' ORDER BY connection_id), ''))
  FROM dbx_oauth.database_configs c
$$;

-- Catalog codes the tests have raised; errors.sql checks every code was.
CREATE TABLE test_helpers.seen_codes (code text PRIMARY KEY);
GRANT INSERT, SELECT ON test_helpers.seen_codes TO PUBLIC;

-- Run a statement that must fail; return "SQLSTATE: message", recording the code.
CREATE FUNCTION test_helpers.error_of(query text) RETURNS text
LANGUAGE plpgsql AS $$
DECLARE
    state text;
    message text;
BEGIN
    BEGIN
        EXECUTE query;
    EXCEPTION WHEN OTHERS THEN
        GET STACKED DIAGNOSTICS state = RETURNED_SQLSTATE, message = MESSAGE_TEXT;
        INSERT INTO test_helpers.seen_codes
        SELECT m[1] FROM regexp_match(message, '^Code: ([A-Z_]+);') m WHERE m IS NOT NULL
        ON CONFLICT DO NOTHING;
        RETURN state || ': ' || message;
    END;
    RETURN 'no error';
END
$$;

-- A response with its connection id, epoch milliseconds and ISO times masked.
CREATE FUNCTION test_helpers.masked(body json) RETURNS text
LANGUAGE sql IMMUTABLE AS $$
SELECT regexp_replace(regexp_replace(regexp_replace(body::text,
       '[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}', '<uuid>', 'g'),
       '"timestamp": [0-9]{13}', '"timestamp": <ms>', 'g'),
       '"[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\.[0-9]{3}Z"', '<time>', 'g')
$$;

-- The example body with one field set (created if missing) or removed.
CREATE FUNCTION test_helpers.config_with(path text[], value jsonb) RETURNS text
LANGUAGE sql IMMUTABLE AS $$
SELECT jsonb_set(test_helpers.example_config('conn-x')::jsonb, path, value, true)::text
$$;
CREATE FUNCTION test_helpers.config_without(path text[]) RETURNS text
LANGUAGE sql IMMUTABLE AS $$
SELECT (test_helpers.example_config('conn-x')::jsonb #- path)::text
$$;
