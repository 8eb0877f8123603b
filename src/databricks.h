/*
 * databricks.h - the two Databricks calls dbx_oauth makes: the OAuth M2M
 * token request and the SQL warehouse check
 */
#ifndef DBX_DATABRICKS_H
#define DBX_DATABRICKS_H

/* The longest access token accepted (Databricks and Entra tokens are a few kB). */
#define DBX_ACCESS_TOKEN_MAX 8192

/* What a token request needs; client_secret is plaintext, wiped by the caller. */
typedef struct TokenRequest
{
	const char *tenant;
	const char *connection;
	const char *workspace_url;
	const char *client_id;
	const bytea *client_secret;
} TokenRequest;

typedef struct AccessToken
{
	char	   *access_token;	/* palloc'd; wiped by whoever drops it */
	int64		expires_in;		/* seconds */
} AccessToken;

/*
 * POST {workspace_url}/oidc/v1/token with grant_type=client_credentials and
 * scope=all-apis, the client authenticated with HTTP Basic.  Raises the
 * catalog error of every failure.
 */
extern void databricks_request_token(const TokenRequest *request, AccessToken *token);

/*
 * GET {workspace_url}/api/2.0/sql/warehouses/{warehouse_id} with the token.
 * Returns NULL when the warehouse is there and usable, else why not.
 */
extern char *databricks_check_warehouse(const char *workspace_url, const char *warehouse_id,
										const char *access_token);

#endif
