/*
 * json_input.h - request bodies parsed into a small tree, strictly: one
 * value per key, so that no two readers can disagree about what was sent
 */
#ifndef DBX_JSON_INPUT_H
#define DBX_JSON_INPUT_H

typedef enum JsonKind
{
	JSON_KIND_NULL,
	JSON_KIND_BOOL,
	JSON_KIND_NUMBER,
	JSON_KIND_STRING,
	JSON_KIND_ARRAY,
	JSON_KIND_OBJECT
} JsonKind;

typedef struct JsonNode
{
	JsonKind	kind;
	char	   *text;			/* string value (unescaped), number or boolean literal */
	int			count;			/* members of an object or array */
	int			capacity;
	char	  **keys;			/* object member names */
	struct JsonNode **values;	/* object member values, array elements */
} JsonNode;

/* The largest request body parsed: as large as the REST layer lets one be. */
#define DBX_JSON_MAX_BYTES (64 * 1024)
/* The largest other document (request headers and claims, Databricks' answers). */
#define DBX_JSON_MAX_OTHER_BYTES (1024 * 1024)
/* The deepest nesting of objects and arrays accepted. */
#define DBX_JSON_MAX_DEPTH 64

/*
 * Parse a JSON document, in UTF-8 (a request body) when utf8, else in the
 * database encoding (a SQL argument); the tree's text is in the database
 * encoding.  Invalid JSON (or invalid UTF-8) raises DS_INVALID_REQUEST_BODY;
 * a key repeated within one object raises DS_JSON_DUPLICATE_KEY; a document
 * over DBX_JSON_MAX_BYTES raises DS_REQUEST_TOO_LARGE; a character the
 * database encoding has no equivalent for raises DS_CHARACTER_NOT_SUPPORTED.
 */
extern JsonNode *json_parse_document(const char *json, int len, bool utf8);

/*
 * The same for documents in the database encoding that are not request
 * bodies (up to DBX_JSON_MAX_OTHER_BYTES): NULL instead of an error.
 */
extern JsonNode *json_try_parse(const char *json, int len);

/* The member "key" of an object node, or NULL if it has none. */
extern JsonNode *json_member(const JsonNode *object, const char *key);

/*
 * The string member "key" as text (a number or boolean as its text), or NULL
 * when it is missing or null; raises DS_FIELD_TYPE_INVALID for an object or
 * array.  The copy in the tree is wiped, so
 * a secret taken this way stays in one place.
 */
extern text *json_take_text(JsonNode *object, const char *key);

#endif
