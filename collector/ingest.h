/* The collector's ingest: MQTT messages in; stored readings, detected
 * sessions and end-to-end acknowledgements out.
 *
 * Each reading is decoded strictly (anything malformed is counted by kind,
 * logged at most once a minute per kind, and dropped), stored with its
 * (device, run, seq) as the key, so duplicates are dropped, and fed to its
 * run's detector in seq order on the run's own mono timeline. Out-of-order
 * readings wait in the database until the hole before them fills; a hole
 * that stays open gap_timeout_s is declared lost (counted as missing, and a
 * gap for the detector). Writes are batched; after each commit the ingest
 * publishes, per run that moved, the retained ack {"run","seq"} with the seq
 * up to which everything is stored, and the summaries of sessions that
 * ended, retained, on <prefix>/<device>/session.
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
	INGEST_DROP_KINDS
};

struct ingest_stats {
	uint64_t messages;
	uint64_t stored;		/* new readings stored */
	uint64_t duplicates;		/* readings already stored, dropped */
	uint64_t missing;		/* readings declared lost after gap_timeout_s */
	uint64_t sessions;		/* sessions stored */
	uint64_t commits;
	uint64_t dropped[INGEST_DROP_KINDS];	/* by reading_error, then ingest_drop */
	size_t runs;			/* runs held in memory */
};

/* cfg and st are borrowed and must outlive the ingest. NULL on ENOMEM. */
struct ingest *ingest_new(const struct rs_config *cfg, struct store *st,
			  ingest_publish_fn publish, void *publish_ctx);
void ingest_free(struct ingest *ing);

/* One MQTT message; now_s is the collector's real monotonic time. */
void ingest_message(struct ingest *ing, const char *topic, const char *payload, size_t len,
		    double now_s);

/* Commits when the batch is due (commit_s old or large), publishes what the
 * commit confirmed, declares holes older than gap_timeout_s lost, and closes
 * sessions of runs that went silent. Call at least a few times a second. */
void ingest_tick(struct ingest *ing, double now_s);

/* Commits now and publishes (at shutdown). 0 or -1. */
int ingest_flush(struct ingest *ing, double now_s);

/* Publishes again every run's ack and the sessions not yet published (after
 * a reconnect: a broker restarted without its store forgot the retained
 * ones). */
void ingest_republish(struct ingest *ing);

void ingest_get_stats(const struct ingest *ing, struct ingest_stats *st);
/* The name of a drop kind: reading_error_name(), "topic", "store". */
const char *ingest_drop_name(unsigned kind);

#endif
