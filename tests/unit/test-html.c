/*
 * Escaping for HTML with hostile input: markup, quotes for attributes,
 * malformed UTF-8, controls and noncharacters, NUL bytes inside the length.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "html.h"
#include "out_helpers.h"

static void escaped(const char *s, size_t n, const char *want)
{
    buf_reset(&out);
    html_text(&out, s, n);
    assert_string_equal(text(), want);
}

#define ESCAPED(lit, want) escaped(lit, sizeof(lit) - 1, want)

static void test_markup(void **state)
{
    (void)state;
    ESCAPED("", "");
    ESCAPED("gpt-4o-mini", "gpt-4o-mini");
    ESCAPED("<script>alert(1)</script>",
            "&lt;script&gt;alert(1)&lt;/script&gt;");
    ESCAPED("\"><img src=x onerror='x'>",
            "&quot;&gt;&lt;img src=x onerror=&#39;x&#39;&gt;");
    ESCAPED("a&b &amp; c", "a&amp;b &amp;amp; c");
    ESCAPED("]]><!-- -->", "]]&gt;&lt;!-- --&gt;");
}

static void test_bytes(void **state)
{
    (void)state;
    /* Well-formed text passes through, tab and newlines included. */
    ESCAPED("caf\xc3\xa9\t\xe2\x82\xac\n\xf0\x9f\x98\x80\r",
            "caf\xc3\xa9\t\xe2\x82\xac\n\xf0\x9f\x98\x80\r");
    /* NUL, other C0 controls and DEL. */
    ESCAPED("a\0b\x01\x1b[31m\x7f",
            "a\xef\xbf\xbd"
            "b\xef\xbf\xbd\xef\xbf\xbd[31m\xef\xbf\xbd");
    /* A lone continuation byte, a truncated sequence, an overlong '<'. */
    ESCAPED("x\x80y", "x\xef\xbf\xbdy");
    ESCAPED("\xe2\x82", "\xef\xbf\xbd");
    ESCAPED("\xc0\xbc", "\xef\xbf\xbd\xef\xbf\xbd");
    /* A surrogate encoded in UTF-8. */
    ESCAPED("\xed\xa0\x80!", "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd!");
    /* C1 control U+0085 and noncharacters U+FDD0, U+FFFE, U+1FFFF. */
    ESCAPED("\xc2\x85|\xef\xb7\x90|\xef\xbf\xbe|\xf0\x9f\xbf\xbf",
            "\xef\xbf\xbd|\xef\xbf\xbd|\xef\xbf\xbd|\xef\xbf\xbd");
    /* U+00A0 and U+FFFD itself are fine. */
    ESCAPED("\xc2\xa0\xef\xbf\xbd", "\xc2\xa0\xef\xbf\xbd");
}

static void test_puts(void **state)
{
    (void)state;
    html_puts(&out, NULL);
    assert_string_equal(text(), "");
    html_puts(&out, "<b>");
    assert_string_equal(text(), "&lt;b&gt;");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(test_markup, reset),
        cmocka_unit_test_setup(test_bytes, reset),
        cmocka_unit_test_setup(test_puts, reset),
    };
    int rc = cmocka_run_group_tests(tests, NULL, NULL);
    buf_free(&out);
    return rc;
}
