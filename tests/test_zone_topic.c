/* Tests for common/zone_topic.c: the retained zone topic's payload, as
 * docs/protocol.md writes it (typed out here by hand), with a label that
 * needs escaping. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "select.h"

#include <stdio.h>
#include <stdlib.h>

#include "zone_topic.h"

static void check(const struct zones_cfg *z, const char *zone, const char *want)
{
	char *got = zone_topic_payload(z, zone);

	assert_non_null(got);
	assert_string_equal(got, want);
	free(got);
}

static void test_payload(void **state)
{
	struct zones_cfg z = { .n = 3 };

	(void)state;
	snprintf(z.zone[0].name, sizeof(z.zone[0].name), "neck");
	snprintf(z.zone[0].label, sizeof(z.zone[0].label), "Neck");
	snprintf(z.zone[1].name, sizeof(z.zone[1].name), "calf_left");
	snprintf(z.zone[1].label, sizeof(z.zone[1].label), "Left calf");
	snprintf(z.zone[2].name, sizeof(z.zone[2].name), "knot");
	snprintf(z.zone[2].label, sizeof(z.zone[2].label), "The \"big\" one, Wade");
	check(&z, "calf_left", "{\"zone\":\"calf_left\",\"label\":\"Left calf\",\"position\":2,\"of\":3}");
	check(&z, "", "{\"zone\":null,\"label\":null,\"position\":0,\"of\":3}");
	check(&z, "knot", "{\"zone\":\"knot\",\"label\":\"The \\\"big\\\" one, Wade\",\"position\":3,\"of\":3}");
	z.n = 0;
	check(&z, "", "{\"zone\":null,\"label\":null,\"position\":0,\"of\":0}");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_payload),
	};

	tests_select();
	return cmocka_run_group_tests_name("test_zone_topic", tests, NULL, NULL);
}
