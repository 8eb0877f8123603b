-- Privileges: PUBLIC has nothing; writers use the API; only admins see
-- metadata and run the check; nobody reads the tables or the key setting.
SELECT 'schema' AS kind, nspname::text AS object, acl.privilege_type
  FROM pg_namespace, aclexplode(nspacl) acl
 WHERE nspname = 'dbx_oauth' AND acl.grantee = 0
UNION ALL
SELECT 'relation', relname::text, acl.privilege_type
  FROM pg_class, aclexplode(coalesce(relacl, acldefault('r', relowner))) acl
 WHERE relnamespace = 'dbx_oauth'::regnamespace AND acl.grantee = 0
UNION ALL
SELECT 'function', proname::text, acl.privilege_type
  FROM pg_proc, aclexplode(coalesce(proacl, acldefault('f', proowner))) acl
 WHERE pronamespace = 'dbx_oauth'::regnamespace AND acl.grantee = 0;

-- Who may execute what.
SELECT p.proname, r.rolname
  FROM pg_proc p, aclexplode(p.proacl) acl, pg_roles r
 WHERE p.pronamespace = 'dbx_oauth'::regnamespace AND acl.grantee = r.oid AND acl.privilege_type = 'EXECUTE'
   AND r.rolname LIKE 'dbx_oauth_%'
 ORDER BY 1, 2;

SELECT dbx_oauth.dbx_create_database_config('ce5627DYnQ6abcD', test_helpers.example_config(n))->'result'->>'status'
  FROM (VALUES ('priv-conn'), ('other-conn')) AS c(n);

-- A role with no grant can do nothing at all.
SET ROLE regress_nobody;
SELECT n, test_helpers.error_of(query)
  FROM (VALUES
    (1, $$SELECT dbx_oauth.dbx_store_oauth_credentials('ce5627DYnQ6abcD', 'priv-conn', 'id', 'secret')$$),
    (2, $$SELECT dbx_oauth.dbx_create_database_config('ce5627DYnQ6abcD', test_helpers.example_config('x'))$$),
    (3, $$SELECT dbx_oauth.dbx_get_database_config('ce5627DYnQ6abcD', 'priv-conn')$$),
    (4, $$SELECT dbx_oauth.dbx_list_database_configs('ce5627DYnQ6abcD')$$),
    (5, $$SELECT dbx_oauth.dbx_delete_database_config('ce5627DYnQ6abcD', 'priv-conn')$$),
    (6, $$SELECT * FROM dbx_oauth.credential_metadata$$),
    (7, $$SELECT * FROM dbx_oauth.dbx_check_credentials()$$),
    (8, $$SELECT * FROM dbx_oauth.database_configs$$),
    (9, $$SELECT * FROM dbx_oauth.error_catalog$$),
    (10, $$SHOW dbx_oauth.key_file$$)
  ) AS cases(n, query)
 ORDER BY n;
RESET ROLE;

-- A writer granted the tenant stores and reads configs, and is recorded as the one who stored.
SELECT dbx_oauth.dbx_grant_tenant('regress_writer', 'ce5627DYnQ6abcD');
SET ROLE regress_writer;
SELECT dbx_oauth.dbx_store_oauth_credentials('ce5627DYnQ6abcD', 'priv-conn', 'writer-id', 'writer-secret')->'data'->>'status';
SELECT dbx_oauth.dbx_get_database_config('ce5627DYnQ6abcD', 'priv-conn')->'result'->'databricks_config'->>'oauth_client_id';
SELECT count(*) FROM dbx_oauth.error_catalog;
SELECT n, test_helpers.error_of(query)
  FROM (VALUES
    (1, $$SELECT * FROM dbx_oauth.credential_metadata$$),
    (2, $$SELECT * FROM dbx_oauth.dbx_check_credentials()$$),
    (3, $$SELECT client_secret_sealed FROM dbx_oauth.database_configs$$),
    (4, $$SELECT connection_name FROM dbx_oauth.database_configs$$),
    (5, $$UPDATE dbx_oauth.database_configs SET client_id = 'x'$$),
    (6, $$SET dbx_oauth.key_file = '/tmp/evil.key'$$),
    (7, $$SHOW dbx_oauth.key_file$$)
  ) AS cases(n, query)
 ORDER BY n;
SELECT count(*) AS key_file_visible FROM pg_settings WHERE name = 'dbx_oauth.key_file';
RESET ROLE;

-- An admin sees metadata (never a secret) and runs the check.
SET ROLE regress_admin;
SELECT tenant_id, connection_name, client_id, stored_by, key_version,
       stored_at > now() - interval '1 minute' AS recent
  FROM dbx_oauth.credential_metadata;
SELECT connection_name, status FROM dbx_oauth.dbx_check_credentials();
SELECT test_helpers.error_of($$SELECT * FROM dbx_oauth.database_configs$$);
RESET ROLE;

-- A hostile search_path changes nothing: look-alike functions and operators
-- in a schema the caller controls are never used.
CREATE SCHEMA regress_evil;
GRANT USAGE, CREATE ON SCHEMA regress_evil TO regress_writer;
SET ROLE regress_writer;
CREATE FUNCTION regress_evil.hmac(bytea, bytea, text) RETURNS bytea
  LANGUAGE sql AS $$ SELECT '\x00'::bytea $$;
CREATE FUNCTION regress_evil.encrypt_iv(bytea, bytea, bytea, text) RETURNS bytea
  LANGUAGE sql AS $$ SELECT $1 $$;
CREATE FUNCTION regress_evil.text_eq(text, text) RETURNS boolean
  LANGUAGE sql AS $$ SELECT true $$;
CREATE OPERATOR regress_evil.= (LEFTARG = text, RIGHTARG = text, FUNCTION = regress_evil.text_eq);
CREATE TABLE regress_evil.database_configs (connection_id uuid);
SET search_path = regress_evil, pg_catalog, public;
SELECT dbx_oauth.dbx_store_oauth_credentials('ce5627DYnQ6abcD', 'priv-conn', 'evil-id', 'evil-secret')->'data'->>'status';
SELECT test_helpers.error_of($$SELECT dbx_oauth.dbx_get_database_config('ce5627DYnQ6abcD', 'no-such')$$);
RESET search_path;
RESET ROLE;
SELECT connection_name, client_id, status
  FROM dbx_oauth.credential_metadata JOIN dbx_oauth.dbx_check_credentials() USING (connection_name);
SELECT position(convert_to('evil-secret', 'UTF8') IN client_secret_sealed) AS plaintext_position
  FROM dbx_oauth.database_configs WHERE client_secret_sealed IS NOT NULL;
DROP SCHEMA regress_evil CASCADE;

SELECT dbx_oauth.dbx_delete_database_config('ce5627DYnQ6abcD', n)->>'successful'
  FROM (VALUES ('priv-conn'), ('other-conn')) AS c(n);
SELECT dbx_oauth.dbx_revoke_tenant('regress_writer', 'ce5627DYnQ6abcD');
