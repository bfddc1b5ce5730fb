/* The live view: per device, what the page's hold timer, pressure bar and
 * heat badge show right now, built from sensord's readings and events as
 * they arrive on MQTT (<prefix>/<device>/reading, /event, /status, /zone). Pure:
 * the caller gives the time, and nothing here does I/O. Used by
 * `rollsense-collector serve` (the live page and /events) and by
 * `rollsense-collector watch` (the terminal). */
#ifndef ROLLSENSE_LIVE_H
#define ROLLSENSE_LIVE_H

#include <stdbool.h>
#include <stddef.h>

#include "config.h"
#include "detector_cfg.h"
#include "textbuf.h"

#define LIVE_MAX_DEVICES 64
/* The largest message the view takes: sensord writes an event into 16 KB
 * (a session_ended carries up to 64 holds); a reading is smaller. A client
 * feeding the view lets this much in (mqtt_client_set_inbound_limits). */
#define LIVE_MAX_PAYLOAD 16384

struct live;

/* What one device shows. Times are Unix seconds (the readings' ts). */
struct live_device {
	char device[65];
	bool online;			/* its status says online, and a reading came lately */
	char status[8];			/* its status topic: "online", "offline", "" none yet */
	char run[17];			/* the run of its last reading, "" none yet */
	double last_ts;			/* ts of the last reading; 0: none yet */
	double pressure_kpa;		/* NAN: null or none yet */
	double temperature_c;		/* NAN: null or none yet */
	char zone[ZONE_NAME_MAX + 1];	/* its zone topic's zone: "" none (or none yet) */
	char zone_label[ZONE_LABEL_MAX + 1];	/* its label in the config's zones (the
						 * topic's, then the name, for a zone
						 * the config lacks); "" with no zone */
	bool heat_on, too_hot;		/* heat_on/heat_off, too_hot events */
	bool in_session;		/* session_started .. session_ended */
	double session_start_ts;
	bool in_hold;			/* hold_started .. hold_ended */
	bool in_rolling;		/* rolling_started .. rolling_ended (a gyroscope) */
	double hold_start_ts;		/* the hold's "start" */
	double hold_s;			/* how long the hold has lasted at last_ts; after
					 * hold_ended its duration; NAN: no hold yet */
	char hold_class[10];		/* that hold's class so far, from the last hold_*
					 * event: "short", "effective", "long"; "" none */
	unsigned holds_short, holds_effective, holds_long;	/* this session so far */
	double hold_time_s, heat_time_s;			/* this session so far */
	char faults[160];		/* the last reading's faults, "" when none */
	/* The last finished session, shown from its session_ended until the
	 * next session_started (has_last_session). */
	bool has_last_session;
	double last_session_end_ts, last_session_duration_s;
	unsigned last_holds_short, last_holds_effective, last_holds_long;
	double last_hold_time_s, last_heat_time_s;
	double last_rolling_time_s;	/* its summary's rolling_time_s; 0 when it has none */
};

/* topic_prefix as in mqtt.topic_prefix. NULL with errno set: ENOMEM, or
 * EINVAL for a prefix of 64 bytes or more. */
struct live *live_new(const char *topic_prefix);
void live_free(struct live *l);
/* The zones whose labels the view shows (the config's; a copy is kept).
 * None set: every zone is shown by its zone topic's label. */
void live_set_zones(struct live *l, const struct zones_cfg *zones);

/* Feeds one message. Returns the index of the device whose view changed
 * (for live_device_at), -1 when nothing changed, -2 when the message was
 * malformed (counted in live_malformed, never fatal). now_s: the caller's
 * steady clock in seconds (the same clock for live_tick), which only
 * measures how long ago a device was last heard from. A device beyond
 * LIVE_MAX_DEVICES is left out (-1) and counted in live_ignored. */
int live_message(struct live *l, const char *topic, const char *payload, size_t len,
		 double now_s);
/* Marks devices offline whose last reading is older than 5 s; returns the
 * index of one that changed, or -1 (call until -1). */
int live_tick(struct live *l, double now_s);

size_t live_device_count(const struct live *l);
const struct live_device *live_device_at(const struct live *l, size_t i);
unsigned long long live_malformed(const struct live *l);
unsigned long long live_ignored(const struct live *l);
/* The "event" of the last message live_message took, if it was a valid
 * event ("hold_ended"); "" after any other message. */
const char *live_last_event(const struct live *l);

/* One device's view as a JSON object (the data of an SSE "device" event),
 * every field of struct live_device under its own name except last_ts
 * ("ts") and the last_session_* fields (one "last_session" object, or
 * null); zone_label is "zone_label". Times with 3 decimals, the rest with 2, in the shortest form;
 * null for NAN, for a ts of 0 and for an empty text:
 * {"device":"ball1","online":true,"status":"online","run":"5e1f03c29a7b44d1",
 *  "ts":1796527356.47,"pressure_kpa":14.2,...,"hold_s":12.3,
 *  "hold_class":"effective",...,"last_session":null}. */
void live_device_json(const struct live_device *d, struct textbuf *out);
/* The live page: HTML with its inline CSS and script (a few KB), which
 * opens /events and reconnects by itself. commands: show the tare button
 * and, with zones, the zone picker (web.commands). det: the thresholds the
 * page marks (the detector section of the configuration): the bar's line
 * at hold_start_kpa, the timer's "counts" from effective_s and "let go"
 * above long_s. zones: the picker's choices (the config's), besides "no
 * zone". */
void live_page_html(struct textbuf *out, bool commands, const struct detector_cfg *det,
		    const struct zones_cfg *zones);

#endif
