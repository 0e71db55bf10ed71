/*
 * The daemon's own log: one logfmt line per event on stderr, so journald,
 * `docker logs` and `kubectl logs` all capture it unchanged.
 *
 *   ts=2026-11-22T04:51:16.123Z level=warn msg="cannot open file" path=/x
 * err="Permission denied"
 *
 * log_* take a printf format for the msg text, which is quoted and
 * escaped; further key=value pairs, when a message has them, go in the
 * extra argument of log_write. Errors that can repeat per file or per
 * line go through a struct log_limit so a hostile input cannot flood the
 * log.
 */
#ifndef TOKENTAIL_LOG_H
#define TOKENTAIL_LOG_H

#include <stdbool.h>
#include <stdint.h>

enum log_level { LOG_DEBUG, LOG_INFO, LOG_WARN, LOG_ERROR };

/* Sets the minimum level written; messages below it are dropped. */
void log_set_level(enum log_level level);
enum log_level log_get_level(void);

/* Parses "debug", "info", "warn" or "error"; -1 when unknown. */
int log_level_parse(const char *s);

/*
 * Writes one line: msg is the quoted message text, extra (may be NULL) is
 * appended verbatim as further key=value pairs.
 */
void log_write(enum log_level level, const char *extra, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

#define log_debug(...) log_write(LOG_DEBUG, NULL, __VA_ARGS__)
#define log_info(...)  log_write(LOG_INFO, NULL, __VA_ARGS__)
#define log_warn(...)  log_write(LOG_WARN, NULL, __VA_ARGS__)
#define log_error(...) log_write(LOG_ERROR, NULL, __VA_ARGS__)

/*
 * A rate limiter for one source of repeated messages: at most
 * LOG_LIMIT_BURST lines per LOG_LIMIT_WINDOW_MS; the number suppressed is
 * reported with the first line of the next window.
 */
#define LOG_LIMIT_BURST     5
#define LOG_LIMIT_WINDOW_MS 60000 /* milliseconds */

struct log_limit {
    uint64_t window_start_ms;
    uint32_t count;
    uint32_t suppressed;
};

void log_limited(struct log_limit *lim, enum log_level level, const char *fmt,
                 ...) __attribute__((format(printf, 3, 4)));

/* Milliseconds of CLOCK_MONOTONIC, shared by the loop and the limiter. */
uint64_t log_now_ms(void);

#endif
