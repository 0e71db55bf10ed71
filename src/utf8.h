/*
 * UTF-8 validation, for what tokentail prints: label values in the
 * exposition and strings in the health document must be valid UTF-8
 * whatever bytes the logs held; and encoding, for the escapes of JSON
 * and PromQL strings.
 */
#ifndef TOKENTAIL_UTF8_H
#define TOKENTAIL_UTF8_H

#include <stddef.h>

/* The replacement character U+FFFD, encoded. */
#define UTF8_REPLACEMENT     "\xef\xbf\xbd"
#define UTF8_REPLACEMENT_LEN 3

/*
 * Length of the well-formed UTF-8 sequence at s (n > 0 bytes available),
 * or 0 when the bytes there are not one (overlong forms, surrogates and
 * code points past U+10FFFF included). A NUL byte counts as malformed.
 */
size_t utf8_seq(const unsigned char *s, size_t n);

/*
 * Where utf8_seq() found no sequence: the length (at least 1) of the
 * maximal ill-formed subpart at s, which one U+FFFD replaces. This is the
 * practice the Unicode Standard recommends (chapter 3, "U+FFFD
 * Substitution of Maximal Subparts") and Python and browsers follow.
 */
size_t utf8_bad_len(const unsigned char *s, size_t n);

/* Writes code point cp (at most U+10FFFF) as UTF-8 to out, which must
 * hold 4 bytes; returns the bytes written. */
size_t utf8_encode(unsigned long cp, char *out);

#endif
