#include "backfill.h"

#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "input.h"
#include "ledger.h"
#include "log.h"
#include "pipeline.h"
#include "registry.h"

/* One file as a worker read it: everything it made, private to it until
 * done is set, then the merging thread's. */
struct part {
    struct registry *reg;
    struct pipeline *pipe;
    struct ledger *ledger; /* NULL: no usage section */
    struct input_stats counts;
    int rc;        /* input_open_path's */
    bool in_order; /* not read by a worker: the merge reads it */
    bool done;
};

struct backfill {
    struct core *c;
    size_t input;
    char *const *files;
    size_t n_files;
    struct part *parts; /* one per file */

    pthread_mutex_t mu; /* guards the fields below */
    pthread_cond_t cv;  /* a part done, the merge further, or a stop */
    size_t next;        /* the next file a worker takes */
    size_t merged;      /* files merged so far */
    size_t ahead;       /* files read at most ahead of the merge */
    bool stop;          /* the merge failed: take no more files */
};

static void part_free(struct part *p)
{
    pipeline_free(p->pipe);
    ledger_free(p->ledger);
    registry_free(p->reg);
    *p = (struct part){.done = p->done};
}

/* The pipeline (and ledger) of a part, observed as the core's is. */
static int part_build(const struct backfill *b, struct part *p)
{
    const struct config *cfg = b->c->cfg;
    int rc = registry_new(&p->reg);
    if (rc != 0)
        return rc;
    registry_set_max_series(p->reg, cfg->max_series);
    if ((rc = pipeline_new(cfg, p->reg, &p->pipe)) != 0)
        return rc;
    if (b->c->ledger == NULL)
        return 0;
    if ((rc = ledger_new_beside(b->c->ledger, &p->ledger)) != 0)
        return rc;
    for (size_t i = 0; rc == 0 && i < ledger_n_metrics(p->ledger); i++) {
        struct ledger_metric_info m;
        ledger_metric(p->ledger, i, &m);
        rc = pipeline_observe(p->pipe, m.name, ledger_observe, p->ledger, i);
    }
    return rc;
}

/* Reads file k into its part (a worker's thread). Only the first file's
 * pipeline looks for field paths no line has, as one pass's would. */
static int part_read(const struct backfill *b, size_t k)
{
    struct part *p = &b->parts[k];
    struct tail_buf rb = {0};
    struct input *in = NULL;
    int rc = part_build(b, p);
    if (rc == 0 && k > 0)
        pipeline_no_probe(p->pipe);
    if (rc == 0)
        rc = input_new(&b->c->cfg->inputs[b->input], NULL, NULL, &rb,
                       pipeline_sink(p->pipe, b->input), &in);
    if (rc == 0) {
        p->rc = input_open_path(in, b->files[k]);
        if (p->rc == 0)
            input_drain_all(in);
        input_get_stats(in, &p->counts);
    }
    input_free(in);
    tail_buf_free(&rb);
    return rc;
}

static void *worker(void *arg)
{
    struct backfill *b = arg;
    pthread_mutex_lock(&b->mu);
    for (;;) {
        while (!b->stop && b->next < b->n_files &&
               b->next >= b->merged + b->ahead)
            pthread_cond_wait(&b->cv, &b->mu);
        if (b->stop || b->next >= b->n_files)
            break;
        size_t k = b->next++;
        struct part *p = &b->parts[k];
        pthread_mutex_unlock(&b->mu);
        int rc = p->in_order ? 0 : part_read(b, k);
        if (rc != 0) {
            /* Read again in order by the merge, which reports it. */
            part_free(p);
            p->in_order = true;
        }
        pthread_mutex_lock(&b->mu);
        p->done = true;
        pthread_cond_broadcast(&b->cv);
    }
    pthread_mutex_unlock(&b->mu);
    return NULL;
}

/* --- the merge (the calling thread) -------------------------------------- */

/* The core's series a part's series of a usage metric stands for: after
 * registry_merge, the series with the same label values. */
static const struct series *core_series(void *ctx, size_t metric,
                                        const struct series *s)
{
    struct core *c = ctx;
    struct ledger_metric_info m;
    ledger_metric(c->ledger, metric, &m);
    struct family *f = registry_find(c->reg, m.name);
    return f ? family_get(f, s->key, s->key_len, s->hash) : NULL;
}

/* Reads file k into the core itself, as one pass would. */
static int read_in_order(struct backfill *b, size_t k)
{
    struct input *in = b->c->inputs[b->input];
    int rc = input_open_path(in, b->files[k]);
    if (rc != 0)
        return rc;
    input_drain_all(in);
    return 0;
}

/*
 * Merges part k into the core, or reads its file again in order when the
 * merge would reach a series cap. Returns 0, the file's open error (a
 * positive errno), or -errno when the backfill cannot go on.
 */
static int merge_part(struct backfill *b, size_t k, struct backfill_stats *st)
{
    struct core *c = b->c;
    struct part *p = &b->parts[k];
    int rc = REGISTRY_MERGE_OVER_CAP;
    if (p->in_order) {
        st->in_order++;
        return -read_in_order(b, k);
    }
    if (p->rc != 0) {
        input_add_counts(c->inputs[b->input], &p->counts);
        return -p->rc;
    }
    rc = registry_merge(c->reg, p->reg);
    if (rc == REGISTRY_MERGE_OVER_CAP) {
        st->reread++;
        return -read_in_order(b, k);
    }
    if (rc == 0 && p->ledger != NULL)
        rc = ledger_merge(c->ledger, p->ledger, core_series, c);
    if (rc != 0)
        return rc;
    pipeline_merge_counts(c->pipe, p->pipe);
    input_add_counts(c->inputs[b->input], &p->counts);
    st->files++;
    return 0;
}

/* Merges every part in file order as it completes; returns as
 * backfill_run. */
static int merge_all(struct backfill *b, struct backfill_stats *st)
{
    int status = 0;
    for (size_t k = 0; k < b->n_files; k++) {
        pthread_mutex_lock(&b->mu);
        while (!b->parts[k].done)
            pthread_cond_wait(&b->cv, &b->mu);
        pthread_mutex_unlock(&b->mu);
        int rc = merge_part(b, k, st);
        part_free(&b->parts[k]);
        if (rc < 0) {
            log_error("backfill: cannot merge what %s added: %s", b->files[k],
                      strerror(-rc));
            return rc;
        }
        if (rc > 0) {
            log_error("cannot read %s: %s", b->files[k], strerror(rc));
            st->unreadable++;
            status = -1;
        }
        pthread_mutex_lock(&b->mu);
        b->merged = k + 1;
        pthread_cond_broadcast(&b->cv);
        pthread_mutex_unlock(&b->mu);
    }
    return status;
}

/* Starts up to n workers; returns how many started. */
static size_t start(struct backfill *b, pthread_t *threads, size_t n)
{
    size_t started = 0;
    while (started < n &&
           pthread_create(&threads[started], NULL, worker, b) == 0)
        started++;
    return started;
}

int backfill_run(struct core *c, size_t input, char *const *files,
                 size_t n_files, size_t workers, struct backfill_stats *out)
{
    struct backfill b = {
        .c = c, .input = input, .files = files, .n_files = n_files};
    size_t n = workers < n_files ? workers : n_files;
    pthread_t *threads = calloc(n ? n : 1, sizeof(*threads));
    b.parts = calloc(n_files ? n_files : 1, sizeof(*b.parts));
    *out = (struct backfill_stats){0};
    if (threads == NULL || b.parts == NULL) {
        free(threads);
        free(b.parts);
        return -ENOMEM;
    }
    for (size_t k = 0; k < n_files; k++)
        b.parts[k].in_order = strcmp(files[k], "-") == 0;
    /* The first file's pipeline looks for field paths no line has, unless
     * the core reads that file itself. */
    if (n_files > 0 && !b.parts[0].in_order)
        pipeline_no_probe(c->pipe);
    b.ahead = n * BACKFILL_AHEAD_PER_WORKER;
    pthread_mutex_init(&b.mu, NULL);
    pthread_cond_init(&b.cv, NULL);
    out->workers = start(&b, threads, n);
    int rc = -EAGAIN;
    if (out->workers > 0 || n_files == 0)
        rc = merge_all(&b, out);
    else
        log_error("backfill: cannot start a thread");
    pthread_mutex_lock(&b.mu);
    b.stop = true;
    pthread_cond_broadcast(&b.cv);
    pthread_mutex_unlock(&b.mu);
    for (size_t i = 0; i < out->workers; i++)
        pthread_join(threads[i], NULL);
    for (size_t k = 0; k < n_files; k++)
        part_free(&b.parts[k]);
    pthread_cond_destroy(&b.cv);
    pthread_mutex_destroy(&b.mu);
    free(threads);
    free(b.parts);
    return rc;
}

size_t backfill_cpus(void)
{
    cpu_set_t set;
    if (sched_getaffinity(0, sizeof(set), &set) != 0)
        return 1;
    int n = CPU_COUNT(&set);
    return n < 1                      ? 1
           : n > BACKFILL_MAX_WORKERS ? BACKFILL_MAX_WORKERS
                                      : (size_t)n;
}
