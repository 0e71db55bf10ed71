/*
 * The PromQL parser (promql.h). The input is an expression:
 *   - parsing it either fails with a message and a position inside the
 *     text, or gives a tree of type scalar or instant vector;
 *   - the tree printed (promql_format) parses again, and prints the same
 *     text: nothing the parser accepts is lost or changed on the way
 *     (unless the parentheses it adds nest it too deeply).
 */
#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"
#include "promql.h"

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
