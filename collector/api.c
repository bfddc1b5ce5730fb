/* The JSON API (pages.h): /api/devices, /api/sessions, /api/sessions/ID,
 * /api/devices/ID/weeks and /api/devices/ID/advice.
 * A session is the summary `report --json` prints (summary_encode, times
 * already wall clock) with its "id" put first; readings rows are
 * [ts, pressure_kpa, temperature_c], ts with 3 decimals, null for a channel
 * without a value. */
#include "pages.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <cJSON.h>

#include "advice.h"
#include "chart.h"
#include "report.h"
#include "summary.h"

/* A summary with its holds fits easily: 64 holds of ~100 bytes. */
#define SESSION_JSON_MAX 16384

static int api_error(struct textbuf *out, int status, const char *msg)
{
	textbuf_reset(out);
	textbuf_puts(out, "{\"error\":");
	textbuf_json_string(out, msg);
	textbuf_puts(out, "}\n");
	return textbuf_failed(out) ? 500 : status;
}

/* 200, or if the answer did not fit out, a 500 saying so. */
static int api_status(struct textbuf *out)
{
	char msg[160];

	if (!textbuf_failed(out))
		return 200;
	snprintf(msg, sizeof(msg), "the answer would be larger than %zu bytes, the most this "
		 "server sends at once: ask for a shorter period, or without raw=1", out->limit);
	return api_error(out, 500, msg);
}

static void json_time(struct textbuf *out, double ts)
{
	if (isfinite(ts))
		textbuf_printf(out, "%.3f", ts);
	else
		textbuf_puts(out, "null");
}

static void json_value(struct textbuf *out, double v)
{
	if (isfinite(v))
		textbuf_printf(out, "%.2f", v);
	else
		textbuf_puts(out, "null");
}

struct devices_ctx {
	struct textbuf *out;
	size_t n;
};

static int device_entry(const struct store_device_info *d, void *ctx)
{
	struct devices_ctx *c = ctx;

	textbuf_puts(c->out, c->n++ ? ",\n{\"device\":" : "\n{\"device\":");
	textbuf_json_string(c->out, d->device);
	textbuf_printf(c->out, ",\"sessions\":%llu,\"first_ts\":", (unsigned long long)d->sessions);
	json_time(c->out, d->first_ts);
	textbuf_puts(c->out, ",\"last_ts\":");
	json_time(c->out, d->last_ts);
	textbuf_puts(c->out, "}");
	return 0;
}

int api_devices(struct store *st, struct textbuf *out)
{
	struct devices_ctx c = { .out = out };

	textbuf_puts(out, "[");
	if (store_device_infos_each(st, device_entry, &c) < 0)
		return api_error(out, 500, "the database could not be read");
	textbuf_puts(out, "\n]\n");
	return api_status(out);
}

/* s as report --json gives it, with "id" first. false if it did not fit. */
static bool session_json(struct textbuf *out, const struct store_session *s)
{
	struct detector_summary sum;
	char buf[SESSION_JSON_MAX];

	store_session_summary(s, &sum);
	if (summary_encode(&sum, s->device, s->run, 0, buf, sizeof(buf)) < 2)
		return false;
	textbuf_printf(out, "{\"id\":%lld,%s", (long long)s->id, buf + 1);
	return true;
}

struct sessions_ctx {
	struct textbuf *out;
	size_t n;
	bool failed;
};

static int session_entry(const struct store_session *s, void *ctx)
{
	struct sessions_ctx *c = ctx;

	textbuf_puts(c->out, c->n++ ? ",\n" : "\n");
	if (!session_json(c->out, s))
		c->failed = true;
	return c->failed;
}

/* 0 if the database knows device; otherwise the 404 or 500 is in out and
 * its status in *status. */
static int api_device_known(struct store *st, const char *device, struct textbuf *out,
			    int *status)
{
	char err[700];
	int rc = report_device_check(st, device, "the database", err, sizeof(err));

	if (rc == 0)
		return 0;
	*status = rc < 0 ? api_error(out, 500, "the database could not be read") :
			   api_error(out, 404, err);
	return -1;
}

int api_sessions(struct store *st, const struct route *q, struct textbuf *out)
{
	struct sessions_ctx c = { .out = out };
	int status;

	if (q->device[0] && api_device_known(st, q->device, out, &status) < 0)
		return status;
	textbuf_puts(out, "[");
	if (store_sessions_each(st, q->device[0] ? q->device : NULL, q->since_ts, q->until_ts,
				session_entry, &c) < 0 || c.failed)
		return api_error(out, 500, "the database could not be read");
	textbuf_puts(out, "\n]\n");
	return api_status(out);
}

struct rows_ctx {
	struct textbuf *out;
	double start_mono;
	bool raw;
	struct chart_columns cols;
	size_t n;
};

static void row_out(struct rows_ctx *c, double ts, double kpa, double temp_c)
{
	textbuf_puts(c->out, c->n++ ? ",\n[" : "\n[");
	json_time(c->out, ts);
	textbuf_puts(c->out, ",");
	json_value(c->out, kpa);
	textbuf_puts(c->out, ",");
	json_value(c->out, temp_c);
	textbuf_puts(c->out, "]");
}

static void rows_emit(const struct chart_sample *picks, size_t n, void *ctx)
{
	for (size_t i = 0; i < n; i++)
		row_out(ctx, picks[i].ts, picks[i].pressure_kpa, picks[i].temperature_c);
}

static int row_point(const struct store_point *p, void *ctx)
{
	struct rows_ctx *c = ctx;
	struct chart_sample s = { .x_s = p->mono - c->start_mono, .seq = p->seq, .ts = p->ts,
				  .pressure_kpa = p->pressure_kpa,
				  .temperature_c = p->temperature_c };

	if (c->raw)
		row_out(c, p->ts, p->pressure_kpa, p->temperature_c);
	else
		chart_columns_add(&c->cols, &s, rows_emit, c);
	return 0;
}

int api_session(struct store *st, int64_t session_id, bool raw, struct textbuf *out)
{
	struct store_session *s = malloc(sizeof(*s));
	struct store_session_span span;
	struct rows_ctx rows = { .out = out, .raw = raw };
	char msg[64];
	int rc;

	if (!s)
		return api_error(out, 500, "out of memory");
	rc = store_session_get(st, session_id, s, &span);
	if (rc <= 0) {
		free(s);
		snprintf(msg, sizeof(msg), "no session %lld", (long long)session_id);
		return rc == 0 ? api_error(out, 404, msg) :
				 api_error(out, 500, "the database could not be read");
	}
	textbuf_puts(out, "{\"session\":");
	rc = session_json(out, s) ? 0 : -1;
	textbuf_puts(out, ",\n\"holds\":[");
	for (size_t i = 0; i < s->holds_stored; i++) {
		textbuf_printf(out, "%s{\"start\":", i ? "," : "");
		json_time(out, s->holds[i].start_ts);
		textbuf_printf(out, ",\"duration_s\":%.2f,\"peak_kpa\":", s->holds[i].duration_s);
		json_value(out, s->holds[i].peak_kpa);
		textbuf_puts(out, ",\"mean_kpa\":");
		json_value(out, s->holds[i].mean_kpa);
		textbuf_puts(out, ",\"class\":");
		textbuf_json_string(out, s->holds[i].hold_class);
		textbuf_puts(out, "}");
	}
	textbuf_printf(out, "],\n\"readings\":{\"columns\":[\"ts\",\"pressure_kpa\","
		       "\"temperature_c\"],\"downsampled\":%s,\"rows\":[", raw ? "false" : "true");
	rows.start_mono = span.start_mono_s;
	chart_columns_init(&rows.cols, s->duration_s, CHART_COLUMNS, false, CHART_PRESSURE);
	if (rc == 0 && store_readings_each(st, span.run_id, span.start_mono_s, span.end_mono_s,
					   row_point, &rows) < 0)
		rc = -1;
	chart_columns_flush(&rows.cols, rows_emit, &rows);
	textbuf_puts(out, "\n]}}\n");
	free(s);
	return rc < 0 ? api_error(out, 500, "the database could not be read") : api_status(out);
}

static int weeks_add(const struct store_session *s, void *ctx)
{
	report_totals_add(ctx, s);
	return 0;
}

int api_weeks(struct store *st, const struct zones_cfg *zones, const char *device,
	      struct textbuf *out)
{
	struct report_totals t = { .period = REPORT_WEEK, .by_zone = true };
	int status;

	if (api_device_known(st, device, out, &status) < 0)
		return status;
	if (store_sessions_each(st, device, 0, INFINITY, weeks_add, &t) < 0 || t.no_memory) {
		report_totals_free(&t);
		return api_error(out, 500, "the database could not be read");
	}
	report_totals_sort(&t);
	textbuf_puts(out, "[");
	for (size_t i = 0; i < t.n; i++) {
		const struct report_total *r = &t.rows[i];

		textbuf_printf(out, "%s{\"week\":\"%s\",\"zone\":", i ? ",\n" : "\n", r->period);
		if (r->zone[0]) {
			textbuf_json_string(out, r->zone);
			textbuf_puts(out, ",\"label\":");
			textbuf_json_string(out, zones_label(zones, r->zone));
		} else {
			textbuf_puts(out, "null,\"label\":null");
		}
		textbuf_printf(out, ",\"days\":%u,\"holds\":%zu,\"short\":%zu,\"effective\":%zu,"
			       "\"long\":%zu,\"hold_time_s\":%.1f,\"rolling_time_s\":%.1f,"
			       "\"heat_time_s\":%.1f,\"hot_time_s\":%.1f}", r->days, r->holds,
			       r->class_holds[DETECTOR_HOLD_SHORT],
			       r->class_holds[DETECTOR_HOLD_EFFECTIVE],
			       r->class_holds[DETECTOR_HOLD_LONG], r->hold_time_s,
			       r->rolling_time_s, r->heat_time_s, r->hot_time_s);
	}
	textbuf_puts(out, "\n]\n");
	report_totals_free(&t);
	return api_status(out);
}

int api_advice(struct store *st, const struct rs_config *cfg, const char *device, double now_ts,
	       struct textbuf *out)
{
	struct advice *a;
	int status;

	if (api_device_known(st, device, out, &status) < 0)
		return status;
	a = malloc(sizeof(*a));
	if (!a)
		return api_error(out, 500, "out of memory");
	if (advice_for_device(st, &cfg->advice, device, now_ts, a) < 0) {
		free(a);
		return api_error(out, 500, "the database could not be read");
	}
	status = advice_encode(a, &cfg->zones, device, out);
	free(a);
	if (status < 0)
		return api_error(out, 500, "out of memory");
	textbuf_puts(out, "\n");
	return api_status(out);
}
