/* Tests for collector/store.c: what a reopened database holds, how the
 * schema version and foreign files are refused, duplicates, ordering with
 * holes, run progress, sessions and their holds, publishing, retention,
 * hostile names, rollback and a crash in the middle of a batch. Each test
 * works in a fresh mkdtemp folder. The file header facts used here (magic at
 * 0, user_version at 60, application_id at 68, both big-endian) are from
 * sqlite.org/fileformat.html, 1.3 "The Database Header". */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "select.h"

#include <fcntl.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "harness.h"
#include "store.h"
#include "summary.h"
#include "unit.h"

#define RUN_A "0000000a"
#define RUN_B "0000000b"
#define DEVICE "roller1"

/* path: the database in the test's folder. */
static int setup(void **state)
{
	return unit_dir_setup(state, "test_store", "rollsense.db");
}

static struct store *open_ok(const struct unit_dir *fx)
{
	char err[256] = "";
	struct store *st = store_open(fx->path, err, sizeof(err));

	if (!st)
		fail_msg("store_open: %s", err);
	return st;
}

static void reading_make(struct reading *r, const char *run, uint64_t seq, double ts,
			 double pressure_kpa, double temperature_c)
{
	memset(r, 0, sizeof(*r));
	snprintf(r->run, sizeof(r->run), "%s", run);
	r->seq = seq;
	r->mono = (double)seq * 0.1;
	r->ts = ts;
	r->pressure_kpa = pressure_kpa;
	r->temperature_c = temperature_c;
}

/* Stores seq first..last of run_id in one batch, ts = ts0 + seq, pressure
 * = seq / 2, temperature 30 + seq / 100. */
static void readings_store(struct store *st, int64_t run_id, const char *run, uint64_t first,
			   uint64_t last, double ts0)
{
	struct reading r;

	assert_int_equal(store_begin(st), 0);
	for (uint64_t seq = first; seq <= last; seq++) {
		reading_make(&r, run, seq, ts0 + (double)seq, (double)seq / 2,
			     30 + (double)seq / 100);
		assert_int_equal(store_reading_insert(st, run_id, &r), 1);
	}
	assert_int_equal(store_commit(st), 0);
}

static void counts_get(struct store *st, struct store_counts *c)
{
	assert_int_equal(store_get_counts(st, c), 0);
}

/* The whole file, NUL-terminated; *len without the NUL. */
static unsigned char *file_read(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	unsigned char *buf = NULL;
	long size;

	assert_non_null(f);
	assert_int_equal(fseek(f, 0, SEEK_END), 0);
	size = ftell(f);
	assert_true(size >= 0);
	rewind(f);
	buf = malloc((size_t)size + 1);
	assert_non_null(buf);
	assert_int_equal(fread(buf, 1, (size_t)size, f), (size_t)size);
	buf[size] = 0;
	fclose(f);
	*len = (size_t)size;
	return buf;
}

static uint32_t file_be32(const char *path, long offset)
{
	unsigned char b[4];
	FILE *f = fopen(path, "rb");

	assert_non_null(f);
	assert_int_equal(fseek(f, offset, SEEK_SET), 0);
	assert_int_equal(fread(b, 1, 4, f), 4);
	fclose(f);
	return (uint32_t)b[0] << 24 | (uint32_t)b[1] << 16 | (uint32_t)b[2] << 8 | b[3];
}

static void file_put_be32(const char *path, long offset, uint32_t v)
{
	unsigned char b[4] = { v >> 24, v >> 16, v >> 8, v };
	int fd = open(path, O_WRONLY);

	assert_true(fd >= 0);
	assert_int_equal(pwrite(fd, b, 4, offset), 4);
	close(fd);
}

/* A summary with three holds, one of each class, and no temperature. */
static void summary_make(struct detector_summary *s, double start_mono_s)
{
	memset(s, 0, sizeof(*s));
	s->start_mono_s = start_mono_s;
	s->end_mono_s = start_mono_s + 912.3;
	s->duration_s = 912.3;
	s->hold_count = 3;
	s->hold_time_s = 6.5 + 24.6 + 75.25;
	s->holds_stored = 3;
	s->holds[0] = (struct detector_hold){ start_mono_s + 10, 6.5, 12.5, 11.0,
					      DETECTOR_HOLD_SHORT, 0 };
	s->holds[1] = (struct detector_hold){ start_mono_s + 31.2, 24.6, 18.2, 15.9,
					      DETECTOR_HOLD_EFFECTIVE, 0 };
	s->holds[2] = (struct detector_hold){ start_mono_s + 100, 75.25, 30.0, 22.125,
					      DETECTOR_HOLD_LONG, 0 };
	s->heat_time_s = 300.2;
	s->max_temperature_c = NAN;
	s->hot_time_s = 0.0;
	s->samples = 9123;
	s->missing_samples = 7;
}

#define MAX_SEEN 8

struct seen {
	size_t n;
	size_t stop_after;	/* 0: never stop */
	struct store_session s[MAX_SEEN];
};

static int seen_add(const struct store_session *s, void *ctx)
{
	struct seen *seen = ctx;

	if (seen->n < MAX_SEEN)
		seen->s[seen->n] = *s;
	seen->n++;
	return seen->stop_after && seen->n >= seen->stop_after;
}

static struct seen *seen_new(void)
{
	struct seen *seen = calloc(1, sizeof(*seen));

	assert_non_null(seen);
	return seen;
}

static void test_create_reopen_keeps_data(void **state)
{
	struct unit_dir *fx = *state;
	struct store *st = open_ok(fx);
	struct detector_summary sum;
	double hold_ts[3] = { 1000.5, 1021.7, 1090.5 };
	struct store_counts c;
	struct reading out[4];
	int64_t run_id, again, session_id;

	assert_int_equal(store_run_id(st, DEVICE, RUN_A, &run_id), 0);
	readings_store(st, run_id, RUN_A, 1, 3, 1000);
	summary_make(&sum, 0.1);
	assert_int_equal(store_session_insert(st, run_id, &sum, 990.0, 1902.3, hold_ts,
					      &session_id), 1);
	store_close(st);

	st = open_ok(fx);
	counts_get(st, &c);
	assert_int_equal(c.devices, 1);
	assert_int_equal(c.runs, 1);
	assert_int_equal(c.readings, 3);
	assert_int_equal(c.sessions, 1);
	assert_int_equal(c.holds, 3);
	assert_int_equal(store_run_id(st, DEVICE, RUN_A, &again), 0);
	assert_int_equal(again, run_id);
	assert_int_equal(store_readings_after(st, run_id, 0, out, 4), 3);
	/* readings_store: seq 2 has ts 1002, pressure 1.0, temperature 30.02. */
	assert_int_equal(out[1].seq, 2);
	assert_string_equal(out[1].run, RUN_A);
	assert_true(out[1].mono == 2 * 0.1);
	assert_true(out[1].ts == 1002.0);
	assert_true(out[1].pressure_kpa == 1.0);
	assert_true(out[1].temperature_c == 30 + 2.0 / 100);
	assert_int_equal(out[1].n_faults, 0);
	store_close(st);
}

static void test_schema_version_in_file_header(void **state)
{
	struct unit_dir *fx = *state;
	struct store *st = open_ok(fx);
	mode_t mask = umask(0);
	unsigned char magic[16];
	struct stat sb;
	FILE *f;

	umask(mask);
	store_close(st);
	assert_int_equal(store_schema_version(), 5);	/* five migrations so far */
	f = fopen(fx->path, "rb");
	assert_non_null(f);
	assert_int_equal(fread(magic, 1, sizeof(magic), f), sizeof(magic));
	fclose(f);
	assert_memory_equal(magic, "SQLite format 3", 16);	/* with its NUL */
	assert_int_equal(file_be32(fx->path, 60), store_schema_version());
	assert_int_equal(file_be32(fx->path, 68), 0x526f6c53);	/* "RolS" */
	/* Created 0640, less the umask: never readable by others. */
	assert_int_equal(stat(fx->path, &sb), 0);
	assert_int_equal(sb.st_mode & 0777, 0640 & ~mask);

	/* Reopening a current database changes nothing. */
	st = open_ok(fx);
	store_close(st);
	assert_int_equal(file_be32(fx->path, 60), 5);
}

static void test_newer_schema_refused(void **state)
{
	struct unit_dir *fx = *state;
	struct store *st = open_ok(fx);
	char err[256], want[256];

	store_close(st);
	file_put_be32(fx->path, 60, 99);
	assert_null(store_open(fx->path, err, sizeof(err)));
	snprintf(want, sizeof(want), "%s: schema version 99 is newer than this program knows (5)",
		 fx->path);
	assert_string_equal(err, want);
}

/* serve's open: a missing file, an older or newer schema are refused with
 * a message saying what to do; a current one reads what the writer stored
 * and refuses to write. */
static void test_readonly_open(void **state)
{
	struct unit_dir *fx = *state;
	struct store_counts c;
	struct store *st, *ro;
	char err[512], want[512];
	int64_t run_id;

	assert_null(store_open_readonly(fx->path, err, sizeof(err)));
	snprintf(want, sizeof(want), "%s: no database yet: start rollsense-collector first", fx->path);
	assert_string_equal(err, want);

	st = open_ok(fx);
	assert_int_equal(store_run_id(st, DEVICE, RUN_A, &run_id), 0);
	readings_store(st, run_id, RUN_A, 1, 5, 1000);
	ro = store_open_readonly(fx->path, err, sizeof(err));
	if (!ro)
		fail_msg("store_open_readonly: %s", err);
	counts_get(ro, &c);
	assert_int_equal(c.readings, 5);
	assert_int_equal(store_run_id(ro, DEVICE, RUN_B, &run_id), -1);
	store_close(ro);
	store_close(st);

	file_put_be32(fx->path, 60, 3);
	assert_null(store_open_readonly(fx->path, err, sizeof(err)));
	snprintf(want, sizeof(want), "%s: schema version 3 is older than this program's (5); "
		 "start rollsense-collector once to upgrade it", fx->path);
	assert_string_equal(err, want);
	file_put_be32(fx->path, 60, 99);
	assert_null(store_open_readonly(fx->path, err, sizeof(err)));
	snprintf(want, sizeof(want), "%s: schema version 99 is newer than this program knows (5)",
		 fx->path);
	assert_string_equal(err, want);
}

static void test_not_a_database_refused(void **state)
{
	struct unit_dir *fx = *state;
	const char text[] = "device roller1\nthis is a configuration file, not SQLite\n";
	char err[256], want[256];
	FILE *f = fopen(fx->path, "w");

	assert_non_null(f);
	fputs(text, f);
	fclose(f);
	assert_null(store_open(fx->path, err, sizeof(err)));
	snprintf(want, sizeof(want), "%s: file is not a database", fx->path);
	assert_string_equal(err, want);
	/* And the file is left as it was. */
	{
		size_t len;
		unsigned char *buf = file_read(fx->path, &len);

		assert_int_equal(len, strlen(text));
		assert_memory_equal(buf, text, len);
		free(buf);
	}
}

static void test_foreign_sqlite_database_refused(void **state)
{
	struct unit_dir *fx = *state;
	struct store *st = open_ok(fx);
	char err[256], want[256];

	store_close(st);
	/* Another program's SQLite file: a different application_id. */
	file_put_be32(fx->path, 68, 0x12345678);
	assert_null(store_open(fx->path, err, sizeof(err)));
	snprintf(want, sizeof(want), "%s: not a rollsense database", fx->path);
	assert_string_equal(err, want);
}

static void test_missing_folder_refused(void **state)
{
	struct unit_dir *fx = *state;
	char path[192], err[256], want[384];
	struct stat sb;

	snprintf(path, sizeof(path), "%s/nope/rollsense.db", fx->dir);
	assert_null(store_open(path, err, sizeof(err)));
	snprintf(want, sizeof(want), "%s: folder %s/nope: No such file or directory", path,
		 fx->dir);
	assert_string_equal(err, want);
	assert_int_equal(stat(path, &sb), -1);
}

static void test_duplicates_ignored(void **state)
{
	struct unit_dir *fx = *state;
	struct store *st = open_ok(fx);
	struct store_counts c;
	struct reading r, out[8];
	int64_t run_id;

	assert_int_equal(store_run_id(st, DEVICE, RUN_A, &run_id), 0);
	readings_store(st, run_id, RUN_A, 1, 5, 1000);
	assert_int_equal(store_begin(st), 0);
	for (uint64_t seq = 1; seq <= 5; seq++) {
		/* A resend: same key, same times. */
		reading_make(&r, RUN_A, seq, 1000 + (double)seq, (double)seq / 2, 30 + (double)seq / 100);
		assert_int_equal(store_reading_insert(st, run_id, &r), STORE_READING_DUPLICATE);
		/* Same key, other times: another run under this id. Either
		 * way the first copy stays. */
		reading_make(&r, RUN_A, seq, 5000, 99.0, 99.0);
		assert_int_equal(store_reading_insert(st, run_id, &r), STORE_READING_CONFLICT);
		reading_make(&r, RUN_A, seq, 1000 + (double)seq, 99.0, 99.0);
		r.mono += 0.001;
		assert_int_equal(store_reading_insert(st, run_id, &r), STORE_READING_CONFLICT);
	}
	assert_int_equal(store_commit(st), 0);
	counts_get(st, &c);
	assert_int_equal(c.readings, 5);
	assert_int_equal(store_readings_after(st, run_id, 0, out, 8), 5);
	assert_true(out[4].pressure_kpa == 2.5);	/* seq 5 / 2 */
	assert_true(out[4].ts == 1005.0);
	store_close(st);
}

static void test_readings_after_in_seq_order_with_holes(void **state)
{
	struct unit_dir *fx = *state;
	struct store *st = open_ok(fx);
	const uint64_t seqs[] = { 9, 3, 1, 8, 5, 2 };	/* 4, 6, 7 never came */
	struct reading r, out[8];
	int64_t run_a, run_b;

	assert_int_equal(store_run_id(st, DEVICE, RUN_A, &run_a), 0);
	assert_int_equal(store_run_id(st, DEVICE, RUN_B, &run_b), 0);
	assert_true(run_a != run_b);
	assert_int_equal(store_begin(st), 0);
	for (size_t i = 0; i < sizeof(seqs) / sizeof(seqs[0]); i++) {
		reading_make(&r, RUN_A, seqs[i], 1000 + (double)seqs[i],
			     seqs[i] == 5 ? NAN : 10.0, NAN);
		r.end_session = seqs[i] == 8;	/* the button's long press */
		assert_int_equal(store_reading_insert(st, run_a, &r), 1);
	}
	reading_make(&r, RUN_B, 4, 1004, 1.0, 1.0);	/* another run's seq 4 */
	assert_int_equal(store_reading_insert(st, run_b, &r), 1);
	assert_int_equal(store_commit(st), 0);

	assert_int_equal(store_readings_after(st, run_a, 2, out, 3), 3);
	assert_int_equal(out[0].seq, 3);
	assert_int_equal(out[1].seq, 5);
	assert_int_equal(out[2].seq, 8);
	assert_true(out[2].end_session);
	assert_false(out[0].end_session);
	assert_true(isnan(out[1].pressure_kpa));	/* NAN went in, NAN comes out */
	assert_true(out[0].pressure_kpa == 10.0);
	assert_true(isnan(out[0].temperature_c));
	assert_int_equal(store_readings_after(st, run_a, 8, out, 8), 1);
	assert_int_equal(out[0].seq, 9);
	assert_int_equal(store_readings_after(st, run_a, 9, out, 8), 0);
	assert_int_equal(store_readings_after(st, run_b, 0, out, 8), 1);
	assert_int_equal(out[0].seq, 4);
	assert_string_equal(out[0].run, RUN_B);
	store_close(st);
}

/* What store_readings_each gave: the first and last seq and how many. */
struct span_seen {
	uint64_t first, last;
	size_t n;
};

static int span_add(const struct store_point *p, void *ctx)
{
	struct span_seen *s = ctx;

	if (s->n++ == 0)
		s->first = p->seq;
	s->last = p->seq;
	return 0;
}

static struct span_seen span_of(struct store *st, int64_t run_id, double from, double to)
{
	struct span_seen s = { 0, 0, 0 };

	assert_int_equal(store_readings_each(st, run_id, from, to, span_add, &s), 0);
	return s;
}

/* A session's readings by mono, in a run with holes (mono = seq / 10):
 * seqs 1..1000 stored but 400..450, and another run beside it. */
static void test_readings_each_by_mono(void **state)
{
	struct unit_dir *fx = *state;
	struct store *st = open_ok(fx);
	struct span_seen s;
	int64_t run_a, run_b, run_empty;

	assert_int_equal(store_run_id(st, DEVICE, RUN_A, &run_a), 0);
	assert_int_equal(store_run_id(st, DEVICE, RUN_B, &run_b), 0);
	assert_int_equal(store_run_id(st, "other", RUN_A, &run_empty), 0);
	readings_store(st, run_a, RUN_A, 1, 399, 1000);
	readings_store(st, run_a, RUN_A, 451, 1000, 1000);
	readings_store(st, run_b, RUN_B, 1, 2000, 5000);

	s = span_of(st, run_a, 10.0, 20.0);	/* seq 100..200 */
	assert_int_equal(s.first, 100);
	assert_int_equal(s.last, 200);
	assert_int_equal(s.n, 101);
	s = span_of(st, run_a, 39.95, 60.0);	/* 400..450 never came */
	assert_int_equal(s.first, 451);
	assert_int_equal(s.last, 600);
	assert_int_equal(s.n, 150);
	s = span_of(st, run_a, 0.0, NAN);	/* from the start to an open end */
	assert_int_equal(s.first, 1);
	assert_int_equal(s.last, 1000);
	assert_int_equal(s.n, 949);
	s = span_of(st, run_a, 99.95, 500.0);	/* only the last one */
	assert_int_equal(s.first, 1000);
	assert_int_equal(s.n, 1);
	s = span_of(st, run_a, 100.05, 500.0);	/* past the end */
	assert_int_equal(s.n, 0);
	s = span_of(st, run_a, 41.0, 44.0);	/* inside the hole */
	assert_int_equal(s.n, 0);
	s = span_of(st, run_empty, 0.0, NAN);	/* a run without readings */
	assert_int_equal(s.n, 0);
	store_close(st);
}

/* A run whose readings start at seq 0 (the wire allows it; mono = seq / 10):
 * the first one is found like any other. */
static void test_readings_each_from_seq_0(void **state)
{
	struct unit_dir *fx = *state;
	struct store *st = open_ok(fx);
	struct span_seen s;
	int64_t run_id;

	assert_int_equal(store_run_id(st, DEVICE, RUN_A, &run_id), 0);
	readings_store(st, run_id, RUN_A, 0, 10, 1000);
	s = span_of(st, run_id, 0.0, NAN);
	assert_int_equal(s.first, 0);
	assert_int_equal(s.last, 10);
	assert_int_equal(s.n, 11);
	s = span_of(st, run_id, -5.0, 0.25);	/* seq 0..2 */
	assert_int_equal(s.first, 0);
	assert_int_equal(s.last, 2);
	assert_int_equal(s.n, 3);
	s = span_of(st, run_id, 0.05, 0.25);	/* seq 1..2 */
	assert_int_equal(s.first, 1);
	assert_int_equal(s.n, 2);
	store_close(st);
}

static void test_run_progress_round_trip(void **state)
{
	struct unit_dir *fx = *state;
	struct store *st = open_ok(fx);
	struct store_run_state rs;
	struct reading r;
	int64_t run_id;

	assert_int_equal(store_run_id(st, DEVICE, RUN_A, &run_id), 0);
	assert_int_equal(store_run_get(st, run_id, &rs), 0);
	assert_int_equal(rs.max_seq, 0);
	assert_true(isnan(rs.last_ts));	/* no reading yet */

	/* Inside a batch, reads see its readings (seq 7 came before seq 9
	 * and carries a later ts: last_ts is the newest ts). */
	assert_int_equal(store_begin(st), 0);
	reading_make(&r, RUN_A, 7, 2000.5, 1, 1);
	assert_int_equal(store_reading_insert(st, run_id, &r), 1);
	reading_make(&r, RUN_A, 9, 1999.0, 1, 1);
	assert_int_equal(store_reading_insert(st, run_id, &r), 1);
	assert_int_equal(store_run_get(st, run_id, &rs), 0);
	assert_int_equal(rs.max_seq, 9);
	assert_true(rs.last_ts == 2000.5);
	reading_make(&r, RUN_A, 8, 2001.0, 1, 1);
	assert_int_equal(store_reading_insert(st, run_id, &r), 1);
	assert_int_equal(store_run_progress_set(st, run_id, &(struct store_run_progress){
		.fed_seq = 42, .missing = 3, .stored_seq = 40, .lost = 2, .conflicts = 1,
		.revise_from = 12.5 }), 0);
	assert_int_equal(store_commit(st), 0);
	/* A late, older reading in a later batch moves neither mark back. */
	reading_make(&r, RUN_A, 2, 1500.0, 1, 1);
	assert_int_equal(store_reading_insert(st, run_id, &r), 1);
	store_close(st);

	st = open_ok(fx);
	assert_int_equal(store_run_get(st, run_id, &rs), 0);
	assert_int_equal(rs.run_id, run_id);
	assert_string_equal(rs.device, DEVICE);
	assert_string_equal(rs.run, RUN_A);
	assert_int_equal(rs.progress.fed_seq, 42);
	assert_int_equal(rs.progress.missing, 3);
	assert_int_equal(rs.progress.stored_seq, 40);
	assert_int_equal(rs.progress.lost, 2);
	assert_int_equal(rs.progress.conflicts, 1);
	assert_true(rs.progress.revise_from == 12.5);
	assert_int_equal(rs.max_seq, 9);
	assert_true(rs.last_ts == 2001.0);
	assert_int_equal(store_run_get(st, run_id + 100, &rs), -1);
	assert_int_equal(store_run_progress_set(st, run_id + 100,
						&(struct store_run_progress){ .fed_seq = 1 }), -1);
	store_close(st);
}

static void test_runs_recent(void **state)
{
	struct unit_dir *fx = *state;
	struct store *st = open_ok(fx);
	struct store_run_state rs[4];
	int64_t run_a, run_b, run_c;

	assert_int_equal(store_run_id(st, DEVICE, RUN_A, &run_a), 0);
	assert_int_equal(store_run_id(st, "ball2", RUN_A, &run_b), 0);
	assert_int_equal(store_run_id(st, "ball3", RUN_B, &run_c), 0);	/* never a reading */
	assert_true(run_a != run_b);
	readings_store(st, run_a, RUN_A, 1, 10, 1000);	/* last ts 1010 */
	readings_store(st, run_b, RUN_A, 1, 5, 2000);	/* last ts 2005 */

	assert_int_equal(store_runs_recent(st, 1500, rs, 4), 1);
	assert_int_equal(rs[0].run_id, run_b);
	assert_string_equal(rs[0].device, "ball2");
	assert_int_equal(rs[0].max_seq, 5);
	assert_true(rs[0].last_ts == 2005.0);

	/* Newest first; the run without readings is not recent. */
	assert_int_equal(store_runs_recent(st, 0, rs, 4), 2);
	assert_int_equal(rs[0].run_id, run_b);
	assert_int_equal(rs[1].run_id, run_a);
	assert_int_equal(rs[1].max_seq, 10);
	assert_int_equal(store_runs_recent(st, 0, rs, 1), 1);
	assert_int_equal(rs[0].run_id, run_b);
	assert_int_equal(store_runs_recent(st, 2005, rs, 4), 0);	/* strictly after */
	store_close(st);
}

static void test_session_round_trip(void **state)
{
	struct unit_dir *fx = *state;
	struct store *st = open_ok(fx);
	const double hold_ts[3] = { 1763910010.5, 1763910031.2, 1763910100.0 };
	struct detector_summary sum;
	struct seen *seen = seen_new();
	const struct store_session *got;
	int64_t run_id, session_id = 0, again = 0;
	struct store_counts c;

	assert_int_equal(store_run_id(st, DEVICE, RUN_A, &run_id), 0);
	summary_make(&sum, 209.1);
	assert_int_equal(store_session_insert(st, run_id, &sum, 1763910000.1, 1763910912.4,
					      hold_ts, &session_id), 1);
	assert_true(session_id > 0);
	/* The same session again (a replay after a crash): stored once. */
	assert_int_equal(store_begin(st), 0);
	assert_int_equal(store_session_insert(st, run_id, &sum, 1763910000.1, 1763910912.4,
					      hold_ts, &again), 0);
	assert_int_equal(store_commit(st), 0);
	assert_int_equal(again, session_id);
	assert_int_equal(store_session_insert(st, run_id, &sum, 1, 2, NULL, NULL), 0);
	counts_get(st, &c);
	assert_int_equal(c.sessions, 1);
	assert_int_equal(c.holds, 3);
	store_close(st);

	st = open_ok(fx);
	assert_int_equal(store_sessions_each(st, NULL, 0, INFINITY, seen_add, seen), 0);
	assert_int_equal(seen->n, 1);
	got = &seen->s[0];
	assert_int_equal(got->id, session_id);
	assert_string_equal(got->device, DEVICE);
	assert_string_equal(got->run, RUN_A);
	assert_true(got->start_ts == 1763910000.1);
	assert_true(got->end_ts == 1763910912.4);
	assert_true(got->duration_s == 912.3);
	assert_int_equal(got->hold_count, 3);
	assert_true(got->hold_time_s == 6.5 + 24.6 + 75.25);
	assert_int_equal(got->holds_stored, 3);
	assert_true(got->holds[0].start_ts == 1763910010.5);
	assert_true(got->holds[0].duration_s == 6.5);
	assert_true(got->holds[0].peak_kpa == 12.5);
	assert_true(got->holds[0].mean_kpa == 11.0);
	assert_string_equal(got->holds[0].hold_class, "short");
	assert_true(got->holds[1].start_ts == 1763910031.2);
	assert_true(got->holds[1].duration_s == 24.6);
	assert_true(got->holds[1].peak_kpa == 18.2);
	assert_true(got->holds[1].mean_kpa == 15.9);
	assert_string_equal(got->holds[1].hold_class, "effective");
	assert_true(got->holds[2].start_ts == 1763910100.0);
	assert_true(got->holds[2].duration_s == 75.25);
	assert_true(got->holds[2].peak_kpa == 30.0);
	assert_true(got->holds[2].mean_kpa == 22.125);
	assert_string_equal(got->holds[2].hold_class, "long");
	assert_true(got->heat_time_s == 300.2);
	assert_true(isnan(got->max_temperature_c));
	assert_true(got->hot_time_s == 0.0);
	assert_int_equal(got->readings, 9123);
	assert_int_equal(got->missing_readings, 7);
	assert_false(got->published);

	/* Back in the detector's shape, times on the wall clock. */
	{
		struct detector_summary back;

		store_session_summary(got, &back);
		assert_true(back.start_mono_s == 1763910000.1);
		assert_true(back.end_mono_s == 1763910912.4);
		assert_true(back.duration_s == 912.3);
		assert_int_equal(back.hold_count, 3);
		assert_int_equal(back.holds_stored, 3);
		assert_true(back.holds[1].start_mono_s == 1763910031.2);
		assert_true(back.holds[1].peak_kpa == 18.2);
		assert_int_equal(back.holds[0].hold_class, DETECTOR_HOLD_SHORT);
		assert_int_equal(back.holds[1].hold_class, DETECTOR_HOLD_EFFECTIVE);
		assert_int_equal(back.holds[2].hold_class, DETECTOR_HOLD_LONG);
		assert_true(back.heat_time_s == 300.2);
		assert_true(isnan(back.max_temperature_c));
		assert_int_equal(back.samples, 9123);
		assert_int_equal(back.missing_samples, 7);
	}

	/* A known temperature comes back as a number; holds without their
	 * wall-clock labels come back NAN. */
	summary_make(&sum, 5000.0);
	sum.max_temperature_c = 41.3;
	assert_int_equal(store_session_insert(st, run_id, &sum, 1763920000.0, 1763920912.3,
					      NULL, NULL), 1);
	seen->n = 0;
	assert_int_equal(store_sessions_each(st, DEVICE, 1763915000.0, INFINITY, seen_add, seen),
			 0);
	assert_int_equal(seen->n, 1);
	assert_true(seen->s[0].max_temperature_c == 41.3);
	assert_true(isnan(seen->s[0].holds[1].start_ts));
	store_close(st);
	free(seen);
}

/* summary_make() on zones: the short hold on calf_left, the effective and
 * the long one on calf_right, heat without a zone too; the totals as the
 * detector would give them, "" among them. */
static void summary_make_zoned(struct detector_summary *s, double start_mono_s)
{
	summary_make(s, start_mono_s);
	s->holds[0].zone = 0;	/* zones[0]: calf_left */
	s->holds[1].zone = 2;	/* zones[2]: calf_right */
	s->holds[2].zone = 2;
	s->n_zones = 3;
	s->zones[0] = (struct detector_zone_total){
		.zone = "calf_left", .holds = 1, .class_holds = { 1, 0, 0 }, .hold_time_s = 6.5,
		.heat_time_s = 100.1,
	};
	s->zones[1] = (struct detector_zone_total){ .zone = "", .heat_time_s = 50.0 };
	s->zones[2] = (struct detector_zone_total){
		.zone = "calf_right", .holds = 2, .class_holds = { 0, 1, 1 },
		.hold_time_s = 24.6 + 75.25, .heat_time_s = 150.1, .hot_time_s = 2.5,
	};
}

static void zones_check(const struct store_session *got)
{
	assert_string_equal(got->holds[0].zone, "calf_left");
	assert_string_equal(got->holds[1].zone, "calf_right");
	assert_string_equal(got->holds[2].zone, "calf_right");
	assert_int_equal(got->n_zones, 3);
	assert_string_equal(got->zones[0].zone, "calf_left");
	assert_int_equal(got->zones[0].holds, 1);
	assert_int_equal(got->zones[0].class_holds[DETECTOR_HOLD_SHORT], 1);
	assert_true(got->zones[0].hold_time_s == 6.5);
	assert_true(got->zones[0].heat_time_s == 100.1);
	assert_true(got->zones[0].hot_time_s == 0.0);
	assert_string_equal(got->zones[1].zone, "");
	assert_int_equal(got->zones[1].holds, 0);
	assert_true(got->zones[1].heat_time_s == 50.0);
	assert_string_equal(got->zones[2].zone, "calf_right");
	assert_int_equal(got->zones[2].holds, 2);
	assert_int_equal(got->zones[2].class_holds[DETECTOR_HOLD_SHORT], 0);
	assert_int_equal(got->zones[2].class_holds[DETECTOR_HOLD_EFFECTIVE], 1);
	assert_int_equal(got->zones[2].class_holds[DETECTOR_HOLD_LONG], 1);
	assert_true(got->zones[2].hold_time_s == 24.6 + 75.25);
	assert_true(got->zones[2].heat_time_s == 150.1);
	assert_true(got->zones[2].hot_time_s == 2.5);
}

/* Readings keep their zone (NULL in the table for none); a session its
 * holds' zones and its zone totals, in order, through every way it is read;
 * the summary made from it again says them; deleting it leaves no zone
 * rows behind. */
static void test_zones_round_trip(void **state)
{
	struct unit_dir *fx = *state;
	struct store *st = open_ok(fx);
	struct detector_summary sum, back;
	struct store_session *one = calloc(1, sizeof(*one));
	struct seen *seen = seen_new();
	struct reading r, out[4];
	int64_t run_id, id;
	char buf[4096], query[128];

	assert_non_null(one);
	assert_int_equal(store_run_id(st, DEVICE, RUN_A, &run_id), 0);
	assert_int_equal(store_begin(st), 0);
	for (uint64_t seq = 1; seq <= 3; seq++) {
		reading_make(&r, RUN_A, seq, 1000 + (double)seq, 12, 39);
		strcpy(r.zone, seq == 2 ? "" : seq == 1 ? "calf_left" : "shoulder_right");
		assert_int_equal(store_reading_insert(st, run_id, &r), 1);
	}
	assert_int_equal(store_commit(st), 0);
	assert_int_equal(store_readings_after(st, run_id, 0, out, 4), 3);
	assert_string_equal(out[0].zone, "calf_left");
	assert_string_equal(out[1].zone, "");
	assert_string_equal(out[2].zone, "shoulder_right");
	assert_int_equal(harness_sqlite_count(fx->path,
					      "SELECT count(*) FROM readings WHERE zone IS NULL"), 1);

	summary_make_zoned(&sum, 209.1);
	assert_int_equal(store_session_insert(st, run_id, &sum, 1763910000.1, 1763910912.4, NULL,
					      &id), 1);
	store_close(st);

	st = open_ok(fx);
	assert_int_equal(store_sessions_each(st, NULL, 0, INFINITY, seen_add, seen), 0);
	assert_int_equal(seen->n, 1);
	zones_check(&seen->s[0]);
	seen->n = 0;
	assert_int_equal(store_sessions_each_newest(st, DEVICE, 0, INFINITY, seen_add, seen), 0);
	assert_int_equal(seen->n, 1);
	zones_check(&seen->s[0]);
	seen->n = 0;
	assert_int_equal(store_sessions_unpublished(st, seen_add, seen), 0);
	assert_int_equal(seen->n, 1);
	zones_check(&seen->s[0]);
	assert_int_equal(store_session_get(st, id, one, NULL), 1);
	zones_check(one);

	/* Published again (after a crash), it says the same zones. */
	store_session_summary(one, &back);
	assert_int_equal(back.n_zones, 3);
	assert_string_equal(detector_hold_zone(&back, &back.holds[1]), "calf_right");
	assert_true(summary_encode(&back, DEVICE, RUN_A, 0, buf, sizeof(buf)) > 0);
	assert_non_null(strstr(buf, "\"class\":\"short\",\"zone\":\"calf_left\"}"));
	assert_non_null(strstr(buf, ",\"zones\":{\"calf_left\":{\"holds\":1,\"short\":1,"
				    "\"effective\":0,\"long\":0,\"hold_time_s\":6.5,\"rolling_time_s\":0,"
				    "\"heat_time_s\":100.1,\"hot_time_s\":0},\"calf_right\":{"
				    "\"holds\":2,\"short\":0,\"effective\":1,\"long\":1,"
				    "\"hold_time_s\":99.85,\"rolling_time_s\":0,\"heat_time_s\":150.1,"
				    "\"hot_time_s\":2.5}}}"));

	snprintf(query, sizeof(query), "SELECT count(*) FROM session_zones WHERE session_id = %lld",
		 (long long)id);
	assert_int_equal(harness_sqlite_count(fx->path, query), 3);
	assert_int_equal(store_session_delete(st, id), 0);
	assert_int_equal(harness_sqlite_count(fx->path, query), 0);
	assert_int_equal(store_session_get(st, id, one, NULL), 0);
	store_close(st);
	free(seen);
	free(one);
}

/* The readings as the pages draw them carry their zone. */
static int zone_seen(const struct store_point *p, void *ctx)
{
	char *zones = ctx;

	strcat(zones, p->zone[0] ? p->zone : "-");
	strcat(zones, ",");
	return 0;
}

static void test_zones_in_points(void **state)
{
	struct unit_dir *fx = *state;
	struct store *st = open_ok(fx);
	char zones[256] = "";
	struct reading r;
	int64_t run_id;

	assert_int_equal(store_run_id(st, DEVICE, RUN_A, &run_id), 0);
	for (uint64_t seq = 1; seq <= 4; seq++) {
		reading_make(&r, RUN_A, seq, 1000 + (double)seq, 12, NAN);
		strcpy(r.zone, seq < 3 ? "neck" : seq == 3 ? "" : "foot_left");
		assert_int_equal(store_reading_insert(st, run_id, &r), 1);
	}
	assert_int_equal(store_readings_each(st, run_id, 0, NAN, zone_seen, zones), 0);
	assert_string_equal(zones, "neck,neck,-,foot_left,");
	store_close(st);
}

/* A database as the collector before zones (schema 3, made by the first
 * three migrations) left it, with a reading, a session and its hold:
 * opened, it becomes current in place, keeps everything (no zone
 * anywhere), and takes zones from then on; serve can then read it. */
static void test_upgrade_from_version_3(void **state)
{
	struct unit_dir *fx = *state;
	struct store *st, *ro;
	struct seen *seen = seen_new();
	struct detector_summary sum;
	struct reading r, out[4];
	struct store_counts c;
	char err[512], *text;
	int64_t run_id, found;

	assert_int_equal(store_create_at_version(fx->path, 3, err, sizeof(err)), 0);
	assert_int_equal(file_be32(fx->path, 60), 3);
	text = harness_sqlite_text(fx->path,
		"INSERT INTO devices(id, name) VALUES (1, 'roller1');"
		"INSERT INTO runs(id, device_id, run, fed_seq, max_seq, first_ts, last_ts, stored_seq)"
		" VALUES (1, 1, '0000000a', 2, 2, 1001, 1002, 2);"
		"INSERT INTO readings(run_id, seq, mono, ts, pressure_kpa, temperature_c, end_session)"
		" VALUES (1, 1, 0.1, 1001, 12.5, 39.5, 0), (1, 2, 0.2, 1002, NULL, 39.5, 1);"
		"INSERT INTO sessions(id, run_id, start_mono, end_mono, start_ts, end_ts, duration_s,"
		" hold_count, hold_time_s, heat_time_s, max_temperature_c, hot_time_s, readings,"
		" missing_readings, published) VALUES (7, 1, 0.1, 0.2, 1001, 1002, 0.1, 1, 6.5, 0.1,"
		" 39.5, 0, 2, 0, 1);"
		"INSERT INTO holds(session_id, idx, start_mono, start_ts, duration_s, peak_kpa,"
		" mean_kpa, class) VALUES (7, 0, 0.1, 1001, 6.5, 12.5, 12.5, 'short');"
		"SELECT 'ok';");
	assert_non_null(text);
	assert_string_equal(text, "ok\n");
	free(text);
	/* serve waits for the collector to upgrade it. */
	assert_null(store_open_readonly(fx->path, err, sizeof(err)));

	st = open_ok(fx);
	assert_int_equal(harness_sqlite_count(fx->path, "PRAGMA user_version"), 5);
	assert_int_equal(store_run_find(st, DEVICE, RUN_A, &run_id), 1);
	assert_int_equal(run_id, 1);
	assert_int_equal(store_readings_after(st, run_id, 0, out, 4), 2);
	assert_true(out[0].pressure_kpa == 12.5);
	assert_string_equal(out[0].zone, "");
	assert_true(out[1].end_session);
	assert_string_equal(out[1].zone, "");
	assert_int_equal(store_sessions_each(st, NULL, 0, INFINITY, seen_add, seen), 0);
	assert_int_equal(seen->n, 1);
	assert_int_equal(seen->s[0].id, 7);
	assert_int_equal(seen->s[0].holds_stored, 1);
	assert_string_equal(seen->s[0].holds[0].hold_class, "short");
	assert_string_equal(seen->s[0].holds[0].zone, "");
	assert_int_equal(seen->s[0].n_zones, 0);
	assert_true(seen->s[0].published);

	/* From now on with zones. */
	reading_make(&r, RUN_A, 3, 1003, 14, 39.5);
	strcpy(r.zone, "calf_left");
	assert_int_equal(store_reading_insert(st, run_id, &r), 1);
	assert_int_equal(store_readings_after(st, run_id, 2, out, 4), 1);
	assert_string_equal(out[0].zone, "calf_left");
	summary_make_zoned(&sum, 500);
	assert_int_equal(store_session_insert(st, run_id, &sum, 2000, 2912.3, NULL, &found), 1);
	/* The old session goes with no zone rows to leave behind. */
	assert_int_equal(store_session_delete(st, 7), 0);
	seen->n = 0;
	assert_int_equal(store_sessions_each(st, NULL, 0, INFINITY, seen_add, seen), 0);
	assert_int_equal(seen->n, 1);
	zones_check(&seen->s[0]);
	store_close(st);

	ro = store_open_readonly(fx->path, err, sizeof(err));
	if (!ro)
		fail_msg("store_open_readonly: %s", err);
	counts_get(ro, &c);
	assert_int_equal(c.readings, 3);
	assert_int_equal(c.sessions, 1);
	store_close(ro);
	free(seen);
}

/* A database as the collector before gyroscopes (schema 4) left it, with a
 * reading and a session: opened, it becomes version 5 in place; the old
 * session has no rolling time (0: nothing could tell), the old reading no
 * rotation; a new reading keeps its rotation, a null one (the gyroscope's
 * fault) reads as none, and a new session its rolling time. */
static void test_upgrade_from_version_4(void **state)
{
	struct unit_dir *fx = *state;
	struct store *st;
	struct seen *seen = seen_new();
	struct detector_summary sum;
	struct reading r, out[4];
	char err[512], *text;
	int64_t run_id, found;

	assert_int_equal(store_create_at_version(fx->path, 4, err, sizeof(err)), 0);
	text = harness_sqlite_text(fx->path,
		"INSERT INTO devices(id, name) VALUES (1, 'roller1');"
		"INSERT INTO runs(id, device_id, run, fed_seq, max_seq, first_ts, last_ts, stored_seq)"
		" VALUES (1, 1, '0000000a', 1, 1, 1001, 1001, 1);"
		"INSERT INTO readings(run_id, seq, mono, ts, pressure_kpa, temperature_c, zone)"
		" VALUES (1, 1, 0.1, 1001, 12.5, 39.5, 'neck');"
		"INSERT INTO sessions(id, run_id, start_mono, end_mono, start_ts, end_ts, duration_s,"
		" hold_count, hold_time_s, heat_time_s, max_temperature_c, hot_time_s, readings,"
		" missing_readings, published) VALUES (7, 1, 0.1, 0.2, 1001, 1002, 0.1, 0, 0, 0,"
		" 39.5, 0, 2, 0, 1);"
		"SELECT 'ok';");
	assert_non_null(text);
	assert_string_equal(text, "ok\n");
	free(text);

	st = open_ok(fx);
	assert_int_equal(harness_sqlite_count(fx->path, "PRAGMA user_version"), 5);
	assert_int_equal(store_run_find(st, DEVICE, RUN_A, &run_id), 1);
	assert_int_equal(store_readings_after(st, run_id, 0, out, 4), 1);
	assert_true(out[0].pressure_kpa == 12.5);
	assert_false(out[0].has_rotation);
	assert_int_equal(store_sessions_each(st, NULL, 0, INFINITY, seen_add, seen), 0);
	assert_int_equal(seen->n, 1);
	assert_true(seen->s[0].rolling_time_s == 0);

	reading_make(&r, RUN_A, 2, 1002, 14, 39.5);
	r.has_rotation = true;
	r.rotation_dps = 42.25;
	assert_int_equal(store_reading_insert(st, run_id, &r), 1);
	reading_make(&r, RUN_A, 3, 1003, 14, 39.5);
	r.has_rotation = true;
	r.rotation_dps = NAN;
	assert_int_equal(store_reading_insert(st, run_id, &r), 1);
	assert_int_equal(store_readings_after(st, run_id, 1, out, 4), 2);
	assert_true(out[0].has_rotation);
	assert_true(out[0].rotation_dps == 42.25);
	assert_false(out[1].has_rotation);
	assert_true(isnan(out[1].rotation_dps));
	assert_int_equal(harness_sqlite_count(fx->path, "SELECT count(*) FROM readings"
					      " WHERE rotation_dps IS NULL"), 2);

	summary_make_zoned(&sum, 500);
	sum.rolling_time_s = 35.1;
	sum.zones[0].rolling_time_s = 30.1;
	sum.zones[2].rolling_time_s = 5.0;
	assert_int_equal(store_session_insert(st, run_id, &sum, 2000, 2912.3, NULL, &found), 1);
	seen->n = 0;
	assert_int_equal(store_sessions_each(st, NULL, 1500, INFINITY, seen_add, seen), 0);
	assert_int_equal(seen->n, 1);
	assert_true(seen->s[0].rolling_time_s == 35.1);
	zones_check(&seen->s[0]);
	assert_true(seen->s[0].zones[0].rolling_time_s == 30.1);
	assert_true(seen->s[0].zones[1].rolling_time_s == 0);
	assert_true(seen->s[0].zones[2].rolling_time_s == 5.0);
	store_close(st);
	free(seen);
}

static int publish_each(const struct store_session *s, void *ctx)
{
	struct store *st = ctx;

	/* What the ingest does after re-publishing: mark it, inside the walk. */
	return store_session_mark_published(st, s->id) == 0 ? 0 : 1;
}

static void test_published_and_unpublished(void **state)
{
	struct unit_dir *fx = *state;
	struct store *st = open_ok(fx);
	struct detector_summary sum;
	struct seen *seen = seen_new();
	int64_t run_id, first, second, third;

	assert_int_equal(store_run_id(st, DEVICE, RUN_A, &run_id), 0);
	summary_make(&sum, 3000);
	assert_int_equal(store_session_insert(st, run_id, &sum, 300, 310, NULL, &second), 1);
	summary_make(&sum, 1000);
	assert_int_equal(store_session_insert(st, run_id, &sum, 100, 110, NULL, &first), 1);
	summary_make(&sum, 5000);
	assert_int_equal(store_session_insert(st, run_id, &sum, 500, 510, NULL, &third), 1);

	/* Oldest first, whatever the order they were stored in. */
	assert_int_equal(store_sessions_unpublished(st, seen_add, seen), 0);
	assert_int_equal(seen->n, 3);
	assert_int_equal(seen->s[0].id, first);
	assert_int_equal(seen->s[1].id, second);
	assert_int_equal(seen->s[2].id, third);

	assert_int_equal(store_session_mark_published(st, second), 0);
	seen->n = 0;
	assert_int_equal(store_sessions_unpublished(st, seen_add, seen), 0);
	assert_int_equal(seen->n, 2);
	assert_int_equal(seen->s[0].id, first);
	assert_int_equal(seen->s[1].id, third);
	seen->n = 0;
	assert_int_equal(store_sessions_each(st, NULL, 0, 1000, seen_add, seen), 0);
	assert_int_equal(seen->n, 3);
	assert_false(seen->s[0].published);
	assert_true(seen->s[1].published);
	assert_false(seen->s[2].published);

	/* Marking from inside the walk. */
	assert_int_equal(store_sessions_unpublished(st, publish_each, st), 0);
	seen->n = 0;
	assert_int_equal(store_sessions_unpublished(st, seen_add, seen), 0);
	assert_int_equal(seen->n, 0);
	assert_int_equal(store_session_mark_published(st, third + 100), -1);
	store_close(st);
	free(seen);
}

static void test_sessions_each_filters(void **state)
{
	struct unit_dir *fx = *state;
	struct store *st = open_ok(fx);
	struct detector_summary sum;
	struct seen *seen = seen_new();
	int64_t roller, ball;

	assert_int_equal(store_run_id(st, "roller1", RUN_A, &roller), 0);
	assert_int_equal(store_run_id(st, "ball2", RUN_A, &ball), 0);
	/* roller1 at 100, 200, 300; ball2 at 150, 250. */
	for (int i = 1; i <= 3; i++) {
		summary_make(&sum, i * 1000.0);
		assert_int_equal(store_session_insert(st, roller, &sum, i * 100.0,
						      i * 100.0 + 50, NULL, NULL), 1);
	}
	for (int i = 1; i <= 2; i++) {
		summary_make(&sum, i * 1000.0);	/* same mono as roller1's: other run */
		assert_int_equal(store_session_insert(st, ball, &sum, i * 100.0 + 50,
						      i * 100.0 + 60, NULL, NULL), 1);
	}

	assert_int_equal(store_sessions_each(st, NULL, 0, INFINITY, seen_add, seen), 0);
	assert_int_equal(seen->n, 5);
	assert_true(seen->s[0].start_ts == 100);
	assert_true(seen->s[1].start_ts == 150);
	assert_string_equal(seen->s[1].device, "ball2");
	assert_true(seen->s[4].start_ts == 300);

	/* [since, until): 200 in, 300 out. */
	seen->n = 0;
	assert_int_equal(store_sessions_each(st, "roller1", 200, 300, seen_add, seen), 0);
	assert_int_equal(seen->n, 1);
	assert_true(seen->s[0].start_ts == 200);
	assert_string_equal(seen->s[0].device, "roller1");

	seen->n = 0;
	assert_int_equal(store_sessions_each(st, "ball2", 0, INFINITY, seen_add, seen), 0);
	assert_int_equal(seen->n, 2);
	assert_true(seen->s[0].start_ts == 150);
	assert_true(seen->s[1].start_ts == 250);

	seen->n = 0;
	assert_int_equal(store_sessions_each(st, "nobody", 0, INFINITY, seen_add, seen), 0);
	assert_int_equal(seen->n, 0);

	/* fn returning non-zero stops the walk. */
	seen->n = 0;
	seen->stop_after = 2;
	assert_int_equal(store_sessions_each(st, NULL, 0, INFINITY, seen_add, seen), 0);
	assert_int_equal(seen->n, 2);
	store_close(st);
	free(seen);
}

static void test_purge_keeps_new_readings_and_sessions(void **state)
{
	struct unit_dir *fx = *state;
	struct store *st = open_ok(fx);
	struct detector_summary sum;
	struct store_counts c;
	struct reading out[2];
	int64_t run_id;

	assert_int_equal(store_run_id(st, DEVICE, RUN_A, &run_id), 0);
	/* 25,000 old readings (ts 1..25000: more than two purge chunks), then
	 * 100 at ts 25001..25100. */
	readings_store(st, run_id, RUN_A, 1, 25000, 0);
	readings_store(st, run_id, RUN_A, 25001, 25100, 0);
	summary_make(&sum, 1.0);
	assert_int_equal(store_session_insert(st, run_id, &sum, 10, 20, NULL, NULL), 1);

	assert_int_equal(store_begin(st), 0);
	assert_int_equal(store_readings_purge(st, 25000.5), -1);	/* not inside a batch */
	store_rollback(st);

	assert_int_equal(store_readings_purge(st, 25000.5), 25000);
	counts_get(st, &c);
	assert_int_equal(c.readings, 100);
	assert_int_equal(c.sessions, 1);
	assert_int_equal(c.holds, 3);
	assert_int_equal(store_readings_after(st, run_id, 0, out, 2), 2);
	assert_int_equal(out[0].seq, 25001);
	assert_int_equal(store_readings_purge(st, 25000.5), 0);
	store_close(st);
}

static void test_hostile_names_stored_verbatim(void **state)
{
	struct unit_dir *fx = *state;
	static const char *const devices[] = {
		"x'); DROP TABLE readings;--",
		"\"; DELETE FROM runs; --",
		"%s%n%x '' \\ Rolle ö",
	};
	static const char *const runs[] = { "x');--", "';\"%s\\", "a b" };
	struct store *st = open_ok(fx);
	struct seen *seen = seen_new();
	struct detector_summary sum;
	struct store_run_state rs;
	struct store_counts c;
	struct reading r;
	int64_t ids[3], again;
	char too_long[66];

	for (int i = 0; i < 3; i++) {
		assert_int_equal(store_run_id(st, devices[i], runs[i], &ids[i]), 0);
		reading_make(&r, runs[i], 1, 1000, 5, 5);
		assert_int_equal(store_reading_insert(st, ids[i], &r), 1);
		summary_make(&sum, 1.0);
		assert_int_equal(store_session_insert(st, ids[i], &sum, 100.0 + i, 200, NULL,
						      NULL), 1);
	}
	assert_true(ids[0] != ids[1] && ids[1] != ids[2]);
	store_close(st);

	st = open_ok(fx);
	for (int i = 0; i < 3; i++) {
		assert_int_equal(store_run_get(st, ids[i], &rs), 0);
		assert_string_equal(rs.device, devices[i]);
		assert_string_equal(rs.run, runs[i]);
		assert_int_equal(store_run_id(st, devices[i], runs[i], &again), 0);
		assert_int_equal(again, ids[i]);
		seen->n = 0;
		assert_int_equal(store_sessions_each(st, devices[i], 0, INFINITY, seen_add, seen),
				 0);
		assert_int_equal(seen->n, 1);
		assert_string_equal(seen->s[0].device, devices[i]);
		assert_string_equal(seen->s[0].run, runs[i]);
	}
	counts_get(st, &c);
	assert_int_equal(c.devices, 3);
	assert_int_equal(c.runs, 3);
	assert_int_equal(c.readings, 3);

	/* Names that would not fit what the store hands back are refused. */
	memset(too_long, 'd', 65);
	too_long[65] = 0;
	assert_int_equal(store_run_id(st, too_long, RUN_A, &again), -1);
	assert_int_equal(store_run_id(st, DEVICE, "0123456789abcdef0", &again), -1);
	assert_int_equal(store_run_id(st, "", RUN_A, &again), -1);
	counts_get(st, &c);
	assert_int_equal(c.devices, 3);
	store_close(st);
	free(seen);
}

static void test_faults_stored_as_json(void **state)
{
	struct unit_dir *fx = *state;
	struct store *st = open_ok(fx);
	/* Expected texts written by hand: an object sensor -> what, quotes and
	 * backslashes escaped (RFC 8259, section 7). */
	const char *two = "{\"bmp280@/dev/i2c-1:0x76\":\"nack\","
			  "\"mcp9808@/dev/i2c-1:0x18\":\"timeout\"}";
	const char *escaped = "{\"x\\\"y\\\\z\":\"stuck\"}";
	struct reading r, out[2];
	unsigned char *file;
	int64_t run_id;
	size_t len;

	assert_int_equal(store_run_id(st, DEVICE, RUN_A, &run_id), 0);
	assert_int_equal(store_begin(st), 0);
	reading_make(&r, RUN_A, 1, 1000, NAN, 36.5);
	r.n_faults = 2;
	snprintf(r.faults[0].sensor, sizeof(r.faults[0].sensor), "bmp280@/dev/i2c-1:0x76");
	snprintf(r.faults[0].what, sizeof(r.faults[0].what), "nack");
	snprintf(r.faults[1].sensor, sizeof(r.faults[1].sensor), "mcp9808@/dev/i2c-1:0x18");
	snprintf(r.faults[1].what, sizeof(r.faults[1].what), "timeout");
	assert_int_equal(store_reading_insert(st, run_id, &r), 1);
	reading_make(&r, RUN_A, 2, 1001, NAN, NAN);
	r.n_faults = 1;
	snprintf(r.faults[0].sensor, sizeof(r.faults[0].sensor), "x\"y\\z");
	snprintf(r.faults[0].what, sizeof(r.faults[0].what), "stuck");
	assert_int_equal(store_reading_insert(st, run_id, &r), 1);
	assert_int_equal(store_commit(st), 0);
	/* Faults are not read back through the API. */
	assert_int_equal(store_readings_after(st, run_id, 0, out, 2), 2);
	assert_int_equal(out[0].n_faults, 0);
	store_close(st);

	/* The last close folds the WAL into the file: the text is in it. */
	file = file_read(fx->path, &len);
	assert_non_null(memmem(file, len, two, strlen(two)));
	assert_non_null(memmem(file, len, escaped, strlen(escaped)));
	free(file);
}

static void test_rollback_discards_batch(void **state)
{
	struct unit_dir *fx = *state;
	struct store *st = open_ok(fx);
	struct store_counts c;
	struct reading r, out[4];
	int64_t run_id, stale;

	assert_int_equal(store_begin(st), 0);
	assert_int_equal(store_run_id(st, DEVICE, RUN_A, &stale), 0);
	for (uint64_t seq = 1; seq <= 10; seq++) {
		reading_make(&r, RUN_A, seq, 1000, 1, 1);
		assert_int_equal(store_reading_insert(st, stale, &r), 1);
	}
	store_rollback(st);
	counts_get(st, &c);
	assert_int_equal(c.devices, 0);
	assert_int_equal(c.runs, 0);
	assert_int_equal(c.readings, 0);

	/* The run made in the rolled-back batch is gone: a reading naming it
	 * is refused, and asking for the run again makes it anew. */
	reading_make(&r, RUN_A, 1, 1000, 1, 1);
	assert_int_equal(store_reading_insert(st, stale, &r), -1);
	assert_int_equal(store_run_id(st, DEVICE, RUN_A, &run_id), 0);
	assert_int_equal(store_reading_insert(st, run_id, &r), 1);	/* outside a batch */
	assert_int_equal(store_readings_after(st, run_id, 0, out, 4), 1);
	counts_get(st, &c);
	assert_int_equal(c.runs, 1);
	assert_int_equal(c.readings, 1);

	/* A commit without a batch, a batch inside a batch: refused. */
	assert_int_equal(store_commit(st), -1);
	assert_int_equal(store_begin(st), 0);
	assert_int_equal(store_begin(st), -1);
	store_rollback(st);
	store_close(st);
}

/* The child: commits 1..100, then stores 101..200 and dies before commit. */
static int crash_child(const char *path)
{
	char err[256];
	struct store *st = store_open(path, err, sizeof(err));
	struct reading r;
	int64_t run_id;

	if (!st || store_run_id(st, DEVICE, RUN_A, &run_id) < 0 || store_begin(st) < 0)
		return 1;
	for (uint64_t seq = 1; seq <= 200; seq++) {
		if (seq == 101 && (store_commit(st) < 0 || store_begin(st) < 0))
			return 2;
		reading_make(&r, RUN_A, seq, 1000 + (double)seq, 1, 1);
		if (store_reading_insert(st, run_id, &r) != 1)
			return 3;
	}
	return 0;
}

static void test_crash_keeps_exactly_the_committed(void **state)
{
	struct unit_dir *fx = *state;
	struct reading *out = calloc(300, sizeof(*out));
	struct store_run_state rs;
	struct store_counts c;
	struct store *st;
	int64_t run_id;
	int status, done[2];
	char child_rc = -1;
	pid_t pid;

	assert_non_null(out);
	assert_int_equal(pipe(done), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		/* No close, no rollback: it tells how it went and waits to be
		 * killed -9 from outside (valgrind, unlike for its own exit or
		 * raise, does not count the open store as a leak then). */
		char rc = (char)crash_child(fx->path);

		if (write(done[1], &rc, 1) != 1)
			_exit(1);
		for (;;)
			pause();
	}
	close(done[1]);
	assert_int_equal(read(done[0], &child_rc, 1), 1);
	close(done[0]);
	kill(pid, SIGKILL);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_int_equal(child_rc, 0);
	assert_true(WIFSIGNALED(status));

	st = open_ok(fx);
	counts_get(st, &c);
	assert_int_equal(c.readings, 100);
	assert_int_equal(store_run_id(st, DEVICE, RUN_A, &run_id), 0);
	assert_int_equal(store_readings_after(st, run_id, 0, out, 300), 100);
	assert_int_equal(out[0].seq, 1);
	assert_int_equal(out[99].seq, 100);
	assert_int_equal(store_run_get(st, run_id, &rs), 0);
	assert_int_equal(rs.max_seq, 100);
	assert_true(rs.last_ts == 1100.0);
	store_close(st);
	free(out);
}

static void test_bad_input_refused(void **state)
{
	struct unit_dir *fx = *state;
	struct store *st = open_ok(fx);
	struct detector_summary sum;
	struct store_counts c;
	struct reading r;
	int64_t run_id;

	assert_int_equal(store_run_id(st, DEVICE, RUN_A, &run_id), 0);
	reading_make(&r, RUN_A, 1, NAN, 1, 1);	/* no ts: not a duplicate, an error */
	assert_int_equal(store_reading_insert(st, run_id, &r), -1);
	reading_make(&r, RUN_A, UINT64_MAX, 1000, 1, 1);
	assert_int_equal(store_reading_insert(st, run_id, &r), -1);
	reading_make(&r, RUN_A, 1, 1000, 1, 1);
	assert_int_equal(store_reading_insert(st, run_id + 7, &r), -1);	/* no such run */
	summary_make(&sum, NAN);
	assert_int_equal(store_session_insert(st, run_id, &sum, 1, 2, NULL, NULL), -1);
	summary_make(&sum, 1.0);
	assert_int_equal(store_session_insert(st, run_id + 7, &sum, 1, 2, NULL, NULL), -1);
	counts_get(st, &c);
	assert_int_equal(c.readings, 0);
	assert_int_equal(c.sessions, 0);
	assert_int_equal(c.holds, 0);
	store_close(st);
}

#define TEST(fn) cmocka_unit_test_setup_teardown(fn, setup, unit_fixture_teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		TEST(test_create_reopen_keeps_data),
		TEST(test_schema_version_in_file_header),
		TEST(test_readonly_open),
		TEST(test_newer_schema_refused),
		TEST(test_not_a_database_refused),
		TEST(test_foreign_sqlite_database_refused),
		TEST(test_missing_folder_refused),
		TEST(test_duplicates_ignored),
		TEST(test_readings_after_in_seq_order_with_holes),
		TEST(test_readings_each_by_mono),
		TEST(test_readings_each_from_seq_0),
		TEST(test_run_progress_round_trip),
		TEST(test_runs_recent),
		TEST(test_session_round_trip),
		TEST(test_zones_round_trip),
		TEST(test_zones_in_points),
		TEST(test_upgrade_from_version_3),
		TEST(test_upgrade_from_version_4),
		TEST(test_published_and_unpublished),
		TEST(test_sessions_each_filters),
		TEST(test_purge_keeps_new_readings_and_sessions),
		TEST(test_hostile_names_stored_verbatim),
		TEST(test_faults_stored_as_json),
		TEST(test_rollback_discards_batch),
		TEST(test_crash_keeps_exactly_the_committed),
		TEST(test_bad_input_refused),
	};

	tests_select();
	return cmocka_run_group_tests(tests, NULL, NULL);
}
