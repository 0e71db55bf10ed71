/*
 * The core across a reload: a second core built from a changed
 * configuration restores from the first one's checkpoint, through the
 * in-memory state when there is no file, so the unchanged metric goes on
 * counting every line once, the changed one starts afresh, the new one
 * starts at the lines read after the swap, and the self-metrics' counters
 * carry over.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "core.h"
#include "helpers.h"
#include "input.h"
#include "selfmetrics.h"
#include "state.h"

#define INPUT_AND_STATE                                                        \
    "inputs:\n"                                                                \
    "  - name: x\n"                                                            \
    "    paths: [%s/x.log]\n"                                                  \
    "    start_at: beginning\n"                                                \
    "state:\n"                                                                 \
    "  keep_removed_metrics: 0s\n"                                             \
    "metrics:\n"                                                               \
    "  - {name: m1_total, type: counter, value: v}\n"

static const char config_a[] = INPUT_AND_STATE
    "  - {name: m2_total, type: counter, value: v, labels: {k: k}}\n";

static const char config_b[] = INPUT_AND_STATE
    "  - {name: m2_total, type: counter, value: v, labels: {k: k, j: k}}\n"
    "  - {name: m3_total, type: counter, value: v}\n";

static struct config *config_in(const char *fmt, const char *dir)
{
    char text[1024];
    snprintf(text, sizeof(text), fmt, dir);
    return config_or_fail(text);
}

static void append(const char *dir, const char *lines)
{
    char path[160];
    snprintf(path, sizeof(path), "%s/x.log", dir);
    FILE *f = fopen(path, "a");
    assert_non_null(f);
    fputs(lines, f);
    fclose(f);
}

/* Reads what the inputs' files hold now, as one pass does. */
static void read_all(struct core *c)
{
    for (size_t i = 0; i < c->n_inputs; i++)
        input_scan(c->inputs[i], INPUT_SCAN_ONCE);
    core_drain(c);
}

/* The value of name's series key (len bytes), or -1 without one. */
static long long value(struct core *c, const char *name, const char *key,
                       size_t len)
{
    struct family *f = registry_find(c->reg, name);
    if (f == NULL)
        return -1;
    struct family_view v;
    family_view(f, &v);
    for (size_t i = 0; i < v.n_series; i++)
        if (v.series[i]->key_len == len &&
            memcmp(v.series[i]->key, key, len) == 0)
            return (long long)(v.series[i]->value / NUM_ONE);
    return -1;
}

static void collect(struct core *c)
{
    struct self_sources src = {
        .pipe = c->pipe, .inputs = c->inputs, .n_inputs = c->n_inputs};
    selfmetrics_collect(c->self, &src);
}

static void swap(struct tmp *t, const struct core_shell *sh, const char *state)
{
    struct config *a = config_in(config_a, t->dir), *b;
    struct core *c1, *c2;
    append(t->dir, "{\"v\":1,\"k\":\"p\"}\n{\"v\":2,\"k\":\"q\"}\n");
    assert_int_equal(core_new(a, sh, &c1), 0);
    read_all(c1);
    assert_int_equal(value(c1, "m1_total", "", 0), 3);
    assert_int_equal(value(c1, "m2_total", "p", 2), 1);
    assert_int_equal(core_checkpoint(c1), state[0] != '\0');
    collect(c1);

    /* A line written before the swap and not yet read is read once, by
     * the new core. */
    append(t->dir, "{\"v\":4,\"k\":\"p\"}\n");
    b = config_in(config_b, t->dir);
    assert_int_equal(core_new(b, sh, &c2), 0);
    assert_int_equal(selfmetrics_carry(c2->self, c1->self), 0);
    core_settle(c1, c2);
    core_free(c1);
    config_free(a);
    assert_int_equal(value(c2, "m1_total", "", 0), 3);
    assert_int_equal(value(c2, "m2_total", "p", 2), -1);
    read_all(c2);
    assert_int_equal(value(c2, "m1_total", "", 0), 7);
    assert_int_equal(value(c2, "m2_total", "p\0p", 4), 4);
    assert_int_equal(value(c2, "m3_total", "", 0), 4);
    collect(c2);
    assert_int_equal(value(c2, "tokentail_lines_read_total", "x", 2), 3);
    core_free(c2);
    config_free(b);
}

static void test_swap_in_memory(void **state)
{
    struct tail_buf rb = {0};
    struct core_shell sh = {.rb = &rb,
                            .state_path = "",
                            .state_name = "test-core-memory",
                            .positions = true};
    swap(*state, &sh, "");
    tail_buf_free(&rb);
}

static void test_swap_with_file(void **state)
{
    struct tmp *t = *state;
    struct tail_buf rb = {0};
    struct core_shell sh = {
        .rb = &rb, .state_path = t->path, .positions = true};
    swap(t, &sh, t->path);
    tail_buf_free(&rb);
}

/* A state file that cannot be used (its directory is a file): the
 * handover goes through memory, and the state still says why. */
static void test_swap_unusable_file(void **state)
{
    struct tmp *t = *state;
    struct tail_buf rb = {0};
    char path[200];
    snprintf(path, sizeof(path), "%s/x.log/state.db", t->dir);
    struct core_shell sh = {.rb = &rb,
                            .state_path = path,
                            .state_name = "test-core-unusable",
                            .positions = true};
    struct core *c;
    struct config *a = config_in(config_a, t->dir);
    append(t->dir, "");
    assert_int_equal(core_new(a, &sh, &c), 0);
    assert_string_equal(state_file(c->state), path);
    assert_non_null(strstr(state_error(c->state), "unable to open"));
    core_free(c);
    config_free(a);
    swap(t, &sh, "");
    tail_buf_free(&rb);
}

/* Without a file nor a name there is no state: nothing is carried. */
static void test_no_state(void **state)
{
    struct tmp *t = *state;
    struct tail_buf rb = {0};
    struct core_shell sh = {.rb = &rb, .state_path = "", .positions = true};
    struct config *a = config_in(config_a, t->dir);
    struct core *c;
    append(t->dir, "{\"v\":5,\"k\":\"p\"}\n");
    assert_int_equal(core_new(a, &sh, &c), 0);
    read_all(c);
    assert_int_equal(core_checkpoint(c), 0);
    assert_int_equal(value(c, "m1_total", "", 0), 5);
    core_free(c);
    config_free(a);
    tail_buf_free(&rb);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_swap_in_memory, tmp_setup,
                                        tmp_teardown),
        cmocka_unit_test_setup_teardown(test_swap_with_file, tmp_setup,
                                        tmp_teardown),
        cmocka_unit_test_setup_teardown(test_swap_unusable_file, tmp_setup,
                                        tmp_teardown),
        cmocka_unit_test_setup_teardown(test_no_state, tmp_setup, tmp_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
