/*
 * The usage ledger in unit tests: a configuration with a usage section, its
 * registry, pipeline and ledger wired as the daemon wires them, a state
 * file or none; lines fed with their times; and the ledger's rows written
 * as text ("day start end values sum/count") to compare with what Python's
 * zoneinfo and Decimal computed from the same lines.
 */
#ifndef TOKENTAIL_TEST_LEDGER_HELPERS_H
#define TOKENTAIL_TEST_LEDGER_HELPERS_H

#include <stdio.h>
#include <string.h>

#include "helpers.h"
#include "ledger.h"
#include "pipeline.h"
#include "registry_store.h"
#include "state.h"

/* Two usage metrics of lines {"ts", "m", "n", "d"}, in zone ZONE, with
 * days and hours kept a century. */
#define LEDGER_YAML(zone, extra)                                               \
    "inputs: [{name: app, paths: [/dev/null], time: ts}]\n"                    \
    "metrics:\n"                                                               \
    "  - {name: tokens_total, type: counter, value: n, labels: {model: m},"    \
    " max_series: 3}\n"                                                        \
    "  - {name: latency_seconds, type: histogram, value: d, buckets: [1],"     \
    " labels: {model: m}}\n"                                                   \
    "usage:\n"                                                                 \
    "  metrics: [tokens_total, latency_seconds]\n"                             \
    "  timezone: " zone "\n" extra

#define LEDGER_KEEP_ALL "  retention: 36600d\n  hourly_retention: 36600d\n"

struct lfix {
    struct config *cfg;
    struct registry *reg;
    struct pipeline *p;
    struct ledger *l;
    struct state *s;
};

/* Builds everything for yaml, the state at path ("" for none), the
 * ledger attached, before the state restores. */
static inline void lfix_build(struct lfix *f, const char *yaml,
                              const char *path)
{
    f->cfg = config_or_fail(yaml);
    assert_int_equal(registry_new(&f->reg), 0);
    assert_int_equal(pipeline_new(f->cfg, f->reg, &f->p), 0);
    assert_int_equal(ledger_new(f->cfg, &f->l), 0);
    for (size_t i = 0; i < ledger_n_metrics(f->l); i++) {
        struct ledger_metric_info m;
        ledger_metric(f->l, i, &m);
        assert_int_equal(
            pipeline_observe(f->p, m.name, ledger_observe, f->l, i), 0);
    }
    assert_int_equal(state_open(path, &f->s), 0);
    assert_int_equal(registry_store_join(f->s, f->reg, 0), 0);
    assert_int_equal(ledger_attach(f->l, f->s), 0);
}

/* Builds everything for yaml, the state at path ("" for none). */
static inline void lfix_open(struct lfix *f, const char *yaml, const char *path)
{
    lfix_build(f, yaml, path);
    assert_int_equal(state_restore(f->s), 0);
}

/* Frees all but the state, already closed. */
static inline void lfix_close_rest(struct lfix *f)
{
    ledger_free(f->l);
    pipeline_free(f->p);
    registry_free(f->reg);
    config_free(f->cfg);
}

/* Closes it all without a checkpoint: as a kill -9 would. */
static inline void lfix_close(struct lfix *f)
{
    state_close(f->s);
    lfix_close_rest(f);
}

/* One line: its time (RFC 3339), model, tokens and, unless NULL, latency. */
static inline void lfix_line(struct lfix *f, const char *ts, const char *m,
                             const char *n, const char *d)
{
    char line[256];
    int len =
        d ? snprintf(line, sizeof(line),
                     "{\"ts\": \"%s\", \"m\": \"%s\", \"n\": %s, "
                     "\"d\": %s}",
                     ts, m, n, d)
          : snprintf(line, sizeof(line),
                     "{\"ts\": \"%s\", \"m\": \"%s\", \"n\": %s}", ts, m, n);
    pipeline_line(f->p, 0, line, (size_t)len);
}

static inline int lfix_row(void *ctx, const struct ledger_row *r)
{
    struct buf *b = ctx;
    char sum[NUM_FMT_MAX];
    num_format(r->amount.sum, sum);
    buf_printf(b, "%lld %lld %lld ", (long long)r->day, (long long)r->start,
               (long long)r->end);
    buf_puts(b, r->overflow ? "(overflow)" : r->values[0]);
    buf_printf(b, " %s/%llu\n", sum, (unsigned long long)r->amount.count);
    return 0;
}

/* The rows of metric at grain in [from, to), one line each. */
static inline void lfix_rows(struct lfix *f, size_t metric,
                             enum ledger_grain grain, int64_t from, int64_t to,
                             struct buf *out)
{
    struct ledger_query q = {
        .metric = metric, .grain = grain, .from = from, .to = to};
    buf_reset(out);
    assert_int_equal(ledger_rows(f->l, &q, lfix_row, out), 0);
}

/* The rows are exactly want (NULL-terminated). */
static inline void lfix_expect(const struct buf *got, const char *const *want)
{
    struct buf w = {0};
    for (size_t i = 0; want[i] != NULL; i++)
        buf_printf(&w, "%s\n", want[i]);
    if (strcmp(got->data ? got->data : "", w.data ? w.data : "") != 0)
        fail_msg("rows:\n%s\nwant:\n%s", got->data ? got->data : "",
                 w.data ? w.data : "");
    buf_free(&w);
}

#endif
