/* Two sensords that share one device_id on one broker (a configuration
 * copied to a second tool with its id left as it was): the decisions, pure.
 * Fed run ids and times, they read no clock and do no I/O; the daemons log
 * and publish what they answer (docs/protocol.md, "Two tools with one
 * device_id").
 *
 * sensord's side, struct sameid_watch. The two share a client id, so the
 * broker lets one connect at a time: each connect takes the connection of
 * the other, and only the retained health tells one of the other. Signs
 * that another run is live:
 *   - a health of a run other than ours whose up_s grew since we last saw
 *     that run's health: a run that stopped leaves one retained health that
 *     never changes (after a restart, the previous run's comes once);
 *   - our connections lost within SAMEID_SHORT_CONN_S of their connect,
 *     SAMEID_SHORT_CONNS times in a row, each of them having brought a
 *     health of another run: the other tool published it after our own
 *     health of the connect before (after a restart, only the first
 *     connect brings the previous run's; then ours is the retained one).
 * The other run stays reported until SAMEID_CLEAR_S pass without a sign.
 *
 * The collector's side, struct sameid_runs, one per device. After a
 * restart the new run sends the previous run's unconfirmed readings again
 * (old run id, old ts) among its own: one tool, two runs publishing. Two
 * tools make two runs whose readings are both new: each run's reading
 * times (ts) go past the other's first within the same stretch. So two
 * runs are flagged when both sent a reading newer than any before of their
 * run within the last SAMEID_LIVE_S, and the time spans of their readings
 * overlap by SAMEID_OVERLAP_S or more. A restart's spans do not overlap:
 * the old run's readings all predate the new run's first. The flag clears
 * when one of the two has sent nothing new for SAMEID_LIVE_S. */
#ifndef ROLLSENSE_SAMEID_H
#define ROLLSENSE_SAMEID_H

#include <stdbool.h>

#include "reading.h"

#define SAMEID_SHORT_CONN_S 10.0
#define SAMEID_SHORT_CONNS 2
#define SAMEID_CLEAR_S 180.0
#define SAMEID_RUNS 4
#define SAMEID_LIVE_S 30.0
#define SAMEID_OVERLAP_S 2.0

struct sameid_watch {
	char own[READING_RUN_LEN + 1];
	char other[READING_RUN_LEN + 1];	/* "": no health of another run seen */
	double other_up_s;		/* the highest up_s seen in the other run's health */
	double sign_at;			/* the last sign that it is live; < 0 none */
	double connected_at;		/* < 0 while not connected */
	bool other_this_conn;		/* this connection brought another run's health */
	unsigned short_conns;		/* such connections in a row lost soon after connect */
};

/* Times are seconds on one monotonic clock. */
void sameid_watch_init(struct sameid_watch *w, const char *own_run);
void sameid_watch_connected(struct sameid_watch *w, double now_s);
void sameid_watch_lost(struct sameid_watch *w, double now_s);
/* A health message on our device's topic: its run and up_s. */
void sameid_watch_health(struct sameid_watch *w, const char *run, double up_s, double now_s);
/* The other live run's id while the signs last, NULL otherwise. The
 * pointer is into w. */
const char *sameid_watch_other(const struct sameid_watch *w, double now_s);

struct sameid_run {
	char run[READING_RUN_LEN + 1];	/* "": a free slot */
	double first_ts, last_ts;	/* the oldest and newest reading time seen */
	double newer_at;		/* when a reading newer than last_ts came */
};

struct sameid_runs {
	struct sameid_run runs[SAMEID_RUNS];
	bool flagged;
	char a[READING_RUN_LEN + 1], b[READING_RUN_LEN + 1];	/* the pair, while flagged */
};

void sameid_runs_init(struct sameid_runs *s);
/* A reading stored for the first time (not a duplicate): its run and ts
 * (wall clock, as sent), arriving at now_s (the collector's monotonic
 * clock). Returns true when the flag changed (see s->flagged, a, b). */
bool sameid_runs_feed(struct sameid_runs *s, const char *run, double ts, double now_s);
/* Forgets runs quiet for SAMEID_LIVE_S. True when the flag changed. */
bool sameid_runs_tick(struct sameid_runs *s, double now_s);

#endif
