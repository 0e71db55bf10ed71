/*
 * What OpenMetrics 1.0 writes differently from the text format 0.0.4: the
 * metadata lines (family names without _total, UNIT, HELP escaping), the
 * bucket bounds' canonical form, timestamps, # EOF. The samples
 * themselves are written by expfmt.c for both formats.
 */
#include <string.h>

#include "expfmt.h"

#define MS_PER_S 1000

/* OpenMetrics' base units: a family whose name ends in _<unit> has it. */
static const char *const base_units[] = {
    "seconds", "bytes", "joules",  "grams",   "meters",
    "ratio",   "volts", "amperes", "celsius",
};

const char *expfmt_content_type(enum expfmt_format fmt)
{
    return fmt == EXPFMT_OPENMETRICS ? EXPFMT_OM_CONTENT_TYPE
                                     : EXPFMT_CONTENT_TYPE;
}

static bool ends_with(const char *s, size_t n, const char *suffix)
{
    size_t k = strlen(suffix);
    return n >= k && memcmp(s + n - k, suffix, k) == 0;
}

size_t expfmt_om_family_len(const char *name, enum metric_type type)
{
    size_t n = strlen(name);
    if (type == METRIC_COUNTER && ends_with(name, n, "_total"))
        n -= strlen("_total");
    return n;
}

/* The base unit family (n bytes) ends in, after an underscore; NULL. */
static const char *unit_of(const char *family, size_t n)
{
    for (size_t i = 0; i < sizeof(base_units) / sizeof(base_units[0]); i++) {
        size_t k = strlen(base_units[i]);
        if (n > k + 1 && family[n - k - 1] == '_' &&
            memcmp(family + n - k, base_units[i], k) == 0)
            return base_units[i];
    }
    return NULL;
}

/* HELP text as OpenMetrics escapes it: \\, \n and \". */
static void escape_help_om(struct buf *b, const char *s)
{
    for (; *s; s++) {
        if (*s == '\\' || *s == '"') {
            buf_putc(b, '\\');
            buf_putc(b, *s);
        } else if (*s == '\n') {
            buf_puts(b, "\\n");
        } else {
            buf_putc(b, *s);
        }
    }
}

/* One metadata line: "# WHAT family rest". */
static void meta(struct buf *out, const char *what, const char *family,
                 size_t n)
{
    buf_puts(out, "# ");
    buf_puts(out, what);
    buf_putc(out, ' ');
    buf_append(out, family, n);
    buf_putc(out, ' ');
}

void expfmt_header(struct buf *out, enum expfmt_format fmt, const char *name,
                   enum metric_type type, const char *help)
{
    if (fmt != EXPFMT_OPENMETRICS) {
        meta(out, "HELP", name, strlen(name));
        expfmt_escape_help(out, help);
        buf_putc(out, '\n');
        meta(out, "TYPE", name, strlen(name));
        buf_puts(out, metric_type_name(type));
        buf_putc(out, '\n');
        return;
    }
    size_t n = expfmt_om_family_len(name, type);
    /* A counter must be sampled as <family>_total; one whose name lacks it
     * keeps its name as an unknown-typed family. */
    bool plain = type == METRIC_COUNTER && n == strlen(name);
    meta(out, "HELP", name, n);
    escape_help_om(out, help);
    buf_putc(out, '\n');
    meta(out, "TYPE", name, n);
    buf_puts(out, plain ? "unknown" : metric_type_name(type));
    buf_putc(out, '\n');
    const char *unit = unit_of(name, n);
    if (unit != NULL) {
        meta(out, "UNIT", name, n);
        buf_puts(out, unit);
        buf_putc(out, '\n');
    }
}

void expfmt_om_bound(num_fixed bound, char out[EXPFMT_LE_MAX])
{
    size_t n = num_format(bound, out);
    if (memchr(out, '.', n) == NULL)
        memcpy(out + n, ".0", 3);
}

void expfmt_om_timestamp(struct buf *b, int64_t ms)
{
    /* Without snprintf: a scrape writes one per counter series. */
    char tmp[24 + 4];
    uint64_t u = ms > 0 ? (uint64_t)ms : 0;
    unsigned frac = (unsigned)(u % MS_PER_S);
    size_t n = num_format_u64(u / MS_PER_S, tmp);
    tmp[n++] = '.';
    tmp[n++] = (char)('0' + frac / 100);
    tmp[n++] = (char)('0' + frac / 10 % 10);
    tmp[n++] = (char)('0' + frac % 10);
    buf_append(b, tmp, n);
}

void expfmt_end(struct buf *out, enum expfmt_format fmt)
{
    if (fmt == EXPFMT_OPENMETRICS)
        buf_puts(out, "# EOF\n");
}
