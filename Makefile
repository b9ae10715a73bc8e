# meshca — see README.md.  Out-of-tree build under $(BUILD).
#   make            build libmeshca.a, meshcad, meshca
#   make deps       install the Debian packages and npm fixtures the build and tests need
#   make test       deps + build with -Werror + every test suite (SAN=1: under ASan+UBSan)
#   make run        deps + the local stack (PostgreSQL under ./var, meshcad on 127.0.0.1)
#   make bench | fuzz [FUZZ_SECONDS=N] | format | install [PREFIX= DESTDIR=] | clean
#   make deb       the Debian packages meshcad and meshca (dpkg-buildpackage)

SAN      ?= 0
WERROR   ?= 0
ifeq ($(SAN),1)
BUILD    ?= build/san
else
BUILD    ?= build
endif
PREFIX   ?= /usr/local
DESTDIR  ?=
CC       ?= cc
FUZZ_CC  ?= clang
FUZZ_SECONDS ?= 60
TEST_JOBS ?= 2

# Each binary links only what it uses: libmeshca needs OpenSSL, jansson and
# libcurl (its URL parser); meshcad adds libmicrohttpd, cjose, libpq and
# GnuTLS and libsystemd (sd_notify); meshca adds libssh.  liboauth2 is not
# used (docs/identity-providers.md says why), so it is neither required nor
# installed.
CA_PKGS  := openssl jansson libcurl
API_PKGS := $(CA_PKGS) libmicrohttpd cjose libpq gnutls libsystemd p11-kit-1
CLI_PKGS := $(CA_PKGS) libssh
PKGS     := $(sort $(API_PKGS) $(CLI_PKGS))
PKG_CFLAGS := $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS   := $(shell pkg-config --libs $(PKGS) 2>/dev/null)
API_LIBS   := $(shell pkg-config --libs $(API_PKGS) 2>/dev/null) -lpthread -lm
CLI_LIBS   := $(shell pkg-config --libs $(CLI_PKGS) 2>/dev/null) -lpthread -lm

WARN := -Wall -Wextra -Wshadow -Wformat=2 -Wstrict-prototypes \
        -Wmissing-prototypes -Wvla -Wpointer-arith -Wconversion -Wno-sign-conversion
OPT  ?= -O2
ifeq ($(SAN),1)
OPT      := -O1
SANFLAGS := -fsanitize=address,undefined -fno-sanitize-recover=undefined -fno-omit-frame-pointer
endif
ifeq ($(WERROR),1)
WARN += -Werror
endif
HARDEN := -fstack-protector-strong -fPIE
ifneq ($(SAN),1)
HARDEN += -D_FORTIFY_SOURCE=2
endif

ALL_CFLAGS  := -std=c11 -D_GNU_SOURCE -g $(OPT) $(WARN) $(HARDEN) $(SANFLAGS) \
               -Iinclude $(PKG_CFLAGS) $(CFLAGS)
ALL_LDFLAGS := -pie -Wl,-z,relro,-z,now -Wl,--as-needed $(SANFLAGS) $(LDFLAGS)
LIBS        := $(PKG_LIBS) -lpthread -lm

CA_SRCS   := $(sort $(wildcard ca/*.c))
API_SRCS  := $(filter-out api/main.c,$(sort $(wildcard api/*.c)))
CLI_SRCS  := $(filter-out cli/main.c,$(sort $(wildcard cli/*.c)))
UNIT_SRCS := $(sort $(wildcard tests/unit/*/test_*.c))
TOOL_SRCS := $(sort $(wildcard tests/tools/*.c))
BENCH_SRCS := $(filter-out tests/bench/common.c,$(sort $(wildcard tests/bench/*.c)))
FUZZ_SRCS := $(sort $(wildcard tests/fuzz/fuzz_*.c))

obj = $(patsubst %.c,$(BUILD)/obj/%.o,$(1))

LIBMESHCA  := $(BUILD)/libmeshca.a
LIBMESHCAD := $(BUILD)/libmeshcad.a
LIBCLI     := $(BUILD)/libmeshca-cli.a
MESHCAD    := $(BUILD)/meshcad
MESHCA     := $(BUILD)/meshca
UNIT_BINS  := $(patsubst tests/%.c,$(BUILD)/tests/%,$(UNIT_SRCS))
TOOL_BINS  := $(patsubst tests/%.c,$(BUILD)/tests/%,$(TOOL_SRCS))
BENCH_BINS := $(patsubst tests/%.c,$(BUILD)/tests/%,$(BENCH_SRCS))
FUZZ_BINS  := $(patsubst tests/fuzz/%.c,$(BUILD)/fuzz/%,$(FUZZ_SRCS))
# tests/lib/jwk_test.c (JWKs of test keys) serves unit tests and benches.
TEST_LIB   := $(call obj,tests/lib/unit.c tests/lib/jwk_test.c)
BENCH_COMMON := $(call obj,tests/bench/common.c tests/lib/jwk_test.c)

.PHONY: all deps test run bench fuzz fuzz-build format install clean check-pkgs \
        test-build test-faults soak install-data deb
.DEFAULT_GOAL := all

all: check-pkgs $(MESHCAD) $(MESHCA)

check-pkgs:
	@pkg-config --exists $(PKGS) || { echo "missing libraries: run 'make deps' first" >&2; \
	  pkg-config --print-errors --exists $(PKGS); exit 1; }

# Recompile everything when the flags change (SAN, WERROR, CFLAGS).
$(BUILD)/.flags: FORCE
	@mkdir -p $(@D)
	@echo '$(CC) $(ALL_CFLAGS) $(ALL_LDFLAGS)' | cmp -s - $@ || \
	  echo '$(CC) $(ALL_CFLAGS) $(ALL_LDFLAGS)' > $@
.PHONY: FORCE
FORCE:

$(BUILD)/obj/%.o: %.c $(BUILD)/.flags
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) -MMD -MP -c $< -o $@

$(LIBMESHCA): $(call obj,$(CA_SRCS))
	@mkdir -p $(@D)
	@rm -f $@
	ar rcs $@ $^

# SQL migrations are compiled in, so an installed meshcad needs no files.
GEN_MIGRATIONS := $(BUILD)/gen/migrations.c
$(GEN_MIGRATIONS): $(sort $(wildcard migrations/*.sql)) contrib/embed-migrations.sh
	@mkdir -p $(@D)
	sh contrib/embed-migrations.sh migrations > $@.tmp && mv $@.tmp $@
$(BUILD)/obj/gen/migrations.o: $(GEN_MIGRATIONS) $(BUILD)/.flags
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) -Iapi -c $< -o $@

$(LIBMESHCAD): $(call obj,$(API_SRCS)) $(BUILD)/obj/gen/migrations.o
	@mkdir -p $(@D)
	@rm -f $@
	ar rcs $@ $^

$(LIBCLI): $(call obj,$(CLI_SRCS))
	@mkdir -p $(@D)
	@rm -f $@
	$(if $^,ar rcs $@ $^,printf '!<arch>\n' > $@)

$(MESHCAD): $(call obj,api/main.c) $(LIBMESHCAD) $(LIBMESHCA)
	$(CC) $(ALL_LDFLAGS) -o $@ $^ $(API_LIBS)

$(MESHCA): $(call obj,cli/main.c) $(LIBCLI) $(LIBMESHCA)
	$(CC) $(ALL_LDFLAGS) -o $@ $^ $(CLI_LIBS)

$(BUILD)/tests/unit/%: $(call obj,tests/unit/%.c) $(TEST_LIB) $(LIBMESHCAD) $(LIBCLI) $(LIBMESHCA)
	@mkdir -p $(@D)
	$(CC) $(ALL_LDFLAGS) -o $@ $^ $(LIBS)

$(BUILD)/tests/tools/%: $(call obj,tests/tools/%.c) $(LIBMESHCAD) $(LIBCLI) $(LIBMESHCA)
	@mkdir -p $(@D)
	$(CC) $(ALL_LDFLAGS) -o $@ $^ $(LIBS)

$(BUILD)/tests/bench/%: $(call obj,tests/bench/%.c) $(BENCH_COMMON) $(LIBMESHCAD) $(LIBMESHCA)
	@mkdir -p $(@D)
	$(CC) $(ALL_LDFLAGS) -o $@ $^ $(LIBS)

# tlogcheck: the transparency log's independent verifier, in Go on Debian's
# golang.org/x/mod/sumdb (GOPATH mode, no network).  Its known-answer
# vectors feed tests/unit/ca/test_tlog.c; they are generated, never committed.
TLOGCHECK    := $(BUILD)/tests/tools/tlogcheck
TLOG_VECTORS := $(BUILD)/tests/data/tlog-vectors.json
GO_ENV := GO111MODULE=off GOPATH=/usr/share/gocode GOFLAGS= GOPROXY=off \
          GOCACHE=$(abspath $(BUILD))/gocache
$(TLOGCHECK): $(wildcard tests/tools/tlogcheck/*.go)
	@mkdir -p $(@D)
	cd tests/tools/tlogcheck && $(GO_ENV) go build -trimpath -o $(abspath $@) .
$(TLOG_VECTORS): $(TLOGCHECK)
	@mkdir -p $(@D)
	$(TLOGCHECK) vectors > $@.tmp && mv $@.tmp $@

# Fuzz targets: libFuzzer with clang.  The library sources are compiled once
# with coverage instrumentation (-fsanitize=fuzzer-no-link) into fuzz copies
# of libmeshca and libmeshcad, which every target links.
FUZZ_CFLAGS := -std=c11 -D_GNU_SOURCE -g -O1 -Iinclude $(PKG_CFLAGS) \
               -fsanitize=address,undefined -fno-omit-frame-pointer
FUZZ_LIB_SRCS := $(CA_SRCS) $(API_SRCS)
FUZZ_OBJS := $(patsubst %.c,$(BUILD)/fuzz/obj/%.o,$(FUZZ_LIB_SRCS)) \
             $(BUILD)/fuzz/obj/gen/migrations.o
FUZZ_LIB  := $(BUILD)/fuzz/libmeshca-fuzz.a
$(BUILD)/fuzz/obj/%.o: %.c $(BUILD)/.flags
	@mkdir -p $(@D)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -fsanitize=fuzzer-no-link -Iapi -MMD -MP -c $< -o $@
$(BUILD)/fuzz/obj/gen/migrations.o: $(GEN_MIGRATIONS)
	@mkdir -p $(@D)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -fsanitize=fuzzer-no-link -Iapi -c $< -o $@
$(FUZZ_LIB): $(FUZZ_OBJS)
	@rm -f $@
	ar rcs $@ $^
$(BUILD)/fuzz/%: tests/fuzz/%.c $(FUZZ_LIB)
	@mkdir -p $(@D)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -fsanitize=fuzzer -Iapi -o $@ $< $(FUZZ_LIB) $(PKG_LIBS) -lpthread -lm

fuzz-build: $(FUZZ_BINS)

test-build: all $(UNIT_BINS) $(TOOL_BINS) $(BENCH_BINS) $(TLOGCHECK) $(TLOG_VECTORS)

deps:
	@sh tests/tools/deps.sh

test: deps
	@$(MAKE) --no-print-directory -j$(TEST_JOBS) WERROR=1 test-build $(if $(filter 1,$(SAN)),,fuzz-build)
	@BUILD=$(abspath $(BUILD)) TEST_JOBS=$(TEST_JOBS) FUZZ_SMOKE_SECONDS=$(if $(filter 1,$(SAN)),0,10) \
	  bash tests/run-tests.sh

test-faults: deps
	@$(MAKE) --no-print-directory -j$(TEST_JOBS) WERROR=1 test-build
	@BUILD=$(abspath $(BUILD)) TEST_JOBS=1 SUITES=faults bash tests/run-tests.sh

run: deps
	@$(MAKE) --no-print-directory all $(TOOL_BINS)
	@BUILD=$(abspath $(BUILD)) bash contrib/devstack.sh

bench: deps
	@$(MAKE) --no-print-directory all $(TOOL_BINS) $(BENCH_BINS)
	@BUILD=$(abspath $(BUILD)) bash tests/bench/run.sh

soak: deps
	@$(MAKE) --no-print-directory all $(TOOL_BINS) $(BENCH_BINS)
	@BUILD=$(abspath $(BUILD)) bash tests/bench/soak.sh

fuzz: fuzz-build
	@BUILD=$(abspath $(BUILD)) FUZZ_SECONDS=$(FUZZ_SECONDS) bash tests/fuzz/run.sh

format:
	clang-format -i $(CA_SRCS) api/*.c cli/*.c include/meshca/*.h $(wildcard api/*.h cli/*.h) \
	  tests/lib/*.c tests/lib/*.h $(UNIT_SRCS) $(TOOL_SRCS) $(BENCH_SRCS) \
	  tests/bench/common.[ch] $(FUZZ_SRCS)

install: all install-data
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(PREFIX)/share/meshca/migrations
	install -m 0755 $(MESHCAD) $(MESHCA) $(DESTDIR)$(PREFIX)/bin/
	install -m 0644 migrations/*.sql $(DESTDIR)$(PREFIX)/share/meshca/migrations/

# The operator's kit (#20): man pages, bash completion, systemd units, the
# Prometheus rules.  No build needed, so tests can install it alone.
MANDIR        ?= $(PREFIX)/share/man
BASHCOMPDIR   ?= $(PREFIX)/share/bash-completion/completions
SYSTEMDUNITDIR ?= $(PREFIX)/lib/systemd/system
install-data:
	install -d $(DESTDIR)$(MANDIR)/man1 $(DESTDIR)$(MANDIR)/man5 $(DESTDIR)$(MANDIR)/man8 \
	  $(DESTDIR)$(BASHCOMPDIR) $(DESTDIR)$(SYSTEMDUNITDIR) \
	  $(DESTDIR)$(PREFIX)/share/meshca/prometheus
	install -m 0644 man/meshca.1 $(DESTDIR)$(MANDIR)/man1/
	install -m 0644 man/meshcad.json.5 man/meshca-policy.5 $(DESTDIR)$(MANDIR)/man5/
	install -m 0644 man/meshcad.8 $(DESTDIR)$(MANDIR)/man8/
	install -m 0644 contrib/bash-completion/meshca contrib/bash-completion/meshcad \
	  $(DESTDIR)$(BASHCOMPDIR)/
	for u in meshcad.service meshca-refresh.service meshca-refresh.timer \
	  meshca-host-report.service; do \
	  sed 's|@BINDIR@|$(PREFIX)/bin|g' contrib/systemd/$$u > $(DESTDIR)$(SYSTEMDUNITDIR)/$$u && \
	  chmod 0644 $(DESTDIR)$(SYSTEMDUNITDIR)/$$u || exit 1; done
	install -m 0644 contrib/prometheus/meshca-rules.yml $(DESTDIR)$(PREFIX)/share/meshca/prometheus/

# make deb: the Debian packages meshcad and meshca, built offline from a copy
# of the tracked (and new, unignored) files under $(BUILD)/deb, so the
# worktree and its build/ are untouched; the .deb files land in $(BUILD)/deb.
DEB_VERSION = $(shell sed -n '1s/.*(\(.*\)).*/\1/p' debian/changelog)
DEB_SRC     = $(BUILD)/deb/meshca-$(DEB_VERSION)
deb:
	rm -rf $(BUILD)/deb && mkdir -p $(DEB_SRC)
	git ls-files -z --cached --others --exclude-standard | \
	  xargs -0 sh -c 'for f; do [ -f "$$f" ] && printf "%s\0" "$$f"; done' _ | \
	  tar --null -T - -cf - | tar -xf - -C $(DEB_SRC)
	cd $(DEB_SRC) && DEB_BUILD_OPTIONS="parallel=$(TEST_JOBS) $(DEB_BUILD_OPTIONS)" \
	  dpkg-buildpackage -us -uc -b
	ls $(BUILD)/deb/*.deb

clean:
	rm -rf $(BUILD)

-include $(shell find $(BUILD)/obj $(BUILD)/fuzz/obj -name '*.d' 2>/dev/null)
