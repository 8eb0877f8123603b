/*
 * json_input.c - request bodies parsed into a small tree, strictly: one
 * value per key, so that no two readers can disagree about what was sent
 *
 * Built on PostgreSQL's own JSON parser (common/jsonapi.h) with semantic
 * actions that assemble the tree.
 */
#include "postgres.h"

#include "common/jsonapi.h"
#include "mb/pg_wchar.h"
#include "nodes/pg_list.h"
#include "utils/builtins.h"

#include "errors.h"
#include "json_input.h"

typedef struct TreeBuilder
{
	JsonNode   *root;
	List	   *open;			/* containers being filled, innermost last */
	char	   *pending_key;	/* member name waiting for its value */
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

/* Refuse an object that names a member twice. */
static void
check_unique_keys(const JsonNode *object)
{
	char	  **sorted;

	if (object->count < 2)
		return;
	sorted = palloc(sizeof(char *) * object->count);
	memcpy(sorted, object->keys, sizeof(char *) * object->count);
	qsort(sorted, object->count, sizeof(char *), compare_keys);
	for (int i = 1; i < object->count; i++)
		if (strcmp(sorted[i - 1], sorted[i]) == 0)
			dbx_raise(DBX_ERR_JSON_DUPLICATE_KEY);
	pfree(sorted);
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

	check_unique_keys(llast(builder->open));
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

JsonNode *
json_parse_document(const char *json, int len)
{
	TreeBuilder builder = {0};
	JsonSemAction actions = {0};
	JsonLexContext *lex;
	JsonParseErrorType result;
	char	   *copy;

	/* Bounds the tree's memory: a body is small, and its tree is larger still. */
	if (len > DBX_JSON_MAX_BYTES)
		dbx_raise(DBX_ERR_REQUEST_TOO_LARGE);
	actions.semstate = &builder;
	actions.object_start = on_object_start;
	actions.object_end = on_object_end;
	actions.array_start = on_array_start;
	actions.array_end = on_array_end;
	actions.object_field_start = on_field_start;
	actions.scalar = on_scalar;

	copy = pnstrdup(json, len);
	lex = makeJsonLexContextCstringLen(copy, len, GetDatabaseEncoding(), true);
	result = pg_parse_json(lex, &actions);
	/* The input and the lexer's buffer may hold a secret. */
	explicit_bzero(copy, len);
	if (lex->strval != NULL)
		explicit_bzero(lex->strval->data, lex->strval->maxlen);
	/* The parser's own message could quote the input: do not use it. */
	if (result != JSON_SUCCESS)
		dbx_raise(DBX_ERR_INVALID_REQUEST_BODY);
	return builder.root;
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
	if (value->kind != JSON_KIND_STRING)
		dbx_raise(DBX_ERR_FIELD_TYPE_INVALID, key, "string");
	result = cstring_to_text(value->text);
	explicit_bzero(value->text, strlen(value->text));
	return result;
}
