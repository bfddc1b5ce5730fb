/* The detector: a pure state machine that turns samples (time, pressure,
 * temperature, rotation) into hold, rolling, heat and session events (docs/protocol.md, "Detector
 * semantics"). No I/O, no clock reads, no allocation after detector_new():
 * every answer depends on the sample times given, never on when the call is
 * made, so the collector can replay a run hours late and get what sensord saw
 * live. Feeding costs O(1) per sample; the object is a few kilobytes.
 *
 * Rules, precisely (the thresholds are the fields of struct detector_cfg):
 *
 * Unknown data. A NAN channel is unknown for that sample, never zero. A
 * "break" is a stretch of unknown data longer than bridge_s: consecutive
 * samples further apart than that (a gap), a gap declared by
 * detector_gap(), or a channel NAN for that long. So that ordinary spacing is
 * never a break at low sample rates, a span is a break only if it is also
 * longer than 1.5 expected periods. Shorter unknown stretches are bridged
 * like short dips. A break ends an open hold at its last good sample, and no
 * time across it is ever counted (holds, heat, hot).
 *
 * Contact and sessions. Contact is pressure >= contact_kpa. CONTACT is
 * emitted at a contact sample when the last known pressure had no contact
 * (or after a break in pressure: the state is then unknown). A session opens
 * (SESSION_STARTED) at a contact sample when none is open, and closes
 * (SESSION_ENDED) when a sample, or the end of a declared gap, comes more than
 * idle_s after its last contact sample, or on detector_end_session(). The
 * session runs from its first to its last contact sample. After
 * detector_end_session() while still in contact, the next session waits for
 * a fresh contact (a no-contact sample or a break first), so ending a session
 * with the tool in hand does not start another at once.
 *
 * Motion. A sample moves when its rotation is known and above still_dps;
 * it is still otherwise: a NAN rotation (no gyroscope, or a gyroscope fault
 * in the middle of a hold) leaves pressure alone to decide, as before
 * gyroscopes, so a fault neither ends a hold nor starts one by itself.
 *
 * Holds (only inside a session). A hold starts at the first still sample >=
 * hold_start_kpa and ends once a sample comes more than bridge_s after the
 * last still sample >= hold_end_kpa with no still sample at or above
 * hold_end_kpa in between (dips in pressure and motion of bridge_s or less
 * are bridged), or at a break, or when the session ends. Its duration runs
 * from the first sample >= hold_start_kpa to the last still sample >=
 * hold_end_kpa. peak_kpa and mean_kpa
 * are the maximum and the plain mean of the known pressure samples in that
 * span, bridged dips included; a sample mean, because samples are evenly
 * spaced and a mean over time would have to guess across bridged unknown
 * stretches. Shorter than min_hold_s it is not a hold: no event at all, and
 * HOLD_STARTED waits until it has lasted min_hold_s, so every HOLD_STARTED
 * has its HOLD_ENDED (start_mono_s says when it really began). The other
 * hold events and the classes are stated at their enums below.
 *
 * Rolling (only inside a session). A rolling sample is a moving contact
 * sample (pressure >= contact_kpa) that is not in a hold's dip. The span
 * from a rolling sample to the next sample, unless a break, is rolling time
 * (rolling_time_s). Motion inside a hold's dip is the hold's if the hold
 * bridges it, and rolling time once the hold has ended. ROLLING_STARTED
 * comes at the first rolling sample; ROLLING_ENDED once a sample comes more
 * than bridge_s after the last moving contact sample (the turn at either
 * end of a stroke is bridged), at a break, or when the session ends.
 *
 * Heat. Heat turns on (HEAT_ON) at a temperature >= heat_c and off (HEAT_OFF)
 * below heat_c - heat_hysteresis_c; hot likewise at hot_c with the same
 * hysteresis, TOO_HOT when it turns on. The state holds across unknown data.
 * Heat time is the time between consecutive known temperature samples that
 * starts with heat on and is not a break; hot time likewise. A session counts
 * the heat while it is open, plus its pre-heat: heat in the idle_s before its
 * first contact (a warm compress before rolling) that no earlier session
 * counted, found among the last DETECTOR_HEAT_SPANS stretches (more of them
 * inside idle_s, only with many breaks, undercount it). max_temperature_c is
 * the highest temperature sampled while the session was open, or within a
 * pre-heat stretch it counted (whose peak may lie somewhat before the window).
 *
 * Zones (detector_set_zone). A hold belongs to the zone of its first sample,
 * for its whole duration, however the zone changes while it lasts. Heat and
 * hot time between two samples belong to the zone of the first of them; a
 * pre-heat stretch keeps the zone it had (a change of zone starts a new
 * stretch). Rolling time between two samples belongs to the zone of the
 * first; motion in a hold's dip that becomes rolling, to the zone of its
 * first sample. The session's per-zone totals (struct detector_summary) add up
 * to its own.
 *
 * Times are compared with a microsecond of slack, so that a hold of 100
 * samples at 10 Hz lasts 10 s even where floating point makes 9.9999999.
 *
 * Counting. samples counts the samples fed while the session was open,
 * including ones with NAN channels. missing_samples counts readings lost
 * while it was open: a declared gap or a spacing of n expected periods counts
 * n - 1, rounded; nothing when the period is unknown.
 *
 * Events come out in this order within one call: HOLD_ENDED, ROLLING_ENDED
 * and SESSION_ENDED of what the sample closes, then SESSION_STARTED,
 * CONTACT, HOLD_STARTED, HOLD_10S, HOLD_60S, HOLD_ENDED (a dip or motion),
 * ROLLING_STARTED, ROLLING_ENDED (stillness), then heat events.
 */
#ifndef ROLLSENSE_DETECTOR_H
#define ROLLSENSE_DETECTOR_H

#include <stddef.h>
#include <stdint.h>

#include "detector_cfg.h"
#include "zone.h"

#define DETECTOR_MAX_HOLDS 64		/* holds kept in a summary; more are still counted */
#define DETECTOR_EVENTS_MAX 16		/* no call produces more: size out[] with this */
#define DETECTOR_HEAT_SPANS 8		/* heat stretches remembered for pre-heat */
/* Named zones with totals in one session, besides "". Fewer than the
 * configuration's ZONES_MAX, because every detector carries two summaries and
 * the collector thousands of detectors: 16 covers a whole-body session on the
 * 15 default zones, and a rarer 17th counts on "". */
#define DETECTOR_MAX_ZONES 16

enum detector_hold_class {
	DETECTOR_HOLD_SHORT = 0,	/* below effective_s */
	DETECTOR_HOLD_EFFECTIVE,	/* effective_s .. long_s */
	DETECTOR_HOLD_LONG,		/* above long_s */
};

enum detector_event_kind {
	DETECTOR_EVENT_CONTACT = 0,	/* first contact after no contact */
	DETECTOR_EVENT_HOLD_STARTED,	/* a hold has lasted min_hold_s */
	DETECTOR_EVENT_HOLD_10S,	/* ... effective_s */
	DETECTOR_EVENT_HOLD_60S,	/* ... more than long_s */
	DETECTOR_EVENT_HOLD_ENDED,	/* a hold of at least min_hold_s ended */
	DETECTOR_EVENT_HEAT_ON,
	DETECTOR_EVENT_HEAT_OFF,
	DETECTOR_EVENT_TOO_HOT,		/* temperature reached hot_c */
	DETECTOR_EVENT_SESSION_STARTED,
	DETECTOR_EVENT_SESSION_ENDED,
	DETECTOR_EVENT_ROLLING_STARTED,	/* pressure with motion began */
	DETECTOR_EVENT_ROLLING_ENDED,	/* ... ended */
	DETECTOR_EVENT_KINDS		/* count of the above */
};

struct detector_hold {
	double start_mono_s;		/* first sample >= hold_start_kpa */
	double duration_s;		/* to the last sample >= hold_end_kpa (so far) */
	double peak_kpa;
	double mean_kpa;
	enum detector_hold_class hold_class;	/* of duration_s */
	/* In a summary's holds[]: the index of its zone's totals in that
	 * summary's zones[] (detector_hold_zone() names it). Meaningless in an
	 * event's hold: the event's zone names it. */
	uint8_t zone;
};

/* A session's totals on one zone. A hold counts on the zone it started in,
 * with its whole duration; heat and hot time on the zone of the sample that
 * starts each stretch between two samples. */
struct detector_zone_total {
	char zone[ZONE_NAME_MAX + 1];	/* "" for the samples without a zone */
	size_t holds;			/* every hold, also beyond DETECTOR_MAX_HOLDS */
	size_t class_holds[3];		/* by enum detector_hold_class */
	double hold_time_s;
	double heat_time_s;
	double hot_time_s;
	double rolling_time_s;
};

struct detector_summary {
	double start_mono_s;		/* first contact sample */
	double end_mono_s;		/* last contact sample */
	double duration_s;		/* end - start */
	size_t hold_count;		/* every hold, also beyond DETECTOR_MAX_HOLDS */
	double hold_time_s;		/* summed durations of all hold_count holds */
	double rolling_time_s;		/* contact with motion, outside holds */
	size_t holds_stored;		/* min(hold_count, DETECTOR_MAX_HOLDS) */
	struct detector_hold holds[DETECTOR_MAX_HOLDS];	/* the first ones, in order */
	double heat_time_s;
	double max_temperature_c;	/* NAN if no temperature was known */
	double hot_time_s;
	uint64_t samples;
	uint64_t missing_samples;
	/* The zones the session touched, in the order it first counted
	 * something on them (a hold, heat or hot time; a pre-heat counts
	 * first, on the zones its stretches had); "" among them when something
	 * counted without a zone. Named zones take at most DETECTOR_MAX_ZONES
	 * entries, so there is always room for "": a named zone beyond them
	 * counts on "" instead, and so do its holds.
	 * Their sums equal the session's. */
	size_t n_zones;
	struct detector_zone_total zones[DETECTOR_MAX_ZONES + 1];
};

struct detector_event {
	enum detector_event_kind kind;
	/* The sample time at which the detector knew: the sample fed, the end of
	 * a declared gap, or the time given to detector_end_session(). The
	 * times the event is about (a hold's start, a session's end) are in
	 * hold and session. */
	double mono_s;
	/* CONTACT: the sample's pressure. Otherwise NAN. */
	double pressure_kpa;
	/* HEAT_ON, HEAT_OFF, TOO_HOT: the sample's temperature. Otherwise NAN. */
	double temperature_c;
	/* HOLD_*: the hold, so far (HOLD_ENDED: final). */
	struct detector_hold hold;
	/* HOLD_*: the zone of the hold's first sample ("" none). Otherwise "". */
	char zone[ZONE_NAME_MAX + 1];
	/* SESSION_STARTED: NULL (mono_s is its start). SESSION_ENDED: the
	 * summary, owned by the detector and valid until the next call on it;
	 * copy it to keep it. */
	const struct detector_summary *session;
};

struct detector;

/* Makes a detector with a copy of cfg. NULL with errno EINVAL if a threshold
 * is not finite or does not make sense (hold_end_kpa above hold_start_kpa,
 * effective_s above long_s, negative times, idle_s not positive), ENOMEM. */
struct detector *detector_new(const struct detector_cfg *cfg);
void detector_free(struct detector *d);

/* Forgets everything (a new run), as if just made. An open session is
 * dropped without an event. */
void detector_reset(struct detector *d);

/* Feeds one sample: mono_s in seconds on the run's monotonic timeline;
 * pressure_kpa, temperature_c and rotation_dps (the tool's angular rate, in
 * degrees per second) NAN when unknown, rotation_dps also without a
 * gyroscope; expected_period_s the
 * nominal sample period (1 / rate), telling lost readings from normal
 * spacing (not > 0: unknown, then lost readings are not counted). A sample
 * not later than the last one (a duplicate, out of order) or with a
 * non-finite time is ignored: 0 events, no change. Writes up to max_events
 * events to out and returns how many; events beyond max_events are dropped
 * and counted (detector_events_dropped), the state moves on all the same. */
size_t detector_feed(struct detector *d, double mono_s, double pressure_kpa,
		     double temperature_c, double rotation_dps, double expected_period_s,
		     struct detector_event *out, size_t max_events);

/* The zone of the samples fed from now on (zone.h; "" or NULL: none), until
 * the next call. Kept across sessions, cleared by detector_reset, part of
 * the snapshot. A name longer than ZONE_NAME_MAX is cut. */
void detector_set_zone(struct detector *d, const char *zone);

/* The zone a hold of summary s counts on: "" when none, or when h->zone is
 * not an index into s->zones[] (a session stored before zones existed). */
const char *detector_hold_zone(const struct detector_summary *s, const struct detector_hold *h);

/* Declares the readings between from_mono_s and to_mono_s lost (the
 * collector: seq jumped); its break and idle rules (above) apply at
 * to_mono_s. from_mono_s is normally the last sample fed, to_mono_s the next
 * one, which may still be fed afterwards (the lost readings are not counted
 * twice). Ignored (0) unless from < to and to is later than the last sample. */
size_t detector_gap(struct detector *d, double from_mono_s, double to_mono_s,
		    struct detector_event *out, size_t max_events);

/* Ends the session now (button, command, end of data): closes an open hold
 * and the session. mono_s is only the events' time (NAN: the last sample's).
 * Without an open session, returns 0. */
size_t detector_end_session(struct detector *d, double mono_s,
			    struct detector_event *out, size_t max_events);

/* The whole state as bytes, so that an idle detector can be kept out of
 * memory and brought back exactly as it was (the collector does this for
 * runs that went quiet). The bytes hold no pointers; they are meant for this
 * program version only: detector_restore refuses (-1, errno EINVAL) bytes of
 * another length or version, or made with a different configuration than
 * d's, and then leaves d unchanged. buf holds detector_snapshot_size() bytes. */
size_t detector_snapshot_size(void);
void detector_snapshot(const struct detector *d, void *buf);
int detector_restore(struct detector *d, const void *buf, size_t len);

/* Events dropped since detector_new for want of room in out. */
uint64_t detector_events_dropped(const struct detector *d);

/* "short", "effective", "long"; "unknown" for anything else. */
const char *detector_class_name(enum detector_hold_class c);
/* "contact", "hold_started", "hold_10s", "hold_60s", "hold_ended",
 * "heat_on", "heat_off", "too_hot", "session_started", "session_ended",
 * "rolling_started", "rolling_ended"; "unknown" for anything else. */
const char *detector_event_name(enum detector_event_kind k);

#endif
