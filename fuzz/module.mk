# libFuzzer harnesses (fuzz/fuzz_*.c), built with clang under ASan + UBSan
# into build/fuzz/, apart from the gcc build: the project sources they need
# are compiled again here with coverage instrumentation.
#
#   make fuzz                         builds build/fuzz/fuzz_<name>
#   make fuzz-short                   each harness for FUZZ_SECONDS (30) s; CI runs it
#   make -j2 fuzz-long FUZZ_RUNS=10000000   the long run, FUZZ_RUNS executions each
#
# Seeds are fuzz/corpus/<name>/ (kept in git, never written); what a run
# finds goes to build/fuzz/corpus/<name>/, crashes to build/fuzz/artifacts/.
# A crash, a leak, a UBSan report or an input slower than FUZZ_TIMEOUT s
# stops the run with a non-zero status, so the target fails.

FUZZ_CC ?= clang
FUZZ_BUILD := build/fuzz
FUZZ_SECONDS ?= 30
FUZZ_RUNS ?= 10000000
FUZZ_TIMEOUT ?= 10
FUZZ_SANFLAGS := -fsanitize=address,undefined -fno-sanitize-recover=undefined -fno-omit-frame-pointer
FUZZ_CFLAGS := $(WARNFLAGS) -g -O1 $(FUZZ_SANFLAGS)

# Only the modules under test: no Paho, SQLite or libi2c in a fuzzer.
FUZZ_SRCS := common/command.c common/config.c common/file.c common/jsonc.c common/keyfile.c common/log.c common/reading.c common/topic.c common/utf8.c common/zone.c sensord/outbox.c sensord/outlog.c $(wildcard drivers/*.c sensord/sim/*.c)
FUZZ_NAMES := $(patsubst fuzz/fuzz_%.c,%,$(wildcard fuzz/fuzz_*.c))
FUZZ_BINS := $(patsubst %,$(FUZZ_BUILD)/fuzz_%,$(FUZZ_NAMES))
FUZZ_LIB := $(FUZZ_BUILD)/libfuzztarget.a
# The router checks dates with report_time_parse, whose file also writes the
# reports from the store: fuzz_route links those files and SQLite, which it
# never opens.
FUZZ_ROUTE_SRCS := collector/route.c collector/report.c collector/advice.c collector/textbuf.c \
	collector/store.c common/detector.c \
	common/summary.c

.PHONY: fuzz fuzz-short fuzz-long
fuzz: $(FUZZ_BINS)

$(FUZZ_BUILD)/obj/%.o: %.c
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(ALL_CPPFLAGS) $(FUZZ_CFLAGS) -fsanitize=fuzzer-no-link -MMD -MP -c -o $@ $<

$(FUZZ_LIB): $(patsubst %.c,$(FUZZ_BUILD)/obj/%.o,$(FUZZ_SRCS))
	rm -f $@ && ar rcs $@ $^

# Keep the harness objects: they are intermediate files to make.
.SECONDARY: $(patsubst %,$(FUZZ_BUILD)/obj/fuzz/fuzz_%.o,$(FUZZ_NAMES))
$(FUZZ_BUILD)/fuzz_%: $(FUZZ_BUILD)/obj/fuzz/fuzz_%.o $(FUZZ_LIB)
	$(FUZZ_CC) $(FUZZ_SANFLAGS) -fsanitize=fuzzer -o $@ $(filter %.o,$^) $(filter %.a,$^) \
		$(FUZZ_EXTRA_LIBS) $(CJSON_LIBS) -lm
$(FUZZ_BUILD)/fuzz_route: $(patsubst %.c,$(FUZZ_BUILD)/obj/%.o,$(FUZZ_ROUTE_SRCS))
$(FUZZ_BUILD)/fuzz_route: FUZZ_EXTRA_LIBS := $(SQLITE_LIBS)
# The live view and the page it writes (with the shared stylesheet).
$(FUZZ_BUILD)/fuzz_live: $(patsubst %.c,$(FUZZ_BUILD)/obj/%.o,collector/live.c collector/pages_css.c \
	collector/textbuf.c)

# One harness: $(1) name, $(2) libFuzzer's limit (-max_total_time or -runs).
# Prints how long it took and libFuzzer's final figures.
define fuzz_run
	@mkdir -p $(FUZZ_BUILD)/corpus/$(1) $(FUZZ_BUILD)/artifacts
	@echo "fuzz: $(1) ($(2))"
	@start=$$(date +%s); \
	$(FUZZ_BUILD)/fuzz_$(1) $(2) -timeout=$(FUZZ_TIMEOUT) -print_final_stats=1 \
		$$( [ -f fuzz/$(1).dict ] && echo -dict=fuzz/$(1).dict ) \
		-artifact_prefix=$(FUZZ_BUILD)/artifacts/$(1)- \
		$(FUZZ_BUILD)/corpus/$(1) fuzz/corpus/$(1) >$(FUZZ_BUILD)/$(1).log 2>&1; \
	rc=$$?; end=$$(date +%s); \
	grep -E '^(#[0-9]+[[:space:]]+DONE|stat::number_of_executed_units|stat::peak_rss_mb)' $(FUZZ_BUILD)/$(1).log | sed 's/^/fuzz: $(1): /'; \
	echo "fuzz: $(1): $$((end - start)) s, corpus $$(ls $(FUZZ_BUILD)/corpus/$(1) | wc -l) files, exit $$rc"; \
	if [ $$rc -ne 0 ]; then tail -n 60 $(FUZZ_BUILD)/$(1).log; fi; \
	exit $$rc
endef

FUZZ_SHORT := $(patsubst %,fuzz-short-%,$(FUZZ_NAMES))
FUZZ_LONG := $(patsubst %,fuzz-long-%,$(FUZZ_NAMES))
.PHONY: $(FUZZ_SHORT) $(FUZZ_LONG)
fuzz-short: $(FUZZ_SHORT)
fuzz-long: $(FUZZ_LONG)
$(FUZZ_SHORT): fuzz-short-%: $(FUZZ_BUILD)/fuzz_%
	$(call fuzz_run,$*,-max_total_time=$(FUZZ_SECONDS))
$(FUZZ_LONG): fuzz-long-%: $(FUZZ_BUILD)/fuzz_%
	$(call fuzz_run,$*,-runs=$(FUZZ_RUNS))

-include $(shell find $(FUZZ_BUILD)/obj -name '*.d' 2>/dev/null)
