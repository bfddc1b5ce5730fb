/* Unit: the collector's index by name (collector/name_index.c), held to a
 * search in a line over the same entries. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "select.h"

#include <stdio.h>
#include <string.h>

#include "name_index.h"
#include "unit.h"

struct entry {
	char name[24];
	int payload;		/* names need not be the first member */
};

struct table {
	struct entry e[NAME_INDEX_MAX];
	size_t n;
	struct name_index x;
};

static int linear(const struct table *t, const char *name)
{
	for (size_t i = 0; i < t->n; i++)
		if (strcmp(t->e[i].name, name) == 0)
			return (int)i;
	return -1;
}

/* Adds name unless present, as shared_id and homeassistant do. */
static int find_or_add(struct table *t, const char *name)
{
	size_t slot;
	int found = name_index_find(&t->x, name, &slot);

	if (found >= 0 || t->n == NAME_INDEX_MAX)
		return found;
	name_index_add(&t->x, slot, t->n);
	snprintf(t->e[t->n].name, sizeof(t->e[0].name), "%s", name);
	return (int)t->n++;
}

/* A full table of device-like names, then a million lookups of names in it
 * and not: the index answers as the line search does, every time. */
static void test_agrees_with_a_line_search(void **state)
{
	static struct table t;
	uint64_t rng = 7;
	char name[24];

	(void)state;
	memset(&t, 0, sizeof(t));
	name_index_init(&t.x, t.e[0].name, sizeof(t.e[0]));
	for (int i = 0; i < NAME_INDEX_MAX; i++) {
		snprintf(name, sizeof(name), "ball%d", i * 7);
		assert_int_equal(find_or_add(&t, name), i);
	}
	assert_int_equal(t.n, NAME_INDEX_MAX);
	/* Full: a new name is not added, an old one is still found. */
	assert_int_equal(find_or_add(&t, "roller1"), -1);
	assert_int_equal(find_or_add(&t, "ball21"), 3);
	for (int i = 0; i < 1000000; i++) {
		size_t slot;

		snprintf(name, sizeof(name), "ball%d", (int)(unit_splitmix(&rng) % 700));
		assert_int_equal(name_index_find(&t.x, name, &slot), linear(&t, name));
	}
}

/* Names that share their first slot (the index wraps past its end): each
 * is found, and an absent one after them is not. */
static void test_collisions_and_wrap(void **state)
{
	static struct table t;
	size_t first = 0, slot;
	char name[24];
	int same = 0;

	(void)state;
	memset(&t, 0, sizeof(t));
	name_index_init(&t.x, t.e[0].name, sizeof(t.e[0]));
	/* Gather names whose home slot is the last one, until 8 share it. */
	for (int i = 0; same < 8 && i < 100000; i++) {
		struct table probe;

		snprintf(name, sizeof(name), "d%d", i);
		memset(&probe, 0, sizeof(probe));
		name_index_init(&probe.x, probe.e[0].name, sizeof(probe.e[0]));
		assert_int_equal(name_index_find(&probe.x, name, &first), -1);
		if (first != NAME_INDEX_SLOTS - 1)
			continue;
		assert_int_equal(find_or_add(&t, name), same);
		same++;
	}
	assert_int_equal(same, 8);
	for (size_t i = 0; i < t.n; i++)
		assert_int_equal(name_index_find(&t.x, t.e[i].name, &slot), (int)i);
	assert_int_equal(name_index_find(&t.x, "absent", &slot), -1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_agrees_with_a_line_search),
		cmocka_unit_test(test_collisions_and_wrap),
	};

	tests_select();
	return cmocka_run_group_tests(tests, NULL, NULL);
}
