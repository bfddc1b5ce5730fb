/* Detector tests. Ground truth comes from scripts: pressure and temperature
 * drawn as straight segments whose threshold crossings are placed at known
 * times (the script says "the hold runs from 10.07 s to 35.03 s"), plus
 * deterministic noise. The detector only sees samples, so a duration it
 * measures may differ from the scripted one by up to one sample period.
 * Crossings are placed between sample instants, at least 0.02 s from one,
 * and the ramps are steep enough (100 kPa/s) that the bounded noise (±1.5
 * kPa) cannot move a crossing to another sample. A few tests are small hand
 * computations from the rules in docs/protocol.md, exact to the sample. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "select.h"

#include <errno.h>
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "detector.h"

/* ---- helpers ---------------------------------------------------------- */

#define near(actual, expected, tol) \
	near_at((actual), (expected), (tol), #actual, __FILE__, __LINE__)

static void near_at(double actual, double expected, double tol, const char *what,
		    const char *file, int line)
{
	if (!(fabs(actual - expected) <= tol))
		fail_msg("%s:%d: %s = %.6f, expected %.6f within %.6f", file, line, what,
			 actual, expected, tol);
}

/* docs/protocol.md, "Detector semantics", by hand: the configuration's
 * defaults (config.c's rows) are not what is under test here. */
static struct detector_cfg design_cfg(void)
{
	struct detector_cfg c = {
		.contact_kpa = 2,
		.hold_start_kpa = 10,
		.hold_end_kpa = 8,
		.bridge_s = 1.0,
		.min_hold_s = 5,
		.effective_s = 10,
		.long_s = 60,
		.idle_s = 120,
		.heat_c = 38,
		.heat_hysteresis_c = 0.5,
		.hot_c = 45,
		.still_dps = 10,
	};
	return c;
}

static struct detector *detector_design(void)
{
	struct detector_cfg c = design_cfg();
	struct detector *d = detector_new(&c);

	assert_non_null(d);
	return d;
}

/* Every event of a test, with the session summaries copied out (the
 * detector's pointer only lives until its next call). */
#define LOG_MAX 4096
#define LOG_SESSIONS 8
struct event_log {
	size_t n;
	struct detector_event ev[LOG_MAX];
	size_t n_sessions;
	struct detector_summary sessions[LOG_SESSIONS];
};
static struct event_log g_log;

static void log_clear(void)
{
	memset(&g_log, 0, sizeof(g_log));
}

/* The fixture of most tests: *state is the design detector, the log is
 * empty; the detector is freed after the test. */
static int design_setup(void **state)
{
	log_clear();
	*state = detector_design();
	return 0;
}

static int design_teardown(void **state)
{
	detector_free(*state);
	return 0;
}

static void log_add(const struct detector_event *ev, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		assert_true(g_log.n < LOG_MAX);
		g_log.ev[g_log.n] = ev[i];
		if (ev[i].kind == DETECTOR_EVENT_SESSION_ENDED) {
			assert_non_null(ev[i].session);
			assert_true(g_log.n_sessions < LOG_SESSIONS);
			g_log.sessions[g_log.n_sessions] = *ev[i].session;
			g_log.ev[g_log.n].session = &g_log.sessions[g_log.n_sessions];
			g_log.n_sessions++;
		}
		g_log.n++;
	}
}

static size_t log_count(enum detector_event_kind kind)
{
	size_t i, n = 0;

	for (i = 0; i < g_log.n; i++)
		if (g_log.ev[i].kind == kind)
			n++;
	return n;
}

/* The nth (from 0) event of a kind; fails the test if there is none. */
static const struct detector_event *log_nth(enum detector_event_kind kind, size_t nth)
{
	size_t i;

	for (i = 0; i < g_log.n; i++)
		if (g_log.ev[i].kind == kind && nth-- == 0)
			return &g_log.ev[i];
	fail_msg("no %s event #%zu", detector_event_name(kind), nth);
	return NULL;
}

/* A sample with its rotation (NAN: no gyroscope, or its fault). */
static void feed_rot(struct detector *d, double t_s, double p_kpa, double temp_c, double rot_dps,
		     double period_s)
{
	struct detector_event ev[DETECTOR_EVENTS_MAX];
	size_t n = detector_feed(d, t_s, p_kpa, temp_c, rot_dps, period_s, ev, DETECTOR_EVENTS_MAX);

	log_add(ev, n);
}

/* A sample from a tool without a gyroscope. */
static void feed(struct detector *d, double t_s, double p_kpa, double temp_c, double period_s)
{
	feed_rot(d, t_s, p_kpa, temp_c, NAN, period_s);
}

static void end_session(struct detector *d, double t_s)
{
	struct detector_event ev[DETECTOR_EVENTS_MAX];
	size_t n = detector_end_session(d, t_s, ev, DETECTOR_EVENTS_MAX);

	log_add(ev, n);
}

/* ---- the script generator --------------------------------------------- */

#define PROFILE_POINTS 512
#define SCRIPT_WINDOWS 4

/* A signal drawn through points, straight between them, flat outside. */
struct profile {
	size_t n;
	double t_s[PROFILE_POINTS];
	double v[PROFILE_POINTS];
};

struct window {
	double from_s;
	double to_s;
	double amp;		/* jitter windows: ±amp uniform */
};

struct script {
	struct profile pressure;
	struct profile temperature;	/* no points: temperature unknown */
	struct profile rotation;	/* no points: no gyroscope */
	double slope_kpa_s;		/* ramps through thresholds */
	double noise_kpa;		/* sigma of the pressure noise */
	uint64_t rng;
	size_t n_lost;			/* samples inside these are never fed */
	struct window lost[SCRIPT_WINDOWS];
	size_t n_nan_p;			/* pressure NAN inside these */
	struct window nan_p[SCRIPT_WINDOWS];
	size_t n_jitter;		/* temperature jitter inside these */
	struct window jitter[SCRIPT_WINDOWS];
};

static void profile_add(struct profile *p, double t_s, double v)
{
	assert_true(p->n < PROFILE_POINTS);
	if (p->n > 0)
		assert_true(t_s >= p->t_s[p->n - 1]);
	p->t_s[p->n] = t_s;
	p->v[p->n] = v;
	p->n++;
}

static double profile_at(const struct profile *p, double t_s)
{
	size_t lo = 0, hi;

	if (p->n == 0)
		return NAN;
	if (t_s <= p->t_s[0])
		return p->v[0];
	if (t_s >= p->t_s[p->n - 1])
		return p->v[p->n - 1];
	hi = p->n - 1;
	while (hi - lo > 1) {	/* t_s[lo] < t_s <= t_s[hi] */
		size_t mid = (lo + hi) / 2;

		if (p->t_s[mid] < t_s)
			lo = mid;
		else
			hi = mid;
	}
	if (p->t_s[hi] == p->t_s[lo])
		return p->v[hi];
	return p->v[lo] + (p->v[hi] - p->v[lo]) * (t_s - p->t_s[lo]) / (p->t_s[hi] - p->t_s[lo]);
}

static void script_init(struct script *sc, double base_kpa)
{
	memset(sc, 0, sizeof(*sc));
	sc->slope_kpa_s = 100;
	sc->noise_kpa = 0.5;
	sc->rng = 0x9e3779b97f4a7c15ull;
	profile_add(&sc->pressure, 0, base_kpa);
}

/* xorshift64*: uniform in [-1, 1). */
static double script_uniform(struct script *sc)
{
	sc->rng ^= sc->rng >> 12;
	sc->rng ^= sc->rng << 25;
	sc->rng ^= sc->rng >> 27;
	return (double)((sc->rng * 2685821657736338717ull) >> 11) / 9007199254740992.0 * 2 - 1;
}

/* Gaussian-ish: the sum of three uniforms has sigma 1 and stays within ±3,
 * so this noise stays within ±3 sigma. */
static double script_noise(struct script *sc)
{
	return sc->noise_kpa * (script_uniform(sc) + script_uniform(sc) + script_uniform(sc));
}

/* Pressure rising from a to b, crossing thr at t_s. */
static void script_up(struct script *sc, double t_s, double a, double b, double thr)
{
	profile_add(&sc->pressure, t_s - (thr - a) / sc->slope_kpa_s, a);
	profile_add(&sc->pressure, t_s + (b - thr) / sc->slope_kpa_s, b);
}

/* Pressure falling from a to b, crossing thr at t_s. */
static void script_down(struct script *sc, double t_s, double a, double b, double thr)
{
	profile_add(&sc->pressure, t_s - (a - thr) / sc->slope_kpa_s, a);
	profile_add(&sc->pressure, t_s + (thr - b) / sc->slope_kpa_s, b);
}

/* A hold: from base up through 10 kPa at start_s, level_kpa, down through
 * 8 kPa at end_s. By docs/protocol.md it lasts end_s - start_s. */
static void script_hold(struct script *sc, double start_s, double end_s, double level_kpa,
			double base_kpa)
{
	script_up(sc, start_s, base_kpa, level_kpa, 10);
	script_down(sc, end_s, level_kpa, base_kpa, 8);
}

static bool in_windows(const struct window *w, size_t n, double t_s, double *amp)
{
	size_t i;

	for (i = 0; i < n; i++) {
		if (t_s > w[i].from_s && t_s < w[i].to_s) {
			if (amp)
				*amp = w[i].amp;
			return true;
		}
	}
	return false;
}

/* The script's sample at t_s. */
static void script_sample(struct script *sc, double t_s, double *p_kpa, double *temp_c,
			  double *rot_dps)
{
	double amp = 0;

	*p_kpa = profile_at(&sc->pressure, t_s) + script_noise(sc);
	if (in_windows(sc->nan_p, sc->n_nan_p, t_s, NULL))
		*p_kpa = NAN;
	*temp_c = profile_at(&sc->temperature, t_s);
	if (in_windows(sc->jitter, sc->n_jitter, t_s, &amp))
		*temp_c += amp * script_uniform(sc);
	*rot_dps = profile_at(&sc->rotation, t_s);
}

/* Feeds every sample of the script with from_s <= t <= to_s at rate_hz,
 * skipping the lost ones. Sample times are k / rate_hz. */
static void script_run(struct script *sc, struct detector *d, double rate_hz, double from_s,
		       double to_s)
{
	long k = lround(ceil(from_s * rate_hz - 1e-6));
	long k_end = lround(floor(to_s * rate_hz + 1e-6));

	for (; k <= k_end; k++) {
		double t_s = (double)k / rate_hz;
		double p_kpa, temp_c, rot_dps;

		script_sample(sc, t_s, &p_kpa, &temp_c, &rot_dps);
		if (in_windows(sc->lost, sc->n_lost, t_s, NULL))
			continue;
		feed_rot(d, t_s, p_kpa, temp_c, rot_dps, 1.0 / rate_hz);
	}
}

static const struct detector_summary *only_session(void)
{
	assert_int_equal(g_log.n_sessions, 1);
	return &g_log.sessions[0];
}

/* ---- tests ------------------------------------------------------------ */

static void test_new_rejects_bad_cfg(void **state)
{
	struct detector_cfg c;

	(void)state;
	c = design_cfg();
	c.contact_kpa = NAN;
	errno = 0;
	assert_null(detector_new(&c));
	assert_int_equal(errno, EINVAL);

	c = design_cfg();
	c.hold_end_kpa = 12;	/* above the start threshold: a hold could never last */
	errno = 0;
	assert_null(detector_new(&c));
	assert_int_equal(errno, EINVAL);

	c = design_cfg();
	c.effective_s = 90;	/* above long_s */
	errno = 0;
	assert_null(detector_new(&c));
	assert_int_equal(errno, EINVAL);

	errno = 0;
	assert_null(detector_new(NULL));
	assert_int_equal(errno, EINVAL);
}

static void test_names(void **state)
{
	(void)state;
	assert_string_equal(detector_class_name(DETECTOR_HOLD_SHORT), "short");
	assert_string_equal(detector_class_name(DETECTOR_HOLD_EFFECTIVE), "effective");
	assert_string_equal(detector_class_name(DETECTOR_HOLD_LONG), "long");
	assert_string_equal(detector_class_name((enum detector_hold_class)99), "unknown");
	assert_string_equal(detector_event_name(DETECTOR_EVENT_CONTACT), "contact");
	assert_string_equal(detector_event_name(DETECTOR_EVENT_HOLD_STARTED), "hold_started");
	assert_string_equal(detector_event_name(DETECTOR_EVENT_HOLD_10S), "hold_10s");
	assert_string_equal(detector_event_name(DETECTOR_EVENT_HOLD_60S), "hold_60s");
	assert_string_equal(detector_event_name(DETECTOR_EVENT_HOLD_ENDED), "hold_ended");
	assert_string_equal(detector_event_name(DETECTOR_EVENT_HEAT_ON), "heat_on");
	assert_string_equal(detector_event_name(DETECTOR_EVENT_HEAT_OFF), "heat_off");
	assert_string_equal(detector_event_name(DETECTOR_EVENT_TOO_HOT), "too_hot");
	assert_string_equal(detector_event_name(DETECTOR_EVENT_SESSION_STARTED), "session_started");
	assert_string_equal(detector_event_name(DETECTOR_EVENT_SESSION_ENDED), "session_ended");
	assert_string_equal(detector_event_name(DETECTOR_EVENT_KINDS), "unknown");
}

/* Hand-computed, no noise, 10 Hz. Rest 0.5 kPa to 0.9 s; 10.0 kPa at 1.0 s
 * (at the start threshold: the hold starts); 14 kPa from 1.1 to 5.9 s (49
 * samples); 8.0 kPa at 6.0 s (at the end threshold: still in the hold); then
 * 4 kPa (contact, below 8) to 8.0 s.
 *   duration = 6.0 - 1.0 = 5.0 s = min_hold_s: counted, short
 *   peak 14, mean (10 + 49 * 14 + 8) / 51 = 704 / 51 = 13.8039...
 *   HOLD_STARTED when it has lasted 5 s: at the 6.0 s sample
 *   HOLD_ENDED at the first sample more than 1.0 s after 6.0 s: 7.1 s
 *   session: 1.0 s to the last contact at 8.0 s: 7.0 s, 71 samples. */
static void test_hold_exact(void **state)
{
	struct detector *d = *state;
	const struct detector_event *ev;
	const struct detector_summary *s;
	int k;

	for (k = 0; k <= 80; k++) {
		double p = k < 10 ? 0.5 : k == 10 ? 10.0 : k < 60 ? 14.0 : k == 60 ? 8.0 : 4.0;

		feed(d, k / 10.0, p, NAN, 0.1);
	}
	ev = log_nth(DETECTOR_EVENT_SESSION_STARTED, 0);
	near(ev->mono_s, 1.0, 1e-9);
	ev = log_nth(DETECTOR_EVENT_CONTACT, 0);
	near(ev->mono_s, 1.0, 1e-9);
	near(ev->pressure_kpa, 10.0, 1e-9);
	ev = log_nth(DETECTOR_EVENT_HOLD_STARTED, 0);
	near(ev->mono_s, 6.0, 1e-9);
	near(ev->hold.start_mono_s, 1.0, 1e-9);
	ev = log_nth(DETECTOR_EVENT_HOLD_ENDED, 0);
	near(ev->mono_s, 7.1, 1e-9);
	near(ev->hold.start_mono_s, 1.0, 1e-9);
	near(ev->hold.duration_s, 5.0, 1e-9);
	near(ev->hold.peak_kpa, 14.0, 1e-9);
	near(ev->hold.mean_kpa, 704.0 / 51.0, 1e-9);
	assert_int_equal(ev->hold.hold_class, DETECTOR_HOLD_SHORT);
	assert_int_equal(log_count(DETECTOR_EVENT_HOLD_10S), 0);

	end_session(d, 8.05);
	s = only_session();
	near(log_nth(DETECTOR_EVENT_SESSION_ENDED, 0)->mono_s, 8.05, 1e-9);
	near(s->start_mono_s, 1.0, 1e-9);
	near(s->end_mono_s, 8.0, 1e-9);
	near(s->duration_s, 7.0, 1e-9);
	assert_int_equal(s->hold_count, 1);
	assert_int_equal(s->holds_stored, 1);
	near(s->hold_time_s, 5.0, 1e-9);
	near(s->holds[0].mean_kpa, 704.0 / 51.0, 1e-9);
	assert_int_equal(s->samples, 71);
	assert_int_equal(s->missing_samples, 0);
	assert_true(isnan(s->max_temperature_c));
	near(s->heat_time_s, 0, 0);
	assert_int_equal(log_count(DETECTOR_EVENT_HEAT_ON), 0);
}

/* The same as above but one sample shorter (the 8.0 kPa sample at 5.9 s):
 * 4.9 s is under min_hold_s, not a hold, so no hold event at all. */
static void test_hold_too_short_exact(void **state)
{
	struct detector *d = *state;
	int k;

	for (k = 0; k <= 80; k++) {
		double p = k < 10 ? 0.5 : k == 10 ? 10.0 : k < 59 ? 14.0 : k == 59 ? 8.0 : 4.0;

		feed(d, k / 10.0, p, NAN, 0.1);
	}
	end_session(d, 8.0);
	assert_int_equal(log_count(DETECTOR_EVENT_HOLD_STARTED), 0);
	assert_int_equal(log_count(DETECTOR_EVENT_HOLD_ENDED), 0);
	assert_int_equal(only_session()->hold_count, 0);
	near(only_session()->hold_time_s, 0, 0);
}

/* A bridged dip belongs to the hold, the dip after its end does not. By
 * hand, 10 Hz, no noise: 12 kPa from 1.0 to 8.0 s except 6 kPa for 3.0 ..
 * 3.5 s (6 samples; 3.5 - 2.9 = 0.6 s since the last sample >= 8: bridged);
 * then 4 kPa. The hold: 1.0 .. 8.0 s, 71 samples, 65 at 12 and 6 at 6:
 * mean (65 * 12 + 6 * 6) / 71 = 816 / 71, peak 12. The 4 kPa samples after
 * 8.0 s (until the hold ends at 9.1 s) are not part of it. */
static void test_dip_in_mean_exact(void **state)
{
	struct detector *d = *state;
	const struct detector_event *ev;
	int k;

	for (k = 10; k <= 100; k++) {
		double p = k > 80 ? 4.0 : (k >= 30 && k <= 35) ? 6.0 : 12.0;

		feed(d, k / 10.0, p, NAN, 0.1);
	}
	assert_int_equal(log_count(DETECTOR_EVENT_HOLD_ENDED), 1);
	ev = log_nth(DETECTOR_EVENT_HOLD_ENDED, 0);
	near(ev->mono_s, 9.1, 1e-9);
	near(ev->hold.duration_s, 7.0, 1e-9);
	near(ev->hold.mean_kpa, 816.0 / 71.0, 1e-9);
	near(ev->hold.peak_kpa, 12.0, 0);
}

/* At 1 Hz the normal spacing (here 1.02 s, a slow clock) is longer than
 * bridge_s but is no gap: nothing is lost. 21 samples at k * 1.02 s, 12 kPa
 * and 40 °C: one hold of 20 * 1.02 = 20.4 s, heat 20.4 s, no missing. */
static void test_low_rate_spacing_no_gap(void **state)
{
	struct detector *d = *state;
	const struct detector_summary *s;
	int k;

	for (k = 0; k <= 20; k++)
		feed(d, k * 1.02, 12, 40, 1.0);
	end_session(d, 20.4);
	s = only_session();
	assert_int_equal(s->hold_count, 1);
	near(s->holds[0].duration_s, 20.4, 1e-9);
	assert_int_equal(s->holds[0].hold_class, DETECTOR_HOLD_EFFECTIVE);
	near(s->heat_time_s, 20.4, 1e-9);
	assert_int_equal(s->missing_samples, 0);
	assert_int_equal(s->samples, 21);
}

/* A declared gap that outlasts idle_s closes the session at once; its lost
 * readings belong to no session. Contact 0 .. 1.0 s (11 samples), then 200 s
 * lost. After the gap contact is no longer known: the next contact is a
 * CONTACT again and opens a new session. */
static void test_gap_closes_session(void **state)
{
	struct detector *d = *state;
	struct detector_event ev[DETECTOR_EVENTS_MAX];
	size_t n;
	int k;

	for (k = 0; k <= 10; k++)
		feed(d, k / 10.0, 5, NAN, 0.1);
	n = detector_gap(d, 1.0, 201.0, ev, DETECTOR_EVENTS_MAX);
	log_add(ev, n);
	assert_int_equal(n, 1);
	assert_int_equal(ev[0].kind, DETECTOR_EVENT_SESSION_ENDED);
	near(ev[0].mono_s, 201.0, 0);
	near(g_log.sessions[0].end_mono_s, 1.0, 0);
	assert_int_equal(g_log.sessions[0].samples, 11);
	assert_int_equal(g_log.sessions[0].missing_samples, 0);
	/* a stale or empty gap is ignored */
	assert_int_equal(detector_gap(d, 0.5, 0.9, ev, DETECTOR_EVENTS_MAX), 0);
	assert_int_equal(detector_gap(d, 5.0, 5.0, ev, DETECTOR_EVENTS_MAX), 0);

	feed(d, 201.0, 5, NAN, 0.1);
	assert_int_equal(log_count(DETECTOR_EVENT_SESSION_STARTED), 2);
	assert_int_equal(log_count(DETECTOR_EVENT_CONTACT), 2);
	end_session(d, 202);
	assert_int_equal(g_log.n_sessions, 2);
	assert_int_equal(g_log.sessions[1].missing_samples, 0);
	assert_int_equal(g_log.sessions[1].samples, 1);
}

/* Holds of 3, 7, 25 and 75 s, rolling at 4 kPa between them, noise sigma
 * 0.5 kPa, 10 Hz. 3 s is no hold; 7 s short, 25 s effective, 75 s long. */
static void test_hold_classes(void **state)
{
	static struct script sc;
	const double start_s[] = { 10.07, 20.07, 40.06, 80.05 };
	const double end_s[] = { 13.03, 27.05, 65.03, 155.04 };
	struct detector *d = *state;
	const struct detector_summary *s;
	const struct detector_event *ev;
	size_t i;

	script_init(&sc, 0.3);
	script_up(&sc, 5.03, 0.3, 4, 2);
	for (i = 0; i < 4; i++)
		script_hold(&sc, start_s[i], end_s[i], 15, 4);
	script_down(&sc, 170.03, 4, 0.3, 2);
	script_run(&sc, d, 10, 0, 200);
	end_session(d, 200);

	s = only_session();
	assert_int_equal(s->hold_count, 3);
	assert_int_equal(log_count(DETECTOR_EVENT_HOLD_STARTED), 3);
	assert_int_equal(log_count(DETECTOR_EVENT_HOLD_ENDED), 3);
	for (i = 0; i < 3; i++) {
		near(s->holds[i].start_mono_s, start_s[i + 1], 0.1);
		near(s->holds[i].duration_s, end_s[i + 1] - start_s[i + 1], 0.1);
		/* the plateau is 15 kPa; the mean of >= 70 noisy samples is close */
		near(s->holds[i].mean_kpa, 15, 0.3);
		assert_true(s->holds[i].peak_kpa >= 15 && s->holds[i].peak_kpa <= 16.5);
		ev = log_nth(DETECTOR_EVENT_HOLD_ENDED, i);
		near(ev->hold.duration_s, s->holds[i].duration_s, 1e-9);
	}
	assert_int_equal(s->holds[0].hold_class, DETECTOR_HOLD_SHORT);
	assert_int_equal(s->holds[1].hold_class, DETECTOR_HOLD_EFFECTIVE);
	assert_int_equal(s->holds[2].hold_class, DETECTOR_HOLD_LONG);
	near(s->hold_time_s, 6.98 + 24.97 + 74.99, 0.3);

	/* milestones: 5 s after the start (HOLD_STARTED), 10 s (25 s and 75 s
	 * holds), more than 60 s (75 s hold), each once, within a sample */
	for (i = 0; i < 3; i++)
		near(log_nth(DETECTOR_EVENT_HOLD_STARTED, i)->mono_s, start_s[i + 1] + 5, 0.1);
	assert_int_equal(log_count(DETECTOR_EVENT_HOLD_10S), 2);
	near(log_nth(DETECTOR_EVENT_HOLD_10S, 0)->mono_s, start_s[2] + 10, 0.1);
	near(log_nth(DETECTOR_EVENT_HOLD_10S, 1)->mono_s, start_s[3] + 10, 0.1);
	/* "more than 60 s": the sample after the one at exactly 60 s from the
	 * hold's first sample, itself up to a period after the scripted start */
	assert_int_equal(log_count(DETECTOR_EVENT_HOLD_60S), 1);
	ev = log_nth(DETECTOR_EVENT_HOLD_60S, 0);
	assert_true(ev->mono_s > start_s[3] + 60 && ev->mono_s <= start_s[3] + 60.2);
	near(ev->hold.duration_s, 60.1, 1e-6);

	/* one session: contact at 5.03 s (rolling) to 170.03 s */
	assert_int_equal(log_count(DETECTOR_EVENT_SESSION_STARTED), 1);
	assert_int_equal(log_count(DETECTOR_EVENT_CONTACT), 1);
	near(s->start_mono_s, 5.03, 0.1);
	near(s->end_mono_s, 170.03, 0.1);
	assert_int_equal(detector_events_dropped(d), 0);
}

/* A 30 s hold with a dip below 8 kPa (to 5 kPa) of 0.6 s is one hold; a dip
 * of 1.5 s splits it in two, at the dip. */
static void test_dips(void **state)
{
	static struct script sc;
	struct detector *d = *state;
	const struct detector_summary *s;

	script_init(&sc, 4);
	/* hold 1: 10.07 .. 40.03, dip 25.03 .. 25.63 */
	script_up(&sc, 10.07, 4, 15, 10);
	script_down(&sc, 25.03, 15, 5, 8);
	script_up(&sc, 25.63, 5, 15, 8);
	script_down(&sc, 40.03, 15, 4, 8);
	/* hold 2: 50.07 .. 80.03, dip 65.03 .. 66.53 */
	script_up(&sc, 50.07, 4, 15, 10);
	script_down(&sc, 65.03, 15, 5, 8);
	script_up(&sc, 66.53, 5, 15, 8);
	script_down(&sc, 80.03, 15, 4, 8);
	script_run(&sc, d, 10, 0, 90);
	end_session(d, 90);

	s = only_session();
	assert_int_equal(s->hold_count, 3);
	near(s->holds[0].start_mono_s, 10.07, 0.1);
	near(s->holds[0].duration_s, 40.03 - 10.07, 0.1);
	near(s->holds[1].start_mono_s, 50.07, 0.1);
	near(s->holds[1].duration_s, 65.03 - 50.07, 0.1);
	/* back up through 8 kPa at 66.53 s, through 10 kPa 0.02 s later */
	near(s->holds[2].start_mono_s, 66.55, 0.1);
	near(s->holds[2].duration_s, 80.03 - 66.55, 0.1);
	/* the bridged dip's samples are part of the hold: they pull the mean
	 * down by 6 of ~300 samples at ~10 kPa below the plateau */
	assert_true(s->holds[0].mean_kpa < 15 && s->holds[0].mean_kpa > 14.5);
}

/* 3 s of lost readings (30 samples, 20.1 .. 23.0 s) inside a hold scripted
 * 10.07 .. 40.03 s: the hold ends at its last sample before the gap (20.0 s)
 * and a new one starts after it (23.1 s); no duration spans the gap. */
static void test_gap(void **state)
{
	const bool declare = *(const bool *)*state;	/* or leave it to the spacing */
	static struct script sc;
	struct detector *d = detector_design();
	const struct detector_summary *s;
	struct detector_event ev[DETECTOR_EVENTS_MAX];
	size_t n;

	log_clear();
	script_init(&sc, 4);
	script_hold(&sc, 10.07, 40.03, 15, 4);
	script_run(&sc, d, 10, 0, 20.0);
	if (declare) {
		n = detector_gap(d, 20.0, 23.1, ev, DETECTOR_EVENTS_MAX);
		log_add(ev, n);
		/* the collector learns of the loss: the hold ends at once */
		assert_int_equal(n, 1);
		assert_int_equal(ev[0].kind, DETECTOR_EVENT_HOLD_ENDED);
		near(ev[0].mono_s, 23.1, 1e-9);
	}
	script_run(&sc, d, 10, 23.1, 50);
	end_session(d, 50);

	s = only_session();
	assert_int_equal(s->hold_count, 2);
	near(s->holds[0].start_mono_s, 10.07, 0.1);
	near(s->holds[0].duration_s, 20.0 - 10.07, 0.1);
	near(s->holds[1].start_mono_s, 23.1, 1e-9);
	near(s->holds[1].duration_s, 40.03 - 23.1, 0.1);
	assert_int_equal(s->missing_samples, 30);
	detector_free(d);
}

/* A gap shorter than bridge_s (one lost reading) is bridged: one hold. */
static void test_gap_short_bridged(void **state)
{
	static struct script sc;
	struct detector *d = *state;
	const struct detector_summary *s;

	script_init(&sc, 4);
	script_hold(&sc, 10.07, 40.03, 15, 4);
	sc.lost[sc.n_lost++] = (struct window){ 20.05, 20.15, 0 };	/* 20.1 s */
	script_run(&sc, d, 10, 0, 50);
	end_session(d, 50);
	s = only_session();
	assert_int_equal(s->hold_count, 1);
	near(s->holds[0].duration_s, 40.03 - 10.07, 0.1);
	assert_int_equal(s->missing_samples, 1);
}

/* Pressure unknown (NAN) inside a hold: 0.5 s is bridged, 2 s ends it at its
 * last good sample. NAN readings were received: they are not "missing". */
static void test_nan_pressure(void **state)
{
	static struct script sc;
	struct detector *d = *state;
	const struct detector_summary *s;

	script_init(&sc, 4);
	script_hold(&sc, 10.07, 40.03, 15, 4);
	script_hold(&sc, 50.07, 80.03, 15, 4);
	sc.nan_p[sc.n_nan_p++] = (struct window){ 20.05, 20.55, 0 };	/* 20.1 .. 20.5 */
	sc.nan_p[sc.n_nan_p++] = (struct window){ 60.05, 62.05, 0 };	/* 60.1 .. 62.0 */
	script_run(&sc, d, 10, 0, 90);
	end_session(d, 90);

	s = only_session();
	assert_int_equal(s->hold_count, 3);
	near(s->holds[0].duration_s, 40.03 - 10.07, 0.1);
	near(s->holds[1].duration_s, 60.0 - 50.07, 0.1);
	near(s->holds[2].start_mono_s, 62.1, 1e-9);
	near(s->holds[2].duration_s, 80.03 - 62.1, 0.1);
	/* the long unknown stretch ends the hold once it passes bridge_s */
	near(log_nth(DETECTOR_EVENT_HOLD_ENDED, 1)->mono_s, 61.1, 1e-9);
	assert_int_equal(s->missing_samples, 0);
	/* samples: 0 .. 90.0 s at 10 Hz, all in the session (4 kPa base is
	 * contact from the first sample on) */
	assert_int_equal(s->samples, 901);
}

/* Temperature (no noise except jitter windows): 30 °C; ramp 0.3 °C/s from
 * 10 s to 39 °C at 40 s, crossing 38 at 10 + 8 / 0.3 = 36.667 s; hovering
 * at 38 ± 0.3 for 40..70 s (on: never below 37.5); down 38 -> 36.9 over
 * 70..72 s, crossing 37.5 at 70 + 0.5 / 0.55 = 70.909 s; up to 37.75 at
 * 75 s, hovering at 37.75 ± 0.2 to 100 s (off: never at 38). Exactly one
 * HEAT_ON/HEAT_OFF pair, heat time 70.909 - 36.667 = 34.242 s. */
static void test_heat_hysteresis(void **state)
{
	static struct script sc;
	struct detector *d = *state;
	const struct detector_summary *s;
	const struct detector_event *ev;
	int k, above = 0, below = 0;

	script_init(&sc, 4);	/* in contact all along: one session */
	sc.noise_kpa = 0;
	profile_add(&sc.temperature, 10, 30);
	profile_add(&sc.temperature, 40, 39);
	profile_add(&sc.temperature, 40, 38);
	profile_add(&sc.temperature, 70, 38);
	profile_add(&sc.temperature, 72, 36.9);
	profile_add(&sc.temperature, 75, 37.75);
	profile_add(&sc.temperature, 100, 37.75);
	sc.jitter[sc.n_jitter++] = (struct window){ 40.05, 69.95, 0.3 };
	sc.jitter[sc.n_jitter++] = (struct window){ 75.05, 99.95, 0.2 };
	script_run(&sc, d, 10, 0, 100);
	end_session(d, 100);

	/* the jitter really crosses 38 while on: without hysteresis it would
	 * flap (checked on a fresh copy of the generator) */
	{
		static struct script probe;
		probe = sc;
		probe.rng = 0x9e3779b97f4a7c15ull;
		for (k = 0; k <= 1000; k++) {
			double p, t, r;

			script_sample(&probe, k / 10.0, &p, &t, &r);
			if (k > 400 && k < 700 && t >= 38)
				above++;
			else if (k > 400 && k < 700)
				below++;
		}
		assert_true(above > 10 && below > 10);
	}

	assert_int_equal(log_count(DETECTOR_EVENT_HEAT_ON), 1);
	assert_int_equal(log_count(DETECTOR_EVENT_HEAT_OFF), 1);
	assert_int_equal(log_count(DETECTOR_EVENT_TOO_HOT), 0);
	ev = log_nth(DETECTOR_EVENT_HEAT_ON, 0);
	near(ev->mono_s, 36.667, 0.1);
	assert_true(ev->temperature_c >= 38);
	ev = log_nth(DETECTOR_EVENT_HEAT_OFF, 0);
	near(ev->mono_s, 70.909, 0.1);
	assert_true(ev->temperature_c < 37.5);

	s = only_session();
	near(s->heat_time_s, 70.909 - 36.667, 0.1);
	near(s->max_temperature_c, 39.0, 1e-9);	/* the ramp's top at 40 s */
	near(s->hot_time_s, 0, 0);
}

/* Hot: ramp 0.5 °C/s from 40 °C at 10.03 s to 47 °C at 24.03 s, crossing 45
 * at 20.03 s; 47 °C to 40.03 s; down 0.5 °C/s, crossing 44.5 (45 minus the
 * hysteresis) at 45.03 s. Hot time 25.0 s, TOO_HOT once. */
static void test_too_hot(void **state)
{
	static struct script sc;
	struct detector *d = *state;
	const struct detector_summary *s;
	const struct detector_event *ev;

	script_init(&sc, 4);
	profile_add(&sc.temperature, 10.03, 40);
	profile_add(&sc.temperature, 24.03, 47);
	profile_add(&sc.temperature, 40.03, 47);
	profile_add(&sc.temperature, 54.03, 40);
	script_run(&sc, d, 10, 0, 60);
	end_session(d, 60);

	assert_int_equal(log_count(DETECTOR_EVENT_TOO_HOT), 1);
	ev = log_nth(DETECTOR_EVENT_TOO_HOT, 0);
	near(ev->mono_s, 20.03, 0.1);
	assert_true(ev->temperature_c >= 45);
	s = only_session();
	near(s->hot_time_s, 25.0, 0.1);
	/* heat (>= 38) from the first sample to the end: 0 .. 60 s */
	near(s->heat_time_s, 60.0, 0.1);
	assert_int_equal(log_count(DETECTOR_EVENT_HEAT_ON), 1);
	assert_int_equal(log_count(DETECTOR_EVENT_HEAT_OFF), 0);
	near(s->max_temperature_c, 47, 1e-9);
}

/* Contact from 5.07 s to 50.03 s, then rest. The session closes 120 s after
 * the last contact (170.03 s, at the first sample past it) and reports
 * 5.07 .. 50.03 s; samples fed while it was open: 5.1 .. 170.0 s, 1650. */
static void test_session_idle_close(void **state)
{
	static struct script sc;
	struct detector *d = *state;
	const struct detector_summary *s;
	const struct detector_event *ev;

	script_init(&sc, 0.3);
	script_up(&sc, 5.07, 0.3, 4, 2);
	script_hold(&sc, 20.07, 32.03, 15, 4);
	script_down(&sc, 50.03, 4, 0.3, 2);
	script_run(&sc, d, 10, 0, 169.9);
	assert_int_equal(log_count(DETECTOR_EVENT_SESSION_ENDED), 0);
	script_run(&sc, d, 10, 170.0, 300);

	assert_int_equal(log_count(DETECTOR_EVENT_SESSION_STARTED), 1);
	assert_int_equal(log_count(DETECTOR_EVENT_SESSION_ENDED), 1);
	ev = log_nth(DETECTOR_EVENT_SESSION_ENDED, 0);
	near(ev->mono_s, 170.03, 0.1);
	s = ev->session;
	near(s->start_mono_s, 5.07, 0.1);
	near(s->end_mono_s, 50.03, 0.1);
	near(s->duration_s, 50.03 - 5.07, 0.1);
	assert_int_equal(s->hold_count, 1);
	assert_int_equal(s->holds[0].hold_class, DETECTOR_HOLD_EFFECTIVE);
	near(s->holds[0].duration_s, 11.96, 0.1);
	assert_int_equal(s->samples, 1650);
	assert_int_equal(s->missing_samples, 0);
	assert_true(isnan(s->max_temperature_c));
	/* nothing more to end */
	assert_int_equal(detector_end_session(d, 300, NULL, 0), 0);
}

/* Heat belongs to the session it is within idle_s of, never to two.
 * Temperature 40 °C from 0 s to 200 s, then down 10 °C/s, crossing 37.5 at
 * 200.25 s. Session A: contact 5.03 .. 10.03 s (last contact sample 10.0 s),
 * closes at the first sample more than 120 s later, 130.1 s, having counted
 * the heat from the first sample (0 s, within its pre-heat window) to the
 * last sample before closing, 130.0 s. Session B opens at 160.03 s; its
 * pre-heat window starts where A's counting ended (130.0 s), not at 40.03 s:
 * heat 130.0 .. 200.25 s. Together: all heat, once. */
static void test_heat_shared_between_sessions(void **state)
{
	static struct script sc;
	struct detector *d = *state;
	const struct detector_summary *a, *b;

	script_init(&sc, 0.3);
	script_up(&sc, 5.03, 0.3, 4, 2);
	script_down(&sc, 10.03, 4, 0.3, 2);
	script_up(&sc, 160.03, 0.3, 4, 2);
	script_down(&sc, 170.03, 4, 0.3, 2);
	profile_add(&sc.temperature, 200, 40);
	profile_add(&sc.temperature, 201, 30);	/* below 37.5 from 200.25 s */
	script_run(&sc, d, 10, 0, 250);
	end_session(d, 250);

	assert_int_equal(g_log.n_sessions, 2);
	a = &g_log.sessions[0];
	b = &g_log.sessions[1];
	near(a->heat_time_s, 130.0, 0.1);
	near(a->max_temperature_c, 40, 1e-9);
	near(b->heat_time_s, 200.25 - 130.0, 0.1);
	near(b->max_temperature_c, 40, 1e-9);
	near(a->heat_time_s + b->heat_time_s, 200.25, 0.1);
}

/* Pre-heat alone: a warm compress 0 .. 200 s at 40 °C, contact from 250 s:
 * the session counts the heat of its idle_s (120 s) before the contact,
 * 130 .. 200 s = 70 s, and the compress's temperature. */
static void test_preheat(void **state)
{
	static struct script sc;
	struct detector *d = *state;
	const struct detector_summary *s;

	script_init(&sc, 0.3);
	script_up(&sc, 250.03, 0.3, 4, 2);
	profile_add(&sc.temperature, 200.03, 40);
	profile_add(&sc.temperature, 200.13, 30);	/* below 37.5 at 200.055 s */
	script_run(&sc, d, 10, 0, 260);
	end_session(d, 260);
	s = only_session();
	near(s->start_mono_s, 250.03, 0.1);
	near(s->heat_time_s, 200.055 - 130.03, 0.1);
	near(s->max_temperature_c, 40, 0.5);
}

/* detector_end_session closes a hold in progress (12 s, effective) and the
 * session. Still leaning on the tool does not reopen one; lifting it and
 * pressing again does. */
static void test_end_session_closes_hold(void **state)
{
	static struct script sc;
	struct detector *d = *state;
	const struct detector_summary *s;
	const struct detector_event *ev;

	script_init(&sc, 0.3);
	script_up(&sc, 5.07, 0.3, 15, 10);
	script_down(&sc, 30.03, 15, 0.3, 2);
	script_up(&sc, 40.07, 0.3, 4, 2);
	script_run(&sc, d, 10, 0, 17.0);
	end_session(d, 17.05);

	assert_int_equal(log_count(DETECTOR_EVENT_HOLD_ENDED), 1);
	ev = log_nth(DETECTOR_EVENT_HOLD_ENDED, 0);
	near(ev->mono_s, 17.05, 1e-9);
	near(ev->hold.duration_s, 17.0 - 5.07, 0.1);
	assert_int_equal(ev->hold.hold_class, DETECTOR_HOLD_EFFECTIVE);
	s = only_session();
	assert_int_equal(s->hold_count, 1);
	near(s->end_mono_s, 17.0, 1e-9);

	script_run(&sc, d, 10, 17.1, 35);
	assert_int_equal(log_count(DETECTOR_EVENT_SESSION_STARTED), 1);
	assert_int_equal(log_count(DETECTOR_EVENT_HOLD_STARTED), 1);
	script_run(&sc, d, 10, 35.1, 45);
	assert_int_equal(log_count(DETECTOR_EVENT_SESSION_STARTED), 2);
	near(log_nth(DETECTOR_EVENT_SESSION_STARTED, 1)->mono_s, 40.07, 0.1);
}

/* A duplicate or older sample changes nothing: no events, not in the peak. */
static void test_out_of_order_ignored(void **state)
{
	struct detector *d = *state;
	struct detector_event ev[DETECTOR_EVENTS_MAX];
	int k;

	for (k = 10; k <= 70; k++) {
		feed(d, k / 10.0, 12, NAN, 0.1);
		if (k == 30) {
			assert_int_equal(detector_feed(d, 3.0, 50, 50, NAN, 0.1, ev, DETECTOR_EVENTS_MAX), 0);
			assert_int_equal(detector_feed(d, 2.0, 50, 50, NAN, 0.1, ev, DETECTOR_EVENTS_MAX), 0);
			assert_int_equal(detector_feed(d, NAN, 50, 50, NAN, 0.1, ev, DETECTOR_EVENTS_MAX), 0);
			assert_int_equal(detector_feed(d, -1, 0.5, 50, NAN, 0.1, ev, DETECTOR_EVENTS_MAX), 0);
		}
	}
	end_session(d, 7.0);
	assert_int_equal(only_session()->hold_count, 1);
	near(only_session()->holds[0].peak_kpa, 12, 1e-9);
	near(only_session()->holds[0].duration_s, 6.0, 1e-9);
	assert_int_equal(only_session()->samples, 61);
	assert_true(isnan(only_session()->max_temperature_c));
	assert_int_equal(log_count(DETECTOR_EVENT_HEAT_ON), 0);
}

/* With no room for events the state still moves on; the drops are counted. */
static void test_events_dropped(void **state)
{
	struct detector *d = detector_design();
	struct detector_event ev[DETECTOR_EVENTS_MAX];
	size_t n;

	(void)state;
	assert_int_equal(detector_feed(d, 1.0, 5, 40, NAN, 0.1, NULL, 0), 0);
	/* SESSION_STARTED, CONTACT, HEAT_ON */
	assert_int_equal(detector_events_dropped(d), 3);
	n = detector_end_session(d, 1.0, ev, DETECTOR_EVENTS_MAX);
	assert_int_equal(n, 1);
	assert_int_equal(ev[0].kind, DETECTOR_EVENT_SESSION_ENDED);
	near(ev[0].session->start_mono_s, 1.0, 1e-9);
	near(ev[0].session->max_temperature_c, 40, 1e-9);
	detector_free(d);
}

/* A reset forgets the run: an open session is dropped silently and time may
 * start again from 0. */
static void test_reset(void **state)
{
	struct detector *d = *state;

	feed(d, 5.0, 5, NAN, 0.1);
	assert_int_equal(log_count(DETECTOR_EVENT_SESSION_STARTED), 1);
	detector_reset(d);
	assert_int_equal(detector_end_session(d, 6.0, NULL, 0), 0);
	feed(d, 0.0, 5, NAN, 0.1);
	assert_int_equal(log_count(DETECTOR_EVENT_SESSION_STARTED), 2);
	end_session(d, 0.5);
	near(only_session()->start_mono_s, 0.0, 0);
}

/* One hour at 100 Hz (360 001 samples): a 50 s cycle of a 25 s hold at
 * 15 kPa and 25 s rolling at 4 kPa, 72 holds; heat (39 °C) all along.
 * Holds scripted 10.007 .. 35.003 s (+ 50 s each), 24.996 s; ramps at 1000
 * kPa/s, so the noise (±1.5 kPa) cannot move a crossing across a sample
 * instant 0.003 s away. */
static void test_long_run(void **state)
{
	static struct script sc;
	struct detector *d = *state;
	const struct detector_summary *s;
	size_t i;

	script_init(&sc, 4);
	sc.slope_kpa_s = 1000;
	profile_add(&sc.temperature, 0, 39);
	for (i = 0; i < 72; i++)
		script_hold(&sc, 10.007 + 50.0 * (double)i, 35.003 + 50.0 * (double)i, 15, 4);
	script_run(&sc, d, 100, 0, 3600);
	end_session(d, 3600);

	s = only_session();
	assert_int_equal(s->hold_count, 72);
	assert_int_equal(s->holds_stored, DETECTOR_MAX_HOLDS);
	for (i = 0; i < DETECTOR_MAX_HOLDS; i++) {
		near(s->holds[i].start_mono_s, 10.007 + 50.0 * (double)i, 0.01);
		near(s->holds[i].duration_s, 24.996, 0.01);
		assert_int_equal(s->holds[i].hold_class, DETECTOR_HOLD_EFFECTIVE);
	}
	near(s->hold_time_s, 72 * 24.996, 72 * 0.01);
	assert_int_equal(log_count(DETECTOR_EVENT_HOLD_ENDED), 72);
	assert_int_equal(log_count(DETECTOR_EVENT_HOLD_10S), 72);
	assert_int_equal(log_count(DETECTOR_EVENT_HOLD_60S), 0);
	assert_int_equal(s->samples, 360001);
	assert_int_equal(s->missing_samples, 0);
	near(s->start_mono_s, 0, 0);
	near(s->duration_s, 3600, 0.01);
	near(s->heat_time_s, 3600, 0.01);
	assert_int_equal(detector_events_dropped(d), 0);
}

/* ---- zones ------------------------------------------------------------ */

/* The zone totals add up to the session's own. */
static void zone_sums_check(const struct detector_summary *s)
{
	size_t holds = 0, classes[3] = { 0, 0, 0 };
	double hold_s = 0, heat_s = 0, hot_s = 0;

	for (size_t i = 0; i < s->n_zones; i++) {
		const struct detector_zone_total *z = &s->zones[i];

		holds += z->holds;
		for (size_t c = 0; c < 3; c++)
			classes[c] += z->class_holds[c];
		assert_int_equal(z->class_holds[0] + z->class_holds[1] + z->class_holds[2], z->holds);
		hold_s += z->hold_time_s;
		heat_s += z->heat_time_s;
		hot_s += z->hot_time_s;
		for (size_t j = 0; j < i; j++)
			assert_string_not_equal(s->zones[j].zone, z->zone);
	}
	assert_int_equal(holds, s->hold_count);
	near(hold_s, s->hold_time_s, 1e-9);
	near(heat_s, s->heat_time_s, 1e-9);
	near(hot_s, s->hot_time_s, 1e-9);
}

static void zone_total_check(const struct detector_zone_total *z, const char *zone, size_t shorts,
			     size_t effective, size_t longs, double hold_s, double heat_s, double hot_s)
{
	assert_string_equal(z->zone, zone);
	assert_int_equal(z->holds, shorts + effective + longs);
	assert_int_equal(z->class_holds[DETECTOR_HOLD_SHORT], shorts);
	assert_int_equal(z->class_holds[DETECTOR_HOLD_EFFECTIVE], effective);
	assert_int_equal(z->class_holds[DETECTOR_HOLD_LONG], longs);
	near(z->hold_time_s, hold_s, 1e-9);
	near(z->heat_time_s, heat_s, 1e-9);
	near(z->hot_time_s, hot_s, 1e-9);
}

/* By hand, at 10 Hz: contact from 1 s; a hold at 14 kPa from 2.0 to 17.0 s
 * (15 s, effective) whose zone changes from calf_left to calf_right at
 * 10 s; a hold from 20.0 to 26.0 s (6 s, short) on calf_right; no zone from
 * 28 s, and a hold from 30.0 to 40.0 s (10 s, effective) without one. A
 * hold counts whole on the zone it started in. */
static void test_zone_hold_counts_where_it_started(void **state)
{
	struct detector *d = *state;
	const struct detector_summary *s;
	const struct detector_event *ev;

	for (int k = 0; k <= 450; k++) {
		bool held = (k >= 20 && k <= 170) || (k >= 200 && k <= 260) || (k >= 300 && k <= 400);

		detector_set_zone(d, k < 100 ? "calf_left" : k < 280 ? "calf_right" : NULL);
		feed(d, k / 10.0, k < 10 ? 0.5 : held ? 14 : 4, NAN, 0.1);
	}
	end_session(d, 45.05);

	/* The events say the zone too, from the first one on. */
	assert_string_equal(log_nth(DETECTOR_EVENT_HOLD_STARTED, 0)->zone, "calf_left");
	ev = log_nth(DETECTOR_EVENT_HOLD_10S, 0);
	near(ev->mono_s, 12.0, 1e-9);
	assert_string_equal(ev->zone, "calf_left");
	ev = log_nth(DETECTOR_EVENT_HOLD_ENDED, 0);
	near(ev->hold.duration_s, 15.0, 1e-9);
	assert_string_equal(ev->zone, "calf_left");
	assert_string_equal(log_nth(DETECTOR_EVENT_HOLD_ENDED, 1)->zone, "calf_right");
	assert_string_equal(log_nth(DETECTOR_EVENT_HOLD_ENDED, 2)->zone, "");
	assert_string_equal(log_nth(DETECTOR_EVENT_CONTACT, 0)->zone, "");

	s = only_session();
	assert_int_equal(s->hold_count, 3);
	near(s->hold_time_s, 31.0, 1e-9);
	assert_string_equal(detector_hold_zone(s, &s->holds[0]), "calf_left");
	assert_string_equal(detector_hold_zone(s, &s->holds[1]), "calf_right");
	assert_string_equal(detector_hold_zone(s, &s->holds[2]), "");
	assert_int_equal(s->n_zones, 3);
	zone_total_check(&s->zones[0], "calf_left", 0, 1, 0, 15.0, 0, 0);
	zone_total_check(&s->zones[1], "calf_right", 1, 0, 0, 6.0, 0, 0);
	zone_total_check(&s->zones[2], "", 0, 1, 0, 10.0, 0, 0);
	zone_sums_check(s);
}

/* Heat by hand, at 10 Hz from 0 to 10 s, in contact all along: 40 °C (heat)
 * up to 5.9 s, 46 °C (hot too) from 6.0 s; zone upper_back up to 4.9 s,
 * lower_back from 5.0 s. Each 0.1 s between two samples counts on the zone
 * of the first: 50 of them (0.0 .. 4.9) on upper_back, 50 (5.0 .. 9.9) on
 * lower_back; hot from 6.0 s, all on lower_back. */
static void test_zone_heat_across_a_change(void **state)
{
	struct detector *d = *state;
	const struct detector_summary *s;

	for (int k = 0; k <= 100; k++) {
		detector_set_zone(d, k < 50 ? "upper_back" : "lower_back");
		feed(d, k / 10.0, 4, k < 60 ? 40 : 46, 0.1);
	}
	end_session(d, 10.05);
	s = only_session();
	near(s->heat_time_s, 10.0, 1e-9);
	near(s->hot_time_s, 4.0, 1e-9);
	assert_int_equal(s->hold_count, 0);
	assert_int_equal(s->n_zones, 2);
	zone_total_check(&s->zones[0], "upper_back", 0, 0, 0, 0, 5.0, 0);
	zone_total_check(&s->zones[1], "lower_back", 0, 0, 0, 0, 5.0, 4.0);
	zone_sums_check(s);
}

/* Pre-heat keeps its zone: a warm compress on the neck (40 °C, no contact)
 * from 0 to 10 s, then contact with the zone calf_left from 10 s to 15 s,
 * still at 40 °C. The session counts the neck's 10 s first (it was counted
 * first), then 5 s on calf_left. */
static void test_zone_preheat(void **state)
{
	struct detector *d = *state;
	const struct detector_summary *s;

	for (int k = 0; k <= 150; k++) {
		detector_set_zone(d, k < 100 ? "neck" : "calf_left");
		feed(d, k / 10.0, k < 100 ? 0.3 : 4, 40, 0.1);
	}
	end_session(d, 15.05);
	s = only_session();
	near(s->heat_time_s, 15.0, 1e-9);
	assert_int_equal(s->n_zones, 2);
	zone_total_check(&s->zones[0], "neck", 0, 0, 0, 0, 10.0, 0);
	zone_total_check(&s->zones[1], "calf_left", 0, 0, 0, 0, 5.0, 0);
	zone_sums_check(s);
}

/* No zone at all: one entry, "", with everything. */
static void test_zone_none(void **state)
{
	struct detector *d = *state;
	const struct detector_summary *s;

	for (int k = 0; k <= 200; k++)
		feed(d, k / 10.0, k >= 20 && k <= 100 ? 14 : 4, 39, 0.1);
	end_session(d, 20.05);
	s = only_session();
	assert_int_equal(s->hold_count, 1);
	assert_string_equal(detector_hold_zone(s, &s->holds[0]), "");
	assert_int_equal(s->n_zones, 1);
	zone_total_check(&s->zones[0], "", 1, 0, 0, 8.0, 20.0, 0);	/* 8 s: short */
	zone_sums_check(s);
}

/* 40 zones, a 6 s hold on each (one every 10 s): the first 16 get their own
 * totals, the other 24 count on "" (the 17th entry), and so do their holds. */
static void test_zone_forty(void **state)
{
	struct detector *d = *state;
	const struct detector_summary *s;
	char name[8];

	for (int k = 0; k <= 4000; k++) {
		int c = k / 100, at = k % 100;

		snprintf(name, sizeof(name), "z%d", c < 40 ? c : 39);
		detector_set_zone(d, name);
		feed(d, k / 10.0, at >= 10 && at <= 70 ? 14 : 4, NAN, 0.1);
	}
	end_session(d, 400.05);
	s = only_session();
	assert_int_equal(s->hold_count, 40);
	assert_int_equal(s->n_zones, DETECTOR_MAX_ZONES + 1);
	for (int c = 0; c < DETECTOR_MAX_ZONES; c++) {
		snprintf(name, sizeof(name), "z%d", c);
		zone_total_check(&s->zones[c], name, 1, 0, 0, 6.0, 0, 0);
		assert_string_equal(detector_hold_zone(s, &s->holds[c]), name);
	}
	zone_total_check(&s->zones[DETECTOR_MAX_ZONES], "", 40 - DETECTOR_MAX_ZONES, 0, 0,
			 6.0 * (40 - DETECTOR_MAX_ZONES), 0, 0);
	assert_string_equal(detector_hold_zone(s, &s->holds[35]), "");
	zone_sums_check(s);
}

/* A session from t0_s to t0_s + 10 s at 10 Hz with a 6 s hold (1 .. 7 s in),
 * ended at its last sample; its summary is the log's latest. */
static const struct detector_summary *one_hold_session(struct detector *d, double t0_s)
{
	for (int k = 0; k <= 100; k++)
		feed(d, t0_s + k / 10.0, k >= 10 && k <= 70 ? 14 : 4, NAN, 0.1);
	end_session(d, t0_s + 10.05);
	assert_true(g_log.n_sessions > 0);
	assert_int_equal(g_log.sessions[g_log.n_sessions - 1].hold_count, 1);
	return &g_log.sessions[g_log.n_sessions - 1];
}

/* The zone lasts across sessions, into a snapshot and back; a reset clears
 * it; a name too long is cut to ZONE_NAME_MAX. */
static void test_zone_kept_and_reset(void **state)
{
	static unsigned char snap[65536];
	struct detector *d = *state;
	struct detector *e = detector_design();
	const char *long_name = "abcdefghijklmnopqrstuvwxyz0123456789";
	const struct detector_summary *s;

	assert_true(detector_snapshot_size() <= sizeof(snap));
	detector_set_zone(d, "glute_left");
	s = one_hold_session(d, 0);
	assert_string_equal(s->zones[0].zone, "glute_left");
	/* Kept after the session, and in the snapshot. */
	detector_snapshot(d, snap);
	assert_int_equal(detector_restore(e, snap, detector_snapshot_size()), 0);
	s = one_hold_session(e, 20);
	assert_string_equal(detector_hold_zone(s, &s->holds[0]), "glute_left");
	assert_string_equal(s->zones[0].zone, "glute_left");

	detector_reset(e);
	s = one_hold_session(e, 0);
	assert_string_equal(detector_hold_zone(s, &s->holds[0]), "");
	assert_string_equal(s->zones[0].zone, "");

	detector_set_zone(e, long_name);
	s = one_hold_session(e, 20);
	assert_int_equal(strlen(detector_hold_zone(s, &s->holds[0])), ZONE_NAME_MAX);
	assert_memory_equal(detector_hold_zone(s, &s->holds[0]), long_name, ZONE_NAME_MAX);
	detector_free(e);
}


/* ---- rolling versus holding (issue 15) --------------------------------- */

/* One period at 10 Hz, and the rounding of sample times (k / 10.0). */
#define ONE_SAMPLE (0.1 + 1e-9)

/* Rotation in steps: rot_dps[i] from step_s[i] on (and before the first),
 * each step between two sample instants. */
static void script_rotation(struct script *sc, const double *step_s, const double *rot_dps,
			    size_t n)
{
	for (size_t i = 0; i < n; i++) {
		if (i > 0)
			profile_add(&sc->rotation, step_s[i], rot_dps[i - 1]);
		profile_add(&sc->rotation, step_s[i], rot_dps[i]);
	}
}

/* The session: pressed to 15 kPa from 1.05 s to 68.05 s (down
 * through 8 kPa there); rolling at 40 °/s until 31.05 s, a still hold (3 °/s
 * of tremor) of 20 s, 5 s of rolling, a still hold of 12 s. */
static void mixed_script(struct script *sc, bool gyroscope)
{
	static const double step_s[] = { 0, 31.05, 51.05, 56.05 };
	static const double rot_dps[] = { 40, 3, 40, 3 };

	script_init(sc, 0);
	script_hold(sc, 1.05, 68.05, 15, 0);
	if (gyroscope)
		script_rotation(sc, step_s, rot_dps, 4);
}

static void test_mixed_rolling_and_holds(void **state)
{
	struct detector *d = *state;
	static struct script sc;
	const struct detector_summary *s;

	mixed_script(&sc, true);
	script_run(&sc, d, 10, 0, 75);
	end_session(d, NAN);
	s = only_session();

	assert_int_equal(s->hold_count, 2);
	assert_int_equal(log_count(DETECTOR_EVENT_HOLD_ENDED), 2);
	near(s->holds[0].start_mono_s, 31.05, ONE_SAMPLE);
	near(s->holds[0].duration_s, 20, ONE_SAMPLE);
	near(s->holds[1].start_mono_s, 56.05, ONE_SAMPLE);
	near(s->holds[1].duration_s, 12, ONE_SAMPLE);
	assert_int_equal(s->holds[0].hold_class, DETECTOR_HOLD_EFFECTIVE);
	/* Contact (2 kPa) came 0.08 s before the 10 kPa crossing: rolling is
	 * contact with motion. */
	near(s->rolling_time_s, 30.08 + 5, ONE_SAMPLE);
	/* No "let go" for the 67 s under pressure, and the buzzer's "counts"
	 * (hold_10s) only 10 s into each still hold, never while rolling. */
	assert_int_equal(log_count(DETECTOR_EVENT_HOLD_60S), 0);
	assert_int_equal(log_count(DETECTOR_EVENT_HOLD_10S), 2);
	near(log_nth(DETECTOR_EVENT_HOLD_10S, 0)->mono_s, 31.05 + 10, ONE_SAMPLE);
	near(log_nth(DETECTOR_EVENT_HOLD_10S, 1)->mono_s, 56.05 + 10, ONE_SAMPLE);
	assert_int_equal(log_count(DETECTOR_EVENT_ROLLING_STARTED), 2);
	assert_int_equal(log_count(DETECTOR_EVENT_ROLLING_ENDED), 2);
	near(log_nth(DETECTOR_EVENT_ROLLING_STARTED, 0)->mono_s, 0.97, ONE_SAMPLE);
	/* The second rolling was the first hold's dip until it outlasted
	 * bridge_s: it is known to be rolling from then on. */
	near(log_nth(DETECTOR_EVENT_ROLLING_STARTED, 1)->mono_s, 51.05 + 1, ONE_SAMPLE);
	/* The stillness is bridged as a dip is: each rolling ends bridge_s
	 * after its last motion. */
	near(log_nth(DETECTOR_EVENT_ROLLING_ENDED, 0)->mono_s, 31.05 + 1, ONE_SAMPLE);
	near(log_nth(DETECTOR_EVENT_ROLLING_ENDED, 1)->mono_s, 56.05 + 1, ONE_SAMPLE);
}

/* The same session from a tool without a gyroscope: what rollsense did
 * before, one long hold of all 67 s and its "let go". */
static void test_mixed_without_gyroscope(void **state)
{
	struct detector *d = *state;
	static struct script sc;
	const struct detector_summary *s;

	mixed_script(&sc, false);
	script_run(&sc, d, 10, 0, 75);
	end_session(d, NAN);
	s = only_session();

	assert_int_equal(s->hold_count, 1);
	near(s->holds[0].duration_s, 67, ONE_SAMPLE);
	assert_int_equal(s->holds[0].hold_class, DETECTOR_HOLD_LONG);
	assert_int_equal(log_count(DETECTOR_EVENT_HOLD_60S), 1);
	assert_true(s->rolling_time_s == 0);
	assert_int_equal(log_count(DETECTOR_EVENT_ROLLING_STARTED), 0);
	assert_int_equal(log_count(DETECTOR_EVENT_ROLLING_ENDED), 0);
}

/* The mixed session with the zone changed at 40 s: the first rolling and
 * hold on calf_left, the second ones on calf_right; the zones add up to
 * the session. */
static void test_mixed_zones(void **state)
{
	struct detector *d = *state;
	static struct script sc;
	const struct detector_summary *s;

	mixed_script(&sc, true);
	detector_set_zone(d, "calf_left");
	script_run(&sc, d, 10, 0, 40);
	detector_set_zone(d, "calf_right");
	script_run(&sc, d, 10, 40.05, 75);
	end_session(d, NAN);
	s = only_session();

	assert_int_equal(s->n_zones, 2);
	assert_string_equal(s->zones[0].zone, "calf_left");
	assert_string_equal(s->zones[1].zone, "calf_right");
	near(s->zones[0].rolling_time_s, 30.08, ONE_SAMPLE);
	near(s->zones[1].rolling_time_s, 5, ONE_SAMPLE);
	near(s->zones[0].hold_time_s, 20, ONE_SAMPLE);
	near(s->zones[1].hold_time_s, 12, ONE_SAMPLE);
	near(s->zones[0].rolling_time_s + s->zones[1].rolling_time_s, s->rolling_time_s, 1e-9);
}

/* 20 s at 15 kPa (1.05 s to 21.05 s), the rotation in n steps
 * (script_rotation). */
static const struct detector_summary *pressed_session(struct detector *d, const double *step_s,
						      const double *rot_dps, size_t n)
{
	static struct script sc;

	script_init(&sc, 0);
	script_hold(&sc, 1.05, 21.05, 15, 0);
	script_rotation(&sc, step_s, rot_dps, n);
	script_run(&sc, d, 10, 0, 25);
	end_session(d, NAN);
	return only_session();
}

/* ... turning at rot_dps throughout. */
static const struct detector_summary *steady_session(struct detector *d, double rot_dps)
{
	static const double step_s[] = { 0 };

	return pressed_session(d, step_s, &rot_dps, 1);
}

/* still_dps is 10: at or below is a hold, above it rolling. */
static void test_still_boundary(void **state)
{
	const double still[] = { 9.9, 10.0 };
	const struct detector_summary *s;

	for (size_t i = 0; i < 2; i++) {
		log_clear();
		detector_reset(*state);
		s = steady_session(*state, still[i]);
		assert_int_equal(s->hold_count, 1);
		near(s->holds[0].duration_s, 20, ONE_SAMPLE);
		assert_true(s->rolling_time_s == 0);
		assert_int_equal(log_count(DETECTOR_EVENT_ROLLING_STARTED), 0);
	}

	log_clear();
	detector_reset(*state);
	s = steady_session(*state, 10.1);
	assert_int_equal(s->hold_count, 0);
	assert_int_equal(log_count(DETECTOR_EVENT_HOLD_STARTED), 0);
	/* From contact (0.08 s before 1.05 s) to release through 2 kPa (0.06 s
	 * after 21.05 s, on the 100 kPa/s ramp from 8 kPa). */
	near(s->rolling_time_s, 20 + 0.08 + 0.06, ONE_SAMPLE);
	assert_int_equal(log_count(DETECTOR_EVENT_ROLLING_STARTED), 1);
	assert_int_equal(log_count(DETECTOR_EVENT_ROLLING_ENDED), 1);
}

/* A 0.5 s wobble at 40 °/s inside a 20 s hold is bridged like a dip. */
static void test_wobble_bridged(void **state)
{
	static const double step_s[] = { 0, 10.05, 10.55 };
	static const double rot_dps[] = { 3, 40, 3 };
	const struct detector_summary *s = pressed_session(*state, step_s, rot_dps, 3);

	assert_int_equal(s->hold_count, 1);
	near(s->holds[0].duration_s, 20, ONE_SAMPLE);
	assert_int_equal(log_count(DETECTOR_EVENT_HOLD_ENDED), 1);
	assert_true(s->rolling_time_s == 0);
	assert_int_equal(log_count(DETECTOR_EVENT_ROLLING_STARTED), 0);
}

/* The same wobble for 1.5 s (longer than bridge_s) ends the hold at its
 * last still sample, and the motion is rolling: two holds. */
static void test_motion_ends_hold(void **state)
{
	static const double step_s[] = { 0, 10.05, 11.55 };
	static const double rot_dps[] = { 3, 40, 3 };
	const struct detector_summary *s = pressed_session(*state, step_s, rot_dps, 3);

	assert_int_equal(s->hold_count, 2);
	near(s->holds[0].duration_s, 9, ONE_SAMPLE);
	near(s->holds[1].duration_s, 21.05 - 11.55, ONE_SAMPLE);
	near(s->rolling_time_s, 1.5, ONE_SAMPLE);
	assert_int_equal(log_count(DETECTOR_EVENT_ROLLING_STARTED), 1);
	assert_int_equal(log_count(DETECTOR_EVENT_ROLLING_ENDED), 1);
}

/* A gyroscope fault (rotation null, NAN here) in the middle of a hold: the
 * pressure alone decides while it lasts, so the hold goes on unbroken. */
static void test_gyro_fault_mid_hold(void **state)
{
	static const double step_s[] = { 0, 8.05, 12.05 };
	static const double rot_dps[] = { 3, NAN, 3 };
	const struct detector_summary *s = pressed_session(*state, step_s, rot_dps, 3);

	assert_int_equal(s->hold_count, 1);
	near(s->holds[0].duration_s, 20, ONE_SAMPLE);
	assert_true(s->rolling_time_s == 0);
}

#define DESIGN_TEST(fn) cmocka_unit_test_setup_teardown(fn, design_setup, design_teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_new_rejects_bad_cfg),
		cmocka_unit_test(test_names),
		DESIGN_TEST(test_hold_exact),
		DESIGN_TEST(test_hold_too_short_exact),
		DESIGN_TEST(test_dip_in_mean_exact),
		DESIGN_TEST(test_low_rate_spacing_no_gap),
		DESIGN_TEST(test_gap_closes_session),
		DESIGN_TEST(test_hold_classes),
		DESIGN_TEST(test_dips),
		TEST_WITH(test_gap_by_spacing, test_gap, &(bool){ false }),
		TEST_WITH(test_gap_declared, test_gap, &(bool){ true }),
		DESIGN_TEST(test_gap_short_bridged),
		DESIGN_TEST(test_nan_pressure),
		DESIGN_TEST(test_heat_hysteresis),
		DESIGN_TEST(test_too_hot),
		DESIGN_TEST(test_session_idle_close),
		DESIGN_TEST(test_heat_shared_between_sessions),
		DESIGN_TEST(test_preheat),
		DESIGN_TEST(test_end_session_closes_hold),
		DESIGN_TEST(test_out_of_order_ignored),
		cmocka_unit_test(test_events_dropped),
		DESIGN_TEST(test_reset),
		DESIGN_TEST(test_long_run),
		DESIGN_TEST(test_zone_hold_counts_where_it_started),
		DESIGN_TEST(test_zone_heat_across_a_change),
		DESIGN_TEST(test_zone_preheat),
		DESIGN_TEST(test_zone_none),
		DESIGN_TEST(test_zone_forty),
		DESIGN_TEST(test_zone_kept_and_reset),
		DESIGN_TEST(test_mixed_rolling_and_holds),
		DESIGN_TEST(test_mixed_without_gyroscope),
		DESIGN_TEST(test_mixed_zones),
		DESIGN_TEST(test_still_boundary),
		DESIGN_TEST(test_wobble_bridged),
		DESIGN_TEST(test_motion_ends_hold),
		DESIGN_TEST(test_gyro_fault_mid_hold),
	};

	tests_select();
	return cmocka_run_group_tests(tests, NULL, NULL);
}
