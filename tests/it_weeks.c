/* Integration (issue 14's done-when): three weeks of a person's sessions,
 * scripted below and written as sessions through the collector's store API
 * into a database, give
 *   (a) `report --weekly --by zone` from the real binary: its table and its
 *       JSON, row by row as the script adds up;
 *   (b) the advice on the right day and its clearing: advice_decide day by
 *       day over the script (hand-counted below);
 *   (c) through the real collector and a real mosquitto: the retained
 *       advice (problem true, the zone) and week (the script's totals for
 *       the current ISO week); and for the same script moved 8 days back
 *       (the pattern stopped), problem false;
 *   (d) a device silent since long before its newer neighbours' 300 runs
 *       still has its stale retained advice replaced at the collector's start.
 * The script is laid out backwards from today, so the collector, whose
 * clock is the real one, sees it as the script says. Everything runs in
 * the fixed zone +01:00 (TZ, inherited by the binaries). */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "select.h"

#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cJSON.h>

#include "advice.h"
#include "harness.h"
#include "store.h"
#include "unit.h"

#define TZ_FIXED "<+01>-1"

/* One session: a hold (or none) on a zone, back days before today. */
struct step {
	int back;
	const char *zone;			/* "" none */
	enum detector_hold_class cls;
	double hold_s;				/* 0: no hold */
	double heat_s, hot_s;
};

/* shoulder_left: an effective hold on 3 days in each rolling week, two
 * sessions on today. calf_left: yesterday 3 holds of which 2 long
 * (over-treatment), and heat; 9 days back 3 s hot (not in the last week:
 * no burn risk). A short hold without a zone 3 days back. */
static const struct step script[] = {
	{ 19, "shoulder_left", DETECTOR_HOLD_EFFECTIVE, 30, 0, 0 },
	{ 17, "shoulder_left", DETECTOR_HOLD_EFFECTIVE, 30, 0, 0 },
	{ 15, "shoulder_left", DETECTOR_HOLD_EFFECTIVE, 30, 0, 0 },
	{ 12, "shoulder_left", DETECTOR_HOLD_EFFECTIVE, 30, 0, 0 },
	{ 10, "shoulder_left", DETECTOR_HOLD_EFFECTIVE, 30, 0, 0 },
	{ 9, "calf_left", DETECTOR_HOLD_EFFECTIVE, 40, 0, 3 },
	{ 8, "shoulder_left", DETECTOR_HOLD_EFFECTIVE, 30, 0, 0 },
	{ 4, "shoulder_left", DETECTOR_HOLD_EFFECTIVE, 30, 0, 0 },
	{ 3, "", DETECTOR_HOLD_SHORT, 6, 0, 0 },
	{ 2, "shoulder_left", DETECTOR_HOLD_EFFECTIVE, 30, 0, 0 },
	{ 1, "calf_left", DETECTOR_HOLD_SHORT, 5, 20, 0 },
	{ 1, "calf_left", DETECTOR_HOLD_LONG, 80, 0, 0 },
	{ 1, "calf_left", DETECTOR_HOLD_LONG, 90, 0, 0 },
	{ 0, "shoulder_left", DETECTOR_HOLD_EFFECTIVE, 30, 0, 0 },
	{ 0, "shoulder_left", DETECTOR_HOLD_LONG, 75, 0, 0 },
};
#define N_STEPS (sizeof(script) / sizeof(script[0]))

struct fixture {
	struct harness_env env;	/* first */
	pid_t collector;
};

static int setup(void **state)
{
	*state = harness_fixture_new(sizeof(struct fixture), "it-weeks", NULL);
	return *state ? 0 : -1;
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	if (f->collector > 0)
		harness_stop(f->collector, SIGTERM, 10);
	harness_fixture_free(*state);
	return 0;
}

/* Local midnight of back days before now, plus hour_s. */
static double day_start(time_t now, int back, double hour_s)
{
	struct tm tm;

	localtime_r(&now, &tm);
	tm.tm_mday -= back;
	tm.tm_hour = 0;
	tm.tm_min = 0;
	tm.tm_sec = 0;
	tm.tm_isdst = -1;
	return (double)mktime(&tm) + hour_s;
}

/* Step i's start: 08:00 on its day, an hour later for each earlier step of
 * the same day (sessions in order). */
static double step_start(time_t now, size_t i, int shift)
{
	int same_day = 0;

	for (size_t k = 0; k < i; k++)
		same_day += script[k].back == script[i].back;
	return day_start(now, script[i].back + shift, 8 * 3600.0 + 3600.0 * same_day);
}

/* The script, moved shift days back, into the database at path as
 * device's: one run, a session per step with its zone totals, and one
 * reading per session (a run with readings is a device the collector knows
 * at start). */
static void script_store_device(const char *path, const char *device, time_t now, int shift)
{
	struct detector_summary *s = calloc(1, sizeof(*s));
	struct store_run_progress p = { .revise_from = NAN };
	struct store *st;
	char err[256];
	int64_t run_id;

	assert_non_null(s);
	st = store_open(path, err, sizeof(err));
	if (!st)
		fail_msg("%s", err);
	assert_int_equal(store_begin(st), 0);
	assert_int_equal(store_run_id(st, device, "00000000000000a1", &run_id), 0);
	for (size_t i = 0; i < N_STEPS; i++) {
		const struct step *sp = &script[i];
		double start_ts = step_start(now, i, shift), hold_ts = start_ts + 10;
		struct detector_zone_total *zt = &s->zones[0];
		struct reading r;

		memset(s, 0, sizeof(*s));
		s->start_mono_s = 1000.0 * (double)(i + 1);
		s->end_mono_s = s->start_mono_s + 300;
		s->duration_s = 300;
		s->max_temperature_c = sp->hot_s > 0 ? 46 : NAN;
		s->samples = 3000;
		s->heat_time_s = sp->heat_s;
		s->hot_time_s = sp->hot_s;
		snprintf(zt->zone, sizeof(zt->zone), "%s", sp->zone);
		zt->heat_time_s = sp->heat_s;
		zt->hot_time_s = sp->hot_s;
		s->n_zones = 1;
		if (sp->hold_s > 0) {
			s->hold_count = s->holds_stored = 1;
			s->hold_time_s = sp->hold_s;
			/* Its zone: the session's only zone totals, zones[0]. */
			s->holds[0] = (struct detector_hold){ s->start_mono_s + 10, sp->hold_s, 16, 14,
							      sp->cls, 0 };
			zt->holds = 1;
			zt->class_holds[sp->cls] = 1;
			zt->hold_time_s = sp->hold_s;
		}
		int64_t session_id;

		assert_int_equal(store_session_insert(st, run_id, s, start_ts, start_ts + 300,
						      &hold_ts, &session_id), 1);
		/* Published long ago: the collector has nothing to send again. */
		assert_int_equal(store_session_mark_published(st, session_id), 0);
		memset(&r, 0, sizeof(r));
		snprintf(r.run, sizeof(r.run), "00000000000000a1");
		r.seq = i + 1;
		r.mono = s->start_mono_s;
		r.ts = start_ts;
		r.pressure_kpa = NAN;
		r.temperature_c = NAN;
		assert_int_equal(store_reading_insert(st, run_id, &r), STORE_READING_NEW);
	}
	/* Every reading fed and acknowledged: nothing for the collector to redo. */
	p.fed_seq = p.stored_seq = N_STEPS;
	assert_int_equal(store_run_progress_set(st, run_id, &p), 0);
	assert_int_equal(store_commit(st), 0);
	store_close(st);
	free(s);
}

static void script_store(const char *path, time_t now, int shift)
{
	script_store_device(path, "ball1", now, shift);
}

/* What the script adds up to for one (week, zone): the expected row. */
struct expect_row {
	char week[16];
	char zone[ZONE_NAME_MAX + 1];
	int last_back;
	unsigned days, sessions;
	size_t holds, cls[3];
	double hold_time_s, heat_time_s, hot_time_s;
};

/* Steps of the script (moved shift days) into rows per ISO week and zone
 * (by_zone), or per ISO week (zone ""), in the order of the report. */
static size_t expect_rows(time_t now, int shift, bool by_zone, struct expect_row *rows,
			  size_t max)
{
	size_t n = 0;

	for (size_t i = 0; i < N_STEPS; i++) {
		const struct step *sp = &script[i];
		const char *zone = by_zone ? sp->zone : "";
		time_t t = (time_t)step_start(now, i, shift);
		struct expect_row *r = NULL;
		char week[16];
		struct tm tm;

		localtime_r(&t, &tm);
		strftime(week, sizeof(week), "%G-W%V", &tm);
		for (size_t k = 0; k < n && !r; k++)
			if (strcmp(rows[k].week, week) == 0 && strcmp(rows[k].zone, zone) == 0)
				r = &rows[k];
		if (!r) {
			assert_true(n < max);
			r = &rows[n++];
			memset(r, 0, sizeof(*r));
			snprintf(r->week, sizeof(r->week), "%s", week);
			snprintf(r->zone, sizeof(r->zone), "%s", zone);
			r->last_back = -1;
		}
		if (r->last_back != sp->back)
			r->days++;
		r->last_back = sp->back;
		r->sessions++;
		if (sp->hold_s > 0) {
			r->holds++;
			r->cls[sp->cls]++;
		}
		r->hold_time_s += sp->hold_s;
		r->heat_time_s += sp->heat_s;
		r->hot_time_s += sp->hot_s;
	}
	/* The script runs from old to new: weeks are in order; zones by name. */
	for (size_t a = 1; a < n; a++)
		for (size_t b = a; b > 0 && strcmp(rows[b - 1].week, rows[b].week) == 0 &&
				   strcmp(rows[b - 1].zone, rows[b].zone) > 0; b--) {
			struct expect_row tmp = rows[b];

			rows[b] = rows[b - 1];
			rows[b - 1] = tmp;
		}
	return n;
}

/* Runs `rollsense-collector report ARGS` on env's configuration. */
static char *report_run(struct fixture *f, const char *a1, const char *a2, const char *a3)
{
	char log[300], bin[300];
	char *argv[] = { bin, "--config", f->env.cfg, "report", (char *)a1, (char *)a2, (char *)a3,
			 NULL };
	int status;

	snprintf(bin, sizeof(bin), "%s", harness_bin("rollsense-collector"));
	harness_env_path(&f->env, "report.out", log, sizeof(log));
	remove(log);
	status = harness_run(log, argv, 30);
	harness_assert_exit_ok("report", log, status);
	return harness_read_file(log);
}

static void seconds_text(double s, char *buf, size_t len)
{
	long total = lround(s);

	snprintf(buf, len, "%ldm%02lds", total / 60, total % 60);
}

/* (a) The weekly table per zone and its JSON, as the script adds up. */
static void test_weekly_report(void **state)
{
	struct fixture *f = *state;
	struct expect_row rows[16];
	time_t now = time(NULL);
	size_t n = expect_rows(now, 0, true, rows, 16);
	char *text, *line;
	cJSON *j;
	const cJSON *weeks;

	script_store(f->env.db, now, 0);
	assert_int_equal(harness_write_config(&f->env, "advice.weeks=3\n"), 0);
	text = report_run(f, "--weekly", "--by", "zone");
	assert_non_null(text);
	line = strstr(text, "WEEK       DEVICE           ZONE             DAYS HOLDS SHORT   EFF  LONG "
			    "HOLD TIME   ROLLING HEAT TIME  HOT TIME\n");
	if (!line)
		fail_msg("no weekly table in:\n%s", text);
	for (size_t i = 0; i < n; i++) {
		char week[16], dev[32], zone[40], hold[16], rolling[16], heat[16], hot[16], want[32];
		unsigned days;
		size_t holds, c0, c1, c2;

		line = strchr(line, '\n') + 1;
		if (sscanf(line, "%15s %31s %39s %u %zu %zu %zu %zu %15s %15s %15s %15s", week, dev,
			   zone, &days, &holds, &c0, &c1, &c2, hold, rolling, heat, hot) != 12)
			fail_msg("row %zu is not a weekly row: %s", i, line);
		/* The script's sessions come from a tool without a gyroscope. */
		assert_string_equal(rolling, "0m00s");
		assert_string_equal(week, rows[i].week);
		assert_string_equal(dev, "ball1");
		assert_string_equal(zone, rows[i].zone[0] ? rows[i].zone : "-");
		assert_int_equal(days, rows[i].days);
		assert_int_equal(holds, rows[i].holds);
		assert_int_equal(c0, rows[i].cls[0]);
		assert_int_equal(c1, rows[i].cls[1]);
		assert_int_equal(c2, rows[i].cls[2]);
		seconds_text(rows[i].hold_time_s, want, sizeof(want));
		assert_string_equal(hold, want);
		seconds_text(rows[i].heat_time_s, want, sizeof(want));
		assert_string_equal(heat, want);
		seconds_text(rows[i].hot_time_s, want, sizeof(want));
		assert_string_equal(hot, want);
	}
	/* Then the advice as of now: the shoulder's three weeks, the calf's
	 * long holds. */
	line = strchr(line, '\n') + 1;
	if (strncmp(line, "\nAdvice for ball1 on ", 21) != 0)
		fail_msg("expected the advice after the rows, got:\n%s", line);
	assert_non_null(strstr(line, "See a professional about Left shoulder: treated on 3, 3, 3 "
				     "days of the last 3 weeks"));
	/* The calf's long holds were yesterday, maybe in last ISO week: the
	 * advice says which days it looked at. */
	assert_non_null(strstr(line, "Over-treatment of Left calf: 2 of 3 holds in the last 7 "
				     "days were long."));
	assert_non_null(strstr(line, "not a diagnosis"));
	assert_null(strstr(line, "Burn risk"));
	free(text);

	text = report_run(f, "--json", "--weekly", "--by=zone");
	j = cJSON_Parse(text ? text : "");
	if (!j)
		fail_msg("not JSON:\n%s", text ? text : "(nothing)");
	weeks = cJSON_GetObjectItemCaseSensitive(j, "weeks");
	assert_int_equal(cJSON_GetArraySize(weeks), (int)n);
	for (size_t i = 0; i < n; i++) {
		const cJSON *w = cJSON_GetArrayItem(weeks, (int)i);
		const cJSON *zone = cJSON_GetObjectItemCaseSensitive(w, "zone");

		assert_string_equal(json_str(w, "week"), rows[i].week);
		assert_string_equal(json_str(w, "device"), "ball1");
		if (rows[i].zone[0])
			assert_string_equal(cJSON_GetStringValue(zone), rows[i].zone);
		else
			assert_true(cJSON_IsNull(zone));
		assert_true(json_num(w, "days") == rows[i].days);
		assert_true(json_num(w, "sessions") == rows[i].sessions);
		assert_true(json_num(w, "holds") == (double)rows[i].holds);
		assert_true(json_num(w, "short") == (double)rows[i].cls[0]);
		assert_true(json_num(w, "effective") == (double)rows[i].cls[1]);
		assert_true(json_num(w, "long") == (double)rows[i].cls[2]);
		assert_near(json_num(w, "hold_time_s"), rows[i].hold_time_s, 1e-9);
		assert_near(json_num(w, "heat_time_s"), rows[i].heat_time_s, 1e-9);
		assert_near(json_num(w, "hot_time_s"), rows[i].hot_time_s, 1e-9);
	}
	cJSON_Delete(j);
	free(text);

	/* --weekly alone, as CSV: a line per week with the device's totals. */
	n = expect_rows(now, 0, false, rows, 16);
	text = report_run(f, "--csv", "--weekly", NULL);
	assert_non_null(text);
	line = strstr(text, "week,device,days,sessions,holds,short,effective,long,hold_time_s,"
			    "heat_time_s,hot_time_s,rolling_time_s\n");
	if (!line)
		fail_msg("no weekly CSV in:\n%s", text);
	for (size_t i = 0; i < n; i++) {
		char want[4096];

		line = strchr(line, '\n') + 1;
		snprintf(want, sizeof(want), "%s,ball1,%u,%u,%zu,%zu,%zu,%zu,%.1f,%.1f,%.1f,0.0\n",
			 rows[i].week, rows[i].days, rows[i].sessions, rows[i].holds, rows[i].cls[0],
			 rows[i].cls[1], rows[i].cls[2], rows[i].hold_time_s, rows[i].heat_time_s,
			 rows[i].hot_time_s);
		if (strncmp(line, want, strlen(want)) != 0)
			fail_msg("CSV row %zu: expected %sgot %s", i, want, line);
	}
	assert_string_equal(strchr(line, '\n'), "\n");
	free(text);

	/* An unknown grouping is refused, naming the known one. */
	{
		char log[300], bin[300];
		char *argv[] = { bin, "--config", f->env.cfg, "report", "--by", "week", NULL };
		int status;

		snprintf(bin, sizeof(bin), "%s", harness_bin("rollsense-collector"));
		harness_env_path(&f->env, "bad.out", log, sizeof(log));
		status = harness_run(log, argv, 30);
		assert_true(status != 0);
		text = harness_read_file(log);
		assert_non_null(strstr(text, "report: --by: \"week\" is not known (known: zone)"));
		free(text);
	}
}

/* (b) The pure advice day by day over the script. By hand, with t today
 * and the shoulder treated on t-19, -17, -15, -12, -10, -8, -4, -2, -0:
 * on t-1 the last week (t-7..t-1) has t-4 and t-2 only; on t all three
 * weeks have 3 (t-6..t, t-13..t-7, t-20..t-14); on t+1 too (t-4, -2, 0;
 * t-12, -10, -8; t-19, -17, -15); on t+2 the week before (t-11..t-5) has
 * t-10 and t-8 only: the advice is there on t and t+1, and clears on t+2.
 * The calf's over-treatment (t-1: 3 holds, 2 long) lasts from t-1 to t+5. */
static void test_advice_day_by_day(void **state)
{
	static const struct advice_cfg cfg = { .days_per_week = 3, .weeks = 3, .long_share = 0.5,
					       .min_holds = 3, .burn_risk = true };
	struct advice_day days[N_STEPS];
	const int32_t t = 20794;	/* any day: the script counts back from it */

	(void)state;
	for (size_t i = 0; i < N_STEPS; i++) {
		memset(&days[i], 0, sizeof(days[i]));
		days[i].day = t - script[i].back;
		snprintf(days[i].zone, sizeof(days[i].zone), "%s", script[i].zone);
		days[i].holds = script[i].hold_s > 0;
		days[i].long_holds = script[i].cls == DETECTOR_HOLD_LONG;
		days[i].hold_time_s = script[i].hold_s;
		days[i].hot_time_s = script[i].hot_s;
	}
	for (int32_t d = t - 25; d <= t + 25; d++) {
		struct advice a;
		bool over = false, burn = false;

		advice_decide(&cfg, days, N_STEPS, d, &a);
		for (size_t i = 0; i < a.n; i++) {
			over |= a.items[i].kind == ADVICE_OVER_TREATMENT;
			burn |= a.items[i].kind == ADVICE_BURN_RISK;
		}
		if (advice_problem(&a) != (d == t || d == t + 1))
			fail_msg("day t%+d: see a professional %s", (int)(d - t),
				 advice_problem(&a) ? "said" : "not said");
		if (over != (d >= t - 1 && d <= t + 5))
			fail_msg("day t%+d: over-treatment %s", (int)(d - t), over ? "said" : "not said");
		/* The 3 s hot on t-9: burn risk from t-9 to t-3. */
		if (burn != (d >= t - 9 && d <= t - 3))
			fail_msg("day t%+d: burn risk %s", (int)(d - t), burn ? "said" : "not said");
	}
}

/* The last payload on topic in mosquitto_sub -v output, parsed; NULL if
 * none came. */
static cJSON *retained(const char *out_path, const char *topic)
{
	char *text = harness_read_file(out_path), *at, *end;
	size_t tlen = strlen(topic);
	const char *last = NULL;
	cJSON *j = NULL;

	if (!text)
		return NULL;
	for (at = text; at && *at; at = end ? end + 1 : NULL) {
		end = strchr(at, '\n');
		if (end)
			*end = '\0';
		if (strncmp(at, topic, tlen) == 0 && at[tlen] == ' ')
			last = at + tlen + 1;
	}
	if (last)
		j = cJSON_Parse(last);
	free(text);
	return j;
}

/* Starts the collector on env's database and waits until device's advice
 * and week have come after the n_before of each already retained. */
static void collector_device_topics(struct fixture *f, const char *device, size_t n_before,
				    cJSON **advice, cJSON **week)
{
	char out[300], advice_topic[128], week_topic[128], needle[140];
	pid_t sub;

	snprintf(advice_topic, sizeof(advice_topic), "rollsense/%s/advice", device);
	snprintf(week_topic, sizeof(week_topic), "rollsense/%s/week", device);
	assert_int_equal(harness_write_config(&f->env, "advice.weeks=3\n"), 0);
	harness_env_path(&f->env, "rs.out", out, sizeof(out));
	sub = harness_subscribe(&f->env.broker, "rollsense/#", "it-weeks-sub", out);
	assert_true(sub > 0);
	f->collector = harness_env_start(&f->env, "rollsense-collector", f->env.collector_log);
	assert_true(f->collector > 0);
	snprintf(needle, sizeof(needle), "%s ", advice_topic);
	if (harness_wait_file_count(out, needle, n_before + 1, 20)) {
		snprintf(needle, sizeof(needle), "%s ", week_topic);
		if (harness_wait_file_count(out, needle, n_before + 1, 20))
			needle[0] = '\0';
	}
	/* Stopped before a failure too: a failed test leaves no subscriber. */
	harness_stop(sub, SIGTERM, 5);
	if (needle[0]) {
		char *log = harness_read_file(f->env.collector_log);

		fail_msg("no new %swithin 20 s; collector:\n%s", needle, log ? log : "");
	}
	*advice = retained(out, advice_topic);
	*week = retained(out, week_topic);
	assert_non_null(*advice);
	assert_non_null(*week);
}

static void collector_topics(struct fixture *f, cJSON **advice, cJSON **week)
{
	collector_device_topics(f, "ball1", 0, advice, week);
}

/* (c) The retained advice and week from the real collector. */
static void test_retained_advice_and_week(void **state)
{
	struct fixture *f = *state;
	struct expect_row zones[16], total[4];
	time_t now = time(NULL);
	size_t n_zones = expect_rows(now, 0, true, zones, 16);
	size_t n_total = expect_rows(now, 0, false, total, 4);
	const struct expect_row *week_total = &total[n_total - 1];
	const cJSON *z;
	cJSON *advice, *week;
	char date[16];
	struct tm tm;

	script_store(f->env.db, now, 0);
	collector_topics(f, &advice, &week);
	localtime_r(&now, &tm);
	strftime(date, sizeof(date), "%Y-%m-%d", &tm);

	assert_string_equal(json_str(advice, "date"), date);
	assert_true(cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(advice, "problem")));
	z = cJSON_GetObjectItemCaseSensitive(advice, "zones");
	assert_int_equal(cJSON_GetArraySize(z), 1);
	assert_string_equal(cJSON_GetStringValue(cJSON_GetArrayItem(z, 0)), "shoulder_left");
	z = cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(advice, "see_professional"), 0);
	assert_string_equal(json_str(z, "label"), "Left shoulder");
	z = cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(advice, "over_treatment"), 0);
	assert_string_equal(json_str(z, "zone"), "calf_left");
	assert_true(json_num(z, "holds") == 3 && json_num(z, "long") == 2);
	assert_true(cJSON_IsNull(cJSON_GetObjectItemCaseSensitive(advice, "burn_risk")));
	assert_non_null(strstr(json_str(advice, "text"), "physiotherapist"));

	/* The week: this ISO week's rows of the script; every configured zone
	 * there, zeros for those untreated. */
	assert_string_equal(json_str(week, "week"), week_total->week);
	/* Monday to Sunday around today. */
	tm.tm_mday -= (tm.tm_wday + 6) % 7;
	tm.tm_hour = 12;
	tm.tm_isdst = -1;
	mktime(&tm);
	strftime(date, sizeof(date), "%Y-%m-%d", &tm);
	assert_string_equal(json_str(week, "from"), date);
	tm.tm_mday += 6;
	tm.tm_isdst = -1;
	mktime(&tm);
	strftime(date, sizeof(date), "%Y-%m-%d", &tm);
	assert_string_equal(json_str(week, "to"), date);
	assert_int_equal(cJSON_GetArraySize(json_obj(week, "zones")), 15);
	assert_true(json_num(week, "zones.neck.days") == 0);
	assert_true(json_num(week, "zones.neck.holds") == 0);
	for (const char *const *name = (const char *const[]){ "shoulder_left", "calf_left", NULL };
	     *name; name++) {
		struct expect_row none = { .days = 0 };
		const struct expect_row *r = &none;

		for (size_t i = 0; i < n_zones; i++)
			if (strcmp(zones[i].week, week_total->week) == 0 &&
			    strcmp(zones[i].zone, *name) == 0)
				r = &zones[i];
		z = json_obj(json_obj(week, "zones"), *name);
		print_message("week %s %s: %u days, %zu holds\n", week_total->week, *name, r->days,
			      r->holds);
		assert_true(json_num(z, "days") == r->days);
		assert_true(json_num(z, "holds") == (double)r->holds);
		assert_true(json_num(z, "short") == (double)r->cls[0]);
		assert_true(json_num(z, "effective") == (double)r->cls[1]);
		assert_true(json_num(z, "long") == (double)r->cls[2]);
		assert_near(json_num(z, "hold_time_s"), r->hold_time_s, 0.051);
		assert_near(json_num(z, "heat_time_s"), r->heat_time_s, 0.051);
	}
	/* Today's two shoulder sessions are in this week whatever the weekday. */
	assert_true(json_num(week, "zones.shoulder_left.days") >= 1);
	assert_true(json_num(week, "total.days") == week_total->days);
	assert_true(json_num(week, "total.holds") == (double)week_total->holds);
	assert_near(json_num(week, "total.hold_time_s"), week_total->hold_time_s, 0.051);
	cJSON_Delete(advice);
	cJSON_Delete(week);
}

/* (c) The same script stopped 8 days ago: no advice, a week of zeros. */
static void test_retained_pattern_stopped(void **state)
{
	struct fixture *f = *state;
	cJSON *advice, *week;

	script_store(f->env.db, time(NULL), 8);
	collector_topics(f, &advice, &week);
	assert_true(cJSON_IsFalse(cJSON_GetObjectItemCaseSensitive(advice, "problem")));
	assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(advice, "zones")), 0);
	assert_int_equal(cJSON_GetArraySize(
				 cJSON_GetObjectItemCaseSensitive(advice, "see_professional")), 0);
	assert_int_equal(cJSON_GetArraySize(
				 cJSON_GetObjectItemCaseSensitive(advice, "over_treatment")), 0);
	assert_string_equal(json_str(advice, "text"), "");
	/* 8 days back is never in the current ISO week. */
	assert_true(json_num(week, "zones.shoulder_left.days") == 0);
	assert_true(json_num(week, "total.holds") == 0);
	cJSON_Delete(advice);
	cJSON_Delete(week);
}

/* A device the collector must follow from its start whatever came after
 * it: drawer1, a ball whose pattern stopped 8 days ago (back in the
 * drawer), while ball1 has started 300 runs since (a run per power-on).
 * The collector before left drawer1's advice retained with the problem
 * on; the restarted collector must replace it (and the week) with today's
 * decision, or Home Assistant keeps the stale problem forever. */
static void test_idle_device_followed_at_start(void **state)
{
	struct fixture *f = *state;
	struct store_run_progress p = { .fed_seq = 1, .stored_seq = 1, .revise_from = NAN };
	time_t now = time(NULL);
	cJSON *advice, *week;
	struct store *st;
	char err[256];

	script_store_device(f->env.db, "drawer1", now, 8);
	st = store_open(f->env.db, err, sizeof(err));
	if (!st)
		fail_msg("%s", err);
	assert_int_equal(store_begin(st), 0);
	for (unsigned i = 0; i < 300; i++) {
		struct reading r = { .seq = 1, .mono = 1, .pressure_kpa = NAN,
				     .temperature_c = NAN };
		int64_t run_id;

		snprintf(r.run, sizeof(r.run), "%016x", 0xb000 + i);
		r.ts = (double)now - 3600 + i;
		assert_int_equal(store_run_id(st, "ball1", r.run, &run_id), 0);
		assert_int_equal(store_reading_insert(st, run_id, &r), STORE_READING_NEW);
		assert_int_equal(store_run_progress_set(st, run_id, &p), 0);
	}
	assert_int_equal(store_commit(st), 0);
	store_close(st);
	assert_int_equal(harness_publish(&f->env.broker, "rollsense/drawer1/advice",
					 "{\"problem\":true,\"zones\":[\"shoulder_left\"]}", true), 0);
	assert_int_equal(harness_publish(&f->env.broker, "rollsense/drawer1/week",
					 "{\"total\":{\"holds\":9}}", true), 0);

	collector_device_topics(f, "drawer1", 1, &advice, &week);
	assert_true(cJSON_IsFalse(cJSON_GetObjectItemCaseSensitive(advice, "problem")));
	assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(advice, "zones")), 0);
	assert_true(json_num(week, "total.holds") == 0);
	cJSON_Delete(advice);
	cJSON_Delete(week);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		IT_TEST(test_weekly_report),
		cmocka_unit_test(test_advice_day_by_day),
		IT_TEST(test_retained_advice_and_week),
		IT_TEST(test_retained_pattern_stopped),
		IT_TEST(test_idle_device_followed_at_start),
	};

	setenv("TZ", TZ_FIXED, 1);
	tzset();
	tests_select();
	return cmocka_run_group_tests(tests, NULL, NULL);
}
