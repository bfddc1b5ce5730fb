/* The durable outbox (outbox.h): a ring of entries in memory, an append-only
 * log of segment files on disk.
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
 * Recovery replays the segments in order: an 'S' or 'R' adds an entry, a
 * 'K', 'A' or 'C' confirms entries read so far. A reading whose id is not
 * above every id read before is a copy left by a failed flush and is
 * skipped. A record of an unknown type with a good CRC is skipped (room for
 * later versions).
 *
 * Damage. A record is bad when its header does not fit in the file, its
 * body_len is 0, above the largest body or past the end of the file, its
 * CRC does not match, or its body is malformed (a known type with a wrong
 * length or an insane field). Replay does not stop at a bad record, which
 * would silently lose every record after it: it resynchronises, trying each
 * following offset, byte by byte, until one holds a record that is not bad
 * AND is of a known type (so garbage needs a matching CRC and a body that
 * parses, with a valid run id, a nonzero id, ..., to pass for a record), and
 * goes on from there. The bytes skipped count as a corrupt region when such
 * a record follows them in the segment, and as a torn tail (the normal trace
 * of a crash during a write) when none does; both are in outbox_stats.
 * Whatever the skipped bytes held is lost: at open, the held entry after a
 * hole in its run's seqs says so in lost_after.
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
 * wear the card) except at close when nothing is left unconfirmed.
 *
 * Memory. Entries sit in a ring indexed by an in-memory position that rises
 * by one per entry (so index arithmetic works even when recovered ids have
 * gaps). A confirmed entry frees its payload at once and stays as a small
 * tombstone until it reaches the oldest end of the ring. Each run chains its
 * entries (next_in_run) for acks; sent-unconfirmed entries are chained in the
 * order they were sent, so the one due for a resend is always at the front.
 * About 105 bytes per entry (on 64-bit) plus its payload. Runs live in a
 * small table (run_state); one stays known after its last entry leaves, for
 * outbox_run_info() and for refusing acks above its max_seq, until
 * RUNS_EMPTY_KEEP newer runs are without entries too.
 *
 * Lost readings. lost_after (outbox.h) is set in two places only: when a
 * drop leaves the collector a hole it can no longer have filled
 * (drop_oldest), and at open from the holes in what replay recovered
 * (gaps_mark). Appending and sending cost no more for it: a drop walks the
 * run's chain to its next held entry, past tombstones no later drop walks
 * again. */
#include "outbox.h"

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
#define RECORD_FIXED_MAX (RECORD_S_FIXED + OUTBOX_RUN_LEN)
/* Larger payloads are refused; a length beyond this on disk means damage. */
#define OUTBOX_PAYLOAD_MAX 65536u
#define RECORD_BODY_MAX (RECORD_FIXED_MAX + OUTBOX_PAYLOAD_MAX)

#define POS_NONE UINT64_MAX
/* Known runs without entries kept (the current run is kept regardless). One
 * run is made per start of sensord, so this covers the last few starts. */
#define RUNS_EMPTY_KEEP 8u
#define RING_MIN_CAP 1024u
/* A batch buffer larger than this is freed after the flush, not kept. */
#define WBUF_KEEP_BYTES (1024u * 1024u)

struct slot {
	struct outbox_entry e;	/* first: outbox_mark_sent() gets &slot->e back */
	uint64_t next_in_run;	/* position of this run's next entry, POS_NONE */
	uint64_t sent_prev;	/* neighbours in the sent-unconfirmed chain */
	uint64_t sent_next;
	uint32_t run_idx;
	bool done;		/* confirmed or dropped; payload freed */
	bool in_sent;		/* on the sent-unconfirmed chain */
};

/* What the outbox knows of a run. A run stays known after its last entry
 * leaves the ring, so that outbox_run_info() still answers for it and a late
 * or bogus ack can be told apart; only RUNS_EMPTY_KEEP such runs are kept. */
struct run_state {
	char run[OUTBOX_RUN_LEN + 1];
	size_t count;		/* ring entries of this run, tombstones included */
	uint64_t first_pos;	/* oldest in the ring, POS_NONE when count is 0 */
	uint64_t last_pos;	/* newest, where the chain grows */
	uint64_t ack_pos;	/* first entry no ack has passed yet */
	uint64_t max_seq;	/* highest seq appended or recovered */
	uint64_t acked_seq;	/* highest seq acknowledged, 0 if none */
	uint64_t lost_pending;	/* lost_after for the run's next append (a drop
				 * found no held entry to carry it), OUTBOX_NO_LOSS */
	uint64_t emptied_at;	/* when count last fell to 0 (run_clock): oldest forgotten first */
};

struct segment {
	uint64_t num;
	uint64_t max_id;	/* highest reading id in this or any older segment */
};

/* A range of ids confirmed since the last flush, to be logged as 'C'. */
struct id_range {
	uint64_t first;
	uint32_t count;
};

/* A run's state to be logged as 'K'. */
struct pending_ack {
	char run[OUTBOX_RUN_LEN + 1];
	uint64_t acked_seq;	/* the run's, when noted */
	uint64_t max_seq;
};

struct outbox {
	int dir_fd;		/* holds the flock that keeps a second process out */
	size_t max_entries;
	size_t span_max;	/* ring length limit, tombstones included */

	struct slot *slots;
	size_t cap;		/* power of two */
	uint64_t head_pos, tail_pos;	/* oldest held, one past newest */
	uint64_t write_pos;	/* first position not yet written to disk */
	uint64_t send_pos;	/* no never-sent entry before this */
	uint64_t sent_first, sent_last;	/* the sent-unconfirmed chain */
	uint64_t next_id;
	size_t depth;

	struct run_state *runs;
	size_t n_runs;
	uint32_t last_run_idx;	/* appends come from one run: skip the search */
	uint64_t run_clock;	/* ticks each time a run is left without entries */

	struct segment *segs;	/* oldest first; the last is active if active_fd >= 0 */
	size_t n_segs, cap_segs;
	uint64_t next_seg_num;
	int active_fd;
	off_t active_bytes;
	size_t active_records;
	bool dir_dirty;		/* a file was created or deleted since the folder's last fsync */
	bool unsynced;		/* the active segment was written since its last fdatasync */

	struct id_range *pend_ids;
	size_t n_pend_ids, cap_pend_ids;
	struct pending_ack *pend_acks;
	size_t n_pend_acks, cap_pend_acks;

	unsigned char *wbuf;
	size_t wbuf_len, wbuf_cap;

	bool loaded;		/* open succeeded: close may flush */
	struct outbox_stats st;
};

/* ---- CRC-32 (IEEE 802.3), table-driven, table built on first use ---- */

static uint32_t crc_table[256];
static bool crc_table_ready;

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
	crc_table_ready = true;
}

/* Continues a CRC over more bytes: start with crc = 0. */
static uint32_t crc32_update(uint32_t crc, const unsigned char *p, size_t n)
{
	size_t i;

	if (!crc_table_ready)
		crc32_table_build();
	crc = ~crc;
	for (i = 0; i < n; i++)
		crc = crc_table[(crc ^ p[i]) & 0xff] ^ (crc >> 8);
	return ~crc;
}

/* ---- little-endian helpers ---- */

static void put_u32(unsigned char *p, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		p[i] = (unsigned char)(v >> (8 * i));
}

static void put_u64(unsigned char *p, uint64_t v)
{
	for (int i = 0; i < 8; i++)
		p[i] = (unsigned char)(v >> (8 * i));
}

static uint32_t get_u32(const unsigned char *p)
{
	uint32_t v = 0;

	for (int i = 3; i >= 0; i--)
		v = (v << 8) | p[i];
	return v;
}

static uint64_t get_u64(const unsigned char *p)
{
	uint64_t v = 0;

	for (int i = 7; i >= 0; i--)
		v = (v << 8) | p[i];
	return v;
}

/* True if the n bytes at p are all lowercase hex digits. */
static bool hex_lower(const char *p, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		if (!((p[i] >= '0' && p[i] <= '9') || (p[i] >= 'a' && p[i] <= 'f')))
			return false;
	}
	return true;
}

static bool run_len_is_valid(size_t n)
{
	return n == RUN_LEN_OLD || n == OUTBOX_RUN_LEN;
}

/* A NUL-terminated run id: 8 (0.1.0) or 16 lowercase hex digits. */
static bool run_is_valid(const char *run)
{
	size_t n = strnlen(run, OUTBOX_RUN_LEN + 1);

	return run_len_is_valid(n) && hex_lower(run, n);
}

/* ---- the ring ---- */

static struct slot *slot_at(const struct outbox *ob, uint64_t pos)
{
	return &ob->slots[pos & (ob->cap - 1)];
}

static uint64_t slot_pos(const struct outbox *ob, const struct slot *s)
{
	uint64_t idx = (uint64_t)(s - ob->slots);

	return ob->head_pos + ((idx - (ob->head_pos & (ob->cap - 1))) & (ob->cap - 1));
}

/* Makes room for one more slot. Positions stay valid: a slot moves to
 * pos & (new_cap - 1). */
static int ring_reserve(struct outbox *ob)
{
	struct slot *n;
	size_t new_cap;
	uint64_t pos;

	if (ob->tail_pos - ob->head_pos < ob->cap)
		return 0;
	new_cap = ob->cap ? ob->cap * 2 : RING_MIN_CAP;
	n = malloc(new_cap * sizeof(*n));
	if (!n)
		return -ENOMEM;
	for (pos = ob->head_pos; pos < ob->tail_pos; pos++)
		n[pos & (new_cap - 1)] = *slot_at(ob, pos);
	free(ob->slots);
	ob->slots = n;
	ob->cap = new_cap;
	return 0;
}

/* The first position whose id is >= id (tail_pos if none). Ids rise with
 * position, so a binary search works. */
static uint64_t ring_lower_bound(const struct outbox *ob, uint64_t id)
{
	uint64_t lo = ob->head_pos, hi = ob->tail_pos, mid;

	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		if (slot_at(ob, mid)->e.id < id)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

/* The position holding id, or POS_NONE. The first guess assumes no gaps in
 * the ids after it, which holds for everything appended since open, so the
 * usual case is O(1); otherwise O(log n). */
static uint64_t ring_find_id(const struct outbox *ob, uint64_t id)
{
	uint64_t lo = ob->head_pos, hi = ob->tail_pos, last_id, pos;

	if (lo == hi)
		return POS_NONE;
	last_id = slot_at(ob, hi - 1)->e.id;
	if (id > last_id)
		return POS_NONE;
	if (last_id - id < hi - lo) {
		pos = hi - 1 - (last_id - id);
		if (slot_at(ob, pos)->e.id == id)
			return pos;
	}
	pos = ring_lower_bound(ob, id);
	return pos < hi && slot_at(ob, pos)->e.id == id ? pos : POS_NONE;
}

/* run is a valid, NUL-terminated run id. */
static int run_find(const struct outbox *ob, const char *run)
{
	size_t i;

	if (ob->last_run_idx < ob->n_runs && strcmp(ob->runs[ob->last_run_idx].run, run) == 0)
		return (int)ob->last_run_idx;
	for (i = 0; i < ob->n_runs; i++) {
		if (strcmp(ob->runs[i].run, run) == 0)
			return (int)i;
	}
	return -1;
}

/* The run's state, made if new. -1 on ENOMEM. Runs are few (one per start of
 * sensord with readings left, plus RUNS_EMPTY_KEEP without), so a linear
 * table is enough, and it is searched only when a run is new. A new run takes
 * the place of the run left without entries longest ago once RUNS_EMPTY_KEEP
 * runs are without entries; the current run (last appended to) is never
 * taken, so its acked_seq and max_seq hold for as long as it is appended to. */
static int run_get(struct outbox *ob, const char *run)
{
	struct run_state *n, *r;
	int idx = run_find(ob, run);
	size_t i, empty = 0, victim = SIZE_MAX;

	if (idx >= 0)
		return idx;
	for (i = 0; i < ob->n_runs; i++) {
		r = &ob->runs[i];
		if (r->count || i == ob->last_run_idx)
			continue;
		empty++;
		if (victim == SIZE_MAX || r->emptied_at < ob->runs[victim].emptied_at)
			victim = i;
	}
	if (empty >= RUNS_EMPTY_KEEP) {
		i = victim;
	} else {
		n = realloc(ob->runs, (ob->n_runs + 1) * sizeof(*n));
		if (!n)
			return -1;
		ob->runs = n;
		i = ob->n_runs++;
	}
	r = &ob->runs[i];
	memset(r, 0, sizeof(*r));
	snprintf(r->run, sizeof(r->run), "%s", run);
	r->first_pos = r->last_pos = r->ack_pos = POS_NONE;
	r->lost_pending = OUTBOX_NO_LOSS;
	r->emptied_at = ob->run_clock++;
	return (int)i;
}

static void sent_unlink(struct outbox *ob, struct slot *s)
{
	if (!s->in_sent)
		return;
	if (s->sent_prev != POS_NONE)
		slot_at(ob, s->sent_prev)->sent_next = s->sent_next;
	else
		ob->sent_first = s->sent_next;
	if (s->sent_next != POS_NONE)
		slot_at(ob, s->sent_next)->sent_prev = s->sent_prev;
	else
		ob->sent_last = s->sent_prev;
	s->in_sent = false;
}

/* Removes done entries from the oldest end, so the ring starts with an
 * unconfirmed entry or is empty. */
static void ring_pop_done(struct outbox *ob)
{
	struct slot *s;
	struct run_state *r;

	while (ob->head_pos < ob->tail_pos) {
		s = slot_at(ob, ob->head_pos);
		if (!s->done)
			break;
		r = &ob->runs[s->run_idx];
		/* The oldest entry of the ring is the oldest of its run. */
		r->first_pos = s->next_in_run;
		if (r->ack_pos == ob->head_pos)
			r->ack_pos = s->next_in_run;
		if (--r->count == 0) {
			r->first_pos = r->last_pos = r->ack_pos = POS_NONE;
			r->emptied_at = ob->run_clock++;
		}
		ob->head_pos++;
	}
	if (ob->write_pos < ob->head_pos)
		ob->write_pos = ob->head_pos;
	if (ob->send_pos < ob->head_pos)
		ob->send_pos = ob->head_pos;
}

/* Notes that id, already on disk, is done, extending the last range when the
 * ids follow each other (PUBACKs and drops mostly do). */
static int pending_id_add(struct outbox *ob, uint64_t id)
{
	struct id_range *last, *n;
	size_t cap;

	if (ob->n_pend_ids) {
		last = &ob->pend_ids[ob->n_pend_ids - 1];
		if (last->first + last->count == id && last->count < UINT32_MAX) {
			last->count++;
			return 0;
		}
	}
	if (ob->n_pend_ids == ob->cap_pend_ids) {
		cap = ob->cap_pend_ids ? ob->cap_pend_ids * 2 : 64;
		n = realloc(ob->pend_ids, cap * sizeof(*n));
		if (!n)
			return -ENOMEM;
		ob->pend_ids = n;
		ob->cap_pend_ids = cap;
	}
	ob->pend_ids[ob->n_pend_ids].first = id;
	ob->pend_ids[ob->n_pend_ids].count = 1;
	ob->n_pend_ids++;
	return 0;
}

/* Notes that r's state (its ack) is to be logged at the next flush; one
 * record per run and flush, carrying the latest values. */
static int pending_ack_add(struct outbox *ob, const struct run_state *r)
{
	struct pending_ack *n, *a = NULL;
	size_t i, cap;

	for (i = 0; i < ob->n_pend_acks && !a; i++) {
		if (strcmp(ob->pend_acks[i].run, r->run) == 0)
			a = &ob->pend_acks[i];
	}
	if (!a) {
		if (ob->n_pend_acks == ob->cap_pend_acks) {
			cap = ob->cap_pend_acks ? ob->cap_pend_acks * 2 : 4;
			n = realloc(ob->pend_acks, cap * sizeof(*n));
			if (!n)
				return -ENOMEM;
			ob->pend_acks = n;
			ob->cap_pend_acks = cap;
		}
		a = &ob->pend_acks[ob->n_pend_acks++];
		memcpy(a->run, r->run, sizeof(a->run));
	}
	a->acked_seq = r->acked_seq;
	a->max_seq = r->max_seq;
	return 0;
}

/* Marks the entry at pos done and frees its payload. With log_id, a written
 * entry gets a 'C' record at the next flush. If that bookkeeping cannot be
 * allocated the confirmation still counts in memory; the worst a restart can
 * then do is send the entry again, which is harmless. */
static void slot_retire(struct outbox *ob, uint64_t pos, bool log_id)
{
	struct slot *s = slot_at(ob, pos);

	if (s->done)
		return;
	s->done = true;
	free(s->e.payload);
	s->e.payload = NULL;
	s->e.len = 0;
	sent_unlink(ob, s);
	ob->depth--;
	if (log_id && pos < ob->write_pos)
		(void)pending_id_add(ob, s->e.id);
	ring_pop_done(ob);
}

static void lost_keep_min(uint64_t *lost_after, uint64_t v)
{
	if (v < *lost_after)
		*lost_after = v;
}

/* Drops the oldest entry (the outbox is full). The collector can no longer
 * get from here what it lacks of the run between its ack and the run's next
 * held entry, so that entry, or the run's next one appended if none is held,
 * gets lost_after = the run's acked_seq (or keeps a smaller one). The walk
 * to the next held entry passes confirmed tombstones of the run that no
 * later drop walks again. Not while loading: open sets lost_after from the
 * whole of what it found. */
static void drop_oldest(struct outbox *ob)
{
	struct slot *s = slot_at(ob, ob->head_pos);
	struct run_state *r = &ob->runs[s->run_idx];
	uint64_t next = s->next_in_run;

	while (next != POS_NONE && slot_at(ob, next)->done)
		next = slot_at(ob, next)->next_in_run;
	slot_retire(ob, ob->head_pos, true);
	ob->st.dropped++;
	if (!ob->loaded)
		return;
	if (next != POS_NONE)
		lost_keep_min(&slot_at(ob, next)->e.lost_after, r->acked_seq);
	else
		lost_keep_min(&r->lost_pending, r->acked_seq);
}

/* Adds an entry; payload is taken over (freed on failure). */
static int ring_push(struct outbox *ob, uint64_t id, const char *run, uint64_t seq, char *payload,
		     size_t len)
{
	struct slot *s;
	struct run_state *r;
	int idx;
	uint64_t pos;

	/* Not while loading: a batch logs its readings before the acks and
	 * PUBACKs that came with it, so mid-replay the outbox can look fuller
	 * than it was, and a bound applied there would drop readings no one
	 * confirmed. outbox_open applies it once everything is read. */
	while (ob->loaded && (ob->depth >= ob->max_entries ||
			      ob->tail_pos - ob->head_pos >= ob->span_max))
		drop_oldest(ob);
	if (ring_reserve(ob) < 0)
		goto err_free;
	idx = run_get(ob, run);
	if (idx < 0)
		goto err_free;
	r = &ob->runs[idx];
	ob->last_run_idx = (uint32_t)idx;

	pos = ob->tail_pos++;
	s = slot_at(ob, pos);
	memset(s, 0, sizeof(*s));
	s->e.id = id;
	memcpy(s->e.run, r->run, sizeof(s->e.run));
	s->e.seq = seq;
	s->e.lost_after = r->lost_pending;
	r->lost_pending = OUTBOX_NO_LOSS;
	s->e.payload = payload;
	s->e.len = len;
	s->e.sent_at = -1;
	s->next_in_run = POS_NONE;
	s->sent_prev = s->sent_next = POS_NONE;
	s->run_idx = (uint32_t)idx;

	if (r->last_pos != POS_NONE)
		slot_at(ob, r->last_pos)->next_in_run = pos;
	else
		r->first_pos = pos;
	if (r->ack_pos == POS_NONE)
		r->ack_pos = pos;
	r->last_pos = pos;
	r->count++;
	if (seq > r->max_seq)
		r->max_seq = seq;
	ob->depth++;
	return 0;

err_free:
	free(payload);
	return -ENOMEM;
}

/* Confirms every entry of run r with seq <= seq and raises its acked_seq;
 * the ack cursor passes each entry once, so the cost is the number of
 * entries passed. Returns how many this confirmed. */
static size_t ack_apply(struct outbox *ob, struct run_state *r, uint64_t seq)
{
	struct slot *s;
	uint64_t pos;
	size_t n = 0;

	/* The run's last entry may leave the ring inside the loop; that sets
	 * ack_pos to POS_NONE, which ends it (r itself stays: runs are only
	 * replaced in run_get()). */
	while ((pos = r->ack_pos) != POS_NONE) {
		s = slot_at(ob, pos);
		if (s->e.seq > seq)
			break;
		r->ack_pos = s->next_in_run;
		if (!s->done) {
			slot_retire(ob, pos, false);
			n++;
		}
	}
	if (seq > r->acked_seq)
		r->acked_seq = seq;
	return n;
}

/* ---- opening: find and replay the segments ---- */

static int segment_name(char *buf, size_t len, uint64_t num)
{
	return snprintf(buf, len, "seg-%016" PRIx64 ".log", num);
}

static bool segment_name_parse(const char *name, uint64_t *num)
{
	uint64_t v = 0;
	int i;

	if (strlen(name) != SEGMENT_NAME_LEN || strncmp(name, "seg-", 4) != 0 ||
	    strcmp(name + 20, ".log") != 0)
		return false;
	for (i = 4; i < 20; i++) {
		char c = name[i];

		if (c >= '0' && c <= '9')
			v = (v << 4) | (uint64_t)(c - '0');
		else if (c >= 'a' && c <= 'f')
			v = (v << 4) | (uint64_t)(c - 'a' + 10);
		else
			return false;
	}
	*num = v;
	return true;
}

static int segment_push(struct outbox *ob, uint64_t num)
{
	struct segment *n;
	size_t cap;

	if (ob->n_segs == ob->cap_segs) {
		cap = ob->cap_segs ? ob->cap_segs * 2 : 16;
		n = realloc(ob->segs, cap * sizeof(*n));
		if (!n)
			return -ENOMEM;
		ob->segs = n;
		ob->cap_segs = cap;
	}
	ob->segs[ob->n_segs].num = num;
	ob->segs[ob->n_segs].max_id = ob->n_segs ? ob->segs[ob->n_segs - 1].max_id : 0;
	ob->n_segs++;
	return 0;
}

static int u64_compare(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return (x > y) - (x < y);
}

/* Collects the segment numbers in the folder, sorted. */
static int segments_list(struct outbox *ob, uint64_t **nums_out, size_t *n_out)
{
	DIR *d;
	struct dirent *de;
	uint64_t *nums = NULL, *n, num;
	size_t count = 0, cap = 0;
	int fd, err = 0;

	fd = openat(ob->dir_fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	d = fdopendir(fd);
	if (!d) {
		err = -errno;
		close(fd);
		return err;
	}
	errno = 0;
	while ((de = readdir(d)) != NULL) {
		if (!segment_name_parse(de->d_name, &num))
			continue;
		if (count == cap) {
			cap = cap ? cap * 2 : 16;
			n = realloc(nums, cap * sizeof(*n));
			if (!n) {
				err = -ENOMEM;
				goto out;
			}
			nums = n;
		}
		nums[count++] = num;
	}
	if (errno)
		err = -errno;
out:
	closedir(d);
	if (err) {
		free(nums);
		return err;
	}
	if (count)
		qsort(nums, count, sizeof(*nums), u64_compare);
	*nums_out = nums;
	*n_out = count;
	return 0;
}

/* One record's body, decoded. */
struct record {
	unsigned char type;	/* 0: a type this version does not know */
	uint64_t id;		/* 'R', 'S' */
	uint64_t seq;		/* 'R', 'S': the reading's; 'A', 'K': the acked one */
	uint64_t max_seq;	/* 'A', 'K' */
	uint64_t first;		/* 'C' */
	uint32_t count;		/* 'C' */
	char run[OUTBOX_RUN_LEN + 1];
	const unsigned char *payload;	/* 'R', 'S': into the body */
	size_t plen;
};

/* Copies the run id of n bytes at p into run, NUL-terminated; false unless
 * it is a valid one. */
static bool run_take(char *run, const unsigned char *p, size_t n)
{
	if (!run_len_is_valid(n))
		return false;
	memcpy(run, p, n);
	run[n] = '\0';
	return hex_lower(run, n);
}

/* Decodes the body b of len >= 1 bytes into *rec. Returns 1 for a record of
 * a known type whose fields are sane (a valid run id, an id that is not 0,
 * a count that is not 0, ...), 0 for a type this version does not know, -1
 * for a malformed record. Cheap and without the CRC, so a resync can try it
 * at every offset before it computes one. */
static int record_parse(const unsigned char *b, size_t len, struct record *rec)
{
	size_t rl, fixed;

	memset(rec, 0, sizeof(*rec));
	rec->type = b[0];
	switch (b[0]) {
	case 'R':
	case 'S':
		if (b[0] == 'R') {
			rl = RUN_LEN_OLD;
			fixed = RECORD_R_FIXED;
			if (len < fixed || !run_take(rec->run, b + 17, rl))
				return -1;
		} else {
			if (len < RECORD_S_FIXED)
				return -1;
			rl = b[17];
			fixed = RECORD_S_FIXED + rl;
			if (len < fixed || !run_take(rec->run, b + RECORD_S_FIXED, rl))
				return -1;
		}
		rec->id = get_u64(b + 1);
		rec->seq = get_u64(b + 9);
		rec->payload = b + fixed;
		rec->plen = len - fixed;
		if (rec->id == 0 || rec->id == UINT64_MAX || rec->plen > OUTBOX_PAYLOAD_MAX)
			return -1;
		return 1;
	case 'A':
		if (len != RECORD_A_LEN || !run_take(rec->run, b + 1, RUN_LEN_OLD))
			return -1;
		rec->seq = get_u64(b + 1 + RUN_LEN_OLD);
		/* 0.1.0 did not log what was made; an ack implies that much. */
		rec->max_seq = rec->seq;
		return 1;
	case 'K':
		if (len < 2)
			return -1;
		rl = b[1];
		if (len != RECORD_K_FIXED + rl || !run_take(rec->run, b + 2, rl))
			return -1;
		rec->seq = get_u64(b + 2 + rl);
		rec->max_seq = get_u64(b + 10 + rl);
		return rec->seq <= rec->max_seq ? 1 : -1;
	case 'C':
		if (len != RECORD_C_LEN)
			return -1;
		rec->first = get_u64(b + 1);
		rec->count = get_u32(b + 9);
		if (rec->first == 0 || rec->count == 0 || rec->first > UINT64_MAX - rec->count)
			return -1;
		return 1;
	default:
		rec->type = 0;
		return 0;
	}
}

/* Applies a decoded record. 0 or -ENOMEM. */
static int record_apply(struct outbox *ob, const struct record *rec)
{
	struct run_state *r;
	uint64_t pos, end;
	char *payload;
	int idx;

	switch (rec->type) {
	case 'R':
	case 'S':
		if (rec->id < ob->next_id)
			return 0;	/* rewritten after a failed flush: already have it */
		ob->next_id = rec->id + 1;
		ob->segs[ob->n_segs - 1].max_id = rec->id;
		payload = malloc(rec->plen + 1);
		if (!payload)
			return -ENOMEM;
		memcpy(payload, rec->payload, rec->plen);
		payload[rec->plen] = '\0';
		if (ring_push(ob, rec->id, rec->run, rec->seq, payload, rec->plen) < 0)
			return -ENOMEM;
		/* On disk already: a drop while loading gets its 'C' record. */
		ob->write_pos = ob->tail_pos;
		return 0;
	case 'C':
		end = rec->first + rec->count;
		if (end > ob->next_id)
			ob->next_id = end;
		/* Walk the held ids in the range: a range of drops may be far
		 * longer than what is held. */
		pos = ring_lower_bound(ob, rec->first);
		while (pos < ob->tail_pos && slot_at(ob, pos)->e.id < end) {
			/* Retiring may pop the head past pos. */
			if (pos >= ob->head_pos)
				slot_retire(ob, pos, false);
			pos++;
			if (pos < ob->head_pos)
				pos = ob->head_pos;
		}
		return 0;
	case 'A':
	case 'K':
		/* The run is known from its ack alone when its readings went
		 * with older segments. */
		idx = run_get(ob, rec->run);
		if (idx < 0)
			return -ENOMEM;
		r = &ob->runs[idx];
		if (rec->max_seq > r->max_seq)
			r->max_seq = rec->max_seq;
		ack_apply(ob, r, rec->seq);
		return 0;
	default:
		return 0;	/* room for later versions */
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

#define RECORD_MAX (RECORD_HEADER_LEN + RECORD_BODY_MAX)
#define READER_CAP (2 * RECORD_MAX)

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
 * *rec, or 0 when none does: the header must fit in the file, body_len be
 * plausible and the body fit too, the body parse (when resyncing, as a type
 * this version knows, with sane fields) and the CRC match. 0 with *err set
 * on a read error. */
static size_t record_at(struct seg_reader *rd, uint64_t off, bool resync, struct record *rec,
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
	len = get_u32(h);
	if (len == 0 || len > RECORD_BODY_MAX || len > left - RECORD_HEADER_LEN)
		return 0;
	h = reader_get(rd, off, RECORD_HEADER_LEN + len, err);
	if (!h)
		return 0;
	kind = record_parse(h + RECORD_HEADER_LEN, len, rec);
	if (kind < 0 || (kind == 0 && resync))
		return 0;
	if (crc32_update(crc32_update(0, h, 4), h + RECORD_HEADER_LEN, len) != get_u32(h + 4))
		return 0;
	return RECORD_HEADER_LEN + len;
}

/* Replays one segment. After a bad record it looks for the next offset where
 * a good one starts and goes on from there: the bytes skipped count as a
 * corrupt region if a record follows them, as a torn tail if none does. buf
 * is READER_CAP bytes of the caller's. */
static int segment_replay(struct outbox *ob, uint64_t num, unsigned char *buf)
{
	char name[SEGMENT_NAME_LEN + 1];
	struct seg_reader rd = { .buf = buf, .cap = READER_CAP };
	struct record rec;
	struct stat st;
	uint64_t off = 0, next;
	size_t n;
	int err = 0;

	segment_name(name, sizeof(name), num);
	rd.fd = openat(ob->dir_fd, name, O_RDONLY | O_CLOEXEC);
	if (rd.fd < 0)
		return -errno;
	if (fstat(rd.fd, &st) < 0) {
		err = -errno;
		goto out;
	}
	rd.size = (uint64_t)st.st_size;
	err = segment_push(ob, num);
	while (!err && off < rd.size) {
		n = record_at(&rd, off, false, &rec, &err);
		if (err)
			break;
		if (n) {
			err = record_apply(ob, &rec);
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
			ob->st.corrupt_regions++;
			ob->st.corrupt_bytes += next - off;
		} else {
			ob->st.torn_tails++;
			ob->st.torn_bytes += rd.size - off;
		}
		off = next;
	}
out:
	close(rd.fd);
	return err;
}

/* After replay: where a run's held entries skip seqs, the ones skipped
 * were lost (in a corrupt region or a torn tail) or dropped before the
 * restart, and can no longer be sent. A held entry gets lost_after = the
 * seq of the run's previous held entry when that is below its seq - 1, and
 * the run's first held entry gets its acked_seq when that is below its
 * seq - 1. Readings confirmed by PUBACK and gone leave such a gap too. */
static void gaps_mark(struct outbox *ob)
{
	const struct run_state *r;
	struct slot *s;
	uint64_t pos, from;
	size_t i;

	for (i = 0; i < ob->n_runs; i++) {
		r = &ob->runs[i];
		from = r->acked_seq;
		for (pos = r->first_pos; pos != POS_NONE; pos = s->next_in_run) {
			s = slot_at(ob, pos);
			if (s->done)
				continue;
			if (s->e.seq > from && s->e.seq - from > 1)
				s->e.lost_after = from;
			from = s->e.seq;
		}
	}
}

/* Deletes the oldest segments whose readings, and all older ones, are done.
 * The active segment stays unless keep_active is false. */
static void segments_prune(struct outbox *ob, bool keep_active)
{
	char name[SEGMENT_NAME_LEN + 1];
	uint64_t oldest_id = ob->head_pos < ob->tail_pos ? slot_at(ob, ob->head_pos)->e.id : UINT64_MAX;
	size_t n = 0;

	while (n < ob->n_segs) {
		if (keep_active && ob->active_fd >= 0 && n == ob->n_segs - 1)
			break;
		if (ob->segs[n].max_id >= oldest_id)
			break;
		segment_name(name, sizeof(name), ob->segs[n].num);
		if (unlinkat(ob->dir_fd, name, 0) < 0 && errno != ENOENT)
			break;	/* try again at the next flush */
		ob->dir_dirty = true;
		n++;
	}
	if (n == 0)
		return;
	if (ob->active_fd >= 0 && n == ob->n_segs) {
		close(ob->active_fd);
		ob->active_fd = -1;
	}
	memmove(ob->segs, ob->segs + n, (ob->n_segs - n) * sizeof(*ob->segs));
	ob->n_segs -= n;
}

static int dir_sync(struct outbox *ob)
{
	if (!ob->dir_dirty)
		return 0;
	if (fsync(ob->dir_fd) < 0)
		return -errno;
	ob->dir_dirty = false;
	return 0;
}

struct outbox *outbox_open(const char *dir, size_t max_entries)
{
	struct outbox *ob;
	uint64_t *nums = NULL;
	unsigned char *body = NULL;
	size_t n_nums = 0, i;
	int err;

	if (!dir || !*dir || max_entries == 0) {
		errno = EINVAL;
		return NULL;
	}
	ob = calloc(1, sizeof(*ob));
	if (!ob) {
		errno = ENOMEM;
		return NULL;
	}
	ob->active_fd = -1;
	ob->max_entries = max_entries;
	/* Tombstones of confirmed entries wait behind an unconfirmed older one;
	 * this bounds them (and so memory and disk) when one entry never gets
	 * confirmed: it is dropped after this many newer appends. */
	ob->span_max = max_entries > SIZE_MAX / 2 ? SIZE_MAX : max_entries * 2;
	ob->dir_fd = -1;
	ob->sent_first = ob->sent_last = POS_NONE;
	ob->next_id = 1;
	ob->next_seg_num = 1;

	if (mkdir(dir, 0700) < 0 && errno != EEXIST) {
		err = -errno;
		goto err_free;
	}
	ob->dir_fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (ob->dir_fd < 0) {
		err = -errno;
		goto err_free;
	}
	/* Two writers would interleave records and delete each other's files. */
	if (flock(ob->dir_fd, LOCK_EX | LOCK_NB) < 0) {
		err = errno == EWOULDBLOCK ? -EBUSY : -errno;
		goto err_close_dir;
	}

	err = segments_list(ob, &nums, &n_nums);
	if (err)
		goto err_close_dir;
	body = malloc(READER_CAP);
	if (!body) {
		err = -ENOMEM;
		goto err_free_nums;
	}
	for (i = 0; i < n_nums; i++) {
		err = segment_replay(ob, nums[i], body);
		if (err)
			goto err_free_body;
		ob->next_seg_num = nums[i] + 1;
	}
	/* The bound, now that every confirmation is applied. Readings dropped
	 * here (max_entries is smaller than what the disk holds) are logged as
	 * done at the next flush; until then a restart would load them again,
	 * which only resends them. */
	while (ob->depth > ob->max_entries || ob->tail_pos - ob->head_pos > ob->span_max)
		drop_oldest(ob);
	ob->st.recovered = ob->depth;
	gaps_mark(ob);
	free(body);
	free(nums);

	segments_prune(ob, true);
	err = dir_sync(ob);
	if (err)
		goto err_close_dir;
	ob->loaded = true;
	return ob;

err_free_body:
	free(body);
err_free_nums:
	free(nums);
err_close_dir:
	outbox_close(ob);	/* not loaded: frees, closes, writes nothing */
	errno = -err;
	return NULL;
err_free:
	free(ob);
	errno = -err;
	return NULL;
}

/* ---- flushing ---- */

static int wbuf_reserve(struct outbox *ob, size_t more)
{
	unsigned char *n;
	size_t cap;

	if (ob->wbuf_cap - ob->wbuf_len >= more)
		return 0;
	cap = ob->wbuf_cap ? ob->wbuf_cap : 4096;
	while (cap - ob->wbuf_len < more)
		cap *= 2;
	n = realloc(ob->wbuf, cap);
	if (!n)
		return -ENOMEM;
	ob->wbuf = n;
	ob->wbuf_cap = cap;
	return 0;
}

/* Appends one record whose body is the two parts a and b (b may be empty). */
static int wbuf_record(struct outbox *ob, const unsigned char *a, size_t alen, const char *b,
		       size_t blen)
{
	unsigned char *p;
	uint32_t crc;

	if (wbuf_reserve(ob, RECORD_HEADER_LEN + alen + blen) < 0)
		return -ENOMEM;
	p = ob->wbuf + ob->wbuf_len;
	put_u32(p, (uint32_t)(alen + blen));
	memcpy(p + RECORD_HEADER_LEN, a, alen);
	if (blen)
		memcpy(p + RECORD_HEADER_LEN + alen, b, blen);
	crc = crc32_update(0, p, 4);
	crc = crc32_update(crc, p + RECORD_HEADER_LEN, alen + blen);
	put_u32(p + 4, crc);
	ob->wbuf_len += RECORD_HEADER_LEN + alen + blen;
	return 0;
}

/* True when the next batch goes to a new segment file. */
static bool segment_full(const struct outbox *ob)
{
	return ob->active_fd < 0 || ob->active_records >= SEGMENT_MAX_RECORDS ||
	       ob->active_bytes >= (off_t)SEGMENT_MAX_BYTES;
}

/* Puts a 'K' record for run (its acked and max seq) into the batch. */
static int wbuf_run_state(struct outbox *ob, const char *run, uint64_t acked_seq,
			  uint64_t max_seq)
{
	unsigned char fixed[RECORD_FIXED_MAX];
	size_t rl = strlen(run);

	fixed[0] = 'K';
	fixed[1] = (unsigned char)rl;
	memcpy(fixed + 2, run, rl);
	put_u64(fixed + 2 + rl, acked_seq);
	put_u64(fixed + 10 + rl, max_seq);
	return wbuf_record(ob, fixed, RECORD_K_FIXED + rl, NULL, 0);
}

/* Builds the batch: new readings first, then confirmations (which only name
 * readings written by earlier batches). With fresh (it starts a new segment)
 * a batch that has records also gets a 'K' for every known run with an ack:
 * older segments are deleted once their readings are all done, and this way
 * what the collector acknowledged is never deleted with them. Returns the
 * record count or -ENOMEM; *max_id gets the highest reading id in it, 0 if
 * none. */
static long batch_build(struct outbox *ob, bool fresh, uint64_t *max_id)
{
	unsigned char fixed[RECORD_FIXED_MAX];
	const struct pending_ack *a;
	const struct slot *s;
	uint64_t pos;
	size_t i, j, rl;
	long n = 0;

	ob->wbuf_len = 0;
	*max_id = 0;
	for (pos = ob->write_pos; pos < ob->tail_pos; pos++) {
		s = slot_at(ob, pos);
		if (s->done)
			continue;	/* confirmed before it was written: nothing to keep */
		rl = strlen(s->e.run);
		fixed[0] = 'S';
		put_u64(fixed + 1, s->e.id);
		put_u64(fixed + 9, s->e.seq);
		fixed[17] = (unsigned char)rl;
		memcpy(fixed + RECORD_S_FIXED, s->e.run, rl);
		if (wbuf_record(ob, fixed, RECORD_S_FIXED + rl, s->e.payload, s->e.len) < 0)
			return -ENOMEM;
		*max_id = s->e.id;
		n++;
	}
	for (i = 0; i < ob->n_pend_ids; i++) {
		fixed[0] = 'C';
		put_u64(fixed + 1, ob->pend_ids[i].first);
		put_u32(fixed + 9, ob->pend_ids[i].count);
		if (wbuf_record(ob, fixed, RECORD_C_LEN, NULL, 0) < 0)
			return -ENOMEM;
		n++;
	}
	for (i = 0; i < ob->n_pend_acks; i++) {
		a = &ob->pend_acks[i];
		if (wbuf_run_state(ob, a->run, a->acked_seq, a->max_seq) < 0)
			return -ENOMEM;
		n++;
	}
	if (!fresh || n == 0)
		return n;
	for (i = 0; i < ob->n_runs; i++) {
		if (ob->runs[i].acked_seq == 0)
			continue;
		for (j = 0; j < ob->n_pend_acks; j++) {
			if (strcmp(ob->pend_acks[j].run, ob->runs[i].run) == 0)
				break;
		}
		if (j < ob->n_pend_acks)
			continue;	/* just written */
		if (wbuf_run_state(ob, ob->runs[i].run, ob->runs[i].acked_seq,
				   ob->runs[i].max_seq) < 0)
			return -ENOMEM;
		n++;
	}
	return n;
}

/* Makes sure there is an active segment with room, starting a new file when
 * the current one is full (or there is none). */
static int segment_ensure_active(struct outbox *ob)
{
	char name[SEGMENT_NAME_LEN + 1];
	int fd;

	if (!segment_full(ob))
		return 0;
	if (segment_push(ob, ob->next_seg_num) < 0)
		return -ENOMEM;
	segment_name(name, sizeof(name), ob->next_seg_num);
	fd = openat(ob->dir_fd, name, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (fd < 0) {
		int err = -errno;

		ob->n_segs--;
		return err;
	}
	if (ob->active_fd >= 0) {
		/* What outbox_write() left in the page cache goes to disk
		 * before the file is let go (once per segment). */
		if (ob->unsynced && fdatasync(ob->active_fd) < 0) {
			int err = -errno;

			close(fd);
			(void)unlinkat(ob->dir_fd, name, 0);
			ob->n_segs--;
			return err;
		}
		ob->unsynced = false;
		close(ob->active_fd);
	}
	ob->active_fd = fd;
	ob->active_bytes = 0;
	ob->active_records = 0;
	ob->next_seg_num++;
	ob->dir_dirty = true;
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

/* Writes the pending batch to the active segment, without syncing it. */
static int batch_write(struct outbox *ob)
{
	uint64_t max_id;
	long n;
	int err;

	if (ob->write_pos == ob->tail_pos && !ob->n_pend_ids && !ob->n_pend_acks)
		return 0;
	n = batch_build(ob, segment_full(ob), &max_id);
	if (n < 0)
		return (int)n;
	if (n > 0) {
		err = segment_ensure_active(ob);
		if (err)
			return err;
		err = write_all(ob->active_fd, ob->wbuf, ob->wbuf_len);
		if (err) {
			/* Cut the partial batch off and write the retry where it
			 * began: left in place, its torn end would stop the replay
			 * before the retry's records. If that fails, the retry goes
			 * to a fresh segment. The batch is rebuilt from what is
			 * pending then (a duplicate reading id on disk is skipped
			 * by the replay). */
			if (ftruncate(ob->active_fd, ob->active_bytes) < 0 ||
			    lseek(ob->active_fd, ob->active_bytes, SEEK_SET) < 0)
				ob->active_records = SEGMENT_MAX_RECORDS;
			return err;
		}
		ob->active_bytes += (off_t)ob->wbuf_len;
		ob->active_records += (size_t)n;
		if (max_id)
			ob->segs[ob->n_segs - 1].max_id = max_id;
		ob->unsynced = true;
	}
	ob->write_pos = ob->tail_pos;
	ob->n_pend_ids = 0;
	ob->n_pend_acks = 0;
	if (ob->wbuf_cap > WBUF_KEEP_BYTES) {
		free(ob->wbuf);
		ob->wbuf = NULL;
		ob->wbuf_cap = 0;
	}
	ob->wbuf_len = 0;
	return 0;
}

int outbox_write(struct outbox *ob)
{
	if (!ob)
		return -EINVAL;
	return batch_write(ob);
}

int outbox_flush(struct outbox *ob)
{
	int err;

	if (!ob)
		return -EINVAL;
	err = batch_write(ob);
	if (err)
		return err;
	if (ob->unsynced) {
		if (fdatasync(ob->active_fd) < 0)
			return -errno;
		ob->unsynced = false;
		ob->st.flushes++;
	}
	segments_prune(ob, true);
	/* A new segment's name must be durable before its records count as
	 * durable; deletions ride along. Rare: once per segment. */
	return dir_sync(ob);
}

void outbox_close(struct outbox *ob)
{
	uint64_t pos;
	struct slot *s;

	if (!ob)
		return;
	if (ob->loaded) {
		/* With nothing left, leave an empty folder behind. */
		if (outbox_flush(ob) == 0 && ob->depth == 0) {
			segments_prune(ob, false);
			(void)dir_sync(ob);
		}
	}
	for (pos = ob->head_pos; pos < ob->tail_pos; pos++) {
		s = slot_at(ob, pos);
		free(s->e.payload);
	}
	if (ob->active_fd >= 0)
		close(ob->active_fd);
	if (ob->dir_fd >= 0)
		close(ob->dir_fd);
	free(ob->slots);
	free(ob->runs);
	free(ob->segs);
	free(ob->pend_ids);
	free(ob->pend_acks);
	free(ob->wbuf);
	free(ob);
}

/* ---- the daemon's calls ---- */

int outbox_append(struct outbox *ob, const char *run, uint64_t seq, const char *payload, size_t len)
{
	char *copy;
	int err;

	if (!ob || !run || !run_is_valid(run) || (!payload && len) || len > OUTBOX_PAYLOAD_MAX)
		return -EINVAL;
	copy = malloc(len + 1);
	if (!copy)
		return -ENOMEM;
	if (len)
		memcpy(copy, payload, len);
	copy[len] = '\0';
	err = ring_push(ob, ob->next_id, run, seq, copy, len);
	if (err)
		return err;
	ob->next_id++;
	ob->st.appended++;
	return 0;
}

size_t outbox_ack(struct outbox *ob, const char *run, uint64_t seq)
{
	struct run_state *r;
	uint64_t before;
	size_t n;
	int idx;

	if (!ob || !run || !run_is_valid(run))
		return 0;
	idx = run_find(ob, run);
	if (idx < 0)
		return 0;
	r = &ob->runs[idx];
	/* Nothing was made with that seq: the ack is wrong. Taken, it would
	 * raise acked_seq past readings not made yet, which the logged ack
	 * would then confirm at the next open without them being received. */
	if (seq > r->max_seq)
		return 0;
	before = r->acked_seq;
	n = ack_apply(ob, r, seq);
	/* Logged even when it confirmed nothing on disk: the next open learns
	 * how far the collector got from it. */
	if (r->acked_seq > before)
		(void)pending_ack_add(ob, r);
	ob->st.confirmed += n;
	return n;
}

int outbox_run_info(const struct outbox *ob, const char *run, uint64_t *max_seq,
		    uint64_t *acked_seq)
{
	const struct run_state *r;
	int idx;

	if (!ob || !run || !run_is_valid(run))
		return -1;
	idx = run_find(ob, run);
	if (idx < 0)
		return -1;
	r = &ob->runs[idx];
	if (max_seq)
		*max_seq = r->max_seq;
	if (acked_seq)
		*acked_seq = r->acked_seq;
	return 0;
}

size_t outbox_confirm_id(struct outbox *ob, uint64_t id)
{
	uint64_t pos;

	if (!ob)
		return 0;
	pos = ring_find_id(ob, id);
	if (pos == POS_NONE || slot_at(ob, pos)->done)
		return 0;
	slot_retire(ob, pos, true);
	ob->st.confirmed++;
	return 1;
}

struct outbox_entry *outbox_next_to_send(struct outbox *ob, double now, double resend_s)
{
	struct slot *s;

	if (!ob)
		return NULL;
	/* The chain is in sending order, so its front was sent longest ago. */
	if (ob->sent_first != POS_NONE) {
		s = slot_at(ob, ob->sent_first);
		if (now - s->e.sent_at > resend_s)
			return &s->e;
	}
	while (ob->send_pos < ob->tail_pos) {
		s = slot_at(ob, ob->send_pos);
		if (!s->done && s->e.sent_at < 0)
			return &s->e;
		ob->send_pos++;
	}
	return NULL;
}

void outbox_mark_sent(struct outbox *ob, struct outbox_entry *e, double now)
{
	struct slot *s = (struct slot *)e;
	uint64_t pos;

	if (!ob || !e || s < ob->slots || s >= ob->slots + ob->cap || s->done)
		return;
	pos = slot_pos(ob, s);
	sent_unlink(ob, s);
	s->e.sent_at = now;
	s->in_sent = true;
	s->sent_next = POS_NONE;
	s->sent_prev = ob->sent_last;
	if (ob->sent_last != POS_NONE)
		slot_at(ob, ob->sent_last)->sent_next = pos;
	else
		ob->sent_first = pos;
	ob->sent_last = pos;
}

void outbox_reset_sent(struct outbox *ob)
{
	struct slot *s;
	uint64_t pos, next;

	if (!ob)
		return;
	for (pos = ob->sent_first; pos != POS_NONE; pos = next) {
		s = slot_at(ob, pos);
		next = s->sent_next;
		s->in_sent = false;
		s->sent_prev = s->sent_next = POS_NONE;
		s->e.sent_at = -1;
	}
	ob->sent_first = ob->sent_last = POS_NONE;
	ob->send_pos = ob->head_pos;
}

void outbox_get_stats(const struct outbox *ob, struct outbox_stats *st)
{
	if (!ob || !st)
		return;
	*st = ob->st;
	st->depth = ob->depth;
}
