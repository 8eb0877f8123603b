-- dbx_oauth 1.0: connection configs and sealed Databricks OAuth M2M credentials

\echo Use "CREATE EXTENSION dbx_oauth CASCADE" to load this file. \quit

-- Roles are cluster-wide: create them only where they do not exist yet
-- (DROP EXTENSION leaves them).
DO $roles$
BEGIN
    IF NOT EXISTS (SELECT FROM pg_catalog.pg_roles WHERE rolname = 'dbx_oauth_admin') THEN
        CREATE ROLE dbx_oauth_admin NOLOGIN;
    END IF;
    IF NOT EXISTS (SELECT FROM pg_catalog.pg_roles WHERE rolname = 'dbx_oauth_writer') THEN
        CREATE ROLE dbx_oauth_writer NOLOGIN;
    END IF;
    IF NOT EXISTS (SELECT FROM pg_catalog.pg_roles WHERE rolname = 'dbx_oauth_token_user') THEN
        CREATE ROLE dbx_oauth_token_user NOLOGIN;
    END IF;
END
$roles$;

-- The schema must be the one CREATE EXTENSION just made: a schema someone
-- else prepared could hold look-alike objects or be dropped by its owner.
DO $schema$
BEGIN
    IF (SELECT nspowner FROM pg_catalog.pg_namespace WHERE nspname = 'dbx_oauth')
       <> (SELECT oid FROM pg_catalog.pg_roles WHERE rolname = current_user)
       OR EXISTS (SELECT FROM pg_catalog.pg_class WHERE relnamespace = 'dbx_oauth'::regnamespace)
       OR EXISTS (SELECT FROM pg_catalog.pg_proc WHERE pronamespace = 'dbx_oauth'::regnamespace)
       OR EXISTS (SELECT FROM pg_catalog.pg_type WHERE typnamespace = 'dbx_oauth'::regnamespace)
    THEN
        RAISE EXCEPTION 'schema "dbx_oauth" already exists'
            USING ERRCODE = 'duplicate_schema',
                  HINT = 'dbx_oauth needs a schema of its own: drop or rename the existing one first.';
    END IF;
END
$schema$;

REVOKE ALL ON SCHEMA dbx_oauth FROM PUBLIC;
GRANT USAGE ON SCHEMA dbx_oauth TO dbx_oauth_admin, dbx_oauth_writer, dbx_oauth_token_user;

-- One row per connection config, with its OAuth credentials once stored.
-- The secret is only ever a sealed value (see README, "How a secret is sealed").
CREATE TABLE dbx_oauth.database_configs (
    connection_id        uuid PRIMARY KEY,
    tenant_id            text NOT NULL,
    connection_name      text NOT NULL,
    database_type        text NOT NULL CHECK (database_type = 'DATABRICKS'),
    workspace_url        text NOT NULL,
    warehouse_id         text NOT NULL,
    databricks_config    json NOT NULL,
    status               text NOT NULL DEFAULT 'PENDING' CHECK (status IN ('PENDING', 'ACTIVE')),
    created_time         timestamptz NOT NULL,
    updated_time         timestamptz NOT NULL,
    client_id            text,
    client_secret_sealed bytea,
    key_version          integer CHECK (key_version > 0),
    stored_at            timestamptz,
    stored_by            name,
    UNIQUE (tenant_id, connection_name),
    CHECK (num_nulls(client_id, client_secret_sealed, key_version, stored_at, stored_by) IN (0, 5))
);

SELECT pg_catalog.pg_extension_config_dump('dbx_oauth.database_configs', '');
REVOKE ALL ON dbx_oauth.database_configs FROM PUBLIC;

-- Connection configs

CREATE FUNCTION dbx_oauth.dbx_create_database_config(tenant text, config json)
RETURNS json LANGUAGE c VOLATILE AS 'MODULE_PATHNAME', 'dbx_create_database_config';

CREATE FUNCTION dbx_oauth.dbx_get_database_config(tenant text, connection text)
RETURNS json LANGUAGE c STABLE AS 'MODULE_PATHNAME', 'dbx_get_database_config';

CREATE FUNCTION dbx_oauth.dbx_list_database_configs(tenant text)
RETURNS json LANGUAGE c STABLE AS 'MODULE_PATHNAME', 'dbx_list_database_configs';

CREATE FUNCTION dbx_oauth.dbx_delete_database_config(tenant text, connection text)
RETURNS json LANGUAGE c VOLATILE AS 'MODULE_PATHNAME', 'dbx_delete_database_config';

-- Credentials

CREATE FUNCTION dbx_oauth.dbx_store_oauth_credentials(tenant text, connection text,
                                                      client_id text, client_secret text)
RETURNS json LANGUAGE c VOLATILE AS 'MODULE_PATHNAME', 'dbx_store_oauth_credentials';

CREATE FUNCTION dbx_oauth.dbx_check_credentials(
    OUT tenant_id text, OUT connection_name text, OUT connection_id uuid,
    OUT key_version integer, OUT status text)
RETURNS SETOF record LANGUAGE c VOLATILE AS 'MODULE_PATHNAME', 'dbx_check_credentials';

-- Access tokens and the connection test (need dbx_oauth in shared_preload_libraries).

CREATE FUNCTION dbx_oauth.dbx_get_access_token(tenant text, connection text)
RETURNS json LANGUAGE c VOLATILE AS 'MODULE_PATHNAME', 'dbx_get_access_token';

CREATE FUNCTION dbx_oauth.dbx_test_connection(tenant text, connection text)
RETURNS json LANGUAGE c VOLATILE AS 'MODULE_PATHNAME', 'dbx_test_connection';

-- Everything about stored credentials except the secret.
CREATE VIEW dbx_oauth.credential_metadata AS
SELECT tenant_id, connection_name, connection_id, client_id, stored_at, stored_by, key_version
  FROM dbx_oauth.database_configs
 WHERE client_secret_sealed IS NOT NULL;

-- Errors

CREATE FUNCTION dbx_oauth.dbx_error_catalog(
    OUT code text, OUT sqlstate text, OUT http_status integer,
    OUT parameters text[], OUT message text, OUT hint text, OUT http_only boolean)
RETURNS SETOF record LANGUAGE c IMMUTABLE AS 'MODULE_PATHNAME', 'dbx_error_catalog';

CREATE VIEW dbx_oauth.error_catalog AS
SELECT code, sqlstate, http_status, parameters, message, hint, http_only
  FROM dbx_oauth.dbx_error_catalog();

-- The HTTP error body of an entry without parameters (the proxy's bodies).
CREATE FUNCTION dbx_oauth.dbx_error_envelope(code text)
RETURNS json LANGUAGE c IMMUTABLE STRICT AS 'MODULE_PATHNAME', 'dbx_error_envelope';

-- The REST API: what PostgREST exposes, one function per route (see README, "REST").
-- Each takes the raw request body; nginx passes the path segments in headers.
CREATE SCHEMA dbx_api;
CREATE FUNCTION dbx_api.create_config(bytea) RETURNS json
LANGUAGE c VOLATILE AS 'MODULE_PATHNAME', 'dbx_api_create_config';
CREATE FUNCTION dbx_api.get_config(bytea) RETURNS json
LANGUAGE c VOLATILE AS 'MODULE_PATHNAME', 'dbx_api_get_config';
CREATE FUNCTION dbx_api.list_configs(bytea) RETURNS json
LANGUAGE c VOLATILE AS 'MODULE_PATHNAME', 'dbx_api_list_configs';
CREATE FUNCTION dbx_api.delete_config(bytea) RETURNS json
LANGUAGE c VOLATILE AS 'MODULE_PATHNAME', 'dbx_api_delete_config';
CREATE FUNCTION dbx_api.store_credentials(bytea) RETURNS json
LANGUAGE c VOLATILE AS 'MODULE_PATHNAME', 'dbx_api_store_credentials';
CREATE FUNCTION dbx_api.create_config_with_credentials(bytea) RETURNS json
LANGUAGE c VOLATILE AS 'MODULE_PATHNAME', 'dbx_api_create_config_with_credentials';
CREATE FUNCTION dbx_api.test_connection(bytea) RETURNS json
LANGUAGE c VOLATILE AS 'MODULE_PATHNAME', 'dbx_api_test_connection';

-- Privileges: PUBLIC gets nothing; see README, "Privileges".

REVOKE ALL ON ALL FUNCTIONS IN SCHEMA dbx_oauth, dbx_api FROM PUBLIC;
REVOKE ALL ON SCHEMA dbx_api FROM PUBLIC;
GRANT USAGE ON SCHEMA dbx_api TO dbx_oauth_admin, dbx_oauth_writer;
GRANT EXECUTE ON ALL FUNCTIONS IN SCHEMA dbx_api TO dbx_oauth_writer, dbx_oauth_admin;
REVOKE ALL ON dbx_oauth.credential_metadata, dbx_oauth.error_catalog FROM PUBLIC;

GRANT EXECUTE ON FUNCTION
    dbx_oauth.dbx_create_database_config(text, json),
    dbx_oauth.dbx_get_database_config(text, text),
    dbx_oauth.dbx_list_database_configs(text),
    dbx_oauth.dbx_delete_database_config(text, text),
    dbx_oauth.dbx_store_oauth_credentials(text, text, text, text),
    dbx_oauth.dbx_test_connection(text, text),
    dbx_oauth.dbx_error_catalog(),
    dbx_oauth.dbx_error_envelope(text)
  TO dbx_oauth_writer, dbx_oauth_admin;
GRANT SELECT ON dbx_oauth.error_catalog TO dbx_oauth_writer, dbx_oauth_admin;

GRANT EXECUTE ON FUNCTION dbx_oauth.dbx_check_credentials() TO dbx_oauth_admin;
GRANT EXECUTE ON FUNCTION dbx_oauth.dbx_get_access_token(text, text) TO dbx_oauth_token_user;
GRANT SELECT ON dbx_oauth.credential_metadata TO dbx_oauth_admin;
