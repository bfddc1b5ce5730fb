/* Integration: the pages as a browser shows them. A real mosquitto, two
 * sensords on simulated gear (ball1 playing a long hold in real time for the
 * live page; demo1 playing the demo's session, config/scenarios/demo.scn, ten
 * times faster, for the session's picture), the real collector storing them
 * and the real `serve`; Debian's chromium, headless,
 * with a fresh profile and no network but loopback, loads the pages
 * (harness_chromium_load) and the test reads the DOM after the page's
 * scripts ran, as a person would read the screen. The screenshots go to
 * $BUILD/screenshots/ (make screenshots puts two of them in docs/img/).
 *
 * The daemons run once for the tests (the group's setup): the live page
 * while ball1's long hold lasts (its zone set by a command), then the page
 * of demo1's stored session, then report --html's file; last the history
 * of three weeks of zones written through the store, with its advice. */
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
#include <sys/stat.h>

#include <time.h>

#include "detector.h"
#include "harness.h"
#include "store.h"

/* ball1: a 40 s hold at 15 kPa from 2 s, while the pad is warm (41 °C,
 * heat on, under the 45 °C burn-risk line) from 4 s to 30 s. */
static const char scenario[] =
	"chip ball bmp280 0x76 sealed\n"
	"chip pad mcp9808 0x18\n"
	"at 0 ball pressure_pa 101325\n"
	"at 0 ball temperature_c 22\n"
	"noise ball load_kpa 0.25\n"
	"at 0 pad temperature_c 30\n"
	"ramp 1.75 2.25 ball load_kpa 15\n"
	"at 41.75 ball load_kpa 15\n"
	"ramp 41.75 42.25 ball load_kpa 0\n"
	"ramp 3 4 pad temperature_c 41\n"
	"at 30 pad temperature_c 41\n"
	"ramp 30 34 pad temperature_c 33\n"
	"at 50 pad temperature_c 33\n";

struct fixture {
	struct harness_env env;
	pid_t sensord, demo_sensord, collector, serve;
	double started_s;	/* harness_now_s() when sensord started */
	int web_port;
	char serve_log[300];
	char demo_cfg[300], demo_log[300];	/* demo1's sensord */
	char shots[300];	/* $BUILD/screenshots */
};

/* The demo's scenario beside demo1's configuration (its paths are relative
 * to the file's folder). */
static int copy_demo_scenario(const struct fixture *f)
{
	char path[300], *text = harness_read_file("config/scenarios/demo.scn");
	int rc;

	if (!text)
		return -1;
	harness_env_path(&f->env, "demo.scn", path, sizeof(path));
	rc = harness_write_file(path, "%s", text);
	free(text);
	return rc;
}

static bool database_made(const void *arg)
{
	const struct fixture *f = arg;

	return harness_sqlite_count(f->env.db, "PRAGMA user_version") > 0;
}

static int group_setup(void **state)
{
	struct fixture *f = harness_fixture_new(sizeof(*f), "it-browser", NULL);
	char bin[300];

	if (!f)
		return -1;
	*state = f;
	snprintf(f->shots, sizeof(f->shots), "%s", harness_bin("screenshots"));
	mkdir(f->shots, 0755);
	f->web_port = harness_free_port();
	harness_env_path(&f->env, "serve.log", f->serve_log, sizeof(f->serve_log));
	harness_env_path(&f->env, "demo1.json", f->demo_cfg, sizeof(f->demo_cfg));
	harness_env_path(&f->env, "sensord-demo1.log", f->demo_log, sizeof(f->demo_log));
	if (harness_write_file(f->env.scn, "%s", scenario) < 0 ||
	    harness_write_config(&f->env, "detector.idle_s=3\nweb.listen=\"127.0.0.1:%d\"\n", f->web_port) < 0 ||
	    copy_demo_scenario(f) < 0 ||
	    harness_write_config_to(&f->env, f->demo_cfg,
				    "device_id=\"demo1\"\nsensord.state_dir=\"state-demo1\"\n"
				    "sensord.simulation.scenario=\"demo.scn\"\n"
				    "sensord.simulation.time_scale=10\ndetector.idle_s=3\n") < 0)
		return -1;
	f->collector = harness_env_start(&f->env, "rollsense-collector", f->env.collector_log);
	/* serve opens the database read-only: the collector makes it first. */
	if (f->collector < 0 || !harness_poll(database_made, f, 10, 0.05)) {
		fprintf(stderr, "it_browser: the collector made no database; see %s\n", f->env.collector_log);
		return -1;
	}
	snprintf(bin, sizeof(bin), "%s", harness_bin("rollsense-collector"));
	{
		char *argv[] = { bin, "--config", f->env.cfg, "serve", NULL };

		f->serve = harness_spawn(f->serve_log, argv);
	}
	if (f->serve < 0 || !harness_wait_port(f->web_port, 10)) {
		fprintf(stderr, "it_browser: serve did not listen on 127.0.0.1:%d; see %s\n", f->web_port,
			f->serve_log);
		return -1;
	}
	f->sensord = harness_env_start(&f->env, "rollsense-sensord", f->env.sensord_log);
	f->started_s = harness_now_s();
	snprintf(bin, sizeof(bin), "%s", harness_bin("rollsense-sensord"));
	{
		char *argv[] = { bin, "--config", f->demo_cfg, NULL };

		f->demo_sensord = harness_spawn(f->demo_log, argv);
	}
	return f->sensord > 0 && f->demo_sensord > 0 ? 0 : -1;
}

static int group_teardown(void **state)
{
	struct fixture *f = *state;

	if (!f)
		return 0;
	if (f->sensord > 0)
		harness_stop(f->sensord, SIGTERM, 10);
	if (f->demo_sensord > 0)
		harness_stop(f->demo_sensord, SIGTERM, 10);
	if (f->collector > 0)
		harness_stop(f->collector, SIGTERM, 10);
	if (f->serve > 0)
		harness_stop(f->serve, SIGTERM, 10);
	harness_fixture_free(f);
	return 0;
}

/* The value of attribute name in the first tag of dom that starts with
 * tag_start, into buf; false if there is no such tag or attribute. */
static bool tag_attr(const char *dom, const char *tag_start, const char *name, char *buf, size_t size)
{
	const char *tag = strstr(dom, tag_start), *end, *at;
	char key[80];

	if (!tag || !(end = strchr(tag, '>')))
		return false;
	snprintf(key, sizeof(key), " %s=\"", name);
	at = strstr(tag, key);
	if (!at || at > end)
		return false;
	at += strlen(key);
	snprintf(buf, size, "%.*s", (int)(strcspn(at, "\"")), at);
	return true;
}

/* "$BUILD/screenshots/<name>" */
static const char *shot(const struct fixture *f, const char *name)
{
	static char path[400];

	snprintf(path, sizeof(path), "%s/%s", f->shots, name);
	return path;
}

/* A screenshot of the size asked that is not one flat colour. */
static void expect_screenshot(const char *png, unsigned width, unsigned height)
{
	unsigned w = 0, h = 0;
	double ink;

	assert_int_equal(harness_png_size(png, &w, &h), 0);
	assert_int_equal(w, width);
	assert_int_equal(h, height);
	ink = harness_png_ink(png);
	if (ink < 0.01)
		fail_msg("%s: %.4f of its pixels differ from the background: blank", png, ink);
}

static void sleep_until(const struct fixture *f, double since_start_s)
{
	double left = f->started_s + since_start_s - harness_now_s();

	if (left > 0)
		harness_sleep(left);
}

/* What the live page shows of ball1 after the page ran wait_ms; the DOM is
 * the caller's to free. */
static char *load_live(const struct fixture *f, int width, int height, const char *png, double *hold_s,
		       char *mark, size_t mark_size, char **text)
{
	struct chromium_page page;
	char url[100], held[32];
	const char *card;

	snprintf(url, sizeof(url), "http://127.0.0.1:%d/", f->web_port);
	assert_int_equal(harness_chromium_load(url, width, height, 1500, png, &page), 0);
	if (page.scroll_width > width)
		fail_msg("the live page is %ld px wide in a %d px window: sideways scrolling", page.scroll_width,
			 width);
	card = strstr(page.dom, "<section class=\"card\" id=\"device-ball1\"");
	if (!card)
		fail_msg("no card for ball1 on the live page: %s", page.dom);
	if (!tag_attr(card, "<div class=\"timer", "data-hold-s", held, sizeof(held)) ||
	    !tag_attr(card, "<div class=\"timer", "data-mark", mark, mark_size))
		fail_msg("no hold timer on ball1's card: %s", card);
	*hold_s = strtod(held, NULL);
	if (text)
		*text = page.text;
	else
		free(page.text);
	return page.dom;
}

/* needle in card, before the next card. */
static void expect_in_card(const char *card, const char *needle)
{
	const char *at = strstr(card, needle), *next = strstr(card + 1, "<section class=\"card\"");

	if (!at || (next && at > next))
		fail_msg("the card lacks %s: %.2000s", needle, card);
}

/* Devices named as what every JavaScript object has (valid ids all the
 * same): each gets its card, and ball1 keeps its own. Their readings go
 * out after the screenshots, which show ball1 alone. The page is loaded in
 * the dark scheme, which it follows. */
static void expect_odd_names(const struct fixture *f)
{
	static const char *const names[] = { "constructor", "__proto__", "toString" };
	struct chromium_page page;
	char url[100], topic[64], id[80];

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		snprintf(topic, sizeof(topic), "rollsense/%s/reading", names[i]);
		assert_int_equal(harness_publish(&f->env.broker, topic,
						 "{\"run\":\"00000000000000aa\",\"seq\":1,\"mono\":0.100,"
						 "\"ts\":1796527352.3,\"pressure_kpa\":1.00,"
						 "\"temperature_c\":null}", false), 0);
	}
	/* This load asks for the dark scheme too: light text on the dark page. */
	snprintf(url, sizeof(url), "http://127.0.0.1:%d/", f->web_port);
	assert_int_equal(harness_chromium_load_dark(url, 1280, 800, 1500, NULL, &page), 0);
	assert_string_equal(page.body_colors, "rgb(19, 21, 24) / rgb(232, 232, 232)");
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		snprintf(id, sizeof(id), "<section class=\"card\" id=\"device-%s\"", names[i]);
		if (!strstr(page.dom, id))
			fail_msg("no card for the device %s on the live page:\n%s", names[i], page.text);
	}
	assert_non_null(strstr(page.dom, "<section class=\"card\" id=\"device-ball1\""));
	free(page.dom);
	free(page.text);
}

/* While the 40 s hold lasts (2 s .. 42 s): two loads some seconds apart. */
static void test_live_page(void **state)
{
	struct fixture *f = *state;
	double first_s, second_s;
	char mark[32], thr_style[64], thr_title[64], *dom, *card, *kpa, *heat, *text;

	sleep_until(f, 8);
	/* The zone, set as Home Assistant or a script would: sensord takes
	 * it and publishes it, serve passes it on. */
	assert_int_equal(harness_publish(&f->env.broker, "rollsense/ball1/command",
					 "{\"zone\":\"calf_left\"}", false), 0);
	free(load_live(f, 390, 844, NULL, &first_s, mark, sizeof(mark), NULL));
	/* Again once the hold has lasted 12 s or more (a slow start, under
	 * valgrind, moves both loads alike). */
	harness_sleep(first_s < 10 ? 12 - first_s : 2);
	dom = load_live(f, 390, 844, shot(f, "live.png"), &second_s, mark, sizeof(mark), &text);
	if (!(second_s > first_s))
		fail_msg("the hold timer did not advance: %.1f s, then %.1f s", first_s, second_s);
	if (second_s < 10 || second_s > 42)
		fail_msg("the hold timer shows %.1f s (before: %.1f s): not between 10 s and the 40 s "
			 "the hold lasts", second_s, first_s);
	assert_string_equal(mark, "counts");
	/* The pressure the bar's number shows: the hold's 15 kPa, give or
	 * take the noise. */
	card = strstr(dom, "<section class=\"card\" id=\"device-ball1\"");
	assert_non_null(card);
	kpa = strstr(card, "<div class=\"kpa\">");
	assert_non_null(kpa);
	assert_in_range(lround(strtod(kpa + strlen("<div class=\"kpa\">"), NULL)), 14, 16);
	heat = strstr(card, "<span class=\"heat-on\"> heat on</span>");
	if (!heat || heat > strstr(card, "</section>"))
		fail_msg("ball1's card does not say heat on: %s", card);
	/* The bar's line at the configured hold threshold (detector's default
	 * 10 kPa, a quarter of 0 to 40 kPa), as the page's data says it. */
	if (!tag_attr(card, "<div class=\"thr\"", "style", thr_style, sizeof(thr_style)) ||
	    !tag_attr(card, "<div class=\"thr\"", "title", thr_title, sizeof(thr_title)))
		fail_msg("no threshold line on ball1's bar: %s", card);
	assert_string_equal(thr_style, "left: 25%;");
	assert_string_equal(thr_title, "10 kPa: a hold starts here");
	expect_in_card(card, "<span style=\"left: 25%;\">10 kPa</span>");
	/* The zone by its label in the default list. */
	expect_in_card(card, "<div class=\"zone\" data-zone=\"calf_left\">Zone: Left calf</div>");
	free(dom);
	/* What the phone shows: the mark, the heat, and no burn-risk badge at
	 * 41 °C (the warning starts at 45 °C, detector.hot_c). */
	if (!strstr(text, "\ncounts\n") || !strstr(text, "heat on"))
		fail_msg("the live page does not show the counts mark and the heat:\n%s", text);
	if (strstr(text, "burn risk"))
		fail_msg("the live page shows \"burn risk\" at 41 °C:\n%s", text);
	free(text);
	expect_screenshot(shot(f, "live.png"), 390, 844);

	dom = load_live(f, 1280, 800, shot(f, "live-desktop.png"), &second_s, mark, sizeof(mark), NULL);
	free(dom);
	expect_screenshot(shot(f, "live-desktop.png"), 1280, 800);
	expect_odd_names(f);
}

#define DEMO1_SESSIONS "FROM sessions JOIN runs ON runs.id = sessions.run_id " \
	"JOIN devices ON devices.id = runs.device_id WHERE devices.name = 'demo1'"

static bool session_stored(const void *arg)
{
	const struct fixture *f = arg;

	return harness_sqlite_count(f->env.db, "SELECT count(*) " DEMO1_SESSIONS
				    " AND sessions.end_ts IS NOT NULL") == 1;
}

/* The id of demo1's session, once it is stored (the demo's session closes
 * at 238 s of its script: 24 s at ten times real time). */
static long wait_session(struct fixture *f)
{
	if (!harness_poll(session_stored, f, 120, 0.5))
		fail_msg("demo1's session not stored within 120 s; see %s", f->env.collector_log);
	return harness_sqlite_count(f->env.db, "SELECT sessions.id " DEMO1_SESSIONS);
}

/* Each hold's shaded rect in dom, as "class duration" lines in their
 * order. Each is checked to say its own duration: its title (inside the
 * rect) "<class> hold, <duration> s", and its label, the text element
 * right after it, "<duration> s" (a label elsewhere, of another hold that
 * lasted as long, would not do). The caller frees. */
static char *hold_rects(const char *dom)
{
	size_t cap = 4096, len = 0;
	char *out = calloc(1, cap);
	const char *at = dom;

	assert_non_null(out);
	while ((at = strstr(at, "<rect class=\"hold hold-"))) {
		static const char label_tag[] = "<text class=\"hold-label\"";
		char cls[32], dur[32], title[80], label[48];
		const char *end = strstr(at, "</rect>"), *next, *text;

		assert_true(tag_attr(at, "<rect", "data-class", cls, sizeof(cls)));
		assert_true(tag_attr(at, "<rect", "data-duration", dur, sizeof(dur)));
		assert_non_null(end);
		snprintf(title, sizeof(title), "<title>%s hold, %s s,", cls, dur);
		text = strstr(at, title);
		if (!text || text > end)
			fail_msg("the %s hold of %s s has no title \"%s\": %.*s", cls, dur, title + 7,
				 (int)(end - at), at);
		next = end + strlen("</rect>");
		next += strspn(next, " \n");
		text = strncmp(next, label_tag, strlen(label_tag)) == 0 ? strchr(next, '>') : NULL;
		snprintf(label, sizeof(label), ">%s s</text>", dur);
		if (!text || strncmp(text, label, strlen(label)) != 0)
			fail_msg("the %s hold of %s s is not followed by its label \"%s s\": %.80s", cls, dur,
				 dur, next);
		len += (size_t)snprintf(out + len, cap - len, "%s %s\n", cls, dur);
		assert_true(len < cap);
		at++;
	}
	return out;
}

/* The holds as stored, in the same form: what the pages must show. */
static char *stored_holds(const struct fixture *f, long session)
{
	char query[200], *text;

	snprintf(query, sizeof(query),
		 "SELECT class || ' ' || printf('%%.1f', duration_s) FROM holds WHERE session_id = %ld "
		 "ORDER BY idx", session);
	text = harness_sqlite_text(f->env.db, query);
	assert_non_null(text);
	return text;
}

/* The demo's four holds as its script's comment lists them, stored: 25 s
 * (effective), 7 s (short), 40 s with a bridged dip (effective), 75 s
 * (long). */
static void expect_demo_holds(const char *holds)
{
	static const char *const classes[4] = { "effective", "short", "effective", "long" };
	static const long seconds[4] = { 25, 7, 40, 75 };
	char cls[4][32];
	double d[4];
	size_t lines = 0;

	for (const char *p = holds; *p; p++)
		lines += *p == '\n';
	if (lines != 4 || sscanf(holds, "%31s %lf %31s %lf %31s %lf %31s %lf", cls[0], &d[0], cls[1], &d[1],
				 cls[2], &d[2], cls[3], &d[3]) != 8)
		fail_msg("the database should hold the demo's four holds, it holds:\n%s", holds);
	for (int i = 0; i < 4; i++) {
		assert_string_equal(cls[i], classes[i]);
		assert_in_range(lround(d[i]), seconds[i] - 1, seconds[i] + 1);
	}
}

/* path at 390 px: no sideways scrolling, the device demo1 named, and with
 * id the link to that session. */
static void expect_phone_page(const struct fixture *f, const char *path, long id)
{
	struct chromium_page page;
	char url[100], link[64];

	snprintf(url, sizeof(url), "http://127.0.0.1:%d%s", f->web_port, path);
	assert_int_equal(harness_chromium_load(url, 390, 844, 0, NULL, &page), 0);
	if (page.scroll_width > 390)
		fail_msg("%s is %ld px wide in a 390 px window", path, page.scroll_width);
	if (!strstr(page.text, "demo1"))
		fail_msg("%s does not name demo1:\n%s", path, page.text);
	snprintf(link, sizeof(link), "<a href=\"/sessions/%ld\">", id);
	if (id > 0 && !strstr(page.dom, link))
		fail_msg("%s has no link to session %ld:\n%s", path, id, page.text);
	free(page.dom);
	free(page.text);
}

static void test_session_page(void **state)
{
	struct fixture *f = *state;
	long id = wait_session(f);
	struct chromium_page page;
	char url[100], *stored, *shown;

	stored = stored_holds(f, id);
	expect_demo_holds(stored);
	snprintf(url, sizeof(url), "http://127.0.0.1:%d/sessions/%ld", f->web_port, id);
	assert_int_equal(harness_chromium_load(url, 1280, 800, 0, shot(f, "session.png"), &page), 0);
	shown = hold_rects(page.dom);
	assert_string_equal(shown, stored);
	expect_screenshot(shot(f, "session.png"), 1280, 800);
	free(shown);
	free(page.dom);
	free(page.text);

	/* At phone width, the page fits; in the light scheme it is dark text
	 * on white (pages_css: --bg #fff, --fg #1b1b1b). */
	assert_int_equal(harness_chromium_load(url, 390, 844, 0, shot(f, "session-phone.png"), &page), 0);
	if (page.scroll_width > 390)
		fail_msg("the session page is %ld px wide in a 390 px window", page.scroll_width);
	assert_string_equal(page.body_colors, "rgb(255, 255, 255) / rgb(27, 27, 27)");
	free(page.dom);
	free(page.text);

	/* The sessions list and the history fit a phone too, and show the
	 * stored session: its link, its device. */
	expect_phone_page(f, "/sessions", id);
	expect_phone_page(f, "/history", 0);

	/* A phone in dark mode gets light text on a dark page (--bg #131518,
	 * --fg #e8e8e8), the same holds, and still no sideways scrolling. */
	assert_int_equal(harness_chromium_load_dark(url, 390, 844, 0, shot(f, "session-dark.png"), &page),
			 0);
	assert_string_equal(page.body_colors, "rgb(19, 21, 24) / rgb(232, 232, 232)");
	if (page.scroll_width > 390)
		fail_msg("the dark session page is %ld px wide in a 390 px window", page.scroll_width);
	shown = hold_rects(page.dom);
	assert_string_equal(shown, stored);
	expect_screenshot(shot(f, "session-dark.png"), 390, 844);
	free(shown);
	free(page.dom);
	free(page.text);
	free(stored);
}

static void test_report_html(void **state)
{
	struct fixture *f = *state;
	long id = wait_session(f);
	struct chromium_page page;
	char file[400], url[500], log[400], bin[300], *stored, *shown, *text;

	harness_env_path(&f->env, "report.html", file, sizeof(file));
	harness_env_path(&f->env, "report.log", log, sizeof(log));
	snprintf(bin, sizeof(bin), "%s", harness_bin("rollsense-collector"));
	{
		char *argv[] = { bin, "--config", f->env.cfg, "report", "--html", file, "--device", "demo1",
				 NULL };

		harness_assert_exit_ok("report --html", log, harness_run(log, argv, 30));
	}
	/* Self-contained: nothing to fetch, no script. */
	text = harness_read_file(file);
	assert_non_null(text);
	assert_null(strstr(text, "<script"));
	assert_null(strstr(text, " src="));
	assert_null(strstr(text, "<link"));
	free(text);

	stored = stored_holds(f, id);
	snprintf(url, sizeof(url), "file://%s", file);
	assert_int_equal(harness_chromium_load(url, 1280, 800, 0, shot(f, "report.png"), &page), 0);
	shown = hold_rects(page.dom);
	assert_string_equal(shown, stored);
	expect_screenshot(shot(f, "report.png"), 1280, 800);
	free(shown);
	free(stored);
	free(page.dom);
	free(page.text);
}

/* ---- three weeks of zones, for the history ---- */

/* Local noon days_ago days before today (mktime takes the day's own DST). */
static double noon_days_ago(int days_ago)
{
	time_t now = time(NULL);
	struct tm tm;

	localtime_r(&now, &tm);
	tm.tm_mday -= days_ago;
	tm.tm_hour = 12;
	tm.tm_min = tm.tm_sec = 0;
	tm.tm_isdst = -1;
	return (double)mktime(&tm);
}

/* A 10-minute session of weeks1 at ts, with one effective 30 s hold on
 * the left shoulder and one on the right calf. */
static void weeks_session(struct store *st, int n, double ts)
{
	struct detector_summary s;
	double hold_ts[2] = { ts + 60, ts + 200 };
	char run[17];
	int64_t run_id;

	memset(&s, 0, sizeof(s));
	s.start_mono_s = 1000;
	s.end_mono_s = 1600;
	s.duration_s = 600;
	s.hold_count = s.holds_stored = 2;
	/* Zones by their index in zones[] below. */
	s.holds[0] = (struct detector_hold){ 1060, 30, 15, 14, DETECTOR_HOLD_EFFECTIVE, 0 };
	s.holds[1] = (struct detector_hold){ 1200, 30, 15, 14, DETECTOR_HOLD_EFFECTIVE, 1 };
	s.hold_time_s = 60;
	s.max_temperature_c = NAN;
	s.n_zones = 2;
	s.zones[0] = (struct detector_zone_total){ "shoulder_left", 1, { 0, 1, 0 }, 30, 0, 0, 0 };
	s.zones[1] = (struct detector_zone_total){ "calf_right", 1, { 0, 1, 0 }, 30, 0, 0, 0 };
	snprintf(run, sizeof(run), "00000000000077%02x", n);
	assert_int_equal(store_run_id(st, "weeks1", run, &run_id), 0);
	assert_int_equal(store_session_insert(st, run_id, &s, ts, ts + 600, hold_ts, NULL), 1);
}

/* The history of a device that treated the same spots on 3 days in each
 * of the last three weeks (a database of its own, written through the
 * store, served by a second serve) at 390 px: the advice box at the top
 * with its text, the per-zone table, no sideways scrolling. */
static void test_history_zones(void **state)
{
	static const int days_ago[] = { 1, 3, 5, 8, 10, 12, 15, 17, 19 };
	struct fixture *f = *state;
	struct chromium_page page;
	char db[300], cfg[300], log[300], url[120], err[256], bin[300];
	struct store *st;
	pid_t serve;
	int port = harness_free_port();

	harness_env_path(&f->env, "weeks.db", db, sizeof(db));
	harness_env_path(&f->env, "weeks.json", cfg, sizeof(cfg));
	harness_env_path(&f->env, "serve-weeks.log", log, sizeof(log));
	st = store_open(db, err, sizeof(err));
	if (!st)
		fail_msg("%s", err);
	assert_int_equal(store_begin(st), 0);
	for (size_t i = 0; i < sizeof(days_ago) / sizeof(days_ago[0]); i++)
		weeks_session(st, (int)i, noon_days_ago(days_ago[i]));
	assert_int_equal(store_commit(st), 0);
	store_close(st);
	assert_int_equal(harness_write_config_to(&f->env, cfg, "collector.database=\"%s\"\n"
						 "web.listen=\"127.0.0.1:%d\"\n", db, port), 0);
	snprintf(bin, sizeof(bin), "%s", harness_bin("rollsense-collector"));
	{
		char *argv[] = { bin, "--config", cfg, "serve", NULL };

		serve = harness_spawn(log, argv);
	}
	assert_true(serve > 0);
	assert_true(harness_wait_port(port, 10));
	snprintf(url, sizeof(url), "http://127.0.0.1:%d/history?device=weeks1", port);
	assert_int_equal(harness_chromium_load(url, 390, 844, 0, shot(f, "history-zones.png"), &page),
			 0);
	harness_assert_exit_ok("serve", log, harness_stop(serve, SIGTERM, 10));
	if (page.scroll_width > 390)
		fail_msg("the history is %ld px wide in a 390 px window", page.scroll_width);
	if (!strstr(page.dom, "<section class=\"advice\" data-device=\"weeks1\">") ||
	    !strstr(page.text, "Left shoulder: treated on 3, 3 and 3 days in the last 3 weeks") ||
	    !strstr(page.text, "Right calf: treated on 3, 3 and 3 days") ||
	    !strstr(page.text, "See a doctor or physiotherapist"))
		fail_msg("the history shows no advice to see someone:\n%s", page.text);
	if (!strstr(page.dom, "<table class=\"totals totals-zone\">") ||
	    !strstr(page.text, "Left shoulder") || !strstr(page.text, "Right calf"))
		fail_msg("the history has no per-zone table:\n%s", page.text);
	/* The box comes first, above the filter form. */
	assert_true(strstr(page.dom, "class=\"advice\"") < strstr(page.dom, "<form"));
	expect_screenshot(shot(f, "history-zones.png"), 390, 844);
	free(page.dom);
	free(page.text);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_live_page),
		cmocka_unit_test(test_session_page),
		cmocka_unit_test(test_report_html),
		cmocka_unit_test(test_history_zones),
	};

	tests_select();
	return cmocka_run_group_tests_name("it_browser", tests, group_setup, group_teardown);
}
