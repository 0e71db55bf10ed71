/*
 * The budget warnings given in the current periods, kept with the
 * checkpoints (state.h) so that a restart, even after kill -9, does not
 * warn again of a fraction already reached in the same period: the
 * warnings are saved in the same transaction as the ledger rows whose
 * amounts reached it, so both continue from the same checkpoint.
 *
 * One table, budget_warnings (budget, period, start, fraction): a row per
 * warning given, the fraction as exact decimal text. Each save rewrites
 * it whole: there are at most a few rows per budget.
 */
#ifndef TOKENTAIL_BUDGET_STORE_H
#define TOKENTAIL_BUDGET_STORE_H

#include "budget.h"
#include "state.h"

/*
 * Makes the budgets b (borrowed: they must outlive s's use of them) the
 * STATE_PART_BUDGETS participant of s (borrowed); call before
 * state_restore. Returns 0 or -errno.
 */
int budget_store_join(struct state *s, struct budgets *b);

#endif
