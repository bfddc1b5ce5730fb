/* Tests for sensord/zero_state.c: the pressure zeros kept across restarts in
 * <state_dir>/zero. What is saved is what the next start reads, for the same
 * chip and configuration only; the file's text is the one zero_state.h
 * documents; a damaged file is refused with its path and line. */
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
#include <unistd.h>

#include "harness.h"
#include "unit.h"
#include "zero_state.h"

#define BALL "bmp280@/dev/i2c-1:0x76"
#define ROLLER "ads1115@/dev/i2c-1:0x48"

static int setup(void **state)
{
	return unit_dir_setup(state, "test_zero_state", "zero");
}

/* Two chips saved, read back each by its key; the temperature "nan" of a
 * force sensor reads back as NAN; no temporary file is left. */
static void test_save_load(void **state)
{
	struct unit_dir *f = *state;
	struct zero_state_entry e[2] = {
		{ BALL, 0x0123456789abcdefULL, { 101.325, 293.15 } },
		{ ROLLER, 0xfedcba9876543210ULL, { 0.3, NAN } },
	};
	struct gauge_zero z;
	char why[256], tmp[160], *text;

	/* Never saved: none, and no reason to give. */
	assert_int_equal(zero_state_load(f->path, BALL, 1, &z, why, sizeof(why)), 0);
	assert_string_equal(why, "");
	assert_int_equal(zero_state_save(f->path, e, 2), 0);
	text = harness_read_file(f->path);
	assert_string_equal(text, "101.325000 293.1500 0123456789abcdef " BALL "\n"
				  "0.300000 nan fedcba9876543210 " ROLLER "\n");
	free(text);
	snprintf(tmp, sizeof(tmp), "%s.tmp", f->path);
	assert_int_equal(access(tmp, F_OK), -1);

	assert_int_equal(zero_state_load(f->path, BALL, 0x0123456789abcdefULL, &z, why, sizeof(why)), 1);
	assert_true(z.p0_kpa == 101.325 && z.t0_k == 293.15);
	assert_int_equal(zero_state_load(f->path, ROLLER, 0xfedcba9876543210ULL, &z, why, sizeof(why)),
			 1);
	assert_true(z.p0_kpa == 0.3 && isnan(z.t0_k));
	/* Another chip: none. */
	assert_int_equal(zero_state_load(f->path, "bmp280@/dev/i2c-1:0x77", 1, &z, why, sizeof(why)), 0);
	assert_string_equal(why, "");
}

/* The same key under another configuration (another driver's options, the
 * gas law switched): not taken, and said why. */
static void test_other_configuration(void **state)
{
	struct unit_dir *f = *state;
	struct sensor_cfg a = { .driver = "bmp280" }, b = a;
	struct zero_state_entry e = { BALL, 0, { 101.325, 293.15 } };
	struct gauge_zero z = { -1, -1 };
	char why[256];

	b.options[0] = 1;
	assert_true(zero_state_fingerprint(&a, true) != zero_state_fingerprint(&b, true));
	assert_true(zero_state_fingerprint(&a, true) != zero_state_fingerprint(&a, false));
	assert_true(zero_state_fingerprint(&a, true) == zero_state_fingerprint(&a, true));
	e.fingerprint = zero_state_fingerprint(&a, true);
	assert_int_equal(zero_state_save(f->path, &e, 1), 0);
	assert_int_equal(zero_state_load(f->path, BALL, zero_state_fingerprint(&a, false), &z, why,
					 sizeof(why)),
			 0);
	assert_true(z.p0_kpa == -1);
	assert_non_null(strstr(why, "saved for another configuration of " BALL));
	assert_non_null(strstr(why, f->path));
}

/* A damaged line is refused with the file and the line number. */
static void test_load_damaged(void **state)
{
	static const char *const bad[] = {
		"101.3 293.15 0123456789abcdef\n",		/* no key */
		"x 293.15 0123456789abcdef " BALL "\n",
		"101.3 293.15 0123 " BALL "\n",			/* short fingerprint */
		"inf 293.15 0123456789abcdef " BALL "\n",
	};
	struct unit_dir *f = *state;
	struct gauge_zero z;
	char why[256], text[256];

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		snprintf(text, sizeof(text), "0.3 nan fedcba9876543210 %s\n%s", ROLLER, bad[i]);
		unit_write_file(f->path, text, 0600);
		assert_int_equal(zero_state_load(f->path, BALL, 1, &z, why, sizeof(why)), -1);
		assert_non_null(strstr(why, f->path));
		assert_non_null(strstr(why, "line 2:"));
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_save_load, setup, unit_fixture_teardown),
		cmocka_unit_test_setup_teardown(test_other_configuration, setup, unit_fixture_teardown),
		cmocka_unit_test_setup_teardown(test_load_damaged, setup, unit_fixture_teardown),
	};

	tests_select();
	return cmocka_run_group_tests_name("test_zero_state", tests, NULL, NULL);
}
