#include "humanize.h"

#include <math.h>

/* Digits of v with separators, written backwards into a small array so
 * the whole 128-bit range fits without recursion. */
static void put_grouped(struct buf *b, num_u128 v)
{
    char tmp[64];
    size_t n = 0;
    unsigned digits = 0;

    do {
        if (digits > 0 && digits % 3 == 0)
            tmp[n++] = ',';
        tmp[n++] = (char)('0' + (int)(v % 10));
        v /= 10;
        digits++;
    } while (v > 0);
    while (n > 0)
        buf_putc(b, tmp[--n]);
}

void humanize_u64(struct buf *b, uint64_t v)
{
    put_grouped(b, (num_u128)v);
}

/* Rounds m (a magnitude in 10^-12 units) to `keep` decimals, half to even,
 * as num_to_fixed rounds; returns it in units of 10^-keep. */
static num_u128 round_to(num_u128 m, int keep)
{
    num_u128 div = 1;
    for (int i = keep; i < NUM_FRAC_DIGITS; i++)
        div *= 10;
    num_u128 q = m / div, r = m % div;
    if (r * 2 > div || (r * 2 == div && (q & 1) != 0))
        q++;
    return q;
}

void humanize_money(struct buf *b, num_fixed v)
{
    num_u128 m = v < 0 ? (num_u128)0 - (num_u128)v : (num_u128)v;
    int keep = 4;
    if (m >= (num_u128)NUM_ONE || m == 0)
        keep = 2;
    else if (m >= (num_u128)(NUM_ONE / 100))
        keep = 3;

    num_u128 q = round_to(m, keep), scale = 1;
    for (int i = 0; i < keep; i++)
        scale *= 10;
    if (v < 0 && q > 0)
        buf_putc(b, '-');
    put_grouped(b, q / scale);
    buf_putc(b, '.');
    num_u128 frac = q % scale;
    char digits[8];
    for (int i = keep - 1; i >= 0; i--) {
        digits[i] = (char)('0' + (int)(frac % 10));
        frac /= 10;
    }
    buf_append(b, digits, (size_t)keep);
}

void humanize_double(struct buf *b, double v, int decimals)
{
    if (!isfinite(v)) {
        buf_puts(b, "\xe2\x80\x93");
        return;
    }
    if (decimals < 0)
        decimals = 0;
    if (decimals > 3)
        decimals = 3;
    double scale = 1;
    for (int i = 0; i < decimals; i++)
        scale *= 10;
    double r = round(fabs(v) * scale);
    if (r >= 1e30) { /* beyond what a status page shows digit by digit */
        buf_printf(b, "%.3g", v);
        return;
    }
    num_u128 q = (num_u128)r;
    num_u128 div = (num_u128)scale;
    if (v < 0 && q > 0)
        buf_putc(b, '-');
    put_grouped(b, q / div);
    if (decimals > 0)
        buf_printf(b, ".%0*u", decimals, (unsigned)(q % div));
}

void humanize_bytes(struct buf *b, uint64_t v)
{
    static const char *const units[] = {"KiB", "MiB", "GiB", "TiB"};
    if (v < 1024) {
        buf_printf(b, "%u B", (unsigned)v);
        return;
    }
    double x = (double)v / 1024;
    size_t u = 0;
    while (x >= 1024 && u + 1 < sizeof units / sizeof units[0]) {
        x /= 1024;
        u++;
    }
    humanize_double(b, x, 1);
    buf_printf(b, " %s", units[u]);
}

void humanize_duration(struct buf *b, uint64_t d)
{
    uint64_t n = d;
    const char *unit = "s";
    if (d >= 86400) {
        n = d / 86400;
        unit = "d";
    } else if (d >= 3600) {
        n = d / 3600;
        unit = "h";
    } else if (d >= 60) {
        n = d / 60;
        unit = "min";
    }
    humanize_u64(b, n);
    buf_printf(b, " %s", unit);
}

void humanize_ago(struct buf *b, time_t then, time_t now)
{
    if (then == 0) {
        buf_puts(b, "never");
        return;
    }
    bool future = then > now;
    uint64_t d = future ? (uint64_t)(then - now) : (uint64_t)(now - then);
    if (d < 5) {
        buf_puts(b, "just now");
        return;
    }
    if (future)
        buf_puts(b, "in ");
    humanize_duration(b, d);
    if (!future)
        buf_puts(b, " ago");
}
