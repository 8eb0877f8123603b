/*
 * json_output.c - pieces of response bodies, written in the key order and
 * spacing the contract shows ("key": value, "key": value)
 */
#include "postgres.h"

#include "datatype/timestamp.h"
#include "fmgr.h"
#include "utils/builtins.h"
#include "utils/datetime.h"
#include "utils/json.h"

#include "json_output.h"

int64
timestamp_to_unix_ms(TimestampTz t)
{
	const int64 epoch_shift = (int64) (POSTGRES_EPOCH_JDATE - UNIX_EPOCH_JDATE) * SECS_PER_DAY * 1000;

	/* Round towards minus infinity, like the epoch milliseconds of Java. */
	int64		ms = t / 1000 - ((t % 1000 < 0) ? 1 : 0);

	return ms + epoch_shift;
}

char *
uuid_to_text(const pg_uuid_t *id)
{
	return DatumGetCString(DirectFunctionCall1(uuid_out, UUIDPGetDatum(id)));
}

void
json_key(StringInfo out, bool *first, const char *key)
{
	if (!*first)
		appendStringInfoString(out, ", ");
	*first = false;
	escape_json(out, key);
	appendStringInfoString(out, ": ");
}

void
json_string_member(StringInfo out, bool *first, const char *key, const char *value)
{
	json_key(out, first, key);
	if (value == NULL)
		appendStringInfoString(out, "null");
	else
		escape_json(out, value);
}

void
json_time_member(StringInfo out, bool *first, const char *key, TimestampTz t)
{
	struct pg_tm tm;
	fsec_t		fsec;

	if (timestamp2tm(t, NULL, &tm, &fsec, NULL, NULL) != 0)
		ereport(ERROR, errcode(ERRCODE_DATETIME_VALUE_OUT_OF_RANGE),
				errmsg("timestamp out of range"));
	json_key(out, first, key);
	appendStringInfo(out, "\"%04d-%02d-%02dT%02d:%02d:%02d.%03dZ\"",
					 tm.tm_year, tm.tm_mon, tm.tm_mday,
					 tm.tm_hour, tm.tm_min, tm.tm_sec, fsec / 1000);
}

Datum
json_result(const char *body)
{
	PG_RETURN_TEXT_P(cstring_to_text(body));
}
