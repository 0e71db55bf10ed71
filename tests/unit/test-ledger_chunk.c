/*
 * Ledger records (ledger_chunk.h): rows there and back, the bytes the
 * format promises, and every malformed record refused.
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

static void test_round_trip(void **state)
{
    struct ledger_slot in[LEDGER_CHUNK] = {0}, out[LEDGER_CHUNK];
    struct buf b = {0};
    (void)state;
    in[0] = (struct ledger_slot){0, 0, true};
    in[1] = (struct ledger_slot){NUM_ONE * 347 / 100, 0, true};
    in[5] = (struct ledger_slot){-NUM_ONE / 4, 12, true};
    in[62] = (struct ledger_slot){NUM_FIXED_MAX, UINT64_MAX, true};
    in[63] = (struct ledger_slot){-NUM_FIXED_MAX, 1, true};
    in[7] = (struct ledger_slot){(num_fixed)1000000000 * NUM_ONE * NUM_ONE, 3,
                                 true}; /* 10^21, beyond 64 bits */
    in[8] = (struct ledger_slot){-(num_fixed)5 * 1000000, 0, true};
    ledger_chunk_encode(in, &b);
    assert_false(b.oom);
    assert_int_equal(ledger_chunk_decode(b.data, b.len, out), 0);
    assert_memory_equal(in, out, sizeof(in));
    /* 3.47 is 3470000 millionths, zigzag 6940000: the slot with scale 1,
     * four bytes, the count. */
    assert_int_equal((unsigned char)b.data[3], 0x41);
    assert_memory_equal(b.data + 4, "\xe0\xca\xa7\x03\x00", 5);
    /* 0: the slot with scale 2, then two zeros. */
    assert_memory_equal(b.data, "\x80\x00\x00", 3);
    buf_free(&b);
    /* Nothing used: an empty record. */
    memset(in, 0, sizeof(in));
    ledger_chunk_encode(in, &b);
    assert_int_equal(b.len, 0);
    assert_int_equal(ledger_chunk_decode("", 0, out), 0);
    for (int i = 0; i < LEDGER_CHUNK; i++)
        assert_false(out[i].used);
    buf_free(&b);
}

static void test_malformed(void **state)
{
    struct ledger_slot out[LEDGER_CHUNK];
    (void)state;
    static const struct {
        const char *bytes;
        size_t len;
    } bad[] = {
        {"\xc0\x00\x00", 3},             /* scale 3 */
        {"\x02\x00\x00\x01\x00\x00", 6}, /* slots out of order */
        {"\x02\x00\x00\x02\x00\x00", 6}, /* a slot twice */
        {"\x01\x80", 2},                 /* a sum cut short */
        {"\x01\x00", 2},                 /* no count */
        {"\x01\x00\xff\xff\xff\xff\xff\xff\xff\xff\xff\x7f", 12}, /* >64 bits */
        {"\x01\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff"
         "\xff\xff\xff\x04\x00",
         21}, /* beyond 128 bits */
        {"\x01\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff"
         "\xff\xff\xff\x03\x00",
         21}, /* -2^127, beyond NUM_FIXED_MAX */
        {"\x81"
         "\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff"
         "\x01\x00",
         16}, /* 2^91 units of 1: beyond NUM_FIXED_MAX */
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(*bad); i++)
        if (ledger_chunk_decode(bad[i].bytes, bad[i].len, out) != -EBADMSG)
            fail_msg("record %zu was taken", i);
}

static void test_add(void **state)
{
    (void)state;
    assert_true(ledger_add(NUM_FIXED_MAX, 1) == NUM_FIXED_MAX);
    assert_true(ledger_add(-NUM_FIXED_MAX, -1) == -NUM_FIXED_MAX);
    assert_true(ledger_add(NUM_ONE, NUM_ONE) == 2 * NUM_ONE);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_round_trip),
        cmocka_unit_test(test_malformed),
        cmocka_unit_test(test_add),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
