/* Integration: the real `rollsense-collector serve` on a free loopback port,
 * over a database the real collector wrote from the demo session (played by
 * the real sensord at 40 times its speed) and a real mosquitto: each page
 * and API answer, the refusals with their messages, the Host rule (with
 * web.hosts), max_clients' 503, a slow client timed out, /events carrying a
 * reading published with mosquitto_pub, event clients that fall behind
 * closed (one that never reads again too), a device's zone in its frames,
 * the tare and zone commands' guards and their MQTT messages, the weeks and
 * advice API, and that serve never writes the database. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "select.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cJSON.h>

#include "harness.h"

#define SCENARIO "config/scenarios/demo.scn"
#define TIMEOUT_S 10.0

/* One environment for every test: the collector's run is the slow part. */
static struct harness_env env;
static char serve_cfg[300], serve_log[300];
static int port;
static long session_id;
static pid_t serve_pid;		/* the serve running, 0: none */

static int group_setup(void **state)
{
	pid_t sensord, collector;

	(void)state;
	if (harness_env_open(&env, "it-web", "rollsense/+/command") < 0 ||
	    harness_env_copy_scenario(&env, SCENARIO) < 0 ||
	    harness_write_config(&env, "sensord.simulation.time_scale=40\n") < 0)
		return -1;
	harness_env_path(&env, "serve.json", serve_cfg, sizeof(serve_cfg));
	harness_env_path(&env, "serve.log", serve_log, sizeof(serve_log));
	collector = harness_env_start(&env, "rollsense-collector", env.collector_log);
	if (collector < 0 || !harness_wait_file_contains(env.collector_log, "connected", 10))
		return -1;
	sensord = harness_env_start(&env, "rollsense-sensord", env.sensord_log);
	if (sensord < 0 || harness_wait(sensord, 60) != 0 ||
	    harness_stop(collector, SIGTERM, 10) != 0)
		return -1;
	session_id = harness_sqlite_count(env.db, "SELECT min(id) FROM sessions");
	port = harness_free_port();
	return session_id > 0 ? 0 : -1;
}

static int group_teardown(void **state)
{
	(void)state;
	harness_env_close(&env);
	return 0;
}

/* Starts serve with the base configuration, web.listen on host:port and
 * the extra lines ("key=JSON\n"); waits until it listens. */
static pid_t serve_start_on(const char *host, const char *extra)
{
	char *argv[] = { (char *)harness_bin("rollsense-collector"), "--config", serve_cfg, "serve",
			 NULL };
	char serving[64];
	pid_t pid;

	assert_int_equal(harness_write_config_to(&env, serve_cfg, "web.listen=\"%s:%d\"\n%s",
						 host, port, extra), 0);
	remove(serve_log);
	pid = harness_spawn(serve_log, argv);
	assert_true(pid > 0);
	serve_pid = pid;
	snprintf(serving, sizeof(serving), "web: serving http://%s:", host);
	assert_true(harness_wait_file_contains(serve_log, serving, 10));
	assert_true(harness_wait_port(port, 10));
	return pid;
}

static pid_t serve_start(const char *extra)
{
	return serve_start_on("127.0.0.1", extra);
}

static void serve_stop(pid_t pid)
{
	serve_pid = 0;
	harness_assert_exit_ok("serve", serve_log, harness_stop(pid, SIGTERM, 10));
}

/* A test that failed half-way leaves its serve running: stopped here, so
 * the next one can listen on the port. */
static int serve_teardown(void **state)
{
	(void)state;
	if (serve_pid > 0)
		harness_stop(serve_pid, SIGKILL, 5);
	serve_pid = 0;
	return 0;
}

/* A request with its answer in r; fails the test when none came. */
static void request(const char *method, const char *path, const char *headers, const char *body,
		    struct http_reply *r)
{
	if (harness_http_request(port, method, path, headers, body, r, TIMEOUT_S) < 0)
		fail_msg("%s %s: no answer", method, path);
}

/* GET path answers status with content type type, and its body holds needle. */
static void expect_get(const char *path, int status, const char *type, const char *needle)
{
	struct http_reply r;
	char value[128];

	request("GET", path, NULL, NULL, &r);
	if (r.status != status || !strstr(r.body, needle))
		fail_msg("GET %s: %d, expected %d with \"%s\" in:\n%s", path, r.status, status,
			 needle, r.body);
	assert_non_null(harness_http_header(&r, "Content-Type", value, sizeof(value)));
	assert_string_equal(value, type);
	harness_http_reply_free(&r);
}

static void test_pages_and_api(void **state)
{
	pid_t pid = serve_start("");
	char path[64], value[256];
	struct http_reply r;
	cJSON *json;

	(void)state;
	expect_get("/", 200, "text/html; charset=utf-8", "<title>rollsense: live</title>");
	expect_get("/healthz", 200, "text/plain; charset=utf-8", "ok\n");
	expect_get("/sessions", 200, "text/html; charset=utf-8", "ball1");
	snprintf(path, sizeof(path), "/sessions/%ld", session_id);
	expect_get(path, 200, "text/html; charset=utf-8", "<svg");
	expect_get("/history", 200, "text/html; charset=utf-8", "ball1");
	expect_get("/sessions?device=ball1&since=2000-01-01", 200, "text/html; charset=utf-8", "ball1");
	expect_get("/api/devices", 200, "application/json; charset=utf-8", "\"ball1\"");
	expect_get("/api/sessions?device=ball1", 200, "application/json; charset=utf-8", "\"ball1\"");
	/* The demo session has no zone: its week's row is the one without;
	 * one session gives no advice. */
	expect_get("/api/devices/ball1/weeks", 200, "application/json; charset=utf-8",
		   "\"zone\":null,\"label\":null,\"days\":1,\"holds\":4,\"short\":1,"
		   "\"effective\":2,\"long\":1,");
	expect_get("/api/devices/ball1/advice", 200, "application/json; charset=utf-8",
		   "\"problem\":false,\"zones\":[],\"see_professional\":[],\"over_treatment\":[]");
	expect_get("/api/devices/nobody/advice", 404, "application/json; charset=utf-8",
		   "{\"error\":\"no device \\\"nobody\\\"");
	expect_get("/api/devices/nobody/weeks", 404, "application/json; charset=utf-8",
		   "{\"error\":\"no device \\\"nobody\\\"");
	expect_get("/history?device=ball1", 200, "text/html; charset=utf-8",
		   "<h2>Per zone and week</h2>\n<p class=\"muted\">No zone chosen in that period.</p>");

	/* One session's JSON with the demo's four holds (demo.scn: 25 s
	 * effective, 7 s short, 40 s effective, 75 s long; the 3 s press does
	 * not count). */
	snprintf(path, sizeof(path), "/api/sessions/%ld", session_id);
	request("GET", path, NULL, NULL, &r);
	assert_int_equal(r.status, 200);
	json = cJSON_Parse(r.body);
	assert_non_null(json);
	assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItem(json, "holds")), 4);
	cJSON_Delete(json);
	harness_http_reply_free(&r);
	snprintf(path, sizeof(path), "/api/sessions/%ld?raw=1", session_id);
	expect_get(path, 200, "application/json; charset=utf-8", "\"holds\"");

	/* Every answer carries the same guards. */
	request("HEAD", "/sessions", NULL, NULL, &r);
	assert_int_equal(r.status, 200);
	assert_int_equal(r.body_len, 0);
	assert_string_equal(harness_http_header(&r, "Cache-Control", value, sizeof(value)), "no-store");
	assert_string_equal(harness_http_header(&r, "X-Content-Type-Options", value, sizeof(value)),
			    "nosniff");
	assert_string_equal(harness_http_header(&r, "Referrer-Policy", value, sizeof(value)),
			    "no-referrer");
	assert_string_equal(harness_http_header(&r, "Content-Security-Policy", value, sizeof(value)),
			    "default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'; "
			    "img-src 'self' data:; connect-src 'self'; base-uri 'none'; "
			    "form-action 'self'; frame-ancestors 'none'");
	harness_http_reply_free(&r);
	serve_stop(pid);
}

static void expect_refusal(const char *method, const char *path, const char *headers, int status,
			   const char *body)
{
	struct http_reply r;

	request(method, path, headers, NULL, &r);
	if (r.status != status || strcmp(r.body, body) != 0)
		fail_msg("%s %s: %d \"%s\", expected %d \"%s\"", method, path, r.status, r.body,
			 status, body);
	harness_http_reply_free(&r);
}

static void test_refusals(void **state)
{
	pid_t pid = serve_start("");
	char path[20100], header[20100], value[64];
	struct http_reply r;

	(void)state;
	expect_refusal("GET", "/index.html", NULL, 404, "no page \"/index.html\"\n");
	expect_refusal("GET", "/sessions/abc", NULL, 404,
		       "no session \"abc\" (ids are numbers 1..9007199254740992)\n");
	expect_refusal("GET", "/%2e%2e/etc/passwd", NULL, 400, "the path contains \"..\"\n");
	expect_refusal("GET", "/sessions%00", NULL, 400, "the path contains an encoded NUL (%00)\n");
	expect_refusal("GET", "/sessions?since=2026-13-01", NULL, 400,
		       "since: \"2026-13-01\" is not a date (YYYY-MM-DD, \"YYYY-MM-DD HH:MM\" or "
		       "Unix seconds)\n");
	expect_refusal("GET", "/api/sessions?devise=ball1", NULL, 400,
		       "{\"error\":\"unknown argument \\\"devise\\\" (known: device, since, until)\"}\n");
	expect_refusal("DELETE", "/sessions", NULL, 405,
		       "method \"DELETE\" not allowed here (GET or HEAD)\n");
	expect_refusal("PUT", "/nowhere", NULL, 404, "no page \"/nowhere\"\n");

	request("POST", "/history", NULL, "x", &r);
	assert_int_equal(r.status, 405);
	assert_string_equal(r.body, "POST not allowed here (GET or HEAD)\n");
	assert_string_equal(harness_http_header(&r, "Allow", value, sizeof(value)), "GET, HEAD");
	harness_http_reply_free(&r);

	/* Long: the router's limit, then MHD's for the request line and headers. */
	memset(path, 'a', 300);
	path[0] = '/';
	path[300] = '\0';
	expect_refusal("GET", path, NULL, 414, "path longer than 256 bytes\n");
	memset(path, 'a', 20000);
	path[20000] = '\0';
	path[0] = '/';
	request("GET", path, NULL, NULL, &r);
	assert_int_equal(r.status, 414);
	harness_http_reply_free(&r);
	snprintf(header, sizeof(header), "X-Filler: %.*s\r\n", 20000, path + 1);
	request("GET", "/", header, NULL, &r);
	assert_int_equal(r.status, 431);
	harness_http_reply_free(&r);

	request("GET", "/sessions/999999", NULL, NULL, &r);
	assert_int_equal(r.status, 404);
	harness_http_reply_free(&r);

	/* And it is still there. */
	expect_get("/healthz", 200, "text/plain; charset=utf-8", "ok\n");
	serve_stop(pid);
}

/* Sends the request (printf-style) on a new connection and reads until the
 * server closes it, waiting at most TIMEOUT_S for each piece; what came is
 * in buf (len bytes, NUL-terminated). Fails the test when the server
 * neither answered nor closed. */
static void exchange_raw(char *buf, size_t len, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static void exchange_raw(char *buf, size_t len, const char *fmt, ...)
{
	char text[1024];
	int fd = harness_tcp_connect(port);
	size_t got = 0;
	ssize_t n = -1;
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	assert_true(fd >= 0);
	assert_int_equal(send(fd, text, strlen(text), MSG_NOSIGNAL), (ssize_t)strlen(text));
	while (got + 1 < len && (n = harness_recv_some(fd, buf + got, len - got - 1, TIMEOUT_S)) > 0)
		got += (size_t)n;
	buf[got] = '\0';
	close(fd);
	if (n != 0)
		fail_msg("no end of the answer to:\n%.200s\ngot:\n%s", text, buf);
}

/* answer starts with status ("HTTP/1.1 413 ") and its body is body. */
static void expect_answer(const char *answer, const char *status, const char *body)
{
	const char *head_end = strstr(answer, "\r\n\r\n");

	if (strncmp(answer, status, strlen(status)) != 0 || !head_end ||
	    strcmp(head_end + 4, body) != 0)
		fail_msg("expected %s with \"%s\", got:\n%s", status, body, answer);
}

/* Bodies are not read beyond what a route takes: a Content-Length over
 * 256 bytes gets its 413 before any of the body came, and a body for a
 * route that takes none its answer unread; each answer closes the
 * connection. A chunked upload is closed on the chunk that passes 256
 * bytes (MHD takes no answer while it hands over a body). */
static void test_body_limits(void **state)
{
	static const char command[] = "POST /api/devices/ball1/command HTTP/1.1\r\n"
		"Host: 127.0.0.1:%d\r\nOrigin: http://127.0.0.1:%d\r\n";
	pid_t pid = serve_start("web.commands=true\n");
	char answer[4096], text[512];

	(void)state;
	snprintf(text, sizeof(text), command, port, port);
	exchange_raw(answer, sizeof(answer), "%sContent-Length: 100000000\r\n\r\n", text);
	expect_answer(answer, "HTTP/1.1 413 ",
		      "{\"error\":\"the request body is longer than 256 bytes\"}\n");
	exchange_raw(answer, sizeof(answer), "%sTransfer-Encoding: chunked\r\n\r\n12c\r\n%0300d\r\n",
		     text, 0);
	assert_string_equal(answer, "");

	exchange_raw(answer, sizeof(answer), "POST /history HTTP/1.1\r\nHost: 127.0.0.1:%d\r\n"
		     "Content-Length: 100\r\n\r\n", port);
	expect_answer(answer, "HTTP/1.1 405 ", "POST not allowed here (GET or HEAD)\n");
	exchange_raw(answer, sizeof(answer), "GET /healthz HTTP/1.1\r\nHost: 127.0.0.1:%d\r\n"
		     "Content-Length: 5\r\n\r\nhello", port);
	expect_answer(answer, "HTTP/1.1 200 ", "ok\n");

	/* None went out, and serve is still there. */
	expect_get("/healthz", 200, "text/plain; charset=utf-8", "ok\n");
	assert_int_equal(harness_file_count(env.sub_out, "rollsense/ball1/command"), 0);
	serve_stop(pid);
}

/* A server listening on loopback only answers nothing to a page of another
 * name (DNS rebinding: evil.example made to resolve to 127.0.0.1 would read
 * every page); one listening on every address stays open to reads, as the
 * LAN it serves needs no login. */
static void test_host_rebinding(void **state)
{
	static const char refused[] = " is not a name of this machine (add it to web.hosts)\n";
	static const char *const ours[] = { "Host: [::1]:%d\r\n", "Host: [::1]\r\n",
					    "Host: localhost.\r\n", "Host: LOCALHOST:%d\r\n",
					    "Host: 127.0.0.1.\r\n", "Host: pi.lan\r\n",
					    "Host: PI.Lan.:%d\r\n", "Host: pi.fritz.box:%d\r\n" };
	static const char *const foreign[] = { "[evil]x", "[::1]x", "[::1]:80x", "[evil]",
					       "pi.lan.evil.example", "localhost..", "pi.lan:x" };
	char host[64], want[128];
	pid_t pid = serve_start("web.hosts=[\"pi.lan\",\"pi.fritz.box.\"]\n");

	(void)state;
	expect_refusal("GET", "/", "Host: evil.example\r\n", 403,
		       "Host \"evil.example\" is not a name of this machine (add it to web.hosts)\n");
	expect_refusal("GET", "/api/devices", "Host: evil.example:80\r\n", 403,
		       "{\"error\":\"Host \\\"evil.example:80\\\" is not a name of this machine (add it "
		       "to web.hosts)\"}\n");
	for (size_t i = 0; i < sizeof(foreign) / sizeof(foreign[0]); i++) {
		snprintf(host, sizeof(host), "Host: %s\r\n", foreign[i]);
		snprintf(want, sizeof(want), "Host \"%s\"%s", foreign[i], refused);
		expect_refusal("GET", "/healthz", host, 403, want);
	}
	for (size_t i = 0; i < sizeof(ours) / sizeof(ours[0]); i++) {
		snprintf(host, sizeof(host), ours[i], port);
		expect_refusal("GET", "/healthz", host, 200, "ok\n");
	}
	serve_stop(pid);

	pid = serve_start_on("0.0.0.0", "");
	expect_refusal("GET", "/healthz", "Host: evil.example\r\n", 200, "ok\n");
	serve_stop(pid);
}

/* max_clients connections held open: the next one gets a 503 that says so;
 * once they close, requests are served again. */
static void test_busy(void **state)
{
	pid_t pid = serve_start("web.max_clients=2\n");
	int held[2];

	(void)state;
	for (int i = 0; i < 2; i++) {
		held[i] = harness_tcp_connect(port);
		assert_true(held[i] >= 0);
	}
	expect_refusal("GET", "/healthz", NULL, 503, "busy: 2 clients\n");
	expect_get("/api/devices", 503, "application/json; charset=utf-8",
		   "{\"error\":\"busy: 2 clients\"}\n");
	for (int i = 0; i < 2; i++)
		close(held[i]);
	for (int i = 0; i < 100; i++) {
		struct http_reply r;

		request("GET", "/healthz", NULL, NULL, &r);
		harness_http_reply_free(&r);
		if (r.status == 200)
			break;
		harness_sleep(0.05);
	}
	expect_get("/healthz", 200, "text/plain; charset=utf-8", "ok\n");
	serve_stop(pid);
}

/* Half a request line and then nothing: closed after web.timeout_s (1 s),
 * well before the test's bound. */
static void test_slow_client(void **state)
{
	pid_t pid = serve_start("web.timeout_s=1\n");
	int fd = harness_tcp_connect(port);
	char buf[256];

	(void)state;
	assert_true(fd >= 0);
	assert_int_equal(send(fd, "GET /heal", 9, MSG_NOSIGNAL), 9);
	assert_int_equal(harness_recv_some(fd, buf, sizeof(buf), TIMEOUT_S), 0);
	close(fd);
	expect_get("/healthz", 200, "text/plain; charset=utf-8", "ok\n");
	serve_stop(pid);
}

/* Reads from fd (an event stream) until needle came, or TIMEOUT_S. */
static bool stream_until(int fd, char *buf, size_t len, size_t *got, const char *needle)
{
	while (!strstr(buf, needle)) {
		ssize_t n;

		if (*got + 1 >= len)
			return false;
		n = harness_recv_some(fd, buf + *got, len - *got - 1, TIMEOUT_S);
		if (n <= 0)
			return false;
		*got += (size_t)n;
		buf[*got] = '\0';
	}
	return true;
}

static void test_events(void **state)
{
	static const char get[] = "GET /events HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n";
	pid_t pid = serve_start("");
	char buf[16384] = "", value[64];
	struct http_reply r;
	size_t got = 0;
	int fd;

	(void)state;
	assert_true(harness_wait_file_contains(serve_log, "mqtt: connected", 10));
	fd = harness_tcp_connect(port);
	assert_true(fd >= 0);
	assert_int_equal(send(fd, get, sizeof(get) - 1, MSG_NOSIGNAL), (ssize_t)(sizeof(get) - 1));
	assert_true(stream_until(fd, buf, sizeof(buf), &got, "retry: 2000\n\n"));
	assert_non_null(strstr(buf, "HTTP/1.1 200 OK\r\n"));
	assert_non_null(strstr(buf, "Content-Type: text/event-stream; charset=utf-8\r\n"));
	assert_int_equal(harness_publish(&env.broker, "rollsense/ball9/reading",
		"{\"run\":\"0badcafe\",\"seq\":1,\"mono\":0.5,\"ts\":1763910000.5,"
		"\"pressure_kpa\":12.5,\"temperature_c\":30.5}", false), 0);
	if (!stream_until(fd, buf, sizeof(buf), &got, "event: device\ndata: {\"device\":\"ball9\""))
		fail_msg("no device frame for ball9 in:\n%s", buf);
	assert_non_null(strstr(buf, "\"pressure_kpa\":12.5"));
	/* Its zone (not retained here: later tests count the devices serve
	 * knows) comes with the config's label, not the topic's. */
	assert_int_equal(harness_publish(&env.broker, "rollsense/ball9/zone",
		"{\"zone\":\"calf_left\",\"label\":\"Calf\",\"position\":12,\"of\":15}", false),
		0);
	if (!stream_until(fd, buf, sizeof(buf), &got,
			  "\"zone\":\"calf_left\",\"zone_label\":\"Left calf\""))
		fail_msg("no zone in a frame for ball9 in:\n%s", buf);
	close(fd);

	/* HEAD: the stream's headers, no stream. */
	request("HEAD", "/events", NULL, NULL, &r);
	assert_int_equal(r.status, 200);
	assert_string_equal(harness_http_header(&r, "Content-Type", value, sizeof(value)),
			    "text/event-stream; charset=utf-8");
	assert_int_equal(r.body_len, 0);
	harness_http_reply_free(&r);
	serve_stop(pid);
}

/* Publishes readings of ball7 in run (a run of its own for each call:
 * serve passes on no reading it has seen) through one mosquitto_pub, in
 * batches of batch readings 10 ms apart, until serve says an event client
 * fell behind; fails the test when 60,000 readings (some 12 MB of frames,
 * more than any kernel buffers) did not make it. Small batches let serve
 * write all it can between them, so that the client's socket is full
 * before its queue is. */
static void flood_until_behind(const char *run, unsigned batch)
{
	char cmd[300];
	FILE *pub;

	snprintf(cmd, sizeof(cmd), "mosquitto_pub -h 127.0.0.1 -p %d -t rollsense/ball7/reading -l",
		 env.broker.port);
	pub = popen(cmd, "w");
	assert_non_null(pub);
	for (unsigned seq = 1; seq <= 60000; seq++) {
		fprintf(pub, "{\"run\":\"%s\",\"seq\":%u,\"mono\":%.1f,\"ts\":%.1f,"
			"\"pressure_kpa\":%u.5,\"temperature_c\":30.5}\n", run, seq, seq * 0.1,
			1763910000.0 + seq * 0.1, seq % 40);
		if (seq % batch == 0) {
			fflush(pub);
			harness_sleep(0.01);
			if (harness_file_count(serve_log, "web: an event client fell") > 0)
				break;
		}
	}
	assert_int_equal(pclose(pub), 0);
	if (!harness_wait_file_contains(serve_log, "web: an event client fell", 30))
		fail_msg("serve did not say an event client fell behind:\n%s",
			 harness_read_file(serve_log));
}

/* An /events connection whose receive buffer is small (4 KB), so that it
 * fills soon when nothing reads it; its headers are read. Tried again while
 * serve still counts harness_wait_port's probe (web.max_clients=1). */
static int events_connect_small(void)
{
	static const char get[] = "GET /events HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n";
	int small = 4096, fd = -1;

	assert_true(harness_wait_file_contains(serve_log, "mqtt: connected", 10));
	for (int i = 0; i < 100; i++) {
		char buf[4096] = "";
		size_t got = 0;

		fd = harness_tcp_connect(port);
		assert_true(fd >= 0);
		assert_int_equal(setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &small, sizeof(small)), 0);
		assert_int_equal(send(fd, get, sizeof(get) - 1, MSG_NOSIGNAL),
				 (ssize_t)(sizeof(get) - 1));
		assert_true(stream_until(fd, buf, sizeof(buf), &got, "\r\n\r\n"));
		if (strncmp(buf, "HTTP/1.1 200 OK\r\n", 17) == 0)
			return fd;
		close(fd);
		harness_sleep(0.05);
	}
	fail_msg("/events stayed busy");
	return -1;
}

/* An event client that stops reading is closed once more than 64 KB wait
 * for it, and counted; serve goes on. */
static void test_events_slow_client_closed(void **state)
{
	char buf[65536];
	pid_t pid = serve_start("");
	int fd = events_connect_small();
	ssize_t n;

	(void)state;
	flood_until_behind("0badcafe", 20000);
	/* What was sent before arrives, then the end of the stream. */
	while ((n = harness_recv_some(fd, buf, sizeof(buf), TIMEOUT_S)) > 0)
		;
	assert_int_equal(n, 0);
	close(fd);
	expect_get("/healthz", 200, "text/plain; charset=utf-8", "ok\n");
	serve_stop(pid);
	assert_true(harness_wait_file_contains(serve_log, "event clients 0, dropped slow 1;", 1));
}

/* A client that fell behind and never reads again holds a full socket, to
 * which nothing can be written: web.timeout_s (1 s here) closes it all the
 * same, and its place (the only one, web.max_clients=1) is free again. */
static void test_events_stalled_client_timed_out(void **state)
{
	pid_t pid = serve_start("web.max_clients=1\nweb.timeout_s=1\n");
	int fd = events_connect_small();

	(void)state;
	flood_until_behind("0badcaff", 20);
	assert_true(harness_wait_file_contains(serve_log,
		"web: an event client that fell behind is closed", 5));
	expect_get("/healthz", 200, "text/plain; charset=utf-8", "ok\n");
	close(fd);
	serve_stop(pid);
	assert_true(harness_wait_file_contains(serve_log, "event clients 0, dropped slow 1;", 1));
}

/* 64 devices (ball1, whose status the demo run left retained, and 63 more)
 * whose faults take six bytes a character in JSON: the first frames of a
 * page that connects afterwards pass 64 KB (the queue's bound for a client
 * falling behind), and still all of them come. */
static void test_events_many_devices(void **state)
{
	static const char get[] = "GET /events HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n";
	char topic[128], payload[1400], last[128], *buf;
	size_t got = 0, frames = 0, len = 512 * 1024;
	pid_t pid = serve_start("");
	int fd, w;

	(void)state;
	assert_true(harness_wait_file_contains(serve_log, "mqtt: connected", 10));
	for (int i = 0; i < 63; i++) {
		snprintf(topic, sizeof(topic), "rollsense/%060d%02d/reading", 0, i);
		w = snprintf(payload, sizeof(payload), "{\"run\":\"0badcafe\",\"seq\":1,\"mono\":0.5,"
			     "\"ts\":1763910000.5,\"pressure_kpa\":12.5,\"temperature_c\":30.5,"
			     "\"faults\":{\"");
		for (int k = 0; k < 60; k++)
			w += snprintf(payload + w, sizeof(payload) - (size_t)w, "\\u0001");
		w += snprintf(payload + w, sizeof(payload) - (size_t)w, "\":\"");
		for (int k = 0; k < 95; k++)
			w += snprintf(payload + w, sizeof(payload) - (size_t)w, "\\u0002");
		snprintf(payload + w, sizeof(payload) - (size_t)w, "\"}}");
		assert_int_equal(harness_publish(&env.broker, topic, payload, false), 0);
	}
	snprintf(last, sizeof(last), "event: device\ndata: {\"device\":\"%060d62\"", 0);
	buf = calloc(1, len);
	assert_non_null(buf);
	/* serve took them all once a page sees the last one published, in its
	 * first frames or as a change after them (however slow the run). */
	fd = harness_tcp_connect(port);
	assert_true(fd >= 0);
	assert_int_equal(send(fd, get, sizeof(get) - 1, MSG_NOSIGNAL), (ssize_t)(sizeof(get) - 1));
	if (!stream_until(fd, buf, len, &got, last))
		fail_msg("serve did not pass on the 63rd device; %zu bytes came", got);
	close(fd);
	memset(buf, 0, len);
	got = 0;

	/* Now a page's first frames hold every device. */
	fd = harness_tcp_connect(port);
	assert_true(fd >= 0);
	assert_int_equal(send(fd, get, sizeof(get) - 1, MSG_NOSIGNAL), (ssize_t)(sizeof(get) - 1));
	if (!stream_until(fd, buf, len, &got, last))
		fail_msg("the 63rd device's frame did not come; %zu bytes came, ending:\n%s", got,
			 got > 3000 ? buf + got - 3000 : buf);
	close(fd);
	assert_non_null(strstr(buf, "HTTP/1.1 200 OK\r\n"));
	for (const char *p = buf; (p = strstr(p, "event: device\n")) != NULL; p++)
		frames++;
	assert_int_equal(frames, 64);
	assert_non_null(strstr(buf, "data: {\"device\":\"ball1\""));
	assert_true(got > 64 * 1024);
	free(buf);
	serve_stop(pid);
	assert_true(harness_wait_file_contains(serve_log, "dropped slow 0;", 1));
}

/* POSTs body to ball1's command: a 202 saying what was sent to ball1, and
 * the broker's subscriber then sees line. */
static void command_sent(const char *headers, const char *body, const char *what,
			 const char *line)
{
	struct http_reply r;
	char want[128];

	request("POST", "/api/devices/ball1/command", headers, body, &r);
	snprintf(want, sizeof(want), "{\"sent\":\"%s sent to ball1\"}\n", what);
	if (r.status != 202 || strcmp(r.body, want) != 0)
		fail_msg("%s: %d %s, expected 202 %s", body, r.status, r.body, want);
	harness_http_reply_free(&r);
	assert_true(harness_wait_file_contains(env.sub_out, line, 10));
}

static void test_commands(void **state)
{
	char origin[96], by_name[128], path[] = "/api/devices/ball1/command";
	struct http_reply r;
	pid_t pid;

	(void)state;
	snprintf(origin, sizeof(origin), "Origin: http://127.0.0.1:%d\r\n", port);
	pid = serve_start("");
	expect_refusal("POST", path, origin, 403, "{\"error\":\"commands are off (web.commands)\"}\n");
	request("POST", path, origin, "{\"zone\":\"calf_left\"}", &r);
	assert_int_equal(r.status, 403);
	assert_string_equal(r.body, "{\"error\":\"commands are off (web.commands)\"}\n");
	harness_http_reply_free(&r);
	serve_stop(pid);

	pid = serve_start("web.commands=true\n");
	assert_true(harness_wait_file_contains(serve_log, "mqtt: connected", 10));
	request("POST", path, "Origin: http://evil.example\r\n", "tare", &r);
	assert_int_equal(r.status, 403);
	assert_string_equal(r.body, "{\"error\":\"cross-origin request refused\"}\n");
	harness_http_reply_free(&r);
	/* DNS rebinding: a page of evil.example, made to resolve to this
	 * machine, is same-origin to the browser; its Host gives it away. */
	request("POST", path, "Host: evil.example\r\nOrigin: http://evil.example\r\n", "tare", &r);
	assert_int_equal(r.status, 403);
	assert_string_equal(r.body, "{\"error\":\"Host \\\"evil.example\\\" is not a name of this "
			    "machine (add it to web.hosts)\"}\n");
	harness_http_reply_free(&r);
	request("POST", path, NULL, "tare", &r);	/* neither Origin nor Referer */
	assert_int_equal(r.status, 403);
	harness_http_reply_free(&r);
	request("POST", path, origin, "reboot", &r);
	assert_int_equal(r.status, 400);
	assert_string_equal(r.body, "{\"error\":\"command refused: neither \\\"tare\\\" nor JSON "
			    "(send \\\"tare\\\", {\\\"command\\\":\\\"tare\\\"} or "
			    "{\\\"zone\\\":\\\"NAME\\\"})\"}\n");
	harness_http_reply_free(&r);
	/* A zone the configuration lacks (the default 15 have no knee):
	 * refused as sensord would refuse it (command_parse). */
	request("POST", path, origin, "{\"zone\":\"knee\"}", &r);
	assert_int_equal(r.status, 400);
	assert_string_equal(r.body, "{\"error\":\"command refused: \\\"zone\\\": knee is not in "
			    "the configuration's zones (send \\\"tare\\\", {\\\"command\\\":"
			    "\\\"tare\\\"} or {\\\"zone\\\":\\\"NAME\\\"})\"}\n");
	harness_http_reply_free(&r);
	assert_int_equal(harness_file_count(env.sub_out, "rollsense/ball1/command"), 0);
	/* A zone of the default list goes out as JSON (spaces around the
	 * body aside); "none" clears it. */
	command_sent(origin, " {\"zone\": \"calf_left\"}\r\n", "zone calf_left",
		     "rollsense/ball1/command {\"zone\":\"calf_left\"}\n");
	command_sent(origin, "{\"zone\":null}", "zone none",
		     "rollsense/ball1/command {\"zone\":\"none\"}\n");
	request("POST", path, "Origin: http://evil.example\r\n", "{\"zone\":\"neck\"}", &r);
	assert_int_equal(r.status, 403);
	harness_http_reply_free(&r);
	assert_int_equal(harness_file_count(env.sub_out, "rollsense/ball1/command {\"zone\":\"neck\"}"),
			 0);

	/* By the name the machine is known by: "localhost" here. */
	snprintf(by_name, sizeof(by_name), "Host: localhost:%d\r\nOrigin: http://localhost:%d\r\n",
		 port, port);
	request("POST", path, by_name, "tare", &r);
	assert_int_equal(r.status, 202);
	harness_http_reply_free(&r);
	assert_true(harness_wait_file_contains(env.sub_out, "rollsense/ball1/command tare\n", 10));
	request("POST", path, origin, "{\"command\": \"tare\"}", &r);
	assert_int_equal(r.status, 202);
	assert_string_equal(r.body, "{\"sent\":\"tare sent to ball1\"}\n");
	harness_http_reply_free(&r);
	assert_true(harness_wait_file_count(env.sub_out, "rollsense/ball1/command tare\n", 2, 10));
	serve_stop(pid);

	/* On the LAN reads need no Host of ours, but the command does: it
	 * checks the Host itself. */
	pid = serve_start_on("0.0.0.0", "web.commands=true\nweb.hosts=[\"pi.lan\"]\n");
	assert_true(harness_wait_file_contains(serve_log, "mqtt: connected", 10));
	request("POST", path, "Host: evil.example\r\nOrigin: http://evil.example\r\n", "tare", &r);
	assert_int_equal(r.status, 403);
	assert_string_equal(r.body, "{\"error\":\"Host \\\"evil.example\\\" is not a name of this "
			    "machine (add it to web.hosts)\"}\n");
	harness_http_reply_free(&r);
	snprintf(by_name, sizeof(by_name), "Host: pi.lan:%d\r\nOrigin: http://pi.lan:%d\r\n", port,
		 port);
	request("POST", path, by_name, "tare", &r);
	assert_int_equal(r.status, 202);
	harness_http_reply_free(&r);
	assert_true(harness_wait_file_count(env.sub_out, "rollsense/ball1/command tare\n", 3, 10));
	serve_stop(pid);
}

/* path's size in bytes; -1 when it is not there. */
static long long file_size(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0 ? (long long)st.st_size : -1;
}

/* serve opens the database read-only: after pages were served the file's
 * size and modification time are the same, its write-ahead log (where
 * SQLite's writes land first) did not grow and no rollback journal came;
 * without a database it says what to do and exits 1. */
static void test_readonly_database(void **state)
{
	char *argv[] = { (char *)harness_bin("rollsense-collector"), "--config", serve_cfg, "serve",
			 NULL };
	struct stat before, after;
	char path[64], want[400], wal[320], journal[320];
	long long wal_before, journal_before, wal_after;
	char *log;
	pid_t pid;

	(void)state;
	snprintf(wal, sizeof(wal), "%s-wal", env.db);
	snprintf(journal, sizeof(journal), "%s-journal", env.db);
	assert_int_equal(stat(env.db, &before), 0);
	wal_before = file_size(wal);
	journal_before = file_size(journal);
	pid = serve_start("");
	snprintf(path, sizeof(path), "/sessions/%ld", session_id);
	expect_get(path, 200, "text/html; charset=utf-8", "<svg");
	expect_get("/api/devices", 200, "application/json; charset=utf-8", "\"ball1\"");
	serve_stop(pid);
	assert_int_equal(stat(env.db, &after), 0);
	assert_int_equal(after.st_size, before.st_size);
	assert_int_equal(after.st_mtim.tv_sec, before.st_mtim.tv_sec);
	assert_int_equal(after.st_mtim.tv_nsec, before.st_mtim.tv_nsec);
	/* A reader may leave an empty -wal behind; a writer's pages make it grow. */
	wal_after = file_size(wal);
	if (wal_after > (wal_before > 0 ? wal_before : 0))
		fail_msg("%s grew from %lld to %lld bytes", wal, wal_before, wal_after);
	if (journal_before < 0 && file_size(journal) >= 0)
		fail_msg("%s appeared", journal);

	assert_int_equal(harness_write_config_to(&env, serve_cfg, "web.listen=\"127.0.0.1:%d\"\n"
						 "collector.database=\"none.db\"\n", port), 0);
	remove(serve_log);
	assert_int_equal(harness_run(serve_log, argv, 10), 1);
	log = harness_read_file(serve_log);
	snprintf(want, sizeof(want), "%s/none.db: no database yet: start rollsense-collector first",
		 env.dir);
	assert_non_null(log);
	if (!strstr(log, want))
		fail_msg("expected \"%s\" in:\n%s", want, log);
	free(log);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_teardown(test_pages_and_api, serve_teardown),
		cmocka_unit_test_teardown(test_refusals, serve_teardown),
		cmocka_unit_test_teardown(test_body_limits, serve_teardown),
		cmocka_unit_test_teardown(test_host_rebinding, serve_teardown),
		cmocka_unit_test_teardown(test_busy, serve_teardown),
		cmocka_unit_test_teardown(test_slow_client, serve_teardown),
		cmocka_unit_test_teardown(test_events, serve_teardown),
		cmocka_unit_test_teardown(test_events_slow_client_closed, serve_teardown),
		cmocka_unit_test_teardown(test_events_stalled_client_timed_out, serve_teardown),
		cmocka_unit_test_teardown(test_events_many_devices, serve_teardown),
		cmocka_unit_test_teardown(test_commands, serve_teardown),
		cmocka_unit_test_teardown(test_readonly_database, serve_teardown),
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
