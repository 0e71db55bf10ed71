/*
 * Budgets: how much of a limit one usage counter has used in the current
 * calendar period (hour, day, ISO week or month of the usage zone, by the
 * wall clock), what remains, where it is heading, and a warning in the
 * log when it reaches each warn_at fraction of the limit.
 *
 * used is the usage ledger's sum (ledger.h) of the budget's counter over
 * its series whose labels hold the budget's match, over the period's days
 * (or, for an hour, that hour's rows): the same exact decimals as the
 * counters. From it, for a limited budget:
 *
 *   remaining   = limit - used (negative when over)
 *   utilization = used / limit, rounded half to even at 10^-12 (num.h)
 *   projected   = used * (end - start) / (at - start), rounded alike,
 *                 once BUDGET_PROJECT_MIN_PERMILLE of the period has
 *                 passed; before that, projected = used, so one request
 *                 in a period's first minutes does not project nonsense
 *   status      = exceeded when used >= limit (nothing remains), else
 *                 warning when used >= the first warn_at * limit, else ok
 *
 * An unlimited budget has only used and projected, and is always ok.
 *
 * A warning is logged once per budget, fraction and period: the first
 * budgets_check() that finds used >= fraction * limit logs it. What was
 * warned is kept with the checkpoints (budget_store.h), so a restart does
 * not warn again of a fraction already reached in the same period.
 *
 * One thread; every pointer is borrowed unless said otherwise.
 */
#ifndef TOKENTAIL_BUDGET_H
#define TOKENTAIL_BUDGET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "config.h"
#include "ledger.h"
#include "num.h"
#include "period.h"

/* Projection starts once this much of the period has passed (5 %). */
#define BUDGET_PROJECT_MIN_PERMILLE 50
/* How often the daemon checks the budgets for warnings, milliseconds. */
#define BUDGET_CHECK_MS 1000

struct budgets;
struct selfmetrics;

enum budget_status { BUDGET_OK, BUDGET_WARNING, BUDGET_EXCEEDED };
#define BUDGET_STATUS_COUNT (BUDGET_EXCEEDED + 1)

/* "ok", "warning" or "exceeded". */
const char *budget_status_name(enum budget_status s);

/* --- one budget's figures, from its used amount ------------------------- */

/* A budget's figures at the instant at, in its period span. */
struct budget_figures {
    struct period_span span;
    int64_t at; /* UTC seconds the figures are for */
    bool limited;
    num_fixed limit, used, remaining, utilization, projected;
    enum budget_status status;
    size_t reached; /* how many warn_at fractions used has reached */
};

/*
 * used projected to span's end from the instant at (UTC seconds), by the
 * rule above; NUM_FIXED_MAX when it does not fit.
 */
num_fixed budget_project(num_fixed used, const struct period_span *span,
                         int64_t at);

/*
 * The figures of b (borrowed) when it has used used in span at the
 * instant at, into *out.
 */
void budget_figures_of(const struct cfg_budget *b,
                       const struct period_span *span, int64_t at,
                       num_fixed used, struct budget_figures *out);

/* --- the budgets of a configuration ------------------------------------- */

/*
 * The wall clock in whole UTC seconds, for budgets_eval's now: read
 * precisely, since time() may read a coarse clock up to a tick behind, and
 * a projection made a second early would not be the one its client
 * expects.
 */
int64_t budgets_wall_clock(void);

/*
 * The budgets of cfg (borrowed; cfg->n_budgets of them), reading the
 * ledger l (borrowed; both must outlive the budgets), which keeps every
 * budget's metric (the configuration makes sure). Stores them in *out
 * (caller frees with budgets_free). Returns 0, -EINVAL when a budget's
 * metric is not in the ledger, or -ENOMEM.
 */
int budgets_new(const struct config *cfg, struct ledger *l,
                struct budgets **out);

/* NULL is a no-op. */
void budgets_free(struct budgets *b);

size_t budgets_count(const struct budgets *b);

/* The configuration of budget i; borrowed. */
const struct cfg_budget *budgets_def(const struct budgets *b, size_t i);

/* The name of budget i's metric; borrowed from the configuration. */
const char *budgets_metric(const struct budgets *b, size_t i);

/* The ledger's zone, in which the periods are. */
const struct tz *budgets_zone(const struct budgets *b);

/*
 * Brings every budget's figures to the UTC instant now, summing the ledger
 * again only for a budget whose period changed or whose metric had
 * updates since. Returns 0, or the first ledger_sum() failure (that
 * budget keeps its last figures).
 */
int budgets_eval(struct budgets *b, int64_t now);

/* Budget i's figures as the last budgets_eval() left them; borrowed. */
const struct budget_figures *budgets_figures(const struct budgets *b, size_t i);

/*
 * budgets_eval(), then logs at WARNING each warn_at fraction a budget
 * has reached in its period and not warned of yet. Returns how many
 * warnings it logged (0 or more), or -errno as budgets_eval.
 */
int budgets_check(struct budgets *b, int64_t now);

/* Adds the tokentail_budget_* gauges to sm (borrowed; b must outlive it):
 * they show the figures of the last budgets_eval(). Returns 0 or -errno. */
int budgets_selfmetrics(struct budgets *b, struct selfmetrics *sm);

/* --- what was warned, for the store (budget_store.h) -------------------- */

/* One warning given: a budget reached fraction in the period of kind
 * that starts at start (UTC seconds). */
struct budget_warned {
    const char *budget;
    enum period_kind kind;
    int64_t start;
    num_fixed fraction;
};

/* Calls fn(ctx, w) for each warning given in the budgets' current
 * periods; stops at, and returns, the first non-zero fn answers. */
int budgets_each_warned(const struct budgets *b,
                        int (*fn)(void *ctx, const struct budget_warned *w),
                        void *ctx);

/*
 * Records a warning given before a restart. One of a budget no longer
 * configured, of another kind of period, or of a fraction it no longer
 * has is forgotten; budgets_eval() forgets those of a past period.
 */
void budgets_restore_warned(struct budgets *b, const struct budget_warned *w);

/* Whether the warnings given changed since budgets_saved(). */
bool budgets_warned_changed(const struct budgets *b);
void budgets_saved(struct budgets *b);

#endif
