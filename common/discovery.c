/* Home Assistant discovery payloads: see discovery.h. The field names are
 * those of Home Assistant's MQTT integration ("MQTT Discovery", device-based
 * discovery payload; the sensor, binary_sensor and device trigger platforms),
 * written out in full rather than abbreviated, for people reading the broker. */
#include "discovery.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>

#include <cJSON.h>

#include "topic.h"

/* Building state: any failed add turns ok false; the payload is then dropped
 * whole (a half-built discovery message would misconfigure HA). */
struct builder {
	const struct rs_config *cfg;
	const char *device;
	bool ok;
};

static void add_str(struct builder *b, cJSON *obj, const char *key, const char *value)
{
	if (!cJSON_AddStringToObject(obj, key, value))
		b->ok = false;
}

static cJSON *add_obj(struct builder *b, cJSON *parent, const char *key)
{
	cJSON *o = cJSON_AddObjectToObject(parent, key);

	if (!o)
		b->ok = false;
	return o;
}

/* "<prefix>/<device>/<kind>" into the object under key. */
static void add_topic(struct builder *b, cJSON *obj, const char *key, const char *kind)
{
	char topic[256];

	if (topic_build(topic, sizeof(topic), b->cfg->mqtt.topic_prefix, b->device, kind) < 0) {
		b->ok = false;
		return;
	}
	add_str(b, obj, key, topic);
}

/* Entities go unavailable when sensord's status (its will) says offline. */
static void add_availability(struct builder *b, cJSON *cmp)
{
	cJSON *list = cJSON_AddArrayToObject(cmp, "availability");
	cJSON *a = cJSON_CreateObject();

	if (!list || !a || !cJSON_AddItemToArray(list, a)) {
		cJSON_Delete(a);
		b->ok = false;
		return;
	}
	add_topic(b, a, "topic", "status");
	add_str(b, a, "payload_available", "online");
	add_str(b, a, "payload_not_available", "offline");
}

/* An entity on <prefix>/<device>/<kind>: a sensor of a field of its JSON, or
 * without a field a binary_sensor of the payload itself; then its extra
 * attributes as key, value pairs in payload order (NULL ends them), then the
 * availability if it follows sensord's status. */
struct sensor_row {
	const char *key, *name, *kind, *field;
	const char *attrs[9]; /* at most four pairs: the last stays NULL */
	bool available;
};

#define MEASURED(class, unit) { "device_class", class, "state_class", "measurement", \
				"unit_of_measurement", unit }
#define DURATION(...) { "device_class", "duration", "unit_of_measurement", "s", __VA_ARGS__ }
#define COUNT(...) { "icon", "mdi:counter", __VA_ARGS__ }
#define TOTAL "state_class", "total_increasing"

static const struct sensor_row sensord_sensors[] = {
	{ "pressure", "Pressure", "reading", "pressure_kpa", MEASURED("pressure", "kPa"), true },
	{ "temperature", "Temperature", "reading", "temperature_c", MEASURED("temperature", "°C"),
	  true },
	/* Counted per run: a restart starts again at 0, which total_increasing
	 * takes as a new cycle rather than a negative count. */
	{ "chip_faults", "Chip faults", "health", "chip_faults",
	  { TOTAL, "entity_category", "diagnostic", "icon", "mdi:chip" }, true },
	/* The status itself, as a diagnostic: it is the availability of the
	 * rest, so it has none of its own. */
	{ "connected", "Connected", "status", NULL,
	  { "payload_on", "online", "payload_off", "offline", "device_class", "connectivity",
	    "entity_category", "diagnostic" }, false },
};

/* The collector's entities stay available when sensord is off: they are
 * facts about finished sessions, kept retained, not live states. Durations
 * are in seconds: HA shows them as h:mm:ss. */
static const struct sensor_row collector_sensors[] = {
	{ "last_hold_count", "Last session holds", "session", "hold_count", COUNT(), false },
	{ "last_hold_time", "Last session hold time", "session", "hold_time_s", DURATION(), false },
	{ "last_heat_time", "Last session heat time", "session", "heat_time_s", DURATION(), false },
	{ "today_sessions", "Sessions today", "today", "sessions", COUNT(TOTAL), false },
	{ "today_hold_count", "Holds today", "today", "hold_count", COUNT(TOTAL), false },
	{ "today_hold_time", "Hold time today", "today", "hold_time_s", DURATION(TOTAL), false },
	{ "today_heat_time", "Heat time today", "today", "heat_time_s", DURATION(TOTAL), false },
};

/* value_json.X of a null renders "None", which HA's MQTT sensor takes as
 * unknown: a failed chip shows as unknown, not as 0. */
static void add_sensors(struct builder *b, cJSON *cmps, const struct sensor_row *rows, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		const struct sensor_row *r = &rows[i];
		cJSON *c = add_obj(b, cmps, r->key);
		char id[160], tpl[96];

		if (!c)
			continue;
		add_str(b, c, "platform", r->field ? "sensor" : "binary_sensor");
		add_str(b, c, "name", r->name);
		snprintf(id, sizeof(id), "rollsense_%s_%s", b->device, r->key);
		add_str(b, c, "unique_id", id);
		add_topic(b, c, "state_topic", r->kind);
		if (r->field) {
			snprintf(tpl, sizeof(tpl), "{{ value_json.%s }}", r->field);
			add_str(b, c, "value_template", tpl);
		}
		for (const char *const *a = r->attrs; *a; a += 2)
			add_str(b, c, a[0], a[1]);
		if (r->available)
			add_availability(b, c);
	}
}

static void add_components(struct builder *b, cJSON *cmps, enum discovery_source source)
{
	cJSON *c;

	if (source != DISCOVERY_SENSORD) {
		add_sensors(b, cmps, collector_sensors,
			    sizeof(collector_sensors) / sizeof(collector_sensors[0]));
		/* Fires on sensord's live hold_ended event (any class). */
		c = add_obj(b, cmps, "hold_completed");
		if (!c)
			return;
		add_str(b, c, "platform", "device_automation");
		add_str(b, c, "automation_type", "trigger");
		add_topic(b, c, "topic", "event");
		add_str(b, c, "type", "hold_completed");
		add_str(b, c, "subtype", "trigger_point");
		add_str(b, c, "value_template", "{{ value_json.event }}");
		add_str(b, c, "payload", "hold_ended");
		return;
	}
	add_sensors(b, cmps, sensord_sensors, sizeof(sensord_sensors) / sizeof(sensord_sensors[0]));
}

int discovery_topic(char *buf, size_t len, const struct rs_config *cfg, const char *device,
		    enum discovery_source source)
{
	int n = snprintf(buf, len, "%s/device/rollsense_%s%s/config",
			 cfg->homeassistant.discovery_prefix, device,
			 source == DISCOVERY_COLLECTOR ? "_sessions" : "");

	if (n < 0 || (size_t)n >= len) {
		if (len)
			buf[0] = '\0';
		return -1;
	}
	return n;
}

char *discovery_payload(const struct rs_config *cfg, const char *device,
			enum discovery_source source)
{
	struct builder b = { .cfg = cfg, .device = device, .ok = true };
	cJSON *root = cJSON_CreateObject(), *dev, *ids, *origin, *cmps;
	char id[96], name[96];
	char *text = NULL;

	if (!root)
		goto fail;
	snprintf(id, sizeof(id), "rollsense_%s", device);
	snprintf(name, sizeof(name), "rollsense %s", device);
	dev = add_obj(&b, root, "dev");
	if (dev) {
		ids = cJSON_AddArrayToObject(dev, "identifiers");
		if (!ids || !cJSON_AddItemToArray(ids, cJSON_CreateString(id)))
			b.ok = false;
		add_str(&b, dev, "name", name);
		add_str(&b, dev, "manufacturer", "rollsense");
		add_str(&b, dev, "model", "rollsense massage tool");
		add_str(&b, dev, "sw_version", ROLLSENSE_VERSION);
	}
	origin = add_obj(&b, root, "o");
	if (origin) {
		add_str(&b, origin, "name", "rollsense");
		add_str(&b, origin, "sw_version", ROLLSENSE_VERSION);
	}
	cmps = add_obj(&b, root, "cmps");
	if (cmps)
		add_components(&b, cmps, source);
	/* QoS 1 for the state topics: readings are published at QoS 1. */
	if (!cJSON_AddNumberToObject(root, "qos", 1))
		b.ok = false;
	if (!b.ok)
		goto fail;
	text = cJSON_PrintUnformatted(root);
	if (!text)
		goto fail;
	cJSON_Delete(root);
	return text;
fail:
	cJSON_Delete(root);
	errno = ENOMEM;
	return NULL;
}
