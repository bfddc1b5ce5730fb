/* The reading and acknowledgement codecs (common/reading.c). Expected strings
 * are written out by hand from docs/protocol.md's wire contract and JSON's escaping
 * rules (RFC 8259 §7). */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "select.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "reading.h"
#include "unit.h"

/* docs/protocol.md's example reading (its run has the 8 digits of sensord 0.1.0,
 * still accepted). */
#define EXAMPLE "{\"run\":\"3f9c2a1e\",\"seq\":4182,\"mono\":209.100,\"ts\":1763910000.125," \
	"\"pressure_kpa\":12.41,\"temperature_c\":39.62}"

static struct reading example_reading(void)
{
	struct reading r;

	memset(&r, 0, sizeof(r));
	strcpy(r.run, "3f9c2a1e");
	r.seq = 4182;
	r.mono = 209.1;
	r.ts = 1763910000.125;
	r.pressure_kpa = 12.41;
	r.temperature_c = 39.62;
	return r;
}

/* The same with a run id of today's 16 digits. */
#define RUN16 "5e1f03c29a7b44d1"
#define EXAMPLE16 "{\"run\":\"" RUN16 "\",\"seq\":4182,\"mono\":209.100,\"ts\":1763910000.125," \
	"\"pressure_kpa\":12.41,\"temperature_c\":39.62}"

static enum reading_error decode_str(const char *payload)
{
	struct reading r;

	return reading_decode(payload, strlen(payload), &r);
}

/* ---- encoding ---- */

/* r encodes to want exactly, its length returned. */
static void expect_encoding(const struct reading *r, const char *want)
{
	char buf[1024];

	assert_int_equal(reading_encode(r, buf, sizeof(buf)), (int)strlen(want));
	assert_string_equal(buf, want);
}

static void test_encode_example(void **state)
{
	struct reading r = example_reading();

	(void)state;
	expect_encoding(&r, EXAMPLE);
}

/* The run is written as given: 16 digits, or a legacy 8. */
static void test_encode_run_16(void **state)
{
	struct reading r = example_reading();
	char buf[512];

	(void)state;
	strcpy(r.run, RUN16);
	assert_int_equal(reading_encode(&r, buf, sizeof(buf)), (int)strlen(EXAMPLE16));
	assert_string_equal(buf, EXAMPLE16);
	/* Every length short of the full one is refused. */
	assert_int_equal(reading_encode(&r, buf, strlen(EXAMPLE16)), -1);
	assert_int_equal(reading_encode(&r, buf, strlen(EXAMPLE16) + 1), (int)strlen(EXAMPLE16));
}

static void test_encode_rounding(void **state)
{
	struct reading r = example_reading();

	(void)state;
	r.seq = 0;
	r.mono = 0.0;
	r.ts = 1.0005;		/* binary 1.000499999..., so 3 decimals give 1.000 */
	r.pressure_kpa = 0.004;	/* at rest: "0.00", never "-0.00" */
	r.temperature_c = -5.0;
	expect_encoding(&r, "{\"run\":\"3f9c2a1e\",\"seq\":0,\"mono\":0.000,\"ts\":1.000,"
			"\"pressure_kpa\":0.00,\"temperature_c\":-5.00}");
	r.pressure_kpa = -0.004;
	r.temperature_c = 99.999;	/* rounds up to 100.00 */
	expect_encoding(&r, "{\"run\":\"3f9c2a1e\",\"seq\":0,\"mono\":0.000,\"ts\":1.000,"
			"\"pressure_kpa\":0.00,\"temperature_c\":100.00}");
	r.pressure_kpa = -0.006;
	expect_encoding(&r, "{\"run\":\"3f9c2a1e\",\"seq\":0,\"mono\":0.000,\"ts\":1.000,"
			"\"pressure_kpa\":-0.01,\"temperature_c\":100.00}");
}

static void test_encode_null_channels(void **state)
{
	struct reading r = example_reading();

	(void)state;
	r.pressure_kpa = NAN;
	r.temperature_c = NAN;
	expect_encoding(&r, "{\"run\":\"3f9c2a1e\",\"seq\":4182,\"mono\":209.100,"
			"\"ts\":1763910000.125,\"pressure_kpa\":null,\"temperature_c\":null}");

	/* Never inf, and nothing the decoder would refuse as implausible. */
	r.pressure_kpa = INFINITY;
	r.temperature_c = 20000.0;
	expect_encoding(&r, "{\"run\":\"3f9c2a1e\",\"seq\":4182,\"mono\":209.100,"
			"\"ts\":1763910000.125,\"pressure_kpa\":null,\"temperature_c\":null}");
}

static void test_encode_faults_escaped(void **state)
{
	struct reading r = example_reading();
	char buf[1024];

	(void)state;
	r.temperature_c = NAN;
	r.n_faults = 2;
	strcpy(r.faults[0].sensor, "bmp280@/dev/i2c-1:0x76");
	strcpy(r.faults[0].what, "nack");
	strcpy(r.faults[1].sensor, "mcp9808@\"sim\":0x18");
	strcpy(r.faults[1].what, "said \"stuck\" at C:\\temp\n\x01");
	assert_true(reading_encode(&r, buf, sizeof(buf)) > 0);
	assert_string_equal(buf,
		"{\"run\":\"3f9c2a1e\",\"seq\":4182,\"mono\":209.100,\"ts\":1763910000.125,"
		"\"pressure_kpa\":12.41,\"temperature_c\":null,"
		"\"faults\":{\"bmp280@/dev/i2c-1:0x76\":\"nack\","
		"\"mcp9808@\\\"sim\\\":0x18\":\"said \\\"stuck\\\" at C:\\\\temp\\u000a\\u0001\"}}");
}

/* Every length short of the full one is refused; exactly enough succeeds. */
static void test_encode_buffer_too_small(void **state)
{
	struct reading r = example_reading();
	char buf[512];
	size_t n = strlen(EXAMPLE);

	(void)state;
	for (size_t len = 0; len <= n; len++)
		assert_int_equal(reading_encode(&r, buf, len), -1);
	assert_int_equal(reading_encode(&r, buf, n + 1), (int)n);
	assert_string_equal(buf, EXAMPLE);
}

/* What the decoder would refuse is not written: -1. */
static void test_encode_refuses_bad_header(void **state)
{
	struct reading r;
	char buf[512];

	(void)state;
	r = example_reading();
	r.mono = NAN;
	assert_int_equal(reading_encode(&r, buf, sizeof(buf)), -1);
	r = example_reading();
	r.mono = INFINITY;
	assert_int_equal(reading_encode(&r, buf, sizeof(buf)), -1);
	r = example_reading();
	r.ts = NAN;
	assert_int_equal(reading_encode(&r, buf, sizeof(buf)), -1);
	r = example_reading();
	r.ts = -INFINITY;
	assert_int_equal(reading_encode(&r, buf, sizeof(buf)), -1);
	r = example_reading();
	strcpy(r.run, "3F9C2A1E");
	assert_int_equal(reading_encode(&r, buf, sizeof(buf)), -1);
	strcpy(r.run, "5e1f03c29a7b");		/* 12 digits: neither length */
	assert_int_equal(reading_encode(&r, buf, sizeof(buf)), -1);
	/* The whole buffer in digits, no NUL: refused, not read past. */
	memset(r.run, 'a', sizeof(r.run));
	assert_int_equal(reading_encode(&r, buf, sizeof(buf)), -1);
	r = example_reading();
	r.seq = (UINT64_C(1) << 53) + 1;	/* 9007199254740993: not exact in a double */
	assert_int_equal(reading_encode(&r, buf, sizeof(buf)), -1);
	r.seq = UINT64_C(1) << 53;
	assert_true(reading_encode(&r, buf, sizeof(buf)) > 0);
	assert_non_null(strstr(buf, "\"seq\":9007199254740992,"));
}

/* Faults beyond READING_MAX_FAULTS are not read from the struct, and a
 * reading longer than READING_MAX_PAYLOAD is refused even with room. */
static void test_encode_limits(void **state)
{
	struct reading r = example_reading();
	char a[16384], b[16384];

	(void)state;
	for (size_t i = 0; i < READING_MAX_FAULTS; i++) {
		snprintf(r.faults[i].sensor, sizeof(r.faults[i].sensor), "s%zu", i);
		strcpy(r.faults[i].what, "nack");
	}
	r.n_faults = READING_MAX_FAULTS;
	assert_true(reading_encode(&r, a, sizeof(a)) > 0);
	r.n_faults = 1000;
	assert_true(reading_encode(&r, b, sizeof(b)) > 0);
	assert_string_equal(a, b);

	/* Each key: 126 quotes, escaped to 252 bytes, and a digit apart (a
	 * repeated key would be left out); each text: 95 control characters,
	 * escaped to 6 bytes each, 570. 8 * (253 + 570 + 6) = 6632 bytes of
	 * faults alone, over the 4096 limit. */
	for (size_t i = 0; i < READING_MAX_FAULTS; i++) {
		memset(r.faults[i].sensor, '"', sizeof(r.faults[i].sensor) - 2);
		r.faults[i].sensor[sizeof(r.faults[i].sensor) - 2] = (char)('0' + i);
		r.faults[i].sensor[sizeof(r.faults[i].sensor) - 1] = '\0';
		memset(r.faults[i].what, '\x02', sizeof(r.faults[i].what) - 1);
		r.faults[i].what[sizeof(r.faults[i].what) - 1] = '\0';
	}
	r.n_faults = READING_MAX_FAULTS;
	assert_int_equal(reading_encode(&r, a, sizeof(a)), -1);
}

/* ---- decoding ---- */

static void test_decode_example(void **state)
{
	/* docs/protocol.md's example, wrapped over two lines as it is printed there. */
	const char *text = "{\"run\":\"3f9c2a1e\",\"seq\":4182,\"mono\":209.100,\"ts\":1763910000.125,\n"
			   " \"pressure_kpa\":12.41,\"temperature_c\":39.62}\n";
	struct reading r;

	(void)state;
	assert_int_equal(reading_decode(text, strlen(text), &r), READING_OK);
	assert_string_equal(r.run, "3f9c2a1e");
	assert_true(r.seq == 4182);
	assert_float_equal(r.mono, 209.1, 1e-9);
	assert_float_equal(r.ts, 1763910000.125, 1e-6);
	assert_float_equal(r.pressure_kpa, 12.41, 1e-9);
	assert_float_equal(r.temperature_c, 39.62, 1e-9);
	assert_false(r.end_session);
	assert_false(r.has_lost_after);
	assert_int_equal(r.n_faults, 0);
}

/* A 16-digit run decodes, and so does a legacy 8-digit one (readings of
 * sensord 0.1.0 left in an outbox after an upgrade); each comes back as it
 * was, and both round-trip. */
static void test_decode_run_lengths(void **state)
{
	struct reading r, again;
	char buf[512];
	int n;

	(void)state;
	memset(&r, 0x5A, sizeof(r));
	assert_int_equal(decode_str(EXAMPLE16), READING_OK);
	assert_int_equal(reading_decode(EXAMPLE16, strlen(EXAMPLE16), &r), READING_OK);
	assert_string_equal(r.run, RUN16);
	assert_true(r.seq == 4182);
	n = reading_encode(&r, buf, sizeof(buf));
	assert_int_equal(n, (int)strlen(EXAMPLE16));
	assert_string_equal(buf, EXAMPLE16);

	memset(&r, 0x5A, sizeof(r));
	assert_int_equal(reading_decode(EXAMPLE, strlen(EXAMPLE), &r), READING_OK);
	assert_string_equal(r.run, "3f9c2a1e");
	n = reading_encode(&r, buf, sizeof(buf));
	assert_true(n > 0);
	assert_string_equal(buf, EXAMPLE);
	assert_int_equal(reading_decode(buf, (size_t)n, &again), READING_OK);
	assert_string_equal(again.run, "3f9c2a1e");
}

static void test_decode_round_trip(void **state)
{
	struct reading in = example_reading(), out;
	char buf[1024];
	int n;

	(void)state;
	in.pressure_kpa = NAN;
	in.n_faults = 2;
	strcpy(in.faults[0].sensor, "bmp280@/dev/i2c-1:0x76");
	strcpy(in.faults[0].what, "wrong chip id");
	strcpy(in.faults[1].sensor, "odd\\\"key\"");
	strcpy(in.faults[1].what, "line1\nline2\t\"q\"");
	n = reading_encode(&in, buf, sizeof(buf));
	assert_true(n > 0);
	assert_int_equal(reading_decode(buf, (size_t)n, &out), READING_OK);
	assert_string_equal(out.run, "3f9c2a1e");
	assert_true(out.seq == 4182);
	assert_float_equal(out.mono, 209.1, 1e-9);
	assert_float_equal(out.ts, 1763910000.125, 1e-6);
	assert_true(isnan(out.pressure_kpa));
	assert_float_equal(out.temperature_c, 39.62, 1e-9);
	assert_int_equal(out.n_faults, 2);
	assert_string_equal(out.faults[0].sensor, "bmp280@/dev/i2c-1:0x76");
	assert_string_equal(out.faults[0].what, "wrong chip id");
	assert_string_equal(out.faults[1].sensor, "odd\\\"key\"");
	assert_string_equal(out.faults[1].what, "line1\nline2\t\"q\"");
}

/* reading_as_sent: the numbers the decoder reads back from the encoded text,
 * bit for bit, on random readings drawn where rounding is hard: ties at the
 * last printed digit and a hair either side of them, signs about zero,
 * the range bounds and beyond (null), NAN; the decoder is the ground truth. */
static uint64_t sent_rng = 0x5e1f03c29a7b44d1ULL;

static uint64_t sent_next(void)
{
	return unit_splitmix(&sent_rng);
}

static double sent_uniform(double lo, double hi)
{
	return lo + (hi - lo) * ((double)(sent_next() >> 11) / 9007199254740992.0);
}

/* A number printed with `decimals` digits, in lo..hi, of a random kind. */
static double sent_value(double lo, double hi, unsigned decimals)
{
	double scale = decimals == 3 ? 1000 : 100, k;

	switch (sent_next() % 8) {
	case 0: /* a tie at the last digit, a hair off it or right on */
		k = floor(sent_uniform(lo, hi) * scale) + 0.5;
		return k / scale + (double)((int)(sent_next() % 5) - 2) * 1e-12 * (fabs(k) + 1);
	case 1: /* about zero, both signs */
		return sent_uniform(-0.02, 0.02);
	case 2: /* the bounds and just past them */
		return (sent_next() & 1 ? lo : hi) + sent_uniform(-0.01, 0.01);
	case 3:
		return NAN;
	case 4: /* an exact short decimal */
		return floor(sent_uniform(lo, hi) * scale) / scale;
	default:
		return sent_uniform(lo, hi);
	}
}

static void assert_same_number(double want, double got, const char *what, const char *payload)
{
	if (isnan(want) && isnan(got))
		return;
	if (memcmp(&want, &got, sizeof(want)) != 0) {
		print_error("%s: decoded %.17g, reading_as_sent %.17g, payload %s\n", what, want,
			    got, payload);
		fail();
	}
}

static void test_as_sent_matches_decode(void **state)
{
	const char *vg = getenv("ROLLSENSE_VALGRIND");
	unsigned long cases = vg && *vg ? 20000 : 400000, sent_n = 0, nulls = 0, ties = 0;
	struct reading r = example_reading(), back, sent;
	char buf[READING_MAX_PAYLOAD];
	int n;

	(void)state;
	for (unsigned long i = 0; i < cases; i++) {
		r.mono = sent_value(0, i % 3 ? 1e6 : 1e9, 3);
		r.ts = sent_value(0, i % 3 ? 2e9 : 1e11, 3);
		r.pressure_kpa = sent_value(-100, i % 4 ? 200 : 10000, 2);
		r.temperature_c = sent_value(-100, i % 4 ? 80 : 10000, 2);
		r.has_rotation = sent_next() & 1;
		r.rotation_dps = sent_value(0, i % 4 ? 2000 : 10000, 2);
		n = reading_encode(&r, buf, sizeof(buf));
		if (n < 0)
			continue; /* mono or ts out of range: nothing is sent */
		assert_int_equal(reading_decode(buf, (size_t)n, &back), READING_OK);
		reading_as_sent(&r, &sent);
		assert_same_number(back.mono, sent.mono, "mono", buf);
		assert_same_number(back.ts, sent.ts, "ts", buf);
		assert_same_number(back.pressure_kpa, sent.pressure_kpa, "pressure_kpa", buf);
		assert_same_number(back.temperature_c, sent.temperature_c, "temperature_c", buf);
		assert_int_equal(back.has_rotation, sent.has_rotation);
		if (r.has_rotation)
			assert_same_number(back.rotation_dps, sent.rotation_dps, "rotation_dps", buf);
		sent_n++;
		nulls += isnan(back.pressure_kpa);
		ties += strstr(buf, "5,") != NULL;
	}
	/* Most were sent, and nulls and ties were really exercised. */
	assert_true(sent_n > cases / 2);
	assert_true(nulls > sent_n / 20);
	assert_true(ties > sent_n / 20);
}

/* The contract allows extra per-sensor fields, and the payload is not
 * NUL-terminated on the wire: len is what counts. */
static void test_decode_extra_fields_and_length(void **state)
{
	const char *text = "{\"run\":\"00ff00ff\",\"seq\":1,\"mono\":0,\"ts\":0,"
			   "\"pressure_kpa\":-100,\"temperature_c\":10000,\"humidity_pct\":45.1,"
			   "\"extra\":{\"a\":[1,{\"b\":null}]},\"faults\":{}}";
	char buf[512];
	struct reading r;

	(void)state;
	assert_int_equal(reading_decode(text, strlen(text), &r), READING_OK);
	assert_float_equal(r.pressure_kpa, -100.0, 0);
	assert_float_equal(r.temperature_c, 10000.0, 0);
	assert_int_equal(r.n_faults, 0);

	/* Followed by junk that is not part of the payload. */
	memset(buf, 'x', sizeof(buf));
	memcpy(buf, EXAMPLE, strlen(EXAMPLE));
	assert_int_equal(reading_decode(buf, strlen(EXAMPLE), &r), READING_OK);
	assert_true(r.seq == 4182);
}

/* Long fault strings are cut to the buffers, never in the middle of a UTF-8
 * character; more than READING_MAX_FAULTS are dropped after the 8th. */
static void test_decode_faults_truncated(void **state)
{
	char payload[4096], key[201], what[128], what2[128];
	struct reading r;
	int n;

	(void)state;
	memset(key, 'k', 200);
	key[200] = '\0';
	/* 94 'a', then 'é' (0xC3 0xA9), then "zz": 98 bytes. 95 fit in what[96]:
	 * the 95th byte would be 0xC3 alone, so the cut falls after the 94 'a'. */
	memset(what, 'a', 94);
	strcpy(what + 94, "\xc3\xa9zz");
	/* 95 'a' then 'é': the cut falls exactly before the 'é'. */
	memset(what2, 'a', 95);
	strcpy(what2 + 95, "\xc3\xa9");
	n = snprintf(payload, sizeof(payload),
		     "{\"run\":\"3f9c2a1e\",\"seq\":1,\"mono\":1,\"ts\":1,\"pressure_kpa\":null,"
		     "\"temperature_c\":null,\"faults\":{\"%s\":\"%s\",\"b\":\"%s\"}}",
		     key, what, what2);
	assert_true(n > 0 && (size_t)n < sizeof(payload));
	assert_int_equal(reading_decode(payload, (size_t)n, &r), READING_OK);
	assert_int_equal(r.n_faults, 2);
	assert_int_equal(strlen(r.faults[0].sensor), 127);
	assert_memory_equal(r.faults[0].sensor, key, 127);
	assert_int_equal(strlen(r.faults[0].what), 94);
	assert_memory_equal(r.faults[0].what, what, 94);
	assert_int_equal(strlen(r.faults[1].what), 95);
	assert_memory_equal(r.faults[1].what, what2, 95);

	n = snprintf(payload, sizeof(payload),
		     "{\"run\":\"3f9c2a1e\",\"seq\":1,\"mono\":1,\"ts\":1,\"pressure_kpa\":null,"
		     "\"temperature_c\":null,\"faults\":{\"s0\":\"e0\",\"s1\":\"e1\",\"s2\":\"e2\","
		     "\"s3\":\"e3\",\"s4\":\"e4\",\"s5\":\"e5\",\"s6\":\"e6\",\"s7\":\"e7\","
		     "\"s8\":\"e8\",\"s9\":\"e9\"}}");
	assert_int_equal(reading_decode(payload, (size_t)n, &r), READING_OK);
	assert_int_equal(r.n_faults, READING_MAX_FAULTS);
	assert_string_equal(r.faults[0].sensor, "s0");
	assert_string_equal(r.faults[7].sensor, "s7");
	assert_string_equal(r.faults[7].what, "e7");
}

/* The tail every hostile payload below shares when it is not the point. */
#define OK_HEAD "{\"run\":\"3f9c2a1e\",\"seq\":1,\"mono\":1.5,\"ts\":1763910000.125,"
#define OK_TAIL "\"pressure_kpa\":1.0,\"temperature_c\":20.0}"

static void test_decode_err_size(void **state)
{
	char *big;
	struct reading r;
	size_t n = strlen(EXAMPLE);

	(void)state;
	assert_int_equal(reading_decode("", 0, &r), READING_ERR_SIZE);
	assert_int_equal(reading_decode(EXAMPLE, 0, &r), READING_ERR_SIZE);
	assert_int_equal(reading_decode(NULL, 10, &r), READING_ERR_SIZE);

	/* The example padded with spaces to exactly the limit is fine; one
	 * byte more is refused before parsing. */
	big = malloc(READING_MAX_PAYLOAD + 2);
	assert_non_null(big);
	memset(big, ' ', READING_MAX_PAYLOAD + 1);
	memcpy(big, EXAMPLE, n);
	assert_int_equal(reading_decode(big, READING_MAX_PAYLOAD, &r), READING_OK);
	assert_int_equal(reading_decode(big, READING_MAX_PAYLOAD + 1, &r), READING_ERR_SIZE);
	free(big);

	big = malloc(100000);
	assert_non_null(big);
	memset(big, '[', 100000);
	assert_int_equal(reading_decode(big, 100000, &r), READING_ERR_SIZE);
	free(big);
}

static void test_decode_err_json(void **state)
{
	static const char *const bad[] = {
		"not json",
		"[1,2,3]",
		"\"3f9c2a1e\"",
		"null",
		"4182",
		"{\"run\":\"3f9c2a1e\"",				/* cut short */
		EXAMPLE "x",						/* trailing junk */
		EXAMPLE EXAMPLE,					/* two objects */
		OK_HEAD "\"pressure_kpa\":NaN,\"temperature_c\":20.0}",	/* not JSON's */
		"{'run':'3f9c2a1e'}",
	};
	char nested[2400];
	char with_nul[256];
	struct reading r;
	size_t n;

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_int_equal(decode_str(bad[i]), READING_ERR_JSON);

	/* 1100 nested arrays: past cJSON's nesting limit (1000). */
	memset(nested, '[', 1100);
	memset(nested + 1100, ']', 1100);
	nested[2200] = '\0';
	assert_int_equal(decode_str(nested), READING_ERR_JSON);

	/* A NUL byte inside the payload, after a complete object. */
	n = strlen(EXAMPLE);
	memcpy(with_nul, EXAMPLE, n);
	with_nul[n] = '\0';
	with_nul[n + 1] = ' ';
	assert_int_equal(reading_decode(with_nul, n + 2, &r), READING_ERR_JSON);
}

static void test_decode_err_missing(void **state)
{
	static const char *const bad[] = {
		"{}",
		"{\"run\":\"3f9c2a1e\",\"mono\":1.5,\"ts\":1.0," OK_TAIL,		/* no seq */
		"{\"seq\":1,\"mono\":1.5,\"ts\":1.0," OK_TAIL,			/* no run */
		"{\"run\":\"3f9c2a1e\",\"seq\":1,\"ts\":1.0," OK_TAIL,		/* no mono */
		"{\"run\":\"3f9c2a1e\",\"seq\":1,\"mono\":1.5," OK_TAIL,		/* no ts */
		OK_HEAD "\"temperature_c\":20.0}",				/* no pressure */
		OK_HEAD "\"pressure_kpa\":null}",				/* no temperature */
		OK_HEAD "\"Pressure_kpa\":1.0,\"temperature_c\":20.0}",	/* names are case-sensitive */
	};

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_int_equal(decode_str(bad[i]), READING_ERR_MISSING);
}

static void test_decode_err_type(void **state)
{
	static const char *const bad[] = {
		"{\"run\":\"3f9c2a1e\",\"seq\":\"12\",\"mono\":1.5,\"ts\":1.0," OK_TAIL,
		"{\"run\":\"3f9c2a1e\",\"seq\":1.5,\"mono\":1.5,\"ts\":1.0," OK_TAIL,
		"{\"run\":\"3f9c2a1e\",\"seq\":null,\"mono\":1.5,\"ts\":1.0," OK_TAIL,
		"{\"run\":12345678,\"seq\":1,\"mono\":1.5,\"ts\":1.0," OK_TAIL,
		"{\"run\":{\"id\":[\"3f9c2a1e\"]},\"seq\":1,\"mono\":1.5,\"ts\":1.0," OK_TAIL,
		"{\"run\":\"3f9c2a1e\",\"seq\":1,\"mono\":true,\"ts\":1.0," OK_TAIL,
		"{\"run\":\"3f9c2a1e\",\"seq\":1,\"mono\":1.5,\"ts\":null," OK_TAIL,
		OK_HEAD "\"pressure_kpa\":\"12\",\"temperature_c\":20.0}",
		OK_HEAD "\"pressure_kpa\":[12.41],\"temperature_c\":20.0}",
		OK_HEAD "\"pressure_kpa\":1.0,\"temperature_c\":false}",
		OK_HEAD "\"pressure_kpa\":1.0,\"temperature_c\":20.0,\"faults\":[\"nack\"]}",
		OK_HEAD "\"pressure_kpa\":1.0,\"temperature_c\":20.0,\"faults\":{\"a\":1}}",
		OK_HEAD "\"pressure_kpa\":1.0,\"temperature_c\":20.0,\"faults\":{\"a\":\"x\",\"b\":{}}}",
		OK_HEAD "\"pressure_kpa\":1.0,\"temperature_c\":20.0,\"faults\":\"nack\"}",
	};

	(void)state;
	/* The shared head and tail alone make a valid reading. */
	assert_int_equal(decode_str(OK_HEAD OK_TAIL), READING_OK);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_int_equal(decode_str(bad[i]), READING_ERR_TYPE);
}

/* cJSON keeps both members of {"seq":1,"seq":2} and looking one up takes
 * the first: a repeated key, at the top level or in faults, refuses the
 * whole payload as bad JSON, before any field is looked at. */
static void test_decode_duplicate_keys(void **state)
{
	static const char *const bad[] = {
		"{\"run\":\"3f9c2a1e\",\"seq\":1,\"seq\":2,\"mono\":1.5,\"ts\":1.0," OK_TAIL,
		"{\"run\":\"3f9c2a1e\",\"seq\":1,\"seq\":1,\"mono\":1.5,\"ts\":1.0," OK_TAIL,
		"{\"run\":\"3f9c2a1e\",\"run\":\"" RUN16 "\",\"seq\":1,\"mono\":1.5,\"ts\":1.0," OK_TAIL,
		/* Found before the wrong type of the first seq. */
		"{\"run\":\"3f9c2a1e\",\"seq\":\"x\",\"seq\":1,\"mono\":1.5,\"ts\":1.0," OK_TAIL,
		/* The same key spelt with an escape. */
		"{\"run\":\"3f9c2a1e\",\"seq\":1,\"\\u0073eq\":2,\"mono\":1.5,\"ts\":1.0," OK_TAIL,
		/* Ignored fields count too: a payload is taken whole or not. */
		OK_HEAD "\"x\":1,\"x\":1," OK_TAIL,
		OK_HEAD "\"pressure_kpa\":1.0,\"temperature_c\":20.0,\"end_session\":true,"
			"\"end_session\":false}",
		OK_HEAD "\"pressure_kpa\":1.0,\"temperature_c\":20.0,\"faults\":{},\"faults\":{\"a\":\"b\"}}",
		/* In faults, kept or not (the 9th and 10th are past the kept 8). */
		OK_HEAD "\"pressure_kpa\":1.0,\"temperature_c\":20.0,\"faults\":{\"a\":\"x\",\"a\":\"y\"}}",
		OK_HEAD "\"pressure_kpa\":1.0,\"temperature_c\":20.0,\"faults\":{\"a\":\"x\",\"\\u0061\":\"x\"}}",
		OK_HEAD "\"pressure_kpa\":1.0,\"temperature_c\":20.0,\"faults\":{\"s0\":\"e\",\"s1\":\"e\","
			"\"s2\":\"e\",\"s3\":\"e\",\"s4\":\"e\",\"s5\":\"e\",\"s6\":\"e\",\"s7\":\"e\","
			"\"s8\":\"e\",\"s8\":\"e\"}}",
		/* Even where faults' type is wrong. */
		OK_HEAD "\"pressure_kpa\":1.0,\"temperature_c\":20.0,\"faults\":{\"a\":1,\"a\":2}}",
	};
	static const char *const good[] = {
		/* Names are case-sensitive: these are two keys. */
		OK_HEAD "\"Seq\":2," OK_TAIL,
		/* A fault's sensor may share a name with a top-level field. */
		OK_HEAD "\"pressure_kpa\":1.0,\"temperature_c\":20.0,\"faults\":{\"seq\":\"x\",\"run\":\"y\"}}",
		/* Objects inside ignored fields are not looked into. */
		OK_HEAD "\"extra\":{\"a\":1,\"a\":2}," OK_TAIL,
	};
	struct reading r;

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_int_equal(decode_str(bad[i]), READING_ERR_JSON);
	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++)
		assert_int_equal(decode_str(good[i]), READING_OK);
	assert_int_equal(reading_decode(good[1], strlen(good[1]), &r), READING_OK);
	assert_int_equal(r.n_faults, 2);
	assert_string_equal(r.faults[0].sensor, "seq");
	assert_string_equal(r.faults[1].sensor, "run");
}

/* Appends n members "kNN":<value> to p, each after a comma. */
static void append_keys(char *p, size_t size, size_t n, const char *value)
{
	for (size_t i = 0; i < n; i++) {
		size_t at = strlen(p);

		assert_true(snprintf(p + at, size - at, ",\"k%02zu\":%s", i, value) < (int)(size - at));
	}
}

/* READING_MAX_KEYS (64) keys in an object are taken, one more is not:
 * top level, faults, and an acknowledgement alike. */
static void test_decode_key_limit(void **state)
{
	char p[2048], run[READING_RUN_LEN + 1];
	struct reading r;
	uint64_t seq;

	(void)state;
	/* The 6 keys of a reading and 58 more: 64. */
	strcpy(p, "{\"run\":\"3f9c2a1e\",\"seq\":1,\"mono\":1.5,\"ts\":1.0,"
	       "\"pressure_kpa\":1.0,\"temperature_c\":20.0");
	append_keys(p, sizeof(p), READING_MAX_KEYS - 6, "0");
	strcat(p, "}");
	assert_int_equal(decode_str(p), READING_OK);
	p[strlen(p) - 1] = '\0';
	strcat(p, ",\"one_more\":0}");
	assert_int_equal(decode_str(p), READING_ERR_JSON);

	/* 64 faults: the first 8 kept; 65: refused. */
	strcpy(p, OK_HEAD "\"pressure_kpa\":1.0,\"temperature_c\":20.0,\"faults\":{\"first\":\"nack\"");
	append_keys(p, sizeof(p), READING_MAX_KEYS - 1, "\"nack\"");
	strcat(p, "}}");
	assert_int_equal(reading_decode(p, strlen(p), &r), READING_OK);
	assert_int_equal(r.n_faults, READING_MAX_FAULTS);
	assert_string_equal(r.faults[0].sensor, "first");
	assert_string_equal(r.faults[7].sensor, "k06");
	p[strlen(p) - 2] = '\0';
	strcat(p, ",\"one_more\":\"nack\"}}");
	assert_int_equal(decode_str(p), READING_ERR_JSON);

	strcpy(p, "{\"run\":\"3f9c2a1e\",\"seq\":7");
	append_keys(p, sizeof(p), READING_MAX_KEYS - 2, "null");
	strcat(p, "}");
	assert_int_equal(ack_decode(p, strlen(p), run, &seq), 0);
	assert_true(seq == 7);
	p[strlen(p) - 1] = '\0';
	strcat(p, ",\"one_more\":null}");
	assert_int_equal(ack_decode(p, strlen(p), run, &seq), -1);
}

/* The encoder never writes a key twice: a sensor's first fault is the one
 * that goes out. The decoder keeps one fault per key as it stores them, so
 * two long keys cut to the same 127 bytes keep the first. */
/* A repeated key takes no room: a reading that fits without it is encoded
 * even when the repeat, written out, would not have fit (fuzz_reading found
 * such a reading refused: the repeat was written before it was compared). */
static void test_repeated_key_takes_no_room(void **state)
{
	struct reading r = example_reading(), without;
	char buf[READING_MAX_PAYLOAD + 1], alone[READING_MAX_PAYLOAD + 1];
	int n, n_alone;

	(void)state;
	/* Fault 0: a key of 127 control characters (6 bytes each on the
	 * wire); faults 1..6 fill the payload to some 3,800 bytes. */
	r.n_faults = 8;
	memset(r.faults[0].sensor, 0x1f, 127);
	r.faults[0].sensor[127] = '\0';
	strcpy(r.faults[0].what, "nack");
	for (size_t i = 1; i < 7; i++) {
		snprintf(r.faults[i].sensor, sizeof(r.faults[i].sensor), "chip%zu@sim:0x%02zx", i, i);
		memset(r.faults[i].what, 'x', 60);
		r.faults[i].what[60] = '\0';
	}
	memset(r.faults[1].what, 0x01, 94);	/* 6 bytes each: 564 */
	r.faults[1].what[94] = '\0';
	memset(r.faults[2].what, 0x01, 94);
	r.faults[2].what[94] = '\0';
	memset(r.faults[3].what, 0x01, 94);
	r.faults[3].what[94] = '\0';
	memset(r.faults[4].what, 0x01, 94);
	r.faults[4].what[94] = '\0';
	r.faults[7] = r.faults[0];	/* the repeat, last */
	strcpy(r.faults[7].what, "timeout");
	without = r;
	without.n_faults = 7;
	n_alone = reading_encode(&without, alone, sizeof(alone));
	assert_true(n_alone > 3300 && n_alone + 770 > READING_MAX_PAYLOAD);
	n = reading_encode(&r, buf, sizeof(buf));
	assert_int_equal(n, n_alone);
	assert_string_equal(buf, alone);
}

static void test_fault_keys_once(void **state)
{
	static const char *const expected =
		"{\"run\":\"3f9c2a1e\",\"seq\":4182,\"mono\":209.100,\"ts\":1763910000.125,"
		"\"pressure_kpa\":12.41,\"temperature_c\":null,"
		"\"faults\":{\"a\":\"nack\",\"b\":\"stuck\",\"c\":\"x\"}}";
	struct reading r = example_reading(), out;
	char buf[1024], key1[201], key2[201];
	int n;

	(void)state;
	r.temperature_c = NAN;
	r.n_faults = 5;
	strcpy(r.faults[0].sensor, "a");
	strcpy(r.faults[0].what, "nack");
	strcpy(r.faults[1].sensor, "b");
	strcpy(r.faults[1].what, "stuck");
	strcpy(r.faults[2].sensor, "a");
	strcpy(r.faults[2].what, "timeout");
	strcpy(r.faults[3].sensor, "c");
	strcpy(r.faults[3].what, "x");
	strcpy(r.faults[4].sensor, "b");
	strcpy(r.faults[4].what, "y");
	n = reading_encode(&r, buf, sizeof(buf));
	assert_int_equal(n, (int)strlen(expected));
	assert_string_equal(buf, expected);
	assert_int_equal(reading_decode(buf, (size_t)n, &out), READING_OK);
	assert_int_equal(out.n_faults, 3);
	/* The second of a lone pair, and a repeat right after the first. */
	r.n_faults = 2;
	strcpy(r.faults[1].sensor, "a");
	assert_true(reading_encode(&r, buf, sizeof(buf)) > 0);
	assert_non_null(strstr(buf, ",\"faults\":{\"a\":\"nack\"}}"));

	memset(key1, 'k', 200);
	key1[200] = '\0';
	memcpy(key2, key1, sizeof(key2));
	key2[150] = 'K';
	snprintf(buf, sizeof(buf), OK_HEAD "\"pressure_kpa\":1.0,\"temperature_c\":20.0,"
		 "\"faults\":{\"%s\":\"first\",\"%s\":\"second\",\"z\":\"third\"}}", key1, key2);
	assert_int_equal(reading_decode(buf, strlen(buf), &out), READING_OK);
	assert_int_equal(out.n_faults, 2);
	assert_int_equal(strlen(out.faults[0].sensor), 127);
	assert_string_equal(out.faults[0].what, "first");
	assert_string_equal(out.faults[1].sensor, "z");
	assert_string_equal(out.faults[1].what, "third");
	/* And what was kept goes out and comes back the same. */
	n = reading_encode(&out, buf, sizeof(buf));
	assert_true(n > 0);
	assert_int_equal(reading_decode(buf, (size_t)n, &r), READING_OK);
	assert_int_equal(r.n_faults, 2);
	assert_string_equal(r.faults[0].sensor, out.faults[0].sensor);
	assert_string_equal(r.faults[1].what, "third");
}

/* For table rows: a failure names the row, which a bare assert would not. */
#define assert_row_int(row, got, want) do { \
	long got_ = (long)(got), want_ = (long)(want); \
	if (got_ != want_) \
		fail_msg("%s: %ld, expected %ld", (row), got_, want_); \
} while (0)
#define assert_row_string(row, got, want) do { \
	if (strcmp((got), (want)) != 0) \
		fail_msg("%s: \"%s\", expected \"%s\"", (row), (got), (want)); \
} while (0)

/* Byte sequences between an 'a' and a 'z' in fault keys and texts: the
 * well-formed ones at the edges of each length and around the surrogates
 * (RFC 3629 §4), and ill-formed ones with what the encoder writes for them:
 * one U+FFFD per maximal ill-formed piece (Unicode §3.9). */
#define FFFD "\xEF\xBF\xBD"
static const struct utf8_case {
	const char *name;
	const char *bytes;
	const char *written;	/* NULL: well formed, written as it is */
} utf8_cases[] = {
	{ "U+0080", "\xC2\x80", NULL },
	{ "U+07FF", "\xDF\xBF", NULL },
	{ "U+0800", "\xE0\xA0\x80", NULL },
	{ "U+D7FF", "\xED\x9F\xBF", NULL },
	{ "U+E000", "\xEE\x80\x80", NULL },
	{ "U+FFFF", "\xEF\xBF\xBF", NULL },
	{ "U+10000", "\xF0\x90\x80\x80", NULL },
	{ "U+10FFFF", "\xF4\x8F\xBF\xBF", NULL },
	{ "overlong U+0000", "\xC0\x80", FFFD FFFD },
	{ "overlong U+007F", "\xC1\xBF", FFFD FFFD },
	{ "overlong U+0000 in 3", "\xE0\x80\x80", FFFD FFFD FFFD },
	{ "overlong U+07FF", "\xE0\x9F\xBF", FFFD FFFD FFFD },
	{ "overlong U+FFFF", "\xF0\x8F\xBF\xBF", FFFD FFFD FFFD FFFD },
	{ "surrogate U+D800", "\xED\xA0\x80", FFFD FFFD FFFD },
	{ "surrogate U+DFFF", "\xED\xBF\xBF", FFFD FFFD FFFD },
	{ "U+110000", "\xF4\x90\x80\x80", FFFD FFFD FFFD FFFD },
	{ "F5 lead", "\xF5\x80\x80\x80", FFFD FFFD FFFD FFFD },
	{ "FF", "\xFF", FFFD },
	{ "lone continuation", "\x80", FFFD },
	{ "two continuations", "\xBF\xBF", FFFD FFFD },
	{ "cut U+20AC", "\xE2\x82", FFFD },
	{ "cut U+1F600", "\xF0\x9F\x98", FFFD },
	{ "lead alone", "\xC3", FFFD },
	{ "cut, then whole U+20AC", "\xE2\x82\xE2\x82\xAC", FFFD "\xE2\x82\xAC" },
};

/* A payload that is not UTF-8 is refused as bad JSON (RFC 8259 §8.1),
 * wherever the bytes are, kept or ignored; the well-formed characters at
 * every boundary come through as they were. */
static void test_utf8_decode(void **state)
{
	char p[512], text[16], run[READING_RUN_LEN + 1];
	struct reading r;
	uint64_t seq;

	(void)state;
	for (size_t i = 0; i < sizeof(utf8_cases) / sizeof(utf8_cases[0]); i++) {
		const struct utf8_case *c = &utf8_cases[i];
		enum reading_error want = c->written ? READING_ERR_JSON : READING_OK;

		snprintf(text, sizeof(text), "a%sz", c->bytes);
		/* A fault's text, and its key. */
		snprintf(p, sizeof(p), OK_HEAD "\"pressure_kpa\":1.0,\"temperature_c\":20.0,"
			 "\"faults\":{\"s\":\"%s\"}}", text);
		memset(&r, 0, sizeof(r));
		assert_row_int(c->name, reading_decode(p, strlen(p), &r), want);
		if (!c->written)
			assert_row_string(c->name, r.faults[0].what, text);
		snprintf(p, sizeof(p), OK_HEAD "\"pressure_kpa\":1.0,\"temperature_c\":20.0,"
			 "\"faults\":{\"%s\":\"nack\"}}", text);
		memset(&r, 0, sizeof(r));
		assert_row_int(c->name, reading_decode(p, strlen(p), &r), want);
		if (!c->written)
			assert_row_string(c->name, r.faults[0].sensor, text);
		/* An ignored field's value, and a key of its own. */
		snprintf(p, sizeof(p), OK_HEAD "\"note\":\"%s\"," OK_TAIL, text);
		assert_row_int(c->name, decode_str(p), want);
		snprintf(p, sizeof(p), OK_HEAD "\"%s\":1," OK_TAIL, text);
		assert_row_int(c->name, decode_str(p), want);
		/* The run: bad JSON before a bad run. */
		snprintf(p, sizeof(p), "{\"run\":\"%s\",\"seq\":1,\"mono\":1.5,\"ts\":1.0," OK_TAIL, text);
		assert_row_int(c->name, decode_str(p), c->written ? READING_ERR_JSON : READING_ERR_RANGE);
		/* An acknowledgement's extra field. */
		snprintf(p, sizeof(p), "{\"run\":\"3f9c2a1e\",\"seq\":1,\"by\":\"%s\"}", text);
		assert_row_int(c->name, ack_decode(p, strlen(p), run, &seq), c->written ? -1 : 0);
	}
}

/* Escapes: a surrogate pair is one character, turned into its 4 UTF-8
 * bytes; a surrogate escape alone would decode to the ill-formed 3 bytes
 * of ED A0 80 and the like, and is refused as bad JSON (cJSON 1.7.15 does
 * it while parsing; the decoder checks again what it keeps). */
static void test_utf8_escapes(void **state)
{
	static const struct {
		const char *escaped;	/* a fault text on the wire */
		const char *decoded;	/* NULL: refused */
	} cases[] = {
		{ "\\u0080", "\xC2\x80" },
		{ "\\u00e9t\\u00E9", "\xC3\xA9t\xC3\xA9" },
		{ "\\uffff", "\xEF\xBF\xBF" },
		{ "\\ud800\\udc00", "\xF0\x90\x80\x80" },
		{ "\\uD83D\\uDE00", "\xF0\x9F\x98\x80" },
		{ "\\udbff\\udfff", "\xF4\x8F\xBF\xBF" },
		{ "\\ud800", NULL },
		{ "\\udc00", NULL },
		{ "\\udfff", NULL },
		{ "\\udbff", NULL },
		{ "\\ud800x", NULL },
		{ "\\ud800\\u0041", NULL },
		{ "\\ud800\\ud800", NULL },
		{ "\\udc00\\ud800", NULL },
		{ "x\\udc00\\udc00", NULL },
	};
	char p[512];
	struct reading r;

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		enum reading_error want = cases[i].decoded ? READING_OK : READING_ERR_JSON;

		snprintf(p, sizeof(p), OK_HEAD "\"pressure_kpa\":1.0,\"temperature_c\":20.0,"
			 "\"faults\":{\"s\":\"%s\"}}", cases[i].escaped);
		assert_row_int(cases[i].escaped, reading_decode(p, strlen(p), &r), want);
		if (cases[i].decoded)
			assert_row_string(cases[i].escaped, r.faults[0].what, cases[i].decoded);
		snprintf(p, sizeof(p), OK_HEAD "\"pressure_kpa\":1.0,\"temperature_c\":20.0,"
			 "\"faults\":{\"%s\":\"nack\"}}", cases[i].escaped);
		assert_row_int(cases[i].escaped, reading_decode(p, strlen(p), &r), want);
		if (cases[i].decoded)
			assert_row_string(cases[i].escaped, r.faults[0].sensor, cases[i].decoded);
	}
}

/* The encoder never writes what is not UTF-8: each ill-formed piece of a
 * fault's key or text goes out as U+FFFD (raw EF BF BD), the rest as it
 * was, and the reading decodes to the text so mended. */
static void test_utf8_encode(void **state)
{
	struct reading r = example_reading(), out;
	char buf[1024], want[1024], mended[64];
	int n;

	(void)state;
	r.n_faults = 1;
	for (size_t i = 0; i < sizeof(utf8_cases) / sizeof(utf8_cases[0]); i++) {
		const struct utf8_case *c = &utf8_cases[i];
		const char *w = c->written ? c->written : c->bytes;

		snprintf(r.faults[0].sensor, sizeof(r.faults[0].sensor), "%s", c->bytes);
		snprintf(r.faults[0].what, sizeof(r.faults[0].what), "a%sz", c->bytes);
		snprintf(want, sizeof(want), "{\"run\":\"3f9c2a1e\",\"seq\":4182,\"mono\":209.100,"
			 "\"ts\":1763910000.125,\"pressure_kpa\":12.41,\"temperature_c\":39.62,"
			 "\"faults\":{\"%s\":\"a%sz\"}}", w, w);
		n = reading_encode(&r, buf, sizeof(buf));
		assert_row_int(c->name, n, (int)strlen(want));
		assert_row_string(c->name, buf, want);
		assert_row_int(c->name, reading_decode(buf, (size_t)n, &out), READING_OK);
		snprintf(mended, sizeof(mended), "a%sz", w);
		assert_row_string(c->name, out.faults[0].what, mended);
		assert_row_string(c->name, out.faults[0].sensor, w);
	}

	/* A key that fills its buffer with no NUL, ending in a cut character:
	 * the cut piece is replaced, nothing past the buffer is read. */
	memset(r.faults[0].sensor, 'k', sizeof(r.faults[0].sensor));
	memcpy(r.faults[0].sensor + sizeof(r.faults[0].sensor) - 2, "\xE2\x82", 2);
	strcpy(r.faults[0].what, "nack");
	n = reading_encode(&r, buf, sizeof(buf));
	assert_true(n > 0);
	assert_non_null(strstr(buf, "kkk" FFFD "\":\"nack\"}}"));
	assert_int_equal(reading_decode(buf, (size_t)n, &out), READING_OK);

	/* Two keys that only become equal in writing: the first goes out. */
	r.n_faults = 2;
	strcpy(r.faults[0].sensor, "bus\xFF");
	strcpy(r.faults[1].sensor, "bus\xFE");
	strcpy(r.faults[1].what, "timeout");
	n = reading_encode(&r, buf, sizeof(buf));
	assert_true(n > 0);
	assert_non_null(strstr(buf, ",\"faults\":{\"bus" FFFD "\":\"nack\"}}"));
	assert_int_equal(reading_decode(buf, (size_t)n, &out), READING_OK);
	assert_int_equal(out.n_faults, 1);
}

/* A long press of the tool's button: "end_session":true after the channels,
 * only when set (the example above shows it absent otherwise), and back. */
static void test_end_session(void **state)
{
	static const char *const expected =
		"{\"run\":\"3f9c2a1e\",\"seq\":4182,\"mono\":209.100,\"ts\":1763910000.125,"
		"\"pressure_kpa\":12.41,\"temperature_c\":39.62,\"end_session\":true}";
	struct reading r = example_reading(), out;
	char buf[512];
	int n;

	(void)state;
	r.end_session = true;
	n = reading_encode(&r, buf, sizeof(buf));
	assert_int_equal(n, (int)strlen(expected));
	assert_string_equal(buf, expected);
	memset(&out, 0, sizeof(out));
	assert_int_equal(reading_decode(buf, (size_t)n, &out), READING_OK);
	assert_true(out.end_session);
	assert_true(out.seq == 4182);
	/* Absent and false both mean no. */
	out.end_session = true;
	assert_int_equal(reading_decode(EXAMPLE, strlen(EXAMPLE), &out), READING_OK);
	assert_false(out.end_session);
	out.end_session = true;
	assert_int_equal(reading_decode(OK_HEAD "\"pressure_kpa\":1.0,\"temperature_c\":20.0,"
					"\"end_session\":false}",
					strlen(OK_HEAD "\"pressure_kpa\":1.0,\"temperature_c\":20.0,"
					       "\"end_session\":false}"), &out), READING_OK);
	assert_false(out.end_session);
	/* Anything but a boolean is a wrong type. */
	assert_int_equal(decode_str(OK_HEAD "\"pressure_kpa\":1.0,\"temperature_c\":20.0,"
				    "\"end_session\":1}"), READING_ERR_TYPE);
	assert_int_equal(decode_str(OK_HEAD "\"pressure_kpa\":1.0,\"temperature_c\":20.0,"
				    "\"end_session\":\"true\"}"), READING_ERR_TYPE);
	assert_int_equal(decode_str(OK_HEAD "\"pressure_kpa\":1.0,\"temperature_c\":20.0,"
				    "\"end_session\":null}"), READING_ERR_TYPE);
}

/* Every field of b as in a: what survives a round trip of values that
 * print exactly (the example's). */
static void assert_same_reading(const struct reading *a, const struct reading *b)
{
	assert_string_equal(a->run, b->run);
	assert_true(a->seq == b->seq);
	assert_true(a->mono == b->mono);
	assert_true(a->ts == b->ts);
	assert_true(a->pressure_kpa == b->pressure_kpa ||
		    (isnan(a->pressure_kpa) && isnan(b->pressure_kpa)));
	assert_true(a->temperature_c == b->temperature_c ||
		    (isnan(a->temperature_c) && isnan(b->temperature_c)));
	assert_int_equal(a->has_rotation, b->has_rotation);
	if (a->has_rotation)
		assert_true(a->rotation_dps == b->rotation_dps ||
			    (isnan(a->rotation_dps) && isnan(b->rotation_dps)));
	assert_string_equal(a->zone, b->zone);
	assert_int_equal(a->end_session, b->end_session);
	assert_int_equal(a->has_lost_after, b->has_lost_after);
	if (a->has_lost_after)
		assert_true(a->lost_after == b->lost_after);
	assert_int_equal(a->n_faults, b->n_faults);
	for (size_t i = 0; i < a->n_faults; i++) {
		assert_string_equal(a->faults[i].sensor, b->faults[i].sensor);
		assert_string_equal(a->faults[i].what, b->faults[i].what);
	}
}

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

/* A valid reading with "key":values[i] added is refused as want, for each i. */
static void expect_member_refused(const char *key, const char *const *values, size_t n,
				  enum reading_error want)
{
	char buf[512];

	for (size_t i = 0; i < n; i++) {
		snprintf(buf, sizeof(buf), OK_HEAD "\"pressure_kpa\":1.0,\"temperature_c\":20.0,"
			 "\"%s\":%s}", key, values[i]);
		assert_row_int(buf, decode_str(buf), want);
	}
}

/* rotation_dps: right after temperature_c, only from a sender with a
 * gyroscope (has_rotation); a number from 0 to 10000 with 2 decimals, or
 * null when the chip failed (docs/protocol.md). Absent is no gyroscope;
 * anything but a number or null is refused. */
static void test_rotation(void **state)
{
	static const char *const expected =
		"{\"run\":\"3f9c2a1e\",\"seq\":4182,\"mono\":209.100,\"ts\":1763910000.125,"
		"\"pressure_kpa\":12.41,\"temperature_c\":39.62,\"rotation_dps\":40.25,"
		"\"zone\":\"calf_left\"}";
	static const char *const not_numbers[] = { "\"40\"", "true", "[40]", "{\"x\":1}" };
	static const char *const out_of_range[] = { "-0.01", "10000.01", "1e300" };
	struct reading r = example_reading(), out;
	char buf[512];

	(void)state;
	r.has_rotation = true;
	r.rotation_dps = 40.25;
	strcpy(r.zone, "calf_left");
	expect_encoding(&r, expected);
	memset(&out, 0, sizeof(out));
	assert_int_equal(reading_decode(expected, strlen(expected), &out), READING_OK);
	assert_true(out.has_rotation);
	assert_true(out.rotation_dps == 40.25);
	assert_same_reading(&r, &out);

	/* A failed gyroscope: null, decoded as present and NAN. */
	r.rotation_dps = NAN;
	assert_true(reading_encode(&r, buf, sizeof(buf)) > 0);
	assert_non_null(strstr(buf, ",\"temperature_c\":39.62,\"rotation_dps\":null,\"zone\""));
	assert_int_equal(reading_decode(buf, strlen(buf), &out), READING_OK);
	assert_true(out.has_rotation);
	assert_true(isnan(out.rotation_dps));
	/* ... and so is a value the decoder would refuse. */
	r.rotation_dps = -1;
	assert_true(reading_encode(&r, buf, sizeof(buf)) > 0);
	assert_non_null(strstr(buf, "\"rotation_dps\":null"));
	r.rotation_dps = 10000;
	assert_true(reading_encode(&r, buf, sizeof(buf)) > 0);
	assert_non_null(strstr(buf, "\"rotation_dps\":10000.00"));

	/* Without a gyroscope: not written, whatever rotation_dps holds, and
	 * absent decodes to has_rotation false. */
	r = example_reading();
	r.rotation_dps = 12;
	expect_encoding(&r, EXAMPLE);
	out.has_rotation = true;
	assert_int_equal(reading_decode(EXAMPLE, strlen(EXAMPLE), &out), READING_OK);
	assert_false(out.has_rotation);

	/* 0 and the bound are numbers the decoder takes. */
	snprintf(buf, sizeof(buf), OK_HEAD "\"pressure_kpa\":1.0,\"temperature_c\":20.0,\"rotation_dps\":0}");
	assert_int_equal(reading_decode(buf, strlen(buf), &out), READING_OK);
	assert_true(out.rotation_dps == 0);
	snprintf(buf, sizeof(buf), OK_HEAD "\"pressure_kpa\":1.0,\"temperature_c\":20.0,\"rotation_dps\":10000}");
	assert_int_equal(reading_decode(buf, strlen(buf), &out), READING_OK);
	assert_true(out.rotation_dps == 10000);
	expect_member_refused("rotation_dps", not_numbers, ARRAY_SIZE(not_numbers), READING_ERR_TYPE);
	expect_member_refused("rotation_dps", out_of_range, ARRAY_SIZE(out_of_range),
			      READING_ERR_RANGE);
}

/* The zone: "zone":"calf_left" right after temperature_c, only when set
 * (docs/protocol.md); null and absent are no zone; anything but a zone name
 * is refused, by the decoder and, before it goes out, by the encoder. */
static void test_zone(void **state)
{
	static const char *const expected =
		"{\"run\":\"3f9c2a1e\",\"seq\":4182,\"mono\":209.100,\"ts\":1763910000.125,"
		"\"pressure_kpa\":12.41,\"temperature_c\":39.62,\"zone\":\"calf_left\","
		"\"end_session\":true}";
	static const char *const not_names[] = {
		"\"\"", "\"none\"", "\"Calf\"", "\"calf-left\"", "\"calf left\"",
		"\"abcdefghijklmnopqrstuvwxyz0123456\"", "\"wade\\u00e4\"",
	};
	static const char *const not_strings[] = { "1", "true", "[\"neck\"]", "{\"zone\":\"neck\"}" };
	struct reading r = example_reading(), out;
	char buf[512];
	int n;

	(void)state;
	strcpy(r.zone, "calf_left");
	r.end_session = true;
	expect_encoding(&r, expected);
	memset(&out, 0, sizeof(out));
	assert_int_equal(reading_decode(expected, strlen(expected), &out), READING_OK);
	assert_same_reading(&r, &out);

	/* The longest name there is, 32 bytes. */
	strcpy(r.zone, "abcdefghijklmnopqrstuvwxyz012345");
	n = reading_encode(&r, buf, sizeof(buf));
	assert_true(n > 0);
	assert_non_null(strstr(buf, ",\"zone\":\"abcdefghijklmnopqrstuvwxyz012345\","));
	assert_int_equal(reading_decode(buf, (size_t)n, &out), READING_OK);
	assert_string_equal(out.zone, "abcdefghijklmnopqrstuvwxyz012345");

	/* None: not written; absent and null decode to "". */
	r = example_reading();
	expect_encoding(&r, EXAMPLE);
	strcpy(out.zone, "neck");
	assert_int_equal(reading_decode(EXAMPLE, strlen(EXAMPLE), &out), READING_OK);
	assert_string_equal(out.zone, "");
	strcpy(out.zone, "neck");
	snprintf(buf, sizeof(buf), OK_HEAD "\"pressure_kpa\":1.0,\"temperature_c\":20.0,\"zone\":null}");
	assert_int_equal(reading_decode(buf, strlen(buf), &out), READING_OK);
	assert_string_equal(out.zone, "");

	expect_member_refused("zone", not_names, ARRAY_SIZE(not_names), READING_ERR_RANGE);
	expect_member_refused("zone", not_strings, ARRAY_SIZE(not_strings), READING_ERR_TYPE);

	/* The encoder refuses what the decoder would: also a name with no
	 * NUL in its buffer. */
	strcpy(r.zone, "Calf");
	assert_int_equal(reading_encode(&r, buf, sizeof(buf)), -1);
	strcpy(r.zone, "none");
	assert_int_equal(reading_encode(&r, buf, sizeof(buf)), -1);
	memset(r.zone, 'a', sizeof(r.zone));
	assert_int_equal(reading_encode(&r, buf, sizeof(buf)), -1);

	/* sensord adds lost_after to what it encoded: the zone stays. */
	r = example_reading();
	strcpy(r.run, RUN16);
	strcpy(r.zone, "shoulder_right");
	n = reading_encode(&r, buf, sizeof(buf));
	assert_true(n > 0);
	n = reading_add_lost_after(buf, (size_t)n, 4000, buf, sizeof(buf));
	assert_string_equal(buf, "{\"run\":\"" RUN16 "\",\"seq\":4182,\"mono\":209.100,"
			    "\"ts\":1763910000.125,\"pressure_kpa\":12.41,\"temperature_c\":39.62,"
			    "\"zone\":\"shoulder_right\",\"lost_after\":4000}");
	assert_int_equal(reading_decode(buf, (size_t)n, &out), READING_OK);
	r.has_lost_after = true;
	r.lost_after = 4000;
	assert_same_reading(&r, &out);
}

/* lost_after goes after the channels and end_session, before faults, only
 * when present; one not below seq is refused like any field the decoder
 * would refuse. */
static void test_lost_after_encode(void **state)
{
	/* The header's example. */
	static const char *const full =
		"{\"run\":\"" RUN16 "\",\"seq\":4182,\"mono\":209.100,\"ts\":1763910000.125,"
		"\"pressure_kpa\":12.41,\"temperature_c\":39.62,\"end_session\":true,"
		"\"lost_after\":4170,\"faults\":{\"bmp280@/dev/i2c-1:0x76\":\"nack\"}}";
	struct reading r = example_reading(), out;
	char buf[512];
	int n;

	(void)state;
	strcpy(r.run, RUN16);
	r.end_session = true;
	r.has_lost_after = true;
	r.lost_after = 4170;
	r.n_faults = 1;
	strcpy(r.faults[0].sensor, "bmp280@/dev/i2c-1:0x76");
	strcpy(r.faults[0].what, "nack");
	n = reading_encode(&r, buf, sizeof(buf));
	assert_int_equal(n, (int)strlen(full));
	assert_string_equal(buf, full);
	assert_int_equal(reading_encode(&r, buf, strlen(full)), -1);
	assert_int_equal(reading_decode(full, strlen(full), &out), READING_OK);
	assert_same_reading(&r, &out);

	/* The edges: 0 and seq - 1 go out; seq and above do not. */
	r = example_reading();
	r.has_lost_after = true;
	r.lost_after = 0;
	n = reading_encode(&r, buf, sizeof(buf));
	assert_true(n > 0);
	assert_non_null(strstr(buf, ",\"temperature_c\":39.62,\"lost_after\":0}"));
	assert_int_equal(reading_decode(buf, (size_t)n, &out), READING_OK);
	assert_true(out.lost_after == 0);
	r.lost_after = 4181;
	assert_true(reading_encode(&r, buf, sizeof(buf)) > 0);
	assert_non_null(strstr(buf, ",\"lost_after\":4181}"));
	r.lost_after = 4182;
	assert_int_equal(reading_encode(&r, buf, sizeof(buf)), -1);
	assert_string_equal(buf, "");
	r.lost_after = 4183;
	assert_int_equal(reading_encode(&r, buf, sizeof(buf)), -1);
	r.lost_after = UINT64_MAX;
	assert_int_equal(reading_encode(&r, buf, sizeof(buf)), -1);
	r.seq = 0;
	r.lost_after = 0;	/* nothing is below seq 0 */
	assert_int_equal(reading_encode(&r, buf, sizeof(buf)), -1);
	r.seq = UINT64_C(1) << 53;
	r.lost_after = (UINT64_C(1) << 53) - 1;
	assert_true(reading_encode(&r, buf, sizeof(buf)) > 0);
	assert_non_null(strstr(buf, ",\"lost_after\":9007199254740991}"));
	/* Absent: the reading is the example, to the byte, whatever the
	 * value of the field (a zeroed reading claims nothing). */
	r = example_reading();
	r.lost_after = 7;
	assert_int_equal(reading_encode(&r, buf, sizeof(buf)), (int)strlen(EXAMPLE));
	assert_string_equal(buf, EXAMPLE);
}

/* On the wire: optional, an integer (a fraction is a wrong type, as for
 * seq), from 0 to seq - 1 (anything else is out of range). */
static void test_lost_after_decode(void **state)
{
#define LA_HEAD "{\"run\":\"" RUN16 "\",\"seq\":16,\"mono\":1.5,\"ts\":1.0," \
	"\"pressure_kpa\":1.0,\"temperature_c\":20.0,\"lost_after\":"
	static const struct {
		const char *value;
		enum reading_error want;
		uint64_t lost_after;
	} cases[] = {
		{ "14", READING_OK, 14 },
		{ "0", READING_OK, 0 },
		{ "15", READING_OK, 15 },
		{ "-0", READING_OK, 0 },
		{ "15.0", READING_OK, 15 },
		{ "1.4e1", READING_OK, 14 },
		{ "16", READING_ERR_RANGE, 0 },
		{ "17", READING_ERR_RANGE, 0 },
		{ "-1", READING_ERR_RANGE, 0 },
		{ "-0.5", READING_ERR_RANGE, 0 },
		{ "9007199254740992", READING_ERR_RANGE, 0 },
		{ "18446744073709551615", READING_ERR_RANGE, 0 },
		{ "1e999", READING_ERR_RANGE, 0 },
		{ "14.5", READING_ERR_TYPE, 0 },
		{ "0.5", READING_ERR_TYPE, 0 },
		{ "\"14\"", READING_ERR_TYPE, 0 },
		{ "null", READING_ERR_TYPE, 0 },
		{ "true", READING_ERR_TYPE, 0 },
		{ "[14]", READING_ERR_TYPE, 0 },
		{ "{}", READING_ERR_TYPE, 0 },
	};
	char p[512];
	struct reading r;

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		snprintf(p, sizeof(p), LA_HEAD "%s}", cases[i].value);
		memset(&r, 0, sizeof(r));
		assert_row_int(cases[i].value, reading_decode(p, strlen(p), &r), cases[i].want);
		if (cases[i].want == READING_OK) {
			assert_row_int(cases[i].value, r.has_lost_after, 1);
			assert_row_int(cases[i].value, r.lost_after, cases[i].lost_after);
		}
	}
#undef LA_HEAD
	/* Absent is no loss; seq 0 has nothing below it; at seq 2^53 the
	 * bound is 2^53 - 1. */
	assert_int_equal(reading_decode(EXAMPLE16, strlen(EXAMPLE16), &r), READING_OK);
	assert_false(r.has_lost_after);
	assert_int_equal(decode_str("{\"run\":\"3f9c2a1e\",\"seq\":0,\"mono\":1.5,\"ts\":1.0,"
				    "\"lost_after\":0," OK_TAIL), READING_ERR_RANGE);
	assert_int_equal(reading_decode("{\"run\":\"3f9c2a1e\",\"seq\":9007199254740992,\"mono\":1.5,"
					"\"ts\":1.0,\"lost_after\":9007199254740991," OK_TAIL,
					strlen("{\"run\":\"3f9c2a1e\",\"seq\":9007199254740992,\"mono\":1.5,"
					       "\"ts\":1.0,\"lost_after\":9007199254740991," OK_TAIL), &r),
			 READING_OK);
	assert_true(r.lost_after == (UINT64_C(1) << 53) - 1);
	assert_int_equal(decode_str("{\"run\":\"3f9c2a1e\",\"seq\":9007199254740992,\"mono\":1.5,"
				    "\"ts\":1.0,\"lost_after\":9007199254740992," OK_TAIL),
			 READING_ERR_RANGE);
	/* Anywhere in the object, key order means nothing. */
	assert_int_equal(reading_decode("{\"lost_after\":3,\"run\":\"3f9c2a1e\",\"seq\":4,\"mono\":1.5,"
					"\"ts\":1.0," OK_TAIL,
					strlen("{\"lost_after\":3,\"run\":\"3f9c2a1e\",\"seq\":4,\"mono\":1.5,"
					       "\"ts\":1.0," OK_TAIL), &r), READING_OK);
	assert_true(r.lost_after == 3);
}

/* Fills r's faults so that reading_encode writes exactly want bytes. */
static void reading_of_length(struct reading *r, size_t want)
{
	char buf[READING_MAX_PAYLOAD + 1];
	int n;
	size_t extra;

	r->n_faults = READING_MAX_FAULTS;
	for (size_t i = 0; i < READING_MAX_FAULTS; i++) {
		snprintf(r->faults[i].sensor, sizeof(r->faults[i].sensor), "k%zu", i);
		r->faults[i].what[0] = '\0';
	}
	n = reading_encode(r, buf, sizeof(buf));
	assert_true(n > 0 && (size_t)n <= want);
	/* A control character is written as 6 bytes, a letter as 1: the
	 * bulk in control characters, from the last fault back, the rest in
	 * letters in the first. */
	extra = want - (size_t)n;
	for (size_t i = READING_MAX_FAULTS; i-- > 0;) {
		size_t k = 0;

		for (; k < READING_FAULT_LEN - 1 - 5 && extra >= 6; k++, extra -= 6)
			r->faults[i].what[k] = '\x01';
		for (; i == 0 && extra > 0; k++, extra--)
			r->faults[i].what[k] = 'a';
		r->faults[i].what[k] = '\0';
	}
	assert_int_equal(reading_encode(r, buf, sizeof(buf)), (int)want);
}

/* sensord adds lost_after to a reading it encoded earlier: the member goes
 * in before the closing brace, and the result decodes to the same reading
 * with that lost_after. What is not reading_encode's output without a
 * lost_after, or would not fit, is refused and out left alone. */
static void test_add_lost_after(void **state)
{
	static const char *const bad_payloads[] = {
		"",
		"{}",
		"}",
		"not json",
		/* docs/protocol.md's example as printed there: whitespace. */
		"{\"run\":\"3f9c2a1e\",\"seq\":4182,\"mono\":209.100,\"ts\":1763910000.125,\n"
		" \"pressure_kpa\":12.41,\"temperature_c\":39.62}",
		EXAMPLE16 " ",
		EXAMPLE16 "x",
		EXAMPLE16 EXAMPLE16,
		"{\"run\":\"" RUN16 "\",\"seq\":4182}}",
		"{\"seq\":4182,\"run\":\"" RUN16 "\",\"mono\":209.100,\"ts\":1763910000.125,"
		"\"pressure_kpa\":12.41,\"temperature_c\":39.62}",
		"{\"run\":\"5e1f03c29a7b\",\"seq\":4182,\"mono\":1,\"ts\":1,\"pressure_kpa\":null,"
		"\"temperature_c\":null}",
		"{\"run\":\"5E1F03C29A7B44D1\",\"seq\":4182,\"mono\":1,\"ts\":1,\"pressure_kpa\":null,"
		"\"temperature_c\":null}",
		"{\"run\":\"" RUN16 "\",\"seq\":04182,\"mono\":1,\"ts\":1,\"pressure_kpa\":null,"
		"\"temperature_c\":null}",
		"{\"run\":\"" RUN16 "\",\"seq\":-4182,\"mono\":1,\"ts\":1,\"pressure_kpa\":null,"
		"\"temperature_c\":null}",
		"{\"run\":\"" RUN16 "\",\"seq\":4182.0,\"mono\":1,\"ts\":1,\"pressure_kpa\":null,"
		"\"temperature_c\":null}",
		"{\"run\":\"" RUN16 "\",\"seq\":9007199254740993,\"mono\":1,\"ts\":1,\"pressure_kpa\":null,"
		"\"temperature_c\":null}",
		"{\"run\":\"" RUN16 "\",\"seq\":4182,\"mono\":1,\"ts\":1,\"pressure_kpa\":null,"
		"\"temperature_c\":null,\"faults\":{\"a\":\"b\"}",
		"{\"run\":\"" RUN16 "\",\"seq\":4182,\"mono\":1,\"ts\":1,\"pressure_kpa\":null,"
		"\"temperature_c\":null,\"faults\":{\"a\":\"b}\"}",
		/* Already there, from reading_encode or from an earlier add. */
		"{\"run\":\"" RUN16 "\",\"seq\":4182,\"mono\":1,\"ts\":1,\"pressure_kpa\":null,"
		"\"temperature_c\":null,\"lost_after\":3,\"faults\":{\"a\":\"b\"}}",
		"{\"run\":\"" RUN16 "\",\"seq\":4182,\"mono\":1,\"ts\":1,\"pressure_kpa\":null,"
		"\"temperature_c\":null,\"faults\":{\"a\":\"b\"},\"lost_after\":3}",
	};
	struct reading r = example_reading(), out;
	char payload[READING_MAX_PAYLOAD + 64], buf[READING_MAX_PAYLOAD + 64];
	const char *want;
	int n, m;

	(void)state;
	/* The example: the member before its brace. */
	want = "{\"run\":\"" RUN16 "\",\"seq\":4182,\"mono\":209.100,\"ts\":1763910000.125,"
	       "\"pressure_kpa\":12.41,\"temperature_c\":39.62,\"lost_after\":4170}";
	strcpy(r.run, RUN16);
	n = reading_encode(&r, payload, sizeof(payload));
	assert_true(n > 0);
	m = reading_add_lost_after(payload, (size_t)n, 4170, buf, sizeof(buf));
	assert_int_equal(m, (int)strlen(want));
	assert_string_equal(buf, want);
	assert_int_equal(reading_decode(buf, (size_t)m, &out), READING_OK);
	r.has_lost_after = true;
	r.lost_after = 4170;
	assert_same_reading(&r, &out);
	/* Exactly enough room, and one byte less: out untouched. */
	assert_int_equal(reading_add_lost_after(payload, (size_t)n, 4170, buf, strlen(want) + 1), m);
	memset(buf, 'x', sizeof(buf));
	assert_int_equal(reading_add_lost_after(payload, (size_t)n, 4170, buf, strlen(want)), -1);
	assert_true(buf[0] == 'x');
	/* In place. */
	memcpy(buf, payload, (size_t)n);
	assert_int_equal(reading_add_lost_after(buf, (size_t)n, 4170, buf, sizeof(buf)), m);
	assert_string_equal(buf, want);

	/* With end_session, a legacy run and faults (one named lost_after,
	 * one whose text looks like the member): after the faults. */
	r = example_reading();
	r.end_session = true;
	r.n_faults = 2;
	strcpy(r.faults[0].sensor, "lost_after");
	strcpy(r.faults[0].what, "nack");
	strcpy(r.faults[1].sensor, "mcp9808@sim:0x18");
	strcpy(r.faults[1].what, "\",\"lost_after\":1}");
	n = reading_encode(&r, payload, sizeof(payload));
	assert_true(n > 0);
	m = reading_add_lost_after(payload, (size_t)n, 7, buf, sizeof(buf));
	assert_int_equal(m, n + (int)strlen(",\"lost_after\":7"));
	assert_memory_equal(buf, payload, (size_t)n - 1);
	assert_string_equal(buf + n - 1, ",\"lost_after\":7}");
	assert_int_equal(reading_decode(buf, (size_t)m, &out), READING_OK);
	r.has_lost_after = true;
	r.lost_after = 7;
	assert_same_reading(&r, &out);
	/* Not twice. */
	assert_int_equal(reading_add_lost_after(buf, (size_t)m, 6, buf, sizeof(buf)), -1);

	/* A last byte that closes an array, not the object (found by
	 * fuzz_reading): refused, never given a member after a ']'. */
	{
		static const char odd[] = "{\"run\":\"ffffffff\",\"seq\":9,\"extra\":[1,{\"a\":2}]]";

		assert_int_equal(reading_add_lost_after(odd, strlen(odd), 3, buf, sizeof(buf)), -1);
	}

	/* The edges of lost_after itself: 0 and seq - 1, not seq,
	 * nor anything above it. */
	r = example_reading();
	n = reading_encode(&r, payload, sizeof(payload));
	assert_true(reading_add_lost_after(payload, (size_t)n, 0, buf, sizeof(buf)) > 0);
	assert_int_equal(reading_decode(buf, strlen(buf), &out), READING_OK);
	assert_true(out.lost_after == 0);
	assert_true(reading_add_lost_after(payload, (size_t)n, 4181, buf, sizeof(buf)) > 0);
	assert_int_equal(reading_add_lost_after(payload, (size_t)n, 4182, buf, sizeof(buf)), -1);
	assert_int_equal(reading_add_lost_after(payload, (size_t)n, 4183, buf, sizeof(buf)), -1);
	assert_int_equal(reading_add_lost_after(payload, (size_t)n, UINT64_MAX, buf, sizeof(buf)),
			 -1);
	r.seq = 0;
	n = reading_encode(&r, payload, sizeof(payload));
	assert_int_equal(reading_add_lost_after(payload, (size_t)n, 0, buf, sizeof(buf)), -1);
	r.seq = UINT64_C(1) << 53;
	n = reading_encode(&r, payload, sizeof(payload));
	assert_true(reading_add_lost_after(payload, (size_t)n, (UINT64_C(1) << 53) - 1, buf,
					   sizeof(buf)) > 0);
	assert_int_equal(reading_decode(buf, strlen(buf), &out), READING_OK);
	assert_true(out.lost_after == (UINT64_C(1) << 53) - 1);

	/* READING_MAX_PAYLOAD: ,"lost_after":0 adds 15 bytes. */
	r = example_reading();
	reading_of_length(&r, READING_MAX_PAYLOAD - 15);
	n = reading_encode(&r, payload, sizeof(payload));
	m = reading_add_lost_after(payload, (size_t)n, 0, buf, sizeof(buf));
	assert_int_equal(m, READING_MAX_PAYLOAD);
	assert_int_equal(reading_decode(buf, (size_t)m, &out), READING_OK);
	assert_true(out.lost_after == 0);
	assert_int_equal(reading_add_lost_after(payload, (size_t)n, 10, buf, sizeof(buf)), -1);
	reading_of_length(&r, READING_MAX_PAYLOAD - 14);
	n = reading_encode(&r, payload, sizeof(payload));
	assert_int_equal(reading_add_lost_after(payload, (size_t)n, 0, buf, sizeof(buf)), -1);

	for (size_t i = 0; i < sizeof(bad_payloads) / sizeof(bad_payloads[0]); i++) {
		memset(buf, 'x', sizeof(buf));
		assert_row_int(bad_payloads[i], reading_add_lost_after(bad_payloads[i],
			       strlen(bad_payloads[i]), 1, buf, sizeof(buf)), -1);
		assert_true(buf[0] == 'x');
	}
	/* The example cut short of its brace. */
	assert_int_equal(reading_add_lost_after(EXAMPLE16, strlen(EXAMPLE16) - 1, 1, buf, sizeof(buf)),
			 -1);
	assert_int_equal(reading_add_lost_after(NULL, 10, 1, buf, sizeof(buf)), -1);
	assert_int_equal(reading_add_lost_after(EXAMPLE16, strlen(EXAMPLE16), 1, NULL, 100), -1);
}

static void test_decode_err_range(void **state)
{
	static const char *const bad[] = {
		"{\"run\":\"3f9c2a1e\",\"seq\":-1,\"mono\":1.5,\"ts\":1.0," OK_TAIL,
		"{\"run\":\"3f9c2a1e\",\"seq\":9007199254740994,\"mono\":1.5,\"ts\":1.0," OK_TAIL,
		"{\"run\":\"3f9c2a1e\",\"seq\":1e999,\"mono\":1.5,\"ts\":1.0," OK_TAIL,
		"{\"run\":\"3f9c2a1e\",\"seq\":1,\"mono\":1e999,\"ts\":1.0," OK_TAIL,
		"{\"run\":\"3f9c2a1e\",\"seq\":1,\"mono\":-0.5,\"ts\":1.0," OK_TAIL,
		"{\"run\":\"3f9c2a1e\",\"seq\":1,\"mono\":1000000000.001,\"ts\":1.0," OK_TAIL,
		"{\"run\":\"3f9c2a1e\",\"seq\":1,\"mono\":1.5,\"ts\":-1," OK_TAIL,
		"{\"run\":\"3f9c2a1e\",\"seq\":1,\"mono\":1.5,\"ts\":1e12," OK_TAIL,
		"{\"run\":\"3f9c2a1e\",\"seq\":1,\"mono\":1.5,\"ts\":-1e999," OK_TAIL,
		"{\"run\":\"XYZ\",\"seq\":1,\"mono\":1.5,\"ts\":1.0," OK_TAIL,
		"{\"run\":\"3f9c2a1e0\",\"seq\":1,\"mono\":1.5,\"ts\":1.0," OK_TAIL,
		"{\"run\":\"3F9C2A1E\",\"seq\":1,\"mono\":1.5,\"ts\":1.0," OK_TAIL,
		"{\"run\":\"\",\"seq\":1,\"mono\":1.5,\"ts\":1.0," OK_TAIL,
		"{\"run\":\"3f9c2a1\",\"seq\":1,\"mono\":1.5,\"ts\":1.0," OK_TAIL,
		/* Only exactly 16 or 8 digits. */
		"{\"run\":\"5e1f03c29a7b44d\",\"seq\":1,\"mono\":1.5,\"ts\":1.0," OK_TAIL,
		"{\"run\":\"5e1f03c29a7b44d1f\",\"seq\":1,\"mono\":1.5,\"ts\":1.0," OK_TAIL,
		"{\"run\":\"5e1f03c29a7b\",\"seq\":1,\"mono\":1.5,\"ts\":1.0," OK_TAIL,
		"{\"run\":\"5E1F03C29A7B44D1\",\"seq\":1,\"mono\":1.5,\"ts\":1.0," OK_TAIL,
		"{\"run\":\"5e1f03c29a7b44g1\",\"seq\":1,\"mono\":1.5,\"ts\":1.0," OK_TAIL,
		OK_HEAD "\"pressure_kpa\":10000.5,\"temperature_c\":20.0}",
		OK_HEAD "\"pressure_kpa\":1.0,\"temperature_c\":-100.5}",
		OK_HEAD "\"pressure_kpa\":-1e999,\"temperature_c\":20.0}",
	};

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_int_equal(decode_str(bad[i]), READING_ERR_RANGE);
	/* The edges themselves are in range. */
	assert_int_equal(decode_str("{\"run\":\"3f9c2a1e\",\"seq\":9007199254740992,\"mono\":0,"
				    "\"ts\":1e11," OK_TAIL), READING_OK);
}

/* Found by fuzz/fuzz_reading.c: a mono the decoder accepted, just under its
 * 1e9 s bound, is printed to 1 ms as the bound itself, and the decoder used
 * to refuse what the encoder wrote. Whatever decodes must encode and decode
 * again to the same reading. */
static void test_round_trip_at_mono_bound(void **state)
{
	static const char crashing_input[] =
		"{\"run\":\"3f9c2a1e\",\"seq\":1,\"mono\":999999999.9996,\"ts\":1,"
		"\"pressure_kpa\":null,\"temperature_c\":null}";
	struct reading r, again;
	char buf[512];
	int n;

	(void)state;
	assert_int_equal(decode_str(crashing_input), READING_OK);
	assert_int_equal(reading_decode(crashing_input, strlen(crashing_input), &r), READING_OK);
	n = reading_encode(&r, buf, sizeof(buf));
	assert_true(n > 0);
	assert_non_null(strstr(buf, "\"mono\":1000000000.000,"));
	assert_int_equal(reading_decode(buf, (size_t)n, &again), READING_OK);
	assert_float_equal(again.mono, 1e9, 0);
	assert_string_equal(again.run, "3f9c2a1e");
	assert_int_equal(again.seq, 1);
	/* The bound itself is in range both ways; beyond it, neither. */
	r.mono = 1e9;
	assert_true(reading_encode(&r, buf, sizeof(buf)) > 0);
	r.mono = 1000000000.001;
	assert_int_equal(reading_encode(&r, buf, sizeof(buf)), -1);
}

/* Where cJSON 1.7.15 (read in its cJSON.c) takes more than RFC 8259, or
 * reads an escape its own way: the single-pass decoder must keep each
 * leniency and each refusal, so both decoders are asked. A row with a want
 * of READING_OK also names the field it changes and the value expected. */
static void test_decode_cjson_leniencies(void **state)
{
	static const struct {
		const char *name, *payload;
		enum reading_error want;
		const char *run;	/* when OK: the run, else NULL */
		double mono;		/* when OK: mono */
	} cases[] = {
		{ "byte order mark", "\xef\xbb\xbf" OK_HEAD OK_TAIL, READING_OK, "3f9c2a1e", 1.5 },
		{ "control bytes as white space", "\x01" OK_HEAD "\x1f\x0b" OK_TAIL "\x14",
		  READING_OK, "3f9c2a1e", 1.5 },
		{ "DEL is not white space", OK_HEAD "\x7f" OK_TAIL, READING_ERR_JSON, NULL, 0 },
		{ "leading zero", "{\"run\":\"3f9c2a1e\",\"seq\":01,\"mono\":01.50,\"ts\":1," OK_TAIL,
		  READING_OK, "3f9c2a1e", 1.5 },
		{ "point with no digit after", "{\"run\":\"3f9c2a1e\",\"seq\":1.,\"mono\":2.,\"ts\":1,"
		  OK_TAIL, READING_OK, "3f9c2a1e", 2 },
		{ "negative zero", "{\"run\":\"3f9c2a1e\",\"seq\":-0,\"mono\":-0.0,\"ts\":1," OK_TAIL,
		  READING_OK, "3f9c2a1e", 0 },
		{ "point first after the sign", "{\"run\":\"3f9c2a1e\",\"seq\":1,\"mono\":-.5,\"ts\":1,"
		  OK_TAIL, READING_ERR_RANGE, NULL, 0 },
		{ "point first", "{\"run\":\"3f9c2a1e\",\"seq\":1,\"mono\":.5,\"ts\":1," OK_TAIL,
		  READING_ERR_JSON, NULL, 0 },
		{ "plus sign", "{\"run\":\"3f9c2a1e\",\"seq\":+1,\"mono\":1.5,\"ts\":1," OK_TAIL,
		  READING_ERR_JSON, NULL, 0 },
		{ "exponent with no digit", "{\"run\":\"3f9c2a1e\",\"seq\":1,\"mono\":1e,\"ts\":1,"
		  OK_TAIL, READING_ERR_JSON, NULL, 0 },
		{ "hexadecimal", "{\"run\":\"3f9c2a1e\",\"seq\":0x10,\"mono\":1.5,\"ts\":1," OK_TAIL,
		  READING_ERR_JSON, NULL, 0 },
		{ "exponent and many digits", "{\"run\":\"3f9c2a1e\",\"seq\":4.182e3,"
		  "\"mono\":0.000000000000000000000000000000000000000000000000000000000000000000000001e72,"
		  "\"ts\":1," OK_TAIL, READING_OK, "3f9c2a1e", 1 },
		{ "underflow to zero", "{\"run\":\"3f9c2a1e\",\"seq\":1,\"mono\":1e-400,\"ts\":1,"
		  OK_TAIL, READING_OK, "3f9c2a1e", 0 },
		{ "overflow to infinity", "{\"run\":\"3f9c2a1e\",\"seq\":1,\"mono\":1e400,\"ts\":1,"
		  OK_TAIL, READING_ERR_RANGE, NULL, 0 },
		{ "a key ends at \\u0000", "{\"run\\u0000x\":\"3f9c2a1e\",\"seq\":1,\"mono\":1.5,"
		  "\"ts\":1," OK_TAIL, READING_OK, "3f9c2a1e", 1.5 },
		{ "so it repeats", "{\"run\\u0000x\":\"3f9c2a1e\",\"run\":\"3f9c2a1e\",\"seq\":1,"
		  "\"mono\":1.5,\"ts\":1," OK_TAIL, READING_ERR_JSON, NULL, 0 },
		{ "a value too", "{\"run\":\"3f9c2a1e\\u0000zz\",\"seq\":1,\"mono\":1.5,\"ts\":1,"
		  OK_TAIL, READING_OK, "3f9c2a1e", 1.5 },
		{ "an escaped key", "{\"r\\u0075n\":\"3f9c2a1e\",\"seq\":1,\"mono\":1.5,\"ts\":1,"
		  OK_TAIL, READING_OK, "3f9c2a1e", 1.5 },
		/* "\u" takes 4 bytes whatever they are (not hex: U+0000), so it
		 * can swallow half of the "\\" the end was found with... */
		{ "\\u swallows a backslash", OK_HEAD "\"pressure_kpa\":1,\"temperature_c\":1,"
		  "\"faults\":{\"a\":\"\\u12\\\\X\"}}", READING_OK, "3f9c2a1e", 1.5 },
		/* ...and leave the other to escape the next byte. */
		{ "and the next escape is bad", OK_HEAD "\"pressure_kpa\":1,\"temperature_c\":1,"
		  "\"faults\":{\"a\":\"\\u123\\\\X\"}}", READING_ERR_JSON, NULL, 0 },
		{ "raw control bytes in a string", OK_HEAD "\"pressure_kpa\":1,\"temperature_c\":1,"
		  "\"faults\":{\"a\":\"\x01\x1f\"}}", READING_OK, "3f9c2a1e", 1.5 },
		{ "an unknown escape", OK_HEAD "\"pressure_kpa\":1,\"temperature_c\":1,"
		  "\"faults\":{\"a\":\"\\x\"}}", READING_ERR_JSON, NULL, 0 },
	};
	enum reading_error (*const decoders[])(const char *, size_t, struct reading *) = {
		reading_decode_tree, reading_decode,
	};

	(void)state;
	for (size_t d = 0; d < 2; d++) {
		for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
			struct reading r;
			char row[96];

			snprintf(row, sizeof(row), "%s (%s)", cases[i].name,
				 d ? "reading_decode" : "reading_decode_tree");
			memset(&r, 0, sizeof(r));
			assert_row_int(row, decoders[d](cases[i].payload, strlen(cases[i].payload), &r),
				       cases[i].want);
			if (cases[i].want != READING_OK)
				continue;
			assert_row_string(row, r.run, cases[i].run);
			if (r.mono != cases[i].mono)
				fail_msg("%s: mono %.17g, expected %.17g", row, r.mono, cases[i].mono);
		}
	}
}

/* Nesting: cJSON parses arrays and objects at most 1000 deep, the reading
 * counting one; deeper is not JSON. In an ignored field, and in faults. */
static void test_decode_nesting_limit(void **state)
{
	static char p[2 * READING_MAX_PAYLOAD];
	static const struct {
		const char *head, *open, *close;
		size_t times;	/* open and close, inside the reading */
		enum reading_error want;
	} cases[] = {
		{ OK_HEAD "\"x\":", "[", "]", 999, READING_OK },
		{ OK_HEAD "\"x\":", "[", "]", 1000, READING_ERR_JSON },
		/* 998 levels, then 1000 */
		{ OK_HEAD "\"x\":", "[{\"\":", "}]", 499, READING_OK },
		{ OK_HEAD "\"x\":", "[{\"\":", "}]", 500, READING_ERR_JSON },
		/* faults is level 2: its members' values from level 3 */
		{ OK_HEAD "\"faults\":{\"a\":", "[", "]", 998, READING_ERR_TYPE },
		{ OK_HEAD "\"faults\":{\"a\":", "[", "]", 999, READING_ERR_JSON },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct reading r;
		size_t n = strlen(cases[i].head);
		bool faults = strstr(cases[i].head, "faults") != NULL;

		memcpy(p, cases[i].head, n);
		for (size_t k = 0; k < cases[i].times; k++)
			n += (size_t)sprintf(p + n, "%s", cases[i].open);
		p[n++] = '1';
		for (size_t k = 0; k < cases[i].times; k++)
			n += (size_t)sprintf(p + n, "%s", cases[i].close);
		n += (size_t)sprintf(p + n, "%s", faults ? "}," OK_TAIL : "," OK_TAIL);
		assert_true(n <= READING_MAX_PAYLOAD);
		assert_row_int(cases[i].open, reading_decode_tree(p, n, &r), cases[i].want);
		assert_row_int(cases[i].open, reading_decode(p, n, &r), cases[i].want);
	}
}

/* A refused payload leaves the caller's struct as it was. */
static void test_decode_failure_leaves_output(void **state)
{
	struct reading r = example_reading();
	const char *bad = "{\"run\":\"00000000\",\"seq\":7,\"mono\":1.5,\"ts\":1.0,"
			  "\"pressure_kpa\":\"x\",\"temperature_c\":1}";

	(void)state;
	assert_int_equal(reading_decode(bad, strlen(bad), &r), READING_ERR_TYPE);
	assert_string_equal(r.run, "3f9c2a1e");
	assert_true(r.seq == 4182);
}

static void test_error_names(void **state)
{
	(void)state;
	assert_string_equal(reading_error_name(READING_OK), "ok");
	assert_string_equal(reading_error_name(READING_ERR_SIZE), "size");
	assert_string_equal(reading_error_name(READING_ERR_JSON), "json");
	assert_string_equal(reading_error_name(READING_ERR_MISSING), "missing");
	assert_string_equal(reading_error_name(READING_ERR_TYPE), "type");
	assert_string_equal(reading_error_name(READING_ERR_RANGE), "range");
	assert_string_equal(reading_error_name(READING_ERR_KINDS), "unknown");
}

static void test_run_valid(void **state)
{
	(void)state;
	assert_true(reading_run_valid("3f9c2a1e"));
	assert_true(reading_run_valid("00000000"));
	assert_false(reading_run_valid("3f9c2a1"));
	assert_false(reading_run_valid("3f9c2a1e0"));
	assert_false(reading_run_valid("3f9c2a1g"));
	assert_false(reading_run_valid("3F9C2A1E"));
	assert_false(reading_run_valid(""));
	assert_false(reading_run_valid(NULL));

	assert_true(reading_run_valid(RUN16));
	assert_true(reading_run_valid("0000000000000000"));
	assert_true(reading_run_valid("ffffffffffffffff"));
	assert_false(reading_run_valid("5e1f03c29a7b44d"));	/* 15 */
	assert_false(reading_run_valid("5e1f03c29a7b44d10"));	/* 17 */
	assert_false(reading_run_valid("5e1f03c29"));		/* 9 */
	assert_false(reading_run_valid("5e1f03c29a7b"));	/* 12 */
	assert_false(reading_run_valid("5e1f03c29a7b44D1"));
	assert_false(reading_run_valid("5e1f03c2 a7b44d1"));
	assert_false(reading_run_valid("3f9c2a1e\n"));
}

/* ---- acknowledgements ---- */

static void test_ack(void **state)
{
	char buf[64], run[READING_RUN_LEN + 1];
	const char *want = "{\"run\":\"3f9c2a1e\",\"seq\":4182}";
	uint64_t seq = 0;

	(void)state;
	assert_int_equal(ack_encode("3f9c2a1e", 4182, buf, sizeof(buf)), (int)strlen(want));
	assert_string_equal(buf, want);
	assert_int_equal(ack_encode("3f9c2a1e", 4182, buf, strlen(want)), -1);
	assert_int_equal(ack_encode("3f9c2a1e", 4182, buf, strlen(want) + 1), (int)strlen(want));
	assert_int_equal(ack_encode("nothex!!", 1, buf, sizeof(buf)), -1);

	assert_int_equal(ack_decode(want, strlen(want), run, &seq), 0);
	assert_string_equal(run, "3f9c2a1e");
	assert_true(seq == 4182);

	/* Extra fields are ignored, as in readings. */
	want = "{\"seq\":0,\"run\":\"0000000a\",\"by\":\"collector\"}";
	assert_int_equal(ack_decode(want, strlen(want), run, &seq), 0);
	assert_string_equal(run, "0000000a");
	assert_true(seq == 0);
}

/* Today's runs have 16 digits; the largest seq fits the buffer too. */
static void test_ack_run_16(void **state)
{
	char buf[64], run[READING_RUN_LEN + 1];
	const char *want = "{\"run\":\"" RUN16 "\",\"seq\":9007199254740992}";
	uint64_t seq = 0;

	(void)state;
	assert_int_equal(ack_encode(RUN16, UINT64_C(1) << 53, buf, sizeof(buf)), (int)strlen(want));
	assert_string_equal(buf, want);
	assert_int_equal(ack_encode(RUN16, UINT64_C(1) << 53, buf, strlen(want)), -1);
	assert_int_equal(ack_encode(RUN16, (UINT64_C(1) << 53) + 1, buf, sizeof(buf)), -1);
	assert_int_equal(ack_encode("5e1f03c29a7b44d", 1, buf, sizeof(buf)), -1);
	assert_int_equal(ack_decode(want, strlen(want), run, &seq), 0);
	assert_string_equal(run, RUN16);
	assert_true(seq == UINT64_C(1) << 53);
}

static void test_ack_refused(void **state)
{
	static const char *const bad[] = {
		"",
		"not json",
		"[\"3f9c2a1e\",4182]",
		"{\"run\":\"3f9c2a1e\"}",
		"{\"seq\":4182}",
		"{\"run\":\"3f9c2a1e\",\"seq\":\"4182\"}",
		"{\"run\":\"3f9c2a1e\",\"seq\":41.5}",
		"{\"run\":\"3f9c2a1e\",\"seq\":-1}",
		"{\"run\":\"3F9C2A1E\",\"seq\":4182}",
		"{\"run\":\"3f9c2a1e\",\"seq\":4182}}",
		"{\"run\":\"5e1f03c29a7b44d\",\"seq\":4182}",
		"{\"run\":\"5e1f03c29a7b44d10\",\"seq\":4182}",
		"{\"run\":\"" RUN16 "\",\"seq\":9007199254740994}",
		/* A key repeated, used or not. */
		"{\"run\":\"3f9c2a1e\",\"seq\":4182,\"seq\":4183}",
		"{\"run\":\"3f9c2a1e\",\"run\":\"" RUN16 "\",\"seq\":4182}",
		"{\"run\":\"3f9c2a1e\",\"seq\":4182,\"by\":1,\"by\":1}",
	};
	char run[READING_RUN_LEN + 1] = "unchang";
	uint64_t seq = 99;

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_int_equal(ack_decode(bad[i], strlen(bad[i]), run, &seq), -1);
	assert_string_equal(run, "unchang");
	assert_true(seq == 99);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_encode_example),
		cmocka_unit_test(test_encode_run_16),
		cmocka_unit_test(test_encode_rounding),
		cmocka_unit_test(test_encode_null_channels),
		cmocka_unit_test(test_encode_faults_escaped),
		cmocka_unit_test(test_encode_buffer_too_small),
		cmocka_unit_test(test_encode_refuses_bad_header),
		cmocka_unit_test(test_encode_limits),
		cmocka_unit_test(test_decode_example),
		cmocka_unit_test(test_decode_run_lengths),
		cmocka_unit_test(test_decode_round_trip),
		cmocka_unit_test(test_as_sent_matches_decode),
		cmocka_unit_test(test_decode_extra_fields_and_length),
		cmocka_unit_test(test_decode_faults_truncated),
		cmocka_unit_test(test_decode_err_size),
		cmocka_unit_test(test_decode_err_json),
		cmocka_unit_test(test_decode_err_missing),
		cmocka_unit_test(test_decode_err_type),
		cmocka_unit_test(test_decode_duplicate_keys),
		cmocka_unit_test(test_decode_key_limit),
		cmocka_unit_test(test_fault_keys_once),
		cmocka_unit_test(test_repeated_key_takes_no_room),
		cmocka_unit_test(test_utf8_decode),
		cmocka_unit_test(test_utf8_escapes),
		cmocka_unit_test(test_utf8_encode),
		cmocka_unit_test(test_end_session),
		cmocka_unit_test(test_zone),
		cmocka_unit_test(test_rotation),
		cmocka_unit_test(test_decode_err_range),
		cmocka_unit_test(test_lost_after_encode),
		cmocka_unit_test(test_lost_after_decode),
		cmocka_unit_test(test_add_lost_after),
		cmocka_unit_test(test_round_trip_at_mono_bound),
		cmocka_unit_test(test_decode_failure_leaves_output),
		cmocka_unit_test(test_decode_cjson_leniencies),
		cmocka_unit_test(test_decode_nesting_limit),
		cmocka_unit_test(test_error_names),
		cmocka_unit_test(test_run_valid),
		cmocka_unit_test(test_ack),
		cmocka_unit_test(test_ack_run_16),
		cmocka_unit_test(test_ack_refused),
	};

	tests_select();
	return cmocka_run_group_tests(tests, NULL, NULL);
}
