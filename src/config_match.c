/*
 * A configuration's definitions by identity: the signature a metric's
 * saved series depend on, and the match between an old configuration and
 * a new one that a reload will use to keep what did not change.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"

size_t config_metric_label_names(const struct cfg_metric *m,
                                 const char *names[CONFIG_MAX_LABELS])
{
    size_t n = 0;
    for (size_t i = 0; i < m->n_labels; i++, n++)
        if (n < CONFIG_MAX_LABELS)
            names[n] = m->labels[i].name;
    for (size_t i = 0; i < m->n_value_labels; i++, n++)
        if (n < CONFIG_MAX_LABELS)
            names[n] = m->values[0].labels[i].name;
    return n;
}

size_t config_metric_signature(const struct cfg_metric *m, char *sig,
                               size_t cap)
{
    const char *names[CONFIG_MAX_LABELS];
    size_t n = config_metric_label_names(m, names);
    if (n > CONFIG_MAX_LABELS)
        return 0;
    return registry_signature(m->type, m->update, names, n, m->buckets,
                              m->n_buckets, sig, cap);
}

/*
 * m's signature in memory of its own (caller frees), sized for the
 * longest one m can have; NULL when out of memory (registry_signature's
 * 0: a loaded metric never has too many labels for one).
 */
static char *signature_of(const struct cfg_metric *m)
{
    /* The type and update, three separators, each label and bound with a
     * comma. */
    size_t cap = strlen(metric_type_name(m->type)) +
                 strlen(gauge_update_name(m->update)) + 4;
    for (size_t i = 0; i < m->n_labels; i++)
        cap += strlen(m->labels[i].name) + 1;
    for (size_t i = 0; i < m->n_value_labels; i++)
        cap += strlen(m->values[0].labels[i].name) + 1;
    cap += m->n_buckets * (NUM_FMT_MAX + 1);
    char *sig = malloc(cap);
    if (sig != NULL && config_metric_signature(m, sig, cap) == 0) {
        free(sig);
        return NULL;
    }
    return sig;
}

bool config_same_text(const char *a, const char *b)
{
    return a == b || (a != NULL && b != NULL && strcmp(a, b) == 0);
}

/* Whether two inputs read the same files the same way. */
static bool same_input(const struct cfg_input *a, const struct cfg_input *b)
{
    if (a->n_paths != b->n_paths || a->n_parsers != b->n_parsers ||
        a->start_at != b->start_at || a->envelope != b->envelope ||
        a->max_line_bytes != b->max_line_bytes ||
        a->rotate_grace_ms != b->rotate_grace_ms ||
        a->reconcile_ms != b->reconcile_ms)
        return false;
    for (size_t i = 0; i < a->n_paths; i++)
        if (!config_same_text(a->paths[i], b->paths[i]))
            return false;
    for (size_t i = 0; i < a->n_parsers; i++)
        if (a->parsers[i].kind != b->parsers[i].kind ||
            a->parsers[i].non_finite != b->parsers[i].non_finite ||
            !config_same_text(a->parsers[i].pattern, b->parsers[i].pattern))
            return false;
    return true;
}

/* Whether a and b have the same signature: 1, 0, or -ENOMEM. */
static int same_series(const struct cfg_metric *a, const struct cfg_metric *b)
{
    char *x = signature_of(a), *y = signature_of(b);
    int same = x != NULL && y != NULL ? strcmp(x, y) == 0 : -ENOMEM;
    free(x);
    free(y);
    return same;
}

/* The fate of a definition whose same-named old one is at old (or -1). */
static struct config_pair pair(int old, bool same)
{
    return (struct config_pair){
        .fate = old < 0 ? CONFIG_ADDED
                : same  ? CONFIG_KEPT
                        : CONFIG_CHANGED,
        .old = old,
    };
}

static int match_metrics(const struct config *old, const struct config *next,
                         struct config_pair *pairs)
{
    for (size_t i = 0; i < next->n_metrics; i++) {
        const struct cfg_metric *m = &next->metrics[i];
        int o = config_metric_index(old, m->name);
        int same = o < 0 ? 0 : same_series(&old->metrics[o], m);
        if (same < 0)
            return same;
        pairs[i] = pair(o, same == 1);
    }
    return 0;
}

static void match_inputs(const struct config *old, const struct config *next,
                         struct config_pair *pairs)
{
    for (size_t i = 0; i < next->n_inputs; i++) {
        const struct cfg_input *in = &next->inputs[i];
        int o = config_input_index(old, in->name);
        pairs[i] = pair(o, o >= 0 && same_input(&old->inputs[o], in));
    }
}

int config_match(const struct config *old, const struct config *next,
                 struct config_match **out)
{
    struct config_match *r;
    size_t pairs = next->n_metrics + next->n_inputs;
    size_t gone = old->n_metrics + old->n_inputs;

    *out = NULL;
    /* One block, so that one free() releases the whole answer. */
    r = calloc(1, sizeof(*r) + pairs * sizeof(struct config_pair) +
                      gone * sizeof(int));
    if (r == NULL)
        return -ENOMEM;
    r->metrics = (struct config_pair *)(r + 1);
    r->inputs = r->metrics + next->n_metrics;
    r->gone_metrics = (int *)(r->inputs + next->n_inputs);
    r->gone_inputs = r->gone_metrics + old->n_metrics;
    r->n_metrics = next->n_metrics;
    r->n_inputs = next->n_inputs;

    if (match_metrics(old, next, r->metrics) != 0) {
        free(r);
        return -ENOMEM;
    }
    match_inputs(old, next, r->inputs);
    for (size_t i = 0; i < old->n_metrics; i++)
        if (config_metric_index(next, old->metrics[i].name) < 0)
            r->gone_metrics[r->n_gone_metrics++] = (int)i;
    for (size_t i = 0; i < old->n_inputs; i++)
        if (config_input_index(next, old->inputs[i].name) < 0)
            r->gone_inputs[r->n_gone_inputs++] = (int)i;
    *out = r;
    return 0;
}

void config_match_free(struct config_match *m)
{
    free(m);
}
