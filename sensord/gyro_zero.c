/* The gyroscope's zero; the physics and the rules are in gyro_zero.h. */
#include "gyro_zero.h"

#include <math.h>

void gyro_zero_init(struct gyro_zero *z)
{
	*z = (struct gyro_zero){ .measuring = true };
}

void gyro_zero_tare(struct gyro_zero *z)
{
	z->measuring = true;
	z->window_open = false;
}

/* Opens the window at this sample. */
static void window_start(struct gyro_zero *z, double mono_s, const double gyro_dps[3],
			 const double accel_g[3])
{
	z->window_open = true;
	z->start_s = mono_s;
	z->n = 1;
	for (int i = 0; i < 3; i++) {
		z->sum_dps[i] = gyro_dps[i];
		z->sum_g[i] = accel_g[i];
	}
}

/* True when v is further than limit from the window's mean sum / n; a NAN
 * accelerometer axis never is. */
static bool moved(double v, double sum, unsigned n, double limit)
{
	return fabs(v - sum / n) > limit;
}

/* One sample into the window: moving restarts it; a full still second
 * makes its mean the offset. */
static void window_add(struct gyro_zero *z, double mono_s, const double gyro_dps[3],
		       const double accel_g[3])
{
	if (!z->window_open) {
		window_start(z, mono_s, gyro_dps, accel_g);
		return;
	}
	for (int i = 0; i < 3; i++) {
		if (moved(gyro_dps[i], z->sum_dps[i], z->n, GYRO_ZERO_STILL_DPS) ||
		    moved(accel_g[i], z->sum_g[i], z->n, GYRO_ZERO_STILL_G)) {
			window_start(z, mono_s, gyro_dps, accel_g);
			return;
		}
	}
	if (mono_s - z->start_s >= GYRO_ZERO_S) {
		for (int i = 0; i < 3; i++)
			z->offset_dps[i] = z->sum_dps[i] / z->n;
		z->measuring = false;
		z->window_open = false;
		z->measured++;
		return;
	}
	for (int i = 0; i < 3; i++) {
		z->sum_dps[i] += gyro_dps[i];
		z->sum_g[i] += accel_g[i];
	}
	z->n++;
}

double gyro_zero_update(struct gyro_zero *z, double mono_s, const double gyro_dps[3],
			const double accel_g[3])
{
	double sq = 0;

	for (int i = 0; i < 3; i++)
		if (!isfinite(gyro_dps[i]))
			return NAN;
	if (z->measuring)
		window_add(z, mono_s, gyro_dps, accel_g);
	for (int i = 0; i < 3; i++) {
		double d = gyro_dps[i] - z->offset_dps[i];

		sq += d * d;
	}
	return sqrt(sq);
}
