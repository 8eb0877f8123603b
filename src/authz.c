/*
 * authz.c - who may act for which tenant, and the SQL functions that grant
 * tenants to roles
 */
#include "postgres.h"

#include "catalog/pg_authid.h"
#include "commands/trigger.h"
#include "fmgr.h"
#include "miscadmin.h"
#include "utils/acl.h"
#include "utils/builtins.h"
#include "utils/hsearch.h"
#include "utils/inval.h"
#include "utils/memutils.h"
#include "utils/syscache.h"

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

/*
 * The grantees of each tenant, as last committed in dbx_oauth.tenant_grants,
 * kept by each backend until the table changes: a trigger on it sends a
 * relcache invalidation, which every check takes in before it looks here.
 */
typedef struct TenantGrantees
{
	char		tenant[DBX_TENANT_MAX_CHARS + 1];	/* hash key */
	int			count;
	Oid		   *roles;			/* in grants_context */
} TenantGrantees;

#define GRANTS_CACHE_MAX_TENANTS 4096

static MemoryContext grants_context = NULL;
static HTAB *grants_cache = NULL;	/* in grants_context; NULL when empty */
static Oid	grants_table = InvalidOid;

static void
forget_grants(Datum arg, Oid relid)
{
	if (grants_cache != NULL && (relid == InvalidOid || relid == grants_table))
	{
		MemoryContextReset(grants_context);
		grants_cache = NULL;
	}
}

/* The cache entry of the tenant, read from the table when missing. */
static TenantGrantees *
cached_grantees(const char *tenant)
{
	TenantGrantees *entry;
	StorageScope scope;
	List	   *roles;
	ListCell   *cell;
	Oid		   *copy;
	bool		found;
	int			i = 0;

	if (grants_context == NULL)
	{
		grants_context = AllocSetContextCreate(TopMemoryContext, "dbx_oauth tenant grants",
											   ALLOCSET_SMALL_SIZES);
		CacheRegisterRelcacheCallback(forget_grants, (Datum) 0);
	}
	if (grants_cache != NULL && hash_get_num_entries(grants_cache) >= GRANTS_CACHE_MAX_TENANTS)
		forget_grants((Datum) 0, InvalidOid);
	if (grants_cache == NULL)
	{
		HASHCTL		ctl = {.keysize = DBX_TENANT_MAX_CHARS + 1,
		.entrysize = sizeof(TenantGrantees),.hcxt = grants_context};

		grants_cache = hash_create("dbx_oauth tenant grants", 64, &ctl,
								   HASH_ELEM | HASH_STRINGS | HASH_CONTEXT);
	}
	entry = hash_search(grants_cache, tenant, HASH_FIND, NULL);
	if (entry != NULL)
		return entry;

	storage_open(&scope);
	grants_table = storage_grants_table();
	roles = storage_tenant_grantees(tenant);
	storage_close(&scope);
	/* Reading the table may have taken in an invalidation that emptied the cache. */
	if (grants_cache == NULL)
		return cached_grantees(tenant);
	copy = MemoryContextAlloc(grants_context, sizeof(Oid) * Max(list_length(roles), 1));
	foreach(cell, roles)
		copy[i++] = lfirst_oid(cell);
	entry = hash_search(grants_cache, tenant, HASH_ENTER, &found);
	entry->count = i;
	entry->roles = copy;
	return entry;
}

/*
 * Whether a role was granted the tenant, directly or through a role it has
 * the privileges of, as of the grants last committed.
 */
static bool
granted(Oid role, const char *tenant)
{
	const TenantGrantees *entry;
	Oid		   *roles;
	int			count;

	if (strlen(tenant) > DBX_TENANT_MAX_CHARS)
		return false;
	/* Take in grants and revokes committed since the last look, even mid-transaction. */
	AcceptInvalidationMessages();
	entry = cached_grantees(tenant);
	/* A copy: looking up role memberships can take in an invalidation that empties the cache. */
	count = entry->count;
	roles = palloc(sizeof(Oid) * Max(count, 1));
	memcpy(roles, entry->roles, sizeof(Oid) * count);
	for (int i = 0; i < count; i++)
		if (has_privs_of_role(role, roles[i]))
			return true;
	return false;
}

void
authorize_tenant(const char *tenant, const char *connection)
{
	Oid			role = GetUserId();
	Oid			admin = get_role_oid("dbx_oauth_admin", true);

	if (rest_tenant != NULL && strcmp(rest_tenant, tenant) == 0)
		return;
	if (superuser_arg(role) || (OidIsValid(admin) && has_privs_of_role(role, admin)))
		return;
	if (rest_tenant == NULL && granted(role, tenant))
		return;
	deny_tenant(tenant, connection);
}

void
deny_tenant(const char *tenant, const char *connection)
{
	audit_failure("access_denied", tenant, is_connection_name(connection) ? connection : NULL,
				  "DS_ACCESS_DENIED");
	dbx_raise(DBX_ERR_ACCESS_DENIED, tenant);
}

void
check_tenant(const char *tenant, const char *connection)
{
	validate_tenant(tenant);
	authorize_tenant(tenant, connection);
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

/* A role argument; NULL and a role that does not exist are refused. */
static Oid
role_arg(FunctionCallInfo fcinfo, int n)
{
	if (PG_ARGISNULL(n))
		ereport(ERROR, errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED), errmsg("role must not be null"));
	if (!SearchSysCacheExists1(AUTHOID, PG_GETARG_DATUM(n)))
		ereport(ERROR, errcode(ERRCODE_UNDEFINED_OBJECT),
				errmsg("role with OID %u does not exist", PG_GETARG_OID(n)));
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

	PreventCommandIfReadOnly(grant ? "dbx_grant_tenant()" : "dbx_revoke_tenant()");
	storage_open(&scope);
	changed = grant ? storage_grant_tenant(role, tenant) : storage_revoke_tenant(role, tenant);
	if (changed)
		audit_success(grant ? "tenant_granted" : "tenant_revoked", tenant, NULL,
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

PG_FUNCTION_INFO_V1(dbx_tenant_grants_changed);

/* Trigger on dbx_oauth.tenant_grants: make every backend read the grants again. */
Datum
dbx_tenant_grants_changed(PG_FUNCTION_ARGS)
{
	if (!CALLED_AS_TRIGGER(fcinfo))
		ereport(ERROR, errcode(ERRCODE_E_R_I_E_TRIGGER_PROTOCOL_VIOLATED),
				errmsg("dbx_tenant_grants_changed() must be called as a trigger"));
	CacheInvalidateRelcache(((TriggerData *) fcinfo->context)->tg_relation);
	PG_RETURN_POINTER(NULL);
}
