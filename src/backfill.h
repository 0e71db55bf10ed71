/*
 * A parallel backfill: the named files of --once read by several threads
 * (--once.workers), with the result one thread reading them in the order
 * given would have had — the same series, values, ledger rows and
 * tokentail's own counts.
 *
 * Each file is read whole by one worker into a part of its own: a
 * registry, a pipeline, a usage ledger and an input built from the same
 * configuration, sharing nothing but the read-only configuration. The
 * calling thread merges the parts into the core in file order as they
 * complete (registry_merge, ledger_merge, pipeline_merge_counts,
 * input_add_counts): counters, histograms and the ledger add exactly; a
 * gauge that is set takes the value of the last file that set it, as the
 * last line read would; max and min keep the largest and smallest. Workers
 * take files in the order given and read at most BACKFILL_AHEAD_PER_WORKER
 * files per worker ahead of the merge, so memory stays bounded however
 * many files there are.
 *
 * Where the order of lines across files decides the result, one thread
 * decides it: a file whose merge would reach a series cap (max_series,
 * limits.max_series) is read again by the calling thread, in its turn,
 * into the core itself, as one pass would read it; standard input ("-")
 * is only ever read that way. The files must not change during the
 * backfill (they are archives).
 *
 * The daemon's single thread is untouched: threads exist only inside
 * backfill_run, and only the calling thread touches the core.
 */
#ifndef TOKENTAIL_BACKFILL_H
#define TOKENTAIL_BACKFILL_H

#include <stddef.h>

#include "core.h"

#define BACKFILL_MAX_WORKERS      256 /* threads, --once.workers at most */
#define BACKFILL_AHEAD_PER_WORKER 2   /* files read ahead of the merge */

/* What a backfill did, besides what the core now holds. */
struct backfill_stats {
    size_t workers;    /* threads that read files */
    size_t files;      /* files merged from the workers' parts */
    size_t reread;     /* files read again in order: a series cap */
    size_t in_order;   /* standard input, read in order only */
    size_t unreadable; /* files that could not be opened */
};

/*
 * Reads the n_files files (borrowed paths; "-" is standard input) with
 * the settings of the core's input at index input, with up to workers
 * threads, into c (borrowed; only the calling thread touches it), as
 * reading them one after the other with input_open_path and
 * input_drain_all would. A file that cannot be opened is logged and
 * skipped. Fills *out. Returns 0; -1 when a file could not be read; or
 * -errno (logged) when the backfill could not go on.
 */
int backfill_run(struct core *c, size_t input, char *const *files,
                 size_t n_files, size_t workers, struct backfill_stats *out);

/* The CPUs this process may run on (sched_getaffinity), at least 1 and
 * at most BACKFILL_MAX_WORKERS: what --once.workers=auto uses. */
size_t backfill_cpus(void);

#endif
