#include "harness.h"

#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "expfmt.h"
#include "ledger.h"

/*
 * Five inputs, one per parser, one trying all three in turn and one JSON
 * parser taking NaN and Infinity, three of them with event times of
 * different formats; labels through every transform, with and without a
 * fallback; conditions of every kind; one value, several, scaled, taken
 * by a regex, a duration text, the time between two times, computed by
 * an expression (with array elements, len() and a quotient); costs from a
 * pricing table of names, prefixes and patterns, in both shapes of cached
 * tokens, with model names transformed; gauges set, added to (with a
 * condition per source), kept at their maximum and minimum; a counter
 * without labels; a usage ledger of four of them. The series caps are
 * small, so that one input can reach them and its overflow series.
 */
static const char pipeline_yaml[] =
    "inputs:\n"
    "  - name: json\n"
    "    paths: [/nonexistent/json.log]\n"
    "    parser: json\n"
    "    time: timestamp\n"
    "  - name: logfmt\n"
    "    paths: [/nonexistent/logfmt.log]\n"
    "    parser: logfmt\n"
    "  - name: regex\n"
    "    paths: [/nonexistent/regex.log]\n"
    "    time: {field: time, format: '%Y-%m-%d %H:%M:%S', timezone: "
    "Europe/Berlin}\n"
    "    parser:\n"
    "      type: regex\n"
    "      pattern: '^\\[(?<level>\\w+)\\] (?<time>[\\d-]+ [\\d:]+) - "
    "(?<logger>\\S+) - (?<message>.*)$'\n"
    "  - name: mixed\n"
    "    paths: [/nonexistent/mixed.log]\n"
    "    time: {field: ts, format: unix_ms}\n"
    "    parser:\n"
    "      - json\n"
    "      - logfmt\n"
    "      - type: regex\n"
    "        pattern: '^(?<method>[A-Z]+) (?<endpoint>/\\S*) "
    "(?<status_code>\\d+)(?: (?<latency>\\S+))?'\n"
    "  - name: python\n"
    "    paths: [/nonexistent/python.log]\n"
    "    parser: {type: json, non_finite: missing}\n"
    "\n"
    "state: {file: \"\"}\n"
    "limits: {max_series: 30}\n"
    "\n"
    "pricing:\n"
    "  per: 1M\n"
    "  models:\n"
    "    gpt-4o-mini*: {input: 0.15, output: 0.60, cached_input: 0.075}\n"
    "    gpt-4o*: {prompt: 2.5, completion: 10, embedding: 0.02, cached: "
    "1.25}\n"
    "    gpt-4o-2024-05-13: {input: 5, output: 15}\n"
    "    sonnet: {match: 'claude-(3-[57]-)?sonnet', input: 3, output: 15,\n"
    "             cache_write: 3.75, cached: 0.30}\n"
    "    claude-3-5-haiku: {input: 0.8, output: 4, cache_write: 1, cached: "
    "0.08}\n"
    "    default: {prompt: 1, completion: 3}\n"
    "\n";

/* The metrics, apart: one string literal would be longer than C requires
 * compilers to take. */
static const char pipeline_metrics_yaml[] =
    "metrics:\n"
    "  - name: http_requests_total\n"
    "    type: counter\n"
    "    help: \"Requests; a backslash \\\\ and a\\nnewline in the help.\"\n"
    "    labels:\n"
    "      method: {field: method, lower: true}\n"
    "      path: endpoint\n"
    "      status: status_code\n"
    "      class: {field: status_code, status_class: true}\n"
    "    const_labels: {service: fuzz}\n"
    "    when:\n"
    "      all:\n"
    "        - {field: endpoint, exists: true}\n"
    "        - {field: method, in: [GET, POST, PUT, get, post]}\n"
    "    max_series: 10\n"
    "\n"
    "  - name: http_request_duration_seconds\n"
    "    type: histogram\n"
    "    value: {field: duration_ms, scale: 0.001}\n"
    "    buckets: [0.005, 0.1, 1, 10]\n"
    "    labels:\n"
    "      path: {field: endpoint, regex: '^(/[^/?]*)'}\n"
    "    when: {field: duration_ms, ge: 0}\n"
    "    max_series: 5\n"
    "\n"
    "  - name: llm_tokens_total\n"
    "    type: counter\n"
    "    labels:\n"
    "      model: {field: model, default: none}\n"
    "    values:\n"
    "      - {field: usage.prompt_tokens, labels: {type: prompt}}\n"
    "      - {field: usage.completion_tokens, labels: {type: completion}}\n"
    "      - {field: tokens_used, labels: {type: total}}\n"
    "    max_series: 10\n"
    "\n"
    "  - name: llm_cost_usd_total\n"
    "    type: counter\n"
    "    labels: {model: model}\n"
    "    cost:\n"
    "      model:\n"
    "        field: model\n"
    "        regex: '^(.+?)(?:-\\d{4}-?\\d{2}-?\\d{2}|-latest)?$'\n"
    "        lower: true\n"
    "      prompt: usage.prompt_tokens\n"
    "      completion: usage.completion_tokens\n"
    "      embedding: embedding_tokens\n"
    "      cached: usage.prompt_tokens_details.cached_tokens\n"
    "      cache_write: cached_tokens\n"
    "      cached_in_prompt: true\n"
    "      prefer: cost_usd\n"
    "    max_series: 5\n"
    "\n"
    "  - name: anthropic_cost_usd_total\n"
    "    type: counter\n"
    "    labels: {model: {field: model, default: none}}\n"
    "    cost:\n"
    "      model:\n"
    "        field: model\n"
    "        map: {claude-3-5-haiku-20241022: claude-3-5-haiku,\n"
    "              claude-3-5-haiku-latest: claude-3-5-haiku}\n"
    "        unmapped: claude-3-5-sonnet\n"
    "      prompt: usage.input_tokens\n"
    "      completion: usage.output_tokens\n"
    "      cached: usage.cache_read_input_tokens\n"
    "      cache_write: usage.cache_creation_input_tokens\n"
    "    max_series: 5\n";

/* More metrics: ISO C caps one string literal at 4095 bytes. */
static const char pipeline_more_metrics_yaml[] =
    "  - name: api_key_requests_total\n"
    "    type: counter\n"
    "    labels:\n"
    "      masked: {field: api_key, mask: true}\n"
    "      hashed: {field: api_key, hash: true}\n"
    "    when:\n"
    "      any:\n"
    "        - {field: api_key, exists: true}\n"
    "        - {field: user, matches: '^u[0-9]+$'}\n"
    "    max_series: 5\n"
    "\n"
    "  - name: log_messages_total\n"
    "    type: counter\n"
    "    labels:\n"
    "      level:\n"
    "        field: level\n"
    "        lower: true\n"
    "        map: {info: info, warning: warn, warn: warn, error: error}\n"
    "        unmapped: other\n"
    "      logger: {field: logger, default: none}\n"
    "      message: message\n"
    "    when: {not: {field: level, equals: DEBUG}}\n"
    "    max_series: 10\n"
    "\n"
    "  - name: response_seconds\n"
    "    type: gauge\n"
    "    value: {field: latency, regex: '([0-9.]+)ms', scale: 0.001}\n"
    "    labels:\n"
    "      severity:\n"
    "        cases:\n"
    "          - {when: {field: latency_ms, gt: 2000}, value: critical}\n"
    "          - {when: {field: latency_ms, lt: 10}, value: fast}\n"
    "        default: ok\n"
    "    expire_after: 10m\n"
    "    max_series: 3\n"
    "\n"
    "  - name: span_seconds\n"
    "    type: histogram\n"
    "    value: {duration: {from: startTime, to: endTime}}\n"
    "    buckets: [0.1, 1]\n"
    "\n"
    "  - name: go_duration_seconds_total\n"
    "    type: counter\n"
    "    value: {field: latency, as: duration}\n"
    "\n"
    "  - name: derived_tokens_total\n"
    "    type: counter\n"
    "    labels:\n"
    "      route: {field: endpoint, regex: '^(/api/v[0-9]+)', otherwise: "
    "other}\n"
    "      finish: {field: choices.-1.finish_reason, map: {stop: stop}, "
    "otherwise: other, default: none}\n"
    "    values:\n"
    "      - {expr: \"usage.prompt_tokens + usage.completion_tokens\", "
    "labels: {kind: sum}}\n"
    "      - {expr: \"(tokens_used - 1) * 2 / len(choices)\", labels: "
    "{kind: mean}}\n"
    "      - {expr: \"choices.0.index * -1.5 + choices.-2.index\", labels: "
    "{kind: index}}\n"
    "    max_series: 6\n"
    "\n"
    "  - name: in_flight\n"
    "    type: gauge\n"
    "    update: add\n"
    "    labels: {method: {field: method, status_class: true, otherwise: "
    "x}}\n"
    "    values:\n"
    "      - {expr: \"1\", when: {field: level, equals: INFO}}\n"
    "      - {expr: \"-1\", when: {field: level, in: [ERROR, error]}}\n"
    "    max_series: 3\n"
    "\n"
    "  - name: peak_seconds\n"
    "    type: gauge\n"
    "    update: max\n"
    "    value: {expr: \"duration_ms / 1000\"}\n"
    "\n"
    "  - name: floor_seconds\n"
    "    type: gauge\n"
    "    update: min\n"
    "    value: {field: latency_ms, scale: 0.001}\n"
    "\n"
    "  - name: lines_total\n"
    "    type: counter\n";

/* The usage ledger of three counters and a histogram, in a zone whose
 * summer time moves the clocks by half an hour. */
static const char pipeline_usage_yaml[] =
    "usage:\n"
    "  metrics: [lines_total, llm_tokens_total, llm_cost_usd_total,\n"
    "            http_request_duration_seconds]\n"
    "  timezone: Australia/Lord_Howe\n"
    "  retention: 36600d\n"
    "  hourly_retention: 36600d\n";

void fuzz_fail(const char *fmt, ...)
{
    va_list ap;
    fputs("fuzz: ", stderr);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
    abort();
}

void *fuzz_alloc(size_t n)
{
    void *p = malloc(n ? n : 1);
    if (p == NULL)
        fuzz_fail("out of memory");
    return p;
}

const struct config *fuzz_config(void)
{
    static struct config *cfg;
    struct buf errors = {0}, text = {0};

    if (cfg == NULL) {
        buf_append(&text, pipeline_yaml, sizeof(pipeline_yaml) - 1);
        buf_append(&text, pipeline_metrics_yaml,
                   sizeof(pipeline_metrics_yaml) - 1);
        buf_append(&text, pipeline_more_metrics_yaml,
                   sizeof(pipeline_more_metrics_yaml) - 1);
        buf_append(&text, pipeline_usage_yaml, sizeof(pipeline_usage_yaml) - 1);
        if (text.oom || config_load_text("pipeline.yaml", text.data, text.len,
                                         &cfg, &errors) != 0)
            fuzz_fail("the fuzz configuration does not load:\n%s",
                      errors.data ? errors.data : "out of memory");
    }
    buf_free(&text);
    buf_free(&errors);
    return cfg;
}

void fuzz_pipeline_new(const struct config *cfg, struct fuzz_pipeline *out)
{
    int rc;
    out->cfg = cfg;
    if (registry_new(&out->reg) != 0)
        fuzz_fail("registry_new failed");
    registry_set_max_series(out->reg, cfg->max_series); /* as the daemon does */
    if ((rc = pipeline_new(cfg, out->reg, &out->pipe)) != 0)
        fuzz_fail("the configuration loads, but pipeline_new says %d", rc);
    out->ledger = NULL;
    if (cfg->usage == NULL)
        return;
    /* As the daemon wires it, but without a database, which would cost
     * most of the time of a run: its queries read the cells alone. */
    if (ledger_new(cfg, &out->ledger) != 0)
        fuzz_fail("the usage ledger cannot be built");
    for (size_t i = 0; i < ledger_n_metrics(out->ledger); i++) {
        struct ledger_metric_info m;
        ledger_metric(out->ledger, i, &m);
        if (pipeline_observe(out->pipe, m.name, ledger_observe, out->ledger,
                             i) != 0)
            fuzz_fail("metric %s cannot be observed", m.name);
    }
}

/* What a usage metric's series hold together: the values (sum) and the
 * histogram counts; false when the sum went past what a value holds. */
static bool family_total(struct registry *r, const char *name,
                         struct ledger_amount *out)
{
    struct family_view v;
    bool ok = true;
    *out = (struct ledger_amount){0, 0};
    family_view(registry_find(r, name), &v);
    for (size_t i = 0; i <= v.n_series; i++) {
        const struct series *se = i < v.n_series ? v.series[i] : v.overflow;
        if (se == NULL)
            continue;
        ok &= !__builtin_add_overflow(out->sum, se->value, &out->sum) &&
              out->sum <= NUM_FIXED_MAX;
        out->count += se->count;
    }
    return ok;
}

static int count_row(void *ctx, const struct ledger_row *row)
{
    (void)row;
    (*(size_t *)ctx)++;
    return 0;
}

/* The ledger over every period equals what the metrics hold. */
static void check_ledger(struct fuzz_pipeline *fp)
{
    struct ledger_stats st;
    if (fp->ledger == NULL)
        return;
    ledger_get_stats(fp->ledger, &st);
    for (size_t i = 0; i < ledger_n_metrics(fp->ledger); i++) {
        struct ledger_metric_info m;
        struct ledger_amount want;
        struct ledger_sums *sums;
        size_t rows = 0;
        ledger_metric(fp->ledger, i, &m);
        struct ledger_query q = {.metric = i,
                                 .grain = LEDGER_DAYS,
                                 .from = INT32_MIN,
                                 .to = INT32_MAX};
        if (ledger_sum(fp->ledger, &q, &sums) != 0 ||
            ledger_rows(fp->ledger, &q, count_row, &rows) != 0)
            fuzz_fail("the usage ledger cannot be read");
        bool exact = family_total(fp->reg, m.name, &want) && st.too_old == 0;
        /* A counter adds no negative amount: no partial sum saturates when
         * the total does not. Counts never do. */
        if (exact &&
            ((m.type == METRIC_COUNTER && sums->total.sum != want.sum) ||
             sums->total.count != want.count))
            fuzz_fail("the usage ledger of %s differs from the metric", m.name);
        ledger_sums_free(sums);
    }
}

/* Every reason a line or an update was skipped for is one the
 * configuration allows (pipeline_reasons.c): its series is shown. */
static void check_reasons(const struct config *cfg, const struct pipeline *p)
{
    for (size_t i = 0; i < cfg->n_inputs; i++) {
        struct pipeline_input_stats st;
        pipeline_input_stats(p, i, &st);
        for (int r = 0; r < LINE_SKIP_COUNT; r++)
            if (st.skipped[r] > 0 && !(st.reasons >> r & 1))
                fuzz_fail("input %zu skipped a line as %s, which its "
                          "configuration rules out",
                          i, pipeline_line_skip_name((enum line_skip)r));
    }
    for (size_t i = 0; i < pipeline_n_metrics(p); i++) {
        struct pipeline_metric_stats st;
        pipeline_metric_stats(p, i, &st);
        for (int r = 0; r < UPDATE_SKIP_COUNT; r++)
            if (st.skipped[r] > 0 && !(st.reasons >> r & 1))
                fuzz_fail("metric %s skipped an update as %s, which its "
                          "configuration rules out",
                          st.name,
                          pipeline_update_skip_name((enum update_skip)r));
    }
}

void fuzz_pipeline_free(struct fuzz_pipeline *fp)
{
    check_reasons(fp->cfg, fp->pipe);
    check_ledger(fp);
    ledger_free(fp->ledger);
    pipeline_free(fp->pipe);
    registry_free(fp->reg);
}

void fuzz_lines(const uint8_t *data, size_t size,
                void (*fn)(void *ctx, const char *line, size_t len), void *ctx)
{
    const char *p = (const char *)data, *end = p + size;
    while (p < end) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        size_t len = (size_t)((nl ? nl : end) - p);
        char *copy = fuzz_alloc(len);
        memcpy(copy, p, len);
        fn(ctx, copy, len);
        free(copy);
        p += len + 1;
    }
}

/* --- the exposition check ------------------------------------------------ */

/*
 * The length of the well-formed UTF-8 sequence at s, or 0 (NUL included).
 * Written from table 3-7 of the Unicode Standard, independently of
 * src/utf8.c, whose repair it checks.
 */
static size_t utf8_len(const unsigned char *s, size_t n)
{
    unsigned char c = s[0], lo = 0x80, hi = 0xbf;
    size_t len;
    if (c < 0x80)
        return c != 0;
    if (c >= 0xc2 && c <= 0xdf)
        len = 2;
    else if (c >= 0xe0 && c <= 0xef)
        len = 3;
    else if (c >= 0xf0 && c <= 0xf4)
        len = 4;
    else
        return 0;
    if (c == 0xe0)
        lo = 0xa0; /* overlong */
    else if (c == 0xed)
        hi = 0x9f; /* surrogates */
    else if (c == 0xf0)
        lo = 0x90; /* overlong */
    else if (c == 0xf4)
        hi = 0x8f; /* past U+10FFFF */
    if (n < len || s[1] < lo || s[1] > hi)
        return 0;
    for (size_t i = 2; i < len; i++)
        if ((s[i] & 0xc0) != 0x80)
            return 0;
    return len;
}

/* A name: [a-zA-Z_][a-zA-Z0-9_]*, with ':' too for metric names. */
static const char *scan_name(const char *p, const char *e, bool colon)
{
    const char *s = p;
    for (; p < e; p++) {
        char c = *p;
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' ||
              (colon && c == ':') || (p > s && c >= '0' && c <= '9')))
            break;
    }
    return p > s ? p : NULL;
}

/* A label value after its opening quote: escapes \\, \" and \n only. */
static const char *scan_label_value(const char *p, const char *e)
{
    for (; p < e; p++) {
        if (*p == '"')
            return p + 1;
        if (*p == '\\' && (++p >= e || (*p != '\\' && *p != '"' && *p != 'n')))
            return NULL;
    }
    return NULL;
}

/* An exact decimal as num_format() writes it: no leading or trailing 0. */
static bool is_decimal(const char *p, const char *e)
{
    if (p < e && *p == '-')
        p++;
    if (p < e && *p == '0')
        p++;
    else if (p < e && *p >= '1' && *p <= '9')
        while (p < e && *p >= '0' && *p <= '9')
            p++;
    else
        return false;
    if (p < e && *p == '.') {
        const char *frac = ++p;
        while (p < e && *p >= '0' && *p <= '9')
            p++;
        if (p == frac || p[-1] == '0')
            return false;
    }
    return p == e;
}

static bool parse_count(const char *p, const char *e, uint64_t *v)
{
    *v = 0;
    if (p == e || (*p == '0' && e - p > 1))
        return false;
    for (; p < e; p++) {
        if (*p < '0' || *p > '9' || *v > (UINT64_MAX - 9) / 10)
            return false;
        *v = *v * 10 + (uint64_t)(*p - '0');
    }
    return true;
}

static bool starts(const char *p, const char *e, const char *s)
{
    size_t n = strlen(s);
    return (size_t)(e - p) >= n && memcmp(p, s, n) == 0;
}

/* What the lines read so far say about the ones to come. */
struct expo {
    const char *family; /* from the last HELP line */
    size_t family_len;
    const char *type; /* from the last TYPE line, or NULL */
    const char *prev; /* the previous sample's name and labels */
    size_t prev_len;
    const char *series; /* the last bucket's labels before le */
    size_t series_len;
    uint64_t bucket; /* its count */
    bool have_inf;
    uint64_t inf; /* the count of the last +Inf bucket */
};

/* Checks a HELP or TYPE line; NULL or why it is wrong. */
static const char *check_meta(struct expo *x, const char *p, const char *e)
{
    bool help = starts(p, e, "# HELP ");
    const char *name = p + 7, *q = scan_name(name, e, true);
    if (q == NULL || q >= e || *q != ' ')
        return "bad metric name";
    if (help) {
        x->family = name;
        x->family_len = (size_t)(q - name);
        x->type = NULL;
        x->prev = NULL;
        x->series = NULL;
        for (q++; q < e; q++)
            if (*q == '\\' && (++q >= e || (*q != '\\' && *q != 'n')))
                return "bad escape in HELP";
        return NULL;
    }
    if (x->family == NULL || x->type != NULL ||
        (size_t)(q - name) != x->family_len ||
        memcmp(name, x->family, x->family_len) != 0)
        return "TYPE without its HELP";
    q++;
    if ((e - q == 7 && memcmp(q, "counter", 7) == 0) ||
        (e - q == 5 && memcmp(q, "gauge", 5) == 0) ||
        (e - q == 9 && memcmp(q, "histogram", 9) == 0))
        x->type = q;
    return x->type ? NULL : "unknown TYPE";
}

/* Checks a sample line; NULL or why it is wrong. */
/*
 * The {labels} of a sample at *qp, if it has any: *qp moves past them, and
 * in a histogram *le and *le_value say where le and its value stand.
 * NULL, or what is wrong.
 */
static const char *check_labels(const char **qp, const char *e, bool histogram,
                                const char **le, const char **le_value)
{
    const char *q = *qp;
    if (q >= e || *q != '{')
        return NULL;
    for (q++;; q++) {
        const char *name = q;
        if ((q = scan_name(q, e, false)) == NULL || e - q < 2 || q[0] != '=' ||
            q[1] != '"')
            return "bad label name";
        /* le is reserved in histograms only. */
        bool is_le = histogram && q - name == 2 && memcmp(name, "le", 2) == 0;
        if (is_le) {
            *le = name;
            *le_value = q + 2;
        }
        if ((q = scan_label_value(q + 2, e)) == NULL)
            return "bad label value";
        if (q < e && *q == '}')
            break;
        if (is_le)
            return "le is not the last label";
        if (q >= e || *q != ',')
            return "labels not separated by commas";
    }
    *qp = q + 1;
    return NULL;
}

static const char *check_sample(struct expo *x, const char *p, const char *e)
{
    if (x->type == NULL)
        return "a sample before HELP and TYPE";
    bool histogram = *x->type == 'h';
    const char *q = scan_name(p, e, true);
    if (q == NULL || (size_t)(q - p) < x->family_len ||
        memcmp(p, x->family, x->family_len) != 0)
        return "a sample of another family";
    const char *suffix = p + x->family_len;
    bool bucket = false, count = false;
    if (histogram) {
        bucket = starts(suffix, q, "_bucket") && q - suffix == 7;
        count = starts(suffix, q, "_count") && q - suffix == 6;
        if (!bucket && !count &&
            !(starts(suffix, q, "_sum") && q - suffix == 4))
            return "a histogram sample without _bucket, _sum or _count";
    } else if (q != suffix) {
        return "a sample of another family";
    }

    const char *labels = q, *le = NULL, *le_value = NULL;
    const char *why = check_labels(&q, e, histogram, &le, &le_value);
    if (why != NULL)
        return why;
    if (bucket != (le != NULL))
        return "le on a sample that is not a bucket, or a bucket without it";
    size_t key_len = (size_t)(q - p);
    if (x->prev != NULL && key_len == x->prev_len &&
        memcmp(p, x->prev, key_len) == 0)
        return "the same series twice";
    x->prev = p;
    x->prev_len = key_len;

    if (q >= e || *q != ' ')
        return "no space before the value";
    const char *value = q + 1;
    uint64_t n = 0;
    if (bucket || count) {
        if (!parse_count(value, e, &n))
            return "a histogram count that is not a whole number";
    } else if (!is_decimal(value, e)) {
        return "a value that is not an exact decimal";
    }
    if (*x->type == 'c' && *value == '-')
        return "a negative counter";
    if (bucket) {
        size_t len = (size_t)(le - labels);
        if (x->series == NULL || len != x->series_len ||
            memcmp(labels, x->series, len) != 0) {
            x->series = labels; /* the first bucket of a series */
            x->series_len = len;
        } else if (n < x->bucket) {
            return "bucket counts decrease";
        }
        x->bucket = n;
        bool inf = starts(le_value, e, "+Inf\"");
        if (!inf && !is_decimal(le_value,
                                memchr(le_value, '"', (size_t)(e - le_value))))
            return "a bucket bound that is not a decimal";
        x->have_inf = inf;
        x->inf = n;
    } else if (count) {
        if (!x->have_inf || n != x->inf)
            return "_count differs from the +Inf bucket";
        x->series = NULL;
    }
    return NULL;
}

void fuzz_check_exposition(struct registry *r)
{
    struct buf out = {0};
    struct expo x = {0};
    expfmt_write(r, &out);
    if (out.oom)
        fuzz_fail("expfmt_write ran out of memory");
    const unsigned char *u = (const unsigned char *)out.data;
    for (size_t i = 0; i < out.len;) {
        size_t n = utf8_len(u + i, out.len - i);
        if (n == 0)
            fuzz_fail("exposition: invalid UTF-8 or NUL at byte %zu:\n%s", i,
                      out.data);
        i += n;
    }
    if (out.len > 0 && out.data[out.len - 1] != '\n')
        fuzz_fail("exposition: no newline at the end:\n%s", out.data);
    const char *p = out.len ? out.data : "", *end = p + out.len;
    for (size_t line = 1; p < end; line++) {
        const char *e = memchr(p, '\n', (size_t)(end - p));
        const char *why = starts(p, e, "# HELP ") || starts(p, e, "# TYPE ")
                              ? check_meta(&x, p, e)
                              : check_sample(&x, p, e);
        if (why != NULL)
            fuzz_fail("exposition line %zu: %s:\n%.*s\n\nthe exposition:\n%s",
                      line, why, (int)(e - p), p, out.data);
        p = e + 1;
    }
    buf_free(&out);
}
