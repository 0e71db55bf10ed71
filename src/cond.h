/*
 * Conditions: which lines a metric, or a label's case, applies to.
 *
 * A condition of the configuration (struct cfg_cond: equals, in, exists,
 * gt ... le, matches, all, any, not) is compiled once — its regular
 * expression, its sub-conditions — and evaluated against each line's
 * fields. A field that is missing, or of a type the test cannot use,
 * makes the test false, never an error.
 */
#ifndef TOKENTAIL_COND_H
#define TOKENTAIL_COND_H

#include <stdbool.h>

#include "config.h"
#include "fields.h"

struct rx;

struct cond {
    const struct cfg_cond *cfg; /* borrowed from the configuration */
    struct rx *rx;              /* COND_MATCHES */
    struct cond *subs;          /* COND_ALL, COND_ANY, COND_NOT */
};

/*
 * Compiles c (borrowed; must outlive out) into out, which the caller
 * provides zeroed. Returns 0, -EINVAL or -ENOMEM; cond_free(out) releases
 * what was built either way.
 */
int cond_build(const struct cfg_cond *c, struct cond *out);

/* Frees what cond_build made (not c itself); NULL is a no-op. */
void cond_free(struct cond *c);

/* Whether the current line's fields satisfy c. */
bool cond_eval(struct fields *fs, const struct cond *c);

/*
 * Whether a and b (borrowed) test the same thing, so that one's result on
 * a line is the other's: the same operators on the same fields with the
 * same values, patterns and sub-conditions, in the same order. A YAML
 * alias (when: *request_line) makes such twins.
 */
bool cond_same(const struct cfg_cond *a, const struct cfg_cond *b);

#endif
