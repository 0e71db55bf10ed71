/*
 * Loading conditions: which lines a metric counts (when) and which case
 * gives a label its value. A condition tests one field (equals, in,
 * exists, gt, ge, lt, le, matches) or combines others (all, any, not; a
 * list means all). Part of the configuration loader, used by
 * config_metric.c and config_label.c.
 */
#include <string.h>

#include "config_cond.h"

static bool load_cond_list(struct loader *L, const yaml_node_t *n,
                           struct cfg_cond *c, enum cond_op op, int depth)
{
    c->op = op;
    c->field = -1;
    if (!cfg_want(L, n, YAML_SEQUENCE_NODE, op == COND_ALL ? "all" : "any"))
        return false;
    c->n_subs = cfg_seq_len(n);
    if (c->n_subs == 0) {
        cfg_err(L, n, "a condition list must not be empty");
        return false;
    }
    c->subs = cfg_alloc(L, c->n_subs * sizeof(*c->subs));
    if (c->subs == NULL)
        return false;
    bool ok = true;
    for (size_t i = 0; i < c->n_subs; i++)
        ok &= cfg_load_cond(L, cfg_node(L, n->data.sequence.items.start[i]),
                            &c->subs[i], depth + 1);
    return ok;
}

/* The text of a scalar compared against field values. */
static bool match_value(struct loader *L, const yaml_node_t *n,
                        const char **value, uint32_t *len)
{
    size_t l;
    *value = cfg_scalar(L, n, "a value to compare with", &l);
    *len = (uint32_t)l;
    return *value != NULL;
}

/* The tests a condition on a field can make; exactly one per condition. */
static const char *const tests[] = {"equals", "in", "exists", "gt",
                                    "ge",     "lt", "le",     "matches"};
#define N_TESTS (sizeof(tests) / sizeof(tests[0]))

static bool load_test(struct loader *L, const yaml_node_t *v, const char *name,
                      struct cfg_cond *c)
{
    if (strcmp(name, "equals") == 0) {
        const char **vals = cfg_alloc(L, sizeof(*vals));
        uint32_t *lens = cfg_alloc(L, sizeof(*lens));
        c->op = COND_EQUALS;
        c->n_values = 1;
        c->values = vals;
        c->value_lens = lens;
        return vals && lens && match_value(L, v, &vals[0], &lens[0]);
    }
    if (strcmp(name, "in") == 0) {
        c->op = COND_IN;
        if (!cfg_want(L, v, YAML_SEQUENCE_NODE, "in"))
            return false;
        c->n_values = cfg_seq_len(v);
        if (c->n_values == 0) {
            cfg_err(L, v, "\"in\" must list at least one value");
            return false;
        }
        const char **vals = cfg_alloc(L, c->n_values * sizeof(*vals));
        uint32_t *lens = cfg_alloc(L, c->n_values * sizeof(*lens));
        if (vals == NULL || lens == NULL)
            return false;
        bool ok = true;
        for (size_t i = 0; i < c->n_values; i++)
            ok &= match_value(L, cfg_node(L, v->data.sequence.items.start[i]),
                              &vals[i], &lens[i]);
        c->values = vals;
        c->value_lens = lens;
        return ok;
    }
    if (strcmp(name, "exists") == 0) {
        bool b;
        if (!cfg_bool(L, v, "exists", &b))
            return false;
        c->op = b ? COND_EXISTS : COND_ABSENT;
        return true;
    }
    if (strcmp(name, "matches") == 0) {
        c->op = COND_MATCHES;
        return cfg_regex(L, v, "matches", &c->pattern);
    }
    static const enum cond_op cmp[] = {COND_GT, COND_GE, COND_LT, COND_LE};
    static const char *const cmp_names[] = {"gt", "ge", "lt", "le"};
    for (size_t i = 0; i < sizeof(cmp) / sizeof(*cmp); i++)
        if (strcmp(name, cmp_names[i]) == 0) {
            struct num_dec d;
            c->op = cmp[i];
            if (!cfg_number(L, v, name, &d))
                return false;
            if (num_to_fixed(&d, NULL, &c->number) != 0) {
                cfg_err(L, v, "%s is out of range", name);
                return false;
            }
            return true;
        }
    return false;
}

bool cfg_load_cond(struct loader *L, const yaml_node_t *n, struct cfg_cond *c,
                   int depth)
{
    static const char *const keys[] = {
        "field", "equals",  "in",  "exists", "gt",  "ge", "lt",
        "le",    "matches", "all", "any",    "not", NULL};
    if (depth > CONFIG_MAX_COND_DEPTH) {
        cfg_err(L, n, "conditions nest deeper than %d levels",
                CONFIG_MAX_COND_DEPTH);
        return false;
    }
    if (n->type == YAML_SEQUENCE_NODE)
        return load_cond_list(L, n, c, COND_ALL, depth);
    if (!cfg_keys(L, n, keys, "a condition"))
        return false;

    yaml_node_t *all = cfg_get(L, n, "all"), *any = cfg_get(L, n, "any"),
                *not = cfg_get(L, n, "not"), *field = cfg_get(L, n, "field");
    int combinators = !!all + !!any + !!not ;
    const char *test = NULL;
    yaml_node_t *test_node = NULL;
    int n_tests = 0;
    for (size_t i = 0; i < N_TESTS; i++) {
        yaml_node_t *v = cfg_get(L, n, tests[i]);
        if (v != NULL) {
            n_tests++;
            test = tests[i];
            test_node = v;
        }
    }

    if (combinators > 0) {
        if (combinators > 1 || field || n_tests) {
            cfg_err(L, n,
                    "a condition with all, any or not must have nothing else");
            return false;
        }
        if (all)
            return load_cond_list(L, all, c, COND_ALL, depth);
        if (any)
            return load_cond_list(L, any, c, COND_ANY, depth);
        c->op = COND_NOT;
        c->field = -1;
        c->n_subs = 1;
        c->subs = cfg_alloc(L, sizeof(*c->subs));
        return c->subs && cfg_load_cond(L, not, c->subs, depth + 1);
    }
    if (field == NULL) {
        cfg_err(L, n, "a condition needs \"field\" (or all, any, not)");
        return false;
    }
    if (n_tests != 1) {
        cfg_err(L, n,
                "a condition needs exactly one of equals, in, exists, "
                "gt, ge, lt, le, matches");
        return false;
    }
    c->field = cfg_field_ref(L, field, "condition field");
    if (c->field < 0)
        return false;
    return load_test(L, test_node, test, c);
}
