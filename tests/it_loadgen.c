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
#include <sys/wait.h>

#include "harness.h"

#define DEVICES 40
#define RATE_HZ 20
#define DURATION_S 3

struct fixture {
	char dir[256];
	struct broker broker;
	pid_t collector;
	char config[320], log[320], db[320];
};

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));

	assert_non_null(f);
	snprintf(f->dir, sizeof(f->dir), "%s", harness_tmpdir("it-loadgen"));
	assert_int_equal(broker_start(&f->broker, f->dir, 0, NULL), 0);
	snprintf(f->config, sizeof(f->config), "%s/rollsense.json", f->dir);
	snprintf(f->log, sizeof(f->log), "%s/collector.log", f->dir);
	snprintf(f->db, sizeof(f->db), "%s/collector.db", f->dir);
	assert_int_equal(harness_write_file(f->config,
					    "{ \"device_id\": \"it\", \"mqtt\": { \"uri\": \"tcp://127.0.0.1:%d\" },"
					    "  \"collector\": { \"database\": \"%s\" } }\n",
					    f->broker.port, f->db), 0);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	if (f->collector > 0)
		harness_stop(f->collector, SIGTERM, 10);
	broker_stop(&f->broker);
	harness_rmtree(f->dir);
	free(f);
	return 0;
}

/* The number the sqlite3 tool prints for query on the database, or -1. */
static long sqlite_count(const char *db, const char *query)
{
	char cmd[1024], line[64];
	FILE *p;
	long n = -1;

	snprintf(cmd, sizeof(cmd), "sqlite3 '%s' '%s'", db, query);
	p = popen(cmd, "r");
	if (!p)
		return -1;
	if (fgets(line, sizeof(line), p))
		n = strtol(line, NULL, 10);
	pclose(p);
	return n;
}

static void test_many_devices_all_stored(void **state)
{
	struct fixture *f = *state;
	char port[16], devices[16], rate[16], duration[16], out[320];
	char *collector_argv[] = { (char *)harness_bin("rollsense-collector"), "--config", f->config, NULL };
	char *text;
	int status;
	pid_t lg;
	const long total = (long)DEVICES * RATE_HZ * DURATION_S;
	char expect[64];

	f->collector = harness_spawn(f->log, collector_argv);
	assert_true(f->collector > 0);
	assert_true(harness_wait_file_contains(f->log, "connected", 10));

	snprintf(port, sizeof(port), "%d", f->broker.port);
	snprintf(devices, sizeof(devices), "%d", DEVICES);
	snprintf(rate, sizeof(rate), "%d", RATE_HZ);
	snprintf(duration, sizeof(duration), "%d", DURATION_S);
	snprintf(out, sizeof(out), "%s/loadgen.out", f->dir);
	{
		char *argv[] = { (char *)harness_bin("bench/rollsense-loadgen"), "-p", port, "--devices", devices,
				 "--rate", rate, "--duration", duration, "--acks", "--drain", "20", NULL };

		lg = harness_spawn(out, argv);
	}
	assert_true(lg > 0);
	status = harness_wait(lg, DURATION_S + 30);
	text = harness_read_file(out, NULL);
	assert_non_null(text);
	if (status != 0)
		fprintf(stderr, "loadgen:\n%s\n", text);
	assert_int_equal(status, 0);
	snprintf(expect, sizeof(expect), "sent=%ld puback=%ld acked=%ld lost=0 ", total, total, total);
	assert_non_null(strstr(text, expect));
	free(text);

	assert_int_equal(sqlite_count(f->db, "select count(*) from readings"), total);
	assert_int_equal(sqlite_count(f->db, "select count(*) from runs"), DEVICES);
	assert_int_equal(sqlite_count(f->db, "select count(*) from devices"), DEVICES);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_many_devices_all_stored, setup, teardown),
	};

	tests_select();
	return cmocka_run_group_tests(tests, NULL, NULL);
}
