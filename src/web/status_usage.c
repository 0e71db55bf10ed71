/* The usage and budget sections of the status page (status_page.h). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

#include "budget.h"
#include "civil.h"
#include "config.h"
#include "html.h"
#include "humanize.h"
#include "ledger.h"
#include "period.h"
#include "status_page.h"
#include "status_private.h"
#include "svg.h"

#define USAGE_MAX_TOKEN_METRICS 4 /* token columns in the month's table */
#define USAGE_MODEL_LABEL       "model"

/* One model's amount this month; model NULL: the overflow series, or
 * every series of a metric without the model label. */
struct model_amount {
    const char *model;
    num_fixed sum;
};

/* The month's sums of one usage metric, by model when it has the label. */
struct month_metric {
    num_fixed total;
    size_t metric;
    const char *name;
    struct model_amount *groups;
    size_t n_groups;
    struct ledger_sums *sums; /* owns the models' names, or */
    struct buf names;         /* does, '\0' after each */
    bool by_model;
};

/* One row of the month's table: a model and its spend, for sorting. */
struct month_row {
    const char *model; /* borrowed from a metric's sums */
    const char *label; /* what the row is called */
    num_fixed spend;
};

static bool name_has(const char *name, const char *part)
{
    return strstr(name, part) != NULL;
}

static bool has_label(const struct ledger_metric_info *info, const char *l)
{
    for (size_t i = 0; i < info->n_labels; i++)
        if (strcmp(info->labels[i], l) == 0)
            return true;
    return false;
}

/* The month's sums of m: one ledger_sum. */
static int month_sum(struct ledger *l, const struct period_span *span,
                     struct month_metric *m)
{
    static const char *const by[] = {USAGE_MODEL_LABEL};
    struct ledger_query q = {
        .metric = m->metric,
        .grain = LEDGER_DAYS,
        .from = span->first_day,
        .to = span->end_day,
        .by = m->by_model ? by : NULL,
        .n_by = m->by_model ? 1 : 0,
    };
    int rc = ledger_sum(l, &q, &m->sums);
    if (rc != 0)
        return rc;
    const struct ledger_sums *s = m->sums;
    m->total = s->total.sum;
    m->groups = calloc(s->n_groups + 1, sizeof *m->groups);
    if (!m->groups)
        return -ENOMEM;
    for (size_t i = 0; i < s->n_groups; i++)
        m->groups[m->n_groups++] = (struct model_amount){
            s->groups[i].overflow ? NULL : s->groups[i].values[0],
            s->groups[i].amount.sum};
    return 0;
}

static void month_metric_free(struct month_metric *m)
{
    ledger_sums_free(m->sums);
    buf_free(&m->names);
    free(m->groups);
}

/* The amount for model in m: the group's, or the total when m is not
 * split by model. */
static num_fixed amount_of(const struct month_metric *m, const char *model)
{
    if (!m->by_model)
        return model ? 0 : m->total;
    for (size_t i = 0; i < m->n_groups; i++) {
        const char *g = m->groups[i].model;
        if ((g == NULL) == (model == NULL) && (!g || strcmp(g, model) == 0))
            return m->groups[i].sum;
    }
    return 0;
}

static int by_spend_desc(const void *a, const void *b)
{
    const struct month_row *x = a, *y = b;
    if (x->spend != y->spend)
        return x->spend > y->spend ? -1 : 1;
    if (!x->model || !y->model)
        return x->model ? -1 : (y->model ? 1 : 0);
    return strcmp(x->model, y->model);
}

static bool row_known(const struct month_row *rows, size_t n, const char *m)
{
    for (size_t i = 0; i < n; i++)
        if ((rows[i].model == NULL) == (m == NULL) &&
            (m == NULL || strcmp(rows[i].model, m) == 0))
            return true;
    return false;
}

/* Every model any metric has, once (NULL: the overflow series, or all
 * series of a metric without the model label), sorted by spend. */
static struct month_row *month_rows(const struct month_metric *mm, size_t n,
                                    const struct month_metric *spend,
                                    size_t *n_rows)
{
    size_t cap = 1;
    for (size_t i = 0; i < n; i++)
        cap += mm[i].n_groups;
    struct month_row *rows = calloc(cap, sizeof *rows);
    size_t k = 0;
    for (size_t i = 0; rows && i < n; i++) {
        if (!mm[i].by_model) {
            if (!row_known(rows, k, NULL) && mm[i].total != 0)
                rows[k++].model = NULL;
            continue;
        }
        for (size_t g = 0; g < mm[i].n_groups; g++) {
            const char *model = mm[i].groups[g].model;
            if (!row_known(rows, k, model))
                rows[k++].model = model;
        }
    }
    /* Without a model label anywhere, the only row is every call's. */
    bool any_by_model = false;
    for (size_t i = 0; i < n; i++)
        any_by_model |= mm[i].by_model;
    for (size_t i = 0; rows && i < k; i++) {
        rows[i].label = rows[i].model  ? rows[i].model
                        : any_by_model ? "(other)"
                                       : "All models";
        if (spend)
            rows[i].spend = amount_of(spend, rows[i].model);
    }
    if (rows)
        qsort(rows, k, sizeof *rows, by_spend_desc);
    *n_rows = k;
    return rows;
}

/* Money rounded by magnitude; a count (tokens, requests) in full with
 * separators; any other amount rounded to three decimals. */
static void put_figure(struct buf *out, num_fixed v, bool money)
{
    if (money)
        humanize_money(out, v);
    else if (v >= 0 && v / NUM_ONE <= (num_fixed)UINT64_MAX && v % NUM_ONE == 0)
        humanize_u64(out, (uint64_t)(v / NUM_ONE));
    else
        humanize_double(out, num_to_double(v), 3);
}

static void put_exact(struct buf *out, num_fixed v, bool money)
{
    char exact[NUM_FMT_MAX];
    num_format(v, exact);
    buf_printf(out, "<td class=\"n\" data-value=\"%s\">", exact);
    put_figure(out, v, money);
    buf_puts(out, "</td>");
}

static const char *model_name(const struct month_row *r)
{
    return r->label;
}

static void month_table(const struct month_metric *mm, size_t n,
                        const struct month_row *rows, size_t n_rows,
                        bool first_is_spend, struct buf *out)
{
    buf_puts(out, "<div class=\"wrap\"><table id=\"usage-month\"><thead><tr>"
                  "<th scope=\"col\">Model</th>");
    for (size_t i = 0; i < n; i++) {
        buf_puts(out, "<th scope=\"col\" class=\"n\">");
        /* A narrow screen may break a metric's name after an underscore. */
        for (const char *p = mm[i].name, *u; *p; p = u + 1) {
            u = strchr(p, '_');
            if (!u) {
                html_puts(out, p);
                break;
            }
            html_text(out, p, (size_t)(u - p) + 1);
            buf_puts(out, "<wbr>");
        }
        buf_puts(out, "</th>");
    }
    buf_puts(out, "</tr></thead><tbody>");
    for (size_t r = 0; r < n_rows; r++) {
        buf_puts(out, "<tr><th scope=\"row\">");
        html_puts(out, model_name(&rows[r]));
        buf_puts(out, "</th>");
        for (size_t i = 0; i < n; i++)
            put_exact(out, amount_of(&mm[i], rows[r].model),
                      first_is_spend && i == 0);
        buf_puts(out, "</tr>");
    }
    buf_puts(out, "</tbody><tfoot><tr><th scope=\"row\">Total</th>");
    for (size_t i = 0; i < n; i++)
        put_exact(out, mm[i].total, first_is_spend && i == 0);
    buf_puts(out, "</tr></tfoot></table></div>");
}

static void month_chart(const struct month_metric *spend,
                        const struct month_row *rows, size_t n_rows,
                        struct buf *out)
{
    struct svg_item *items = calloc(n_rows ? n_rows : 1, sizeof *items);
    struct buf texts = {0};
    size_t *at = calloc(n_rows ? n_rows : 1, sizeof *at);
    if (!items || !at) {
        out->oom = true;
        goto out;
    }
    for (size_t r = 0; r < n_rows; r++) {
        at[r] = texts.len;
        humanize_money(&texts, rows[r].spend);
        buf_putc(&texts, '\0');
    }
    if (texts.oom) {
        out->oom = true;
        goto out;
    }
    for (size_t r = 0; r < n_rows; r++)
        items[r] =
            (struct svg_item){model_name(&rows[r]),
                              num_to_double(rows[r].spend), texts.data + at[r]};
    struct buf title = {0};
    buf_puts(&title, "Spend this month by model (");
    buf_puts(&title, spend->name);
    buf_puts(&title, "); the table above has the figures");
    svg_bar_chart(out, title.oom ? "Spend by model" : title.data, items,
                  n_rows);
    buf_free(&title);
out:
    buf_free(&texts);
    free(items);
    free(at);
}

/* The usage metrics the page shows: the first spend counter, then up to
 * USAGE_MAX_TOKEN_METRICS token counters. Returns how many. */
static size_t pick_metrics(const struct ledger *l, struct month_metric *mm,
                           bool *first_is_spend)
{
    size_t n = 0;
    *first_is_spend = false;
    for (int pass = 0; pass < 2; pass++) {
        for (size_t i = 0; i < ledger_n_metrics(l); i++) {
            struct ledger_metric_info info;
            ledger_metric(l, i, &info);
            if (info.type != METRIC_COUNTER)
                continue;
            bool spend =
                name_has(info.name, "cost") || name_has(info.name, "spend");
            if (pass == 0 ? !spend || *first_is_spend
                          : spend || !name_has(info.name, "token") ||
                                n >= 1 + USAGE_MAX_TOKEN_METRICS)
                continue;
            mm[n] = (struct month_metric){
                .metric = i,
                .name = info.name,
                .by_model = has_label(&info, USAGE_MODEL_LABEL)};
            if (pass == 0)
                *first_is_spend = true;
            n++;
        }
    }
    return n;
}

static const char *const MONTHS[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                     "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};

/* The days of the daily chart and their spend, filled by add_day. */
struct days {
    int64_t first; /* the day number of sums[0] */
    num_fixed sums[STATUS_DAYS];
};

static int add_day(void *ctx, const struct ledger_row *row)
{
    struct days *d = ctx;
    int64_t i = row->day - d->first;
    if (i >= 0 && i < STATUS_DAYS)
        d->sums[i] = num_add_sat(d->sums[i], row->amount.sum);
    return 0;
}

/* One query group of the spend pass. */
struct pass_group {
    bool seen;      /* has a row this month */
    size_t name_at; /* its model's name in the metric's names, + 1; 0: none */
    num_fixed sum;
};

/* One pass over the spend metric's days fills both the month's amounts
 * by model and the last STATUS_DAYS days' totals. */
struct spend_pass {
    struct month_metric *m;
    int64_t month_first, month_end;
    struct days days;
    struct pass_group *groups; /* by the query's group */
    size_t cap;
};

static int spend_row(void *ctx, const struct ledger_row *row)
{
    struct spend_pass *p = ctx;
    add_day(&p->days, row);
    if (row->day < p->month_first || row->day >= p->month_end)
        return 0;
    if (row->group >= p->cap) {
        size_t cap = row->group + 1 > 2 * p->cap ? row->group + 1 : 2 * p->cap;
        struct pass_group *g = realloc(p->groups, cap * sizeof *g);
        if (!g)
            return -ENOMEM;
        memset(g + p->cap, 0, (cap - p->cap) * sizeof *g);
        p->groups = g;
        p->cap = cap;
    }
    struct pass_group *g = &p->groups[row->group];
    if (!g->seen && p->m->by_model && !row->overflow) {
        g->name_at = p->m->names.len + 1;
        buf_puts(&p->m->names, row->values[0]);
        buf_putc(&p->m->names, '\0');
    }
    g->seen = true;
    g->sum = num_add_sat(g->sum, row->amount.sum);
    p->m->total = num_add_sat(p->m->total, row->amount.sum);
    return p->m->names.oom ? -ENOMEM : 0;
}

/* The spend metric's month by model (into m) and its last STATUS_DAYS
 * days (into days), in one ledger query. */
static int spend_sums(struct ledger *l, const struct period_span *month,
                      int64_t today, struct month_metric *m, struct days *days)
{
    static const char *const by[] = {USAGE_MODEL_LABEL};
    struct spend_pass p = {.m = m,
                           .month_first = month->first_day,
                           .month_end = month->end_day,
                           .days = {.first = today - (STATUS_DAYS - 1)}};
    struct ledger_query q = {
        .metric = m->metric,
        .grain = LEDGER_DAYS,
        .from =
            p.days.first < month->first_day ? p.days.first : month->first_day,
        .to = today + 1 > month->end_day ? today + 1 : month->end_day,
        .by = m->by_model ? by : NULL,
        .n_by = m->by_model ? 1 : 0,
    };
    int rc = ledger_sum_periods(l, &q, spend_row, &p);
    if (rc == 0 && !(m->groups = calloc(p.cap + 1, sizeof *m->groups)))
        rc = -ENOMEM;
    for (size_t i = 0; rc == 0 && i < p.cap; i++)
        if (p.groups[i].seen)
            m->groups[m->n_groups++] = (struct model_amount){
                p.groups[i].name_at ? m->names.data + p.groups[i].name_at - 1
                                    : NULL,
                p.groups[i].sum};
    *days = p.days;
    free(p.groups);
    return rc;
}

/* Spend per day over the last STATUS_DAYS days, today last: the chart's
 * axis reads "Nov 30", the table the full date. */
static void daily_chart(const struct days *days, struct buf *out)
{
    struct svg_item items[STATUS_DAYS];
    char dates[STATUS_DAYS][32], labels[STATUS_DAYS][16],
        texts[STATUS_DAYS][NUM_FMT_MAX + 8];
    const num_fixed *sums = days->sums;
    for (int i = 0; i < STATUS_DAYS; i++) {
        int64_t day = days->first + i;
        int64_t y;
        int m, d;
        civil_date(day, &y, &m, &d);
        snprintf(dates[i], sizeof dates[i], "%04d-%02d-%02d", (int)y, m, d);
        snprintf(labels[i], sizeof labels[i], "%s %d", MONTHS[m - 1], d);
        struct buf t = {0};
        humanize_money(&t, sums[i]);
        snprintf(texts[i], sizeof texts[i], "%s", t.oom ? "?" : t.data);
        buf_free(&t);
        items[i] =
            (struct svg_item){labels[i], num_to_double(sums[i]), texts[i]};
    }
    buf_puts(out, "<h3>Spend per day, last 30 days</h3>");
    svg_column_chart(out,
                     "Spend per day over the last 30 days; the table "
                     "below has the figures",
                     items, STATUS_DAYS, 7);
    buf_puts(out, "<details><summary>Figures per day</summary>"
                  "<table id=\"usage-daily\"><thead><tr>"
                  "<th scope=\"col\">Day</th><th scope=\"col\" class=\"n\">"
                  "Spend</th></tr></thead><tbody>");
    for (int i = STATUS_DAYS - 1; i >= 0; i--) {
        buf_printf(out, "<tr><th scope=\"row\">%s</th>", dates[i]);
        put_exact(out, sums[i], true);
        buf_puts(out, "</tr>");
    }
    buf_puts(out, "</tbody></table></details>");
}

static void usage_section(const struct status_sources *src, struct buf *out,
                          int *rc)
{
    buf_puts(out, "<section id=\"usage\"><h2>This month by model</h2>");
    if (!src->ledger) {
        buf_puts(out, "<p class=\"none\">No usage section is configured: "
                      "spend and tokens are not kept.</p></section>");
        return;
    }
    struct month_metric mm[1 + USAGE_MAX_TOKEN_METRICS + 1];
    bool has_spend;
    size_t n = pick_metrics(src->ledger, mm, &has_spend);
    if (n == 0) {
        buf_puts(out, "<p class=\"none\">No usage counter is named for cost, "
                      "spend or tokens.</p></section>");
        return;
    }
    struct period_span month;
    struct period_place today;
    period_of(ledger_zone(src->ledger), PERIOD_MONTH, src->now, &month);
    period_place(ledger_zone(src->ledger), src->now, &today);
    struct days days;
    int err = has_spend
                  ? spend_sums(src->ledger, &month, today.day, &mm[0], &days)
                  : 0;
    for (size_t i = has_spend ? 1 : 0; i < n && err == 0; i++)
        err = month_sum(src->ledger, &month, &mm[i]);
    if (err == 0) {
        size_t n_rows = 0;
        struct month_row *rows =
            month_rows(mm, n, has_spend ? &mm[0] : NULL, &n_rows);
        if (!rows) {
            err = -ENOMEM;
        } else if (n_rows == 0) {
            buf_puts(out, "<p class=\"none\">Nothing used this month yet.</p>");
        } else {
            month_table(mm, n, rows, n_rows, has_spend, out);
            if (has_spend)
                month_chart(&mm[0], rows, n_rows, out);
        }
        free(rows);
        if (err == 0 && has_spend)
            daily_chart(&days, out);
    }
    for (size_t i = 0; i < n; i++)
        month_metric_free(&mm[i]);
    if (err != 0) {
        buf_puts(out, "<p class=\"bad\">The usage ledger could not be read; "
                      "the log says why.</p>");
        *rc = err;
    }
    buf_puts(out, "</section>");
}

int status_cache_new(struct status_cache **out)
{
    *out = calloc(1, sizeof **out);
    return *out ? 0 : -ENOMEM;
}

void status_cache_free(struct status_cache *c)
{
    if (!c)
        return;
    buf_free(&c->html);
    free(c->samples);
    free(c);
}

void status_cache_forget(struct status_cache *c)
{
    if (c) {
        c->ledger = NULL;
        c->sampled_ms = 0; /* a new core counts from zero */
    }
}

static uint64_t heard_all(const struct ledger *l)
{
    uint64_t n = 0;
    for (size_t i = 0; i < ledger_n_metrics(l); i++)
        n += ledger_heard(l, i);
    return n;
}

void status_usage_write(const struct status_sources *src, struct buf *out,
                        int *rc)
{
    struct status_cache *c = src->cache;
    if (!c || !src->ledger) {
        usage_section(src, out, rc);
        return;
    }
    struct period_place today;
    period_place(ledger_zone(src->ledger), src->now, &today);
    uint64_t heard = heard_all(src->ledger);
    bool fresh =
        c->ledger == src->ledger && c->day == today.day && !c->html.oom &&
        src->now >= c->made_at &&
        src->now - c->made_at < (c->heard == heard ? STATUS_USAGE_IDLE_AGE_S
                                                   : STATUS_USAGE_MAX_AGE_S);
    if (!fresh) {
        int err = 0;
        buf_reset(&c->html);
        usage_section(src, &c->html, &err);
        c->ledger = err == 0 && !c->html.oom ? src->ledger : NULL;
        c->day = today.day;
        c->heard = heard;
        c->made_at = src->now;
        if (err != 0) {
            *rc = err;
            buf_append(out, c->html.data, c->html.len);
            return;
        }
    }
    if (c->html.oom)
        out->oom = true;
    else
        buf_append(out, c->html.data, c->html.len);
}

static void put_budget(const struct budgets *b, size_t i, struct buf *out)
{
    const struct cfg_budget *def = budgets_def(b, i);
    const struct budget_figures *f = budgets_figures(b, i);
    const char *status = budget_status_name(f->status);
    const char *metric = budgets_metric(b, i);
    bool money = name_has(metric, "cost") || name_has(metric, "spend");
    buf_puts(out, "<tr><th scope=\"row\">");
    html_puts(out, def->name);
    buf_printf(out, "</th><td>%s</td>", period_kind_name(def->period));
    put_exact(out, f->used, money);
    if (f->limited) {
        put_exact(out, f->limit, money);
        put_exact(out, f->remaining, money);
    } else {
        buf_puts(out, "<td class=\"n\">unlimited</td><td class=\"n\"></td>");
    }
    put_exact(out, f->projected, money);
    buf_printf(out, "<td class=\"%s\">%s</td><td>", status, status);
    if (f->limited) {
        struct svg_progress p = {
            .used = num_to_double(f->used),
            .warn = def->n_warn > 0 ? num_to_double(def->warn_at[0]) *
                                          num_to_double(f->limit)
                                    : 0,
            .limit = num_to_double(f->limit),
            .projected = num_to_double(f->projected),
        };
        struct buf title = {0};
        buf_puts(&title, "Budget ");
        buf_puts(&title, def->name);
        buf_puts(&title, ": used ");
        put_figure(&title, f->used, money);
        buf_puts(&title, " of ");
        put_figure(&title, f->limit, money);
        buf_puts(&title, ", projected ");
        put_figure(&title, f->projected, money);
        svg_progress_bar(out, title.oom ? "Budget" : title.data, &p);
        buf_free(&title);
    }
    buf_puts(out, "</td></tr>");
}

void status_budgets_write(const struct status_sources *src, struct buf *out,
                          int *rc)
{
    buf_puts(out, "<section id=\"budgets\"><h2>Budgets</h2>");
    if (!src->budgets || budgets_count(src->budgets) == 0) {
        buf_puts(out, "<p class=\"none\">No budgets are configured.</p>"
                      "</section>");
        return;
    }
    int err = budgets_eval(src->budgets, src->now);
    if (err != 0) {
        buf_puts(out, "<p class=\"bad\">Some budgets could not be brought up "
                      "to date; their last figures are shown.</p>");
        *rc = err;
    }
    buf_puts(out, "<div class=\"wrap\"><table id=\"budgets-table\"><thead><tr>"
                  "<th scope=\"col\">Budget</th><th scope=\"col\">Period</th>"
                  "<th scope=\"col\" class=\"n\">Used</th>"
                  "<th scope=\"col\" class=\"n\">Limit</th>"
                  "<th scope=\"col\" class=\"n\">Remaining</th>"
                  "<th scope=\"col\" class=\"n\">Projected</th>"
                  "<th scope=\"col\">Status</th>"
                  "<th scope=\"col\">Progress</th></tr></thead><tbody>");
    for (size_t i = 0; i < budgets_count(src->budgets); i++)
        put_budget(src->budgets, i, out);
    buf_puts(out, "</tbody></table></div></section>");
}
