/* Tests for collector/report.c: the CSV's local times with their UTC offset,
 * the daily totals per device (table and JSON), and the answer for a device
 * the database does not know. The sessions are stored with store.c in a
 * fresh folder; the time zones are POSIX TZ strings, so no tzdata is read.
 * The epochs are from `date -u -d 2026-11-24T03:56:10Z +%s` and so on. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "select.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cJSON.h>

#include "report.h"
#include "store.h"
#include "unit.h"

#define T_0356Z 1795492570.0	/* 2026-11-24T03:56:10Z */
#define T_1000Z 1795514400.0	/* 2026-11-24T10:00:00Z */
#define T_2330Z 1795563000.0	/* 2026-11-24T23:30:00Z */
#define T_DST_0055Z 1792889700.0	/* 2026-10-25T00:55:00Z, 5 min before CEST ends */

/* A 600 s session with one effective 20 s hold, 35 s of rolling, 6000
 * samples, no heat and no temperature. */
static void session_store(struct store *st, const char *device, const char *run, double start_ts)
{
	struct detector_summary s;
	double hold_ts = start_ts + 30;
	int64_t run_id;

	memset(&s, 0, sizeof(s));
	s.start_mono_s = start_ts - T_0356Z;	/* distinct per run */
	s.end_mono_s = s.start_mono_s + 600;
	s.duration_s = 600;
	s.hold_count = s.holds_stored = 1;
	s.hold_time_s = 20;
	s.rolling_time_s = 35;
	s.holds[0] = (struct detector_hold){ s.start_mono_s + 30, 20, 15, 12,
					     DETECTOR_HOLD_EFFECTIVE, 0 };
	s.max_temperature_c = NAN;
	s.samples = 6000;
	assert_int_equal(store_run_id(st, device, run, &run_id), 0);
	assert_int_equal(store_session_insert(st, run_id, &s, start_ts, start_ts + 600, &hold_ts,
					      NULL), 1);
}

/* ball1 at 03:56 and 23:30 UTC, roller1 at 10:00 UTC, all on 2026-11-24. */
static int setup(void **state)
{
	struct unit_dir *fx;
	struct store *st;
	char err[256];

	if (unit_dir_setup(state, "test_report", "collector.db") < 0)
		return -1;
	fx = *state;
	st = store_open(fx->path, err, sizeof(err));
	if (!st)
		return -1;
	if (store_begin(st) < 0)
		return -1;
	session_store(st, "ball1", "0000000a", T_0356Z);
	session_store(st, "roller1", "0000000b", T_1000Z);
	session_store(st, "ball1", "0000000a", T_2330Z);
	if (store_commit(st) < 0)
		return -1;
	store_close(st);
	return 0;
}

/* Runs the report of q in time zone tz into a malloc'd string. */
static char *report_of(const struct unit_dir *fx, const char *tz, const struct report_query *q)
{
	char err[256], *text = NULL;
	size_t len = 0;
	struct store *st;
	FILE *out;

	setenv("TZ", tz, 1);
	tzset();
	st = store_open(fx->path, err, sizeof(err));
	if (!st)
		fail_msg("%s", err);
	out = open_memstream(&text, &len);
	assert_non_null(out);
	assert_int_equal(report_write(st, q, out), 0);
	fclose(out);
	store_close(st);
	return text;
}

static char *report(const struct unit_dir *fx, const char *tz, enum report_format format,
		    const char *device)
{
	struct report_query q = { .device = device, .since_ts = 0, .until_ts = INFINITY,
				  .format = format };

	return report_of(fx, tz, &q);
}

/* ISO 8601 with the offset: local time as before, then +01:00 or -03:30. */
static void test_csv_times_carry_the_offset(void **state)
{
	char *text = report(*state, "<+01>-1", REPORT_CSV, NULL);

	assert_string_equal(text,
		"device,run,start,end,duration_s,hold_count,short,effective,long,hold_time_s,"
		"heat_time_s,max_temperature_c,hot_time_s,readings,missing_readings,rolling_time_s\n"
		"ball1,0000000a,2026-11-24T04:56:10+01:00,2026-11-24T05:06:10+01:00,600.0,1,0,1,0,"
		"20.0,0.0,,0.0,6000,0,35.0\n"
		"roller1,0000000b,2026-11-24T11:00:00+01:00,2026-11-24T11:10:00+01:00,600.0,1,0,1,0,"
		"20.0,0.0,,0.0,6000,0,35.0\n"
		"ball1,0000000a,2026-11-25T00:30:00+01:00,2026-11-25T00:40:00+01:00,600.0,1,0,1,0,"
		"20.0,0.0,,0.0,6000,0,35.0\n");
	free(text);
	text = report(*state, "<-0330>3:30", REPORT_CSV, "roller1");
	assert_non_null(strstr(text, "\nroller1,0000000b,2026-11-24T06:30:00-03:30,"
				     "2026-11-24T06:40:00-03:30,"));
	free(text);
	/* A half-and-quarter-hour zone: Nepal's +05:45. */
	text = report(*state, "<+0545>-5:45", REPORT_CSV, "ball1");
	assert_non_null(strstr(text, "\nball1,0000000a,2026-11-24T09:41:10+05:45,"
				     "2026-11-24T09:51:10+05:45,"));
	free(text);
}

/* Each time has its own offset: a session across the end of summer time
 * (Central Europe, 2026-10-25 at 01:00 UTC) starts at +02:00 and ends at
 * +01:00, earlier on the clock than it started (`TZ=... date -d @EPOCH -Iseconds`). */
static void test_csv_offset_per_time(void **state)
{
	struct unit_dir *fx = *state;
	char err[256], *text;
	struct store *st = store_open(fx->path, err, sizeof(err));

	assert_non_null(st);
	assert_int_equal(store_begin(st), 0);
	session_store(st, "ball2", "0000000c", T_DST_0055Z);
	assert_int_equal(store_commit(st), 0);
	store_close(st);
	text = report(fx, "CET-1CEST,M3.5.0,M10.5.0/3", REPORT_CSV, "ball2");
	assert_non_null(strstr(text, "\nball2,0000000c,2026-10-25T02:55:00+02:00,"
				     "2026-10-25T02:05:00+01:00,600.0,"));
	free(text);
}

/* The daily rows of the table: date, device and the device's own totals;
 * rolling is 35 s a session. */
static void expect_day(const char *line, const char *date, const char *device, unsigned sessions,
		       const char *duration, size_t holds, size_t effective, const char *hold_time)
{
	char d[16], dev[32], dur[16], hold[16], rolling[16], heat[16];
	unsigned n;
	size_t h, e;

	if (!line || sscanf(line, "%15s %31s %u %15s %zu %zu %15s %15s %15s", d, dev, &n, dur, &h,
			    &e, hold, rolling, heat) != 9)
		fail_msg("not a daily row: %s", line ? line : "(none)");
	assert_string_equal(rolling, n == 2 ? "1m10s" : "0m35s");
	assert_string_equal(d, date);
	assert_string_equal(dev, device);
	assert_int_equal(n, sessions);
	assert_string_equal(dur, duration);
	assert_int_equal(h, holds);
	assert_int_equal(e, effective);
	assert_string_equal(hold, hold_time);
	assert_string_equal(heat, "0m00s");
}

static void test_days_per_device_table(void **state)
{
	static const char header[] = "\nDAY        DEVICE           SESSIONS  DURATION HOLDS "
				     "EFFECTIVE HOLD TIME   ROLLING HEAT TIME\n";
	char *text = report(*state, "<+01>-1", REPORT_TABLE, NULL);
	char *days = strstr(text, "\nDAY ");
	char *line;

	/* At +01:00 ball1's second session is past midnight: three rows. */
	assert_non_null(days);
	if (strncmp(days, header, strlen(header)) != 0)
		fail_msg("expected the header\n%s, got\n%s", header, days);
	line = strchr(days + 1, '\n') + 1;
	expect_day(line, "2026-11-24", "ball1", 1, "10m00s", 1, 1, "0m20s");
	line = strchr(line, '\n') + 1;
	expect_day(line, "2026-11-24", "roller1", 1, "10m00s", 1, 1, "0m20s");
	line = strchr(line, '\n') + 1;
	expect_day(line, "2026-11-25", "ball1", 1, "10m00s", 1, 1, "0m20s");
	assert_string_equal(strchr(line, '\n'), "\n");
	free(text);

	/* At -03:30 all three are on the 24th: ball1's two add up, roller1's
	 * stays apart. */
	text = report(*state, "<-0330>3:30", REPORT_TABLE, NULL);
	line = strchr(strstr(text, "\nDAY ") + 1, '\n') + 1;
	expect_day(line, "2026-11-24", "ball1", 2, "20m00s", 2, 2, "0m40s");
	line = strchr(line, '\n') + 1;
	expect_day(line, "2026-11-24", "roller1", 1, "10m00s", 1, 1, "0m20s");
	assert_string_equal(strchr(line, '\n'), "\n");
	free(text);
}

/* One of --json's daily rows: the same figures as the table's, written out. */
static void expect_json_day(const cJSON *d, const char *date, const char *device, int sessions,
			    double duration_s, int holds, int effective, double hold_time_s)
{
	assert_string_equal(cJSON_GetObjectItem(d, "date")->valuestring, date);
	assert_string_equal(cJSON_GetObjectItem(d, "device")->valuestring, device);
	assert_int_equal(cJSON_GetObjectItem(d, "sessions")->valueint, sessions);
	assert_true(cJSON_GetObjectItem(d, "duration_s")->valuedouble == duration_s);
	assert_int_equal(cJSON_GetObjectItem(d, "hold_count")->valueint, holds);
	assert_int_equal(cJSON_GetObjectItem(d, "effective_holds")->valueint, effective);
	assert_true(cJSON_GetObjectItem(d, "hold_time_s")->valuedouble == hold_time_s);
	assert_true(cJSON_GetObjectItem(d, "rolling_time_s")->valuedouble == 35.0 * sessions);
	assert_true(cJSON_GetObjectItem(d, "heat_time_s")->valuedouble == 0.0);
}

static void test_days_per_device_json(void **state)
{
	char *text = report(*state, "<-0330>3:30", REPORT_JSON, NULL);
	cJSON *j = cJSON_Parse(text), *days;

	if (!j)
		fail_msg("not JSON: %s", text);
	assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItem(j, "sessions")), 3);
	days = cJSON_GetObjectItem(j, "days");
	assert_int_equal(cJSON_GetArraySize(days), 2);
	expect_json_day(cJSON_GetArrayItem(days, 0), "2026-11-24", "ball1", 2, 1200.0, 2, 2, 40.0);
	expect_json_day(cJSON_GetArrayItem(days, 1), "2026-11-24", "roller1", 1, 600.0, 1, 1, 20.0);
	cJSON_Delete(j);
	free(text);
}

static void test_unknown_device(void **state)
{
	struct unit_dir *fx = *state;
	char err[256], empty[160];
	struct store *st = store_open(fx->path, err, sizeof(err));

	assert_non_null(st);
	assert_int_equal(report_device_check(st, "roller1", "c.db", err, sizeof(err)), 0);
	assert_int_equal(report_device_check(st, "nosuch", "c.db", err, sizeof(err)), 1);
	assert_string_equal(err, "no device \"nosuch\" in c.db; known: ball1, roller1");
	/* Names are compared whole and case and all. */
	assert_int_equal(report_device_check(st, "Ball1", "c.db", err, sizeof(err)), 1);
	assert_int_equal(report_device_check(st, "ball", "c.db", err, sizeof(err)), 1);
	store_close(st);

	snprintf(empty, sizeof(empty), "%s/empty.db", fx->dir);
	st = store_open(empty, err, sizeof(err));
	assert_non_null(st);
	assert_int_equal(report_device_check(st, "ball1", "empty.db", err, sizeof(err)), 1);
	assert_string_equal(err, "no device \"ball1\" in empty.db; it holds no device yet");
	store_close(st);
}

/* Many devices: the list names whole ones only and counts the rest. With
 * 26-character names, ", " between them and room kept for the count, 17 fit
 * in the 512-byte list (17 x 26 + 16 x 2 = 474). */
static void test_unknown_device_many_known(void **state)
{
	struct unit_dir *fx = *state;
	char err[1024], many[160], name[32], want[1024];
	struct store *st;
	int64_t run_id;
	size_t pos;

	snprintf(many, sizeof(many), "%s/many.db", fx->dir);
	st = store_open(many, err, sizeof(err));
	assert_non_null(st);
	assert_int_equal(store_begin(st), 0);
	for (int i = 0; i < 40; i++) {
		snprintf(name, sizeof(name), "device-with-a-long-name-%02d", i);
		assert_int_equal(store_run_id(st, name, "0000000a", &run_id), 0);
	}
	assert_int_equal(store_commit(st), 0);
	pos = (size_t)snprintf(want, sizeof(want), "no device \"x\" in many.db; known: ");
	for (int i = 0; i < 17; i++)
		pos += (size_t)snprintf(want + pos, sizeof(want) - pos,
					"%sdevice-with-a-long-name-%02d", i ? ", " : "", i);
	snprintf(want + pos, sizeof(want) - pos, " and 23 more");
	assert_int_equal(report_device_check(st, "x", "many.db", err, sizeof(err)), 1);
	assert_string_equal(err, want);
	store_close(st);
}

/* The zone totals of report_totals, from sessions built here (no store):
 * ball1 in the fixed zone +01:00 across the ISO weeks 2026-W48 and W49.
 *   S1 Tue 24th 04:56: calf_left an effective 20 s and a long 60 s hold,
 *      10 s of heat; a 5 s short hold without a zone.
 *   S2 Tue 24th 06:56: calf_left an effective 20 s hold; neck an effective
 *      30 s hold and 4 s hot.
 *   S3 Thu 26th 11:00: calf_left a long 70 s hold.
 *   S4 Sun 29th 23:30 UTC, Mon 30th 00:30 local (W49): neck an effective 25 s.
 *   S5 Tue 1st 11:00: calf_left 12 s of heat and no hold; a neck entry with
 *      nothing counted (no day for neck). */
struct zone_hold {
	const char *zone;
	enum detector_hold_class cls;
	double duration_s;
};

static void zone_session(struct store_session *s, double start_ts, const struct zone_hold *holds,
			 size_t n_holds)
{
	memset(s, 0, sizeof(*s));
	snprintf(s->device, sizeof(s->device), "ball1");
	s->start_ts = start_ts;
	s->duration_s = 300;
	s->end_ts = start_ts + 300;
	s->max_temperature_c = NAN;
	for (size_t i = 0; i < n_holds; i++) {
		struct detector_zone_total *zt = NULL;

		for (size_t z = 0; z < s->n_zones && !zt; z++)
			if (strcmp(s->zones[z].zone, holds[i].zone) == 0)
				zt = &s->zones[z];
		if (!zt) {
			zt = &s->zones[s->n_zones++];
			snprintf(zt->zone, sizeof(zt->zone), "%s", holds[i].zone);
		}
		zt->holds++;
		zt->class_holds[holds[i].cls]++;
		zt->hold_time_s += holds[i].duration_s;
		s->holds[i].duration_s = holds[i].duration_s;
		snprintf(s->holds[i].hold_class, sizeof(s->holds[i].hold_class), "%s",
			 detector_class_name(holds[i].cls));
		snprintf(s->holds[i].zone, sizeof(s->holds[i].zone), "%s", holds[i].zone);
		s->hold_count++;
		s->holds_stored++;
		s->hold_time_s += holds[i].duration_s;
	}
}

static void zone_sessions_add(struct report_totals *t)
{
	static const struct zone_hold h1[] = { { "calf_left", DETECTOR_HOLD_EFFECTIVE, 20 },
					       { "", DETECTOR_HOLD_SHORT, 5 },
					       { "calf_left", DETECTOR_HOLD_LONG, 60 } };
	static const struct zone_hold h2[] = { { "calf_left", DETECTOR_HOLD_EFFECTIVE, 20 },
					       { "neck", DETECTOR_HOLD_EFFECTIVE, 30 } };
	static const struct zone_hold h3[] = { { "calf_left", DETECTOR_HOLD_LONG, 70 } };
	static const struct zone_hold h4[] = { { "neck", DETECTOR_HOLD_EFFECTIVE, 25 } };
	struct store_session *s = calloc(1, sizeof(*s));

	assert_non_null(s);
	setenv("TZ", "<+01>-1", 1);
	tzset();
	zone_session(s, 1795492570.0, h1, 3);
	s->zones[0].heat_time_s = 10;
	s->heat_time_s = 10;
	report_totals_add(t, s);
	zone_session(s, 1795499770.0, h2, 2);
	s->zones[1].hot_time_s = 4;
	s->hot_time_s = 4;
	report_totals_add(t, s);
	zone_session(s, 1795687200.0, h3, 1);
	report_totals_add(t, s);
	zone_session(s, 1795995000.0, h4, 1);
	report_totals_add(t, s);
	zone_session(s, 1796119200.0, NULL, 0);
	s->n_zones = 2;
	snprintf(s->zones[0].zone, sizeof(s->zones[0].zone), "neck");
	snprintf(s->zones[1].zone, sizeof(s->zones[1].zone), "calf_left");
	s->zones[1].heat_time_s = 12;
	s->heat_time_s = 12;
	report_totals_add(t, s);
	free(s);
	assert_false(t->no_memory);
	report_totals_sort(t);
}

static void expect_total(const struct report_total *r, const char *period, const char *zone,
			 unsigned days, unsigned sessions, size_t holds, size_t effective,
			 size_t long_holds, double hold_time_s, double heat_time_s, double hot_time_s)
{
	assert_string_equal(r->period, period);
	assert_string_equal(r->device, "ball1");
	assert_string_equal(r->zone, zone);
	assert_int_equal(r->days, days);
	assert_int_equal(r->sessions, sessions);
	assert_int_equal(r->holds, holds);
	assert_int_equal(r->class_holds[DETECTOR_HOLD_EFFECTIVE], effective);
	assert_int_equal(r->class_holds[DETECTOR_HOLD_LONG], long_holds);
	assert_near(r->hold_time_s, hold_time_s, 1e-9);
	assert_near(r->heat_time_s, heat_time_s, 1e-9);
	assert_near(r->hot_time_s, hot_time_s, 1e-9);
}

static void test_totals_by_zone_daily(void **state)
{
	struct report_totals t = { .period = REPORT_DAY, .by_zone = true };

	(void)state;
	zone_sessions_add(&t);
	assert_int_equal(t.n, 6);
	expect_total(&t.rows[0], "2026-11-24", "", 1, 1, 1, 0, 0, 5, 0, 0);
	assert_int_equal(t.rows[0].class_holds[DETECTOR_HOLD_SHORT], 1);
	expect_total(&t.rows[1], "2026-11-24", "calf_left", 1, 2, 3, 2, 1, 100, 10, 0);
	assert_near(t.rows[1].class_time_s[DETECTOR_HOLD_EFFECTIVE], 40, 1e-9);
	assert_near(t.rows[1].class_time_s[DETECTOR_HOLD_LONG], 60, 1e-9);
	expect_total(&t.rows[2], "2026-11-24", "neck", 1, 1, 1, 1, 0, 30, 0, 4);
	expect_total(&t.rows[3], "2026-11-26", "calf_left", 1, 1, 1, 0, 1, 70, 0, 0);
	expect_total(&t.rows[4], "2026-11-30", "neck", 1, 1, 1, 1, 0, 25, 0, 0);
	expect_total(&t.rows[5], "2026-12-01", "calf_left", 1, 1, 0, 0, 0, 0, 12, 0);
	report_totals_free(&t);
}

static void test_totals_by_zone_weekly(void **state)
{
	struct report_totals t = { .period = REPORT_WEEK, .by_zone = true };

	(void)state;
	zone_sessions_add(&t);
	assert_int_equal(t.n, 5);
	expect_total(&t.rows[0], "2026-W48", "", 1, 1, 1, 0, 0, 5, 0, 0);
	/* Days 24th and 26th: two days out of three sessions. */
	expect_total(&t.rows[1], "2026-W48", "calf_left", 2, 3, 4, 2, 2, 170, 10, 0);
	assert_near(t.rows[1].class_time_s[DETECTOR_HOLD_LONG], 130, 1e-9);
	expect_total(&t.rows[2], "2026-W48", "neck", 1, 1, 1, 1, 0, 30, 0, 4);
	/* Heat alone counts a day on calf_left; neck's empty entry does not. */
	expect_total(&t.rows[3], "2026-W49", "calf_left", 1, 1, 0, 0, 0, 0, 12, 0);
	expect_total(&t.rows[4], "2026-W49", "neck", 1, 1, 1, 1, 0, 25, 0, 0);
	report_totals_free(&t);
}

/* Without by_zone: a row per week and device, days with a session. */
static void test_totals_weekly_days(void **state)
{
	struct report_totals t = { .period = REPORT_WEEK };

	(void)state;
	zone_sessions_add(&t);
	assert_int_equal(t.n, 2);
	expect_total(&t.rows[0], "2026-W48", "", 2, 3, 6, 3, 2, 205, 10, 4);
	assert_int_equal(t.rows[0].class_holds[DETECTOR_HOLD_SHORT], 1);
	expect_total(&t.rows[1], "2026-W49", "", 2, 2, 1, 1, 0, 25, 12, 0);
	report_totals_free(&t);
}

/* ISO weeks across both summer-time changes in Europe/Berlin (instants
 * from `TZ=Europe/Berlin date -d "2026-03-30 00:30" +%s`): the Sunday
 * 23:30 session belongs to its week, the Monday 00:30 one (still Sunday in
 * UTC) to the next; the same across the 25-hour 25 October. */
static void test_totals_weekly_dst(void **state)
{
	static const struct zone_hold h[] = { { "calf_left", DETECTOR_HOLD_EFFECTIVE, 20 } };
	static const double starts[] = { 1774695600.0,	/* Sat 28 March 12:00 CET, W13 */
					 1774819800.0,	/* Sun 29 March 23:30 CEST, W13 */
					 1774823400.0,	/* Mon 30 March 00:30 CEST, W14 */
					 1792967400.0,	/* Sun 25 October 23:30 CET, W43 */
					 1792969800.0 };	/* Mon 26 October 00:10 CET, W44 */
	struct report_totals t = { .period = REPORT_WEEK, .by_zone = true };
	struct store_session *s = calloc(1, sizeof(*s));

	(void)state;
	assert_non_null(s);
	setenv("TZ", "Europe/Berlin", 1);
	tzset();
	for (size_t i = 0; i < sizeof(starts) / sizeof(starts[0]); i++) {
		zone_session(s, starts[i], h, 1);
		report_totals_add(&t, s);
	}
	free(s);
	report_totals_sort(&t);
	assert_int_equal(t.n, 4);
	expect_total(&t.rows[0], "2026-W13", "calf_left", 2, 2, 2, 2, 0, 40, 0, 0);
	expect_total(&t.rows[1], "2026-W14", "calf_left", 1, 1, 1, 1, 0, 20, 0, 0);
	expect_total(&t.rows[2], "2026-W43", "calf_left", 1, 1, 1, 1, 0, 20, 0, 0);
	expect_total(&t.rows[3], "2026-W44", "calf_left", 1, 1, 1, 1, 0, 20, 0, 0);
	report_totals_free(&t);
}

/* Sessions stored before zones (the fixture's have no zone totals, as
 * store migration 4 leaves every older session) are holds without a zone:
 * --by zone shows them on the "-" row (CSV: an empty zone), they do not
 * vanish. At +01:00 ball1's two sessions are on the 24th and the 25th,
 * both in W48. */
static void test_by_zone_sessions_before_zones(void **state)
{
	struct report_query q = { .since_ts = 0, .until_ts = INFINITY, .format = REPORT_CSV,
				  .by_zone = true, .weekly = true };
	char *text = report_of(*state, "<+01>-1", &q);

	assert_string_equal(text,
		"week,device,zone,days,sessions,holds,short,effective,long,hold_time_s,"
		"heat_time_s,hot_time_s,rolling_time_s\n"
		"2026-W48,ball1,,2,2,2,0,2,0,40.0,0.0,0.0,70.0\n"
		"2026-W48,roller1,,1,1,1,0,1,0,20.0,0.0,0.0,35.0\n");
	free(text);
}

/* A zone name longer than the column's 16 characters (names go up to 32):
 * the column widens, and every row of the table is as long as its heading,
 * its figures under their titles. */
static void test_by_zone_table_long_zone(void **state)
{
	struct unit_dir *fx = *state;
	struct report_query q = { .since_ts = 0, .until_ts = INFINITY, .format = REPORT_TABLE,
				  .by_zone = true, .weekly = true };
	struct detector_summary *s = calloc(1, sizeof(*s));
	double hold_ts = T_1000Z + 30;
	struct store *st;
	char err[256], *text, *line, *end;
	size_t width;
	int64_t run_id;

	assert_non_null(s);
	st = store_open(fx->path, err, sizeof(err));
	if (!st)
		fail_msg("%s", err);
	s->start_mono_s = 5000;
	s->end_mono_s = 5600;
	s->duration_s = 600;
	s->max_temperature_c = NAN;
	s->hold_count = s->holds_stored = 1;
	s->hold_time_s = 20;
	s->holds[0] = (struct detector_hold){ 5030, 20, 15, 12, DETECTOR_HOLD_EFFECTIVE, 0 };
	s->n_zones = 1;
	snprintf(s->zones[0].zone, sizeof(s->zones[0].zone), "shoulder_blade_left");
	s->zones[0].holds = 1;
	s->zones[0].class_holds[DETECTOR_HOLD_EFFECTIVE] = 1;
	s->zones[0].hold_time_s = 20;
	assert_int_equal(store_run_id(st, "ball1", "0000000c", &run_id), 0);
	assert_int_equal(store_session_insert(st, run_id, s, T_1000Z, T_1000Z + 600, &hold_ts,
					      NULL), 1);
	store_close(st);
	free(s);

	text = report_of(fx, "<+01>-1", &q);
	assert_non_null(strstr(text, "shoulder_blade_left"));
	width = strcspn(text, "\n");
	for (line = text; *line; line = end + 1) {
		end = strchr(line, '\n');
		assert_non_null(end);
		if ((size_t)(end - line) != width)
			fail_msg("a row of %zu characters under a heading of %zu:\n%s",
				 (size_t)(end - line), width, text);
	}
	free(text);
}

/* Each test on a fresh database holding the three sessions. */
#define WITH_SESSIONS(fn) cmocka_unit_test_setup_teardown(fn, setup, unit_fixture_teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		WITH_SESSIONS(test_csv_times_carry_the_offset),
		WITH_SESSIONS(test_csv_offset_per_time),
		WITH_SESSIONS(test_days_per_device_table),
		WITH_SESSIONS(test_days_per_device_json),
		WITH_SESSIONS(test_unknown_device),
		WITH_SESSIONS(test_unknown_device_many_known),
		WITH_SESSIONS(test_by_zone_sessions_before_zones),
		WITH_SESSIONS(test_by_zone_table_long_zone),
		cmocka_unit_test(test_totals_by_zone_daily),
		cmocka_unit_test(test_totals_by_zone_weekly),
		cmocka_unit_test(test_totals_weekly_days),
		cmocka_unit_test(test_totals_weekly_dst),
	};

	tests_select();
	return cmocka_run_group_tests(tests, NULL, NULL);
}
