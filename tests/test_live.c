/* Tests for collector/live.c: the live view built from scripted messages,
 * written by hand in the shapes docs/protocol.md shows ("A reading", "Live
 * events", "Status and commands"), and the live page's text. The hold is the
 * protocol's example: it starts at 1796527344.17 and ends effective after
 * 24.8 s. */
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

#include "live.h"
#include "pages.h"
#include "textbuf.h"
#include "unit.h"

#define RUN "5e1f03c29a7b44d1"

static int feed(struct live *l, const char *topic, const char *payload, double now_s)
{
	return live_message(l, topic, payload, strlen(payload), now_s);
}

/* A reading of ball1 at ts with the pressure and temperature given as JSON
 * text ("12.40", "null"). */
static int reading(struct live *l, unsigned seq, double ts, const char *kpa, const char *temp_c,
		   double now_s)
{
	char payload[256];

	snprintf(payload, sizeof(payload),
		 "{\"run\":\"" RUN "\",\"seq\":%u,\"mono\":%.3f,\"ts\":%.3f,\"pressure_kpa\":%s,"
		 "\"temperature_c\":%s}",
		 seq, ts - 1796527309.0, ts, kpa, temp_c);
	return feed(l, "rollsense/ball1/reading", payload, now_s);
}

static int event(struct live *l, const char *payload)
{
	return feed(l, "rollsense/ball1/event", payload, 0);
}

static char *json_of(const struct live_device *d)
{
	struct textbuf b;
	char *text;

	textbuf_init(&b, 0);
	live_device_json(d, &b);
	text = textbuf_take(&b, NULL);
	assert_non_null(text);
	return text;
}

static const char hold_started[] =
	"{\"event\":\"hold_started\",\"run\":\"" RUN "\",\"mono\":40.132,\"ts\":1796527349.169,"
	"\"hold\":{\"start\":1796527344.17,\"duration_s\":5,\"peak_kpa\":15.2,\"mean_kpa\":14.1,"
	"\"class\":\"short\"}}";
static const char hold_10s[] =
	"{\"event\":\"hold_10s\",\"run\":\"" RUN "\",\"mono\":45.132,\"ts\":1796527354.169,"
	"\"hold\":{\"start\":1796527344.17,\"duration_s\":10,\"peak_kpa\":15.59,\"mean_kpa\":14.86,"
	"\"class\":\"effective\"}}";
static const char hold_ended[] =
	"{\"event\":\"hold_ended\",\"run\":\"" RUN "\",\"mono\":61.032,\"ts\":1796527370.069,"
	"\"hold\":{\"start\":1796527344.17,\"duration_s\":24.8,\"peak_kpa\":15.61,\"mean_kpa\":14.87,"
	"\"class\":\"effective\"}}";
/* The next hold, 45 s after the first began. */
static const char next_started[] =
	"{\"event\":\"hold_started\",\"run\":\"" RUN "\",\"mono\":85.132,\"ts\":1796527394.169,"
	"\"hold\":{\"start\":1796527389.17,\"duration_s\":5,\"peak_kpa\":13.1,\"mean_kpa\":12.4,"
	"\"class\":\"short\"}}";
static const char session_started[] =
	"{\"event\":\"session_started\",\"run\":\"" RUN "\",\"mono\":10.432,\"ts\":1796527319.469}";

/* The holds of the session so far, by class, and their time. */
static void expect_holds(const struct live_device *d, unsigned n_short, unsigned n_effective,
			 unsigned n_long, double hold_time_s)
{
	assert_int_equal(d->holds_short, n_short);
	assert_int_equal(d->holds_effective, n_effective);
	assert_int_equal(d->holds_long, n_long);
	assert_near(d->hold_time_s, hold_time_s, 1e-9);
}

/* The timer runs from the hold's start to the last reading's ts; the class
 * follows the last hold_* event; hold_ended counts the hold by its class. */
static void test_hold_timer(void **state)
{
	struct live *l = *state;
	const struct live_device *d;

	assert_int_equal(event(l, session_started), 0);
	assert_int_equal(reading(l, 400, 1796527349.17, "15.20", "36.10", 1), 0);
	assert_int_equal(event(l, hold_started), 0);
	d = live_device_at(l, 0);
	assert_true(d->in_session);
	assert_true(d->in_hold);
	assert_near(d->hold_start_ts, 1796527344.17, 1e-6);
	assert_near(d->hold_s, 5.0, 1e-6);
	assert_string_equal(d->hold_class, "short");
	assert_string_equal(live_last_event(l), "hold_started");

	assert_int_equal(reading(l, 523, 1796527356.47, "14.20", "36.10", 2), 0);
	assert_near(d->hold_s, 12.3, 1e-6);
	assert_string_equal(live_last_event(l), "");
	assert_int_equal(event(l, hold_10s), 0);
	assert_near(d->hold_s, 12.3, 1e-6);	/* the reading came first: it stays */
	assert_string_equal(d->hold_class, "effective");
	assert_int_equal(reading(l, 541, 1796527358.27, "14.90", "36.10", 3), 0);
	assert_near(d->hold_s, 14.1, 1e-6);
	assert_int_equal(d->holds_effective, 0);

	assert_int_equal(event(l, hold_ended), 0);
	assert_false(d->in_hold);
	assert_near(d->hold_s, 24.8, 1e-9);
	assert_string_equal(d->hold_class, "effective");
	expect_holds(d, 0, 1, 0, 24.8);
	/* Readings after the hold leave its duration alone. */
	assert_int_equal(reading(l, 600, 1796527375.0, "1.00", "36.10", 4), 0);
	assert_near(d->hold_s, 24.8, 1e-9);
}

/* hold_started may come before the reading of its sample: the timer shows
 * the event's duration, then the readings carry it on. */
static void test_hold_event_first(void **state)
{
	struct live *l = *state;
	const struct live_device *d;

	assert_int_equal(reading(l, 399, 1796527349.07, "15.10", "null", 1), 0);
	assert_int_equal(event(l, hold_started), 0);
	d = live_device_at(l, 0);
	assert_near(d->hold_s, 5.0, 1e-6);
	assert_int_equal(reading(l, 400, 1796527349.17, "15.20", "null", 1), 0);
	assert_near(d->hold_s, 5.0, 1e-6);
	assert_int_equal(reading(l, 401, 1796527349.27, "15.20", "null", 1), 0);
	assert_near(d->hold_s, 5.1, 1e-6);
}

/* The hold_ended of the protocol's hold is lost (QoS 0) and the readings
 * carry its timer on to 30.1 s; the next hold's hold_started (start
 * 1796527389.17, 5 s) shows the new hold from 5 s, and the lost one counts
 * as it was when last heard of: effective, 10 s (its hold_10s). */
static void test_hold_ended_lost(void **state)
{
	struct live *l = *state;
	const struct live_device *d;

	assert_int_equal(event(l, session_started), 0);
	assert_int_equal(event(l, hold_started), 0);
	assert_int_equal(event(l, hold_10s), 0);
	assert_int_equal(reading(l, 700, 1796527374.27, "14.00", "36.10", 1), 0);
	d = live_device_at(l, 0);
	assert_near(d->hold_s, 30.1, 1e-6);
	assert_int_equal(reading(l, 1200, 1796527394.17, "13.10", "36.10", 2), 0);
	assert_int_equal(event(l, next_started), 0);
	assert_true(d->in_hold);
	assert_near(d->hold_start_ts, 1796527389.17, 1e-6);
	assert_near(d->hold_s, 5.0, 1e-6);
	assert_string_equal(d->hold_class, "short");
	expect_holds(d, 0, 1, 0, 10.0);
	/* The new hold goes on as any other. */
	assert_int_equal(reading(l, 1201, 1796527394.27, "13.20", "36.10", 2), 0);
	assert_near(d->hold_s, 5.1, 1e-6);
}

/* The protocol's session_ended (224.7 s, heat 143.2 s) with hold_count,
 * hold_time_s and the list of holds given (JSON text). */
static void session_ended(struct live *l, unsigned hold_count, const char *hold_time_s,
			  const char *holds)
{
	char payload[1024];

	snprintf(payload, sizeof(payload),
		 "{\"event\":\"session_ended\",\"run\":\"" RUN "\",\"mono\":345,\"ts\":1796527664.17,"
		 "\"session\":{\"start\":1796527319.47,\"end\":1796527544.17,\"duration_s\":224.7,"
		 "\"hold_count\":%u,\"hold_time_s\":%s,\"holds\":[%s],\"heat_time_s\":143.2,"
		 "\"max_temperature_c\":41.12,\"hot_time_s\":0,\"readings\":3448,\"missing_readings\":0}}",
		 hold_count, hold_time_s, holds);
	assert_int_equal(event(l, payload), 0);
}

/* The last session's totals: its holds by class, its hold time, and the
 * 224.7 s the summary says it lasted. */
static void expect_last_session(const struct live_device *d, unsigned n_short,
				unsigned n_effective, unsigned n_long, double hold_time_s)
{
	assert_true(d->has_last_session);
	assert_int_equal(d->last_holds_short, n_short);
	assert_int_equal(d->last_holds_effective, n_effective);
	assert_int_equal(d->last_holds_long, n_long);
	assert_near(d->last_hold_time_s, hold_time_s, 1e-9);
	assert_near(d->last_session_duration_s, 224.7, 1e-9);
}

/* A session's holds by class, then session_ended: its totals stay visible
 * (the summary's hold and heat time) until the next session_started. */
static void test_session_totals(void **state)
{
	static const char short_ended[] =
		"{\"event\":\"hold_ended\",\"run\":\"" RUN "\",\"mono\":87,\"ts\":1796527396,"
		"\"hold\":{\"start\":1796527389.17,\"duration_s\":6.8,\"peak_kpa\":13.6,\"mean_kpa\":12.85,"
		"\"class\":\"short\"}}";
	static const char long_ended[] =
		"{\"event\":\"hold_ended\",\"run\":\"" RUN "\",\"mono\":225,\"ts\":1796527544,"
		"\"hold\":{\"start\":1796527469.17,\"duration_s\":74.8,\"peak_kpa\":14.92,\"mean_kpa\":13.9,"
		"\"class\":\"long\"}}";
	struct live *l = *state;
	const struct live_device *d;

	assert_int_equal(event(l, session_started), 0);
	d = live_device_at(l, 0);
	assert_near(d->session_start_ts, 1796527319.469, 1e-6);
	assert_int_equal(event(l, hold_ended), 0);
	assert_int_equal(event(l, short_ended), 0);
	assert_int_equal(event(l, long_ended), 0);
	expect_holds(d, 1, 1, 1, 106.4);
	assert_false(d->has_last_session);

	session_ended(l, 3, "106.4", "");	/* a list that lacks them: the running counts stay */
	assert_false(d->in_session);
	assert_int_equal(d->holds_short + d->holds_effective + d->holds_long, 0);
	expect_last_session(d, 1, 1, 1, 106.4);
	assert_near(d->last_heat_time_s, 143.2, 1e-9);
	assert_near(d->last_session_end_ts, 1796527664.17, 1e-6);

	assert_int_equal(event(l, session_started), 0);
	assert_false(d->has_last_session);
	assert_true(d->in_session);
}

/* rolling_started and rolling_ended (docs/protocol.md) say whether the
 * tool is rolling now; the last session's rolling time is its summary's,
 * and a summary without one (an older collector's) gives 0. */
static void test_rolling(void **state)
{
	static const char rolling_started[] =
		"{\"event\":\"rolling_started\",\"run\":\"" RUN "\",\"mono\":11,\"ts\":1796527320}";
	static const char rolling_ended[] =
		"{\"event\":\"rolling_ended\",\"run\":\"" RUN "\",\"mono\":42,\"ts\":1796527351}";
	static const char with_rolling[] =
		"{\"event\":\"session_ended\",\"run\":\"" RUN "\",\"mono\":345,\"ts\":1796527664.17,"
		"\"session\":{\"start\":1796527319.47,\"end\":1796527544.17,\"duration_s\":224.7,"
		"\"hold_count\":0,\"hold_time_s\":0,\"rolling_time_s\":35.1,\"holds\":[],"
		"\"heat_time_s\":0,\"max_temperature_c\":null,\"hot_time_s\":0,\"readings\":3448,"
		"\"missing_readings\":0}}";
	struct live *l = *state;
	const struct live_device *d;
	char *text;

	assert_int_equal(event(l, session_started), 0);
	d = live_device_at(l, 0);
	assert_false(d->in_rolling);
	assert_int_equal(event(l, rolling_started), 0);
	assert_true(d->in_rolling);
	text = json_of(d);
	assert_non_null(strstr(text, "\"in_hold\":false,\"in_rolling\":true,"));
	free(text);
	assert_int_equal(event(l, rolling_ended), 0);
	assert_false(d->in_rolling);
	assert_int_equal(event(l, rolling_started), 0);
	assert_int_equal(event(l, with_rolling), 0);
	/* The session's end ends its rolling. */
	assert_false(d->in_rolling);
	assert_near(d->last_rolling_time_s, 35.1, 1e-9);
	text = json_of(d);
	assert_non_null(strstr(text, "\"hold_time_s\":0,\"rolling_time_s\":35.1,\"heat_time_s\":0}}"));
	free(text);

	assert_int_equal(event(l, session_started), 0);
	session_ended(l, 0, "0", "");
	assert_near(d->last_rolling_time_s, 0, 1e-9);
}

/* A view that came in late saw none of the session's holds: the summary
 * of session_ended gives them, counted by class from its list. */
static void test_late_view(void **state)
{
	struct live *l = *state;

	session_ended(l, 2, "81.6",
		      "{\"start\":1796527389.17,\"duration_s\":6.8,\"peak_kpa\":13.6,\"mean_kpa\":12.85,"
		      "\"class\":\"short\"},{\"start\":1796527469.17,\"duration_s\":74.8,\"peak_kpa\":14.92,"
		      "\"mean_kpa\":13.9,\"class\":\"long\"}");
	expect_last_session(live_device_at(l, 0), 1, 0, 1, 81.6);
}

/* Heat time adds up the steps between known temperatures that start with
 * heat on; too_hot raises the burn-risk flag until the temperature is half
 * a degree below the one it reported. */
static void test_heat(void **state)
{
	static const char heat_on[] = "{\"event\":\"heat_on\",\"run\":\"" RUN "\",\"mono\":36.632,"
				      "\"ts\":1796527345.669,\"temperature_c\":38.06}";
	static const char too_hot[] = "{\"event\":\"too_hot\",\"run\":\"" RUN "\",\"mono\":40,"
				      "\"ts\":1796527349.1,\"temperature_c\":45.02}";
	static const char heat_off[] = "{\"event\":\"heat_off\",\"run\":\"" RUN "\",\"mono\":50,"
				       "\"ts\":1796527359.1,\"temperature_c\":37.4}";
	struct live *l = *state;
	const struct live_device *d;

	assert_int_equal(reading(l, 1, 1796527345.669, "0.00", "38.06", 1), 0);
	assert_int_equal(event(l, heat_on), 0);
	d = live_device_at(l, 0);
	assert_true(d->heat_on);
	assert_near(d->heat_time_s, 0, 1e-9);
	assert_int_equal(reading(l, 2, 1796527346.669, "0.00", "39.00", 1), 0);
	assert_int_equal(reading(l, 3, 1796527347.169, "0.00", "null", 1), 0);	/* unknown */
	assert_int_equal(reading(l, 4, 1796527348.669, "0.00", "40.00", 1), 0);
	assert_near(d->heat_time_s, 3.0, 1e-6);
	assert_near(d->temperature_c, 40.0, 1e-9);

	assert_int_equal(reading(l, 5, 1796527349.1, "0.00", "45.02", 1), 0);
	assert_int_equal(event(l, too_hot), 0);
	assert_true(d->too_hot);
	assert_int_equal(reading(l, 6, 1796527350.1, "0.00", "44.60", 1), 0);
	assert_true(d->too_hot);
	assert_int_equal(reading(l, 7, 1796527351.1, "0.00", "44.40", 1), 0);
	assert_false(d->too_hot);
	assert_near(d->heat_time_s, 5.431, 1e-6);

	/* A silence longer than 5 s is a break: none of it is heat time. */
	assert_int_equal(reading(l, 8, 1796527358.1, "0.00", "38.00", 1), 0);
	assert_near(d->heat_time_s, 5.431, 1e-6);
	assert_int_equal(event(l, heat_off), 0);
	assert_false(d->heat_on);
	assert_int_equal(reading(l, 9, 1796527359.1, "0.00", "37.40", 1), 0);
	assert_near(d->heat_time_s, 5.431, 1e-6);
}

/* Offline 5 s after the last reading, or when the status says so. */
static void test_offline(void **state)
{
	struct live *l = *state;
	const struct live_device *d;

	assert_int_equal(feed(l, "rollsense/ball1/status", "online", 100), 0);
	d = live_device_at(l, 0);
	assert_false(d->online);	/* no reading yet */
	assert_string_equal(d->status, "online");
	assert_int_equal(reading(l, 1, 1796527345.0, "1.00", "30.00", 100), 0);
	assert_true(d->online);
	assert_int_equal(live_tick(l, 105), -1);
	assert_true(d->online);
	assert_int_equal(live_tick(l, 105.1), 0);
	assert_false(d->online);
	assert_int_equal(live_tick(l, 106), -1);

	assert_int_equal(reading(l, 2, 1796527346.0, "1.00", "30.00", 106), 0);
	assert_true(d->online);
	assert_int_equal(feed(l, "rollsense/ball1/status", "offline", 106.5), 0);
	assert_false(d->online);
	assert_string_equal(d->status, "offline");
	assert_int_equal(feed(l, "rollsense/ball1/status", "online", 107), 0);
	assert_true(d->online);
}

/* Each malformed message is counted and changes nothing; an event name the
 * view does not know is not malformed, and messages of other kinds or of
 * another prefix are not the view's. */
static void test_malformed(void **state)
{
	static const char *const bad_events[] = {
		"{\"event\":\"hold_started\"",
		"{\"event\":\"heat_on\",\"run\":\"" RUN "\",\"mono\":1,\"temperature_c\":38.1}",
		"{\"event\":\"heat_on\",\"run\":\"" RUN "\",\"mono\":1,\"ts\":1796527345,\"temperature_c\":\"hot\"}",
		"{\"event\":\"heat_on\",\"event\":\"heat_off\",\"run\":\"" RUN "\",\"mono\":1,\"ts\":1796527345,"
		"\"temperature_c\":38.1}",
		"{\"event\":\"hold_ended\",\"run\":\"" RUN "\",\"mono\":1,\"ts\":1796527345,"
		"\"hold\":{\"start\":1796527344.17,\"duration_s\":24.8,\"class\":\"medium\"}}",
		"{\"event\":\"session_started\",\"run\":\"XYZ\",\"mono\":1,\"ts\":1796527345}",
		"{\"event\":\"session_ended\",\"run\":\"" RUN "\",\"mono\":1,\"ts\":1796527345}",
		"[\"session_started\"]",
	};
	struct live *l = *state;
	char *before, *after;

	assert_int_equal(reading(l, 1, 1796527345.0, "12.00", "30.00", 100), 0);
	assert_int_equal(event(l, session_started), 0);
	before = json_of(live_device_at(l, 0));
	for (size_t i = 0; i < sizeof(bad_events) / sizeof(bad_events[0]); i++)
		assert_int_equal(event(l, bad_events[i]), -2);
	assert_int_equal(reading(l, 2, 1796527346.0, "\"high\"", "30.00", 100), -2);
	assert_int_equal(feed(l, "rollsense/ball1/reading", "{\"run\":\"" RUN "\",\"seq\":3}", 100), -2);
	assert_int_equal(feed(l, "rollsense/ball1/status", "maybe", 100), -2);
	assert_int_equal(feed(l, "rollsense/ball 1/reading", "{}", 100), -2);
	assert_int_equal(live_message(l, "rollsense/ball1/event", "{\"event\":\0}", 12, 100), -2);
	assert_int_equal(live_malformed(l), 13);

	assert_int_equal(event(l, "{\"event\":\"zone_changed\",\"run\":\"" RUN "\",\"mono\":1,"
				  "\"ts\":1796527345,\"zone\":\"back\"}"), -1);
	assert_int_equal(event(l, "{\"event\":\"hold_30s\",\"run\":\"" RUN "\",\"mono\":1,"
				  "\"ts\":1796527345}"), -1);
	assert_int_equal(feed(l, "rollsense/ball1/health", "{\"readings\":2}", 100), -1);
	assert_int_equal(feed(l, "other/ball1/reading", "{}", 100), -2);
	assert_int_equal(live_malformed(l), 14);
	after = json_of(live_device_at(l, 0));
	assert_string_equal(after, before);
	assert_int_equal(live_device_count(l), 1);
	free(before);
	free(after);
}

/* The device's view as the page receives it, every field, exactly. */
static void test_json(void **state)
{
	struct live *l = *state;
	char *text;

	feed(l, "rollsense/roller1/status", "online", 10);
	text = json_of(live_device_at(l, 0));
	assert_string_equal(text,
		"{\"device\":\"roller1\",\"online\":false,\"status\":\"online\",\"run\":null,\"ts\":null,"
		"\"pressure_kpa\":null,\"temperature_c\":null,\"zone\":null,\"zone_label\":null,"
		"\"faults\":null,\"heat_on\":false,\"too_hot\":false,\"in_session\":false,\"session_start_ts\":null,\"in_hold\":false,"
		"\"in_rolling\":false,\"hold_start_ts\":null,\"hold_s\":null,\"hold_class\":null,\"holds_short\":0,"
		"\"holds_effective\":0,\"holds_long\":0,\"hold_time_s\":0,\"heat_time_s\":0,"
		"\"last_session\":null}");
	free(text);

	assert_int_equal(event(l, session_started), 1);
	assert_int_equal(event(l, hold_started), 1);
	/* No zones set: the topic's label. */
	assert_int_equal(feed(l, "rollsense/ball1/zone", "{\"zone\":\"calf_left\",\"label\":"
			      "\"Left calf\",\"position\":12,\"of\":15}", 11), 1);
	assert_int_equal(feed(l, "rollsense/ball1/reading",
			      "{\"run\":\"" RUN "\",\"seq\":581,\"mono\":58.060,\"ts\":1796527356.47,"
			      "\"pressure_kpa\":null,\"temperature_c\":23.94,"
			      "\"faults\":{\"bmp280@sim:0x76\":\"no answer (NACK)\"}}", 11), 1);
	text = json_of(live_device_at(l, 1));
	assert_string_equal(text,
		"{\"device\":\"ball1\",\"online\":true,\"status\":null,\"run\":\"5e1f03c29a7b44d1\","
		"\"ts\":1796527356.47,\"pressure_kpa\":null,\"temperature_c\":23.94,"
		"\"zone\":\"calf_left\",\"zone_label\":\"Left calf\","
		"\"faults\":\"bmp280@sim:0x76: no answer (NACK)\",\"heat_on\":false,\"too_hot\":false,"
		"\"in_session\":true,\"session_start_ts\":1796527319.469,\"in_hold\":true,"
		"\"in_rolling\":false,\"hold_start_ts\":1796527344.17,\"hold_s\":12.3,\"hold_class\":\"short\","
		"\"holds_short\":0,\"holds_effective\":0,\"holds_long\":0,\"hold_time_s\":0,"
		"\"heat_time_s\":0,\"last_session\":null}");
	free(text);
}

/* A reading of a new run (sensord restarted) closes what the old run had
 * open: its hold and session will never get their events. */
static void test_new_run(void **state)
{
	struct live *l = *state;
	const struct live_device *d;

	assert_int_equal(event(l, session_started), 0);
	assert_int_equal(event(l, hold_started), 0);
	assert_int_equal(reading(l, 400, 1796527349.17, "15.20", "36.10", 1), 0);
	assert_int_equal(feed(l, "rollsense/ball1/reading",
			      "{\"run\":\"00000000000000aa\",\"seq\":1,\"mono\":0.1,\"ts\":1796527400.1,"
			      "\"pressure_kpa\":0.10,\"temperature_c\":36.00}", 2), 0);
	d = live_device_at(l, 0);
	assert_false(d->in_session);
	assert_false(d->in_hold);
	assert_true(d->has_last_session);
	assert_near(d->last_session_duration_s, 29.701, 1e-6);
	assert_string_equal(d->run, "00000000000000aa");
}

/* Devices beyond LIVE_MAX_DEVICES are left out and counted. */
static void test_device_limit(void **state)
{
	struct live *l = *state;
	char topic[64];

	for (int i = 0; i < 65; i++) {
		snprintf(topic, sizeof(topic), "rollsense/dev%d/status", i);
		assert_int_equal(feed(l, topic, "online", 1), i < 64 ? i : -1);
	}
	assert_int_equal(live_device_count(l), 64);
	assert_int_equal(live_ignored(l), 1);
	assert_int_equal(feed(l, "rollsense/dev63/status", "offline", 1), 63);
	assert_int_equal(live_ignored(l), 1);
	assert_int_equal(live_malformed(l), 0);
}

/* Two zones, one label with a character HTML escapes. */
static const struct zones_cfg zones = {
	.n = 2, .zone = { { "calf_left", "Left calf" }, { "neck", "Neck & top" } },
};
static const struct zones_cfg no_zones;

/* The page: a phone's viewport, dark mode, the navigation, the stream it
 * opens, what it says before any device and without JavaScript, the
 * detector's thresholds (here not the defaults: holds from 12.5 kPa,
 * effective from 8 s, long above 45 s) for the script, the tare button
 * only when commands are on, and nothing from elsewhere. */
static void test_page(void **state)
{
	static const struct detector_cfg det = {
		.contact_kpa = 2, .hold_start_kpa = 12.5, .hold_end_kpa = 8, .bridge_s = 1,
		.min_hold_s = 5, .effective_s = 8, .long_s = 45, .idle_s = 120, .heat_c = 38,
		.heat_hysteresis_c = 0.5, .hot_c = 45,
	};
	static const char *const needles[] = {
		"<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">",
		"@media (prefers-color-scheme:dark)",
		/* The badge and the banner are hidden by the attribute, which
		 * the stylesheet's own display must not override. */
		"[hidden]{display:none!important}",
		"<a href=\"/\" aria-current=\"page\">Live</a><a href=\"/sessions\">Sessions</a>"
		"<a href=\"/history\">History</a>",
		"new EventSource(\"/events\")",
		"addEventListener(\"device\"",
		"<p id=\"waiting\" class=\"muted\">waiting for a device…</p>",
		"<p id=\"conn\" class=\"banner\" hidden>reconnecting…</p>",
		"<noscript><p>The live view needs JavaScript",
		"<div id=\"devices\" data-commands=\"0\" data-hold-start-kpa=\"12.5\" "
		"data-effective-s=\"8\" data-long-s=\"45\"></div>",
		"box.dataset.holdStartKpa",
		"box.dataset.effectiveS",
		"box.dataset.longS",
	};
	struct textbuf b;
	const char *page;

	(void)state;
	textbuf_init(&b, 0);
	live_page_html(&b, false, &det, &zones);
	page = textbuf_text(&b);
	assert_false(textbuf_failed(&b));
	assert_true(strncmp(page, "<!DOCTYPE html>\n", 16) == 0);
	assert_non_null(strstr(page, pages_css));	/* the look every page shares */
	for (size_t i = 0; i < sizeof(needles) / sizeof(needles[0]); i++)
		if (!strstr(page, needles[i]))
			fail_msg("the live page lacks %s", needles[i]);
	/* Nothing from elsewhere. */
	assert_null(strstr(page, "http:"));
	assert_null(strstr(page, "https:"));
	assert_null(strstr(page, "@import"));
	/* The default threshold is nowhere written in: the script takes det's. */
	assert_null(strstr(page, "10 kPa"));
	assert_true(strlen(page) < 12000);
	assert_true(strcmp(page + strlen(page) - 8, "</html>\n") == 0);
	/* Commands off: no picker, though zones are configured. */
	assert_null(strstr(page, "<template id=\"zones\">"));
	textbuf_reset(&b);
	live_page_html(&b, true, &det, &zones);
	page = textbuf_text(&b);
	assert_non_null(strstr(page, "data-commands=\"1\""));
	/* The picker's choices: no zone first, then the config's in order,
	 * labels escaped. */
	assert_non_null(strstr(page, "<template id=\"zones\"><option value=\"none\">no zone</option>"
			       "<option value=\"calf_left\">Left calf</option>"
			       "<option value=\"neck\">Neck &amp; top</option></template>\n"));
	assert_non_null(strstr(page, "JSON.stringify({zone: c.pick.value})"));
	assert_true(strlen(page) < 14000);
	/* Zones off (an empty list): commands, but no picker. */
	textbuf_reset(&b);
	live_page_html(&b, true, &det, &no_zones);
	assert_null(strstr(textbuf_text(&b), "<template id=\"zones\">"));
	assert_non_null(strstr(textbuf_text(&b), "c.zone.textContent = \"Zone: \""));
	textbuf_free(&b);
}

/* The zone topic (docs/protocol.md, "Zones"), as sensord publishes it: the
 * view takes the zone and shows the config's label (not the topic's), the
 * topic's for a zone the config lacks; null and an empty (cleared) message
 * are no zone; anything else is malformed and changes nothing. */
static void test_zone(void **state)
{
	struct live *l = *state;
	const struct live_device *d;
	char *json;

	live_set_zones(l, &zones);
	assert_int_equal(feed(l, "rollsense/ball1/zone", "{\"zone\":\"calf_left\",\"label\":"
			      "\"Wade gauche\",\"position\":1,\"of\":2}", 0), 0);
	d = live_device_at(l, 0);
	assert_string_equal(d->zone, "calf_left");
	assert_string_equal(d->zone_label, "Left calf");
	json = json_of(d);
	assert_non_null(strstr(json, ",\"temperature_c\":null,\"zone\":\"calf_left\","
			       "\"zone_label\":\"Left calf\",\"faults\":null,"));
	free(json);
	/* A zone the config lacks: the topic's label. */
	assert_int_equal(feed(l, "rollsense/ball1/zone", "{\"zone\":\"knee\",\"label\":\"Knee\","
			      "\"position\":3,\"of\":3}", 0), 0);
	assert_string_equal(d->zone_label, "Knee");
	assert_int_equal(feed(l, "rollsense/ball1/zone", "{\"zone\":\"knee2\"}", 0), 0);
	assert_string_equal(d->zone_label, "knee2");
	/* Refused: not a zone name, "none" (a command's word, not a zone),
	 * twice the key, not JSON. The zone stays. */
	assert_int_equal(feed(l, "rollsense/ball1/zone", "{\"zone\":\"Calf Left\"}", 0), -2);
	assert_int_equal(feed(l, "rollsense/ball1/zone", "{\"zone\":\"none\"}", 0), -2);
	assert_int_equal(feed(l, "rollsense/ball1/zone", "{\"zone\":5}", 0), -2);
	assert_int_equal(feed(l, "rollsense/ball1/zone",
			      "{\"zone\":\"neck\",\"zone\":\"calf_left\"}", 0), -2);
	assert_int_equal(feed(l, "rollsense/ball1/zone", "calf_left", 0), -2);
	assert_int_equal(live_malformed(l), 5);
	assert_string_equal(d->zone, "knee2");
	assert_int_equal(feed(l, "rollsense/ball1/zone", "{\"zone\":null,\"label\":null,"
			      "\"position\":0,\"of\":2}", 0), 0);
	assert_string_equal(d->zone, "");
	assert_string_equal(d->zone_label, "");
	json = json_of(d);
	assert_non_null(strstr(json, "\"zone\":null,\"zone_label\":null"));
	free(json);
	assert_int_equal(feed(l, "rollsense/ball1/zone", "{\"zone\":\"neck\"}", 0), 0);
	assert_string_equal(d->zone_label, "Neck & top");
	assert_int_equal(live_message(l, "rollsense/ball1/zone", "", 0, 0), 0);
	assert_string_equal(d->zone, "");
}

static int setup(void **state)
{
	*state = live_new("rollsense");
	return *state ? 0 : -1;
}

static int teardown(void **state)
{
	live_free(*state);
	return 0;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_hold_timer, setup, teardown),
		cmocka_unit_test_setup_teardown(test_hold_event_first, setup, teardown),
		cmocka_unit_test_setup_teardown(test_hold_ended_lost, setup, teardown),
		cmocka_unit_test_setup_teardown(test_session_totals, setup, teardown),
		cmocka_unit_test_setup_teardown(test_rolling, setup, teardown),
		cmocka_unit_test_setup_teardown(test_late_view, setup, teardown),
		cmocka_unit_test_setup_teardown(test_heat, setup, teardown),
		cmocka_unit_test_setup_teardown(test_offline, setup, teardown),
		cmocka_unit_test_setup_teardown(test_malformed, setup, teardown),
		cmocka_unit_test_setup_teardown(test_json, setup, teardown),
		cmocka_unit_test_setup_teardown(test_new_run, setup, teardown),
		cmocka_unit_test_setup_teardown(test_device_limit, setup, teardown),
		cmocka_unit_test_setup_teardown(test_zone, setup, teardown),
		cmocka_unit_test(test_page),
	};

	tests_select();
	return cmocka_run_group_tests_name("test_live", tests, NULL, NULL);
}
