/*
 * Self-metrics: every figure lands in its series with its exact value,
 * and a failed allocation anywhere in selfmetrics_new or a collect is an
 * error or a missing series, never a crash or a leak.
 *
 * Linked with --wrap for malloc, calloc, realloc and strdup, so that the
 * k-th allocation after arm(k) fails.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <unistd.h>
#include <cmocka.h>

#include "expfmt.h"
#include "selfmetrics.h"

#ifndef TOKENTAIL_VERSION
#define TOKENTAIL_VERSION "unknown"
#endif

/* --- failing the k-th allocation ----------------------------------------- */

/* The linker's names for the wrapped functions and the originals. */
/* NOLINTBEGIN(cert-dcl37-c,cert-dcl51-cpp) */
void *__real_malloc(size_t n);
void *__real_calloc(size_t n, size_t size);
void *__real_realloc(void *p, size_t n);
char *__real_strdup(const char *s);

static struct injection {
    bool armed;
    size_t seen;    /* allocations since arm() */
    size_t fail_at; /* which one fails */
    bool failed;    /* it did */
} inject;

static void arm(size_t k)
{
    inject = (struct injection){.armed = true, .fail_at = k};
}

/* Stops failing; returns whether an allocation failed since arm(). */
static bool disarm(void)
{
    inject.armed = false;
    return inject.failed;
}

static bool fail_now(void)
{
    if (!inject.armed || inject.seen++ != inject.fail_at)
        return false;
    inject.failed = true;
    return true;
}

void *__wrap_malloc(size_t n)
{
    return fail_now() ? NULL : __real_malloc(n);
}

void *__wrap_calloc(size_t n, size_t size)
{
    return fail_now() ? NULL : __real_calloc(n, size);
}

void *__wrap_realloc(void *p, size_t n)
{
    return fail_now() ? NULL : __real_realloc(p, n);
}

char *__wrap_strdup(const char *s)
{
    return fail_now() ? NULL : __real_strdup(s);
}
/* NOLINTEND(cert-dcl37-c,cert-dcl51-cpp) */

/* --- a daemon's worth of sources ----------------------------------------- */

#define LOG_BYTES 10 /* in the one file the fixture's first input follows */

struct fixture {
    char dir[64];
    char log[96];
    struct config *cfg;
    struct registry *reg;
    struct pipeline *pipe;
    struct input *inputs[2];
    struct tail_buf rb;
    struct state_stats state;
    struct self_sources src;
};

static const char *const config_text =
    "inputs:\n"
    "  - {name: app, paths: ['%s/*.log'], start_at: beginning}\n"
    "  - {name: web, paths: ['%s/web/*.log']}\n"
    "metrics:\n"
    "  - {name: jobs_total, type: counter, labels: {queue: q}}\n"
    "  - name: depth\n"
    "    type: gauge\n"
    "    value: depth\n"
    "    labels: {queue: q}\n"
    "    expire_after: 1m\n";

static void fixture_new(struct fixture *f)
{
    memset(f, 0, sizeof(*f));
    snprintf(f->dir, sizeof(f->dir), "/tmp/tokentail-self-XXXXXX");
    assert_non_null(mkdtemp(f->dir));
    snprintf(f->log, sizeof(f->log), "%s/a.log", f->dir);
    FILE *log = fopen(f->log, "w");
    assert_non_null(log);
    assert_int_equal(fwrite("123456789\n", 1, LOG_BYTES, log), LOG_BYTES);
    fclose(log);

    char yaml[1024];
    snprintf(yaml, sizeof(yaml), config_text, f->dir, f->dir);
    struct buf errors = {0};
    if (config_load_text("t.yaml", yaml, strlen(yaml), &f->cfg, &errors) != 0)
        fail_msg("%s", errors.data);
    buf_free(&errors);
    assert_int_equal(registry_new(&f->reg), 0);
    assert_int_equal(pipeline_new(f->cfg, f->reg, &f->pipe), 0);
    for (size_t i = 0; i < 2; i++)
        assert_int_equal(input_new(&f->cfg->inputs[i], NULL, NULL, &f->rb,
                                   pipeline_sink(f->pipe, i), &f->inputs[i]),
                         0);
    input_scan(f->inputs[0], INPUT_SCAN_ONCE);
    f->src = (struct self_sources){
        .pipe = f->pipe,
        .inputs = f->inputs,
        .n_inputs = 2,
        .state = &f->state,
    };
}

static void fixture_free(struct fixture *f)
{
    for (size_t i = 0; i < 2; i++)
        input_free(f->inputs[i]);
    pipeline_free(f->pipe);
    registry_free(f->reg);
    config_free(f->cfg);
    tail_buf_free(&f->rb);
    unlink(f->log);
    rmdir(f->dir);
}

static void line(struct fixture *f, size_t input, const char *text)
{
    pipeline_line(f->pipe, input, text, strlen(text));
}

/* The exposition of reg; caller frees. */
static char *exposition(struct registry *reg)
{
    struct buf b = {0};
    expfmt_write(reg, &b);
    buf_putc(&b, '\0');
    assert_false(b.oom);
    return buf_release(&b, NULL);
}

/* How many lines of text begin with prefix. */
static size_t lines_with(const char *text, const char *prefix)
{
    size_t n = 0, len = strlen(prefix);
    for (const char *p = text; p != NULL && *p != '\0';) {
        n += strncmp(p, prefix, len) == 0;
        p = strchr(p, '\n');
        p = p != NULL ? p + 1 : NULL;
    }
    return n;
}

#define assert_line(text, l) assert_int_equal(lines_with(text, l "\n"), 1)
#define assert_no_line(text, prefix)                                           \
    assert_int_equal(lines_with(text, prefix), 0)

/* --- the built-in rows --------------------------------------------------- */

static void test_collect_inputs_and_metrics(void **state)
{
    struct fixture f;
    struct selfmetrics *sm;
    (void)state;
    fixture_new(&f);
    assert_int_equal(selfmetrics_new(f.reg, &sm), 0);
    line(&f, 0, "{\"q\": \"a\", \"depth\": 3}");
    line(&f, 0, "{\"q\": \"b\"}");
    line(&f, 0, "not json");
    pipeline_skip(f.pipe, 1, LINE_SKIP_TOO_LONG);
    selfmetrics_collect(sm, &f.src);
    char *text = exposition(f.reg);

    assert_line(text,
                "tokentail_build_info{version=\"" TOKENTAIL_VERSION "\"} 1");
    assert_line(text, "tokentail_lines_read_total{input=\"app\"} 3");
    assert_line(text, "tokentail_lines_read_total{input=\"web\"} 1");
    assert_line(text, "tokentail_read_bytes_total{input=\"app\"} 0");
    /* Each input's reasons: a JSON parser's three, and those of every
     * input; none of a regex or logfmt parser, or of several parsers. */
    static const char *const line_reasons[] = {
        "not_json",  "not_object", "too_complex", "too_long",
        "unmatched", "incomplete", "bad_envelope"};
    char want[256];
    assert_int_equal(lines_with(text, "tokentail_lines_skipped_total{"), 2 * 7);
    for (size_t i = 0; i < 7; i++) {
        snprintf(want, sizeof(want),
                 "tokentail_lines_skipped_total{input=\"web\",reason=\"%s\"}",
                 line_reasons[i]);
        assert_int_equal(lines_with(text, want), 1);
    }
    assert_line(
        text,
        "tokentail_lines_skipped_total{input=\"app\",reason=\"not_json\"} 1");
    assert_line(
        text,
        "tokentail_lines_skipped_total{input=\"web\",reason=\"too_long\"} 1");
    assert_line(
        text,
        "tokentail_lines_skipped_total{input=\"app\",reason=\"too_long\"} 0");

    assert_line(text,
                "tokentail_metric_updates_total{metric=\"jobs_total\"} 2");
    assert_line(text, "tokentail_metric_updates_total{metric=\"depth\"} 1");
    /* A counter of lines with a label from a field, and a gauge with a
     * value too: no negative, no_match, unmapped or unpriced. */
    assert_int_equal(
        lines_with(text, "tokentail_metric_updates_skipped_total{"), 3 + 4);
    assert_line(text, "tokentail_metric_updates_skipped_total{metric="
                      "\"jobs_total\",reason=\"field_missing\"} 0");
    assert_line(text, "tokentail_metric_updates_skipped_total{metric="
                      "\"jobs_total\",reason=\"wrong_type\"} 0");
    assert_line(text, "tokentail_metric_updates_skipped_total{metric="
                      "\"jobs_total\",reason=\"label_too_long\"} 0");
    assert_line(text, "tokentail_metric_updates_skipped_total{metric="
                      "\"depth\",reason=\"out_of_range\"} 0");
    assert_no_line(text, "tokentail_metric_updates_skipped_total{metric="
                         "\"depth\",reason=\"negative\"}");
    assert_line(text, "tokentail_metric_updates_skipped_total{metric=\"depth\","
                      "reason=\"field_missing\"} 1");
    assert_line(text, "tokentail_series{metric=\"jobs_total\"} 2");
    assert_line(text, "tokentail_series{metric=\"depth\"} 1");
    assert_line(text, "tokentail_series_overflow_total{metric=\"depth\"} 0");
    /* Only the metric with an expire_after. */
    assert_line(text, "tokentail_series_expired_total{metric=\"depth\"} 0");
    assert_no_line(text,
                   "tokentail_series_expired_total{metric=\"jobs_total\"");

    assert_line(text, "tokentail_files_watched{input=\"app\"} 1");
    assert_line(text, "tokentail_files_watched{input=\"web\"} 0");
    assert_line(text, "tokentail_files_opened_total{input=\"app\"} 1");
    assert_line(text, "tokentail_lag_bytes{input=\"app\"} 10");
    assert_line(text, "tokentail_file_errors{input=\"app\"} 0");
    assert_line(text, "tokentail_reconciles_total{input=\"web\"} 0");
    free(text);
    selfmetrics_free(sm);
    fixture_free(&f);
}

static void on_dir(void *owner, int wd, uint32_t mask, const char *name)
{
    (void)owner, (void)wd, (void)mask, (void)name;
}

static void test_collect_state_watch_process(void **state)
{
    struct fixture f;
    struct selfmetrics *sm;
    struct watch *w;
    (void)state;
    fixture_new(&f);
    assert_int_equal(selfmetrics_new(f.reg, &sm), 0);
    assert_int_equal(watch_new(&w), 0);
    assert_true(watch_add(w, f.dir, IN_CREATE, on_dir, &f) >= 0);
    f.src.watch = w;
    f.state.checkpoints = 3;
    f.state.errors = 1;
    f.state.recoveries[STATE_RECOVERY_CORRUPT] = 2;
    selfmetrics_observe_checkpoint(sm, 300);
    selfmetrics_observe_checkpoint(sm, 2000000);
    selfmetrics_collect(sm, &f.src);
    char *text = exposition(f.reg);

    assert_line(text, "tokentail_checkpoints_total 3");
    assert_line(text, "tokentail_checkpoint_errors_total 1");
    assert_line(text, "tokentail_state_recoveries_total{reason=\"corrupt\"} 2");
    assert_line(text, "tokentail_state_recoveries_total{reason=\"empty\"} 0");
    assert_int_equal(lines_with(text, "tokentail_state_recoveries_total{"),
                     STATE_RECOVERY_COUNT - 1);
    assert_line(
        text, "tokentail_checkpoint_duration_seconds_bucket{le=\"0.00025\"} 0");
    assert_line(
        text, "tokentail_checkpoint_duration_seconds_bucket{le=\"0.0005\"} 1");
    assert_line(text,
                "tokentail_checkpoint_duration_seconds_bucket{le=\"1\"} 1");
    assert_line(text,
                "tokentail_checkpoint_duration_seconds_bucket{le=\"+Inf\"} 2");
    assert_line(text, "tokentail_checkpoint_duration_seconds_sum 2.0003");
    assert_line(text, "tokentail_checkpoint_duration_seconds_count 2");

    assert_line(text, "tokentail_inotify_watches 1");
    /* No HTTP server: no responses. */
    assert_no_line(text, "tokentail_http_responses_total{");
    assert_int_equal(lines_with(text, "process_start_time_seconds "), 1);
    assert_int_equal(lines_with(text, "process_max_fds "), 1);
    assert_int_equal(lines_with(text, "process_open_fds "), 1);
    free(text);
    selfmetrics_free(sm);
    watch_free(w);
    fixture_free(&f);
}

/* A reload's new self-metrics go on with the checkpoints' histogram where
 * the old one stood, and the series keep when they began. */
static void test_carry_checkpoint_histogram(void **state)
{
    struct registry *r1, *r2;
    struct selfmetrics *old, *now;
    (void)state;
    assert_int_equal(registry_new(&r1), 0);
    assert_int_equal(registry_new(&r2), 0);
    assert_int_equal(selfmetrics_new(r1, &old), 0);
    assert_int_equal(selfmetrics_new(r2, &now), 0);
    selfmetrics_observe_checkpoint(old, 300);
    selfmetrics_observe_checkpoint(old, 2000000);
    struct family_view v;
    family_view(registry_find(r1, "tokentail_checkpoint_duration_seconds"), &v);
    assert_int_equal(v.n_series, 1);
    int64_t began = v.series[0]->created_ms - 5000;
    ((struct series *)v.series[0])->created_ms = began;

    assert_int_equal(selfmetrics_carry(now, old), 0);
    selfmetrics_free(old);
    registry_free(r1);
    selfmetrics_observe_checkpoint(now, 700);
    char *text = exposition(r2);
    assert_line(
        text, "tokentail_checkpoint_duration_seconds_bucket{le=\"0.0005\"} 1");
    assert_line(text,
                "tokentail_checkpoint_duration_seconds_bucket{le=\"0.001\"} 2");
    assert_line(text,
                "tokentail_checkpoint_duration_seconds_bucket{le=\"+Inf\"} 3");
    assert_line(text, "tokentail_checkpoint_duration_seconds_sum 2.001");
    assert_line(text, "tokentail_checkpoint_duration_seconds_count 3");
    family_view(registry_find(r2, "tokentail_checkpoint_duration_seconds"), &v);
    assert_int_equal(v.series[0]->created_ms, began);
    free(text);
    selfmetrics_free(now);
    registry_free(r2);
}

/* Each family once, in the order the exposition has always had. */
static void test_family_order(void **state)
{
    static const char *const names[] = {
        "tokentail_build_info",
        "tokentail_lines_read_total",
        "tokentail_read_bytes_total",
        "tokentail_lines_skipped_total",
        "tokentail_event_time_fallbacks_total",
        "tokentail_event_time_ahead_total",
        "tokentail_metric_updates_total",
        "tokentail_metric_updates_skipped_total",
        "tokentail_series",
        "tokentail_series_overflow_total",
        "tokentail_series_expired_total",
        "tokentail_files_watched",
        "tokentail_files_opened_total",
        "tokentail_file_rotations_total",
        "tokentail_file_truncations_total",
        "tokentail_file_errors",
        "tokentail_read_errors_total",
        "tokentail_lag_bytes",
        "tokentail_inotify_watches",
        "tokentail_file_copies_total",
        "tokentail_files_resumed_total",
        "tokentail_reconciles_total",
        "tokentail_checkpoints_total",
        "tokentail_checkpoint_errors_total",
        "tokentail_checkpoint_duration_seconds",
        "tokentail_state_recoveries_total",
        "tokentail_http_responses_total",
        "process_cpu_seconds_total",
        "process_resident_memory_bytes",
        "process_virtual_memory_bytes",
        "process_open_fds",
        "process_max_fds",
        "process_start_time_seconds",
    };
    struct registry *reg;
    struct selfmetrics *sm;
    (void)state;
    assert_int_equal(registry_new(&reg), 0);
    assert_int_equal(selfmetrics_new(reg, &sm), 0);
    char *text = exposition(reg);
    const char *p = text;
    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
        char type_line[128];
        snprintf(type_line, sizeof(type_line), "# TYPE %s ", names[i]);
        assert_int_equal(lines_with(text, type_line), 1);
        const char *at = strstr(text, type_line);
        assert_true(at > p);
        p = at;
    }
    assert_int_equal(lines_with(text, "# TYPE "),
                     sizeof(names) / sizeof(*names));
    free(text);
    selfmetrics_free(sm);
    registry_free(reg);
}

/* --- rows added by another module ---------------------------------------- */

struct fake_stats {
    uint32_t small;
    uint64_t big;
    num_fixed fixed;
    uint64_t by[3];
    bool on;
    uint32_t can; /* the reasons of by that can happen */
};

struct fake {
    struct fake_stats items[3];
    const char *names[3]; /* NULL: cannot be read now */
    size_t n;
};

static size_t fake_count(const void *ctx)
{
    return ((const struct fake *)ctx)->n;
}

static const char *fake_read(const void *ctx, size_t i, void *stats)
{
    const struct fake *fk = ctx;
    memcpy(stats, &fk->items[i], sizeof(fk->items[i]));
    return fk->names[i];
}

static const char *fake_reason(int r)
{
    static const char *const names[] = {"never", "soft", "hard"};
    return names[r];
}

static const struct self_source fake_items = {"item", sizeof(struct fake_stats),
                                              fake_count, fake_read, false};
static const struct self_source fake_global = {NULL, sizeof(struct fake_stats),
                                               NULL, fake_read, false};
static const struct self_reasons fake_why = {"why", fake_reason, 1, 3};

static const struct self_row fake_rows[] = {
    {.name = "fake_small",
     .type = METRIC_GAUGE,
     .help = "A 32-bit count.",
     .source = &fake_items,
     SELF_FIELD(struct fake_stats, small)},
    {.name = "fake_big_total",
     .type = METRIC_COUNTER,
     .help = "A count.",
     .source = &fake_items,
     SELF_FIELD(struct fake_stats, big)},
    {.name = "fake_fixed",
     .type = METRIC_GAUGE,
     .help = "Fixed-point.",
     .source = &fake_items,
     SELF_FIELD(struct fake_stats, fixed)},
    {.name = "fake_by_total",
     .type = METRIC_COUNTER,
     .help = "By reason.",
     .source = &fake_items,
     SELF_BY(struct fake_stats, by, &fake_why)},
    {.name = "fake_nonzero_total",
     .type = METRIC_COUNTER,
     .help = "Nonzero.",
     .source = &fake_items,
     SELF_BY(struct fake_stats, by, &fake_why),
     .nonzero = true},
    {.name = "fake_can_total",
     .type = METRIC_COUNTER,
     .help = "The reasons that can happen.",
     .source = &fake_items,
     SELF_BY(struct fake_stats, by, &fake_why),
     SELF_REASONS_IN(struct fake_stats, can)},
    {.name = "fake_gated",
     .type = METRIC_GAUGE,
     .help = "Only if on.",
     .source = &fake_items,
     SELF_FIELD(struct fake_stats, big),
     SELF_ONLY_IF(struct fake_stats, on)},
    {.name = "fake_global",
     .type = METRIC_GAUGE,
     .help = "No label.",
     .source = &fake_global,
     SELF_FIELD(struct fake_stats, big)},
};

static void test_added_rows(void **state)
{
    struct fake fk = {
        .items = {{.small = 7,
                   .big = 1ULL << 40,
                   .fixed = NUM_ONE * 5 / 2,
                   .by = {9, 0, 4},
                   .on = true,
                   .can = 1u << 2},
                  {.small = 1, .big = 2, .by = {1, 2, 3}, .can = 0},
                  {.small = 99}},
        .names = {"a", "b", NULL},
        .n = 3,
    };
    struct registry *reg;
    struct selfmetrics *sm;
    (void)state;
    assert_int_equal(registry_new(&reg), 0);
    assert_int_equal(selfmetrics_new(reg, &sm), 0);
    assert_int_equal(selfmetrics_add(sm, fake_rows,
                                     sizeof(fake_rows) / sizeof(*fake_rows),
                                     &fk),
                     0);
    selfmetrics_collect(sm, &(struct self_sources){0});
    char *text = exposition(reg);
    assert_line(text, "fake_small{item=\"a\"} 7");
    assert_line(text, "fake_small{item=\"b\"} 1");
    assert_no_line(text, "fake_small{item=\"\"");
    assert_int_equal(lines_with(text, "fake_small{"), 2);
    assert_line(text, "fake_big_total{item=\"a\"} 1099511627776");
    assert_line(text, "fake_fixed{item=\"a\"} 2.5");
    assert_line(text, "fake_fixed{item=\"b\"} 0");
    /* Reasons from first on: by[0] is no reason. */
    assert_line(text, "fake_by_total{item=\"a\",why=\"soft\"} 0");
    assert_line(text, "fake_by_total{item=\"a\",why=\"hard\"} 4");
    assert_line(text, "fake_by_total{item=\"b\",why=\"soft\"} 2");
    assert_no_line(text, "fake_by_total{item=\"a\",why=\"never\"}");
    assert_int_equal(lines_with(text, "fake_nonzero_total{"), 3);
    assert_no_line(text, "fake_nonzero_total{item=\"a\",why=\"soft\"}");
    /* Those that can happen, and any other that did all the same. */
    assert_no_line(text, "fake_can_total{item=\"a\",why=\"soft\"}");
    assert_line(text, "fake_can_total{item=\"a\",why=\"hard\"} 4");
    assert_line(text, "fake_can_total{item=\"b\",why=\"soft\"} 2");
    assert_line(text, "fake_can_total{item=\"b\",why=\"hard\"} 3");
    assert_int_equal(lines_with(text, "fake_can_total{"), 3);
    assert_line(text, "fake_gated{item=\"a\"} 1099511627776");
    assert_no_line(text, "fake_gated{item=\"b\"}");
    assert_line(text, "fake_global 1099511627776");
    /* After the families selfmetrics_new added. */
    assert_true(strstr(text, "# TYPE fake_small") >
                strstr(text, "# TYPE process_start_time_seconds"));
    free(text);

    /* Figures change between collects. An item that goes keeps its
     * series, at their last value (inputs and metrics never go). */
    fk.items[0].small = 8;
    fk.items[1].small = 2;
    fk.n = 1; /* cppcheck-suppress unreadVariable ; read through &fk */
    selfmetrics_collect(sm, &(struct self_sources){0});
    text = exposition(reg);
    assert_line(text, "fake_small{item=\"a\"} 8");
    assert_line(text, "fake_small{item=\"b\"} 1");
    free(text);
    selfmetrics_free(sm);
    registry_free(reg);
}

/* The self-metrics of the configuration's objects after a reload: the
 * counters go on from what the previous ones last exposed, series by
 * series, keeping when they began; gauges show the new figures as they
 * are, and an item the reload removed is gone. */
static void test_carry_counters(void **state)
{
    struct fake was = {.items = {{.small = 7, .big = 10, .by = {0, 1, 2}},
                                 {.small = 5, .big = 3, .by = {0, 4, 4}}},
                       .names = {"a", "b"},
                       .n = 2};
    struct fake now = {.items = {{.small = 2, .big = 1, .by = {0, 0, 5}}},
                       .names = {"a"},
                       .n = 1};
    struct registry *r1, *r2;
    struct selfmetrics *old, *sm;
    size_t n = sizeof(fake_rows) / sizeof(*fake_rows);
    (void)state;
    assert_int_equal(registry_new(&r1), 0);
    assert_int_equal(registry_new(&r2), 0);
    assert_int_equal(selfmetrics_new(r1, &old), 0);
    assert_int_equal(selfmetrics_add(old, fake_rows, n, &was), 0);
    selfmetrics_collect(old, &(struct self_sources){0});
    struct family_view v;
    family_view(registry_find(r1, "fake_big_total"), &v);
    assert_int_equal(v.n_series, 2);
    int64_t began = v.series[0]->created_ms - 5000;
    ((struct series *)v.series[0])->created_ms = began;

    assert_int_equal(selfmetrics_new(r2, &sm), 0);
    assert_int_equal(selfmetrics_add(sm, fake_rows, n, &now), 0);
    assert_int_equal(selfmetrics_carry(sm, old), 0);
    selfmetrics_free(old);
    registry_free(r1);
    selfmetrics_collect(sm, &(struct self_sources){0});
    char *text = exposition(r2);
    assert_line(text, "fake_big_total{item=\"a\"} 11");
    assert_line(text, "fake_by_total{item=\"a\",why=\"soft\"} 1");
    assert_line(text, "fake_by_total{item=\"a\",why=\"hard\"} 7");
    assert_line(text, "fake_small{item=\"a\"} 2");
    assert_line(text, "fake_global 1");
    /* Shown while nonzero, or while its reason could happen: a series the
     * previous core showed stays, with its value, while the new figure is
     * 0. */
    assert_line(text, "fake_nonzero_total{item=\"a\",why=\"soft\"} 1");
    assert_line(text, "fake_can_total{item=\"a\",why=\"soft\"} 1");
    assert_int_equal(lines_with(text, "fake_nonzero_total{"), 2);
    assert_int_equal(lines_with(text, "item=\"b\""), 0);
    family_view(registry_find(r2, "fake_big_total"), &v);
    assert_int_equal(v.n_series, 1);
    assert_int_equal(v.series[0]->created_ms, began);
    /* Collected again, the carried part is added once, not again. */
    now.items[0].big = 4; /* cppcheck-suppress unreadVariable ; via &now */
    selfmetrics_collect(sm, &(struct self_sources){0});
    free(text);
    text = exposition(r2);
    assert_line(text, "fake_big_total{item=\"a\"} 14");
    free(text);
    selfmetrics_free(sm);
    registry_free(r2);
}

static void test_rows_that_do_not_fit(void **state)
{
    struct self_row wide = fake_rows[0];
    wide.width = 2;
    struct self_row past = fake_rows[1];
    past.offset = sizeof(struct fake_stats);
    static const struct self_reasons too_many = {"why", fake_reason, 0, 4};
    struct self_row by = fake_rows[3];
    by.by = &too_many;
    struct self_row histogram = fake_rows[1];
    histogram.type = METRIC_HISTOGRAM;
    struct self_row unread = fake_rows[1];
    unread.source = NULL;
    struct self_row unmasked = fake_rows[5];
    unmasked.by = NULL; /* reasons to show, but no reasons */
    struct self_row mask_past = fake_rows[5];
    mask_past.mask = sizeof(struct fake_stats);
    struct registry *reg;
    struct selfmetrics *sm;
    (void)state;
    assert_int_equal(registry_new(&reg), 0);
    assert_int_equal(selfmetrics_new(reg, &sm), 0);
    assert_int_equal(selfmetrics_add(sm, &wide, 1, NULL), -EINVAL);
    assert_int_equal(selfmetrics_add(sm, &past, 1, NULL), -EINVAL);
    assert_int_equal(selfmetrics_add(sm, &by, 1, NULL), -EINVAL);
    assert_int_equal(selfmetrics_add(sm, &histogram, 1, NULL), -EINVAL);
    assert_int_equal(selfmetrics_add(sm, &unread, 1, NULL), -EINVAL);
    assert_int_equal(selfmetrics_add(sm, &unmasked, 1, NULL), -EINVAL);
    assert_int_equal(selfmetrics_add(sm, &mask_past, 1, NULL), -EINVAL);
    /* Refused before any family is made. */
    char *text = exposition(reg);
    assert_null(strstr(text, "fake_"));
    free(text);
    selfmetrics_free(sm);
    registry_free(reg);
}

/* --- allocation failures ------------------------------------------------- */

static void test_new_fails_cleanly(void **state)
{
    size_t k = 0;
    (void)state;
    for (;; k++) {
        struct registry *reg;
        struct selfmetrics *sm = NULL;
        assert_int_equal(registry_new(&reg), 0);
        arm(k);
        int rc = selfmetrics_new(reg, &sm);
        bool failed = disarm();
        if (failed) {
            assert_int_equal(rc, -ENOMEM);
        } else {
            assert_int_equal(rc, 0);
            /* Whatever was made is usable. */
            selfmetrics_observe_checkpoint(sm, 1);
            selfmetrics_collect(sm, &(struct self_sources){0});
        }
        selfmetrics_free(failed ? NULL : sm);
        registry_free(reg);
        if (!failed)
            break;
    }
    /* At least a family each, and each family allocates. */
    assert_true(k > 31);
}

/* The exposition of reg without the process_ figures, which change. */
static char *steady_exposition(struct registry *reg)
{
    char *text = exposition(reg);
    char *out = text;
    for (const char *p = text; *p != '\0';) {
        const char *nl = strchr(p, '\n');
        size_t len = nl != NULL ? (size_t)(nl - p) + 1 : strlen(p);
        if (strncmp(p, "process_", strlen("process_")) != 0) {
            memmove(out, p, len);
            out += len;
        }
        p += len;
    }
    *out = '\0';
    return text;
}

/* A collect that cannot allocate leaves series out, and the next one puts
 * them: the result is the same as without a failure. */
static void test_collect_fails_cleanly(void **state)
{
    struct fixture f;
    struct registry *reg;
    struct selfmetrics *sm;
    (void)state;
    fixture_new(&f);
    line(&f, 0, "{\"q\": \"a\", \"depth\": 3}");
    assert_int_equal(registry_new(&reg), 0);
    assert_int_equal(selfmetrics_new(reg, &sm), 0);
    selfmetrics_collect(sm, &f.src);
    char *want = steady_exposition(reg);
    selfmetrics_free(sm);
    registry_free(reg);

    size_t k = 0;
    for (;; k++) {
        assert_int_equal(registry_new(&reg), 0);
        assert_int_equal(selfmetrics_new(reg, &sm), 0);
        arm(k);
        selfmetrics_collect(sm, &f.src);
        bool failed = disarm();
        selfmetrics_collect(sm, &f.src);
        char *got = steady_exposition(reg);
        assert_string_equal(got, want);
        free(got);
        selfmetrics_free(sm);
        registry_free(reg);
        if (!failed)
            break;
    }
    /* A series each at least, each one allocation at least. */
    assert_true(k > 2 * LINE_SKIP_COUNT);
    free(want);
    fixture_free(&f);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_collect_inputs_and_metrics),
        cmocka_unit_test(test_collect_state_watch_process),
        cmocka_unit_test(test_carry_checkpoint_histogram),
        cmocka_unit_test(test_family_order),
        cmocka_unit_test(test_added_rows),
        cmocka_unit_test(test_carry_counters),
        cmocka_unit_test(test_rows_that_do_not_fit),
        cmocka_unit_test(test_new_fails_cleanly),
        cmocka_unit_test(test_collect_fails_cleanly),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
