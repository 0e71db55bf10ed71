/*
 * The posts go out through the loop's HTTP client (httpc.h), one
 * transfer per receiver at a time, so messages arrive in the order they
 * were queued.
 */
#include "notify_send.h"

#include <curl/curl.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "httpc.h"
#include "log.h"
#include "loop.h"

#ifndef TOKENTAIL_VERSION
#define TOKENTAIL_VERSION "unknown"
#endif

#define HTTP_RETRY_LATER 429 /* Too Many Requests: may pass */

struct sender_out {
    struct notify_sender *s;
    const struct cfg_receiver *rcv;
    struct notify_queue q;
    CURL *easy; /* the transfer of the first message, or NULL */
    struct curl_slist *headers;
    struct loop_timer *retry; /* waiting to try the first message again */
    unsigned attempts;        /* made for the first message */
    struct notify_stats st;
    struct log_limit lim;
};

struct notify_sender {
    struct loop *loop;
    struct httpc *client;
    struct sender_out *outs;
    size_t n;
};

int notify_queue_push(struct notify_queue *q, char *body, size_t len, bool busy)
{
    int dropped = 0;
    if (q->count == NOTIFY_QUEUE_MAX) {
        /* The oldest not being sent goes; the rest move up one. */
        size_t from = busy ? 1 : 0;
        free(q->body[(q->head + from) % NOTIFY_QUEUE_MAX]);
        for (size_t i = from; i + 1 < q->count; i++) {
            size_t a = (q->head + i) % NOTIFY_QUEUE_MAX;
            size_t b = (q->head + i + 1) % NOTIFY_QUEUE_MAX;
            q->body[a] = q->body[b];
            q->len[a] = q->len[b];
        }
        q->count--;
        dropped = 1;
    }
    size_t at = (q->head + q->count++) % NOTIFY_QUEUE_MAX;
    q->body[at] = body;
    q->len[at] = len;
    return dropped;
}

void notify_queue_pop(struct notify_queue *q)
{
    free(q->body[q->head]);
    q->body[q->head] = NULL;
    q->head = (q->head + 1) % NOTIFY_QUEUE_MAX;
    q->count--;
}

void notify_queue_clear(struct notify_queue *q)
{
    while (q->count > 0)
        notify_queue_pop(q);
}

uint64_t notify_backoff_ms(unsigned retry)
{
    uint64_t ms = NOTIFY_BACKOFF_FIRST_MS;
    for (unsigned i = 1; i < retry && ms < NOTIFY_BACKOFF_MAX_MS; i++)
        ms *= 2;
    return ms < NOTIFY_BACKOFF_MAX_MS ? ms : NOTIFY_BACKOFF_MAX_MS;
}

static void start(struct sender_out *o);

static void on_retry(void *ctx)
{
    struct sender_out *o = ctx;
    o->retry = NULL;
    start(o);
}

/* The headers every post carries, built once per receiver. */
static int build_headers(struct sender_out *o)
{
    const struct cfg_http_client *h = &o->rcv->http;
    struct curl_slist *l = NULL, *t;
    l = curl_slist_append(l, "Content-Type: application/json");
    if (l != NULL &&
        (t = curl_slist_append(
             l, "User-Agent: tokentail/" TOKENTAIL_VERSION)) != NULL)
        l = t;
    if (l != NULL && h->credentials != NULL) {
        size_t cap = strlen(h->auth_type) + strlen(h->credentials) + 32;
        char *line = malloc(cap);
        if (line == NULL) {
            curl_slist_free_all(l);
            return -ENOMEM;
        }
        snprintf(line, cap, "Authorization: %s %s", h->auth_type,
                 h->credentials);
        t = curl_slist_append(l, line);
        free(line);
        if (t == NULL) {
            curl_slist_free_all(l);
            return -ENOMEM;
        }
    }
    o->headers = l;
    return l != NULL ? 0 : -ENOMEM;
}

/* Starts the first message's next attempt, unless one is under way. */
static void start(struct sender_out *o)
{
    if (o->easy != NULL || o->retry != NULL || o->q.count == 0)
        return;
    CURL *e = curl_easy_init();
    if (e == NULL) {
        o->retry =
            loop_timer_add(o->s->loop, NOTIFY_BACKOFF_FIRST_MS, on_retry, o);
        return;
    }
    httpc_prepare_post(e, &o->rcv->http, o->headers, o->q.body[o->q.head],
                       o->q.len[o->q.head], o);
    if (httpc_add(o->s->client, e) != 0) {
        o->retry =
            loop_timer_add(o->s->loop, NOTIFY_BACKOFF_FIRST_MS, on_retry, o);
        return;
    }
    o->easy = e;
    o->attempts++;
}

/* Whether a failed attempt may succeed if made again. */
static bool may_pass(CURLcode rc, long status)
{
    if (rc != CURLE_OK)
        return rc != CURLE_URL_MALFORMAT && rc != CURLE_UNSUPPORTED_PROTOCOL;
    return status >= 500 || status == HTTP_RETRY_LATER;
}

/* Ends the first message with result r, and moves to the next. */
static void finish(struct sender_out *o, enum notify_result r)
{
    o->st.results[r]++;
    o->attempts = 0;
    notify_queue_pop(&o->q);
    start(o);
}

static void done(void *ctx, CURLcode rc, long status)
{
    struct sender_out *o = ctx;
    o->easy = NULL;
    if (rc == CURLE_OK && status >= 200 && status < 300) {
        finish(o, NOTIFY_SUCCESS);
        return;
    }
    char why[96];
    if (rc != CURLE_OK)
        snprintf(why, sizeof(why), "%s", curl_easy_strerror(rc));
    else
        snprintf(why, sizeof(why), "HTTP status %ld", status);
    bool again = may_pass(rc, status) && o->attempts < NOTIFY_MAX_ATTEMPTS;
    log_limited(&o->lim, LOG_WARN,
                "notification to %s failed (attempt %u of %d): %s%s",
                o->rcv->name, o->attempts, NOTIFY_MAX_ATTEMPTS, why,
                again ? "; trying again" : "; given up");
    if (!again) {
        finish(o,
               rc == CURLE_OPERATION_TIMEDOUT ? NOTIFY_TIMEOUT : NOTIFY_ERROR);
        return;
    }
    o->st.retries++;
    o->retry =
        loop_timer_add(o->s->loop, notify_backoff_ms(o->attempts), on_retry, o);
    if (o->retry == NULL)
        finish(o, NOTIFY_ERROR);
}

int notify_sender_new(struct loop *loop, const struct cfg_receiver *rcv,
                      size_t n, struct notify_sender **out)
{
    struct notify_sender *s = calloc(1, sizeof(*s));
    if (s == NULL)
        return -ENOMEM;
    s->loop = loop;
    int rc = httpc_new(loop, done, &s->client);
    if (rc != 0)
        goto fail;
    rc = -ENOMEM;
    if ((s->outs = calloc(n ? n : 1, sizeof(*s->outs))) == NULL)
        goto fail;
    for (size_t i = 0; i < n; i++) {
        s->outs[i].s = s;
        s->outs[i].rcv = &rcv[i];
        s->n = i + 1;
        if ((rc = build_headers(&s->outs[i])) != 0)
            goto fail;
    }
    *out = s;
    return 0;
fail:
    notify_sender_free(s);
    return rc;
}

void notify_sender_free(struct notify_sender *s)
{
    if (s == NULL)
        return;
    for (size_t i = 0; s->outs != NULL && i < s->n; i++) {
        struct sender_out *o = &s->outs[i];
        if (o->easy != NULL)
            httpc_cancel(s->client, o->easy);
        loop_timer_cancel(s->loop, o->retry);
        curl_slist_free_all(o->headers);
        notify_queue_clear(&o->q);
    }
    httpc_free(s->client);
    free(s->outs);
    free(s);
}

void notify_sender_post(struct notify_sender *s, size_t i, char *body,
                        size_t len)
{
    struct sender_out *o = &s->outs[i];
    bool busy = o->easy != NULL || o->retry != NULL;
    if (notify_queue_push(&o->q, body, len, busy) > 0) {
        o->st.dropped++;
        if (!busy)
            o->attempts = 0;
        log_limited(&o->lim, LOG_WARN,
                    "notification queue of %s is full (%d messages); the "
                    "oldest dropped",
                    o->rcv->name, NOTIFY_QUEUE_MAX);
    }
    start(o);
}

void notify_sender_stats(const struct notify_sender *s, size_t i,
                         struct notify_stats *out)
{
    *out = s->outs[i].st;
    out->queued = s->outs[i].q.count;
}

void notify_sender_carry(struct notify_sender *s, size_t i,
                         const struct notify_stats *from)
{
    struct notify_stats *st = &s->outs[i].st;
    for (size_t r = 0; r < NOTIFY_RESULTS; r++)
        st->results[r] += from->results[r];
    st->dropped += from->dropped;
    st->retries += from->retries;
}

bool notify_sender_idle(const struct notify_sender *s)
{
    for (size_t i = 0; i < s->n; i++)
        if (s->outs[i].q.count > 0)
            return false;
    return true;
}
