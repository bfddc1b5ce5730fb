/* TESTS=PATTERN in the environment runs only the tests of a binary whose
 * names match PATTERN (cmocka's filter: '*' and '?' are wildcards), as in
 * TESTS=test_acl_impostor build/tests/it_security. Include after cmocka.h. */
#ifndef ROLLSENSE_TESTS_SELECT_H
#define ROLLSENSE_TESTS_SELECT_H

#include <stdlib.h>

static inline void tests_select(void)
{
	const char *pattern = getenv("TESTS");

	if (pattern && *pattern)
		cmocka_set_test_filter(pattern);
}

/* A test named name that runs fn with *state = arg: one body, several
 * cases, each listed under its own name (cmocka's prestate). */
#define TEST_WITH(name, fn, arg) { #name, fn, NULL, NULL, arg }

#endif
