/*
 * errors.h - the one catalog of errors a user of dbx_oauth can cause
 *
 * Every entry has a vendor-style code, a SQLSTATE, the HTTP status the REST
 * layer answers with, its parameter names and its text.  The SQL message is
 * always "Code: <CODE>; Message parameters: [<p1>, <p2>]. <text>".
 */
#ifndef DBX_ERRORS_H
#define DBX_ERRORS_H

typedef enum DbxErrorId
{
	DBX_ERR_CLIENT_ID_REQUIRED,
	DBX_ERR_CLIENT_SECRET_REQUIRED,
	DBX_ERR_CONNECTION_ALREADY_EXISTS,
	DBX_ERR_TENANT_ID_REQUIRED,
	DBX_ERR_TENANT_ID_INVALID,
	DBX_ERR_CONNECTION_NAME_REQUIRED,
	DBX_ERR_CONNECTION_NAME_INVALID,
	DBX_ERR_CONNECTION_NOT_FOUND,
	DBX_ERR_CLIENT_ID_INVALID,
	DBX_ERR_CLIENT_SECRET_INVALID,
	DBX_ERR_VALUE_TOO_LONG,
	DBX_ERR_INVALID_REQUEST_BODY,
	DBX_ERR_JSON_DUPLICATE_KEY,
	DBX_ERR_CHARACTER_NOT_SUPPORTED,
	DBX_ERR_FIELD_REQUIRED,
	DBX_ERR_FIELD_TYPE_INVALID,
	DBX_ERR_FIELD_VALUE_INVALID,
	DBX_ERR_DATABASE_TYPE_UNSUPPORTED,
	DBX_ERR_AUTH_TYPE_UNSUPPORTED,
	DBX_ERR_WORKSPACE_URL_INVALID,
	DBX_ERR_KEY_NOT_CONFIGURED,
	DBX_ERR_KEY_FILE_UNREADABLE,
	DBX_ERR_KEY_FILE_INSECURE,
	DBX_ERR_KEY_FILE_INVALID,
	DBX_ERR_KEY_FILE_EMPTY,
	DBX_ERR_KEY_FILE_TOO_LARGE,
	DBX_ERR_HOST_NOT_ALLOWED,
	DBX_ERR_NOT_PRELOADED,
	DBX_ERR_CREDENTIALS_NOT_STORED,
	DBX_ERR_KEY_VERSION_MISSING,
	DBX_ERR_CREDENTIALS_TAMPERED,
	DBX_ERR_CREDENTIALS_REJECTED,
	DBX_ERR_DATABRICKS_REJECTED,
	DBX_ERR_DATABRICKS_UNAVAILABLE,
	DBX_ERR_DATABRICKS_UNREACHABLE,
	DBX_ERR_DATABRICKS_RESPONSE_INVALID,
	DBX_ERR_CONNECTION_ALREADY_ACTIVE,
	DBX_ERR_ACCESS_DENIED,
	DBX_ERR_FORBIDDEN,
	DBX_ERR_AUTH_TOKEN_REQUIRED,
	DBX_ERR_AUTH_TOKEN_INVALID,
	DBX_ERR_AUTH_TOKEN_EXPIRED,
	DBX_ERR_BAD_REQUEST,
	DBX_ERR_ROUTE_NOT_FOUND,
	DBX_ERR_METHOD_NOT_ALLOWED,
	DBX_ERR_REQUEST_TOO_LARGE,
	DBX_ERR_UNSUPPORTED_MEDIA_TYPE,
	DBX_ERR_SERVICE_UNAVAILABLE,
	DBX_ERR_INTERNAL,
	DBX_ERROR_COUNT
} DbxErrorId;

/*
 * The vendor envelope {"successful": false, "error": "..."} and HTTP status
 * for a caught error.  A catalog error keeps its message and status; any
 * other error becomes DS_FORBIDDEN (42501), DS_SERVICE_UNAVAILABLE
 * (cancellation, a read-only transaction, serialization failure, deadlock,
 * resource exhaustion) or DS_INTERNAL_ERROR, so that nothing internal
 * reaches a client.
 */
extern char *dbx_error_response(const char *message, int sqlstate, int *http_status);

/*
 * What to call a caught error in the audit trail: its catalog code, or for
 * any other error "SQLSTATE <code>" (its text may name internals).
 */
extern const char *dbx_error_label(const char *message, int sqlstate);

/* Raise again an error caught earlier (its message "Code: ..."), with its entry's hint. */
extern void dbx_reraise(int sqlstate, const char *message) pg_attribute_noreturn();

/* Raise catalog entry "id" as a SQL ERROR; pass one C string per parameter. */
extern void dbx_raise(DbxErrorId id,...) pg_attribute_noreturn();

/*
 * Like dbx_raise, with a detail line that goes to the server log only (for
 * facts such as file paths that API clients must not see).
 */
extern void dbx_raise_with_log_detail(const char *log_detail, DbxErrorId id,...) pg_attribute_noreturn();

#endif
