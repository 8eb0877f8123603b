-- The error catalog, and proof that the tests raised every entry.
SELECT code, sqlstate, http_status, parameters, message, hint FROM dbx_oauth.error_catalog;

-- Codes in the catalog that no test raised (must be none).
SELECT code FROM dbx_oauth.error_catalog
EXCEPT
SELECT code FROM test_helpers.seen_codes;

-- Codes raised that are not in the catalog (must be none).
SELECT code FROM test_helpers.seen_codes
EXCEPT
SELECT code FROM dbx_oauth.error_catalog;

-- Entries the README's catalog table does not show exactly (must be none).
\getenv readme DBX_TEST_README
SELECT code FROM dbx_oauth.error_catalog
 WHERE position(format('| %s | %s | %s | %s | %s |', code, sqlstate, http_status,
                       coalesce(array_to_string(nullif(parameters, '{}'), ', '), 'none'), message)
                IN pg_read_file(:'readme')) = 0;
