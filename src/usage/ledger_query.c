/*
 * Reading the ledger: a query first gives every series of its metric a
 * group (by its values of the labels asked for, after its filter), the
 * stored series through their label names as stored, the cells' series
 * through the metric's current ones; then it adds the rows of a range of
 * periods, stored and unsaved, into their groups. A sum runs one range;
 * rows run one period at a time, in order.
 */
#include "ledger_private.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"

#define QUERY_TABLE_INITIAL 64   /* places in the groups' hash table */
#define GROUP_PLAIN         '\0' /* a group key's first byte, then its values */
#define GROUP_OVERFLOW      '\1' /* the overflow series: after the others */

/* Where each label a query names is among a label set's names. */
struct picks {
    int *want;  /* per wanted label: its index, or -1 */
    int *match; /* per match */
};

/* One stored label set of the metric. */
struct qdef {
    int64_t id;
    struct picks picks;
    int32_t *group; /* per series number: its group, or -1 */
    size_t n_series;
};

struct qgroup {
    struct ledger_amount amount;
    size_t key_at, key_len; /* in the query's keys */
    const char **values;    /* into keys, once they are all made */
    bool overflow, touched;
};

/* A cell that a query reads, and its group. */
struct qcell {
    const struct ledger_cell *cell;
    int32_t group;
};

struct query {
    struct ledger *l;
    const struct ledger_query *q;
    const struct ledger_metric *m;
    const char *const *want; /* the labels that make a group */
    size_t n_want;
    struct qdef *defs;
    size_t n_defs;
    struct qgroup *groups;
    size_t n_groups, cap_groups;
    uint32_t *table; /* group index + 1 by key hash; 0: free */
    size_t table_cap;
    struct buf keys, scratch;
    struct qcell *cells;
    size_t n_cells;
    size_t *order; /* the groups by key */
    const char **values;
};

/* --- groups -----------------------------------------------------------------
 */

static const char *group_key(const struct query *qy, const struct qgroup *g)
{
    return qy->keys.data + g->key_at;
}

static bool table_grow(struct query *qy)
{
    size_t cap = qy->table_cap ? qy->table_cap * 2 : QUERY_TABLE_INITIAL;
    uint32_t *t = calloc(cap, sizeof(*t));
    if (t == NULL)
        return false;
    for (size_t i = 0; i < qy->n_groups; i++) {
        const struct qgroup *g = &qy->groups[i];
        size_t j = registry_hash(group_key(qy, g), g->key_len) & (cap - 1);
        while (t[j] != 0)
            j = (j + 1) & (cap - 1);
        t[j] = (uint32_t)i + 1;
    }
    free(qy->table);
    qy->table = t;
    qy->table_cap = cap;
    return true;
}

/* The group whose key is in scratch, made if new; -1 on -ENOMEM. */
static int32_t group_of(struct query *qy)
{
    const char *key = qy->scratch.data;
    size_t len = qy->scratch.len;
    if (qy->scratch.oom ||
        ((qy->n_groups + 1) * 2 > qy->table_cap && !table_grow(qy)))
        return -1;
    size_t mask = qy->table_cap - 1, j = registry_hash(key, len) & mask;
    for (; qy->table[j] != 0; j = (j + 1) & mask) {
        const struct qgroup *g = &qy->groups[qy->table[j] - 1];
        if (g->key_len == len && memcmp(group_key(qy, g), key, len) == 0)
            return (int32_t)(qy->table[j] - 1);
    }
    if (qy->n_groups == qy->cap_groups) {
        size_t cap = qy->cap_groups ? qy->cap_groups * 2 : 16;
        struct qgroup *g = realloc(qy->groups, cap * sizeof(*g));
        if (g == NULL)
            return -1;
        qy->groups = g;
        qy->cap_groups = cap;
    }
    struct qgroup *g = &qy->groups[qy->n_groups];
    *g = (struct qgroup){.key_at = qy->keys.len,
                         .key_len = len,
                         .overflow = key[0] == GROUP_OVERFLOW};
    buf_append(&qy->keys, key, len);
    if (qy->keys.oom)
        return -1;
    qy->table[j] = (uint32_t)++qy->n_groups;
    return (int32_t)(qy->n_groups - 1);
}

/* A series' value of the label at index at of its names: "" for a label
 * it lacks (at -1) and for the overflow series. */
static const char *value_at(const char *const *values, int at, bool overflow)
{
    return at >= 0 && !overflow && values[at] != NULL ? values[at] : "";
}

/*
 * The group of a series whose label values are values (n of them, in the
 * order picks was made for), or of the overflow series: -2 when the
 * query's matches leave it out, -1 on -ENOMEM.
 */
static int32_t series_group(struct query *qy, const struct picks *p,
                            const char *const *values, bool overflow)
{
    if (overflow && qy->q->n_match > 0)
        return -2;
    for (size_t i = 0; i < qy->q->n_match; i++)
        if (strcmp(value_at(values, p->match[i], overflow),
                   qy->q->match[i].value) != 0)
            return -2;
    buf_reset(&qy->scratch);
    buf_putc(&qy->scratch, overflow ? GROUP_OVERFLOW : GROUP_PLAIN);
    for (size_t i = 0; i < qy->n_want; i++) {
        buf_puts(&qy->scratch, value_at(values, p->want[i], overflow));
        buf_putc(&qy->scratch, '\0');
    }
    return group_of(qy);
}

/* Splits a stored key into n values; false when it does not hold n. */
static bool split_key(const char *key, size_t len, size_t n,
                      const char **values)
{
    size_t at = 0;
    for (size_t i = 0; i < n; i++) {
        const char *end = at < len ? memchr(key + at, '\0', len - at) : NULL;
        if (end == NULL)
            return false;
        values[i] = key + at;
        at = (size_t)(end - key) + 1;
    }
    return at == len;
}

/* --- label sets -------------------------------------------------------------
 */

static int name_index(const char *const *names, size_t n, const char *name)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp(names[i], name) == 0)
            return (int)i;
    return -1;
}

static int picks_make(const struct query *qy, const char *const *names,
                      size_t n, struct picks *p)
{
    p->want = calloc(qy->n_want + 1, sizeof(*p->want));
    p->match = calloc(qy->q->n_match + 1, sizeof(*p->match));
    if (p->want == NULL || p->match == NULL)
        return -ENOMEM;
    for (size_t i = 0; i < qy->n_want; i++)
        p->want[i] = name_index(names, n, qy->want[i]);
    for (size_t i = 0; i < qy->q->n_match; i++)
        p->match[i] = name_index(names, n, qy->q->match[i].label);
    return 0;
}

/* Room for the groups of n series, none of them in a group yet. */
static int groups_room(struct qdef *d, size_t n)
{
    d->n_series = n;
    d->group = malloc(n * sizeof(*d->group));
    if (d->group == NULL)
        return -ENOMEM;
    for (size_t i = 0; i < n; i++)
        d->group[i] = -2;
    return 0;
}

/* Reading a record of a label set's series: each one's group. */
struct def_keys {
    struct query *qy;
    struct qdef *d;
    size_t n_labels;
    size_t first; /* the number of the record's first series */
};

static int def_key(void *ctx, size_t slot, const char *key, size_t len)
{
    struct def_keys *dk = ctx;
    const char *values[CONFIG_MAX_LABELS] = {0};
    size_t n = dk->first + slot;
    bool overflow = len == LEDGER_OVERFLOW_KEY_LEN &&
                    memcmp(key, LEDGER_OVERFLOW_KEY, len) == 0;
    /* A key not of this label set is left out. */
    if (n >= dk->d->n_series ||
        (!overflow && !split_key(key, len, dk->n_labels, values)))
        return 0;
    int32_t g = series_group(dk->qy, &dk->d->picks, values, overflow);
    dk->d->group[n] = g;
    return g == -1 ? -ENOMEM : 0;
}

/* The groups of a stored label set's series (labels: "a,b"). */
static int def_series(struct query *qy, sqlite3 *db, struct qdef *d,
                      const char *labels)
{
    const char *names[CONFIG_MAX_LABELS];
    struct def_keys dk = {qy, d, 0, 0};
    char *text = strdup(labels);
    if (text == NULL)
        return -ENOMEM;
    for (char *save = NULL, *t = strtok_r(text, ",", &save);
         t != NULL && dk.n_labels < CONFIG_MAX_LABELS;
         t = strtok_r(NULL, ",", &save))
        names[dk.n_labels++] = t;
    int rc = picks_make(qy, names, dk.n_labels, &d->picks);
    free(text); /* picks hold indices, not names */
    sqlite3_stmt *st = NULL;
    if (rc != 0 || sqlite3_prepare_v2(db,
                                      "SELECT chunk, keys FROM ledger_series "
                                      "WHERE metric = ?1 ORDER BY chunk DESC",
                                      -1, &st, NULL) != SQLITE_OK)
        return rc != 0 ? rc : -EIO;
    sqlite3_bind_int64(st, 1, d->id);
    while (rc == 0 && (rc = sqlite3_step(st)) == SQLITE_ROW) {
        int64_t chunk = sqlite3_column_int64(st, 0);
        rc = 0;
        if (chunk < 0 || chunk >= INT32_MAX / LEDGER_CHUNK)
            continue;
        /* The last record comes first: room for every series. */
        if (d->group == NULL &&
            (rc = groups_room(d, (size_t)(chunk + 1) * LEDGER_CHUNK)) != 0)
            break;
        dk.first = (size_t)chunk * LEDGER_CHUNK;
        rc = ledger_names_decode(sqlite3_column_blob(st, 1),
                                 (size_t)sqlite3_column_bytes(st, 1), def_key,
                                 &dk);
        if (rc == -EBADMSG)
            rc = 0; /* a damaged record: its series are left out */
    }
    sqlite3_finalize(st);
    return rc == 0 || rc == SQLITE_DONE ? 0 : rc > 0 ? -EIO : rc;
}

/* Every label set stored for the metric, with its series' groups. */
static int load_defs(struct query *qy, sqlite3 *db)
{
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v2(db,
                           "SELECT id, labels FROM ledger_metrics WHERE "
                           "metric = ?1 AND type = ?2",
                           -1, &st, NULL) != SQLITE_OK)
        return -EIO;
    sqlite3_bind_text(st, 1, qy->m->cfg->name, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, metric_type_name(qy->m->cfg->type), -1,
                      SQLITE_STATIC);
    int rc = 0;
    while (rc == 0 && sqlite3_step(st) == SQLITE_ROW) {
        struct qdef *defs =
            realloc(qy->defs, (qy->n_defs + 1) * sizeof(*qy->defs));
        if (defs == NULL) {
            rc = -ENOMEM;
            break;
        }
        qy->defs = defs;
        struct qdef d = {.id = sqlite3_column_int64(st, 0)};
        const char *labels = (const char *)sqlite3_column_text(st, 1);
        rc = def_series(qy, db, &d, labels ? labels : "");
        defs[qy->n_defs++] = d; /* freed with the query, whatever rc */
    }
    sqlite3_finalize(st);
    return rc;
}

/* The cells of the metric not saved yet, with their groups. */
static int load_cells(struct query *qy)
{
    const struct ledger *l = qy->l;
    const char *values[CONFIG_MAX_LABELS] = {0};
    struct picks p;
    int rc = picks_make(qy, qy->m->labels, qy->m->n_labels, &p);
    qy->cells = calloc(l->n_used + 1, sizeof(*qy->cells));
    if (qy->cells == NULL)
        rc = -ENOMEM;
    for (size_t k = 0; rc == 0 && k < l->n_used; k++) {
        const struct ledger_cell *c = &l->cells[l->used[k]];
        bool overflow = series_is_overflow(c->se);
        if (c->metric != qy->q->metric ||
            (!overflow &&
             !split_key(c->se->key, c->se->key_len, qy->m->n_labels, values)))
            continue;
        int32_t g = series_group(qy, &p, values, overflow);
        if (g == -1)
            rc = -ENOMEM;
        else if (g >= 0)
            qy->cells[qy->n_cells++] = (struct qcell){c, g};
    }
    free(p.want);
    free(p.match);
    return rc;
}

/* --- adding rows ------------------------------------------------------------
 */

/* A grain's rows in a range of periods: its table, and its period column
 * twice. */
static const char range_sql[] =
    "SELECT chunk, data FROM %s WHERE metric = ?1 AND %s >= ?2 AND %s < ?3";
#define SQL_MAX 160 /* bytes of a statement with its table's names */

/* Prepares the statement sql says with the names that follow. */
static __attribute__((format(printf, 3, 4))) int
prepare(sqlite3 *db, sqlite3_stmt **st, const char *sql, ...)
{
    char text[SQL_MAX];
    va_list ap;
    va_start(ap, sql);
    vsnprintf(text, sizeof(text), sql, ap);
    va_end(ap);
    return sqlite3_prepare_v2(db, text, -1, st, NULL) == SQLITE_OK ? 0 : -EIO;
}

static void add(struct qgroup *g, num_fixed sum, uint64_t count)
{
    g->amount.sum = ledger_add(g->amount.sum, sum);
    g->amount.count += count;
    g->touched = true;
}

/* Adds the stored rows of def d in [from, to) to their groups. */
static int add_stored(struct query *qy, sqlite3 *db, const struct qdef *d,
                      int64_t from, int64_t to)
{
    sqlite3_stmt *st = NULL;
    struct ledger_slot slots[LEDGER_CHUNK];
    const struct ledger_table *t = &ledger_tables[qy->q->grain];
    if (prepare(db, &st, range_sql, t->table, t->period, t->period) != 0)
        return -EIO;
    sqlite3_bind_int64(st, 1, d->id);
    sqlite3_bind_int64(st, 2, from);
    sqlite3_bind_int64(st, 3, to);
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        int64_t chunk = sqlite3_column_int64(st, 0);
        if (chunk < 0 || ledger_chunk_decode(
                             sqlite3_column_blob(st, 1),
                             (size_t)sqlite3_column_bytes(st, 1), slots) != 0)
            continue;
        for (size_t i = 0; i < LEDGER_CHUNK; i++) {
            size_t n = (size_t)chunk * LEDGER_CHUNK + i;
            if (slots[i].used && n < d->n_series && d->group[n] >= 0)
                add(&qy->groups[d->group[n]], slots[i].sum, slots[i].count);
        }
    }
    sqlite3_finalize(st);
    return rc == SQLITE_DONE ? 0 : -EIO;
}

/* The period of the query's grain a cell adds to, or false. */
static bool cell_period(const struct query *qy, const struct ledger_cell *c,
                        int64_t *period)
{
    if (qy->q->grain == LEDGER_HOURS) {
        *period = c->period;
        return c->grain == LEDGER_HOURS;
    }
    *period = c->grain == LEDGER_DAYS
                  ? c->period
                  : tz_day_of(qy->l->usage->zone, c->period);
    return true;
}

/* Adds every row in [from, to), stored or not, to its group. */
static int run(struct query *qy, int64_t from, int64_t to)
{
    sqlite3 *db = ledger_store_db(qy->l);
    for (size_t i = 0; i < qy->n_groups; i++) {
        qy->groups[i].amount = (struct ledger_amount){0, 0};
        qy->groups[i].touched = false;
    }
    for (size_t i = 0; i < qy->n_defs; i++) {
        int rc = add_stored(qy, db, &qy->defs[i], from, to);
        if (rc != 0)
            return rc;
    }
    for (size_t i = 0; i < qy->n_cells; i++) {
        const struct ledger_cell *c = qy->cells[i].cell;
        int64_t p;
        if (cell_period(qy, c, &p) && p >= from && p < to)
            add(&qy->groups[qy->cells[i].group], c->sum,
                c->count * (qy->m->cfg->type == METRIC_HISTOGRAM));
    }
    return 0;
}

/* --- the query --------------------------------------------------------------
 */

static const struct query *sorting; /* qsort has no context argument */

static int order_cmp(const void *a, const void *b)
{
    const struct qgroup *x = &sorting->groups[*(const size_t *)a];
    const struct qgroup *y = &sorting->groups[*(const size_t *)b];
    size_t n = x->key_len < y->key_len ? x->key_len : y->key_len;
    int c = memcmp(group_key(sorting, x), group_key(sorting, y), n);
    return c != 0 ? c : (x->key_len > y->key_len) - (x->key_len < y->key_len);
}

/* Orders the groups and points their values into the keys. */
static int finish(struct query *qy)
{
    qy->order = calloc(qy->n_groups + 1, sizeof(*qy->order));
    qy->values = calloc(qy->n_groups * qy->n_want + 1, sizeof(*qy->values));
    if (qy->order == NULL || qy->values == NULL)
        return -ENOMEM;
    for (size_t i = 0; i < qy->n_groups; i++) {
        struct qgroup *g = &qy->groups[i];
        const char *v = group_key(qy, g) + 1;
        g->values = qy->values + i * qy->n_want;
        for (size_t k = 0; k < qy->n_want; k++, v += strlen(v) + 1)
            g->values[k] = v;
        qy->order[i] = i;
    }
    sorting = qy;
    qsort(qy->order, qy->n_groups, sizeof(*qy->order), order_cmp);
    sorting = NULL;
    return 0;
}

static void query_free(struct query *qy)
{
    sqlite3 *db = ledger_store_db(qy->l);
    for (size_t i = 0; i < qy->n_defs; i++) {
        free(qy->defs[i].picks.want);
        free(qy->defs[i].picks.match);
        free(qy->defs[i].group);
    }
    free(qy->defs);
    free(qy->groups);
    free(qy->table);
    buf_free(&qy->keys);
    buf_free(&qy->scratch);
    free(qy->cells);
    free(qy->order);
    free(qy->values);
    /* The read transaction query_start began, if it did. */
    if (db != NULL && !sqlite3_get_autocommit(db))
        sqlite3_exec(db, "COMMIT", NULL, NULL, NULL);
}

/* Gives every series of the query's metric its group; the stored ones in
 * one read transaction, which query_free ends. */
static int query_start(struct query *qy, struct ledger *l,
                       const struct ledger_query *q, const char *const *want,
                       size_t n_want)
{
    *qy = (struct query){.l = l, .q = q, .want = want, .n_want = n_want};
    if (q->metric >= l->n_metrics)
        return -EINVAL;
    qy->m = &l->metrics[q->metric];
    sqlite3 *db = ledger_store_db(l);
    int rc = 0;
    if (db != NULL && sqlite3_get_autocommit(db) &&
        sqlite3_exec(db, "BEGIN", NULL, NULL, NULL) != SQLITE_OK)
        rc = -EIO;
    if (rc == 0 && db != NULL)
        rc = load_defs(qy, db);
    if (rc == 0)
        rc = load_cells(qy);
    if (rc == 0)
        rc = finish(qy);
    if (rc == -EIO)
        log_error("usage ledger: cannot read: %s",
                  db ? sqlite3_errmsg(db) : "no database");
    return rc;
}

/* The answer of a sum: one allocation holding the groups and their
 * values, in order. */
static int sums_make(const struct query *qy, struct ledger_sums **out)
{
    size_t n = qy->q->n_by > 0 ? qy->n_groups : 0;
    size_t size = sizeof(struct ledger_sums) + n * sizeof(struct ledger_group) +
                  n * qy->n_want * sizeof(char *) + qy->keys.len;
    struct ledger_sums *s = calloc(1, size);
    if (s == NULL)
        return -ENOMEM;
    s->groups = (struct ledger_group *)(s + 1);
    const char **values = (const char **)(s->groups + n);
    char *keys = (char *)(values + n * qy->n_want);
    if (qy->keys.len > 0)
        memcpy(keys, qy->keys.data, qy->keys.len);
    for (size_t i = 0; i < qy->n_groups; i++) {
        const struct qgroup *g = &qy->groups[qy->order[i]];
        if (!g->touched)
            continue;
        s->total.sum = ledger_add(s->total.sum, g->amount.sum);
        s->total.count += g->amount.count;
        if (n == 0)
            continue;
        struct ledger_group *to = &s->groups[s->n_groups++];
        to->values = values;
        for (size_t k = 0; k < qy->n_want; k++)
            *values++ = keys + (g->values[k] - qy->keys.data);
        to->overflow = g->overflow;
        to->amount = g->amount;
    }
    *out = s;
    return 0;
}

int ledger_sum(struct ledger *l, const struct ledger_query *q,
               struct ledger_sums **out)
{
    struct query qy;
    *out = NULL;
    int rc = query_start(&qy, l, q, q->by, q->n_by);
    if (rc == 0)
        rc = run(&qy, q->from, q->to);
    if (rc == 0)
        rc = sums_make(&qy, out);
    query_free(&qy);
    return rc;
}

void ledger_sums_free(struct ledger_sums *s)
{
    free(s);
}

/* --- rows -------------------------------------------------------------------
 */

/* The periods of a grain's rows in a range: its period column, its
 * table, the column twice again. */
static const char periods_sql[] = "SELECT DISTINCT %s FROM %s WHERE metric "
                                  "= ?1 AND %s >= ?2 AND %s < ?3";

struct periods {
    int64_t *p;
    size_t n, cap;
};

static bool periods_add(struct periods *ps, int64_t p)
{
    if (ps->n == ps->cap) {
        size_t cap = ps->cap ? ps->cap * 2 : 64;
        int64_t *n = realloc(ps->p, cap * sizeof(*n));
        if (n == NULL)
            return false;
        ps->p = n;
        ps->cap = cap;
    }
    ps->p[ps->n++] = p;
    return true;
}

static int period_cmp(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return (x > y) - (x < y);
}

/* Every period of the query's range that has a row, in order, once. */
static int periods_of(const struct query *qy, struct periods *ps)
{
    sqlite3 *db = ledger_store_db(qy->l);
    int rc = 0;
    for (size_t i = 0; rc == 0 && i < qy->n_defs; i++) {
        sqlite3_stmt *st = NULL;
        const struct ledger_table *t = &ledger_tables[qy->q->grain];
        if (prepare(db, &st, periods_sql, t->period, t->table, t->period,
                    t->period) != 0)
            return -EIO;
        sqlite3_bind_int64(st, 1, qy->defs[i].id);
        sqlite3_bind_int64(st, 2, qy->q->from);
        sqlite3_bind_int64(st, 3, qy->q->to);
        while (rc == 0 && (rc = sqlite3_step(st)) == SQLITE_ROW)
            rc = periods_add(ps, sqlite3_column_int64(st, 0)) ? 0 : -ENOMEM;
        sqlite3_finalize(st);
        rc = rc == SQLITE_DONE ? 0 : rc > 0 ? -EIO : rc;
    }
    for (size_t i = 0; rc == 0 && i < qy->n_cells; i++) {
        int64_t p;
        if (cell_period(qy, qy->cells[i].cell, &p) && p >= qy->q->from &&
            p < qy->q->to && !periods_add(ps, p))
            rc = -ENOMEM;
    }
    if (ps->n > 0)
        qsort(ps->p, ps->n, sizeof(*ps->p), period_cmp);
    size_t kept = 0;
    for (size_t i = 0; i < ps->n; i++)
        if (kept == 0 || ps->p[kept - 1] != ps->p[i])
            ps->p[kept++] = ps->p[i];
    ps->n = kept;
    return rc;
}

/* Calls fn for each group with rows in period p, in order. */
static int emit(const struct query *qy, int64_t p,
                int (*fn)(void *ctx, const struct ledger_row *row), void *ctx)
{
    const struct tz *z = qy->l->usage->zone;
    struct ledger_row row = {.day = p};
    if (qy->q->grain == LEDGER_DAYS) {
        row.start = tz_day_start(z, p);
        row.end = tz_day_start(z, p + 1);
    } else {
        struct period_place at;
        period_place(z, p, &at);
        row =
            (struct ledger_row){.start = p, .end = at.hour_end, .day = at.day};
    }
    for (size_t i = 0; i < qy->n_groups; i++) {
        const struct qgroup *g = &qy->groups[qy->order[i]];
        if (!g->touched)
            continue;
        row.values = g->values;
        row.overflow = g->overflow;
        row.amount = g->amount;
        row.group = i;
        int rc = fn(ctx, &row);
        if (rc != 0)
            return rc;
    }
    return 0;
}

/* Calls fn for each group of the labels want in each period, in order. */
static int rows_of(struct ledger *l, const struct ledger_query *q,
                   const char *const *want, size_t n_want,
                   int (*fn)(void *ctx, const struct ledger_row *row),
                   void *ctx)
{
    struct query qy;
    struct periods ps = {0};
    int rc = query_start(&qy, l, q, want, n_want);
    if (rc == 0)
        rc = periods_of(&qy, &ps);
    for (size_t i = 0; rc == 0 && i < ps.n; i++)
        if ((rc = run(&qy, ps.p[i], ps.p[i] + 1)) == 0)
            rc = emit(&qy, ps.p[i], fn, ctx);
    free(ps.p);
    query_free(&qy);
    return rc;
}

int ledger_rows(struct ledger *l, const struct ledger_query *q,
                int (*fn)(void *ctx, const struct ledger_row *row), void *ctx)
{
    const char *const *labels =
        q->metric < l->n_metrics ? l->metrics[q->metric].labels : NULL;
    size_t n = q->metric < l->n_metrics ? l->metrics[q->metric].n_labels : 0;
    return rows_of(l, q, labels, n, fn, ctx);
}

int ledger_sum_periods(struct ledger *l, const struct ledger_query *q,
                       int (*fn)(void *ctx, const struct ledger_row *row),
                       void *ctx)
{
    return rows_of(l, q, q->by, q->n_by, fn, ctx);
}
