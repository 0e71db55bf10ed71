#include "health.h"

#include <string.h>
#include <time.h>

#include "envelope.h"

#ifndef TOKENTAIL_VERSION
#define TOKENTAIL_VERSION "unknown"
#endif

#define MS_PER_SECOND 1000

static void json_str(struct buf *b, const char *key, const char *value)
{
    buf_json_key(b, key);
    buf_json_string(b, value, strlen(value));
}

/* A UTC timestamp, or null for 0 (never). */
static void json_time(struct buf *b, const char *key, time_t t)
{
    buf_json_key(b, key);
    if (t == 0) {
        buf_puts(b, "null");
        return;
    }
    char stamp[32];
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(stamp, sizeof(stamp), "%Y-%m-%dT%H:%M:%SZ", &tm);
    buf_json_string(b, stamp, strlen(stamp));
}

/* Where the document is being written, and how many items the current
 * list has. */
struct health_walk {
    struct buf *out;
    size_t n;
};

static void health_file(void *ctx, const struct input_file_info *f)
{
    struct health_walk *w = ctx;
    struct buf *out = w->out;
    if (w->n++ > 0)
        buf_putc(out, ',');
    buf_putc(out, '{');
    json_str(out, "path", f->path);
    /* Everything before offset has been processed; pending bytes wait
     * for their newline. */
    buf_printf(out, ",\"offset\":%llu,\"pending\":%zu",
               (unsigned long long)f->offset, f->pending);
    if (f->has_size)
        buf_printf(out, ",\"size\":%llu,\"lag\":%llu",
                   (unsigned long long)f->size, (unsigned long long)f->lag);
    buf_putc(out, ',');
    json_time(out, "last_read", f->last_read);
    buf_printf(out, ",\"rotated\":%s", f->rotated ? "true" : "false");
    if (f->copy_of != NULL) {
        buf_putc(out, ',');
        json_str(out, "copy_of", f->copy_of);
    }
    if (f->undecided)
        buf_puts(out, ",\"undecided\":true");
    if (f->envelope != ENVELOPE_AUTO) {
        buf_putc(out, ',');
        json_str(out, "envelope", envelope_name(f->envelope));
    }
    buf_putc(out, '}');
}

static void health_error(void *ctx, const char *path, int err)
{
    struct health_walk *w = ctx;
    struct buf *out = w->out;
    if (w->n++ > 0)
        buf_putc(out, ',');
    buf_putc(out, '{');
    json_str(out, "path", path);
    buf_putc(out, ',');
    json_str(out, "error", strerror(err));
    buf_putc(out, '}');
}

static void write_state(const struct health_sources *src, struct buf *out)
{
    buf_puts(out, "\"state\":{");
    json_str(out, "file", src->state_path);
    buf_putc(out, ',');
    json_time(out, "last_checkpoint", src->state->last_time);
    buf_putc(out, ',');
    buf_json_key(out, "error");
    if (src->state_error[0] != '\0')
        buf_json_string(out, src->state_error, strlen(src->state_error));
    else
        buf_puts(out, "null");
    buf_putc(out, '}');
}

static void health_unmatched(void *ctx, const char *glob)
{
    struct health_walk *w = ctx;
    if (w->n++ > 0)
        buf_putc(w->out, ',');
    buf_json_string(w->out, glob, strlen(glob));
}

static void write_input(const struct input *in, const struct cfg_input *ci,
                        struct buf *out)
{
    struct health_walk w = {out, 0};
    buf_putc(out, '{');
    json_str(out, "name", input_name(in));
    buf_puts(out, ",\"paths\":[");
    for (size_t k = 0; k < ci->n_paths; k++) {
        if (k > 0)
            buf_putc(out, ',');
        buf_json_string(out, ci->paths[k], strlen(ci->paths[k]));
    }
    buf_puts(out, "],\"unmatched\":[");
    input_each_unmatched(in, health_unmatched, &w);
    buf_printf(out, "],\"lag\":%llu,\"files\":[",
               (unsigned long long)input_lag_bytes(in));
    w.n = 0;
    input_each_file(in, health_file, &w);
    buf_puts(out, "],\"errors\":[");
    w.n = 0;
    input_each_error(in, health_error, &w);
    buf_puts(out, "]}");
}

bool health_write(const struct health_sources *src, struct buf *out)
{
    bool healthy = src->state_error[0] == '\0';
    for (size_t i = 0; i < src->n_inputs; i++) {
        struct input_stats st;
        input_get_stats(src->inputs[i], &st);
        healthy &= st.path_errors == 0;
    }

    buf_putc(out, '{');
    json_str(out, "status", healthy ? "healthy" : "degraded");
    buf_putc(out, ',');
    json_str(out, "version", TOKENTAIL_VERSION);
    buf_printf(out, ",\"uptime_seconds\":%llu.%03llu,",
               (unsigned long long)(src->uptime_ms / MS_PER_SECOND),
               (unsigned long long)(src->uptime_ms % MS_PER_SECOND));
    if (src->config != NULL) {
        config_status_json(src->config, out);
        buf_putc(out, ',');
    }
    write_state(src, out);
    buf_puts(out, ",\"inputs\":[");
    for (size_t i = 0; i < src->n_inputs; i++) {
        if (i > 0)
            buf_putc(out, ',');
        write_input(src->inputs[i], &src->cfg->inputs[i], out);
    }
    buf_puts(out, "]}\n");
    return healthy;
}
