/*
 * The status page's frame with no feature configured, byte for byte where
 * it is made of the sources given: the health line, the reload and
 * checkpoint line, the sections that say what is not configured, and the
 * footer; and that text from the sources is escaped. Then the usage
 * section on a ledger fed lines: the month's table by model, and the 30
 * days, a day before the month included.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "ledger_helpers.h"
#include "out_helpers.h"
#include "status_page.h"

#define NOW ((int64_t)1700000000) /* 2023-11-14T22:13:20Z */

static void assert_has(const char *part)
{
    if (!strstr(text(), part))
        fail_msg("missing: %s", part);
}

static void test_nothing_configured(void **state)
{
    (void)state;
    struct config_status cs = {
        .loaded_ms = (NOW - 300) * 1000,
        .last_ok = false,
        .last_errors = 2,
        .reloads = 3,
    };
    struct state_stats st = {.checkpoints = 4, .last_time = NOW - 10};
    struct status_sources src = {
        .version = "1.2<3",
        .healthy = false,
        .uptime_ms = 3600 * 1000 + 999,
        .now = NOW,
        .config = &cs,
        .state = &st,
        .state_path = "/var/lib/tokentail/state.db",
    };
    assert_int_equal(status_page_write(&src, &out), 0);
    static const char doctype[] = "<!DOCTYPE html>\n<html lang=\"en\"><head>";
    assert_memory_equal(text(), doctype, sizeof doctype - 1);
    assert_has("<header><h1>tokentail</h1><p><span class=\"badge bad\" "
               "id=\"health\">degraded</span> &middot; version 1.2&lt;3 "
               "&middot; up 1 h</p><p>Configuration loaded 5 min ago; last "
               "reload failed with 2 errors. Last checkpoint 10 s ago.</p>"
               "</header>\n<main>");
    assert_has("<section id=\"usage\"><h2>This month by model</h2><p "
               "class=\"none\">No usage section is configured: spend and "
               "tokens are not kept.</p></section>"
               "<section id=\"budgets\"><h2>Budgets</h2><p class=\"none\">No "
               "budgets are configured.</p></section>"
               "<section id=\"alerts\"><h2>Alerts</h2><p class=\"none\">No "
               "rule files are configured.</p></section></main>\n");
    assert_has("<footer>Figures as of 2023-11-14 22:13:20 UTC. Raw: <a "
               "href=\"metrics\">/metrics</a> &middot; <a href=\"health\">"
               "/health</a></footer>\n</body></html>\n");
    assert_null(strstr(text(), "<svg"));
}

static void test_healthy_without_state(void **state)
{
    (void)state;
    struct config_status cs = {.loaded_ms = NOW * 1000, .last_ok = true};
    struct status_sources src = {
        .version = "0.1.0",
        .healthy = true,
        .uptime_ms = 2000,
        .now = NOW,
        .config = &cs,
        .state_path = "",
    };
    assert_int_equal(status_page_write(&src, &out), 0);
    assert_has("<span class=\"badge ok\" id=\"health\">healthy</span> "
               "&middot; version 0.1.0 &middot; up 2 s</p><p>Configuration "
               "loaded just now; last reload none yet. No state file: "
               "nothing survives a restart.</p>");
}

/* Spend by model; tokens with no model label. */
#define USAGE_YAML(cost_labels)                                                \
    "inputs: [{name: app, paths: [/dev/null], time: ts}]\n"                    \
    "metrics:\n"                                                               \
    "  - {name: cost_usd_total, type: counter, value: n" cost_labels "}\n"     \
    "  - {name: tokens_total, type: counter, value: d}\n"                      \
    "usage:\n"                                                                 \
    "  metrics: [cost_usd_total, tokens_total]\n"                              \
    "  timezone: UTC\n" LEDGER_KEEP_ALL

static void usage_page(const char *yaml)
{
    struct lfix f;
    lfix_open(&f, yaml, "");
    lfix_line(&f, "2023-11-14T20:00:00Z", "a", "1.5", "100");
    lfix_line(&f, "2023-11-01T00:00:00Z", "b", "2", "50");
    lfix_line(&f, "2023-10-31T23:59:59Z", "a", "4", "7"); /* last month */
    lfix_line(&f, "2023-11-14T21:00:00Z", "a", "0.0042", "3");
    struct status_sources src = {
        .version = "0.1.0", .now = NOW, .state_path = "", .ledger = f.l};
    assert_int_equal(status_page_write(&src, &out), 0);
    lfix_close(&f);
}

static void test_usage_by_model(void **state)
{
    (void)state;
    usage_page(USAGE_YAML(", labels: {model: m}"));
    /* By spend, then the series without a model: tokens only. */
    assert_has("<tbody><tr><th scope=\"row\">b</th>"
               "<td class=\"n\" data-value=\"2\">2.00</td>"
               "<td class=\"n\" data-value=\"0\">0</td></tr>"
               "<tr><th scope=\"row\">a</th>"
               "<td class=\"n\" data-value=\"1.5042\">1.50</td>"
               "<td class=\"n\" data-value=\"0\">0</td></tr>"
               "<tr><th scope=\"row\">(other)</th>"
               "<td class=\"n\" data-value=\"0\">0.00</td>"
               "<td class=\"n\" data-value=\"153\">153</td></tr></tbody>"
               "<tfoot><tr><th scope=\"row\">Total</th>"
               "<td class=\"n\" data-value=\"3.5042\">3.50</td>"
               "<td class=\"n\" data-value=\"153\">153</td></tr></tfoot>");
    /* The 30 days end today and reach into last month. */
    assert_has("<tr><th scope=\"row\">2023-11-14</th>"
               "<td class=\"n\" data-value=\"1.5042\">1.50</td></tr>"
               "<tr><th scope=\"row\">2023-11-13</th>");
    assert_has("<tr><th scope=\"row\">2023-11-01</th>"
               "<td class=\"n\" data-value=\"2\">2.00</td></tr>"
               "<tr><th scope=\"row\">2023-10-31</th>"
               "<td class=\"n\" data-value=\"4\">4.00</td></tr>");
    assert_has("<tr><th scope=\"row\">2023-10-16</th>"
               "<td class=\"n\" data-value=\"0\">0.00</td></tr>"
               "</tbody></table></details>");
    assert_null(strstr(text(), "2023-10-15"));
}

static void test_usage_without_model(void **state)
{
    (void)state;
    usage_page(USAGE_YAML(""));
    assert_has("<tbody><tr><th scope=\"row\">All models</th>"
               "<td class=\"n\" data-value=\"3.5042\">3.50</td>"
               "<td class=\"n\" data-value=\"153\">153</td></tr></tbody>");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(test_nothing_configured, reset),
        cmocka_unit_test_setup(test_healthy_without_state, reset),
        cmocka_unit_test_setup(test_usage_by_model, reset),
        cmocka_unit_test_setup(test_usage_without_model, reset),
    };
    int rc = cmocka_run_group_tests(tests, NULL, NULL);
    buf_free(&out);
    return rc;
}
