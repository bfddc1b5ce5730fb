/* Tests for sensord/zone_state.c: the button's next zone, and the state
 * file that keeps the current zone across restarts (what a restart reads
 * back, a damaged file, the atomic replace leaving no temporary behind). */
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
#include "zone_state.h"

static int setup(void **state)
{
	return unit_dir_setup(state, "test_zone_state", "zone");
}

/* Three zones, as a configuration would list them. */
static struct zones_cfg three(void)
{
	struct zones_cfg z = { .n = 3 };

	snprintf(z.zone[0].name, sizeof(z.zone[0].name), "neck");
	snprintf(z.zone[1].name, sizeof(z.zone[1].name), "calf_left");
	snprintf(z.zone[2].name, sizeof(z.zone[2].name), "calf_right");
	return z;
}

/* From none the first; then each next; after the last the first again; a
 * name no longer listed starts over at the first; no list, no zone. */
static void test_next(void **state)
{
	struct zones_cfg z = three(), off = { .n = 0 };

	(void)state;
	assert_string_equal(zone_state_next(&z, ""), "neck");
	assert_string_equal(zone_state_next(&z, "neck"), "calf_left");
	assert_string_equal(zone_state_next(&z, "calf_left"), "calf_right");
	assert_string_equal(zone_state_next(&z, "calf_right"), "neck");
	assert_string_equal(zone_state_next(&z, "hip_left"), "neck");
	assert_null(zone_state_next(&off, ""));
	z.n = 1;
	assert_string_equal(zone_state_next(&z, "neck"), "neck");
}

/* What is saved is what the next start reads; none is saved as none. */
static void test_save_load(void **state)
{
	struct unit_dir *f = *state;
	char zone[ZONE_NAME_MAX + 1] = "junk", why[256] = "", *text;
	char tmp[160];

	/* Never saved: none, and no error. */
	assert_int_equal(zone_state_load(f->path, zone, why, sizeof(why)), 0);
	assert_string_equal(zone, "");
	assert_int_equal(zone_state_save(f->path, "calf_left"), 0);
	text = harness_read_file(f->path);
	assert_string_equal(text, "calf_left\n");
	free(text);
	assert_int_equal(zone_state_load(f->path, zone, why, sizeof(why)), 0);
	assert_string_equal(zone, "calf_left");
	snprintf(tmp, sizeof(tmp), "%s.tmp", f->path);
	assert_int_equal(access(tmp, F_OK), -1);	/* renamed away, not left */
	assert_int_equal(zone_state_save(f->path, ""), 0);
	assert_int_equal(zone_state_load(f->path, zone, why, sizeof(why)), 0);
	assert_string_equal(zone, "");
}

/* A file that holds no zone name is refused with the path in the reason,
 * and the zone is none. */
static void test_load_damaged(void **state)
{
	static const char *const bad[] = { "Calf\n", "calf left\n", "none\n", "a\nb\n",
					   "0123456789012345678901234567890123\n" };
	struct unit_dir *f = *state;
	char zone[ZONE_NAME_MAX + 1], why[256];

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		unit_write_file(f->path, bad[i], 0600);
		snprintf(zone, sizeof(zone), "junk");
		why[0] = '\0';
		assert_int_equal(zone_state_load(f->path, zone, why, sizeof(why)), -1);
		assert_string_equal(zone, "");
		assert_non_null(strstr(why, f->path));
	}
	/* Much longer than a name: not read at all. */
	unit_write_file(f->path, "calf_left calf_left calf_left calf_left calf_left\n", 0600);
	assert_int_equal(zone_state_load(f->path, zone, why, sizeof(why)), -1);
	assert_non_null(strstr(why, "bytes, not a zone name"));
	/* A folder where the file should be: neither read nor replaced. */
	unlink(f->path);
	assert_int_equal(mkdir(f->path, 0700), 0);
	assert_int_equal(zone_state_load(f->path, zone, why, sizeof(why)), -1);
	assert_true(zone_state_save(f->path, "neck") < 0);
	rmdir(f->path);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_next),
		cmocka_unit_test_setup_teardown(test_save_load, setup, unit_fixture_teardown),
		cmocka_unit_test_setup_teardown(test_load_damaged, setup, unit_fixture_teardown),
	};

	tests_select();
	return cmocka_run_group_tests_name("test_zone_state", tests, NULL, NULL);
}
