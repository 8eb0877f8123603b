-- Tenant isolation: a role acts only for the tenants granted to it (admins
-- and superusers for all); everything else is denied, and audited.
-- Connection tests here reach no Databricks: do not spend a minute retrying.
SET dbx_oauth.retry_budget = 0;
CREATE ROLE regress_writer_a LOGIN IN ROLE dbx_oauth_writer;
CREATE ROLE regress_writer_b LOGIN IN ROLE dbx_oauth_writer;
CREATE ROLE regress_tokens_a LOGIN IN ROLE dbx_oauth_token_user;
CREATE ROLE regress_team_b NOLOGIN;
GRANT regress_team_b TO regress_writer_b;

SELECT dbx_oauth.dbx_create_database_config(t, test_helpers.example_config(t || '-conn'))->'result'->>'tenant_id'
  FROM (VALUES ('tenantA'), ('tenantB')) AS c(t);
SELECT dbx_oauth.dbx_store_oauth_credentials(t, t || '-conn', 'id-' || t, 'secret-' || t)->'data'->>'status'
  FROM (VALUES ('tenantA'), ('tenantB')) AS c(t);

-- Admins grant tenants: to a role directly, or to a role others are members of.
SELECT dbx_oauth.dbx_grant_tenant('regress_writer_a', 'tenantA');
SELECT dbx_oauth.dbx_grant_tenant('regress_writer_a', 'tenantA') AS again;
SELECT dbx_oauth.dbx_grant_tenant('regress_tokens_a', 'tenantA');
SELECT dbx_oauth.dbx_grant_tenant('regress_team_b', 'tenantB');
SELECT grantee, tenant_id, granted_by FROM dbx_oauth.tenant_grants ORDER BY 1::text, 2;
SELECT test_helpers.error_of($$SELECT dbx_oauth.dbx_grant_tenant('regress_writer_a', 'bad tenant')$$);
SELECT test_helpers.error_of($$SELECT dbx_oauth.dbx_grant_tenant('no_such_role', 'tenantA')$$);
SELECT test_helpers.error_of($$SELECT dbx_oauth.dbx_grant_tenant(0, 'tenantA')$$);
SELECT test_helpers.error_of($$SELECT dbx_oauth.dbx_revoke_tenant(NULL, 'tenantA')$$);
SELECT count(*) AS grants_of_no_role FROM dbx_oauth.tenant_grants WHERE grantee = 0;

-- Every operation, by each role, on each tenant.
CREATE FUNCTION pg_temp.operations(tenant text) RETURNS TABLE (operation text, query text)
LANGUAGE sql AS $$
VALUES ('create', format($q$SELECT dbx_oauth.dbx_create_database_config(%L, test_helpers.example_config('new-conn'))$q$, tenant)),
       ('get', format($q$SELECT dbx_oauth.dbx_get_database_config(%L, %L)$q$, tenant, tenant || '-conn')),
       ('list', format($q$SELECT dbx_oauth.dbx_list_database_configs(%L)$q$, tenant)),
       ('store', format($q$SELECT dbx_oauth.dbx_store_oauth_credentials(%L, %L, 'x', 'y')$q$, tenant, tenant || '-conn')),
       ('test', format($q$SELECT dbx_oauth.dbx_test_connection(%L, %L)$q$, tenant, tenant || '-conn')),
       ('token', format($q$SELECT dbx_oauth.dbx_get_access_token(%L, %L)$q$, tenant, tenant || '-conn')),
       ('delete', format($q$SELECT dbx_oauth.dbx_delete_database_config(%L, %L)$q$, tenant, 'no-such-conn'))
$$;
CREATE FUNCTION pg_temp.try_all(who text) RETURNS TABLE (role text, tenant text, operation text, outcome text)
LANGUAGE plpgsql AS $$
DECLARE
    op record;
    t text;
    result text;
BEGIN
    FOREACH t IN ARRAY ARRAY['tenantA', 'tenantB'] LOOP
        FOR op IN SELECT * FROM pg_temp.operations(t) LOOP
            EXECUTE format('SET LOCAL ROLE %I', who);
            result := test_helpers.error_of(op.query);
            RESET ROLE;
            -- an operation that passed the tenant check may still fail on its own
            RETURN QUERY SELECT who, t, op.operation,
                CASE WHEN result LIKE '%DS_ACCESS_DENIED%' THEN result
                     WHEN result LIKE '42501: permission denied for function%' THEN 'no EXECUTE'
                     ELSE 'allowed' END;
        END LOOP;
    END LOOP;
END
$$;
SELECT * FROM pg_temp.try_all('regress_writer_a');
SELECT * FROM pg_temp.try_all('regress_writer_b');
SELECT * FROM pg_temp.try_all('regress_tokens_a');
SELECT * FROM pg_temp.try_all('regress_admin') WHERE outcome <> 'allowed';

-- Nothing a denied role tried changed anything.
SELECT tenant_id, connection_name, client_id FROM dbx_oauth.credential_metadata
 WHERE tenant_id IN ('tenantA', 'tenantB') ORDER BY 1;

-- Only admins grant; '*' grants every tenant; revoking takes the grant back.
SET ROLE regress_writer_a;
SELECT test_helpers.error_of($$SELECT dbx_oauth.dbx_grant_tenant('regress_writer_a', '*')$$);
SELECT test_helpers.error_of($$SELECT * FROM dbx_oauth.tenant_grants$$);
RESET ROLE;
SELECT dbx_oauth.dbx_grant_tenant('regress_writer_b', '*');
SET ROLE regress_writer_b;
SELECT dbx_oauth.dbx_get_database_config('tenantA', 'tenantA-conn')->'result'->>'tenant_id' AS with_all_tenants;
RESET ROLE;
SELECT dbx_oauth.dbx_revoke_tenant('regress_writer_b', '*');
SELECT dbx_oauth.dbx_revoke_tenant('regress_writer_b', '*') AS again;
SELECT dbx_oauth.dbx_revoke_tenant('regress_team_b', 'tenantB');
SET ROLE regress_writer_b;
SELECT test_helpers.error_of($$SELECT dbx_oauth.dbx_get_database_config('tenantB', 'tenantB-conn')$$);
RESET ROLE;

-- A hostile search_path cannot make a look-alike grants table count.
CREATE SCHEMA regress_evil_grants;
GRANT USAGE, CREATE ON SCHEMA regress_evil_grants TO regress_writer_b;
SET ROLE regress_writer_b;
CREATE TABLE regress_evil_grants.tenant_grants (grantee regrole, tenant_id text);
INSERT INTO regress_evil_grants.tenant_grants VALUES ('regress_writer_b', 'tenantB'), ('regress_writer_b', '*');
SET search_path = regress_evil_grants, pg_catalog;
SELECT test_helpers.error_of($$SELECT dbx_oauth.dbx_get_database_config('tenantB', 'tenantB-conn')$$);
RESET search_path;
RESET ROLE;
DROP SCHEMA regress_evil_grants CASCADE;

-- The REST functions trust claims in PostgREST's sessions only: set by hand, they are refused.
SELECT set_config('request.jwt.claims', '{"role": "dbx_oauth_api", "tenants": ["tenantA"], "exp": 9999999999}', false);
SELECT set_config('request.headers', '{"x-dbx-tenant": "tenantA"}', false);
SELECT dbx_api.list_configs(NULL);
SET ROLE regress_writer_a;
SELECT test_helpers.error_of($$SELECT dbx_api.list_configs(NULL)$$);
RESET ROLE;

-- The denials are in the audit trail (written by the audit writer, outside
-- the transactions that were rolled back).
DO $$
BEGIN
    FOR i IN 1..100 LOOP
        EXIT WHEN (SELECT count(*) FROM dbx_oauth.audit_log WHERE action = 'access_denied') >= 15;
        PERFORM pg_sleep(0.1);
    END LOOP;
END
$$;
SELECT actor, tenant_id, connection_name, outcome, detail, count(*)
  FROM dbx_oauth.audit_log WHERE action = 'access_denied'
 GROUP BY 1, 2, 3, 4, 5 ORDER BY 1, 2, 3;

SELECT dbx_oauth.dbx_delete_database_config(t, t || '-conn')->>'successful'
  FROM (VALUES ('tenantA'), ('tenantB')) AS c(t);
SELECT dbx_oauth.dbx_revoke_tenant(r::regrole, t)
  FROM (VALUES ('regress_writer_a', 'tenantA'), ('regress_tokens_a', 'tenantA')) AS g(r, t);
DROP ROLE regress_writer_a, regress_writer_b, regress_tokens_a, regress_team_b;
