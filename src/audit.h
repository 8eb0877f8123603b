/*
 * audit.h - the append-only audit trail (dbx_oauth.audit_log)
 */
#ifndef DBX_AUDIT_H
#define DBX_AUDIT_H

#include "utils/timestamp.h"

#include "validate.h"

/* One line of the trail; never a secret. */
typedef struct AuditEvent
{
	TimestampTz at;
	NameData	actor;			/* the role that called */
	NameData	session_user;
	char		subject[128];	/* the JWT "sub" over REST, else empty */
	char		action[32];
	char		outcome[8];		/* ok, denied, failed */
	char		tenant[DBX_TENANT_MAX_CHARS + 1];
	char		connection[DBX_CONNECTION_NAME_MAX_CHARS + 1];
	char		detail[96];		/* a catalog code, counts */
} AuditEvent;

/*
 * Record what was done, in the current transaction: it is in the trail if
 * and only if the change commits.  tenant, connection and detail may be NULL.
 */
extern void audit_success(const char *action, const char *tenant, const char *connection,
						  const char *detail);

/* The same with another outcome: "failed" for an attempt whose answer commits. */
extern void audit_outcome(const char *action, const char *outcome, const char *tenant,
						  const char *connection, const char *detail);

/*
 * Record a failure (an access denial, a failed token request) that the
 * transaction will roll back: a background worker writes it, outside the
 * transaction.  Needs dbx_oauth in shared_preload_libraries; without it the
 * failure goes to the server log.
 */
extern void audit_failure(const char *action, const char *tenant, const char *connection,
						  const char *detail);

/* The JWT subject of the REST request being served, for the trail (NULL after it). */
extern void audit_set_subject(const char *subject);

/* Shared memory of the failure queue: request, then set up. */
extern void audit_request_shmem(void);
extern void audit_init_shmem(void);

#endif
