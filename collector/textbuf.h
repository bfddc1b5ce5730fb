/* A growing text buffer for what the web side writes: pages, SVG, JSON,
 * Server-Sent Event frames. Writes never fail one by one: an allocation
 * that fails, or growth beyond the buffer's limit, marks it failed, later
 * writes do nothing, and the writer checks textbuf_failed() once at the end
 * (a page is whole or not sent). The text is always NUL-terminated. */
#ifndef ROLLSENSE_TEXTBUF_H
#define ROLLSENSE_TEXTBUF_H

#include <stdbool.h>
#include <stddef.h>

struct textbuf {
	char *data;		/* NULL until the first write; NUL-terminated after */
	size_t len;		/* bytes written, without the NUL */
	size_t cap;
	size_t limit;		/* len never grows past this (0: no limit) */
	bool failed;
};

/* An empty buffer that refuses to hold more than limit bytes (0: any). */
void textbuf_init(struct textbuf *b, size_t limit);
/* Frees the text; the buffer is empty (and not failed) again. */
void textbuf_free(struct textbuf *b);
/* Drops the text but keeps the memory, for writing the next frame. */
void textbuf_reset(struct textbuf *b);

void textbuf_add(struct textbuf *b, const void *bytes, size_t n);
void textbuf_puts(struct textbuf *b, const char *s);
void textbuf_printf(struct textbuf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* s with & < > " ' written as character references, for HTML text and
 * attribute values alike. */
void textbuf_html(struct textbuf *b, const char *s);
/* s as a JSON string, quotes included: " \ and control characters escaped,
 * and each byte that is not part of well-formed UTF-8 written as U+FFFD. */
void textbuf_json_string(struct textbuf *b, const char *s);

/* The text so far: never NULL ("" when empty). */
const char *textbuf_text(const struct textbuf *b);
bool textbuf_failed(const struct textbuf *b);

/* Hands the text over: the caller frees it with free(). *len (if not NULL)
 * gets its length. The buffer is empty after. NULL if the buffer failed
 * (then it is emptied too) or on no memory. */
char *textbuf_take(struct textbuf *b, size_t *len);

#endif
