/* libFuzzer harness for route_parse (collector/route.h): every request the
 * web page gets goes through it, from anyone on the network web.listen
 * opens to.
 *
 * Input: lines. The first is the method, the second the path, each further
 * line one query argument "key=value" ("key" alone: value ""). Beyond "no
 * crash", it checks the contract: the status is one route.h names, a
 * refusal has a one-line message, and an accepted request holds what its
 * route promises (a session id 1..2^53, a valid device id or none, since
 * not after until). */
#include "config.h"
#include "route.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* The line at *cur (the text holds NUL for each '\n'), or "" past end;
 * *cur moves to the next line. */
static char *line_take(char **cur, const char *end)
{
	char *line = *cur;

	if (line >= end)
		return (char *)"";
	*cur = line + strlen(line) + 1;
	return line;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct route_arg args[ROUTE_ARGS_MAX + 8];
	char *text, *cur, *end, *method, *path;
	size_t n_args = 0;
	struct route r;
	char msg[256];
	int status;

	if (size > 8192)
		return -1;
	text = malloc(size + 1);
	if (!text)
		return -1;
	memcpy(text, data, size);
	text[size] = '\0';
	for (size_t i = 0; i < size; i++)
		if (text[i] == '\n')
			text[i] = '\0';
	cur = text;
	end = text + size;
	method = line_take(&cur, end);
	path = line_take(&cur, end);
	while (cur < end && n_args < ROUTE_ARGS_MAX + 8) {
		char *key = line_take(&cur, end), *eq = strchr(key, '=');

		if (eq)
			*eq++ = '\0';
		args[n_args++] = (struct route_arg){ key, eq ? eq : "" };
	}
	status = route_parse(method, path, args, n_args, &r, msg, sizeof(msg));
	if (status != 200 && status != 400 && status != 404 && status != 405 && status != 414)
		abort();
	if (status != 200 && (msg[0] == '\0' || strchr(msg, '\n') || strlen(msg) >= sizeof(msg)))
		abort();
	if (status == 200) {
		if ((r.kind == ROUTE_SESSION || r.kind == ROUTE_API_SESSION) &&
		    (r.session_id < 1 || r.session_id > 9007199254740992LL))
			abort();
		if (r.device[0] != '\0' && !config_device_id_valid(r.device))
			abort();
		if (r.kind == ROUTE_COMMAND && r.device[0] == '\0')
			abort();
		if (!(r.since_ts <= r.until_ts))
			abort();
	}
	free(text);
	return 0;
}
