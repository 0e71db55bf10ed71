/*
 * The Authorization header of Basic authentication (RFC 7617): the scheme,
 * then the base64 of "user:password". Read as Go's net/http reads it, so
 * that a client exporter-toolkit admits is admitted here too: the scheme
 * in any case, padded standard base64, the user up to the first ':'.
 */
#include <errno.h>
#include <stdbool.h>
#include <string.h>
#include <strings.h>

#include "auth.h"

#define SCHEME     "Basic"
#define SCHEME_LEN (sizeof(SCHEME) - 1)

/* The value of a base64 digit, or -1. */
static int digit(unsigned char c)
{
    if (c >= 'A' && c <= 'Z')
        return c - 'A';
    if (c >= 'a' && c <= 'z')
        return c - 'a' + 26;
    if (c >= '0' && c <= '9')
        return c - '0' + 52;
    if (c == '+')
        return 62;
    if (c == '/')
        return 63;
    return -1;
}

/* Decodes one group of four characters (s, with n of them not '=') into
 * out; returns the bytes written, or -1. */
static int decode_quad(const char *s, int n, unsigned char *out)
{
    unsigned v = 0;
    for (int i = 0; i < 4; i++) {
        int d = i < n ? digit((unsigned char)s[i]) : 0;
        if (d < 0)
            return -1;
        v = v << 6 | (unsigned)d;
    }
    out[0] = (unsigned char)(v >> 16);
    out[1] = (unsigned char)(v >> 8);
    out[2] = (unsigned char)v;
    return n - 1;
}

/* Decodes len characters of padded base64 into out (cap bytes, one kept
 * for a NUL); returns the bytes written or -1. */
static long decode(const char *s, size_t len, unsigned char *out, size_t cap)
{
    if (len % 4 != 0 || len / 4 * 3 >= cap)
        return -1;
    size_t n = 0;
    for (size_t i = 0; i < len; i += 4) {
        int chars = 4;
        if (i + 4 == len) /* only the last group may be padded */
            while (chars > 2 && s[i + (size_t)chars - 1] == '=')
                chars--;
        int got = decode_quad(s + i, chars, out + n);
        if (got < 0)
            return -1;
        n += (size_t)got;
    }
    return (long)n;
}

int auth_parse_basic(const char *authorization, char *buf, size_t cap,
                     struct auth_basic *out)
{
    if (authorization == NULL)
        return -ENOENT;
    const char *p = authorization;
    if (strncasecmp(p, SCHEME, SCHEME_LEN) != 0 || p[SCHEME_LEN] != ' ')
        return -EINVAL;
    p += SCHEME_LEN;
    while (*p == ' ')
        p++;
    size_t len = strnlen(p, AUTH_MAX_HEADER_BYTES + 1);
    if (len > AUTH_MAX_HEADER_BYTES)
        return -EINVAL;
    while (len > 0 && (p[len - 1] == ' ' || p[len - 1] == '\t'))
        len--;
    long n = decode(p, len, (unsigned char *)buf, cap);
    if (n < 0)
        return -EINVAL;
    buf[n] = '\0';
    if (memchr(buf, '\0', (size_t)n) != NULL)
        return -EINVAL; /* crypt would read only up to it */
    char *colon = memchr(buf, ':', (size_t)n);
    if (colon == NULL || colon == buf)
        return -EINVAL;
    *colon = '\0';
    *out = (struct auth_basic){
        .user = buf,
        .user_len = (size_t)(colon - buf),
        .password = colon + 1,
        .password_len = (size_t)(buf + n - (colon + 1)),
    };
    return 0;
}
