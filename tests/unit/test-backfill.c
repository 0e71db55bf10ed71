/*
 * A parallel backfill against one pass: the same files read by
 * backfill_run with several workers and, one after the other, by the
 * core's own input must leave the same exposition (series, values,
 * tokentail's own counts) and the same usage ledger rows. The files are
 * small and many, so the workers run ahead of the merge and wait; one of
 * them fills a capped metric part way, so the files after it are read
 * again in order; one cannot be opened.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <cmocka.h>

#include "backfill.h"
#include "core.h"
#include "expfmt.h"
#include "helpers.h"
#include "input.h"
#include "ledger.h"
#include "selfmetrics.h"

#define N_FILES          9
#define SECONDS_PER_HOUR 3600

static const char config_text[] =
    "inputs:\n"
    "  - {name: x, paths: [/nonexistent/*.log], time: {field: t, format: "
    "unix}}\n"
    "metrics:\n"
    "  - {name: requests_total, type: counter, labels: {k: k}}\n"
    "  - {name: tokens_total, type: counter, value: v, labels: {k: k}}\n"
    "  - {name: last, type: gauge, value: v, labels: {k: k}}\n"
    "  - {name: most, type: gauge, update: max, value: v}\n"
    "  - {name: least, type: gauge, update: min, value: v}\n"
    "  - {name: level, type: gauge, update: add, value: v}\n"
    "  - {name: size, type: histogram, value: v, buckets: [1, 10, 100]}\n"
    "  - {name: tenants_total, type: counter, labels: {t: tenant}, "
    "max_series: 5}\n"
    "usage:\n"
    "  metrics: [tokens_total, size, tenants_total]\n";

/* File k: lines an hour apart, in the last days, keys shared with the
 * other files and its own, and tenant t<k> of the capped metric. Every
 * line is a whole number of hours and a half late, so the bucket of
 * tokentail_event_lateness_seconds it falls in (bounds at 15 min, 1 h,
 * 6 h, 1 d...) does not depend on when it is read. */
static void write_file(const char *path, int k, int64_t at)
{
    int64_t now = at - SECONDS_PER_HOUR / 2;
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    for (int i = 0; i < 40 + k; i++)
        fprintf(f, "{\"t\": %lld, \"k\": \"%s\", \"v\": %d.%d}\n",
                (long long)(now -
                            (int64_t)(N_FILES - k) * 5 * SECONDS_PER_HOUR -
                            (int64_t)i % 7 * SECONDS_PER_HOUR),
                i % 3 == 0   ? "shared"
                : i % 3 == 1 ? "k"
                             : "own",
                (k * 37 + i * 11) % 150 - 20, i % 10);
    fprintf(f, "{\"t\": %lld, \"tenant\": \"t%d\"}\nnot json\n", (long long)now,
            k);
    fprintf(f, "{\"t\": %lld, \"k\": \"f%d\", \"v\": %d}\n", (long long)now, k,
            k);
    fclose(f);
}

static struct core *new_core(const struct config *cfg, struct tail_buf *rb)
{
    struct core_shell sh = {.rb = rb, .state_path = ""};
    struct core *c;
    assert_int_equal(core_new(cfg, &sh, &c), 0);
    return c;
}

/* Where ledger rows are written, and how many labels they have. */
struct rows {
    struct buf *out;
    size_t n_labels;
};

static int add_row(void *ctx, const struct ledger_row *row)
{
    struct rows *r = ctx;
    char sum[NUM_FMT_MAX];
    sum[num_format(row->amount.sum, sum)] = '\0';
    buf_printf(r->out, "%lld %lld%s", (long long)row->start,
               (long long)row->end, row->overflow ? " overflow" : "");
    for (size_t i = 0; i < r->n_labels; i++)
        buf_printf(r->out, " %s", row->values[i]);
    buf_printf(r->out, " %s %llu\n", sum,
               (unsigned long long)row->amount.count);
    return 0;
}

/* Appends the lines of text but those that depend on the clock: the sum
 * of the lines' lateness (the time each was read) and the process'
 * figures. */
static void steady(const char *text, struct buf *out)
{
    static const char *const clock[] = {"tokentail_event_lateness_seconds_sum",
                                        "process_"};
    while (*text != '\0') {
        size_t len = strcspn(text, "\n") + 1;
        bool keep = true;
        for (size_t i = 0; i < sizeof(clock) / sizeof(clock[0]); i++)
            keep &= strncmp(text, clock[i], strlen(clock[i])) != 0;
        if (keep)
            buf_append(out, text, len);
        text += len;
    }
}

/* The exposition and every ledger row of c, as text. */
static void snapshot(struct core *c, struct buf *out)
{
    struct self_sources src = {
        .pipe = c->pipe, .inputs = c->inputs, .n_inputs = c->n_inputs};
    struct buf text = {0};
    selfmetrics_collect(c->self, &src);
    expfmt_write(c->reg, &text);
    assert_false(text.oom);
    steady(text.data, out);
    buf_free(&text);
    for (size_t m = 0; m < ledger_n_metrics(c->ledger); m++)
        for (int g = 0; g < LEDGER_GRAIN_COUNT; g++) {
            struct ledger_query q = {.metric = m,
                                     .grain = (enum ledger_grain)g,
                                     .from = INT64_MIN,
                                     .to = INT64_MAX};
            struct ledger_metric_info info;
            ledger_metric(c->ledger, m, &info);
            struct rows r = {out, info.n_labels};
            buf_printf(out, "ledger %s %s\n", info.name,
                       ledger_grain_name((enum ledger_grain)g));
            assert_int_equal(ledger_rows(c->ledger, &q, add_row, &r), 0);
        }
    assert_false(out->oom);
}

/* The times come from the lines, and there is no checkpoint: only the
 * lines steady() drops depend on the clock. */
static void test_same_as_one_pass(void **state)
{
    struct tmp *t = *state;
    char paths[N_FILES + 1][128];
    char *files[N_FILES + 1];
    int64_t now = (int64_t)time(NULL);
    for (int k = 0; k < N_FILES; k++) {
        snprintf(paths[k], sizeof(paths[k]), "%s/f%d.log", t->dir, k);
        write_file(paths[k], k, now);
        files[k] = paths[k];
    }
    /* One that cannot be opened, among the others. */
    snprintf(paths[N_FILES], sizeof(paths[N_FILES]), "%s/missing.log", t->dir);
    files[N_FILES] = files[2];
    files[2] = paths[N_FILES];

    struct config *cfg = config_or_fail(config_text);
    struct tail_buf rb1 = {0}, rb2 = {0};
    struct core *one = new_core(cfg, &rb1), *many = new_core(cfg, &rb2);
    for (int k = 0; k <= N_FILES; k++)
        if (input_open_path(one->inputs[0], files[k]) == 0)
            input_drain_all(one->inputs[0]);

    struct backfill_stats st;
    assert_int_equal(backfill_run(many, 0, files, N_FILES + 1, 3, &st), -1);
    assert_int_equal(st.workers, 3);
    assert_int_equal(st.unreadable, 1);
    /* In the order given (f2 last, the missing file in its place), t0,
     * t1, t3, t4 and t5 fill the capped metric: f6, f7, f8 and f2 are
     * read again. */
    assert_int_equal(st.reread, 4);
    assert_int_equal(st.files + st.reread + st.unreadable, N_FILES + 1);

    struct buf a = {0}, b = {0};
    snapshot(one, &a);
    snapshot(many, &b);
    assert_non_null(
        strstr(a.data, "tenants_total{tokentail_overflow=\"true\"}"));
    assert_non_null(strstr(a.data, "ledger tenants_total hour\n1"));
    assert_string_equal(a.data, b.data);
    buf_free(&a);
    buf_free(&b);
    core_free(one);
    core_free(many);
    tail_buf_free(&rb1);
    tail_buf_free(&rb2);
    config_free(cfg);
}

/* With no overflow anywhere, every file is merged: none read again. */
static void test_all_merged(void **state)
{
    struct tmp *t = *state;
    char paths[3][128];
    char *files[3];
    for (int k = 0; k < 3; k++) {
        snprintf(paths[k], sizeof(paths[k]), "%s/g%d.log", t->dir, k);
        write_file(paths[k], k, (int64_t)time(NULL));
        files[k] = paths[k];
    }
    struct config *cfg = config_or_fail(config_text);
    struct tail_buf rb = {0};
    struct core *c = new_core(cfg, &rb);
    struct backfill_stats st;
    assert_int_equal(backfill_run(c, 0, files, 3, 8, &st), 0);
    assert_int_equal(st.workers, 3); /* no more threads than files */
    assert_int_equal(st.files, 3);
    assert_int_equal(st.reread + st.in_order + st.unreadable, 0);
    struct pipeline_input_stats in;
    pipeline_input_stats(c->pipe, 0, &in);
    assert_int_equal(in.lines, 3 * 43 + 3);
    assert_int_equal(in.skipped[LINE_SKIP_NOT_JSON], 3);
    core_free(c);
    tail_buf_free(&rb);
    config_free(cfg);
}

static void test_cpus(void **state)
{
    (void)state;
    size_t n = backfill_cpus();
    assert_true(n >= 1 && n <= BACKFILL_MAX_WORKERS);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_same_as_one_pass, tmp_setup,
                                        tmp_teardown),
        cmocka_unit_test_setup_teardown(test_all_merged, tmp_setup,
                                        tmp_teardown),
        cmocka_unit_test(test_cpus),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
