/* bench/render: what the session page of a 1-hour session at 10 Hz costs to
 * make (collector/pages.c, pages_session: the store's readings through the
 * chart's min/max columns into the SVG), on a real SQLite file. The session
 * is the last hour of a run of a day (BEFORE readings come first), as on a
 * Pi whose sensord has run since yesterday: finding the session's readings
 * in its run is part of the cost.
 *
 *   build/bench/render [RUNS [PAGE.html]]     (default 20 runs)
 *
 * Stores 36,000 readings at 12 kPa with a one-reading spike to 30 kPa and
 * one 30 s hold, renders the page RUNS times and prints key=value pairs:
 * the readings, the page's bytes, the median, fastest and slowest render in
 * ms. With PAGE.html, the last page is written there too, to look at. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "config.h"
#include "log.h"
#include "pages.h"
#include "store.h"

#define READINGS 36000
#define BEFORE 828000		/* 23 hours at 10 Hz */
#define START_MONO (BEFORE * 0.1)	/* the session's start in its run */
#define T0 1795492570.0		/* 2026-11-24T03:56:10Z */

static double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

static int ms_cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

/* The session: readings, then its summary. 0 or -1. */
static int session_store(struct store *st, int64_t *id)
{
	struct detector_summary s;
	double hold_ts = T0 + 600;
	int64_t run_id;

	if (store_begin(st) < 0 || store_run_id(st, "roller1", "00000000000000b2", &run_id) < 0)
		return -1;
	for (uint64_t i = 0; i < BEFORE + READINGS; i++) {
		struct reading r;

		memset(&r, 0, sizeof(r));
		snprintf(r.run, sizeof(r.run), "00000000000000b2");
		r.seq = i + 1;
		r.mono = (double)i * 0.1;
		r.ts = T0 + r.mono - START_MONO;
		r.pressure_kpa = i < BEFORE ? 0 : i == BEFORE + READINGS / 2 ? 30 : 12;
		r.temperature_c = 39 + sin((double)i / 3000.0);
		if (store_reading_insert(st, run_id, &r) != STORE_READING_NEW)
			return -1;
	}
	memset(&s, 0, sizeof(s));
	s.start_mono_s = START_MONO;
	s.duration_s = (READINGS - 1) * 0.1;
	s.end_mono_s = START_MONO + s.duration_s;
	s.hold_count = s.holds_stored = 1;
	s.holds[0] = (struct detector_hold){ .start_mono_s = START_MONO + 600, .duration_s = 30, .peak_kpa = 12,
					     .mean_kpa = 12, .hold_class = DETECTOR_HOLD_EFFECTIVE, .zone = 0 };
	s.hold_time_s = 30;
	s.heat_time_s = s.duration_s;
	s.max_temperature_c = 40;
	s.samples = READINGS;
	if (store_session_insert(st, run_id, &s, T0, T0 + s.duration_s, &hold_ts, id) < 0)
		return -1;
	return store_commit(st);
}

int main(int argc, char **argv)
{
	char dir[] = "/tmp/rollsense-bench-render-XXXXXX", db[128], err[256];
	long runs = argc > 1 ? strtol(argv[1], NULL, 10) : 20;
	static struct rs_config cfg;
	struct textbuf page;
	struct store *st;
	double *ms;
	int64_t id;
	int rc = 1;

	if (runs < 1 || runs > 10000 || !mkdtemp(dir)) {
		fprintf(stderr, "usage: render [RUNS 1..10000 [PAGE.html]]\n");
		return 2;
	}
	log_set_level(LOG_LEVEL_WARN);
	config_defaults(&cfg);
	snprintf(db, sizeof(db), "%s/collector.db", dir);
	ms = calloc((size_t)runs, sizeof(*ms));
	st = store_open(db, err, sizeof(err));
	if (!st || !ms || session_store(st, &id) < 0) {
		fprintf(stderr, "render: %s\n", st ? "storing the session failed" : err);
		goto out;
	}
	textbuf_init(&page, 0);
	for (long i = 0; i < runs; i++) {
		double t0 = now_ms();

		textbuf_reset(&page);
		if (pages_session(st, &cfg, id, &page) != 200) {
			fprintf(stderr, "render: the page failed\n");
			goto out_page;
		}
		ms[i] = now_ms() - t0;
	}
	if (argc > 2) {
		FILE *f = fopen(argv[2], "w");

		if (!f || fwrite(textbuf_text(&page), 1, page.len, f) != page.len) {
			perror(argv[2]);
			goto out_page;
		}
		fclose(f);
	}
	qsort(ms, (size_t)runs, sizeof(*ms), ms_cmp);
	printf("run_readings=%d readings=%d runs=%ld bytes=%zu median_ms=%.1f min_ms=%.1f max_ms=%.1f\n", BEFORE + READINGS, READINGS,
	       runs, page.len, ms[runs / 2], ms[0], ms[runs - 1]);
	rc = 0;
out_page:
	textbuf_free(&page);
out:
	store_close(st);
	free(ms);
	/* The database and SQLite's files beside it, then the folder. */
	for (const char *const *ext = (const char *const[]){ "", "-wal", "-shm", NULL }; *ext; ext++) {
		snprintf(err, sizeof(err), "%s%s", db, *ext);
		unlink(err);
	}
	rmdir(dir);
	return rc;
}
