-- Installing: the schema must be new; DROP EXTENSION removes every config
-- and secret; the Unicode rules hold in a database that is not UTF-8.

-- A schema someone else prepared is refused, and so is one with objects in it.
CREATE DATABASE regress_dbx_install;
\c regress_dbx_install
SET client_min_messages = warning;
CREATE SCHEMA dbx_oauth AUTHORIZATION regress_nobody;
CREATE EXTENSION dbx_oauth CASCADE;
DROP SCHEMA dbx_oauth;
CREATE SCHEMA dbx_oauth;
CREATE TABLE dbx_oauth.database_configs (connection_id uuid);
CREATE EXTENSION dbx_oauth CASCADE;
DROP SCHEMA dbx_oauth CASCADE;
CREATE EXTENSION dbx_oauth CASCADE;
SELECT nspname, pg_get_userbyid(nspowner) = current_user AS owned_by_installer
  FROM pg_namespace WHERE nspname IN ('dbx_oauth', 'dbx_api') ORDER BY 1;

-- DROP EXTENSION takes the data with it; a new install starts empty.
SELECT dbx_oauth.dbx_create_database_config('t1', '{"connection_name": "c1", "database_type": "DATABRICKS",
  "databricks_config": {"workspace": {"workspace_url": "https://dbc-1.cloud.databricks.com"},
  "sql_warehouse": {"warehouse_id": "w"}, "share_info": {"shared_catalog_name": "s"},
  "auth_type": "OAUTH_M2M"}}')->'result'->>'status';
SELECT dbx_oauth.dbx_store_oauth_credentials('t1', 'c1', 'id', 'secret')->'data'->>'status';
DROP EXTENSION dbx_oauth;
SELECT to_regclass('dbx_oauth.database_configs') AS table_after_drop;
CREATE EXTENSION dbx_oauth;
SELECT dbx_oauth.dbx_list_database_configs('t1');
\c contrib_regression
DROP DATABASE regress_dbx_install;

-- In a LATIN1 database, U+00A0 is still blank and U+0085 still a control character.
CREATE DATABASE regress_dbx_latin1 ENCODING 'LATIN1' TEMPLATE template0 LC_COLLATE 'C' LC_CTYPE 'C';
\c regress_dbx_latin1
SET client_min_messages = warning;
CREATE EXTENSION dbx_oauth CASCADE;
SELECT dbx_oauth.dbx_create_database_config('t1', '{"connection_name": "c1", "database_type": "DATABRICKS",
  "databricks_config": {"workspace": {"workspace_url": "https://dbc-1.cloud.databricks.com"},
  "sql_warehouse": {"warehouse_id": "w"}, "share_info": {"shared_catalog_name": "s"},
  "auth_type": "OAUTH_M2M"}}')->'result'->>'status';
SELECT dbx_oauth.dbx_store_oauth_credentials('t1', 'c1', 'id', E'\u00a0');
SELECT dbx_oauth.dbx_store_oauth_credentials('t1', 'c1', E'id\u0085', 'secret');
SELECT dbx_oauth.dbx_store_oauth_credentials('t1', 'c1', 'idé', 'secrét')->'data'->>'status';
SELECT connection_name, key_version, status FROM dbx_oauth.dbx_check_credentials();
-- JSON escapes become LATIN1 characters; one LATIN1 has no equivalent for is
-- a catalog error, and nothing is written.
SELECT dbx_oauth.dbx_create_database_config('t1', '{"connection_name": "c2", "database_type": "DATABRICKS",
  "databricks_config": {"workspace": {"workspace_url": "https://dbc-1.cloud.databricks.com"},
  "sql_warehouse": {"warehouse_id": "w\u00e9"}, "share_info": {"shared_catalog_name": "s"},
  "auth_type": "OAUTH_M2M"}}')->'result'->'databricks_config'->'sql_warehouse'->>'warehouse_id' = E'w\u00e9'
  AS escape_converted;
SELECT dbx_oauth.dbx_create_database_config('t1', '{"connection_name": "c3", "database_type": "DATABRICKS",
  "databricks_config": {"workspace": {"workspace_url": "https://dbc-1.cloud.databricks.com"},
  "sql_warehouse": {"warehouse_id": "w\u20ac"}, "share_info": {"shared_catalog_name": "s"},
  "auth_type": "OAUTH_M2M"}}');
SELECT string_agg(connection_name, ', ' ORDER BY connection_name) AS configs FROM dbx_oauth.database_configs;
\c contrib_regression
DROP DATABASE regress_dbx_latin1;
