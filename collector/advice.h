/* The advice: what a person's own data says they should hear (docs/protocol.md,
 * "Advice"). The rules are written at the top of advice.c, which decides
 * them; advice_decide is pure (no store, no clock) so weeks of synthetic
 * sessions test it.
 *
 * Weeks here are the 7 local calendar days ending with the day the advice is
 * for, and the 7 before those, and so on: rolling, so the advice neither
 * appears nor clears because a Monday came. Days are local calendar days
 * (TZ), whatever their length across a DST change. */
#ifndef ROLLSENSE_ADVICE_H
#define ROLLSENSE_ADVICE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "config.h"
#include "store.h"
#include "textbuf.h"

enum advice_kind {
	ADVICE_SEE_PROFESSIONAL = 0,	/* a zone treated often for weeks */
	ADVICE_OVER_TREATMENT,		/* most of a week's holds on a zone were long */
	ADVICE_BURN_RISK,		/* hot time (>= detector.hot_c) in the last week */
	ADVICE_KINDS
};

#define ADVICE_WEEKS_MAX 8	/* advice.weeks at most */
#define ADVICE_MAX_ITEMS (2 * ZONES_MAX + 2)

/* What one local day had on one zone: the input. */
struct advice_day {
	int32_t day;			/* advice_local_day() of the sessions' start */
	char zone[ZONE_NAME_MAX + 1];	/* "" none */
	size_t holds, long_holds;
	double hold_time_s, hot_time_s;
};

struct advice_item {
	enum advice_kind kind;
	char zone[ZONE_NAME_MAX + 1];	/* "" for BURN_RISK (the whole device) */
	size_t n_weeks;			/* SEE_PROFESSIONAL: advice.weeks */
	unsigned days_per_week[ADVICE_WEEKS_MAX];	/* days treated per week, oldest first */
	size_t holds, long_holds;	/* OVER_TREATMENT: the last week's on the zone */
	double hot_time_s;		/* BURN_RISK: the last week's */
};

struct advice {
	int32_t day;			/* the day it is for */
	char date[11];			/* the same as "2026-12-07" */
	size_t n;			/* items: SEE_PROFESSIONAL first, by zone order */
	struct advice_item items[ADVICE_MAX_ITEMS];
};

/* The local calendar day of ts: days since 1970-01-01 in local time. */
int32_t advice_local_day(double ts);

/* Decides the advice for today from days[0..n) (any order; rows of one day
 * and zone are summed). */
void advice_decide(const struct advice_cfg *cfg, const struct advice_day *days, size_t n,
		   int32_t today, struct advice *out);

/* The same from the store: device's sessions that started in the weeks
 * before now_ts. 0, or -1 if the store failed or memory ran out. */
int advice_for_device(struct store *st, const struct advice_cfg *cfg, const char *device,
		      double now_ts, struct advice *out);

/* Whether a says to see a professional (Home Assistant's problem sensor). */
bool advice_problem(const struct advice *a);

/* The text a person reads for an item's kind. */
const char *advice_text(enum advice_kind k);

/* Appends the retained <prefix>/<device>/advice payload (docs/protocol.md).
 * 0, or -1 on ENOMEM. */
int advice_encode(const struct advice *a, const struct zones_cfg *zones, const char *device,
		  struct textbuf *out);

#endif
