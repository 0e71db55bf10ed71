/*
 * Exact decimal arithmetic for metric values.
 *
 * Log fields arrive as decimal text ("1250.5", "0.0005", "450"); the
 * configuration scales them by decimal factors (0.001 for ms -> s). Doing
 * that in binary floating point drifts: ten million additions of 0.000001
 * do not make 10.0. tokentail therefore never converts through double on
 * the value path: text is parsed to a decimal (mantissa x 10^exp), scaled
 * exactly, and accumulated as a fixed-point integer counting 10^-12 units
 * in 128 bits. Sums of integers (tokens) are exact up to 1.7e26; sums of
 * money are exact to the picodollar. Formatting prints the exact decimal,
 * which Prometheus parses to the nearest double.
 */
#ifndef TOKENTAIL_NUM_H
#define TOKENTAIL_NUM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* A fixed-point value: an integer count of 10^-NUM_FRAC_DIGITS units. */
__extension__ typedef __int128 num_fixed;
__extension__ typedef unsigned __int128 num_u128;

#define NUM_FRAC_DIGITS 12
#define NUM_ONE         ((num_fixed)1000000000000LL)
/* Largest representable magnitude, about 1.7e26. */
#define NUM_FIXED_MAX ((num_fixed)(((num_u128)1 << 127) - 1))

/* Room for any formatted value including sign and NUL. */
#define NUM_FMT_MAX 48

/* A parsed decimal: (neg ? -1 : 1) * mant * 10^exp. */
struct num_dec {
    num_u128 mant;
    int32_t exp;
    bool neg;
};

/*
 * Parses a JSON number (RFC 8259 grammar, nothing else: no leading '+',
 * no leading zeros, no "inf"). Returns 0, or -EINVAL when s is not a JSON
 * number. Digits beyond 38 significant ones are dropped (truncation).
 */
int num_parse_json(const char *s, size_t len, struct num_dec *out);

/*
 * Parses a number as people write it in text (the configuration, numbers
 * in log strings, regex and logfmt captures): like JSON but also accepting
 * a leading '+', leading zeros ("0040" is 40) and ".5" / "5." forms. At
 * least one digit; no spaces, "inf", "NaN", hexadecimal or digit
 * separators. Returns 0 or -EINVAL.
 */
int num_parse_text(const char *s, size_t len, struct num_dec *out);

/*
 * Converts v * scale (scale may be NULL for 1) to fixed point, rounding
 * half to even at the 10^-12 digit. Returns 0, or -ERANGE when the
 * magnitude exceeds NUM_FIXED_MAX.
 */
int num_to_fixed(const struct num_dec *v, const struct num_dec *scale,
                 num_fixed *out);

/*
 * Writes the shortest exact decimal of v ("10", "0.0005", "-2.5") to out,
 * which must hold NUM_FMT_MAX bytes. Returns the length.
 */
size_t num_format(num_fixed v, char *out);

/* Writes the decimal digits of an unsigned 64-bit integer; returns length. */
size_t num_format_u64(uint64_t v, char *out);

/* Saturating addition: the sum, clamped to +-NUM_FIXED_MAX. Inline:
 * every update of a counter or a histogram adds. */
static inline num_fixed num_add_sat(num_fixed a, num_fixed b)
{
    num_fixed r;
    if (__builtin_add_overflow(a, b, &r) || r > NUM_FIXED_MAX ||
        r < -NUM_FIXED_MAX)
        return (a > 0 || b > 0) ? NUM_FIXED_MAX : -NUM_FIXED_MAX;
    return r;
}

/*
 * Exact arithmetic on fixed-point values, for values computed from several
 * fields. Each stores the result in *out and returns 0, -ERANGE when its
 * magnitude exceeds NUM_FIXED_MAX, or (num_div) -EDOM when b is zero. A
 * product or a quotient with more than NUM_FRAC_DIGITS decimals is rounded
 * half to even at the last one, as num_to_fixed rounds.
 */
int num_add(num_fixed a, num_fixed b, num_fixed *out);
int num_sub(num_fixed a, num_fixed b, num_fixed *out);
int num_mul(num_fixed a, num_fixed b, num_fixed *out);
int num_div(num_fixed a, num_fixed b, num_fixed *out);

/* v * scale, rounded as num_to_fixed rounds: 0 or -ERANGE. */
int num_scale(num_fixed v, const struct num_dec *scale, num_fixed *out);

/* The value as a double (nearest), for display and comparisons only. */
double num_to_double(num_fixed v);

#endif
