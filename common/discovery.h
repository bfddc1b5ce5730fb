/* Home Assistant MQTT discovery, device-based form: one retained message per
 * daemon and device on <discovery_prefix>/device/<object_id>/config with
 *   "dev"  the device (identifiers ["rollsense_<device>"], name, model...),
 *   "o"    the origin (name, sw_version; no support_url: the project has no
 *          public home yet, and a made-up address would mislead),
 *   "cmps" the components (entities and a device trigger), each with a
 *          stable unique_id "rollsense_<device>_<what>".
 * Both daemons describe the same HA device (same identifiers), each its own
 * components on its own topic, so they never overwrite each other:
 *   sensord   <dp>/device/rollsense_<device>/config
 *             pressure, temperature (from .../reading), connected (from
 *             .../status), chip faults (diagnostic, from .../health), the
 *             tare button and the zone select (to .../command; the select's
 *             state from .../zone, its options the configured zones and
 *             "none"); all but connected unavailable while .../status says
 *             offline
 *   collector <dp>/device/rollsense_<device>_sessions/config
 *             last session's holds, hold time, rolling time, heat time and end (from
 *             .../session), today's sessions, holds, hold and heat time (from
 *             .../today, total_increasing), each configured zone's hold time
 *             this week (from .../week), the advice problem binary_sensor
 *             (from .../advice, which also gives its attributes), the
 *             shared device id problem binary_sensor (from .../same_id), all
 *             unavailable while <prefix>/collector says offline; and three
 *             device triggers "hold_completed", subtypes hold_short,
 *             hold_effective and hold_long (a hold_ended of that class on
 *             .../event)
 * Payloads are built here and nowhere else; publishing (and when) is the
 * daemons' business. */
#ifndef ROLLSENSE_DISCOVERY_H
#define ROLLSENSE_DISCOVERY_H

#include <stddef.h>

#include "config.h"

enum discovery_source {
	DISCOVERY_SENSORD,
	DISCOVERY_COLLECTOR,
};

/* Writes "<discovery_prefix>/device/rollsense_<device>[_sessions]/config".
 * Length, or -1 if it does not fit. */
int discovery_topic(char *buf, size_t len, const struct rs_config *cfg, const char *device,
		    enum discovery_source source);

/* The discovery payload for device as a malloc'd JSON string; the caller
 * frees it. Topics inside use cfg->mqtt.topic_prefix. NULL on ENOMEM. */
char *discovery_payload(const struct rs_config *cfg, const char *device,
			enum discovery_source source);

#endif
