/* The wire format of readings and acknowledgements (docs/protocol.md, "Wire
 * contract").
 *
 * Encoding is hand-written, not cJSON: sensord publishes 10 to
 * 100 readings a second on a Pi, and building a cJSON tree per reading would
 * allocate a dozen nodes for a one-line string. Decoding a reading is
 * hand-written too (reading_decode, one pass, no allocation): the collector
 * decodes every reading it receives, and the cJSON tree was a large part of
 * its work per reading (issue 16). A hand-written parser of what arrives
 * from the network is where the bugs would be, so the cJSON decoder stays
 * (reading_decode_tree) as the reference it is held to, payload for payload,
 * by tests/test_reading_diff.c and fuzz/fuzz_reading_diff.c. Acks, health
 * and everything else are still read with cJSON.
 *
 * The encoder refuses what the decoder would refuse (reading.h): such a
 * reading is a bug in the producer, better caught where it happens than as
 * readings the collector refuses forever.
 */
#include "reading.h"

#include <float.h>
#include <inttypes.h>
#include <locale.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cJSON.h>

#include "utf8.h"

/* 2^53: the largest integer a JSON number (an IEEE double on most parsers)
 * carries exactly, and so the largest seq on the wire. */
#define SEQ_MAX (UINT64_C(1) << 53)
#define MONO_MAX_S 1e9		/* ~31 years of uptime */
#define TS_MAX_S 1e11		/* year ~5138: anything later is garbage */
#define CHANNEL_MIN -100.0	/* kPa or °C: below is not a measurement */
#define CHANNEL_MAX 10000.0
/* rotation_dps, a magnitude: the widest gyro full scale in use is
 * ±2000 °/s per axis, 3464 °/s over three; beyond 10000 is garbage. */
#define ROTATION_MAX_DPS 10000.0

/* ---- encoding ---- */

/* A bounded cursor over the caller's buffer. Once anything did not fit,
 * overflow stays set and further writes are skipped. */
struct out {
	char *buf;
	size_t len;
	size_t pos;
	bool overflow;
};

/* The hot path below writes without printf: sensord encodes every reading,
 * and three vsnprintf calls were about half of what sensord itself spends
 * per reading on top of the MQTT library (bench/RESULTS.md). */
static void out_bytes(struct out *o, const char *s, size_t n)
{
	if (o->overflow)
		return;
	if (o->len - o->pos < n + 1) {
		o->overflow = true;
		return;
	}
	memcpy(o->buf + o->pos, s, n);
	o->pos += n;
	o->buf[o->pos] = '\0';
}

static void out_char(struct out *o, char c)
{
	out_bytes(o, &c, 1);
}

#define out_literal(o, s) out_bytes((o), (s), sizeof(s) - 1)

static void out_u64(struct out *o, uint64_t v)
{
	char tmp[24];
	size_t i = sizeof(tmp);

	do {
		tmp[--i] = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	out_bytes(o, tmp + i, sizeof(tmp) - i);
}

/* Writes s (at most max bytes, it may lack a NUL) as a quoted JSON string.
 * A fault's key or text may come from anywhere (a path in a config file, a
 * chip's answer), so ill-formed UTF-8 is mended as reading.h says: U+FFFD
 * in its raw 3 bytes rather than as \ufffd, shorter and the same to any
 * reader. */
static void out_string(struct out *o, const char *s, size_t max)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t n = strnlen(s, max);

	out_char(o, '"');
	for (size_t i = 0; i < n;) {
		unsigned char c = p[i];
		size_t len;
		bool ok;

		if (c >= 0x80) {
			len = utf8_char(p + i, n - i, &ok);
			if (ok)
				out_bytes(o, s + i, len);
			else
				out_literal(o, "\xEF\xBF\xBD");
			i += len;
			continue;
		}
		if (c == '"' || c == '\\') {
			out_char(o, '\\');
			out_char(o, (char)c);
		} else if (c < 0x20) {
			char esc[8];

			snprintf(esc, sizeof(esc), "\\u%04x", c);
			out_bytes(o, esc, 6);
		} else {
			out_char(o, (char)c);
		}
		i++;
	}
	out_char(o, '"');
}

/* v with exactly `decimals` (1..3) digits after the point, the text "%.Nf"
 * gives. Away from a tie, rounding the scaled value to the nearest integer is
 * what printf does; within 1e-3 of a tie the scaled product's own rounding
 * could tip it the other way, so those (about 0.2 % of random values) go to
 * snprintf, which rounds the exact binary value. |v| * 10^decimals stays
 * below 2^53: every caller's range check guarantees it (at most 1e11 * 1e3). */
static void out_fixed(struct out *o, double v, unsigned decimals)
{
	static const uint64_t pow10[] = { 1, 10, 100, 1000 };
	bool neg = v < 0;
	double x = (neg ? -v : v) * (double)pow10[decimals];
	double whole = floor(x);
	uint64_t q, frac;
	char digits[3];

	if (fabs(x - whole - 0.5) < 1e-3) {
		char tmp[48];
		int n = snprintf(tmp, sizeof(tmp), "%.*f", (int)decimals, v);

		if (n > 0)
			out_bytes(o, tmp, (size_t)n);
		return;
	}
	q = (uint64_t)whole + (x - whole > 0.5);
	frac = q % pow10[decimals];
	if (neg && q != 0)
		out_char(o, '-');
	out_u64(o, q / pow10[decimals]);
	out_char(o, '.');
	for (unsigned i = decimals; i > 0; i--) {
		digits[i - 1] = (char)('0' + frac % 10);
		frac /= 10;
	}
	out_bytes(o, digits, decimals);
}

/* ,"faults":{"key":"text",...} with the first READING_MAX_FAULTS of r's
 * faults (at least one). Repeated keys are compared as written, which also
 * catches keys that only become equal with U+FFFD put in. Faults are few and
 * rare, so the quadratic compare costs the usual reading nothing. */
static void out_faults(struct out *o, const struct reading *r)
{
	size_t n = r->n_faults < READING_MAX_FAULTS ? r->n_faults : READING_MAX_FAULTS;
	size_t key_at[READING_MAX_FAULTS], key_len[READING_MAX_FAULTS], kept = 0;

	/* A key is written aside first: one that repeats an earlier key must
	 * not count against the payload's room (found by fuzz_reading: a long
	 * repeated key near the end made a reading that fits refused). Every
	 * byte escapes to at most 6. */
	char key[6 * sizeof(r->faults[0].sensor) + 3];

	out_literal(o, ",\"faults\":{");
	for (size_t i = 0; i < n && !o->overflow; i++) {
		struct out ko = { .buf = key, .len = sizeof(key), .pos = 0, .overflow = false };
		bool repeated = false;

		out_string(&ko, r->faults[i].sensor, sizeof(r->faults[i].sensor));
		for (size_t k = 0; k < kept && !repeated; k++)
			repeated = key_len[k] == ko.pos &&
				   memcmp(o->buf + key_at[k], key, ko.pos) == 0;
		if (repeated)
			continue;
		if (kept > 0)
			out_char(o, ',');
		key_at[kept] = o->pos;
		key_len[kept] = ko.pos;
		out_bytes(o, key, ko.pos);
		out_char(o, ':');
		out_string(o, r->faults[i].what, sizeof(r->faults[i].what));
		kept++;
	}
	out_char(o, '}');
}

/* A channel, mono or ts. The bounds are inclusive: the encoder prints mono
 * and ts to 1 ms, so a valid one just under its bound is written as the
 * bound itself, and the decoder must take back what the encoder writes
 * (found by fuzz_reading's round trip). */
static bool in_range(double v, double lo, double hi)
{
	return isfinite(v) && v >= lo && v <= hi;
}

/* name comes with its quotes and colon: ",\"pressure_kpa\":"; v outside
 * lo..hi (NAN included) is written as null. */
static void out_channel(struct out *o, const char *name, size_t name_len, double v, double lo,
			double hi)
{
	out_bytes(o, name, name_len);
	if (!in_range(v, lo, hi)) {
		out_literal(o, "null");
		return;
	}
	/* A gauge at rest hovers around zero; "-0.00" is valid JSON but reads
	 * as a bug on a dashboard: out_fixed() writes no sign for a zero. */
	out_fixed(o, v, 2);
}

/* The number a reader of the wire gets back for v written by out_fixed():
 * what strtod makes of that text. Off a tie it is q / 10^decimals for the
 * integer q out_fixed() prints: the text stands for that exact fraction, and
 * an IEEE division of two exact integers (q below 2^53) rounds it correctly,
 * as strtod does; a zero prints unsigned, so it comes back +0. Near a tie
 * out_fixed() leaves the digits to snprintf, and so does this. */
static double wire_fixed(double v, unsigned decimals)
{
	static const double pow10[] = { 1, 10, 100, 1000 };
	bool neg = v < 0;
	double x = (neg ? -v : v) * pow10[decimals];
	double whole = floor(x), q;

	if (fabs(x - whole - 0.5) < 1e-3) {
		char tmp[48];

		snprintf(tmp, sizeof(tmp), "%.*f", (int)decimals, v);
		return strtod(tmp, NULL);
	}
	q = whole + (x - whole > 0.5);
	if (q == 0)
		return 0;
	return (neg ? -q : q) / pow10[decimals];
}

/* A channel as out_channel() sends it: NAN for null. */
static double wire_channel(double v, double lo, double hi)
{
	return in_range(v, lo, hi) ? wire_fixed(v, 2) : NAN;
}

void reading_as_sent(const struct reading *r, struct reading *wire)
{
	*wire = *r;
	wire->mono = wire_fixed(r->mono, 3);
	wire->ts = wire_fixed(r->ts, 3);
	wire->pressure_kpa = wire_channel(r->pressure_kpa, CHANNEL_MIN, CHANNEL_MAX);
	wire->temperature_c = wire_channel(r->temperature_c, CHANNEL_MIN, CHANNEL_MAX);
	if (r->has_rotation)
		wire->rotation_dps = wire_channel(r->rotation_dps, 0, ROTATION_MAX_DPS);
}

/* The length of run when it is a valid run id (16 or 8 lowercase hex
 * digits), else 0. Never reads past run[READING_RUN_LEN]: a struct's run
 * buffer filled with digits and no NUL is refused, not overrun. */
static size_t run_len(const char *run)
{
	size_t n;

	if (!run)
		return 0;
	for (n = 0; n < READING_RUN_LEN; n++) {
		unsigned c = (unsigned char)run[n];

		/* Unsigned, below '0' or 'a' wraps high: one compare a range. */
		if (c - '0' > 9 && c - 'a' > 5)
			break;
	}
	/* The digits must end the string: run[n] is at most run[16]. */
	if (run[n] != '\0')
		return 0;
	return n == READING_RUN_LEN || n == READING_RUN_LEN_LEGACY ? n : 0;
}

static bool seq_valid(uint64_t seq)
{
	return seq <= SEQ_MAX;
}

int reading_encode(const struct reading *r, char *buf, size_t len)
{
	struct out o = { .buf = buf, .len = len, .pos = 0, .overflow = false };
	size_t n_run;

	if (!r || !buf || len == 0)
		return -1;
	buf[0] = '\0';
	n_run = run_len(r->run);
	if (n_run == 0 || !seq_valid(r->seq) || !in_range(r->mono, 0, MONO_MAX_S) ||
	    !in_range(r->ts, 0, TS_MAX_S) || (r->has_lost_after && r->lost_after >= r->seq) ||
	    (r->zone[0] != '\0' && !zone_name_valid(r->zone)))
		return -1;

	out_literal(&o, "{\"run\":\"");
	/* Constant sizes: the compiler copies them inline, not through a call
	 * to memcpy (about 1 % of an encode, measured with callgrind). */
	if (n_run == READING_RUN_LEN)
		out_bytes(&o, r->run, READING_RUN_LEN);
	else
		out_bytes(&o, r->run, READING_RUN_LEN_LEGACY);
	out_literal(&o, "\",\"seq\":");
	out_u64(&o, r->seq);
	out_literal(&o, ",\"mono\":");
	out_fixed(&o, r->mono, 3);
	out_literal(&o, ",\"ts\":");
	out_fixed(&o, r->ts, 3);
	out_channel(&o, ",\"pressure_kpa\":", sizeof(",\"pressure_kpa\":") - 1, r->pressure_kpa,
		    CHANNEL_MIN, CHANNEL_MAX);
	out_channel(&o, ",\"temperature_c\":", sizeof(",\"temperature_c\":") - 1, r->temperature_c,
		    CHANNEL_MIN, CHANNEL_MAX);
	if (r->has_rotation)
		out_channel(&o, ",\"rotation_dps\":", sizeof(",\"rotation_dps\":") - 1,
			    r->rotation_dps, 0, ROTATION_MAX_DPS);
	/* A valid name needs no escaping: [a-z0-9_] only. */
	if (r->zone[0] != '\0') {
		out_literal(&o, ",\"zone\":\"");
		out_bytes(&o, r->zone, strlen(r->zone));
		out_char(&o, '"');
	}
	if (r->end_session)
		out_literal(&o, ",\"end_session\":true");
	if (r->has_lost_after) {
		out_literal(&o, ",\"lost_after\":");
		out_u64(&o, r->lost_after);
	}

	if (r->n_faults > 0)
		out_faults(&o, r);
	out_char(&o, '}');

	if (o.overflow || o.pos > READING_MAX_PAYLOAD) {
		buf[0] = '\0';
		return -1;
	}
	return (int)o.pos;
}

/* True when p[0..len) has the shape reading_add_lost_after wants (reading.h),
 * and reads its seq. The head is read exactly. After it, the free text
 * (fault keys and texts) sits in strings, whose escaped quotes are skipped;
 * a top-level key is a string right after a '{' or ',' at depth 1 (a fault
 * named "lost_after" is at depth 2). */
static bool encoded_shape(const char *p, size_t len, uint64_t *seq)
{
	static const char head[] = "{\"run\":\"";
	static const char mid[] = "\",\"seq\":";
	static const char key[] = "\"lost_after\"";
	char run[READING_RUN_LEN + 1];
	size_t i = sizeof(head) - 1, n, depth = 1;
	uint64_t v = 0;
	bool in_string = false;
	char prev = ',';

	if (len < i || memcmp(p, head, i) != 0)
		return false;
	for (n = 0; n < sizeof(run) - 1 && i + n < len && p[i + n] != '"'; n++)
		run[n] = p[i + n];
	run[n] = '\0';
	i += n;
	if (run_len(run) != n || len - i < sizeof(mid) - 1 ||
	    memcmp(p + i, mid, sizeof(mid) - 1) != 0)
		return false;
	i += sizeof(mid) - 1;
	/* out_u64's digits: no sign, no leading zero, at most 2^53. */
	for (n = 0; i + n < len && p[i + n] >= '0' && p[i + n] <= '9'; n++) {
		if (n == 16 || (n == 1 && v == 0))
			return false;
		v = v * 10 + (uint64_t)(p[i + n] - '0');
	}
	i += n;
	if (n == 0 || !seq_valid(v) || i == len || p[i] != ',')
		return false;

	for (; i < len; i++) {
		char c = p[i];

		if (in_string) {
			if ((unsigned char)c < 0x20)
				return false;	/* written as \u00XX */
			if (c == '\\')
				i++;	/* the escaped byte never ends the string */
			else if (c == '"')
				in_string = false;
			continue;
		}
		if ((unsigned char)c <= ' ')
			return false;
		if (c == '"') {
			if (depth == 1 && (prev == ',' || prev == '{') && len - i >= sizeof(key) - 1 &&
			    memcmp(p + i, key, sizeof(key) - 1) == 0)
				return false;
			in_string = true;
		} else if (c == '{' || c == '[') {
			depth++;
		} else if (c == '}' || c == ']') {
			if (--depth == 0)
				break;
		}
		prev = c;
	}
	/* Brackets are only counted, so an array's ']' could end the count: the
	 * object itself must be what the last byte closes. */
	if (depth != 0 || i != len - 1 || p[i] != '}')
		return false;
	*seq = v;
	return true;
}

int reading_add_lost_after(const char *payload, size_t len, uint64_t lost_after, char *out,
			   size_t out_len)
{
	char member[48];	/* ,"lost_after":N} with at most 20 digits */
	struct out m = { .buf = member, .len = sizeof(member) };
	size_t total;
	uint64_t seq;

	if (!payload || !out || !encoded_shape(payload, len, &seq) || lost_after >= seq)
		return -1;
	/* Without printf: a resend after a drop runs this for every reading. */
	out_literal(&m, ",\"lost_after\":");
	out_u64(&m, lost_after);
	out_char(&m, '}');
	/* All but the payload's closing brace, then the member and a brace. */
	total = len - 1 + m.pos;
	if (total > READING_MAX_PAYLOAD || total >= out_len)
		return -1;
	/* Nothing is written before every check passed, and nothing read from
	 * payload after this move: out may be payload, or overlap it. */
	memmove(out, payload, len - 1);
	memcpy(out + len - 1, member, m.pos + 1);
	return (int)total;
}

int ack_encode(const char *run, uint64_t seq, char *buf, size_t len)
{
	int n;

	if (!buf || len == 0)
		return -1;
	buf[0] = '\0';
	if (!reading_run_valid(run) || !seq_valid(seq))
		return -1;
	n = snprintf(buf, len, "{\"run\":\"%s\",\"seq\":%" PRIu64 "}", run, seq);
	if (n < 0 || (size_t)n >= len) {
		buf[0] = '\0';
		return -1;
	}
	return n;
}

/* ---- decoding ---- */

bool reading_run_valid(const char *run)
{
	return run_len(run) != 0;
}

const char *reading_error_name(enum reading_error e)
{
	static const char *const names[] = { "ok", "size", "json", "missing", "type", "range" };

	_Static_assert(sizeof(names) / sizeof(names[0]) == READING_ERR_KINDS, "error names");
	return (size_t)e < READING_ERR_KINDS ? names[e] : "unknown";
}

/* True when obj has at most READING_MAX_KEYS keys and none twice. cJSON
 * keeps every member of {"seq":1,"seq":2} and cJSON_GetObjectItem takes the
 * first, so a repeated key would let two readers of one payload (or a
 * check and a use) see different values: it is refused instead. One pass
 * over the members, each compared with those before it: quadratic, but the
 * key limit bounds it (a reading has about 8). */
static bool keys_unique(const cJSON *obj)
{
	const cJSON *item, *prev;
	size_t n = 0;

	cJSON_ArrayForEach(item, obj) {
		if (++n > READING_MAX_KEYS || !item->string)
			return false;
		for (prev = obj->child; prev != item; prev = prev->next)
			if (strcmp(prev->string, item->string) == 0)
				return false;
	}
	return true;
}

/* Parses payload into a cJSON object, or says why not. An MQTT payload is
 * not NUL-terminated, so it is copied into a terminated buffer first; a NUL
 * byte inside is never valid JSON, nor is text that is not UTF-8 (RFC 8259
 * §8.1; cJSON passes any byte through), and trailing bytes after the value
 * are refused (require_null_terminated). The object's own keys must be unique
 * (keys_unique); those of objects inside it are the caller's concern. */
static enum reading_error json_object_parse(const char *payload, size_t len, cJSON **out)
{
	char text[READING_MAX_PAYLOAD + 1];
	cJSON *root;

	*out = NULL;
	if (!payload || len == 0 || len > READING_MAX_PAYLOAD)
		return READING_ERR_SIZE;
	if (memchr(payload, '\0', len) || !utf8_valid(payload, len))
		return READING_ERR_JSON;
	memcpy(text, payload, len);
	text[len] = '\0';

	root = cJSON_ParseWithOpts(text, NULL, 1);
	/* cJSON_IsObject and cJSON_Delete take NULL: a parse error lands here too. */
	if (!cJSON_IsObject(root) || !keys_unique(root)) {
		cJSON_Delete(root);
		return READING_ERR_JSON;
	}
	*out = root;
	return READING_OK;
}

static enum reading_error field_run(const cJSON *root, char run[READING_RUN_LEN + 1])
{
	const cJSON *item = cJSON_GetObjectItemCaseSensitive(root, "run");
	size_t n;

	if (!item)
		return READING_ERR_MISSING;
	if (!cJSON_IsString(item) || !item->valuestring)
		return READING_ERR_TYPE;
	n = run_len(item->valuestring);
	if (n == 0)
		return READING_ERR_RANGE;
	memcpy(run, item->valuestring, n + 1);	/* an 8-digit one is shorter than run */
	return READING_OK;
}

/* The count root has under name: a number with no fraction (a fraction is a
 * wrong type for a counter, 12.5 is not a sequence number) from 0 to limit,
 * limit itself included or not. The range is checked first. Compared as
 * doubles: 2^53 converts exactly, and so does every integer below it. */
static enum reading_error field_count(const cJSON *root, const char *name, uint64_t limit,
				      bool inclusive, uint64_t *out)
{
	const cJSON *item = cJSON_GetObjectItemCaseSensitive(root, name);
	double v;

	if (!item)
		return READING_ERR_MISSING;
	if (!cJSON_IsNumber(item))
		return READING_ERR_TYPE;
	v = item->valuedouble;
	if (!isfinite(v) || v < 0.0 || v > (double)limit || (!inclusive && v == (double)limit))
		return READING_ERR_RANGE;
	if (v != floor(v))
		return READING_ERR_TYPE;
	*out = (uint64_t)v;
	return READING_OK;
}

/* A required number from lo to hi; with null_ok, null too, which stands for
 * an unknown value (NAN): a channel's failed chip. */
static enum reading_error field_number(const cJSON *root, const char *name, double lo, double hi,
				       bool null_ok, double *out)
{
	const cJSON *item = cJSON_GetObjectItemCaseSensitive(root, name);

	if (!item)
		return READING_ERR_MISSING;
	if (null_ok && cJSON_IsNull(item)) {
		*out = NAN;
		return READING_OK;
	}
	if (!cJSON_IsNumber(item))
		return READING_ERR_TYPE;
	if (!in_range(item->valuedouble, lo, hi))
		return READING_ERR_RANGE;
	*out = item->valuedouble;
	return READING_OK;
}

/* Copies src[0..n) into dst[size], cut to fit without splitting a UTF-8
 * sequence (a cut one would be invalid text in the database and on a
 * dashboard). */
static void copy_truncated(char *dst, size_t size, const char *src, size_t n)
{
	if (n >= size) {
		n = size - 1;
		/* src[n] is the first byte dropped: while it is a continuation
		 * byte (10xxxxxx), the character it belongs to was cut, so drop
		 * back to that character's lead byte. */
		while (n > 0 && ((unsigned char)src[n] & 0xC0) == 0x80)
			n--;
	}
	memcpy(dst, src, n);
	dst[n] = '\0';
}

/* faults (reading.h). Keys are unique on the wire (faults_check), but two
 * long ones may be cut to the same 127 bytes: the later is not kept, as the
 * encoder would not write it twice. */
static enum reading_error field_faults(const cJSON *root, struct reading *r)
{
	const cJSON *faults = cJSON_GetObjectItemCaseSensitive(root, "faults");
	const cJSON *item;

	r->n_faults = 0;
	if (!faults)
		return READING_OK;
	if (!cJSON_IsObject(faults))
		return READING_ERR_TYPE;
	cJSON_ArrayForEach(item, faults) {
		struct reading_fault *f = &r->faults[r->n_faults];
		bool repeated = false;

		if (!cJSON_IsString(item) || !item->valuestring || !item->string)
			return READING_ERR_TYPE;
		if (r->n_faults == READING_MAX_FAULTS)
			continue;	/* still type-checked, not kept */
		copy_truncated(f->sensor, sizeof(f->sensor), item->string, strlen(item->string));
		for (size_t k = 0; k < r->n_faults && !repeated; k++)
			repeated = strcmp(r->faults[k].sensor, f->sensor) == 0;
		if (repeated)
			continue;
		copy_truncated(f->what, sizeof(f->what), item->valuestring,
			       strlen(item->valuestring));
		r->n_faults++;
	}
	return READING_OK;
}

/* lost_after: optional; like seq, a number with no fraction (TYPE), and
 * below seq (RANGE). *has says if it is there. */
static enum reading_error field_lost_after(const cJSON *root, uint64_t seq, bool *has, uint64_t *out)
{
	enum reading_error err = field_count(root, "lost_after", seq, false, out);

	*has = err == READING_OK;
	return err == READING_ERR_MISSING ? READING_OK : err;
}

/* rotation_dps: optional, a number in 0..ROTATION_MAX_DPS or null (the
 * gyroscope failed: NAN); *has says if it is there. */
static enum reading_error field_rotation(const cJSON *root, bool *has, double *out)
{
	enum reading_error err = field_number(root, "rotation_dps", 0, ROTATION_MAX_DPS, true, out);

	*has = err != READING_ERR_MISSING;
	return err == READING_ERR_MISSING ? READING_OK : err;
}

/* zone: optional; null is none, like absent. */
static enum reading_error field_zone(const cJSON *root, char zone[ZONE_NAME_MAX + 1])
{
	const cJSON *item = cJSON_GetObjectItemCaseSensitive(root, "zone");

	zone[0] = '\0';
	if (!item || cJSON_IsNull(item))
		return READING_OK;
	if (!cJSON_IsString(item) || !item->valuestring)
		return READING_ERR_TYPE;
	if (!zone_name_valid(item->valuestring))
		return READING_ERR_RANGE;
	memcpy(zone, item->valuestring, strlen(item->valuestring) + 1);
	return READING_OK;
}

static enum reading_error field_end_session(const cJSON *root, bool *out)
{
	const cJSON *item = cJSON_GetObjectItemCaseSensitive(root, "end_session");

	*out = false;
	if (!item)
		return READING_OK;
	if (!cJSON_IsBool(item))
		return READING_ERR_TYPE;
	*out = cJSON_IsTrue(item);
	return READING_OK;
}

/* faults' keys, unique and at most READING_MAX_KEYS, like the top level's;
 * checked before any field, as part of what makes the payload acceptable
 * JSON at all. Its keys and texts are kept, so they are checked as UTF-8
 * once more after cJSON unescaped them: the raw payload is valid, but a
 * \ud800 escape with no low surrogate after it would, decoded on its own,
 * be the 3 bytes ED A0 80. cJSON 1.7.15 refuses such a lone surrogate
 * itself; this does not rely on it. */
static enum reading_error faults_check(const cJSON *root)
{
	const cJSON *faults = cJSON_GetObjectItemCaseSensitive(root, "faults");
	const cJSON *item;

	if (!cJSON_IsObject(faults))
		return READING_OK;
	if (!keys_unique(faults))
		return READING_ERR_JSON;
	cJSON_ArrayForEach(item, faults) {
		if (!utf8_valid(item->string, strlen(item->string)))
			return READING_ERR_JSON;
		if (cJSON_IsString(item) && item->valuestring &&
		    !utf8_valid(item->valuestring, strlen(item->valuestring)))
			return READING_ERR_JSON;
	}
	return READING_OK;
}

/* The payload is checked as JSON first (json_object_parse, faults_check),
 * then fields in wire order; the first problem is the one reported. r is
 * written only on success. */
enum reading_error reading_decode_tree(const char *payload, size_t len, struct reading *r)
{
	struct reading tmp = { 0 };
	cJSON *root;
	enum reading_error err;

	err = json_object_parse(payload, len, &root);
	if (err != READING_OK)
		return err;
	err = faults_check(root);
	if (err == READING_OK)
		err = field_run(root, tmp.run);
	if (err == READING_OK)
		err = field_count(root, "seq", SEQ_MAX, true, &tmp.seq);
	if (err == READING_OK)
		err = field_number(root, "mono", 0, MONO_MAX_S, false, &tmp.mono);
	if (err == READING_OK)
		err = field_number(root, "ts", 0, TS_MAX_S, false, &tmp.ts);
	if (err == READING_OK)
		err = field_number(root, "pressure_kpa", CHANNEL_MIN, CHANNEL_MAX, true,
				   &tmp.pressure_kpa);
	if (err == READING_OK)
		err = field_number(root, "temperature_c", CHANNEL_MIN, CHANNEL_MAX, true,
				   &tmp.temperature_c);
	if (err == READING_OK)
		err = field_rotation(root, &tmp.has_rotation, &tmp.rotation_dps);
	if (err == READING_OK)
		err = field_zone(root, tmp.zone);
	if (err == READING_OK)
		err = field_end_session(root, &tmp.end_session);
	if (err == READING_OK)
		err = field_lost_after(root, tmp.seq, &tmp.has_lost_after, &tmp.lost_after);
	if (err == READING_OK)
		err = field_faults(root, &tmp);

	cJSON_Delete(root);
	if (err == READING_OK)
		*r = tmp;
	return err;
}

/* ---- the single-pass decoder ----
 *
 * reading_decode reads the payload once, left to right, into a struct
 * reading on the stack: no tree, no allocation. It accepts and refuses
 * exactly what reading_decode_tree does, which is JSON as cJSON 1.7.15
 * parses it, then checked as reading.h says. Where cJSON's JSON is wider
 * than RFC 8259, this follows cJSON, not the RFC (docs/protocol.md, "Wire
 * contract", says what a sender may rely on; the rest is a receiver's
 * leniency that must not change under it):
 *  - white space is any byte from 0x01 to 0x20;
 *  - a number runs over [0-9eE.+-] from a '-' or a digit, and strtod must
 *    take all of the run: "01", "1." and "-.5" are numbers, "+1", ".5" and
 *    "1e" are not;
 *  - a string ends at its first quote not right after a backslash; its
 *    escapes are then read from its start, "\u" taking the next 4 bytes
 *    whatever they are (if they are not all hex digits, U+0000), so the two
 *    readings may disagree on where an escape ends;
 *  - a string is what comes before its first U+0000, as a C string: the key
 *    "run\u0000x" is "run", and repeats "run";
 *  - raw control bytes may stand in strings; arrays and objects nest at
 *    most NESTING_MAX deep, the reading itself counting one;
 *  - a UTF-8 byte order mark may come first.
 * Every JSON problem is READING_ERR_JSON whatever it is, so the pass stops at
 * the first; the fields' own errors wait until the payload is known to be
 * JSON, and are then reported in reading_decode_tree's order. */

#define NESTING_MAX 1000	/* cJSON's CJSON_NESTING_LIMIT */

/* A decoded string up to its first U+0000: the payload's own bytes where it
 * holds no escape, else unescaped into the scan's scratch. */
struct text {
	const char *s;
	size_t len;
};

enum value_kind { VALUE_NULL, VALUE_FALSE, VALUE_TRUE, VALUE_NUMBER, VALUE_STRING, VALUE_ARRAY,
		  VALUE_OBJECT };

/* A known field's value; number and text only for their kinds. */
struct value {
	bool present;
	enum value_kind kind;
	double number;
	struct text text;
};

/* The fields reading_decode reads, in the order their errors are reported. */
enum field { FIELD_RUN, FIELD_SEQ, FIELD_MONO, FIELD_TS, FIELD_PRESSURE, FIELD_TEMPERATURE,
	     FIELD_ROTATION, FIELD_ZONE, FIELD_END_SESSION, FIELD_LOST_AFTER, FIELD_FAULTS,
	     FIELDS, FIELD_OTHER = FIELDS };

struct scan {
	const char *p, *end;	/* the cursor and the payload's end */
	char *scratch;		/* READING_MAX_PAYLOAD bytes: no text unescapes longer */
	size_t scratch_used;
};

/* cJSON skips every byte from 0x01 to the space; NUL is not white space
 * (the payload holds none that JSON may). */
static void scan_ws(struct scan *s)
{
	while (s->p < s->end && (unsigned char)(*s->p - 1) < ' ')
		s->p++;
}

/* Whether the next byte is c. */
static bool scan_at(const struct scan *s, char c)
{
	return s->p < s->end && *s->p == c;
}

/* The code unit of a \u escape's 4 characters, or 0 if any is not a hex
 * digit (as cJSON reads them). */
static unsigned hex4(const char *p)
{
	unsigned v = 0;

	for (int i = 0; i < 4; i++) {
		unsigned c = (unsigned char)p[i];

		if (c - '0' <= 9)
			v = v << 4 | (c - '0');
		else if ((c | 0x20) - 'a' <= 5)
			v = v << 4 | ((c | 0x20) - 'a' + 10);
		else
			return 0;
	}
	return v;
}

/* The \u escape at p (a string's text ends at end): its code point and the
 * bytes it takes, 6, or 12 for a surrogate pair. false for a lone or
 * reversed surrogate, or too few bytes left. */
static bool unicode_escape(const char *p, const char *end, uint32_t *cp, size_t *len)
{
	unsigned high, low;

	if (end - p < 6)
		return false;
	high = hex4(p + 2);
	if (high >= 0xDC00 && high <= 0xDFFF)
		return false;
	if (high < 0xD800 || high > 0xDBFF) {
		*cp = high;
		*len = 6;
		return true;
	}
	if (end - p < 12 || p[6] != '\\' || p[7] != 'u')
		return false;
	low = hex4(p + 8);
	if (low < 0xDC00 || low > 0xDFFF)
		return false;
	*cp = 0x10000 + ((high & 0x3FF) << 10 | (low & 0x3FF));
	*len = 12;
	return true;
}

/* The escapes of a string's text p[0..end), read from its start; into the
 * scratch up to the first U+0000 when out is given, else only checked. */
static bool unescape(struct scan *s, const char *p, const char *end, struct text *out)
{
	char *o = out ? s->scratch + s->scratch_used : NULL;
	size_t n = 0;
	bool keep = out != NULL;

	while (p < end) {
		char esc[4];
		const char *piece = esc;
		size_t k = 1, step = 2;
		uint32_t cp;

		if (*p != '\\') {
			piece = p;
			step = 1;
		} else {
			/* p[1] exists: at worst it is the closing quote, which
			 * cJSON then reads as an escaped one. */
			switch (p[1]) {
			case 'b': esc[0] = '\b'; break;
			case 'f': esc[0] = '\f'; break;
			case 'n': esc[0] = '\n'; break;
			case 'r': esc[0] = '\r'; break;
			case 't': esc[0] = '\t'; break;
			case '"':
			case '\\':
			case '/':
				esc[0] = p[1];
				break;
			case 'u':
				if (!unicode_escape(p, end, &cp, &step))
					return false;
				k = utf8_encode(cp, esc);
				break;
			default:
				return false;
			}
		}
		p += step;
		if (keep && piece[0] == '\0')
			keep = false;	/* the C string ends here; the escapes after still count */
		if (keep) {
			memcpy(o + n, piece, k);
			n += k;
		}
	}
	if (out) {
		out->s = o;
		out->len = n;
		s->scratch_used += n;	/* never more than the text: no escape grows */
	}
	return true;
}

/* 1 for the bytes a string's text runs over with nothing to note: ASCII
 * but NUL, the quote and the backslash. */
static const unsigned char string_plain[256] = {
	0, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
	1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
	1, 1, 0, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
	1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
	1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
	1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 1, 1, 1,
	1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
	1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
};

/* The string at s->p (its opening quote), into out when given. */
static bool scan_string(struct scan *s, struct text *out)
{
	const char *start = s->p + 1, *q = start;
	bool escaped = false, high = false;

	for (;;) {
		unsigned char c;

		while (q < s->end && string_plain[(unsigned char)*q])
			q++;
		if (q == s->end)
			return false;
		c = (unsigned char)*q;
		if (c == '"')
			break;
		if (c == '\\') {
			escaped = true;
			if (++q == s->end)
				return false;
			c = (unsigned char)*q;
		}
		if (c == '\0')
			return false;	/* never JSON (reading.h) */
		high |= c >= 0x80;
		q++;
	}
	/* Outside strings only ASCII can parse, so checking each string's
	 * bytes is checking the payload's (RFC 8259 §8.1). */
	if (high && !utf8_valid(start, (size_t)(q - start)))
		return false;
	s->p = q + 1;
	if (escaped)
		return unescape(s, start, q, out);
	if (out) {
		out->s = start;
		out->len = (size_t)(q - start);
	}
	return true;
}

/* Decimal digits from *p on, up to end: adds them to *m, the first 19
 * significant ones (10^19 fits 64 bits; leading zeros say nothing), and
 * counts the significant ones in *significant. Returns how many digits. */
static size_t digits_read(const char **p, const char *end, uint64_t *m, size_t *significant)
{
	const char *start = *p, *q = start;

	for (; q < end && (unsigned)(*q - '0') <= 9; q++) {
		if (*significant < 19) {
			*m = *m * 10 + (uint64_t)(*q - '0');
			*significant += *m != 0;
		} else {
			(*significant)++;
		}
	}
	*p = q;
	return (size_t)(q - start);
}

static bool number_byte(char c)
{
	return (c >= '0' && c <= '9') || c == '.' || c == 'e' || c == 'E' || c == '+' || c == '-';
}

/* The value of a number's text p[0..n) that the fast path in scan_number
 * does not take, through strtod as cJSON does (with the locale's decimal
 * point, as cJSON built with locales does: the daemons keep the C locale). */
static double number_strtod(const char *p, size_t n)
{
	char text[READING_MAX_PAYLOAD + 1];
	char point = localeconv()->decimal_point[0];

	for (size_t i = 0; i < n; i++)
		text[i] = p[i] == '.' ? point : p[i];
	text[n] = '\0';
	return strtod(text, NULL);
}

/* The number at s->p (a '-' or a digit): its value into *v when given.
 *
 * The grammar is what strtod takes from cJSON's run of number bytes, and the
 * whole run must be taken. The value must be strtod's, to the bit: when the
 * digits make an integer m < 2^53 and the decimal exponent e is within ±22,
 * m and 10^|e| are exact doubles and one multiplication or division,
 * correctly rounded as IEEE 754 does, is the correctly rounded result, which
 * glibc's strtod gives too (Clinger's fast path). Anything else goes to
 * strtod itself. */
static bool scan_number(struct scan *s, double *v)
{
	static const double pow10[] = { 1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10,
		1e11, 1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22 };
	const char *start = s->p, *p = start, *end = s->end;
	uint64_t m = 0;
	size_t digits = 0, frac = 0, significant = 0;
	long exp = 0;
	bool neg = false;

	if (*p == '-') {
		neg = true;
		p++;
	}
	digits = digits_read(&p, end, &m, &significant);
	if (p < end && *p == '.') {
		p++;
		frac = digits_read(&p, end, &m, &significant);
		digits += frac;
	}
	if (digits == 0)
		return false;
	if (p < end && (*p == 'e' || *p == 'E')) {
		bool exp_neg = false;
		size_t exp_digits = 0;

		p++;
		if (p < end && (*p == '+' || *p == '-'))
			exp_neg = *p++ == '-';
		for (; p < end && *p >= '0' && *p <= '9'; p++, exp_digits++)
			if (exp < 100000)	/* far past any double; the rest is strtod's */
				exp = exp * 10 + (*p - '0');
		if (exp_digits == 0)
			return false;
		if (exp_neg)
			exp = -exp;
	}
	/* What strtod left of the run: cJSON then finds a byte no value may be
	 * followed by. */
	if (p < end && number_byte(*p))
		return false;
	s->p = p;
	if (!v)
		return true;
	exp -= (long)frac;
#if FLT_EVAL_METHOD == 0
	if (m == 0) {
		*v = neg ? -0.0 : 0.0;
		return true;
	}
	if (significant <= 19 && m <= (UINT64_C(1) << 53) && exp >= -22 && exp <= 22) {
		double x = (double)m;

		x = exp < 0 ? x / pow10[-exp] : x * pow10[exp];
		*v = neg ? -x : x;
		return true;
	}
#else
	(void)pow10;	/* extended precision would round twice */
#endif
	*v = number_strtod(start, (size_t)(p - start));
	return true;
}

static bool scan_literal(struct scan *s, const char *word, size_t n)
{
	if ((size_t)(s->end - s->p) < n || memcmp(s->p, word, n) != 0)
		return false;
	s->p += n;
	return true;
}

/* A value that is not an array or an object, at s->p; into v when given. */
static bool scan_scalar(struct scan *s, struct value *v)
{
	struct value ignored;

	if (!v)
		v = &ignored;
	switch (s->p < s->end ? *s->p : '\0') {
	case '"':
		v->kind = VALUE_STRING;
		return scan_string(s, v == &ignored ? NULL : &v->text);
	case 'n':
		v->kind = VALUE_NULL;
		return scan_literal(s, "null", 4);
	case 't':
		v->kind = VALUE_TRUE;
		return scan_literal(s, "true", 4);
	case 'f':
		v->kind = VALUE_FALSE;
		return scan_literal(s, "false", 5);
	case '-': case '0': case '1': case '2': case '3': case '4':
	case '5': case '6': case '7': case '8': case '9':
		v->kind = VALUE_NUMBER;
		return scan_number(s, v == &ignored ? NULL : &v->number);
	default:
		return false;
	}
}

/* An object member's key at s->p, then its colon and the white space after:
 * s->p is left at the value. */
static bool scan_member_head(struct scan *s, struct text *key)
{
	if (!scan_at(s, '"') || !scan_string(s, key))
		return false;
	scan_ws(s);
	if (!scan_at(s, ':'))
		return false;
	s->p++;
	scan_ws(s);
	return true;
}

/* A value nobody reads, at s->p, inside `open` arrays and objects: checked
 * as cJSON parses it, nothing kept. Nesting is followed with a bit per
 * level (object or array) rather than by recursion, so a deep payload costs
 * no stack. */
static bool skip_value(struct scan *s, unsigned open)
{
	unsigned char is_object[NESTING_MAX / 8 + 1];
	unsigned depth = 0;	/* opened here */

	for (;;) {
		char c = s->p < s->end ? *s->p : '\0';

		if (c == '{' || c == '[') {
			if (open + depth >= NESTING_MAX)
				return false;
			if (c == '{')
				is_object[depth / 8] |= (unsigned char)(1u << depth % 8);
			else
				is_object[depth / 8] &= (unsigned char)~(1u << depth % 8);
			depth++;
			s->p++;
			scan_ws(s);
			if (!scan_at(s, c == '{' ? '}' : ']')) {
				if (c == '{' && !scan_member_head(s, NULL))
					return false;
				continue;	/* to its first value */
			}
			s->p++;	/* empty: a whole value */
			depth--;
		} else if (!scan_scalar(s, NULL)) {
			return false;
		}
		/* After a value: close what ends here, or go on to the next. */
		for (;;) {
			bool object;

			if (depth == 0)
				return true;
			object = is_object[(depth - 1) / 8] >> (depth - 1) % 8 & 1;
			scan_ws(s);
			if (scan_at(s, ',')) {
				s->p++;
				scan_ws(s);
				if (object && !scan_member_head(s, NULL))
					return false;
				break;
			}
			if (!scan_at(s, object ? '}' : ']'))
				return false;
			s->p++;
			depth--;
		}
	}
}

/* A known field's value at s->p, kept in v (containers only by kind). */
static bool scan_field(struct scan *s, struct value *v)
{
	v->present = true;
	if (scan_at(s, '{') || scan_at(s, '[')) {
		v->kind = *s->p == '{' ? VALUE_OBJECT : VALUE_ARRAY;
		return skip_value(s, 1);
	}
	return scan_scalar(s, v);
}

/* Adds key to an object's keys[*n]: false if it is one too many
 * (READING_MAX_KEYS) or repeats one (keys_unique). */
static bool key_add(struct text *keys, size_t *n, struct text key)
{
	if (*n == READING_MAX_KEYS)
		return false;
	for (size_t k = 0; k < *n; k++)
		if (keys[k].len == key.len && memcmp(keys[k].s, key.s, key.len) == 0)
			return false;
	keys[(*n)++] = key;
	return true;
}

static enum field field_of(struct text key)
{
	static const struct {
		const char *name;
		size_t len;
	} names[FIELDS] = {
#define NAME(s) { s, sizeof(s) - 1 }
		[FIELD_RUN] = NAME("run"), [FIELD_SEQ] = NAME("seq"), [FIELD_MONO] = NAME("mono"),
		[FIELD_TS] = NAME("ts"), [FIELD_PRESSURE] = NAME("pressure_kpa"),
		[FIELD_TEMPERATURE] = NAME("temperature_c"),
		[FIELD_ROTATION] = NAME("rotation_dps"), [FIELD_ZONE] = NAME("zone"),
		[FIELD_END_SESSION] = NAME("end_session"),
		[FIELD_LOST_AFTER] = NAME("lost_after"), [FIELD_FAULTS] = NAME("faults"),
#undef NAME
	};

	for (size_t f = 0; f < FIELDS; f++)
		if (key.len == names[f].len && memcmp(key.s, names[f].name, key.len) == 0)
			return (enum field)f;
	return FIELD_OTHER;
}

/* One fault into r as field_faults keeps it: the first READING_MAX_FAULTS,
 * cut, and not when its cut key repeats a kept one. */
static void fault_keep(struct reading *r, struct text key, struct text what)
{
	struct reading_fault *f;

	if (r->n_faults == READING_MAX_FAULTS)
		return;
	f = &r->faults[r->n_faults];
	copy_truncated(f->sensor, sizeof(f->sensor), key.s, key.len);
	for (size_t k = 0; k < r->n_faults; k++)
		if (strcmp(r->faults[k].sensor, f->sensor) == 0)
			return;
	copy_truncated(f->what, sizeof(f->what), what.s, what.len);
	r->n_faults++;
}

/* The members of faults that are strings, in order; not_text: one is not
 * (READING_ERR_TYPE, reported once every field before faults passed). */
struct faults_seen {
	struct {
		struct text key, what;
	} texts[READING_MAX_KEYS];
	size_t n;
	bool not_text;
};

/* The faults object at s->p, its keys held to the top level's rules and
 * its texts to UTF-8 once unescaped (faults_check), seen into *seen. */
static bool scan_faults(struct scan *s, struct faults_seen *seen)
{
	struct text keys[READING_MAX_KEYS];
	size_t n_keys = 0;

	s->p++;
	scan_ws(s);
	if (scan_at(s, '}')) {
		s->p++;
		return true;
	}
	for (;;) {
		struct text key, what;

		if (!scan_member_head(s, &key) || !key_add(keys, &n_keys, key) ||
		    !utf8_valid(key.s, key.len))
			return false;
		if (scan_at(s, '"')) {
			if (!scan_string(s, &what) || !utf8_valid(what.s, what.len))
				return false;
			seen->texts[seen->n].key = key;
			seen->texts[seen->n++].what = what;
		} else {
			seen->not_text = true;
			if (!skip_value(s, 2))
				return false;
		}
		scan_ws(s);
		if (!scan_at(s, ',')) {
			break;
		}
		s->p++;
		scan_ws(s);
	}
	if (!scan_at(s, '}'))
		return false;
	s->p++;
	return true;
}

/* ---- the fields, as reading_decode_tree checks them ---- */

static enum reading_error value_run(const struct value *v, char run[READING_RUN_LEN + 1])
{
	if (!v->present)
		return READING_ERR_MISSING;
	if (v->kind != VALUE_STRING)
		return READING_ERR_TYPE;
	if (v->text.len != READING_RUN_LEN && v->text.len != READING_RUN_LEN_LEGACY)
		return READING_ERR_RANGE;
	for (size_t i = 0; i < v->text.len; i++) {
		unsigned c = (unsigned char)v->text.s[i];

		if (c - '0' > 9 && c - 'a' > 5)
			return READING_ERR_RANGE;
	}
	memcpy(run, v->text.s, v->text.len);
	run[v->text.len] = '\0';
	return READING_OK;
}

/* field_count: a number with no fraction from 0 to limit. */
static enum reading_error value_count(const struct value *v, uint64_t limit, bool inclusive,
				      uint64_t *out)
{
	double x = v->number;

	if (!v->present)
		return READING_ERR_MISSING;
	if (v->kind != VALUE_NUMBER)
		return READING_ERR_TYPE;
	if (!isfinite(x) || x < 0.0 || x > (double)limit || (!inclusive && x == (double)limit))
		return READING_ERR_RANGE;
	if (x != floor(x))
		return READING_ERR_TYPE;
	*out = (uint64_t)x;
	return READING_OK;
}

/* field_number: a number from lo to hi, or with null_ok null (NAN). */
static enum reading_error value_number(const struct value *v, double lo, double hi, bool null_ok,
				       double *out)
{
	if (!v->present)
		return READING_ERR_MISSING;
	if (null_ok && v->kind == VALUE_NULL) {
		*out = NAN;
		return READING_OK;
	}
	if (v->kind != VALUE_NUMBER)
		return READING_ERR_TYPE;
	if (!in_range(v->number, lo, hi))
		return READING_ERR_RANGE;
	*out = v->number;
	return READING_OK;
}

static enum reading_error value_zone(const struct value *v, char zone[ZONE_NAME_MAX + 1])
{
	if (!v->present || v->kind == VALUE_NULL)
		return READING_OK;
	if (v->kind != VALUE_STRING)
		return READING_ERR_TYPE;
	if (v->text.len > ZONE_NAME_MAX)
		return READING_ERR_RANGE;
	memcpy(zone, v->text.s, v->text.len);
	zone[v->text.len] = '\0';
	return zone_name_valid(zone) ? READING_OK : READING_ERR_RANGE;
}

/* end_session: absent is false. */
static enum reading_error value_flag(const struct value *v, bool *out)
{
	if (!v->present)
		return READING_OK;
	if (v->kind != VALUE_TRUE && v->kind != VALUE_FALSE)
		return READING_ERR_TYPE;
	*out = v->kind == VALUE_TRUE;
	return READING_OK;
}

/* The fields in reading_decode_tree's order, the first error reported. The
 * optional numbers, present, must be what the required ones must be. */
static enum reading_error fields_check(const struct value *f, bool faults_not_text,
				       struct reading *r)
{
	enum reading_error err;

	err = value_run(&f[FIELD_RUN], r->run);
	if (err == READING_OK)
		err = value_count(&f[FIELD_SEQ], SEQ_MAX, true, &r->seq);
	if (err == READING_OK)
		err = value_number(&f[FIELD_MONO], 0, MONO_MAX_S, false, &r->mono);
	if (err == READING_OK)
		err = value_number(&f[FIELD_TS], 0, TS_MAX_S, false, &r->ts);
	if (err == READING_OK)
		err = value_number(&f[FIELD_PRESSURE], CHANNEL_MIN, CHANNEL_MAX, true,
				   &r->pressure_kpa);
	if (err == READING_OK)
		err = value_number(&f[FIELD_TEMPERATURE], CHANNEL_MIN, CHANNEL_MAX, true,
				   &r->temperature_c);
	if (err == READING_OK && f[FIELD_ROTATION].present) {
		err = value_number(&f[FIELD_ROTATION], 0, ROTATION_MAX_DPS, true, &r->rotation_dps);
		r->has_rotation = true;
	}
	if (err == READING_OK)
		err = value_zone(&f[FIELD_ZONE], r->zone);
	if (err == READING_OK)
		err = value_flag(&f[FIELD_END_SESSION], &r->end_session);
	if (err == READING_OK && f[FIELD_LOST_AFTER].present) {
		err = value_count(&f[FIELD_LOST_AFTER], r->seq, false, &r->lost_after);
		r->has_lost_after = true;
	}
	if (err == READING_OK && f[FIELD_FAULTS].present &&
	    (f[FIELD_FAULTS].kind != VALUE_OBJECT || faults_not_text))
		err = READING_ERR_TYPE;
	return err;
}

enum reading_error reading_decode(const char *payload, size_t len, struct reading *r)
{
	char scratch[READING_MAX_PAYLOAD];
	struct scan s = { .p = payload, .end = payload + len, .scratch = scratch };
	struct value fields[FIELDS] = { { 0 } };
	struct text keys[READING_MAX_KEYS];
	size_t n_keys = 0;
	struct faults_seen faults;	/* no initializer: it would zero 2 KiB */
	struct reading head;	/* the fields before faults */
	enum reading_error err;

	if (!payload || len == 0 || len > READING_MAX_PAYLOAD)
		return READING_ERR_SIZE;
	faults.n = 0;
	faults.not_text = false;
	if (len >= 3 && memcmp(payload, "\xEF\xBB\xBF", 3) == 0)
		s.p += 3;
	scan_ws(&s);
	if (!scan_at(&s, '{'))
		return READING_ERR_JSON;
	s.p++;
	scan_ws(&s);
	if (!scan_at(&s, '}')) {
		for (;;) {
			struct text key;
			enum field f;
			bool ok;

			if (!scan_member_head(&s, &key) || !key_add(keys, &n_keys, key))
				return READING_ERR_JSON;
			f = field_of(key);
			if (f == FIELD_OTHER) {
				ok = skip_value(&s, 1);
			} else if (f == FIELD_FAULTS && scan_at(&s, '{')) {
				fields[f].present = true;
				fields[f].kind = VALUE_OBJECT;
				ok = scan_faults(&s, &faults);
			} else {
				ok = scan_field(&s, &fields[f]);
			}
			if (!ok)
				return READING_ERR_JSON;
			scan_ws(&s);
			if (!scan_at(&s, ','))
				break;
			s.p++;
			scan_ws(&s);
		}
		if (!scan_at(&s, '}'))
			return READING_ERR_JSON;
	}
	s.p++;
	scan_ws(&s);
	if (s.p != s.end)
		return READING_ERR_JSON;
	memset(&head, 0, offsetof(struct reading, faults));
	err = fields_check(fields, faults.not_text, &head);
	if (err != READING_OK)
		return err;
	/* r as reading_decode_tree leaves it, to the byte: its faults zeroed,
	 * then kept as field_faults keeps them. Zeroing and copying the whole
	 * struct (1.9 KiB, faults included) was an eighth of a decode. */
	memcpy(r, &head, offsetof(struct reading, faults));
	memset(r->faults, 0, sizeof(r->faults));
	for (size_t i = 0; i < faults.n; i++)
		fault_keep(r, faults.texts[i].key, faults.texts[i].what);
	return READING_OK;
}

/* The small objects beside readings (ack, health): parses payload and reads
 * its "run" into run_tmp. READING_OK with *root to free, else nothing held. */
static enum reading_error run_object_parse(const char *payload, size_t len, cJSON **root,
					   char run_tmp[READING_RUN_LEN + 1])
{
	enum reading_error err = json_object_parse(payload, len, root);

	if (err != READING_OK)
		return err;
	err = field_run(*root, run_tmp);
	if (err != READING_OK)
		cJSON_Delete(*root);
	return err;
}

int ack_decode(const char *payload, size_t len, char run[READING_RUN_LEN + 1], uint64_t *seq)
{
	char run_tmp[READING_RUN_LEN + 1];
	uint64_t seq_tmp = 0;
	cJSON *root;
	enum reading_error err;

	if (run_object_parse(payload, len, &root, run_tmp) != READING_OK)
		return -1;
	err = field_count(root, "seq", SEQ_MAX, true, &seq_tmp);
	cJSON_Delete(root);
	if (err != READING_OK)
		return -1;
	memcpy(run, run_tmp, strlen(run_tmp) + 1);
	*seq = seq_tmp;
	return 0;
}

int health_decode(const char *payload, size_t len, char run[READING_RUN_LEN + 1], double *up_s)
{
	char run_tmp[READING_RUN_LEN + 1];
	double up_tmp = 0;
	cJSON *root;
	enum reading_error err;

	if (run_object_parse(payload, len, &root, run_tmp) != READING_OK)
		return -1;
	err = field_number(root, "up_s", 0, MONO_MAX_S, false, &up_tmp);
	cJSON_Delete(root);
	if (err != READING_OK)
		return -1;
	memcpy(run, run_tmp, strlen(run_tmp) + 1);
	*up_s = up_tmp;
	return 0;
}
