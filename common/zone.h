/* Zones: the named spots of the body a person treats ("calf_left"), chosen
 * on the tool (button, MQTT command, Home Assistant, the web page) and
 * carried by every reading (docs/protocol.md, "Zones"). A name is
 * [a-z0-9_]{1,ZONE_NAME_MAX}; "none" is reserved: in a command it clears
 * the zone, and in Home Assistant's select it stands for no zone. An empty
 * string means no zone everywhere in the code. */
#ifndef ROLLSENSE_ZONE_H
#define ROLLSENSE_ZONE_H

#include <stdbool.h>
#include <stddef.h>

#define ZONE_NAME_MAX 32	/* bytes of a name, at most */
#define ZONE_LABEL_MAX 64	/* bytes of a label (UTF-8), at most */
#define ZONES_MAX 32		/* zones in the configuration, at most */
#define ZONE_NONE "none"	/* the reserved name for no zone */

/* True if name is [a-z0-9_]{1,ZONE_NAME_MAX} and not "none". */
bool zone_name_valid(const char *name);

/* The default list (docs/protocol.md): "neck", "shoulder_left", ...
 * "foot_right", with their labels ("Neck", "Left shoulder" ...). i from 0;
 * NULL past the last. */
const char *zone_default_name(size_t i);
const char *zone_default_label(size_t i);

#endif
