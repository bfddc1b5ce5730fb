/* Helpers for the integration tests (temporary folders are unit.h's): free
 * loopback ports, child processes started and stopped by PID, and a real
 * mosquitto with its own configuration. Every wait is bounded. Binaries
 * come from $BUILD (default "build"), set by the Makefile for the sanitizer
 * build. */
#ifndef ROLLSENSE_HARNESS_H
#define ROLLSENSE_HARNESS_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

/* A TCP port on 127.0.0.1 that nothing listened on a moment ago. */
int harness_free_port(void);
/* Writes a whole file (printf-style). 0 or -1. */
int harness_write_file(const char *path, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Reads a whole regular file (file_read_all: not one under /proc, whose
 * size fstat does not know), NUL-terminated; the caller frees. NULL if it
 * cannot. */
char *harness_read_file(const char *path);
/* "$BUILD/name" into a static buffer. */
const char *harness_bin(const char *name);
/* A test's timeout in real seconds: s, stretched (10 times, or
 * $ROLLSENSE_TIMEOUT_FACTOR) when ROLLSENSE_VALGRIND=DIR runs our binaries
 * under valgrind (see harness_spawn). harness_wait, harness_poll and the
 * harness_wait_* functions apply it themselves. */
double harness_timeout_s(double s);

/* Starts argv[0] (a path) with stdout and stderr appended to log_path and
 * stdin from /dev/null. Returns the PID, or -1. With ROLLSENSE_VALGRIND=DIR,
 * a binary under $BUILD/ runs under valgrind memcheck (same PID, signals
 * reach it; exit status 99 on an error or a leak), logging to
 * DIR/<name>.<pid>.log. */
pid_t harness_spawn(const char *log_path, char *const argv[]);
/* Waits up to timeout_s for pid to exit; returns its wait status, or -1 on
 * timeout (the process is left running). */
int harness_wait(pid_t pid, double timeout_s);
/* Sends sig, waits up to timeout_s, then SIGKILLs. Returns the wait status. */
int harness_stop(pid_t pid, int sig, double timeout_s);
/* Runs argv (harness_spawn, output appended to log_path) to its end, for at
 * most timeout_s (then it is SIGKILLed). Its exit code, or -1 if it did not
 * exit by itself. */
int harness_run(const char *log_path, char *const argv[], double timeout_s);
/* Fails the test unless status (harness_wait's or harness_stop's) is exit
 * code 0; the message names what and shows its log, log_path. Include
 * <cmocka.h> first. */
void harness_assert_exit_ok(const char *what, const char *log_path, int status);
/* A TCP connection to 127.0.0.1:port (blocking, close-on-exec): the
 * descriptor, or -1. */
int harness_tcp_connect(int port);
/* Waits until something accepts TCP connections on 127.0.0.1:port. */
bool harness_wait_port(int port, double timeout_s);
/* Waits until path contains needle. */
bool harness_wait_file_contains(const char *path, const char *needle, double timeout_s);
/* How many times needle stands in the file at path; 0 if it cannot be read. */
size_t harness_file_count(const char *path, const char *needle);
/* Waits until the file at path holds needle count times. Polls every 10 ms,
 * for a test that must act soon after a line appears. */
bool harness_wait_file_count(const char *path, const char *needle, size_t count, double timeout_s);
/* Asks done(arg) every period_s until it says true (true), or until
 * timeout_s, stretched as harness_timeout_s says, passed (false). */
bool harness_poll(bool (*done)(const void *arg), const void *arg, double timeout_s, double period_s);
/* CLOCK_MONOTONIC, in seconds. */
double harness_now_s(void);
void harness_sleep(double s);

struct broker {
	pid_t pid;
	int port;
	char dir[256];		/* config, persistence and log live here */
	char conf[300];
	char log[300];
};

/* Writes a mosquitto config (listener on 127.0.0.1:port, anonymous allowed,
 * persistence in dir, unlimited queues, "user root" so it does not drop to the
 * mosquitto user when the tests run as root) plus extra lines, and starts it.
 * port 0 picks a free one. 0, or -1 if it did not come up within 10 s. */
int broker_start(struct broker *b, const char *dir, int port, const char *extra_conf);
/* Starts it again with the same config and port (after broker_stop). */
int broker_restart(struct broker *b);
/* SIGTERM (mosquitto saves its persistence on the way out), then waits. */
void broker_stop(struct broker *b);

/* mosquitto_sub on the broker, printing "topic payload" lines into out_path,
 * QoS 1 with a persistent session (client id id), so a broker restart keeps
 * its subscription. Returns the PID. */
pid_t harness_subscribe(const struct broker *b, const char *filter, const char *id,
			const char *out_path);
/* mosquitto_pub of one message; retained if asked. 0 on success. */
int harness_publish(const struct broker *b, const char *topic, const char *payload, bool retained);

/* The number the sqlite3 command prints for query (no double quotes in it)
 * on the database db, waiting up to 5 s for a lock; -1 if it printed none. */
long harness_sqlite_count(const char *db, const char *query);
/* All that the sqlite3 command prints for query (same rules): one line a
 * row, columns split by '|'. malloc'd; NULL if sqlite3 failed. */
char *harness_sqlite_text(const char *db, const char *query);

/* ---- the integration environment ---- */

/* What an integration test runs in: a fresh folder /tmp/rollsense-<tag>-...,
 * a broker in it and, when asked, a subscriber writing "topic payload"
 * lines to sub_out. */
struct harness_env {
	char dir[256];
	char cfg[300];		/* dir/rollsense.json, as harness_write_config writes it */
	char scn[300];		/* dir/test.scn, the scenario that config plays */
	char db[300];		/* dir/collector.db, the collector's database there */
	char sensord_log[300];	/* dir/sensord.log */
	char collector_log[300];	/* dir/collector.log */
	char sub_out[300];	/* dir/sub.out */
	struct broker broker;
	pid_t sub;		/* the subscriber, 0 when there is none */
};

/* Makes the folder and sets the paths, for a test that starts the broker
 * itself (env->broker). 0, or -1 if the folder cannot be made. */
int harness_env_open_dir(struct harness_env *env, const char *tag);
/* Makes the folder and starts the broker (no extra configuration) and, with
 * sub_filter not NULL, a subscriber on it with client id "<tag>-sub".
 * 0, or -1 if any of it failed (what was started is stopped again). */
int harness_env_open(struct harness_env *env, const char *tag, const char *sub_filter);
/* Stops the subscriber and the broker and removes the folder: with KEEP_TMP
 * set in the environment it stays, and its path is printed. */
void harness_env_close(struct harness_env *env);
/* For cmocka's setup: a calloc'd fixture of size bytes whose first member
 * is a struct harness_env, opened as harness_env_open does. NULL if that
 * failed. harness_fixture_free closes the env and frees the fixture. */
void *harness_fixture_new(size_t size, const char *tag, const char *sub_filter);
void harness_fixture_free(void *fixture);
/* Starts "$BUILD/<bin> --config <env->cfg>" with its output in log.
 * The PID, or -1. */
pid_t harness_env_start(const struct harness_env *env, const char *bin, const char *log);
/* A test with the file's setup and teardown. */
#define IT_TEST(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)
/* "<dir>/<name>" into buf. */
void harness_env_path(const struct harness_env *env, const char *name, char *buf, size_t size);

/* Copies the scenario file at path (relative to the repository root, where
 * the tests run) to env->scn, which the base configuration plays. 0 or -1. */
int harness_env_copy_scenario(const struct harness_env *env, const char *path);
/* Writes env->cfg: the configuration every integration test starts from,
 * changed by overrides. The base is device "ball1" on the env's broker;
 * sensord sampling at 10 Hz with its state in dir/state, flushing every
 * 0.2 s, a BMP280 (0x76, pressure) and an MCP9808 (0x18, temperature) on
 * the simulated bus playing dir/test.scn at time scale 1 and exiting at its
 * end; the collector's database dir/collector.db, committed every 0.2 s.
 * overrides (printf-style) holds lines "dotted.key=JSON value", each
 * setting that key (made if absent), e.g. "sensord.resend_s=%g\n";
 * "key=-" removes it. 0, or -1 if a line is malformed or the file cannot be
 * written. */
int harness_write_config(const struct harness_env *env, const char *overrides, ...)
	__attribute__((format(printf, 2, 3)));
/* The same, written to path instead (a daemon with a file of its own). */
int harness_write_config_to(const struct harness_env *env, const char *path, const char *overrides, ...)
	__attribute__((format(printf, 3, 4)));

/* ---- headless Chromium and its screenshots ---- */

/* What the page showed. */
struct chromium_page {
	char *dom;		/* document.documentElement.outerHTML; the caller frees */
	char *text;		/* document.body.innerText: the text shown, without what
				 * is hidden (display: none); the caller frees */
	long scroll_width;	/* document.documentElement.scrollWidth, CSS px: wider
				 * than the window means sideways scrolling */
	char body_colors[80];	/* the body's computed background and text colours,
				 * "rgb(255, 255, 255) / rgb(27, 27, 27)" */
};

/* Loads url in Debian's chromium, headless, with a fresh profile and no
 * network but 127.0.0.1 and files, in a width x height window (CSS px; under
 * 600 it emulates a phone), and lets wait_ms real milliseconds pass after
 * its load event while its scripts run (an EventSource delivers meanwhile).
 * Then, when asked, fills page (the DOM after the scripts ran) and writes a
 * screenshot of the window to png. 0, or -1 with the reason on stderr (the
 * browser's own log is kept then). Bounded: 30 s beyond wait_ms. */
int harness_chromium_load(const char *url, int width, int height, int wait_ms, const char *png,
			  struct chromium_page *page);
/* The same with the system's colour scheme dark (prefers-color-scheme:
 * dark), as a phone in dark mode asks for it. */
int harness_chromium_load_dark(const char *url, int width, int height, int wait_ms, const char *png,
			       struct chromium_page *page);
/* A PNG file's width and height from its IHDR. 0, or -1 if path is no PNG. */
int harness_png_size(const char *path, unsigned *width, unsigned *height);
/* The share (0..1) of a PNG's pixels that differ from its top-left one:
 * 0 for a blank, one-colour picture. -1 when it cannot be decoded (only the
 * 8-bit RGB and RGBA, non-interlaced kind that Chromium writes can). */
double harness_png_ink(const char *path);

/* ---- HTTP (the web side, `rollsense-collector serve`) ---- */

struct http_reply {
	int status;		/* the status line's code */
	char *headers;		/* the status line and "Name: value\r\n" lines */
	char *body;		/* NUL-terminated (inside the same allocation as headers) */
	size_t body_len;	/* after undoing chunked transfer coding */
};

/* One HTTP/1.1 request to 127.0.0.1:port with "Connection: close" and a
 * Content-Length (0 without a body); "Host: 127.0.0.1:PORT" unless headers
 * (whole "Name: value\r\n" lines, or NULL) give a Host. Reads the answer
 * until the server closes, waiting at most timeout_s (stretched as
 * harness_timeout_s says) for each piece. 0 with out filled (free it with
 * harness_http_reply_free), or -1: no connection or no answer. */
int harness_http_request(int port, const char *method, const char *path, const char *headers,
			 const char *body, struct http_reply *out, double timeout_s);
/* The value of header name (any case) in r: copied into buf (len bytes)
 * and returned, or, with buf NULL, a pointer into r->headers up to "\r\n".
 * NULL when r has no such header. */
const char *harness_http_header(const struct http_reply *r, const char *name, char *buf,
				size_t len);
void harness_http_reply_free(struct http_reply *r);
/* recv() on fd, waiting at most timeout_s (stretched) for something: the
 * bytes read, 0 when the peer closed, -1 on timeout or error. */
ssize_t harness_recv_some(int fd, char *buf, size_t len, double timeout_s);

#endif
