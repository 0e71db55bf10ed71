/*
 * tokentail's own metrics: what it read, what it skipped and why, what it
 * follows, how its HTTP endpoints answered, and the usual process_*
 * figures.
 *
 * The counters themselves live where the work happens (pipeline, inputs,
 * http, state) as plain integers in each module's stats struct; this
 * module owns the tokentail_ families in the registry and copies the
 * current figures into them just before each exposition. Their label sets
 * are bounded by the configuration (inputs, metrics, fixed reasons), never
 * by log content.
 *
 * Every family is one row of a table: its name, type and help, and where
 * its value comes from. A source has items (the inputs, the configured
 * metrics, or a single one) and fills a stats struct for each; a row takes
 * one field of it, named with SELF_FIELD. The labels follow from the row:
 * the item's label ("input", "metric") when the source has one, then a
 * reason when the field is an array indexed by reason (SELF_BY), each
 * reason the item can have (SELF_REASONS_IN) or every one. A module
 * with figures of its own adds its rows with selfmetrics_add(); nothing
 * here needs to know its structs.
 */
#ifndef TOKENTAIL_SELFMETRICS_H
#define TOKENTAIL_SELFMETRICS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "http.h"
#include "input.h"
#include "num.h"
#include "pipeline.h"
#include "registry.h"
#include "state.h"
#include "watch.h"

/* Largest stats struct a source may fill (it is read on the stack). */
#define SELF_MAX_STATS_BYTES 512
/* Longest label values of one series, NULs included; longer ones are not
 * put (names come from the configuration, so this is never reached). */
#define SELF_MAX_KEY_BYTES 512

/*
 * Where rows read their figures. count and read receive the ctx given to
 * selfmetrics_add(); read fills stats (stats_size bytes, aligned for any
 * type) with item i's figures and returns the item's label value
 * (borrowed until the next call; "" when the source has no label), or NULL
 * to put nothing for that item this time.
 */
struct self_source {
    const char *label; /* the items' label ("input"); NULL: none */
    size_t stats_size; /* at most SELF_MAX_STATS_BYTES */
    size_t (*count)(const void *ctx); /* items now; NULL: always one */
    const char *(*read)(const void *ctx, size_t i, void *stats);
    bool lasting; /* its figures outlive a configuration reload (they are
                     the daemon's, not the configuration's): not carried */
};

/* A second label: one series per reason, from first to count - 1. */
struct self_reasons {
    const char *label; /* "reason" */
    const char *(*name)(int reason);
    int first, count;
};

/*
 * One family. A figure is an unsigned count (4 or 8 bytes, exposed as a
 * whole number) or a num_fixed (16 bytes, exposed as is); SELF_FIELD and
 * SELF_BY record which. Everything a row points to must outlive the
 * selfmetrics: rows are static tables.
 */
struct self_row {
    const char *name;
    enum metric_type type;
    const char *help;

    /* Where the figure is; NULL for a histogram, observed not collected. */
    const struct self_source *source;
    size_t offset; /* in the source's stats */
    size_t width;  /* of the figure (of one element with by) */
    size_t size;   /* of the field (with by, the whole array) */

    const struct self_reasons *by; /* the field is an array by reason */
    bool masked;    /* with by: put only the reasons whose bit is set ... */
    size_t mask;    /* ... in the uint32_t at this offset (or not zero) */
    bool nonzero;   /* put only series whose figure is not zero */
    bool gated;     /* put only for items whose bool at only_if is true */
    size_t only_if; /* with gated: offset of that bool in the stats */

    const num_fixed *bounds; /* histograms: bucket upper bounds */
    size_t n_bounds;
};

/* The figure is field of the source's stats struct type. */
#define SELF_FIELD(type, field)                                                \
    .offset = offsetof(type, field), .width = sizeof(((type *)0)->field),      \
    .size = sizeof(((type *)0)->field)

/* The figure is array[reason] of the source's stats struct type. */
#define SELF_BY(type, array, reasons)                                          \
    .offset = offsetof(type, array), .width = sizeof(((type *)0)->array[0]),   \
    .size = sizeof(((type *)0)->array), .by = (reasons)

/*
 * With SELF_BY: only the reasons that can happen, bit r of the uint32_t
 * field of the stats struct type set for reason r, are put (a reason whose
 * figure is not zero is put all the same).
 */
#define SELF_REASONS_IN(type, field)                                           \
    .masked = true, .mask = offsetof(type, field)

/* Items whose bool flag in the stats struct type is false are skipped. */
#define SELF_ONLY_IF(type, flag) .gated = true, .only_if = offsetof(type, flag)

struct selfmetrics;

/* What the figures are read from; every pointer borrowed, any may be NULL. */
struct self_sources {
    const struct pipeline *pipe;
    struct input *const *inputs;
    size_t n_inputs;
    const struct watch *watch;
    const struct http *http;
    const struct state_stats *state;
};

/*
 * Adds the tokentail_ and process_ families to reg (borrowed; it owns the
 * families, so free it after the selfmetrics). Returns 0 or -ENOMEM; on
 * failure some families may already be in reg.
 */
int selfmetrics_new(struct registry *reg, struct selfmetrics **out);

/* NULL is a no-op. */
void selfmetrics_free(struct selfmetrics *sm);

/*
 * Adds n families, one per row, after those already in the registry, and
 * collects them from now on: their sources are called with ctx. rows and
 * ctx are borrowed and must outlive sm. Returns 0, -EINVAL for a row that
 * does not fit its source, or -ENOMEM; on failure some of the families may
 * already be in the registry, without series. A module adds its figures
 * so, one row each:
 *
 *   static const struct self_source ledger_source = {
 *       NULL, sizeof(struct ledger_stats), NULL, ledger_read, false};
 *   static const struct self_row ledger_rows[] = {
 *       {.name = "tokentail_ledger_rows", .type = METRIC_GAUGE,
 *        .help = "Rows held.", .source = &ledger_source,
 *        SELF_FIELD(struct ledger_stats, rows)},
 *   };
 *   rc = selfmetrics_add(sm, ledger_rows, 1, ledger);
 */
int selfmetrics_add(struct selfmetrics *sm, const struct self_row *rows,
                    size_t n, const void *ctx);

/*
 * After a reload: the counters of sm that read figures the reload made
 * afresh (every source not lasting) go on from the values from (borrowed
 * for the call; the selfmetrics being replaced) last exposed, series by
 * series, so Prometheus sees no reset; so does the checkpoints'
 * histogram, and every carried series keeps when it began (_created). A
 * series from did not have starts at its figure. Call after every row is
 * added. Returns 0 or -ENOMEM.
 */
int selfmetrics_carry(struct selfmetrics *sm, const struct selfmetrics *from);

/* Records how long a checkpoint took, in microseconds. */
void selfmetrics_observe_checkpoint(struct selfmetrics *sm, uint64_t us);

/*
 * Refreshes every self-metric: the rows of selfmetrics_new() from src
 * (borrowed for the call), the added ones from their own ctx.
 */
void selfmetrics_collect(struct selfmetrics *sm,
                         const struct self_sources *src);

#endif
