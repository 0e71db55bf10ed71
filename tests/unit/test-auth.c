/*
 * Basic authentication: bcrypt hashes of every accepted variant, the
 * Authorization header, the cache (a cached success admits only its own
 * password), the dummy hash of unknown users, the bcrypt budget with a
 * fixed charge per run, reloads and the self-metrics.
 *
 * The hashes are test vectors made by two bcrypt implementations other
 * than libcrypt, so that the check is not circular:
 *
 *   htpasswd -nbB -C 4 prometheus 's3cret:with:colons'    (apache2-utils)
 *   htpasswd -nbB -C 8 slow 'tortoise'
 *   htpasswd -nbB -C 4 long "$(printf '%072d' 0)tail"
 *   /usr/bin/python3 -c 'import bcrypt;                   (python3-bcrypt)
 *     print(bcrypt.hashpw(b"correct horse", bcrypt.gensalt(4)))
 *     print(bcrypt.hashpw("pässwörd".encode(),
 *                         bcrypt.gensalt(5, prefix=b"2a")))
 *     print(bcrypt.hashpw(b"", bcrypt.gensalt(4)))'
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <cmocka.h>

#include "auth.h"
#include "basic_reference.h"
#include "buf.h"
#include "expfmt.h"
#include "registry.h"
#include "selfmetrics.h"

/* The cost refused: bcrypt runs on the loop's thread. */
#define TOO_COSTLY                                                             \
    "the cost of a bcrypt hash must be 04 to 14 (a check at 15 holds the "     \
    "daemon over a second): hash the password again"

#define HASH_2Y "$2y$04$jKhKe.NyadFloVh4jTquleKRhsIOyHsoqknMHvj7IajNiG7kuW14W"
#define HASH_2B "$2b$04$GmtnJWxZGtyrnKwtjnVQ1ukGej7WSevP4L1lqsNvTWMDaBSL3Mw3y"
#define HASH_2A "$2a$05$LIg7I67KwNkN5OSPey0iO.OaYy2DvcTiMmLBGxw0UCUzACISfbTqu"
#define HASH_EMPTY                                                             \
    "$2b$04$4YwZwOpPzMsSqZGJGfuXvumsh/6KvBZ.RAqazF8ehFEqpDC7oL7SS"
#define HASH_LONG "$2y$04$j0GdCJ7P5PZI8Vy7YyWddePIjI3dWU8/lCU2YvUyP6ki7GI72TBEe"
#define HASH_SLOW "$2y$08$YoJBFQlfD.pF9rhEWZKo5erfnBcAWbE7fDgLz1ig6QCAk3k2ntwAG"

#define HEADER_BYTES  8192
#define MS_PER_SECOND 1000

static struct web_user users[] = {
    {"prometheus", HASH_2Y},
    {"alice", HASH_2B},
    {"bob", HASH_2A},
    {"empty", HASH_EMPTY},
};
#define N_USERS (sizeof(users) / sizeof(users[0]))

/* The header for user:password. */
static const char *basic(const char *user, const char *password)
{
    static char out[HEADER_BYTES];
    char plain[HEADER_BYTES / 2];
    int n = snprintf(plain, sizeof(plain), "%s:%s", user, password);
    assert_true(n > 0 && (size_t)n < sizeof(plain));
    return basic_reference(plain, (size_t)n, out);
}

/*
 * Limits no test but the budget's reaches: the default bound would
 * throttle a test that runs bcrypt at one fixed instant under valgrind,
 * where each run takes thirty times longer.
 */
static const struct auth_limits unbounded = {UINT32_MAX, UINT32_MAX, 1};

static struct web_auth *make(const struct auth_limits *limits)
{
    struct web_auth *a = NULL;
    assert_int_equal(auth_new_limits(users, N_USERS, limits, &a), 0);
    return a;
}

static struct auth_stats stats_of(const struct web_auth *a)
{
    struct auth_stats st;
    auth_get_stats(a, &st);
    return st;
}

/* --- hashes and users ----------------------------------------------------- */

static void test_hash_formats(void **state)
{
    (void)state;
    const char *why = NULL;
    assert_int_equal(auth_check_hash(HASH_2Y, &why), 0);
    assert_int_equal(auth_check_hash(HASH_2B, &why), 0);
    assert_int_equal(auth_check_hash(HASH_2A, &why), 0);
    const struct {
        const char *hash, *why;
    } bad[] = {
        {"", "not a bcrypt hash: it must start with $2a$, $2b$ or $2y$"},
        {"secret", "not a bcrypt hash: it must start with $2a$, $2b$ or $2y$"},
        {"$2x$04$jKhKe.NyadFloVh4jTquleKRhsIOyHsoqknMHvj7IajNiG7kuW14W",
         "not a bcrypt hash: it must start with $2a$, $2b$ or $2y$"},
        {"$1$abc$def", "not a bcrypt hash: it must start with $2a$, $2b$ or "
                       "$2y$"},
        {"$2b$4$jKhKe.NyadFloVh4jTquleKRhsIOyHsoqknMHvj7IajNiG7kuW14W",
         "a bcrypt hash has two digits of cost after $2b$"},
        {"$2b$03$jKhKe.NyadFloVh4jTquleKRhsIOyHsoqknMHvj7IajNiG7kuW14W",
         TOO_COSTLY},
        {"$2b$15$jKhKe.NyadFloVh4jTquleKRhsIOyHsoqknMHvj7IajNiG7kuW14W",
         TOO_COSTLY},
        {"$2b$31$jKhKe.NyadFloVh4jTquleKRhsIOyHsoqknMHvj7IajNiG7kuW14W",
         TOO_COSTLY},
        {"$2b$04$jKhKe.NyadFloVh4jTquleKRhsIOyHsoqknMHvj7IajNiG7kuW14",
         "a bcrypt hash has 53 characters after its cost"},
        {"$2b$04$jKhKe.NyadFloVh4jTquleKRhsIOyHsoqknMHvj7IajNiG7kuW14WW",
         "a bcrypt hash has 53 characters after its cost"},
        {"$2b$04$jKhKe.NyadFloVh4jTquleKRhsIOyHsoqknMHvj7IajNiG7kuW14=",
         "a bcrypt hash has only ./A-Za-z0-9 after its cost"},
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        why = NULL;
        assert_int_equal(auth_check_hash(bad[i].hash, &why), -EINVAL);
        assert_string_equal(why, bad[i].why);
    }
    /* The lowest and highest costs pass. */
    assert_int_equal(
        auth_check_hash(
            "$2b$14$jKhKe.NyadFloVh4jTquleKRhsIOyHsoqknMHvj7IajNiG7kuW14W",
            &why),
        0);
}

static void test_user_names(void **state)
{
    (void)state;
    const char *why = NULL;
    assert_int_equal(auth_check_user("prometheus", &why), 0);
    assert_int_equal(auth_check_user("ü-ser.1", &why), 0);
    assert_int_equal(auth_check_user("", &why), -EINVAL);
    assert_string_equal(why, "a user name cannot be empty");
    assert_int_equal(auth_check_user("a:b", &why), -EINVAL);
    assert_string_equal(why, "a user name cannot hold ':' (it ends the user "
                             "in the Authorization header)");
    assert_int_equal(auth_check_user("a\tb", &why), -EINVAL);
    assert_string_equal(why, "a user name cannot hold control characters");

    struct web_auth *a = NULL;
    struct web_user bad_user[] = {{"a:b", HASH_2B}};
    assert_int_equal(auth_new(bad_user, 1, &a), -EINVAL);
    struct web_user bad_hash[] = {{"ok", "plain"}};
    assert_int_equal(auth_new(bad_hash, 1, &a), -EINVAL);
    assert_null(a);
    auth_free(NULL);
}

/* --- the header ----------------------------------------------------------- */

static void test_parse_basic(void **state)
{
    (void)state;
    char buf[256];
    struct auth_basic c;
    assert_int_equal(auth_parse_basic(basic("prometheus", "s3cret:with:colons"),
                                      buf, sizeof(buf), &c),
                     0);
    assert_string_equal(c.user, "prometheus");
    assert_int_equal(c.user_len, 10);
    assert_string_equal(c.password, "s3cret:with:colons");
    assert_int_equal(c.password_len, 18);

    /* The scheme in any case, spaces around the token. */
    assert_int_equal(auth_parse_basic("bAsIc   YTpi  ", buf, sizeof(buf), &c),
                     0);
    assert_string_equal(c.user, "a");
    assert_string_equal(c.password, "b");
    /* One and two bytes of padding; an empty password. */
    assert_int_equal(auth_parse_basic("Basic YWI6Yw==", buf, sizeof(buf), &c),
                     0);
    assert_string_equal(c.password, "c");
    assert_int_equal(auth_parse_basic("Basic YWI6Y2Q=", buf, sizeof(buf), &c),
                     0);
    assert_string_equal(c.password, "cd");
    assert_int_equal(auth_parse_basic("Basic YTo=", buf, sizeof(buf), &c), 0);
    assert_int_equal(c.password_len, 0);

    assert_int_equal(auth_parse_basic(NULL, buf, sizeof(buf), &c), -ENOENT);
    const char *bad[] = {
        "",
        "Basic",
        "Basic ",
        "BasicYTpi",
        "Bearer YTpi",
        "Digest username=\"a\"",
        "Basic YTpi!",
        "Basic YTp",      /* not a whole group */
        "Basic YTpiYw",   /* unpadded */
        "Basic YT=i",     /* padding inside */
        "Basic YQ==YTpi", /* padding before the end */
        "Basic Y===",
        "Basic YWJj",     /* "abc": no colon */
        "Basic OmI=",     /* ":b": an empty user */
        "Basic YQA6Yg==", /* "a\0:b" */
        "Basic YTpiAGM=", /* "a:b\0c" */
        "Basic YTpi YTpi",
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        if (auth_parse_basic(bad[i], buf, sizeof(buf), &c) != -EINVAL)
            fail_msg("accepted %s", bad[i]);
    /* Too long for the buffer, and too long at all. */
    char big[64];
    assert_int_equal(
        auth_parse_basic(basic("user", "0123456789012345678901"), big, 24, &c),
        -EINVAL);
    char *huge = malloc(AUTH_MAX_HEADER_BYTES + 16);
    assert_non_null(huge);
    memcpy(huge, "Basic ", 6);
    memset(huge + 6, 'A', AUTH_MAX_HEADER_BYTES + 4);
    huge[AUTH_MAX_HEADER_BYTES + 10] = '\0';
    char *out = malloc(AUTH_MAX_HEADER_BYTES);
    assert_non_null(out);
    assert_int_equal(auth_parse_basic(huge, out, AUTH_MAX_HEADER_BYTES, &c),
                     -EINVAL);
    free(out);
    free(huge);
}

/* --- checks --------------------------------------------------------------- */

static void test_each_variant(void **state)
{
    (void)state;
    struct web_auth *a = make(&unbounded);
    /* $2y$ (htpasswd), $2b$ and $2a$ (python3-bcrypt), an empty password. */
    assert_int_equal(
        auth_check(a, basic("prometheus", "s3cret:with:colons"), 0), AUTH_OK);
    assert_int_equal(auth_check(a, basic("alice", "correct horse"), 0),
                     AUTH_OK);
    assert_int_equal(auth_check(a, basic("bob", "pässwörd"), 0), AUTH_OK);
    assert_int_equal(auth_check(a, basic("empty", ""), 0), AUTH_OK);
    /* Near misses. */
    assert_int_equal(auth_check(a, basic("prometheus", "s3cret"), 0),
                     AUTH_DENIED);
    assert_int_equal(auth_check(a, basic("alice", "correct horse "), 0),
                     AUTH_DENIED);
    assert_int_equal(auth_check(a, basic("alice", "Correct horse"), 0),
                     AUTH_DENIED);
    assert_int_equal(auth_check(a, basic("bob", "passwort"), 0), AUTH_DENIED);
    assert_int_equal(auth_check(a, basic("empty", " "), 0), AUTH_DENIED);
    /* A user's password under another name. */
    assert_int_equal(auth_check(a, basic("Alice", "correct horse"), 0),
                     AUTH_DENIED);
    assert_int_equal(auth_check(a, basic("bob", "correct horse"), 0),
                     AUTH_DENIED);
    struct auth_stats st = stats_of(a);
    assert_int_equal(st.checks[AUTH_OUT_OK], 4);
    assert_int_equal(st.checks[AUTH_OUT_WRONG_PASSWORD], 6);
    assert_int_equal(st.checks[AUTH_OUT_UNKNOWN_USER], 1);
    assert_int_equal(st.bcrypt_runs, 11);
    assert_int_equal(st.cache_hits, 0);
    assert_true(st.bcrypt_us > 0);
    auth_free(a);
}

/*
 * HASH_2B with the salt's last character 'u' written 'v': the two differ
 * only in the four bits bcrypt does not use, so Go's bcrypt (and with it
 * exporter-toolkit) admits the password; crypt_rn writes the salt back
 * as 'u', which must not make it a mismatch.
 */
static void test_salt_spelled_otherwise(void **state)
{
    (void)state;
    const struct web_user loose[] = {
        {"alice",
         "$2b$04$GmtnJWxZGtyrnKwtjnVQ1vkGej7WSevP4L1lqsNvTWMDaBSL3Mw3y"},
    };
    struct web_auth *a = NULL;
    assert_int_equal(auth_new_limits(loose, 1, &unbounded, &a), 0);
    assert_int_equal(auth_check(a, basic("alice", "correct horse"), 0),
                     AUTH_OK);
    assert_int_equal(auth_check(a, basic("alice", "correct horse "), 0),
                     AUTH_DENIED);
    assert_int_equal(stats_of(a).bcrypt_runs, 2);
    auth_free(a);
}

static void test_malformed_and_missing(void **state)
{
    (void)state;
    struct web_auth *a = make(&unbounded);
    assert_int_equal(auth_check(a, NULL, 0), AUTH_DENIED);
    assert_int_equal(auth_check(a, "Bearer abc", 0), AUTH_DENIED);
    assert_int_equal(auth_check(a, "Basic !!!!", 0), AUTH_DENIED);
    assert_int_equal(auth_check(a, "Basic YWJj", 0), AUTH_DENIED);
    assert_int_equal(auth_check(a, "Basic OmI=", 0), AUTH_DENIED);
    struct auth_stats st = stats_of(a);
    assert_int_equal(st.checks[AUTH_OUT_MISSING], 1);
    assert_int_equal(st.checks[AUTH_OUT_MALFORMED], 4);
    assert_int_equal(st.bcrypt_runs, 0);
    auth_free(a);

    /* Without users every request passes, and nothing is counted. */
    assert_int_equal(auth_new(NULL, 0, &a), 0);
    assert_true(auth_admits_everyone(a));
    assert_int_equal(auth_check(a, NULL, 0), AUTH_OK);
    assert_int_equal(auth_check(a, "Basic !!!!", 0), AUTH_OK);
    assert_int_equal(stats_of(a).checks[AUTH_OUT_OK], 0);
    auth_free(a);
}

/* A cached success admits its own password only (CVE-2022-46146 cached by
 * the user's hash and let any password through after one success). */
static void test_cache_keeps_the_password(void **state)
{
    (void)state;
    struct web_auth *a = make(&unbounded);
    const char *right = basic("alice", "correct horse");
    char saved[256];
    snprintf(saved, sizeof(saved), "%s", right);
    assert_int_equal(auth_check(a, saved, 0), AUTH_OK);
    assert_int_equal(auth_check(a, saved, 1), AUTH_OK);
    struct auth_stats st = stats_of(a);
    assert_int_equal(st.bcrypt_runs, 1);
    assert_int_equal(st.cache_hits, 1);

    /* Another password for the cached user: bcrypt runs and refuses. */
    assert_int_equal(auth_check(a, basic("alice", "incorrect horse"), 2),
                     AUTH_DENIED);
    st = stats_of(a);
    assert_int_equal(st.bcrypt_runs, 2);
    assert_int_equal(st.cache_hits, 1);
    /* Sent again, the cached failure refuses it without bcrypt ... */
    assert_int_equal(auth_check(a, basic("alice", "incorrect horse"), 3),
                     AUTH_DENIED);
    st = stats_of(a);
    assert_int_equal(st.bcrypt_runs, 2);
    assert_int_equal(st.cache_hits, 2);
    assert_int_equal(st.checks[AUTH_OUT_WRONG_PASSWORD], 2);
    /* ... and the right one still passes. */
    assert_int_equal(auth_check(a, saved, 4), AUTH_OK);
    /* The cached pair does not carry over to another user. */
    assert_int_equal(auth_check(a, basic("bob", "correct horse"), 5),
                     AUTH_DENIED);
    /* A cached failure does not shadow the right password either. */
    assert_int_equal(auth_check(a, basic("bob", "pässwörd"), 6), AUTH_OK);
    st = stats_of(a);
    assert_int_equal(st.checks[AUTH_OUT_OK], 4);
    assert_int_equal(st.bcrypt_runs, 4);
    auth_free(a);
}

/* More wrong passwords than the failure cache holds do not push a success
 * out. */
static void test_failures_never_evict_successes(void **state)
{
    (void)state;
    struct web_auth *a = make(&unbounded);
    char right[256];
    snprintf(right, sizeof(right), "%s", basic("alice", "correct horse"));
    assert_int_equal(auth_check(a, right, 0), AUTH_OK);
    for (int i = 0; i < AUTH_CACHE_FAILED + 8; i++) {
        char pw[32];
        snprintf(pw, sizeof(pw), "guess %d", i);
        assert_int_equal(
            auth_check(a, basic(i % 2 ? "alice" : "mallory", pw), (uint64_t)i),
            AUTH_DENIED);
    }
    struct auth_stats st = stats_of(a);
    assert_int_equal(st.bcrypt_runs, 1 + AUTH_CACHE_FAILED + 8);
    assert_int_equal(st.checks[AUTH_OUT_UNKNOWN_USER],
                     AUTH_CACHE_FAILED / 2 + 4);
    assert_int_equal(auth_check(a, right, 1000), AUTH_OK);
    assert_int_equal(stats_of(a).cache_hits, 1);
    /* The newest failure is still cached, the oldest forgotten. */
    assert_int_equal(auth_check(a, basic("alice", "guess 263"), 1000),
                     AUTH_DENIED);
    assert_int_equal(stats_of(a).cache_hits, 2);
    assert_int_equal(auth_check(a, basic("mallory", "guess 0"), 1000),
                     AUTH_DENIED);
    assert_int_equal(stats_of(a).bcrypt_runs, 2 + AUTH_CACHE_FAILED + 8);
    auth_free(a);
}

/* --- the budget ----------------------------------------------------------- */

static const char *guess(int i)
{
    static char pw[32];
    snprintf(pw, sizeof(pw), "guess %d", i);
    return basic("alice", pw);
}

/* 200 ms a second for all, 50 ms charged per run: four runs a second. */
static void test_budget(void **state)
{
    (void)state;
    struct auth_limits limits = {200000, 200000, 50000};
    struct web_auth *a = make(&limits);
    char right[256];
    snprintf(right, sizeof(right), "%s", basic("alice", "correct horse"));
    uint64_t t = 5000; /* any start: the first check finds a full budget */
    assert_int_equal(auth_check(a, right, t), AUTH_OK);
    for (int i = 0; i < 3; i++)
        assert_int_equal(auth_check(a, guess(i), t), AUTH_DENIED);
    assert_int_equal(auth_check(a, guess(3), t), AUTH_THROTTLED);
    /* Whether the user exists does not change the answer. */
    assert_int_equal(auth_check(a, basic("mallory", "x"), t), AUTH_THROTTLED);
    /* What the cache settles is never throttled: the valid client keeps
     * scraping, a repeated guess is refused as before. */
    assert_int_equal(auth_check(a, right, t), AUTH_OK);
    assert_int_equal(auth_check(a, guess(0), t), AUTH_DENIED);
    /* Half a second refills half: two more runs. */
    t += 500;
    assert_int_equal(auth_check(a, guess(3), t), AUTH_DENIED);
    assert_int_equal(auth_check(a, guess(4), t), AUTH_DENIED);
    assert_int_equal(auth_check(a, guess(5), t), AUTH_THROTTLED);
    /* A second later the budget is full again, but no fuller. */
    t += 10 * MS_PER_SECOND;
    for (int i = 5; i < 9; i++)
        assert_int_equal(auth_check(a, guess(i), t), AUTH_DENIED);
    assert_int_equal(auth_check(a, guess(9), t), AUTH_THROTTLED);
    struct auth_stats st = stats_of(a);
    assert_int_equal(st.checks[AUTH_OUT_OK], 2);
    assert_int_equal(st.checks[AUTH_OUT_WRONG_PASSWORD], 10);
    assert_int_equal(st.checks[AUTH_OUT_THROTTLED], 4);
    assert_int_equal(st.bcrypt_runs, 10);
    assert_int_equal(st.cache_hits, 2);
    auth_free(a);
}

/* A run that costs more than a second's budget is paid back first. */
static void test_budget_debt(void **state)
{
    (void)state;
    struct auth_limits limits = {200000, 200000, 500000};
    struct web_auth *a = make(&limits);
    assert_int_equal(auth_check(a, guess(0), 0), AUTH_DENIED);
    assert_int_equal(auth_check(a, guess(1), 1000), AUTH_THROTTLED);
    assert_int_equal(auth_check(a, guess(1), 1499), AUTH_THROTTLED);
    assert_int_equal(auth_check(a, guess(1), 1500), AUTH_THROTTLED);
    assert_int_equal(auth_check(a, guess(1), 1501), AUTH_DENIED);
    auth_free(a);
}

static struct sockaddr_storage address(const char *text)
{
    struct sockaddr_storage ss;
    memset(&ss, 0, sizeof(ss));
    struct sockaddr_in *v4 = (struct sockaddr_in *)&ss;
    struct sockaddr_in6 *v6 = (struct sockaddr_in6 *)&ss;
    if (inet_pton(AF_INET, text, &v4->sin_addr) == 1) {
        v4->sin_family = AF_INET;
        return ss;
    }
    assert_int_equal(inet_pton(AF_INET6, text, &v6->sin6_addr), 1);
    v6->sin6_family = AF_INET6;
    return ss;
}

static enum auth_result from(struct web_auth *a, const char *header,
                             const char *client, uint64_t now_ms)
{
    struct sockaddr_storage ss = address(client);
    return auth_check_client(a, header, (struct sockaddr *)&ss, now_ms);
}

/* One address spends at most its share; a valid client elsewhere gets its
 * first check from the rest. */
static void test_client_share(void **state)
{
    (void)state;
    struct auth_limits limits = {400000, 100000, 50000};
    struct web_auth *a = make(&limits);
    assert_int_equal(from(a, guess(0), "127.0.0.2", 0), AUTH_DENIED);
    assert_int_equal(from(a, guess(1), "127.0.0.2", 0), AUTH_DENIED);
    assert_int_equal(from(a, guess(2), "127.0.0.2", 0), AUTH_THROTTLED);
    /* The same address mapped into IPv6 is the same client. */
    assert_int_equal(from(a, guess(2), "::ffff:127.0.0.2", 0), AUTH_THROTTLED);
    assert_int_equal(from(a, basic("alice", "correct horse"), "127.0.0.1", 0),
                     AUTH_OK);
    /* An IPv6 /64 is one client. */
    assert_int_equal(from(a, guess(3), "fd00::1", 0), AUTH_DENIED);
    assert_int_equal(from(a, guess(4), "fd00::2", 0), AUTH_DENIED);
    assert_int_equal(from(a, guess(5), "fd00::3", 0), AUTH_THROTTLED);
    /* Other /64s share what is left for all, then nobody runs bcrypt. */
    assert_int_equal(from(a, guess(5), "fd00:0:0:1::1", 0), AUTH_DENIED);
    assert_int_equal(from(a, guess(6), "fd00:0:0:2::1", 0), AUTH_DENIED);
    assert_int_equal(from(a, guess(7), "fd00:0:0:3::1", 0), AUTH_DENIED);
    assert_int_equal(from(a, guess(8), "fd00:0:0:4::1", 0), AUTH_THROTTLED);
    assert_int_equal(auth_check(a, guess(8), 0), AUTH_THROTTLED);
    /* A second later everyone has a share again. */
    assert_int_equal(from(a, guess(8), "127.0.0.2", 1000), AUTH_DENIED);
    assert_int_equal(from(a, guess(9), "fd00::3", 1000), AUTH_DENIED);

    /* More addresses than are remembered: each gets a share, the budget
     * for all bounds them together. */
    for (int i = 0; i < AUTH_CLIENTS + 8; i++) {
        char ip[32];
        snprintf(ip, sizeof(ip), "10.0.%d.%d", i / 250, i % 250 + 1);
        enum auth_result r = from(a, guess(100 + i), ip, 5000);
        assert_int_equal(r, i < 8 ? AUTH_DENIED : AUTH_THROTTLED);
    }
    auth_free(a);
}

/* --- reloads -------------------------------------------------------------- */

static void test_carry(void **state)
{
    (void)state;
    struct web_auth *old = make(&unbounded);
    char alice[256], bob[256];
    snprintf(alice, sizeof(alice), "%s", basic("alice", "correct horse"));
    snprintf(bob, sizeof(bob), "%s", basic("bob", "pässwörd"));
    assert_int_equal(auth_check(old, alice, 0), AUTH_OK);
    assert_int_equal(auth_check(old, bob, 0), AUTH_OK);
    assert_int_equal(auth_check(old, basic("alice", "nope"), 0), AUTH_DENIED);
    assert_int_equal(auth_check(old, basic("carol", "nope"), 0), AUTH_DENIED);

    /* alice unchanged, bob with a new hash, carol added: only alice's
     * results carry over. */
    struct web_user next[] = {
        {"alice", HASH_2B},
        {"bob", HASH_EMPTY},
        {"carol", HASH_2Y},
    };
    struct web_auth *a = NULL;
    assert_int_equal(auth_new_limits(next, 3, &unbounded, &a), 0);
    auth_carry(a, old);
    auth_free(old);
    struct auth_stats st = stats_of(a);
    assert_int_equal(st.bcrypt_runs, 4);
    assert_int_equal(st.checks[AUTH_OUT_OK], 2);
    assert_int_equal(auth_check(a, alice, 1), AUTH_OK);
    assert_int_equal(auth_check(a, basic("alice", "nope"), 1), AUTH_DENIED);
    st = stats_of(a);
    assert_int_equal(st.bcrypt_runs, 4);
    assert_int_equal(st.cache_hits, 2);
    /* bob's old password is checked against the new hash. */
    assert_int_equal(auth_check(a, bob, 1), AUTH_DENIED);
    assert_int_equal(auth_check(a, basic("bob", ""), 1), AUTH_OK);
    /* carol's password is checked now that she exists. */
    assert_int_equal(auth_check(a, basic("carol", "s3cret:with:colons"), 1),
                     AUTH_OK);
    assert_int_equal(stats_of(a).bcrypt_runs, 7);
    auth_free(a);
}

/* bcrypt reads the first 72 bytes of a password; the cache does not
 * change that, whichever of two passwords equal that far comes first. */
static void test_only_72_bytes_count(void **state)
{
    (void)state;
    struct web_user long_user[] = {{"long", HASH_LONG}};
    struct web_auth *a = NULL;
    assert_int_equal(auth_new_limits(long_user, 1, &unbounded, &a), 0);
    char pw[128];
    memset(pw, '0', 72);
    snprintf(pw + 72, sizeof(pw) - 72, "tail");
    assert_int_equal(auth_check(a, basic("long", pw), 0), AUTH_OK);
    snprintf(pw + 72, sizeof(pw) - 72, "other");
    assert_int_equal(auth_check(a, basic("long", pw), 0), AUTH_OK);
    pw[72] = '\0';
    assert_int_equal(auth_check(a, basic("long", pw), 0), AUTH_OK);
    pw[71] = '\0';
    assert_int_equal(auth_check(a, basic("long", pw), 0), AUTH_DENIED);
    assert_int_equal(stats_of(a).bcrypt_runs, 4);
    auth_free(a);
}

/* --- timing --------------------------------------------------------------- */

static double seconds_of(struct web_auth *a, const char *header)
{
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    assert_int_equal(auth_check(a, header, 0), AUTH_DENIED);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    return (double)(t1.tv_sec - t0.tv_sec) + (t1.tv_nsec - t0.tv_nsec) / 1e9;
}

/*
 * An unknown user costs a bcrypt run of the highest cost configured, as a
 * known one does: compared coarsely (within a factor of two on the
 * fastest of three runs each), so that load on the machine cannot make
 * it fail, while a skipped run (hundreds of times faster) would.
 */
static void test_unknown_user_takes_as_long(void **state)
{
    (void)state;
    struct web_user slow[] = {{"alice", HASH_2B}, {"slow", HASH_SLOW}};
    struct web_auth *a = NULL;
    assert_int_equal(auth_new_limits(slow, 2, &unbounded, &a), 0);
    double known = 1e9, unknown = 1e9;
    for (int i = 0; i < 3; i++) {
        char pw[32];
        snprintf(pw, sizeof(pw), "wrong %d", i);
        double k = seconds_of(a, basic("slow", pw));
        double u = seconds_of(a, basic("nobody", pw));
        known = k < known ? k : known;
        unknown = u < unknown ? u : unknown;
    }
    print_message("cost 8: known user %.1f ms, unknown user %.1f ms\n",
                  known * 1e3, unknown * 1e3);
    assert_true(unknown > known / 2 && unknown < known * 2);
    assert_int_equal(stats_of(a).checks[AUTH_OUT_UNKNOWN_USER], 3);
    auth_free(a);
}

/* --- self-metrics --------------------------------------------------------- */

static void test_selfmetrics(void **state)
{
    (void)state;
    struct registry *reg = NULL;
    struct selfmetrics *sm = NULL;
    struct web_auth *current = NULL;
    assert_int_equal(registry_new(&reg), 0);
    assert_int_equal(selfmetrics_new(reg, &sm), 0);
    assert_int_equal(auth_selfmetrics(&current, sm), 0);

    struct auth_limits limits = {200000, 200000, 100000};
    current = make(&limits);
    char right[256];
    snprintf(right, sizeof(right), "%s", basic("alice", "correct horse"));
    assert_int_equal(auth_check(current, right, 0), AUTH_OK);
    assert_int_equal(auth_check(current, right, 0), AUTH_OK);
    assert_int_equal(auth_check(current, basic("mallory", "x"), 0),
                     AUTH_DENIED);
    assert_int_equal(auth_check(current, basic("mallory", "y"), 0),
                     AUTH_THROTTLED);
    assert_int_equal(auth_check(current, NULL, 0), AUTH_DENIED);
    selfmetrics_collect(sm, &(struct self_sources){0});

    struct buf out = {0};
    expfmt_write(reg, &out);
    const char *expected[] = {
        "tokentail_http_auth_checks_total{result=\"ok\"} 2\n",
        "tokentail_http_auth_checks_total{result=\"missing\"} 1\n",
        "tokentail_http_auth_checks_total{result=\"malformed\"} 0\n",
        "tokentail_http_auth_checks_total{result=\"unknown_user\"} 1\n",
        "tokentail_http_auth_checks_total{result=\"wrong_password\"} 0\n",
        "tokentail_http_auth_checks_total{result=\"throttled\"} 1\n",
        "tokentail_http_auth_cache_hits_total 1\n",
        "tokentail_http_auth_bcrypt_runs_total 2\n",
        "# TYPE tokentail_http_auth_bcrypt_seconds_total counter\n",
    };
    for (size_t i = 0; i < sizeof(expected) / sizeof(expected[0]); i++)
        if (strstr(out.data, expected[i]) == NULL)
            fail_msg("no %s in\n%s", expected[i], out.data);
    buf_free(&out);
    auth_free(current);
    current = NULL;
    selfmetrics_free(sm);
    registry_free(reg);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_hash_formats),
        cmocka_unit_test(test_user_names),
        cmocka_unit_test(test_parse_basic),
        cmocka_unit_test(test_each_variant),
        cmocka_unit_test(test_salt_spelled_otherwise),
        cmocka_unit_test(test_malformed_and_missing),
        cmocka_unit_test(test_cache_keeps_the_password),
        cmocka_unit_test(test_failures_never_evict_successes),
        cmocka_unit_test(test_budget),
        cmocka_unit_test(test_budget_debt),
        cmocka_unit_test(test_client_share),
        cmocka_unit_test(test_carry),
        cmocka_unit_test(test_only_72_bytes_count),
        cmocka_unit_test(test_unknown_user_takes_as_long),
        cmocka_unit_test(test_selfmetrics),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
