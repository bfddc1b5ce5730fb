/* The detector: samples in, events out. The rules are in detector.h; this
 * file keeps the state that makes each of them O(1) per sample. */
#include "detector.h"

#include <errno.h>
#include <math.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#define DETECTOR_SLACK_S 1e-6	/* the microsecond of slack (detector.h) */

/* A stretch of heat (or hot) time that was counted, kept to find the
 * pre-heat of a session that opens later. */
struct detector_span {
	double from_s;
	double to_s;
	double peak_c;
	char zone[ZONE_NAME_MAX + 1];	/* of the samples that started it */
};

/* The last DETECTOR_HEAT_SPANS stretches, oldest overwritten. */
struct detector_ring {
	struct detector_span spans[DETECTOR_HEAT_SPANS];
	size_t next;			/* where the next stretch goes */
	size_t count;
};

struct detector {
	struct detector_cfg cfg;
	double period_s;		/* the last expected period given; NAN unknown */
	uint64_t events_dropped;

	bool have_sample;
	double last_mono_s;		/* the last sample fed */
	char zone[ZONE_NAME_MAX + 1];	/* detector_set_zone's: of the samples fed next */
	double gap_to_s;		/* end of a gap declared since then; NAN if none */

	/* pressure */
	double last_p_known_s;		/* the last sample with known pressure; NAN none */
	bool in_contact;		/* the last known pressure was contact */
	bool reopen_blocked;		/* ended by hand while in contact: wait for a fresh contact */
	double last_contact_s;

	/* the hold being measured */
	bool hold_open;
	bool hold_confirmed;		/* HOLD_STARTED sent (lasted min_hold_s) */
	bool hold_effective_sent;
	bool hold_long_sent;
	double hold_start_s;
	char hold_zone[ZONE_NAME_MAX + 1];	/* the zone at its first sample */
	double hold_last_above_s;	/* last sample >= hold_end_kpa */
	double hold_sum_kpa;		/* samples up to hold_last_above_s */
	uint64_t hold_n;
	double hold_peak_kpa;
	double dip_sum_kpa;		/* samples after it, kept in case the dip is bridged */
	uint64_t dip_n;
	double dip_peak_kpa;
	double dip_roll_s;		/* motion in the dip: rolling if the hold ends, else the hold's */
	char dip_roll_zone[ZONE_NAME_MAX + 1];	/* the zone of its first sample */

	/* motion */
	double roll_from_s;		/* the last sample if it was rolling (moving contact); NAN if not */
	char roll_zone[ZONE_NAME_MAX + 1];	/* the zone of that sample */
	bool rolling;			/* ROLLING_STARTED sent, ROLLING_ENDED not yet */
	double roll_last_s;		/* the last moving contact sample while rolling */

	/* heat */
	double last_t_known_s;		/* the last sample with known temperature; NAN none */
	double last_temperature_c;
	char last_t_zone[ZONE_NAME_MAX + 1];	/* the zone of that sample */
	bool heat_on;
	bool hot_on;
	struct detector_ring heat_ring;
	struct detector_ring hot_ring;
	/* Heat up to here was counted by a session that has closed, so the
	 * next session's pre-heat starts no earlier. */
	double claimed_until_s;

	/* sessions: the open one is built in place; a closed one is moved to
	 * finished so the event can point at it while a new one opens. */
	bool session_open;
	struct detector_summary session;
	struct detector_summary finished;
};

/* Where a call's events go. */
struct detector_out {
	struct detector *d;
	struct detector_event *events;
	size_t max;
	size_t n;
};

/* The payload that does not apply to kind is NAN, or NULL (hold, session). */
static void detector_emit(struct detector_out *o, enum detector_event_kind kind, double mono_s,
			  double pressure_kpa, double temperature_c,
			  const struct detector_hold *hold, const struct detector_summary *session)
{
	static const struct detector_hold no_hold = { NAN, NAN, NAN, NAN, DETECTOR_HOLD_SHORT, 0 };
	struct detector_event *ev;

	if (o->n >= o->max) {
		o->d->events_dropped++;
		return;
	}
	ev = &o->events[o->n++];
	*ev = (struct detector_event){
		.kind = kind, .mono_s = mono_s, .pressure_kpa = pressure_kpa,
		.temperature_c = temperature_c, .hold = hold ? *hold : no_hold, .session = session,
	};
	/* Every hold event is about the hold open now (or just closed). */
	if (hold)
		memcpy(ev->zone, o->d->hold_zone, sizeof(ev->zone));
}

static enum detector_hold_class detector_classify(const struct detector *d, double duration_s)
{
	if (duration_s < d->cfg.effective_s - DETECTOR_SLACK_S)
		return DETECTOR_HOLD_SHORT;
	if (duration_s <= d->cfg.long_s + DETECTOR_SLACK_S)
		return DETECTOR_HOLD_EFFECTIVE;
	return DETECTOR_HOLD_LONG;
}

static bool detector_span_is_break(const struct detector *d, double span_s)
{
	return span_s > d->cfg.bridge_s + DETECTOR_SLACK_S &&
	       (!(d->period_s > 0) || span_s > 1.5 * d->period_s);
}

/* Readings lost in span_s: n periods from one sample to the next hold n - 1
 * lost ones; from a point that was not a sample (a declared gap's end, which
 * was the expected place of a reading), n. */
static uint64_t detector_count_missing(const struct detector *d, double span_s, bool from_sample)
{
	double periods;
	long long n;

	if (!(d->period_s > 0) || !(span_s > 0))
		return 0;
	periods = span_s / d->period_s;
	if (periods > 1e15)	/* keep llround defined for absurd inputs */
		periods = 1e15;
	n = llround(periods) - (from_sample ? 1 : 0);
	return n > 0 ? (uint64_t)n : 0;
}

static void detector_ring_add(struct detector_ring *r, double from_s, double to_s, double peak_c,
			      const char *zone)
{
	struct detector_span *last = NULL;
	struct detector_span *span = &r->spans[r->next];

	if (r->count > 0)
		last = &r->spans[(r->next + DETECTOR_HEAT_SPANS - 1) % DETECTOR_HEAT_SPANS];
	/* Consecutive intervals share their sample time exactly, so equality
	 * is the right test for "the same stretch goes on"; a new zone starts
	 * a stretch of its own, for the pre-heat's zone totals. */
	if (last && last->to_s == from_s && strcmp(last->zone, zone) == 0) {
		last->to_s = to_s;
		if (peak_c > last->peak_c)
			last->peak_c = peak_c;
		return;
	}
	span->from_s = from_s;
	span->to_s = to_s;
	span->peak_c = peak_c;
	memcpy(span->zone, zone, sizeof(span->zone));
	r->next = (r->next + 1) % DETECTOR_HEAT_SPANS;
	if (r->count < DETECTOR_HEAT_SPANS)
		r->count++;
}

/* The session's totals on zone, made (in first-counted order) when the
 * session has none yet. Named zones take at most DETECTOR_MAX_ZONES
 * entries, so the last one is always left for "": a zone beyond them counts
 * there, and the sums still equal the session's. */
static struct detector_zone_total *detector_zone_total(struct detector_summary *s, const char *zone)
{
	size_t named = 0;
	struct detector_zone_total *z;

	for (size_t i = 0; i < s->n_zones; i++) {
		if (strcmp(s->zones[i].zone, zone) == 0)
			return &s->zones[i];
		named += s->zones[i].zone[0] != '\0';
	}
	if (zone[0] != '\0' && named == DETECTOR_MAX_ZONES)
		return detector_zone_total(s, "");
	z = &s->zones[s->n_zones++];
	memset(z, 0, sizeof(*z));
	/* zone may be shorter than the field (a literal ""): copy its bytes only. */
	memcpy(z->zone, zone, strnlen(zone, sizeof(z->zone) - 1));
	return z;
}

/* Heat (or, with hot, hot) time in [from_s, to_s] of the remembered
 * stretches, added to s and to each stretch's zone; s->max_temperature_c
 * raised to the peak of each stretch that overlaps. */
static void detector_ring_claim(const struct detector_ring *r, double from_s, double to_s,
				bool hot, struct detector_summary *s)
{
	/* Oldest first: the zones' order is the order they were counted in. */
	size_t first = (r->next + DETECTOR_HEAT_SPANS - r->count) % DETECTOR_HEAT_SPANS;

	for (size_t k = 0; k < r->count; k++) {
		const struct detector_span *span = &r->spans[(first + k) % DETECTOR_HEAT_SPANS];
		double a = span->from_s > from_s ? span->from_s : from_s;
		double b = span->to_s < to_s ? span->to_s : to_s;
		struct detector_zone_total *z;

		if (!(b > a))
			continue;
		z = detector_zone_total(s, span->zone);
		if (hot) {
			s->hot_time_s += b - a;
			z->hot_time_s += b - a;
		} else {
			s->heat_time_s += b - a;
			z->heat_time_s += b - a;
		}
		if (isnan(s->max_temperature_c) || span->peak_c > s->max_temperature_c)
			s->max_temperature_c = span->peak_c;
	}
}

static struct detector_hold detector_hold_snapshot(const struct detector *d)
{
	struct detector_hold h;

	h.start_mono_s = d->hold_start_s;
	h.duration_s = d->hold_last_above_s - d->hold_start_s;
	h.peak_kpa = d->hold_peak_kpa;
	h.mean_kpa = d->hold_n ? d->hold_sum_kpa / (double)d->hold_n : NAN;
	h.hold_class = detector_classify(d, h.duration_s);
	h.zone = 0;	/* an index into a summary's zones[]: set when counted */
	return h;
}

static void detector_roll_add(struct detector *d, double span_s, const char *zone)
{
	d->session.rolling_time_s += span_s;
	detector_zone_total(&d->session, zone)->rolling_time_s += span_s;
}

/* Counted (event, summary) only if it lasted min_hold_s (hold_confirmed). */
static void detector_hold_close(struct detector_out *o, double mono_s)
{
	struct detector *d = o->d;
	struct detector_hold h;
	struct detector_summary *s = &d->session;
	struct detector_zone_total *z;

	if (!d->hold_open)
		return;
	d->hold_open = false;
	/* The motion in its dip was not bridged: it was rolling. */
	if (d->session_open && d->dip_roll_s > 0)
		detector_roll_add(d, d->dip_roll_s, d->dip_roll_zone);
	d->dip_roll_s = 0;
	if (!d->hold_confirmed)
		return;
	h = detector_hold_snapshot(d);
	detector_emit(o, DETECTOR_EVENT_HOLD_ENDED, mono_s, NAN, NAN, &h, NULL);
	if (!d->session_open)
		return;
	/* All of it on the zone it started in, however the zone changed. */
	z = detector_zone_total(s, d->hold_zone);
	h.zone = (uint8_t)(z - s->zones);
	if (s->holds_stored < DETECTOR_MAX_HOLDS)
		s->holds[s->holds_stored++] = h;
	s->hold_count++;
	s->hold_time_s += h.duration_s;
	z->holds++;
	z->class_holds[h.hold_class]++;
	z->hold_time_s += h.duration_s;
}

/* No sample below hold_end_kpa since the hold's last one above it. */
static void detector_dip_clear(struct detector *d)
{
	d->dip_sum_kpa = 0;
	d->dip_n = 0;
	d->dip_peak_kpa = -INFINITY;
	d->dip_roll_s = 0;
}

/* A hold starting at mono_s, no milestone passed, nothing measured yet: the
 * caller's sample then extends it, which sets hold_last_above_s. */
static void detector_hold_open(struct detector *d, double mono_s)
{
	d->hold_open = true;
	d->hold_confirmed = d->hold_effective_sent = d->hold_long_sent = false;
	d->hold_start_s = mono_s;
	memcpy(d->hold_zone, d->zone, sizeof(d->hold_zone));
	d->hold_sum_kpa = 0;
	d->hold_n = 0;
	d->hold_peak_kpa = -INFINITY;
	detector_dip_clear(d);
}

/* A sample at or above hold_end_kpa: the dip before it (if any) was bridged
 * and joins the hold; then the milestones the hold has now passed. */
static void detector_hold_extend(struct detector_out *o, double mono_s, double pressure_kpa)
{
	struct detector *d = o->d;
	struct detector_hold h;

	d->hold_sum_kpa += d->dip_sum_kpa + pressure_kpa;
	d->hold_n += d->dip_n + 1;
	/* Peaks are at least -INFINITY and the pressure is known: no NAN. */
	d->hold_peak_kpa = fmax(d->hold_peak_kpa, fmax(d->dip_peak_kpa, pressure_kpa));
	detector_dip_clear(d);
	d->hold_last_above_s = mono_s;

	h = detector_hold_snapshot(d);
	if (!d->hold_confirmed && h.duration_s >= d->cfg.min_hold_s - DETECTOR_SLACK_S) {
		d->hold_confirmed = true;
		detector_emit(o, DETECTOR_EVENT_HOLD_STARTED, mono_s, NAN, NAN, &h, NULL);
	}
	if (d->hold_confirmed && !d->hold_effective_sent && h.duration_s >= d->cfg.effective_s - DETECTOR_SLACK_S) {
		d->hold_effective_sent = true;
		detector_emit(o, DETECTOR_EVENT_HOLD_10S, mono_s, NAN, NAN, &h, NULL);
	}
	if (d->hold_confirmed && !d->hold_long_sent && h.duration_s > d->cfg.long_s + DETECTOR_SLACK_S) {
		d->hold_long_sent = true;
		detector_emit(o, DETECTOR_EVENT_HOLD_60S, mono_s, NAN, NAN, &h, NULL);
	}
}

static void detector_session_open(struct detector_out *o, double mono_s)
{
	struct detector *d = o->d;
	struct detector_summary *s = &d->session;
	/* Heat up to claimed_until_s was another session's. */
	double window_s = fmax(mono_s - d->cfg.idle_s, d->claimed_until_s);

	memset(s, 0, sizeof(*s));
	s->start_mono_s = mono_s;
	s->end_mono_s = mono_s;
	s->max_temperature_c = NAN;
	detector_ring_claim(&d->heat_ring, window_s, mono_s, false, s);
	detector_ring_claim(&d->hot_ring, window_s, mono_s, true, s);
	d->session_open = true;
	detector_emit(o, DETECTOR_EVENT_SESSION_STARTED, mono_s, NAN, NAN, NULL, NULL);
}

static void detector_rolling_end(struct detector_out *o, double mono_s)
{
	if (!o->d->rolling)
		return;
	o->d->rolling = false;
	detector_emit(o, DETECTOR_EVENT_ROLLING_ENDED, mono_s, NAN, NAN, NULL, NULL);
}

/* Closes the hold and the session. Heat is counted up to the last sample, so
 * the stretch from there on is free for the next session's pre-heat. */
static void detector_session_close(struct detector_out *o, double mono_s)
{
	struct detector *d = o->d;

	if (!d->session_open)
		return;
	detector_hold_close(o, mono_s);
	detector_rolling_end(o, mono_s);
	d->session.end_mono_s = d->last_contact_s;
	d->session.duration_s = d->session.end_mono_s - d->session.start_mono_s;
	d->finished = d->session;
	d->session_open = false;
	d->claimed_until_s = d->last_mono_s;
	detector_emit(o, DETECTOR_EVENT_SESSION_ENDED, mono_s, NAN, NAN, NULL, &d->finished);
}

/* What a sample and a declared gap's end at mono_s both start with: a break
 * in pressure, an idle session's end, the lost readings counted in what stays
 * open. */
static void detector_advance(struct detector_out *o, double mono_s, bool pressure_break,
			     uint64_t missing)
{
	struct detector *d = o->d;

	if (pressure_break) {
		detector_hold_close(o, mono_s);
		detector_rolling_end(o, mono_s);
		d->in_contact = false;
		d->reopen_blocked = false;
	}
	if (d->session_open && mono_s - d->last_contact_s > d->cfg.idle_s + DETECTOR_SLACK_S)
		detector_session_close(o, mono_s);
	if (d->session_open)
		d->session.missing_samples += missing;
}

static void detector_heat_count(struct detector *d, double mono_s, double temperature_c)
{
	double from_s = d->last_t_known_s;
	double peak_c = temperature_c > d->last_temperature_c ? temperature_c : d->last_temperature_c;

	if (isnan(from_s) || detector_span_is_break(d, mono_s - from_s))
		return;
	/* The stretch belongs to the zone of the sample that starts it. */
	if (d->heat_on) {
		detector_ring_add(&d->heat_ring, from_s, mono_s, peak_c, d->last_t_zone);
		if (d->session_open) {
			d->session.heat_time_s += mono_s - from_s;
			detector_zone_total(&d->session, d->last_t_zone)->heat_time_s += mono_s - from_s;
		}
	}
	if (d->hot_on) {
		detector_ring_add(&d->hot_ring, from_s, mono_s, peak_c, d->last_t_zone);
		if (d->session_open) {
			d->session.hot_time_s += mono_s - from_s;
			detector_zone_total(&d->session, d->last_t_zone)->hot_time_s += mono_s - from_s;
		}
	}
}

static void detector_heat_update(struct detector_out *o, double mono_s, double temperature_c)
{
	struct detector *d = o->d;
	double off_c = d->cfg.heat_c - d->cfg.heat_hysteresis_c;
	double hot_off_c = d->cfg.hot_c - d->cfg.heat_hysteresis_c;

	if (!d->heat_on && temperature_c >= d->cfg.heat_c) {
		d->heat_on = true;
		detector_emit(o, DETECTOR_EVENT_HEAT_ON, mono_s, NAN, temperature_c, NULL, NULL);
	} else if (d->heat_on && temperature_c < off_c) {
		d->heat_on = false;
		detector_emit(o, DETECTOR_EVENT_HEAT_OFF, mono_s, NAN, temperature_c, NULL, NULL);
	}
	if (!d->hot_on && temperature_c >= d->cfg.hot_c) {
		d->hot_on = true;
		detector_emit(o, DETECTOR_EVENT_TOO_HOT, mono_s, NAN, temperature_c, NULL, NULL);
	} else if (d->hot_on && temperature_c < hot_off_c) {
		d->hot_on = false;
	}
}

static void detector_pressure_update(struct detector_out *o, double mono_s, double pressure_kpa,
				     bool moving)
{
	struct detector *d = o->d;

	if (pressure_kpa >= d->cfg.contact_kpa) {
		if (!d->session_open && !d->reopen_blocked)
			detector_session_open(o, mono_s);
		if (!d->in_contact)
			detector_emit(o, DETECTOR_EVENT_CONTACT, mono_s, pressure_kpa, NAN, NULL, NULL);
		d->in_contact = true;
		d->last_contact_s = mono_s;
	} else {
		d->in_contact = false;
		d->reopen_blocked = false;
	}
	d->last_p_known_s = mono_s;

	/* Motion is a dip of the hold, bridged or not like one. */
	if (d->hold_open) {
		if (pressure_kpa >= d->cfg.hold_end_kpa && !moving) {
			detector_hold_extend(o, mono_s, pressure_kpa);
		} else {
			d->dip_sum_kpa += pressure_kpa;
			d->dip_n++;
			if (pressure_kpa > d->dip_peak_kpa)
				d->dip_peak_kpa = pressure_kpa;
		}
	} else if (d->session_open && pressure_kpa >= d->cfg.hold_start_kpa && !moving) {
		detector_hold_open(d, mono_s);
		detector_hold_extend(o, mono_s, pressure_kpa);
	}
}

/* The span from the last sample, if that one was rolling: the session's
 * rolling time, or pending in the open hold's dip (the motion started
 * inside a hold, which it may yet turn out to be part of). */
static void detector_roll_count(struct detector *d, double mono_s)
{
	double span_s = mono_s - d->roll_from_s;

	if (isnan(d->roll_from_s) || !d->session_open || detector_span_is_break(d, span_s))
		return;
	if (!d->hold_open) {
		detector_roll_add(d, span_s, d->roll_zone);
		return;
	}
	if (d->dip_roll_s == 0)
		memcpy(d->dip_roll_zone, d->roll_zone, sizeof(d->dip_roll_zone));
	d->dip_roll_s += span_s;
}

/* After the hold's rules, so that motion that has just ended a hold starts
 * rolling at once; a stillness of bridge_s or less is bridged, as the turn
 * at either end of a stroke is. */
static void detector_roll_update(struct detector_out *o, double mono_s, bool moving_contact)
{
	struct detector *d = o->d;

	if (moving_contact && !d->hold_open && !d->rolling) {
		d->rolling = true;
		detector_emit(o, DETECTOR_EVENT_ROLLING_STARTED, mono_s, NAN, NAN, NULL, NULL);
	}
	if (moving_contact && d->rolling)
		d->roll_last_s = mono_s;
	if (d->rolling && mono_s - d->roll_last_s > d->cfg.bridge_s + DETECTOR_SLACK_S)
		detector_rolling_end(o, mono_s);
	d->roll_from_s = moving_contact ? mono_s : NAN;
	memcpy(d->roll_zone, d->zone, sizeof(d->roll_zone));
}

static bool detector_cfg_valid(const struct detector_cfg *c)
{
	const double v[] = {
		c->contact_kpa, c->hold_start_kpa, c->hold_end_kpa, c->bridge_s, c->min_hold_s,
		c->effective_s, c->long_s, c->idle_s, c->heat_c, c->heat_hysteresis_c, c->hot_c,
		c->still_dps,
	};
	size_t i;

	for (i = 0; i < sizeof(v) / sizeof(v[0]); i++)
		if (!isfinite(v[i]))
			return false;
	return c->hold_end_kpa <= c->hold_start_kpa && c->bridge_s >= 0 && c->min_hold_s >= 0 &&
	       c->effective_s >= 0 && c->effective_s <= c->long_s && c->idle_s > 0 &&
	       c->heat_hysteresis_c >= 0 && c->still_dps >= 0;
}

struct detector *detector_new(const struct detector_cfg *cfg)
{
	struct detector *d;

	if (!cfg || !detector_cfg_valid(cfg)) {
		errno = EINVAL;
		return NULL;
	}
	d = malloc(sizeof(*d));
	if (!d)
		return NULL;
	d->cfg = *cfg;
	detector_reset(d);
	return d;
}

void detector_free(struct detector *d)
{
	free(d);
}

#ifndef ROLLSENSE_VERSION
#define ROLLSENSE_VERSION "unknown"
#endif

/* A snapshot is this header, then the struct's bytes. The version string
 * stands for the struct's layout, which any release may change. */
struct detector_snapshot_header {
	char magic[8];
	char version[24];
	uint64_t size;
};

size_t detector_snapshot_size(void)
{
	return sizeof(struct detector_snapshot_header) + sizeof(struct detector);
}

static void snapshot_header_make(struct detector_snapshot_header *h)
{
	memset(h, 0, sizeof(*h));
	memcpy(h->magic, "rsdet\0\0\1", sizeof(h->magic));
	strncpy(h->version, ROLLSENSE_VERSION, sizeof(h->version) - 1);
	h->size = sizeof(struct detector);
}

void detector_snapshot(const struct detector *d, void *buf)
{
	struct detector_snapshot_header h;

	snapshot_header_make(&h);
	memcpy(buf, &h, sizeof(h));
	memcpy((unsigned char *)buf + sizeof(h), d, sizeof(*d));
}

int detector_restore(struct detector *d, const void *buf, size_t len)
{
	struct detector_snapshot_header want;
	const unsigned char *bytes = buf;

	snapshot_header_make(&want);
	/* The thresholds are all doubles: no padding, so bytes compare. */
	if (!buf || len != detector_snapshot_size() || memcmp(buf, &want, sizeof(want)) != 0 ||
	    memcmp(bytes + sizeof(want) + offsetof(struct detector, cfg), &d->cfg,
		   sizeof(d->cfg)) != 0) {
		errno = EINVAL;
		return -1;
	}
	memcpy(d, bytes + sizeof(want), sizeof(*d));
	return 0;
}

void detector_reset(struct detector *d)
{
	struct detector_cfg cfg = d->cfg;

	memset(d, 0, sizeof(*d));
	d->cfg = cfg;
	/* Nothing fed yet: every time and the temperature are unknown. */
	d->period_s = d->last_mono_s = d->gap_to_s = NAN;
	d->last_p_known_s = d->last_contact_s = d->last_t_known_s = NAN;
	d->last_temperature_c = NAN;
	d->roll_from_s = d->roll_last_s = NAN;
	d->claimed_until_s = -INFINITY;
}

size_t detector_feed(struct detector *d, double mono_s, double pressure_kpa,
		     double temperature_c, double rotation_dps, double expected_period_s,
		     struct detector_event *out, size_t max_events)
{
	struct detector_out o = { d, out, max_events, 0 };
	uint64_t missing;
	bool moving, moving_contact;

	if (!isfinite(mono_s) || (d->have_sample && !(mono_s > d->last_mono_s)))
		return 0;
	/* A channel outside the finite numbers is as good as unknown. */
	if (!isfinite(pressure_kpa))
		pressure_kpa = NAN;
	if (!isfinite(temperature_c))
		temperature_c = NAN;
	/* Unknown rotation (no gyroscope, or a fault) is no motion: pressure
	 * alone decides, as before there were gyroscopes. */
	moving = isfinite(rotation_dps) && rotation_dps > d->cfg.still_dps;
	if (expected_period_s > 0 && isfinite(expected_period_s))
		d->period_s = expected_period_s;

	/* From the later of the last sample and a declared gap's end (fmax
	 * skips a NAN); before the first sample the span is NAN: nothing. */
	missing = detector_count_missing(d, mono_s - fmax(d->gap_to_s, d->last_mono_s),
					 isnan(d->gap_to_s));
	/* No known pressure yet: a NAN span, never a break. */
	detector_advance(&o, mono_s, detector_span_is_break(d, mono_s - d->last_p_known_s), missing);

	/* Before the pressure: the interval up to this sample is heat from
	 * before a session this sample may open, its pre-heat. */
	if (!isnan(temperature_c))
		detector_heat_count(d, mono_s, temperature_c);
	detector_roll_count(d, mono_s);

	if (!isnan(pressure_kpa))
		detector_pressure_update(&o, mono_s, pressure_kpa, moving);
	/* A dip, known or not, that outlasted bridge_s ends the hold. */
	if (d->hold_open && mono_s - d->hold_last_above_s > d->cfg.bridge_s + DETECTOR_SLACK_S)
		detector_hold_close(&o, mono_s);
	moving_contact = moving && d->session_open && pressure_kpa >= d->cfg.contact_kpa;
	detector_roll_update(&o, mono_s, moving_contact);

	if (d->session_open) {
		d->session.samples++;
		if (!isnan(temperature_c) && (isnan(d->session.max_temperature_c) ||
					      temperature_c > d->session.max_temperature_c))
			d->session.max_temperature_c = temperature_c;
	}

	if (!isnan(temperature_c)) {
		detector_heat_update(&o, mono_s, temperature_c);
		d->last_t_known_s = mono_s;
		d->last_temperature_c = temperature_c;
		memcpy(d->last_t_zone, d->zone, sizeof(d->last_t_zone));
	}

	d->have_sample = true;
	d->last_mono_s = mono_s;
	d->gap_to_s = NAN;
	return o.n;
}

size_t detector_gap(struct detector *d, double from_mono_s, double to_mono_s,
		    struct detector_event *out, size_t max_events)
{
	struct detector_out o = { d, out, max_events, 0 };
	double anchor_s;
	bool from_sample;

	if (!d->have_sample || !isfinite(from_mono_s) || !isfinite(to_mono_s) ||
	    !(from_mono_s < to_mono_s) || !(to_mono_s > d->last_mono_s))
		return 0;
	/* Count from where the known data ends (the last sample or an earlier
	 * declared gap), so nothing is counted twice. */
	anchor_s = fmax(fmax(d->gap_to_s, d->last_mono_s), from_mono_s);
	from_sample = isnan(d->gap_to_s) && !(from_mono_s > d->last_mono_s);
	if (!(to_mono_s > anchor_s))
		return 0;
	detector_advance(&o, to_mono_s, detector_span_is_break(d, to_mono_s - d->last_mono_s),
			 detector_count_missing(d, to_mono_s - anchor_s, from_sample));
	d->gap_to_s = to_mono_s;
	return o.n;
}

size_t detector_end_session(struct detector *d, double mono_s,
			    struct detector_event *out, size_t max_events)
{
	struct detector_out o = { d, out, max_events, 0 };

	if (!d->session_open)
		return 0;
	if (!isfinite(mono_s))
		mono_s = d->last_mono_s;
	detector_session_close(&o, mono_s);
	if (d->in_contact)
		d->reopen_blocked = true;
	return o.n;
}

uint64_t detector_events_dropped(const struct detector *d)
{
	return d->events_dropped;
}

/* Names in the order of the enum (the asserts catch one added there but
 * not here); a value outside it is "unknown". */
const char *detector_class_name(enum detector_hold_class c)
{
	static const char *const names[] = { "short", "effective", "long" };

	_Static_assert(sizeof(names) / sizeof(names[0]) == DETECTOR_HOLD_LONG + 1, "class names");
	return (size_t)c < sizeof(names) / sizeof(names[0]) ? names[c] : "unknown";
}

const char *detector_event_name(enum detector_event_kind k)
{
	static const char *const names[] = {
		"contact", "hold_started", "hold_10s", "hold_60s", "hold_ended",
		"heat_on", "heat_off", "too_hot", "session_started", "session_ended",
		"rolling_started", "rolling_ended",
	};

	_Static_assert(sizeof(names) / sizeof(names[0]) == DETECTOR_EVENT_KINDS, "event names");
	return (size_t)k < DETECTOR_EVENT_KINDS ? names[k] : "unknown";
}

const char *detector_hold_zone(const struct detector_summary *s, const struct detector_hold *h)
{
	return h->zone < s->n_zones && h->zone <= DETECTOR_MAX_ZONES ? s->zones[h->zone].zone : "";
}

void detector_set_zone(struct detector *d, const char *zone)
{
	size_t n = zone ? strnlen(zone, ZONE_NAME_MAX) : 0;

	/* All of the buffer: the snapshot's bytes are compared whole. */
	memset(d->zone, 0, sizeof(d->zone));
	memcpy(d->zone, zone ? zone : "", n);
}
