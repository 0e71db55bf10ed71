/*
 * Adding one pipeline's counts into another's (pipeline_merge_counts): a
 * parallel backfill (backfill.h) reads each file with a pipeline of its
 * own and adds what it counted to the daemon's, so tokentail's own
 * metrics say what one pass would.
 */
#include "pipeline.h"

#include "field_probe.h"

void pipeline_merge_counts(struct pipeline *dst, const struct pipeline *src)
{
    for (size_t i = 0; i < dst->n_inputs && i < src->n_inputs; i++) {
        struct pipeline_input *d = &dst->inputs[i];
        const struct pipeline_input *s = &src->inputs[i];
        d->lines += s->lines;
        for (size_t k = 0; k < LINE_SKIP_COUNT; k++)
            d->skipped[k] += s->skipped[k];
        if (d->time != NULL && s->time != NULL) {
            struct eventtime_stats ts;
            eventtime_get_stats(s->time, &ts);
            eventtime_add_stats(d->time, &ts);
        }
    }
    for (size_t i = 0; i < dst->n_rules && i < src->n_rules; i++) {
        dst->rules[i].updates += src->rules[i].updates;
        for (size_t k = 0; k < UPDATE_SKIP_COUNT; k++)
            dst->rules[i].skipped[k] += src->rules[i].skipped[k];
    }
}

void pipeline_no_probe(struct pipeline *p)
{
    for (size_t i = 0; i < p->n_inputs; i++) {
        field_probe_free(p->inputs[i].probe);
        p->inputs[i].probe = NULL;
    }
}
