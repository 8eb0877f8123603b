-- The key file: faults give clear errors and write nothing; new lines take
-- effect without a restart; the highest version encrypts.
\getenv keydir DBX_TEST_KEYDIR

SELECT dbx_oauth.dbx_create_database_config('ce5627DYnQ6abcD', test_helpers.example_config(n))->'result'->>'status'
  FROM (VALUES ('conn-a'), ('conn-b')) AS c(n);

-- A store that has to fail at the key, after the checks of its input.
CREATE FUNCTION pg_temp.store_error() RETURNS text LANGUAGE sql AS $$
SELECT test_helpers.error_of($q$SELECT dbx_oauth.dbx_store_oauth_credentials('ce5627DYnQ6abcD', 'conn-a', 'id', 'secret')$q$)
$$;
SELECT test_helpers.state() AS before \gset

-- Not configured.
SET dbx_oauth.key_file = '';
SELECT pg_temp.store_error();

-- Only absolute paths are accepted.
SET dbx_oauth.key_file = 'keys/current.key';

-- Missing.
\set f :keydir '/missing.key'
SET dbx_oauth.key_file = :'f';
SELECT pg_temp.store_error();

-- Readable by group, by others; a directory; inside the data directory.
\! umask 077; printf '1:00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff\n' > "$DBX_TEST_KEYDIR/open.key"; chmod 640 "$DBX_TEST_KEYDIR/open.key"
\set f :keydir '/open.key'
SET dbx_oauth.key_file = :'f';
SELECT pg_temp.store_error();
\! chmod 604 "$DBX_TEST_KEYDIR/open.key"
SELECT pg_temp.store_error();
SET dbx_oauth.key_file = :'keydir';
SELECT pg_temp.store_error();
SELECT setting AS datadir FROM pg_settings WHERE name = 'data_directory' \gset
\setenv DATADIR :datadir
\! umask 077; cp "$DBX_TEST_KEYDIR/open.key" "$DATADIR/dbx.key"; chmod 600 "$DATADIR/dbx.key"
\set f :datadir '/dbx.key'
SET dbx_oauth.key_file = :'f';
SELECT pg_temp.store_error();
\! rm -f "$DATADIR/dbx.key"
-- A key file with a second name (a hard link, which could sit in the data
-- directory and so in its base backups).
\! umask 077; cp "$DBX_TEST_KEYDIR/open.key" "$DBX_TEST_KEYDIR/linked.key"; chmod 600 "$DBX_TEST_KEYDIR/linked.key"; ln -f "$DBX_TEST_KEYDIR/linked.key" "$DBX_TEST_KEYDIR/second-name.key"
\set f :keydir '/linked.key'
SET dbx_oauth.key_file = :'f';
SELECT pg_temp.store_error();
\! rm -f "$DBX_TEST_KEYDIR/second-name.key"

-- Malformed lines, reported by line number (never by content).
\set f :keydir '/bad.key'
SET dbx_oauth.key_file = :'f';
\! umask 077; printf '1:0011\n' > "$DBX_TEST_KEYDIR/bad.key"
SELECT pg_temp.store_error();
\! umask 077; printf '# keys\n\n1:00112233445566778899aabbccddeeff00112233445566778899aabbccddeefg\n' > "$DBX_TEST_KEYDIR/bad.key"
SELECT pg_temp.store_error();
\! umask 077; printf '0:00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff\n' > "$DBX_TEST_KEYDIR/bad.key"
SELECT pg_temp.store_error();
\! umask 077; printf '2147483648:00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff\n' > "$DBX_TEST_KEYDIR/bad.key"
SELECT pg_temp.store_error();
\! umask 077; printf '1:00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff\n1:ffeeddccbbaa99887766554433221100ffeeddccbbaa99887766554433221100\n' > "$DBX_TEST_KEYDIR/bad.key"
SELECT pg_temp.store_error();
\! umask 077; printf 'x:00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff\n' > "$DBX_TEST_KEYDIR/bad.key"
SELECT pg_temp.store_error();
\! umask 077; printf '1 : 00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff\n' > "$DBX_TEST_KEYDIR/bad.key"
SELECT pg_temp.store_error();
\! umask 077; printf '1:00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff # key one\n' > "$DBX_TEST_KEYDIR/bad.key"
SELECT pg_temp.store_error();

-- No keys at all.
\! umask 077; printf '# no keys yet\n\n   \n' > "$DBX_TEST_KEYDIR/bad.key"
SELECT pg_temp.store_error();
\! umask 077; : > "$DBX_TEST_KEYDIR/bad.key"
SELECT pg_temp.store_error();

-- A FIFO is refused before it is opened (opening one would block).
\! rm -f "$DBX_TEST_KEYDIR/fifo.key"; mkfifo -m 600 "$DBX_TEST_KEYDIR/fifo.key"
\set f :keydir '/fifo.key'
SET dbx_oauth.key_file = :'f';
SELECT pg_temp.store_error();

-- A NUL byte would hide the lines after it; the file is at most 64 kB.
\set f :keydir '/bad.key'
SET dbx_oauth.key_file = :'f';
\! umask 077; printf '1:00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff\n\000\n2:ffeeddccbbaa99887766554433221100ffeeddccbbaa99887766554433221100\n' > "$DBX_TEST_KEYDIR/bad.key"
SELECT pg_temp.store_error();
\! umask 077; (printf '1:00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff\n'; head -c 70000 /dev/zero | tr '\000' '\n') > "$DBX_TEST_KEYDIR/bad.key"
SELECT pg_temp.store_error();

-- A failing store outside any block leaves everything as it was.
SELECT dbx_oauth.dbx_store_oauth_credentials('ce5627DYnQ6abcD', 'conn-a', 'id', 'secret');
SELECT test_helpers.state() = :'before' AS unchanged;

-- A good file: comments, blank lines, CRLF, indentation, versions out of order.
\! umask 077; printf '# production keys\r\n\r\n  2:ffeeddccbbaa99887766554433221100ffeeddccbbaa99887766554433221100\r\n\t1:00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff  \r\n' > "$DBX_TEST_KEYDIR/good.key"
\set f :keydir '/good.key'
SET dbx_oauth.key_file = :'f';
SELECT dbx_oauth.dbx_store_oauth_credentials('ce5627DYnQ6abcD', 'conn-a', 'id-a', 'secret-a')->'data'->>'status' AS stored;
SELECT connection_name, key_version FROM dbx_oauth.credential_metadata ORDER BY 1;

-- A symbolic link to a protected file is fine.
\! ln -sf "$DBX_TEST_KEYDIR/good.key" "$DBX_TEST_KEYDIR/link.key"
\set f :keydir '/link.key'
SET dbx_oauth.key_file = :'f';
SELECT status FROM dbx_oauth.dbx_check_credentials();

-- Adding a line takes effect at the next store, with no reload.
\! umask 077; printf '1:00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff\n' > "$DBX_TEST_KEYDIR/growing.key"
\set f :keydir '/growing.key'
SET dbx_oauth.key_file = :'f';
SELECT dbx_oauth.dbx_store_oauth_credentials('ce5627DYnQ6abcD', 'conn-b', 'id-b', 'secret-b')->'data'->>'status' AS stored;
\! printf '3:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef\n' >> "$DBX_TEST_KEYDIR/growing.key"
SELECT dbx_oauth.dbx_store_oauth_credentials('ce5627DYnQ6abcD', 'conn-a', 'id-a', 'secret-a2')->'data'->>'status' AS stored;
SELECT connection_name, key_version FROM dbx_oauth.credential_metadata ORDER BY 1;
SELECT connection_name, key_version, status FROM dbx_oauth.dbx_check_credentials() ORDER BY 1;

-- Back to the file the server was started with: it works again.
RESET dbx_oauth.key_file;
SELECT dbx_oauth.dbx_store_oauth_credentials('ce5627DYnQ6abcD', 'conn-b', 'id-b', 'secret-b2')->'data'->>'status' AS stored;
SELECT connection_name, key_version FROM dbx_oauth.credential_metadata ORDER BY 1;

SELECT dbx_oauth.dbx_delete_database_config('ce5627DYnQ6abcD', n)->>'successful'
  FROM (VALUES ('conn-a'), ('conn-b')) AS c(n);
