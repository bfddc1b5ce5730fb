/* Integration: a zero never taken under load (issue 15), through the real
 * rollsense-sensord, the real collector and a real mosquitto on loopback.
 *
 * The issue's case: a ball session, sensord SIGKILLed 8 s into a 63 s hold
 * and started again while the ball is still pressed (systemd after a crash,
 * a watchdog, an upgrade). The simulated clock starts again at 0 with each
 * run, so the second run plays a scenario of its own that goes on where the
 * first one was cut: pressed from its first sample. Ground truth is the two
 * scripts: the load each plays, and the holds they contain. */
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

#define SCALE 10		/* simulated seconds per real second */
#define LOAD_KPA 15.0
/* A sample at 10 Hz, plus the chips' noise and the wire's 2 decimals. */
#define SAMPLE_S 0.1
#define LOAD_TOL_KPA 0.3

struct fixture {
	struct harness_env env;	/* first; the subscriber takes rollsense/# */
};

/* Run 1: the ball at rest at 20 °C (its first run ever: the zero is taken at
 * start, at rest, and saved), pressed with 15 kPa from 5 s for what would be
 * a 63 s hold (to 68 s). sensord is killed 8 s into it. */
static const char run1_scn[] =
	"end 80\n"
	"chip ball bmp280 0x76 sealed\n"
	"chip pad mcp9808 0x18\n"
	"at 0 ball pressure_pa 101325\n"
	"at 0 ball temperature_c 20\n"
	"at 0 pad temperature_c 30\n"
	"at 5 ball load_kpa 15\n";

/* Run 2, started 2 s after the kill (mono 0 here is 15 s of run 1's
 * timeline): the hold goes on for its last 53 s, then the ball rests, then a
 * later session with one 20 s hold (75 to 95 s). The air warmed to 25 °C
 * meanwhile: sealed, its rest pressure is 101.325 * 298.15 / 293.15 =
 * 103.053 kPa, which the saved zero taken at 20 °C must be corrected for. */
static const char run2_scn[] =
	"end 110\n"
	"chip ball bmp280 0x76 sealed\n"
	"chip pad mcp9808 0x18\n"
	"at 0 ball pressure_pa 103053\n"
	"at 0 ball temperature_c 25\n"
	"at 0 pad temperature_c 30\n"
	"at 0 ball load_kpa 15\n"
	"at 53 ball load_kpa 0\n"
	"at 75 ball load_kpa 15\n"
	"at 95 ball load_kpa 0\n";

/* A ball pressed from the start, for --once. */
static const char pressed_scn[] =
	"end 10\n"
	"chip ball bmp280 0x76 sealed\n"
	"chip pad mcp9808 0x18\n"
	"at 0 ball pressure_pa 103053\n"
	"at 0 ball temperature_c 25\n"
	"at 0 pad temperature_c 30\n"
	"at 0 ball load_kpa 15\n";

static int setup(void **state)
{
	*state = harness_fixture_new(sizeof(struct fixture), "it-zero", "rollsense/#");
	return *state ? 0 : -1;
}

static int teardown(void **state)
{
	harness_fixture_free(*state);
	return 0;
}

/* The ball playing scenario to its end; confirm "collector" (a collector
 * runs) or "broker" (sensord alone). */
static void write_ball_config(struct fixture *f, const char *scenario, const char *confirm)
{
	assert_int_equal(harness_write_file(f->env.scn, "%s", scenario), 0);
	assert_int_equal(harness_write_config(&f->env,
					      "mqtt.keepalive_s=5\n"
					      "sensord.confirm=\"%s\"\n"
					      "sensord.simulation.time_scale=%d\n"
					      "sensord.simulation.exit_at_end=true\n"
					      "detector.idle_s=6\n",
					      confirm, SCALE),
			 0);
}

static pid_t start_sensord(struct fixture *f)
{
	char *argv[] = { (char *)harness_bin("rollsense-sensord"), "--config", f->env.cfg, NULL };

	return harness_spawn(f->env.sensord_log, argv);
}

/* `rollsense-sensord --once`: its pressure_kpa (NAN when null). */
static double once_pressure(struct fixture *f, const char *cfg)
{
	char out[320], *text;
	char *argv[] = { (char *)harness_bin("rollsense-sensord"), "--config", (char *)cfg, "--once",
			 NULL };
	cJSON *j, *p;
	double kpa;

	harness_env_path(&f->env, "once.out", out, sizeof(out));
	remove(out);
	assert_int_equal(harness_run(out, argv, 30), 0);
	text = harness_read_file(out);
	assert_non_null(text);
	/* The reading, among the log's lines. */
	j = strstr(text, "{\"run\"") ? cJSON_Parse(strstr(text, "{\"run\"")) : NULL;
	if (!j)
		fail_msg("--once printed no reading:\n%s", text);
	p = cJSON_GetObjectItemCaseSensitive(j, "pressure_kpa");
	kpa = cJSON_IsNumber(p) ? p->valuedouble : NAN;
	cJSON_Delete(j);
	free(text);
	return kpa;
}

/* The run id sensord logged at its n-th start (1-based) in log: its line
 * "run <16 hex digits>: device ...". */
static void run_of_start(const char *log, int n, char run[17])
{
	char *text = harness_read_file(log), *at;

	assert_non_null(text);
	at = text;
	for (int i = 0; i < n; i++) {
		at = strstr(i ? at + 1 : at, ": device ");
		assert_non_null(at);
		assert_true(at - text >= 16);
	}
	memcpy(run, at - 16, 16);
	run[16] = '\0';
	free(text);
}

/* Run 2's readings from the subscriber: every one with mono in [from, to)
 * must read load_kpa within LOAD_TOL_KPA. Returns how many there were. */
static size_t check_load(struct fixture *f, const char *run, double from, double to, double load_kpa)
{
	char *text = harness_read_file(f->env.sub_out), *line, *save = NULL;
	size_t n = 0;

	assert_non_null(text);
	for (line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		const char *body = strstr(line, "/reading {");
		cJSON *j, *r, *m, *p;

		if (!body)
			continue;
		j = cJSON_Parse(body + strlen("/reading "));
		assert_non_null(j);
		r = cJSON_GetObjectItemCaseSensitive(j, "run");
		m = cJSON_GetObjectItemCaseSensitive(j, "mono");
		p = cJSON_GetObjectItemCaseSensitive(j, "pressure_kpa");
		if (cJSON_IsString(r) && strcmp(r->valuestring, run) == 0 && m->valuedouble >= from &&
		    m->valuedouble < to) {
			if (!cJSON_IsNumber(p) || fabs(p->valuedouble - load_kpa) > LOAD_TOL_KPA)
				fail_msg("run %s at mono %.2f: pressure_kpa %s%.2f, the script plays %.2f",
					 run, m->valuedouble, cJSON_IsNumber(p) ? "" : "null ",
					 cJSON_IsNumber(p) ? p->valuedouble : 0.0, load_kpa);
			n++;
		}
		cJSON_Delete(j);
	}
	free(text);
	return n;
}

static void test_restart_in_a_hold(void **state)
{
	struct fixture *f = *state;
	pid_t collector, sensord;
	char run2[17], query[256], *holds, zero_path[320];
	double d1, d2;

	write_ball_config(f, run1_scn, "collector");
	collector = harness_env_start(&f->env, "rollsense-collector", f->env.collector_log);
	assert_true(harness_wait_file_contains(f->env.collector_log, "connected", 10));

	sensord = start_sensord(f);
	/* 8 s into the hold: run 1's reading at mono 13 s (seq 131) is out. */
	assert_true(harness_wait_file_contains(f->env.sub_out, "\"seq\":131,", 30));
	kill(sensord, SIGKILL);
	assert_int_not_equal(harness_wait(sensord, 10), -1);
	/* It saved its start zero, taken at rest. */
	harness_env_path(&f->env, "state/zero", zero_path, sizeof(zero_path));
	assert_true(harness_wait_file_contains(zero_path, " bmp280@sim:0x76", 1));
	harness_sleep(2.0 / SCALE);

	write_ball_config(f, run2_scn, "collector");
	sensord = start_sensord(f);
	harness_assert_exit_ok("sensord", f->env.sensord_log, harness_wait(sensord, 120));
	run_of_start(f->env.sensord_log, 2, run2);
	assert_true(harness_file_count(f->env.sensord_log,
				       "against the saved zero (101.325 kPa): loaded at start") == 1);

	/* The new run measures the rest of the hold, and the rest after it:
	 * away from the edges, every reading. */
	assert_true(check_load(f, run2, 0.0, 53.0 - SAMPLE_S, LOAD_KPA) >= 520);
	assert_true(check_load(f, run2, 53.0 + SAMPLE_S, 75.0 - SAMPLE_S, 0.0) >= 210);
	assert_true(check_load(f, run2, 75.0 + SAMPLE_S, 95.0 - SAMPLE_S, LOAD_KPA) >= 190);
	harness_assert_exit_ok("collector", f->env.collector_log,
			       harness_stop(collector, SIGTERM, 10));

	/* The collector counted both of the new run's holds: the rest of the
	 * interrupted one (53 s from its first reading) and the later
	 * session's 20 s one. */
	snprintf(query, sizeof(query),
		 "SELECT h.duration_s FROM holds h JOIN sessions s ON h.session_id = s.id JOIN runs r "
		 "ON s.run_id = r.id WHERE r.run = '%s' ORDER BY h.start_mono", run2);
	holds = harness_sqlite_text(f->env.db, query);
	assert_non_null(holds);
	if (sscanf(holds, "%lf\n%lf", &d1, &d2) != 2 || strchr(strchr(holds, '\n') + 1, '\n') !=
	    strrchr(holds, '\n'))
		fail_msg("run %s's holds: \"%s\", the script has two (53 s, 20 s)", run2, holds);
	if (fabs(d1 - 53.0) > 2 * SAMPLE_S + 0.01 || fabs(d2 - 20.0) > 2 * SAMPLE_S + 0.01)
		fail_msg("run %s's holds: %.2f s and %.2f s, the script has 53 s and 20 s", run2, d1, d2);
	free(holds);
}

/* The first start ever with the ball pressed (nothing saved): the press is
 * the zero and reads 0; the release reads -15 kPa. 3 s of that prove the
 * zero was taken under load: sensord takes it again and logs the figures
 * (116.325 kPa, the sealed air at rest plus the press, to 101.325), and the
 * next press, 25 to 35 s, is measured. */
static void test_negative_gauge_rezeroes(void **state)
{
	static const char scenario[] = "end 40\n"
				       "chip ball bmp280 0x76 sealed\n"
				       "chip pad mcp9808 0x18\n"
				       "at 0 ball pressure_pa 101325\n"
				       "at 0 ball temperature_c 20\n"
				       "at 0 pad temperature_c 30\n"
				       "at 0 ball load_kpa 15\n"
				       "at 10 ball load_kpa 0\n"
				       "at 25 ball load_kpa 15\n"
				       "at 35 ball load_kpa 0\n";
	struct fixture *f = *state;
	char run[17], zero_path[320], *zero;

	write_ball_config(f, scenario, "broker");
	harness_assert_exit_ok("sensord", f->env.sensord_log, harness_wait(start_sensord(f), 60));
	run_of_start(f->env.sensord_log, 1, run);
	assert_int_equal(harness_file_count(f->env.sensord_log,
					    "bmp280@sim:0x76: read -15.0"), 1);
	assert_int_equal(harness_file_count(f->env.sensord_log,
					    "kPa for 3.0 s): the zero was taken under load; zero "
					    "116.3"), 1);
	assert_int_equal(harness_file_count(f->env.sensord_log, "-> 101.3"), 1);
	/* Re-zeroed at 13 s, its window over at 14 s: at rest reads 0, the
	 * next press its load. */
	assert_true(check_load(f, run, 14.0 + SAMPLE_S, 25.0 - SAMPLE_S, 0.0) >= 100);
	assert_true(check_load(f, run, 25.0 + SAMPLE_S, 35.0 - SAMPLE_S, LOAD_KPA) >= 90);
	/* The zero saved last is the one taken at rest. */
	harness_env_path(&f->env, "state/zero", zero_path, sizeof(zero_path));
	zero = harness_read_file(zero_path);
	assert_non_null(zero);
	if (strncmp(zero, "101.3", 5) != 0)
		fail_msg("%s holds \"%s\", want the zero at rest, 101.3 kPa", zero_path, zero);
	free(zero);
}

/* --once with the ball pressed: the load with a saved zero, taken at rest
 * at 20 °C and corrected to 25 °C; 0 without one (today's start zero, the
 * flaw the saved zero removes: the proof that this test can fail). */
static void test_once_reports_the_load(void **state)
{
	struct fixture *f = *state;
	char zero_path[320];
	double kpa;

	harness_env_path(&f->env, "state/zero", zero_path, sizeof(zero_path));
	write_ball_config(f, pressed_scn, "broker");
	assert_true(isfinite(kpa = once_pressure(f, f->env.cfg)));
	assert_float_equal(kpa, 0.0, 1e-9);

	/* A short run at rest at 20 °C saves the zero. */
	write_ball_config(f,
			  "end 3\n"
			  "chip ball bmp280 0x76 sealed\n"
			  "chip pad mcp9808 0x18\n"
			  "at 0 ball pressure_pa 101325\n"
			  "at 0 ball temperature_c 20\n",
			  "broker");
	harness_assert_exit_ok("sensord", f->env.sensord_log,
			       harness_wait(start_sensord(f), 60));
	assert_true(harness_wait_file_contains(zero_path, " bmp280@sim:0x76", 1));

	write_ball_config(f, pressed_scn, "broker");
	kpa = once_pressure(f, f->env.cfg);
	if (!(fabs(kpa - LOAD_KPA) <= LOAD_TOL_KPA))
		fail_msg("--once with the ball pressed and a saved zero: %.2f kPa, the script plays 15",
			 kpa);
}

/* The roller: an ADS1115 reading a force sensor through the calibration
 * table, whose start zero (an offset) had the same flaw. 1.45 V on AIN0 is
 * 9.8 kPa in the table. */
#define ROLLER_JSON                                                                          \
	"[{\"driver\": \"ads1115\", \"bus\": \"sim\", \"address\": \"0x48\","                \
	" \"provides\": [\"pressure_kpa\"], \"input\": \"ain0\", \"gain_v\": 4.096,"        \
	" \"data_rate_sps\": 128, \"calibration\": [[0.0, 0.0], [0.35, 2.0], [0.80, 3.9],"   \
	" [1.45, 9.8], [2.00, 19.6], [2.50, 39.2], [2.85, 78.5]]}]"

static void write_roller(struct fixture *f, const char *scenario)
{
	assert_int_equal(harness_write_file(f->env.scn, "%s", scenario), 0);
	assert_int_equal(harness_write_config(&f->env,
					      "device_id=\"roller1\"\n"
					      "sensord.sensors=" ROLLER_JSON "\n"
					      "sensord.gauge.gas_law=false\n"
					      "sensord.confirm=\"broker\"\n"
					      "sensord.simulation.time_scale=%d\n"
					      "sensord.simulation.exit_at_end=true\n",
					      SCALE),
			 0);
}

static void test_roller_once_reports_the_load(void **state)
{
	struct fixture *f = *state;
	static const char pressed[] = "end 10\nchip r ads1115 0x48\nat 0 r ain0_v 1.45\n";
	char zero_path[320];
	double kpa;

	harness_env_path(&f->env, "state/zero", zero_path, sizeof(zero_path));
	write_roller(f, pressed);
	kpa = once_pressure(f, f->env.cfg);
	assert_float_equal(kpa, 0.0, 1e-9);	/* no saved zero: the load was the zero */

	write_roller(f, "end 3\nchip r ads1115 0x48\nat 0 r ain0_v 0\n");
	harness_assert_exit_ok("sensord", f->env.sensord_log, harness_wait(start_sensord(f), 60));
	assert_true(harness_wait_file_contains(zero_path, " ads1115@sim:0x48", 1));

	write_roller(f, pressed);
	kpa = once_pressure(f, f->env.cfg);
	if (!(fabs(kpa - 9.8) <= 0.05))
		fail_msg("--once with the roller pressed and a saved zero: %.2f kPa, the table says 9.8",
			 kpa);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		IT_TEST(test_restart_in_a_hold),
		IT_TEST(test_negative_gauge_rezeroes),
		IT_TEST(test_once_reports_the_load),
		IT_TEST(test_roller_once_reports_the_load),
	};

	tests_select();
	return cmocka_run_group_tests(tests, NULL, NULL);
}
