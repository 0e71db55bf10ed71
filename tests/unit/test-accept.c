#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>
#include <cmocka.h>

#include "accept.h"

/* What Prometheus 2.x sends when it scrapes. */
#define PROMETHEUS_2                                                           \
    "application/openmetrics-text;version=1.0.0,application/openmetrics-text;" \
    "version=0.0.1;q=0.75,text/plain;version=0.0.4;q=0.5,*/*;q=0.1"

static void test_next_items(void **state)
{
    const char *p = " gzip;q=0.5 , ,br,\tapplication/x;version=\"1,0\";q=1;"
                    "ext=2 ,x;q=1.5,y;q=0.1234";
    struct accept_item it;
    (void)state;
    assert_true(accept_next(&p, &it));
    assert_int_equal(it.name_len, 4);
    assert_memory_equal(it.name, "gzip", 4);
    assert_int_equal(it.q, 500);
    assert_int_equal(it.params_len, 0);
    assert_true(accept_next(&p, &it));
    assert_memory_equal(it.name, "br", 2);
    assert_int_equal(it.q, ACCEPT_Q_ONE);
    assert_true(accept_next(&p, &it));
    assert_int_equal(it.name_len, strlen("application/x"));
    /* A quoted comma stays inside; the parameters end before q. */
    assert_int_equal(it.params_len, strlen(";version=\"1,0\""));
    assert_int_equal(it.q, ACCEPT_Q_ONE);
    /* Malformed weights admit nothing. */
    assert_true(accept_next(&p, &it));
    assert_memory_equal(it.name, "x", 1);
    assert_int_equal(it.q, 0);
    assert_true(accept_next(&p, &it));
    assert_int_equal(it.q, 0);
    assert_false(accept_next(&p, &it));
}

static void test_openmetrics(void **state)
{
    (void)state;
    assert_true(accept_openmetrics(PROMETHEUS_2));
    assert_true(accept_openmetrics("application/openmetrics-text"));
    assert_true(
        accept_openmetrics("application/openmetrics-text; version=1.0.0"));
    assert_true(accept_openmetrics("text/plain;q=0.5, application/"
                                   "openmetrics-text;version=\"1.0.0\""));
    /* Prometheus 3 asks with escaping= and charset parameters. */
    assert_true(accept_openmetrics(
        "application/openmetrics-text;version=1.0.0;escaping=allow-utf-8;"
        "q=0.6,text/plain;version=0.0.4;q=0.3,*/*;q=0.1"));
    /* Media types are case-insensitive. */
    assert_true(accept_openmetrics("Application/OpenMetrics-Text"));

    assert_false(accept_openmetrics(NULL));
    assert_false(accept_openmetrics(""));
    assert_false(accept_openmetrics("*/*")); /* curl */
    assert_false(accept_openmetrics(
        "text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,"
        "image/webp,*/*;q=0.8")); /* a browser */
    assert_false(accept_openmetrics("text/plain;version=0.0.4"));
    /* Only another version of OpenMetrics. */
    assert_false(
        accept_openmetrics("application/openmetrics-text;version=0.0.1"));
    assert_false(
        accept_openmetrics("application/openmetrics-text;version=2.0.0"));
    /* Refused, or weighed below the text format. */
    assert_false(accept_openmetrics("application/openmetrics-text;q=0"));
    assert_false(accept_openmetrics(
        "application/openmetrics-text;q=0.5,text/plain;q=0.9"));
    assert_false(accept_openmetrics("application/openmetrics-text;q=0.5,*/*"));
    /* A tie keeps the text format. */
    assert_false(accept_openmetrics("application/openmetrics-text,text/*"));
    /* The most specific range decides: application/<any> does not
     * override the explicit refusal. */
    assert_false(accept_openmetrics(
        "application/openmetrics-text;q=0,application/*,*/*;q=0.1"));
    assert_true(accept_openmetrics("application/*,text/plain;q=0.2"));
}

static void test_gzip(void **state)
{
    (void)state;
    assert_true(accept_gzip("gzip"));
    assert_true(accept_gzip("gzip, deflate, br")); /* browsers, curl */
    assert_true(accept_gzip("GZIP;q=0.2"));
    assert_true(accept_gzip("x-gzip"));
    assert_true(accept_gzip("*"));
    assert_true(accept_gzip("identity;q=0.5, *"));
    assert_true(accept_gzip("gzip;q=1.000, identity;q=1"));

    assert_false(accept_gzip(NULL));
    assert_false(accept_gzip(""));
    assert_false(accept_gzip("identity"));
    assert_false(accept_gzip("deflate, br"));
    assert_false(accept_gzip("gzip;q=0"));
    assert_false(accept_gzip("gzip;q=0.000, *"));
    assert_false(accept_gzip("*;q=0"));
    assert_false(accept_gzip("gzip;q=0.5, identity"));
    assert_false(accept_gzip("gzip;q=abc"));
    assert_false(accept_gzip("gzipx"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_next_items),
        cmocka_unit_test(test_openmetrics),
        cmocka_unit_test(test_gzip),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
