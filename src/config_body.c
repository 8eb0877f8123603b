/*
 * config_body.c - the vendor's create-config body, validated and normalized
 *
 * The body is checked against a table of the fields the vendor documents.
 * Fields it does not know are ignored, as the vendor's API ignores them, and
 * are not stored, so nothing a client adds by mistake (a secret, say) ends up
 * in the config.  The stored config is rebuilt from the known fields in a
 * fixed order.  Scalars are converted the way the vendor's JSON binding
 * converts them: a number or boolean where a string belongs is its text, a
 * string of digits where a number belongs is that number, "true" or "false"
 * where a boolean belongs is that boolean.
 */
#include "postgres.h"

#include <limits.h>

#include "lib/stringinfo.h"
#include "utils/json.h"

#include "config_body.h"
#include "errors.h"
#include "validate.h"

#define DEFAULT_MAX_CHARS 256
#define WORKSPACE_URL_MAX_CHARS 512

typedef enum FieldType
{
	FIELD_STRING,
	FIELD_BOOLEAN,
	FIELD_COUNT,				/* non-negative 32-bit integer */
	FIELD_OBJECT
} FieldType;

static const char *const type_names[] = {
	[FIELD_STRING] = "string",
	[FIELD_BOOLEAN] = "boolean",
	[FIELD_COUNT] = "whole number from 0 to 2147483647",
	[FIELD_OBJECT] = "JSON object",
};

typedef struct FieldSpec
{
	const char *name;
	FieldType	type;
	bool		required;
	int			max_chars;		/* strings; 0 when "check" owns every rule */
	void		(*check) (const char *value);	/* strings: rule of its own */
	const struct FieldSpec *members;	/* objects */
	int			capture;		/* 1 + offset in DatabaseConfig to keep the value at, or 0 */
} FieldSpec;

#define CAPTURE(member) (1 + (int) offsetof(DatabaseConfig, member))

static void
check_database_type(const char *value)
{
	if (strcmp(value, "DATABRICKS") != 0)
		dbx_raise(DBX_ERR_DATABASE_TYPE_UNSUPPORTED);
}

static void
check_auth_type(const char *value)
{
	if (strcmp(value, "OAUTH_M2M") != 0)
		dbx_raise(DBX_ERR_AUTH_TYPE_UNSUPPORTED);
}

static const FieldSpec workspace_fields[] = {
	{"workspace_url", FIELD_STRING, true, WORKSPACE_URL_MAX_CHARS, validate_workspace_url, NULL, CAPTURE(workspace_url)},
	{"workspace_id", FIELD_STRING, false, DEFAULT_MAX_CHARS},
	{"region", FIELD_STRING, false, DEFAULT_MAX_CHARS},
	{"cloud_provider", FIELD_STRING, false, DEFAULT_MAX_CHARS},
	{NULL}
};

static const FieldSpec sql_warehouse_fields[] = {
	{"warehouse_id", FIELD_STRING, true, DEFAULT_MAX_CHARS, NULL, NULL, CAPTURE(warehouse_id)},
	{"warehouse_name", FIELD_STRING, false, DEFAULT_MAX_CHARS},
	{"size", FIELD_STRING, false, DEFAULT_MAX_CHARS},
	{"auto_stop", FIELD_BOOLEAN, false},
	{"auto_stop_minutes", FIELD_COUNT, false},
	{NULL}
};

static const FieldSpec share_info_fields[] = {
	{"shared_catalog_name", FIELD_STRING, true, DEFAULT_MAX_CHARS},
	{NULL}
};

static const FieldSpec connection_properties_fields[] = {
	{"query_timeout", FIELD_COUNT, false},
	{"max_pool_size", FIELD_COUNT, false},
	{NULL}
};

static const FieldSpec databricks_config_fields[] = {
	{"workspace", FIELD_OBJECT, true, 0, NULL, workspace_fields},
	{"sql_warehouse", FIELD_OBJECT, true, 0, NULL, sql_warehouse_fields},
	{"share_info", FIELD_OBJECT, true, 0, NULL, share_info_fields},
	{"connection_properties", FIELD_OBJECT, false, 0, NULL, connection_properties_fields},
	{"auth_type", FIELD_STRING, true, DEFAULT_MAX_CHARS, check_auth_type},
	{NULL}
};

/* The one-call API's body; clientId and clientSecret follow these. */
static const FieldSpec one_call_fields[] = {
	{"connectionName", FIELD_STRING, false, 0, validate_connection_name, NULL, CAPTURE(connection_name)},
	{"workspaceUrl", FIELD_STRING, true, WORKSPACE_URL_MAX_CHARS, validate_workspace_url, NULL, CAPTURE(workspace_url)},
	{"warehouseId", FIELD_STRING, true, DEFAULT_MAX_CHARS, NULL, NULL, CAPTURE(warehouse_id)},
	{NULL}
};

static const FieldSpec body_fields[] = {
	{"connection_name", FIELD_STRING, false, 0, validate_connection_name, NULL, CAPTURE(connection_name)},
	{"database_type", FIELD_STRING, true, DEFAULT_MAX_CHARS, check_database_type, NULL, CAPTURE(database_type)},
	{"databricks_config", FIELD_OBJECT, true, 0, NULL, databricks_config_fields, CAPTURE(databricks_config)},
	{NULL}
};


/*
 * Whether literal is a decimal number (JSON's number syntax, leading zeros
 * allowed) whose value is a whole number from 0 to INT_MAX: 10, 10.0, 1e1,
 * 100e-1 and -0 all are, as JSON clients may write any of them.
 * Exact, digit by digit: 5.0000000000000001 is not, whatever a double makes
 * of it.
 */
static bool
parse_count(const char *literal, int *count)
{
	const char *p = literal;
	char	   *digits = palloc(strlen(literal) + 1);	/* integer and fraction digits */
	int			ndigits = 0;
	int			exponent = 0;	/* value = digits * 10^exponent */
	int64		value = 0;
	bool		negative = (*p == '-');

	if (negative)
		p++;
	while (isdigit((unsigned char) *p))
		digits[ndigits++] = *p++;
	if (ndigits == 0)
		return false;
	if (*p == '.')
	{
		if (!isdigit((unsigned char) *++p))
			return false;
		for (; isdigit((unsigned char) *p); p++, exponent--)
			digits[ndigits++] = *p;
	}
	if (*p == 'e' || *p == 'E')
	{
		int			sign = (*++p == '-') ? -1 : 1;
		int			e = 0;

		if (*p == '+' || *p == '-')
			p++;
		if (!isdigit((unsigned char) *p))
			return false;
		for (; isdigit((unsigned char) *p); p++)
			e = Min(e * 10 + (*p - '0'), 1000000);
		exponent += sign * e;
	}
	if (*p != '\0')
		return false;

	/* Leading zeros say nothing; trailing zeros move into the exponent. */
	while (ndigits > 0 && digits[ndigits - 1] == '0')
		ndigits--, exponent++;
	p = digits;
	while (ndigits > 0 && *p == '0')
		p++, ndigits--;
	if (ndigits == 0)
		exponent = 0;			/* zero, however written */
	else if (negative)
		return false;
	if (exponent < 0 || ndigits + exponent > 10)
		return false;
	for (int i = 0; i < ndigits + exponent; i++)
		value = value * 10 + (i < ndigits ? p[i] - '0' : 0);
	if (value > INT_MAX)
		return false;
	*count = (int) value;
	return true;
}

static void normalize_object(const JsonNode *object, const FieldSpec *fields,
							 const char *path, StringInfo out, DatabaseConfig *config);

/* Whether a value has (or converts to) the type of a field. */
static bool
fits(FieldType type, const JsonNode *value, int *count)
{
	switch (type)
	{
		case FIELD_STRING:
			return value->kind == JSON_KIND_STRING || value->kind == JSON_KIND_NUMBER ||
				value->kind == JSON_KIND_BOOL;
		case FIELD_BOOLEAN:
			return value->kind == JSON_KIND_BOOL ||
				(value->kind == JSON_KIND_STRING &&
				 (pg_strcasecmp(value->text, "true") == 0 || pg_strcasecmp(value->text, "false") == 0));
		case FIELD_COUNT:
			return (value->kind == JSON_KIND_NUMBER || value->kind == JSON_KIND_STRING) &&
				parse_count(value->text, count);
		case FIELD_OBJECT:
			return value->kind == JSON_KIND_OBJECT;
	}
	pg_unreachable();
}

/* Validate one present, non-null field and append its normalized value to out. */
static void
normalize_value(const FieldSpec *field, const JsonNode *value, const char *path,
				StringInfo out, DatabaseConfig *config)
{
	int			count = 0;

	if (!fits(field->type, value, &count))
		dbx_raise(DBX_ERR_FIELD_TYPE_INVALID, path, type_names[field->type]);

	switch (field->type)
	{
		case FIELD_STRING:
			if (field->max_chars > 0)
				validate_string_field(path, value->text, field->required, field->max_chars);
			if (field->check)
				field->check(value->text);
			escape_json(out, value->text);
			break;
		case FIELD_BOOLEAN:
			appendStringInfoString(out, pg_strcasecmp(value->text, "true") == 0 ? "true" : "false");
			break;
		case FIELD_COUNT:
			appendStringInfo(out, "%d", count);
			break;
		case FIELD_OBJECT:
			normalize_object(value, field->members, path, out, config);
			break;
	}
}

/*
 * Validate the known fields of object, in table order, and append the
 * normalized object to out.  path names the object in error messages.
 */
static void
normalize_object(const JsonNode *object, const FieldSpec *fields, const char *path,
				 StringInfo out, DatabaseConfig *config)
{
	bool		first = true;

	appendStringInfoChar(out, '{');
	for (const FieldSpec *field = fields; field->name != NULL; field++)
	{
		JsonNode   *value = json_member(object, field->name);
		char	   *field_path = path ? psprintf("%s.%s", path, field->name) : pstrdup(field->name);
		int			start;

		if (value == NULL || value->kind == JSON_KIND_NULL)
		{
			if (field->required)
				dbx_raise(DBX_ERR_FIELD_REQUIRED, field_path);
			if (field->check)
				field->check(NULL);
			continue;
		}
		appendStringInfo(out, "%s", first ? "" : ", ");
		escape_json(out, field->name);
		appendStringInfoString(out, ": ");
		start = out->len;
		normalize_value(field, value, field_path, out, config);
		if (field->capture)
		{
			char	  **slot = (char **) ((char *) config + field->capture - 1);

			*slot = field->type == FIELD_STRING ? pstrdup(value->text) : pstrdup(out->data + start);
		}
		first = false;
	}
	appendStringInfoChar(out, '}');
}

/* Check a body against fields, filling config; returns the normalized body. */
static StringInfo
normalize_body(const JsonNode *body, const FieldSpec *fields, DatabaseConfig *config)
{
	StringInfo	normalized = makeStringInfo();

	if (body == NULL || body->kind != JSON_KIND_OBJECT)
		dbx_raise(DBX_ERR_INVALID_REQUEST_BODY);
	memset(config, 0, sizeof(DatabaseConfig));
	normalize_object(body, fields, NULL, normalized, config);
	return normalized;
}

void
database_config_from_json(const JsonNode *body, DatabaseConfig *config)
{
	(void) normalize_body(body, body_fields, config);
}

void
database_config_from_one_call(JsonNode *body, DatabaseConfig *config,
							  text **client_id, text **client_secret)
{
	StringInfo	normalized = normalize_body(body, one_call_fields, config);

	*client_id = json_take_text(body, "clientId");
	validate_client_id(*client_id);
	*client_secret = json_take_text(body, "clientSecret");
	validate_client_secret(*client_secret);

	config->database_type = "DATABRICKS";
	resetStringInfo(normalized);
	appendStringInfoString(normalized, "{\"workspace\": {\"workspace_url\": ");
	escape_json(normalized, config->workspace_url);
	appendStringInfoString(normalized, "}, \"sql_warehouse\": {\"warehouse_id\": ");
	escape_json(normalized, config->warehouse_id);
	appendStringInfoString(normalized, "}, \"auth_type\": \"OAUTH_M2M\"}");
	config->databricks_config = normalized->data;
}
