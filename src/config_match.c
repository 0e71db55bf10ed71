/*
 * A configuration's definitions by identity: the signature a metric's
 * saved series depend on.
 */
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
    return registry_signature(m->type, names, n, m->buckets, m->n_buckets, sig,
                              cap);
}
