# Bench programs (not project code, not part of `make all`): the load
# generator (libmosquitto), the minimal Paho publisher and subscriber used as
# references, and a line pacer. Built by `make bench`, and by `make check` for the tests that
# use the load generator.
BENCH_BINS := $(BUILD)/bench/rollsense-loadgen $(BUILD)/bench/paho_min $(BUILD)/bench/paho_sub_min \
	      $(BUILD)/bench/pace $(BUILD)/bench/revise
MOSQUITTO_LIBS := $(shell $(PKG_CONFIG) --libs libmosquitto 2>/dev/null || echo -lmosquitto)

# The session page of a 1-hour session: render time and size.
BENCH_BINS += $(BUILD)/bench/render
$(BUILD)/bench/render: $(BUILD)/obj/bench/render.o $(BUILD)/libcollector.a $(BUILD)/libcommon.a \
		$(BUILD)/libdrivers.a
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) $(ALL_LDFLAGS) -o $@ $^ $(COLLECTOR_LIBS)

.PHONY: bench-bins
bench-bins: $(BENCH_BINS)
all-tests: $(BUILD)/bench/rollsense-loadgen

$(BUILD)/bench/rollsense-loadgen: $(BUILD)/obj/bench/rollsense-loadgen.o
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) $(ALL_LDFLAGS) -o $@ $^ $(MOSQUITTO_LIBS) -lm
$(BUILD)/bench/paho_min: $(BUILD)/obj/bench/paho_min.o
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) $(ALL_LDFLAGS) -o $@ $^ -lpaho-mqtt3as
$(BUILD)/bench/paho_sub_min: $(BUILD)/obj/bench/paho_sub_min.o
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) $(ALL_LDFLAGS) -o $@ $^ -lpaho-mqtt3as
$(BUILD)/bench/pace: $(BUILD)/obj/bench/pace.o
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) $(ALL_LDFLAGS) -o $@ $^ -lm
# The collector's ingest and store, no broker: the cost of recomputing a run.
$(BUILD)/bench/revise: $(BUILD)/obj/bench/revise.o $(BUILD)/libcollector.a $(BUILD)/libcommon.a \
		$(BUILD)/libdrivers.a
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) $(ALL_LDFLAGS) -o $@ $^ $(COLLECTOR_LIBS)
# One reading decoded: the single pass against the cJSON tree (issue 16).
BENCH_BINS += $(BUILD)/bench/decode
$(BUILD)/bench/decode: $(BUILD)/obj/bench/decode.o $(BUILD)/libcommon.a
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) $(ALL_LDFLAGS) -o $@ $^ $(CJSON_LIBS) -lm
# N browsers on the live page's /events (raw sockets): frames and delays.
$(BUILD)/bench/sse_clients: $(BUILD)/obj/bench/sse_clients.o
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) $(ALL_LDFLAGS) -o $@ $^ -lm
bench-bins: $(BUILD)/bench/sse_clients
