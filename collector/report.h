/* rollsense-collector report: the stored sessions and each device's daily
 * totals, as a table for people, or JSON or CSV (sessions only) for other
 * programs. Times are local; the CSV's carry their UTC offset. */
#ifndef ROLLSENSE_REPORT_H
#define ROLLSENSE_REPORT_H

#include <stdio.h>

#include "store.h"

enum report_format { REPORT_TABLE, REPORT_JSON, REPORT_CSV };

struct report_query {
	const char *device;	/* NULL: every device */
	double since_ts;	/* sessions starting at or after (Unix time) */
	double until_ts;	/* ... and before */
	enum report_format format;
};

/* Parses a time for --since/--until: "YYYY-MM-DD", "YYYY-MM-DD HH:MM",
 * "YYYY-MM-DDTHH:MM[:SS]" (local time) or Unix seconds. 0 or -1. */
int report_time_parse(const char *text, double *ts);

/* Whether the database at db_path (open as st) knows device: 0 if it does;
 * 1 if not, with err holding "no device \"ID\" in DB; known: a, b"; -1 if
 * the store failed (err says so). */
int report_device_check(struct store *st, const char *device, const char *db_path, char *err,
			size_t err_len);

/* Writes the report to out. 0, or -1 if the store failed. */
int report_write(struct store *st, const struct report_query *q, FILE *out);

#endif
