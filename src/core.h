/*
 * The core: everything a configuration builds, and nothing else.
 *
 * The registry and its families, the pipeline, tokentail's own metrics,
 * the inputs, the durable state, the usage ledger and budgets, and the
 * rule engine all follow from one configuration; the loop, the inotify
 * watch, the HTTP server, the notifier and the pusher do not, and make the
 * shell the core runs in (daemon.c). A reload builds a second core from the new
 * configuration beside the first and swaps them between two lines: the
 * first checkpoints what it has, the second restores it through the
 * state, as a restart would, so an unchanged metric keeps its series, an
 * unchanged input its files' positions and an unchanged rule its alerts,
 * while what changed starts afresh (registry_store.h, input_store.h,
 * rules/engine_store.h).
 *
 * The struct is a plain aggregate the daemon reads; only this module
 * writes it.
 */
#ifndef TOKENTAIL_CORE_H
#define TOKENTAIL_CORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "config.h"
#include "engine.h"
#include "tailer.h"

struct core {
    const struct config *cfg; /* borrowed: the daemon keeps it */
    struct registry *reg;
    struct pipeline *pipe;
    struct selfmetrics *self;
    struct input **inputs; /* cfg->inputs[i] made inputs[i] */
    size_t n_inputs;
    struct state *state;     /* with or without a database: see state.h */
    struct ledger *ledger;   /* NULL: no usage section */
    struct budgets *budgets; /* NULL: no budgets */
    struct engine *rules;    /* NULL: no rule files, or one pass */
};

/* What the core runs in; every pointer borrowed, outliving the core. */
struct core_shell {
    struct loop *loop;         /* NULL: one pass, no rules */
    struct watch *watch;       /* NULL: one pass */
    struct notifier *notifier; /* receives the rules' alerts */
    struct pusher *pusher;     /* remote write; NULL: one pass */
    struct tail_buf *rb;       /* the inputs' shared read buffer */
    engine_sample_fn sample;   /* what the rules read, with sample_ctx */
    void *sample_ctx;
    const char *state_path; /* the state file; "" for none */
    const char *state_name; /* without a usable state file, an in-memory
                               state of this name for reloads
                               (state_open_handover); NULL: none */
    bool positions;         /* restore the inputs' positions */
};

/*
 * Builds the core of cfg (borrowed: it must outlive the core) in shell,
 * and restores what the state saved. Nothing is read or scanned yet.
 * Returns 0 or -errno, having freed what it built.
 */
int core_new(const struct config *cfg, const struct core_shell *shell,
             struct core **out);

/* Places every input's files and starts following them (core_new's
 * shell had a loop). Returns 0 or -errno. */
int core_start(struct core *c);

/* Reads what is ready in every file, to its end. */
void core_drain(struct core *c);

/*
 * Writes a checkpoint of everything that changed, its duration to
 * tokentail's own metrics. Returns as state_checkpoint.
 */
int core_checkpoint(struct core *c);

/* What a scrape would show, into the rules' history (an engine_sample_fn
 * body, after the caller refreshed the self-metrics). */
int core_sample_rules(struct core *c, struct history *h, int64_t t_ms);

/*
 * Completes a reload from old (borrowed, freed by the caller after) to
 * next (restored from old's checkpoint):
 * the alerts of rules whose definition changed are forgotten
 * (engine_forget_changed), and the log says, one line each, what the
 * reload adds, changes or removes beyond what restoring the state logs,
 * then what it keeps.
 */
void core_settle(const struct core *old, struct core *next);

/* Closes the state, then frees the rest; NULL is a no-op. */
void core_free(struct core *c);

#endif
