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

#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

/* A number of microseconds as fixed-point seconds. */
#define MICROSECONDS(us) ((num_fixed)(us) * (NUM_ONE / 1000000))

/* Observed by selfmetrics_observe_checkpoint() rather than collected. */
#define CHECKPOINT_DURATION "tokentail_checkpoint_duration_seconds"

/* The rows added together, and the families made from them. */
struct self_group {
    const struct self_row *rows; /* borrowed */
    size_t n;
    struct family **fams;  /* fams[i] from rows[i]; the registry owns them */
    struct family **bases; /* NULL, or what carries over to fams[i]: NULL
                              or a family of sm->bases */
    const void *ctx;       /* borrowed */
    bool per_collect;      /* ctx is the sources given to each collect */
};

struct selfmetrics {
    struct registry *reg;   /* borrowed */
    struct registry *bases; /* NULL, or the values carried over a reload */
    struct self_group *groups;
    size_t n_groups;
    struct family *checkpoint_duration;
    num_fixed start_seconds; /* since the epoch */
};

static num_fixed count(uint64_t v)
{
    return (num_fixed)v * NUM_ONE;
}

/* --- reasons -------------------------------------------------------------- */

static const char *line_skip_name(int r)
{
    return pipeline_line_skip_name((enum line_skip)r);
}

static const char *update_skip_name(int r)
{
    return pipeline_update_skip_name((enum update_skip)r);
}

static const char *time_fallback_name(int r)
{
    return eventtime_fallback_name((enum eventtime_fallback)r);
}

static const char *recovery_name(int r)
{
    return state_recovery_name((enum state_recovery)r);
}

/* HTTP status classes, as http_stats counts them (code / 100). */
static const char *const code_classes[] = {"0xx", "1xx", "2xx",
                                           "3xx", "4xx", "5xx"};

static const char *code_class_name(int c)
{
    return code_classes[c];
}

static const struct self_reasons line_skips = {"reason", line_skip_name, 0,
                                               LINE_SKIP_COUNT};
static const struct self_reasons update_skips = {"reason", update_skip_name, 0,
                                                 UPDATE_SKIP_COUNT};
static const struct self_reasons time_fallbacks = {"reason", time_fallback_name,
                                                   0, EVENTTIME_FALLBACK_COUNT};
/* STATE_RECOVERY_NONE sets nothing aside, so it is no reason. */
static const struct self_reasons recoveries = {
    "reason", recovery_name, STATE_RECOVERY_NONE + 1, STATE_RECOVERY_COUNT};
static const struct self_reasons status_classes = {
    "code", code_class_name, 0, (int)ARRAY_LEN(code_classes)};

/* --- sources: ctx is the struct self_sources of the collect --------------- */

static size_t n_inputs(const void *ctx)
{
    const struct self_sources *src = ctx;
    return src->n_inputs;
}

static const char *read_input(const void *ctx, size_t i, void *stats)
{
    const struct self_sources *src = ctx;
    input_get_stats(src->inputs[i], stats);
    return input_name(src->inputs[i]);
}

static const struct self_source input_source = {
    "input", sizeof(struct input_stats), n_inputs, read_input, false};

/* What the pipeline made of each input's lines. */
static size_t n_line_inputs(const void *ctx)
{
    const struct self_sources *src = ctx;
    return src->pipe != NULL ? src->n_inputs : 0;
}

static const char *read_lines(const void *ctx, size_t i, void *stats)
{
    const struct self_sources *src = ctx;
    pipeline_input_stats(src->pipe, i, stats);
    return input_name(src->inputs[i]);
}

static const struct self_source line_source = {
    "input", sizeof(struct pipeline_input_stats), n_line_inputs, read_lines,
    false};

static size_t n_metrics(const void *ctx)
{
    const struct self_sources *src = ctx;
    return src->pipe != NULL ? pipeline_n_metrics(src->pipe) : 0;
}

static const char *read_metric(const void *ctx, size_t i, void *stats)
{
    const struct self_sources *src = ctx;
    struct pipeline_metric_stats *ms = stats;
    pipeline_metric_stats(src->pipe, i, ms);
    return ms->name;
}

static const struct self_source metric_source = {
    "metric", sizeof(struct pipeline_metric_stats), n_metrics, read_metric,
    false};

static size_t has_state(const void *ctx)
{
    const struct self_sources *src = ctx;
    return src->state != NULL;
}

static const char *read_state(const void *ctx, size_t i, void *stats)
{
    const struct self_sources *src = ctx;
    (void)i;
    memcpy(stats, src->state, sizeof(*src->state));
    return "";
}

static const struct self_source state_source = {
    NULL, sizeof(struct state_stats), has_state, read_state, false};

struct watch_figures {
    uint64_t watches;
};

static size_t has_watch(const void *ctx)
{
    const struct self_sources *src = ctx;
    return src->watch != NULL;
}

static const char *read_watch(const void *ctx, size_t i, void *stats)
{
    const struct self_sources *src = ctx;
    struct watch_figures *w = stats;
    (void)i;
    w->watches = watch_count(src->watch);
    return "";
}

static const struct self_source watch_source = {
    NULL, sizeof(struct watch_figures), has_watch, read_watch, true};

/* The responses of one route. */
struct route_figures {
    uint64_t by_class[HTTP_STATUS_CLASSES];
};
_Static_assert(ARRAY_LEN(code_classes) == HTTP_STATUS_CLASSES,
               "a name for every status class http counts");

static size_t n_routes(const void *ctx)
{
    const struct self_sources *src = ctx;
    return src->http != NULL ? http_n_routes(src->http) : 0;
}

static const char *read_route(const void *ctx, size_t i, void *stats)
{
    const struct self_sources *src = ctx;
    struct route_figures *r = stats;
    return http_route_stats(src->http, i, r->by_class);
}

static const struct self_source route_source = {
    "path", sizeof(struct route_figures), n_routes, read_route, true};

struct build_figures {
    uint64_t one;
};

static const char *read_build(const void *ctx, size_t i, void *stats)
{
    struct build_figures *b = stats;
    (void)ctx;
    (void)i;
    b->one = 1;
    return TOKENTAIL_VERSION;
}

static const struct self_source build_source = {
    "version", sizeof(struct build_figures), NULL, read_build, true};

/* --- the tokentail_ families, in exposition order ------------------------- */

#define ROW(n, t, h) .name = (n), .type = (t), .help = (h)
#define INPUT(field)                                                           \
    .source = &input_source, SELF_FIELD(struct input_stats, field)
#define LINES(field)                                                           \
    .source = &line_source, SELF_FIELD(struct pipeline_input_stats, field)
#define METRIC(field)                                                          \
    .source = &metric_source, SELF_FIELD(struct pipeline_metric_stats, field)
#define STATE(field)                                                           \
    .source = &state_source, SELF_FIELD(struct state_stats, field)

/* Checkpoint durations: 100 us to 1 s. */
static const num_fixed checkpoint_bounds[] = {
    MICROSECONDS(100),    MICROSECONDS(250),    MICROSECONDS(500),
    MICROSECONDS(1000),   MICROSECONDS(2500),   MICROSECONDS(5000),
    MICROSECONDS(10000),  MICROSECONDS(25000),  MICROSECONDS(50000),
    MICROSECONDS(100000), MICROSECONDS(250000), MICROSECONDS(1000000)};

/*
 * Rows by reason put every reason the item can have, zero or not, so that
 * rate() has a zero to begin at, and none that must stay zero; HTTP
 * responses only the (path, class) pairs that happened.
 */
static const struct self_row self_rows[] = {
    {ROW("tokentail_build_info", METRIC_GAUGE,
         "tokentail's version; always 1."),
     .source = &build_source, SELF_FIELD(struct build_figures, one)},
    {ROW("tokentail_lines_read_total", METRIC_COUNTER,
         "Complete log lines read, used or not."),
     LINES(lines)},
    {ROW("tokentail_read_bytes_total", METRIC_COUNTER,
         "Bytes read from log files."),
     INPUT(bytes_read)},
    {ROW("tokentail_lines_skipped_total", METRIC_COUNTER,
         "Lines that updated no metric, by reason."),
     .source = &line_source,
     SELF_BY(struct pipeline_input_stats, skipped, &line_skips),
     SELF_REASONS_IN(struct pipeline_input_stats, reasons)},
    {ROW("tokentail_event_time_fallbacks_total", METRIC_COUNTER,
         "Lines of inputs with a time field whose time was taken as the "
         "time they were read, by reason."),
     .source = &line_source,
     SELF_BY(struct pipeline_input_stats, time_fallbacks, &time_fallbacks),
     SELF_ONLY_IF(struct pipeline_input_stats, has_time)},
    {ROW("tokentail_event_time_ahead_total", METRIC_COUNTER,
         "Lines whose time was later than the time they were read (another "
         "clock, or a wrong time zone)."),
     LINES(time_ahead), SELF_ONLY_IF(struct pipeline_input_stats, has_time)},
    {ROW("tokentail_metric_updates_total", METRIC_COUNTER,
         "Updates applied to each configured metric."),
     METRIC(updates)},
    {ROW("tokentail_metric_updates_skipped_total", METRIC_COUNTER,
         "Lines a metric applied to but could not use, by reason."),
     .source = &metric_source,
     SELF_BY(struct pipeline_metric_stats, skipped, &update_skips),
     SELF_REASONS_IN(struct pipeline_metric_stats, reasons)},
    {ROW("tokentail_series", METRIC_GAUGE,
         "Series held for each configured metric."),
     METRIC(family.series)},
    {ROW("tokentail_series_overflow_total", METRIC_COUNTER,
         "Updates sent to the overflow series because the metric reached "
         "its series limit."),
     METRIC(family.overflow_updates)},
    {ROW("tokentail_series_expired_total", METRIC_COUNTER,
         "Series removed because they were not updated within the metric's "
         "expire_after."),
     METRIC(family.expired),
     SELF_ONLY_IF(struct pipeline_metric_stats, family.expires)},
    {ROW("tokentail_files_watched", METRIC_GAUGE, "Log files being followed."),
     INPUT(files)},
    {ROW("tokentail_files_opened_total", METRIC_COUNTER, "Log files opened."),
     INPUT(files_opened)},
    {ROW("tokentail_file_rotations_total", METRIC_COUNTER,
         "Followed files renamed away or removed."),
     INPUT(rotations)},
    {ROW("tokentail_file_truncations_total", METRIC_COUNTER,
         "Followed files found shorter than the read offset."),
     INPUT(truncations)},
    {ROW("tokentail_file_errors", METRIC_GAUGE,
         "Paths that exist but cannot be followed (e.g. permission denied)."),
     INPUT(path_errors)},
    {ROW("tokentail_read_errors_total", METRIC_COUNTER,
         "Failed reads of followed files."),
     INPUT(read_errors)},
    {ROW("tokentail_lag_bytes", METRIC_GAUGE,
         "Bytes written to followed files and not read yet."),
     INPUT(lag_bytes)},
    {ROW("tokentail_inotify_watches", METRIC_GAUGE, "inotify watches held."),
     .source = &watch_source, SELF_FIELD(struct watch_figures, watches)},
    {ROW("tokentail_file_copies_total", METRIC_COUNTER,
         "Files recognised as byte-identical copies of followed ones (rotated "
         "copies), which are not counted twice."),
     INPUT(copies)},
    {ROW("tokentail_files_resumed_total", METRIC_COUNTER,
         "Files continued from a saved or earlier position instead of their "
         "beginning."),
     INPUT(resumed)},
    {ROW("tokentail_reconciles_total", METRIC_COUNTER,
         "Periodic re-checks of every glob and file."),
     INPUT(reconciles)},
    {ROW("tokentail_checkpoints_total", METRIC_COUNTER,
         "Checkpoints of the durable state written."),
     STATE(checkpoints)},
    {ROW("tokentail_checkpoint_errors_total", METRIC_COUNTER,
         "Checkpoints that failed (and were retried)."),
     STATE(errors)},
    {ROW(CHECKPOINT_DURATION, METRIC_HISTOGRAM,
         "Time taken to write a checkpoint of the durable state."),
     .bounds = checkpoint_bounds, .n_bounds = ARRAY_LEN(checkpoint_bounds)},
    {ROW("tokentail_state_recoveries_total", METRIC_COUNTER,
         "State files set aside at start-up, by reason."),
     .source = &state_source,
     SELF_BY(struct state_stats, recoveries, &recoveries)},
    {ROW("tokentail_http_responses_total", METRIC_COUNTER,
         "HTTP responses sent, by path and status class."),
     .source = &route_source,
     SELF_BY(struct route_figures, by_class, &status_classes), .nonzero = true},
};

/* --- the process_ families (ctx: the start time) -------------------------- */

/* Fields of /proc/self/stat counted from the one after the command name
 * (proc(5) numbers them 14, 15, 23 and 24). */
enum {
    PROC_STAT_UTIME = 11,
    PROC_STAT_STIME = 12,
    PROC_STAT_VSIZE = 20,
    PROC_STAT_RSS = 21,
};
#define PROC_STAT_MAX_BYTES  1024 /* enough for every field we read */
#define PROC_DEFAULT_CLK_TCK 100  /* clock ticks a second, if unknown */

struct process_figures {
    bool has_stat, has_fds, has_limit; /* which could be read */
    num_fixed cpu_seconds;
    uint64_t resident_bytes;
    uint64_t virtual_bytes;
    uint64_t open_fds;
    uint64_t max_fds;
    num_fixed start_seconds;
};

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

static bool read_proc_stat(struct process_figures *p)
{
    FILE *f = fopen("/proc/self/stat", "r");
    if (f == NULL)
        return false;
    char buf[PROC_STAT_MAX_BYTES];
    size_t n = fread(buf, 1, sizeof(buf) - 1, f);
    fclose(f);
    buf[n] = '\0';
    /* Fields after the command name, which may hold spaces. */
    const char *s = strrchr(buf, ')');
    uint64_t utime, stime, vsize, rss;
    if (s == NULL || !stat_field(s + 2, PROC_STAT_UTIME, &utime) ||
        !stat_field(s + 2, PROC_STAT_STIME, &stime) ||
        !stat_field(s + 2, PROC_STAT_VSIZE, &vsize) ||
        !stat_field(s + 2, PROC_STAT_RSS, &rss))
        return false;
    long tick = sysconf(_SC_CLK_TCK);
    if (tick <= 0)
        tick = PROC_DEFAULT_CLK_TCK;
    p->cpu_seconds = (num_fixed)(utime + stime) * NUM_ONE / tick;
    p->virtual_bytes = vsize;
    p->resident_bytes = rss * (uint64_t)sysconf(_SC_PAGESIZE);
    return true;
}

static bool count_fds(uint64_t *out)
{
    DIR *d = opendir("/proc/self/fd");
    if (d == NULL)
        return false;
    uint64_t n = 0;
    const struct dirent *de;
    while ((de = readdir(d)) != NULL)
        n += de->d_name[0] != '.';
    closedir(d);
    *out = n > 0 ? n - 1 : 0; /* not the one listing them */
    return true;
}

static const char *read_process(const void *ctx, size_t i, void *stats)
{
    struct process_figures *p = stats;
    struct rlimit rl;
    (void)i;
    p->has_stat = read_proc_stat(p);
    p->has_fds = count_fds(&p->open_fds);
    p->has_limit = getrlimit(RLIMIT_NOFILE, &rl) == 0;
    p->max_fds = p->has_limit ? rl.rlim_cur : 0;
    p->start_seconds = *(const num_fixed *)ctx;
    return "";
}

static const struct self_source process_source = {
    NULL, sizeof(struct process_figures), NULL, read_process, true};

#define PROCESS(field)                                                         \
    .source = &process_source, SELF_FIELD(struct process_figures, field)
#define PROCESS_IF(flag) SELF_ONLY_IF(struct process_figures, flag)

/* The names and help texts every Prometheus client library uses. */
static const struct self_row process_rows[] = {
    {ROW("process_cpu_seconds_total", METRIC_COUNTER,
         "Total user and system CPU time spent in seconds."),
     PROCESS(cpu_seconds), PROCESS_IF(has_stat)},
    {ROW("process_resident_memory_bytes", METRIC_GAUGE,
         "Resident memory size in bytes."),
     PROCESS(resident_bytes), PROCESS_IF(has_stat)},
    {ROW("process_virtual_memory_bytes", METRIC_GAUGE,
         "Virtual memory size in bytes."),
     PROCESS(virtual_bytes), PROCESS_IF(has_stat)},
    {ROW("process_open_fds", METRIC_GAUGE, "Number of open file descriptors."),
     PROCESS(open_fds), PROCESS_IF(has_fds)},
    {ROW("process_max_fds", METRIC_GAUGE,
         "Maximum number of open file descriptors."),
     PROCESS(max_fds), PROCESS_IF(has_limit)},
    {ROW("process_start_time_seconds", METRIC_GAUGE,
         "Start time of the process since unix epoch in seconds."),
     PROCESS(start_seconds)},
};

/* --- adding rows ---------------------------------------------------------- */

/* Whether the figures a row reads lie within its field, and the field
 * within its source's stats. Histograms are observed, the others set. */
static bool row_fits(const struct self_row *r)
{
    const struct self_source *s = r->source;
    if ((s == NULL) != (r->type == METRIC_HISTOGRAM))
        return false;
    if (s == NULL)
        return r->by == NULL && !r->gated;
    size_t n = 1;
    if (r->by != NULL) {
        if (r->by->first < 0 || r->by->first > r->by->count)
            return false;
        n = (size_t)r->by->count;
    }
    bool width = r->width == sizeof(uint32_t) || r->width == sizeof(uint64_t) ||
                 r->width == sizeof(num_fixed);
    return s->read != NULL && s->stats_size <= SELF_MAX_STATS_BYTES && width &&
           n * r->width <= r->size && r->offset + r->size <= s->stats_size &&
           (!r->gated || r->only_if + sizeof(bool) <= s->stats_size) &&
           (!r->masked || (r->by != NULL && r->by->count <= 32 &&
                           r->mask + sizeof(uint32_t) <= s->stats_size));
}

static struct family *add_family(struct registry *reg, const struct self_row *r)
{
    const char *labels[2];
    size_t n = 0;
    if (r->source != NULL && r->source->label != NULL)
        labels[n++] = r->source->label;
    if (r->by != NULL)
        labels[n++] = r->by->label;
    struct family_spec spec = {
        .name = r->name,
        .help = r->help,
        .type = r->type,
        .label_names = labels,
        .n_labels = n,
        .bounds = r->bounds,
        .n_bounds = r->n_bounds,
        .flags = FAMILY_SELF,
    };
    return registry_add(reg, &spec);
}

static int add_group(struct selfmetrics *sm, const struct self_row *rows,
                     size_t n, const void *ctx, bool per_collect)
{
    for (size_t i = 0; i < n; i++)
        if (!row_fits(&rows[i]))
            return -EINVAL;
    struct self_group *groups =
        realloc(sm->groups, (sm->n_groups + 1) * sizeof(*groups));
    if (groups == NULL)
        return -ENOMEM;
    sm->groups = groups;
    struct family **fams = calloc(n > 0 ? n : 1, sizeof(*fams));
    if (fams == NULL)
        return -ENOMEM;
    for (size_t i = 0; i < n; i++)
        if ((fams[i] = add_family(sm->reg, &rows[i])) == NULL) {
            free(fams);
            return -ENOMEM;
        }
    groups[sm->n_groups++] = (struct self_group){.rows = rows,
                                                 .n = n,
                                                 .fams = fams,
                                                 .ctx = ctx,
                                                 .per_collect = per_collect};
    return 0;
}

int selfmetrics_add(struct selfmetrics *sm, const struct self_row *rows,
                    size_t n, const void *ctx)
{
    return add_group(sm, rows, n, ctx, false);
}

/* The family of the row named name in g, or NULL. */
static struct family *group_family(const struct self_group *g, const char *name)
{
    for (size_t i = 0; i < g->n; i++)
        if (strcmp(g->rows[i].name, name) == 0)
            return g->fams[i];
    return NULL;
}

int selfmetrics_new(struct registry *reg, struct selfmetrics **out)
{
    struct selfmetrics *sm = calloc(1, sizeof(*sm));
    if (sm == NULL)
        return -ENOMEM;
    sm->reg = reg;
    struct timeval tv;
    gettimeofday(&tv, NULL);
    sm->start_seconds =
        (num_fixed)tv.tv_sec * NUM_ONE + MICROSECONDS(tv.tv_usec);

    int rc = add_group(sm, self_rows, ARRAY_LEN(self_rows), NULL, true);
    if (rc == 0)
        rc = selfmetrics_add(sm, process_rows, ARRAY_LEN(process_rows),
                             &sm->start_seconds);
    if (rc != 0) {
        selfmetrics_free(sm);
        return rc;
    }
    sm->checkpoint_duration = group_family(&sm->groups[0], CHECKPOINT_DURATION);
    *out = sm;
    return 0;
}

void selfmetrics_free(struct selfmetrics *sm)
{
    if (sm == NULL)
        return;
    for (size_t i = 0; i < sm->n_groups; i++) {
        free(sm->groups[i].fams);
        free(sm->groups[i].bases);
    }
    free(sm->groups);
    registry_free(sm->bases);
    free(sm);
}

void selfmetrics_observe_checkpoint(struct selfmetrics *sm, uint64_t us)
{
    struct series *s = family_get(sm->checkpoint_duration, "", 0, 0);
    if (s != NULL)
        series_observe(sm->checkpoint_duration, s, MICROSECONDS(us));
}

/* --- carrying over a reload ---------------------------------------------- */

/* Whether row r's series go on across a reload. */
static bool carried(const struct self_row *r)
{
    return r->type == METRIC_COUNTER && !r->source->lasting;
}

/* Copies the series of f into a family of the same name in bases. */
static int copy_base(struct registry *bases, struct family *f)
{
    struct family_view v;
    family_view(f, &v);
    struct family *b = registry_add(bases, &v.def);
    for (size_t i = 0; b != NULL && i < v.n_series; i++) {
        const struct series *s = v.series[i];
        struct series *to = family_get(b, s->key, s->key_len, s->hash);
        if (to == NULL)
            return -ENOMEM;
        series_set(to, s->value);
        to->created_ms = s->created_ms;
    }
    return b != NULL ? 0 : -ENOMEM;
}

/* The checkpoints' histogram goes on from where from's stood: it is
 * observed, not collected, so it has no source to carry it. */
static int carry_histogram(struct family *to, struct family *from)
{
    struct family_view v;
    if (to == NULL || from == NULL)
        return 0;
    family_view(from, &v);
    if (v.n_series == 0)
        return 0;
    const struct series *s = v.series[0];
    struct series *t = family_get(to, s->key, s->key_len, s->hash);
    if (t == NULL)
        return -ENOMEM;
    t->value = s->value;
    t->count = s->count;
    t->created_ms = s->created_ms;
    memcpy(t->buckets, s->buckets, v.def.n_bounds * sizeof(*t->buckets));
    return 0;
}

int selfmetrics_carry(struct selfmetrics *sm, const struct selfmetrics *from)
{
    int rc =
        carry_histogram(sm->checkpoint_duration, from->checkpoint_duration);
    if (rc == 0)
        rc = registry_new(&sm->bases);
    for (size_t g = 0; rc == 0 && g < from->n_groups; g++)
        for (size_t i = 0; rc == 0 && i < from->groups[g].n; i++)
            if (carried(&from->groups[g].rows[i]))
                rc = copy_base(sm->bases, from->groups[g].fams[i]);
    for (size_t g = 0; rc == 0 && g < sm->n_groups; g++) {
        struct self_group *grp = &sm->groups[g];
        grp->bases = calloc(grp->n ? grp->n : 1, sizeof(*grp->bases));
        if (grp->bases == NULL)
            return -ENOMEM;
        for (size_t i = 0; i < grp->n; i++)
            if (carried(&grp->rows[i]))
                grp->bases[i] = registry_find(sm->bases, grp->rows[i].name);
    }
    return rc;
}

/* --- collecting ----------------------------------------------------------- */

/* A figure: an unsigned count, or a num_fixed as it is. */
static num_fixed figure(const unsigned char *p, size_t width)
{
    if (width == sizeof(num_fixed)) {
        num_fixed v;
        memcpy(&v, p, sizeof(v));
        return v;
    }
    if (width == sizeof(uint32_t)) {
        uint32_t v;
        memcpy(&v, p, sizeof(v));
        return count(v);
    }
    uint64_t v;
    memcpy(&v, p, sizeof(v));
    return count(v);
}

/* Sets the series of f labelled v1, v2 (either NULL when f has no such
 * label) to v, plus what base (NULL: none) carries over for it; unless
 * shown, only when something is carried. */
static void put(struct family *f, struct family *base, const char *v1,
                const char *v2, num_fixed v, bool shown)
{
    char key[SELF_MAX_KEY_BYTES];
    const char *vals[2] = {v1, v2};
    size_t n = 0;
    for (size_t i = 0; i < 2; i++) {
        if (vals[i] == NULL)
            continue;
        size_t len = strlen(vals[i]);
        if (n + len + 1 > sizeof(key))
            return;
        memcpy(key + n, vals[i], len + 1);
        n += len + 1;
    }
    uint64_t hash = registry_hash(key, n);
    struct series *b = base ? family_get(base, key, (uint32_t)n, hash) : NULL;
    if (!shown && (b == NULL || b->value == 0))
        return;
    struct series *s = family_get(f, key, (uint32_t)n, hash);
    if (s != NULL)
        series_set(s, b != NULL ? num_add_sat(v, b->value) : v);
    if (s != NULL && b != NULL)
        s->created_ms = b->created_ms; /* one series, however many cores */
}

/* Puts row r's figures for one item of its source. */
static void put_row(const struct self_row *r, struct family *f,
                    struct family *base, const char *item,
                    const unsigned char *stats)
{
    const char *label = r->source->label != NULL ? item : NULL;
    bool on = true;
    if (r->gated)
        memcpy(&on, stats + r->only_if, sizeof(on));
    if (!on)
        return;
    uint32_t can = UINT32_MAX;
    if (r->masked)
        memcpy(&can, stats + r->mask, sizeof(can));
    int first = r->by != NULL ? r->by->first : 0;
    int end = r->by != NULL ? r->by->count : 1;
    for (int k = first; k < end; k++) {
        num_fixed v =
            figure(stats + r->offset + (size_t)k * r->width, r->width);
        bool possible = !r->masked || (can >> k & 1) != 0;
        /* A series the previous core showed stays, as it would have. */
        put(f, base, label, r->by != NULL ? r->by->name(k) : NULL, v,
            (!r->nonzero && possible) || v != 0);
    }
}

/* Whether a row of g before row j reads the same source. */
static bool read_before(const struct self_group *g, size_t j)
{
    for (size_t k = 0; k < j; k++)
        if (g->rows[k].source == g->rows[j].source)
            return true;
    return false;
}

/* Reads each source once per item, and puts every row that uses it. */
static void collect_group(const struct self_group *g, const void *ctx)
{
    for (size_t j = 0; j < g->n; j++) {
        const struct self_source *s = g->rows[j].source;
        if (s == NULL || read_before(g, j))
            continue;
        size_t items = s->count != NULL ? s->count(ctx) : 1;
        for (size_t i = 0; i < items; i++) {
            _Alignas(max_align_t) unsigned char stats[SELF_MAX_STATS_BYTES];
            memset(stats, 0, s->stats_size);
            const char *item = s->read(ctx, i, stats);
            if (item == NULL)
                continue;
            for (size_t k = j; k < g->n; k++)
                if (g->rows[k].source == s)
                    put_row(&g->rows[k], g->fams[k],
                            g->bases ? g->bases[k] : NULL, item, stats);
        }
    }
}

void selfmetrics_collect(struct selfmetrics *sm, const struct self_sources *src)
{
    for (size_t i = 0; i < sm->n_groups; i++) {
        const struct self_group *g = &sm->groups[i];
        collect_group(g, g->per_collect ? src : g->ctx);
    }
}
