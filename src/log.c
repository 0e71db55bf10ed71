#include "log.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

/* The one piece of process-wide state besides signals: the log threshold. */
static enum log_level log_threshold = LOG_INFO;

static const char *const log_names[] = {"debug", "info", "warn", "error"};

void log_set_level(enum log_level level)
{
    log_threshold = level;
}

enum log_level log_get_level(void)
{
    return log_threshold;
}

int log_level_parse(const char *s)
{
    for (int i = 0; i < 4; i++)
        if (strcmp(s, log_names[i]) == 0)
            return i;
    return -1;
}

uint64_t log_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* Quotes s for a logfmt value: backslash, quote and control bytes escaped. */
static void log_quote(char *out, size_t cap, const char *s)
{
    size_t o = 0;
    for (; *s && o + 5 < cap; s++) {
        unsigned char c = (unsigned char)*s;
        if (c == '"' || c == '\\') {
            out[o++] = '\\';
            out[o++] = (char)c;
        } else if (c == '\n') {
            out[o++] = '\\';
            out[o++] = 'n';
        } else if (c < 0x20 || c == 0x7f) {
            o += (size_t)snprintf(out + o, cap - o, "\\x%02x", c);
        } else {
            out[o++] = (char)c;
        }
    }
    out[o] = '\0';
}

static void log_vwrite(enum log_level level, const char *extra, const char *fmt,
                       va_list ap)
{
    char msg[1024], quoted[2048], stamp[40];
    struct timespec ts;
    struct tm tm;

    vsnprintf(msg, sizeof(msg), fmt, ap);
    log_quote(quoted, sizeof(quoted), msg);
    clock_gettime(CLOCK_REALTIME, &ts);
    gmtime_r(&ts.tv_sec, &tm);
    strftime(stamp, sizeof(stamp), "%Y-%m-%dT%H:%M:%S", &tm);
    fprintf(stderr, "ts=%s.%03ldZ level=%s msg=\"%s\"%s%s\n", stamp,
            ts.tv_nsec / 1000000, log_names[level], quoted, extra ? " " : "",
            extra ? extra : "");
}

void log_write(enum log_level level, const char *extra, const char *fmt, ...)
{
    if (level < log_threshold)
        return;
    va_list ap;
    va_start(ap, fmt);
    log_vwrite(level, extra, fmt, ap);
    va_end(ap);
}

void log_limited(struct log_limit *lim, enum log_level level, const char *fmt,
                 ...)
{
    uint64_t now = log_now_ms();
    char extra[64];

    if (level < log_threshold)
        return;
    if (lim->window_start_ms == 0 ||
        now - lim->window_start_ms >= LOG_LIMIT_WINDOW_MS) {
        lim->window_start_ms = now;
        lim->count = 0;
    }
    if (lim->count >= LOG_LIMIT_BURST) {
        lim->suppressed++;
        return;
    }
    lim->count++;
    extra[0] = '\0';
    if (lim->suppressed > 0) {
        snprintf(extra, sizeof(extra), "suppressed=%u", lim->suppressed);
        lim->suppressed = 0;
    }
    va_list ap;
    va_start(ap, fmt);
    log_vwrite(level, extra[0] ? extra : NULL, fmt, ap);
    va_end(ap);
}
