/* Tests for sensord/outlog.c, the outbox's segment log, driven through
 * outlog.h: the record format and its CRC, 0.1.0's records, what replay
 * hands back after a torn tail or damage in the middle, copies left by a
 * failed write, pruning, a write cut short, and the folder's lock. Each test
 * works in a fresh folder (unit_fixture_new); records are built by hand with the test's
 * own CRC where the format itself is under test. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "select.h"

#include <errno.h>
#include <fcntl.h>
#include <glob.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "outlog.h"
#include "unit.h"

#define RUN_A "0000000a"
#define RUN_OLD "3f9c2a1e"		/* an 8-digit run as 0.1.0 made them */
#define RUN_C "00112233aabbccdd"
#define MAX_RECORDS 64

/* What a replay handed over, payloads copied out of the log's buffer. */
struct replayed {
	size_t n;
	struct outlog_record rec[MAX_RECORDS];
	char payload[MAX_RECORDS][128];
	struct outlog_damage damage;
	uint64_t next_id;
};

/* path: the log's folder in the test's folder, made by outlog_open. */
static int fixture_make(void **state)
{
	return unit_dir_setup(state, "test_outlog", "outbox");
}

static int collect(void *ctx, const struct outlog_record *rec)
{
	struct replayed *r = ctx;

	assert_true(r->n < MAX_RECORDS);
	r->rec[r->n] = *rec;
	assert_true(rec->plen < sizeof(r->payload[0]));
	if (rec->plen)
		memcpy(r->payload[r->n], rec->payload, rec->plen);
	r->payload[r->n][rec->plen] = '\0';
	r->rec[r->n].payload = NULL;
	r->n++;
	return 0;
}

/* Replays the open log into *r. */
static void replay_log(struct outlog *log, struct replayed *r)
{
	memset(r, 0, sizeof(*r));
	assert_int_equal(outlog_replay(log, collect, r, &r->damage, &r->next_id), 0);
}

/* Opens the log in dir, replays it into *r and closes it. */
static void replay(const char *dir, struct replayed *r)
{
	struct outlog *log = outlog_open(dir);

	assert_non_null(log);
	replay_log(log, r);
	outlog_close(log);
}

static void assert_run_state(const struct outlog_record *rec, const char *run, uint64_t acked_seq,
			     uint64_t max_seq)
{
	assert_int_equal(rec->kind, OUTLOG_RUN_STATE);
	assert_string_equal(rec->run, run);
	assert_int_equal(rec->seq, acked_seq);
	assert_int_equal(rec->max_seq, max_seq);
}

/* How many segment files dir holds; path gets the first one's. */
static size_t segments(const char *dir, char *path, size_t len)
{
	char pattern[160];
	glob_t g;
	size_t n;

	snprintf(pattern, sizeof(pattern), "%s/seg-*.log", dir);
	if (glob(pattern, 0, NULL, &g) != 0)
		return 0;
	n = g.gl_pathc;
	if (path)
		snprintf(path, len, "%s", g.gl_pathv[0]);
	globfree(&g);
	return n;
}

static off_t size_of(const char *path)
{
	struct stat st;

	assert_int_equal(stat(path, &st), 0);
	return st.st_size;
}

/* The payload the tests store for (run, seq); the log does not read it. */
static int payload_make(char *buf, size_t len, const char *run, uint64_t seq)
{
	return snprintf(buf, len, "reading %s/%llu", run, (unsigned long long)seq);
}

/* Adds readings seq first..last of run to the batch, with id = seq. */
static void batch_readings(struct outlog *log, const char *run, uint64_t first, uint64_t last)
{
	char buf[64];

	for (uint64_t seq = first; seq <= last; seq++)
		assert_int_equal(outlog_batch_reading(log, seq, seq, run, buf,
						      (size_t)payload_make(buf, sizeof(buf), run, seq)),
				 0);
}

/* Writes readings first..last of run (two-digit seqs: records of one
 * length) to a fresh log in dir as one batch, synced, and closes it. path
 * gets the segment's; returns the length of a record. */
static off_t log_of_readings(const char *dir, const char *run, uint64_t first, uint64_t last,
			     char *path, size_t len)
{
	struct outlog *log = outlog_open(dir);
	off_t size;

	assert_non_null(log);
	outlog_batch_begin(log);
	batch_readings(log, run, first, last);
	assert_int_equal(outlog_batch_write(log), 0);
	assert_int_equal(outlog_sync(log), 1);
	outlog_close(log);
	assert_int_equal(segments(dir, path, len), 1);
	size = size_of(path);
	assert_int_equal(size % (off_t)(last - first + 1), 0);
	return size / (off_t)(last - first + 1);
}

/* CRC-32 (IEEE 802.3, reflected), bit by bit: the test's own. */
static uint32_t test_crc32(uint32_t crc, const unsigned char *p, size_t n)
{
	size_t i;
	int k;

	crc = ~crc;
	for (i = 0; i < n; i++) {
		crc ^= p[i];
		for (k = 0; k < 8; k++)
			crc = (crc >> 1) ^ (0xEDB88320u & (0u - (crc & 1)));
	}
	return ~crc;
}

static void le_put(unsigned char *p, uint64_t v, int bytes)
{
	for (int i = 0; i < bytes; i++)
		p[i] = (unsigned char)(v >> (8 * i));
}

static uint64_t le_get(const unsigned char *p, int bytes)
{
	uint64_t v = 0;

	while (bytes--)
		v = (v << 8) | p[bytes];
	return v;
}

/* Appends one record (length, CRC of length and body, body) to f. */
static void record_write(FILE *f, const unsigned char *body, size_t len)
{
	unsigned char hdr[8];

	le_put(hdr, len, 4);
	le_put(hdr + 4, test_crc32(test_crc32(0, hdr, 4), body, len), 4);
	assert_int_equal(fwrite(hdr, 1, 8, f), 8);
	assert_int_equal(fwrite(body, 1, len, f), len);
}

/* A 0.1.0 reading: 'R' | u64 id | u64 seq | 8 bytes run | payload. */
static void record_write_r(FILE *f, uint64_t id, const char *run, uint64_t seq)
{
	unsigned char body[256];
	int len;

	body[0] = 'R';
	le_put(body + 1, id, 8);
	le_put(body + 9, seq, 8);
	memcpy(body + 17, run, 8);
	len = payload_make((char *)body + 25, sizeof(body) - 25, run, seq);
	record_write(f, body, 25 + (size_t)len);
}

/* A 0.1.0 ack: 'A' | 8 bytes run | u64 seq. */
static void record_write_a(FILE *f, const char *run, uint64_t seq)
{
	unsigned char body[17];

	body[0] = 'A';
	memcpy(body + 1, run, 8);
	le_put(body + 9, seq, 8);
	record_write(f, body, sizeof(body));
}

/* Opens segment number num of the folder dir for writing, making the
 * folder. */
static FILE *segment_create(const char *dir, unsigned num)
{
	char path[200];
	FILE *f;

	assert_true(mkdir(dir, 0700) == 0 || errno == EEXIST);
	snprintf(path, sizeof(path), "%s/seg-%016x.log", dir, num);
	f = fopen(path, "wb");
	assert_non_null(f);
	return f;
}

/* The byte at off of the file at path is xor-ed with mask. */
static void byte_flip(const char *path, off_t off, unsigned char mask)
{
	unsigned char byte;
	int fd = open(path, O_RDWR);

	assert_true(fd >= 0);
	assert_int_equal(pread(fd, &byte, 1, off), 1);
	byte ^= mask;
	assert_int_equal(pwrite(fd, &byte, 1, off), 1);
	close(fd);
}

/* Overwrites the little-endian u32 at off of the file at path. */
static void u32_poke(const char *path, off_t off, uint32_t v)
{
	unsigned char b[4];
	int fd = open(path, O_RDWR);

	assert_true(fd >= 0);
	le_put(b, v, 4);
	assert_int_equal(pwrite(fd, b, 4, off), 4);
	close(fd);
}

/* Asserts that r holds readings of run with exactly the seqs in want. */
static void assert_readings(const struct replayed *r, const char *run, const uint64_t *want,
			    size_t n)
{
	char buf[128];
	size_t i;

	assert_int_equal(r->n, n);
	for (i = 0; i < n; i++) {
		assert_int_equal(r->rec[i].kind, OUTLOG_READING);
		assert_string_equal(r->rec[i].run, run);
		assert_int_equal(r->rec[i].seq, want[i]);
		payload_make(buf, sizeof(buf), run, want[i]);
		assert_string_equal(r->payload[i], buf);
	}
}

/* The bytes on disk, record by record, as the format comment in outlog.c
 * says: u32 body_len | u32 crc of the length and the body | body. */
static void test_record_layout_and_crc(void **state)
{
	struct unit_dir *fx = *state;
	unsigned char buf[512];
	struct replayed r;
	struct outlog *log;
	char path[160];
	size_t got, off = 0, len;
	FILE *f;

	/* The test's CRC against the standard check value. */
	assert_int_equal(test_crc32(0, (const unsigned char *)"123456789", 9), 0xCBF43926u);

	log = outlog_open(fx->path);
	assert_non_null(log);
	assert_true(outlog_segment_full(log));	/* no active segment yet */
	outlog_batch_begin(log);
	assert_int_equal(outlog_batch_reading(log, 7, 3, RUN_C, "{}", 2), 0);
	assert_int_equal(outlog_batch_done(log, 5, 2), 0);
	assert_int_equal(outlog_batch_run_state(log, RUN_OLD, 2, 3), 0);
	assert_int_equal(outlog_batch_write(log), 0);
	assert_false(outlog_segment_full(log));
	assert_int_equal(outlog_sync(log), 1);
	outlog_close(log);

	assert_int_equal(segments(fx->path, path, sizeof(path)), 1);
	assert_non_null(strstr(path, "/seg-0000000000000001.log"));
	f = fopen(path, "rb");
	assert_non_null(f);
	got = fread(buf, 1, sizeof(buf), f);
	fclose(f);
	/* 'S' id seq run_len run payload; 'C' first count; 'K' run_len run acked max. */
	assert_int_equal(got, (8 + 18 + 16 + 2) + (8 + 13) + (8 + 18 + 8));
	while (off < got) {
		len = (size_t)le_get(buf + off, 4);
		assert_int_equal(le_get(buf + off + 4, 4),
				 test_crc32(test_crc32(0, buf + off, 4), buf + off + 8, len));
		off += 8 + len;
	}
	assert_int_equal(off, got);
	assert_int_equal(buf[8], 'S');
	assert_int_equal(le_get(buf + 9, 8), 7);
	assert_int_equal(le_get(buf + 17, 8), 3);
	assert_int_equal(buf[25], 16);
	assert_memory_equal(buf + 26, RUN_C, 16);
	assert_memory_equal(buf + 42, "{}", 2);
	assert_int_equal(buf[52], 'C');
	assert_int_equal(le_get(buf + 53, 8), 5);
	assert_int_equal(le_get(buf + 61, 4), 2);
	assert_int_equal(buf[73], 'K');
	assert_int_equal(buf[74], 8);
	assert_memory_equal(buf + 75, RUN_OLD, 8);
	assert_int_equal(le_get(buf + 83, 8), 2);
	assert_int_equal(le_get(buf + 91, 8), 3);

	replay(fx->path, &r);
	assert_int_equal(r.n, 3);
	assert_int_equal(r.rec[0].kind, OUTLOG_READING);
	assert_int_equal(r.rec[0].id, 7);
	assert_string_equal(r.payload[0], "{}");
	assert_int_equal(r.rec[1].kind, OUTLOG_DONE);
	assert_int_equal(r.rec[1].first, 5);
	assert_int_equal(r.rec[1].count, 2);
	assert_run_state(&r.rec[2], RUN_OLD, 2, 3);
	assert_int_equal(r.next_id, 8);
	assert_int_equal(r.damage.corrupt_regions + r.damage.torn_tails, 0);
}

/* A log left by 0.1.0 ('R' and 'A' records, 8-digit runs) replays as
 * readings and run states, an ack implying a max_seq as high; what is
 * written after it goes to a new segment, and an 8-digit run stays 8. */
static void test_old_format_replayed(void **state)
{
	struct unit_dir *fx = *state;
	struct replayed r;
	struct outlog *log;
	FILE *f;

	f = segment_create(fx->path, 1);
	record_write_r(f, 1, RUN_OLD, 1);
	record_write_r(f, 2, RUN_OLD, 2);
	record_write_a(f, RUN_OLD, 2);
	fclose(f);

	log = outlog_open(fx->path);
	assert_non_null(log);
	replay_log(log, &r);
	assert_int_equal(r.n, 3);
	assert_int_equal(r.rec[0].kind, OUTLOG_READING);
	assert_string_equal(r.rec[0].run, RUN_OLD);
	assert_int_equal(r.rec[1].id, 2);
	assert_int_equal(r.rec[1].seq, 2);
	assert_run_state(&r.rec[2], RUN_OLD, 2, 2);
	assert_int_equal(r.next_id, 3);
	/* An open never appends to an old file. */
	assert_true(outlog_segment_full(log));
	outlog_batch_begin(log);
	assert_int_equal(outlog_batch_run_state(log, RUN_OLD, 3, 4), 0);
	assert_int_equal(outlog_batch_write(log), 0);
	assert_int_equal(outlog_sync(log), 1);
	outlog_close(log);
	assert_int_equal(segments(fx->path, NULL, 0), 2);

	replay(fx->path, &r);
	assert_int_equal(r.n, 4);
	assert_run_state(&r.rec[3], RUN_OLD, 3, 4);
}

static void test_torn_tail_keeps_intact_prefix(void **state)
{
	static const uint64_t nine[] = { 10, 11, 12, 13, 14, 15, 16, 17, 18 };
	static const uint64_t eight[] = { 10, 11, 12, 13, 14, 16, 17, 18 };
	struct unit_dir *fx = *state;
	struct replayed r;
	char path[160];
	off_t size, rec;

	rec = log_of_readings(fx->path, RUN_A, 10, 19, path, sizeof(path));
	size = 10 * rec;

	/* A power cut in the middle of writing the last record. */
	assert_int_equal(truncate(path, size - rec / 2), 0);
	replay(fx->path, &r);
	assert_readings(&r, RUN_A, nine, 9);
	assert_int_equal(r.damage.torn_tails, 1);
	assert_int_equal(r.damage.torn_bytes, rec - rec / 2);
	assert_int_equal(r.damage.corrupt_regions, 0);
	assert_int_equal(r.damage.corrupt_bytes, 0);

	/* One flipped bit in the payload of the 6th record (seq 15): that
	 * record is skipped and counted, the three whole ones after it come. */
	byte_flip(path, 5 * rec + rec / 2, 0x10);
	replay(fx->path, &r);
	assert_readings(&r, RUN_A, eight, 8);
	assert_int_equal(r.damage.corrupt_regions, 1);
	assert_int_equal(r.damage.corrupt_bytes, rec);
	assert_int_equal(r.damage.torn_tails, 1);
	assert_int_equal(r.damage.torn_bytes, rec - rec / 2);
}

static void test_two_damaged_regions_in_one_segment(void **state)
{
	static const uint64_t want[] = { 10, 11, 12, 13, 15, 16, 17, 18, 19, 20,
					 23, 24, 25, 26, 27, 28, 29 };
	struct unit_dir *fx = *state;
	struct replayed r;
	char path[160];
	off_t rec;

	rec = log_of_readings(fx->path, RUN_A, 10, 29, path, sizeof(path));
	/* The body of seq 14; then seq 21's CRC and seq 22's length, side by
	 * side: one region of two records. */
	byte_flip(path, 4 * rec + rec / 2, 0x01);
	byte_flip(path, 11 * rec + 5, 0x80);
	u32_poke(path, 12 * rec, 3);
	replay(fx->path, &r);
	assert_readings(&r, RUN_A, want, 17);
	assert_int_equal(r.damage.corrupt_regions, 2);
	assert_int_equal(r.damage.corrupt_bytes, 3 * rec);
	assert_int_equal(r.damage.torn_tails, 0);
	assert_int_equal(r.damage.torn_bytes, 0);
}

/* A damaged length pointing past the end of the file: in the middle it is a
 * corrupt region (the records after it come back), at the last record a
 * torn tail. */
static void test_length_past_end_of_file(void **state)
{
	static const uint64_t want[] = { 10, 11, 12, 13, 14, 15, 17, 18, 19, 20, 21, 22, 23,
					 24, 25, 26, 27, 28 };
	struct unit_dir *fx = *state;
	struct replayed r;
	char path[160];
	off_t rec;

	rec = log_of_readings(fx->path, RUN_A, 10, 29, path, sizeof(path));
	u32_poke(path, 6 * rec, 60000);		/* seq 16 */
	replay(fx->path, &r);
	assert_int_equal(r.n, 19);
	assert_int_equal(r.damage.corrupt_regions, 1);
	assert_int_equal(r.damage.corrupt_bytes, rec);
	assert_int_equal(r.damage.torn_tails, 0);

	u32_poke(path, 19 * rec, 60000);	/* seq 29, the last */
	replay(fx->path, &r);
	assert_readings(&r, RUN_A, want, 18);
	assert_int_equal(r.damage.corrupt_regions, 1);
	assert_int_equal(r.damage.corrupt_bytes, rec);
	assert_int_equal(r.damage.torn_tails, 1);
	assert_int_equal(r.damage.torn_bytes, rec);
}

/* A resync takes only a record this version knows, with sane fields and a
 * good CRC: records that are nearly right stay in the skipped region. In
 * sequence (not after damage), a record of an unknown type with a good CRC
 * is skipped quietly: room for later versions. */
static void test_resync_takes_no_garbage(void **state)
{
	static const uint64_t want[] = { 1, 3, 4 };
	struct unit_dir *fx = *state;
	unsigned char body[64];
	struct replayed r;
	long before, after;
	FILE *f;

	memset(body, 0, sizeof(body));
	f = segment_create(fx->path, 1);
	record_write_r(f, 1, RUN_OLD, 1);
	before = ftell(f);
	/* A good CRC, but the run is not lowercase hex. */
	body[0] = 'R';
	le_put(body + 1, 2, 8);
	le_put(body + 9, 2, 8);
	memcpy(body + 17, "3F9C2A1E{}", 10);
	record_write(f, body, 27);
	/* A good CRC, but acked above max. */
	body[0] = 'K';
	body[1] = 8;
	memcpy(body + 2, RUN_OLD, 8);
	le_put(body + 10, 9, 8);
	le_put(body + 18, 5, 8);
	record_write(f, body, 26);
	/* A good CRC, of a type unknown here. */
	body[0] = 'Z';
	record_write(f, body, 26);
	/* Id 0, which no reading has. */
	body[0] = 'R';
	le_put(body + 1, 0, 8);
	memcpy(body + 17, RUN_OLD, 8);
	record_write(f, body, 27);
	/* A well-formed 'A' whose CRC does not match. */
	le_put(body, 17, 4);
	le_put(body + 4, 0x12345678, 4);
	body[8] = 'A';
	memcpy(body + 9, RUN_OLD, 8);
	le_put(body + 17, 1, 8);
	assert_int_equal(fwrite(body, 1, 25, f), 25);
	after = ftell(f);
	record_write_r(f, 3, RUN_OLD, 3);
	/* In sequence: an unknown type is skipped without a word. */
	body[0] = 'Z';
	record_write(f, body, 40);
	record_write_r(f, 4, RUN_OLD, 4);
	fclose(f);

	replay(fx->path, &r);
	assert_readings(&r, RUN_OLD, want, 3);
	assert_int_equal(r.damage.corrupt_regions, 1);
	assert_int_equal(r.damage.corrupt_bytes, after - before);
	assert_int_equal(r.damage.torn_tails, 0);
}

/* A reading whose id is not above every id before it is a copy a failed
 * write left: replay skips it. A done range raises next_id too. */
static void test_copies_skipped(void **state)
{
	static const uint64_t want[] = { 1, 2, 3 };
	struct unit_dir *fx = *state;
	struct replayed r;
	struct outlog *log;

	log = outlog_open(fx->path);
	assert_non_null(log);
	outlog_batch_begin(log);
	batch_readings(log, RUN_A, 1, 2);
	assert_int_equal(outlog_batch_write(log), 0);
	outlog_batch_begin(log);
	batch_readings(log, RUN_A, 2, 3);
	assert_int_equal(outlog_batch_write(log), 0);
	assert_int_equal(outlog_sync(log), 1);
	outlog_close(log);
	replay(fx->path, &r);
	assert_readings(&r, RUN_A, want, 3);
	assert_int_equal(r.next_id, 4);

	log = outlog_open(fx->path);
	assert_non_null(log);
	replay_log(log, &r);
	outlog_batch_begin(log);
	assert_int_equal(outlog_batch_done(log, 3, 10), 0);
	assert_int_equal(outlog_batch_write(log), 0);
	outlog_close(log);
	replay(fx->path, &r);
	assert_int_equal(r.n, 4);
	assert_int_equal(r.next_id, 13);
}

/* A segment is full at 4096 records; the next batch starts a new one.
 * Pruning deletes the oldest segments whose readings are all below the
 * oldest still held, keeps the active one unless told, and an empty batch
 * writes nothing. */
static void test_segments_and_prune(void **state)
{
	struct unit_dir *fx = *state;
	struct outlog *log;
	uint64_t id;

	log = outlog_open(fx->path);
	assert_non_null(log);
	outlog_batch_begin(log);
	assert_int_equal(outlog_batch_write(log), 0);	/* empty: no file */
	assert_int_equal(outlog_sync(log), 0);
	assert_int_equal(segments(fx->path, NULL, 0), 0);
	for (id = 1; id <= 10000; id += 100) {
		outlog_batch_begin(log);
		batch_readings(log, RUN_A, id, id + 99);
		assert_int_equal(outlog_batch_write(log), 0);
	}
	assert_int_equal(outlog_sync(log), 1);
	assert_int_equal(outlog_sync(log), 0);
	/* 4100, 4100 and 1800 records: a batch is not split. */
	assert_int_equal(segments(fx->path, NULL, 0), 3);
	assert_int_equal(outlog_prune(log, 4100, true), 0);
	assert_int_equal(segments(fx->path, NULL, 0), 3);
	assert_int_equal(outlog_prune(log, 4101, true), 0);
	assert_int_equal(segments(fx->path, NULL, 0), 2);
	assert_int_equal(outlog_prune(log, UINT64_MAX, true), 0);
	assert_int_equal(segments(fx->path, NULL, 0), 1);
	assert_int_equal(outlog_prune(log, UINT64_MAX, false), 0);
	assert_int_equal(segments(fx->path, NULL, 0), 0);
	/* The active one gone, the next batch starts a new file. */
	assert_true(outlog_segment_full(log));
	outlog_close(log);
}

/* The log a child leaves open when it exits, on purpose: held here, it
 * stays reachable and valgrind does not count it as a leak (volatile: the
 * store must not be optimised away). */
static struct outlog *volatile child_log;

/* In a child: 1-10 written, 11-110 refused by the file size limit, then
 * 11-12 written with the limit lifted. */
static int write_past_size_limit(void *path)
{
	struct outlog *log = child_log = outlog_open(path);

	if (!log)
		return 2;
	outlog_batch_begin(log);
	batch_readings(log, RUN_A, 1, 10);
	if (outlog_batch_write(log) != 0)
		return 3;
	/* Ten records fit under 4000 bytes, a hundred more do not. */
	if (unit_file_size_limit(4000) != 0)
		return 4;
	outlog_batch_begin(log);
	batch_readings(log, RUN_A, 11, 110);
	if (outlog_batch_write(log) != -EFBIG)
		return 5;
	if (unit_file_size_limit(0) != 0)
		return 6;
	outlog_batch_begin(log);
	batch_readings(log, RUN_A, 11, 12);
	if (outlog_batch_write(log) != 0 || outlog_sync(log) != 1)
		return 7;
	return 0;
}

/* A write that fails halfway (the file size limit stands in for a full
 * card) returns the error and cuts its partial records off, so the retry's
 * records are not hidden behind a torn end. */
static void test_failed_write_is_cut_off(void **state)
{
	static const uint64_t want[] = { 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12 };
	struct unit_dir *fx = *state;
	struct replayed r;

	unit_in_child(write_past_size_limit, fx->path);
	replay(fx->path, &r);
	assert_readings(&r, RUN_A, want, 12);
	assert_int_equal(r.damage.corrupt_regions + r.damage.torn_tails, 0);
}

static void test_open_errors(void **state)
{
	struct unit_dir *fx = *state;
	struct outlog *log;

	errno = 0;
	assert_null(outlog_open(""));
	assert_int_equal(errno, EINVAL);
	errno = 0;
	assert_null(outlog_open("/dev/null/outbox"));	/* a file where a folder should be */
	assert_int_equal(errno, ENOTDIR);
	/* A second owner would interleave records. */
	log = outlog_open(fx->path);
	assert_non_null(log);
	errno = 0;
	assert_null(outlog_open(fx->path));
	assert_int_equal(errno, EBUSY);
	outlog_close(log);
	log = outlog_open(fx->path);
	assert_non_null(log);
	outlog_close(log);
	outlog_close(NULL);

	assert_true(outlog_run_is_valid(RUN_OLD, 8));
	assert_true(outlog_run_is_valid(RUN_C, 16));
	assert_false(outlog_run_is_valid("3F9C2A1E", 8));
	assert_false(outlog_run_is_valid(RUN_C, 15));
	assert_false(outlog_run_is_valid("3f9c2a1g", 8));
}

#define TEST(name) cmocka_unit_test_setup_teardown(name, fixture_make, unit_fixture_teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		TEST(test_record_layout_and_crc),
		TEST(test_old_format_replayed),
		TEST(test_torn_tail_keeps_intact_prefix),
		TEST(test_two_damaged_regions_in_one_segment),
		TEST(test_length_past_end_of_file),
		TEST(test_resync_takes_no_garbage),
		TEST(test_copies_skipped),
		TEST(test_segments_and_prune),
		TEST(test_failed_write_is_cut_off),
		TEST(test_open_errors),
	};

	tests_select();
	return cmocka_run_group_tests(tests, NULL, NULL);
}
