/* The pressure zeros kept across runs: see zero_state.h. */
#include "zero_state.h"

#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "file.h"

/* A line is under 64 bytes plus a key: a file beyond this is not ours. */
#define ZERO_FILE_MAX ((size_t)CONFIG_MAX_SENSORS * (sizeof(((struct sensor_cfg *)0)->key) + 64))

static uint64_t fnv1a(uint64_t h, const void *data, size_t len)
{
	const unsigned char *p = data;

	for (size_t i = 0; i < len; i++) {
		h ^= p[i];
		h *= 0x100000001b3ULL;
	}
	return h;
}

uint64_t zero_state_fingerprint(const struct sensor_cfg *sc, bool gas_law)
{
	uint64_t h = 0xcbf29ce484222325ULL;
	unsigned char gas = gas_law;

	h = fnv1a(h, sc->driver, strnlen(sc->driver, sizeof(sc->driver)));
	h = fnv1a(h, sc->options, sizeof(sc->options));
	return fnv1a(h, &gas, 1);
}

/* One line, NUL-terminated in place: 0 with its fields, -1 malformed. */
static int line_parse(char *line, struct zero_state_entry *e)
{
	char *end;

	errno = 0;
	e->zero.p0_kpa = strtod(line, &end);
	if (end == line || *end != ' ' || errno || !isfinite(e->zero.p0_kpa))
		return -1;
	line = end + 1;
	e->zero.t0_k = strtod(line, &end);
	if (end == line || *end != ' ' || errno)
		return -1;
	line = end + 1;
	e->fingerprint = strtoull(line, &end, 16);
	if (end != line + 16 || *end != ' ' || errno)
		return -1;
	e->key = end + 1;
	return e->key[0] ? 0 : -1;
}

int zero_state_load(const char *path, const char *key, uint64_t fingerprint, struct gauge_zero *z,
		    char *why, size_t why_len)
{
	struct file_error fe;
	long long size;
	size_t len;
	char *text, *line, *next;
	int rc = 0;
	unsigned no = 0;

	why[0] = '\0';
	text = file_read_all(path, ZERO_FILE_MAX, &len, &size, &fe);
	if (!text) {
		if (fe.step == FILE_OPEN && fe.err == ENOENT)
			return 0;
		if (fe.step == FILE_TOO_BIG)
			snprintf(why, why_len, "%s: %lld bytes, not a zero file", path, size);
		else
			snprintf(why, why_len, "%s: %s", path, strerror(fe.err));
		return -1;
	}
	for (line = text; line < text + len && *line; line = next) {
		struct zero_state_entry e;

		next = strchr(line, '\n');
		next = next ? (*next = '\0', next + 1) : line + strlen(line);
		no++;
		if (line_parse(line, &e) < 0) {
			snprintf(why, why_len, "%s: line %u: not \"<p0_kpa> <t0_k> <fingerprint> <key>\"",
				 path, no);
			rc = -1;
			break;
		}
		if (strcmp(e.key, key) != 0)
			continue;
		if (e.fingerprint != fingerprint) {
			snprintf(why, why_len, "%s: line %u: saved for another configuration of %s",
				 path, no, key);
			break;
		}
		*z = e.zero;
		rc = 1;
		break;
	}
	free(text);
	return rc;
}

int zero_state_save(const char *path, const struct zero_state_entry *e, size_t n)
{
	char buf[ZERO_FILE_MAX];
	size_t used = 0;

	for (size_t i = 0; i < n; i++) {
		int len = snprintf(buf + used, sizeof(buf) - used, "%.6f %.4f %016" PRIx64 " %s\n",
				   e[i].zero.p0_kpa, e[i].zero.t0_k, e[i].fingerprint, e[i].key);

		if (len < 0 || (size_t)len >= sizeof(buf) - used)
			return -ENAMETOOLONG;
		used += (size_t)len;
	}
	return file_save_atomic(path, buf, used);
}
