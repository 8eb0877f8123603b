/*
 * audit.c - the append-only audit trail (dbx_oauth.audit_log)
 *
 * What succeeds is recorded in the transaction that does it.  What fails
 * (access denials, failed token requests) raises an error that rolls the
 * transaction back, so it is queued in shared memory instead and written by
 * a background worker of the database ("dbx_oauth audit writer"), started
 * when there is something to write and gone after a quiet second, soon
 * enough for DROP DATABASE, which waits five seconds for sessions to leave
 * (on leaving, it starts the writers that could not start for want of a
 * worker slot).  A failure that finds no room in the queue goes to the
 * server log.
 */
#include "postgres.h"

#include "access/xact.h"
#include "miscadmin.h"
#include "pgstat.h"
#include "postmaster/bgworker.h"
#include "storage/ipc.h"
#include "storage/latch.h"
#include "storage/lwlock.h"
#include "storage/shmem.h"
#include "tcop/tcopprot.h"
#include "mb/pg_wchar.h"
#include "utils/builtins.h"
#include "utils/guc.h"
#include "utils/json.h"
#include "utils/memutils.h"
#include "utils/snapmgr.h"
#include "utils/timestamp.h"
#include "utils/wait_event.h"

#include "audit.h"
#include "storage.h"
#include "validate.h"

#define AUDIT_DATABASES 8
#define AUDIT_QUEUE_LENGTH 256
#define WRITE_BATCH 64
#define WORKER_IDLE_EXIT_MS 1000
#define WORKER_POLL_MS 250
#define WORKER_START_PATIENCE_MS 10000
#define LOCK_NAME "dbx_oauth audit queue"

typedef struct AuditQueue
{
	Oid			database;		/* InvalidOid: a free queue */
	int			head;
	int			count;
	int			worker_pid;		/* 0 when no worker runs */
	TimestampTz worker_requested;	/* when a worker was asked for; 0 if not */
	Latch	   *worker_latch;
	AuditEvent	events[AUDIT_QUEUE_LENGTH];
} AuditQueue;

typedef struct AuditShared
{
	LWLock	   *lock;
	AuditQueue	queues[AUDIT_DATABASES];
} AuditShared;

static AuditShared *shared = NULL;
static char *rest_subject = NULL;

PGDLLEXPORT void dbx_audit_writer_main(Datum arg);

void
audit_request_shmem(void)
{
	RequestAddinShmemSpace(MAXALIGN(sizeof(AuditShared)));
	RequestNamedLWLockTranche(LOCK_NAME, 1);
}

void
audit_init_shmem(void)
{
	bool		found;

	LWLockAcquire(AddinShmemInitLock, LW_EXCLUSIVE);
	shared = ShmemInitStruct(LOCK_NAME, sizeof(AuditShared), &found);
	if (!found)
	{
		memset(shared, 0, sizeof(AuditShared));
		shared->lock = &(GetNamedLWLockTranche(LOCK_NAME))->lock;
	}
	LWLockRelease(AddinShmemInitLock);
}

void
audit_set_subject(const char *subject)
{
	if (rest_subject != NULL)
		pfree(rest_subject);
	rest_subject = subject ? MemoryContextStrdup(TopMemoryContext, subject) : NULL;
}

/*
 * Copy src into dst of size bytes, cut on a character boundary; a value
 * that is not valid in the database encoding is left out, so that the line
 * can always be written, dumped and restored.
 */
static void
copy_clipped(char *dst, const char *src, size_t size)
{
	int			len = src && pg_verifymbstr(src, strlen(src), true) ?
		pg_mbcliplen(src, strlen(src), size - 1) : 0;

	if (len > 0)
		memcpy(dst, src, len);
	dst[len] = '\0';
}

/* An event of this session, now, by the given role. */
static void
make_event(AuditEvent *event, Oid actor, const char *action, const char *outcome,
		   const char *tenant, const char *connection, const char *detail)
{
	memset(event, 0, sizeof(AuditEvent));
	event->at = GetCurrentTimestamp();
	namestrcpy(&event->actor, GetUserNameFromId(actor, false));
	namestrcpy(&event->session_user, GetUserNameFromId(GetSessionUserId(), false));
	copy_clipped(event->subject, rest_subject, sizeof(event->subject));
	copy_clipped(event->action, action, sizeof(event->action));
	copy_clipped(event->outcome, outcome, sizeof(event->outcome));
	copy_clipped(event->tenant, tenant, sizeof(event->tenant));
	copy_clipped(event->connection, connection, sizeof(event->connection));
	copy_clipped(event->detail, detail, sizeof(event->detail));
}

void
audit_outcome(const char *action, const char *outcome, const char *tenant, const char *connection,
			  const char *detail)
{
	AuditEvent	event;

	make_event(&event, storage_caller(), action, outcome, tenant, connection, detail);
	storage_audit(&event);
}

void
audit_success(const char *action, const char *tenant, const char *connection, const char *detail)
{
	audit_outcome(action, "ok", tenant, connection, detail);
}

/* The queue of database, claimed if need be (lock held exclusively), or NULL. */
static AuditQueue *
queue_of(Oid database)
{
	AuditQueue *free_queue = NULL;

	for (int i = 0; i < AUDIT_DATABASES; i++)
	{
		if (shared->queues[i].database == database)
			return &shared->queues[i];
		if (free_queue == NULL && shared->queues[i].database == InvalidOid)
			free_queue = &shared->queues[i];
	}
	if (free_queue != NULL)
		free_queue->database = database;
	return free_queue;
}

/* Ask the postmaster for a writer of this database; false if it said no. */
static bool
start_writer(Oid database)
{
	BackgroundWorker worker = {0};
	BackgroundWorkerHandle *handle;

	snprintf(worker.bgw_name, BGW_MAXLEN, "dbx_oauth audit writer");
	snprintf(worker.bgw_type, BGW_MAXLEN, "dbx_oauth audit writer");
	snprintf(worker.bgw_library_name, BGW_MAXLEN, "dbx_oauth");
	snprintf(worker.bgw_function_name, BGW_MAXLEN, "dbx_audit_writer_main");
	worker.bgw_flags = BGWORKER_SHMEM_ACCESS | BGWORKER_BACKEND_DATABASE_CONNECTION;
	worker.bgw_start_time = BgWorkerStart_RecoveryFinished;
	worker.bgw_restart_time = BGW_NEVER_RESTART;
	worker.bgw_main_arg = ObjectIdGetDatum(database);
	return RegisterDynamicBackgroundWorker(&worker, &handle);
}

/*
 * Start a writer for each queue whose events wait without one (its writer
 * could not be started when they came: too many background workers).
 */
static void
start_waiting_writers(void)
{
	Oid			waiting[AUDIT_DATABASES];
	int			count = 0;

	LWLockAcquire(shared->lock, LW_EXCLUSIVE);
	for (int i = 0; i < AUDIT_DATABASES; i++)
	{
		AuditQueue *queue = &shared->queues[i];

		if (queue->database != InvalidOid && queue->count > 0 && queue->worker_pid == 0)
		{
			queue->worker_requested = GetCurrentTimestamp();
			waiting[count++] = queue->database;
		}
	}
	LWLockRelease(shared->lock);
	for (int i = 0; i < count; i++)
		start_writer(waiting[i]);
}

/*
 * Say in the server log what could not be queued, on one line: the names in
 * it are JSON strings, so that a line break or a quote in one cannot forge
 * a line.
 */
static void
log_event(const AuditEvent *event, const char *why)
{
	StringInfoData names;

	initStringInfo(&names);
	appendStringInfoString(&names, "actor ");
	escape_json(&names, NameStr(event->actor));
	appendStringInfoString(&names, ", tenant ");
	escape_json(&names, event->tenant);
	appendStringInfoString(&names, ", connection ");
	escape_json(&names, event->connection);
	ereport(LOG,
			errmsg("dbx_oauth audit event not recorded (%s): %s %s, %s, %s",
				   why, event->action, event->outcome, names.data, event->detail));
}

void
audit_failure(const char *action, const char *tenant, const char *connection, const char *detail)
{
	AuditEvent	event;
	AuditQueue *queue;
	bool		queued = false;
	bool		need_writer = false;
	Latch	   *latch = NULL;

	make_event(&event, GetUserId(), action, "failed", tenant, connection, detail);
	if (strcmp(action, "access_denied") == 0)
		strlcpy(event.outcome, "denied", sizeof(event.outcome));
	if (shared == NULL)
	{
		log_event(&event, "dbx_oauth is not in shared_preload_libraries");
		return;
	}

	LWLockAcquire(shared->lock, LW_EXCLUSIVE);
	queue = queue_of(MyDatabaseId);
	if (queue != NULL && queue->count < AUDIT_QUEUE_LENGTH)
	{
		queue->events[(queue->head + queue->count) % AUDIT_QUEUE_LENGTH] = event;
		queue->count++;
		queued = true;
		latch = queue->worker_latch;
		if (queue->worker_pid == 0 &&
			(queue->worker_requested == 0 ||
			 TimestampDifferenceExceeds(queue->worker_requested, GetCurrentTimestamp(),
										WORKER_START_PATIENCE_MS)))
		{
			queue->worker_requested = GetCurrentTimestamp();
			need_writer = true;
		}
	}
	LWLockRelease(shared->lock);

	if (!queued)
		log_event(&event, queue == NULL ? "too many databases" : "the queue is full");
	else if (latch != NULL)
		SetLatch(latch);
	if (need_writer && !start_writer(MyDatabaseId))
		ereport(LOG, errmsg("dbx_oauth audit writer could not be started; events wait in the queue"));
}

/* Take up to max events of queue (lock taken here). */
static int
take_events(AuditQueue *queue, AuditEvent *events, int max)
{
	int			taken;

	LWLockAcquire(shared->lock, LW_EXCLUSIVE);
	taken = Min(max, queue->count);
	for (int i = 0; i < taken; i++)
		events[i] = queue->events[(queue->head + i) % AUDIT_QUEUE_LENGTH];
	queue->head = (queue->head + taken) % AUDIT_QUEUE_LENGTH;
	queue->count -= taken;
	LWLockRelease(shared->lock);
	return taken;
}

/* Write events into the database's audit_log, in one transaction. */
static void
write_events_now(const AuditEvent *events, int count)
{
	SetCurrentStatementStartTimestamp();
	StartTransactionCommand();
	PushActiveSnapshot(GetTransactionSnapshot());
	pgstat_report_activity(STATE_RUNNING, "writing dbx_oauth audit events");
	if (storage_exists())
	{
		StorageScope scope;

		storage_open(&scope);
		for (int i = 0; i < count; i++)
			storage_audit(&events[i]);
		storage_close(&scope);
	}
	else
		for (int i = 0; i < count; i++)
			log_event(&events[i], "dbx_oauth is not installed in this database");
	PopActiveSnapshot();
	CommitTransactionCommand();
	pgstat_report_activity(STATE_IDLE, NULL);
}

/*
 * Write events into the database's audit_log, in one transaction; if that
 * fails, they go to the server log before the worker exits.
 */
static void
write_events(const AuditEvent *events, int count)
{
	PG_TRY();
	{
		write_events_now(events, count);
	}
	PG_CATCH();
	{
		for (int i = 0; i < count; i++)
			log_event(&events[i], "the audit writer failed");
		PG_RE_THROW();
	}
	PG_END_TRY();
}

/* The queue this worker serves, when it leaves: no worker any more. */
static AuditQueue *my_queue = NULL;

/* Leave my_queue (lock held exclusively); free it for any database when it is empty. */
static void
leave_queue(void)
{
	if (my_queue->worker_pid != MyProcPid)
		return;
	my_queue->worker_pid = 0;
	my_queue->worker_latch = NULL;
	my_queue->worker_requested = 0;
	if (my_queue->count == 0)
		my_queue->database = InvalidOid;
}

static void
writer_exit(int code, Datum arg)
{
	if (my_queue == NULL)
		return;
	LWLockAcquire(shared->lock, LW_EXCLUSIVE);
	leave_queue();
	LWLockRelease(shared->lock);
}

/* The audit writer: writes the queued failures of one database, leaves when idle. */
void
dbx_audit_writer_main(Datum arg)
{
	Oid			database = DatumGetObjectId(arg);
	TimestampTz idle_since = GetCurrentTimestamp();
	AuditEvent *events;

	pqsignal(SIGTERM, die);
	BackgroundWorkerUnblockSignals();
	BackgroundWorkerInitializeConnectionByOid(database, InvalidOid, 0);
	/* The trail is written even where transactions default to read-only. */
	SetConfigOption("default_transaction_read_only", "off", PGC_SUSET, PGC_S_OVERRIDE);
	events = MemoryContextAlloc(TopMemoryContext, sizeof(AuditEvent) * WRITE_BATCH);

	LWLockAcquire(shared->lock, LW_EXCLUSIVE);
	my_queue = queue_of(database);
	if (my_queue != NULL)
	{
		if (my_queue->worker_pid != 0)
			my_queue = NULL;	/* another writer serves it */
		else
		{
			my_queue->worker_pid = MyProcPid;
			my_queue->worker_latch = MyLatch;
		}
	}
	LWLockRelease(shared->lock);
	if (my_queue == NULL)
		proc_exit(0);
	before_shmem_exit(writer_exit, (Datum) 0);

	for (;;)
	{
		int			count = take_events(my_queue, events, WRITE_BATCH);

		if (count > 0)
		{
			write_events(events, count);
			idle_since = GetCurrentTimestamp();
			continue;
		}
		if (TimestampDifferenceExceeds(idle_since, GetCurrentTimestamp(), WORKER_IDLE_EXIT_MS))
		{
			bool		empty;

			LWLockAcquire(shared->lock, LW_EXCLUSIVE);
			empty = my_queue->count == 0;
			if (empty)
				leave_queue();
			LWLockRelease(shared->lock);
			if (empty)
			{
				start_waiting_writers();
				proc_exit(0);
			}
		}
		(void) WaitLatch(MyLatch, WL_LATCH_SET | WL_TIMEOUT | WL_EXIT_ON_PM_DEATH, WORKER_POLL_MS,
						 PG_WAIT_EXTENSION);
		ResetLatch(MyLatch);
		CHECK_FOR_INTERRUPTS();
	}
}
