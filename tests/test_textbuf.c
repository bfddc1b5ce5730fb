/* The web side's text buffer (collector/textbuf.c): what a page or an API
 * answer holds after escaping, and that a full or failed buffer says so. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "select.h"

#include <stdlib.h>
#include <string.h>

#include "textbuf.h"

static void test_printf_grows(void **state)
{
	struct textbuf b;

	(void)state;
	textbuf_init(&b, 0);
	assert_string_equal(textbuf_text(&b), "");
	for (int i = 0; i < 1000; i++)
		textbuf_printf(&b, "%03d,", i);
	assert_int_equal(b.len, 4000);
	assert_memory_equal(textbuf_text(&b), "000,001,002,", 12);
	assert_string_equal(textbuf_text(&b) + 3992, "998,999,");
	assert_false(textbuf_failed(&b));
	textbuf_free(&b);
}

/* What a person typed as a device label must stay text in a page. */
static void test_html_escapes(void **state)
{
	struct textbuf b;

	(void)state;
	textbuf_init(&b, 0);
	textbuf_html(&b, "<script>alert('x & y')</script> \"q\"");
	assert_string_equal(textbuf_text(&b),
			    "&lt;script&gt;alert(&#39;x &amp; y&#39;)&lt;/script&gt; &quot;q&quot;");
	textbuf_reset(&b);
	textbuf_html(&b, "calf_left");
	assert_string_equal(textbuf_text(&b), "calf_left");
	textbuf_free(&b);
}

/* RFC 8259 §7: quote, backslash and the controls escaped; ill-formed UTF-8
 * becomes U+FFFD (EF BF BD); well-formed stays as it is. */
static void test_json_string(void **state)
{
	struct textbuf b;

	(void)state;
	textbuf_init(&b, 0);
	textbuf_json_string(&b, "a\"b\\c\nd\x01");
	assert_string_equal(textbuf_text(&b), "\"a\\\"b\\\\c\\u000ad\\u0001\"");
	textbuf_reset(&b);
	textbuf_json_string(&b, "45 \xC2\xB0" "C \xFF!");
	assert_string_equal(textbuf_text(&b), "\"45 \xC2\xB0" "C \xEF\xBF\xBD!\"");
	textbuf_reset(&b);
	textbuf_json_string(&b, "");
	assert_string_equal(textbuf_text(&b), "\"\"");
	textbuf_free(&b);
}

/* A page larger than its limit is not sent cut short: the buffer fails and
 * later writes change nothing. */
static void test_limit_fails_whole(void **state)
{
	struct textbuf b;
	size_t len = 99;

	(void)state;
	textbuf_init(&b, 10);
	textbuf_puts(&b, "0123456789");
	assert_false(textbuf_failed(&b));
	textbuf_printf(&b, "%d", 1);
	assert_true(textbuf_failed(&b));
	textbuf_puts(&b, "x");
	assert_string_equal(textbuf_text(&b), "");
	assert_null(textbuf_take(&b, &len));
	assert_int_equal(len, 99);
	/* Emptied, and usable again. */
	assert_false(textbuf_failed(&b));
	textbuf_puts(&b, "ok");
	assert_string_equal(textbuf_text(&b), "ok");
	textbuf_free(&b);
}

static void test_take_hands_over(void **state)
{
	struct textbuf b;
	size_t len = 0;
	char *text;

	(void)state;
	textbuf_init(&b, 0);
	textbuf_printf(&b, "<p>%s</p>", "hi");
	text = textbuf_take(&b, &len);
	assert_non_null(text);
	assert_string_equal(text, "<p>hi</p>");
	assert_int_equal(len, 9);
	assert_int_equal(b.len, 0);
	assert_string_equal(textbuf_text(&b), "");
	free(text);
	/* An empty buffer hands over "". */
	text = textbuf_take(&b, &len);
	assert_non_null(text);
	assert_string_equal(text, "");
	assert_int_equal(len, 0);
	free(text);
	textbuf_free(&b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_printf_grows),
		cmocka_unit_test(test_html_escapes),
		cmocka_unit_test(test_json_string),
		cmocka_unit_test(test_limit_fails_whole),
		cmocka_unit_test(test_take_hands_over),
	};

	tests_select();
	return cmocka_run_group_tests(tests, NULL, NULL);
}
