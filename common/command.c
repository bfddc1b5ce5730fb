/* The command topic's messages: see command.h. */
#include "command.h"

#include <stdio.h>
#include <string.h>

#include <cJSON.h>

/* {"zone": ...}: a configured name, "none" or null. */
static int parse_zone(const cJSON *v, const struct zones_cfg *zones, struct command *out, char *why,
		      size_t why_len)
{
	out->kind = COMMAND_ZONE;
	out->zone[0] = '\0';
	if (cJSON_IsNull(v) || (cJSON_IsString(v) && strcmp(v->valuestring, ZONE_NONE) == 0))
		return 0;
	if (!cJSON_IsString(v)) {
		snprintf(why, why_len, "\"zone\" must be a zone name, \"none\" or null");
		return -1;
	}
	if (!zone_name_valid(v->valuestring)) {
		snprintf(why, why_len, "\"zone\": not a zone name ([a-z0-9_], 1 to %d characters)",
			 ZONE_NAME_MAX);
		return -1;
	}
	if (zones_find(zones, v->valuestring) < 0) {
		if (zones->n == 0)
			snprintf(why, why_len, "\"zone\": zones are off (the configuration's list is empty)");
		else
			snprintf(why, why_len, "\"zone\": %s is not in the configuration's zones",
				 v->valuestring);
		return -1;
	}
	snprintf(out->zone, sizeof(out->zone), "%s", v->valuestring);
	return 0;
}

int command_parse(const char *payload, size_t len, const struct zones_cfg *zones,
		  struct command *out, char *why, size_t why_len)
{
	cJSON *j, *item;
	int rc = -1;

	memset(out, 0, sizeof(*out));
	if (len == 4 && memcmp(payload, "tare", 4) == 0) {
		out->kind = COMMAND_TARE;
		return 0;
	}
	if (len > COMMAND_MAX_BYTES) {
		snprintf(why, why_len, "%zu bytes, longer than any command (%d)", len, COMMAND_MAX_BYTES);
		return -1;
	}
	if (len == 0 || memchr(payload, '\0', len)) {
		snprintf(why, why_len, len ? "a NUL byte in it" : "empty");
		return -1;
	}
	j = cJSON_ParseWithLength(payload, len);
	if (!j) {
		snprintf(why, why_len, "neither \"tare\" nor JSON");
		return -1;
	}
	if (!cJSON_IsObject(j)) {
		snprintf(why, why_len, "JSON, but not an object");
		goto out;
	}
	item = j->child;
	if (!item) {
		snprintf(why, why_len, "an empty object: \"zone\" or \"command\" expected");
		goto out;
	}
	if (item->next) {
		snprintf(why, why_len, "more than one key: one of \"zone\" or \"command\" expected");
		goto out;
	}
	if (strcmp(item->string, "zone") == 0) {
		rc = parse_zone(item, zones, out, why, why_len);
	} else if (strcmp(item->string, "command") == 0) {
		if (!cJSON_IsString(item))
			snprintf(why, why_len, "\"command\" must be a string");
		else if (strcmp(item->valuestring, "tare") != 0)
			snprintf(why, why_len, "\"command\": unknown command (known: tare)");
		else
			rc = 0;
		out->kind = COMMAND_TARE;
	} else {
		snprintf(why, why_len, "unknown key (known: zone, command)");
	}
out:
	cJSON_Delete(j);
	return rc;
}
