#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "config_helpers.h"

static void line(struct fixture *f, const char *text)
{
    pipeline_line(f->p, 0, text, strlen(text));
}

/* A line whose label v is len bytes of 'a'. */
static void line_with_label(struct fixture *f, size_t len)
{
    char v[PIPELINE_MAX_LABEL_BYTES + 2], text[sizeof(v) + 16];
    assert_true(len < sizeof(v));
    memset(v, 'a', len);
    v[len] = '\0';
    snprintf(text, sizeof(text), "{\"v\": \"%s\"}", v);
    line(f, text);
}

static const char *rule_config =
    "inputs:\n  - paths: [x]\n"
    "metrics:\n"
    "  - name: req_total\n"
    "    type: counter\n"
    "    labels: {path: endpoint, status: status_code, tier: {field: tier, "
    "default: free}}\n"
    "  - name: tokens_total\n"
    "    type: counter\n"
    "    value: usage.tokens\n"
    "    labels: {model: model}\n"
    "    when: {field: status_code, in: [200, 201]}\n"
    "  - name: latency_seconds\n"
    "    type: histogram\n"
    "    value: ms\n"
    "    scale: 0.001\n"
    "    buckets: [0.1, 1]\n"
    "  - name: queue_depth\n"
    "    type: gauge\n"
    "    value: depth\n"
    "    when: {not: {field: depth, equals: -1}}\n";

static void test_rules(void **state)
{
    struct fixture f;
    (void)state;
    build(&f, rule_config);
    line(&f, "{\"endpoint\": \"/a\", \"status_code\": 200, \"model\": \"m1\", "
             "\"usage\": {\"tokens\": 40}, \"ms\": 100, \"depth\": 3}");
    line(&f, "{\"endpoint\": \"/a\", \"status_code\": 201, \"model\": \"m1\", "
             "\"usage\": {\"tokens\": \"2\"}, \"ms\": 1000.5, \"depth\": -1}");
    line(&f, "{\"endpoint\": \"/a\", \"status_code\": 500, \"model\": \"m1\", "
             "\"usage\": {\"tokens\": 1000}, \"tier\": \"pro\", \"ms\": 5}");
    line(&f, "{\"endpoint\": \"/b\", \"tier\": true}");
    line(&f, "not json at all");
    line(&f, "[1, 2]");
    line(&f, "{\"nothing\": \"here\"}");

    assert_string_equal(
        value(&f, "req_total{path=\"/a\",status=\"200\",tier=\"free\"}"), "1");
    assert_string_equal(
        value(&f, "req_total{path=\"/a\",status=\"201\",tier=\"free\"}"), "1");
    assert_string_equal(
        value(&f, "req_total{path=\"/a\",status=\"500\",tier=\"pro\"}"), "1");
    /* Tokens only for 200/201; a numeric string counts as a number. */
    assert_string_equal(value(&f, "tokens_total{model=\"m1\"}"), "42");
    assert_string_equal(value(&f, "latency_seconds_bucket{le=\"0.1\"}"), "2");
    assert_string_equal(value(&f, "latency_seconds_bucket{le=\"1\"}"), "2");
    assert_string_equal(value(&f, "latency_seconds_bucket{le=\"+Inf\"}"), "3");
    assert_string_equal(value(&f, "latency_seconds_sum"), "1.1055");
    /* The gauge keeps the last value its condition admitted. */
    assert_string_equal(value(&f, "queue_depth"), "3");

    const struct rule *req = &f.p->rules[0];
    assert_int_equal(req->updates, 3);
    assert_int_equal(req->skipped[UPDATE_SKIP_FIELD_MISSING], 2);
    const struct rule *lat = &f.p->rules[2];
    assert_int_equal(lat->skipped[UPDATE_SKIP_FIELD_MISSING], 2);
    const struct pipeline_input *in = &f.p->inputs[0];
    assert_int_equal(in->lines, 7);
    assert_int_equal(in->skipped[LINE_SKIP_NOT_JSON], 1);
    assert_int_equal(in->skipped[LINE_SKIP_NOT_OBJECT], 1);
    assert_int_equal(in->skipped[LINE_SKIP_UNMATCHED], 2);
    teardown_fixture(&f);
}

static void test_bad_values(void **state)
{
    struct fixture f;
    (void)state;
    build(&f, "inputs:\n  - paths: [x]\n"
              "metrics:\n"
              "  - {name: cost_total, type: counter, value: c, labels: "
              "{m: m}}\n");
    line(&f, "{\"m\": \"a\", \"c\": 0.5}");
    line(&f, "{\"m\": \"a\", \"c\": -0.5}");
    line(&f, "{\"m\": \"a\", \"c\": 1e999999}");
    line(&f, "{\"m\": \"a\", \"c\": \"12abc\"}");
    line(&f, "{\"m\": \"a\", \"c\": [1]}");
    line(&f, "{\"m\": {\"x\": 1}, \"c\": 1}");
    line(&f, "{\"m\": \"a\", \"c\": null}");
    line(&f, "{\"m\": \"a\", \"c\": true}");
    assert_string_equal(value(&f, "cost_total{m=\"a\"}"), "0.5");
    const struct rule *r = &f.p->rules[0];
    assert_int_equal(r->updates, 1);
    assert_int_equal(r->skipped[UPDATE_SKIP_NEGATIVE], 1);
    assert_int_equal(r->skipped[UPDATE_SKIP_OUT_OF_RANGE], 1);
    assert_int_equal(r->skipped[UPDATE_SKIP_WRONG_TYPE], 4);
    assert_int_equal(r->skipped[UPDATE_SKIP_FIELD_MISSING], 1);
    teardown_fixture(&f);
}

static void test_label_values(void **state)
{
    struct fixture f;
    (void)state;
    build(&f, "inputs:\n  - paths: [x]\n"
              "metrics:\n"
              "  - {name: n_total, type: counter, labels: {v: v}}\n");
    /* Escapes decode; invalid UTF-8 and NULs become U+FFFD, so values
     * that would print alike are one series. */
    line(&f, "{\"v\": \"a\\\"b\\u00e9\"}");
    line(&f, "{\"v\": \"x\xff\"}");
    line(&f, "{\"v\": \"x\xfe\"}");
    line(&f, "{\"v\": \"x\\u0000\"}");
    line(&f, "{\"v\": \"x\xed\xa0\x80\"}");          /* an encoded surrogate */
    line(&f, "{\"v\": \"y\xe2\x82z\xf0\x9f\x98\"}"); /* cut sequences */
    line(&f, "{\"v\": 1.50}");
    line(&f, "{\"v\": false}");
    assert_string_equal(value(&f, "n_total{v=\"a\\\"b\xc3\xa9\"}"), "1");
    assert_string_equal(value(&f, "n_total{v=\"x\xef\xbf\xbd\"}"), "3");
    assert_string_equal(
        value(&f, "n_total{v=\"x\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\"}"), "1");
    /* A truncated sequence is one U+FFFD, as Python and browsers do. */
    assert_string_equal(value(&f, "n_total{v=\"y\xef\xbf\xbdz\xef\xbf\xbd\"}"),
                        "1");
    assert_string_equal(value(&f, "n_total{v=\"1.50\"}"), "1");
    assert_string_equal(value(&f, "n_total{v=\"false\"}"), "1");

    /* One byte over the limit. */
    line_with_label(&f, PIPELINE_MAX_LABEL_BYTES + 1);
    assert_int_equal(f.p->rules[0].skipped[UPDATE_SKIP_LABEL_TOO_LONG], 1);
    /* Exactly at the limit is kept. */
    line_with_label(&f, PIPELINE_MAX_LABEL_BYTES);
    assert_int_equal(f.p->rules[0].skipped[UPDATE_SKIP_LABEL_TOO_LONG], 1);
    assert_int_equal(f.p->rules[0].updates, 9);
    teardown_fixture(&f);
}

static void test_inputs_scope(void **state)
{
    struct fixture f;
    (void)state;
    build(&f, "inputs:\n  - {name: a, paths: [x]}\n  - {name: b, paths: [y]}\n"
              "metrics:\n"
              "  - {name: a_total, type: counter, inputs: [a]}\n"
              "  - {name: all_total, type: counter}\n");
    pipeline_line(f.p, 0, "{}", 2);
    pipeline_line(f.p, 1, "{}", 2);
    pipeline_line(f.p, 1, "{}", 2);
    pipeline_skip(f.p, 1, LINE_SKIP_TOO_LONG);
    assert_string_equal(value(&f, "a_total"), "1");
    assert_string_equal(value(&f, "all_total"), "3");
    assert_int_equal(f.p->inputs[1].lines, 3);
    assert_int_equal(f.p->inputs[1].skipped[LINE_SKIP_TOO_LONG], 1);
    teardown_fixture(&f);
}

static void test_numeric_conditions(void **state)
{
    struct fixture f;
    (void)state;
    build(
        &f,
        "inputs:\n  - paths: [x]\n"
        "metrics:\n"
        "  - name: slow_total\n"
        "    type: counter\n"
        "    labels: {severity: {field: rt, default: x}}\n"
        "    const_labels: {kind: warning}\n"
        "    when: [{field: rt, gt: 1}, {field: rt, le: 2}]\n"
        "  - name: critical_total\n"
        "    type: counter\n"
        "    when: {any: [{field: rt, gt: 2}, {field: rt, lt: -5}]}\n"
        "  - name: ge_total\n"
        "    type: counter\n"
        "    when: {field: rt, ge: 1.5}\n"
        "  - name: rate_total\n"
        "    type: counter\n"
        "    when: {field: detail, matches: '^Rate limit .* (minute|hour)'}\n");
    line(&f, "{\"rt\": 1}");          /* not > 1 */
    line(&f, "{\"rt\": 1.0000001}");  /* warning */
    line(&f, "{\"rt\": 2}");          /* warning, ge */
    line(&f, "{\"rt\": \"2.0000\"}"); /* a numeric string: warning, ge */
    line(&f, "{\"rt\": 2.5}");        /* critical, ge */
    line(&f, "{\"rt\": -6}");         /* critical */
    line(&f, "{\"rt\": \"fast\"}");   /* not a number: nothing */
    line(&f, "{\"rt\": 1.5}");        /* warning, ge */
    line(&f, "{\"detail\": \"Rate limit exceeded for minute. Try again\"}");
    line(&f, "{\"detail\": \"Rate limit exceeded for day\"}");
    assert_string_equal(value(&f, "slow_total{severity=\"1.0000001\",kind="
                                  "\"warning\"}"),
                        "1");
    assert_string_equal(
        value(&f, "slow_total{severity=\"2\",kind=\"warning\"}"), "1");
    assert_string_equal(
        value(&f, "slow_total{severity=\"2.0000\",kind=\"warning\"}"), "1");
    assert_string_equal(value(&f, "critical_total"), "2");
    assert_string_equal(value(&f, "ge_total"), "4");
    assert_string_equal(value(&f, "rate_total"), "1");
    teardown_fixture(&f);

    /* A label chosen by conditions, the first that holds. */
    build(&f, "inputs:\n  - paths: [x]\n"
              "metrics:\n"
              "  - name: slow_total\n"
              "    type: counter\n"
              "    labels:\n"
              "      severity:\n"
              "        cases:\n"
              "          - {when: {field: rt, gt: 2}, value: critical}\n"
              "          - {when: {field: rt, gt: 1}, value: warning}\n"
              "    when: {field: rt, gt: 1}\n"
              "  - name: any_total\n"
              "    type: counter\n"
              "    labels:\n"
              "      size: {cases: [{when: {field: n, ge: 100}, value: big}], "
              "default: small}\n");
    line(&f, "{\"rt\": 1}");
    line(&f, "{\"rt\": 1.5, \"n\": 100}");
    line(&f, "{\"rt\": 2}");
    line(&f, "{\"rt\": 2.001}");
    assert_string_equal(value(&f, "slow_total{severity=\"warning\"}"), "2");
    assert_string_equal(value(&f, "slow_total{severity=\"critical\"}"), "1");
    assert_string_equal(value(&f, "any_total{size=\"big\"}"), "1");
    assert_string_equal(value(&f, "any_total{size=\"small\"}"), "3");
    teardown_fixture(&f);
}

static void test_value_sources(void **state)
{
    struct fixture f;
    (void)state;
    build(&f, "inputs:\n  - paths: [x]\n"
              "metrics:\n"
              "  - name: tokens_total\n"
              "    type: counter\n"
              "    labels: {model: model}\n"
              "    values:\n"
              "      - {field: prompt_tokens, labels: {type: prompt}}\n"
              "      - {field: completion_tokens, labels: {type: completion}}\n"
              "      - {field: embedding_tokens, labels: {type: embedding}}\n"
              "  - name: latency_seconds\n"
              "    type: histogram\n"
              "    value: {field: took, regex: '([0-9.]+)ms', scale: 0.001}\n"
              "    buckets: [0.1, 1]\n");
    line(&f, "{\"model\": \"gpt-4o\", \"prompt_tokens\": 10, "
             "\"completion_tokens\": 5}");
    line(&f, "{\"model\": \"emb\", \"embedding_tokens\": 7}");
    line(&f, "{\"model\": \"gpt-4o\", \"prompt_tokens\": 1, "
             "\"completion_tokens\": \"x\"}");
    line(&f, "{\"took\": \"250.5ms\"}");
    line(&f, "{\"took\": \"slow\"}");
    assert_string_equal(
        value(&f, "tokens_total{model=\"gpt-4o\",type=\"prompt\"}"), "11");
    assert_string_equal(
        value(&f, "tokens_total{model=\"gpt-4o\",type=\"completion\"}"), "5");
    assert_string_equal(
        value(&f, "tokens_total{model=\"emb\",type=\"embedding\"}"), "7");
    assert_int_equal(f.p->rules[0].skipped[UPDATE_SKIP_WRONG_TYPE], 1);
    assert_int_equal(f.p->rules[0].skipped[UPDATE_SKIP_FIELD_MISSING], 0);
    assert_string_equal(value(&f, "latency_seconds_sum"), "0.2505");
    assert_string_equal(value(&f, "latency_seconds_count"), "1");
    assert_int_equal(f.p->rules[1].skipped[UPDATE_SKIP_NO_MATCH], 1);
    teardown_fixture(&f);
}

/* Values computed from several fields: exact, scaled, and every way of
 * failing counted under its reason. */
static void test_expressions(void **state)
{
    struct fixture f;
    (void)state;
    build(&f, "inputs:\n  - paths: [x]\n"
              "metrics:\n"
              "  - name: tokens_total\n"
              "    type: counter\n"
              "    labels: {model: model}\n"
              "    value: {expr: \"usage.prompt + usage.completion\"}\n"
              "  - name: header_bytes_total\n"
              "    type: counter\n"
              "    value: {expr: \"sent - body\", scale: 0.5}\n"
              "  - name: per_token_seconds\n"
              "    type: histogram\n"
              "    value: {expr: \"ms / usage.completion\", scale: 0.001}\n"
              "    buckets: [0.001, 0.01]\n"
              "  - name: parts_total\n"
              "    type: counter\n"
              "    values:\n"
              "      - {expr: \"len(choices)\", labels: {what: choices}}\n"
              "      - {expr: \"usage.prompt * 2\", labels: {what: double}}\n");
    line(&f, "{\"model\": \"m\", \"usage\": {\"prompt\": 1200, "
             "\"completion\": 34}, \"sent\": 1500, \"body\": 1200, "
             "\"ms\": 68, \"choices\": [1, 2, 3]}");
    line(&f, "{\"model\": \"m\", \"usage\": {\"prompt\": \"0040\", "
             "\"completion\": 0}, \"sent\": 10, \"body\": 11, \"ms\": 5}");
    line(&f, "{\"model\": \"m\", \"usage\": {\"prompt\": 1}, "
             "\"sent\": \"x\", \"body\": 1}");
    assert_string_equal(value(&f, "tokens_total{model=\"m\"}"), "1274");
    assert_int_equal(f.p->rules[0].skipped[UPDATE_SKIP_FIELD_MISSING], 1);
    /* (1500 - 1200) * 0.5; then 10 - 11 is negative for a counter. */
    assert_string_equal(value(&f, "header_bytes_total"), "150");
    assert_int_equal(f.p->rules[1].skipped[UPDATE_SKIP_NEGATIVE], 1);
    assert_int_equal(f.p->rules[1].skipped[UPDATE_SKIP_WRONG_TYPE], 1);
    /* 68 / 34 * 0.001 = 0.002; 5 / 0 is skipped. */
    assert_string_equal(value(&f, "per_token_seconds_sum"), "0.002");
    assert_string_equal(value(&f, "per_token_seconds_bucket{le=\"0.01\"}"),
                        "1");
    assert_int_equal(f.p->rules[2].skipped[UPDATE_SKIP_DIVISION_BY_ZERO], 1);
    assert_int_equal(f.p->rules[2].skipped[UPDATE_SKIP_FIELD_MISSING], 1);
    /* Entries of values apply where the line has all their fields. */
    assert_string_equal(value(&f, "parts_total{what=\"choices\"}"), "3");
    assert_string_equal(value(&f, "parts_total{what=\"double\"}"), "2482");
    assert_int_equal(f.p->rules[3].skipped[UPDATE_SKIP_FIELD_MISSING], 0);
    teardown_fixture(&f);
}

/* In-flight requests from start and end events; the slowest and fastest
 * request seen. */
static void test_gauge_updates(void **state)
{
    struct fixture f;
    (void)state;
    build(&f, "inputs:\n  - paths: [x]\n"
              "metrics:\n"
              "  - name: requests_in_flight\n"
              "    type: gauge\n"
              "    update: add\n"
              "    labels: {route: route}\n"
              "    values:\n"
              "      - {expr: \"1\", when: {field: event, equals: start}}\n"
              "      - {expr: \"-1\", when: {field: event, equals: end}}\n"
              "  - name: slowest_seconds\n"
              "    type: gauge\n"
              "    update: max\n"
              "    value: {field: ms, scale: 0.001}\n"
              "  - name: fastest_seconds\n"
              "    type: gauge\n"
              "    update: min\n"
              "    value: {field: ms, scale: 0.001}\n");
    line(&f, "{\"event\": \"start\", \"route\": \"/a\"}");
    line(&f, "{\"event\": \"start\", \"route\": \"/a\"}");
    line(&f, "{\"event\": \"start\", \"route\": \"/b\"}");
    line(&f, "{\"event\": \"end\", \"route\": \"/a\", \"ms\": 250}");
    line(&f, "{\"event\": \"end\", \"route\": \"/b\", \"ms\": 1250.5}");
    line(&f, "{\"event\": \"end\", \"route\": \"/b\", \"ms\": 75}");
    line(&f, "{\"event\": \"progress\", \"route\": \"/a\"}");
    assert_string_equal(value(&f, "requests_in_flight{route=\"/a\"}"), "1");
    assert_string_equal(value(&f, "requests_in_flight{route=\"/b\"}"), "-1");
    assert_string_equal(value(&f, "slowest_seconds"), "1.2505");
    assert_string_equal(value(&f, "fastest_seconds"), "0.075");
    /* A line no entry applies to is no update and no skip. */
    assert_int_equal(f.p->rules[0].updates, 6);
    assert_int_equal(f.p->rules[0].skipped[UPDATE_SKIP_FIELD_MISSING], 0);
    assert_int_equal(f.p->inputs[0].skipped[LINE_SKIP_UNMATCHED], 1);
    teardown_fixture(&f);
}

/* A path no route pattern matches is counted under the fallback, not
 * lost; a missing field is still missing. */
static void test_label_otherwise(void **state)
{
    struct fixture f;
    (void)state;
    build(&f, "inputs:\n  - paths: [x]\n"
              "metrics:\n"
              "  - name: http_requests_total\n"
              "    type: counter\n"
              "    labels:\n"
              "      route: {field: uri, regex: '^(/api/v1/[a-z]+)', "
              "otherwise: other}\n"
              "      class: {field: status, status_class: true, otherwise: "
              "unknown}\n");
    line(&f, "{\"uri\": \"/api/v1/chat?x=1\", \"status\": \"200\"}");
    line(&f, "{\"uri\": \"/static/x.js\", \"status\": 304}");
    line(&f, "{\"uri\": \"/favicon.ico\", \"status\": \"-\"}");
    line(&f, "{\"status\": 200}");
    assert_string_equal(
        value(&f, "http_requests_total{route=\"/api/v1/chat\",class=\"2xx\"}"),
        "1");
    assert_string_equal(
        value(&f, "http_requests_total{route=\"other\",class=\"3xx\"}"), "1");
    assert_string_equal(
        value(&f, "http_requests_total{route=\"other\",class=\"unknown\"}"),
        "1");
    assert_int_equal(f.p->rules[0].skipped[UPDATE_SKIP_NO_MATCH], 0);
    assert_int_equal(f.p->rules[0].skipped[UPDATE_SKIP_FIELD_MISSING], 1);
    teardown_fixture(&f);
}

/* A counter without labels is there at 0 before its first line, so
 * that rate() sees the first increment; labelled series come with their
 * first line, as in the client libraries. */
static void test_counter_from_zero(void **state)
{
    struct fixture f;
    (void)state;
    build(&f, "inputs:\n  - paths: [x]\n"
              "metrics:\n"
              "  - {name: errors_total, type: counter,\n"
              "     const_labels: {service: api}}\n"
              "  - {name: bytes_total, type: counter, value: n}\n"
              "  - {name: by_code_total, type: counter, labels: {code: c}}\n"
              "  - {name: kinds_total, type: counter,\n"
              "     values: [{field: n, labels: {kind: n}}]}\n"
              "  - {name: last, type: gauge, value: n}\n"
              "  - {name: h, type: histogram, value: n, buckets: [1]}\n");
    struct buf b = {0};
    expfmt_write(f.reg, &b);
    assert_non_null(strstr(b.data, "\nerrors_total{service=\"api\"} 0\n"));
    assert_non_null(strstr(b.data, "\nbytes_total 0\n"));
    assert_null(strstr(b.data, "\nby_code_total{"));
    assert_null(strstr(b.data, "\nkinds_total{"));
    assert_null(strstr(b.data, "\nlast "));
    assert_null(strstr(b.data, "\nh_count"));
    buf_free(&b);
    line(&f, "{\"n\": 5, \"c\": 200}");
    assert_string_equal(value(&f, "errors_total{service=\"api\"}"), "1");
    assert_string_equal(value(&f, "bytes_total"), "5");
    assert_string_equal(value(&f, "by_code_total{code=\"200\"}"), "1");
    struct family_stats st;
    family_get_stats(f.p->rules[0].family, &st);
    assert_int_equal(st.series, 1);
    teardown_fixture(&f);
}

/* Python's NaN and Infinity keep the line when the input says so: the
 * fields holding them are missing, the rest counts. */
static void test_non_finite(void **state)
{
    struct fixture f;
    (void)state;
    build(&f, "inputs:\n"
              "  - {paths: [x], parser: {type: json, non_finite: missing}}\n"
              "  - {paths: [y]}\n"
              "metrics:\n"
              "  - name: req_total\n"
              "    type: counter\n"
              "    labels: {path: p, score: {field: s, default: none}}\n"
              "  - name: latency_seconds\n"
              "    type: histogram\n"
              "    value: ms\n"
              "    buckets: [1]\n");
    static const char *const lines[] = {
        "{\"p\": \"/a\", \"ms\": NaN, \"s\": Infinity}",
        "{\"p\": \"/a\", \"ms\": 0.5, \"s\": -Infinity}",
        "{\"p\": \"/a\", \"ms\": 2, \"s\": 1}",
    };
    for (int i = 0; i < 3; i++) {
        pipeline_line(f.p, 0, lines[i], strlen(lines[i]));
        pipeline_line(f.p, 1, lines[i], strlen(lines[i]));
    }
    assert_string_equal(value(&f, "req_total{path=\"/a\",score=\"none\"}"),
                        "2");
    assert_string_equal(value(&f, "req_total{path=\"/a\",score=\"1\"}"), "2");
    assert_string_equal(value(&f, "latency_seconds_count"), "3");
    assert_string_equal(value(&f, "latency_seconds_sum"), "4.5");
    assert_int_equal(f.p->rules[1].skipped[UPDATE_SKIP_FIELD_MISSING], 1);
    assert_int_equal(f.p->inputs[0].skipped[LINE_SKIP_NOT_JSON], 0);
    assert_int_equal(f.p->inputs[1].skipped[LINE_SKIP_NOT_JSON], 2);
    teardown_fixture(&f);
}

static void test_cost(void **state)
{
    struct fixture f;
    (void)state;
    build(&f, "inputs:\n  - paths: [x]\n"
              "pricing:\n"
              "  per: 1k\n"
              "  models:\n"
              "    gpt-4o: {prompt: 0.01, completion: 0.03}\n"
              "    text-embedding-3-small: {embedding: 0.0001}\n"
              "metrics:\n"
              "  - name: cost_total\n"
              "    type: counter\n"
              "    labels: {op: op}\n"
              "    cost:\n"
              "      model: model\n"
              "      prompt: prompt_tokens\n"
              "      completion: completion_tokens\n"
              "      embedding: embedding_tokens\n"
              "      prefer: cost_usd\n");
    line(&f, "{\"op\": \"chat\", \"model\": \"gpt-4o\", "
             "\"prompt_tokens\": 1234, \"completion_tokens\": 1}");
    line(&f, "{\"op\": \"emb\", \"model\": \"text-embedding-3-small\", "
             "\"embedding_tokens\": 7}");
    line(&f, "{\"op\": \"chat\", \"model\": \"mystery\", "
             "\"prompt_tokens\": 50}");
    line(&f, "{\"op\": \"chat\", \"model\": \"gpt-4o\", "
             "\"prompt_tokens\": 5, \"embedding_tokens\": 9}");
    line(&f, "{\"op\": \"own\", \"cost_usd\": 0.5, \"prompt_tokens\": 99}");
    line(&f, "{\"op\": \"none\"}");
    /* 1234 * 0.01/1k + 1 * 0.03/1k + 5 * 0.01/1k, exactly. */
    assert_string_equal(value(&f, "cost_total{op=\"chat\"}"), "0.01242");
    assert_string_equal(value(&f, "cost_total{op=\"emb\"}"), "0.0000007");
    assert_string_equal(value(&f, "cost_total{op=\"own\"}"), "0.5");
    assert_string_equal(
        value(&f, "tokentail_unpriced_tokens_total{metric=\"cost_total\","
                  "model=\"mystery\"}"),
        "50");
    assert_string_equal(
        value(&f, "tokentail_unpriced_tokens_total{metric=\"cost_total\","
                  "model=\"gpt-4o\"}"),
        "9");
    assert_int_equal(f.p->rules[0].skipped[UPDATE_SKIP_UNPRICED], 1);
    assert_int_equal(f.p->rules[0].skipped[UPDATE_SKIP_FIELD_MISSING], 0);
    teardown_fixture(&f);
}

/* Two costs of the same tokens, OpenAI's shape: each counts the line's
 * unpriced tokens once, under its own name; a model with no cached price
 * and no cached tokens shows no unpriced series. */
static void test_costs_of_same_tokens(void **state)
{
    struct fixture f;
    (void)state;
    build(&f, "inputs:\n  - paths: [x]\n"
              "pricing:\n"
              "  per: 1M\n"
              "  models:\n"
              "    gpt-4o: {input: 2.5, cached_input: 1.25, output: 10}\n"
              "    gpt-4o-2024-05-13: {input: 5, output: 15}\n"
              "metrics:\n"
              "  - name: by_model_total\n"
              "    type: counter\n"
              "    labels: {model: model}\n"
              "    cost: &cost\n"
              "      model: model\n"
              "      prompt: usage.prompt_tokens\n"
              "      completion: usage.completion_tokens\n"
              "      cached: usage.prompt_tokens_details.cached_tokens\n"
              "      cached_in_prompt: true\n"
              "  - name: by_user_total\n"
              "    type: counter\n"
              "    labels: {user: user}\n"
              "    cost: *cost\n");
    line(&f, "{\"model\": \"gpt-4o\", \"user\": \"a\", \"usage\": "
             "{\"prompt_tokens\": 1000000, \"completion_tokens\": 0, "
             "\"prompt_tokens_details\": {\"cached_tokens\": 500000}}}");
    line(&f, "{\"model\": \"o3\", \"user\": \"a\", \"usage\": "
             "{\"prompt_tokens\": 100, \"completion_tokens\": 7, "
             "\"prompt_tokens_details\": {\"cached_tokens\": 90}}}");
    line(&f, "{\"model\": \"gpt-4o-2024-05-13\", \"user\": \"b\", "
             "\"usage\": {\"prompt_tokens\": 1000, \"completion_tokens\": "
             "100, \"prompt_tokens_details\": {\"cached_tokens\": 0}}}");
    line(&f, "{\"model\": \"gpt-4o\", \"user\": \"b\", \"usage\": "
             "{\"prompt_tokens\": 10, \"prompt_tokens_details\": "
             "{\"cached_tokens\": 11}}}");
    assert_string_equal(value(&f, "by_model_total{model=\"gpt-4o\"}"), "1.875");
    assert_string_equal(
        value(&f, "by_model_total{model=\"gpt-4o-2024-05-13\"}"), "0.0065");
    assert_string_equal(value(&f, "by_user_total{user=\"a\"}"), "1.875");
    assert_string_equal(value(&f, "by_user_total{user=\"b\"}"), "0.0065");
    assert_string_equal(value(&f, "tokentail_unpriced_tokens_total{metric="
                                  "\"by_model_total\",model=\"o3\"}"),
                        "107");
    assert_string_equal(value(&f, "tokentail_unpriced_tokens_total{metric="
                                  "\"by_user_total\",model=\"o3\"}"),
                        "107");
    assert_string_equal(value(&f, "tokentail_unpriced_tokens_total{metric="
                                  "\"by_model_total\",model=\"gpt-4o-2024-"
                                  "05-13\"}"),
                        "");
    for (int i = 0; i < 2; i++) {
        assert_int_equal(f.p->rules[i].skipped[UPDATE_SKIP_UNPRICED], 1);
        assert_int_equal(
            f.p->rules[i].skipped[UPDATE_SKIP_CACHED_EXCEEDS_PROMPT], 1);
        assert_int_equal(f.p->rules[i].updates, 2);
    }
    assert_string_equal(
        pipeline_update_skip_name(UPDATE_SKIP_CACHED_EXCEEDS_PROMPT),
        "cached_exceeds_prompt");
    teardown_fixture(&f);
}

/* With a default entry every model has a price; money does not drift. */
static void test_cost_no_drift(void **state)
{
    struct fixture f;
    (void)state;
    build(&f, "inputs:\n  - paths: [x]\n"
              "pricing: {per: 1M, models: {default: {input: 1}}}\n"
              "metrics:\n"
              "  - {name: c_total, type: counter, cost: {prompt: t}}\n");
    for (int i = 0; i < 100000; i++)
        line(&f, "{\"t\": 1}");
    assert_string_equal(value(&f, "c_total"), "0.1");
    teardown_fixture(&f);
}

static void test_label_transforms(void **state)
{
    struct fixture f;
    (void)state;
    build(&f, "inputs:\n  - paths: [x]\n"
              "metrics:\n"
              "  - name: keys_total\n"
              "    type: counter\n"
              "    labels:\n"
              "      api_key: {field: api_key, mask: true}\n"
              "      class: {field: status, status_class: true}\n"
              "  - name: auth_total\n"
              "    type: counter\n"
              "    labels:\n"
              "      reason:\n"
              "        field: detail\n"
              "        map: {Missing API key: missing_key, Invalid API key: "
              "invalid_key}\n"
              "  - name: window_total\n"
              "    type: counter\n"
              "    labels:\n"
              "      window: {field: detail, regex: 'exceeded for (\\w+)', "
              "default: none}\n");
    line(&f, "{\"api_key\": \"sk-test-0123456789abcdefy123\", \"status\": "
             "200}");
    line(&f, "{\"status\": 404}");
    line(&f, "{\"api_key\": \"short1\", \"status\": \"201\"}");
    line(&f, "{\"api_key\": 12345, \"status\": 999}");
    line(&f, "{\"detail\": \"Missing API key\"}");
    line(&f, "{\"detail\": \"API key is inactive\"}");
    line(&f, "{\"detail\": \"Rate limit exceeded for minute. Try again\"}");
    assert_string_equal(
        value(&f, "keys_total{api_key=\"sk-t...y123\",class=\"2xx\"}"), "1");
    assert_string_equal(value(&f, "keys_total{api_key=\"unknown\",class="
                                  "\"4xx\"}"),
                        "1");
    assert_string_equal(
        value(&f, "keys_total{api_key=\"short_key\",class=\"2xx\"}"), "1");
    assert_int_equal(f.p->rules[0].skipped[UPDATE_SKIP_WRONG_TYPE], 1);
    assert_string_equal(value(&f, "auth_total{reason=\"missing_key\"}"), "1");
    assert_int_equal(f.p->rules[1].skipped[UPDATE_SKIP_UNMAPPED], 2);
    assert_string_equal(value(&f, "window_total{window=\"minute\"}"), "1");
    assert_string_equal(value(&f, "window_total{window=\"none\"}"), "4");
    assert_int_equal(f.p->rules[2].skipped[UPDATE_SKIP_NO_MATCH], 2);
    teardown_fixture(&f);
}

static void test_parser_list(void **state)
{
    struct fixture f;
    (void)state;
    build(&f, "inputs:\n"
              "  - paths: [x]\n"
              "    parser:\n"
              "      - json\n"
              "      - {type: regex, pattern: '^\\[(?<level>\\w+)\\] '}\n"
              "      - logfmt\n"
              "metrics:\n"
              "  - {name: by_level_total, type: counter, labels: {level: "
              "level}}\n");
    line(&f, "{\"level\": \"INFO\"}");
    line(&f, "[ERROR] 2025-10-21 15:42:23 - app.services.grok - failed");
    line(&f, "level=WARN msg=\"slow\"");
    line(&f, "Traceback (most recent call last):");
    line(&f, "{\"level\": \"INFO\", broken");
    assert_string_equal(value(&f, "by_level_total{level=\"INFO\"}"), "1");
    assert_string_equal(value(&f, "by_level_total{level=\"ERROR\"}"), "1");
    assert_string_equal(value(&f, "by_level_total{level=\"WARN\"}"), "1");
    assert_int_equal(f.p->inputs[0].skipped[LINE_SKIP_UNPARSED], 2);
    teardown_fixture(&f);
}

/*
 * Conditions written once and used by several metrics (a YAML alias)
 * are tested once a line, and metrics with other conditions, even
 * similar ones, keep their own: the counts are what each condition says.
 */
static void test_shared_conditions(void **state)
{
    struct fixture f;
    (void)state;
    build(&f,
          "inputs:\n  - paths: [x]\n"
          "metrics:\n"
          "  - name: a_total\n    type: counter\n"
          "    when: &ok [{field: s, equals: ok}, {field: n, exists: true}]\n"
          "  - name: b_total\n    type: counter\n    value: n\n"
          "    when: *ok\n"
          "  - name: c_total\n    type: counter\n"
          "    when: [{field: s, equals: ok}]\n"
          "  - name: d_total\n    type: counter\n"
          "    when: [{field: s, equals: ok}, {field: n, exists: true}]\n"
          "  - name: e_total\n    type: counter\n"
          "    when: [{field: s, equals: ko}, {field: n, exists: true}]\n");
    const struct pipeline *p = f.p;
    assert_ptr_equal(p->rules[1].when_kept, &p->rules[0]);
    assert_ptr_equal(p->rules[2].when_kept, &p->rules[2]);
    assert_ptr_equal(p->rules[3].when_kept, &p->rules[0]);
    assert_ptr_equal(p->rules[4].when_kept, &p->rules[4]);
    line(&f, "{\"s\": \"ok\", \"n\": 5}");
    line(&f, "{\"s\": \"ok\"}");
    line(&f, "{\"s\": \"ko\", \"n\": 7}");
    line(&f, "{\"s\": \"ok\", \"n\": 2}");
    assert_string_equal(value(&f, "a_total"), "2");
    assert_string_equal(value(&f, "b_total"), "7");
    assert_string_equal(value(&f, "c_total"), "3");
    assert_string_equal(value(&f, "d_total"), "2");
    assert_string_equal(value(&f, "e_total"), "1");
    teardown_fixture(&f);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_rules),
        cmocka_unit_test(test_bad_values),
        cmocka_unit_test(test_label_values),
        cmocka_unit_test(test_inputs_scope),
        cmocka_unit_test(test_numeric_conditions),
        cmocka_unit_test(test_value_sources),
        cmocka_unit_test(test_expressions),
        cmocka_unit_test(test_gauge_updates),
        cmocka_unit_test(test_label_otherwise),
        cmocka_unit_test(test_counter_from_zero),
        cmocka_unit_test(test_non_finite),
        cmocka_unit_test(test_cost),
        cmocka_unit_test(test_costs_of_same_tokens),
        cmocka_unit_test(test_cost_no_drift),
        cmocka_unit_test(test_label_transforms),
        cmocka_unit_test(test_parser_list),
        cmocka_unit_test(test_shared_conditions),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
