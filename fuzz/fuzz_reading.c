/* libFuzzer harness for the wire codecs (common/reading.h): reading_decode
 * and ack_decode see whatever anyone publishes to the broker.
 *
 * The input is given to both decoders as an MQTT payload (not
 * NUL-terminated: the harness copies it to a buffer of exactly its size, so
 * ASan catches a read past its end). A reading that decodes is encoded again
 * with reading_encode and decoded once more: it must come back the same, up
 * to the encoder's documented rounding (mono and ts to 1 ms, channels to
 * 0.01), because sensord and the collector must agree on every reading the
 * collector accepts. An ack that decodes must survive ack_encode the same. */
#include "reading.h"

#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Equal, or both null (NAN), or within the rounding of "%.<digits>f". */
static int same_value(double a, double b, double half_ulp)
{
	if (isnan(a) || isnan(b))
		return isnan(a) && isnan(b);
	/* The printed decimal is re-read as the nearest double: allow the
	 * rounding plus a few ulps of a number this large. */
	return fabs(a - b) <= half_ulp + fabs(a) * 4 * 2.220446049250313e-16;
}

static void check_round_trip(const struct reading *r)
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
	if ((size_t)n != strlen(buf))
		abort();
	if (reading_decode(buf, (size_t)n, &again) != READING_OK)
		abort();
	if (strcmp(again.run, r->run) != 0 || again.seq != r->seq ||
	    again.end_session != r->end_session)
		abort();
	if (!same_value(again.mono, r->mono, 0.0005) || !same_value(again.ts, r->ts, 0.0005) ||
	    !same_value(again.pressure_kpa, r->pressure_kpa, 0.005) ||
	    !same_value(again.temperature_c, r->temperature_c, 0.005))
		abort();
	if (again.n_faults != r->n_faults)
		abort();
	for (size_t i = 0; i < r->n_faults; i++)
		if (strcmp(again.faults[i].sensor, r->faults[i].sensor) != 0 ||
		    strcmp(again.faults[i].what, r->faults[i].what) != 0)
			abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char run[READING_RUN_LEN + 1];
	struct reading r;
	uint64_t seq;
	char *payload;

	/* malloc(0) may return NULL: keep one byte, pass the real size. */
	payload = malloc(size ? size : 1);
	if (!payload)
		return -1;
	if (size)
		memcpy(payload, data, size);

	memset(&r, 0xA5, sizeof(r));
	if (reading_decode(payload, size, &r) == READING_OK) {
		if (!reading_run_valid(r.run) || r.n_faults > READING_MAX_FAULTS)
			abort();
		check_round_trip(&r);
	}

	if (ack_decode(payload, size, run, &seq) == 0) {
		char buf[64], run2[READING_RUN_LEN + 1];
		uint64_t seq2;
		int n = ack_encode(run, seq, buf, sizeof(buf));

		if (n < 0 || ack_decode(buf, (size_t)n, run2, &seq2) != 0 ||
		    strcmp(run, run2) != 0 || seq != seq2)
			abort();
	}
	free(payload);
	return 0;
}
