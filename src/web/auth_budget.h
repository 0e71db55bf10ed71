/*
 * The bcrypt time basic authentication may spend: a bucket for all clients
 * and one per client address, each refilled at its rate per second and
 * holding at most one second's worth. A bcrypt run is admitted while both
 * buckets of its client hold time, and is then charged what it took, so a
 * bucket may go below empty by one run and is refilled from there.
 *
 * Clients are keyed by address: IPv4 (or IPv4-mapped IPv6) by the whole
 * address, IPv6 by its /64, which one host usually holds whole; other
 * families share one key. The AUTH_CLIENTS most recently seen are kept;
 * a client forgotten starts again with a full share, but never more than
 * the bucket for all holds.
 *
 * Plain data: made with auth_budget_init(), nothing to free.
 */
#ifndef TOKENTAIL_AUTH_BUDGET_H
#define TOKENTAIL_AUTH_BUDGET_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/socket.h>

#include "auth.h"

#define AUTH_CLIENT_KEY_BYTES 8 /* an IPv4 address or an IPv6 /64 */
#define AUTH_BUDGET_NO_CLIENT (-1)

struct auth_bucket {
    int64_t us;       /* time held, microseconds; below 0 after a run */
    uint64_t last_ms; /* when last refilled */
};

struct auth_client {
    unsigned char key[AUTH_CLIENT_KEY_BYTES];
    unsigned char key_len; /* 0: the slot is free */
    int family;
    struct auth_bucket bucket;
};

struct auth_budget {
    uint64_t rate_us, client_rate_us; /* per second */
    bool started;                     /* the bucket for all was refilled */
    struct auth_bucket all;
    struct auth_client clients[AUTH_CLIENTS];
};

/* Full buckets refilled at rate_us and client_rate_us per second. */
void auth_budget_init(struct auth_budget *b, uint64_t rate_us,
                      uint64_t client_rate_us);

/*
 * Whether a bcrypt run for client (borrowed for the call; NULL: not known)
 * may start at now_ms. Returns the client's slot, AUTH_BUDGET_NO_CLIENT
 * without a client, or -EBUSY when a bucket is spent.
 */
int auth_budget_admit(struct auth_budget *b, const struct sockaddr *client,
                      uint64_t now_ms);

/* Charges us to the bucket for all and to slot's (as admit returned it). */
void auth_budget_charge(struct auth_budget *b, int slot, uint64_t us);

#endif
