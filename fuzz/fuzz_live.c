/* libFuzzer harness for the live view (collector/live.h): serve and watch
 * feed it whatever anyone publishes on a device's reading, event, status and
 * zone topics.
 *
 * Input: messages separated by newlines; each message's first byte picks
 * the device (of three) and the topic (reading, event, status, zone, or one
 * the model must ignore), the rest is the payload. Beyond "no crash", it checks
 * the contract: a changed device's index is one the model holds, the view
 * it gives as JSON parses, and a steady clock moving on makes live_tick
 * return each device at most once before -1. */
#include "live.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cJSON.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char *const devices[] = { "ball1", "roller-2", "x" };
static const char *const kinds[] = { "reading", "event", "status", "session", "zone" };

static void check_view(const struct live *l, int idx)
{
	struct textbuf out;
	cJSON *json;

	if (idx < 0)
		return;
	if ((size_t)idx >= live_device_count(l))
		abort();
	textbuf_init(&out, 0);
	live_device_json(live_device_at(l, (size_t)idx), &out);
	json = cJSON_Parse(textbuf_text(&out));
	if (textbuf_failed(&out) || !json)
		abort();
	cJSON_Delete(json);
	textbuf_free(&out);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct live *l = live_new("rollsense");
	struct zones_cfg zones = { .n = 1, .zone = { { "calf_left", "Left calf" } } };
	double now = 100.0;
	size_t pos = 0;

	if (!l)
		return 0;
	live_set_zones(l, &zones);
	while (pos < size) {
		const uint8_t *end = memchr(data + pos, '\n', size - pos);
		size_t len = end ? (size_t)(end - (data + pos)) : size - pos;
		char topic[64];
		uint8_t pick;

		if (len > 0) {
			pick = data[pos];
			snprintf(topic, sizeof(topic), "rollsense/%s/%s", devices[pick % 3],
				 kinds[(pick / 3) % 5]);
			check_view(l, live_message(l, topic, (const char *)data + pos + 1, len - 1,
						   now));
			now += (pick & 0x80) ? 3.0 : 0.1;
		}
		pos += len + 1;
	}
	now += 10.0;
	for (size_t n = 0, idx; (idx = (size_t)live_tick(l, now)) != (size_t)-1; n++) {
		if (n >= LIVE_MAX_DEVICES)
			abort();
		check_view(l, (int)idx);
	}
	live_free(l);
	return 0;
}
