#include "chart.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define VIEW_W 640
#define VIEW_H 290
#define PLOT_X 44.0
#define PLOT_Y 32.0
#define PLOT_W 552.0
#define PLOT_H 220.0
#define FONT_PX 14

/* Colours that read on a light and a dark page alike (mid tones); text and
 * axes take the page's own colour (currentColor). */
#define COLOUR_PRESSURE "#2f6fd6"
#define COLOUR_TEMPERATURE "#d6452f"
const char *const chart_class_names[3] = { "short", "effective", "long" };
const char *const chart_class_colours[3] = { "#8c8c8c", "#2e9d5b", "#e08a1e" };

void chart_columns_init(struct chart_columns *c, double span_s, unsigned n, bool ends,
			enum chart_channel channel)
{
	memset(c, 0, sizeof(*c));
	c->span_s = span_s > 0 ? span_s : 1;
	c->n = n ? n : 1;
	c->ends = ends;
	c->channel = channel;
	c->col = -1;
}

static double channel_value(const struct chart_sample *s, enum chart_channel ch)
{
	return ch == CHART_PRESSURE ? s->pressure_kpa : s->temperature_c;
}

void chart_columns_flush(struct chart_columns *c, chart_emit_fn emit, void *ctx)
{
	const struct chart_sample *cand[4];
	struct chart_sample picks[4];
	size_t n = 0, k = 0;

	if (c->col < 0)
		return;
	if (c->ends)
		cand[n++] = &c->first;
	cand[n++] = &c->lo;
	cand[n++] = &c->hi;
	if (c->ends)
		cand[n++] = &c->last;
	/* In seq order, each sample once: at most 4, so a plain insertion. */
	for (size_t i = 0; i < n; i++) {
		size_t j = k;
		bool seen = false;

		for (size_t m = 0; m < k; m++)
			seen |= picks[m].seq == cand[i]->seq;
		if (seen)
			continue;
		while (j > 0 && picks[j - 1].seq > cand[i]->seq) {
			picks[j] = picks[j - 1];
			j--;
		}
		picks[j] = *cand[i];
		k++;
	}
	emit(picks, k, ctx);
	c->col = -1;
}

void chart_columns_add(struct chart_columns *c, const struct chart_sample *s, chart_emit_fn emit,
		       void *ctx)
{
	double v = channel_value(s, c->channel);
	long col = (long)floor(s->x_s / c->span_s * c->n);

	if (isnan(v))
		return;
	if (col < 0)
		col = 0;
	if (col >= (long)c->n)
		col = (long)c->n - 1;
	if (col != c->col) {
		chart_columns_flush(c, emit, ctx);
		c->col = col;
		c->first = c->lo = c->hi = *s;
	}
	if (v < channel_value(&c->lo, c->channel))
		c->lo = *s;
	if (v > channel_value(&c->hi, c->channel))
		c->hi = *s;
	c->last = *s;
}

/* A point of a curve: x in seconds, v in the channel's unit; move starts a
 * new segment. */
struct point {
	float x, v;
	bool move;
};

struct curve {
	struct chart_columns cols;
	struct point *pts;
	size_t n, cap;
	bool move;		/* the next point starts a segment */
	double min, max;
	bool failed;
};

struct chart {
	double span_s;
	struct detector_cfg det;
	struct curve curve[2];		/* by enum chart_channel */
	bool have_prev;
	uint64_t prev_seq;
	double prev_x, step_s;		/* step_s: the shortest step seen; 0 none yet */
};

/* Makes room for more points; false (the curve marked failed) if none. */
static bool curve_room(struct curve *cv, size_t more)
{
	struct point *grown;
	size_t cap = cv->cap;

	while (cv->n + more > cap)
		cap = cap ? 2 * cap : 1024;
	if (cap == cv->cap)
		return true;
	grown = realloc(cv->pts, cap * sizeof(*grown));
	if (grown) {
		cv->pts = grown;
		cv->cap = cap;
	}
	cv->failed |= !grown;
	return grown != NULL;
}

static void curve_emit(const struct chart_sample *picks, size_t n, void *ctx)
{
	struct curve *cv = ctx;

	if (!curve_room(cv, n))
		return;
	for (size_t i = 0; i < n; i++) {
		double v = channel_value(&picks[i], cv->cols.channel);

		cv->pts[cv->n++] = (struct point){ (float)picks[i].x_s, (float)v, cv->move };
		cv->move = false;
	}
}

/* Ends the curve's segment: what it holds is drawn, the next point moves. */
static void curve_break(struct curve *cv)
{
	chart_columns_flush(&cv->cols, curve_emit, cv);
	cv->move = true;
}

struct chart *chart_new(double span_s, const struct detector_cfg *det)
{
	struct chart *c = calloc(1, sizeof(*c));

	if (!c)
		return NULL;
	c->span_s = span_s > 1 ? span_s : 1;
	c->det = *det;
	for (int ch = CHART_PRESSURE; ch <= CHART_TEMPERATURE; ch++) {
		chart_columns_init(&c->curve[ch].cols, c->span_s, CHART_COLUMNS, true,
				   (enum chart_channel)ch);
		c->curve[ch].move = true;
		c->curve[ch].min = INFINITY;
		c->curve[ch].max = -INFINITY;
	}
	return c;
}

void chart_free(struct chart *c)
{
	if (!c)
		return;
	free(c->curve[0].pts);
	free(c->curve[1].pts);
	free(c);
}

bool chart_failed(const struct chart *c)
{
	return c->curve[0].failed || c->curve[1].failed;
}

void chart_add(struct chart *c, const struct chart_sample *s)
{
	if (c->have_prev) {
		double step = s->x_s - c->prev_x;
		bool hole = s->seq != c->prev_seq + 1 || (c->step_s > 0 && step > 3 * c->step_s);

		if (step > 0 && (c->step_s == 0 || step < c->step_s))
			c->step_s = step;
		if (hole) {
			curve_break(&c->curve[CHART_PRESSURE]);
			curve_break(&c->curve[CHART_TEMPERATURE]);
		}
	}
	c->have_prev = true;
	c->prev_seq = s->seq;
	c->prev_x = s->x_s;
	for (int ch = CHART_PRESSURE; ch <= CHART_TEMPERATURE; ch++) {
		struct curve *cv = &c->curve[ch];
		double v = channel_value(s, (enum chart_channel)ch);

		if (isnan(v)) {
			if (!cv->move)
				curve_break(cv);
			continue;
		}
		if (v < cv->min)
			cv->min = v;
		if (v > cv->max)
			cv->max = v;
		chart_columns_add(&cv->cols, s, curve_emit, cv);
	}
}

/* The scales: seconds to x, a channel's value to y. */
struct scale {
	double span_s;
	double lo[2], hi[2];
};

static double x_of(const struct scale *sc, double s)
{
	return PLOT_X + PLOT_W * s / sc->span_s;
}

static double y_of(const struct scale *sc, int ch, double v)
{
	return PLOT_Y + PLOT_H * (1 - (v - sc->lo[ch]) / (sc->hi[ch] - sc->lo[ch]));
}

/* m:ss, minutes running past 59 (a session is rarely longer than an hour). */
static void clock_text(double s, char *buf, size_t len)
{
	long t = lround(s);

	snprintf(buf, len, "%ld:%02ld", t / 60, t % 60);
}

static void curve_path(const struct curve *cv, const struct scale *sc, int ch, const char *cls,
		       const char *colour, struct textbuf *out)
{
	if (cv->n == 0)
		return;
	textbuf_printf(out, "<path class=\"%s\" fill=\"none\" stroke=\"%s\" stroke-width=\"1.5\""
		       " stroke-linejoin=\"round\" d=\"", cls, colour);
	for (size_t i = 0; i < cv->n; i++)
		textbuf_printf(out, "%s%.1f %.1f", cv->pts[i].move ? "M" : "L",
			       x_of(sc, cv->pts[i].x), y_of(sc, ch, cv->pts[i].v));
	textbuf_puts(out, "\"/>\n");
}

/* A tick step of 1, 2 or 5 times a power of ten that gives at most max
 * ticks over range. */
static double value_step(double range, int max)
{
	double step = 1;

	while (range / step > max) {
		double next = step * 2;

		if (range / next > max)
			next = step * 5;
		if (range / next > max)
			next = step * 10;
		step = next;
	}
	return step;
}

static void time_ticks(const struct scale *sc, struct textbuf *out)
{
	static const double steps[] = { 1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600,
					7200, 10800, 21600 };
	double step = steps[sizeof(steps) / sizeof(steps[0]) - 1];

	for (size_t i = 0; i < sizeof(steps) / sizeof(steps[0]); i++) {
		if (sc->span_s / steps[i] <= 7) {
			step = steps[i];
			break;
		}
	}
	for (double t = 0; t <= sc->span_s + 1e-9; t += step) {
		char label[24];
		double x = x_of(sc, t);

		clock_text(t, label, sizeof(label));
		textbuf_printf(out, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" "
			       "stroke=\"currentColor\" stroke-opacity=\"0.5\"/>"
			       "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\">%s</text>\n",
			       x, PLOT_Y + PLOT_H, x, PLOT_Y + PLOT_H + 5, x,
			       PLOT_Y + PLOT_H + 5 + FONT_PX, label);
	}
}

static void value_ticks(const struct scale *sc, int ch, struct textbuf *out)
{
	double step = value_step(sc->hi[ch] - sc->lo[ch], 5);
	bool left = ch == CHART_PRESSURE;

	for (double v = sc->lo[ch]; v <= sc->hi[ch] + 1e-9; v += step) {
		double y = y_of(sc, ch, v);

		textbuf_printf(out, "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"%s\">%g</text>\n",
			       left ? PLOT_X - 4 : PLOT_X + PLOT_W + 4, y + FONT_PX / 3.0,
			       left ? "end" : "start", v);
	}
	textbuf_printf(out, "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"%s\">%s</text>\n",
		       left ? PLOT_X - 4 : PLOT_X + PLOT_W + 4, PLOT_Y - 8, left ? "end" : "start",
		       left ? "kPa" : "°C");
}

static int class_index(const char *name)
{
	for (int i = 0; i < 3; i++)
		if (strcmp(name, chart_class_names[i]) == 0)
			return i;
	return 0;
}

/* Each hold's rect and its label: across the top where it fits (a second
 * row when the first is taken there), else upright inside the rect, so
 * the short holds of a long session do not write over each other. */
static void hold_rects(const struct scale *sc, const struct chart_hold *holds, size_t n,
		       struct textbuf *out)
{
	double row_end[2] = { -INFINITY, -INFINITY };	/* where each row's last label ends */

	for (size_t i = 0; i < n; i++) {
		const struct chart_hold *h = &holds[i];
		int k = class_index(h->hold_class), row = -1;
		double x0 = x_of(sc, h->start_s), x1 = x_of(sc, h->start_s + h->duration_s);
		double mid = (x0 + x1) / 2, half;
		char dur[32];

		snprintf(dur, sizeof(dur), "%.1f", h->duration_s);
		textbuf_printf(out, "<rect class=\"hold hold-%s\" data-class=\"%s\" "
			       "data-duration=\"%s\" x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" "
			       "height=\"%.1f\" fill=\"%s\" fill-opacity=\"0.3\"><title>%s hold, "
			       "%s s, peak %.1f kPa, mean %.1f kPa</title></rect>\n",
			       chart_class_names[k], chart_class_names[k], dur, x0, PLOT_Y,
			       x1 - x0 > 0.5 ? x1 - x0 : 0.5, PLOT_H, chart_class_colours[k],
			       chart_class_names[k], dur, h->peak_kpa, h->mean_kpa);
		/* About 0.55 em a character, and "+ s". */
		half = 0.55 * FONT_PX * (double)(strlen(dur) + 2) / 2;
		if (x1 - x0 >= 2 * half)
			row = mid - half > row_end[0] ? 0 : mid - half > row_end[1] ? 1 : -1;
		if (row >= 0) {
			row_end[row] = mid + half + 4;
			textbuf_printf(out, "<text class=\"hold-label\" x=\"%.1f\" y=\"%.1f\" "
				       "text-anchor=\"middle\">%s s</text>\n", mid,
				       PLOT_Y + FONT_PX + 2 + row * FONT_PX, dur);
		} else {
			textbuf_printf(out, "<text class=\"hold-label\" x=\"%.1f\" y=\"%.1f\" "
				       "text-anchor=\"end\" transform=\"rotate(-90 %.1f %.1f)\">%s s"
				       "</text>\n", mid + FONT_PX / 3.0, PLOT_Y + 4, mid + FONT_PX / 3.0,
				       PLOT_Y + 4, dur);
		}
	}
}

/* The legend's row above the plot: fixed places that fit the longest
 * labels at FONT_PX (about 7 units a character). */
static void legend(const struct detector_cfg *det, struct textbuf *out)
{
	static const double at[3] = { PLOT_X, 172, 264 };

	textbuf_puts(out, "<g class=\"legend\">");
	for (int i = 0; i < 3; i++) {
		textbuf_printf(out, "<rect x=\"%.1f\" y=\"6\" width=\"12\" height=\"12\" fill=\"%s\""
			       " fill-opacity=\"0.5\"/><text x=\"%.1f\" y=\"17\">", at[i],
			       chart_class_colours[i], at[i] + 16);
		if (i == 0)
			textbuf_printf(out, "short (&lt; %g s)</text>", det->effective_s);
		else if (i == 1)
			textbuf_puts(out, "effective</text>");
		else
			textbuf_printf(out, "long (&gt; %g s)</text>", det->long_s);
	}
	textbuf_puts(out, "<line x1=\"390\" y1=\"12\" x2=\"404\" y2=\"12\" stroke=\""
		     COLOUR_PRESSURE "\" stroke-width=\"2\"/><text x=\"408\" y=\"17\">kPa</text>"
		     "<line x1=\"450\" y1=\"12\" x2=\"464\" y2=\"12\" stroke=\""
		     COLOUR_TEMPERATURE "\" stroke-width=\"2\"/><text x=\"468\" y=\"17\">°C</text>"
		     "</g>\n");
}

void chart_svg(struct chart *c, const struct chart_hold *holds, size_t n_holds, const char *title,
	       struct textbuf *out)
{
	struct curve *p = &c->curve[CHART_PRESSURE], *t = &c->curve[CHART_TEMPERATURE];
	struct scale sc = { .span_s = c->span_s };
	bool temps = t->max >= t->min;
	double top = c->det.hold_start_kpa * 1.5;

	curve_break(p);
	curve_break(t);
	for (size_t i = 0; i < n_holds; i++)
		if (holds[i].peak_kpa > top / 1.1)
			top = holds[i].peak_kpa * 1.1;
	if (p->max * 1.1 > top)
		top = p->max * 1.1;
	/* 0 at the bottom, unless a reading went below (a drifting zero). */
	sc.lo[CHART_PRESSURE] = p->min < 0 ? floor(p->min / 5) * 5 : 0;
	sc.hi[CHART_PRESSURE] = ceil(top / 10) * 10;
	if (temps) {
		double lo = fmin(t->min, c->det.heat_c - 5), hi = fmax(t->max, c->det.hot_c + 2);

		sc.lo[CHART_TEMPERATURE] = floor(lo / 5) * 5;
		sc.hi[CHART_TEMPERATURE] = ceil(hi / 5) * 5;
	}

	textbuf_printf(out, "<svg class=\"chart\" viewBox=\"0 0 %d %d\" role=\"img\" "
		       "font-size=\"%d\" "
		       "font-family=\"sans-serif\" fill=\"currentColor\"><title>", VIEW_W, VIEW_H,
		       FONT_PX);
	textbuf_html(out, title);
	textbuf_puts(out, "</title>\n");
	legend(&c->det, out);
	if (temps) {
		/* The heat band: heat_c and above, faint. */
		double y_heat = y_of(&sc, CHART_TEMPERATURE, c->det.heat_c);
		double y_hot = y_of(&sc, CHART_TEMPERATURE, c->det.hot_c);

		textbuf_printf(out, "<rect class=\"heat-band\" x=\"%.1f\" y=\"%.1f\" width=\"%.1f\""
			       " height=\"%.1f\" fill=\"" COLOUR_TEMPERATURE "\" fill-opacity=\"0.08\">"
			       "<title>heat: %g °C and above</title></rect>\n", PLOT_X, PLOT_Y, PLOT_W,
			       y_heat - PLOT_Y, c->det.heat_c);
		textbuf_printf(out, "<line class=\"hot-line\" x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" "
			       "y2=\"%.1f\" stroke=\"" COLOUR_TEMPERATURE "\" stroke-dasharray=\"6 4\"/>"
			       "<text class=\"hot-label\" x=\"%.1f\" y=\"%.1f\" text-anchor=\"end\" "
			       "fill=\"" COLOUR_TEMPERATURE "\">%g °C</text>\n", PLOT_X, y_hot,
			       PLOT_X + PLOT_W, y_hot, PLOT_X + PLOT_W - 4, y_hot - 4, c->det.hot_c);
	}
	hold_rects(&sc, holds, n_holds, out);
	{
		double y = y_of(&sc, CHART_PRESSURE, c->det.hold_start_kpa);

		textbuf_printf(out, "<line class=\"threshold\" x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" "
			       "y2=\"%.1f\" stroke=\"" COLOUR_PRESSURE "\" stroke-dasharray=\"3 3\"/>"
			       "<text class=\"threshold-label\" x=\"%.1f\" y=\"%.1f\" fill=\""
			       COLOUR_PRESSURE "\">%g kPa</text>\n", PLOT_X, y, PLOT_X + PLOT_W, y,
			       PLOT_X + 4, y - 4, c->det.hold_start_kpa);
	}
	textbuf_printf(out, "<rect class=\"axes\" x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" "
		       "height=\"%.1f\" fill=\"none\" stroke=\"currentColor\" "
		       "stroke-opacity=\"0.5\"/>\n", PLOT_X, PLOT_Y, PLOT_W, PLOT_H);
	textbuf_puts(out, "<g class=\"ticks\">\n");
	time_ticks(&sc, out);
	textbuf_puts(out, "</g>\n");
	value_ticks(&sc, CHART_PRESSURE, out);
	if (temps)
		value_ticks(&sc, CHART_TEMPERATURE, out);
	curve_path(p, &sc, CHART_PRESSURE, "pressure", COLOUR_PRESSURE, out);
	if (temps)
		curve_path(t, &sc, CHART_TEMPERATURE, "temperature", COLOUR_TEMPERATURE, out);
	textbuf_puts(out, "</svg>\n");
}
