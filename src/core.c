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
#include "remote_write.h"
#include "selfmetrics.h"
#include "state.h"

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
    if (rc == 0 && sh->pusher != NULL)
        rc = pusher_selfmetrics(sh->pusher, cfg->push, c->self);
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

/* Logs the metrics new in next; the state logs those changed or gone as
 * it restores (registry_store.h). Returns how many kept their definition. */
static size_t log_metrics(const struct config_match *m,
                          const struct config *next)
{
    size_t kept = 0;
    for (size_t i = 0; i < m->n_metrics; i++) {
        if (m->metrics[i].fate == CONFIG_ADDED)
            log_info("reload: metric %s is new", next->metrics[i].name);
        kept += m->metrics[i].fate == CONFIG_KEPT;
    }
    return kept;
}

/* Logs the inputs added, changed and gone; returns how many are kept. */
static size_t log_inputs(const struct config_match *m, const struct config *old,
                         const struct config *next)
{
    size_t kept = 0;
    for (size_t i = 0; i < m->n_inputs; i++) {
        const char *name = next->inputs[i].name;
        if (m->inputs[i].fate == CONFIG_ADDED)
            log_info("reload: input %s is new; following its files", name);
        else if (m->inputs[i].fate == CONFIG_CHANGED)
            log_info("reload: input %s reads otherwise now; its files' "
                     "positions are kept where they still match",
                     name);
        else
            kept++;
    }
    for (size_t i = 0; i < m->n_gone_inputs; i++)
        log_info("reload: input %s is gone; its files are no longer followed",
                 old->inputs[m->gone_inputs[i]].name);
    return kept;
}

void core_settle(const struct core *old, struct core *next)
{
    if (!config_same_text(old->cfg->state_file, next->cfg->state_file))
        log_warn("reload: state.file changed; the state stays where it is "
                 "until a restart");
    engine_forget_changed(next->rules, old->rules);
    struct config_match *m;
    if (config_match(old->cfg, next->cfg, &m) != 0)
        return; /* out of memory: only the log goes without */
    size_t metrics = log_metrics(m, next->cfg);
    size_t inputs = log_inputs(m, old->cfg, next->cfg);
    config_match_free(m);
    log_info("reload: %zu metrics and %zu inputs unchanged, their series "
             "and positions kept%s",
             metrics, inputs,
             next->rules != NULL ? "; unchanged rules keep their alerts" : "");
}
