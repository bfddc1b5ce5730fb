/* Feedback logic (sensord/feedback.c): the button's debounce and press
 * classification, and the LED and buzzer patterns. Expected timings are
 * the table in feedback.h, written out here by hand. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "select.h"

#include <math.h>

#include "feedback.h"

#define POLL_S 0.01	/* sensord polls the button every 10 ms */

/* Feeds level from t0 (inclusive) to t1 (exclusive) every POLL_S; returns
 * the events seen, counting each kind, and where the first one came. */
struct seen {
	int shorts, longs, doubles;
	double first_at;
};

static void feed_span(struct feedback_button *b, double t0, double t1, bool level, struct seen *s)
{
	/* Integer steps: no drift from adding 0.01 hundreds of times. */
	long n = lround((t1 - t0) / POLL_S);

	for (long i = 0; i < n; i++) {
		double t = t0 + i * POLL_S;
		enum feedback_press p = feedback_button_feed(b, t, level);

		if (p != FEEDBACK_PRESS_NONE && s->shorts + s->longs + s->doubles == 0)
			s->first_at = t;
		if (p == FEEDBACK_PRESS_SHORT)
			s->shorts++;
		if (p == FEEDBACK_PRESS_LONG)
			s->longs++;
		if (p == FEEDBACK_PRESS_DOUBLE)
			s->doubles++;
	}
}

static void test_short_press(void **state)
{
	struct feedback_button b;
	struct seen s = { 0, 0, 0, -1 };

	(void)state;
	feedback_button_init(&b, 30, 2.0, 0.0);
	feed_span(&b, 0.0, 1.0, false, &s);
	feed_span(&b, 1.0, 1.2, true, &s);	/* 200 ms press */
	assert_int_equal(s.shorts + s.longs, 0);	/* nothing until released */
	feed_span(&b, 1.2, 2.0, false, &s);
	assert_int_equal(s.shorts, 1);
	assert_int_equal(s.longs, 0);
	/* On release, once the release has held for 30 ms. */
	assert_float_equal(s.first_at, 1.23, 1e-9);
}

/* Bounces shorter than debounce_ms are ignored: on a released button (a
 * glitch), while held (contact chatter), and at press and release. */
static void test_bounces_ignored(void **state)
{
	struct feedback_button b;
	struct seen s = { 0, 0, 0, -1 };

	(void)state;
	feedback_button_init(&b, 30, 2.0, 0.0);
	feed_span(&b, 0.0, 0.5, false, &s);
	feed_span(&b, 0.5, 0.52, true, &s);	/* 20 ms glitch */
	feed_span(&b, 0.52, 1.0, false, &s);
	assert_int_equal(s.shorts + s.longs, 0);
	/* A press with chatter at both ends and a 20 ms drop in the middle:
	 * one short press. */
	feed_span(&b, 1.0, 1.01, true, &s);
	feed_span(&b, 1.01, 1.02, false, &s);
	feed_span(&b, 1.02, 1.3, true, &s);
	feed_span(&b, 1.3, 1.32, false, &s);
	feed_span(&b, 1.32, 1.6, true, &s);
	feed_span(&b, 1.6, 1.61, false, &s);
	feed_span(&b, 1.61, 1.62, true, &s);
	feed_span(&b, 1.62, 2.0, false, &s);
	assert_int_equal(s.shorts, 1);
	assert_int_equal(s.longs, 0);
	assert_float_equal(s.first_at, 1.65, 1e-9);
}

/* A long press fires once, at long_press_s after the press began, while the
 * button is still held; its release is no short press. */
static void test_long_press_once(void **state)
{
	struct feedback_button b;
	struct seen s = { 0, 0, 0, -1 };

	(void)state;
	feedback_button_init(&b, 30, 2.0, 0.0);
	feed_span(&b, 0.0, 1.0, false, &s);
	feed_span(&b, 1.0, 2.99, true, &s);
	assert_int_equal(s.longs, 0);		/* 1.99 s: not yet */
	feed_span(&b, 2.99, 6.0, true, &s);	/* held for 5 s in all */
	assert_int_equal(s.longs, 1);
	assert_float_equal(s.first_at, 3.0, 1e-9);
	feed_span(&b, 6.0, 7.0, false, &s);
	assert_int_equal(s.longs, 1);
	assert_int_equal(s.shorts, 0);
	/* The next press is classified afresh. */
	feed_span(&b, 7.0, 7.5, true, &s);
	feed_span(&b, 7.5, 8.0, false, &s);
	assert_int_equal(s.shorts, 1);
}

/* Short and long by timing: let go at 1.98 s is short (although the release
 * is confirmed after 2 s); 2.0 s is long. */
static void test_short_long_boundary(void **state)
{
	struct feedback_button b;
	struct seen s = { 0, 0, 0, -1 };

	(void)state;
	feedback_button_init(&b, 30, 2.0, 0.0);
	feed_span(&b, 0.0, 1.0, false, &s);
	feed_span(&b, 1.0, 2.98, true, &s);
	feed_span(&b, 2.98, 4.0, false, &s);
	assert_int_equal(s.shorts, 1);
	assert_int_equal(s.longs, 0);
	assert_float_equal(s.first_at, 3.01, 1e-9);

	feedback_button_init(&b, 30, 2.0, 0.0);
	s = (struct seen){ 0, 0, 0, -1 };
	feed_span(&b, 0.0, 1.0, false, &s);
	feed_span(&b, 1.0, 3.01, true, &s);
	feed_span(&b, 3.01, 4.0, false, &s);
	assert_int_equal(s.shorts, 0);
	assert_int_equal(s.longs, 1);
}

/* A button held at the first poll (stuck, or held at start) is no press. */
static void test_held_at_start(void **state)
{
	struct feedback_button b;
	struct seen s = { 0, 0, 0, -1 };

	(void)state;
	feedback_button_init(&b, 30, 2.0, 0.0);
	feed_span(&b, 0.0, 5.0, true, &s);
	feed_span(&b, 5.0, 6.0, false, &s);
	assert_int_equal(s.shorts + s.longs, 0);
	feed_span(&b, 6.0, 6.2, true, &s);
	feed_span(&b, 6.2, 6.5, false, &s);
	assert_int_equal(s.shorts, 1);
}

/* debounce_ms 0 takes each change at once. */
static void test_no_debounce(void **state)
{
	struct feedback_button b;

	(void)state;
	feedback_button_init(&b, 0, 1.0, 0.0);
	assert_int_equal(feedback_button_feed(&b, 0.0, false), FEEDBACK_PRESS_NONE);
	assert_int_equal(feedback_button_feed(&b, 0.1, true), FEEDBACK_PRESS_NONE);
	assert_int_equal(feedback_button_feed(&b, 0.11, false), FEEDBACK_PRESS_SHORT);
}

/* ---- double presses (double_press_s 0.4, debounce 30 ms) ---- */

/* A lone short press tares only once the 0.4 s after its release (its raw
 * edge, 1.2) have passed with no second press: at 1.6, not at 1.59. */
static void test_lone_short_waits(void **state)
{
	struct feedback_button b;
	struct seen s = { 0, 0, 0, -1 };

	(void)state;
	feedback_button_init(&b, 30, 2.0, 0.4);
	feed_span(&b, 0.0, 1.0, false, &s);
	feed_span(&b, 1.0, 1.2, true, &s);
	feed_span(&b, 1.2, 1.6, false, &s);
	assert_int_equal(s.shorts + s.longs + s.doubles, 0);	/* 1.59: still waiting */
	feed_span(&b, 1.6, 3.0, false, &s);
	assert_int_equal(s.shorts, 1);
	assert_int_equal(s.doubles, 0);
	assert_float_equal(s.first_at, 1.6, 1e-9);
}

/* Two short presses: one double press at the second release (confirmed
 * 30 ms after it), and no tare. */
static void test_double_press(void **state)
{
	struct feedback_button b;
	struct seen s = { 0, 0, 0, -1 };

	(void)state;
	feedback_button_init(&b, 30, 2.0, 0.4);
	feed_span(&b, 0.0, 1.0, false, &s);
	feed_span(&b, 1.0, 1.15, true, &s);
	feed_span(&b, 1.15, 1.4, false, &s);
	feed_span(&b, 1.4, 1.55, true, &s);
	feed_span(&b, 1.55, 3.0, false, &s);
	assert_int_equal(s.doubles, 1);
	assert_int_equal(s.shorts + s.longs, 0);
	assert_float_equal(s.first_at, 1.58, 1e-9);
}

/* feedback_button_idle: false until the first poll, while pressed, and while
 * a first short press waits for a second; true once all that has settled. */
static void test_idle(void **state)
{
	struct feedback_button b;
	struct seen s = { 0, 0, 0, -1 };

	(void)state;
	feedback_button_init(&b, 30, 2.0, 0.4);
	assert_false(feedback_button_idle(&b));
	feed_span(&b, 0.0, 1.0, false, &s);
	assert_true(feedback_button_idle(&b));
	feed_span(&b, 1.0, 1.01, true, &s);	/* raw edge, not yet debounced */
	assert_false(feedback_button_idle(&b));
	feed_span(&b, 1.01, 1.2, true, &s);
	assert_false(feedback_button_idle(&b));
	feed_span(&b, 1.2, 1.5, false, &s);	/* released: a second may follow */
	assert_int_equal(s.shorts, 0);
	assert_false(feedback_button_idle(&b));
	feed_span(&b, 1.5, 1.7, false, &s);	/* the window closed: the tare */
	assert_int_equal(s.shorts, 1);
	assert_true(feedback_button_idle(&b));
}

/* The loop stops polling while the button is idle and wakes at the next
 * poll after a raw change (gpio.h's button_fd). Over presses of every kind,
 * bounces included, that sees the same presses at the same times as polling
 * every 10 ms throughout. */
static void test_idle_skipping_sees_the_same(void **state)
{
	/* Raw edges (time, level), starting released. */
	static const struct { double t; bool level; } edges[] = {
		{ 1.00, true }, { 1.20, false },			/* a tare */
		{ 3.00, true }, { 3.01, false }, { 3.02, true },	/* bouncing press */
		{ 3.15, false }, { 3.40, true }, { 3.55, false },	/* ... a double */
		{ 5.00, true }, { 7.50, false },			/* long */
		{ 9.00, true }, { 9.005, false },			/* a glitch */
		{ 10.00, true }, { 10.10, false }, { 10.60, true },	/* too late for */
		{ 10.75, false },					/* a double */
	};
	const size_t n_edges = sizeof(edges) / sizeof(edges[0]);
	struct feedback_button all, skip;
	bool awake = true, last_seen = false;
	int events = 0;

	(void)state;
	feedback_button_init(&all, 30, 2.0, 0.4);
	feedback_button_init(&skip, 30, 2.0, 0.4);
	for (long i = 0; i < 1300; i++) {
		double t = i * POLL_S;
		bool level = false, edge_since = false;
		enum feedback_press p_all, p_skip = FEEDBACK_PRESS_NONE;

		for (size_t e = 0; e < n_edges && edges[e].t <= t + 1e-9; e++) {
			level = edges[e].level;
			/* An edge since the last poll wakes the loop (the fd). */
			if (edges[e].t > t - POLL_S + 1e-9)
				edge_since = true;
		}
		p_all = feedback_button_feed(&all, t, level);
		if (awake || edge_since || level != last_seen) {
			p_skip = feedback_button_feed(&skip, t, level);
			last_seen = level;
		}
		awake = !feedback_button_idle(&skip);
		assert_int_equal(p_skip, p_all);
		events += p_all != FEEDBACK_PRESS_NONE;
	}
	assert_int_equal(events, 5);	/* tare, double, long, tare, tare */
}

/* The second press counts when it begins within double_press_s of the
 * first release: at 0.40 s it does, at 0.41 s it is a second lone press. */
static void test_double_press_boundary(void **state)
{
	struct feedback_button b;
	struct seen s = { 0, 0, 0, -1 };

	(void)state;
	feedback_button_init(&b, 30, 2.0, 0.4);
	feed_span(&b, 0.0, 1.0, false, &s);
	feed_span(&b, 1.0, 1.1, true, &s);
	feed_span(&b, 1.1, 1.5, false, &s);	/* released at 1.1; 1.5 is 0.40 after */
	feed_span(&b, 1.5, 1.6, true, &s);
	feed_span(&b, 1.6, 3.0, false, &s);
	assert_int_equal(s.doubles, 1);
	assert_int_equal(s.shorts, 0);

	feedback_button_init(&b, 30, 2.0, 0.4);
	s = (struct seen){ 0, 0, 0, -1 };
	feed_span(&b, 0.0, 1.0, false, &s);
	feed_span(&b, 1.0, 1.1, true, &s);
	feed_span(&b, 1.1, 1.51, false, &s);	/* 0.41 after */
	feed_span(&b, 1.51, 1.6, true, &s);
	feed_span(&b, 1.6, 3.0, false, &s);
	assert_int_equal(s.doubles, 0);
	assert_int_equal(s.shorts, 2);
	assert_float_equal(s.first_at, 1.5, 1e-9);	/* the first, when its window closed */
}

/* Bounce makes no double press: chatter at the release of the first press
 * is part of it, and a 20 ms glitch in the window is no second press (the
 * first is a lone press once the window is over; a glitch that begins
 * inside the window and ends after it delays the answer until it ends). */
static void test_double_press_bounce(void **state)
{
	struct feedback_button b;
	struct seen s = { 0, 0, 0, -1 };

	(void)state;
	feedback_button_init(&b, 30, 2.0, 0.4);
	feed_span(&b, 0.0, 1.0, false, &s);
	feed_span(&b, 1.0, 1.2, true, &s);
	feed_span(&b, 1.2, 1.21, false, &s);	/* release chatter */
	feed_span(&b, 1.21, 1.22, true, &s);
	feed_span(&b, 1.22, 1.4, false, &s);	/* released at 1.22 */
	feed_span(&b, 1.4, 1.42, true, &s);	/* glitch */
	feed_span(&b, 1.42, 2.5, false, &s);
	assert_int_equal(s.shorts, 1);
	assert_int_equal(s.doubles, 0);
	assert_float_equal(s.first_at, 1.62, 1e-9);

	feedback_button_init(&b, 30, 2.0, 0.4);
	s = (struct seen){ 0, 0, 0, -1 };
	feed_span(&b, 0.0, 1.0, false, &s);
	feed_span(&b, 1.0, 1.2, true, &s);
	feed_span(&b, 1.2, 1.59, false, &s);
	feed_span(&b, 1.59, 1.61, true, &s);	/* across the window's end at 1.6 */
	feed_span(&b, 1.61, 2.5, false, &s);
	assert_int_equal(s.shorts, 1);
	assert_int_equal(s.doubles, 0);
	assert_float_equal(s.first_at, 1.61, 1e-9);
}

/* A second press held long ends the session and swallows the first: no
 * tare, no zone step, before or after. */
static void test_double_press_second_long(void **state)
{
	struct feedback_button b;
	struct seen s = { 0, 0, 0, -1 };

	(void)state;
	feedback_button_init(&b, 30, 2.0, 0.4);
	feed_span(&b, 0.0, 1.0, false, &s);
	feed_span(&b, 1.0, 1.1, true, &s);
	feed_span(&b, 1.1, 1.3, false, &s);
	feed_span(&b, 1.3, 4.0, true, &s);
	feed_span(&b, 4.0, 5.0, false, &s);
	assert_int_equal(s.longs, 1);
	assert_int_equal(s.shorts + s.doubles, 0);
	assert_float_equal(s.first_at, 3.3, 1e-9);
}

/* Four quick presses are two double presses; the fifth, alone, a tare. */
static void test_double_press_twice(void **state)
{
	struct feedback_button b;
	struct seen s = { 0, 0, 0, -1 };

	(void)state;
	feedback_button_init(&b, 30, 2.0, 0.4);
	feed_span(&b, 0.0, 1.0, false, &s);
	for (int k = 0; k < 5; k++) {
		feed_span(&b, 1.0 + 0.3 * k, 1.15 + 0.3 * k, true, &s);
		feed_span(&b, 1.15 + 0.3 * k, 1.3 + 0.3 * k, false, &s);
	}
	feed_span(&b, 2.5, 4.0, false, &s);
	assert_int_equal(s.doubles, 2);
	assert_int_equal(s.shorts, 1);
	assert_int_equal(s.longs, 0);
}

/* ---- patterns ---- */

struct expect {
	double at_s;		/* since the pattern's start */
	bool led, buzzer;
};

static void check_levels(enum feedback_pattern_kind k, const struct expect *e, size_t n)
{
	struct feedback_player p = { 0 };
	const double t0 = 1000.0;

	assert_true(feedback_player_start(&p, k, t0));
	for (size_t i = 0; i < n; i++) {
		struct feedback_levels lv = feedback_player_levels(&p, t0 + e[i].at_s);

		if (lv.led != e[i].led || lv.buzzer != e[i].buzzer)
			fail_msg("%s at %.4f s: LED %d buzzer %d, want %d %d", feedback_pattern_name(k),
				 e[i].at_s, lv.led, lv.buzzer, e[i].led, e[i].buzzer);
	}
}

static void test_pattern_hold_10s(void **state)
{
	/* LED on 150, off 150, on 150; buzzer on 100. */
	static const struct expect e[] = {
		{ 0.0, true, true }, { 0.0999, true, true }, { 0.1, true, false },
		{ 0.1499, true, false }, { 0.150, false, false }, { 0.2999, false, false },
		{ 0.300, true, false }, { 0.4499, true, false }, { 0.450, false, false },
		{ 5.0, false, false },
	};

	(void)state;
	check_levels(FEEDBACK_PATTERN_HOLD_10S, e, sizeof(e) / sizeof(e[0]));
}

static void test_pattern_hold_60s(void **state)
{
	/* LED 500 on, 250 off, 500 on, 250 off, 500 on; buzzer 200 on/off x3. */
	static const struct expect e[] = {
		{ 0.0, true, true }, { 0.199, true, true }, { 0.2, true, false },
		{ 0.4, true, true }, { 0.499, true, true }, { 0.5, false, true },
		{ 0.6, false, false }, { 0.749, false, false }, { 0.75, true, false },
		{ 0.8, true, true }, { 0.999, true, true }, { 1.0, true, false },
		{ 1.249, true, false }, { 1.25, false, false }, { 1.5, true, false },
		{ 1.999, true, false }, { 2.0, false, false },
	};

	(void)state;
	check_levels(FEEDBACK_PATTERN_HOLD_60S, e, sizeof(e) / sizeof(e[0]));
}

static void test_pattern_too_hot(void **state)
{
	/* LED 100 on / 100 off, ten blinks (1.9 s); buzzer one 1.5 s tone. */
	static const struct expect e[] = {
		{ 0.0, true, true }, { 0.099, true, true }, { 0.1, false, true },
		{ 0.2, true, true }, { 1.0, true, true }, { 1.399, false, true }, { 1.499, true, true },
		{ 1.5, false, false }, { 1.8, true, false }, { 1.899, true, false },
		{ 1.9, false, false },
	};

	(void)state;
	check_levels(FEEDBACK_PATTERN_TOO_HOT, e, sizeof(e) / sizeof(e[0]));
}

static void test_pattern_acks(void **state)
{
	/* Tare: LED 300, buzzer 50. Session end: LED 1000, buzzer 100/100/100. */
	static const struct expect tare[] = {
		{ 0.0, true, true }, { 0.049, true, true }, { 0.05, true, false },
		{ 0.299, true, false }, { 0.3, false, false },
	};
	static const struct expect end[] = {
		{ 0.0, true, true }, { 0.1, true, false }, { 0.2, true, true },
		{ 0.299, true, true }, { 0.3, true, false }, { 0.999, true, false },
		{ 1.0, false, false },
	};

	(void)state;
	check_levels(FEEDBACK_PATTERN_TARE, tare, sizeof(tare) / sizeof(tare[0]));
	check_levels(FEEDBACK_PATTERN_SESSION_END, end, sizeof(end) / sizeof(end[0]));
}

/* A refused tare: LED on 80 / off 80, four blinks (0.56 s); buzzer on 400,
 * off 200, on 400 (1.0 s). Edges by hand from feedback.h's table. */
static void test_pattern_tare_refused(void **state)
{
	static const struct expect e[] = {
		{ 0.0, true, true }, { 0.079, true, true }, { 0.08, false, true },
		{ 0.16, true, true }, { 0.24, false, true }, { 0.32, true, true },
		{ 0.399, true, true }, { 0.4, false, false }, { 0.48, true, false },
		{ 0.559, true, false }, { 0.56, false, false }, { 0.599, false, false },
		{ 0.6, false, true }, { 0.999, false, true }, { 1.0, false, false },
	};

	(void)state;
	check_levels(FEEDBACK_PATTERN_TARE_REFUSED, e, sizeof(e) / sizeof(e[0]));
	assert_string_equal(feedback_pattern_name(FEEDBACK_PATTERN_TARE_REFUSED), "tare_refused");
}

/* The zone's position in blinks of 200 ms, 300 ms apart, groups of five
 * 1000 ms apart; the buzzer one 50 ms tick. Edges worked out by hand. */
static void test_pattern_zone(void **state)
{
	/* Position 1: one blink. */
	static const struct expect one[] = {
		{ 0.0, true, true }, { 0.049, true, true }, { 0.05, true, false },
		{ 0.199, true, false }, { 0.2, false, false }, { 3.0, false, false },
	};
	struct feedback_player p = { 0 };
	struct feedback_levels lv;
	double t;
	int on_edges = 0;
	bool led_was = false;

	(void)state;
	assert_true(feedback_player_start_zone(&p, 1, 1000.0));
	for (size_t i = 0; i < sizeof(one) / sizeof(one[0]); i++) {
		lv = feedback_player_levels(&p, 1000.0 + one[i].at_s);
		assert_int_equal(lv.led, one[i].led);
		assert_int_equal(lv.buzzer, one[i].buzzer);
	}
	/* Position 7: blinks at 0, 0.5, 1.0, 1.5, 2.0, then the group's
	 * pause (2.2 .. 3.2), blinks at 3.2 and 3.7; off from 3.9. */
	assert_true(feedback_player_start_zone(&p, 7, 0.0));
	assert_true(feedback_player_levels(&p, 2.0).led);
	assert_false(feedback_player_levels(&p, 2.2).led);
	assert_false(feedback_player_levels(&p, 2.5).led);	/* not 300 ms: the group's pause */
	assert_false(feedback_player_levels(&p, 3.199).led);
	assert_true(feedback_player_levels(&p, 3.2).led);
	assert_false(feedback_player_levels(&p, 3.4).led);
	assert_true(feedback_player_levels(&p, 3.7).led);
	assert_true(feedback_player_busy(&p, 3.899));
	assert_false(feedback_player_busy(&p, 3.9));
	/* Position 32, walked edge by edge: 32 blinks, 6 pauses of a group,
	 * over at 32 x 0.2 + 25 x 0.3 + 6 x 1.0 = 19.9 s. */
	assert_true(feedback_player_start_zone(&p, ZONES_MAX, 0.0));
	for (t = 0.0; on_edges < 100; ) {
		lv = feedback_player_levels(&p, t);
		if (lv.led && !led_was)
			on_edges++;
		led_was = lv.led;
		if (isinf(lv.next_change_s))
			break;
		t = lv.next_change_s;
	}
	assert_int_equal(on_edges, 32);
	assert_float_equal(t, 19.9, 1e-9);
	/* Out of range: refused, and the plain start cannot play a zone. */
	assert_false(feedback_player_start_zone(&p, 0, 30.0));
	assert_false(feedback_player_start_zone(&p, ZONES_MAX + 1, 30.0));
	assert_false(feedback_player_start(&p, FEEDBACK_PATTERN_ZONE, 30.0));
	assert_string_equal(feedback_pattern_name(FEEDBACK_PATTERN_ZONE), "zone");
}

/* The loop sleeps until next_change_s: it must name each edge exactly, and
 * INFINITY once the pattern is over. */
static void test_next_change(void **state)
{
	struct feedback_player p = { 0 };
	struct feedback_levels lv;

	(void)state;
	lv = feedback_player_levels(&p, 5.0);
	assert_false(lv.led || lv.buzzer);
	assert_true(isinf(lv.next_change_s));
	feedback_player_start(&p, FEEDBACK_PATTERN_HOLD_10S, 10.0);
	assert_float_equal(feedback_player_levels(&p, 10.0).next_change_s, 10.1, 1e-9);
	assert_float_equal(feedback_player_levels(&p, 10.1).next_change_s, 10.15, 1e-9);
	assert_float_equal(feedback_player_levels(&p, 10.2).next_change_s, 10.3, 1e-9);
	assert_float_equal(feedback_player_levels(&p, 10.3).next_change_s, 10.45, 1e-9);
	assert_true(isinf(feedback_player_levels(&p, 10.45).next_change_s));
	assert_true(feedback_player_busy(&p, 10.44));
	assert_false(feedback_player_busy(&p, 10.45));
}

/* A newer pattern replaces an older one; too hot is not cut short by any
 * other, but replaces any. */
static void test_priority(void **state)
{
	struct feedback_player p = { 0 };

	(void)state;
	assert_true(feedback_player_start(&p, FEEDBACK_PATTERN_HOLD_60S, 0.0));
	assert_true(feedback_player_start(&p, FEEDBACK_PATTERN_TARE, 0.6));
	/* The tare's blink, not the 60 s pattern's pause at 0.6 s. */
	assert_true(feedback_player_levels(&p, 0.6).led);
	assert_false(feedback_player_levels(&p, 0.9).led);	/* tare over */
	assert_false(feedback_player_levels(&p, 1.5).led);	/* 60 s pattern gone */

	assert_true(feedback_player_start(&p, FEEDBACK_PATTERN_TOO_HOT, 2.0));
	assert_false(feedback_player_start(&p, FEEDBACK_PATTERN_HOLD_10S, 2.5));
	assert_false(feedback_player_start(&p, FEEDBACK_PATTERN_SESSION_END, 3.8));
	assert_true(feedback_player_levels(&p, 2.5).buzzer);	/* still the tone */
	/* Once too hot has played out, anything plays again. */
	assert_true(feedback_player_start(&p, FEEDBACK_PATTERN_HOLD_10S, 3.9));
	/* Too hot over too hot restarts it. */
	assert_true(feedback_player_start(&p, FEEDBACK_PATTERN_TOO_HOT, 4.0));
	assert_true(feedback_player_start(&p, FEEDBACK_PATTERN_TOO_HOT, 4.5));
	assert_true(feedback_player_levels(&p, 5.95).buzzer);	/* 1.45 s into the new tone */
	assert_false(feedback_player_start(&p, FEEDBACK_PATTERN_NONE, 10.0));
}

static void test_event_mapping(void **state)
{
	(void)state;
	assert_int_equal(feedback_pattern_for_event(DETECTOR_EVENT_HOLD_10S), FEEDBACK_PATTERN_HOLD_10S);
	assert_int_equal(feedback_pattern_for_event(DETECTOR_EVENT_HOLD_60S), FEEDBACK_PATTERN_HOLD_60S);
	assert_int_equal(feedback_pattern_for_event(DETECTOR_EVENT_TOO_HOT), FEEDBACK_PATTERN_TOO_HOT);
	for (int k = 0; k < DETECTOR_EVENT_KINDS; k++)
		if (k != DETECTOR_EVENT_HOLD_10S && k != DETECTOR_EVENT_HOLD_60S &&
		    k != DETECTOR_EVENT_TOO_HOT)
			assert_int_equal(feedback_pattern_for_event((enum detector_event_kind)k),
					 FEEDBACK_PATTERN_NONE);
	assert_string_equal(feedback_pattern_name(FEEDBACK_PATTERN_TOO_HOT), "too_hot");
	assert_string_equal(feedback_pattern_name(FEEDBACK_PATTERN_KINDS), "none");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_short_press),
		cmocka_unit_test(test_bounces_ignored),
		cmocka_unit_test(test_long_press_once),
		cmocka_unit_test(test_short_long_boundary),
		cmocka_unit_test(test_held_at_start),
		cmocka_unit_test(test_no_debounce),
		cmocka_unit_test(test_lone_short_waits),
		cmocka_unit_test(test_double_press),
		cmocka_unit_test(test_double_press_boundary),
		cmocka_unit_test(test_double_press_bounce),
		cmocka_unit_test(test_double_press_second_long),
		cmocka_unit_test(test_double_press_twice),
		cmocka_unit_test(test_idle),
		cmocka_unit_test(test_idle_skipping_sees_the_same),
		cmocka_unit_test(test_pattern_hold_10s),
		cmocka_unit_test(test_pattern_hold_60s),
		cmocka_unit_test(test_pattern_too_hot),
		cmocka_unit_test(test_pattern_acks),
		cmocka_unit_test(test_pattern_tare_refused),
		cmocka_unit_test(test_pattern_zone),
		cmocka_unit_test(test_next_change),
		cmocka_unit_test(test_priority),
		cmocka_unit_test(test_event_mapping),
	};

	tests_select();
	return cmocka_run_group_tests_name("test_feedback", tests, NULL, NULL);
}
