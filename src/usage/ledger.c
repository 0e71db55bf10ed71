/*
 * The ledger in memory: the usage metrics as configured, the cells that
 * gather updates between saves, and what the ledger tells of itself.
 * ledger_store.c keeps the rows, and ledger_query.c reads them.
 */
#include "ledger_private.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "civil.h"
#include "selfmetrics.h"

#define CELLS_INITIAL 256 /* places, before the first growth */
#define CELLS_KEPT    4   /* places kept after a save, per cell it held */
#define MS_PER_S      1000
/* A hash of a cell's place from its series' hash and its period. */
#define CELL_MIX 0x9e3779b97f4a7c15ULL

static const char *const grain_names[LEDGER_GRAIN_COUNT] = {
    [LEDGER_DAYS] = "day",
    [LEDGER_HOURS] = "hour",
};

const char *ledger_grain_name(enum ledger_grain g)
{
    return (unsigned)g < LEDGER_GRAIN_COUNT ? grain_names[g] : "?";
}

/* --- the metrics ------------------------------------------------------------
 */

static int metric_init(struct ledger_metric *m, const struct cfg_metric *cfg)
{
    const char *names[CONFIG_MAX_LABELS];
    size_t n = config_metric_label_names(cfg, names);
    struct buf text = {0};
    m->cfg = cfg;
    m->labels = calloc(n ? n : 1, sizeof(*m->labels));
    if (m->labels == NULL)
        return -ENOMEM;
    for (size_t i = 0; i < n; i++) {
        m->labels[i] = names[i];
        buf_printf(&text, "%s%s", i > 0 ? "," : "", names[i]);
    }
    m->n_labels = n;
    if (text.oom) {
        buf_free(&text);
        return -ENOMEM;
    }
    m->labels_text = text.data ? text.data : strdup("");
    return m->labels_text != NULL ? 0 : -ENOMEM;
}

int ledger_new(const struct config *cfg, struct ledger **out)
{
    const struct cfg_usage *u = cfg->usage;
    *out = NULL;
    if (u == NULL)
        return -EINVAL;
    struct ledger *l = calloc(1, sizeof(*l));
    if (l == NULL)
        return -ENOMEM;
    l->cfg = cfg;
    l->usage = u;
    l->metrics = calloc(u->n_metrics ? u->n_metrics : 1, sizeof(*l->metrics));
    l->cap = CELLS_INITIAL;
    l->cells = calloc(l->cap, sizeof(*l->cells));
    l->used = calloc(l->cap / 2, sizeof(*l->used));
    if (l->metrics == NULL || l->cells == NULL || l->used == NULL)
        goto fail;
    for (size_t i = 0; i < u->n_metrics; i++) {
        l->n_metrics = i + 1;
        if (metric_init(&l->metrics[i], &cfg->metrics[u->metrics[i]]) != 0)
            goto fail;
    }
    ledger_cut(l, (int64_t)time(NULL));
    *out = l;
    return 0;
fail:
    ledger_free(l);
    return -ENOMEM;
}

void ledger_free(struct ledger *l)
{
    if (l == NULL)
        return;
    ledger_store_close(l);
    for (size_t i = 0; i < l->n_metrics; i++) {
        free(l->metrics[i].labels);
        free(l->metrics[i].labels_text);
        ledger_names_free(&l->metrics[i].names);
    }
    free(l->metrics);
    free(l->cells);
    free(l->used);
    free(l);
}

/* --- where an update goes ---------------------------------------------------
 */

void ledger_window(const struct ledger *l, int64_t now,
                   struct ledger_window *out)
{
    const struct tz *z = l->usage->zone;
    struct period_place at;
    out->retention_s = (int64_t)(l->usage->retention_ms / MS_PER_S);
    out->hourly_retention_s =
        (int64_t)(l->usage->hourly_retention_ms / MS_PER_S);
    /* The periods kept are those that end after now minus the retention:
     * the one holding that instant, and all after it. */
    period_place(z, now - out->retention_s, &at);
    out->first_day = at.day;
    out->first_hour = INT64_MAX;
    if (out->hourly_retention_s > 0) {
        period_place(z, now - out->hourly_retention_s, &at);
        out->first_hour = at.hour_start;
    }
}

void ledger_cut(struct ledger *l, int64_t now)
{
    struct ledger_window w;
    ledger_window(l, now, &w);
    l->first_day = w.first_day;
    l->first_hour = w.first_hour;
    l->spot = (struct ledger_spot){0, 0, 0, LEDGER_NONE};
}

/* Seconds to the num_fixed the hot path compares. */
static num_fixed fixed(int64_t s)
{
    return (num_fixed)s * NUM_ONE;
}

/*
 * Finds the period of when (not in the spot): its hour when that is
 * kept, else its day when that is, else none; and the stretch of time
 * that goes the same way, so the lines after it rarely come here.
 */
static __attribute__((noinline)) void locate(struct ledger *l, num_fixed when)
{
    int64_t t = (int64_t)(when / NUM_ONE);
    if (when % NUM_ONE < 0)
        t--;
    struct period_place at;
    period_place(l->usage->zone, t, &at);
    struct ledger_spot *s = &l->spot;
    if (at.day < l->first_day) {
        *s = (struct ledger_spot){fixed(at.day_start), fixed(at.day_end),
                                  at.day, LEDGER_NONE};
    } else if (at.hour_start >= l->first_hour) {
        *s = (struct ledger_spot){fixed(at.hour_start), fixed(at.hour_end),
                                  at.hour_start, LEDGER_HOURS};
    } else {
        /* The day's hours from first_hour on are kept as hours. */
        int64_t end = at.day_end < l->first_hour ? at.day_end : l->first_hour;
        *s = (struct ledger_spot){fixed(at.day_start), fixed(end), at.day,
                                  LEDGER_DAYS};
    }
}

static inline size_t cell_hash(const struct series *se, int64_t period,
                               uint8_t grain)
{
    uint64_t h = se->hash ^ ((uint64_t)period * CELL_MIX) ^ grain;
    return (size_t)(h ^ (h >> 32));
}

/* Doubles the cells' places; false on -ENOMEM (the update is lost, as a
 * series the registry cannot create is). */
static bool cells_grow(struct ledger *l)
{
    size_t cap = l->cap * 2;
    struct ledger_cell *cells = calloc(cap, sizeof(*cells));
    uint32_t *used = calloc(cap / 2, sizeof(*used));
    if (cells == NULL || used == NULL) {
        free(cells);
        free(used);
        return false;
    }
    for (size_t k = 0; k < l->n_used; k++) {
        const struct ledger_cell *c = &l->cells[l->used[k]];
        size_t i = cell_hash(c->se, c->period, c->grain) & (cap - 1);
        while (cells[i].se != NULL)
            i = (i + 1) & (cap - 1);
        cells[i] = *c;
        used[k] = (uint32_t)i;
    }
    free(l->cells);
    free(l->used);
    l->cells = cells;
    l->used = used;
    l->cap = cap;
    return true;
}

static __attribute__((noinline)) struct ledger_cell *
cell_new(struct ledger *l, size_t metric, const struct series *se,
         int64_t period, uint8_t grain)
{
    if ((l->n_used + 1) * 2 > l->cap && !cells_grow(l))
        return NULL;
    size_t mask = l->cap - 1;
    size_t i = cell_hash(se, period, grain) & mask;
    while (l->cells[i].se != NULL)
        i = (i + 1) & mask;
    struct ledger_cell *c = &l->cells[i];
    *c = (struct ledger_cell){0, se, period, 0, (uint32_t)metric, grain};
    l->used[l->n_used++] = (uint32_t)i;
    return c;
}

void ledger_observe(void *ctx, size_t metric, const struct series *se,
                    num_fixed when, num_fixed amount)
{
    struct ledger *l = ctx;
    if (when < l->spot.lo || when >= l->spot.hi)
        locate(l, when);
    if (l->spot.grain == LEDGER_NONE) {
        l->stats.too_old++;
        return;
    }
    int64_t period = l->spot.period;
    uint8_t grain = l->spot.grain;
    l->metrics[metric].heard++;
    size_t mask = l->cap - 1;
    struct ledger_cell *c;
    for (size_t i = cell_hash(se, period, grain) & mask;; i = (i + 1) & mask) {
        c = &l->cells[i];
        if (c->se == se && c->period == period && c->grain == grain)
            break;
        if (c->se == NULL) {
            c = cell_new(l, metric, se, period, grain);
            if (c == NULL)
                return;
            break;
        }
    }
    c->sum = ledger_add(c->sum, amount);
    c->count++;
}

/* --- a parallel backfill's ledgers ------------------------------------------
 */

int ledger_new_beside(const struct ledger *main, struct ledger **out)
{
    int rc = ledger_new(main->cfg, out);
    if (rc == 0) {
        (*out)->first_day = main->first_day;
        (*out)->first_hour = main->first_hour;
    }
    return rc;
}

int ledger_merge(struct ledger *dst, const struct ledger *src,
                 ledger_series_map map, void *ctx)
{
    for (size_t k = 0; k < src->n_used; k++) {
        const struct ledger_cell *s = &src->cells[src->used[k]];
        const struct series *se = map(ctx, s->metric, s->se);
        if (se == NULL)
            return -ENOENT;
        size_t mask = dst->cap - 1;
        struct ledger_cell *c;
        for (size_t i = cell_hash(se, s->period, s->grain) & mask;;
             i = (i + 1) & mask) {
            c = &dst->cells[i];
            if (c->se == se && c->period == s->period && c->grain == s->grain)
                break;
            if (c->se == NULL) {
                c = cell_new(dst, s->metric, se, s->period, s->grain);
                if (c == NULL)
                    return -ENOMEM;
                break;
            }
        }
        c->sum = ledger_add(c->sum, s->sum);
        c->count += s->count;
    }
    for (size_t i = 0; i < src->n_metrics; i++)
        dst->metrics[i].heard += src->metrics[i].heard;
    dst->stats.too_old += src->stats.too_old;
    return 0;
}

void ledger_cells_clear(struct ledger *l)
{
    size_t held = l->n_used, cap = CELLS_INITIAL;
    for (size_t k = 0; k < l->n_used; k++)
        l->cells[l->used[k]].se = NULL;
    l->n_used = 0;
    /* After a burst (a backlog read at start-up), room for four times
     * what was held is kept: enough not to grow again in steady state. */
    while (cap < held * CELLS_KEPT)
        cap *= 2;
    if (l->cap <= cap * CELLS_KEPT)
        return;
    struct ledger_cell *cells = calloc(cap, sizeof(*cells));
    uint32_t *used = calloc(cap / 2, sizeof(*used));
    if (cells == NULL || used == NULL) {
        free(cells);
        free(used);
        return;
    }
    free(l->cells);
    free(l->used);
    l->cells = cells;
    l->used = used;
    l->cap = cap;
}

/* --- series keys ----------------------------------------------------------
 */

void ledger_series_key(const struct series *se, const void **key, size_t *len,
                       uint64_t *hash)
{
    if (series_is_overflow(se)) {
        *key = LEDGER_OVERFLOW_KEY;
        *len = LEDGER_OVERFLOW_KEY_LEN;
        *hash = registry_hash(LEDGER_OVERFLOW_KEY, LEDGER_OVERFLOW_KEY_LEN);
    } else {
        /* The pipeline looked the series up by this very hash. */
        *key = se->key;
        *len = se->key_len;
        *hash = se->hash;
    }
}

/* --- what it keeps ----------------------------------------------------------
 */

const struct tz *ledger_zone(const struct ledger *l)
{
    return l->usage->zone;
}

size_t ledger_n_metrics(const struct ledger *l)
{
    return l->n_metrics;
}

void ledger_metric(const struct ledger *l, size_t metric,
                   struct ledger_metric_info *out)
{
    const struct ledger_metric *m = &l->metrics[metric];
    *out = (struct ledger_metric_info){m->cfg->name, m->cfg->type, m->labels,
                                       m->n_labels};
}

int ledger_find(const struct ledger *l, const char *name)
{
    for (size_t i = 0; i < l->n_metrics; i++)
        if (strcmp(l->metrics[i].cfg->name, name) == 0)
            return (int)i;
    return -1;
}

uint64_t ledger_heard(const struct ledger *l, size_t metric)
{
    return metric < l->n_metrics ? l->metrics[metric].heard : 0;
}

/* --- its own figures --------------------------------------------------------
 */

void ledger_get_stats(const struct ledger *l, struct ledger_stats *out)
{
    *out = l->stats;
    out->unsaved = l->n_used;
}

static const char *stats_read(const void *ctx, size_t i, void *stats)
{
    (void)i;
    ledger_get_stats(ctx, stats);
    return "";
}

static const char *grain_reason(int g)
{
    return ledger_grain_name((enum ledger_grain)g);
}

static const struct self_source source = {NULL, sizeof(struct ledger_stats),
                                          NULL, stats_read, false};
static const struct self_reasons by_grain = {"period", grain_reason, 0,
                                             LEDGER_GRAIN_COUNT};

static const struct self_row rows[] = {
    {.name = "tokentail_usage_unsaved_rows",
     .type = METRIC_GAUGE,
     .help = "Usage ledger rows (series and period) added to since the last "
             "checkpoint, held in memory until it saves them.",
     .source = &source,
     SELF_FIELD(struct ledger_stats, unsaved)},
    {.name = "tokentail_usage_rows_written",
     .type = METRIC_GAUGE,
     .help = "Usage ledger rows (series and period) the last checkpoint "
             "wrote.",
     .source = &source,
     SELF_FIELD(struct ledger_stats, written)},
    {.name = "tokentail_usage_rows_dropped_total",
     .type = METRIC_COUNTER,
     .help = "Usage ledger rows dropped because their period ended longer "
             "ago than the retention, by period.",
     .source = &source,
     SELF_BY(struct ledger_stats, dropped, &by_grain)},
    {.name = "tokentail_usage_too_old_total",
     .type = METRIC_COUNTER,
     .help = "Updates of usage metrics whose day was already past the "
             "retention: counted in their metric, not kept in the ledger.",
     .source = &source,
     SELF_FIELD(struct ledger_stats, too_old)},
};

int ledger_selfmetrics(struct ledger *l, struct selfmetrics *sm)
{
    return selfmetrics_add(sm, rows, sizeof(rows) / sizeof(*rows), l);
}
