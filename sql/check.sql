-- The check function: every stored secret is reported ok, key_missing or
-- tampered, and no plaintext is returned.
\getenv keydir DBX_TEST_KEYDIR
\! umask 077; printf '1:00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff\n' > "$DBX_TEST_KEYDIR/check.key"
\set f :keydir '/check.key'
SET dbx_oauth.key_file = :'f';

SELECT dbx_oauth.dbx_create_database_config('ce5627DYnQ6abcD', test_helpers.example_config(n))->'result'->>'status'
  FROM generate_series(1, 6) AS i, LATERAL (SELECT 'conn-' || i AS n) c;
SELECT dbx_oauth.dbx_store_oauth_credentials('ce5627DYnQ6abcD', n, 'client-' || n, 'secret-' || n)->'data'->>'status'
  FROM generate_series(1, 6) AS i, LATERAL (SELECT 'conn-' || i AS n) c;

-- The metadata view has no secret column; the check returns no plaintext.
SELECT column_name, data_type FROM information_schema.columns
 WHERE table_schema = 'dbx_oauth' AND table_name = 'credential_metadata' ORDER BY ordinal_position;
SELECT proargnames, proallargtypes::regtype[] FROM pg_proc WHERE proname = 'dbx_check_credentials';
SELECT connection_name, key_version, status FROM dbx_oauth.dbx_check_credentials() ORDER BY 1;

-- Tamper: flip one bit of the ciphertext of conn-1.
UPDATE dbx_oauth.database_configs
   SET client_secret_sealed = set_byte(client_secret_sealed, 30, get_byte(client_secret_sealed, 30) # 1)
 WHERE connection_name = 'conn-1';
-- Swap: give conn-2 the (valid) ciphertext of conn-3.
UPDATE dbx_oauth.database_configs
   SET client_secret_sealed = (SELECT client_secret_sealed FROM dbx_oauth.database_configs
                                WHERE connection_name = 'conn-3')
 WHERE connection_name = 'conn-2';
-- Truncate the ciphertext of conn-4.
UPDATE dbx_oauth.database_configs SET client_secret_sealed = substring(client_secret_sealed FROM 1 FOR 40)
 WHERE connection_name = 'conn-4';
-- Claim another key version for conn-5.
UPDATE dbx_oauth.database_configs SET key_version = 2 WHERE connection_name = 'conn-5';
-- Put another client ID next to the secret of conn-6.
UPDATE dbx_oauth.database_configs SET client_id = 'client-conn-3' WHERE connection_name = 'conn-6';
SELECT connection_name, key_version, status FROM dbx_oauth.dbx_check_credentials() ORDER BY 1;

-- Key missing: version 1 is no longer in the file.
\! umask 077; printf '2:ffeeddccbbaa99887766554433221100ffeeddccbbaa99887766554433221100\n' > "$DBX_TEST_KEYDIR/check.key"
SELECT connection_name, key_version, status FROM dbx_oauth.dbx_check_credentials() ORDER BY 1;

-- A different key under the same version does not open anything.
\! umask 077; printf '1:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef\n' > "$DBX_TEST_KEYDIR/check.key"
SELECT connection_name, key_version, status FROM dbx_oauth.dbx_check_credentials() ORDER BY 1;

-- Fix conn-1 by storing again: fresh ciphertext under the current key.
SELECT dbx_oauth.dbx_store_oauth_credentials('ce5627DYnQ6abcD', 'conn-1', 'client-conn-1', 'secret-conn-1')->'data'->>'status';
SELECT connection_name, key_version, status FROM dbx_oauth.dbx_check_credentials() WHERE connection_name = 'conn-1';

SELECT dbx_oauth.dbx_delete_database_config('ce5627DYnQ6abcD', 'conn-' || i)->>'successful'
  FROM generate_series(1, 6) AS i;
SELECT count(*) AS rows_after_delete FROM dbx_oauth.dbx_check_credentials();
