/* Tests for collector/ingest.c against a real SQLite database in a fresh
 * folder, with the MQTT edge replaced by a recorder of what would be
 * published. Time is given to the ingest, never read, so expiring a hole
 * or evicting an idle run takes no waiting.
 *
 * The ground truth is the scripted session each test feeds: pressure 15 kPa
 * from t = 10 s to t < 30 s at 10 Hz is one hold of 19.9 s (its first sample
 * at 10.0, its last at 29.9: docs/protocol.md, "Detector"), effective. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "select.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cJSON.h>

#include "config.h"
#include "unit.h"
#include "ingest.h"
#include "log.h"
#include "reading.h"
#include "store.h"
#include "summary.h"

#define DEVICE "ball1"
#define RUN "5e1f03c29a7b44d1"
#define TOPIC "rollsense/" DEVICE "/reading"
#define MAX_SEEN 256

/* What the ingest published: the last ack per device, every session. */
struct recorder {
	char ack_topic[MAX_SEEN][128];
	char ack_run[MAX_SEEN][READING_RUN_LEN + 1];
	uint64_t ack_seq[MAX_SEEN];
	size_t n_acks;		/* distinct topics */
	uint64_t acks_published;
	char *sessions[MAX_SEEN];
	size_t n_sessions;
};

struct fixture {
	char *dir;		/* first, for unit_fixture_new */
	char db[300];
	struct rs_config cfg;
	struct store *st;
	struct ingest *ing;
	struct recorder rec;
	double now;
};

static int record(void *ctx, const char *topic, const char *payload, size_t len, bool retained)
{
	struct recorder *rec = ctx;
	char run[READING_RUN_LEN + 1];
	uint64_t seq;
	size_t i;

	assert_true(retained);
	if (strstr(topic, "/ack")) {
		assert_int_equal(ack_decode(payload, len, run, &seq), 0);
		for (i = 0; i < rec->n_acks && strcmp(rec->ack_topic[i], topic) != 0; i++)
			;
		if (i == rec->n_acks) {
			assert_true(rec->n_acks < MAX_SEEN);
			snprintf(rec->ack_topic[rec->n_acks++], sizeof(rec->ack_topic[0]), "%s", topic);
		}
		snprintf(rec->ack_run[i], sizeof(rec->ack_run[i]), "%s", run);
		rec->ack_seq[i] = seq;
		rec->acks_published++;
	} else if (strstr(topic, "/session")) {
		assert_true(rec->n_sessions < MAX_SEEN);
		rec->sessions[rec->n_sessions] = strndup(payload, len);
		assert_non_null(rec->sessions[rec->n_sessions]);
		rec->n_sessions++;
	}
	return 0;
}

static void ingest_open(struct fixture *fx)
{
	char err[256];

	fx->st = store_open(fx->db, err, sizeof(err));
	if (!fx->st)
		fail_msg("%s", err);
	fx->ing = ingest_new(&(struct ingest_env){ &fx->cfg, fx->st, record, &fx->rec });
	assert_non_null(fx->ing);
}

static void ingest_close(struct fixture *fx)
{
	assert_int_equal(ingest_flush(fx->ing, fx->now), 0);
	ingest_free(fx->ing);
	store_close(fx->st);
	fx->ing = NULL;
	fx->st = NULL;
}

static int setup(void **state)
{
	struct fixture *fx = unit_fixture_new(sizeof(*fx), "test_ingest");

	if (!fx)
		return -1;
	log_set_level(LOG_LEVEL_WARN);
	snprintf(fx->db, sizeof(fx->db), "%s/collector.db", fx->dir);
	config_defaults(&fx->cfg);
	fx->cfg.collector.gap_timeout_s = 3;
	fx->cfg.collector.commit_s = 0.2;
	fx->cfg.detector.idle_s = 5;
	fx->now = 1000;
	ingest_open(fx);
	*state = fx;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *fx = *state;

	if (fx->ing)
		ingest_close(fx);
	for (size_t i = 0; i < fx->rec.n_sessions; i++)
		free(fx->rec.sessions[i]);
	return unit_fixture_teardown(state);
}

/* The scripted session: seq n is at t = (n - 1) / 10 s, 15 kPa from 10 s
 * to before 30 s, else 0; 30 degrees. */
static void reading_at(struct reading *r, const char *run, uint64_t seq)
{
	double t = (double)(seq - 1) / 10.0;

	memset(r, 0, sizeof(*r));
	snprintf(r->run, sizeof(r->run), "%s", run);
	r->seq = seq;
	r->mono = t;
	r->ts = 1763910000.0 + t;
	r->pressure_kpa = t >= 10.0 - 1e-9 && t < 30.0 - 1e-9 ? 15.0 : 0.0;
	r->temperature_c = 30.0;
}

static void send_reading(struct fixture *fx, const char *topic, const struct reading *r)
{
	char buf[READING_MAX_PAYLOAD];
	int len = reading_encode(r, buf, sizeof(buf));

	assert_true(len > 0);
	ingest_message(fx->ing, topic, buf, (size_t)len, fx->now);
}

/* Sends seq first..last (skipping none), ticking as a collector would. */
static void send_range(struct fixture *fx, uint64_t first, uint64_t last)
{
	struct reading r;

	for (uint64_t seq = first; seq <= last; seq++) {
		reading_at(&r, RUN, seq);
		send_reading(fx, TOPIC, &r);
		fx->now += 0.01;
		ingest_tick(fx->ing, fx->now);
	}
}

/* Lets time pass in steps of 0.1 s, ticking. */
static void pass_time(struct fixture *fx, double s)
{
	for (double end = fx->now + s; fx->now < end;) {
		fx->now += 0.1;
		ingest_tick(fx->ing, fx->now);
	}
}

static uint64_t ack_of(const struct fixture *fx, const char *device)
{
	char topic[128];

	snprintf(topic, sizeof(topic), "rollsense/%s/ack", device);
	for (size_t i = 0; i < fx->rec.n_acks; i++)
		if (strcmp(fx->rec.ack_topic[i], topic) == 0)
			return fx->rec.ack_seq[i];
	return 0;
}

static uint64_t stored_readings(struct fixture *fx)
{
	struct store_counts c;

	assert_int_equal(store_get_counts(fx->st, &c), 0);
	return c.readings;
}

/* Every ack must be backed by the database: seq 1..ack all stored (the
 * tests that declare nothing lost). */
static void assert_ack_backed(struct fixture *fx)
{
	uint64_t ack = ack_of(fx, DEVICE);
	uint64_t seqs[1];
	int64_t run_id;

	if (ack == 0)
		return;
	assert_int_equal(store_run_find(fx->st, DEVICE, RUN, &run_id), 1);
	for (uint64_t s = 0; s < ack; s++) {
		assert_int_equal(store_seqs_after(fx->st, run_id, s, seqs, 1), 1);
		if (seqs[0] != s + 1)
			fail_msg("the ack says %llu, but seq %llu is not stored",
				 (unsigned long long)ack, (unsigned long long)s + 1);
	}
}

static const cJSON *field(const cJSON *o, const char *name)
{
	const cJSON *f = cJSON_GetObjectItemCaseSensitive(o, name);

	if (!f)
		fail_msg("no \"%s\" in the summary", name);
	return f;
}

/* ---- the ack and holes ---- */

/* Issue 10's reproduction, in small: a hole the detector passed after
 * gap_timeout_s must not be acknowledged, or sensord deletes readings no one
 * stored. */
static void test_ack_never_passes_an_expired_hole(void **state)
{
	struct fixture *fx = *state;
	struct ingest_stats st;

	send_range(fx, 1, 149);
	send_range(fx, 221, 600);	/* 150..220 lost on the way, for now */
	pass_time(fx, 5);		/* longer than gap_timeout_s */
	ingest_get_stats(fx->ing, &st);
	assert_int_equal(st.missing, 71);	/* the detector moved on */
	assert_int_equal(ack_of(fx, DEVICE), 149);	/* the ack did not */
	assert_ack_backed(fx);

	/* sensord resends: the hole fills, and the ack reaches the end. */
	send_range(fx, 150, 220);
	pass_time(fx, 2);
	ingest_get_stats(fx->ing, &st);
	assert_int_equal(st.late, 71);
	assert_int_equal(stored_readings(fx), 600);
	assert_int_equal(ack_of(fx, DEVICE), 600);
	assert_ack_backed(fx);
}

/* The sessions a late reading touches are recomputed from the database and
 * published again, revised, with their missing count corrected: the one
 * effective hold of the script, not the two short fragments a hole left. */
static void test_late_readings_revise_the_session(void **state)
{
	struct fixture *fx = *state;
	const cJSON *holds, *h;
	cJSON *first, *revised;
	struct store_counts c;

	send_range(fx, 1, 149);
	send_range(fx, 221, 600);
	pass_time(fx, 5);
	/* The hole (7.1 s, longer than idle_s) cut the session in two: 10.0
	 * to 14.8 with no hold (4.9 s is under min_hold_s), then a short one
	 * 22.0..29.9. */
	assert_int_equal(fx->rec.n_sessions, 2);
	first = cJSON_Parse(fx->rec.sessions[0]);
	assert_non_null(first);
	assert_int_equal((int)field(first, "hold_count")->valuedouble, 0);
	assert_null(cJSON_GetObjectItemCaseSensitive(first, "revised"));
	assert_int_equal(store_get_counts(fx->st, &c), 0);
	assert_int_equal(c.sessions, 2);

	send_range(fx, 150, 220);
	pass_time(fx, 2);
	assert_int_equal(fx->rec.n_sessions, 3);
	revised = cJSON_Parse(fx->rec.sessions[2]);
	assert_non_null(revised);
	assert_true(cJSON_IsTrue(field(revised, "revised")));
	assert_int_equal((int)field(revised, "hold_count")->valuedouble, 1);
	assert_int_equal((int)field(revised, "missing_readings")->valuedouble, 0);
	holds = field(revised, "holds");
	h = cJSON_GetArrayItem(holds, 0);
	assert_non_null(h);
	assert_float_equal(field(h, "duration_s")->valuedouble, 19.9, 0.1 + 1e-9);
	assert_string_equal(field(h, "class")->valuestring, "effective");
	assert_float_equal(field(revised, "start")->valuedouble,
			   field(first, "start")->valuedouble, 1e-6);
	/* The database says the same: still one session, now right. */
	assert_int_equal(store_get_counts(fx->st, &c), 0);
	assert_int_equal(c.sessions, 1);
	assert_int_equal(c.holds, 1);
	cJSON_Delete(first);
	cJSON_Delete(revised);
}

/* A hole that a restart of the collector finds still open: the ack it
 * resumes with is the stored one, not the detector's. */
static void test_ack_survives_a_restart(void **state)
{
	struct fixture *fx = *state;

	send_range(fx, 1, 149);
	send_range(fx, 221, 600);
	pass_time(fx, 5);
	assert_int_equal(ack_of(fx, DEVICE), 149);
	ingest_close(fx);
	memset(&fx->rec.ack_seq, 0, sizeof(fx->rec.ack_seq));
	ingest_open(fx);
	send_range(fx, 601, 610);	/* the run goes on */
	pass_time(fx, 2);
	assert_int_equal(ack_of(fx, DEVICE), 149);
	send_range(fx, 150, 220);
	pass_time(fx, 2);
	assert_int_equal(ack_of(fx, DEVICE), 610);
	assert_ack_backed(fx);
}

/* A kill between the late readings and their revision loses nothing: the
 * run is marked in the database with them, and revised at the next start
 * even if it never sends again. */
static void test_revision_survives_a_restart(void **state)
{
	struct fixture *fx = *state;
	struct store_counts c;
	cJSON *last;

	send_range(fx, 1, 149);
	send_range(fx, 221, 600);
	pass_time(fx, 5);
	assert_int_equal(fx->rec.n_sessions, 2);
	/* Part of the hole: the rest (191..220, 3 s) no longer cuts the
	 * session in two. Committed at once, before the revision settles. */
	send_range(fx, 150, 190);
	assert_int_equal(ingest_flush(fx->ing, fx->now), 0);
	assert_int_equal(fx->rec.n_sessions, 2);
	ingest_free(fx->ing);	/* as a kill: no flush, no revision */
	store_close(fx->st);
	fx->ing = NULL;
	ingest_open(fx);
	pass_time(fx, 1);
	assert_true(fx->rec.n_sessions >= 3);
	last = cJSON_Parse(fx->rec.sessions[2]);
	assert_non_null(last);
	assert_true(cJSON_IsTrue(field(last, "revised")));
	assert_int_equal((int)field(last, "missing_readings")->valuedouble, 30);
	cJSON_Delete(last);
	assert_int_equal(store_get_counts(fx->st, &c), 0);
	assert_int_equal(c.sessions, 1);
}

/* ---- zones ---- */

/* The scripted session on zones: as reading_at, at 40 °C (heat) all along,
 * on calf_left before 20 s and on calf_right from then on: the hold
 * (10.0 .. 29.9 s) changes zone half-way. */
static void reading_zoned(struct reading *r, uint64_t seq)
{
	reading_at(r, RUN, seq);
	r->temperature_c = 40.0;
	strcpy(r->zone, r->mono < 20.0 - 1e-9 ? "calf_left" : "calf_right");
}

static void send_zoned_range(struct fixture *fx, uint64_t first, uint64_t last)
{
	struct reading r;

	for (uint64_t seq = first; seq <= last; seq++) {
		reading_zoned(&r, seq);
		send_reading(fx, TOPIC, &r);
		fx->now += 0.01;
		ingest_tick(fx->ing, fx->now);
	}
}

static void zone_expect(const cJSON *zones, const char *zone, double holds, double effective,
			double hold_time_s, double heat_time_s)
{
	const cJSON *z = field(zones, zone);

	assert_float_equal(field(z, "holds")->valuedouble, holds, 0);
	assert_float_equal(field(z, "short")->valuedouble, 0, 0);
	assert_float_equal(field(z, "effective")->valuedouble, effective, 0);
	assert_float_equal(field(z, "long")->valuedouble, 0, 0);
	assert_float_equal(field(z, "hold_time_s")->valuedouble, hold_time_s, 1e-9);
	assert_float_equal(field(z, "heat_time_s")->valuedouble, heat_time_s, 1e-9);
	assert_float_equal(field(z, "hot_time_s")->valuedouble, 0, 0);
}

/* What the script gives, by docs/protocol.md: the session runs 10.0 ..
 * 29.9 s and closes idle_s (5 s) later. The hold, 19.9 s, effective,
 * counts whole on calf_left, where it started. Heat: the 5 s of pre-heat
 * before the first contact (5.0 .. 10.0, calf_left), then each 0.1 s
 * stretch on the zone of its first reading while the session is open
 * (10.0 .. 34.9): 10.0 s more on calf_left (10.0 .. 20.0), 14.9 s on
 * calf_right (20.0 .. 34.9); 29.9 s in all. */
static void zoned_session_check(const char *summary)
{
	cJSON *s = cJSON_Parse(summary);
	const cJSON *zones, *h;

	assert_non_null(s);
	assert_float_equal(field(s, "hold_count")->valuedouble, 1, 0);
	assert_float_equal(field(s, "heat_time_s")->valuedouble, 29.9, 1e-9);
	h = cJSON_GetArrayItem(field(s, "holds"), 0);
	assert_non_null(h);
	assert_float_equal(field(h, "duration_s")->valuedouble, 19.9, 1e-9);
	assert_string_equal(field(h, "zone")->valuestring, "calf_left");
	zones = field(s, "zones");
	assert_int_equal(cJSON_GetArraySize(zones), 2);
	assert_string_equal(zones->child->string, "calf_left");
	zone_expect(zones, "calf_left", 1, 1, 19.9, 15.0);
	zone_expect(zones, "calf_right", 0, 0, 0, 14.9);
	cJSON_Delete(s);
}

/* Readings with zones in, through the real ingest: the session summary's
 * zones are those of the script, and so are the stored session's. */
static void test_zones_of_a_session(void **state)
{
	struct fixture *fx = *state;
	struct store_session *got = calloc(1, sizeof(*got));
	struct detector_summary sum;
	char buf[8192];
	int64_t run_id;
	struct reading back[1];

	assert_non_null(got);
	send_zoned_range(fx, 1, 600);
	pass_time(fx, 2);
	assert_int_equal(fx->rec.n_sessions, 1);
	zoned_session_check(fx->rec.sessions[0]);

	/* The store has the readings' zones and the session's totals. */
	assert_int_equal(store_run_find(fx->st, DEVICE, RUN, &run_id), 1);
	assert_int_equal(store_readings_after(fx->st, run_id, 250, back, 1), 1);
	assert_string_equal(back[0].zone, "calf_right");
	assert_int_equal(store_session_get(fx->st, 1, got, NULL), 1);
	assert_string_equal(got->holds[0].zone, "calf_left");
	store_session_summary(got, &sum);
	assert_true(summary_encode(&sum, got->device, got->run, 0, buf, sizeof(buf)) > 0);
	zoned_session_check(buf);
	free(got);
}

/* A hole the detector passed cuts the session; the late readings make the
 * collector replay the run from the database: the revised session has the
 * script's zones again, so the replay fed each stored reading its zone. */
static void test_zones_after_a_replay(void **state)
{
	struct fixture *fx = *state;

	send_zoned_range(fx, 1, 149);
	send_zoned_range(fx, 221, 600);
	pass_time(fx, 5);
	assert_int_equal(fx->rec.n_sessions, 2);
	send_zoned_range(fx, 150, 220);
	pass_time(fx, 2);
	assert_int_equal(fx->rec.n_sessions, 3);
	assert_non_null(strstr(fx->rec.sessions[2], "\"revised\":true"));
	zoned_session_check(fx->rec.sessions[2]);
}

/* ---- what sensord declared lost ---- */

static void send_lost_after(struct fixture *fx, uint64_t seq, uint64_t lost_after)
{
	struct reading r;

	reading_at(&r, RUN, seq);
	r.has_lost_after = true;
	r.lost_after = lost_after;
	send_reading(fx, TOPIC, &r);
	fx->now += 0.01;
	ingest_tick(fx->ing, fx->now);
}

static void test_lost_after_lets_the_ack_pass(void **state)
{
	struct fixture *fx = *state;
	struct ingest_stats st;

	send_range(fx, 1, 50);
	send_lost_after(fx, 61, 50);	/* sensord's outbox dropped 51..60 */
	send_range(fx, 62, 100);
	pass_time(fx, 1.5);		/* well before gap_timeout_s */
	ingest_get_stats(fx->ing, &st);
	assert_int_equal(ack_of(fx, DEVICE), 100);
	assert_int_equal(st.lost, 10);
	assert_int_equal(st.missing, 10);
	assert_int_equal(stored_readings(fx), 90);
}

/* lost_after declares only what lies above it: a hole below it waits. */
static void test_lost_after_covers_only_its_span(void **state)
{
	struct fixture *fx = *state;
	struct ingest_stats st;

	send_range(fx, 1, 50);
	send_lost_after(fx, 70, 65);	/* 66..69 gone; 51..65 sensord still has */
	send_range(fx, 71, 100);
	pass_time(fx, 5);		/* the detector passes the hole 51..69 */
	assert_int_equal(ack_of(fx, DEVICE), 50);
	send_range(fx, 51, 65);
	pass_time(fx, 2);
	ingest_get_stats(fx->ing, &st);
	assert_int_equal(ack_of(fx, DEVICE), 100);
	assert_int_equal(st.lost, 4);
	assert_int_equal(stored_readings(fx), 96);
}

/* ---- input that cannot be ---- */

/* One reading with seq 10^15 made the collector ack 10^15: now it is
 * refused, and the ack stays with what is stored. */
static void test_seq_far_ahead_is_refused(void **state)
{
	struct fixture *fx = *state;
	struct ingest_stats st;
	struct reading r;

	send_range(fx, 1, 100);
	reading_at(&r, RUN, 1000000000000000ull);
	r.mono = 10.0;
	r.ts = 1763910010.0;
	send_reading(fx, TOPIC, &r);
	reading_at(&r, RUN, 1202);	/* 1.1 s after seq 100: at most 100 Hz * 2.1 s + 1 ahead */
	r.mono = 11.0;
	send_reading(fx, TOPIC, &r);
	reading_at(&r, RUN, 300);	/* that one could be */
	r.mono = 11.0;
	send_reading(fx, TOPIC, &r);
	pass_time(fx, 10);
	ingest_get_stats(fx->ing, &st);
	assert_int_equal(st.dropped[INGEST_DROP_SEQ], 2);
	assert_int_equal(stored_readings(fx), 101);
	assert_int_equal(ack_of(fx, DEVICE), 100);
	assert_ack_backed(fx);
}

/* A reading that repeats a stored (run, seq) with other times is another
 * run under the same id: the run is not acknowledged any more. */
static void test_run_id_collision_stops_the_acks(void **state)
{
	struct fixture *fx = *state;
	struct ingest_stats st;
	uint64_t published;
	struct reading r;

	send_range(fx, 1, 100);
	pass_time(fx, 2);
	assert_int_equal(ack_of(fx, DEVICE), 100);
	published = fx->rec.acks_published;
	reading_at(&r, RUN, 3);
	r.mono = 5000.0;	/* a later run's seq 3 */
	r.ts += 4000.0;
	send_reading(fx, TOPIC, &r);
	send_range(fx, 101, 120);
	pass_time(fx, 3);
	ingest_get_stats(fx->ing, &st);
	assert_int_equal(st.conflicts, 1);
	assert_int_equal(fx->rec.acks_published, published);
	assert_int_equal(ack_of(fx, DEVICE), 100);
}

/* ---- bounded state ---- */

/* A run with nothing pending leaves memory once quiet, and comes back when
 * it sends again: the sessions are the script's, as if it never left. */
static void test_idle_run_leaves_memory_and_comes_back(void **state)
{
	struct fixture *fx = *state;
	struct ingest_limits lim;
	struct ingest_stats st;
	cJSON *s;

	ingest_limits_default(&lim);
	lim.idle_evict_s = 2;
	ingest_set_limits(fx->ing, &lim);
	send_range(fx, 1, 95);		/* no contact yet */
	pass_time(fx, 3);
	ingest_get_stats(fx->ing, &st);
	assert_int_equal(st.evicted, 1);
	assert_int_equal(st.runs, 0);
	send_range(fx, 96, 600);	/* back, with the whole hold */
	pass_time(fx, 1);
	ingest_get_stats(fx->ing, &st);
	assert_int_equal(st.runs, 1);
	assert_int_equal(fx->rec.n_sessions, 1);
	s = cJSON_Parse(fx->rec.sessions[0]);
	assert_non_null(s);
	assert_int_equal((int)field(s, "hold_count")->valuedouble, 1);
	assert_float_equal(field(cJSON_GetArrayItem(field(s, "holds"), 0), "duration_s")->valuedouble,
			   19.9, 0.1 + 1e-9);
	assert_int_equal((int)field(s, "missing_readings")->valuedouble, 0);
	assert_int_equal(ack_of(fx, DEVICE), 600);
	cJSON_Delete(s);
	/* With a session open, a quiet run stays. */
	send_range(fx, 601, 700);
	ingest_get_stats(fx->ing, &st);
	assert_int_equal(st.evicted, 1);
}

/* Many device ids at once: never more than runs_max runs in memory, and
 * nothing a refused one sent is lost (it comes again, as sensord resends
 * what is not acknowledged). */
static void test_runs_in_memory_are_bounded(void **state)
{
	struct fixture *fx = *state;
	struct ingest_limits lim;
	struct ingest_stats st;
	char topic[64], run[READING_RUN_LEN + 1];
	struct reading r;
	size_t max_runs = 0;
	unsigned round;

	ingest_limits_default(&lim);
	lim.runs_max = 16;
	ingest_set_limits(fx->ing, &lim);
	for (round = 0; round < 40; round++) {
		for (unsigned d = 0; d < 200; d++) {
			char dev[16];

			snprintf(dev, sizeof(dev), "dev%u", d);
			snprintf(topic, sizeof(topic), "rollsense/%s/reading", dev);
			snprintf(run, sizeof(run), "%016x", d);
			if (ack_of(fx, dev) > 0)
				continue;	/* sensord resends what is not acked */
			reading_at(&r, run, 1);
			send_reading(fx, topic, &r);
			ingest_get_stats(fx->ing, &st);
			if (st.runs > max_runs)
				max_runs = st.runs;
		}
		pass_time(fx, 1.5);
	}
	assert_true(max_runs <= 16);
	ingest_get_stats(fx->ing, &st);
	assert_true(st.dropped[INGEST_DROP_RUNS_FULL] > 0);
	assert_int_equal(stored_readings(fx), 200);
	for (unsigned d = 0; d < 200; d++) {
		char dev[16];

		snprintf(dev, sizeof(dev), "dev%u", d);
		assert_int_equal(ack_of(fx, dev), 1);
	}
}

/* A device that keeps starting new runs is slowed down, not served without
 * bound; its refused readings come again later. */
static void test_new_runs_are_rate_limited(void **state)
{
	struct fixture *fx = *state;
	struct ingest_stats st;
	char run[READING_RUN_LEN + 1];
	struct reading r;

	for (unsigned i = 0; i < 30; i++) {
		snprintf(run, sizeof(run), "%016x", 0x100 + i);
		reading_at(&r, run, 1);
		send_reading(fx, TOPIC, &r);
	}
	ingest_get_stats(fx->ing, &st);
	assert_int_equal(st.dropped[INGEST_DROP_NEW_RUNS], 20);	/* a burst of 10 */
	pass_time(fx, 6.5);
	snprintf(run, sizeof(run), "%016x", 0x200);
	reading_at(&r, run, 1);
	send_reading(fx, TOPIC, &r);
	ingest_get_stats(fx->ing, &st);
	assert_int_equal(st.dropped[INGEST_DROP_NEW_RUNS], 20);	/* one more after 6 s */
}

/* ---- duplicates, holes still open, the commit, drops ---- */

/* sensord resends what it thinks unconfirmed: a reading stored already is
 * dropped and counted, never stored twice, and the ack does not move back;
 * the resend makes the ack due again, for a sensord that lost it
 * (docs/protocol.md, "The acknowledgement"). */
static void test_duplicates_are_dropped_and_counted(void **state)
{
	struct fixture *fx = *state;
	struct ingest_stats st;
	uint64_t acks;

	send_range(fx, 1, 100);
	pass_time(fx, 0.5);
	assert_int_equal(ack_of(fx, DEVICE), 100);
	acks = fx->rec.acks_published;
	send_range(fx, 50, 100);	/* 51 again */
	pass_time(fx, 1.5);
	assert_int_equal(fx->rec.acks_published, acks + 1);
	ingest_get_stats(fx->ing, &st);
	assert_int_equal(st.stored, 100);
	assert_int_equal(st.duplicates, 51);
	assert_int_equal(st.late, 0);
	assert_int_equal(st.missing, 0);
	assert_int_equal(stored_readings(fx), 100);
	assert_int_equal(ack_of(fx, DEVICE), 100);
}

/* A hole younger than gap_timeout_s (3 s here) holds the ack just before
 * it; when the resend fills it the ack reaches the end, and nothing was
 * missing or late: the detector waited. */
static void test_ack_stops_before_an_open_hole(void **state)
{
	struct fixture *fx = *state;
	struct ingest_stats st;

	send_range(fx, 1, 100);
	send_range(fx, 111, 200);	/* 101..110 not yet here */
	pass_time(fx, 1);
	assert_int_equal(ack_of(fx, DEVICE), 100);
	assert_int_equal(stored_readings(fx), 190);
	ingest_get_stats(fx->ing, &st);
	assert_int_equal(st.missing, 0);

	send_range(fx, 101, 110);	/* 2 s after the hole opened */
	pass_time(fx, 1.5);		/* acks go out at most once a second */
	assert_int_equal(ack_of(fx, DEVICE), 200);
	ingest_get_stats(fx->ing, &st);
	assert_int_equal(st.missing, 0);
	assert_int_equal(st.late, 0);
	assert_int_equal(st.stored, 200);
	assert_ack_backed(fx);
}

/* The ack promises the database holds the readings: none is published
 * before the commit (commit_s 0.2 s here), and the first one covers all. */
static void test_ack_waits_for_the_commit(void **state)
{
	struct fixture *fx = *state;
	struct ingest_stats st;

	send_range(fx, 1, 10);		/* 0.1 s of the collector's time */
	assert_int_equal(fx->rec.acks_published, 0);
	pass_time(fx, 0.3);
	ingest_get_stats(fx->ing, &st);
	assert_true(st.commits >= 1);
	assert_int_equal(fx->rec.acks_published, 1);
	assert_int_equal(ack_of(fx, DEVICE), 10);
	assert_ack_backed(fx);
}

/* A steady stream is acknowledged at most about once a second per run, and
 * the last ack covers all of it. */
static void test_acks_go_out_at_most_once_a_second(void **state)
{
	struct fixture *fx = *state;

	send_range(fx, 1, 400);		/* 4 s of the collector's time */
	assert_true(fx->rec.acks_published >= 3);
	assert_true(fx->rec.acks_published <= 5);
	pass_time(fx, 1.5);
	assert_int_equal(ack_of(fx, DEVICE), stored_readings(fx));
	assert_int_equal(ack_of(fx, DEVICE), 400);
}

/* A backlog (here 40 s of readings in 4 s: a resend after an outage) is
 * acknowledged to its last reading as soon as the queue runs dry, without
 * waiting for commit_s or the run's next second, and with one ack more. */
static void test_backlog_is_acked_when_the_queue_runs_dry(void **state)
{
	struct fixture *fx = *state;
	struct ingest_stats before, after;
	uint64_t acks;

	send_range(fx, 1, 400);
	acks = fx->rec.acks_published;
	assert_true(ack_of(fx, DEVICE) < 400);
	ingest_get_stats(fx->ing, &before);
	ingest_quiet(fx->ing, fx->now);
	ingest_get_stats(fx->ing, &after);
	assert_int_equal(ack_of(fx, DEVICE), 400);
	assert_int_equal(fx->rec.acks_published, acks + 1);
	assert_int_equal(after.commits, before.commits + 1);
	assert_ack_backed(fx);
	/* Caught up: the next quiet moment commits nothing more. */
	ingest_quiet(fx->ing, fx->now + 0.05);
	ingest_get_stats(fx->ing, &before);
	assert_int_equal(before.commits, after.commits);
}

/* Sends seq first..last as a live sensord does (one reading per 0.1 s of
 * the collector's time, as their mono says), the queue running dry after
 * each. */
static void send_live(struct fixture *fx, uint64_t first, uint64_t last)
{
	struct reading r;

	for (uint64_t seq = first; seq <= last; seq++) {
		reading_at(&r, RUN, seq);
		send_reading(fx, TOPIC, &r);
		ingest_tick(fx->ing, fx->now);
		ingest_quiet(fx->ing, fx->now + 0.01);
		fx->now += 0.1;
	}
}

/* A live stream runs dry after every reading: that is no reason for a
 * commit (an fsync) and an ack each. It keeps commit_s (0.2 s here) and
 * one ack a second; a late second of it is a backlog again. */
static void test_live_stream_keeps_the_commit_pace(void **state)
{
	struct fixture *fx = *state;
	struct ingest_stats st;
	struct reading r;
	uint64_t acks;

	send_live(fx, 1, 100);		/* 10 s */
	ingest_get_stats(fx->ing, &st);
	/* A commit every 0.2 to 0.3 s (the batch opens at the next reading
	 * after one), not 100 of them. */
	assert_in_range(st.commits, 33, 51);
	assert_in_range(fx->rec.acks_published, 9, 11);
	/* Two seconds of readings held up on the way, then all at once. */
	fx->now += 2.0;
	for (uint64_t seq = 101; seq <= 120; seq++) {
		reading_at(&r, RUN, seq);
		send_reading(fx, TOPIC, &r);
	}
	acks = fx->rec.acks_published;
	ingest_quiet(fx->ing, fx->now + 0.01);
	assert_int_equal(ack_of(fx, DEVICE), 120);
	assert_int_equal(fx->rec.acks_published, acks + 1);
	assert_ack_backed(fx);
}

/* Each device has its own ack topic and numbers. */
static void test_acks_are_per_device(void **state)
{
	struct fixture *fx = *state;
	struct reading r;

	send_range(fx, 1, 30);
	for (uint64_t seq = 1; seq <= 7; seq++) {
		reading_at(&r, "00000000000000b2", seq);
		send_reading(fx, "rollsense/ball2/reading", &r);
	}
	pass_time(fx, 1.5);		/* past the one-a-second limit on acks */
	assert_int_equal(ack_of(fx, DEVICE), 30);
	assert_int_equal(ack_of(fx, "ball2"), 7);
	assert_int_equal(stored_readings(fx), 37);
}

/* What is not a reading is counted by kind and stores nothing. */
static void test_malformed_messages_are_counted_by_kind(void **state)
{
	struct fixture *fx = *state;
	struct ingest_stats st;
	struct reading r;
	static const char not_json[] = "{\"run\":";
	static const char no_seq[] = "{\"run\":\"5e1f03c29a7b44d1\",\"mono\":1,\"ts\":2}";
	char buf[READING_MAX_PAYLOAD];
	int len;

	reading_at(&r, RUN, 1);
	len = reading_encode(&r, buf, sizeof(buf));
	assert_true(len > 0);
	ingest_message(fx->ing, "rollsense/bad device/reading", buf, (size_t)len, fx->now);
	ingest_message(fx->ing, "elsewhere", buf, (size_t)len, fx->now);
	ingest_message(fx->ing, TOPIC, not_json, strlen(not_json), fx->now);
	ingest_message(fx->ing, TOPIC, no_seq, strlen(no_seq), fx->now);
	pass_time(fx, 0.5);
	ingest_get_stats(fx->ing, &st);
	assert_int_equal(st.messages, 4);
	assert_int_equal(st.dropped[INGEST_DROP_TOPIC], 2);
	assert_int_equal(st.dropped[READING_ERR_JSON], 1);
	assert_int_equal(st.dropped[READING_ERR_MISSING], 1);
	assert_int_equal(st.stored, 0);
	assert_int_equal(stored_readings(fx), 0);
	assert_int_equal(fx->rec.acks_published, 0);
	assert_string_equal(ingest_drop_name(INGEST_DROP_TOPIC), "topic");
	assert_string_equal(ingest_drop_name(INGEST_DROP_NEW_RUNS), "new_runs");
}

/* Every test runs in a fresh folder with a fresh ingest. */
#define TEST(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		TEST(test_ack_never_passes_an_expired_hole),
		TEST(test_late_readings_revise_the_session),
		TEST(test_ack_survives_a_restart),
		TEST(test_revision_survives_a_restart),
		TEST(test_zones_of_a_session),
		TEST(test_zones_after_a_replay),
		TEST(test_lost_after_lets_the_ack_pass),
		TEST(test_lost_after_covers_only_its_span),
		TEST(test_seq_far_ahead_is_refused),
		TEST(test_run_id_collision_stops_the_acks),
		TEST(test_idle_run_leaves_memory_and_comes_back),
		TEST(test_runs_in_memory_are_bounded),
		TEST(test_new_runs_are_rate_limited),
		TEST(test_duplicates_are_dropped_and_counted),
		TEST(test_ack_stops_before_an_open_hole),
		TEST(test_ack_waits_for_the_commit),
		TEST(test_acks_go_out_at_most_once_a_second),
		TEST(test_backlog_is_acked_when_the_queue_runs_dry),
		TEST(test_live_stream_keeps_the_commit_pace),
		TEST(test_acks_are_per_device),
		TEST(test_malformed_messages_are_counted_by_kind),
	};

	tests_select();
	return cmocka_run_group_tests(tests, NULL, NULL);
}
