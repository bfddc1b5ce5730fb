/* Integration: two tools on one Pi (README, "Two tools on one Pi"). Two real
 * sensords, a ball and a roller, each with its own configuration, read the
 * chips of one simulated I2C bus (tests/data/two-tools.scn declares all
 * four; each sensord names only its own two addresses) and publish to one
 * real mosquitto; one real collector stores them. The roller's configuration
 * is the ball's copied, state_dir and all, and started with --state-dir as
 * rollsense-sensord@.service starts it (a reload keeps it). The stored holds
 * are checked against the script's timeline, computed here with
 * docs/protocol.md's rules, and the broker keeps each tool's own Home
 * Assistant discovery and session summary; and a
 * second sensord on a state directory in use must refuse to start without
 * disturbing the first. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "select.h"

#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cJSON.h>

#include "harness.h"
#include "sim/sim.h"

#define SCENARIO "tests/data/two-tools.scn"
#define SAMPLE_S 0.1
/* A sample near a threshold crossing may fall either side of it: the noise
 * moves a 0.5 s edge by a few ms (the ball: 0.25 kPa on 30 kPa/s; the
 * roller: 2 mV on 4 V/s). */
#define EDGE_S 0.03

/* The roller's FSR calibration, [volts, kPa], as config/foam-roller.json
 * gives it: the ground truth turns the script's volts into kPa with it. */
static const double roller_cal[][2] = {
	{ 0.00, 0.0 }, { 0.35, 2.0 }, { 0.80, 3.9 }, { 1.45, 9.8 },
	{ 2.00, 19.6 }, { 2.50, 39.2 }, { 2.85, 78.5 },
};
#define ROLLER_CAL_JSON "[[0,0],[0.35,2],[0.8,3.9],[1.45,9.8],[2,19.6],[2.5,39.2],[2.85,78.5]]"

struct tool {
	const char *device;	/* its device_id */
	const char *chip;	/* its gauge in the scenario */
	const char *quantity;	/* what the script sets on it */
	double pad_c;		/* its MCP9808's temperature in the script */
};

static const struct tool ball = { "ball1", "ball", "load_kpa", 30.0 };
static const struct tool roller = { "roller1", "roller", "ain0_v", 36.0 };

struct truth_hold {
	double duration_s;
	double min_s, max_s;	/* over sample instants moved by +-EDGE_S */
	const char *cls;
};

struct fixture {
	struct harness_env env;	/* first; no subscriber */
	char roller_cfg[300];
	char ball_log[300], roller_log[300];
};

static double roller_kpa(double v)
{
	size_t n = sizeof(roller_cal) / sizeof(roller_cal[0]);

	if (v <= roller_cal[0][0])
		return roller_cal[0][1];
	for (size_t i = 1; i < n; i++)
		if (v <= roller_cal[i][0])
			return roller_cal[i - 1][1] + (v - roller_cal[i - 1][0]) *
			       (roller_cal[i][1] - roller_cal[i - 1][1]) / (roller_cal[i][0] - roller_cal[i - 1][0]);
	return roller_cal[n - 1][1];
}

/* The tool's holds on the script's noise-free timeline sampled at first_s +
 * k * step_s: a hold starts at the first sample >= 10 kPa, ends once below
 * 8 kPa for more than 1 s, lasts to the last sample >= 8 kPa, and counts
 * from 5 s (short under 10 s, effective to 60 s). Returns how many, at most
 * max. */
static size_t truth_holds(const struct tool *tool, double first_s, double step_s,
			  struct truth_hold *out, size_t max)
{
	struct sim_scenario *scn;
	char err[256];
	double end, start = -1, last_above = -1;
	size_t n = 0;

	scn = sim_scenario_load(SCENARIO, err, sizeof(err));
	if (!scn)
		fail_msg("%s", err);
	end = sim_scenario_end_s(scn);
	for (long i = 0; first_s + i * step_s <= end; i++) {
		double t = first_s + i * step_s, v, kpa;

		assert_int_equal(sim_scenario_value(scn, tool->chip, tool->quantity, t, &v), 0);
		kpa = tool == &roller ? roller_kpa(v) : v;
		if (start < 0 && kpa >= 10)
			start = last_above = t;
		if (start < 0)
			continue;
		if (kpa >= 8) {
			last_above = t;
		} else if (t - last_above > 1.0) {
			double d = last_above - start;

			if (d >= 5 && n < max)
				out[n++] = (struct truth_hold){ d, d, d, d < 10 ? "short" : "effective" };
			start = -1;
		}
	}
	sim_scenario_free(scn);
	return n;
}

static int setup(void **state)
{
	struct fixture *f = harness_fixture_new(sizeof(*f), "it-multi", NULL);

	*state = f;
	if (!f)
		return -1;
	harness_env_path(&f->env, "roller.json", f->roller_cfg, sizeof(f->roller_cfg));
	harness_env_path(&f->env, "ball.log", f->ball_log, sizeof(f->ball_log));
	harness_env_path(&f->env, "roller.log", f->roller_log, sizeof(f->roller_log));
	return harness_env_copy_scenario(&f->env, SCENARIO);
}

static int teardown(void **state)
{
	harness_fixture_free(*state);
	return 0;
}

/* The ball's configuration (env.cfg, which the collector reads too) and the
 * roller's (roller_cfg): a copy with its own device_id and chips, the
 * ball's sensord.state_dir left in it as a copied file would have it. */
static void write_configs(struct fixture *f)
{
	static const char both[] = "mqtt.keepalive_s=5\n"
				   "sensord.confirm=\"collector\"\n"
				   "sensord.simulation.time_scale=5\n"
				   "detector.idle_s=6\n";

	assert_int_equal(harness_write_config(&f->env, "%s", both), 0);
	assert_int_equal(harness_write_config_to(&f->env, f->roller_cfg,
						 "%s"
						 "device_id=\"roller1\"\n"
						 "sensord.sensors=["
						 "{\"driver\": \"ads1115\", \"bus\": \"sim\", \"address\": \"0x48\","
						 " \"provides\": [\"pressure_kpa\"], \"input\": \"ain0\","
						 " \"gain_v\": 4.096, \"data_rate_sps\": 128,"
						 " \"calibration\": " ROLLER_CAL_JSON "},"
						 "{\"driver\": \"mcp9808\", \"bus\": \"sim\", \"address\": \"0x19\","
						 " \"provides\": [\"temperature_c\"]}]\n"
						 "sensord.gauge.gas_law=false\n",
						 both),
			 0);
}

/* sensord with config, and --state-dir DIR unless state_dir is NULL. */
static pid_t start_sensord(const char *config, const char *state_dir, const char *log)
{
	char *argv[] = { (char *)harness_bin("rollsense-sensord"), "--config", (char *)config,
			 state_dir ? "--state-dir" : NULL, (char *)state_dir, NULL };

	return harness_spawn(log, argv);
}

static pid_t start_collector(struct fixture *f)
{
	pid_t pid = harness_env_start(&f->env, "rollsense-collector", f->env.collector_log);

	assert_true(pid > 0);
	assert_true(harness_wait_file_contains(f->env.collector_log, "connected", 10));
	return pid;
}

/* How many readings sensord says it took ("scenario ended at ...: N readings"). */
static long readings_taken(const char *log)
{
	char *text = harness_read_file(log), *p;
	long n = -1;

	assert_non_null(text);
	p = strstr(text, "scenario ended at");
	if (!p)
		fail_msg("%s: no \"scenario ended at\" line", log);
	assert_int_equal(sscanf(strstr(p, ": ") + 2, "%ld readings", &n), 1);
	free(text);
	return n;
}

#define OF_DEVICE " JOIN runs r ON r.id = x.run_id JOIN devices d ON d.id = r.device_id " \
		  "WHERE d.name = '%s'"

/* One number the database gives for query (one %s: the device). */
static long device_count(struct fixture *f, const char *query, const char *device)
{
	char sql[512];

	snprintf(sql, sizeof(sql), query, device);
	return harness_sqlite_count(f->env.db, sql);
}

/* Every reading the tool took is stored under its device, in one run, seq
 * 1..N without a hole, and its temperatures are its own pad's. */
static void check_readings(struct fixture *f, const struct tool *tool, const char *log)
{
	long taken = readings_taken(log);
	char sql[512], *text;
	double tmin, tmax;

	assert_true(taken > 0);
	assert_int_equal(device_count(f, "SELECT count(*) FROM runs x JOIN devices d ON d.id = x.device_id "
					 "WHERE d.name = '%s'", tool->device), 1);
	assert_int_equal(device_count(f, "SELECT count(*) FROM readings x" OF_DEVICE, tool->device), taken);
	assert_int_equal(device_count(f, "SELECT min(seq) FROM readings x" OF_DEVICE, tool->device), 1);
	assert_int_equal(device_count(f, "SELECT max(seq) FROM readings x" OF_DEVICE, tool->device), taken);
	/* MCP9808: 0.0625 °C steps, 0.04 °C of noise; the two pads are 6 °C apart. */
	snprintf(sql, sizeof(sql), "SELECT min(temperature_c), max(temperature_c), count(temperature_c) "
		 "FROM readings x" OF_DEVICE, tool->device);
	text = harness_sqlite_text(f->env.db, sql);
	assert_non_null(text);
	if (sscanf(text, "%lf|%lf", &tmin, &tmax) != 2 || tmin < tool->pad_c - 0.25 ||
	    tmax > tool->pad_c + 0.25)
		fail_msg("%s: temperatures min|max|count %s, its pad is at %.1f °C", tool->device, text,
			 tool->pad_c);
	free(text);
}

/* The tool's one session holds exactly the script's holds, in order, each
 * within a sample period of the script's timeline sampled where sensord
 * sampled (its first reading's mono, then every 0.1 s: the schedule is
 * drift-free), the edges moved by +-EDGE_S. */
static void check_holds(struct fixture *f, const struct tool *tool)
{
	struct truth_hold truth[8], moved[8];
	size_t n = truth_holds(tool, 0, 0.001, truth, 8);
	char sql[512], *text, *line, *save = NULL;
	double first_s;
	size_t i = 0;

	assert_int_equal(n, 2);	/* the script's own comment */
	snprintf(sql, sizeof(sql), "SELECT min(mono) FROM readings x" OF_DEVICE, tool->device);
	text = harness_sqlite_text(f->env.db, sql);
	assert_non_null(text);
	first_s = strtod(text, NULL);
	free(text);
	assert_int_equal(truth_holds(tool, first_s, SAMPLE_S, truth, 8), n);
	for (int k = -1; k <= 1; k += 2) {
		assert_int_equal(truth_holds(tool, first_s + k * EDGE_S, SAMPLE_S, moved, 8), n);
		for (size_t j = 0; j < n; j++) {
			truth[j].min_s = fmin(truth[j].min_s, moved[j].duration_s);
			truth[j].max_s = fmax(truth[j].max_s, moved[j].duration_s);
		}
	}
	assert_int_equal(device_count(f, "SELECT count(*) FROM sessions x" OF_DEVICE, tool->device), 1);
	snprintf(sql, sizeof(sql), "SELECT h.duration_s, h.class FROM holds h JOIN sessions x "
		 "ON x.id = h.session_id" OF_DEVICE " ORDER BY h.start_mono", tool->device);
	text = harness_sqlite_text(f->env.db, sql);
	assert_non_null(text);
	for (line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save), i++) {
		double d;
		char cls[16];

		if (i >= n)
			fail_msg("%s: more holds stored than the script's %zu:\n%s", tool->device, n, line);
		assert_int_equal(sscanf(line, "%lf|%15s", &d, cls), 2);
		if (d < truth[i].min_s - SAMPLE_S - 0.001 || d > truth[i].max_s + SAMPLE_S + 0.001)
			fail_msg("%s: hold %zu lasted %.2f s, the script says %.3f s (%.3f..%.3f)",
				 tool->device, i, d, truth[i].duration_s, truth[i].min_s, truth[i].max_s);
		assert_string_equal(cls, truth[i].cls);
	}
	assert_int_equal(i, n);
	free(text);
}

/* What the broker keeps for Home Assistant and dashboards: each tool its
 * own discovery (sensord's and the collector's) and its own retained
 * session summary with its own two holds. */
static void check_retained(struct fixture *f)
{
	static const char *const topics[] = {
		"homeassistant/device/rollsense_ball1/config ",
		"homeassistant/device/rollsense_roller1/config ",
		"homeassistant/device/rollsense_ball1_sessions/config ",
		"homeassistant/device/rollsense_roller1_sessions/config ",
	};
	const struct tool *tools[] = { &ball, &roller };
	char out[400], port[16], *text;
	char *argv[] = { "mosquitto_sub", "-h", "127.0.0.1", "-p", port, "-v", "-t",
			 "homeassistant/device/+/config", "-t", "rollsense/+/session", "-C", "6",
			 "-W", "10", NULL };

	snprintf(port, sizeof(port), "%d", f->env.broker.port);
	harness_env_path(&f->env, "retained.out", out, sizeof(out));
	assert_int_equal(harness_run(out, argv, 20), 0);
	text = harness_read_file(out);
	assert_non_null(text);
	for (size_t i = 0; i < sizeof(topics) / sizeof(topics[0]); i++)
		if (!strstr(text, topics[i]))
			fail_msg("no retained %s on the broker:\n%s", topics[i], text);
	for (size_t i = 0; i < 2; i++) {
		char topic[64];
		const char *at;
		cJSON *j;

		snprintf(topic, sizeof(topic), "rollsense/%s/session ", tools[i]->device);
		at = strstr(text, topic);
		if (!at)
			fail_msg("no retained %s on the broker:\n%s", topic, text);
		j = cJSON_ParseWithOpts(at + strlen(topic), NULL, false);
		assert_non_null(j);
		assert_string_equal(cJSON_GetObjectItem(j, "device")->valuestring, tools[i]->device);
		assert_int_equal(cJSON_GetObjectItem(j, "hold_count")->valuedouble, 2);
		cJSON_Delete(j);
	}
	free(text);
}

static void test_two_tools(void **state)
{
	struct fixture *f = *state;
	char roller_dir[300];
	pid_t collector, s_ball, s_roller;

	write_configs(f);
	harness_env_path(&f->env, "roller", roller_dir, sizeof(roller_dir));
	collector = start_collector(f);
	s_ball = start_sensord(f->env.cfg, NULL, f->ball_log);
	s_roller = start_sensord(f->roller_cfg, roller_dir, f->roller_log);
	assert_true(s_ball > 0 && s_roller > 0);
	/* A reload keeps --state-dir: nothing waits for a restart. */
	assert_true(harness_wait_file_contains(f->roller_log, "first reading with values", 20));
	assert_int_equal(kill(s_roller, SIGHUP), 0);
	assert_true(harness_wait_file_contains(f->roller_log, "reload done", 20));
	assert_int_equal(harness_file_count(f->roller_log, "take effect at the next restart"), 0);
	/* Each exits 0 only once the collector acknowledged all it read. */
	harness_assert_exit_ok("ball's sensord", f->ball_log, harness_wait(s_ball, 90));
	harness_assert_exit_ok("roller's sensord", f->roller_log, harness_wait(s_roller, 90));
	harness_assert_exit_ok("collector", f->env.collector_log, harness_stop(collector, SIGTERM, 10));

	assert_int_equal(harness_sqlite_count(f->env.db, "SELECT count(*) FROM devices"), 2);
	check_readings(f, &ball, f->ball_log);
	check_readings(f, &roller, f->roller_log);
	check_holds(f, &ball);
	check_holds(f, &roller);
	check_retained(f);
	/* Each outbox is where its sensord was told: the roller's --state-dir
	 * won over the state_dir its copied file names. */
	{
		char state_line[400];

		snprintf(state_line, sizeof(state_line), "device roller1, 10 Hz, 2 chips, broker "
			 "tcp://127.0.0.1:%d, state %s, ", f->env.broker.port, roller_dir);
		assert_true(harness_wait_file_contains(f->roller_log, state_line, 1));
	}
}

/* A second sensord on a state directory in use, by its file's state_dir (a
 * copied configuration) or by --state-dir, refuses to start with one line
 * naming the directory and the key; the first runs on and loses nothing. */
static void test_state_dir_taken(void **state)
{
	struct fixture *f = *state;
	char state_dir[300], other_log[300], expect[1024];
	pid_t collector, first;

	write_configs(f);
	harness_env_path(&f->env, "state", state_dir, sizeof(state_dir));
	harness_env_path(&f->env, "other.log", other_log, sizeof(other_log));
	collector = start_collector(f);
	first = start_sensord(f->env.cfg, NULL, f->ball_log);
	assert_true(first > 0);
	assert_true(harness_wait_file_contains(f->ball_log, "run ", 10));

	snprintf(expect, sizeof(expect), "%s: sensord.state_dir: %s is in use by another "
		 "rollsense-sensord; give each tool its own state directory (sensord.state_dir, "
		 "or --state-dir)\n", f->roller_cfg, state_dir);
	assert_int_equal(harness_run(f->roller_log, (char *[]){ (char *)harness_bin("rollsense-sensord"),
				     "--config", f->roller_cfg, NULL }, 20), 2);
	assert_true(harness_wait_file_contains(f->roller_log, expect, 1));
	assert_int_equal(harness_file_count(f->roller_log, "\n"), 1);	/* that line alone */
	/* The same directory given by --state-dir, the file naming another. */
	assert_int_equal(harness_write_config_to(&f->env, f->roller_cfg, "device_id=\"roller1\"\n"
						 "sensord.state_dir=\"elsewhere\"\n"), 0);
	snprintf(expect, sizeof(expect), "%s: sensord.state_dir: %s is in use by another "
		 "rollsense-sensord", f->roller_cfg, state_dir);
	assert_int_equal(harness_run(other_log, (char *[]){ (char *)harness_bin("rollsense-sensord"),
				     "--config", f->roller_cfg, "--state-dir", state_dir, NULL }, 20), 2);
	assert_true(harness_wait_file_contains(other_log, expect, 1));

	harness_assert_exit_ok("first sensord", f->ball_log, harness_wait(first, 90));
	harness_assert_exit_ok("collector", f->env.collector_log, harness_stop(collector, SIGTERM, 10));
	assert_int_equal(harness_sqlite_count(f->env.db, "SELECT count(*) FROM devices"), 1);
	check_readings(f, &ball, f->ball_log);
	check_holds(f, &ball);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		IT_TEST(test_two_tools),
		IT_TEST(test_state_dir_taken),
	};

	tests_select();
	return cmocka_run_group_tests_name("it_multi", tests, NULL, NULL);
}
