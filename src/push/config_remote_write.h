/*
 * The remote-write section of the configuration: where tokentail pushes
 * its series, in Prometheus' remote-write 1.0 protocol, and the
 * external_labels added to every series pushed. Keys are Prometheus'
 * own, so a block can be copied from prometheus.yml; interval is
 * tokentail's (it pushes a snapshot of what /metrics shows, not samples
 * as they are scraped). Loaded with every error at file:line:column;
 * read-only once loaded. Strings live in the configuration's arena.
 *
 *   external_labels: {cluster: eu-1}
 *   remote_write:
 *     - url: https://mimir.example.com/api/v1/push
 *       name: mimir
 *       interval: 15s
 *       remote_timeout: 30s
 *       headers: {X-Scope-OrgID: team-a}
 *       basic_auth: {username: u, password_file: /run/secrets/mimir}
 *       queue_config: {capacity: 100000, max_samples_per_send: 2000,
 *                      min_backoff: 30ms, max_backoff: 5s,
 *                      retry_on_http_429: true}
 */
#ifndef TOKENTAIL_CONFIG_REMOTE_WRITE_H
#define TOKENTAIL_CONFIG_REMOTE_WRITE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <yaml.h>

#include "config_http.h"

#define RW_DEFAULT_INTERVAL_MS  15000    /* between snapshots pushed */
#define RW_MIN_INTERVAL_MS      100      /* the shortest interval allowed */
#define RW_DEFAULT_TIMEOUT_MS   30000    /* one request, as Prometheus */
#define RW_DEFAULT_CAPACITY     100000   /* samples queued: ~1 MiB encoded */
#define RW_DEFAULT_MAX_PER_SEND 2000     /* samples a request, as Prometheus */
#define RW_MAX_CAPACITY         10000000 /* samples: about 1 GiB of queue */
#define RW_DEFAULT_MIN_BACKOFF  30       /* ms before the first retry */
#define RW_DEFAULT_MAX_BACKOFF  5000     /* ms, the longest wait */
#define RW_MAX_DURATION_MS      86400000 /* 1 d: any of the durations */
#define RW_MAX_REMOTES          16       /* remote_write entries */
#define RW_MAX_HEADERS          16       /* headers of one entry */
#define RW_MAX_EXTERNAL_LABELS  32
#define RW_DERIVED_NAME_LEN     6 /* hex digits of a name from the url */

/* A name and a value: a header, or an external label. */
struct cfg_pair {
    const char *name;
    const char *value;
};

struct cfg_remote {
    const char *name; /* given, or 6 hex digits of a hash of the url */
    struct cfg_http_client http;    /* timeout_ms: remote_timeout */
    const struct cfg_pair *headers; /* sent with every request */
    size_t n_headers;
    uint64_t interval_ms;        /* between snapshots */
    size_t capacity;             /* samples queued, at most */
    size_t max_samples_per_send; /* samples in one request, at most */
    uint64_t min_backoff_ms;     /* before the first retry */
    uint64_t max_backoff_ms;     /* between retries, at most */
    bool retry_on_429;           /* a 429 answer is retried, not dropped */
};

struct cfg_push {
    const struct cfg_pair *external_labels; /* sorted by name */
    size_t n_external_labels;
    struct cfg_remote *remotes;
    size_t n_remotes;
};

/*
 * Whether a and b (borrowed) push the same way to the same place: a
 * reload keeps the queue and figures of a remote whose settings did not
 * change.
 */
bool cfg_remote_same(const struct cfg_remote *a, const struct cfg_remote *b);

/* Whether a and b (borrowed) add the same external labels. */
bool cfg_push_same_labels(const struct cfg_push *a, const struct cfg_push *b);

/*
 * Loads "external_labels" (labels) and "remote_write" (list), either
 * NULL when absent, into L->cfg->push (never NULL after). Declared with
 * the loader's type so that config.c needs only this line.
 */
struct loader;
void cfg_load_push(struct loader *L, const yaml_node_t *labels,
                   const yaml_node_t *list);

#endif
