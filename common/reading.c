/* The wire format of readings and acknowledgements (docs/protocol.md, "Wire
 * contract").
 *
 * Encoding is hand-written, not cJSON: sensord publishes 10 to
 * 100 readings a second on a Pi, and building a cJSON tree per reading would
 * allocate a dozen nodes for a one-line string. Decoding uses cJSON, because
 * the collector reads what arrives from the network and a hand-written
 * parser is where the bugs would be.
 *
 * The encoder refuses what the decoder would refuse (reading.h): such a
 * reading is a bug in the producer, better caught where it happens than as
 * readings the collector refuses forever.
 */
#include "reading.h"

#include <inttypes.h>
#include <math.h>
#include <stdio.h>
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

/* Copies src into dst[size], cut to fit without splitting a UTF-8 sequence
 * (a cut one would be invalid text in the database and on a dashboard). */
static void copy_truncated(char *dst, size_t size, const char *src)
{
	size_t n = strlen(src);

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
		copy_truncated(f->sensor, sizeof(f->sensor), item->string);
		for (size_t k = 0; k < r->n_faults && !repeated; k++)
			repeated = strcmp(r->faults[k].sensor, f->sensor) == 0;
		if (repeated)
			continue;
		copy_truncated(f->what, sizeof(f->what), item->valuestring);
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
enum reading_error reading_decode(const char *payload, size_t len, struct reading *r)
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
