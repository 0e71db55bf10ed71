#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include <curl/curl.h>
#include <snappy-c.h>

#include "lazylib.h"

/* A library that is not there: NULL, and the loader's reason. */
static void test_missing_library(void **state)
{
    static const char *const names[] = {"libtokentail-absent.so.9", NULL};
    static const char *const symbols[] = {"f"};
    void *fns[1] = {NULL};
    char why[LAZYLIB_WHY_TEXT] = "";
    (void)state;
    assert_null(lazylib_open(names, symbols, fns, 1, why, sizeof(why)));
    assert_non_null(strstr(why, "libtokentail-absent.so.9"));
}

/* A library without one of the functions: NULL, and which one. */
static void test_missing_symbol(void **state)
{
    static const char *const names[] = {"libsnappy.so.1", NULL};
    static const char *const symbols[] = {"snappy_compress",
                                          "snappy_no_such_function"};
    void *fns[2] = {NULL, NULL};
    char why[LAZYLIB_WHY_TEXT] = "";
    (void)state;
    assert_null(lazylib_open(names, symbols, fns, 2, why, sizeof(why)));
    assert_non_null(strstr(why, "snappy_no_such_function"));
}

static size_t discard(char *p, size_t size, size_t n, void *ctx)
{
    (void)p;
    (void)ctx;
    return size * n;
}

/*
 * The forwarders reach the real libcurl, and each kind of option's
 * argument arrives as what it is: a long, a pointer, a function and a
 * curl_off_t. Nothing is sent.
 */
static void test_curl_forwarding(void **state)
{
    char why[LAZYLIB_WHY_TEXT] = "";
    (void)state;
    assert_int_equal(lazylib_curl(why, sizeof(why)), 0);
    assert_string_equal(curl_easy_strerror(CURLE_OK), "No error");
    CURL *e = curl_easy_init();
    assert_non_null(e);
    assert_int_equal(curl_easy_setopt(e, CURLOPT_URL, "http://127.0.0.1:9/x"),
                     CURLE_OK);
    assert_int_equal(curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, 1500L), CURLE_OK);
    assert_int_equal(curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, discard),
                     CURLE_OK);
    assert_int_equal(
        curl_easy_setopt(e, CURLOPT_MAXFILESIZE_LARGE, (curl_off_t)1 << 40),
        CURLE_OK);
    char *url = NULL;
    assert_int_equal(curl_easy_getinfo(e, CURLINFO_EFFECTIVE_URL, &url),
                     CURLE_OK);
    assert_string_equal(url, "http://127.0.0.1:9/x");
    struct curl_slist *h = curl_slist_append(NULL, "X-A: 1");
    assert_non_null(h);
    assert_string_equal(h->data, "X-A: 1");
    curl_slist_free_all(h);
    curl_slist_free_all(NULL);
    CURLM *m = curl_multi_init();
    assert_non_null(m);
    assert_int_equal(curl_multi_setopt(m, CURLMOPT_MAXCONNECTS, 4L), CURLM_OK);
    assert_int_equal(curl_multi_cleanup(m), CURLM_OK);
    curl_easy_cleanup(e);
}

/* snappy's bound and a compression, through the forwarders. */
static void test_snappy_forwarding(void **state)
{
    char in[100], out[200];
    size_t out_len = sizeof(out);
    (void)state;
    memset(in, 'a', sizeof(in));
    assert_int_equal(lazylib_snappy(NULL, 0), 0);
    /* snappy's documented bound: 32 + n + n / 6. */
    assert_int_equal(snappy_max_compressed_length(100), 32 + 100 + 100 / 6);
    assert_int_equal(snappy_compress(in, sizeof(in), out, &out_len), SNAPPY_OK);
    assert_true(out_len > 0 && out_len < sizeof(in));
    assert_int_equal((unsigned char)out[0], 100); /* the length, a varint */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_missing_library),
        cmocka_unit_test(test_missing_symbol),
        cmocka_unit_test(test_curl_forwarding),
        cmocka_unit_test(test_snappy_forwarding),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
