#include "auth_budget.h"

#include <errno.h>
#include <netinet/in.h>
#include <string.h>

#define MS_PER_SECOND 1000
/* Refilling for longer than this fills any bucket that a bcrypt run can
 * have emptied; beyond it, time is not counted. */
#define MAX_REFILL_MS (24 * 3600 * MS_PER_SECOND)

void auth_budget_init(struct auth_budget *b, uint64_t rate_us,
                      uint64_t client_rate_us)
{
    memset(b, 0, sizeof(*b));
    b->rate_us = rate_us;
    b->client_rate_us = client_rate_us;
    b->all.us = (int64_t)rate_us;
}

/* Adds what rate_us per second gives from the bucket's last refill to
 * now_ms, up to one second's worth: a run that took longer than a second's
 * worth is paid back before the next starts. */
static void refill(struct auth_bucket *k, uint64_t rate_us, uint64_t now_ms)
{
    if (now_ms <= k->last_ms)
        return;
    uint64_t ms = now_ms - k->last_ms;
    k->last_ms = now_ms;
    if (ms > MAX_REFILL_MS) /* keeps the product below from overflowing */
        ms = MAX_REFILL_MS;
    int64_t us = k->us + (int64_t)(rate_us * ms / MS_PER_SECOND);
    k->us = us < (int64_t)rate_us ? us : (int64_t)rate_us;
}

/* The key of client's address into key; returns its length (at least 1). */
static unsigned char client_key(const struct sockaddr *client,
                                unsigned char key[AUTH_CLIENT_KEY_BYTES],
                                int *family)
{
    static const unsigned char v4_mapped[12] = {0, 0, 0, 0, 0,    0,
                                                0, 0, 0, 0, 0xff, 0xff};
    *family = client->sa_family;
    if (client->sa_family == AF_INET) {
        memcpy(key, &((const struct sockaddr_in *)client)->sin_addr, 4);
        return 4;
    }
    if (client->sa_family == AF_INET6) {
        const unsigned char *a =
            ((const struct sockaddr_in6 *)client)->sin6_addr.s6_addr;
        if (memcmp(a, v4_mapped, sizeof(v4_mapped)) == 0) {
            *family = AF_INET;
            memcpy(key, a + 12, 4);
            return 4;
        }
        memcpy(key, a, 8);
        return 8;
    }
    key[0] = 0;
    return 1;
}

/* The slot of client, made (forgetting the least recently refilled one
 * when all are taken) if it has none. */
static int client_slot(struct auth_budget *b, const struct sockaddr *client,
                       uint64_t now_ms)
{
    unsigned char key[AUTH_CLIENT_KEY_BYTES];
    int family;
    unsigned char len = client_key(client, key, &family);
    int free_slot = -1, oldest = 0;
    for (int i = 0; i < AUTH_CLIENTS; i++) {
        struct auth_client *c = &b->clients[i];
        if (c->key_len == 0) {
            if (free_slot < 0)
                free_slot = i;
            continue;
        }
        if (c->key_len == len && c->family == family &&
            memcmp(c->key, key, len) == 0)
            return i;
        if (c->bucket.last_ms < b->clients[oldest].bucket.last_ms)
            oldest = i;
    }
    int i = free_slot >= 0 ? free_slot : oldest;
    struct auth_client *c = &b->clients[i];
    memcpy(c->key, key, len);
    c->key_len = len;
    c->family = family;
    c->bucket = (struct auth_bucket){(int64_t)b->client_rate_us, now_ms};
    return i;
}

int auth_budget_admit(struct auth_budget *b, const struct sockaddr *client,
                      uint64_t now_ms)
{
    if (!b->started) { /* the first check finds the bucket full */
        b->started = true;
        b->all.last_ms = now_ms;
    }
    refill(&b->all, b->rate_us, now_ms);
    int slot = AUTH_BUDGET_NO_CLIENT;
    if (client != NULL) {
        slot = client_slot(b, client, now_ms);
        struct auth_bucket *k = &b->clients[slot].bucket;
        refill(k, b->client_rate_us, now_ms);
        if (k->us <= 0)
            return -EBUSY;
    }
    return b->all.us > 0 ? slot : -EBUSY;
}

void auth_budget_charge(struct auth_budget *b, int slot, uint64_t us)
{
    b->all.us -= (int64_t)us;
    if (slot >= 0 && slot < AUTH_CLIENTS)
        b->clients[slot].bucket.us -= (int64_t)us;
}
