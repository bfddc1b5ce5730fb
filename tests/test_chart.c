/* Tests for collector/chart.c: the hold rects with their classes and labels,
 * the min/max downsampling keeping a one-reading spike, the curve broken at
 * a hole, and the columns handed out by chart_columns. Expected coordinates
 * come from the layout chart.h states (plot y 32..252, 220 tall; the kPa
 * axis up to the multiple of 10 at or above 1.1 times the peak). */
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

#include "chart.h"
#include "unit.h"

static const struct detector_cfg det = {
	.contact_kpa = 2, .hold_start_kpa = 10, .hold_end_kpa = 8, .bridge_s = 1,
	.min_hold_s = 5, .effective_s = 10, .long_s = 60, .idle_s = 120,
	.heat_c = 38, .heat_hysteresis_c = 0.5, .hot_c = 45,
};

static size_t count(const char *text, const char *what)
{
	size_t n = 0;

	for (const char *p = strstr(text, what); p; p = strstr(p + 1, what))
		n++;
	return n;
}

/* The d attribute of the path of class cls, malloc'd; fails the test if
 * there is none. */
static char *path_of(const char *svg, const char *cls)
{
	char key[64];
	const char *p, *d, *end;

	snprintf(key, sizeof(key), "<path class=\"%s\"", cls);
	p = strstr(svg, key);
	if (!p)
		fail_msg("no %s path in\n%.2000s", cls, svg);
	d = strstr(p, " d=\"");
	assert_non_null(d);
	d += 4;
	end = strchr(d, '"');
	assert_non_null(end);
	return strndup(d, (size_t)(end - d));
}

/* The y values of a path "M44.0 186.0L44.1 186.0...", lowest and highest. */
static void path_y_range(const char *d, double *lo, double *hi)
{
	*lo = INFINITY;
	*hi = -INFINITY;
	while (*d) {
		double x, y;
		int used;

		if (sscanf(d, "%*[ML]%lf %lf%n", &x, &y, &used) != 2)
			fail_msg("not a path point: %.40s", d);
		*lo = fmin(*lo, y);
		*hi = fmax(*hi, y);
		d += used;
	}
}

/* Asserts that the path of class cls has n segments (n moves). */
static void expect_segments(const char *svg, const char *cls, size_t n)
{
	char *d = path_of(svg, cls);

	assert_int_equal(count(d, "M"), n);
	free(d);
}

static char *svg_of(struct chart *c, const struct chart_hold *holds, size_t n)
{
	struct textbuf out;
	char *text;

	textbuf_init(&out, 0);
	chart_svg(c, holds, n, "ball1, 2026-11-24 04:56", &out);
	assert_false(textbuf_failed(&out));
	assert_false(chart_failed(c));
	text = textbuf_take(&out, NULL);
	assert_non_null(text);
	return text;
}

/* 10 Hz readings seq first..first+n-1 from x0_s, at kpa and 30 °C. */
static void feed(struct chart *c, uint64_t first, size_t n, double x0_s, double kpa)
{
	for (size_t i = 0; i < n; i++) {
		struct chart_sample s = { .x_s = x0_s + (double)i * 0.1, .seq = first + i,
					  .pressure_kpa = kpa, .temperature_c = 30 };

		chart_add(c, &s);
	}
}

static void test_two_holds_two_rects(void **state)
{
	static const struct chart_hold holds[] = {
		{ 10.0, 24.8, 18.2, 15.9, "effective" },
		{ 50.0, 61.0, 21.0, 16.4, "long" },
	};
	struct chart *c = chart_new(120, &det);
	char *svg;

	(void)state;
	assert_non_null(c);
	feed(c, 1, 1200, 0, 12);
	svg = svg_of(c, holds, 2);
	assert_int_equal(count(svg, "<rect class=\"hold "), 2);
	assert_non_null(strstr(svg, "<rect class=\"hold hold-effective\" data-class=\"effective\" "
				    "data-duration=\"24.8\""));
	assert_non_null(strstr(svg, "<rect class=\"hold hold-long\" data-class=\"long\" "
				    "data-duration=\"61.0\""));
	assert_non_null(strstr(svg, ">24.8 s</text>"));
	assert_non_null(strstr(svg, ">61.0 s</text>"));
	assert_non_null(strstr(svg, "<title>effective hold, 24.8 s, peak 18.2 kPa"));
	/* The legend names the three classes with the config's bounds. */
	assert_non_null(strstr(svg, "short (&lt; 10 s)</text>"));
	assert_non_null(strstr(svg, ">effective</text>"));
	assert_non_null(strstr(svg, "long (&gt; 60 s)</text>"));
	/* The threshold and the hot line, labelled. */
	assert_non_null(strstr(svg, ">10 kPa</text>"));
	assert_non_null(strstr(svg, ">45 °C</text>"));
	/* Ticks: 120 s in 7 or fewer steps is every 30 s; the last is 2:00. */
	assert_non_null(strstr(svg, ">0:30</text>"));
	assert_non_null(strstr(svg, ">2:00</text>"));
	assert_null(strstr(svg, ">2:30</text>"));
	/* Both wide enough for their label across the top: none upright. */
	assert_null(strstr(svg, "rotate("));
	free(svg);
	chart_free(c);
}

/* One hour at 10 Hz and 12 kPa with one reading at 30 kPa: 50 readings a
 * column, yet the spike's y is drawn. The axis goes to 40 kPa (30 x 1.1 =
 * 33 -> 40): 30 kPa is y = 32 + 220 x (1 - 30/40) = 87.0, 12 kPa is
 * 32 + 220 x (1 - 12/40) = 186.0. */
static void test_spike_survives_downsampling(void **state)
{
	struct chart *c = chart_new(3600, &det);
	struct chart_sample spike = { .x_s = 1800.0, .seq = 18001, .pressure_kpa = 30,
				      .temperature_c = 30 };
	char *svg, *d;
	double lo, hi;

	(void)state;
	assert_non_null(c);
	feed(c, 1, 18000, 0, 12);
	chart_add(c, &spike);
	feed(c, 18002, 17999, 1800.1, 12);
	svg = svg_of(c, NULL, 0);
	d = path_of(svg, "pressure");
	path_y_range(d, &lo, &hi);
	assert_near(lo, 87.0, 1e-9);
	assert_near(hi, 186.0, 1e-9);
	assert_int_equal(count(d, "M"), 1);
	/* At most 4 points a column of 720: far fewer than 36,000. */
	assert_true(count(d, "L") + 1 <= 4 * CHART_COLUMNS);
	assert_non_null(strstr(svg, ">40</text>"));
	free(d);
	free(svg);
	chart_free(c);
}

/* 20 seqs missing (seq 101..120) make a hole: both curves break there. */
static void test_gap_breaks_the_curves(void **state)
{
	struct chart *c = chart_new(30, &det);
	char *svg;

	(void)state;
	assert_non_null(c);
	feed(c, 1, 100, 0, 12);
	feed(c, 121, 100, 12.0, 12);
	svg = svg_of(c, NULL, 0);
	expect_segments(svg, "pressure", 2);
	expect_segments(svg, "temperature", 2);
	free(svg);
	chart_free(c);
}

/* A step in time alone (no seq missing, 5 s where 0.1 s is usual) is a hole
 * too; a null pressure breaks only the pressure curve. */
static void test_time_step_and_null_break(void **state)
{
	struct chart *c = chart_new(30, &det);
	struct chart_sample null_p = { .x_s = 10.0, .seq = 51, .pressure_kpa = NAN,
				       .temperature_c = 30 };
	char *svg;

	(void)state;
	assert_non_null(c);
	feed(c, 1, 50, 0, 12);			/* 0 .. 4.9 s */
	chart_add(c, &null_p);			/* 5.1 s later: a hole, and no pressure */
	feed(c, 52, 50, 10.1, 12);
	svg = svg_of(c, NULL, 0);
	expect_segments(svg, "pressure", 2);
	expect_segments(svg, "temperature", 2);
	free(svg);
	chart_free(c);
}

/* In an hour, a 6 s hold is 552 x 6 / 3600 = 0.9 units wide: its label
 * stands upright inside it. A reading below 0 kPa (a drifting zero) takes
 * the axis down to -5. */
static void test_narrow_holds_and_below_zero(void **state)
{
	static const struct chart_hold holds[] = {
		{ 600.0, 6.0, 12.0, 11.0, "short" },
		{ 620.0, 7.5, 12.5, 11.0, "short" },
	};
	struct chart *c = chart_new(3600, &det);
	struct chart_sample below = { .x_s = 1000, .seq = 2, .pressure_kpa = -2,
				      .temperature_c = 30 };
	char *svg;

	(void)state;
	assert_non_null(c);
	feed(c, 1, 1, 0, 12);
	chart_add(c, &below);
	svg = svg_of(c, holds, 2);
	assert_int_equal(count(svg, "<rect class=\"hold hold-short\""), 2);
	assert_int_equal(count(svg, "text-anchor=\"end\" transform=\"rotate(-90 "), 2);
	assert_non_null(strstr(svg, ">6.0 s</text>"));
	assert_non_null(strstr(svg, ">7.5 s</text>"));
	assert_non_null(strstr(svg, ">-5</text>"));
	free(svg);
	chart_free(c);
}

struct picks {
	uint64_t seq[64];
	size_t n, calls;
};

static void collect(const struct chart_sample *p, size_t n, void *ctx)
{
	struct picks *k = ctx;

	k->calls++;
	for (size_t i = 0; i < n && k->n < 64; i++)
		k->seq[k->n++] = p[i].seq;
}

/* Two columns of 10 s over 20 s. Column 0: seq 1..5 at 5, 9, 1, 7, 6 kPa:
 * lowest seq 3, highest seq 2; with the ends also seq 1 and 5. Column 1:
 * one sample, seq 6, handed out once. */
static void test_columns_min_max(void **state)
{
	static const double kpa[] = { 5, 9, 1, 7, 6, 4 };
	static const double x[] = { 0, 2, 4, 6, 8, 15 };
	struct chart_columns cols;
	struct picks k = { 0 };

	(void)state;
	for (int ends = 0; ends <= 1; ends++) {
		memset(&k, 0, sizeof(k));
		chart_columns_init(&cols, 20, 2, ends, CHART_PRESSURE);
		for (size_t i = 0; i < 6; i++) {
			struct chart_sample s = { .x_s = x[i], .seq = i + 1, .pressure_kpa = kpa[i],
						  .temperature_c = NAN };

			chart_columns_add(&cols, &s, collect, &k);
		}
		chart_columns_flush(&cols, collect, &k);
		assert_int_equal(k.calls, 2);
		if (ends) {
			assert_int_equal(k.n, 5);
			assert_int_equal(k.seq[0], 1);
			assert_int_equal(k.seq[1], 2);
			assert_int_equal(k.seq[2], 3);
			assert_int_equal(k.seq[3], 5);
			assert_int_equal(k.seq[4], 6);
		} else {
			assert_int_equal(k.n, 3);
			assert_int_equal(k.seq[0], 2);
			assert_int_equal(k.seq[1], 3);
			assert_int_equal(k.seq[2], 6);
		}
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_two_holds_two_rects),
		cmocka_unit_test(test_spike_survives_downsampling),
		cmocka_unit_test(test_gap_breaks_the_curves),
		cmocka_unit_test(test_time_step_and_null_break),
		cmocka_unit_test(test_narrow_holds_and_below_zero),
		cmocka_unit_test(test_columns_min_max),
	};

	tests_select();
	return cmocka_run_group_tests(tests, NULL, NULL);
}
