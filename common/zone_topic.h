/* <prefix>/<device>/zone: the current zone of a device, published retained
 * by sensord (sensord/zone_state.h holds the zone itself) at start, on every
 * change and after every connect (docs/protocol.md, "Zones"). */
#ifndef ROLLSENSE_ZONE_TOPIC_H
#define ROLLSENSE_ZONE_TOPIC_H

#include "config.h"

/* The retained zone topic's payload for zone ("" none) under z:
 *   {"zone":"calf_left","label":"Left calf","position":12,"of":15}
 *   {"zone":null,"label":null,"position":0,"of":15}
 * position 1-based in z's list (0 for none or a zone not in it). A malloc'd
 * string; the caller frees it. NULL on ENOMEM. */
char *zone_topic_payload(const struct zones_cfg *z, const char *zone);

#endif
