/*
 * json_output.h - pieces of response bodies, written in the key order and
 * spacing the contract shows ("key": value, "key": value)
 */
#ifndef DBX_JSON_OUTPUT_H
#define DBX_JSON_OUTPUT_H

#include "lib/stringinfo.h"
#include "utils/timestamp.h"
#include "utils/uuid.h"

/* Milliseconds since the Unix epoch. */
extern int64 timestamp_to_unix_ms(TimestampTz t);

/* The canonical text form of a UUID. */
extern char *uuid_to_text(const pg_uuid_t *id);

/* Append ", " unless this is the first member; then "key": */
extern void json_key(StringInfo out, bool *first, const char *key);

/* "key": "value" (value escaped), or "key": null for NULL. */
extern void json_string_member(StringInfo out, bool *first, const char *key, const char *value);

/* "key": "2026-12-03T16:20:15.123Z" */
extern void json_time_member(StringInfo out, bool *first, const char *key, TimestampTz t);

/* A body as a json Datum. */
extern Datum json_result(const char *body);

#endif
