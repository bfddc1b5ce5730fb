/* The wire format of session summaries (the collector's retained
 * <prefix>/<device>/session) and of live detector events (sensord's
 * <prefix>/<device>/event): docs/protocol.md, "Wire contract".
 *
 * Times on the wire are wall-clock labels: a detector time (mono seconds on
 * the run's timeline) becomes mono + ts_offset_s, where ts_offset_s is a
 * reading's ts minus its mono. */
#ifndef ROLLSENSE_SUMMARY_H
#define ROLLSENSE_SUMMARY_H

#include <stddef.h>

#include "detector.h"

/* Writes the session summary as JSON into buf:
 *   {"device":"roller1","run":"3f9c2a1e","start":1763910000.1,"end":...,
 *    "duration_s":912.3,"hold_count":6,"hold_time_s":231.8,"rolling_time_s":140.5,
 *    "holds":[{"start":...,"duration_s":24.6,"peak_kpa":18.2,"mean_kpa":15.9,
 *              "class":"effective","zone":"calf_left"}],
 *    "heat_time_s":300.2,"max_temperature_c":41.3,"hot_time_s":0.0,
 *    "readings":9123,"missing_readings":0,
 *    "zones":{"calf_left":{"holds":1,"short":0,"effective":1,"long":0,
 *             "hold_time_s":24.6,"heat_time_s":120.5,"hot_time_s":0}}}
 * max_temperature_c is null when unknown. A hold's "zone" is there only when
 * it has one; "zones" holds the named zones' totals (s->zones without ""),
 * {} when there are none. Returns the length, or -1 if buf is
 * too small or memory ran out. */
int summary_encode(const struct detector_summary *s, const char *device, const char *run,
		   double ts_offset_s, char *buf, size_t len);

/* Marks a summary summary_encode() wrote into buf (len bytes, buf holding
 * size) as a revision of a session published before, by adding
 * "revised":true: late readings changed it (docs/protocol.md). Returns the new
 * length, or -1 if it does not fit or buf is not such a summary. */
int summary_mark_revised(char *buf, size_t len, size_t size);

/* Writes a live event as JSON into buf:
 *   {"event":"hold_10s","run":"3f9c2a1e","mono":46.2,"ts":1763910046.3,
 *    "hold":{"start":...,"duration_s":10.0,"peak_kpa":15.3,"mean_kpa":14.9,"class":"effective",
 *            "zone":"calf_left"}}
 * with "pressure_kpa" for contact, "temperature_c" for heat_on, heat_off and
 * too_hot, "hold" for the hold events (its "zone" only when it has one), and "session" (the summary without
 * device and run) for session_ended; nothing more for the others
 * (session_started, rolling_started, rolling_ended). Returns the length, or -1. */
int event_encode(const struct detector_event *ev, const char *run, double ts_offset_s,
		 char *buf, size_t len);

#endif
