#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "envelope.h"
#include "interleave.h"

#define TEST_MAX_LINE 100 /* bytes */

static const char *unwrap(struct envelope *e, const char *line,
                          enum envelope_result want)
{
    static char out[256];
    const char *p = NULL;
    size_t n = 0;
    enum envelope_result r =
        envelope_unwrap(e, line, strlen(line), TEST_MAX_LINE, &p, &n);
    assert_int_equal(r, want);
    if (r != ENVELOPE_LINE)
        return NULL;
    snprintf(out, sizeof(out), "%.*s", (int)n, p);
    return out;
}

static void test_docker(void **state)
{
    struct envelope e = {.kind = ENVELOPE_AUTO};
    (void)state;
    assert_string_equal(
        unwrap(&e,
               "{\"log\":\"{\\\"a\\\": 1}\\n\",\"stream\":\"stdout\","
               "\"time\":\"2025-11-13T10:30:00.1Z\"}",
               ENVELOPE_LINE),
        "{\"a\": 1}");
    assert_int_equal(e.kind, ENVELOPE_DOCKER);
    /* Pieces join until one ends with a newline. */
    unwrap(&e, "{\"log\":\"{\\\"b\\\": \",\"stream\":\"stdout\"}",
           ENVELOPE_PIECE);
    assert_true(envelope_joining(&e, ENVELOPE_STDOUT));
    assert_false(envelope_joining(&e, ENVELOPE_STDERR));
    assert_string_equal(
        unwrap(&e, "{\"stream\":\"stdout\",\"log\":\"2}\\n\"}", ENVELOPE_LINE),
        "{\"b\": 2}");
    assert_false(envelope_pending(&e));
    /* Without "stream": stdout, as Docker's own records never are. */
    unwrap(&e, "{\"log\":\"{\\\"c\\\": \"}", ENVELOPE_PIECE);
    assert_string_equal(
        unwrap(&e, "{\"log\":\"3}\\n\",\"stream\":\"stdout\"}", ENVELOPE_LINE),
        "{\"c\": 3}");
    unwrap(&e, "plain text", ENVELOPE_BAD);
    unwrap(&e, "{\"stream\":\"stdout\"}", ENVELOPE_BAD);
    unwrap(&e, "{\"log\":5}", ENVELOPE_BAD);
    unwrap(&e, "{\"log\":\"x\\n\",\"stream\":\"stdin\"}", ENVELOPE_BAD);
    unwrap(&e, "{\"log\":\"x\\n\",\"stream\":2}", ENVELOPE_BAD);
    assert_false(envelope_pending(&e));
    envelope_free(&e);
}

/* The newline that ends a line is an escape of its own, not an escaped
 * backslash followed by n. */
static void test_docker_newlines(void **state)
{
    struct envelope e = {.kind = ENVELOPE_DOCKER};
    (void)state;
    unwrap(&e, "{\"log\":\"a\\\\n\"}", ENVELOPE_PIECE); /* a\n, no newline */
    assert_string_equal(unwrap(&e, "{\"log\":\"b\\\\\\n\"}", ENVELOPE_LINE),
                        "a\\nb\\");
    assert_string_equal(unwrap(&e, "{\"log\":\"c\\u000a\"}", ENVELOPE_LINE),
                        "c");
    assert_string_equal(unwrap(&e, "{\"log\":\"d\\u000A\"}", ENVELOPE_LINE),
                        "d");
    unwrap(&e, "{\"log\":\"e\\\\u000a\"}", ENVELOPE_PIECE);
    assert_string_equal(unwrap(&e, "{\"log\":\"\\n\"}", ENVELOPE_LINE),
                        "e\\u000a");
    assert_string_equal(unwrap(&e, "{\"log\":\"\\n\"}", ENVELOPE_LINE), "");
    unwrap(&e, "{\"log\":\"\"}", ENVELOPE_PIECE);
    assert_string_equal(unwrap(&e, "{\"log\":\"\\u00e9\\n\"}", ENVELOPE_LINE),
                        "\xc3\xa9");
    envelope_free(&e);
}

static void test_cri(void **state)
{
    struct envelope e = {.kind = ENVELOPE_AUTO};
    (void)state;
    assert_string_equal(
        unwrap(&e, "2025-11-13T10:30:00.123456789Z stdout F {\"a\": 1}",
               ENVELOPE_LINE),
        "{\"a\": 1}");
    assert_int_equal(e.kind, ENVELOPE_CRI);
    unwrap(&e, "2025-11-13T10:30:00.2Z stdout P {\"b\":", ENVELOPE_PIECE);
    unwrap(&e, "2025-11-13T10:30:00.3Z stdout P  2", ENVELOPE_PIECE);
    assert_string_equal(
        unwrap(&e, "2025-11-13T10:30:00.4Z stdout F }", ENVELOPE_LINE),
        "{\"b\": 2}");
    assert_string_equal(
        unwrap(&e, "2025-11-13T10:30:00.5Z stdout F", ENVELOPE_LINE), "");
    unwrap(&e, "{\"a\": 1}", ENVELOPE_BAD);
    unwrap(&e, "2025-11-13T10:30:00.5Z stdin F x", ENVELOPE_BAD);
    unwrap(&e, "2025-11-13T10:30:00.5Z stdout X x", ENVELOPE_BAD);
    unwrap(&e, "2025-11-13T10:30:00.5Z stdoutF x", ENVELOPE_BAD);
    envelope_free(&e);
}

/* Pieces of one stream's line with the other stream's between them. */
static void test_streams_apart(void **state)
{
    struct envelope e = {.kind = ENVELOPE_AUTO};
    (void)state;
    unwrap(&e, "2025-11-13T10:30:00.2Z stdout P {\"b\":", ENVELOPE_PIECE);
    assert_string_equal(
        unwrap(&e, "2025-11-13T10:30:00.3Z stderr F {\"e\": 1}", ENVELOPE_LINE),
        "{\"e\": 1}");
    unwrap(&e, "2025-11-13T10:30:00.3Z stderr P {\"e\":", ENVELOPE_PIECE);
    unwrap(&e, "2025-11-13T10:30:00.4Z stdout P  2", ENVELOPE_PIECE);
    assert_string_equal(
        unwrap(&e, "2025-11-13T10:30:00.5Z stderr F  2}", ENVELOPE_LINE),
        "{\"e\": 2}");
    assert_string_equal(
        unwrap(&e, "2025-11-13T10:30:00.6Z stdout F }", ENVELOPE_LINE),
        "{\"b\": 2}");
    assert_false(envelope_pending(&e));
    envelope_free(&e);
}

/* Every order of a line in 2-4 pieces and one in 1-3 pieces on the other
 * stream, both envelopes: each line comes out once, whole, when its last
 * piece comes, and nothing else does. */
static void test_every_order(void **state)
{
    static const enum envelope_kind kinds[] = {ENVELOPE_DOCKER, ENVELOPE_CRI};
    struct il_line a = {"{\"seq\": 1, \"msg\": \"a line cut in pieces\"}",
                        ENVELOPE_STDOUT, 0};
    struct il_line b = {"{\"seq\": 2, \"err\": \"\\\"quoted\\\"\"}",
                        ENVELOPE_STDERR, 0};
    size_t orders = 0;
    (void)state;
    for (size_t k = 0; k < 2; k++)
        for (a.pieces = 2; a.pieces <= 4; a.pieces++)
            for (b.pieces = 1; b.pieces <= 3; b.pieces++)
                for (unsigned m = 0; m < 1u << (a.pieces + b.pieces); m++) {
                    if (!il_order(m, a.pieces, b.pieces))
                        continue;
                    struct il_file f = {.n = 0};
                    struct envelope e = {.kind = ENVELOPE_AUTO};
                    const char *want[3] = {a.text, b.text, ""};
                    size_t got = 0, pieces = 0;
                    if (!il_a_first(m, a.pieces, b.pieces)) {
                        want[0] = b.text;
                        want[1] = a.text;
                    }
                    il_interleave(&f, kinds[k], &a, &b, m);
                    for (size_t i = 0; i < f.n; i++) {
                        const char *p = NULL;
                        size_t n = 0;
                        enum envelope_result r =
                            envelope_unwrap(&e, f.rec[i], strlen(f.rec[i]) - 1,
                                            TEST_MAX_LINE, &p, &n);
                        if (r == ENVELOPE_PIECE) {
                            pieces++;
                            continue;
                        }
                        assert_int_equal(r, ENVELOPE_LINE);
                        const char *w = want[got < 2 ? got : 2];
                        assert_int_equal(n, strlen(w));
                        assert_memory_equal(p, w, n);
                        got++;
                    }
                    assert_int_equal(e.kind, kinds[k]);
                    assert_int_equal(got, 2);
                    assert_int_equal(pieces, a.pieces + b.pieces - 2);
                    assert_false(envelope_pending(&e));
                    envelope_free(&e);
                    orders++;
                }
    /* C(n, k) orders summed over the piece counts, for two envelopes. */
    assert_int_equal(orders, 2 * (3 + 4 + 5 + 6 + 10 + 15 + 10 + 20 + 35));
}

/* A Docker record whose "log" is unit n times, then end. */
static void repeat(char *out, size_t cap, const char *unit, int n,
                   const char *end)
{
    size_t at = (size_t)snprintf(out, cap, "{\"log\":\"");
    for (int i = 0; i < n; i++)
        at += (size_t)snprintf(out + at, cap - at, "%s", unit);
    snprintf(out + at, cap - at, "%s\"}", end);
    assert_true(at + strlen(end) + 2 < cap);
}

/* A joined line over the limit is dropped once, at its end; the other
 * stream's lines go on, and so does its own after it. */
static void test_too_long_per_stream(void **state)
{
    struct envelope e = {.kind = ENVELOPE_CRI};
    char piece[160];
    (void)state;
    snprintf(piece, sizeof(piece), "2025-11-13T10:30:00Z stdout P %060d", 0);
    unwrap(&e, piece, ENVELOPE_PIECE);
    unwrap(&e, "2025-11-13T10:30:01Z stderr F e1", ENVELOPE_LINE);
    unwrap(&e, piece, ENVELOPE_PIECE); /* 120 bytes now: over */
    assert_true(e.join[ENVELOPE_STDOUT].too_long);
    assert_true(e.join[ENVELOPE_STDOUT].len <= TEST_MAX_LINE);
    assert_string_equal(
        unwrap(&e, "2025-11-13T10:30:01Z stderr F e2", ENVELOPE_LINE), "e2");
    unwrap(&e, piece, ENVELOPE_PIECE);
    unwrap(&e, "2025-11-13T10:30:02Z stdout F end", ENVELOPE_TOO_LONG);
    assert_string_equal(
        unwrap(&e, "2025-11-13T10:30:03Z stdout F next", ENVELOPE_LINE),
        "next");
    /* A single record over the limit. */
    snprintf(piece, sizeof(piece), "2025-11-13T10:30:00Z stderr F %0101d", 0);
    unwrap(&e, piece, ENVELOPE_TOO_LONG);
    /* Docker: the limit is on the decoded text. */
    struct envelope d = {.kind = ENVELOPE_DOCKER};
    char rec[512];
    /* 300 bytes escaped, 50 decoded */
    repeat(rec, sizeof(rec), "\\u0041", 50, "\\n");
    assert_int_equal(strlen(unwrap(&d, rec, ENVELOPE_LINE)), 50);
    repeat(rec, sizeof(rec), "\\t", 101, "");
    unwrap(&d, rec, ENVELOPE_PIECE);
    unwrap(&d, "{\"log\":\"\\n\"}", ENVELOPE_TOO_LONG);
    envelope_free(&e);
    envelope_free(&d);
}

/* Records skipped unread (longer than the limit with their envelope). */
static void test_drop(void **state)
{
    struct envelope e = {.kind = ENVELOPE_CRI};
    struct envelope_record out = {.stream = ENVELOPE_STDOUT, .finished = false};
    struct envelope_record err = {.stream = ENVELOPE_STDERR, .finished = true};
    (void)state;
    unwrap(&e, "2025-11-13T10:30:00Z stderr P e", ENVELOPE_PIECE);
    /* A stdout piece: its line is too long, at its end. */
    assert_int_equal(envelope_drop(&e, &out), ENVELOPE_PIECE);
    assert_true(envelope_joining(&e, ENVELOPE_STDOUT));
    unwrap(&e, "2025-11-13T10:30:01Z stdout F x", ENVELOPE_TOO_LONG);
    /* A whole stderr line ends the stderr line it belonged to. */
    assert_int_equal(envelope_drop(&e, &err), ENVELOPE_TOO_LONG);
    assert_false(envelope_pending(&e));
    /* Of no known stream: every unfinished line may have lost a piece. */
    unwrap(&e, "2025-11-13T10:30:02Z stdout P a", ENVELOPE_PIECE);
    assert_int_equal(envelope_drop(&e, NULL), ENVELOPE_TOO_LONG);
    unwrap(&e, "2025-11-13T10:30:03Z stderr F fine", ENVELOPE_LINE);
    unwrap(&e, "2025-11-13T10:30:04Z stdout F b", ENVELOPE_TOO_LONG);
    envelope_free(&e);
}

static void test_detection(void **state)
{
    struct envelope e = {.kind = ENVELOPE_AUTO};
    (void)state;
    /* An application's own JSON is not mistaken for Docker's. */
    assert_string_equal(unwrap(&e, "{\"level\": \"info\"}", ENVELOPE_LINE),
                        "{\"level\": \"info\"}");
    assert_int_equal(e.kind, ENVELOPE_NONE);
    /* Once decided, a file keeps its envelope. */
    assert_string_equal(
        unwrap(&e, "2025-11-13T10:30:00Z stdout F x", ENVELOPE_LINE),
        "2025-11-13T10:30:00Z stdout F x");
    struct envelope f = {.kind = ENVELOPE_AUTO};
    assert_string_equal(unwrap(&f, "2025 is a year", ENVELOPE_LINE),
                        "2025 is a year");
    assert_int_equal(f.kind, ENVELOPE_NONE);
    envelope_free(&e);
    envelope_free(&f);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_docker),
        cmocka_unit_test(test_docker_newlines),
        cmocka_unit_test(test_cri),
        cmocka_unit_test(test_streams_apart),
        cmocka_unit_test(test_every_order),
        cmocka_unit_test(test_too_long_per_stream),
        cmocka_unit_test(test_drop),
        cmocka_unit_test(test_detection),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
