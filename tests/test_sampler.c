/* The sampler (sensord/sampler.c) through its header, on the simulated bus:
 * a configuration file and a scenario are written to a fresh folder, loaded
 * as sensord loads them, and sampled at chosen times. Ground truth is the
 * scenario each test scripts (the temperatures and fault windows it plays)
 * and the sampler's contract in sampler.h: a failed chip gives null and a
 * fault naming it, never its last value; it is back within a second of
 * answering again; a chip whose results froze is reported stuck. */
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

#include "config.h"
#include "log.h"
#include "reading.h"
#include "sampler.h"
#include "unit.h"

#define SKIN "mcp9808@sim:0x18"
#define BALL "bmp280@sim:0x76"
#define IMU "mpu6050@sim:0x68"

struct fixture {
	char *dir;
	struct rs_config cfg;
	struct sampler *s;
};

/* Writes the scenario and a configuration whose sensors are the JSON
 * objects in sensors_json, loads it and opens a sampler on it. */
static struct fixture *open_with(const char *scenario, const char *sensors_json)
{
	struct fixture *fx = calloc(1, sizeof(*fx));
	char path[512], text[2048], err[512] = "";

	assert_non_null(fx);
	log_set_level(LOG_LEVEL_ERROR);
	fx->dir = unit_tmpdir("test_sampler");
	assert_non_null(fx->dir);
	snprintf(path, sizeof(path), "%s/t.scn", fx->dir);
	unit_write_file(path, scenario, 0644);
	snprintf(text, sizeof(text),
		 "{\"device_id\": \"t\", \"sensord\": {\"sample_hz\": 10, \"state_dir\": \"%s\",\n"
		 " \"sensors\": [%s],\n"
		 " \"simulation\": {\"scenario\": \"t.scn\"}}}\n",
		 fx->dir, sensors_json);
	snprintf(path, sizeof(path), "%s/rollsense.json", fx->dir);
	unit_write_file(path, text, 0644);
	if (config_load(path, &fx->cfg, err, sizeof(err)) != 0)
		fail_msg("config: %s", err);
	fx->s = sampler_new(&fx->cfg.sensord, err, sizeof(err));
	if (!fx->s)
		fail_msg("sampler: %s", err);
	return fx;
}

static void fixture_close(struct fixture *fx)
{
	sampler_free(fx->s);
	unit_rmtree(fx->dir);
	free(fx);
}

static const char skin_json[] =
	"{\"driver\": \"mcp9808\", \"bus\": \"sim\", \"address\": \"0x18\", "
	"\"provides\": [\"temperature_c\"], \"resolution_c\": 0.0625}";

/* A skin thermometer at 25 °C, 30.5 °C from t = 10, off the bus (NACK)
 * from t = 20 to 30. */
static const char skin_scenario[] =
	"chip skin mcp9808 0x18\n"
	"at 0 skin temperature_c 25\n"
	"at 10 skin temperature_c 30.5\n"
	"fault 20 30 skin nack\n";

/* A BMP280 without noise: its raw values repeat exactly until t = 10. */
static const char frozen_scenario[] =
	"chip p bmp280 0x76\n"
	"noise p pressure_pa 0\n"
	"noise p temperature_c 0\n"
	"at 0 p pressure_pa 101325\n"
	"at 0 p temperature_c 20\n"
	"at 10 p pressure_pa 110000\n";

static void test_values_follow_the_scenario(void **state)
{
	struct fixture *fx = *state;
	struct reading r;

	sampler_sample(fx->s, 1.0, &r);
	assert_near(r.temperature_c, 25.0, 0);	/* a multiple of 0.0625 */
	assert_true(isnan(r.pressure_kpa));	/* no chip provides it */
	assert_false(r.has_rotation);		/* no gyroscope: not on the wire */
	assert_int_equal(r.n_faults, 0);
	sampler_sample(fx->s, 11.0, &r);
	assert_near(r.temperature_c, 30.5, 0);
	assert_int_equal(r.n_faults, 0);
}

/* In the fault window every sample is null with the chip's fault, never the
 * last value; after it the value is back within a second. */
static void test_failing_chip_gives_null_and_recovers(void **state)
{
	struct fixture *fx = *state;
	struct sampler_detail d;
	struct sampler_stats st;
	struct reading r;
	double back_at = -1;

	for (int i = 190; i < 200; i++)
		sampler_sample(fx->s, i / 10.0, &r);
	assert_near(r.temperature_c, 30.5, 0);
	for (int i = 200; i < 300; i++) {
		sampler_sample(fx->s, i / 10.0, &r);
		if (!isnan(r.temperature_c))
			fail_msg("t = %.1f: %g while the chip is off the bus", i / 10.0, r.temperature_c);
		assert_int_equal(r.n_faults, 1);
		assert_string_equal(r.faults[0].sensor, SKIN);
		assert_string_equal(r.faults[0].what, "no answer (NACK)");
	}
	assert_int_equal(sampler_details(fx->s, &d, 1), 1);
	assert_string_equal(d.key, SKIN);
	assert_string_equal(d.fault, "no answer (NACK)");
	assert_true(isnan(d.values.temperature_c));

	for (int i = 300; i < 320 && back_at < 0; i++) {
		sampler_sample(fx->s, i / 10.0, &r);
		if (!isnan(r.temperature_c))
			back_at = i / 10.0;
	}
	assert_true(back_at >= 30.0);
	assert_true(back_at <= 31.0);
	assert_near(r.temperature_c, 30.5, 0);
	assert_int_equal(r.n_faults, 0);
	assert_int_equal(sampler_details(fx->s, &d, 1), 1);
	assert_null(d.fault);
	sampler_get_stats(fx->s, &st);
	assert_true(st.faults >= 100);	/* every sample of the window ... */
	assert_true(st.faults <= 110);	/* ... and the second it takes to be back at most */
	assert_true(st.reinits >= 1);	/* it was set up again */
}

static const char ball_json[] =
	"{\"driver\": \"bmp280\", \"bus\": \"sim\", \"address\": \"0x76\", "
	"\"provides\": [\"pressure_kpa\"], \"mode\": \"forced\"}";

static void test_frozen_chip_is_stuck_until_it_moves(void **state)
{
	struct fixture *fx = *state;
	struct reading r;

	/* The BMP280 is stuck at its 20th identical result. */
	for (int i = 1; i < 20; i++) {
		sampler_sample(fx->s, i / 10.0, &r);
		if (isnan(r.pressure_kpa) || r.n_faults != 0)
			fail_msg("sample %d: %g kPa, %zu faults", i, r.pressure_kpa, (size_t)r.n_faults);
		assert_near(r.pressure_kpa, 0, 0.005);	/* at rest: the tare's zero */
	}
	sampler_sample(fx->s, 2.0, &r);
	assert_true(isnan(r.pressure_kpa));
	assert_int_equal(r.n_faults, 1);
	assert_string_equal(r.faults[0].sensor, BALL);
	assert_string_equal(r.faults[0].what, "stuck (same raw value 20 times)");
	sampler_sample(fx->s, 5.0, &r);
	assert_string_equal(r.faults[0].what, "stuck (same raw value 21 times)");

	/* A new value is an answer again, at once: 110 - 101.325 kPa at the
	 * same temperature. */
	sampler_sample(fx->s, 10.0, &r);
	assert_near(r.pressure_kpa, 8.675, 0.01);
	assert_int_equal(r.n_faults, 0);
}

/* Two chips on one simulated bus: one failing leaves the other's value. */
static void test_one_failing_chip_leaves_the_other(void **state)
{
	(void)state;
	char sensors[1024];
	struct fixture *fx;
	struct sampler_detail d[2];
	struct reading r;

	snprintf(sensors, sizeof(sensors), "%s, %s", ball_json, skin_json);
	fx = open_with("chip p bmp280 0x76\n"
		       "chip skin mcp9808 0x18\n"
		       "at 0 skin temperature_c 36\n"
		       "fault 5 100 p absent\n",
		       sensors);
	sampler_sample(fx->s, 1.0, &r);
	assert_near(r.pressure_kpa, 0, 0.005);	/* the first sample is the zero */
	assert_near(r.temperature_c, 36.0, 0);
	sampler_sample(fx->s, 6.0, &r);
	assert_true(isnan(r.pressure_kpa));
	assert_near(r.temperature_c, 36.0, 0);
	assert_int_equal(r.n_faults, 1);
	assert_string_equal(r.faults[0].sensor, BALL);
	assert_string_equal(r.faults[0].what, "no answer (NACK)");
	assert_int_equal(sampler_details(fx->s, d, 2), 2);
	assert_string_equal(d[0].key, BALL);
	assert_string_equal(d[0].fault, "no answer (NACK)");
	assert_string_equal(d[1].key, SKIN);
	assert_null(d[1].fault);
	assert_near(d[1].values.temperature_c, 36.0, 0);
	fixture_close(fx);
}

static const char imu_json[] =
	"{\"driver\": \"mpu6050\", \"bus\": \"sim\", \"address\": \"0x68\", "
	"\"provides\": [\"rotation_dps\"]}";

/* A gyro whose zero-rate offset is (1.5, -2, 0.7) °/s, with its own noise
 * (0.05 °/s per axis): at rest until t = 5, turning at 40 °/s about y from
 * 5 to 8 (gravity turning with it, about y: x = sin, z = cos), still again
 * after; its offset drifts to (4, 1, -3) at t = 20 (the chip warmed up);
 * off the bus (NACK) from 30 to 31. */
static const char imu_scenario[] =
	"chip imu mpu6050 0x68\n"
	"at 0 imu zro_x_dps 1.5\n"
	"at 0 imu zro_y_dps -2\n"
	"at 0 imu zro_z_dps 0.7\n"
	"at 5 imu gyro_y_dps 40\n"
	"ramp 5 8 imu accel_x_g 0.866\n"
	"ramp 5 8 imu accel_z_g -0.5\n"
	"at 8 imu gyro_y_dps 0\n"
	"at 20 imu zro_x_dps 4\n"
	"at 20 imu zro_y_dps 1\n"
	"at 20 imu zro_z_dps -3\n"
	"fault 30 31 imu nack\n";

/* The gyro's noise, 0.05 °/s RMS per axis, and the 1/65.5 °/s counts of
 * ±500 °/s: a still tool within this of 0. */
#define STILL_TOL_DPS 0.3

/* rotation_dps at 10 Hz from t0 to before t1 stays within tol of want. */
static void expect_rotation(struct fixture *fx, int t0_ds, int t1_ds, double want, double tol)
{
	struct reading r;

	for (int i = t0_ds; i < t1_ds; i++) {
		sampler_sample(fx->s, i / 10.0, &r);
		assert_true(r.has_rotation);
		if (!(fabs(r.rotation_dps - want) <= tol))
			fail_msg("t = %.1f: rotation %g deg/s, want %g +- %g", i / 10.0, r.rotation_dps,
				 want, tol);
		assert_int_equal(r.n_faults, 0);
	}
}

/* The zero-rate offset is measured in the first second and removed: a
 * still tool reads ~0, a turn of 40 °/s about y reads 40, whatever the
 * offset; a drifted offset is measured again on tare. */
static void test_rotation_without_the_offset(void **state)
{
	struct fixture *fx = *state;
	struct reading r;

	/* The first second: the raw rates, |(1.5, -2, 0.7)| = 2.6 °/s. */
	sampler_sample(fx->s, 0.0, &r);
	assert_true(r.has_rotation);
	assert_near(r.rotation_dps, 2.596, STILL_TOL_DPS);
	expect_rotation(fx, 1, 10, 2.596, STILL_TOL_DPS);
	/* From the second on, still reads 0. */
	expect_rotation(fx, 10, 50, 0, STILL_TOL_DPS);
	/* Turning: 40 °/s about y. */
	expect_rotation(fx, 51, 80, 40, STILL_TOL_DPS);
	expect_rotation(fx, 81, 200, 0, STILL_TOL_DPS);
	/* Warmed up: |(4 - 1.5, 1 + 2, -3 - 0.7)| = |(2.5, 3, -3.7)| = 5.38 °/s
	 * of phantom rotation, until a tare measures the offset again. */
	expect_rotation(fx, 200, 210, 5.385, STILL_TOL_DPS);
	sampler_tare(fx->s);
	expect_rotation(fx, 210, 220, 5.385, STILL_TOL_DPS);
	expect_rotation(fx, 221, 300, 0, STILL_TOL_DPS);
}

/* A failed gyroscope gives null and a fault naming it, never the last
 * value; the offset survives its recovery. */
static void test_failing_gyro_gives_null(void **state)
{
	struct fixture *fx = *state;
	struct reading r;
	double back_at = -1;

	expect_rotation(fx, 0, 10, 2.596, STILL_TOL_DPS);
	expect_rotation(fx, 10, 50, 0, STILL_TOL_DPS);
	for (int i = 300; i < 310; i++) {
		sampler_sample(fx->s, i / 10.0, &r);
		assert_true(r.has_rotation);
		if (!isnan(r.rotation_dps))
			fail_msg("t = %.1f: %g deg/s while the gyro NACKs", i / 10.0, r.rotation_dps);
		assert_int_equal(r.n_faults, 1);
		assert_string_equal(r.faults[0].sensor, IMU);
		assert_string_equal(r.faults[0].what, "no answer (NACK)");
	}
	for (int i = 310; i < 330 && back_at < 0; i++) {
		sampler_sample(fx->s, i / 10.0, &r);
		if (!isnan(r.rotation_dps))
			back_at = i / 10.0;
	}
	assert_true(back_at >= 31.0);
	assert_true(back_at <= 32.0);
	/* The offset of t = 0..1 stays: (4, 1, -3) - (1.5, -2, 0.7). */
	assert_near(r.rotation_dps, 5.385, STILL_TOL_DPS);
}

/* A gyro whose outputs froze (the scenario's "stuck": it answers, awake,
 * but samples no more) is reported stuck at its 20th identical result,
 * never read as a still tool; a turn while frozen must not read 0. */
static void test_frozen_gyro_is_stuck(void **state)
{
	(void)state;
	struct fixture *fx = open_with("chip imu mpu6050 0x68\n"
				       "at 3 imu gyro_x_dps 30\n"
				       "fault 2 10 imu stuck\n",
				       imu_json);
	struct reading r;

	expect_rotation(fx, 0, 10, 0, STILL_TOL_DPS);
	expect_rotation(fx, 10, 20, 0, STILL_TOL_DPS);
	/* Frozen from t = 2: 19 more identical results still pass ... */
	expect_rotation(fx, 20, 39, 0, STILL_TOL_DPS);
	/* ... the 20th is stuck, though the tool turns at 30 °/s. */
	for (int i = 39; i < 100; i++) {
		sampler_sample(fx->s, i / 10.0, &r);
		if (!isnan(r.rotation_dps))
			fail_msg("t = %.1f: %g deg/s from a frozen gyro", i / 10.0, r.rotation_dps);
		assert_int_equal(r.n_faults, 1);
		assert_string_equal(r.faults[0].sensor, IMU);
		assert_non_null(strstr(r.faults[0].what, "stuck"));
	}
	/* Sampling again: the turn is there. */
	sampler_sample(fx->s, 10.0, &r);
	assert_near(r.rotation_dps, 30, STILL_TOL_DPS);
	fixture_close(fx);
}

static int imu_setup(void **state)
{
	*state = open_with(imu_scenario, imu_json);
	return 0;
}

static int skin_setup(void **state)
{
	*state = open_with(skin_scenario, skin_json);
	return 0;
}

static int fixture_teardown(void **state)
{
	fixture_close(*state);
	return 0;
}

static int frozen_setup(void **state)
{
	*state = open_with(frozen_scenario, ball_json);
	return 0;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_values_follow_the_scenario, skin_setup,
						fixture_teardown),
		cmocka_unit_test_setup_teardown(test_failing_chip_gives_null_and_recovers, skin_setup,
						fixture_teardown),
		cmocka_unit_test_setup_teardown(test_frozen_chip_is_stuck_until_it_moves, frozen_setup,
						fixture_teardown),
		cmocka_unit_test(test_one_failing_chip_leaves_the_other),
		cmocka_unit_test_setup_teardown(test_rotation_without_the_offset, imu_setup,
						fixture_teardown),
		cmocka_unit_test_setup_teardown(test_failing_gyro_gives_null, imu_setup,
						fixture_teardown),
		cmocka_unit_test(test_frozen_gyro_is_stuck),
	};

	tests_select();
	return cmocka_run_group_tests(tests, NULL, NULL);
}
