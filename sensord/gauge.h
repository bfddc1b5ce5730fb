/* Gauge pressure with zero tracking: what turns a sensor's absolute reading
 * into docs/protocol.md's pressure_kpa, "zero when nobody leans on it".
 *
 * A BMP280/BME280 sealed inside a ball measures the trapped air's absolute
 * pressure. Pressing the ball raises it; so does the air warming up (a hot
 * shower, a warm hand, body heat), which at constant volume follows the gas
 * law, p proportional to T in kelvin. The gauge subtracts the pressure the
 * ball would have at rest at the current temperature:
 *
 *   gauge = p - p0 * (T + 273.15) / (T0 + 273.15)
 *
 * where (p0, T0) is the baseline, the rest state. Without the correction a
 * ball tared at 22 °C and warmed to 32 °C would read 101.325 * 10 / 295.15 =
 * 3.43 kPa of phantom pressure, enough to count as contact.
 *
 * A force sensor (ADS1115 through a calibration table) is already in kPa of
 * applied pressure; its baseline is simply an offset, without the gas law.
 *
 * The baseline:
 * - is the mean of the valid samples in the first GAUGE_TARE_S seconds after
 *   gauge_init() or gauge_tare() (the tool must be at rest when sensord
 *   starts or when the user asks for a tare). One sample alone would carry
 *   its noise into every later reading; a second's mean does not. While the
 *   window fills, readings are relative to the mean so far (the first reads
 *   0). The slow tracking below corrects what error remains;
 * - tracks slowly while the tool is at rest (|gauge| < cfg.rest_kpa): p0 moves
 *   toward the current sample's pressure normalised to T0 with an exponential
 *   filter of time constant cfg.track_s (alpha = dt / (track_s + dt), dt from
 *   the sample times passed in). Leaks, barometric weather and sensor drift
 *   are absorbed; a press, above rest_kpa, never moves the baseline.
 *   track_s <= 0 turns tracking off.
 *
 * Negative gauge values are returned as measured, not clamped: a few hundredths
 * below zero at rest is honest noise, and the detector compares against
 * positive thresholds only.
 *
 * Pure: no clock reads, no I/O, no allocation. struct gauge is a plain value
 * the caller embeds; not thread-safe. */
#ifndef ROLLSENSE_GAUGE_H
#define ROLLSENSE_GAUGE_H

#include <stdbool.h>

#include "config.h"

/* How long a tare averages, in seconds of sample time. */
#define GAUGE_TARE_S 1.0

struct gauge {
	struct gauge_cfg cfg;	/* copied at init */
	bool gas_law;		/* correction applied (sensor is gas and cfg.gas_law) */
	bool have_baseline;
	bool taring;		/* inside the tare window */
	double tare_start_s;	/* mono time of its first sample */
	double tare_sum_kpa;	/* of its samples, normalised to t0_k */
	unsigned tare_n;
	double p0_kpa;		/* baseline pressure (absolute) or offset (force sensor) */
	double t0_k;		/* baseline air temperature, kelvin; gas law only */
	double last_mono_s;	/* time of the last valid sample, NAN before one */
};

/* Starts without a baseline; the first valid samples set it. gas_law: true
 * for a barometric sensor sealed in the tool. The temperature correction is
 * applied only when both gas_law and cfg->gas_law are true, so a user can
 * turn it off in the configuration (a ball that is not airtight). */
void gauge_init(struct gauge *g, const struct gauge_cfg *cfg, bool gas_law);

/* Drops the baseline: the next GAUGE_TARE_S of valid samples make the new one
 * (the first of them reads 0). Until then gauge_has_baseline() is false. */
void gauge_tare(struct gauge *g);

/* Feeds one sample and returns the gauge pressure in kPa (as measured, may be
 * slightly negative).
 *   mono_s         sample time, seconds on a monotonic clock (for tracking)
 *   value_kpa      the sensor's pressure: absolute for a gas sensor, applied
 *                  pressure for a force sensor. NAN or infinite: the sample is
 *                  ignored (no state changes) and NAN is returned.
 *   temperature_c  the trapped air's temperature (the barometric chip's own
 *                  reading, not a therapy thermometer elsewhere); ignored
 *                  without the gas law. NAN with the gas law: the baseline is
 *                  used without correction and does not track.
 * With the gas law a sample without temperature cannot become the baseline;
 * before any baseline exists NAN is returned. */
double gauge_update(struct gauge *g, double mono_s, double value_kpa, double temperature_c);

bool gauge_has_baseline(const struct gauge *g);

#endif
