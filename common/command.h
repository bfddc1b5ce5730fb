/* What sensord accepts on <prefix>/<device>/command (docs/protocol.md,
 * "Status and commands"): the plain text
 *   tare                       zero the pressure (the tool at rest)
 * and JSON objects with exactly one of these keys:
 *   {"command":"tare"}         the same (Home Assistant's button sends it)
 *   {"zone":"calf_left"}       the current zone becomes calf_left
 *   {"zone":"none"}            no current zone
 *   {"zone":null}              the same
 * Anything else is refused with a reason for the log: a payload that is
 * neither "tare" nor a JSON object, an unknown key, a second key, a value of
 * the wrong type, an unknown command, a zone name that is not in the
 * configuration (or any zone at all while zones are off). Pure: no I/O.
 * In common/ as the format is the wire's (docs/protocol.md), and cJSON is
 * common's to include. */
#ifndef ROLLSENSE_COMMAND_H
#define ROLLSENSE_COMMAND_H

#include <stddef.h>

#include "config.h"

/* Longer payloads are refused unread: the longest command is far shorter. */
#define COMMAND_MAX_BYTES 256

enum command_kind {
	COMMAND_TARE = 0,
	COMMAND_ZONE,		/* zone: the new zone, "" for none */
};

struct command {
	enum command_kind kind;
	char zone[ZONE_NAME_MAX + 1];
};

/* Parses payload (len bytes, not NUL-terminated) against the configured
 * zones. 0 with *out filled, or -1 with a one-line reason in why (why_len
 * bytes; the payload itself is not quoted in it). */
int command_parse(const char *payload, size_t len, const struct zones_cfg *zones,
		  struct command *out, char *why, size_t why_len);

#endif
