/* libFuzzer harness for the wire codecs (common/reading.h): reading_decode
 * ack_decode and health_decode see whatever anyone publishes to the broker,
 * and reading_encode writes fault texts that may come from anywhere.
 *
 * The input is given to both decoders as an MQTT payload (not
 * NUL-terminated: the harness copies it to a buffer of exactly its size, so
 * ASan catches a read past its end). A reading that decodes is encoded again
 * with reading_encode and decoded once more: it must come back the same, up
 * to the encoder's documented rounding (mono and ts to 1 ms, channels to
 * 0.01), rotation_dps, zone and lost_after included, because sensord and the collector must agree
 * on every reading the collector accepts. reading_add_lost_after on that
 * encoding must give the same reading again with the lost_after added. An
 * ack that decodes must survive ack_encode the same.
 *
 * What the decoders accept is also checked against the harness's own small
 * checkers, written apart from reading.c and another way (code point
 * arithmetic instead of reading.c's byte table; a scan of the text of its
 * own, apart from reading.c's single pass and cJSON's tree), so that one's
 * mistake is not the other's: the payload
 * is UTF-8, no object the decoder reads repeats a key or has more than
 * READING_MAX_KEYS, and the fault texts kept hold no lone surrogate escape.
 *
 * Then the input, cut at its NUL bytes, becomes the fault keys and texts of
 * a reading (key, text, key, text, ...; a piece longer than its buffer
 * fills it with no NUL): reading_encode must write exactly what the
 * harness's model of it gives (each ill-formed UTF-8 piece as U+FFFD, each
 * key once, JSON escapes), valid UTF-8 that decodes to those texts. */
#include "reading.h"

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FFFD "\xEF\xBF\xBD"
#define SEQ_MAX (UINT64_C(1) << 53)

/* ---- UTF-8, the harness's way ---- */

/* The length a lead byte announces: 1 to 4, or 0 for a byte that begins
 * nothing (10xxxxxx, 11111xxx). */
static size_t lead_len(unsigned char c)
{
	if (c < 0x80)
		return 1;
	if ((c & 0xE0) == 0xC0)
		return 2;
	if ((c & 0xF0) == 0xE0)
		return 3;
	if ((c & 0xF8) == 0xF0)
		return 4;
	return 0;
}

/* Whether s[0..k) can begin a well-formed n-byte character (RFC 3629): the
 * code points its bits leave possible must meet the n-byte range less the
 * surrogates. An overlong form, a surrogate or a code point past U+10FFFF
 * fails as soon as its first bytes rule every candidate out. */
static int can_begin(const unsigned char *s, size_t k, size_t n)
{
	static const uint32_t min_cp[5] = { 0, 0, 0x80, 0x800, 0x10000 };
	static const uint32_t max_cp[5] = { 0, 0x7F, 0x7FF, 0xFFFF, 0x10FFFF };
	uint32_t v = s[0] & (0xFFu >> (n + 1)), lo, hi;
	unsigned rest = 6 * (unsigned)(n - k);

	for (size_t i = 1; i < k; i++) {
		if ((s[i] & 0xC0) != 0x80)
			return 0;
		v = v << 6 | (s[i] & 0x3F);
	}
	lo = v << rest;
	hi = lo | ((UINT32_C(1) << rest) - 1);
	if (lo < min_cp[n])
		lo = min_cp[n];
	if (hi > max_cp[n])
		hi = max_cp[n];
	return lo <= hi && !(lo >= 0xD800 && hi <= 0xDFFF);
}

/* The character at s[0..n): returns the bytes it takes, *ok when well
 * formed; else the longest start of one that could have been (at least 1),
 * which a mender replaces with one U+FFFD. */
static size_t next_char(const unsigned char *s, size_t n, int *ok)
{
	size_t want = lead_len(s[0]), k = 0;

	if (want == 1) {
		*ok = 1;
		return 1;
	}
	while (want > 0 && k < want && k < n && can_begin(s, k + 1, want))
		k++;
	*ok = want > 0 && k == want;
	return k > 0 ? k : 1;
}

static int utf8_ok(const char *s, size_t n)
{
	size_t i = 0;
	int ok = 1;

	while (i < n && ok)
		i += next_char((const unsigned char *)s + i, n - i, &ok);
	return ok;
}

/* s[0..n) with each ill-formed piece as U+FFFD, into out (room for 3 * n +
 * 1, NUL-terminated); returns the length. */
static size_t mend(const char *s, size_t n, char *out)
{
	size_t i = 0, o = 0;
	int ok;

	while (i < n) {
		size_t k = next_char((const unsigned char *)s + i, n - i, &ok);

		if (ok)
			memcpy(out + o, s + i, k);
		else
			memcpy(out + o, FFFD, 3);
		o += ok ? k : 3;
		i += k;
	}
	out[o] = '\0';
	return o;
}

/* ---- keys, the harness's way ---- */

struct scan {
	const char *p;
	size_t n, i;
};

/* cJSON takes every byte up to the space as white space. */
static void skip_ws(struct scan *s)
{
	while (s->i < s->n && (unsigned char)s->p[s->i] <= ' ')
		s->i++;
}

static int hex4(const char *p, uint32_t *v)
{
	*v = 0;
	for (int i = 0; i < 4; i++) {
		char c = p[i];
		uint32_t d;

		if (c >= '0' && c <= '9')
			d = (uint32_t)(c - '0');
		else if (c >= 'a' && c <= 'f')
			d = (uint32_t)(c - 'a' + 10);
		else if (c >= 'A' && c <= 'F')
			d = (uint32_t)(c - 'A' + 10);
		else
			return 0;
		*v = *v << 4 | d;
	}
	return 1;
}

static size_t put_utf8(uint32_t cp, char *out)
{
	if (cp < 0x80) {
		out[0] = (char)cp;
		return 1;
	}
	if (cp < 0x800) {
		out[0] = (char)(0xC0 | cp >> 6);
		out[1] = (char)(0x80 | (cp & 0x3F));
		return 2;
	}
	if (cp < 0x10000) {
		out[0] = (char)(0xE0 | cp >> 12);
		out[1] = (char)(0x80 | (cp >> 6 & 0x3F));
		out[2] = (char)(0x80 | (cp & 0x3F));
		return 3;
	}
	out[0] = (char)(0xF0 | cp >> 18);
	out[1] = (char)(0x80 | (cp >> 12 & 0x3F));
	out[2] = (char)(0x80 | (cp >> 6 & 0x3F));
	out[3] = (char)(0x80 | (cp & 0x3F));
	return 4;
}

/* The string at s->i, unescaped into out (room for as many bytes as the
 * text it comes from: no escape grows). *lone is set when a \u escape of a
 * surrogate is not half of a pair. 0 if there is no string there.
 *
 * As cJSON 1.7.15 reads one: it finds the closing quote first (a backslash
 * hides the byte after it), then unescapes what lies between; a \u escape
 * must have its 4 characters before that quote, and when they are not all
 * hex digits it reads as U+0000 (cJSON's parse_hex4 returns 0 for both),
 * so {"a\u00zz":1} is taken. Not JSON, but no harm here: such a key or
 * text is cut at that NUL. */
static int scan_string(struct scan *s, char *out, size_t *out_len, int *lone)
{
	size_t o = 0, end;
	uint32_t cp, low;

	if (s->i >= s->n || s->p[s->i] != '"')
		return 0;
	for (end = s->i + 1; end < s->n && s->p[end] != '"'; end++)
		if (s->p[end] == '\\')
			end++;
	if (end >= s->n)
		return 0;
	s->i++;
	while (s->i < end) {
		char c = s->p[s->i++];

		if (c != '\\') {
			out[o++] = c;
			continue;
		}
		c = s->p[s->i++];
		switch (c) {
		case '"':
		case '\\':
		case '/':
			out[o++] = c;
			break;
		case 'b':
			out[o++] = '\b';
			break;
		case 'f':
			out[o++] = '\f';
			break;
		case 'n':
			out[o++] = '\n';
			break;
		case 'r':
			out[o++] = '\r';
			break;
		case 't':
			out[o++] = '\t';
			break;
		case 'u':
			if (end - s->i < 4)
				return 0;
			if (!hex4(s->p + s->i, &cp))
				cp = 0;
			s->i += 4;
			if (cp >= 0xD800 && cp <= 0xDBFF && end - s->i >= 6 && s->p[s->i] == '\\' &&
			    s->p[s->i + 1] == 'u' && hex4(s->p + s->i + 2, &low) && low >= 0xDC00 &&
			    low <= 0xDFFF) {
				cp = 0x10000 + ((cp - 0xD800) << 10) + (low - 0xDC00);
				s->i += 6;
			} else if (cp >= 0xD800 && cp <= 0xDFFF) {
				*lone = 1;
				cp = 0xFFFD;
			}
			o += put_utf8(cp, out + o);
			break;
		default:
			return 0;
		}
	}
	s->i = end + 1;
	*out_len = o;
	return 1;
}

/* Skips a value, up to the ',' or '}' of the object it is in: strings,
 * nesting and everything else (numbers, literals) crossed as they come;
 * the decoder, not this, judges whether the value is valid. */
static int skip_value(struct scan *s)
{
	size_t depth = 0;

	while (s->i < s->n) {
		char c = s->p[s->i];

		if (c == '"') {
			for (s->i++; s->i < s->n && s->p[s->i] != '"'; s->i++)
				if (s->p[s->i] == '\\')
					s->i++;
			if (s->i >= s->n)
				return 0;
		} else if (c == '{' || c == '[') {
			depth++;
		} else if (c == '}' || c == ']') {
			if (depth == 0)
				return 1;
			depth--;
		} else if (c == ',' && depth == 0) {
			return 1;
		}
		s->i++;
	}
	return 0;
}

/* Scratch for one object's keys, per nesting level looked into (the top
 * level and faults). No key is longer than the payload. */
static char key_text[2][READING_MAX_PAYLOAD];
static size_t key_at[2][READING_MAX_KEYS + 1], key_len[2][READING_MAX_KEYS + 1];
static char value_text[READING_MAX_PAYLOAD];

/* What of an unescaped text a C string keeps: up to its first NUL (from
 * \u0000, or from a bad \u escape, whose 4 characters may have taken a
 * lead byte and left its continuation bytes after the NUL). */
static size_t kept_len(const char *text, size_t len)
{
	const char *nul = memchr(text, '\0', len);

	return nul ? (size_t)(nul - text) : len;
}

/* The object at s->i, level 0 (the top) or 1 (faults, looked into when
 * faults is set). Returns 1 if its keys are at most READING_MAX_KEYS and
 * unique, its faults the same, and the strings of faults (keys and texts)
 * UTF-8 with no lone surrogate escape; 0 if not; -1 if the text is not an
 * object as this scan reads JSON. */
static int check_object(struct scan *s, int level, int faults)
{
	size_t n_keys = 0, used = 0;
	int verdict = 1;

	skip_ws(s);
	if (s->i >= s->n || s->p[s->i] != '{')
		return -1;
	s->i++;
	skip_ws(s);
	if (s->i < s->n && s->p[s->i] == '}') {
		s->i++;
		return 1;
	}
	for (;;) {
		char *key = key_text[level] + used;
		size_t len;
		int lone = 0;

		skip_ws(s);
		if (!scan_string(s, key, &len, &lone))
			return -1;
		if (n_keys == READING_MAX_KEYS)
			return 0;	/* one too many */
		for (size_t k = 0; k < n_keys; k++)
			if (key_len[level][k] == len && memcmp(key_text[level] + key_at[level][k], key, len) == 0)
				verdict = 0;
		if (level == 1 && (lone || !utf8_ok(key, kept_len(key, len))))
			verdict = 0;
		key_at[level][n_keys] = used;
		key_len[level][n_keys++] = len;
		used += len;
		skip_ws(s);
		if (s->i >= s->n || s->p[s->i] != ':')
			return -1;
		s->i++;
		skip_ws(s);
		if (level == 0 && faults && len == 6 && memcmp(key, "faults", 6) == 0 &&
		    s->i < s->n && s->p[s->i] == '{') {
			int v = check_object(s, 1, faults);

			if (v <= 0)
				return v;
		} else if (level == 1 && s->i < s->n && s->p[s->i] == '"') {
			size_t vlen;

			if (!scan_string(s, value_text, &vlen, &lone))
				return -1;
			if (lone || !utf8_ok(value_text, kept_len(value_text, vlen)))
				verdict = 0;
		} else if (!skip_value(s)) {
			return -1;
		}
		skip_ws(s);
		if (s->i >= s->n)
			return -1;
		if (s->p[s->i] == '}') {
			s->i++;
			return verdict;
		}
		if (s->p[s->i] != ',')
			return -1;
		s->i++;
	}
}

/* The whole payload: one object and nothing after it. cJSON skips a UTF-8
 * byte order mark at the start (RFC 8259 §8.1 lets a parser ignore one),
 * so this does too. */
static int json_check(const char *p, size_t n, int faults)
{
	struct scan s = { .p = p, .n = n, .i = 0 };
	int v;

	if (n >= 3 && memcmp(p, "\xEF\xBB\xBF", 3) == 0)
		s.i = 3;
	v = check_object(&s, 0, faults);
	if (v <= 0)
		return v;
	skip_ws(&s);
	return s.i == n ? 1 : -1;
}

/* What the decoder accepted: UTF-8, keys as the contract says. Anything the
 * scan cannot read as JSON is a disagreement about JSON itself: a finding
 * too. */
static void check_accepted(const char *payload, size_t size, int faults)
{
	if (!utf8_ok(payload, size) || json_check(payload, size, faults) != 1)
		abort();
}

/* ---- readings ---- */

/* Equal, or both null (NAN), or within the rounding of "%.<digits>f". */
static int same_value(double a, double b, double half_ulp)
{
	if (isnan(a) || isnan(b))
		return isnan(a) && isnan(b);
	/* The printed decimal is re-read as the nearest double: allow the
	 * rounding plus a few ulps of a number this large. */
	return fabs(a - b) <= half_ulp + fabs(a) * 4 * 2.220446049250313e-16;
}

static int same_bits(double a, double b)
{
	return (isnan(a) && isnan(b)) || a == b;
}

/* a and b decoded from texts that differ by lost_after alone. */
static int identical_but_lost_after(const struct reading *a, const struct reading *b)
{
	if (strcmp(a->run, b->run) != 0 || a->seq != b->seq || a->end_session != b->end_session ||
	    strcmp(a->zone, b->zone) != 0 || !same_bits(a->mono, b->mono) || !same_bits(a->ts, b->ts) ||
	    !same_bits(a->pressure_kpa, b->pressure_kpa) ||
	    !same_bits(a->temperature_c, b->temperature_c) || a->has_rotation != b->has_rotation ||
	    (a->has_rotation && !same_bits(a->rotation_dps, b->rotation_dps)) ||
	    a->n_faults != b->n_faults)
		return 0;
	for (size_t i = 0; i < a->n_faults; i++)
		if (strcmp(a->faults[i].sensor, b->faults[i].sensor) != 0 ||
		    strcmp(a->faults[i].what, b->faults[i].what) != 0)
			return 0;
	return 1;
}

static size_t digits_of(uint64_t v)
{
	size_t n = 1;

	while (v >= 10) {
		v /= 10;
		n++;
	}
	return n;
}

/* encoded[0..n) is reading_encode's text of again. Adding a lost_after
 * below seq (pick chooses which) must give the same reading with it, as
 * long as it fits; a reading that has one, or seq itself, is refused. */
static void check_add_lost_after(const struct reading *again, const char *encoded, size_t n,
				 uint64_t pick)
{
	char out[READING_MAX_PAYLOAD + 64];
	struct reading added;
	uint64_t lost_after;
	size_t want;
	int m;

	if (reading_add_lost_after(encoded, n, again->seq, out, sizeof(out)) != -1 ||
	    reading_add_lost_after(encoded, n, UINT64_MAX, out, sizeof(out)) != -1)
		abort();
	if (again->seq == 0)
		return;
	lost_after = pick % again->seq;
	m = reading_add_lost_after(encoded, n, lost_after, out, sizeof(out));
	if (again->has_lost_after) {
		if (m != -1)
			abort();
		return;
	}
	want = n + strlen(",\"lost_after\":") + digits_of(lost_after);
	if (want > READING_MAX_PAYLOAD) {
		if (m != -1)
			abort();
		return;
	}
	if (m < 0 || (size_t)m != want || strlen(out) != want || memcmp(out, encoded, n - 1) != 0)
		abort();
	if (reading_decode(out, (size_t)m, &added) != READING_OK || !added.has_lost_after ||
	    added.lost_after != lost_after ||
	    !identical_but_lost_after(&added, again))
		abort();
}

static void check_round_trip(const struct reading *r, uint64_t pick)
{
	char buf[READING_MAX_PAYLOAD + 1];
	struct reading again;
	int n;

	n = reading_encode(r, buf, sizeof(buf));
	if (n < 0) {
		/* Allowed only when the escaped fault texts make it longer than
		 * a payload may be: every other decoded field is encodable. */
		if (r->n_faults == 0)
			abort();
		return;
	}
	if ((size_t)n != strlen(buf) || !utf8_ok(buf, (size_t)n) || json_check(buf, (size_t)n, 1) != 1)
		abort();
	if (reading_decode(buf, (size_t)n, &again) != READING_OK)
		abort();
	if (strcmp(again.run, r->run) != 0 || again.seq != r->seq || strcmp(again.zone, r->zone) != 0 ||
	    again.end_session != r->end_session || again.has_lost_after != r->has_lost_after ||
	    (r->has_lost_after && again.lost_after != r->lost_after))
		abort();
	if (!same_value(again.mono, r->mono, 0.0005) || !same_value(again.ts, r->ts, 0.0005) ||
	    !same_value(again.pressure_kpa, r->pressure_kpa, 0.005) ||
	    !same_value(again.temperature_c, r->temperature_c, 0.005) ||
	    again.has_rotation != r->has_rotation ||
	    (r->has_rotation && !same_value(again.rotation_dps, r->rotation_dps, 0.005)))
		abort();
	if (again.n_faults != r->n_faults)
		abort();
	for (size_t i = 0; i < r->n_faults; i++)
		if (strcmp(again.faults[i].sensor, r->faults[i].sensor) != 0 ||
		    strcmp(again.faults[i].what, r->faults[i].what) != 0)
			abort();
	check_add_lost_after(&again, buf, (size_t)n, pick);
}

/* What the decoder promises of a reading it returns. */
static void check_decoded(const struct reading *r)
{
	size_t run_len = strnlen(r->run, sizeof(r->run));

	if (!reading_run_valid(r->run) ||
	    (run_len != READING_RUN_LEN && run_len != READING_RUN_LEN_LEGACY))
		abort();
	if (r->seq > SEQ_MAX || (r->has_lost_after && r->lost_after >= r->seq))
		abort();
	/* A zone is none or a name (zone.h): [a-z0-9_]{1,32}, not "none". */
	if (r->zone[0] != '\0' && (strnlen(r->zone, sizeof(r->zone)) == sizeof(r->zone) ||
				   strspn(r->zone, "abcdefghijklmnopqrstuvwxyz0123456789_") !=
				   strlen(r->zone) || strcmp(r->zone, "none") == 0))
		abort();
	/* rotation_dps: a magnitude in 0..10000, or null (NAN). */
	if (r->has_rotation && !isnan(r->rotation_dps) &&
	    !(r->rotation_dps >= 0 && r->rotation_dps <= 10000))
		abort();
	if (r->n_faults > READING_MAX_FAULTS)
		abort();
	for (size_t i = 0; i < r->n_faults; i++) {
		const struct reading_fault *f = &r->faults[i];

		if (strnlen(f->sensor, sizeof(f->sensor)) == sizeof(f->sensor) ||
		    strnlen(f->what, sizeof(f->what)) == sizeof(f->what) ||
		    !utf8_ok(f->sensor, strlen(f->sensor)) || !utf8_ok(f->what, strlen(f->what)))
			abort();
		for (size_t k = 0; k < i; k++)
			if (strcmp(r->faults[k].sensor, f->sensor) == 0)
				abort();
	}
}

/* Any bytes reading_add_lost_after is given: no crash, and when it takes
 * them, the payload with the member before its last byte. */
static void check_add_lost_after_raw(const char *payload, size_t size, uint64_t pick)
{
	char out[READING_MAX_PAYLOAD + 64], member[48];
	int m = reading_add_lost_after(payload, size, pick, out, sizeof(out));

	if (m < 0)
		return;
	snprintf(member, sizeof(member), ",\"lost_after\":%llu}", (unsigned long long)pick);
	if ((size_t)m > READING_MAX_PAYLOAD || size == 0 || (size_t)m != size - 1 + strlen(member) ||
	    strlen(out) != (size_t)m || memcmp(out, payload, size - 1) != 0 ||
	    strcmp(out + size - 1, member) != 0 || payload[size - 1] != '}')
		abort();
}

/* ---- the encoder's side: any bytes as fault keys and texts ---- */

/* A mended text cut to fit size - 1 bytes, never inside a character. */
static void cut(char *s, size_t size)
{
	size_t n = strlen(s);

	if (n < size)
		return;
	n = size - 1;
	while (n > 0 && ((unsigned char)s[n] & 0xC0) == 0x80)
		n--;
	s[n] = '\0';
}

/* The bytes a mended text takes inside its quotes. */
static size_t escaped_len(const char *s)
{
	size_t n = 0;

	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;

		n += c == '"' || c == '\\' ? 2 : c < 0x20 ? 6 : 1;
	}
	return n;
}

struct model_fault {
	char sensor[3 * 128 + 1];
	char what[3 * READING_FAULT_LEN + 1];
};

static void check_encode_any_bytes(const uint8_t *data, size_t size)
{
	static struct model_fault sent[READING_MAX_FAULTS], kept[READING_MAX_FAULTS];
	char buf[READING_MAX_PAYLOAD + 1];
	struct reading r, back;
	size_t piece = 0, start = 0, n_sent = 0, n_kept = 0, want;
	int n, n_head;

	memset(&r, 0, sizeof(r));
	strcpy(r.run, "5e1f03c29a7b44d1");
	r.seq = 16;
	r.mono = 1.5;
	r.ts = 1763910000.125;
	r.pressure_kpa = NAN;
	r.temperature_c = 20.0;
	/* The first byte, when odd, picks a lost_after: 0..127 around seq 16. */
	r.has_lost_after = size > 0 && (data[0] & 1);
	r.lost_after = r.has_lost_after ? data[0] >> 1 : 0;
	for (size_t i = 0; i <= size && piece < 2 * READING_MAX_FAULTS; i++) {
		if (i < size && data[i] != '\0')
			continue;
		{
			struct reading_fault *f = &r.faults[piece / 2];
			char *field = piece % 2 ? f->what : f->sensor;
			size_t room = piece % 2 ? sizeof(f->what) : sizeof(f->sensor);
			size_t len = i - start < room ? i - start : room;

			memcpy(field, data + start, len);
			if (len < room)
				field[len] = '\0';
		}
		piece++;
		start = i + 1;
	}
	r.n_faults = (piece + 1) / 2;
	if (r.n_faults == 0)
		return;

	/* The model: mended, each key once (as written), then as the decoder
	 * keeps them: cut to the struct's buffers, each cut key once. */
	for (size_t i = 0; i < r.n_faults; i++) {
		struct model_fault *m = &sent[n_sent];
		int repeated = 0;

		mend(r.faults[i].sensor, strnlen(r.faults[i].sensor, sizeof(r.faults[i].sensor)), m->sensor);
		mend(r.faults[i].what, strnlen(r.faults[i].what, sizeof(r.faults[i].what)), m->what);
		for (size_t k = 0; k < n_sent; k++)
			repeated |= strcmp(sent[k].sensor, m->sensor) == 0;
		if (!repeated)
			n_sent++;
	}
	for (size_t i = 0; i < n_sent; i++) {
		struct model_fault *m = &kept[n_kept];
		int repeated = 0;

		*m = sent[i];
		cut(m->sensor, sizeof(r.faults[0].sensor));
		cut(m->what, sizeof(r.faults[0].what));
		for (size_t k = 0; k < n_kept; k++)
			repeated |= strcmp(kept[k].sensor, m->sensor) == 0;
		if (!repeated)
			n_kept++;
	}

	/* The head alone, then ,"faults":{ "k":"t",... } before its brace. */
	{
		struct reading head = r;

		head.n_faults = 0;
		n_head = reading_encode(&head, buf, sizeof(buf));
	}
	n = reading_encode(&r, buf, sizeof(buf));
	if (r.has_lost_after && r.lost_after >= r.seq) {
		if (n_head != -1 || n != -1)
			abort();
		return;
	}
	if (n_head < 0)
		abort();
	want = (size_t)n_head + strlen(",\"faults\":{}") + (n_sent - 1);
	for (size_t i = 0; i < n_sent; i++)
		want += escaped_len(sent[i].sensor) + escaped_len(sent[i].what) + 5;
	if (want > READING_MAX_PAYLOAD) {
		if (n != -1)
			abort();
		return;
	}
	if (n < 0 || (size_t)n != want || !utf8_ok(buf, (size_t)n) || json_check(buf, (size_t)n, 1) != 1)
		abort();
	if (reading_decode(buf, (size_t)n, &back) != READING_OK || back.n_faults != n_kept ||
	    back.has_lost_after != r.has_lost_after || back.lost_after != r.lost_after)
		abort();
	for (size_t i = 0; i < n_kept; i++)
		if (strcmp(back.faults[i].sensor, kept[i].sensor) != 0 ||
		    strcmp(back.faults[i].what, kept[i].what) != 0)
			abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char run[READING_RUN_LEN + 1];
	struct reading r;
	uint64_t seq, pick = 0;
	char *payload;

	/* malloc(0) may return NULL: keep one byte, pass the real size. */
	payload = malloc(size ? size : 1);
	if (!payload)
		return -1;
	if (size)
		memcpy(payload, data, size);
	/* A lost_after to try, from the input's last bytes. */
	for (size_t i = size > 8 ? size - 8 : 0; i < size; i++)
		pick = pick << 8 | data[i];

	memset(&r, 0xA5, sizeof(r));
	if (reading_decode(payload, size, &r) == READING_OK) {
		check_accepted(payload, size, 1);
		check_decoded(&r);
		check_round_trip(&r, pick);
	}
	check_add_lost_after_raw(payload, size, pick % (SEQ_MAX + 1));

	if (ack_decode(payload, size, run, &seq) == 0) {
		char buf[64], run2[READING_RUN_LEN + 1];
		uint64_t seq2;
		int n = ack_encode(run, seq, buf, sizeof(buf));

		check_accepted(payload, size, 0);
		if (n < 0 || ack_decode(buf, (size_t)n, run2, &seq2) != 0 ||
		    strcmp(run, run2) != 0 || seq != seq2)
			abort();
	}
	{
		double up_s = -1;

		memset(run, 0x5A, sizeof(run));
		/* sensord's health, read back (sameid.h): a valid run and a
		 * finite up_s, from JSON the contract allows. */
		if (health_decode(payload, size, run, &up_s) == 0) {
			check_accepted(payload, size, 0);
			if (strnlen(run, sizeof(run)) == sizeof(run) || !reading_run_valid(run) ||
			    !isfinite(up_s) || up_s < 0 || up_s > 1e9)
				abort();
		}
	}
	free(payload);

	check_encode_any_bytes(data, size);
	return 0;
}
