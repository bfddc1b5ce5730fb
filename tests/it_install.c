/* Integration: `make install DESTDIR=... PREFIX=/usr` as a user or a package
 * build runs it. The installed files are exactly the list below; every
 * installed example configuration passes --check-config with the installed
 * binaries; the simulated example prints a reading with --once, finding its
 * scenario next to it; the units name the installed binaries (a second
 * install under PREFIX=/opt/rollsense shows they follow PREFIX); the
 * sysusers.d file makes the user and the device groups. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "select.h"

#include <ftw.h>
#include <glob.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cJSON.h>

#include "harness.h"
#include "unit.h"

/* What PREFIX=/usr installs, below DESTDIR, besides the docs/ pages and man
 * pages listed after it. Units and udev rules go where Debian 12 keeps them
 * (/lib), sysusers.d where systemd-sysusers reads it. */
static const char *const expected_files[] = {
	"etc/rollsense/rollsense.json.example",
	"lib/systemd/system/rollsense-collector.service",
	"lib/systemd/system/rollsense-sensord.service",
	"lib/systemd/system/rollsense-sensord@.service",
	"lib/systemd/system/rollsense-web.service",
	"lib/udev/rules.d/60-rollsense.rules",
	"usr/bin/rollsense-collector",
	"usr/bin/rollsense-sensord",
	"usr/lib/sysusers.d/rollsense.conf",
	"usr/share/doc/rollsense/README.md",
	"usr/share/doc/rollsense/examples/foam-roller.json",
	"usr/share/doc/rollsense/examples/lacrosse-ball.json",
	"usr/share/doc/rollsense/examples/mosquitto-rollsense.acl",
	"usr/share/doc/rollsense/examples/mosquitto-rollsense.conf",
	"usr/share/doc/rollsense/examples/scenarios/demo.scn",
	"usr/share/doc/rollsense/examples/simulated.json",
};

/* The man pages, each expected once its source is in man/. */
static const struct {
	const char *source;
	const char *installed;
} man_pages[] = {
	{ "man/rollsense-sensord.8", "usr/share/man/man8/rollsense-sensord.8" },
	{ "man/rollsense-collector.8", "usr/share/man/man8/rollsense-collector.8" },
	{ "man/rollsense.json.5", "usr/share/man/man5/rollsense.json.5" },
};

#define MAX_FILES 200

struct fixture {
	char *dir;		/* first, for unit_fixture_new */
	char dest[300];		/* DESTDIR of the PREFIX=/usr install */
	char opt[300];		/* DESTDIR of the PREFIX=/opt/rollsense install */
};

/* Runs argv to its end (at most timeout_s) with its output in log; fails
 * the test, showing that output, unless it exits 0. */
static void run_ok(const char *what, const char *log, char *const argv[], double timeout_s)
{
	int code = harness_run(log, argv, timeout_s);
	char *text;

	if (code == 0)
		return;
	text = harness_read_file(log);
	fail_msg("%s: exit %d:\n%s", what, code, text ? text : "");
	free(text);
}

/* Runs make install DESTDIR=dest PREFIX=prefix from the repository root;
 * fails the test, with make's output, unless it succeeds. */
static void make_install(const struct fixture *f, const char *dest, const char *prefix)
{
	char log[400], destdir[400], prefix_arg[100];
	const char *build = getenv("BUILD");
	char *argv[] = { "/usr/bin/make", "--no-print-directory", "install", destdir, prefix_arg,
			 NULL, NULL };

	snprintf(log, sizeof(log), "%s/make-install.log", f->dir);
	snprintf(destdir, sizeof(destdir), "DESTDIR=%s", dest);
	snprintf(prefix_arg, sizeof(prefix_arg), "PREFIX=%s", prefix);
	/* Under make SANITIZE=1 check the built binaries are build/san's. */
	if (build && strcmp(build, "build/san") == 0)
		argv[5] = "SANITIZE=1";
	run_ok("make install", log, argv, 300);
}

static int setup(void **state)
{
	struct fixture *f = unit_fixture_new(sizeof(*f), "it-install");

	assert_non_null(f);
	/* Run by make check: the outer make's jobserver is not ours. */
	unsetenv("MAKEFLAGS");
	unsetenv("MFLAGS");
	unsetenv("MAKELEVEL");
	snprintf(f->dest, sizeof(f->dest), "%s/dest", f->dir);
	snprintf(f->opt, sizeof(f->opt), "%s/opt", f->dir);
	make_install(f, f->dest, "/usr");
	*state = f;
	return 0;
}

/* ---- the file list ---- */

static char *found[MAX_FILES];
static size_t n_found;
static size_t dest_len;

static int collect(const char *path, const struct stat *st, int type, struct FTW *ftw)
{
	(void)st;
	(void)ftw;
	if (type == FTW_D || type == FTW_DP)
		return 0;
	if (n_found == MAX_FILES)
		return 1;
	found[n_found] = strdup(path + dest_len + 1);
	return found[n_found++] ? 0 : 1;
}

static int by_name(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static bool listed(char *const *list, size_t n, const char *name)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(list[i], name) == 0)
			return true;
	return false;
}

static void test_file_list(void **state)
{
	const struct fixture *f = *state;
	char *expected[MAX_FILES], missing[4000] = "", extra[4000] = "";
	size_t n_expected = 0;
	glob_t docs;
	int rc;

	for (size_t i = 0; i < sizeof(expected_files) / sizeof(expected_files[0]); i++)
		expected[n_expected++] = strdup(expected_files[i]);
	/* Every page and picture of docs/ goes to the documentation's docs/
	 * folder, where README.md's links find them. */
	assert_int_equal(glob("docs/*.md", 0, NULL, &docs), 0);
	rc = glob("docs/*.svg", GLOB_APPEND, NULL, &docs);
	assert_true(rc == 0 || rc == GLOB_NOMATCH);
	/* The page's screenshots, in docs/img/ (the README shows them). */
	rc = glob("docs/img/*.png", GLOB_APPEND, NULL, &docs);
	assert_true(rc == 0 || rc == GLOB_NOMATCH);
	for (size_t i = 0; i < docs.gl_pathc; i++) {
		char path[300];

		snprintf(path, sizeof(path), "usr/share/doc/rollsense/%s", docs.gl_pathv[i]);
		expected[n_expected++] = strdup(path);
	}
	globfree(&docs);
	for (size_t i = 0; i < sizeof(man_pages) / sizeof(man_pages[0]); i++)
		if (access(man_pages[i].source, F_OK) == 0)
			expected[n_expected++] = strdup(man_pages[i].installed);

	n_found = 0;
	dest_len = strlen(f->dest);
	assert_int_equal(nftw(f->dest, collect, 16, FTW_PHYS), 0);
	qsort(found, n_found, sizeof(found[0]), by_name);
	for (size_t i = 0; i < n_expected; i++)
		if (!listed(found, n_found, expected[i]))
			snprintf(missing + strlen(missing), sizeof(missing) - strlen(missing), "  %s\n",
				 expected[i]);
	for (size_t i = 0; i < n_found; i++)
		if (!listed(expected, n_expected, found[i]))
			snprintf(extra + strlen(extra), sizeof(extra) - strlen(extra), "  %s\n", found[i]);
	for (size_t i = 0; i < n_found; i++)
		free(found[i]);
	for (size_t i = 0; i < n_expected; i++)
		free(expected[i]);
	if (missing[0] || extra[0])
		fail_msg("make install: missing:\n%sunexpected:\n%s", missing, extra);
}

static void test_binaries_executable(void **state)
{
	const struct fixture *f = *state;
	const char *const bins[] = { "rollsense-sensord", "rollsense-collector" };

	for (size_t i = 0; i < 2; i++) {
		char path[400];
		struct stat st;

		snprintf(path, sizeof(path), "%s/usr/bin/%s", f->dest, bins[i]);
		assert_int_equal(stat(path, &st), 0);
		assert_int_equal(st.st_mode & 07777, 0755);
	}
}

/* ---- the examples, run by the installed binaries ---- */

struct run_result {
	int status;	/* exit code, or -1 */
	char *out;	/* stdout and stderr together */
};

static struct run_result run(const struct fixture *f, char *const argv[])
{
	struct run_result r;
	char log[400];

	snprintf(log, sizeof(log), "%s/run.log", f->dir);
	remove(log);
	r.status = harness_run(log, argv, 30);
	r.out = harness_read_file(log);
	assert_non_null(r.out);
	return r;
}

/* Both daemons accept the configuration at path: "PATH: configuration is
 * valid", exit 0. */
static void check_config(const struct fixture *f, const char *path)
{
	const char *const daemons[] = { "rollsense-sensord", "rollsense-collector" };

	for (size_t i = 0; i < 2; i++) {
		char bin[400], want[600];
		char *argv[] = { bin, "--config", (char *)path, "--check-config", NULL };
		struct run_result r;

		snprintf(bin, sizeof(bin), "%s/usr/bin/%s", f->dest, daemons[i]);
		snprintf(want, sizeof(want), "%s: configuration is valid", path);
		r = run(f, argv);
		if (r.status != 0 || !strstr(r.out, want))
			fail_msg("%s --check-config %s: exit %d:\n%s", daemons[i], path, r.status, r.out);
		free(r.out);
	}
}

static void test_examples_check_config(void **state)
{
	const struct fixture *f = *state;
	char pattern[400], path[400];
	glob_t g;

	snprintf(pattern, sizeof(pattern), "%s/usr/share/doc/rollsense/examples/*.json", f->dest);
	assert_int_equal(glob(pattern, 0, NULL, &g), 0);
	/* foam-roller, lacrosse-ball, simulated */
	assert_int_equal(g.gl_pathc, 3);
	for (size_t i = 0; i < g.gl_pathc; i++)
		check_config(f, g.gl_pathv[i]);
	globfree(&g);
	snprintf(path, sizeof(path), "%s/etc/rollsense/rollsense.json.example", f->dest);
	check_config(f, path);
}

/* The simulated example plays scenarios/demo.scn beside it: at 0 s the ball
 * is at rest (the gauge, tared on this sample, reads 0) at 22 °C, the pad
 * at 24 °C. Run from / so that no scenarios/ folder of the working
 * directory can stand in for the installed one. */
static void test_simulated_once(void **state)
{
	const struct fixture *f = *state;
	char bin[400], cfg[400], log[400];
	char *argv[] = { "/bin/sh", "-c", "cd / && exec \"$0\" --config \"$1\" --once", bin, cfg, NULL };
	char *out;
	cJSON *j, *ball;
	int status;

	snprintf(bin, sizeof(bin), "%s/usr/bin/rollsense-sensord", f->dest);
	snprintf(cfg, sizeof(cfg), "%s/usr/share/doc/rollsense/examples/simulated.json", f->dest);
	snprintf(log, sizeof(log), "%s/once.log", f->dir);
	status = harness_run(log, argv, 30);
	out = harness_read_file(log);
	assert_non_null(out);
	if (status != 0)
		fail_msg("--once on the installed simulated.json: exit %d:\n%s", status, out);
	j = cJSON_Parse(strchr(out, '{'));
	if (!j)
		fail_msg("not a reading: %s", out);
	assert_true(fabs(cJSON_GetObjectItem(j, "pressure_kpa")->valuedouble) < 0.01);
	/* MCP9808 at 0.0625 °C steps. */
	assert_true(fabs(cJSON_GetObjectItem(j, "temperature_c")->valuedouble - 24.0) < 0.07);
	ball = cJSON_GetObjectItem(cJSON_GetObjectItem(j, "sensors"), "bmp280@sim:0x76");
	assert_non_null(ball);
	assert_true(fabs(cJSON_GetObjectItem(ball, "temperature_c")->valuedouble - 22.0) < 0.02);
	cJSON_Delete(j);
	free(out);
}

/* The same run without the scenario fails and names it: the check above
 * would notice an install that leaves it out. (Last: it removes a file.) */
static void test_simulated_once_without_scenario(void **state)
{
	const struct fixture *f = *state;
	char bin[400], cfg[400], scn[400];
	char *argv[] = { bin, "--config", cfg, "--once", NULL };
	struct run_result r;

	snprintf(bin, sizeof(bin), "%s/usr/bin/rollsense-sensord", f->dest);
	snprintf(cfg, sizeof(cfg), "%s/usr/share/doc/rollsense/examples/simulated.json", f->dest);
	snprintf(scn, sizeof(scn), "%s/usr/share/doc/rollsense/examples/scenarios/demo.scn", f->dest);
	assert_int_equal(unlink(scn), 0);
	r = run(f, argv);
	assert_int_not_equal(r.status, 0);
	if (!strstr(r.out, "scenarios/demo.scn") || !strstr(r.out, "No such file or directory"))
		fail_msg("no word of the missing scenario:\n%s", r.out);
	free(r.out);
}

/* ---- the units ---- */

/* The unit's text has the line, whole. */
static void expect_line(const char *unit_path, const char *line)
{
	char *text = harness_read_file(unit_path);
	const char *at;
	size_t len = strlen(line);

	assert_non_null(text);
	for (at = strstr(text, line); at; at = strstr(at + 1, line))
		if ((at == text || at[-1] == '\n') && (at[len] == '\n' || at[len] == '\0'))
			break;
	if (!at)
		fail_msg("%s: no line \"%s\"", unit_path, line);
	free(text);
}

static void test_units_name_installed_binaries(void **state)
{
	const struct fixture *f = *state;
	char path[400];

	snprintf(path, sizeof(path), "%s/lib/systemd/system/rollsense-sensord.service", f->dest);
	expect_line(path, "ExecStart=/usr/bin/rollsense-sensord --config /etc/rollsense/rollsense.json");
	expect_line(path, "ConditionPathExists=/etc/rollsense/rollsense.json");
	snprintf(path, sizeof(path), "%s/lib/systemd/system/rollsense-sensord@.service", f->dest);
	expect_line(path, "ExecStart=/usr/bin/rollsense-sensord --config /etc/rollsense/%i.json "
			  "--state-dir /var/lib/rollsense/%i");
	expect_line(path, "ConditionPathExists=/etc/rollsense/%i.json");
	expect_line(path, "Documentation=file:///usr/share/doc/rollsense/README.md");
	snprintf(path, sizeof(path), "%s/lib/systemd/system/rollsense-collector.service", f->dest);
	expect_line(path, "ExecStart=/usr/bin/rollsense-collector --config /etc/rollsense/rollsense.json");
	expect_line(path, "ConditionPathExists=/etc/rollsense/rollsense.json");
	expect_line(path, "Documentation=file:///usr/share/doc/rollsense/README.md");
	snprintf(path, sizeof(path), "%s/lib/systemd/system/rollsense-web.service", f->dest);
	expect_line(path, "ExecStart=/usr/bin/rollsense-collector --config /etc/rollsense/rollsense.json serve");
	expect_line(path, "ConditionPathExists=/etc/rollsense/rollsense.json");
}

static void test_units_follow_prefix(void **state)
{
	const struct fixture *f = *state;
	char path[400];

	make_install(f, f->opt, "/opt/rollsense");
	snprintf(path, sizeof(path), "%s/opt/rollsense/bin/rollsense-sensord", f->opt);
	assert_int_equal(access(path, X_OK), 0);
	snprintf(path, sizeof(path), "%s/opt/rollsense/share/doc/rollsense/examples/scenarios/demo.scn", f->opt);
	assert_int_equal(access(path, R_OK), 0);
	snprintf(path, sizeof(path), "%s/lib/systemd/system/rollsense-sensord.service", f->opt);
	expect_line(path, "ExecStart=/opt/rollsense/bin/rollsense-sensord --config /etc/rollsense/rollsense.json");
	snprintf(path, sizeof(path), "%s/lib/systemd/system/rollsense-sensord@.service", f->opt);
	expect_line(path, "ExecStart=/opt/rollsense/bin/rollsense-sensord --config /etc/rollsense/%i.json "
			  "--state-dir /var/lib/rollsense/%i");
	expect_line(path, "Documentation=file:///opt/rollsense/share/doc/rollsense/README.md");
	snprintf(path, sizeof(path), "%s/lib/systemd/system/rollsense-collector.service", f->opt);
	expect_line(path, "ExecStart=/opt/rollsense/bin/rollsense-collector --config /etc/rollsense/rollsense.json");
	expect_line(path, "Documentation=file:///opt/rollsense/share/doc/rollsense/README.md");
	snprintf(path, sizeof(path), "%s/lib/systemd/system/rollsense-web.service", f->opt);
	expect_line(path, "ExecStart=/opt/rollsense/bin/rollsense-collector --config /etc/rollsense/rollsense.json serve");
}

/* ---- the user and the groups ---- */

/* root/etc/<file> has a line that starts with prefix and ends with suffix. */
static void expect_entry(const char *root, const char *file, const char *prefix, const char *suffix)
{
	char path[500], *text;
	const char *at;
	size_t len;

	snprintf(path, sizeof(path), "%s/etc/%s", root, file);
	text = harness_read_file(path);
	assert_non_null(text);
	for (at = text; at; at = strchr(at, '\n') ? strchr(at, '\n') + 1 : NULL)
		if (strncmp(at, prefix, strlen(prefix)) == 0)
			break;
	if (!at)
		fail_msg("%s: no line starting \"%s\":\n%s", path, prefix, text);
	len = strcspn(at, "\n");
	if (len < strlen(suffix) || strncmp(at + len - strlen(suffix), suffix, strlen(suffix)) != 0)
		fail_msg("%s: \"%.*s\" does not end in \"%s\"", path, (int)len, at, suffix);
	free(text);
}

/* systemd-sysusers on an empty root with only the installed file: the user
 * (no login shell, home the state folder) and the i2c and gpio groups, the
 * user in both. */
/* Runs systemd-sysusers on the empty root f->dir/NAME holding only the
 * sysusers.d file src. */
static void sysusers_root(const struct fixture *f, const char *name, const char *src, char *root,
			  size_t root_len)
{
	char cmd[2000], log[400], root_opt[420];
	char *argv[] = { "/usr/bin/systemd-sysusers", root_opt, NULL };

	snprintf(root, root_len, "%s/%s", f->dir, name);
	snprintf(cmd, sizeof(cmd), "mkdir -p %s/usr/lib/sysusers.d %s/etc && "
		 "cp %s %s/usr/lib/sysusers.d/rollsense.conf", root, root, src, root);
	assert_int_equal(system(cmd), 0);
	snprintf(root_opt, sizeof(root_opt), "--root=%s", root);
	snprintf(log, sizeof(log), "%s/%s.log", f->dir, name);
	run_ok("systemd-sysusers", log, argv, 30);
}

static void test_sysusers_makes_user_and_groups(void **state)
{
	const struct fixture *f = *state;
	char root[400], src[400];

	snprintf(src, sizeof(src), "%s/usr/lib/sysusers.d/rollsense.conf", f->dest);
	sysusers_root(f, "sysroot", src, root, sizeof(root));
	expect_entry(root, "passwd", "rollsense:x:", ":rollsense daemons:/var/lib/rollsense:/usr/sbin/nologin");
	/* The group the README's steps give the configuration to. */
	expect_entry(root, "group", "rollsense:x:", ":");
	expect_entry(root, "group", "i2c:x:", ":rollsense");
	expect_entry(root, "group", "gpio:x:", ":rollsense");
}

/* A collector-only machine: the rollsense-collector package's own file
 * (debian/) makes the user and its group, and no device group. */
static void test_collector_sysusers_alone(void **state)
{
	const struct fixture *f = *state;
	char root[400], path[460];
	char *group;

	sysusers_root(f, "collector-root", "debian/rollsense-collector.sysusers", root, sizeof(root));
	expect_entry(root, "passwd", "rollsense:x:", ":rollsense daemons:/var/lib/rollsense:/usr/sbin/nologin");
	expect_entry(root, "group", "rollsense:x:", ":");
	snprintf(path, sizeof(path), "%s/etc/group", root);
	group = harness_read_file(path);
	assert_non_null(group);
	assert_null(strstr(group, "i2c:"));
	assert_null(strstr(group, "gpio:"));
	free(group);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_file_list),
		cmocka_unit_test(test_binaries_executable),
		cmocka_unit_test(test_examples_check_config),
		cmocka_unit_test(test_simulated_once),
		cmocka_unit_test(test_units_name_installed_binaries),
		cmocka_unit_test(test_units_follow_prefix),
		cmocka_unit_test(test_sysusers_makes_user_and_groups),
		cmocka_unit_test(test_collector_sysusers_alone),
		cmocka_unit_test(test_simulated_once_without_scenario),
	};

	tests_select();
	return cmocka_run_group_tests(tests, setup, unit_fixture_teardown);
}
