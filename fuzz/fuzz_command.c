/* libFuzzer harness for command_parse (common/command.h): sensord parses
 * every message on its command topic, and whoever the ACL lets write there
 * (Home Assistant, the page, a person with mosquitto_pub) may send anything.
 *
 * Input: the payload, as MQTT delivers it (any bytes, NULs included), against
 * a list of three zones. Beyond "no crash", it checks the contract: accepted,
 * the command is a tare or a zone that is "" or one of the list; refused,
 * there is a reason. */
#include "command.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const names[] = { "neck", "calf_left", "foot_right" };
	struct zones_cfg zones = { .n = 3 };
	struct command c;
	char why[160];

	for (size_t i = 0; i < zones.n; i++)
		snprintf(zones.zone[i].name, sizeof(zones.zone[i].name), "%s", names[i]);
	why[0] = '\0';
	if (command_parse((const char *)data, size, &zones, &c, why, sizeof(why)) == 0) {
		if (c.kind == COMMAND_ZONE) {
			if (strnlen(c.zone, sizeof(c.zone)) >= sizeof(c.zone))
				abort();
			if (c.zone[0] && zones_find(&zones, c.zone) < 0)
				abort();
		} else if (c.kind != COMMAND_TARE) {
			abort();
		}
	} else if (why[0] == '\0') {
		abort();
	}
	return 0;
}
