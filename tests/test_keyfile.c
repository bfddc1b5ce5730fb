/* Tests of common/keyfile.c: which key files pass, and the exact message for
 * each that does not (what is wrong and the command that fixes it). Files
 * are made in a private folder under /tmp; the cases that need another owner
 * or another group need root and are skipped, saying so, without it. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "select.h"

#include <errno.h>
#include <grp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "keyfile.h"
#include "unit.h"

struct tmp {
	char *dir;		/* first: the fresh folder */
	char key[128];		/* dir/key.pem, made by each test */
	char group[64];		/* the group new files get here (the effective gid's) */
};

static char err[1024];
static char expected[1024];

static int tmp_setup(void **state)
{
	struct group *gr = getgrgid(getegid());
	struct tmp *t = gr ? unit_fixture_new(sizeof(*t), "test_keyfile") : NULL;

	*state = t;
	if (t == NULL)
		return -1;
	snprintf(t->key, sizeof(t->key), "%s/key.pem", t->dir);
	snprintf(t->group, sizeof(t->group), "%s", gr->gr_name);
	return 0;
}

/* A key file with mode set by chmod (not the umask). */
static void key_write(const char *path, mode_t mode)
{
	unit_write_file(path, "-----BEGIN PRIVATE KEY-----\n", mode);
}

static void expect_ok(const char *path, const char *group)
{
	err[0] = '\0';
	if (keyfile_check(path, group, err, sizeof(err)) != 0)
		fail_msg("refused %s (group %s): %s", path, group ? group : "none", err);
}

static void expect_refused(const char *path, const char *group)
{
	err[0] = '\0';
	assert_int_equal(keyfile_check(path, group, err, sizeof(err)), -1);
	assert_string_equal(err, expected);
}

static void test_owner_only(void **state)
{
	struct tmp *t = *state;

	key_write(t->key, 0600);
	expect_ok(t->key, NULL);
	expect_ok(t->key, "");
	key_write(t->key, 0400);
	expect_ok(t->key, NULL);
	/* A group named changes nothing for a key its group cannot read. */
	expect_ok(t->key, t->group);
}

static void test_group_readable(void **state)
{
	struct tmp *t = *state;

	key_write(t->key, 0640);
	snprintf(expected, sizeof(expected), "%s is readable by its group %s (mode 0640); chmod 600 "
		 "%s, or name that group in mqtt.tls.key_group if its members must read the key",
		 t->key, t->group, t->key);
	expect_refused(t->key, NULL);
	/* With the group named: its members may read it. */
	expect_ok(t->key, t->group);
}

static void test_group_writable(void **state)
{
	struct tmp *t = *state;

	key_write(t->key, 0620);
	snprintf(expected, sizeof(expected), "%s is writable by its group (mode 0620); chmod 640 %s",
		 t->key, t->key);
	expect_refused(t->key, t->group);
	key_write(t->key, 0610);
	snprintf(expected, sizeof(expected), "%s is executable by its group (mode 0610); chmod 640 %s",
		 t->key, t->key);
	expect_refused(t->key, t->group);
	key_write(t->key, 0660);
	snprintf(expected, sizeof(expected), "%s is readable and writable by its group %s (mode "
		 "0660); chmod 600 %s, or name that group in mqtt.tls.key_group if its members must "
		 "read the key", t->key, t->group, t->key);
	expect_refused(t->key, NULL);
}

static void test_others(void **state)
{
	struct tmp *t = *state;

	key_write(t->key, 0604);
	snprintf(expected, sizeof(expected), "%s is readable by others (mode 0604); chmod 600 %s",
		 t->key, t->key);
	expect_refused(t->key, NULL);
	expect_refused(t->key, t->group);
	key_write(t->key, 0644);
	snprintf(expected, sizeof(expected), "%s is readable by others (mode 0644); chmod 600 %s",
		 t->key, t->key);
	expect_refused(t->key, NULL);
	/* Group-readable is fine with the group named: only others go. */
	snprintf(expected, sizeof(expected), "%s is readable by others (mode 0644); chmod 640 %s",
		 t->key, t->key);
	expect_refused(t->key, t->group);
	key_write(t->key, 0602);
	snprintf(expected, sizeof(expected), "%s is writable by others (mode 0602); chmod 600 %s",
		 t->key, t->key);
	expect_refused(t->key, NULL);
	key_write(t->key, 0666);
	snprintf(expected, sizeof(expected), "%s is readable and writable by others (mode 0666); "
		 "chmod 600 %s", t->key, t->key);
	expect_refused(t->key, NULL);
}

/* Not a file to read a key from. */
static void test_not_a_file(void **state)
{
	struct tmp *t = *state;
	char path[160];

	snprintf(expected, sizeof(expected), "%s is a folder; it must name the key file itself",
		 t->dir);
	expect_refused(t->dir, NULL);

	snprintf(path, sizeof(path), "%s/fifo", t->dir);
	assert_int_equal(mkfifo(path, 0600), 0);
	snprintf(expected, sizeof(expected), "%s is a FIFO; it must name the key file itself", path);
	expect_refused(path, NULL);	/* and does not hang */

	snprintf(path, sizeof(path), "%s/missing.pem", t->dir);
	snprintf(expected, sizeof(expected), "cannot open %s: No such file or directory", path);
	expect_refused(path, NULL);
}

/* A symbolic link is followed, as OpenSSL follows it: the file it leads to
 * decides, and the fix (chmod follows links too) applies to it. */
static void test_symlink(void **state)
{
	struct tmp *t = *state;
	char link[160], dangling[160];

	key_write(t->key, 0600);
	snprintf(link, sizeof(link), "%s/link.pem", t->dir);
	assert_int_equal(symlink(t->key, link), 0);
	expect_ok(link, NULL);

	assert_int_equal(chmod(t->key, 0644), 0);
	snprintf(expected, sizeof(expected), "%s is readable by others (mode 0644); chmod 600 %s",
		 link, link);
	expect_refused(link, NULL);

	snprintf(dangling, sizeof(dangling), "%s/dangling.pem", t->dir);
	assert_int_equal(symlink("nowhere.pem", dangling), 0);
	snprintf(expected, sizeof(expected), "cannot open %s: No such file or directory", dangling);
	expect_refused(dangling, NULL);
}

static void test_unknown_group(void **state)
{
	struct tmp *t = *state;
	gid_t gid = 12345;

	key_write(t->key, 0600);
	snprintf(expected, sizeof(expected), "mqtt.tls.key_group names \"rollsense-no-such-group\", "
		 "and there is no such group");
	expect_refused(t->key, "rollsense-no-such-group");
	assert_int_equal(keyfile_group_lookup("rollsense-no-such-group", &gid), -ENOENT);
	assert_int_equal(gid, 12345);	/* untouched */
	assert_int_equal(keyfile_group_lookup(t->group, &gid), 0);
	assert_int_equal(gid, getegid());
}

/* Root only: a key of another user, and one readable by a group other than
 * the one named. */
static void test_owner_and_group_root(void **state)
{
	struct tmp *t = *state;
	struct group *other;

	if (geteuid() != 0) {
		print_message("skipped: chown needs root\n");
		skip();
	}
	/* uid 12345: nobody's, so it shows as a number. */
	key_write(t->key, 0600);
	assert_int_equal(chown(t->key, 12345, (gid_t)-1), 0);
	snprintf(expected, sizeof(expected), "%s is owned by uid 12345, neither by this process's "
		 "user (root) nor by root; chown root %s", t->key, t->key);
	expect_refused(t->key, NULL);

	/* Owned by root: always fine for the owner part. */
	assert_int_equal(chown(t->key, 0, (gid_t)-1), 0);
	other = getgrnam("daemon");
	if (other == NULL || other->gr_gid == getegid()) {
		print_message("skipped the group case: no group \"daemon\" apart from ours\n");
		return;
	}
	assert_int_equal(chmod(t->key, 0640), 0);
	snprintf(expected, sizeof(expected), "%s is readable by its group %s, which is not "
		 "mqtt.tls.key_group (daemon); chgrp daemon %s, or chmod 600 %s", t->key, t->group,
		 t->key, t->key);
	expect_refused(t->key, "daemon");
	assert_int_equal(chown(t->key, (uid_t)-1, other->gr_gid), 0);
	expect_ok(t->key, "daemon");
}

/* Every test gets a fresh folder. */
#define TMP_TEST(fn) cmocka_unit_test_setup_teardown(fn, tmp_setup, unit_fixture_teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		TMP_TEST(test_owner_only),
		TMP_TEST(test_group_readable),
		TMP_TEST(test_group_writable),
		TMP_TEST(test_others),
		TMP_TEST(test_not_a_file),
		TMP_TEST(test_symlink),
		TMP_TEST(test_unknown_group),
		TMP_TEST(test_owner_and_group_root),
	};

	tests_select();
	return cmocka_run_group_tests(tests, NULL, NULL);
}
