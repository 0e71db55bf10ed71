/*
 * The pusher: a timer per remote makes snapshots, a queue per remote
 * holds them encoded, and the loop's HTTP client posts the head of each
 * queue. A remote is allocated on its own so that a reload that keeps it
 * keeps its address, which its transfer and timers point to.
 */
#include "remote_write.h"

#include <curl/curl.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "httpc.h"
#include "log.h"
#include "loop.h"
#include "registry.h"
#include "rw_encode.h"

#ifndef TOKENTAIL_VERSION
#define TOKENTAIL_VERSION "unknown"
#endif

#define HTTP_TOO_MANY_REQUESTS 429
#define MS_PER_SECOND          1000

struct remote {
    struct pusher *p;
    const struct cfg_remote *cfg; /* of the configuration in force */
    struct rw_queue q;
    CURL *easy;                 /* posting the head, or NULL */
    struct loop_timer *retry;   /* waiting to post the head again */
    struct loop_timer *tick;    /* the next snapshot */
    unsigned attempts;          /* made for the head */
    bool stalled;               /* pusher_flush: an attempt failed */
    struct curl_slist *headers; /* sent with every request */
    char answer[RW_ERROR_BODY]; /* the start of the answer's body */
    size_t answer_len;
    struct rw_stats st;
    struct log_limit lim;
};

struct pusher {
    struct loop *loop;
    struct httpc *client;
    pusher_snapshot_fn snap;
    void *snap_ctx;
    const struct cfg_push *cfg;
    struct remote **remotes;
    size_t n;
    bool flushing; /* pusher_flush: stop the loop once every queue empties */
    struct buf text;
    struct rw_snapshot shot;
    struct rw_snapshot before; /* pusher_reload_begin: what was exposed */
};

static const char *const result_names[RW_RESULTS] = {"success", "retried",
                                                     "failed"};

const char *rw_result_name(int r)
{
    return r >= 0 && r < RW_RESULTS ? result_names[r] : "";
}

uint64_t rw_backoff_ms(uint64_t min_ms, uint64_t max_ms, unsigned retry)
{
    uint64_t ms = min_ms;
    for (unsigned i = 1; i < retry && ms < max_ms; i++)
        ms *= 2;
    return ms < max_ms ? ms : max_ms;
}

/* --- the queue ----------------------------------------------------------- */

static void batch_free(struct rw_batch *b)
{
    free(b->body);
    free(b);
}

size_t rw_queue_push(struct rw_queue *q, struct rw_batch *b, size_t capacity,
                     bool busy)
{
    size_t dropped = 0;
    /* The oldest that may go: the head, or the one after a busy head. */
    struct rw_batch **oldest = busy && q->head ? &q->head->next : &q->head;
    while (q->samples + b->samples > capacity && *oldest != NULL) {
        struct rw_batch *gone = *oldest;
        *oldest = gone->next;
        if (q->tail == gone)
            q->tail = oldest == &q->head ? NULL : q->head;
        q->samples -= gone->samples;
        dropped += gone->samples;
        batch_free(gone);
    }
    b->next = NULL;
    if (q->tail != NULL)
        q->tail->next = b;
    else
        q->head = b;
    q->tail = b;
    q->samples += b->samples;
    return dropped;
}

void rw_queue_pop(struct rw_queue *q)
{
    struct rw_batch *b = q->head;
    q->head = b->next;
    if (q->head == NULL)
        q->tail = NULL;
    q->samples -= b->samples;
    batch_free(b);
}

void rw_queue_clear(struct rw_queue *q)
{
    while (q->head != NULL)
        rw_queue_pop(q);
}

/* --- posting ------------------------------------------------------------- */

static void start(struct remote *r);

static void on_retry(void *ctx)
{
    struct remote *r = ctx;
    r->retry = NULL;
    start(r);
}

static size_t keep_answer(char *p, size_t size, size_t n, void *ctx)
{
    struct remote *r = ctx;
    size_t len = size * n, room = sizeof(r->answer) - 1 - r->answer_len;
    size_t take = len < room ? len : room;
    memcpy(r->answer + r->answer_len, p, take);
    r->answer_len += take;
    r->answer[r->answer_len] = '\0';
    return len;
}

/* Posts the head, unless it is being posted or waits for a retry. */
static void start(struct remote *r)
{
    if (r->easy != NULL || r->retry != NULL || r->q.head == NULL)
        return;
    CURL *e = curl_easy_init();
    r->answer_len = 0;
    r->answer[0] = '\0';
    if (e != NULL) {
        httpc_prepare_post(e, &r->cfg->http, r->headers, r->q.head->body,
                           r->q.head->len, r);
        curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, keep_answer);
        curl_easy_setopt(e, CURLOPT_WRITEDATA, r);
    }
    if (e == NULL || httpc_add(r->p->client, e) != 0) {
        r->retry =
            loop_timer_add(r->p->loop, r->cfg->min_backoff_ms, on_retry, r);
        return;
    }
    r->easy = e;
    r->attempts++;
}

/* Whether pusher_flush is over: every remote sent all or failed once. */
static bool flush_over(const struct pusher *p)
{
    for (size_t i = 0; i < p->n; i++)
        if (p->remotes[i]->q.head != NULL && !p->remotes[i]->stalled)
            return false;
    return true;
}

/* Whether a failed request may succeed if made again. */
static bool may_pass(const struct remote *r, CURLcode rc, long status)
{
    if (rc != CURLE_OK)
        return rc != CURLE_URL_MALFORMAT && rc != CURLE_UNSUPPORTED_PROTOCOL;
    return status >= 500 ||
           (status == HTTP_TOO_MANY_REQUESTS && r->cfg->retry_on_429);
}

static num_fixed seconds(int64_t ms)
{
    return (num_fixed)(ms / MS_PER_SECOND) * NUM_ONE +
           (num_fixed)(ms % MS_PER_SECOND) * (NUM_ONE / MS_PER_SECOND);
}

static void succeeded(struct remote *r)
{
    const struct rw_batch *b = r->q.head;
    num_fixed ts = seconds(b->ts_ms);
    r->st.requests[RW_SUCCESS]++;
    r->st.sent += b->samples;
    r->st.bytes += b->len;
    if (ts > r->st.highest)
        r->st.highest = ts;
    r->st.last_ok = seconds(registry_wall_ms());
}

/* The first line of the answer, for the log. */
static const char *answer_line(struct remote *r)
{
    r->answer[strcspn(r->answer, "\r\n")] = '\0';
    return r->answer;
}

static void done(void *ctx, CURLcode rc, long status)
{
    struct remote *r = ctx;
    struct pusher *p = r->p;
    const struct rw_batch *b = r->q.head;
    char why[RW_ERROR_BODY + 64];
    r->easy = NULL;
    if (rc != CURLE_OK)
        snprintf(why, sizeof(why), "%s", curl_easy_strerror(rc));
    else
        snprintf(why, sizeof(why), "HTTP status %ld: %s", status,
                 answer_line(r));
    if (rc == CURLE_OK && status >= 200 && status < 300) {
        succeeded(r);
    } else if (may_pass(r, rc, status)) {
        uint64_t wait = rw_backoff_ms(r->cfg->min_backoff_ms,
                                      r->cfg->max_backoff_ms, r->attempts);
        r->st.requests[RW_RETRIED]++;
        r->st.retried += b->samples;
        if (p->flushing) {
            /* Shutting down: one attempt only. */
            log_limited(&r->lim, LOG_WARN,
                        "remote write to %s failed at shutdown: %s",
                        r->cfg->name, why);
            r->stalled = true;
            if (flush_over(p))
                loop_stop(p->loop);
            return;
        }
        log_limited(&r->lim, LOG_WARN,
                    "remote write to %s failed (attempt %u): %s; %zu "
                    "samples to be sent again in %llu ms",
                    r->cfg->name, r->attempts, why, b->samples,
                    (unsigned long long)wait);
        if ((r->retry = loop_timer_add(p->loop, wait, on_retry, r)) != NULL)
            return;
    } else {
        r->st.requests[RW_FAILED]++;
        r->st.failed += b->samples;
        log_limited(&r->lim, LOG_ERROR,
                    "remote write to %s refused %zu samples: %s", r->cfg->name,
                    b->samples, why);
    }
    r->attempts = 0;
    rw_queue_pop(&r->q);
    start(r);
    if (p->flushing && flush_over(p))
        loop_stop(p->loop);
}

/* --- snapshots ----------------------------------------------------------- */

/* Queues the snapshot p->shot, taken at ts_ms, for r. */
static void enqueue(struct remote *r, int64_t ts_ms)
{
    const struct rw_snapshot *s = &r->p->shot;
    size_t per = r->cfg->max_samples_per_send;
    if (s->n_series > r->cfg->capacity)
        log_limited(&r->lim, LOG_WARN,
                    "remote write to %s: a snapshot of %zu samples does not "
                    "fit queue_config.capacity (%zu); raise it",
                    r->cfg->name, s->n_series, r->cfg->capacity);
    for (size_t from = 0; from < s->n_series; from += per) {
        size_t n = s->n_series - from < per ? s->n_series - from : per;
        struct rw_batch *b = calloc(1, sizeof(*b));
        if (b == NULL ||
            (b->body = rw_encode(s, from, n, ts_ms, &b->len)) == NULL) {
            free(b);
            r->st.in += n;
            r->st.dropped += n;
            log_limited(&r->lim, LOG_ERROR,
                        "remote write to %s: out of memory; %zu samples "
                        "dropped",
                        r->cfg->name, n);
            continue;
        }
        b->samples = n;
        b->ts_ms = ts_ms;
        r->st.in += n;
        bool busy = r->easy != NULL;
        if (!busy && r->retry != NULL && r->q.samples + n > r->cfg->capacity) {
            /* The head waiting for a retry may go: it starts afresh. */
            loop_timer_cancel(r->p->loop, r->retry);
            r->retry = NULL;
            r->attempts = 0;
        }
        size_t dropped = rw_queue_push(&r->q, b, r->cfg->capacity, busy);
        if (dropped > 0) {
            r->st.dropped += dropped;
            log_limited(&r->lim, LOG_WARN,
                        "remote write queue of %s is full (%zu samples); "
                        "the oldest %zu dropped",
                        r->cfg->name, r->cfg->capacity, dropped);
        }
    }
    start(r);
}

/* Reads the exposition into p->shot; false (logged) when it cannot. */
static bool take_snapshot(struct pusher *p)
{
    p->text.len = 0;
    p->text.oom = false;
    p->snap(p->snap_ctx, &p->text);
    int rc = p->text.oom ? -ENOMEM
                         : rw_snapshot_read(&p->shot, p->text.data, p->text.len,
                                            p->cfg->external_labels,
                                            p->cfg->n_external_labels);
    if (rc != 0)
        log_error("remote write: cannot read the exposition: %s",
                  strerror(-rc));
    return rc == 0;
}

/* Frees the snapshot's memory between snapshots: tokentail stays small. */
static void drop_snapshot(struct pusher *p)
{
    rw_snapshot_clear(&p->shot);
    buf_free(&p->text);
}

static void push_now(struct remote *r)
{
    struct pusher *p = r->p;
    int64_t ts = registry_wall_ms();
    if (take_snapshot(p))
        enqueue(r, ts);
    drop_snapshot(p);
}

static void on_tick(void *ctx)
{
    struct remote *r = ctx;
    r->tick = loop_timer_add(r->p->loop, r->cfg->interval_ms, on_tick, r);
    push_now(r);
}

/* --- stale markers at a reload ----------------------------------------- */

/* A series' identity: FNV-1a over its labels, each name and value ended. */
static uint64_t series_hash(const struct rw_snapshot *s, size_t i)
{
    uint64_t h = 0xcbf29ce484222325ull;
    const struct rw_series *se = &s->series[i];
    for (size_t k = 0; k < se->n_labels; k++) {
        const struct rw_label *l = &s->labels[se->first + k];
        for (const char *c = l->name; *c; c++)
            h = (h ^ (unsigned char)*c) * 0x100000001b3ull;
        h = (h ^ 0xff) * 0x100000001b3ull;
        for (const char *c = l->value; *c; c++)
            h = (h ^ (unsigned char)*c) * 0x100000001b3ull;
        h = (h ^ 0xfe) * 0x100000001b3ull;
    }
    return h;
}

static int by_value(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

void pusher_reload_begin(struct pusher *p)
{
    rw_snapshot_clear(&p->before);
    if (p->n > 0 && take_snapshot(p)) {
        p->before = p->shot;
        memset(&p->shot, 0, sizeof(p->shot));
    }
    drop_snapshot(p);
}

/*
 * Moves the series of p->before that p->shot lacks to the front of
 * p->before, each with Prometheus' stale marker as value; returns how
 * many. -1 when out of memory.
 */
static long gone_series(struct pusher *p)
{
    size_t n = p->shot.n_series, gone = 0;
    uint64_t *now = malloc((n ? n : 1) * sizeof(*now));
    if (now == NULL)
        return -1;
    for (size_t i = 0; i < n; i++)
        now[i] = series_hash(&p->shot, i);
    qsort(now, n, sizeof(*now), by_value);
    for (size_t i = 0; i < p->before.n_series; i++) {
        uint64_t h = series_hash(&p->before, i);
        if (bsearch(&h, now, n, sizeof(h), by_value) != NULL)
            continue;
        struct rw_series *se = &p->before.series[gone++];
        *se = p->before.series[i];
        uint64_t bits = RW_STALE_NAN_BITS;
        memcpy(&se->value, &bits, sizeof(se->value));
    }
    free(now);
    return (long)gone;
}

void pusher_reload_end(struct pusher *p, bool applied)
{
    int64_t ts = registry_wall_ms();
    long gone = 0;
    if (applied && p->before.text != NULL && p->n > 0 && take_snapshot(p))
        gone = gone_series(p);
    if (gone > 0) {
        /* enqueue reads p->shot: the stale series take its place. */
        rw_snapshot_clear(&p->shot);
        p->shot = p->before;
        p->shot.n_series = (size_t)gone;
        memset(&p->before, 0, sizeof(p->before));
        for (size_t i = 0; i < p->n; i++)
            enqueue(p->remotes[i], ts);
        log_info("remote write: %ld series gone with the reload, marked "
                 "stale",
                 gone);
    }
    rw_snapshot_clear(&p->before);
    drop_snapshot(p);
}

/* --- remotes ------------------------------------------------------------- */

static void remote_free(struct remote *r)
{
    if (r == NULL)
        return;
    if (r->easy != NULL)
        httpc_cancel(r->p->client, r->easy);
    loop_timer_cancel(r->p->loop, r->retry);
    loop_timer_cancel(r->p->loop, r->tick);
    curl_slist_free_all(r->headers);
    rw_queue_clear(&r->q);
    free(r);
}

static int add_header(struct curl_slist **l, const char *name, const char *sep,
                      const char *value)
{
    size_t cap = strlen(name) + strlen(sep) + strlen(value) + 1;
    char *line = malloc(cap);
    if (line == NULL)
        return -ENOMEM;
    snprintf(line, cap, "%s%s%s", name, sep, value);
    struct curl_slist *t = curl_slist_append(*l, line);
    free(line);
    if (t == NULL)
        return -ENOMEM;
    *l = t;
    return 0;
}

/* What every request carries: the protocol's headers, then the user's. */
static int build_headers(struct remote *r)
{
    const struct cfg_remote *c = r->cfg;
    int rc = add_header(&r->headers, "Content-Encoding", ": ", "snappy");
    if (rc == 0)
        rc = add_header(&r->headers, "Content-Type", ": ",
                        "application/x-protobuf");
    if (rc == 0)
        rc = add_header(&r->headers, "User-Agent", ": ",
                        "tokentail/" TOKENTAIL_VERSION);
    if (rc == 0)
        rc = add_header(&r->headers, "X-Prometheus-Remote-Write-Version", ": ",
                        "0.1.0");
    if (rc == 0 && c->http.credentials != NULL) {
        char type[64];
        snprintf(type, sizeof(type), "%s ", c->http.auth_type);
        rc = add_header(&r->headers, "Authorization: ", type,
                        c->http.credentials);
    }
    for (size_t i = 0; rc == 0 && i < c->n_headers; i++)
        rc = add_header(&r->headers, c->headers[i].name, ": ",
                        c->headers[i].value);
    return rc;
}

static int remote_new(struct pusher *p, const struct cfg_remote *cfg,
                      struct remote **out)
{
    struct remote *r = calloc(1, sizeof(*r));
    if (r == NULL)
        return -ENOMEM;
    r->p = p;
    r->cfg = cfg;
    r->st.capacity = cfg->capacity;
    if (build_headers(r) != 0 ||
        (r->tick = loop_timer_add(p->loop, cfg->interval_ms, on_tick, r)) ==
            NULL) {
        remote_free(r);
        return -ENOMEM;
    }
    *out = r;
    return 0;
}

int pusher_new(struct loop *loop, pusher_snapshot_fn snap, void *ctx,
               struct pusher **out)
{
    static const struct cfg_push none = {0};
    struct pusher *p = calloc(1, sizeof(*p));
    if (p == NULL)
        return -ENOMEM;
    p->loop = loop;
    p->snap = snap;
    p->snap_ctx = ctx;
    p->cfg = &none;
    *out = p;
    return 0;
}

void pusher_free(struct pusher *p)
{
    if (p == NULL)
        return;
    for (size_t i = 0; i < p->n; i++)
        remote_free(p->remotes[i]);
    free(p->remotes);
    httpc_free(p->client);
    drop_snapshot(p);
    rw_snapshot_clear(&p->before);
    free(p);
}

/* The remote of p named name, taken out of p; NULL if none. */
static struct remote *take_named(struct pusher *p, const char *name)
{
    for (size_t i = 0; i < p->n; i++) {
        struct remote *r = p->remotes[i];
        if (r != NULL && strcmp(r->cfg->name, name) == 0) {
            p->remotes[i] = NULL;
            return r;
        }
    }
    return NULL;
}

/*
 * Puts c's settings in force for r, which keeps its queue and figures: a
 * new token or header must not cost what waits to be sent. A request on
 * the wire is abandoned and made again with the new settings. Returns 0,
 * or -ENOMEM with r unchanged.
 */
static int retune(struct remote *r, const struct cfg_remote *c)
{
    struct pusher *p = r->p;
    const struct cfg_remote *was = r->cfg;
    struct curl_slist *old = r->headers;
    r->headers = NULL;
    r->cfg = c;
    if (build_headers(r) != 0) {
        curl_slist_free_all(r->headers);
        r->headers = old;
        r->cfg = was;
        return -ENOMEM;
    }
    if (r->easy != NULL)
        httpc_cancel(p->client, r->easy); /* before its headers go */
    r->easy = NULL;
    curl_slist_free_all(old);
    loop_timer_cancel(p->loop, r->retry);
    r->retry = NULL;
    r->attempts = 0;
    if (c->interval_ms != was->interval_ms) {
        loop_timer_cancel(p->loop, r->tick);
        r->tick = loop_timer_add(p->loop, c->interval_ms, on_tick, r);
    }
    r->st.capacity = c->capacity;
    size_t dropped = 0;
    while (r->q.samples > c->capacity) {
        dropped += r->q.head->samples;
        rw_queue_pop(&r->q);
    }
    r->st.dropped += dropped;
    log_info("remote write to %s: settings changed; %zu queued samples "
             "kept, %zu dropped (over the new capacity)",
             c->name, r->q.samples, dropped);
    start(r);
    return 0;
}

int pusher_apply(struct pusher *p, const struct cfg_push *cfg)
{
    size_t n = cfg->n_remotes;
    struct remote **next = calloc(n ? n : 1, sizeof(*next));
    size_t made = 0;
    int rc = next != NULL ? 0 : -ENOMEM;
    /* The HTTP client (and with it libcurl) only once there is a remote:
     * a daemon that pushes nothing does not load it. */
    if (rc == 0 && n > 0 && p->client == NULL)
        rc = httpc_new(p->loop, done, &p->client);
    for (size_t i = 0; rc == 0 && i < n; i++) {
        const struct cfg_remote *c = &cfg->remotes[i];
        struct remote *kept = take_named(p, c->name);
        if (kept != NULL &&
            (cfg_remote_same(kept->cfg, c) || retune(kept, c) == 0)) {
            kept->cfg = c;
            next[made++] = kept;
            continue;
        }
        remote_free(kept);
        if ((rc = remote_new(p, c, &next[made])) != 0)
            break;
        made++;
        log_info("remote write to %s (%s) every %llu ms", c->name, c->http.url,
                 (unsigned long long)c->interval_ms);
    }
    for (size_t i = 0; i < p->n; i++)
        if (p->remotes[i] != NULL) {
            log_info("remote write to %s stopped; %zu queued samples "
                     "dropped",
                     p->remotes[i]->cfg->name, p->remotes[i]->q.samples);
            remote_free(p->remotes[i]);
        }
    free(p->remotes);
    p->remotes = next;
    p->n = made;
    p->cfg = cfg;
    return rc;
}

size_t pusher_remotes(const struct pusher *p)
{
    return p->n;
}

const char *pusher_remote_name(const struct pusher *p, size_t i)
{
    return p->remotes[i]->cfg->name;
}

void pusher_stats(const struct pusher *p, size_t i, struct rw_stats *out)
{
    *out = p->remotes[i]->st;
    out->queued = p->remotes[i]->q.samples;
}

static void on_flush_deadline(void *ctx)
{
    struct pusher *p = ctx;
    loop_stop(p->loop);
}

void pusher_flush(struct pusher *p)
{
    uint64_t wait = RW_FLUSH_MAX_MS;
    if (p->n == 0)
        return;
    for (size_t i = 0; i < p->n; i++) {
        struct remote *r = p->remotes[i];
        loop_timer_cancel(p->loop, r->tick);
        r->tick = NULL;
        /* A remote waiting out a backoff is tried once more now. */
        if (r->retry != NULL) {
            loop_timer_cancel(p->loop, r->retry);
            r->retry = NULL;
        }
        push_now(r);
        if (r->cfg->http.timeout_ms < wait)
            wait = r->cfg->http.timeout_ms;
    }
    if (flush_over(p))
        return;
    struct loop_timer *t = loop_timer_add(p->loop, wait, on_flush_deadline, p);
    if (t == NULL)
        return;
    p->flushing = true;
    loop_run(p->loop);
    p->flushing = false;
    loop_timer_cancel(p->loop, t);
    for (size_t i = 0; i < p->n; i++)
        if (p->remotes[i]->q.samples > 0)
            log_warn("remote write to %s: %zu samples not sent at shutdown",
                     p->remotes[i]->cfg->name, p->remotes[i]->q.samples);
}
