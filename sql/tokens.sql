-- Access tokens and the connection test, as far as no Databricks is needed:
-- every failure found before a request is sent, and who may get a token.
-- (test/token_test.py covers the exchanges with a stand-in workspace.)
\getenv keydir DBX_TEST_KEYDIR
\! umask 077; printf '1:00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff\n' > "$DBX_TEST_KEYDIR/tokens.key"
\set f :keydir '/tokens.key'
SET dbx_oauth.key_file = :'f';

SELECT dbx_oauth.dbx_create_database_config('tokTenant', test_helpers.example_config(n))->'result'->>'status'
  FROM (VALUES ('tok-1'), ('tok-2'), ('tok-3')) AS c(n);
SELECT dbx_oauth.dbx_store_oauth_credentials('tokTenant', n, 'client-' || n, 'secret-' || n)->'data'->>'status'
  FROM (VALUES ('tok-2'), ('tok-3')) AS c(n);

-- Failures, in the order the checks run.
SELECT test_helpers.error_of($$SELECT dbx_oauth.dbx_get_access_token(NULL, 'tok-1')$$);
SELECT test_helpers.error_of($$SELECT dbx_oauth.dbx_get_access_token('tokTenant', 'tok/1')$$);
SELECT test_helpers.error_of($$SELECT dbx_oauth.dbx_get_access_token('tokTenant', 'no-such')$$);
SELECT test_helpers.error_of($$SELECT dbx_oauth.dbx_get_access_token('tokTenant', 'tok-1')$$);

-- The workspace host must be allowed when the token is requested, not only when the config was made.
SET dbx_oauth.token_allowed_hosts = '*.azuredatabricks.net';
SELECT test_helpers.error_of($$SELECT dbx_oauth.dbx_get_access_token('tokTenant', 'tok-2')$$);
RESET dbx_oauth.token_allowed_hosts;

-- The key the secret was sealed with is gone; the secret was tampered with.
\! umask 077; printf '2:ffeeddccbbaa99887766554433221100ffeeddccbbaa99887766554433221100\n' > "$DBX_TEST_KEYDIR/tokens-v2.key"
\set f :keydir '/tokens-v2.key'
SET dbx_oauth.key_file = :'f';
SELECT test_helpers.error_of($$SELECT dbx_oauth.dbx_get_access_token('tokTenant', 'tok-2')$$);
\set f :keydir '/tokens.key'
SET dbx_oauth.key_file = :'f';
UPDATE dbx_oauth.database_configs SET client_id = 'someone-else' WHERE connection_name = 'tok-3';
SELECT test_helpers.error_of($$SELECT dbx_oauth.dbx_get_access_token('tokTenant', 'tok-3')$$);

-- A workspace that does not answer (a closed port on loopback, allowed for this test).
SET dbx_oauth.allow_insecure_http = on;
SET dbx_oauth.token_allowed_hosts = '127.0.0.1';
SET dbx_oauth.retry_budget = 0;
SELECT dbx_oauth.dbx_create_database_config('tokTenant',
  (test_helpers.config_with('{databricks_config,workspace,workspace_url}', '"http://127.0.0.1:1"')::jsonb
   || '{"connection_name": "tok-closed"}')::json)->'result'->>'status';
SELECT dbx_oauth.dbx_store_oauth_credentials('tokTenant', 'tok-closed', 'id', 'secret')->'data'->>'status';
SELECT test_helpers.error_of($$SELECT dbx_oauth.dbx_get_access_token('tokTenant', 'tok-closed')$$);
-- Turned off again, plain http is refused at request time too.
SET dbx_oauth.allow_insecure_http = off;
SELECT test_helpers.error_of($$SELECT dbx_oauth.dbx_get_access_token('tokTenant', 'tok-closed')$$);

-- The connection test answers what it found, with HTTP 200 semantics: connected false and why.
SELECT dbx_oauth.dbx_test_connection('tokTenant', 'tok-1');
SELECT dbx_oauth.dbx_test_connection('tokTenant', 'tok-3');
SET dbx_oauth.allow_insecure_http = on;
SELECT dbx_oauth.dbx_test_connection('tokTenant', 'tok-closed');
RESET dbx_oauth.allow_insecure_http;
RESET dbx_oauth.token_allowed_hosts;
RESET dbx_oauth.retry_budget;
SELECT connection_name, status FROM dbx_oauth.database_configs WHERE tenant_id = 'tokTenant' ORDER BY 1;
-- An unknown connection is an error, not a test result.
SELECT test_helpers.error_of($$SELECT dbx_oauth.dbx_test_connection('tokTenant', 'no-such')$$);

-- Every failed token request is in the audit trail with its code (written by
-- the audit writer, outside the transaction that failed: one per failure
-- above, those of the connection tests included), and so is every test.
DO $$
BEGIN
    FOR i IN 1..100 LOOP
        EXIT WHEN (SELECT count(*) FROM dbx_oauth.audit_log
                    WHERE tenant_id = 'tokTenant' AND action = 'token_request_failed') >= 10;
        PERFORM pg_sleep(0.1);
    END LOOP;
END
$$;
SELECT action, outcome, connection_name, detail, count(*)
  FROM dbx_oauth.audit_log WHERE tenant_id = 'tokTenant' AND action IN ('token_request_failed', 'connection_tested')
 GROUP BY 1, 2, 3, 4 ORDER BY 1, 2, 3, 4;

-- Who may: token users get tokens; writers test connections but get no token.
CREATE ROLE regress_token_user IN ROLE dbx_oauth_token_user;
SELECT dbx_oauth.dbx_grant_tenant(r, 'tokTenant')
  FROM (VALUES ('regress_token_user'::regrole), ('regress_writer')) AS g(r);
SET ROLE regress_token_user;
SELECT test_helpers.error_of($$SELECT dbx_oauth.dbx_get_access_token('tokTenant', 'tok-1')$$);
SELECT test_helpers.error_of($$SELECT dbx_oauth.dbx_test_connection('tokTenant', 'tok-1')$$);
SELECT test_helpers.error_of($$SET dbx_oauth.token_allowed_hosts = '*'$$);
SET ROLE regress_writer;
SELECT test_helpers.error_of($$SELECT dbx_oauth.dbx_get_access_token('tokTenant', 'tok-1')$$);
SELECT dbx_oauth.dbx_test_connection('tokTenant', 'tok-1')->'data'->>'connected' AS writer_can_test;
RESET ROLE;
SELECT dbx_oauth.dbx_revoke_tenant(r, 'tokTenant')
  FROM (VALUES ('regress_token_user'::regrole), ('regress_writer')) AS g(r);
DROP ROLE regress_token_user;

SELECT dbx_oauth.dbx_delete_database_config('tokTenant', n)->>'successful'
  FROM (VALUES ('tok-1'), ('tok-2'), ('tok-3'), ('tok-closed')) AS c(n);
