/*
 * rotation.c - re-encrypting every stored secret, and the cached tokens,
 * under the newest key, online
 */
#include "postgres.h"

#include "executor/spi.h"
#include "fmgr.h"
#include "miscadmin.h"
#include "nodes/parsenodes.h"
#include "utils/builtins.h"

#include "audit.h"
#include "credentials.h"
#include "crypto.h"
#include "errors.h"
#include "keyring.h"
#include "storage.h"
#include "token_cache.h"

#define BATCH 100

typedef struct Counts
{
	int			reencrypted;
	int			failed;			/* key missing or tampered: see dbx_check_credentials() */
} Counts;

/*
 * Seal one batch of secrets (those after *after) under key; returns whether
 * there may be more.  A secret that a store changed meanwhile ends the batch
 * before it: the next batch reads it again, since a store can seal under an
 * older key if its transaction began before the newest key came.  Plaintext
 * lives only here, and is wiped at once.
 */
static bool
reseal_batch(const DbxKey *key, pg_uuid_t *after, Counts *counts)
{
	StorageScope scope;
	List	   *rows;
	ListCell   *cell;
	bool		more;

	storage_open(&scope);
	rows = storage_list_credentials_to_reseal(key->version, after, BATCH);
	more = list_length(rows) == BATCH;
	foreach(cell, rows)
	{
		CredentialRow *row = lfirst(cell);
		SealContext context = credentials_seal_context(row->tenant_id, row->connection_name,
													   row->client_id);
		int32		version;
		SealedState state;
		bytea	   *plain = keyring_open(row->sealed_secret, &context, &version, &state);
		bool		resealed;

		if (plain == NULL)
		{
			counts->failed++;
			*after = row->connection_id;
			continue;
		}
		resealed = storage_reseal(&row->connection_id, row->sealed_secret,
								  crypto_seal(key, plain, &context), key->version);
		explicit_bzero(VARDATA_ANY(plain), VARSIZE_ANY_EXHDR(plain));
		if (!resealed)
		{
			more = true;
			break;
		}
		counts->reencrypted++;
		*after = row->connection_id;
	}
	storage_close(&scope);
	return more;
}

/*
 * Before a batch commits: the key file must still hold the key it sealed
 * to.  If a newer key came meanwhile, it becomes the target and the scan
 * (and its counts) start over.
 */
static void
check_target(DbxKey *key, pg_uuid_t *after, Counts *counts)
{
	const DbxKey *newest = keyring_newest();

	if (newest->version == key->version)
		return;
	if (keyring_find(key->version) == NULL)
		dbx_raise(DBX_ERR_KEY_VERSION_MISSING, psprintf("%d", key->version));
	*key = *newest;
	memset(after, 0, sizeof(pg_uuid_t));
	memset(counts, 0, sizeof(Counts));
}

PG_FUNCTION_INFO_V1(dbx_reencrypt_credentials);

/*
 * SQL procedure (admins): seal every stored secret under the newest key, a
 * batch per transaction when CALLed outside a transaction block (so a
 * concurrent store waits for one batch at most), then the cached tokens.
 */
Datum
dbx_reencrypt_credentials(PG_FUNCTION_ARGS)
{
	bool		nonatomic = fcinfo->context != NULL && IsA(fcinfo->context, CallContext) &&
		!castNode(CallContext, fcinfo->context)->atomic;
	DbxKey		key;
	pg_uuid_t	after = {{0}};
	Counts		counts = {0};
	int			tokens;
	StorageScope scope;
	bool		more;
	char	   *summary;

	PreventCommandIfReadOnly("dbx_reencrypt_credentials()");
	key = *keyring_newest();	/* a copy: the keyring may be reread */
	do
	{
		int32		target = key.version;

		if (SPI_connect_ext(nonatomic ? SPI_OPT_NONATOMIC : 0) != SPI_OK_CONNECT)
			elog(ERROR, "SPI_connect failed");
		more = reseal_batch(&key, &after, &counts);
		check_target(&key, &after, &counts);
		more = more || key.version != target;
		if (nonatomic)
			SPI_commit();
		SPI_finish();
	} while (more);

	tokens = token_cache_reseal(&key);
	summary = psprintf("to key version %d: %d re-encrypted, %d failed",
					   key.version, counts.reencrypted, counts.failed);
	storage_open(&scope);
	audit_success("credentials_reencrypted", NULL, NULL, summary);
	storage_close(&scope);
	explicit_bzero(&key, sizeof(key));
	ereport(NOTICE,
			errmsg("secrets sealed %s; %d cached tokens sealed anew", summary, tokens),
			counts.failed > 0 ? errhint("dbx_oauth.dbx_check_credentials() shows the secrets that did not open.") : 0);
	PG_RETURN_VOID();
}
