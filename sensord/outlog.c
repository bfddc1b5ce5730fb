/* The outbox's segment log (outlog.h): an append-only log of segment files
 * on disk; the ring it makes durable is outbox.c.
 *
 * Disk format. The folder holds segment files named "seg-<16 hex>.log", the
 * number rising by one per new segment; any other name is ignored. A segment
 * is a sequence of records, all integers little-endian:
 *
 *   u32 body_len | u32 crc | body (body_len bytes)
 *
 * crc is the CRC-32 (IEEE 802.3, reflected, polynomial 0xEDB88320) of the
 * four body_len bytes followed by the body, so a damaged length is caught as
 * well as a damaged body. The body starts with a type byte:
 *
 *   'S' reading:   u64 id | u64 seq | u8 run_len | run | payload (the rest)
 *   'K' run state: u8 run_len | run | u64 acked_seq | u64 max_seq
 *   'C' done ids:  u64 first_id | u32 count   (confirmed by PUBACK, or dropped)
 *
 * run_len is 8 or 16 and run that many lowercase hex digits: run ids are 16
 * digits now, and an 8-digit run recovered from an outbox of 0.1.0 is written
 * back as the 8 digits it is (the collector knows it by that name). 'K' is
 * the collector's acknowledgement (acked_seq) and the highest seq made for
 * the run (max_seq, so a restart can still refuse an ack above it); it is
 * written when the run's ack moves, and again for every run with an ack in
 * the first batch of each new segment, so deleting old segments never loses
 * how far the collector got. Read only, as 0.1.0 wrote them:
 *
 *   'R' reading:   u64 id | u64 seq | 8 bytes run | payload (the rest)
 *   'A' ack:       8 bytes run | u64 seq
 *
 * Why confirmations live in the log instead of a separate "done" file: a done
 * file must be replaced atomically (write, fdatasync, rename, fsync folder),
 * which is three syncs every time the watermark moves, i.e. every flush in
 * normal operation; a 'K' or 'C' record rides in the flush's one write and
 * one fdatasync. It also records out-of-order PUBACKs exactly, so a restart
 * resends nothing that was confirmed before the last flush.
 *
 * Damage. A record is bad when its header does not fit in the file, its
 * body_len is 0, above the largest body or past the end of the file, its
 * CRC does not match, or its body is malformed (a known type with a wrong
 * length or an insane field). Replay does not stop at a bad record, which
 * would silently lose every record after it: it resynchronises, trying each
 * following offset, byte by byte, until one holds a record that is not bad
 * AND is of a known type (so garbage needs a matching CRC and a body that
 * parses, with a valid run id, a nonzero id, ..., to pass for a record), and
 * goes on from there, counting the bytes skipped in outlog_damage (a
 * corrupt region or a torn tail, as outbox_stats defines them). Whatever
 * they held is lost: outbox_entry.lost_after says so after open.
 *
 * Segment lifetime. Records are appended to the newest ("active") segment;
 * a new one is started before a flush once the active one holds 4096 records
 * or 1 MiB (so one large batch may overshoot, because a flush writes its
 * batch to one file). An open never appends to an old file: its tail may be
 * torn. Segments are deleted oldest first, once every reading in them and in
 * all older ones is confirmed or dropped. Deleting only the oldest keeps
 * replay sound: a confirmation record always follows the reading it
 * confirms, so a deleted segment can only have confirmed readings that are
 * gone with it. The active segment is kept (creating a file per flush would
 * wear the card) except at close when nothing is left unconfirmed
 * (the outbox says so with outlog_prune). */
#include "outlog.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#define SEGMENT_MAX_RECORDS 4096
#define SEGMENT_MAX_BYTES (1024u * 1024u)
#define SEGMENT_NAME_LEN 24	/* "seg-" + 16 hex + ".log" */

#define RECORD_HEADER_LEN 8
#define RUN_LEN_OLD 8		/* the run field of 'R' and 'A' records (0.1.0) */
#define RECORD_R_FIXED (1 + 8 + 8 + RUN_LEN_OLD)
#define RECORD_A_LEN (1 + RUN_LEN_OLD + 8)
#define RECORD_C_LEN (1 + 8 + 4)
#define RECORD_S_FIXED (1 + 8 + 8 + 1)	/* then the run, then the payload */
#define RECORD_K_FIXED (1 + 1 + 8 + 8)	/* and the run */
/* The longest fixed part written: 'S' or 'K' with a 16-digit run. */
#define RECORD_FIXED_MAX (RECORD_S_FIXED + OUTLOG_RUN_MAX)
#define RECORD_BODY_MAX (RECORD_FIXED_MAX + OUTLOG_PAYLOAD_MAX)
#define RECORD_MAX (RECORD_HEADER_LEN + RECORD_BODY_MAX)
#define READER_CAP (2 * RECORD_MAX)

/* A batch buffer larger than this is freed after the write, not kept. */
#define WBUF_KEEP_BYTES (1024u * 1024u)
/* outlog_record.kind of a type this version does not know (memset's 0). */
#define KIND_UNKNOWN 0

struct segment {
	uint64_t num;
	uint64_t max_id;	/* highest reading id in this or any older segment */
};

struct outlog {
	int dir_fd;		/* holds the flock that keeps a second process out */

	struct segment *segs;	/* oldest first; the last is active if active_fd >= 0 */
	size_t n_segs;
	uint64_t next_seg_num;
	int active_fd;
	off_t active_bytes;
	size_t active_records;
	bool dir_dirty;		/* a file was created or deleted since the folder's last fsync */
	bool unsynced;		/* the active segment was written since its last fdatasync */

	unsigned char *wbuf;	/* the batch being built */
	size_t wbuf_len, wbuf_cap;
	size_t batch_records;
	uint64_t batch_max_id;	/* highest reading id in the batch, 0 if none */
};

/* ---- CRC-32 (IEEE 802.3), table-driven, table built at each open ---- */

static uint32_t crc_table[256];

static void crc32_table_build(void)
{
	uint32_t c;
	unsigned i, k;

	for (i = 0; i < 256; i++) {
		c = i;
		for (k = 0; k < 8; k++)
			c = (c & 1) ? 0xEDB88320u ^ (c >> 1) : c >> 1;
		crc_table[i] = c;
	}
}

/* Continues a CRC over more bytes: start with crc = 0. */
static uint32_t crc32_update(uint32_t crc, const unsigned char *p, size_t n)
{
	size_t i;

	crc = ~crc;
	for (i = 0; i < n; i++)
		crc = crc_table[(crc ^ p[i]) & 0xff] ^ (crc >> 8);
	return ~crc;
}

/* ---- little-endian integers and hex digits ---- */

static void put_le(unsigned char *p, uint64_t v, int n)
{
	while (n--) {
		*p++ = (unsigned char)v;
		v >>= 8;
	}
}

static uint64_t get_le(const unsigned char *p, int n)
{
	uint64_t v = 0;

	for (int i = 0; i < n; i++)
		v |= (uint64_t)p[i] << (8 * i);
	return v;
}

/* True if the n bytes at p are all lowercase hex digits. */
static bool lower_hex(const char *p, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		if (!((p[i] >= '0' && p[i] <= '9') || (p[i] >= 'a' && p[i] <= 'f')))
			return false;
	}
	return true;
}

bool outlog_run_is_valid(const char *p, size_t n)
{
	return (n == RUN_LEN_OLD || n == OUTLOG_RUN_MAX) && lower_hex(p, n);
}

/* ---- segment files ---- */

static int segment_name(char *buf, size_t len, uint64_t num)
{
	return snprintf(buf, len, "seg-%016" PRIx64 ".log", num);
}

static bool segment_name_parse(const char *name, uint64_t *num)
{
	if (strlen(name) != SEGMENT_NAME_LEN || strncmp(name, "seg-", 4) != 0 ||
	    !lower_hex(name + 4, 16) || strcmp(name + 20, ".log") != 0)
		return false;
	*num = strtoull(name + 4, NULL, 16);
	return true;
}

/* Adds segment num as the newest. Segments are few (one per MiB written and
 * not yet done), so the table grows one at a time. */
static int segment_push(struct outlog *log, uint64_t num)
{
	struct segment *n = realloc(log->segs, (log->n_segs + 1) * sizeof(*n));

	if (!n)
		return -ENOMEM;
	log->segs = n;
	n[log->n_segs].num = num;
	n[log->n_segs].max_id = log->n_segs ? n[log->n_segs - 1].max_id : 0;
	log->n_segs++;
	return 0;
}

/* ---- replay ---- */

/* Copies the run id of n bytes at p into run, NUL-terminated; false unless
 * it is a valid one. */
static bool run_take(char *run, const unsigned char *p, size_t n)
{
	if (!outlog_run_is_valid((const char *)p, n))
		return false;
	memcpy(run, p, n);
	run[n] = '\0';
	return true;
}

/* Decodes the body b of len >= 1 bytes into *rec. Returns 1 for a record of
 * a known type whose fields are sane (a valid run id, an id that is not 0,
 * a count that is not 0, ...), 0 for a type this version does not know, -1
 * for a malformed record. Cheap and without the CRC, so a resync can try it
 * at every offset before it computes one. */
static int record_parse(const unsigned char *b, size_t len, struct outlog_record *rec)
{
	size_t rl, fixed;

	memset(rec, 0, sizeof(*rec));
	switch (b[0]) {
	case 'R':
	case 'S':
		rec->kind = OUTLOG_READING;
		if (len < RECORD_S_FIXED)
			return -1;
		/* The run follows id and seq: 8 digits in 'R', after their count in 'S'. */
		rl = b[0] == 'R' ? RUN_LEN_OLD : b[17];
		fixed = (b[0] == 'R' ? RECORD_R_FIXED - RUN_LEN_OLD : RECORD_S_FIXED) + rl;
		if (len < fixed || !run_take(rec->run, b + fixed - rl, rl))
			return -1;
		rec->id = get_le(b + 1, 8);
		rec->seq = get_le(b + 9, 8);
		rec->payload = b + fixed;
		rec->plen = len - fixed;
		if (rec->id == 0 || rec->id == UINT64_MAX || rec->plen > OUTLOG_PAYLOAD_MAX)
			return -1;
		return 1;
	case 'A':
		rec->kind = OUTLOG_RUN_STATE;
		if (len != RECORD_A_LEN || !run_take(rec->run, b + 1, RUN_LEN_OLD))
			return -1;
		rec->seq = get_le(b + 1 + RUN_LEN_OLD, 8);
		/* 0.1.0 did not log what was made; an ack implies that much. */
		rec->max_seq = rec->seq;
		return 1;
	case 'K':
		rec->kind = OUTLOG_RUN_STATE;
		if (len < 2)
			return -1;
		rl = b[1];
		if (len != RECORD_K_FIXED + rl || !run_take(rec->run, b + 2, rl))
			return -1;
		rec->seq = get_le(b + 2 + rl, 8);
		rec->max_seq = get_le(b + 10 + rl, 8);
		return rec->seq <= rec->max_seq ? 1 : -1;
	case 'C':
		rec->kind = OUTLOG_DONE;
		if (len != RECORD_C_LEN)
			return -1;
		rec->first = get_le(b + 1, 8);
		rec->count = (uint32_t)get_le(b + 9, 4);
		if (rec->first == 0 || rec->count == 0 || rec->first > UINT64_MAX - rec->count)
			return -1;
		return 1;
	default:
		return 0;
	}
}

/* Reads a segment through a window of the file: any record fits in it
 * whole, so memory stays bounded whatever the segment's size, and a read
 * error is an error (where a mapping of the file would raise SIGBUS). */
struct seg_reader {
	int fd;
	uint64_t size;		/* of the file when opened */
	unsigned char *buf;
	size_t cap;		/* READER_CAP */
	uint64_t base;		/* file offset of buf[0] */
	size_t have;		/* bytes in buf */
};

/* Points at the n bytes (n <= RECORD_MAX) from off, which the caller knows
 * are within the file. NULL with *err set on a read error, or -EIO when the
 * file turns out shorter than it was. */
static const unsigned char *reader_get(struct seg_reader *rd, uint64_t off, size_t n, int *err)
{
	ssize_t got;
	size_t keep;

	if (off >= rd->base && off + n <= rd->base + rd->have)
		return rd->buf + (off - rd->base);
	/* Slide the window to start at off; the window only moves forward,
	 * by at least a record each time, so each byte is read once. */
	if (off >= rd->base && off < rd->base + rd->have) {
		keep = (size_t)(rd->base + rd->have - off);
		memmove(rd->buf, rd->buf + (off - rd->base), keep);
	} else {
		keep = 0;
	}
	rd->base = off;
	rd->have = keep;
	while (rd->have < rd->cap && rd->base + rd->have < rd->size) {
		got = pread(rd->fd, rd->buf + rd->have, rd->cap - rd->have,
			    (off_t)(rd->base + rd->have));
		if (got < 0 && errno == EINTR)
			continue;
		if (got < 0) {
			*err = -errno;
			return NULL;
		}
		if (got == 0)
			break;
		rd->have += (size_t)got;
	}
	if (rd->have < n) {
		*err = -EIO;
		return NULL;
	}
	return rd->buf;
}

/* The length of the record starting at off (header included), decoded into
 * *rec, or 0 for a bad one (see atop) or, when resyncing, one of a type this
 * version does not know. 0 with *err set on a read error. */
static size_t record_at(struct seg_reader *rd, uint64_t off, bool resync,
			struct outlog_record *rec,
			int *err)
{
	const unsigned char *h;
	uint64_t left = rd->size - off;
	uint32_t len;
	int kind;

	if (left < RECORD_HEADER_LEN)
		return 0;
	h = reader_get(rd, off, RECORD_HEADER_LEN, err);
	if (!h)
		return 0;
	len = (uint32_t)get_le(h, 4);
	if (len == 0 || len > RECORD_BODY_MAX || len > left - RECORD_HEADER_LEN)
		return 0;
	h = reader_get(rd, off, RECORD_HEADER_LEN + len, err);
	if (!h)
		return 0;
	kind = record_parse(h + RECORD_HEADER_LEN, len, rec);
	if (kind < 0 || (kind == 0 && resync))
		return 0;
	if (crc32_update(crc32_update(0, h, 4), h + RECORD_HEADER_LEN, len) != get_le(h + 4, 4))
		return 0;
	return RECORD_HEADER_LEN + len;
}


/* Hands a good record to apply, unless it is a reading already read (a copy
 * left by a failed write), and keeps next_id and the segment's max_id. */
static int record_take(struct outlog *log, const struct outlog_record *rec,
		       outlog_apply_fn apply, void *ctx, uint64_t *next_id)
{
	uint64_t end;

	if (rec->kind == OUTLOG_READING) {
		if (rec->id < *next_id)
			return 0;	/* rewritten after a failed flush: already have it */
		*next_id = rec->id + 1;
		log->segs[log->n_segs - 1].max_id = rec->id;
	} else if (rec->kind == OUTLOG_DONE) {
		end = rec->first + rec->count;
		if (end > *next_id)
			*next_id = end;
	}
	return apply(ctx, rec);
}

/* Replays one segment, skipping damage as the comment atop says. buf is
 * READER_CAP bytes of the caller's. */
static int segment_replay(struct outlog *log, uint64_t num, unsigned char *buf,
			  outlog_apply_fn apply, void *ctx, struct outlog_damage *damage,
			  uint64_t *next_id)
{
	char name[SEGMENT_NAME_LEN + 1];
	struct seg_reader rd = { .buf = buf, .cap = READER_CAP };
	struct outlog_record rec;
	struct stat st;
	uint64_t off = 0, next;
	size_t n;
	int err = 0;

	segment_name(name, sizeof(name), num);
	rd.fd = openat(log->dir_fd, name, O_RDONLY | O_CLOEXEC);
	if (rd.fd < 0)
		return -errno;
	if (fstat(rd.fd, &st) < 0) {
		err = -errno;
		goto out;
	}
	rd.size = (uint64_t)st.st_size;
	err = segment_push(log, num);
	while (!err && off < rd.size) {
		n = record_at(&rd, off, false, &rec, &err);
		if (err)
			break;
		if (n) {
			/* A type this version does not know is skipped: room for
			 * later versions. */
			if (rec.kind != KIND_UNKNOWN)
				err = record_take(log, &rec, apply, ctx, next_id);
			off += n;
			continue;
		}
		for (next = off + 1; next < rd.size; next++) {
			if (record_at(&rd, next, true, &rec, &err) || err)
				break;
		}
		if (err)
			break;
		if (next < rd.size) {
			damage->corrupt_regions++;
			damage->corrupt_bytes += next - off;
		} else {
			damage->torn_tails++;
			damage->torn_bytes += rd.size - off;
		}
		off = next;
	}
out:
	close(rd.fd);
	return err;
}

int outlog_replay(struct outlog *log, outlog_apply_fn apply, void *ctx,
		  struct outlog_damage *damage, uint64_t *next_id)
{
	struct dirent **names;
	unsigned char *buf;
	uint64_t num;
	int n, i, err = 0;

	*next_id = 1;
	/* Segment names are fixed-width lowercase hex: in the C locale (no
	 * one sets another) alphasort's order is their numbers'. Other names
	 * are skipped below. */
	n = scandirat(log->dir_fd, ".", &names, NULL, alphasort);
	if (n < 0)
		return -errno;
	buf = malloc(READER_CAP);
	if (!buf)
		err = -ENOMEM;
	for (i = 0; i < n; i++) {
		if (!err && segment_name_parse(names[i]->d_name, &num)) {
			err = segment_replay(log, num, buf, apply, ctx, damage, next_id);
			if (!err)
				log->next_seg_num = num + 1;
		}
		free(names[i]);
	}
	free(names);
	free(buf);
	return err;
}

/* ---- opening, pruning, closing ---- */

struct outlog *outlog_open(const char *dir)
{
	struct outlog *log;
	int err;

	if (!dir || !*dir) {
		errno = EINVAL;
		return NULL;
	}
	log = calloc(1, sizeof(*log));
	if (!log)
		return NULL;
	log->active_fd = -1;
	log->next_seg_num = 1;
	crc32_table_build();
	if (mkdir(dir, 0700) < 0 && errno != EEXIST)
		goto err_free;
	log->dir_fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (log->dir_fd < 0)
		goto err_free;
	/* Two writers would interleave records and delete each other's files. */
	if (flock(log->dir_fd, LOCK_EX | LOCK_NB) < 0) {
		err = errno == EWOULDBLOCK ? EBUSY : errno;
		close(log->dir_fd);
		errno = err;
		goto err_free;
	}
	return log;

err_free:
	free(log);	/* keeps errno */
	return NULL;
}

/* Calls sync_fn (fsync or fdatasync) on fd when *pending says it was written
 * since, and clears *pending. 1 if it synced, 0 if nothing was pending,
 * -errno. */
static int sync_pending(int fd, bool *pending, int (*sync_fn)(int))
{
	if (!*pending)
		return 0;
	if (sync_fn(fd) < 0)
		return -errno;
	*pending = false;
	return 1;
}

int outlog_prune(struct outlog *log, uint64_t oldest_id, bool keep_active)
{
	char name[SEGMENT_NAME_LEN + 1];
	size_t n = 0;
	int err;

	while (n < log->n_segs) {
		if (keep_active && log->active_fd >= 0 && n == log->n_segs - 1)
			break;
		if (log->segs[n].max_id >= oldest_id)
			break;
		segment_name(name, sizeof(name), log->segs[n].num);
		if (unlinkat(log->dir_fd, name, 0) < 0 && errno != ENOENT)
			break;	/* try again at the next flush */
		log->dir_dirty = true;
		n++;
	}
	if (n) {
		if (log->active_fd >= 0 && n == log->n_segs) {
			close(log->active_fd);
			log->active_fd = -1;
		}
		memmove(log->segs, log->segs + n, (log->n_segs - n) * sizeof(*log->segs));
		log->n_segs -= n;
	}
	/* A new segment's name must be durable before its records count as
	 * durable; deletions ride along. Rare: once per segment. */
	err = sync_pending(log->dir_fd, &log->dir_dirty, fsync);
	return err < 0 ? err : 0;
}

void outlog_close(struct outlog *log)
{
	if (!log)
		return;
	if (log->active_fd >= 0)
		close(log->active_fd);
	close(log->dir_fd);
	free(log->segs);
	free(log->wbuf);
	free(log);
}

/* ---- writing ---- */

bool outlog_segment_full(const struct outlog *log)
{
	return log->active_fd < 0 || log->active_records >= SEGMENT_MAX_RECORDS ||
	       log->active_bytes >= (off_t)SEGMENT_MAX_BYTES;
}

void outlog_batch_begin(struct outlog *log)
{
	log->wbuf_len = 0;
	log->batch_records = 0;
	log->batch_max_id = 0;
}

static int wbuf_reserve(struct outlog *log, size_t more)
{
	unsigned char *n;
	size_t cap;

	if (log->wbuf_cap - log->wbuf_len >= more)
		return 0;
	cap = log->wbuf_cap ? log->wbuf_cap : 4096;
	while (cap - log->wbuf_len < more)
		cap *= 2;
	n = realloc(log->wbuf, cap);
	if (!n)
		return -ENOMEM;
	log->wbuf = n;
	log->wbuf_cap = cap;
	return 0;
}

/* Appends one record whose body is the two parts a and b (b may be empty). */
static int wbuf_record(struct outlog *log, const unsigned char *a, size_t alen, const char *b,
		       size_t blen)
{
	unsigned char *p;
	uint32_t crc;

	if (wbuf_reserve(log, RECORD_HEADER_LEN + alen + blen) < 0)
		return -ENOMEM;
	p = log->wbuf + log->wbuf_len;
	put_le(p, (uint32_t)(alen + blen), 4);
	memcpy(p + RECORD_HEADER_LEN, a, alen);
	if (blen)
		memcpy(p + RECORD_HEADER_LEN + alen, b, blen);
	crc = crc32_update(0, p, 4);
	crc = crc32_update(crc, p + RECORD_HEADER_LEN, alen + blen);
	put_le(p + 4, crc, 4);
	log->wbuf_len += RECORD_HEADER_LEN + alen + blen;
	log->batch_records++;
	return 0;
}

int outlog_batch_reading(struct outlog *log, uint64_t id, uint64_t seq, const char *run,
			 const char *payload, size_t len)
{
	unsigned char fixed[RECORD_FIXED_MAX];
	size_t rl = strlen(run);

	fixed[0] = 'S';
	put_le(fixed + 1, id, 8);
	put_le(fixed + 9, seq, 8);
	fixed[17] = (unsigned char)rl;
	memcpy(fixed + RECORD_S_FIXED, run, rl);
	if (wbuf_record(log, fixed, RECORD_S_FIXED + rl, payload, len) < 0)
		return -ENOMEM;
	log->batch_max_id = id;
	return 0;
}

int outlog_batch_done(struct outlog *log, uint64_t first, uint32_t count)
{
	unsigned char body[RECORD_C_LEN];

	body[0] = 'C';
	put_le(body + 1, first, 8);
	put_le(body + 9, count, 4);
	return wbuf_record(log, body, RECORD_C_LEN, NULL, 0);
}

int outlog_batch_run_state(struct outlog *log, const char *run, uint64_t acked_seq,
			   uint64_t max_seq)
{
	unsigned char fixed[RECORD_FIXED_MAX];
	size_t rl = strlen(run);

	fixed[0] = 'K';
	fixed[1] = (unsigned char)rl;
	memcpy(fixed + 2, run, rl);
	put_le(fixed + 2 + rl, acked_seq, 8);
	put_le(fixed + 10 + rl, max_seq, 8);
	return wbuf_record(log, fixed, RECORD_K_FIXED + rl, NULL, 0);
}

/* Makes sure there is an active segment with room, starting a new file when
 * the current one is full (or there is none). */
static int segment_ensure_active(struct outlog *log)
{
	char name[SEGMENT_NAME_LEN + 1];
	int fd, err = 0;

	if (!outlog_segment_full(log))
		return 0;
	segment_name(name, sizeof(name), log->next_seg_num);
	fd = openat(log->dir_fd, name, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (fd < 0)
		return -errno;
	/* What an unsynced write left in the page cache goes to disk before
	 * the file is let go (once per segment). */
	if (log->active_fd >= 0 && log->unsynced && fdatasync(log->active_fd) < 0)
		err = -errno;
	else if (segment_push(log, log->next_seg_num) < 0)
		err = -ENOMEM;
	if (err) {
		close(fd);
		(void)unlinkat(log->dir_fd, name, 0);
		return err;
	}
	if (log->active_fd >= 0) {
		log->unsynced = false;
		close(log->active_fd);
	}
	log->active_fd = fd;
	log->active_bytes = 0;
	log->active_records = 0;
	log->next_seg_num++;
	log->dir_dirty = true;
	return 0;
}

static int write_all(int fd, const unsigned char *p, size_t n)
{
	ssize_t w;

	while (n) {
		w = write(fd, p, n);
		if (w < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		p += w;
		n -= (size_t)w;
	}
	return 0;
}


int outlog_batch_write(struct outlog *log)
{
	int err;

	if (log->batch_records) {
		err = segment_ensure_active(log);
		if (err)
			return err;
		err = write_all(log->active_fd, log->wbuf, log->wbuf_len);
		if (err) {
			/* Cut the partial batch off and write the retry where it
			 * began: left in place, its torn end would stop the replay
			 * before the retry's records. If that fails, the retry goes
			 * to a fresh segment. The caller builds the batch again
			 * from what is pending then (a duplicate reading id on disk
			 * is skipped by the replay). */
			if (ftruncate(log->active_fd, log->active_bytes) < 0 ||
			    lseek(log->active_fd, log->active_bytes, SEEK_SET) < 0)
				log->active_records = SEGMENT_MAX_RECORDS;
			return err;
		}
		log->active_bytes += (off_t)log->wbuf_len;
		log->active_records += log->batch_records;
		if (log->batch_max_id)
			log->segs[log->n_segs - 1].max_id = log->batch_max_id;
		log->unsynced = true;
	}
	if (log->wbuf_cap > WBUF_KEEP_BYTES) {
		free(log->wbuf);
		log->wbuf = NULL;
		log->wbuf_cap = 0;
	}
	outlog_batch_begin(log);
	return 0;
}

int outlog_sync(struct outlog *log)
{
	return sync_pending(log->active_fd, &log->unsynced, fdatasync);
}
