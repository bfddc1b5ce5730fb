/* The collector's storage on SQLite; store.h states the contract.
 *
 * Cost on the hot path (the ingest stores ~10,000 readings/s in batches of a
 * few thousand on a 2-core Pi): store_reading_insert is one INSERT OR IGNORE
 * of a prepared statement, nothing else. The per-run bookkeeping it implies
 * (max_seq, first_ts, last_ts) is gathered in memory and written once per run
 * at commit, and store_run_id answers from a small cache, so SQLite is asked
 * about a (device, run) only the first time it is seen.
 *
 * Both caches describe what is in the open transaction, so a rollback (ours
 * or one SQLite did on its own after a disk error) empties them: a cached
 * run id from a rolled-back batch would name a row that no longer exists. */
#include "store.h"

#include <errno.h>
#include <fcntl.h>
#include <float.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cJSON.h>
#include <sqlite3.h>

#include "file.h"
#include "log.h"

#define STORE_DEVICE_MAX 64		/* bytes, as struct store_run_state.device holds */
#define STORE_BUSY_TIMEOUT_MS 5000
#define STORE_PURGE_CHUNK 10000		/* rows per purge transaction */
/* (device, run) -> id, two ways per set. Sized for thousands of devices
 * sending at once: with a few hundred slots, 200 devices took the database's
 * lookup on a third of their readings (bench part 2), 2,000 on nearly all. */
#define STORE_RUN_CACHE_SETS 2048
/* Runs touched in one batch before an early flush, and the open-addressed
 * index over them (a power of two, at least twice as large). A batch of
 * interleaved readings from more runs than fit here writes each run's row
 * once per reading instead of once per batch. */
#define STORE_DIRTY_RUNS 2048
#define STORE_DIRTY_INDEX 4096	/* 2^12: dirty_slot takes 12 bits */
/* PRAGMA application_id: the bytes "RolS" (0x526f6c53) at offset 68 of the
 * file header (sqlite.org/fileformat.html, 1.3 "The Database Header"). */
#define STORE_APPLICATION_ID 1383033939
#define COUNT_OF(a) (sizeof(a) / sizeof((a)[0]))

struct migration {
	int version;
	const char *sql;
};

/* Never edit a migration that has shipped: add the next one. Each must end by
 * setting user_version to its own number. */
static const struct migration migrations[] = {
	{ 1,
	  "CREATE TABLE devices ("
	  " id INTEGER PRIMARY KEY,"
	  " name TEXT UNIQUE NOT NULL);"
	  "CREATE TABLE runs ("
	  " id INTEGER PRIMARY KEY,"
	  " device_id INTEGER NOT NULL REFERENCES devices(id),"
	  " run TEXT NOT NULL,"
	  " fed_seq INTEGER NOT NULL DEFAULT 0,"
	  " missing INTEGER NOT NULL DEFAULT 0,"
	  " first_ts REAL,"
	  " last_ts REAL,"
	  " max_seq INTEGER NOT NULL DEFAULT 0,"
	  " UNIQUE(device_id, run));"
	  "CREATE TABLE readings ("
	  " run_id INTEGER NOT NULL REFERENCES runs(id),"
	  " seq INTEGER NOT NULL,"
	  " mono REAL NOT NULL,"
	  " ts REAL NOT NULL,"
	  " pressure_kpa REAL,"
	  " temperature_c REAL,"
	  " faults TEXT,"
	  " PRIMARY KEY(run_id, seq)) WITHOUT ROWID;"
	  /* Retention deletes by age. */
	  "CREATE INDEX readings_ts ON readings(ts);"
	  "CREATE TABLE sessions ("
	  " id INTEGER PRIMARY KEY,"
	  " run_id INTEGER NOT NULL REFERENCES runs(id),"
	  " start_mono REAL NOT NULL,"
	  " end_mono REAL,"
	  " start_ts REAL,"
	  " end_ts REAL,"
	  " duration_s REAL,"
	  " hold_count INTEGER NOT NULL DEFAULT 0,"
	  " hold_time_s REAL,"
	  " heat_time_s REAL,"
	  " max_temperature_c REAL,"
	  " hot_time_s REAL,"
	  " readings INTEGER NOT NULL DEFAULT 0,"
	  " missing_readings INTEGER NOT NULL DEFAULT 0,"
	  " published INTEGER NOT NULL DEFAULT 0,"
	  " UNIQUE(run_id, start_mono));"
	  /* The report asks by time; re-publishing asks for the few unpublished. */
	  "CREATE INDEX sessions_start_ts ON sessions(start_ts);"
	  "CREATE INDEX sessions_unpublished ON sessions(start_ts) WHERE published = 0;"
	  "CREATE TABLE holds ("
	  " session_id INTEGER NOT NULL REFERENCES sessions(id),"
	  " idx INTEGER NOT NULL,"
	  " start_mono REAL,"
	  " start_ts REAL,"
	  " duration_s REAL,"
	  " peak_kpa REAL,"
	  " mean_kpa REAL,"
	  " class TEXT NOT NULL,"
	  " PRIMARY KEY(session_id, idx)) WITHOUT ROWID;"
	  "PRAGMA application_id = 1383033939;"
	  "PRAGMA user_version = 1;" },
	/* A long press on the tool's button ends the session at that reading:
	 * kept so that a detector rebuilt from the store ends it there too. */
	{ 2,
	  "ALTER TABLE readings ADD COLUMN end_session INTEGER NOT NULL DEFAULT 0;"
	  "PRAGMA user_version = 2;" },
	/* The ack's own number, apart from the detector's fed_seq: stored_seq
	 * never passes a hole sensord could still fill (docs/protocol.md, "The
	 * acknowledgement"). Before this, the ack was fed_seq, and sensord
	 * deleted what it covered: a hole it passed is gone at the source, so
	 * a run carries on from there. lost: readings sensord said it no
	 * longer holds; conflicts: readings that repeated a stored (run, seq)
	 * with other times (two runs sharing an id: never acked again).
	 * snapshot: the detector of a run taken out of memory while idle,
	 * valid while fed_seq = snapshot_seq. revise_from: readings came for
	 * a hole the detector had passed, from this mono on; its sessions
	 * are still to be recomputed (NULL: nothing to do). */
	{ 3,
	  "ALTER TABLE runs ADD COLUMN stored_seq INTEGER NOT NULL DEFAULT 0;"
	  "ALTER TABLE runs ADD COLUMN lost INTEGER NOT NULL DEFAULT 0;"
	  "ALTER TABLE runs ADD COLUMN conflicts INTEGER NOT NULL DEFAULT 0;"
	  "ALTER TABLE runs ADD COLUMN snapshot BLOB;"
	  "ALTER TABLE runs ADD COLUMN snapshot_seq INTEGER NOT NULL DEFAULT 0;"
	  "ALTER TABLE runs ADD COLUMN revise_from REAL;"
	  "UPDATE runs SET stored_seq = fed_seq;"
	  "PRAGMA user_version = 3;" },
	/* Zones (docs/protocol.md): the zone each reading was taken on (NULL:
	 * none), so that a replay finds the same holds on the same zones; the
	 * zone each hold started in; a session's totals per zone, in the
	 * detector's order (idx), "" for what counted without a zone. */
	{ 4,
	  "ALTER TABLE readings ADD COLUMN zone TEXT;"
	  "ALTER TABLE holds ADD COLUMN zone TEXT;"
	  "CREATE TABLE session_zones ("
	  " session_id INTEGER NOT NULL REFERENCES sessions(id),"
	  " idx INTEGER NOT NULL,"
	  " zone TEXT NOT NULL,"
	  " holds INTEGER NOT NULL DEFAULT 0,"
	  " short INTEGER NOT NULL DEFAULT 0,"
	  " effective INTEGER NOT NULL DEFAULT 0,"
	  " long INTEGER NOT NULL DEFAULT 0,"
	  " hold_time_s REAL,"
	  " heat_time_s REAL,"
	  " hot_time_s REAL,"
	  " PRIMARY KEY(session_id, idx)) WITHOUT ROWID;"
	  "PRAGMA user_version = 4;" },
	/* Rolling versus holding (issue 15): a session's time in contact with
	 * the tool turning (0 for the sessions before, which had no gyroscope
	 * to tell), and each reading's rotation (NULL: no gyroscope, or its
	 * fault), so that a replay tells rolling from holding as live did. */
	{ 5,
	  "ALTER TABLE sessions ADD COLUMN rolling_time_s REAL NOT NULL DEFAULT 0;"
	  "ALTER TABLE readings ADD COLUMN rotation_dps REAL;"
	  "ALTER TABLE session_zones ADD COLUMN rolling_time_s REAL NOT NULL DEFAULT 0;"
	  "PRAGMA user_version = 5;" },
};

#define RUN_STATE_COLUMNS \
	"SELECT runs.id, devices.name, runs.run, runs.fed_seq, runs.missing, runs.max_seq," \
	" runs.last_ts, runs.stored_seq, runs.lost, runs.conflicts, runs.revise_from" \
	" FROM runs JOIN devices ON devices.id = runs.device_id "

/* The ids of a device's (?1, NULL: any) sessions starting in [?2, ?3). */
#define SESSIONS_RANGE_SQL \
	"SELECT sessions.id FROM sessions JOIN runs ON runs.id = sessions.run_id" \
	" JOIN devices ON devices.id = runs.device_id" \
	" WHERE (?1 IS NULL OR devices.name = ?1)" \
	" AND sessions.start_ts >= ?2 AND sessions.start_ts < ?3"

/* Every statement, prepared once at open: X(name, sql) gives STMT_<name>
 * and its text. */
#define STATEMENTS(X) \
	/* IMMEDIATE takes the write lock now, so a batch never fails half-way \
	 * for want of upgrading a read lock. */ \
	X(BEGIN, "BEGIN IMMEDIATE") \
	X(COMMIT, "COMMIT") \
	X(ROLLBACK, "ROLLBACK") \
	X(SAVEPOINT, "SAVEPOINT store_session") \
	X(RELEASE, "RELEASE store_session") \
	X(ROLLBACK_TO, "ROLLBACK TO store_session") \
	X(RUN_FIND, "SELECT runs.id FROM runs JOIN devices ON devices.id = runs.device_id" \
		    " WHERE devices.name = ?1 AND runs.run = ?2") \
	X(DEVICE_ADD, "INSERT OR IGNORE INTO devices(name) VALUES (?1)") \
	X(DEVICE_FIND, "SELECT id FROM devices WHERE name = ?1") \
	X(DEVICES_LIST, "SELECT name FROM devices ORDER BY name") \
	X(RUN_ADD, "INSERT INTO runs(device_id, run) VALUES (?1, ?2)") \
	X(READING_ADD, \
	  "INSERT OR IGNORE INTO readings(run_id, seq, mono, ts, pressure_kpa," \
	  " temperature_c, faults, end_session, zone, rotation_dps)" \
	  " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)") \
	/* SQLite's max() and min() of anything and NULL are NULL: coalesce. */ \
	X(RUN_TOUCH, "UPDATE runs SET max_seq = max(max_seq, ?2)," \
		     " first_ts = min(coalesce(first_ts, ?3), ?3)," \
		     " last_ts = max(coalesce(last_ts, ?4), ?4) WHERE id = ?1") \
	X(READINGS_AFTER, \
	  "SELECT readings.seq, readings.mono, readings.ts, readings.pressure_kpa," \
	  " readings.temperature_c, runs.run, readings.end_session, readings.zone," \
	  " readings.rotation_dps FROM readings" \
	  " JOIN runs ON runs.id = readings.run_id" \
	  " WHERE readings.run_id = ?1 AND readings.seq > ?2 ORDER BY readings.seq LIMIT ?3") \
	X(RUN_PROGRESS_SET, \
	  "UPDATE runs SET fed_seq = ?2, missing = ?3, stored_seq = ?4, lost = ?5," \
	  " conflicts = ?6, revise_from = ?7 WHERE id = ?1") \
	/* Newest first, so a short out[] keeps the runs most likely still live. */ \
	X(RUNS_RECENT, RUN_STATE_COLUMNS \
	  "WHERE runs.last_ts > ?1 ORDER BY runs.last_ts DESC, runs.id DESC LIMIT ?2") \
	X(RUN_GET, RUN_STATE_COLUMNS "WHERE runs.id = ?1") \
	X(RUNS_REVISE, RUN_STATE_COLUMNS "WHERE runs.revise_from IS NOT NULL LIMIT ?1") \
	X(SESSION_ADD, \
	  "INSERT OR IGNORE INTO sessions(run_id, start_mono, end_mono, start_ts, end_ts," \
	  " duration_s, hold_count, hold_time_s, heat_time_s, max_temperature_c, hot_time_s," \
	  " readings, missing_readings, rolling_time_s)" \
	  " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14)") \
	X(SESSION_FIND, "SELECT id FROM sessions WHERE run_id = ?1 AND start_mono = ?2") \
	X(HOLD_ADD, \
	  "INSERT INTO holds(session_id, idx, start_mono, start_ts, duration_s, peak_kpa," \
	  " mean_kpa, class, zone) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)") \
	X(ZONE_ADD, \
	  "INSERT INTO session_zones(session_id, idx, zone, holds, short, effective, long," \
	  " hold_time_s, heat_time_s, hot_time_s, rolling_time_s)" \
	  " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)") \
	X(SESSION_PUBLISHED, "UPDATE sessions SET published = 1 WHERE id = ?1") \
	X(SESSIONS_RANGE, SESSIONS_RANGE_SQL " ORDER BY sessions.start_ts, sessions.id") \
	X(SESSIONS_RANGE_NEWEST, \
	  SESSIONS_RANGE_SQL " ORDER BY sessions.start_ts DESC, sessions.id DESC") \
	X(SESSIONS_UNPUBLISHED, \
	  "SELECT id FROM sessions WHERE published = 0 ORDER BY start_ts, id") \
	X(SESSION_GET, \
	  "SELECT sessions.id, devices.name, runs.run, sessions.start_ts, sessions.end_ts," \
	  " sessions.duration_s, sessions.hold_count, sessions.hold_time_s," \
	  " sessions.heat_time_s, sessions.max_temperature_c, sessions.hot_time_s," \
	  " sessions.readings, sessions.missing_readings, sessions.published," \
	  " sessions.rolling_time_s" \
	  " FROM sessions JOIN runs ON runs.id = sessions.run_id" \
	  " JOIN devices ON devices.id = runs.device_id WHERE sessions.id = ?1") \
	X(HOLDS_GET, "SELECT start_ts, duration_s, peak_kpa, mean_kpa, class, zone FROM holds" \
		     " WHERE session_id = ?1 ORDER BY idx LIMIT ?2") \
	X(ZONES_GET, "SELECT zone, holds, short, effective, long, hold_time_s, heat_time_s," \
		     " hot_time_s, rolling_time_s FROM session_zones WHERE session_id = ?1 ORDER BY idx LIMIT ?2") \
	/* WITHOUT ROWID: rows are named by their key. The subquery walks the \
	 * ts index, which holds (ts, run_id, seq): it never reads the table. */ \
	X(PURGE, "DELETE FROM readings WHERE (run_id, seq) IN" \
		 " (SELECT run_id, seq FROM readings WHERE ts < ?1 LIMIT ?2)") \
	X(COUNTS, "SELECT (SELECT count(*) FROM devices), (SELECT count(*) FROM runs)," \
		  " (SELECT count(*) FROM readings), (SELECT count(*) FROM sessions)," \
		  " (SELECT count(*) FROM holds)") \
	/* The primary key (run_id, seq) answers these without the table. */ \
	X(SEQS_AFTER, \
	  "SELECT seq FROM readings WHERE run_id = ?1 AND seq > ?2 ORDER BY seq LIMIT ?3") \
	X(READING_TIMES, "SELECT mono, ts FROM readings WHERE run_id = ?1 AND seq = ?2") \
	X(RUN_SESSIONS, \
	  "SELECT id, start_mono, end_mono, hold_count, hold_time_s, heat_time_s," \
	  " hot_time_s, readings, missing_readings, max_temperature_c, rolling_time_s FROM sessions" \
	  " WHERE run_id = ?1 AND end_mono >= ?2 ORDER BY start_mono") \
	X(SESSION_DELETE, "DELETE FROM sessions WHERE id = ?1") \
	X(HOLDS_DELETE, "DELETE FROM holds WHERE session_id = ?1") \
	X(ZONES_DELETE, "DELETE FROM session_zones WHERE session_id = ?1") \
	X(SESSION_SPAN, "SELECT run_id, start_mono, end_mono FROM sessions WHERE id = ?1") \
	X(READINGS_SPAN, \
	  "SELECT seq, mono, ts, pressure_kpa, temperature_c, faults, zone FROM readings" \
	  " WHERE run_id = ?1 AND seq >= ?2 ORDER BY seq") \
	X(READING_FROM_SEQ, \
	  "SELECT seq, mono FROM readings WHERE run_id = ?1 AND seq >= ?2 ORDER BY seq LIMIT 1") \
	X(READING_MAX_SEQ, "SELECT max(seq) FROM readings WHERE run_id = ?1") \
	X(DEVICE_INFOS, \
	  "SELECT devices.name," \
	  " (SELECT count(*) FROM sessions JOIN runs ON runs.id = sessions.run_id" \
	  "  WHERE runs.device_id = devices.id)," \
	  " (SELECT min(first_ts) FROM runs WHERE runs.device_id = devices.id)," \
	  " (SELECT max(last_ts) FROM runs WHERE runs.device_id = devices.id)" \
	  " FROM devices ORDER BY devices.name") \
	X(SNAPSHOT_SET, "UPDATE runs SET snapshot = ?2, snapshot_seq = ?3 WHERE id = ?1") \
	X(SNAPSHOT_GET, "SELECT snapshot FROM runs WHERE id = ?1 AND snapshot_seq = ?2" \
			" AND typeof(snapshot) = 'blob' AND length(snapshot) = ?3")

#define STMT_ENUM(name, sql) STMT_##name,
#define STMT_TEXT(name, sql) sql,
enum stmt_id { STATEMENTS(STMT_ENUM) STMT_COUNT };
static const char *const stmt_sql[STMT_COUNT] = { STATEMENTS(STMT_TEXT) };

struct run_cache_entry {
	int64_t id;		/* 0: an empty slot (run ids start at 1) */
	char device[STORE_DEVICE_MAX + 1];
	char run[READING_RUN_LEN + 1];
};

/* What the open batch did to a run, written to its row at commit. */
struct run_dirty {
	int64_t run_id;
	uint64_t max_seq;
	double first_ts, last_ts;
};

struct store {
	sqlite3 *db;
	sqlite3_stmt *stmt[STMT_COUNT];
	bool in_batch;
	bool batch_failed;	/* SQLite rolled the batch back on its own */
	size_t n_dirty;
	size_t dirty_last;	/* the entry hit last: readings come in runs */
	struct run_dirty dirty[STORE_DIRTY_RUNS];
	uint16_t dirty_index[STORE_DIRTY_INDEX];	/* 0 empty, else 1 + an index in dirty */
	struct run_cache_entry cache[STORE_RUN_CACHE_SETS][2];	/* [0]: the newer */
};

int store_schema_version(void)
{
	return migrations[COUNT_OF(migrations) - 1].version;
}

static void log_db(struct store *st, const char *what)
{
	log_error("store: %s: %s", what, sqlite3_errmsg(st->db));
}

/* Ends a use of s: resets it, after logging what if the use failed. 0, or
 * -1 if it failed. */
static int stmt_end(struct store *st, sqlite3_stmt *s, bool failed, const char *what)
{
	if (failed)
		log_db(st, what);
	sqlite3_reset(s);
	return failed ? -1 : 0;
}

/* Steps a statement that returns no rows and resets it. 0 or -1 (logged). */
static int step_done(struct store *st, enum stmt_id id, const char *what)
{
	return stmt_end(st, st->stmt[id], sqlite3_step(st->stmt[id]) != SQLITE_DONE, what);
}

/* step_done for an UPDATE of the row key, which must be there: a change
 * of none logs "<missing> <key>". 0 or -1 (logged). */
static int step_one_row(struct store *st, enum stmt_id id, const char *what, const char *missing,
			int64_t key)
{
	if (step_done(st, id, what) < 0)
		return -1;
	if (sqlite3_changes(st->db) == 0) {
		log_error("store: %s %lld", missing, (long long)key);
		return -1;
	}
	return 0;
}

/* A value for a statement's parameter, in the column types the schema
 * uses; see bind_params. */
struct param {
	enum { PARAM_INT, PARAM_U64, PARAM_DOUBLE, PARAM_REAL, PARAM_TEXT, PARAM_BLOB } type;
	union {
		int64_t i;
		uint64_t u;
		double d;		/* DOUBLE as given; REAL with NAN as NULL */
		const char *text;	/* NULL binds NULL; copied */
		const void *blob;	/* NULL binds NULL; not copied: valid until the step */
	};
	int len;			/* of blob */
};

/* An array of T in place, and how many: the two arguments a list takes. */
#define LIST(T, ...) (const T[]){ __VA_ARGS__ }, COUNT_OF(((const T[]){ __VA_ARGS__ }))
#define P_INT(v) { .type = PARAM_INT, .i = (v) }
#define P_U64(v) { .type = PARAM_U64, .u = (v) }
#define P_DOUBLE(v) { .type = PARAM_DOUBLE, .d = (v) }
#define P_REAL(v) { .type = PARAM_REAL, .d = (v) }
#define P_TEXT(v) { .type = PARAM_TEXT, .text = (v) }
#define P_BLOB(v, n) { .type = PARAM_BLOB, .blob = (v), .len = (n) }

/* Binds p[0..n) to s's parameters 1..n, all of them even after a failure.
 * 0, or -1 logged as what unless NULL (s reset). BIND(st, s, what,
 * P_INT(x), ...) gives the list in place. NAN is stored as NULL
 * ("unknown"), never as a number. */
static int bind_params(struct store *st, sqlite3_stmt *s, const struct param *p, size_t n,
		       const char *what)
{
	bool bad = false;

	for (size_t k = 0; k < n; k++) {
		const struct param *v = &p[k];
		int i = (int)k + 1, rc = SQLITE_MISUSE;

		switch (v->type) {
		case PARAM_INT: rc = sqlite3_bind_int64(s, i, v->i); break;
		case PARAM_U64:
			/* SQLite integers are signed 64-bit: counters above that
			 * cannot be stored. */
			rc = v->u > (uint64_t)INT64_MAX ? SQLITE_RANGE :
				sqlite3_bind_int64(s, i, (sqlite3_int64)v->u);
			break;
		case PARAM_DOUBLE: rc = sqlite3_bind_double(s, i, v->d); break;
		case PARAM_REAL:
			rc = isnan(v->d) ? sqlite3_bind_null(s, i) : sqlite3_bind_double(s, i, v->d);
			break;
		case PARAM_TEXT:
			rc = v->text ? sqlite3_bind_text(s, i, v->text, -1, SQLITE_TRANSIENT) :
				       sqlite3_bind_null(s, i);
			break;
		case PARAM_BLOB:
			rc = v->blob ? sqlite3_bind_blob(s, i, v->blob, v->len, SQLITE_STATIC) :
				       sqlite3_bind_null(s, i);
			break;
		}
		bad |= rc != SQLITE_OK;
	}
	if (!bad)
		return 0;
	if (what)
		log_db(st, what);
	sqlite3_reset(s);
	return -1;
}

#define BIND(st, s, what, ...) bind_params(st, s, LIST(struct param, __VA_ARGS__), what)
/* BIND, then step_done: a write of statement id. 0 or -1 (logged). */
#define EXEC(st, id, bind_what, what, ...) \
	(BIND(st, (st)->stmt[id], bind_what, __VA_ARGS__) < 0 ? -1 : step_done(st, id, what))

static uint64_t column_u64(sqlite3_stmt *s, int i)
{
	sqlite3_int64 v = sqlite3_column_int64(s, i);

	return v < 0 ? 0 : (uint64_t)v;
}

/* Where a row's column goes: bind_params' mirror. The macros check the
 * destination's type (a mismatch in ?: is a warning, so an error here). */
struct column {
	enum { COL_INT, COL_U64, COL_SIZE, COL_DOUBLE, COL_REAL, COL_BOOL, COL_TEXT, COL_BLOB } type;
	void *dst;
	size_t size;		/* of a TEXT's buffer; a BLOB's length */
};

#define C_TYPED(t, T, p) { .type = t, .dst = 1 ? (p) : (T *)NULL }
#define C_INT(p) C_TYPED(COL_INT, int64_t, p)
#define C_U64(p) C_TYPED(COL_U64, uint64_t, p)
#define C_SIZE(p) C_TYPED(COL_SIZE, size_t, p)
#define C_DOUBLE(p) C_TYPED(COL_DOUBLE, double, p)
#define C_REAL(p) C_TYPED(COL_REAL, double, p)
#define C_BOOL(p) C_TYPED(COL_BOOL, bool, p)
#define C_TEXT(buf) { .type = COL_TEXT, .dst = 1 ? (buf) : (char *)NULL, .size = sizeof(buf) }
#define C_BLOB(buf, len) { .type = COL_BLOB, .dst = (buf), .size = (len) }

/* Reads columns 0..n-1 of s's current row into c[0..n)'s destinations:
 * INT and DOUBLE as stored, U64 and SIZE with a negative as 0, REAL with
 * NULL as NAN, BOOL as nonzero, TEXT cut to its buffer (NULL as ""), BLOB
 * of exactly its length (the query makes sure). */
static void columns_read(sqlite3_stmt *s, const struct column *c, size_t n)
{
	for (size_t k = 0; k < n; k++) {
		const unsigned char *text;
		int i = (int)k;

		switch (c[k].type) {
		case COL_INT: *(int64_t *)c[k].dst = sqlite3_column_int64(s, i); break;
		case COL_U64: *(uint64_t *)c[k].dst = column_u64(s, i); break;
		case COL_SIZE: *(size_t *)c[k].dst = (size_t)column_u64(s, i); break;
		case COL_DOUBLE: *(double *)c[k].dst = sqlite3_column_double(s, i); break;
		case COL_REAL:
			*(double *)c[k].dst = sqlite3_column_type(s, i) == SQLITE_NULL ?
				NAN : sqlite3_column_double(s, i);
			break;
		case COL_BOOL: *(bool *)c[k].dst = sqlite3_column_int(s, i) != 0; break;
		case COL_TEXT:
			text = sqlite3_column_text(s, i);
			snprintf(c[k].dst, c[k].size, "%s", text ? (const char *)text : "");
			break;
		case COL_BLOB: memcpy(c[k].dst, sqlite3_column_blob(s, i), c[k].size); break;
		}
	}
}

#define COLUMNS_READ(s, ...) columns_read(s, LIST(struct column, __VA_ARGS__))

/* Steps s (bound) once, reads the row if there is one into c[0..n) and
 * resets s. 1 a row, 0 none, -1 on error (logged as what; so is no row when
 * need_row). ROW(st, s, need_row, what, C_INT(&x), ...) gives c in place. */
static int row_read(struct store *st, sqlite3_stmt *s, const struct column *c, size_t n,
		    bool need_row, const char *what)
{
	int rc = sqlite3_step(s);

	if (rc == SQLITE_ROW)
		columns_read(s, c, n);
	else if (need_row || rc != SQLITE_DONE)
		log_db(st, what);
	sqlite3_reset(s);
	return rc == SQLITE_ROW ? 1 : rc == SQLITE_DONE && !need_row ? 0 : -1;
}

#define ROW(st, s, need_row, what, ...) \
	row_read(st, s, LIST(struct column, __VA_ARGS__), need_row, what)

/* Steps s (bound) through its rows, read(s, out, i) the i-th of at most
 * max; resets s. How many, max + 1 if there were more (out holds max), or
 * -1 (logged as what). */
static int rows_read(struct store *st, sqlite3_stmt *s, size_t max,
		     void (*read)(sqlite3_stmt *s, void *out, size_t i), void *out, const char *what)
{
	size_t n = 0;
	int rc;

	while ((rc = sqlite3_step(s)) == SQLITE_ROW && n < max)
		read(s, out, n++);
	if (stmt_end(st, s, rc != SQLITE_ROW && rc != SQLITE_DONE, what) < 0)
		return -1;
	return rc == SQLITE_ROW ? (int)n + 1 : (int)n;
}

/* True (and logged) if the open batch can take no more writes: SQLite rolls
 * a transaction back by itself on some errors (disk full, I/O), and writes
 * after that would each commit on their own, outside the batch. */
static bool batch_broken(struct store *st)
{
	if (!st->in_batch)
		return false;
	if (!st->batch_failed && sqlite3_get_autocommit(st->db)) {
		log_error("store: the open batch was rolled back by SQLite");
		st->batch_failed = true;
	}
	return st->batch_failed;
}

static size_t dirty_slot(const struct store *st, int64_t run_id);

/* Empties the batch's per-run bookkeeping: its index entry by entry when
 * few runs are in it, newest first, so that every probe still finds its
 * entry (the runs in an entry's probe chain all came before it). */
static void dirty_forget(struct store *st)
{
	if (st->n_dirty * 8 > STORE_DIRTY_INDEX) {
		memset(st->dirty_index, 0, sizeof(st->dirty_index));
	} else {
		for (size_t i = st->n_dirty; i-- > 0;)
			st->dirty_index[dirty_slot(st, st->dirty[i].run_id)] = 0;
	}
	st->n_dirty = 0;
	st->dirty_last = 0;
}

/* Writes the batch's per-run bookkeeping into runs. 0 or -1. */
static int dirty_flush(struct store *st)
{
	for (size_t i = 0; i < st->n_dirty; i++) {
		const struct run_dirty *d = &st->dirty[i];

		if (EXEC(st, STMT_RUN_TOUCH, "binding a run's progress", "updating a run's progress",
			 P_INT(d->run_id), P_U64(d->max_seq), P_REAL(d->first_ts),
			 P_REAL(d->last_ts)) < 0)
			return -1;
	}
	dirty_forget(st);
	return 0;
}

/* Where run_id is, or would go, in dirty_index. */
static size_t dirty_slot(const struct store *st, int64_t run_id)
{
	/* Fibonacci hashing: consecutive ids spread over the table. */
	size_t i = (size_t)(((uint64_t)run_id * 0x9e3779b97f4a7c15u) >> 52) & (STORE_DIRTY_INDEX - 1);

	while (st->dirty_index[i] && st->dirty[st->dirty_index[i] - 1].run_id != run_id)
		i = (i + 1) & (STORE_DIRTY_INDEX - 1);
	return i;
}

/* Notes a newly stored reading of run_id for dirty_flush. 0 or -1. */
static int dirty_note(struct store *st, int64_t run_id, uint64_t seq, double ts)
{
	struct run_dirty *d = NULL;
	size_t slot;

	if (st->dirty_last < st->n_dirty && st->dirty[st->dirty_last].run_id == run_id) {
		d = &st->dirty[st->dirty_last];
	} else {
		slot = dirty_slot(st, run_id);
		if (st->dirty_index[slot]) {
			st->dirty_last = st->dirty_index[slot] - 1u;
			d = &st->dirty[st->dirty_last];
		}
	}
	if (!d) {
		/* Many runs in one batch: write what we have to make room. */
		if (st->n_dirty == STORE_DIRTY_RUNS && dirty_flush(st) < 0)
			return -1;
		/* Found again: a run new to the batch, or after the flush. */
		slot = dirty_slot(st, run_id);
		st->dirty_last = st->n_dirty++;
		st->dirty_index[slot] = (uint16_t)(st->dirty_last + 1);
		d = &st->dirty[st->dirty_last];
		d->run_id = run_id;
		d->max_seq = seq;
		d->first_ts = ts;
		d->last_ts = ts;
		return 0;
	}
	if (seq > d->max_seq)
		d->max_seq = seq;
	if (ts < d->first_ts)
		d->first_ts = ts;
	if (ts > d->last_ts)
		d->last_ts = ts;
	return 0;
}

int store_begin(struct store *st)
{
	if (st->in_batch) {
		log_error("store: begin: a batch is already open");
		return -1;
	}
	if (step_done(st, STMT_BEGIN, "begin") < 0)
		return -1;
	st->in_batch = true;
	st->batch_failed = false;
	dirty_forget(st);
	return 0;
}

void store_rollback(struct store *st)
{
	if (!sqlite3_get_autocommit(st->db))
		(void)step_done(st, STMT_ROLLBACK, "rollback");
	/* Forgets everything the open batch did, in memory. */
	st->in_batch = false;
	st->batch_failed = false;
	dirty_forget(st);
	memset(st->cache, 0, sizeof(st->cache));
}

int store_commit(struct store *st)
{
	if (!st->in_batch) {
		log_error("store: commit: no batch is open");
		return -1;
	}
	if (batch_broken(st))
		goto rollback;
	if (dirty_flush(st) < 0)
		goto rollback;
	if (step_done(st, STMT_COMMIT, "commit") < 0)
		goto rollback;
	st->in_batch = false;
	return 0;

rollback:
	store_rollback(st);
	return -1;
}

/* For a write outside a batch: its own small batch. *own says whether one
 * was opened, to be closed by own_batch_end(). 0 or -1. */
static int own_batch_begin(struct store *st, bool *own)
{
	*own = false;
	if (st->in_batch)
		return batch_broken(st) ? -1 : 0;
	if (store_begin(st) < 0)
		return -1;
	*own = true;
	return 0;
}

/* Commits (ok) or rolls back an own batch; returns rc, or -1 if the commit
 * failed. */
static int own_batch_end(struct store *st, bool own, int rc)
{
	if (!own)
		return rc;
	if (rc < 0) {
		store_rollback(st);
		return rc;
	}
	return store_commit(st) < 0 ? -1 : rc;
}

/* FNV-1a over device, a separator and run. */
static size_t cache_slot(const char *device, const char *run)
{
	uint32_t h = 2166136261u;

	for (const char *p = device; *p; p++)
		h = (h ^ (unsigned char)*p) * 16777619u;
	h = (h ^ 0xffu) * 16777619u;	/* never in UTF-8 text: "ab"+"c" != "a"+"bc" */
	for (const char *p = run; *p; p++)
		h = (h ^ (unsigned char)*p) * 16777619u;
	return h % STORE_RUN_CACHE_SETS;
}

/* Looks up (device, run) in the database: 1 found, 0 not there, -1. */
static int run_id_find(struct store *st, const char *device, const char *run, int64_t *run_id)
{
	sqlite3_stmt *s = st->stmt[STMT_RUN_FIND];

	if (BIND(st, s, "binding a run's name", P_TEXT(device), P_TEXT(run)) < 0)
		return -1;
	return ROW(st, s, false, "looking up a run", C_INT(run_id));
}

/* Looks up or creates (device, run) in the database. 0 or -1. */
static int run_id_lookup(struct store *st, const char *device, const char *run, int64_t *run_id)
{
	sqlite3_stmt *s = st->stmt[STMT_DEVICE_FIND];
	int64_t device_id;
	int rc = run_id_find(st, device, run, run_id);

	if (rc != 0)
		return rc < 0 ? -1 : 0;
	if (EXEC(st, STMT_DEVICE_ADD, "binding a device name", "adding a device",
		 P_TEXT(device)) < 0 ||
	    BIND(st, s, "binding a device name", P_TEXT(device)) < 0 ||
	    ROW(st, s, true, "looking up a device", C_INT(&device_id)) < 0 ||
	    EXEC(st, STMT_RUN_ADD, "binding a run's name", "adding a run", P_INT(device_id),
		 P_TEXT(run)) < 0)
		return -1;
	*run_id = sqlite3_last_insert_rowid(st->db);
	return 0;
}

/* Puts (device, run) first in its set e, the older entry second. */
static void cache_put(struct run_cache_entry *e, const char *device, const char *run, int64_t id)
{
	e[1] = e[0];
	e->id = id;
	snprintf(e->device, sizeof(e->device), "%s", device);
	snprintf(e->run, sizeof(e->run), "%s", run);
}

static bool cache_holds(const struct run_cache_entry *e, const char *device, const char *run)
{
	return e->id != 0 && strcmp(e->device, device) == 0 && strcmp(e->run, run) == 0;
}

/* Checks the names, then looks (device, run) up in the cache: 1 there
 * (*run_id set), 0 not (*e is its set, for cache_put), -1 invalid names
 * (logged). */
static int cache_get(struct store *st, const char *device, const char *run,
		     struct run_cache_entry **e, int64_t *run_id)
{
	/* The ingest checks both; longer names would not fit what the store
	 * hands back (store_run_state), so they are refused here too. */
	if (!device || !run || !device[0] || !run[0] ||
	    strnlen(device, STORE_DEVICE_MAX + 1) > STORE_DEVICE_MAX ||
	    strnlen(run, READING_RUN_LEN + 1) > READING_RUN_LEN) {
		log_error("store: run id: device or run name empty or too long");
		return -1;
	}
	*e = st->cache[cache_slot(device, run)];
	if (cache_holds(&(*e)[0], device, run)) {
		*run_id = (*e)[0].id;
		return 1;
	}
	if (cache_holds(&(*e)[1], device, run)) {
		*run_id = (*e)[1].id;
		return 1;
	}
	return 0;
}

int store_run_id(struct store *st, const char *device, const char *run, int64_t *run_id)
{
	struct run_cache_entry *e;
	bool own;
	int rc = cache_get(st, device, run, &e, run_id);

	if (rc != 0)
		return rc < 0 ? -1 : 0;
	if (own_batch_begin(st, &own) < 0)
		return -1;
	rc = own_batch_end(st, own, run_id_lookup(st, device, run, run_id));
	if (rc < 0)
		return -1;
	/* After own_batch_end: its rollback would have emptied the cache. */
	cache_put(e, device, run, *run_id);
	return 0;
}

int store_run_find(struct store *st, const char *device, const char *run, int64_t *run_id)
{
	struct run_cache_entry *e;
	int rc = cache_get(st, device, run, &e, run_id);

	if (rc != 0)
		return rc;
	if (batch_broken(st))
		return -1;
	rc = run_id_find(st, device, run, run_id);
	if (rc == 1)
		cache_put(e, device, run, *run_id);
	return rc;
}

/* The faults as a JSON object, sensor -> what; malloc'd (cJSON_free), NULL
 * on ENOMEM. */
static char *faults_json(const struct reading *r)
{
	size_t n = r->n_faults < READING_MAX_FAULTS ? r->n_faults : READING_MAX_FAULTS;
	cJSON *obj = cJSON_CreateObject();
	char *text = NULL;

	if (!obj)
		return NULL;
	for (size_t i = 0; i < n; i++) {
		if (!cJSON_AddStringToObject(obj, r->faults[i].sensor, r->faults[i].what))
			goto out;
	}
	text = cJSON_PrintUnformatted(obj);
out:
	cJSON_Delete(obj);
	return text;
}

/* (run_id, r->seq) is stored: the same reading again (a resend), or one
 * with other times (another run under the same id)? The times went through
 * the same JSON text both times, so a true copy is equal to the bit. */
static int reading_compare(struct store *st, int64_t run_id, const struct reading *r)
{
	sqlite3_stmt *s = st->stmt[STMT_READING_TIMES];
	double mono, ts;

	if (BIND(st, s, "binding a reading's key", P_INT(run_id), P_U64(r->seq)) < 0 ||
	    ROW(st, s, true, "reading a stored reading's times", C_DOUBLE(&mono), C_DOUBLE(&ts)) < 0)
		return -1;
	return mono == r->mono && ts == r->ts ? STORE_READING_DUPLICATE : STORE_READING_CONFLICT;
}

static int reading_insert_batched(struct store *st, int64_t run_id, const struct reading *r)
{
	char *faults = NULL;
	int rc;

	/* OR IGNORE would also swallow a NOT NULL violation and report it as a
	 * duplicate: check what the columns need first. */
	if (r->seq > (uint64_t)INT64_MAX || !isfinite(r->mono) || !isfinite(r->ts)) {
		log_error("store: reading refused: seq, mono or ts out of range");
		return -1;
	}
	if (r->n_faults > 0) {
		faults = faults_json(r);
		if (!faults) {
			log_error("store: reading refused: out of memory for its faults");
			return -1;
		}
	}
	rc = EXEC(st, STMT_READING_ADD, "binding a reading", "storing a reading", P_INT(run_id),
		  P_U64(r->seq), P_DOUBLE(r->mono), P_DOUBLE(r->ts), P_REAL(r->pressure_kpa),
		  P_REAL(r->temperature_c), P_TEXT(faults), P_INT(r->end_session ? 1 : 0),
		  P_TEXT(r->zone[0] ? r->zone : NULL),
		  P_REAL(r->has_rotation ? r->rotation_dps : NAN));
	cJSON_free(faults);
	if (rc < 0)
		return -1;
	if (sqlite3_changes(st->db) == 0)
		return reading_compare(st, run_id, r);
	if (dirty_note(st, run_id, r->seq, r->ts) < 0)
		return -1;
	return STORE_READING_NEW;
}

int store_reading_insert(struct store *st, int64_t run_id, const struct reading *r)
{
	bool own;

	if (own_batch_begin(st, &own) < 0)
		return -1;
	return own_batch_end(st, own, reading_insert_batched(st, run_id, r));
}

/* Binds a query for run_id's rows after after_seq, at most *max of them
 * (cut to what an int counts, as the count is returned as one). 1 bound, 0
 * if there can be none, -1 (logged as what). */
static int after_bind(struct store *st, sqlite3_stmt *s, int64_t run_id, uint64_t after_seq,
		      size_t *max, const char *what)
{
	if (*max == 0 || after_seq >= (uint64_t)INT64_MAX)
		return 0;
	if (*max > (size_t)INT32_MAX)
		*max = INT32_MAX;
	return BIND(st, s, what, P_INT(run_id), P_U64(after_seq), P_INT((int64_t)*max)) < 0 ? -1 : 1;
}

static void reading_row(sqlite3_stmt *s, void *out, size_t i)
{
	struct reading *r = (struct reading *)out + i;

	memset(r, 0, sizeof(*r));
	COLUMNS_READ(s, C_U64(&r->seq), C_DOUBLE(&r->mono), C_DOUBLE(&r->ts),
		     C_REAL(&r->pressure_kpa), C_REAL(&r->temperature_c), C_TEXT(r->run),
		     C_BOOL(&r->end_session), C_TEXT(r->zone), C_REAL(&r->rotation_dps));
	/* NULL is both "no gyroscope" and "its fault": the same to the
	 * detector (no motion); the fault itself is in faults. */
	r->has_rotation = !isnan(r->rotation_dps);
}

int store_readings_after(struct store *st, int64_t run_id, uint64_t after_seq,
			 struct reading *out, size_t max)
{
	sqlite3_stmt *s = st->stmt[STMT_READINGS_AFTER];
	int rc = after_bind(st, s, run_id, after_seq, &max, "binding a readings query");

	return rc <= 0 ? rc : rows_read(st, s, max, reading_row, out, "reading readings");
}

static void seq_row(sqlite3_stmt *s, void *out, size_t i)
{
	((uint64_t *)out)[i] = column_u64(s, 0);
}

int store_seqs_after(struct store *st, int64_t run_id, uint64_t after_seq, uint64_t *out, size_t max)
{
	sqlite3_stmt *s = st->stmt[STMT_SEQS_AFTER];
	int rc = after_bind(st, s, run_id, after_seq, &max, "binding a seq query");

	return rc <= 0 ? rc : rows_read(st, s, max, seq_row, out, "reading seqs");
}

int store_run_progress_set(struct store *st, int64_t run_id, const struct store_run_progress *p)
{
	sqlite3_stmt *s = st->stmt[STMT_RUN_PROGRESS_SET];

	if (batch_broken(st))
		return -1;
	if (BIND(st, s, NULL, P_INT(run_id), P_U64(p->fed_seq), P_U64(p->missing),
		 P_U64(p->stored_seq), P_U64(p->lost), P_U64(p->conflicts),
		 P_REAL(p->revise_from)) < 0) {
		log_error("store: run progress: a value is out of range");
		return -1;
	}
	return step_one_row(st, STMT_RUN_PROGRESS_SET, "setting a run's progress",
			    "run progress: no run", run_id);
}

static void run_state_row(sqlite3_stmt *s, void *runs, size_t i)
{
	struct store_run_state *out = (struct store_run_state *)runs + i;
	struct store_run_progress *p = &out->progress;

	memset(out, 0, sizeof(*out));
	COLUMNS_READ(s, C_INT(&out->run_id), C_TEXT(out->device), C_TEXT(out->run),
		     C_U64(&p->fed_seq), C_U64(&p->missing), C_U64(&out->max_seq),
		     C_REAL(&out->last_ts), C_U64(&p->stored_seq), C_U64(&p->lost),
		     C_U64(&p->conflicts), C_REAL(&p->revise_from));
}

/* Reads of runs inside a batch must see its readings. 0 or -1. */
static int runs_make_current(struct store *st)
{
	if (!st->in_batch)
		return 0;
	if (batch_broken(st))
		return -1;
	return dirty_flush(st);
}

/* Runs a query of RUN_STATE_COLUMNS whose last parameter (number limit_at)
 * is the row limit, others bound by the caller. Returns how many rows were
 * read into out, at most max, or -1 (logged as what). */
static int runs_query(struct store *st, enum stmt_id id, int limit_at, struct store_run_state *out,
		      size_t max, const char *what)
{
	sqlite3_stmt *s = st->stmt[id];

	if (runs_make_current(st) < 0)
		return -1;
	if (max == 0)
		return 0;
	if (max > (size_t)INT32_MAX)
		max = INT32_MAX;
	if (sqlite3_bind_int64(s, limit_at, (sqlite3_int64)max) != SQLITE_OK) {
		log_db(st, "binding a runs query");
		sqlite3_reset(s);
		return -1;
	}
	return rows_read(st, s, max, run_state_row, out, what);
}

int store_runs_recent(struct store *st, double since_ts, struct store_run_state *out, size_t max)
{
	if (BIND(st, st->stmt[STMT_RUNS_RECENT], "binding a runs query", P_REAL(since_ts)) < 0)
		return -1;
	return runs_query(st, STMT_RUNS_RECENT, 2, out, max, "reading recent runs");
}

int store_runs_revise_pending(struct store *st, struct store_run_state *out, size_t max)
{
	return runs_query(st, STMT_RUNS_REVISE, 1, out, max, "reading runs to revise");
}

int store_run_get(struct store *st, int64_t run_id, struct store_run_state *out)
{
	sqlite3_stmt *s = st->stmt[STMT_RUN_GET];

	if (runs_make_current(st) < 0 || BIND(st, s, "binding a run id", P_INT(run_id)) < 0)
		return -1;
	return rows_read(st, s, 1, run_state_row, out, "reading a run") == 1 ? 0 : -1;
}

static int holds_insert(struct store *st, int64_t session_id, const struct detector_summary *sum,
			const double *hold_ts)
{
	size_t n = sum->holds_stored < DETECTOR_MAX_HOLDS ? sum->holds_stored : DETECTOR_MAX_HOLDS;

	for (size_t i = 0; i < n; i++) {
		const struct detector_hold *h = &sum->holds[i];

		if (EXEC(st, STMT_HOLD_ADD, "binding a hold", "storing a hold", P_INT(session_id),
			 P_INT((int64_t)i), P_REAL(h->start_mono_s),
			 P_REAL(hold_ts ? hold_ts[i] : NAN), P_REAL(h->duration_s),
			 P_REAL(h->peak_kpa), P_REAL(h->mean_kpa),
			 P_TEXT(detector_class_name(h->hold_class)),
			 P_TEXT(detector_hold_zone(sum, h)[0] ? detector_hold_zone(sum, h) : NULL)) < 0)
			return -1;
	}
	return 0;
}

static int zones_insert(struct store *st, int64_t session_id, const struct detector_summary *sum)
{
	size_t n = sum->n_zones < DETECTOR_MAX_ZONES + 1 ? sum->n_zones : DETECTOR_MAX_ZONES + 1;

	for (size_t i = 0; i < n; i++) {
		const struct detector_zone_total *z = &sum->zones[i];

		if (EXEC(st, STMT_ZONE_ADD, "binding a zone's totals", "storing a zone's totals",
			 P_INT(session_id), P_INT((int64_t)i), P_TEXT(z->zone), P_U64(z->holds),
			 P_U64(z->class_holds[DETECTOR_HOLD_SHORT]),
			 P_U64(z->class_holds[DETECTOR_HOLD_EFFECTIVE]),
			 P_U64(z->class_holds[DETECTOR_HOLD_LONG]), P_REAL(z->hold_time_s),
			 P_REAL(z->heat_time_s), P_REAL(z->hot_time_s), P_REAL(z->rolling_time_s)) < 0)
			return -1;
	}
	return 0;
}

/* The session row and its holds, inside the savepoint. 1, 0 or -1. */
static int session_insert_rows(struct store *st, int64_t run_id, const struct detector_summary *sum,
			       double start_ts, double end_ts, const double *hold_ts, int64_t *id)
{
	if (EXEC(st, STMT_SESSION_ADD, "binding a session", "storing a session", P_INT(run_id),
		 P_DOUBLE(sum->start_mono_s), P_REAL(sum->end_mono_s), P_REAL(start_ts),
		 P_REAL(end_ts), P_REAL(sum->duration_s), P_U64(sum->hold_count),
		 P_REAL(sum->hold_time_s), P_REAL(sum->heat_time_s), P_REAL(sum->max_temperature_c),
		 P_REAL(sum->hot_time_s), P_U64(sum->samples), P_U64(sum->missing_samples),
		 P_REAL(sum->rolling_time_s)) < 0)
		return -1;
	if (sqlite3_changes(st->db) == 0) {
		sqlite3_stmt *s = st->stmt[STMT_SESSION_FIND];

		if (BIND(st, s, "binding a session query", P_INT(run_id),
			 P_DOUBLE(sum->start_mono_s)) < 0 ||
		    ROW(st, s, true, "looking up a stored session", C_INT(id)) < 0)
			return -1;
		return 0;	/* stored before: *id is its id */
	}
	*id = sqlite3_last_insert_rowid(st->db);
	if (holds_insert(st, *id, sum, hold_ts) < 0 || zones_insert(st, *id, sum) < 0)
		return -1;
	return 1;
}

int store_session_insert(struct store *st, int64_t run_id, const struct detector_summary *s,
			 double start_ts, double end_ts, const double *hold_ts,
			 int64_t *session_id)
{
	int64_t id = 0;
	int rc;

	/* start_mono_s is half the key; NULL would make every copy unique.
	 * hold_ts may be NULL: the holds' wall-clock labels are then unknown. */
	if (!isfinite(s->start_mono_s)) {
		log_error("store: session refused: start_mono_s is not finite");
		return -1;
	}
	if (batch_broken(st))
		return -1;
	/* A savepoint keeps the session and its holds together, inside a batch
	 * or (then it is a transaction of its own) outside one. */
	if (step_done(st, STMT_SAVEPOINT, "savepoint") < 0)
		return -1;
	rc = session_insert_rows(st, run_id, s, start_ts, end_ts, hold_ts, &id);
	if (rc < 0)
		(void)step_done(st, STMT_ROLLBACK_TO, "rollback to savepoint");
	if (step_done(st, STMT_RELEASE, "release savepoint") < 0) {
		/* Outside a batch the release is the commit; never leave its
		 * transaction open behind the caller's back. */
		if (!st->in_batch && !sqlite3_get_autocommit(st->db))
			(void)step_done(st, STMT_ROLLBACK, "rollback");
		rc = -1;
	}
	if (rc >= 0 && session_id)
		*session_id = id;
	return rc;
}

int store_session_mark_published(struct store *st, int64_t session_id)
{
	if (batch_broken(st))
		return -1;
	if (BIND(st, st->stmt[STMT_SESSION_PUBLISHED], "binding a session id",
		 P_INT(session_id)) < 0)
		return -1;
	return step_one_row(st, STMT_SESSION_PUBLISHED, "marking a session published",
			    "mark published: no session", session_id);
}

static void run_session_row(sqlite3_stmt *s, void *sessions, size_t i)
{
	struct store_run_session *o = (struct store_run_session *)sessions + i;

	COLUMNS_READ(s, C_INT(&o->id), C_DOUBLE(&o->start_mono_s), C_REAL(&o->end_mono_s),
		     C_SIZE(&o->hold_count), C_REAL(&o->hold_time_s), C_REAL(&o->heat_time_s),
		     C_REAL(&o->hot_time_s), C_U64(&o->readings), C_U64(&o->missing_readings),
		     C_REAL(&o->max_temperature_c), C_REAL(&o->rolling_time_s));
}

int store_run_sessions(struct store *st, int64_t run_id, double end_from_mono_s,
		       struct store_run_session *out, size_t max)
{
	sqlite3_stmt *s = st->stmt[STMT_RUN_SESSIONS];
	int n;

	if (max >= (size_t)INT32_MAX)
		max = INT32_MAX - 1;
	if (BIND(st, s, "binding a run's sessions query", P_INT(run_id),
		 P_DOUBLE(end_from_mono_s)) < 0)
		return -1;
	n = rows_read(st, s, max, run_session_row, out, "reading a run's sessions");
	if (n > (int)max) {
		log_error("store: run %lld has more than %zu sessions to revise", (long long)run_id,
			  max);
		return -1;
	}
	return n;
}

int store_session_delete(struct store *st, int64_t session_id)
{
	if (batch_broken(st))
		return -1;
	if (EXEC(st, STMT_HOLDS_DELETE, "binding a session id", "deleting a session's holds",
		 P_INT(session_id)) < 0 ||
	    EXEC(st, STMT_ZONES_DELETE, "binding a session id", "deleting a session's zones",
		 P_INT(session_id)) < 0)
		return -1;
	return EXEC(st, STMT_SESSION_DELETE, "binding a session id", "deleting a session",
		    P_INT(session_id));
}

int store_run_snapshot_set(struct store *st, int64_t run_id, uint64_t fed_seq, const void *blob,
			   size_t len)
{
	if (batch_broken(st))
		return -1;
	return EXEC(st, STMT_SNAPSHOT_SET, "binding a run's snapshot", "storing a run's snapshot",
		    P_INT(run_id), P_BLOB(len <= (size_t)INT32_MAX ? blob : NULL, (int)len),
		    P_U64(blob ? fed_seq : 0));
}

int store_run_snapshot_get(struct store *st, int64_t run_id, uint64_t fed_seq, void *buf, size_t len)
{
	sqlite3_stmt *s = st->stmt[STMT_SNAPSHOT_GET];

	if (BIND(st, s, "binding a run id", P_INT(run_id), P_U64(fed_seq),
		 P_INT(len <= (size_t)INT32_MAX ? (int64_t)len : -1)) < 0)
		return -1;
	return ROW(st, s, false, "reading a run's snapshot", C_BLOB(buf, len));
}

long store_readings_purge(struct store *st, double before_ts)
{
	long total = 0;
	int deleted;

	if (st->in_batch) {
		log_error("store: purge: refused inside an open batch");
		return -1;
	}
	do {
		if (store_begin(st) < 0)
			return -1;
		if (EXEC(st, STMT_PURGE, "binding a purge", "purging readings", P_REAL(before_ts),
			 P_INT(STORE_PURGE_CHUNK)) < 0) {
			store_rollback(st);
			return -1;
		}
		deleted = sqlite3_changes(st->db);
		if (store_commit(st) < 0)
			return -1;
		total += deleted;
	} while (deleted == STORE_PURGE_CHUNK);
	return total;
}

/* The i-th hold of a store_session. */
static void hold_row(sqlite3_stmt *s, void *session, size_t i)
{
	struct store_session *out = session;

	COLUMNS_READ(s, C_REAL(&out->holds[i].start_ts), C_REAL(&out->holds[i].duration_s),
		     C_REAL(&out->holds[i].peak_kpa), C_REAL(&out->holds[i].mean_kpa),
		     C_TEXT(out->holds[i].hold_class), C_TEXT(out->holds[i].zone));
}

/* The i-th zone total of a store_session. */
static void zone_row(sqlite3_stmt *s, void *session, size_t i)
{
	struct detector_zone_total *z = &((struct store_session *)session)->zones[i];

	COLUMNS_READ(s, C_TEXT(z->zone), C_SIZE(&z->holds),
		     C_SIZE(&z->class_holds[DETECTOR_HOLD_SHORT]),
		     C_SIZE(&z->class_holds[DETECTOR_HOLD_EFFECTIVE]),
		     C_SIZE(&z->class_holds[DETECTOR_HOLD_LONG]), C_REAL(&z->hold_time_s),
		     C_REAL(&z->heat_time_s), C_REAL(&z->hot_time_s), C_REAL(&z->rolling_time_s));
}

/* Fills out with session id and its holds. 0, or -1 (logged). */
static int session_load(struct store *st, int64_t id, struct store_session *out)
{
	sqlite3_stmt *s = st->stmt[STMT_SESSION_GET];
	sqlite3_stmt *h = st->stmt[STMT_HOLDS_GET];
	int n;

	memset(out, 0, sizeof(*out));
	if (BIND(st, s, "binding a session id", P_INT(id)) < 0 ||
	    ROW(st, s, true, "reading a session", C_INT(&out->id), C_TEXT(out->device),
		C_TEXT(out->run), C_REAL(&out->start_ts), C_REAL(&out->end_ts),
		C_REAL(&out->duration_s), C_SIZE(&out->hold_count), C_REAL(&out->hold_time_s),
		C_REAL(&out->heat_time_s), C_REAL(&out->max_temperature_c),
		C_REAL(&out->hot_time_s), C_U64(&out->readings), C_U64(&out->missing_readings),
		C_BOOL(&out->published), C_REAL(&out->rolling_time_s)) < 0)
		return -1;
	if (BIND(st, h, "binding a holds query", P_INT(id), P_INT(DETECTOR_MAX_HOLDS)) < 0)
		return -1;
	n = rows_read(st, h, DETECTOR_MAX_HOLDS, hold_row, out, "reading holds");
	if (n < 0)
		return -1;
	out->holds_stored = (size_t)n;
	h = st->stmt[STMT_ZONES_GET];
	if (BIND(st, h, "binding a zones query", P_INT(id), P_INT(DETECTOR_MAX_ZONES + 1)) < 0)
		return -1;
	n = rows_read(st, h, DETECTOR_MAX_ZONES + 1, zone_row, out, "reading zone totals");
	if (n < 0)
		return -1;
	out->n_zones = (size_t)n;
	return 0;
}

/* The stored class name back to the enum, through the detector's own names;
 * a name this program does not know (a later version's) reads as short. */
static enum detector_hold_class hold_class_parse(const char *name)
{
	for (int c = DETECTOR_HOLD_SHORT; c <= DETECTOR_HOLD_LONG; c++) {
		if (strcmp(name, detector_class_name((enum detector_hold_class)c)) == 0)
			return (enum detector_hold_class)c;
	}
	return DETECTOR_HOLD_SHORT;
}

void store_session_summary(const struct store_session *s, struct detector_summary *out)
{
	size_t n = s->holds_stored < DETECTOR_MAX_HOLDS ? s->holds_stored : DETECTOR_MAX_HOLDS;

	memset(out, 0, sizeof(*out));
	out->start_mono_s = s->start_ts;
	out->end_mono_s = s->end_ts;
	out->duration_s = s->duration_s;
	out->hold_count = s->hold_count;
	out->hold_time_s = s->hold_time_s;
	out->rolling_time_s = s->rolling_time_s;
	out->holds_stored = n;
	for (size_t i = 0; i < n; i++) {
		out->holds[i].start_mono_s = s->holds[i].start_ts;
		out->holds[i].duration_s = s->holds[i].duration_s;
		out->holds[i].peak_kpa = s->holds[i].peak_kpa;
		out->holds[i].mean_kpa = s->holds[i].mean_kpa;
		out->holds[i].hold_class = hold_class_parse(s->holds[i].hold_class);
	}
	out->n_zones = s->n_zones < DETECTOR_MAX_ZONES + 1 ? s->n_zones : DETECTOR_MAX_ZONES + 1;
	memcpy(out->zones, s->zones, out->n_zones * sizeof(out->zones[0]));
	/* A hold names its zone by its index in zones[]; one stored before
	 * zones existed has no totals to point at, and an index past them is
	 * no zone (detector_hold_zone). */
	for (size_t i = 0; i < n; i++) {
		out->holds[i].zone = DETECTOR_MAX_ZONES + 1;
		for (size_t j = 0; j < out->n_zones; j++)
			if (strcmp(out->zones[j].zone, s->holds[i].zone) == 0)
				out->holds[i].zone = (uint8_t)j;
	}
	out->heat_time_s = s->heat_time_s;
	out->max_temperature_c = s->max_temperature_c;
	out->hot_time_s = s->hot_time_s;
	out->samples = s->readings;
	out->missing_samples = s->missing_readings;
}

/* Runs the id query s (bound by the caller) to the end first, then loads and
 * hands out each session: fn may then call the store (mark published, even
 * list again) without disturbing a statement still being stepped. */
static int sessions_emit(struct store *st, sqlite3_stmt *s,
			 int (*fn)(const struct store_session *s, void *ctx), void *ctx)
{
	struct store_session *one = NULL;
	int64_t *ids = NULL;
	size_t n = 0, cap = 0;
	int rc, ret = -1;

	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		if (n == cap) {
			size_t new_cap = cap ? cap * 2 : 64;
			int64_t *grown = realloc(ids, new_cap * sizeof(*ids));

			if (!grown) {
				log_error("store: listing sessions: out of memory");
				goto out;
			}
			ids = grown;
			cap = new_cap;
		}
		ids[n++] = sqlite3_column_int64(s, 0);
	}
	if (rc != SQLITE_DONE) {
		log_db(st, "listing sessions");
		goto out;
	}
	sqlite3_reset(s);
	one = malloc(sizeof(*one));
	if (!one) {
		log_error("store: listing sessions: out of memory");
		goto out;
	}
	for (size_t i = 0; i < n; i++) {
		if (session_load(st, ids[i], one) < 0)
			goto out;
		if (fn(one, ctx) != 0)
			break;
	}
	ret = 0;
out:
	sqlite3_reset(s);
	free(one);
	free(ids);
	return ret;
}

/* store_sessions_each through the range query id (its order). */
static int sessions_range(struct store *st, enum stmt_id id, const char *device, double since_ts,
			  double until_ts, int (*fn)(const struct store_session *s, void *ctx),
			  void *ctx)
{
	sqlite3_stmt *s = st->stmt[id];

	if (BIND(st, s, "binding a sessions query", P_TEXT(device), P_REAL(since_ts),
		 P_REAL(until_ts)) < 0)
		return -1;
	return sessions_emit(st, s, fn, ctx);
}

int store_sessions_each(struct store *st, const char *device, double since_ts, double until_ts,
			int (*fn)(const struct store_session *s, void *ctx), void *ctx)
{
	return sessions_range(st, STMT_SESSIONS_RANGE, device, since_ts, until_ts, fn, ctx);
}

int store_sessions_each_newest(struct store *st, const char *device, double since_ts,
			       double until_ts, int (*fn)(const struct store_session *s, void *ctx),
			       void *ctx)
{
	return sessions_range(st, STMT_SESSIONS_RANGE_NEWEST, device, since_ts, until_ts, fn, ctx);
}

int store_sessions_unpublished(struct store *st,
			       int (*fn)(const struct store_session *s, void *ctx), void *ctx)
{
	return sessions_emit(st, st->stmt[STMT_SESSIONS_UNPUBLISHED], fn, ctx);
}

int store_devices_each(struct store *st, int (*fn)(const char *name, void *ctx), void *ctx)
{
	sqlite3_stmt *s = st->stmt[STMT_DEVICES_LIST];
	int rc;

	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		const unsigned char *name = sqlite3_column_text(s, 0);

		if (name && fn((const char *)name, ctx) != 0) {
			rc = SQLITE_DONE;
			break;
		}
	}
	return stmt_end(st, s, rc != SQLITE_DONE, "listing devices");
}

int store_session_get(struct store *st, int64_t id, struct store_session *out,
		      struct store_session_span *span)
{
	sqlite3_stmt *s = st->stmt[STMT_SESSION_SPAN];
	struct store_session_span sp;
	int rc;

	if (BIND(st, s, "binding a session id", P_INT(id)) < 0)
		return -1;
	rc = ROW(st, s, false, "reading a session's span", C_INT(&sp.run_id),
		 C_DOUBLE(&sp.start_mono_s), C_REAL(&sp.end_mono_s));
	if (rc <= 0)
		return rc;
	if (session_load(st, id, out) < 0)
		return -1;
	if (span)
		*span = sp;
	return 1;
}

/* The seq of run_id's first reading with mono >= mono_s, into *seq (one
 * past the last seq when there is none, 0 in a run without readings). The
 * readings have no index on mono, and a run of weeks holds millions: but
 * sensord numbers a run's readings in the order it takes them, on a
 * monotonic clock, so mono grows with seq, and a binary search over seq,
 * each step one primary-key lookup, finds it in about 25 steps without
 * reading the run. 0 or -1. */
static int seq_at_mono(struct store *st, int64_t run_id, double mono_s, uint64_t *seq)
{
	sqlite3_stmt *s = st->stmt[STMT_READING_FROM_SEQ];
	uint64_t lo, hi = 0, at;
	double mono;
	int rc;

	/* The first reading is looked at before the search, whose lower bound
	 * is a seq seen: a run may start at seq 0. */
	if (BIND(st, s, "binding a reading's seq", P_INT(run_id), P_U64(0)) < 0)
		return -1;
	rc = ROW(st, s, false, "finding a run's first reading", C_U64(&at), C_DOUBLE(&mono));
	if (rc < 0)
		return -1;
	if (rc == 0 || mono >= mono_s) {
		*seq = 0;
		return 0;
	}
	lo = at;
	/* Every stored seq <= lo has mono < mono_s; every one >= hi has mono >= mono_s. */
	if (BIND(st, st->stmt[STMT_READING_MAX_SEQ], "binding a run id", P_INT(run_id)) < 0 ||
	    ROW(st, st->stmt[STMT_READING_MAX_SEQ], true, "finding a run's last reading",
		C_U64(&hi)) < 0)
		return -1;
	hi++;
	while (hi - lo > 1) {
		uint64_t mid = lo + (hi - lo) / 2;

		if (BIND(st, s, "binding a reading's seq", P_INT(run_id), P_U64(mid)) < 0)
			return -1;
		rc = ROW(st, s, false, "finding a session's first reading", C_U64(&at),
			 C_DOUBLE(&mono));
		if (rc < 0)
			return -1;
		if (rc == 0 || at >= hi || mono >= mono_s)
			hi = mid;	/* none stored in [mid, at) */
		else
			lo = at;
	}
	*seq = hi;
	return 0;
}

int store_readings_each(struct store *st, int64_t run_id, double from_mono_s, double to_mono_s,
			int (*fn)(const struct store_point *p, void *ctx), void *ctx)
{
	sqlite3_stmt *s = st->stmt[STMT_READINGS_SPAN];
	struct store_point p;
	uint64_t first;
	int rc;

	if (seq_at_mono(st, run_id, from_mono_s, &first) < 0 ||
	    BIND(st, s, "binding a readings query", P_INT(run_id), P_U64(first)) < 0)
		return -1;
	/* From there in seq order, so in mono order too: the first reading past
	 * the end (an open end, NAN, reaches every later one) ends it. */
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		COLUMNS_READ(s, C_U64(&p.seq), C_DOUBLE(&p.mono), C_DOUBLE(&p.ts),
			     C_REAL(&p.pressure_kpa), C_REAL(&p.temperature_c));
		if (p.mono > to_mono_s) {
			rc = SQLITE_DONE;
			break;
		}
		p.faults = (const char *)sqlite3_column_text(s, 5);
		p.zone = (const char *)sqlite3_column_text(s, 6);
		if (!p.zone)
			p.zone = "";
		if (fn(&p, ctx) != 0) {
			rc = SQLITE_DONE;
			break;
		}
	}
	return stmt_end(st, s, rc != SQLITE_DONE, "reading a session's readings");
}

int store_device_infos_each(struct store *st,
			    int (*fn)(const struct store_device_info *d, void *ctx), void *ctx)
{
	sqlite3_stmt *s = st->stmt[STMT_DEVICE_INFOS];
	struct store_device_info d;
	int rc;

	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		COLUMNS_READ(s, C_TEXT(d.device), C_U64(&d.sessions), C_REAL(&d.first_ts),
			     C_REAL(&d.last_ts));
		if (fn(&d, ctx) != 0) {
			rc = SQLITE_DONE;
			break;
		}
	}
	return stmt_end(st, s, rc != SQLITE_DONE, "listing devices");
}

int store_get_counts(struct store *st, struct store_counts *c)
{
	return ROW(st, st->stmt[STMT_COUNTS], true, "counting", C_U64(&c->devices), C_U64(&c->runs),
		   C_U64(&c->readings), C_U64(&c->sessions), C_U64(&c->holds)) < 0 ? -1 : 0;
}

static void __attribute__((format(printf, 3, 4)))
err_set(char *err, size_t err_len, const char *fmt, ...)
{
	va_list ap;

	if (!err || err_len == 0)
		return;
	va_start(ap, fmt);
	vsnprintf(err, err_len, fmt, ap);
	va_end(ap);
}

/* A database error at open as "PATH: what: message", or the plain "PATH:
 * file is not a database" for a file that is not SQLite at all. */
static void err_set_db(char *err, size_t err_len, const char *path, sqlite3 *db, const char *what)
{
	if ((sqlite3_extended_errcode(db) & 0xff) == SQLITE_NOTADB)
		err_set(err, err_len, "%s: file is not a database", path);
	else
		err_set(err, err_len, "%s: %s: %s", path, what, sqlite3_errmsg(db));
}

/* One integer from a query run once at open (pragmas, schema checks). */
static int query_int(sqlite3 *db, const char *sql, int *out)
{
	sqlite3_stmt *s;
	int rc = sqlite3_prepare_v2(db, sql, -1, &s, NULL);

	if (rc != SQLITE_OK)
		return -1;
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW)
		*out = sqlite3_column_int(s, 0);
	sqlite3_finalize(s);
	return rc == SQLITE_ROW ? 0 : -1;
}

/* The folder must exist: the store makes the file, never folders (those
 * belong to the package or the unit, with their owners and modes). */
static int folder_check(const char *path, char *err, size_t err_len)
{
	char dir[PATH_MAX];
	struct stat sb;

	if (file_dirname(path, dir, sizeof(dir)) < 0) {
		err_set(err, err_len, "%s: path too long", path);
		return -1;
	}
	if (stat(dir, &sb) < 0) {
		err_set(err, err_len, "%s: folder %s: %s", path, dir, strerror(errno));
		return -1;
	}
	if (!S_ISDIR(sb.st_mode)) {
		err_set(err, err_len, "%s: %s is not a folder", path, dir);
		return -1;
	}
	return 0;
}

/* Applies the migrations newer than the file, up to version target, each in
 * one transaction that re-reads user_version, so two processes opening a new
 * file at once migrate it once. 0, or -1 with err set. */
static int schema_migrate(sqlite3 *db, const char *path, int target, char *err, size_t err_len)
{
	int version = 0, app_id = 0, tables = 0;

	if (query_int(db, "PRAGMA user_version", &version) < 0 ||
	    query_int(db, "PRAGMA application_id", &app_id) < 0 ||
	    query_int(db, "SELECT count(*) FROM sqlite_master", &tables) < 0) {
		err_set_db(err, err_len, path, db, "reading the schema version");
		return -1;
	}
	/* A file another program made: never add our tables to it. */
	if ((version != 0 || tables != 0) && app_id != STORE_APPLICATION_ID) {
		err_set(err, err_len, "%s: not a rollsense database", path);
		return -1;
	}
	if (version > store_schema_version()) {
		err_set(err, err_len, "%s: schema version %d is newer than this program knows (%d)",
			path, version, store_schema_version());
		return -1;
	}
	for (size_t i = 0; i < COUNT_OF(migrations) && migrations[i].version <= target; i++) {
		const struct migration *m = &migrations[i];

		if (sqlite3_exec(db, "BEGIN IMMEDIATE", NULL, NULL, NULL) != SQLITE_OK) {
			err_set_db(err, err_len, path, db, "begin migration");
			return -1;
		}
		if (query_int(db, "PRAGMA user_version", &version) < 0) {
			err_set_db(err, err_len, path, db, "reading the schema version");
			goto rollback;
		}
		if (version < m->version) {
			if (sqlite3_exec(db, m->sql, NULL, NULL, NULL) != SQLITE_OK) {
				err_set(err, err_len, "%s: migration %d: %s", path, m->version,
					sqlite3_errmsg(db));
				goto rollback;
			}
			log_info("store: %s: schema migrated to version %d", path, m->version);
		}
		if (sqlite3_exec(db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK) {
			err_set_db(err, err_len, path, db, "commit migration");
			goto rollback;
		}
	}
	return 0;

rollback:
	sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
	return -1;
}

/* sqlite3_exec's row callback for the journal mode: is it "wal"? */
static int journal_mode_row(void *wal, int n, char **values, char **names)
{
	(void)names;
	*(bool *)wal = n == 1 && values[0] && strcmp(values[0], "wal") == 0;
	return 0;
}

/* PRAGMAs that hold per connection (journal_mode is kept in the file). */
static int db_configure(sqlite3 *db, const char *path, char *err, size_t err_len)
{
	bool wal = false;

	sqlite3_extended_result_codes(db, 1);
	sqlite3_busy_timeout(db, STORE_BUSY_TIMEOUT_MS);
	/* The first statement that reads the file tells a non-database apart. */
	if (sqlite3_exec(db, "PRAGMA journal_mode=WAL", journal_mode_row, &wal, NULL) != SQLITE_OK) {
		err_set_db(err, err_len, path, db, "journal mode");
		return -1;
	}
	if (!wal)
		log_warn("store: %s: WAL journal not available, readers will wait for writers",
			 path);
	/* FULL: the ack promises the readings survive a power cut once
	 * committed; NORMAL in WAL mode may lose the last commits. */
	if (sqlite3_exec(db, "PRAGMA synchronous=FULL; PRAGMA foreign_keys=ON",
			 NULL, NULL, NULL) != SQLITE_OK) {
		err_set_db(err, err_len, path, db, "pragmas");
		return -1;
	}
	return 0;
}

/* Prepares every statement once (writes too: on a read-only connection
 * they fail only when run). 0, or -1 with err set and none left prepared. */
static int stmts_prepare(struct store *st, const char *path, char *err, size_t err_len)
{
	for (int i = 0; i < STMT_COUNT; i++) {
		int rc = sqlite3_prepare_v3(st->db, stmt_sql[i], -1, SQLITE_PREPARE_PERSISTENT,
					    &st->stmt[i], NULL);

		if (rc != SQLITE_OK) {
			err_set(err, err_len, "%s: preparing statement %d: %s", path, i,
				sqlite3_errmsg(st->db));
			for (int j = 0; j < i; j++) {
				sqlite3_finalize(st->stmt[j]);
				st->stmt[j] = NULL;
			}
			return -1;
		}
	}
	return 0;
}

/* An open that failed: the connection closed, st freed. Returns NULL. */
static struct store *store_discard(struct store *st)
{
	sqlite3_close(st->db);			/* NULL is a harmless no-op */
	free(st);
	errno = EINVAL;
	return NULL;
}

/* The end of an open: the statements prepared, or st discarded (NULL). */
static struct store *store_ready(struct store *st, const char *path, char *err, size_t err_len)
{
	if (stmts_prepare(st, path, err, err_len) < 0)
		return store_discard(st);
	return st;
}

struct store *store_open(const char *path, char *err, size_t err_len)
{
	struct store *st;
	int fd, rc;

	err_set(err, err_len, "%s", "");
	if (!path || !path[0]) {
		err_set(err, err_len, "store: empty database path");
		errno = EINVAL;
		return NULL;
	}
	if (folder_check(path, err, err_len) < 0) {
		errno = ENOENT;
		return NULL;
	}
	/* SQLite would make the file 0644; the readings are the user's body
	 * data, so create it first at 0640 (less whatever the umask takes).
	 * SQLite gives its -wal and -shm files the same mode. */
	fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0640);
	if (fd < 0) {
		int saved = errno;

		err_set(err, err_len, "%s: cannot open: %s", path, strerror(saved));
		errno = saved;
		return NULL;
	}
	close(fd);

	st = calloc(1, sizeof(*st));
	if (!st) {
		err_set(err, err_len, "%s: out of memory", path);
		errno = ENOMEM;
		return NULL;
	}
	rc = sqlite3_open_v2(path, &st->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, NULL);
	if (rc != SQLITE_OK) {
		if (st->db)
			err_set_db(err, err_len, path, st->db, "cannot open");
		else
			err_set(err, err_len, "%s: cannot open: out of memory", path);
		goto err_close;
	}
	if (db_configure(st->db, path, err, err_len) < 0)
		goto err_close;
	if (schema_migrate(st->db, path, store_schema_version(), err, err_len) < 0)
		goto err_close;
	return store_ready(st, path, err, err_len);

err_close:
	return store_discard(st);
}

int store_create_at_version(const char *path, int version, char *err, size_t err_len)
{
	sqlite3 *db = NULL;
	int rc = -1;

	err_set(err, err_len, "%s", "");
	if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, NULL) != SQLITE_OK)
		err_set(err, err_len, "%s: cannot open", path);
	else if (db_configure(db, path, err, err_len) == 0)
		rc = schema_migrate(db, path, version, err, err_len);
	sqlite3_close(db);
	return rc;
}

struct store *store_open_readonly(const char *path, char *err, size_t err_len)
{
	struct store *st;
	struct stat sb;
	int version = 0, app_id = 0;

	err_set(err, err_len, "%s", "");
	if (!path || !path[0]) {
		err_set(err, err_len, "store: empty database path");
		errno = EINVAL;
		return NULL;
	}
	if (stat(path, &sb) < 0) {
		int saved = errno;

		if (saved == ENOENT)
			err_set(err, err_len, "%s: no database yet: start rollsense-collector first", path);
		else
			err_set(err, err_len, "%s: cannot open: %s", path, strerror(saved));
		errno = saved;
		return NULL;
	}
	st = calloc(1, sizeof(*st));
	if (!st) {
		err_set(err, err_len, "%s: out of memory", path);
		errno = ENOMEM;
		return NULL;
	}
	/* A WAL reader still writes the -shm index beside the file; the
	 * database and its journal are left to the collector. */
	if (sqlite3_open_v2(path, &st->db, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK) {
		if (st->db)
			err_set_db(err, err_len, path, st->db, "cannot open");
		else
			err_set(err, err_len, "%s: cannot open: out of memory", path);
		goto err_close;
	}
	sqlite3_extended_result_codes(st->db, 1);
	sqlite3_busy_timeout(st->db, STORE_BUSY_TIMEOUT_MS);
	if (query_int(st->db, "PRAGMA user_version", &version) < 0 ||
	    query_int(st->db, "PRAGMA application_id", &app_id) < 0 ||
	    sqlite3_exec(st->db, "PRAGMA query_only=1", NULL, NULL, NULL) != SQLITE_OK) {
		err_set_db(err, err_len, path, st->db, "reading the schema version");
		goto err_close;
	}
	if (version != 0 && app_id != STORE_APPLICATION_ID) {
		err_set(err, err_len, "%s: not a rollsense database", path);
		goto err_close;
	}
	/* Only the collector migrates: a reader never changes the file. */
	if (version < store_schema_version()) {
		err_set(err, err_len, "%s: schema version %d is older than this program's (%d); "
			"start rollsense-collector once to upgrade it", path, version,
			store_schema_version());
		goto err_close;
	}
	if (version > store_schema_version()) {
		err_set(err, err_len, "%s: schema version %d is newer than this program knows (%d)",
			path, version, store_schema_version());
		goto err_close;
	}
	return store_ready(st, path, err, err_len);

err_close:
	return store_discard(st);
}

void store_close(struct store *st)
{
	if (!st)
		return;
	if (st->in_batch) {
		log_warn("store: closing with an open batch: its writes are discarded");
		store_rollback(st);
	}
	for (int i = 0; i < STMT_COUNT; i++)
		sqlite3_finalize(st->stmt[i]);
	if (sqlite3_close(st->db) != SQLITE_OK)
		log_db(st, "close");
	free(st);
}
