/*
 * The sample history the daemon's rules read: for every series tokentail
 * serves, the values taken at each evaluation instant, as a Prometheus
 * scrape would have stored them, kept only as far back as the rules look
 * (their longest range plus offset, plus the 5-minute lookback of
 * instant selectors). It is the evaluator's source (eval.h).
 *
 * A round of sampling: history_begin(t), history_put() for each series
 * (found by a key the caller builds, so that a series already known costs
 * a lookup and no allocation), history_end(). A series missing from a
 * round gets Prometheus' staleness marker, as a scrape gives a series
 * that disappeared; samples older than the window are let go, and a
 * series with none left is forgotten.
 *
 * Memory is bounded: at most max_samples samples in all; a sample over
 * the cap is not kept and counted (history_stats.dropped).
 *
 * The history owns its series, labels and samples; history_free() frees
 * them (NULL is a no-op). Everything else is borrowed for the call.
 * Functions return 0 or -ENOMEM.
 */
#ifndef TOKENTAIL_RULES_HISTORY_H
#define TOKENTAIL_RULES_HISTORY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "eval.h"
#include "labels.h"

struct history;

struct history_stats {
    size_t series;
    size_t samples;
    size_t bytes;     /* held for series, labels and samples */
    uint64_t dropped; /* samples not kept: over max_samples */
};

/* An empty history keeping keep_ms of samples, at most max_samples. */
int history_new(int64_t keep_ms, size_t max_samples, struct history **out);
void history_free(struct history *h);

int64_t history_keep_ms(const struct history *h);

/* Starts a round of samples taken at t_ms (after the previous round's). */
void history_begin(struct history *h, int64_t t_ms);

/*
 * Adds v at the round's time to the series known by key (len bytes). make
 * is called only for a series not yet known, to build its labels into
 * *ls (0 or -ENOMEM). Returns 0 or -ENOMEM.
 */
int history_put(struct history *h, const char *key, size_t len, double v,
                int (*make)(void *ctx, struct labels *ls), void *ctx);

/* Ends the round: staleness markers, then the window. */
void history_end(struct history *h);

/* The evaluator's view (borrowed: h must outlive it). */
struct promql_source history_source(struct history *h);

void history_get_stats(const struct history *h, struct history_stats *out);

/*
 * One round at t_ms of the series reg (borrowed) serves, as the
 * exposition shows them: a histogram as its _bucket (with le), _sum and
 * _count series, an overflow series with tokentail_overflow="true",
 * values as doubles, as Prometheus reads the text. Only the families
 * for which want(ctx, name) is true (want NULL: all). 0 or -ENOMEM (the
 * round is still ended).
 */
struct registry;
int history_sample_registry(struct history *h, struct registry *reg,
                            int64_t t_ms,
                            bool (*want)(const void *ctx, const char *family),
                            const void *ctx);

/* --- saving and restoring ----------------------------------------------
 *
 * Each series has a number that stays with it; a save writes only what
 * changed since the last one committed: the series not saved yet, the
 * samples taken since, and the numbers of the series forgotten since.
 */

struct history_changes {
    /* A series not saved yet: its number, key and labels (borrowed). */
    int (*series)(void *ctx, uint64_t id, const char *key, size_t len,
                  const struct labels *ls);
    /* A series' samples taken since the last save (borrowed). */
    int (*samples)(void *ctx, uint64_t id, const struct promql_sample *s,
                   size_t n);
    /* A series forgotten since the last save. */
    int (*gone)(void *ctx, uint64_t id);
    /* Everything saved is to go: what follows is the whole history (after
     * memory ran out listing the series forgotten). */
    int (*clear)(void *ctx);
    void *ctx;
};

/* Calls c's callbacks for what changed (clear or gone first, then each
 * series and its samples), until one returns other than 0, which is
 * returned. */
int history_changes(const struct history *h, const struct history_changes *c);

/* Whether anything changed since the last save committed. */
bool history_changed(const struct history *h);

/* The save committed: what history_changes gave is now saved. */
void history_saved(struct history *h);

/* Samples before this time are outside the window (INT64_MIN: none
 * taken yet); what a save may let go of. */
int64_t history_cutoff_ms(const struct history *h);

/*
 * Puts back the series numbered id that a save wrote (ls taken; samples
 * copied, oldest first), keeping only samples inside the window from
 * now_ms and within the cap; as saved, so the next save leaves it be. A
 * key already present is left as it is (ls freed). 0 or -ENOMEM.
 */
int history_restore(struct history *h, uint64_t id, const char *key, size_t len,
                    struct labels *ls, const struct promql_sample *s, size_t n,
                    int64_t now_ms);

#endif
