/* rollsense-collector report: the stored sessions and daily totals, as a
 * table for people, or JSON or CSV for other programs. */
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

/* Writes the report to out. 0, or -1 if the store failed. */
int report_write(struct store *st, const struct report_query *q, FILE *out);

#endif
