/*
 * Outbound HTTP on the loop: libcurl's multi interface driven by the
 * loop's epoll. curl says which sockets to watch and when to be called
 * back; both become loop descriptors and a loop timer, so a peer that
 * hangs never blocks tailing. The notifier and remote write each own one.
 *
 * The caller prepares each transfer (a CURL easy handle with its URL,
 * body and headers) and hands it over with httpc_add; when it ends,
 * httpc calls the done function given to httpc_new with the handle's
 * CURLOPT_PRIVATE pointer, curl's result and the HTTP status (0 when no
 * answer came), after the handle has been freed. A done function may add
 * the next transfer at once.
 */
#ifndef TOKENTAIL_HTTPC_H
#define TOKENTAIL_HTTPC_H

#include <curl/curl.h>
#include <stddef.h>

#include "config_http.h"

struct loop;
struct httpc;

/* ctx is the transfer's CURLOPT_PRIVATE; status 0 when none came. */
typedef void (*httpc_done_fn)(void *ctx, CURLcode rc, long status);

/*
 * A client on loop (borrowed; must outlive it) that reports every
 * transfer's end to done. Returns 0, -ENOMEM, or -EIO when libcurl cannot
 * start.
 */
int httpc_new(struct loop *loop, httpc_done_fn done, struct httpc **out);

/* Abandons the transfers under way (done is not called); NULL is a no-op. */
void httpc_free(struct httpc *h);

/*
 * Sets up e as a POST of body (len bytes) to h's url, with h's timeout,
 * credentials and TLS settings, the headers (borrowed; NULL: none) and
 * ctx as its CURLOPT_PRIVATE; the answer's body is discarded unless the
 * caller sets a CURLOPT_WRITEFUNCTION after. h, headers and body must
 * outlive the transfer.
 */
void httpc_prepare_post(CURL *e, const struct cfg_http_client *h,
                        struct curl_slist *headers, const char *body,
                        size_t len, void *ctx);

/* Starts easy (taken, even on failure). Returns 0 or -EIO. */
int httpc_add(struct httpc *h, CURL *easy);

/* Abandons easy (taken), added before and not ended; done is not called. */
void httpc_cancel(struct httpc *h, CURL *easy);

#endif
