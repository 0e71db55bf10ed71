/*
 * The usage reports over HTTP: parameters in, a report or an error out.
 */
#include "usage_http.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "civil.h"
#include "usage_query.h"
#include "usage_render.h"

#define JSON_TYPE "application/json"
#define CSV_TYPE  "text/csv; charset=utf-8"

struct params {
    struct usage_param p[USAGE_HTTP_MAX_PARAMS];
    size_t n;
    bool too_many;
};

static void collect(void *ctx, const char *key, const char *value)
{
    struct params *ps = ctx;
    if (ps->n == USAGE_HTTP_MAX_PARAMS)
        ps->too_many = true;
    else
        ps->p[ps->n++] = (struct usage_param){key, value};
}

static void error_reply(struct http_reply *rep, unsigned status,
                        const char *error, const char *detail)
{
    buf_reset(&rep->body);
    rep->status = status;
    rep->content_type = JSON_TYPE;
    rep->attachment[0] = '\0';
    buf_puts(&rep->body, "{\"error\":");
    buf_json_string(&rep->body, error, strlen(error));
    buf_puts(&rep->body, ",\"detail\":");
    buf_json_string(&rep->body, detail, strlen(detail));
    buf_puts(&rep->body, "}\n");
}

static void failed(struct http_reply *rep, int rc)
{
    error_reply(rep, 500, "Internal Server Error",
                rc == -ENOMEM ? "out of memory"
                              : "the usage ledger could not be read (the log "
                                "says why)");
}

/* Parses the request's parameters into r; false after an error reply. */
static bool parse(struct ledger *l, enum usage_kind kind,
                  const struct http_request *req, struct http_reply *rep,
                  struct usage_request *r)
{
    struct params ps = {.n = 0};
    struct buf why = {0};
    if (l == NULL) {
        error_reply(rep, 404, "Not Found",
                    "no usage is kept: the configuration has no usage "
                    "section");
        return false;
    }
    http_request_each_query(req, collect, &ps);
    int rc = ps.too_many
                 ? -E2BIG
                 : usage_parse(l, kind, ps.p, ps.n, time(NULL), r, &why);
    if (rc == -EINVAL || rc == -E2BIG)
        error_reply(rep, 400, "Bad Request",
                    rc == -E2BIG ? "too many parameters"
                    : why.oom    ? "bad parameter"
                                 : why.data);
    else if (rc != 0)
        failed(rep, rc);
    buf_free(&why);
    return rc == 0;
}

static void on_summary(void *ctx, const struct http_request *req,
                       struct http_reply *rep)
{
    struct ledger *l = ctx;
    struct usage_request r = {.metrics = NULL};
    struct usage_summary *s = NULL;
    if (parse(l, USAGE_SUMMARY, req, rep, &r)) {
        int rc = usage_summarize(l, &r, &s);
        if (rc == 0) {
            rep->content_type = JSON_TYPE;
            usage_render_summary(s, USAGE_FORMAT_JSON, &rep->body);
        } else {
            failed(rep, rc);
        }
    }
    usage_summary_free(s);
    usage_request_free(&r);
}

/* "llm_cost_usd_total_2025-11-01_2025-11-30_day.csv" */
static void attachment(struct ledger *l, const struct usage_request *r,
                       struct http_reply *rep)
{
    struct ledger_metric_info m;
    int64_t y[2];
    int mo[2], d[2];
    ledger_metric(l, r->metrics[0], &m);
    civil_date(r->span.first_day, &y[0], &mo[0], &d[0]);
    civil_date(r->span.end_day - 1, &y[1], &mo[1], &d[1]);
    snprintf(rep->attachment, sizeof(rep->attachment),
             "%.64s_%04d-%02d-%02d_%04d-%02d-%02d_%.4s.%.4s", m.name,
             (int)(y[0] % 10000), mo[0] % 100, d[0] % 100, (int)(y[1] % 10000),
             mo[1] % 100, d[1] % 100, ledger_grain_name(r->grain),
             usage_format_name(r->format));
}

static void on_export(void *ctx, const struct http_request *req,
                      struct http_reply *rep)
{
    struct ledger *l = ctx;
    struct usage_request r = {.metrics = NULL};
    struct usage_writer w;
    struct ledger_metric_info m;
    if (parse(l, USAGE_EXPORT, req, rep, &r)) {
        bool csv = r.format == USAGE_FORMAT_CSV;
        ledger_metric(l, r.metrics[0], &m);
        int rc =
            usage_writer_begin(&w, r.format, ledger_zone(l), &m, &rep->body);
        if (rc == 0)
            rc = usage_export(l, &r, usage_writer_row, &w);
        if (rc == 0) {
            usage_writer_end(&w);
            rep->content_type = csv ? CSV_TYPE : JSON_TYPE;
            attachment(l, &r, rep);
        } else {
            usage_writer_free(&w);
            failed(rep, rc);
        }
    }
    usage_request_free(&r);
}

int usage_http_routes(struct http *s, struct ledger *l)
{
    int rc = http_route(s, "/api/v1/usage", on_summary, l);
    return rc == 0 ? http_route(s, "/api/v1/usage/export", on_export, l) : rc;
}
