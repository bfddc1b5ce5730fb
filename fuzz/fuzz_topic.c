/* libFuzzer harness for topic_parse (common/topic.h): the collector splits
 * every topic a message arrives on, and the broker lets anyone publish.
 *
 * Input: the first byte picks one of a few prefixes (the default one, one
 * with levels, an empty one); the rest is the topic. Beyond "no crash", it
 * checks the contract: on success device and kind are NUL-terminated, fit
 * their buffers, the device obeys [A-Za-z0-9_-]{1,64}, and topic_build of
 * the parts gives the topic back byte for byte. */
#include "topic.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char *const prefixes[] = { "rollsense", "home/rollsense", "", "a+b" };

static int device_char_ok(char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
	       c == '_' || c == '-';
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char device[65], kind[32], rebuilt[4200];
	const char *prefix;
	char *topic;

	if (size == 0 || size > 4096)
		return -1;
	prefix = prefixes[data[0] % (sizeof(prefixes) / sizeof(prefixes[0]))];
	/* A topic from the broker is a C string: stop at the first NUL. */
	topic = malloc(size);
	if (!topic)
		return -1;
	memcpy(topic, data + 1, size - 1);
	topic[size - 1] = '\0';

	if (topic_parse(topic, prefix, device, sizeof(device), kind, sizeof(kind)) == 0) {
		size_t n = strnlen(device, sizeof(device));

		if (n == 0 || n >= sizeof(device) || strnlen(kind, sizeof(kind)) >= sizeof(kind))
			abort();
		for (size_t i = 0; i < n; i++)
			if (!device_char_ok(device[i]))
				abort();
		if (kind[0] == '\0' || strpbrk(kind, "/+#"))
			abort();
		if (topic_build(rebuilt, sizeof(rebuilt), prefix, device, kind) < 0 ||
		    strcmp(rebuilt, topic) != 0)
			abort();
	}
	/* Tiny buffers: a part that does not fit must be refused, not cut. */
	if (topic_parse(topic, prefix, device, 2, kind, 2) == 0 &&
	    (strlen(device) != 1 || strlen(kind) != 1))
		abort();
	free(topic);
	return 0;
}
