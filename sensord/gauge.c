/* Gauge pressure with zero tracking; the physics and the rules are in gauge.h. */
#include "gauge.h"

#include <math.h>

#define ZERO_C_IN_K 273.15

void gauge_init(struct gauge *g, const struct gauge_cfg *cfg, bool gas_law)
{
	/* No baseline and no tare under way: as after gauge_tare(). */
	*g = (struct gauge){ .cfg = *cfg, .gas_law = gas_law && cfg->gas_law, .p0_kpa = NAN,
			     .t0_k = NAN, .last_mono_s = NAN };
}

void gauge_tare(struct gauge *g)
{
	g->have_baseline = false;
	g->taring = false;
}

bool gauge_has_baseline(const struct gauge *g)
{
	return g->have_baseline;
}

/* Kelvin, or NAN for a temperature that is unknown or below absolute zero
 * (a broken reading must not turn the correction's ratio negative). */
static double kelvin(double temperature_c)
{
	double t_k = temperature_c + ZERO_C_IN_K;

	return isfinite(t_k) && t_k > 0.0 ? t_k : NAN;
}

double gauge_update(struct gauge *g, double mono_s, double value_kpa, double temperature_c)
{
	double t_k = g->gas_law ? kelvin(temperature_c) : NAN;
	bool corrected = g->gas_law && !isnan(t_k);
	double expected_kpa, gauge_kpa, dt_s, at_t0_kpa;

	if (!isfinite(value_kpa))
		return NAN;

	if (!g->have_baseline) {
		if (g->gas_law && !corrected)
			return NAN;	/* a baseline must know its temperature */
		g->p0_kpa = value_kpa;
		g->t0_k = t_k;
		g->have_baseline = true;
		g->taring = true;
		g->tare_start_s = mono_s;
		g->tare_sum_kpa = value_kpa;
		g->tare_n = 1;
		g->last_mono_s = mono_s;
		return 0.0;
	}
	/* This sample's pressure as it would be at T0, so p0 stays the rest
	 * pressure at the baseline's temperature. */
	at_t0_kpa = corrected ? value_kpa * g->t0_k / t_k : value_kpa;
	if (g->taring) {
		if (mono_s - g->tare_start_s < GAUGE_TARE_S && (corrected || !g->gas_law)) {
			g->tare_sum_kpa += at_t0_kpa;
			g->tare_n++;
			g->p0_kpa = g->tare_sum_kpa / g->tare_n;
		} else if (mono_s - g->tare_start_s >= GAUGE_TARE_S) {
			g->taring = false;
		}
	}

	/* The rest pressure at this temperature: constant volume, p ∝ T. */
	expected_kpa = corrected ? g->p0_kpa * t_k / g->t0_k : g->p0_kpa;
	gauge_kpa = value_kpa - expected_kpa;

	/* dt from the previous valid sample, pressed or not, so that a press
	 * does not leave a long dt behind that would jerk the first rest
	 * sample after it. A clock that did not advance gives dt <= 0 and no
	 * tracking. */
	dt_s = mono_s - g->last_mono_s;
	g->last_mono_s = mono_s;

	if (!g->taring && g->cfg.track_s > 0.0 && isfinite(dt_s) && dt_s > 0.0 &&
	    fabs(gauge_kpa) < g->cfg.rest_kpa && (corrected || !g->gas_law)) {
		double alpha = dt_s / (g->cfg.track_s + dt_s);

		g->p0_kpa += alpha * (at_t0_kpa - g->p0_kpa);
	}
	return gauge_kpa;
}
