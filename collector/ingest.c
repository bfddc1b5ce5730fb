#include "ingest.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "detector.h"
#include "log.h"
#include "summary.h"
#include "topic.h"

/* A batch is committed when it is this large, even before commit_s. */
#define BATCH_MAX 5000
/* Readings read back per query when a hole fills or a run is rebuilt. */
#define REPLAY_CHUNK 512
/* Acks are cumulative: one per run per second says all a flood of them
 * would, at a fraction of the broker's and sensord's work (1,000 devices
 * would otherwise mean 2,000 retained publishes a second). */
#define ACK_EVERY_S 1.0
/* A malformed message of one kind is logged at most this often. */
#define DROP_LOG_EVERY_S 60.0
/* A run that received nothing for this long (and at least idle_s) with a
 * session open gets it closed: its sensord went away. */
#define SILENT_RUN_S 300.0
#define RUN_BUCKETS 4096
/* How often ingest_tick() walks all runs for their timed work. */
#define WALK_EVERY_S 0.1
#define SUMMARY_MAX 16384

struct pending_session {
	struct pending_session *next;
	int64_t session_id;
	char topic[256];
	char *payload;
	size_t len;
};

struct run_state {
	struct run_state *next;		/* hash chain */
	int64_t run_id;
	char device[CONFIG_DEVICE_ID_MAX + 1];
	char run[READING_RUN_LEN + 1];
	struct detector *det;
	uint64_t fed_seq;		/* all up to here stored and fed (or declared lost) */
	uint64_t missing;
	uint64_t committed_seq;		/* fed_seq as of the last commit: what an ack may say */
	uint64_t acked_seq;		/* last ack published */
	double acked_at_s;		/* when */
	bool ack_due;			/* an ack should go out (progress, or a resend to answer) */
	bool progress_dirty;		/* fed_seq/missing to write to the store */
	double last_mono;		/* of the last reading fed */
	double ts_offset_s;		/* ts - mono of the last reading fed */
	double period_s;		/* estimated sample period, 0 unknown */
	uint64_t ahead_seq;		/* lowest stored seq above fed_seq + 1, 0 none */
	double hole_since_s;		/* when the current hole was first seen */
	double last_arrival_s;
	bool session_open;
};

struct ingest {
	const struct rs_config *cfg;
	struct store *st;
	ingest_publish_fn publish;
	void *publish_ctx;
	struct run_state *buckets[RUN_BUCKETS];
	bool batch_open;
	double batch_started_s;
	size_t batch_count;
	struct pending_session *sessions_head, **sessions_tail;
	int64_t *to_mark;		/* sessions published, to mark in the store */
	size_t n_to_mark, cap_to_mark;
	double last_drop_log_s[INGEST_DROP_KINDS];
	struct ingest_stats stats;
	struct reading replay[REPLAY_CHUNK];
	double now_s;
	double walked_at_s;	/* the last walk_runs() */
};

const char *ingest_drop_name(unsigned kind)
{
	if (kind < READING_ERR_KINDS)
		return reading_error_name((enum reading_error)kind);
	if (kind == INGEST_DROP_TOPIC)
		return "topic";
	if (kind == INGEST_DROP_STORE)
		return "store";
	return "unknown";
}

static void drop(struct ingest *ing, unsigned kind, const char *topic)
{
	ing->stats.dropped[kind]++;
	if (ing->last_drop_log_s[kind] == 0 || ing->now_s - ing->last_drop_log_s[kind] >= DROP_LOG_EVERY_S) {
		log_warn("ingest: dropped a message on \"%.80s\" (%s); %llu of this kind so far", topic,
			 ingest_drop_name(kind), (unsigned long long)ing->stats.dropped[kind]);
		ing->last_drop_log_s[kind] = ing->now_s;
	}
}

struct ingest *ingest_new(const struct rs_config *cfg, struct store *st,
			  ingest_publish_fn publish, void *publish_ctx)
{
	struct ingest *ing = calloc(1, sizeof(*ing));

	if (!ing)
		return NULL;
	ing->cfg = cfg;
	ing->st = st;
	ing->publish = publish;
	ing->publish_ctx = publish_ctx;
	ing->sessions_tail = &ing->sessions_head;
	return ing;
}

static void run_free(struct run_state *rs)
{
	detector_free(rs->det);
	free(rs);
}

static void sessions_free(struct ingest *ing)
{
	while (ing->sessions_head) {
		struct pending_session *p = ing->sessions_head;

		ing->sessions_head = p->next;
		free(p->payload);
		free(p);
	}
	ing->sessions_tail = &ing->sessions_head;
}

void ingest_free(struct ingest *ing)
{
	if (!ing)
		return;
	for (size_t b = 0; b < RUN_BUCKETS; b++) {
		while (ing->buckets[b]) {
			struct run_state *rs = ing->buckets[b];

			ing->buckets[b] = rs->next;
			run_free(rs);
		}
	}
	sessions_free(ing);
	free(ing->to_mark);
	free(ing);
}

static int batch_begin(struct ingest *ing)
{
	if (ing->batch_open)
		return 0;
	if (store_begin(ing->st) < 0)
		return -1;
	ing->batch_open = true;
	ing->batch_started_s = ing->now_s;
	ing->batch_count = 0;
	return 0;
}

/* ---- sessions ---- */

static void queue_session(struct ingest *ing, struct run_state *rs, const struct detector_summary *s)
{
	double hold_ts[DETECTOR_MAX_HOLDS];
	struct pending_session *p;
	char buf[SUMMARY_MAX];
	int64_t id = 0;
	int rc, len;

	for (size_t i = 0; i < s->holds_stored; i++)
		hold_ts[i] = s->holds[i].start_mono_s + rs->ts_offset_s;
	rc = store_session_insert(ing->st, rs->run_id, s, s->start_mono_s + rs->ts_offset_s,
				  s->end_mono_s + rs->ts_offset_s, hold_ts, &id);
	if (rc < 0) {
		log_error("ingest: session of %s run %s not stored", rs->device, rs->run);
		return;
	}
	if (rc == 0)
		return;	/* stored before a restart: already counted and published */
	ing->stats.sessions++;
	log_info("session %s/%s: %.0f s, %zu holds (%.0f s), heat %.0f s", rs->device, rs->run,
		 s->duration_s, s->hold_count, s->hold_time_s, s->heat_time_s);
	len = summary_encode(s, rs->device, rs->run, rs->ts_offset_s, buf, sizeof(buf));
	if (len < 0)
		return;
	p = calloc(1, sizeof(*p));
	if (!p)
		return;
	p->payload = malloc((size_t)len + 1);
	if (!p->payload) {
		free(p);
		return;
	}
	memcpy(p->payload, buf, (size_t)len + 1);
	p->len = (size_t)len;
	p->session_id = id;
	topic_build(p->topic, sizeof(p->topic), ing->cfg->mqtt.topic_prefix, rs->device, "session");
	*ing->sessions_tail = p;
	ing->sessions_tail = &p->next;
}

static void handle_events(struct ingest *ing, struct run_state *rs, const struct detector_event *ev,
			  size_t n)
{
	for (size_t i = 0; i < n; i++) {
		if (ev[i].kind == DETECTOR_EVENT_SESSION_STARTED)
			rs->session_open = true;
		if (ev[i].kind == DETECTOR_EVENT_SESSION_ENDED) {
			rs->session_open = false;
			queue_session(ing, rs, ev[i].session);
		}
	}
}

/* ---- feeding the detector in seq order ---- */

static void feed(struct ingest *ing, struct run_state *rs, const struct reading *r)
{
	struct detector_event ev[DETECTOR_EVENTS_MAX];
	size_t n;

	if (r->seq != rs->fed_seq + 1 && rs->fed_seq > 0) {
		/* Readings declared lost: no duration may span them. */
		n = detector_gap(rs->det, rs->last_mono, r->mono, ev, DETECTOR_EVENTS_MAX);
		handle_events(ing, rs, ev, n);
	} else if (rs->fed_seq > 0 && r->mono > rs->last_mono) {
		double dt = r->mono - rs->last_mono;

		rs->period_s = rs->period_s > 0 ? 0.9 * rs->period_s + 0.1 * dt : dt;
	}
	rs->ts_offset_s = r->ts - r->mono;
	n = detector_feed(rs->det, r->mono, r->pressure_kpa, r->temperature_c, rs->period_s, ev,
			  DETECTOR_EVENTS_MAX);
	handle_events(ing, rs, ev, n);
	if (r->end_session) {
		/* The user ended the session on the tool (a long press): this
		 * reading is its last sample, as in sensord's live detector. */
		n = detector_end_session(rs->det, NAN, ev, DETECTOR_EVENTS_MAX);
		handle_events(ing, rs, ev, n);
	}
	rs->last_mono = r->mono;
	rs->fed_seq = r->seq;
	rs->ack_due = true;
	rs->progress_dirty = true;
}

/* Feeds what the store holds beyond fed_seq while it is contiguous. */
static void feed_stored(struct ingest *ing, struct run_state *rs)
{
	for (;;) {
		int n = store_readings_after(ing->st, rs->run_id, rs->fed_seq, ing->replay, REPLAY_CHUNK);
		int i;

		if (n <= 0) {
			rs->ahead_seq = 0;
			return;
		}
		for (i = 0; i < n; i++) {
			if (ing->replay[i].seq != rs->fed_seq + 1) {
				rs->ahead_seq = ing->replay[i].seq;
				return;
			}
			feed(ing, rs, &ing->replay[i]);
		}
		if (n < REPLAY_CHUNK) {
			rs->ahead_seq = 0;
			return;
		}
	}
}

/* ---- runs ---- */

static struct run_state *run_find(struct ingest *ing, int64_t run_id)
{
	struct run_state *rs = ing->buckets[(uint64_t)run_id % RUN_BUCKETS];

	while (rs && rs->run_id != run_id)
		rs = rs->next;
	return rs;
}

/* Brings a run into memory: its progress from the store, and its detector
 * rebuilt by replaying what was already fed before (sessions that end in the
 * replay were stored then and are not stored or published again). */
static struct run_state *run_load(struct ingest *ing, const char *device, const char *run)
{
	struct store_run_state srs;
	struct run_state *rs;
	uint64_t target;
	int64_t run_id;
	size_t b;

	if (store_run_id(ing->st, device, run, &run_id) < 0)
		return NULL;
	rs = run_find(ing, run_id);
	if (rs)
		return rs;
	rs = calloc(1, sizeof(*rs));
	if (!rs)
		return NULL;
	rs->det = detector_new(&ing->cfg->detector);
	if (!rs->det) {
		free(rs);
		return NULL;
	}
	rs->run_id = run_id;
	snprintf(rs->device, sizeof(rs->device), "%s", device);
	snprintf(rs->run, sizeof(rs->run), "%s", run);
	if (store_run_get(ing->st, run_id, &srs) == 0 && srs.fed_seq > 0) {
		target = srs.fed_seq;
		while (rs->fed_seq < target) {
			int n = store_readings_after(ing->st, run_id, rs->fed_seq, ing->replay, REPLAY_CHUNK);

			if (n <= 0)
				break;
			for (int i = 0; i < n && ing->replay[i].seq <= target; i++)
				feed(ing, rs, &ing->replay[i]);
			if (ing->replay[n - 1].seq >= target)
				break;
		}
		/* Lost readings declared before stay declared. */
		rs->fed_seq = target;
		rs->committed_seq = target;
		rs->missing = srs.missing;
		rs->acked_seq = 0;
		rs->ack_due = true;
		rs->progress_dirty = false;
		log_info("ingest: %s run %s resumed at seq %llu", device, run,
			 (unsigned long long)target);
	}
	/* Readings stored beyond fed_seq by an earlier life (ahead of a hole
	 * when it was killed) are fed now if they follow on, and otherwise
	 * become the far side of the hole: without this, filling the hole
	 * would feed nothing after it, and the run's ack would stay there. */
	feed_stored(ing, rs);
	if (rs->ahead_seq)
		rs->hole_since_s = ing->now_s;
	rs->last_arrival_s = ing->now_s;
	b = (uint64_t)run_id % RUN_BUCKETS;
	rs->next = ing->buckets[b];
	ing->buckets[b] = rs;
	ing->stats.runs++;
	return rs;
}

static void ingest_reading(struct ingest *ing, const char *device, const char *topic,
			   const char *payload, size_t len)
{
	struct run_state *rs;
	struct reading r;
	enum reading_error e;
	int rc;

	e = reading_decode(payload, len, &r);
	if (e != READING_OK) {
		drop(ing, e, topic);
		return;
	}
	if (batch_begin(ing) < 0) {
		drop(ing, INGEST_DROP_STORE, topic);
		return;
	}
	rs = run_load(ing, device, r.run);
	if (!rs) {
		drop(ing, INGEST_DROP_STORE, topic);
		return;
	}
	rs->last_arrival_s = ing->now_s;
	rc = store_reading_insert(ing->st, rs->run_id, &r);
	if (rc < 0) {
		drop(ing, INGEST_DROP_STORE, topic);
		return;
	}
	ing->batch_count++;
	if (rc == 0 || r.seq <= rs->fed_seq) {
		/* A duplicate, or (rc 1) a reading of a hole declared lost long
		 * ago: stored, but the detector has moved past it. */
		if (rc == 0)
			ing->stats.duplicates++;
		else
			ing->stats.stored++;
		rs->ack_due = true;	/* a resend wants its ack again */
		return;
	}
	ing->stats.stored++;
	if (r.seq == rs->fed_seq + 1) {
		feed(ing, rs, &r);
		if (rs->ahead_seq)
			feed_stored(ing, rs);
	} else {
		if (!rs->ahead_seq || r.seq < rs->ahead_seq) {
			if (!rs->ahead_seq)
				rs->hole_since_s = ing->now_s;
			rs->ahead_seq = r.seq;
		}
	}
}

void ingest_message(struct ingest *ing, const char *topic, const char *payload, size_t len,
		    double now_s)
{
	char device[CONFIG_DEVICE_ID_MAX + 1], kind[32];

	ing->now_s = now_s;
	ing->stats.messages++;
	if (topic_parse(topic, ing->cfg->mqtt.topic_prefix, device, sizeof(device), kind,
			sizeof(kind)) < 0) {
		drop(ing, INGEST_DROP_TOPIC, topic);
		return;
	}
	if (strcmp(kind, "reading") == 0) {
		ingest_reading(ing, device, topic, payload, len);
	} else if (strcmp(kind, "status") == 0) {
		if (len == 7 && memcmp(payload, "offline", 7) == 0)
			log_info("ingest: %s is offline", device);
		else if (len == 6 && memcmp(payload, "online", 6) == 0)
			log_info("ingest: %s is online", device);
	} else {
		drop(ing, INGEST_DROP_TOPIC, topic);
	}
}

/* ---- commit and publish ---- */

static void publish_ack(struct ingest *ing, struct run_state *rs)
{
	char topic[256], buf[96];
	int len;

	if (rs->committed_seq == 0)
		return;
	topic_build(topic, sizeof(topic), ing->cfg->mqtt.topic_prefix, rs->device, "ack");
	len = ack_encode(rs->run, rs->committed_seq, buf, sizeof(buf));
	if (len < 0)
		return;
	if (ing->publish(ing->publish_ctx, topic, buf, (size_t)len, true) == 0) {
		rs->acked_seq = rs->committed_seq;
		rs->acked_at_s = ing->now_s;
		/* What was fed since the last commit still needs its ack. */
		rs->ack_due = rs->fed_seq > rs->committed_seq;
	}
}

static void mark_later(struct ingest *ing, int64_t id)
{
	if (ing->n_to_mark == ing->cap_to_mark) {
		size_t cap = ing->cap_to_mark ? ing->cap_to_mark * 2 : 16;
		int64_t *n = realloc(ing->to_mark, cap * sizeof(*n));

		if (!n)
			return;	/* republished after a restart: harmless */
		ing->to_mark = n;
		ing->cap_to_mark = cap;
	}
	ing->to_mark[ing->n_to_mark++] = id;
}

static int commit(struct ingest *ing)
{
	if (!ing->batch_open)
		return 0;
	for (size_t b = 0; b < RUN_BUCKETS; b++)
		for (struct run_state *rs = ing->buckets[b]; rs; rs = rs->next)
			if (rs->progress_dirty) {
				store_run_progress_set(ing->st, rs->run_id, rs->fed_seq, rs->missing);
				rs->progress_dirty = false;
			}
	for (size_t i = 0; i < ing->n_to_mark; i++)
		store_session_mark_published(ing->st, ing->to_mark[i]);
	ing->n_to_mark = 0;
	ing->batch_open = false;
	if (store_commit(ing->st) < 0) {
		/* Rolled back: nothing of it is stored, so nothing is acked.
		 * The detectors moved on; rebuilding them from the store keeps
		 * them true to it. */
		log_error("ingest: commit failed; %zu readings will come again", ing->batch_count);
		sessions_free(ing);
		for (size_t b = 0; b < RUN_BUCKETS; b++) {
			while (ing->buckets[b]) {
				struct run_state *rs = ing->buckets[b];

				ing->buckets[b] = rs->next;
				run_free(rs);
			}
		}
		ing->stats.runs = 0;
		return -1;
	}
	ing->stats.commits++;
	/* Only now is it stored: acknowledge, then publish sessions. */
	for (size_t b = 0; b < RUN_BUCKETS; b++)
		for (struct run_state *rs = ing->buckets[b]; rs; rs = rs->next) {
			rs->committed_seq = rs->fed_seq;
			if (rs->committed_seq > rs->acked_seq)
				rs->ack_due = true;
			if (rs->ack_due && ing->now_s - rs->acked_at_s >= ACK_EVERY_S)
				publish_ack(ing, rs);
		}
	while (ing->sessions_head) {
		struct pending_session *p = ing->sessions_head;

		if (ing->publish(ing->publish_ctx, p->topic, p->payload, p->len, true) == 0)
			mark_later(ing, p->session_id);
		ing->sessions_head = p->next;
		free(p->payload);
		free(p);
	}
	ing->sessions_tail = &ing->sessions_head;
	return 0;
}

/* A hole in a run's seq that stayed open gap_timeout_s: the readings in it
 * are counted missing and what came after it is fed. */
static int expire_hole(struct ingest *ing, struct run_state *rs)
{
	uint64_t lost;

	if (!rs->ahead_seq || ing->now_s - rs->hole_since_s < ing->cfg->collector.gap_timeout_s)
		return 0;
	if (batch_begin(ing) < 0)
		return -1;
	lost = rs->ahead_seq - rs->fed_seq - 1;
	log_warn("ingest: %s run %s: readings %llu..%llu never arrived; counted missing",
		 rs->device, rs->run, (unsigned long long)rs->fed_seq + 1,
		 (unsigned long long)rs->ahead_seq - 1);
	rs->missing += lost;
	ing->stats.missing += lost;
	/* The first reading after the hole; feed() sees the seq jump and
	 * declares the gap to the detector. */
	if (store_readings_after(ing->st, rs->run_id, rs->fed_seq, ing->replay, 1) == 1)
		feed(ing, rs, &ing->replay[0]);
	feed_stored(ing, rs);
	rs->hole_since_s = ing->now_s;
	return 0;
}

/* A run whose sensord went away with a session open: the session closes at
 * its last contact, as the data would have done idle_s later. */
static int close_silent(struct ingest *ing, struct run_state *rs)
{
	double silent_s = fmax(SILENT_RUN_S, ing->cfg->detector.idle_s);
	struct detector_event ev[DETECTOR_EVENTS_MAX];
	size_t n;

	if (!rs->session_open || ing->now_s - rs->last_arrival_s < silent_s)
		return 0;
	if (batch_begin(ing) < 0)
		return -1;
	log_info("ingest: %s run %s silent for %.0f s; closing its session", rs->device, rs->run,
		 ing->now_s - rs->last_arrival_s);
	n = detector_end_session(rs->det, NAN, ev, DETECTOR_EVENTS_MAX);
	handle_events(ing, rs, ev, n);
	rs->session_open = false;
	return 0;
}

/* The timed work of every run, in one walk: acks held back by ACK_EVERY_S
 * go out once their second is over, holes expire, silent runs close. Its
 * deadlines are seconds long, so the walk runs every WALK_EVERY_S, not at
 * every message: with thousands of runs and messages, a walk per message
 * was most of the collector's time. */
static void walk_runs(struct ingest *ing)
{
	for (size_t b = 0; b < RUN_BUCKETS; b++) {
		for (struct run_state *rs = ing->buckets[b]; rs; rs = rs->next) {
			if (rs->ack_due && rs->committed_seq > 0 &&
			    ing->now_s - rs->acked_at_s >= ACK_EVERY_S)
				publish_ack(ing, rs);
			if (expire_hole(ing, rs) < 0 || close_silent(ing, rs) < 0)
				return;
		}
	}
}

void ingest_tick(struct ingest *ing, double now_s)
{
	ing->now_s = now_s;
	if (now_s - ing->walked_at_s >= WALK_EVERY_S) {
		ing->walked_at_s = now_s;
		walk_runs(ing);
	}
	if (ing->batch_open && (ing->batch_count >= BATCH_MAX ||
				now_s - ing->batch_started_s >= ing->cfg->collector.commit_s))
		commit(ing);
}

int ingest_flush(struct ingest *ing, double now_s)
{
	ing->now_s = now_s;
	return commit(ing);
}

static int republish_session(const struct store_session *s, void *ctx)
{
	struct ingest *ing = ctx;
	struct detector_summary sum;
	char topic[256], buf[SUMMARY_MAX];
	int len;

	store_session_summary(s, &sum);
	len = summary_encode(&sum, s->device, s->run, 0, buf, sizeof(buf));
	topic_build(topic, sizeof(topic), ing->cfg->mqtt.topic_prefix, s->device, "session");
	if (len >= 0 && ing->publish(ing->publish_ctx, topic, buf, (size_t)len, true) == 0)
		mark_later(ing, s->id);
	return 0;
}

void ingest_republish(struct ingest *ing)
{
	for (size_t b = 0; b < RUN_BUCKETS; b++)
		for (struct run_state *rs = ing->buckets[b]; rs; rs = rs->next)
			publish_ack(ing, rs);
	store_sessions_unpublished(ing->st, republish_session, ing);
}

void ingest_get_stats(const struct ingest *ing, struct ingest_stats *st)
{
	*st = ing->stats;
}
