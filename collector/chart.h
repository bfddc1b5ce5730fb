/* A session's picture as inline SVG, and the min/max downsampling it and the
 * JSON API share. The chart is fed the session's readings one at a time (a
 * 1-hour session at 10 Hz is 36,000 of them) and keeps only what it draws:
 * per column of the plot, the first, lowest, highest and last value of each
 * channel, so a one-reading spike keeps its peak and nothing is averaged.
 *
 * Layout, in the viewBox's units (the SVG scales to its box's width): the
 * viewBox is 0 0 640 290; the plot spans x 44..596 and y 32..252; the
 * pressure axis runs from 0 kPa at the bottom to the first multiple of 10
 * kPa at or above 1.1 times the highest pressure (readings and hold peaks;
 * at least 1.5 times the hold threshold). */
#ifndef ROLLSENSE_CHART_H
#define ROLLSENSE_CHART_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "detector_cfg.h"
#include "store.h"
#include "textbuf.h"

#define CHART_COLUMNS 720

/* A reading placed on the session's time axis: x_s seconds from its start. */
struct chart_sample {
	double x_s;
	uint64_t seq;
	double ts;
	double pressure_kpa, temperature_c;	/* NAN: null */
};

enum chart_channel { CHART_PRESSURE, CHART_TEMPERATURE };

/* Min/max per column: the samples of [0, span_s) fall into columns equal
 * in width (those outside go to the first or last); each column hands out
 * the samples holding its lowest and highest value of channel (samples
 * whose channel is null are skipped), and with ends also its first and
 * last, once each, in seq order. */
struct chart_columns {
	double span_s;
	unsigned n;
	bool ends;
	enum chart_channel channel;
	long col;		/* the column held; -1: none */
	struct chart_sample first, lo, hi, last;
};

typedef void (*chart_emit_fn)(const struct chart_sample *picks, size_t n, void *ctx);

void chart_columns_init(struct chart_columns *c, double span_s, unsigned n, bool ends,
			enum chart_channel channel);
/* Adds s; when it opens another column, the held one is emitted first. */
void chart_columns_add(struct chart_columns *c, const struct chart_sample *s, chart_emit_fn emit,
		       void *ctx);
/* Emits the column held, if any, and holds none. */
void chart_columns_flush(struct chart_columns *c, chart_emit_fn emit, void *ctx);

/* The hold classes by enum detector_hold_class, and the colour each is
 * drawn in (mid tones that read on light and dark pages alike). */
extern const char *const chart_class_names[3];
extern const char *const chart_class_colours[3];

/* A hold as the picture shows it, on the session's time axis. */
struct chart_hold {
	double start_s, duration_s, peak_kpa, mean_kpa;
	const char *hold_class;		/* "short", "effective", "long" */
};

struct chart;

/* A picture of a session span_s long; det gives the lines it draws
 * (hold_start_kpa, heat_c, hot_c) and the class bounds the legend names.
 * NULL on no memory. */
struct chart *chart_new(double span_s, const struct detector_cfg *det);
void chart_free(struct chart *c);

/* Feeds the session's readings in seq order. A reading after a seq jump, or
 * more than 3 sample periods (the shortest step seen) after the one before,
 * starts new curves: nothing is drawn across a hole. So does a null value,
 * for its own channel. */
void chart_add(struct chart *c, const struct chart_sample *s);

/* Writes the <svg> element: hold rects (class "hold hold-CLASS",
 * data-class, data-duration with one decimal, a <title> and a label "24.8 s"),
 * the legend, the threshold and hot lines with their labels, the heat band,
 * the pressure path (class "pressure") and the temperature path (class
 * "temperature"; none without temperatures), axis ticks in m:ss from the
 * start, kPa on the left, °C on the right. title: the SVG's accessible name.
 * Fails only through out (textbuf_failed). */
void chart_svg(struct chart *c, const struct chart_hold *holds, size_t n_holds, const char *title,
	       struct textbuf *out);

/* Whether the chart ran out of memory while fed (the picture would lack
 * points). */
bool chart_failed(const struct chart *c);

#endif
