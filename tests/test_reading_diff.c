/* The single-pass reading decoder (reading_decode) against the cJSON one it
 * replaced (reading_decode_tree, the reference): for every payload, the same
 * result, and for an accepted one the same struct to the last byte
 * (fuzz/reading_diff.h says exactly what is compared).
 *
 * The payloads: every seed of the reading fuzz corpora (fuzz/corpus/reading,
 * reading_diff, ack), then DIFF_CASES generated from a fixed seed: readings
 * reading_encode writes from random fields, the corpus seeds and
 * hand-written edge cases, each put through one to four mutations (a byte
 * changed, inserted or deleted, a cut, a key repeated, an edge-case number
 * or value put in a value's place, white space, escapes, unknown keys,
 * faults, nesting near cJSON's limit), plus token soup and raw bytes. What
 * each decoder makes of them is not written here: the reference is the
 * ground truth. The counts by result are printed, and each must be seen, so
 * the run shows it exercised both acceptance and every kind of refusal. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "select.h"

#include <dirent.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../fuzz/reading_diff.h"
#include "reading.h"
#include "unit.h"

/* Under valgrind (make check-valgrind) the reference's allocations run
 * some 50 times slower: a fiftieth of the cases still covers every kind. */
#define DIFF_CASES 1000000
#define DIFF_CASES_VALGRIND 20000
#define BUF_MAX (2 * READING_MAX_PAYLOAD + 64)

struct counts {
	unsigned long total;
	unsigned long by_result[READING_ERR_KINDS];
};

/* ---- a deterministic generator (splitmix64) ---- */

static uint64_t rng_state = 0x16dec0de2026ULL;

static uint64_t rnd(void)
{
	return unit_splitmix(&rng_state);
}

static size_t below(size_t n)
{
	return n ? (size_t)(rnd() % n) : 0;
}

#define PICK_ONE(list) (list[below(sizeof(list) / sizeof(list[0]))])

/* ---- what the mutations put in ---- */

static const char *const numbers[] = {
	"0", "-0", "0.0", "-0.0", "1", "01", "-01", "00", "1.", "-1.", ".5", "-.5", "+1", "-+1",
	"1e5", "1E5", "1e+5", "1e-5", "1e", "1e+", "1.5e", "1.5e-", "--1", "-", "1-", "1+1",
	"1.2.3", "1e5e5", "1ee5", "1.e5", "-.e1", "9007199254740991", "9007199254740992",
	"9007199254740993", "9007199254740992.0", "9007199254740992.5", "9.007199254740992e15",
	"9007199254740991.9999", "18446744073709551616", "1e308", "1.8e308", "1e309", "-1e309",
	"1e400", "1e-400", "4.9e-324", "2.4e-324", "5e-324", "1e-330", "0e99999999999999999999",
	"1e0000000000000000000000000001", "100", "-100", "-100.0", "-100.00000000000001",
	"-100.0000000000001", "-99.999999999999999999", "10000", "10000.000000000001",
	"10000.00000000001", "1e4", "9999.9999999999999999", "1000000000", "1e9",
	"1000000000.0000001", "1000000000.000001", "1e11", "100000000000.00001", "0.1",
	"0.30000000000000004", "123456789012345678901234567890", "0.000000000000000000000000000001",
	"3.141592653589793238462643383279", "12.41", "39.62", "209.100", "1763910000.125", "4182",
	"4182.0", "4.182e3", "41820e-1", "1e22", "1e23", "1e-22", "1e-23", "9007199254740993e-5",
	"2.2250738585072014e-308", "2.2250738585072011e-308", "0x10", "NaN", "Infinity",
	"-Infinity", "nan", "inf", "1.7976931348623157e308", "1.7976931348623159e308",
	"8.98846567431158e307", "0.000001e6", "123456789012345678e-3", "1234567890123456789e-3",
	"12345678901234567890e-3", "9007199254740993.0", "4503599627370497.5", "3.25", "-3.25",
	"10000.005", "-100.005", "1e1000000", "1e-1000000",
	"1000000000000000000000000000000000000000000000000000000000000000000000000000000000001",
	"0.0000000000000000000000000000000000000000000000000000000000000000000000000000000000001",
};

static const char *const strings[] = {
	"\"3f9c2a1e\"", "\"5e1f03c29a7b44d1\"", "\"3F9C2A1E\"", "\"3f9c2a1\"", "\"3f9c2a1e0\"",
	"\"3f9c2a1e\\u0000zz\"", "\"3f9c\\u0032a1e\"", "\"\"", "\"calf_left\"", "\"none\"", "\"a\"",
	"\"abcdefghijklmnopqrstuvwxyz012345\"", "\"abcdefghijklmnopqrstuvwxyz0123456\"", "\"Calf\"",
	"\"calf-left\"", "\"\\u0000\"", "\"\\ud800\"", "\"\\udc00\"", "\"\\ud83d\\ude00\"",
	"\"\xc3\xa9\"", "\"\\u00e9\"", "\"\\u00zz\"", "\"\\x\"", "\"\x01\x1f\"", "\"\\\\\"",
	"\"\\\"\"", "\"\\/\"", "\"\\b\\f\\n\\r\\t\"", "\"\\u12\"", "\"\\ud800\\u0041\"",
	"\"\\ud800\\udbff\"", "\"\\uDBFF\\uDFFF\"", "\"\\u0\\\"00\"", "\"\\u123\\\\X\"",
	"\"\\u000\\\xc3\xa9\"", "\"nack\"", "\"timeout\"", "\"\xed\xa0\x80\"", "\"\xc0\x80\"",
	"\"\xf4\x90\x80\x80\"", "\"\xe2\x82\"", "\"\xef\xbf\xbd\"", "\"run\"", "\"calf_left\\u0000x\"",
};

static const char *const others[] = {
	"null", "true", "false", "nul", "tru", "fals", "nulll", "truee", "{}", "[]", "[1]",
	"[1,]", "[,1]", "{\"a\":1}", "{\"a\":1,}", "{\"a\"}", "{\"a\":}", "[[[]]]", "[{\"a\":[{}]}]",
	"{\"a\":1,\"a\":2}", "[1 2]", "[\"x\" , null ,true]", "{ }", "[ ]", "{\"\":\"\"}", "Null",
	"TRUE",
};

/* Bytes that mean something to a JSON reader, and some that should not. */
static const char tokens[] = "{}[],:\"\\ \t\n\r\x01\x1f\x7f-+.eE0123456789nulltruefalse/u";

static const char *const keys[] = {
	"run", "seq", "mono", "ts", "pressure_kpa", "temperature_c", "rotation_dps", "zone",
	"end_session", "lost_after", "faults", "x", "", "r\\u0075n", "run\\u0000x", "seq\\u0000",
	"faults\\u0000", "Run", "up_s",
};

static const char *const runs[] = { "5e1f03c29a7b44d1", "3f9c2a1e", "0123456789abcdef", "ffffffff" };
static const char *const zones[] = { "", "calf_left", "neck", "a", "zone_9_x",
				     "abcdefghijklmnopqrstuvwxyz012345" };
/* Fault keys and texts: short, long (cut at 127 / 95 bytes), multi-byte at
 * the cut, control bytes (escaped by the encoder), repeated. */
static const char *const fault_texts[] = {
	"bmp280@/dev/i2c-1:0x76", "nack", "timeout", "stuck", "wrong chip id", "",
	"\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80", "tab\there \"quoted\" back\\slash \x01",
	"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
	"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaab",
	"\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9x",
};

/* Hand-written starting points: the protocol's example, the optional
 * fields, and shapes a sender never writes. */
static const char *const templates[] = {
	"{\"run\":\"3f9c2a1e\",\"seq\":4182,\"mono\":209.100,\"ts\":1763910000.125,"
	"\"pressure_kpa\":12.41,\"temperature_c\":39.62}",
	"{\"run\":\"5e1f03c29a7b44d1\",\"seq\":4182,\"mono\":209.100,\"ts\":1763910000.125,"
	"\"pressure_kpa\":12.41,\"temperature_c\":39.62,\"rotation_dps\":3.25,\"zone\":\"calf_left\","
	"\"end_session\":true,\"lost_after\":4170,\"faults\":{\"bmp280@/dev/i2c-1:0x76\":\"nack\"}}",
	"\xef\xbb\xbf{\"run\":\"3f9c2a1e\",\"seq\":1,\"mono\":0,\"ts\":0,\"pressure_kpa\":null,"
	"\"temperature_c\":null}",
	" \t\r\n{ \"run\" : \"3f9c2a1e\" , \"seq\" : 1 , \"mono\" : 1.5 , \"ts\" : 2 , "
	"\"pressure_kpa\" : -100 , \"temperature_c\" : 10000 , \"x\" : [ 1 , { \"y\" : null } ] } \x01",
	"{\"temperature_c\":1e1,\"pressure_kpa\":1E-1,\"ts\":1.,\"mono\":-0,\"seq\":4.182e3,"
	"\"run\":\"3f9c\\u0032a1e\",\"zone\":null,\"end_session\":false,\"rotation_dps\":null}",
	"{\"run\":\"3f9c2a1e\",\"seq\":9,\"mono\":1,\"ts\":1,\"pressure_kpa\":1,\"temperature_c\":1,"
	"\"faults\":{\"a\":\"1\",\"b\":\"2\",\"c\":\"3\",\"d\":\"4\",\"e\":\"5\",\"f\":\"6\","
	"\"g\":\"7\",\"h\":\"8\",\"i\":\"9\",\"j\":\"\\u00e9\\ud83d\\ude00\",\"k\\u0000x\":\"y\"}}",
	"{}", "[]", "{\"run\":\"3f9c2a1e\"}",
};

/* ---- building payloads ---- */

struct buf {
	char b[BUF_MAX];
	size_t n;
};

static void buf_set(struct buf *b, const char *s, size_t n)
{
	if (n > BUF_MAX)
		n = BUF_MAX;
	memcpy(b->b, s, n);
	b->n = n;
}

/* Replaces b[at..at+del) with s[0..n); nothing when it would not fit. */
static void buf_splice(struct buf *b, size_t at, size_t del, const char *s, size_t n)
{
	if (at > b->n || del > b->n - at || b->n - del + n > BUF_MAX)
		return;
	memmove(b->b + at + n, b->b + at + del, b->n - at - del);
	memcpy(b->b + at, s, n);
	b->n = b->n - del + n;
}

static double rnd_unit(void)
{
	return (double)(rnd() >> 11) / 9007199254740992.0;
}

/* A channel: mostly in range, sometimes NAN or outside (written as null). */
static double rnd_channel(double lo, double hi)
{
	switch (below(8)) {
	case 0:
		return NAN;
	case 1:
		return hi + 1;
	default:
		return lo + rnd_unit() * (hi - lo);
	}
}

/* A reading as sensord would send it, its fields at random. */
static void gen_encoded(struct buf *b)
{
	struct reading r;
	int n;

	memset(&r, 0, sizeof(r));
	strcpy(r.run, PICK_ONE(runs));
	r.seq = below(2) ? below(100000) : rnd() % ((UINT64_C(1) << 53) + 1);
	r.mono = below(4) ? rnd_unit() * 10000 : rnd_unit() * 1e9;
	r.ts = 1.7e9 + rnd_unit() * 1e8;
	r.pressure_kpa = rnd_channel(-100, 10000);
	r.temperature_c = rnd_channel(-100, 10000);
	r.has_rotation = below(2);
	r.rotation_dps = rnd_channel(0, 10000);
	strcpy(r.zone, PICK_ONE(zones));
	r.end_session = below(4) == 0;
	r.has_lost_after = r.seq > 0 && below(4) == 0;
	r.lost_after = r.has_lost_after ? rnd() % r.seq : 0;
	r.n_faults = below(3) ? 0 : below(READING_MAX_FAULTS + 1);
	for (size_t i = 0; i < r.n_faults; i++) {
		snprintf(r.faults[i].sensor, sizeof(r.faults[i].sensor), "%s", PICK_ONE(fault_texts));
		snprintf(r.faults[i].what, sizeof(r.faults[i].what), "%s", PICK_ONE(fault_texts));
	}
	n = reading_encode(&r, b->b, sizeof(b->b));
	b->n = n > 0 ? (size_t)n : 0;
}

/* Where a value begins: just after a ':' (or a '[' or ','), past white
 * space; b->n if there is none. */
static size_t find_value(const struct buf *b)
{
	size_t start = below(b->n + 1);

	for (size_t k = 0; k < b->n; k++) {
		size_t i = (start + k) % b->n;

		if (b->b[i] == ':') {
			while (i + 1 < b->n && b->b[i + 1] == ' ')
				i++;
			return i + 1;
		}
	}
	return b->n;
}

/* The end of the value at i: the next ',', '}' or ']' outside a string
 * and at its nesting level (or the end). */
static size_t value_end(const struct buf *b, size_t i)
{
	int depth = 0;
	bool in_string = false;

	for (; i < b->n; i++) {
		char c = b->b[i];

		if (in_string) {
			if (c == '\\')
				i++;
			else if (c == '"')
				in_string = false;
		} else if (c == '"') {
			in_string = true;
		} else if (c == '{' || c == '[') {
			depth++;
		} else if (c == '}' || c == ']' || c == ',') {
			if (depth == 0)
				return i;
			if (c != ',')
				depth--;
		}
	}
	return b->n;
}

/* An edge-case number (half the time), string or other value. */
static const char *scalar(void)
{
	switch (below(4)) {
	case 0:
		return PICK_ONE(strings);
	case 1:
		return PICK_ONE(others);
	default:
		return PICK_ONE(numbers);
	}
}

/* Replaces b[at..at+del) with a value: a scalar, nesting around cJSON's
 * limit, or a whole reading. */
static void put_value(struct buf *b, size_t at, size_t del)
{
	const char *v;
	char nested[6 * 1001 + 8];	/* {"a": and its } for each level, at most */

	switch (below(6)) {
	case 0:
	case 1:
	case 2:
	case 3:
		v = scalar();
		break;
	case 4: {
		/* Around cJSON's nesting limit: the reading counts one. */
		static const size_t depths[] = { 997, 998, 999, 1000, 1001, 5 };
		size_t d = PICK_ONE(depths), o = 0;
		bool object = below(2);

		for (size_t i = 0; i < d; i++) {
			if (object && i % 2) {
				memcpy(nested + o, "{\"a\":", 5);
				o += 5;
			} else {
				nested[o++] = '[';
			}
		}
		nested[o++] = '1';
		for (size_t i = d; i-- > 0;)
			nested[o++] = object && i % 2 ? '}' : ']';
		nested[o] = '\0';
		v = nested;
		break;
	}
	default: {
		struct buf f;

		gen_encoded(&f);
		v = "{\"a\":\"b\"}";
		if (f.n > 0) {
			buf_splice(b, at, del, f.b, f.n);	/* a whole reading as a value */
			return;
		}
		break;
	}
	}
	buf_splice(b, at, del, v, strlen(v));
}

/* One change somewhere in b. */
static void mutate(struct buf *b)
{
	char piece[64];
	size_t at = below(b->n + 1), n;

	switch (below(13)) {
	case 0:	/* a byte changed */
		if (b->n > 0)
			b->b[below(b->n)] = below(2) ? tokens[below(sizeof(tokens) - 1)] : (char)rnd();
		break;
	case 1:	/* a byte inserted */
		piece[0] = below(2) ? tokens[below(sizeof(tokens) - 1)] : (char)rnd();
		buf_splice(b, at, 0, piece, 1);
		break;
	case 2:	/* bytes deleted */
		n = 1 + below(4);
		if (at + n <= b->n)
			buf_splice(b, at, n, "", 0);
		break;
	case 3:	/* cut short */
		b->n = below(b->n + 1);
		break;
	case 4:	/* a value replaced */
	case 5:
		at = find_value(b);
		put_value(b, at, value_end(b, at) - at);
		break;
	case 6:	/* a member added first: a repeated or unknown key */
		n = (size_t)snprintf(piece, sizeof(piece), "\"%s\":", PICK_ONE(keys));
		{
			struct buf v;

			buf_set(&v, piece, n);
			put_value(&v, v.n, 0);
			buf_splice(&v, v.n, 0, ",", 1);
			for (at = 0; at < b->n && b->b[at] != '{'; at++)
				;
			buf_splice(b, at < b->n ? at + 1 : 0, 0, v.b, v.n);
		}
		break;
	case 7:	/* white space, often where a token ends */
		piece[0] = below(2) ? " \t\n\r"[below(4)] : (char)(below(33));
		for (size_t k = 0; k < 8 && at < b->n && !strchr("{}[],:", b->b[at]); k++)
			at = below(b->n + 1);
		buf_splice(b, at, 0, piece, 1);
		break;
	case 8: {	/* an escape inside a string */
		static const char *const esc[] = {
			"\\u0000", "\\ud800", "\\udc00", "\\ud83d\\ude00", "\\u00e9", "\\/", "\\\"",
			"\\\\", "\\x", "\\u12", "\\uzzzz", "\\u0041", "\\n", "\\u", "\\", "\\uD834\\uDD1E",
			"\\u0075", "\\u002", "\xc3", "\x80",
		};
		const char *e = PICK_ONE(esc);
		bool in_string = false;
		size_t want = below(b->n + 1), i;

		/* The first byte inside a string at or after want. */
		for (i = 0; i < b->n; i++) {
			if (in_string && i >= want)
				break;
			if (b->b[i] == '"')
				in_string = !in_string;
			else if (in_string && b->b[i] == '\\')
				i++;
		}
		if (i < b->n) {
			bool replace = below(2) && b->b[i] != '"' && b->b[i] != '\\';

			if (replace && below(2)) {	/* the same character, escaped */
				n = (size_t)snprintf(piece, sizeof(piece), "\\u%04x",
						     (unsigned char)b->b[i]);
				buf_splice(b, i, 1, piece, n);
			} else {
				buf_splice(b, i, replace, e, strlen(e));
			}
		}
		break;
	}
	case 9:	/* a number replaced by an edge case */
		for (size_t k = 0; k < b->n; k++) {
			size_t i = (at + k) % b->n, j;

			if (!((b->b[i] >= '0' && b->b[i] <= '9') || b->b[i] == '-'))
				continue;
			while (i > 0 && strchr("0123456789.eE+-", b->b[i - 1]) && b->b[i - 1])
				i--;
			for (j = i; j < b->n && strchr("0123456789.eE+-", b->b[j]) && b->b[j]; j++)
				;
			{
				const char *num = PICK_ONE(numbers);

				buf_splice(b, i, j - i, num, strlen(num));
			}
			break;
		}
		break;
	case 10: {	/* a faults object of its own */
		struct buf f;
		size_t nf = below(2) ? below(4) : below(70);

		buf_set(&f, "\"faults\":{", 10);
		for (size_t i = 0; i < nf; i++) {
			const char *k = below(3) ? fault_texts[below(2)] : PICK_ONE(fault_texts);
			char member[512];
			int m;

			if (below(8) == 0) {
				m = snprintf(member, sizeof(member), "%s\"%s\":", i ? "," : "", k);
				buf_splice(&f, f.n, 0, member, (size_t)m);
				put_value(&f, f.n, 0);
				continue;
			}
			m = snprintf(member, sizeof(member), "%s\"%s%zu\":\"%s\"", i ? "," : "",
				     below(2) ? k : "s", below(3) ? i : below(2), PICK_ONE(fault_texts));
			if (m > 0 && (size_t)m < sizeof(member))
				buf_splice(&f, f.n, 0, member, (size_t)m);
		}
		buf_splice(&f, f.n, 0, "},", 2);
		for (at = 0; at < b->n && b->b[at] != '{'; at++)
			;
		buf_splice(b, at < b->n ? at + 1 : 0, 0, f.b, f.n);
		break;
	}
	case 11:	/* before or after the object */
		switch (below(4)) {
		case 0:
			buf_splice(b, 0, 0, "\xef\xbb\xbf", below(2) ? 3 : 2);
			break;
		case 1: {
			const char *o = PICK_ONE(others);

			buf_splice(b, b->n, 0, o, strlen(o));
			break;
		}
		case 2:
			buf_splice(b, b->n, 0, " \n\t\x01", 1 + below(4));
			break;
		default:
			buf_splice(b, 0, 0, "\x20\x0b", 1 + below(2));
			break;
		}
		break;
	default:	/* a byte's bit flipped */
		if (b->n > 0)
			b->b[below(b->n)] ^= (char)(1u << below(8));
		break;
	}
}

/* Random JSON-ish tokens, or raw bytes. */
static void gen_soup(struct buf *b)
{
	size_t n = below(40);

	b->n = 0;
	if (below(4) == 0) {
		b->n = below(64);
		for (size_t i = 0; i < b->n; i++)
			b->b[i] = (char)rnd();
		return;
	}
	buf_splice(b, 0, 0, "{", 1);
	for (size_t i = 0; i < n; i++) {
		const char *t;
		char key[40];

		switch (below(3)) {
		case 0:
			snprintf(key, sizeof(key), "\"%s\"", PICK_ONE(keys));
			t = key;
			break;
		case 1:
			t = scalar();
			break;
		default:
			key[0] = tokens[below(8)];
			key[1] = '\0';
			t = key;
			break;
		}
		buf_splice(b, b->n, 0, t, strlen(t));
	}
	if (below(2))
		buf_splice(b, b->n, 0, "}", 1);
}

/* ---- the comparison ---- */

static void check_one(const char *payload, size_t len, struct counts *c)
{
	enum reading_error code;
	const char *diff;
	char *exact = malloc(len ? len : 1);

	/* A copy of exactly its size: a read past the end shows under the
	 * sanitizer and valgrind builds. */
	assert_non_null(exact);
	memcpy(exact, payload, len);
	diff = reading_diff(exact, len, &code);
	if (diff) {
		static char quoted[4 * BUF_MAX + 1];

		reading_diff_quote(payload, len, quoted);
		fail_msg("case %lu: the decoders differ in %s (reference: %s) on \"%s\"", c->total,
			 diff, reading_error_name(code), quoted);
	}
	free(exact);
	c->total++;
	c->by_result[code]++;
}

/* Checks each file of dir, and returns how many (0 if dir is missing). */
static size_t check_corpus(const char *dir, struct buf *bases, size_t *n_bases, size_t max_bases,
			   struct counts *c)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	size_t files = 0;

	if (!d)
		return 0;
	while ((e = readdir(d)) != NULL) {
		char path[512];
		FILE *f;
		struct buf b;

		if (e->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
		f = fopen(path, "rb");
		assert_non_null(f);
		b.n = fread(b.b, 1, sizeof(b.b), f);
		fclose(f);
		check_one(b.b, b.n, c);
		if (*n_bases < max_bases)
			bases[(*n_bases)++] = b;
		files++;
	}
	closedir(d);
	return files;
}

static void print_counts(const char *what, const struct counts *c)
{
	printf("  %s: %lu payloads:", what, c->total);
	for (int k = 0; k < READING_ERR_KINDS; k++)
		printf(" %s %lu", reading_error_name((enum reading_error)k), c->by_result[k]);
	printf("\n");
}

static void test_decoders_agree(void **state)
{
	static struct buf bases[256];
	struct counts corpus = { 0 }, gen = { 0 };
	static const char *const corpora[] = { "fuzz/corpus/reading", "fuzz/corpus/reading_diff",
					       "fuzz/corpus/ack" };
	size_t n_bases = 0;
	const char *vg = getenv("ROLLSENSE_VALGRIND");
	unsigned long cases = vg && *vg ? DIFF_CASES_VALGRIND : DIFF_CASES;
	struct buf b;

	(void)state;
	/* Run from the repository root: each folder of seeds must be found. */
	for (size_t i = 0; i < sizeof(corpora) / sizeof(corpora[0]); i++) {
		size_t files = check_corpus(corpora[i], bases, &n_bases, 256, &corpus);

		if (files == 0)
			fail_msg("no seeds in %s", corpora[i]);
	}
	print_counts("corpus", &corpus);

	for (size_t i = 0; i < sizeof(templates) / sizeof(templates[0]); i++)
		check_one(templates[i], strlen(templates[i]), &corpus);

	for (unsigned long i = 0; i < cases; i++) {
		size_t kind = below(100);

		if (kind < 40) {
			gen_encoded(&b);
		} else if (kind < 70) {
			b = bases[below(n_bases)];
		} else if (kind < 90) {
			const char *t = PICK_ONE(templates);

			buf_set(&b, t, strlen(t));
		} else {
			gen_soup(&b);
		}
		/* A fifth unchanged (most accepted), the rest with 1-4 changes. */
		if (below(5) != 0)
			for (size_t m = 1 + below(4); m > 0; m--)
				mutate(&b);
		/* Now and then past the size limit, or empty. */
		if (below(2000) == 0) {
			size_t big = READING_MAX_PAYLOAD + 1 + below(100);

			if (b.n < big)
				memset(b.b + b.n, ' ', big - b.n);
			b.n = below(2) ? 0 : big;
		}
		check_one(b.b, b.n, &gen);
	}
	print_counts("generated", &gen);

	/* Exercised both ways: every result is seen, accepted often. */
	assert_true(gen.by_result[READING_OK] >= cases / 10);
	for (int k = 0; k < READING_ERR_KINDS; k++)
		assert_true(gen.by_result[k] >= cases / 10000);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_decoders_agree),
	};

	tests_select();
	return cmocka_run_group_tests(tests, NULL, NULL);
}
