/*
 * databricks.c - the two Databricks calls dbx_oauth makes: the OAuth M2M
 * token request and the SQL warehouse check
 *
 * Protocol (as the official SDKs speak it): POST {workspace}/oidc/v1/token,
 * form body grant_type=client_credentials&scope=all-apis, HTTP Basic
 * client_id:client_secret.  The answer is {"access_token", "token_type",
 * "expires_in", "scope"}, or {"error": "invalid_client", ...} (some gateways
 * say {"errorCode": ..., "errorSummary": ...}).  No message dbx_oauth raises
 * contains the secret or the token.
 */
#include "postgres.h"

#include <curl/curl.h>

#include "common/base64.h"
#include "mb/pg_wchar.h"

#include "databricks.h"
#include "errors.h"
#include "http_client.h"
#include "json_input.h"
#include "validate.h"

/* The workspace URL checked again (scheme, allowed host), without a trailing slash. */
static char *
api_base(const char *workspace_url)
{
	size_t		len = strlen(workspace_url);

	validate_workspace_url(workspace_url);
	return pnstrdup(workspace_url, (len > 0 && workspace_url[len - 1] == '/') ? len - 1 : len);
}

/* bytes as UTF-8, converted from the database encoding when that differs. */
static char *
utf8_of(const char *bytes, int len)
{
	char	   *copy = pnstrdup(bytes, len);
	char	   *converted = pg_server_to_any(copy, len, PG_UTF8);

	if (converted != copy)
	{
		explicit_bzero(copy, len);
		pfree(copy);
	}
	return converted;
}

/* "Basic base64(client_id:client_secret)"; the caller wipes it. */
static char *
basic_authorization(const char *client_id, const bytea *client_secret)
{
	char	   *id = utf8_of(client_id, strlen(client_id));
	char	   *secret = utf8_of(VARDATA_ANY(client_secret), VARSIZE_ANY_EXHDR(client_secret));
	char	   *pair = psprintf("%s:%s", id, secret);
	int			pair_len = strlen(pair);
	int			encoded_len = pg_b64_enc_len(pair_len);
	char	   *header = palloc(strlen("Basic ") + encoded_len + 1);
	int			written;

	strcpy(header, "Basic ");
	written = pg_b64_encode(pair, pair_len, header + strlen("Basic "), encoded_len);
	if (written < 0)
		elog(ERROR, "could not encode the client credentials");
	header[strlen("Basic ") + written] = '\0';
	explicit_bzero(pair, pair_len);
	explicit_bzero(secret, strlen(secret));
	return header;
}

/* Whether an error answer says the client credentials were rejected. */
static bool
client_rejected(const HttpResponse *response)
{
	JsonNode   *answer;
	const char *names[] = {"error", "errorCode", "error_code"};

	if (response->status == 401)
		return true;
	if (response->status != 400)
		return false;
	answer = json_try_parse(response->body.data, response->body.len);
	for (size_t i = 0; i < lengthof(names); i++)
	{
		JsonNode   *value = json_member(answer, names[i]);

		if (value != NULL && value->kind == JSON_KIND_STRING &&
			pg_strcasecmp(value->text, "invalid_client") == 0)
			return true;
	}
	return false;
}

/*
 * The OAuth error of a refused token request ("error: error_description"),
 * for the server log: printable ASCII, at most 200 characters; "" if none.
 */
static char *
oauth_error(const HttpResponse *response)
{
	JsonNode   *answer = json_try_parse(response->body.data, response->body.len);
	JsonNode   *error = json_member(answer, "error");
	JsonNode   *description = json_member(answer, "error_description");
	char	   *text;

	if (error == NULL || error->kind != JSON_KIND_STRING)
		return "";
	text = psprintf(" (%.100s%s%.100s)", error->text,
					description && description->kind == JSON_KIND_STRING ? ": " : "",
					description && description->kind == JSON_KIND_STRING ? description->text : "");
	for (char *c = text; *c; c++)
		if ((unsigned char) *c < 0x20 || (unsigned char) *c >= 0x7f)
			*c = '?';
	return text;
}

/* Read a successful answer into token; false if it is not a valid token response. */
static bool
read_token(const HttpResponse *response, AccessToken *token)
{
	JsonNode   *answer = json_try_parse(response->body.data, response->body.len);
	JsonNode   *access_token = json_member(answer, "access_token");
	JsonNode   *expires_in = json_member(answer, "expires_in");
	char	   *end;
	double		seconds;
	bool		valid;

	if (access_token == NULL || access_token->kind != JSON_KIND_STRING ||
		expires_in == NULL || expires_in->kind != JSON_KIND_NUMBER)
		return false;
	seconds = strtod(expires_in->text, &end);
	valid = *end == '\0' && seconds >= 1 && seconds <= 7 * 86400 &&
		access_token->text[0] != '\0' && strlen(access_token->text) <= DBX_ACCESS_TOKEN_MAX &&
		!has_control_character(access_token->text, strlen(access_token->text));
	if (valid)
	{
		token->access_token = pstrdup(access_token->text);
		token->expires_in = (int64) seconds;
	}
	explicit_bzero(access_token->text, strlen(access_token->text));
	return valid;
}

void
databricks_request_token(const TokenRequest *request, AccessToken *token)
{
	char	   *url = psprintf("%s/oidc/v1/token", api_base(request->workspace_url));
	char	   *authorization = basic_authorization(request->client_id, request->client_secret);
	HttpRequest http = {url, "grant_type=client_credentials&scope=all-apis", authorization};
	HttpResponse response;
	bool		valid;

	http_send(&http, &response);
	explicit_bzero(authorization, strlen(authorization));

	if (response.status == 200)
	{
		valid = read_token(&response, token);
		explicit_bzero(response.body.data, response.body.len);
		if (!valid)
			dbx_raise(DBX_ERR_DATABRICKS_RESPONSE_INVALID);
		return;
	}
	if (response.status == 0)
		dbx_raise_with_log_detail(psprintf("token request to %s failed after %d attempts: %s",
										   url, response.attempts, response.error),
								  DBX_ERR_DATABRICKS_UNREACHABLE);
	if (client_rejected(&response))
		dbx_raise(DBX_ERR_CREDENTIALS_REJECTED, request->connection, request->tenant);
	if (response.status == 429 || response.status == 502 || response.status == 503 ||
		response.status == 504)
		dbx_raise(DBX_ERR_DATABRICKS_UNAVAILABLE, psprintf("%ld", response.status));
	dbx_raise_with_log_detail(psprintf("token endpoint %s answered HTTP %ld%s", url, response.status,
										   oauth_error(&response)),
							  DBX_ERR_DATABRICKS_REJECTED, psprintf("%ld", response.status));
}

char *
databricks_check_warehouse(const char *workspace_url, const char *warehouse_id,
						   const char *access_token)
{
	char	   *escaped = curl_easy_escape(NULL, warehouse_id, 0);
	char	   *url = psprintf("%s/api/2.0/sql/warehouses/%s", api_base(workspace_url), escaped);
	char	   *authorization = psprintf("Bearer %s", access_token);
	HttpRequest http = {url, NULL, authorization};
	HttpResponse response;

	curl_free(escaped);
	http_send(&http, &response);
	explicit_bzero(authorization, strlen(authorization));
	switch (response.status)
	{
		case 200:
			return NULL;
		case 0:
			return psprintf("the workspace could not be reached (%s)", response.error);
		case 401:
			return pstrdup("Databricks rejected the access token for the SQL warehouses API");
		case 403:
			return psprintf("the service principal may not use SQL warehouse %s; it needs the CAN USE permission",
							warehouse_id);
		case 404:
			return psprintf("SQL warehouse %s does not exist in the workspace", warehouse_id);
		default:
			return psprintf("the SQL warehouses API answered HTTP %ld", response.status);
	}
}
