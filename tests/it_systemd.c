/* Integration: the systemd units in systemd/ as systemd itself judges them,
 * offline; the template rollsense-sensord@.service as its instance
 * rollsense-sensord@ball.service. `systemd-analyze verify` runs against a throw-away root holding
 * the host's units, /bin/kill, the built binaries at /usr/bin and ours, so
 * it checks the ExecStart= paths the units name; `systemd-analyze security
 * --offline=true` gives each unit's exposure, which must be at most 1.5
 * (Debian's systemd-timesyncd: 2.3). A deliberately broken unit and a bare
 * one show that both checks can fail. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "select.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "harness.h"
#include "unit.h"

#define EXPOSURE_MAX 1.5

/* The files in systemd/, and the unit each is checked as. */
static const struct {
	const char *file, *name;
} units[] = {
	{ "rollsense-sensord.service", "rollsense-sensord.service" },
	{ "rollsense-collector.service", "rollsense-collector.service" },
	{ "rollsense-web.service", "rollsense-web.service" },
	{ "rollsense-sensord@.service", "rollsense-sensord@ball.service" },
};
#define N_UNITS (sizeof(units) / sizeof(units[0]))

struct fixture {
	char *dir;		/* first, for unit_fixture_new */
	char root[300];
	char units_dir[340];
};

static void copy(const struct fixture *f, const char *from, const char *to)
{
	char *argv[] = { "/bin/cp", "-r", (char *)from, (char *)to, NULL };
	char log[300];

	snprintf(log, sizeof(log), "%s/cp.log", f->dir);
	assert_int_equal(harness_run(log, argv, 60), 0);
}

static int setup(void **state)
{
	struct fixture *f = unit_fixture_new(sizeof(*f), "it-systemd");
	char path[400], lib[400];

	assert_non_null(f);
	snprintf(f->root, sizeof(f->root), "%s/root", f->dir);
	snprintf(f->units_dir, sizeof(f->units_dir), "%s/usr/lib/systemd/system", f->root);

	/* A merged-/usr root as on Debian 12: /lib -> usr/lib, /bin/kill for
	 * ExecReload=, the host's units so the default dependencies resolve. */
	assert_int_equal(mkdir(f->root, 0755), 0);
	snprintf(path, sizeof(path), "%s/usr", f->root);
	assert_int_equal(mkdir(path, 0755), 0);
	snprintf(path, sizeof(path), "%s/usr/bin", f->root);
	assert_int_equal(mkdir(path, 0755), 0);
	snprintf(path, sizeof(path), "%s/usr/lib", f->root);
	assert_int_equal(mkdir(path, 0755), 0);
	snprintf(path, sizeof(path), "%s/usr/lib/systemd", f->root);
	assert_int_equal(mkdir(path, 0755), 0);
	snprintf(path, sizeof(path), "%s/bin", f->root);
	assert_int_equal(mkdir(path, 0755), 0);
	snprintf(lib, sizeof(lib), "%s/lib", f->root);
	assert_int_equal(symlink("usr/lib", lib), 0);
	copy(f, "/bin/kill", path);
	snprintf(path, sizeof(path), "%s/usr/lib/systemd", f->root);
	copy(f, "/usr/lib/systemd/system", path);
	snprintf(path, sizeof(path), "%s/usr/bin/", f->root);
	copy(f, harness_bin("rollsense-sensord"), path);
	copy(f, harness_bin("rollsense-collector"), path);
	for (size_t i = 0; i < N_UNITS; i++) {
		char src[300];

		snprintf(src, sizeof(src), "systemd/%s", units[i].file);
		copy(f, src, f->units_dir);
	}
	*state = f;
	return 0;
}

static void test_verify_clean(void **state)
{
	struct fixture *f = *state;
	char out[300], root_opt[340], *text;
	char *argv[] = { "/usr/bin/systemd-analyze", "verify", root_opt, (char *)units[0].name,
			 (char *)units[1].name, (char *)units[2].name, (char *)units[3].name, NULL };

	snprintf(out, sizeof(out), "%s/verify.out", f->dir);
	snprintf(root_opt, sizeof(root_opt), "--root=%s", f->root);
	assert_int_equal(harness_run(out, argv, 60), 0);
	text = harness_read_file(out);
	assert_non_null(text);
	if (strstr(text, "rollsense"))
		fail_msg("systemd-analyze verify complains:\n%s", text);
	free(text);
}

/* The same check on a unit with a misspelt key and a missing binary: it
 * must complain, naming the unit (so a clean result above means something). */
static void test_verify_catches_mistakes(void **state)
{
	struct fixture *f = *state;
	char out[300], root_opt[340], path[400], *text;
	char *argv[] = { "/usr/bin/systemd-analyze", "verify", root_opt,
			 "rollsense-broken.service", NULL };

	snprintf(path, sizeof(path), "%s/rollsense-broken.service", f->units_dir);
	assert_int_equal(harness_write_file(path,
					    "[Service]\nType=notify\nWatchdogSecs=10\n"
					    "ExecStart=/usr/bin/rollsense-nothing\n"), 0);
	snprintf(out, sizeof(out), "%s/verify-broken.out", f->dir);
	snprintf(root_opt, sizeof(root_opt), "--root=%s", f->root);
	harness_run(out, argv, 60);
	text = harness_read_file(out);
	assert_non_null(text);
	assert_non_null(strstr(text, "WatchdogSecs"));
	assert_non_null(strstr(text, "/usr/bin/rollsense-nothing"));
	free(text);
	unlink(path);
}

/* "→ Overall exposure level for NAME: 1.4 OK". Returns the figure, or -1. */
static double exposure_of(const struct fixture *f, const char *unit_path, const char *name)
{
	char out[300], needle[200], *text, *at, *end;
	char *argv[] = { "/usr/bin/systemd-analyze", "security", "--offline=true",
			 (char *)unit_path, NULL };
	double v;

	snprintf(out, sizeof(out), "%s/security-%s.out", f->dir, name);
	if (harness_run(out, argv, 60) < 0)
		return -1;
	text = harness_read_file(out);
	if (!text)
		return -1;
	snprintf(needle, sizeof(needle), "Overall exposure level for %s: ", name);
	at = strstr(text, needle);
	if (!at) {
		print_message("%s", text);
		free(text);
		return -1;
	}
	v = strtod(at + strlen(needle), &end);
	if (end == at + strlen(needle))
		v = -1;
	free(text);
	return v;
}

static void test_exposure(void **state)
{
	struct fixture *f = *state;
	char path[400];

	for (size_t i = 0; i < N_UNITS; i++) {
		double v;

		snprintf(path, sizeof(path), "systemd/%s", units[i].file);
		if (strcmp(units[i].file, units[i].name) != 0) {
			/* A template: its instance, a copy named as one. */
			snprintf(path, sizeof(path), "%s/%s", f->dir, units[i].name);
			copy(f, "systemd/rollsense-sensord@.service", path);
		}
		v = exposure_of(f, path, units[i].name);
		print_message("exposure %s: %.1f\n", units[i].name, v);
		assert_true(v >= 0);
		if (v > EXPOSURE_MAX)
			fail_msg("%s: exposure %.1f, more than %.1f", units[i].name, v, EXPOSURE_MAX);
	}
}

/* A unit without hardening scores high: the parse reads a real figure. */
static void test_exposure_of_a_bare_unit(void **state)
{
	struct fixture *f = *state;
	char path[400];
	double v;

	snprintf(path, sizeof(path), "%s/rollsense-bare.service", f->dir);
	assert_int_equal(harness_write_file(path, "[Service]\nExecStart=/usr/bin/rollsense-sensord\n"), 0);
	v = exposure_of(f, path, "rollsense-bare.service");
	print_message("exposure of a bare unit: %.1f\n", v);
	assert_true(v > 5.0);
}

/* The lines of a unit file that are not comments or blank, at most max,
 * pointing into text (which they cut into lines). */
static size_t unit_lines(char *text, char **lines, size_t max)
{
	size_t n = 0;
	char *save = NULL;

	for (char *l = strtok_r(text, "\n", &save); l; l = strtok_r(NULL, "\n", &save))
		if (l[0] != '#' && n < max)
			lines[n++] = l;
	return n;
}

/* The template is the plain unit, line for line, but for what must differ
 * (its header says which): its own file, outbox and description. */
static void test_template_is_the_plain_unit(void **state)
{
	static const char *const own[] = {
		"Description=rollsense sensor daemon for tool %i (/etc/rollsense/%i.json to MQTT)",
		"ConditionPathExists=/etc/rollsense/%i.json",
		"ExecStart=/usr/bin/rollsense-sensord --config /etc/rollsense/%i.json "
		"--state-dir /var/lib/rollsense/%i",
		"StateDirectory=rollsense/%i",
	};
	char *plain = harness_read_file("systemd/rollsense-sensord.service");
	char *tmpl = harness_read_file("systemd/rollsense-sensord@.service");
	char *p[128], *t[128];
	size_t np, nt, differ = 0;

	(void)state;
	assert_non_null(plain);
	assert_non_null(tmpl);
	np = unit_lines(plain, p, 128);
	nt = unit_lines(tmpl, t, 128);
	assert_int_equal(np, nt);
	for (size_t i = 0; i < np; i++) {
		bool allowed = false;

		if (strcmp(p[i], t[i]) == 0)
			continue;
		for (size_t k = 0; k < sizeof(own) / sizeof(own[0]); k++)
			allowed |= strcmp(t[i], own[k]) == 0 &&
				   strncmp(p[i], own[k], strcspn(own[k], "=") + 1) == 0;
		if (!allowed)
			fail_msg("rollsense-sensord@.service differs from rollsense-sensord.service:\n"
				 "  %s\n  %s", t[i], p[i]);
		differ++;
	}
	assert_int_equal(differ, sizeof(own) / sizeof(own[0]));
	free(plain);
	free(tmpl);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_verify_clean),
		cmocka_unit_test(test_verify_catches_mistakes),
		cmocka_unit_test(test_exposure),
		cmocka_unit_test(test_exposure_of_a_bare_unit),
		cmocka_unit_test(test_template_is_the_plain_unit),
	};

	tests_select();
	return cmocka_run_group_tests(tests, setup, unit_fixture_teardown);
}
