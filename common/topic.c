/* MQTT topics of the wire contract: <prefix>/<device>/<kind>.
 *
 * The prefix is configured and may itself hold levels ("home/rollsense"), so
 * a topic is matched against the prefix as a string, not split on '/' from
 * the left. */
#include "topic.h"

#include <stdbool.h>
#include <stdio.h>
#include <string.h>

bool topic_device_id_valid(const char *id, size_t n)
{
	if (!id || n == 0 || n > TOPIC_DEVICE_ID_MAX)
		return false;
	for (size_t i = 0; i < n; i++) {
		char c = id[i];

		if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
		      (c >= '0' && c <= '9') || c == '_' || c == '-'))
			return false;
	}
	return true;
}

/* No check of device or kind: the collector builds its subscription,
 * "<prefix>/+/reading", with this same function. */
int topic_build(char *buf, size_t len, const char *prefix, const char *device, const char *kind)
{
	int n;

	if (!buf || len == 0 || !prefix || !device || !kind)
		return -1;
	n = snprintf(buf, len, "%s/%s/%s", prefix, device, kind);
	if (n < 0 || (size_t)n >= len) {
		buf[0] = '\0';
		return -1;
	}
	return n;
}

int topic_collector_build(char *buf, size_t len, const char *prefix)
{
	int n;

	if (!buf || len == 0 || !prefix)
		return -1;
	n = snprintf(buf, len, "%s/collector", prefix);
	if (n < 0 || (size_t)n >= len) {
		buf[0] = '\0';
		return -1;
	}
	return n;
}

/* The kind is one non-empty level; '+' and '#' never occur in a topic a
 * message was published on, so a kind holding them is refused too. */
int topic_parse(const char *topic, const char *prefix, char *device, size_t device_len,
		char *kind, size_t kind_len)
{
	size_t prefix_n, device_n, kind_n;
	const char *dev, *slash, *knd;

	if (!topic || !prefix || !device || !kind)
		return -1;
	prefix_n = strlen(prefix);
	if (strncmp(topic, prefix, prefix_n) != 0 || topic[prefix_n] != '/')
		return -1;

	dev = topic + prefix_n + 1;
	slash = strchr(dev, '/');
	if (!slash)
		return -1;
	device_n = (size_t)(slash - dev);
	if (!topic_device_id_valid(dev, device_n))
		return -1;

	knd = slash + 1;
	kind_n = strlen(knd);
	if (kind_n == 0 || strpbrk(knd, "/+#"))
		return -1;

	if (device_n >= device_len || kind_n >= kind_len)
		return -1;
	snprintf(device, device_len, "%.*s", (int)device_n, dev);
	snprintf(kind, kind_len, "%s", knd);
	return 0;
}
