/* The collector's side of Home Assistant, and the daily totals.
 *
 * For every device it has seen (in the database at start, or on any topic
 * since) the collector publishes, retained:
 *   - <discovery_prefix>/device/rollsense_<device>_sessions/config, the
 *     discovery of the session entities (discovery.h), unless
 *     homeassistant.enabled is false; again after every connect and when
 *     Home Assistant announces itself ("online" on <discovery_prefix>/status);
 *   - <prefix>/<device>/today, the totals of the sessions that started on
 *     the local day:
 *       {"date":"2026-11-24","sessions":2,"hold_count":5,"hold_time_s":160.2,
 *        "heat_time_s":143.2}
 *     after each session summary, after every connect, and at local midnight
 *     (back to zeros);
 *   - <prefix>/<device>/week, the current ISO week's totals per configured
 *     zone (zeros when untreated) and in all, and <prefix>/<device>/advice,
 *     advice.h's decision as of now (docs/protocol.md has both payloads): at
 *     the same times as "today". */
#ifndef ROLLSENSE_HOMEASSISTANT_H
#define ROLLSENSE_HOMEASSISTANT_H

#include <stdbool.h>
#include <stddef.h>

#include "config.h"
#include "ingest.h"
#include "store.h"

struct homeassistant;

/* Copies env (ingest.h). Every device in the store is known from the start,
 * however long ago it last sent (beyond 64 devices, the 64 heard from last).
 * NULL on ENOMEM. */
struct homeassistant *homeassistant_new(const struct ingest_env *env);
void homeassistant_free(struct homeassistant *ha);

/* The topic filter to subscribe to for Home Assistant's birth message
 * ("<discovery_prefix>/status"), or NULL when discovery is off. */
const char *homeassistant_status_filter(const struct homeassistant *ha);

/* Every message the collector receives: learns devices from
 * <prefix>/<device>/..., and answers Home Assistant's "online". True if the
 * message was Home Assistant's own (nothing for the ingest). */
bool homeassistant_message(struct homeassistant *ha, const char *topic, const char *payload,
			   size_t len);
/* Every publish the ingest makes: a session summary makes the device's
 * "today", "week" and "advice" due. */
void homeassistant_published(struct homeassistant *ha, const char *topic);
/* (Re)connected: everything again. */
void homeassistant_connected(struct homeassistant *ha);
/* Publishes what is due (call a few times a second): discovery for new
 * devices, "today", "week" and "advice" after sessions and at a change of
 * the local date. */
void homeassistant_tick(struct homeassistant *ha, double now_wall_s);

#endif
