/* Tests for common/sameid.c: the decisions on two sensords under one
 * device_id, fed by hand the times a broker and a collector would see.
 * The ground truth is the setup each case plays: one tool restarted (a
 * plain stop or a kill, then a start), or two tools running at once. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "select.h"

#include <stdio.h>
#include <string.h>

#include "sameid.h"

#define OLD "00000000000000a1"	/* the run before a restart */
#define OWN "00000000000000b2"	/* our run */
#define OTHER "5e1f03c29a7b44d1"	/* the other tool's run */

/* ---- sensord's side ---- */

/* A plain restart: at each connect the previous run's retained health
 * comes, the same every time, and our own health comes back to us. Never
 * another sensord, however long and however many reconnects. */
static void test_watch_restart_is_not_another(void **state)
{
	struct sameid_watch w;
	double t = 0;

	(void)state;
	sameid_watch_init(&w, OWN);
	for (int i = 0; i < 5; i++) {
		sameid_watch_connected(&w, t);
		sameid_watch_health(&w, OLD, 3600.5, t + 0.1);
		sameid_watch_health(&w, OWN, t + 0.1, t + 0.2);
		sameid_watch_health(&w, OWN, t + 60, t + 60);
		assert_null(sameid_watch_other(&w, t + 60));
		/* A link that drops now and then, after minutes. */
		t += 300;
		sameid_watch_lost(&w, t);
		t += 1;
	}
	/* After a kill, the old run's last health may come twice (redelivered,
	 * then retained): the same numbers, no sign. */
	sameid_watch_init(&w, OWN);
	sameid_watch_connected(&w, 0);
	sameid_watch_health(&w, OLD, 42.0, 0.1);
	sameid_watch_health(&w, OLD, 42.0, 0.2);
	assert_null(sameid_watch_other(&w, 0.3));
}

/* Two tools: each connect brings the other's newer health. Named at the
 * second sight, and still named until SAMEID_CLEAR_S pass without a sign. */
static void test_watch_live_other_run(void **state)
{
	struct sameid_watch w;

	(void)state;
	sameid_watch_init(&w, OWN);
	sameid_watch_connected(&w, 0);
	sameid_watch_health(&w, OTHER, 100.0, 0.1);
	assert_null(sameid_watch_other(&w, 0.1));	/* one sight: maybe a stale one */
	sameid_watch_lost(&w, 1.0);
	sameid_watch_connected(&w, 3.0);
	sameid_watch_health(&w, OTHER, 102.5, 3.1);
	assert_string_equal(sameid_watch_other(&w, 3.1), OTHER);
	assert_string_equal(sameid_watch_other(&w, 3.1 + SAMEID_CLEAR_S - 1), OTHER);
	assert_null(sameid_watch_other(&w, 3.1 + SAMEID_CLEAR_S));
	/* An older health of that run (a late copy) is no sign. */
	sameid_watch_health(&w, OTHER, 101.0, 500);
	assert_null(sameid_watch_other(&w, 500));
}

/* Connections taken shortly after every connect, each bringing the other
 * run's health, name that run even while its health shows no change. */
static void test_watch_taken_connections(void **state)
{
	struct sameid_watch w;

	(void)state;
	sameid_watch_init(&w, OWN);
	/* Short connections without another run's health: a flaky link. */
	for (int i = 0; i < 4; i++) {
		sameid_watch_connected(&w, i * 4.0);
		sameid_watch_lost(&w, i * 4.0 + 1);
	}
	assert_null(sameid_watch_other(&w, 20));
	/* A restart on a flaky link: the previous run's health at the first
	 * connect, ours at every later one. */
	sameid_watch_init(&w, OWN);
	for (int i = 0; i < 4; i++) {
		sameid_watch_connected(&w, i * 4.0);
		sameid_watch_health(&w, i == 0 ? OLD : OWN, i == 0 ? 900.0 : i * 4.0, i * 4.0 + 0.1);
		sameid_watch_lost(&w, i * 4.0 + 1);
	}
	assert_null(sameid_watch_other(&w, 20));

	sameid_watch_init(&w, OWN);
	sameid_watch_connected(&w, 0);
	sameid_watch_health(&w, OTHER, 7.0, 0.1);
	sameid_watch_lost(&w, 1.5);
	assert_null(sameid_watch_other(&w, 1.5));	/* once is not a pattern */
	sameid_watch_connected(&w, 3);
	sameid_watch_health(&w, OTHER, 7.0, 3.1);
	sameid_watch_lost(&w, 4);
	assert_string_equal(sameid_watch_other(&w, 4), OTHER);

	/* A connection that lasts breaks the pattern. */
	sameid_watch_init(&w, OWN);
	for (int i = 0; i < 3; i++) {
		double at = i * 20.0, len = i == 1 ? SAMEID_SHORT_CONN_S : 1;

		sameid_watch_connected(&w, at);
		sameid_watch_health(&w, OTHER, 7.0, at + 0.1);
		sameid_watch_lost(&w, at + len);
	}
	assert_null(sameid_watch_other(&w, 41));
	/* A failed connect (lost without connected) neither counts nor breaks
	 * the pattern: the next short one makes two in a row. */
	sameid_watch_lost(&w, 42);
	assert_null(sameid_watch_other(&w, 42));
	sameid_watch_connected(&w, 43);
	sameid_watch_health(&w, OTHER, 7.0, 43.1);
	sameid_watch_lost(&w, 44);
	assert_string_equal(sameid_watch_other(&w, 44), OTHER);
}

/* ---- the collector's side ---- */

/* n readings of run at 10 Hz from ts0, arriving from now0 on, each 0.1 s
 * after the last: the flag after the last one. */
static bool feed_run(struct sameid_runs *s, const char *run, double ts0, double now0, int n)
{
	for (int i = 0; i < n; i++)
		sameid_runs_feed(s, run, ts0 + i * 0.1, now0 + i * 0.1);
	return s->flagged;
}

/* Two tools at once: their readings arrive in turns (each connected a
 * moment, then the other), both with new times. Flagged, naming both;
 * clears SAMEID_LIVE_S after one stops while the other goes on. */
static void test_runs_two_live(void **state)
{
	struct sameid_runs s;
	double ts = 1796527000.0, now = 50;

	(void)state;
	sameid_runs_init(&s);
	/* A has been running for an hour; B starts now. 2 s bursts each. */
	feed_run(&s, OWN, ts - 3600, now - 3600, 5);
	for (int k = 0; k < 4; k++) {
		double t = ts + k * 2.0;

		feed_run(&s, OWN, t, now + k * 2.0, 20);
		feed_run(&s, OTHER, t + 1.0, now + k * 2.0 + 1.0, 10);
	}
	assert_true(s.flagged);
	assert_true((strcmp(s.a, OWN) == 0 && strcmp(s.b, OTHER) == 0) ||
		    (strcmp(s.a, OTHER) == 0 && strcmp(s.b, OWN) == 0));
	/* A stops; B goes on alone. */
	now += 8;
	ts += 8;
	assert_true(feed_run(&s, OTHER, ts, now, 10 * (int)SAMEID_LIVE_S - 20));
	now += SAMEID_LIVE_S - 2;
	ts += SAMEID_LIVE_S - 2;
	assert_true(sameid_runs_feed(&s, OTHER, ts + 5, now + 5));	/* A quiet 30 s: changed */
	assert_false(s.flagged);
	assert_false(sameid_runs_tick(&s, now + 6));
	assert_false(s.flagged);
}

/* One tool restarted: the new run resends the old run's unconfirmed
 * readings (old times, in seq order) among its own new ones, for a while.
 * Never flagged: the old run's times all predate the new run's. */
static void test_runs_restart_with_resend(void **state)
{
	struct sameid_runs s;
	double ts = 1796527000.0, now = 100;

	(void)state;
	sameid_runs_init(&s);
	/* The old run, live until it was stopped at ts + 60. */
	assert_false(feed_run(&s, OLD, ts, now, 600));
	/* 5 s later the new run starts; 3000 readings the old run never had
	 * confirmed (ts - 300 .. ts), not seen before, come back interleaved. */
	now += 65;
	for (int i = 0; i < 3000; i++) {
		assert_false(sameid_runs_feed(&s, OLD, ts - 300 + i * 0.1, now + i * 0.01));
		if (i % 10 == 0)
			assert_false(sameid_runs_feed(&s, OWN, ts + 65 + i * 0.01, now + i * 0.01));
		if (i % 100 == 0)
			assert_false(sameid_runs_tick(&s, now + i * 0.01));
	}
	/* And the old run's readings from before the collector started. */
	sameid_runs_init(&s);
	for (int i = 0; i < 600; i++) {
		assert_false(sameid_runs_feed(&s, OLD, ts - 600 + i * 0.1, now + i * 0.01));
		assert_false(sameid_runs_feed(&s, OWN, ts + i * 0.1, now + i * 0.01));
	}
	assert_false(sameid_runs_tick(&s, now + 60));
}

/* Runs come and go (restarts, days apart): only SAMEID_RUNS are followed,
 * the quietest giving its place, and old ones never pair with new ones. */
static void test_runs_many_restarts(void **state)
{
	struct sameid_runs s;
	char run[READING_RUN_LEN + 1];

	(void)state;
	sameid_runs_init(&s);
	for (int r = 0; r < 20; r++) {
		snprintf(run, sizeof(run), "%016x", r + 1);
		assert_false(feed_run(&s, run, 1796527000.0 + r * 100, r * 100.0, 50));
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_watch_restart_is_not_another),
		cmocka_unit_test(test_watch_live_other_run),
		cmocka_unit_test(test_watch_taken_connections),
		cmocka_unit_test(test_runs_two_live),
		cmocka_unit_test(test_runs_restart_with_resend),
		cmocka_unit_test(test_runs_many_restarts),
	};

	tests_select();
	return cmocka_run_group_tests_name("test_sameid", tests, NULL, NULL);
}
