/* Two sensords under one device_id, the collector's side (shared_id.h). */
#include "shared_id.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "name_index.h"
#include "sameid.h"
#include "topic.h"

/* Devices followed at most (as Home Assistant's); more are logged once.
 * Every reading looks its device up, by name_index. */
#define SHARED_ID_DEVICES NAME_INDEX_MAX
#define SHARED_ID_LOG_EVERY_S 60.0

struct shared_id_device {
	char id[CONFIG_DEVICE_ID_MAX + 1];
	struct sameid_runs runs;
	double logged_at;
	bool publish_due;
};

struct shared_id {
	struct ingest_env env;
	struct shared_id_device devices[SHARED_ID_DEVICES];
	struct name_index index;
	size_t n_devices;
	bool full_logged;
};

struct shared_id *shared_id_new(const struct ingest_env *env)
{
	struct shared_id *s = calloc(1, sizeof(*s));

	if (!s)
		return NULL;
	s->env = *env;
	name_index_init(&s->index, s->devices[0].id, sizeof(s->devices[0]));
	return s;
}

void shared_id_free(struct shared_id *s)
{
	free(s);
}

static struct shared_id_device *device_get(struct shared_id *s, const char *id)
{
	struct shared_id_device *d;
	size_t slot;
	int found = name_index_find(&s->index, id, &slot);

	if (found >= 0)
		return &s->devices[found];
	if (s->n_devices == SHARED_ID_DEVICES) {
		if (!s->full_logged)
			log_warn("ingest: more than %d devices; %s and later ones are not watched for a "
				 "shared device_id", SHARED_ID_DEVICES, id);
		s->full_logged = true;
		return NULL;
	}
	name_index_add(&s->index, slot, s->n_devices);
	d = &s->devices[s->n_devices++];
	snprintf(d->id, sizeof(d->id), "%s", id);
	sameid_runs_init(&d->runs);
	d->publish_due = true;
	return d;
}

/* The flag changed, or lasts a minute more: the log says it. */
static void tell(struct shared_id_device *d, bool changed, double now_s)
{
	if (d->runs.flagged && (changed || now_s - d->logged_at >= SHARED_ID_LOG_EVERY_S)) {
		log_warn("ingest: %s: runs %s and %s both publish new readings at once: two sensords "
			 "use device_id \"%s\"; give each tool its own device_id (the readings of "
			 "both are stored)", d->id, d->runs.a, d->runs.b, d->id);
		d->logged_at = now_s;
	} else if (changed) {
		log_info("ingest: %s: only one run publishes new readings again", d->id);
	}
	if (changed)
		d->publish_due = true;
}

static void publish(struct shared_id *s, struct shared_id_device *d)
{
	char topic[256];
	const char *state = d->runs.flagged ? "ON" : "OFF";

	if (topic_build(topic, sizeof(topic), s->env.cfg->mqtt.topic_prefix, d->id, "same_id") < 0)
		return;
	/* Refused (not connected): due still, and the connect repeats it. */
	if (s->env.publish(s->env.publish_ctx, topic, state, strlen(state), true) == 0)
		d->publish_due = false;
}

void shared_id_reading(struct shared_id *s, const char *device, const char *run, double ts,
		       double now_s)
{
	struct shared_id_device *d = device_get(s, device);

	if (!d)
		return;
	tell(d, sameid_runs_feed(&d->runs, run, ts, now_s), now_s);
	if (d->publish_due)
		publish(s, d);
}

void shared_id_tick(struct shared_id *s, double now_s)
{
	for (size_t i = 0; i < s->n_devices; i++) {
		struct shared_id_device *d = &s->devices[i];

		tell(d, sameid_runs_tick(&d->runs, now_s), now_s);
		if (d->publish_due)
			publish(s, d);
	}
}

void shared_id_republish(struct shared_id *s)
{
	for (size_t i = 0; i < s->n_devices; i++)
		s->devices[i].publish_due = true;
}
