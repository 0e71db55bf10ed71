/*
 * Posting the notifier's messages: one HTTP client for every receiver,
 * libcurl's multi interface driven by the loop's epoll (its sockets are
 * loop descriptors, its timeout a loop timer), so a receiver that hangs
 * holds nothing but its own queue.
 *
 * Each receiver has a queue of at most NOTIFY_QUEUE_MAX messages, posted
 * one at a time in order. A message whose attempt fails for a reason that
 * may pass (no connection, a timeout, a 5xx or 429 answer) is tried again
 * after notify_backoff_ms(), at most NOTIFY_MAX_ATTEMPTS times in all;
 * any other answer ends it. A message pushed into a full queue drops the
 * oldest one not being sent, counted as dropped.
 */
#ifndef TOKENTAIL_NOTIFY_SEND_H
#define TOKENTAIL_NOTIFY_SEND_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "config_alerting.h"
#include "notify.h"

#define NOTIFY_QUEUE_MAX        64    /* messages waiting for one receiver */
#define NOTIFY_MAX_ATTEMPTS     4     /* of one message, the first included */
#define NOTIFY_BACKOFF_FIRST_MS 500   /* before the first retry */
#define NOTIFY_BACKOFF_MAX_MS   30000 /* the longest wait between attempts */

struct loop;
struct notify_sender;

/*
 * A bounded FIFO of message bodies, the receiver's queue. The first may
 * be in the middle of being sent (busy), so it is never the one dropped.
 */
struct notify_queue {
    char *body[NOTIFY_QUEUE_MAX]; /* taken; the first at head */
    size_t len[NOTIFY_QUEUE_MAX];
    size_t head, count;
};

/* Appends body (taken, len bytes); returns 1 when an older message was
 * dropped (freed) to make room, else 0. */
int notify_queue_push(struct notify_queue *q, char *body, size_t len,
                      bool busy);
/* Frees the first message; the queue must not be empty. */
void notify_queue_pop(struct notify_queue *q);
/* Frees every message. */
void notify_queue_clear(struct notify_queue *q);

/* The wait before retry number retry (from 1): the first, doubled each
 * time, at most NOTIFY_BACKOFF_MAX_MS. */
uint64_t notify_backoff_ms(unsigned retry);

/*
 * A sender for the n receivers at rcv (borrowed, must outlive it), on
 * loop (borrowed). Returns 0, -ENOMEM, or -EIO when libcurl cannot start.
 */
int notify_sender_new(struct loop *loop, const struct cfg_receiver *rcv,
                      size_t n, struct notify_sender **out);
/* Abandons what is queued or being sent; NULL is a no-op. */
void notify_sender_free(struct notify_sender *s);

/* Queues body (taken, len bytes, NUL-terminated) for receiver i. */
void notify_sender_post(struct notify_sender *s, size_t i, char *body,
                        size_t len);

void notify_sender_stats(const struct notify_sender *s, size_t i,
                         struct notify_stats *out);
/* Adds from's counts (not its queue) to receiver i's: the figures of a
 * receiver that a reload kept go on. */
void notify_sender_carry(struct notify_sender *s, size_t i,
                         const struct notify_stats *from);
bool notify_sender_idle(const struct notify_sender *s);

#endif
