/*
 * The tokentail_http_auth_* families: the counts of auth_get_stats() of
 * the authenticator in force, read through the place the server keeps it.
 */
#include <stddef.h>

#include "auth.h"
#include "num.h"
#include "selfmetrics.h"

#define US_PER_SECOND 1000000

struct auth_figures {
    uint64_t checks[AUTH_OUTCOMES];
    uint64_t cache_hits;
    uint64_t bcrypt_runs;
    num_fixed bcrypt_seconds;
};

static const char *outcome_name(int o)
{
    return auth_outcome_name((enum auth_outcome)o);
}

static const char *read_figures(const void *ctx, size_t i, void *stats)
{
    const struct web_auth *a = *(struct web_auth *const *)ctx;
    (void)i;
    if (a == NULL || auth_admits_everyone(a))
        return NULL;
    struct auth_stats st;
    auth_get_stats(a, &st);
    struct auth_figures *f = stats;
    for (int o = 0; o < AUTH_OUTCOMES; o++)
        f->checks[o] = st.checks[o];
    f->cache_hits = st.cache_hits;
    f->bcrypt_runs = st.bcrypt_runs;
    f->bcrypt_seconds = (num_fixed)st.bcrypt_us * (NUM_ONE / US_PER_SECOND);
    return "";
}

/* The server's, not the configuration's: its counters outlive a reload. */
static const struct self_source source = {NULL, sizeof(struct auth_figures),
                                          NULL, read_figures, true};
static const struct self_reasons by_result = {"result", outcome_name, 0,
                                              AUTH_OUTCOMES};

static const struct self_row rows[] = {
    {.name = "tokentail_http_auth_checks_total",
     .type = METRIC_COUNTER,
     .help = "Requests checked for basic authentication, by result: ok, "
             "missing (no Authorization header), malformed, unknown_user, "
             "wrong_password, or throttled (bcrypt budget spent: 429).",
     .source = &source,
     SELF_BY(struct auth_figures, checks, &by_result)},
    {.name = "tokentail_http_auth_cache_hits_total",
     .type = METRIC_COUNTER,
     .help = "Basic authentication checks settled by the cache of recent "
             "results, without running bcrypt.",
     .source = &source,
     SELF_FIELD(struct auth_figures, cache_hits)},
    {.name = "tokentail_http_auth_bcrypt_runs_total",
     .type = METRIC_COUNTER,
     .help = "bcrypt computations for basic authentication, against a "
             "user's hash or the dummy one for unknown users.",
     .source = &source,
     SELF_FIELD(struct auth_figures, bcrypt_runs)},
    {.name = "tokentail_http_auth_bcrypt_seconds_total",
     .type = METRIC_COUNTER,
     .help = "Time spent in bcrypt for basic authentication.",
     .source = &source,
     SELF_FIELD(struct auth_figures, bcrypt_seconds)},
};

int auth_selfmetrics(struct web_auth *const *current, struct selfmetrics *sm)
{
    return selfmetrics_add(sm, rows, sizeof(rows) / sizeof(rows[0]), current);
}
