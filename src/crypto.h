/*
 * crypto.h - sealing secrets with pgcrypto: authenticated, versioned and
 * bound to the row they belong to
 */
#ifndef DBX_CRYPTO_H
#define DBX_CRYPTO_H

#define DBX_KEY_BYTES 32

/* One key version, split into an encryption key and an authentication key. */
typedef struct DbxKey
{
	int32		version;
	uint8		enc_key[DBX_KEY_BYTES];
	uint8		mac_key[DBX_KEY_BYTES];
} DbxKey;

/*
 * What a sealed value belongs to: its purpose and the values that identify
 * its row.  The authentication tag covers them all, so a sealed value only
 * opens with exactly the same context.
 */
#define DBX_SEAL_CONTEXT_MAX 4
typedef struct SealContext
{
	int			count;
	const char *parts[DBX_SEAL_CONTEXT_MAX];
} SealContext;

/* Derive the encryption and authentication keys of "key" from a 256-bit master key. */
extern void crypto_derive_key(const uint8 *master, DbxKey *key);

/* Encrypt and authenticate "plain" with "key", bound to context. */
extern bytea *crypto_seal(const DbxKey *key, const bytea *plain, const SealContext *context);

/* The key version a sealed value names, or false if it is not a sealed value. */
extern bool crypto_sealed_key_version(const bytea *sealed, int32 *version);

/*
 * Authenticate and decrypt a sealed value with "key".  Returns NULL when it
 * does not authenticate (tampered, sealed under another context, or another
 * key).  The caller wipes the returned plaintext with explicit_bzero.
 */
extern bytea *crypto_open(const DbxKey *key, const bytea *sealed, const SealContext *context);

#endif
