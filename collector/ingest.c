#include "ingest.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "detector.h"
#include "log.h"
#include "shared_id.h"
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
/* A run whose readings came this much faster than their own timeline (their
 * mono) is a backlog (a resend after an outage, a queue drained after a
 * restart, readings held up on the way): when the queue runs dry, its last
 * readings are committed and acknowledged at once (ingest_quiet), not up to
 * commit_s and ACK_EVERY_S later. A live sensord's readings keep step with
 * its timeline, so it gets there only when some were held up that long; a
 * backlog costs one ack and one commit more. */
#define BACKLOG_LEAD_S 0.5
/* A malformed message of one kind is logged at most this often; so is a
 * run's conflict. */
#define DROP_LOG_EVERY_S 60.0
/* A run that received nothing for this long (and at least idle_s) with a
 * session open gets it closed: its sensord went away. */
#define SILENT_RUN_S 300.0
#define RUN_BUCKETS 4096
/* How often ingest_tick() walks all runs for their timed work. */
#define WALK_EVERY_S 0.1
#define SUMMARY_MAX 16384
/* sensord samples at most this fast (sensord.sample_hz): a seq further
 * ahead of the run's last reading than its mono allows at this rate, plus
 * a second's worth, was never sent by a sensord. */
#define SEQ_RATE_MAX_HZ 100.0
/* Holes sensord declared lost (lost_after), remembered per run. More are
 * merged or forgotten: sensord repeats them with every resend. */
#define RUN_SPANS 8
/* Stored sessions a revision compares at most. */
#define REVISE_SESSIONS_MAX 512
/* A resend fills a hole over several commits: the revision waits until no
 * late reading came for this long, or the hole is full, so the sessions
 * are recomputed and published again once. */
#define REVISE_SETTLE_S 1.0
/* Runs with a revision pending brought back at start, at most. */
#define REVISE_RESUME_MAX 64
/* Per-device new-run buckets: devices share a slot by hash, so the table
 * stays this small whatever floods in (a shared slot only limits sooner). */
#define NEW_RUN_SLOTS 1024
/* The defaults of struct ingest_limits. About 11 KB per run in memory
 * (detector_snapshot_size() is 10 KB with the zone totals): the bound is
 * ~45 MiB of runs (docs/internals.md, "Limits"). */
#define RUNS_MAX_DEFAULT 4096
#define IDLE_EVICT_S_DEFAULT 60.0
#define NEW_RUN_EVERY_S_DEFAULT 6.0
#define NEW_RUN_BURST_DEFAULT 10

struct pending_session {
	struct pending_session *next;
	int64_t session_id;
	char topic[256];
	size_t len;
	char payload[];		/* len bytes and a NUL */
};

/* sensord said: it holds no reading with seq strictly between after and
 * before, and never will (a reading's lost_after). */
struct lost_span {
	uint64_t after;
	uint64_t before;
};

/* What a run's detector needs besides itself to go on where it stopped:
 * kept ahead of its snapshot while the run is out of memory. */
struct run_timeline {
	double last_mono;		/* of the last reading fed */
	double ts_offset_s;		/* ts - mono of the last reading fed */
	double period_s;		/* estimated sample period, 0 unknown */
	uint64_t session_open;		/* a bool, in a field of fixed size */
};

struct run_state {
	struct run_state *next;		/* hash chain */
	int64_t run_id;
	char device[CONFIG_DEVICE_ID_MAX + 1];
	char run[READING_RUN_LEN + 1];
	struct detector *det;
	struct store_run_progress prog;	/* as the store keeps it (store.h) */
	uint64_t committed_seq;		/* stored_seq as of the last commit: what an ack may say */
	uint64_t acked_seq;		/* last ack published */
	double acked_at_s;		/* when */
	bool ack_due;			/* an ack should go out (progress, or a resend to answer) */
	bool backlog;			/* BACKLOG_LEAD_S ahead of the anchor */
	double anchor_mono, anchor_s;	/* last_mono and the time at the last ack
					 * outside a backlog */
	bool progress_dirty;		/* the counters above to write to the store */
	struct run_timeline tl;
	uint64_t ahead_seq;		/* lowest stored seq above fed_seq + 1, 0 none */
	double hole_since_s;		/* when the current hole was first seen */
	double last_arrival_s;
	double late_at_s;		/* when the last reading for a passed hole came */
	uint64_t late_since_revise;
	double conflict_logged_s;
	size_t n_spans;
	struct lost_span spans[RUN_SPANS];
};

struct revised_session {
	struct detector_summary summary;
	double ts_offset_s;
};

struct new_run_slot {
	double tokens;
	double at_s;
};

struct ingest {
	struct ingest_env env;
	struct ingest_limits limits;
	struct run_state *buckets[RUN_BUCKETS];
	bool batch_open;
	double batch_started_s;
	size_t batch_count;
	bool batch_backlog;		/* it holds readings of a run in backlog */
	struct pending_session *sessions_head, **sessions_tail;
	int64_t *to_mark;		/* sessions published, to mark in the store */
	size_t n_to_mark, cap_to_mark;
	double last_drop_log_s[INGEST_DROP_KINDS];
	struct ingest_stats stats;
	struct reading replay[REPLAY_CHUNK];
	uint64_t seqs[REPLAY_CHUNK];
	double now_s;
	double walked_at_s;	/* the last walk_runs() */
	bool resumed;		/* runs with a revision pending were brought back */
	/* While a run is being recomputed: the sessions its replay ends. */
	struct revised_session *revised;
	size_t n_revised, cap_revised;
	bool revising;
	struct new_run_slot new_runs[NEW_RUN_SLOTS];
	struct shared_id *shared_id;	/* two sensords under one device_id */
	size_t snapshot_len;
	unsigned char snapshot[];	/* a buffer of snapshot_len bytes */
};

void ingest_limits_default(struct ingest_limits *l)
{
	l->runs_max = RUNS_MAX_DEFAULT;
	l->idle_evict_s = IDLE_EVICT_S_DEFAULT;
	l->new_run_every_s = NEW_RUN_EVERY_S_DEFAULT;
	l->new_run_burst = NEW_RUN_BURST_DEFAULT;
}

void ingest_set_limits(struct ingest *ing, const struct ingest_limits *l)
{
	ing->limits = *l;
	for (size_t i = 0; i < NEW_RUN_SLOTS; i++)
		ing->new_runs[i].tokens = l->new_run_burst;
}

const char *ingest_drop_name(unsigned kind)
{
	static const char *const names[INGEST_DROP_KINDS - READING_ERR_KINDS] = {
		[INGEST_DROP_TOPIC - READING_ERR_KINDS] = "topic",
		[INGEST_DROP_STORE - READING_ERR_KINDS] = "store",
		[INGEST_DROP_SEQ - READING_ERR_KINDS] = "seq",
		[INGEST_DROP_NEW_RUNS - READING_ERR_KINDS] = "new_runs",
		[INGEST_DROP_RUNS_FULL - READING_ERR_KINDS] = "runs_full",
	};

	if (kind < READING_ERR_KINDS)
		return reading_error_name((enum reading_error)kind);
	return kind < INGEST_DROP_KINDS ? names[kind - READING_ERR_KINDS] : "unknown";
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

struct ingest *ingest_new(const struct ingest_env *env)
{
	size_t snapshot_len = sizeof(struct run_timeline) + detector_snapshot_size();
	struct ingest *ing = calloc(1, sizeof(*ing) + snapshot_len);
	struct ingest_limits l;

	if (!ing)
		return NULL;
	ing->snapshot_len = snapshot_len;
	ing->env = *env;
	ing->shared_id = shared_id_new(env);
	if (!ing->shared_id) {
		free(ing);
		return NULL;
	}
	ing->sessions_tail = &ing->sessions_head;
	ingest_limits_default(&l);
	ingest_set_limits(ing, &l);
	return ing;
}

static void run_free(struct run_state *rs)
{
	if (!rs)
		return;
	detector_free(rs->det);
	free(rs);
}

static void sessions_free(struct ingest *ing)
{
	while (ing->sessions_head) {
		struct pending_session *p = ing->sessions_head;

		ing->sessions_head = p->next;
		free(p);
	}
	ing->sessions_tail = &ing->sessions_head;
}

static void runs_free_all(struct ingest *ing)
{
	for (size_t b = 0; b < RUN_BUCKETS; b++) {
		while (ing->buckets[b]) {
			struct run_state *rs = ing->buckets[b];

			ing->buckets[b] = rs->next;
			run_free(rs);
		}
	}
	ing->stats.runs = 0;
}

void ingest_free(struct ingest *ing)
{
	if (!ing)
		return;
	runs_free_all(ing);
	sessions_free(ing);
	free(ing->to_mark);
	free(ing->revised);
	shared_id_free(ing->shared_id);
	free(ing);
}

static int batch_begin(struct ingest *ing)
{
	if (ing->batch_open)
		return 0;
	if (store_begin(ing->env.st) < 0)
		return -1;
	ing->batch_open = true;
	ing->batch_started_s = ing->now_s;
	ing->batch_count = 0;
	ing->batch_backlog = false;
	return 0;
}

/* ---- sessions ---- */

/* Queues the summary of device's session id (len bytes of buf; len < 0:
 * it could not be encoded, nothing to do) for after the commit. */
static void pending_add(struct ingest *ing, const char *device, int64_t id, const char *buf,
			int len)
{
	struct pending_session *p = len < 0 ? NULL : calloc(1, sizeof(*p) + (size_t)len + 1);

	if (!p)
		return;
	memcpy(p->payload, buf, (size_t)len + 1);
	p->len = (size_t)len;
	p->session_id = id;
	topic_build(p->topic, sizeof(p->topic), ing->env.cfg->mqtt.topic_prefix, device, "session");
	*ing->sessions_tail = p;
	ing->sessions_tail = &p->next;
}

/* Stores a session the detector ended, and queues its summary for after the
 * commit. revised: it replaces one published before. */
static void queue_session(struct ingest *ing, struct run_state *rs, const struct detector_summary *s,
			  bool revised)
{
	double hold_ts[DETECTOR_MAX_HOLDS];
	char buf[SUMMARY_MAX];
	int64_t id = 0;
	int rc, len;

	for (size_t i = 0; i < s->holds_stored; i++)
		hold_ts[i] = s->holds[i].start_mono_s + rs->tl.ts_offset_s;
	rc = store_session_insert(ing->env.st, rs->run_id, s, s->start_mono_s + rs->tl.ts_offset_s,
				  s->end_mono_s + rs->tl.ts_offset_s, hold_ts, &id);
	if (rc < 0) {
		log_error("ingest: session of %s run %s not stored", rs->device, rs->run);
		return;
	}
	if (rc == 0)
		return;	/* stored before a restart: already counted and published */
	if (revised) {
		ing->stats.revisions++;
	} else {
		ing->stats.sessions++;
		log_info("session %s/%s: %.0f s, %zu holds (%.0f s), heat %.0f s", rs->device, rs->run,
			 s->duration_s, s->hold_count, s->hold_time_s, s->heat_time_s);
	}
	len = summary_encode(s, rs->device, rs->run, rs->tl.ts_offset_s, buf, sizeof(buf));
	if (len >= 0 && revised)
		len = summary_mark_revised(buf, (size_t)len, sizeof(buf));
	pending_add(ing, rs->device, id, buf, len);
}

/* A session a revision's replay ended: kept to compare with the store,
 * with the run's wall-clock offset at its end. */
static void keep_revised(struct ingest *ing, const struct detector_summary *s, double ts_offset_s)
{
	if (ing->n_revised == ing->cap_revised) {
		size_t cap = ing->cap_revised ? ing->cap_revised * 2 : 8;
		struct revised_session *n = realloc(ing->revised, cap * sizeof(*n));

		if (!n) {
			log_error("ingest: out of memory recomputing sessions; one is left as it was");
			return;
		}
		ing->revised = n;
		ing->cap_revised = cap;
	}
	ing->revised[ing->n_revised++] = (struct revised_session){ *s, ts_offset_s };
}

static void handle_events(struct ingest *ing, struct run_state *rs, const struct detector_event *ev,
			  size_t n)
{
	for (size_t i = 0; i < n; i++) {
		if (ev[i].kind == DETECTOR_EVENT_SESSION_STARTED)
			rs->tl.session_open = true;
		if (ev[i].kind == DETECTOR_EVENT_SESSION_ENDED) {
			rs->tl.session_open = false;
			if (ing->revising)
				keep_revised(ing, ev[i].session, rs->tl.ts_offset_s);
			else
				queue_session(ing, rs, ev[i].session, false);
		}
	}
}

/* ---- feeding the detector in seq order ---- */

static void feed(struct ingest *ing, struct run_state *rs, const struct reading *r)
{
	struct detector_event ev[DETECTOR_EVENTS_MAX];
	double lead;
	size_t n;

	if (r->seq != rs->prog.fed_seq + 1 && rs->prog.fed_seq > 0) {
		/* Readings passed as missing: no duration may span them. */
		n = detector_gap(rs->det, rs->tl.last_mono, r->mono, ev, DETECTOR_EVENTS_MAX);
		handle_events(ing, rs, ev, n);
	} else if (rs->prog.fed_seq > 0 && r->mono > rs->tl.last_mono) {
		double dt = r->mono - rs->tl.last_mono;

		rs->tl.period_s = rs->tl.period_s > 0 ? 0.9 * rs->tl.period_s + 0.1 * dt : dt;
	}
	rs->tl.ts_offset_s = r->ts - r->mono;
	/* Every reading, live or replayed from the store, brings its zone:
	 * a replay finds the same holds on the same zones. */
	detector_set_zone(rs->det, r->zone);
	n = detector_feed(rs->det, r->mono, r->pressure_kpa, r->temperature_c,
			  r->has_rotation ? r->rotation_dps : NAN, rs->tl.period_s, ev,
			  DETECTOR_EVENTS_MAX);
	handle_events(ing, rs, ev, n);
	if (r->end_session) {
		/* The user ended the session on the tool (a long press): this
		 * reading is its last sample, as in sensord's live detector. */
		n = detector_end_session(rs->det, NAN, ev, DETECTOR_EVENTS_MAX);
		handle_events(ing, rs, ev, n);
	}
	/* While nothing is missing, the ack's number keeps step. */
	if (r->seq == rs->prog.stored_seq + 1)
		rs->prog.stored_seq = r->seq;
	rs->tl.last_mono = r->mono;
	rs->prog.fed_seq = r->seq;
	rs->ack_due = true;
	rs->progress_dirty = true;
	/* How far its readings got ahead of the time they took to come. The
	 * anchor moves to a reading that came later than its timeline says
	 * (the first after an outage): what counts is the catching up. */
	lead = (r->mono - rs->anchor_mono) - (ing->now_s - rs->anchor_s);
	if (rs->anchor_s == 0 || lead < 0) {
		rs->anchor_mono = r->mono;
		rs->anchor_s = ing->now_s;
	} else if (lead > BACKLOG_LEAD_S) {
		rs->backlog = true;
	}
	ing->batch_backlog |= rs->backlog;
}

/* Feeds rs the readings the store holds after fed_seq, in seq order, up to
 * target (inclusive). follow_on: only while each follows the one before;
 * the first that does not becomes ahead_seq (0 if none did). A replay into
 * a fresh detector passes the holes instead. 0, or -1 if the store failed. */
static int feed_stored(struct ingest *ing, struct run_state *rs, uint64_t target, bool follow_on)
{
	if (follow_on)
		rs->ahead_seq = 0;
	while (rs->prog.fed_seq < target) {
		int n = store_readings_after(ing->env.st, rs->run_id, rs->prog.fed_seq, ing->replay,
					     REPLAY_CHUNK);

		if (n <= 0)
			return n;
		for (int i = 0; i < n; i++) {
			if (ing->replay[i].seq > target)
				return 0;
			if (follow_on && ing->replay[i].seq != rs->prog.fed_seq + 1) {
				rs->ahead_seq = ing->replay[i].seq;
				return 0;
			}
			feed(ing, rs, &ing->replay[i]);
		}
		if (n < REPLAY_CHUNK)
			return 0;
	}
	return 0;
}

/* ---- what sensord declared lost ---- */

/* Remembers (after, before), merged with the spans it overlaps or touches
 * (two spans touch when together they leave no seq out). */
static void span_add(struct run_state *rs, uint64_t after, uint64_t before)
{
	bool merged;

	if (before <= after + 1 || before <= rs->prog.stored_seq + 1)
		return;	/* nothing in it, or nothing the ack still waits for */
	if (rs->n_spans == RUN_SPANS) {
		/* Forget the oldest: sensord says it again with its next resend. */
		memmove(&rs->spans[0], &rs->spans[1], (RUN_SPANS - 1) * sizeof(rs->spans[0]));
		rs->n_spans--;
	}
	rs->spans[rs->n_spans].after = after;
	rs->spans[rs->n_spans].before = before;
	rs->n_spans++;
	do {
		merged = false;
		for (size_t i = 0; i < rs->n_spans && !merged; i++) {
			for (size_t j = i + 1; j < rs->n_spans && !merged; j++) {
				struct lost_span *a = &rs->spans[i], *b = &rs->spans[j];

				if (!(a->after < b->before && b->after < a->before))
					continue;
				a->after = b->after < a->after ? b->after : a->after;
				a->before = b->before > a->before ? b->before : a->before;
				*b = rs->spans[--rs->n_spans];
				merged = true;
			}
		}
	} while (merged);
}

/* True if sensord declared every seq in from..to lost. */
static bool span_covers(const struct run_state *rs, uint64_t from, uint64_t to)
{
	for (size_t i = 0; i < rs->n_spans; i++)
		if (rs->spans[i].after < from && to < rs->spans[i].before)
			return true;
	return false;
}

/* Spans stored_seq has passed say nothing more. */
static void spans_prune(struct run_state *rs)
{
	for (size_t i = 0; i < rs->n_spans;) {
		if (rs->spans[i].before <= rs->prog.stored_seq + 1)
			rs->spans[i] = rs->spans[--rs->n_spans];
		else
			i++;
	}
}

static void count_lost(struct ingest *ing, struct run_state *rs, uint64_t from, uint64_t to)
{
	uint64_t n = to - from + 1;

	rs->prog.lost += n;
	ing->stats.lost += n;
	rs->progress_dirty = true;
	log_warn("ingest: %s run %s: readings %llu..%llu are lost: sensord no longer has them (its "
		 "outbox overflowed or was damaged); %llu lost so far in this run", rs->device, rs->run,
		 (unsigned long long)from, (unsigned long long)to, (unsigned long long)rs->prog.lost);
}

/* Moves stored_seq over what is stored and what sensord declared lost, as
 * far as fed_seq (feed() moves it beyond, while nothing is missing). It
 * stops at a hole sensord may still fill. 0 or -1. */
static int stored_catch_up(struct ingest *ing, struct run_state *rs)
{
	uint64_t before = rs->prog.stored_seq;

	while (rs->prog.stored_seq < rs->prog.fed_seq) {
		int n = store_seqs_after(ing->env.st, rs->run_id, rs->prog.stored_seq, ing->seqs,
					 REPLAY_CHUNK);

		if (n < 0)
			return -1;
		/* After the last seq, when no more are stored: as if fed_seq + 1 was. */
		for (int i = 0; i < (n < REPLAY_CHUNK ? n + 1 : n) &&
				rs->prog.stored_seq < rs->prog.fed_seq; i++) {
			uint64_t next = i < n ? ing->seqs[i] : rs->prog.fed_seq + 1;

			if (next > rs->prog.fed_seq + 1)
				next = rs->prog.fed_seq + 1;	/* beyond is the detector's hole */
			if (next != rs->prog.stored_seq + 1) {
				if (!span_covers(rs, rs->prog.stored_seq + 1, next - 1))
					goto out;
				count_lost(ing, rs, rs->prog.stored_seq + 1, next - 1);
			}
			rs->prog.stored_seq = next > rs->prog.fed_seq ? rs->prog.fed_seq : next;
		}
	}
out:
	if (rs->prog.stored_seq != before) {
		rs->ack_due = true;
		rs->progress_dirty = true;
		spans_prune(rs);
	}
	return 0;
}

/* ---- runs ---- */

static struct run_state *run_find(struct ingest *ing, int64_t run_id)
{
	struct run_state *rs = ing->buckets[(uint64_t)run_id % RUN_BUCKETS];

	while (rs && rs->run_id != run_id)
		rs = rs->next;
	return rs;
}

static struct run_state *run_alloc(struct ingest *ing, int64_t run_id, const char *device,
				   const char *run)
{
	struct run_state *rs = calloc(1, sizeof(*rs));

	if (!rs)
		return NULL;
	rs->det = detector_new(&ing->env.cfg->detector);
	if (!rs->det) {
		free(rs);
		return NULL;
	}
	rs->run_id = run_id;
	rs->prog.revise_from = NAN;
	snprintf(rs->device, sizeof(rs->device), "%s", device);
	snprintf(rs->run, sizeof(rs->run), "%s", run);
	return rs;
}

/* The detector as it was when the run left memory, if the store kept it for
 * this fed_seq: true, with rs's timeline restored too. */
static bool run_restore(struct ingest *ing, struct run_state *rs, uint64_t fed_seq)
{
	if (store_run_snapshot_get(ing->env.st, rs->run_id, fed_seq, ing->snapshot,
				   ing->snapshot_len) != 1)
		return false;
	if (detector_restore(rs->det, ing->snapshot + sizeof(rs->tl),
			     ing->snapshot_len - sizeof(rs->tl)) < 0)
		return false;	/* another version, or other thresholds: replay */
	/* Used once: a revision may change the detector without moving
	 * fed_seq, and a snapshot kept would then bring back the old one. */
	if (store_run_snapshot_set(ing->env.st, rs->run_id, 0, NULL, 0) < 0)
		return false;
	memcpy(&rs->tl, ing->snapshot, sizeof(rs->tl));
	rs->prog.fed_seq = fed_seq;
	return true;
}

/* Brings a run into memory: its progress from the store, and its detector
 * from its snapshot or else rebuilt by replaying what was already fed
 * before (sessions that end in the replay were stored then and are not
 * stored or published again). */
static struct run_state *run_load(struct ingest *ing, int64_t run_id, const char *device,
				  const char *run)
{
	struct store_run_state srs = { 0 };
	struct run_state *rs;
	size_t b;

	rs = run_alloc(ing, run_id, device, run);
	if (!rs)
		return NULL;
	if (store_run_get(ing->env.st, run_id, &srs) == 0) {
		rs->prog.lost = srs.progress.lost;
		rs->prog.conflicts = srs.progress.conflicts;
		rs->prog.revise_from = srs.progress.revise_from;
		/* A revision a kill or an eviction left to do. */
		if (!isnan(rs->prog.revise_from))
			rs->late_at_s = ing->now_s - REVISE_SETTLE_S;
	}
	if (srs.run_id == run_id && srs.progress.fed_seq > 0) {
		bool restored = run_restore(ing, rs, srs.progress.fed_seq);

		if (!restored && feed_stored(ing, rs, srs.progress.fed_seq, false) < 0) {
			run_free(rs);
			return NULL;
		}
		/* What was passed as missing before stays so. */
		rs->prog = srs.progress;
		rs->committed_seq = srs.progress.stored_seq;
		rs->acked_seq = 0;
		rs->ack_due = true;
		rs->progress_dirty = false;
		log_debug("ingest: %s run %s resumed at seq %llu (%s)", device, run,
			  (unsigned long long)srs.progress.fed_seq, restored ? "snapshot" : "replayed");
		if (stored_catch_up(ing, rs) < 0) {
			run_free(rs);
			return NULL;
		}
	}
	/* Readings stored beyond fed_seq by an earlier life (ahead of a hole
	 * when it was killed) are fed now if they follow on, and otherwise
	 * become the far side of the hole: without this, filling the hole
	 * would feed nothing after it, and the run's ack would stay there. */
	feed_stored(ing, rs, UINT64_MAX, true);
	if (rs->ahead_seq)
		rs->hole_since_s = ing->now_s;
	rs->last_arrival_s = ing->now_s;
	b = (uint64_t)run_id % RUN_BUCKETS;
	rs->next = ing->buckets[b];
	ing->buckets[b] = rs;
	ing->stats.runs++;
	return rs;
}

static void run_unlink(struct ingest *ing, struct run_state *rs)
{
	struct run_state **pp = &ing->buckets[(uint64_t)rs->run_id % RUN_BUCKETS];

	while (*pp && *pp != rs)
		pp = &(*pp)->next;
	if (*pp)
		*pp = rs->next;
	ing->stats.runs--;
}

/* A run may leave memory when nothing about it is pending: no open session
 * (its detector is between sessions), no hole, its ack out. A run under a
 * conflict is never acked, so that is not waited for. */
static bool run_evictable(const struct run_state *rs)
{
	return !rs->tl.session_open && !rs->ahead_seq && isnan(rs->prog.revise_from) &&
	       rs->prog.stored_seq == rs->prog.fed_seq &&
	       (rs->prog.conflicts > 0 || (!rs->ack_due && rs->acked_seq == rs->prog.stored_seq));
}

/* Writes rs's progress and detector to the store and frees it. 0 or -1. */
static int run_evict(struct ingest *ing, struct run_state *rs)
{
	if (batch_begin(ing) < 0)
		return -1;
	memcpy(ing->snapshot, &rs->tl, sizeof(rs->tl));
	detector_snapshot(rs->det, ing->snapshot + sizeof(rs->tl));
	if (store_run_progress_set(ing->env.st, rs->run_id, &rs->prog) < 0 ||
	    store_run_snapshot_set(ing->env.st, rs->run_id, rs->prog.fed_seq, ing->snapshot,
				   ing->snapshot_len) < 0)
		return -1;
	run_unlink(ing, rs);
	run_free(rs);
	ing->stats.evicted++;
	return 0;
}

/* Makes room for one more run by evicting the one quiet longest among those
 * that may leave. 0, or -1 if none may. */
static int run_evict_one(struct ingest *ing)
{
	struct run_state *oldest = NULL;

	for (size_t b = 0; b < RUN_BUCKETS; b++)
		for (struct run_state *rs = ing->buckets[b]; rs; rs = rs->next)
			if (run_evictable(rs) && (!oldest || rs->last_arrival_s < oldest->last_arrival_s))
				oldest = rs;
	return oldest ? run_evict(ing, oldest) : -1;
}

/* The token bucket of a device (by hash), refilled to now: it may start a
 * new run while it holds a whole token. */
static struct new_run_slot *new_run_slot(struct ingest *ing, const char *device)
{
	uint32_t h = 2166136261u;
	struct new_run_slot *slot;
	double burst = ing->limits.new_run_burst;

	for (const char *p = device; *p; p++)
		h = (h ^ (unsigned char)*p) * 16777619u;
	slot = &ing->new_runs[h % NEW_RUN_SLOTS];
	if (ing->limits.new_run_every_s > 0) {
		slot->tokens += (ing->now_s - slot->at_s) / ing->limits.new_run_every_s;
		if (slot->tokens > burst)
			slot->tokens = burst;
	}
	slot->at_s = ing->now_s;
	return slot;
}

/* The run a reading belongs to, in memory: found there, brought back from
 * the store, or new. NULL with *why (an ingest_drop) when not. */
static struct run_state *run_get(struct ingest *ing, const char *device, const char *run,
				 unsigned *why)
{
	struct new_run_slot *slot = NULL;
	struct run_state *rs;
	int64_t run_id;
	int found;

	*why = INGEST_DROP_STORE;
	found = store_run_find(ing->env.st, device, run, &run_id);
	if (found < 0)
		return NULL;
	if (found) {
		rs = run_find(ing, run_id);
		if (rs)
			return rs;
	} else {
		/* The rate first: a run it refuses needs no room. The token is
		 * taken only once the run is made. */
		slot = new_run_slot(ing, device);
		if (slot->tokens < 1.0) {
			*why = INGEST_DROP_NEW_RUNS;
			return NULL;
		}
	}
	if (ing->stats.runs >= ing->limits.runs_max && run_evict_one(ing) < 0) {
		*why = INGEST_DROP_RUNS_FULL;
		return NULL;
	}
	if (!found) {
		if (store_run_id(ing->env.st, device, run, &run_id) < 0)
			return NULL;
		slot->tokens -= 1.0;
	}
	return run_load(ing, run_id, device, run);
}

/* ---- holes ---- */

/* Passes the hole before ahead_seq: its readings are counted missing and
 * what came after it is fed. */
static void hole_pass(struct ingest *ing, struct run_state *rs)
{
	uint64_t lost = rs->ahead_seq - rs->prog.fed_seq - 1;

	rs->prog.missing += lost;
	ing->stats.missing += lost;
	/* The first reading after the hole; feed() sees the seq jump and
	 * declares the gap to the detector. */
	if (store_readings_after(ing->env.st, rs->run_id, rs->prog.fed_seq, ing->replay, 1) == 1)
		feed(ing, rs, &ing->replay[0]);
	feed_stored(ing, rs, UINT64_MAX, true);
	rs->hole_since_s = ing->now_s;
}

/* Holes sensord declared lost wait for nothing: the detector passes them
 * at once, and the ack moves over them and over what late readings filled.
 * 0 or -1. */
static int holes_declared(struct ingest *ing, struct run_state *rs)
{
	while (rs->ahead_seq && span_covers(rs, rs->prog.fed_seq + 1, rs->ahead_seq - 1))
		hole_pass(ing, rs);
	return rs->prog.stored_seq < rs->prog.fed_seq ? stored_catch_up(ing, rs) : 0;
}

/* Could a sensord have sent this seq? It samples at most SEQ_RATE_MAX_HZ:
 * seq cannot run further ahead of the last reading fed than that rate over
 * the mono time between them, plus a second's worth. A reading that does
 * would open a hole no one can fill. */
static bool seq_plausible(const struct run_state *rs, const struct reading *r)
{
	double base_mono = rs->prog.fed_seq > 0 ? rs->tl.last_mono : 0.0;
	double dt = r->mono - base_mono;

	if (r->seq <= rs->prog.fed_seq)
		return true;
	if (dt < 0)
		dt = 0;
	return (double)(r->seq - rs->prog.fed_seq) <= SEQ_RATE_MAX_HZ * (dt + 1.0) + 1.0;
}

/* A reading for a hole the detector passed: stored, no longer missing, and
 * the sessions around it are recomputed at the commit. */
static void late_reading(struct ingest *ing, struct run_state *rs, const struct reading *r)
{
	ing->stats.late++;
	if (rs->prog.missing)
		rs->prog.missing--;
	if (r->seq <= rs->prog.stored_seq && rs->prog.lost) {
		/* The ack passed it only because sensord declared it lost. */
		rs->prog.lost--;
		if (ing->stats.lost)
			ing->stats.lost--;
	}
	if (isnan(rs->prog.revise_from) || r->mono < rs->prog.revise_from)
		rs->prog.revise_from = r->mono;
	rs->late_at_s = ing->now_s;
	rs->late_since_revise++;
	rs->progress_dirty = true;
}

static void conflict(struct ingest *ing, struct run_state *rs, const struct reading *r)
{
	rs->prog.conflicts++;
	ing->stats.conflicts++;
	rs->progress_dirty = true;
	if (rs->conflict_logged_s == 0 || ing->now_s - rs->conflict_logged_s >= DROP_LOG_EVERY_S) {
		log_error("ingest: %s run %s: reading %llu came again with other times (mono %.3f): "
			  "two runs share this run id; it is no longer acknowledged (%llu such "
			  "readings)", rs->device, rs->run, (unsigned long long)r->seq, r->mono,
			  (unsigned long long)rs->prog.conflicts);
		rs->conflict_logged_s = ing->now_s;
	}
}

static void ingest_reading(struct ingest *ing, const char *device, const char *topic,
			   const char *payload, size_t len)
{
	struct run_state *rs;
	struct reading r;
	enum reading_error e;
	bool catch_up;
	unsigned why;
	int rc;

	e = reading_decode(payload, len, &r);
	if (e != READING_OK) {
		drop(ing, e, topic);
		return;
	}
	/* Seqs start at 1; 0 would be a reading no ack can cover. */
	if (r.seq == 0) {
		drop(ing, INGEST_DROP_SEQ, topic);
		return;
	}
	if (batch_begin(ing) < 0) {
		drop(ing, INGEST_DROP_STORE, topic);
		return;
	}
	rs = run_get(ing, device, r.run, &why);
	if (!rs) {
		drop(ing, why, topic);
		return;
	}
	if (!seq_plausible(rs, &r)) {
		drop(ing, INGEST_DROP_SEQ, topic);
		return;
	}
	rs->last_arrival_s = ing->now_s;
	rc = store_reading_insert(ing->env.st, rs->run_id, &r);
	if (rc < 0) {
		drop(ing, INGEST_DROP_STORE, topic);
		return;
	}
	ing->batch_count++;
	if (rc == STORE_READING_CONFLICT) {
		conflict(ing, rs, &r);
		return;
	}
	/* The ack's number can move only if the hole it waits at got filled,
	 * or sensord declared it lost. */
	catch_up = false;
	if (r.has_lost_after) {
		span_add(rs, r.lost_after, r.seq);
		catch_up = r.lost_after <= rs->prog.stored_seq;
	}
	if (rc == STORE_READING_DUPLICATE) {
		ing->stats.duplicates++;
		rs->ack_due = true;	/* a resend wants its ack again */
	} else {
		ing->stats.stored++;
		shared_id_reading(ing->shared_id, device, r.run, r.ts, ing->now_s);
		if (r.seq <= rs->prog.fed_seq) {
			late_reading(ing, rs, &r);
			catch_up |= r.seq == rs->prog.stored_seq + 1;
		} else if (r.seq == rs->prog.fed_seq + 1) {
			feed(ing, rs, &r);
			if (rs->ahead_seq)
				feed_stored(ing, rs, UINT64_MAX, true);
		} else if (!rs->ahead_seq || r.seq < rs->ahead_seq) {
			if (!rs->ahead_seq)
				rs->hole_since_s = ing->now_s;
			rs->ahead_seq = r.seq;
		}
	}
	if ((rs->n_spans && (rs->ahead_seq || catch_up)) ||
	    (catch_up && rs->prog.stored_seq < rs->prog.fed_seq))
		if (holes_declared(ing, rs) < 0)
			log_error("ingest: %s run %s: finding its stored readings failed", rs->device,
				  rs->run);
}

void ingest_message(struct ingest *ing, const char *topic, const char *payload, size_t len,
		    double now_s)
{
	char device[CONFIG_DEVICE_ID_MAX + 1], kind[32];

	ing->now_s = now_s;
	ing->stats.messages++;
	if (topic_parse(topic, ing->env.cfg->mqtt.topic_prefix, device, sizeof(device), kind,
			sizeof(kind)) < 0) {
		drop(ing, INGEST_DROP_TOPIC, topic);
		return;
	}
	if (strcmp(kind, "reading") == 0) {
		ingest_reading(ing, device, topic, payload, len);
	} else if (strcmp(kind, "status") == 0) {
		if ((len == 7 && memcmp(payload, "offline", 7) == 0) ||
		    (len == 6 && memcmp(payload, "online", 6) == 0))
			log_info("ingest: %s is %.*s", device, (int)len, payload);
	} else {
		drop(ing, INGEST_DROP_TOPIC, topic);
	}
}

/* ---- revising sessions after late readings ---- */

static bool near(double a, double b)
{
	return (isnan(a) && isnan(b)) || fabs(a - b) < 1e-6;
}

static bool session_same(const struct store_run_session *s, const struct detector_summary *d)
{
	return near(s->end_mono_s, d->end_mono_s) && s->hold_count == d->hold_count &&
	       near(s->hold_time_s, d->hold_time_s) && near(s->heat_time_s, d->heat_time_s) &&
	       near(s->hot_time_s, d->hot_time_s) && near(s->max_temperature_c, d->max_temperature_c) &&
	       near(s->rolling_time_s, d->rolling_time_s) && s->readings == d->samples && s->missing_readings == d->missing_samples;
}

/* The device's newest session goes out last again, so that the retained
 * session topic still holds the newest one after revisions of older ones.
 * Sessions come by start time: the last one seen is the newest. */
static int newest_session(const struct store_session *s, void *ctx)
{
	*(struct store_session *)ctx = *s;
	return 0;
}

static void republish_newest(struct ingest *ing, const char *device, double after_ts)
{
	struct store_session *newest = malloc(sizeof(*newest));
	struct detector_summary sum;
	char buf[SUMMARY_MAX];

	if (!newest)
		return;
	newest->start_ts = NAN;
	if (store_sessions_each(ing->env.st, device, after_ts, INFINITY, newest_session, newest) == 0 &&
	    isfinite(newest->start_ts)) {
		store_session_summary(newest, &sum);
		pending_add(ing, device, newest->id, buf,
			    summary_encode(&sum, newest->device, newest->run, 0, buf, sizeof(buf)));
	}
	free(newest);
}

/* Recomputes the run's sessions from the database, now that readings came
 * for holes its detector had passed: a fresh detector replays the run's
 * stored readings up to fed_seq. The stored sessions that end within idle_s
 * before the earliest late reading, or later (the only ones it can change),
 * are compared with the replay's: changed ones are replaced and published
 * again as revised, ones the replay does not end (a session a hole had cut
 * in two, or one the replay still has open) are deleted, new ones stored.
 * The replayed detector then carries on. 0 or -1. */
static int revise_run(struct ingest *ing, struct run_state *rs)
{
	struct store_run_session *stored = NULL;
	struct run_state *tmp;
	double from = rs->prog.revise_from - ing->env.cfg->detector.idle_s - 1.0;
	double t0 = (double)clock() / CLOCKS_PER_SEC, newest_ts = -INFINITY, offset_s;
	size_t changed = 0, removed = 0;
	int n, rc = -1;

	tmp = run_alloc(ing, rs->run_id, rs->device, rs->run);
	stored = malloc(REVISE_SESSIONS_MAX * sizeof(*stored));
	if (!tmp || !stored)
		goto out;
	ing->revising = true;
	ing->n_revised = 0;
	rc = feed_stored(ing, tmp, rs->prog.fed_seq, false);
	ing->revising = false;
	if (rc < 0)
		goto out;
	offset_s = tmp->tl.ts_offset_s;
	rc = -1;
	n = store_run_sessions(ing->env.st, rs->run_id, from, stored, REVISE_SESSIONS_MAX);
	if (n < 0)
		goto out;
	for (size_t i = 0; i < ing->n_revised; i++) {
		const struct detector_summary *d = &ing->revised[i].summary;
		struct store_run_session *match = NULL;

		if (d->end_mono_s < from)
			continue;
		for (int k = 0; k < n; k++)
			if (stored[k].id && near(stored[k].start_mono_s, d->start_mono_s))
				match = &stored[k];
		if (match && session_same(match, d)) {
			match->id = 0;	/* kept as it is */
			continue;
		}
		if (match) {
			if (store_session_delete(ing->env.st, match->id) < 0)
				goto out;
			match->id = 0;
		}
		tmp->tl.ts_offset_s = ing->revised[i].ts_offset_s;
		queue_session(ing, tmp, d, true);
		changed++;
		if (d->start_mono_s + tmp->tl.ts_offset_s > newest_ts)
			newest_ts = d->start_mono_s + tmp->tl.ts_offset_s;
	}
	for (int k = 0; k < n; k++) {
		if (!stored[k].id)
			continue;
		if (store_session_delete(ing->env.st, stored[k].id) < 0)
			goto out;
		removed++;
	}
	if (changed)
		republish_newest(ing, rs->device, newest_ts + 0.001);
	/* The replay is now the run's detector. */
	detector_free(rs->det);
	rs->det = tmp->det;
	tmp->det = NULL;
	rs->tl = tmp->tl;
	rs->tl.ts_offset_s = offset_s;
	log_info("ingest: %s run %s: %llu readings came after their hole was passed; the run was "
		 "replayed from the database (%.0f ms): %zu stored sessions revised and published "
		 "again, %zu removed", rs->device, rs->run, (unsigned long long)rs->late_since_revise,
		 ((double)clock() / CLOCKS_PER_SEC - t0) * 1000.0, changed, removed);
	rc = 0;
out:
	if (rc < 0)
		log_error("ingest: %s run %s: recomputing its sessions failed", rs->device, rs->run);
	rs->prog.revise_from = NAN;
	rs->late_since_revise = 0;
	rs->progress_dirty = true;
	run_free(tmp);
	free(stored);
	return rc;
}

static bool revise_ready(const struct ingest *ing, const struct run_state *rs)
{
	return !isnan(rs->prog.revise_from) && (ing->now_s - rs->late_at_s >= REVISE_SETTLE_S ||
				  rs->prog.stored_seq >= rs->prog.fed_seq);
}

/* Runs whose revision a kill left pending: brought into memory at start,
 * so the next commit does it even if they never send again. */
static void resume_revisions(struct ingest *ing)
{
	struct store_run_state *runs = calloc(REVISE_RESUME_MAX, sizeof(*runs));
	int n;

	ing->resumed = true;
	if (!runs)
		return;
	n = store_runs_revise_pending(ing->env.st, runs, REVISE_RESUME_MAX);
	for (int i = 0; i < n; i++) {
		if (run_find(ing, runs[i].run_id) || batch_begin(ing) < 0)
			continue;
		if (!run_load(ing, runs[i].run_id, runs[i].device, runs[i].run))
			log_error("ingest: %s run %s: cannot load it to recompute its sessions",
				  runs[i].device, runs[i].run);
	}
	free(runs);
}

/* ---- commit and publish ---- */

/* Whether rs's due ack may go out now: its second is over, or the queue ran
 * dry (quiet) after its backlog. */
static bool ack_slot(const struct ingest *ing, const struct run_state *rs, bool quiet)
{
	return rs->ack_due &&
	       (ing->now_s - rs->acked_at_s >= ACK_EVERY_S || (quiet && rs->backlog));
}

/* quiet: the queue ran dry; a backlog's ack then ends it. */
static void publish_ack(struct ingest *ing, struct run_state *rs, bool quiet)
{
	char topic[256], buf[96];
	int len;

	/* Two runs under one id: an ack would confirm the other's readings. */
	if (rs->committed_seq == 0 || rs->prog.conflicts > 0) {
		rs->ack_due = false;
		return;
	}
	topic_build(topic, sizeof(topic), ing->env.cfg->mqtt.topic_prefix, rs->device, "ack");
	len = ack_encode(rs->run, rs->committed_seq, buf, sizeof(buf));
	if (len >= 0 && ing->env.publish(ing->env.publish_ctx, topic, buf, (size_t)len, true) == 0) {
		rs->acked_seq = rs->committed_seq;
		rs->acked_at_s = ing->now_s;
		if (!rs->backlog || quiet) {
			rs->backlog = false;
			rs->anchor_mono = rs->tl.last_mono;
			rs->anchor_s = ing->now_s;
		}
		/* What was stored since the last commit still needs its ack. */
		rs->ack_due = rs->prog.stored_seq > rs->committed_seq;
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

/* Commits the batch, then publishes the acks it allows (quiet: the queue
 * ran dry, a backlog's last ones too) and the sessions it stored. */
static int commit(struct ingest *ing, bool quiet)
{
	if (!ing->batch_open)
		return 0;
	/* Marks first: a revision below may delete a session published
	 * before. */
	for (size_t i = 0; i < ing->n_to_mark; i++)
		store_session_mark_published(ing->env.st, ing->to_mark[i]);
	ing->n_to_mark = 0;
	for (size_t b = 0; b < RUN_BUCKETS; b++)
		for (struct run_state *rs = ing->buckets[b]; rs; rs = rs->next) {
			/* A revision still to come is in the store with the
			 * late readings (revise_from): a kill before it
			 * cannot leave the sessions unrevised. */
			if (revise_ready(ing, rs))
				revise_run(ing, rs);
			if (rs->progress_dirty) {
				store_run_progress_set(ing->env.st, rs->run_id, &rs->prog);
				rs->progress_dirty = false;
			}
		}
	ing->batch_open = false;
	if (store_commit(ing->env.st) < 0) {
		/* Rolled back: nothing of it is stored, so nothing is acked.
		 * The detectors moved on; rebuilding them from the store keeps
		 * them true to it. */
		log_error("ingest: commit failed; %zu readings will come again", ing->batch_count);
		sessions_free(ing);
		runs_free_all(ing);
		return -1;
	}
	ing->stats.commits++;
	/* Only now is it stored: acknowledge, then publish sessions. */
	for (size_t b = 0; b < RUN_BUCKETS; b++)
		for (struct run_state *rs = ing->buckets[b]; rs; rs = rs->next) {
			rs->committed_seq = rs->prog.stored_seq;
			if (rs->committed_seq > rs->acked_seq)
				rs->ack_due = true;
			if (ack_slot(ing, rs, quiet))
				publish_ack(ing, rs, quiet);
		}
	for (struct pending_session *p = ing->sessions_head; p; p = p->next)
		if (ing->env.publish(ing->env.publish_ctx, p->topic, p->payload, p->len, true) == 0)
			mark_later(ing, p->session_id);
	sessions_free(ing);
	return 0;
}

/* A hole in a run's seq that stayed open gap_timeout_s: the detector passes
 * it. The ack does not: it waits for sensord to fill it, or to say it
 * cannot. */
static int expire_hole(struct ingest *ing, struct run_state *rs)
{
	if (!rs->ahead_seq || ing->now_s - rs->hole_since_s < ing->env.cfg->collector.gap_timeout_s)
		return 0;
	if (batch_begin(ing) < 0)
		return -1;
	log_warn("ingest: %s run %s: readings %llu..%llu did not arrive within %.0f s; counted "
		 "missing in its sessions until they do (the ack waits for them)",
		 rs->device, rs->run, (unsigned long long)rs->prog.fed_seq + 1,
		 (unsigned long long)rs->ahead_seq - 1, ing->env.cfg->collector.gap_timeout_s);
	hole_pass(ing, rs);
	return 0;
}

/* A run whose sensord went away with a session open: the session closes at
 * its last contact, as the data would have done idle_s later. */
static int close_silent(struct ingest *ing, struct run_state *rs)
{
	double silent_s = fmax(SILENT_RUN_S, ing->env.cfg->detector.idle_s);
	struct detector_event ev[DETECTOR_EVENTS_MAX];
	size_t n;

	if (!rs->tl.session_open || ing->now_s - rs->last_arrival_s < silent_s)
		return 0;
	if (batch_begin(ing) < 0)
		return -1;
	log_info("ingest: %s run %s silent for %.0f s; closing its session", rs->device, rs->run,
		 ing->now_s - rs->last_arrival_s);
	n = detector_end_session(rs->det, NAN, ev, DETECTOR_EVENTS_MAX);
	handle_events(ing, rs, ev, n);
	rs->tl.session_open = false;
	return 0;
}

/* The timed work of every run, in one walk: acks held back by ACK_EVERY_S
 * go out once their second is over, holes expire, silent runs close, idle
 * runs leave memory. Its deadlines are seconds long, so the walk runs every
 * WALK_EVERY_S, not at every message: with thousands of runs and messages,
 * a walk per message was most of the collector's time. */
static void walk_runs(struct ingest *ing)
{
	for (size_t b = 0; b < RUN_BUCKETS; b++) {
		struct run_state *rs = ing->buckets[b], *next;

		for (; rs; rs = next) {
			next = rs->next;
			if (ack_slot(ing, rs, false))
				publish_ack(ing, rs, false);
			if (expire_hole(ing, rs) < 0 || close_silent(ing, rs) < 0)
				return;
			if (revise_ready(ing, rs) && batch_begin(ing) < 0)
				return;
			if (ing->now_s - rs->last_arrival_s >= ing->limits.idle_evict_s &&
			    run_evictable(rs) && run_evict(ing, rs) < 0)
				return;
		}
	}
}

void ingest_tick(struct ingest *ing, double now_s)
{
	ing->now_s = now_s;
	if (!ing->resumed)
		resume_revisions(ing);
	if (now_s - ing->walked_at_s >= WALK_EVERY_S) {
		ing->walked_at_s = now_s;
		walk_runs(ing);
		shared_id_tick(ing->shared_id, now_s);
	}
	if (ing->batch_open && (ing->batch_count >= BATCH_MAX ||
				now_s - ing->batch_started_s >= ing->env.cfg->collector.commit_s))
		commit(ing, false);
}

void ingest_quiet(struct ingest *ing, double now_s)
{
	ing->now_s = now_s;
	if (ing->batch_open && ing->batch_backlog)
		commit(ing, true);
}

int ingest_flush(struct ingest *ing, double now_s)
{
	ing->now_s = now_s;
	return commit(ing, false);
}

static int republish_session(const struct store_session *s, void *ctx)
{
	struct ingest *ing = ctx;
	struct detector_summary sum;
	char topic[256], buf[SUMMARY_MAX];
	int len;

	store_session_summary(s, &sum);
	len = summary_encode(&sum, s->device, s->run, 0, buf, sizeof(buf));
	topic_build(topic, sizeof(topic), ing->env.cfg->mqtt.topic_prefix, s->device, "session");
	if (len >= 0 && ing->env.publish(ing->env.publish_ctx, topic, buf, (size_t)len, true) == 0)
		mark_later(ing, s->id);
	return 0;
}

void ingest_republish(struct ingest *ing)
{
	for (size_t b = 0; b < RUN_BUCKETS; b++)
		for (struct run_state *rs = ing->buckets[b]; rs; rs = rs->next)
			publish_ack(ing, rs, false);
	store_sessions_unpublished(ing->env.st, republish_session, ing);
	shared_id_republish(ing->shared_id);
}

void ingest_get_stats(const struct ingest *ing, struct ingest_stats *st)
{
	*st = ing->stats;
}
