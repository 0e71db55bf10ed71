#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "envelope.h"

static const char *unwrap(struct envelope *e, const char *line,
                          enum envelope_result want)
{
    static char out[256];
    const char *p;
    size_t n;
    enum envelope_result r =
        envelope_unwrap(e, line, strlen(line), 100, &p, &n);
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
    assert_true(envelope_pending(&e));
    assert_string_equal(
        unwrap(&e, "{\"stream\":\"stderr\",\"log\":\"2}\\n\"}", ENVELOPE_LINE),
        "{\"b\": 2}");
    assert_false(envelope_pending(&e));
    unwrap(&e, "plain text", ENVELOPE_BAD);
    unwrap(&e, "{\"stream\":\"stdout\"}", ENVELOPE_BAD);
    unwrap(&e, "{\"log\":5}", ENVELOPE_BAD);
    /* Over the limit: skipped once, whole. */
    char big[200];
    memset(big, 'x', sizeof(big));
    snprintf(big, sizeof(big), "{\"log\":\"%080d\"}", 0);
    unwrap(&e, big, ENVELOPE_PIECE);
    unwrap(&e, big, ENVELOPE_PIECE);
    assert_int_equal(envelope_unwrap(&e, "{\"log\":\"end\\n\"}", 15, 100,
                                     &(const char *){NULL}, &(size_t){0}),
                     ENVELOPE_TOO_LONG);
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
    unwrap(&e, "2025-11-13T10:30:00.3Z stderr P  2", ENVELOPE_PIECE);
    assert_string_equal(
        unwrap(&e, "2025-11-13T10:30:00.4Z stdout F }", ENVELOPE_LINE),
        "{\"b\": 2}");
    assert_string_equal(
        unwrap(&e, "2025-11-13T10:30:00.5Z stdout F", ENVELOPE_LINE), "");
    unwrap(&e, "{\"a\": 1}", ENVELOPE_BAD);
    unwrap(&e, "2025-11-13T10:30:00.5Z stdin F x", ENVELOPE_BAD);
    unwrap(&e, "2025-11-13T10:30:00.5Z stdout X x", ENVELOPE_BAD);
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
        cmocka_unit_test(test_cri),
        cmocka_unit_test(test_detection),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
