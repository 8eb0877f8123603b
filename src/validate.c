/*
 * validate.c - input rules; each failed rule raises its catalog error
 *
 * Values are never trimmed or rewritten: a value either passes as given or
 * is refused.  Error messages name the field, never echo the value.
 */
#include "postgres.h"

#include "mb/pg_wchar.h"
#include "utils/builtins.h"

#include "errors.h"
#include "settings.h"
#include "validate.h"

/*
 * Length in bytes of the UTF-8 character at p (len bytes left) when it is
 * white space or invisible (Unicode White_Space, and the zero-width
 * characters U+180E, U+200B..U+200D, U+2060, U+FEFF), or 0.
 */
static int
blank_length(const unsigned char *p, int len)
{
	if (*p == ' ' || (*p >= '\t' && *p <= '\r'))
		return 1;
	/* U+0085, U+00A0 */
	if (len >= 2 && p[0] == 0xC2 && (p[1] == 0x85 || p[1] == 0xA0))
		return 2;
	if (len < 3)
		return 0;
	/* U+1680, U+180E */
	if (p[0] == 0xE1 && ((p[1] == 0x9A && p[2] == 0x80) || (p[1] == 0xA0 && p[2] == 0x8E)))
		return 3;
	/* U+2000..U+200D, U+2028, U+2029, U+202F */
	if (p[0] == 0xE2 && p[1] == 0x80 &&
		(p[2] <= 0x8D || p[2] == 0xA8 || p[2] == 0xA9 || p[2] == 0xAF))
		return 3;
	/* U+205F, U+2060 */
	if (p[0] == 0xE2 && p[1] == 0x81 && (p[2] == 0x9F || p[2] == 0xA0))
		return 3;
	/* U+3000 */
	if (p[0] == 0xE3 && p[1] == 0x80 && p[2] == 0x80)
		return 3;
	/* U+FEFF */
	if (p[0] == 0xEF && p[1] == 0xBB && p[2] == 0xBF)
		return 3;
	return 0;
}

/*
 * s as UTF-8, converted when the database uses another encoding, so that
 * the Unicode rules hold in every database.  *len is updated; the caller
 * releases a converted copy with release_utf8.
 */
static const unsigned char *
as_utf8(const char *s, int *len)
{
	char	   *converted;

	if (GetDatabaseEncoding() == PG_UTF8 || GetDatabaseEncoding() == PG_SQL_ASCII)
		return (const unsigned char *) s;
	converted = pg_server_to_any(s, *len, PG_UTF8);
	*len = strlen(converted);
	return (const unsigned char *) converted;
}

/* Wipe and free what as_utf8 converted (it may be a secret). */
static void
release_utf8(const char *s, const unsigned char *utf8, int len)
{
	if ((const char *) utf8 != s)
	{
		explicit_bzero((void *) utf8, len);
		pfree((void *) utf8);
	}
}

bool
is_blank(const char *s, int len)
{
	const unsigned char *utf8;
	const unsigned char *p;
	bool		blank = true;

	if (s == NULL)
		return true;
	p = utf8 = as_utf8(s, &len);
	for (int left = len; left > 0 && blank;)
	{
		int			n = blank_length(p, left);

		blank = (n > 0);
		p += n;
		left -= n;
	}
	release_utf8(s, utf8, len);
	return blank;
}

bool
has_control_character(const char *s, int len)
{
	const unsigned char *p = as_utf8(s, &len);
	bool		found = false;

	for (int i = 0; i < len && !found; i++)
		/* C0 controls, DEL, and C1 controls U+0080..U+009F */
		found = p[i] < 0x20 || p[i] == 0x7F ||
			(p[i] == 0xC2 && i + 1 < len && p[i + 1] >= 0x80 && p[i + 1] <= 0x9F);
	release_utf8(s, p, len);
	return found;
}

/* Number of characters in a string of len bytes. */
static int
char_count(const char *s, int len)
{
	return pg_mbstrlen_with_len(s, len);
}

/* An ASCII letter or digit, whatever the locale says. */
static bool
is_ascii_alnum(char c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

/* Whether every byte of s is an ASCII letter or digit or appears in "extra". */
static bool
only_characters(const char *s, const char *extra)
{
	for (; *s; s++)
		if (!is_ascii_alnum(*s) && strchr(extra, *s) == NULL)
			return false;
	return true;
}

void
validate_tenant(const char *tenant)
{
	if (tenant == NULL || is_blank(tenant, strlen(tenant)))
		dbx_raise(DBX_ERR_TENANT_ID_REQUIRED);
	if (strlen(tenant) > DBX_TENANT_MAX_CHARS || !only_characters(tenant, "_-"))
		dbx_raise(DBX_ERR_TENANT_ID_INVALID);
}

bool
is_connection_name(const char *name)
{
	return name != NULL && strlen(name) <= DBX_CONNECTION_NAME_MAX_CHARS &&
		is_ascii_alnum(name[0]) && only_characters(name, "._-");
}

void
validate_connection_name(const char *name)
{
	if (name == NULL || is_blank(name, strlen(name)))
		dbx_raise(DBX_ERR_CONNECTION_NAME_REQUIRED);
	if (!is_connection_name(name))
		dbx_raise(DBX_ERR_CONNECTION_NAME_INVALID);
}

/* Raise DS_VALUE_TOO_LONG when s has more than max_chars characters. */
static void
check_length(const char *field, const char *s, int len, int max_chars)
{
	if (len > max_chars && char_count(s, len) > max_chars)
		dbx_raise(DBX_ERR_VALUE_TOO_LONG, field, psprintf("%d", max_chars));
}

void
validate_client_id(const text *client_id)
{
	const char *s = client_id ? VARDATA_ANY(client_id) : NULL;
	int			len = client_id ? VARSIZE_ANY_EXHDR(client_id) : 0;

	if (is_blank(s, len))
		dbx_raise(DBX_ERR_CLIENT_ID_REQUIRED);
	check_length("clientId", s, len, DBX_CLIENT_ID_MAX_CHARS);
	/* HTTP Basic authentication cannot carry a user name with ':' in it. */
	if (has_control_character(s, len) || memchr(s, ':', len) != NULL)
		dbx_raise(DBX_ERR_CLIENT_ID_INVALID);
}

void
validate_client_secret(const text *client_secret)
{
	const char *s = client_secret ? VARDATA_ANY(client_secret) : NULL;
	int			len = client_secret ? VARSIZE_ANY_EXHDR(client_secret) : 0;

	if (is_blank(s, len))
		dbx_raise(DBX_ERR_CLIENT_SECRET_REQUIRED);
	check_length("clientSecret", s, len, DBX_CLIENT_SECRET_MAX_CHARS);
	if (has_control_character(s, len))
		dbx_raise(DBX_ERR_CLIENT_SECRET_INVALID);
}

void
validate_string_field(const char *path, const char *value, bool required, int max_chars)
{
	int			len = value ? strlen(value) : 0;

	if (required && is_blank(value, len))
		dbx_raise(DBX_ERR_FIELD_REQUIRED, path);
	if (value == NULL)
		return;
	check_length(path, value, len, max_chars);
	if (has_control_character(value, len))
		dbx_raise(DBX_ERR_FIELD_VALUE_INVALID, path);
}

/* Whether host is a DNS name or IPv4 address: dot-separated labels of letters, digits, '-'. */
static bool
valid_host(const char *host, int len)
{
	int			label = 0;

	if (len == 0 || len > 253)
		return false;
	for (int i = 0; i < len; i++)
	{
		char		c = host[i];

		if (c == '.')
		{
			if (label == 0 || host[i - 1] == '-')
				return false;
			label = 0;
		}
		else if (is_ascii_alnum(c))
			label++;
		else if (c == '-' && label > 0)
			label++;
		else
			return false;
		if (label > 63)
			return false;
	}
	return label > 0 && host[len - 1] != '-';
}

/* Whether s (len bytes) is a decimal port from 1 to 65535. */
static bool
valid_port(const char *s, int len)
{
	int			port = 0;

	if (len < 1 || len > 5)
		return false;
	for (int i = 0; i < len; i++)
	{
		if (s[i] < '0' || s[i] > '9')
			return false;
		port = port * 10 + (s[i] - '0');
	}
	return port >= 1 && port <= 65535;
}

void
validate_workspace_url(const char *url)
{
	const char *authority;
	const char *end;
	const char *colon;
	int			host_len;

	if (pg_strncasecmp(url, "https://", 8) == 0)
		authority = url + 8;
	else if (dbx_allow_insecure_http && pg_strncasecmp(url, "http://", 7) == 0)
		authority = url + 7;
	else
		dbx_raise(DBX_ERR_WORKSPACE_URL_INVALID);
	end = strchr(authority, '/');
	if (end == NULL)
		end = authority + strlen(authority);
	else if (strcmp(end, "/") != 0)
		dbx_raise(DBX_ERR_WORKSPACE_URL_INVALID);

	colon = memchr(authority, ':', end - authority);
	host_len = (colon ? colon : end) - authority;
	if (!valid_host(authority, host_len) ||
		(colon != NULL && !valid_port(colon + 1, end - colon - 1)))
		dbx_raise(DBX_ERR_WORKSPACE_URL_INVALID);
	if (!settings_host_allowed(authority, host_len))
		dbx_raise(DBX_ERR_HOST_NOT_ALLOWED, pnstrdup(authority, host_len));
}
