/* JSON with comments: // and block comments blanked out in place. */
#ifndef ROLLSENSE_JSONC_H
#define ROLLSENSE_JSONC_H

#include <stddef.h>

/* Blanks // and block comments in text (len bytes) with spaces, keeping
 * newlines, so offsets stay those of the file. Strings are skipped with their
 * escapes. Returns 0, or -1 with *bad_at (an offset) and *why (a static
 * message) set: an unclosed comment, or \u0000 in a string. */
int jsonc_strip_comments(char *text, size_t len, size_t *bad_at, const char **why);

/* The 1-based line and column of offset in text. */
void jsonc_position(const char *text, size_t offset, unsigned *line, unsigned *column);

#endif
