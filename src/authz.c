/*
 * authz.c - who may act for which tenant, and the SQL functions that grant
 * tenants to roles
 */
#include "postgres.h"

#include "catalog/pg_authid.h"
#include "fmgr.h"
#include "miscadmin.h"
#include "utils/acl.h"
#include "utils/builtins.h"
#include "utils/memutils.h"

#include "api.h"
#include "audit.h"
#include "authz.h"
#include "errors.h"
#include "storage.h"
#include "validate.h"

#define ALL_TENANTS "*"

static char *rest_tenant = NULL;

void
authz_set_rest_tenant(const char *tenant)
{
	if (rest_tenant != NULL)
		pfree(rest_tenant);
	rest_tenant = tenant ? MemoryContextStrdup(TopMemoryContext, tenant) : NULL;
}

/* Whether a role was granted the tenant, directly or through a role it has the privileges of. */
static bool
granted(Oid role, const char *tenant)
{
	StorageScope scope;
	List	   *grantees;
	ListCell   *cell;
	bool		found = false;

	storage_open(&scope);
	grantees = storage_tenant_grantees(tenant);
	storage_close(&scope);
	foreach(cell, grantees)
		found = found || has_privs_of_role(role, lfirst_oid(cell));
	return found;
}

void
authorize_tenant(const char *tenant)
{
	Oid			role = GetUserId();
	Oid			admin = get_role_oid("dbx_oauth_admin", true);

	if (rest_tenant != NULL && strcmp(rest_tenant, tenant) == 0)
		return;
	if (superuser_arg(role) || (OidIsValid(admin) && has_privs_of_role(role, admin)))
		return;
	if (rest_tenant == NULL && granted(role, tenant))
		return;
	audit_failure("access_denied", tenant, NULL, "DS_ACCESS_DENIED");
	dbx_raise(DBX_ERR_ACCESS_DENIED, tenant);
}

void
check_tenant(const char *tenant)
{
	validate_tenant(tenant);
	authorize_tenant(tenant);
}

/* The tenant argument of a grant: a tenant ID or '*'. */
static char *
grant_tenant_arg(FunctionCallInfo fcinfo, int n)
{
	char	   *tenant = text_arg(fcinfo, n);

	if (tenant == NULL || strcmp(tenant, ALL_TENANTS) != 0)
		validate_tenant(tenant);
	return tenant;
}

/* A role argument; NULL is refused. */
static Oid
role_arg(FunctionCallInfo fcinfo, int n)
{
	if (PG_ARGISNULL(n))
		ereport(ERROR, errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED), errmsg("role must not be null"));
	return PG_GETARG_OID(n);
}

/* Grant (or revoke) a tenant to the role in argument 0; whether anything changed. */
static bool
change_grant(FunctionCallInfo fcinfo, bool grant)
{
	Oid			role = role_arg(fcinfo, 0);
	char	   *tenant = grant_tenant_arg(fcinfo, 1);
	StorageScope scope;
	bool		changed;

	storage_open(&scope);
	changed = grant ? storage_grant_tenant(role, tenant) : storage_revoke_tenant(role, tenant);
	if (changed)
		audit_success(grant ? "tenant_granted" : "tenant_revoked",
					  strcmp(tenant, ALL_TENANTS) == 0 ? NULL : tenant, NULL,
					  GetUserNameFromId(role, false));
	storage_close(&scope);
	return changed;
}

PG_FUNCTION_INFO_V1(dbx_grant_tenant);

/* SQL (admins): let a role act for a tenant ('*': every tenant); true if it was new. */
Datum
dbx_grant_tenant(PG_FUNCTION_ARGS)
{
	PG_RETURN_BOOL(change_grant(fcinfo, true));
}

PG_FUNCTION_INFO_V1(dbx_revoke_tenant);

/* SQL (admins): take a tenant grant back; true if there was one. */
Datum
dbx_revoke_tenant(PG_FUNCTION_ARGS)
{
	PG_RETURN_BOOL(change_grant(fcinfo, false));
}
