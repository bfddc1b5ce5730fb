/* Integration: `rollsense-collector watch` against a real mosquitto, fed
 * messages written by hand as sensord sends them (docs/protocol.md). On a
 * terminal (a detached tmux session of 100 x 30 with its own server
 * socket) the screen shows the pressure bar and the hold timer advancing
 * to the "counts" mark (the bar's mark and the timer's at the configured
 * detector thresholds), the zone by its configured label, devices beyond the screen's height are counted,
 * and Ctrl-C leaves the last screen with the cursor
 * shown again; with stdout in a file it writes plain lines, and --device
 * keeps to one device. The hold is the protocol's example, started at
 * 1796527344.17. */
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
#include <unistd.h>

#include "harness.h"
#include "textbuf.h"

#define RUN "5e1f03c29a7b44d1"

struct fixture {
	struct harness_env env;
	char tmux_socket[64];	/* "" until a tmux server is started */
	pid_t watch;
};

static int setup(void **state)
{
	struct fixture *f = harness_fixture_new(sizeof(struct fixture), "it-watch", NULL);

	*state = f;
	if (!f)
		return -1;
	return harness_write_config(&f->env, "%s", "");
}

static char *tmux_output(struct fixture *f, const char *what, const char *arg);

static int teardown(void **state)
{
	struct fixture *f = *state;

	if (f->watch > 0)
		harness_stop(f->watch, SIGTERM, 10);
	if (f->tmux_socket[0])
		free(tmux_output(f, "kill-server", NULL));
	harness_fixture_free(f);
	return 0;
}

/* Runs argv to its end (10 s at most) with its output in dir/<name>; the
 * output (the caller frees; "" when none) and, if status is not NULL, the
 * exit code there. */
static char *run_output(struct fixture *f, const char *name, char *const argv[], int *status)
{
	char log[400], *out;
	int rc;

	harness_env_path(&f->env, name, log, sizeof(log));
	remove(log);
	rc = harness_run(log, argv, 10);
	if (status)
		*status = rc;
	out = harness_read_file(log);
	return out ? out : strdup("");
}

/* What "tmux -L <socket> <what> [arg]" printed (the caller frees). */
static char *tmux_output(struct fixture *f, const char *what, const char *arg)
{
	char *argv[] = { "tmux", "-L", f->tmux_socket, (char *)what, (char *)arg, NULL };

	return run_output(f, "tmux.out", argv, NULL);
}

struct screen_wait {
	struct fixture *f;
	const char *needle;
};

static bool screen_has(const void *arg)
{
	const struct screen_wait *w = arg;
	char *screen = tmux_output(w->f, "capture-pane", "-p");
	bool found = strstr(screen, w->needle) != NULL;

	free(screen);
	return found;
}

/* Waits up to 10 s for the pane to show needle; fails the test with the
 * screen as it is otherwise. */
static void expect_screen(struct fixture *f, const char *needle)
{
	struct screen_wait w = { f, needle };
	char *screen;

	if (harness_poll(screen_has, &w, 10, 0.05))
		return;
	screen = tmux_output(f, "capture-pane", "-p");
	fail_msg("the screen does not show \"%s\":\n%s", needle, screen);
}

static void publish(struct fixture *f, const char *kind, const char *payload)
{
	char topic[64];

	snprintf(topic, sizeof(topic), "rollsense/ball1/%s", kind);
	assert_int_equal(harness_publish(&f->env.broker, topic, payload, false), 0);
}

/* A reading of ball1 at ts (1796527344.17 plus the hold's seconds). */
static void publish_reading(struct fixture *f, unsigned seq, const char *ts, const char *kpa)
{
	char payload[256];

	snprintf(payload, sizeof(payload),
		 "{\"run\":\"" RUN "\",\"seq\":%u,\"mono\":%u.000,\"ts\":%s,\"pressure_kpa\":%s,"
		 "\"temperature_c\":36.10}",
		 seq, seq / 10, ts, kpa);
	publish(f, "reading", payload);
}

/* What a poll waits for: needle in the file at path, or on the screen
 * when path is NULL. */
struct file_wait {
	struct fixture *f;
	const char *path;
	const char *needle;
	bool roller1;		/* publish a reading of roller1 too, after ball1's */
};

/* One round for harness_poll: the first reading of ball1 (and roller1's
 * when asked), then whether watch shows the needle yet. watch subscribes
 * as it connects, and a message before that is not delivered: so the
 * reading goes out again each round until it is seen. */
static bool reading_seen(const void *arg)
{
	const struct file_wait *w = arg;

	publish_reading(w->f, 400, "1796527352.27", "5.00");
	if (w->roller1)
		assert_int_equal(harness_publish(&w->f->env.broker, "rollsense/roller1/reading",
						 "{\"run\":\"00000000000000aa\",\"seq\":1,\"mono\":0.100,"
						 "\"ts\":1796527352.3,\"pressure_kpa\":3.00,"
						 "\"temperature_c\":null}", false), 0);
	if (!w->path)
		return screen_has(&(struct screen_wait){ w->f, w->needle });
	return harness_file_count(w->path, w->needle) > 0;
}

/* Starts watch (argv) with its output in the file out, and waits until it
 * says needle after ball1's first reading (and roller1's, when roller1). */
static void watch_start(struct fixture *f, char *const argv[], const char *out,
			const char *needle, bool roller1)
{
	f->watch = harness_spawn(out, argv);
	assert_true(f->watch > 0);
	assert_true(harness_wait_file_contains(out, "watch: connected to tcp://127.0.0.1:", 10));
	assert_true(harness_poll(reading_seen, &(struct file_wait){ f, out, needle, roller1 }, 10,
				 0.2));
}

/* Stops it with sig: it must exit 0. */
static void watch_stop(struct fixture *f, const char *out, int sig)
{
	harness_assert_exit_ok("watch", out, harness_stop(f->watch, sig, 10));
	f->watch = 0;
}

static const char session_started[] =
	"{\"event\":\"session_started\",\"run\":\"" RUN "\",\"mono\":10.432,\"ts\":1796527319.469}";
static const char hold_started[] =
	"{\"event\":\"hold_started\",\"run\":\"" RUN "\",\"mono\":40.132,\"ts\":1796527349.169,"
	"\"hold\":{\"start\":1796527344.17,\"duration_s\":5,\"peak_kpa\":15.2,\"mean_kpa\":14.1,"
	"\"class\":\"short\"}}";
static const char hold_ended[] =
	"{\"event\":\"hold_ended\",\"run\":\"" RUN "\",\"mono\":61.032,\"ts\":1796527370.069,"
	"\"hold\":{\"start\":1796527344.17,\"duration_s\":24.8,\"peak_kpa\":15.61,\"mean_kpa\":14.87,"
	"\"class\":\"effective\"}}";

static void test_terminal(void **state)
{
	struct fixture *f = *state;
	char command[1024];
	char *screen;

	/* The bar's mark stands at the configured hold threshold. */
	assert_int_equal(harness_write_config(&f->env, "%s", "detector.hold_start_kpa=12\n"), 0);
	unsetenv("TMUX");	/* a test run from inside tmux starts its own server all the same */
	snprintf(f->tmux_socket, sizeof(f->tmux_socket), "rollsense-it-watch-%ld", (long)getpid());
	snprintf(command, sizeof(command), "%s --config %s watch; echo watch-exit=$?; sleep 60",
		 harness_bin("rollsense-collector"), f->env.cfg);
	{
		char *argv[] = { "tmux", "-L", f->tmux_socket, "new-session", "-d", "-x", "100",
				 "-y", "30", command, NULL };
		char log[400];

		harness_env_path(&f->env, "tmux-start.log", log, sizeof(log));
		assert_int_equal(harness_run(log, argv, 10), 0);
	}
	expect_screen(f, "rollsense watch  connected to tcp://127.0.0.1:");
	expect_screen(f, "waiting for a device…");
	assert_true(harness_poll(reading_seen,
				 &(struct file_wait){ f, NULL, "ball1  online", false }, 10, 0.2));

	/* 5 kPa on a 73-cell bar from 0 to 40 kPa: 9 cells filled (9.1), the
	 * 12 kPa mark in cell 22 (21.9, from 0), 99 columns in all. */
	expect_screen(f, "  pressure     5.0 kPa  [#########             |"
			 "                         "
			 "                         ]\n");
	expect_screen(f, "  hold      --\n");
	expect_screen(f, "  temp      36.1 °C heat off\n");
	/* The zone, by its label in the config (the default list's). */
	expect_screen(f, "ball1  online  zone none\n");
	publish(f, "zone", "{\"zone\":\"calf_left\",\"label\":\"Calf\",\"position\":12,\"of\":15}");
	expect_screen(f, "ball1  online  zone Left calf\n");

	publish(f, "event", session_started);
	publish(f, "event", hold_started);
	expect_screen(f, "  hold      8.1 s\n");	/* tmux drops trailing blanks */
	screen = tmux_output(f, "capture-pane", "-p");
	assert_null(strstr(screen, "counts"));
	free(screen);

	publish_reading(f, 523, "1796527356.47", "14.20");
	expect_screen(f, "  hold      12.3 s    counts\n");
	publish_reading(f, 545, "1796527358.67", "14.20");
	expect_screen(f, "  hold      14.5 s    counts\n");
	expect_screen(f, "  session   0 holds (0 short, 0 effective, 0 long), hold time 0:00, heat 0:00\n");
	publish(f, "event", hold_ended);
	expect_screen(f, "  last hold 24.8 s    effective\n");
	expect_screen(f, "  session   1 hold (0 short, 1 effective, 0 long), hold time 0:25, heat 0:00\n");

	/* Four devices fit in 30 rows (2 for the title, 6 each, 7 with chip
	 * faults, the last row never used); the fifth is counted, not drawn. */
	for (int i = 1; i <= 4; i++) {
		char topic[64];

		snprintf(topic, sizeof(topic), "rollsense/roller%d/reading", i);
		assert_int_equal(harness_publish(&f->env.broker, topic,
						 "{\"run\":\"00000000000000aa\",\"seq\":1,\"mono\":0.100,"
						 "\"ts\":1796527352.3,\"pressure_kpa\":3.00,"
						 "\"temperature_c\":null}", false), 0);
	}
	expect_screen(f, "\nroller3  ");	/* online, or offline 5 s on */
	expect_screen(f, "1 more device than the screen holds: watch --device ID shows one\n");
	screen = tmux_output(f, "capture-pane", "-p");
	assert_null(strstr(screen, "roller4"));
	free(screen);

	/* Ctrl-C: exit 0, the last screen left in place, the cursor back. */
	free(tmux_output(f, "send-keys", "C-c"));
	expect_screen(f, "watch-exit=0");
	expect_screen(f, "  last hold 24.8 s    effective\n");
	{
		char *argv[] = { "tmux", "-L", f->tmux_socket, "display-message", "-p",
				 "cursor #{cursor_flag}", NULL };
		int status;

		screen = run_output(f, "tmux-cursor.out", argv, &status);
		assert_int_equal(status, 0);
		assert_string_equal(screen, "cursor 1\n");
		free(screen);
	}
}

/* Not a terminal: one line per event and one per second of readings in a
 * session; --device leaves the other devices out. */
static void test_plain_lines(void **state)
{
	struct fixture *f = *state;
	char out[300];
	char *argv[] = { (char *)harness_bin("rollsense-collector"), "--config", f->env.cfg, "watch",
			 NULL };

	harness_env_path(&f->env, "watch.out", out, sizeof(out));
	watch_start(f, argv, out, " ball1 online\n", false);

	publish(f, "zone", "{\"zone\":\"shoulder_right\",\"label\":\"R\",\"position\":3,\"of\":15}");
	assert_true(harness_wait_file_contains(out, " ball1 zone Right shoulder (shoulder_right)\n",
					       10));
	publish(f, "zone", "{\"zone\":null,\"label\":null,\"position\":0,\"of\":15}");
	assert_true(harness_wait_file_contains(out, " ball1 zone none\n", 10));
	publish(f, "event", session_started);
	assert_true(harness_wait_file_contains(out, " ball1 session_started\n", 10));
	publish(f, "event", hold_started);
	assert_true(harness_wait_file_contains(out, " ball1 hold_started 8.1 s short\n", 10));
	publish_reading(f, 523, "1796527356.47", "14.20");
	assert_true(harness_wait_file_contains(
		out, " ball1 hold 12.3 s (counts) 14.2 kPa 36.1 °C heat off\n", 10));
	publish(f, "event", hold_ended);
	assert_true(harness_wait_file_contains(out, " ball1 hold_ended 24.8 s effective\n", 10));
	/* A session_ended with its 64 holds is longer than a reading may be
	 * (4 KB): watch takes it all the same, and its list of holds is the
	 * session's count. */
	{
		static const char hold[] = "{\"start\":1796527344.17,\"duration_s\":24.8,"
					   "\"peak_kpa\":15.61,\"mean_kpa\":14.87,\"class\":\"effective\"}";
		struct textbuf b;

		textbuf_init(&b, 0);
		textbuf_puts(&b, "{\"event\":\"session_ended\",\"run\":\"" RUN "\",\"mono\":345,"
				 "\"ts\":1796527664.17,\"session\":{\"start\":1796527319.47,"
				 "\"end\":1796527544.17,\"duration_s\":224.7,\"hold_count\":64,"
				 "\"hold_time_s\":1587.2,\"holds\":[");
		for (int i = 0; i < 64; i++)
			textbuf_printf(&b, "%s%s", i ? "," : "", hold);
		textbuf_puts(&b, "],\"heat_time_s\":143.2,\"max_temperature_c\":41.12,"
				 "\"hot_time_s\":0,\"readings\":3448,\"missing_readings\":0}}");
		assert_true(b.len > 6000);
		publish(f, "event", textbuf_text(&b));
		textbuf_free(&b);
	}
	assert_true(harness_wait_file_contains(out, " ball1 session_ended: 64 holds (0 short, "
						"64 effective, 0 long), hold time 26:27, heat 2:23\n", 10));
	watch_stop(f, out, SIGINT);
	/* No terminal, no escape sequences. */
	assert_int_equal(harness_file_count(out, "\x1b"), 0);
}

/* The marks follow the configured classes: with effective_s 5 and long_s
 * 7, a hold "counts" at 6.1 s and says "let go" at 8.1 s. The hold starts
 * at 1796527346.27, 6 s before the first reading. */
static void test_thresholds(void **state)
{
	static const char started[] =
		"{\"event\":\"hold_started\",\"run\":\"" RUN "\",\"mono\":42.232,\"ts\":1796527351.269,"
		"\"hold\":{\"start\":1796527346.27,\"duration_s\":5,\"peak_kpa\":14.5,\"mean_kpa\":14.2,"
		"\"class\":\"effective\"}}";
	struct fixture *f = *state;
	char out[300];
	char *argv[] = { (char *)harness_bin("rollsense-collector"), "--config", f->env.cfg, "watch",
			 NULL };

	assert_int_equal(harness_write_config(&f->env, "%s",
					      "detector.effective_s=5\ndetector.long_s=7\n"), 0);
	harness_env_path(&f->env, "watch-thresholds.out", out, sizeof(out));
	watch_start(f, argv, out, " ball1 online\n", false);
	publish(f, "event", session_started);
	publish(f, "event", started);
	assert_true(harness_wait_file_contains(out, " ball1 hold_started 6.0 s effective\n", 10));
	publish_reading(f, 401, "1796527352.37", "14.20");
	assert_true(harness_wait_file_contains(
		out, " ball1 hold 6.1 s (counts) 14.2 kPa 36.1 °C heat off\n", 10));
	publish_reading(f, 421, "1796527354.37", "14.20");
	assert_true(harness_wait_file_contains(
		out, " ball1 hold 8.1 s (let go) 14.2 kPa 36.1 °C heat off\n", 10));
	watch_stop(f, out, SIGTERM);
}

/* --device roller1 shows roller1 and nothing of ball1, whose readings went
 * out before roller1's. */
static void test_device_filter(void **state)
{
	struct fixture *f = *state;
	char out[300];
	char *argv[] = { (char *)harness_bin("rollsense-collector"), "--config", f->env.cfg, "watch",
			 "--device", "roller1", NULL };

	harness_env_path(&f->env, "watch-roller1.out", out, sizeof(out));
	watch_start(f, argv, out, " roller1 online\n", true);
	watch_stop(f, out, SIGTERM);
	assert_int_equal(harness_file_count(out, "ball1"), 0);
}

/* `watch | head -n 1`: once head has its line and leaves, the next line
 * watch writes fails (EPIPE) and watch ends, exit 0, instead of running on
 * with nobody reading. */
static void test_reader_leaves(void **state)
{
	struct fixture *f = *state;
	char script[1024], status[300], log[300];
	char *argv[] = { "sh", "-c", script, NULL };
	pid_t sh;

	harness_env_path(&f->env, "status", status, sizeof(status));
	harness_env_path(&f->env, "pipe.log", log, sizeof(log));
	snprintf(script, sizeof(script), "{ %s --config %s watch; echo \"exit $?\" > %s; } | head -n 1",
		 harness_bin("rollsense-collector"), f->env.cfg, status);
	sh = harness_spawn(log, argv);
	assert_true(sh > 0);
	assert_true(harness_poll(reading_seen, &(struct file_wait){ f, log, " ball1 online\n", false },
				 10, 0.2));
	/* More lines: the first one after head left ends watch. */
	publish(f, "event", session_started);
	publish_reading(f, 401, "1796527352.37", "5.00");
	assert_true(harness_wait_file_contains(status, "exit 0\n", 10));
	harness_assert_exit_ok("watch | head -n 1", log, harness_wait(sh, 10));
}

/* Arguments watch refuses: exit 2 with a line naming what is wrong. */
static void test_bad_arguments(void **state)
{
	static const struct {
		const char *args[3];
		const char *message;
	} cases[] = {
		{ { "--device", "ball 1", NULL },
		  "watch: --device: \"ball 1\" is not a device id ([A-Za-z0-9_-]{1,64})\n" },
		{ { "ball1", NULL, NULL }, "watch: unexpected argument \"ball1\"\n" },
	};
	struct fixture *f = *state;

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char *argv[] = { (char *)harness_bin("rollsense-collector"), "--config", f->env.cfg,
				 "watch", (char *)cases[i].args[0], (char *)cases[i].args[1], NULL };
		char *text;
		int status;

		text = run_output(f, "bad.out", argv, &status);
		assert_int_equal(status, 2);
		assert_string_equal(text, cases[i].message);
		free(text);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		IT_TEST(test_terminal),
		IT_TEST(test_plain_lines),
		IT_TEST(test_thresholds),
		IT_TEST(test_device_filter),
		IT_TEST(test_reader_leaves),
		IT_TEST(test_bad_arguments),
	};

	tests_select();
	return cmocka_run_group_tests_name("it_watch", tests, NULL, NULL);
}
