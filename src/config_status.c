#include "config_status.h"

#include <errno.h>
#include <fcntl.h>
#include <nettle/sha2.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define MS_PER_SECOND   1000
#define HASH_READ_BYTES 65536 /* read at a time while hashing */

int config_status_hash(const char *path, char out[CONFIG_STATUS_HASH_HEX + 1])
{
    uint8_t digest[SHA256_DIGEST_SIZE];
    static const char hex[] = "0123456789abcdef";
    char chunk[HASH_READ_BYTES];
    struct sha256_ctx ctx;
    ssize_t n;
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return -errno;
    sha256_init(&ctx);
    while ((n = read(fd, chunk, sizeof(chunk))) != 0) {
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            int rc = -errno;
            close(fd);
            return rc;
        }
        sha256_update(&ctx, (size_t)n, (const uint8_t *)chunk);
    }
    close(fd);
    sha256_digest(&ctx, sizeof(digest), digest);
    for (size_t i = 0; i < sizeof(digest); i++) {
        out[2 * i] = hex[digest[i] >> 4];
        out[2 * i + 1] = hex[digest[i] & 0xf];
    }
    out[CONFIG_STATUS_HASH_HEX] = '\0';
    return 0;
}

void config_status_failed(struct config_status *st, const struct buf *errors,
                          size_t from)
{
    size_t n = 0;
    for (size_t i = from; i < errors->len; i++)
        n += errors->data[i] == '\n';
    st->last_ok = false;
    st->last_errors = n > 0 ? n : 1;
}

int config_status_load(struct config_status *st, const char *path,
                       struct config **out,
                       char sha256[CONFIG_STATUS_HASH_HEX + 1],
                       struct buf *errors)
{
    size_t from = errors->len;
    st->reloads++;
    /* Hashed first: a file changed while it loads shows a hash that
     * differs from the next reload's, never the new one on old content. */
    if (config_status_hash(path, sha256) != 0)
        sha256[0] = '\0';
    if (config_load(path, out, errors) != 0) {
        config_status_failed(st, errors, from);
        return -1;
    }
    return 0;
}

void config_status_in_force(struct config_status *st,
                            const char sha256[CONFIG_STATUS_HASH_HEX + 1],
                            int64_t now_ms)
{
    memcpy(st->sha256, sha256, sizeof(st->sha256));
    st->loaded_ms = now_ms;
    st->last_ok = true;
    st->last_errors = 0;
}

int config_status_start(struct config_status *st, const char *path,
                        int64_t now_ms)
{
    char sha[CONFIG_STATUS_HASH_HEX + 1];
    char *copy = strdup(path);
    if (copy == NULL)
        return -ENOMEM;
    free(st->path);
    st->path = copy;
    if (config_status_hash(path, sha) != 0)
        sha[0] = '\0';
    config_status_in_force(st, sha, now_ms);
    return 0;
}

void config_status_json(const struct config_status *st, struct buf *out)
{
    char stamp[32];
    struct tm tm;
    time_t t = (time_t)(st->loaded_ms / MS_PER_SECOND);
    gmtime_r(&t, &tm);
    strftime(stamp, sizeof(stamp), "%Y-%m-%dT%H:%M:%SZ", &tm);

    buf_json_key(out, "config");
    buf_putc(out, '{');
    buf_json_key(out, "file");
    buf_json_string(out, st->path ? st->path : "",
                    st->path ? strlen(st->path) : 0);
    buf_putc(out, ',');
    buf_json_key(out, "sha256");
    buf_json_string(out, st->sha256, strlen(st->sha256));
    buf_putc(out, ',');
    buf_json_key(out, "loaded_at");
    buf_json_string(out, stamp, strlen(stamp));
    buf_printf(out,
               ",\"loaded_at_unix\":%lld,\"reloads\":%llu,"
               "\"last_reload_successful\":%s,\"last_reload_errors\":%zu}",
               (long long)t, (unsigned long long)st->reloads,
               st->last_ok ? "true" : "false", st->last_errors);
}

/* --- self-metrics --------------------------------------------------------- */

struct status_figures {
    uint64_t successful;
    num_fixed success_seconds;
};

static const char *read_status(const void *ctx, size_t i, void *stats)
{
    const struct config_status *st = ctx;
    struct status_figures *f = stats;
    (void)i;
    f->successful = st->last_ok;
    f->success_seconds =
        (num_fixed)(st->loaded_ms / MS_PER_SECOND) * NUM_ONE +
        (num_fixed)(st->loaded_ms % MS_PER_SECOND) * (NUM_ONE / MS_PER_SECOND);
    return "";
}

static const struct self_source status_source = {
    NULL, sizeof(struct status_figures), NULL, read_status, true};

static const struct self_row status_rows[] = {
    {.name = "tokentail_config_last_reload_successful",
     .type = METRIC_GAUGE,
     .help = "Whether the last configuration load, at start-up or reload, "
             "succeeded.",
     .source = &status_source,
     SELF_FIELD(struct status_figures, successful)},
    {.name = "tokentail_config_last_reload_success_timestamp_seconds",
     .type = METRIC_GAUGE,
     .help = "Timestamp of the last successful configuration load.",
     .source = &status_source,
     SELF_FIELD(struct status_figures, success_seconds)},
};

int config_status_selfmetrics(const struct config_status *st,
                              struct selfmetrics *sm)
{
    return selfmetrics_add(sm, status_rows,
                           sizeof(status_rows) / sizeof(status_rows[0]), st);
}

void config_status_free(struct config_status *st)
{
    free(st->path);
    st->path = NULL;
}
