/*
 * Basic authentication against bcrypt hashes (basic_auth_users of the web
 * configuration), made safe to expose:
 *
 * - bcrypt is verified by libcrypt (crypt_rn), never by hand;
 * - a successful check is cached under the user AND a keyed digest of the
 *   password, so a cached success never admits another password (the
 *   mistake of CVE-2022-46146); a cached entry is as good as a bcrypt run;
 * - an unknown user is checked against a dummy hash of the same cost, so
 *   timing does not tell which users exist;
 * - the bcrypt work done per second is bounded: beyond the bound a request
 *   that the cache cannot settle is refused at once (429), so a burst of
 *   wrong passwords cannot stall the loop that tails logs and answers the
 *   scrapes of valid users.
 *
 * The cache keeps no password: an entry is HMAC-SHA256(user, password)
 * under a key drawn from getrandom() when the authenticator is made, and
 * whether bcrypt accepted it. Successes and failures are kept apart, each
 * in a table of fixed size that forgets its least recently used entry, so
 * wrong passwords never push a valid client's success out. A failure is
 * cached too: the same wrong password sent again is refused without
 * bcrypt, and it cannot shadow a right one, whose digest differs.
 *
 * The bound is a bucket of bcrypt time that refills at AUTH_BCRYPT_BUDGET_US
 * per second, and inside it one of AUTH_CLIENT_BUDGET_US per second for each
 * client address (an IPv4 address, an IPv6 /64): one attacking address can
 * spend at most its share, and the rest stays for the others. A check runs
 * bcrypt only while both buckets hold time; it is charged what the run took.
 * A success that is cached is never throttled.
 *
 * Single-threaded: called on the loop's thread.
 */
#ifndef TOKENTAIL_AUTH_H
#define TOKENTAIL_AUTH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "webconfig.h"

/* bcrypt time all checks together may spend, microseconds per second of
 * wall time (a check at cost 10 takes about 50 ms on a current x86-64
 * core, at cost 12 about 200 ms). */
#define AUTH_BCRYPT_BUDGET_US 200000
/* Of which one client address may spend, microseconds per second. */
#define AUTH_CLIENT_BUDGET_US 100000
#define AUTH_CACHE_OK         64  /* successful user and password pairs */
#define AUTH_CACHE_FAILED     256 /* failed pairs */
#define AUTH_CLIENTS          64  /* client addresses whose share is kept */
/* Longest Authorization header value read; longer ones are denied. */
#define AUTH_MAX_HEADER_BYTES 4096
#define AUTH_MIN_COST         4
#define AUTH_MAX_COST         14 /* see auth_check_hash() */
#define AUTH_HASH_BYTES       60 /* "$2b$10$" and 53 characters */

struct web_auth;
struct selfmetrics;

enum auth_result {
    AUTH_OK,        /* the credentials are right */
    AUTH_DENIED,    /* missing, malformed or wrong: 401 */
    AUTH_THROTTLED, /* the bcrypt budget of this second is spent: 429 */
};

/* How a check ended, in more detail than the result, for the counters. */
enum auth_outcome {
    AUTH_OUT_OK,
    AUTH_OUT_MISSING,        /* no Authorization header */
    AUTH_OUT_MALFORMED,      /* not "Basic" with base64 of user:password */
    AUTH_OUT_UNKNOWN_USER,   /* checked against the dummy hash */
    AUTH_OUT_WRONG_PASSWORD, /* a known user, another password */
    AUTH_OUT_THROTTLED,
    AUTH_OUTCOMES
};

/* "ok", "missing", "malformed", "unknown_user", "wrong_password",
 * "throttled". */
const char *auth_outcome_name(enum auth_outcome o);

/* Counts since the authenticator was made (or carried over: auth_carry). */
struct auth_stats {
    uint64_t checks[AUTH_OUTCOMES];
    uint64_t cache_hits;  /* checks settled without bcrypt */
    uint64_t bcrypt_runs; /* against a user's hash or the dummy */
    uint64_t bcrypt_us;   /* time they took */
};

/* Tunables of one authenticator; auth_new() takes the defaults above. */
struct auth_limits {
    uint64_t budget_us;        /* AUTH_BCRYPT_BUDGET_US */
    uint64_t client_budget_us; /* AUTH_CLIENT_BUDGET_US */
    uint64_t charge_us;        /* 0: charge what each bcrypt run took; otherwise
                                  this much (a fixed cost makes tests exact) */
};

/*
 * Whether hash is a bcrypt hash tokentail accepts ($2a$, $2b$ or $2y$,
 * cost 4..14, 53 characters after the cost). Returns 0, or -EINVAL with
 * a reason in *why (static text).
 */
int auth_check_hash(const char *hash, const char **why);

/*
 * Whether name can be a user of basic authentication: not empty, no ':'
 * (which ends the user in the header) and no control character. Returns
 * 0, or -EINVAL with a reason in *why (static text).
 */
int auth_check_user(const char *name, const char **why);

/*
 * An authenticator for users (borrowed for the call; copied). Returns 0
 * or -errno (-EINVAL for a user or hash the checks above refuse); n == 0
 * makes one that admits everyone.
 */
int auth_new(const struct web_user *users, size_t n, struct web_auth **out);

/* The same with limits (borrowed for the call; NULL: the defaults). */
int auth_new_limits(const struct web_user *users, size_t n,
                    const struct auth_limits *limits, struct web_auth **out);

/* Whether a has no users, and so admits every request. */
bool auth_admits_everyone(const struct web_auth *a);

/* Checks an Authorization header value (NULL: none sent) at now_ms on a
 * monotonic clock. */
enum auth_result auth_check(struct web_auth *a, const char *authorization,
                            uint64_t now_ms);

/*
 * The same for a request from client (borrowed for the call; NULL: not
 * known), whose address gets its share of the bcrypt budget.
 */
enum auth_result auth_check_client(struct web_auth *a,
                                   const char *authorization,
                                   const struct sockaddr *client,
                                   uint64_t now_ms);

/*
 * After a reload: gives to (the new authenticator) the counts of from
 * (the old one, borrowed), the budget it had spent, and the cached
 * results of every user whose name and hash are the same in both, so
 * valid clients keep scraping without a bcrypt run. Results of users
 * changed, removed or unknown are dropped. Call before to is used.
 */
void auth_carry(struct web_auth *to, const struct web_auth *from);

/* Copies the counts into *out. */
void auth_get_stats(const struct web_auth *a, struct auth_stats *out);

/*
 * Adds the tokentail_http_auth_* families to sm and fills them at each
 * collection from *current, the authenticator in force: current is the
 * place the server keeps it (borrowed, must outlive sm), read anew each
 * time so that a reload is followed; while it is NULL or admits everyone
 * the families have no series. Returns 0 or -errno.
 */
int auth_selfmetrics(struct web_auth *const *current, struct selfmetrics *sm);

/* NULL is a no-op. */
void auth_free(struct web_auth *a);

/* --- the Authorization header --------------------------------------------- */

/* User and password of a Basic header, NUL-terminated, inside the buffer
 * given to auth_parse_basic(). */
struct auth_basic {
    const char *user;
    size_t user_len;
    const char *password;
    size_t password_len;
};

/*
 * Reads "Basic <base64 of user:password>" (the scheme in any case, padded
 * base64 as RFC 4648 writes it) into buf (cap bytes, at least 1), where
 * out then points. Returns 0, -ENOENT when authorization is NULL, or
 * -EINVAL when it is not Basic, not base64, too long for buf, has no ':',
 * an empty user or a NUL byte inside.
 */
int auth_parse_basic(const char *authorization, char *buf, size_t cap,
                     struct auth_basic *out);

#endif
