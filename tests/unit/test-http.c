#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>
#include <cmocka.h>

#include "http.h"

static int judge(const char *s)
{
    return http_gate_judge(s, strlen(s));
}

static void test_request_lines(void **state)
{
    (void)state;
    assert_int_equal(judge("GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n"), 1);
    assert_int_equal(judge("GET / HTTP/1.0\n"), 1);
    assert_int_equal(judge("\r\nHEAD /health?x=%20 HTTP/1.1\r\n"), 1);
    /* A method libmicrohttpd answers with 405 is still a request line. */
    assert_int_equal(judge("BREW /pot HTTP/1.1\r\n"), 1);
    /* The version is libmicrohttpd's to answer (505). */
    assert_int_equal(judge("GET / HTTP/9.9\r\n"), 1);
}

static void test_too_early(void **state)
{
    (void)state;
    assert_int_equal(judge(""), 0);
    assert_int_equal(judge("\r\n"), 0);
    assert_int_equal(judge("GE"), 0);
    assert_int_equal(judge("GET /metr"), 0);
    assert_int_equal(judge("GET /metrics HTTP/1"), 0);
    assert_int_equal(judge("GET /metrics HTTP/1.1"), 0);
    assert_int_equal(judge("GET /metrics HTTP/1.1\r"), 0);
}

static void test_garbage(void **state)
{
    (void)state;
    assert_int_equal(judge("garbage\r\n"), -1);
    assert_int_equal(judge("GET\r\n"), -1);
    assert_int_equal(judge(" GET / HTTP/1.1\r\n"), -1);
    assert_int_equal(judge("GET  / HTTP/1.1\r\n"), -1);
    assert_int_equal(judge("GET / FOO\r\n"), -1);
    assert_int_equal(judge("GET / HTTP/1.1 \r\n"), -1);
    assert_int_equal(judge("GET / HTTP/1.1\rx"), -1);
    assert_int_equal(judge("GET /\x01 HTTP/1.1\r\n"), -1);
    assert_int_equal(judge("G(T / HTTP/1.1\r\n"), -1);
    /* Decided at the first bad byte, without waiting for a line end. */
    assert_int_equal(http_gate_judge("\0\1\2 garbage", 11), -1);
    assert_int_equal(judge("\x16\x03\x01\x02"), -1); /* a TLS hello */
    assert_int_equal(judge("GET / HTTX"), -1);
}

static void test_long_lines(void **state)
{
    static char line[4096];
    (void)state;
    /* A first line longer than the gate looks at goes on to the server,
     * which answers 414 or 431. */
    memset(line, 'a', sizeof(line));
    memcpy(line, "GET /", 5);
    assert_int_equal(http_gate_judge(line, sizeof(line)), 1);
    assert_int_equal(http_gate_judge(line, 100), 0);
    memset(line, 'A', sizeof(line));
    assert_int_equal(http_gate_judge(line, sizeof(line)), 1);
    /* The version cut off where the gate stops looking: still the
     * server's to judge, not a wait until the timeout. */
    memset(line, 'a', sizeof(line));
    memcpy(line, "GET /", 5);
    memcpy(line + 2040, " HTTP/1.1\r\n", 11);
    assert_int_equal(http_gate_judge(line, 2048), 1);
    assert_int_equal(http_gate_judge(line, 2045), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_request_lines),
        cmocka_unit_test(test_too_early),
        cmocka_unit_test(test_garbage),
        cmocka_unit_test(test_long_lines),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
