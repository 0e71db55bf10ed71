/*
 * The PromQL parser (promql.h). The input is an expression:
 *   - parsing it either fails with a message and a position inside the
 *     text, or gives a tree of type scalar or instant vector;
 *   - the tree printed (promql_format) parses again, and prints the same
 *     text: nothing the parser accepts is lost or changed on the way
 *     (unless the parentheses it adds nest it too deeply);
 *   - evaluated over a few series (counters, a gauge, a histogram, a
 *     stale one) it gives a result or a message, never two elements
 *     with the same labels.
 */
#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "eval.h"
#include "harness.h"
#include "promql.h"
#include "series.h"

#define STEP_MS 15000 /* the series' interval */
#define EVAL_MS 600000

static const char *const inputs[][2] = {
    {"x{job=\"a\", code=\"200\"}", "0+10x40"},
    {"x{job=\"a\", code=\"500\"}", "1 2 0 5 _ 8 stale 9x10"},
    {"x{job=\"b\", code=\"200\"}", "0+1.5x40"},
    {"g", "1 -3 NaN Inf 2 -Inf 4x30"},
    {"h_bucket{le=\"0.5\"}", "0+1x40"},
    {"h_bucket{le=\"1\"}", "0+3x40"},
    {"h_bucket{le=\"+Inf\"}", "0+2x40"},
};

static struct series_set *input_set(void)
{
    static struct series_set *set;
    if (set != NULL)
        return set;
    if (series_set_new(&set) != 0)
        fuzz_fail("out of memory");
    for (size_t i = 0; i < sizeof(inputs) / sizeof(*inputs); i++) {
        struct labels ls;
        struct promql_sample *s;
        size_t n;
        char err[SERIES_ERR_MAX];
        if (series_parse_labels(inputs[i][0], &ls, err) != 0 ||
            series_expand(inputs[i][1], 0, STEP_MS, &s, &n, err) != 0 ||
            series_set_add(set, &ls, s, n) != 0)
            fuzz_fail("%s: cannot load", inputs[i][0]);
        labels_free(&ls);
        free(s);
    }
    return set;
}

static int elem_cmp(const void *a, const void *b)
{
    return labels_cmp(&((const struct promql_elem *)a)->labels,
                      &((const struct promql_elem *)b)->labels);
}

static void evaluate(const struct promql_node *n)
{
    struct promql_source src = series_set_source(input_set());
    struct promql_value v;
    char err[PROMQL_ERR_MAX];
    int rc = promql_eval(n, &src, EVAL_MS, &v, err);
    if (rc == -EINVAL && err[0] != '\0')
        return;
    if (rc != 0)
        fuzz_fail("evaluation failed: %d", rc);
    if (v.type != n->type)
        fuzz_fail("a result of another type than the expression's");
    if (v.vec.n > 1)
        qsort(v.vec.v, v.vec.n, sizeof(*v.vec.v), elem_cmp);
    for (size_t i = 1; i < v.vec.n; i++)
        if (labels_cmp(&v.vec.v[i - 1].labels, &v.vec.v[i].labels) == 0)
            fuzz_fail("two elements with the same labels");
    promql_value_free(&v);
}

static struct promql_node *parse_or_null(const char *text, size_t len,
                                         bool must)
{
    struct promql_node *n;
    char err[PROMQL_ERR_MAX];
    size_t pos = SIZE_MAX;
    int rc = promql_parse(text, len, &n, err, &pos);
    if (rc == -ENOMEM)
        fuzz_fail("out of memory");
    if (rc != 0) {
        if (n != NULL || err[0] == '\0' || pos > len)
            fuzz_fail("a failure without a message or a place (%zu of %zu)",
                      pos, len);
        /* The printed text may nest deeper by its added parentheses. */
        if (must && strstr(err, "nested too deeply") == NULL)
            fuzz_fail("\"%.*s\" does not parse again: %s at %zu", (int)len,
                      text, err, pos);
        return NULL;
    }
    if (n->type != PROMQL_SCALAR && n->type != PROMQL_VECTOR)
        fuzz_fail("an expression of neither scalar nor vector type");
    return n;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    /* A heap copy of exactly the input's size, so a read past its end is
     * caught. */
    char *text = fuzz_alloc(size);
    if (size > 0)
        memcpy(text, data, size);
    struct promql_node *n = parse_or_null(text, size, false);
    if (n != NULL) {
        evaluate(n);
        struct buf once = {0}, twice = {0};
        promql_format(&once, n);
        struct promql_node *again = parse_or_null(once.data, once.len, true);
        if (again != NULL)
            promql_format(&twice, again);
        if (again != NULL && (once.len != twice.len ||
                              memcmp(once.data, twice.data, once.len) != 0))
            fuzz_fail("\"%s\" prints as \"%s\" once parsed again", once.data,
                      twice.data);
        buf_free(&once);
        buf_free(&twice);
        promql_free(again);
        promql_free(n);
    }
    free(text);
    return 0;
}
