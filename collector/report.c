#include "report.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "advice.h"
#include "summary.h"

struct report_ctx {
	FILE *out;
	size_t sessions;
	struct report_totals days;
};

int report_time_parse(const char *text, double *ts)
{
	static const char *const formats[] = { "%Y-%m-%dT%H:%M:%S", "%Y-%m-%dT%H:%M",
					       "%Y-%m-%d %H:%M:%S", "%Y-%m-%d %H:%M", "%Y-%m-%d" };
	char *end;
	double v;

	for (size_t i = 0; i < sizeof(formats) / sizeof(formats[0]); i++) {
		struct tm tm;
		const char *rest;

		memset(&tm, 0, sizeof(tm));
		rest = strptime(text, formats[i], &tm);
		if (rest && *rest == '\0') {
			int mday = tm.tm_mday, mon = tm.tm_mon;
			time_t t;

			tm.tm_isdst = -1;
			t = mktime(&tm);
			/* strptime takes day 1..31 in any month; mktime rolls
			 * "2026-02-30" over to March 2: not a date. */
			if (t == (time_t)-1 || tm.tm_mday != mday || tm.tm_mon != mon)
				return -1;
			*ts = (double)t;
			return 0;
		}
	}
	errno = 0;
	v = strtod(text, &end);
	/* Up to the last second of the year 9999, which every clock can show. */
	if (errno || end == text || *end || !isfinite(v) || v < 0 || v > 253402300799.0)
		return -1;
	*ts = v;
	return 0;
}

void report_local_time(double ts, const char *fmt, char *buf, size_t len)
{
	time_t t = (time_t)floor(ts);
	struct tm tm;

	if (!localtime_r(&t, &tm) || strftime(buf, len, fmt, &tm) == 0)
		snprintf(buf, len, "?");
}

/* ts as local ISO 8601 time with its UTC offset, 2026-11-24T04:56:10+01:00
 * (strftime's %z gives +0100; ISO 8601's extended format wants the colon). */
static void iso_local(double ts, char *buf, size_t len)
{
	char zone[8];
	size_t n;

	report_local_time(ts, "%Y-%m-%dT%H:%M:%S", buf, len);
	report_local_time(ts, "%z", zone, sizeof(zone));
	n = strlen(buf);
	if (strlen(zone) == 5)
		snprintf(buf + n, len - n, "%.3s:%s", zone, zone + 3);
}

void report_duration_text(double s, char *buf, size_t len)
{
	long total = lround(s);

	if (total >= 3600)
		snprintf(buf, len, "%ldh%02ldm", total / 3600, total % 3600 / 60);
	else
		snprintf(buf, len, "%ldm%02lds", total / 60, total % 60);
}

/* The row of period, device and zone, added if new (NULL when memory ran
 * out). Sessions come by start time, so the rows of this period are the last. */
static struct report_total *totals_row(struct report_totals *t, const char *period,
				       const char *device, const char *zone)
{
	struct report_total *d;

	for (size_t i = t->n; i-- > 0 && strcmp(t->rows[i].period, period) == 0;)
		if (strcmp(t->rows[i].device, device) == 0 && strcmp(t->rows[i].zone, zone) == 0)
			return &t->rows[i];
	if (t->n == t->cap) {
		size_t cap = t->cap ? t->cap * 2 : 64;
		struct report_total *grown = realloc(t->rows, cap * sizeof(*grown));

		if (!grown) {
			t->no_memory = true;
			return NULL;
		}
		t->rows = grown;
		t->cap = cap;
	}
	d = &t->rows[t->n++];
	memset(d, 0, sizeof(*d));
	snprintf(d->period, sizeof(d->period), "%s", period);
	snprintf(d->device, sizeof(d->device), "%s", device);
	snprintf(d->zone, sizeof(d->zone), "%s", zone);
	d->last_day = INT32_MIN;
	return d;
}

/* Counts day in d->days once: the sessions of a day come one after another. */
static void totals_day(struct report_total *d, int32_t day)
{
	if (d->last_day != day) {
		d->days++;
		d->last_day = day;
	}
}

/* The class of a stored hold's name, or -1. */
static int hold_class_of(const char *name)
{
	for (int c = DETECTOR_HOLD_SHORT; c <= DETECTOR_HOLD_LONG; c++)
		if (strcmp(name, detector_class_name((enum detector_hold_class)c)) == 0)
			return c;
	return -1;
}

/* The stored holds on zone (NULL: all of them) into d's class times, and
 * their counts too when count_holds (the zone totals count them otherwise). */
static void totals_add_holds(struct report_total *d, const struct store_session *s,
			     const char *zone, bool count_holds)
{
	for (size_t i = 0; i < s->holds_stored; i++) {
		int c = hold_class_of(s->holds[i].hold_class);

		if (c < 0 || (zone && strcmp(s->holds[i].zone, zone) != 0))
			continue;
		if (count_holds)
			d->class_holds[c]++;
		d->class_time_s[c] += s->holds[i].duration_s;
	}
}

/* Zone total zt of session s into its row of period (by_zone). A zone's
 * day counts only when something was counted on it. False when memory ran
 * out. */
static bool totals_add_zone(struct report_totals *t, const char *period, int32_t day,
			    const struct store_session *s, const struct detector_zone_total *zt)
{
	struct report_total *d;

	if (zt->holds == 0 && zt->heat_time_s <= 0 && zt->hot_time_s <= 0 &&
	    zt->rolling_time_s <= 0)
		return true;
	d = totals_row(t, period, s->device, zt->zone);
	if (!d)
		return false;
	totals_day(d, day);
	d->sessions++;
	d->duration_s += s->duration_s;
	d->hold_time_s += zt->hold_time_s;
	d->rolling_time_s += zt->rolling_time_s;
	d->heat_time_s += zt->heat_time_s;
	d->hot_time_s += zt->hot_time_s;
	d->holds += zt->holds;
	for (int c = DETECTOR_HOLD_SHORT; c <= DETECTOR_HOLD_LONG; c++)
		d->class_holds[c] += zt->class_holds[c];
	totals_add_holds(d, s, zt->zone, false);
	return true;
}

void report_totals_add(struct report_totals *t, const struct store_session *s)
{
	char period[11];
	int32_t day = advice_local_day(s->start_ts);
	struct report_total *d;

	report_local_time(s->start_ts, t->period == REPORT_WEEK ? "%G-W%V" : "%Y-%m-%d", period,
		   sizeof(period));
	if (!t->by_zone) {
		d = totals_row(t, period, s->device, "");
		if (!d)
			return;
		totals_day(d, day);
		d->sessions++;
		d->duration_s += s->duration_s;
		d->hold_time_s += s->hold_time_s;
		d->rolling_time_s += s->rolling_time_s;
		d->heat_time_s += s->heat_time_s;
		d->hot_time_s += s->hot_time_s;
		d->holds += s->hold_count;
		totals_add_holds(d, s, NULL, true);
		return;
	}
	/* A session stored before zones (store migration 4) has no zone
	 * totals: all it counted was without a zone, so its own totals are
	 * its "" entry, as holds without a zone are today. */
	if (s->n_zones == 0) {
		struct detector_zone_total all = { .holds = s->hold_count,
						   .hold_time_s = s->hold_time_s,
						   .rolling_time_s = s->rolling_time_s,
						   .heat_time_s = s->heat_time_s,
						   .hot_time_s = s->hot_time_s };

		for (size_t i = 0; i < s->holds_stored; i++) {
			int c = hold_class_of(s->holds[i].hold_class);

			if (c >= 0)
				all.class_holds[c]++;
		}
		totals_add_zone(t, period, day, s, &all);
		return;
	}
	for (size_t z = 0; z < s->n_zones; z++)
		if (!totals_add_zone(t, period, day, s, &s->zones[z]))
			return;
}

/* Rows by period, then device, then zone. */
static int total_cmp(const void *a, const void *b)
{
	const struct report_total *x = a, *y = b;
	int c = strcmp(x->period, y->period);

	if (!c)
		c = strcmp(x->device, y->device);
	return c ? c : strcmp(x->zone, y->zone);
}

void report_totals_sort(struct report_totals *t)
{
	if (t->n > 1)
		qsort(t->rows, t->n, sizeof(*t->rows), total_cmp);
}

void report_totals_free(struct report_totals *t)
{
	free(t->rows);
	t->rows = NULL;
	t->n = t->cap = 0;
}

static size_t count_class(const struct store_session *s, const char *cls)
{
	size_t n = 0;

	for (size_t i = 0; i < s->holds_stored; i++)
		if (strcmp(s->holds[i].hold_class, cls) == 0)
			n++;
	return n;
}

static int each_table(const struct store_session *s, void *ctx)
{
	struct report_ctx *c = ctx;
	char start[32], dur[32], hold[32], rolling[32], heat[32], maxt[16];

	if (c->sessions++ == 0)
		fprintf(c->out, "%-16s %-16s %8s %5s %5s %5s %5s %9s %9s %9s %7s %7s\n", "DEVICE",
			"START", "DURATION", "HOLDS", "SHORT", "EFF", "LONG", "HOLD TIME", "ROLLING",
			"HEAT TIME", "MAX °C", "MISSING");
	report_local_time(s->start_ts, "%Y-%m-%d %H:%M", start, sizeof(start));
	report_duration_text(s->duration_s, dur, sizeof(dur));
	report_duration_text(s->hold_time_s, hold, sizeof(hold));
	report_duration_text(s->rolling_time_s, rolling, sizeof(rolling));
	report_duration_text(s->heat_time_s, heat, sizeof(heat));
	if (isnan(s->max_temperature_c))
		snprintf(maxt, sizeof(maxt), "-");
	else
		snprintf(maxt, sizeof(maxt), "%.1f", s->max_temperature_c);
	fprintf(c->out, "%-16.16s %-16s %8s %5zu %5zu %5zu %5zu %9s %9s %9s %6s %7llu\n",
		s->device, start, dur, s->hold_count, count_class(s, "short"),
		count_class(s, "effective"), count_class(s, "long"), hold, rolling, heat, maxt,
		(unsigned long long)s->missing_readings);
	report_totals_add(&c->days, s);
	return 0;
}

static int each_csv(const struct store_session *s, void *ctx)
{
	struct report_ctx *c = ctx;
	char start[32], end[32];

	c->sessions++;
	iso_local(s->start_ts, start, sizeof(start));
	iso_local(s->end_ts, end, sizeof(end));
	/* Device ids are [A-Za-z0-9_-] and run ids hex: nothing to quote. */
	fprintf(c->out, "%s,%s,%s,%s,%.1f,%zu,%zu,%zu,%zu,%.1f,%.1f,", s->device, s->run, start, end,
		s->duration_s, s->hold_count, count_class(s, "short"), count_class(s, "effective"),
		count_class(s, "long"), s->hold_time_s, s->heat_time_s);
	if (!isnan(s->max_temperature_c))
		fprintf(c->out, "%.2f", s->max_temperature_c);
	fprintf(c->out, ",%.1f,%llu,%llu,%.1f\n", s->hot_time_s, (unsigned long long)s->readings,
		(unsigned long long)s->missing_readings, s->rolling_time_s);
	return 0;
}

static int each_json(const struct store_session *s, void *ctx)
{
	struct report_ctx *c = ctx;
	struct detector_summary sum;
	char buf[16384];

	store_session_summary(s, &sum);
	if (summary_encode(&sum, s->device, s->run, 0, buf, sizeof(buf)) < 0)
		return 0;
	fprintf(c->out, "%s\n    %s", c->sessions++ ? "," : "", buf);
	report_totals_add(&c->days, s);
	return 0;
}

struct device_list {
	const char *wanted;
	bool found;
	size_t n, listed;
	char names[512];	/* "ball1, roller1": whole names only */
};

static int device_seen(const char *name, void *ctx)
{
	struct device_list *l = ctx;
	size_t used = strlen(l->names);
	/* Room kept for the ", and 4294967295 more" that may follow. */
	size_t room = sizeof(l->names) - used - 24;

	if (strcmp(name, l->wanted) == 0)
		l->found = true;
	if (l->listed == l->n && strlen(name) + 2 < room) {
		snprintf(l->names + used, sizeof(l->names) - used, "%s%s", l->n ? ", " : "", name);
		l->listed++;
	}
	l->n++;
	return 0;
}

int report_device_check(struct store *st, const char *device, const char *db_path, char *err,
			size_t err_len)
{
	struct device_list l = { .wanted = device };

	if (store_devices_each(st, device_seen, &l) < 0) {
		snprintf(err, err_len, "%s: cannot list its devices", db_path);
		return -1;
	}
	if (l.found)
		return 0;
	if (l.n == 0)
		snprintf(err, err_len, "no device \"%s\" in %s; it holds no device yet", device,
			 db_path);
	else if (l.listed == l.n)
		snprintf(err, err_len, "no device \"%s\" in %s; known: %s", device, db_path, l.names);
	else
		snprintf(err, err_len, "no device \"%s\" in %s; known: %s and %zu more", device,
			 db_path, l.names, l.n - l.listed);
	return 1;
}

static int each_total(const struct store_session *s, void *ctx)
{
	struct report_ctx *c = ctx;

	c->sessions++;
	report_totals_add(&c->days, s);
	return 0;
}

/* The totals of --weekly and --by zone, as a table, JSON or CSV. */
static void totals_write(const struct report_totals *t, enum report_format format, FILE *out)
{
	const char *period = t->period == REPORT_WEEK ? "week" : "date";
	/* The zone column as wide as its longest name (up to ZONE_NAME_MAX),
	 * so that every row's figures stand under their heading. */
	int zone_w = 16;

	for (size_t i = 0; t->by_zone && i < t->n; i++)
		if ((int)strlen(t->rows[i].zone) > zone_w)
			zone_w = (int)strlen(t->rows[i].zone);
	if (format == REPORT_JSON)
		fprintf(out, "{\n  \"%s\": [", t->period == REPORT_WEEK ? "weeks" : "days");
	else if (format == REPORT_CSV)
		fprintf(out, "%s,device,%sdays,sessions,holds,short,effective,long,hold_time_s,"
			"heat_time_s,hot_time_s,rolling_time_s\n", period, t->by_zone ? "zone," : "");
	else
		fprintf(out, "%-10s %-16s %-*s%s%4s %5s %5s %5s %5s %9s %9s %9s %9s\n",
			t->period == REPORT_WEEK ? "WEEK" : "DAY", "DEVICE",
			t->by_zone ? zone_w : 0, t->by_zone ? "ZONE" : "", t->by_zone ? " " : "",
			"DAYS", "HOLDS", "SHORT", "EFF", "LONG", "HOLD TIME", "ROLLING", "HEAT TIME",
			"HOT TIME");
	for (size_t i = 0; i < t->n; i++) {
		const struct report_total *r = &t->rows[i];
		const size_t *ch = r->class_holds;

		if (format == REPORT_JSON) {
			fprintf(out, "%s\n    {\"%s\":\"%s\",\"device\":\"%s\",", i ? "," : "", period,
				r->period, r->device);
			/* Zone names are [a-z0-9_]: nothing to escape. */
			if (t->by_zone && r->zone[0])
				fprintf(out, "\"zone\":\"%s\",", r->zone);
			else if (t->by_zone)
				fputs("\"zone\":null,", out);
			fprintf(out, "\"days\":%u,\"sessions\":%u,\"holds\":%zu,\"short\":%zu,"
				"\"effective\":%zu,\"long\":%zu,\"hold_time_s\":%.1f,"
				"\"rolling_time_s\":%.1f,\"heat_time_s\":%.1f,\"hot_time_s\":%.1f}",
				r->days, r->sessions, r->holds, ch[DETECTOR_HOLD_SHORT],
				ch[DETECTOR_HOLD_EFFECTIVE], ch[DETECTOR_HOLD_LONG], r->hold_time_s,
				r->rolling_time_s, r->heat_time_s, r->hot_time_s);
		} else if (format == REPORT_CSV) {
			fprintf(out, "%s,%s,", r->period, r->device);
			if (t->by_zone)
				fprintf(out, "%s,", r->zone);
			fprintf(out, "%u,%u,%zu,%zu,%zu,%zu,%.1f,%.1f,%.1f,%.1f\n", r->days,
				r->sessions, r->holds, ch[DETECTOR_HOLD_SHORT],
				ch[DETECTOR_HOLD_EFFECTIVE], ch[DETECTOR_HOLD_LONG], r->hold_time_s,
				r->heat_time_s, r->hot_time_s, r->rolling_time_s);
		} else {
			char hold[32], rolling[32], heat[32], hot[32];

			report_duration_text(r->hold_time_s, hold, sizeof(hold));
			report_duration_text(r->rolling_time_s, rolling, sizeof(rolling));
			report_duration_text(r->heat_time_s, heat, sizeof(heat));
			report_duration_text(r->hot_time_s, hot, sizeof(hot));
			fprintf(out, "%-10s %-16.16s ", r->period, r->device);
			if (t->by_zone)
				fprintf(out, "%-*s ", zone_w, r->zone[0] ? r->zone : "-");
			fprintf(out, "%4u %5zu %5zu %5zu %5zu %9s %9s %9s %9s\n", r->days, r->holds,
				ch[DETECTOR_HOLD_SHORT], ch[DETECTOR_HOLD_EFFECTIVE],
				ch[DETECTOR_HOLD_LONG], hold, rolling, heat, hot);
		}
	}
	if (format == REPORT_JSON)
		fputs("\n  ]\n}\n", out);
}

/* --weekly, --by zone: the totals alone. */
static int report_totals_write(struct store *st, const struct report_query *q, FILE *out)
{
	struct report_ctx c = { .out = out,
				.days = { .period = q->weekly ? REPORT_WEEK : REPORT_DAY,
					  .by_zone = q->by_zone } };
	int rc = store_sessions_each(st, q->device, q->since_ts, q->until_ts, each_total, &c);

	if (rc == 0 && !c.days.no_memory) {
		report_totals_sort(&c.days);
		if (q->format == REPORT_TABLE && c.sessions == 0)
			fputs("No sessions stored in that period.\n", out);
		else
			totals_write(&c.days, q->format, out);
	}
	report_totals_free(&c.days);
	return c.days.no_memory ? -1 : rc;
}

/* The advice lines of the table. */
static int advice_device_write(struct store *st, const struct advice_cfg *cfg,
			       const struct zones_cfg *zones, const char *device, double now_ts,
			       FILE *out)
{
	struct advice a;
	bool kinds[ADVICE_KINDS] = { false };

	if (advice_for_device(st, cfg, device, now_ts, &a) < 0)
		return -1;
	if (a.n == 0)
		return 0;
	fprintf(out, "\nAdvice for %s on %s:\n", device, a.date);
	for (size_t i = 0; i < a.n; i++) {
		const struct advice_item *it = &a.items[i];

		kinds[it->kind] = true;
		switch (it->kind) {
		case ADVICE_SEE_PROFESSIONAL:
			fprintf(out, "  See a professional about %s: treated on",
				zones_label(zones, it->zone));
			for (size_t w = 0; w < it->n_weeks; w++)
				fprintf(out, "%s %u", w ? "," : "", it->days_per_week[w]);
			fprintf(out, " days of the last %zu weeks (oldest first).\n", it->n_weeks);
			break;
		case ADVICE_OVER_TREATMENT:
			fprintf(out, "  Over-treatment of %s: %zu of %zu holds in the last 7 days were long.\n",
				zones_label(zones, it->zone), it->long_holds, it->holds);
			break;
		default:
			fprintf(out, "  Burn risk: %.0f s hot in the last 7 days.\n", it->hot_time_s);
			break;
		}
	}
	for (int k = 0; k < ADVICE_KINDS; k++)
		if (kinds[k])
			fprintf(out, "  %s\n", advice_text((enum advice_kind)k));
	return 0;
}

struct advice_walk {
	struct store *st;
	const struct advice_cfg *cfg;
	const struct zones_cfg *zones;
	double now_ts;
	FILE *out;
	int rc;
};

static int advice_each_device(const char *name, void *ctx)
{
	struct advice_walk *w = ctx;

	if (advice_device_write(w->st, w->cfg, w->zones, name, w->now_ts, w->out) < 0)
		w->rc = -1;
	return 0;
}

int report_advice_write(struct store *st, const struct advice_cfg *cfg,
			const struct zones_cfg *zones, const char *device, double now_ts, FILE *out)
{
	struct advice_walk w = { st, cfg, zones, now_ts, out, 0 };

	if (device)
		return advice_device_write(st, cfg, zones, device, now_ts, out);
	if (store_devices_each(st, advice_each_device, &w) < 0)
		return -1;
	return w.rc;
}

int report_write(struct store *st, const struct report_query *q, FILE *out)
{
	struct report_ctx c = { .out = out, .days = { .period = REPORT_DAY } };
	int rc;

	if (q->weekly || q->by_zone)
		return report_totals_write(st, q, out);
	switch (q->format) {
	case REPORT_CSV:
		fputs("device,run,start,end,duration_s,hold_count,short,effective,long,hold_time_s,"
		      "heat_time_s,max_temperature_c,hot_time_s,readings,missing_readings,"
		      "rolling_time_s\n", out);
		rc = store_sessions_each(st, q->device, q->since_ts, q->until_ts, each_csv, &c);
		break;
	case REPORT_JSON:
		fputs("{\n  \"sessions\": [", out);
		rc = store_sessions_each(st, q->device, q->since_ts, q->until_ts, each_json, &c);
		report_totals_sort(&c.days);
		fputs("\n  ],\n  \"days\": [", out);
		for (size_t i = 0; i < c.days.n; i++) {
			const struct report_total *d = &c.days.rows[i];

			fprintf(out, "%s\n    {\"date\":\"%s\",\"device\":\"%s\",\"sessions\":%u,"
				"\"duration_s\":%.1f,\"hold_count\":%zu,\"effective_holds\":%zu,"
				"\"hold_time_s\":%.1f,\"rolling_time_s\":%.1f,\"heat_time_s\":%.1f}",
				i ? "," : "", d->period, d->device, d->sessions, d->duration_s, d->holds,
				d->class_holds[DETECTOR_HOLD_EFFECTIVE], d->hold_time_s,
				d->rolling_time_s, d->heat_time_s);
		}
		fputs("\n  ]\n}\n", out);
		break;
	default:
		rc = store_sessions_each(st, q->device, q->since_ts, q->until_ts, each_table, &c);
		if (rc < 0)
			break;
		if (c.sessions == 0) {
			fputs("No sessions stored in that period.\n", out);
			break;
		}
		report_totals_sort(&c.days);
		fprintf(out, "\n%-10s %-16s %8s %9s %5s %9s %9s %9s %9s\n", "DAY", "DEVICE",
			"SESSIONS", "DURATION", "HOLDS", "EFFECTIVE", "HOLD TIME", "ROLLING",
			"HEAT TIME");
		for (size_t i = 0; i < c.days.n; i++) {
			const struct report_total *d = &c.days.rows[i];
			char dur[32], hold[32], rolling[32], heat[32];

			report_duration_text(d->duration_s, dur, sizeof(dur));
			report_duration_text(d->hold_time_s, hold, sizeof(hold));
			report_duration_text(d->rolling_time_s, rolling, sizeof(rolling));
			report_duration_text(d->heat_time_s, heat, sizeof(heat));
			fprintf(out, "%-10s %-16.16s %8u %9s %5zu %9zu %9s %9s %9s\n", d->period,
				d->device, d->sessions, dur, d->holds,
				d->class_holds[DETECTOR_HOLD_EFFECTIVE], hold, rolling, heat);
		}
		break;
	}
	report_totals_free(&c.days);
	return c.days.no_memory ? -1 : rc;
}
