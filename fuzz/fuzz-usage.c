/*
 * Usage report parameters (usage_query.h), as a URL's query brings them.
 * The input's first byte chooses the report (summary or export), the
 * rest is split at '&' into parameters and at the first '=' of each into
 * name and value, as the HTTP server does. Against a ledger of three
 * usage metrics in Asia/Kolkata holding a few lines:
 *   - a refusal has a reason: one line of text, without a newline;
 *   - an accepted request's span is at least a day and ends after it
 *     starts; its metrics are the ledger's, an export's exactly one;
 *   - its answer is computed and written in every format without
 *     failing, a JSON answer ending in a newline.
 */
#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "harness.h"
#include "ledger.h"
#include "pipeline.h"
#include "state.h"
#include "usage_query.h"
#include "usage_render.h"

#define MAX_PARAMS 32
#define NOW        1709294400 /* 2024-03-01T12:00:00Z */

static const char yaml[] =
    "inputs: [{name: app, paths: [/dev/null], time: ts}]\n"
    "metrics:\n"
    "  - {name: cost_total, type: counter, value: c, labels: {model: m, "
    "user: u}, max_series: 3}\n"
    "  - {name: latency_seconds, type: histogram, value: d, buckets: [1], "
    "labels: {model: m}}\n"
    "  - {name: requests_total, type: counter}\n"
    "usage:\n"
    "  metrics: [cost_total, latency_seconds, requests_total]\n"
    "  timezone: Asia/Kolkata\n";

static const char *const lines[] = {
    "{\"ts\":\"2024-02-29T10:00:00Z\",\"m\":\"a\",\"u\":\"x\",\"c\":0.1,"
    "\"d\":0.5}",
    "{\"ts\":\"2024-03-01T11:00:00Z\",\"m\":\"b,\\\"\",\"u\":\"y\",\"c\":2}",
    "{\"ts\":\"2024-01-01T00:00:00Z\",\"m\":\"c\",\"u\":\"z\",\"c\":3}",
    "{\"ts\":\"2024-03-01T11:30:00Z\",\"m\":\"d\",\"u\":\"w\",\"c\":4,"
    "\"d\":1}",
};

static struct ledger *ledger;

static void setup(void)
{
    static struct config *cfg;
    static struct registry *reg;
    static struct pipeline *pipe;
    static struct state *st;
    struct buf errors = {0};
    if (config_load_text("usage.yaml", yaml, strlen(yaml), &cfg, &errors) ||
        registry_new(&reg) || pipeline_new(cfg, reg, &pipe) ||
        ledger_new(cfg, &ledger) || state_open("", &st) ||
        ledger_attach(ledger, st) || state_restore(st))
        abort();
    for (size_t i = 0; i < ledger_n_metrics(ledger); i++) {
        struct ledger_metric_info m;
        ledger_metric(ledger, i, &m);
        if (pipeline_observe(pipe, m.name, ledger_observe, ledger, i) != 0)
            abort();
    }
    for (size_t i = 0; i < sizeof(lines) / sizeof(*lines); i++)
        pipeline_line(pipe, 0, lines[i], strlen(lines[i]));
    buf_free(&errors);
}

static size_t split(char *s, struct usage_param *p)
{
    size_t n = 0;
    for (char *next; s != NULL && n < MAX_PARAMS; s = next) {
        next = strchr(s, '&');
        if (next != NULL)
            *next++ = '\0';
        char *eq = strchr(s, '=');
        if (eq != NULL)
            *eq = '\0';
        p[n++] = (struct usage_param){s, eq ? eq + 1 : ""};
    }
    return n;
}

static void answer(const struct usage_request *r)
{
    for (int f = USAGE_FORMAT_JSON; f <= USAGE_FORMAT_TABLE; f++) {
        struct buf out = {0};
        if (r->kind == USAGE_SUMMARY) {
            struct usage_summary *s;
            if (usage_summarize(ledger, r, &s) != 0)
                abort();
            usage_render_summary(s, (enum usage_format)f, &out);
            usage_summary_free(s);
        } else {
            struct usage_writer w;
            struct ledger_metric_info m;
            ledger_metric(ledger, r->metrics[0], &m);
            if (usage_writer_begin(&w, (enum usage_format)f,
                                   ledger_zone(ledger), &m, &out) != 0 ||
                usage_export(ledger, r, usage_writer_row, &w) != 0)
                abort();
            usage_writer_end(&w);
        }
        if (out.oom ||
            (f == USAGE_FORMAT_JSON && out.data[out.len - 1] != '\n'))
            abort();
        buf_free(&out);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct usage_param p[MAX_PARAMS];
    struct usage_request r;
    struct buf why = {0};
    if (ledger == NULL)
        setup();
    if (size == 0)
        return 0;
    char *text = malloc(size);
    if (text == NULL)
        return 0;
    memcpy(text, data + 1, size - 1);
    text[size - 1] = '\0';
    enum usage_kind kind = data[0] & 1 ? USAGE_EXPORT : USAGE_SUMMARY;
    size_t n = size > 1 ? split(text, p) : 0;
    int rc = usage_parse(ledger, kind, p, n, NOW, &r, &why);
    if (rc == -EINVAL) {
        if (why.oom || why.len == 0 || memchr(why.data, '\n', why.len))
            abort();
    } else if (rc == 0) {
        if (r.span.end_day <= r.span.first_day || r.n_metrics == 0 ||
            (kind == USAGE_EXPORT && r.n_metrics != 1))
            abort();
        for (size_t i = 0; i < r.n_metrics; i++)
            if (r.metrics[i] >= ledger_n_metrics(ledger))
                abort();
        answer(&r);
    }
    usage_request_free(&r);
    buf_free(&why);
    free(text);
    return 0;
}
