/*
 * Remote write: tokentail pushes what /metrics shows to stores that speak
 * Prometheus' remote-write 1.0 protocol (Prometheus with
 * --web.enable-remote-write-receiver, Mimir, Thanos Receive,
 * VictoriaMetrics), for fleets where nothing can scrape it.
 *
 * Every remote has a timer: each interval, the pusher asks its owner for
 * the exposition (a snapshot, rw_encode.h), stamps every series with the
 * same wall-clock millisecond, and queues it as encoded bodies of at most
 * max_samples_per_send samples. Only encoded bodies are kept, never the
 * label sets, so a queue costs about what it will send.
 *
 * Each remote posts one body at a time, in order, through the loop's HTTP
 * client (httpc.h): nothing blocks tailing. A body that fails for a
 * reason that may pass (no connection, a timeout, a 5xx answer, a 429
 * unless retry_on_http_429 is off) is sent again after a backoff that
 * starts at min_backoff and doubles up to max_backoff, for as long as it
 * stays in the queue; any other answer drops it, counted as failed. The
 * queue holds at most capacity samples: a new snapshot that does not fit
 * pushes out the oldest bodies (not the one on the wire), counted as
 * dropped. While it fits, nothing is lost.
 *
 * The pusher lives as long as the daemon; pusher_apply puts a
 * configuration in force, keeping the queue and figures of every remote
 * whose name it still has (with its new settings, if they changed). Every
 * pointer argument is borrowed for the call unless said otherwise.
 */
#ifndef TOKENTAIL_REMOTE_WRITE_H
#define TOKENTAIL_REMOTE_WRITE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "config_remote_write.h"
#include "num.h"

#define RW_FLUSH_MAX_MS   5000 /* at shutdown, the last push waits this long */
#define RW_ERROR_BODY     160  /* bytes of a refusal's answer kept to log */
#define RW_STALE_NAN_BITS 0x7ff0000000000002ull /* Prometheus' stale marker */

struct loop;
struct selfmetrics;
struct pusher;

/* How a request ended. */
enum rw_result {
    RW_SUCCESS, /* a 2xx answer */
    RW_RETRIED, /* failed for a reason that may pass; sent again later */
    RW_FAILED,  /* refused (4xx): its samples are dropped, counted failed */
    RW_RESULTS
};

/* "success", "retried", "failed". */
const char *rw_result_name(int r);

/* One remote's figures (the self-metrics); samples unless said. */
struct rw_stats {
    uint64_t in;      /* snapshotted: sent + failed + dropped + queued */
    uint64_t sent;    /* accepted by the remote */
    uint64_t failed;  /* refused by it */
    uint64_t dropped; /* pushed out of the full queue */
    uint64_t retried; /* in requests that are to be sent again */
    uint64_t requests[RW_RESULTS];
    uint64_t bytes;    /* bodies accepted, as sent (compressed) */
    uint64_t queued;   /* waiting or being sent now */
    uint64_t capacity; /* queue_config.capacity */
    num_fixed highest; /* newest timestamp accepted, Unix seconds */
    num_fixed last_ok; /* when a request last succeeded, Unix seconds */
};

/*
 * Writes the exposition text to out: what each snapshot pushes. Called
 * from the loop, once per remote per interval.
 */
typedef void (*pusher_snapshot_fn)(void *ctx, struct buf *out);

/*
 * A pusher on loop (borrowed; must outlive it) with no remote yet; its
 * snapshots come from snap(ctx). Returns 0 or -ENOMEM; its HTTP client
 * (libcurl) starts with the first remote.
 */
int pusher_new(struct loop *loop, pusher_snapshot_fn snap, void *ctx,
               struct pusher **out);

/* Abandons every queue; NULL is a no-op. */
void pusher_free(struct pusher *p);

/*
 * Puts cfg (borrowed until the next call or pusher_free) in force: a
 * remote with the same name as before keeps its queue, figures and timer
 * (a request on the wire is made again when its settings changed); the
 * others stop (their queues dropped) or start, each logged. The
 * configuration given before must still be valid during the call. Returns 0,
 * -ENOMEM (the remotes then are those of cfg that could be made), or -EIO
 * when the HTTP client for the first remote cannot start (then none runs).
 */
int pusher_apply(struct pusher *p, const struct cfg_push *cfg);

/*
 * Around a reload: begin remembers what is exposed before it; end, once
 * the new configuration is in force (applied) or not, pushes a stale
 * marker (Prometheus' StaleNaN, RW_STALE_NAN_BITS) for every series
 * exposed before and not now (a metric removed, a label renamed, an
 * external label changed), so queries stop showing them at once rather
 * than after the receiver's lookback.
 */
void pusher_reload_begin(struct pusher *p);
void pusher_reload_end(struct pusher *p, bool applied);

/* Adds tokentail_remote_write_* to sm (nothing when cfg has no remote);
 * rw_metrics.c. */
int pusher_selfmetrics(struct pusher *p, const struct cfg_push *cfg,
                       struct selfmetrics *sm);

/* The remotes in force, in the configuration's order, their names
 * (borrowed from the configuration in force) and their figures. */
size_t pusher_remotes(const struct pusher *p);
const char *pusher_remote_name(const struct pusher *p, size_t i);
void pusher_stats(const struct pusher *p, size_t i, struct rw_stats *out);

/*
 * At shutdown: pushes one last snapshot to every remote and runs the
 * loop until every queue is empty or RW_FLUSH_MAX_MS (at most each
 * remote's timeout) have passed. Nothing happens without remotes.
 */
void pusher_flush(struct pusher *p);

/* The wait before retry number retry (from 1): min_ms, doubled each time,
 * at most max_ms. */
uint64_t rw_backoff_ms(uint64_t min_ms, uint64_t max_ms, unsigned retry);

/*
 * The queue of one remote: encoded bodies, oldest first. Exposed for the
 * unit tests; the pusher is its only user.
 */
struct rw_batch {
    struct rw_batch *next;
    char *body; /* taken */
    size_t len;
    size_t samples;
    int64_t ts_ms;
};

struct rw_queue {
    struct rw_batch *head, *tail;
    size_t samples; /* in all its batches */
};

/*
 * Appends b (taken) to q, first dropping the oldest batches (the head
 * only when it is not busy being sent) while q would hold more than
 * capacity samples. Returns how many samples were dropped.
 */
size_t rw_queue_push(struct rw_queue *q, struct rw_batch *b, size_t capacity,
                     bool busy);

/* Removes and frees the head; q must not be empty. */
void rw_queue_pop(struct rw_queue *q);

/* Frees every batch. */
void rw_queue_clear(struct rw_queue *q);

#endif
