/*
 * "Basic " and the base64 (RFC 4648, padded) of some bytes: the header a
 * client sends, written apart from the decoder under test so that the
 * unit test and the fuzz target check it against something independent.
 */
#ifndef TOKENTAIL_BASIC_REFERENCE_H
#define TOKENTAIL_BASIC_REFERENCE_H

#include <stddef.h>
#include <string.h>

#define BASIC_REFERENCE_SCHEME "Basic "

/* Bytes basic_reference() writes for n bytes, the NUL included. */
static inline size_t basic_reference_size(size_t n)
{
    return sizeof(BASIC_REFERENCE_SCHEME) + (n + 2) / 3 * 4;
}

/* Writes the header for n bytes of s into out (basic_reference_size(n)
 * bytes, borrowed); returns out. */
static inline char *basic_reference(const char *s, size_t n, char *out)
{
    static const char digits[] =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    size_t o = sizeof(BASIC_REFERENCE_SCHEME) - 1;
    memcpy(out, BASIC_REFERENCE_SCHEME, o);
    for (size_t i = 0; i < n; i += 3) {
        unsigned v = (unsigned)(unsigned char)s[i] << 16;
        if (i + 1 < n)
            v |= (unsigned)(unsigned char)s[i + 1] << 8;
        if (i + 2 < n)
            v |= (unsigned char)s[i + 2];
        out[o++] = digits[v >> 18 & 63];
        out[o++] = digits[v >> 12 & 63];
        out[o++] = i + 1 < n ? digits[v >> 6 & 63] : '=';
        out[o++] = i + 2 < n ? digits[v & 63] : '=';
    }
    out[o] = '\0';
    return out;
}

#endif
