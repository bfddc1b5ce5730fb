/* Home Assistant discovery payloads: see discovery.h. The field names are
 * those of Home Assistant's MQTT integration ("MQTT Discovery", device-based
 * discovery payload; the sensor, binary_sensor, button, select and device
 * trigger platforms), written out in full rather than abbreviated, for
 * people reading the broker. Which device_class, unit and state_class go
 * together is Home Assistant's rule, not ours: tests/test_discovery.c checks
 * every combination used here against a table taken from its documentation. */
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

/* Whose availability an entity follows. */
enum avail {
	AVAIL_NONE,		/* always available */
	AVAIL_SENSORD,		/* <prefix>/<device>/status, sensord's will */
	AVAIL_COLLECTOR,	/* <prefix>/collector, the collector's will */
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

/* Entities go unavailable when the daemon behind them says offline (its
 * will, or a clean stop). */
static void add_availability(struct builder *b, cJSON *cmp, enum avail avail)
{
	cJSON *list, *a;
	char topic[256];

	if (avail == AVAIL_NONE)
		return;
	list = cJSON_AddArrayToObject(cmp, "availability");
	a = cJSON_CreateObject();
	if (!list || !a || !cJSON_AddItemToArray(list, a)) {
		cJSON_Delete(a);
		b->ok = false;
		return;
	}
	if (avail == AVAIL_SENSORD) {
		add_topic(b, a, "topic", "status");
	} else if (topic_collector_build(topic, sizeof(topic), b->cfg->mqtt.topic_prefix) < 0) {
		b->ok = false;
	} else {
		add_str(b, a, "topic", topic);
	}
	add_str(b, a, "payload_available", "online");
	add_str(b, a, "payload_not_available", "offline");
}

/* An entity component under key: its platform, name and unique id
 * "rollsense_<device>_<key>". NULL (ok false) if it cannot be made. */
static cJSON *add_entity(struct builder *b, cJSON *cmps, const char *key, const char *platform,
			 const char *name)
{
	cJSON *c = add_obj(b, cmps, key);
	char id[160];

	if (!c)
		return NULL;
	add_str(b, c, "platform", platform);
	add_str(b, c, "name", name);
	snprintf(id, sizeof(id), "rollsense_%s_%s", b->device, key);
	add_str(b, c, "unique_id", id);
	return c;
}

/* An entity on <prefix>/<device>/<kind>: a sensor of a field of its JSON, or
 * of a template of its own; without either a binary_sensor of the payload
 * itself; then its extra attributes as key, value
 * pairs in payload order (NULL ends them), then whose availability it
 * follows. */
struct sensor_row {
	const char *key, *name, *kind, *field, *template;
	const char *attrs[9]; /* at most four pairs: the last stays NULL */
	enum avail avail;
};

#define MEASURED(class, unit) { "device_class", class, "state_class", "measurement", \
				"unit_of_measurement", unit }
#define DURATION(...) { "device_class", "duration", "unit_of_measurement", "s", __VA_ARGS__ }
#define COUNT(...) { "icon", "mdi:counter", __VA_ARGS__ }
#define TOTAL "state_class", "total_increasing"

static const struct sensor_row sensord_sensors[] = {
	{ "pressure", "Pressure", "reading", "pressure_kpa", NULL,
	  MEASURED("pressure", "kPa"), AVAIL_SENSORD },
	{ "temperature", "Temperature", "reading", "temperature_c", NULL,
	  MEASURED("temperature", "°C"), AVAIL_SENSORD },
	/* Counted per run: a restart starts again at 0, which total_increasing
	 * takes as a new cycle rather than a negative count. */
	{ "chip_faults", "Chip faults", "health", "chip_faults", NULL,
	  { TOTAL, "entity_category", "diagnostic", "icon", "mdi:chip" }, AVAIL_SENSORD },
	/* The status itself, as a diagnostic: it is the availability of the
	 * rest, so it has none of its own. */
	{ "connected", "Connected", "status", NULL, NULL,
	  { "payload_on", "online", "payload_off", "offline", "device_class", "connectivity",
	    "entity_category", "diagnostic" }, AVAIL_NONE },
};

/* The collector's entities follow the collector's own status: they are
 * facts about finished sessions, kept retained, and stay true while sensord
 * is off, but nothing updates them while the collector is down. Durations
 * are in seconds: HA shows them as h:mm:ss.
 *
 * The last session's figures have no state_class: Home Assistant's
 * "measurement" is a value in present time, and "total" and
 * "total_increasing" accumulate, while these describe one past session
 * each. Today's totals grow during the day and go back to 0 at midnight:
 * total_increasing. */
static const struct sensor_row collector_sensors[] = {
	{ "last_hold_count", "Last session holds", "session", "hold_count", NULL, COUNT(),
	  AVAIL_COLLECTOR },
	{ "last_hold_time", "Last session hold time", "session", "hold_time_s", NULL,
	  DURATION(), AVAIL_COLLECTOR },
	/* 0 from a tool without a gyroscope, which cannot tell rolling. */
	{ "last_rolling_time", "Last session rolling time", "session", "rolling_time_s", NULL,
	  DURATION(), AVAIL_COLLECTOR },
	{ "last_heat_time", "Last session heat time", "session", "heat_time_s", NULL,
	  DURATION(), AVAIL_COLLECTOR },
	/* A timestamp sensor takes ISO 8601 with an offset; the summary's end
	 * is Unix time, written here in UTC (HA shows it in local time). */
	{ "last_end", "Last session ended", "session", NULL,
	  "{{ value_json.end | timestamp_custom('%Y-%m-%dT%H:%M:%S+00:00', false) }}",
	  { "device_class", "timestamp" }, AVAIL_COLLECTOR },
	{ "today_sessions", "Sessions today", "today", "sessions", NULL, COUNT(TOTAL),
	  AVAIL_COLLECTOR },
	{ "today_hold_count", "Holds today", "today", "hold_count", NULL, COUNT(TOTAL),
	  AVAIL_COLLECTOR },
	{ "today_hold_time", "Hold time today", "today", "hold_time_s", NULL,
	  DURATION(TOTAL), AVAIL_COLLECTOR },
	{ "today_heat_time", "Heat time today", "today", "heat_time_s", NULL,
	  DURATION(TOTAL), AVAIL_COLLECTOR },
};

/* value_json.X of a null renders "None", which HA's MQTT sensor takes as
 * unknown: a failed chip shows as unknown, not as 0. */
static void add_sensor(struct builder *b, cJSON *cmps, const struct sensor_row *r)
{
	bool binary = !r->field && !r->template;
	cJSON *c = add_entity(b, cmps, r->key, binary ? "binary_sensor" : "sensor", r->name);
	char tpl[96];

	if (!c)
		return;
	add_topic(b, c, "state_topic", r->kind);
	if (r->field) {
		snprintf(tpl, sizeof(tpl), "{{ value_json.%s }}", r->field);
		add_str(b, c, "value_template", tpl);
	} else if (r->template) {
		add_str(b, c, "value_template", r->template);
	}
	for (const char *const *a = r->attrs; *a; a += 2)
		add_str(b, c, a[0], a[1]);
	add_availability(b, c, r->avail);
}

static void add_sensors(struct builder *b, cJSON *cmps, const struct sensor_row *rows, size_t n)
{
	for (size_t i = 0; i < n; i++)
		add_sensor(b, cmps, &rows[i]);
}

/* sensord's controls. Tare as a button: it sends the JSON form of the
 * command (docs/protocol.md), which sensord takes like the plain "tare". The
 * zone as a select of the configured names plus "none" (no zone): its state
 * is the retained zone topic, where no zone is a null; choosing an option
 * sends {"zone":"<option>"}, which sensord takes, "none" included. Names are
 * [a-z0-9_], so the command template needs no escaping. No select when
 * zones are off (an empty list). */
static void add_controls(struct builder *b, cJSON *cmps)
{
	const struct zones_cfg *z = &b->cfg->zones;
	cJSON *c, *options;

	c = add_entity(b, cmps, "tare", "button", "Tare");
	if (c) {
		add_topic(b, c, "command_topic", "command");
		add_str(b, c, "payload_press", "{\"command\":\"tare\"}");
		add_str(b, c, "icon", "mdi:scale-balance");
		add_availability(b, c, AVAIL_SENSORD);
	}
	if (z->n == 0)
		return;
	c = add_entity(b, cmps, "zone", "select", "Zone");
	if (!c)
		return;
	add_topic(b, c, "state_topic", "zone");
	add_str(b, c, "value_template", "{{ value_json.zone if value_json.zone else 'none' }}");
	add_topic(b, c, "command_topic", "command");
	add_str(b, c, "command_template", "{\"zone\":\"{{ value }}\"}");
	options = cJSON_AddArrayToObject(c, "options");
	if (!options) {
		b->ok = false;
		return;
	}
	for (size_t i = 0; i <= z->n; i++) {
		cJSON *name = cJSON_CreateString(i < z->n ? z->zone[i].name : ZONE_NONE);

		if (!name || !cJSON_AddItemToArray(options, name)) {
			cJSON_Delete(name);
			b->ok = false;
			return;
		}
	}
	add_str(b, c, "icon", "mdi:human");
	add_availability(b, c, AVAIL_SENSORD);
}

/* Per configured zone, its hold time in the current week, from the week
 * topic (which lists every configured zone, zeros included). It grows
 * during the week and starts again at 0 on Monday: total_increasing. The
 * subscript form reads a name that starts with a digit too. */
static void add_week_sensors(struct builder *b, cJSON *cmps)
{
	const struct zones_cfg *z = &b->cfg->zones;

	for (size_t i = 0; i < z->n; i++) {
		char key[64], name[ZONE_LABEL_MAX + 32], tpl[96];
		cJSON *c;

		snprintf(key, sizeof(key), "week_%s_hold_time", z->zone[i].name);
		snprintf(name, sizeof(name), "%s hold time this week", z->zone[i].label);
		c = add_entity(b, cmps, key, "sensor", name);
		if (!c)
			return;
		add_topic(b, c, "state_topic", "week");
		snprintf(tpl, sizeof(tpl), "{{ value_json.zones['%s'].hold_time_s }}", z->zone[i].name);
		add_str(b, c, "value_template", tpl);
		add_str(b, c, "device_class", "duration");
		add_str(b, c, "unit_of_measurement", "s");
		add_str(b, c, "state_class", "total_increasing");
		add_availability(b, c, AVAIL_COLLECTOR);
	}
}

/* The advice: on while some zone calls for a professional (the advice's
 * problem); the whole advice message, zones, evidence and text, becomes its
 * attributes. A binary_sensor's default payloads are ON and OFF. */
static void add_advice(struct builder *b, cJSON *cmps)
{
	cJSON *c = add_entity(b, cmps, "advice", "binary_sensor", "Advice");

	if (!c)
		return;
	add_topic(b, c, "state_topic", "advice");
	add_str(b, c, "value_template", "{{ 'ON' if value_json.problem else 'OFF' }}");
	add_topic(b, c, "json_attributes_topic", "advice");
	add_str(b, c, "device_class", "problem");
	add_availability(b, c, AVAIL_COLLECTOR);
}

/* Two sensords under this device's id (collector/shared_id.h): the
 * collector's retained ON or OFF on .../same_id, a binary_sensor's default
 * payloads. A diagnostic: the tool's setup is wrong, not the body. */
static void add_same_id(struct builder *b, cJSON *cmps)
{
	cJSON *c = add_entity(b, cmps, "same_id", "binary_sensor", "Device id shared");

	if (!c)
		return;
	add_topic(b, c, "state_topic", "same_id");
	add_str(b, c, "device_class", "problem");
	add_str(b, c, "entity_category", "diagnostic");
	add_availability(b, c, AVAIL_COLLECTOR);
}

/* One device trigger per hold class, each firing on sensord's live
 * hold_ended event of that class: the template gives the ended hold's class
 * ("" for any other event) and the trigger fires when it equals payload.
 * Device triggers have no availability and no unique_id in Home Assistant's
 * schema. */
static void add_hold_triggers(struct builder *b, cJSON *cmps)
{
	static const char *const classes[] = { "short", "effective", "long" };

	for (size_t i = 0; i < sizeof(classes) / sizeof(classes[0]); i++) {
		char key[32];
		cJSON *c;

		snprintf(key, sizeof(key), "hold_%s", classes[i]);
		c = add_obj(b, cmps, key);
		if (!c)
			return;
		add_str(b, c, "platform", "device_automation");
		add_str(b, c, "automation_type", "trigger");
		add_topic(b, c, "topic", "event");
		add_str(b, c, "type", "hold_completed");
		add_str(b, c, "subtype", key);
		add_str(b, c, "value_template",
			"{{ value_json.hold['class'] if value_json.event == 'hold_ended' else '' }}");
		add_str(b, c, "payload", classes[i]);
	}
}

static void add_components(struct builder *b, cJSON *cmps, enum discovery_source source)
{
	if (source == DISCOVERY_SENSORD) {
		add_sensors(b, cmps, sensord_sensors,
			    sizeof(sensord_sensors) / sizeof(sensord_sensors[0]));
		add_controls(b, cmps);
		return;
	}
	add_sensors(b, cmps, collector_sensors,
		    sizeof(collector_sensors) / sizeof(collector_sensors[0]));
	add_week_sensors(b, cmps);
	add_advice(b, cmps);
	add_same_id(b, cmps);
	add_hold_triggers(b, cmps);
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
