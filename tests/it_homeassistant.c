/* Integration: Home Assistant discovery from the real daemons on a real
 * mosquitto. sensord on simulated chips plays one 12 s hold; the collector
 * turns it into a session. The retained discovery configs, the health and
 * today topics are read back with mosquitto_sub and checked field by field;
 * every entity's value_template is followed by hand through the payload
 * really published on its topic (week, advice, zone, event included);
 * "online" on homeassistant/status makes both send discovery again; the
 * collector's availability topic says online, and offline once it stopped;
 * with homeassistant.enabled false nothing appears under homeassistant/. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "select.h"

#include <ctype.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cJSON.h>

#include "harness.h"
#include "unit.h"

#define SENSORD_CONFIG_TOPIC "homeassistant/device/rollsense_ball1/config"
#define COLLECTOR_CONFIG_TOPIC "homeassistant/device/rollsense_ball1_sessions/config"

struct fixture {
	struct harness_env env;	/* first; each test subscribes itself */
	pid_t sensord, collector;
};

static int setup(void **state)
{
	*state = harness_fixture_new(sizeof(struct fixture), "it-ha", NULL);
	return *state ? 0 : -1;
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	if (f->sensord > 0)
		harness_stop(f->sensord, SIGTERM, 10);
	if (f->collector > 0)
		harness_stop(f->collector, SIGTERM, 10);
	harness_fixture_free(*state);
	return 0;
}

/* A 12 s hold at 15 kPa from 2 s; the session closes 3 s after the last
 * contact (detector.idle_s 3); five times faster than real time. */
static void start_daemons(struct fixture *f, bool enabled)
{
	char s_bin[300], c_bin[300];	/* harness_bin() reuses one buffer */
	char *s_argv[] = { s_bin, "--config", f->env.cfg, NULL };
	char *c_argv[] = { c_bin, "--config", f->env.cfg, NULL };

	snprintf(s_bin, sizeof(s_bin), "%s", harness_bin("rollsense-sensord"));
	snprintf(c_bin, sizeof(c_bin), "%s", harness_bin("rollsense-collector"));

	harness_write_file(f->env.scn,
			   "chip ball bmp280 0x76 sealed\n"
			   "chip pad mcp9808 0x18\n"
			   "at 0 pad temperature_c 30\n"
			   "ramp 1 2 ball load_kpa 15\n"
			   "at 14 ball load_kpa 15\n"
			   "ramp 14 15 ball load_kpa 0\n");
	/* The daemons' defaults for flushing, committing and running on. */
	assert_int_equal(harness_write_config(&f->env,
					      "homeassistant.enabled=%s\n"
					      "detector.idle_s=3\n"
					      "collector.commit_s=-\n"
					      "sensord.flush_s=-\n"
					      "sensord.simulation.time_scale=5\n"
					      "sensord.simulation.exit_at_end=-\n",
					      enabled ? "true" : "false"),
			 0);
	f->collector = harness_spawn(f->env.collector_log, c_argv);
	assert_true(f->collector > 0);
	f->sensord = harness_spawn(f->env.sensord_log, s_argv);
	assert_true(f->sensord > 0);
}

/* The payload of the last line for topic in mosquitto_sub -v output whose
 * payload holds needle ("": any), parsed (NULL if none); count gets how
 * many lines had that topic. */
static cJSON *last_message_with(const char *out_path, const char *topic, const char *needle,
				int *count)
{
	char *text = harness_read_file(out_path), *line, *save = NULL;
	const char *last = NULL;
	cJSON *j = NULL;
	size_t tlen = strlen(topic);

	*count = 0;
	if (!text)
		return NULL;
	for (line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		if (strncmp(line, topic, tlen) == 0 && line[tlen] == ' ') {
			if (strstr(line + tlen + 1, needle))
				last = line + tlen + 1;
			(*count)++;
		}
	}
	if (last)
		j = cJSON_Parse(last);
	free(text);
	return j;
}

static cJSON *last_message(const char *out_path, const char *topic, int *count)
{
	return last_message_with(out_path, topic, "", count);
}

/* Follows the field path written after "value_json" at tpl (".a", "['b']",
 * ".c" ... as Jinja reads them) in payload, by hand: the item it names, or
 * NULL when the payload has no such field. *end: where the path stops. */
static const cJSON *template_path(const cJSON *payload, const char *tpl, const char **end)
{
	const cJSON *at = payload;
	char name[80];

	for (;;) {
		size_t n = 0;

		if (*tpl == '.') {
			for (tpl++; n + 1 < sizeof(name) && (isalnum((unsigned char)*tpl) ||
							     *tpl == '_'); tpl++)
				name[n++] = *tpl;
		} else if (strncmp(tpl, "['", 2) == 0) {
			for (tpl += 2; n + 1 < sizeof(name) && *tpl && *tpl != '\''; tpl++)
				name[n++] = *tpl;
			assert_true(strncmp(tpl, "']", 2) == 0);
			tpl += 2;
		} else {
			break;
		}
		name[n] = '\0';
		at = at ? cJSON_GetObjectItemCaseSensitive(at, name) : NULL;
	}
	*end = tpl;
	return at;
}

/* Each entity of the discovery config j against what is really published
 * on the topic it names (in the mosquitto_sub output rs_out): every
 * value_json field its value_template reads is in the payload, a number
 * where the entity shows one; its attributes topic carries an object; a
 * select's value is one of its options. A trigger is read against a
 * hold_ended event, the one it is for. Returns how many entities read a
 * topic. */
static int check_templates(const cJSON *j, const char *rs_out)
{
	const cJSON *c;
	int checked = 0;

	cJSON_ArrayForEach(c, cJSON_GetObjectItemCaseSensitive(j, "cmps")) {
		const char *tpl = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(c,
											"value_template"));
		const char *topic = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(c,
											  "state_topic"));
		const char *attrs = cJSON_GetStringValue(
			cJSON_GetObjectItemCaseSensitive(c, "json_attributes_topic"));
		const char *platform = json_str(c, "platform");
		bool trigger = strcmp(platform, "device_automation") == 0;
		const char *at, *end;
		cJSON *payload;
		int fields = 0, n;

		if (trigger)
			topic = json_str(c, "topic");
		if (!topic || !tpl)
			continue;
		payload = last_message_with(rs_out, topic, trigger ? "\"event\":\"hold_ended\"" : "",
					    &n);
		if (!payload)
			fail_msg("%s: nothing published on %s", c->string, topic);
		for (at = strstr(tpl, "value_json"); at; at = strstr(end, "value_json")) {
			const cJSON *v = template_path(payload, at + strlen("value_json"), &end);

			if (!v)
				fail_msg("%s: %s reads a field that %s does not have:\n%s", c->string,
					 tpl, topic, cJSON_PrintUnformatted(payload));
			/* A plain "{{ value_json.x }}" of a sensor with a unit, or
			 * one piped into timestamp_custom, needs a number. */
			if (strcmp(platform, "sensor") == 0 && !cJSON_IsNumber(v))
				fail_msg("%s: %s gives no number from %s", c->string, tpl, topic);
			fields++;
		}
		assert_true(fields > 0);
		if (strcmp(platform, "select") == 0) {
			const cJSON *zone = cJSON_GetObjectItemCaseSensitive(payload, "zone");
			const char *value = cJSON_IsString(zone) ? zone->valuestring : "none";
			const cJSON *o;
			bool found = false;

			cJSON_ArrayForEach(o, cJSON_GetObjectItemCaseSensitive(c, "options"))
				found |= strcmp(o->valuestring, value) == 0;
			if (!found)
				fail_msg("%s: %s is not one of its options", c->string, value);
		}
		cJSON_Delete(payload);
		if (attrs) {
			payload = last_message_with(rs_out, attrs, "", &n);
			if (!cJSON_IsObject(payload))
				fail_msg("%s: %s carries no JSON object", c->string, attrs);
			cJSON_Delete(payload);
		}
		checked++;
	}
	return checked;
}

static void check_device(const cJSON *j)
{
	const cJSON *dev = cJSON_GetObjectItemCaseSensitive(j, "dev");
	const cJSON *ids = cJSON_GetObjectItemCaseSensitive(dev, "identifiers");

	assert_string_equal(cJSON_GetArrayItem(ids, 0)->valuestring, "rollsense_ball1");
	assert_string_equal(json_str(dev, "name"), "rollsense ball1");
	assert_string_equal(json_str(j, "o.name"), "rollsense");
	assert_string_equal(json_str(j, "o.sw_version"), ROLLSENSE_VERSION);
}

static void wait_or_fail(struct fixture *f, const char *path, const char *needle, double s)
{
	if (!harness_wait_file_contains(path, needle, s)) {
		char *a = harness_read_file(f->env.sensord_log), *b = harness_read_file(f->env.collector_log);

		fail_msg("\"%s\" not seen within %.0f s\nsensord:\n%s\ncollector:\n%s", needle, s,
			 a ? a : "", b ? b : "");
	}
}

static void test_discovery(void **state)
{
	struct fixture *f = *state;
	char out[300], late[300], rs_out[300];
	pid_t sub, late_sub, rs_sub;
	int n_s, n_c, n_s2, n_c2, n;
	const cJSON *c;
	cJSON *j, *session, *today, *health;

	snprintf(out, sizeof(out), "%s/ha.out", f->env.dir);
	snprintf(rs_out, sizeof(rs_out), "%s/rs.out", f->env.dir);
	sub = harness_subscribe(&f->env.broker, "homeassistant/#", "it-ha", out);
	rs_sub = harness_subscribe(&f->env.broker, "rollsense/#", "it-ha-rs", rs_out);
	start_daemons(f, true);
	wait_or_fail(f, out, SENSORD_CONFIG_TOPIC " ", 15);
	/* The collector knows ball1 from its first reading. */
	wait_or_fail(f, out, COLLECTOR_CONFIG_TOPIC " ", 15);

	/* Retained: a client that subscribes now still gets both. */
	snprintf(late, sizeof(late), "%s/late.out", f->env.dir);
	late_sub = harness_subscribe(&f->env.broker, "homeassistant/#", "it-ha-late", late);
	wait_or_fail(f, late, SENSORD_CONFIG_TOPIC " ", 5);
	wait_or_fail(f, late, COLLECTOR_CONFIG_TOPIC " ", 5);
	harness_stop(late_sub, SIGTERM, 5);

	j = last_message(late, SENSORD_CONFIG_TOPIC, &n);
	assert_non_null(j);
	check_device(j);
	c = json_obj(j, "cmps.pressure");
	expect_json_strs(c, "platform", "sensor", "unique_id", "rollsense_ball1_pressure",
			 "state_topic", "rollsense/ball1/reading",
			 "value_template", "{{ value_json.pressure_kpa }}", "unit_of_measurement", "kPa",
			 "device_class", "pressure", NULL);
	assert_string_equal(json_str(cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(c, "availability"), 0),
				"topic"), "rollsense/ball1/status");
	expect_json_strs(json_obj(j, "cmps.temperature"), "unit_of_measurement", "°C",
			 "device_class", "temperature", NULL);
	expect_json_strs(json_obj(j, "cmps.chip_faults"), "state_topic", "rollsense/ball1/health",
			 "entity_category", "diagnostic", NULL);
	expect_json_strs(json_obj(j, "cmps.connected"), "platform", "binary_sensor",
			 "state_topic", "rollsense/ball1/status", NULL);
	cJSON_Delete(j);

	j = last_message(late, COLLECTOR_CONFIG_TOPIC, &n);
	assert_non_null(j);
	check_device(j);
	c = json_obj(j, "cmps.today_hold_time");
	assert_string_equal(json_str(c, "state_topic"), "rollsense/ball1/today");
	assert_string_equal(json_str(c, "state_class"), "total_increasing");
	assert_string_equal(json_str(c, "unique_id"), "rollsense_ball1_today_hold_time");
	c = json_obj(j, "cmps.last_hold_count");
	assert_string_equal(json_str(c, "state_topic"), "rollsense/ball1/session");
	assert_string_equal(json_str(cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(c, "availability"), 0),
				"topic"), "rollsense/collector");
	c = json_obj(j, "cmps.hold_effective");
	assert_string_equal(json_str(c, "platform"), "device_automation");
	assert_string_equal(json_str(c, "topic"), "rollsense/ball1/event");
	assert_string_equal(json_str(c, "payload"), "effective");
	cJSON_Delete(j);

	/* The state topics the entities read exist and carry those fields:
	 * a hold_ended event, the health counters, the session and today's
	 * totals agreeing with it (one session, one ~12 s hold). */
	wait_or_fail(f, rs_out, "\"event\":\"hold_ended\"", 45);
	wait_or_fail(f, rs_out, "rollsense/ball1/session ", 45);
	wait_or_fail(f, rs_out, "\"sessions\":1,", 10);
	/* The collector's entities' availability. */
	wait_or_fail(f, rs_out, "rollsense/collector online", 5);
	health = last_message(rs_out, "rollsense/ball1/health", &n);
	assert_non_null(health);
	assert_true(json_num(health, "chip_faults") == 0);
	assert_true(json_num(health, "readings") >= 1);
	session = last_message(rs_out, "rollsense/ball1/session", &n);
	today = last_message(rs_out, "rollsense/ball1/today", &n);
	assert_non_null(session);
	assert_non_null(today);
	assert_true(json_num(session, "hold_count") == 1);
	assert_true(json_num(today, "sessions") == 1);
	assert_true(json_num(today, "hold_count") == json_num(session, "hold_count"));
	assert_float_equal(json_num(today, "hold_time_s"), json_num(session, "hold_time_s"), 0.051);
	assert_float_equal(json_num(today, "heat_time_s"), json_num(session, "heat_time_s"), 0.051);
	assert_true(json_num(session, "hold_time_s") > 11 && json_num(session, "hold_time_s") < 14);
	/* The simulated ball has no gyroscope: nothing is rolling. */
	assert_true(json_num(session, "rolling_time_s") == 0);
	cJSON_Delete(health);
	cJSON_Delete(session);
	cJSON_Delete(today);

	/* Every entity's template against what its topic really carries:
	 * sensord's 4 with a template (pressure, temperature, chip faults, zone),
	 * the collector's 9 session and today sensors, its 15 weekly ones, the
	 * advice and the 3 triggers. */
	wait_or_fail(f, rs_out, "rollsense/ball1/week ", 10);
	j = last_message(late, SENSORD_CONFIG_TOPIC, &n);
	assert_int_equal(check_templates(j, rs_out), 4);
	cJSON_Delete(j);
	j = last_message(late, COLLECTOR_CONFIG_TOPIC, &n);
	assert_int_equal(check_templates(j, rs_out), 9 + 15 + 1 + 3);
	cJSON_Delete(j);

	/* Home Assistant restarts: both send their discovery again. */
	cJSON_Delete(last_message(out, SENSORD_CONFIG_TOPIC, &n_s));
	cJSON_Delete(last_message(out, COLLECTOR_CONFIG_TOPIC, &n_c));
	assert_int_equal(harness_publish(&f->env.broker, "homeassistant/status", "online", false), 0);
	for (int i = 0; i < 100; i++) {
		cJSON_Delete(last_message(out, SENSORD_CONFIG_TOPIC, &n_s2));
		cJSON_Delete(last_message(out, COLLECTOR_CONFIG_TOPIC, &n_c2));
		if (n_s2 > n_s && n_c2 > n_c)
			break;
		harness_sleep(0.05);
	}
	print_message("discovery messages before/after \"online\": sensord %d/%d, collector %d/%d\n",
		      n_s, n_s2, n_c, n_c2);
	assert_true(n_s2 > n_s);
	assert_true(n_c2 > n_c);

	/* The collector stops cleanly: its entities go unavailable (a clean
	 * disconnect sends no will: it says so itself). */
	harness_assert_exit_ok("collector", f->env.collector_log, harness_stop(f->collector, SIGTERM, 10));
	f->collector = 0;
	wait_or_fail(f, rs_out, "rollsense/collector offline", 5);
	harness_stop(sub, SIGTERM, 5);
	harness_stop(rs_sub, SIGTERM, 5);
}

static void test_disabled(void **state)
{
	struct fixture *f = *state;
	char out[300], rs_out[300], *text;
	pid_t sub, rs_sub;

	snprintf(out, sizeof(out), "%s/ha.out", f->env.dir);
	snprintf(rs_out, sizeof(rs_out), "%s/rs.out", f->env.dir);
	sub = harness_subscribe(&f->env.broker, "homeassistant/#", "it-ha-off", out);
	rs_sub = harness_subscribe(&f->env.broker, "rollsense/#", "it-ha-off-rs", rs_out);
	start_daemons(f, false);
	/* Both are up and talking (sensord's status, the collector's today) ... */
	wait_or_fail(f, rs_out, "rollsense/ball1/status online", 30);
	wait_or_fail(f, rs_out, "rollsense/ball1/today ", 30);
	assert_int_equal(harness_publish(&f->env.broker, "homeassistant/status", "online", false), 0);
	harness_sleep(1.5);
	harness_stop(sub, SIGTERM, 5);
	harness_stop(rs_sub, SIGTERM, 5);
	/* ... and nothing but the test's own "online" is under homeassistant/. */
	text = harness_read_file(out);
	assert_non_null(text);
	assert_null(strstr(text, "/config"));
	free(text);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		IT_TEST(test_discovery),
		IT_TEST(test_disabled),
	};

	tests_select();
	return cmocka_run_group_tests(tests, NULL, NULL);
}
