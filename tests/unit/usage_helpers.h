/*
 * Usage reports in unit tests: a ledger of three usage metrics in
 * Europe/Berlin (a counter with two labels and a max_series, a
 * histogram, a counter of lines with another label) fed a few lines
 * around a leap day, and requests parsed from a query string
 * ("metric=a&by=model").
 */
#ifndef TOKENTAIL_TEST_USAGE_HELPERS_H
#define TOKENTAIL_TEST_USAGE_HELPERS_H

#include "ledger_helpers.h"
#include "usage_query.h"

#define USAGE_YAML(zone, hourly)                                               \
    "inputs: [{name: app, paths: [/dev/null], time: ts}]\n"                    \
    "metrics:\n"                                                               \
    "  - {name: cost_total, type: counter, value: c,"                          \
    " labels: {model: m, user: u}, max_series: 4}\n"                           \
    "  - {name: latency_seconds, type: histogram, value: d, buckets: [1],"     \
    " labels: {model: m}}\n"                                                   \
    "  - {name: requests_total, type: counter, labels: {route: r}}\n"          \
    "usage:\n"                                                                 \
    "  metrics: [cost_total, latency_seconds, requests_total]\n"               \
    "  timezone: " zone "\n"                                                   \
    "  retention: 36600d\n"                                                    \
    "  hourly_retention: " hourly "\n"

/* 2024-03-01T12:00:00Z: "now" for the current periods. */
#define USAGE_NOW 1709294400

/* One line; d NULL for none. */
static inline void usage_line(struct lfix *f, const char *ts, const char *m,
                              const char *u, const char *c, const char *d,
                              const char *r)
{
    char line[512];
    int len = snprintf(line, sizeof(line),
                       "{\"ts\": \"%s\", \"m\": \"%s\", \"u\": \"%s\", "
                       "\"c\": %s, \"r\": \"%s\"%s%s}",
                       ts, m, u, c, r, d ? ", \"d\": " : "", d ? d : "");
    pipeline_line(f->p, 0, line, (size_t)len);
}

/* The lines the tests share: around 2024-02-29, a model name with a
 * comma and a quote. */
static inline void usage_feed(struct lfix *f)
{
    usage_line(f, "2024-02-29T10:00:00Z", "a", "x", "0.1", "0.5", "/v1");
    /* 00:30 on March 1st in Berlin. */
    usage_line(f, "2024-02-29T23:30:00Z", "a", "y", "0.2", "1.5", "/v1");
    usage_line(f, "2024-03-01T12:00:00Z", "b", "x", "1", NULL, "/v2");
    /* 23:59:59 on February 28th in Berlin. */
    usage_line(f, "2024-02-28T22:59:59Z", "q,\\\"z", "x", "2", "0.25", "/v1");
}

/* A query string split at '&' and '=' into params, in storage (at least
 * as long as q). Returns how many. */
static inline size_t usage_split(const char *q, char *storage,
                                 struct usage_param *p, size_t cap)
{
    size_t n = 0;
    strcpy(storage, q);
    for (char *s = storage, *next; *s && n < cap; s = next) {
        next = s + strcspn(s, "&");
        if (*next)
            *next++ = '\0';
        char *eq = strchr(s, '=');
        if (eq)
            *eq = '\0';
        p[n++] = (struct usage_param){s, eq ? eq + 1 : ""};
    }
    return n;
}

#endif
