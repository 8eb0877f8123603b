/*
 * keyring.h - the encryption keys, read from the file named by
 * dbx_oauth.key_file and reread whenever that file changes
 */
#ifndef DBX_KEYRING_H
#define DBX_KEYRING_H

#include "crypto.h"

/*
 * The key with the highest version: it encrypts new writes.  The key file
 * is looked at once a second at most.
 */
extern const DbxKey *keyring_newest(void);

/* Make the next operation look at the key file, however recently it was. */
extern void keyring_recheck(void);

/* The key with this version, or NULL if the key file no longer lists it. */
extern const DbxKey *keyring_find(int32 version);

#endif
