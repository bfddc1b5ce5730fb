#include "textbuf.h"

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "utf8.h"

void textbuf_init(struct textbuf *b, size_t limit)
{
	memset(b, 0, sizeof(*b));
	b->limit = limit;
}

void textbuf_free(struct textbuf *b)
{
	free(b->data);
	textbuf_init(b, b->limit);
}

void textbuf_reset(struct textbuf *b)
{
	b->len = 0;
	b->failed = false;
	if (b->data)
		b->data[0] = '\0';
}

/* Room for n more bytes and the NUL; false (and failed) if not. */
static bool reserve(struct textbuf *b, size_t n)
{
	size_t need, cap;
	char *grown;

	if (b->failed)
		return false;
	if (n > SIZE_MAX / 2 - b->len || (b->limit && b->len + n > b->limit)) {
		b->failed = true;
		return false;
	}
	need = b->len + n + 1;
	if (need <= b->cap)
		return true;
	cap = b->cap ? b->cap : 256;
	while (cap < need)
		cap *= 2;
	grown = realloc(b->data, cap);
	if (!grown) {
		b->failed = true;
		return false;
	}
	b->data = grown;
	b->cap = cap;
	return true;
}

void textbuf_add(struct textbuf *b, const void *bytes, size_t n)
{
	if (!reserve(b, n))
		return;
	memcpy(b->data + b->len, bytes, n);
	b->len += n;
	b->data[b->len] = '\0';
}

void textbuf_puts(struct textbuf *b, const char *s)
{
	textbuf_add(b, s, strlen(s));
}

void textbuf_printf(struct textbuf *b, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (b->failed)
		return;
	va_start(ap, fmt);
	n = vsnprintf(b->data ? b->data + b->len : NULL, b->data ? b->cap - b->len : 0, fmt, ap);
	va_end(ap);
	if (n < 0) {
		b->failed = true;
		return;
	}
	if (b->data && (size_t)n < b->cap - b->len) {
		if (b->limit && b->len + (size_t)n > b->limit) {
			b->data[b->len] = '\0';
			b->failed = true;
			return;
		}
		b->len += (size_t)n;
		return;
	}
	if (!reserve(b, (size_t)n))
		return;
	va_start(ap, fmt);
	vsnprintf(b->data + b->len, b->cap - b->len, fmt, ap);
	va_end(ap);
	b->len += (size_t)n;
}

void textbuf_html(struct textbuf *b, const char *s)
{
	const char *run = s;

	for (; *s; s++) {
		const char *ref;

		switch (*s) {
		case '&': ref = "&amp;"; break;
		case '<': ref = "&lt;"; break;
		case '>': ref = "&gt;"; break;
		case '"': ref = "&quot;"; break;
		case '\'': ref = "&#39;"; break;
		default: continue;
		}
		textbuf_add(b, run, (size_t)(s - run));
		textbuf_puts(b, ref);
		run = s + 1;
	}
	textbuf_add(b, run, (size_t)(s - run));
}

void textbuf_json_string(struct textbuf *b, const char *s)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t n = strlen(s), i = 0, run = 0;

	textbuf_add(b, "\"", 1);
	while (i < n) {
		unsigned char c = p[i];
		size_t len;
		bool ok;
		char esc[8];

		if (c >= 0x80) {
			len = utf8_char(p + i, n - i, &ok);
			if (!ok) {
				textbuf_add(b, s + run, i - run);
				textbuf_add(b, "\xEF\xBF\xBD", 3);
				run = i + len;
			}
			i += len;
			continue;
		}
		if (c != '"' && c != '\\' && c >= 0x20) {
			i++;
			continue;
		}
		textbuf_add(b, s + run, i - run);
		if (c == '"' || c == '\\') {
			esc[0] = '\\';
			esc[1] = (char)c;
			textbuf_add(b, esc, 2);
		} else {
			snprintf(esc, sizeof(esc), "\\u%04x", c);
			textbuf_add(b, esc, 6);
		}
		run = ++i;
	}
	textbuf_add(b, s + run, n - run);
	textbuf_add(b, "\"", 1);
}

const char *textbuf_text(const struct textbuf *b)
{
	return b->data && !b->failed ? b->data : "";
}

bool textbuf_failed(const struct textbuf *b)
{
	return b->failed;
}

char *textbuf_take(struct textbuf *b, size_t *len)
{
	char *text;

	if (b->failed || !reserve(b, 0)) {
		textbuf_free(b);
		return NULL;
	}
	text = b->data;
	text[b->len] = '\0';	/* a buffer never written has no NUL yet */
	if (len)
		*len = b->len;
	b->data = NULL;
	b->len = b->cap = 0;
	return text;
}
