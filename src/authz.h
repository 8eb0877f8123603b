/*
 * authz.h - who may act for which tenant
 */
#ifndef DBX_AUTHZ_H
#define DBX_AUTHZ_H

/*
 * Raise DS_ACCESS_DENIED (deny_tenant) unless the caller may act for the
 * tenant: superusers and dbx_oauth_admin members may for every tenant; other
 * roles for the tenants granted to them (or to a role whose privileges they
 * have) with dbx_grant_tenant; over REST, the tenants of the token's claims.
 */
extern void authorize_tenant(const char *tenant, const char *connection);

/*
 * Raise DS_ACCESS_DENIED for the tenant and audit it, naming the connection
 * asked for if it is a valid name (not yet validated: it may be anything).
 */
extern void deny_tenant(const char *tenant, const char *connection) pg_attribute_noreturn();

/* validate_tenant, then authorize_tenant: what every operation does first. */
extern void check_tenant(const char *tenant, const char *connection);

/* During one REST call: the tenant the token's claims allow (NULL after it). */
extern void authz_set_rest_tenant(const char *tenant);

#endif
