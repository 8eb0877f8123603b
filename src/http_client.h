/*
 * http_client.h - requests to Databricks with libcurl: interruptible,
 * bounded in time, retried the way the official SDKs retry
 */
#ifndef DBX_HTTP_CLIENT_H
#define DBX_HTTP_CLIENT_H

#include "lib/stringinfo.h"

/* The largest response body kept; a larger one is a failed exchange. */
#define DBX_HTTP_MAX_BODY (64 * 1024)

typedef struct HttpRequest
{
	const char *url;
	const char *form_body;		/* POST application/x-www-form-urlencoded; NULL for GET */
	const char *authorization;	/* the Authorization header value; wiped by the caller */
} HttpRequest;

typedef struct HttpResponse
{
	long		status;			/* 0 when no HTTP answer came (see error) */
	StringInfoData body;
	char		error[256];		/* what went wrong without an HTTP answer */
	int			attempts;
} HttpResponse;

/*
 * Send a request.  Throttling (429), 502, 503, 504 and network failures are
 * retried, honouring Retry-After, until dbx_oauth.retry_budget runs out;
 * every attempt is bounded by dbx_oauth.connect_timeout and
 * dbx_oauth.request_timeout.  A query cancel or statement timeout interrupts
 * the request within 100 ms.  Returns the last answer.
 */
extern void http_send(const HttpRequest *request, HttpResponse *response);

/*
 * Between http_share_budget(true) and http_share_budget(false), the requests
 * sent share one retry budget, counted from the first call: a connection
 * test's token request and warehouse check take at most the budget and two
 * attempts together.
 */
extern void http_share_budget(bool share);

#endif
