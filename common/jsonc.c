/* JSON with comments (jsonc.h). Comments are blanked rather than removed so
 * that cJSON's error offsets still point at the user's line and column;
 * cJSON_Minify is not used because 1.7.15 misreads a string ending in an
 * escaped backslash ("C:\\") and would then strip real text. */
#include "jsonc.h"

#include <string.h>

void jsonc_position(const char *text, size_t offset, unsigned *line, unsigned *column)
{
	*line = 1;
	*column = 1;
	for (size_t i = 0; i < offset; i++) {
		if (text[i] == '\n') {
			(*line)++;
			*column = 1;
		} else {
			(*column)++;
		}
	}
}

int jsonc_strip_comments(char *text, size_t len, size_t *bad_at, const char **why)
{
	size_t i = 0;

	while (i < len) {
		if (text[i] == '"') {
			for (i++; i < len && text[i] != '"'; i++) {
				if (text[i] != '\\')
					continue;
				/* cJSON would end the string at the NUL and
				 * silently drop the rest of it. */
				if (i + 5 < len && memcmp(text + i + 1, "u0000", 5) == 0) {
					*bad_at = i;
					*why = "\\u0000 in a string is not allowed";
					return -1;
				}
				i++;
			}
			i++;
		} else if (text[i] == '/' && i + 1 < len && text[i + 1] == '/') {
			while (i < len && text[i] != '\n')
				text[i++] = ' ';
		} else if (text[i] == '/' && i + 1 < len && text[i + 1] == '*') {
			/* The end is looked for after the opening pair, never sharing its star. */
			const char *close = memmem(text + i + 2, len - i - 2, "*/", 2);

			if (close == NULL) {
				*bad_at = i;
				*why = "a /* comment is never closed";
				return -1;
			}
			for (; text + i < close + 2; i++)
				if (text[i] != '\n')
					text[i] = ' ';
		} else {
			i++;
		}
	}
	return 0;
}
