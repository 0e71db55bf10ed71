#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include <zlib.h>

#include "gzip.h"

/* Inflates a gzip member into out; the member must be whole. */
static void gunzip(const struct buf *in, struct buf *out)
{
    z_stream z;
    memset(&z, 0, sizeof(z));
    assert_int_equal(inflateInit2(&z, 15 + 16), Z_OK);
    z.next_in = (Bytef *)in->data;
    z.avail_in = (uInt)in->len;
    int rc;
    do {
        char tmp[4096];
        z.next_out = (Bytef *)tmp;
        z.avail_out = sizeof(tmp);
        rc = inflate(&z, Z_NO_FLUSH);
        assert_true(rc == Z_OK || rc == Z_STREAM_END);
        buf_append(out, tmp, sizeof(tmp) - z.avail_out);
    } while (rc != Z_STREAM_END);
    assert_int_equal(z.avail_in, 0);
    inflateEnd(&z);
}

/* An exposition-like text of about n bytes. */
static void exposition(struct buf *b, size_t n)
{
    for (unsigned i = 0; b->len < n; i++)
        buf_printf(b, "llm_tokens_total{model=\"m%u\",kind=\"input\"} %u\n",
                   i % 37, i * 7919 % 100003);
}

static void test_round_trip(void **state)
{
    struct buf in = {0}, z = {0}, back = {0};
    (void)state;
    exposition(&in, 200000);
    for (int level = 1; level <= 9; level += 5) {
        buf_reset(&back);
        assert_int_equal(gzip_compress(in.data, in.len, level, 1024, &z), 0);
        /* The gzip magic, then deflate. */
        assert_true(z.len > 18 && z.len < in.len / 4);
        assert_int_equal((unsigned char)z.data[0], 0x1f);
        assert_int_equal((unsigned char)z.data[1], 0x8b);
        assert_int_equal(z.data[2], 8);
        gunzip(&z, &back);
        assert_int_equal(back.len, in.len);
        assert_memory_equal(back.data, in.data, in.len);
    }
    buf_free(&in);
    buf_free(&z);
    buf_free(&back);
}

static void test_does_not_pay(void **state)
{
    struct buf in = {0}, z = {0};
    (void)state;
    exposition(&in, 4000);
    /* Under the threshold: plain. */
    assert_int_equal(gzip_compress(in.data, 1023, 1, 1024, &z), 1);
    assert_int_equal(z.len, 0);
    assert_int_equal(gzip_compress(in.data, 1024, 1, 1024, &z), 0);
    assert_int_equal(gzip_compress("", 0, 1, 0, &z), 1);
    /* Random bytes do not shrink: plain, whatever the size. */
    buf_reset(&in);
    uint32_t x = 2463534242u;
    for (int i = 0; i < 5000; i++) {
        x ^= x << 13;
        x ^= x >> 17;
        x ^= x << 5;
        buf_putc(&in, (char)(x >> 24));
    }
    assert_int_equal(gzip_compress(in.data, in.len, 1, 1024, &z), 1);
    assert_int_equal(z.len, 0);
    buf_free(&in);
    buf_free(&z);
}

static void test_paths(void **state)
{
    (void)state;
    assert_true(gzip_path("/metrics"));
    assert_true(gzip_path("/health"));
    assert_true(gzip_path("/api/v1/usage"));
    assert_true(gzip_path("/api/v1/alerts"));
    assert_false(gzip_path("/"));
    assert_false(gzip_path("/metricsx"));
    assert_false(gzip_path("/api/v1"));
    assert_false(gzip_path("/-/reload"));
}

static void test_reply(void **state)
{
    struct buf body = {0}, back = {0};
    bool vary;
    (void)state;
    exposition(&body, GZIP_MIN_BYTES * 4);
    size_t len = body.len;

    /* Not asked for: as it was, but the answer varies. */
    assert_false(gzip_reply("/metrics", "identity", &body, &vary));
    assert_true(vary);
    assert_int_equal(body.len, len);
    /* A path that is never compressed does not vary. */
    assert_false(gzip_reply("/", "gzip", &body, &vary));
    assert_false(vary);
    assert_int_equal(body.len, len);

    char *copy = strndup(body.data, body.len);
    assert_true(gzip_reply("/metrics", "gzip, deflate", &body, &vary));
    assert_true(vary);
    assert_true(body.len < len);
    gunzip(&body, &back);
    assert_int_equal(back.len, len);
    assert_memory_equal(back.data, copy, len);
    free(copy);

    /* Too small to pay. */
    buf_reset(&body);
    buf_puts(&body, "{\"status\":\"healthy\"}\n");
    assert_false(gzip_reply("/health", "gzip", &body, &vary));
    assert_true(vary);
    assert_string_equal(body.data, "{\"status\":\"healthy\"}\n");
    buf_free(&body);
    buf_free(&back);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_round_trip),
        cmocka_unit_test(test_does_not_pay),
        cmocka_unit_test(test_paths),
        cmocka_unit_test(test_reply),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
