/* libFuzzer harness for the outbox's confirmations and drops
 * (sensord/outbox.h), against a model of its own: sensord moves the outbox
 * on acks that anyone may publish, and the collector trusts what lost_after
 * says it may skip.
 *
 * The input is a script for one outbox, opened in a fresh mkdtemp folder
 * (under /dev/shm when there is one: the script flushes often, and an
 * fdatasync on a disk would cost more than the rest of the input) and
 * removed afterwards. The first byte sets max_entries, 4..64, so drops come
 * soon. Then each byte is an operation (low nibble) and its parameter (high
 * nibble), some followed by an operand byte: append the next seq, or the
 * next 2 to 256, of run A, B or C (16, 8 and 16 digits); an ack of one of
 * them or of a stranger (an 8-digit prefix of A, B with 8 more digits,
 * ...) with a seq near the run's range, above it, 0, 10^15, 2^53 or
 * UINT64_MAX; a PUBACK of an id seen before, or of 0 or UINT64_MAX;
 * next_to_send, with or without mark_sent, resend_s infinite or 2 s; the
 * clock; reset_sent; outbox_write or outbox_flush; close and open again, or
 * a kill -9 (the folder's files copied as they are and the copy opened);
 * calls with invalid run ids. Every input ends with a close and an open.
 *
 * The model (plain arrays; nothing taken from outbox.c) is compared after
 * every operation: depth, appended, confirmed, dropped and recovered,
 * outbox_run_info of each run (max_seq, acked_seq), and every entry
 * next_to_send returns: which one, its run, seq, payload, sent_at and
 * lost_after, its id kept and rising in append order. After each open, and
 * after each reset_sent, next_to_send lists everything held, which must be
 * the model's held entries, in order. Checked on their own as well:
 *
 * - an ack of a stranger, or with a seq above the highest ever appended to
 *   its run, confirms nothing, now or later; an ack returns how many it
 *   confirmed; no entry next_to_send returns has a seq at or below its
 *   run's acked_seq;
 * - depth never exceeds max_entries; a drop takes the oldest held entry
 *   (as what next_to_send returns afterwards shows), and stats.dropped
 *   counts the model's drops;
 * - lost_after is OUTBOX_NO_LOSS while nothing of the run was dropped, lost
 *   in a crash, confirmed by PUBACK or forgotten at an open; and an entry
 *   with lost_after P arrives while the outbox holds no entry of its run
 *   with a seq strictly between P and its own, and none comes back later
 *   (the collector moves its ack past them);
 * - a close and an open bring back exactly what was held, and drop nothing
 *   (the folder never holds more than max_entries unconfirmed readings); a
 *   kill -9 and an open bring back exactly what was held at the last write
 *   or flush; the files are never found damaged.
 *
 * Where the header promises less than the model could check, the model
 * follows the header (marked "Header:" below): a run's state after an open;
 * a drop's lost_after waiting for the run's next append, which does not
 * outlive the outbox object; after a kill -9, readings confirmed or dropped
 * since the last write come back, a lost_after's promise included. The
 * second drop rule, an unconfirmed entry dropped once twice max_entries
 * entries (confirmed ones included) stand after it, is outbox.c's, from the
 * comment in outbox_open(). */
#include "outbox.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define N_OF(a) (sizeof(a) / sizeof((a)[0]))

#define MAX_ENTRIES_MIN 4
#define MAX_ENTRIES_MAX 64
#define OPS_MAX 4096		/* the rest of a longer input is not read */
#define PAYLOAD_MAX 96
#define RESEND_S 2.0
#define PROMISES_MAX 64		/* lost_after ranges remembered per run */
#define UNTOUCHED UINT64_C(0xA5A5A5A5A5A5A5A5)

/* Runs A, B and C: what sensord makes now (16 digits), and an 8-digit run
 * as 0.1.0 made them. */
#define N_RUNS 3
static const char *const run_ids[N_RUNS] = { "0123456789abcdef", "deadbeef", "00000000cafe0001" };
/* Valid run ids never appended: look-alikes of A, B and C. */
static const char *const strangers[] = { "01234567", "deadbeef00000000", "0123456789abcdee",
					  "cafe0001" };
/* Not run ids at all. */
static const char *const invalid_runs[] = { "", "0123456789ABCDEF", "0123456789abcde",
					    "0123456789abcdef0", "deadbeeg", "dead beef" };

/* ---- the model ---- */

enum m_state { M_HELD, M_CONFIRMED, M_DROPPED, M_LOST };
/* What the folder holds of an entry as of the last write or flush. */
enum m_disk { D_NONE, D_HELD, D_DONE };

struct m_entry {
	uint64_t seq;
	uint64_t id;		/* as the outbox numbered it; 0 until seen */
	uint64_t lost_after;	/* what the outbox must say */
	uint64_t sent_order;	/* place in the resend order, when sent */
	double sent_at;		/* < 0: not sent since the last open or reset */
	unsigned char run;
	unsigned char state;	/* enum m_state */
	unsigned char disk;	/* enum m_disk */
	bool in_ring;		/* counts towards the span the outbox bounds */
	bool dirty;		/* changed since the last write */
};

struct m_promise {
	uint64_t lo, hi;	/* no seq strictly between them is ever held again */
};

struct m_run {
	bool known;		/* outbox_run_info must answer for it */
	uint64_t max_seq, acked_seq;	/* with these */
	uint64_t made;		/* highest seq ever appended: the next is made + 1 */
	uint64_t lost_pending;	/* lost_after of the run's next append */
	bool loss;		/* dropped, lost in a crash, confirmed by PUBACK or forgotten */
	/* As of the last write: what an open may find. */
	bool disk_known;
	uint64_t disk_max, disk_acked;
	/* Filled at an open: the highest seq the replay must have seen. */
	bool in_ring;
	uint64_t ring_max;
	struct m_promise promises[PROMISES_MAX];
	size_t n_promises;
};

struct model {
	struct m_entry *e;	/* every entry appended, in append order */
	size_t n, cap;
	size_t held[MAX_ENTRIES_MAX];	/* indices into e, oldest first */
	size_t n_held;
	/* The span: entries from the oldest held to the newest, confirmed
	 * ones included, as far as the outbox has them (after an open, only
	 * those the replay met). ring_head is at or before the first. */
	size_t ring_head, ring_count;
	size_t floor;		/* no entry before it is held or held on disk */
	size_t *dirty;		/* entries changed since the last write */
	size_t n_dirty, cap_dirty;
	size_t *seen;		/* entries whose id is known, for PUBACKs */
	size_t n_seen, cap_seen;
	struct m_run runs[N_RUNS];
	size_t max_entries;
	uint64_t appended, confirmed, dropped, recovered;	/* since open */
	uint64_t sent_clock;
};

struct fz {
	struct outbox *ob;
	char dir[64];
	struct model m;
	double now;
	size_t op;		/* the operation running, for the message */
	const uint8_t *in;
	size_t in_len, in_at;
};

static void dir_remove(const char *dir);

/* The input reproduces the failure: its folder would only be litter. */
static void violated(const struct fz *f, const char *what, int line)
{
	fprintf(stderr, "fuzz_outbox: operation %zu: %s (line %d)\n", f->op, what, line);
	if (f->dir[0])
		dir_remove(f->dir);
	abort();
}

#define CHECK(f, cond, what)                          \
	do {                                          \
		if (!(cond))                          \
			violated(f, what, __LINE__); \
	} while (0)

static void *grow(struct fz *f, void *p, size_t *cap, size_t n, size_t elem)
{
	size_t c = *cap ? *cap * 2 : 256;

	if (n < *cap)
		return p;
	p = realloc(p, c * elem);
	CHECK(f, p, "out of memory (the harness)");
	*cap = c;
	return p;
}

static void keep_min(uint64_t *v, uint64_t x)
{
	if (x < *v)
		*v = x;
}

/* The payload of (run, seq): its text, padded to a length that varies with
 * the seq; empty for every 11th seq. */
static size_t payload_make(char *buf, size_t size, unsigned run, uint64_t seq)
{
	size_t n, pad;

	buf[0] = '\0';
	if (seq % 11 == 0)
		return 0;
	n = (size_t)snprintf(buf, size, "{\"run\":\"%s\",\"seq\":%llu}", run_ids[run],
			     (unsigned long long)seq);
	pad = (size_t)(seq * 7 % 13);
	if (n + pad >= size)
		pad = size - n - 1;
	memset(buf + n, ' ', pad);
	buf[n + pad] = '\0';
	return n + pad;
}

static void m_dirty(struct fz *f, size_t i)
{
	struct model *m = &f->m;

	if (m->e[i].dirty)
		return;
	m->dirty = grow(f, m->dirty, &m->cap_dirty, m->n_dirty, sizeof(*m->dirty));
	m->dirty[m->n_dirty++] = i;
	m->e[i].dirty = true;
}

/* The outbox forgets every entry before its oldest held one. */
static void m_ring_pop(struct model *m)
{
	size_t stop = m->n_held ? m->held[0] : m->n;

	for (; m->ring_head < stop; m->ring_head++) {
		if (m->e[m->ring_head].in_ring) {
			m->e[m->ring_head].in_ring = false;
			m->ring_count--;
		}
	}
}

/* Takes held[k] out of the held entries. */
static void m_unhold(struct fz *f, size_t k, enum m_state state)
{
	struct model *m = &f->m;
	size_t i = m->held[k];

	m->e[i].state = (unsigned char)state;
	memmove(&m->held[k], &m->held[k + 1], (m->n_held - k - 1) * sizeof(m->held[0]));
	m->n_held--;
	m_dirty(f, i);
	if (k == 0)
		m_ring_pop(m);
}

/* Header: the drop gives the run's next held entry, or its next appended,
 * lost_after = the run's acked_seq then (a smaller one is kept). */
static void m_drop_oldest(struct fz *f)
{
	struct model *m = &f->m;
	size_t i = m->held[0], k;
	struct m_run *r = &m->runs[m->e[i].run];

	m_unhold(f, 0, M_DROPPED);
	m->dropped++;
	r->loss = true;
	for (k = 0; k < m->n_held && m->e[m->held[k]].run != m->e[i].run; k++)
		;
	if (k < m->n_held)
		keep_min(&m->e[m->held[k]].lost_after, r->acked_seq);
	else
		keep_min(&r->lost_pending, r->acked_seq);
}

/* Appends the run's next seq; returns the entry. Full (max_entries held, or
 * twice that many in the span): the oldest held entry goes first. */
static size_t m_append(struct fz *f, unsigned run)
{
	struct model *m = &f->m;
	struct m_run *r = &m->runs[run];
	struct m_entry *e;
	size_t i;

	while (m->n_held >= m->max_entries || m->ring_count >= 2 * m->max_entries)
		m_drop_oldest(f);
	m->e = grow(f, m->e, &m->cap, m->n, sizeof(*m->e));
	i = m->n++;
	e = &m->e[i];
	memset(e, 0, sizeof(*e));
	e->seq = ++r->made;
	e->run = (unsigned char)run;
	e->state = M_HELD;
	e->disk = D_NONE;
	e->lost_after = r->lost_pending;
	r->lost_pending = OUTBOX_NO_LOSS;
	e->sent_at = -1;
	e->in_ring = true;
	m->ring_count++;
	m->held[m->n_held++] = i;
	m_dirty(f, i);
	r->known = true;
	if (e->seq > r->max_seq)
		r->max_seq = e->seq;
	m->appended++;
	return i;
}

/* Header: an ack of a run the outbox does not know, or above its max_seq,
 * confirms nothing; else every held entry of the run with seq <= seq. */
static size_t m_ack(struct fz *f, int run, uint64_t seq)
{
	struct model *m = &f->m;
	struct m_run *r;
	size_t k = 0, n = 0;

	if (run < 0)
		return 0;
	r = &m->runs[run];
	if (!r->known || seq > r->max_seq)
		return 0;
	while (k < m->n_held) {
		const struct m_entry *e = &m->e[m->held[k]];

		if (e->run == run && e->seq <= seq) {
			m_unhold(f, k, M_CONFIRMED);
			n++;
		} else {
			k++;
		}
	}
	if (seq > r->acked_seq)
		r->acked_seq = seq;
	m->confirmed += n;
	return n;
}

static size_t m_confirm_id(struct fz *f, uint64_t id)
{
	struct model *m = &f->m;

	for (size_t k = 0; k < m->n_held && id; k++) {
		const struct m_entry *e = &m->e[m->held[k]];

		if (e->id == id) {
			m->runs[e->run].loss = true;
			m_unhold(f, k, M_CONFIRMED);
			m->confirmed++;
			return 1;
		}
	}
	return 0;
}

/* Header: the entry next_to_send returns, as an index into held (SIZE_MAX
 * for none): the one sent longest ago when it is due again, else the
 * oldest never sent. (The sent ones are always the oldest held, so this is
 * "the oldest that should be (re)sent".) */
static size_t m_next(const struct model *m, double now, double resend_s)
{
	size_t k, front = SIZE_MAX;

	for (k = 0; k < m->n_held; k++) {
		const struct m_entry *e = &m->e[m->held[k]];

		if (e->sent_at >= 0 &&
		    (front == SIZE_MAX || e->sent_order < m->e[m->held[front]].sent_order))
			front = k;
	}
	if (front != SIZE_MAX && now - m->e[m->held[front]].sent_at > resend_s)
		return front;
	for (k = 0; k < m->n_held; k++) {
		if (m->e[m->held[k]].sent_at < 0)
			return k;
	}
	return SIZE_MAX;
}

/* outbox_write, outbox_flush or the flush in outbox_close: the folder now
 * holds what the outbox holds (as far as a kill -9 is concerned). */
static void m_write(struct model *m)
{
	for (size_t d = 0; d < m->n_dirty; d++) {
		struct m_entry *e = &m->e[m->dirty[d]];

		if (e->state == M_HELD)
			e->disk = D_HELD;
		else if (e->disk == D_HELD)
			e->disk = D_DONE;
		e->dirty = false;
	}
	m->n_dirty = 0;
	for (size_t r = 0; r < N_RUNS; r++) {
		m->runs[r].disk_known = m->runs[r].known;
		m->runs[r].disk_max = m->runs[r].max_seq;
		m->runs[r].disk_acked = m->runs[r].acked_seq;
	}
}

/* A close (which flushes) or a kill -9, then an open: what the folder held
 * comes back. The runs' state is read from the outbox afterwards
 * (reopen_runs), then gaps give lost_after (m_gaps). */
static void m_reopen(struct fz *f, bool crash)
{
	struct model *m = &f->m;
	size_t i, from, seen = 0;

	if (!crash) {
		m_write(m);
	} else {
		/* Appended since the last write: lost, confirmed or not (a
		 * hole in the run's seqs all the same). Confirmed or dropped
		 * since: back, as its confirmation never reached the file. */
		for (size_t d = 0; d < m->n_dirty; d++) {
			struct m_entry *e = &m->e[m->dirty[d]];

			if (e->disk == D_NONE) {
				if (e->state == M_HELD)
					e->state = M_LOST;
				m->runs[e->run].loss = true;
			} else if (e->disk == D_HELD) {
				e->state = M_HELD;
			}
			e->dirty = false;
		}
		m->n_dirty = 0;
		/* Header: a kill -9 keeps what outbox_write wrote, and a drop
		 * since then was not written: a reading a lost_after gave up
		 * may come back. */
		for (size_t r = 0; r < N_RUNS; r++)
			m->runs[r].n_promises = 0;
	}
	while (m->floor < m->n && m->e[m->floor].state != M_HELD && m->e[m->floor].disk != D_HELD)
		m->floor++;
	from = m->ring_head < m->floor ? m->ring_head : m->floor;
	m->n_held = 0;
	m->ring_count = 0;
	m->ring_head = m->n;
	/* Header: at open, lost_after comes from the gaps in what is held
	 * (m_gaps); a drop's waiting for the run's next append is gone. */
	for (size_t r = 0; r < N_RUNS; r++) {
		m->runs[r].in_ring = false;
		m->runs[r].ring_max = 0;
		m->runs[r].lost_pending = OUTBOX_NO_LOSS;
	}
	/* The replay meets every entry written from the oldest held one on,
	 * and keeps those confirmed since in the span. */
	for (i = from; i < m->n; i++) {
		struct m_entry *e = &m->e[i];

		e->in_ring = false;
		if (e->state == M_HELD) {
			if (m->n_held == 0)
				m->ring_head = i;
			CHECK(f, e->disk == D_HELD, "model: held but not on disk");
			CHECK(f, m->n_held < m->max_entries, "model: more held than max_entries");
			m->held[m->n_held++] = i;
			e->sent_at = -1;
		}
		if (m->n_held && e->disk != D_NONE) {
			e->in_ring = true;
			m->ring_count++;
			m->runs[e->run].in_ring = true;
			if (e->seq > m->runs[e->run].ring_max)
				m->runs[e->run].ring_max = e->seq;
		}
	}
	/* Ids: the held keep theirs; the others' may be given again. */
	for (size_t s = 0; s < m->n_seen; s++) {
		struct m_entry *e = &m->e[m->seen[s]];

		if (e->state == M_HELD)
			m->seen[seen++] = m->seen[s];
		else
			e->id = 0;
	}
	m->n_seen = seen;
	m->appended = m->confirmed = m->dropped = 0;
	m->recovered = m->n_held;
}

/* Header (outbox_entry.lost_after, at open): where a run's held entries
 * skip seqs, lost_after is the previous held seq, or the run's acked_seq
 * for its first. */
static void m_gaps(struct model *m)
{
	uint64_t from[N_RUNS];

	for (size_t r = 0; r < N_RUNS; r++)
		from[r] = m->runs[r].acked_seq;
	for (size_t k = 0; k < m->n_held; k++) {
		struct m_entry *e = &m->e[m->held[k]];
		uint64_t p = from[e->run];

		e->lost_after = e->seq > p && e->seq - p > 1 ? p : OUTBOX_NO_LOSS;
		from[e->run] = e->seq;
	}
}

static void m_free(struct model *m)
{
	free(m->e);
	free(m->dirty);
	free(m->seen);
}

/* ---- the folder ---- */

static int dir_make(char *buf, size_t size)
{
	struct stat st;
	const char *base = stat("/dev/shm", &st) == 0 && S_ISDIR(st.st_mode) ? "/dev/shm" : "/tmp";

	snprintf(buf, size, "%s/fuzz_outbox-XXXXXX", base);
	return mkdtemp(buf) ? 0 : -1;
}

/* Removes the folder and its files (the outbox makes no folders in it). */
static void dir_remove(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *de;

	if (d) {
		while ((de = readdir(d)) != NULL) {
			if (strcmp(de->d_name, ".") != 0 && strcmp(de->d_name, "..") != 0)
				(void)unlinkat(dirfd(d), de->d_name, 0);
		}
		closedir(d);
	}
	(void)rmdir(dir);
}

static int file_copy(int from_dir, int to_dir, const char *name)
{
	char buf[8192];
	ssize_t got;
	int in, out, err = 0;

	in = openat(from_dir, name, O_RDONLY | O_CLOEXEC);
	if (in < 0)
		return -1;
	out = openat(to_dir, name, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (out < 0) {
		close(in);
		return -1;
	}
	while ((got = read(in, buf, sizeof(buf))) > 0) {
		if (write(out, buf, (size_t)got) != got) {
			err = -1;
			break;
		}
	}
	if (got < 0)
		err = -1;
	close(out);
	close(in);
	return err;
}

/* What a kill -9 leaves for the next start: the files as they are. */
static int dir_copy(const char *from, const char *to)
{
	DIR *d = opendir(from);
	struct dirent *de;
	int to_fd, err = 0;

	if (!d)
		return -1;
	to_fd = open(to, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (to_fd < 0) {
		closedir(d);
		return -1;
	}
	while (!err && (de = readdir(d)) != NULL) {
		if (strcmp(de->d_name, ".") != 0 && strcmp(de->d_name, "..") != 0)
			err = file_copy(dirfd(d), to_fd, de->d_name);
	}
	close(to_fd);
	closedir(d);
	return err;
}

/* ---- checks ---- */

static void check_stats(struct fz *f)
{
	const struct model *m = &f->m;
	struct outbox_stats st;

	outbox_get_stats(f->ob, &st);
	CHECK(f, st.depth <= m->max_entries, "depth above max_entries");
	CHECK(f, st.depth == m->n_held, "depth");
	CHECK(f, st.dropped == m->dropped, "stats.dropped");
	CHECK(f, st.appended == m->appended, "stats.appended");
	CHECK(f, st.confirmed == m->confirmed, "stats.confirmed");
	CHECK(f, st.recovered == m->recovered, "stats.recovered");
	CHECK(f, st.corrupt_regions == 0 && st.corrupt_bytes == 0 && st.torn_tails == 0 &&
		 st.torn_bytes == 0, "intact files found damaged");
}

static void check_runs(struct fz *f)
{
	for (size_t r = 0; r < N_RUNS; r++) {
		const struct m_run *mr = &f->m.runs[r];
		uint64_t max_seq = UNTOUCHED, acked_seq = UNTOUCHED;
		int rc = outbox_run_info(f->ob, run_ids[r], &max_seq, &acked_seq);

		if (!mr->known) {
			CHECK(f, rc == -1 && max_seq == UNTOUCHED && acked_seq == UNTOUCHED,
			      "run_info of a run the outbox does not know");
			continue;
		}
		CHECK(f, rc == 0, "run_info: a known run");
		CHECK(f, max_seq == mr->max_seq, "run_info: max_seq");
		CHECK(f, acked_seq == mr->acked_seq, "run_info: acked_seq");
		CHECK(f, acked_seq <= max_seq && max_seq <= mr->made,
		      "run_info: acked <= max <= made");
	}
}

static void promise(struct fz *f, unsigned run, uint64_t lo, uint64_t hi)
{
	struct m_run *r = &f->m.runs[run];

	for (size_t p = 0; p < r->n_promises; p++) {
		if (r->promises[p].lo <= lo && r->promises[p].hi >= hi)
			return;
	}
	if (r->n_promises < PROMISES_MAX)
		r->promises[r->n_promises++] = (struct m_promise){ lo, hi };
}

/* e was returned by next_to_send; the model says it is held[k]. */
static void see_entry(struct fz *f, const struct outbox_entry *e, size_t k)
{
	struct model *m = &f->m;
	struct m_entry *me = &m->e[m->held[k]];
	const struct m_run *r = &m->runs[me->run];
	char want[PAYLOAD_MAX];
	size_t want_len = payload_make(want, sizeof(want), me->run, me->seq);
	uint64_t last = 0, p = e->lost_after;

	CHECK(f, strcmp(e->run, run_ids[me->run]) == 0 && e->seq == me->seq,
	      "next_to_send: not the entry the model expects");
	CHECK(f, e->len == want_len && e->payload && memcmp(e->payload, want, want_len) == 0 &&
		 e->payload[want_len] == '\0', "next_to_send: payload");
	CHECK(f, e->sent_at == me->sent_at || (e->sent_at < 0 && me->sent_at < 0),
	      "next_to_send: sent_at");
	CHECK(f, e->seq > r->acked_seq, "next_to_send: an entry its run's ack covers");
	for (size_t i = 0; i < r->n_promises; i++) {
		CHECK(f, e->seq <= r->promises[i].lo || e->seq >= r->promises[i].hi,
		      "next_to_send: an entry a lost_after gave up came back");
	}

	CHECK(f, e->id != 0 && e->id != UINT64_MAX, "id 0 or UINT64_MAX");
	if (me->id) {
		CHECK(f, e->id == me->id, "an entry's id changed");
	} else {
		me->id = e->id;
		m->seen = grow(f, m->seen, &m->cap_seen, m->n_seen, sizeof(*m->seen));
		m->seen[m->n_seen++] = m->held[k];
	}
	for (size_t j = 0; j < m->n_held; j++) {
		uint64_t id = m->e[m->held[j]].id;

		if (id) {
			CHECK(f, id > last, "ids do not rise in append order");
			last = id;
		}
	}

	CHECK(f, p == me->lost_after, "lost_after is not what the header says");
	if (!r->loss)
		CHECK(f, p == OUTBOX_NO_LOSS, "lost_after set though nothing of the run was lost");
	if (p != OUTBOX_NO_LOSS) {
		CHECK(f, p < e->seq, "lost_after not below the seq");
		for (size_t j = 0; j < m->n_held; j++) {
			const struct m_entry *o = &m->e[m->held[j]];

			CHECK(f, o->run != me->run || o->seq <= p || o->seq >= e->seq,
			      "lost_after gives up an entry the outbox holds");
		}
		promise(f, me->run, p, e->seq);
	}
}

/* next_to_send lists everything held, in order, which must be the model's
 * held entries; afterwards nothing counts as sent (outbox_reset_sent). */
static void audit(struct fz *f)
{
	struct model *m = &f->m;
	struct outbox_entry *e;

	outbox_reset_sent(f->ob);
	for (size_t k = 0; k < m->n_held; k++)
		m->e[m->held[k]].sent_at = -1;
	for (size_t k = 0; k < m->n_held; k++) {
		e = outbox_next_to_send(f->ob, f->now, INFINITY);
		CHECK(f, e, "a held entry is missing from next_to_send");
		see_entry(f, e, k);
		outbox_mark_sent(f->ob, e, f->now);
	}
	CHECK(f, outbox_next_to_send(f->ob, f->now, INFINITY) == NULL,
	      "next_to_send: an entry the model does not hold");
	outbox_reset_sent(f->ob);
}

/* After an open. Header: the outbox knows a run it found on disk (it must
 * then have found the run's entries the replay met); acked_seq is the
 * highest acknowledged, logged before the restart; max_seq the highest
 * appended or recovered, which may be below what was made before (not
 * every reading reaches the file) but not below what the replay met. */
static void reopen_runs(struct fz *f)
{
	for (size_t r = 0; r < N_RUNS; r++) {
		struct m_run *mr = &f->m.runs[r];
		uint64_t max_seq = UNTOUCHED, acked_seq = UNTOUCHED;
		bool known = outbox_run_info(f->ob, run_ids[r], &max_seq, &acked_seq) == 0;

		CHECK(f, known || !mr->in_ring,
		      "a run with readings on disk is unknown after open");
		if (!known) {
			CHECK(f, max_seq == UNTOUCHED && acked_seq == UNTOUCHED,
			      "run_info of a run the outbox does not know");
			/* Its ack forgotten, seqs appended to it from here on
			 * start above a hole (sensord never does that: it
			 * makes a new run at each start). */
			if (mr->made)
				mr->loss = true;
			mr->known = false;
			mr->max_seq = mr->acked_seq = 0;
			continue;
		}
		CHECK(f, mr->disk_known, "a run known after open that was never written");
		CHECK(f, acked_seq == mr->disk_acked, "acked_seq after open");
		CHECK(f, max_seq <= mr->disk_max, "max_seq after open: above what was written");
		CHECK(f, max_seq >= mr->ring_max && max_seq >= acked_seq,
		      "max_seq after open: below what the replay met");
		mr->known = true;
		mr->max_seq = max_seq;
		mr->acked_seq = acked_seq;
	}
}

/* ---- the operations ---- */

static uint8_t take(struct fz *f)
{
	return f->in_at < f->in_len ? f->in[f->in_at++] : 0;
}

static void op_append(struct fz *f, unsigned run, unsigned count)
{
	char buf[PAYLOAD_MAX];

	/* How many went is checked after the operation (stats.dropped), which
	 * ones in what next_to_send returns later. */
	for (unsigned c = 0; c < count; c++) {
		size_t i = m_append(f, run);
		size_t len = payload_make(buf, sizeof(buf), run, f->m.e[i].seq);

		CHECK(f, outbox_append(f->ob, run_ids[run], f->m.e[i].seq, buf, len) == 0,
		      "outbox_append");
	}
}

/* The seq of an ack, from its operand: near the run's range, above it, or
 * far off. */
static uint64_t ack_seq(struct fz *f, int run, uint8_t b)
{
	static const uint64_t far[] = { UINT64_C(1000000000000000),
					UINT64_C(1) << 53,
					(UINT64_C(1) << 53) + 1,
					UINT64_MAX,
					UINT64_MAX - 1,
					UINT64_C(1) << 32,
					UINT64_C(1) << 63 };
	const struct model *m = &f->m;
	const struct m_run *r = run >= 0 ? &m->runs[run] : NULL;
	uint64_t max = r ? r->max_seq : 0, acked = r ? r->acked_seq : 0, made = r ? r->made : 0;
	unsigned k = b >> 3;

	switch (b & 7) {
	case 0:
		return max > k ? max - k : 0;
	case 1:
		return acked + k;
	case 2:
		return max + 1 + k;
	case 3:
		return made > k ? made - k : 0;
	case 4:
		return k & 1;
	case 5:
		return far[k % N_OF(far)];
	case 6:
		/* The seq of one of the run's held entries. */
		for (size_t j = 0; r && j < m->n_held; j++) {
			const struct m_entry *e = &m->e[m->held[(j + k) % m->n_held]];

			if (e->run == run)
				return e->seq;
		}
		return max;
	default:
		return acked > k ? acked - k : 0;
	}
}

static void op_ack(struct fz *f, int run, uint64_t seq)
{
	const char *id = run >= 0 ? run_ids[run] : strangers[-run - 1];
	bool bogus = run < 0 || seq > f->m.runs[run].made;
	struct outbox_stats before, after;
	size_t got, want;

	outbox_get_stats(f->ob, &before);
	got = outbox_ack(f->ob, id, seq);
	outbox_get_stats(f->ob, &after);
	CHECK(f, after.depth + got == before.depth, "an ack returns other than what it confirmed");
	if (bogus)
		CHECK(f, got == 0, "an ack of a stranger, or above what was made, confirmed");
	want = m_ack(f, run >= 0 ? run : -1, seq);
	CHECK(f, got == want, "an ack confirmed other than the model");
}

static void op_confirm(struct fz *f, unsigned p)
{
	struct model *m = &f->m;
	uint64_t id;
	uint8_t b = take(f);
	size_t got;

	if (p == 15)
		id = 0;
	else if (p == 14)
		id = UINT64_MAX;
	else if (m->n_seen)
		id = m->e[m->seen[b % m->n_seen]].id;
	else
		return;
	got = outbox_confirm_id(f->ob, id);
	CHECK(f, got == m_confirm_id(f, id), "confirm_id confirmed other than the model");
}

static void op_send(struct fz *f, unsigned p)
{
	struct model *m = &f->m;
	double resend_s = p & 4 ? RESEND_S : INFINITY;
	unsigned count = 1 + (p & 3);

	for (unsigned c = 0; c < count; c++) {
		size_t k = m_next(m, f->now, resend_s);
		struct outbox_entry *e = outbox_next_to_send(f->ob, f->now, resend_s);
		struct m_entry *me;

		if (k == SIZE_MAX) {
			CHECK(f, e == NULL, "next_to_send: an entry when none is due");
			return;
		}
		CHECK(f, e, "next_to_send: none when one is due");
		see_entry(f, e, k);
		if (p & 8)
			return;	/* a look only: the same comes next time */
		me = &m->e[m->held[k]];
		outbox_mark_sent(f->ob, e, f->now);
		me->sent_at = f->now;
		me->sent_order = ++m->sent_clock;
	}
}

static void op_reopen(struct fz *f, bool crash)
{
	struct outbox_stats st;
	char dir[sizeof(f->dir)];

	if (crash) {
		CHECK(f, dir_make(dir, sizeof(dir)) == 0, "mkdtemp");
		CHECK(f, dir_copy(f->dir, dir) == 0, "copying the folder");
	}
	outbox_close(f->ob);
	f->ob = NULL;
	if (crash) {
		dir_remove(f->dir);
		memcpy(f->dir, dir, sizeof(dir));
	}
	m_reopen(f, crash);
	f->ob = outbox_open(f->dir, f->m.max_entries);
	CHECK(f, f->ob, "outbox_open");
	outbox_get_stats(f->ob, &st);
	CHECK(f, st.dropped == 0,
	      "an open dropped readings though no more than max_entries were held");
	check_stats(f);
	reopen_runs(f);
	m_gaps(&f->m);
	audit(f);
}

/* Calls that must be refused and change nothing. */
static void op_probe(struct fz *f, unsigned p)
{
	static char big[65537];
	const char *bad = invalid_runs[p % N_OF(invalid_runs)];
	const char *stranger = strangers[p % N_OF(strangers)];
	uint64_t max_seq = UNTOUCHED, acked_seq = UNTOUCHED;

	CHECK(f, outbox_append(f->ob, bad, 1, "x", 1) == -EINVAL, "append: an invalid run");
	CHECK(f, outbox_ack(f->ob, bad, 0) == 0, "ack: an invalid run");
	CHECK(f, outbox_run_info(f->ob, bad, &max_seq, &acked_seq) == -1 && max_seq == UNTOUCHED &&
		 acked_seq == UNTOUCHED, "run_info: an invalid run");
	CHECK(f, outbox_run_info(f->ob, stranger, &max_seq, &acked_seq) == -1 &&
		 max_seq == UNTOUCHED && acked_seq == UNTOUCHED, "run_info: a stranger");
	CHECK(f, outbox_append(f->ob, run_ids[p % N_RUNS], 1, NULL, 3) == -EINVAL,
	      "append: no payload");
	CHECK(f, outbox_append(f->ob, run_ids[p % N_RUNS], 1, big, sizeof(big)) == -EINVAL,
	      "append: a payload above 64 KiB");
	CHECK(f, outbox_run_info(f->ob, run_ids[p % N_RUNS], NULL, NULL) ==
		 (f->m.runs[p % N_RUNS].known ? 0 : -1), "run_info without pointers");
}

static void op_run(struct fz *f, unsigned op, unsigned p)
{
	int run;

	switch (op) {
	case 0:
	case 1:
	case 2:
		/* 1, or a burst of 2 to 256: drops, and a segment's 4096
		 * records, in a few bytes. */
		op_append(f, op, p < 8 ? 1 : 1u << (p - 7));
		break;
	case 3:
	case 4:
		/* A, B, C, or a stranger (-1 to -4). */
		run = (p & 3) == 3 ? -1 - (int)(p >> 2) : (int)(p & 3);
		op_ack(f, run, ack_seq(f, run, take(f)));
		break;
	case 5:
		op_confirm(f, p);
		break;
	case 6:
	case 7:
		op_send(f, p);
		break;
	case 8:
		f->now += 0.5 * (p + 1);
		break;
	case 9:
		audit(f);
		break;
	case 10:
		CHECK(f, (p & 1 ? outbox_flush(f->ob) : outbox_write(f->ob)) == 0,
		      "flush or write");
		m_write(&f->m);
		break;
	case 11:
		op_reopen(f, p & 1);
		break;
	case 12:
		op_probe(f, p);
		break;
	case 13:
	case 14:
		op_append(f, p % N_RUNS, 1);
		break;
	default:
		/* A good ack, at or a little below the run's max_seq. */
		run = (int)(p % N_RUNS);
		op_ack(f, run, ack_seq(f, run, (uint8_t)((p / N_RUNS) << 3)));
		break;
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fz f;

	if (size == 0)
		return 0;
	memset(&f, 0, sizeof(f));
	f.m.max_entries = MAX_ENTRIES_MIN + data[0] % (MAX_ENTRIES_MAX - MAX_ENTRIES_MIN + 1);
	for (size_t r = 0; r < N_RUNS; r++)
		f.m.runs[r].lost_pending = OUTBOX_NO_LOSS;
	f.in = data + 1;
	f.in_len = size - 1;
	f.now = 1000.0;
	CHECK(&f, dir_make(f.dir, sizeof(f.dir)) == 0, "mkdtemp");
	f.ob = outbox_open(f.dir, f.m.max_entries);
	CHECK(&f, f.ob, "outbox_open");
	for (f.op = 1; f.in_at < f.in_len && f.op <= OPS_MAX; f.op++) {
		uint8_t b = take(&f);

		op_run(&f, b & 15, b >> 4);
		check_stats(&f);
		check_runs(&f);
	}
	op_reopen(&f, false);
	check_runs(&f);
	outbox_close(f.ob);
	dir_remove(f.dir);
	m_free(&f.m);
	return 0;
}
