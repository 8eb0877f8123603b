/*
 * http_client.c - requests to Databricks with libcurl: interruptible,
 * bounded in time, retried the way the official SDKs retry
 *
 * Every request verifies TLS (peer and host name), follows no redirect, uses
 * no proxy from the server's environment, and speaks https only (http too
 * when dbx_oauth.allow_insecure_http is on, for local tests).  The transfer
 * runs on curl's multi interface in 100 ms slices so that interrupts are
 * served promptly; the handles are released whatever happens.
 */
#include "postgres.h"

#include <curl/curl.h>

#include "miscadmin.h"
#include "storage/latch.h"
#include "utils/timestamp.h"
#include "utils/wait_event.h"

#include "http_client.h"
#include "settings.h"

#define POLL_SLICE_MS 100
#define FIRST_BACKOFF_MS 500
#define MAX_BACKOFF_MS 10000

/* Per-attempt state the curl callbacks write into. */
typedef struct Attempt
{
	HttpResponse *response;
	bool		body_too_large;
	long		retry_after_ms; /* -1 when the answer had no Retry-After */
} Attempt;

/* Keep the body, up to DBX_HTTP_MAX_BODY bytes. */
static size_t
on_body(char *data, size_t size, size_t count, void *arg)
{
	Attempt    *attempt = arg;
	size_t		len = size * count;

	if (attempt->response->body.len + len > DBX_HTTP_MAX_BODY)
	{
		attempt->body_too_large = true;
		return 0;				/* makes curl stop with CURLE_WRITE_ERROR */
	}
	appendBinaryStringInfo(&attempt->response->body, data, len);
	return len;
}

/* Note a Retry-After header: a delay in seconds or an HTTP date. */
static size_t
on_header(char *data, size_t size, size_t count, void *arg)
{
	Attempt    *attempt = arg;
	size_t		len = size * count;
	const char *name = "retry-after:";
	size_t		name_len = strlen(name);
	char		value[128];
	char	   *start = value;
	char	   *end;

	if (len <= name_len || len - name_len >= sizeof(value) ||
		pg_strncasecmp(data, name, name_len) != 0)
		return len;
	memcpy(value, data + name_len, len - name_len);
	end = value + (len - name_len);
	while (end > start && (end[-1] == '\r' || end[-1] == '\n' || end[-1] == ' ' || end[-1] == '\t'))
		end--;
	*end = '\0';
	while (*start == ' ' || *start == '\t')
		start++;
	if (*start != '\0' && strspn(start, "0123456789") == strlen(start) && strlen(start) <= 6)
		attempt->retry_after_ms = atol(start) * 1000;
	else
	{
		time_t		when = curl_getdate(start, NULL);

		if (when > 0)
			attempt->retry_after_ms = Max(0, (long) (when - time(NULL)) * 1000);
	}
	return len;
}

/* Initialise libcurl once per backend. */
static void
ensure_curl(void)
{
	static bool ready = false;

	if (!ready)
	{
		if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
			elog(ERROR, "could not initialize libcurl");
		ready = true;
	}
}

/* Set an option that cannot fail but for running out of memory. */
#define SET(easy, option, value) \
	do { \
		if (curl_easy_setopt((easy), (option), (value)) != CURLE_OK) \
			elog(ERROR, "could not set curl option %s", #option); \
	} while (0)

/* Set up one transfer of request with at most timeout_ms for all of it. */
static void
configure(CURL *easy, const HttpRequest *request, struct curl_slist *headers,
		  Attempt *attempt, long timeout_ms)
{
	SET(easy, CURLOPT_URL, request->url);
	SET(easy, CURLOPT_PROTOCOLS_STR, dbx_allow_insecure_http ? "https,http" : "https");
	SET(easy, CURLOPT_SSL_VERIFYPEER, 1L);
	SET(easy, CURLOPT_SSL_VERIFYHOST, 2L);
	SET(easy, CURLOPT_FOLLOWLOCATION, 0L);
	SET(easy, CURLOPT_PROXY, "");
	SET(easy, CURLOPT_NOSIGNAL, 1L);
	SET(easy, CURLOPT_CONNECTTIMEOUT_MS, (long) Min(dbx_connect_timeout_ms, timeout_ms));
	SET(easy, CURLOPT_TIMEOUT_MS, timeout_ms);
	SET(easy, CURLOPT_USERAGENT, "dbx_oauth/1.0");
	SET(easy, CURLOPT_HTTPHEADER, headers);
	SET(easy, CURLOPT_WRITEFUNCTION, on_body);
	SET(easy, CURLOPT_WRITEDATA, attempt);
	SET(easy, CURLOPT_HEADERFUNCTION, on_header);
	SET(easy, CURLOPT_HEADERDATA, attempt);
	if (request->form_body != NULL)
		SET(easy, CURLOPT_POSTFIELDS, request->form_body);
}

/* Drive a transfer to its end in short slices, serving interrupts. */
static CURLcode
run_transfer(CURLM *multi, CURL *easy)
{
	int			running = 1;
	CURLMsg    *message;
	int			queued;

	if (curl_multi_add_handle(multi, easy) != CURLM_OK)
		elog(ERROR, "could not start a curl transfer");
	while (running)
	{
		if (curl_multi_perform(multi, &running) != CURLM_OK)
			elog(ERROR, "curl transfer failed");
		if (running && curl_multi_poll(multi, NULL, 0, POLL_SLICE_MS, NULL) != CURLM_OK)
			elog(ERROR, "curl poll failed");
		CHECK_FOR_INTERRUPTS();
	}
	while ((message = curl_multi_info_read(multi, &queued)) != NULL)
		if (message->msg == CURLMSG_DONE && message->easy_handle == easy)
			return message->data.result;
	return CURLE_RECV_ERROR;
}

/* One attempt; fills response (status 0 and error when no HTTP answer came). */
static void
attempt_once(const HttpRequest *request, HttpResponse *response, long timeout_ms,
			 long *retry_after_ms)
{
	Attempt		attempt = {response, false, -1};
	CURL	   *volatile easy = curl_easy_init();
	CURLM	   *volatile multi = curl_multi_init();
	struct curl_slist *volatile headers = NULL;

	resetStringInfo(&response->body);
	response->status = 0;
	response->error[0] = '\0';
	PG_TRY();
	{
		CURLcode	result;

		if (easy == NULL || multi == NULL)
			elog(ERROR, "could not create a curl handle");
		if (request->authorization != NULL)
		{
			char	   *line = psprintf("Authorization: %s", request->authorization);

			headers = curl_slist_append(headers, line);
			explicit_bzero(line, strlen(line));
		}
		headers = curl_slist_append(headers, "Accept: application/json");
		configure(easy, request, headers, &attempt, timeout_ms);
		result = run_transfer(multi, easy);
		if (result == CURLE_OK)
			curl_easy_getinfo(easy, CURLINFO_RESPONSE_CODE, &response->status);
		else
			strlcpy(response->error, attempt.body_too_large ? "response body too large"
					: curl_easy_strerror(result), sizeof(response->error));
	}
	PG_FINALLY();
	{
		/* The Authorization header carries a secret: wipe curl's copy. */
		for (struct curl_slist *h = headers; h != NULL; h = h->next)
			explicit_bzero(h->data, strlen(h->data));
		if (multi != NULL && easy != NULL)
			curl_multi_remove_handle(multi, easy);
		curl_slist_free_all(headers);
		if (easy != NULL)
			curl_easy_cleanup(easy);
		if (multi != NULL)
			curl_multi_cleanup(multi);
	}
	PG_END_TRY();
	*retry_after_ms = attempt.retry_after_ms;
}

/* Whether an answer (or its absence) is worth another attempt. */
static bool
retryable(const HttpResponse *response)
{
	switch (response->status)
	{
		case 0:
		case 429:
		case 502:
		case 503:
		case 504:
			return true;
		default:
			return false;
	}
}

/* Sleep for ms, waking for interrupts. */
static void
interruptible_sleep(long ms)
{
	(void) WaitLatch(MyLatch, WL_LATCH_SET | WL_TIMEOUT | WL_EXIT_ON_PM_DEATH, ms, PG_WAIT_EXTENSION);
	ResetLatch(MyLatch);
	CHECK_FOR_INTERRUPTS();
}

/* When the shared retry budget runs out; 0 when each request has its own. */
static TimestampTz shared_deadline = 0;

void
http_share_budget(bool share)
{
	shared_deadline = share ?
		TimestampTzPlusMilliseconds(GetCurrentTimestamp(), dbx_retry_budget_ms) : 0;
}

/*
 * No retry starts once dbx_oauth.retry_budget has passed since the first
 * attempt, and no wait is begun that would end after it: a request takes at
 * most the budget plus one attempt.
 */
void
http_send(const HttpRequest *request, HttpResponse *response)
{
	TimestampTz deadline = shared_deadline != 0 ? shared_deadline :
		TimestampTzPlusMilliseconds(GetCurrentTimestamp(), dbx_retry_budget_ms);
	long		backoff_ms = FIRST_BACKOFF_MS;

	ensure_curl();
	initStringInfo(&response->body);
	response->attempts = 0;
	for (;;)
	{
		long		retry_after_ms;
		long		wait_ms;

		attempt_once(request, response, dbx_request_timeout_ms, &retry_after_ms);
		response->attempts++;
		if (!retryable(response))
			return;
		/* Retry-After can ask for a longer wait than the backoff, not a shorter one. */
		wait_ms = Max(retry_after_ms, backoff_ms);
		if (wait_ms >= TimestampDifferenceMilliseconds(GetCurrentTimestamp(), deadline))
			return;
		interruptible_sleep(wait_ms);
		backoff_ms = Min(backoff_ms * 2, MAX_BACKOFF_MS);
	}
}
