/*
 * What the rule engine's tests share: a rule file written into a
 * temporary directory and loaded through the configuration, and a
 * sampler whose series the test sets before each evaluation.
 */
#ifndef TOKENTAIL_TEST_ENGINE_HELPERS_H
#define TOKENTAIL_TEST_ENGINE_HELPERS_H

#include <math.h>

#include "engine.h"
#include "helpers.h"

#define EFIX_SERIES 4
#define EFIX_S_MS   1000
#define EFIX_T0     1699999980000LL /* an instant on a whole minute */

/* A series the sampler gives: its name and job label, its value; NAN
 * for absent. */
struct efix_series {
    const char *name, *job;
    double v;
};

struct efix {
    struct tmp t;
    struct config *cfg;
    struct engine *e;
    struct efix_series s[EFIX_SERIES];
    int rounds;
};

static inline int efix_make(void *ctx, struct labels *ls)
{
    const struct efix_series *s = ctx;
    int rc = labels_set(ls, LABELS_NAME, s->name);
    return rc == 0 ? labels_set(ls, "job", s->job) : rc;
}

static inline int efix_sample(void *ctx, struct history *h, int64_t t_ms)
{
    struct efix *x = ctx;
    char key[64];
    x->rounds++;
    history_begin(h, t_ms);
    for (size_t i = 0; i < EFIX_SERIES; i++) {
        struct efix_series *s = &x->s[i];
        if (s->name == NULL || isnan(s->v))
            continue;
        int n = snprintf(key, sizeof(key), "%s/%s", s->name, s->job);
        if (history_put(h, key, (size_t)n, s->v, efix_make, s) != 0)
            return -ENOMEM;
    }
    history_end(h);
    return 0;
}

/* Writes rules (a rule file's text) to the temporary directory, loads a
 * configuration naming it, and makes an engine over it. */
static inline void efix_open_in(struct efix *x, const char *rules,
                                const struct tmp *t)
{
    char path[192], yaml[512];
    x->t = *t;
    snprintf(path, sizeof(path), "%s/rules.yml", t->dir);
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs(rules, f);
    fclose(f);
    snprintf(yaml, sizeof(yaml),
             "inputs: [{name: app, paths: [/dev/null]}]\n"
             "rule_files: [%s]\n",
             path);
    x->cfg = config_or_fail(yaml);
    struct engine_options o = {.default_interval_ms = 15 * EFIX_S_MS,
                               .resend_delay_ms = 60 * EFIX_S_MS,
                               .max_samples = 10000,
                               .external_url = "http://h:1/"};
    assert_int_equal(engine_new(x->cfg->rules, &o, &x->e), 0);
    engine_set_sampler(x->e, efix_sample, x);
}

static inline void efix_close(struct efix *x)
{
    engine_free(x->e);
    config_free(x->cfg);
    x->e = NULL;
    x->cfg = NULL;
}

#endif
