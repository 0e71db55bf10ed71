/*
 * Usage reports: the parameters read one by one into a request, checked
 * against the ledger's metrics and labels once all are known (a filter
 * may name a label of a metric asked for after it), then answered with
 * the ledger's sums or rows.
 */
#include "usage_query.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "civil.h"
#include "period.h"
#include "timefmt.h"

#define USAGE_YEAR_MIN 1    /* dates are four-digit years */
#define USAGE_YEAR_MAX 9999 /* (RFC 3339) */
#define DATE_LEN       10   /* YYYY-MM-DD */

static const char *const format_names[] = {
    [USAGE_FORMAT_JSON] = "json",
    [USAGE_FORMAT_CSV] = "csv",
    [USAGE_FORMAT_TABLE] = "table",
};
#define USAGE_FORMAT_COUNT (sizeof(format_names) / sizeof(format_names[0]))

const char *usage_format_name(enum usage_format f)
{
    return (unsigned)f < USAGE_FORMAT_COUNT ? format_names[f] : "?";
}

int usage_format_parse(const char *s)
{
    for (size_t i = 0; i < USAGE_FORMAT_COUNT; i++)
        if (strcmp(s, format_names[i]) == 0)
            return (int)i;
    return -1;
}

/* --- the parameters ------------------------------------------------------ */

/* The parameters that are not filters, and which report takes each. */
enum pkey { P_METRIC, P_PERIOD, P_START, P_END, P_BY, P_GRAIN, P_FORMAT, P_N };

static const struct {
    const char *name;
    bool summary, export;
} pkeys[P_N] = {
    [P_METRIC] = {"metric", true, true},
    [P_PERIOD] = {"period", true, true},
    [P_START] = {"start_date", true, true},
    [P_END] = {"end_date", true, true},
    [P_BY] = {"by", true, false},
    [P_GRAIN] = {"granularity", false, true},
    [P_FORMAT] = {"format", false, true},
};

struct parse {
    const struct ledger *l;
    struct usage_request *r;
    struct buf *why;
    const char *given[P_N]; /* the value of each, once given */
    int64_t now;
};

static __attribute__((format(printf, 2, 3))) int refuse(struct parse *ps,
                                                        const char *fmt, ...)
{
    va_list ap;
    buf_reset(ps->why);
    va_start(ap, fmt);
    buf_vprintf(ps->why, fmt, ap);
    va_end(ap);
    /* The parameters quoted are the client's: the reason stays one line
     * of text whatever they hold. */
    for (size_t i = 0; !ps->why->oom && i < ps->why->len; i++)
        if ((unsigned char)ps->why->data[i] < 0x20 || ps->why->data[i] == 0x7f)
            ps->why->data[i] = '?';
    return -EINVAL;
}

/* "a, b, c": the names of the ledger's metrics, for an error. */
static const char *metric_names(struct parse *ps, struct buf *b)
{
    for (size_t i = 0; i < ledger_n_metrics(ps->l); i++) {
        struct ledger_metric_info m;
        ledger_metric(ps->l, i, &m);
        buf_printf(b, "%s%s", i ? ", " : "", m.name);
    }
    return b->oom || b->len == 0 ? "" : b->data;
}

static int add_metric(struct parse *ps, const char *name)
{
    struct usage_request *r = ps->r;
    int at = ledger_find(ps->l, name);
    if (at < 0) {
        struct buf names = {0};
        int rc = refuse(ps, "unknown metric \"%s\" (the usage metrics: %s)",
                        name, metric_names(ps, &names));
        buf_free(&names);
        return rc;
    }
    for (size_t i = 0; i < r->n_metrics; i++)
        if (r->metrics[i] == (size_t)at)
            return refuse(ps, "metric \"%s\" is asked for twice", name);
    if (r->kind == USAGE_EXPORT && r->n_metrics > 0)
        return refuse(ps,
                      "the export takes one metric at a time, not \"%s\" "
                      "as well",
                      name);
    r->metrics[r->n_metrics++] = (size_t)at;
    return 0;
}

static int add_filter(struct parse *ps, const char *label, const char *value)
{
    struct usage_request *r = ps->r;
    if (label[0] == '\0')
        return refuse(ps, "a parameter has no name");
    for (size_t i = 0; i < r->n_match; i++)
        if (strcmp(r->match[i].label, label) == 0)
            return refuse(ps, "the filter %s is given twice", label);
    r->match[r->n_match++] = (struct ledger_match){label, value};
    return 0;
}

static int take(struct parse *ps, const struct usage_param *p)
{
    bool summary = ps->r->kind == USAGE_SUMMARY;
    for (int k = 0; k < P_N; k++) {
        if (strcmp(p->key, pkeys[k].name) != 0)
            continue;
        if (!(summary ? pkeys[k].summary : pkeys[k].export))
            return refuse(ps, "%s is not a parameter of the %s", p->key,
                          summary ? "usage summary (it is one of the export)"
                                  : "export (it is one of the usage summary)");
        if (k == P_METRIC)
            return add_metric(ps, p->value);
        if (ps->given[k] != NULL)
            return refuse(ps, "%s is given twice", p->key);
        ps->given[k] = p->value;
        return 0;
    }
    return add_filter(ps, p->key, p->value);
}

/* --- dates -----------------------------------------------------------------
 */

static bool digits(const char *s, size_t n, int *out)
{
    int v = 0;
    for (size_t i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9')
            return false;
        v = v * 10 + (s[i] - '0');
    }
    *out = v;
    return true;
}

/* The day number of a date written YYYY-MM-DD; false if it is none. */
static bool parse_date(const char *s, int64_t *day)
{
    int y, m, d;
    if (strlen(s) != DATE_LEN || s[4] != '-' || s[7] != '-' ||
        !digits(s, 4, &y) || !digits(s + 5, 2, &m) || !digits(s + 8, 2, &d))
        return false;
    if (y < USAGE_YEAR_MIN || y > USAGE_YEAR_MAX || m < 1 || m > 12 || d < 1 ||
        d > civil_month_days(y, m))
        return false;
    *day = civil_days(y, m, d);
    return true;
}

static int parse_dates(struct parse *ps)
{
    const char *start = ps->given[P_START], *end = ps->given[P_END];
    int64_t first, last;
    if (start == NULL || end == NULL)
        return refuse(ps, "start_date and end_date go together: %s is missing",
                      start == NULL ? "start_date" : "end_date");
    if (!parse_date(start, &first))
        return refuse(ps, "start_date \"%s\" is not a date (YYYY-MM-DD)",
                      start);
    if (!parse_date(end, &last))
        return refuse(ps, "end_date \"%s\" is not a date (YYYY-MM-DD)", end);
    if (first > last)
        return refuse(ps, "start_date %s is after end_date %s", start, end);
    ps->r->span = (struct usage_span){first, last + 1};
    return 0;
}

/* The span: the dates, or the current period (a month; a day for an
 * export by the hour, whose hours are kept a few days). */
static int parse_span(struct parse *ps)
{
    const char *period = ps->given[P_PERIOD];
    if (period != NULL && (ps->given[P_START] || ps->given[P_END]))
        return refuse(ps, "period and start_date/end_date exclude each other");
    if (ps->given[P_START] || ps->given[P_END])
        return parse_dates(ps);
    int kind = period != NULL                 ? period_kind_parse(period)
               : ps->r->grain == LEDGER_HOURS ? PERIOD_DAY
                                              : PERIOD_MONTH;
    if (kind < 0 || kind == PERIOD_HOUR)
        return refuse(ps, "period must be day, week, month or year, not \"%s\"",
                      period);
    struct period_span sp;
    period_of(ledger_zone(ps->l), (enum period_kind)kind, ps->now, &sp);
    ps->r->span = (struct usage_span){sp.first_day, sp.end_day};
    return 0;
}

/* --- labels ----------------------------------------------------------------
 */

static bool has_label(const struct ledger_metric_info *m, const char *label)
{
    for (size_t i = 0; i < m->n_labels; i++)
        if (strcmp(m->labels[i], label) == 0)
            return true;
    return false;
}

/* Whether a metric asked for has the label. */
static bool asked_label(const struct parse *ps, const char *label)
{
    for (size_t i = 0; i < ps->r->n_metrics; i++) {
        struct ledger_metric_info m;
        ledger_metric(ps->l, ps->r->metrics[i], &m);
        if (has_label(&m, label))
            return true;
    }
    return false;
}

/* Whether a metric asked for before the one at index i has the label. */
static bool label_before(const struct parse *ps, size_t i, const char *label)
{
    for (size_t k = 0; k < i; k++) {
        struct ledger_metric_info m;
        ledger_metric(ps->l, ps->r->metrics[k], &m);
        if (has_label(&m, label))
            return true;
    }
    return false;
}

static int unknown_label(struct parse *ps, const char *what, const char *label)
{
    struct buf names = {0};
    for (size_t i = 0; i < ps->r->n_metrics; i++) {
        struct ledger_metric_info m;
        ledger_metric(ps->l, ps->r->metrics[i], &m);
        for (size_t j = 0; j < m.n_labels; j++)
            if (!label_before(ps, i, m.labels[j]) &&
                !has_label(&(struct ledger_metric_info){.labels = m.labels,
                                                        .n_labels = j},
                           m.labels[j]))
                buf_printf(&names, "%s%s", names.len ? ", " : "", m.labels[j]);
    }
    int rc =
        refuse(ps, "%s \"%s\": no metric asked for has that label (%s%s)", what,
               label, names.len ? "their labels: " : "they have none",
               names.len && !names.oom ? names.data : "");
    buf_free(&names);
    return rc;
}

static bool listed(const char *const *names, size_t n, const char *name)
{
    for (size_t i = 0; i < n; i++)
        if (names[i] != NULL && strcmp(names[i], name) == 0)
            return true;
    return false;
}

static int parse_by(struct parse *ps)
{
    struct usage_request *r = ps->r;
    const char *by = ps->given[P_BY];
    if (by == NULL)
        return 0;
    /* The labels, each ended by a NUL, then pointers to them. */
    buf_puts(&r->storage, by);
    buf_putc(&r->storage, '\0');
    size_t n = 1;
    for (const char *c = by; *c; c++)
        n += *c == ',';
    r->by = calloc(n, sizeof(*r->by));
    if (r->storage.oom || r->by == NULL)
        return -ENOMEM;
    for (char *s = r->storage.data, *next; s != NULL; s = next) {
        next = strchr(s, ',');
        if (next != NULL)
            *next++ = '\0';
        if (*s == '\0')
            return refuse(ps, "by \"%s\" has an empty label name", by);
        if (listed(r->by, r->n_by, s))
            return refuse(ps, "by names the label %s twice", s);
        if (!asked_label(ps, s))
            return unknown_label(ps, "by", s);
        r->by[r->n_by++] = s;
    }
    return 0;
}

/* --- the request ------------------------------------------------------------
 */

static int parse_grain(struct parse *ps)
{
    const char *g = ps->given[P_GRAIN], *f = ps->given[P_FORMAT];
    if (g != NULL && strcmp(g, "hour") == 0)
        ps->r->grain = LEDGER_HOURS;
    else if (g != NULL && strcmp(g, "day") != 0)
        return refuse(ps, "granularity must be day or hour, not \"%s\"", g);
    if (f != NULL) {
        int fmt = usage_format_parse(f);
        if (fmt != USAGE_FORMAT_JSON && fmt != USAGE_FORMAT_CSV)
            return refuse(ps, "format must be csv or json, not \"%s\"", f);
        ps->r->format = (enum usage_format)fmt;
        ps->r->format_given = true;
    }
    return 0;
}

void usage_instant(const struct tz *z, int64_t t, char out[USAGE_INSTANT_MAX])
{
    if (timefmt_rfc3339((num_fixed)t * NUM_ONE, tz_offset(z, t), out) == 0)
        memcpy(out, "?", sizeof("?"));
}

/* An export by the hour must stay within the hours the ledger keeps. */
static int check_hours(struct parse *ps)
{
    const struct tz *z = ledger_zone(ps->l);
    struct ledger_window w;
    char first[USAGE_INSTANT_MAX];
    if (ps->r->grain != LEDGER_HOURS)
        return 0;
    ledger_window(ps->l, ps->now, &w);
    if (w.first_hour == INT64_MAX)
        return refuse(ps,
                      "granularity=hour: no hours are kept "
                      "(usage.hourly_retention is 0s); use granularity=day");
    if (tz_day_start(z, ps->r->span.first_day) >= w.first_hour)
        return 0;
    struct period_place at;
    period_place(z, w.first_hour, &at);
    usage_instant(z, w.first_hour, first);
    int64_t y;
    int m, d;
    civil_date(at.day + (at.day_start < w.first_hour), &y, &m, &d);
    return refuse(ps,
                  "granularity=hour reaches back before the hours kept: hours "
                  "are kept for %lld days (usage.hourly_retention), the "
                  "oldest from %s; ask from start_date=%04lld-%02d-%02d or "
                  "use granularity=day",
                  (long long)(w.hourly_retention_s / CIVIL_SECONDS_PER_DAY),
                  first, (long long)y, m, d);
}

static int finish(struct parse *ps)
{
    struct usage_request *r = ps->r;
    size_t n = ledger_n_metrics(ps->l);
    int rc;
    if (r->n_metrics == 0 && r->kind == USAGE_EXPORT && n != 1) {
        struct buf names = {0};
        rc = refuse(ps, "the export needs a metric: one of %s",
                    metric_names(ps, &names));
        buf_free(&names);
        return rc;
    }
    if (r->n_metrics == 0)
        for (size_t i = 0; i < (r->kind == USAGE_EXPORT ? 1 : n); i++)
            r->metrics[r->n_metrics++] = i;
    if ((rc = parse_grain(ps)) != 0 || (rc = parse_span(ps)) != 0 ||
        (rc = parse_by(ps)) != 0)
        return rc;
    for (size_t i = 0; i < r->n_match; i++)
        if (!asked_label(ps, r->match[i].label))
            return unknown_label(ps, "filter", r->match[i].label);
    return check_hours(ps);
}

int usage_parse(const struct ledger *l, enum usage_kind kind,
                const struct usage_param *p, size_t n, int64_t now,
                struct usage_request *out, struct buf *why)
{
    struct parse ps = {.l = l, .r = out, .why = why, .now = now};
    memset(out, 0, sizeof(*out));
    out->kind = kind;
    out->metrics = calloc(ledger_n_metrics(l) + 1, sizeof(*out->metrics));
    out->match = calloc(n + 1, sizeof(*out->match));
    if (out->metrics == NULL || out->match == NULL)
        return -ENOMEM;
    for (size_t i = 0; i < n; i++) {
        int rc = take(&ps, &p[i]);
        if (rc != 0)
            return rc;
    }
    return finish(&ps);
}

void usage_request_free(struct usage_request *r)
{
    if (r == NULL)
        return;
    free(r->metrics);
    free(r->match);
    free(r->by);
    buf_free(&r->storage);
    memset(r, 0, sizeof(*r));
}

/* --- answers
 * ------------------------------------------------------------------ */

bool usage_average(num_fixed sum, uint64_t count, num_fixed *out)
{
    if (count == 0)
        return false;
    /* A count times NUM_ONE fits: 2^64 * 10^12 is far below 2^127. */
    if (num_div(sum, (num_fixed)count * NUM_ONE, out) != 0)
        *out = 0;
    return true;
}

/* The query of metric m of r: the filters and by labels it has. */
static int metric_query(const struct usage_request *r,
                        struct usage_metric_sums *ms,
                        struct ledger_match *match, struct ledger_query *q)
{
    *q = (struct ledger_query){.metric = ms->metric,
                               .grain = LEDGER_DAYS,
                               .from = r->span.first_day,
                               .to = r->span.end_day,
                               .match = match};
    for (size_t i = 0; i < r->n_match; i++)
        if (has_label(&ms->info, r->match[i].label))
            match[q->n_match++] = r->match[i];
    for (size_t i = 0; i < r->n_by; i++)
        if (has_label(&ms->info, r->by[i]))
            ms->by[ms->n_by++] = r->by[i];
    q->by = ms->by;
    q->n_by = ms->n_by;
    return 0;
}

int usage_summarize(struct ledger *l, const struct usage_request *r,
                    struct usage_summary **out)
{
    struct usage_summary *s = calloc(1, sizeof(*s));
    struct ledger_match *match = calloc(r->n_match + 1, sizeof(*match));
    int rc = s && match ? 0 : -ENOMEM;
    if (rc == 0) {
        *s = (struct usage_summary){.span = r->span,
                                    .zone = tz_name(ledger_zone(l)),
                                    .by = r->by,
                                    .n_by = r->n_by};
        s->metrics = calloc(r->n_metrics + 1, sizeof(*s->metrics));
        rc = s->metrics ? 0 : -ENOMEM;
    }
    for (size_t i = 0; rc == 0 && i < r->n_metrics; i++) {
        struct usage_metric_sums *ms = &s->metrics[s->n_metrics++];
        struct ledger_query q;
        ms->metric = r->metrics[i];
        ledger_metric(l, ms->metric, &ms->info);
        ms->by = calloc(r->n_by + 1, sizeof(*ms->by));
        if (ms->by == NULL) {
            rc = -ENOMEM;
            break;
        }
        metric_query(r, ms, match, &q);
        rc = ledger_sum(l, &q, &ms->sums);
    }
    free(match);
    if (rc != 0) {
        usage_summary_free(s);
        return rc;
    }
    *out = s;
    return 0;
}

void usage_summary_free(struct usage_summary *s)
{
    if (s == NULL)
        return;
    for (size_t i = 0; i < s->n_metrics; i++) {
        free(s->metrics[i].by);
        ledger_sums_free(s->metrics[i].sums);
    }
    free(s->metrics);
    free(s);
}

int usage_export_days(struct ledger *l, const struct usage_request *r,
                      int64_t first_day, int64_t end_day,
                      int (*fn)(void *ctx, const struct ledger_row *row),
                      void *ctx)
{
    struct usage_metric_sums ms = {.metric = r->metrics[0]};
    struct ledger_match *match = calloc(r->n_match + 1, sizeof(*match));
    struct ledger_query q;
    if (match == NULL)
        return -ENOMEM;
    ledger_metric(l, ms.metric, &ms.info);
    metric_query(r, &ms, match, &q);
    q.grain = r->grain;
    q.from = first_day;
    q.to = end_day;
    if (r->grain == LEDGER_HOURS) {
        q.from = tz_day_start(ledger_zone(l), first_day);
        q.to = tz_day_start(ledger_zone(l), end_day);
    }
    int rc = ledger_rows(l, &q, fn, ctx);
    free(match);
    return rc;
}

int usage_export(struct ledger *l, const struct usage_request *r,
                 int (*fn)(void *ctx, const struct ledger_row *row), void *ctx)
{
    return usage_export_days(l, r, r->span.first_day, r->span.end_day, fn, ctx);
}
