#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "transform.h"

/* Applies cfg to text (NULL: missing); returns the result or "!<code>". */
static const char *apply(const struct cfg_transform *cfg, const char *text,
                         bool is_string)
{
    static char out[256];
    struct transform *t;
    struct buf b = {0};
    assert_int_equal(transform_new(cfg, &t), 0);
    enum transform_result r =
        transform_apply(t, text, text ? strlen(text) : 0, is_string, &b);
    if (r == TRANSFORM_OK)
        snprintf(out, sizeof(out), "%.*s", (int)b.len, b.data ? b.data : "");
    else
        snprintf(out, sizeof(out), "!%d", r);
    buf_free(&b);
    transform_free(t);
    return out;
}

static void test_mask(void **state)
{
    struct cfg_transform c = {.mask = true};
    (void)state;
    /* The Scarlett API's rules, and its own examples. */
    assert_string_equal(apply(&c, "test-api-key-y123", true), "test...y123");
    assert_string_equal(apply(&c, "sk-live-4f9a8b7c6d5e4f3a2b1c", true),
                        "sk-l...2b1c");
    assert_string_equal(apply(&c, "123456789", true), "1234...6789");
    assert_string_equal(apply(&c, "12345678", true), "short_key");
    assert_string_equal(apply(&c, "short1", true), "short_key");
    assert_string_equal(apply(&c, "", true), "unknown");
    assert_string_equal(apply(&c, NULL, false), "unknown");
    assert_string_equal(apply(&c, "123456789012", false), "unknown");
    /* Characters, not bytes: non-ASCII keys are cut between characters. */
    assert_string_equal(
        apply(&c, "\xc3\xa9t\xc3\xa9-cl\xc3\xa9-secr\xc3\xa8te", true),
        "\xc3\xa9t\xc3\xa9-...r\xc3\xa8te");
    assert_string_equal(apply(&c, "k\"ey\\with\nnl", true), "k\"ey...h\nnl");
}

static void test_hash(void **state)
{
    struct cfg_transform c = {.hash = true};
    (void)state;
    /* SHA-256("abc") = ba7816bf8f01cfea 414140de5dae2223 ... */
    assert_string_equal(apply(&c, "abc", true), "ba7816bf8f01cfea");
    assert_string_equal(apply(&c, "", true), "e3b0c44298fc1c14");
    assert_string_equal(apply(&c, NULL, false), "!1");
}

/* otherwise stands in for a text a step refuses, as written. */
static void test_otherwise(void **state)
{
    static const char *const from[] = {"get", "post"}, *const to[] = {"r", "w"};
    static const uint32_t from_len[] = {3, 4}, to_len[] = {1, 1};
    struct cfg_transform route = {.regex = "^(/api/v1/[a-z]+)",
                                  .hash = true,
                                  .otherwise = "other",
                                  .otherwise_len = 5};
    struct cfg_transform method = {.map_from = from,
                                   .map_to = to,
                                   .map_from_len = from_len,
                                   .map_to_len = to_len,
                                   .n_map = 2,
                                   .lower = true,
                                   .otherwise = "",
                                   .otherwise_len = 0};
    struct cfg_transform status = {
        .status_class = true, .otherwise = "invalid", .otherwise_len = 7};
    (void)state;
    /* echo -n /api/v1/chat | sha256sum | cut -c1-16 */
    assert_string_equal(apply(&route, "/api/v1/chat/x", true),
                        "b55d93785a9f975c");
    assert_string_equal(apply(&route, "/static/x.js", true), "other");
    assert_string_equal(apply(&route, NULL, false), "!1"); /* still missing */
    assert_string_equal(apply(&method, "GET", true), "r");
    assert_string_equal(apply(&method, "delete", true), "");
    assert_string_equal(apply(&status, "200", false), "2xx");
    assert_string_equal(apply(&status, "2000", false), "invalid");
    assert_string_equal(apply(&status, "abc", true), "invalid");
    /* unmapped comes first for texts not in the map. */
    method.unmapped = "u";
    method.unmapped_len = 1;
    assert_string_equal(apply(&method, "delete", true), "u");
}

static void test_map(void **state)
{
    const char *from[] = {"Missing API key", "Invalid API key", "quo\"te\\d\n"};
    const char *to[] = {"missing_key", "invalid_key", "quoted"};
    uint32_t from_len[] = {15, 15, 9}, to_len[] = {11, 11, 6};
    struct cfg_transform c = {.map_from = from,
                              .map_to = to,
                              .map_from_len = from_len,
                              .map_to_len = to_len,
                              .n_map = 3};
    (void)state;
    assert_string_equal(apply(&c, "Missing API key", true), "missing_key");
    assert_string_equal(apply(&c, "quo\"te\\d\n", true), "quoted");
    assert_string_equal(apply(&c, "missing api key", true), "!3");
    c.unmapped = "other";
    c.unmapped_len = 5;
    assert_string_equal(apply(&c, "Something else", true), "other");
    assert_string_equal(apply(&c, NULL, false), "!1");
}

static void test_regex_lower_status(void **state)
{
    struct cfg_transform c = {.regex = "Rate limit exceeded for (\\w+)"};
    (void)state;
    assert_string_equal(
        apply(&c, "Rate limit exceeded for minute. Try again in 60 seconds",
              true),
        "minute");
    assert_string_equal(apply(&c, "Internal server error", true), "!2");
    /* No group: the whole match. */
    struct cfg_transform w = {.regex = "[0-9]+"};
    assert_string_equal(apply(&w, "took 250ms", true), "250");

    struct cfg_transform l = {.lower = true};
    assert_string_equal(apply(&l, "GPT-4o \xc3\x89T\xc3\x89", true),
                        "gpt-4o \xc3\x89t\xc3\x89");

    struct cfg_transform s = {.status_class = true};
    assert_string_equal(apply(&s, "200", false), "2xx");
    assert_string_equal(apply(&s, "503", true), "5xx");
    assert_string_equal(apply(&s, "600", false), "!4");
    assert_string_equal(apply(&s, "20", false), "!4");
    assert_string_equal(apply(&s, "200.0", false), "!4");

    /* Steps chain in order: regex, lower, map, status class. */
    const char *from[] = {"503"};
    const char *to[] = {"599"};
    uint32_t fl[] = {3}, tl[] = {3};
    struct cfg_transform all = {.regex = "code=(\\d+)",
                                .map_from = from,
                                .map_to = to,
                                .map_from_len = fl,
                                .map_to_len = tl,
                                .n_map = 1,
                                .unmapped = "404",
                                .unmapped_len = 3,
                                .status_class = true};
    assert_string_equal(apply(&all, "code=503", true), "5xx");
    assert_string_equal(apply(&all, "code=200", true), "4xx");
    struct cfg_transform lh = {.lower = true, .hash = true};
    assert_string_equal(apply(&lh, "ABC", true), "ba7816bf8f01cfea");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_mask),
        cmocka_unit_test(test_hash),
        cmocka_unit_test(test_map),
        cmocka_unit_test(test_otherwise),
        cmocka_unit_test(test_regex_lower_status),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
