/* The live view model (live.h): sensord's readings, live events and status,
 * folded into what a person watching the tool wants to see now. Events
 * come on their own topic and may arrive a moment before or after the
 * reading of the same sample, so each view is built to be right whichever
 * comes first (the hold timer takes the later of the two). */
#include "live.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cJSON.h>

#include "pages.h"
#include "reading.h"
#include "topic.h"
#include "utf8.h"

/* A device not heard from (no reading) for this long is shown offline. */
#define LIVE_STALE_S 5.0
/* Heat time adds up steps between known temperatures no longer than this:
 * a longer silence is a break, as the detector counts none across one. */
#define LIVE_HEAT_STEP_MAX_S 5.0
/* too_hot has no "no longer hot" event: the badge goes when the temperature
 * drops this far below the one too_hot reported (the detector's default
 * heat_hysteresis_c), or with heat_off. */
#define LIVE_HOT_HYSTERESIS_C 0.5

struct live_slot {
	struct live_device d;
	double heard_s;		/* now_s of the last reading; 0: none */
	double temp_ts;		/* ts of the last known temperature; 0: none */
	double too_hot_c;	/* what too_hot reported; NAN when not too hot */
	double hold_event_s;	/* the open hold's duration_s in its last hold_* event */
};

struct live {
	char prefix[64];
	struct live_slot slots[LIVE_MAX_DEVICES];
	size_t n;
	unsigned long long malformed, ignored;
	char last_event[24];
	struct zones_cfg zones;
};

struct live *live_new(const char *topic_prefix)
{
	struct live *l;

	if (!topic_prefix || strlen(topic_prefix) >= sizeof(l->prefix)) {
		errno = EINVAL;
		return NULL;
	}
	l = calloc(1, sizeof(*l));
	if (!l)
		return NULL;
	strcpy(l->prefix, topic_prefix);
	return l;
}

void live_free(struct live *l)
{
	free(l);
}

void live_set_zones(struct live *l, const struct zones_cfg *zones)
{
	l->zones = *zones;
}

size_t live_device_count(const struct live *l)
{
	return l->n;
}

const struct live_device *live_device_at(const struct live *l, size_t i)
{
	return i < l->n ? &l->slots[i].d : NULL;
}

unsigned long long live_malformed(const struct live *l)
{
	return l->malformed;
}

unsigned long long live_ignored(const struct live *l)
{
	return l->ignored;
}

const char *live_last_event(const struct live *l)
{
	return l->last_event;
}

static void session_clear(struct live_device *d)
{
	d->in_session = false;
	d->session_start_ts = NAN;
	d->in_hold = false;
	d->in_rolling = false;
	d->hold_start_ts = NAN;
	d->hold_s = NAN;
	d->hold_class[0] = '\0';
	d->holds_short = d->holds_effective = d->holds_long = 0;
	d->hold_time_s = d->heat_time_s = 0;
}

/* The device's slot, made on first sight; -1 when the table is full. */
static int slot_find(struct live *l, const char *device)
{
	struct live_slot *s;

	for (size_t i = 0; i < l->n; i++)
		if (strcmp(l->slots[i].d.device, device) == 0)
			return (int)i;
	if (l->n == LIVE_MAX_DEVICES) {
		l->ignored++;
		return -1;
	}
	s = &l->slots[l->n];
	memset(s, 0, sizeof(*s));
	snprintf(s->d.device, sizeof(s->d.device), "%s", device);
	s->d.pressure_kpa = s->d.temperature_c = NAN;
	s->too_hot_c = NAN;
	session_clear(&s->d);
	return (int)l->n++;
}

/* Keeps the totals of the session that closes (at end_ts, lasting
 * duration_s) for the view, and clears the running ones. */
static void session_close(struct live_device *d, double end_ts, double duration_s)
{
	d->has_last_session = true;
	d->last_session_end_ts = end_ts;
	d->last_session_duration_s = duration_s;
	d->last_holds_short = d->holds_short;
	d->last_holds_effective = d->holds_effective;
	d->last_holds_long = d->holds_long;
	d->last_hold_time_s = d->hold_time_s;
	d->last_heat_time_s = d->heat_time_s;
	session_clear(d);
}

static void faults_text(const struct reading *r, char *out, size_t size)
{
	size_t pos = 0, n;

	out[0] = '\0';
	for (size_t i = 0; i < r->n_faults && pos < size; i++)
		pos += (size_t)snprintf(out + pos, size - pos, "%s%s: %s", i ? "; " : "",
					r->faults[i].sensor, r->faults[i].what);
	/* A cut text may end inside a character. */
	n = strlen(out);
	while (n > 0 && !utf8_valid(out, n))
		out[--n] = '\0';
}

static int on_reading(struct live_slot *s, const char *payload, size_t len,
		      double now_s)
{
	struct live_device *d = &s->d;
	struct reading r;

	if (reading_decode(payload, len, &r) != READING_OK)
		return -1;
	/* A new run is a restarted sensord with a fresh detector: what the
	 * old one had open will never be closed by an event. */
	if (d->run[0] && strcmp(d->run, r.run) != 0) {
		if (d->in_session)
			session_close(d, d->last_ts, d->last_ts - d->session_start_ts);
		d->heat_on = d->too_hot = false;
		s->too_hot_c = NAN;
		s->temp_ts = 0;
	}
	snprintf(d->run, sizeof(d->run), "%s", r.run);
	if (!isnan(r.temperature_c)) {
		double step = r.ts - s->temp_ts;

		if (d->heat_on && s->temp_ts > 0 && step > 0 && step <= LIVE_HEAT_STEP_MAX_S)
			d->heat_time_s += step;
		s->temp_ts = r.ts;
		if (d->too_hot && r.temperature_c < s->too_hot_c - LIVE_HOT_HYSTERESIS_C) {
			d->too_hot = false;
			s->too_hot_c = NAN;
		}
	}
	d->last_ts = r.ts;
	d->pressure_kpa = r.pressure_kpa;
	d->temperature_c = r.temperature_c;
	faults_text(&r, d->faults, sizeof(d->faults));
	if (d->in_hold && r.ts - d->hold_start_ts > d->hold_s)
		d->hold_s = r.ts - d->hold_start_ts;
	s->heard_s = now_s;
	d->online = strcmp(d->status, "offline") != 0;
	return 0;
}

static int on_status(struct live_slot *s, const char *payload, size_t len, double now_s)
{
	struct live_device *d = &s->d;
	bool heard = s->heard_s > 0 && now_s - s->heard_s <= LIVE_STALE_S;

	if (len == 6 && memcmp(payload, "online", 6) == 0) {
		strcpy(d->status, "online");
		d->online = heard;
	} else if (len == 7 && memcmp(payload, "offline", 7) == 0) {
		strcpy(d->status, "offline");
		d->online = false;
	} else {
		return -1;
	}
	return 0;
}

/* cJSON keeps both members of {"a":1,"a":2}; such an event is refused
 * rather than read one way here and another elsewhere. */
static bool members_distinct(const cJSON *obj)
{
	for (const cJSON *a = obj ? obj->child : NULL; a; a = a->next)
		for (const cJSON *b = a->next; b; b = b->next)
			if (!a->string || !b->string || strcmp(a->string, b->string) == 0)
				return false;
	return true;
}

static bool number_in(const cJSON *item, double lo, double hi, double *out)
{
	if (!cJSON_IsNumber(item) || !isfinite(item->valuedouble) || item->valuedouble < lo ||
	    item->valuedouble > hi)
		return false;
	*out = item->valuedouble;
	return true;
}

/* The "hold" of a hold_* event: its start, duration and class. */
static bool hold_parse(const cJSON *hold, double *start, double *duration_s, const char **cls)
{
	const cJSON *c = cJSON_GetObjectItemCaseSensitive(hold, "class");

	if (!cJSON_IsObject(hold) || !members_distinct(hold) ||
	    !number_in(cJSON_GetObjectItemCaseSensitive(hold, "start"), 0, 1e11, start) ||
	    !number_in(cJSON_GetObjectItemCaseSensitive(hold, "duration_s"), 0, 1e9, duration_s) ||
	    !cJSON_IsString(c))
		return false;
	if (strcmp(c->valuestring, "short") != 0 && strcmp(c->valuestring, "effective") != 0 &&
	    strcmp(c->valuestring, "long") != 0)
		return false;
	*cls = c->valuestring;
	return true;
}

static void hold_count(struct live_device *d, const char *cls, double duration_s)
{
	if (strcmp(cls, "short") == 0)
		d->holds_short++;
	else if (strcmp(cls, "effective") == 0)
		d->holds_effective++;
	else
		d->holds_long++;
	d->hold_time_s += duration_s;
}

/* A session summary's figures replace the running ones: they are the
 * detector's final word, right even when this view came in late and missed
 * some of the session's events. The holds are counted again from its list
 * when the list has them all (it keeps the first 64). */
static void summary_apply(struct live_device *d, const cJSON *sum)
{
	const cJSON *holds = cJSON_GetObjectItemCaseSensitive(sum, "holds"), *h;
	unsigned n_short = 0, n_effective = 0, n_long = 0;
	double value;

	if (number_in(cJSON_GetObjectItemCaseSensitive(sum, "hold_time_s"), 0, 1e9, &value))
		d->hold_time_s = value;
	if (number_in(cJSON_GetObjectItemCaseSensitive(sum, "heat_time_s"), 0, 1e9, &value))
		d->heat_time_s = value;
	if (!number_in(cJSON_GetObjectItemCaseSensitive(sum, "hold_count"), 0, 1e9, &value) ||
	    !cJSON_IsArray(holds) || (double)cJSON_GetArraySize(holds) != value)
		return;
	cJSON_ArrayForEach(h, holds) {
		const cJSON *c = cJSON_GetObjectItemCaseSensitive(h, "class");

		if (!cJSON_IsString(c))
			return;
		if (strcmp(c->valuestring, "short") == 0)
			n_short++;
		else if (strcmp(c->valuestring, "effective") == 0)
			n_effective++;
		else if (strcmp(c->valuestring, "long") == 0)
			n_long++;
		else
			return;
	}
	d->holds_short = n_short;
	d->holds_effective = n_effective;
	d->holds_long = n_long;
}

/* The zone topic (docs/protocol.md, "Zones"):
 * {"zone":"calf_left","label":"Left calf","position":12,"of":15}, or
 * "zone":null for none; an empty (cleared retained) message is none too.
 * The label shown is the config's, so the page and the history say the
 * same; the topic's serves a zone the config lacks. */
static int on_zone(const struct live *l, struct live_slot *s, const char *payload, size_t len)
{
	char text[LIVE_MAX_PAYLOAD + 1];
	const cJSON *zone, *label;
	cJSON *root;
	int i, rc = -1;

	if (len == 0) {
		s->d.zone[0] = s->d.zone_label[0] = '\0';
		return 0;
	}
	if (len > LIVE_MAX_PAYLOAD || memchr(payload, '\0', len) || !utf8_valid(payload, len))
		return -1;
	memcpy(text, payload, len);
	text[len] = '\0';
	root = cJSON_ParseWithOpts(text, NULL, 1);
	zone = cJSON_GetObjectItemCaseSensitive(root, "zone");
	label = cJSON_GetObjectItemCaseSensitive(root, "label");
	if (!cJSON_IsObject(root) || !members_distinct(root))
		goto out;
	if (cJSON_IsNull(zone)) {
		s->d.zone[0] = s->d.zone_label[0] = '\0';
		rc = 0;
		goto out;
	}
	if (!cJSON_IsString(zone) || !zone_name_valid(zone->valuestring))
		goto out;
	snprintf(s->d.zone, sizeof(s->d.zone), "%s", zone->valuestring);
	i = zones_find(&l->zones, s->d.zone);
	if (i >= 0)
		snprintf(s->d.zone_label, sizeof(s->d.zone_label), "%s", l->zones.zone[i].label);
	else if (cJSON_IsString(label) && label->valuestring[0] &&
		 strlen(label->valuestring) <= ZONE_LABEL_MAX)
		snprintf(s->d.zone_label, sizeof(s->d.zone_label), "%s", label->valuestring);
	else
		snprintf(s->d.zone_label, sizeof(s->d.zone_label), "%s", s->d.zone);
	rc = 0;
out:
	cJSON_Delete(root);
	return rc;
}

/* Applies a parsed event; -1 when a field it needs is missing or wrong. */
static int event_apply(struct live_slot *s, const char *name, const cJSON *root, double ts)
{
	struct live_device *d = &s->d;
	double start, duration_s, value;
	const char *cls;

	if (strcmp(name, "hold_started") == 0 || strcmp(name, "hold_10s") == 0 ||
	    strcmp(name, "hold_60s") == 0 || strcmp(name, "hold_ended") == 0) {
		if (!hold_parse(cJSON_GetObjectItemCaseSensitive(root, "hold"), &start, &duration_s,
				&cls))
			return -1;
		/* A hold of another start: the open one is over, and its
		 * hold_ended was lost (QoS 0). It is counted as it was when
		 * last heard of (its class so far, the duration its last event
		 * gave), as the person made it: leaving it out would show one
		 * hold fewer until session_ended's summary puts the figures
		 * right. Its timer is not carried on: the readings since may
		 * be after it ended. */
		if (d->in_hold && start != d->hold_start_ts) {
			hold_count(d, d->hold_class, s->hold_event_s);
			d->in_hold = false;
		}
		if (!d->in_hold)
			d->hold_s = NAN;
		snprintf(d->hold_class, sizeof(d->hold_class), "%s", cls);
		d->hold_start_ts = start;
		s->hold_event_s = duration_s;
		if (strcmp(name, "hold_ended") == 0) {
			d->in_hold = false;
			d->hold_s = duration_s;
			hold_count(d, cls, duration_s);
		} else {
			/* The reading of this sample may have come first: then
			 * it already says how long the hold has lasted. */
			if (isnan(d->hold_s) || duration_s > d->hold_s)
				d->hold_s = duration_s;
			if (d->last_ts - start > d->hold_s)
				d->hold_s = d->last_ts - start;
			d->in_hold = true;
		}
		return 0;
	}
	if (strcmp(name, "heat_on") == 0 || strcmp(name, "heat_off") == 0 ||
	    strcmp(name, "too_hot") == 0) {
		if (!number_in(cJSON_GetObjectItemCaseSensitive(root, "temperature_c"), -100, 10000,
			       &value))
			return -1;
		if (strcmp(name, "too_hot") == 0) {
			d->too_hot = true;
			s->too_hot_c = value;
		} else {
			d->heat_on = strcmp(name, "heat_on") == 0;
			if (!d->heat_on) {
				d->too_hot = false;
				s->too_hot_c = NAN;
			}
		}
		return 0;
	}
	if (strcmp(name, "rolling_started") == 0 || strcmp(name, "rolling_ended") == 0) {
		d->in_rolling = strcmp(name, "rolling_started") == 0;
		return 0;
	}
	if (strcmp(name, "contact") == 0)
		return number_in(cJSON_GetObjectItemCaseSensitive(root, "pressure_kpa"), -100, 10000,
				 &value) ? 0 : -1;
	if (strcmp(name, "session_started") == 0) {
		double heat_s = d->in_session ? 0 : d->heat_time_s;	/* pre-heat counts */

		session_clear(d);
		d->heat_time_s = heat_s;
		d->has_last_session = false;
		d->in_session = true;
		d->session_start_ts = ts;
		return 0;
	}
	if (strcmp(name, "session_ended") == 0) {
		const cJSON *sum = cJSON_GetObjectItemCaseSensitive(root, "session");

		if (!cJSON_IsObject(sum))
			return -1;
		if (!number_in(cJSON_GetObjectItemCaseSensitive(sum, "duration_s"), 0, 1e9,
			       &duration_s))
			duration_s = isnan(d->session_start_ts) ? 0 : ts - d->session_start_ts;
		summary_apply(d, sum);
		session_close(d, ts, duration_s);
		/* From the summary alone: the events do not add it up. */
		if (!number_in(cJSON_GetObjectItemCaseSensitive(sum, "rolling_time_s"), 0, 1e9,
			       &d->last_rolling_time_s))
			d->last_rolling_time_s = 0;
		return 0;
	}
	return 1;	/* an event this view does not know: ignored */
}

static int on_event(struct live *l, struct live_slot *s, const char *payload, size_t len)
{
	char text[LIVE_MAX_PAYLOAD + 1];
	const cJSON *name;
	cJSON *root;
	double ts, mono;
	int rc = -1;

	if (len == 0 || len > LIVE_MAX_PAYLOAD || memchr(payload, '\0', len) ||
	    !utf8_valid(payload, len))
		return -1;
	memcpy(text, payload, len);
	text[len] = '\0';
	root = cJSON_ParseWithOpts(text, NULL, 1);
	name = cJSON_GetObjectItemCaseSensitive(root, "event");
	if (cJSON_IsObject(root) && members_distinct(root) && cJSON_IsString(name) &&
	    cJSON_IsString(cJSON_GetObjectItemCaseSensitive(root, "run")) &&
	    reading_run_valid(cJSON_GetObjectItemCaseSensitive(root, "run")->valuestring) &&
	    number_in(cJSON_GetObjectItemCaseSensitive(root, "mono"), 0, 1e9, &mono) &&
	    number_in(cJSON_GetObjectItemCaseSensitive(root, "ts"), 0, 1e11, &ts)) {
		rc = event_apply(s, name->valuestring, root, ts);
		if (rc == 0)
			snprintf(l->last_event, sizeof(l->last_event), "%s", name->valuestring);
	}
	cJSON_Delete(root);
	return rc;
}

int live_message(struct live *l, const char *topic, const char *payload, size_t len,
		 double now_s)
{
	char device[TOPIC_DEVICE_ID_MAX + 1], kind[16];
	int i, rc;

	l->last_event[0] = '\0';
	if (!topic || topic_parse(topic, l->prefix, device, sizeof(device), kind, sizeof(kind)) < 0) {
		l->malformed++;
		return -2;
	}
	if (strcmp(kind, "reading") != 0 && strcmp(kind, "event") != 0 &&
	    strcmp(kind, "status") != 0 && strcmp(kind, "zone") != 0)
		return -1;	/* health, session, ...: not this view's */
	if (!payload)
		len = 0;
	i = slot_find(l, device);
	if (i < 0)
		return -1;
	if (kind[0] == 'r')
		rc = on_reading(&l->slots[i], payload, len, now_s);
	else if (kind[0] == 'e')
		rc = on_event(l, &l->slots[i], payload, len);
	else if (kind[0] == 'z')
		rc = on_zone(l, &l->slots[i], payload, len);
	else
		rc = on_status(&l->slots[i], payload, len, now_s);
	if (rc < 0) {
		l->malformed++;
		return -2;
	}
	return rc == 0 ? i : -1;
}

int live_tick(struct live *l, double now_s)
{
	for (size_t i = 0; i < l->n; i++) {
		struct live_slot *s = &l->slots[i];

		if (s->d.online && now_s - s->heard_s > LIVE_STALE_S) {
			s->d.online = false;
			return (int)i;
		}
	}
	return -1;
}

/* A number rounded to decimals places in its shortest form (40, 12.5), or
 * null for NAN. */
static void json_number(struct textbuf *out, const char *key, double v, int decimals)
{
	char num[64];
	size_t n;

	textbuf_printf(out, ",\"%s\":", key);
	if (!isfinite(v)) {
		textbuf_puts(out, "null");
		return;
	}
	n = (size_t)snprintf(num, sizeof(num), "%.*f", decimals, v);
	if (strchr(num, '.')) {
		while (n > 0 && num[n - 1] == '0')
			num[--n] = '\0';
		if (n > 0 && num[n - 1] == '.')
			num[--n] = '\0';
	}
	textbuf_puts(out, strcmp(num, "-0") == 0 ? "0" : num);
}

static void json_bool(struct textbuf *out, const char *key, bool v)
{
	textbuf_printf(out, ",\"%s\":%s", key, v ? "true" : "false");
}

static void json_text(struct textbuf *out, const char *key, const char *v)
{
	textbuf_printf(out, ",\"%s\":", key);
	if (v[0])
		textbuf_json_string(out, v);
	else
		textbuf_puts(out, "null");
}

void live_device_json(const struct live_device *d, struct textbuf *out)
{
	textbuf_puts(out, "{\"device\":");
	textbuf_json_string(out, d->device);
	json_bool(out, "online", d->online);
	json_text(out, "status", d->status);
	json_text(out, "run", d->run);
	json_number(out, "ts", d->last_ts > 0 ? d->last_ts : NAN, 3);
	json_number(out, "pressure_kpa", d->pressure_kpa, 2);
	json_number(out, "temperature_c", d->temperature_c, 2);
	json_text(out, "zone", d->zone);
	json_text(out, "zone_label", d->zone_label);
	json_text(out, "faults", d->faults);
	json_bool(out, "heat_on", d->heat_on);
	json_bool(out, "too_hot", d->too_hot);
	json_bool(out, "in_session", d->in_session);
	json_number(out, "session_start_ts", d->session_start_ts, 3);
	json_bool(out, "in_hold", d->in_hold);
	json_bool(out, "in_rolling", d->in_rolling);
	json_number(out, "hold_start_ts", d->hold_start_ts, 3);
	json_number(out, "hold_s", d->hold_s, 2);
	json_text(out, "hold_class", d->hold_class);
	textbuf_printf(out, ",\"holds_short\":%u,\"holds_effective\":%u,\"holds_long\":%u",
		       d->holds_short, d->holds_effective, d->holds_long);
	json_number(out, "hold_time_s", d->hold_time_s, 2);
	json_number(out, "heat_time_s", d->heat_time_s, 2);
	textbuf_puts(out, ",\"last_session\":");
	if (!d->has_last_session) {
		textbuf_puts(out, "null}");
		return;
	}
	textbuf_printf(out, "{\"holds_short\":%u,\"holds_effective\":%u,\"holds_long\":%u",
		       d->last_holds_short, d->last_holds_effective, d->last_holds_long);
	json_number(out, "end_ts", d->last_session_end_ts, 3);
	json_number(out, "duration_s", d->last_session_duration_s, 2);
	json_number(out, "hold_time_s", d->last_hold_time_s, 2);
	json_number(out, "rolling_time_s", d->last_rolling_time_s, 2);
	json_number(out, "heat_time_s", d->last_heat_time_s, 2);
	textbuf_puts(out, "}}");
}

/* ---- the live page ---- */

/* The page up to the devices' box, whose data-* attributes the script
 * reads: data-commands "1" shows the tare button, and the zone picker when
 * the page has the zones' <template id="zones"> (live_page_html writes it
 * after the box, with commands and zones only); data-hold-start-kpa,
 * data-effective-s and data-long-s are the detector's thresholds, which
 * the bar's line and the timer's marks show. The script asks nothing of
 * the server but /events (and the command, when shown); every device card
 * is built from the "device" events, which live_device_json writes. The
 * hold timer counts on with the browser's clock from the last event's
 * hold_s, so it moves smoothly between readings and stops when the device
 * goes offline. */
static const char page_head[] =
	"<!DOCTYPE html>\n"
	"<html lang=\"en\">\n"
	"<head>\n"
	"<meta charset=\"utf-8\">\n"
	"<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
	"<meta name=\"color-scheme\" content=\"light dark\">\n"
	"<title>rollsense: live</title>\n"
	"<style>\n";
/* After pages_css, whose colours and layout every page shares: the live
 * view's own. */
static const char page_style[] =
	"\n:root{--ok:#1a7f37;--warn:#b35900;--bad:#c62828}\n"
	"@media (prefers-color-scheme:dark){:root{--ok:#3fb950;--warn:#f0883e;--bad:#f85149}}\n"
	"[hidden]{display:none!important}\n"
	"nav a[aria-current]{color:var(--fg)}\n"
	"main{max-width:46em;padding-top:1em}\n"
	".banner{background:var(--warn);color:#fff;padding:.4em .8em;border-radius:.4em}\n"
	".card{background:var(--card);border-radius:.6em;padding:1em;margin-bottom:1em;"
	"overflow-wrap:anywhere}\n"
	".card h2{margin:0 0 .4em;font-size:1.2em;display:flex;justify-content:space-between;gap:.5em}\n"
	".state{font-size:.8em;font-weight:400}\n"
	".state.online{color:var(--ok)}\n"
	".state.offline{color:var(--muted)}\n"
	".timer{font-size:3.6em;font-weight:700;line-height:1.1;font-variant-numeric:tabular-nums}\n"
	".timer.idle{color:var(--muted)}\n"
	".timer[data-mark=\"counts\"]{color:var(--ok)}\n"
	".timer[data-mark=\"let go\"]{color:var(--bad)}\n"
	".mark{font-weight:600;min-height:1.5em}\n"
	".bar{position:relative;height:2.4em;margin-top:.4em;background:var(--bg);"
	"border:1px solid var(--line);border-radius:.3em;overflow:hidden}\n"
	".fill{position:absolute;left:0;top:0;bottom:0;width:0;background:var(--accent)}\n"
	".thr{position:absolute;top:0;bottom:0;border-left:2px dashed var(--fg)}\n"
	".scale{position:relative;height:1.3em;font-size:.8em;color:var(--muted)}\n"
	".scale span{position:absolute}\n"
	".kpa{font-size:1.4em;font-variant-numeric:tabular-nums}\n"
	".heat-on{color:var(--warn);font-weight:600}\n"
	".badge{display:inline-block;margin-left:.5em;padding:0 .6em;border-radius:1em;"
	"background:var(--bad);color:#fff;font-weight:600}\n"
	"button{font:inherit;margin-top:.6em;padding:.4em 1.2em}\n"
	".zone{font-weight:600;margin-top:.3em}\n"
	".pick{margin-left:.6em}\n"
	"</style>\n"
	"</head>\n"
	"<body>\n"
	"<nav><a href=\"/\" aria-current=\"page\">Live</a><a href=\"/sessions\">Sessions</a><a href=\"/history\">History</a></nav>\n"
	"<main>\n"
	"<p id=\"conn\" class=\"banner\" hidden>reconnecting…</p>\n"
	"<noscript><p>The live view needs JavaScript to follow the device. The Sessions and History pages work without it.</p></noscript>\n"
	"<p id=\"waiting\" class=\"muted\">waiting for a device…</p>\n"
	"<div id=\"devices\"";

static const char page_tail[] =
	"</main>\n"
	"<script>\n"
	"\"use strict\";\n"
	"const box = document.getElementById(\"devices\");\n"
	"const conn = document.getElementById(\"conn\");\n"
	"const commands = box.dataset.commands === \"1\";\n"
	"const holdKpa = Number(box.dataset.holdStartKpa);\n"
	"const effectiveS = Number(box.dataset.effectiveS);\n"
	"const longS = Number(box.dataset.longS);\n"
	"/* The zone picker's options (commands on, zones configured): a template. */\n"
	"const zoneChoices = document.getElementById(\"zones\");\n"
	"/* 0 to 40 kPa, or wider so that the line stands at three quarters. */\n"
	"const topKpa = Math.max(40, Math.ceil(holdKpa * 4 / 30) * 10);\n"
	"/* A Map: a device may be called \"constructor\" or \"__proto__\". */\n"
	"const cards = new Map();\n"
	"\n"
	"function el(tag, cls, parent, text) {\n"
	"  const e = document.createElement(tag);\n"
	"  if (cls) e.className = cls;\n"
	"  if (text !== undefined) e.textContent = text;\n"
	"  parent.appendChild(e);\n"
	"  return e;\n"
	"}\n"
	"function clock(s) {\n"
	"  const t = Math.floor(s * 10 + 1e-6);\n"
	"  if (t < 600) return (t / 10).toFixed(1) + \" s\";\n"
	"  const sec = (t % 600) / 10;\n"
	"  return Math.floor(t / 600) + \":\" + (sec < 10 ? \"0\" : \"\") + sec.toFixed(1);\n"
	"}\n"
	"function minutes(s) {\n"
	"  const t = Math.round(s);\n"
	"  return Math.floor(t / 60) + \":\" + String(t % 60).padStart(2, \"0\");\n"
	"}\n"
	"/* The command's answer, for the card: {\"sent\":...} or {\"error\":...}. */\n"
	"function send(id, c, body, type) {\n"
	"  c.msg.textContent = \" sending…\";\n"
	"  fetch(\"/api/devices/\" + encodeURIComponent(id) + \"/command\",\n"
	"        {method: \"POST\", body: body, headers: {\"Content-Type\": type}})\n"
	"    .then(r => r.text().then(t => {\n"
	"      let said = t.trim();\n"
	"      try { const j = JSON.parse(t); said = j.sent || j.error || said; } catch (x) { }\n"
	"      c.msg.textContent = \" \" + (said || \"error \" + r.status);\n"
	"    }))\n"
	"    .catch(() => { c.msg.textContent = \" not sent: no connection\"; });\n"
	"}\n"
"function card(id) {\n"
	"  if (cards.has(id)) return cards.get(id);\n"
	"  const c = {hold: null, at: 0, running: false};\n"
	"  const root = el(\"section\", \"card\", box);\n"
	"  root.id = \"device-\" + id;\n"
	"  root.dataset.device = id;\n"
	"  const h = el(\"h2\", \"\", root);\n"
	"  el(\"span\", \"name\", h, id);\n"
	"  c.state = el(\"span\", \"state\", h);\n"
	"  c.timer = el(\"div\", \"timer idle\", root, \"–\");\n"
	"  c.timer.dataset.device = id;\n"
	"  c.mark = el(\"div\", \"mark\", root);\n"
	"  const bar = el(\"div\", \"bar\", root);\n"
	"  c.fill = el(\"div\", \"fill\", bar);\n"
	"  const thr = el(\"div\", \"thr\", bar);\n"
	"  thr.style.left = holdKpa / topKpa * 100 + \"%\";\n"
	"  thr.title = box.dataset.holdStartKpa + \" kPa: a hold starts here\";\n"
	"  const scale = el(\"div\", \"scale\", root);\n"
	"  el(\"span\", \"\", scale, \"0\").style.left = \"0\";\n"
	"  el(\"span\", \"\", scale, box.dataset.holdStartKpa + \" kPa\").style.left = thr.style.left;\n"
	"  el(\"span\", \"\", scale, String(topKpa)).style.right = \"0\";\n"
	"  c.kpa = el(\"div\", \"kpa\", root);\n"
	"  const temp = el(\"div\", \"temp\", root);\n"
	"  c.temp = el(\"span\", \"\", temp);\n"
	"  c.heat = el(\"span\", \"\", temp);\n"
	"  c.burn = el(\"span\", \"badge\", temp, \"burn risk\");\n"
	"  c.zone = el(\"div\", \"zone\", root);\n"
	"  c.session = el(\"div\", \"session\", root);\n"
	"  c.faults = el(\"div\", \"faults\", root);\n"
	"  c.faults.hidden = true;\n"
	"  if (commands) {\n"
	"    el(\"button\", \"tare\", root, \"Tare\").onclick =\n"
	"      () => send(id, c, \"tare\", \"text/plain\");\n"
	"    if (zoneChoices) {\n"
	"      const pick = el(\"label\", \"pick\", root, \"Zone \");\n"
	"      c.pick = el(\"select\", \"\", pick);\n"
	"      c.pick.append(zoneChoices.content.cloneNode(true));\n"
	"      c.pick.onchange = () => send(id, c, JSON.stringify({zone: c.pick.value}),\n"
	"                                   \"application/json\");\n"
	"    }\n"
	"    c.msg = el(\"span\", \"muted\", root);\n"
	"  }\n"
	"  document.getElementById(\"waiting\").hidden = true;\n"
	"  cards.set(id, c);\n"
	"  return c;\n"
	"}\n"
	"function show(c) {\n"
	"  const t = c.timer;\n"
	"  if (c.rolling) {\n"
	"    t.textContent = \"–\";\n"
	"    t.className = \"timer idle\";\n"
	"    t.dataset.holdS = \"\";\n"
	"    t.dataset.mark = \"rolling\";\n"
	"    c.mark.textContent = \"rolling, not a hold\";\n"
	"    return;\n"
	"  }\n"
	"  if (c.hold === null) {\n"
	"    t.textContent = \"–\";\n"
	"    t.className = \"timer idle\";\n"
	"    t.dataset.holdS = \"\";\n"
	"    t.dataset.mark = \"\";\n"
	"    c.mark.textContent = \"no hold yet\";\n"
	"    return;\n"
	"  }\n"
	"  const s = c.running ? c.hold + (performance.now() - c.at) / 1000 : c.hold;\n"
	"  const mark = s > longS ? \"let go\" : s >= effectiveS ? \"counts\" : \"\";\n"
	"  t.textContent = clock(s);\n"
	"  t.className = c.running ? \"timer\" : \"timer idle\";\n"
	"  t.dataset.holdS = s.toFixed(1);\n"
	"  t.dataset.mark = mark;\n"
	"  c.mark.textContent = c.running ? (mark || \"hold…\") : \"last hold: \" + (c.cls || \"\");\n"
	"}\n"
	"function holds(n) {\n"
	"  const all = n.holds_short + n.holds_effective + n.holds_long;\n"
	"  return all + (all === 1 ? \" hold (\" : \" holds (\") + n.holds_short +\n"
	"    \" short, \" + n.holds_effective + \" effective, \" + n.holds_long + \" long), hold time \" +\n"
	"    minutes(n.hold_time_s) +\n"
	"    (n.rolling_time_s > 0 ? \", rolling \" + minutes(n.rolling_time_s) : \"\") +\n"
	"    \", heat \" + minutes(n.heat_time_s);\n"
	"}\n"
	"function update(d) {\n"
	"  const c = card(d.device);\n"
	"  c.state.textContent = d.online ? \"online\" : \"offline\";\n"
	"  c.state.className = \"state \" + (d.online ? \"online\" : \"offline\");\n"
	"  const p = d.pressure_kpa;\n"
	"  c.fill.style.width = (p === null ? 0 : Math.max(0, Math.min(100, p / topKpa * 100))) + \"%\";\n"
	"  c.kpa.textContent = p === null ? \"– kPa\" : p.toFixed(1) + \" kPa\";\n"
	"  c.temp.textContent = d.temperature_c === null ? \"– °C\" : d.temperature_c.toFixed(1) + \" °C\";\n"
	"  c.heat.textContent = d.heat_on ? \" heat on\" : \" heat off\";\n"
	"  c.heat.className = d.heat_on ? \"heat-on\" : \"\";\n"
	"  c.burn.hidden = !d.too_hot;\n"
	"  c.zone.textContent = \"Zone: \" + (d.zone_label || \"none\");\n"
	"  c.zone.dataset.zone = d.zone || \"\";\n"
	"  if (c.pick && document.activeElement !== c.pick) c.pick.value = d.zone || \"none\";\n"
	"  if (d.in_session) c.session.textContent = \"This session: \" + holds(d);\n"
	"  else if (d.last_session) c.session.textContent = \"Last session: \" + holds(d.last_session);\n"
	"  else c.session.textContent = \"No session yet\";\n"
	"  c.faults.textContent = d.faults || \"\";\n"
	"  c.faults.hidden = !d.faults;\n"
	"  c.hold = d.hold_s;\n"
	"  c.cls = d.hold_class;\n"
	"  c.at = performance.now();\n"
	"  c.running = d.in_hold && d.online;\n"
	"  c.rolling = d.in_rolling && d.online && !d.in_hold;\n"
	"  show(c);\n"
	"}\n"
	"function frame(e) {\n"
	"  try { update(JSON.parse(e.data)); } catch (x) { console.error(x); }\n"
	"}\n"
	"function connect() {\n"
	"  const es = new EventSource(\"/events\");\n"
	"  es.addEventListener(\"device\", frame);\n"
	"  es.onopen = () => { conn.hidden = true; };\n"
	"  es.onerror = () => {\n"
	"    conn.hidden = false;\n"
	"    if (es.readyState === EventSource.CLOSED) setTimeout(connect, 3000);\n"
	"  };\n"
	"}\n"
	"setInterval(() => { for (const c of cards.values()) show(c); }, 100);\n"
	"connect();\n"
	"</script>\n"
	"</body>\n"
	"</html>\n";

void live_page_html(struct textbuf *out, bool commands, const struct detector_cfg *det,
		    const struct zones_cfg *zones)
{
	textbuf_puts(out, page_head);
	textbuf_puts(out, pages_css);
	textbuf_puts(out, page_style);
	textbuf_printf(out, " data-commands=\"%d\" data-hold-start-kpa=\"%.15g\" "
		       "data-effective-s=\"%.15g\" data-long-s=\"%.15g\"></div>\n", commands ? 1 : 0,
		       det->hold_start_kpa, det->effective_s, det->long_s);
	/* The picker's options: "none" clears the zone (zone.h). */
	if (commands && zones->n > 0) {
		textbuf_puts(out, "<template id=\"zones\"><option value=\"" ZONE_NONE "\">no zone"
			     "</option>");
		for (size_t i = 0; i < zones->n; i++) {
			textbuf_puts(out, "<option value=\"");
			textbuf_html(out, zones->zone[i].name);
			textbuf_puts(out, "\">");
			textbuf_html(out, zones->zone[i].label);
			textbuf_puts(out, "</option>");
		}
		textbuf_puts(out, "</template>\n");
	}
	textbuf_puts(out, page_tail);
}
