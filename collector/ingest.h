/* The collector's ingest: MQTT messages in; stored readings, detected
 * sessions and end-to-end acknowledgements out (docs/protocol.md).
 *
 * Each reading is decoded strictly (anything malformed is counted by kind,
 * logged at most once a minute per kind, and dropped), stored with its
 * (device, run, seq) as the key, so duplicates are dropped, and fed to its
 * run's detector in seq order on the run's own mono timeline.
 *
 * Two numbers per run, never mixed:
 * - fed_seq, the detector's progress. Out-of-order readings wait in the
 *   database until the hole before them fills; a hole that stays open
 *   gap_timeout_s is passed (its readings counted missing, a gap for the
 *   detector).
 * - stored_seq, the ack's number: every reading 1..stored_seq is stored, or
 *   sensord said it no longer has it (a reading's lost_after). It never
 *   passes a hole sensord could still fill. After each commit the ingest
 *   publishes, per run that moved, the retained ack {"run","seq"} with it.
 * Readings that arrive for a hole the detector passed are stored, and the
 * sessions they touch are recomputed from the database in the same commit
 * and published again ("revised"), with their missing count corrected.
 *
 * Implausible input cannot make the ack lie: a seq further ahead than the
 * run's mono timeline allows at 100 Hz is refused, and a reading that
 * repeats a stored (run, seq) with other times (two runs under one id) is
 * counted, and its run is never acknowledged again.
 *
 * Memory is bounded: runs without an open session or a hole, quiet for a
 * while, leave memory (their detector is kept in the database) and come
 * back when they send again; at most runs_max are held, and new runs of a
 * device are rate-limited (refused readings come again: sensord resends
 * what is not acknowledged).
 *
 * The database is the truth: after a crash, a run's detector is rebuilt by
 * replaying its stored readings, and sessions are stored once per (run,
 * start), so a kill at any moment neither loses nor double-counts. */
#ifndef ROLLSENSE_INGEST_H
#define ROLLSENSE_INGEST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "config.h"
#include "reading.h"
#include "store.h"

struct ingest;

/* The edge to MQTT: publish a message at QoS 1. 0, or -1 if it was refused
 * (the ingest tries again after the next commit). */
typedef int (*ingest_publish_fn)(void *ctx, const char *topic, const char *payload,
				 size_t len, bool retained);

/* Kinds of dropped messages, counted apart. */
enum ingest_drop {
	INGEST_DROP_TOPIC = READING_ERR_KINDS,	/* not <prefix>/<device>/<kind>, bad device id */
	INGEST_DROP_STORE,			/* the database refused it */
	INGEST_DROP_SEQ,			/* seq further ahead than 100 Hz allows */
	INGEST_DROP_NEW_RUNS,			/* a device started new runs too fast */
	INGEST_DROP_RUNS_FULL,			/* runs_max runs in memory, none idle */
	INGEST_DROP_KINDS
};

struct ingest_stats {
	uint64_t messages;
	uint64_t stored;		/* new readings stored */
	uint64_t duplicates;		/* readings already stored, dropped */
	uint64_t missing;		/* readings the detector passed without them */
	uint64_t late;			/* ... that came afterwards all the same (stored) */
	uint64_t lost;			/* readings sensord said it no longer has */
	uint64_t conflicts;		/* a stored (run, seq) again with other times */
	uint64_t revisions;		/* sessions recomputed and published again */
	uint64_t sessions;		/* sessions stored */
	uint64_t commits;
	uint64_t evicted;		/* runs taken out of memory while idle */
	uint64_t dropped[INGEST_DROP_KINDS];	/* by reading_error, then ingest_drop */
	size_t runs;			/* runs held in memory */
};

/* The bounds on memory (defaults in ingest.c; tests make them small). */
struct ingest_limits {
	size_t runs_max;		/* runs held in memory at most */
	double idle_evict_s;		/* an idle run quiet this long leaves memory */
	double new_run_every_s;		/* a device gets a new run this often ... */
	unsigned new_run_burst;		/* ... after a burst of this many */
};
void ingest_limits_default(struct ingest_limits *l);
/* Replaces the limits (before the first message). */
void ingest_set_limits(struct ingest *ing, const struct ingest_limits *l);

/* What the collector's parts work on: the configuration and the store, both
 * borrowed (they must outlive the part), and where the part publishes. */
struct ingest_env {
	const struct rs_config *cfg;
	struct store *st;
	ingest_publish_fn publish;
	void *publish_ctx;
};

/* Copies env. NULL on ENOMEM. */
struct ingest *ingest_new(const struct ingest_env *env);
void ingest_free(struct ingest *ing);

/* One MQTT message; now_s is the collector's real monotonic time. */
void ingest_message(struct ingest *ing, const char *topic, const char *payload, size_t len,
		    double now_s);

/* Commits when the batch is due (commit_s old or large), publishes what the
 * commit confirmed, declares holes older than gap_timeout_s lost, and closes
 * sessions of runs that went silent. Call at least a few times a second. */
void ingest_tick(struct ingest *ing, double now_s);

/* The MQTT queue ran dry (nothing came for a while): a backlog's last
 * readings are committed and acknowledged now rather than commit_s and a
 * second later. Without a backlog in the batch it does nothing, so a
 * trickle of readings is not a commit each. */
void ingest_quiet(struct ingest *ing, double now_s);

/* Commits now and publishes (at shutdown). 0 or -1. */
int ingest_flush(struct ingest *ing, double now_s);

/* Publishes again every run's ack and the sessions not yet published (after
 * a reconnect: a broker restarted without its store forgot the retained
 * ones). */
void ingest_republish(struct ingest *ing);

void ingest_get_stats(const struct ingest *ing, struct ingest_stats *st);
/* The name of a drop kind: reading_error_name(), "topic", "store", "seq",
 * "new_runs", "runs_full". */
const char *ingest_drop_name(unsigned kind);

#endif
