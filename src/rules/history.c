/*
 * Series in an array of pointers, found by key through an open-addressing
 * table of indices; each series' samples contiguous (oldest first) from
 * an offset, so a selection hands the evaluator one slice.
 */
#include "history.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#define HISTORY_SLOTS_MIN   64 /* hash slots at first; a power of two */
#define HISTORY_SAMPLES_MIN 4  /* room for a new series' samples */

struct hseries {
    uint64_t id; /* stays with the series, for the store */
    bool saved;  /* its row is in the store */
    char *key;
    size_t len;
    uint64_t hash;
    struct labels labels;
    size_t label_bytes;
    int64_t seen_ms;         /* the last round that had it */
    struct promql_sample *s; /* s[off .. off + n) */
    size_t off, n, cap;
};

struct history {
    struct hseries **v;
    size_t n, cap;
    uint32_t *slots; /* index + 1 into v; 0: empty */
    size_t n_slots;
    int64_t keep_ms, t_ms, last_ms;
    size_t max_samples, samples, bytes;
    uint64_t dropped;
    uint64_t next_id;
    int64_t saved_ms; /* samples up to here are in the store */
    uint64_t *gone;   /* series forgotten since the last save */
    size_t n_gone, cap_gone;
    bool gone_lost; /* one could not be listed: the next save is whole */
};

static uint64_t hash_key(const char *k, size_t len)
{
    uint64_t h = 1469598103934665603ULL; /* FNV-1a */
    for (size_t i = 0; i < len; i++) {
        h ^= (unsigned char)k[i];
        h *= 1099511628211ULL;
    }
    return h;
}

int history_new(int64_t keep_ms, size_t max_samples, struct history **out)
{
    struct history *h = calloc(1, sizeof(*h));
    if (h == NULL)
        return -ENOMEM;
    h->keep_ms = keep_ms;
    h->max_samples = max_samples;
    h->t_ms = h->last_ms = h->saved_ms = INT64_MIN;
    h->next_id = 1;
    *out = h;
    return 0;
}

static void series_free(struct hseries *s)
{
    free(s->key);
    labels_free(&s->labels);
    free(s->s);
    free(s);
}

void history_free(struct history *h)
{
    if (h == NULL)
        return;
    for (size_t i = 0; i < h->n; i++)
        series_free(h->v[i]);
    free(h->v);
    free(h->slots);
    free(h->gone);
    free(h);
}

int64_t history_keep_ms(const struct history *h)
{
    return h->keep_ms;
}

/* Rebuilds the slots for the series now held, with room to grow. */
static int rehash(struct history *h)
{
    size_t n_slots = HISTORY_SLOTS_MIN;
    while (n_slots < (h->n + 1) * 2)
        n_slots *= 2;
    uint32_t *slots = calloc(n_slots, sizeof(*slots));
    if (slots == NULL)
        return -ENOMEM;
    for (size_t i = 0; i < h->n; i++) {
        size_t at = h->v[i]->hash & (n_slots - 1);
        while (slots[at] != 0)
            at = (at + 1) & (n_slots - 1);
        slots[at] = (uint32_t)(i + 1);
    }
    free(h->slots);
    h->slots = slots;
    h->n_slots = n_slots;
    return 0;
}

static struct hseries *find(const struct history *h, const char *key,
                            size_t len, uint64_t hash)
{
    if (h->n_slots == 0)
        return NULL;
    for (size_t at = hash & (h->n_slots - 1); h->slots[at] != 0;
         at = (at + 1) & (h->n_slots - 1)) {
        struct hseries *s = h->v[h->slots[at] - 1];
        if (s->hash == hash && s->len == len && memcmp(s->key, key, len) == 0)
            return s;
    }
    return NULL;
}

static size_t labels_bytes(const struct labels *ls)
{
    size_t b = ls->n * sizeof(*ls->v);
    for (size_t i = 0; i < ls->n; i++)
        b += strlen(ls->v[i].name) + strlen(ls->v[i].value) + 2;
    return b;
}

/* A new series for key with labels ls (taken). */
static struct hseries *add_series(struct history *h, const char *key,
                                  size_t len, uint64_t hash, struct labels *ls)
{
    struct hseries *s = calloc(1, sizeof(*s));
    if (s == NULL || (s->key = malloc(len ? len : 1)) == NULL)
        goto fail;
    if (h->n == h->cap) {
        size_t cap = h->cap ? h->cap * 2 : HISTORY_SLOTS_MIN;
        struct hseries **v = realloc(h->v, cap * sizeof(*v));
        if (v == NULL)
            goto fail;
        h->v = v;
        h->cap = cap;
    }
    memcpy(s->key, key, len);
    s->id = h->next_id++;
    s->len = len;
    s->hash = hash;
    s->labels = *ls;
    *ls = (struct labels){0};
    s->label_bytes = labels_bytes(&s->labels);
    h->v[h->n++] = s;
    if (h->n * 2 > h->n_slots && rehash(h) != 0) {
        h->n--;
        *ls = s->labels;
        s->labels = (struct labels){0};
        goto fail;
    }
    if (h->n_slots > 0 && find(h, key, len, hash) == NULL) {
        size_t at = hash & (h->n_slots - 1);
        while (h->slots[at] != 0)
            at = (at + 1) & (h->n_slots - 1);
        h->slots[at] = (uint32_t)h->n;
    }
    h->bytes += sizeof(*s) + len + s->label_bytes;
    return s;
fail:
    if (s != NULL)
        free(s->key);
    free(s);
    labels_free(ls);
    return NULL;
}

/* Appends a sample; false when over the cap or out of memory. */
static bool append(struct history *h, struct hseries *s, int64_t t, double v)
{
    if (s->n > 0 && s->s[s->off + s->n - 1].t_ms >= t)
        return true; /* a round already sampled: nothing new */
    if (h->samples >= h->max_samples) {
        h->dropped++;
        return true;
    }
    if (s->off + s->n == s->cap) {
        if (s->off > 0) {
            memmove(s->s, s->s + s->off, s->n * sizeof(*s->s));
            s->off = 0;
        } else {
            size_t cap = s->cap ? s->cap * 2 : HISTORY_SAMPLES_MIN;
            struct promql_sample *p = realloc(s->s, cap * sizeof(*p));
            if (p == NULL)
                return false;
            h->bytes += (cap - s->cap) * sizeof(*p);
            s->s = p;
            s->cap = cap;
        }
    }
    s->s[s->off + s->n++] = (struct promql_sample){t, v};
    h->samples++;
    return true;
}

void history_begin(struct history *h, int64_t t_ms)
{
    h->t_ms = t_ms;
}

int history_put(struct history *h, const char *key, size_t len, double v,
                int (*make)(void *ctx, struct labels *ls), void *ctx)
{
    uint64_t hash = hash_key(key, len);
    struct hseries *s = find(h, key, len, hash);
    if (s == NULL) {
        struct labels ls = {0};
        if (make(ctx, &ls) != 0)
            return -ENOMEM;
        if ((s = add_series(h, key, len, hash, &ls)) == NULL)
            return -ENOMEM;
    }
    s->seen_ms = h->t_ms;
    return append(h, s, h->t_ms, v) ? 0 : -ENOMEM;
}

/* Lets go of s's samples before from_ms; true when none is left. */
static bool trim(struct history *h, struct hseries *s, int64_t from_ms)
{
    while (s->n > 0 && s->s[s->off].t_ms < from_ms) {
        s->off++;
        s->n--;
        h->samples--;
    }
    if (s->n == 0)
        s->off = 0;
    return s->n == 0;
}

/* Lists a saved series as forgotten, for the next save. */
static void note_gone(struct history *h, uint64_t id)
{
    if (h->n_gone == h->cap_gone) {
        size_t cap = h->cap_gone ? h->cap_gone * 2 : HISTORY_SLOTS_MIN;
        uint64_t *v = realloc(h->gone, cap * sizeof(*v));
        if (v == NULL) {
            h->gone_lost = true;
            return;
        }
        h->gone = v;
        h->cap_gone = cap;
    }
    h->gone[h->n_gone++] = id;
}

/* Frees the series with no sample left and rebuilds the slots. */
static void forget_empty(struct history *h)
{
    size_t kept = 0;
    for (size_t i = 0; i < h->n; i++) {
        struct hseries *s = h->v[i];
        if (s->n > 0) {
            h->v[kept++] = s;
            continue;
        }
        h->bytes -=
            sizeof(*s) + s->len + s->label_bytes + s->cap * sizeof(*s->s);
        if (s->saved)
            note_gone(h, s->id);
        series_free(s);
    }
    if (kept == h->n)
        return;
    h->n = kept;
    if (rehash(h) != 0) {
        /* Without slots every series would look new: keep the old ones,
         * which still point at the right places after a rebuild. */
        free(h->slots);
        h->slots = NULL;
        h->n_slots = 0;
    }
}

void history_end(struct history *h)
{
    bool empty = false;
    for (size_t i = 0; i < h->n; i++) {
        struct hseries *s = h->v[i];
        if (s->n > 0 && s->seen_ms < h->t_ms &&
            !promql_is_stale(s->s[s->off + s->n - 1].v))
            append(h, s, h->t_ms, promql_stale());
        empty |= trim(h, s, h->t_ms - h->keep_ms);
    }
    if (empty)
        forget_empty(h);
    h->last_ms = h->t_ms;
}

static int select_series(void *ctx, const struct promql_matcher *m, size_t n,
                         int64_t from_ms, int64_t to_ms, promql_emit_fn emit,
                         void *arg)
{
    const struct history *h = ctx;
    for (size_t i = 0; i < h->n; i++) {
        const struct hseries *s = h->v[i];
        if (!promql_matchers_match(m, n, &s->labels))
            continue;
        const struct promql_sample *v = s->s + s->off;
        size_t a = promql_first_at(v, s->n, from_ms),
               b = promql_first_at(v, s->n, to_ms + 1);
        if (b <= a)
            continue;
        int rc = emit(arg, &s->labels, v + a, b - a);
        if (rc != 0)
            return rc;
    }
    return 0;
}

struct promql_source history_source(struct history *h)
{
    struct promql_source src = {select_series, h};
    return src;
}

void history_get_stats(const struct history *h, struct history_stats *out)
{
    out->series = h->n;
    out->samples = h->samples;
    out->bytes =
        h->bytes + h->cap * sizeof(*h->v) + h->n_slots * sizeof(*h->slots);
    out->dropped = h->dropped;
}

int history_changes(const struct history *h, const struct history_changes *c)
{
    bool whole = h->gone_lost;
    int64_t after =
        whole || h->saved_ms == INT64_MIN ? INT64_MIN : h->saved_ms + 1;
    int rc = whole ? c->clear(c->ctx) : 0;
    for (size_t i = 0; rc == 0 && !whole && i < h->n_gone; i++)
        rc = c->gone(c->ctx, h->gone[i]);
    for (size_t i = 0; rc == 0 && i < h->n; i++) {
        const struct hseries *s = h->v[i];
        const struct promql_sample *v = s->s + s->off;
        size_t from = promql_first_at(v, s->n, after);
        if (whole || !s->saved)
            rc = c->series(c->ctx, s->id, s->key, s->len, &s->labels);
        if (rc == 0 && from < s->n)
            rc = c->samples(c->ctx, s->id, v + from, s->n - from);
    }
    return rc;
}

bool history_changed(const struct history *h)
{
    return h->last_ms != h->saved_ms || h->n_gone > 0 || h->gone_lost;
}

void history_saved(struct history *h)
{
    for (size_t i = 0; i < h->n; i++)
        h->v[i]->saved = true;
    h->saved_ms = h->last_ms;
    h->n_gone = 0;
    h->gone_lost = false;
}

int64_t history_cutoff_ms(const struct history *h)
{
    return h->last_ms == INT64_MIN ? INT64_MIN : h->last_ms - h->keep_ms;
}

int history_restore(struct history *h, uint64_t id, const char *key, size_t len,
                    struct labels *ls, const struct promql_sample *s, size_t n,
                    int64_t now_ms)
{
    uint64_t hash = hash_key(key, len);
    if (find(h, key, len, hash) != NULL) {
        labels_free(ls);
        return 0;
    }
    struct hseries *hs = add_series(h, key, len, hash, ls);
    if (hs == NULL)
        return -ENOMEM;
    hs->id = id;
    hs->saved = true;
    if (h->next_id <= id)
        h->next_id = id + 1;
    for (size_t i = 0; i < n; i++) {
        if (s[i].t_ms < now_ms - h->keep_ms || s[i].t_ms > now_ms)
            continue;
        if (!append(h, hs, s[i].t_ms, s[i].v))
            return -ENOMEM;
        if (h->last_ms < s[i].t_ms)
            h->last_ms = h->saved_ms = s[i].t_ms;
        hs->seen_ms = s[i].t_ms;
    }
    if (hs->n == 0)
        forget_empty(h);
    return 0;
}
