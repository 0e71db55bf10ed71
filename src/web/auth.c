#include "auth.h"

#include <crypt.h>
#include <errno.h>
#include <nettle/hmac.h>
#include <nettle/memops.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>

#include "auth_budget.h"

#define DIGEST_BYTES  SHA256_DIGEST_SIZE
#define KEY_BYTES     32
#define UNKNOWN_USER  (-1) /* the user of a cached failure not configured */
#define US_PER_SECOND 1000000
#define NS_PER_US     1000

/* "$2b$", two digits of cost, '$'. */
#define HASH_PREFIX_BYTES 7
/* The 22 characters of salt after the prefix: what crypt_gensalt_rn
 * writes, and all bcrypt reads of the dummy hash besides the cost. */
#define SETTING_BYTES 29

static const char *const outcome_names[AUTH_OUTCOMES] = {
    [AUTH_OUT_OK] = "ok",
    [AUTH_OUT_MISSING] = "missing",
    [AUTH_OUT_MALFORMED] = "malformed",
    [AUTH_OUT_UNKNOWN_USER] = "unknown_user",
    [AUTH_OUT_WRONG_PASSWORD] = "wrong_password",
    [AUTH_OUT_THROTTLED] = "throttled",
};

/* A remembered check: which pair, and whose. */
struct cache_entry {
    unsigned char digest[DIGEST_BYTES]; /* HMAC of user and password */
    int32_t user;                       /* index, or UNKNOWN_USER */
    bool used;
    uint64_t tick; /* when last found or put */
};

struct auth_user {
    char *name;
    size_t name_len;
    char hash[AUTH_HASH_BYTES + 1];
};

struct web_auth {
    struct auth_user *users;
    size_t n_users;
    char dummy[AUTH_HASH_BYTES + 1]; /* of the highest cost among users */
    unsigned char key[KEY_BYTES];    /* of the cache's digests */
    struct auth_limits limits;
    struct auth_budget budget;
    uint64_t tick;
    struct cache_entry ok[AUTH_CACHE_OK];
    struct cache_entry failed[AUTH_CACHE_FAILED];
    struct auth_stats stats;
    struct crypt_data crypt; /* crypt_rn's work area, 32 KiB */
};

const char *auth_outcome_name(enum auth_outcome o)
{
    return (unsigned)o < AUTH_OUTCOMES ? outcome_names[o] : "unknown";
}

/* --- what the configuration may hold -------------------------------------- */

static bool is_bcrypt_digit(char c)
{
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
           (c >= '0' && c <= '9') || c == '.' || c == '/';
}

/* The cost of a hash auth_check_hash() accepted. */
static int hash_cost(const char *hash)
{
    return (hash[4] - '0') * 10 + (hash[5] - '0');
}

int auth_check_hash(const char *hash, const char **why)
{
    if (strncmp(hash, "$2", 2) != 0 || strchr("aby", hash[2]) == NULL ||
        hash[2] == '\0' || hash[3] != '$') {
        *why = "not a bcrypt hash: it must start with $2a$, $2b$ or $2y$";
        return -EINVAL;
    }
    if (hash[4] < '0' || hash[4] > '9' || hash[5] < '0' || hash[5] > '9' ||
        hash[6] != '$') {
        *why = "a bcrypt hash has two digits of cost after $2b$";
        return -EINVAL;
    }
    int cost = hash_cost(hash);
    if (cost < AUTH_MIN_COST || cost > AUTH_MAX_COST) {
        /* bcrypt runs on the loop's thread: above 14 (about 0.9 s a check
         * on a small VM) one request would hold tailing and every answer
         * for seconds, beyond what the per-second bound can spread. */
        *why = "the cost of a bcrypt hash must be 04 to 14 (a check at 15 "
               "holds the daemon over a second): hash the password again";
        return -EINVAL;
    }
    size_t len = strlen(hash);
    for (size_t i = HASH_PREFIX_BYTES; i < len; i++)
        if (!is_bcrypt_digit(hash[i])) {
            *why = "a bcrypt hash has only ./A-Za-z0-9 after its cost";
            return -EINVAL;
        }
    if (len != AUTH_HASH_BYTES) {
        *why = "a bcrypt hash has 53 characters after its cost";
        return -EINVAL;
    }
    return 0;
}

int auth_check_user(const char *name, const char **why)
{
    if (*name == '\0') {
        *why = "a user name cannot be empty";
        return -EINVAL;
    }
    for (const char *p = name; *p != '\0'; p++) {
        if (*p == ':') {
            *why = "a user name cannot hold ':' (it ends the user in "
                   "the Authorization header)";
            return -EINVAL;
        }
        if ((unsigned char)*p < 0x20 || *p == 0x7f) {
            *why = "a user name cannot hold control characters";
            return -EINVAL;
        }
    }
    return 0;
}

/* --- making one ----------------------------------------------------------- */

static int fill_random(unsigned char *p, size_t n)
{
    while (n > 0) {
        ssize_t got = getrandom(p, n, 0);
        if (got < 0) {
            if (errno == EINTR)
                continue;
            return -errno;
        }
        p += got;
        n -= (size_t)got;
    }
    return 0;
}

/*
 * A hash nothing matches, of cost: a fresh salt and a digest of dots.
 * bcrypt reads only the cost and the salt, so checking a password against
 * it takes as long as against a user's hash of that cost.
 */
static int make_dummy(int cost, char out[AUTH_HASH_BYTES + 1])
{
    char setting[CRYPT_GENSALT_OUTPUT_SIZE];
    errno = 0;
    if (crypt_gensalt_rn("$2b$", (unsigned long)cost, NULL, 0, setting,
                         sizeof(setting)) == NULL ||
        strlen(setting) != SETTING_BYTES)
        return errno != 0 ? -errno : -EINVAL;
    memcpy(out, setting, SETTING_BYTES);
    memset(out + SETTING_BYTES, '.', AUTH_HASH_BYTES - SETTING_BYTES);
    out[AUTH_HASH_BYTES] = '\0';
    return 0;
}

static int copy_users(struct web_auth *a, const struct web_user *users,
                      size_t n, int *max_cost)
{
    a->users = calloc(n, sizeof(*a->users));
    if (a->users == NULL)
        return -ENOMEM;
    *max_cost = AUTH_MIN_COST;
    for (size_t i = 0; i < n; i++) {
        const char *why;
        if (auth_check_user(users[i].name, &why) != 0 ||
            auth_check_hash(users[i].hash, &why) != 0)
            return -EINVAL;
        struct auth_user *u = &a->users[a->n_users];
        if ((u->name = strdup(users[i].name)) == NULL)
            return -ENOMEM;
        a->n_users++;
        u->name_len = strlen(u->name);
        memcpy(u->hash, users[i].hash, AUTH_HASH_BYTES + 1);
        int cost = hash_cost(u->hash);
        if (cost > *max_cost)
            *max_cost = cost;
    }
    return 0;
}

int auth_new_limits(const struct web_user *users, size_t n,
                    const struct auth_limits *limits, struct web_auth **out)
{
    struct web_auth *a = calloc(1, sizeof(*a));
    if (a == NULL)
        return -ENOMEM;
    a->limits =
        limits != NULL
            ? *limits
            : (struct auth_limits){.budget_us = AUTH_BCRYPT_BUDGET_US,
                                   .client_budget_us = AUTH_CLIENT_BUDGET_US};
    auth_budget_init(&a->budget, a->limits.budget_us,
                     a->limits.client_budget_us);
    int rc = 0, max_cost;
    if (n > 0 && (rc = copy_users(a, users, n, &max_cost)) == 0 &&
        (rc = make_dummy(max_cost, a->dummy)) == 0)
        rc = fill_random(a->key, sizeof(a->key));
    if (rc != 0) {
        auth_free(a);
        return rc;
    }
    *out = a;
    return 0;
}

int auth_new(const struct web_user *users, size_t n, struct web_auth **out)
{
    return auth_new_limits(users, n, NULL, out);
}

void auth_free(struct web_auth *a)
{
    if (a == NULL)
        return;
    for (size_t i = 0; i < a->n_users; i++)
        free(a->users[i].name);
    free(a->users);
    /* Nothing here is a password, but the key and digests together would
     * let one test guesses at HMAC speed instead of bcrypt's. */
    explicit_bzero(a, sizeof(*a));
    free(a);
}

/* --- the cache ------------------------------------------------------------ */

/* The digest of a user and password under a's key: the user's length
 * first, so that no two pairs run together into the same input. */
static void pair_digest(const struct web_auth *a, const struct auth_basic *c,
                        unsigned char out[DIGEST_BYTES])
{
    struct hmac_sha256_ctx ctx;
    hmac_sha256_set_key(&ctx, sizeof(a->key), a->key);
    uint64_t len = c->user_len;
    hmac_sha256_update(&ctx, sizeof(len), (const uint8_t *)&len);
    hmac_sha256_update(&ctx, c->user_len, (const uint8_t *)c->user);
    hmac_sha256_update(&ctx, c->password_len, (const uint8_t *)c->password);
    hmac_sha256_digest(&ctx, DIGEST_BYTES, out);
    explicit_bzero(&ctx, sizeof(ctx));
}

/* The entry of t (n of them) holding digest, or NULL. Every entry is
 * compared, in constant time. */
static struct cache_entry *cache_find(struct cache_entry *t, size_t n,
                                      const unsigned char *digest)
{
    struct cache_entry *found = NULL;
    for (size_t i = 0; i < n; i++)
        if (memeql_sec(t[i].digest, digest, DIGEST_BYTES) && t[i].used)
            found = &t[i];
    return found;
}

/* Puts digest in t (n entries) in place of a free or the least recently
 * used entry. */
static void cache_put(struct cache_entry *t, size_t n,
                      const unsigned char *digest, int32_t user, uint64_t tick)
{
    struct cache_entry *e = &t[0];
    for (size_t i = 0; i < n && e->used; i++)
        if (!t[i].used || t[i].tick < e->tick)
            e = &t[i];
    memcpy(e->digest, digest, DIGEST_BYTES);
    e->user = user;
    e->used = true;
    e->tick = tick;
}

/* --- checking ------------------------------------------------------------- */

/* The index of the user named in c, or UNKNOWN_USER; every name is
 * compared, so the time does not depend on which one matches. */
static int32_t find_user(const struct web_auth *a, const struct auth_basic *c)
{
    int32_t found = UNKNOWN_USER;
    for (size_t i = 0; i < a->n_users; i++) {
        const struct auth_user *u = &a->users[i];
        if (u->name_len == c->user_len &&
            memeql_sec(u->name, c->user, c->user_len))
            found = (int32_t)i;
    }
    return found;
}

static uint64_t monotonic_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * US_PER_SECOND +
           (uint64_t)ts.tv_nsec / NS_PER_US;
}

/* Runs bcrypt for password against user's hash (the dummy for
 * UNKNOWN_USER), charging the time to slot; whether it matched. */
static bool run_bcrypt(struct web_auth *a, int32_t user, const char *password,
                       int slot)
{
    const char *hash = user >= 0 ? a->users[user].hash : a->dummy;
    uint64_t start = monotonic_us();
    const char *got = crypt_rn(password, hash, &a->crypt, sizeof(a->crypt));
    /* The digest compared, in constant time, as Go's bcrypt compares it:
     * the prefix and salt are what crypt_rn was given, except that it
     * writes the salt's last character back without the four bits bcrypt
     * ignores, which a hash from elsewhere may have set. A run that failed
     * (NULL) matches nothing. */
    bool whole =
        got != NULL && strnlen(got, AUTH_HASH_BYTES + 1) == AUTH_HASH_BYTES;
    bool match =
        memeql_sec((whole ? got : a->dummy) + SETTING_BYTES,
                   hash + SETTING_BYTES, AUTH_HASH_BYTES - SETTING_BYTES);
    uint64_t took = monotonic_us() - start;
    explicit_bzero(a->crypt.output, sizeof(a->crypt.output));
    a->stats.bcrypt_runs++;
    a->stats.bcrypt_us += took;
    auth_budget_charge(&a->budget, slot,
                       a->limits.charge_us != 0 ? a->limits.charge_us : took);
    return whole && match && user >= 0;
}

/* The outcome for credentials c (parsed) with digest, from the cache or
 * from bcrypt. */
static enum auth_outcome settle(struct web_auth *a, const struct auth_basic *c,
                                const unsigned char *digest,
                                const struct sockaddr *client, uint64_t now_ms)
{
    int32_t user = find_user(a, c);
    enum auth_outcome wrong =
        user >= 0 ? AUTH_OUT_WRONG_PASSWORD : AUTH_OUT_UNKNOWN_USER;
    struct cache_entry *e = cache_find(a->ok, AUTH_CACHE_OK, digest);
    enum auth_outcome o = AUTH_OUT_OK;
    if (e == NULL && (e = cache_find(a->failed, AUTH_CACHE_FAILED, digest)))
        o = wrong;
    if (e != NULL) {
        e->tick = ++a->tick;
        a->stats.cache_hits++;
        return o;
    }
    int slot = auth_budget_admit(&a->budget, client, now_ms);
    if (slot == -EBUSY)
        return AUTH_OUT_THROTTLED;
    if (run_bcrypt(a, user, c->password, slot)) {
        cache_put(a->ok, AUTH_CACHE_OK, digest, user, ++a->tick);
        return AUTH_OUT_OK;
    }
    cache_put(a->failed, AUTH_CACHE_FAILED, digest, user, ++a->tick);
    return wrong;
}

static enum auth_outcome check(struct web_auth *a, const char *authorization,
                               const struct sockaddr *client, uint64_t now_ms)
{
    char buf[AUTH_MAX_HEADER_BYTES / 4 * 3 + 1];
    struct auth_basic c;
    int rc = auth_parse_basic(authorization, buf, sizeof(buf), &c);
    if (rc == -ENOENT)
        return AUTH_OUT_MISSING;
    if (rc != 0)
        return AUTH_OUT_MALFORMED;
    unsigned char digest[DIGEST_BYTES];
    pair_digest(a, &c, digest);
    enum auth_outcome o = settle(a, &c, digest, client, now_ms);
    explicit_bzero(buf, sizeof(buf));
    explicit_bzero(digest, sizeof(digest));
    return o;
}

enum auth_result auth_check_client(struct web_auth *a,
                                   const char *authorization,
                                   const struct sockaddr *client,
                                   uint64_t now_ms)
{
    if (a->n_users == 0)
        return AUTH_OK;
    enum auth_outcome o = check(a, authorization, client, now_ms);
    a->stats.checks[o]++;
    if (o == AUTH_OUT_OK)
        return AUTH_OK;
    return o == AUTH_OUT_THROTTLED ? AUTH_THROTTLED : AUTH_DENIED;
}

enum auth_result auth_check(struct web_auth *a, const char *authorization,
                            uint64_t now_ms)
{
    return auth_check_client(a, authorization, NULL, now_ms);
}

/* --- across a reload ------------------------------------------------------ */

/* The index in to of from's user i if its name and hash are the same
 * there, or UNKNOWN_USER. */
static int32_t same_user(const struct web_auth *to, const struct web_auth *from,
                         int32_t i)
{
    if (i < 0)
        return UNKNOWN_USER;
    const struct auth_user *u = &from->users[i];
    for (size_t j = 0; j < to->n_users; j++)
        if (strcmp(to->users[j].name, u->name) == 0 &&
            strcmp(to->users[j].hash, u->hash) == 0)
            return (int32_t)j;
    return UNKNOWN_USER;
}

/* Copies the entries of from's table (n) whose users are unchanged. */
static void carry_table(struct cache_entry *to_t, const struct web_auth *to,
                        const struct cache_entry *from_t,
                        const struct web_auth *from, size_t n)
{
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
        int32_t user = same_user(to, from, from_t[i].user);
        if (!from_t[i].used || user == UNKNOWN_USER)
            continue;
        to_t[k] = from_t[i];
        to_t[k++].user = user;
    }
}

void auth_carry(struct web_auth *to, const struct web_auth *from)
{
    to->stats = from->stats;
    to->tick = from->tick;
    to->budget.all = from->budget.all;
    to->budget.started = from->budget.started;
    memcpy(to->budget.clients, from->budget.clients,
           sizeof(to->budget.clients));
    if (to->n_users == 0 || from->n_users == 0)
        return;
    /* The digests were made under from's key. */
    memcpy(to->key, from->key, sizeof(to->key));
    memset(to->ok, 0, sizeof(to->ok));
    memset(to->failed, 0, sizeof(to->failed));
    carry_table(to->ok, to, from->ok, from, AUTH_CACHE_OK);
    carry_table(to->failed, to, from->failed, from, AUTH_CACHE_FAILED);
}

bool auth_admits_everyone(const struct web_auth *a)
{
    return a->n_users == 0;
}

void auth_get_stats(const struct web_auth *a, struct auth_stats *out)
{
    *out = a->stats;
}
