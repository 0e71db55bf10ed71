/*
 * Remote write's self-metrics: one table row per family, each series a
 * remote (label "remote"), read through the pusher's accessors. The
 * figures are the pusher's, which outlives reloads: they are not carried.
 */
#include "remote_write.h"
#include "selfmetrics.h"

static size_t stats_count(const void *ctx)
{
    return pusher_remotes(ctx);
}

static const char *stats_read(const void *ctx, size_t i, void *stats)
{
    pusher_stats(ctx, i, stats);
    return pusher_remote_name(ctx, i);
}

static const struct self_source rw_source = {"remote", sizeof(struct rw_stats),
                                             stats_count, stats_read, true};
static const struct self_reasons by_result = {"result", rw_result_name, 0,
                                              RW_RESULTS};

#define RW_ROW(n, t, h, f)                                                     \
    {                                                                          \
        .name = "tokentail_remote_write_" n, .type = (t), .help = (h),         \
        .source = &rw_source, SELF_FIELD(struct rw_stats, f)                   \
    }

static const struct self_row rw_rows[] = {
    RW_ROW("samples_in_total", METRIC_COUNTER,
           "Samples of the snapshots taken for the remote: each ends sent, "
           "failed, dropped, or still queued.",
           in),
    RW_ROW("samples_sent_total", METRIC_COUNTER, "Samples the remote accepted.",
           sent),
    RW_ROW("samples_failed_total", METRIC_COUNTER,
           "Samples the remote refused (a 4xx answer): not sent again.",
           failed),
    RW_ROW("samples_dropped_total", METRIC_COUNTER,
           "Samples pushed out of the full queue before they were sent.",
           dropped),
    RW_ROW("samples_retried_total", METRIC_COUNTER,
           "Samples in requests that failed for a reason that may pass, "
           "to be sent again.",
           retried),
    {.name = "tokentail_remote_write_requests_total",
     .type = METRIC_COUNTER,
     .help = "Requests to the remote, by how they ended: success, retried "
             "(network error, timeout, 5xx or 429) or failed (refused).",
     .source = &rw_source,
     SELF_BY(struct rw_stats, requests, &by_result)},
    RW_ROW("sent_bytes_total", METRIC_COUNTER,
           "Bytes of request bodies the remote accepted (snappy-compressed "
           "protobuf).",
           bytes),
    RW_ROW("queue_samples", METRIC_GAUGE,
           "Samples waiting to be sent or being sent.", queued),
    RW_ROW("queue_capacity_samples", METRIC_GAUGE,
           "Samples the queue holds at most (queue_config.capacity).",
           capacity),
    RW_ROW("highest_sent_timestamp_seconds", METRIC_GAUGE,
           "Timestamp of the newest sample the remote accepted.", highest),
    RW_ROW("last_success_timestamp_seconds", METRIC_GAUGE,
           "When a request to the remote last succeeded.", last_ok),
};

int pusher_selfmetrics(struct pusher *p, const struct cfg_push *cfg,
                       struct selfmetrics *sm)
{
    if (cfg->n_remotes == 0)
        return 0;
    return selfmetrics_add(sm, rw_rows, sizeof(rw_rows) / sizeof(*rw_rows), p);
}
