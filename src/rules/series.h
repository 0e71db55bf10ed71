/*
 * Series in memory: label sets with their samples, a source the
 * evaluator can read (eval.h). Rule tests load their input series into
 * one; so do the evaluator's unit tests.
 *
 * Also the two texts rule tests write series in: a series as a selector
 * of equality matchers ('http_requests_total{job="api"}') and its values
 * in promtool's expanding notation ("0+10x5 _ 7 stale": a start, an
 * increment and a count of increments; "_" for a step without a sample;
 * "stale" for a staleness marker).
 *
 * A set owns its series and their samples; series_set_free() frees them
 * (NULL is a no-op). The texts parsed are borrowed for the call.
 */
#ifndef TOKENTAIL_RULES_SERIES_H
#define TOKENTAIL_RULES_SERIES_H

#include <stddef.h>
#include <stdint.h>

#include "eval.h"
#include "labels.h"

/* Room for a message about a series text, NUL included. */
#define SERIES_ERR_MAX 256

struct series_set;

/* An empty set in *out (caller frees). 0 or -ENOMEM. */
int series_set_new(struct series_set **out);
void series_set_free(struct series_set *s);

/*
 * Adds the samples s (n of them, borrowed, copied; oldest first) to the
 * series labelled ls (borrowed, copied), which is created when new.
 * Samples must come after those the series has. 0, -EINVAL when they do
 * not, or -ENOMEM.
 */
int series_set_add(struct series_set *set, const struct labels *ls,
                   const struct promql_sample *s, size_t n);

/* The evaluator's view of set (borrowed: it must outlive the source). */
struct promql_source series_set_source(struct series_set *set);

/*
 * Reads a series written as a selector of equality matchers ("x",
 * 'x{a="b"}', '{__name__="x", a="b"}', "{}") into *out (caller frees).
 * 0, -EINVAL with err (SERIES_ERR_MAX bytes) set, or -ENOMEM.
 */
int series_parse_labels(const char *text, struct labels *out, char *err);

/*
 * Reads values in the expanding notation into samples at start_ms,
 * start_ms + step_ms, ...: *out (caller frees) holds *n samples; a "_"
 * step has none. 0, -EINVAL with err set, or -ENOMEM.
 */
int series_expand(const char *text, int64_t start_ms, int64_t step_ms,
                  struct promql_sample **out, size_t *n, char *err);

#endif
