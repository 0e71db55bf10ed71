/*
 * The JSON scanner's first stage (json_index.c): every path marks exactly
 * the bits a byte-by-byte reading would, without reading past the line;
 * the path is chosen as documented; and the scanner on every path agrees
 * with the scanner as it was (json_previous.c) on the hostile corpus
 * (fuzz/corpus/json, whose directory is the first argument) and on a
 * million mutated lines — fewer under the sanitizers, valgrind or
 * TOKENTAIL_SLOW, where each line costs tens of times more, and in the
 * portable build.
 */
#include <dirent.h>
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "json_index.h"
#include "scan_compare.h"

#ifdef HAVE_VALGRIND_H /* tests/meson.build: where valgrind is installed */
#include <valgrind/valgrind.h>
#endif
#ifndef RUNNING_ON_VALGRIND
#define RUNNING_ON_VALGRIND 0
#endif
#if defined(__SANITIZE_ADDRESS__)
#define SANITIZED 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define SANITIZED 1
#endif
#endif
#ifndef SANITIZED
#define SANITIZED 0
#endif

static const char *corpus_dir;

/* A deterministic generator: the same lines on every run. */
static uint64_t rnd_state = 0x9e3779b97f4a7c15ULL;
static uint64_t rnd(void)
{
    rnd_state ^= rnd_state << 13;
    rnd_state ^= rnd_state >> 7;
    rnd_state ^= rnd_state << 17;
    return rnd_state;
}

/* Bytes a string scan treats differently, and their neighbours. */
static const unsigned char edge_bytes[] = {
    0x00, 0x01, 0x09, 0x0a, 0x0d, 0x1f, 0x20, 0x21, '"',  '\\',
    'u',  '{',  '}',  '[',  ']',  ':',  ',',  '0',  'a',  0x7e,
    0x7f, 0x80, 0xbf, 0xc3, 0xa9, 0xe0, 0xef, 0xf0, 0xfe, 0xff};

static void naive_index(const unsigned char *s, size_t n, uint64_t *stop,
                        uint64_t *high)
{
    size_t words = json_index_words(n);
    memset(stop, 0, words * sizeof(*stop));
    memset(high, 0, words * sizeof(*high));
    for (size_t i = 0; i < n; i++) {
        if (s[i] == '"' || s[i] == '\\' || s[i] < 0x20)
            stop[i / 64] |= 1ULL << (i % 64);
        if (s[i] >= 0x80)
            high[i / 64] |= 1ULL << (i % 64);
    }
    stop[n / 64] |= 1ULL << (n % 64);
}

/* Every length to 300 and some longer, at every alignment mod 8, each
 * buffer allocated to its exact size so that a read past it is caught
 * by the sanitizers and valgrind. */
static void test_bitmaps(void **state)
{
    (void)state;
    uint64_t want_s[40], want_h[40], got_s[40], got_h[40];
    size_t tried = 0;
    for (int p = JSON_INDEX_SSE2; p < JSON_INDEX_N_PATHS; p++) {
        if (!json_index_supported((enum json_index_path)p))
            continue;
        for (size_t n = 0; n <= 2000; n += n < 300 ? 1 : 97) {
            for (size_t shift = 0; shift < 8; shift++) {
                unsigned char *buf = malloc(shift + n + 1);
                assert_non_null(buf);
                unsigned char *s = buf + shift;
                for (size_t i = 0; i < n; i++)
                    s[i] = rnd() % 2 ? edge_bytes[rnd() % sizeof(edge_bytes)]
                                     : (unsigned char)rnd();
                naive_index(s, n, want_s, want_h);
                json_index_build((enum json_index_path)p, (const char *)s, n,
                                 got_s, got_h);
                size_t words = json_index_words(n);
                if (memcmp(want_s, got_s, words * 8) != 0 ||
                    memcmp(want_h, got_h, words * 8) != 0)
                    fail_msg("%s: wrong bits for %zu bytes",
                             json_index_name((enum json_index_path)p), n);
                free(buf);
                tried++;
            }
        }
    }
    /* x86-64 always has SSE2; elsewhere there is nothing to compare. */
    if (json_index_supported(JSON_INDEX_SSE2))
        assert_true(tried > 2000);
}

/* json_index_next and json_index_any against a bit-by-bit reading. */
static void test_search(void **state)
{
    (void)state;
    uint64_t bits[4];
    for (int round = 0; round < 2000; round++) {
        for (int w = 0; w < 4; w++)
            bits[w] = round % 3 == 0 ? rnd() & rnd() & rnd() : rnd() & rnd();
        if (round % 5 == 0)
            bits[1] = bits[2] = 0;
        bits[3] |= 1ULL << 63; /* the end: the search never runs past */
        size_t a = rnd() % 256, b = rnd() % 257;
        size_t next = a;
        while (!(bits[next / 64] >> (next % 64) & 1))
            next++;
        assert_int_equal(json_index_next(bits, a), next);
        bool any = false;
        for (size_t i = a; i < b; i++)
            any = any || (bits[i / 64] >> (i % 64) & 1);
        assert_int_equal(json_index_any(bits, a, b), any);
    }
}

static void test_choice(void **state)
{
    (void)state;
    enum json_index_path p, best = json_index_best();
    assert_true(json_index_supported(best));
    assert_int_equal(json_index_parse(NULL, &p), 0);
    assert_int_equal(p, best);
    assert_int_equal(json_index_parse("", &p), 0);
    assert_int_equal(p, best);
    assert_int_equal(json_index_parse("scalar", &p), 0);
    assert_int_equal(p, JSON_INDEX_SCALAR);
    assert_int_equal(json_index_parse("avx512", &p), -EINVAL);
    assert_int_equal(p, best);
    assert_int_equal(json_index_parse("AVX2", &p), -EINVAL);
    for (int k = 0; k < JSON_INDEX_N_PATHS; k++) {
        enum json_index_path want = (enum json_index_path)k;
        int rc = json_index_parse(json_index_name(want), &p);
        assert_int_equal(rc, json_index_supported(want) ? 0 : -ENOTSUP);
        assert_int_equal(p, json_index_supported(want) ? want : best);
    }
#if defined(__x86_64__) && !defined(JSON_PORTABLE)
    assert_true(best != JSON_INDEX_SSE2);
    assert_int_equal(best == JSON_INDEX_AVX2,
                     __builtin_cpu_supports("avx2") != 0);
#else
    assert_int_equal(best, JSON_INDEX_SCALAR);
#endif
    assert_string_equal(json_index_name(JSON_INDEX_AVX2), "avx2");
    assert_string_equal(json_index_name(JSON_INDEX_SSE2), "sse2");
}

static void compare_or_fail(struct scan_compare *c, const char *line, size_t n,
                            const char *what)
{
    const char *why = scan_compare_line(c, JSON_INDEX_N_PATHS, line, n);
    if (why != NULL)
        fail_msg("%s on %s (%zu bytes): %.*s", why, what, n,
                 (int)(n < 300 ? n : 300), line);
}

/* Lines no file of the corpus holds: quotes, escapes and control
 * characters on either side of a 64-byte block's edge, and lines longer
 * than the index is first made for. */
static void edge_lines(struct scan_compare *c)
{
    static const char *const inner[] = {
        "\\\"", "\\\\", "\\u00e9", "\\u00g9", "\x01", "\x1f", "\xc3\xa9",
        "\xff", "\\",   "\"",      "\\x",     "\t",   "\\/",  ""};
    char line[256];
    for (size_t k = 0; k < sizeof(inner) / sizeof(*inner); k++) {
        for (size_t pad = 50; pad < 140; pad++) {
            int n = snprintf(line, sizeof(line), "{\"s\": \"%*s%s\", \"n\": 1}",
                             (int)pad, "", inner[k]);
            compare_or_fail(c, line, (size_t)n, "an edge line");
        }
    }
    size_t big = 70000;
    char *long_line = malloc(big + 64);
    assert_non_null(long_line);
    for (int k = 0; k < 3; k++) {
        int n = sprintf(long_line, "{\"endpoint\": \"");
        memset(long_line + n, k == 2 ? (char)0xc3 : 'x', big);
        n += (int)big;
        n += sprintf(long_line + n, k == 1 ? "\x01\"}" : "\", \"n\": [1]}");
        compare_or_fail(c, long_line, (size_t)n, "a long line");
    }
    free(long_line);
}

/* Every file of the corpus whole and line by line, and the edge lines. */
static void test_hostile(void **state)
{
    (void)state;
    struct scan_compare c;
    assert_int_equal(scan_compare_new(&c), 0);
    DIR *d = opendir(corpus_dir);
    if (d == NULL)
        fail_msg("cannot open the corpus %s: %s", corpus_dir, strerror(errno));
    size_t files = 0;
    static char data[1 << 16];
    for (struct dirent *de; (de = readdir(d)) != NULL;) {
        char path[1024];
        if (de->d_name[0] == '.')
            continue;
        snprintf(path, sizeof(path), "%s/%s", corpus_dir, de->d_name);
        FILE *f = fopen(path, "rb");
        assert_non_null(f);
        size_t n = fread(data, 1, sizeof(data), f);
        fclose(f);
        compare_or_fail(&c, data, n, de->d_name);
        for (size_t at = 0; at < n;) {
            const char *nl = memchr(data + at, '\n', n - at);
            size_t len = nl != NULL ? (size_t)(nl - data) - at : n - at;
            compare_or_fail(&c, data + at, len, de->d_name);
            at += len + 1;
        }
        files++;
    }
    closedir(d);
    assert_true(files >= 50);
    edge_lines(&c);
    scan_compare_free(&c);
}

/* Up to four edits: a byte deleted, one inserted (mostly from those that
 * matter to JSON), one overwritten, or a short run duplicated. */
static size_t mutate(char *line, size_t n, size_t cap)
{
    int edits = (int)(rnd() % 5);
    for (int m = 0; m < edits; m++) {
        size_t at = n ? rnd() % n : 0, len;
        unsigned char b = rnd() % 4 ? edge_bytes[rnd() % sizeof(edge_bytes)]
                                    : (unsigned char)rnd();
        switch (rnd() % 4) {
        case 0:
            if (n > 0) {
                memmove(line + at, line + at + 1, n - at - 1);
                n--;
            }
            break;
        case 1:
            if (n + 1 < cap) {
                memmove(line + at + 1, line + at, n - at);
                line[at] = (char)b;
                n++;
            }
            break;
        case 2:
            if (at < n)
                line[at] = (char)b;
            break;
        default:
            len = rnd() % 12;
            if (at + len <= n && n + len < cap) {
                memmove(line + at + len, line + at, n - at);
                n += len;
            }
            break;
        }
    }
    return n;
}

/* A million in a normal build (about a second); a quarter of that for the
 * portable build, whose one path the normal build compares too. */
static size_t mutated_lines(void)
{
    const char *slow = getenv("TOKENTAIL_SLOW");
    size_t n = 1000000;
    if (RUNNING_ON_VALGRIND)
        n = 3000;
    else if (SANITIZED)
        n = 100000;
    else if (slow != NULL && atoi(slow) > 1)
        n /= (size_t)atoi(slow);
#ifdef JSON_PORTABLE
    n /= 4;
#endif
    return n;
}

static void test_mutated(void **state)
{
    static const char *const seeds[] = {
        "{\"timestamp\": \"2025-10-21T15:42:22.000Z\", \"level\": \"INFO\", "
        "\"logger\": \"app.routers.ai\", \"message\": \"AI rewrite request "
        "completed\", \"module\": \"ai\", \"function\": \"rewrite\", "
        "\"line\": 123, \"user_id\": \"user_29\", \"endpoint\": "
        "\"/api/v1/ai/rewrite\", \"method\": \"POST\", \"status_code\": 200, "
        "\"duration_ms\": 125.7, \"tokens_used\": 1604, \"model\": "
        "\"gpt-4o-mini\", \"cost_estimate\": 0.001604}",
        "{\"a\": {\"b\": {\"c\": \"deep\"}, \"x\": [1, 2.5e3, -0, true]}, "
        "\"s\": \"t\\u00e9xt \\\"q\\\" \\n caf\xc3\xa9\", \"n\": -12.5E-3}",
        "{\"s\": \"plain\", \"n\": 200, \"arr\": [{\"a\": 1}, [], {}, null], "
        "\"a\": 5, \"model\": NaN, \"cost_estimate\": Infinity}",
        "  {\"k\\\\x\": false, \"s\": \"\\ud83d\\ude00\", \"s\": \"last\"}\r",
        "{\"arr\": [[7, [8]], {\"a\": \"x\"}, 3, {\"a\": {\"b\": 1}}], "
        "\"a\": {\"x\": [1, [2], 3], \"b\": [0, {\"c\": true}]}, "
        "\"endpoint\": \"/caf\xc3\xa9/\\\"quoted\\\"/and a long tail to cross "
        "the edge of a block\"}",
    };
    (void)state;
    struct scan_compare c;
    assert_int_equal(scan_compare_new(&c), 0);
    char line[1024];
    size_t lines = mutated_lines(), accepted = 0;
    for (size_t iter = 0; iter < lines; iter++) {
        const char *seed = seeds[rnd() % (sizeof(seeds) / sizeof(*seeds))];
        size_t n = strlen(seed);
        memcpy(line, seed, n);
        n = mutate(line, n, sizeof(line));
        const char *why =
            scan_compare_mode(&c, (int)(iter % 2), JSON_INDEX_N_PATHS, line, n);
        if (why != NULL)
            fail_msg("%s on line %zu: %.*s", why, iter, (int)n, line);
        struct field_val v[SCAN_COMPARE_FIELDS] = {{0}};
        struct field_set s = {v, SCAN_COMPARE_FIELDS, 1};
        accepted += iter % 64 == 0 &&
                    parser_parse(c.previous[0], line, n, &s) == PARSE_OK;
    }
    /* Enough of both kinds to mean something (about a third pass). */
    assert_true(accepted * 64 > lines / 10);
    assert_true(accepted * 64 < lines * 9 / 10);
    scan_compare_free(&c);
}

int main(int argc, char **argv)
{
    corpus_dir = argc > 1 ? argv[1] : "fuzz/corpus/json";
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_bitmaps), cmocka_unit_test(test_search),
        cmocka_unit_test(test_choice),  cmocka_unit_test(test_hostile),
        cmocka_unit_test(test_mutated),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
