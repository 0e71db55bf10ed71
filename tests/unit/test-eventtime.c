/*
 * Event time (eventtime.h) and the values made of times: an input's
 * "time" and a value's "duration" and "as" as the configuration loads
 * them, every mistake reported at its line and column; each line's time,
 * its fallbacks and its lateness; an observer of a metric's updates
 * hearing each with its event time; and metrics fed by the seconds between
 * two times and by duration texts, exactly.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "config_helpers.h"
#include "eventtime.h"
#include "helpers.h"

/* --- the configuration ------------------------------------------------------
 */

#define METRIC "metrics: [{name: n_total, type: counter}]\n"

static void test_input_time(void **state)
{
    struct config *cfg;
    (void)state;
    const char *out = load("inputs:\n"
                           "  - {name: a, paths: [a.log], time: ts}\n"
                           "  - name: b\n"
                           "    paths: [b.log]\n"
                           "    time: {field: when.at, format: unix_ms}\n"
                           "  - name: c\n"
                           "    paths: [c.log]\n"
                           "    time:\n"
                           "      field: time\n"
                           "      format: '%d/%b/%Y:%H:%M:%S'\n"
                           "      timezone: Europe/Berlin\n"
                           "  - {name: d, paths: [d.log], time: {field: ts, "
                           "timezone: Europe/Berlin}}\n"
                           "  - {name: e, paths: [e.log]}\n" METRIC,
                           &cfg);
    assert_string_equal(out, "");
    const struct cfg_time *a = cfg->inputs[0].time, *b = cfg->inputs[1].time,
                          *c = cfg->inputs[2].time, *d = cfg->inputs[3].time;
    assert_string_equal(cfg->fields[a->field].path, "ts");
    assert_string_equal(a->format, "auto");
    assert_int_equal(a->fmt.kind, TIMEFMT_AUTO);
    assert_null(a->fmt.zone);
    assert_string_equal(cfg->fields[b->field].path, "when.at");
    assert_int_equal(b->fmt.kind, TIMEFMT_UNIX_MS);
    assert_int_equal(c->fmt.kind, TIMEFMT_PATTERN);
    assert_string_equal(tz_name(c->fmt.zone), "Europe/Berlin");
    assert_int_equal(d->field, a->field);
    /* One zone loaded for both inputs that name it. */
    assert_ptr_equal(d->fmt.zone, c->fmt.zone);
    assert_null(cfg->zones->next);
    assert_null(cfg->inputs[4].time);
    config_free(cfg);
}

static void test_input_time_errors(void **state)
{
    (void)state;
    expect_error("inputs:\n  - paths: [a]\n    time: {fild: ts}\n" METRIC,
                 "t.yaml:3:12: unknown key \"fild\" in time (did you mean "
                 "\"field\"?)");
    expect_error("inputs:\n  - paths: [a]\n    time: {format: unix}\n" METRIC,
                 "t.yaml:3:11: time needs \"field\": the field holding each "
                 "line's time");
    expect_error("inputs:\n  - paths: [a]\n    time: [ts]\n" METRIC,
                 "t.yaml:3:11: time must be a mapping");
    expect_error("inputs:\n  - paths: [a]\n    time: {field: ts, format: "
                 "iso}\n" METRIC,
                 "t.yaml:3:31: unknown time format \"iso\" (auto, rfc3339, "
                 "unix, unix_ms, unix_us, unix_ns, or a pattern of % "
                 "directives)");
    expect_error("inputs:\n  - paths: [a]\n    time: {field: ts, format: "
                 "'%H:%M'}\n" METRIC,
                 "t.yaml:3:31: time format \"%H:%M\": it has no year (%Y or "
                 "%y)");
    expect_error("inputs:\n  - paths: [a]\n    time: {field: ts, timezone: "
                 "Europe/Berln}\n" METRIC,
                 "t.yaml:3:33: unknown time zone \"Europe/Berln\" (did you "
                 "mean \"Europe/Berlin\"?)");
    expect_error("inputs:\n  - paths: [a]\n    time: {field: ts, timezone: "
                 "berlin}\n" METRIC,
                 "t.yaml:3:33: unknown time zone \"berlin\" (did you mean "
                 "\"Europe/Berlin\"?)");
    expect_error("inputs:\n  - paths: [a]\n    time: {field: ts, timezone: "
                 "utc}\n" METRIC,
                 "t.yaml:3:33: unknown time zone \"utc\" (did you mean "
                 "\"UTC\"?)");
    expect_error("inputs:\n  - paths: [a]\n    time: {field: ts, timezone: "
                 "Mars/Olympus_Mons}\n" METRIC,
                 "t.yaml:3:33: unknown time zone \"Mars/Olympus_Mons\": not "
                 "in /usr/share/zoneinfo (an IANA name such as "
                 "Europe/Berlin, or UTC)");
    expect_error("inputs:\n  - paths: [a]\n    time: {field: ts, timezone: "
                 "../../etc/passwd}\n" METRIC,
                 "t.yaml:3:33: \"../../etc/passwd\" is not a time zone name");
    expect_error("inputs:\n  - paths: [a]\n    time: {field: ts, timezone: "
                 "right/UTC}\n" METRIC,
                 "t.yaml:3:33: time zone \"right/UTC\": "
                 "/usr/share/zoneinfo/right/UTC is not a TZif file tokentail "
                 "can use (leap-second zones are not)");
    expect_error("inputs:\n  - paths: [a]\n    time: {field: ts, format: "
                 "unix, timezone: Europe/Berlin}\n" METRIC,
                 "t.yaml:3:47: timezone applies to times written without an "
                 "offset; unix times are UTC");
    /* Every mistake in one run. */
    struct config *cfg;
    const char *out = load("inputs:\n"
                           "  - {paths: [a], time: {field: ts, format: x}}\n"
                           "  - {paths: [b], time: {field: ts, timezone: "
                           "Nowhere}}\n" METRIC,
                           &cfg);
    assert_non_null(strstr(out, "t.yaml:2:44: unknown time format \"x\""));
    assert_non_null(strstr(out, "t.yaml:3:46: unknown time zone \"Nowhere\""));
}

static void test_value_time(void **state)
{
    struct config *cfg;
    (void)state;
    const char *out = load(
        "inputs: [{paths: [a]}]\n"
        "metrics:\n"
        "  - name: latency_seconds\n"
        "    type: histogram\n"
        "    value: {duration: {from: startTime, to: endTime}}\n"
        "  - name: wait_seconds\n"
        "    type: histogram\n"
        "    value: {duration: {from: a, to: b, format: '%Y-%m-%d %H:%M:%S',"
        " timezone: America/New_York}, scale: 1000}\n"
        "  - name: go_seconds\n"
        "    type: gauge\n"
        "    value: {field: latency, as: duration}\n"
        "  - name: n_seconds_total\n"
        "    type: counter\n"
        "    values:\n"
        "      - {field: x, as: number, labels: {k: x}}\n"
        "      - {duration: {from: a, to: b}, labels: {k: y}}\n",
        &cfg);
    assert_string_equal(out, "");
    const struct cfg_value *v = &cfg->metrics[0].values[0];
    assert_int_equal(v->field, -1);
    assert_string_equal(cfg->fields[v->between->from].path, "startTime");
    assert_string_equal(cfg->fields[v->between->to].path, "endTime");
    assert_string_equal(v->between->format, "auto");
    assert_string_equal(cfg->metrics[0].help,
                        "Distribution of the seconds from startTime to "
                        "endTime.");
    v = &cfg->metrics[1].values[0];
    assert_int_equal(v->between->fmt.kind, TIMEFMT_PATTERN);
    assert_string_equal(tz_name(v->between->fmt.zone), "America/New_York");
    assert_true(v->has_scale);
    v = &cfg->metrics[2].values[0];
    assert_int_equal(v->as, VALUE_AS_DURATION);
    assert_null(v->between);
    assert_string_equal(cfg->metrics[2].help, "Last value of log field "
                                              "latency.");
    assert_int_equal(cfg->metrics[3].values[0].as, VALUE_AS_NUMBER);
    assert_non_null(cfg->metrics[3].values[1].between);
    assert_string_equal(config_value_as_name(VALUE_AS_DURATION), "duration");
    assert_int_equal(config_value_as_parse("number"), VALUE_AS_NUMBER);
    assert_int_equal(config_value_as_parse("seconds"), -1);
    config_free(cfg);
}

#define HEAD                                                                   \
    "inputs: [{paths: [a]}]\nmetrics:\n  - name: d_seconds\n    type: "        \
    "histogram\n"

static void test_value_time_errors(void **state)
{
    (void)state;
    expect_error(HEAD "    value: {duration: {from: a}}\n",
                 "t.yaml:5:23: a duration needs \"from\" and \"to\": the "
                 "fields holding when it starts and ends");
    expect_error(HEAD "    value: {field: x, duration: {from: a, to: b}}\n",
                 "t.yaml:5:12: a value takes its number from \"field\" or "
                 "from \"duration\", not both");
    expect_error(HEAD "    value: {as: duration, duration: {from: a, to: "
                      "b}}\n",
                 "t.yaml:5:17: \"as\" says how a field's text is read; a "
                 "duration's times are read by its \"format\"");
    expect_error(HEAD "    value: {regex: '(\\d+)', duration: {from: a, to: "
                      "b}}\n",
                 "t.yaml:5:20: regex takes a number from a field's text; a "
                 "duration has no field");
    expect_error(HEAD "    value: {field: x, as: seconds}\n",
                 "t.yaml:5:27: as must be number or duration, not "
                 "\"seconds\"");
    expect_error(HEAD "    value: {duration: {from: a, to: b, format: "
                      "'%Y'}}\n",
                 "t.yaml:5:48: time format \"%Y\": it has no month and day");
    expect_error(HEAD "    value: {duration: {from: a, to: b, timezone: "
                      "Europe/Pari}}\n",
                 "t.yaml:5:50: unknown time zone \"Europe/Pari\" (did you mean "
                 "\"Europe/Paris\"?)");
    expect_error(HEAD "    value: {duration: {from: a, to: b, since: c}}\n",
                 "t.yaml:5:40: unknown key \"since\" in a duration");
    expect_error(HEAD "    value: {scale: 2}\n",
                 "t.yaml:5:12: a value needs \"field\" (or \"expr\" or "
                 "\"duration\")");
}

/* --- event times and lateness ----------------------------------------------
 */

/* Parses line with the input's first parser, as the pipeline does. */
static void parse(struct fixture *f, const char *line)
{
    fields_next(&f->p->fields);
    assert_int_equal(parser_parse(f->p->inputs[0].parsers[0], line,
                                  strlen(line), &f->p->fields.set),
                     PARSE_OK);
}

/* 2025-10-21T15:42:22Z */
#define T0 "1761061342"

static void test_lateness(void **state)
{
    struct fixture f;
    (void)state;
    build(&f, "inputs: [{name: api, paths: [a], time: ts}]\n" METRIC);
    struct eventtime *et = f.p->inputs[0].time;
    static const struct {
        const char *line, *read_at, *event;
    } lines[] = {
        {"{\"ts\": \"2025-10-21T15:42:22Z\"}", T0 ".01", T0}, /* 0.01 */
        {"{\"ts\": \"2025-10-21T15:42:22Z\"}", T0 ".010000000001", T0},
        {"{\"ts\": 1761061342.5}", T0 ".75", T0 ".5"},              /* 0.25 */
        {"{\"ts\": \"2025-10-21T15:42:22.9Z\"}", T0 ".5", T0 ".9"}, /* ahead */
        {"{\"ts\": \"2025-10-21T14:42:22+00:00\"}", T0, "1761057742"},
        {"{\"ts\": \"2025-09-01T00:00:00Z\"}", T0, "1756684800"}, /* 50 d */
        {"{\"ts\": null}", T0, T0},
        {"{\"other\": 1}", T0 ".5", T0 ".5"},
        {"{\"ts\": \"yesterday\"}", T0, T0},
        {"{\"ts\": {\"at\": 1}}", T0, T0},
        {"{\"ts\": 1761061342000}", T0, T0},
        {"{\"ts\": true}", T0, T0},
    };
    for (size_t i = 0; i < sizeof(lines) / sizeof(lines[0]); i++) {
        parse(&f, lines[i].line);
        num_fixed t =
            eventtime_line(et, &f.p->fields, dec(lines[i].read_at), false);
        if (t != dec(lines[i].event))
            fail_msg("line %zu: a different event time", i);
    }
    struct eventtime_stats st;
    eventtime_get_stats(et, &st);
    assert_int_equal(st.fallbacks[EVENTTIME_MISSING], 2);
    assert_int_equal(st.fallbacks[EVENTTIME_UNPARSABLE], 3);
    assert_int_equal(st.fallbacks[EVENTTIME_OUT_OF_RANGE], 1);
    assert_int_equal(st.ahead, 1);
#define BUCKET(le)                                                             \
    "tokentail_event_lateness_seconds_bucket{input=\"api\",le=\"" le "\"}"
    assert_string_equal(value(&f, BUCKET("0.01")), "2"); /* ahead, 0.01 */
    assert_string_equal(value(&f, BUCKET("0.05")), "3");
    assert_string_equal(value(&f, BUCKET("0.25")), "4");
    assert_string_equal(value(&f, BUCKET("3600")), "5");
    assert_string_equal(value(&f, BUCKET("2592000")), "5");
    assert_string_equal(value(&f, BUCKET("+Inf")), "6");
    assert_string_equal(
        value(&f, "tokentail_event_lateness_seconds_sum{input=\"api\"}"),
        "4380142.270000000001");
    assert_string_equal(eventtime_fallback_name(EVENTTIME_OUT_OF_RANGE),
                        "out_of_range");
    /* After a coarse read time, the clock itself decides: this line's
     * 2025 is long past, not ahead. */
    parse(&f, "{\"ts\": \"2025-10-21T15:42:22.9Z\"}");
    assert_true(eventtime_line(et, &f.p->fields, dec(T0 ".5"), true) ==
                dec(T0 ".9"));
    eventtime_get_stats(et, &st);
    assert_int_equal(st.ahead, 1);
    assert_string_equal(value(&f, BUCKET("+Inf")), "7");
    assert_string_equal(value(&f, BUCKET("2592000")), "5");
    teardown_fixture(&f);
}

/* The pipeline gives each line its event time, or the time it was read. */
static void test_pipeline_event_time(void **state)
{
    struct fixture f;
    (void)state;
    build(&f, "inputs:\n"
              "  - {name: a, paths: [a], time: {field: t, format: "
              "'%d/%b/%Y:%H:%M:%S %z'}}\n"
              "  - {name: b, paths: [b]}\n" METRIC);
    const char *good = "{\"t\": \"21/Oct/2025:17:42:22 +0200\"}";
    pipeline_line(f.p, 0, good, strlen(good));
    assert_true(pipeline_event_time(f.p) == dec(T0));
    num_fixed before = eventtime_now_coarse();
    const char *bad = "{\"t\": \"2025-10-21T15:42:22Z\"}";
    pipeline_line(f.p, 0, bad, strlen(bad));
    num_fixed at = pipeline_event_time(f.p);
    assert_true(at >= before && at <= eventtime_now());
    /* An input without a time: the time read, the same all line long. */
    before = eventtime_now_coarse();
    pipeline_line(f.p, 1, good, strlen(good));
    at = pipeline_event_time(f.p);
    assert_true(at >= before && at <= eventtime_now());
    assert_true(pipeline_event_time(f.p) == at);

    struct pipeline_input_stats st;
    pipeline_input_stats(f.p, 0, &st);
    assert_true(st.has_time);
    assert_int_equal(st.time_fallbacks[EVENTTIME_UNPARSABLE], 1);
    assert_int_equal(st.time_ahead, 0);
    pipeline_input_stats(f.p, 1, &st);
    assert_false(st.has_time);
    /* The lateness family has one series per input that reads times. */
    assert_string_equal(
        value(&f, "tokentail_event_lateness_seconds_count{input=\"a\"}"), "1");
    assert_string_equal(
        value(&f, "tokentail_event_lateness_seconds_count{input=\"b\"}"), "");
    teardown_fixture(&f);
}

/* What an observer heard: one call per update. */
struct heard {
    size_t calls, tag;
    const struct series *s;
    num_fixed when, amount, total;
};

static void hear(void *ctx, size_t tag, const struct series *s, num_fixed when,
                 num_fixed amount)
{
    struct heard *h = ctx;
    h->calls++;
    h->tag = tag;
    h->s = s;
    h->when = when;
    h->amount = amount;
    h->total += amount;
}

/* An observed metric: each update with its series, event time and amount. */
static void test_observer(void **state)
{
    struct fixture f;
    struct heard tokens = {0}, latency = {0};
    (void)state;
    build(&f, "inputs: [{paths: [a], time: ts}]\n"
              "metrics:\n"
              "  - {name: tokens_total, type: counter, value: n, labels: "
              "{m: m}}\n"
              "  - {name: latency_seconds, type: histogram, value: d, "
              "buckets: [1]}\n"
              "  - {name: depth, type: gauge, value: n}\n");
    assert_int_equal(pipeline_observe(f.p, "tokens_total", hear, &tokens, 7),
                     0);
    assert_int_equal(
        pipeline_observe(f.p, "latency_seconds", hear, &latency, 9), 0);
    assert_int_equal(pipeline_observe(f.p, "tokens_total", hear, &tokens, 1),
                     -EINVAL);
    assert_int_equal(pipeline_observe(f.p, "depth", hear, &tokens, 1), -EINVAL);
    assert_int_equal(pipeline_observe(f.p, "nothing", hear, &tokens, 1),
                     -ENOENT);
    const char *a = "{\"ts\": \"2025-10-21T15:42:22Z\", \"n\": 12.5, "
                    "\"m\": \"x\", \"d\": 0.25}";
    pipeline_line(f.p, 0, a, strlen(a));
    assert_int_equal(tokens.calls, 1);
    assert_int_equal(tokens.tag, 7);
    assert_true(tokens.when == dec(T0));
    assert_true(tokens.amount == dec("12.5"));
    assert_memory_equal(tokens.s->key, "x", 2);
    assert_int_equal(latency.calls, 1);
    assert_int_equal(latency.tag, 9);
    assert_true(latency.amount == dec("0.25"));
    /* A skipped update is not heard; a second line is, at its time. */
    const char *b = "{\"ts\": 1761061343, \"n\": -1, \"m\": \"x\"}";
    pipeline_line(f.p, 0, b, strlen(b));
    assert_int_equal(tokens.calls, 1);
    const char *c = "{\"ts\": 1761061343, \"n\": 0.5, \"m\": \"y\"}";
    pipeline_line(f.p, 0, c, strlen(c));
    assert_int_equal(tokens.calls, 2);
    assert_true(tokens.when == dec("1761061343"));
    assert_true(tokens.total == dec("13"));
    assert_memory_equal(tokens.s->key, "y", 2);
    assert_string_equal(value(&f, "tokens_total{m=\"x\"}"), "12.5");
    teardown_fixture(&f);
}

/* --- values of times ---------------------------------------------------------
 */

/* Durations between two times, and duration texts, in three metrics. */
static const char *const durations_config =
    "inputs: [{paths: [a]}]\n"
    "metrics:\n"
    "  - name: latency_seconds\n"
    "    type: histogram\n"
    "    value: {duration: {from: startTime, to: endTime}}\n"
    "    buckets: [0.5, 1, 2]\n"
    "  - name: latency_ms_total\n"
    "    type: counter\n"
    "    value: {duration: {from: startTime, to: endTime, format: "
    "rfc3339, timezone: Europe/Berlin}, scale: 1000}\n"
    "  - name: go_seconds_total\n"
    "    type: counter\n"
    "    values:\n"
    "      - {field: latency, as: duration, labels: {part: all}}\n"
    "      - {field: msg, as: duration, regex: 'took (\\S+)', labels: "
    "{part: msg}}\n"
    "      - {duration: {from: s, to: e, format: unix_ms}, labels: "
    "{part: span}}\n";

static void test_durations(void **state)
{
    struct fixture f;
    (void)state;
    build(&f, durations_config);
    static const char *const lines[] = {
        /* 1.379 s; LiteLLM's zone-less times; 0.4 s across a Berlin DST
         * change (local 02:59:59.8 CEST to 02:00:00.2 CET). */
        "{\"startTime\": \"2025-10-21T15:42:22.392\", \"endTime\": "
        "\"2025-10-21T15:42:23.771\", \"latency\": \"1m30s\"}",
        "{\"startTime\": \"2025-10-26T02:59:59.8\", \"endTime\": "
        "\"2025-10-26T02:00:00.2+01:00\"}",
        "{\"startTime\": 1761061342.25, \"endTime\": 1761061343}",
        "{\"startTime\": \"2025-10-21T15:42:22Z\"}",
        "{\"startTime\": \"2025-10-21T15:42:22Z\", \"endTime\": \"soon\"}",
        "{\"latency\": \"381ms\", \"msg\": \"call took 771\xc2\xb5s\"}",
        "{\"latency\": 1.5, \"msg\": \"no time\"}",
        "{\"s\": 1761061342392, \"e\": 1761061342400}",
        "{\"s\": 1761061342400, \"e\": \"1761061342392\"}",
    };
    for (size_t i = 0; i < sizeof(lines) / sizeof(lines[0]); i++)
        pipeline_line(f.p, 0, lines[i], strlen(lines[i]));
    /* 1.379, then -7199.6: the zone-less start is read as UTC, two hours
     * after the end (a histogram takes a negative amount), then 0.75. */
    assert_string_equal(value(&f, "latency_seconds_bucket{le=\"0.5\"}"), "1");
    assert_string_equal(value(&f, "latency_seconds_bucket{le=\"1\"}"), "2");
    assert_string_equal(value(&f, "latency_seconds_bucket{le=\"2\"}"), "3");
    assert_string_equal(value(&f, "latency_seconds_bucket{le=\"+Inf\"}"), "3");
    assert_string_equal(value(&f, "latency_seconds_sum"), "-7197.471");
    /* In Berlin: 1379 ms, and 400 ms across the change; rfc3339 reads no
     * number. */
    assert_string_equal(value(&f, "latency_ms_total"), "1779");
    assert_string_equal(value(&f, "go_seconds_total{part=\"all\"}"), "90.381");
    assert_string_equal(value(&f, "go_seconds_total{part=\"msg\"}"),
                        "0.000771");
    /* 8 ms, then a negative amount: a counter skips it. */
    assert_string_equal(value(&f, "go_seconds_total{part=\"span\"}"), "0.008");
    const struct rule *lat = &f.p->rules[0], *go = &f.p->rules[2];
    assert_int_equal(lat->updates, 3);
    assert_int_equal(lat->skipped[UPDATE_SKIP_FIELD_MISSING], 5);
    assert_int_equal(f.p->rules[1].skipped[UPDATE_SKIP_UNPARSABLE], 2);
    assert_int_equal(lat->skipped[UPDATE_SKIP_UNPARSABLE], 1);
    assert_int_equal(go->skipped[UPDATE_SKIP_UNPARSABLE], 1);
    assert_int_equal(go->skipped[UPDATE_SKIP_NO_MATCH], 1);
    assert_int_equal(go->skipped[UPDATE_SKIP_NEGATIVE], 1);
    teardown_fixture(&f);
}

/* Only values made of times can be unparsable; a duration also skips a
 * line with one of its times only. */
static void test_duration_reasons(void **state)
{
    struct fixture f;
    (void)state;
    build(&f, durations_config);
    assert_string_equal(pipeline_update_skip_name(UPDATE_SKIP_UNPARSABLE),
                        "unparsable");
    const uint32_t unparsable = 1u << UPDATE_SKIP_UNPARSABLE;
    const uint32_t missing = 1u << UPDATE_SKIP_FIELD_MISSING;
    for (size_t i = 0; i < 3; i++)
        assert_true(pipeline_update_reasons(&f.cfg->metrics[i]) & unparsable);
    assert_true(pipeline_update_reasons(&f.cfg->metrics[2]) & missing);
    struct config *plain;
    assert_string_equal(load("inputs: [{paths: [a]}]\nmetrics:\n"
                             "  - {name: v, type: gauge, value: v}\n",
                             &plain),
                        "");
    assert_false(pipeline_update_reasons(&plain->metrics[0]) & unparsable);
    config_free(plain);
    teardown_fixture(&f);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_input_time),
        cmocka_unit_test(test_input_time_errors),
        cmocka_unit_test(test_value_time),
        cmocka_unit_test(test_value_time_errors),
        cmocka_unit_test(test_lateness),
        cmocka_unit_test(test_pipeline_event_time),
        cmocka_unit_test(test_observer),
        cmocka_unit_test(test_durations),
        cmocka_unit_test(test_duration_reasons),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
