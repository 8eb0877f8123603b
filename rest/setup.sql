-- The roles PostgREST needs, for a database where dbx_oauth is installed.
-- Run once as a superuser: psql -f rest/setup.sql.  See README, "REST".

DO $roles$
BEGIN
    -- PostgREST logs in as the authenticator and switches to the role a
    -- token names.  Give it a password (or a certificate) in production.
    IF NOT EXISTS (SELECT FROM pg_catalog.pg_roles WHERE rolname = 'dbx_authenticator') THEN
        CREATE ROLE dbx_authenticator LOGIN NOINHERIT;
    END IF;
    -- Requests without a token run as this role, which may do nothing.
    IF NOT EXISTS (SELECT FROM pg_catalog.pg_roles WHERE rolname = 'dbx_api_anon') THEN
        CREATE ROLE dbx_api_anon NOLOGIN;
    END IF;
END
$roles$;

-- The roles a token may name ("role" claim): dbx_oauth_api, whose tenants
-- are the token's "tenants" claim.
GRANT dbx_api_anon, dbx_oauth_api TO dbx_authenticator;

-- Request bodies reach PostgreSQL as bind parameter $1 and carry secrets:
-- never log parameter values of PostgREST's sessions, whatever
-- log_statement or log_min_duration_statement say.
ALTER ROLE dbx_authenticator SET log_parameter_max_length = 0;
ALTER ROLE dbx_authenticator SET log_parameter_max_length_on_error = 0;

-- A request waits at most 5 s for a row lock (a long transaction holding a
-- config's row, a re-encryption run inside a transaction block), then
-- answers 503: waiting longer would hold one of PostgREST's pooled
-- connections, which every tenant shares.
ALTER ROLE dbx_authenticator SET lock_timeout = '5s';
