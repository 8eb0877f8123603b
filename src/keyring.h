/*
 * keyring.h - the encryption keys, read from the file named by
 * dbx_oauth.key_file and reread whenever that file changes
 */
#ifndef DBX_KEYRING_H
#define DBX_KEYRING_H

#include "crypto.h"

/*
 * The key with the highest version, from the key file as it is now: it
 * seals new writes.
 */
extern const DbxKey *keyring_newest(void);

/* Make the next operation look at the key file, however recently it was. */
extern void keyring_recheck(void);

/*
 * The key with this version, or NULL if the key file no longer lists it;
 * the file as it was within the last second.
 */
extern const DbxKey *keyring_find(int32 version);

typedef enum SealedState
{
	SEALED_OPENED,
	SEALED_KEY_MISSING,			/* the key file lists no key of its version */
	SEALED_NOT_AUTHENTIC		/* changed, moved, or sealed under other key material */
} SealedState;

/*
 * Open a sealed value with the key of the version it names (*version),
 * looking at the key file again before giving up.  Returns the plaintext,
 * which the caller wipes with explicit_bzero, or NULL; *state says which.
 */
extern bytea *keyring_open(const bytea *sealed, const SealContext *context, int32 *version,
						   SealedState *state);

#endif
