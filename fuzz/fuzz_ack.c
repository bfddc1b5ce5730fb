/* libFuzzer harness for the acknowledgement codec (common/reading.h):
 * sensord takes the retained ack topic's payload from the broker, where
 * anyone may have published it, and moves its outbox on what it says.
 *
 * The input is given to ack_decode as an MQTT payload (a buffer of exactly
 * its size, so ASan catches a read past its end). An ack it accepts must
 * name a valid run (16 or 8 lowercase hex digits) and a seq of at most
 * 2^53, and must come back the same through ack_encode, whose text is the
 * contract's {"run":"<run>","seq":<seq>} to the byte. The same input is
 * then cut into a run and a seq for ack_encode: it must write exactly that
 * text when both are valid, and refuse them otherwise. (fuzz_reading
 * checks accepted acks for UTF-8 and repeated keys as well.) */
#include "reading.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define SEQ_MAX (UINT64_C(1) << 53)

/* 16 or 8 lowercase hex digits, checked here without reading.c. */
static int run_ok(const char *run)
{
	size_t n = strspn(run, "0123456789abcdef");

	return run[n] == '\0' && (n == 16 || n == 8);
}

/* ack_encode's text, by the harness: what the contract shows. */
static void expected_ack(const char *run, uint64_t seq, char *out, size_t size)
{
	snprintf(out, size, "{\"run\":\"%s\",\"seq\":%llu}", run, (unsigned long long)seq);
}

static void check_encode(const char *run, uint64_t seq)
{
	char buf[64], want[64], run2[READING_RUN_LEN + 1];
	uint64_t seq2;
	int n = ack_encode(run, seq, buf, sizeof(buf));

	if (!run_ok(run) || seq > SEQ_MAX) {
		if (n != -1 || buf[0] != '\0')
			abort();
		return;
	}
	expected_ack(run, seq, want, sizeof(want));
	if (n < 0 || (size_t)n != strlen(want) || strcmp(buf, want) != 0)
		abort();
	/* One byte short is refused; exactly enough is taken. */
	if (ack_encode(run, seq, buf, (size_t)n) != -1 || ack_encode(run, seq, buf, (size_t)n + 1) != n)
		abort();
	if (ack_decode(buf, (size_t)n, run2, &seq2) != 0 || strcmp(run2, run) != 0 || seq2 != seq)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char run[READING_RUN_LEN + 1], *payload;
	uint64_t seq = 0;
	size_t run_len;

	payload = malloc(size ? size : 1);
	if (!payload)
		return -1;
	if (size)
		memcpy(payload, data, size);
	memset(run, 0x5A, sizeof(run));
	if (ack_decode(payload, size, run, &seq) == 0) {
		if (strnlen(run, sizeof(run)) == sizeof(run) || !run_ok(run) ||
		    !reading_run_valid(run) || seq > SEQ_MAX)
			abort();
		check_encode(run, seq);
	}
	free(payload);

	/* The first byte: the run's length (0..17, so both valid ones and
	 * their neighbours come up); then the run; then up to 8 bytes of seq,
	 * big-endian, often above 2^53. */
	if (size == 0)
		return 0;
	run_len = data[0] % (READING_RUN_LEN + 2);
	if (run_len > size - 1)
		run_len = size - 1;
	{
		char any_run[READING_RUN_LEN + 2];

		memcpy(any_run, data + 1, run_len);
		any_run[run_len] = '\0';
		seq = 0;
		for (size_t i = 1 + run_len; i < size && i < 1 + run_len + 8; i++)
			seq = seq << 8 | data[i];
		/* Every other input: a seq within range, to reach the success path. */
		if (data[0] & 0x80)
			seq %= SEQ_MAX + 1;
		check_encode(any_run, seq);
	}
	return 0;
}
