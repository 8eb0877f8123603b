/*
 * json_input.c - request bodies parsed into a small tree, strictly: one
 * value per key, so that no two readers can disagree about what was sent
 *
 * Built on PostgreSQL's own JSON parser (common/jsonapi.h) with semantic
 * actions that assemble the tree.
 */
#include "postgres.h"

#include "catalog/namespace.h"
#include "common/jsonapi.h"
#include "mb/pg_wchar.h"
#include "nodes/pg_list.h"
#include "utils/builtins.h"

#include "errors.h"
#include "json_input.h"
#include "subxact.h"

typedef struct TreeBuilder
{
	JsonNode   *root;
	List	   *open;			/* containers being filled, innermost last */
	char	   *pending_key;	/* member name waiting for its value */
	bool		duplicate_key;	/* some object names a member twice */
} TreeBuilder;

/* Grow a palloc'd array of pointers (or make one). */
static void *
grow_array(void *array, int capacity)
{
	return array ? repalloc(array, sizeof(void *) * capacity) : palloc(sizeof(void *) * capacity);
}

/* Attach a new value to the innermost open container, or make it the root. */
static void
attach(TreeBuilder *builder, JsonNode *value)
{
	JsonNode   *container;

	if (builder->open == NIL)
	{
		builder->root = value;
		return;
	}
	container = llast(builder->open);
	if (container->count == container->capacity)
	{
		container->capacity = container->capacity ? container->capacity * 2 : 8;
		container->keys = grow_array(container->keys, container->capacity);
		container->values = grow_array(container->values, container->capacity);
	}
	container->keys[container->count] = builder->pending_key;
	container->values[container->count] = value;
	container->count++;
	builder->pending_key = NULL;
}

/* A new node of the given kind. */
static JsonNode *
new_node(JsonKind kind, char *text)
{
	JsonNode   *node = palloc0(sizeof(JsonNode));

	node->kind = kind;
	node->text = text;
	return node;
}

/* Open a container node. */
static void
open_container(TreeBuilder *builder, JsonKind kind)
{
	JsonNode   *node = new_node(kind, NULL);

	attach(builder, node);
	builder->open = lappend(builder->open, node);
}

/* Order member names for the duplicate check. */
static int
compare_keys(const void *a, const void *b)
{
	return strcmp(*(char *const *) a, *(char *const *) b);
}

/* Whether every member name of an object is different. */
static bool
unique_keys(const JsonNode *object)
{
	char	  **sorted;
	bool		unique = true;

	if (object->count < 2)
		return true;
	sorted = palloc(sizeof(char *) * object->count);
	memcpy(sorted, object->keys, sizeof(char *) * object->count);
	qsort(sorted, object->count, sizeof(char *), compare_keys);
	for (int i = 1; i < object->count && unique; i++)
		unique = strcmp(sorted[i - 1], sorted[i]) != 0;
	pfree(sorted);
	return unique;
}

static void
on_object_start(void *state)
{
	open_container(state, JSON_KIND_OBJECT);
}

static void
on_object_end(void *state)
{
	TreeBuilder *builder = state;

	if (!unique_keys(llast(builder->open)))
		builder->duplicate_key = true;
	builder->open = list_delete_last(builder->open);
}

static void
on_array_start(void *state)
{
	open_container(state, JSON_KIND_ARRAY);
}

static void
on_array_end(void *state)
{
	TreeBuilder *builder = state;

	builder->open = list_delete_last(builder->open);
}

static void
on_field_start(void *state, char *fname, bool isnull)
{
	((TreeBuilder *) state)->pending_key = fname;
}

static void
on_scalar(void *state, char *token, JsonTokenType type)
{
	JsonKind	kind;

	switch (type)
	{
		case JSON_TOKEN_STRING:
			kind = JSON_KIND_STRING;
			break;
		case JSON_TOKEN_NUMBER:
			kind = JSON_KIND_NUMBER;
			break;
		case JSON_TOKEN_TRUE:
		case JSON_TOKEN_FALSE:
			kind = JSON_KIND_BOOL;
			break;
		default:
			kind = JSON_KIND_NULL;
			break;
	}
	attach(state, new_node(kind, token));
}

/*
 * Whether the document nests objects and arrays deeper than max_depth.  A
 * quick scan that recurses nowhere, so that a deep document fails cleanly
 * before the recursive parser runs out of stack.
 */
static bool
too_deep(const char *json, int len, int max_depth)
{
	int			depth = 0;
	bool		in_string = false;

	for (int i = 0; i < len; i++)
	{
		char		c = json[i];

		if (in_string)
		{
			if (c == '\\')
				i++;
			else if (c == '"')
				in_string = false;
		}
		else if (c == '"')
			in_string = true;
		else if ((c == '{' || c == '[') && ++depth > max_depth)
			return true;
		else if (c == '}' || c == ']')
			depth--;
	}
	return false;
}

/*
 * A copy of json (UTF-8) in the database encoding, in a buffer of its own
 * (*len updated), or NULL when a character has no equivalent there.
 */
static char *
utf8_to_database(const char *json, int *len)
{
	int			database = GetDatabaseEncoding();
	Oid			proc;
	Size		size;
	char	   *copy;

	if (database == PG_UTF8 || database == PG_SQL_ASCII)
		return pnstrdup(json, *len);
	proc = FindDefaultConversionProc(PG_UTF8, database);
	size = (Size) *len * MAX_CONVERSION_GROWTH + 1;
	copy = palloc(size);
	if (!OidIsValid(proc) ||
		pg_do_encoding_conversion_buf(proc, PG_UTF8, database, (unsigned char *) json, *len,
									  (unsigned char *) copy, size, true) < *len)
	{
		explicit_bzero(copy, size);
		pfree(copy);
		return NULL;
	}
	*len = strlen(copy);
	return copy;
}

/* One run of PostgreSQL's JSON parser. */
typedef struct ParseRun
{
	JsonLexContext *lex;
	JsonSemAction *actions;
	JsonParseErrorType result;
} ParseRun;

static void
run_parser(void *arg)
{
	ParseRun   *run = arg;

	run->result = pg_parse_json(run->lex, run->actions);
}

/*
 * Run the parser.  Outside UTF-8 databases its \u escapes are converted to
 * the database encoding, which raises an error for a character with no
 * equivalent there: then the parser runs in a subtransaction, and such an
 * error becomes DS_CHARACTER_NOT_SUPPORTED (it is not logged: it quotes the
 * character).  Returns DBX_ERROR_COUNT, or the catalog error that applies.
 */
static DbxErrorId
parse_with_escapes(const char *json, int len, ParseRun *run)
{
	ErrorData  *error;

	if (GetDatabaseEncoding() == PG_UTF8 || memchr(json, '\\', len) == NULL)
	{
		run_parser(run);
		return DBX_ERROR_COUNT;
	}
	error = run_in_subtransaction(run_parser, run);
	if (error == NULL)
		return DBX_ERROR_COUNT;
	if (error->sqlerrcode != ERRCODE_UNTRANSLATABLE_CHARACTER &&
		error->sqlerrcode != ERRCODE_FEATURE_NOT_SUPPORTED)
		ReThrowError(error);
	FreeErrorData(error);
	return DBX_ERR_CHARACTER_NOT_SUPPORTED;
}

/*
 * Parse json (UTF-8 when utf8, else in the database encoding) into a tree in
 * the database encoding; returns DBX_ERROR_COUNT, or the catalog error that
 * applies.
 */
static DbxErrorId
parse_tree(const char *json, int len, bool utf8, int max_bytes, JsonNode **root)
{
	TreeBuilder builder = {0};
	JsonSemAction actions = {0};
	ParseRun	run = {NULL, &actions, JSON_SUCCESS};
	DbxErrorId	error;
	char	   *copy;

	/* Bounds the tree's memory: a body is small, and its tree is larger still. */
	if (len > max_bytes)
		return DBX_ERR_REQUEST_TOO_LARGE;
	if (too_deep(json, len, DBX_JSON_MAX_DEPTH))
		return DBX_ERR_INVALID_REQUEST_BODY;
	if (utf8 && !pg_verify_mbstr(PG_UTF8, json, len, true))
		return DBX_ERR_INVALID_REQUEST_BODY;
	copy = utf8 ? utf8_to_database(json, &len) : pnstrdup(json, len);
	if (copy == NULL)
		return DBX_ERR_CHARACTER_NOT_SUPPORTED;
	actions.semstate = &builder;
	actions.object_start = on_object_start;
	actions.object_end = on_object_end;
	actions.array_start = on_array_start;
	actions.array_end = on_array_end;
	actions.object_field_start = on_field_start;
	actions.scalar = on_scalar;

	run.lex = makeJsonLexContextCstringLen(copy, len, GetDatabaseEncoding(), true);
	error = parse_with_escapes(copy, len, &run);
	/* The input and the lexer's buffer may hold a secret. */
	explicit_bzero(copy, len);
	if (run.lex->strval != NULL)
		explicit_bzero(run.lex->strval->data, run.lex->strval->maxlen);
	if (error != DBX_ERROR_COUNT)
		return error;
	/* The parser's own message could quote the input: it is never used. */
	if (run.result != JSON_SUCCESS)
		return DBX_ERR_INVALID_REQUEST_BODY;
	if (builder.duplicate_key)
		return DBX_ERR_JSON_DUPLICATE_KEY;
	*root = builder.root;
	return DBX_ERROR_COUNT;
}

JsonNode *
json_parse_document(const char *json, int len, bool utf8)
{
	JsonNode   *root = NULL;
	DbxErrorId	error = parse_tree(json, len, utf8, DBX_JSON_MAX_BYTES, &root);

	if (error != DBX_ERROR_COUNT)
		dbx_raise(error);
	return root;
}

JsonNode *
json_try_parse(const char *json, int len)
{
	JsonNode   *root = NULL;

	return parse_tree(json, len, false, DBX_JSON_MAX_OTHER_BYTES, &root) == DBX_ERROR_COUNT ? root : NULL;
}

JsonNode *
json_member(const JsonNode *object, const char *key)
{
	if (object == NULL || object->kind != JSON_KIND_OBJECT)
		return NULL;
	for (int i = 0; i < object->count; i++)
		if (strcmp(object->keys[i], key) == 0)
			return object->values[i];
	return NULL;
}

text *
json_take_text(JsonNode *object, const char *key)
{
	JsonNode   *value = json_member(object, key);
	text	   *result;

	if (value == NULL || value->kind == JSON_KIND_NULL)
		return NULL;
	/* A number or boolean is its text, as the vendor's JSON binding has it. */
	if (value->kind != JSON_KIND_STRING && value->kind != JSON_KIND_NUMBER &&
		value->kind != JSON_KIND_BOOL)
		dbx_raise(DBX_ERR_FIELD_TYPE_INVALID, key, "string");
	result = cstring_to_text(value->text);
	explicit_bzero(value->text, strlen(value->text));
	return result;
}
