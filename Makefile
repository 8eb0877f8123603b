# dbx_oauth - PGXS build
EXTENSION = dbx_oauth
MODULE_big = dbx_oauth
OBJS = \
	src/dbx_oauth.o \
	src/settings.o \
	src/errors.o \
	src/keyring.o \
	src/crypto.o \
	src/validate.o \
	src/json_input.o \
	src/json_output.o \
	src/config_body.o \
	src/storage.o \
	src/configs.o \
	src/credentials.o \
	src/rest.o \
	src/subxact.o \
	src/http_client.o \
	src/databricks.o \
	src/token_cache.o \
	src/tokens.o \
	src/authz.o \
	src/audit.o \
	src/rotation.o
DATA = sql/dbx_oauth--1.0.sql
PGFILEDESC = "dbx_oauth - Databricks OAuth M2M credentials in PostgreSQL"

PG_CPPFLAGS = -I$(srcdir)/src
PG_CFLAGS = -Wall -Wextra -Werror -Wno-unused-parameter -Wno-missing-field-initializers
SHLIB_LINK = -lcurl

# pg_regress tests: sql/<name>.sql against expected/<name>.out
REGRESS = setup install configs credentials keys check tokens tenants rotation audit privileges errors
# isolation specs: test/specs/<name>.spec against test/expected/<name>.out
ISOLATION = concurrent_store store_vs_delete create_same_name reencrypt_vs_store grants_cache token_single_flight
ISOLATION_OPTS = --inputdir=test

PG_CONFIG ?= pg_config
PGXS := $(shell $(PG_CONFIG) --pgxs)
include $(PGXS)

# PGXS tracks no header dependencies: rebuild everything when a header changes.
$(OBJS): $(wildcard $(srcdir)/src/*.h)

# "make print-REGRESS" prints a variable, for the test scripts
print-%:
	@echo '$($*)'

# Benchmarks against baselines measured in the same run (see README)
.PHONY: bench
bench:
	@bash $(srcdir)/scripts/bench.sh
