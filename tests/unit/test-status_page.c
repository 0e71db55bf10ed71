/*
 * The status page's frame with no feature configured, byte for byte where
 * it is made of the sources given: the health line, the reload and
 * checkpoint line, the sections that say what is not configured, and the
 * footer; and that text from the sources is escaped.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "status_page.h"
#include "out_helpers.h"

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

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(test_nothing_configured, reset),
        cmocka_unit_test_setup(test_healthy_without_state, reset),
    };
    int rc = cmocka_run_group_tests(tests, NULL, NULL);
    buf_free(&out);
    return rc;
}
