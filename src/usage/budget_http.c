/*
 * Writing the budgets' figures: JSON for GET /api/v1/budgets and the
 * offline report, a table for a terminal.
 */
#include "budget_http.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "timefmt.h"

#define JSON_TYPE "application/json"

static void put_num(struct buf *out, num_fixed v)
{
    char s[NUM_FMT_MAX];
    buf_append(out, s, num_format(v, s));
}

/* A limited figure, or null. */
static void put_opt(struct buf *out, bool has, num_fixed v)
{
    if (has)
        put_num(out, v);
    else
        buf_puts(out, "null");
}

static void put_time(struct buf *out, const struct tz *z, int64_t t)
{
    char s[TIMEFMT_RFC3339_MAX];
    size_t n = timefmt_rfc3339((num_fixed)t * NUM_ONE, tz_offset(z, t), s);
    buf_putc(out, '"');
    if (n > 0)
        buf_append(out, s, n);
    buf_putc(out, '"');
}

static void put_match(struct buf *out, const struct cfg_budget *d)
{
    buf_putc(out, '{');
    for (size_t k = 0; k < d->n_match; k++) {
        if (k > 0)
            buf_putc(out, ',');
        buf_json_key(out, d->match[k].label);
        buf_json_string(out, d->match[k].value, strlen(d->match[k].value));
    }
    buf_putc(out, '}');
}

static void put_budget(const struct budgets *b, size_t i, struct buf *out)
{
    const char *metric = budgets_metric(b, i);
    const struct cfg_budget *d = budgets_def(b, i);
    const struct budget_figures *f = budgets_figures(b, i);
    const struct tz *z = budgets_zone(b);
    buf_putc(out, '{');
    buf_json_key(out, "name");
    buf_json_string(out, d->name, strlen(d->name));
    buf_putc(out, ',');
    buf_json_key(out, "metric");
    buf_json_string(out, metric, strlen(metric));
    buf_puts(out, ",\"match\":");
    put_match(out, d);
    buf_puts(out, ",\"period\":{\"kind\":\"");
    buf_puts(out, period_kind_name(d->period));
    buf_puts(out, "\",\"start\":");
    put_time(out, z, f->span.start);
    buf_puts(out, ",\"end\":");
    put_time(out, z, f->span.end);
    buf_puts(out, "},\"limit\":");
    put_opt(out, f->limited, f->limit);
    buf_puts(out, ",\"used\":");
    put_num(out, f->used);
    buf_puts(out, ",\"remaining\":");
    put_opt(out, f->limited, f->remaining);
    buf_puts(out, ",\"utilization\":");
    put_opt(out, f->limited, f->utilization);
    buf_puts(out, ",\"projected\":");
    put_num(out, f->projected);
    buf_puts(out, ",\"status\":\"");
    buf_puts(out, budget_status_name(f->status));
    buf_puts(out, "\"}");
}

/* The instant of the figures: the same for every budget. */
static int64_t evaluated_at(const struct budgets *b)
{
    return budgets_count(b) > 0 ? budgets_figures(b, 0)->at : 0;
}

void budget_write_json(const struct budgets *b, struct buf *out)
{
    const char *zone = tz_name(budgets_zone(b));
    buf_puts(out, "{\"timezone\":");
    buf_json_string(out, zone, strlen(zone));
    buf_puts(out, ",\"evaluated_at\":");
    put_time(out, budgets_zone(b), evaluated_at(b));
    buf_puts(out, ",\"budgets\":[");
    for (size_t i = 0; i < budgets_count(b); i++) {
        if (i > 0)
            buf_putc(out, ',');
        put_budget(b, i, out);
    }
    buf_puts(out, "]}\n");
}

/* A figure for the table: the number, or "-" when it has none. */
static const char *cell(bool has, num_fixed v, char *s)
{
    if (!has)
        return "-";
    num_format(v, s);
    return s;
}

void budget_write_table(const struct budgets *b, struct buf *out)
{
    char lim[NUM_FMT_MAX], used[NUM_FMT_MAX], rem[NUM_FMT_MAX];
    char util[NUM_FMT_MAX], proj[NUM_FMT_MAX], end[TIMEFMT_RFC3339_MAX];
    const struct tz *z = budgets_zone(b);
    buf_printf(out, "%-20s %-6s %-25s %14s %14s %14s %14s %14s %s\n", "BUDGET",
               "PERIOD", "ENDS", "LIMIT", "USED", "REMAINING", "UTILIZATION",
               "PROJECTED", "STATUS");
    for (size_t i = 0; i < budgets_count(b); i++) {
        const struct budget_figures *f = budgets_figures(b, i);
        const struct cfg_budget *d = budgets_def(b, i);
        int64_t e = f->span.end;
        if (timefmt_rfc3339((num_fixed)e * NUM_ONE, tz_offset(z, e), end) == 0)
            snprintf(end, sizeof(end), "%lld", (long long)e);
        buf_printf(
            out, "%-20s %-6s %-25s %14s %14s %14s %14s %14s %s\n", d->name,
            period_kind_name(d->period), end, cell(f->limited, f->limit, lim),
            cell(true, f->used, used), cell(f->limited, f->remaining, rem),
            cell(f->limited, f->utilization, util),
            cell(true, f->projected, proj), budget_status_name(f->status));
    }
}

/* A CSV field, quoted when it holds a comma, a quote or a line break. */
static void csv_field(struct buf *out, const char *s)
{
    if (strpbrk(s, ",\"\r\n") == NULL) {
        buf_puts(out, s);
        return;
    }
    buf_putc(out, '"');
    for (; *s; s++) {
        if (*s == '"')
            buf_putc(out, '"');
        buf_putc(out, *s);
    }
    buf_putc(out, '"');
}

static void csv_time(struct buf *out, const struct tz *z, int64_t t)
{
    char s[TIMEFMT_RFC3339_MAX];
    if (timefmt_rfc3339((num_fixed)t * NUM_ONE, tz_offset(z, t), s) > 0)
        buf_puts(out, s);
}

/* A figure of the CSV, then a comma: empty when it has none. */
static void csv_num(struct buf *out, bool has, num_fixed v)
{
    if (has)
        put_num(out, v);
    buf_putc(out, ',');
}

void budget_write_csv(const struct budgets *b, struct buf *out)
{
    struct buf match = {0};
    buf_puts(out, "budget,metric,match,period,start,end,limit,used,remaining,"
                  "utilization,projected,status\r\n");
    for (size_t i = 0; i < budgets_count(b); i++) {
        const struct cfg_budget *d = budgets_def(b, i);
        const struct budget_figures *f = budgets_figures(b, i);
        buf_reset(&match);
        for (size_t k = 0; k < d->n_match; k++)
            buf_printf(&match, "%s%s=%s", k > 0 ? ";" : "", d->match[k].label,
                       d->match[k].value);
        csv_field(out, d->name);
        buf_putc(out, ',');
        csv_field(out, budgets_metric(b, i));
        buf_putc(out, ',');
        csv_field(out, match.data != NULL ? match.data : "");
        buf_printf(out, ",%s,", period_kind_name(d->period));
        csv_time(out, budgets_zone(b), f->span.start);
        buf_putc(out, ',');
        csv_time(out, budgets_zone(b), f->span.end);
        buf_putc(out, ',');
        csv_num(out, f->limited, f->limit);
        csv_num(out, true, f->used);
        csv_num(out, f->limited, f->remaining);
        csv_num(out, f->limited, f->utilization);
        csv_num(out, true, f->projected);
        buf_printf(out, "%s\r\n", budget_status_name(f->status));
    }
    buf_free(&match);
}

static void json_error(struct http_reply *rep, unsigned status,
                       const char *error, const char *detail)
{
    rep->status = status;
    rep->content_type = JSON_TYPE;
    buf_puts(&rep->body, "{\"error\":");
    buf_json_string(&rep->body, error, strlen(error));
    buf_puts(&rep->body, ",\"detail\":");
    buf_json_string(&rep->body, detail, strlen(detail));
    buf_puts(&rep->body, "}\n");
}

void budget_http_get(void *ctx, const struct http_request *req,
                     struct http_reply *rep)
{
    struct budgets *b = ctx;
    (void)req;
    if (b == NULL || budgets_count(b) == 0) {
        json_error(rep, 404, "Not Found",
                   "no budgets are configured: add a \"budgets\" list to "
                   "the configuration");
        return;
    }
    if (budgets_eval(b, budgets_wall_clock()) != 0) {
        json_error(rep, 500, "Internal Server Error",
                   "the usage ledger could not be read; the log says why");
        return;
    }
    rep->content_type = JSON_TYPE;
    budget_write_json(b, &rep->body);
}

int budget_report_ledger(const struct config *cfg, struct ledger *l,
                         int64_t now, enum budget_format f, struct buf *out)
{
    struct budgets *b = NULL;
    if (cfg->n_budgets == 0)
        return -ENOENT;
    int rc = budgets_new(cfg, l, &b);
    if (rc == 0)
        rc = budgets_eval(b, now);
    if (rc == 0 && f == BUDGET_JSON)
        budget_write_json(b, out);
    else if (rc == 0 && f == BUDGET_CSV)
        budget_write_csv(b, out);
    else if (rc == 0)
        budget_write_table(b, out);
    budgets_free(b);
    return rc;
}

int budget_report(const struct config *cfg, const char *path, int64_t now,
                  enum budget_format f, struct buf *out)
{
    struct ledger *l = NULL;
    if (cfg->n_budgets == 0)
        return -ENOENT;
    int rc = ledger_open(cfg, path, &l);
    if (rc == 0)
        rc = budget_report_ledger(cfg, l, now, f, out);
    ledger_free(l);
    return rc;
}
