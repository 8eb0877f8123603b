/*
 * rest.c - the functions PostgREST exposes (schema dbx_api), one per route of
 * the vendor's REST API
 *
 * nginx maps each route onto one of these functions.  It passes the raw,
 * still percent-encoded path segments in the X-Dbx-Tenant and
 * X-Dbx-Connection headers (it sets them itself, so a client cannot), and
 * the request body as application/octet-stream, so that PostgreSQL never
 * parses the body (nor quotes it in an error).  PostgREST has verified the
 * bearer token and put its claims in request.jwt.claims.
 *
 * Every call runs in a subtransaction: an error rolls back what the call did
 * and becomes the vendor envelope {"successful": false, "error": "..."} with
 * the catalog's HTTP status (response.status).  The same envelope goes into
 * the X-Dbx-Error response header, from which nginx answers, because nginx
 * replaces every error body it receives (PostgREST's own errors have another
 * shape).
 */
#include "postgres.h"

#include "common/hashfn.h"
#include "fmgr.h"
#include "miscadmin.h"
#include "storage/lock.h"
#include "utils/acl.h"
#include "mb/pg_wchar.h"
#include "utils/builtins.h"
#include "utils/guc.h"
#include "utils/json.h"

#include "audit.h"
#include "authz.h"
#include "configs.h"
#include "settings.h"
#include "credentials.h"
#include "errors.h"
#include "json_input.h"
#include "subxact.h"
#include "tokens.h"
#include "validate.h"

typedef struct RestRequest
{
	char	   *tenant;
	char	   *connection;		/* NULL on routes without one */
	JsonNode   *body;			/* NULL on routes without a body */
} RestRequest;

/* Runs one route; returns the response body and sets *status if not 200. */
typedef char *(*RestHandler) (RestRequest *request, int *status);

/* Connection tests at once over REST, and the advisory locks that count them. */
#define TESTS_PER_TENANT 2
#define TESTS_IN_ALL 4
#define TENANT_TESTS_LOCK_SPACE 0x44425854	/* "DBXT" */
#define TESTS_LOCK_SPACE 0x44425847 /* "DBXG" */

/* What a route reads besides the tenant. */
#define WITH_CONNECTION 0x1
#define WITH_BODY 0x2

/* A request setting PostgREST made for this transaction, or NULL (also when it is not valid JSON). */
static JsonNode *
request_setting(const char *name)
{
	const char *value = GetConfigOption(name, true, false);

	return (value == NULL || value[0] == '\0') ? NULL : json_try_parse(value, strlen(value));
}

/* The value of one hexadecimal digit, or -1. */
static int
hex_digit(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c |= 0x20;
	return (c >= 'a' && c <= 'f') ? c - 'a' + 10 : -1;
}

/*
 * A path segment with its %XX escapes decoded; a segment with a broken
 * escape or an encoded NUL comes back as it was, and fails validation.
 */
static char *
percent_decode(const char *segment)
{
	char	   *decoded;
	char	   *out;

	if (segment == NULL)
		return NULL;
	decoded = out = palloc(strlen(segment) + 1);
	for (const char *p = segment; *p; p++)
	{
		if (*p == '%')
		{
			int			hi = hex_digit(p[1]);
			int			lo = hi < 0 ? -1 : hex_digit(p[2]);

			if (lo < 0 || (hi == 0 && lo == 0))
				return pstrdup(segment);
			*out++ = (char) (hi << 4 | lo);
			p += 2;
		}
		else
			*out++ = *p;
	}
	*out = '\0';
	return decoded;
}

/* A request header nginx set, decoded, or NULL. */
static char *
path_segment(const JsonNode *headers, const char *name)
{
	JsonNode   *value = json_member(headers, name);

	return (value != NULL && value->kind == JSON_KIND_STRING) ? percent_decode(value->text) : NULL;
}

/*
 * Refuse a token without an expiry (PostgREST accepts one, we do not), or
 * whose claims our strict parser refuses.
 */
static void
check_expiry_claim(const JsonNode *claims)
{
	JsonNode   *exp = json_member(claims, "exp");

	if (claims == NULL || exp == NULL || exp->kind != JSON_KIND_NUMBER)
		dbx_raise(DBX_ERR_AUTH_TOKEN_INVALID);
}

/*
 * Refuse a tenant that the token's "tenants" claim does not list; else let
 * the operations act for it (and name the token's subject in the audit trail).
 */
static void
check_tenant_claim(const JsonNode *claims, const char *tenant, const char *connection)
{
	JsonNode   *tenants = json_member(claims, "tenants");
	JsonNode   *subject = json_member(claims, "sub");

	audit_set_subject(subject && subject->kind == JSON_KIND_STRING ? subject->text : NULL);
	if (tenants != NULL && tenants->kind == JSON_KIND_ARRAY)
		for (int i = 0; i < tenants->count; i++)
			if (tenants->values[i]->kind == JSON_KIND_STRING &&
				strcmp(tenants->values[i]->text, tenant) == 0)
			{
				authz_set_rest_tenant(tenant);
				return;
			}
	deny_tenant(tenant, connection);
}

/*
 * Headers and claims are only to be trusted in PostgREST's sessions: anyone
 * else could set request.jwt.claims to whatever they like.
 */
static void
check_session(void)
{
	Oid			authenticator = get_role_oid(dbx_rest_authenticator, true);

	if (!OidIsValid(authenticator) || GetSessionUserId() != authenticator)
		dbx_raise(DBX_ERR_FORBIDDEN);
}

/* The request body as a JSON tree; it must be UTF-8 JSON (RFC 8259). */
static JsonNode *
parse_body(const bytea *body)
{
	const char *data = body ? VARDATA_ANY(body) : "";
	int			len = body ? VARSIZE_ANY_EXHDR(body) : 0;

	/* A UTF-8 byte order mark may be ignored (RFC 8259). */
	if (len >= 3 && memcmp(data, "\xEF\xBB\xBF", 3) == 0)
	{
		data += 3;
		len -= 3;
	}
	if (len == 0)
		dbx_raise(DBX_ERR_INVALID_REQUEST_BODY);
	return json_parse_document(data, len, true);
}

/* Set a response setting of PostgREST for this transaction. */
static void
set_response(const char *name, const char *value)
{
	(void) set_config_option(name, value, PGC_USERSET, PGC_S_SESSION, GUC_ACTION_LOCAL,
							 true, 0, false);
}

/* One call of a route: what it runs on and what it answers. */
typedef struct RouteCall
{
	FunctionCallInfo fcinfo;
	RestHandler handler;
	int			inputs;
	int			status;
	char	   *body;
} RouteCall;

/* Read the route's inputs (in the order their checks run) and run it. */
static void
run_route(void *arg)
{
	RouteCall  *call = arg;
	FunctionCallInfo fcinfo = call->fcinfo;
	JsonNode   *headers = request_setting("request.headers");
	JsonNode   *claims = request_setting("request.jwt.claims");
	RestRequest request = {0};

	check_session();
	check_expiry_claim(claims);
	request.tenant = path_segment(headers, "x-dbx-tenant");
	if (call->inputs & WITH_CONNECTION)
		request.connection = path_segment(headers, "x-dbx-connection");
	validate_tenant(request.tenant);
	check_tenant_claim(claims, request.tenant, request.connection);
	if (call->inputs & WITH_CONNECTION)
		validate_connection_name(request.connection);
	if (call->inputs & WITH_BODY)
		request.body = parse_body(PG_ARGISNULL(0) ? NULL : PG_GETARG_BYTEA_PP(0));
	call->body = call->handler(&request, &call->status);
}

/*
 * Serve one route: run it in a subtransaction and turn any error into the
 * vendor envelope with its HTTP status.
 */
static Datum
serve(FunctionCallInfo fcinfo, RestHandler handler, int inputs)
{
	RouteCall	call = {fcinfo, handler, inputs, 200, NULL};
	ErrorData  *error = run_in_subtransaction(run_route, &call);

	authz_set_rest_tenant(NULL);
	audit_set_subject(NULL);
	if (error != NULL)
	{
		StringInfoData header;

		call.body = dbx_error_response(error->message, error->sqlerrcode, &call.status);
		if (call.status >= 500)
			ereport(LOG, errmsg("dbx_api request failed: %s", error->message));
		initStringInfo(&header);
		appendStringInfoString(&header, "[{\"X-Dbx-Error\": ");
		escape_json(&header, call.body);
		appendStringInfoString(&header, "}]");
		set_response("response.headers", header.data);
		FreeErrorData(error);
	}
	if (call.status != 200)
		set_response("response.status", psprintf("%d", call.status));
	PG_RETURN_TEXT_P(cstring_to_text(call.body));
}

/* POST .../{connectionName}/databricks/oauth/credentials */
static char *
store_credentials(RestRequest *request, int *status)
{
	text	   *client_id;
	text	   *client_secret;
	pg_uuid_t	id;
	TimestampTz stored_at;

	if (request->body->kind != JSON_KIND_OBJECT)
		dbx_raise(DBX_ERR_INVALID_REQUEST_BODY);
	client_id = json_take_text(request->body, "clientId");
	client_secret = json_take_text(request->body, "clientSecret");
	credentials_store(request->tenant, request->connection, client_id, client_secret,
					  &id, &stored_at);
	if (client_secret != NULL)
		explicit_bzero(VARDATA_ANY(client_secret), VARSIZE_ANY_EXHDR(client_secret));
	return credentials_stored_body(request->connection, &id, stored_at);
}

/* POST .../database-configs/ */
static char *
create_config(RestRequest *request, int *status)
{
	*status = 201;
	return config_create(request->tenant, request->body);
}

/* POST .../database-configs/databricks/oauth/credentials */
static char *
create_config_with_credentials(RestRequest *request, int *status)
{
	*status = 201;
	return config_create_with_credentials(request->tenant, request->body);
}

/* GET .../database-configs/ */
static char *
list_configs(RestRequest *request, int *status)
{
	return config_list(request->tenant);
}

/* GET .../database-configs/{connectionName} */
static char *
get_config(RestRequest *request, int *status)
{
	return config_get(request->tenant, request->connection);
}

/* DELETE .../database-configs/{connectionName} */
static char *
delete_config(RestRequest *request, int *status)
{
	return config_delete(request->tenant, request->connection);
}

/*
 * Take one of "slots" advisory locks (space, first + i) of this database,
 * held until the transaction ends however it ends; false if all are taken.
 */
static bool
take_slot(uint32 space, uint32 first, int slots)
{
	for (int i = 0; i < slots; i++)
	{
		LOCKTAG		tag;

		SET_LOCKTAG_ADVISORY(tag, MyDatabaseId, space, first + i, 2);
		if (LockAcquire(&tag, ExclusiveLock, false, true) != LOCKACQUIRE_NOT_AVAIL)
			return true;
	}
	return false;
}

/*
 * POST .../database-configs/{connectionName}/test.  A test holds one of
 * PostgREST's pooled connections while it waits on the workspace, and goes
 * on when its client has gone: TESTS_PER_TENANT may run at once per tenant
 * and TESTS_IN_ALL in all, counted here, where they run.
 */
static char *
test_connection(RestRequest *request, int *status)
{
	uint32		hash = hash_bytes((const unsigned char *) request->tenant, strlen(request->tenant));

	if (!take_slot(TENANT_TESTS_LOCK_SPACE, hash - hash % TESTS_PER_TENANT, TESTS_PER_TENANT) ||
		!take_slot(TESTS_LOCK_SPACE, 0, TESTS_IN_ALL))
		dbx_raise(DBX_ERR_SERVICE_UNAVAILABLE);
	return connection_test_body(request->tenant, request->connection);
}

PG_FUNCTION_INFO_V1(dbx_api_test_connection);
PG_FUNCTION_INFO_V1(dbx_api_store_credentials);
PG_FUNCTION_INFO_V1(dbx_api_create_config);
PG_FUNCTION_INFO_V1(dbx_api_create_config_with_credentials);
PG_FUNCTION_INFO_V1(dbx_api_list_configs);
PG_FUNCTION_INFO_V1(dbx_api_get_config);
PG_FUNCTION_INFO_V1(dbx_api_delete_config);

Datum
dbx_api_test_connection(PG_FUNCTION_ARGS)
{
	return serve(fcinfo, test_connection, WITH_CONNECTION);
}

Datum
dbx_api_store_credentials(PG_FUNCTION_ARGS)
{
	return serve(fcinfo, store_credentials, WITH_CONNECTION | WITH_BODY);
}

Datum
dbx_api_create_config(PG_FUNCTION_ARGS)
{
	return serve(fcinfo, create_config, WITH_BODY);
}

Datum
dbx_api_create_config_with_credentials(PG_FUNCTION_ARGS)
{
	return serve(fcinfo, create_config_with_credentials, WITH_BODY);
}

Datum
dbx_api_list_configs(PG_FUNCTION_ARGS)
{
	return serve(fcinfo, list_configs, 0);
}

Datum
dbx_api_get_config(PG_FUNCTION_ARGS)
{
	return serve(fcinfo, get_config, WITH_CONNECTION);
}

Datum
dbx_api_delete_config(PG_FUNCTION_ARGS)
{
	return serve(fcinfo, delete_config, WITH_CONNECTION);
}
