/*
 * The request-line gate (http_gate_judge in src/http_gate.c), which sees the
 * first bytes of every connection before libmicrohttpd does. For the input
 * and some of its prefixes:
 *   - the verdict is -1, 0 or 1;
 *   - -1 is final: more bytes never make a refused line acceptable;
 *   - 1 is final: more bytes never take an accepted line back (below
 *     GATE_PEEK, where 1 may also mean "too long to judge here");
 *   - from GATE_PEEK bytes on the verdict is not 0: the gate never peeks
 *     at more, so "too early to tell" would leave the client waiting;
 *   - 1 below GATE_PEEK means the first line (after empty ones) really is
 *     METHOD SP TARGET SP HTTP/d.d, checked here independently.
 * And the same again with the input behind "GET /aaa...", so that its
 * bytes are where the gate stops peeking.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "http_gate.h"
#include "harness.h"

#define GATE_PEEK 2048 /* src/http.c: the bytes the gate peeks at */

static bool token_char(unsigned char c)
{
    return c > ' ' && c < 0x7f && !strchr("\"(),/:;<=>?@[\\]{}", c);
}

/* Whether p (n bytes) begins, after CR and LF, with a whole request line. */
static bool request_line(const char *p, size_t n)
{
    const char *e = p + n, *sp;
    while (p < e && (*p == '\r' || *p == '\n'))
        p++;
    const char *nl = memchr(p, '\n', (size_t)(e - p));
    if (nl == NULL)
        return false;
    if (nl > p && nl[-1] == '\r')
        nl--;
    /* METHOD */
    for (sp = p; sp < nl && token_char((unsigned char)*sp); sp++)
        ;
    if (sp == p || sp == nl || *sp != ' ')
        return false;
    /* TARGET: visible ASCII */
    for (p = ++sp; sp < nl && (unsigned char)*sp > ' ' && *sp != 0x7f; sp++)
        if ((unsigned char)*sp >= 0x80)
            return false;
    if (sp == p || sp == nl || *sp != ' ')
        return false;
    /* HTTP/d.d and nothing else */
    p = sp + 1;
    return nl - p == 8 && memcmp(p, "HTTP/", 5) == 0 && p[5] >= '0' &&
           p[5] <= '9' && p[6] == '.' && p[7] >= '0' && p[7] <= '9';
}

static int judge(const char *p, size_t n)
{
    int v = http_gate_judge(p, n);
    if (v == HTTP_GATE_TLS) {
        if (n < 2 || p[0] != 0x16 || p[1] != 0x03)
            fuzz_fail("a TLS record seen in %zu bytes without one", n);
        return 1; /* a prefix of a TLS record is one too */
    }
    if (v < -1 || v > 1)
        fuzz_fail("verdict %d for %zu bytes", v, n);
    if (v == 0 && n >= GATE_PEEK)
        fuzz_fail("too early to tell after %zu bytes", n);
    if (v == 1 && n < GATE_PEEK && !request_line(p, n))
        fuzz_fail("accepted %zu bytes without a request line", n);
    return v;
}

/* Judges the first n bytes of p, then checks they agree with all size. */
static void prefix(const char *p, size_t n, size_t size, int whole)
{
    int v = judge(p, n);
    if (v == -1 && whole != -1)
        fuzz_fail("refused at %zu bytes, not at %zu", n, size);
    if (v == 1 && n < GATE_PEEK && whole != 1)
        fuzz_fail("accepted at %zu bytes, not at %zu", n, size);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    /* As it is: every prefix of a short input, about 128 of a long one. */
    const char *in = (const char *)data;
    int whole = judge(in, size);
    for (size_t n = 0; n < size; n += size <= 256 ? 1 : size / 128)
        prefix(in, n, size, whole);

    /* Behind "GET /aaa...", so that the input's first SHIFT bytes end
     * where the gate stops peeking: judged there and around it. */
    enum { SHIFT = 32, PAD = GATE_PEEK - SHIFT };
    static const char start[] = "GET /";
    size_t len = PAD + size;
    char *p = fuzz_alloc(len);
    memcpy(p, start, sizeof(start) - 1);
    memset(p + sizeof(start) - 1, 'a', PAD - (sizeof(start) - 1));
    memcpy(p + PAD, data, size);
    whole = judge(p, len);
    for (size_t n = GATE_PEEK - 4; n <= GATE_PEEK + 4 && n < len; n++)
        prefix(p, n, len, whole);
    free(p);
    return 0;
}
