/*
 * Rule unit tests in promtool's format ("promtool test rules"): a test
 * file names rule files (globs, relative to the test file), an
 * evaluation interval, and test groups, each with input series in the
 * expanding notation, alert tests (the alerts firing at a time, with
 * their labels and annotations) and expression tests (the samples an
 * expression gives at a time). tokentail runs the very files promtool
 * runs, with its own evaluator, so the two can be held to each other.
 *
 * The input series are seen as promtool loads them, as its clock
 * advances: a rule evaluated at t sees no sample after t, so a negative
 * offset finds nothing newer, as in a live server; expression tests see
 * the samples up to the group's last evaluation time.
 *
 * Sample values compare with a relative tolerance of RULETEST_TOLERANCE:
 * sums depend on the order series are added in. NaN equals NaN.
 *
 * Reports are written to out (borrowed) in promtool's layout.
 */
#ifndef TOKENTAIL_RULES_RULETEST_H
#define TOKENTAIL_RULES_RULETEST_H

#include <stddef.h>
#include <stdio.h>

#define RULETEST_TOLERANCE 1e-9 /* relative */

/*
 * Runs the test files (n paths, borrowed). Returns 0 when every test
 * passes, 1 when one fails, 2 when a test or rule file cannot be read or
 * is malformed (its errors written at file:line:column).
 */
int ruletest_run(const char *const *files, size_t n, FILE *out);

#endif
