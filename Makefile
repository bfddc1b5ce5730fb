# rollsense: one non-recursive Makefile (each folder adds its sources in module.mk).
#
#   make                   build/rollsense-sensord, build/rollsense-collector
#   make check             unit and integration tests (installs missing Debian packages first)
#   make SANITIZE=1 check  the same under ASan + UBSan (objects in build/san/)
#   make demo              the main job on simulated gear and a private broker
#   make deps              only install the Debian packages the project needs
#   make install DESTDIR=... PREFIX=...

CROSS_COMPILE ?=
ifeq ($(origin CC),default)
CC := $(CROSS_COMPILE)gcc
endif
PKG_CONFIG ?= pkg-config
CFLAGS ?= -O2 -g
PREFIX ?= /usr/local
DESTDIR ?=
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
COLLECTOR_CPPFLAGS := -Icommon -Icollector $(SQLITE_CFLAGS) $(CJSON_CFLAGS)
ALL_CPPFLAGS := $(BASE_CPPFLAGS) -Icommon -Idrivers -Isensord -Isensord/sim -Icollector \
	$(CJSON_CFLAGS) $(SQLITE_CFLAGS) $(GPIOD_CFLAGS) $(CPPFLAGS)
ALL_CFLAGS := $(WARNFLAGS) $(SANFLAGS) $(CFLAGS)
ALL_LDFLAGS := $(SANFLAGS) $(LDFLAGS)
SENSORD_LIBS := $(PAHO_LIBS) $(I2C_LIBS) $(GPIOD_LIBS) $(CJSON_LIBS) -lm -lpthread
COLLECTOR_LIBS := $(PAHO_LIBS) $(SQLITE_LIBS) $(CJSON_LIBS) -lm -lpthread
LIBS := $(PAHO_LIBS) $(I2C_LIBS) $(GPIOD_LIBS) $(SQLITE_LIBS) $(CJSON_LIBS) -lm -lpthread

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
FAULT_BINS := $(patsubst tests/%.c,$(BUILD)/tests/%,$(FAULT_TESTS))

.PHONY: all check check-faults demo deps install clean bench
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
	rm -f $@ && $(CROSS_COMPILE)ar rcs $@ $^
$(DRIVERS_LIB): $(call obj,$(DRIVERS_SRCS))
	@mkdir -p $(dir $@)
	rm -f $@ && $(CROSS_COMPILE)ar rcs $@ $^
$(SENSORD_LIB): $(call obj,$(SENSORD_SRCS))
	@mkdir -p $(dir $@)
	rm -f $@ && $(CROSS_COMPILE)ar rcs $@ $^
$(COLLECTOR_LIB): $(call obj,$(COLLECTOR_SRCS))
	@mkdir -p $(dir $@)
	rm -f $@ && $(CROSS_COMPILE)ar rcs $@ $^

$(SENSORD_BIN): $(call obj,$(SENSORD_MAIN)) $(SENSORD_LIB) $(COMMON_LIB) $(DRIVERS_LIB)
	$(CC) $(ALL_CFLAGS) $(ALL_LDFLAGS) -o $@ $^ $(SENSORD_LIBS)
$(COLLECTOR_BIN): $(call obj,$(COLLECTOR_MAIN)) $(COLLECTOR_LIB) $(COMMON_LIB) $(DRIVERS_LIB)
	$(CC) $(ALL_CFLAGS) $(ALL_LDFLAGS) -o $@ $^ $(COLLECTOR_LIBS)

$(BUILD)/tests/%: $(call obj,tests/%.c) $(call obj,$(TEST_SUPPORT)) $(COLLECTOR_LIB) $(SENSORD_LIB) $(COMMON_LIB) $(DRIVERS_LIB)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) $(ALL_LDFLAGS) -o $@ $^ $(CMOCKA_LIBS) $(LIBS)

deps:
	@scripts/deps.sh

# The test runner prints each binary's cmocka summary and one closing line.
check: deps
	@$(MAKE) --no-print-directory all-tests
	@BUILD=$(BUILD) scripts/run-tests.sh $(TEST_BINS)

.PHONY: all-tests
all-tests: $(BINS) $(TEST_BINS)

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

bench: deps
	@$(MAKE) --no-print-directory all
	@BUILD=$(BUILD) bench/run.sh

install: all
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)/etc/rollsense $(DESTDIR)$(PREFIX)/share/rollsense/config
	install -m 0755 $(BINS) $(DESTDIR)$(PREFIX)/bin/
	install -m 0644 config/*.json $(DESTDIR)$(PREFIX)/share/rollsense/config/
	install -d $(DESTDIR)/lib/systemd/system
	@# The units name /usr/bin; they get the binaries' real place.
	for u in systemd/*.service; do \
		sed 's|/usr/bin/rollsense-|$(PREFIX)/bin/rollsense-|g' $$u > $(DESTDIR)/lib/systemd/system/$$(basename $$u) && \
		chmod 0644 $(DESTDIR)/lib/systemd/system/$$(basename $$u) || exit 1; \
	done

clean:
	rm -rf build

-include $(shell find $(BUILD)/obj -name '*.d' 2>/dev/null)
