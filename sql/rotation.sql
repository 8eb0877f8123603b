-- Key rotation: a new key version serves new writes at once; re-encryption
-- moves every secret (online, in batches) to it; after that the old version
-- can leave the key file and nothing is lost.
\getenv keydir DBX_TEST_KEYDIR
\! umask 077; printf '1:00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff\n' > "$DBX_TEST_KEYDIR/rotation.key"
\set f :keydir '/rotation.key'
SET dbx_oauth.key_file = :'f';

SELECT count(*) AS created FROM (
  SELECT dbx_oauth.dbx_create_database_config('rotTenant', test_helpers.example_config('rot-' || i))
    FROM generate_series(1, 250) AS i) s;
SELECT count(*) AS stored FROM (
  SELECT dbx_oauth.dbx_store_oauth_credentials('rotTenant', 'rot-' || i, 'client-' || i, 'secret-' || i)
    FROM generate_series(1, 249) AS i) s;
SELECT key_version, count(*) FROM dbx_oauth.credential_metadata WHERE tenant_id = 'rotTenant' GROUP BY 1;

-- Version 2 is added: new writes use it at once.
\! printf '2:ffeeddccbbaa99887766554433221100ffeeddccbbaa99887766554433221100\n' >> "$DBX_TEST_KEYDIR/rotation.key"
SELECT dbx_oauth.dbx_store_oauth_credentials('rotTenant', 'rot-250', 'client-250', 'secret-250')->'data'->>'status';
SELECT key_version, count(*) FROM dbx_oauth.credential_metadata WHERE tenant_id = 'rotTenant' GROUP BY 1 ORDER BY 1;

-- One secret does not open (its client ID was changed behind the extension's back).
UPDATE dbx_oauth.database_configs SET client_id = 'moved' WHERE connection_name = 'rot-7';

-- Re-encrypt: 248 move, the one that does not open stays and is reported.
CALL dbx_oauth.dbx_reencrypt_credentials();
SELECT key_version, count(*) FROM dbx_oauth.credential_metadata WHERE tenant_id = 'rotTenant' GROUP BY 1 ORDER BY 1;

-- Version 1 leaves the key file: everything re-encrypted still opens.
\! umask 077; printf '2:ffeeddccbbaa99887766554433221100ffeeddccbbaa99887766554433221100\n' > "$DBX_TEST_KEYDIR/rotation.key"
SELECT status, count(*) FROM dbx_oauth.dbx_check_credentials() WHERE tenant_id = 'rotTenant' GROUP BY 1 ORDER BY 1;

-- Inside a transaction block it runs as one transaction, and finds nothing left to do.
BEGIN;
CALL dbx_oauth.dbx_reencrypt_credentials();
COMMIT;

-- Admins only.
SET ROLE regress_writer;
SELECT test_helpers.error_of($$CALL dbx_oauth.dbx_reencrypt_credentials()$$);
RESET ROLE;

SELECT count(*) AS deleted FROM (
  SELECT dbx_oauth.dbx_delete_database_config('rotTenant', 'rot-' || i) FROM generate_series(1, 250) AS i) s;
RESET dbx_oauth.key_file;
