/*
 * Duration texts, part by part: each number scaled exactly by its unit's
 * seconds, the parts added in fixed point.
 */
#include "duration.h"

#include <errno.h>
#include <stdbool.h>
#include <string.h>

/* A unit's name and its length in seconds, mant x 10^exp. */
struct unit {
    const char *name;
    size_t len;
    struct num_dec seconds;
};

/* Longer names first: "ms" is not "m" followed by "s". */
static const struct unit units[] = {
    {"ns", 2, {1, -9, false}},        {"us", 2, {1, -6, false}},
    {"\xc2\xb5s", 3, {1, -6, false}}, /* U+00B5 MICRO SIGN */
    {"\xce\xbcs", 3, {1, -6, false}}, /* U+03BC GREEK SMALL LETTER MU */
    {"ms", 2, {1, -3, false}},        {"s", 1, {1, 0, false}},
    {"m", 1, {60, 0, false}},         {"h", 1, {3600, 0, false}},
};

/* The end of the number at s: digits with at most one point. */
static const char *number_end(const char *s, const char *end)
{
    bool point = false;
    for (; s < end; s++) {
        if (*s == '.' && !point)
            point = true;
        else if (*s < '0' || *s > '9')
            break;
    }
    return s;
}

/* The unit at s (n bytes), or NULL. */
static const struct unit *unit_at(const char *s, size_t n)
{
    for (size_t i = 0; i < sizeof(units) / sizeof(units[0]); i++)
        if (n >= units[i].len && memcmp(s, units[i].name, units[i].len) == 0)
            return &units[i];
    return NULL;
}

int duration_parse(const char *s, size_t len, num_fixed *out)
{
    const char *p = s, *end = s + len;
    bool neg = false;
    if (p < end && (*p == '-' || *p == '+'))
        neg = *p++ == '-';
    if (end - p == 1 && *p == '0') {
        *out = 0;
        return 0;
    }
    if (p == end)
        return -EINVAL;
    num_fixed total = 0;
    while (p < end) {
        const char *start = p;
        struct num_dec n;
        /* A sign or an exponent is no part of a duration's number. */
        p = number_end(p, end);
        if (p == start || num_parse_text(start, (size_t)(p - start), &n) != 0)
            return -EINVAL;
        const struct unit *u = unit_at(p, (size_t)(end - p));
        if (u == NULL)
            return -EINVAL;
        p += u->len;
        num_fixed part;
        if (num_to_fixed(&n, &u->seconds, &part) != 0 ||
            part > NUM_FIXED_MAX - total)
            return -ERANGE;
        total += part;
    }
    *out = neg ? -total : total;
    return 0;
}
