/* bench/revise: what it costs the collector when readings arrive for a hole
 * its detector already passed, as the run grows. The run is replayed from
 * the database with a fresh detector (collector/ingest.c, revise_run), so
 * the cost grows with the run's length; this measures it on a real SQLite
 * file, through the real ingest, with no broker (acks and summaries go to a
 * counter).
 *
 *   build/bench/revise [READINGS]      (default 864000: one day at 10 Hz)
 *
 * The run has a 20-second hold every 10 minutes, so sessions end all along
 * it; a hole of 10 readings in a hold in its middle is passed after
 * gap_timeout_s, then filled. Prints key=value pairs: readings, the time to store them, the time
 * of the commit that recomputed the run (wall and CPU), the ack before and
 * after, and the sessions published. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "config.h"
#include "ingest.h"
#include "log.h"
#include "reading.h"
#include "store.h"

#define HOLE_LEN 10

struct counts {
	unsigned long sessions;
	unsigned long acks;
	unsigned long long last_ack;
};

static int count(void *ctx, const char *topic, const char *payload, size_t len, bool retained)
{
	struct counts *c = ctx;
	char run[READING_RUN_LEN + 1];
	uint64_t seq;

	(void)retained;
	if (strstr(topic, "/session"))
		c->sessions++;
	else if (strstr(topic, "/ack") && ack_decode(payload, len, run, &seq) == 0) {
		c->acks++;
		c->last_ack = seq;
	}
	return 0;
}

static double now_s(clockid_t id)
{
	struct timespec ts;

	clock_gettime(id, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void send(struct ingest *ing, uint64_t seq, double now)
{
	char buf[READING_MAX_PAYLOAD];
	struct reading r;
	double t = (double)(seq - 1) / 10.0;
	double in_cycle = t - 600.0 * (double)(long)(t / 600.0);
	int len;

	memset(&r, 0, sizeof(r));
	snprintf(r.run, sizeof(r.run), "5e1f03c29a7b44d1");
	r.seq = seq;
	r.mono = t;
	r.ts = 1763910000.0 + t;
	r.pressure_kpa = in_cycle >= 100.0 && in_cycle < 120.0 ? 15.0 : 0.0;
	r.temperature_c = 30.0;
	len = reading_encode(&r, buf, sizeof(buf));
	if (len > 0)
		ingest_message(ing, "rollsense/bench1/reading", buf, (size_t)len, now);
}

int main(int argc, char **argv)
{
	char dir[] = "/tmp/rollsense-bench-revise-XXXXXX", db[128], err[256];
	uint64_t n = argc > 1 ? strtoull(argv[1], NULL, 10) : 864000, hole, ack_before;
	struct counts c = { 0 };
	struct rs_config cfg;
	struct ingest *ing;
	struct store *st;
	double now = 1000, t0, wall, cpu;

	if (n < 1000 || !mkdtemp(dir)) {
		fprintf(stderr, "usage: revise [READINGS >= 1000]\n");
		return 2;
	}
	log_set_level(LOG_LEVEL_WARN);
	snprintf(db, sizeof(db), "%s/collector.db", dir);
	config_defaults(&cfg);
	cfg.collector.gap_timeout_s = 3;
	st = store_open(db, err, sizeof(err));
	ing = st ? ingest_new(&(struct ingest_env){ &cfg, st, count, &c }) : NULL;
	if (!ing) {
		fprintf(stderr, "revise: %s\n", st ? "out of memory" : err);
		return 1;
	}
	/* In the middle of the run, 5 s into a hold: the hole cuts it, and
	 * the revision has a session to correct. */
	hole = (uint64_t)(600.0 * (double)(n / 6000 / 2) + 105.0) * 10 + 1;
	t0 = now_s(CLOCK_MONOTONIC);
	for (uint64_t seq = 1; seq <= n; seq++) {
		if (seq >= hole && seq < hole + HOLE_LEN)
			continue;
		send(ing, seq, now);
		if (seq % 1000 == 0) {
			now += 0.1;
			ingest_tick(ing, now);
		}
	}
	for (int i = 0; i < 60; i++) {	/* past gap_timeout_s */
		now += 0.1;
		ingest_tick(ing, now);
	}
	ingest_flush(ing, now);
	printf("readings=%llu store_s=%.1f sessions=%lu ack_before=%llu ",
	       (unsigned long long)n, now_s(CLOCK_MONOTONIC) - t0, c.sessions,
	       (unsigned long long)c.last_ack);
	ack_before = c.last_ack;
	c.sessions = 0;

	/* The resend fills the hole: the commit that follows recomputes the
	 * run (the hole is full, so it need not wait to settle). */
	for (uint64_t seq = hole; seq < hole + HOLE_LEN; seq++)
		send(ing, seq, now);
	t0 = now_s(CLOCK_MONOTONIC);
	cpu = now_s(CLOCK_PROCESS_CPUTIME_ID);
	ingest_flush(ing, now + 1.1);
	wall = now_s(CLOCK_MONOTONIC) - t0;
	cpu = now_s(CLOCK_PROCESS_CPUTIME_ID) - cpu;
	now += 1.2;
	ingest_tick(ing, now + 1.1);
	ingest_flush(ing, now + 1.2);
	printf("revision_ms=%.1f revision_cpu_ms=%.1f ns_per_reading=%.0f revised=%lu ack_after=%llu\n",
	       wall * 1000, cpu * 1000, wall * 1e9 / (double)n, c.sessions,
	       (unsigned long long)c.last_ack);
	ingest_free(ing);
	store_close(st);
	remove(db);
	snprintf(db, sizeof(db), "%s/collector.db-wal", dir);
	remove(db);
	snprintf(db, sizeof(db), "%s/collector.db-shm", dir);
	remove(db);
	rmdir(dir);
	return ack_before < hole - 1 || c.last_ack != n ? 1 : 0;
}
