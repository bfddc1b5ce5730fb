/* Tests for sensord/outbox.c, the ring: what comes back after a close or a
 * crash, confirmation by ack and by PUBACK, the bound, lost_after, the send
 * order and resend timing. The segment log under it (record format, damage,
 * pruning) has its own tests, test_outlog.c. Each test works in a fresh
 * folder (unit_fixture_new). */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "select.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "outbox.h"
#include "unit.h"

#define RUN_A "0000000a"
#define RUN_B "0000000b"
#define RUN_C "00112233aabbccdd"
#define RUN_D "fedcba9876543210"

/* path: the log's folder in the test's folder, made by outbox_open. */
static int setup(void **state)
{
	return unit_dir_setup(state, "test_outbox", "outbox");
}

/* outbox_open, failing the test when it cannot. */
static struct outbox *open_ok(const char *dir, size_t max_entries)
{
	struct outbox *ob = outbox_open(dir, max_entries);

	if (!ob)
		fail_msg("outbox_open %s: %s", dir, strerror(errno));
	return ob;
}

/* The payload a test stores for (run, seq); what comes back must equal it. */
static int payload_make(char *buf, size_t len, const char *run, uint64_t seq)
{
	return snprintf(buf, len, "{\"run\":\"%s\",\"seq\":%llu,\"pressure_kpa\":12.41}", run,
			(unsigned long long)seq);
}

static void append_range(struct outbox *ob, const char *run, uint64_t first, uint64_t last)
{
	char buf[128];
	uint64_t seq;
	int len;

	for (seq = first; seq <= last; seq++) {
		len = payload_make(buf, sizeof(buf), run, seq);
		assert_int_equal(outbox_append(ob, run, seq, buf, (size_t)len), 0);
	}
}

struct sent {
	char run[OUTBOX_RUN_LEN + 1];
	uint64_t seq;
	uint64_t id;
	uint64_t lost_after;
};

/* Hands out everything due at time now (marking it sent) and records what
 * came out, checking each payload on the way. Returns the count. */
static size_t drain(struct outbox *ob, double now, struct sent *out, size_t max)
{
	struct outbox_entry *e;
	char buf[128];
	size_t n = 0;
	int len;

	while ((e = outbox_next_to_send(ob, now, INFINITY)) != NULL) {
		assert_true(n < max);
		len = payload_make(buf, sizeof(buf), e->run, e->seq);
		assert_int_equal(e->len, (size_t)len);
		assert_string_equal(e->payload, buf);
		snprintf(out[n].run, sizeof(out[n].run), "%s", e->run);
		out[n].seq = e->seq;
		out[n].id = e->id;
		out[n].lost_after = e->lost_after;
		n++;
		outbox_mark_sent(ob, e, now);
	}
	return n;
}

/* In normal operation nothing is ever lost. */
static void assert_no_loss(const struct sent *s, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		assert_true(s[i].lost_after == OUTBOX_NO_LOSS);
}

static size_t segment_count(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	size_t n = 0;

	if (!d)
		return 0;
	while ((de = readdir(d)) != NULL) {
		if (strncmp(de->d_name, "seg-", 4) == 0)
			n++;
	}
	closedir(d);
	return n;
}

/* The path of the only segment file in dir. */
static void segment_only(const char *dir, char *path, size_t len)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	int found = 0;

	assert_non_null(d);
	while ((de = readdir(d)) != NULL) {
		if (strncmp(de->d_name, "seg-", 4) == 0) {
			snprintf(path, len, "%s/%.*s", dir, 64, de->d_name);
			found++;
		}
	}
	closedir(d);
	assert_int_equal(found, 1);
}

static off_t file_size(const char *path)
{
	struct stat st;

	assert_int_equal(stat(path, &st), 0);
	return st.st_size;
}

static struct outbox_stats stats_of(struct outbox *ob)
{
	struct outbox_stats st;

	outbox_get_stats(ob, &st);
	return st;
}

static void test_reopen_brings_back_unconfirmed_in_order(void **state)
{
	struct unit_dir *fx = *state;
	struct sent s[16];
	struct outbox *ob;
	struct stat st;
	char path[160];
	size_t i, n;
	FILE *f;

	ob = open_ok(fx->path, 100);
	assert_int_equal(stat(fx->path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0700);
	append_range(ob, RUN_A, 1, 10);
	assert_int_equal(outbox_flush(ob), 0);
	assert_int_equal(outbox_ack(ob, RUN_A, 4), 4);
	assert_int_equal(stats_of(ob).depth, 6);
	assert_int_equal(outbox_flush(ob), 0);
	outbox_close(ob);

	/* Somebody else's file in the folder is left alone. */
	snprintf(path, sizeof(path), "%s/notes.txt", fx->path);
	f = fopen(path, "w");
	assert_non_null(f);
	fputs("not a segment\n", f);
	fclose(f);

	ob = open_ok(fx->path, 100);
	assert_int_equal(stats_of(ob).recovered, 6);
	assert_int_equal(stats_of(ob).depth, 6);
	n = drain(ob, 0, s, 16);
	assert_int_equal(n, 6);
	for (i = 0; i < n; i++) {
		assert_string_equal(s[i].run, RUN_A);
		assert_int_equal(s[i].seq, 5 + i);
	}
	assert_no_loss(s, n);
	outbox_close(ob);
	assert_int_equal(access(path, F_OK), 0);
}

static void test_ack_watermark_across_runs(void **state)
{
	struct unit_dir *fx = *state;
	struct sent s[16];
	struct outbox *ob;

	ob = open_ok(fx->path, 100);
	append_range(ob, RUN_A, 1, 5);
	outbox_close(ob);	/* close flushes */

	/* A new start: the old run comes from disk, the new one is appended. */
	ob = open_ok(fx->path, 100);
	assert_int_equal(stats_of(ob).recovered, 5);
	append_range(ob, RUN_B, 1, 3);
	assert_int_equal(outbox_ack(ob, RUN_B, 2), 2);
	assert_int_equal(outbox_ack(ob, RUN_A, 3), 3);
	assert_int_equal(outbox_ack(ob, RUN_A, 3), 0);		/* already confirmed */
	assert_int_equal(outbox_ack(ob, "0000000c", 99), 0);	/* unknown run */
	assert_int_equal(stats_of(ob).confirmed, 5);
	assert_int_equal(outbox_flush(ob), 0);
	outbox_close(ob);

	ob = open_ok(fx->path, 100);
	assert_int_equal(stats_of(ob).recovered, 3);
	/* Old run first, then the new one. */
	assert_int_equal(drain(ob, 0, s, 16), 3);
	assert_string_equal(s[0].run, RUN_A);
	assert_int_equal(s[0].seq, 4);
	assert_string_equal(s[1].run, RUN_A);
	assert_int_equal(s[1].seq, 5);
	assert_string_equal(s[2].run, RUN_B);
	assert_int_equal(s[2].seq, 3);
	assert_no_loss(s, 3);
	outbox_close(ob);
}

/* An ack above the highest seq made for its run is refused: it confirms
 * nothing now, and nothing appended later, in memory or after a restart. */
static void test_ack_above_max_seq_is_refused(void **state)
{
	struct unit_dir *fx = *state;
	const uint64_t bogus = 1000000000000000ull;
	uint64_t max_seq, acked_seq;
	struct sent s[16];
	struct outbox *ob;

	ob = open_ok(fx->path, 100);
	assert_int_equal(outbox_run_info(ob, RUN_A, &max_seq, &acked_seq), -1);
	append_range(ob, RUN_A, 1, 5);
	assert_int_equal(outbox_run_info(ob, RUN_A, &max_seq, &acked_seq), 0);
	assert_int_equal(max_seq, 5);
	assert_int_equal(acked_seq, 0);
	assert_int_equal(outbox_ack(ob, RUN_A, 3), 3);
	assert_int_equal(outbox_ack(ob, RUN_A, bogus), 0);
	assert_int_equal(stats_of(ob).depth, 2);
	assert_int_equal(outbox_run_info(ob, RUN_A, &max_seq, &acked_seq), 0);
	assert_int_equal(acked_seq, 3);
	/* All confirmed: the run has no entries left and is still known. */
	assert_int_equal(outbox_ack(ob, RUN_A, 5), 2);
	assert_int_equal(outbox_run_info(ob, RUN_A, NULL, NULL), 0);
	assert_int_equal(outbox_ack(ob, RUN_A, bogus), 0);
	append_range(ob, RUN_A, 6, 8);
	assert_int_equal(outbox_ack(ob, RUN_A, bogus), 0);
	assert_int_equal(stats_of(ob).depth, 3);
	assert_int_equal(stats_of(ob).confirmed, 5);
	assert_int_equal(outbox_run_info(ob, RUN_A, &max_seq, &acked_seq), 0);
	assert_int_equal(max_seq, 8);
	assert_int_equal(acked_seq, 5);
	/* A run never had, and an id that is not one. */
	assert_int_equal(outbox_ack(ob, "0000000c", 1), 0);
	assert_int_equal(outbox_run_info(ob, "0000000c", NULL, NULL), -1);
	assert_int_equal(outbox_run_info(ob, "0000000A", NULL, NULL), -1);
	assert_int_equal(outbox_flush(ob), 0);
	outbox_close(ob);

	ob = open_ok(fx->path, 100);
	assert_int_equal(stats_of(ob).recovered, 3);
	assert_int_equal(drain(ob, 0, s, 16), 3);
	assert_int_equal(s[0].seq, 6);
	assert_int_equal(s[2].seq, 8);
	assert_int_equal(outbox_run_info(ob, RUN_A, &max_seq, &acked_seq), 0);
	assert_int_equal(max_seq, 8);
	assert_int_equal(acked_seq, 5);
	assert_int_equal(outbox_ack(ob, RUN_A, 9), 0);
	assert_int_equal(outbox_ack(ob, RUN_A, 8), 3);
	outbox_close(ob);
}

/* Runs left without entries are forgotten, oldest first, once several are;
 * the current run is not, even without entries. (A run with entries, or
 * with confirmed entries waiting behind an older unconfirmed one, is not
 * "without entries": it cannot be forgotten.) */
static void test_runs_without_entries_are_bounded(void **state)
{
	struct unit_dir *fx = *state;
	uint64_t max_seq, acked_seq;
	struct outbox *ob;
	char run[16];
	int i, known = 0;

	ob = open_ok(fx->path, 100);
	for (i = 1; i <= 40; i++) {
		snprintf(run, sizeof(run), "%08x", 0x100 + i);
		append_range(ob, run, 7, 7);
		assert_int_equal(outbox_ack(ob, run, 7), 1);
		assert_int_equal(outbox_run_info(ob, run, &max_seq, &acked_seq), 0);
		assert_int_equal(max_seq, 7);
		assert_int_equal(acked_seq, 7);
	}
	for (i = 1; i <= 40; i++) {
		snprintf(run, sizeof(run), "%08x", 0x100 + i);
		if (outbox_run_info(ob, run, NULL, NULL) == 0)
			known++;
		else
			assert_true(i <= 32);	/* the latest 8 are kept */
	}
	assert_true(known >= 8 && known < 40);
	assert_int_equal(outbox_run_info(ob, "00000101", NULL, NULL), -1);
	/* The run appended to last stays known however many runs come and go. */
	append_range(ob, RUN_A, 1, 3);
	assert_int_equal(outbox_ack(ob, RUN_A, 3), 3);
	for (i = 1; i <= 40; i++) {
		snprintf(run, sizeof(run), "%08x", 0x200 + i);
		append_range(ob, run, 1, 1);
		assert_int_equal(outbox_ack(ob, run, 1), 1);
		append_range(ob, RUN_A, 3 + i, 3 + i);
		assert_int_equal(outbox_ack(ob, RUN_A, 3 + i), 1);
	}
	assert_int_equal(outbox_run_info(ob, RUN_A, &max_seq, &acked_seq), 0);
	assert_int_equal(max_seq, 43);
	assert_int_equal(acked_seq, 43);
	assert_int_equal(stats_of(ob).depth, 0);
	outbox_close(ob);
}

static void test_16_digit_runs_round_trip(void **state)
{
	struct unit_dir *fx = *state;
	uint64_t max_seq, acked_seq;
	struct sent s[16];
	struct outbox *ob;

	ob = open_ok(fx->path, 100);
	append_range(ob, RUN_C, 1, 5);
	append_range(ob, RUN_D, 1, 2);
	append_range(ob, RUN_A, 1, 1);
	assert_int_equal(outbox_ack(ob, RUN_C, 2), 2);
	assert_int_equal(outbox_ack(ob, "00112233aabbccd", 5), 0);	/* 15 digits */
	assert_int_equal(outbox_flush(ob), 0);
	outbox_close(ob);

	ob = open_ok(fx->path, 100);
	assert_int_equal(stats_of(ob).recovered, 6);
	assert_int_equal(drain(ob, 0, s, 16), 6);
	assert_string_equal(s[0].run, RUN_C);
	assert_int_equal(s[0].seq, 3);
	assert_string_equal(s[2].run, RUN_C);
	assert_int_equal(s[2].seq, 5);
	assert_string_equal(s[3].run, RUN_D);
	assert_int_equal(s[3].seq, 1);
	assert_string_equal(s[4].run, RUN_D);
	assert_int_equal(s[4].seq, 2);
	assert_string_equal(s[5].run, RUN_A);
	assert_int_equal(outbox_run_info(ob, RUN_C, &max_seq, &acked_seq), 0);
	assert_int_equal(max_seq, 5);
	assert_int_equal(acked_seq, 2);
	assert_int_equal(outbox_run_info(ob, RUN_D, &max_seq, &acked_seq), 0);
	assert_int_equal(max_seq, 2);
	assert_int_equal(acked_seq, 0);
	outbox_close(ob);
}

/* The segment holding a run's last ack is deleted once its readings are all
 * done; the run's state was logged again at the start of the next segment,
 * so a restart still knows how far the collector got. */
static void test_ack_survives_segment_deletion(void **state)
{
	struct unit_dir *fx = *state;
	uint64_t max_seq, acked_seq;
	struct sent s[16];
	struct outbox *ob;

	ob = open_ok(fx->path, 20000);
	append_range(ob, RUN_C, 1, 4095);
	assert_int_equal(outbox_flush(ob), 0);
	/* The ack is the 4096th record: the segment is full after it. */
	assert_int_equal(outbox_ack(ob, RUN_C, 4095), 4095);
	assert_int_equal(outbox_flush(ob), 0);
	append_range(ob, RUN_C, 4096, 4100);
	assert_int_equal(outbox_flush(ob), 0);
	assert_int_equal(segment_count(fx->path), 1);	/* the first one is gone */
	outbox_close(ob);

	ob = open_ok(fx->path, 20000);
	assert_int_equal(stats_of(ob).recovered, 5);
	assert_int_equal(outbox_run_info(ob, RUN_C, &max_seq, &acked_seq), 0);
	assert_int_equal(max_seq, 4100);
	assert_int_equal(acked_seq, 4095);
	/* Without the ack, 4096 would look like a reading after a loss. */
	assert_int_equal(drain(ob, 0, s, 16), 5);
	assert_int_equal(s[0].seq, 4096);
	assert_no_loss(s, 5);
	outbox_close(ob);
}

static void test_puback_out_of_order_then_reopen(void **state)
{
	struct unit_dir *fx = *state;
	/* 20 appended; ids of seq 7, 3, 15, 1, 20, 2 confirmed: the rest, by
	 * hand, is 4-6, 8-14, 16-19. */
	static const uint64_t confirmed_seqs[] = { 7, 3, 15, 1, 20, 2 };
	static const uint64_t left[] = { 4, 5, 6, 8, 9, 10, 11, 12, 13, 14, 16, 17, 18, 19 };
	struct sent s[32], t[32];
	struct outbox *ob;
	size_t i, n;

	ob = open_ok(fx->path, 100);
	append_range(ob, RUN_A, 1, 20);
	assert_int_equal(outbox_flush(ob), 0);
	n = drain(ob, 0, s, 32);
	assert_int_equal(n, 20);
	for (i = 0; i < 6; i++)
		assert_int_equal(outbox_confirm_id(ob, s[confirmed_seqs[i] - 1].id), 1);
	assert_int_equal(outbox_confirm_id(ob, s[2].id), 0);	/* seq 3 again */
	assert_int_equal(outbox_confirm_id(ob, s[19].id + 1000), 0);
	/* Appended and confirmed before any flush: it must not come back. */
	append_range(ob, RUN_A, 21, 21);
	assert_int_equal(drain(ob, 0, t, 32), 1);
	assert_int_equal(outbox_confirm_id(ob, t[0].id), 1);
	assert_int_equal(stats_of(ob).confirmed, 7);
	assert_int_equal(stats_of(ob).depth, 14);
	assert_int_equal(outbox_flush(ob), 0);
	outbox_close(ob);

	ob = open_ok(fx->path, 100);
	assert_int_equal(stats_of(ob).recovered, 14);
	n = drain(ob, 0, t, 32);
	assert_int_equal(n, 14);
	for (i = 0; i < n; i++)
		assert_int_equal(t[i].seq, left[i]);
	outbox_close(ob);
}

/* What the log skipped at open reaches outbox_stats, what is written after
 * the damage is not hidden behind it, and at the next open the held reading
 * after a hole in its run's seqs says what cannot come any more (as does
 * the run's first, nothing being acknowledged). The damage itself, record
 * by record, is test_outlog's. */
static void test_damage_at_open_sets_lost_after(void **state)
{
	struct unit_dir *fx = *state;
	struct outbox_stats st;
	struct sent s[32];
	struct outbox *ob;
	char path[160];
	off_t size, rec;
	size_t i;

	ob = open_ok(fx->path, 100);
	append_range(ob, RUN_A, 10, 19);	/* two-digit seqs: records of one length */
	assert_int_equal(outbox_flush(ob), 0);
	outbox_close(ob);
	segment_only(fx->path, path, sizeof(path));
	size = file_size(path);
	assert_int_equal(size % 10, 0);
	rec = size / 10;

	/* A power cut in the middle of writing the last record (seq 19). */
	assert_int_equal(truncate(path, size - rec / 2), 0);
	ob = open_ok(fx->path, 100);
	st = stats_of(ob);
	assert_int_equal(st.recovered, 9);
	assert_int_equal(st.torn_tails, 1);
	assert_int_equal(st.torn_bytes, rec - rec / 2);
	assert_int_equal(st.corrupt_regions, 0);
	assert_int_equal(st.corrupt_bytes, 0);
	append_range(ob, RUN_A, 20, 21);
	assert_int_equal(outbox_flush(ob), 0);
	outbox_close(ob);

	ob = open_ok(fx->path, 100);
	assert_int_equal(stats_of(ob).torn_tails, 1);
	assert_int_equal(drain(ob, 0, s, 32), 11);
	for (i = 0; i < 11; i++) {
		assert_string_equal(s[i].run, RUN_A);
		assert_int_equal(s[i].seq, i < 9 ? 10 + i : 11 + i);
		if (s[i].seq == 10)
			assert_int_equal(s[i].lost_after, 0);
		else if (s[i].seq == 20)
			assert_int_equal(s[i].lost_after, 18);
		else
			assert_true(s[i].lost_after == OUTBOX_NO_LOSS);
	}
	outbox_close(ob);
}

static void test_full_outbox_drops_oldest(void **state)
{
	struct unit_dir *fx = *state;
	struct sent s[16];
	struct outbox *ob;
	size_t i;

	ob = open_ok(fx->path, 5);
	append_range(ob, RUN_A, 1, 5);
	assert_int_equal(outbox_flush(ob), 0);
	append_range(ob, RUN_A, 6, 8);	/* drops 1, 2, 3, which are on disk */
	assert_int_equal(outbox_next_to_send(ob, 0, INFINITY)->lost_after, 0);
	assert_int_equal(stats_of(ob).depth, 5);
	assert_int_equal(stats_of(ob).dropped, 3);
	assert_int_equal(stats_of(ob).appended, 8);
	assert_int_equal(outbox_flush(ob), 0);
	outbox_close(ob);

	/* The drop is durable: 1-3 do not come back, even with room for them. */
	ob = open_ok(fx->path, 100);
	assert_int_equal(stats_of(ob).recovered, 5);
	assert_int_equal(drain(ob, 0, s, 16), 5);
	for (i = 0; i < 5; i++)
		assert_int_equal(s[i].seq, 4 + i);
	/* ... and 4 says so, after the restart as before it. */
	assert_int_equal(s[0].lost_after, 0);
	assert_no_loss(s + 1, 4);
	outbox_close(ob);
}

/* In normal operation, acks before and after flushes, with a restart
 * between, never set lost_after. */
static void test_lost_after_not_set_in_normal_operation(void **state)
{
	struct unit_dir *fx = *state;
	struct sent s[64];
	struct outbox *ob;

	ob = open_ok(fx->path, 100);
	append_range(ob, RUN_C, 1, 30);
	assert_int_equal(drain(ob, 0, s, 64), 30);
	assert_no_loss(s, 30);
	/* Confirmed before they were ever written. */
	assert_int_equal(outbox_ack(ob, RUN_C, 10), 10);
	assert_int_equal(outbox_flush(ob), 0);
	append_range(ob, RUN_C, 31, 40);
	assert_int_equal(outbox_ack(ob, RUN_C, 35), 25);
	assert_int_equal(outbox_flush(ob), 0);
	assert_int_equal(drain(ob, 0, s, 64), 5);
	assert_no_loss(s, 5);
	outbox_close(ob);

	ob = open_ok(fx->path, 100);
	assert_int_equal(drain(ob, 0, s, 64), 5);
	assert_int_equal(s[0].seq, 36);
	assert_no_loss(s, 5);
	append_range(ob, RUN_D, 1, 5);
	assert_int_equal(outbox_ack(ob, RUN_D, 2), 2);
	assert_int_equal(drain(ob, 0, s, 64), 3);
	assert_no_loss(s, 3);
	outbox_close(ob);

	ob = open_ok(fx->path, 100);
	assert_int_equal(drain(ob, 0, s, 64), 8);
	assert_no_loss(s, 8);
	outbox_close(ob);
}

/* A full outbox drops 2, 3 and 4 of a run whose collector has 1: the next
 * reading sent, 5, carries lost_after 1. */
static void test_lost_after_drop_of_three(void **state)
{
	struct unit_dir *fx = *state;
	struct outbox_entry *e;
	struct sent s[16];
	struct outbox *ob;

	ob = open_ok(fx->path, 5);
	append_range(ob, RUN_C, 1, 5);
	assert_int_equal(outbox_ack(ob, RUN_C, 1), 1);
	append_range(ob, RUN_C, 6, 9);
	assert_int_equal(stats_of(ob).dropped, 3);
	e = outbox_next_to_send(ob, 0, INFINITY);
	assert_non_null(e);
	assert_int_equal(e->seq, 5);
	assert_int_equal(e->lost_after, 1);
	assert_int_equal(drain(ob, 0, s, 16), 5);
	assert_int_equal(s[0].lost_after, 1);
	assert_no_loss(s + 1, 4);
	outbox_close(ob);

	/* The same after a restart, from what the disk says. */
	ob = open_ok(fx->path, 100);
	assert_int_equal(drain(ob, 0, s, 16), 5);
	assert_int_equal(s[0].seq, 5);
	assert_int_equal(s[0].lost_after, 1);
	assert_no_loss(s + 1, 4);
	outbox_close(ob);
}

/* Two runs interleaved in a full outbox: each drop marks the next held
 * entry of its own run, with that run's ack. */
static void test_lost_after_two_runs_interleaved(void **state)
{
	struct unit_dir *fx = *state;
	struct sent s[16];
	struct outbox *ob;

	ob = open_ok(fx->path, 4);
	append_range(ob, RUN_C, 1, 1);
	append_range(ob, RUN_D, 1, 1);
	append_range(ob, RUN_C, 2, 2);
	append_range(ob, RUN_D, 2, 2);
	assert_int_equal(outbox_ack(ob, RUN_D, 1), 1);
	append_range(ob, RUN_C, 3, 3);	/* full */
	append_range(ob, RUN_D, 3, 3);	/* drops C1: C2 gets 0 */
	append_range(ob, RUN_C, 4, 4);	/* drops C2: C3 gets 0 */
	append_range(ob, RUN_D, 4, 4);	/* drops D2: D3 gets 1 */
	assert_int_equal(stats_of(ob).dropped, 3);
	assert_int_equal(drain(ob, 0, s, 16), 4);
	assert_string_equal(s[0].run, RUN_C);
	assert_int_equal(s[0].seq, 3);
	assert_int_equal(s[0].lost_after, 0);
	assert_string_equal(s[1].run, RUN_D);
	assert_int_equal(s[1].seq, 3);
	assert_int_equal(s[1].lost_after, 1);
	assert_int_equal(s[2].seq, 4);
	assert_int_equal(s[3].seq, 4);
	assert_no_loss(s + 2, 2);
	outbox_close(ob);
}

/* A drop of a run's only held reading marks the run's next append. */
static void test_lost_after_goes_to_the_next_append(void **state)
{
	struct unit_dir *fx = *state;
	struct sent s[16];
	struct outbox *ob;

	ob = open_ok(fx->path, 2);
	append_range(ob, RUN_C, 1, 1);
	append_range(ob, RUN_D, 1, 1);
	append_range(ob, RUN_D, 2, 2);	/* drops C1, no C held */
	append_range(ob, RUN_D, 3, 3);	/* drops D1: D2 gets 0 */
	append_range(ob, RUN_C, 2, 2);	/* drops D2: D3 gets 0; C2 gets 0 */
	append_range(ob, RUN_C, 3, 3);	/* drops D3: no D held */
	assert_int_equal(drain(ob, 0, s, 16), 2);
	assert_string_equal(s[0].run, RUN_C);
	assert_int_equal(s[0].seq, 2);
	assert_int_equal(s[0].lost_after, 0);
	assert_int_equal(s[1].seq, 3);
	assert_true(s[1].lost_after == OUTBOX_NO_LOSS);
	/* D's next one, whenever it comes. */
	assert_int_equal(outbox_ack(ob, RUN_C, 3), 2);
	append_range(ob, RUN_D, 4, 4);
	assert_int_equal(drain(ob, 0, s, 16), 1);
	assert_string_equal(s[0].run, RUN_D);
	assert_int_equal(s[0].lost_after, 0);
	append_range(ob, RUN_D, 5, 5);
	assert_int_equal(drain(ob, 0, s, 16), 1);
	assert_true(s[0].lost_after == OUTBOX_NO_LOSS);
	outbox_close(ob);
}

/* At open: a damaged first reading after the ack, and readings dropped
 * while loading (room for fewer than the disk holds). */
static void test_lost_after_at_open(void **state)
{
	struct unit_dir *fx = *state;
	struct sent s[16];
	struct outbox *ob;
	char path[160];
	off_t rec;
	int fd;

	ob = open_ok(fx->path, 100);
	append_range(ob, RUN_A, 11, 20);
	assert_int_equal(outbox_flush(ob), 0);
	segment_only(fx->path, path, sizeof(path));
	rec = file_size(path) / 10;
	assert_int_equal(outbox_ack(ob, RUN_A, 13), 3);
	outbox_close(ob);
	/* A byte of seq 14's payload changed: its CRC no longer matches. */
	fd = open(path, O_WRONLY);
	assert_true(fd >= 0);
	assert_int_equal(pwrite(fd, "#", 1, 3 * rec + rec / 2), 1);
	close(fd);

	ob = open_ok(fx->path, 100);
	assert_int_equal(stats_of(ob).corrupt_regions, 1);
	assert_int_equal(drain(ob, 0, s, 16), 6);
	assert_int_equal(s[0].seq, 15);
	assert_int_equal(s[0].lost_after, 13);
	assert_no_loss(s + 1, 5);
	outbox_close(ob);

	/* Room for 4: 15 and 16 are dropped once the log is read (11-13,
	 * whose ack comes later in the log, are confirmed by then: nothing
	 * that was confirmed counts as dropped). */
	ob = open_ok(fx->path, 4);
	assert_int_equal(stats_of(ob).dropped, 2);
	assert_int_equal(drain(ob, 0, s, 16), 4);
	assert_int_equal(s[0].seq, 17);
	assert_int_equal(s[0].lost_after, 13);
	assert_no_loss(s + 1, 3);
	outbox_close(ob);
}

static void test_send_order_and_resend_timing(void **state)
{
	struct unit_dir *fx = *state;
	struct outbox_entry *e;
	struct outbox *ob;
	uint64_t id2 = 0;

	ob = open_ok(fx->path, 100);
	append_range(ob, RUN_A, 1, 3);
	for (uint64_t seq = 1; seq <= 3; seq++) {
		e = outbox_next_to_send(ob, 0, 30);
		assert_non_null(e);
		assert_int_equal(e->seq, seq);
		assert_true(e->sent_at < 0);
		if (seq == 2)
			id2 = e->id;
		outbox_mark_sent(ob, e, 0);
	}
	/* Sent at 0 with resend_s 30: not due at 29.9, due at 30.1. */
	assert_null(outbox_next_to_send(ob, 29.9, 30));
	e = outbox_next_to_send(ob, 30.1, 30);
	assert_non_null(e);
	assert_int_equal(e->seq, 1);
	assert_true(e->sent_at == 0);
	outbox_mark_sent(ob, e, 30.1);
	/* 2 was confirmed meanwhile: 3 is next. */
	assert_int_equal(outbox_confirm_id(ob, id2), 1);
	e = outbox_next_to_send(ob, 30.1, 30);
	assert_non_null(e);
	assert_int_equal(e->seq, 3);
	outbox_mark_sent(ob, e, 30.1);
	assert_null(outbox_next_to_send(ob, 30.1, 30));
	/* 1 resent at 30.1 is due again after 60.1, not before. */
	assert_null(outbox_next_to_send(ob, 60.0, 30));
	e = outbox_next_to_send(ob, 60.2, 30);
	assert_non_null(e);
	assert_int_equal(e->seq, 1);
	outbox_close(ob);
}

static void test_reset_sent_resends_from_oldest(void **state)
{
	struct unit_dir *fx = *state;
	struct sent s[16];
	struct outbox *ob;

	ob = open_ok(fx->path, 100);
	append_range(ob, RUN_A, 1, 4);
	assert_int_equal(drain(ob, 0, s, 16), 4);
	assert_int_equal(drain(ob, 1, s, 16), 0);	/* all in flight */
	assert_int_equal(outbox_confirm_id(ob, s[1].id), 1);
	outbox_reset_sent(ob);
	assert_int_equal(drain(ob, 1, s, 16), 3);
	assert_int_equal(s[0].seq, 1);
	assert_int_equal(s[1].seq, 3);
	assert_int_equal(s[2].seq, 4);
	outbox_close(ob);
}

/* The outbox a child leaves open when it exits, on purpose: held here, it
 * stays reachable and valgrind does not count it as a leak (volatile: the
 * store must not be optimised away). */
static struct outbox *volatile child_ob;

/* For a child: the outbox at path (room for 1000) with 1-n appended and
 * flushed; NULL if that failed. */
static struct outbox *open_flushed(const char *path, uint64_t n)
{
	struct outbox *ob = child_ob = outbox_open(path, 1000);

	if (ob)
		append_range(ob, RUN_A, 1, n);
	if (ob && outbox_flush(ob) != 0)
		return NULL;
	return ob;
}

/* In a child, a daemon that dies without closing: 1-100 flushed, 101-150
 * not. */
static int crash_with_unflushed(void *path)
{
	struct outbox *ob = open_flushed(path, 100);

	if (!ob)
		return 2;
	append_range(ob, RUN_A, 101, 150);
	return 0;
}

/* After a child's run: the outbox at path, reopened, brings back n
 * readings, seq first to first + n - 1 in order, none marked lost. */
static void expect_recovered(const char *path, size_t n, uint64_t first)
{
	struct sent s[256];
	struct outbox *ob = open_ok(path, 1000);
	size_t i;

	assert_int_equal(stats_of(ob).recovered, n);
	assert_int_equal(drain(ob, 0, s, 256), n);
	for (i = 0; i < n; i++)
		assert_int_equal(s[i].seq, first + i);
	assert_no_loss(s, n);
	outbox_close(ob);
}

static void test_crash_loses_only_unflushed(void **state)
{
	struct unit_dir *fx = *state;

	unit_in_child(crash_with_unflushed, fx->path);
	expect_recovered(fx->path, 100, 1);
}

/* In a child: 1-10 flushed; 11-110 refused by the file size limit; 1-105
 * acknowledged; with the limit lifted the rest (106-110) flushed, then
 * 111-120. */
static int flush_past_size_limit(void *path)
{
	struct outbox *ob = open_flushed(path, 10);

	if (!ob)
		return 2;
	/* Ten records fit under 4000 bytes, a hundred more do not. */
	if (unit_file_size_limit(4000) != 0)
		return 4;
	append_range(ob, RUN_A, 11, 110);
	if (outbox_flush(ob) != -EFBIG)
		return 5;
	if (outbox_ack(ob, RUN_A, 105) != 105)
		return 6;
	if (unit_file_size_limit(0) != 0)
		return 7;
	if (outbox_flush(ob) != 0)
		return 8;
	append_range(ob, RUN_A, 111, 120);
	if (outbox_flush(ob) != 0)
		return 9;
	return 0;
}

/* A flush that fails halfway (the file size limit stands in for a full
 * card) returns the error and keeps everything queued. The retry, shorter
 * because most was acknowledged meanwhile, must not leave the first try's
 * partial records behind it, where they would hide the later batches. */
static void test_failed_flush_is_retried(void **state)
{
	struct unit_dir *fx = *state;

	unit_in_child(flush_past_size_limit, fx->path);
	expect_recovered(fx->path, 15, 106);
}

static void test_done_segments_removed(void **state)
{
	struct unit_dir *fx = *state;
	struct outbox *ob;
	uint64_t seq;

	ob = open_ok(fx->path, 20000);
	/* Flushing every 100 readings: a segment is closed after the batch
	 * that takes it to 4096 records, i.e. at 4100; 10000 readings make
	 * segments of 4100, 4100 and 1800. */
	for (seq = 1; seq <= 10000; seq += 100) {
		append_range(ob, RUN_A, seq, seq + 99);
		assert_int_equal(outbox_flush(ob), 0);
	}
	assert_int_equal(segment_count(fx->path), 3);
	/* The first segment is all done, the second is not. */
	assert_int_equal(outbox_ack(ob, RUN_A, 5000), 5000);
	assert_int_equal(outbox_flush(ob), 0);
	assert_int_equal(segment_count(fx->path), 2);
	/* Everything done: only the active segment stays ... */
	assert_int_equal(outbox_ack(ob, RUN_A, 10000), 5000);
	assert_int_equal(outbox_flush(ob), 0);
	assert_int_equal(segment_count(fx->path), 1);
	/* ... until a close with nothing left. */
	outbox_close(ob);
	assert_int_equal(segment_count(fx->path), 0);

	ob = open_ok(fx->path, 20000);
	assert_int_equal(stats_of(ob).recovered, 0);
	outbox_close(ob);
}

static void test_flush_writes_only_changes(void **state)
{
	struct unit_dir *fx = *state;
	struct outbox *ob;
	char path[160];
	off_t size;

	ob = open_ok(fx->path, 100);
	assert_int_equal(outbox_flush(ob), 0);
	assert_int_equal(stats_of(ob).flushes, 0);
	assert_int_equal(segment_count(fx->path), 0);
	append_range(ob, RUN_A, 1, 3);
	assert_int_equal(outbox_flush(ob), 0);
	assert_int_equal(stats_of(ob).flushes, 1);
	segment_only(fx->path, path, sizeof(path));
	size = file_size(path);
	assert_int_equal(outbox_flush(ob), 0);
	assert_int_equal(stats_of(ob).flushes, 1);
	assert_int_equal(file_size(path), size);
	/* A confirmation is a change; it grows the log. */
	assert_int_equal(outbox_ack(ob, RUN_A, 1), 1);
	assert_int_equal(outbox_flush(ob), 0);
	assert_int_equal(stats_of(ob).flushes, 2);
	assert_true(file_size(path) > size);
	outbox_close(ob);
}

static void test_open_and_append_errors(void **state)
{
	struct unit_dir *fx = *state;
	struct outbox *ob, *second;
	char path[160];
	FILE *f;

	errno = 0;
	assert_null(outbox_open(fx->path, 0));
	assert_int_equal(errno, EINVAL);

	/* A regular file where a folder should be. */
	snprintf(path, sizeof(path), "%s/file", fx->dir);
	f = fopen(path, "w");
	assert_non_null(f);
	fclose(f);
	snprintf(path, sizeof(path), "%s/file/outbox", fx->dir);
	errno = 0;
	assert_null(outbox_open(path, 10));
	assert_int_equal(errno, ENOTDIR);

	ob = open_ok(fx->path, 10);
	errno = 0;
	second = outbox_open(fx->path, 10);
	assert_null(second);
	assert_int_equal(errno, EBUSY);

	assert_int_equal(outbox_append(ob, "3F9C2A1E", 1, "{}", 2), -EINVAL);	/* upper case */
	assert_int_equal(outbox_append(ob, "3f9c2a1", 1, "{}", 2), -EINVAL);	/* 7 digits */
	assert_int_equal(outbox_append(ob, "3f9c2a1e", 1, "{}", 2), 0);
	assert_int_equal(outbox_append(ob, "3f9c2a1e3f9c2a1e", 1, "{}", 2), 0);
	assert_int_equal(outbox_append(ob, "3f9c2a1e3f9c2a1", 1, "{}", 2), -EINVAL);
	assert_int_equal(outbox_append(ob, "3f9c2a1e3f9c2a1e0", 1, "{}", 2), -EINVAL);
	assert_int_equal(outbox_append(ob, "3f9c2a1e3f9c", 1, "{}", 2), -EINVAL);
	assert_int_equal(outbox_append(ob, "3F9C2A1E3F9C2A1E", 1, "{}", 2), -EINVAL);
	assert_int_equal(outbox_append(ob, "3f9c2a1e3f9c2a1g", 1, "{}", 2), -EINVAL);
	assert_int_equal(stats_of(ob).depth, 2);
	outbox_close(ob);
	outbox_close(NULL);
}

static void test_200000_round_trip(void **state)
{
	struct unit_dir *fx = *state;
	struct outbox_entry *e;
	struct outbox *ob;
	char buf[128];
	uint64_t seq;
	int len;

	ob = open_ok(fx->path, 250000);
	for (seq = 1; seq <= 200000; seq += 1000) {
		append_range(ob, RUN_A, seq, seq + 999);
		assert_int_equal(outbox_flush(ob), 0);
	}
	outbox_close(ob);

	ob = open_ok(fx->path, 250000);
	assert_int_equal(stats_of(ob).recovered, 200000);
	for (seq = 1; seq <= 200000; seq++) {
		e = outbox_next_to_send(ob, 0, INFINITY);
		assert_non_null(e);
		assert_int_equal(e->seq, seq);
		len = payload_make(buf, sizeof(buf), RUN_A, seq);
		assert_int_equal(e->len, (size_t)len);
		assert_memory_equal(e->payload, buf, (size_t)len);
		assert_true(e->lost_after == OUTBOX_NO_LOSS);
		outbox_mark_sent(ob, e, 0);
	}
	assert_null(outbox_next_to_send(ob, 0, INFINITY));
	assert_int_equal(outbox_ack(ob, RUN_A, 200000), 200000);
	assert_int_equal(stats_of(ob).depth, 0);
	outbox_close(ob);
	assert_int_equal(segment_count(fx->path), 0);
}

#define TEST(fn) cmocka_unit_test_setup_teardown(fn, setup, unit_fixture_teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		TEST(test_reopen_brings_back_unconfirmed_in_order),
		TEST(test_ack_watermark_across_runs),
		TEST(test_ack_above_max_seq_is_refused),
		TEST(test_runs_without_entries_are_bounded),
		TEST(test_16_digit_runs_round_trip),
		TEST(test_ack_survives_segment_deletion),
		TEST(test_puback_out_of_order_then_reopen),
		TEST(test_damage_at_open_sets_lost_after),
		TEST(test_full_outbox_drops_oldest),
		TEST(test_lost_after_not_set_in_normal_operation),
		TEST(test_lost_after_drop_of_three),
		TEST(test_lost_after_two_runs_interleaved),
		TEST(test_lost_after_goes_to_the_next_append),
		TEST(test_lost_after_at_open),
		TEST(test_send_order_and_resend_timing),
		TEST(test_reset_sent_resends_from_oldest),
		TEST(test_crash_loses_only_unflushed),
		TEST(test_failed_flush_is_retried),
		TEST(test_done_segments_removed),
		TEST(test_flush_writes_only_changes),
		TEST(test_open_and_append_errors),
		TEST(test_200000_round_trip),
	};

	tests_select();
	return cmocka_run_group_tests(tests, NULL, NULL);
}
