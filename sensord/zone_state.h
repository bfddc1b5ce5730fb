/* The current zone on the tool (zone.h): which of the configured zones the
 * person is treating now, so that every reading can say so. sensord holds
 * it ("" at first), persists it in <state_dir>/zone across restarts, steps
 * it with the button's double press and sets it from the command topic
 * (command.h), and publishes it retained on <prefix>/<device>/zone
 * (docs/protocol.md, "Zones"). This file has the pieces that need no
 * daemon: the next zone and the state file (the topic's payload is
 * common/zone_topic.h). */
#ifndef ROLLSENSE_ZONE_STATE_H
#define ROLLSENSE_ZONE_STATE_H

#include <stddef.h>

#include "config.h"

#define ZONE_STATE_FILE "zone"	/* in state_dir */

/* The zone after current in z's list: the first after the last, and the
 * first from none ("") or from a name not in the list. NULL when the list
 * is empty (zones are off). */
const char *zone_state_next(const struct zones_cfg *z, const char *current);

/* Reads the zone saved at path into zone (ZONE_NAME_MAX + 1 bytes): "" when
 * the file is absent or empty. The file holds the name and a newline.
 * 0, or -1 with zone "" and a reason in why (why_len bytes): the file
 * cannot be read, or holds no valid zone name. Whether the name is still
 * configured is the caller's business. */
int zone_state_load(const char *path, char zone[ZONE_NAME_MAX + 1], char *why, size_t why_len);

/* Saves zone ("" for none) at path atomically: written to path.tmp, synced,
 * renamed over path, and the folder synced, so a power cut leaves the old
 * zone or the new, never a torn file. 0, or -errno. */
int zone_state_save(const char *path, const char *zone);

#endif
