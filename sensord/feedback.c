/* Feedback on the tool: button debounce and press classification, and the
 * LED and buzzer patterns (feedback.h, which has the rules and timings). */
#include "feedback.h"

#include <math.h>
#include <stddef.h>

/* Times are compared with a microsecond of slack, so that a release 30 ms
 * after the press counts as 30 ms where floating point makes 0.0299999. */
#define SLACK_S 1e-6

/* ---- the button ---- */

void feedback_button_init(struct feedback_button *b, unsigned debounce_ms, double long_press_s,
			  double double_press_s)
{
	*b = (struct feedback_button){ .debounce_s = debounce_ms / 1000.0,
				       .long_press_s = long_press_s,
				       .double_press_s = double_press_s };
}

/* A short press was released: the first half of a double press, or the
 * second. */
static enum feedback_press button_released(struct feedback_button *b)
{
	if (b->second) {
		b->second = false;
		return FEEDBACK_PRESS_DOUBLE;
	}
	b->first_done = true;
	b->released_at_s = b->raw_since_s;
	return FEEDBACK_PRESS_NONE;
}

/* A first press waiting for a second one: a lone short press once the
 * window has passed, unless the contact closed inside the window and
 * debounce has yet to say whether that is a press. */
static enum feedback_press button_lone(struct feedback_button *b, double real_s)
{
	double window_end_s = b->released_at_s + b->double_press_s;

	if (!b->first_done || b->pressed || real_s < window_end_s - SLACK_S)
		return FEEDBACK_PRESS_NONE;
	if (b->raw && b->raw_since_s <= window_end_s + SLACK_S)
		return FEEDBACK_PRESS_NONE;
	b->first_done = false;
	return FEEDBACK_PRESS_SHORT;
}

enum feedback_press feedback_button_feed(struct feedback_button *b, double real_s, bool raw_pressed)
{
	double held_until_s;

	if (!b->started) {
		/* Whatever the button does at the first poll is where we start,
		 * not a change we saw: a held button is no press. */
		b->started = true;
		b->raw = b->pressed = raw_pressed;
		b->raw_since_s = b->pressed_at_s = real_s;
		b->quiet = raw_pressed;
		return FEEDBACK_PRESS_NONE;
	}
	if (raw_pressed != b->raw) {
		b->raw = raw_pressed;
		b->raw_since_s = real_s;
	}
	if (b->raw != b->pressed && real_s - b->raw_since_s >= b->debounce_s - SLACK_S) {
		b->pressed = b->raw;
		if (b->pressed) {
			b->pressed_at_s = b->raw_since_s;
			b->quiet = false;
			/* Begun inside the first press's window: the second.
			 * Begun after it (a poll came late), the first was a
			 * lone short press after all, reported now. */
			b->second = b->first_done &&
				    b->pressed_at_s - b->released_at_s <= b->double_press_s + SLACK_S;
			if (b->first_done && !b->second) {
				b->first_done = false;
				return FEEDBACK_PRESS_SHORT;
			}
			b->first_done = false;
		} else if (!b->quiet) {
			enum feedback_press p = button_released(b);

			return p != FEEDBACK_PRESS_NONE ? p : button_lone(b, real_s);
		}
	}
	if (!b->pressed)
		return button_lone(b, real_s);
	if (b->quiet)
		return FEEDBACK_PRESS_NONE;
	/* While a release is still bouncing, the press is measured to the
	 * moment the contact opened: letting go at 1.99 s is a short press
	 * even if the release is only confirmed after 2 s. */
	held_until_s = b->raw ? real_s : b->raw_since_s;
	if (held_until_s - b->pressed_at_s >= b->long_press_s - SLACK_S) {
		/* A long second press swallows the first: no tare, no zone. */
		b->quiet = true;
		b->second = false;
		return FEEDBACK_PRESS_LONG;
	}
	return FEEDBACK_PRESS_NONE;
}

bool feedback_button_idle(const struct feedback_button *b)
{
	return b->started && !b->raw && !b->pressed && !b->first_done;
}

/* ---- the patterns ---- */

/* count blinks of on_ms, off_ms apart: on, off, on, ..., on. With group
 * set, every group-th off span lasts group_off_ms instead (the zone's
 * groups of five). */
struct track {
	unsigned count, on_ms, off_ms;
	unsigned group, group_off_ms;
};

struct pattern {
	const char *name;
	int priority;
	int event;		/* the detector event it acknowledges, -1 none */
	struct track led, buzzer;
};

/* The table in feedback.h, blink for blink. ZONE's LED count is the
 * player's blinks. */
static const struct pattern patterns[FEEDBACK_PATTERN_KINDS] = {
	[FEEDBACK_PATTERN_NONE] = { "none", 0, -1, { 0, 0, 0, 0, 0 }, { 0, 0, 0, 0, 0 } },
	[FEEDBACK_PATTERN_HOLD_10S] = { "hold_10s", 1, DETECTOR_EVENT_HOLD_10S, { 2, 150, 150, 0, 0 },
					{ 1, 100, 0, 0, 0 } },
	[FEEDBACK_PATTERN_HOLD_60S] = { "hold_60s", 1, DETECTOR_EVENT_HOLD_60S, { 3, 500, 250, 0, 0 },
					{ 3, 200, 200, 0, 0 } },
	[FEEDBACK_PATTERN_TOO_HOT] = { "too_hot", 2, DETECTOR_EVENT_TOO_HOT, { 10, 100, 100, 0, 0 },
				       { 1, 1500, 0, 0, 0 } },
	[FEEDBACK_PATTERN_TARE] = { "tare", 1, -1, { 1, 300, 0, 0, 0 }, { 1, 50, 0, 0, 0 } },
	[FEEDBACK_PATTERN_SESSION_END] = { "session_end", 1, -1, { 1, 1000, 0, 0, 0 },
					   { 2, 100, 100, 0, 0 } },
	[FEEDBACK_PATTERN_ZONE] = { "zone", 1, -1, { 0, 200, 300, 5, 1000 }, { 1, 50, 0, 0, 0 } },
	[FEEDBACK_PATTERN_TARE_REFUSED] = { "tare_refused", 1, -1, { 4, 80, 80, 0, 0 },
					    { 2, 400, 200, 0, 0 } },
};

enum feedback_pattern_kind feedback_pattern_for_event(enum detector_event_kind k)
{
	for (int i = 1; i < FEEDBACK_PATTERN_KINDS; i++)
		if (patterns[i].event == (int)k)
			return (enum feedback_pattern_kind)i;
	return FEEDBACK_PATTERN_NONE;
}

static bool kind_valid(enum feedback_pattern_kind k)
{
	return (int)k > 0 && k < FEEDBACK_PATTERN_KINDS;
}

const char *feedback_pattern_name(enum feedback_pattern_kind k)
{
	return patterns[kind_valid(k) ? k : FEEDBACK_PATTERN_NONE].name;
}

/* The track's level at at_ms, and the time of its next change (or
 * INFINITY); count blinks (the track's own, or the player's). */
static bool track_level(const struct track *t, unsigned count, double start_s, double at_ms,
			double *next_s)
{
	unsigned end_ms = 0;

	/* Span i is on when even: count on spans, count - 1 off between;
	 * off span i follows blink i / 2 + 1. */
	for (unsigned i = 0; i + 1 < 2 * count; i++) {
		if (i % 2 == 0)
			end_ms += t->on_ms;
		else if (t->group && (i / 2 + 1) % t->group == 0)
			end_ms += t->group_off_ms;
		else
			end_ms += t->off_ms;
		if (at_ms < end_ms) {
			*next_s = start_s + end_ms / 1000.0;
			return i % 2 == 0;
		}
	}
	*next_s = INFINITY;
	return false;
}

/* Starts k (with blinks for ZONE) under the priority rule. */
static bool player_start(struct feedback_player *p, enum feedback_pattern_kind k, unsigned blinks,
			 double real_s)
{
	if (!kind_valid(k) ||
	    (feedback_player_busy(p, real_s) && patterns[p->kind].priority > patterns[k].priority))
		return false;
	p->kind = k;
	p->start_s = real_s;
	p->blinks = blinks;
	return true;
}

bool feedback_player_start(struct feedback_player *p, enum feedback_pattern_kind k, double real_s)
{
	return k != FEEDBACK_PATTERN_ZONE && player_start(p, k, 0, real_s);
}

bool feedback_player_start_zone(struct feedback_player *p, unsigned position, double real_s)
{
	return position >= 1 && position <= ZONES_MAX &&
	       player_start(p, FEEDBACK_PATTERN_ZONE, position, real_s);
}

struct feedback_levels feedback_player_levels(const struct feedback_player *p, double real_s)
{
	struct feedback_levels lv = { false, false, INFINITY };
	const struct pattern *pat;
	double at_ms, next_led, next_buzzer;

	if (!kind_valid(p->kind))
		return lv;
	pat = &patterns[p->kind];
	/* Milliseconds since the pattern started, with a nanosecond of slack
	 * so that an edge given as start + 0.150 s falls on the span it begins,
	 * although (start + 0.150) - start may come out as 149.99999999. */
	at_ms = (real_s - p->start_s) * 1000.0 + 1e-6;
	lv.led = track_level(&pat->led, p->kind == FEEDBACK_PATTERN_ZONE ? p->blinks : pat->led.count,
			     p->start_s, at_ms, &next_led);
	lv.buzzer = track_level(&pat->buzzer, pat->buzzer.count, p->start_s, at_ms, &next_buzzer);
	lv.next_change_s = fmin(next_led, next_buzzer);
	return lv;
}

/* Playing while either output has a change to come. */
bool feedback_player_busy(const struct feedback_player *p, double real_s)
{
	return feedback_player_levels(p, real_s).next_change_s < INFINITY;
}
