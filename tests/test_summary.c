/* The wire format of session summaries and live events (common/summary.c).
 * Ground truth: docs/protocol.md, "Wire contract", and the texts below,
 * written out by hand from the values fed in: wall-clock times are mono +
 * offset, times and kPa are rounded to 0.01, mono and ts of an event to
 * 0.001, an unknown temperature is null. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "select.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#include <cJSON.h>

#include "detector.h"
#include "summary.h"

#define OFFSET_S 1763910000.0	/* a reading's ts minus its mono */

/* A session of two holds: contact from mono 100 to 1012.3. */
static struct detector_summary two_holds(void)
{
	return (struct detector_summary){
		.start_mono_s = 100.0, .end_mono_s = 1012.3, .duration_s = 912.3,
		.hold_count = 2, .hold_time_s = 44.6, .rolling_time_s = 137.456, .holds_stored = 2,
		.holds = {
			{ 200.5, 24.604, 18.2, 15.9, DETECTOR_HOLD_EFFECTIVE },
			{ 600.25, 19.996, 12.344, 11.5, DETECTOR_HOLD_SHORT },
		},
		.heat_time_s = 300.2, .max_temperature_c = 41.3, .hot_time_s = 0,
		.samples = 9123, .missing_samples = 4,
	};
}

/* two_holds() by hand from "start" on: 24.604 -> 24.6, 19.996 -> 20,
 * 12.344 -> 12.34, rolling 137.456 -> 137.46; starts 100 + offset, 200.5 + offset, ... */
#define TWO_HOLDS_FROM_START \
	"\"start\":1763910100,\"end\":1763911012.3,\"duration_s\":912.3,\"hold_count\":2," \
	"\"hold_time_s\":44.6,\"rolling_time_s\":137.46," \
	"\"holds\":[{\"start\":1763910200.5,\"duration_s\":24.6," \
	"\"peak_kpa\":18.2,\"mean_kpa\":15.9,\"class\":\"effective\"}," \
	"{\"start\":1763910600.25,\"duration_s\":20,\"peak_kpa\":12.34," \
	"\"mean_kpa\":11.5,\"class\":\"short\"}]," \
	"\"heat_time_s\":300.2,\"max_temperature_c\":41.3,\"hot_time_s\":0," \
	"\"readings\":9123,\"missing_readings\":4,\"zones\":{}}"

static void test_summary_text(void **state)
{
	(void)state;
	struct detector_summary s = two_holds();
	char buf[1024];
	const char *want = "{\"device\":\"roller1\",\"run\":\"3f9c2a1e\"," TWO_HOLDS_FROM_START;
	int n = summary_encode(&s, "roller1", "3f9c2a1e", OFFSET_S, buf, sizeof(buf));

	assert_string_equal(buf, want);
	assert_int_equal(n, strlen(want));
}

/* two_holds() on zones: the first hold on calf_left, the second without a
 * zone, a neck warmed (hot) before: the named zones' totals in the
 * detector's order, "" left out; each hold with its zone when it has one.
 * By hand: 120.456 -> 120.46, rolling 100.006 -> 100.01; 179.744 s of heat
 * without a zone are only in the session's 300.2. */
static void test_summary_zones(void **state)
{
	(void)state;
	struct detector_summary s = two_holds();
	char buf[2048];
	const char *want =
		"{\"device\":\"roller1\",\"run\":\"3f9c2a1e\","
		"\"start\":1763910100,\"end\":1763911012.3,\"duration_s\":912.3,\"hold_count\":2,"
		"\"hold_time_s\":44.6,\"rolling_time_s\":137.46,"
		"\"holds\":[{\"start\":1763910200.5,\"duration_s\":24.6,"
		"\"peak_kpa\":18.2,\"mean_kpa\":15.9,\"class\":\"effective\",\"zone\":\"calf_left\"},"
		"{\"start\":1763910600.25,\"duration_s\":20,\"peak_kpa\":12.34,"
		"\"mean_kpa\":11.5,\"class\":\"short\"}],"
		"\"heat_time_s\":300.2,\"max_temperature_c\":41.3,\"hot_time_s\":5.5,"
		"\"readings\":9123,\"missing_readings\":4,"
		"\"zones\":{\"neck\":{\"holds\":0,\"short\":0,\"effective\":0,\"long\":0,"
		"\"hold_time_s\":0,\"rolling_time_s\":0,\"heat_time_s\":0,\"hot_time_s\":5.5},"
		"\"calf_left\":{\"holds\":1,\"short\":0,\"effective\":1,\"long\":0,"
		"\"hold_time_s\":24.6,\"rolling_time_s\":100.01,\"heat_time_s\":120.46,"
		"\"hot_time_s\":0}}}";
	int n;

	s.holds[0].zone = 1;	/* zones[1]: calf_left */
	s.holds[1].zone = 2;	/* zones[2]: "" */
	s.hot_time_s = 5.5;
	s.n_zones = 3;
	s.zones[0] = (struct detector_zone_total){ .zone = "neck", .hot_time_s = 5.5 };
	s.zones[1] = (struct detector_zone_total){
		.zone = "calf_left", .holds = 1, .class_holds = { 0, 1, 0 },
		.hold_time_s = 24.604, .rolling_time_s = 100.006, .heat_time_s = 120.456,
	};
	s.zones[2] = (struct detector_zone_total){
		.zone = "", .holds = 1, .class_holds = { 1, 0, 0 },
		.hold_time_s = 19.996, .heat_time_s = 179.744,
	};
	n = summary_encode(&s, "roller1", "3f9c2a1e", OFFSET_S, buf, sizeof(buf));
	assert_string_equal(buf, want);
	assert_int_equal(n, strlen(want));
}

static void test_summary_unknown_temperature_is_null(void **state)
{
	(void)state;
	struct detector_summary s = two_holds();
	char buf[1024];

	s.max_temperature_c = NAN;
	assert_true(summary_encode(&s, "roller1", "3f9c2a1e", OFFSET_S, buf, sizeof(buf)) > 0);
	assert_non_null(strstr(buf, "\"max_temperature_c\":null,"));
}

/* Past DETECTOR_MAX_HOLDS the holds are counted, not listed. */
static void test_summary_lists_the_first_holds_only(void **state)
{
	(void)state;
	static struct detector_summary s;
	static char buf[32768];
	cJSON *root, *holds;

	memset(&s, 0, sizeof(s));
	s.hold_count = DETECTOR_MAX_HOLDS + 6;
	s.holds_stored = DETECTOR_MAX_HOLDS;
	for (size_t i = 0; i < DETECTOR_MAX_HOLDS; i++)
		s.holds[i] = (struct detector_hold){ (double)i * 30, 12, 15, 14, DETECTOR_HOLD_EFFECTIVE, 0 };
	assert_true(summary_encode(&s, "r", "1", 0, buf, sizeof(buf)) > 0);
	root = cJSON_Parse(buf);
	assert_non_null(root);
	holds = cJSON_GetObjectItem(root, "holds");
	assert_int_equal(cJSON_GetArraySize(holds), DETECTOR_MAX_HOLDS);
	assert_int_equal(cJSON_GetObjectItem(root, "hold_count")->valueint, 70);
	/* the last one listed is hold 63, starting at 63 * 30 s */
	assert_int_equal(cJSON_GetObjectItem(cJSON_GetArrayItem(holds, 63), "start")->valueint, 1890);
	cJSON_Delete(root);
}

static void test_summary_refuses_a_short_buffer(void **state)
{
	(void)state;
	struct detector_summary s = two_holds();
	char buf[1024];
	int n = summary_encode(&s, "roller1", "3f9c2a1e", OFFSET_S, buf, sizeof(buf));

	assert_true(n > 0);
	assert_int_equal(summary_encode(&s, "roller1", "3f9c2a1e", OFFSET_S, buf, 64), -1);
}

static void test_mark_revised(void **state)
{
	(void)state;
	char buf[64] = "{\"device\":\"r\",\"run\":\"1\"}";
	size_t len = strlen(buf);

	/* 24 characters, less the brace, plus 16 for ,"revised":true} */
	assert_int_equal(summary_mark_revised(buf, len, sizeof(buf)), 39);
	assert_string_equal(buf, "{\"device\":\"r\",\"run\":\"1\",\"revised\":true}");

	/* 39 characters and the NUL need 40 bytes. */
	strcpy(buf, "{\"device\":\"r\",\"run\":\"1\"}");
	assert_int_equal(summary_mark_revised(buf, len, 39), -1);
	assert_string_equal(buf, "{\"device\":\"r\",\"run\":\"1\"}");
	assert_int_equal(summary_mark_revised(buf, len, 40), 39);

	strcpy(buf, "[1,2]");
	assert_int_equal(summary_mark_revised(buf, 5, sizeof(buf)), -1);
	assert_int_equal(summary_mark_revised(buf, 0, sizeof(buf)), -1);
}

static struct detector_event event(enum detector_event_kind kind, double mono_s)
{
	struct detector_event ev;

	memset(&ev, 0, sizeof(ev));
	ev.kind = kind;
	ev.mono_s = mono_s;
	ev.pressure_kpa = NAN;
	ev.temperature_c = NAN;
	return ev;
}

/* The largest summary there can be still fits the 16 KB buffers the
 * collector (ingest.c SUMMARY_MAX, with "revised":true added) and sensord
 * (its session_ended event) write it into: 64 holds and 16 named zones,
 * every name 32 bytes, every number as long as it gets in a long session,
 * a device id of 64. Measured: 12,252 bytes. */
static void test_summary_largest_fits(void **state)
{
	(void)state;
	static struct detector_summary s;
	static char buf[16384];
	struct detector_event ev = event(DETECTOR_EVENT_SESSION_ENDED, 99999.999);
	int n;

	s.start_mono_s = 1796527344.17;
	s.end_mono_s = s.start_mono_s + 99999.99;
	s.duration_s = s.hold_time_s = s.heat_time_s = s.hot_time_s = 99999.99;
	s.hold_count = 123456;
	s.holds_stored = DETECTOR_MAX_HOLDS;
	s.max_temperature_c = 99.99;
	s.samples = s.missing_samples = 99999999;
	for (size_t i = 0; i < DETECTOR_MAX_HOLDS; i++) {
		s.holds[i] = (struct detector_hold){ s.start_mono_s + (double)i, 99999.99, 999.99,
						     999.99, DETECTOR_HOLD_EFFECTIVE,
						     (uint8_t)(i % DETECTOR_MAX_ZONES) };
	}
	s.n_zones = DETECTOR_MAX_ZONES + 1;
	for (size_t i = 0; i < s.n_zones; i++) {
		struct detector_zone_total *z = &s.zones[i];

		if (i < DETECTOR_MAX_ZONES)
			snprintf(z->zone, sizeof(z->zone), "%032zu", i);
		z->holds = z->class_holds[0] = z->class_holds[1] = z->class_holds[2] = 123456;
		z->hold_time_s = z->heat_time_s = z->hot_time_s = 99999.99;
	}
	n = summary_encode(&s, "abcdefghijabcdefghijabcdefghijabcdefghijabcdefghijabcdefghij1234",
			   "5e1f03c29a7b44d1", 0, buf, sizeof(buf));
	assert_true(n > 0);
	assert_true(summary_mark_revised(buf, (size_t)n, sizeof(buf)) > 0);
	ev.session = &s;
	assert_true(event_encode(&ev, "5e1f03c29a7b44d1", 1796527344.17, buf, sizeof(buf)) > 0);
}

static void test_event_contact_and_heat(void **state)
{
	(void)state;
	struct detector_event ev = event(DETECTOR_EVENT_CONTACT, 46.2004);
	char buf[512];

	ev.pressure_kpa = 3.456;	/* -> 3.46 */
	assert_true(event_encode(&ev, "3f9c2a1e", 1000, buf, sizeof(buf)) > 0);
	assert_string_equal(buf, "{\"event\":\"contact\",\"run\":\"3f9c2a1e\",\"mono\":46.2,"
				 "\"ts\":1046.2,\"pressure_kpa\":3.46}");

	ev = event(DETECTOR_EVENT_HEAT_ON, 50.125);
	ev.temperature_c = 38.5;
	assert_true(event_encode(&ev, "3f9c2a1e", 1000, buf, sizeof(buf)) > 0);
	assert_string_equal(buf, "{\"event\":\"heat_on\",\"run\":\"3f9c2a1e\",\"mono\":50.125,"
				 "\"ts\":1050.125,\"temperature_c\":38.5}");

	ev = event(DETECTOR_EVENT_SESSION_STARTED, 7);
	assert_true(event_encode(&ev, "3f9c2a1e", 1000, buf, sizeof(buf)) > 0);
	assert_string_equal(buf, "{\"event\":\"session_started\",\"run\":\"3f9c2a1e\",\"mono\":7,"
				 "\"ts\":1007}");

	/* docs/protocol.md: the rolling events carry nothing more. */
	ev = event(DETECTOR_EVENT_ROLLING_STARTED, 8.5);
	assert_true(event_encode(&ev, "3f9c2a1e", 1000, buf, sizeof(buf)) > 0);
	assert_string_equal(buf, "{\"event\":\"rolling_started\",\"run\":\"3f9c2a1e\","
				 "\"mono\":8.5,\"ts\":1008.5}");
	ev = event(DETECTOR_EVENT_ROLLING_ENDED, 20);
	assert_true(event_encode(&ev, "3f9c2a1e", 1000, buf, sizeof(buf)) > 0);
	assert_string_equal(buf, "{\"event\":\"rolling_ended\",\"run\":\"3f9c2a1e\","
				 "\"mono\":20,\"ts\":1020}");
}

static void test_event_hold(void **state)
{
	(void)state;
	struct detector_event ev = event(DETECTOR_EVENT_HOLD_10S, 46.2);
	char buf[512];

	ev.hold = (struct detector_hold){ 36.2, 10.0, 15.3, 14.9, DETECTOR_HOLD_EFFECTIVE, 0 };
	assert_true(event_encode(&ev, "3f9c2a1e", 1000, buf, sizeof(buf)) > 0);
	assert_string_equal(buf, "{\"event\":\"hold_10s\",\"run\":\"3f9c2a1e\",\"mono\":46.2,"
				 "\"ts\":1046.2,\"hold\":{\"start\":1036.2,\"duration_s\":10,"
				 "\"peak_kpa\":15.3,\"mean_kpa\":14.9,\"class\":\"effective\"}}");

	/* With a zone: the hold says it. */
	ev = event(DETECTOR_EVENT_HOLD_ENDED, 61.4);
	ev.hold = (struct detector_hold){ 36.2, 24.8, 15.61, 14.87, DETECTOR_HOLD_EFFECTIVE, 0 };
	strcpy(ev.zone, "calf_left");
	assert_true(event_encode(&ev, "3f9c2a1e", 1000, buf, sizeof(buf)) > 0);
	assert_string_equal(buf, "{\"event\":\"hold_ended\",\"run\":\"3f9c2a1e\",\"mono\":61.4,"
				 "\"ts\":1061.4,\"hold\":{\"start\":1036.2,\"duration_s\":24.8,"
				 "\"peak_kpa\":15.61,\"mean_kpa\":14.87,\"class\":\"effective\","
				 "\"zone\":\"calf_left\"}}");
}

/* session_ended carries the summary without device and run. */
static void test_event_session_ended(void **state)
{
	(void)state;
	struct detector_summary s = two_holds();
	struct detector_event ev = event(DETECTOR_EVENT_SESSION_ENDED, 1020);
	char buf[1024];

	ev.session = &s;
	assert_true(event_encode(&ev, "3f9c2a1e", OFFSET_S, buf, sizeof(buf)) > 0);
	assert_string_equal(buf, "{\"event\":\"session_ended\",\"run\":\"3f9c2a1e\",\"mono\":1020,"
				 "\"ts\":1763911020,\"session\":{" TWO_HOLDS_FROM_START "}");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_summary_text),
		cmocka_unit_test(test_summary_zones),
		cmocka_unit_test(test_summary_unknown_temperature_is_null),
		cmocka_unit_test(test_summary_lists_the_first_holds_only),
		cmocka_unit_test(test_summary_largest_fits),
		cmocka_unit_test(test_summary_refuses_a_short_buffer),
		cmocka_unit_test(test_mark_revised),
		cmocka_unit_test(test_event_contact_and_heat),
		cmocka_unit_test(test_event_hold),
		cmocka_unit_test(test_event_session_ended),
	};

	tests_select();
	return cmocka_run_group_tests(tests, NULL, NULL);
}
