/* Home Assistant discovery payloads (common/discovery.c), field by field
 * against Home Assistant's device-based discovery format, and every
 * component of both payloads against Home Assistant's own rules.
 *
 * The rules, written here from Home Assistant's documentation, not from the
 * code under test:
 *  - device-based discovery: "A platform (p) config option is required for
 *    each component config ... Also required is a unique_id for
 *    entity-based components" (https://www.home-assistant.io/integrations/mqtt/,
 *    "Device discovery payload"); the device trigger's options (automation_type,
 *    topic, type, subtype, payload, value_template; no unique_id, no
 *    availability): https://www.home-assistant.io/integrations/device_trigger.mqtt/;
 *    the button (command_topic, payload_press):
 *    https://www.home-assistant.io/integrations/button.mqtt/; the select
 *    (command_topic, command_template, options, state_topic):
 *    https://www.home-assistant.io/integrations/select.mqtt/;
 *  - which units each sensor device class takes: the table "Available device
 *    classes" of https://developers.home-assistant.io/docs/core/entity/sensor/
 *    (pressure: cbar, bar, hPa, mmHg, inHg, kPa, mbar, Pa, psi, mPa;
 *    temperature: °C, °F, K; duration: d, h, min, s, ms, µs; timestamp: none,
 *    the state is a datetime with a time zone);
 *  - which state classes each device class allows: the same page's
 *    "Available state classes" (measurement, total, total_increasing; none
 *    for a value that is not numeric), and per device class Home Assistant's
 *    DEVICE_CLASS_STATE_CLASSES in homeassistant/components/sensor/const.py
 *    (https://github.com/home-assistant/core/blob/dev/homeassistant/components/sensor/const.py):
 *    pressure and temperature {measurement}, duration all three, timestamp
 *    none;
 *  - binary_sensor device classes (connectivity, problem):
 *    https://developers.home-assistant.io/docs/core/entity/binary-sensor/.
 * A combination used by the payloads and missing here fails the test: add
 * it only with its source. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "select.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cJSON.h>

#include "config.h"
#include "discovery.h"
#include "unit.h"

#define PREFIX "home/rs"
#define DEVICE_TOPIC PREFIX "/ball1/"
#define COLLECTOR_STATUS PREFIX "/collector"

/* ---- Home Assistant's rules ---------------------------------------------- */

#define MAX_LISTED 12

struct sensor_rule {
	const char *device_class;	/* NULL: no device class */
	const char *units[MAX_LISTED];	/* NULL-ended; units[0] NULL: no unit allowed */
	bool any_unit;			/* no device class: any unit, or none */
	const char *state_classes[4];	/* NULL-ended; empty: no state_class allowed */
};

static const struct sensor_rule sensor_rules[] = {
	{ "pressure", { "cbar", "bar", "hPa", "mmHg", "inHg", "kPa", "mbar", "Pa", "psi", "mPa" },
	  false, { "measurement" } },
	{ "temperature", { "°C", "°F", "K" }, false, { "measurement" } },
	{ "duration", { "d", "h", "min", "s", "ms", "µs" }, false,
	  { "measurement", "total", "total_increasing" } },
	{ "timestamp", { NULL }, false, { NULL } },
	{ NULL, { NULL }, true, { "measurement", "total", "total_increasing" } },
};

static const char *const binary_sensor_classes[] = { "connectivity", "problem" };

static bool listed(const char *const *list, size_t n, const char *s)
{
	for (size_t i = 0; i < n && list[i]; i++)
		if (strcmp(list[i], s) == 0)
			return true;
	return false;
}

/* A string member, or NULL when absent or not a string. */
static const char *opt_str(const cJSON *c, const char *key)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(c, key);

	return cJSON_IsString(v) ? v->valuestring : NULL;
}

static bool has(const cJSON *c, const char *key)
{
	return cJSON_GetObjectItemCaseSensitive(c, key) != NULL;
}

/* What is wrong, into why; false when something is. */
#define REFUSE(...) (snprintf(why, why_len, __VA_ARGS__), false)

/* A sensor's device_class, unit_of_measurement and state_class together. */
static bool sensor_rule_check(const cJSON *c, char *why, size_t why_len)
{
	const char *dc = opt_str(c, "device_class"), *unit = opt_str(c, "unit_of_measurement");
	const char *sc = opt_str(c, "state_class");
	const struct sensor_rule *rule = NULL;

	for (size_t i = 0; i < sizeof(sensor_rules) / sizeof(sensor_rules[0]); i++) {
		const char *rdc = sensor_rules[i].device_class;

		if ((!dc && !rdc) || (dc && rdc && strcmp(dc, rdc) == 0))
			rule = &sensor_rules[i];
	}
	if (!rule)
		return REFUSE("device_class \"%s\" is not in the table", dc);
	if (!rule->any_unit) {
		if (rule->units[0] && !unit)
			return REFUSE("device_class %s needs a unit", dc);
		if (!rule->units[0] && unit)
			return REFUSE("device_class %s takes no unit (has \"%s\")", dc, unit);
		if (unit && !listed(rule->units, MAX_LISTED, unit))
			return REFUSE("device_class %s does not take unit \"%s\"", dc, unit);
	}
	if (sc && !listed(rule->state_classes, 4, sc))
		return REFUSE("device_class %s does not allow state_class \"%s\"", dc ? dc : "(none)",
			      sc);
	return true;
}

/* Every topic a component names lies under the prefix: one of the device's
 * own topics, or the collector's status. */
static bool topic_inside(const char *topic)
{
	size_t n = strlen(DEVICE_TOPIC);

	if (strncmp(topic, DEVICE_TOPIC, n) == 0 && topic[n] && !strchr(topic + n, '/'))
		return true;
	return strcmp(topic, COLLECTOR_STATUS) == 0;
}

/* What the walk found, for the tests to compare with what they expect. */
struct walk {
	size_t entities, triggers, sensors;
	size_t with_availability;
};

static bool availability_check(const cJSON *c, const char *avail, char *why, size_t why_len)
{
	const cJSON *list = cJSON_GetObjectItemCaseSensitive(c, "availability");
	const cJSON *a = cJSON_GetArrayItem(list, 0);

	if (!cJSON_IsArray(list) || cJSON_GetArraySize(list) != 1)
		return REFUSE("availability is not a list of one");
	if (!opt_str(a, "topic") || strcmp(opt_str(a, "topic"), avail) != 0)
		return REFUSE("availability topic \"%s\", want \"%s\"", opt_str(a, "topic"), avail);
	if (!opt_str(a, "payload_available") || strcmp(opt_str(a, "payload_available"), "online") ||
	    !opt_str(a, "payload_not_available") ||
	    strcmp(opt_str(a, "payload_not_available"), "offline"))
		return REFUSE("availability payloads are not online/offline");
	return true;
}

/* One component, whatever its platform, against the rules; avail is the
 * availability topic every entity but the connectivity sensor must follow.
 * true, or false with the reason in why. */
static bool component_check(const cJSON *c, const char *avail, struct walk *w, char *why,
			    size_t why_len)
{
	const char *key = c->string, *platform = opt_str(c, "platform"), *id = opt_str(c, "unique_id");
	char want[128];

	if (!platform)
		return REFUSE("no platform");
	for (const cJSON *f = c->child; f; f = f->next)
		if (strstr(f->string, "topic") && (!cJSON_IsString(f) || !topic_inside(f->valuestring)))
			return REFUSE("%s \"%s\" is outside the prefix", f->string,
				      cJSON_IsString(f) ? f->valuestring : "?");
	if (strcmp(platform, "device_automation") == 0) {
		w->triggers++;
		if (has(c, "unique_id") || has(c, "availability"))
			return REFUSE("a device trigger takes no unique_id and no availability");
		if (!opt_str(c, "automation_type") || strcmp(opt_str(c, "automation_type"), "trigger"))
			return REFUSE("automation_type is not trigger");
		if (!opt_str(c, "topic") || !opt_str(c, "type") || !opt_str(c, "subtype"))
			return REFUSE("a device trigger needs topic, type and subtype");
		return true;
	}
	w->entities++;
	snprintf(want, sizeof(want), "rollsense_ball1_%s", key);
	if (!id || strcmp(id, want) != 0)
		return REFUSE("unique_id \"%s\", want \"%s\"", id ? id : "(none)", want);
	if (!opt_str(c, "name") || !opt_str(c, "name")[0])
		return REFUSE("no name");
	if (has(c, "availability")) {
		w->with_availability++;
		if (!availability_check(c, avail, why, why_len))
			return false;
	} else if (strcmp(key, "connected") != 0) {
		return REFUSE("no availability");
	}
	if (strcmp(platform, "sensor") == 0) {
		w->sensors++;
		if (!opt_str(c, "state_topic"))
			return REFUSE("no state_topic");
		return sensor_rule_check(c, why, why_len);
	}
	if (strcmp(platform, "binary_sensor") == 0) {
		const char *dc = opt_str(c, "device_class");

		if (!opt_str(c, "state_topic"))
			return REFUSE("no state_topic");
		if (dc && !listed(binary_sensor_classes, 2, dc))
			return REFUSE("binary_sensor device_class \"%s\" is not in the table", dc);
		if (has(c, "state_class") || has(c, "unit_of_measurement"))
			return REFUSE("a binary_sensor has no state_class and no unit");
		return true;
	}
	if (strcmp(platform, "button") == 0) {
		if (!opt_str(c, "command_topic") || !opt_str(c, "payload_press"))
			return REFUSE("a button needs command_topic and payload_press");
		return true;
	}
	if (strcmp(platform, "select") == 0) {
		if (!opt_str(c, "command_topic") ||
		    !cJSON_IsArray(cJSON_GetObjectItemCaseSensitive(c, "options")))
			return REFUSE("a select needs command_topic and options");
		return true;
	}
	return REFUSE("platform \"%s\" is not one this test knows", platform);
}

/* Every component of j: each must pass. */
static struct walk walk_payload(const cJSON *j, const char *avail)
{
	struct walk w = { 0 };
	const cJSON *cmps = json_obj(j, "cmps");
	char why[256];

	for (const cJSON *c = cmps->child; c; c = c->next) {
		assert_true(cJSON_IsObject(c));
		if (!component_check(c, avail, &w, why, sizeof(why)))
			fail_msg("component %s: %s", c->string, why);
	}
	return w;
}

/* ---- the payloads ------------------------------------------------------ */

static void cfg_make(struct rs_config *cfg)
{
	config_defaults(cfg);
	snprintf(cfg->device_id, sizeof(cfg->device_id), "ball1");
	snprintf(cfg->mqtt.topic_prefix, sizeof(cfg->mqtt.topic_prefix), PREFIX);
	snprintf(cfg->homeassistant.discovery_prefix, sizeof(cfg->homeassistant.discovery_prefix), "ha");
	/* Two zones of our own, whatever the default list is; the second's
	 * name starts with a digit. */
	cfg->zones.n = 2;
	snprintf(cfg->zones.zone[0].name, sizeof(cfg->zones.zone[0].name), "calf_left");
	snprintf(cfg->zones.zone[0].label, sizeof(cfg->zones.zone[0].label), "Left calf");
	snprintf(cfg->zones.zone[1].name, sizeof(cfg->zones.zone[1].name), "1st_rib");
	snprintf(cfg->zones.zone[1].label, sizeof(cfg->zones.zone[1].label), "First \"rib\"");
}

static void check_availability(const cJSON *c, const char *topic)
{
	const cJSON *list = cJSON_GetObjectItemCaseSensitive(c, "availability");

	assert_true(cJSON_IsArray(list));
	assert_int_equal(cJSON_GetArraySize(list), 1);
	expect_json_strs(cJSON_GetArrayItem(list, 0), "topic", topic, "payload_available", "online",
			 "payload_not_available", "offline", NULL);
}

static cJSON *payload(const struct rs_config *cfg, enum discovery_source src)
{
	char *text = discovery_payload(cfg, "ball1", src);
	cJSON *j;

	assert_non_null(text);
	j = cJSON_Parse(text);
	assert_non_null(j);
	free(text);
	return j;
}

static void check_device_and_origin(const cJSON *j)
{
	const cJSON *dev = cJSON_GetObjectItemCaseSensitive(j, "dev");
	const cJSON *ids = cJSON_GetObjectItemCaseSensitive(dev, "identifiers");
	const cJSON *o = cJSON_GetObjectItemCaseSensitive(j, "o");

	assert_true(cJSON_IsArray(ids));
	assert_int_equal(cJSON_GetArraySize(ids), 1);
	assert_string_equal(cJSON_GetArrayItem(ids, 0)->valuestring, "rollsense_ball1");
	assert_string_equal(json_str(dev, "name"), "rollsense ball1");
	assert_string_equal(json_str(dev, "sw_version"), ROLLSENSE_VERSION);
	assert_string_equal(json_str(o, "name"), "rollsense");
	assert_string_equal(json_str(o, "sw_version"), ROLLSENSE_VERSION);
	assert_null(cJSON_GetObjectItem(o, "support_url"));
}

static void test_topics(void **state)
{
	struct rs_config cfg;
	char buf[128];

	(void)state;
	cfg_make(&cfg);
	assert_int_equal(discovery_topic(buf, sizeof(buf), &cfg, "ball1", DISCOVERY_SENSORD),
			 (int)strlen("ha/device/rollsense_ball1/config"));
	assert_string_equal(buf, "ha/device/rollsense_ball1/config");
	assert_true(discovery_topic(buf, sizeof(buf), &cfg, "ball1", DISCOVERY_COLLECTOR) > 0);
	assert_string_equal(buf, "ha/device/rollsense_ball1_sessions/config");
	assert_int_equal(discovery_topic(buf, 20, &cfg, "ball1", DISCOVERY_SENSORD), -1);
	assert_string_equal(buf, "");
}

static void test_sensord_payload(void **state)
{
	struct rs_config cfg;
	const cJSON *c, *opts;
	cJSON *j, *press;

	(void)state;
	cfg_make(&cfg);
	j = payload(&cfg, DISCOVERY_SENSORD);
	check_device_and_origin(j);
	assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(j, "cmps")), 6);

	c = json_obj(j, "cmps.pressure");
	expect_json_strs(c, "platform", "sensor", "unique_id", "rollsense_ball1_pressure",
			 "state_topic", "home/rs/ball1/reading",
			 "value_template", "{{ value_json.pressure_kpa }}", "unit_of_measurement", "kPa",
			 "device_class", "pressure", "state_class", "measurement", NULL);
	check_availability(c, "home/rs/ball1/status");

	c = json_obj(j, "cmps.temperature");
	expect_json_strs(c, "unique_id", "rollsense_ball1_temperature",
			 "state_topic", "home/rs/ball1/reading",
			 "value_template", "{{ value_json.temperature_c }}", "unit_of_measurement", "°C",
			 "device_class", "temperature", NULL);
	check_availability(c, "home/rs/ball1/status");

	c = json_obj(j, "cmps.chip_faults");
	expect_json_strs(c, "state_topic", "home/rs/ball1/health",
			 "value_template", "{{ value_json.chip_faults }}", "entity_category", "diagnostic",
			 "state_class", "total_increasing", NULL);
	check_availability(c, "home/rs/ball1/status");

	c = json_obj(j, "cmps.connected");
	expect_json_strs(c, "platform", "binary_sensor", "unique_id", "rollsense_ball1_connected",
			 "state_topic", "home/rs/ball1/status", "payload_on", "online",
			 "payload_off", "offline", "device_class", "connectivity", NULL);
	assert_null(cJSON_GetObjectItemCaseSensitive(c, "availability"));

	/* Tare: the JSON form of the command sensord takes (docs/protocol.md). */
	c = json_obj(j, "cmps.tare");
	expect_json_strs(c, "platform", "button", "unique_id", "rollsense_ball1_tare",
			 "command_topic", "home/rs/ball1/command", NULL);
	press = cJSON_Parse(json_str(c, "payload_press"));
	assert_non_null(press);
	assert_string_equal(json_str(press, "command"), "tare");
	assert_int_equal(cJSON_GetArraySize(press), 1);
	cJSON_Delete(press);
	check_availability(c, "home/rs/ball1/status");

	/* The zone: the configured names in order, then "none". */
	c = json_obj(j, "cmps.zone");
	expect_json_strs(c, "platform", "select", "unique_id", "rollsense_ball1_zone",
			 "state_topic", "home/rs/ball1/zone", "command_topic", "home/rs/ball1/command",
			 "command_template", "{\"zone\":\"{{ value }}\"}",
			 "value_template", "{{ value_json.zone if value_json.zone else 'none' }}", NULL);
	opts = cJSON_GetObjectItemCaseSensitive(c, "options");
	assert_int_equal(cJSON_GetArraySize(opts), 3);
	assert_string_equal(cJSON_GetArrayItem(opts, 0)->valuestring, "calf_left");
	assert_string_equal(cJSON_GetArrayItem(opts, 1)->valuestring, "1st_rib");
	assert_string_equal(cJSON_GetArrayItem(opts, 2)->valuestring, "none");
	check_availability(c, "home/rs/ball1/status");
	cJSON_Delete(j);
}

static void test_collector_payload(void **state)
{
	static const struct {
		const char *key, *topic, *field, *state_class, *device_class;
	} sensors[] = {
		{ "last_hold_count", "session", "hold_count", NULL, NULL },
		{ "last_hold_time", "session", "hold_time_s", NULL, "duration" },
		{ "last_rolling_time", "session", "rolling_time_s", NULL, "duration" },
		{ "last_heat_time", "session", "heat_time_s", NULL, "duration" },
		{ "today_sessions", "today", "sessions", "total_increasing", NULL },
		{ "today_hold_count", "today", "hold_count", "total_increasing", NULL },
		{ "today_hold_time", "today", "hold_time_s", "total_increasing", "duration" },
		{ "today_heat_time", "today", "heat_time_s", "total_increasing", "duration" },
	};
	static const char *const classes[] = { "short", "effective", "long" };
	struct rs_config cfg;
	const cJSON *c;
	cJSON *j;

	(void)state;
	cfg_make(&cfg);
	j = payload(&cfg, DISCOVERY_COLLECTOR);
	check_device_and_origin(j);
	/* 8 figures, the end, 2 zones' weeks, the advice, the shared id, 3
	 * triggers. */
	assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(j, "cmps")), 16);
	for (size_t i = 0; i < sizeof(sensors) / sizeof(sensors[0]); i++) {
		char want[128];

		c = json_obj(json_obj(j, "cmps"), sensors[i].key);
		assert_string_equal(json_str(c, "platform"), "sensor");
		snprintf(want, sizeof(want), "rollsense_ball1_%s", sensors[i].key);
		assert_string_equal(json_str(c, "unique_id"), want);
		snprintf(want, sizeof(want), "home/rs/ball1/%s", sensors[i].topic);
		assert_string_equal(json_str(c, "state_topic"), want);
		snprintf(want, sizeof(want), "{{ value_json.%s }}", sensors[i].field);
		assert_string_equal(json_str(c, "value_template"), want);
		if (sensors[i].state_class)
			assert_string_equal(json_str(c, "state_class"), sensors[i].state_class);
		else
			assert_null(cJSON_GetObjectItemCaseSensitive(c, "state_class"));
		if (sensors[i].device_class) {
			assert_string_equal(json_str(c, "device_class"), sensors[i].device_class);
			assert_string_equal(json_str(c, "unit_of_measurement"), "s");
		}
		check_availability(c, "home/rs/collector");
	}

	/* When the last session ended: the summary's end (Unix time) as ISO
	 * 8601 in UTC with its offset, no unit, no state class. */
	c = json_obj(j, "cmps.last_end");
	expect_json_strs(c, "platform", "sensor", "state_topic", "home/rs/ball1/session",
			 "device_class", "timestamp",
			 "value_template",
			 "{{ value_json.end | timestamp_custom('%Y-%m-%dT%H:%M:%S+00:00', false) }}", NULL);
	assert_null(cJSON_GetObjectItemCaseSensitive(c, "unit_of_measurement"));
	assert_null(cJSON_GetObjectItemCaseSensitive(c, "state_class"));
	check_availability(c, "home/rs/collector");

	/* Each configured zone's hold time this week, named by its label. */
	c = json_obj(j, "cmps.week_calf_left_hold_time");
	expect_json_strs(c, "platform", "sensor", "name", "Left calf hold time this week",
			 "unique_id", "rollsense_ball1_week_calf_left_hold_time",
			 "state_topic", "home/rs/ball1/week",
			 "value_template", "{{ value_json.zones['calf_left'].hold_time_s }}",
			 "device_class", "duration", "unit_of_measurement", "s",
			 "state_class", "total_increasing", NULL);
	check_availability(c, "home/rs/collector");
	c = json_obj(j, "cmps.week_1st_rib_hold_time");
	expect_json_strs(c, "name", "First \"rib\" hold time this week",
			 "value_template", "{{ value_json.zones['1st_rib'].hold_time_s }}", NULL);

	/* The advice: a problem, its attributes the advice message itself. */
	c = json_obj(j, "cmps.advice");
	expect_json_strs(c, "platform", "binary_sensor", "unique_id", "rollsense_ball1_advice",
			 "device_class", "problem", "state_topic", "home/rs/ball1/advice",
			 "json_attributes_topic", "home/rs/ball1/advice",
			 "value_template", "{{ 'ON' if value_json.problem else 'OFF' }}", NULL);
	check_availability(c, "home/rs/collector");

	/* Two sensords under one id: a diagnostic problem, the collector's
	 * plain ON or OFF as the state (no template, default payloads). */
	c = json_obj(j, "cmps.same_id");
	expect_json_strs(c, "platform", "binary_sensor", "unique_id", "rollsense_ball1_same_id",
			 "device_class", "problem", "entity_category", "diagnostic",
			 "state_topic", "home/rs/ball1/same_id", NULL);
	assert_null(cJSON_GetObjectItemCaseSensitive(c, "value_template"));
	assert_null(cJSON_GetObjectItemCaseSensitive(c, "payload_on"));
	check_availability(c, "home/rs/collector");

	/* One trigger per class, on the class of a hold_ended only. */
	for (size_t i = 0; i < 3; i++) {
		char key[64], subtype[32];

		snprintf(subtype, sizeof(subtype), "hold_%s", classes[i]);
		snprintf(key, sizeof(key), "cmps.%s", subtype);
		c = json_obj(j, key);
		expect_json_strs(c, "platform", "device_automation", "automation_type", "trigger",
				 "topic", "home/rs/ball1/event", "type", "hold_completed",
				 "subtype", subtype, "payload", classes[i],
				 "value_template",
				 "{{ value_json.hold['class'] if value_json.event == 'hold_ended' else '' }}",
				 NULL);
	}
	assert_null(cJSON_GetObjectItemCaseSensitive(json_obj(j, "cmps"), "hold_completed"));
	cJSON_Delete(j);
}

/* The walk of a fresh payload from src, each entity following its own
 * daemon's availability. */
static struct walk walk_source(const struct rs_config *cfg, enum discovery_source src)
{
	cJSON *j = payload(cfg, src);
	struct walk w = walk_payload(j, src == DISCOVERY_SENSORD ? "home/rs/ball1/status" :
								   "home/rs/collector");

	cJSON_Delete(j);
	return w;
}

static void expect_walk(struct walk got, size_t entities, size_t with_availability,
			size_t sensors, size_t triggers)
{
	assert_int_equal(got.entities, entities);
	assert_int_equal(got.with_availability, with_availability);
	assert_int_equal(got.sensors, sensors);
	assert_int_equal(got.triggers, triggers);
}

/* Every component of both payloads against Home Assistant's rules: two
 * zones, zones off, and the most and longest zones the configuration
 * takes. */
static void test_every_component_valid(void **state)
{
	struct rs_config cfg;
	cJSON *j;

	(void)state;
	cfg_make(&cfg);
	/* sensord: 3 sensors, connected, tare, zone; all but connected follow
	 * its status. The collector: 9 + 2 sensors, the advice, the shared
	 * id, 3 triggers. */
	expect_walk(walk_source(&cfg, DISCOVERY_SENSORD), 6, 5, 3, 0);
	expect_walk(walk_source(&cfg, DISCOVERY_COLLECTOR), 13, 13, 11, 3);

	/* Zones off: no select, no weekly sensors. */
	cfg.zones.n = 0;
	expect_walk(walk_source(&cfg, DISCOVERY_SENSORD), 5, 4, 3, 0);
	expect_walk(walk_source(&cfg, DISCOVERY_COLLECTOR), 11, 11, 9, 3);

	cfg.zones.n = ZONES_MAX;
	for (size_t i = 0; i < ZONES_MAX; i++) {
		snprintf(cfg.zones.zone[i].name, sizeof(cfg.zones.zone[i].name), "zone_%02zu_%.*s", i,
			 ZONE_NAME_MAX - 8, "abcdefghijklmnopqrstuvwxyz_abcdefghij");
		snprintf(cfg.zones.zone[i].label, sizeof(cfg.zones.zone[i].label), "%.*s",
			 ZONE_LABEL_MAX, "A label as long as the configuration allows, all sixty-four b");
	}
	assert_int_equal((int)strlen(cfg.zones.zone[0].name), ZONE_NAME_MAX);
	expect_walk(walk_source(&cfg, DISCOVERY_COLLECTOR), 11 + ZONES_MAX, 11 + ZONES_MAX,
		    9 + ZONES_MAX, 3);
	j = payload(&cfg, DISCOVERY_SENSORD);
	walk_payload(j, "home/rs/ball1/status");
	assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(json_obj(j, "cmps.zone"),
									     "options")), ZONES_MAX + 1);
	cJSON_Delete(j);
}

/* The walk itself refuses what Home Assistant refuses (a check that cannot
 * fail proves nothing): each component below is broken in one way. */
static void test_walk_refuses_invalid(void **state)
{
	static const char *const invalid[] = {
		/* temperature in kPa */
		"{\"platform\":\"sensor\",\"name\":\"x\",\"unique_id\":\"rollsense_ball1_broken\","
		"\"state_topic\":\"home/rs/ball1/reading\",\"device_class\":\"temperature\","
		"\"unit_of_measurement\":\"kPa\",\"availability\":[{\"topic\":\"home/rs/collector\","
		"\"payload_available\":\"online\",\"payload_not_available\":\"offline\"}]}",
		/* pressure as a total */
		"{\"platform\":\"sensor\",\"name\":\"x\",\"unique_id\":\"rollsense_ball1_broken\","
		"\"state_topic\":\"home/rs/ball1/reading\",\"device_class\":\"pressure\","
		"\"unit_of_measurement\":\"kPa\",\"state_class\":\"total_increasing\","
		"\"availability\":[{\"topic\":\"home/rs/collector\",\"payload_available\":\"online\","
		"\"payload_not_available\":\"offline\"}]}",
		/* a timestamp with a state class */
		"{\"platform\":\"sensor\",\"name\":\"x\",\"unique_id\":\"rollsense_ball1_broken\","
		"\"state_topic\":\"home/rs/ball1/session\",\"device_class\":\"timestamp\","
		"\"state_class\":\"measurement\",\"availability\":[{\"topic\":\"home/rs/collector\","
		"\"payload_available\":\"online\",\"payload_not_available\":\"offline\"}]}",
		/* no unique_id */
		"{\"platform\":\"sensor\",\"name\":\"x\",\"state_topic\":\"home/rs/ball1/today\","
		"\"availability\":[{\"topic\":\"home/rs/collector\",\"payload_available\":\"online\","
		"\"payload_not_available\":\"offline\"}]}",
		/* a state topic outside the prefix */
		"{\"platform\":\"sensor\",\"name\":\"x\",\"unique_id\":\"rollsense_ball1_broken\","
		"\"state_topic\":\"rollsense/ball1/today\",\"availability\":[{\"topic\":"
		"\"home/rs/collector\",\"payload_available\":\"online\","
		"\"payload_not_available\":\"offline\"}]}",
		/* a command topic outside the prefix */
		"{\"platform\":\"button\",\"name\":\"x\",\"unique_id\":\"rollsense_ball1_broken\","
		"\"command_topic\":\"home/rs/ball2/x/command\",\"payload_press\":\"tare\","
		"\"availability\":[{\"topic\":\"home/rs/collector\",\"payload_available\":\"online\","
		"\"payload_not_available\":\"offline\"}]}",
		/* no availability */
		"{\"platform\":\"sensor\",\"name\":\"x\",\"unique_id\":\"rollsense_ball1_broken\","
		"\"state_topic\":\"home/rs/ball1/today\"}",
		/* a trigger with a unique_id */
		"{\"platform\":\"device_automation\",\"automation_type\":\"trigger\",\"unique_id\":\"u\","
		"\"topic\":\"home/rs/ball1/event\",\"type\":\"t\",\"subtype\":\"s\"}",
	};

	(void)state;
	for (size_t i = 0; i < sizeof(invalid) / sizeof(invalid[0]); i++) {
		struct walk w = { 0 };
		char why[256] = "", text[1024];
		cJSON *cmps;

		/* As in "cmps": the component under its key. */
		snprintf(text, sizeof(text), "{\"broken\":%s}", invalid[i]);
		cmps = cJSON_Parse(text);
		assert_non_null(cmps);
		if (component_check(cmps->child, "home/rs/collector", &w, why, sizeof(why)))
			fail_msg("the walk accepted invalid component %zu: %s", i, invalid[i]);
		print_message("refused %zu: %s\n", i, why);
		cJSON_Delete(cmps);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_topics),
		cmocka_unit_test(test_sensord_payload),
		cmocka_unit_test(test_collector_payload),
		cmocka_unit_test(test_every_component_valid),
		cmocka_unit_test(test_walk_refuses_invalid),
	};

	tests_select();
	return cmocka_run_group_tests(tests, NULL, NULL);
}
