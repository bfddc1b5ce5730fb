/* Tests for collector/pages.c and collector/api.c: a scripted session stored
 * through the real store (1201 readings at 10 Hz, an effective hold of
 * 24.8 s and a long one of 61.0 s, one reading with a fault text holding
 * "<"), seen as the session page, the JSON API and the report file; the
 * history's day and ISO-week totals across the end of summer time; the
 * size of a 1-hour session's page. Time zones are POSIX TZ strings (no
 * tzdata read); epochs from `date -u -d 2026-11-24T03:56:10Z +%s` and so on. */
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

#include "config.h"
#include "pages.h"
#include "store.h"
#include "unit.h"

#define T_0356Z 1795492570.0		/* 2026-11-24T03:56:10Z: the scripted session */
#define T_1020_1000Z 1792490400.0	/* 2026-10-20T10:00Z: Tue 12:00 CEST, W43 */
#define T_1024_2230Z 1792881000.0	/* Sun 2026-10-25 00:30 CEST, W43 */
#define T_1025_2230Z 1792967400.0	/* Sun 2026-10-25 23:30 CET, W43 */
#define T_1025_2330Z 1792971000.0	/* Mon 2026-10-26 00:30 CET, W44 */
#define BERLIN "CET-1CEST,M3.5.0,M10.5.0/3"

/* A fresh config's: the detector's defaults (10 kPa, 38 and 45 °C, long
 * above 60 s), the default zones with their labels, the advice's defaults
 * (3 days in each of 3 weeks; over half of at least 3 holds long). Set by
 * main. */
static struct rs_config cfg;

/* How often what occurs in text. */
static size_t count(const char *text, const char *what)
{
	const char *p = text;
	size_t n = 0;

	while ((p = strstr(p, what)) != NULL) {
		p += strlen(what);
		n++;
	}
	return n;
}

static void tz_set(const char *tz)
{
	setenv("TZ", tz, 1);
	tzset();
}

static struct store *open_db(const struct unit_dir *fx)
{
	char err[256];
	struct store *st = store_open(fx->path, err, sizeof(err));

	if (!st)
		fail_msg("%s", err);
	return st;
}

/* n readings of run_id from seq first, 10 Hz from mono0 (ts = t0 + mono -
 * mono0), pressure kpa(i) and temperature temp_c. The 601st has a fault. */
static void readings_store(struct store *st, int64_t run_id, const char *run, uint64_t first,
			   size_t n, double mono0, double t0, double (*kpa)(size_t i),
			   double temp_c)
{
	for (size_t i = 0; i < n; i++) {
		struct reading r;

		memset(&r, 0, sizeof(r));
		snprintf(r.run, sizeof(r.run), "%s", run);
		r.seq = first + i;
		r.mono = mono0 + (double)i * 0.1;
		r.ts = t0 + (double)i * 0.1;
		r.pressure_kpa = kpa(i);
		r.temperature_c = temp_c;
		if (i == 600) {
			r.n_faults = 1;
			snprintf(r.faults[0].sensor, sizeof(r.faults[0].sensor),
				 "mcp9808@/dev/i2c-1:0x18");
			snprintf(r.faults[0].what, sizeof(r.faults[0].what), "stuck <3>");
		}
		assert_int_equal(store_reading_insert(st, run_id, &r), STORE_READING_NEW);
	}
}

/* The scripted session: 3 kPa, 15 kPa in [10 s, 34.8 s), 18 kPa in
 * [50 s, 111 s). */
static double scripted_kpa(size_t i)
{
	if (i >= 100 && i < 348)
		return 15;
	if (i >= 500 && i < 1110)
		return 18;
	return 3;
}

static double no_kpa(size_t i)
{
	(void)i;
	return 0.5;
}

/* Its run also has 10 s of readings before and after it, which are not
 * the session's. */
static void scripted_session(struct store *st)
{
	struct detector_summary s;
	double hold_ts[2] = { T_0356Z + 10, T_0356Z + 50 };
	int64_t run_id, id;

	assert_int_equal(store_run_id(st, "ball1", "00000000000000a1", &run_id), 0);
	readings_store(st, run_id, "00000000000000a1", 1, 100, 90, T_0356Z - 10, no_kpa, 20);
	readings_store(st, run_id, "00000000000000a1", 101, 1201, 100, T_0356Z, scripted_kpa, 40);
	readings_store(st, run_id, "00000000000000a1", 1302, 100, 220.1, T_0356Z + 120.1, no_kpa,
		       20);
	memset(&s, 0, sizeof(s));
	s.start_mono_s = 100;
	s.end_mono_s = 220;
	s.duration_s = 120;
	s.hold_count = s.holds_stored = 2;
	/* Zones by their index in zones[] below. */
	s.holds[0] = (struct detector_hold){ 110, 24.8, 15, 15, DETECTOR_HOLD_EFFECTIVE, 0 };
	s.holds[1] = (struct detector_hold){ 150, 61.0, 18, 18, DETECTOR_HOLD_LONG, 1 };
	s.hold_time_s = 85.8;
	s.rolling_time_s = 35;	/* on the left calf */
	s.heat_time_s = 120;
	/* The first 40 s on the left calf (its hold and 40 s of heat), the
	 * rest without a zone. */
	s.n_zones = 2;
	s.zones[0] = (struct detector_zone_total){ "calf_left", 1, { 0, 1, 0 }, 24.8, 40, 0, 35 };
	s.zones[1] = (struct detector_zone_total){ "", 1, { 0, 0, 1 }, 61.0, 80, 0, 0 };
	s.max_temperature_c = 40;
	s.samples = 1201;
	assert_int_equal(store_session_insert(st, run_id, &s, T_0356Z, T_0356Z + 120, hold_ts,
					      &id), 1);
	assert_int_equal(id, 1);
}

static int setup(void **state)
{
	struct store *st;

	if (unit_dir_setup(state, "test_pages", "collector.db") < 0)
		return -1;
	st = open_db(*state);
	if (store_begin(st) < 0)
		return -1;
	scripted_session(st);
	if (store_commit(st) < 0)
		return -1;
	store_close(st);
	return 0;
}

static const struct route all = { .kind = ROUTE_SESSIONS, .since_ts = 0, .until_ts = INFINITY };

/* Runs a page or API call on a freshly opened store into a malloc'd text;
 * *status gets what it returned. */
#define CALL(fx, status, call)                                   \
	({                                                       \
		struct store *st_ = open_db(fx);                 \
		struct textbuf out;                              \
		char *text_;                                     \
		textbuf_init(&out, 0);                           \
		*(status) = (call);                              \
		text_ = textbuf_take(&out, NULL);                \
		assert_non_null(text_);                          \
		store_close(st_);                                \
		text_;                                           \
	})

/* The picture's hold rects, in order, are the scripted session's two:
 * effective 24.8 s and long 61.0 s, each with its label; no other. */
static void expect_stored_holds(const char *page)
{
	static const char *const want[][2] = { { "effective", "24.8" }, { "long", "61.0" } };
	const char *p = page;

	for (size_t i = 0; i < 2; i++) {
		char cls[16], dur[16], label[32];

		p = strstr(p, "<rect class=\"hold ");
		if (!p)
			fail_msg("hold rect %zu missing", i + 1);
		if (sscanf(p, "<rect class=\"hold hold-%15[a-z]\" data-class=\"%*[a-z]\" "
			   "data-duration=\"%15[0-9.]\"", cls, dur) != 2)
			fail_msg("hold rect %zu: %.120s", i + 1, p);
		assert_string_equal(cls, want[i][0]);
		assert_string_equal(dur, want[i][1]);
		snprintf(label, sizeof(label), ">%s s</text>", want[i][1]);
		assert_non_null(strstr(p, label));
		p++;
	}
	assert_null(strstr(p, "<rect class=\"hold "));
}

static void test_session_page(void **state)
{
	int status;
	char *page;

	tz_set("<+01>-1");
	page = CALL(*state, &status, pages_session(st_, &cfg, 1, &out));
	assert_int_equal(status, 200);
	assert_non_null(strstr(page, "<meta name=\"viewport\""));
	assert_non_null(strstr(page, "@media (prefers-color-scheme: dark)"));
	assert_non_null(strstr(page, "<h1>Session 1: ball1, 2026-11-24 04:56</h1>"));
	expect_stored_holds(page);
	/* The holds table: start from the session's start and on the clock,
	 * the zone by its label. */
	assert_non_null(strstr(page, "<tr><td>1</td><td>0:10 <span class=\"muted\">(04:56:20)"
				     "</span></td><td>24.8 s</td><td>effective</td><td>Left calf</td>"
				     "<td>15.0 kPa</td><td>15.0 kPa</td></tr>"));
	assert_non_null(strstr(page, "<tr><td>2</td><td>0:50 <span class=\"muted\">(04:57:00)"
				     "</span></td><td>61.0 s</td><td>long</td>"
				     "<td><span class=\"muted\">no zone</span></td>"));
	/* The totals per zone: holds, short, effective, long, hold and heat
	 * time, in the order the session first counted on each. */
	/* Rolling beside the hold time. */
	assert_non_null(strstr(page, "<dt>Hold time</dt><dd>1m26s</dd><dt>Rolling</dt>"
				     "<dd>0m35s</dd><dt>Heat time</dt>"));
	assert_non_null(strstr(page, "<h2>Per zone</h2>\n"));
	assert_non_null(strstr(page, "<tr data-zone=\"calf_left\"><td>Left calf</td><td>1</td>"
				     "<td>0</td><td>1</td><td>0</td><td>0m25s</td><td>0m35s</td><td>0m40s</td></tr>\n"
				     "<tr data-zone=\"\"><td><span class=\"muted\">no zone</span></td>"
				     "<td>1</td><td>0</td><td>0</td><td>1</td><td>1m01s</td><td>0m00s</td><td>1m20s</td>"
				     "</tr>\n</tbody>"));
	/* The fault text is shown escaped, never as markup. */
	assert_non_null(strstr(page, "mcp9808@/dev/i2c-1:0x18: stuck &lt;3&gt; "
				     "<span class=\"muted\">(1 reading)</span>"));
	assert_null(strstr(page, "stuck <3>"));
	free(page);
}

static void test_unknown_session(void **state)
{
	int status;
	char *text;

	text = CALL(*state, &status, pages_session(st_, &cfg, 42, &out));
	assert_int_equal(status, 404);
	assert_non_null(strstr(text, "<p>no session 42</p>"));
	assert_null(strstr(text, "<svg"));
	free(text);
	text = CALL(*state, &status, api_session(st_, 42, false, &out));
	assert_int_equal(status, 404);
	assert_string_equal(text, "{\"error\":\"no session 42\"}\n");
	free(text);
}

/* A page that does not fit the server's limit is a short 500 page saying
 * so, never a page cut off. */
static void test_page_too_large(void **state)
{
	struct store *st = open_db(*state);
	struct textbuf out;

	textbuf_init(&out, 4096);
	assert_int_equal(pages_session(st, &cfg, 1, &out), 500);
	assert_false(textbuf_failed(&out));
	assert_non_null(strstr(textbuf_text(&out), "<p>The page would be larger than 4096 bytes, "
						   "the most this server sends at once: ask for a "
						   "shorter period.</p>"));
	textbuf_reset(&out);
	assert_int_equal(api_session(st, 1, true, &out), 500);
	assert_string_equal(textbuf_text(&out), "{\"error\":\"the answer would be larger than 4096 "
				"bytes, the most this server sends at once: ask for a shorter "
				"period, or without raw=1\"}\n");
	textbuf_free(&out);
	store_close(st);
}

static void test_sessions_page(void **state)
{
	struct route q = all;
	int status;
	char *page;

	tz_set("<+01>-1");
	page = CALL(*state, &status, pages_sessions(st_, &q, &out));
	assert_int_equal(status, 200);
	assert_non_null(strstr(page, "<nav><a href=\"/\">Live</a><a href=\"/sessions\">Sessions</a>"
				     "<a href=\"/history\">History</a></nav>"));
	assert_non_null(strstr(page, "<option value=\"ball1\">ball1</option>"));
	assert_non_null(strstr(page, "<tr data-session=\"1\"><td><a href=\"/sessions/1\">"
				     "2026-11-24 04:56</a></td><td>ball1</td><td>2m00s</td>"
				     "<td>2</td><td>0</td><td>1</td><td>1</td><td>1m26s</td>"
				     "<td>0m35s</td><td>2m00s</td><td>40.0 °C</td></tr>"));
	free(page);

	/* A range after the session: none; an unknown device: 404. */
	q.since_ts = T_0356Z + 1;
	page = CALL(*state, &status, pages_sessions(st_, &q, &out));
	assert_int_equal(status, 200);
	assert_non_null(strstr(page, "No sessions stored in that period."));
	assert_non_null(strstr(page, "name=\"since\" value=\"2026-11-24\""));
	free(page);
	q = all;
	snprintf(q.device, sizeof(q.device), "ball9");
	page = CALL(*state, &status, pages_sessions(st_, &q, &out));
	assert_int_equal(status, 404);
	assert_non_null(strstr(page, "no device &quot;ball9&quot; in the database; known: ball1"));
	free(page);
}

static void test_api_session_raw_and_downsampled(void **state)
{
	int status;
	char *text;
	cJSON *doc;
	const cJSON *rows, *row;

	text = CALL(*state, &status, api_session(st_, 1, true, &out));
	assert_int_equal(status, 200);
	doc = cJSON_Parse(text);
	if (!doc)
		fail_msg("not JSON: %.300s", text);
	assert_near(json_num(doc, "session.id"), 1, 0);
	expect_json_strs(doc, "session.device", "ball1", "session.run", "00000000000000a1", NULL);
	assert_near(json_num(doc, "session.start"), T_0356Z, 1e-3);
	assert_near(json_num(doc, "session.hold_count"), 2, 0);
	assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItem(doc, "holds")), 2);
	assert_string_equal(json_str(cJSON_GetArrayItem(cJSON_GetObjectItem(doc, "holds"), 1),
				     "class"), "long");
	assert_near(json_num(cJSON_GetArrayItem(cJSON_GetObjectItem(doc, "holds"), 1),
			     "duration_s"), 61.0, 1e-9);
	assert_true(cJSON_IsFalse(cJSON_GetObjectItem(json_obj(doc, "readings"), "downsampled")));
	rows = cJSON_GetObjectItem(json_obj(doc, "readings"), "rows");
	/* Every reading of the session, none of the run's others: seq
	 * 101..1301, first and last by hand. */
	assert_int_equal(cJSON_GetArraySize(rows), 1201);
	row = cJSON_GetArrayItem(rows, 0);
	assert_near(cJSON_GetArrayItem(row, 0)->valuedouble, T_0356Z, 1e-3);
	assert_near(cJSON_GetArrayItem(row, 1)->valuedouble, 3, 0);
	assert_near(cJSON_GetArrayItem(row, 2)->valuedouble, 40, 0);
	row = cJSON_GetArrayItem(rows, 1200);
	assert_near(cJSON_GetArrayItem(row, 0)->valuedouble, T_0356Z + 120, 1e-3);
	row = cJSON_GetArrayItem(rows, 500);
	assert_near(cJSON_GetArrayItem(row, 1)->valuedouble, 18, 0);
	cJSON_Delete(doc);
	free(text);

	/* Downsampled: the lowest and highest row per column (720 over 120 s,
	 * 6 s each holding 1 or 2 readings), fewer rows, the 18 kPa kept. */
	text = CALL(*state, &status, api_session(st_, 1, false, &out));
	assert_int_equal(status, 200);
	assert_non_null(strstr(text, "\"downsampled\":true"));
	assert_non_null(strstr(text, ",18.00,40.00]"));
	doc = cJSON_Parse(text);
	assert_non_null(doc);
	rows = cJSON_GetObjectItem(json_obj(doc, "readings"), "rows");
	assert_true(cJSON_GetArraySize(rows) <= 2 * 720);
	assert_true(cJSON_GetArraySize(rows) < 1201);
	cJSON_Delete(doc);
	free(text);
}

static void test_api_devices_and_sessions(void **state)
{
	struct route q = all;
	int status;
	char *text;

	text = CALL(*state, &status, api_devices(st_, &out));
	assert_int_equal(status, 200);
	assert_string_equal(text, "[\n{\"device\":\"ball1\",\"sessions\":1,"
				  "\"first_ts\":1795492560.000,\"last_ts\":1795492700.000}\n]\n");
	free(text);
	text = CALL(*state, &status, api_sessions(st_, &q, &out));
	assert_int_equal(status, 200);
	assert_non_null(strstr(text, "[\n{\"id\":1,\"device\":\"ball1\",\"run\":\"00000000000000a1\","
				     "\"start\":1795492570,\"end\":1795492690,\"duration_s\":120,"
				     "\"hold_count\":2,"));
	free(text);
	snprintf(q.device, sizeof(q.device), "ball9");
	text = CALL(*state, &status, api_sessions(st_, &q, &out));
	assert_int_equal(status, 404);
	assert_string_equal(text, "{\"error\":\"no device \\\"ball9\\\" in the database; "
				  "known: ball1\"}\n");
	free(text);
}

/* report --html: one file, no script, no address of anything outside, the
 * same two hold rects, the list linking to the section in the file. */
static void test_report_html(void **state)
{
	struct store *st = open_db(*state);
	char *text = NULL;
	size_t len = 0;
	FILE *out = open_memstream(&text, &len);

	tz_set("<+01>-1");
	assert_non_null(out);
	assert_int_equal(pages_report_html(st, &cfg, &all, out), 0);
	fclose(out);
	store_close(st);
	assert_null(strstr(text, "<script"));
	assert_null(strstr(text, "http://"));
	assert_null(strstr(text, "https://"));
	assert_null(strstr(text, "<nav>"));
	expect_stored_holds(text);
	assert_non_null(strstr(text, "<a href=\"#session-1\">2026-11-24 04:56</a>"));
	assert_non_null(strstr(text, "<section class=\"session\" id=\"session-1\">"));
	assert_non_null(strstr(text, "<h2>History</h2>"));
	assert_int_equal(strncmp(text, "<!DOCTYPE html>", 15), 0);
	assert_string_equal(text + len - 22, "</main></body></html>\n");
	free(text);
}

/* ---- history ---- */

/* A 600 s session of ball2 at start_ts with holds of the given classes and
 * durations (class -1 ends the list) and heat_s of heat. */
static void history_session(struct store *st, const char *run, double start_ts, double heat_s,
			    const int *classes, const double *durations)
{
	struct detector_summary s;
	double hold_ts[4];
	int64_t run_id;

	memset(&s, 0, sizeof(s));
	s.start_mono_s = 1000;
	s.end_mono_s = 1600;
	s.duration_s = 600;
	for (size_t i = 0; classes[i] >= 0; i++) {
		s.holds[i] = (struct detector_hold){ 1000 + 60 * (double)i, durations[i], 15, 12,
						     (enum detector_hold_class)classes[i], 0 };
		hold_ts[i] = start_ts + 60 * (double)i;
		s.hold_time_s += durations[i];
		s.hold_count = s.holds_stored = i + 1;
	}
	s.heat_time_s = heat_s;
	s.max_temperature_c = NAN;
	assert_int_equal(store_run_id(st, "ball2", run, &run_id), 0);
	assert_int_equal(store_session_insert(st, run_id, &s, start_ts, start_ts + 600, hold_ts,
					      NULL), 1);
}

/* Four sessions around the end of summer time in Berlin (2026-10-25,
 * 01:00 UTC): Tue the 20th (W43) effective 12 s; Sun the 25th at 00:30 CEST
 * effective 20 s + short 6 s, heat 100 s; Sun the 25th at 23:30 CET long
 * 70 s; Mon the 26th at 00:30 CET (W44; still Sunday in UTC) effective
 * 15 s, heat 50 s. */
static void test_history_days_and_weeks(void **state)
{
	static const int eff[] = { DETECTOR_HOLD_EFFECTIVE, -1 };
	static const int eff_short[] = { DETECTOR_HOLD_EFFECTIVE, DETECTOR_HOLD_SHORT, -1 };
	static const int lng[] = { DETECTOR_HOLD_LONG, -1 };
	struct store *st = open_db(*state);
	struct route q = all;
	int status;
	char *page;

	assert_int_equal(store_begin(st), 0);
	history_session(st, "00000000000000c1", T_1020_1000Z, 0, eff, (const double[]){ 12 });
	history_session(st, "00000000000000c2", T_1024_2230Z, 100, eff_short,
			(const double[]){ 20, 6 });
	history_session(st, "00000000000000c3", T_1025_2230Z, 0, lng, (const double[]){ 70 });
	history_session(st, "00000000000000c4", T_1025_2330Z, 50, eff, (const double[]){ 15 });
	assert_int_equal(store_commit(st), 0);
	store_close(st);

	tz_set(BERLIN);
	snprintf(q.device, sizeof(q.device), "ball2");
	page = CALL(*state, &status, pages_history(st_, &cfg, &q, T_1025_2330Z, &out));
	assert_int_equal(status, 200);
	/* Weeks: sessions, short, effective, long (count · time), hold, heat. */
	assert_non_null(strstr(page, "<tr><td>2026-W43</td><td>ball2</td><td>3</td>"
				     "<td>1 · 0m06s</td><td>2 · 0m32s</td><td>1 · 1m10s</td>"
				     "<td>1m48s</td><td>0m00s</td><td>1m40s</td></tr>"));
	assert_non_null(strstr(page, "<tr><td>2026-W44</td><td>ball2</td><td>1</td>"
				     "<td>0 · 0m00s</td><td>1 · 0m15s</td><td>0 · 0m00s</td>"
				     "<td>0m15s</td><td>0m00s</td><td>0m50s</td></tr>"));
	/* Days. */
	assert_non_null(strstr(page, "<tr><td>2026-10-20</td><td>ball2</td><td>1</td>"
				     "<td>0 · 0m00s</td><td>1 · 0m12s</td><td>0 · 0m00s</td>"
				     "<td>0m12s</td><td>0m00s</td><td>0m00s</td></tr>"));
	assert_non_null(strstr(page, "<tr><td>2026-10-25</td><td>ball2</td><td>2</td>"
				     "<td>1 · 0m06s</td><td>1 · 0m20s</td><td>1 · 1m10s</td>"
				     "<td>1m36s</td><td>0m00s</td><td>1m40s</td></tr>"));
	assert_non_null(strstr(page, "<tr><td>2026-10-26</td><td>ball2</td><td>1</td>"
				     "<td>0 · 0m00s</td><td>1 · 0m15s</td><td>0 · 0m00s</td>"
				     "<td>0m15s</td><td>0m00s</td><td>0m50s</td></tr>"));
	assert_null(strstr(page, "2026-10-24"));
	assert_int_equal(count(page, "<tr><td>2026-"), 5);
	/* ball1's session is left out by the device filter. */
	assert_null(strstr(page, "2026-W48"));
	free(page);

	/* The served list: newest first (ids 5, 4, 3, 2 by start). */
	page = CALL(*state, &status, pages_sessions(st_, &q, &out));
	assert_int_equal(status, 200);
	{
		const char *p5 = strstr(page, "<tr data-session=\"5\">");
		const char *p4 = strstr(page, "<tr data-session=\"4\">");
		const char *p3 = strstr(page, "<tr data-session=\"3\">");
		const char *p2 = strstr(page, "<tr data-session=\"2\">");

		assert_true(p5 && p4 && p3 && p2);
		assert_true(p5 < p4 && p4 < p3 && p3 < p2);
		assert_null(strstr(page, "<tr data-session=\"1\">"));
	}
	free(page);
}

/* ---- zones and advice ---- */

#define T_1117_1000Z 1794909600.0	/* Tue 2026-11-17 10:00Z, W47 */
#define T_1207_1200Z 1796644800.0	/* Mon 2026-12-07 12:00Z, W50 */
#define T_1209_1200Z 1796817600.0	/* Wed 2026-12-09 12:00Z */
#define T_1220_1200Z 1797768000.0	/* Sun 2026-12-20 12:00Z */
#define DAY_S 86400.0

/* A 600 s session of ball3 starting day days after T_1117_1000Z, n holds
 * of one class and duration, all on zone, with hot_s of hot time. */
static void zone_session(struct store *st, unsigned day, const char *zone, size_t n,
			 enum detector_hold_class cls, double duration_s, double hot_s)
{
	struct detector_summary s;
	double start_ts = T_1117_1000Z + DAY_S * day, hold_ts[4];
	char run[17];
	int64_t run_id;

	memset(&s, 0, sizeof(s));
	s.start_mono_s = 1000;
	s.end_mono_s = 1600;
	s.duration_s = 600;
	s.hold_count = s.holds_stored = n;
	for (size_t i = 0; i < n; i++) {
		s.holds[i] = (struct detector_hold){ 1000 + 100 * (double)i, duration_s, 15, 12, cls,
						     0 };	/* zones[0] */
		hold_ts[i] = start_ts + 100 * (double)i;
	}
	s.hold_time_s = duration_s * (double)n;
	s.hot_time_s = hot_s;
	s.max_temperature_c = hot_s > 0 ? 46 : NAN;
	s.n_zones = 1;
	snprintf(s.zones[0].zone, sizeof(s.zones[0].zone), "%s", zone);
	s.zones[0].holds = n;
	s.zones[0].class_holds[cls] = n;
	s.zones[0].hold_time_s = s.hold_time_s;
	s.zones[0].hot_time_s = hot_s;
	snprintf(run, sizeof(run), "00000000000003%02x", day);
	assert_int_equal(store_run_id(st, "ball3", run, &run_id), 0);
	assert_int_equal(store_session_insert(st, run_id, &s, start_ts, start_ts + 600, hold_ts,
					      NULL), 1);
}

/* Three weeks of the left shoulder, one effective 20 s hold a day: Tue,
 * Thu, Sat and Sun of W47 (Nov 17, 19, 21, 22), Tue, Thu, Sat of W48 and
 * of W49 (Nov 24 ... Dec 5); on Sun Dec 6 three long 70 s holds on the
 * left calf with 42 s too hot. On Mon Dec 7 the last three rolling weeks
 * (Dec 1-7, Nov 24-30, Nov 17-23) had 3, 3 and 4 days on the shoulder: see
 * a professional; the calf's week was all long holds; and hot. On Wed Dec 9
 * the last week (Dec 3-9) has 2 shoulder days: that advice is gone, the
 * others stay; on Dec 20 nothing is left. */
static void test_history_zones_and_advice(void **state)
{
	static const unsigned shoulder_days[] = { 0, 2, 4, 5, 7, 9, 11, 14, 16, 18 };
	struct store *st = open_db(*state);
	struct route q = all;
	int status;
	char *page, *text;

	assert_int_equal(store_begin(st), 0);
	for (size_t i = 0; i < sizeof(shoulder_days) / sizeof(shoulder_days[0]); i++)
		zone_session(st, shoulder_days[i], "shoulder_left", 1, DETECTOR_HOLD_EFFECTIVE, 20,
			     0);
	zone_session(st, 19, "calf_left", 3, DETECTOR_HOLD_LONG, 70, 42);
	assert_int_equal(store_commit(st), 0);
	store_close(st);

	tz_set("UTC0");
	snprintf(q.device, sizeof(q.device), "ball3");
	page = CALL(*state, &status, pages_history(st_, &cfg, &q, T_1207_1200Z, &out));
	assert_int_equal(status, 200);
	/* Per zone and week: days, short, effective, long, hold and heat time. */
	assert_non_null(strstr(page, "<h2>Per zone and week</h2>\n"));
	assert_non_null(strstr(page,
		"<tr data-zone=\"shoulder_left\"><td>2026-W47</td><td>ball3</td>"
		"<td>Left shoulder</td><td>4</td><td>0</td><td>4</td><td>0</td><td>1m20s</td>"
		"<td>0m00s</td><td>0m00s</td></tr>\n"
		"<tr data-zone=\"shoulder_left\"><td>2026-W48</td><td>ball3</td>"
		"<td>Left shoulder</td><td>3</td><td>0</td><td>3</td><td>0</td><td>1m00s</td>"
		"<td>0m00s</td><td>0m00s</td></tr>\n"
		"<tr data-zone=\"calf_left\"><td>2026-W49</td><td>ball3</td>"
		"<td>Left calf</td><td>1</td><td>0</td><td>0</td><td>3</td><td>3m30s</td>"
		"<td>0m00s</td><td>0m00s</td></tr>\n"
		"<tr data-zone=\"shoulder_left\"><td>2026-W49</td><td>ball3</td>"
		"<td>Left shoulder</td><td>3</td><td>0</td><td>3</td><td>0</td><td>1m00s</td>"
		"<td>0m00s</td><td>0m00s</td></tr>\n</tbody>"));
	/* The advice, at the top: before the filter form. */
	assert_non_null(strstr(page,
		"<section class=\"advice\" data-device=\"ball3\"><h2>Advice for ball3 "
		"<span class=\"muted\">(2026-12-07)</span></h2><ul>"
		"<li class=\"advice-0\"><strong>Left shoulder</strong>: treated on 4, 3 and 3 days "
		"in the last 3 weeks (oldest first)</li>"
		"<li class=\"advice-1\"><strong>Left calf</strong>: 3 of 3 holds in the last week "
		"were long (over 60 s)</li>"
		"<li class=\"advice-2\"><strong>Burn risk</strong>: 0m42s at 45 °C or more in the "
		"last week</li></ul><p>You have treated the same spot on several days a week for "
		"weeks. See a doctor or physiotherapist"));
	assert_true(strstr(page, "class=\"advice\"") < strstr(page, "<form"));
	assert_int_equal(count(page, "<p>Most of your holds on a spot in the last 7 days were "
				     "long."), 1);
	assert_int_equal(count(page, "<p>The tool was hot enough to burn the skin in the last 7 "
				     "days."), 1);
	free(page);

	/* Two days later the shoulder's last week has 2 days. */
	page = CALL(*state, &status, pages_history(st_, &cfg, &q, T_1209_1200Z, &out));
	assert_int_equal(status, 200);
	assert_null(strstr(page, "advice-0"));
	assert_null(strstr(page, "See a doctor"));
	assert_non_null(strstr(page, "<li class=\"advice-1\"><strong>Left calf</strong>"));
	free(page);
	page = CALL(*state, &status, pages_history(st_, &cfg, &q, T_1220_1200Z, &out));
	assert_int_equal(status, 200);
	assert_null(strstr(page, "class=\"advice\""));
	/* Every device: ball1 (setup's session, on the calf) has none. */
	q.device[0] = '\0';
	free(page);
	page = CALL(*state, &status, pages_history(st_, &cfg, &q, T_1207_1200Z, &out));
	assert_int_equal(count(page, "<section class=\"advice\""), 1);
	assert_non_null(strstr(page, "<tr data-zone=\"calf_left\"><td>2026-W48</td><td>ball1</td>"
				     "<td>Left calf</td><td>1</td>"));
	free(page);

	/* The API: the same weeks, and the advice topic's payload. */
	text = CALL(*state, &status, api_weeks(st_, &cfg.zones, "ball3", &out));
	assert_int_equal(status, 200);
	assert_non_null(strstr(text, "[\n{\"week\":\"2026-W47\",\"zone\":\"shoulder_left\","
				     "\"label\":\"Left shoulder\",\"days\":4,\"holds\":4,\"short\":0,"
				     "\"effective\":4,\"long\":0,\"hold_time_s\":80.0,"
				     "\"rolling_time_s\":0.0,\"heat_time_s\":0.0,\"hot_time_s\":0.0},\n"));
	assert_non_null(strstr(text, "{\"week\":\"2026-W49\",\"zone\":\"calf_left\","
				     "\"label\":\"Left calf\",\"days\":1,\"holds\":3,\"short\":0,"
				     "\"effective\":0,\"long\":3,\"hold_time_s\":210.0,"
				     "\"rolling_time_s\":0.0,\"heat_time_s\":0.0,\"hot_time_s\":42.0},\n"));
	assert_int_equal(count(text, "{\"week\":"), 4);
	free(text);
	text = CALL(*state, &status, api_advice(st_, &cfg, "ball3", T_1207_1200Z, &out));
	assert_int_equal(status, 200);
	assert_non_null(strstr(text, "{\"date\":\"2026-12-07\",\"problem\":true,"
				     "\"zones\":[\"shoulder_left\"],"));
	assert_non_null(strstr(text, "{\"zone\":\"shoulder_left\",\"label\":\"Left shoulder\","
				     "\"days_per_week\":[4,3,3]}"));
	free(text);
	text = CALL(*state, &status, api_advice(st_, &cfg, "ball3", T_1220_1200Z, &out));
	assert_int_equal(status, 200);
	assert_non_null(strstr(text, "\"problem\":false,\"zones\":[]"));
	free(text);
	text = CALL(*state, &status, api_advice(st_, &cfg, "ball9", T_1220_1200Z, &out));
	assert_int_equal(status, 404);
	assert_non_null(strstr(text, "{\"error\":\"no device \\\"ball9\\\""));
	free(text);
	text = CALL(*state, &status, api_weeks(st_, &cfg.zones, "ball9", &out));
	assert_int_equal(status, 404);
	free(text);
}

/* ---- size ---- */

static double hour_kpa(size_t i)
{
	return i == 18000 ? 30 : 12;
}

/* A 1-hour session at 10 Hz (36,000 readings, one hold) makes a page under
 * 300 KB: the picture holds at most 4 points a column, not 36,000. */
static void test_hour_page_size(void **state)
{
	struct store *st = open_db(*state);
	struct detector_summary s;
	double hold_ts = T_0356Z + 86400 + 600;
	int64_t run_id, id;
	int status;
	char *page;

	assert_int_equal(store_begin(st), 0);
	assert_int_equal(store_run_id(st, "roller1", "00000000000000b2", &run_id), 0);
	readings_store(st, run_id, "00000000000000b2", 1, 36000, 0, T_0356Z + 86400, hour_kpa, 39);
	memset(&s, 0, sizeof(s));
	s.end_mono_s = 3599.9;
	s.duration_s = 3599.9;
	s.hold_count = s.holds_stored = 1;
	s.holds[0] = (struct detector_hold){ 600, 30, 12, 12, DETECTOR_HOLD_EFFECTIVE, 0 };
	s.hold_time_s = 30;
	s.heat_time_s = 3599.9;
	s.max_temperature_c = 39;
	s.samples = 36000;
	assert_int_equal(store_session_insert(st, run_id, &s, T_0356Z + 86400,
					      T_0356Z + 86400 + 3599.9, &hold_ts, &id), 1);
	assert_int_equal(store_commit(st), 0);
	store_close(st);

	page = CALL(*state, &status, pages_session(st_, &cfg, id, &out));
	assert_int_equal(status, 200);
	if (strlen(page) >= 300 * 1024)
		fail_msg("the page is %zu bytes", strlen(page));
	assert_true(strlen(page) > 10 * 1024);
	assert_int_equal(count(page, "<rect class=\"hold "), 1);
	free(page);
}

#define WITH_SESSION(fn) cmocka_unit_test_setup_teardown(fn, setup, unit_fixture_teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		WITH_SESSION(test_session_page),
		WITH_SESSION(test_unknown_session),
		WITH_SESSION(test_page_too_large),
		WITH_SESSION(test_sessions_page),
		WITH_SESSION(test_api_session_raw_and_downsampled),
		WITH_SESSION(test_api_devices_and_sessions),
		WITH_SESSION(test_report_html),
		WITH_SESSION(test_history_days_and_weeks),
		WITH_SESSION(test_history_zones_and_advice),
		WITH_SESSION(test_hour_page_size),
	};

	config_defaults(&cfg);
	tests_select();
	return cmocka_run_group_tests(tests, NULL, NULL);
}
