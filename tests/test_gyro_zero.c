/* Tests of sensord/gyro_zero.c, fed by hand: the rules of gyro_zero.h, with
 * the expected magnitudes worked out in each comment. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "select.h"

#include <math.h>

#include "gyro_zero.h"
#include "unit.h"

static const double flat_g[3] = { 0, 0, 1 };
static const double no_accel[3] = { NAN, NAN, NAN };

/* Feeds v (and accel a) at 10 Hz from t0 until before t1; returns the last
 * rotation_dps. */
static double feed(struct gyro_zero *z, double t0, double t1, const double v[3],
		   const double a[3])
{
	double dps = NAN;

	for (int i = 0; t0 + i * 0.1 < t1 - 1e-6; i++)
		dps = gyro_zero_update(z, t0 + i * 0.1, v, a);
	return dps;
}

static void test_offset_measured_at_start(void **state)
{
	(void)state;
	struct gyro_zero z;
	const double zro[3] = { 1.5, -2, 0.7 };
	const double roll_y[3] = { 1.5, 38, 0.7 };	/* 40 °/s about y */

	gyro_zero_init(&z);
	/* Before a second has passed: the raw rates, |(1.5, -2, 0.7)| = 2.596. */
	assert_near(gyro_zero_update(&z, 0, zro, flat_g), sqrt(1.5 * 1.5 + 4 + 0.49), 1e-12);
	assert_near(feed(&z, 0.1, 1.0, zro, flat_g), 2.596, 0.001);
	assert_int_equal(z.measured, 0);
	/* The sample one second after the first closes the window. */
	assert_near(gyro_zero_update(&z, 1.0, zro, flat_g), 0, 1e-12);
	assert_int_equal(z.measured, 1);
	assert_near(z.offset_dps[1], -2, 1e-12);
	/* Rolling about y: 38 - (-2) = 40. */
	assert_near(feed(&z, 5, 6, roll_y, flat_g), 40, 1e-12);
	/* The magnitude over all axes: 3-4-0 about x and z reads 5. */
	assert_near(gyro_zero_update(&z, 7, (const double[]){ 4.5, -2, -3.3 }, flat_g), 5, 1e-12);
	/* A failed sample: NAN, nothing changes. */
	assert_true(isnan(gyro_zero_update(&z, 8, (const double[]){ NAN, 0, 0 }, flat_g)));
	assert_near(gyro_zero_update(&z, 9, zro, flat_g), 0, 1e-12);
}

static void test_no_zero_while_moving(void **state)
{
	(void)state;
	struct gyro_zero z;
	const double zro[3] = { 3, 0, 0 };
	const double rolling[3] = { 3, 30, 0 };
	double tilt[3] = { 0, 0, 1 };

	gyro_zero_init(&z);
	/* A steady 30 °/s turn about y: the gyro alone sees no change, but
	 * gravity turns with the tool (x = sin, z = cos of 30° per second). */
	for (int i = 0; i < 30; i++) {
		double t = i / 10.0, rad = 30 * t * M_PI / 180;

		tilt[0] = sin(rad);
		tilt[2] = cos(rad);
		gyro_zero_update(&z, t, rolling, tilt);
	}
	assert_int_equal(z.measured, 0);
	/* Still from t = 3: measured once a still second has passed. */
	feed(&z, 3, 4.05, zro, flat_g);
	assert_int_equal(z.measured, 1);
	assert_near(z.offset_dps[0], 3, 1e-12);
	assert_near(gyro_zero_update(&z, 5, rolling, flat_g), 30, 1e-12);

	/* Without an accelerometer only the gyro's changes count: a jolt of
	 * 10 °/s restarts the window. */
	gyro_zero_init(&z);
	feed(&z, 0, 0.5, zro, no_accel);
	gyro_zero_update(&z, 0.5, (const double[]){ 13, 0, 0 }, no_accel);
	feed(&z, 0.6, 1.5, zro, no_accel);
	assert_int_equal(z.measured, 0);
	feed(&z, 1.5, 1.75, zro, no_accel);
	assert_int_equal(z.measured, 1);
	assert_near(z.offset_dps[0], 3, 1e-12);
}

static void test_tare_measures_again(void **state)
{
	(void)state;
	struct gyro_zero z;
	const double cold[3] = { 1, 1, 1 };
	const double warm[3] = { 4, -3, 1 };

	gyro_zero_init(&z);
	feed(&z, 0, 1.05, cold, flat_g);
	assert_int_equal(z.measured, 1);
	/* The offset drifted with temperature: |(3, -4, 0)| = 5 until a tare. */
	assert_near(feed(&z, 2, 3, warm, flat_g), 5, 1e-12);
	gyro_zero_tare(&z);
	/* The old offset stays in use while the new one is measured. */
	assert_near(feed(&z, 3, 3.95, warm, flat_g), 5, 1e-12);
	assert_near(gyro_zero_update(&z, 4.0, warm, flat_g), 0, 1e-12);
	assert_int_equal(z.measured, 2);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_offset_measured_at_start),
		cmocka_unit_test(test_no_zero_while_moving),
		cmocka_unit_test(test_tare_measures_again),
	};

	tests_select();
	return cmocka_run_group_tests(tests, NULL, NULL);
}
