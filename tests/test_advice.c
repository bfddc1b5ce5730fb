/* Tests for collector/advice.c: the rules over weeks of synthetic days (the
 * day numbers are days since 1970-01-01: `date -u -d 2026-12-07 +%s` / 86400
 * = 20794), the local day across the changes of summer time in Berlin, and
 * the exact retained payload. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "select.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cJSON.h>

#include "advice.h"
#include "unit.h"

#define MON_2026_12_07 20794

static const struct advice_cfg defaults = { .days_per_week = 3, .weeks = 3, .long_share = 0.5,
					    .min_holds = 3, .burn_risk = true };

struct script {
	struct advice_day days[256];
	size_t n;
};

static void treat(struct script *s, int32_t day, const char *zone, size_t holds,
		  size_t long_holds, double hot_time_s)
{
	struct advice_day *d;

	assert_true(s->n < sizeof(s->days) / sizeof(s->days[0]));
	d = &s->days[s->n++];
	memset(d, 0, sizeof(*d));
	d->day = day;
	snprintf(d->zone, sizeof(d->zone), "%s", zone);
	d->holds = holds;
	d->long_holds = long_holds;
	d->hold_time_s = 30.0 * (double)holds;
	d->hot_time_s = hot_time_s;
}

/* One effective hold on zone on each of the days today - back[i]. */
static void treat_back(struct script *s, int32_t today, const char *zone, const int *back,
		       size_t n)
{
	for (size_t i = 0; i < n; i++)
		treat(s, today - back[i], zone, 1, 0, 0);
}

static const struct advice_item *item_find(const struct advice *a, enum advice_kind k,
					   const char *zone)
{
	for (size_t i = 0; i < a->n; i++)
		if (a->items[i].kind == k && strcmp(a->items[i].zone, zone) == 0)
			return &a->items[i];
	return NULL;
}

static bool see_professional(const struct advice_cfg *cfg, const struct script *s, int32_t today,
			     const char *zone)
{
	struct advice a;
	bool seen;

	advice_decide(cfg, s->days, s->n, today, &a);
	seen = item_find(&a, ADVICE_SEE_PROFESSIONAL, zone) != NULL;
	assert_true(seen == advice_problem(&a));
	return seen;
}

/* Three days in each of three weeks: see a professional, with the days
 * per week oldest first; two days in one of the weeks: nothing. */
static void test_three_days_three_weeks(void **state)
{
	static const int back[] = { 0, 2, 4, 7, 9, 11, 12, 14, 16, 18 };
	struct script *s = calloc(1, sizeof(*s));
	const struct advice_item *it;
	struct advice a;

	(void)state;
	assert_non_null(s);
	/* Week 0 (back 0..6): 3 days; week 1 (7..13): 4; week 2 (14..20): 3. */
	treat_back(s, MON_2026_12_07, "shoulder_left", back, 10);
	/* Two holds on one day are one day. */
	treat(s, MON_2026_12_07, "shoulder_left", 2, 0, 0);
	advice_decide(&defaults, s->days, s->n, MON_2026_12_07, &a);
	assert_string_equal(a.date, "2026-12-07");
	assert_int_equal(a.n, 1);
	it = &a.items[0];
	assert_int_equal(it->kind, ADVICE_SEE_PROFESSIONAL);
	assert_string_equal(it->zone, "shoulder_left");
	assert_int_equal(it->n_weeks, 3);
	assert_int_equal(it->days_per_week[0], 3);
	assert_int_equal(it->days_per_week[1], 4);
	assert_int_equal(it->days_per_week[2], 3);
	assert_true(advice_problem(&a));

	/* The oldest week down to 2 days (back 18 gone): nothing. */
	s->n = 0;
	treat_back(s, MON_2026_12_07, "shoulder_left", back, 9);
	assert_false(see_professional(&defaults, s, MON_2026_12_07, "shoulder_left"));
	/* Another zone's days do not help this one. */
	treat(s, MON_2026_12_07 - 18, "neck", 1, 0, 0);
	assert_false(see_professional(&defaults, s, MON_2026_12_07, "shoulder_left"));
	/* Nor do holds without a zone. */
	treat(s, MON_2026_12_07 - 19, "", 1, 0, 0);
	assert_false(see_professional(&defaults, s, MON_2026_12_07, "shoulder_left"));
	free(s);
}

/* The week's edges: the 7 days ending today are back 0..6; back 7 is in
 * the week before; the third week ends at back 20. */
static void test_week_edges(void **state)
{
	static const int third_at_6[] = { 0, 3, 6, 8, 10, 13, 14, 17, 20 };
	static const int third_at_7[] = { 0, 3, 7, 8, 10, 13, 14, 17, 20 };
	static const int oldest_at_21[] = { 0, 3, 6, 8, 10, 13, 14, 17, 21 };
	struct script *s = calloc(1, sizeof(*s));

	(void)state;
	assert_non_null(s);
	treat_back(s, MON_2026_12_07, "neck", third_at_6, 9);
	assert_true(see_professional(&defaults, s, MON_2026_12_07, "neck"));
	s->n = 0;
	treat_back(s, MON_2026_12_07, "neck", third_at_7, 9);
	assert_false(see_professional(&defaults, s, MON_2026_12_07, "neck"));
	s->n = 0;
	treat_back(s, MON_2026_12_07, "neck", oldest_at_21, 9);
	assert_false(see_professional(&defaults, s, MON_2026_12_07, "neck"));
	/* Days after today (a clock that was ahead) count for nothing. */
	treat(s, MON_2026_12_07 + 1, "neck", 1, 0, 0);
	assert_false(see_professional(&defaults, s, MON_2026_12_07, "neck"));
	free(s);
}

/* advice.weeks and advice.days_per_week: two good weeks are enough when
 * weeks is 2, not when it is 3; 2 days a week are enough at days_per_week 2. */
static void test_weeks_window(void **state)
{
	static const int two_weeks[] = { 1, 3, 5, 8, 10, 12, 15, 17 };
	struct advice_cfg cfg = defaults;
	struct script *s = calloc(1, sizeof(*s));
	struct advice a;

	(void)state;
	assert_non_null(s);
	treat_back(s, MON_2026_12_07, "calf_left", two_weeks, 8);
	assert_false(see_professional(&cfg, s, MON_2026_12_07, "calf_left"));
	cfg.weeks = 2;
	advice_decide(&cfg, s->days, s->n, MON_2026_12_07, &a);
	assert_int_equal(a.n, 1);
	assert_int_equal(a.items[0].n_weeks, 2);
	assert_int_equal(a.items[0].days_per_week[0], 3);
	assert_int_equal(a.items[0].days_per_week[1], 3);
	cfg.weeks = 1;
	assert_true(see_professional(&cfg, s, MON_2026_12_07, "calf_left"));
	cfg.weeks = 3;
	cfg.days_per_week = 2;
	assert_true(see_professional(&cfg, s, MON_2026_12_07, "calf_left"));
	cfg.days_per_week = 4;
	cfg.weeks = 1;
	assert_false(see_professional(&cfg, s, MON_2026_12_07, "calf_left"));
	free(s);
}

/* Day by day over a script: Monday, Wednesday and Friday for three weeks
 * from day s0, then nothing. By hand: on s0+17 the oldest week (s0-3..s0+3)
 * has 2 days; s0+18 is the first day with 3 in each; on s0+21 the last
 * week (s0+15..s0+21) has 2: the advice is there on s0+18, 19, 20 only. */
static void test_appears_and_clears(void **state)
{
	static const int plan[] = { 0, 2, 4, 7, 9, 11, 14, 16, 18 };
	const int32_t s0 = MON_2026_12_07 - 30;
	struct script *s = calloc(1, sizeof(*s));

	(void)state;
	assert_non_null(s);
	for (size_t i = 0; i < 9; i++)
		treat(s, s0 + plan[i], "back_lower", 1, 0, 0);
	for (int32_t d = s0; d <= s0 + 30; d++) {
		bool want = d >= s0 + 18 && d <= s0 + 20;

		if (see_professional(&defaults, s, d, "back_lower") != want)
			fail_msg("day s0+%d: expected %s", (int)(d - s0), want ? "advice" : "none");
	}
	free(s);
}

/* The local day across Berlin's changes of summer time: the last Sunday of
 * March is 23 h long, that of October 25 h; a second before and at local
 * midnight (UTC instants from `TZ=Europe/Berlin date -d @EPOCH`). */
static void test_local_day_dst(void **state)
{
	(void)state;
	setenv("TZ", "Europe/Berlin", 1);
	tzset();
	/* 2026-03-29 00:00 CET = 2026-03-28T23:00Z. */
	assert_int_equal(advice_local_day(1774738800.0 - 1), 20540);
	assert_int_equal(advice_local_day(1774738800.0), 20541);
	/* 2026-03-30 00:00 CEST = 2026-03-29T22:00Z, 23 h later. */
	assert_int_equal(advice_local_day(1774821600.0 - 1), 20541);
	assert_int_equal(advice_local_day(1774821600.0), 20542);
	/* 2026-10-25 00:00 CEST = 2026-10-24T22:00Z. */
	assert_int_equal(advice_local_day(1792879200.0 - 1), 20750);
	assert_int_equal(advice_local_day(1792879200.0), 20751);
	/* 2026-10-26 00:00 CET = 2026-10-25T23:00Z, 25 h later. */
	assert_int_equal(advice_local_day(1792969200.0 - 1), 20751);
	assert_int_equal(advice_local_day(1792969200.0), 20752);
	/* In UTC the same instant is still the 25th. */
	setenv("TZ", "UTC0", 1);
	tzset();
	assert_int_equal(advice_local_day(1792969200.0), 20751);
	setenv("TZ", "Europe/Berlin", 1);
	tzset();
	{
		struct advice a;

		/* A week across the change is still 7 local days. */
		advice_decide(&defaults, NULL, 0, 20751, &a);
		assert_string_equal(a.date, "2026-10-25");
		advice_decide(&defaults, NULL, 0, 20541, &a);
		assert_string_equal(a.date, "2026-03-29");
		advice_decide(&defaults, NULL, 0, 0, &a);
		assert_string_equal(a.date, "1970-01-01");
		advice_decide(&defaults, NULL, 0, 11016, &a);	/* a leap day */
		assert_string_equal(a.date, "2000-02-29");
	}
}

/* Over-treatment: at least min_holds holds in the last week, more than
 * long_share of them long. */
static void test_over_treatment_share(void **state)
{
	struct script *s = calloc(1, sizeof(*s));
	struct advice_cfg cfg = defaults;
	const struct advice_item *it;
	struct advice a;

	(void)state;
	assert_non_null(s);
	/* 4 holds, 2 long: exactly half is not more than half. */
	treat(s, MON_2026_12_07, "calf_left", 4, 2, 0);
	advice_decide(&cfg, s->days, s->n, MON_2026_12_07, &a);
	assert_int_equal(a.n, 0);
	/* A third long one 6 days back: 5 holds, 3 long. */
	treat(s, MON_2026_12_07 - 6, "calf_left", 1, 1, 0);
	advice_decide(&cfg, s->days, s->n, MON_2026_12_07, &a);
	it = item_find(&a, ADVICE_OVER_TREATMENT, "calf_left");
	assert_non_null(it);
	assert_int_equal(it->holds, 5);
	assert_int_equal(it->long_holds, 3);
	assert_false(advice_problem(&a));
	/* 7 days back is the week before: not counted. */
	s->days[1].day = MON_2026_12_07 - 7;
	advice_decide(&cfg, s->days, s->n, MON_2026_12_07, &a);
	assert_int_equal(a.n, 0);
	/* 2 holds, both long: fewer than min_holds 3. */
	s->n = 0;
	treat(s, MON_2026_12_07, "neck", 2, 2, 0);
	advice_decide(&cfg, s->days, s->n, MON_2026_12_07, &a);
	assert_int_equal(a.n, 0);
	cfg.min_holds = 2;
	advice_decide(&cfg, s->days, s->n, MON_2026_12_07, &a);
	assert_non_null(item_find(&a, ADVICE_OVER_TREATMENT, "neck"));
	/* long_share 1: never more than all of them. */
	cfg.long_share = 1.0;
	advice_decide(&cfg, s->days, s->n, MON_2026_12_07, &a);
	assert_int_equal(a.n, 0);
	/* long_share 0: one long hold out of min_holds is enough. */
	cfg.long_share = 0;
	cfg.min_holds = 3;
	s->n = 0;
	treat(s, MON_2026_12_07, "neck", 3, 1, 0);
	advice_decide(&cfg, s->days, s->n, MON_2026_12_07, &a);
	assert_non_null(item_find(&a, ADVICE_OVER_TREATMENT, "neck"));
	free(s);
}

/* Burn risk: any hot time in the last week, without a zone too; off with
 * advice.burn_risk false. */
static void test_burn_risk(void **state)
{
	struct script *s = calloc(1, sizeof(*s));
	struct advice_cfg cfg = defaults;
	const struct advice_item *it;
	struct advice a;

	(void)state;
	assert_non_null(s);
	treat(s, MON_2026_12_07 - 7, "neck", 1, 0, 30);
	advice_decide(&cfg, s->days, s->n, MON_2026_12_07, &a);
	assert_int_equal(a.n, 0);
	treat(s, MON_2026_12_07 - 6, "", 0, 0, 2.5);
	treat(s, MON_2026_12_07, "neck", 1, 0, 4);
	advice_decide(&cfg, s->days, s->n, MON_2026_12_07, &a);
	it = item_find(&a, ADVICE_BURN_RISK, "");
	assert_non_null(it);
	assert_near(it->hot_time_s, 6.5, 1e-9);
	assert_false(advice_problem(&a));
	cfg.burn_risk = false;
	advice_decide(&cfg, s->days, s->n, MON_2026_12_07, &a);
	assert_int_equal(a.n, 0);
	free(s);
}

static void zones_two(struct zones_cfg *z)
{
	memset(z, 0, sizeof(*z));
	z->n = 2;
	snprintf(z->zone[0].name, sizeof(z->zone[0].name), "shoulder_left");
	snprintf(z->zone[0].label, sizeof(z->zone[0].label), "Left shoulder");
	snprintf(z->zone[1].name, sizeof(z->zone[1].name), "calf_left");
	snprintf(z->zone[1].label, sizeof(z->zone[1].label), "Left calf");
}

/* The texts say what the brief asks a person to hear. */
static void test_texts(void **state)
{
	const char *see = advice_text(ADVICE_SEE_PROFESSIONAL);

	(void)state;
	assert_non_null(strstr(see, "more than a few weeks despite self-care"));
	assert_non_null(strstr(see, "numbness, weakness or pain that radiates"));
	assert_non_null(strstr(see, "sleep or work"));
	assert_non_null(strstr(see, "swollen or warm"));
	assert_non_null(strstr(see, "doctor or physiotherapist"));
	assert_non_null(strstr(see, "not a diagnosis"));
	assert_non_null(strstr(advice_text(ADVICE_OVER_TREATMENT), "10 to 60 seconds"));
	assert_non_null(strstr(advice_text(ADVICE_OVER_TREATMENT), "rest days"));
	assert_non_null(strstr(advice_text(ADVICE_BURN_RISK), "burn the skin"));
	/* The rules look at the last 7 days, not the ISO week the weekly
	 * totals beside the advice show, and the burn threshold is
	 * detector.hot_c: no text may say "this week" or a fixed figure. */
	for (int k = 0; k < ADVICE_KINDS; k++) {
		assert_null(strstr(advice_text((enum advice_kind)k), "this week"));
		assert_null(strstr(advice_text((enum advice_kind)k), "°C"));
	}
}

/* The retained payload, byte for byte (docs/protocol.md, "advice"). */
static void test_encode_exact(void **state)
{
	static const int back[] = { 0, 1, 2, 7, 8, 9, 14, 15, 16, 17 };
	struct script *s = calloc(1, sizeof(*s));
	struct zones_cfg zones;
	struct advice a;
	struct textbuf b;
	char want[4096];

	(void)state;
	assert_non_null(s);
	zones_two(&zones);
	treat_back(s, MON_2026_12_07, "shoulder_left", back, 10);
	treat(s, MON_2026_12_07 - 3, "calf_left", 6, 4, 0);
	treat(s, MON_2026_12_07 - 1, "", 1, 0, 42);
	advice_decide(&defaults, s->days, s->n, MON_2026_12_07, &a);
	textbuf_init(&b, 0);
	assert_int_equal(advice_encode(&a, &zones, "ball1", &b), 0);
	snprintf(want, sizeof(want),
		 "{\"date\":\"2026-12-07\",\"problem\":true,\"zones\":[\"shoulder_left\"],"
		 "\"see_professional\":[{\"zone\":\"shoulder_left\",\"label\":\"Left shoulder\","
		 "\"days_per_week\":[4,3,3]}],"
		 "\"over_treatment\":[{\"zone\":\"calf_left\",\"label\":\"Left calf\",\"holds\":6,"
		 "\"long\":4}],"
		 "\"burn_risk\":{\"hot_time_s\":42.0},"
		 "\"text\":\"Left shoulder: %s\\u000a\\u000aLeft calf: %s\\u000a\\u000a%s\"}",
		 advice_text(ADVICE_SEE_PROFESSIONAL), advice_text(ADVICE_OVER_TREATMENT),
		 advice_text(ADVICE_BURN_RISK));
	assert_string_equal(textbuf_text(&b), want);

	/* Nothing to say: empty lists, null, an empty text. */
	textbuf_free(&b);
	advice_decide(&defaults, NULL, 0, MON_2026_12_07 + 1, &a);
	assert_int_equal(advice_encode(&a, &zones, "ball1", &b), 0);
	assert_string_equal(textbuf_text(&b),
			    "{\"date\":\"2026-12-08\",\"problem\":false,\"zones\":[],"
			    "\"see_professional\":[],\"over_treatment\":[],\"burn_risk\":null,"
			    "\"text\":\"\"}");
	textbuf_free(&b);
	free(s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_three_days_three_weeks),
		cmocka_unit_test(test_week_edges),
		cmocka_unit_test(test_weeks_window),
		cmocka_unit_test(test_appears_and_clears),
		cmocka_unit_test(test_local_day_dst),
		cmocka_unit_test(test_over_treatment_share),
		cmocka_unit_test(test_burn_risk),
		cmocka_unit_test(test_texts),
		cmocka_unit_test(test_encode_exact),
	};

	tests_select();
	return cmocka_run_group_tests(tests, NULL, NULL);
}
