/* The web side's pages and JSON API, from the database (read-only): the
 * sessions list, one session with its picture, the history, and the same
 * data as JSON for other tools. Each writes a whole document into out and
 * returns the HTTP status: 200; 404 when the session or device does not
 * exist (out then holds a short page or JSON error saying so); 500 when the
 * store failed or out filled up. No JavaScript: these pages work as files
 * too (report --html). The live page is live.h's. */
#ifndef ROLLSENSE_PAGES_H
#define ROLLSENSE_PAGES_H

#include <stdio.h>

#include "config.h"
#include "detector_cfg.h"
#include "route.h"
#include "store.h"
#include "textbuf.h"

/* The stylesheet every page shares (phone width, dark mode), as the text
 * inside a <style> element. */
extern const char pages_css[];

/* HTML: /sessions, /sessions/ID, /history. From cfg: the detector's
 * thresholds the picture draws (hold_start_kpa, heat_c, hot_c), the zones'
 * labels, and the advice's thresholds. now_ts (Unix time): the history's
 * advice is each device's as of then (advice_for_device). */
int pages_sessions(struct store *st, const struct route *q, struct textbuf *out);
int pages_session(struct store *st, const struct rs_config *cfg, int64_t session_id,
		  struct textbuf *out);
int pages_history(struct store *st, const struct rs_config *cfg, const struct route *q,
		  double now_ts, struct textbuf *out);

/* JSON (application/json): /api/devices, /api/sessions, /api/sessions/ID. */
int api_devices(struct store *st, struct textbuf *out);
int api_sessions(struct store *st, const struct route *q, struct textbuf *out);
int api_session(struct store *st, int64_t session_id, bool raw, struct textbuf *out);
/* /api/devices/DEVICE/weeks: a row per ISO week (local time) and zone, oldest
 * first: {"week":"2026-W49","zone":"calf_left","label":"Left calf","days":3,
 * "holds":5,"short":1,"effective":3,"long":1,"hold_time_s":120.5,
 * "heat_time_s":0.0,"hot_time_s":0.0}; "zone" and "label" null for what
 * counted without a zone. 404 for a device the database lacks. */
int api_weeks(struct store *st, const struct zones_cfg *zones, const char *device,
	      struct textbuf *out);
/* /api/devices/DEVICE/advice: the advice topic's payload (advice_encode) as
 * of now_ts. 404 for a device the database lacks. */
int api_advice(struct store *st, const struct rs_config *cfg, const char *device, double now_ts,
	       struct textbuf *out);

/* report --html: the sessions (each with its picture) and the history of
 * q's range as one self-contained HTML file, the advice as of now. 0, or -1
 * if the store failed. */
int pages_report_html(struct store *st, const struct rs_config *cfg, const struct route *q,
		      FILE *out);

#endif
