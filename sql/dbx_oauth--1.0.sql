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
    IF NOT EXISTS (SELECT FROM pg_catalog.pg_roles WHERE rolname = 'dbx_oauth_api') THEN
        CREATE ROLE dbx_oauth_api NOLOGIN;
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

-- Constrained values are domains: their checks are prepared once a session,
-- where a table's CHECK constraints are prepared again by every statement.
CREATE DOMAIN dbx_oauth.database_type AS text CHECK (VALUE = 'DATABRICKS');
CREATE DOMAIN dbx_oauth.config_status AS text CHECK (VALUE IN ('PENDING', 'ACTIVE'));
CREATE DOMAIN dbx_oauth.key_version AS integer CHECK (VALUE > 0);
CREATE DOMAIN dbx_oauth.audit_outcome AS text CHECK (VALUE IN ('ok', 'denied', 'failed'));

-- One row per connection config, with its OAuth credentials once stored.
-- The secret is only ever a sealed value (see README, "How a secret is sealed").
CREATE TABLE dbx_oauth.database_configs (
    connection_id        uuid PRIMARY KEY,
    tenant_id            text NOT NULL,
    connection_name      text NOT NULL,
    database_type        dbx_oauth.database_type NOT NULL,
    workspace_url        text NOT NULL,
    warehouse_id         text NOT NULL,
    databricks_config    json NOT NULL,
    status               dbx_oauth.config_status NOT NULL DEFAULT 'PENDING',
    created_time         timestamptz NOT NULL,
    updated_time         timestamptz NOT NULL,
    client_id            text,
    client_secret_sealed bytea,
    key_version          dbx_oauth.key_version,
    stored_at            timestamptz,
    stored_by            name,
    store_count          integer NOT NULL DEFAULT 0,  -- credentials stored so far
    UNIQUE (tenant_id, connection_name)
);
-- The five credential columns are set together, by one UPDATE of the
-- extension's (storage.c), or none is.  No CHECK says so: PostgreSQL parses
-- and plans a table's CHECK constraints again for every statement, a
-- seventh of a store's time, and nobody else can write the table.

-- Which roles may act for which tenants ('*': every tenant); see README, "Security model".
CREATE TABLE dbx_oauth.tenant_grants (
    grantee    regrole NOT NULL,
    tenant_id  text NOT NULL,
    granted_at timestamptz NOT NULL,
    granted_by name NOT NULL,
    PRIMARY KEY (grantee, tenant_id)
);

-- Backends keep the grants they read until the table changes.
CREATE FUNCTION dbx_oauth.tenant_grants_changed() RETURNS trigger
LANGUAGE c AS 'MODULE_PATHNAME', 'dbx_tenant_grants_changed';
CREATE TRIGGER grants_changed AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON dbx_oauth.tenant_grants
FOR EACH STATEMENT EXECUTE FUNCTION dbx_oauth.tenant_grants_changed();
-- Whatever session_replication_role says (logical replication applies as a replica).
ALTER TABLE dbx_oauth.tenant_grants ENABLE ALWAYS TRIGGER grants_changed;

-- The audit trail: append-only, written by the extension only, never a secret.
CREATE TABLE dbx_oauth.audit_log (
    id                bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    at                timestamptz NOT NULL,
    actor             name NOT NULL,
    session_user_name name NOT NULL,
    jwt_subject       text,
    action            text NOT NULL,
    outcome           dbx_oauth.audit_outcome NOT NULL,
    tenant_id         text,
    connection_name   text,
    detail            text
);
CREATE INDEX ON dbx_oauth.audit_log (tenant_id, at);

CREATE FUNCTION dbx_oauth.audit_log_is_append_only() RETURNS trigger
LANGUAGE plpgsql SET search_path = pg_catalog AS $trigger$
BEGIN
    RAISE EXCEPTION 'dbx_oauth.audit_log is append-only'
        USING ERRCODE = 'insufficient_privilege';
END
$trigger$;
CREATE TRIGGER append_only BEFORE UPDATE OR DELETE ON dbx_oauth.audit_log
    FOR EACH ROW EXECUTE FUNCTION dbx_oauth.audit_log_is_append_only();
CREATE TRIGGER append_only_truncate BEFORE TRUNCATE ON dbx_oauth.audit_log
    FOR EACH STATEMENT EXECUTE FUNCTION dbx_oauth.audit_log_is_append_only();

SELECT pg_catalog.pg_extension_config_dump('dbx_oauth.database_configs', '');
SELECT pg_catalog.pg_extension_config_dump('dbx_oauth.tenant_grants', '');
SELECT pg_catalog.pg_extension_config_dump('dbx_oauth.audit_log', '');
SELECT pg_catalog.pg_extension_config_dump('dbx_oauth.audit_log_id_seq', '');
REVOKE ALL ON dbx_oauth.database_configs, dbx_oauth.tenant_grants, dbx_oauth.audit_log FROM PUBLIC;

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

-- Key rotation (admins): seal every secret, and the cached tokens, under the newest key.
-- CALL it outside a transaction block: it commits after every batch of 100.
CREATE PROCEDURE dbx_oauth.dbx_reencrypt_credentials()
LANGUAGE c AS 'MODULE_PATHNAME', 'dbx_reencrypt_credentials';

-- Tenant grants (admins).
CREATE FUNCTION dbx_oauth.dbx_grant_tenant(role regrole, tenant text)
RETURNS boolean LANGUAGE c VOLATILE AS 'MODULE_PATHNAME', 'dbx_grant_tenant';
CREATE FUNCTION dbx_oauth.dbx_revoke_tenant(role regrole, tenant text)
RETURNS boolean LANGUAGE c VOLATILE AS 'MODULE_PATHNAME', 'dbx_revoke_tenant';

-- dbx_oauth.credential_max_age, in days.
CREATE FUNCTION dbx_oauth.dbx_credential_max_age() RETURNS integer
LANGUAGE c STABLE AS 'MODULE_PATHNAME', 'dbx_credential_max_age';

-- Everything about stored credentials except the secret.
CREATE VIEW dbx_oauth.credential_metadata AS
SELECT tenant_id, connection_name, connection_id, client_id, stored_at, stored_by, key_version,
       pg_catalog.date_trunc('day', pg_catalog.now() - stored_at) AS age,
       stored_at < pg_catalog.now() - pg_catalog.make_interval(days => dbx_oauth.dbx_credential_max_age())
         AS stale
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

-- Privileges: PUBLIC gets nothing; see README, "Security model".

REVOKE ALL ON ALL FUNCTIONS IN SCHEMA dbx_oauth, dbx_api FROM PUBLIC;
REVOKE ALL ON ALL PROCEDURES IN SCHEMA dbx_oauth FROM PUBLIC;
REVOKE ALL ON SCHEMA dbx_api FROM PUBLIC;
REVOKE ALL ON FUNCTION dbx_oauth.audit_log_is_append_only() FROM PUBLIC;
-- The REST functions are PostgREST's (its role for tokens); they refuse
-- sessions of any other login than dbx_oauth.rest_authenticator.
GRANT USAGE ON SCHEMA dbx_api, dbx_oauth TO dbx_oauth_api;
GRANT EXECUTE ON ALL FUNCTIONS IN SCHEMA dbx_api TO dbx_oauth_api;
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
-- Token users read the catalog too: their errors are in it.
GRANT EXECUTE ON FUNCTION dbx_oauth.dbx_error_catalog(), dbx_oauth.dbx_error_envelope(text)
  TO dbx_oauth_token_user;
GRANT SELECT ON dbx_oauth.error_catalog TO dbx_oauth_token_user;

GRANT EXECUTE ON PROCEDURE dbx_oauth.dbx_reencrypt_credentials() TO dbx_oauth_admin;
GRANT EXECUTE ON FUNCTION dbx_oauth.dbx_check_credentials(), dbx_oauth.dbx_credential_max_age(),
    dbx_oauth.dbx_grant_tenant(regrole, text), dbx_oauth.dbx_revoke_tenant(regrole, text)
  TO dbx_oauth_admin;
GRANT SELECT ON dbx_oauth.tenant_grants, dbx_oauth.audit_log TO dbx_oauth_admin;
GRANT EXECUTE ON FUNCTION dbx_oauth.dbx_get_access_token(text, text) TO dbx_oauth_token_user;
GRANT SELECT ON dbx_oauth.credential_metadata TO dbx_oauth_admin;
