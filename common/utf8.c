/* UTF-8 (RFC 3629): what reading.c and the web side check and mend. */
#include "utf8.h"

/* Reads one character at s[0..n), n >= 1. Returns how many bytes it takes
 * and sets *ok when it is well formed; otherwise returns the length of the
 * ill-formed piece to replace with one U+FFFD (at least 1: the bytes that
 * could still have begun a character, then stop at the first that cannot,
 * as Unicode §3.9's "maximal subpart" practice does).
 *
 * RFC 3629 §4: a lead byte gives the length and the second byte's range
 * (leads[]); every later byte is 80..BF. The narrowed ranges after E0 and F0
 * refuse overlong forms, after ED the surrogates U+D800..DFFF, after F4
 * code points above U+10FFFF; C0, C1 and F5..FF never begin a character. */
size_t utf8_char(const unsigned char *s, size_t n, bool *ok)
{
	static const struct {
		unsigned char first, last;	/* lead bytes */
		unsigned char lo, hi;		/* the second byte's range */
		size_t len;
	} leads[] = {
		{ 0xC2, 0xDF, 0x80, 0xBF, 2 }, { 0xE0, 0xE0, 0xA0, 0xBF, 3 },
		{ 0xE1, 0xEC, 0x80, 0xBF, 3 }, { 0xED, 0xED, 0x80, 0x9F, 3 },
		{ 0xEE, 0xEF, 0x80, 0xBF, 3 }, { 0xF0, 0xF0, 0x90, 0xBF, 4 },
		{ 0xF1, 0xF3, 0x80, 0xBF, 4 }, { 0xF4, 0xF4, 0x80, 0x8F, 4 },
	};
	unsigned char c = s[0], lo, hi;
	size_t k = 0;

	*ok = c < 0x80;
	if (*ok)
		return 1;
	while (k < sizeof(leads) / sizeof(leads[0]) && !(c >= leads[k].first && c <= leads[k].last))
		k++;
	if (k == sizeof(leads) / sizeof(leads[0]))
		return 1;	/* a continuation byte alone, C0, C1, F5..FF */
	lo = leads[k].lo;
	hi = leads[k].hi;
	for (size_t i = 1; i < leads[k].len; i++) {
		if (i >= n || s[i] < lo || s[i] > hi)
			return i;
		lo = 0x80;
		hi = 0xBF;
	}
	*ok = true;
	return leads[k].len;
}

bool utf8_valid(const char *s, size_t n)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t i = 0;
	bool ok = true;

	while (i < n && ok) {
		if (p[i] < 0x80)
			i++;	/* JSON is mostly ASCII */
		else
			i += utf8_char(p + i, n - i, &ok);
	}
	return ok;
}

size_t utf8_encode(uint32_t cp, char out[4])
{
	/* RFC 3629 §3: the lead byte's marker by length, then 6 bits a byte. */
	static const unsigned char marker[] = { 0, 0x00, 0xC0, 0xE0, 0xF0 };
	size_t n = cp < 0x80 ? 1 : cp < 0x800 ? 2 : cp < 0x10000 ? 3 : 4;

	for (size_t i = n - 1; i > 0; i--) {
		out[i] = (char)(0x80 | (cp & 0x3F));
		cp >>= 6;
	}
	out[0] = (char)(marker[n] | cp);
	return n;
}
