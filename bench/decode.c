/* The cost of decoding one reading (issue 16): reading_decode, the single
 * pass, against reading_decode_tree, the cJSON decoder it replaced, on the
 * same payloads, side by side in one process.
 *
 *   build/bench/decode [N [ROUNDS [PAYLOAD]]]   N decodes per decoder per
 *                     round (1000000), ROUNDS rounds (3), PAYLOAD "typical"
 *                     or "full" (both)
 *
 * Each round times N decodes of each payload with each decoder, taking
 * turns every BLOCK decodes (tree, then single pass), so that a change in
 * the machine's load falls on both alike, and prints ns per decode and the
 * ratio tree / single pass of that round: on a shared machine the ratio,
 * measured side by side, means more than either time. For instructions, run it under
 * callgrind with a small N and read the two functions' inclusive counts:
 *   valgrind --tool=callgrind --callgrind-out-file=cg.out build/bench/decode 10000 1
 *   callgrind_annotate --inclusive=yes cg.out | grep reading_decode
 * and divide by the calls (N per payload). */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "reading.h"

typedef enum reading_error (*decode_fn)(const char *, size_t, struct reading *);

/* sensord's usual reading (docs/protocol.md's example, 16-digit run), and
 * one with every optional field and a fault. */
static const char *const payloads[][2] = {
	{ "typical", "{\"run\":\"5e1f03c29a7b44d1\",\"seq\":4182,\"mono\":209.100,"
		     "\"ts\":1763910000.125,\"pressure_kpa\":12.41,\"temperature_c\":39.62}" },
	{ "full", "{\"run\":\"5e1f03c29a7b44d1\",\"seq\":4182,\"mono\":209.100,"
		  "\"ts\":1763910000.125,\"pressure_kpa\":12.41,\"temperature_c\":39.62,"
		  "\"rotation_dps\":3.25,\"zone\":\"calf_left\",\"end_session\":true,"
		  "\"lost_after\":4170,\"faults\":{\"bmp280@/dev/i2c-1:0x76\":\"nack\"}}" },
};

static double now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

/* ns per decode of payload over n decodes; exits if one is refused. */
static double time_decode(decode_fn decode, const char *payload, size_t len, unsigned long n)
{
	struct reading r;
	volatile uint64_t sink = 0;
	double t0 = now_ns();

	for (unsigned long i = 0; i < n; i++) {
		if (decode(payload, len, &r) != READING_OK) {
			fprintf(stderr, "decode: payload refused\n");
			exit(1);
		}
		sink += r.seq;
	}
	(void)sink;
	return (now_ns() - t0) / (double)n;
}

#define BLOCK 1000

int main(int argc, char **argv)
{
	unsigned long n = argc > 1 ? strtoul(argv[1], NULL, 10) : 1000000;
	unsigned long rounds = argc > 2 ? strtoul(argv[2], NULL, 10) : 3;
	const char *only = argc > 3 ? argv[3] : NULL;
	size_t n_payloads = sizeof(payloads) / sizeof(payloads[0]);

	if (n == 0 || rounds == 0) {
		fprintf(stderr, "usage: decode [N [ROUNDS [PAYLOAD]]]\n");
		return 2;
	}
	for (size_t k = 0; k < n_payloads; k++) {
		struct reading a, b;
		const char *p = payloads[k][1];

		/* What is timed must be the same work: both accept, alike. */
		memset(&a, 0, sizeof(a));
		memset(&b, 0, sizeof(b));
		if (reading_decode_tree(p, strlen(p), &a) != READING_OK ||
		    reading_decode(p, strlen(p), &b) != READING_OK || a.seq != b.seq ||
		    a.mono != b.mono || a.n_faults != b.n_faults) {
			fprintf(stderr, "decode: the decoders disagree on %s\n", payloads[k][0]);
			return 1;
		}
	}
	printf("payload  round  tree_ns  single_ns  ratio\n");
	for (unsigned long round = 1; round <= rounds; round++) {
		for (size_t k = 0; k < n_payloads; k++) {
			const char *p = payloads[k][1];
			double tree, single;

			if (only && strcmp(only, payloads[k][0]) != 0)
				continue;
			tree = single = 0;
			for (unsigned long done = 0; done < n; done += BLOCK) {
				unsigned long b = n - done < BLOCK ? n - done : BLOCK;

				tree += time_decode(reading_decode_tree, p, strlen(p), b) * (double)b;
				single += time_decode(reading_decode, p, strlen(p), b) * (double)b;
			}
			tree /= (double)n;
			single /= (double)n;

			printf("%-8s %5lu %8.0f %10.0f %6.1f\n", payloads[k][0], round, tree, single,
			       tree / single);
		}
	}
	return 0;
}
