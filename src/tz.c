/*
 * Time zones from TZif files: the file read whole, its 64-bit data block
 * kept (transitions, their local time types) with the footer's rule for
 * the years after them; conversions look up the period of constant offset
 * that holds an instant.
 */
#include "tz.h"

#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "civil.h"

#define TZIF_HEADER_BYTES 44
#define TZIF_TTINFO_BYTES 6    /* utoff (4), isdst (1), desigidx (1) */
#define SECONDS_PER_HOUR  3600 /* seconds */
#define RULE_DEFAULT_TIME 7200 /* a rule's change at 02:00, in seconds */
#define RULE_MAX_HOURS    167  /* RFC 8536's limit on a rule's time */
#define NAMES_MAX_DEPTH   3    /* directories below the zoneinfo root */
#define PERIODS_MAX       16   /* periods tz_to_utc looks at, at most */
#define TZ_MIN_T          INT64_MIN
#define TZ_MAX_T          INT64_MAX

/* When a rule changes the offset: a day of the year and a local time. */
enum rule_day {
    RULE_JULIAN, /* Jn: 1-365, February 29th never counted */
    RULE_ZERO,   /* n: 0-365, February 29th counted */
    RULE_MONTH,  /* Mm.w.d: weekday d of week w (5: the last) of month m */
};

struct rule_when {
    enum rule_day kind;
    int day, month, week, weekday;
    int32_t time; /* seconds after local midnight; may be negative */
};

/* The footer: standard time, and daylight time between start and end. */
struct tz_rule {
    int32_t std_off, dst_off;
    bool has_dst;
    struct rule_when start, end;
};

struct tz {
    char *name;
    size_t n_trans;
    int64_t *trans;  /* UTC instants, increasing */
    uint8_t *kind;   /* the local time type from each transition on */
    int32_t *offset; /* per local time type */
    size_t n_types;
    bool has_rule;
    struct tz_rule rule;
};

/* [start, end): the UTC instants with the same offset. */
struct period {
    int64_t start, end;
    int32_t off;
};

/* --- the footer: a POSIX TZ string ---------------------------------------- */

struct cursor {
    const char *p, *end;
};

static bool at(const struct cursor *c, char ch)
{
    return c->p < c->end && *c->p == ch;
}

static bool is_digit(const struct cursor *c)
{
    return c->p < c->end && *c->p >= '0' && *c->p <= '9';
}

static bool number(struct cursor *c, int max, int *out)
{
    int v = 0, n = 0;
    for (; is_digit(c) && n < 4; n++, c->p++)
        v = v * 10 + (*c->p - '0');
    *out = v;
    return n > 0 && v <= max;
}

/* A zone abbreviation: three or more letters, or <...>. */
static bool abbreviation(struct cursor *c)
{
    const char *start = c->p;
    if (at(c, '<')) {
        while (c->p < c->end && *c->p != '>')
            c->p++;
        if (!at(c, '>'))
            return false;
        c->p++;
        return c->p - start >= 5; /* <, three characters, > */
    }
    while (c->p < c->end &&
           ((*c->p >= 'A' && *c->p <= 'Z') || (*c->p >= 'a' && *c->p <= 'z')))
        c->p++;
    return c->p - start >= 3;
}

/* [+-]hh[:mm[:ss]], hours at most max_hours. */
static bool clock_time(struct cursor *c, int max_hours, int32_t *out)
{
    int sign = 1, h, m = 0, s = 0;
    if (at(c, '+') || at(c, '-'))
        sign = *c->p++ == '-' ? -1 : 1;
    if (!number(c, max_hours, &h))
        return false;
    if (at(c, ':')) {
        c->p++;
        if (!number(c, 59, &m))
            return false;
        if (at(c, ':')) {
            c->p++;
            if (!number(c, 59, &s))
                return false;
        }
    }
    *out = sign * (h * SECONDS_PER_HOUR + m * 60 + s);
    return true;
}

static bool rule_when(struct cursor *c, struct rule_when *w)
{
    w->time = RULE_DEFAULT_TIME;
    if (at(c, 'J')) {
        c->p++;
        w->kind = RULE_JULIAN;
        if (!number(c, 365, &w->day) || w->day < 1)
            return false;
    } else if (at(c, 'M')) {
        c->p++;
        w->kind = RULE_MONTH;
        if (!number(c, 12, &w->month) || w->month < 1 || !at(c, '.'))
            return false;
        c->p++;
        if (!number(c, 5, &w->week) || w->week < 1 || !at(c, '.'))
            return false;
        c->p++;
        if (!number(c, 6, &w->weekday))
            return false;
    } else {
        w->kind = RULE_ZERO;
        if (!number(c, 365, &w->day))
            return false;
    }
    if (at(c, '/')) {
        c->p++;
        return clock_time(c, RULE_MAX_HOURS, &w->time);
    }
    return true;
}

/* Parses the footer's TZ string; false when tokentail cannot use it. */
static bool parse_rule(const char *s, size_t len, struct tz_rule *r)
{
    struct cursor c = {s, s + len};
    int32_t std_west, dst_west;
    if (!abbreviation(&c) || !clock_time(&c, 24, &std_west))
        return false;
    r->std_off = -std_west; /* POSIX counts west of Greenwich */
    if (c.p == c.end)
        return true;
    if (!abbreviation(&c))
        return false;
    r->has_dst = true;
    dst_west = std_west - SECONDS_PER_HOUR;
    if (!at(&c, ',') && !clock_time(&c, 24, &dst_west))
        return false;
    r->dst_off = -dst_west;
    /* A footer always says when; POSIX's implementation-defined default
     * is not guessed. */
    if (!at(&c, ','))
        return false;
    c.p++;
    if (!rule_when(&c, &r->start) || !at(&c, ','))
        return false;
    c.p++;
    return rule_when(&c, &r->end) && c.p == c.end;
}

/* The local time at which w falls in year y. */
static int64_t rule_local(const struct rule_when *w, int64_t y)
{
    int64_t day;
    switch (w->kind) {
    case RULE_JULIAN:
        day = civil_days(y, 1, 1) + w->day - 1 +
              (civil_is_leap(y) && w->day >= 60);
        break;
    case RULE_ZERO:
        day = civil_days(y, 1, 1) + w->day;
        break;
    default: {
        int64_t first = civil_days(y, w->month, 1);
        int64_t d = first + (w->weekday - civil_weekday(first) + 7) % 7 +
                    7 * (w->week - 1);
        while (d >= first + civil_month_days(y, w->month))
            d -= 7; /* week 5: the last one */
        day = d;
        break;
    }
    }
    return day * CIVIL_SECONDS_PER_DAY + w->time;
}

/* The period of the footer's rule that holds t. */
static void rule_period(const struct tz_rule *r, int64_t t, struct period *p)
{
    if (!r->has_dst) {
        *p = (struct period){TZ_MIN_T, TZ_MAX_T, r->std_off};
        return;
    }
    /* The changes of the years around t's, in order; daylight time starts
     * at a standard local time and ends at a daylight one. */
    int64_t y;
    int m, d;
    civil_date(civil_floor_div(t + r->std_off, CIVIL_SECONDS_PER_DAY), &y, &m,
               &d);
    int64_t when[6] = {0};
    int32_t after[6] = {0};
    size_t n = 0;
    for (int k = -1; k <= 1; k++) {
        when[n] = rule_local(&r->start, y + k) - r->std_off;
        after[n++] = r->dst_off;
        when[n] = rule_local(&r->end, y + k) - r->dst_off;
        after[n++] = r->std_off;
    }
    for (size_t i = 1; i < n; i++)
        for (size_t j = i; j > 0 && when[j - 1] > when[j]; j--) {
            int64_t tw = when[j];
            int32_t ta = after[j];
            when[j] = when[j - 1], after[j] = after[j - 1];
            when[j - 1] = tw, after[j - 1] = ta;
        }
    size_t i = 0;
    while (i < n && when[i] <= t)
        i++;
    /* Before every change of three years: the one before the first. */
    p->start = i > 0 ? when[i - 1] : TZ_MIN_T;
    p->end = i < n ? when[i] : TZ_MAX_T;
    p->off = i > 0 ? after[i - 1]
                   : (after[0] == r->dst_off ? r->std_off : r->dst_off);
}

/* --- the TZif file ---------------------------------------------------------
 */

static uint32_t be32(const unsigned char *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 |
           p[3];
}

static int64_t be64(const unsigned char *p)
{
    return (int64_t)((uint64_t)be32(p) << 32 | be32(p + 4));
}

struct tzif_counts {
    uint32_t isut, isstd, leap, time, type, chars;
};

static bool read_header(const unsigned char *b, size_t n, struct tzif_counts *c)
{
    if (n < TZIF_HEADER_BYTES || memcmp(b, "TZif", 4) != 0)
        return false;
    c->isut = be32(b + 20);
    c->isstd = be32(b + 24);
    c->leap = be32(b + 28);
    c->time = be32(b + 32);
    c->type = be32(b + 36);
    c->chars = be32(b + 40);
    return c->type > 0 && c->type <= 256 && c->time <= TZ_MAX_FILE &&
           c->chars <= TZ_MAX_FILE && c->leap <= TZ_MAX_FILE &&
           c->isut <= TZ_MAX_FILE && c->isstd <= TZ_MAX_FILE;
}

/* Bytes of a data block whose times take tbytes each. */
static size_t block_bytes(const struct tzif_counts *c, size_t tbytes)
{
    return (size_t)c->time * (tbytes + 1) +
           (size_t)c->type * TZIF_TTINFO_BYTES + c->chars +
           (size_t)c->leap * (tbytes + 4) + c->isstd + c->isut;
}

/* Copies the transitions and types of the block at b (times of tbytes). */
static int read_block(struct tz *z, const unsigned char *b,
                      const struct tzif_counts *c, size_t tbytes)
{
    z->n_trans = c->time;
    z->n_types = c->type;
    z->trans = malloc((c->time ? c->time : 1) * sizeof(*z->trans));
    z->kind = malloc(c->time ? c->time : 1);
    z->offset = malloc(c->type * sizeof(*z->offset));
    if (z->trans == NULL || z->kind == NULL || z->offset == NULL)
        return -ENOMEM;
    for (size_t i = 0; i < c->time; i++) {
        z->trans[i] = tbytes == 8 ? be64(b + 8 * i) : (int32_t)be32(b + 4 * i);
        if (i > 0 && z->trans[i] <= z->trans[i - 1])
            return -EINVAL;
    }
    b += (size_t)c->time * tbytes;
    for (size_t i = 0; i < c->time; i++)
        if ((z->kind[i] = b[i]) >= c->type)
            return -EINVAL;
    b += c->time;
    for (size_t i = 0; i < c->type; i++) {
        int32_t off = (int32_t)be32(b + TZIF_TTINFO_BYTES * i);
        if (off < -TZ_MAX_OFFSET || off > TZ_MAX_OFFSET)
            return -EINVAL;
        z->offset[i] = off;
    }
    return 0;
}

static int parse_tzif(struct tz *z, const unsigned char *b, size_t n)
{
    struct tzif_counts c;
    if (!read_header(b, n, &c))
        return -EINVAL;
    size_t tbytes = 4, off = TZIF_HEADER_BYTES;
    if (b[4] >= '2') {
        /* Version 2 and later repeat the data with 64-bit times. */
        off += block_bytes(&c, 4);
        if (off > n || !read_header(b + off, n - off, &c))
            return -EINVAL;
        off += TZIF_HEADER_BYTES;
        tbytes = 8;
    }
    size_t size = block_bytes(&c, tbytes);
    if (size > n - off)
        return -EINVAL;
    if (c.leap > 0)
        return -EINVAL; /* "right/" zones count leap seconds: not POSIX */
    int rc = read_block(z, b + off, &c, tbytes);
    if (rc != 0 || tbytes == 4)
        return rc;
    /* The footer: "\n" TZ-string "\n". */
    const unsigned char *f = b + off + size, *end = b + n;
    if (f >= end || *f != '\n')
        return -EINVAL;
    const unsigned char *nl = memchr(f + 1, '\n', (size_t)(end - f - 1));
    if (nl == NULL)
        return -EINVAL;
    if (nl > f + 1) {
        if (!parse_rule((const char *)f + 1, (size_t)(nl - f - 1), &z->rule))
            return -EINVAL;
        z->has_rule = true;
    }
    return 0;
}

/* A name that stays inside the zoneinfo directory. */
static bool valid_name(const char *name)
{
    size_t len = strlen(name);
    if (len == 0 || len > TZ_MAX_NAME || name[0] == '/')
        return false;
    for (const char *p = name; *p; p++) {
        bool ok = (*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z') ||
                  (*p >= '0' && *p <= '9') || strchr("/_+-.", *p) != NULL;
        if (!ok)
            return false;
        /* A part that is "." or "..": no walking out. */
        if (*p == '.' && (p == name || p[-1] == '/') &&
            (p[1] == '\0' || p[1] == '/' ||
             (p[1] == '.' && (p[2] == '\0' || p[2] == '/'))))
            return false;
    }
    return true;
}

const char *tz_dir(void)
{
    const char *dir = getenv("TZDIR");
    return dir != NULL && *dir != '\0' ? dir : TZ_DEFAULT_DIR;
}

/* The file's bytes (caller frees), or NULL with *rc set. */
static unsigned char *read_file(const char *name, size_t *n, int *rc)
{
    char path[PATH_MAX];
    if ((size_t)snprintf(path, sizeof(path), "%s/%s", tz_dir(), name) >=
        sizeof(path)) {
        *rc = -ENAMETOOLONG;
        return NULL;
    }
    FILE *f = fopen(path, "rb");
    if (f == NULL) {
        *rc = errno == ENOTDIR ? -ENOENT : -errno;
        return NULL;
    }
    struct stat st;
    unsigned char *b = NULL;
    if (fstat(fileno(f), &st) != 0 || !S_ISREG(st.st_mode)) {
        *rc = -ENOENT; /* a directory ("Europe") is no zone */
    } else if (st.st_size > TZ_MAX_FILE) {
        *rc = -EBADMSG;
    } else if ((b = malloc(st.st_size > 0 ? (size_t)st.st_size : 1)) == NULL) {
        *rc = -ENOMEM;
    } else {
        *n = fread(b, 1, (size_t)st.st_size, f);
        *rc = 0;
    }
    fclose(f);
    return b;
}

int tz_load(const char *name, struct tz **out)
{
    *out = NULL;
    if (!valid_name(name))
        return -EINVAL;
    struct tz *z = calloc(1, sizeof(*z));
    if (z == NULL || (z->name = strdup(name)) == NULL) {
        tz_free(z);
        return -ENOMEM;
    }
    int rc = 0;
    if (strcmp(name, "UTC") == 0) {
        /* Always there, file or not: one type, offset 0. */
        z->n_types = 1;
        if ((z->offset = calloc(1, sizeof(*z->offset))) == NULL)
            rc = -ENOMEM;
    } else {
        size_t n = 0;
        unsigned char *b = read_file(name, &n, &rc);
        if (b != NULL && (rc = parse_tzif(z, b, n)) == -EINVAL)
            rc = -EBADMSG;
        free(b);
    }
    if (rc != 0) {
        tz_free(z);
        return rc;
    }
    *out = z;
    return 0;
}

void tz_free(struct tz *z)
{
    if (z == NULL)
        return;
    free(z->name);
    free(z->trans);
    free(z->kind);
    free(z->offset);
    free(z);
}

const char *tz_name(const struct tz *z)
{
    return z->name;
}

bool tz_is_utc(const struct tz *z)
{
    for (size_t i = 0; i < z->n_types; i++)
        if (z->offset[i] != 0)
            return false;
    return !z->has_rule || (z->rule.std_off == 0 && !z->rule.has_dst);
}

/* --- conversions -----------------------------------------------------------
 */

/* The period of constant offset that holds the UTC instant t. */
static void period_at(const struct tz *z, int64_t t, struct period *p)
{
    size_t n = z->n_trans;
    if (n == 0 || t >= z->trans[n - 1]) {
        if (z->has_rule) {
            rule_period(&z->rule, t, p);
            if (n > 0 && p->start < z->trans[n - 1])
                p->start = z->trans[n - 1];
            return;
        }
        int32_t off = z->offset[n > 0 ? z->kind[n - 1] : 0];
        *p = (struct period){n > 0 ? z->trans[n - 1] : TZ_MIN_T, TZ_MAX_T, off};
        return;
    }
    if (t < z->trans[0]) {
        *p = (struct period){TZ_MIN_T, z->trans[0], z->offset[0]};
        return;
    }
    size_t lo = 0, hi = n - 1; /* trans[lo] <= t < trans[hi] */
    while (hi - lo > 1) {
        size_t mid = lo + (hi - lo) / 2;
        if (z->trans[mid] <= t)
            lo = mid;
        else
            hi = mid;
    }
    *p = (struct period){z->trans[lo], z->trans[hi], z->offset[z->kind[lo]]};
}

int32_t tz_offset(const struct tz *z, int64_t t)
{
    struct period p;
    period_at(z, t, &p);
    return p.off;
}

int32_t tz_offset_span(const struct tz *z, int64_t t, int64_t *from,
                       int64_t *until)
{
    struct period p;
    period_at(z, t, &p);
    if (from != NULL)
        *from = p.start;
    if (until != NULL)
        *until = p.end;
    return p.off;
}

int64_t tz_to_local(const struct tz *z, int64_t t)
{
    return t + tz_offset(z, t);
}

/* a + b, clamped to the int64_t range. */
static int64_t add_sat(int64_t a, int64_t b)
{
    int64_t r;
    if (__builtin_add_overflow(a, b, &r))
        return b > 0 ? TZ_MAX_T : TZ_MIN_T;
    return r;
}

/*
 * The local times that map with p's offset: from p's start (where its
 * predecessor's offset, if larger, keeps the times it has twice) to its
 * end (where a gap after it, if any, is still mapped with its offset).
 */
static void span_of(const struct tz *z, const struct period *p,
                    struct tz_span *s)
{
    struct period prev = *p, next = *p;
    if (p->start != TZ_MIN_T)
        period_at(z, p->start - 1, &prev);
    if (p->end != TZ_MAX_T)
        period_at(z, p->end, &next);
    s->offset = p->off;
    s->lo = p->start == TZ_MIN_T
                ? TZ_MIN_T
                : add_sat(p->start, prev.off > p->off ? prev.off : p->off);
    s->hi = p->end == TZ_MAX_T
                ? TZ_MAX_T
                : add_sat(p->end, next.off > p->off ? next.off : p->off);
}

/*
 * local mapped by the rule of the introduction: the earliest period in
 * which it exists, or, in a gap, the period before the gap. *gap_at is
 * the transition that skips local, or TZ_MAX_T.
 */
static int64_t resolve(const struct tz *z, int64_t local, struct period *use,
                       int64_t *gap_at)
{
    struct period p;
    period_at(z, add_sat(local, -TZ_MAX_OFFSET), &p);
    *gap_at = TZ_MAX_T;
    for (int i = 0; i < PERIODS_MAX; i++) {
        int64_t t = add_sat(local, -p.off);
        if (t >= p.start && t < p.end) {
            *use = p;
            return t;
        }
        if (t >= p.end && p.end != TZ_MAX_T) {
            struct period next;
            period_at(z, p.end, &next);
            if (add_sat(local, -next.off) < next.start) {
                /* Before the next period starts and after this one
                 * ends: skipped by the change at p.end. */
                *use = p;
                *gap_at = p.end;
                return t;
            }
            p = next;
            continue;
        }
        break;
    }
    /* Offsets beyond TZ_MAX_OFFSET are refused on loading, so the times
     * around local are always found; this keeps a total function. */
    *use = p;
    return add_sat(local, -p.off);
}

int64_t tz_to_utc(const struct tz *z, int64_t local, struct tz_span *span)
{
    struct period use;
    int64_t gap_at;
    int64_t t = resolve(z, local, &use, &gap_at);
    if (span != NULL)
        span_of(z, &use, span);
    return t;
}

int64_t tz_day_of(const struct tz *z, int64_t t)
{
    return civil_floor_div(tz_to_local(z, t), CIVIL_SECONDS_PER_DAY);
}

int64_t tz_day_start(const struct tz *z, int64_t day)
{
    struct period use;
    int64_t gap_at;
    int64_t t = resolve(z, day * CIVIL_SECONDS_PER_DAY, &use, &gap_at);
    return gap_at != TZ_MAX_T ? gap_at : t;
}

/* --- names -----------------------------------------------------------------
 */

/* Whether a directory entry's name can be (part of) a zone's name. */
static bool zone_part(const char *name, int depth)
{
    if (name[0] == '.' || strchr(name, '.') != NULL)
        return false; /* ".", "..", "zone.tab", "tzdata.zi" */
    if (depth == 0 &&
        (strcmp(name, "posix") == 0 || strcmp(name, "right") == 0 ||
         strcmp(name, "posixrules") == 0 || strcmp(name, "Factory") == 0))
        return false;
    return true;
}

static int walk(char *path, size_t len, int depth,
                void (*fn)(void *ctx, const char *name), void *ctx)
{
    DIR *d = opendir(path);
    if (d == NULL)
        return -errno;
    size_t root = strlen(tz_dir()) + 1;
    const struct dirent *de;
    while ((de = readdir(d)) != NULL) {
        size_t n = strlen(de->d_name);
        if (!zone_part(de->d_name, depth) || len + 1 + n >= PATH_MAX)
            continue;
        path[len] = '/';
        memcpy(path + len + 1, de->d_name, n + 1);
        struct stat st;
        if (stat(path, &st) != 0)
            continue;
        if (S_ISDIR(st.st_mode) && depth < NAMES_MAX_DEPTH)
            walk(path, len + 1 + n, depth + 1, fn, ctx);
        else if (S_ISREG(st.st_mode))
            fn(ctx, path + root);
    }
    path[len] = '\0';
    closedir(d);
    return 0;
}

int tz_each_name(void (*fn)(void *ctx, const char *name), void *ctx)
{
    char path[PATH_MAX];
    size_t len = strlen(tz_dir());
    if (len >= sizeof(path))
        return -ENAMETOOLONG;
    memcpy(path, tz_dir(), len + 1);
    return walk(path, len, 0, fn, ctx);
}
