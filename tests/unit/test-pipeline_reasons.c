/*
 * Which skip reasons each metric and input can have, from its
 * configuration: exactly the names expected, in the order of the enums.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "pipeline.h"

static struct config *load(const char *yaml)
{
    struct buf errors = {0};
    struct config *cfg;
    if (config_load_text("t.yaml", yaml, strlen(yaml), &cfg, &errors) != 0)
        fail_msg("%s", errors.data);
    buf_free(&errors);
    return cfg;
}

/* The names of the reasons in mask, space-separated (static). */
static const char *names(uint32_t mask, int count,
                         const char *(*name)(int reason))
{
    static char out[512];
    size_t n = 0;
    out[0] = '\0';
    for (int r = 0; r < count; r++)
        if (mask >> r & 1)
            n += (size_t)snprintf(out + n, sizeof(out) - n, "%s%s",
                                  n > 0 ? " " : "", name(r));
    return out;
}

static const char *update_name(int r)
{
    return pipeline_update_skip_name((enum update_skip)r);
}

static const char *line_name(int r)
{
    return pipeline_line_skip_name((enum line_skip)r);
}

static const char *metric_reasons(const struct config *cfg, const char *m)
{
    int i = config_metric_index(cfg, m);
    assert_true(i >= 0);
    return names(pipeline_update_reasons(&cfg->metrics[i]), UPDATE_SKIP_COUNT,
                 update_name);
}

static const char *input_reasons(const struct config *cfg, const char *in)
{
    int i = config_input_index(cfg, in);
    assert_true(i >= 0);
    return names(pipeline_line_reasons(&cfg->inputs[i]), LINE_SKIP_COUNT,
                 line_name);
}

/* A metric of each shape, and one whose condition requires fields. */
static const char *const metrics_yaml =
    "inputs:\n  - paths: [x]\n"
    "pricing: {per: 1M, models: {m: {prompt: 1}}}\n"
    "metrics:\n"
    "  - {name: lines_total, type: counter}\n"
    "  - {name: by_path_total, type: counter, labels: {path: endpoint}}\n"
    "  - {name: tier_total, type: counter,\n"
    "     labels: {tier: {field: tier, default: free}}}\n"
    "  - {name: keys_total, type: counter, labels: {key: {field: k, "
    "mask: true}}}\n"
    "  - {name: hashed_total, type: counter,\n"
    "     labels: {key: {field: k, hash: true, default: none}}}\n"
    "  - {name: class_total, type: counter,\n"
    "     labels: {code: {field: status, status_class: true}}}\n"
    "  - {name: mapped_total, type: counter,\n"
    "     labels: {e: {field: error, map: {a: b}}}}\n"
    "  - {name: mapped_or_total, type: counter,\n"
    "     labels: {e: {field: error, map: {a: b}, unmapped: other}}}\n"
    "  - {name: route_total, type: counter,\n"
    "     labels: {r: {field: path, regex: '^/(\\w+)'}}}\n"
    "  - name: severity_total\n"
    "    type: counter\n"
    "    labels:\n"
    "      s: {cases: [{when: {field: t, gt: 1}, value: slow}]}\n"
    "  - name: severity_or_total\n"
    "    type: counter\n"
    "    labels:\n"
    "      s: {cases: [{when: {field: t, gt: 1}, value: slow}], "
    "default: ok}\n"
    "  - {name: tokens_total, type: counter, value: tokens}\n"
    "  - {name: depth, type: gauge, value: depth}\n"
    "  - {name: latency_seconds, type: histogram, value: {field: took, "
    "regex: '(\\d+)ms'}}\n"
    "  - name: ai_tokens_total\n"
    "    type: counter\n"
    "    values:\n"
    "      - {field: p, labels: {type: prompt}}\n"
    "      - {field: c, labels: {type: completion}}\n"
    "  - {name: cost_total, type: counter, cost: {model: model, prompt: "
    "p}}\n"
    "  - name: openai_cost_total\n"
    "    type: counter\n"
    "    cost:\n"
    "      model: {field: model, regex: '^(gpt-4o)', map: {gpt-4o: g}}\n"
    "      prompt: p\n"
    "      cached: c\n"
    "      cached_in_prompt: true\n"
    "  - {name: sum_total, type: counter, value: {expr: \"p + c\"}}\n"
    "  - {name: ratio, type: gauge, value: {expr: \"p / len(c)\"},\n"
    "     when: [{field: p, exists: true}, {field: c, exists: true}]}\n"
    "  - {name: one_total, type: counter, value: {expr: \"2 * 3\"}}\n"
    "  - name: parts_total\n"
    "    type: counter\n"
    "    values:\n"
    "      - {expr: \"p / 2\", labels: {type: half}}\n"
    "      - {field: c, labels: {type: c}}\n"
    "  - name: in_flight\n"
    "    type: gauge\n"
    "    update: add\n"
    "    values: [{expr: \"n\", when: {field: e, equals: start}}]\n"
    "  - name: routed_total\n"
    "    type: counter\n"
    "    labels:\n"
    "      r: {field: path, regex: '^/(\\w+)', otherwise: other}\n"
    "      e: {field: error, map: {a: b}, otherwise: other}\n"
    "      c: {field: status, status_class: true, otherwise: other}\n"
    "  - name: guarded_total\n"
    "    type: counter\n"
    "    value: tokens\n"
    "    labels: {model: model, path: endpoint, op: op}\n"
    "    when:\n"
    "      - {field: tokens, gt: 0}\n"
    "      - {field: model, exists: true}\n"
    "      - any: [{field: op, equals: a}, {field: op, matches: b}]\n"
    "      - any: [{field: endpoint, equals: a}, {field: x, equals: "
    "b}]\n"
    "      - not: {field: x, exists: false}\n";

static void test_metric_reasons(void **state)
{
    (void)state;
    struct config *cfg = load(metrics_yaml);

    static const struct {
        const char *metric, *reasons;
    } expected[] = {
        {"lines_total", ""},
        {"by_path_total", "field_missing wrong_type label_too_long"},
        {"tier_total", "wrong_type label_too_long"},
        {"keys_total", ""},
        {"hashed_total", "wrong_type"},
        {"class_total", "field_missing wrong_type"},
        {"mapped_total", "field_missing wrong_type unmapped"},
        {"mapped_or_total", "field_missing wrong_type"},
        {"route_total", "field_missing wrong_type label_too_long no_match"},
        {"severity_total", "no_match"},
        {"severity_or_total", ""},
        {"tokens_total", "field_missing wrong_type out_of_range negative"},
        {"depth", "field_missing wrong_type out_of_range"},
        {"latency_seconds", "field_missing wrong_type out_of_range no_match"},
        /* Each of several sources is read only where the line has it. */
        {"ai_tokens_total", "wrong_type out_of_range negative"},
        {"cost_total", "wrong_type out_of_range negative unpriced"},
        /* The model's steps may drop it; the cached may exceed the prompt. */
        {"openai_cost_total", "wrong_type out_of_range negative no_match "
                              "unmapped unpriced cached_exceeds_prompt"},
        /* An expression's fields may be missing, unless its condition
         * requires them; a quotient's divisor may be zero. */
        {"sum_total", "field_missing wrong_type out_of_range negative"},
        {"ratio", "wrong_type out_of_range division_by_zero"},
        {"one_total", "wrong_type out_of_range negative"},
        {"parts_total", "wrong_type out_of_range negative division_by_zero"},
        /* A source with a condition is read only where the line has it. */
        {"in_flight", "wrong_type out_of_range"},
        /* A fallback stands in for no match and a text not in the map; an
         * object or array is still of the wrong type. */
        {"routed_total", "field_missing wrong_type label_too_long"},
    };
    for (size_t i = 0; i < sizeof(expected) / sizeof(*expected); i++)
        assert_string_equal(metric_reasons(cfg, expected[i].metric),
                            expected[i].reasons);
    /* Fields its condition requires are never missing: tokens, model, and
     * op (either case tests it); endpoint only for one case. */
    assert_string_equal(
        metric_reasons(cfg, "guarded_total"),
        "field_missing wrong_type out_of_range negative label_too_long");
    /* Label by label: model and op are required, path is not. */
    const struct cfg_metric *g =
        &cfg->metrics[config_metric_index(cfg, "guarded_total")];
    static const char *const want[] = {
        "wrong_type out_of_range negative label_too_long",
        "field_missing wrong_type out_of_range negative label_too_long",
        "wrong_type out_of_range negative label_too_long"};
    for (size_t i = 0; i < 3; i++) {
        struct cfg_metric one = *g;
        one.labels = &g->labels[i];
        one.n_labels = 1;
        assert_string_equal(names(pipeline_update_reasons(&one),
                                  UPDATE_SKIP_COUNT, update_name),
                            want[i]);
    }
    config_free(cfg);
}

/* A constant longer than a label may be is reported as it would be. */
static void test_long_constant(void **state)
{
    char yaml[4096], big[PIPELINE_MAX_LABEL_BYTES + 2];
    (void)state;
    memset(big, 'x', sizeof(big) - 1);
    big[sizeof(big) - 1] = '\0';
    snprintf(yaml, sizeof(yaml),
             "inputs:\n  - paths: [x]\n"
             "metrics:\n"
             "  - {name: a_total, type: counter, labels: {k: {field: k, "
             "mask: true}, t: {field: t, default: %s}}}\n"
             "  - {name: b_total, type: counter, labels: {k: {field: k, "
             "status_class: true, otherwise: %s}}}\n",
             big, big);
    struct config *cfg = load(yaml);
    assert_string_equal(metric_reasons(cfg, "a_total"),
                        "wrong_type label_too_long");
    assert_string_equal(metric_reasons(cfg, "b_total"),
                        "field_missing wrong_type label_too_long");
    config_free(cfg);
}

static void test_input_reasons(void **state)
{
    (void)state;
    struct config *cfg =
        load("inputs:\n"
             "  - {name: json, paths: [x]}\n"
             "  - {name: bare, paths: [x], envelope: none}\n"
             "  - {name: kv, paths: [x], parser: logfmt, envelope: cri}\n"
             "  - {name: rx, paths: [x], parser: {type: regex, pattern: "
             "'(?<a>x)'}}\n"
             "  - {name: both, paths: [x], parser: [json, logfmt]}\n");
    assert_string_equal(input_reasons(cfg, "json"),
                        "not_json not_object too_complex too_long unmatched "
                        "incomplete bad_envelope");
    assert_string_equal(input_reasons(cfg, "bare"),
                        "not_json not_object too_complex too_long unmatched "
                        "incomplete");
    assert_string_equal(input_reasons(cfg, "kv"),
                        "not_logfmt too_long unmatched incomplete "
                        "bad_envelope");
    assert_string_equal(input_reasons(cfg, "rx"),
                        "no_match too_long unmatched incomplete bad_envelope");
    assert_string_equal(input_reasons(cfg, "both"),
                        "unparsed too_long unmatched incomplete bad_envelope");
    config_free(cfg);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_metric_reasons),
        cmocka_unit_test(test_long_constant),
        cmocka_unit_test(test_input_reasons),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
