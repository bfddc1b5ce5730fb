/* Session summaries and live events as JSON. These are rare (a few per
 * minute), so cJSON builds them; numbers are rounded to what they mean
 * (0.1 s is below the sample period, 0.01 kPa below the noise) so the text
 * stays short and readable. */
#include "summary.h"

#include <math.h>
#include <stdbool.h>
#include <string.h>

#include <cJSON.h>

static double round_to(double v, double step)
{
	return round(v / step) * step;
}

static bool add_number(cJSON *o, const char *name, double v)
{
	if (!isfinite(v))
		return cJSON_AddNullToObject(o, name) != NULL;
	return cJSON_AddNumberToObject(o, name, v) != NULL;
}

/* zone: the hold's zone ("" none). */
static bool add_hold(cJSON *o, const struct detector_hold *h, const char *zone, double ts_offset_s)
{
	return add_number(o, "start", round_to(h->start_mono_s + ts_offset_s, 0.01)) &&
	       add_number(o, "duration_s", round_to(h->duration_s, 0.01)) &&
	       add_number(o, "peak_kpa", round_to(h->peak_kpa, 0.01)) &&
	       add_number(o, "mean_kpa", round_to(h->mean_kpa, 0.01)) &&
	       cJSON_AddStringToObject(o, "class", detector_class_name(h->hold_class)) != NULL &&
	       (zone[0] == '\0' || cJSON_AddStringToObject(o, "zone", zone) != NULL);
}

/* "zones":{"calf_left":{...},...}: the named zones only, in the detector's
 * order; what counted without a zone is only in the session's totals. An
 * empty object when there is none, so that a reader always finds it. */
static bool add_zones(cJSON *o, const struct detector_summary *s)
{
	cJSON *zones = cJSON_AddObjectToObject(o, "zones");

	if (!zones)
		return false;
	for (size_t i = 0; i < s->n_zones && i < DETECTOR_MAX_ZONES + 1; i++) {
		const struct detector_zone_total *z = &s->zones[i];
		cJSON *t;

		if (z->zone[0] == '\0')
			continue;
		t = cJSON_AddObjectToObject(zones, z->zone);
		if (!t || !add_number(t, "holds", (double)z->holds) ||
		    !add_number(t, "short", (double)z->class_holds[DETECTOR_HOLD_SHORT]) ||
		    !add_number(t, "effective", (double)z->class_holds[DETECTOR_HOLD_EFFECTIVE]) ||
		    !add_number(t, "long", (double)z->class_holds[DETECTOR_HOLD_LONG]) ||
		    !add_number(t, "hold_time_s", round_to(z->hold_time_s, 0.01)) ||
		    !add_number(t, "rolling_time_s", round_to(z->rolling_time_s, 0.01)) ||
		    !add_number(t, "heat_time_s", round_to(z->heat_time_s, 0.01)) ||
		    !add_number(t, "hot_time_s", round_to(z->hot_time_s, 0.01)))
			return false;
	}
	return true;
}

static bool add_summary(cJSON *o, const struct detector_summary *s, double ts_offset_s)
{
	cJSON *holds;

	if (!add_number(o, "start", round_to(s->start_mono_s + ts_offset_s, 0.01)) ||
	    !add_number(o, "end", round_to(s->end_mono_s + ts_offset_s, 0.01)) ||
	    !add_number(o, "duration_s", round_to(s->duration_s, 0.01)) ||
	    !add_number(o, "hold_count", (double)s->hold_count) ||
	    !add_number(o, "hold_time_s", round_to(s->hold_time_s, 0.01)) ||
	    !add_number(o, "rolling_time_s", round_to(s->rolling_time_s, 0.01)))
		return false;
	holds = cJSON_AddArrayToObject(o, "holds");
	if (!holds)
		return false;
	for (size_t i = 0; i < s->holds_stored && i < DETECTOR_MAX_HOLDS; i++) {
		cJSON *h = cJSON_CreateObject();

		if (!h)
			return false;
		cJSON_AddItemToArray(holds, h);
		if (!add_hold(h, &s->holds[i], detector_hold_zone(s, &s->holds[i]), ts_offset_s))
			return false;
	}
	return add_number(o, "heat_time_s", round_to(s->heat_time_s, 0.01)) &&
	       add_number(o, "max_temperature_c", round_to(s->max_temperature_c, 0.01)) &&
	       add_number(o, "hot_time_s", round_to(s->hot_time_s, 0.01)) &&
	       add_number(o, "readings", (double)s->samples) &&
	       add_number(o, "missing_readings", (double)s->missing_samples) &&
	       add_zones(o, s);
}

/* Prints o into buf and frees it. */
static int print_into(cJSON *o, bool ok, char *buf, size_t len)
{
	int n = -1;

	if (ok && cJSON_PrintPreallocated(o, buf, (int)(len > 5 ? len - 5 : 0), false))
		n = (int)strlen(buf);
	cJSON_Delete(o);
	return n;
}

int summary_encode(const struct detector_summary *s, const char *device, const char *run,
		   double ts_offset_s, char *buf, size_t len)
{
	cJSON *o = cJSON_CreateObject();
	bool ok;

	if (!o)
		return -1;
	ok = cJSON_AddStringToObject(o, "device", device) && cJSON_AddStringToObject(o, "run", run) &&
	     add_summary(o, s, ts_offset_s);
	return print_into(o, ok, buf, len);
}

int summary_mark_revised(char *buf, size_t len, size_t size)
{
	static const char field[] = ",\"revised\":true}";

	if (len < 2 || buf[0] != '{' || buf[len - 1] != '}' || len - 1 + sizeof(field) > size)
		return -1;
	memcpy(buf + len - 1, field, sizeof(field));	/* with its NUL */
	return (int)(len - 1 + sizeof(field) - 1);
}

int event_encode(const struct detector_event *ev, const char *run, double ts_offset_s,
		 char *buf, size_t len)
{
	cJSON *o = cJSON_CreateObject();
	cJSON *sub;
	bool ok;

	if (!o)
		return -1;
	ok = cJSON_AddStringToObject(o, "event", detector_event_name(ev->kind)) &&
	     cJSON_AddStringToObject(o, "run", run) &&
	     add_number(o, "mono", round_to(ev->mono_s, 0.001)) &&
	     add_number(o, "ts", round_to(ev->mono_s + ts_offset_s, 0.001));
	switch (ev->kind) {
	case DETECTOR_EVENT_CONTACT:
		ok = ok && add_number(o, "pressure_kpa", round_to(ev->pressure_kpa, 0.01));
		break;
	case DETECTOR_EVENT_HEAT_ON:
	case DETECTOR_EVENT_HEAT_OFF:
	case DETECTOR_EVENT_TOO_HOT:
		ok = ok && add_number(o, "temperature_c", round_to(ev->temperature_c, 0.01));
		break;
	case DETECTOR_EVENT_HOLD_STARTED:
	case DETECTOR_EVENT_HOLD_10S:
	case DETECTOR_EVENT_HOLD_60S:
	case DETECTOR_EVENT_HOLD_ENDED:
		sub = ok ? cJSON_AddObjectToObject(o, "hold") : NULL;
		ok = sub && add_hold(sub, &ev->hold, ev->zone, ts_offset_s);
		break;
	case DETECTOR_EVENT_SESSION_ENDED:
		sub = ok && ev->session ? cJSON_AddObjectToObject(o, "session") : NULL;
		ok = sub && add_summary(sub, ev->session, ts_offset_s);
		break;
	default:
		break;
	}
	return print_into(o, ok, buf, len);
}
