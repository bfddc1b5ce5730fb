/* The fault suite (make check-faults): real sensord -> real mosquitto -> real
 * collector on the scripted sessions of tests/data/faults.scn, while the
 * broker is SIGKILLed and restarted, frozen (SIGSTOP) past the keepalive and
 * thawed, sensord is SIGKILLed and restarted (some of those during a broker
 * outage), the collector is SIGKILLed and restarted, and the scenario's chips
 * NACK, drop off the bus and freeze.
 *
 * Ground truth comes from outside the code under test: each sensord run's
 * own log (its run id, when it closed a session, how many readings it made
 * when the scenario ended), and docs/protocol.md's rules applied to the scenario's
 * noise-free timeline on the instants the run sampled.
 *
 * A restarted sensord begins a new run whose mono clock, and so the
 * scenario, starts again at 0: a run is a session of its own life, and
 * "sessions equal to the script" means, per run, the script's sessions that
 * closed before that run ended. sensord is killed only right after its live
 * detector closed a session (the scenario leaves a quiet stretch there), so a
 * killed run holds whole sessions; what it would have read after its death is
 * never generated and counts as no loss.
 *
 * Asserted at the end, after the report is printed (stdout and
 * $BUILD/faults-report.txt): every reading of every run stored exactly once
 * (seq 1..N with no hole, N what the run made), one stored session per
 * scripted session of its run with the script's holds (duration within a
 * sample period, class), heat and maximum temperature, no missing readings;
 * every chip fault shows as null channels with a "faults" text, and readings
 * come back within 1 s of the chip's return. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "select.h"

#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cJSON.h>

#include "harness.h"
#include "reading.h"
#include "sim/sim.h"
#include "store.h"

#define SCENARIO "tests/data/faults.scn"
#define DEVICE "ball1"
#define SAMPLE_S 0.1
#define TIME_SCALE 10.0
#define KEEPALIVE_S 2
#define IDLE_S 10.0
/* How far the scenario's quiet stretches let a kill land after a session
 * closed: the next contact comes at least 24 s (simulated) later. */
#define QUIET_AFTER_CLOSE_S 24.0
/* A stuck BMP280 is reported after 20 identical raw values. */
#define STUCK_DETECT_S (20 * SAMPLE_S)
#define RECOVERY_MAX_S 1.0
#define TIMING_SLACK_S 0.03
/* The broker keeps at most this many QoS 1 messages for an offline client
 * (mosquitto's max_queued_messages): a collector outage of more than 0.1 s
 * (100 readings a second at this time scale) overflows it, and the broker
 * drops the rest, as a real broker with a queue limit does. */
#define BROKER_QUEUE_MAX 10
/* The holes that leaves outlive the collector's gap timeout, because sensord
 * resends later: the detector passes them, the ack must not, and the late
 * readings must revise the sessions. */
#define GAP_TIMEOUT_S 1
#define RESEND_S 6

#define MAX_RUNS 8
#define MAX_SESSIONS 8
#define MAX_HOLDS 8
#define MAX_FAULTS 8

struct script_hold {
	double start, duration;
	const char *cls;
};

struct script_session {
	double first_contact, last_contact, closed_at;
	struct script_hold holds[MAX_HOLDS];
	size_t n_holds;
	double heat_s, max_c;
};

/* The sessions docs/protocol.md's rules give on one run's sampling instants. */
struct script {
	struct script_session sessions[MAX_SESSIONS];
	size_t n;
};

struct chip_fault {
	double t0, t1;
	char chip[32];		/* scenario name: "ball" or "pad" */
	char kind[16];		/* nack, absent, stuck */
};

/* One stored reading, what the checks need of it. */
struct row {
	uint64_t seq;
	double mono, pressure_kpa, temperature_c;
};

/* A reading payload seen on the broker that carried "faults". */
struct seen_fault {
	char run[READING_RUN_LEN + 1];
	double mono;
	char sensor[64];
	char what[READING_FAULT_LEN];
};

struct run_rec {
	char run[READING_RUN_LEN + 1];
	char log[300];
	pid_t pid;
	/* How it ended. */
	bool killed, killed_in_outage, ended;
	size_t sessions_at_kill;	/* session_ended events it had logged */
	uint64_t ended_readings;	/* "scenario ended at ...: N readings" */
	/* What the store holds. */
	struct row *rows;
	size_t n_rows;
	uint64_t max_seq, holes;
	struct script script;
	/* The same a little earlier and later (TIMING_SLACK_S): a threshold
	 * crossing that close to a sampling instant may fall either side of
	 * it, through the chip's noise and its conversion time. */
	struct script script_early, script_late;
	struct store_session *stored;	/* its stored sessions, by start */
	size_t n_stored;
};

struct fixture {
	struct harness_env env;	/* its broker keeps BROKER_QUEUE_MAX messages */
	pid_t collector;
	struct run_rec runs[MAX_RUNS];
	size_t n_runs;
	struct chip_fault faults[MAX_FAULTS];
	size_t n_faults;
	/* What was done. */
	unsigned broker_kills, broker_freezes, sensord_kills, sensord_kills_in_outage,
		sensord_starts_in_outage, collector_kills;
	double freeze_min_s, freeze_max_s;
	double started_at;
	/* Failed checks, collected so the report is printed whole first. */
	char *failures;
	size_t failures_len;
	unsigned n_failures;
};

/* ---- small helpers ---- */

static void failure_add(struct fixture *f, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void failure_add(struct fixture *f, const char *fmt, ...)
{
	char line[512];
	va_list ap;
	size_t n;
	char *grown;

	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	n = strlen(line);
	grown = realloc(f->failures, f->failures_len + n + 3);
	assert_non_null(grown);
	f->failures = grown;
	memcpy(f->failures + f->failures_len, "  ", 2);
	memcpy(f->failures + f->failures_len + 2, line, n);
	f->failures_len += n + 2;
	f->failures[f->failures_len++] = '\n';
	f->failures[f->failures_len] = '\0';
	f->n_failures++;
}

/* Waits until needle occurs more than n times in the file. Polls often
 * (harness_wait_file_count): a sensord kill must land within the quiet
 * stretch after a session. */
static bool wait_count_above(const char *path, const char *needle, size_t n, double timeout_s)
{
	return harness_wait_file_count(path, needle, n + 1, timeout_s);
}

/* ---- the script ---- */

static void script_hold_close(struct script_session *s, double start, double last_above)
{
	double d = last_above - start;
	struct script_hold *h;

	if (d < 5 - 1e-6 || s->n_holds >= MAX_HOLDS)
		return;
	h = &s->holds[s->n_holds++];
	h->start = start;
	h->duration = d;
	h->cls = d < 10 - 1e-6 ? "short" : d <= 60 + 1e-6 ? "effective" : "long";
}

/* docs/protocol.md's rules on the noise-free timeline, sampled at first_s + k *
 * SAMPLE_S up to last_s: a session opens at the first sample >= 2 kPa and
 * closes at the first sample more than idle_s after its last contact; a hold
 * starts at the first sample >= 10 kPa, ends when below 8 kPa for more than
 * 1 s, lasts to the last sample >= 8 kPa, counts from 5 s; heat is on at >=
 * 38 °C until below 37.5 °C and counts while a session is open. Only sessions
 * that closed by last_s are kept: those are the ones the run finished. */
static void script_compute(const struct sim_scenario *scn, double first_s, double last_s,
			   double shift_s, struct script *out)
{
	struct script_session cur;
	double hold_start = -1, last_above = -1;
	bool open = false, heat = false;

	memset(out, 0, sizeof(*out));
	memset(&cur, 0, sizeof(cur));
	for (long i = 0; first_s + i * SAMPLE_S <= last_s + 1e-6; i++) {
		double t = first_s + i * SAMPLE_S, load, temp;
		bool contact;

		assert_int_equal(sim_scenario_value(scn, "ball", "load_kpa", t + shift_s, &load), 0);
		assert_int_equal(sim_scenario_value(scn, "pad", "temperature_c", t + shift_s, &temp), 0);
		contact = load >= 2;
		if (open && t - cur.last_contact > IDLE_S + 1e-6) {
			if (hold_start >= 0)
				script_hold_close(&cur, hold_start, last_above);
			hold_start = -1;
			cur.closed_at = t;
			if (out->n < MAX_SESSIONS)
				out->sessions[out->n++] = cur;
			open = false;
		}
		if (!open && contact) {
			memset(&cur, 0, sizeof(cur));
			cur.first_contact = t;
			cur.max_c = -INFINITY;
			open = true;
		}
		if (open && contact)
			cur.last_contact = t;
		if (open) {
			if (hold_start < 0 && load >= 10)
				hold_start = last_above = t;
			if (hold_start >= 0) {
				if (load >= 8) {
					last_above = t;
				} else if (t - last_above > 1.0 + 1e-6) {
					script_hold_close(&cur, hold_start, last_above);
					hold_start = -1;
				}
			}
		}
		heat = heat ? temp >= 37.5 : temp >= 38;
		if (open) {
			if (heat)
				cur.heat_s += SAMPLE_S;
			if (temp > cur.max_c)
				cur.max_c = temp;
		}
	}
}

/* The "fault T0 T1 CHIP KIND" lines of the scenario file. */
static void faults_parse(struct fixture *f)
{
	char *text = harness_read_file(SCENARIO), *line, *save = NULL;

	assert_non_null(text);
	for (line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		struct chip_fault *c;

		if (strncmp(line, "fault ", 6) != 0)
			continue;
		assert_true(f->n_faults < MAX_FAULTS);
		c = &f->faults[f->n_faults];
		if (sscanf(line, "fault %lf %lf %31s %15s", &c->t0, &c->t1, c->chip, c->kind) == 4)
			f->n_faults++;
	}
	free(text);
	assert_true(f->n_faults >= 3);
}

/* A line of progress on stderr, so a slow or stuck step shows where. */
static void note(const struct fixture *f, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void note(const struct fixture *f, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "  [%6.1f s] ", harness_now_s() - f->started_at);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

/* ---- processes ---- */

static void write_config(struct fixture *f)
{
	assert_int_equal(harness_write_config(&f->env,
		"mqtt.keepalive_s=%d\n"
		"sensord.confirm=\"collector\"\n"
		"sensord.resend_s=%d\n"
		"sensord.simulation.time_scale=%g\n"
		"detector.idle_s=%g\n"
		"collector.gap_timeout_s=%d\n",
		KEEPALIVE_S, RESEND_S, TIME_SCALE, IDLE_S, GAP_TIMEOUT_S), 0);
}

static bool broker_is_up(const struct fixture *f)
{
	return f->env.broker.pid > 0;
}

static void broker_kill(struct fixture *f)
{
	assert_true(broker_is_up(f));
	harness_stop(f->env.broker.pid, SIGKILL, 5);
	f->env.broker.pid = -1;
	f->broker_kills++;
	note(f, "broker SIGKILLed (%u)", f->broker_kills);
}

static void broker_up(struct fixture *f)
{
	assert_int_equal(broker_restart(&f->env.broker), 0);
	note(f, "broker restarted");
}

static struct run_rec *run_current(struct fixture *f)
{
	return &f->runs[f->n_runs - 1];
}

/* Whether the last MQTT line of the daemon's log at path says it is
 * connected. */
static bool log_says_connected(const void *path)
{
	char *text = harness_read_file(path), *p, *last = NULL;
	bool yes;

	if (!text)
		return false;
	for (p = strstr(text, "mqtt: "); p; p = strstr(p + 1, "mqtt: "))
		last = p;
	yes = last && strncmp(last, "mqtt: connected to", 18) == 0;
	free(text);
	return yes;
}

static bool wait_connected(const char *path, double timeout_s)
{
	return harness_poll(log_says_connected, path, timeout_s, 0.02);
}

/* Freezes the broker until both daemons have noticed (no answer within the
 * keepalive), then thaws it and waits until both are connected again. */
static void broker_freeze(struct fixture *f)
{
	struct run_rec *r = run_current(f);
	size_t s_lost, c_lost, s_conn, c_conn;
	double t0, frozen;
	bool noticed;

	/* A freeze tests a live connection going silent: both must be on it. */
	if (!wait_connected(r->log, 40) || !wait_connected(f->env.collector_log, 40))
		failure_add(f, "before a freeze, a daemon was not connected within 40 s");
	s_lost = harness_file_count(r->log, "warn: mqtt:");
	c_lost = harness_file_count(f->env.collector_log, "warn: mqtt:");
	s_conn = harness_file_count(r->log, "mqtt: connected to");
	c_conn = harness_file_count(f->env.collector_log, "mqtt: connected to");
	assert_int_equal(kill(f->env.broker.pid, SIGSTOP), 0);
	t0 = harness_now_s();
	noticed = wait_count_above(r->log, "warn: mqtt:", s_lost, 6 * KEEPALIVE_S + 10) &&
		  wait_count_above(f->env.collector_log, "warn: mqtt:", c_lost, 6 * KEEPALIVE_S + 10);
	frozen = harness_now_s() - t0;
	assert_int_equal(kill(f->env.broker.pid, SIGCONT), 0);
	if (!noticed)
		failure_add(f, "broker frozen %.1f s: a daemon did not notice (keepalive %d s)", frozen,
			    KEEPALIVE_S);
	f->broker_freezes++;
	if (f->broker_freezes == 1 || frozen < f->freeze_min_s)
		f->freeze_min_s = frozen;
	if (frozen > f->freeze_max_s)
		f->freeze_max_s = frozen;
	note(f, "broker frozen %.1f s (%u)", frozen, f->broker_freezes);
	if (!wait_count_above(r->log, "mqtt: connected to", s_conn, 40) ||
	    !wait_count_above(f->env.collector_log, "mqtt: connected to", c_conn, 40))
		failure_add(f, "after a %.1f s freeze, a daemon did not reconnect within 40 s", frozen);
	note(f, "both daemons connected again");
}

static pid_t start_collector(struct fixture *f)
{
	char *argv[] = { (char *)harness_bin("rollsense-collector"), "--config", f->env.cfg, NULL };
	pid_t pid = harness_spawn(f->env.collector_log, argv);

	assert_true(pid > 0);
	return pid;
}

/* SIGKILL, then a new collector after down_s (the outage's length). */
static void collector_kill(struct fixture *f, double down_s)
{
	harness_stop(f->collector, SIGKILL, 5);
	f->collector_kills++;
	note(f, "collector SIGKILLed (%u)", f->collector_kills);
	if (down_s > 0)
		harness_sleep(down_s);
	f->collector = start_collector(f);
}

static void sensord_start(struct fixture *f)
{
	struct run_rec *r;
	char *text, *p, dir[256];

	assert_true(f->n_runs < MAX_RUNS);
	memcpy(dir, f->env.dir, sizeof(dir));
	r = &f->runs[f->n_runs++];
	snprintf(r->log, sizeof(r->log), "%s/sensord-%zu.log", dir, f->n_runs);
	{
		/* -v: the live detector's session_ended events are logged (debug),
		 * which tells when a session has closed in this run. */
		char *argv[] = { (char *)harness_bin("rollsense-sensord"), "--config", f->env.cfg, "-v", NULL };

		r->pid = harness_spawn(r->log, argv);
	}
	assert_true(r->pid > 0);
	if (!broker_is_up(f))
		f->sensord_starts_in_outage++;
	assert_true(harness_wait_file_contains(r->log, "info: run ", 15));
	text = harness_read_file(r->log);
	assert_non_null(text);
	p = strstr(text, "info: run ");
	assert_non_null(p);
	snprintf(r->run, sizeof(r->run), "%.16s", p + strlen("info: run "));
	free(text);
	note(f, "sensord run %zu (%s) started%s", f->n_runs, r->run,
	     broker_is_up(f) ? "" : " with the broker down");
}

/* Kills the current sensord right after its live detector closed the next
 * session (the quiet stretch after it leaves room for the kill), and starts
 * a new run. */
static void sensord_kill_after_next_session(struct fixture *f)
{
	struct run_rec *r = run_current(f);
	size_t n = harness_file_count(r->log, "session_ended");

	if (!wait_count_above(r->log, "session_ended", n, 60))
		fail_msg("sensord run %s: no session closed within 60 s; its log:\n%s", r->run,
			 harness_read_file(r->log));
	harness_stop(r->pid, SIGKILL, 5);
	r->killed = true;
	r->killed_in_outage = !broker_is_up(f);
	r->sessions_at_kill = harness_file_count(r->log, "session_ended");
	f->sensord_kills++;
	if (r->killed_in_outage)
		f->sensord_kills_in_outage++;
	note(f, "sensord run %s SIGKILLed after session %zu%s", r->run, r->sessions_at_kill,
	     r->killed_in_outage ? ", broker down" : "");
	sensord_start(f);
}

/* ---- the scripted faults ---- */

static void chaos_run(struct fixture *f)
{
	sensord_start(f);

	/* A collector outage of 2 s: 200 readings for a broker that keeps 10,
	 * so a hole is certain. With the broker left alone it outlives the 1 s
	 * gap timeout before sensord resends (6 s after its last ack): the
	 * detector passes it, the ack must not, and the resend that fills it
	 * later must revise the session. */
	harness_sleep(1.0);
	collector_kill(f, 2.0);
	if (!harness_wait_file_contains(f->env.collector_log, "did not arrive within", 10))
		failure_add(f, "a 2 s collector outage left no hole that outlived the gap timeout");
	/* The pass is in the database only once its batch commits (commit_s
	 * 0.2 s). A kill before that undoes it: the restarted collector meets
	 * the resend as an ordinary hole filling, and nothing is revised. */
	harness_sleep(0.5);

	/* Run 1: collector and broker killed, a freeze, sensord killed with
	 * the broker up. */
	collector_kill(f, 0);
	broker_kill(f);
	harness_sleep(0.5);
	broker_up(f);
	broker_freeze(f);
	sensord_kill_after_next_session(f);

	/* Run 2: more of the same, then sensord killed and restarted while the
	 * broker is down; the collector dies during that outage too. */
	collector_kill(f, 1.0);
	broker_kill(f);
	broker_up(f);
	broker_freeze(f);
	broker_kill(f);
	sensord_kill_after_next_session(f);
	collector_kill(f, 0.3);
	harness_sleep(1.0);	/* the outage goes on with the new run sampling */
	broker_up(f);

	/* Run 3. */
	broker_freeze(f);
	collector_kill(f, 0);
	broker_kill(f);
	broker_up(f);
	collector_kill(f, 0.5);
	broker_kill(f);
	broker_up(f);
	sensord_kill_after_next_session(f);

	/* Run 4: sensord killed during an outage again. */
	broker_kill(f);
	collector_kill(f, 0);
	broker_up(f);
	broker_freeze(f);
	broker_kill(f);
	sensord_kill_after_next_session(f);
	harness_sleep(1.0);
	broker_up(f);

	/* Run 5: and once more during an outage. */
	collector_kill(f, 0);
	broker_freeze(f);
	collector_kill(f, 0.2);
	broker_kill(f);
	sensord_kill_after_next_session(f);
	harness_sleep(0.5);
	broker_up(f);

	/* Run 6 plays to the end: the last broker and collector kills. */
	broker_kill(f);
	harness_sleep(0.5);
	broker_up(f);
	collector_kill(f, 0);
	broker_freeze(f);
	broker_kill(f);
	collector_kill(f, 0.5);
	broker_up(f);
	collector_kill(f, 0);
}

/* ---- reading back what happened ---- */

static void run_read_log(struct run_rec *r)
{
	char *text = harness_read_file(r->log), *p;
	unsigned long long n;

	assert_non_null(text);
	p = strstr(text, "scenario ended at");
	if (p && strstr(p, ": ") && sscanf(strstr(p, ": ") + 2, "%llu readings", &n) == 1) {
		r->ended = true;
		r->ended_readings = n;
	}
	free(text);
}

static void run_read_store(struct fixture *f, struct store *st, struct run_rec *r)
{
	const size_t chunk = 512;
	struct reading *buf = calloc(chunk, sizeof(*buf));
	uint64_t after = 0, expect = 1;
	int64_t run_id;
	int n;

	assert_non_null(buf);
	assert_int_equal(store_run_id(st, DEVICE, r->run, &run_id), 0);
	while ((n = store_readings_after(st, run_id, after, buf, chunk)) > 0) {
		struct row *grown = realloc(r->rows, (r->n_rows + (size_t)n) * sizeof(*r->rows));

		assert_non_null(grown);
		r->rows = grown;
		for (int i = 0; i < n; i++) {
			struct row *w = &r->rows[r->n_rows++];

			w->seq = buf[i].seq;
			w->mono = buf[i].mono;
			w->pressure_kpa = buf[i].pressure_kpa;
			w->temperature_c = buf[i].temperature_c;
			if (w->seq != expect)
				r->holes += w->seq - expect;
			expect = w->seq + 1;
		}
		after = buf[n - 1].seq;
	}
	assert_true(n >= 0);
	r->max_seq = after;
	free(buf);
	(void)f;
}

static int stored_session_add(const struct store_session *s, void *ctx)
{
	struct fixture *f = ctx;

	for (size_t i = 0; i < f->n_runs; i++) {
		struct run_rec *r = &f->runs[i];

		if (strcmp(r->run, s->run) == 0) {
			struct store_session *grown = realloc(r->stored, (r->n_stored + 1) * sizeof(*grown));

			assert_non_null(grown);
			r->stored = grown;
			r->stored[r->n_stored++] = *s;
			return 0;
		}
	}
	failure_add(f, "a stored session of run %s, which no sensord started", s->run);
	return 0;
}

/* The reading payloads the broker carried that named a fault. */
static struct seen_fault *seen_faults_read(struct fixture *f, size_t *n_out)
{
	char *text = harness_read_file(f->env.sub_out), *line, *save = NULL;
	struct seen_fault *out = NULL;
	size_t n = 0;

	if (!text) {
		*n_out = 0;
		return NULL;
	}
	for (line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		char *json = strchr(line, ' ');
		cJSON *j, *faults, *it;

		if (!json || !strstr(json, "\"faults\""))
			continue;
		j = cJSON_Parse(json + 1);
		faults = j ? cJSON_GetObjectItem(j, "faults") : NULL;
		cJSON_ArrayForEach(it, faults) {
			struct seen_fault *grown = realloc(out, (n + 1) * sizeof(*out));
			const cJSON *run = cJSON_GetObjectItem(j, "run"), *mono = cJSON_GetObjectItem(j, "mono");

			assert_non_null(grown);
			out = grown;
			if (!cJSON_IsString(run) || !cJSON_IsNumber(mono) || !cJSON_IsString(it))
				continue;
			snprintf(out[n].run, sizeof(out[n].run), "%s", run->valuestring);
			out[n].mono = mono->valuedouble;
			snprintf(out[n].sensor, sizeof(out[n].sensor), "%s", it->string);
			snprintf(out[n].what, sizeof(out[n].what), "%s", it->valuestring);
			n++;
		}
		cJSON_Delete(j);
	}
	free(text);
	*n_out = n;
	return out;
}

/* The collector's last health line's "duplicates N" (its last instance,
 * stopped with SIGTERM; the killed ones never wrote a final one). */
static long long duplicates_dropped(const struct fixture *f)
{
	char *text = harness_read_file(f->env.collector_log), *p, *last = NULL;
	long long n = -1;

	if (!text)
		return -1;
	for (p = strstr(text, "health: "); p; p = strstr(p + 1, "health: "))
		last = p;
	if (last && (p = strstr(last, "duplicates ")))
		n = strtoll(p + strlen("duplicates "), NULL, 10);
	free(text);
	return n;
}

/* ---- checks and the report ---- */

static const char *run_ending(const struct run_rec *r, char *buf, size_t len)
{
	if (r->killed)
		snprintf(buf, len, "SIGKILL after session %zu%s", r->sessions_at_kill,
			 r->killed_in_outage ? ", broker down" : "");
	else if (r->ended)
		snprintf(buf, len, "scenario end, all confirmed");
	else
		snprintf(buf, len, "?");
	return buf;
}

static void check_counts(struct fixture *f, FILE *rep, uint64_t stored_total)
{
	uint64_t gen_total = 0, rows_total = 0, missing_total = 0;
	char ending[64];

	fprintf(rep, "\nREADINGS (per sensord run; a run begins the scenario again at 0)\n");
	fprintf(rep, "  %-3s %-16s %-38s %9s %7s %7s %8s\n", "#", "RUN", "ENDED", "GENERATED", "STORED",
		"MISSING", "SESSIONS stored/script");
	for (size_t i = 0; i < f->n_runs; i++) {
		struct run_rec *r = &f->runs[i];
		uint64_t generated = r->ended ? r->ended_readings : r->max_seq;
		uint64_t missing = generated > r->n_rows ? generated - r->n_rows : 0;

		gen_total += generated;
		rows_total += r->n_rows;
		missing_total += missing;
		fprintf(rep, "  %-3zu %-16s %-38s %9llu %7zu %7llu %4zu/%zu\n", i + 1, r->run,
			run_ending(r, ending, sizeof(ending)), (unsigned long long)generated, r->n_rows,
			(unsigned long long)missing, r->n_stored, r->script.n);
		if (!r->killed && !r->ended)
			failure_add(f, "run %s neither killed nor ended", r->run);
		if (r->holes || missing)
			failure_add(f, "run %s: %llu readings missing (%llu holes below seq %llu)", r->run,
				    (unsigned long long)missing, (unsigned long long)r->holes,
				    (unsigned long long)r->max_seq);
		if (r->max_seq > generated)
			failure_add(f, "run %s: seq %llu stored, but the run made %llu", r->run,
				    (unsigned long long)r->max_seq, (unsigned long long)generated);
	}
	fprintf(rep, "  %-3s %-16s %-38s %9llu %7llu %7llu\n", "", "total", "", (unsigned long long)gen_total,
		(unsigned long long)rows_total, (unsigned long long)missing_total);
	fprintf(rep, "  readings in the database: %llu; duplicates dropped: %lld (the last collector's "
		"health line; earlier ones were SIGKILLed)\n", (unsigned long long)stored_total,
		duplicates_dropped(f));
	if (stored_total != rows_total)
		failure_add(f, "the database holds %llu readings, the runs %llu",
			    (unsigned long long)stored_total, (unsigned long long)rows_total);
}

/* Hold h of session k within a sample period of the script, on the run's
 * sampling instants or TIMING_SLACK_S either side of them. */
static bool hold_matches(const struct run_rec *r, size_t k, size_t h, double got_s)
{
	const struct script *v[] = { &r->script, &r->script_early, &r->script_late };

	for (size_t i = 0; i < 3; i++)
		if (k < v[i]->n && h < v[i]->sessions[k].n_holds &&
		    fabs(got_s - v[i]->sessions[k].holds[h].duration) <= SAMPLE_S + 0.001)
			return true;
	return false;
}

static void check_sessions(struct fixture *f, FILE *rep)
{
	fprintf(rep, "\nSESSIONS (per run: the script's sessions that closed before the run ended)\n");
	fprintf(rep, "  %-16s %-2s %-13s %-44s %-13s %-13s\n", "RUN", "#", "HOLDS", "HOLD s AND CLASS (script -> stored)",
		"HEAT s", "MAX °C");
	for (size_t i = 0; i < f->n_runs; i++) {
		struct run_rec *r = &f->runs[i];
		double last = r->n_rows ? r->rows[r->n_rows - 1].mono : 0;
		size_t n;

		/* A killed run was killed after the live detector closed
		 * sessions_at_kill sessions: that reading must be stored. */
		if (r->killed && r->script.n < r->sessions_at_kill)
			failure_add(f, "run %s closed %zu sessions live, but its stored readings (to %.1f s) "
				    "close only %zu", r->run, r->sessions_at_kill, last, r->script.n);
		if (r->n_stored != r->script.n)
			failure_add(f, "run %s: %zu sessions stored, the script says %zu", r->run,
				    r->n_stored, r->script.n);
		n = r->n_stored < r->script.n ? r->n_stored : r->script.n;
		for (size_t k = 0; k < n; k++) {
			const struct script_session *want = &r->script.sessions[k];
			const struct store_session *got = &r->stored[k];
			char holds[256] = "";
			size_t pos = 0, m = got->holds_stored < want->n_holds ? got->holds_stored : want->n_holds;

			for (size_t h = 0; h < m && pos < sizeof(holds); h++) {
				pos += (size_t)snprintf(holds + pos, sizeof(holds) - pos, "%s%.1f->%.1f %s",
							h ? ", " : "", want->holds[h].duration,
							got->holds[h].duration_s, got->holds[h].hold_class);
				if (!hold_matches(r, k, h, got->holds[h].duration_s))
					failure_add(f, "run %s session %zu hold %zu: %.2f s, the script says %.2f s",
						    r->run, k + 1, h + 1, got->holds[h].duration_s,
						    want->holds[h].duration);
				if (strcmp(got->holds[h].hold_class, want->holds[h].cls) != 0)
					failure_add(f, "run %s session %zu hold %zu: %s, the script says %s", r->run,
						    k + 1, h + 1, got->holds[h].hold_class, want->holds[h].cls);
			}
			fprintf(rep, "  %-16s %-2zu %5zu -> %-4zu %-44s %5.1f->%-6.1f %5.2f->%-6.2f\n", r->run,
				k + 1, want->n_holds, got->hold_count, holds[0] ? holds : "-", want->heat_s,
				got->heat_time_s, want->max_c, got->max_temperature_c);
			if (got->hold_count != want->n_holds || got->holds_stored != want->n_holds)
				failure_add(f, "run %s session %zu: %zu holds, the script says %zu", r->run, k + 1,
					    got->hold_count, want->n_holds);
			/* Heat: a ramp through 38 °C read in 0.0625 °C steps with
			 * 0.04 °C of noise moves each edge by a few samples. */
			if (fabs(got->heat_time_s - want->heat_s) > 0.5)
				failure_add(f, "run %s session %zu: heat %.2f s, the script says %.2f s", r->run,
					    k + 1, got->heat_time_s, want->heat_s);
			if (!(fabs(got->max_temperature_c - want->max_c) <= 0.2))
				failure_add(f, "run %s session %zu: max %.2f °C, the script says %.2f °C", r->run,
					    k + 1, got->max_temperature_c, want->max_c);
			if (got->missing_readings)
				failure_add(f, "run %s session %zu: %llu readings missing", r->run, k + 1,
					    (unsigned long long)got->missing_readings);
			if (fabs(got->duration_s - (want->last_contact - want->first_contact)) > 0.5)
				failure_add(f, "run %s session %zu: %.1f s long, the script says %.1f s", r->run,
					    k + 1, got->duration_s, want->last_contact - want->first_contact);
		}
	}
}

static double row_value(const struct row *w, const struct chip_fault *c)
{
	return strcmp(c->chip, "ball") == 0 ? w->pressure_kpa : w->temperature_c;
}

static void check_chip_faults(struct fixture *f, FILE *rep)
{
	struct seen_fault *seen;
	size_t n_seen;
	unsigned checked = 0;

	seen = seen_faults_read(f, &n_seen);
	fprintf(rep, "\nCHIP FAULTS (scenario windows each run lived through; times on the run's clock)\n");
	fprintf(rep, "  %-16s %-5s %-7s %-13s %6s %11s %10s  %s\n", "RUN", "CHIP", "KIND", "WINDOW s", "NULLS",
		"FIRST NULL", "RECOVERED", "FAULT TEXT ON THE WIRE");
	for (size_t i = 0; i < f->n_runs; i++) {
		struct run_rec *r = &f->runs[i];
		double last = r->n_rows ? r->rows[r->n_rows - 1].mono : 0;

		for (size_t k = 0; k < f->n_faults; k++) {
			const struct chip_fault *c = &f->faults[k];
			const char *model = strcmp(c->chip, "ball") == 0 ? "bmp280" : "mcp9808";
			bool stuck = strcmp(c->kind, "stuck") == 0;
			/* Null from the second sample in the window (the first,
			 * within a sample of the edge, may go either way); a stuck
			 * chip only once its raw value has repeated 20 times. */
			double null_from = c->t0 + (stuck ? STUCK_DETECT_S : 0) + SAMPLE_S;
			double first_null = NAN, recovered = NAN;
			size_t nulls = 0, wrong = 0;
			const char *text = NULL;

			if (last < c->t1 + 2 * RECOVERY_MAX_S)
				continue;
			checked++;
			for (size_t w = 0; w < r->n_rows; w++) {
				const struct row *row = &r->rows[w];
				double v = row_value(row, c);

				if (row->mono < c->t0 - 1.0 || row->mono > c->t1 + 2 * RECOVERY_MAX_S)
					continue;
				if (isnan(v)) {
					nulls++;
					if (isnan(first_null))
						first_null = row->mono;
					if (row->mono < c->t0 - 1e-6 || row->mono >= c->t1 + RECOVERY_MAX_S)
						wrong++;
				} else if (row->mono >= null_from - 1e-6 && row->mono < c->t1 - 1e-6) {
					wrong++;
				} else if (row->mono >= c->t1 - 1e-6 && isnan(recovered)) {
					recovered = row->mono - c->t1;
				}
			}
			for (size_t s = 0; s < n_seen && !text; s++)
				if (strcmp(seen[s].run, r->run) == 0 && seen[s].mono >= c->t0 - 1e-6 &&
				    seen[s].mono < c->t1 + RECOVERY_MAX_S && strncmp(seen[s].sensor, model, strlen(model)) == 0)
					text = seen[s].what;
			fprintf(rep, "  %-16s %-5s %-7s %5.1f-%-7.1f %6zu %11.1f %+9.1fs  %s\n", r->run, c->chip,
				c->kind, c->t0, c->t1, nulls, first_null, recovered, text ? text : "(not captured)");
			if (wrong)
				failure_add(f, "run %s: %s %s %.1f-%.1f: %zu readings null when they should not be or "
					    "valued when they should be null", r->run, c->chip, c->kind, c->t0, c->t1, wrong);
			if (!nulls)
				failure_add(f, "run %s: %s %s %.1f-%.1f: no null reading", r->run, c->chip, c->kind,
					    c->t0, c->t1);
			if (!(recovered <= RECOVERY_MAX_S))
				failure_add(f, "run %s: %s %s ended at %.1f s, readings came back %.2f s later",
					    r->run, c->chip, c->kind, c->t1, recovered);
			if (text && !strstr(text, stuck ? "stuck" : "NACK"))
				failure_add(f, "run %s: %s %s: fault text \"%s\"", r->run, c->chip, c->kind, text);
		}
	}
	if (checked < f->n_faults)
		failure_add(f, "only %u chip-fault windows lived through, the scenario has %zu", checked,
			    f->n_faults);
	for (size_t k = 0; k < f->n_faults; k++) {
		const struct chip_fault *c = &f->faults[k];
		const char *model = strcmp(c->chip, "ball") == 0 ? "bmp280" : "mcp9808";
		bool any = false;

		for (size_t s = 0; s < n_seen && !any; s++)
			any = seen[s].mono >= c->t0 - 1e-6 && seen[s].mono < c->t1 + RECOVERY_MAX_S &&
			      strncmp(seen[s].sensor, model, strlen(model)) == 0;
		if (!any)
			failure_add(f, "%s %s %.1f-%.1f: no reading with \"faults\" seen on the broker in any run",
				    c->chip, c->kind, c->t0, c->t1);
	}
	free(seen);
}

static void report_write(struct fixture *f)
{
	struct sim_scenario *scn;
	struct store_counts counts;
	struct store *st;
	char err[256], *text = NULL;
	size_t len = 0;
	FILE *rep = open_memstream(&text, &len);
	const char *path = harness_bin("faults-report.txt");

	assert_non_null(rep);
	scn = sim_scenario_load(SCENARIO, err, sizeof(err));
	assert_non_null(scn);
	st = store_open(f->env.db, err, sizeof(err));
	if (!st)
		fail_msg("%s", err);
	assert_int_equal(store_get_counts(st, &counts), 0);
	for (size_t i = 0; i < f->n_runs; i++) {
		run_read_log(&f->runs[i]);
		run_read_store(f, st, &f->runs[i]);
	}
	assert_int_equal(store_sessions_each(st, DEVICE, -INFINITY, INFINITY, stored_session_add, f), 0);
	store_close(st);
	for (size_t i = 0; i < f->n_runs; i++) {
		struct run_rec *r = &f->runs[i];
		double first = r->n_rows ? r->rows[0].mono : 0, last = r->n_rows ? r->rows[r->n_rows - 1].mono : 0;

		script_compute(scn, first, last, 0, &r->script);
		script_compute(scn, first, last, -TIMING_SLACK_S, &r->script_early);
		script_compute(scn, first, last, TIMING_SLACK_S, &r->script_late);
	}

	fprintf(rep, "rollsense fault suite: %s, time_scale %g, 10 Hz, keepalive %d s, idle %g s\n",
		SCENARIO, TIME_SCALE, KEEPALIVE_S, IDLE_S);
	fprintf(rep, "  broker SIGKILLed and restarted %u times; frozen (SIGSTOP/SIGCONT) %u times for "
		"%.1f-%.1f s, until both daemons noticed\n", f->broker_kills, f->broker_freezes,
		f->freeze_min_s, f->freeze_max_s);
	fprintf(rep, "  sensord SIGKILLed and restarted %u times (%u with the broker down; %u runs started "
		"with the broker down)\n", f->sensord_kills, f->sensord_kills_in_outage,
		f->sensord_starts_in_outage);
	fprintf(rep, "  collector SIGKILLed and restarted %u times; chip faults per full run: %zu\n",
		f->collector_kills, f->n_faults);
	fprintf(rep, "  broker queue limit %d messages per offline client: it dropped messages for a client "
		"%zu times;\n  collector gap timeout %d s, sensord resend %d s: holes passed by the detector "
		"%zu times,\n  sessions recomputed after late readings %zu times\n", BROKER_QUEUE_MAX,
		harness_file_count(f->env.broker.log, "are being dropped"), GAP_TIMEOUT_S, RESEND_S,
		harness_file_count(f->env.collector_log, "did not arrive within"),
		harness_file_count(f->env.collector_log, "came after their hole was passed"));
	/* The suite must have met what it is there to meet. */
	if (!harness_file_count(f->env.broker.log, "are being dropped") ||
	    !harness_file_count(f->env.collector_log, "did not arrive within") ||
	    !harness_file_count(f->env.collector_log, "came after their hole was passed"))
		failure_add(f, "the broker never overflowed, or no hole outlived the gap timeout, or no "
			    "late reading revised a session: the suite did not test the ack");
	fprintf(rep, "  a killed run is killed right after it closed a session: what it would have read\n"
		"  later was never generated; GENERATED is then its highest seq stored, else its log's count\n");
	check_counts(f, rep, counts.readings);
	if (counts.runs != f->n_runs)
		failure_add(f, "%llu runs stored, %zu sensord runs started", (unsigned long long)counts.runs,
			    f->n_runs);
	check_sessions(f, rep);
	{
		size_t script_total = 0;

		for (size_t i = 0; i < f->n_runs; i++)
			script_total += f->runs[i].script.n;
		fprintf(rep, "  sessions stored: %llu, sessions in the script: %zu\n",
			(unsigned long long)counts.sessions, script_total);
		if (counts.sessions != script_total)
			failure_add(f, "%llu sessions stored, the script has %zu",
				    (unsigned long long)counts.sessions, script_total);
	}
	check_chip_faults(f, rep);
	fprintf(rep, "\nwall time %.0f s; %u failed checks\n", harness_now_s() - f->started_at, f->n_failures);
	if (f->n_failures)
		fprintf(rep, "%s", f->failures);
	fclose(rep);
	fputs(text, stdout);
	fflush(stdout);
	if (harness_write_file(path, "%s", text) < 0)
		fprintf(stderr, "cannot write %s\n", path);
	free(text);
	sim_scenario_free(scn);
}

/* ---- the test ---- */

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));

	assert_non_null(f);
	f->started_at = harness_now_s();
	assert_int_equal(harness_env_open_dir(&f->env, "faults"), 0);
	assert_int_equal(harness_env_copy_scenario(&f->env, SCENARIO), 0);
	f->collector = -1;
	{
		char extra[64];

		snprintf(extra, sizeof(extra), "max_queued_messages %d", BROKER_QUEUE_MAX);
		assert_int_equal(broker_start(&f->env.broker, f->env.dir, 0, extra), 0);
	}
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	for (size_t i = 0; i < f->n_runs; i++) {
		if (f->runs[i].pid > 0 && harness_wait(f->runs[i].pid, 0) == -1)
			harness_stop(f->runs[i].pid, SIGKILL, 5);
		free(f->runs[i].rows);
		free(f->runs[i].stored);
	}
	if (f->collector > 0)
		harness_stop(f->collector, SIGKILL, 5);
	if (f->env.broker.pid > 0)
		kill(f->env.broker.pid, SIGCONT);
	/* A failed run keeps its files for a look, as KEEP_TMP does. */
	if (f->n_failures)
		setenv("KEEP_TMP", "1", 1);
	harness_env_close(&f->env);
	free(f->failures);
	free(f);
	return 0;
}

static void test_faults(void **state)
{
	struct fixture *f = *state;
	struct run_rec *last;
	int status;

	faults_parse(f);
	write_config(f);
	/* A witness on the broker: the reading payloads it carried, for the
	 * "faults" texts (the database keeps the nulls). */
	f->env.sub = harness_subscribe(&f->env.broker, "rollsense/" DEVICE "/reading", "faults-witness", f->env.sub_out);
	assert_true(f->env.sub > 0);
	f->collector = start_collector(f);
	assert_true(harness_wait_file_contains(f->env.collector_log, "mqtt: connected to", 15));

	chaos_run(f);

	/* The last run plays to the scenario's end and exits 0 once the
	 * collector acknowledged everything, older runs' readings included. */
	last = run_current(f);
	harness_assert_exit_ok("the last sensord run", last->log, harness_wait(last->pid, 240));
	last->pid = -1;
	status = harness_stop(f->collector, SIGTERM, 15);
	f->collector = -1;
	if (status == -1 || !WIFEXITED(status) || WEXITSTATUS(status) != 0)
		failure_add(f, "the collector did not exit 0 on SIGTERM (status %d)", status);
	harness_stop(f->env.sub, SIGTERM, 5);
	f->env.sub = 0;

	report_write(f);
	assert_true(f->broker_kills >= 10);
	assert_true(f->broker_freezes >= 5);
	assert_true(f->sensord_kills >= 5);
	assert_true(f->sensord_kills_in_outage >= 1);
	assert_true(f->collector_kills >= 10);
	if (f->n_failures)
		fail_msg("%u checks failed:\n%s", f->n_failures, f->failures);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_faults, setup, teardown),
	};

	tests_select();
	return cmocka_run_group_tests_name("faults_suite", tests, NULL, NULL);
}
