/*
 * Time formats: the named formats read by hand-written scanners (RFC 3339
 * on the per-line path, with its date cached), patterns compiled into a
 * list of steps and read against it.
 */
#include "timefmt.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "civil.h"

#define SECONDS_PER_HOUR 3600 /* seconds */
#define MAX_HOUR_OFFSET  23   /* hours of a written offset, at most */
#define OP_CHAR          1    /* a step matching one character, in len */
#define MONTHS           12
#define WEEKDAYS         7

static const char *const kind_names[TIMEFMT_NAMED_COUNT] = {
    [TIMEFMT_AUTO] = "auto",       [TIMEFMT_RFC3339] = "rfc3339",
    [TIMEFMT_UNIX] = "unix",       [TIMEFMT_UNIX_MS] = "unix_ms",
    [TIMEFMT_UNIX_US] = "unix_us", [TIMEFMT_UNIX_NS] = "unix_ns",
};

const char *timefmt_kind_name(enum timefmt_kind k)
{
    return k < TIMEFMT_NAMED_COUNT ? kind_names[k] : "pattern";
}

int timefmt_kind_parse(const char *s)
{
    for (int k = 0; k < TIMEFMT_NAMED_COUNT; k++)
        if (strcmp(s, kind_names[k]) == 0)
            return k;
    return -1;
}

/* --- pieces every format reads -------------------------------------------- */

static inline bool digit(char c)
{
    return c >= '0' && c <= '9';
}

/* The two digits at s (two bytes readable), or -1. */
static inline int two_digits(const char *s)
{
    if (!digit(s[0]) || !digit(s[1]))
        return -1;
    return (s[0] - '0') * 10 + (s[1] - '0');
}

/* 10^(12 - n): what n fraction digits are multiplied by to give
 * picoseconds. */
static const int64_t to_picoseconds[NUM_FRAC_DIGITS + 1] = {1000000000000,
                                                            100000000000,
                                                            10000000000,
                                                            1000000000,
                                                            100000000,
                                                            10000000,
                                                            1000000,
                                                            100000,
                                                            10000,
                                                            1000,
                                                            100,
                                                            10,
                                                            1};

/*
 * Fraction digits at *p (one at least) as picoseconds, rounded half to
 * even beyond the twelfth digit: *ps may then be a whole second.
 */
static inline bool read_fraction(const char **p, const char *end, int64_t *ps)
{
    const char *s = *p;
    int64_t v = 0;
    int n = 0;
    for (; s < end && digit(*s) && n < NUM_FRAC_DIGITS; s++, n++)
        v = v * 10 + (*s - '0');
    if (n == 0)
        return false;
    v *= to_picoseconds[n];
    if (s < end && digit(*s)) {
        int first = *s++ - '0';
        bool rest = false;
        for (; s < end && digit(*s); s++)
            rest |= *s != '0';
        if (first > 5 || (first == 5 && (rest || (v & 1))))
            v++;
    }
    *ps = v;
    *p = s;
    return true;
}

/* "Z", or +hh, +hhmm, +hh:mm (or -): seconds east of UTC. */
static bool read_offset(const char **p, const char *end, int32_t *offset)
{
    const char *s = *p;
    if (s >= end)
        return false;
    if (*s == 'Z' || *s == 'z') {
        *offset = 0;
        *p = s + 1;
        return true;
    }
    if ((*s != '+' && *s != '-') || end - s < 3)
        return false;
    int sign = *s == '-' ? -1 : 1, h = two_digits(s + 1), m = 0;
    s += 3;
    if (s < end && *s == ':')
        s++;
    if (end - s >= 2 && digit(*s)) {
        m = two_digits(s);
        s += 2;
    } else if (s[-1] == ':') {
        return false;
    }
    if (h < 0 || h > MAX_HOUR_OFFSET || m < 0 || m > 59)
        return false;
    *offset = sign * (h * SECONDS_PER_HOUR + m * 60);
    *p = s;
    return true;
}

/* Local time in f's zone to UTC, the zone's offset span cached. */
static inline int64_t local_to_utc(const struct timefmt *f,
                                   struct timefmt_cache *c, int64_t local)
{
    if (f->zone == NULL)
        return local;
    if (c->has_span && local >= c->span.lo && local < c->span.hi)
        return local - c->span.offset;
    c->has_span = true;
    return tz_to_utc(f->zone, local, &c->span);
}

/* The instant of a local time and picoseconds, at offset when has_offset,
 * else in f's zone. */
static int finish(const struct timefmt *f, struct timefmt_cache *c,
                  int64_t local, int64_t ps, bool has_offset, int32_t offset,
                  num_fixed *out)
{
    int64_t t = has_offset ? local - offset : local_to_utc(f, c, local);
    if (t < TIMEFMT_MIN_SECONDS || t >= TIMEFMT_END_SECONDS)
        return -ERANGE;
    num_fixed v = (num_fixed)t * NUM_ONE + ps;
    if (v >= (num_fixed)TIMEFMT_END_SECONDS * NUM_ONE)
        return -ERANGE; /* a fraction rounded up to the next second */
    *out = v;
    return 0;
}

/* A day number for y-m-d, if it is a date. */
static bool make_day(int64_t y, int m, int d, int64_t *days)
{
    if (y < 1 || m < 1 || m > MONTHS || d < 1 || d > civil_month_days(y, m))
        return false;
    *days = civil_days(y, m, d);
    return true;
}

/* --- RFC 3339 --------------------------------------------------------------
 */

/* "YYYY-MM-DD" (ten bytes readable). */
static bool read_date(const char *s, int64_t *days)
{
    int hi = two_digits(s), lo = two_digits(s + 2);
    if (hi < 0 || lo < 0 || s[4] != '-' || s[7] != '-')
        return false;
    return make_day(hi * 100 + lo, two_digits(s + 5), two_digits(s + 8), days);
}

#define DATE_LEN   10 /* "2025-10-21" */
#define MINUTE_LEN 16 /* "2025-10-21T15:42" */
#define SECOND_LEN 19 /* "2025-10-21T15:42:22" */

/* Whether a and b (SECOND_LEN bytes each) are the same second: three
 * word compares rather than a call, as nearly every line asks. */
static inline bool same_second(const char *a, const char *b)
{
    uint64_t a0, a1, b0, b1;
    uint32_t a2, b2;
    memcpy(&a0, a, 8);
    memcpy(&b0, b, 8);
    memcpy(&a1, a + 8, 8);
    memcpy(&b1, b + 8, 8);
    memcpy(&a2, a + SECOND_LEN - 4, 4);
    memcpy(&b2, b + SECOND_LEN - 4, 4);
    return ((a0 ^ b0) | (a1 ^ b1) | (a2 ^ b2)) == 0;
}

/*
 * The date at s and, unless the date is all there is, the separator,
 * "HH:MM" and ":SS" if there: the local time in *local. Returns where
 * the text goes on, or NULL when it is not such a text.
 */
static const char *read_local(struct timefmt_cache *c, const char *s,
                              const char *end, int64_t *local)
{
    int64_t days;
    if (end - s < DATE_LEN)
        return NULL;
    /* When the second changes, the day mostly stays. */
    if (c->has_date && memcmp(s, c->date, DATE_LEN) == 0) {
        days = c->date_days;
    } else {
        if (!read_date(s, &days))
            return NULL;
        memcpy(c->date, s, DATE_LEN);
        c->date_days = days;
        c->has_date = true;
    }
    *local = days * CIVIL_SECONDS_PER_DAY;
    if (end - s == DATE_LEN)
        return end;
    if (end - s < MINUTE_LEN ||
        (s[10] != 'T' && s[10] != 't' && s[10] != ' ') || s[13] != ':')
        return NULL;
    int h = two_digits(s + 11), m = two_digits(s + 14), sec = 0;
    if (end - s >= SECOND_LEN && s[16] == ':' &&
        ((sec = two_digits(s + 17)) < 0 || sec > 60))
        return NULL;
    if (h < 0 || h > 23 || m < 0 || m > 59)
        return NULL;
    *local += h * SECONDS_PER_HOUR + m * 60 + sec;
    return s +
           (end - s >= SECOND_LEN && s[16] == ':' ? SECOND_LEN : MINUTE_LEN);
}

static __attribute__((noinline)) int parse_rfc3339(const struct timefmt *f,
                                                   struct timefmt_cache *c,
                                                   const char *s, size_t len,
                                                   num_fixed *out)
{
    const char *p, *end = s + len;
    int64_t local, ps = 0;
    /* Consecutive lines mostly share the second, or at least the date. */
    if (len >= SECOND_LEN && c->has_second && same_second(s, c->second)) {
        local = c->second_local;
        p = s + SECOND_LEN;
    } else if ((p = read_local(c, s, end, &local)) == NULL) {
        return -EINVAL;
    } else if (p == s + SECOND_LEN) {
        memcpy(c->second, s, SECOND_LEN);
        c->second_local = local;
        c->has_second = true;
    }
    if (p != end && (*p == '.' || *p == ',') && p + 1 - s >= SECOND_LEN) {
        p++;
        if (!read_fraction(&p, end, &ps))
            return -EINVAL;
    }
    if (p == end)
        return finish(f, c, local, ps, false, 0, out);
    int32_t offset = 0;
    if (*p == 'Z' && p + 1 == end)
        p++;
    else if (!read_offset(&p, end, &offset))
        return -EINVAL;
    if (p != end)
        return -EINVAL;
    return finish(f, c, local, ps, true, offset, out);
}

/* --- Unix times ------------------------------------------------------------
 */

static __attribute__((noinline)) int parse_unix(enum timefmt_kind kind,
                                                const char *s, size_t len,
                                                bool number, num_fixed *out)
{
    struct num_dec d;
    int rc = number ? num_parse_json(s, len, &d) : num_parse_text(s, len, &d);
    if (rc != 0)
        return -EINVAL;
    d.exp -= 3 * (int32_t)(kind - TIMEFMT_UNIX); /* ms, us, ns: 10^-3k */
    num_fixed v;
    if (num_to_fixed(&d, NULL, &v) != 0 ||
        v < (num_fixed)TIMEFMT_MIN_SECONDS * NUM_ONE ||
        v >= (num_fixed)TIMEFMT_END_SECONDS * NUM_ONE)
        return -ERANGE;
    *out = v;
    return 0;
}

/* --- patterns --------------------------------------------------------------
 */

/* The directives, and what each stands for. */
static const char directives[] = "YymdejHIMSfpbhBaAzZsTFnt%";

static const char *const month_names[MONTHS] = {
    "january", "february", "march",     "april",   "may",      "june",
    "july",    "august",   "september", "october", "november", "december"};
static const char *const weekday_names[WEEKDAYS] = {
    "sunday",   "monday", "tuesday", "wednesday",
    "thursday", "friday", "saturday"};
/* What %Z reads: only the names of UTC, whose offset is certain. */
static const char *const utc_names[] = {"UTC", "GMT", "Z"};

static bool add_item(struct timefmt *f, uint8_t op, uint8_t len, uint16_t pos)
{
    if (f->n_items >= TIMEFMT_MAX_ITEMS)
        return false;
    f->items[f->n_items++] = (struct timefmt_item){op, len, pos};
    return true;
}

/* Adds directive d's steps (%T and %F stand for several). */
static bool add_directive(struct timefmt *f, char d)
{
    switch (d) {
    case 'T':
        return add_item(f, 'H', 0, 0) && add_item(f, OP_CHAR, ':', 0) &&
               add_item(f, 'M', 0, 0) && add_item(f, OP_CHAR, ':', 0) &&
               add_item(f, 'S', 0, 0);
    case 'F':
        return add_item(f, 'Y', 0, 0) && add_item(f, OP_CHAR, '-', 0) &&
               add_item(f, 'm', 0, 0) && add_item(f, OP_CHAR, '-', 0) &&
               add_item(f, 'd', 0, 0);
    case 'n':
    case 't':
        return add_item(f, ' ', 0, 0);
    case '%':
        return add_item(f, OP_CHAR, '%', 0);
    case 'h':
    case 'B':
        return add_item(f, 'b', 0, 0); /* full names and abbreviations */
    case 'A':
        return add_item(f, 'a', 0, 0);
    default:
        return add_item(f, (uint8_t)d, 0, 0);
    }
}

/* Which directives a compiled pattern holds, as a bit per letter. */
static uint64_t seen_of(const struct timefmt *f)
{
    uint64_t seen = 0;
    for (size_t i = 0; i < f->n_items; i++) {
        uint8_t op = f->items[i].op;
        if (op >= 'A' && op <= 'z')
            seen |= 1ULL << (op - 'A');
    }
    return seen;
}

#define SEEN(letter) (1ULL << ((letter) - 'A'))

/* Whether the directives name one instant; else why not. */
static const char *check_fields(uint64_t seen)
{
    uint64_t date = SEEN('Y') | SEEN('y') | SEEN('m') | SEEN('d') | SEEN('e') |
                    SEEN('j') | SEEN('b') | SEEN('H') | SEEN('I') | SEEN('M') |
                    SEEN('S') | SEEN('p') | SEEN('z') | SEEN('Z');
    if (seen & SEEN('s'))
        return (seen & date) != 0
                   ? "%s is the whole time: it takes only %f beside"
                   : NULL;
    if (!(seen & (SEEN('Y') | SEEN('y'))))
        return "it has no year (%Y or %y)";
    bool md =
        (seen & (SEEN('m') | SEEN('b'))) && (seen & (SEEN('d') | SEEN('e')));
    if (!md && !(seen & SEEN('j')))
        return "it has no month and day (%m or %b, and %d), nor %j";
    if (md && (seen & SEEN('j')))
        return "it names the day twice: month and day, and %j";
    if ((seen & SEEN('I')) && !(seen & SEEN('p')))
        return "%I needs %p (AM or PM)";
    if ((seen & SEEN('p')) && !(seen & SEEN('I')))
        return "%p goes with %I, the hour from 1 to 12";
    if ((seen & SEEN('I')) && (seen & SEEN('H')))
        return "it has the hour twice: %H and %I";
    return NULL;
}

static int compile_pattern(struct timefmt *f, const char *pat, char *why,
                           size_t cap)
{
    size_t len = strlen(pat);
    if (len > TIMEFMT_MAX_PATTERN) {
        snprintf(why, cap, "time format is longer than %d bytes",
                 TIMEFMT_MAX_PATTERN);
        return -EINVAL;
    }
    f->kind = TIMEFMT_PATTERN;
    f->pattern = pat;
    for (size_t i = 0; i < len;) {
        bool ok;
        if (pat[i] == '%') {
            char d = i + 1 < len ? pat[i + 1] : '\0';
            if (d == '\0' || strchr(directives, d) == NULL) {
                snprintf(why, cap, "time format \"%s\": unknown directive %%%c",
                         pat, d ? d : ' ');
                return -EINVAL;
            }
            ok = add_directive(f, d);
            i += 2;
        } else if (pat[i] == ' ') {
            while (i < len && pat[i] == ' ')
                i++;
            ok = add_item(f, ' ', 0, 0);
        } else {
            size_t start = i;
            while (i < len && pat[i] != '%' && pat[i] != ' ' && i - start < 255)
                i++;
            ok = add_item(f, 0, (uint8_t)(i - start), (uint16_t)start);
        }
        if (!ok) {
            snprintf(why, cap, "time format \"%s\" has more than %d parts", pat,
                     TIMEFMT_MAX_ITEMS);
            return -EINVAL;
        }
    }
    const char *bad = check_fields(seen_of(f));
    if (bad != NULL) {
        snprintf(why, cap, "time format \"%s\": %s", pat, bad);
        return -EINVAL;
    }
    return 0;
}

int timefmt_compile(struct timefmt *f, const char *format,
                    const struct tz *zone, char *why, size_t cap)
{
    *f = (struct timefmt){0};
    f->zone = zone != NULL && !tz_is_utc(zone) ? zone : NULL;
    int k = timefmt_kind_parse(format);
    if (k >= 0) {
        f->kind = (enum timefmt_kind)k;
        return 0;
    }
    if (strchr(format, '%') == NULL) {
        snprintf(why, cap,
                 "unknown time format \"%s\" (auto, rfc3339, unix, unix_ms, "
                 "unix_us, unix_ns, or a pattern of %% directives)",
                 format);
        return -EINVAL;
    }
    return compile_pattern(f, format, why, cap);
}

/* What a pattern's directives read. */
struct reading {
    int64_t year, unix_s;
    int month, day, yday, hour, min, sec, pm; /* pm: -1 none, 0 AM, 1 PM */
    int64_t ps;
    bool has_offset, has_unix;
    int32_t offset;
};

/* min to max digits at *p, as a number. */
static bool read_number(const char **p, const char *end, int min, int max,
                        int *out)
{
    const char *s = *p;
    int v = 0, n = 0;
    for (; s < end && n < max && digit(*s); s++, n++)
        v = v * 10 + (*s - '0');
    if (n < min)
        return false;
    *out = v;
    *p = s;
    return true;
}

/* The name at *p from names (or its first three letters), any case: its
 * index, or -1. */
static int read_name(const char **p, const char *end, const char *const *names,
                     int n)
{
    for (int i = 0; i < n; i++) {
        size_t full = strlen(names[i]);
        size_t len =
            (size_t)(end - *p) >= full && strncasecmp(*p, names[i], full) == 0
                ? full
                : 3;
        if ((size_t)(end - *p) >= len && strncasecmp(*p, names[i], len) == 0) {
            *p += len;
            return i;
        }
    }
    return -1;
}

/* A whole number of Unix seconds (%s), perhaps negative. */
static bool read_unix(const char **p, const char *end, int64_t *out)
{
    const char *s = *p;
    bool neg = s < end && *s == '-';
    int64_t v = 0;
    s += neg;
    if (s >= end || !digit(*s))
        return false;
    for (; s < end && digit(*s); s++) {
        v = v * 10 + (*s - '0');
        if (v > TIMEFMT_END_SECONDS)
            return false;
    }
    *out = neg ? -v : v;
    *p = s;
    return true;
}

/* The steps that read names, offsets and Unix seconds. */
static bool read_named_step(const struct timefmt_item *it, const char **p,
                            const char *end, struct reading *r)
{
    switch (it->op) {
    case 'p':
        if (end - *p < 2 ||
            (**p != 'A' && **p != 'a' && **p != 'P' && **p != 'p') ||
            ((*p)[1] != 'M' && (*p)[1] != 'm'))
            return false;
        r->pm = **p == 'P' || **p == 'p';
        *p += 2;
        return true;
    case 'b':
        r->month = read_name(p, end, month_names, MONTHS) + 1;
        return r->month > 0;
    case 'a':
        return read_name(p, end, weekday_names, WEEKDAYS) >= 0;
    case 'z':
        r->has_offset = read_offset(p, end, &r->offset);
        return r->has_offset;
    case 'Z':
        for (size_t i = 0; i < sizeof(utc_names) / sizeof(*utc_names); i++) {
            size_t n = strlen(utc_names[i]);
            if ((size_t)(end - *p) >= n && strncmp(*p, utc_names[i], n) == 0) {
                *p += n;
                r->offset = 0;
                r->has_offset = true;
                return true;
            }
        }
        return false;
    case 's':
        r->has_unix = read_unix(p, end, &r->unix_s);
        return r->has_unix;
    default:
        return false;
    }
}

/* One step of a pattern at *p; false when the text does not fit it. */
static bool read_step(const struct timefmt *f, const struct timefmt_item *it,
                      const char **p, const char *end, struct reading *r)
{
    const char *s = *p;
    bool ok = true;
    int v = 0;
    switch (it->op) {
    case 0:
        ok = (size_t)(end - s) >= it->len &&
             memcmp(s, f->pattern + it->pos, it->len) == 0;
        s += ok ? it->len : 0;
        break;
    case OP_CHAR:
        ok = s < end && *s == (char)it->len;
        s += ok;
        break;
    case ' ':
        while (s < end && (*s == ' ' || *s == '\t'))
            s++;
        break;
    case 'Y':
        ok = read_number(&s, end, 4, 4, &v) && v > 0;
        r->year = v;
        break;
    case 'y':
        ok = read_number(&s, end, 2, 2, &v);
        r->year = v < 69 ? 2000 + v : 1900 + v; /* POSIX's pivot */
        break;
    case 'e':
        s += s < end && *s == ' ';
        ok = read_number(&s, end, 1, 2, &r->day);
        break;
    case 'd':
        ok = read_number(&s, end, 1, 2, &r->day);
        break;
    case 'm':
        ok = read_number(&s, end, 1, 2, &r->month);
        break;
    case 'j':
        ok = read_number(&s, end, 1, 3, &r->yday);
        break;
    case 'H':
    case 'I':
        ok = read_number(&s, end, 1, 2, &r->hour);
        break;
    case 'M':
        ok = read_number(&s, end, 1, 2, &r->min);
        break;
    case 'S':
        ok = read_number(&s, end, 1, 2, &r->sec);
        break;
    case 'f':
        ok = read_fraction(&s, end, &r->ps);
        break;
    default:
        return read_named_step(it, p, end, r);
    }
    *p = s;
    return ok;
}

/* The instant what a pattern read names. */
static int assemble(const struct timefmt *f, struct timefmt_cache *c,
                    const struct reading *r, num_fixed *out)
{
    if (r->has_unix) {
        num_fixed v = (num_fixed)r->unix_s * NUM_ONE + r->ps;
        if (v < (num_fixed)TIMEFMT_MIN_SECONDS * NUM_ONE ||
            v >= (num_fixed)TIMEFMT_END_SECONDS * NUM_ONE)
            return -ERANGE;
        *out = v;
        return 0;
    }
    int64_t days;
    if (r->yday > 0) {
        if (r->yday > 365 + civil_is_leap(r->year))
            return -EINVAL;
        days = civil_days(r->year, 1, 1) + r->yday - 1;
    } else if (!make_day(r->year, r->month, r->day, &days)) {
        return -EINVAL;
    }
    int hour = r->hour;
    if (r->pm >= 0) {
        if (hour < 1 || hour > 12)
            return -EINVAL;
        hour = hour % 12 + 12 * r->pm;
    }
    if (hour > 23 || r->min > 59 || r->sec > 60)
        return -EINVAL;
    int64_t local = days * CIVIL_SECONDS_PER_DAY + hour * SECONDS_PER_HOUR +
                    r->min * 60 + r->sec;
    return finish(f, c, local, r->ps, r->has_offset, r->offset, out);
}

/* Out of line, as parse_unix: timefmt_parse stays a small dispatcher. */
static __attribute__((noinline)) int parse_pattern(const struct timefmt *f,
                                                   struct timefmt_cache *c,
                                                   const char *s, size_t len,
                                                   num_fixed *out)
{
    struct reading r = {.pm = -1};
    const char *p = s, *end = s + len;
    for (size_t i = 0; i < f->n_items; i++) {
        const struct timefmt_item *it = &f->items[i];
        if (!read_step(f, it, &p, end, &r))
            return -EINVAL;
    }
    if (p != end)
        return -EINVAL;
    return assemble(f, c, &r, out);
}

/* --- entry points ----------------------------------------------------------
 */

int timefmt_parse(const struct timefmt *f, struct timefmt_cache *c,
                  const char *s, size_t len, bool number, num_fixed *out)
{
    switch (f->kind) {
    case TIMEFMT_AUTO:
        if (!number && len >= 10 && s[4] == '-')
            return parse_rfc3339(f, c, s, len, out);
        return parse_unix(TIMEFMT_UNIX, s, len, number, out);
    case TIMEFMT_RFC3339:
        return number ? -EINVAL : parse_rfc3339(f, c, s, len, out);
    case TIMEFMT_PATTERN:
        return parse_pattern(f, c, s, len, out);
    default:
        return parse_unix(f->kind, s, len, number, out);
    }
}

size_t timefmt_rfc3339(num_fixed t, int32_t offset, char *out)
{
    if (offset % 60 != 0)
        offset = 0;
    num_fixed whole = t / NUM_ONE, frac = t % NUM_ONE;
    if (frac < 0) {
        frac += NUM_ONE;
        whole--;
    }
    if (whole < TIMEFMT_MIN_SECONDS - CIVIL_SECONDS_PER_DAY ||
        whole > TIMEFMT_END_SECONDS + CIVIL_SECONDS_PER_DAY)
        return 0;
    int64_t local = (int64_t)whole + offset;
    int64_t days = civil_floor_div(local, CIVIL_SECONDS_PER_DAY), y;
    int64_t sod = local - days * CIVIL_SECONDS_PER_DAY;
    int m, d;
    civil_date(days, &y, &m, &d);
    if (y < 1 || y > 9999)
        return 0;
    int n = snprintf(out, TIMEFMT_RFC3339_MAX, "%04d-%02d-%02dT%02d:%02d:%02d",
                     (int)y, m, d, (int)(sod / SECONDS_PER_HOUR),
                     (int)(sod / 60 % 60), (int)(sod % 60));
    if (frac != 0) {
        char digits[NUM_FRAC_DIGITS + 1];
        snprintf(digits, sizeof(digits), "%012lld", (long long)frac);
        int k = NUM_FRAC_DIGITS;
        while (digits[k - 1] == '0')
            k--;
        n += snprintf(out + n, TIMEFMT_RFC3339_MAX - (size_t)n, ".%.*s", k,
                      digits);
    }
    if (offset == 0) {
        out[n++] = 'Z';
        out[n] = '\0';
    } else {
        int a = offset < 0 ? -offset : offset;
        n +=
            snprintf(out + n, TIMEFMT_RFC3339_MAX - (size_t)n, "%c%02d:%02d",
                     offset < 0 ? '-' : '+', a / SECONDS_PER_HOUR, a / 60 % 60);
    }
    return (size_t)n;
}
