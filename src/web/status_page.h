/*
 * The status page served at /: one server-rendered HTML document for
 * whoever opens tokentail in a browser where no Grafana is deployed.
 *
 * It shows health and version, the last reload and checkpoint, each
 * input's lines, rates, lag, files and skipped lines, spend and
 * tokens this month by model (a table and a bar chart), spend per day
 * over the last 30 days (a column chart with its figures in a table),
 * each budget as a progress bar with its warn and limit marks, and the
 * pending and firing alerts. Everything is read through the owning
 * modules' public functions, the same the JSON APIs answer from, so the
 * page's figures are theirs; each exact figure is also in the cell's
 * data-value attribute. A section whose feature is not configured (no
 * usage ledger, no budgets, no rule files) says so in one line.
 *
 * The document has no external asset and needs no JavaScript: a small
 * inline script only replaces the page in place every STATUS_REFRESH_S
 * seconds. Colours follow prefers-color-scheme. Every text from logs and
 * configuration goes through html.h.
 *
 * Usage metrics are chosen by name: counters whose name holds "cost" or
 * "spend" are spend (the first one is charted), those holding "token" are
 * tokens; both are grouped by their "model" label when they have one.
 *
 * One thread; every pointer is borrowed for the call.
 */
#ifndef TOKENTAIL_STATUS_PAGE_H
#define TOKENTAIL_STATUS_PAGE_H

#include <stdbool.h>
#include <stdint.h>

#include "buf.h"
#include "config_status.h"
#include "state.h"

#define STATUS_REFRESH_S 15 /* seconds between in-place refreshes */
#define STATUS_DAYS      30 /* days in the per-day spend chart */

/*
 * The usage section's sums are the page's cost (tens of ms at 10,000
 * series over 30 days), so a page reuses the section the last one made,
 * on the same day, for up to STATUS_USAGE_MAX_AGE_S seconds while the
 * ledger has had updates since, and up to STATUS_USAGE_IDLE_AGE_S while
 * it has had none (retention may still drop an old day at a checkpoint).
 */
#define STATUS_USAGE_MAX_AGE_S  5
#define STATUS_USAGE_IDLE_AGE_S 60

struct ledger;
struct budgets;
struct engine;
struct input;
struct pipeline;

/* The usage section as last made, kept between pages by whoever serves
 * them (status_cache_new), forgotten when the ledger is replaced. */
struct status_cache;

/* Returns 0 or -ENOMEM; status_cache_free(NULL) is a no-op. */
int status_cache_new(struct status_cache **out);
void status_cache_free(struct status_cache *c);
/* Makes the next page sum the ledger again and start its rates afresh
 * (a reload built a new ledger and new counters). */
void status_cache_forget(struct status_cache *c);

/* What the page is made from; NULL pointers mean not configured. */
struct status_sources {
    const char *version;
    bool healthy;                       /* as /health answers */
    uint64_t uptime_ms;                 /* since start-up */
    int64_t now;                        /* UTC seconds the page is for */
    const struct config_status *config; /* the last (re)load; may be NULL */
    const struct state_stats *state;    /* checkpoints; may be NULL */
    const char *state_path;             /* "" or NULL without a state file */
    struct ledger *ledger;              /* queried, hence not const */
    struct budgets *budgets;            /* brought to now, hence not const */
    const struct engine *rules;
    struct status_cache *cache;  /* NULL: every page sums the ledger, and
                                    no rate is known */
    uint64_t now_ms;             /* monotonic, for rates */
    struct input *const *inputs; /* the inputs, as the pipeline numbers */
    size_t n_inputs;
    const struct pipeline *pipe; /* lines seen and skipped; may be NULL */
};

/* Appends the whole document to out. Returns 0, or -errno from a ledger
 * query (the page then says that section could not be read). */
int status_page_write(const struct status_sources *src, struct buf *out);

/* The usage and budget sections (status_usage.c), for status_page_write. */
void status_usage_write(const struct status_sources *src, struct buf *out,
                        int *rc);
void status_inputs_write(const struct status_sources *src, struct buf *out);
void status_budgets_write(const struct status_sources *src, struct buf *out,
                          int *rc);

#endif
