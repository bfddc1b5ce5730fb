/* The advice (advice.h), decided from the days a person treated each zone.
 *
 * The rules, in plain words. "The last week" is the 7 local calendar days
 * ending with the day the advice is for; the week before is the 7 days
 * before those, and so on (rolling weeks, not calendar weeks).
 *
 *   See a professional: a zone was treated (at least one hold on it) on at
 *   least advice.days_per_week days (default 3) in each of the last
 *   advice.weeks weeks (default 3). Pain that keeps bringing someone back
 *   for weeks is worth a doctor's or physiotherapist's look. The advice
 *   clears on the first day the pattern is no longer there: a week with
 *   fewer days.
 *
 *   Over-treatment: in the last week, a zone had at least advice.min_holds
 *   holds (default 3), and more than advice.long_share of them (default 0.5)
 *   were long, longer than detector.long_s (default 60 s).
 *
 *   Burn risk (when advice.burn_risk, default true): any hot time (the tool
 *   at detector.hot_c, default 45 °C, or above) in the last week.
 *
 * Holds without a zone count for no zone: the first two rules are about a
 * spot, and such holds say nothing about which. Their hot time counts for
 * the burn risk. */
#include "advice.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define WEEK_DAYS 7
/* Zones followed in one decision: those configured, and as many again that
 * were configured once (stored sessions keep their names). */
#define ADVICE_ZONES (2 * ZONES_MAX)

/* Days since 1970-01-01 of a civil date: the date's midnight in UTC, where
 * every day has 86,400 s, so the division is exact. */
static int32_t days_from_civil(int y, int m, int d)
{
	struct tm tm = { .tm_year = y - 1900, .tm_mon = m - 1, .tm_mday = d };

	return (int32_t)(timegm(&tm) / 86400);
}

/* The civil date of a day number as "YYYY-MM-DD" (the inverse of the above). */
static void civil_from_days(int32_t day, char date[11])
{
	time_t t = (time_t)day * 86400;
	struct tm tm;
	char text[40];

	if (!gmtime_r(&t, &tm)) {
		snprintf(date, 11, "?");
		return;
	}
	/* Room for what the compiler cannot rule out; dates are 10 bytes. */
	snprintf(text, sizeof(text), "%04d-%02d-%02d", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday);
	snprintf(date, 11, "%.10s", text);
}

int32_t advice_local_day(double ts)
{
	time_t t = (time_t)floor(ts);
	struct tm tm;

	if (!localtime_r(&t, &tm))
		return 0;
	return days_from_civil(tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday);
}

/* What the window says about one zone. */
struct zone_tally {
	const char *zone;
	bool treated[ADVICE_WEEKS_MAX * WEEK_DAYS];	/* [0] today, [1] yesterday ... */
	size_t holds, long_holds;			/* the last week's */
};

static int tally_cmp(const void *a, const void *b)
{
	const struct zone_tally *x = a, *y = b;

	return strcmp(x->zone, y->zone);
}

static struct zone_tally *tally_find(struct zone_tally *t, size_t *n, const char *zone)
{
	for (size_t i = 0; i < *n; i++)
		if (strcmp(t[i].zone, zone) == 0)
			return &t[i];
	if (*n == ADVICE_ZONES)
		return NULL;
	memset(&t[*n], 0, sizeof(t[*n]));
	t[*n].zone = zone;
	return &t[(*n)++];
}

static struct advice_item *item_add(struct advice *out, enum advice_kind kind, const char *zone)
{
	struct advice_item *it;

	if (out->n == ADVICE_MAX_ITEMS)
		return NULL;
	it = &out->items[out->n++];
	memset(it, 0, sizeof(*it));
	it->kind = kind;
	snprintf(it->zone, sizeof(it->zone), "%s", zone);
	return it;
}

/* Days treated in week w (0 the last) of t. */
static unsigned week_days(const struct zone_tally *t, unsigned w)
{
	unsigned n = 0;

	for (unsigned i = 0; i < WEEK_DAYS; i++)
		n += t->treated[w * WEEK_DAYS + i];
	return n;
}

void advice_decide(const struct advice_cfg *cfg, const struct advice_day *days, size_t n,
		   int32_t today, struct advice *out)
{
	struct zone_tally tally[ADVICE_ZONES];
	unsigned weeks = cfg->weeks < 1 ? 1 : cfg->weeks > ADVICE_WEEKS_MAX ? ADVICE_WEEKS_MAX
								      : cfg->weeks;
	int32_t window_days = (int32_t)(weeks * WEEK_DAYS);
	size_t n_tally = 0;
	double hot_time_s = 0;

	memset(out, 0, sizeof(*out));
	out->day = today;
	civil_from_days(today, out->date);
	for (size_t i = 0; i < n; i++) {
		int32_t back = today - days[i].day;	/* 0 today */
		struct zone_tally *t;

		if (back < 0 || back >= window_days)
			continue;
		if (back < WEEK_DAYS)
			hot_time_s += days[i].hot_time_s;
		if (!days[i].zone[0] || days[i].holds == 0)
			continue;
		t = tally_find(tally, &n_tally, days[i].zone);
		if (!t)
			continue;
		t->treated[back] = true;
		if (back < WEEK_DAYS) {
			t->holds += days[i].holds;
			t->long_holds += days[i].long_holds;
		}
	}
	qsort(tally, n_tally, sizeof(*tally), tally_cmp);
	for (size_t z = 0; z < n_tally; z++) {
		struct advice_item *it;
		unsigned w;

		for (w = 0; w < weeks && week_days(&tally[z], w) >= cfg->days_per_week; w++)
			;
		if (w < weeks || !(it = item_add(out, ADVICE_SEE_PROFESSIONAL, tally[z].zone)))
			continue;
		it->n_weeks = weeks;
		for (w = 0; w < weeks; w++)
			it->days_per_week[weeks - 1 - w] = week_days(&tally[z], w);
	}
	for (size_t z = 0; z < n_tally; z++) {
		const struct zone_tally *t = &tally[z];
		struct advice_item *it;

		if (t->holds < cfg->min_holds ||
		    !((double)t->long_holds > cfg->long_share * (double)t->holds))
			continue;
		it = item_add(out, ADVICE_OVER_TREATMENT, t->zone);
		if (it) {
			it->holds = t->holds;
			it->long_holds = t->long_holds;
		}
	}
	if (cfg->burn_risk && hot_time_s > 0) {
		struct advice_item *it = item_add(out, ADVICE_BURN_RISK, "");

		if (it)
			it->hot_time_s = hot_time_s;
	}
}

/* The advice's input from the store: a growing list of days. */
struct days_list {
	int32_t first_day, today;
	struct advice_day *days;
	size_t n, cap;
	bool no_memory;
};

static void days_push(struct days_list *l, int32_t day, const char *zone, size_t holds,
		      size_t long_holds, double hold_time_s, double hot_time_s)
{
	struct advice_day *d;

	if (l->n == l->cap) {
		size_t cap = l->cap ? l->cap * 2 : 64;
		struct advice_day *grown = realloc(l->days, cap * sizeof(*grown));

		if (!grown) {
			l->no_memory = true;
			return;
		}
		l->days = grown;
		l->cap = cap;
	}
	d = &l->days[l->n++];
	memset(d, 0, sizeof(*d));
	d->day = day;
	snprintf(d->zone, sizeof(d->zone), "%s", zone);
	d->holds = holds;
	d->long_holds = long_holds;
	d->hold_time_s = hold_time_s;
	d->hot_time_s = hot_time_s;
}

static int session_days(const struct store_session *s, void *ctx)
{
	struct days_list *l = ctx;
	int32_t day = advice_local_day(s->start_ts);

	if (day < l->first_day || day > l->today)
		return 0;
	/* A session stored before zones has no zone totals: its own totals
	 * count for no zone. */
	if (s->n_zones == 0) {
		size_t long_holds = 0;

		for (size_t i = 0; i < s->holds_stored; i++)
			long_holds += strcmp(s->holds[i].hold_class, "long") == 0;
		days_push(l, day, "", s->hold_count, long_holds, s->hold_time_s, s->hot_time_s);
	}
	for (size_t z = 0; z < s->n_zones; z++) {
		const struct detector_zone_total *zt = &s->zones[z];

		days_push(l, day, zt->zone, zt->holds, zt->class_holds[DETECTOR_HOLD_LONG],
			  zt->hold_time_s, zt->hot_time_s);
	}
	return l->no_memory ? 1 : 0;
}

int advice_for_device(struct store *st, const struct advice_cfg *cfg, const char *device,
		      double now_ts, struct advice *out)
{
	unsigned weeks = cfg->weeks > ADVICE_WEEKS_MAX ? ADVICE_WEEKS_MAX : cfg->weeks;
	struct days_list l = { .today = advice_local_day(now_ts) };
	/* The window's first local day starts after this (days are 23 to 25 h
	 * long): the day filter above decides. */
	double since_ts = now_ts - ((double)weeks * WEEK_DAYS + 1) * 86400.0;
	int rc;

	l.first_day = l.today - (int32_t)(weeks * WEEK_DAYS) + 1;
	rc = store_sessions_each(st, device, since_ts, INFINITY, session_days, &l);
	if (rc == 0 && !l.no_memory)
		advice_decide(cfg, l.days, l.n, l.today, out);
	free(l.days);
	if (l.no_memory) {
		errno = ENOMEM;
		return -1;
	}
	return rc < 0 ? -1 : 0;
}

bool advice_problem(const struct advice *a)
{
	for (size_t i = 0; i < a->n; i++)
		if (a->items[i].kind == ADVICE_SEE_PROFESSIONAL)
			return true;
	return false;
}

const char *advice_text(enum advice_kind k)
{
	switch (k) {
	case ADVICE_SEE_PROFESSIONAL:
		return "You have treated the same spot on several days a week for weeks. "
		       "See a doctor or physiotherapist if the pain lasts more than a few weeks "
		       "despite self-care; if there is numbness, weakness or pain that radiates; "
		       "if the pain disturbs your sleep or work; or if the area is swollen or warm. "
		       "rollsense is not a diagnosis.";
	case ADVICE_OVER_TREATMENT:
		return "Most of your holds on a spot in the last 7 days were long. Gentler is often "
		       "better: hold for 10 to 60 seconds, and give the spot rest days.";
	case ADVICE_BURN_RISK:
		/* No figure: the threshold is detector.hot_c, which the
		 * evidence next to this text states. */
		return "The tool was hot enough to burn the skin in the last 7 days. "
		       "Let it cool down, or put a cloth between it and the skin.";
	default:
		return "";
	}
}

/* The items of kind k as a JSON list of objects, each item by fn. */
static void encode_zone_list(const struct advice *a, const struct zones_cfg *zones,
			     enum advice_kind k, struct textbuf *out)
{
	bool first = true;

	textbuf_puts(out, "[");
	for (size_t i = 0; i < a->n; i++) {
		const struct advice_item *it = &a->items[i];

		if (it->kind != k)
			continue;
		textbuf_puts(out, first ? "{\"zone\":" : ",{\"zone\":");
		first = false;
		textbuf_json_string(out, it->zone);
		textbuf_puts(out, ",\"label\":");
		textbuf_json_string(out, zones_label(zones, it->zone));
		if (k == ADVICE_SEE_PROFESSIONAL) {
			textbuf_puts(out, ",\"days_per_week\":[");
			for (size_t w = 0; w < it->n_weeks; w++)
				textbuf_printf(out, "%s%u", w ? "," : "", it->days_per_week[w]);
			textbuf_puts(out, "]}");
		} else {
			textbuf_printf(out, ",\"holds\":%zu,\"long\":%zu}", it->holds, it->long_holds);
		}
	}
	textbuf_puts(out, "]");
}

/* The text a person reads: for each kind present, the zones' labels, then
 * its advice; kinds apart by an empty line. */
static void encode_text(const struct advice *a, const struct zones_cfg *zones,
			struct textbuf *text)
{
	for (int k = 0; k < ADVICE_KINDS; k++) {
		size_t named = 0;
		bool any = false;

		for (size_t i = 0; i < a->n; i++) {
			if (a->items[i].kind != (enum advice_kind)k)
				continue;
			if (!any && text->len)
				textbuf_puts(text, "\n\n");
			any = true;
			if (!a->items[i].zone[0])
				continue;
			textbuf_puts(text, named++ ? ", " : "");
			textbuf_puts(text, zones_label(zones, a->items[i].zone));
		}
		if (any)
			textbuf_printf(text, "%s%s", named ? ": " : "",
				       advice_text((enum advice_kind)k));
	}
}

int advice_encode(const struct advice *a, const struct zones_cfg *zones, const char *device,
		  struct textbuf *out)
{
	struct textbuf text;
	bool problem = advice_problem(a), first = true;
	const struct advice_item *burn = NULL;

	(void)device;	/* the topic names it */
	textbuf_init(&text, 0);
	encode_text(a, zones, &text);
	textbuf_printf(out, "{\"date\":\"%s\",\"problem\":%s,\"zones\":[", a->date,
		       problem ? "true" : "false");
	for (size_t i = 0; i < a->n; i++) {
		if (a->items[i].kind == ADVICE_BURN_RISK)
			burn = &a->items[i];
		if (a->items[i].kind != ADVICE_SEE_PROFESSIONAL)
			continue;
		textbuf_puts(out, first ? "" : ",");
		first = false;
		textbuf_json_string(out, a->items[i].zone);
	}
	textbuf_puts(out, "],\"see_professional\":");
	encode_zone_list(a, zones, ADVICE_SEE_PROFESSIONAL, out);
	textbuf_puts(out, ",\"over_treatment\":");
	encode_zone_list(a, zones, ADVICE_OVER_TREATMENT, out);
	if (burn)
		textbuf_printf(out, ",\"burn_risk\":{\"hot_time_s\":%.1f}", burn->hot_time_s);
	else
		textbuf_puts(out, ",\"burn_risk\":null");
	textbuf_puts(out, ",\"text\":");
	textbuf_json_string(out, textbuf_text(&text));
	textbuf_puts(out, "}");
	if (textbuf_failed(&text))
		out->failed = true;
	textbuf_free(&text);
	if (textbuf_failed(out)) {
		errno = ENOMEM;
		return -1;
	}
	return 0;
}
