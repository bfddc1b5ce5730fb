/* The comparison behind tests/test_reading_diff.c and fuzz_reading_diff.c:
 * reading_decode (one pass) against reading_decode_tree (cJSON, the
 * reference) on one payload. Header-only so that both, built apart (gcc for
 * the test, clang for the fuzzer), share it. */
#ifndef ROLLSENSE_FUZZ_READING_DIFF_H
#define ROLLSENSE_FUZZ_READING_DIFF_H

#include <stdio.h>
#include <string.h>

#include "reading.h"

/* Every byte of an unused struct is this, so a decoder that writes r on a
 * refusal, or leaves a field unwritten on success, shows. */
#define READING_DIFF_FILL 0xA5

static inline int reading_diff_same_double(double a, double b)
{
	return memcmp(&a, &b, sizeof(a)) == 0;	/* -0.0 is not 0.0; NAN is NAN's bits */
}

/* Decodes payload[0..len) with both; returns NULL when they agree (the
 * same result; on READING_OK every field the same, to the bit and to the
 * last byte of every text buffer; on a refusal, r untouched by either),
 * else which field differs. *code gets reading_decode_tree's result. */
static inline const char *reading_diff(const char *payload, size_t len, enum reading_error *code)
{
	struct reading a, b, untouched;
	enum reading_error ea, eb;

	memset(&a, READING_DIFF_FILL, sizeof(a));
	memset(&b, READING_DIFF_FILL, sizeof(b));
	memset(&untouched, READING_DIFF_FILL, sizeof(untouched));
	ea = reading_decode_tree(payload, len, &a);
	eb = reading_decode(payload, len, &b);
	*code = ea;
	if (ea != eb)
		return "result";
	if (ea != READING_OK)
		return memcmp(&b, &untouched, sizeof(b)) == 0 ? NULL : "r written on a refusal";
	if (memcmp(a.run, b.run, sizeof(a.run)) != 0)
		return "run";
	if (a.seq != b.seq)
		return "seq";
	if (!reading_diff_same_double(a.mono, b.mono))
		return "mono";
	if (!reading_diff_same_double(a.ts, b.ts))
		return "ts";
	if (!reading_diff_same_double(a.pressure_kpa, b.pressure_kpa))
		return "pressure_kpa";
	if (!reading_diff_same_double(a.temperature_c, b.temperature_c))
		return "temperature_c";
	if (a.has_rotation != b.has_rotation || !reading_diff_same_double(a.rotation_dps, b.rotation_dps))
		return "rotation_dps";
	if (memcmp(a.zone, b.zone, sizeof(a.zone)) != 0)
		return "zone";
	if (a.end_session != b.end_session)
		return "end_session";
	if (a.has_lost_after != b.has_lost_after || a.lost_after != b.lost_after)
		return "lost_after";
	if (a.n_faults != b.n_faults)
		return "n_faults";
	for (size_t i = 0; i < READING_MAX_FAULTS; i++)
		if (memcmp(a.faults[i].sensor, b.faults[i].sensor, sizeof(a.faults[i].sensor)) != 0 ||
		    memcmp(a.faults[i].what, b.faults[i].what, sizeof(a.faults[i].what)) != 0)
			return "faults";
	return NULL;
}

/* payload[0..len) as a C literal into out (room for 4 * len + 1), for a
 * message that shows the input that differed. */
static inline void reading_diff_quote(const char *payload, size_t len, char *out)
{
	size_t o = 0;

	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)payload[i];

		if (c >= 0x20 && c < 0x7F && c != '\\')
			out[o++] = (char)c;
		else
			o += (size_t)sprintf(out + o, "\\x%02x", c);
	}
	out[o] = '\0';
}

#endif
