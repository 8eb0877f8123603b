/*
 * settings.c - the dbx_oauth.* configuration parameters
 *
 * All are superuser-only: they decide where secrets go and which key opens
 * them.  dbx_oauth.key_file is also hidden from non-superusers.
 */
#include "postgres.h"

#include <limits.h>

#include "miscadmin.h"
#include "utils/guc.h"

#include "settings.h"

/* The Databricks clouds: AWS, Azure, GCP, and their government regions. */
#define DEFAULT_ALLOWED_HOSTS \
	"*.cloud.databricks.com, *.azuredatabricks.net, *.gcp.databricks.com, " \
	"*.cloud.databricks.us, *.databricks.azure.us, *.databricks.azure.cn"

char	   *dbx_key_file = NULL;
char	   *dbx_token_allowed_hosts = NULL;
bool		dbx_allow_insecure_http = false;
char	   *dbx_rest_authenticator = NULL;
int			dbx_credential_max_age_days = 365;
int			dbx_connect_timeout_ms = 5000;
int			dbx_request_timeout_ms = 15000;
int			dbx_retry_budget_ms = 60000;
int			dbx_token_cache_size = 1024;
int			dbx_test_clock_offset_ms = 0;

/* The key file must be named by an absolute path: the server's cwd is the data directory. */
static bool
check_key_file(char **newval, void **extra, GucSource source)
{
	if (*newval == NULL || (*newval)[0] == '\0' || is_absolute_path(*newval))
		return true;
	GUC_check_errdetail("dbx_oauth.key_file must be an absolute path.");
	return false;
}

/* Register the settings; called once per backend from _PG_init. */
void
settings_define(void)
{
	DefineCustomStringVariable("dbx_oauth.key_file",
							   "Path of the file holding the dbx_oauth encryption keys.",
							   "One key per line as <version>:<64 hex characters>; "
							   "the highest version encrypts new writes.",
							   &dbx_key_file, "", PGC_SUSET, GUC_SUPERUSER_ONLY,
							   check_key_file, NULL, NULL);
	DefineCustomStringVariable("dbx_oauth.token_allowed_hosts",
							   "Hosts Databricks tokens may be requested from.",
							   "Comma-separated host names, or *.domain for any host under domain.",
							   &dbx_token_allowed_hosts, DEFAULT_ALLOWED_HOSTS, PGC_SUSET, 0,
							   NULL, NULL, NULL);
	DefineCustomStringVariable("dbx_oauth.rest_authenticator",
							   "The role PostgREST logs in as.",
							   "The dbx_api functions trust request headers and token claims "
							   "only in sessions of this role.",
							   &dbx_rest_authenticator, "dbx_authenticator", PGC_SUSET, 0,
							   NULL, NULL, NULL);
	DefineCustomIntVariable("dbx_oauth.credential_max_age",
							"Age after which a stored secret shows as stale in credential_metadata.",
							"Databricks OAuth secrets live at most 730 days.",
							&dbx_credential_max_age_days, 365, 1, 3650, PGC_SUSET, 0,
							NULL, NULL, NULL);
	DefineCustomBoolVariable("dbx_oauth.allow_insecure_http",
							 "Accept http:// workspace URLs. For local tests only.",
							 NULL, &dbx_allow_insecure_http, false, PGC_SUSET, 0,
							 NULL, NULL, NULL);
	DefineCustomIntVariable("dbx_oauth.connect_timeout",
							"Time allowed to connect to Databricks, per attempt.",
							NULL, &dbx_connect_timeout_ms, 5000, 100, 60000, PGC_SUSET,
							GUC_UNIT_MS, NULL, NULL, NULL);
	DefineCustomIntVariable("dbx_oauth.request_timeout",
							"Time allowed for one request to Databricks, connection included.",
							NULL, &dbx_request_timeout_ms, 15000, 100, 300000, PGC_SUSET,
							GUC_UNIT_MS, NULL, NULL, NULL);
	DefineCustomIntVariable("dbx_oauth.retry_budget",
							"Total time for a request to Databricks, retries and waits included.",
							"Throttling (429), 502, 503, 504 and network errors are retried "
							"within this budget, honouring Retry-After.",
							&dbx_retry_budget_ms, 60000, 0, 600000, PGC_SUSET,
							GUC_UNIT_MS, NULL, NULL, NULL);
	/* A server-start setting can only be defined while the library is preloaded. */
	if (process_shared_preload_libraries_in_progress)
		DefineCustomIntVariable("dbx_oauth.token_cache_size",
								"Connections whose access tokens the shared cache holds.",
								NULL, &dbx_token_cache_size, 1024, 16, 1000000, PGC_POSTMASTER,
								0, NULL, NULL, NULL);
	DefineCustomIntVariable("dbx_oauth.test_clock_offset",
							"Shifts the clock the token cache judges expiry by. For tests only.",
							NULL, &dbx_test_clock_offset_ms, 0, -INT_MAX, INT_MAX, PGC_SUSET,
							GUC_UNIT_MS | GUC_NO_SHOW_ALL | GUC_NOT_IN_SAMPLE, NULL, NULL, NULL);
	MarkGUCPrefixReserved("dbx_oauth");
}

/* Whether pattern (one list entry, trimmed, len bytes) matches host. */
static bool
pattern_matches(const char *pattern, int plen, const char *host, int hlen)
{
	if (plen > 2 && pattern[0] == '*' && pattern[1] == '.')
	{
		int			suffix = plen - 1;	/* ".domain" */

		return hlen > suffix && pg_strncasecmp(host + hlen - suffix, pattern + 1, suffix) == 0;
	}
	return plen == hlen && pg_strncasecmp(pattern, host, hlen) == 0;
}

bool
settings_host_allowed(const char *host, int len)
{
	const char *p = dbx_token_allowed_hosts ? dbx_token_allowed_hosts : "";

	while (*p)
	{
		const char *end = strchr(p, ',');
		const char *stop = end ? end : p + strlen(p);
		const char *start = p;

		while (start < stop && (*start == ' ' || *start == '\t'))
			start++;
		while (stop > start && (stop[-1] == ' ' || stop[-1] == '\t'))
			stop--;
		if (pattern_matches(start, stop - start, host, len))
			return true;
		p = end ? end + 1 : p + strlen(p);
	}
	return false;
}
