/* The web side's router (collector/route.c): every route, and each refusal
 * with the status and the line a person reads. Dates are read in UTC (TZ
 * "UTC0", a POSIX string: no tzdata); the expected Unix times are from
 * `date -u -d "2026-12-07 18:30" +%s`. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "select.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "route.h"

static struct route r;
static char msg[256];

static int setup_utc(void **state)
{
	(void)state;
	setenv("TZ", "UTC0", 1);
	tzset();
	return 0;
}

/* path with the query arguments given as "key", "value" pairs, then NULL. */
static int parse(const char *method, const char *path, ...)
{
	struct route_arg args[ROUTE_ARGS_MAX + 4];
	size_t n = 0;
	const char *key;
	va_list ap;

	va_start(ap, path);
	while ((key = va_arg(ap, const char *)) != NULL) {
		args[n].key = key;
		args[n].value = va_arg(ap, const char *);
		n++;
	}
	va_end(ap);
	return route_parse(method, path, args, n, &r, msg, sizeof(msg));
}

static void expect_refused(int status, const char *message, int got)
{
	assert_int_equal(got, status);
	assert_string_equal(msg, message);
}

static void test_every_route(void **state)
{
	(void)state;
	assert_int_equal(parse("GET", "/", NULL), 200);
	assert_int_equal(r.kind, ROUTE_LIVE);
	assert_string_equal(r.device, "");
	assert_true(r.since_ts == 0);
	assert_true(isinf(r.until_ts));
	assert_int_equal(parse("GET", "/events", NULL), 200);
	assert_int_equal(r.kind, ROUTE_EVENTS);
	assert_int_equal(parse("GET", "/sessions", NULL), 200);
	assert_int_equal(r.kind, ROUTE_SESSIONS);
	assert_int_equal(parse("GET", "/sessions/42", NULL), 200);
	assert_int_equal(r.kind, ROUTE_SESSION);
	assert_int_equal(r.session_id, 42);
	assert_int_equal(parse("GET", "/history", NULL), 200);
	assert_int_equal(r.kind, ROUTE_HISTORY);
	assert_int_equal(parse("GET", "/api/devices", NULL), 200);
	assert_int_equal(r.kind, ROUTE_API_DEVICES);
	assert_int_equal(parse("GET", "/api/sessions", NULL), 200);
	assert_int_equal(r.kind, ROUTE_API_SESSIONS);
	assert_int_equal(parse("GET", "/api/sessions/7", NULL), 200);
	assert_int_equal(r.kind, ROUTE_API_SESSION);
	assert_int_equal(r.session_id, 7);
	assert_false(r.raw);
	assert_int_equal(parse("POST", "/api/devices/ball_1-a/command", NULL), 200);
	assert_int_equal(r.kind, ROUTE_COMMAND);
	assert_string_equal(r.device, "ball_1-a");
	assert_int_equal(parse("GET", "/api/devices/ball1/weeks", NULL), 200);
	assert_int_equal(r.kind, ROUTE_API_WEEKS);
	assert_string_equal(r.device, "ball1");
	assert_int_equal(parse("HEAD", "/api/devices/roller-2/advice", NULL), 200);
	assert_int_equal(r.kind, ROUTE_API_ADVICE);
	assert_string_equal(r.device, "roller-2");
	assert_int_equal(parse("GET", "/healthz", NULL), 200);
	assert_int_equal(r.kind, ROUTE_HEALTH);
	/* HEAD is GET without the body. */
	assert_int_equal(parse("HEAD", "/sessions/1", NULL), 200);
	assert_int_equal(r.kind, ROUTE_SESSION);
	assert_string_equal(msg, "");
}

static void test_arguments(void **state)
{
	(void)state;
	assert_int_equal(parse("GET", "/sessions", "device", "roller1", "since", "2026-12-07",
			       "until", "2026-12-07 18:30", NULL), 200);
	assert_string_equal(r.device, "roller1");
	assert_true(r.since_ts == 1796601600.0);
	assert_true(r.until_ts == 1796668200.0);
	/* 2028 is a leap year: 2028-02-29 00:00 UTC. */
	assert_int_equal(parse("GET", "/sessions", "since", "2028-02-29", NULL), 200);
	assert_true(r.since_ts == 1835395200.0);
	assert_int_equal(parse("GET", "/api/sessions", "since", "1700000000", NULL), 200);
	assert_true(r.since_ts == 1700000000.0);
	assert_true(isinf(r.until_ts));
	assert_int_equal(parse("GET", "/history", "device", "ball1", NULL), 200);
	assert_string_equal(r.device, "ball1");
	/* A form's empty fields are "not given". */
	assert_int_equal(parse("GET", "/sessions", "device", "", "since", "", "until", "", NULL), 200);
	assert_string_equal(r.device, "");
	assert_true(r.since_ts == 0);
	assert_int_equal(parse("GET", "/api/sessions/9", "raw", "1", NULL), 200);
	assert_true(r.raw);
	assert_int_equal(parse("GET", "/api/sessions/9", "raw", "0", NULL), 200);
	assert_false(r.raw);
}

#define NO_ID " (ids are numbers 1..9007199254740992)"

/* A request without arguments that is refused: status and message. */
struct refusal {
	const char *method, *path;
	int status;
	const char *message;
};

static const struct refusal refusals[] = {
	/* Unknown paths. */
	{ "GET", "/index.html", 404, "no page \"/index.html\"" },
	{ "GET", "/sessions/", 404, "no page \"/sessions/\"" },
	{ "GET", "/api", 404, "no page \"/api\"" },
	{ "GET", "/api/devices/ball1", 404, "no page \"/api/devices/ball1\"" },
	{ "GET", "/healthz/", 404, "no page \"/healthz/\"" },
	{ "GET", "/\xc3\xa9", 404, "no page \"/\\xc3\\xa9\"" },
	{ "POST", "/api/devices/b.1/command", 404,
	  "no such device: \"b.1\" is not a device id ([A-Za-z0-9_-]{1,64})" },
	{ "POST", "/api/devices/x/commands", 404, "no page \"/api/devices/x/commands\"" },
	/* Session ids. */
	{ "GET", "/sessions/0", 404, "no session \"0\"" NO_ID },
	{ "GET", "/sessions/-1", 404, "no session \"-1\"" NO_ID },
	{ "GET", "/sessions/abc", 404, "no session \"abc\"" NO_ID },
	{ "GET", "/api/sessions/9007199254740993", 404, "no session \"9007199254740993\"" NO_ID },
	{ "GET", "/sessions/99999999999999999999", 404, "no session \"99999999999999999999\"" NO_ID },
	{ "GET", "/sessions/007", 404, "no session \"007\"" NO_ID },
	{ "GET", "/sessions/+5", 404, "no session \"+5\"" NO_ID },
	{ "GET", "/sessions/5 ", 404, "no session \"5 \"" NO_ID },
	{ "GET", "/sessions/1/holds", 404, "no session \"1/holds\"" NO_ID },
	/* Nothing is read from disk, but such paths are refused before matching. */
	{ "GET", "/../etc/passwd", 400, "the path contains \"..\"" },
	{ "GET", "/sessions/../../x", 400, "the path contains \"..\"" },
	{ "GET", "//etc/passwd", 400, "the path contains \"//\"" },
	{ "GET", "/api//devices", 400, "the path contains \"//\"" },
	{ "GET", "/a\\b", 400, "the path contains a backslash" },
	{ "GET", "/\\etc\\passwd", 400, "the path contains a backslash" },
	{ "GET", "/%00", 400, "the path contains an encoded NUL (%00)" },
	{ "GET", "/sessions%00/1", 400, "the path contains an encoded NUL (%00)" },
	{ "GET", "/a\nb", 400, "the path contains a control character" },
	{ "GET", "sessions", 400, "the path must start with \"/\"" },
	{ "GET", "", 400, "the path must start with \"/\"" },
	/* Methods, after the path: no page answers no method. */
	{ "PUT", "/nowhere", 404, "no page \"/nowhere\"" },
	{ "DELETE", "/api/sessions/abc", 404, "no session \"abc\"" NO_ID },
	{ "PUT", "/", 405, "method \"PUT\" not allowed here (GET or HEAD)" },
	{ "DELETE", "/api/sessions/1", 405, "method \"DELETE\" not allowed here (GET or HEAD)" },
	{ "get", "/", 405, "method \"get\" not allowed here (GET or HEAD)" },
	{ "PUT", "/api/devices/ball1/command", 405, "method \"PUT\" not allowed here (POST only)" },
	{ "POST", "/sessions", 405, "POST not allowed here (GET or HEAD)" },
	{ "POST", "/", 405, "POST not allowed here (GET or HEAD)" },
	{ "GET", "/api/devices/ball1/command", 405, "GET not allowed here (POST only)" },
	{ "HEAD", "/api/devices/ball1/command", 405, "HEAD not allowed here (POST only)" },
	/* The weeks and the advice: read only, of a device id. */
	{ "POST", "/api/devices/ball1/weeks", 405, "POST not allowed here (GET or HEAD)" },
	{ "POST", "/api/devices/ball1/advice", 405, "POST not allowed here (GET or HEAD)" },
	{ "GET", "/api/devices/b.1/advice", 404,
	  "no such device: \"b.1\" is not a device id ([A-Za-z0-9_-]{1,64})" },
	{ "GET", "/api/devices//weeks", 400, "the path contains \"//\"" },
	{ "GET", "/api/devices/ball1/week", 404, "no page \"/api/devices/ball1/week\"" },
	{ "GET", "/api/devices/ball1/advice/", 404, "no page \"/api/devices/ball1/advice/\"" },
};

static void test_refusals(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(refusals) / sizeof(refusals[0]); i++) {
		const struct refusal *f = &refusals[i];
		int status = route_parse(f->method, f->path, NULL, 0, &r, msg, sizeof(msg));

		if (status != f->status || strcmp(msg, f->message) != 0)
			fail_msg("%s %s: %d \"%s\", expected %d \"%s\"", f->method, f->path, status,
				 msg, f->status, f->message);
	}
}

static void test_session_ids(void **state)
{
	(void)state;
	assert_int_equal(parse("GET", "/sessions/9007199254740992", NULL), 200);
	assert_int_equal(r.session_id, 9007199254740992LL);
	assert_int_equal(parse("GET", "/api/sessions/1", NULL), 200);
	assert_int_equal(r.session_id, 1);
}

static void test_long_paths(void **state)
{
	char path[ROUTE_PATH_MAX + 2];

	(void)state;
	memset(path, 'a', sizeof(path));
	path[0] = '/';
	path[ROUTE_PATH_MAX + 1] = '\0';	/* 257 bytes */
	expect_refused(414, "path longer than 256 bytes", parse("GET", path, NULL));
	path[ROUTE_PATH_MAX] = '\0';		/* 256 bytes: long, but only unknown */
	assert_int_equal(parse("GET", path, NULL), 404);
	assert_memory_equal(msg, "no page \"/aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa...\"", 50);
}

static void test_bad_arguments(void **state)
{
	(void)state;
	expect_refused(400, "unknown argument \"devise\" (known: device, since, until)",
		       parse("GET", "/sessions", "devise", "ball1", NULL));
	expect_refused(400, "unknown argument \"raw\" (known: device, since, until)",
		       parse("GET", "/api/sessions", "raw", "1", NULL));
	expect_refused(400, "unknown argument \"device\" (known: raw)",
		       parse("GET", "/api/sessions/3", "device", "ball1", NULL));
	expect_refused(400, "unknown argument \"x\" (this page takes none)",
		       parse("GET", "/", "x", "", NULL));
	expect_refused(400, "unknown argument \"<b>\" (this page takes none)",
		       parse("GET", "/healthz", "<b>", "1", NULL));
	/* raw belongs to one session's API answer only. */
	expect_refused(400, "unknown argument \"raw\" (this page takes none)",
		       parse("GET", "/api/devices", "raw", "1", NULL));
	expect_refused(400, "unknown argument \"raw\" (this page takes none)",
		       parse("GET", "/", "raw", "0", NULL));
	/* Unix seconds past the year 9999 are no time to show. */
	expect_refused(400, "until: \"1e300\" is not a date (YYYY-MM-DD, \"YYYY-MM-DD HH:MM\" "
		       "or Unix seconds)", parse("GET", "/sessions", "until", "1e300", NULL));
	expect_refused(400, "device: given twice",
		       parse("GET", "/sessions", "device", "a", "device", "b", NULL));
	expect_refused(400, "device: \"../x\" is not a device id ([A-Za-z0-9_-]{1,64})",
		       parse("GET", "/history", "device", "../x", NULL));
	expect_refused(400, "device: \"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa...\" is not a device id "
		       "([A-Za-z0-9_-]{1,64})", parse("GET", "/history", "device",
			"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", NULL));
	expect_refused(400, "since: \"2026-13-01\" is not a date (YYYY-MM-DD, \"YYYY-MM-DD HH:MM\" "
		       "or Unix seconds)", parse("GET", "/sessions", "since", "2026-13-01", NULL));
	/* Days a month does not have are not rolled over into the next. */
	expect_refused(400, "since: \"2026-02-30\" is not a date (YYYY-MM-DD, \"YYYY-MM-DD HH:MM\" "
		       "or Unix seconds)", parse("GET", "/sessions", "since", "2026-02-30", NULL));
	expect_refused(400, "until: \"2026-04-31 10:00\" is not a date (YYYY-MM-DD, \"YYYY-MM-DD "
		       "HH:MM\" or Unix seconds)", parse("GET", "/history", "until", "2026-04-31 10:00",
							 NULL));
	expect_refused(400, "until: \"yesterday\" is not a date (YYYY-MM-DD, \"YYYY-MM-DD HH:MM\" "
		       "or Unix seconds)", parse("GET", "/api/sessions", "until", "yesterday", NULL));
	expect_refused(400, "since is after until",
		       parse("GET", "/sessions", "since", "2026-12-08", "until", "2026-12-07", NULL));
	expect_refused(400, "raw: \"yes\" is not 0 or 1",
		       parse("GET", "/api/sessions/3", "raw", "yes", NULL));
	expect_refused(400, "raw: \"\" is not 0 or 1", parse("GET", "/api/sessions/3", "raw", "", NULL));
}

static void test_too_many_arguments(void **state)
{
	struct route_arg args[ROUTE_ARGS_MAX + 1];

	(void)state;
	for (size_t i = 0; i < ROUTE_ARGS_MAX + 1; i++)
		args[i] = (struct route_arg){ "device", "a" };
	assert_int_equal(route_parse("GET", "/sessions", args, ROUTE_ARGS_MAX + 1, &r, msg,
				     sizeof(msg)), 400);
	assert_string_equal(msg, "more than 16 query arguments");
	/* A short message buffer is cut, never overrun. */
	assert_int_equal(route_parse("GET", "/nothing", NULL, 0, &r, msg, 8), 404);
	assert_string_equal(msg, "no page");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_every_route),
		cmocka_unit_test(test_arguments),
		cmocka_unit_test(test_refusals),
		cmocka_unit_test(test_session_ids),
		cmocka_unit_test(test_long_paths),
		cmocka_unit_test(test_bad_arguments),
		cmocka_unit_test(test_too_many_arguments),
	};

	return cmocka_run_group_tests(tests, setup_utc, NULL);
}
