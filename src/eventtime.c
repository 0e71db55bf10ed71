/*
 * Event time: the input's time field read through fields_time, fallbacks
 * counted, lateness observed in one series per input.
 */
#include "eventtime.h"

#include <errno.h>
#include <string.h>
#include <time.h>

#define SECONDS(s)       ((num_fixed)(s)*NUM_ONE)
#define MILLISECONDS(ms) ((num_fixed)(ms) * (NUM_ONE / 1000))
#define NANOSECONDS(ns)  ((num_fixed)(ns) * (NUM_ONE / 1000000000))

/* Lateness: 10 ms to 15 s for a live tail, a minute to 30 days for lines
 * read long after (a backfill, a reader that was down). */
static const num_fixed lateness_bounds[] = {
    MILLISECONDS(10), MILLISECONDS(50), MILLISECONDS(250), SECONDS(1),
    SECONDS(5),       SECONDS(15),      SECONDS(60),       SECONDS(300),
    SECONDS(900),     SECONDS(3600),    SECONDS(21600),    SECONDS(86400),
    SECONDS(604800),  SECONDS(2592000)};

static const char *const fallback_names[EVENTTIME_FALLBACK_COUNT] = {
    [EVENTTIME_MISSING] = "missing",
    [EVENTTIME_UNPARSABLE] = "unparsable",
    [EVENTTIME_OUT_OF_RANGE] = "out_of_range",
};

const char *eventtime_fallback_name(enum eventtime_fallback f)
{
    return fallback_names[f];
}

struct family *eventtime_family(struct registry *reg)
{
    static const char *const labels[] = {"input"};
    struct family_spec spec = {
        .name = EVENTTIME_LATENESS,
        .help = "How late lines are read: the time they were read minus the "
                "time they say they happened (0 for lines from the future).",
        .type = METRIC_HISTOGRAM,
        .label_names = labels,
        .n_labels = 1,
        .bounds = lateness_bounds,
        .n_bounds = sizeof(lateness_bounds) / sizeof(lateness_bounds[0]),
        .flags = FAMILY_SELF,
    };
    return registry_add(reg, &spec);
}

int eventtime_init(struct eventtime *et, const struct cfg_time *cfg,
                   struct family *lateness, const char *input)
{
    *et = (struct eventtime){.cfg = cfg, .lateness = lateness};
    size_t len = strlen(input) + 1; /* the key: the value and its NUL */
    et->series =
        family_get(lateness, input, (uint32_t)len, registry_hash(input, len));
    return et->series != NULL ? 0 : -ENOMEM;
}

static num_fixed clock_now(clockid_t id)
{
    struct timespec ts;
    clock_gettime(id, &ts);
    return SECONDS(ts.tv_sec) + NANOSECONDS(ts.tv_nsec);
}

num_fixed eventtime_now(void)
{
    return clock_now(CLOCK_REALTIME);
}

num_fixed eventtime_now_coarse(void)
{
    return clock_now(CLOCK_REALTIME_COARSE);
}

num_fixed eventtime_line(struct eventtime *et, struct fields *fs,
                         num_fixed read_at, bool coarse)
{
    num_fixed t;
    switch (fields_time(fs, et->cfg->field, &et->cfg->fmt, &et->cache, &t)) {
    case FIELD_READ_OK:
        break;
    case FIELD_READ_MISSING:
        et->stats.fallbacks[EVENTTIME_MISSING]++;
        return read_at;
    case FIELD_READ_OUT_OF_RANGE:
        et->stats.fallbacks[EVENTTIME_OUT_OF_RANGE]++;
        return read_at;
    default:
        et->stats.fallbacks[EVENTTIME_UNPARSABLE]++;
        return read_at;
    }
    num_fixed late = read_at - t;
    if (late < 0 && coarse)
        late = eventtime_now() - t;
    if (late < 0) {
        et->stats.ahead++;
        late = 0;
    }
    series_observe(et->lateness, et->series, late);
    return t;
}
