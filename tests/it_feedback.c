/* Integration: feedback on the tool through the real rollsense-sensord, on
 * the simulated GPIO chip ("chip": "sim"): the test presses the button by
 * writing <state_dir>/gpio-sim/button and reads the LED and the buzzer from
 * led.log and buzzer.log ("<mono> <0|1>" at each change). Ground truth comes
 * from outside the daemon: the scenario's timeline for when the hold events
 * must happen, sensord/feedback.h's table for the patterns, the test's own
 * real clock for the button, and the collector's stored session for where a
 * long press ends it. */
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

#define SCALE 10.0		/* simulated seconds per real second */
#define SAMPLE_S 0.1		/* 10 Hz */

/* The loop's latency to drive a line after the sample that asked for it, on
 * sensord's clock (which runs 10 times faster than real time here): a few ms
 * of real time, stretched with every other wait under valgrind. */
static double latency_s(void)
{
	return harness_timeout_s(0.05);
}
#define MAX_EDGES 256

struct fixture {
	struct harness_env env;	/* first; the subscriber takes rollsense/# */
};

struct edge {
	double mono;
	int level;
};

struct edges {
	struct edge e[MAX_EDGES];
	size_t n;
};

/* One BMP280, and the feedback lines on the simulated GPIO chip; extra
 * holds more override lines (harness_write_config). */
static void write_config_extra(struct fixture *f, const char *scenario, const char *extra)
{
	harness_write_file(f->env.scn, "%s", scenario);
	assert_int_equal(harness_write_config(&f->env,
		"device_id=\"ball\"\n"
		"sensord.confirm=\"broker\"\n"
		"sensord.feedback={\"chip\": \"sim\", \"led\": 0, \"buzzer\": 1, \"button\": 2}\n"
		"sensord.sensors=[{\"driver\": \"bmp280\", \"bus\": \"sim\", \"address\": \"0x76\", "
		"\"provides\": [\"pressure_kpa\"]}]\n"
		"sensord.simulation.time_scale=%g\n%s", SCALE, extra), 0);
}

static void write_config(struct fixture *f, const char *scenario)
{
	write_config_extra(f, scenario, "");
}

static int setup(void **state)
{
	*state = harness_fixture_new(sizeof(struct fixture), "it-feedback", "rollsense/#");
	return *state ? 0 : -1;
}

static int teardown(void **state)
{
	harness_fixture_free(*state);
	return 0;
}

static void button(struct fixture *f, bool pressed)
{
	char path[400];

	snprintf(path, sizeof(path), "%s/state/gpio-sim/button", f->env.dir);
	assert_int_equal(harness_write_file(path, "%d\n", pressed ? 1 : 0), 0);
}

/* Reads led.log or buzzer.log. Every line must be "<mono> <0|1>", and the
 * levels must alternate: the log records changes. */
static void edges_read(struct fixture *f, const char *file, struct edges *out)
{
	char path[400], *text, *line, *save = NULL;

	memset(out, 0, sizeof(*out));
	snprintf(path, sizeof(path), "%s/state/gpio-sim/%s", f->env.dir, file);
	text = harness_read_file(path);
	if (!text)
		fail_msg("%s was not written", path);
	for (line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		struct edge *e = &out->e[out->n];
		char *end;

		assert_true(out->n < MAX_EDGES);
		e->mono = strtod(line, &end);
		if (end == line || (strcmp(end, " 0") != 0 && strcmp(end, " 1") != 0))
			fail_msg("%s: bad line \"%s\"", file, line);
		e->level = end[1] - '0';
		if (out->n > 0 && out->e[out->n - 1].level == e->level)
			fail_msg("%s: level %d twice in a row at %.3f", file, e->level, e->mono);
		out->n++;
	}
	free(text);
	assert_true(out->n >= 1);
	assert_int_equal(out->e[0].level, 0);	/* off at start */
}

/* The first index >= from whose edge turns the output on at or after
 * mono_s, or -1. */
static int edges_find_on(const struct edges *e, size_t from, double mono_s)
{
	for (size_t i = from; i < e->n; i++)
		if (e->e[i].level == 1 && e->e[i].mono >= mono_s)
			return (int)i;
	return -1;
}

/* Checks that, starting at edge i, the output runs through spans_ms
 * (alternating on and off, real milliseconds, as in feedback.h) and then
 * stays off. On the mono timeline each span is SCALE times as long: the
 * patterns run on the real clock. Tolerance: 30 ms real. */
static void assert_pattern(const struct edges *e, int i, const unsigned *spans_ms, size_t n,
			   const char *what)
{
	const double tol = 0.030 * SCALE;

	if (i < 0)
		fail_msg("%s: never started", what);
	if ((size_t)i + n >= e->n)
		fail_msg("%s: %zu edges logged from %d, %zu needed", what, e->n - (size_t)i, i, n + 1);
	for (size_t k = 0; k < n; k++) {
		double got = e->e[(size_t)i + k + 1].mono - e->e[(size_t)i + k].mono;
		double want = spans_ms[k] / 1000.0 * SCALE;

		if (fabs(got - want) > tol)
			fail_msg("%s: span %zu (%s) lasted %.3f s of mono time, want %.3f (%u ms real)",
				 what, k, k % 2 ? "off" : "on", got, want, spans_ms[k]);
	}
	assert_int_equal(e->e[(size_t)i + n].level, 0);
}

/* The readings in sub.out: mono, pressure, ts and end_session of each. */
struct readings {
	double mono[4096], kpa[4096], ts[4096];
	bool end_session[4096];
	size_t n;
};

static void readings_read(struct fixture *f, struct readings *r)
{
	static const char topic[] = "rollsense/ball/reading ";
	char *text, *line, *save = NULL;

	memset(r, 0, sizeof(*r));
	text = harness_read_file(f->env.sub_out);
	assert_non_null(text);
	for (line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		cJSON *j, *es, *p;

		if (strncmp(line, topic, strlen(topic)) != 0)
			continue;
		j = cJSON_Parse(line + strlen(topic));
		assert_non_null(j);
		assert_true(r->n < 4096);
		r->mono[r->n] = cJSON_GetObjectItem(j, "mono")->valuedouble;
		r->ts[r->n] = cJSON_GetObjectItem(j, "ts")->valuedouble;
		p = cJSON_GetObjectItem(j, "pressure_kpa");
		r->kpa[r->n] = cJSON_IsNumber(p) ? p->valuedouble : NAN;
		es = cJSON_GetObjectItem(j, "end_session");
		if (es)
			assert_true(cJSON_IsTrue(es));	/* only ever written when set */
		r->end_session[r->n] = es != NULL;
		r->n++;
		cJSON_Delete(j);
	}
	free(text);
	assert_true(r->n > 0);
}

/* A ball pressed to 15 kPa for 70 s: the 10 s pattern (two short blinks, one
 * short beep) when the hold has lasted 10 s, the 60 s pattern (three long
 * blinks, three beeps) once it lasted more than 60 s, at the sample where
 * the scenario says so, and nothing else on the lines. */
static void test_hold_patterns(void **state)
{
	static const char scenario[] =
		"end 90\n"
		"chip ball bmp280 0x76 sealed\n"
		"at 0 ball temperature_c 22\n"
		"ramp 4.5 5 ball load_kpa 15\n"
		"at 75 ball load_kpa 15\n"
		"ramp 75 75.5 ball load_kpa 0\n";
	static const unsigned led10[] = { 150, 150, 150 }, buzzer10[] = { 100 };
	static const unsigned led60[] = { 500, 250, 500, 250, 500 };
	static const unsigned buzzer60[] = { 200, 200, 200, 200, 200 };
	struct fixture *f = *state;
	struct sim_scenario *scn;
	struct readings *r = calloc(1, sizeof(*r));
	struct edges led, buzzer;
	double first_hold = -1, want10, want60;
	char err[256];
	int i10, i60, b10, b60;

	assert_non_null(r);
	write_config(f, scenario);
	harness_assert_exit_ok("sensord", f->env.sensord_log, harness_wait(harness_env_start(&f->env, "rollsense-sensord", f->env.sensord_log), 60));
	harness_sleep(0.3);
	/* The truth: sampled where sensord sampled, the scenario's load first
	 * reaches 10 kPa at first_hold; the hold has lasted 10 s at
	 * first_hold + 10 and more than 60 s one sample after first_hold + 60. */
	readings_read(f, r);
	scn = sim_scenario_load(f->env.scn, err, sizeof(err));
	assert_non_null(scn);
	for (size_t k = 0; k < r->n && first_hold < 0; k++) {
		double load;

		assert_int_equal(sim_scenario_value(scn, "ball", "load_kpa", r->mono[k], &load), 0);
		if (load >= 10)
			first_hold = r->mono[k];
	}
	sim_scenario_free(scn);
	assert_in_range((long)(first_hold * 1000), 4800, 5000);
	want10 = first_hold + 10;
	want60 = first_hold + 60 + SAMPLE_S;

	edges_read(f, "led.log", &led);
	edges_read(f, "buzzer.log", &buzzer);
	/* Off at start, then exactly the two patterns: 4 + 6 LED edges, 2 + 6
	 * buzzer edges. */
	assert_int_equal(led.n, 1 + 4 + 6);
	assert_int_equal(buzzer.n, 1 + 2 + 6);
	i10 = edges_find_on(&led, 1, 0);
	b10 = edges_find_on(&buzzer, 1, 0);
	/* The pattern starts with the event's sample: within one sample period
	 * (and the loop's few ms of latency to drive the line). */
	if (fabs(led.e[i10].mono - want10) > SAMPLE_S + latency_s())
		fail_msg("10 s pattern at %.3f, the hold reached 10 s at %.3f", led.e[i10].mono, want10);
	assert_true(fabs(buzzer.e[b10].mono - led.e[i10].mono) < SAMPLE_S + latency_s());
	assert_pattern(&led, i10, led10, 3, "10 s LED");
	assert_pattern(&buzzer, b10, buzzer10, 1, "10 s buzzer");
	i60 = edges_find_on(&led, (size_t)i10 + 4, 0);
	b60 = edges_find_on(&buzzer, (size_t)b10 + 2, 0);
	if (fabs(led.e[i60].mono - want60) > SAMPLE_S + latency_s())
		fail_msg("60 s pattern at %.3f, the hold passed 60 s at %.3f", led.e[i60].mono, want60);
	assert_true(fabs(buzzer.e[b60].mono - led.e[i60].mono) < SAMPLE_S + latency_s());
	assert_pattern(&led, i60, led60, 5, "60 s LED");
	assert_pattern(&buzzer, b60, buzzer60, 5, "60 s buzzer");
	free(r);
}

/* A short press at rest, with 0.6 kPa of offset (below sensord.gauge.rest_kpa,
 * 1: the tool counts as at rest; tracking slowed to a day's time constant so
 * that only the tare can take it away): a tare (log line, one 300 ms blink
 * and a 50 ms tick), and the readings after it read zero where they read
 * 0.6 kPa before. */
static void test_short_press_tares(void **state)
{
	static const char scenario[] =
		"end 45\n"
		"chip ball bmp280 0x76 sealed\n"
		"at 0 ball temperature_c 22\n"
		"ramp 2 2.5 ball load_kpa 0.6\n";
	static const unsigned led_tare[] = { 300 }, buzzer_tare[] = { 50 };
	struct fixture *f = *state;
	struct readings *r = calloc(1, sizeof(*r));
	struct edges led, buzzer;
	size_t before = 0, after = 0;
	double tare_mono;
	pid_t pid;

	assert_non_null(r);
	write_config_extra(f, scenario, "sensord.gauge.track_s=86400\n");
	pid = harness_env_start(&f->env, "rollsense-sensord", f->env.sensord_log);
	assert_true(harness_wait_file_contains(f->env.sensord_log, "mqtt: connected", 10));
	harness_sleep(1.5);	/* ~15 s of mono time: well into the 0.6 kPa */
	button(f, true);
	harness_sleep(0.1);
	button(f, false);
	assert_true(harness_wait_file_contains(f->env.sensord_log,
					       "tare (button: short press): the zero is taken", 2));
	harness_assert_exit_ok("sensord", f->env.sensord_log, harness_wait(pid, 60));
	harness_sleep(0.3);

	edges_read(f, "led.log", &led);
	edges_read(f, "buzzer.log", &buzzer);
	assert_int_equal(led.n, 3);
	assert_int_equal(buzzer.n, 3);
	assert_pattern(&led, 1, led_tare, 1, "tare LED");
	assert_pattern(&buzzer, 1, buzzer_tare, 1, "tare buzzer");
	tare_mono = led.e[1].mono;
	assert_true(tare_mono > 10 && tare_mono < 30);

	readings_read(f, r);
	for (size_t k = 0; k < r->n; k++) {
		assert_false(r->end_session[k]);
		/* Before: the scenario's 0.6 kPa. After the tare's 1 s window:
		 * the same offset reads zero. A reading carries the time it was
		 * due, the LED's edge the time it was set: on a loaded machine
		 * the press may be handled before readings a few tens of
		 * milliseconds overdue (0.2 s of sensord's mono, at SCALE times
		 * real time, failed once in CI), so the margin is 0.2 s
		 * of real time. */
		if (r->mono[k] > 3 && r->mono[k] < tare_mono - 0.2 * SCALE) {
			if (fabs(r->kpa[k] - 0.6) > 0.15)
				fail_msg("mono %.2f: %.3f kPa before the tare, want 0.6", r->mono[k], r->kpa[k]);
			before++;
		} else if (r->mono[k] > tare_mono + 1.5) {
			if (fabs(r->kpa[k]) > 0.15)
				fail_msg("mono %.2f: %.3f kPa after the tare, want 0", r->mono[k], r->kpa[k]);
			after++;
		}
	}
	assert_true(before > 50 && after > 50);
	free(r);
}

/* A tare while 5 kPa is applied (at or above rest_kpa, 1: loaded), asked
 * for three ways: the button's short press, the MQTT command, SIGUSR1. Each
 * is refused with a log line naming the chip and the reading, and plays
 * feedback.h's TARE_REFUSED (4 blinks of 80 ms, 2 beeps of 400 ms); the
 * readings read 5 kPa all along: nothing changed. */
static void test_tare_refused_under_load(void **state)
{
	static const char scenario[] =
		"end 90\n"
		"chip ball bmp280 0x76 sealed\n"
		"at 0 ball temperature_c 22\n"
		"ramp 2 2.5 ball load_kpa 5\n";
	static const unsigned led_refused[] = { 80, 80, 80, 80, 80, 80, 80 };
	static const unsigned buzzer_refused[] = { 400, 200, 400 };
	static const char *const who[] = { "button: short press", "MQTT command", "SIGUSR1" };
	struct fixture *f = *state;
	struct readings *r = calloc(1, sizeof(*r));
	struct edges led, buzzer;
	char line[128];
	size_t loaded = 0;
	pid_t pid;

	assert_non_null(r);
	write_config(f, scenario);
	pid = harness_env_start(&f->env, "rollsense-sensord", f->env.sensord_log);
	assert_true(harness_wait_file_contains(f->env.sensord_log, "mqtt: connected", 10));
	harness_sleep(1.5);	/* ~15 s of mono time: well into the 5 kPa */
	for (int i = 0; i < 3; i++) {
		if (i == 0) {
			button(f, true);
			harness_sleep(0.1);
			button(f, false);
		} else if (i == 1) {
			assert_int_equal(harness_publish(&f->env.broker, "rollsense/ball/command", "tare",
							 false), 0);
		} else {
			kill(pid, SIGUSR1);
		}
		snprintf(line, sizeof(line), "tare (%s) refused: bmp280@sim:0x76 reads 5.0", who[i]);
		assert_true(harness_wait_file_contains(f->env.sensord_log, line, 5));
		/* The 1 s pattern starts a moment after the log line: wait it
		 * out with a margin, or the next refusal cuts its last beep. */
		harness_sleep(1.5);
	}
	harness_assert_exit_ok("sensord", f->env.sensord_log, harness_wait(pid, 60));
	harness_sleep(0.3);
	assert_int_equal(harness_file_count(f->env.sensord_log, "the zero is taken"), 0);

	edges_read(f, "led.log", &led);
	edges_read(f, "buzzer.log", &buzzer);
	assert_int_equal(led.n, 1 + 3 * 8);
	assert_int_equal(buzzer.n, 1 + 3 * 4);
	for (int i = 0; i < 3; i++) {
		assert_pattern(&led, 1 + 8 * i, led_refused, 7, "refused tare LED");
		assert_pattern(&buzzer, 1 + 4 * i, buzzer_refused, 3, "refused tare buzzer");
	}

	readings_read(f, r);
	for (size_t k = 0; k < r->n; k++) {
		if (r->mono[k] > 3) {
			if (fabs(r->kpa[k] - 5.0) > 0.15)
				fail_msg("mono %.2f: %.3f kPa, want 5: a refused tare changes nothing",
					 r->mono[k], r->kpa[k]);
			loaded++;
		}
	}
	assert_true(loaded > 800);
	free(r);
}

/* A long press (2 s of real time, although sensord's clock runs ten times
 * faster) ends the session: the session-end pattern while the button is
 * still held, a session_ended event, exactly one reading with end_session,
 * and the collector stores a session that ends at that reading although the
 * tool is still pressed afterwards. */
static void test_long_press_ends_session(void **state)
{
	static const char scenario[] =
		"end 70\n"
		"chip ball bmp280 0x76 sealed\n"
		"at 0 ball temperature_c 22\n"
		"ramp 1 1.5 ball load_kpa 5\n";
	static const unsigned led_end[] = { 1000 }, buzzer_end[] = { 100, 100, 100 };
	struct fixture *f = *state;
	struct readings *r = calloc(1, sizeof(*r));
	struct edges led, buzzer;
	char *text, *line, *save = NULL;
	double end_mono = -1, end_ts = -1;
	size_t n_end = 0, n_ended = 0, n_sessions = 0;
	pid_t collector, pid;
	cJSON *session = NULL;

	assert_non_null(r);
	write_config(f, scenario);
	collector = harness_env_start(&f->env, "rollsense-collector", f->env.collector_log);
	assert_true(harness_wait_file_contains(f->env.collector_log, "mqtt: connected", 10));
	pid = harness_env_start(&f->env, "rollsense-sensord", f->env.sensord_log);
	assert_true(harness_wait_file_contains(f->env.sensord_log, "mqtt: connected", 10));
	harness_sleep(1.5);
	button(f, true);
	/* After 1 s of real time (10 s of sensord's clock) it is not long yet. */
	harness_sleep(1.0);
	edges_read(f, "led.log", &led);
	assert_int_equal(led.n, 1);
	/* At 2 s it is, while still held. */
	assert_true(harness_wait_file_contains(f->env.sensord_log, "button: long press: ending the session", 1.5));
	/* The LED follows the log line by the loop's latency; the button is
	 * still held until this wait is over. */
	for (double waited = 0; ; waited += 0.01) {
		edges_read(f, "led.log", &led);
		if (led.n >= 2 || waited >= harness_timeout_s(0.2))
			break;
		harness_sleep(0.01);
	}
	assert_int_equal(led.n, 2);
	harness_sleep(0.5);
	button(f, false);
	harness_assert_exit_ok("sensord", f->env.sensord_log, harness_wait(pid, 60));
	assert_true(harness_wait_file_contains(f->env.sub_out, "rollsense/ball/session ", 10));
	harness_assert_exit_ok("collector", f->env.collector_log, harness_stop(collector, SIGTERM, 10));
	harness_sleep(0.3);

	edges_read(f, "led.log", &led);
	edges_read(f, "buzzer.log", &buzzer);
	assert_int_equal(led.n, 3);		/* no tare blink at the release */
	assert_int_equal(buzzer.n, 5);
	assert_pattern(&led, 1, led_end, 1, "session end LED");
	assert_pattern(&buzzer, 1, buzzer_end, 3, "session end buzzer");

	readings_read(f, r);
	for (size_t k = 0; k < r->n; k++) {
		if (!r->end_session[k])
			continue;
		n_end++;
		end_mono = r->mono[k];
		end_ts = r->ts[k];
	}
	assert_int_equal(n_end, 1);
	/* The next reading after the press was noticed. */
	if (end_mono < led.e[1].mono - latency_s() ||
	    end_mono > led.e[1].mono + SAMPLE_S + latency_s())
		fail_msg("end_session on the reading at %.3f, the press was noticed at %.3f", end_mono,
			 led.e[1].mono);

	text = harness_read_file(f->env.sub_out);
	assert_non_null(text);
	for (line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		if (strncmp(line, "rollsense/ball/event ", 21) == 0 && strstr(line, "\"session_ended\"")) {
			cJSON *j = cJSON_Parse(line + 21);

			assert_non_null(j);
			assert_float_equal(cJSON_GetObjectItem(j, "mono")->valuedouble, end_mono, 0.0015);
			cJSON_Delete(j);
			n_ended++;
		}
		if (strncmp(line, "rollsense/ball/session ", 23) == 0) {
			n_sessions++;
			cJSON_Delete(session);
			session = cJSON_Parse(line + 23);
			assert_non_null(session);
		}
	}
	free(text);
	assert_int_equal(n_ended, 1);
	/* One session, from the first contact to the press: still pressed
	 * after it, the tool starts no new one. */
	assert_int_equal(n_sessions, 1);
	assert_float_equal(cJSON_GetObjectItem(session, "end")->valuedouble, end_ts, 0.0015);
	assert_true(cJSON_GetObjectItem(session, "start")->valuedouble < end_ts - 10);
	assert_int_equal(cJSON_GetObjectItem(session, "hold_count")->valuedouble, 0);
	cJSON_Delete(session);
	free(r);
}

/* A double press steps to the next zone: from lower_back (5th of 7, set
 * over MQTT) to hip_left, the 6th. The LED blinks 6 as feedback.h's table
 * says (five 200 ms blinks 300 ms apart, a 1 s pause, one more), the
 * buzzer ticks once, no tare happens, the retained zone topic and the
 * readings after it name hip_left. */
static void test_double_press_next_zone(void **state)
{
	static const char scenario[] =
		"end 90\n"
		"chip ball bmp280 0x76 sealed\n"
		"at 0 ball temperature_c 22\n";
	static const unsigned led_zone6[] = { 200, 300, 200, 300, 200, 300, 200, 300, 200, 1000, 200 };
	static const unsigned buzzer_zone[] = { 50 };
	struct fixture *f = *state;
	struct edges led, buzzer;
	char *text, *line, *save = NULL;
	size_t after = 0;
	pid_t pid;

	write_config_extra(f, scenario,
		"zones=[\"neck\", \"shoulder_left\", \"shoulder_right\", \"upper_back\", \"lower_back\", "
		"{\"name\": \"hip_left\", \"label\": \"Left hip\"}, \"hip_right\"]\n");
	pid = harness_env_start(&f->env, "rollsense-sensord", f->env.sensord_log);
	assert_true(harness_wait_file_contains(f->env.sensord_log, "mqtt: connected", 10));
	assert_int_equal(harness_publish(&f->env.broker, "rollsense/ball/command",
					 "{\"zone\":\"lower_back\"}", false), 0);
	assert_true(harness_wait_file_contains(f->env.sub_out, "rollsense/ball/zone {\"zone\":\"lower_back\"", 5));
	/* Two 100 ms presses, 150 ms apart: well inside the 0.4 s. */
	button(f, true);
	harness_sleep(0.1);
	button(f, false);
	harness_sleep(0.15);
	button(f, true);
	harness_sleep(0.1);
	button(f, false);
	assert_true(harness_wait_file_contains(f->env.sensord_log, "button: double press: next zone", 2));
	assert_true(harness_wait_file_contains(f->env.sensord_log, "zone: lower_back -> hip_left (button)", 1));
	assert_true(harness_wait_file_contains(f->env.sub_out,
		"rollsense/ball/zone {\"zone\":\"hip_left\",\"label\":\"Left hip\",\"position\":6,\"of\":7}", 5));
	harness_assert_exit_ok("sensord", f->env.sensord_log, harness_wait(pid, 60));
	harness_sleep(0.3);
	text = harness_read_file(f->env.sensord_log);
	assert_non_null(text);
	assert_null(strstr(text, "tare (button: short press)"));
	free(text);

	edges_read(f, "led.log", &led);
	edges_read(f, "buzzer.log", &buzzer);
	assert_int_equal(led.n, 1 + 12);
	assert_int_equal(buzzer.n, 1 + 2);
	assert_pattern(&led, 1, led_zone6, 11, "zone 6 LED");
	assert_pattern(&buzzer, 1, buzzer_zone, 1, "zone buzzer");
	/* The tick starts with the first blink: within the sample that drove
	 * both, and the loop's latency (scheduling on a busy machine). */
	assert_true(fabs(buzzer.e[1].mono - led.e[1].mono) < SAMPLE_S + latency_s());

	/* The readings sampled after the press was noticed (the LED's first
	 * edge, plus a sample period and the loop's latency) name hip_left. */
	text = harness_read_file(f->env.sub_out);
	assert_non_null(text);
	for (line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		cJSON *j, *z;

		if (strncmp(line, "rollsense/ball/reading ", 23) != 0)
			continue;
		j = cJSON_Parse(line + 23);
		assert_non_null(j);
		z = cJSON_GetObjectItem(j, "zone");
		if (cJSON_GetObjectItem(j, "mono")->valuedouble > led.e[1].mono + SAMPLE_S + latency_s()) {
			after++;
			if (!cJSON_IsString(z) || strcmp(z->valuestring, "hip_left") != 0)
				fail_msg("a reading after the double press: %s", line + 23);
		}
		cJSON_Delete(j);
	}
	free(text);
	assert_true(after > 100);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		IT_TEST(test_hold_patterns),
		IT_TEST(test_short_press_tares),
		IT_TEST(test_tare_refused_under_load),
		IT_TEST(test_long_press_ends_session),
		IT_TEST(test_double_press_next_zone),
	};

	tests_select();
	return cmocka_run_group_tests_name("it_feedback", tests, NULL, NULL);
}
