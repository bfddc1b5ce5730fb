/* rollsense-collector report: the stored sessions and each device's daily
 * totals, as a table for people, or JSON or CSV (sessions only) for other
 * programs. Times are local; the CSV's carry their UTC offset. */
#ifndef ROLLSENSE_REPORT_H
#define ROLLSENSE_REPORT_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "config.h"
#include "store.h"

enum report_format { REPORT_TABLE, REPORT_JSON, REPORT_CSV };

struct report_query {
	const char *device;	/* NULL: every device */
	bool by_zone;		/* --by zone: the totals per zone */
	bool weekly;		/* --weekly: totals per ISO week instead of per day */
	double since_ts;	/* sessions starting at or after (Unix time) */
	double until_ts;	/* ... and before */
	enum report_format format;
};

/* A device's totals over one local day or ISO week (Monday first, the
 * year the week belongs to): the report's daily rows and the history page
 * are both made of these. */
enum report_period { REPORT_DAY, REPORT_WEEK };

struct report_total {
	char period[11];	/* "2026-11-24" (a day) or "2026-W48" (an ISO week) */
	char device[65];
	char zone[ZONE_NAME_MAX + 1];	/* by_zone: the zone ("" none); otherwise "" */
	unsigned days;		/* local days in the period with a session (by_zone: with
				 * something counted on the zone) */
	double hot_time_s;
	unsigned sessions;
	double duration_s, hold_time_s, heat_time_s;
	double rolling_time_s;	/* contact with motion: a gyroscope's tools only */
	size_t holds;		/* every hold counted, stored or not */
	size_t class_holds[3];	/* the stored holds by enum detector_hold_class */
	double class_time_s[3];	/* and their time */
	int32_t last_day;	/* internal: the last local day counted in days */
};

/* A growing list of totals. Zero it, set period, add sessions in start
 * order (store_sessions_each gives them so), sort, read rows, free. */
struct report_totals {
	enum report_period period;
	bool by_zone;		/* a row per period, device and zone, from the sessions'
				 * zone totals (sessions, duration_s: those that touched it) */
	struct report_total *rows;
	size_t n, cap;
	bool no_memory;		/* a session could not be added */
};

/* Adds s to its device's row for the local day or week of its start. */
void report_totals_add(struct report_totals *t, const struct store_session *s);
/* Orders the rows by period, then device (then zone, by_zone). */
void report_totals_sort(struct report_totals *t);
void report_totals_free(struct report_totals *t);

/* Parses a time for --since/--until: "YYYY-MM-DD", "YYYY-MM-DD HH:MM",
 * "YYYY-MM-DDTHH:MM[:SS]" (local time) or Unix seconds. 0 or -1. */
int report_time_parse(const char *text, double *ts);

/* ts as local time through strftime's fmt into buf ("?" if it cannot). */
void report_local_time(double ts, const char *fmt, char *buf, size_t len);
/* A duration for people: "4m05s", or "1h02m" from an hour on. */
void report_duration_text(double s, char *buf, size_t len);

/* Whether the database at db_path (open as st) knows device: 0 if it does;
 * 1 if not, with err holding "no device \"ID\" in DB; known: a, b"; -1 if
 * the store failed (err says so). */
int report_device_check(struct store *st, const char *device, const char *db_path, char *err,
			size_t err_len);

/* Writes the report to out: the sessions and the daily totals, or with
 * weekly or by_zone those totals alone. 0, or -1 if the store failed. */
int report_write(struct store *st, const struct report_query *q, FILE *out);

/* The table's closing words: device's advice as of now_ts (device NULL:
 * every device's), for those that have some. 0, or -1 if the store failed. */
int report_advice_write(struct store *st, const struct advice_cfg *cfg,
			const struct zones_cfg *zones, const char *device, double now_ts,
			FILE *out);

#endif
