/* The current zone's pieces without a daemon: see zone_state.h. */
#include "zone_state.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "file.h"

/* A saved zone is a name and a newline: anything much longer is not ours. */
#define ZONE_FILE_MAX (ZONE_NAME_MAX + 16)

const char *zone_state_next(const struct zones_cfg *z, const char *current)
{
	int i;

	if (z->n == 0)
		return NULL;
	i = current[0] ? zones_find(z, current) : -1;
	return z->zone[i < 0 || (size_t)i + 1 >= z->n ? 0 : (size_t)i + 1].name;
}

int zone_state_load(const char *path, char zone[ZONE_NAME_MAX + 1], char *why, size_t why_len)
{
	struct file_error fe;
	long long size;
	size_t len;
	char *text;

	zone[0] = '\0';
	text = file_read_all(path, ZONE_FILE_MAX, &len, &size, &fe);
	if (!text) {
		if (fe.step == FILE_OPEN && fe.err == ENOENT)
			return 0;	/* never saved: no zone */
		if (fe.step == FILE_TOO_BIG)
			snprintf(why, why_len, "%s: %lld bytes, not a zone name", path, size);
		else
			snprintf(why, why_len, "%s: %s", path, strerror(fe.err));
		return -1;
	}
	if (len > 0 && text[len - 1] == '\n')
		text[--len] = '\0';
	if (len == 0) {
		free(text);
		return 0;
	}
	if (strlen(text) != len || !zone_name_valid(text)) {
		snprintf(why, why_len, "%s: not a zone name", path);
		free(text);
		return -1;
	}
	memcpy(zone, text, len + 1);
	free(text);
	return 0;
}

int zone_state_save(const char *path, const char *zone)
{
	char line[ZONE_NAME_MAX + 2];

	snprintf(line, sizeof(line), "%s%s", zone, zone[0] ? "\n" : "");
	return file_save_atomic(path, line, strlen(line));
}
