/* UTF-8 as RFC 3629 defines it: the wire contract refuses ill-formed text
 * and the writers mend it to U+FFFD (docs/protocol.md). */
#ifndef ROLLSENSE_UTF8_H
#define ROLLSENSE_UTF8_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Reads one character at s[0..n), n >= 1. Returns how many bytes it takes
 * and sets *ok when it is well formed; otherwise returns the length of the
 * ill-formed piece to replace with one U+FFFD (at least 1), as Unicode
 * §3.9's "maximal subpart" practice does. */
size_t utf8_char(const unsigned char *s, size_t n, bool *ok);
/* Whether s[0..n) is well-formed UTF-8 throughout. */
bool utf8_valid(const char *s, size_t n);
/* Writes code point cp (at most U+10FFFF, not a surrogate: the caller
 * checks) as UTF-8 into out; returns its length, 1 to 4. */
size_t utf8_encode(uint32_t cp, char out[4]);

#endif
