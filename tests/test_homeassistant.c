/* Tests for collector/homeassistant.c: when the retained week and advice
 * go out and what they say at the turn of a day and of an ISO week, with
 * the wall clock given to homeassistant_tick (no real clock) and a publish
 * that records. The sessions are stored with store.c in a fresh folder.
 *
 * The left shoulder is treated (one effective 30 s hold, 10:00 local) on
 * t-19, -17, -15, -12, -10, -8, -4, -2 and t, with t Saturday 2026-11-28
 * at +01:00. By hand (as tests/it_weeks.c counts the same script): on t+1,
 * Sunday the 29th, the last three rolling weeks (Nov 23-29, 16-22, 9-15)
 * hold 3, 3 and 3 days (see a professional); on t+2, Monday the 30th, the
 * week before the last (Nov 17-23) holds the 18th and 20th only, so the
 * advice clears at local midnight. ISO week 48 (Nov 23-29) holds the 24th,
 * 26th and 28th: 3 days, 90 s; W49 starts on Monday the 30th with zeros.
 * Instants from `TZ='<+01>-1' date -d "2026-11-29 23:59" +%s`. */
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

#include "homeassistant.h"
#include "store.h"
#include "unit.h"

#define T_SUN_2359 1795993140.0		/* Sunday 2026-11-29 23:59:00 +01:00 */
#define T_MON_0000 1795993230.0		/* Monday 2026-11-30 00:00:30 +01:00 */
#define T_MON_1200 1796036400.0		/* Monday 2026-11-30 12:00:00 +01:00 */
#define T_SAT_1000 1795856400.0		/* Saturday 2026-11-28 10:00:00 +01:00 (t) */

static const int shoulder_back[] = { 19, 17, 15, 12, 10, 8, 4, 2, 0 };

/* What the collector published: the last payload per topic, and how many
 * messages in all. */
struct sink {
	char topic[256][128];
	char *payload[256];
	size_t n_topics, published;
};

static int sink_publish(void *ctx, const char *topic, const char *payload, size_t len,
			bool retained)
{
	struct sink *k = ctx;
	size_t i;

	assert_true(retained);
	for (i = 0; i < k->n_topics && strcmp(k->topic[i], topic) != 0; i++)
		;
	if (i == k->n_topics) {
		assert_true(k->n_topics < 256);
		snprintf(k->topic[k->n_topics++], sizeof(k->topic[0]), "%s", topic);
	}
	free(k->payload[i]);
	k->payload[i] = strndup(payload, len);
	assert_non_null(k->payload[i]);
	k->published++;
	return 0;
}

/* The last payload on topic, parsed; fails if none came. */
static cJSON *sink_json(const struct sink *k, const char *topic)
{
	for (size_t i = 0; i < k->n_topics; i++)
		if (strcmp(k->topic[i], topic) == 0)
			return cJSON_Parse(k->payload[i]);
	fail_msg("nothing published on %s", topic);
	return NULL;
}

/* The last week payload, which must be for week, Monday from to Sunday to. */
static cJSON *week_json(const struct sink *k, const char *week, const char *from, const char *to)
{
	cJSON *j = sink_json(k, "rollsense/ball1/week");

	assert_string_equal(json_str(j, "week"), week);
	assert_string_equal(json_str(j, "from"), from);
	assert_string_equal(json_str(j, "to"), to);
	return j;
}

static void sink_free(struct sink *k)
{
	for (size_t i = 0; i < k->n_topics; i++)
		free(k->payload[i]);
}

static int setup(void **state)
{
	struct detector_summary *s = calloc(1, sizeof(*s));
	struct unit_dir *fx;
	struct store *st;
	char err[256];
	int64_t run_id;

	setenv("TZ", "<+01>-1", 1);
	tzset();
	if (!s || unit_dir_setup(state, "test_homeassistant", "collector.db") < 0)
		return -1;
	fx = *state;
	st = store_open(fx->path, err, sizeof(err));
	if (!st || store_begin(st) < 0 || store_run_id(st, "ball1", "00000000000000a1", &run_id) < 0)
		return -1;
	for (size_t i = 0; i < sizeof(shoulder_back) / sizeof(shoulder_back[0]); i++) {
		double start_ts = T_SAT_1000 - 86400.0 * shoulder_back[i], hold_ts = start_ts + 10;
		struct detector_zone_total *z = &s->zones[0];

		memset(s, 0, sizeof(*s));
		s->start_mono_s = 1000.0 * (double)(i + 1);
		s->end_mono_s = s->start_mono_s + 300;
		s->duration_s = 300;
		s->max_temperature_c = NAN;
		s->hold_count = s->holds_stored = 1;
		s->hold_time_s = 30;
		s->holds[0] = (struct detector_hold){ s->start_mono_s + 10, 30, 16, 14,
						      DETECTOR_HOLD_EFFECTIVE, 0 };
		s->n_zones = 1;
		snprintf(z->zone, sizeof(z->zone), "shoulder_left");
		z->holds = 1;
		z->class_holds[DETECTOR_HOLD_EFFECTIVE] = 1;
		z->hold_time_s = 30;
		if (store_session_insert(st, run_id, s, start_ts, start_ts + 300, &hold_ts,
					 NULL) != 1)
			return -1;
	}
	free(s);
	if (store_commit(st) < 0)
		return -1;
	store_close(st);
	return 0;
}

/* The collector's side as main.c puts it together: the configuration's
 * defaults, the fixture's database, the recording publish. */
struct rig {
	struct rs_config cfg;
	struct store *st;
	struct sink k;
	struct homeassistant *ha;
};

static struct rig *rig_open(const struct unit_dir *fx)
{
	struct rig *r = calloc(1, sizeof(*r));
	char err[256];

	assert_non_null(r);
	config_defaults(&r->cfg);
	r->st = store_open(fx->path, err, sizeof(err));
	if (!r->st)
		fail_msg("%s", err);
	return r;
}

/* Makes the Home Assistant side on what the database holds now. */
static void rig_start(struct rig *r)
{
	struct ingest_env env = { &r->cfg, r->st, sink_publish, &r->k };

	r->ha = homeassistant_new(&env);
	assert_non_null(r->ha);
}

static void rig_close(struct rig *r)
{
	homeassistant_free(r->ha);
	store_close(r->st);
	sink_free(&r->k);
	free(r);
}

/* Sunday 23:59 the advice says see a professional and the week is W48;
 * half a minute after midnight, with no session in between, both are
 * published again: the advice cleared, W49 all zeros. Later that day
 * nothing more goes out until a session summary does. */
static void test_midnight_clears_and_new_week(void **state)
{
	struct rig *r = rig_open(*state);
	struct sink *k = &r->k;
	struct homeassistant *ha;
	cJSON *j;
	size_t before;

	rig_start(r);
	ha = r->ha;
	homeassistant_tick(ha, T_SUN_2359);
	j = sink_json(k, "rollsense/ball1/advice");
	assert_string_equal(json_str(j, "date"), "2026-11-29");
	assert_true(cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(j, "problem")));
	assert_string_equal(json_str(cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(
						   j, "see_professional"), 0), "zone"),
			    "shoulder_left");
	cJSON_Delete(j);
	j = week_json(k, "2026-W48", "2026-11-23", "2026-11-29");
	assert_true(json_num(j, "zones.shoulder_left.days") == 3);
	assert_true(json_num(j, "zones.shoulder_left.effective") == 3);
	assert_near(json_num(j, "zones.shoulder_left.hold_time_s"), 90, 1e-9);
	cJSON_Delete(j);

	/* Nothing due a moment later, the same day. */
	before = k->published;
	homeassistant_tick(ha, T_SUN_2359 + 30);
	assert_int_equal(k->published, before);

	homeassistant_tick(ha, T_MON_0000);
	j = sink_json(k, "rollsense/ball1/advice");
	assert_string_equal(json_str(j, "date"), "2026-11-30");
	assert_true(cJSON_IsFalse(cJSON_GetObjectItemCaseSensitive(j, "problem")));
	assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(j, "zones")), 0);
	cJSON_Delete(j);
	j = week_json(k, "2026-W49", "2026-11-30", "2026-12-06");
	assert_true(json_num(j, "zones.shoulder_left.days") == 0);
	assert_true(json_num(j, "total.holds") == 0);
	cJSON_Delete(j);
	j = sink_json(k, "rollsense/ball1/today");
	assert_string_equal(json_str(j, "date"), "2026-11-30");
	assert_true(json_num(j, "sessions") == 0);
	cJSON_Delete(j);

	/* Noon: nothing new until a session summary goes out for ball1. */
	before = k->published;
	homeassistant_tick(ha, T_MON_1200);
	assert_int_equal(k->published, before);
	homeassistant_published(ha, "rollsense/ball1/session");
	homeassistant_tick(ha, T_MON_1200 + 1);
	assert_int_equal(k->published, before + 3);	/* today, week, advice */
	rig_close(r);
}

/* More devices in the database than are followed (64): the 64 heard from
 * last are, whatever their names. 65 devices, d00 heard from first and d64
 * last (setup's ball1 has no reading: never heard from): after the start
 * tick d64 has its week, d00 has none. */
static void test_most_recent_devices_followed(void **state)
{
	struct rig *r = rig_open(*state);
	bool d00 = false, d64 = false;

	r->cfg.homeassistant.enabled = false;	/* no discovery: fewer topics */
	assert_int_equal(store_begin(r->st), 0);
	for (int i = 64; i >= 0; i--) {
		struct reading rd = { .seq = 1, .mono = 1, .ts = T_SAT_1000 + i,
				      .pressure_kpa = NAN, .temperature_c = NAN };
		char device[8];
		int64_t run_id;

		snprintf(device, sizeof(device), "d%02d", i);
		snprintf(rd.run, sizeof(rd.run), "%016x", 0xd00 + i);
		assert_int_equal(store_run_id(r->st, device, rd.run, &run_id), 0);
		assert_int_equal(store_reading_insert(r->st, run_id, &rd), STORE_READING_NEW);
	}
	assert_int_equal(store_commit(r->st), 0);
	rig_start(r);
	homeassistant_tick(r->ha, T_MON_1200);
	for (size_t i = 0; i < r->k.n_topics; i++) {
		d00 |= strcmp(r->k.topic[i], "rollsense/d00/week") == 0;
		d64 |= strcmp(r->k.topic[i], "rollsense/d64/week") == 0;
	}
	assert_false(d00);
	assert_true(d64);
	rig_close(r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_midnight_clears_and_new_week, setup,
						unit_fixture_teardown),
		cmocka_unit_test_setup_teardown(test_most_recent_devices_followed, setup,
						unit_fixture_teardown),
	};

	tests_select();
	return cmocka_run_group_tests(tests, NULL, NULL);
}
