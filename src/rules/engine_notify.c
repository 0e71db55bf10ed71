/*
 * The engine's sink made of the notifier (notify.h): each transition
 * logged by notify_log_transition, the alerts due handed to
 * notifier_send. Only the shapes differ: label sets become the notifier's
 * borrowed name and value pairs.
 */
#include <errno.h>
#include <stdlib.h>

#include "engine.h"
#include "log.h"
#include "notify.h"

/* The pairs of every label and annotation of n alerts, in one array. */
static struct notify_label *pairs_for(const struct engine_alert *v, size_t n)
{
    size_t total = 0;
    for (size_t i = 0; i < n; i++)
        total += v[i].labels->n + v[i].annotations->n;
    return malloc((total ? total : 1) * sizeof(struct notify_label));
}

static size_t fill(struct notify_label *p, const struct labels *ls)
{
    for (size_t i = 0; i < ls->n; i++)
        p[i] = (struct notify_label){ls->v[i].name, ls->v[i].value};
    return ls->n;
}

/* a as the notifier takes it, its pairs placed from *p on. */
static void convert(const struct engine_alert *a, struct notify_label **p,
                    struct notify_alert *out)
{
    out->labels = *p;
    out->n_labels = fill(*p, a->labels);
    *p += out->n_labels;
    out->annotations = *p;
    out->n_annotations = fill(*p, a->annotations);
    *p += out->n_annotations;
    out->state = a->resolved ? NOTIFY_RESOLVED : NOTIFY_FIRING;
    out->starts_at_ms = a->starts_at_ms;
    out->ends_at_ms = a->ends_at_ms;
    out->value = a->value;
    out->generator_url = a->generator_url;
}

static void on_transition(void *ctx, const struct engine_alert *a)
{
    struct notify_label *pairs = pairs_for(a, 1), *p = pairs;
    struct notify_alert na;
    (void)ctx;
    if (pairs == NULL) {
        log_error("out of memory logging an alert's transition");
        return;
    }
    convert(a, &p, &na);
    notify_log_transition(&na);
    free(pairs);
}

static void on_send(void *ctx, const struct engine_alert *v, size_t n,
                    int64_t now_ms)
{
    struct notify_label *pairs = pairs_for(v, n), *p = pairs;
    struct notify_alert *na = calloc(n, sizeof(*na));
    if (pairs != NULL && na != NULL) {
        for (size_t i = 0; i < n; i++)
            convert(&v[i], &p, &na[i]);
        notifier_send(ctx, na, n, now_ms);
    } else {
        log_error("out of memory handing %zu alerts to the notifier", n);
    }
    free(na);
    free(pairs);
}

void engine_notify_sink(struct notifier *n, struct engine_sink *out)
{
    out->transition = on_transition;
    out->send = on_send;
    out->ctx = n;
}
