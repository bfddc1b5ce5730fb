/* libFuzzer harness for the single-pass reading decoder: reading_decode
 * must agree with reading_decode_tree, the cJSON decoder it replaced, on
 * every input (the same result; on READING_OK the same struct to the last
 * byte; on a refusal, r untouched: fuzz/reading_diff.h). Any difference
 * aborts, with the field that differs on stderr.
 *
 * The input is the payload, copied to a buffer of exactly its size (an
 * MQTT payload is not NUL-terminated), so ASan catches a read past its end
 * by either decoder. Seeds: fuzz/corpus/reading_diff/, the reading seeds
 * and shapes where cJSON's JSON is not RFC 8259's (reading.c says which). */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "reading_diff.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* malloc(0) may return NULL: keep one byte, pass the real size. */
	char *payload = malloc(size ? size : 1);
	enum reading_error code;
	const char *diff;

	if (!payload)
		return -1;
	if (size)
		memcpy(payload, data, size);
	diff = reading_diff(payload, size, &code);
	if (diff) {
		fprintf(stderr, "fuzz_reading_diff: the decoders differ in %s (reference: %s)\n",
			diff, reading_error_name(code));
		abort();
	}
	free(payload);
	return 0;
}
