/*
 * crypto.h - sealing secrets with pgcrypto: authenticated, versioned and
 * bound to the row they belong to
 */
#ifndef DBX_CRYPTO_H
#define DBX_CRYPTO_H

#include "utils/uuid.h"

#define DBX_KEY_BYTES 32

/* One key version, split into an encryption key and an authentication key. */
typedef struct DbxKey
{
	int32		version;
	uint8		enc_key[DBX_KEY_BYTES];
	uint8		mac_key[DBX_KEY_BYTES];
} DbxKey;

/* What a sealed value is for; part of what the authentication tag covers. */
#define DBX_PURPOSE_CLIENT_SECRET "client_secret"

/* Derive the encryption and authentication keys of "key" from a 256-bit master key. */
extern void crypto_derive_key(const uint8 *master, DbxKey *key);

/* Encrypt and authenticate "plain" with "key", bound to purpose and row id. */
extern bytea *crypto_seal(const DbxKey *key, const bytea *plain,
						  const char *purpose, const pg_uuid_t *row_id);

/* The key version a sealed value names, or false if it is not a sealed value. */
extern bool crypto_sealed_key_version(const bytea *sealed, int32 *version);

/*
 * Authenticate and decrypt a sealed value with "key".  Returns NULL when it
 * does not authenticate (tampered, or sealed for another row or purpose).
 * The caller wipes the returned plaintext with explicit_bzero once used.
 */
extern bytea *crypto_open(const DbxKey *key, const bytea *sealed,
						  const char *purpose, const pg_uuid_t *row_id);

#endif
