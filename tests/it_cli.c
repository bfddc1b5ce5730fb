/* Integration: the command line of the real binaries, without a broker:
 * --once, --check-config, --help, --version, configuration errors and
 * report's errors. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "select.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cJSON.h>

#include "harness.h"
#include "store.h"

struct run_result {
	int status;	/* exit code, or -1 */
	char *out;	/* stdout and stderr together */
};

static struct run_result run(const char *dir, char *const argv[])
{
	struct run_result r;
	char log[512];

	snprintf(log, sizeof(log), "%s/run.log", dir);
	remove(log);
	r.status = harness_run(log, argv, 30);
	r.out = harness_read_file(log);
	return r;
}

static const char good_scenario[] =
	"chip ball bmp280 0x76 sealed\n"
	"chip pad mcp9808 0x18\n"
	"at 0 ball pressure_pa 98000\n"
	"at 0 ball temperature_c 21.5\n"
	"at 0 pad temperature_c 36.25\n";

static const char config_fmt[] =
	"{\n"
	"  // a comment, allowed\n"
	"  \"device_id\": \"%s\",\n"
	"  \"sensord\": { \"sample_hz\": %s, \"state_dir\": \"state\",\n"
	"    \"sensors\": [\n"
	"      { \"driver\": \"bmp280\", \"bus\": \"sim\", \"address\": \"0x76\", \"provides\": [\"pressure_kpa\"] },\n"
	"      { \"driver\": \"mcp9808\", \"bus\": \"sim\", \"address\": \"0x18\", \"provides\": [\"temperature_c\"] } ],\n"
	"    \"simulation\": { \"scenario\": \"test.scn\" } } }\n";

/* Only the folder and its test.scn: these runs need no broker. */
static struct harness_env env;
static const char *const dir = env.dir;

static int setup(void **state)
{
	(void)state;
	assert_int_equal(harness_env_open_dir(&env, "it-cli"), 0);
	assert_int_equal(harness_write_file(env.scn, "%s", good_scenario), 0);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	harness_env_close(&env);
	return 0;
}

static const char *write_cfg(const char *name, const char *device, const char *hz)
{
	static char path[512];

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	assert_int_equal(harness_write_file(path, config_fmt, device, hz), 0);
	return path;
}

/* --once prints one reading with every chip's absolute values: the
 * scenario's 98000 Pa and 21.5 °C in the ball, 36.25 °C on the pad. */
static void test_once(void **state)
{
	const char *cfg = write_cfg("once.json", "ball1", "10");
	char *argv[] = { (char *)harness_bin("rollsense-sensord"), "--config", (char *)cfg, "--once", NULL };
	struct run_result r;
	cJSON *j, *sensors, *ball, *pad;

	(void)state;
	r = run(dir, argv);
	assert_int_equal(r.status, 0);
	j = cJSON_Parse(r.out);
	if (!j)
		fail_msg("not JSON: %s", r.out);
	assert_true(cJSON_IsString(cJSON_GetObjectItem(j, "run")));
	assert_int_equal(strlen(cJSON_GetObjectItem(j, "run")->valuestring), 16);	/* 64 bits */
	assert_int_equal(cJSON_GetObjectItem(j, "seq")->valuedouble, 1);
	assert_true(cJSON_IsNumber(cJSON_GetObjectItem(j, "mono")));
	assert_true(cJSON_GetObjectItem(j, "ts")->valuedouble > 1.7e9);
	/* Tared on this very sample: the gauge reads zero. */
	assert_true(fabs(cJSON_GetObjectItem(j, "pressure_kpa")->valuedouble) < 0.01);
	assert_true(fabs(cJSON_GetObjectItem(j, "temperature_c")->valuedouble - 36.25) < 0.07);
	sensors = cJSON_GetObjectItem(j, "sensors");
	ball = cJSON_GetObjectItem(sensors, "bmp280@sim:0x76");
	pad = cJSON_GetObjectItem(sensors, "mcp9808@sim:0x18");
	assert_non_null(ball);
	assert_non_null(pad);
	/* BMP280 at x4 oversampling: 18 bits, 0.66 Pa steps [BMP §3.3.1]. */
	assert_true(fabs(cJSON_GetObjectItem(ball, "pressure_pa")->valuedouble - 98000) < 2);
	assert_true(fabs(cJSON_GetObjectItem(ball, "temperature_c")->valuedouble - 21.5) < 0.02);
	assert_true(cJSON_IsNull(cJSON_GetObjectItem(ball, "voltage_v")));
	assert_true(fabs(cJSON_GetObjectItem(pad, "temperature_c")->valuedouble - 36.25) < 0.07);
	assert_true(cJSON_IsNull(cJSON_GetObjectItem(pad, "pressure_pa")));
	cJSON_Delete(j);
	free(r.out);
}

/* A chip that is not there: --once still prints, with null and a fault. */
static void test_once_missing_chip(void **state)
{
	char path[512];
	char *argv[] = { (char *)harness_bin("rollsense-sensord"), "--config", path, "--once", NULL };
	struct run_result r;
	cJSON *j, *faults;

	(void)state;
	snprintf(path, sizeof(path), "%s/missing.json", dir);
	assert_int_equal(harness_write_file(path,
		"{ \"device_id\": \"ball1\", \"sensord\": { \"state_dir\": \"state\", \"sensors\": [\n"
		"  { \"driver\": \"bmp280\", \"bus\": \"sim\", \"address\": \"0x77\", \"provides\": [\"pressure_kpa\"] },\n"
		"  { \"driver\": \"mcp9808\", \"bus\": \"sim\", \"address\": \"0x18\", \"provides\": [\"temperature_c\"] } ],\n"
		"  \"simulation\": { \"scenario\": \"test.scn\" } } }\n"), 0);
	r = run(dir, argv);
	assert_int_equal(r.status, 1);
	j = cJSON_Parse(strchr(r.out, '{'));
	assert_non_null(j);
	assert_true(cJSON_IsNull(cJSON_GetObjectItem(j, "pressure_kpa")));
	assert_true(cJSON_IsNumber(cJSON_GetObjectItem(j, "temperature_c")));
	faults = cJSON_GetObjectItem(j, "faults");
	assert_non_null(faults);
	assert_string_equal(cJSON_GetObjectItem(faults, "bmp280@sim:0x77")->valuestring,
			    "no answer (NACK)");
	cJSON_Delete(j);
	free(r.out);
}

/* A gyroscope: --once shows its raw axes, zero-rate offset included, and
 * the reading's rotation_dps, the magnitude over x, y, z (no zero yet on a
 * first sample): the scenario's (1.5, 0, 30) °/s, |.| = 30.04, and 1 g. */
static void test_once_gyro(void **state)
{
	char path[512], scn[512];
	char *argv[] = { (char *)harness_bin("rollsense-sensord"), "--config", path, "--once", NULL };
	struct run_result r;
	cJSON *j, *imu, *gyro, *accel;

	(void)state;
	snprintf(scn, sizeof(scn), "%s/gyro.scn", dir);
	assert_int_equal(harness_write_file(scn,
		"chip imu mpu6050 0x69\n"
		"noise imu gyro_x_dps 0\nnoise imu gyro_y_dps 0\nnoise imu gyro_z_dps 0\n"
		"noise imu accel_x_g 0\nnoise imu accel_y_g 0\nnoise imu accel_z_g 0\n"
		"at 0 imu zro_x_dps 1.5\n"
		"at 0 imu gyro_z_dps 30\n"), 0);
	snprintf(path, sizeof(path), "%s/gyro.json", dir);
	assert_int_equal(harness_write_file(path,
		"{ \"device_id\": \"ball1\", \"sensord\": { \"state_dir\": \"state\", \"sensors\": [\n"
		"  { \"driver\": \"mpu6050\", \"bus\": \"sim\", \"address\": \"0x69\", \"provides\": [\"rotation_dps\"] } ],\n"
		"  \"simulation\": { \"scenario\": \"gyro.scn\" } } }\n"), 0);
	r = run(dir, argv);
	assert_int_equal(r.status, 0);
	j = cJSON_Parse(r.out);
	if (!j)
		fail_msg("not JSON: %s", r.out);
	assert_true(fabs(cJSON_GetObjectItem(j, "rotation_dps")->valuedouble - 30.04) < 0.02);
	imu = cJSON_GetObjectItem(cJSON_GetObjectItem(j, "sensors"), "mpu6050@sim:0x69");
	assert_non_null(imu);
	gyro = cJSON_GetObjectItem(imu, "gyro_dps");
	accel = cJSON_GetObjectItem(imu, "accel_g");
	assert_int_equal(cJSON_GetArraySize(gyro), 3);
	assert_int_equal(cJSON_GetArraySize(accel), 3);
	/* ±500 °/s by default: 65.5 counts per °/s, within half a count. */
	assert_true(fabs(cJSON_GetArrayItem(gyro, 0)->valuedouble - 1.5) < 0.01);
	assert_true(fabs(cJSON_GetArrayItem(gyro, 1)->valuedouble) < 0.01);
	assert_true(fabs(cJSON_GetArrayItem(gyro, 2)->valuedouble - 30) < 0.01);
	assert_true(fabs(cJSON_GetArrayItem(accel, 2)->valuedouble - 1) < 0.0001);
	assert_true(cJSON_IsNull(cJSON_GetObjectItem(imu, "pressure_pa")));
	cJSON_Delete(j);
	free(r.out);
}

static void test_check_config(void **state)
{
	const char *cfg = write_cfg("ok.json", "roller-1_b", "100");
	char *argv[] = { (char *)harness_bin("rollsense-sensord"), "--config", (char *)cfg, "--check-config", NULL };
	struct run_result r;
	char expect[600];

	(void)state;
	r = run(dir, argv);
	assert_int_equal(r.status, 0);
	snprintf(expect, sizeof(expect), "%s: configuration is valid\n", cfg);
	assert_string_equal(r.out, expect);
	free(r.out);
}

/* A bad config: exit status 2 and "FILE: KEY: what is wrong". */
static void test_config_errors(void **state)
{
	static const struct {
		const char *device, *hz, *needle;
	} cases[] = {
		{ "ball1", "0", "sensord.sample_hz: " },
		{ "ball1", "101", "sensord.sample_hz: " },
		{ "ball1", "\"ten\"", "sensord.sample_hz: " },
		{ "a/b", "10", "device_id: " },
		{ "a+b", "10", "device_id: " },
		{ "a#b", "10", "device_id: " },
		{ "a b", "10", "device_id: " },
	};
	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const char *cfg = write_cfg("bad.json", cases[i].device, cases[i].hz);
		char *argv[] = { (char *)harness_bin("rollsense-sensord"), "--config", (char *)cfg, NULL };
		struct run_result r = run(dir, argv);
		char expect[600];

		snprintf(expect, sizeof(expect), "%s: %s", cfg, cases[i].needle);
		assert_int_equal(r.status, 2);
		if (strncmp(r.out, expect, strlen(expect)) != 0)
			fail_msg("case %zu: expected \"%s...\", got \"%s\"", i, expect, r.out);
		free(r.out);
	}
}

/* report's own errors, exit status 2: two formats at once, and a device
 * the database does not hold (named, with those it holds). The file has no
 * device_id: the collector needs none. */
static void test_report_errors(void **state)
{
	char cfg[512], db[512], expect[1200], bin[512], err[256];
	char *both[] = { bin, "--config", cfg, "report", "--json", "--csv", NULL };
	char *nosuch[] = { bin, "--config", cfg, "report", "--device", "nosuch", NULL };
	struct run_result r;
	struct store *st;
	int64_t run_id;

	(void)state;
	snprintf(bin, sizeof(bin), "%s", harness_bin("rollsense-collector"));
	snprintf(cfg, sizeof(cfg), "%s/report.json", dir);
	snprintf(db, sizeof(db), "%s/report.db", dir);
	assert_int_equal(harness_write_file(cfg, "{ \"collector\": { \"database\": \"report.db\" } }\n"), 0);
	st = store_open(db, err, sizeof(err));
	assert_non_null(st);
	assert_int_equal(store_run_id(st, "roller1", "0000000b", &run_id), 0);
	assert_int_equal(store_run_id(st, "ball1", "0000000a", &run_id), 0);
	store_close(st);

	r = run(dir, both);
	assert_int_equal(r.status, 2);
	assert_string_equal(r.out, "report: --json and --csv exclude each other; give one\n");
	free(r.out);
	r = run(dir, nosuch);
	assert_int_equal(r.status, 2);
	snprintf(expect, sizeof(expect), "report: --device: no device \"nosuch\" in %s; known: "
		 "ball1, roller1\n", db);
	assert_string_equal(r.out, expect);
	free(r.out);
}

static void test_missing_file_and_args(void **state)
{
	char path[512];
	char *argv[] = { (char *)harness_bin("rollsense-sensord"), "--config", path, NULL };
	char *argv_help[] = { (char *)harness_bin("rollsense-sensord"), "--help", NULL };
	char *argv_ver[] = { (char *)harness_bin("rollsense-sensord"), "--version", NULL };
	char *argv_bad[] = { (char *)harness_bin("rollsense-sensord"), "--frobnicate", NULL };
	struct run_result r;

	(void)state;
	snprintf(path, sizeof(path), "%s/nonexistent.json", dir);
	r = run(dir, argv);
	assert_int_equal(r.status, 2);
	assert_non_null(strstr(r.out, path));
	free(r.out);
	r = run(dir, argv_help);
	assert_int_equal(r.status, 0);
	assert_non_null(strstr(r.out, "Usage: rollsense-sensord"));
	free(r.out);
	r = run(dir, argv_ver);
	assert_int_equal(r.status, 0);
	assert_non_null(strstr(r.out, "rollsense-sensord 0."));
	free(r.out);
	r = run(dir, argv_bad);
	assert_int_equal(r.status, 2);
	free(r.out);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_once),
		cmocka_unit_test(test_once_missing_chip),
		cmocka_unit_test(test_once_gyro),
		cmocka_unit_test(test_check_config),
		cmocka_unit_test(test_config_errors),
		cmocka_unit_test(test_report_errors),
		cmocka_unit_test(test_missing_file_and_args),
	};

	tests_select();
	return cmocka_run_group_tests_name("it_cli", tests, setup, teardown);
}
