#include "selfmetrics.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/time.h>
#include <unistd.h>

#ifndef TOKENTAIL_VERSION
#define TOKENTAIL_VERSION "unknown"
#endif

struct selfmetrics {
    struct family *build_info;
    struct family *lines;
    struct family *bytes;
    struct family *lines_skipped;
    struct family *updates;
    struct family *updates_skipped;
    struct family *series;
    struct family *overflow;
    struct family *expired;
    struct family *files;
    struct family *files_opened;
    struct family *rotations;
    struct family *truncations;
    struct family *file_errors;
    struct family *read_errors;
    struct family *lag;
    struct family *watches;
    struct family *copies;
    struct family *resumed;
    struct family *reconciles;
    struct family *checkpoints;
    struct family *ckpt_errors;
    struct family *ckpt_duration;
    struct family *recoveries;
    struct family *http;
    struct family *cpu;
    struct family *rss;
    struct family *vsize;
    struct family *fds;
    struct family *max_fds;
    struct family *start_time;
    num_fixed start_seconds;
};

static struct family *add(struct registry *reg, const char *name,
                          enum metric_type type, const char *help,
                          const char *l1, const char *l2)
{
    const char *names[2] = {l1, l2};
    struct family_spec spec = {
        .name = name,
        .help = help,
        .type = type,
        .label_names = names,
        .n_labels = l2   ? 2
                    : l1 ? 1
                         : 0,
        .flags = FAMILY_SELF,
    };
    return registry_add(reg, &spec);
}

/* Checkpoint durations: 100 us to 1 s. */
static struct family *add_duration(struct registry *reg)
{
    static const char *const bounds[] = {"0.0001", "0.00025", "0.0005", "0.001",
                                         "0.0025", "0.005",   "0.01",   "0.025",
                                         "0.05",   "0.1",     "0.25",   "1"};
    num_fixed b[12];
    for (int i = 0; i < 12; i++) {
        struct num_dec d;
        num_parse_text(bounds[i], strlen(bounds[i]), &d);
        num_to_fixed(&d, NULL, &b[i]);
    }
    struct family_spec spec = {
        .name = "tokentail_checkpoint_duration_seconds",
        .help = "Time taken to write a checkpoint of the durable state.",
        .type = METRIC_HISTOGRAM,
        .bounds = b,
        .n_bounds = 12,
        .flags = FAMILY_SELF,
    };
    return registry_add(reg, &spec);
}

/* Sets the series (v1[, v2]) of f to v. */
static void put(struct family *f, const char *v1, const char *v2, num_fixed v)
{
    char key[512];
    size_t n = 0;
    const char *vals[2] = {v1, v2};
    for (size_t i = 0; i < family_n_labels(f) && i < 2; i++) {
        const char *val = vals[i] ? vals[i] : "";
        size_t len = strlen(val);
        if (n + len + 1 > sizeof(key))
            return;
        memcpy(key + n, val, len + 1);
        n += len + 1;
    }
    struct series *s = family_get(f, key, (uint32_t)n, registry_hash(key, n));
    if (s != NULL)
        series_set(s, v);
}

static num_fixed count(uint64_t v)
{
    return (num_fixed)v * NUM_ONE;
}

int selfmetrics_new(struct registry *reg, const struct config *cfg,
                    struct selfmetrics **out)
{
    struct selfmetrics *sm = calloc(1, sizeof(*sm));
    if (sm == NULL)
        return -ENOMEM;
    struct timeval tv;
    gettimeofday(&tv, NULL);
    sm->start_seconds =
        (num_fixed)tv.tv_sec * NUM_ONE + (num_fixed)tv.tv_usec * 1000000;

    sm->build_info = add(reg, "tokentail_build_info", METRIC_GAUGE,
                         "tokentail's version; always 1.", "version", NULL);
    sm->lines = add(reg, "tokentail_lines_read_total", METRIC_COUNTER,
                    "Complete log lines read, used or not.", "input", NULL);
    sm->bytes = add(reg, "tokentail_read_bytes_total", METRIC_COUNTER,
                    "Bytes read from log files.", "input", NULL);
    sm->lines_skipped =
        add(reg, "tokentail_lines_skipped_total", METRIC_COUNTER,
            "Lines that updated no metric, by reason.", "input", "reason");
    sm->updates =
        add(reg, "tokentail_metric_updates_total", METRIC_COUNTER,
            "Updates applied to each configured metric.", "metric", NULL);
    sm->updates_skipped =
        add(reg, "tokentail_metric_updates_skipped_total", METRIC_COUNTER,
            "Lines a metric applied to but could not use, by reason.", "metric",
            "reason");
    sm->series = add(reg, "tokentail_series", METRIC_GAUGE,
                     "Series held for each configured metric.", "metric", NULL);
    sm->overflow = add(reg, "tokentail_series_overflow_total", METRIC_COUNTER,
                       "Updates sent to the overflow series because the metric "
                       "reached its series limit.",
                       "metric", NULL);
    sm->expired = add(reg, "tokentail_series_expired_total", METRIC_COUNTER,
                      "Series removed because they were not updated within "
                      "the metric's expire_after.",
                      "metric", NULL);
    sm->files = add(reg, "tokentail_files_watched", METRIC_GAUGE,
                    "Log files being followed.", "input", NULL);
    sm->files_opened = add(reg, "tokentail_files_opened_total", METRIC_COUNTER,
                           "Log files opened.", "input", NULL);
    sm->rotations =
        add(reg, "tokentail_file_rotations_total", METRIC_COUNTER,
            "Followed files renamed away or removed.", "input", NULL);
    sm->truncations = add(
        reg, "tokentail_file_truncations_total", METRIC_COUNTER,
        "Followed files found shorter than the read offset.", "input", NULL);
    sm->file_errors =
        add(reg, "tokentail_file_errors", METRIC_GAUGE,
            "Paths that exist but cannot be followed (e.g. permission "
            "denied).",
            "input", NULL);
    sm->read_errors = add(reg, "tokentail_read_errors_total", METRIC_COUNTER,
                          "Failed reads of followed files.", "input", NULL);
    sm->lag =
        add(reg, "tokentail_lag_bytes", METRIC_GAUGE,
            "Bytes written to followed files and not read yet.", "input", NULL);
    sm->watches = add(reg, "tokentail_inotify_watches", METRIC_GAUGE,
                      "inotify watches held.", NULL, NULL);
    sm->copies = add(reg, "tokentail_file_copies_total", METRIC_COUNTER,
                     "Files recognised as byte-identical copies of followed "
                     "ones (rotated copies), which are not counted twice.",
                     "input", NULL);
    sm->resumed = add(reg, "tokentail_files_resumed_total", METRIC_COUNTER,
                      "Files continued from a saved or earlier position "
                      "instead of their beginning.",
                      "input", NULL);
    sm->reconciles =
        add(reg, "tokentail_reconciles_total", METRIC_COUNTER,
            "Periodic re-checks of every glob and file.", "input", NULL);
    sm->checkpoints =
        add(reg, "tokentail_checkpoints_total", METRIC_COUNTER,
            "Checkpoints of the durable state written.", NULL, NULL);
    sm->ckpt_errors =
        add(reg, "tokentail_checkpoint_errors_total", METRIC_COUNTER,
            "Checkpoints that failed (and were retried).", NULL, NULL);
    sm->ckpt_duration = add_duration(reg);
    sm->recoveries =
        add(reg, "tokentail_state_recoveries_total", METRIC_COUNTER,
            "State files set aside at start-up, by reason.", "reason", NULL);
    sm->http =
        add(reg, "tokentail_http_responses_total", METRIC_COUNTER,
            "HTTP responses sent, by path and status class.", "path", "code");
    sm->cpu =
        add(reg, "process_cpu_seconds_total", METRIC_COUNTER,
            "Total user and system CPU time spent in seconds.", NULL, NULL);
    sm->rss = add(reg, "process_resident_memory_bytes", METRIC_GAUGE,
                  "Resident memory size in bytes.", NULL, NULL);
    sm->vsize = add(reg, "process_virtual_memory_bytes", METRIC_GAUGE,
                    "Virtual memory size in bytes.", NULL, NULL);
    sm->fds = add(reg, "process_open_fds", METRIC_GAUGE,
                  "Number of open file descriptors.", NULL, NULL);
    sm->max_fds = add(reg, "process_max_fds", METRIC_GAUGE,
                      "Maximum number of open file descriptors.", NULL, NULL);
    sm->start_time = add(
        reg, "process_start_time_seconds", METRIC_GAUGE,
        "Start time of the process since unix epoch in seconds.", NULL, NULL);
    if (!sm->build_info || !sm->lines || !sm->bytes || !sm->lines_skipped ||
        !sm->updates || !sm->updates_skipped || !sm->series || !sm->overflow ||
        !sm->expired || !sm->files || !sm->files_opened || !sm->rotations ||
        !sm->truncations || !sm->file_errors || !sm->read_errors || !sm->lag ||
        !sm->watches || !sm->http || !sm->cpu || !sm->rss || !sm->vsize ||
        !sm->fds || !sm->max_fds || !sm->start_time) {
        free(sm);
        return -ENOMEM;
    }

    /* Series that exist from the start, so rate() has a zero to begin at. */
    put(sm->build_info, TOKENTAIL_VERSION, NULL, NUM_ONE);
    for (int r = 1; r < STATE_RECOVERY_COUNT; r++)
        put(sm->recoveries, state_recovery_name((enum state_recovery)r), NULL,
            0);
    for (size_t i = 0; i < cfg->n_inputs; i++)
        for (int r = 0; r < LINE_SKIP_COUNT; r++)
            put(sm->lines_skipped, cfg->inputs[i].name,
                pipeline_line_skip_name((enum line_skip)r), 0);
    for (size_t i = 0; i < cfg->n_metrics; i++)
        for (int r = 0; r < UPDATE_SKIP_COUNT; r++)
            put(sm->updates_skipped, cfg->metrics[i].name,
                pipeline_update_skip_name((enum update_skip)r), 0);
    *out = sm;
    return 0;
}

void selfmetrics_observe_checkpoint(struct selfmetrics *sm, uint64_t us)
{
    struct series *s = family_get(sm->ckpt_duration, "", 0, 0);
    if (s != NULL)
        series_observe(sm->ckpt_duration, s, (num_fixed)us * 1000000);
}

void selfmetrics_free(struct selfmetrics *sm)
{
    free(sm);
}

/* The k-th space-separated field of s (from 0), a whole number. */
static bool stat_field(const char *s, int k, uint64_t *out)
{
    for (; k > 0 && s != NULL; k--)
        if ((s = strchr(s, ' ')) != NULL)
            s++;
    if (s == NULL || *s < '0' || *s > '9')
        return false;
    char *end;
    errno = 0;
    unsigned long long v = strtoull(s, &end, 10);
    if (errno != 0 || (*end != ' ' && *end != '\0' && *end != '\n'))
        return false;
    *out = v;
    return true;
}

static void collect_process(struct selfmetrics *sm)
{
    FILE *f = fopen("/proc/self/stat", "r");
    if (f != NULL) {
        char buf[1024];
        size_t n = fread(buf, 1, sizeof(buf) - 1, f);
        fclose(f);
        buf[n] = '\0';
        /* Fields after the command name, which may hold spaces. */
        char *p = strrchr(buf, ')');
        uint64_t utime, stime, vsize, rss;
        if (p && stat_field(p + 2, 11, &utime) &&
            stat_field(p + 2, 12, &stime) && stat_field(p + 2, 20, &vsize) &&
            stat_field(p + 2, 21, &rss)) {
            long tick = sysconf(_SC_CLK_TCK);
            if (tick <= 0)
                tick = 100;
            put(sm->cpu, NULL, NULL,
                (num_fixed)(utime + stime) * NUM_ONE / tick);
            put(sm->vsize, NULL, NULL, count(vsize));
            put(sm->rss, NULL, NULL,
                count(rss * (uint64_t)sysconf(_SC_PAGESIZE)));
        }
    }
    DIR *d = opendir("/proc/self/fd");
    if (d != NULL) {
        uint64_t n = 0;
        struct dirent *de;
        while ((de = readdir(d)) != NULL)
            n += de->d_name[0] != '.';
        closedir(d);
        put(sm->fds, NULL, NULL, count(n > 0 ? n - 1 : 0)); /* minus d */
    }
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) == 0)
        put(sm->max_fds, NULL, NULL, count(rl.rlim_cur));
    put(sm->start_time, NULL, NULL, sm->start_seconds);
}

void selfmetrics_collect(struct selfmetrics *sm, const struct self_sources *src)
{
    const struct pipeline *p = src->pipe;

    for (size_t i = 0; i < src->n_inputs; i++) {
        struct input_stats st;
        const char *name = input_name(src->inputs[i]);
        input_get_stats(src->inputs[i], &st);
        put(sm->bytes, name, NULL, count(st.bytes_read));
        put(sm->files, name, NULL, count(st.files));
        put(sm->files_opened, name, NULL, count(st.files_opened));
        put(sm->rotations, name, NULL, count(st.rotations));
        put(sm->truncations, name, NULL, count(st.truncations));
        put(sm->file_errors, name, NULL, count(st.path_errors));
        put(sm->read_errors, name, NULL, count(st.read_errors));
        put(sm->lag, name, NULL, count(st.lag_bytes));
        put(sm->copies, name, NULL, count(st.copies));
        put(sm->resumed, name, NULL, count(st.resumed));
        put(sm->reconciles, name, NULL, count(st.reconciles));
        if (p != NULL) {
            struct pipeline_input_stats pi;
            pipeline_input_stats(p, i, &pi);
            put(sm->lines, name, NULL, count(pi.lines));
            for (int r = 0; r < LINE_SKIP_COUNT; r++)
                put(sm->lines_skipped, name,
                    pipeline_line_skip_name((enum line_skip)r),
                    count(pi.skipped[r]));
        }
    }
    for (size_t i = 0; p != NULL && i < pipeline_n_metrics(p); i++) {
        struct pipeline_metric_stats ms;
        pipeline_metric_stats(p, i, &ms);
        put(sm->updates, ms.name, NULL, count(ms.updates));
        for (int k = 0; k < UPDATE_SKIP_COUNT; k++)
            put(sm->updates_skipped, ms.name,
                pipeline_update_skip_name((enum update_skip)k),
                count(ms.skipped[k]));
        put(sm->series, ms.name, NULL, count(ms.family.series));
        put(sm->overflow, ms.name, NULL, count(ms.family.overflow_updates));
        if (ms.family.expires)
            put(sm->expired, ms.name, NULL, count(ms.family.expired));
    }
    if (src->state != NULL) {
        put(sm->checkpoints, NULL, NULL, count(src->state->checkpoints));
        put(sm->ckpt_errors, NULL, NULL, count(src->state->errors));
        for (int r = 1; r < STATE_RECOVERY_COUNT; r++)
            put(sm->recoveries, state_recovery_name((enum state_recovery)r),
                NULL, count(src->state->recoveries[r]));
    }
    if (src->watch != NULL)
        put(sm->watches, NULL, NULL, count(watch_count(src->watch)));
    if (src->http != NULL) {
        const struct http_stats *hs = http_stats(src->http);
        static const char *const classes[] = {"0xx", "1xx", "2xx",
                                              "3xx", "4xx", "5xx"};
        for (int r = 0; r < HTTP_ROUTE_COUNT; r++)
            for (int c = 0; c < 6; c++)
                if (hs->responses[r][c] > 0)
                    put(sm->http, http_route_name((enum http_route)r),
                        classes[c], count(hs->responses[r][c]));
    }
    collect_process(sm);
}
