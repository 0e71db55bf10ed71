#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "parser.h"
#include "jsonstr.h"
#include "json_reference.h"

/* A parser for a fixed set of paths, split at dots like the config does. */
#define MAX_PATHS 16
#define MAX_PARTS 6

struct fixture {
    struct cfg_field fields[MAX_PATHS];
    const char *parts[MAX_PATHS][MAX_PARTS];
    uint32_t lens[MAX_PATHS][MAX_PARTS];
    struct parser *p;
    struct field_set set;
    struct field_val vals[MAX_PATHS];
};

static void setup_paths(struct fixture *f, const char *const *paths, size_t n)
{
    memset(f, 0, sizeof(*f));
    for (size_t i = 0; i < n; i++) {
        static char store[MAX_PATHS][64];
        snprintf(store[i], sizeof(store[i]), "%s", paths[i]);
        f->fields[i].path = paths[i];
        uint32_t k = 0;
        for (char *tok = strtok(store[i], "."); tok; tok = strtok(NULL, ".")) {
            f->parts[i][k] = tok;
            f->lens[i][k] = (uint32_t)strlen(tok);
            k++;
        }
        f->fields[i].parts = f->parts[i];
        f->fields[i].part_lens = f->lens[i];
        f->fields[i].n_parts = k;
    }
    assert_int_equal(
        json_parser_new(f->fields, n, JSON_NON_FINITE_REJECT, &f->p), 0);
    f->set.vals = f->vals;
    f->set.n = n;
}

static enum parse_result parse(struct fixture *f, const char *line)
{
    f->set.gen++;
    return parser_parse(f->p, line, strlen(line), &f->set);
}

/* The raw text of field i on the current line, or NULL if absent. */
static const char *text(struct fixture *f, size_t i)
{
    static char out[256];
    if (f->vals[i].gen != f->set.gen)
        return NULL;
    snprintf(out, sizeof(out), "%.*s", (int)f->vals[i].len, f->vals[i].p);
    return out;
}

static void test_extract(void **state)
{
    static const char *const paths[] = {
        "endpoint", "status_code", "usage.prompt_tokens", "usage", "missing",
        "flag",     "nothing"};
    struct fixture f;
    (void)state;
    setup_paths(&f, paths, 7);
    assert_int_equal(
        parse(&f, "{\"endpoint\": \"/api/v1/ai/chat\", \"status_code\": 200, "
                  "\"usage\": {\"prompt_tokens\": 12, \"x\": [1, {\"y\": 2}]}, "
                  "\"flag\": true, \"nothing\": null}"),
        PARSE_OK);
    assert_string_equal(text(&f, 0), "/api/v1/ai/chat");
    assert_int_equal(f.vals[0].type, FIELD_STRING);
    assert_string_equal(text(&f, 1), "200");
    assert_int_equal(f.vals[1].type, FIELD_NUMBER);
    assert_string_equal(text(&f, 2), "12");
    assert_int_equal(f.vals[3].type, FIELD_OBJECT);
    assert_null(text(&f, 4));
    assert_int_equal(f.vals[5].type, FIELD_TRUE);
    assert_int_equal(f.vals[6].type, FIELD_NULL);

    /* The next line knows nothing of the previous one. */
    assert_int_equal(parse(&f, "{\"status_code\": 404}"), PARSE_OK);
    assert_null(text(&f, 0));
    assert_string_equal(text(&f, 1), "404");
    assert_null(text(&f, 2));
    parser_free(f.p);
}

static void test_nesting_and_order(void **state)
{
    static const char *const paths[] = {"a.b.c", "a.b", "z"};
    struct fixture f;
    (void)state;
    setup_paths(&f, paths, 3);
    /* Keys in any order; a same-named key deeper down is not confused. */
    assert_int_equal(parse(&f, "{\"z\": {\"a\": 1}, \"a\": {\"c\": 0, \"b\": "
                               "{\"c\": \"deep\"}}}"),
                     PARSE_OK);
    assert_string_equal(text(&f, 0), "deep");
    assert_string_equal(text(&f, 1), "{\"c\": \"deep\"}");
    assert_string_equal(text(&f, 2), "{\"a\": 1}");
    /* A prefix that is not an object has no children. */
    assert_int_equal(parse(&f, "{\"a\": 5}"), PARSE_OK);
    assert_null(text(&f, 0));
    /* Duplicate keys: the last one wins. */
    assert_int_equal(parse(&f, "{\"z\": 1, \"z\": 2}"), PARSE_OK);
    assert_string_equal(text(&f, 2), "2");
    parser_free(f.p);
}

static void test_escapes(void **state)
{
    static const char *const paths[] = {"msg", "model"};
    struct fixture f;
    char out[64];
    (void)state;
    setup_paths(&f, paths, 2);
    assert_int_equal(
        parse(&f, "{\"msg\": \"a\\\"b\\\\c\\nd\\u00e9\\ud83d\\ude00\", "
                  "\"mo\\u0064el\": \"gpt\"}"),
        PARSE_OK);
    assert_true(f.vals[0].escaped);
    size_t n = json_unescape(f.vals[0].p, f.vals[0].len, out);
    assert_int_equal(n, strlen("a\"b\\c\nd\xc3\xa9\xf0\x9f\x98\x80"));
    assert_memory_equal(out, "a\"b\\c\nd\xc3\xa9\xf0\x9f\x98\x80", n);
    /* An escaped key still matches. */
    assert_string_equal(text(&f, 1), "gpt");
    assert_false(f.vals[1].escaped);

    /* A lone surrogate decodes to U+FFFD. */
    n = json_unescape("x\\ud800y", 8, out);
    assert_int_equal(n, 5);
    assert_memory_equal(out, "x\xef\xbf\xbdy", 5);
    n = json_unescape("\\/\\t\\r\\b\\f", 10, out);
    assert_memory_equal(out, "/\t\r\b\f", 5);
    assert_int_equal(n, 5);
    parser_free(f.p);
}

/* Whole-number parts pick array elements, from the start or the end. */
static void test_array_paths(void **state)
{
    static const char *const paths[] = {"choices.0.finish_reason",
                                        "choices.-1.finish_reason",
                                        "choices.1",
                                        "choices.-2.message.content",
                                        "m.0.0",
                                        "m.-1.-1",
                                        "choices.2",
                                        "choices.-3.finish_reason",
                                        "obj.0",
                                        "choices.-16",
                                        "m.01"};
    struct fixture f;
    (void)state;
    setup_paths(&f, paths, 11);
    assert_int_equal(
        parse(&f, "{\"choices\": [{\"finish_reason\": \"length\"}, "
                  "{\"message\": {\"content\": \"hi\"}, \"finish_reason\": "
                  "\"stop\"}, {\"x\": 1}], \"m\": [[1, 2], [], [3, [4]]], "
                  "\"obj\": {\"0\": \"zero\"}}"),
        PARSE_OK);
    assert_string_equal(text(&f, 0), "length");
    /* The last element has no finish_reason: missing, not the one before. */
    assert_null(text(&f, 1));
    assert_string_equal(text(&f, 2), "{\"message\": {\"content\": \"hi\"}, "
                                     "\"finish_reason\": \"stop\"}");
    assert_int_equal(f.vals[2].type, FIELD_OBJECT);
    assert_string_equal(text(&f, 3), "hi");
    assert_string_equal(text(&f, 4), "1");
    assert_string_equal(text(&f, 5), "[4]");
    assert_int_equal(f.vals[5].type, FIELD_ARRAY);
    assert_string_equal(text(&f, 6), "{\"x\": 1}");
    assert_string_equal(text(&f, 7), "length");
    assert_string_equal(text(&f, 8), "zero"); /* "0" is an object's key too */
    assert_null(text(&f, 9));                 /* only three elements */
    assert_null(text(&f, 10));                /* "01" is a key, no position */

    /* Too short, empty, or not an array: nothing. */
    assert_int_equal(parse(&f, "{\"choices\": [{\"finish_reason\": 5}], "
                               "\"m\": [], \"obj\": [\"first\"]}"),
                     PARSE_OK);
    assert_string_equal(text(&f, 0), "5");
    assert_string_equal(text(&f, 1), "5");
    assert_null(text(&f, 2));
    assert_null(text(&f, 3));
    assert_null(text(&f, 4));
    assert_null(text(&f, 5));
    assert_string_equal(text(&f, 8), "first");
    assert_int_equal(parse(&f,
                           "{\"choices\": {\"0\": {\"finish_reason\": "
                           "\"key\"}, \"-1\": {\"finish_reason\": \"k\"}}}"),
                     PARSE_OK);
    assert_string_equal(text(&f, 0), "key");
    assert_string_equal(text(&f, 1), "k"); /* "-1" is a key of an object */

    /* Sixteen back, in an array of twenty. */
    char line[256];
    int n = snprintf(line, sizeof(line), "{\"choices\": [");
    for (int i = 0; i < 20; i++)
        n += snprintf(line + n, sizeof(line) - (size_t)n, "%s%d", i ? "," : "",
                      i);
    snprintf(line + n, sizeof(line) - (size_t)n, "]}");
    assert_int_equal(parse(&f, line), PARSE_OK);
    assert_string_equal(text(&f, 9), "4");
    assert_string_equal(text(&f, 2), "1");
    /* A broken element after a picked one still breaks the line. */
    assert_int_equal(parse(&f, "{\"choices\": [1, 2, 3,]}"), PARSE_NOT_JSON);
    assert_int_equal(parse(&f, "{\"m\": [[1, 2], [3, [4}]]}"), PARSE_NOT_JSON);
    parser_free(f.p);
}

/* NaN, Infinity and -Infinity: not JSON, unless the parser takes them;
 * then they read as null, and nothing else loosens. */
static void test_non_finite(void **state)
{
    static const char *const paths[] = {"a", "b", "c.0", "c.-1", "d"};
    static const char *const line =
        "{\"a\": NaN, \"b\": -Infinity, \"c\": [Infinity, 1, NaN], "
        "\"d\": 2}";
    static const char *const bad[] = {
        "{\"a\": nan}",       "{\"a\": NaNa}",       "{\"a\": Inf}",
        "{\"a\": +Infinity}", "{\"a\": -NaN}",       "{\"a\": Infinityy}",
        "{\"a\": \"x\" NaN}", "{\"a\": - Infinity}", "{NaN: 1}",
        "{\"a\": [NaN,]}",
    };
    struct fixture f;
    (void)state;
    setup_paths(&f, paths, 5);
    assert_int_equal(parse(&f, line), PARSE_NOT_JSON);
    parser_free(f.p);
    assert_int_equal(
        json_parser_new(f.fields, 5, JSON_NON_FINITE_MISSING, &f.p), 0);
    assert_int_equal(parse(&f, line), PARSE_OK);
    for (int i = 0; i < 4; i++)
        assert_int_equal(f.vals[i].type, FIELD_NULL);
    assert_string_equal(text(&f, 1), "-Infinity");
    assert_string_equal(text(&f, 2), "Infinity");
    assert_string_equal(text(&f, 3), "NaN");
    assert_string_equal(text(&f, 4), "2");
    for (size_t i = 0; i < sizeof(bad) / sizeof(*bad); i++)
        if (parse(&f, bad[i]) != PARSE_NOT_JSON)
            fail_msg("accepted: %s", bad[i]);
    /* Inside objects and arrays only: a line that is just NaN stays
     * not_json, as under the strict parser. */
    assert_int_equal(parse(&f, "NaN"), PARSE_NOT_JSON);
    assert_int_equal(parse(&f, "[NaN]"), PARSE_NOT_OBJECT);
    parser_free(f.p);
}

/* What RFC 8259 rejects is rejected, however lenient jsmn is. */
static void test_strict(void **state)
{
    static const char *const paths[] = {"a"};
    static const char *const bad[] = {
        "{\"a\": 1,}",
        "{\"a\": 1 \"b\": 2}",
        "{\"a\": 2OO}",
        "{\"a\": 01}",
        "{\"a\": tru}",
        "{\"a\": nul}",
        "{\"a\": 1}{\"b\": 2}",
        "{\"a\": 1} x",
        "{\"a\": \"x",
        "{\"a\" 1}",
        "{a: 1}",
        "{\"a\": 'x'}",
        "{\"a\": [1,]}",
        "{\"a\": [1 2]}",
        "{,\"a\": 1}",
        "{\"a\": \"tab\there\"}",
        "{\"a\": 1.}",
        "{\"a\": -}",
        "{\"a\"}",
        "{\"a\": 1, }",
        "",
        "   ",
        "{\"a\": +1}",
        "{\"a\": .5}",
        "{\"a\": \"\\x\"}",
        "{\"a\": [}",
        "{\"a\": 1]",
        "Traceback (most recent call last):",
        "[INFO] 2025-10-21 15:42:22 - app.routers.ai - AI chat request",
    };
    struct fixture f;
    (void)state;
    setup_paths(&f, paths, 1);
    for (size_t i = 0; i < sizeof(bad) / sizeof(*bad); i++)
        if (parse(&f, bad[i]) != PARSE_NOT_JSON)
            fail_msg("accepted: %s", bad[i]);
    /* A NUL byte inside the line. */
    f.set.gen++;
    assert_int_equal(parser_parse(f.p, "{\"a\": 1}\0x", 10, &f.set),
                     PARSE_NOT_JSON);
    assert_int_equal(parser_parse(f.p, "{\"a\": \"\0\"}", 10, &f.set),
                     PARSE_NOT_JSON);

    static const char *const good[] = {
        " {\"a\": 1} ",
        "{\"a\":-0.5e-3}",
        "{}",
        "{\"a\": [1, {\"b\": []}]}",
        "{\"a\": \"\\u00e9 \xc3\xa9\"}\r",
        "{\"a\":1e999999}",
    };
    for (size_t i = 0; i < sizeof(good) / sizeof(*good); i++)
        if (parse(&f, good[i]) != PARSE_OK)
            fail_msg("rejected: %s", good[i]);
    assert_int_equal(parse(&f, "[1, 2, 3]"), PARSE_NOT_OBJECT);
    assert_int_equal(parse(&f, "\"text\""), PARSE_NOT_OBJECT);
    parser_free(f.p);
}

static void test_limits(void **state)
{
    static const char *const paths[] = {"a"};
    struct fixture f;
    (void)state;
    setup_paths(&f, paths, 1);
    /* 100,000 nested arrays: bounded work, a clear reason. */
    size_t depth = 100000;
    char *deep = malloc(2 * depth + 16);
    size_t n = 0;
    n += (size_t)sprintf(deep, "{\"a\": ");
    for (size_t i = 0; i < depth; i++)
        deep[n++] = '[';
    for (size_t i = 0; i < depth; i++)
        deep[n++] = ']';
    deep[n++] = '}';
    f.set.gen++;
    assert_int_equal(parser_parse(f.p, deep, n, &f.set), PARSE_TOO_COMPLEX);
    free(deep);
    /* Growth stays usable afterwards, and big objects parse. */
    char big[20000];
    n = (size_t)sprintf(big, "{");
    for (int i = 0; i < 1000; i++)
        n += (size_t)sprintf(big + n, "\"k%d\": %d, ", i, i);
    sprintf(big + n, "\"a\": \"end\"}");
    assert_int_equal(parse(&f, big), PARSE_OK);
    assert_string_equal(text(&f, 0), "end");
    parser_free(f.p);
}

/* A deterministic generator for the differential test. */
static uint64_t rnd_state = 88172645463325252ULL;
static uint64_t rnd(void)
{
    rnd_state ^= rnd_state << 13;
    rnd_state ^= rnd_state >> 7;
    rnd_state ^= rnd_state << 17;
    return rnd_state;
}

/*
 * Up to three random edits of line (n bytes, cap at most): a byte
 * deleted, one inserted from the characters that matter to JSON, or a
 * short run duplicated. Returns the new length.
 */
static size_t mutate(char *line, size_t n, size_t cap)
{
    static const char interesting[] = "{}[]\":,\\ \t0123456789.eE+-tfnulras"
                                      "\x01\x7f\xc3\xa9\x00/ubx";
    int mutations = (int)(rnd() % 4);
    for (int m = 0; m < mutations; m++) {
        size_t at = n ? rnd() % n : 0;
        switch (rnd() % 3) {
        case 0: /* delete */
            if (n > 0) {
                memmove(line + at, line + at + 1, n - at - 1);
                n--;
            }
            break;
        case 1: /* insert */
            if (n + 1 < cap) {
                memmove(line + at + 1, line + at, n - at);
                line[at] = interesting[rnd() % (sizeof(interesting) - 1)];
                n++;
            }
            break;
        default: /* duplicate a short run */
        {
            size_t len = rnd() % 8;
            if (at + len <= n && n + len < cap) {
                memmove(line + at + len, line + at, n - at);
                n += len;
            }
            break;
        }
        }
    }
    return n;
}

/*
 * The top-level object's shape: a span of separator, key and colon the
 * line before had at the same place is crossed in one comparison. Lines
 * that share a span and differ just before or after it, or end inside it,
 * get the verdicts and values a walk gives.
 */
static void test_shape(void **state)
{
    static const char *const paths[] = {"a", "b", "a_key_longer_than_the_span"};
    static const struct {
        const char *line;
        enum parse_result want;
        const char *a, *b;
    } lines[] = {
        {"{\"a\": 1, \"b\": \"x\"}", PARSE_OK, "1", "x"},
        {"{\"a\": 2, \"b\": \"y\"}", PARSE_OK, "2", "y"},
        {"{\"a\": 3, \"b\":  \t\"z\"}", PARSE_OK, "3", "z"},
        {"{\"a\": 4, \"b\": }", PARSE_NOT_JSON, NULL, NULL},
        {"{\"a\": 5, \"b\": \"v\"", PARSE_NOT_JSON, NULL, NULL},
        {"{\"a\": 6, \"b", PARSE_NOT_JSON, NULL, NULL},
        {"{\"a\": 7, \"\\u0062\": \"w\"}", PARSE_OK, "7", "w"},
        {"{\"a\": 8, \"b\": \"u\", \"c\": 1}", PARSE_OK, "8", "u"},
        {"{\"a\": 9, \"b\": \"t\"}", PARSE_OK, "9", "t"},
        {"{\"a\": 10, \"b\": \"s\",}", PARSE_NOT_JSON, NULL, NULL},
        {"{\"a\": 11, \"b\": \"r\", \"c\": 1 }", PARSE_OK, "11", "r"},
        {"{\"a\": 12,\"b\": \"q\"}", PARSE_OK, "12", "q"},
        {"{\"b\": \"p\", \"a\": 13}", PARSE_OK, "13", "p"},
        {"{\"a_key_longer_than_the_span\": 1, \"a\": 14}", PARSE_OK, "14",
         NULL},
        {"{\"a_key_longer_than_the_span\": 2, \"a\": 15}", PARSE_OK, "15",
         NULL},
        {"{}", PARSE_OK, NULL, NULL},
    };
    struct fixture f;
    (void)state;
    setup_paths(&f, paths, 3);
    for (size_t i = 0; i < sizeof(lines) / sizeof(*lines); i++) {
        if (parse(&f, lines[i].line) != lines[i].want)
            fail_msg("verdict on: %s", lines[i].line);
        if (lines[i].want != PARSE_OK)
            continue;
        const char *a = text(&f, 0), *b;
        if ((a == NULL) != (lines[i].a == NULL) ||
            (a != NULL && strcmp(a, lines[i].a) != 0))
            fail_msg("a on: %s", lines[i].line);
        b = text(&f, 1);
        if ((b == NULL) != (lines[i].b == NULL) ||
            (b != NULL && strcmp(b, lines[i].b) != 0))
            fail_msg("b on: %s", lines[i].line);
    }
    assert_null(text(&f, 2)); /* "{}": nothing this line */
    parser_free(f.p);
}

/*
 * The single-pass scanner and the jsmn reference agree on every line:
 * the same verdict and, when accepted, the same fields with the same text.
 * Lines are valid ones mutated at random: bytes deleted, inserted (from
 * the characters that matter to JSON), duplicated.
 */
static void test_differential(void **state)
{
    static const char *const paths[] = {
        "a",        "a.b",     "a.b.c",  "s",       "n",
        "k\\x",     "arr",     "arr.0",  "arr.0.a", "arr.-1",
        "arr.-4.a", "arr.1.0", "a.x.-2", "a.b.1",   "a.b.-1.c"};
#define N_DIFF (sizeof(paths) / sizeof(*paths))
    static const char *const seeds[] = {
        "{\"a\": {\"b\": {\"c\": \"deep\"}, \"x\": [1, 2.5e3, -0, true]}, "
        "\"s\": \"t\\u00e9xt \\\"q\\\" \\n\", \"n\": -12.5E-3}",
        "{\"s\": \"plain\", \"n\": 200, \"arr\": [{\"a\": 1}, [], {}, null], "
        "\"a\": 5}",
        "  {\"k\\\\x\": false, \"s\": \"\\ud83d\\ude00\", \"s\": \"last\"}\r",
        "{\"a\":{\"b\":[1,{\"c\":2}],\"b\":{\"c\":null}},\"n\":0.0}",
        "{\"endpoint\": \"/api/v1/ai/chat\", \"method\": \"POST\", "
        "\"status_code\": 200, \"duration_ms\": 1250.5}",
        "{\"arr\": [[7, [8]], {\"a\": \"x\"}, 3, {\"a\": {\"b\": 1}}], "
        "\"a\": {\"x\": [1, [2], 3], \"b\": [0, {\"c\": true}]}}",
    };
    struct fixture f, g;
    (void)state;
    setup_paths(&f, paths, N_DIFF);
    memset(&g, 0, sizeof(g));
    g.set.vals = g.vals;
    g.set.n = N_DIFF;
    assert_int_equal(json_reference_new(f.fields, N_DIFF, &g.p), 0);
    char line[512];
    size_t agreed_ok = 0, from_end = 0; /* lines an "-N" path picked in */
    for (int iter = 0; iter < 300000; iter++) {
        const char *seed = seeds[rnd() % (sizeof(seeds) / sizeof(*seeds))];
        size_t n = strlen(seed);
        memcpy(line, seed, n);
        n = mutate(line, n, sizeof(line));
        f.set.gen++;
        g.set.gen = f.set.gen;
        enum parse_result a = parser_parse(f.p, line, n, &f.set);
        enum parse_result b = parser_parse(g.p, line, n, &g.set);
        /* jsmn cannot end a line on a bare number: its verdict differs
         * only for lines that are not objects anyway. */
        if (b == PARSE_NOT_JSON && a == PARSE_NOT_OBJECT)
            continue;
        if (a != b)
            fail_msg("verdicts differ (%d vs reference %d) on: %.*s", a, b,
                     (int)n, line);
        if (a != PARSE_OK)
            continue;
        agreed_ok++;
        for (size_t i = 0; i < N_DIFF; i++) {
            bool fa = f.vals[i].gen == f.set.gen,
                 fb = g.vals[i].gen == g.set.gen;
            if (fa != fb ||
                (fa && (f.vals[i].type != g.vals[i].type ||
                        f.vals[i].len != g.vals[i].len ||
                        memcmp(f.vals[i].p, g.vals[i].p, f.vals[i].len) != 0 ||
                        f.vals[i].escaped != g.vals[i].escaped)))
                fail_msg("field %s differs on: %.*s", paths[i], (int)n, line);
            from_end += fa && strstr(paths[i], ".-") != NULL;
        }
    }
    assert_true(agreed_ok > 30000); /* enough accepted lines to mean it */
    assert_true(from_end > 10000);
    parser_free(f.p);
    parser_free(g.p);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_extract),
        cmocka_unit_test(test_nesting_and_order),
        cmocka_unit_test(test_escapes),
        cmocka_unit_test(test_array_paths),
        cmocka_unit_test(test_non_finite),
        cmocka_unit_test(test_strict),
        cmocka_unit_test(test_limits),
        cmocka_unit_test(test_shape),
        cmocka_unit_test(test_differential),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
