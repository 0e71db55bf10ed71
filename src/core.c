#include "core.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "budget.h"
#include "budget_store.h"
#include "config_alerting.h"
#include "engine_store.h"
#include "history.h"
#include "input.h"
#include "input_store.h"
#include "ledger.h"
#include "log.h"
#include "notify.h"
#include "pipeline.h"
#include "registry.h"
#include "registry_store.h"
#include "selfmetrics.h"
#include "state.h"

#define CORE_SIGNATURE_MAX 4096 /* bytes of a family's signature */

/* The usage ledger, when configured: it observes its metrics' updates. */
static int open_ledger(struct core *c)
{
    if (c->cfg->usage == NULL)
        return 0;
    int rc = ledger_new(c->cfg, &c->ledger);
    for (size_t i = 0; rc == 0 && i < ledger_n_metrics(c->ledger); i++) {
        struct ledger_metric_info m;
        ledger_metric(c->ledger, i, &m);
        rc = pipeline_observe(c->pipe, m.name, ledger_observe, c->ledger, i);
    }
    if (rc == 0)
        rc = ledger_selfmetrics(c->ledger, c->self);
    if (rc == 0 && c->cfg->n_budgets > 0)
        rc = budgets_new(c->cfg, c->ledger, &c->budgets);
    return rc == 0 && c->budgets != NULL
               ? budgets_selfmetrics(c->budgets, c->self)
               : rc;
}

/* The rule files' groups, evaluated while following; their alerts go to
 * the notifier. */
static int open_rules(struct core *c, const struct core_shell *sh)
{
    const struct cfg_alerting *a = c->cfg->alerting;
    struct engine_options o = {
        .default_interval_ms = (int64_t)a->evaluation_interval_ms,
        .resend_delay_ms = (int64_t)a->resend_delay_ms,
        .max_samples = c->cfg->max_rule_samples,
        .external_url = a->external_url,
    };
    struct engine_sink sink;
    int rc = engine_new(c->cfg->rules, &o, &c->rules);
    if (rc != 0)
        return rc;
    engine_notify_sink(sh->notifier, &sink);
    engine_set_sink(c->rules, &sink);
    engine_set_sampler(c->rules, sh->sample, sh->sample_ctx);
    return engine_selfmetrics(c->rules, c->self);
}

/*
 * Opens the state and restores what it saved into the registry, the
 * inputs (unless their positions are not kept), the usage ledger, the
 * budgets and the rules; without a usable database tokentail runs on.
 */
static int open_state(struct core *c, const struct core_shell *sh)
{
    int rc = state_open_handover(sh->state_path, sh->state_name, &c->state);
    if (rc == 0)
        rc = registry_store_join(c->state, c->reg, c->cfg->keep_removed_ms);
    if (rc == 0 && sh->positions)
        rc = input_store_join(c->state, c->inputs, c->n_inputs);
    if (rc == 0 && c->ledger != NULL)
        rc = ledger_attach(c->ledger, c->state);
    if (rc == 0 && c->budgets != NULL)
        rc = budget_store_join(c->state, c->budgets);
    if (rc == 0 && c->rules != NULL)
        rc = engine_store_join(c->state, c->rules, registry_wall_ms);
    if (rc == 0)
        state_restore(c->state);
    return rc;
}

static int open_inputs(struct core *c, const struct core_shell *sh)
{
    size_t n = c->cfg->n_inputs;
    c->inputs = calloc(n ? n : 1, sizeof(*c->inputs));
    if (c->inputs == NULL)
        return -ENOMEM;
    for (size_t i = 0; i < n; i++) {
        int rc = input_new(&c->cfg->inputs[i], sh->watch, sh->loop, sh->rb,
                           pipeline_sink(c->pipe, i), &c->inputs[i]);
        if (rc != 0)
            return rc;
        c->n_inputs++;
    }
    return 0;
}

int core_new(const struct config *cfg, const struct core_shell *sh,
             struct core **out)
{
    struct core *c = calloc(1, sizeof(*c));
    int rc;
    if (c == NULL)
        return -ENOMEM;
    c->cfg = cfg;
    if ((rc = registry_new(&c->reg)) == 0)
        registry_set_max_series(c->reg, cfg->max_series);
    if (rc == 0)
        rc = pipeline_new(cfg, c->reg, &c->pipe);
    if (rc == 0)
        rc = selfmetrics_new(c->reg, &c->self);
    if (rc == 0)
        rc = open_ledger(c);
    if (rc == 0 && sh->notifier != NULL)
        rc = notifier_selfmetrics(sh->notifier, c->self);
    if (rc == 0 && sh->loop != NULL && cfg->rules != NULL)
        rc = open_rules(c, sh);
    if (rc == 0)
        rc = open_inputs(c, sh);
    if (rc == 0)
        rc = open_state(c, sh);
    if (rc != 0) {
        core_free(c);
        return rc;
    }
    *out = c;
    return 0;
}

int core_start(struct core *c)
{
    for (size_t i = 0; i < c->n_inputs; i++) {
        input_scan(c->inputs[i], INPUT_SCAN_STARTUP);
        int rc = input_start(c->inputs[i]);
        if (rc != 0)
            return rc;
    }
    return 0;
}

void core_drain(struct core *c)
{
    for (size_t i = 0; i < c->n_inputs; i++)
        while (input_pump(c->inputs[i], SIZE_MAX))
            ;
}

int core_checkpoint(struct core *c)
{
    struct state_stats st;
    int rc = state_checkpoint(c->state);
    if (rc > 0) {
        state_get_stats(c->state, &st);
        selfmetrics_observe_checkpoint(c->self, st.last_us);
    }
    if (c->ledger != NULL)
        ledger_sync(c->ledger);
    return rc;
}

static bool rules_read(const void *ctx, const char *family)
{
    return engine_reads(ctx, family);
}

int core_sample_rules(struct core *c, struct history *h, int64_t t_ms)
{
    return history_sample_registry(h, c->reg, t_ms, rules_read, c->rules);
}

void core_free(struct core *c)
{
    if (c == NULL)
        return;
    /* The state's participants borrow the registry and the inputs. */
    state_close(c->state);
    for (size_t i = 0; c->inputs != NULL && i < c->n_inputs; i++)
        input_free(c->inputs[i]);
    free(c->inputs);
    selfmetrics_free(c->self);
    /* After the state, whose checkpoints they take part in. */
    budgets_free(c->budgets);
    ledger_free(c->ledger);
    engine_free(c->rules);
    pipeline_free(c->pipe);
    registry_free(c->reg);
    free(c);
}

/* --- what a reload changes ----------------------------------------------- */

/* Whether f is one of tokentail's own families. */
static bool own_family(struct family *f)
{
    struct family_view v;
    family_view(f, &v);
    return (v.def.flags & FAMILY_SELF) != 0;
}

/* The configured (not tokentail's own) family named name in reg, or NULL. */
static struct family *configured(struct registry *reg, const char *name)
{
    struct family *f = registry_find(reg, name);
    return f != NULL && !own_family(f) ? f : NULL;
}

static const struct cfg_input *find_input(const struct config *cfg,
                                          const char *name)
{
    for (size_t i = 0; i < cfg->n_inputs; i++)
        if (strcmp(cfg->inputs[i].name, name) == 0)
            return &cfg->inputs[i];
    return NULL;
}

static bool same_paths(const struct cfg_input *a, const struct cfg_input *b)
{
    if (a->n_paths != b->n_paths)
        return false;
    for (size_t i = 0; i < a->n_paths; i++)
        if (strcmp(a->paths[i], b->paths[i]) != 0)
            return false;
    return true;
}

/* Whether two families have the same definition (registry_signature). */
static bool same_definition(const struct family *a, const struct family *b)
{
    char sa[CORE_SIGNATURE_MAX], sb[CORE_SIGNATURE_MAX];
    size_t na = family_signature(a, sa, sizeof(sa));
    size_t nb = family_signature(b, sb, sizeof(sb));
    return na > 0 && na == nb && memcmp(sa, sb, na) == 0;
}

/* Metrics new in next; the state logs those changed or gone as it
 * restores (registry_store.h). Returns how many kept their definition. */
static size_t log_metrics(const struct core *old, const struct core *next)
{
    size_t kept = 0;
    for (size_t i = 0; i < registry_n_families(next->reg); i++) {
        struct family *f = registry_family(next->reg, i);
        if (own_family(f))
            continue;
        const char *name = family_name(f);
        struct family *was = configured(old->reg, name);
        if (was == NULL)
            log_info("reload: metric %s is new", name);
        else
            kept += same_definition(was, f);
    }
    return kept;
}

static size_t log_inputs(const struct core *old, const struct core *next)
{
    size_t kept = 0;
    for (size_t i = 0; i < next->cfg->n_inputs; i++) {
        const struct cfg_input *now = &next->cfg->inputs[i];
        const struct cfg_input *was = find_input(old->cfg, now->name);
        if (was == NULL)
            log_info("reload: input %s is new; following its files", now->name);
        else if (!same_paths(was, now))
            log_info("reload: input %s follows other paths; its files' "
                     "positions are kept where they still match",
                     now->name);
        else
            kept++;
    }
    for (size_t i = 0; i < old->cfg->n_inputs; i++)
        if (find_input(next->cfg, old->cfg->inputs[i].name) == NULL)
            log_info("reload: input %s is gone; its files are no longer "
                     "followed",
                     old->cfg->inputs[i].name);
    return kept;
}

/* Whether two optional strings (NULL: not set) say the same. */
static bool same_text(const char *a, const char *b)
{
    return a == b || (a != NULL && b != NULL && strcmp(a, b) == 0);
}

void core_settle(const struct core *old, struct core *next)
{
    if (!same_text(old->cfg->state_file, next->cfg->state_file))
        log_warn("reload: state.file changed; the state stays where it is "
                 "until a restart");
    engine_forget_changed(next->rules, old->rules);
    size_t metrics = log_metrics(old, next);
    size_t inputs = log_inputs(old, next);
    log_info("reload: %zu metrics and %zu inputs unchanged, their series "
             "and positions kept%s",
             metrics, inputs,
             next->rules != NULL ? "; unchanged rules keep their alerts" : "");
}
