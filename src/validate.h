/*
 * validate.h - input rules; each failed rule raises its catalog error
 */
#ifndef DBX_VALIDATE_H
#define DBX_VALIDATE_H

#define DBX_TENANT_MAX_CHARS 64
#define DBX_CONNECTION_NAME_MAX_CHARS 128
#define DBX_CLIENT_ID_MAX_CHARS 256
#define DBX_CLIENT_SECRET_MAX_CHARS 1024

/* Null, empty, or only white space and invisible characters (in any database encoding). */
extern bool is_blank(const char *s, int len);

/* Contains a C0 or C1 control character or DEL. */
extern bool has_control_character(const char *s, int len);

extern void validate_tenant(const char *tenant);
extern void validate_connection_name(const char *name);

/* Whether validate_connection_name would accept the name. */
extern bool is_connection_name(const char *name);
extern void validate_client_id(const text *client_id);
extern void validate_client_secret(const text *client_secret);
/*
 * An https URL of a host and nothing else (http too when
 * dbx_oauth.allow_insecure_http is on), whose host dbx_oauth.token_allowed_hosts
 * allows.
 */
extern void validate_workspace_url(const char *url);

/* Generic rules for a string field of a request body (path names it). */
extern void validate_string_field(const char *path, const char *value, bool required, int max_chars);

#endif
