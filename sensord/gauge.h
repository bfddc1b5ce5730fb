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
 * A zero taken under load is the one mistake tracking cannot undo: with the
 * ball pressed at start (sensord restarted mid-hold by systemd, a watchdog,
 * an upgrade), the press becomes the zero, the press reads 0 and the release
 * -15 kPa, outside the tracked band, for good. Three rules keep it away:
 * - a saved zero (gauge_restore(), the last good zero of an earlier run,
 *   corrected by the gas law for the temperature now): at the first valid
 *   sample, if the tool reads loaded against it (at or above rest_kpa) the
 *   saved zero stays the zero and the load is measured; if it reads at rest
 *   (below rest_kpa, negative included) a fresh zero is taken as without
 *   one. A zero is "good", worth saving (gauge_take_good_zero()), when its
 *   window's samples spread less than rest_kpa: a tool being pressed or
 *   released while the zero was taken does not pass;
 * - a gauge reading below -rest_kpa for GAUGE_NEGATIVE_S seconds in a row is
 *   proof the zero was taken under load (nothing pulls on a ball or a
 *   roller): the zero is taken again from that sample on, as a tare
 *   (gauge_take_rezero() says so once, with the figures, for the log);
 * - a tare asked for while the tool reads loaded (gauge_loaded()) is
 *   refused by the caller: the tool must be at rest.
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
/* How long the gauge must stay below -rest_kpa to prove the zero was taken
 * under load, in seconds of sample time. Long enough that a sample or two of
 * a wobbling release, or a chip's noise spike, is no proof (noise is a few
 * Pa, rest_kpa 1 kPa by default); short enough that the person pressing
 * next, a few seconds later, is measured. */
#define GAUGE_NEGATIVE_S 3.0
/* How far tracking at rest moves the zero before it is worth saving again,
 * in kPa: a slow leak or a drifting force sensor over days, not noise. */
#define GAUGE_RESAVE_KPA 0.1

/* A zero that can outlive the run: the rest pressure (absolute, kPa) at its
 * temperature, or a force sensor's offset. */
struct gauge_zero {
	double p0_kpa;
	double t0_k;		/* kelvin; NAN without the gas law */
};

/* What the negative rule did, for the log line. */
struct gauge_rezero {
	double gauge_kpa;	/* the reading that proved it (below -rest_kpa) */
	double negative_s;	/* how long the readings had stayed below -rest_kpa */
	double old_zero_kpa;	/* the zero's rest pressure then, at this temperature */
	double new_zero_kpa;	/* the rest pressure taken instead (refined for GAUGE_TARE_S) */
};

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
	double last_gauge_kpa;	/* the last gauge value returned, NAN before one */
	bool have_saved;	/* gauge_restore() gave a zero for the first sample */
	struct gauge_zero saved;
	double tare_min_kpa;	/* spread of the tare window, normalised to t0_k */
	double tare_max_kpa;
	bool good_zero;		/* a good zero was made: gauge_take_good_zero() */
	double told_p0_kpa;	/* the zero last taken or restored, NAN none */
	double negative_since_s;	/* start of the stretch below -rest_kpa, NAN none */
	bool rezeroed;		/* the negative rule fired: gauge_take_rezero() */
	struct gauge_rezero rezero;
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

/* Right after gauge_init(): z, a good zero saved by an earlier run, is
 * weighed against the first valid sample (see above). Ignored when it does
 * not fit the gauge: a non-finite or non-positive p0 with the gas law, a t0
 * missing with the gas law or given without it. */
void gauge_restore(struct gauge *g, const struct gauge_zero *z);

/* The tare rule: true when the tool reads loaded, the last gauge value at or
 * above cfg.rest_kpa (also while a tare window fills); *gauge_kpa is that
 * value (NAN before any). Without a value yet, false: nothing is known to be
 * on the tool. */
bool gauge_loaded(const struct gauge *g, double *gauge_kpa);

/* Once per good zero made (a tare window of samples spreading less than
 * rest_kpa, at start, after gauge_tare() or after the negative rule; or
 * tracking at rest having moved the zero GAUGE_RESAVE_KPA from the one last
 * taken or restored): true with *z filled; false otherwise. A saved zero
 * kept at start is no new one. */
bool gauge_take_good_zero(struct gauge *g, struct gauge_zero *z);

/* Once per firing of the negative rule: true with *r filled. */
bool gauge_take_rezero(struct gauge *g, struct gauge_rezero *r);

#endif
