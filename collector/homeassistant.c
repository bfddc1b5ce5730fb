/* Home Assistant discovery and daily totals for the collector: see
 * homeassistant.h. */
#include "homeassistant.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "advice.h"
#include "discovery.h"
#include "log.h"
#include "name_index.h"
#include "report.h"
#include "textbuf.h"
#include "topic.h"

/* Devices followed at most; more are logged once and left out. Every
 * message looks its device up, by name_index. */
#define HA_MAX_DEVICES NAME_INDEX_MAX

struct ha_device {
	char id[CONFIG_DEVICE_ID_MAX + 1];
	bool discovery_due;
	bool today_due;
	bool week_due;
	bool advice_due;
};

struct homeassistant {
	struct ingest_env env;
	char status_filter[128];	/* "" when discovery is off */
	struct ha_device devices[HA_MAX_DEVICES];
	struct name_index index;
	size_t n_devices;
	bool full_logged;
	char date[16];			/* the local date "today" was last computed for */
};

/* "today", "week" and "advice" are due together: after a session summary,
 * a connect, a new local day. */
static void device_totals_due(struct ha_device *d)
{
	d->today_due = true;
	d->week_due = true;
	d->advice_due = true;
}

static struct ha_device *device_find_or_add(struct homeassistant *ha, const char *id)
{
	struct ha_device *d;
	size_t slot;
	int found = name_index_find(&ha->index, id, &slot);

	if (found >= 0)
		return &ha->devices[found];
	if (ha->n_devices == HA_MAX_DEVICES) {
		if (!ha->full_logged)
			log_warn("homeassistant: more than %d devices; %s and later ones are left out",
				 HA_MAX_DEVICES, id);
		ha->full_logged = true;
		return NULL;
	}
	name_index_add(&ha->index, slot, ha->n_devices);
	d = &ha->devices[ha->n_devices++];
	snprintf(d->id, sizeof(d->id), "%s", id);
	d->discovery_due = true;
	device_totals_due(d);
	return d;
}

/* The devices of the database to follow from the start: all of them, or
 * when there are more than HA_MAX_DEVICES, those heard from last. */
struct known_devices {
	struct {
		char name[CONFIG_DEVICE_ID_MAX + 1];
		double last_ts;		/* -INFINITY when it has no reading */
	} d[HA_MAX_DEVICES];
	size_t n, seen;
};

static int device_known(const struct store_device_info *info, void *ctx)
{
	struct known_devices *k = ctx;
	double last_ts = isnan(info->last_ts) ? -INFINITY : info->last_ts;
	size_t at = k->n, oldest = 0;

	k->seen++;
	if (k->n == HA_MAX_DEVICES) {
		for (size_t i = 1; i < k->n; i++)
			if (k->d[i].last_ts < k->d[oldest].last_ts)
				oldest = i;
		if (last_ts <= k->d[oldest].last_ts)
			return 0;
		at = oldest;
	} else {
		k->n++;
	}
	snprintf(k->d[at].name, sizeof(k->d[at].name), "%s", info->device);
	k->d[at].last_ts = last_ts;
	return 0;
}

struct homeassistant *homeassistant_new(const struct ingest_env *env)
{
	struct homeassistant *ha = calloc(1, sizeof(*ha));
	struct known_devices *k = calloc(1, sizeof(*k));

	if (!ha || !k) {
		free(ha);
		free(k);
		errno = ENOMEM;
		return NULL;
	}
	ha->env = *env;
	name_index_init(&ha->index, ha->devices[0].id, sizeof(ha->devices[0]));
	if (env->cfg->homeassistant.enabled)
		snprintf(ha->status_filter, sizeof(ha->status_filter), "%s/status",
			 env->cfg->homeassistant.discovery_prefix);
	/* Every device in the database, however long ago it was last heard
	 * of: its entities exist in HA, and its week and advice must move on
	 * (a pattern that stopped clears) even if it never speaks again. */
	if (store_device_infos_each(env->st, device_known, k) < 0)
		log_warn("homeassistant: the stored devices could not be listed; each is followed "
			 "from its next message");
	if (k->seen > k->n)
		log_warn("homeassistant: %zu devices in the database; the %d heard from last are "
			 "followed", k->seen, HA_MAX_DEVICES);
	for (size_t i = 0; i < k->n; i++)
		device_find_or_add(ha, k->d[i].name);
	free(k);
	return ha;
}

void homeassistant_free(struct homeassistant *ha)
{
	free(ha);
}

const char *homeassistant_status_filter(const struct homeassistant *ha)
{
	return ha->status_filter[0] ? ha->status_filter : NULL;
}

bool homeassistant_message(struct homeassistant *ha, const char *topic, const char *payload,
			   size_t len)
{
	char device[CONFIG_DEVICE_ID_MAX + 1], kind[32];

	if (ha->status_filter[0] && strcmp(topic, ha->status_filter) == 0) {
		if (len == 6 && memcmp(payload, "online", 6) == 0) {
			log_info("homeassistant: online; sending discovery again");
			for (size_t i = 0; i < ha->n_devices; i++)
				ha->devices[i].discovery_due = true;
		}
		return true;
	}
	if (topic_parse(topic, ha->env.cfg->mqtt.topic_prefix, device, sizeof(device), kind,
			sizeof(kind)) == 0)
		device_find_or_add(ha, device);
	return false;
}

void homeassistant_published(struct homeassistant *ha, const char *topic)
{
	char device[CONFIG_DEVICE_ID_MAX + 1], kind[32];
	struct ha_device *d;

	if (topic_parse(topic, ha->env.cfg->mqtt.topic_prefix, device, sizeof(device), kind,
			sizeof(kind)) < 0 || strcmp(kind, "session") != 0)
		return;
	d = device_find_or_add(ha, device);
	if (d)
		device_totals_due(d);
}

void homeassistant_connected(struct homeassistant *ha)
{
	for (size_t i = 0; i < ha->n_devices; i++) {
		ha->devices[i].discovery_due = true;
		device_totals_due(&ha->devices[i]);
	}
}

struct today {
	size_t sessions, hold_count;
	double hold_time_s, heat_time_s;
};

static int today_add(const struct store_session *s, void *ctx)
{
	struct today *t = ctx;

	t->sessions++;
	t->hold_count += s->hold_count;
	t->hold_time_s += s->hold_time_s;
	t->heat_time_s += s->heat_time_s;
	return 0;
}

/* The local day holding now_wall_s: its date and [start, end) in Unix time
 * (mktime handles the days that daylight saving makes 23 or 25 h long). */
static void local_day(double now_wall_s, char date[16], double *start, double *end)
{
	time_t now = (time_t)now_wall_s;
	struct tm tm;

	localtime_r(&now, &tm);
	strftime(date, 16, "%Y-%m-%d", &tm);
	tm.tm_hour = 0;
	tm.tm_min = 0;
	tm.tm_sec = 0;
	tm.tm_isdst = -1;
	*start = (double)mktime(&tm);
	tm.tm_mday += 1;
	tm.tm_isdst = -1;
	*end = (double)mktime(&tm);
}

static int publish_today(struct homeassistant *ha, const struct ha_device *d, double now_wall_s)
{
	struct today t = { 0 };
	char topic[256], payload[256], date[16];
	double start, end;
	int len;

	local_day(now_wall_s, date, &start, &end);
	if (store_sessions_each(ha->env.st, d->id, start, end, today_add, &t) < 0)
		return -1;
	if (topic_build(topic, sizeof(topic), ha->env.cfg->mqtt.topic_prefix, d->id, "today") < 0)
		return -1;
	len = snprintf(payload, sizeof(payload),
		       "{\"date\":\"%s\",\"sessions\":%zu,\"hold_count\":%zu,\"hold_time_s\":%.1f,"
		       "\"heat_time_s\":%.1f}",
		       date, t.sessions, t.hold_count, t.hold_time_s, t.heat_time_s);
	if (len < 0 || (size_t)len >= sizeof(payload))
		return -1;
	return ha->env.publish(ha->env.publish_ctx, topic, payload, (size_t)len, true);
}

/* The local ISO week holding now_wall_s: [start, end) in Unix time from
 * Monday 00:00 to the next, and the dates of its Monday and Sunday. */
static void local_week(double now_wall_s, double *start, double *end, char from[16], char to[16])
{
	time_t now = (time_t)now_wall_s, t;
	struct tm tm;

	localtime_r(&now, &tm);
	tm.tm_mday -= (tm.tm_wday + 6) % 7;	/* back to Monday */
	tm.tm_hour = 0;
	tm.tm_min = 0;
	tm.tm_sec = 0;
	tm.tm_isdst = -1;
	t = mktime(&tm);
	*start = (double)t;
	strftime(from, 16, "%Y-%m-%d", &tm);
	tm.tm_mday += 6;
	tm.tm_isdst = -1;
	mktime(&tm);
	strftime(to, 16, "%Y-%m-%d", &tm);
	tm.tm_mday += 1;
	tm.tm_isdst = -1;
	*end = (double)mktime(&tm);
}

static int week_add(const struct store_session *s, void *ctx)
{
	struct report_totals *t = ctx;

	report_totals_add(&t[0], s);
	report_totals_add(&t[1], s);
	return 0;
}

/* One zone's (or the total's) object of the "week" payload; r NULL: zeros. */
static void week_entry(struct textbuf *b, const struct report_total *r)
{
	static const struct report_total zero;

	if (!r)
		r = &zero;
	textbuf_printf(b, "{\"days\":%u,\"holds\":%zu,\"short\":%zu,\"effective\":%zu,"
		       "\"long\":%zu,\"hold_time_s\":%.1f,\"rolling_time_s\":%.1f,"
		       "\"heat_time_s\":%.1f,\"hot_time_s\":%.1f}", r->days, r->holds,
		       r->class_holds[DETECTOR_HOLD_SHORT], r->class_holds[DETECTOR_HOLD_EFFECTIVE],
		       r->class_holds[DETECTOR_HOLD_LONG], r->hold_time_s, r->rolling_time_s,
		       r->heat_time_s, r->hot_time_s);
}

static int publish_week(struct homeassistant *ha, const struct ha_device *d, double now_wall_s)
{
	const struct zones_cfg *zones = &ha->env.cfg->zones;
	/* [0] per zone, [1] the device's whole week. */
	struct report_totals t[2] = { { .period = REPORT_WEEK, .by_zone = true },
				      { .period = REPORT_WEEK } };
	char topic[256], week[16], from[16], to[16];
	double start, end;
	struct textbuf b;
	int rc = -1;

	local_week(now_wall_s, &start, &end, from, to);
	report_local_time(start, "%G-W%V", week, sizeof(week));
	textbuf_init(&b, 0);
	if (store_sessions_each(ha->env.st, d->id, start, end, week_add, t) < 0 || t[0].no_memory ||
	    t[1].no_memory ||
	    topic_build(topic, sizeof(topic), ha->env.cfg->mqtt.topic_prefix, d->id, "week") < 0)
		goto out;
	textbuf_printf(&b, "{\"week\":\"%s\",\"from\":\"%s\",\"to\":\"%s\",\"zones\":{", week,
		       from, to);
	/* Every configured zone, so each sensor has a value. */
	for (size_t z = 0; z < zones->n; z++) {
		const struct report_total *r = NULL;

		for (size_t i = 0; i < t[0].n && !r; i++)
			if (strcmp(t[0].rows[i].zone, zones->zone[z].name) == 0)
				r = &t[0].rows[i];
		textbuf_printf(&b, "%s\"%s\":", z ? "," : "", zones->zone[z].name);
		week_entry(&b, r);
	}
	textbuf_puts(&b, "},\"total\":");
	week_entry(&b, t[1].n ? &t[1].rows[0] : NULL);
	textbuf_puts(&b, "}");
	if (!textbuf_failed(&b))
		rc = ha->env.publish(ha->env.publish_ctx, topic, textbuf_text(&b), b.len, true);
out:
	textbuf_free(&b);
	report_totals_free(&t[0]);
	report_totals_free(&t[1]);
	return rc;
}

static int publish_advice(struct homeassistant *ha, const struct ha_device *d, double now_wall_s)
{
	struct advice *a = malloc(sizeof(*a));
	char topic[256];
	struct textbuf b;
	int rc = -1;

	textbuf_init(&b, 0);
	if (a && advice_for_device(ha->env.st, &ha->env.cfg->advice, d->id, now_wall_s, a) == 0 &&
	    topic_build(topic, sizeof(topic), ha->env.cfg->mqtt.topic_prefix, d->id, "advice") >= 0 &&
	    advice_encode(a, &ha->env.cfg->zones, d->id, &b) == 0)
		rc = ha->env.publish(ha->env.publish_ctx, topic, textbuf_text(&b), b.len, true);
	textbuf_free(&b);
	free(a);
	return rc;
}

static int publish_discovery(struct homeassistant *ha, const struct ha_device *d)
{
	char topic[256], *payload;
	int rc;

	if (discovery_topic(topic, sizeof(topic), ha->env.cfg, d->id, DISCOVERY_COLLECTOR) < 0)
		return -1;
	payload = discovery_payload(ha->env.cfg, d->id, DISCOVERY_COLLECTOR);
	if (!payload)
		return -1;
	rc = ha->env.publish(ha->env.publish_ctx, topic, payload, strlen(payload), true);
	free(payload);
	return rc;
}

void homeassistant_tick(struct homeassistant *ha, double now_wall_s)
{
	char date[16];
	double start, end;

	local_day(now_wall_s, date, &start, &end);
	if (strcmp(date, ha->date) != 0) {
		/* A new day: every device's totals start again from zero. */
		snprintf(ha->date, sizeof(ha->date), "%s", date);
		for (size_t i = 0; i < ha->n_devices; i++)
			device_totals_due(&ha->devices[i]);
	}
	for (size_t i = 0; i < ha->n_devices; i++) {
		struct ha_device *d = &ha->devices[i];

		/* A refused publish (not connected) stays due; the connect
		 * makes everything due anyway. */
		if (d->discovery_due && (!ha->status_filter[0] || publish_discovery(ha, d) == 0))
			d->discovery_due = false;
		if (d->today_due && publish_today(ha, d, now_wall_s) == 0)
			d->today_due = false;
		if (d->week_due && publish_week(ha, d, now_wall_s) == 0)
			d->week_due = false;
		if (d->advice_due && publish_advice(ha, d, now_wall_s) == 0)
			d->advice_due = false;
	}
}
