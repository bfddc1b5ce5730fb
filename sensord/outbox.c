/* The durable outbox (outbox.h): a ring of entries in memory, made durable
 * by the segment log (outlog.h; the comment atop outlog.c gives the format,
 * what a restart brings back and how damage is skipped). The ring logs each
 * reading, the ids confirmed by PUBACK or dropped, and each run's ack.
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
 * lost_after (outbox.h) is set by drop_oldest() and gaps_mark() only, so
 * appending and sending cost nothing for it. */
#include "outbox.h"

#include "outlog.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

_Static_assert(OUTLOG_RUN_MAX == OUTBOX_RUN_LEN, "the log holds the outbox's run ids");

#define POS_NONE UINT64_MAX
/* Known runs without entries kept (the current run is kept regardless). One
 * run is made per start of sensord, so this covers the last few starts. */
#define RUNS_EMPTY_KEEP 8u
#define RING_MIN_CAP 1024u

struct slot {
	struct outbox_entry e;	/* first: outbox_mark_sent() gets &slot->e back */
	uint64_t next_in_run;	/* position of this run's next entry, POS_NONE */
	uint64_t sent_prev;	/* neighbours in the sent-unconfirmed chain */
	uint64_t sent_next;
	uint32_t run_idx;
	bool done;		/* confirmed or dropped; payload freed */
	bool in_sent;		/* on the sent-unconfirmed chain */
};

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
	size_t max_entries;
	size_t span_max;	/* ring length limit, tombstones included */

	struct slot *slots;
	size_t cap;		/* power of two */
	uint64_t head_pos, tail_pos;	/* oldest held, one past newest */
	uint64_t write_pos;	/* first position not yet written to disk */
	uint64_t send_pos;	/* no never-sent entry before this */
	uint64_t sent_first, sent_last;	/* the sent-unconfirmed chain */
	uint64_t next_id;

	struct run_state *runs;
	size_t n_runs;
	uint32_t last_run_idx;	/* appends come from one run: skip the search */
	uint64_t run_clock;	/* ticks each time a run is left without entries */

	struct outlog *log;	/* the folder's segment log */

	struct id_range *pend_ids;
	size_t n_pend_ids, cap_pend_ids;
	struct pending_ack *pend_acks;
	size_t n_pend_acks, cap_pend_acks;

	bool loaded;		/* open succeeded: close may flush */
	struct outbox_stats st;	/* st.depth is the count of held entries */
};

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

/* The state of run, a NUL-terminated run id; NULL for an invalid run id or
 * a run the outbox does not know. */
static struct run_state *run_known(const struct outbox *ob, const char *run)
{
	int idx;

	if (!run || !outlog_run_is_valid(run, strnlen(run, OUTBOX_RUN_LEN + 1)))
		return NULL;
	idx = run_find(ob, run);
	return idx < 0 ? NULL : &ob->runs[idx];
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

/* Makes room for one more element in table (*cap elements of size bytes, n
 * of them used), doubling it, first_cap for the first. The table, moved or
 * not, or NULL on ENOMEM (the old one then stays as it was). */
static void *table_room(void *table, size_t *cap, size_t n, size_t size, size_t first_cap)
{
	size_t new_cap;
	void *t;

	if (n < *cap)
		return table;
	new_cap = *cap ? *cap * 2 : first_cap;
	t = realloc(table, new_cap * size);
	if (t)
		*cap = new_cap;
	return t;
}

/* Notes that id, already on disk, is done, extending the last range when the
 * ids follow each other (PUBACKs and drops mostly do). */
static int pending_id_add(struct outbox *ob, uint64_t id)
{
	struct id_range *last, *n;

	if (ob->n_pend_ids) {
		last = &ob->pend_ids[ob->n_pend_ids - 1];
		if (last->first + last->count == id && last->count < UINT32_MAX) {
			last->count++;
			return 0;
		}
	}
	n = table_room(ob->pend_ids, &ob->cap_pend_ids, ob->n_pend_ids, sizeof(*n), 64);
	if (!n)
		return -ENOMEM;
	ob->pend_ids = n;
	ob->pend_ids[ob->n_pend_ids].first = id;
	ob->pend_ids[ob->n_pend_ids].count = 1;
	ob->n_pend_ids++;
	return 0;
}

/* The run's 'K' waiting for the next flush, or NULL. */
static struct pending_ack *pending_ack_find(const struct outbox *ob, const char *run)
{
	for (size_t i = 0; i < ob->n_pend_acks; i++)
		if (strcmp(ob->pend_acks[i].run, run) == 0)
			return &ob->pend_acks[i];
	return NULL;
}

/* Notes that r's state (its ack) is to be logged at the next flush; one
 * record per run and flush, carrying the latest values. */
static int pending_ack_add(struct outbox *ob, const struct run_state *r)
{
	struct pending_ack *n, *a = pending_ack_find(ob, r->run);

	if (!a) {
		n = table_room(ob->pend_acks, &ob->cap_pend_acks, ob->n_pend_acks, sizeof(*n), 4);
		if (!n)
			return -ENOMEM;
		ob->pend_acks = n;
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
	ob->st.depth--;
	if (log_id && pos < ob->write_pos)
		(void)pending_id_add(ob, s->e.id);
	ring_pop_done(ob);
}

/* Drops the oldest entry (the outbox is full) and sets lost_after where
 * outbox.h says; the walk to the run's next held entry passes tombstones no
 * later drop walks again. Not while loading: open sets lost_after from the
 * whole of what it found. */
static void drop_oldest(struct outbox *ob)
{
	struct slot *s = slot_at(ob, ob->head_pos);
	struct run_state *r = &ob->runs[s->run_idx];
	uint64_t next = s->next_in_run, *lost;

	while (next != POS_NONE && slot_at(ob, next)->done)
		next = slot_at(ob, next)->next_in_run;
	slot_retire(ob, ob->head_pos, true);
	ob->st.dropped++;
	if (!ob->loaded)
		return;
	lost = next != POS_NONE ? &slot_at(ob, next)->e.lost_after : &r->lost_pending;
	if (r->acked_seq < *lost)
		*lost = r->acked_seq;
}

/* Adds an entry with a NUL-terminated copy of the len bytes at payload. 0 or
 * -ENOMEM. */
static int ring_push(struct outbox *ob, uint64_t id, const char *run, uint64_t seq,
		     const char *payload, size_t len)
{
	char *copy = malloc(len + 1);
	struct slot *s;
	struct run_state *r;
	int idx;
	uint64_t pos;

	if (!copy)
		return -ENOMEM;
	if (len)
		memcpy(copy, payload, len);
	copy[len] = '\0';
	/* Not while loading: a batch logs its readings before the acks and
	 * PUBACKs that came with it, so mid-replay the outbox can look fuller
	 * than it was, and a bound applied there would drop readings no one
	 * confirmed. outbox_open applies it once everything is read. */
	while (ob->loaded && (ob->st.depth >= ob->max_entries ||
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
	s->e.payload = copy;
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
	ob->st.depth++;
	return 0;

err_free:
	free(copy);
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

/* ---- opening: replay the segment log ---- */

/* Applies a record of the log's replay to the ring (ctx is the outbox). 0
 * or -ENOMEM. */
static int record_apply(void *ctx, const struct outlog_record *rec)
{
	struct outbox *ob = ctx;
	struct run_state *r;
	uint64_t pos, end;
	int idx;

	switch (rec->kind) {
	case OUTLOG_READING:
		if (ring_push(ob, rec->id, rec->run, rec->seq, (const char *)rec->payload,
			      rec->plen) < 0)
			return -ENOMEM;
		/* On disk already: a drop while loading gets its 'C' record. */
		ob->write_pos = ob->tail_pos;
		return 0;
	case OUTLOG_DONE:
		end = rec->first + rec->count;
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
	case OUTLOG_RUN_STATE:
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
	}
	return 0;
}

/* After replay: lost_after where a run's held entries skip seqs (outbox.h). */
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

/* The id of the oldest entry held, UINT64_MAX when none is: segments
 * holding only older readings may go. */
static uint64_t oldest_id(const struct outbox *ob)
{
	return ob->head_pos < ob->tail_pos ? slot_at(ob, ob->head_pos)->e.id : UINT64_MAX;
}

struct outbox *outbox_open(const char *dir, size_t max_entries)
{
	struct outbox *ob;
	struct outlog_damage damage = { 0 };
	int err;

	if (!dir || !*dir || max_entries == 0) {
		errno = EINVAL;
		return NULL;
	}
	ob = calloc(1, sizeof(*ob));
	if (!ob)
		return NULL;
	ob->max_entries = max_entries;
	/* Tombstones of confirmed entries wait behind an unconfirmed older one;
	 * this bounds them (and so memory and disk) when one entry never gets
	 * confirmed: it is dropped after this many newer appends. */
	ob->span_max = max_entries > SIZE_MAX / 2 ? SIZE_MAX : max_entries * 2;
	ob->sent_first = ob->sent_last = POS_NONE;

	ob->log = outlog_open(dir);
	if (!ob->log) {
		free(ob);
		return NULL;
	}
	err = outlog_replay(ob->log, record_apply, ob, &damage, &ob->next_id);
	if (err)
		goto err_close;
	ob->st.corrupt_regions = damage.corrupt_regions;
	ob->st.corrupt_bytes = damage.corrupt_bytes;
	ob->st.torn_tails = damage.torn_tails;
	ob->st.torn_bytes = damage.torn_bytes;
	/* The bound, now that every confirmation is applied. Readings dropped
	 * here (max_entries is smaller than what the disk holds) are logged as
	 * done at the next flush; until then a restart would load them again,
	 * which only resends them. */
	while (ob->st.depth > ob->max_entries || ob->tail_pos - ob->head_pos > ob->span_max)
		drop_oldest(ob);
	ob->st.recovered = ob->st.depth;
	gaps_mark(ob);

	err = outlog_prune(ob->log, oldest_id(ob), true);
	if (err)
		goto err_close;
	ob->loaded = true;
	return ob;

err_close:
	outbox_close(ob);	/* not loaded: frees, closes, writes nothing */
	errno = -err;
	return NULL;
}

/* ---- flushing ---- */

/* Builds the log's batch: new readings first, then confirmations (which only
 * name readings written by earlier batches). With fresh (it starts a new
 * segment) a batch that has records also gets a 'K' for every known run with
 * an ack: older segments are deleted once their readings are all done, and
 * this way what the collector acknowledged is never deleted with them.
 * 0 or -ENOMEM. */
static int batch_build(struct outbox *ob, bool fresh)
{
	const struct pending_ack *a;
	const struct run_state *r;
	const struct slot *s;
	uint64_t pos;
	size_t i, n = 0;

	outlog_batch_begin(ob->log);
	for (pos = ob->write_pos; pos < ob->tail_pos; pos++) {
		s = slot_at(ob, pos);
		if (s->done)
			continue;	/* confirmed before it was written: nothing to keep */
		if (outlog_batch_reading(ob->log, s->e.id, s->e.seq, s->e.run, s->e.payload,
					 s->e.len) < 0)
			return -ENOMEM;
		n++;
	}
	for (i = 0; i < ob->n_pend_ids; i++, n++) {
		if (outlog_batch_done(ob->log, ob->pend_ids[i].first, ob->pend_ids[i].count) < 0)
			return -ENOMEM;
	}
	for (i = 0; i < ob->n_pend_acks; i++, n++) {
		a = &ob->pend_acks[i];
		if (outlog_batch_run_state(ob->log, a->run, a->acked_seq, a->max_seq) < 0)
			return -ENOMEM;
	}
	if (!fresh || n == 0)
		return 0;
	for (i = 0; i < ob->n_runs; i++) {
		r = &ob->runs[i];
		if (r->acked_seq == 0 || pending_ack_find(ob, r->run))
			continue;	/* no ack, or just written */
		if (outlog_batch_run_state(ob->log, r->run, r->acked_seq, r->max_seq) < 0)
			return -ENOMEM;
	}
	return 0;
}

int outbox_write(struct outbox *ob)
{
	int err;

	if (!ob)
		return -EINVAL;
	if (ob->write_pos == ob->tail_pos && !ob->n_pend_ids && !ob->n_pend_acks)
		return 0;
	err = batch_build(ob, outlog_segment_full(ob->log));
	if (!err)
		err = outlog_batch_write(ob->log);
	if (err)
		return err;
	ob->write_pos = ob->tail_pos;
	ob->n_pend_ids = 0;
	ob->n_pend_acks = 0;
	return 0;
}

int outbox_flush(struct outbox *ob)
{
	int err = outbox_write(ob);

	if (err)
		return err;
	err = outlog_sync(ob->log);
	if (err < 0)
		return err;
	if (err)
		ob->st.flushes++;
	return outlog_prune(ob->log, oldest_id(ob), true);
}

void outbox_close(struct outbox *ob)
{
	if (!ob)
		return;
	if (ob->loaded) {
		/* With nothing left, leave an empty folder behind. */
		if (outbox_flush(ob) == 0 && ob->st.depth == 0)
			(void)outlog_prune(ob->log, oldest_id(ob), false);
	}
	for (uint64_t pos = ob->head_pos; pos < ob->tail_pos; pos++)
		free(slot_at(ob, pos)->e.payload);
	outlog_close(ob->log);
	free(ob->slots);
	free(ob->runs);
	free(ob->pend_ids);
	free(ob->pend_acks);
	free(ob);
}

/* ---- the daemon's calls ---- */

int outbox_append(struct outbox *ob, const char *run, uint64_t seq, const char *payload, size_t len)
{
	int err;

	if (!ob || !run || !outlog_run_is_valid(run, strnlen(run, OUTBOX_RUN_LEN + 1)) ||
	    (!payload && len) || len > OUTLOG_PAYLOAD_MAX)
		return -EINVAL;
	err = ring_push(ob, ob->next_id, run, seq, payload, len);
	if (err)
		return err;
	ob->next_id++;
	ob->st.appended++;
	return 0;
}

size_t outbox_ack(struct outbox *ob, const char *run, uint64_t seq)
{
	struct run_state *r = ob ? run_known(ob, run) : NULL;
	uint64_t before;
	size_t n;

	/* Above max_seq, nothing was made with that seq: the ack is wrong.
	 * Taken, it would raise acked_seq past readings not made yet, which the
	 * logged ack would then confirm at the next open without them being
	 * received. */
	if (!r || seq > r->max_seq)
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
	const struct run_state *r = ob ? run_known(ob, run) : NULL;

	if (!r)
		return -1;
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
}
