/* Scenarios: parsing the scenario language described in sim.h, and answering
 * "what does chip X sense at time t". The parser is a pure function of the
 * text (no globals, no I/O) so a fuzzer can drive it directly; every count is
 * bounded (chips, statements, line length) so hostile input costs at most a
 * few megabytes and never crashes.
 *
 * Each chip quantity has a timeline: its model's default, then the steps and
 * ramps sorted by start time (file order breaks ties). A statement starting
 * later overrides one still running, so a step in the middle of a ramp cuts
 * the ramp short. The value each event starts from is computed once after
 * parsing; a lookup is then a binary search, O(log n) for a scenario of
 * thousands of statements at ~100 Hz per chip. */
#include "scenario_internal.h"

#include <ctype.h>
#include <errno.h>
#include <float.h>
#include <math.h>
#include <stddef.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "file.h"

#define KELVIN_OFFSET 273.15
/* Values beyond this are refused, so what the models convert to register
 * counts stays far from overflow (they still clamp to their ADC range:
 * noise has no bound). */
#define VALUE_ABS_MAX 1e9
/* Scenarios are written by hand or by a script: far smaller than this. */
#define FILE_MAX_BYTES ((size_t)16 << 20)
/* Quantities in degrees Celsius ("_c") cannot go below absolute zero: the
 * sealed-ball gas law divides by the start temperature in kelvin. */
#define CELSIUS_MIN (-KELVIN_OFFSET)
#define TOKENS_MAX 8
/* How much of an offending token an error message quotes. */
#define QUOTE_MAX 40

struct sim_event {
	double start_s;
	double end_s;		/* == start_s for a step */
	double value;		/* reached at end_s */
	double from;		/* the timeline's value at start_s, set after parsing */
	size_t order;		/* file order, for a stable sort */
	bool ramp;
};

struct sim_timeline {
	struct sim_event *events;
	size_t count;
	size_t cap;
	double initial;		/* the model's default, before any event */
	double sigma;
	bool noise_set;
	uint64_t rng;
	long frozen_window;	/* stuck window whose value is frozen, or -1 */
	double frozen_value;
};

struct sim_window {
	double start_s;
	double end_s;
};

struct sim_windows {
	struct sim_window *windows;
	size_t count;
	size_t cap;
};

struct sim_scenario {
	uint64_t seed;
	bool seed_set;
	double end_s;
	bool end_set;
	size_t chip_count;
	struct sim_chip chips[SIM_MAX_CHIPS];
	struct sim_timeline lines[SIM_MAX_CHIPS][SIM_MAX_QUANTITIES];
	struct sim_windows faults[SIM_MAX_CHIPS][SIM_FAULT_KINDS];
};

/* The models: adding one is its file in sim/ plus a line here and above. */
extern const struct sim_model sim_bmp280_model;
extern const struct sim_model sim_bme280_model;
extern const struct sim_model sim_ads1115_model;
extern const struct sim_model sim_mcp9808_model;
extern const struct sim_model sim_lps22hb_model;
extern const struct sim_model sim_mpu6050_model;

static const struct sim_model *const builtin_models[] = {
	&sim_bmp280_model,
	&sim_bme280_model,
	&sim_ads1115_model,
	&sim_mcp9808_model,
	&sim_lps22hb_model,
	&sim_mpu6050_model,
	NULL,
};

static const char *const fault_names[SIM_FAULT_KINDS] = {
	[SIM_FAULT_NACK] = "nack",
	[SIM_FAULT_ABSENT] = "absent",
	[SIM_FAULT_STUCK] = "stuck",
};

/* ---- noise ---------------------------------------------------------------- */

/* splitmix64 (Steele, Lea, Flood 2014): a 64-bit state stepped by the golden
 * ratio and mixed; small, fast, and good enough for test noise. */
static uint64_t rng_next(uint64_t *state)
{
	uint64_t z;

	*state += 0x9e3779b97f4a7c15ULL;
	z = *state;
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

/* Uniform in [0, 1) from the top 53 bits. */
static double rng_uniform(uint64_t *state)
{
	return (double)(rng_next(state) >> 11) * 0x1.0p-53;
}

/* A standard normal draw by Box-Muller; 1 - u keeps the logarithm finite. */
static double rng_gaussian(uint64_t *state)
{
	double u1 = 1.0 - rng_uniform(state);
	double u2 = rng_uniform(state);

	return sqrt(-2.0 * log(u1)) * cos(2.0 * M_PI * u2);
}

/* ---- timelines ------------------------------------------------------------ */

/* The fraction is taken first: (value - from) * (t - start) could overflow
 * for a ramp over 1e300 s, the fraction is always within [0, 1). */
static double ramp_at(const struct sim_event *ev, double t)
{
	return ev->from + (ev->value - ev->from) * ((t - ev->start_s) / (ev->end_s - ev->start_s));
}

/* How many of count items, sorted by start time, start at or before t:
 * each item is size bytes and has its start (a double) at start_off. One
 * binary search for the events of a timeline and the windows of a fault. */
static size_t started_by(const void *items, size_t count, size_t size, size_t start_off,
			 double t)
{
	const unsigned char *base = items;
	size_t lo = 0, hi = count;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		double start_s;

		memcpy(&start_s, base + mid * size + start_off, sizeof(start_s));
		if (start_s <= t)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

/* The value of line at t given its events are sorted and their "from" set:
 * the last event started at or before t decides. */
static double timeline_eval(const struct sim_timeline *line, double t)
{
	size_t lo = started_by(line->events, line->count, sizeof(*line->events),
			       offsetof(struct sim_event, start_s), t);
	const struct sim_event *ev;

	if (lo == 0)
		return line->initial;
	ev = &line->events[lo - 1];
	if (ev->ramp && t < ev->end_s)
		return ramp_at(ev, t);
	return ev->value;
}

static int event_compare(const void *a, const void *b)
{
	const struct sim_event *x = a, *y = b;

	if (x->start_s != y->start_s)
		return x->start_s < y->start_s ? -1 : 1;
	return x->order < y->order ? -1 : x->order > y->order;
}

/* Sorts the events and sets where each one starts from, in one pass: event i
 * starts from what events 0..i-1 give at its start time. */
static void timeline_finish(struct sim_timeline *line)
{
	size_t i;

	if (line->count > 1)
		qsort(line->events, line->count, sizeof(line->events[0]), event_compare);
	for (i = 0; i < line->count; i++) {
		struct sim_event *ev = &line->events[i];
		const struct sim_event *prev = i ? &line->events[i - 1] : NULL;

		if (!prev)
			ev->from = line->initial;
		else if (prev->ramp && ev->start_s < prev->end_s)
			ev->from = ramp_at(prev, ev->start_s);
		else
			ev->from = prev->value;
	}
}

/* By start only: windows that start together are merged whatever their order. */
static int window_compare(const void *a, const void *b)
{
	const struct sim_window *x = a, *y = b;

	return (x->start_s > y->start_s) - (x->start_s < y->start_s);
}

/* Sorts and merges overlapping or touching windows, so lookups can binary
 * search and a stuck chip stays frozen across back-to-back windows. */
static void windows_finish(struct sim_windows *w)
{
	size_t i, out = 0;

	if (w->count == 0)
		return;
	qsort(w->windows, w->count, sizeof(w->windows[0]), window_compare);
	for (i = 1; i < w->count; i++) {
		struct sim_window *last = &w->windows[out];

		if (w->windows[i].start_s <= last->end_s) {
			if (w->windows[i].end_s > last->end_s)
				last->end_s = w->windows[i].end_s;
		} else {
			w->windows[++out] = w->windows[i];
		}
	}
	w->count = out + 1;
}

/* ---- parsing -------------------------------------------------------------- */

struct parser {
	struct sim_scenario *scn;
	const struct sim_model *const *extra_models;
	const char *name;
	size_t line_no;
	char *err;
	size_t err_len;
	bool nomem;
	char *tok[TOKENS_MAX];
	size_t ntok;
	char quoted[QUOTE_MAX + 4];	/* quote()'s: one per error message */
};

static int parse_fail(struct parser *p, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* Writes "NAME:LINE: message" to the caller's buffer; returns -1. */
static int parse_fail(struct parser *p, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (!p->err || p->err_len == 0)
		return -1;
	n = snprintf(p->err, p->err_len, "%s:%zu: ", p->name, p->line_no);
	if (n < 0 || (size_t)n >= p->err_len)
		return -1;
	va_start(ap, fmt);
	vsnprintf(p->err + n, p->err_len - (size_t)n, fmt, ap);
	va_end(ap);
	return -1;
}

/* Copies a token for an error message into p->quoted: at most QUOTE_MAX
 * bytes, anything unprintable as '?', so hostile input cannot put control
 * characters into a log line. */
static const char *quote(struct parser *p, const char *tok)
{
	char *out = p->quoted;
	size_t i;

	for (i = 0; tok[i] && i < QUOTE_MAX; i++)
		out[i] = isprint((unsigned char)tok[i]) ? tok[i] : '?';
	if (tok[i]) {
		memcpy(out + i, "...", 3);
		i += 3;
	}
	out[i] = '\0';
	return out;
}

/* The number of arguments after the keyword must be within [min, max]. */
static int parse_arity(struct parser *p, size_t min, size_t max, const char *usage)
{
	if (p->ntok - 1 < min)
		return parse_fail(p, "\"%s\" needs more arguments: %s", p->tok[0], usage);
	if (p->ntok - 1 > max)
		return parse_fail(p, "unexpected \"%s\" after %s", quote(p, p->tok[max + 1]), usage);
	return 0;
}

/* tok, all of it, as a number from min to max; NAN when it is not one. */
static double number(const char *tok, double min, double max)
{
	char *end;
	double v = strtod(tok, &end);

	return end == tok || *end || !(v >= min && v <= max) ? NAN : v;
}

static int parse_time(struct parser *p, const char *tok, double *out)
{
	*out = number(tok, 0, DBL_MAX);
	if (isnan(*out))
		return parse_fail(p, "invalid time \"%s\" (want seconds >= 0)", quote(p, tok));
	return 0;
}

static int parse_value(struct parser *p, const char *tok, const char *what, double min,
		       double *out)
{
	*out = number(tok, min, VALUE_ABS_MAX);
	if (isnan(*out))
		return parse_fail(p, "invalid %s \"%s\" (want a number from %g to %g)", what,
				  quote(p, tok), min, VALUE_ABS_MAX);
	return 0;
}

static bool all_chars(const char *s, int (*is)(int))
{
	for (; *s; s++)
		if (!is((unsigned char)*s))
			return false;
	return true;
}

/* "0x76" or "118": hex with 0x, otherwise decimal (never octal). */
static int parse_address(struct parser *p, const char *tok, uint8_t *out)
{
	bool hex = tok[0] == '0' && (tok[1] == 'x' || tok[1] == 'X');
	const char *digits = hex ? tok + 2 : tok;
	long v = -1;

	if (*digits && strlen(digits) <= 4 && all_chars(digits, hex ? isxdigit : isdigit))
		v = strtol(digits, NULL, hex ? 16 : 10);
	if (v < 0x03 || v > 0x77)
		return parse_fail(p, "invalid address \"%s\" (want 0x03..0x77)", quote(p, tok));
	*out = (uint8_t)v;
	return 0;
}

static int parse_seed(struct parser *p, const char *tok, uint64_t *out)
{
	unsigned long long v;

	errno = 0;
	v = *tok && all_chars(tok, isdigit) ? strtoull(tok, NULL, 10) : 0;
	if (!*tok || !all_chars(tok, isdigit) || errno == ERANGE)
		return parse_fail(p, "invalid seed \"%s\" (want 0..18446744073709551615)",
				  quote(p, tok));
	*out = (uint64_t)v;
	return 0;
}

static int is_name_char(int c)
{
	return isalnum(c) || c == '_' || c == '-';
}

static const struct sim_model *model_find(const struct parser *p, const char *name)
{
	size_t i;

	for (i = 0; builtin_models[i]; i++)
		if (strcmp(builtin_models[i]->name, name) == 0)
			return builtin_models[i];
	for (i = 0; p->extra_models && p->extra_models[i]; i++)
		if (strcmp(p->extra_models[i]->name, name) == 0)
			return p->extra_models[i];
	return NULL;
}

/* Appends ", a, b, ..." style lists to buf for error messages. */
static void list_append(char *buf, size_t size, const char *item)
{
	size_t used = strlen(buf);

	if (used < size)
		snprintf(buf + used, size - used, "%s%s", used ? ", " : "", item);
}

static int model_quantity_count(const struct sim_model *model)
{
	int n = 0;

	while (model->quantities && n < SIM_MAX_QUANTITIES && model->quantities[n])
		n++;
	return n;
}

static int quantity_index(const struct sim_model *model, const char *quantity)
{
	int i, n = model_quantity_count(model);

	for (i = 0; i < n; i++)
		if (strcmp(model->quantities[i], quantity) == 0)
			return i;
	return -1;
}

/* Barometers (bmp280, bme280, lps22hb ...) sense air pressure and
 * temperature; only they can be sealed and have "measured_pa". */
static bool model_is_barometer(const struct sim_model *model)
{
	return quantity_index(model, "pressure_pa") >= 0 &&
		quantity_index(model, "temperature_c") >= 0;
}

/* Model i of those p knows, the built-in ones first; NULL past the last. */
static const struct sim_model *model_at(const struct parser *p, size_t i)
{
	size_t n = 0;

	while (builtin_models[n])
		n++;
	if (i < n)
		return builtin_models[i];
	for (size_t j = 0; p->extra_models && p->extra_models[j]; j++)
		if (j == i - n)
			return p->extra_models[j];
	return NULL;
}

/* "bmp280, bme280 and lps22hb": the barometers among the models p knows,
 * into buf (size bytes, cut to fit). */
static void barometers_list(const struct parser *p, char *buf, size_t size)
{
	const struct sim_model *m;
	size_t n = 0, k = 0;

	buf[0] = '\0';
	for (size_t i = 0; (m = model_at(p, i)); i++)
		n += model_is_barometer(m);
	for (size_t i = 0; (m = model_at(p, i)); i++) {
		size_t used = strlen(buf);

		if (!model_is_barometer(m) || used >= size)
			continue;
		snprintf(buf + used, size - used, "%s%s", k == 0 ? "" : k + 1 < n ? ", " : " and ",
			 m->name);
		k++;
	}
}

static int chip_index(const struct sim_scenario *scn, const char *name)
{
	size_t i;

	for (i = 0; i < scn->chip_count; i++)
		if (strcmp(scn->chips[i].name, name) == 0)
			return (int)i;
	return -1;
}

static int parse_chip_ref(struct parser *p, const char *tok, struct sim_chip **out)
{
	int i = chip_index(p->scn, tok);

	if (i < 0)
		return parse_fail(p, "unknown chip \"%s\"", quote(p, tok));
	*out = &p->scn->chips[i];
	return 0;
}

static int parse_quantity(struct parser *p, const struct sim_chip *chip, const char *tok,
			  int *out)
{
	char known[256] = "";
	int i, n = model_quantity_count(chip->model);

	*out = quantity_index(chip->model, tok);
	if (*out >= 0)
		return 0;
	for (i = 0; i < n; i++)
		list_append(known, sizeof(known), chip->model->quantities[i]);
	return parse_fail(p, "unknown quantity \"%s\" for %s chip \"%s\" (known: %s)",
			  quote(p, tok), chip->model->name, chip->name, known);
}

static int parse_chip(struct parser *p)
{
	static const char usage[] = "chip NAME MODEL ADDRESS [sealed]";
	struct sim_scenario *scn = p->scn;
	const struct sim_model *model;
	struct sim_chip *chip;
	uint8_t address = 0;
	size_t i, name_len;
	int q_i;

	if (parse_arity(p, 3, 4, usage))
		return -1;
	name_len = strlen(p->tok[1]);
	if (name_len == 0 || name_len >= sizeof(chip->name) || !all_chars(p->tok[1], is_name_char))
		return parse_fail(p, "invalid chip name \"%s\" (want 1 to %zu of A-Z a-z 0-9 _ -)",
				  quote(p, p->tok[1]), sizeof(chip->name) - 1);
	if (chip_index(scn, p->tok[1]) >= 0)
		return parse_fail(p, "duplicate chip \"%s\"", p->tok[1]);
	model = model_find(p, p->tok[2]);
	if (!model) {
		char known[256] = "";

		for (i = 0; builtin_models[i]; i++)
			list_append(known, sizeof(known), builtin_models[i]->name);
		for (i = 0; p->extra_models && p->extra_models[i]; i++)
			list_append(known, sizeof(known), p->extra_models[i]->name);
		return parse_fail(p, "unknown chip model \"%s\" (known: %s)", quote(p, p->tok[2]),
				  known);
	}
	if (parse_address(p, p->tok[3], &address))
		return -1;
	for (i = 0; i < scn->chip_count; i++)
		if (scn->chips[i].address == address)
			return parse_fail(p, "address 0x%02x already used by chip \"%s\"", address,
					  scn->chips[i].name);
	if (p->ntok == 5) {
		if (strcmp(p->tok[4], "sealed") != 0)
			return parse_fail(p, "unexpected \"%s\" after %s", quote(p, p->tok[4]),
					  usage);
		if (!model_is_barometer(model)) {
			char barometers[128];

			barometers_list(p, barometers, sizeof(barometers));
			return parse_fail(p, "\"sealed\" applies to %s chips, not %s", barometers,
					  model->name);
		}
	}
	if (scn->chip_count == SIM_MAX_CHIPS)
		return parse_fail(p, "too many chips (at most %d)", SIM_MAX_CHIPS);

	chip = &scn->chips[scn->chip_count];
	chip->state = calloc(1, model->state_size ? model->state_size : 1);
	if (!chip->state) {
		p->nomem = true;
		return -1;
	}
	chip->model = model;
	chip->scn = scn;
	chip->index = (int)scn->chip_count;
	chip->address = address;
	chip->sealed = p->ntok == 5;
	memcpy(chip->name, p->tok[1], name_len + 1);
	for (q_i = 0; q_i < model_quantity_count(model); q_i++) {
		scn->lines[scn->chip_count][q_i].initial = model->defaults ? model->defaults[q_i] : 0;
		scn->lines[scn->chip_count][q_i].sigma = model->noise ? model->noise[q_i] : 0;
	}
	scn->chip_count++;
	return 0;
}

static bool is_celsius(const char *quantity)
{
	size_t len = strlen(quantity);

	return len >= 2 && strcmp(quantity + len - 2, "_c") == 0;
}

/* items (count of them, room for *cap, each size bytes) with room for one
 * more: the same array, or a bigger one (first items, then doubling) that
 * replaces it, *cap updated. NULL if out of memory: items and *cap are left
 * as they were, and p notes it. */
static void *parse_room(struct parser *p, void *items, size_t count, size_t *cap, size_t size,
			size_t first)
{
	size_t bigger = *cap ? *cap * 2 : first;
	void *grown;

	if (count < *cap)
		return items;
	grown = realloc(items, bigger * size);
	if (!grown) {
		p->nomem = true;
		return NULL;
	}
	*cap = bigger;
	return grown;
}

static int timeline_add(struct parser *p, struct sim_timeline *line, const struct sim_event *ev)
{
	struct sim_event *events = parse_room(p, line->events, line->count, &line->cap,
					      sizeof(*events), 8);

	if (!events)
		return -1;
	line->events = events;
	line->events[line->count++] = *ev;
	return 0;
}

static int parse_event(struct parser *p, bool ramp)
{
	const char *usage = ramp ? "ramp T0 T1 NAME QUANTITY VALUE" : "at T NAME QUANTITY VALUE";
	size_t arg = ramp ? 3 : 2;
	struct sim_event ev = { .ramp = ramp };
	struct sim_chip *chip = NULL;
	int q = 0;

	if (parse_arity(p, arg + 2, arg + 2, usage))
		return -1;
	if (parse_time(p, p->tok[1], &ev.start_s))
		return -1;
	ev.end_s = ev.start_s;
	if (ramp) {
		if (parse_time(p, p->tok[2], &ev.end_s))
			return -1;
		if (ev.end_s <= ev.start_s)
			return parse_fail(p, "ramp ends at %g, not after its start %g", ev.end_s,
					  ev.start_s);
	}
	if (parse_chip_ref(p, p->tok[arg], &chip) ||
	    parse_quantity(p, chip, p->tok[arg + 1], &q))
		return -1;
	if (parse_value(p, p->tok[arg + 2], "value", -VALUE_ABS_MAX, &ev.value))
		return -1;
	if (is_celsius(chip->model->quantities[q]) && ev.value <= CELSIUS_MIN)
		return parse_fail(p, "%s %g is at or below absolute zero (-273.15)",
				  chip->model->quantities[q], ev.value);
	ev.order = p->line_no;
	return timeline_add(p, &p->scn->lines[chip->index][q], &ev);
}

static int parse_noise(struct parser *p)
{
	struct sim_timeline *line;
	struct sim_chip *chip = NULL;
	double sigma = 0;
	int q = 0;

	if (parse_arity(p, 3, 3, "noise NAME QUANTITY SIGMA") ||
	    parse_chip_ref(p, p->tok[1], &chip) ||
	    parse_quantity(p, chip, p->tok[2], &q) ||
	    parse_value(p, p->tok[3], "sigma", 0, &sigma))
		return -1;
	line = &p->scn->lines[chip->index][q];
	if (line->noise_set)
		return parse_fail(p, "noise for chip \"%s\" %s given twice", chip->name,
				  chip->model->quantities[q]);
	line->noise_set = true;
	line->sigma = sigma;
	return 0;
}

static int parse_fault(struct parser *p)
{
	struct sim_window window = { 0, 0 }, *windows;
	struct sim_windows *w;
	struct sim_chip *chip = NULL;
	int kind;

	if (parse_arity(p, 4, 4, "fault T0 T1 NAME KIND") ||
	    parse_time(p, p->tok[1], &window.start_s) ||
	    parse_time(p, p->tok[2], &window.end_s))
		return -1;
	if (window.end_s <= window.start_s)
		return parse_fail(p, "fault ends at %g, not after its start %g", window.end_s,
				  window.start_s);
	if (parse_chip_ref(p, p->tok[3], &chip))
		return -1;
	for (kind = 0; kind < SIM_FAULT_KINDS; kind++)
		if (strcmp(p->tok[4], fault_names[kind]) == 0)
			break;
	if (kind == SIM_FAULT_KINDS)
		return parse_fail(p, "unknown fault \"%s\" (known: nack, absent, stuck)",
				  quote(p, p->tok[4]));
	w = &p->scn->faults[chip->index][kind];
	windows = parse_room(p, w->windows, w->count, &w->cap, sizeof(*windows), 4);
	if (!windows)
		return -1;
	w->windows = windows;
	w->windows[w->count++] = window;
	return 0;
}

/* A statement of one argument that may be given once (seed, end): checks
 * both and notes it in *set. 0, or -1 with the error. */
static int parse_once(struct parser *p, const char *usage, bool *set)
{
	if (parse_arity(p, 1, 1, usage))
		return -1;
	if (*set)
		return parse_fail(p, "%s given twice", p->tok[0]);
	*set = true;
	return 0;
}

static int parse_statement(struct parser *p)
{
	const char *kw = p->tok[0];

	if (strcmp(kw, "seed") == 0)
		return parse_once(p, "seed N", &p->scn->seed_set) ? -1 :
		       parse_seed(p, p->tok[1], &p->scn->seed);
	if (strcmp(kw, "end") == 0)
		return parse_once(p, "end T", &p->scn->end_set) ? -1 :
		       parse_time(p, p->tok[1], &p->scn->end_s);
	if (strcmp(kw, "chip") == 0)
		return parse_chip(p);
	if (strcmp(kw, "at") == 0)
		return parse_event(p, false);
	if (strcmp(kw, "ramp") == 0)
		return parse_event(p, true);
	if (strcmp(kw, "noise") == 0)
		return parse_noise(p);
	if (strcmp(kw, "fault") == 0)
		return parse_fault(p);
	return parse_fail(p, "unknown statement \"%s\" (known: seed, end, chip, at, ramp, noise, "
			  "fault)", quote(p, kw));
}

/* Splits buf (NUL-terminated, comment already cut) into p->tok. More than
 * TOKENS_MAX words keep the rest in the last token's place: no statement
 * takes that many, so the arity check reports it as trailing garbage. */
static void tokenize(struct parser *p, char *buf)
{
	char *s = buf;

	p->ntok = 0;
	for (;;) {
		s += strspn(s, " \t\r\v\f");
		if (!*s || p->ntok == TOKENS_MAX)
			return;
		p->tok[p->ntok++] = s;
		s += strcspn(s, " \t\r\v\f");
		if (*s)
			*s++ = '\0';
	}
}

static int parse_text(struct parser *p, const char *text, size_t len)
{
	char buf[SIM_LINE_MAX + 1];
	size_t pos = 0, statements = 0;

	while (pos < len) {
		const char *line = text + pos;
		const char *nl = memchr(line, '\n', len - pos);
		size_t line_len = nl ? (size_t)(nl - line) : len - pos;

		pos += line_len + (nl ? 1 : 0);
		p->line_no++;
		if (line_len > SIM_LINE_MAX)
			return parse_fail(p, "line too long (at most %d characters)", SIM_LINE_MAX);
		if (memchr(line, '\0', line_len))
			return parse_fail(p, "NUL byte in line");
		memcpy(buf, line, line_len);
		buf[line_len] = '\0';
		buf[strcspn(buf, "#")] = '\0';
		tokenize(p, buf);
		if (p->ntok == 0)
			continue;
		if (++statements > SIM_MAX_STATEMENTS)
			return parse_fail(p, "too many statements (at most %d)", SIM_MAX_STATEMENTS);
		if (parse_statement(p))
			return -1;
	}
	return 0;
}

/* After parsing: sort timelines and windows, seed each timeline's noise
 * generator. Each chip quantity has its own stream derived from the seed, so
 * the noise one chip sees does not depend on how often another is read. */
static void scenario_finish(struct sim_scenario *scn)
{
	size_t c, k;
	int q;

	for (c = 0; c < scn->chip_count; c++) {
		for (q = 0; q < SIM_MAX_QUANTITIES; q++) {
			struct sim_timeline *line = &scn->lines[c][q];
			uint64_t mix = scn->seed ^ ((c * SIM_MAX_QUANTITIES + (size_t)q + 1) *
						    0xd1b54a32d192ed03ULL);

			timeline_finish(line);
			line->rng = rng_next(&mix);
			line->frozen_window = -1;
		}
		for (k = 0; k < SIM_FAULT_KINDS; k++)
			windows_finish(&scn->faults[c][k]);
	}
}

struct sim_scenario *sim_scenario_parse_with(const struct sim_model *const *extra_models,
					     const char *text, size_t len, const char *name,
					     char *err, size_t err_len)
{
	struct parser p = {
		.extra_models = extra_models,
		.name = name ? name : "scenario",
		.err = err,
		.err_len = err_len,
	};

	if (err && err_len)
		err[0] = '\0';
	if (!text && len) {
		errno = EINVAL;
		return NULL;
	}
	p.scn = calloc(1, sizeof(*p.scn));
	if (!p.scn) {
		errno = ENOMEM;
		return NULL;
	}
	p.scn->seed = 1;
	if (parse_text(&p, text, len)) {
		sim_scenario_free(p.scn);
		if (p.nomem && err && err_len)
			snprintf(err, err_len, "%s: %s", p.name, strerror(ENOMEM));
		errno = p.nomem ? ENOMEM : EINVAL;
		return NULL;
	}
	scenario_finish(p.scn);
	return p.scn;
}

struct sim_scenario *sim_scenario_parse(const char *text, size_t len, const char *name,
					char *err, size_t err_len)
{
	return sim_scenario_parse_with(NULL, text, len, name, err, err_len);
}

struct sim_scenario *sim_scenario_load(const char *path, char *err, size_t err_len)
{
	struct sim_scenario *scn;
	struct file_error why;
	long long size;
	size_t len;
	char *text;
	int saved;

	text = file_read_all(path, FILE_MAX_BYTES, &len, &size, &why);
	if (!text) {
		if (err && err_len)
			snprintf(err, err_len, "%s: %s", path, strerror(why.err));
		errno = why.err;
		return NULL;
	}
	scn = sim_scenario_parse(text, len, path, err, err_len);
	saved = errno;
	free(text);
	errno = saved;
	return scn;
}

void sim_scenario_free(struct sim_scenario *scn)
{
	size_t c, k;
	int q = 0;

	if (!scn)
		return;
	for (c = 0; c < SIM_MAX_CHIPS; c++) {
		free(scn->chips[c].state);
		for (q = 0; q < SIM_MAX_QUANTITIES; q++)
			free(scn->lines[c][q].events);
		for (k = 0; k < SIM_FAULT_KINDS; k++)
			free(scn->faults[c][k].windows);
	}
	free(scn);
}

double sim_scenario_end_s(const struct sim_scenario *scn)
{
	return scn->end_set ? scn->end_s : 0;
}

/* ---- evaluation ----------------------------------------------------------- */

static const struct sim_timeline *chip_line(const struct sim_chip *chip, int q)
{
	if (q < 0 || q >= model_quantity_count(chip->model))
		return NULL;
	return &chip->scn->lines[chip->index][q];
}

double sim_chip_initial(struct sim_chip *chip, int q)
{
	const struct sim_timeline *line = chip_line(chip, q);

	return line ? timeline_eval(line, 0) : 0;
}

/* The pressure a barometer senses: a sealed ball holds a fixed amount of air
 * in a fixed volume, so by pV = nRT its pressure scales with absolute
 * temperature from the start of the scenario; the load adds on top. */
static double sensed_pa(bool sealed, double pressure_pa, double temperature_c, double initial_c,
			double load_kpa)
{
	if (sealed)
		pressure_pa *= (temperature_c + KELVIN_OFFSET) / (initial_c + KELVIN_OFFSET);
	return pressure_pa + load_kpa * 1000.0;
}

double sim_chip_sensed_pa(struct sim_chip *chip, double temperature_c)
{
	const struct sim_model *m = chip->model;

	return sensed_pa(chip->sealed, sim_chip_value(chip, quantity_index(m, "pressure_pa")),
			 temperature_c, sim_chip_initial(chip, quantity_index(m, "temperature_c")),
			 sim_chip_value(chip, quantity_index(m, "load_kpa")));
}

double sim_chip_value(struct sim_chip *chip, int q)
{
	struct sim_timeline *line = (struct sim_timeline *)chip_line(chip, q);
	long stuck;
	double v;

	if (!line)
		return 0;
	stuck = sim_scenario_fault_at(chip->scn, (size_t)chip->index, SIM_FAULT_STUCK,
				      chip->now_s);
	if (stuck >= 0 && stuck == line->frozen_window)
		return line->frozen_value;
	v = timeline_eval(line, chip->now_s);
	if (line->sigma > 0)
		v += line->sigma * rng_gaussian(&line->rng);
	line->frozen_window = stuck;
	line->frozen_value = v;
	return v;
}

int sim_scenario_value(const struct sim_scenario *scn, const char *chip, const char *quantity,
		       double t, double *out)
{
	int i = chip_index(scn, chip);
	const struct sim_timeline *lines;
	const struct sim_chip *c;
	int q, qp, qt, ql;

	if (i < 0)
		return -ENOENT;
	c = &scn->chips[i];
	lines = scn->lines[c->index];
	q = quantity_index(c->model, quantity);
	if (q >= 0) {
		*out = timeline_eval(&lines[q], t);
		return 0;
	}
	if (strcmp(quantity, "measured_pa") != 0 || !model_is_barometer(c->model))
		return -ENOENT;
	qp = quantity_index(c->model, "pressure_pa");
	qt = quantity_index(c->model, "temperature_c");
	ql = quantity_index(c->model, "load_kpa");
	*out = sensed_pa(c->sealed, timeline_eval(&lines[qp], t), timeline_eval(&lines[qt], t),
			 timeline_eval(&lines[qt], 0), ql >= 0 ? timeline_eval(&lines[ql], t) : 0);
	return 0;
}

/* ---- for the bus ---------------------------------------------------------- */

size_t sim_scenario_chip_count(const struct sim_scenario *scn)
{
	return scn->chip_count;
}

struct sim_chip *sim_scenario_chip(struct sim_scenario *scn, size_t i)
{
	return i < scn->chip_count ? &scn->chips[i] : NULL;
}

/* How many windows of kind on chip i start at or before t (0 for a chip or
 * kind out of range), and whether the last of them still covers t. */
static size_t windows_started(const struct sim_scenario *scn, size_t i,
			      enum sim_fault_kind kind, double t, bool *covers)
{
	const struct sim_windows *w;
	size_t n;

	*covers = false;
	if (i >= scn->chip_count || (unsigned)kind >= SIM_FAULT_KINDS)
		return 0;
	w = &scn->faults[i][kind];
	n = started_by(w->windows, w->count, sizeof(*w->windows),
		       offsetof(struct sim_window, start_s), t);
	*covers = n > 0 && t < w->windows[n - 1].end_s;
	return n;
}

long sim_scenario_fault_at(const struct sim_scenario *scn, size_t i, enum sim_fault_kind kind,
			   double t)
{
	bool covers;
	size_t n = windows_started(scn, i, kind, t, &covers);

	return covers ? (long)(n - 1) : -1;
}

/* Windows are disjoint and sorted, so all started before the last started
 * one have ended; that one has ended unless it covers t. */
size_t sim_scenario_faults_ended(const struct sim_scenario *scn, size_t i,
				 enum sim_fault_kind kind, double t)
{
	bool covers;
	size_t n = windows_started(scn, i, kind, t, &covers);

	return covers ? n - 1 : n;
}
