/* Small helpers shared by the unit tests. */
#ifndef TOKENTAIL_TEST_HELPERS_H
#define TOKENTAIL_TEST_HELPERS_H

#include <string.h>

#include "num.h"
#include "registry.h"

/* The fixed-point value of a decimal written in the test. */
static inline num_fixed dec(const char *s)
{
    struct num_dec d;
    num_fixed v;
    assert_int_equal(num_parse_text(s, strlen(s), &d), 0);
    assert_int_equal(num_to_fixed(&d, NULL, &v), 0);
    return v;
}

/* The series of f for a key of len bytes (values each ending in NUL). */
static inline struct series *get(struct family *f, const char *key, size_t len)
{
    return family_get(f, key, (uint32_t)len, registry_hash(key, len));
}

#endif
