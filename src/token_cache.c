/*
 * token_cache.c - Databricks access tokens shared by every backend: reused
 * while fresh, refreshed early by one caller, minted once however many
 * callers find them expired
 *
 * A fixed-size hash table in shared memory, keyed by database, table and
 * (tenant, connection), under one LWLock.  Tokens are kept sealed with the
 * current encryption key (never on disk, never in plaintext in shared
 * memory).  Whoever mints marks the entry; the others sleep on a condition
 * variable until the mint ends, then take its token or raise its error.  A
 * mint that began before the credentials changed (store, delete) never
 * installs its token: the change bumps the entry's generation at commit.
 *
 * The rules follow the official Databricks SDKs: a token counts as expired
 * 40 s before its expiry (a quarter of its lifetime for tokens shorter than
 * 160 s); the early refresh starts min(TTL/2, 20 min) before expiry; after a
 * failed early refresh the next waits a minute.
 */
#include "postgres.h"

#include "access/xact.h"
#include "miscadmin.h"
#include "storage/condition_variable.h"
#include "storage/ipc.h"
#include "storage/lwlock.h"
#include "storage/shmem.h"
#include "utils/hsearch.h"
#include "utils/memutils.h"
#include "utils/wait_event.h"

#include "crypto.h"
#include "errors.h"
#include "keyring.h"
#include "settings.h"
#include "storage.h"
#include "subxact.h"
#include "token_cache.h"
#include "validate.h"

#define EXPIRY_MARGIN_S 40
#define EARLY_REFRESH_MAX_S (20 * 60)
#define EARLY_RETRY_PAUSE_S 60
#define SEALED_MAX (DBX_ACCESS_TOKEN_MAX + 128)
#define FAILURE_MAX 1024
#define WAIT_SLICE_MS 1000
#define LOCK_NAME "dbx_oauth token cache"

typedef struct TokenKey
{
	Oid			database;
	Oid			table;			/* changes when the extension is recreated */
	char		tenant[DBX_TENANT_MAX_CHARS + 1];
	char		connection[DBX_CONNECTION_NAME_MAX_CHARS + 1];
} TokenKey;

typedef struct TokenEntry
{
	TokenKey	key;			/* hash key: first */
	uint64		generation;		/* bumped when the credentials change */
	uint64		mints;			/* bumped when a mint ends */
	int			minter;			/* pid of the backend minting, or 0 */
	TimestampTz mint_started;	/* real time, whatever the test clock says */
	TimestampTz minted_at;
	TimestampTz expires_at;		/* 0 when there is no token */
	TimestampTz usable_until;	/* expiry, less the margin */
	TimestampTz refresh_from;	/* start of the early refresh window */
	TimestampTz early_retry_at; /* no early refresh before, after a failed one */
	int			failure_sqlstate;	/* error of the last mint, for its waiters; 0 if none */
	char		failure[FAILURE_MAX];
	int			sealed_len;
	uint8		sealed[SEALED_MAX];
} TokenEntry;

typedef struct TokenCache
{
	LWLock	   *lock;
	ConditionVariable minted;	/* broadcast whenever a mint ends */
} TokenCache;

static TokenCache *cache = NULL;
static HTAB *entries = NULL;

/* The mint this backend is running, so that exit can release it. */
static bool minting = false;
static TokenKey minting_key;

/* Keys whose tokens go when the transaction commits (in TopMemoryContext). */
static List *forget_at_commit = NIL;

/* The cache's clock: now, shifted by dbx_oauth.test_clock_offset for tests. */
static TimestampTz
cache_now(void)
{
	return GetCurrentTimestamp() + (int64) dbx_test_clock_offset_ms * 1000;
}

void
token_cache_request_shmem(void)
{
	RequestAddinShmemSpace(MAXALIGN(sizeof(TokenCache)) +
						   hash_estimate_size(dbx_token_cache_size, sizeof(TokenEntry)));
	RequestNamedLWLockTranche(LOCK_NAME, 1);
}

void
token_cache_init_shmem(void)
{
	HASHCTL		info;
	bool		found;

	LWLockAcquire(AddinShmemInitLock, LW_EXCLUSIVE);
	cache = ShmemInitStruct(LOCK_NAME, sizeof(TokenCache), &found);
	if (!found)
	{
		cache->lock = &(GetNamedLWLockTranche(LOCK_NAME))->lock;
		ConditionVariableInit(&cache->minted);
	}
	info.keysize = sizeof(TokenKey);
	info.entrysize = sizeof(TokenEntry);
	entries = ShmemInitHash("dbx_oauth token entries", dbx_token_cache_size, dbx_token_cache_size,
							&info, HASH_ELEM | HASH_BLOBS | HASH_FIXED_SIZE);
	LWLockRelease(AddinShmemInitLock);
}

static void
make_key(TokenKey *key, const char *tenant, const char *connection)
{
	memset(key, 0, sizeof(TokenKey));
	key->database = MyDatabaseId;
	key->table = storage_table();
	strlcpy(key->tenant, tenant, sizeof(key->tenant));
	strlcpy(key->connection, connection, sizeof(key->connection));
}

/* Forget an entry's token (lock held exclusively). */
static void
clear_token(TokenEntry *entry)
{
	explicit_bzero(entry->sealed, entry->sealed_len);
	entry->sealed_len = 0;
	entry->expires_at = 0;
	entry->early_retry_at = 0;
	entry->failure_sqlstate = 0;
}

/* Make room in a full table: drop the entry nobody mints whose token expires first. */
static void
evict_one(void)
{
	HASH_SEQ_STATUS scan;
	TokenEntry *entry;
	TokenEntry *victim = NULL;

	hash_seq_init(&scan, entries);
	while ((entry = hash_seq_search(&scan)) != NULL)
		if (entry->minter == 0 && (victim == NULL || entry->expires_at < victim->expires_at))
			victim = entry;
	if (victim != NULL)
	{
		clear_token(victim);
		hash_search(entries, &victim->key, HASH_REMOVE, NULL);
	}
}

/* The entry of key, created if need be (lock held exclusively); NULL if the table is full of mints. */
static TokenEntry *
enter(const TokenKey *key)
{
	bool		found;
	TokenEntry *entry = hash_search(entries, key, HASH_ENTER_NULL, &found);

	if (entry == NULL)
	{
		evict_one();
		entry = hash_search(entries, key, HASH_ENTER_NULL, &found);
	}
	if (entry != NULL && !found)
	{
		memset((char *) entry + sizeof(TokenKey), 0, sizeof(TokenEntry) - sizeof(TokenKey));
	}
	return entry;
}

/* What a token is sealed to in the cache. */
static SealContext
token_context(const TokenKey *key)
{
	SealContext context = {3, {"access_token", key->tenant, key->connection}};

	return context;
}

/* Whether an entry's token may be handed out now. */
static bool
usable(const TokenEntry *entry, TimestampTz now)
{
	return entry->expires_at != 0 && now < entry->usable_until;
}

/* A copy of an entry's sealed token (lock held). */
static bytea *
copy_sealed(const TokenEntry *entry)
{
	bytea	   *copy = palloc(VARHDRSZ + entry->sealed_len);

	SET_VARSIZE(copy, VARHDRSZ + entry->sealed_len);
	memcpy(VARDATA(copy), entry->sealed, entry->sealed_len);
	return copy;
}

/* The plaintext of a sealed token, or NULL if its key is gone. */
static char *
unseal(const TokenKey *key, const bytea *sealed)
{
	SealContext context = token_context(key);
	int32		version;
	SealedState state;
	bytea	   *plain = keyring_open(sealed, &context, &version, &state);
	char	   *token;

	if (plain == NULL)
		return NULL;
	token = pnstrdup(VARDATA_ANY(plain), VARSIZE_ANY_EXHDR(plain));
	explicit_bzero(VARDATA_ANY(plain), VARSIZE_ANY_EXHDR(plain));
	return token;
}

/* A mint in progress: what it mints for and what it got. */
typedef struct Mint
{
	TokenMinter mint;
	void	   *arg;
	TokenKey   *key;
	AccessToken token;
	bool		shareable;		/* the token, or the error, may go to other sessions */
	bytea	   *sealed;
} Mint;

/* Mint a token and seal it for the cache (run in a subtransaction). */
static void
mint_and_seal(void *arg)
{
	Mint	   *mint = arg;
	SealContext context = token_context(mint->key);
	bytea	   *plain;
	int			len;

	mint->mint(mint->arg, &mint->token, &mint->shareable);
	len = strlen(mint->token.access_token);
	plain = palloc(VARHDRSZ + len);
	SET_VARSIZE(plain, VARHDRSZ + len);
	memcpy(VARDATA(plain), mint->token.access_token, len);
	mint->sealed = crypto_seal(keyring_newest(), plain, &context);
	explicit_bzero(VARDATA(plain), len);
}

/* Put a freshly minted token into its entry (lock held exclusively). */
static void
install(TokenEntry *entry, const bytea *sealed, TimestampTz minted_at, int64 ttl_s)
{
	int64		margin_s = Min(EXPIRY_MARGIN_S, ttl_s / 4);

	clear_token(entry);
	entry->sealed_len = VARSIZE_ANY_EXHDR(sealed);
	memcpy(entry->sealed, VARDATA_ANY(sealed), entry->sealed_len);
	entry->minted_at = minted_at;
	entry->expires_at = minted_at + ttl_s * USECS_PER_SEC;
	entry->usable_until = entry->expires_at - margin_s * USECS_PER_SEC;
	entry->refresh_from = entry->expires_at - Min(ttl_s / 2, EARLY_REFRESH_MAX_S) * USECS_PER_SEC;
}

/* Release a mint this backend still holds (at exit, when the mint could not end itself). */
static void
release_mint(int code, Datum arg)
{
	TokenEntry *entry;

	if (!minting || cache == NULL)
		return;
	LWLockAcquire(cache->lock, LW_EXCLUSIVE);
	entry = hash_search(entries, &minting_key, HASH_FIND, NULL);
	if (entry != NULL && entry->minter == MyProcPid)
	{
		entry->minter = 0;
		entry->mints++;
	}
	LWLockRelease(cache->lock);
	minting = false;
	ConditionVariableBroadcast(&cache->minted);
}

/*
 * Mint for the entry of key (marked as ours).  Installs the token unless the
 * credentials changed meanwhile or the token is not to be shared; records a
 * catalog error for the waiters.  A failed mint leaves a usable cached token
 * in place.  Returns the new token, or NULL after a failed early refresh (the
 * cached token stays); raises the error otherwise.
 */
static char *
mint_for_entry(TokenKey *key, uint64 generation, bool early, TokenMinter minter, void *arg,
			   TimestampTz *expires_at)
{
	static bool exit_callback = false;
	Mint		mint = {minter, arg, key};
	ErrorData  *error;
	TokenEntry *entry;
	TimestampTz started = cache_now();
	bool		keep_cached = false;

	if (!exit_callback)
	{
		before_shmem_exit(release_mint, (Datum) 0);
		exit_callback = true;
	}
	minting_key = *key;
	minting = true;
	error = run_in_subtransaction(mint_and_seal, &mint);

	LWLockAcquire(cache->lock, LW_EXCLUSIVE);
	entry = hash_search(entries, key, HASH_FIND, NULL);
	if (entry != NULL && entry->minter == MyProcPid)
	{
		entry->minter = 0;
		entry->mints++;
		if (error == NULL && mint.shareable && entry->generation == generation &&
			VARSIZE_ANY_EXHDR(mint.sealed) <= SEALED_MAX)
			install(entry, mint.sealed, started, mint.token.expires_in);
		else if (error != NULL)
		{
			/* Only shareable catalog errors: a cancel of ours is not the waiters' business. */
			if (mint.shareable && strncmp(error->message, "Code: ", 6) == 0)
			{
				entry->failure_sqlstate = error->sqlerrcode;
				strlcpy(entry->failure, error->message, sizeof(entry->failure));
			}
			if (early && usable(entry, cache_now()))
			{
				entry->early_retry_at = cache_now() + (int64) EARLY_RETRY_PAUSE_S * USECS_PER_SEC;
				keep_cached = true;
			}
		}
	}
	LWLockRelease(cache->lock);
	minting = false;
	ConditionVariableBroadcast(&cache->minted);

	if (keep_cached)
	{
		FreeErrorData(error);
		return NULL;
	}
	if (error != NULL)
		ReThrowError(error);
	*expires_at = started + mint.token.expires_in * USECS_PER_SEC;
	return mint.token.access_token;
}

/* Whether a mint begun at started has run longer than any mint can: its backend is gone. */
static bool
abandoned(TimestampTz started)
{
	int64		longest_us = ((int64) dbx_retry_budget_ms + dbx_request_timeout_ms + 10000) * 1000;

	return GetCurrentTimestamp() - started > longest_us;
}

/* Sleep until the mint counter of key's entry moves past seen, or its minter seems gone. */
static void
wait_for_mint(const TokenKey *key, uint64 seen)
{
	ConditionVariablePrepareToSleep(&cache->minted);
	for (;;)
	{
		TokenEntry *entry;
		bool		done;

		LWLockAcquire(cache->lock, LW_SHARED);
		entry = hash_search(entries, key, HASH_FIND, NULL);
		done = entry == NULL || entry->mints != seen || entry->minter == 0 ||
			abandoned(entry->mint_started);
		LWLockRelease(cache->lock);
		if (done)
			break;
		(void) ConditionVariableTimedSleep(&cache->minted, WAIT_SLICE_MS, PG_WAIT_EXTENSION);
	}
	ConditionVariableCancelSleep();
}

/*
 * The common case, under a shared lock: a copy of the key's usable token
 * when no early refresh is due, else NULL.
 */
static bytea *
cached_token(const TokenKey *key, TimestampTz *expires_at)
{
	TimestampTz now = cache_now();
	TokenEntry *entry;
	bytea	   *sealed = NULL;

	LWLockAcquire(cache->lock, LW_SHARED);
	entry = hash_search(entries, key, HASH_FIND, NULL);
	if (entry != NULL && usable(entry, now) &&
		(now < entry->refresh_from || now < entry->early_retry_at || entry->minter != 0))
	{
		*expires_at = entry->expires_at;
		sealed = copy_sealed(entry);
	}
	LWLockRelease(cache->lock);
	return sealed;
}

/* A token for this caller alone, the cache left alone. */
static char *
mint_uncached(TokenMinter mint, void *arg, TimestampTz *expires_at)
{
	AccessToken token;
	bool		shareable = false;

	mint(arg, &token, &shareable);
	*expires_at = cache_now() + token.expires_in * USECS_PER_SEC;
	return token.access_token;
}

/* Whether this transaction changed the credentials of key's connection (a forget is pending). */
static bool
forget_pending(const TokenKey *key)
{
	ListCell   *cell;

	foreach(cell, forget_at_commit)
		if (memcmp(lfirst(cell), key, sizeof(TokenKey)) == 0)
			return true;
	return false;
}

char *
token_cache_get(const char *tenant, const char *connection, bool fresh,
				TokenMinter mint, void *arg, TimestampTz *expires_at)
{
	TokenKey	key;
	TimestampTz call_started = cache_now();
	uint64		awaited = 0;
	bool		waited = false;

	if (cache == NULL)
		dbx_raise(DBX_ERR_NOT_PRELOADED);
	make_key(&key, tenant, connection);
	/* Tokens of what this transaction stored (or deleted) are its own. */
	if (forget_pending(&key))
		return mint_uncached(mint, arg, expires_at);
	if (!fresh)
	{
		bytea	   *sealed = cached_token(&key, expires_at);
		char	   *token = sealed ? unseal(&key, sealed) : NULL;

		if (token != NULL)
			return token;
	}
	for (;;)
	{
		TimestampTz now = cache_now();
		TokenEntry *entry;
		bytea	   *sealed = NULL;
		uint64		generation = 0;
		bool		early = false;
		bool		mint_now = false;
		uint64		seen = 0;

		LWLockAcquire(cache->lock, LW_EXCLUSIVE);
		entry = enter(&key);
		if (entry == NULL)
		{
			/* Every entry is being minted for: mint without the cache. */
			LWLockRelease(cache->lock);
			return mint_uncached(mint, arg, expires_at);
		}
		if (entry->minter != 0 && abandoned(entry->mint_started))
			entry->minter = 0;	/* its backend is gone without a word */

		if (waited && entry->mints != awaited && !usable(entry, now) && entry->failure_sqlstate != 0)
		{
			int			sqlstate = entry->failure_sqlstate;
			char	   *failure = pstrdup(entry->failure);

			LWLockRelease(cache->lock);
			dbx_reraise(sqlstate, failure);
		}
		if (usable(entry, now) && (!fresh || entry->minted_at >= call_started))
		{
			bool		early_window = !fresh && now >= entry->refresh_from &&
				now >= entry->early_retry_at;

			if (early_window && entry->minter == 0)
				mint_now = early = true;
			else
			{
				*expires_at = entry->expires_at;
				sealed = copy_sealed(entry);
			}
		}
		else if (entry->minter == 0)
			mint_now = true;
		else
			seen = entry->mints;

		if (mint_now)
		{
			entry->minter = MyProcPid;
			entry->mint_started = GetCurrentTimestamp();
			entry->failure_sqlstate = 0;
			generation = entry->generation;
		}
		LWLockRelease(cache->lock);

		if (sealed != NULL)
		{
			char	   *token = unseal(&key, sealed);

			if (token != NULL)
				return token;
			/* Sealed under a key that is gone: forget it and mint anew. */
			LWLockAcquire(cache->lock, LW_EXCLUSIVE);
			entry = hash_search(entries, &key, HASH_FIND, NULL);
			if (entry != NULL && entry->minter == 0)
				clear_token(entry);
			LWLockRelease(cache->lock);
			continue;
		}
		if (mint_now)
		{
			char	   *token = mint_for_entry(&key, generation, early, mint, arg, expires_at);

			if (token != NULL)
				return token;
			continue;			/* the early refresh failed: use the cached token */
		}
		awaited = seen;
		waited = true;
		wait_for_mint(&key, seen);
	}
}

/* A cached token being sealed anew, and what its entry looked like. */
typedef struct Reseal
{
	TokenKey	key;
	uint64		mints;
	uint64		generation;
	bytea	   *sealed;			/* NULL when its key is gone */
} Reseal;

int
token_cache_reseal(const DbxKey *key)
{
	HASH_SEQ_STATUS scan;
	TokenEntry *entry;
	List	   *work = NIL;
	ListCell   *cell;
	int			resealed = 0;

	if (cache == NULL)
		return 0;
	LWLockAcquire(cache->lock, LW_SHARED);
	hash_seq_init(&scan, entries);
	while ((entry = hash_seq_search(&scan)) != NULL)
	{
		Reseal	   *reseal;

		if (entry->key.database != MyDatabaseId || entry->sealed_len == 0 || entry->minter != 0)
			continue;
		reseal = palloc(sizeof(Reseal));
		reseal->key = entry->key;
		reseal->mints = entry->mints;
		reseal->generation = entry->generation;
		reseal->sealed = copy_sealed(entry);
		work = lappend(work, reseal);
	}
	LWLockRelease(cache->lock);

	/* Crypto outside the lock. */
	foreach(cell, work)
	{
		Reseal	   *reseal = lfirst(cell);
		int32		version;
		char	   *token = NULL;

		if (crypto_sealed_key_version(reseal->sealed, &version) && version == key->version)
		{
			reseal->sealed = NULL;
			reseal->mints = PG_UINT64_MAX;	/* already current: leave it */
			continue;
		}
		token = unseal(&reseal->key, reseal->sealed);
		reseal->sealed = NULL;
		if (token != NULL)
		{
			SealContext context = token_context(&reseal->key);
			int			len = strlen(token);
			bytea	   *plain = palloc(VARHDRSZ + len);

			SET_VARSIZE(plain, VARHDRSZ + len);
			memcpy(VARDATA(plain), token, len);
			reseal->sealed = crypto_seal(key, plain, &context);
			explicit_bzero(VARDATA(plain), len);
			explicit_bzero(token, len);
		}
	}

	LWLockAcquire(cache->lock, LW_EXCLUSIVE);
	foreach(cell, work)
	{
		Reseal	   *reseal = lfirst(cell);

		entry = hash_search(entries, &reseal->key, HASH_FIND, NULL);
		if (entry == NULL || reseal->mints == PG_UINT64_MAX || entry->mints != reseal->mints ||
			entry->generation != reseal->generation || entry->minter != 0)
			continue;
		if (reseal->sealed != NULL && VARSIZE_ANY_EXHDR(reseal->sealed) <= SEALED_MAX)
		{
			explicit_bzero(entry->sealed, entry->sealed_len);
			entry->sealed_len = VARSIZE_ANY_EXHDR(reseal->sealed);
			memcpy(entry->sealed, VARDATA_ANY(reseal->sealed), entry->sealed_len);
			resealed++;
		}
		else
			clear_token(entry);
	}
	LWLockRelease(cache->lock);
	return resealed;
}

/* Drop the tokens of the keys in forget_at_commit (at commit). */
static void
forget_now(void)
{
	ListCell   *cell;

	LWLockAcquire(cache->lock, LW_EXCLUSIVE);
	foreach(cell, forget_at_commit)
	{
		TokenEntry *entry = hash_search(entries, lfirst(cell), HASH_FIND, NULL);

		if (entry != NULL)
		{
			entry->generation++;
			clear_token(entry);
		}
	}
	LWLockRelease(cache->lock);
}

/*
 * Apply or drop the pending forgets at the end of the transaction.  A
 * prepared transaction would commit when no backend of ours can forget.
 */
static void
at_transaction_end(XactEvent event, void *arg)
{
	if (forget_at_commit == NIL)
		return;
	if (event == XACT_EVENT_PRE_PREPARE)
		ereport(ERROR,
				errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
				errmsg("cannot PREPARE a transaction that changed dbx_oauth credentials or connection configs"));
	if (event == XACT_EVENT_COMMIT || event == XACT_EVENT_PARALLEL_COMMIT)
		forget_now();
	else if (event != XACT_EVENT_ABORT && event != XACT_EVENT_PARALLEL_ABORT)
		return;
	list_free_deep(forget_at_commit);
	forget_at_commit = NIL;
}

void
token_cache_forget_at_commit(const char *tenant, const char *connection)
{
	static bool callback = false;
	MemoryContext old;
	TokenKey   *key;

	if (cache == NULL)
		return;
	if (!callback)
	{
		RegisterXactCallback(at_transaction_end, NULL);
		callback = true;
	}
	old = MemoryContextSwitchTo(TopMemoryContext);
	key = palloc(sizeof(TokenKey));
	make_key(key, tenant, connection);
	forget_at_commit = lappend(forget_at_commit, key);
	MemoryContextSwitchTo(old);
}
