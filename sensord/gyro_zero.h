/* The gyroscope's zero: what turns a chip's three raw angular rates into
 * docs/protocol.md's rotation_dps, "0 when the tool is still".
 *
 * A MEMS gyro at rest does not read 0: each axis has a zero-rate offset,
 * up to ±20 °/s on an MPU-6050 at 25 °C and another ±20 °/s over
 * temperature (PS-MPU-6000A-00 §6.1). A hold is told from rolling at
 * 10 °/s, so the offset must go. Like the pressure zero (gauge.h) it is
 * measured at rest: the mean of each axis over the first GYRO_ZERO_S
 * seconds of valid samples after gyro_zero_init() (sensord's start) or
 * gyro_zero_tare() (the user's tare, with the tool at rest).
 *
 * A tool that moves during that second cannot give its zero: a sample
 * further than GYRO_ZERO_STILL_DPS from the window's mean on any gyro axis,
 * or GYRO_ZERO_STILL_G on any accelerometer axis, starts the window again
 * from that sample, until one whole second was still. The accelerometer
 * catches what the gyro alone cannot: a steady turn looks like an offset to
 * it, but turns gravity's direction with the tool (a ball rolled at 18 °/s
 * about a level axis moves it by 0.31 g in a second). Until a window completes, the last offset measured stays in use
 * (none at the very start: the raw rates, off by the offset alone).
 *
 * rotation_dps = |gyro - offset| over x, y, z: the tool can turn any way,
 * so no single axis will do.
 *
 * Pure: no clock reads, no I/O, no allocation. struct gyro_zero is a plain
 * value the caller embeds; not thread-safe. */
#ifndef ROLLSENSE_GYRO_ZERO_H
#define ROLLSENSE_GYRO_ZERO_H

#include <stdbool.h>

/* How long the zero averages, in seconds of sample time. */
#define GYRO_ZERO_S 1.0
/* Rest: every axis within this of the window's mean. The chip's own noise
 * is 0.05 °/s RMS (PS §6.1), a hand's tremor a few °/s; rolling a ball
 * turns it at 18 °/s and more. */
#define GYRO_ZERO_STILL_DPS 5.0
/* ... and within this on each accelerometer axis: far above the chip's
 * noise (a few mg, PS §6.2), below a tenth of a second of rolling. */
#define GYRO_ZERO_STILL_G 0.03

struct gyro_zero {
	double offset_dps[3];	/* in use: 0 until the first window completes */
	bool measuring;		/* a window is open (or waits for its first sample) */
	bool window_open;	/* it has a first sample */
	double start_s;		/* mono time of its first sample */
	double sum_dps[3];
	double sum_g[3];	/* the accelerometer's, NAN without one */
	unsigned n;
	unsigned measured;	/* windows completed since init */
};

/* No offset; the next GYRO_ZERO_S of still samples measure one. */
void gyro_zero_init(struct gyro_zero *z);

/* Measures the offset again from the next sample on; the current one stays
 * in use until the new one is complete. */
void gyro_zero_tare(struct gyro_zero *z);

/* Feeds one sample (mono_s: its time in seconds on a monotonic clock;
 * gyro_dps: the chip's x, y, z in °/s; accel_g: its acceleration in g, or
 * NAN on every axis for a chip without an accelerometer) and returns
 * rotation_dps, >= 0. A gyro axis NAN or infinite: NAN, and nothing
 * changes. */
double gyro_zero_update(struct gyro_zero *z, double mono_s, const double gyro_dps[3],
			const double accel_g[3]);

#endif
