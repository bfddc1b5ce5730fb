# rollsense: one non-recursive Makefile (each folder adds its sources in module.mk).
#
#   make                   build/rollsense-sensord, build/rollsense-collector
#   make check             unit and integration tests (installs missing Debian packages first)
#   make SANITIZE=1 check  the same under ASan + UBSan (objects in build/san/)
#   make demo              the main job on simulated gear and a private broker, with the page
#   make screenshots       the README's pictures (docs/img/) from a fresh it_browser run
#   make deps              only install the Debian packages the project needs
#   make check-unit        only the unit tests (no broker, no network; dh_auto_test)
#   make install DESTDIR=... PREFIX=...
#   make deb [ARCH=arm64]  the Debian packages, in build/pkg/<arch>/
#   make check-package     the packages for this machine, installed and checked in a fresh Debian 12
#                          chroot, the README's Pi steps included (root)
#   make deb [ARCH=arm64]  the Debian packages, into build/pkg/<arch>/ (scripts/package.sh)

CROSS_COMPILE ?=
ifeq ($(origin CC),default)
CC := $(CROSS_COMPILE)gcc
endif
# dh passes CC and PKG_CONFIG when it cross-builds, not AR: debian/rules sets
# CROSS_COMPILE then, so the archives are made by the target's ar.
ifeq ($(origin AR),default)
AR := $(CROSS_COMPILE)ar
endif
PKG_CONFIG ?= pkg-config
CFLAGS ?= -O2 -g
PREFIX ?= /usr/local
DESTDIR ?=
# Where systemd, udev and systemd-sysusers look, whatever PREFIX is; Debian 12
# keeps units and udev rules in /lib (lintian wants them there).
UNITDIR ?= /lib/systemd/system
UDEVRULESDIR ?= /lib/udev/rules.d
SYSUSERSDIR ?= /usr/lib/sysusers.d
DOCDIR ?= $(PREFIX)/share/doc/rollsense
MANDIR ?= $(PREFIX)/share/man
# The commented example installed as /etc/rollsense/rollsense.json.example.
CONFIG_EXAMPLE := config/lacrosse-ball.json
VERSION := 0.1.0
.DEFAULT_GOAL := all

WARNFLAGS := -std=c11 -Wall -Wextra -Wshadow -Wvla -Wmissing-prototypes
ifeq ($(WERROR),1)
WARNFLAGS += -Werror
endif

BUILD := build
ifeq ($(SANITIZE),1)
BUILD := build/san
SANFLAGS := -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined
endif

CJSON_CFLAGS := $(shell $(PKG_CONFIG) --cflags libcjson 2>/dev/null || echo -I/usr/include/cjson)
CJSON_LIBS := $(shell $(PKG_CONFIG) --libs libcjson 2>/dev/null || echo -lcjson)
SQLITE_CFLAGS := $(shell $(PKG_CONFIG) --cflags sqlite3 2>/dev/null)
SQLITE_LIBS := $(shell $(PKG_CONFIG) --libs sqlite3 2>/dev/null || echo -lsqlite3)
CMOCKA_CFLAGS := $(shell $(PKG_CONFIG) --cflags cmocka 2>/dev/null)
CMOCKA_LIBS := $(shell $(PKG_CONFIG) --libs cmocka 2>/dev/null || echo -lcmocka)
MHD_CFLAGS := $(shell $(PKG_CONFIG) --cflags libmicrohttpd 2>/dev/null)
MHD_LIBS := $(shell $(PKG_CONFIG) --libs libmicrohttpd 2>/dev/null || echo -lmicrohttpd)
PAHO_LIBS := -lpaho-mqtt3as
I2C_LIBS := -li2c
# libgpiod: v1 (Debian 12) or v2 (Debian 13, bookworm-backports) have
# incompatible APIs and no version macro: pkg-config tells which is here.
GPIOD_CFLAGS := $(shell $(PKG_CONFIG) --cflags libgpiod 2>/dev/null)
GPIOD_LIBS := $(shell $(PKG_CONFIG) --libs libgpiod 2>/dev/null || echo -lgpiod)
ifeq ($(shell $(PKG_CONFIG) --atleast-version=2 libgpiod 2>/dev/null && echo 2),2)
GPIOD_CFLAGS += -DROLLSENSE_GPIOD_V2
endif

# Each part sees only the headers it may use and each binary links only the
# libraries it needs, so the direction of dependencies (common and the chip
# layer, drivers/, under both daemons, neither daemon under the other) is the
# build's, not discipline's.
# Tests, fuzzers and benchmarks see everything.
BASE_CPPFLAGS := -D_GNU_SOURCE -DROLLSENSE_VERSION=\"$(VERSION)\"
COMMON_CPPFLAGS := -Icommon $(CJSON_CFLAGS)
SENSORD_CPPFLAGS := -Icommon -Idrivers -Isensord -Isensord/sim $(GPIOD_CFLAGS)
COLLECTOR_CPPFLAGS := -Icommon -Icollector $(SQLITE_CFLAGS) $(CJSON_CFLAGS) $(MHD_CFLAGS)
ALL_CPPFLAGS := $(BASE_CPPFLAGS) -Icommon -Idrivers -Isensord -Isensord/sim -Icollector \
	$(CJSON_CFLAGS) $(SQLITE_CFLAGS) $(GPIOD_CFLAGS) $(MHD_CFLAGS) $(CPPFLAGS)
ALL_CFLAGS := $(WARNFLAGS) $(SANFLAGS) $(CFLAGS)
ALL_LDFLAGS := $(SANFLAGS) $(LDFLAGS)
SENSORD_LIBS := $(PAHO_LIBS) $(I2C_LIBS) $(GPIOD_LIBS) $(CJSON_LIBS) -lm -lpthread
COLLECTOR_LIBS := $(PAHO_LIBS) $(SQLITE_LIBS) $(MHD_LIBS) $(CJSON_LIBS) -lm -lpthread
# zlib: only the tests' harness, which reads the screenshots' pixels.
ZLIB_LIBS := $(shell $(PKG_CONFIG) --libs zlib 2>/dev/null || echo -lz)
LIBS := $(PAHO_LIBS) $(I2C_LIBS) $(GPIOD_LIBS) $(SQLITE_LIBS) $(MHD_LIBS) $(CJSON_LIBS) $(ZLIB_LIBS) -lm -lpthread

COMMON_SRCS :=
DRIVERS_SRCS :=
SENSORD_SRCS :=
SENSORD_MAIN :=
COLLECTOR_SRCS :=
COLLECTOR_MAIN :=
UNIT_TESTS :=
IT_TESTS :=
FAULT_TESTS :=
TEST_SUPPORT :=

include common/module.mk
include drivers/module.mk
include sensord/module.mk
include collector/module.mk
include tests/module.mk
-include fuzz/module.mk
-include hil/module.mk
-include bench/module.mk
-include tests/valgrind.mk

obj = $(patsubst %.c,$(BUILD)/obj/%.o,$(1))

COMMON_LIB := $(BUILD)/libcommon.a
DRIVERS_LIB := $(BUILD)/libdrivers.a
SENSORD_LIB := $(BUILD)/libsensord.a
COLLECTOR_LIB := $(BUILD)/libcollector.a
SENSORD_BIN := $(BUILD)/rollsense-sensord
COLLECTOR_BIN := $(BUILD)/rollsense-collector
BINS := $(SENSORD_BIN) $(if $(COLLECTOR_MAIN),$(COLLECTOR_BIN))
TEST_BINS := $(patsubst tests/%.c,$(BUILD)/tests/%,$(UNIT_TESTS) $(IT_TESTS))
UNIT_BINS := $(patsubst tests/%.c,$(BUILD)/tests/%,$(UNIT_TESTS))
FAULT_BINS := $(patsubst tests/%.c,$(BUILD)/tests/%,$(FAULT_TESTS))

.PHONY: all check check-unit check-faults demo deps install deb clean bench screenshots
all: $(BINS)

MOD_CPPFLAGS = $(ALL_CPPFLAGS)
$(BUILD)/obj/common/%.o: MOD_CPPFLAGS = $(BASE_CPPFLAGS) $(COMMON_CPPFLAGS) $(CPPFLAGS)
$(BUILD)/obj/drivers/%.o: MOD_CPPFLAGS = $(BASE_CPPFLAGS) $(DRIVERS_CPPFLAGS) $(CPPFLAGS)
$(BUILD)/obj/sensord/%.o: MOD_CPPFLAGS = $(BASE_CPPFLAGS) $(SENSORD_CPPFLAGS) $(CPPFLAGS)
$(BUILD)/obj/collector/%.o: MOD_CPPFLAGS = $(BASE_CPPFLAGS) $(COLLECTOR_CPPFLAGS) $(CPPFLAGS)

$(BUILD)/obj/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(MOD_CPPFLAGS) $(ALL_CFLAGS) -MMD -MP -c -o $@ $<

$(COMMON_LIB): $(call obj,$(COMMON_SRCS))
	@mkdir -p $(dir $@)
	rm -f $@ && $(AR) rcs $@ $^
$(DRIVERS_LIB): $(call obj,$(DRIVERS_SRCS))
	@mkdir -p $(dir $@)
	rm -f $@ && $(AR) rcs $@ $^
$(SENSORD_LIB): $(call obj,$(SENSORD_SRCS))
	@mkdir -p $(dir $@)
	rm -f $@ && $(AR) rcs $@ $^
$(COLLECTOR_LIB): $(call obj,$(COLLECTOR_SRCS))
	@mkdir -p $(dir $@)
	rm -f $@ && $(AR) rcs $@ $^

$(SENSORD_BIN): $(call obj,$(SENSORD_MAIN)) $(SENSORD_LIB) $(COMMON_LIB) $(DRIVERS_LIB)
	$(CC) $(ALL_CFLAGS) $(ALL_LDFLAGS) -o $@ $^ $(SENSORD_LIBS)
$(COLLECTOR_BIN): $(call obj,$(COLLECTOR_MAIN)) $(COLLECTOR_LIB) $(COMMON_LIB) $(DRIVERS_LIB)
	$(CC) $(ALL_CFLAGS) $(ALL_LDFLAGS) -o $@ $^ $(COLLECTOR_LIBS)

$(BUILD)/tests/%: $(call obj,tests/%.c) $(call obj,$(TEST_SUPPORT)) $(COLLECTOR_LIB) $(SENSORD_LIB) $(COMMON_LIB) $(DRIVERS_LIB)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) $(ALL_LDFLAGS) -o $@ $^ $(CMOCKA_LIBS) $(LIBS)

deps:
	@scripts/deps.sh

# The man pages render cleanly and the docs' links resolve (tests/test_docs.c,
# in check, finds every configuration key documented).
.PHONY: check-docs
check-docs: deps
	@scripts/check-docs.sh

# The test runner prints each binary's cmocka summary and one closing line.
# TEST_JOBS binaries run at once (scripts/run-tests.sh): by default one per
# processor, at most 4; the integration tests mostly wait on their scenarios.
TEST_JOBS ?= $(shell n=$$(nproc 2>/dev/null || echo 1); [ "$$n" -gt 4 ] && n=4; echo $$n)
check: deps check-docs
	@$(MAKE) --no-print-directory all-tests
	@BUILD=$(BUILD) TEST_JOBS=$(TEST_JOBS) scripts/run-tests.sh $(TEST_BINS)

.PHONY: all-tests
all-tests: $(BINS) $(TEST_BINS)

# The unit tests alone: no Debian packages installed, no broker, no network,
# so a package build (dh_auto_test) can run them.
check-unit: $(UNIT_BINS)
	@BUILD=$(BUILD) scripts/run-tests.sh $(UNIT_BINS)

# The fault suite (tests/faults_*.c): kills, freezes and chip faults on a
# scripted session, with a report; bounded, under 10 minutes.
check-faults: deps
	@$(MAKE) --no-print-directory $(BINS) $(FAULT_BINS)
	@BUILD=$(BUILD) scripts/run-tests.sh $(FAULT_BINS)

# The Debian packages for this machine's architecture, installed and checked
# in a fresh Debian 12 chroot, the README's Pi steps included (needs root).
.PHONY: check-package
check-package:
	scripts/package.sh $$(dpkg --print-architecture)
	scripts/check-package-chroot.sh build/pkg/$$(dpkg --print-architecture)

demo: deps
	@$(MAKE) --no-print-directory all
	@BUILD=$(BUILD) scripts/demo.sh

# The README's pictures (docs/img/): it_browser's screenshots of the live
# page on a phone, of a session's page and of a history with advice, from a
# fresh run.
screenshots: deps
	@$(MAKE) --no-print-directory all $(BUILD)/tests/it_browser
	BUILD=$(BUILD) $(BUILD)/tests/it_browser
	install -d docs/img
	install -m 0644 $(BUILD)/screenshots/live.png $(BUILD)/screenshots/session.png \
		$(BUILD)/screenshots/history-zones.png docs/img/

bench: deps
	@$(MAKE) --no-print-directory all
	@BUILD=$(BUILD) bench/run.sh

# Everything a user needs, nothing else: the binaries, the units (naming
# $(PREFIX)/bin), the sysusers.d file and udev rules, the man pages, the
# documentation, the examples (with the scenario simulated.json plays) and
# the commented example configuration; README.md and docs/ (pages and
# pictures) side by side, so their links hold. Not /etc/rollsense/rollsense.json: the units start once
# the user made it. Then, without a package: systemd-sysusers, udevadm
# control --reload, systemctl daemon-reload.
install: all
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(UNITDIR) $(DESTDIR)$(UDEVRULESDIR) \
		$(DESTDIR)$(SYSUSERSDIR) $(DESTDIR)/etc/rollsense $(DESTDIR)$(DOCDIR)/docs \
		$(DESTDIR)$(DOCDIR)/examples/scenarios
	install -m 0755 $(BINS) $(DESTDIR)$(PREFIX)/bin/
	@# The units name /usr/bin and /usr/share/doc; they get the real places.
	for u in systemd/*.service; do \
		sed -e 's|/usr/bin/rollsense-|$(PREFIX)/bin/rollsense-|g' \
			-e 's|/usr/share/doc/rollsense/|$(DOCDIR)/|g' $$u > $(DESTDIR)$(UNITDIR)/$$(basename $$u) && \
		chmod 0644 $(DESTDIR)$(UNITDIR)/$$(basename $$u) || exit 1; \
	done
	install -m 0644 packaging/60-rollsense.rules $(DESTDIR)$(UDEVRULESDIR)/
	install -m 0644 packaging/rollsense.sysusers $(DESTDIR)$(SYSUSERSDIR)/rollsense.conf
	install -m 0644 $(CONFIG_EXAMPLE) $(DESTDIR)/etc/rollsense/rollsense.json.example
	install -m 0644 README.md $(DESTDIR)$(DOCDIR)/
	install -m 0644 $(wildcard docs/*.md docs/*.svg) $(DESTDIR)$(DOCDIR)/docs/
	install -d $(DESTDIR)$(DOCDIR)/docs/img
	install -m 0644 $(wildcard docs/img/*.png) $(DESTDIR)$(DOCDIR)/docs/img/
	install -m 0644 config/*.json config/mosquitto-rollsense.conf config/mosquitto-rollsense.acl \
		$(DESTDIR)$(DOCDIR)/examples/
	install -m 0644 config/scenarios/*.scn $(DESTDIR)$(DOCDIR)/examples/scenarios/
	@# The man pages, once they are written (man/*.5, man/*.8).
	for m in $(wildcard man/*.5 man/*.8); do \
		s=$${m##*.}; install -d $(DESTDIR)$(MANDIR)/man$$s && \
		install -m 0644 $$m $(DESTDIR)$(MANDIR)/man$$s/ || exit 1; \
	done

# The Debian packages for this machine's architecture, or ARCH=arm64.
deb:
	scripts/package.sh $(ARCH)

clean:
	rm -rf build

-include $(shell find $(BUILD)/obj -name '*.d' 2>/dev/null)
