/* Home Assistant discovery and daily totals for the collector: see
 * homeassistant.h. */
#include "homeassistant.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "discovery.h"
#include "log.h"
#include "topic.h"

/* Devices followed at most; more are logged once and left out. */
#define HA_MAX_DEVICES 64

struct ha_device {
	char id[CONFIG_DEVICE_ID_MAX + 1];
	bool discovery_due;
	bool today_due;
};

struct homeassistant {
	struct ingest_env env;
	char status_filter[128];	/* "" when discovery is off */
	struct ha_device devices[HA_MAX_DEVICES];
	size_t n_devices;
	bool full_logged;
	char date[16];			/* the local date "today" was last computed for */
};

static struct ha_device *device_find_or_add(struct homeassistant *ha, const char *id)
{
	struct ha_device *d;

	for (size_t i = 0; i < ha->n_devices; i++)
		if (strcmp(ha->devices[i].id, id) == 0)
			return &ha->devices[i];
	if (ha->n_devices == HA_MAX_DEVICES) {
		if (!ha->full_logged)
			log_warn("homeassistant: more than %d devices; %s and later ones are left out",
				 HA_MAX_DEVICES, id);
		ha->full_logged = true;
		return NULL;
	}
	d = &ha->devices[ha->n_devices++];
	snprintf(d->id, sizeof(d->id), "%s", id);
	d->discovery_due = true;
	d->today_due = true;
	return d;
}

struct homeassistant *homeassistant_new(const struct ingest_env *env)
{
	struct homeassistant *ha = calloc(1, sizeof(*ha));
	struct store_run_state *runs;
	int n;

	if (!ha)
		return NULL;
	ha->env = *env;
	if (env->cfg->homeassistant.enabled)
		snprintf(ha->status_filter, sizeof(ha->status_filter), "%s/status",
			 env->cfg->homeassistant.discovery_prefix);
	/* Devices already in the database: their entities exist in HA. */
	runs = calloc(256, sizeof(*runs));
	if (!runs) {
		free(ha);
		errno = ENOMEM;
		return NULL;
	}
	n = store_runs_recent(env->st, 0, runs, 256);
	for (int i = 0; i < n; i++)
		device_find_or_add(ha, runs[i].device);
	free(runs);
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
		d->today_due = true;
}

void homeassistant_connected(struct homeassistant *ha)
{
	for (size_t i = 0; i < ha->n_devices; i++) {
		ha->devices[i].discovery_due = true;
		ha->devices[i].today_due = true;
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
			ha->devices[i].today_due = true;
	}
	for (size_t i = 0; i < ha->n_devices; i++) {
		struct ha_device *d = &ha->devices[i];

		/* A refused publish (not connected) stays due; the connect
		 * makes everything due anyway. */
		if (d->discovery_due && (!ha->status_filter[0] || publish_discovery(ha, d) == 0))
			d->discovery_due = false;
		if (d->today_due && publish_today(ha, d, now_wall_s) == 0)
			d->today_due = false;
	}
}
