/*
 * Budgets: the figures of each from the ledger's sum, summed again only
 * when the period or the metric's updates moved, and the warnings.
 */
#include "budget.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "log.h"
#include "selfmetrics.h"
#include "timefmt.h"

#define PERMILLE 1000
/* Room for a log line's key=value pairs: five numbers, two times, a name. */
#define WARN_EXTRA_MAX                                                         \
    (5 * NUM_FMT_MAX + 2 * TIMEFMT_RFC3339_MAX + CONFIG_MAX_BUDGET_NAME + 96)

struct budget {
    num_fixed used; /* the sum of summed_start's period ... */
    struct budget_figures fig;
    const struct cfg_budget *def;
    size_t metric; /* in the ledger */
    struct ledger_match *match;
    struct period_span span; /* its period at the last budgets_eval() */
    uint64_t heard;          /* ... as of this many updates of the metric */
    int64_t summed_start;
    int64_t warned_start; /* the period the warned bits are of */
    uint32_t warned;      /* bit i: warn_at[i] warned of */
    bool summed;          /* used holds a sum */
    bool stale;           /* to be summed again by budgets_eval() */
    bool warned_any;      /* warned_start is set */
};

struct budgets {
    const struct config *cfg;
    struct ledger *l;
    struct budget *items;
    size_t n;
    bool changed; /* warnings given or forgotten since the last save */
};

static const char *const status_names[BUDGET_STATUS_COUNT] = {
    [BUDGET_OK] = "ok",
    [BUDGET_WARNING] = "warning",
    [BUDGET_EXCEEDED] = "exceeded",
};

const char *budget_status_name(enum budget_status s)
{
    return (unsigned)s < BUDGET_STATUS_COUNT ? status_names[s] : "?";
}

/* --- figures --------------------------------------------------------------
 */

num_fixed budget_project(num_fixed used, const struct period_span *span,
                         int64_t at)
{
    int64_t length = span->end - span->start, elapsed = at - span->start;
    num_fixed out;
    if (elapsed >= length)
        return used;
    if (elapsed <= 0 ||
        elapsed * PERMILLE < length * BUDGET_PROJECT_MIN_PERMILLE)
        return used;
    if (num_mul(used, (num_fixed)length * NUM_ONE, &out) != 0 ||
        num_div(out, (num_fixed)elapsed * NUM_ONE, &out) != 0)
        return NUM_FIXED_MAX;
    return out;
}

/* fraction * limit, rounded as num_mul rounds; NUM_FIXED_MAX when over. */
static num_fixed threshold(num_fixed fraction, num_fixed limit)
{
    num_fixed t;
    return num_mul(fraction, limit, &t) == 0 ? t : NUM_FIXED_MAX;
}

void budget_figures_of(const struct cfg_budget *b,
                       const struct period_span *span, int64_t at,
                       num_fixed used, struct budget_figures *out)
{
    *out = (struct budget_figures){
        .span = *span,
        .at = at,
        .limited = !b->unlimited,
        .used = used,
        .projected = budget_project(used, span, at),
        .status = BUDGET_OK,
    };
    if (b->unlimited)
        return;
    out->limit = b->limit;
    if (num_sub(b->limit, used, &out->remaining) != 0)
        out->remaining = -NUM_FIXED_MAX;
    if (num_div(used, b->limit, &out->utilization) != 0)
        out->utilization = NUM_FIXED_MAX;
    while (out->reached < b->n_warn &&
           used >= threshold(b->warn_at[out->reached], b->limit))
        out->reached++;
    if (used >= b->limit)
        out->status = BUDGET_EXCEEDED;
    else if (out->reached > 0)
        out->status = BUDGET_WARNING;
}

int64_t budgets_wall_clock(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec;
}

/* --- the set ----------------------------------------------------------------
 */

int budgets_new(const struct config *cfg, struct ledger *l,
                struct budgets **out)
{
    struct budgets *b = calloc(1, sizeof(*b));
    if (b == NULL)
        return -ENOMEM;
    b->cfg = cfg;
    b->l = l;
    b->items = calloc(cfg->n_budgets ? cfg->n_budgets : 1, sizeof(*b->items));
    if (b->items == NULL)
        goto nomem;
    for (size_t i = 0; i < cfg->n_budgets; i++) {
        const struct cfg_budget *def = &cfg->budgets[i];
        struct budget *it = &b->items[b->n++];
        int m = ledger_find(l, cfg->metrics[def->metric].name);
        if (m < 0) {
            budgets_free(b);
            return -EINVAL;
        }
        it->def = def;
        it->metric = (size_t)m;
        it->match = calloc(def->n_match ? def->n_match : 1, sizeof(*it->match));
        if (it->match == NULL)
            goto nomem;
        for (size_t k = 0; k < def->n_match; k++)
            it->match[k] =
                (struct ledger_match){def->match[k].label, def->match[k].value};
    }
    *out = b;
    return 0;
nomem:
    budgets_free(b);
    return -ENOMEM;
}

void budgets_free(struct budgets *b)
{
    if (b == NULL)
        return;
    for (size_t i = 0; i < b->n; i++)
        free(b->items[i].match);
    free(b->items);
    free(b);
}

size_t budgets_count(const struct budgets *b)
{
    return b->n;
}

const struct cfg_budget *budgets_def(const struct budgets *b, size_t i)
{
    return b->items[i].def;
}

const char *budgets_metric(const struct budgets *b, size_t i)
{
    return b->cfg->metrics[b->items[i].def->metric].name;
}

const struct tz *budgets_zone(const struct budgets *b)
{
    return ledger_zone(b->l);
}

const struct budget_figures *budgets_figures(const struct budgets *b, size_t i)
{
    return &b->items[i].fig;
}

/* Whether budget it is summed again: its period or its metric moved. */
static bool stale(const struct budgets *b, const struct budget *it)
{
    return !it->summed || it->summed_start != it->span.start ||
           it->heard != ledger_heard(b->l, it->metric);
}

/* Adds label to the n labels of by, unless there; returns the new n. */
static size_t by_add(const char **by, size_t n, const char *label)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp(by[i], label) == 0)
            return n;
    by[n] = label;
    return n + 1;
}

/* What the groups of s that hold every match of it add up to. */
static num_fixed matching(const struct budget *it, const struct ledger_sums *s,
                          const char *const *by, size_t n_by)
{
    num_fixed used = 0;
    if (it->def->n_match == 0)
        return s->total.sum;
    for (size_t g = 0; g < s->n_groups; g++) {
        bool all = !s->groups[g].overflow;
        for (size_t k = 0; all && k < it->def->n_match; k++)
            for (size_t j = 0; j < n_by; j++)
                if (strcmp(by[j], it->match[k].label) == 0)
                    all =
                        strcmp(s->groups[g].values[j], it->match[k].value) == 0;
        if (all)
            used = num_add_sat(used, s->groups[g].amount.sum);
    }
    return used;
}

/*
 * Sums budget i and every stale budget after it of the same metric and
 * period with one query, grouped by every label their matches name: ten
 * budgets of one counter read its rows once, not ten times.
 */
static int sum_alike(struct budgets *b, size_t i)
{
    const struct budget *first = &b->items[i];
    const char *by[CONFIG_MAX_LABELS];
    size_t n_by = 0;
    for (size_t j = i; j < b->n; j++) {
        const struct budget *it = &b->items[j];
        if (!it->stale || it->metric != first->metric ||
            it->def->period != first->def->period)
            continue;
        for (size_t k = 0; k < it->def->n_match; k++)
            n_by = by_add(by, n_by, it->match[k].label);
    }
    bool hour = first->span.kind == PERIOD_HOUR;
    struct ledger_query q = {
        .metric = first->metric,
        .grain = hour ? LEDGER_HOURS : LEDGER_DAYS,
        .from = hour ? first->span.start : first->span.first_day,
        .to = hour ? first->span.end : first->span.end_day,
        .by = by,
        .n_by = n_by,
    };
    struct ledger_sums *s;
    int rc = ledger_sum(b->l, &q, &s);
    if (rc != 0)
        return rc;
    uint64_t heard = ledger_heard(b->l, first->metric);
    for (size_t j = i; j < b->n; j++) {
        struct budget *it = &b->items[j];
        if (!it->stale || it->metric != first->metric ||
            it->def->period != first->def->period)
            continue;
        it->used = matching(it, s, by, n_by);
        it->summed = true;
        it->summed_start = it->span.start;
        it->heard = heard;
        it->stale = false;
    }
    ledger_sums_free(s);
    return 0;
}

/* A new period forgets the warnings of the one before. */
static void forget_past(struct budgets *b, struct budget *it, int64_t start)
{
    if (it->warned_any && it->warned_start == start)
        return;
    if (it->warned != 0)
        b->changed = true;
    it->warned = 0;
    it->warned_any = true;
    it->warned_start = start;
}

int budgets_eval(struct budgets *b, int64_t now)
{
    int first = 0;
    for (size_t i = 0; i < b->n; i++) {
        struct budget *it = &b->items[i];
        period_of(ledger_zone(b->l), it->def->period, now, &it->span);
        it->stale = stale(b, it);
    }
    for (size_t i = 0; i < b->n; i++) {
        int rc = b->items[i].stale ? sum_alike(b, i) : 0;
        first = first != 0 ? first : rc;
    }
    for (size_t i = 0; i < b->n; i++) {
        struct budget *it = &b->items[i];
        if (it->stale) /* its sum failed: it keeps its last figures */
            continue;
        forget_past(b, it, it->span.start);
        budget_figures_of(it->def, &it->span, now, it->used, &it->fig);
    }
    return first;
}

/* --- warnings ---------------------------------------------------------------
 */

static void instant(const struct tz *z, int64_t t, char *out)
{
    if (timefmt_rfc3339((num_fixed)t * NUM_ONE, tz_offset(z, t), out) == 0)
        snprintf(out, TIMEFMT_RFC3339_MAX, "%lld", (long long)t);
}

/* The current period in a warning's words. */
static const char *const current[PERIOD_KIND_COUNT] = {
    [PERIOD_HOUR] = "this hour", [PERIOD_DAY] = "today",
    [PERIOD_WEEK] = "this week", [PERIOD_MONTH] = "this month",
    [PERIOD_YEAR] = "this year",
};

static void warn(const struct budgets *b, const struct budget *it, size_t k)
{
    const struct budget_figures *f = &it->fig;
    char start[TIMEFMT_RFC3339_MAX], end[TIMEFMT_RFC3339_MAX];
    char used[NUM_FMT_MAX], limit[NUM_FMT_MAX], frac[NUM_FMT_MAX];
    char util[NUM_FMT_MAX], extra[WARN_EXTRA_MAX];
    const char *kind = period_kind_name(it->def->period);
    instant(ledger_zone(b->l), f->span.start, start);
    instant(ledger_zone(b->l), f->span.end, end);
    num_format(f->used, used);
    num_format(f->limit, limit);
    num_format(it->def->warn_at[k], frac);
    num_format(f->utilization, util);
    snprintf(extra, sizeof(extra),
             "budget=%s period=%s start=%s end=%s used=%s limit=%s "
             "fraction=%s utilization=%s",
             it->def->name, kind, start, end, used, limit, frac, util);
    log_write(LOG_WARN, extra,
              "budget %s reached %s of its limit %s: %s of %s used",
              it->def->name, frac, current[it->def->period], used, limit);
}

int budgets_check(struct budgets *b, int64_t now)
{
    int rc = budgets_eval(b, now), logged = 0;
    for (size_t i = 0; i < b->n; i++) {
        struct budget *it = &b->items[i];
        if (!it->summed || !it->warned_any ||
            it->warned_start != it->fig.span.start)
            continue;
        for (size_t k = 0; k < it->fig.reached; k++) {
            if (it->warned & (1u << k))
                continue;
            warn(b, it, k);
            it->warned |= 1u << k;
            b->changed = true;
            logged++;
        }
    }
    return logged > 0 ? logged : rc;
}

int budgets_each_warned(const struct budgets *b,
                        int (*fn)(void *ctx, const struct budget_warned *w),
                        void *ctx)
{
    for (size_t i = 0; i < b->n; i++) {
        const struct budget *it = &b->items[i];
        for (size_t k = 0; k < it->def->n_warn; k++) {
            if (!(it->warned & (1u << k)))
                continue;
            struct budget_warned w = {it->def->name, it->def->period,
                                      it->warned_start, it->def->warn_at[k]};
            int rc = fn(ctx, &w);
            if (rc != 0)
                return rc;
        }
    }
    return 0;
}

void budgets_restore_warned(struct budgets *b, const struct budget_warned *w)
{
    for (size_t i = 0; i < b->n; i++) {
        struct budget *it = &b->items[i];
        if (strcmp(it->def->name, w->budget) != 0 || it->def->period != w->kind)
            continue;
        if (!it->warned_any || w->start > it->warned_start) {
            it->warned = 0;
            it->warned_any = true;
            it->warned_start = w->start;
        }
        for (size_t k = 0; k < it->def->n_warn; k++)
            if (w->start == it->warned_start &&
                it->def->warn_at[k] == w->fraction)
                it->warned |= 1u << k;
    }
}

bool budgets_warned_changed(const struct budgets *b)
{
    return b->changed;
}

void budgets_saved(struct budgets *b)
{
    b->changed = false;
}

/* --- gauges -----------------------------------------------------------------
 */

/* What one budget shows: its figures as gauges. */
struct budget_gauges {
    num_fixed limit, used, remaining, utilization, projected, end;
    bool limited;
};

static size_t gauges_count(const void *ctx)
{
    return ((const struct budgets *)ctx)->n;
}

static const char *gauges_read(const void *ctx, size_t i, void *stats)
{
    const struct budget *it = &((const struct budgets *)ctx)->items[i];
    const struct budget_figures *f = &it->fig;
    struct budget_gauges *g = stats;
    if (!it->summed)
        return NULL;
    *g = (struct budget_gauges){
        .limit = f->limit,
        .used = f->used,
        .remaining = f->remaining,
        .utilization = f->utilization,
        .projected = f->projected,
        .end = (num_fixed)f->span.end * NUM_ONE,
        .limited = f->limited,
    };
    return it->def->name;
}

static const struct self_source gauges_source = {
    "budget", sizeof(struct budget_gauges), gauges_count, gauges_read, false};

#define LIMITED SELF_ONLY_IF(struct budget_gauges, limited)

static const struct self_row gauges_rows[] = {
    {.name = "tokentail_budget_limit",
     .type = METRIC_GAUGE,
     .help = "The budget's limit on what its counter adds in a period.",
     .source = &gauges_source,
     SELF_FIELD(struct budget_gauges, limit),
     LIMITED},
    {.name = "tokentail_budget_used",
     .type = METRIC_GAUGE,
     .help = "What the budget's counter added in the current period.",
     .source = &gauges_source,
     SELF_FIELD(struct budget_gauges, used)},
    {.name = "tokentail_budget_remaining",
     .type = METRIC_GAUGE,
     .help = "The limit minus what was used; negative when over.",
     .source = &gauges_source,
     SELF_FIELD(struct budget_gauges, remaining),
     LIMITED},
    {.name = "tokentail_budget_utilization_ratio",
     .type = METRIC_GAUGE,
     .help = "What was used divided by the limit.",
     .source = &gauges_source,
     SELF_FIELD(struct budget_gauges, utilization),
     LIMITED},
    {.name = "tokentail_budget_projected",
     .type = METRIC_GAUGE,
     .help = "What was used, extrapolated linearly to the end of the "
             "period (what was used, in its first 5 %).",
     .source = &gauges_source,
     SELF_FIELD(struct budget_gauges, projected)},
    {.name = "tokentail_budget_period_end_timestamp_seconds",
     .type = METRIC_GAUGE,
     .help = "When the budget's current period ends, in Unix seconds.",
     .source = &gauges_source,
     SELF_FIELD(struct budget_gauges, end)},
};

int budgets_selfmetrics(struct budgets *b, struct selfmetrics *sm)
{
    return selfmetrics_add(sm, gauges_rows,
                           sizeof(gauges_rows) / sizeof(*gauges_rows), b);
}
