/* The collector's storage: SQLite, the only file that includes sqlite3.h.
 *
 * WAL mode, synchronous=NORMAL is not enough for "nothing lost" (a power cut
 * may roll back the last commits after the ack went out): synchronous=FULL.
 * The schema is created and upgraded by numbered migrations (PRAGMA
 * user_version). Every statement is prepared once with bound parameters;
 * no SQL is ever built from message text.
 *
 * Writes happen inside a batch: store_begin(), any number of inserts,
 * store_commit(). Reads used while a batch is open see its writes. */
#ifndef ROLLSENSE_STORE_H
#define ROLLSENSE_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "detector.h"
#include "reading.h"

struct store;

/* Opens (creating and migrating) the database at path. NULL with err
 * "PATH: what is wrong" (cannot open, not a rollsense database, newer schema
 * than this program knows). */
struct store *store_open(const char *path, char *err, size_t err_len);
/* Opens the database at path for reading only (`serve`): no migration, no
 * write. NULL with err "PATH: no database yet: start rollsense-collector
 * first" when the file does not exist, or naming a schema older or newer
 * than this program's, or a file that is not a rollsense database. */
struct store *store_open_readonly(const char *path, char *err, size_t err_len);
void store_close(struct store *st);

/* The schema version this program writes (the last migration's number). */
int store_schema_version(void);

/* For the tests of upgrades: creates the database at path with only the
 * migrations up to version applied, as an older collector left it (then
 * fill it as that collector would have, and store_open upgrades it). 0, or
 * -1 with err "PATH: what is wrong". */
int store_create_at_version(const char *path, int version, char *err, size_t err_len);

int store_begin(struct store *st);	/* 0 or -1 (error logged) */
int store_commit(struct store *st);	/* 0 or -1; on -1 the batch is rolled back */
void store_rollback(struct store *st);

/* The id of device NAME's run RUN, created if new. 0 or -1. */
int store_run_id(struct store *st, const char *device, const char *run, int64_t *run_id);
/* The same, without creating it: 1 found, 0 not stored, -1 on error. */
int store_run_find(struct store *st, const char *device, const char *run, int64_t *run_id);

#define STORE_READING_DUPLICATE 0	/* stored already, with the same mono and ts */
#define STORE_READING_NEW 1
#define STORE_READING_CONFLICT 2	/* stored already with other times: another run, same id */
/* Stores a reading of run_id. Returns one of the above (nothing changes
 * unless NEW), or -1 on error. */
int store_reading_insert(struct store *st, int64_t run_id, const struct reading *r);

/* Readings of run_id with seq > after_seq in seq order, at most max, into
 * out (faults and lost_after are not read back). Returns how
 * many, -1 on error. */
int store_readings_after(struct store *st, int64_t run_id, uint64_t after_seq,
			 struct reading *out, size_t max);
/* Only their seqs: cheaper, for finding holes. Same contract. */
int store_seqs_after(struct store *st, int64_t run_id, uint64_t after_seq, uint64_t *out,
		     size_t max);

/* The per-run progress the ingest keeps (ingest.h): fed_seq (every reading
 * up to it is stored and went through the detector, or was declared
 * missing), missing (readings the detector passed without them),
 * stored_seq (every reading up to it is stored, or sensord said it no longer
 * has it: what the ack says), lost (readings sensord said it no longer has),
 * conflicts (readings that repeated a stored seq with other times),
 * revise_from (readings came for a hole the detector had passed, from this
 * mono on: its sessions are to be recomputed; NAN when none). */
struct store_run_progress {
	uint64_t fed_seq;
	uint64_t missing;
	uint64_t stored_seq;
	uint64_t lost;
	uint64_t conflicts;
	double revise_from;
};
struct store_run_state {
	int64_t run_id;
	char device[65];
	char run[READING_RUN_LEN + 1];
	struct store_run_progress progress;
	uint64_t max_seq;	/* highest seq stored */
	double last_ts;		/* ts of the newest reading stored */
};
int store_run_progress_set(struct store *st, int64_t run_id, const struct store_run_progress *p);
/* Runs with a reading stored after since_ts (Unix time), for rebuilding
 * state at start. Returns how many were written to out (at most max), -1 on error. */
int store_runs_recent(struct store *st, double since_ts, struct store_run_state *out, size_t max);
/* Runs whose sessions are still to be recomputed (revise_from set), at
 * most max. Returns how many, -1 on error. */
int store_runs_revise_pending(struct store *st, struct store_run_state *out, size_t max);
/* One run's state; 0, or -1 if unknown. */
int store_run_get(struct store *st, int64_t run_id, struct store_run_state *out);

/* A finished session of run_id, with its holds. start_ts/end_ts are the wall
 * clock labels of its start and end; hold_ts[i] that of holds[i]. Returns 1 if
 * stored now, 0 if this session (run_id, start_mono_s) was stored already,
 * -1 on error. session_id is set in both cases (NULL allowed). */
int store_session_insert(struct store *st, int64_t run_id, const struct detector_summary *s,
			 double start_ts, double end_ts, const double *hold_ts,
			 int64_t *session_id);
/* Marks a session's summary as published (retained on MQTT). */
int store_session_mark_published(struct store *st, int64_t session_id);

/* A stored session of a run as the ingest compares it with a recomputed one
 * (times on the run's mono timeline). */
struct store_run_session {
	int64_t id;
	double start_mono_s, end_mono_s;
	size_t hold_count;
	double hold_time_s, heat_time_s, hot_time_s, max_temperature_c, rolling_time_s;
	uint64_t readings, missing_readings;
};
/* The sessions of run_id that end at or after end_from_mono_s, by start.
 * Returns how many (at most max; more is an error), -1 on error. */
int store_run_sessions(struct store *st, int64_t run_id, double end_from_mono_s,
		       struct store_run_session *out, size_t max);
/* Deletes a session and its holds. 0 or -1. */
int store_session_delete(struct store *st, int64_t session_id);

/* A run's detector kept out of memory: blob (len bytes, NULL to clear) is
 * valid while the run's fed_seq is still fed_seq. 0 or -1. */
int store_run_snapshot_set(struct store *st, int64_t run_id, uint64_t fed_seq, const void *blob,
			   size_t len);
/* Copies the snapshot into buf if one is stored for this fed_seq and is
 * exactly len bytes: 1; 0 if there is none such; -1 on error. */
int store_run_snapshot_get(struct store *st, int64_t run_id, uint64_t fed_seq, void *buf,
			   size_t len);

/* Deletes readings with ts older than before_ts (retention); sessions stay.
 * Returns how many were deleted, -1 on error. Runs in its own small
 * transactions so it never holds the write lock for long. */
long store_readings_purge(struct store *st, double before_ts);

/* A stored session as the report and the MQTT summary need it. */
struct store_session {
	int64_t id;
	char device[65];
	char run[READING_RUN_LEN + 1];
	double start_ts, end_ts, duration_s;
	size_t hold_count;
	double hold_time_s;
	double rolling_time_s;		/* 0 without a gyroscope */
	size_t holds_stored;
	struct {
		double start_ts, duration_s, peak_kpa, mean_kpa;
		char hold_class[12];	/* "short", "effective", "long" */
		char zone[ZONE_NAME_MAX + 1];	/* "" none */
	} holds[DETECTOR_MAX_HOLDS];
	/* Its totals per zone, as the detector gave them (detector.h). */
	size_t n_zones;
	struct detector_zone_total zones[DETECTOR_MAX_ZONES + 1];
	double heat_time_s;
	double max_temperature_c;	/* NAN if none */
	double hot_time_s;
	uint64_t readings, missing_readings;
	bool published;
};

/* The stored session in the detector's shape, for summary_encode(): its
 * times are already wall clock (encode with an offset of 0). */
void store_session_summary(const struct store_session *s, struct detector_summary *out);

/* Calls fn for each stored session with start_ts in [since_ts, until_ts)
 * (device NULL: every device), ordered by start time. fn returns 0 to go on.
 * Returns 0, or -1 on error. */
int store_sessions_each(struct store *st, const char *device, double since_ts, double until_ts,
			int (*fn)(const struct store_session *s, void *ctx), void *ctx);
/* The same, newest first (the web's list). */
int store_sessions_each_newest(struct store *st, const char *device, double since_ts,
			       double until_ts, int (*fn)(const struct store_session *s, void *ctx),
			       void *ctx);
/* Sessions not yet marked published, oldest first (for re-publishing after a
 * crash between commit and publish). Same callback contract. */
int store_sessions_unpublished(struct store *st,
			       int (*fn)(const struct store_session *s, void *ctx), void *ctx);

/* Calls fn with the name of each device that ever sent a reading, in
 * byte order of the names; fn returns 0 to go on. 0, or -1 on error. */
int store_devices_each(struct store *st, int (*fn)(const char *name, void *ctx), void *ctx);

/* Where a stored session's readings lie: its run and its span on the run's
 * mono timeline. */
struct store_session_span {
	int64_t run_id;
	double start_mono_s, end_mono_s;
};
/* Session id with its holds into out, and its span into span (NULL
 * allowed). 1 found, 0 no such session, -1 on error. */
int store_session_get(struct store *st, int64_t id, struct store_session *out,
		      struct store_session_span *span);

/* One stored reading as the pages draw it. faults: the stored faults as a
 * JSON object text ({"sensor":"what"}), NULL when none; valid during the
 * call only. */
struct store_point {
	uint64_t seq;
	double mono, ts;
	double pressure_kpa, temperature_c;	/* NAN: null */
	const char *faults;
	const char *zone;		/* "" when none; valid during the call only */
};
/* Calls fn for each reading of run_id with mono in [from_mono_s,
 * to_mono_s], in seq order, one at a time (nothing is kept in memory). fn
 * returns 0 to go on and must not call the store. 0, or -1 on error. */
int store_readings_each(struct store *st, int64_t run_id, double from_mono_s, double to_mono_s,
			int (*fn)(const struct store_point *p, void *ctx), void *ctx);

/* A device as the JSON API lists it: its sessions, and the times of its
 * first and last reading stored (NAN when none). */
struct store_device_info {
	char device[65];
	uint64_t sessions;
	double first_ts, last_ts;
};
/* Calls fn for each device, in byte order of the names; fn returns 0 to
 * go on. 0, or -1 on error. */
int store_device_infos_each(struct store *st,
			    int (*fn)(const struct store_device_info *d, void *ctx), void *ctx);

/* Counts for tests and the health line. */
struct store_counts {
	uint64_t devices, runs, readings, sessions, holds;
};
int store_get_counts(struct store *st, struct store_counts *c);

#endif
