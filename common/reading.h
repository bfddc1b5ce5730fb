/* The wire format of readings and acknowledgements (docs/protocol.md, "Wire
 * contract"): the one place that writes and reads them. */
#ifndef ROLLSENSE_READING_H
#define ROLLSENSE_READING_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "zone.h"

/* A run id is 16 lowercase hex digits (64 random bits: 32 collided too
 * easily). sensord 0.1.0 made 8-digit ones, and its readings may still sit in
 * an outbox after an upgrade, so 8 digits are accepted too. Buffers hold the
 * longest: READING_RUN_LEN + 1. */
#define READING_RUN_LEN 16
#define READING_RUN_LEN_LEGACY 8
#define READING_MAX_FAULTS 8
#define READING_FAULT_LEN 96
#define READING_MAX_PAYLOAD 4096	/* larger payloads are refused */
/* Keys in one object, at the top level and in "faults" (a reading has about
 * 8): more are refused, which bounds the duplicate-key check. */
#define READING_MAX_KEYS 64

struct reading_fault {
	char sensor[128];		/* the sensor's key, "bmp280@/dev/i2c-1:0x76" */
	char what[READING_FAULT_LEN];	/* "nack", "timeout", "stuck", "wrong chip id", ... */
};

struct reading {
	char run[READING_RUN_LEN + 1];	/* 16 (or, from sensord 0.1.0, 8) hex digits */
	uint64_t seq;
	double mono;			/* s since the run started (monotonic) */
	double ts;			/* wall-clock Unix time, labels only */
	double pressure_kpa;		/* NAN: null (failed or not configured) */
	double temperature_c;		/* NAN: null */
	/* The tool's angular rate, the magnitude over all three axes in °/s
	 * (a gyroscope: issue 15). has_rotation: the sender has one configured;
	 * then "rotation_dps" is on the wire after temperature_c, a number or
	 * null (rotation_dps NAN: the chip failed). Without it, absent, and
	 * rotation_dps is ignored (a zeroed reading has no gyroscope). */
	bool has_rotation;
	double rotation_dps;
	/* The zone the tool was on (zone.h): "" for none. On the wire
	 * "zone":"calf_left" after temperature_c, only when set; the decoder
	 * refuses a zone that is not a string (READING_ERR_TYPE) or not
	 * zone_name_valid (READING_ERR_RANGE); null is no zone. */
	char zone[ZONE_NAME_MAX + 1];
	/* The user ended the session here (a long press of the tool's button):
	 * this reading is the session's last sample, and the detector ends the
	 * session right after it. On the wire "end_session":true, only when set. */
	bool end_session;
	/* The sender holds no reading of this run with a seq strictly between
	 * lost_after and seq, and never will again (its outbox overflowed and
	 * dropped the oldest, or a damaged file lost them): the collector may
	 * count those it lacks as lost and acknowledge past them. Only when
	 * has_lost_after (a zeroed reading claims nothing), and then below
	 * seq. On the wire "lost_after":N, only when present. */
	bool has_lost_after;
	uint64_t lost_after;
	size_t n_faults;
	struct reading_fault faults[READING_MAX_FAULTS];
};

/* Writes r as JSON into buf (NUL-terminated). Returns the length, or -1 if
 * buf is too small, the result would be longer than READING_MAX_PAYLOAD, or
 * r holds what the decoder would refuse (a bad run, seq, mono or ts, a zone
 * that is not zone_name_valid, or a lost_after not below seq). A NAN
 * channel, or one outside the decoder's range, is written as null;
 * rotation_dps only when has_rotation. The fields come in this order, the
 * optional ones only when set:
 *   {"run":"5e1f03c29a7b44d1","seq":4182,"mono":209.100,"ts":1763910000.125,
 *    "pressure_kpa":12.41,"temperature_c":39.62,"rotation_dps":3.25,
 *    "zone":"calf_left","end_session":true,"lost_after":4170,
 *    "faults":{"bmp280@/dev/i2c-1:0x76":"nack"}}
 * The run is written as given, 16 or 8 digits. Fault keys and texts are
 * written as valid UTF-8 whatever the struct holds: each ill-formed byte
 * sequence becomes U+FFFD (its 3 raw bytes EF BF BD), so the reading still
 * goes out. A fault whose key, so written, repeats an earlier one's is left
 * out (the first is kept), because the decoder refuses repeated keys. */
int reading_encode(const struct reading *r, char *buf, size_t len);

/* *wire = *r with the numbers a decoder reads back from reading_encode(r):
 * mono and ts to 1 ms, the channels to 0.01 and NAN where the wire carries
 * null; bit for bit what reading_decode gives for them, without the text. Only
 * for a reading reading_encode accepts (its mono and ts in range). */
void reading_as_sent(const struct reading *r, struct reading *wire);

/* sensord keeps readings encoded in its outbox and learns lost_after only
 * when it sends one. Writes payload[0..len), a reading as reading_encode
 * wrote it with no lost_after, into out (NUL-terminated) with
 * ,"lost_after":N inserted before its closing brace, that is after
 * "faults" when there are any: key order means nothing to the decoder.
 * out may be payload itself (in place, given room). Returns the new length,
 * or -1, leaving out as it was, when:
 *  - the payload does not have the shape reading_encode gives: its head
 *    {"run":"<run>","seq":<n>, no whitespace outside strings, and the
 *    object closed by its last byte (the other values are not checked);
 *  - it already has a top-level lost_after;
 *  - lost_after is not below its seq;
 *  - the result would not fit out_len or READING_MAX_PAYLOAD. */
int reading_add_lost_after(const char *payload, size_t len, uint64_t lost_after, char *out,
			   size_t out_len);

/* Why a payload was refused: each kind is counted apart by the collector. */
enum reading_error {
	READING_OK = 0,
	READING_ERR_SIZE,	/* empty or larger than READING_MAX_PAYLOAD */
	/* not JSON, not an object, not UTF-8, a key repeated or more than
	 * READING_MAX_KEYS of them (at the top level or in "faults") */
	READING_ERR_JSON,
	READING_ERR_MISSING,	/* a required field is absent */
	READING_ERR_TYPE,	/* a field has the wrong type */
	READING_ERR_RANGE,	/* NaN, infinite, negative or implausibly large number, bad run id */
	READING_ERR_KINDS	/* count of the above */
};
const char *reading_error_name(enum reading_error e);

/* Strict decoding. The payload must be UTF-8 (RFC 8259 §8.1: overlong
 * forms, surrogates and code points above U+10FFFF are refused, raw or, in
 * the fault texts kept, escaped), with no key repeated and at most
 * READING_MAX_KEYS keys at the top level and in "faults"; objects nested
 * in ignored fields are not checked for either. Fields: run (16 or 8 hex
 * digits), seq (integer 0..2^53), mono (>= 0, finite), ts (finite),
 * pressure_kpa and temperature_c (number in -100..10000, or null);
 * rotation_dps optional (a number in 0..10000, or null; has_rotation says
 * if present); zone
 * optional (a zone_name_valid string; null or absent is none, "");
 * end_session optional (a boolean; absent is false); lost_after optional
 * (an integer, 0 <= lost_after < seq; has_lost_after says if present); faults
 * optional (an object of strings: the first READING_MAX_FAULTS are kept,
 * keys cut to 127 bytes and texts to 95, never inside a character, and a
 * fault whose cut key equals an earlier kept one is not kept); other
 * fields ignored. One pass over the payload; no allocation, under 12 KiB
 * of stack. */
enum reading_error reading_decode(const char *payload, size_t len, struct reading *r);

/* The same contract, decoded through a cJSON tree: what reading_decode was
 * before it became a single pass with no allocation (issue 16). Kept as the
 * reference the differential test (tests/test_reading_diff.c) and
 * fuzz_reading_diff compare reading_decode against, byte for byte: the same
 * result for every payload, and on READING_OK the same struct. Not for the
 * daemons: it allocates about a dozen times per payload. */
enum reading_error reading_decode_tree(const char *payload, size_t len, struct reading *r);

/* The collector's acknowledgement: {"run":"5e1f03c29a7b44d1","seq":4182};
 * the run is written as given, 16 or 8 digits. Returns the length, or -1 if
 * buf is too small or run or seq is invalid. */
int ack_encode(const char *run, uint64_t seq, char *buf, size_t len);
/* 0, or -1 if the payload is not a valid acknowledgement (the same UTF-8,
 * repeated-key and key-count rules as a reading; other fields ignored). */
int ack_decode(const char *payload, size_t len, char run[READING_RUN_LEN + 1], uint64_t *seq);

/* The run and up_s of sensord's health ({"run":"5e1f03c29a7b44d1",
 * "up_s":12.345,...}; docs/protocol.md, Health): 0, or -1 if the payload is
 * not JSON as a reading must be, or lacks either (a health from before
 * up_s existed). Other fields are ignored. */
int health_decode(const char *payload, size_t len, char run[READING_RUN_LEN + 1], double *up_s);

/* True for exactly 16 or exactly 8 lowercase hex digits. Reads at most
 * READING_RUN_LEN + 1 bytes of run. */
bool reading_run_valid(const char *run);

#endif
