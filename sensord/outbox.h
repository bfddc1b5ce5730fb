/* The durable outbox: every reading waits here, on disk under the state
 * directory, until it is confirmed (by the collector's end-to-end ack, or by
 * the broker's PUBACK). See docs/protocol.md, "Nothing lost, end to end".
 *
 * Readings are appended in memory and written to disk in batches by
 * outbox_flush() (one write and one fdatasync per call, so an SD card is not
 * written per reading; the caller flushes about once a second, which bounds
 * what a power cut can lose). On open, whatever the files hold that was not
 * confirmed comes back, in order, oldest run first, to be sent again.
 *
 * Bounded: with max_entries unconfirmed readings held, appending drops the
 * oldest (counted in outbox_stats.dropped). Not thread-safe: the daemon's
 * main loop owns it. */
#ifndef ROLLSENSE_OUTBOX_H
#define ROLLSENSE_OUTBOX_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* A run id is 16 lowercase hex digits, or 8 in outboxes written by 0.1.0
 * (they are recovered, and stay 8 digits: the collector knows them so). */
#define OUTBOX_RUN_LEN 16	/* the longest run id */
/* outbox_entry.lost_after when no reading before the entry is lost. */
#define OUTBOX_NO_LOSS UINT64_MAX

struct outbox;

struct outbox_entry {
	uint64_t id;		/* unique in this outbox, rising in append order */
	char run[OUTBOX_RUN_LEN + 1];	/* 8 or 16 digits, NUL-terminated */
	uint64_t seq;
	/* Not OUTBOX_NO_LOSS: this outbox holds no reading of this run with
	 * a seq strictly between lost_after and seq, and never will again;
	 * whichever of them the collector lacks is lost for good, and it may
	 * move its acknowledgement past them (the daemon puts lost_after in
	 * the reading it sends). Set when a full outbox drops the run's
	 * oldest unconfirmed reading (on the run's next held entry, or its
	 * next appended: the run's acked_seq then, 0 if none), and at open
	 * where a run's recovered entries skip seqs (readings in a damaged
	 * region, dropped or confirmed by PUBACK before the restart:
	 * lost_after is the previous held entry's seq, or the run's acked_seq
	 * for its first). Never set while one of those readings is held; in
	 * normal operation (no drop, no damage) always OUTBOX_NO_LOSS. */
	uint64_t lost_after;
	char *payload;		/* owned by the outbox; NUL-terminated */
	size_t len;
	double sent_at;		/* when last handed to MQTT (caller's clock); < 0: not yet sent */
};

struct outbox_stats {
	size_t depth;		/* unconfirmed readings held */
	uint64_t appended;	/* since open */
	uint64_t confirmed;	/* since open */
	uint64_t dropped;	/* oldest dropped because the outbox was full, since open */
	uint64_t recovered;	/* unconfirmed readings found on disk at open */
	uint64_t flushes;	/* outbox_flush() calls that wrote something */
	/* What open found damaged and skipped (the outbox never logs; the
	 * daemon reads these after open). A corrupt region is a stretch of
	 * bad bytes with a good record after it in its segment: the records
	 * it held are lost, whatever they were. A torn tail is bad bytes at
	 * the end of a segment with no good record after them: the normal
	 * trace of a crash or power cut during a write. */
	uint64_t corrupt_regions;
	uint64_t corrupt_bytes;	/* in all corrupt regions */
	uint64_t torn_tails;	/* segments that end in one */
	uint64_t torn_bytes;	/* in all torn tails */
};

/* Opens (creating it 0700 if needed) the outbox folder dir and loads what is
 * unconfirmed there. NULL with errno on failure (EACCES, EBUSY when another
 * process has it open, EIO, ENOMEM, ...). Damage is not a failure: a torn
 * tail (a last record cut short by a power cut) and a corrupt region in the
 * middle of a segment are skipped, every intact record before and after
 * them is kept, and both are counted in outbox_stats. */
struct outbox *outbox_open(const char *dir, size_t max_entries);
/* Flushes, then frees everything. NULL is fine. */
void outbox_close(struct outbox *ob);

/* Adds a reading (payload copied, at most 64 KiB) of run, a NUL-terminated
 * run id of 8 or 16 lowercase hex digits. 0, -EINVAL (a bad run id or
 * payload) or -ENOMEM. When full, the oldest unconfirmed entry is dropped
 * first. */
int outbox_append(struct outbox *ob, const char *run, uint64_t seq, const char *payload, size_t len);

/* Writes what was appended or confirmed since the last flush and makes it
 * durable (fdatasync). 0 or -errno (the data stays queued for the next try). */
int outbox_flush(struct outbox *ob);

/* Writes what is pending to the file without waiting for the disk (no
 * fdatasync): from then on a crash or kill -9 of the process loses nothing,
 * because the kernel holds the data; only a power cut can lose what the next
 * outbox_flush() has not synced. Costs a write() but no device write of its
 * own (the page cache batches them). 0 or -errno (the data stays queued). */
int outbox_write(struct outbox *ob);

/* The collector's ack: confirms every entry of run with seq <= seq and
 * raises the run's acked_seq to seq. Returns how many entries this
 * confirmed. Refused, confirming nothing and returning 0: an invalid run id,
 * a run the outbox does not know, and a seq above the highest seq made for
 * the run (its max_seq, see outbox_run_info()), so a bogus ack cannot
 * confirm readings appended after it either. Callers that must tell a
 * refusal from an ack with nothing left to confirm use outbox_run_info(). */
size_t outbox_ack(struct outbox *ob, const char *run, uint64_t seq);
/* Confirms the one entry with this id (the broker's PUBACK). Returns 1 if it
 * was held, else 0. */
size_t outbox_confirm_id(struct outbox *ob, uint64_t id);

/* The oldest entry that should be (re)sent at time now: never sent, or sent
 * more than resend_s ago and still unconfirmed. NULL when there is none.
 * The pointer stays valid until the next append/ack/confirm/flush/close. */
struct outbox_entry *outbox_next_to_send(struct outbox *ob, double now, double resend_s);
/* Marks e handed to MQTT at time now. */
void outbox_mark_sent(struct outbox *ob, struct outbox_entry *e, double now);
/* After a reconnect: every unconfirmed entry counts as never sent. */
void outbox_reset_sent(struct outbox *ob);

/* What the outbox knows of run (a NUL-terminated run id): *max_seq gets the
 * highest seq appended or recovered for it, *acked_seq the highest seq
 * acknowledged (by outbox_ack() or by an ack logged before a restart), 0 if
 * none; either pointer may be NULL. Returns 0 if the outbox knows the run:
 * it holds or held entries of it since open, or found it on disk. Returns -1
 * (and leaves both alone) for an invalid run id or a run it does not know.
 * A run left without entries may be forgotten once several others are too;
 * the run last appended to never is. */
int outbox_run_info(const struct outbox *ob, const char *run, uint64_t *max_seq,
		    uint64_t *acked_seq);

void outbox_get_stats(const struct outbox *ob, struct outbox_stats *st);

#endif
