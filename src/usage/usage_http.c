/*
 * The usage reports over HTTP: parameters in, a report or an error out.
 */
#include "usage_http.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
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

/* Parses the parameters into r; false after an error reply. */
static bool parse(struct ledger *l, enum usage_kind kind,
                  const struct params *ps, bool too_many,
                  struct http_reply *rep, struct usage_request *r)
{
    struct buf why = {0};
    if (l == NULL) {
        error_reply(rep, 404, "Not Found",
                    "no usage is kept: the configuration has no usage "
                    "section");
        return false;
    }
    int rc = too_many ? -E2BIG
                      : usage_parse(l, kind, ps->p, ps->n, time(NULL), r, &why);
    if (rc == -EINVAL || rc == -E2BIG)
        error_reply(rep, 400, "Bad Request",
                    rc == -E2BIG ? "too many parameters"
                    : why.oom    ? "bad parameter"
                                 : why.data);
    else if (rc != 0)
        failed(rep, rc);
    buf_free(&why);
    /* A parsed request has a metric at least. */
    return rc == 0 && r->metrics != NULL && r->n_metrics > 0;
}

static void on_summary(void *ctx, const struct http_request *req,
                       struct http_reply *rep)
{
    struct ledger *l = ctx;
    struct usage_request r = {.metrics = NULL};
    struct usage_summary *s = NULL;
    struct params ps = {.n = 0};
    if (l != NULL)
        http_request_each_query(req, collect, &ps);
    if (parse(l, USAGE_SUMMARY, &ps, ps.too_many, rep, &r)) {
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

/*
 * An export on its way: its own copy of the parameters (the request's
 * go when the handler returns), the request parsed from them, and the
 * next day to write. It is written a day at a time as the client reads,
 * so memory holds one day's rows, however long the span.
 */
struct export
{
    struct ledger *l;
    struct params ps;
    struct buf text; /* each key and value, NUL-ended */
    struct usage_request r;
    struct usage_writer w;
    int64_t day;
    bool begun;
};

static void export_free(void *ctx)
{
    struct export *e = ctx;
    usage_writer_free(&e->w);
    usage_request_free(&e->r);
    buf_free(&e->text);
    free(e);
}

static int export_next(void *ctx, struct buf *out)
{
    struct export *e = ctx;
    struct ledger_metric_info m;
    if (!e->begun) {
        e->begun = true;
        ledger_metric(e->l, e->r.metrics[0], &m);
        return usage_writer_begin(&e->w, e->r.format, ledger_zone(e->l), &m,
                                  out) == 0
                   ? 1
                   : -1;
    }
    usage_writer_to(&e->w, out);
    if (e->day == e->r.span.end_day) {
        usage_writer_end(&e->w);
        return 0;
    }
    e->day++;
    return usage_export_days(e->l, &e->r, e->day - 1, e->day, usage_writer_row,
                             &e->w) == 0
               ? 1
               : -1;
}

/* Copies the parameters into e, which must outlive what points to them. */
static bool export_params(struct export *e, const struct params *ps)
{
    for (size_t i = 0; i < ps->n; i++) {
        buf_append(&e->text, ps->p[i].key, strlen(ps->p[i].key) + 1);
        buf_append(&e->text, ps->p[i].value, strlen(ps->p[i].value) + 1);
    }
    if (e->text.oom)
        return false;
    const char *at = e->text.data;
    for (size_t i = 0; i < ps->n; i++) {
        e->ps.p[i].key = at;
        at += strlen(at) + 1;
        e->ps.p[i].value = at;
        at += strlen(at) + 1;
    }
    e->ps.n = ps->n;
    return true;
}

static void on_export(void *ctx, const struct http_request *req,
                      struct http_reply *rep)
{
    struct ledger *l = ctx;
    struct params ps = {.n = 0};
    struct export *e = calloc(1, sizeof(*e));
    if (e == NULL) {
        failed(rep, -ENOMEM);
        return;
    }
    e->l = l;
    if (l != NULL) {
        http_request_each_query(req, collect, &ps);
        ps.too_many |= !export_params(e, &ps);
    }
    if (parse(l, USAGE_EXPORT, &e->ps, ps.too_many, rep, &e->r)) {
        e->day = e->r.span.first_day;
        rep->content_type =
            e->r.format == USAGE_FORMAT_CSV ? CSV_TYPE : JSON_TYPE;
        attachment(l, &e->r, rep);
        rep->stream = (struct http_stream){export_next, export_free, e};
        return;
    }
    export_free(e);
}

int usage_http_routes(struct http *s, struct ledger *l)
{
    int rc = http_route(s, "/api/v1/usage", on_summary, l);
    return rc == 0 ? http_route(s, "/api/v1/usage/export", on_export, l) : rc;
}
