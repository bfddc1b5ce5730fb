/* The sampler: opens the buses and chips of the configuration, takes one
 * sample of every chip per call, turns them into the reading's channels, and
 * keeps misbehaving chips at bay: transient bus errors are retried at once
 * with a short backoff; a chip that keeps failing is re-initialised with a
 * growing delay capped at 0.5 s, so it is back within a second of answering
 * again; a chip whose results froze is reported "stuck". A failed chip gives
 * null for its channel and a fault naming it, never its last value. */
#ifndef ROLLSENSE_SAMPLER_H
#define ROLLSENSE_SAMPLER_H

#include <stddef.h>

#include "config.h"
#include "reading.h"
#include "sensor.h"

struct sampler;

/* What one chip gave in the last sample, for --once. */
struct sampler_detail {
	const char *key;		/* "bmp280@/dev/i2c-1:0x76" */
	const char *fault;		/* NULL when the chip answered */
	struct sensor_values values;	/* absolute values; NAN where none */
};

/* Opens every bus and chip of cfg (borrowed: it must outlive the sampler).
 * A chip that does not answer is not an error here: it is retried at every
 * sample. NULL with err filled when a bus cannot be opened at all or the
 * scenario of the simulated bus is bad. */
struct sampler *sampler_new(const struct sensord_cfg *cfg, char *err, size_t err_len);
void sampler_free(struct sampler *s);

/* Samples every chip at mono time mono_s and fills r's pressure_kpa,
 * temperature_c, has_rotation and rotation_dps (gyro_zero.h: the magnitude
 * over x, y, z with the zero-rate offset removed; NAN when the gyroscope
 * failed) and faults (the caller sets run, seq, mono, ts). */
void sampler_sample(struct sampler *s, double mono_s, struct reading *r);

/* The next valid pressure sample becomes the zero (tare), and the next
 * still second of a gyroscope its zero-rate offset (gyro_zero.h). */
void sampler_tare(struct sampler *s);

/* Copies the details of the last sample, one per configured chip, into out
 * (at most max); returns how many chips there are. Strings point into s. */
size_t sampler_details(const struct sampler *s, struct sampler_detail *out, size_t max);

/* The simulated scenario's end time, or 0 (no simulated bus, or no end). */
double sampler_sim_end_s(const struct sampler *s);

struct sampler_stats {
	unsigned long long samples;
	unsigned long long faults;	/* chip-samples that gave no value */
	unsigned long long reinits;	/* re-initialisations after failures */
};
void sampler_get_stats(const struct sampler *s, struct sampler_stats *st);

#endif
