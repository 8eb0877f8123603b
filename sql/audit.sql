-- The audit trail: what was done, by whom, with what outcome; never a
-- secret; readable by admins only; append-only even for its owner.
SELECT dbx_oauth.dbx_create_database_config('auditTenant', test_helpers.example_config('audit-conn'))->'result'->>'status';
SELECT dbx_oauth.dbx_store_oauth_credentials('auditTenant', 'audit-conn', 'id-1', 'audit-secret-1')->'data'->>'status';
SET ROLE regress_writer;
SELECT test_helpers.error_of($$SELECT dbx_oauth.dbx_store_oauth_credentials('auditTenant', 'audit-conn', 'id-2', 'audit-secret-2')$$);
RESET ROLE;
SELECT dbx_oauth.dbx_grant_tenant('regress_writer', 'auditTenant');
SET ROLE regress_writer;
SELECT dbx_oauth.dbx_store_oauth_credentials('auditTenant', 'audit-conn', 'id-2', 'audit-secret-2')->'data'->>'status';
RESET ROLE;
SELECT dbx_oauth.dbx_revoke_tenant('regress_writer', 'auditTenant');
SELECT dbx_oauth.dbx_delete_database_config('auditTenant', 'audit-conn')->>'successful';
-- Work that rolls back leaves no line.
BEGIN;
SELECT dbx_oauth.dbx_create_database_config('auditTenant', test_helpers.example_config('rolled-back'))->'result'->>'status';
ROLLBACK;

DO $$
BEGIN
    FOR i IN 1..100 LOOP
        EXIT WHEN EXISTS (SELECT FROM dbx_oauth.audit_log WHERE tenant_id = 'auditTenant' AND outcome = 'denied');
        PERFORM pg_sleep(0.1);
    END LOOP;
END
$$;
SELECT action, outcome, actor, session_user_name = current_user AS by_this_session,
       jwt_subject, tenant_id, connection_name, detail
  FROM dbx_oauth.audit_log WHERE tenant_id = 'auditTenant' ORDER BY id;

-- An every-tenant grant is recorded with tenant '*'.
SELECT dbx_oauth.dbx_grant_tenant('regress_writer', '*');
SELECT dbx_oauth.dbx_revoke_tenant('regress_writer', '*');
SELECT action, outcome, tenant_id, connection_name, detail
  FROM dbx_oauth.audit_log WHERE tenant_id = '*' AND detail = 'regress_writer' ORDER BY id;

-- No secret in it.
SELECT count(*) AS lines_with_a_secret FROM dbx_oauth.audit_log l WHERE l::text LIKE '%audit-secret%';

-- Append-only: not even its owner changes it.
SELECT test_helpers.error_of($$UPDATE dbx_oauth.audit_log SET detail = 'changed'$$);
SELECT test_helpers.error_of($$DELETE FROM dbx_oauth.audit_log$$);
SELECT test_helpers.error_of($$TRUNCATE dbx_oauth.audit_log$$);

-- Admins read it; writers do not, and nobody writes it.
SET ROLE regress_admin;
SELECT count(*) > 0 AS admin_reads FROM dbx_oauth.audit_log;
SELECT test_helpers.error_of($$INSERT INTO dbx_oauth.audit_log (at, actor, session_user_name, action, outcome) VALUES (now(), 'x', 'x', 'forged', 'ok')$$);
SET ROLE regress_writer;
SELECT test_helpers.error_of($$SELECT * FROM dbx_oauth.audit_log$$);
RESET ROLE;

-- Credential age: the metadata says how old each secret is, and which are stale.
SELECT dbx_oauth.dbx_create_database_config('auditTenant', test_helpers.example_config(n))->'result'->>'status'
  FROM (VALUES ('fresh-conn'), ('old-conn')) AS c(n);
SELECT dbx_oauth.dbx_store_oauth_credentials('auditTenant', n, 'id', 'secret')->'data'->>'status'
  FROM (VALUES ('fresh-conn'), ('old-conn')) AS c(n);
UPDATE dbx_oauth.database_configs SET stored_at = now() - interval '400 days' WHERE connection_name = 'old-conn';
SHOW dbx_oauth.credential_max_age;
SELECT connection_name, age, stale FROM dbx_oauth.credential_metadata WHERE tenant_id = 'auditTenant' ORDER BY 1;
SET dbx_oauth.credential_max_age = 500;
SELECT connection_name, age, stale FROM dbx_oauth.credential_metadata WHERE tenant_id = 'auditTenant' ORDER BY 1;
RESET dbx_oauth.credential_max_age;
SELECT dbx_oauth.dbx_delete_database_config('auditTenant', n)->>'successful'
  FROM (VALUES ('fresh-conn'), ('old-conn')) AS c(n);
