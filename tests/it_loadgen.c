/* Integration: many devices at once through a real mosquitto into a real
 * collector, driven by bench/rollsense-loadgen (the benchmarks' load
 * generator). Every reading must end up stored exactly once and acknowledged:
 * the stored count comes from the database through the sqlite3 command-line
 * tool, the acknowledgements from the generator's own count of the acks it
 * received, so neither side is judged by the collector's word. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "select.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "harness.h"

#define DEVICES 40
#define RATE_HZ 20
#define DURATION_S 3
#define FLOOD 10000
#define FLOOD_STR "10000"
/* The bound written in docs/internals.md ("Limits"). */
#define FLOOD_HWM_MAX_KB (64 * 1024)

struct fixture {
	struct harness_env env;	/* first; no subscriber */
	pid_t collector;
};

/* The collector alone: no sensord section. */
static int setup(void **state)
{
	struct fixture *f = harness_fixture_new(sizeof(*f), "it-loadgen", NULL);

	*state = f;
	if (!f)
		return -1;
	return harness_write_config(&f->env, "%s", "device_id=\"it\"\nsensord=-\ncollector.commit_s=-\n");
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	if (f->collector > 0)
		harness_stop(f->collector, SIGTERM, 10);
	harness_fixture_free(f);
	return 0;
}

static void test_many_devices_all_stored(void **state)
{
	struct fixture *f = *state;
	char port[16], devices[16], rate[16], duration[16], out[320];
	char *collector_argv[] = { (char *)harness_bin("rollsense-collector"), "--config", f->env.cfg, NULL };
	char *text;
	pid_t lg;
	const long total = (long)DEVICES * RATE_HZ * DURATION_S;
	char expect[64];

	f->collector = harness_spawn(f->env.collector_log, collector_argv);
	assert_true(f->collector > 0);
	assert_true(harness_wait_file_contains(f->env.collector_log, "connected", 10));

	snprintf(port, sizeof(port), "%d", f->env.broker.port);
	snprintf(devices, sizeof(devices), "%d", DEVICES);
	snprintf(rate, sizeof(rate), "%d", RATE_HZ);
	snprintf(duration, sizeof(duration), "%d", DURATION_S);
	snprintf(out, sizeof(out), "%s/loadgen.out", f->env.dir);
	{
		char *argv[] = { (char *)harness_bin("bench/rollsense-loadgen"), "-p", port, "--devices", devices,
				 "--rate", rate, "--duration", duration, "--acks", "--drain", "20", NULL };

		lg = harness_spawn(out, argv);
	}
	assert_true(lg > 0);
	harness_assert_exit_ok("loadgen", out, harness_wait(lg, DURATION_S + 30));
	text = harness_read_file(out);
	assert_non_null(text);
	snprintf(expect, sizeof(expect), "sent=%ld puback=%ld acked=%ld lost=0 ", total, total, total);
	assert_non_null(strstr(text, expect));
	free(text);

	assert_int_equal(harness_sqlite_count(f->env.db, "select count(*) from readings"), total);
	assert_int_equal(harness_sqlite_count(f->env.db, "select count(*) from runs"), DEVICES);
	assert_int_equal(harness_sqlite_count(f->env.db, "select count(*) from devices"), DEVICES);
}

/* The collector's high-water resident memory, kB, from /proc (-1). */
static long vm_hwm_kb(pid_t pid)
{
	char path[64], line[256];
	long kb = -1;
	FILE *f;

	/* Line by line: a /proc file has no size for harness_read_file. */
	snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
	f = fopen(path, "r");
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (strncmp(line, "VmHWM:", 6) == 0)
			kb = strtol(line + 6, NULL, 10);
	fclose(f);
	return kb;
}

/* Runs the generator for one reading per simulated device, as fast as the
 * broker takes them, over 8 connections; extra is NULL or "--one-device". */
static void flood(struct fixture *f, const char *device_prefix, const char *extra)
{
	char port[16], out[320];
	char *argv[] = { (char *)harness_bin("bench/rollsense-loadgen"), "-p", port, "--devices",
			 FLOOD_STR, "--clients", "8", "--count", "1", "--rate", "0",
			 "--device-prefix", (char *)device_prefix, (char *)extra, NULL };
	char what[64];

	snprintf(port, sizeof(port), "%d", f->env.broker.port);
	snprintf(out, sizeof(out), "%s/flood-%s.out", f->env.dir, device_prefix);
	snprintf(what, sizeof(what), "loadgen (%s)", device_prefix);
	harness_assert_exit_ok(what, out, harness_wait(harness_spawn(out, argv), 120));
}

/* The last "dropped" count of kind in the collector's health line. */
static long health_dropped(const char *log, const char *kind)
{
	char *text = harness_read_file(log), *p, *line, needle[64];
	long n = -1;

	assert_non_null(text);
	line = NULL;
	for (p = strstr(text, "health: "); p; p = strstr(p + 1, "health: "))
		line = p;
	assert_non_null(line);
	snprintf(needle, sizeof(needle), "%s ", kind);
	p = strstr(line, needle);
	if (p)
		n = strtol(p + strlen(needle), NULL, 10);
	free(text);
	return n;
}

/* A flood of 10,000 device ids, then 10,000 runs of one device (a config
 * copied everywhere, a restart loop, or someone with the broker's password):
 * the collector stays up, its memory stays under a bound (docs/internals.md,
 * "Limits"), and it says what it refused. */
static void test_floods_leave_memory_bounded(void **state)
{
	struct fixture *f = *state;
	char *collector_argv[] = { (char *)harness_bin("rollsense-collector"), "--config", f->env.cfg, NULL };
	const char *build = getenv("BUILD");
	bool instrumented = getenv("ROLLSENSE_VALGRIND") || (build && strstr(build, "san"));
	long hwm_kb, runs, devices;
	struct timespec t0, t1;
	double took_s;

	f->collector = harness_spawn(f->env.collector_log, collector_argv);
	assert_true(f->collector > 0);
	assert_true(harness_wait_file_contains(f->env.collector_log, "connected", 10));
	clock_gettime(CLOCK_MONOTONIC, &t0);
	flood(f, "flood", NULL);
	flood(f, "restarts", "--one-device");
	/* The broker has them all; the collector has taken them all once a
	 * message published after them reached it (one session, in order). */
	assert_int_equal(harness_publish(&f->env.broker, "rollsense/marker/status", "online", false), 0);
	if (!harness_wait_file_contains(f->env.collector_log, "ingest: marker is online", 120))
		fail_msg("the collector did not get through the floods within 120 s");
	clock_gettime(CLOCK_MONOTONIC, &t1);
	took_s = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
	harness_sleep(1);	/* the last commits */
	hwm_kb = vm_hwm_kb(f->collector);
	assert_true(hwm_kb > 0);
	fprintf(stderr, "collector VmHWM after the floods: %ld kB\n", hwm_kb);
	/* Under ASan or valgrind memory is not what a user's collector uses. */
	if (!instrumented && hwm_kb > FLOOD_HWM_MAX_KB)
		fail_msg("collector VmHWM %ld kB, the bound is %d kB", hwm_kb, FLOOD_HWM_MAX_KB);
	harness_assert_exit_ok("collector", f->env.collector_log, harness_stop(f->collector, SIGTERM, 30));
	f->collector = -1;
	/* One run per device id of the first flood that got in; of the
	 * second, a burst's worth: the rest were refused, and counted. */
	devices = harness_sqlite_count(f->env.db, "select count(*) from devices");
	runs = harness_sqlite_count(f->env.db, "select count(*) from runs r join devices d on d.id = r.device_id"
				   " where d.name = 'restarts'");
	assert_true(devices >= 2 && devices <= FLOOD + 1);
	/* A burst of 10, then one per 6 s of flood (none at all when the
	 * runs of the first flood left no room, as under valgrind). */
	if (runs > 10 + 1 + (long)(took_s / 6))
		fail_msg("%ld runs of one device stored in %.0f s", runs, took_s);
	/* The restarts hit the rate limit (or, while a token is left, found
	 * no room): either way refused and counted, below. */
	assert_true(health_dropped(f->env.collector_log, "new_runs") > 0);
	/* Every reading of the floods is accounted for: stored (one per run),
	 * or refused and counted. */
	assert_int_equal(harness_sqlite_count(f->env.db, "select count(*) from readings"),
			 harness_sqlite_count(f->env.db, "select count(*) from runs"));
	assert_int_equal(harness_sqlite_count(f->env.db, "select count(*) from readings") +
			 health_dropped(f->env.collector_log, "new_runs") + health_dropped(f->env.collector_log, "runs_full"),
			 2 * FLOOD);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		IT_TEST(test_many_devices_all_stored),
		IT_TEST(test_floods_leave_memory_bounded),
	};

	tests_select();
	return cmocka_run_group_tests(tests, NULL, NULL);
}
