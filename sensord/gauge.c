/* Gauge pressure with zero tracking; the physics and the rules are in gauge.h. */
#include "gauge.h"

#include <math.h>

#define ZERO_C_IN_K 273.15

void gauge_init(struct gauge *g, const struct gauge_cfg *cfg, bool gas_law)
{
	/* No baseline and no tare under way: as after gauge_tare(). */
	*g = (struct gauge){ .cfg = *cfg, .gas_law = gas_law && cfg->gas_law, .p0_kpa = NAN,
			     .t0_k = NAN, .last_mono_s = NAN, .last_gauge_kpa = NAN,
			     .negative_since_s = NAN, .told_p0_kpa = NAN };
}

void gauge_tare(struct gauge *g)
{
	g->have_baseline = false;
	g->taring = false;
	g->have_saved = false;	/* asked for now: a fresh zero, not an old one */
	g->negative_since_s = NAN;
}

bool gauge_has_baseline(const struct gauge *g)
{
	return g->have_baseline;
}

void gauge_restore(struct gauge *g, const struct gauge_zero *z)
{
	bool t0_ok = isfinite(z->t0_k) && z->t0_k > 0.0;

	if (!isfinite(z->p0_kpa) || (g->gas_law && (!t0_ok || z->p0_kpa <= 0.0)) ||
	    (!g->gas_law && !isnan(z->t0_k)))
		return;
	g->saved = *z;
	g->have_saved = true;
}

bool gauge_loaded(const struct gauge *g, double *gauge_kpa)
{
	*gauge_kpa = g->last_gauge_kpa;
	return g->have_baseline && g->last_gauge_kpa >= g->cfg.rest_kpa;
}

bool gauge_take_good_zero(struct gauge *g, struct gauge_zero *z)
{
	if (!g->good_zero)
		return false;
	g->good_zero = false;
	g->told_p0_kpa = g->p0_kpa;
	z->p0_kpa = g->p0_kpa;
	z->t0_k = g->gas_law ? g->t0_k : NAN;
	return true;
}

bool gauge_take_rezero(struct gauge *g, struct gauge_rezero *r)
{
	if (!g->rezeroed)
		return false;
	g->rezeroed = false;
	*r = g->rezero;
	return true;
}

/* Kelvin, or NAN for a temperature that is unknown or below absolute zero
 * (a broken reading must not turn the correction's ratio negative). */
static double kelvin(double temperature_c)
{
	double t_k = temperature_c + ZERO_C_IN_K;

	return isfinite(t_k) && t_k > 0.0 ? t_k : NAN;
}

/* Opens a tare window at this sample: p0 is its pressure (at T0 = t_k)
 * until the window's mean replaces it. */
static void window_open(struct gauge *g, double mono_s, double value_kpa, double t_k)
{
	g->p0_kpa = value_kpa;
	g->t0_k = t_k;
	g->have_baseline = true;
	g->taring = true;
	g->tare_start_s = mono_s;
	g->tare_sum_kpa = value_kpa;
	g->tare_n = 1;
	g->tare_min_kpa = g->tare_max_kpa = value_kpa;
	g->negative_since_s = NAN;
}

/* The first valid sample against a saved zero: true when the tool reads
 * loaded against it, and the saved zero becomes the baseline. */
static bool saved_kept(struct gauge *g, double value_kpa, double t_k)
{
	double expected_kpa = g->gas_law ? g->saved.p0_kpa * t_k / g->saved.t0_k : g->saved.p0_kpa;

	g->have_saved = false;	/* weighed once */
	if (value_kpa - expected_kpa < g->cfg.rest_kpa)
		return false;
	g->p0_kpa = g->told_p0_kpa = g->saved.p0_kpa;
	g->t0_k = g->gas_law ? g->saved.t0_k : NAN;
	g->have_baseline = true;
	g->taring = false;
	return true;
}

/* The negative rule on this sample's gauge value: true when it fired and a
 * new window was opened at this sample. */
static bool negative_rule(struct gauge *g, double mono_s, double gauge_kpa, double expected_kpa,
			  double at_t0_kpa)
{
	if (g->taring || !(gauge_kpa < -g->cfg.rest_kpa)) {
		g->negative_since_s = NAN;
		return false;
	}
	if (isnan(g->negative_since_s))
		g->negative_since_s = mono_s;
	/* A microsecond of slack: 30 samples 0.1 s apart are 3 s, although
	 * their times' difference may come out as 2.9999999. */
	if (mono_s - g->negative_since_s < GAUGE_NEGATIVE_S - 1e-6)
		return false;
	g->rezero = (struct gauge_rezero){ .gauge_kpa = gauge_kpa,
					   .negative_s = mono_s - g->negative_since_s,
					   .old_zero_kpa = expected_kpa,
					   .new_zero_kpa = expected_kpa + gauge_kpa };
	g->rezeroed = true;
	window_open(g, mono_s, at_t0_kpa, g->t0_k);
	return true;
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
		if (!g->have_saved || !saved_kept(g, value_kpa, t_k)) {
			window_open(g, mono_s, value_kpa, t_k);
			g->last_mono_s = mono_s;
			g->last_gauge_kpa = 0.0;
			return 0.0;
		}
	}
	/* This sample's pressure as it would be at T0, so p0 stays the rest
	 * pressure at the baseline's temperature. */
	at_t0_kpa = corrected ? value_kpa * g->t0_k / t_k : value_kpa;
	if (g->taring) {
		if (mono_s - g->tare_start_s < GAUGE_TARE_S && (corrected || !g->gas_law)) {
			g->tare_sum_kpa += at_t0_kpa;
			g->tare_n++;
			g->p0_kpa = g->tare_sum_kpa / g->tare_n;
			g->tare_min_kpa = fmin(g->tare_min_kpa, at_t0_kpa);
			g->tare_max_kpa = fmax(g->tare_max_kpa, at_t0_kpa);
		} else if (mono_s - g->tare_start_s >= GAUGE_TARE_S) {
			g->taring = false;
			/* Steady through the window: taken at rest, as far as a
			 * gauge can tell (a steady press is the negative rule's). */
			g->good_zero = g->tare_max_kpa - g->tare_min_kpa < g->cfg.rest_kpa;
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

	/* Without its temperature a gas sensor's sample proves nothing. */
	if ((corrected || !g->gas_law) &&
	    negative_rule(g, mono_s, gauge_kpa, expected_kpa, at_t0_kpa)) {
		g->last_gauge_kpa = 0.0;
		return 0.0;	/* the new zero's first sample, as at a tare */
	}

	if (!g->taring && g->cfg.track_s > 0.0 && isfinite(dt_s) && dt_s > 0.0 &&
	    fabs(gauge_kpa) < g->cfg.rest_kpa && (corrected || !g->gas_law)) {
		double alpha = dt_s / (g->cfg.track_s + dt_s);

		g->p0_kpa += alpha * (at_t0_kpa - g->p0_kpa);
		/* Only a zero that was taken good is followed this way. */
		if (fabs(g->p0_kpa - g->told_p0_kpa) >= GAUGE_RESAVE_KPA)
			g->good_zero = true;
	}
	g->last_gauge_kpa = gauge_kpa;
	return gauge_kpa;
}
