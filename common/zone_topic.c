/* The retained zone topic's payload: see zone_topic.h. */
#include "zone_topic.h"

#include <cJSON.h>

char *zone_topic_payload(const struct zones_cfg *z, const char *zone)
{
	cJSON *o = cJSON_CreateObject();
	int i = zone[0] ? zones_find(z, zone) : -1;
	char *out = NULL;

	if (!o)
		return NULL;
	if (!(zone[0] ? cJSON_AddStringToObject(o, "zone", zone) : cJSON_AddNullToObject(o, "zone")) ||
	    !(zone[0] ? cJSON_AddStringToObject(o, "label", zones_label(z, zone)) :
			cJSON_AddNullToObject(o, "label")) ||
	    !cJSON_AddNumberToObject(o, "position", i < 0 ? 0 : i + 1) ||
	    !cJSON_AddNumberToObject(o, "of", (double)z->n))
		goto out;
	out = cJSON_PrintUnformatted(o);
out:
	cJSON_Delete(o);
	return out;
}
