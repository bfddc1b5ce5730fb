/* MQTT topics (common/topic.c): the shapes of docs/protocol.md's topic table. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "select.h"

#include <string.h>

#include "topic.h"

static void test_build(void **state)
{
	char buf[64];

	(void)state;
	assert_int_equal(topic_build(buf, sizeof(buf), "rollsense", "roller1", "reading"),
			 (int)strlen("rollsense/roller1/reading"));
	assert_string_equal(buf, "rollsense/roller1/reading");

	assert_int_equal(topic_build(buf, sizeof(buf), "home/rollsense", "ball_2", "ack"),
			 (int)strlen("home/rollsense/ball_2/ack"));
	assert_string_equal(buf, "home/rollsense/ball_2/ack");

	/* The collector's subscription filter is built the same way. */
	assert_int_equal(topic_build(buf, sizeof(buf), "rollsense", "+", "reading"), 19);
	assert_string_equal(buf, "rollsense/+/reading");
}

/* "rollsense/roller1/status" is 24 characters: it needs 25 bytes. */
static void test_build_does_not_fit(void **state)
{
	char buf[25];

	(void)state;
	assert_int_equal(topic_build(buf, 25, "rollsense", "roller1", "status"), 24);
	assert_string_equal(buf, "rollsense/roller1/status");
	assert_int_equal(topic_build(buf, 24, "rollsense", "roller1", "status"), -1);
	assert_string_equal(buf, "");
	assert_int_equal(topic_build(buf, 0, "rollsense", "roller1", "status"), -1);
}

/* The collector's status: under the prefix, and never a device's topic
 * (no device level), so the ingest's parser refuses it. */
static void test_collector_build(void **state)
{
	char buf[32], device[65], kind[32];

	(void)state;
	assert_int_equal(topic_collector_build(buf, sizeof(buf), "rollsense"), 19);
	assert_string_equal(buf, "rollsense/collector");
	assert_int_equal(topic_collector_build(buf, sizeof(buf), "home/rs"), 17);
	assert_string_equal(buf, "home/rs/collector");
	assert_int_equal(topic_parse(buf, "home/rs", device, sizeof(device), kind, sizeof(kind)), -1);
	assert_int_equal(topic_collector_build(buf, 19, "rollsense"), -1);
	assert_string_equal(buf, "");
}

static void test_parse(void **state)
{
	char device[65], kind[16];

	(void)state;
	assert_int_equal(topic_parse("rollsense/roller1/reading", "rollsense",
				     device, sizeof(device), kind, sizeof(kind)), 0);
	assert_string_equal(device, "roller1");
	assert_string_equal(kind, "reading");

	assert_int_equal(topic_parse("home/rollsense/Ball-2_x/session", "home/rollsense",
				     device, sizeof(device), kind, sizeof(kind)), 0);
	assert_string_equal(device, "Ball-2_x");
	assert_string_equal(kind, "session");
}

/* Round trip: what build writes, parse reads back. */
static void test_build_parse_round_trip(void **state)
{
	char topic[128], device[65], kind[16];

	(void)state;
	assert_true(topic_build(topic, sizeof(topic), "a/b/c", "dev-9", "event") > 0);
	assert_int_equal(topic_parse(topic, "a/b/c", device, sizeof(device), kind, sizeof(kind)), 0);
	assert_string_equal(device, "dev-9");
	assert_string_equal(kind, "event");
}

static void test_parse_wrong_shape(void **state)
{
	char device[65], kind[16];
	static const char *const bad[] = {
		"other/roller1/reading",		/* wrong prefix */
		"rollsensex/roller1/reading",		/* prefix only as a substring */
		"rollsense",				/* prefix alone */
		"rollsense/",
		"rollsense/roller1",			/* no kind */
		"rollsense/roller1/",			/* empty kind */
		"rollsense/roller1/reading/extra",	/* extra level */
		"rollsense//reading",			/* empty device */
		"home/rollsense/roller1/reading",	/* prefix in the wrong place */
		"rollsense/roller1/+",
		"rollsense/roller1/#",
	};

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		strcpy(device, "untouched");
		assert_int_equal(topic_parse(bad[i], "rollsense", device, sizeof(device),
					     kind, sizeof(kind)), -1);
		assert_string_equal(device, "untouched");
	}
	/* "home" as prefix: "rollsense" would be the device, leaving two levels. */
	assert_int_equal(topic_parse("home/rollsense/roller1/reading", "home", device,
				     sizeof(device), kind, sizeof(kind)), -1);
}

static void test_parse_invalid_device(void **state)
{
	char device[128], kind[16], topic[256];
	char id64[65], id65[66];
	static const char *const bad[] = {
		"rollsense/+/reading",
		"rollsense/#/reading",
		"rollsense/roll er/reading",
		"rollsense/roll.er/reading",
		"rollsense/rollé/reading",
	};

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_int_equal(topic_parse(bad[i], "rollsense", device, sizeof(device),
					     kind, sizeof(kind)), -1);

	/* 64 characters are allowed, 65 are not. */
	memset(id64, 'a', 64);
	id64[64] = '\0';
	memset(id65, 'a', 65);
	id65[65] = '\0';
	assert_true(topic_build(topic, sizeof(topic), "rollsense", id64, "reading") > 0);
	assert_int_equal(topic_parse(topic, "rollsense", device, sizeof(device), kind, sizeof(kind)), 0);
	assert_string_equal(device, id64);
	assert_true(topic_build(topic, sizeof(topic), "rollsense", id65, "reading") > 0);
	assert_int_equal(topic_parse(topic, "rollsense", device, sizeof(device), kind, sizeof(kind)), -1);
}

/* Out buffers too small for a part: refused, not cut. */
static void test_parse_does_not_fit(void **state)
{
	char device[8], kind[8];

	(void)state;
	/* "roller1" + NUL = 8 bytes fits; "roller12" does not. */
	assert_int_equal(topic_parse("rollsense/roller1/reading", "rollsense",
				     device, sizeof(device), kind, sizeof(kind)), 0);
	assert_int_equal(topic_parse("rollsense/roller12/reading", "rollsense",
				     device, sizeof(device), kind, sizeof(kind)), -1);
	/* "session" + NUL = 8 fits, "sessions" does not. */
	assert_int_equal(topic_parse("rollsense/r/sessions", "rollsense",
				     device, sizeof(device), kind, sizeof(kind)), -1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_build),
		cmocka_unit_test(test_build_does_not_fit),
		cmocka_unit_test(test_collector_build),
		cmocka_unit_test(test_parse),
		cmocka_unit_test(test_build_parse_round_trip),
		cmocka_unit_test(test_parse_wrong_shape),
		cmocka_unit_test(test_parse_invalid_device),
		cmocka_unit_test(test_parse_does_not_fit),
	};

	tests_select();
	return cmocka_run_group_tests(tests, NULL, NULL);
}
