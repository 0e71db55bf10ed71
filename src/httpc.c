/*
 * curl tells which sockets to watch (sock_cb) and when to call it back
 * (timer_cb); the loop calls curl_multi_socket_action for either, and the
 * transfers that ended are collected after each call (reap).
 */
#include "httpc.h"

#include <errno.h>
#include <stdlib.h>
#include <sys/epoll.h>

#include "loop.h"

/* A socket curl asked the loop to watch. */
struct httpc_sock {
    struct httpc *h;
    curl_socket_t fd;
    struct httpc_sock *next;
};

struct httpc {
    struct loop *loop;
    CURLM *multi;
    httpc_done_fn done;
    struct loop_timer *timer;
    struct httpc_sock *socks;
};

/* Collects the transfers curl has finished. */
static void reap(struct httpc *h)
{
    CURLMsg *m;
    int left;
    while ((m = curl_multi_info_read(h->multi, &left)) != NULL) {
        if (m->msg != CURLMSG_DONE)
            continue;
        CURL *e = m->easy_handle;
        CURLcode rc = m->data.result;
        void *ctx = NULL;
        long status = 0;
        curl_easy_getinfo(e, CURLINFO_PRIVATE, (char **)&ctx);
        curl_easy_getinfo(e, CURLINFO_RESPONSE_CODE, &status);
        curl_multi_remove_handle(h->multi, e);
        curl_easy_cleanup(e);
        h->done(ctx, rc, status);
    }
}

static void act(struct httpc *h, curl_socket_t fd, int flags)
{
    int running;
    curl_multi_socket_action(h->multi, fd, flags, &running);
    reap(h);
}

static void on_sock(void *ctx, uint32_t events)
{
    struct httpc_sock *k = ctx;
    int flags = ((events & EPOLLIN) ? CURL_CSELECT_IN : 0) |
                ((events & EPOLLOUT) ? CURL_CSELECT_OUT : 0) |
                ((events & (EPOLLERR | EPOLLHUP)) ? CURL_CSELECT_ERR : 0);
    act(k->h, k->fd, flags);
}

static void on_timer(void *ctx)
{
    struct httpc *h = ctx;
    h->timer = NULL;
    act(h, CURL_SOCKET_TIMEOUT, 0);
}

static void forget_sock(struct httpc *h, struct httpc_sock *k)
{
    for (struct httpc_sock **p = &h->socks; *p; p = &(*p)->next)
        if (*p == k) {
            *p = k->next;
            break;
        }
    loop_del_fd(h->loop, k->fd);
    free(k);
}

static int sock_cb(CURL *e, curl_socket_t fd, int what, void *userp,
                   void *socketp)
{
    struct httpc *h = userp;
    struct httpc_sock *k = socketp;
    (void)e;
    if (what == CURL_POLL_REMOVE) {
        if (k != NULL)
            forget_sock(h, k);
        return 0;
    }
    uint32_t events = ((what & CURL_POLL_IN) ? EPOLLIN : 0) |
                      ((what & CURL_POLL_OUT) ? EPOLLOUT : 0);
    if (k == NULL) {
        if ((k = calloc(1, sizeof(*k))) == NULL)
            return -1;
        k->h = h;
        k->fd = fd;
        k->next = h->socks;
        h->socks = k;
        curl_multi_assign(h->multi, fd, k);
    } else {
        /* The loop has no "modify": the descriptor is added anew. */
        loop_del_fd(h->loop, fd);
    }
    return loop_add_fd(h->loop, fd, events, on_sock, k) == 0 ? 0 : -1;
}

static int timer_cb(CURLM *multi, long timeout_ms, void *userp)
{
    struct httpc *h = userp;
    (void)multi;
    loop_timer_cancel(h->loop, h->timer);
    h->timer = NULL;
    if (timeout_ms >= 0) {
        h->timer = loop_timer_add(h->loop, (uint64_t)timeout_ms, on_timer, h);
        if (h->timer == NULL)
            return -1;
    }
    return 0;
}

int httpc_new(struct loop *loop, httpc_done_fn done, struct httpc **out)
{
    struct httpc *h = calloc(1, sizeof(*h));
    if (h == NULL)
        return -ENOMEM;
    h->loop = loop;
    h->done = done;
    if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
        free(h);
        return -EIO;
    }
    if ((h->multi = curl_multi_init()) == NULL) {
        curl_global_cleanup();
        free(h);
        return -EIO;
    }
    curl_multi_setopt(h->multi, CURLMOPT_SOCKETFUNCTION, sock_cb);
    curl_multi_setopt(h->multi, CURLMOPT_SOCKETDATA, h);
    curl_multi_setopt(h->multi, CURLMOPT_TIMERFUNCTION, timer_cb);
    curl_multi_setopt(h->multi, CURLMOPT_TIMERDATA, h);
    *out = h;
    return 0;
}

void httpc_free(struct httpc *h)
{
    if (h == NULL)
        return;
    /* Closing its connections, curl may still call sock_cb and timer_cb:
     * what they keep is freed after. */
    curl_multi_cleanup(h->multi);
    curl_global_cleanup();
    while (h->socks != NULL)
        forget_sock(h, h->socks);
    loop_timer_cancel(h->loop, h->timer);
    free(h);
}

static size_t discard(char *p, size_t size, size_t n, void *ctx)
{
    (void)p;
    (void)ctx;
    return size * n;
}

void httpc_prepare_post(CURL *e, const struct cfg_http_client *h,
                        struct curl_slist *headers, const char *body,
                        size_t len, void *ctx)
{
    curl_easy_setopt(e, CURLOPT_URL, h->url);
    curl_easy_setopt(e, CURLOPT_PRIVATE, ctx);
    curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(e, CURLOPT_HTTPHEADER, headers);
    curl_easy_setopt(e, CURLOPT_POSTFIELDSIZE, (long)len);
    curl_easy_setopt(e, CURLOPT_POSTFIELDS, body);
    curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, (long)h->timeout_ms);
    curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, discard);
    if (h->username != NULL) {
        curl_easy_setopt(e, CURLOPT_HTTPAUTH, (long)CURLAUTH_BASIC);
        curl_easy_setopt(e, CURLOPT_USERNAME, h->username);
        curl_easy_setopt(e, CURLOPT_PASSWORD, h->password);
    }
    if (h->ca_file != NULL)
        curl_easy_setopt(e, CURLOPT_CAINFO, h->ca_file);
    if (h->insecure_skip_verify) {
        curl_easy_setopt(e, CURLOPT_SSL_VERIFYPEER, 0L);
        curl_easy_setopt(e, CURLOPT_SSL_VERIFYHOST, 0L);
    }
}

int httpc_add(struct httpc *h, CURL *easy)
{
    if (curl_multi_add_handle(h->multi, easy) != CURLM_OK) {
        curl_easy_cleanup(easy);
        return -EIO;
    }
    return 0;
}

void httpc_cancel(struct httpc *h, CURL *easy)
{
    curl_multi_remove_handle(h->multi, easy);
    curl_easy_cleanup(easy);
}
