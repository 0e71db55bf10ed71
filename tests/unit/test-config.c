#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include "config_helpers.h"

#define INPUT "inputs:\n  - paths: [/var/log/*.log]\n"

static void test_good(void **state)
{
    struct config *cfg;
    (void)state;
    const char *out =
        load("inputs:\n"
             "  - name: api\n"
             "    paths: [/var/log/a/*.log, /var/log/b.log]\n"
             "    start_at: beginning\n"
             "    max_line_bytes: 64KiB\n"
             "metrics:\n"
             "  - name: req_total\n"
             "    type: counter\n"
             "    labels:\n"
             "      path: endpoint\n"
             "      tier: {field: plan.tier, default: free}\n"
             "    const_labels: {service: api}\n"
             "    when:\n"
             "      any:\n"
             "        - {field: status, equals: 200}\n"
             "        - {field: status, in: [500, \"503\"]}\n"
             "        - not: {field: usage.tokens, exists: true}\n"
             "  - name: latency_seconds\n"
             "    type: histogram\n"
             "    value: latency_ms\n"
             "    scale: 0.001\n"
             "    buckets: [0.1, 1, 10]\n"
             "    inputs: [api]\n"
             "  - name: tokens_total\n"
             "    type: counter\n"
             "    value: usage.tokens\n",
             &cfg);
    assert_string_equal(out, "");
    assert_non_null(cfg);
    assert_int_equal(cfg->n_inputs, 1);
    assert_string_equal(cfg->inputs[0].name, "api");
    assert_int_equal(cfg->inputs[0].n_paths, 2);
    assert_int_equal(cfg->inputs[0].start_at, START_AT_BEGINNING);
    assert_int_equal(cfg->inputs[0].max_line_bytes, 65536);
    assert_int_equal(cfg->n_metrics, 3);

    const struct cfg_metric *m = &cfg->metrics[0];
    assert_int_equal(m->n_labels, 2);
    assert_int_equal(m->n_const_labels, 1);
    assert_string_equal(m->const_labels[0].value, "api");
    assert_true(m->labels[1].has_value);
    assert_string_equal(m->labels[1].value, "free");
    assert_int_equal(m->when->op, COND_ANY);
    assert_int_equal(m->when->n_subs, 3);
    assert_int_equal(m->when->subs[1].op, COND_IN);
    assert_string_equal(m->when->subs[1].values[1], "503");
    assert_int_equal(m->when->subs[2].op, COND_NOT);
    assert_int_equal(m->when->subs[2].subs[0].op, COND_EXISTS);
    assert_string_equal(m->help, "Number of matching log lines.");

    /* Fields are numbered once each: endpoint, plan.tier, status,
     * usage.tokens, latency_ms. */
    assert_int_equal(cfg->n_fields, 5);
    assert_string_equal(cfg->fields[1].path, "plan.tier");
    assert_int_equal(cfg->fields[1].n_parts, 2);
    assert_string_equal(cfg->fields[1].parts[1], "tier");
    assert_int_equal(cfg->metrics[2].values[0].field, 3);
    assert_int_equal(m->when->subs[2].subs[0].field, 3);

    const struct cfg_metric *h = &cfg->metrics[1];
    assert_int_equal(h->n_buckets, 3);
    assert_true(h->buckets[0] == NUM_ONE / 10);
    assert_true(h->values[0].has_scale);
    assert_int_equal(h->n_inputs, 1);
    config_free(cfg);
}

static void test_defaults(void **state)
{
    struct config *cfg;
    (void)state;
    assert_string_equal(load(INPUT "metrics:\n"
                                   "  - {name: d, type: histogram, value: x}\n",
                             &cfg),
                        "");
    assert_string_equal(cfg->inputs[0].name, "input0");
    assert_int_equal(cfg->inputs[0].start_at, START_AT_END);
    assert_int_equal(cfg->inputs[0].max_line_bytes, 1048576);
    assert_int_equal(cfg->metrics[0].n_buckets, 11);
    assert_int_equal(cfg->metrics[0].max_series, 10000);
    assert_int_equal(cfg->metrics[0].expire_ms, 0);
    assert_int_equal(cfg->max_series, 100000);
    assert_string_equal(cfg->metrics[0].help, "Distribution of log field x.");
    config_free(cfg);
}

static void test_too_many_labels(void **state)
{
    static char text[8192];
    (void)state;
    /* Refused when loaded, not when the daemon starts. */
    size_t n = (size_t)snprintf(text, sizeof(text),
                                INPUT "metrics:\n  - name: m_total\n"
                                      "    type: counter\n    labels:\n");
    for (int i = 0; i < 129; i++)
        n += (size_t)snprintf(text + n, sizeof(text) - n, "      l%d: f\n", i);
    expect_error(text, "t.yaml:4:5: metric m_total: more than 128 labels");
}

static void test_limits(void **state)
{
    struct config *cfg;
    (void)state;
    assert_string_equal(load(INPUT "limits: {max_series: 5000}\n"
                                   "metrics:\n"
                                   "  - {name: g, type: gauge, value: v, "
                                   "expire_after: 5m}\n",
                             &cfg),
                        "");
    assert_int_equal(cfg->max_series, 5000);
    assert_int_equal(cfg->metrics[0].expire_ms, 300000);
    config_free(cfg);
    expect_error(INPUT "limits: {max_series: 0}\n",
                 "t.yaml:3:22: max_series must be between 1 and");
    expect_error(INPUT "limits: {max_seris: 10}\n",
                 "t.yaml:3:10: unknown key \"max_seris\" in limits");
    expect_error(INPUT "metrics:\n"
                       "  - {name: a_total, type: counter, expire_after: 1m}\n",
                 "t.yaml:4:50: expire_after applies to gauges only");
    expect_error(INPUT
                 "metrics:\n"
                 "  - {name: g, type: gauge, value: v, expire_after: 10ms}\n",
                 "t.yaml:4:52: expire_after must be between 1s and 31d, not "
                 "10ms");
    expect_error(INPUT
                 "metrics:\n"
                 "  - {name: g, type: gauge, value: v, expire_after: 32d}\n",
                 "t.yaml:4:52: expire_after must be between 1s and 31d, not "
                 "32d");
    assert_string_equal(load(INPUT "metrics:\n"
                                   "  - {name: g, type: gauge, value: v, "
                                   "expire_after: 31d}\n",
                             &cfg),
                        "");
    assert_int_equal(cfg->metrics[0].expire_ms, 31ULL * 24 * 3600 * 1000);
    config_free(cfg);
}

static void test_dotted_paths(void **state)
{
    struct config *cfg;
    (void)state;
    assert_string_equal(
        load(INPUT "metrics:\n"
                   "  - {name: a_total, type: counter, value: 'a\\.b.c'}\n",
             &cfg),
        "");
    assert_int_equal(cfg->fields[0].n_parts, 2);
    assert_string_equal(cfg->fields[0].parts[0], "a.b");
    assert_string_equal(cfg->fields[0].parts[1], "c");
    config_free(cfg);
    expect_error(INPUT "metrics:\n"
                       "  - {name: a_total, type: counter, value: a..b}\n",
                 "t.yaml:4:43: value field \"a..b\" has an empty key");
    /* Array positions back to -16 from the end; "-17" would need more. */
    assert_string_equal(
        load(INPUT "metrics:\n"
                   "  - {name: a_total, type: counter, value: c.-16.n,\n"
                   "     labels: {r: c.0.r, k: c.-1a, z: c.-0}}\n",
             &cfg),
        "");
    config_free(cfg);
    expect_error(INPUT "metrics:\n"
                       "  - {name: a_total, type: counter, value: c.-17.n}\n",
                 "t.yaml:4:43: value field \"c.-17.n\": a part counts at "
                 "most 16 elements back from the end of an array (-1 is the "
                 "last)");
}

/* update names how a gauge moves; entries of values take a when. */
static void test_gauge_update(void **state)
{
    struct config *cfg;
    (void)state;
    assert_string_equal(
        load(INPUT "metrics:\n"
                   "  - {name: a, type: gauge, value: v, update: add}\n"
                   "  - {name: b, type: gauge, value: v, update: max}\n"
                   "  - {name: c, type: gauge, value: v}\n"
                   "  - name: d\n"
                   "    type: gauge\n"
                   "    update: add\n"
                   "    values: [{expr: '1', when: {field: e, equals: s}}]\n",
             &cfg),
        "");
    assert_int_equal(cfg->metrics[0].update, GAUGE_ADD);
    assert_int_equal(cfg->metrics[1].update, GAUGE_MAX);
    assert_int_equal(cfg->metrics[2].update, GAUGE_SET);
    assert_string_equal(cfg->metrics[0].help, "Running sum of log field v.");
    assert_string_equal(cfg->metrics[1].help, "Largest value of log field v.");
    assert_non_null(cfg->metrics[3].values[0].when);
    char sig[64];
    config_metric_signature(&cfg->metrics[1], sig, sizeof(sig));
    assert_string_equal(sig, "gauge:max||");
    config_free(cfg);
    expect_error(INPUT "metrics:\n"
                       "  - {name: a_total, type: counter, update: add}\n",
                 "t.yaml:4:44: update applies to gauges: a counter always "
                 "adds, a histogram observes");
    expect_error(INPUT "metrics:\n"
                       "  - {name: a, type: gauge, value: v, update: sum}\n",
                 "t.yaml:4:46: update must be set, add, max or min, not "
                 "\"sum\"");
    expect_error(INPUT "metrics:\n"
                       "  - {name: a, type: gauge, value: {field: v, when: "
                       "{field: e, exists: true}}}\n",
                 "t.yaml:4:52: when of a value belongs to the entries of "
                 "\"values\"; use the metric's when");
}

/* otherwise needs a step that can refuse the text. */
static void test_label_otherwise(void **state)
{
    struct config *cfg;
    (void)state;
    assert_string_equal(load(INPUT
                             "metrics:\n"
                             "  - name: a_total\n"
                             "    type: counter\n"
                             "    labels:\n"
                             "      route: {field: p, regex: '^(/api/[a-z]+)', "
                             "otherwise: other}\n",
                             &cfg),
                        "");
    assert_string_equal(cfg->metrics[0].labels[0].tf.otherwise, "other");
    config_free(cfg);
    expect_error(INPUT "metrics:\n"
                       "  - name: a_total\n"
                       "    type: counter\n"
                       "    labels:\n"
                       "      route: {field: p, lower: true, otherwise: x}\n",
                 "t.yaml:7:49: otherwise applies when a label's regex, map "
                 "or status_class refuses the text; this label has none");
    expect_error(INPUT "metrics:\n"
                       "  - name: a_total\n"
                       "    type: counter\n"
                       "    labels:\n"
                       "      s:\n"
                       "        cases: [{when: {field: a, exists: true}, "
                       "value: y}]\n"
                       "        otherwise: x\n",
                 "t.yaml:9:20: when no case holds, a label takes its "
                 "default; otherwise is for a field's regex, map or "
                 "status_class");
}

/* non_finite is a JSON parser's setting, off unless asked for. */
static void test_non_finite(void **state)
{
    struct config *cfg;
    (void)state;
    assert_string_equal(
        load("inputs:\n"
             "  - {paths: [a], parser: {type: json, non_finite: missing}}\n"
             "  - {paths: [b], parser: [json, {type: json, non_finite: "
             "reject}]}\n",
             &cfg),
        "");
    assert_int_equal(cfg->inputs[0].parsers[0].non_finite,
                     JSON_NON_FINITE_MISSING);
    assert_int_equal(cfg->inputs[1].parsers[0].non_finite,
                     JSON_NON_FINITE_REJECT);
    assert_int_equal(cfg->inputs[1].parsers[1].non_finite,
                     JSON_NON_FINITE_REJECT);
    config_free(cfg);
    expect_error("inputs:\n"
                 "  - {paths: [a], parser: {type: json, non_finite: nan}}\n",
                 "t.yaml:2:51: non_finite must be reject or missing, not "
                 "\"nan\"");
    expect_error("inputs:\n"
                 "  - {paths: [a], parser: {type: logfmt, non_finite: "
                 "missing}}\n",
                 "t.yaml:2:53: only a json parser takes non_finite");
}

static void test_unknown_key(void **state)
{
    (void)state;
    expect_error(INPUT "metrics:\n"
                       "  - name: x_total\n"
                       "    type: counter\n"
                       "    lables: {a: b}\n",
                 "t.yaml:6:5: unknown key \"lables\" in a metric (did you "
                 "mean \"labels\"?)");
    expect_error("inputs:\n  - paths: [a]\n    strat_at: end\n",
                 "t.yaml:3:5: unknown key \"strat_at\" in an input (did you "
                 "mean \"start_at\"?)");
    expect_error(INPUT "bogus: 1\n",
                 "t.yaml:3:1: unknown key \"bogus\" in the configuration");
}

static void test_wrong_types(void **state)
{
    (void)state;
    expect_error("inputs: {paths: a}\n",
                 "t.yaml:1:9: inputs must be a list, not a mapping");
    expect_error("inputs:\n  - paths: [a]\n    max_line_bytes: \"100\"\n",
                 "t.yaml:3:21: max_line_bytes must be a whole number, not a "
                 "quoted string");
    expect_error("inputs:\n  - paths: [a]\n    max_line_bytes: 12x\n",
                 "t.yaml:3:21: max_line_bytes must be a whole number of bytes");
    expect_error("inputs:\n  - paths: [a]\n    max_line_bytes: 10\n",
                 "t.yaml:3:21: max_line_bytes must be between 256 and");
    expect_error(INPUT "metrics:\n  - {name: a_total, type: countr}\n",
                 "t.yaml:4:27: unknown metric type \"countr\"");
    expect_error(INPUT "metrics:\n"
                       "  - {name: a_total, type: counter, labels: [a]}\n",
                 "t.yaml:4:44: labels must be a mapping, not a list");
    expect_error(INPUT "metrics:\n"
                       "  - {name: h, type: histogram, value: v, scale: x}\n",
                 "t.yaml:4:49: scale must be a decimal number, not \"x\"");
    expect_error(INPUT "metrics:\n"
                       "  - {name: a_total, type: counter, when: {field: x, "
                       "exists: yes}}\n",
                 "t.yaml:4:61: exists must be true or false, not \"yes\"");
}

static void test_names(void **state)
{
    (void)state;
    expect_error(INPUT "metrics:\n  - {name: 9lives_total, type: counter}\n",
                 "t.yaml:4:12: \"9lives_total\" is not a valid metric name");
    expect_error(INPUT "metrics:\n  - {name: requests, type: counter}\n",
                 "t.yaml:4:12: counter names must end in \"_total\"");
    expect_error(INPUT "metrics:\n  - {name: g_total, type: gauge, value: v}\n",
                 "t.yaml:4:12: only counter names may end in \"_total\"");
    expect_error(INPUT "metrics:\n"
                       "  - {name: tokentail_x_total, type: counter}\n",
                 "t.yaml:4:12: metric names starting with \"tokentail_\"");
    expect_error(INPUT "metrics:\n"
                       "  - {name: a_total, type: counter, labels: {a-b: x}}\n",
                 "t.yaml:4:45: \"a-b\" is not a valid label name");
    expect_error(INPUT "metrics:\n"
                       "  - {name: a_total, type: counter, labels: {__a: x}}\n",
                 "t.yaml:4:45: label names starting with \"__\" are reserved");
    /* With a series cap, a user's tokentail_overflow would print exactly
     * like the overflow series: reserved wherever a label is named. */
    expect_error(INPUT "metrics:\n"
                       "  - {name: a_total, type: counter, labels: "
                       "{tokentail_overflow: x}}\n",
                 "t.yaml:4:45: label names starting with \"tokentail_\" are "
                 "reserved");
    expect_error(INPUT "metrics:\n"
                       "  - {name: a_total, type: counter, const_labels: "
                       "{tokentail_x: y}}\n",
                 "t.yaml:4:51: label names starting with \"tokentail_\" are "
                 "reserved");
    expect_error(INPUT "metrics:\n"
                       "  - name: a_total\n"
                       "    type: counter\n"
                       "    values:\n"
                       "      - {field: a, labels: {tokentail_overflow: "
                       "\"true\"}}\n",
                 "t.yaml:7:29: label names starting with \"tokentail_\" are "
                 "reserved");
    expect_error(INPUT "metrics:\n"
                       "  - {name: h, type: histogram, value: v, labels: "
                       "{le: x}}\n",
                 "t.yaml:4:51: the label \"le\" is reserved in a histogram");
    expect_error(INPUT "metrics:\n"
                       "  - name: a_total\n"
                       "    type: counter\n"
                       "    labels: {x: f}\n"
                       "    const_labels: {x: y}\n",
                 "t.yaml:7:20: label \"x\" is defined twice (first at line 6)");
    /* A mapping may repeat a key: the repeat is the error. */
    expect_error(INPUT "metrics:\n"
                       "  - name: a_total\n"
                       "    type: counter\n"
                       "    labels:\n"
                       "      x: f\n"
                       "      y: g\n"
                       "      x: h\n",
                 "t.yaml:9:7: label \"x\" is defined twice (first at line 7)");
    expect_error(INPUT "metrics:\n"
                       "  - name: a_total\n"
                       "    type: counter\n"
                       "    labels: {type: t}\n"
                       "    values:\n"
                       "      - {field: a, labels: {type: a}}\n",
                 "t.yaml:8:29: label \"type\" is defined twice (first at line "
                 "6)");
}

static void test_duplicates(void **state)
{
    (void)state;
    expect_error(INPUT "metrics:\n"
                       "  - {name: a_total, type: counter}\n"
                       "  - {name: a_total, type: counter}\n",
                 "t.yaml:5:5: duplicate metric name \"a_total\" (first at "
                 "line 4)");
    expect_error(INPUT "metrics:\n"
                       "  - {name: h, type: histogram, value: v}\n"
                       "  - {name: h_count, type: gauge, value: v}\n",
                 "t.yaml:5:5: metric name \"h_count\" collides with the "
                 "count series of histogram h (line 4)");
    /* OpenMetrics names a counter's family without _total, and gives
     * counters and histograms a _created series. */
    expect_error(INPUT "metrics:\n"
                       "  - {name: req_total, type: counter}\n"
                       "  - {name: req, type: gauge, value: v}\n",
                 "t.yaml:5:5: metric name \"req\" collides with the "
                 "OpenMetrics family name of counter req_total (line 4)");
    expect_error(INPUT "metrics:\n"
                       "  - {name: req_created, type: gauge, value: v}\n"
                       "  - {name: req_total, type: counter}\n",
                 "t.yaml:4:5: metric name \"req_created\" collides with the "
                 "created series of counter req_total (line 5)");
    expect_error(INPUT "metrics:\n"
                       "  - {name: h, type: histogram, value: v}\n"
                       "  - {name: h_created, type: gauge, value: v}\n",
                 "t.yaml:5:5: metric name \"h_created\" collides with the "
                 "created series of histogram h (line 4)");
    expect_error(INPUT "metrics:\n"
                       "  - name: a_total\n"
                       "    type: counter\n"
                       "    type: gauge\n",
                 "t.yaml:6:5: duplicate key \"type\" in a metric (first at "
                 "line 5)");
    expect_error("inputs:\n  - {name: a, paths: x}\n  - {name: a, paths: y}\n",
                 "t.yaml:3:5: duplicate input name \"a\"");
}

static void test_buckets(void **state)
{
    (void)state;
    expect_error(INPUT "metrics:\n"
                       "  - {name: h, type: histogram, value: v, buckets: "
                       "[1, 2, 2]}\n",
                 "t.yaml:4:58: bucket bounds must increase strictly");
    expect_error(INPUT "metrics:\n"
                       "  - {name: h, type: histogram, value: v, buckets: "
                       "[5, 1]}\n",
                 "t.yaml:4:55: bucket bounds must increase strictly");
    expect_error(INPUT
                 "metrics:\n"
                 "  - {name: h, type: histogram, value: v, buckets: []}\n",
                 "t.yaml:4:51: buckets must list at least one upper bound");
    expect_error(INPUT "metrics:\n"
                       "  - {name: a_total, type: counter, buckets: [1]}\n",
                 "t.yaml:4:45: buckets apply to histograms only");
    expect_error(INPUT "metrics:\n  - {name: h, type: histogram}\n",
                 "t.yaml:4:5: a histogram needs a \"value\" field");
}

static void test_env(void **state)
{
    struct config *cfg;
    (void)state;
    setenv("TT_DIR", "/srv/logs", 1);
    unsetenv("TT_UNSET");
    setenv("TT_EMPTY", "", 1);
    assert_string_equal(load("inputs:\n"
                             "  - paths:\n"
                             "      - ${TT_DIR}/*.log\n"
                             "      - ${TT_UNSET:-/var/log}/x.log\n"
                             "      - ${TT_EMPTY:-fallback}\n"
                             "      - cost$$ $x ${TT_DIR}\n",
                             &cfg),
                        "");
    assert_string_equal(cfg->inputs[0].paths[0], "/srv/logs/*.log");
    assert_string_equal(cfg->inputs[0].paths[1], "/var/log/x.log");
    assert_string_equal(cfg->inputs[0].paths[2], "fallback");
    assert_string_equal(cfg->inputs[0].paths[3], "cost$ $x /srv/logs");
    config_free(cfg);

    expect_error("inputs:\n  - paths: [\"${TT_UNSET}\"]\n",
                 "t.yaml:2:13: path: environment variable TT_UNSET is not "
                 "set");
    expect_error("inputs:\n  - paths: [\"${TT_DIR\"]\n",
                 "t.yaml:2:13: path: unterminated \"${\"");
    expect_error("inputs:\n  - paths: [\"${1X}\"]\n",
                 "t.yaml:2:13: path: \"${1X}\" is not a variable reference");

    /* In a flow mapping a reference is quoted, and still typed. */
    setenv("TT_MAX", "7", 1);
    assert_string_equal(
        load("inputs: [{paths: [a], max_line_bytes: \"${TT_UNSET:-2KiB}\"}]\n"
             "limits: {max_series: '${TT_MAX:-5}'}\n"
             "metrics:\n"
             "  - {name: g, type: gauge, value: v, "
             "expire_after: \"${TT_UNSET:-5m}\"}\n",
             &cfg),
        "");
    assert_int_equal(cfg->inputs[0].max_line_bytes, 2048);
    assert_int_equal(cfg->max_series, 7);
    assert_int_equal(cfg->metrics[0].expire_ms, 300000);
    config_free(cfg);
    expect_error(INPUT "limits: {max_series: \"${TT_EMPTY:-x}\"}\n",
                 "t.yaml:3:22: max_series must be a whole number, not \"x\"");
    expect_error(INPUT "limits: {max_series: \"5\"}\n",
                 "t.yaml:3:22: max_series must be a whole number, not a quoted "
                 "string");
}

/* A directory given for the file is named as one, with the file it holds. */
static void test_directory(void **state)
{
    char dir[] = "/tmp/test-config-XXXXXX", file[64], want[192], slash[64];
    struct buf errors = {0};
    struct config *cfg;
    (void)state;
    assert_non_null(mkdtemp(dir));
    assert_int_equal(config_load(dir, &cfg, &errors), -1);
    snprintf(want, sizeof(want),
             "%s: is a directory, not a configuration file\n", dir);
    assert_string_equal(errors.data, want);
    buf_reset(&errors);

    snprintf(file, sizeof(file), "%s/exporter.yaml", dir);
    FILE *f = fopen(file, "w");
    assert_non_null(f);
    fclose(f);
    snprintf(slash, sizeof(slash), "%s/", dir);
    assert_int_equal(config_load(slash, &cfg, &errors), -1);
    snprintf(want, sizeof(want),
             "%s: is a directory, not a configuration file (did you mean "
             "%s?)\n",
             slash, file);
    assert_string_equal(errors.data, want);
    buf_free(&errors);
    assert_int_equal(unlink(file), 0);
    assert_int_equal(rmdir(dir), 0);
}

static void test_syntax_error(void **state)
{
    (void)state;
    expect_error(
        "inputs:\n  - paths: [a\n  - b\n",
        "t.yaml:4:1: YAML syntax error: did not find expected ',' or ']'");
    expect_error("inputs:\n\t- paths: [a]\n",
                 "t.yaml:2:1: YAML syntax error: a tab in the indentation "
                 "(YAML indents with spaces only)");
    expect_error("inputs:\n  - paths:\n    \t- a\n",
                 "t.yaml:3:5: YAML syntax error: a tab in the indentation");
    expect_error("inputs:\n  - paths: [\xc3\xa9]\n  \t- x\n",
                 "t.yaml:3:3: YAML syntax error: a tab in the indentation");
    expect_error("", "t.yaml: the configuration is empty");
    expect_error("metrics: []\n",
                 "t.yaml:1:1: the configuration needs \"inputs\"");
}

/*
 * One run reports every mistake, not just the first, in the order of the
 * file, whatever order they were found in (state and limits are read
 * before the inputs and metrics above them).
 */
static void test_all_errors(void **state)
{
    struct config *cfg;
    (void)state;
    const char *out = load("inputs:\n"
                           "  - paths: [a]\n"
                           "    start_at: middle\n"
                           "metrics:\n"
                           "  - {name: a, type: counter}\n"
                           "  - {name: b_total, type: gauge}\n"
                           "state: {checkpoint_interval: 5}\n"
                           "limits: {max_series: 0}\n",
                           &cfg);
    assert_null(cfg);
    assert_string_equal(
        out, "t.yaml:3:15: start_at must be \"end\" or \"beginning\", not "
             "\"middle\"\n"
             "t.yaml:5:12: counter names must end in \"_total\"\n"
             "t.yaml:6:5: a gauge needs a \"value\" field\n"
             "t.yaml:6:12: only counter names may end in \"_total\"\n"
             "t.yaml:7:30: checkpoint_interval must be a duration such as "
             "500ms, 5s, 2m, 1h or 7d, not \"5\"\n"
             "t.yaml:8:22: max_series must be between 1 and 100000000, not "
             "0\n");
}

static void test_conditions(void **state)
{
    (void)state;
    expect_error(INPUT "metrics:\n"
                       "  - {name: a_total, type: counter, when: {field: x}}\n",
                 "t.yaml:4:42: a condition needs exactly one of equals, in, "
                 "exists, gt, ge, lt, le, matches");
    expect_error(INPUT
                 "metrics:\n"
                 "  - {name: a_total, type: counter, when: {equals: 1}}\n",
                 "t.yaml:4:42: a condition needs \"field\"");
    expect_error(INPUT "metrics:\n"
                       "  - {name: a_total, type: counter, when: {all: [], "
                       "field: x}}\n",
                 "t.yaml:4:42: a condition with all, any or not must have "
                 "nothing else");
    expect_error(INPUT "metrics:\n"
                       "  - {name: a_total, type: counter, inputs: [nope]}\n",
                 "t.yaml:4:45: no input is named \"nope\"");
    expect_error(INPUT "metrics:\n"
                       "  - {name: a_total, type: counter, when: {field: x, "
                       "gt: fast}}\n",
                 "t.yaml:4:57: gt must be a decimal number, not \"fast\"");
}

static void test_state_and_lifecycle(void **state)
{
    struct config *cfg;
    (void)state;
    assert_string_equal(load("inputs:\n"
                             "  - paths: [a]\n"
                             "    envelope: cri\n"
                             "    rotate_grace: 500ms\n"
                             "    reconcile_interval: 2m\n"
                             "state:\n"
                             "  file: /tmp/x.db\n"
                             "  checkpoint_interval: 1h\n"
                             "  keep_removed_metrics: 0s\n",
                             &cfg),
                        "");
    assert_int_equal(cfg->keep_removed_ms, 0);
    assert_int_equal(cfg->inputs[0].envelope, ENVELOPE_CRI);
    assert_int_equal(cfg->inputs[0].rotate_grace_ms, 500);
    assert_int_equal(cfg->inputs[0].reconcile_ms, 120000);
    assert_string_equal(cfg->state_file, "/tmp/x.db");
    assert_int_equal(cfg->checkpoint_ms, 3600000);
    config_free(cfg);

    assert_string_equal(load(INPUT, &cfg), "");
    assert_int_equal(cfg->inputs[0].envelope, ENVELOPE_AUTO);
    assert_int_equal(cfg->inputs[0].rotate_grace_ms, 5000);
    assert_int_equal(cfg->inputs[0].reconcile_ms, 2000);
    assert_null(cfg->state_file);
    assert_int_equal(cfg->checkpoint_ms, 1000);
    assert_int_equal(cfg->keep_removed_ms, 30ULL * 24 * 3600 * 1000);
    config_free(cfg);
    expect_error(INPUT "state: {keep_removed_metrics: 3651d}\n",
                 "t.yaml:3:31: keep_removed_metrics must be between 0s and "
                 "3650d, not 3651d");

    expect_error("inputs:\n  - paths: [a]\n    rotate_grace: 5\n",
                 "t.yaml:3:19: rotate_grace must be a duration such as 500ms, "
                 "5s, 2m, 1h or 7d, not \"5\"");
    expect_error("inputs:\n  - paths: [a]\n    rotate_grace: 2h\n",
                 "t.yaml:3:19: rotate_grace must be between 0s and 1h, not 2h");
    expect_error("inputs:\n  - paths: [a]\n    reconcile_interval: 1ms\n",
                 "t.yaml:3:25: reconcile_interval must be between 10ms and "
                 "1h, not 1ms");
    expect_error("inputs:\n  - paths: [a]\n    envelope: podman\n",
                 "t.yaml:3:15: envelope must be auto, none, docker or cri, "
                 "not \"podman\"");
    expect_error(INPUT "state:\n  checkpoint: 1s\n",
                 "t.yaml:4:3: unknown key \"checkpoint\" in state (did you "
                 "mean \"checkpoint_interval\"?)");
}

/* A parser: its type, and a regex parser's pattern. */
static void test_parser_errors(void **state)
{
    (void)state;
    expect_error("inputs:\n  - paths: [a]\n    parser: xml\n",
                 "t.yaml:3:13: unknown parser \"xml\" (json, regex or logfmt)");
    expect_error("inputs:\n  - paths: [a]\n    parser: {type: regex}\n",
                 "t.yaml:3:13: a regex parser needs a \"pattern\"");
    expect_error("inputs:\n  - paths: [a]\n    parser: {type: json, "
                 "pattern: x}\n",
                 "t.yaml:3:35: only a regex parser takes a pattern");
    expect_error("inputs:\n  - paths: [a]\n    parser: {type: regex, "
                 "pattern: '(?<x>a'}\n",
                 "t.yaml:3:36: pattern: missing closing parenthesis at offset "
                 "6 of the expression");
}

/* Transform steps that need another step, or exclude one. */
static void test_label_errors(void **state)
{
    (void)state;
    expect_error(INPUT "metrics:\n"
                       "  - name: a_total\n"
                       "    type: counter\n"
                       "    labels: {k: {field: k, unmapped: x}}\n",
                 "t.yaml:6:38: unmapped applies to a map; this label has none");
    expect_error(INPUT "metrics:\n"
                       "  - name: a_total\n"
                       "    type: counter\n"
                       "    labels: {k: {field: k, mask: true, hash: true}}\n",
                 "t.yaml:6:17: a label is either masked or hashed, not both");
}

/* Entries of values, and where a metric's values come from. */
static void test_value_errors(void **state)
{
    (void)state;
    expect_error(INPUT "metrics:\n"
                       "  - name: a_total\n"
                       "    type: counter\n"
                       "    values:\n"
                       "      - {field: a, labels: {type: a}}\n"
                       "      - {field: b, labels: {kind: b}}\n",
                 "t.yaml:8:9: every entry of values must have the same labels");
    expect_error(INPUT "metrics:\n"
                       "  - name: a_total\n"
                       "    type: counter\n"
                       "    value: {field: a, labels: {type: a}}\n",
                 "t.yaml:6:31: labels of a value belong to the entries of "
                 "\"values\"");
    expect_error(INPUT "metrics:\n"
                       "  - {name: a_total, type: counter, value: a, values: "
                       "[b]}\n",
                 "t.yaml:4:5: a metric takes one of value, values and cost");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_good),
        cmocka_unit_test(test_defaults),
        cmocka_unit_test(test_limits),
        cmocka_unit_test(test_too_many_labels),
        cmocka_unit_test(test_dotted_paths),
        cmocka_unit_test(test_gauge_update),
        cmocka_unit_test(test_label_otherwise),
        cmocka_unit_test(test_non_finite),
        cmocka_unit_test(test_unknown_key),
        cmocka_unit_test(test_wrong_types),
        cmocka_unit_test(test_names),
        cmocka_unit_test(test_duplicates),
        cmocka_unit_test(test_buckets),
        cmocka_unit_test(test_env),
        cmocka_unit_test(test_syntax_error),
        cmocka_unit_test(test_all_errors),
        cmocka_unit_test(test_directory),
        cmocka_unit_test(test_conditions),
        cmocka_unit_test(test_state_and_lifecycle),
        cmocka_unit_test(test_parser_errors),
        cmocka_unit_test(test_label_errors),
        cmocka_unit_test(test_value_errors),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
