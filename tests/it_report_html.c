/* rollsense-collector report --html, run as a user runs it: the file it
 * writes (one page, no script, nothing from outside, the stored holds
 * drawn), "-" for stdout, and its errors: a FILE it cannot write (exit 1,
 * the path and the reason) and --html with another format (exit 2). */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "select.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"
#include "store.h"
#include "unit.h"

#define T_0356Z 1795492570.0	/* 2026-11-24T03:56:10Z */

struct fixture {
	char *dir;
	char cfg[256], log[256], bin[256];
};

/* A 120 s session of ball1 with an effective 24.8 s hold and a long 61.0 s
 * one, and the config that points at its database. */
static int setup(void **state)
{
	static const struct detector_summary s = {
		.start_mono_s = 100, .end_mono_s = 220, .duration_s = 120,
		.hold_count = 2, .hold_time_s = 85.8, .holds_stored = 2,
		.holds = { { 110, 24.8, 15, 15, DETECTOR_HOLD_EFFECTIVE },
			   { 150, 61.0, 18, 18, DETECTOR_HOLD_LONG } },
		.max_temperature_c = NAN,
	};
	struct fixture *fx = unit_fixture_new(sizeof(*fx), "it_report_html");
	double hold_ts[2] = { T_0356Z + 10, T_0356Z + 50 };
	char db[300], err[256];
	struct store *st;
	int64_t run_id;
	int rc;

	if (!fx)
		return -1;
	*state = fx;
	snprintf(fx->cfg, sizeof(fx->cfg), "%s/collector.json", fx->dir);
	snprintf(fx->log, sizeof(fx->log), "%s/run.log", fx->dir);
	snprintf(fx->bin, sizeof(fx->bin), "%s", harness_bin("rollsense-collector"));
	snprintf(db, sizeof(db), "%s/collector.db", fx->dir);
	if (harness_write_file(fx->cfg, "{ \"collector\": { \"database\": \"%s\" } }\n", db) < 0)
		return -1;
	st = store_open(db, err, sizeof(err));
	if (!st)
		return -1;
	rc = store_run_id(st, "ball1", "00000000000000a1", &run_id) < 0 ||
	     store_session_insert(st, run_id, &s, T_0356Z, T_0356Z + 120, hold_ts, NULL) < 0;
	store_close(st);
	return rc ? -1 : 0;
}

/* Runs the collector with args after --config; its exit code, and its
 * output (stdout and stderr) malloc'd in *out. */
static int run(struct fixture *fx, const char *const *args, char **out)
{
	char *argv[12] = { fx->bin, "--config", fx->cfg };
	size_t n = 3;
	int status;

	for (; *args && n < 11; args++)
		argv[n++] = (char *)*args;
	remove(fx->log);
	status = harness_run(fx->log, argv, 30);
	*out = harness_read_file(fx->log);
	assert_non_null(*out);
	return status;
}

static size_t count(const char *text, const char *what)
{
	size_t n = 0;

	for (const char *p = text; (p = strstr(p, what)) != NULL; p++)
		n++;
	return n;
}

static void test_writes_one_page(void **state)
{
	struct fixture *fx = *state;
	char path[300], *out, *page;

	snprintf(path, sizeof(path), "%s/report.html", fx->dir);
	assert_int_equal(run(fx, (const char *[]){ "report", "--html", path, NULL }, &out), 0);
	assert_string_equal(out, "");
	free(out);
	page = harness_read_file(path);
	assert_non_null(page);
	assert_int_equal(strncmp(page, "<!DOCTYPE html>", 15), 0);
	assert_null(strstr(page, "<script"));
	assert_null(strstr(page, "http://"));
	assert_null(strstr(page, "https://"));
	assert_null(strstr(page, "<link"));
	assert_int_equal(count(page, "<rect class=\"hold "), 2);
	assert_non_null(strstr(page, "data-class=\"effective\" data-duration=\"24.8\""));
	assert_non_null(strstr(page, "data-class=\"long\" data-duration=\"61.0\""));
	free(page);

	/* "-": the same page on stdout. */
	assert_int_equal(run(fx, (const char *[]){ "report", "--html", "-", "--device", "ball1",
						   NULL }, &out), 0);
	assert_int_equal(strncmp(out, "<!DOCTYPE html>", 15), 0);
	assert_int_equal(count(out, "<rect class=\"hold "), 2);
	free(out);
}

static void test_errors(void **state)
{
	struct fixture *fx = *state;
	char path[300], want[400], *out;

	snprintf(path, sizeof(path), "%s/no-such-folder/report.html", fx->dir);
	assert_int_equal(run(fx, (const char *[]){ "report", "--html", path, NULL }, &out), 1);
	snprintf(want, sizeof(want), "report: --html: %s: No such file or directory\n", path);
	assert_string_equal(out, want);
	free(out);
	assert_int_equal(run(fx, (const char *[]){ "report", "--csv", "--html", path, NULL }, &out),
			 2);
	assert_string_equal(out, "report: --html and --csv exclude each other; give one\n");
	free(out);
}

/* A device the database does not hold: refused before FILE is made. */
static void test_unknown_device_makes_no_file(void **state)
{
	struct fixture *fx = *state;
	char path[300], *out, *page;

	snprintf(path, sizeof(path), "%s/nosuch.html", fx->dir);
	assert_int_equal(run(fx, (const char *[]){ "report", "--html", path, "--device", "nosuch",
						   NULL }, &out), 2);
	assert_non_null(strstr(out, "report: --device: no device \"nosuch\" in "));
	assert_non_null(strstr(out, "; known: ball1\n"));
	free(out);
	page = harness_read_file(path);
	assert_null(page);
}

/* All three read the one database: made once, for the group. */
static const struct CMUnitTest tests[] = {
	cmocka_unit_test(test_writes_one_page),
	cmocka_unit_test(test_errors),
	cmocka_unit_test(test_unknown_device_makes_no_file),
};

int main(void)
{
	tests_select();
	return cmocka_run_group_tests(tests, setup, unit_fixture_teardown);
}
