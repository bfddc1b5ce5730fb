/* Feedback on the tool: what the button means and what the LED and the
 * buzzer play. Pure logic: no I/O, no clock reads, no allocation; the caller
 * gives the time, reads the button and drives the lines (gpio.h).
 *
 * Both halves run on the real clock (clock_real_s()), never the scaled mono
 * clock: a press and a blink are made and seen by a person, so with
 * simulated gear running ten times faster than real time a 2 s long press
 * is still 2 s in the hand and a 150 ms blink still 150 ms to the eye. On
 * real hardware the scale is 1 and the two clocks tick alike.
 *
 * The button. Fed with (time, raw level) at every poll, a few ms apart. A
 * change of the raw level counts only once it has stayed for debounce_ms:
 * contact bounce and glitches shorter than that are ignored, both while
 * released and while held. A press lasts from the poll at which the raw
 * level went down to the poll at which it came up for good. Then:
 *   FEEDBACK_PRESS_LONG   as soon as the button has been held long_press_s
 *                         (while still held, so the user feels the moment
 *                         and can let go); once per press, and its release
 *                         is no short press;
 *   FEEDBACK_PRESS_SHORT  a lone short press (released before long_press_s):
 *                         once double_press_s has passed after its release
 *                         with no second press begun, so that it can still
 *                         turn out to be the first half of a double press;
 *   FEEDBACK_PRESS_DOUBLE at the release of a second short press whose press
 *                         began (its raw edge) within double_press_s of the
 *                         first one's release (the raw edge at which the
 *                         contact opened). The first press gives nothing.
 * A second press that is held long_press_s is a long press (the session
 * ends) and swallows the first one: no tare, no zone step. A third press
 * starts afresh: two double presses need four presses. A second press that
 * begins in the window but is a bounce shorter than debounce_ms is no press,
 * and the first one is a lone short press once the window has passed.
 * double_press_s 0 turns double presses off: a short press is reported at
 * its release. A button already held at the first poll (stuck, or held at
 * power-up) is no press at all until it is released.
 *
 * The patterns. Each output plays a list of spans alternating on and off,
 * starting on, and ends off; time 0 is the pattern's start. LED and buzzer
 * start together. Timings in ms:
 *
 *   pattern       meaning                     LED                           buzzer
 *   HOLD_10S      the hold counts now         2 short blinks: on 150, off   1 short beep: on 100
 *                                             150, on 150
 *   HOLD_60S      enough on this spot:        3 long blinks: on 500, off    3 beeps: on 200, off 200,
 *                 let go                      250, on 500, off 250, on 500  on 200, off 200, on 200
 *   TOO_HOT       45 °C: burn risk            10 fast blinks: on 100, off   1 long tone: on 1500
 *                                             100, ... (1900 in all)
 *   TARE          the button's short press:   1 blink: on 300               1 tick: on 50
 *                 the zero is being taken
 *   SESSION_END   the button's long press:    1 long glow: on 1000          2 beeps: on 100, off 100,
 *                 the session is over                                       on 100
 *   ZONE          the button's double press:  n blinks for position n       1 tick: on 50
 *                 the zone is now the n-th    (1-based) in groups of five:
 *                 of the list                 on 200, off 300 within a group,
 *                                             off 1000 between groups
 *   TARE_REFUSED  a tare (button, SIGUSR1,    4 quick blinks: on 80, off    2 long beeps: on 400, off
 *                 MQTT) while the tool is     80, ... (560 in all)          200, on 400
 *                 loaded: nothing changed,
 *                 let go and ask again
 *
 * The zone's blinks are counted the way tally marks are: 12 is "five, pause,
 * five, pause, two", which a person counts without losing track even at
 * ZONES_MAX (32: six groups and two, 19.9 s). Position 1 is one 200 ms
 * blink; 5 is 2.2 s; 15 (the default list's last) 8.6 s.
 *
 * A newer pattern replaces the one playing, except that TOO_HOT (priority
 * 2; all others 1) is never cut short by a lower one: a pattern of lower
 * priority than the one still playing is refused. Spans are half-open: an
 * output that turns on at t and off at t + 0.150 is on at t and off at
 * t + 0.150. */
#ifndef ROLLSENSE_FEEDBACK_H
#define ROLLSENSE_FEEDBACK_H

#include <stdbool.h>

#include "detector.h"

/* ---- the button ---- */

enum feedback_press {
	FEEDBACK_PRESS_NONE = 0,
	FEEDBACK_PRESS_SHORT,	/* released before long_press_s: tare */
	FEEDBACK_PRESS_LONG,	/* held long_press_s: end the session */
	FEEDBACK_PRESS_DOUBLE,	/* two short presses: the next zone */
};

struct feedback_button {
	double debounce_s;
	double long_press_s;
	bool started;		/* fed at least once */
	bool raw;		/* the last raw level */
	double raw_since_s;	/* when the raw level last changed */
	bool pressed;		/* the debounced level */
	double pressed_at_s;	/* when the current press began (its raw edge) */
	bool quiet;		/* this press gives no event (already long, or held at start) */
	double double_press_s;
	bool first_done;	/* a short press was released; a second may follow */
	double released_at_s;	/* ... at this time (its raw edge) */
	bool second;		/* the current press is the second of a double press */
};

/* debounce_ms 0 takes every change at once; long_press_s > 0;
 * double_press_s >= 0 (0: no double presses). */
void feedback_button_init(struct feedback_button *b, unsigned debounce_ms, double long_press_s,
			  double double_press_s);

/* One poll: real_s the real time in seconds (never decreasing), raw_pressed
 * the button's logical level. Returns what this poll completed. */
enum feedback_press feedback_button_feed(struct feedback_button *b, double real_s, bool raw_pressed);

/* True when nothing but a change of the raw level can make the next poll
 * return a press: the button is released and settled, and no first press
 * waits for a second. Between two changes the loop need not poll then, if it
 * is told of changes (gpio.h, button_fd). */
bool feedback_button_idle(const struct feedback_button *b);

/* ---- the patterns ---- */

enum feedback_pattern_kind {
	FEEDBACK_PATTERN_NONE = 0,
	FEEDBACK_PATTERN_HOLD_10S,
	FEEDBACK_PATTERN_HOLD_60S,
	FEEDBACK_PATTERN_TOO_HOT,
	FEEDBACK_PATTERN_TARE,
	FEEDBACK_PATTERN_SESSION_END,
	FEEDBACK_PATTERN_ZONE,		/* started with feedback_player_start_zone */
	FEEDBACK_PATTERN_TARE_REFUSED,
	FEEDBACK_PATTERN_KINDS		/* count of the above */
};

/* The pattern for a detector event: HOLD_10S, HOLD_60S and TOO_HOT have one;
 * every other event FEEDBACK_PATTERN_NONE. */
enum feedback_pattern_kind feedback_pattern_for_event(enum detector_event_kind k);

/* "hold_10s", "hold_60s", "too_hot", "tare", "session_end", "zone",
 * "tare_refused"; "none". */
const char *feedback_pattern_name(enum feedback_pattern_kind k);

/* What plays now. Zeroed: nothing. */
struct feedback_player {
	enum feedback_pattern_kind kind;
	double start_s;
	unsigned blinks;	/* ZONE: the position blinked */
};

struct feedback_levels {
	bool led;
	bool buzzer;
	/* The real time of the next change of either output, or INFINITY when
	 * nothing will change (idle): the caller wakes up then. */
	double next_change_s;
};

/* Starts pattern k at real_s, replacing what plays unless that has a higher
 * priority and is still playing. FEEDBACK_PATTERN_NONE, ZONE (which needs
 * its position) and unknown kinds do nothing. Returns true if k now plays. */
bool feedback_player_start(struct feedback_player *p, enum feedback_pattern_kind k, double real_s);

/* Starts ZONE for position (1..ZONES_MAX) at real_s, under the same rule.
 * Returns true if it now plays; false also for a position out of range. */
bool feedback_player_start_zone(struct feedback_player *p, unsigned position, double real_s);

/* The outputs' levels at real_s (not before the pattern's start). */
struct feedback_levels feedback_player_levels(const struct feedback_player *p, double real_s);

/* Whether a pattern is still playing at real_s. */
bool feedback_player_busy(const struct feedback_player *p, double real_s);

#endif
