/*
 * settings.h - the dbx_oauth.* configuration parameters
 */
#ifndef DBX_SETTINGS_H
#define DBX_SETTINGS_H

/* dbx_oauth.key_file: absolute path of the key file, or empty when unset. */
extern char *dbx_key_file;

/* dbx_oauth.token_allowed_hosts: hosts (or *.domain patterns) tokens may be requested from. */
extern char *dbx_token_allowed_hosts;

/* dbx_oauth.rest_authenticator: the role PostgREST logs in as; only its sessions use dbx_api. */
extern char *dbx_rest_authenticator;

/* dbx_oauth.credential_max_age: days after which a stored secret shows as stale. */
extern int	dbx_credential_max_age_days;

/* dbx_oauth.allow_insecure_http: accept http:// workspace URLs (local tests only). */
extern bool dbx_allow_insecure_http;

/* Timeouts of the requests to Databricks, in milliseconds. */
extern int	dbx_connect_timeout_ms;
extern int	dbx_request_timeout_ms;
extern int	dbx_retry_budget_ms;

/* dbx_oauth.token_cache_size: entries of the shared token cache (server start). */
extern int	dbx_token_cache_size;

/* dbx_oauth.test_clock_offset: shifts the token cache's clock, for tests (ms). */
extern int	dbx_test_clock_offset_ms;

extern void settings_define(void);

/* Whether host (any case) is allowed by dbx_oauth.token_allowed_hosts. */
extern bool settings_host_allowed(const char *host, int len);

#endif
