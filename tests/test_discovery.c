/* Home Assistant discovery payloads (common/discovery.c), field by field
 * against Home Assistant's device-based discovery format. */
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

static void cfg_make(struct rs_config *cfg)
{
	config_defaults(cfg);
	snprintf(cfg->device_id, sizeof(cfg->device_id), "ball1");
	snprintf(cfg->mqtt.topic_prefix, sizeof(cfg->mqtt.topic_prefix), "home/rs");
	snprintf(cfg->homeassistant.discovery_prefix, sizeof(cfg->homeassistant.discovery_prefix), "ha");
}

static void check_availability(const cJSON *c)
{
	const cJSON *list = cJSON_GetObjectItemCaseSensitive(c, "availability");

	assert_true(cJSON_IsArray(list));
	assert_int_equal(cJSON_GetArraySize(list), 1);
	assert_string_equal(json_str(cJSON_GetArrayItem(list, 0), "topic"), "home/rs/ball1/status");
	assert_string_equal(json_str(cJSON_GetArrayItem(list, 0), "payload_available"), "online");
	assert_string_equal(json_str(cJSON_GetArrayItem(list, 0), "payload_not_available"), "offline");
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
	const cJSON *c;
	cJSON *j;

	(void)state;
	cfg_make(&cfg);
	j = payload(&cfg, DISCOVERY_SENSORD);
	check_device_and_origin(j);
	assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(j, "cmps")), 4);

	c = json_obj(j, "cmps.pressure");
	expect_json_strs(c, "platform", "sensor", "unique_id", "rollsense_ball1_pressure",
			 "state_topic", "home/rs/ball1/reading",
			 "value_template", "{{ value_json.pressure_kpa }}", "unit_of_measurement", "kPa",
			 "device_class", "pressure", "state_class", "measurement", NULL);
	check_availability(c);

	c = json_obj(j, "cmps.temperature");
	expect_json_strs(c, "unique_id", "rollsense_ball1_temperature",
			 "state_topic", "home/rs/ball1/reading",
			 "value_template", "{{ value_json.temperature_c }}", "unit_of_measurement", "°C",
			 "device_class", "temperature", NULL);
	check_availability(c);

	c = json_obj(j, "cmps.chip_faults");
	expect_json_strs(c, "state_topic", "home/rs/ball1/health",
			 "value_template", "{{ value_json.chip_faults }}", "entity_category", "diagnostic",
			 "state_class", "total_increasing", NULL);
	check_availability(c);

	c = json_obj(j, "cmps.connected");
	expect_json_strs(c, "platform", "binary_sensor", "unique_id", "rollsense_ball1_connected",
			 "state_topic", "home/rs/ball1/status", "payload_on", "online",
			 "payload_off", "offline", "device_class", "connectivity", NULL);
	assert_null(cJSON_GetObjectItemCaseSensitive(c, "availability"));
	cJSON_Delete(j);
}

static void test_collector_payload(void **state)
{
	static const struct {
		const char *key, *topic, *field, *state_class, *device_class;
	} sensors[] = {
		{ "last_hold_count", "session", "hold_count", NULL, NULL },
		{ "last_hold_time", "session", "hold_time_s", NULL, "duration" },
		{ "last_heat_time", "session", "heat_time_s", NULL, "duration" },
		{ "today_sessions", "today", "sessions", "total_increasing", NULL },
		{ "today_hold_count", "today", "hold_count", "total_increasing", NULL },
		{ "today_hold_time", "today", "hold_time_s", "total_increasing", "duration" },
		{ "today_heat_time", "today", "heat_time_s", "total_increasing", "duration" },
	};
	struct rs_config cfg;
	const cJSON *c;
	cJSON *j;

	(void)state;
	cfg_make(&cfg);
	j = payload(&cfg, DISCOVERY_COLLECTOR);
	check_device_and_origin(j);
	assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(j, "cmps")), 8);
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
	}
	c = json_obj(j, "cmps.hold_completed");
	assert_string_equal(json_str(c, "platform"), "device_automation");
	assert_string_equal(json_str(c, "automation_type"), "trigger");
	assert_string_equal(json_str(c, "topic"), "home/rs/ball1/event");
	assert_string_equal(json_str(c, "value_template"), "{{ value_json.event }}");
	assert_string_equal(json_str(c, "payload"), "hold_ended");
	assert_string_equal(json_str(c, "type"), "hold_completed");
	cJSON_Delete(j);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_topics),
		cmocka_unit_test(test_sensord_payload),
		cmocka_unit_test(test_collector_payload),
	};

	tests_select();
	return cmocka_run_group_tests(tests, NULL, NULL);
}
