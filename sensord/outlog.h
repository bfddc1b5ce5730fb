/* The outbox's segment log: the append-only files on disk that make the
 * outbox (outbox.h) durable. It knows the record format (CRC, the record
 * types, 0.1.0's old ones), replays a folder's segments, writes batches of
 * records to the active segment, syncs them and deletes segments whose
 * readings are all done. It knows nothing of the ring: what a record means
 * to the outbox is the replay callback's business. The format is described
 * at the top of outlog.c. Not thread-safe: one owner (the outbox). */
#ifndef ROLLSENSE_OUTLOG_H
#define ROLLSENSE_OUTLOG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define OUTLOG_RUN_MAX 16	/* the longest run id (0.1.0 wrote 8 digits) */
/* Larger payloads are refused; a length beyond this on disk means damage. */
#define OUTLOG_PAYLOAD_MAX 65536u

struct outlog;

/* What a record tells the replay, old types folded into the new ones (never
 * 0: outlog.c keeps that for a type it does not know). */
enum outlog_kind {
	OUTLOG_READING = 1,		/* 'S' (or 0.1.0's 'R'): id, seq, run, payload */
	OUTLOG_RUN_STATE,	/* 'K' (or 0.1.0's 'A'): run, seq = acked_seq, max_seq */
	OUTLOG_DONE,		/* 'C': ids first .. first + count - 1 confirmed or dropped */
};

struct outlog_record {
	enum outlog_kind kind;
	uint64_t id;
	uint64_t seq;
	uint64_t max_seq;
	uint64_t first;
	uint32_t count;
	char run[OUTLOG_RUN_MAX + 1];
	const unsigned char *payload;	/* into the log's buffer, valid during the callback */
	size_t plen;
};

/* What replay found damaged and skipped (see outbox_stats). */
struct outlog_damage {
	uint64_t corrupt_regions;
	uint64_t corrupt_bytes;
	uint64_t torn_tails;
	uint64_t torn_bytes;
};

/* Called for each good record in replay order; 0 or -errno, which stops the
 * replay and is returned by it. A reading whose id is not above every id
 * read before (a copy left by a failed write) never reaches it. */
typedef int (*outlog_apply_fn)(void *ctx, const struct outlog_record *rec);

/* True if the n bytes at p are a run id: 8 or 16 lowercase hex digits. */
bool outlog_run_is_valid(const char *p, size_t n);

/* Opens (creating it 0700 if needed) the folder dir and locks it against a
 * second process. NULL with errno (EINVAL, EACCES, EBUSY, ENOMEM, ...). */
struct outlog *outlog_open(const char *dir);
/* Closes the files and frees; writes nothing. NULL is fine. */
void outlog_close(struct outlog *log);

/* Replays every segment in the folder, oldest first, calling apply for each
 * record. Damage is skipped and counted in *damage (added to). *next_id gets
 * one above the highest reading or done id met, 1 if none. 0 or -errno.
 * Call it once after outlog_open() and before writing: new segments are
 * numbered after the ones it found. */
int outlog_replay(struct outlog *log, outlog_apply_fn apply, void *ctx,
		  struct outlog_damage *damage, uint64_t *next_id);

/* True when the next batch written goes to a new segment file. */
bool outlog_segment_full(const struct outlog *log);

/* A batch: records are added to a buffer, then written with one write().
 * Each add is 0 or -ENOMEM; run is a NUL-terminated valid run id. */
void outlog_batch_begin(struct outlog *log);
int outlog_batch_reading(struct outlog *log, uint64_t id, uint64_t seq, const char *run,
			 const char *payload, size_t len);
int outlog_batch_done(struct outlog *log, uint64_t first, uint32_t count);
int outlog_batch_run_state(struct outlog *log, const char *run, uint64_t acked_seq,
			   uint64_t max_seq);
/* Writes the batch (if it has records) to the active segment, starting a new
 * one when it is full, without syncing. 0 or -errno; on failure the partial
 * batch is cut off the file and the batch is to be built again. */
int outlog_batch_write(struct outlog *log);

/* fdatasync of what was written since the last one: 1 if it synced, 0 if
 * nothing was waiting, -errno. */
int outlog_sync(struct outlog *log);

/* Deletes the oldest segments holding only readings with ids below
 * oldest_id (the oldest reading still held, UINT64_MAX if none), keeping the
 * active one with keep_active, then fsyncs the folder if a file was created
 * or deleted since its last fsync. 0 or -errno (of that fsync). */
int outlog_prune(struct outlog *log, uint64_t oldest_id, bool keep_active);

#endif
