-- Storing credentials: the vendor's example, rotation, and every error.
SELECT dbx_oauth.dbx_create_database_config('ce5627DYnQ6abcD',
       test_helpers.example_config('my-databricks-connection'))->'result'->>'status' AS created;

-- The vendor's example request: exact success body.
SELECT dbx_oauth.dbx_store_oauth_credentials('ce5627DYnQ6abcD', 'my-databricks-connection',
       'a1b2c3d4-e5f6-7890-abcd-ef1234567890', 'example-secret') AS reply \gset
SELECT test_helpers.masked(:'reply');
SELECT (:'reply'::json->'data'->>'connectionId')::uuid =
       (SELECT connection_id FROM dbx_oauth.database_configs
         WHERE connection_name = 'my-databricks-connection') AS connection_id_is_config_id,
       abs((:'reply'::json->'data'->>'timestamp')::bigint - extract(epoch FROM clock_timestamp()) * 1000) < 60000
         AS timestamp_is_now,
       (:'reply'::json->'data'->>'timestamp')::bigint =
       (SELECT floor(extract(epoch FROM stored_at) * 1000) FROM dbx_oauth.database_configs WHERE client_secret_sealed IS NOT NULL) AS timestamp_is_stored_at;

-- Stored sealed: 1 format byte, 4 key version, 16 IV, 16 ciphertext, 32 tag; no plaintext.
SELECT client_id, key_version, stored_by,
       position(convert_to('example-secret', 'UTF8') IN client_secret_sealed) AS secret_position,
       length(client_secret_sealed) AS sealed_bytes
  FROM dbx_oauth.database_configs WHERE client_secret_sealed IS NOT NULL;

-- The config now shows the client ID (never the secret) and a new updated_time.
SELECT r->'databricks_config'->>'oauth_client_id' AS oauth_client_id,
       r::text LIKE '%example-secret%' AS shows_secret,
       (r->>'updated_time')::timestamptz > (r->>'created_time')::timestamptz AS updated
  FROM (SELECT dbx_oauth.dbx_get_database_config('ce5627DYnQ6abcD', 'my-databricks-connection')::jsonb->'result' AS r) s;

-- Rotation: same connectionId, later timestamp, new values, fresh ciphertext.
SELECT pg_sleep(0.01);  -- so the millisecond timestamps differ
SELECT client_secret_sealed AS old_sealed FROM dbx_oauth.database_configs WHERE client_secret_sealed IS NOT NULL \gset
SELECT dbx_oauth.dbx_store_oauth_credentials('ce5627DYnQ6abcD', 'my-databricks-connection',
       ' b2c3d4e5-0000-4000-8000-000000000002 ', 'rotated secret') AS rotated \gset
SELECT :'rotated'::json->'data'->>'connectionId' = :'reply'::json->'data'->>'connectionId' AS same_connection_id,
       (:'rotated'::json->'data'->>'timestamp')::bigint > (:'reply'::json->'data'->>'timestamp')::bigint
         AS later_timestamp;
SELECT count(*) AS rows, max(client_id) AS client_id_as_given,
       bool_and(client_secret_sealed <> :'old_sealed') AS new_ciphertext
  FROM dbx_oauth.database_configs WHERE client_secret_sealed IS NOT NULL;

-- The same secret stored twice never gives the same ciphertext (fresh IV).
SELECT dbx_oauth.dbx_store_oauth_credentials('ce5627DYnQ6abcD', 'my-databricks-connection', 'id', 'same') IS NOT NULL AS s1;
SELECT client_secret_sealed AS first_sealed FROM dbx_oauth.database_configs WHERE client_secret_sealed IS NOT NULL \gset
SELECT dbx_oauth.dbx_store_oauth_credentials('ce5627DYnQ6abcD', 'my-databricks-connection', 'id', 'same') IS NOT NULL AS s2;
SELECT client_secret_sealed <> :'first_sealed' AS differs FROM dbx_oauth.database_configs WHERE client_secret_sealed IS NOT NULL;

-- Values are stored as given: inner and outer spaces, non-ASCII, maximum lengths.
SELECT dbx_oauth.dbx_store_oauth_credentials('ce5627DYnQ6abcD', 'my-databricks-connection',
       repeat('é', 256), ' ' || repeat('秘', 1022) || ' ')->'data'->>'status' AS max_lengths;
SELECT length(client_id) AS client_id_chars FROM dbx_oauth.database_configs WHERE client_secret_sealed IS NOT NULL;

-- Every error, in the order the checks run: tenant, connection, client ID, secret, existence.
SELECT test_helpers.state() AS before \gset
SELECT n, test_helpers.error_of(format('SELECT dbx_oauth.dbx_store_oauth_credentials(%L, %L, %L, %L)',
                                       tenant, conn, client_id, secret))
  FROM (VALUES
    (1, NULL, NULL, NULL, NULL),
    (2, '', 'my-databricks-connection', 'id', 'secret'),
    (3, 'ce5627DYnQ6abcD!', 'my-databricks-connection', 'id', 'secret'),
    (4, 'ce5627DYnQ6abcD', NULL, NULL, NULL),
    (5, 'ce5627DYnQ6abcD', E' \n ', 'id', 'secret'),
    (6, 'ce5627DYnQ6abcD', 'my databricks connection', 'id', 'secret'),
    (7, 'ce5627DYnQ6abcD', 'my-databricks-connection', NULL, NULL),
    (8, 'ce5627DYnQ6abcD', 'my-databricks-connection', '', 'secret'),
    (9, 'ce5627DYnQ6abcD', 'my-databricks-connection', E' \t\r\n ', 'secret'),
    (10, 'ce5627DYnQ6abcD', 'my-databricks-connection', E'\u00a0\u2003\u3000', 'secret'),
    (11, 'ce5627DYnQ6abcD', 'my-databricks-connection', repeat('x', 257), 'secret'),
    (12, 'ce5627DYnQ6abcD', 'my-databricks-connection', E'id\u0001', 'secret'),
    (13, 'ce5627DYnQ6abcD', 'my-databricks-connection', 'user:name', 'secret'),
    (14, 'ce5627DYnQ6abcD', 'my-databricks-connection', 'id', NULL),
    (15, 'ce5627DYnQ6abcD', 'my-databricks-connection', 'id', ''),
    (16, 'ce5627DYnQ6abcD', 'my-databricks-connection', 'id', E'\u2028 \u00a0'),
    (17, 'ce5627DYnQ6abcD', 'my-databricks-connection', 'id', repeat('s', 1025)),
    (18, 'ce5627DYnQ6abcD', 'my-databricks-connection', 'id', E'secret\n'),
    (19, 'ce5627DYnQ6abcD', 'my-databricks-connection', 'id', E'sec\u0085ret'),
    (20, 'ce5627DYnQ6abcD', 'no-such-connection', 'id', 'secret'),
    (21, 'ce5627DYnQ6abcD', 'MY-DATABRICKS-CONNECTION', 'id', 'secret'),
    (22, 'otherTenant01', 'my-databricks-connection', 'id', 'secret'),
    (23, 'ce5627DYnQ6abcD', 'my-databricks-connection', 'id', E'\u200b\ufeff\u2060')
  ) AS cases(n, tenant, conn, client_id, secret)
 ORDER BY n;
SELECT test_helpers.state() = :'before' AS unchanged;

-- The two documented errors as a SQL client sees them, message and hint.
\set VERBOSITY default
SELECT dbx_oauth.dbx_store_oauth_credentials('ce5627DYnQ6abcD', 'my-databricks-connection', NULL, 'example-secret');
\echo :LAST_ERROR_SQLSTATE
SELECT dbx_oauth.dbx_store_oauth_credentials('ce5627DYnQ6abcD', 'my-databricks-connection',
       'a1b2c3d4-e5f6-7890-abcd-ef1234567890', '   ');
\echo :LAST_ERROR_SQLSTATE
SELECT test_helpers.state() = :'before' AS unchanged;

-- A transaction that stored credentials cannot be prepared for two-phase
-- commit (the shared token cache could not learn of its commit); it rolls back.
BEGIN;
SELECT dbx_oauth.dbx_store_oauth_credentials('ce5627DYnQ6abcD', 'my-databricks-connection',
       'a1b2c3d4-e5f6-7890-abcd-ef1234567890', 'prepared-secret')->'data'->>'status' AS stored;
PREPARE TRANSACTION 'dbx_store';
SELECT test_helpers.state() = :'before' AS unchanged;

-- In a read-only transaction (on a standby, say) every write is refused
-- after its input checks, before its key, with PostgreSQL's own error.
SET default_transaction_read_only = on;
SELECT dbx_oauth.dbx_create_database_config('ce5627DYnQ6abcD', test_helpers.example_config('read-only'));
SELECT dbx_oauth.dbx_store_oauth_credentials('ce5627DYnQ6abcD', 'no-such-connection', 'id', 'secret');
SELECT dbx_oauth.dbx_delete_database_config('ce5627DYnQ6abcD', 'my-databricks-connection');
SELECT dbx_oauth.dbx_grant_tenant('dbx_oauth_writer', 'otherTenant01');
SELECT dbx_oauth.dbx_revoke_tenant('dbx_oauth_writer', 'otherTenant01');
CALL dbx_oauth.dbx_reencrypt_credentials();
RESET default_transaction_read_only;
SELECT test_helpers.state() = :'before' AS unchanged;

SELECT dbx_oauth.dbx_delete_database_config('ce5627DYnQ6abcD', 'my-databricks-connection')->>'successful' AS deleted;
