/* An index by name over up to NAME_INDEX_MAX entries of an array, each with
 * its name at the same place (a device id), for the lookups the collector
 * makes per message (shared_id, homeassistant): a search in a line compared
 * every name each time once there were more devices than are followed. */
#ifndef ROLLSENSE_NAME_INDEX_H
#define ROLLSENSE_NAME_INDEX_H

#include <stddef.h>
#include <stdint.h>

#define NAME_INDEX_MAX 64
/* Open addressing, at most half full: a power of two, twice the entries. */
#define NAME_INDEX_SLOTS 128

struct name_index {
	uint8_t slot[NAME_INDEX_SLOTS];	/* 0 empty, else 1 + an entry's number */
	const char *first;		/* entry i's name is at first + i * stride */
	size_t stride;
};

/* first_name: entry 0's name in the array; stride: the entries' size. */
void name_index_init(struct name_index *x, const char *first_name, size_t stride);
/* The number of the entry named name, or -1 with *slot set to where it
 * goes (name_index_add). */
int name_index_find(const struct name_index *x, const char *name, size_t *slot);
/* Entry number entry, its name written, goes at slot (< NAME_INDEX_MAX
 * entries in all). */
void name_index_add(struct name_index *x, size_t slot, size_t entry);

#endif
