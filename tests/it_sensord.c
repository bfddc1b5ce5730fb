/* Integration: the real rollsense-sensord on simulated chips, publishing to a
 * real mosquitto on loopback, read back with mosquitto_sub. */
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
#include "reading.h"
#include "sim/sim.h"

#define MAX_SEQ 20000

struct fixture {
	struct harness_env env;	/* first; the subscriber takes rollsense/# */
};

/* A scenario: a sealed ball pressed to 15 kPa from 5 to 12 s, a pad at 30 °C
 * warming to 40 °C from 4 to 14 s. */
static const char scenario_text[] =
	"end %g\n"
	"chip ball bmp280 0x76 sealed\n"
	"chip pad mcp9808 0x18\n"
	"at 0 ball temperature_c 22\n"
	"at 0 pad temperature_c 30\n"
	"ramp 5 6 ball load_kpa 15\n"
	"at 12 ball load_kpa 15\n"
	"ramp 12 13 ball load_kpa 0\n"
	"ramp 4 14 pad temperature_c 40\n";

/* The scenario, ending at end_s, and the configuration; extra holds more
 * override lines for harness_write_config. */
static void write_config_extra(struct fixture *f, const char *device, double end_s, double scale,
			       const char *confirm, bool exit_at_end, const char *extra)
{
	harness_write_file(f->env.scn, scenario_text, end_s);
	assert_int_equal(harness_write_config(&f->env,
					      "device_id=\"%s\"\n"
					      "sensord.confirm=\"%s\"\n"
					      "sensord.simulation.time_scale=%g\n"
					      "sensord.simulation.exit_at_end=%s\n%s",
					      device, confirm, scale, exit_at_end ? "true" : "false",
					      extra),
			 0);
}

static void write_config(struct fixture *f, const char *device, double end_s, double scale,
			 const char *confirm, bool exit_at_end)
{
	write_config_extra(f, device, end_s, scale, confirm, exit_at_end, "");
}

static int setup(void **state)
{
	*state = harness_fixture_new(sizeof(struct fixture), "it-sensord", "rollsense/#");
	return *state ? 0 : -1;
}

static int teardown(void **state)
{
	harness_fixture_free(*state);
	return 0;
}

static pid_t start_sensord(struct fixture *f)
{
	char *argv[] = { (char *)harness_bin("rollsense-sensord"), "--config", f->env.cfg, NULL };

	return harness_spawn(f->env.sensord_log, argv);
}

struct seen {
	int count[MAX_SEQ + 1];	/* times each seq arrived, per run index */
	uint64_t max_seq;
	bool in_order;
	uint64_t last_seq;
	size_t lines;
	char run[8][READING_RUN_LEN + 1];
	size_t n_runs;
};

/* Reads mosquitto_sub's "topic payload" lines for DEVICE's readings. When
 * run_filter is set, only that run counts. Checks every reading's values
 * against the scenario's ground truth at its mono time. */
static void collect(const struct fixture *f, const char *device, struct seen *s, bool check_values)
{
	char topic[128], *text, *line, *save = NULL;
	struct sim_scenario *scn;
	char err[256];

	memset(s, 0, sizeof(*s));
	s->in_order = true;
	snprintf(topic, sizeof(topic), "rollsense/%s/reading ", device);
	text = harness_read_file(f->env.sub_out);
	assert_non_null(text);
	scn = sim_scenario_load(f->env.scn, err, sizeof(err));
	assert_non_null(scn);
	for (line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		cJSON *j, *run, *seq, *mono, *p, *t;
		size_t ri;

		if (strncmp(line, topic, strlen(topic)) != 0)
			continue;
		j = cJSON_Parse(line + strlen(topic));
		assert_non_null(j);
		run = cJSON_GetObjectItemCaseSensitive(j, "run");
		seq = cJSON_GetObjectItemCaseSensitive(j, "seq");
		mono = cJSON_GetObjectItemCaseSensitive(j, "mono");
		p = cJSON_GetObjectItemCaseSensitive(j, "pressure_kpa");
		t = cJSON_GetObjectItemCaseSensitive(j, "temperature_c");
		assert_true(cJSON_IsString(run) && strlen(run->valuestring) == 16);
		assert_true(cJSON_IsNumber(seq) && cJSON_IsNumber(mono));
		assert_non_null(cJSON_GetObjectItemCaseSensitive(j, "ts"));
		for (ri = 0; ri < s->n_runs; ri++)
			if (strcmp(s->run[ri], run->valuestring) == 0)
				break;
		if (ri == s->n_runs) {
			assert_true(s->n_runs < 8);
			snprintf(s->run[s->n_runs++], sizeof(s->run[0]), "%s", run->valuestring);
		}
		if (ri == s->n_runs - 1) {	/* order within the newest run */
			if ((uint64_t)seq->valuedouble < s->last_seq)
				s->in_order = false;
			s->last_seq = (uint64_t)seq->valuedouble;
		}
		assert_true(seq->valuedouble >= 1 && seq->valuedouble <= MAX_SEQ / 4);
		s->count[(size_t)seq->valuedouble + ri * (MAX_SEQ / 4)]++;
		if ((uint64_t)seq->valuedouble > s->max_seq)
			s->max_seq = (uint64_t)seq->valuedouble;
		s->lines++;
		if (check_values) {
			double load, temp, m = mono->valuedouble;

			/* Ground truth: the scenario's applied load and the pad's
			 * temperature at that time; the chips' resolution and the
			 * sample instant's jitter (a 1 kPa/0.1 s ramp edge) bound
			 * the difference away from edges. */
			assert_true(cJSON_IsNumber(p) && cJSON_IsNumber(t));
			assert_int_equal(sim_scenario_value(scn, "ball", "load_kpa", m, &load), 0);
			assert_int_equal(sim_scenario_value(scn, "pad", "temperature_c", m, &temp), 0);
			if (fabs(m - 5.5) > 0.7 && fabs(m - 12.5) > 0.7) {
				if (fabs(p->valuedouble - load) > 0.1)
					fail_msg("mono %.3f: pressure_kpa %.3f, scenario %.3f", m, p->valuedouble, load);
			}
			if (fabs(t->valuedouble - temp) > 0.2)
				fail_msg("mono %.3f: temperature_c %.3f, scenario %.3f", m, t->valuedouble, temp);
		}
		cJSON_Delete(j);
	}
	sim_scenario_free(scn);
	free(text);
}

/* Every reading of a scripted run arrives, in order, with no gap in seq, and
 * each value matches the script. */
static void test_every_reading_arrives(void **state)
{
	struct fixture *f = *state;
	struct seen s;

	write_config(f, "ball1", 20, 10, "broker", true);
	harness_assert_exit_ok("sensord", f->env.sensord_log, harness_wait(start_sensord(f), 60));
	harness_sleep(0.3);
	collect(f, "ball1", &s, true);
	assert_int_equal(s.n_runs, 1);
	/* 20 s at 10 Hz: ticks 0.0 .. 19.9 (or 20.0) */
	assert_in_range(s.max_seq, 200, 201);
	for (uint64_t q = 1; q <= s.max_seq; q++)
		if (s.count[q] != 1)
			fail_msg("seq %llu arrived %d times", (unsigned long long)q, s.count[q]);
	assert_true(s.in_order);
	assert_true(harness_wait_file_contains(f->env.sub_out, "rollsense/ball1/status online", 1));
}

/* The broker stops for 3 s mid-run and comes back: every reading still
 * arrives (duplicates allowed, gaps not). */
static void test_broker_outage(void **state)
{
	struct fixture *f = *state;
	struct seen s;
	pid_t pid;

	write_config(f, "ball2", 60, 5, "broker", true);
	pid = start_sensord(f);
	harness_sleep(3);
	broker_stop(&f->env.broker);
	harness_sleep(3);
	assert_int_equal(broker_restart(&f->env.broker), 0);
	harness_assert_exit_ok("sensord", f->env.sensord_log, harness_wait(pid, 90));
	harness_sleep(1);
	collect(f, "ball2", &s, true);
	assert_int_equal(s.n_runs, 1);
	assert_in_range(s.max_seq, 600, 601);
	for (uint64_t q = 1; q <= s.max_seq; q++)
		if (s.count[q] < 1)
			fail_msg("seq %llu never arrived", (unsigned long long)q);
}

/* sensord is stopped and started again while the broker is down: both runs'
 * readings arrive once the broker is back. */
static void test_restart_during_outage(void **state)
{
	struct fixture *f = *state;
	struct seen s;
	pid_t pid;

	write_config(f, "ball3", 600, 5, "broker", false);
	pid = start_sensord(f);
	harness_sleep(2);
	broker_stop(&f->env.broker);
	harness_sleep(2);
	harness_assert_exit_ok("sensord", f->env.sensord_log, harness_stop(pid, SIGTERM, 10));
	/* The second run ends by itself at 10 s of scenario time. */
	write_config(f, "ball3", 10, 5, "broker", true);
	pid = start_sensord(f);
	harness_sleep(1);
	assert_int_equal(broker_restart(&f->env.broker), 0);
	harness_assert_exit_ok("sensord", f->env.sensord_log, harness_wait(pid, 90));
	harness_sleep(1);
	collect(f, "ball3", &s, false);
	assert_int_equal(s.n_runs, 2);
	for (size_t ri = 0; ri < 2; ri++) {
		uint64_t max = 0;

		for (uint64_t q = 1; q < MAX_SEQ / 4; q++)
			if (s.count[q + ri * (MAX_SEQ / 4)])
				max = q;
		assert_true(max >= 20);
		for (uint64_t q = 1; q <= max; q++)
			if (s.count[q + ri * (MAX_SEQ / 4)] < 1)
				fail_msg("run %s seq %llu never arrived", s.run[ri], (unsigned long long)q);
	}
}

/* With confirm "collector", readings stay in the outbox until an
 * acknowledgement covers them: without one sensord keeps waiting; an ack on
 * <prefix>/<device>/ack for the last seq lets it finish. */
static void test_waits_for_collector_ack(void **state)
{
	struct fixture *f = *state;
	char ack[128];
	struct seen s;
	pid_t pid;

	write_config(f, "ball4", 5, 5, "collector", true);
	pid = start_sensord(f);
	assert_true(harness_wait_file_contains(f->env.sensord_log, "waiting for confirmation", 20));
	harness_sleep(1);
	assert_int_equal(harness_wait(pid, 0.5), -1);	/* still running: nothing acked */
	collect(f, "ball4", &s, false);
	assert_int_equal(s.n_runs, 1);
	assert_in_range(s.max_seq, 50, 51);
	/* Acks that cannot be are ignored, counted and logged: one beyond
	 * the readings this run made (it would confirm readings not made
	 * yet, or never sent), one for a run this sensord never had. */
	snprintf(ack, sizeof(ack), "{\"run\":\"%s\",\"seq\":1000000000000000}", s.run[0]);
	assert_int_equal(harness_publish(&f->env.broker, "rollsense/ball4/ack", ack, true), 0);
	assert_true(harness_wait_file_contains(f->env.sensord_log, "ignoring an acknowledgement of run", 5));
	assert_true(harness_wait_file_contains(f->env.sensord_log, "up to seq 1000000000000000: that run made only", 1));
	harness_sleep(1);
	assert_int_equal(harness_wait(pid, 0.5), -1);	/* nothing was confirmed */
	/* An ack for part of the run is not enough. */
	snprintf(ack, sizeof(ack), "{\"run\":\"%s\",\"seq\":%llu}", s.run[0],
		 (unsigned long long)s.max_seq - 10);
	assert_int_equal(harness_publish(&f->env.broker, "rollsense/ball4/ack", ack, true), 0);
	harness_sleep(1);
	assert_int_equal(harness_wait(pid, 0.5), -1);
	snprintf(ack, sizeof(ack), "{\"run\":\"%s\",\"seq\":%llu}", s.run[0],
		 (unsigned long long)s.max_seq);
	assert_int_equal(harness_publish(&f->env.broker, "rollsense/ball4/ack", ack, true), 0);
	harness_assert_exit_ok("sensord", f->env.sensord_log, harness_wait(pid, 10));
	assert_true(harness_wait_file_contains(f->env.sensord_log, "readings confirmed", 1));
}

/* Chip faults on the simulated bus: a NACK burst on the barometer, the
 * thermometer off the bus (back in its power-on state), the barometer's
 * results frozen. During each, the channel is null with a fault naming the
 * chip, never a stale value; within 1 s of the chip answering properly again
 * the readings are back. */
static void test_chip_faults(void **state)
{
	static const char faults_scn[] =
		"end 36\n"
		"chip ball bmp280 0x76 sealed\n"
		"chip pad mcp9808 0x18\n"
		"at 0 pad temperature_c 30\n"
		"ramp 2 34 pad temperature_c 38\n"
		"fault 5 8 ball nack\n"
		"fault 12 15 pad absent\n"
		"fault 20 28 ball stuck\n";
	struct fixture *f = *state;
	char *text, *line, *save = NULL;
	double first_back[3] = { -1, -1, -1 }, stuck_from = -1;
	size_t nulls[3] = { 0 }, stale = 0;

	write_config(f, "ball5", 36, 5, "broker", true);
	harness_write_file(f->env.scn, "%s", faults_scn);
	harness_assert_exit_ok("sensord", f->env.sensord_log, harness_wait(start_sensord(f), 60));
	harness_sleep(0.3);
	text = harness_read_file(f->env.sub_out);
	assert_non_null(text);
	for (line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		cJSON *j, *p, *t, *faults;
		const cJSON *fb, *fp;
		double m;

		if (strncmp(line, "rollsense/ball5/reading ", 24) != 0)
			continue;
		j = cJSON_Parse(line + 24);
		assert_non_null(j);
		m = cJSON_GetObjectItem(j, "mono")->valuedouble;
		p = cJSON_GetObjectItem(j, "pressure_kpa");
		t = cJSON_GetObjectItem(j, "temperature_c");
		faults = cJSON_GetObjectItem(j, "faults");
		fb = faults ? cJSON_GetObjectItem(faults, "bmp280@sim:0x76") : NULL;
		fp = faults ? cJSON_GetObjectItem(faults, "mcp9808@sim:0x18") : NULL;
		/* null and a fault always go together */
		assert_true(cJSON_IsNull(p) == (fb != NULL));
		assert_true(cJSON_IsNull(t) == (fp != NULL));
		if (m >= 5.05 && m < 7.95) {
			assert_true(cJSON_IsNull(p));
			assert_string_equal(fb->valuestring, "no answer (NACK)");
			nulls[0]++;
		}
		if (m >= 8 && !cJSON_IsNull(p) && first_back[0] < 0)
			first_back[0] = m;
		if (m >= 12.05 && m < 14.95) {
			assert_true(cJSON_IsNull(t));
			assert_string_equal(fp->valuestring, "no answer (NACK)");
			nulls[1]++;
		}
		if (m >= 15 && !cJSON_IsNull(t) && first_back[1] < 0)
			first_back[1] = m;
		if (m >= 20 && m < 28) {
			if (cJSON_IsNull(p)) {
				assert_non_null(strstr(fb->valuestring, "stuck"));
				if (stuck_from < 0)
					stuck_from = m;
				nulls[2]++;
			} else if (stuck_from >= 0) {
				stale++;	/* a frozen value after it was known frozen */
			}
		}
		if (m >= 28 && !cJSON_IsNull(p) && first_back[2] < 0)
			first_back[2] = m;
		/* Outside the windows everything is there. */
		if ((m < 4.9 || (m > 9 && m < 11.9) || (m > 16 && m < 19.9) || m > 29.5)) {
			assert_false(cJSON_IsNull(p));
			assert_false(cJSON_IsNull(t));
		}
		cJSON_Delete(j);
	}
	free(text);
	assert_true(nulls[0] >= 28 && nulls[1] >= 28);
	for (int i = 0; i < 3; i++)
		if (first_back[i] < 0)
			fail_msg("fault %d: no reading came back", i);
	assert_true(first_back[0] <= 8 + 1.0);
	assert_true(first_back[1] <= 15 + 1.0);
	assert_true(first_back[2] <= 28 + 1.0);
	/* Frozen for 20 samples (2 s at 10 Hz) before it can be told. */
	assert_true(stuck_from > 20 && stuck_from <= 22.1);
	assert_int_equal(stale, 0);
	assert_true(nulls[2] >= 55);
	assert_true(harness_wait_file_contains(f->env.sensord_log, "bmp280@sim:0x76: answering again", 1));
}

/* A gyroscope: every reading carries rotation_dps, the magnitude over x, y,
 * z less the zero-rate offset sensord measured in its first still second.
 * The scenario's offset is (1.5, -2, 0.7) °/s (2.6 °/s of phantom turning);
 * the tool turns at 40 °/s about y from 4 to 6 s (gravity turning with it)
 * and the gyro NACKs from 8 to 9 s: null with its fault, never stale. */
static void test_rotation_on_the_wire(void **state)
{
	static const char imu_scn[] =
		"end 12\n"
		"chip ball bmp280 0x76 sealed\n"
		"chip pad mcp9808 0x18\n"
		"chip imu mpu6050 0x68\n"
		"at 0 imu zro_x_dps 1.5\n"
		"at 0 imu zro_y_dps -2\n"
		"at 0 imu zro_z_dps 0.7\n"
		"at 4 imu gyro_y_dps 40\n"
		"ramp 4 6 imu accel_x_g 0.985\n"
		"ramp 4 6 imu accel_z_g 0.174\n"
		"at 6 imu gyro_y_dps 0\n"
		"fault 8 9 imu nack\n";
	struct fixture *f = *state;
	char *text, *line, *save = NULL;
	size_t still = 0, turning = 0, nulls = 0, readings = 0;

	write_config_extra(f, "ball8", 12, 5, "broker", true,
			   "sensord.sensors=[{\"driver\": \"bmp280\", \"bus\": \"sim\", \"address\": \"0x76\", "
			   "\"provides\": [\"pressure_kpa\"]}, {\"driver\": \"mcp9808\", \"bus\": \"sim\", "
			   "\"address\": \"0x18\", \"provides\": [\"temperature_c\"]}, {\"driver\": \"mpu6050\", "
			   "\"bus\": \"sim\", \"address\": \"0x68\", \"provides\": [\"rotation_dps\"]}]\n");
	harness_write_file(f->env.scn, "%s", imu_scn);
	harness_assert_exit_ok("sensord", f->env.sensord_log, harness_wait(start_sensord(f), 60));
	harness_sleep(0.3);
	text = harness_read_file(f->env.sub_out);
	assert_non_null(text);
	for (line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		struct reading r;
		bool imu_fault = false;

		if (strncmp(line, "rollsense/ball8/reading ", 24) != 0)
			continue;
		/* What the collector will decode. */
		assert_int_equal(reading_decode(line + 24, strlen(line + 24), &r), READING_OK);
		assert_true(r.has_rotation);
		readings++;
		for (size_t i = 0; i < r.n_faults; i++)
			imu_fault |= strcmp(r.faults[i].sensor, "mpu6050@sim:0x68") == 0;
		/* null and the gyro's fault always go together */
		assert_true(isnan(r.rotation_dps) == imu_fault);
		if ((r.mono >= 1.1 && r.mono < 3.95) || (r.mono >= 6.1 && r.mono < 7.95) ||
		    r.mono >= 10) {
			if (!(r.rotation_dps < 0.5))
				fail_msg("mono %.2f: %g deg/s while still", r.mono, r.rotation_dps);
			still++;
		}
		if (r.mono >= 4.05 && r.mono < 5.95) {
			if (!(fabs(r.rotation_dps - 40) < 0.5))
				fail_msg("mono %.2f: %g deg/s while turning at 40", r.mono, r.rotation_dps);
			turning++;
		}
		if (r.mono >= 8.05 && r.mono < 8.95) {
			assert_true(isnan(r.rotation_dps));
			nulls++;
		}
	}
	free(text);
	assert_true(readings >= 100);
	assert_true(still >= 60);
	assert_true(turning >= 15);
	assert_true(nulls >= 8);
	assert_true(harness_wait_file_contains(f->env.sensord_log,
					       "mpu6050@sim:0x68: gyro zero-rate offset ", 1));
}

/* The outbox is bounded: with no collector to confirm anything and room for
 * 50 readings, the oldest go, a log line says how many, and what is kept
 * survives a restart. */
static void test_outbox_bounded(void **state)
{
	struct fixture *f = *state;
	pid_t pid;

	write_config_extra(f, "ball6", 600, 20, "collector", false, "sensord.outbox_max=50\n");
	pid = start_sensord(f);
	assert_true(harness_wait_file_contains(f->env.sensord_log, "outbox full (sensord.outbox_max 50)", 20));
	harness_assert_exit_ok("sensord", f->env.sensord_log, harness_stop(pid, SIGTERM, 10));
	pid = start_sensord(f);
	assert_true(harness_wait_file_contains(f->env.sensord_log,
		"outbox: 50 unconfirmed readings from earlier runs will be sent again", 20));
	harness_assert_exit_ok("sensord", f->env.sensord_log, harness_stop(pid, SIGTERM, 10));
}

/* SIGHUP with a broken file keeps the running configuration; with a good
 * one it takes the new log level. */
static void test_reload(void **state)
{
	struct fixture *f = *state;
	char *text;
	pid_t pid;

	write_config(f, "ball7", 600, 1, "broker", false);
	pid = start_sensord(f);
	assert_true(harness_wait_file_contains(f->env.sensord_log, "mqtt: connected", 10));
	harness_write_file(f->env.cfg, "{ \"device_id\": \"ball7\", \"sensord\": { \"sample_hz\": 0 } }\n");
	kill(pid, SIGHUP);
	assert_true(harness_wait_file_contains(f->env.sensord_log, "reload refused; keeping the running configuration", 5));
	text = harness_read_file(f->env.sensord_log);
	assert_non_null(strstr(text, "sensord.sample_hz: "));
	free(text);
	assert_int_equal(harness_wait(pid, 0.5), -1);	/* still running */
	write_config(f, "ball7", 600, 1, "broker", false);
	kill(pid, SIGHUP);
	assert_true(harness_wait_file_contains(f->env.sensord_log, "reload done", 5));
	/* The same settings: nothing waits for a restart. */
	assert_false(harness_wait_file_contains(f->env.sensord_log, "next restart", 0.2));
	/* Home Assistant switched off: taken at the next start, and said so. */
	write_config_extra(f, "ball7", 600, 1, "broker", false, "homeassistant.enabled=false\n");
	kill(pid, SIGHUP);
	assert_true(harness_wait_file_contains(f->env.sensord_log, "reload: device, MQTT, chip, state_dir, feedback or "
					       "Home Assistant changes take effect at the next restart", 5));
	harness_assert_exit_ok("sensord", f->env.sensord_log, harness_stop(pid, SIGTERM, 10));
}

/* ---- zones ---- */

#define ZONES_3 "zones=[\"neck\", {\"name\": \"calf_left\", \"label\": \"Left calf\"}, \"calf_right\"]\n"

/* The zone topic's payloads, as docs/protocol.md writes them. */
#define ZONE_NONE_OF(n) "rollsense/ball8/zone {\"zone\":null,\"label\":null,\"position\":0,\"of\":" #n "}"
#define ZONE_CALF_LEFT "rollsense/ball8/zone {\"zone\":\"calf_left\",\"label\":\"Left calf\",\"position\":2,\"of\":3}"
#define ZONE_CALF_RIGHT "rollsense/ball8/zone {\"zone\":\"calf_right\",\"label\":\"calf_right\",\"position\":3,\"of\":3}"

static void command(struct fixture *f, const char *payload)
{
	assert_int_equal(harness_publish(&f->env.broker, "rollsense/ball8/command", payload, false), 0);
}

/* The zone of ball8's last reading in sub.out ("" none), and how many of
 * its readings named zone. */
static size_t readings_in_zone(struct fixture *f, const char *zone, char last[ZONE_NAME_MAX + 1])
{
	static const char topic[] = "rollsense/ball8/reading ";
	char *text, *line, *save = NULL;
	size_t n = 0;

	last[0] = '\0';
	text = harness_read_file(f->env.sub_out);
	assert_non_null(text);
	for (line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		cJSON *j, *z;

		if (strncmp(line, topic, strlen(topic)) != 0)
			continue;
		j = cJSON_Parse(line + strlen(topic));
		assert_non_null(j);
		z = cJSON_GetObjectItemCaseSensitive(j, "zone");
		if (z)
			assert_true(cJSON_IsString(z));	/* only written when set */
		snprintf(last, ZONE_NAME_MAX + 1, "%s", z ? z->valuestring : "");
		if (z && strcmp(z->valuestring, zone) == 0)
			n++;
		cJSON_Delete(j);
	}
	free(text);
	return n;
}

/* The command topic sets and clears the zone: the retained zone topic
 * follows, and the readings carry it. Malformed commands are refused with
 * their reason, counted, and change nothing; a tare in JSON tares. */
static void test_zone_commands(void **state)
{
	struct fixture *f = *state;
	char last[ZONE_NAME_MAX + 1];
	pid_t pid;

	write_config_extra(f, "ball8", 600, 1, "broker", false, ZONES_3);
	pid = start_sensord(f);
	/* At start (nothing saved): none, of three. */
	assert_true(harness_wait_file_contains(f->env.sub_out, ZONE_NONE_OF(3), 10));
	assert_true(harness_wait_file_count(f->env.sub_out, "rollsense/ball8/reading ", 5, 10));
	assert_int_equal(readings_in_zone(f, "calf_left", last), 0);
	assert_string_equal(last, "");

	command(f, "{\"zone\":\"calf_left\"}");
	assert_true(harness_wait_file_contains(f->env.sub_out, ZONE_CALF_LEFT, 5));
	assert_true(harness_wait_file_contains(f->env.sensord_log, "zone: none -> calf_left (MQTT command)", 5));
	harness_sleep(0.5);	/* five readings at 10 Hz */
	assert_true(readings_in_zone(f, "calf_left", last) >= 3);
	assert_string_equal(last, "calf_left");

	/* Refused: each with its reason, and the zone stays. */
	command(f, "{\"zone\":\"hip_left\"}");
	command(f, "calf_right");
	command(f, "{\"zones\":\"calf_right\"}");
	command(f, "{\"zone\":3}");
	assert_true(harness_wait_file_count(f->env.sensord_log, "mqtt: command on rollsense/ball8/command refused: ", 4, 5));
	assert_true(harness_wait_file_contains(f->env.sensord_log, "refused: \"zone\": hip_left is not in the configuration's zones (1 refused so far)", 1));
	assert_true(harness_wait_file_contains(f->env.sensord_log, "refused: neither \"tare\" nor JSON (2 refused", 1));
	assert_true(harness_wait_file_contains(f->env.sensord_log, "refused: unknown key (known: zone, command) (3 refused", 1));
	assert_true(harness_wait_file_contains(f->env.sensord_log, "refused: \"zone\" must be a zone name, \"none\" or null (4 refused", 1));
	harness_sleep(0.3);
	assert_int_equal(harness_file_count(f->env.sub_out, "rollsense/ball8/zone "), 2);
	assert_int_equal(readings_in_zone(f, "calf_left", last) > 0, 1);
	assert_string_equal(last, "calf_left");

	command(f, "{\"command\":\"tare\"}");
	assert_true(harness_wait_file_contains(f->env.sensord_log, "tare requested over MQTT", 5));
	command(f, "{\"zone\":null}");
	assert_true(harness_wait_file_count(f->env.sub_out, ZONE_NONE_OF(3), 2, 5));
	command(f, "{\"zone\":\"calf_left\"}");
	assert_true(harness_wait_file_count(f->env.sub_out, ZONE_CALF_LEFT, 2, 5));
	command(f, "{\"zone\":\"none\"}");
	assert_true(harness_wait_file_count(f->env.sub_out, ZONE_NONE_OF(3), 3, 5));
	harness_sleep(0.5);
	(void)readings_in_zone(f, "calf_left", last);
	assert_string_equal(last, "");
	harness_assert_exit_ok("sensord", f->env.sensord_log, harness_stop(pid, SIGTERM, 10));
	/* The count, in the health line at exit. */
	assert_true(harness_wait_file_contains(f->env.sensord_log, "commands refused 4", 1));
}

/* The zone outlives a restart (the state file), is dropped at start when
 * the configuration no longer lists it, and is cleared by a reload that
 * removes it. */
static void test_zone_kept(void **state)
{
	struct fixture *f = *state;
	char path[400], *text;
	pid_t pid;

	write_config_extra(f, "ball8", 600, 1, "broker", false, ZONES_3);
	pid = start_sensord(f);
	assert_true(harness_wait_file_contains(f->env.sub_out, ZONE_NONE_OF(3), 10));
	command(f, "{\"zone\":\"calf_right\"}");
	assert_true(harness_wait_file_contains(f->env.sub_out, ZONE_CALF_RIGHT, 5));
	harness_assert_exit_ok("sensord", f->env.sensord_log, harness_stop(pid, SIGTERM, 10));
	harness_env_path(&f->env, "state/zone", path, sizeof(path));
	text = harness_read_file(path);
	assert_non_null(text);
	assert_string_equal(text, "calf_right\n");
	free(text);

	/* Restarted: the same zone, published again at connect. */
	pid = start_sensord(f);
	assert_true(harness_wait_file_count(f->env.sub_out, ZONE_CALF_RIGHT, 2, 10));
	assert_true(harness_wait_file_contains(f->env.sensord_log, "zone: calf_right, as the last run left it", 1));
	harness_assert_exit_ok("sensord", f->env.sensord_log, harness_stop(pid, SIGTERM, 10));

	/* calf_right gone from the list: dropped at start, with a log line. */
	write_config_extra(f, "ball8", 600, 1, "broker", false,
			   "zones=[\"neck\", {\"name\": \"calf_left\", \"label\": \"Left calf\"}]\n");
	pid = start_sensord(f);
	assert_true(harness_wait_file_contains(f->env.sub_out, ZONE_NONE_OF(2), 10));
	assert_true(harness_wait_file_contains(f->env.sensord_log, "zone: calf_right (saved in ", 1));
	assert_true(harness_wait_file_contains(f->env.sensord_log, "is no longer in the configuration's zones; dropped", 1));

	/* A reload that removes the current zone clears it. */
	command(f, "{\"zone\":\"calf_left\"}");
	assert_true(harness_wait_file_contains(f->env.sub_out,
		"rollsense/ball8/zone {\"zone\":\"calf_left\",\"label\":\"Left calf\",\"position\":2,\"of\":2}", 5));
	write_config_extra(f, "ball8", 600, 1, "broker", false, "zones=[\"neck\"]\n");
	kill(pid, SIGHUP);
	assert_true(harness_wait_file_contains(f->env.sub_out, ZONE_NONE_OF(1), 5));
	assert_true(harness_wait_file_contains(f->env.sensord_log, "zone: calf_left -> none (reload)", 1));
	assert_false(harness_wait_file_contains(f->env.sensord_log, "next restart", 0.2));
	harness_assert_exit_ok("sensord", f->env.sensord_log, harness_stop(pid, SIGTERM, 10));
	text = harness_read_file(path);
	assert_non_null(text);
	assert_string_equal(text, "");
	free(text);
}

/* sensord's own detector knows the zone: the live events of a hold made
 * on calf_left name it, as the collector's will. A 15 kPa hold from 30 to
 * 45 s of the scenario (10 times real time), the zone set well before. */
static void test_zone_in_live_events(void **state)
{
	static const char scenario[] =
		"end 60\n"
		"chip ball bmp280 0x76 sealed\n"
		"chip pad mcp9808 0x18\n"
		"at 0 ball temperature_c 22\n"
		"at 0 pad temperature_c 30\n"
		"ramp 30 30.5 ball load_kpa 15\n"
		"at 45 ball load_kpa 15\n"
		"ramp 45 45.5 ball load_kpa 0\n";
	struct fixture *f = *state;
	char *text, *line, *save = NULL;
	size_t started = 0, ended = 0;
	pid_t pid;

	harness_write_file(f->env.scn, "%s", scenario);
	assert_int_equal(harness_write_config(&f->env, "device_id=\"ball8\"\nsensord.confirm=\"broker\"\n"
					      "sensord.simulation.time_scale=10\n" ZONES_3), 0);
	pid = start_sensord(f);
	assert_true(harness_wait_file_contains(f->env.sub_out, ZONE_NONE_OF(3), 10));
	command(f, "{\"zone\":\"calf_left\"}");
	assert_true(harness_wait_file_contains(f->env.sub_out, ZONE_CALF_LEFT, 2));
	harness_assert_exit_ok("sensord", f->env.sensord_log, harness_wait(pid, 60));
	harness_sleep(0.3);
	text = harness_read_file(f->env.sub_out);
	assert_non_null(text);
	for (line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		cJSON *j, *hold;

		if (strncmp(line, "rollsense/ball8/event ", 22) != 0)
			continue;
		j = cJSON_Parse(line + 22);
		assert_non_null(j);
		hold = cJSON_GetObjectItemCaseSensitive(j, "hold");
		if (cJSON_IsObject(hold) && cJSON_IsString(cJSON_GetObjectItemCaseSensitive(hold, "class"))) {
			const cJSON *z = cJSON_GetObjectItemCaseSensitive(hold, "zone");

			if (!cJSON_IsString(z) || strcmp(z->valuestring, "calf_left") != 0)
				fail_msg("a hold without calf_left: %s", line + 22);
			if (strstr(line, "\"event\":\"hold_started\""))
				started++;
			if (strstr(line, "\"event\":\"hold_ended\""))
				ended++;
		}
		cJSON_Delete(j);
	}
	free(text);
	assert_int_equal(started, 1);
	assert_int_equal(ended, 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		IT_TEST(test_every_reading_arrives),
		IT_TEST(test_broker_outage),
		IT_TEST(test_restart_during_outage),
		IT_TEST(test_waits_for_collector_ack),
		IT_TEST(test_chip_faults),
		IT_TEST(test_rotation_on_the_wire),
		IT_TEST(test_outbox_bounded),
		IT_TEST(test_reload),
		IT_TEST(test_zone_commands),
		IT_TEST(test_zone_kept),
		IT_TEST(test_zone_in_live_events),
	};

	tests_select();
	return cmocka_run_group_tests_name("it_sensord", tests, NULL, NULL);
}
