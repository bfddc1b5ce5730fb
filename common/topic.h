/* MQTT topics of the wire contract: <prefix>/<device>/<kind>. */
#ifndef ROLLSENSE_TOPIC_H
#define ROLLSENSE_TOPIC_H

#include <stdbool.h>
#include <stddef.h>

/* The longest device id. */
#define TOPIC_DEVICE_ID_MAX 64

/* The device id rule of docs/protocol.md, [A-Za-z0-9_-]{1,64}, for the n bytes at
 * id: the id is a topic level and a name in broker ACLs, where '/' separates
 * levels and '+' and '#' are wildcards. The one place the rule is written. */
bool topic_device_id_valid(const char *id, size_t n);

/* Writes "<prefix>/<device>/<kind>" into buf. Length, or -1 if it does not fit. */
int topic_build(char *buf, size_t len, const char *prefix, const char *device, const char *kind);

/* Writes "<prefix>/collector", the collector's own status (online, or
 * offline as its will): no device level, so no device's topic can be it.
 * Length, or -1 if it does not fit. */
int topic_collector_build(char *buf, size_t len, const char *prefix);

/* Splits topic "<prefix>/<device>/<kind>" against prefix. On success (0)
 * device and kind are copied out (NUL-terminated); -1 if the topic does not
 * have that shape, the device id is invalid or a part does not fit. */
int topic_parse(const char *topic, const char *prefix, char *device, size_t device_len,
		char *kind, size_t kind_len);

#endif
