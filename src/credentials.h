/*
 * credentials.h - storing OAuth credentials, shared by the SQL function and
 * the REST layer
 */
#ifndef DBX_CREDENTIALS_H
#define DBX_CREDENTIALS_H

#include "utils/timestamp.h"
#include "utils/uuid.h"

#include "crypto.h"

/* What a client secret is sealed to: its tenant, connection and client ID. */
extern SealContext credentials_seal_context(const char *tenant, const char *name,
											const char *client_id);

/*
 * Validate and store (or replace) the credentials of a connection.  Sets
 * *id and *stored_at to the config's id and the time of the store.
 */
extern void credentials_store(const char *tenant, const char *name, const text *client_id,
							  const text *client_secret, pg_uuid_t *id, TimestampTz *stored_at);

/* The vendor's success body for a store. */
extern char *credentials_stored_body(const char *name, const pg_uuid_t *id, TimestampTz stored_at);

#endif
