-- The error catalog, and proof that the tests raised every entry.
SELECT code, sqlstate, http_status, parameters, message, hint, http_only FROM dbx_oauth.error_catalog;

-- Codes in the catalog that no test raised (must be none).  The HTTP suite
-- covers the ones only the REST layer answers with; the token suite those
-- that need a Databricks workspace to answer; the plaintext scan runs a
-- server without the library preloaded; install.sql (in a LATIN1 database,
-- outside these helpers) and the corpus raise DS_CHARACTER_NOT_SUPPORTED.
SELECT code FROM dbx_oauth.error_catalog WHERE NOT http_only
EXCEPT
SELECT code FROM test_helpers.seen_codes
EXCEPT
VALUES ('DS_DATABRICKS_OAUTH_AUTHENTICATION_FAILED'), ('DS_DATABRICKS_TOKEN_REQUEST_REJECTED'),
       ('DS_DATABRICKS_UNAVAILABLE'), ('DS_DATABRICKS_RESPONSE_INVALID'), ('DS_DBX_OAUTH_NOT_PRELOADED'),
       ('DS_CHARACTER_NOT_SUPPORTED');

-- The body the proxy answers with for an entry; entries with parameters have none.
SELECT dbx_oauth.dbx_error_envelope('DS_ROUTE_NOT_FOUND');
SELECT test_helpers.error_of($$SELECT dbx_oauth.dbx_error_envelope('DS_CONNECTION_NOT_FOUND')$$);
SELECT test_helpers.error_of($$SELECT dbx_oauth.dbx_error_envelope('DS_NO_SUCH_CODE')$$);
SELECT test_helpers.error_of($$SELECT dbx_oauth.dbx_error_envelope(repeat('X', 100000))$$);
SELECT test_helpers.error_of($$SELECT dbx_oauth.dbx_error_envelope(E'\nDS_\x01X')$$);

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
