#include "num.h"

#include <errno.h>
#include <string.h>

/* 10^0 .. 10^38: every power of ten that fits in 128 unsigned bits. */
#define NUM_E19 ((num_u128)10000000000000000000ULL)
static const num_u128 num_pow10_table[39] = {1ULL,
                                             10ULL,
                                             100ULL,
                                             1000ULL,
                                             10000ULL,
                                             100000ULL,
                                             1000000ULL,
                                             10000000ULL,
                                             100000000ULL,
                                             1000000000ULL,
                                             10000000000ULL,
                                             100000000000ULL,
                                             1000000000000ULL,
                                             10000000000000ULL,
                                             100000000000000ULL,
                                             1000000000000000ULL,
                                             10000000000000000ULL,
                                             100000000000000000ULL,
                                             1000000000000000000ULL,
                                             10000000000000000000ULL,
                                             NUM_E19 * 10ULL,
                                             NUM_E19 * 100ULL,
                                             NUM_E19 * 1000ULL,
                                             NUM_E19 * 10000ULL,
                                             NUM_E19 * 100000ULL,
                                             NUM_E19 * 1000000ULL,
                                             NUM_E19 * 10000000ULL,
                                             NUM_E19 * 100000000ULL,
                                             NUM_E19 * 1000000000ULL,
                                             NUM_E19 * 10000000000ULL,
                                             NUM_E19 * 100000000000ULL,
                                             NUM_E19 * 1000000000000ULL,
                                             NUM_E19 * 10000000000000ULL,
                                             NUM_E19 * 100000000000000ULL,
                                             NUM_E19 * 1000000000000000ULL,
                                             NUM_E19 * 10000000000000000ULL,
                                             NUM_E19 * 100000000000000000ULL,
                                             NUM_E19 * 1000000000000000000ULL,
                                             NUM_E19 * 10000000000000000000ULL};

static num_u128 num_pow10(int n)
{
    return num_pow10_table[n];
}

/* Digits that always fit in 64 bits: 10^19 - 1 < 2^64. */
#define NUM_U64_DIGITS 19

/* Whether v fits in 64 bits, where the common cases are computed. */
static inline bool num_narrow(num_u128 v)
{
    return (v >> 64) == 0;
}

#define NUM_MAX_DIGITS 38
#define NUM_EXP_CLAMP                                                          \
    100000 /* beyond this every value is 0 or out of range                     \
            */

/*
 * The shared scanner. strict selects the JSON grammar; otherwise the
 * relaxed configuration grammar.
 */
static int num_scan(const char *s, size_t len, struct num_dec *out, bool strict)
{
    const char *p = s, *end = s + len;
    num_u128 mant = 0;
    int digits = 0;   /* significant digits kept in mant */
    int32_t exp = 0;  /* adjustment from dropped or fractional digits */
    bool any = false; /* at least one digit seen in the mantissa */
    bool neg = false;

    if (p < end && (*p == '-' || (!strict && *p == '+'))) {
        neg = *p == '-';
        p++;
    }
    if (strict) {
        if (p >= end || *p < '0' || *p > '9')
            return -EINVAL;
        if (*p == '0' && p + 1 < end && p[1] >= '0' && p[1] <= '9')
            return -EINVAL; /* leading zero */
    }
    for (; p < end && *p >= '0' && *p <= '9'; p++) {
        any = true;
        if (mant == 0 && *p == '0')
            continue;
        if (digits < NUM_MAX_DIGITS) {
            mant = mant * 10 + (num_u128)(*p - '0');
            digits++;
        } else {
            exp++; /* integer digit dropped: scale up */
        }
    }
    if (p < end && *p == '.') {
        p++;
        bool frac = false;
        for (; p < end && *p >= '0' && *p <= '9'; p++) {
            frac = true;
            if (mant == 0 && *p == '0') {
                exp--;
                continue;
            }
            if (digits < NUM_MAX_DIGITS) {
                mant = mant * 10 + (num_u128)(*p - '0');
                digits++;
                exp--;
            }
        }
        if (strict && !frac)
            return -EINVAL;
        any = any || frac;
    }
    if (!any)
        return -EINVAL;
    if (p < end && (*p == 'e' || *p == 'E')) {
        p++;
        bool eneg = false;
        int32_t e = 0;
        if (p < end && (*p == '+' || *p == '-')) {
            eneg = *p == '-';
            p++;
        }
        if (p >= end || *p < '0' || *p > '9')
            return -EINVAL;
        for (; p < end && *p >= '0' && *p <= '9'; p++)
            if (e < NUM_EXP_CLAMP)
                e = e * 10 + (*p - '0');
        exp += eneg ? -e : e;
    }
    if (p != end)
        return -EINVAL;
    out->mant = mant;
    out->exp = mant == 0 ? 0 : exp;
    out->neg = neg && mant != 0;
    return 0;
}

/*
 * The numbers logs are made of — digits, at most one point with digits
 * on both sides, no exponent, at most NUM_U64_DIGITS digits in all — read
 * in 64 bits. Returns 0 with *out set as num_scan sets it, or -EAGAIN for
 * anything else (errors included), which num_scan then reads from the
 * start. Leading zeros count towards the limit: they only make a number
 * go the long way.
 */
static inline int num_scan_short(const char *s, size_t len, struct num_dec *out,
                                 bool strict)
{
    const char *p = s, *end = s + len;
    bool neg = p < end && *p == '-';
    p += neg;
    const char *digits = p;
    uint64_t m = 0;
    unsigned d;
    while (p < end && (d = (unsigned)(*p - '0')) < 10) {
        m = m * 10 + d;
        p++;
    }
    size_t n_int = (size_t)(p - digits);
    if (n_int == 0 || (strict && *digits == '0' && n_int > 1))
        return -EAGAIN;
    int32_t n_frac = 0;
    if (p < end && *p == '.') {
        const char *frac = ++p;
        while (p < end && (d = (unsigned)(*p - '0')) < 10) {
            m = m * 10 + d;
            p++;
        }
        n_frac = (int32_t)(p - frac);
        if (n_frac == 0)
            return -EAGAIN;
    }
    if (p != end || n_int + (size_t)n_frac > NUM_U64_DIGITS)
        return -EAGAIN;
    out->mant = m;
    out->exp = m == 0 ? 0 : -n_frac;
    out->neg = neg && m != 0;
    return 0;
}

int num_parse_json(const char *s, size_t len, struct num_dec *out)
{
    if (num_scan_short(s, len, out, true) == 0)
        return 0;
    return num_scan(s, len, out, true);
}

int num_parse_text(const char *s, size_t len, struct num_dec *out)
{
    if (num_scan_short(s, len, out, false) == 0)
        return 0;
    return num_scan(s, len, out, false);
}

/* Drops the least significant digit of *m (truncating), raising *e. */
static void num_shrink(num_u128 *m, int32_t *e)
{
    *m /= 10;
    (*e)++;
}

int num_to_fixed(const struct num_dec *v, const struct num_dec *scale,
                 num_fixed *out)
{
    num_u128 mant = v->mant;
    int32_t exp = v->exp;
    bool neg = v->neg;

    if (scale != NULL) {
        num_u128 sm = scale->mant;
        int32_t se = scale->exp;
        num_u128 prod;
        /* Both factors are at most 38 digits; give up precision rather
         * than overflow in the (practically unseen) case they collide.
         * Two factors of 64 bits never do. */
        if (num_narrow(mant) && num_narrow(sm))
            prod = (num_u128)(uint64_t)mant * (uint64_t)sm;
        else
            while (__builtin_mul_overflow(mant, sm, &prod)) {
                if (mant > sm)
                    num_shrink(&mant, &exp);
                else
                    num_shrink(&sm, &se);
            }
        mant = prod;
        exp += se;
        neg = neg != scale->neg;
    }
    if (mant == 0) {
        *out = 0;
        return 0;
    }
    int32_t shift = exp + NUM_FRAC_DIGITS;
    num_u128 mag;
    if (shift >= 0) {
        if (shift > NUM_MAX_DIGITS)
            return -ERANGE;
        if (num_narrow(mant) && shift < NUM_U64_DIGITS)
            mag = (num_u128)(uint64_t)mant * (uint64_t)num_pow10(shift);
        else if (__builtin_mul_overflow(mant, num_pow10(shift), &mag))
            return -ERANGE;
    } else {
        int32_t d = -shift;
        if (d > NUM_MAX_DIGITS) {
            mag = 0;
        } else if (num_narrow(mant) && d < NUM_U64_DIGITS) {
            /* The same rounding in 64 bits: no 128-bit division. */
            uint64_t m = (uint64_t)mant, p = (uint64_t)num_pow10(d);
            uint64_t q = m / p, r = m % p;
            mag = q + (r > p - r || (r == p - r && (q & 1)));
        } else {
            num_u128 p = num_pow10(d);
            num_u128 r = mant % p;
            mag = mant / p;
            /* round half to even */
            if (r > p - r || (r == p - r && (mag & 1)))
                mag++;
        }
    }
    if (mag > (num_u128)NUM_FIXED_MAX)
        return -ERANGE;
    *out = neg ? -(num_fixed)mag : (num_fixed)mag;
    return 0;
}

size_t num_format_u64(uint64_t v, char *out)
{
    char tmp[24];
    size_t n = 0;
    do {
        tmp[n++] = (char)('0' + v % 10);
        v /= 10;
    } while (v != 0);
    for (size_t i = 0; i < n; i++)
        out[i] = tmp[n - 1 - i];
    out[n] = '\0';
    return n;
}

/* Decimal digits of a 128-bit unsigned value. */
static size_t num_format_u128(num_u128 v, char *out)
{
    if (v <= UINT64_MAX)
        return num_format_u64((uint64_t)v, out);
    char tmp[48];
    size_t n = 0;
    while (v != 0) {
        tmp[n++] = (char)('0' + (int)(v % 10));
        v /= 10;
    }
    for (size_t i = 0; i < n; i++)
        out[i] = tmp[n - 1 - i];
    out[n] = '\0';
    return n;
}

size_t num_format(num_fixed v, char *out)
{
    size_t n = 0;
    num_u128 mag;
    if (v < 0) {
        out[n++] = '-';
        mag = (num_u128)(-(v + 1)) + 1; /* no overflow at the minimum */
    } else {
        mag = (num_u128)v;
    }
    num_u128 one = (num_u128)NUM_ONE;
    n += num_format_u128(mag / one, out + n);
    uint64_t frac = (uint64_t)(mag % one);
    if (frac != 0) {
        char digits[NUM_FRAC_DIGITS];
        int last = -1;
        for (int i = NUM_FRAC_DIGITS - 1; i >= 0; i--) {
            digits[i] = (char)('0' + frac % 10);
            frac /= 10;
            if (last < 0 && digits[i] != '0')
                last = i;
        }
        out[n++] = '.';
        memcpy(out + n, digits, (size_t)last + 1);
        n += (size_t)last + 1;
    }
    out[n] = '\0';
    return n;
}

double num_to_double(num_fixed v)
{
    return (double)v / 1e12;
}

/* --- arithmetic ---------------------------------------------------------- */

static bool in_range(num_fixed v)
{
    return v <= NUM_FIXED_MAX && v >= -NUM_FIXED_MAX;
}

int num_add(num_fixed a, num_fixed b, num_fixed *out)
{
    num_fixed r;
    if (__builtin_add_overflow(a, b, &r) || !in_range(r))
        return -ERANGE;
    *out = r;
    return 0;
}

int num_sub(num_fixed a, num_fixed b, num_fixed *out)
{
    num_fixed r;
    if (__builtin_sub_overflow(a, b, &r) || !in_range(r))
        return -ERANGE;
    *out = r;
    return 0;
}

static num_u128 magnitude(num_fixed v)
{
    return v < 0 ? (num_u128)(-(v + 1)) + 1 : (num_u128)v;
}

/* q rounded half to even, given the remainder r of a division by d. */
static bool round_up(num_u128 q, num_u128 r, num_u128 d)
{
    return r > d - r || (r == d - r && (q & 1));
}

/* n / d rounded half to even; n / d must be below the largest num_u128. */
static num_u128 div_round(num_u128 n, num_u128 d)
{
    num_u128 q = n / d;
    return round_up(q, n % d, d) ? q + 1 : q;
}

/* The signed result of a magnitude, or -ERANGE. */
static int signed_result(num_u128 mag, bool neg, num_fixed *out)
{
    if (mag > (num_u128)NUM_FIXED_MAX)
        return -ERANGE;
    *out = neg ? -(num_fixed)mag : (num_fixed)mag;
    return 0;
}

#define LIMB_BITS 64
#define LIMB_MASK ((num_u128)UINT64_MAX)

/*
 * x * y / 10^12 for magnitudes of up to 128 bits: the 256-bit product in
 * four 64-bit limbs, divided limb by limb (the divisor fits in one).
 * Sets *mag, or returns false when the quotient exceeds 128 bits.
 */
static bool mul_wide(num_u128 x, num_u128 y, num_u128 *mag)
{
    uint64_t xl = (uint64_t)x, xh = (uint64_t)(x >> LIMB_BITS);
    uint64_t yl = (uint64_t)y, yh = (uint64_t)(y >> LIMB_BITS);
    num_u128 ll = (num_u128)xl * yl, lh = (num_u128)xl * yh,
             hl = (num_u128)xh * yl, hh = (num_u128)xh * yh;
    num_u128 mid = (ll >> LIMB_BITS) + (lh & LIMB_MASK) + (hl & LIMB_MASK);
    uint64_t limb[4];
    limb[0] = (uint64_t)ll;
    limb[1] = (uint64_t)mid;
    num_u128 high =
        hh + (lh >> LIMB_BITS) + (hl >> LIMB_BITS) + (mid >> LIMB_BITS);
    limb[2] = (uint64_t)high;
    limb[3] = (uint64_t)(high >> LIMB_BITS);
    const uint64_t d = (uint64_t)NUM_ONE;
    uint64_t q[4], r = 0;
    for (int i = 3; i >= 0; i--) {
        num_u128 cur = ((num_u128)r << LIMB_BITS) | limb[i];
        q[i] = (uint64_t)(cur / d);
        r = (uint64_t)(cur % d);
    }
    if (q[3] != 0 || q[2] != 0)
        return false;
    num_u128 quot = ((num_u128)q[1] << LIMB_BITS) | q[0];
    if (round_up(quot, r, d) && ++quot == 0)
        return false;
    *mag = quot;
    return true;
}

int num_mul(num_fixed a, num_fixed b, num_fixed *out)
{
    num_u128 x = magnitude(a), y = magnitude(b), mag;
    bool neg = (a < 0) != (b < 0);
    if (x <= UINT64_MAX && y <= UINT64_MAX)
        mag = div_round(x * y, (num_u128)NUM_ONE); /* most products */
    else if (!mul_wide(x, y, &mag))
        return -ERANGE;
    return signed_result(mag, neg, out);
}

/*
 * x * 10^12 / y when x * 10^12 does not fit in 128 bits: binary long
 * division of the 168-bit numerator. y < 2^127, so the remainder doubled
 * still fits. Returns false when the quotient exceeds 128 bits.
 */
static bool div_wide(num_u128 x, num_u128 y, num_u128 *mag)
{
    const uint64_t one = (uint64_t)NUM_ONE;
    /* The numerator in three limbs, most significant last. */
    num_u128 lo = (num_u128)(uint64_t)x * one;
    num_u128 hi = (x >> LIMB_BITS) * one + (lo >> LIMB_BITS);
    const uint64_t n[3] = {(uint64_t)lo, (uint64_t)hi,
                           (uint64_t)(hi >> LIMB_BITS)};
    num_u128 q = 0, r = 0;
    for (int bit = 3 * LIMB_BITS - 1; bit >= 0; bit--) {
        r = (r << 1) | ((n[bit / LIMB_BITS] >> (bit % LIMB_BITS)) & 1);
        bool set = r >= y;
        if (set)
            r -= y;
        if (q >> 127)
            return false; /* the next shift would lose a bit */
        q = (q << 1) | set;
    }
    if (round_up(q, r, y) && ++q == 0)
        return false;
    *mag = q;
    return true;
}

int num_div(num_fixed a, num_fixed b, num_fixed *out)
{
    if (b == 0)
        return -EDOM;
    num_u128 x = magnitude(a), y = magnitude(b), mag;
    num_u128 one = (num_u128)NUM_ONE;
    bool neg = (a < 0) != (b < 0);
    if (x <= (num_u128)NUM_FIXED_MAX / one)
        mag = div_round(x * one, y);
    else if (!div_wide(x, y, &mag))
        return -ERANGE;
    return signed_result(mag, neg, out);
}

int num_scale(num_fixed v, const struct num_dec *scale, num_fixed *out)
{
    struct num_dec d = {
        .mant = magnitude(v), .exp = -NUM_FRAC_DIGITS, .neg = v < 0};
    return num_to_fixed(&d, scale, out);
}
