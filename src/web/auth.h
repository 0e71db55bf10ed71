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
 * Single-threaded: called on the loop's thread.
 */
#ifndef TOKENTAIL_AUTH_H
#define TOKENTAIL_AUTH_H

#include <stddef.h>
#include <stdint.h>

#include "webconfig.h"

struct web_auth;

enum auth_result {
    AUTH_OK,        /* the credentials are right */
    AUTH_DENIED,    /* missing, malformed or wrong: 401 */
    AUTH_THROTTLED, /* the bcrypt budget of this second is spent: 429 */
};

/*
 * Whether hash is a bcrypt hash tokentail accepts ($2a$, $2b$ or $2y$,
 * cost 4..31, 53 characters after the cost). Returns 0, or -EINVAL with
 * a reason in *why (static text).
 */
int auth_check_hash(const char *hash, const char **why);

/*
 * An authenticator for users (borrowed for the call; copied). Returns 0
 * or -errno; n == 0 makes one that admits everyone.
 */
int auth_new(const struct web_user *users, size_t n, struct web_auth **out);

/* Checks an Authorization header value (NULL: none sent) at now_ms on a
 * monotonic clock. */
enum auth_result auth_check(struct web_auth *a, const char *authorization,
                            uint64_t now_ms);

/* NULL is a no-op. */
void auth_free(struct web_auth *a);

#endif
