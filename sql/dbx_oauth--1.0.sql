-- dbx_oauth 1.0: connection configs and sealed Databricks OAuth M2M credentials

\echo Use "CREATE EXTENSION dbx_oauth CASCADE" to load this file. \quit

-- Roles are cluster-wide: create them only where they do not exist yet.
DO $roles$
BEGIN
    IF NOT EXISTS (SELECT FROM pg_catalog.pg_roles WHERE rolname = 'dbx_oauth_admin') THEN
        CREATE ROLE dbx_oauth_admin NOLOGIN;
    END IF;
    IF NOT EXISTS (SELECT FROM pg_catalog.pg_roles WHERE rolname = 'dbx_oauth_writer') THEN
        CREATE ROLE dbx_oauth_writer NOLOGIN;
    END IF;
END
$roles$;

REVOKE ALL ON SCHEMA dbx_oauth FROM PUBLIC;
GRANT USAGE ON SCHEMA dbx_oauth TO dbx_oauth_admin, dbx_oauth_writer;

CREATE TABLE dbx_oauth.database_configs (
    connection_id     uuid PRIMARY KEY,
    tenant_id         text NOT NULL,
    connection_name   text NOT NULL,
    database_type     text NOT NULL CHECK (database_type = 'DATABRICKS'),
    workspace_url     text NOT NULL,
    warehouse_id      text NOT NULL,
    databricks_config json NOT NULL,
    status            text NOT NULL DEFAULT 'PENDING' CHECK (status IN ('PENDING', 'ACTIVE')),
    created_time      timestamptz NOT NULL,
    updated_time      timestamptz NOT NULL,
    UNIQUE (tenant_id, connection_name)
);

-- One row per config; the secret only as a sealed value (see README, "Encryption").
CREATE TABLE dbx_oauth.oauth_credentials (
    connection_id        uuid PRIMARY KEY
                         REFERENCES dbx_oauth.database_configs ON DELETE CASCADE,
    client_id            text NOT NULL,
    client_secret_sealed bytea NOT NULL,
    key_version          integer NOT NULL CHECK (key_version > 0),
    stored_at            timestamptz NOT NULL,
    stored_by            name NOT NULL
);

SELECT pg_catalog.pg_extension_config_dump('dbx_oauth.database_configs', '');
SELECT pg_catalog.pg_extension_config_dump('dbx_oauth.oauth_credentials', '');

REVOKE ALL ON dbx_oauth.database_configs, dbx_oauth.oauth_credentials FROM PUBLIC;

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

-- Everything about stored credentials except the secret.
CREATE VIEW dbx_oauth.credential_metadata AS
SELECT c.tenant_id, c.connection_name, c.connection_id,
       k.client_id, k.stored_at, k.stored_by, k.key_version
  FROM dbx_oauth.oauth_credentials k
  JOIN dbx_oauth.database_configs c ON c.connection_id = k.connection_id;

-- Errors

CREATE FUNCTION dbx_oauth.dbx_error_catalog(
    OUT code text, OUT sqlstate text, OUT http_status integer,
    OUT parameters text[], OUT message text, OUT hint text)
RETURNS SETOF record LANGUAGE c IMMUTABLE AS 'MODULE_PATHNAME', 'dbx_error_catalog';

CREATE VIEW dbx_oauth.error_catalog AS
SELECT code, sqlstate, http_status, parameters, message, hint
  FROM dbx_oauth.dbx_error_catalog();

-- Privileges: PUBLIC gets nothing; see README, "Privileges".

REVOKE ALL ON ALL FUNCTIONS IN SCHEMA dbx_oauth FROM PUBLIC;
REVOKE ALL ON dbx_oauth.credential_metadata, dbx_oauth.error_catalog FROM PUBLIC;

GRANT EXECUTE ON FUNCTION
    dbx_oauth.dbx_create_database_config(text, json),
    dbx_oauth.dbx_get_database_config(text, text),
    dbx_oauth.dbx_list_database_configs(text),
    dbx_oauth.dbx_delete_database_config(text, text),
    dbx_oauth.dbx_store_oauth_credentials(text, text, text, text),
    dbx_oauth.dbx_error_catalog()
  TO dbx_oauth_writer, dbx_oauth_admin;
GRANT SELECT ON dbx_oauth.error_catalog TO dbx_oauth_writer, dbx_oauth_admin;

GRANT EXECUTE ON FUNCTION dbx_oauth.dbx_check_credentials() TO dbx_oauth_admin;
GRANT SELECT ON dbx_oauth.credential_metadata TO dbx_oauth_admin;
