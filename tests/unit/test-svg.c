/*
 * The charts' markup byte for byte: scaling to the largest value, values
 * that cannot be drawn, escaped labels, the budget bar's classes and marks.
 */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "svg.h"
#include "out_helpers.h"

static void test_bars(void **state)
{
    (void)state;
    const struct svg_item items[] = {
        {"a<b", 10, "10.00"},
        {"c", 5, "5.00"},
    };
    svg_bar_chart(&out, "Spend & tokens", items, 2);
    assert_string_equal(
        text(),
        "<svg class=\"chart bars\" viewBox=\"0 0 600 48.0\" role=\"img\" "
        "aria-label=\"Spend &amp; tokens\"><title>Spend &amp; tokens</title>"
        "<text class=\"label\" x=\"164\" y=\"17.0\" text-anchor=\"end\">"
        "a&lt;b</text><rect class=\"bar\" x=\"170.0\" y=\"4.0\" "
        "width=\"330.0\" height=\"16.0\"/><text class=\"value\" x=\"506.0\" "
        "y=\"17.0\">10.00</text>"
        "<text class=\"label\" x=\"164\" y=\"41.0\" text-anchor=\"end\">"
        "c</text><rect class=\"bar\" x=\"170.0\" y=\"28.0\" "
        "width=\"165.0\" height=\"16.0\"/><text class=\"value\" x=\"341.0\" "
        "y=\"41.0\">5.00</text></svg>");
}

static void test_bars_empty_and_zero(void **state)
{
    (void)state;
    svg_bar_chart(&out, "none", NULL, 0);
    assert_string_equal(text(), "");
    const struct svg_item zero[] = {{"m", 0, "0.00"}};
    svg_bar_chart(&out, "t", zero, 1);
    assert_non_null(strstr(text(), "width=\"0.0\""));
    assert_null(strstr(text(), "nan"));
}

static void test_columns(void **state)
{
    (void)state;
    const struct svg_item items[] = {
        {"d1", 1, "1"},
        {"d2", NAN, "n/a"},
        {"d3", 4, "4"},
    };
    svg_column_chart(&out, "Per day", items, 3, 2);
    assert_string_equal(
        text(),
        "<svg class=\"chart cols\" viewBox=\"0 0 600 138.0\" role=\"img\" "
        "aria-label=\"Per day\"><title>Per day</title>"
        "<rect class=\"col\" x=\"0.0\" y=\"90.0\" width=\"198.0\" "
        "height=\"30.0\"><title>d1: 1</title></rect>"
        "<text class=\"axis\" x=\"198.0\" y=\"134\" text-anchor=\"end\">"
        "d1</text>"
        "<rect class=\"col\" x=\"200.0\" y=\"120.0\" width=\"198.0\" "
        "height=\"0.0\"><title>d2: n/a</title></rect>"
        "<rect class=\"col\" x=\"400.0\" y=\"0.0\" width=\"198.0\" "
        "height=\"120.0\"><title>d3: 4</title></rect>"
        "<text class=\"axis\" x=\"598.0\" y=\"134\" text-anchor=\"end\">"
        "d3</text>"
        "<line class=\"mark\" x1=\"0\" y1=\"120\" x2=\"600\" y2=\"120\"/>"
        "</svg>");
}

#define PROGRESS_OPEN                                                          \
    "<svg class=\"chart progress\" viewBox=\"0 0 600 28.0\" role=\"img\" "     \
    "aria-label=\"b\"><title>b</title><rect class=\"track\" x=\"0.0\" "        \
    "y=\"6.0\" width=\"600.0\" height=\"16.0\"/>"

static void test_progress(void **state)
{
    (void)state;
    const struct svg_progress under = {30, 40, 50, 75};
    svg_progress_bar(&out, "b", &under);
    assert_string_equal(
        text(), PROGRESS_OPEN
        "<rect class=\"fill\" x=\"0.0\" y=\"6.0\" width=\"240.0\" "
        "height=\"16.0\"/>"
        "<line class=\"mark warn\" x1=\"320.0\" y1=\"0\" x2=\"320.0\" "
        "y2=\"28\"/>"
        "<line class=\"mark limit\" x1=\"400.0\" y1=\"0\" x2=\"400.0\" "
        "y2=\"28\"/>"
        "<line class=\"proj\" x1=\"600.0\" y1=\"0\" x2=\"600.0\" y2=\"28\"/>"
        "</svg>");

    buf_reset(&out);
    const struct svg_progress over = {60, 0, 50, -1};
    svg_progress_bar(&out, "b", &over);
    assert_string_equal(
        text(), PROGRESS_OPEN
        "<rect class=\"fill over\" x=\"0.0\" y=\"6.0\" width=\"600.0\" "
        "height=\"16.0\"/>"
        "<line class=\"mark limit\" x1=\"500.0\" y1=\"0\" x2=\"500.0\" "
        "y2=\"28\"/></svg>");

    buf_reset(&out);
    const struct svg_progress warned = {45, 40, 50, NAN};
    svg_progress_bar(&out, "b", &warned);
    assert_string_equal(
        text(), PROGRESS_OPEN
        "<rect class=\"fill warn\" x=\"0.0\" y=\"6.0\" width=\"540.0\" "
        "height=\"16.0\"/>"
        "<line class=\"mark warn\" x1=\"480.0\" y1=\"0\" x2=\"480.0\" "
        "y2=\"28\"/>"
        "<line class=\"mark limit\" x1=\"600.0\" y1=\"0\" x2=\"600.0\" "
        "y2=\"28\"/></svg>");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(test_bars, reset),
        cmocka_unit_test_setup(test_bars_empty_and_zero, reset),
        cmocka_unit_test_setup(test_columns, reset),
        cmocka_unit_test_setup(test_progress, reset),
    };
    int rc = cmocka_run_group_tests(tests, NULL, NULL);
    buf_free(&out);
    return rc;
}
