/* Integration: two real sensords with one device_id (each its own state
 * folder, simulated chips) on one real mosquitto, with the collector
 * (issue 17). Both daemons must say so within 10 s, health and Home
 * Assistant's topic must carry it, and no reading of either run may be
 * lost. And the other way round: one sensord restarted, after a SIGTERM
 * and after a SIGKILL, with the old run's readings arriving among the new
 * run's, never says it. */
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

#include "harness.h"
#include "reading.h"

struct fixture {
	struct harness_env env;	/* first; the subscriber takes rollsense/# */
};

/* A ball at rest, then pressed now and then: long enough for any test. */
static const char scenario_text[] =
	"end %g\n"
	"chip ball bmp280 0x76 sealed\n"
	"chip pad mcp9808 0x18\n"
	"at 0 ball temperature_c 22\n"
	"at 0 pad temperature_c 30\n"
	"ramp 5 6 ball load_kpa 15\n"
	"at 12 ball load_kpa 15\n"
	"ramp 12 13 ball load_kpa 0\n";

#define SAYS_SENSORD "uses device_id \"ball1\" on this broker: give each tool its own device_id"
#define SAYS_COLLECTOR "two sensords use device_id \"ball1\""

static int setup(void **state)
{
	*state = harness_fixture_new(sizeof(struct fixture), "it-sameid", "rollsense/#");
	return *state ? 0 : -1;
}

static int teardown(void **state)
{
	harness_fixture_free(*state);
	return 0;
}

/* A sensord's configuration in dir/<name>.json with its state in
 * dir/state_<name>, playing a scenario of end_s seconds. */
static void tool_config(struct fixture *f, const char *name, double end_s, bool exit_at_end,
			char *path, size_t size)
{
	char scn[300], file[64];

	snprintf(file, sizeof(file), "%s.scn", name);
	harness_env_path(&f->env, file, scn, sizeof(scn));
	assert_int_equal(harness_write_file(scn, scenario_text, end_s), 0);
	snprintf(file, sizeof(file), "%s.json", name);
	harness_env_path(&f->env, file, path, size);
	assert_int_equal(harness_write_config_to(&f->env, path,
						 "sensord.state_dir=\"%s/state_%s\"\n"
						 "sensord.simulation.scenario=\"%s\"\n"
						 "sensord.simulation.exit_at_end=%s\n",
						 f->env.dir, name, scn, exit_at_end ? "true" : "false"),
			 0);
}

static pid_t start(const char *bin, const char *cfg, const char *log)
{
	char *argv[] = { (char *)harness_bin(bin), "--config", (char *)cfg, NULL };
	pid_t pid = harness_spawn(log, argv);

	assert_true(pid > 0);
	return pid;
}

static void wait_for(const char *log, const char *needle, double timeout_s)
{
	if (!harness_wait_file_contains(log, needle, timeout_s)) {
		char *text = harness_read_file(log);

		fail_msg("%s never said \"%s\"; it said:\n%s", log, needle, text ? text : "(nothing)");
	}
}

/* The run a sensord's log names at start ("run <id>: device"): the n-th
 * (0 the first) start in that log. */
static void log_run(const char *log, int n, char run[READING_RUN_LEN + 1])
{
	char *text = harness_read_file(log), *p;

	assert_non_null(text);
	p = text;
	for (int i = 0; i <= n; i++) {
		p = strstr(p, "run ");
		while (p && (strlen(p) < 4 + 16 + 9 || strncmp(p + 20, ": device ", 9) != 0))
			p = strstr(p + 1, "run ");
		assert_non_null(p);
		if (i < n)
			p++;
	}
	memcpy(run, p + 4, 16);
	run[16] = '\0';
	free(text);
}

/* Every reading of run is stored: seqs 1 to the last it made, none
 * missing; the last is what its log said at its clean stop. */
static void assert_all_stored(struct fixture *f, const char *log, const char *run)
{
	char *text = harness_read_file(log), needle[64], query[256];
	unsigned long long made = 0;
	const char *p;

	assert_non_null(text);
	snprintf(needle, sizeof(needle), "health: run %s readings ", run);
	p = strstr(text, needle);
	assert_non_null(p);
	assert_int_equal(sscanf(p + strlen(needle), "%llu", &made), 1);
	free(text);
	assert_true(made > 20);
	snprintf(query, sizeof(query),
		 "select count(*) from readings r join runs u on u.id = r.run_id where u.run = '%s'"
		 " and r.seq between 1 and %llu", run, made);
	assert_int_equal(harness_sqlite_count(f->env.db, query), (long)made);
	snprintf(query, sizeof(query),
		 "select count(*) from readings r join runs u on u.id = r.run_id where u.run = '%s'",
		 run);
	assert_int_equal(harness_sqlite_count(f->env.db, query), (long)made);
}

static void test_two_tools_one_id(void **state)
{
	struct fixture *f = *state;
	char cfg_a[300], cfg_b[300], log_a[300], log_b[300], run_a[17], run_b[17];
	char needle[256];
	pid_t collector, a, b;

	tool_config(f, "a", 3600, false, cfg_a, sizeof(cfg_a));
	tool_config(f, "b", 3600, false, cfg_b, sizeof(cfg_b));
	harness_env_path(&f->env, "a.log", log_a, sizeof(log_a));
	harness_env_path(&f->env, "b.log", log_b, sizeof(log_b));
	collector = start("rollsense-collector", cfg_a, f->env.collector_log);
	wait_for(f->env.collector_log, "mqtt: connected to ", 15);
	a = start("rollsense-sensord", cfg_a, log_a);
	wait_for(log_a, "mqtt: connected to ", 15);
	b = start("rollsense-sensord", cfg_b, log_b);
	wait_for(log_b, "mqtt: connected to ", 15);
	log_run(log_a, 0, run_a);
	log_run(log_b, 0, run_b);

	/* Within 10 s of the second one's connect, each names the other. */
	snprintf(needle, sizeof(needle), "another sensord (run %s) " SAYS_SENSORD, run_b);
	wait_for(log_a, needle, 10);
	snprintf(needle, sizeof(needle), "another sensord (run %s) " SAYS_SENSORD, run_a);
	wait_for(log_b, needle, 10);
	/* The collector names both runs, in either order. */
	wait_for(f->env.collector_log, SAYS_COLLECTOR, 10);
	{
		char *text = harness_read_file(f->env.collector_log);
		const char *line = strstr(text, SAYS_COLLECTOR);

		while (line > text && line[-1] != '\n')
			line--;
		assert_non_null(strstr(line, run_a));
		assert_non_null(strstr(line, run_b));
		assert_true(strstr(line, run_a) < strstr(line, SAYS_COLLECTOR));
		assert_true(strstr(line, run_b) < strstr(line, SAYS_COLLECTOR));
		free(text);
	}
	/* Home Assistant's problem topic, and each one's health. */
	wait_for(f->env.sub_out, "rollsense/ball1/same_id ON\n", 10);
	snprintf(needle, sizeof(needle), "\"same_id_run\":\"%s\"}", run_b);
	wait_for(f->env.sub_out, needle, 10);
	snprintf(needle, sizeof(needle), "\"same_id_run\":\"%s\"}", run_a);
	wait_for(f->env.sub_out, needle, 10);

	/* Stopped cleanly, the readings not yet confirmed stay in each
	 * outbox. */
	harness_assert_exit_ok("sensord b", log_b, harness_stop(b, SIGTERM, 10));
	harness_assert_exit_ok("sensord a", log_a, harness_stop(a, SIGTERM, 10));
	/* Each tool started again alone, for a short scenario, sends its
	 * previous run's rest first and exits once all is confirmed. */
	tool_config(f, "a", 2, true, cfg_a, sizeof(cfg_a));
	tool_config(f, "b", 2, true, cfg_b, sizeof(cfg_b));
	harness_assert_exit_ok("sensord a again", log_a,
			       harness_wait(start("rollsense-sensord", cfg_a, log_a), 90));
	harness_assert_exit_ok("sensord b again", log_b,
			       harness_wait(start("rollsense-sensord", cfg_b, log_b), 90));
	assert_all_stored(f, log_a, run_a);
	assert_all_stored(f, log_b, run_b);
	/* Only one run publishes now: the collector says so, and Home
	 * Assistant's topic goes back to OFF. */
	wait_for(f->env.collector_log, "ingest: ball1: only one run publishes new readings again", 60);
	wait_for(f->env.sub_out, "rollsense/ball1/same_id OFF\n", 10);
	harness_assert_exit_ok("collector", f->env.collector_log, harness_stop(collector, SIGTERM, 10));
}

/* One tool, restarted after a SIGTERM and after a SIGKILL, with the
 * collector away during the first run so that the old run's readings
 * reach it among the new run's: never another sensord. */
static void test_restarts_are_one_tool(void **state)
{
	struct fixture *f = *state;
	char cfg[300], log[300], run[17], before[17];
	pid_t collector, s;

	tool_config(f, "a", 3600, false, cfg, sizeof(cfg));
	harness_env_path(&f->env, "a.log", log, sizeof(log));
	/* 8 s of readings the collector never had. */
	s = start("rollsense-sensord", cfg, log);
	wait_for(log, "mqtt: connected to ", 15);
	harness_sleep(8);
	log_run(log, 0, before);
	harness_assert_exit_ok("sensord", log, harness_stop(s, SIGTERM, 10));

	collector = start("rollsense-collector", cfg, f->env.collector_log);
	wait_for(f->env.collector_log, "mqtt: connected to ", 15);
	s = start("rollsense-sensord", cfg, log);
	wait_for(log, "unconfirmed readings from earlier runs will be sent again", 15);
	harness_sleep(12);
	log_run(log, 1, run);
	assert_string_not_equal(run, before);
	kill(s, SIGKILL);
	assert_int_not_equal(harness_wait(s, 10), -1);
	s = start("rollsense-sensord", cfg, log);
	/* Its third start in that log; the killed run's retained health is
	 * there for it. */
	assert_true(harness_wait_file_count(log, "mqtt: connected to ", 3, 15));
	harness_sleep(12);
	harness_assert_exit_ok("sensord", log, harness_stop(s, SIGTERM, 10));
	/* The first run's readings are stored, however late they came. */
	assert_all_stored(f, log, before);

	{
		char *text = harness_read_file(log), *ctext = harness_read_file(f->env.collector_log);
		char *sub = harness_read_file(f->env.sub_out);

		assert_non_null(text);
		assert_non_null(ctext);
		assert_non_null(sub);
		if (strstr(text, SAYS_SENSORD))
			fail_msg("a restarted sensord took its old run for another:\n%s", text);
		if (strstr(ctext, SAYS_COLLECTOR))
			fail_msg("the collector took a restart for two tools:\n%s", ctext);
		assert_null(strstr(sub, "rollsense/ball1/same_id ON"));
		assert_non_null(strstr(sub, "rollsense/ball1/same_id OFF"));
		assert_non_null(strstr(sub, "\"same_id_run\":null}"));
		free(text);
		free(ctext);
		free(sub);
	}
	harness_assert_exit_ok("collector", f->env.collector_log, harness_stop(collector, SIGTERM, 10));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		IT_TEST(test_two_tools_one_id),
		IT_TEST(test_restarts_are_one_tool),
	};

	tests_select();
	return cmocka_run_group_tests_name("it_sameid", tests, NULL, NULL);
}
