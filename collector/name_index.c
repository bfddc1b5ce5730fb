/* An index by name (name_index.h). */
#include "name_index.h"

#include <string.h>

void name_index_init(struct name_index *x, const char *first_name, size_t stride)
{
	memset(x->slot, 0, sizeof(x->slot));
	x->first = first_name;
	x->stride = stride;
}

int name_index_find(const struct name_index *x, const char *name, size_t *slot)
{
	uint32_t h = 2166136261u;	/* FNV-1a */
	size_t i;

	for (const char *p = name; *p; p++)
		h = (h ^ (unsigned char)*p) * 16777619u;
	for (i = h & (NAME_INDEX_SLOTS - 1); x->slot[i]; i = (i + 1) & (NAME_INDEX_SLOTS - 1)) {
		size_t entry = x->slot[i] - 1u;

		if (strcmp(x->first + entry * x->stride, name) == 0)
			return (int)entry;
	}
	*slot = i;
	return -1;
}

void name_index_add(struct name_index *x, size_t slot, size_t entry)
{
	x->slot[slot] = (uint8_t)(entry + 1);
}
