/*
 * A configuration's identity for a reload: metric signatures, and what
 * config_match keeps, changes, adds and drops between two configurations.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "config_helpers.h"

#define INPUT "inputs:\n  - paths: [/var/log/*.log]\n"

/* Loads text that must be accepted. */
static struct config *good(const char *text)
{
    struct config *cfg;
    const char *out = load(text, &cfg);
    if (cfg == NULL)
        fail_msg("refused:\n%s", out);
    return cfg;
}

/*
 * Metrics of every shape: labels and value labels (whose order the
 * family keeps), histograms with written and default buckets, a cost.
 */
#define SHAPES                                                                 \
    INPUT "pricing: {per: 1M, models: {default: {prompt: 1}}}\n"               \
          "metrics:\n"                                                         \
          "  - name: req_total\n"                                              \
          "    type: counter\n"                                                \
          "    labels: {route: path, tier: {field: plan, default: free}}\n"    \
          "    const_labels: {service: api}\n"                                 \
          "  - name: tokens_total\n"                                           \
          "    type: counter\n"                                                \
          "    labels: {model: model}\n"                                       \
          "    values:\n"                                                      \
          "      - {field: usage.in, labels: {kind: in, dir: up}}\n"           \
          "      - {field: usage.out, labels: {kind: out, dir: down}}\n"       \
          "  - {name: latency_seconds, type: histogram, value: ms, "           \
          "buckets: [0.1, 1, 2.5]}\n"                                          \
          "  - {name: size_bytes, type: histogram, value: size}\n"             \
          "  - {name: queue, type: gauge, value: q, labels: {host: h}}\n"      \
          "  - {name: cost_total, type: counter, cost: {prompt: p}}\n"

/* A metric's signature is the one of the family the pipeline builds. */
static void test_signature(void **state)
{
    struct config *cfg = good(SHAPES);
    struct registry *reg;
    struct pipeline *p;
    (void)state;
    assert_int_equal(registry_new(&reg), 0);
    assert_int_equal(pipeline_new(cfg, reg, &p), 0);
    for (size_t i = 0; i < cfg->n_metrics; i++) {
        const struct cfg_metric *m = &cfg->metrics[i];
        char a[512], b[512];
        struct family *f = registry_find(reg, m->name);
        assert_non_null(f);
        assert_true(config_metric_signature(m, a, sizeof(a)) > 0);
        assert_true(family_signature(f, b, sizeof(b)) > 0);
        assert_string_equal(a, b);
    }
    char sig[64];
    config_metric_signature(&cfg->metrics[1], sig, sizeof(sig));
    assert_string_equal(sig, "counter|model,kind,dir|");
    config_metric_signature(&cfg->metrics[2], sig, sizeof(sig));
    assert_string_equal(sig, "histogram||0.1,1,2.5");
    /* Too small a buffer: 0, as registry_signature says. */
    assert_int_equal(config_metric_signature(&cfg->metrics[1], sig, 8), 0);
    pipeline_free(p);
    registry_free(reg);
    config_free(cfg);
}

/* Matches old against next, loaded from text; the caller frees. */
static struct config_match *match(const char *old_text, const char *next_text)
{
    struct config *old = good(old_text), *next = good(next_text);
    struct config_match *m;
    assert_int_equal(config_match(old, next, &m), 0);
    assert_non_null(m);
    assert_int_equal(m->n_metrics, next->n_metrics);
    assert_int_equal(m->n_inputs, next->n_inputs);
    config_free(old);
    config_free(next);
    return m;
}

static void assert_pair(const struct config_pair *p, enum config_fate fate,
                        int old)
{
    assert_int_equal(p->fate, fate);
    assert_int_equal(p->old, old);
}

static void test_match_same(void **state)
{
    (void)state;
    struct config_match *m = match(SHAPES, SHAPES);
    assert_int_equal(m->n_metrics, 6);
    for (size_t i = 0; i < m->n_metrics; i++)
        assert_pair(&m->metrics[i], CONFIG_KEPT, (int)i);
    assert_int_equal(m->n_inputs, 1);
    assert_pair(&m->inputs[0], CONFIG_KEPT, 0);
    assert_int_equal(m->n_gone_metrics, 0);
    assert_int_equal(m->n_gone_inputs, 0);
    config_match_free(m);
    config_match_free(NULL);
}

/* What the saved series depend on changes the signature. */
static void test_match_changed(void **state)
{
    static const char *const variants[] = {
        /* a label renamed */
        INPUT "metrics:\n  - {name: a_total, type: counter, labels: {b: x}}\n",
        /* a label added */
        INPUT "metrics:\n  - {name: a_total, type: counter, labels: "
              "{r: x, s: y}}\n",
        /* labels in another order */
        INPUT "metrics:\n  - {name: a_total, type: counter, labels: "
              "{s: y, r: x}}\n",
        /* a value label renamed */
        INPUT "metrics:\n  - name: a_total\n    type: counter\n"
              "    labels: {r: x}\n"
              "    values: [{field: v, labels: {kind: a}}]\n",
        /* a label removed */
        INPUT "metrics:\n  - {name: a_total, type: counter}\n",
    };
    (void)state;
    const char *base =
        INPUT "metrics:\n  - {name: a_total, type: counter, labels: {r: x}}\n";
    for (size_t i = 0; i < sizeof(variants) / sizeof(*variants); i++) {
        struct config_match *m = match(base, variants[i]);
        assert_pair(&m->metrics[0], CONFIG_CHANGED, 0);
        assert_int_equal(m->n_gone_metrics, 0);
        config_match_free(m);
    }
    /* A histogram's buckets (one added, one moved, the default ones) or
     * its type. */
    const char *hist = INPUT "metrics:\n  - {name: h, type: histogram, "
                             "value: v, buckets: [1, 2]}\n";
    static const char *const buckets[] = {
        INPUT "metrics:\n  - {name: h, type: histogram, value: v, "
              "buckets: [1, 2, 5]}\n",
        INPUT "metrics:\n  - {name: h, type: histogram, value: v, "
              "buckets: [1, 3]}\n",
        INPUT "metrics:\n  - {name: h, type: histogram, value: v}\n",
        INPUT "metrics:\n  - {name: h, type: gauge, value: v}\n",
    };
    for (size_t i = 0; i < sizeof(buckets) / sizeof(*buckets); i++) {
        struct config_match *m = match(hist, buckets[i]);
        assert_pair(&m->metrics[0], CONFIG_CHANGED, 0);
        config_match_free(m);
    }
}

/* What the series do not depend on keeps the metric. */
static void test_match_kept(void **state)
{
    static const char *const variants[] = {
        /* help text */
        INPUT "metrics:\n  - {name: a_total, type: counter, help: Other., "
              "labels: {r: x}}\n",
        /* a condition */
        INPUT "metrics:\n  - {name: a_total, type: counter, labels: {r: x}, "
              "when: {field: s, equals: 500}}\n",
        /* the label's field, default and transform */
        INPUT "metrics:\n  - {name: a_total, type: counter, labels: "
              "{r: {field: y, default: none, lower: true}}}\n",
        /* the value counted, constant labels, limits */
        INPUT "metrics:\n  - {name: a_total, type: counter, value: n, "
              "labels: {r: x}, const_labels: {env: prod}, max_series: 7}\n",
        /* which inputs it reads */
        INPUT "metrics:\n  - {name: a_total, type: counter, labels: {r: x}, "
              "inputs: [input0]}\n",
    };
    (void)state;
    const char *base = INPUT "metrics:\n  - {name: a_total, type: counter, "
                             "help: Requests., labels: {r: x}}\n";
    for (size_t i = 0; i < sizeof(variants) / sizeof(*variants); i++) {
        struct config_match *m = match(base, variants[i]);
        assert_pair(&m->metrics[0], CONFIG_KEPT, 0);
        assert_pair(&m->inputs[0], CONFIG_KEPT, 0);
        config_match_free(m);
    }
}

static void test_match_inputs(void **state)
{
    static const char *const variants[] = {
        "inputs:\n  - {name: api, paths: [/a/*.log, /c/*.log]}\n",
        "inputs:\n  - {name: api, paths: [/a/*.log]}\n",
        "inputs:\n  - {name: api, paths: [/b/*.log, /a/*.log]}\n",
        "inputs:\n  - {name: api, paths: [/a/*.log, /b/*.log], "
        "parser: logfmt}\n",
        "inputs:\n  - {name: api, paths: [/a/*.log, /b/*.log], "
        "parser: [json, logfmt]}\n",
        "inputs:\n  - {name: api, paths: [/a/*.log, /b/*.log], "
        "parser: {type: regex, pattern: '(?<a>x)'}}\n",
        "inputs:\n  - {name: api, paths: [/a/*.log, /b/*.log], "
        "envelope: cri}\n",
        "inputs:\n  - {name: api, paths: [/a/*.log, /b/*.log], "
        "max_line_bytes: 4KiB}\n",
        "inputs:\n  - {name: api, paths: [/a/*.log, /b/*.log], "
        "start_at: beginning}\n",
        "inputs:\n  - {name: api, paths: [/a/*.log, /b/*.log], "
        "rotate_grace: 1s}\n",
        "inputs:\n  - {name: api, paths: [/a/*.log, /b/*.log], "
        "reconcile_interval: 1s}\n",
    };
    const char *base =
        "inputs:\n  - {name: api, paths: [/a/*.log, /b/*.log]}\n";
    (void)state;
    for (size_t i = 0; i < sizeof(variants) / sizeof(*variants); i++) {
        struct config_match *m = match(base, variants[i]);
        assert_pair(&m->inputs[0], CONFIG_CHANGED, 0);
        assert_int_equal(m->n_gone_inputs, 0);
        config_match_free(m);
    }
    /* Written otherwise, read the same: kept. */
    struct config_match *m =
        match(base, "inputs:\n  - name: api\n    paths:\n      - /a/*.log\n"
                    "      - /b/*.log\n    parser: json\n    envelope: auto\n"
                    "    rotate_grace: 5s\n");
    assert_pair(&m->inputs[0], CONFIG_KEPT, 0);
    config_match_free(m);
    m = match(variants[5], variants[5]);
    assert_pair(&m->inputs[0], CONFIG_KEPT, 0);
    config_match_free(m);
    m = match(variants[5], "inputs:\n  - {name: api, paths: [/a/*.log, "
                           "/b/*.log], parser: {type: regex, pattern: "
                           "'(?<b>x)'}}\n");
    assert_pair(&m->inputs[0], CONFIG_CHANGED, 0);
    config_match_free(m);
}

/* Definitions added, removed and moved are told apart by name. */
static void test_match_added_removed(void **state)
{
    (void)state;
    struct config_match *m =
        match("inputs:\n  - {name: a, paths: x}\n  - {name: b, paths: y}\n"
              "  - {name: c, paths: z}\n"
              "metrics:\n"
              "  - {name: one_total, type: counter}\n"
              "  - {name: two_total, type: counter}\n"
              "  - {name: three_total, type: counter}\n",
              "inputs:\n  - {name: d, paths: w}\n  - {name: c, paths: z}\n"
              "  - {name: a, paths: x}\n"
              "metrics:\n"
              "  - {name: three_total, type: counter}\n"
              "  - {name: four_total, type: counter}\n"
              "  - {name: one_total, type: counter}\n");
    assert_pair(&m->inputs[0], CONFIG_ADDED, -1);
    assert_pair(&m->inputs[1], CONFIG_KEPT, 2);
    assert_pair(&m->inputs[2], CONFIG_KEPT, 0);
    assert_int_equal(m->n_gone_inputs, 1);
    assert_int_equal(m->gone_inputs[0], 1);
    assert_pair(&m->metrics[0], CONFIG_KEPT, 2);
    assert_pair(&m->metrics[1], CONFIG_ADDED, -1);
    assert_pair(&m->metrics[2], CONFIG_KEPT, 0);
    assert_int_equal(m->n_gone_metrics, 1);
    assert_int_equal(m->gone_metrics[0], 1);
    config_match_free(m);

    /* Everything new, or everything gone. */
    m = match(INPUT, "inputs:\n  - {name: other, paths: x}\n"
                     "metrics:\n  - {name: a_total, type: counter}\n");
    assert_pair(&m->inputs[0], CONFIG_ADDED, -1);
    assert_pair(&m->metrics[0], CONFIG_ADDED, -1);
    assert_int_equal(m->n_gone_inputs, 1);
    assert_int_equal(m->gone_inputs[0], 0);
    assert_int_equal(m->n_gone_metrics, 0);
    config_match_free(m);
    m = match(INPUT "metrics:\n  - {name: a_total, type: counter}\n"
                    "  - {name: b_total, type: counter}\n",
              INPUT);
    assert_int_equal(m->n_metrics, 0);
    assert_int_equal(m->n_gone_metrics, 2);
    assert_int_equal(m->gone_metrics[0], 0);
    assert_int_equal(m->gone_metrics[1], 1);
    config_match_free(m);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_signature),
        cmocka_unit_test(test_match_same),
        cmocka_unit_test(test_match_changed),
        cmocka_unit_test(test_match_kept),
        cmocka_unit_test(test_match_inputs),
        cmocka_unit_test(test_match_added_removed),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
