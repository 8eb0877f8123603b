/*
 * crypto.c - sealing secrets with pgcrypto: authenticated, versioned and
 * bound to the row they belong to
 *
 * Construction (encrypt-then-MAC), all primitives from pgcrypto:
 *
 *   enc_key = HMAC-SHA256(master, "dbx_oauth encryption key v1")
 *   mac_key = HMAC-SHA256(master, "dbx_oauth authentication key v1")
 *   sealed  = format(1) | key version (4, big-endian) | iv (16)
 *             | AES-256-CBC(enc_key, iv, plaintext, PKCS#7 padding)
 *             | HMAC-SHA256(mac_key, context | everything before the tag)
 *   context = for each part: length (4, big-endian) | bytes
 *
 * The IV comes fresh from gen_random_bytes for every write.  The context
 * names the purpose and the row (tenant, connection, client ID), so a value
 * copied to another row, or left under another client ID, does not open.
 * Keys and plaintext are passed to pgcrypto through the function manager,
 * never through SQL text.
 */
#include "postgres.h"

#include "access/genam.h"
#include "access/htup_details.h"
#include "access/table.h"
#include "catalog/dependency.h"
#include "catalog/pg_extension.h"
#include "catalog/pg_proc.h"
#include "commands/extension.h"
#include "fmgr.h"
#include "libpq/pqformat.h"
#include "nodes/makefuncs.h"
#include "parser/parse_func.h"
#include "utils/builtins.h"
#include "utils/fmgroids.h"
#include "utils/inval.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/syscache.h"

#include "crypto.h"

#define SEAL_FORMAT 1
#define IV_BYTES 16
#define TAG_BYTES 32
#define HEADER_BYTES (1 + 4 + IV_BYTES)
#define AES_BLOCK 16

/* The pgcrypto functions used, looked up once per backend. */
typedef struct Pgcrypto
{
	bool		valid;
	FmgrInfo	hmac;			/* hmac(bytea, bytea, text) */
	FmgrInfo	encrypt_iv;		/* encrypt_iv(bytea, bytea, bytea, text) */
	FmgrInfo	decrypt_iv;		/* decrypt_iv(bytea, bytea, bytea, text) */
	FmgrInfo	gen_random_bytes;	/* gen_random_bytes(integer) */
	Datum		sha256;			/* 'sha256' */
	Datum		aes_cbc;		/* 'aes-cbc/pad:pkcs' */
} Pgcrypto;

static Pgcrypto pgcrypto;

/* pg_proc changed (pgcrypto dropped, moved, updated): look the functions up again. */
static void
forget_pgcrypto(Datum arg, int cacheid, uint32 hashvalue)
{
	pgcrypto.valid = false;
}

/* The schema pgcrypto is installed in. */
static Oid
pgcrypto_schema(Oid extension)
{
	Relation	rel = table_open(ExtensionRelationId, AccessShareLock);
	ScanKeyData key;
	SysScanDesc scan;
	HeapTuple	tuple;
	Oid			schema = InvalidOid;

	ScanKeyInit(&key, Anum_pg_extension_oid, BTEqualStrategyNumber, F_OIDEQ,
				ObjectIdGetDatum(extension));
	scan = systable_beginscan(rel, ExtensionOidIndexId, true, NULL, 1, &key);
	tuple = systable_getnext(scan);
	if (HeapTupleIsValid(tuple))
		schema = ((Form_pg_extension) GETSTRUCT(tuple))->extnamespace;
	systable_endscan(scan);
	table_close(rel, AccessShareLock);
	if (!OidIsValid(schema))
		elog(ERROR, "cache lookup failed for extension %u", extension);
	return schema;
}

/* Find pgcrypto's function "name" and check that it really belongs to pgcrypto. */
static void
lookup_function(FmgrInfo *finfo, Oid extension, const char *schema,
				const char *name, int nargs, const Oid *argtypes)
{
	List	   *qualified = list_make2(makeString(pstrdup(schema)), makeString(pstrdup(name)));
	Oid			fn = LookupFuncName(qualified, nargs, argtypes, false);

	if (getExtensionOfObject(ProcedureRelationId, fn) != extension)
		elog(ERROR, "function %s.%s does not belong to extension pgcrypto", schema, name);
	fmgr_info_cxt(fn, finfo, TopMemoryContext);
}

/* Make sure the pgcrypto functions are looked up. */
static void
load_pgcrypto(void)
{
	static bool callback_registered = false;
	Oid			extension;
	char	   *schema;
	const Oid	hmac_args[] = {BYTEAOID, BYTEAOID, TEXTOID};
	const Oid	cipher_args[] = {BYTEAOID, BYTEAOID, BYTEAOID, TEXTOID};
	const Oid	random_args[] = {INT4OID};

	if (pgcrypto.valid)
		return;
	if (!callback_registered)
	{
		MemoryContext old = MemoryContextSwitchTo(TopMemoryContext);

		pgcrypto.sha256 = CStringGetTextDatum("sha256");
		pgcrypto.aes_cbc = CStringGetTextDatum("aes-cbc/pad:pkcs");
		MemoryContextSwitchTo(old);
		CacheRegisterSyscacheCallback(PROCOID, forget_pgcrypto, (Datum) 0);
		callback_registered = true;
	}

	extension = get_extension_oid("pgcrypto", false);
	schema = get_namespace_name(pgcrypto_schema(extension));
	lookup_function(&pgcrypto.hmac, extension, schema, "hmac", 3, hmac_args);
	lookup_function(&pgcrypto.encrypt_iv, extension, schema, "encrypt_iv", 4, cipher_args);
	lookup_function(&pgcrypto.decrypt_iv, extension, schema, "decrypt_iv", 4, cipher_args);
	lookup_function(&pgcrypto.gen_random_bytes, extension, schema, "gen_random_bytes", 1, random_args);
	pgcrypto.valid = true;
}

/* A new bytea holding a copy of len bytes at data. */
static bytea *
make_bytea(const void *data, size_t len)
{
	bytea	   *result = palloc(VARHDRSZ + len);

	SET_VARSIZE(result, VARHDRSZ + len);
	if (len > 0)
		memcpy(VARDATA(result), data, len);
	return result;
}

/* HMAC-SHA256 of data under key, through pgcrypto's hmac(). */
static void
hmac_sha256(const uint8 *key, size_t keylen, const bytea *data, uint8 *out)
{
	bytea	   *k = make_bytea(key, keylen);
	bytea	   *mac;

	load_pgcrypto();
	mac = DatumGetByteaPP(FunctionCall3(&pgcrypto.hmac, PointerGetDatum(data),
										PointerGetDatum(k), pgcrypto.sha256));
	if (VARSIZE_ANY_EXHDR(mac) != TAG_BYTES)
		elog(ERROR, "pgcrypto hmac returned %zu bytes", VARSIZE_ANY_EXHDR(mac));
	memcpy(out, VARDATA_ANY(mac), TAG_BYTES);
	explicit_bzero(VARDATA(k), keylen);
	pfree(k);
	pfree(mac);
}

/* Run pgcrypto's encrypt_iv or decrypt_iv with AES-256-CBC. */
static bytea *
aes_cbc(FmgrInfo *fn, const bytea *data, const uint8 *enc_key, const uint8 *iv)
{
	bytea	   *k = make_bytea(enc_key, DBX_KEY_BYTES);
	bytea	   *ivb = make_bytea(iv, IV_BYTES);
	bytea	   *result;

	result = DatumGetByteaPP(FunctionCall4(fn, PointerGetDatum(data), PointerGetDatum(k),
										   PointerGetDatum(ivb), pgcrypto.aes_cbc));
	explicit_bzero(VARDATA(k), DBX_KEY_BYTES);
	pfree(k);
	pfree(ivb);
	return result;
}

void
crypto_derive_key(const uint8 *master, DbxKey *key)
{
	static const char enc_label[] = "dbx_oauth encryption key v1";
	static const char mac_label[] = "dbx_oauth authentication key v1";

	hmac_sha256(master, DBX_KEY_BYTES, make_bytea(enc_label, strlen(enc_label)), key->enc_key);
	hmac_sha256(master, DBX_KEY_BYTES, make_bytea(mac_label, strlen(mac_label)), key->mac_key);
}

/* The tag of a sealed value's first "covered" bytes, bound to context. */
static void
compute_tag(const DbxKey *key, const uint8 *covered, size_t len,
			const SealContext *context, uint8 *tag)
{
	StringInfoData input;

	initStringInfo(&input);
	appendStringInfoSpaces(&input, VARHDRSZ);
	for (int i = 0; i < context->count; i++)
	{
		size_t		part_len = strlen(context->parts[i]);

		pq_sendint32(&input, (uint32) part_len);
		appendBinaryStringInfo(&input, context->parts[i], part_len);
	}
	appendBinaryStringInfo(&input, (const char *) covered, len);
	SET_VARSIZE(input.data, input.len);
	hmac_sha256(key->mac_key, DBX_KEY_BYTES, (bytea *) input.data, tag);
	pfree(input.data);
}

bytea *
crypto_seal(const DbxKey *key, const bytea *plain, const SealContext *context)
{
	bytea	   *iv;
	bytea	   *ciphertext;
	StringInfoData sealed;

	load_pgcrypto();
	iv = DatumGetByteaPP(FunctionCall1(&pgcrypto.gen_random_bytes, Int32GetDatum(IV_BYTES)));
	ciphertext = aes_cbc(&pgcrypto.encrypt_iv, plain, key->enc_key, (uint8 *) VARDATA_ANY(iv));

	initStringInfo(&sealed);
	appendStringInfoSpaces(&sealed, VARHDRSZ);
	appendStringInfoChar(&sealed, SEAL_FORMAT);
	pq_sendint32(&sealed, (uint32) key->version);
	appendBinaryStringInfo(&sealed, VARDATA_ANY(iv), IV_BYTES);
	appendBinaryStringInfo(&sealed, VARDATA_ANY(ciphertext), VARSIZE_ANY_EXHDR(ciphertext));
	enlargeStringInfo(&sealed, TAG_BYTES);
	compute_tag(key, (uint8 *) sealed.data + VARHDRSZ, sealed.len - VARHDRSZ, context,
				(uint8 *) sealed.data + sealed.len);
	sealed.len += TAG_BYTES;
	SET_VARSIZE(sealed.data, sealed.len);
	return (bytea *) sealed.data;
}

bool
crypto_sealed_key_version(const bytea *sealed, int32 *version)
{
	const uint8 *p = (const uint8 *) VARDATA_ANY(sealed);
	size_t		len = VARSIZE_ANY_EXHDR(sealed);
	uint32		v;

	if (len < HEADER_BYTES + AES_BLOCK + TAG_BYTES || p[0] != SEAL_FORMAT)
		return false;
	v = ((uint32) p[1] << 24) | ((uint32) p[2] << 16) | ((uint32) p[3] << 8) | p[4];
	if (v == 0 || v > PG_INT32_MAX)
		return false;
	*version = (int32) v;
	return true;
}

/* Compare two tags in time independent of where they differ. */
static bool
tags_equal(const uint8 *a, const uint8 *b)
{
	uint8		diff = 0;

	for (int i = 0; i < TAG_BYTES; i++)
		diff |= a[i] ^ b[i];
	return diff == 0;
}

bytea *
crypto_open(const DbxKey *key, const bytea *sealed, const SealContext *context)
{
	const uint8 *p = (const uint8 *) VARDATA_ANY(sealed);
	size_t		len = VARSIZE_ANY_EXHDR(sealed);
	size_t		ct_len = len - HEADER_BYTES - TAG_BYTES;
	int32		version;
	uint8		expected[TAG_BYTES];

	if (!crypto_sealed_key_version(sealed, &version) || version != key->version ||
		ct_len % AES_BLOCK != 0)
		return NULL;
	compute_tag(key, p, len - TAG_BYTES, context, expected);
	if (!tags_equal(expected, p + len - TAG_BYTES))
		return NULL;
	return aes_cbc(&pgcrypto.decrypt_iv, make_bytea(p + HEADER_BYTES, ct_len),
				   key->enc_key, p + 1 + 4);
}
