/* Tests for common/command.c: what sensord's command topic accepts (the
 * plain tare, the JSON tare, setting and clearing the zone) and what it
 * refuses, each with the reason a person reads in the log. The formats are
 * docs/protocol.md's, written out here by hand. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "select.h"

#include <stdio.h>
#include <string.h>

#include "command.h"

static struct zones_cfg two(void)
{
	struct zones_cfg z = { .n = 2 };

	snprintf(z.zone[0].name, sizeof(z.zone[0].name), "neck");
	snprintf(z.zone[1].name, sizeof(z.zone[1].name), "calf_left");
	return z;
}

static int parse(const char *payload, const struct zones_cfg *z, struct command *c, char *why)
{
	return command_parse(payload, strlen(payload), z, c, why, 160);
}

static void test_accepted(void **state)
{
	struct zones_cfg z = two();
	struct command c;
	char why[160];

	(void)state;
	assert_int_equal(parse("tare", &z, &c, why), 0);
	assert_int_equal(c.kind, COMMAND_TARE);
	assert_int_equal(parse("{\"command\":\"tare\"}", &z, &c, why), 0);
	assert_int_equal(c.kind, COMMAND_TARE);
	assert_int_equal(parse(" { \"zone\" : \"calf_left\" } ", &z, &c, why), 0);
	assert_int_equal(c.kind, COMMAND_ZONE);
	assert_string_equal(c.zone, "calf_left");
	assert_int_equal(parse("{\"zone\":\"none\"}", &z, &c, why), 0);
	assert_int_equal(c.kind, COMMAND_ZONE);
	assert_string_equal(c.zone, "");
	assert_int_equal(parse("{\"zone\":null}", &z, &c, why), 0);
	assert_int_equal(c.kind, COMMAND_ZONE);
	assert_string_equal(c.zone, "");
}

/* Each refusal and the words its reason must contain. */
static void test_refused(void **state)
{
	static const char *const cases[][2] = {
		{ "", "empty" },
		{ "Tare", "neither \"tare\" nor JSON" },
		{ "tare\n", "neither \"tare\" nor JSON" },
		{ "{\"zone\":\"calf_left\"", "neither \"tare\" nor JSON" },
		{ "[\"calf_left\"]", "not an object" },
		{ "\"calf_left\"", "not an object" },
		{ "{}", "an empty object" },
		{ "{\"zone\":\"neck\",\"command\":\"tare\"}", "more than one key" },
		{ "{\"zone\":\"neck\",\"zone\":\"neck\"}", "more than one key" },
		{ "{\"zones\":\"neck\"}", "unknown key" },
		{ "{\"zone\":3}", "must be a zone name, \"none\" or null" },
		{ "{\"zone\":[\"neck\"]}", "must be a zone name" },
		{ "{\"zone\":\"\"}", "not a zone name" },
		{ "{\"zone\":\"Calf Left\"}", "not a zone name" },
		{ "{\"zone\":\"hip_left\"}", "hip_left is not in the configuration's zones" },
		{ "{\"command\":\"reboot\"}", "unknown command (known: tare)" },
		{ "{\"command\":true}", "\"command\" must be a string" },
	};
	struct zones_cfg z = two();
	struct command c;
	char why[160];

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		why[0] = '\0';
		if (parse(cases[i][0], &z, &c, why) != -1)
			fail_msg("'%s' was accepted", cases[i][0]);
		if (!strstr(why, cases[i][1]))
			fail_msg("'%s': reason \"%s\", want \"%s\" in it", cases[i][0], why, cases[i][1]);
	}
}

/* Zones off: no zone can be set, but clearing and tare still work. A NUL
 * in the payload and an oversized payload are refused unparsed. */
static void test_zones_off_and_limits(void **state)
{
	struct zones_cfg off = { .n = 0 };
	struct command c;
	char why[160], big[COMMAND_MAX_BYTES + 2];

	(void)state;
	assert_int_equal(parse("{\"zone\":\"neck\"}", &off, &c, why), -1);
	assert_non_null(strstr(why, "zones are off"));
	assert_int_equal(parse("{\"zone\":null}", &off, &c, why), 0);
	assert_int_equal(parse("tare", &off, &c, why), 0);
	assert_int_equal(command_parse("{\"zone\":\"neck\"}\0x", 17, &off, &c, why, sizeof(why)), -1);
	assert_non_null(strstr(why, "NUL"));
	memset(big, ' ', sizeof(big));
	big[0] = '{';
	big[sizeof(big) - 1] = '}';
	assert_int_equal(command_parse(big, sizeof(big), &off, &c, why, sizeof(why)), -1);
	assert_non_null(strstr(why, "longer than any command"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_accepted),
		cmocka_unit_test(test_refused),
		cmocka_unit_test(test_zones_off_and_limits),
	};

	tests_select();
	return cmocka_run_group_tests_name("test_command", tests, NULL, NULL);
}
