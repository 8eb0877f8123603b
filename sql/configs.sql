-- Connection configs: create, get, list, delete, and every validation error.

-- Create with the vendor's example body: exact shape, status PENDING.
SELECT test_helpers.masked(dbx_oauth.dbx_create_database_config('ce5627DYnQ6abcD',
       test_helpers.example_config('my-databricks-connection')));

-- The id is the stored one, the times are now, created = updated.
SELECT (r->>'connection_id')::uuid = (SELECT connection_id FROM dbx_oauth.database_configs
                                       WHERE connection_name = 'my-databricks-connection') AS id_is_stored,
       abs(extract(epoch FROM (r->>'created_time')::timestamptz - now())) < 60 AS created_now,
       r->>'created_time' = r->>'updated_time' AS same_times
  FROM (SELECT dbx_oauth.dbx_get_database_config('ce5627DYnQ6abcD', 'my-databricks-connection')::jsonb->'result' AS r) s;

-- Only required fields; unknown fields are ignored and not stored.
SELECT test_helpers.masked(dbx_oauth.dbx_create_database_config('ce5627DYnQ6abcD',
  '{"connection_name": "databricks-test-02", "database_type": "DATABRICKS", "clientSecret": "not-kept",
    "databricks_config": {"auth_type": "OAUTH_M2M", "oauth_client_secret": "not-kept-either",
      "share_info": {"shared_catalog_name": "cat"},
      "sql_warehouse": {"warehouse_id": "w1", "auto_stop": false},
      "workspace": {"workspace_url": "HTTPS://adb-1234567890123456.7.azuredatabricks.net:443/"},
      "connection_properties": null}}'));
SELECT count(*) AS configs_mentioning_not_kept
  FROM dbx_oauth.database_configs WHERE databricks_config::text LIKE '%not-kept%';

-- Scalars convert as the vendor's JSON binding converts them: numbers written
-- as 300.0, 50e-1 or "10" are whole numbers, "TRUE" a boolean, a number where
-- a string belongs its text.  They are stored normalized.
SELECT dbx_oauth.dbx_create_database_config('ce5627DYnQ6abcD', '{"connection_name": "numbers",
  "database_type": "DATABRICKS", "databricks_config": {
    "workspace": {"workspace_url": "https://dbc-1.cloud.databricks.com", "workspace_id": 1234567890123456},
    "sql_warehouse": {"warehouse_id": 42, "auto_stop": "TRUE", "auto_stop_minutes": "10"},
    "share_info": {"shared_catalog_name": "cat"},
    "connection_properties": {"query_timeout": 300.0, "max_pool_size": 50e-1},
    "auth_type": "OAUTH_M2M"}}')->'result'->'databricks_config';
SELECT dbx_oauth.dbx_delete_database_config('ce5627DYnQ6abcD', 'numbers')->>'successful';

-- Names are unique per tenant and case-sensitive.
SELECT test_helpers.error_of($$SELECT dbx_oauth.dbx_create_database_config('ce5627DYnQ6abcD',
       test_helpers.example_config('my-databricks-connection'))$$);
SELECT dbx_oauth.dbx_create_database_config('ce5627DYnQ6abcD',
       test_helpers.example_config('My-Databricks-Connection'))::jsonb->'result'->>'connection_name' AS created;
SELECT dbx_oauth.dbx_create_database_config('otherTenant01',
       test_helpers.example_config('my-databricks-connection'))::jsonb->'result'->>'tenant_id' AS created_for;

-- A duplicate create outside any block leaves everything as it was.
SELECT test_helpers.state() AS before \gset
SELECT dbx_oauth.dbx_create_database_config('ce5627DYnQ6abcD', test_helpers.example_config('my-databricks-connection'));
SELECT test_helpers.state() = :'before' AS unchanged;

-- Get and list.
SELECT test_helpers.masked(dbx_oauth.dbx_get_database_config('ce5627DYnQ6abcD', 'databricks-test-02'));
SELECT r->>'connection_name' AS name, r->>'status' AS status
  FROM json_array_elements(dbx_oauth.dbx_list_database_configs('ce5627DYnQ6abcD')->'result') r;
SELECT dbx_oauth.dbx_list_database_configs('tenantWithNothing');

-- Delete removes the config and its credentials.
SELECT dbx_oauth.dbx_store_oauth_credentials('ce5627DYnQ6abcD', 'My-Databricks-Connection',
       'a1b2c3d4-e5f6-7890-abcd-ef1234567890', 'secret-of-a-config-to-delete')->'data'->>'status' AS stored;
SELECT test_helpers.masked(dbx_oauth.dbx_delete_database_config('ce5627DYnQ6abcD', 'My-Databricks-Connection'));
SELECT count(*) AS credentials_left FROM dbx_oauth.credential_metadata;
SELECT test_helpers.error_of($$SELECT dbx_oauth.dbx_get_database_config('ce5627DYnQ6abcD', 'My-Databricks-Connection')$$);
SELECT test_helpers.error_of($$SELECT dbx_oauth.dbx_delete_database_config('ce5627DYnQ6abcD', 'My-Databricks-Connection')$$);
SELECT test_helpers.error_of($$SELECT dbx_oauth.dbx_get_database_config('otherTenant01', 'databricks-test-02')$$);

-- Every validation error of create, in the order the checks run.
SELECT test_helpers.state() AS before \gset
SELECT n, test_helpers.error_of(format('SELECT dbx_oauth.dbx_create_database_config(%L, %L::json)', tenant, body))
  FROM (VALUES
    (1, NULL, test_helpers.example_config('c1')::text),
    (2, ' ', test_helpers.example_config('c1')::text),
    (3, 'bad tenant', test_helpers.example_config('c1')::text),
    (4, repeat('t', 65), test_helpers.example_config('c1')::text),
    (5, '../etc', test_helpers.example_config('c1')::text),
    (6, 'ce5627DYnQ6abcD', NULL),
    (7, 'ce5627DYnQ6abcD', '[]'),
    (8, 'ce5627DYnQ6abcD', '"text"'),
    (9, 'ce5627DYnQ6abcD', '{"connection_name": "a", "connection_name": "b"}'),
    (10, 'ce5627DYnQ6abcD', '{"connection_name": "a", "databricks_config": {"auth_type": "x", "auth_\u0074ype": "y"}}'),
    (11, 'ce5627DYnQ6abcD', test_helpers.config_without('{connection_name}')),
    (12, 'ce5627DYnQ6abcD', test_helpers.config_with('{connection_name}', 'null')),
    (13, 'ce5627DYnQ6abcD', test_helpers.config_with('{connection_name}', '" \u00a0 "')),
    (14, 'ce5627DYnQ6abcD', test_helpers.config_with('{connection_name}', '{"name": "x"}')),
    (15, 'ce5627DYnQ6abcD', test_helpers.config_with('{connection_name}', '"-dash-first"')),
    (16, 'ce5627DYnQ6abcD', test_helpers.config_with('{connection_name}', '"has space"')),
    (17, 'ce5627DYnQ6abcD', test_helpers.config_with('{connection_name}', '"../../etc"')),
    (18, 'ce5627DYnQ6abcD', test_helpers.config_with('{connection_name}', to_jsonb(repeat('n', 129)))),
    (19, 'ce5627DYnQ6abcD', test_helpers.config_with('{connection_name}', '"naïve"')),
    (20, 'ce5627DYnQ6abcD', test_helpers.config_without('{database_type}')),
    (21, 'ce5627DYnQ6abcD', test_helpers.config_with('{database_type}', '"SNOWFLAKE"')),
    (22, 'ce5627DYnQ6abcD', test_helpers.config_with('{database_type}', '"databricks"')),
    (23, 'ce5627DYnQ6abcD', test_helpers.config_without('{databricks_config}')),
    (24, 'ce5627DYnQ6abcD', test_helpers.config_with('{databricks_config}', '"x"')),
    (25, 'ce5627DYnQ6abcD', test_helpers.config_without('{databricks_config,workspace}')),
    (26, 'ce5627DYnQ6abcD', test_helpers.config_without('{databricks_config,workspace,workspace_url}')),
    (27, 'ce5627DYnQ6abcD', test_helpers.config_with('{databricks_config,workspace,workspace_url}', '""')),
    (28, 'ce5627DYnQ6abcD', test_helpers.config_with('{databricks_config,workspace,workspace_url}', '["https://x.cloud.databricks.com"]')),
    (29, 'ce5627DYnQ6abcD', test_helpers.config_with('{databricks_config,workspace,workspace_url}', '"http://dbc-a1.cloud.databricks.com"')),
    (30, 'ce5627DYnQ6abcD', test_helpers.config_with('{databricks_config,workspace,workspace_url}', '"https://"')),
    (31, 'ce5627DYnQ6abcD', test_helpers.config_with('{databricks_config,workspace,workspace_url}', '"https://user:pw@dbc-a1.cloud.databricks.com"')),
    (32, 'ce5627DYnQ6abcD', test_helpers.config_with('{databricks_config,workspace,workspace_url}', '"https://dbc-a1.cloud.databricks.com/path"')),
    (33, 'ce5627DYnQ6abcD', test_helpers.config_with('{databricks_config,workspace,workspace_url}', '"https://dbc-a1.cloud.databricks.com?x=1"')),
    (34, 'ce5627DYnQ6abcD', test_helpers.config_with('{databricks_config,workspace,workspace_url}', '"https://dbc-a1.cloud.databricks.com#top"')),
    (35, 'ce5627DYnQ6abcD', test_helpers.config_with('{databricks_config,workspace,workspace_url}', '"https://dbc-a1.cloud.databricks.com:99999"')),
    (36, 'ce5627DYnQ6abcD', test_helpers.config_with('{databricks_config,workspace,workspace_url}', '"https://-dbc.cloud.databricks.com"')),
    (37, 'ce5627DYnQ6abcD', test_helpers.config_with('{databricks_config,workspace,workspace_url}', '"https://dbc..databricks.com"')),
    (38, 'ce5627DYnQ6abcD', test_helpers.config_with('{databricks_config,workspace,workspace_url}', '"ftp://dbc-a1.cloud.databricks.com"')),
    (39, 'ce5627DYnQ6abcD', test_helpers.config_with('{databricks_config,workspace,workspace_url}', to_jsonb('https://' || repeat('a.', 300) || 'com'))),
    (40, 'ce5627DYnQ6abcD', test_helpers.config_with('{databricks_config,workspace,region}', '"us-east-1\n"')),
    (41, 'ce5627DYnQ6abcD', test_helpers.config_with('{databricks_config,workspace,region}', to_jsonb(repeat('r', 257)))),
    (42, 'ce5627DYnQ6abcD', test_helpers.config_without('{databricks_config,sql_warehouse}')),
    (43, 'ce5627DYnQ6abcD', test_helpers.config_without('{databricks_config,sql_warehouse,warehouse_id}')),
    (44, 'ce5627DYnQ6abcD', test_helpers.config_with('{databricks_config,sql_warehouse,warehouse_id}', '{"id": 123}')),
    (45, 'ce5627DYnQ6abcD', test_helpers.config_with('{databricks_config,sql_warehouse,auto_stop}', '"yes"')),
    (46, 'ce5627DYnQ6abcD', test_helpers.config_with('{databricks_config,sql_warehouse,auto_stop_minutes}', '-1')),
    (47, 'ce5627DYnQ6abcD', test_helpers.config_with('{databricks_config,sql_warehouse,auto_stop_minutes}', '1.5')),
    (48, 'ce5627DYnQ6abcD', test_helpers.config_with('{databricks_config,sql_warehouse,auto_stop_minutes}', '3000000000')),
    (49, 'ce5627DYnQ6abcD', test_helpers.config_without('{databricks_config,share_info}')),
    (50, 'ce5627DYnQ6abcD', test_helpers.config_with('{databricks_config,share_info,shared_catalog_name}', '""')),
    (51, 'ce5627DYnQ6abcD', test_helpers.config_with('{databricks_config,connection_properties}', '"x"')),
    (52, 'ce5627DYnQ6abcD', test_helpers.config_with('{databricks_config,connection_properties,query_timeout}', '"3 hundred"')),
    (53, 'ce5627DYnQ6abcD', test_helpers.config_without('{databricks_config,auth_type}')),
    (54, 'ce5627DYnQ6abcD', test_helpers.config_with('{databricks_config,auth_type}', '"PERSONAL_ACCESS_TOKEN"')),
    (55, 'ce5627DYnQ6abcD', test_helpers.config_with('{databricks_config,auth_type}', 'null')),
    (56, 'ce5627DYnQ6abcD', test_helpers.config_with('{connection_name}', '"\u200b\ufeff"')),
    (57, 'ce5627DYnQ6abcD', test_helpers.config_with('{databricks_config,sql_warehouse,auto_stop_minutes}', '1e400')),
    (58, 'ce5627DYnQ6abcD', test_helpers.config_with('{padding}', to_jsonb(repeat('x', 65536)))),
    (59, 'ce5627DYnQ6abcD', test_helpers.config_with('{padding}', (repeat('[', 65) || repeat(']', 65))::jsonb)),
    (60, 'ce5627DYnQ6abcD', test_helpers.config_with('{databricks_config,sql_warehouse,auto_stop}', '"yes"')),
    (61, 'ce5627DYnQ6abcD', test_helpers.config_with('{databricks_config,workspace,workspace_url}', '"https://169.254.169.254"')),
    (62, 'ce5627DYnQ6abcD', test_helpers.config_with('{databricks_config,workspace,workspace_url}', '"https://localhost:5432/"')),
    -- Whole numbers are read exactly, in decimal only.
    (63, 'ce5627DYnQ6abcD', test_helpers.config_with('{databricks_config,sql_warehouse,auto_stop_minutes}', '"0x10"')),
    (64, 'ce5627DYnQ6abcD', test_helpers.config_with('{databricks_config,sql_warehouse,auto_stop_minutes}', '1e-400')),
    (65, 'ce5627DYnQ6abcD', test_helpers.config_with('{databricks_config,sql_warehouse,auto_stop_minutes}', '5.0000000000000001')),
    (66, 'ce5627DYnQ6abcD', test_helpers.config_with('{databricks_config,sql_warehouse,auto_stop_minutes}', '2147483647.0000001')),
    (67, 'ce5627DYnQ6abcD', test_helpers.config_with('{databricks_config,sql_warehouse,auto_stop_minutes}', '"  5"')),
    (68, 'ce5627DYnQ6abcD', test_helpers.config_with('{databricks_config,sql_warehouse,auto_stop_minutes}', '"5."')),
    (69, 'ce5627DYnQ6abcD', test_helpers.config_with('{databricks_config,sql_warehouse,auto_stop_minutes}', '"+5"')),
    (70, 'ce5627DYnQ6abcD', test_helpers.config_with('{databricks_config,sql_warehouse,auto_stop_minutes}', '21474836480e-1')),
    (71, 'ce5627DYnQ6abcD', test_helpers.config_with('{databricks_config,sql_warehouse,auto_stop_minutes}', '"-1"'))
  ) AS cases(n, tenant, body)
 ORDER BY n;

-- Get, list and delete check the tenant and name the same way.
SELECT n, test_helpers.error_of(query)
  FROM (VALUES
    (1, $$SELECT dbx_oauth.dbx_get_database_config(NULL, 'my-databricks-connection')$$),
    (2, $$SELECT dbx_oauth.dbx_get_database_config('ce5627DYnQ6abcD', NULL)$$),
    (3, $$SELECT dbx_oauth.dbx_get_database_config('ce5627DYnQ6abcD', E'\t')$$),
    (4, $$SELECT dbx_oauth.dbx_get_database_config('ce5627DYnQ6abcD', 'my/../connection')$$),
    (5, $$SELECT dbx_oauth.dbx_get_database_config('ce5627DYnQ6abcD', 'MY-DATABRICKS-CONNECTION')$$),
    (6, $$SELECT dbx_oauth.dbx_list_database_configs('')$$),
    (7, $$SELECT dbx_oauth.dbx_list_database_configs('tenant;drop')$$),
    (8, $$SELECT dbx_oauth.dbx_delete_database_config('ce5627DYnQ6abcD', '')$$),
    (9, $$SELECT dbx_oauth.dbx_delete_database_config(' ', 'x')$$),
    (10, $$SELECT dbx_oauth.dbx_delete_database_config('ce5627DYnQ6abcD', 'no-such-connection')$$)
  ) AS cases(n, query)
 ORDER BY n;
SELECT test_helpers.state() = :'before' AS unchanged;

-- Clean up for the next test.
SELECT dbx_oauth.dbx_delete_database_config(t, n)->>'successful' AS deleted
  FROM (VALUES ('ce5627DYnQ6abcD', 'my-databricks-connection'), ('ce5627DYnQ6abcD', 'databricks-test-02'),
               ('otherTenant01', 'my-databricks-connection')) AS c(t, n);
