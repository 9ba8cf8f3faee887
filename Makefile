# govern: build, demo, tests and benchmark.  Each target installs the
# Debian packages it needs first (scripts/install-deps.sh, apt-get only).

SHELL      := /bin/bash
PYTHON     := /usr/bin/python3
NGINX_SRC  := /usr/share/nginx/src
SANITIZE   ?=

ifeq ($(SANITIZE),address)
BUILD      := build/asan
SAN_FLAGS  := -fsanitize=address -fno-omit-frame-pointer
else ifeq ($(SANITIZE),)
BUILD      := build
SAN_FLAGS  :=
else
$(error SANITIZE must be empty or "address")
endif

MODULE     := $(BUILD)/ngx_http_govern_module.so
MODULE_SRC := $(wildcard module/*.c module/*/*.c module/*/*.h) module/config \
              module/SOURCES
CC_OPT     := -O2 -g -Wall -Wextra -Werror -fstack-protector-strong \
              -D_FORTIFY_SOURCE=2 $(SAN_FLAGS)
LD_OPT     := $(SAN_FLAGS)

# the pure library, built once for the module and the CLIs of this flavour
GOVERN_LIB_DIR    := $(CURDIR)/$(BUILD)/lib
GOVERN_LIB_CC     := $(CC)
GOVERN_LIB_CFLAGS := $(CC_OPT) -Wno-unused-parameter -fPIC
include module/lib/lib.mk

# the suite beside the repository, as the workspace lays it out (a clone
# elsewhere, as CI's may be, finds it where the workspace keeps it)
SUITE      ?= $(firstword $(wildcard $(CURDIR)/../shared/conformance/json-schema-test-suite \
                                     /work/shared/conformance/json-schema-test-suite))

.PHONY: all deps deps-test deps-run deps-bench deps-fuzz test unit \
        integration layers npm run \
        bench clean conformance fuzz bench-schema docker-smoke

all: $(MODULE) $(BUILD)/govern-schema $(BUILD)/govern-audit

$(BUILD)/govern-schema: tools/govern_schema.c $(GOVERN_LIB) | deps
	@mkdir -p $(BUILD)
	$(CC) $(CC_OPT) -Imodule/lib -o $@ tools/govern_schema.c \
	    $(GOVERN_LIB) $(GOVERN_LIB_LIBS)

# govern-audit verify --key PUBLIC.pem FILE...: the audit chain's verifier
$(BUILD)/govern-audit: tools/govern_audit.c $(GOVERN_LIB) | deps
	@mkdir -p $(BUILD)
	$(CC) $(CC_OPT) -Imodule/lib -o $@ tools/govern_audit.c \
	    $(GOVERN_LIB) $(GOVERN_LIB_LIBS)

# govern's validator against AJV (npm) on the same schema and payload
bench-schema: deps-test
	$(PYTHON) scripts/bench_schema.py

# the container image against local Redis and the fake Odoo (needs a
# Docker engine and debian:bookworm-slim; not part of make test)
docker-smoke: deps-test
	$(PYTHON) scripts/docker_smoke.py

# libFuzzer on the validator, bounded: FUZZ_SECONDS=600 make fuzz
fuzz: deps-fuzz
	$(MAKE) -C lua-free-tests/fuzz FUZZ_SECONDS=$(or $(FUZZ_SECONDS),60) \
	    SUITE="$(SUITE)"

# the official JSON Schema Test Suite (read in place, never copied)
conformance: deps-test
	$(MAKE) -C lua-free-tests/conformance SUITE="$(SUITE)"

deps:
	@scripts/install-deps.sh build
deps-run:
	@scripts/install-deps.sh run
deps-test:
	@scripts/install-deps.sh test
deps-bench:
	@scripts/install-deps.sh bench
deps-fuzz:
	@scripts/install-deps.sh fuzz

# nginx-dev ships headers and the configure scripts only; configure once
# (again when module/config changes), then build just the module.
$(BUILD)/nginx/objs/Makefile: module/config module/SOURCES | deps
	rm -rf $(BUILD)/nginx
	mkdir -p $(BUILD)
	cp -r $(NGINX_SRC) $(BUILD)/nginx
	cd $(BUILD)/nginx && source ./conf_flags && \
	    GOVERN_LIB=$(GOVERN_LIB) ./configure "$${NGX_CONF_FLAGS[@]}" \
	        --with-cc-opt="$(CC_OPT)" --with-ld-opt="$(LD_OPT)" \
	        --add-dynamic-module=$(CURDIR)/module > configure.log 2>&1 \
	    || { tail -20 configure.log; exit 1; }

# nginx's Makefile does not know the library: the module is linked again
$(MODULE): $(BUILD)/nginx/objs/Makefile $(MODULE_SRC) $(GOVERN_LIB)
	rm -f $(BUILD)/nginx/objs/ngx_http_govern_module.so
	$(MAKE) -C $(BUILD)/nginx -f objs/Makefile modules
	cp $(BUILD)/nginx/objs/ngx_http_govern_module.so $@

test: deps-test layers $(MODULE) unit conformance integration

# the layers of module/ (lib <- core <- stages <- observe <- module): no
# include from a lower layer to a higher one, no cycle, no nginx in lib
layers:
	$(PYTHON) scripts/check_layers.py

unit: deps-test
	$(MAKE) -C lua-free-tests/unit SANITIZE=$(SANITIZE)

# the npm packages the tests drive (lua-free-tests/npm: webhook signers,
# Odoo clients), installed into build/npm
npm:
	$(MAKE) -C lua-free-tests/unit ../../build/npm/installed

integration: deps-test npm $(MODULE) $(BUILD)/govern-schema \
             $(BUILD)/govern-audit
	cd lua-free-tests/integration && \
	    GOVERN_MODULE=$(CURDIR)/$(MODULE) GOVERN_SANITIZE=$(SANITIZE) \
	    GOVERN_SCHEMA_CLI=$(CURDIR)/$(BUILD)/govern-schema \
	    GOVERN_AUDIT_CLI=$(CURDIR)/$(BUILD)/govern-audit \
	    $(PYTHON) -m pytest -q -p no:cacheprovider $(PYTEST_ARGS)

run: deps-run $(MODULE)
	$(PYTHON) scripts/demo.py --module $(CURDIR)/$(MODULE)

bench: deps-bench $(MODULE)
	$(PYTHON) scripts/bench.py --module $(CURDIR)/$(MODULE)

clean:
	rm -rf build
	$(MAKE) -C lua-free-tests/unit clean
