/* The HTML pages (pages.h): every text from the store goes through
 * textbuf_html, device ids included, though they are [A-Za-z0-9_-]. The same
 * writers make the served pages and the report file; in the file the links
 * between pages are anchors within it, and there is no nav to a server. */
#include "pages.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cJSON.h>

#include "advice.h"
#include "chart.h"
#include "report.h"

#define FAULTS_SHOWN 8		/* distinct fault texts listed on a session's page */
#define ADVICE_DEVICES_MAX 64	/* devices the history looks at for advice */

/* How a page is being written: served (links to the other pages) or into
 * the report file (links to anchors in it). */
struct page {
	struct textbuf *out;
	bool file;
};

static void page_head(const struct page *pg, const char *title)
{
	textbuf_puts(pg->out, "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
		     "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
		     "<title>");
	textbuf_html(pg->out, title);
	textbuf_printf(pg->out, " · rollsense</title><style>%s</style></head>\n<body>", pages_css);
	if (!pg->file)
		textbuf_puts(pg->out, "<nav><a href=\"/\">Live</a><a href=\"/sessions\">Sessions</a>"
			     "<a href=\"/history\">History</a></nav>");
	textbuf_puts(pg->out, "<main>\n");
}

static void page_foot(const struct page *pg)
{
	textbuf_puts(pg->out, "</main></body></html>\n");
}

/* A page that only says what is wrong: "no session 42". */
static int page_message(struct textbuf *out, int status, const char *title, const char *msg)
{
	struct page pg = { .out = out };

	textbuf_reset(out);
	page_head(&pg, title);
	textbuf_puts(out, "<h1>");
	textbuf_html(out, title);
	textbuf_puts(out, "</h1><p>");
	textbuf_html(out, msg);
	textbuf_puts(out, "</p>\n");
	page_foot(&pg);
	return textbuf_failed(out) ? 500 : status;
}

/* The status, once the page is written: if it did not fit out, a 500 page
 * saying so instead. */
static int page_status(struct textbuf *out, int status)
{
	char msg[160];

	if (!textbuf_failed(out))
		return status;
	snprintf(msg, sizeof(msg), "The page would be larger than %zu bytes, the most this server "
		 "sends at once: ask for a shorter period.", out->limit);
	return page_message(out, 500, "Page too large", msg);
}

static void session_link(const struct page *pg, int64_t id)
{
	if (pg->file)
		textbuf_printf(pg->out, "<a href=\"#session-%lld\">", (long long)id);
	else
		textbuf_printf(pg->out, "<a href=\"/sessions/%lld\">", (long long)id);
}

static void cell_duration(struct textbuf *out, double s)
{
	char text[32];

	report_duration_text(s, text, sizeof(text));
	textbuf_printf(out, "<td>%s</td>", text);
}

static void cell_temperature(struct textbuf *out, double c)
{
	if (isnan(c))
		textbuf_puts(out, "<td>–</td>");
	else
		textbuf_printf(out, "<td>%.1f °C</td>", c);
}

static size_t holds_of_class(const struct store_session *s, const char *cls)
{
	size_t n = 0;

	for (size_t i = 0; i < s->holds_stored; i++)
		n += strcmp(s->holds[i].hold_class, cls) == 0;
	return n;
}

/* A zone as a person reads it: the config's label, the name itself for a
 * zone the config lacks, "no zone" for what counted without one. */
static void zone_cell(struct textbuf *out, const struct zones_cfg *zones, const char *zone)
{
	textbuf_puts(out, "<td>");
	if (zone[0])
		textbuf_html(out, zones_label(zones, zone));
	else
		textbuf_puts(out, "<span class=\"muted\">no zone</span>");
	textbuf_puts(out, "</td>");
}

/* ---- the sessions list ---- */

static void sessions_table_head(struct textbuf *out)
{
	textbuf_puts(out, "<div class=\"scroll\"><table class=\"sessions\"><thead><tr><th>Start</th>"
		     "<th>Device</th><th>Duration</th><th>Holds</th><th>Short</th>"
		     "<th>Effective</th><th>Long</th><th>Hold time</th><th>Rolling</th>"
		     "<th>Heat time</th><th>Max temp.</th></tr></thead><tbody>\n");
}

struct list_ctx {
	const struct page *pg;
	size_t n;
};

static int sessions_row(const struct store_session *s, void *ctx)
{
	struct list_ctx *c = ctx;
	struct textbuf *out = c->pg->out;
	char start[32];

	if (c->n++ == 0)
		sessions_table_head(out);
	report_local_time(s->start_ts, "%Y-%m-%d %H:%M", start, sizeof(start));
	textbuf_puts(out, "<tr data-session=\"");
	textbuf_printf(out, "%lld\"><td>", (long long)s->id);
	session_link(c->pg, s->id);
	textbuf_printf(out, "%s</a></td><td>", start);
	textbuf_html(out, s->device);
	textbuf_puts(out, "</td>");
	cell_duration(out, s->duration_s);
	textbuf_printf(out, "<td>%zu</td><td>%zu</td><td>%zu</td><td>%zu</td>", s->hold_count,
		       holds_of_class(s, "short"), holds_of_class(s, "effective"),
		       holds_of_class(s, "long"));
	cell_duration(out, s->hold_time_s);
	cell_duration(out, s->rolling_time_s);
	cell_duration(out, s->heat_time_s);
	cell_temperature(out, s->max_temperature_c);
	textbuf_puts(out, "</tr>\n");
	return 0;
}

/* The sessions of q's range as a table, newest first on the served page
 * (what a person looks for), in time order in the report file; "No
 * sessions ..." when none. 0, or -1 if the store failed. */
static int sessions_list(const struct page *pg, struct store *st, const struct route *q)
{
	struct list_ctx c = { .pg = pg };
	const char *device = q->device[0] ? q->device : NULL;
	int rc = pg->file ? store_sessions_each(st, device, q->since_ts, q->until_ts, sessions_row,
						&c) :
			    store_sessions_each_newest(st, device, q->since_ts, q->until_ts,
						       sessions_row, &c);

	if (rc < 0)
		return -1;
	if (c.n)
		textbuf_puts(pg->out, "</tbody></table></div>\n");
	else
		textbuf_puts(pg->out, "<p class=\"muted\">No sessions stored in that period.</p>\n");
	return 0;
}

struct select_ctx {
	struct textbuf *out;
	const char *chosen;
};

static int device_option(const char *name, void *ctx)
{
	struct select_ctx *c = ctx;

	textbuf_puts(c->out, "<option value=\"");
	textbuf_html(c->out, name);
	textbuf_printf(c->out, "\"%s>", strcmp(name, c->chosen) == 0 ? " selected" : "");
	textbuf_html(c->out, name);
	textbuf_puts(c->out, "</option>");
	return 0;
}

/* A date input's value: ts as a local date, "" when not given. */
static void date_value(double ts, bool given, char *buf, size_t len)
{
	if (given)
		report_local_time(ts, "%Y-%m-%d", buf, len);
	else
		buf[0] = '\0';
}

/* The filter form (GET): device, since, until. 0, or -1 if the store failed. */
static int filter_form(struct textbuf *out, struct store *st, const struct route *q,
		       const char *action)
{
	struct select_ctx c = { .out = out, .chosen = q->device };
	char since[16], until[16];

	date_value(q->since_ts, q->since_ts > 0, since, sizeof(since));
	date_value(q->until_ts, isfinite(q->until_ts), until, sizeof(until));
	textbuf_printf(out, "<form method=\"get\" action=\"%s\"><label>Device <select name=\"device\">"
		       "<option value=\"\">all devices</option>", action);
	if (store_devices_each(st, device_option, &c) < 0)
		return -1;
	textbuf_printf(out, "</select></label><label>Since <input type=\"date\" name=\"since\" "
		       "value=\"%s\"></label><label>Until <input type=\"date\" name=\"until\" "
		       "value=\"%s\"></label><button type=\"submit\">Show</button></form>\n", since,
		       until);
	return 0;
}

/* 0 if q names no device or a stored one; else the 404 page is in out. */
static int device_known(struct store *st, const struct route *q, struct textbuf *out, int *status)
{
	char err[700];
	int rc;

	if (!q->device[0])
		return 0;
	rc = report_device_check(st, q->device, "the database", err, sizeof(err));
	if (rc == 0)
		return 0;
	*status = rc < 0 ? page_message(out, 500, "Error", "The database could not be read.") :
			   page_message(out, 404, "Unknown device", err);
	return -1;
}

int pages_sessions(struct store *st, const struct route *q, struct textbuf *out)
{
	struct page pg = { .out = out };
	int status;

	if (device_known(st, q, out, &status) < 0)
		return status;
	page_head(&pg, "Sessions");
	textbuf_puts(out, "<h1>Sessions</h1>\n");
	if (filter_form(out, st, q, "/sessions") < 0 || sessions_list(&pg, st, q) < 0)
		return page_message(out, 500, "Error", "The database could not be read.");
	page_foot(&pg);
	return page_status(out, 200);
}

/* ---- one session ---- */

struct fault_seen {
	char *text;		/* the stored JSON object */
	unsigned long long readings;
};

/* What the session's readings feed: the chart and the faults seen. */
struct feed_ctx {
	struct chart *chart;
	double start_mono;
	struct fault_seen faults[FAULTS_SHOWN];
	size_t n_faults;
	unsigned long long other_faults;	/* readings with a fault not listed */
	bool no_memory;
};

static void fault_note(struct feed_ctx *c, const char *text)
{
	for (size_t i = 0; i < c->n_faults; i++) {
		if (strcmp(c->faults[i].text, text) == 0) {
			c->faults[i].readings++;
			return;
		}
	}
	if (c->n_faults == FAULTS_SHOWN) {
		c->other_faults++;
		return;
	}
	c->faults[c->n_faults].text = strdup(text);
	if (!c->faults[c->n_faults].text) {
		c->no_memory = true;
		return;
	}
	c->faults[c->n_faults++].readings = 1;
}

static int feed_point(const struct store_point *p, void *ctx)
{
	struct feed_ctx *c = ctx;
	struct chart_sample s = { .x_s = p->mono - c->start_mono, .seq = p->seq, .ts = p->ts,
				  .pressure_kpa = p->pressure_kpa,
				  .temperature_c = p->temperature_c };

	chart_add(c->chart, &s);
	if (p->faults && p->faults[0])
		fault_note(c, p->faults);
	return 0;
}

/* One fault set as "sensor: what; sensor: what", from its JSON object; the
 * stored text itself if it is not one. */
static void fault_text(struct textbuf *out, const char *json)
{
	cJSON *o = cJSON_Parse(json);
	const cJSON *item;
	bool first = true;

	if (!cJSON_IsObject(o)) {
		textbuf_html(out, json);
		cJSON_Delete(o);
		return;
	}
	cJSON_ArrayForEach(item, o) {
		textbuf_puts(out, first ? "" : "; ");
		textbuf_html(out, item->string ? item->string : "?");
		textbuf_puts(out, ": ");
		textbuf_html(out, cJSON_IsString(item) ? item->valuestring : "?");
		first = false;
	}
	cJSON_Delete(o);
}

static void faults_list(struct textbuf *out, const struct feed_ctx *c)
{
	if (c->n_faults == 0)
		return;
	textbuf_puts(out, "<div class=\"faults\"><strong>Sensor faults in this session</strong><ul>");
	for (size_t i = 0; i < c->n_faults; i++) {
		textbuf_puts(out, "<li>");
		fault_text(out, c->faults[i].text);
		textbuf_printf(out, " <span class=\"muted\">(%llu reading%s)</span></li>",
			       c->faults[i].readings, c->faults[i].readings == 1 ? "" : "s");
	}
	if (c->other_faults)
		textbuf_printf(out, "<li>other faults: %llu readings</li>", c->other_faults);
	textbuf_puts(out, "</ul></div>\n");
}

static void session_summary(struct textbuf *out, const struct store_session *s)
{
	char start[32], end[32], text[32];

	report_local_time(s->start_ts, "%Y-%m-%d %H:%M:%S", start, sizeof(start));
	report_local_time(s->end_ts, "%H:%M:%S", end, sizeof(end));
	textbuf_printf(out, "<dl class=\"summary\"><dt>Time</dt><dd>%s – %s</dd>", start, end);
	report_duration_text(s->duration_s, text, sizeof(text));
	textbuf_printf(out, "<dt>Duration</dt><dd>%s</dd>", text);
	textbuf_printf(out, "<dt>Holds</dt><dd>%zu (%zu short, %zu effective, %zu long)</dd>",
		       s->hold_count, holds_of_class(s, "short"), holds_of_class(s, "effective"),
		       holds_of_class(s, "long"));
	report_duration_text(s->hold_time_s, text, sizeof(text));
	textbuf_printf(out, "<dt>Hold time</dt><dd>%s</dd>", text);
	/* Tools without a gyroscope cannot tell: 0, and their rolling may be
	 * in the hold time (README, "Rolling versus holding"). */
	report_duration_text(s->rolling_time_s, text, sizeof(text));
	textbuf_printf(out, "<dt>Rolling</dt><dd>%s</dd>", text);
	report_duration_text(s->heat_time_s, text, sizeof(text));
	textbuf_printf(out, "<dt>Heat time</dt><dd>%s</dd>", text);
	if (isnan(s->max_temperature_c))
		textbuf_puts(out, "<dt>Max temperature</dt><dd>–</dd>");
	else
		textbuf_printf(out, "<dt>Max temperature</dt><dd>%.1f °C</dd>",
			       s->max_temperature_c);
	if (s->hot_time_s > 0) {
		report_duration_text(s->hot_time_s, text, sizeof(text));
		textbuf_printf(out, "<dt>Too hot</dt><dd>%s</dd>", text);
	}
	textbuf_printf(out, "<dt>Readings</dt><dd>%llu (%llu missing)</dd></dl>\n",
		       (unsigned long long)s->readings, (unsigned long long)s->missing_readings);
}

/* Whether any of s's holds or totals is on a named zone. */
static bool session_has_zones(const struct store_session *s)
{
	for (size_t i = 0; i < s->n_zones; i++)
		if (s->zones[i].zone[0])
			return true;
	return false;
}

static void holds_table(struct textbuf *out, const struct store_session *s,
			const struct zones_cfg *zones)
{
	if (s->holds_stored == 0) {
		textbuf_puts(out, "<p class=\"muted\">No holds in this session.</p>\n");
		return;
	}
	textbuf_puts(out, "<div class=\"scroll\"><table class=\"holds\"><thead><tr><th>#</th>"
		     "<th>Start</th><th>Duration</th><th>Class</th><th>Zone</th><th>Peak</th>"
		     "<th>Mean</th></tr></thead><tbody>\n");
	for (size_t i = 0; i < s->holds_stored; i++) {
		long at = lround(s->holds[i].start_ts - s->start_ts);
		char clock[16];

		report_local_time(s->holds[i].start_ts, "%H:%M:%S", clock, sizeof(clock));
		textbuf_printf(out, "<tr><td>%zu</td><td>%ld:%02ld <span class=\"muted\">(%s)</span>"
			       "</td><td>%.1f s</td><td>", i + 1, at / 60, labs(at % 60), clock,
			       s->holds[i].duration_s);
		textbuf_html(out, s->holds[i].hold_class);
		textbuf_puts(out, "</td>");
		zone_cell(out, zones, s->holds[i].zone);
		textbuf_printf(out, "<td>%.1f kPa</td><td>%.1f kPa</td></tr>\n",
			       s->holds[i].peak_kpa, s->holds[i].mean_kpa);
	}
	textbuf_puts(out, "</tbody></table></div>\n");
}

/* The session's totals per zone, in the order it first counted on each
 * (the detector's); only when some zone was named. */
static void zones_table(struct textbuf *out, const struct store_session *s,
			const struct zones_cfg *zones, int heading)
{
	if (!session_has_zones(s))
		return;
	textbuf_printf(out, "<h%d>Per zone</h%d>\n", heading, heading);
	textbuf_puts(out, "<div class=\"scroll\"><table class=\"zones\"><thead>"
		     "<tr><th>Zone</th><th>Holds</th><th>Short</th><th>Effective</th><th>Long</th>"
		     "<th>Hold time</th><th>Rolling</th><th>Heat time</th></tr></thead><tbody>\n");
	for (size_t i = 0; i < s->n_zones; i++) {
		const struct detector_zone_total *z = &s->zones[i];

		textbuf_puts(out, "<tr data-zone=\"");
		textbuf_html(out, z->zone);
		textbuf_puts(out, "\">");
		zone_cell(out, zones, z->zone);
		textbuf_printf(out, "<td>%zu</td><td>%zu</td><td>%zu</td><td>%zu</td>", z->holds,
			       z->class_holds[DETECTOR_HOLD_SHORT],
			       z->class_holds[DETECTOR_HOLD_EFFECTIVE],
			       z->class_holds[DETECTOR_HOLD_LONG]);
		cell_duration(out, z->hold_time_s);
		cell_duration(out, z->rolling_time_s);
		cell_duration(out, z->heat_time_s);
		textbuf_puts(out, "</tr>\n");
	}
	textbuf_puts(out, "</tbody></table></div>\n");
}

/* Session id's summary, picture, holds and faults (no page around them):
 * 200, 404 (nothing written) or 500. */
static int session_body(const struct page *pg, struct store *st, const struct rs_config *cfg,
			int64_t id, int heading)
{
	const struct detector_cfg *det = &cfg->detector;
	struct textbuf *out = pg->out;
	struct store_session *s = malloc(sizeof(*s));
	struct store_session_span span;
	struct chart_hold holds[DETECTOR_MAX_HOLDS];
	struct feed_ctx feed = { 0 };
	char title[128], start[32];
	int rc, status = 500;

	if (!s)
		return 500;
	rc = store_session_get(st, id, s, &span);
	if (rc <= 0) {
		free(s);
		return rc == 0 ? 404 : 500;
	}
	feed.start_mono = span.start_mono_s;
	feed.chart = chart_new(s->duration_s, det);
	if (!feed.chart)
		goto out;
	if (store_readings_each(st, span.run_id, span.start_mono_s, span.end_mono_s, feed_point,
				&feed) < 0 || feed.no_memory || chart_failed(feed.chart))
		goto out;
	report_local_time(s->start_ts, "%Y-%m-%d %H:%M", start, sizeof(start));
	snprintf(title, sizeof(title), "%s, %s", s->device, start);
	textbuf_printf(out, "<h%d>Session %lld: ", heading, (long long)s->id);
	textbuf_html(out, title);
	textbuf_printf(out, "</h%d>\n", heading);
	session_summary(out, s);
	for (size_t i = 0; i < s->holds_stored; i++)
		holds[i] = (struct chart_hold){ s->holds[i].start_ts - s->start_ts,
						s->holds[i].duration_s, s->holds[i].peak_kpa,
						s->holds[i].mean_kpa, s->holds[i].hold_class };
	textbuf_puts(out, "<div class=\"scroll\">");
	chart_svg(feed.chart, holds, s->holds_stored, title, out);
	textbuf_puts(out, "</div>\n");
	faults_list(out, &feed);
	zones_table(out, s, &cfg->zones, heading + 1);
	holds_table(out, s, &cfg->zones);
	status = 200;
out:
	for (size_t i = 0; i < feed.n_faults; i++)
		free(feed.faults[i].text);
	chart_free(feed.chart);
	free(s);
	return status;
}

int pages_session(struct store *st, const struct rs_config *cfg, int64_t session_id,
		  struct textbuf *out)
{
	struct page pg = { .out = out };
	char title[64];
	int status;

	snprintf(title, sizeof(title), "Session %lld", (long long)session_id);
	page_head(&pg, title);
	status = session_body(&pg, st, cfg, session_id, 1);
	if (status == 404) {
		snprintf(title, sizeof(title), "no session %lld", (long long)session_id);
		return page_message(out, 404, "Unknown session", title);
	}
	if (status != 200)
		return page_message(out, 500, "Error", "The database could not be read.");
	page_foot(&pg);
	return page_status(out, 200);
}

/* ---- history ---- */

static void class_cells(struct textbuf *out, const struct report_total *t, int cls)
{
	char text[32];

	report_duration_text(t->class_time_s[cls], text, sizeof(text));
	textbuf_printf(out, "<td>%zu · %s</td>", t->class_holds[cls], text);
}

/* Hold time by class as a stacked bar per row, scaled to the longest,
 * under a legend of the classes. */
static void totals_bars(struct textbuf *out, const struct report_totals *t)
{
	const double row_h = 22, label_w = 170, bar_w = 300, top = 22, width = label_w + bar_w + 70;
	double longest = 0;

	for (size_t i = 0; i < t->n; i++)
		longest = fmax(longest, t->rows[i].hold_time_s);
	if (longest <= 0)
		return;
	textbuf_printf(out, "<svg class=\"bars\" width=\"%.0f\" viewBox=\"0 0 %.0f %.0f\" "
		       "role=\"img\" font-size=\"13\" font-family=\"sans-serif\" "
		       "fill=\"currentColor\"><title>Hold time per week by class</title>\n", width,
		       width, top + row_h * (double)t->n + 4);
	for (int c = 0; c < 3; c++)
		textbuf_printf(out, "<rect x=\"%.0f\" y=\"3\" width=\"12\" height=\"12\" "
			       "fill=\"%s\"/><text x=\"%.0f\" y=\"14\">%s</text>", label_w + 100 * c,
			       chart_class_colours[c], label_w + 100 * c + 16, chart_class_names[c]);
	textbuf_puts(out, "\n");
	for (size_t i = 0; i < t->n; i++) {
		const struct report_total *r = &t->rows[i];
		double x = label_w, y = top + row_h * (double)i;
		char total[32];

		textbuf_printf(out, "<text x=\"0\" y=\"%.1f\">%s ", y + 15, r->period);
		textbuf_html(out, r->device);
		textbuf_puts(out, "</text>");
		for (int c = 0; c < 3; c++) {
			double w = bar_w * r->class_time_s[c] / longest;

			if (w <= 0)
				continue;
			textbuf_printf(out, "<rect class=\"bar-%s\" x=\"%.1f\" y=\"%.1f\" "
				       "width=\"%.1f\" height=\"16\" fill=\"%s\"/>",
				       chart_class_names[c], x, y + 2, w, chart_class_colours[c]);
			x += w;
		}
		report_duration_text(r->hold_time_s, total, sizeof(total));
		textbuf_printf(out, "<text x=\"%.1f\" y=\"%.1f\">%s</text>\n", x + 4, y + 15, total);
	}
	textbuf_puts(out, "</svg>\n");
}

static void totals_table(struct textbuf *out, const struct report_totals *t, const char *what)
{
	textbuf_printf(out, "<div class=\"scroll\"><table class=\"totals totals-%s\"><thead><tr>"
		       "<th>%s</th><th>Device</th><th>Sessions</th><th>Short</th><th>Effective</th>"
		       "<th>Long</th><th>Hold time</th><th>Rolling</th><th>Heat time</th></tr></thead>"
		       "<tbody>\n",
		       t->period == REPORT_WEEK ? "week" : "day", what);
	for (size_t i = 0; i < t->n; i++) {
		const struct report_total *r = &t->rows[i];

		textbuf_printf(out, "<tr><td>%s</td><td>", r->period);
		textbuf_html(out, r->device);
		textbuf_printf(out, "</td><td>%u</td>", r->sessions);
		for (int c = DETECTOR_HOLD_SHORT; c <= DETECTOR_HOLD_LONG; c++)
			class_cells(out, r, c);
		cell_duration(out, r->hold_time_s);
		cell_duration(out, r->rolling_time_s);
		cell_duration(out, r->heat_time_s);
		textbuf_puts(out, "</tr>\n");
	}
	textbuf_puts(out, "</tbody></table></div>\n");
}

/* The per-zone weeks: a row per ISO week, device and zone; only when some
 * session named a zone. */
static void zone_weeks_table(struct textbuf *out, const struct report_totals *t,
			     const struct zones_cfg *zones)
{
	bool named = false;

	for (size_t i = 0; i < t->n && !named; i++)
		named = t->rows[i].zone[0] != '\0';
	if (!named) {
		if (zones->n > 0)
			textbuf_puts(out, "<p class=\"muted\">No zone chosen in that period.</p>\n");
		return;
	}
	textbuf_puts(out, "<div class=\"scroll\"><table class=\"totals totals-zone\"><thead><tr>"
		     "<th>Week</th><th>Device</th><th>Zone</th><th>Days</th><th>Short</th>"
		     "<th>Effective</th><th>Long</th><th>Hold time</th><th>Rolling</th>"
		     "<th>Heat time</th></tr></thead><tbody>\n");
	for (size_t i = 0; i < t->n; i++) {
		const struct report_total *r = &t->rows[i];

		textbuf_puts(out, "<tr data-zone=\"");
		textbuf_html(out, r->zone);
		textbuf_printf(out, "\"><td>%s</td><td>", r->period);
		textbuf_html(out, r->device);
		textbuf_puts(out, "</td>");
		zone_cell(out, zones, r->zone);
		textbuf_printf(out, "<td>%u</td>", r->days);
		for (int c = DETECTOR_HOLD_SHORT; c <= DETECTOR_HOLD_LONG; c++)
			textbuf_printf(out, "<td>%zu</td>", r->class_holds[c]);
		cell_duration(out, r->hold_time_s);
		cell_duration(out, r->rolling_time_s);
		cell_duration(out, r->heat_time_s);
		textbuf_puts(out, "</tr>\n");
	}
	textbuf_puts(out, "</tbody></table></div>\n");
}

static int totals_add(const struct store_session *s, void *ctx)
{
	struct report_totals *t = ctx;

	for (int i = 0; i < 3; i++)
		report_totals_add(&t[i], s);
	return 0;
}

/* ---- advice ---- */

struct names_ctx {
	char (*names)[65];
	size_t n;
};

static int name_take(const char *name, void *ctx)
{
	struct names_ctx *c = ctx;

	if (c->n == ADVICE_DEVICES_MAX)
		return 1;
	snprintf(c->names[c->n++], sizeof(c->names[0]), "%s", name);
	return 0;
}

/* "4, 3 and 3": the days of each week, oldest first. */
static void days_text(struct textbuf *out, const struct advice_item *it)
{
	for (size_t w = 0; w < it->n_weeks; w++)
		textbuf_printf(out, "%s%u", w == 0 ? "" : w + 1 == it->n_weeks ? " and " : ", ",
			       it->days_per_week[w]);
}

/* One device's advice as a box: what was seen, then what it means (each
 * kind's text once). Nothing when there is none. */
static void advice_box(struct textbuf *out, const struct rs_config *cfg, const char *device,
		       const struct advice *a)
{
	bool kinds[ADVICE_KINDS] = { false };
	char text[32];

	if (a->n == 0)
		return;
	textbuf_puts(out, "<section class=\"advice\" data-device=\"");
	textbuf_html(out, device);
	textbuf_puts(out, "\"><h2>Advice for ");
	textbuf_html(out, device);
	textbuf_printf(out, " <span class=\"muted\">(%s)</span></h2><ul>", a->date);
	for (size_t i = 0; i < a->n; i++) {
		const struct advice_item *it = &a->items[i];

		kinds[it->kind] = true;
		textbuf_printf(out, "<li class=\"advice-%d\">", (int)it->kind);
		switch (it->kind) {
		case ADVICE_SEE_PROFESSIONAL:
			textbuf_puts(out, "<strong>");
			textbuf_html(out, zones_label(&cfg->zones, it->zone));
			textbuf_puts(out, "</strong>: treated on ");
			days_text(out, it);
			textbuf_printf(out, " days in the last %zu weeks (oldest first)", it->n_weeks);
			break;
		case ADVICE_OVER_TREATMENT:
			textbuf_puts(out, "<strong>");
			textbuf_html(out, zones_label(&cfg->zones, it->zone));
			textbuf_printf(out, "</strong>: %zu of %zu holds in the last week were long "
				       "(over %.0f s)", it->long_holds, it->holds, cfg->detector.long_s);
			break;
		default:
			report_duration_text(it->hot_time_s, text, sizeof(text));
			textbuf_printf(out, "<strong>Burn risk</strong>: %s at %.0f °C or more in the "
				       "last week", text, cfg->detector.hot_c);
			break;
		}
		textbuf_puts(out, "</li>");
	}
	textbuf_puts(out, "</ul>");
	for (int k = 0; k < ADVICE_KINDS; k++) {
		if (!kinds[k])
			continue;
		textbuf_puts(out, "<p>");
		textbuf_html(out, advice_text((enum advice_kind)k));
		textbuf_puts(out, "</p>");
	}
	textbuf_puts(out, "</section>\n");
}

/* The advice as of now_ts of q's device, or of every device. 0, or -1 if
 * the store failed or memory ran out. */
static int advice_boxes(const struct page *pg, struct store *st, const struct rs_config *cfg,
			const struct route *q, double now_ts)
{
	char (*names)[65] = calloc(ADVICE_DEVICES_MAX, sizeof(*names));
	struct names_ctx c = { .names = names };
	struct advice *a = malloc(sizeof(*a));
	int rc = -1;

	if (!names || !a)
		goto out;
	if (q->device[0])
		name_take(q->device, &c);
	else if (store_devices_each(st, name_take, &c) < 0)
		goto out;
	for (size_t i = 0; i < c.n; i++) {
		if (advice_for_device(st, &cfg->advice, names[i], now_ts, a) < 0)
			goto out;
		advice_box(pg->out, cfg, names[i], a);
	}
	rc = 0;
out:
	free(a);
	free(names);
	return rc;
}

/* The history of q's range: per week (with the bars), per zone and week,
 * and per day. 0, or -1 if the store failed or memory ran out. */
static int history_body(const struct page *pg, struct store *st, const struct rs_config *cfg,
			const struct route *q)
{
	struct report_totals t[3] = { { .period = REPORT_DAY }, { .period = REPORT_WEEK },
				      { .period = REPORT_WEEK, .by_zone = true } };
	int rc = store_sessions_each(st, q->device[0] ? q->device : NULL, q->since_ts,
				     q->until_ts, totals_add, t);

	if (rc == 0 && !t[0].no_memory && !t[1].no_memory && !t[2].no_memory) {
		for (int i = 0; i < 3; i++)
			report_totals_sort(&t[i]);
		if (t[0].n == 0) {
			textbuf_puts(pg->out, "<p class=\"muted\">No sessions stored in that period."
				     "</p>\n");
		} else {
			textbuf_puts(pg->out, "<p class=\"muted\">Holds by class: count · time. "
				     "Weeks are ISO weeks (Monday first), local time.</p>\n"
				     "<h2>Per week</h2>\n");
			totals_bars(pg->out, &t[1]);
			totals_table(pg->out, &t[1], "Week");
			textbuf_puts(pg->out, "<h2>Per zone and week</h2>\n");
			zone_weeks_table(pg->out, &t[2], &cfg->zones);
			textbuf_puts(pg->out, "<h2>Per day</h2>\n");
			totals_table(pg->out, &t[0], "Day");
		}
	} else {
		rc = -1;
	}
	for (int i = 0; i < 3; i++)
		report_totals_free(&t[i]);
	return rc;
}

int pages_history(struct store *st, const struct rs_config *cfg, const struct route *q,
		  double now_ts, struct textbuf *out)
{
	struct page pg = { .out = out };
	int status;

	if (device_known(st, q, out, &status) < 0)
		return status;
	page_head(&pg, "History");
	textbuf_puts(out, "<h1>History</h1>\n");
	/* The advice first: what a person most needs to read. */
	if (advice_boxes(&pg, st, cfg, q, now_ts) < 0 || filter_form(out, st, q, "/history") < 0 ||
	    history_body(&pg, st, cfg, q) < 0)
		return page_message(out, 500, "Error", "The database could not be read.");
	page_foot(&pg);
	return page_status(out, 200);
}

/* ---- report --html ---- */

struct report_html {
	struct store *st;
	const struct rs_config *cfg;
	struct textbuf section;
	FILE *out;
	bool failed;
};

/* Writes what b holds to the file and empties it: a report of many long
 * sessions is never held in memory whole. */
static void flush_to(struct textbuf *b, FILE *out, bool *failed)
{
	if (textbuf_failed(b) || fwrite(textbuf_text(b), 1, b->len, out) != b->len)
		*failed = true;
	textbuf_reset(b);
}

static int report_session(const struct store_session *s, void *ctx)
{
	struct report_html *r = ctx;
	struct page pg = { .out = &r->section, .file = true };

	textbuf_printf(&r->section, "<section class=\"session\" id=\"session-%lld\">\n",
		       (long long)s->id);
	if (session_body(&pg, r->st, r->cfg, s->id, 2) != 200) {
		r->failed = true;
		return 1;
	}
	textbuf_puts(&r->section, "</section>\n");
	flush_to(&r->section, r->out, &r->failed);
	return r->failed;
}

int pages_report_html(struct store *st, const struct rs_config *cfg, const struct route *q,
		      FILE *out)
{
	struct report_html r = { .st = st, .cfg = cfg, .out = out };
	struct page pg = { .out = &r.section, .file = true };
	char when[64];

	textbuf_init(&r.section, 0);
	page_head(&pg, "Sessions and history");
	report_local_time((double)time(NULL), "%Y-%m-%d %H:%M", when, sizeof(when));
	textbuf_puts(&r.section, "<h1>rollsense: sessions and history</h1>\n<p class=\"muted\">");
	if (q->device[0]) {
		textbuf_puts(&r.section, "Device ");
		textbuf_html(&r.section, q->device);
		textbuf_puts(&r.section, ". ");
	}
	textbuf_printf(&r.section, "Written %s.</p>\n<h2>Sessions</h2>\n", when);
	if (sessions_list(&pg, st, q) < 0)
		r.failed = true;
	textbuf_puts(&r.section, "<h2>History</h2>\n");
	if (advice_boxes(&pg, st, cfg, q, (double)time(NULL)) < 0 || history_body(&pg, st, cfg, q) < 0)
		r.failed = true;
	flush_to(&r.section, out, &r.failed);
	if (!r.failed && store_sessions_each(st, q->device[0] ? q->device : NULL, q->since_ts,
					     q->until_ts, report_session, &r) < 0)
		r.failed = true;
	page_foot(&pg);
	flush_to(&r.section, out, &r.failed);
	textbuf_free(&r.section);
	return r.failed ? -1 : 0;
}
