/*
 * tokens.h - Databricks access tokens minted with the stored credentials,
 * and the connection test
 */
#ifndef DBX_TOKENS_H
#define DBX_TOKENS_H

/* {"accessToken", "tokenType": "Bearer", "expiresAt": <ms>} for a connection. */
extern char *access_token_body(const char *tenant, const char *connection);

/*
 * Test a connection: mint a fresh token and check its SQL warehouse; a
 * success makes the connection ACTIVE.  {"status": "success", "data":
 * {"connected": bool, "databaseType": "DATABRICKS", "message": "..."}}
 */
extern char *connection_test_body(const char *tenant, const char *connection);

#endif
