/*
 * The numbered series of a usage metric (ledger_names.h): numbers given
 * in order and found again by key, records of keys there and back, and
 * malformed records refused.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "ledger_chunk.h"
#include "ledger_names.h"
#include "registry.h"

#define MANY 1000

static int64_t add(struct ledger_names *s, const char *key, size_t len)
{
    return ledger_names_add(s, key, len, registry_hash(key, len));
}

static int64_t find(const struct ledger_names *s, const char *key, size_t len)
{
    return ledger_names_find(s, key, len, registry_hash(key, len));
}

/* Records a record's keys as "slot:key;". */
static int collect(void *ctx, size_t slot, const char *key, size_t len)
{
    buf_printf(ctx, "%zu:%.*s;", slot, (int)len, key);
    return 0;
}

static void test_numbers(void **state)
{
    struct ledger_names s = {0};
    char key[32];
    (void)state;
    assert_int_equal(find(&s, "a", 2), -1);
    for (int i = 0; i < MANY; i++) {
        int n = snprintf(key, sizeof(key), "user-%d", i);
        assert_int_equal(add(&s, key, (size_t)n + 1), i);
    }
    assert_int_equal(add(&s, "", 0), MANY); /* a series without labels */
    for (int i = 0; i < MANY; i++) {
        int n = snprintf(key, sizeof(key), "user-%d", i);
        assert_int_equal(find(&s, key, (size_t)n + 1), i);
        assert_int_equal(find(&s, key, (size_t)n), -1);
    }
    assert_int_equal(find(&s, "", 0), MANY);

    /* The second record holds 64 to 127. */
    struct buf b = {0}, got = {0};
    ledger_names_encode(&s, 1, &b);
    assert_int_equal(ledger_names_decode(b.data, b.len, collect, &got), 0);
    assert_memory_equal(got.data, "0:user-64", 9);
    assert_non_null(strstr(got.data, ";63:user-127\0;"));
    /* The last, partly filled: 960 to 999 and the empty key. */
    buf_reset(&b);
    buf_reset(&got);
    ledger_names_encode(&s, MANY / LEDGER_CHUNK, &b);
    assert_int_equal(ledger_names_decode(b.data, b.len, collect, &got), 0);
    assert_non_null(strstr(got.data, ";40:;"));
    assert_null(strstr(got.data, ";41:"));

    ledger_names_clear(&s);
    assert_int_equal(find(&s, "user-1", 7), -1);
    assert_int_equal(add(&s, "x", 1), 0);
    ledger_names_free(&s);
    buf_free(&b);
    buf_free(&got);
}

static void test_malformed(void **state)
{
    struct buf got = {0};
    (void)state;
    static const struct {
        const char *bytes;
        size_t len;
    } bad[] = {
        {"\x05"
         "ab",
         3},                             /* shorter than said */
        {"\x80", 1},                     /* a length cut short */
        {"\xff\xff\xff\xff\xff\x01", 6}, /* a length too long */
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(*bad); i++)
        if (ledger_names_decode(bad[i].bytes, bad[i].len, collect, &got) !=
            -EBADMSG)
            fail_msg("record %zu was taken", i);
    /* More than a record holds. */
    char many[LEDGER_CHUNK + 1];
    memset(many, 0, sizeof(many));
    assert_int_equal(ledger_names_decode(many, sizeof(many), collect, &got),
                     -EBADMSG);
    assert_int_equal(ledger_names_decode(many, LEDGER_CHUNK, collect, &got), 0);
    buf_free(&got);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_numbers),
        cmocka_unit_test(test_malformed),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
