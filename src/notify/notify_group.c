/*
 * Groups are kept in an array and found by a linear search: a webhook
 * has as many groups as its rules have distinct group_by values, a few
 * dozen at most in practice, and NOTIFY_MAX_GROUPS bounds the worst.
 */
#include "notify_group.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

/* An alert copied into one block of memory. */
struct kept {
    struct notify_alert a;
    uint64_t fp;
    void *mem;
};

struct group {
    char **values; /* the group_by labels' values, "" when absent */
    struct notify_label *labels; /* groupLabels: the non-empty ones, sorted */
    size_t n_labels;
    char *key;           /* {}:{alertname="X"} */
    struct kept *alerts; /* in the order they came */
    size_t n, cap;
    int64_t last_sent_ms; /* -1: never */
    bool changed;         /* since the last message */
};

struct notify_groups {
    const struct cfg_receiver *r;
    const char *external_url;
    struct group *groups;
    size_t n, cap;
    struct notify_alert *scratch; /* a message's alerts */
};

static size_t labels_size(const struct notify_label *l, size_t n)
{
    size_t sz = n * sizeof(*l);
    for (size_t i = 0; i < n; i++)
        sz += strlen(l[i].name) + strlen(l[i].value) + 2;
    return sz;
}

/* Copies the texts of n labels from src to p, pointed to by dst; returns
 * where the next text goes. */
static char *copy_texts(char *p, struct notify_label *dst,
                        const struct notify_label *src, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        size_t x = strlen(src[i].name) + 1, y = strlen(src[i].value) + 1;
        dst[i].name = memcpy(p, src[i].name, x);
        dst[i].value = memcpy(p + x, src[i].value, y);
        p += x + y;
    }
    return p;
}

static int keep(struct kept *k, const struct notify_alert *a)
{
    const char *url = a->generator_url ? a->generator_url : "";
    size_t sz = labels_size(a->labels, a->n_labels) +
                labels_size(a->annotations, a->n_annotations) + strlen(url) + 1;
    struct notify_label *arrays = malloc(sz);
    if (arrays == NULL)
        return -ENOMEM;
    /* Both arrays first (aligned as malloc's memory), then the texts. */
    struct notify_label *ls = arrays, *as = arrays + a->n_labels;
    char *p = (char *)(as + a->n_annotations);
    p = copy_texts(p, ls, a->labels, a->n_labels);
    p = copy_texts(p, as, a->annotations, a->n_annotations);
    free(k->mem);
    k->a = *a;
    k->a.labels = ls;
    k->a.annotations = as;
    k->a.generator_url = memcpy(p, url, strlen(url) + 1);
    k->mem = arrays;
    k->fp = notify_fingerprint(a->labels, a->n_labels);
    return 0;
}

int notify_groups_new(const struct cfg_receiver *r, const char *external_url,
                      struct notify_groups **out)
{
    struct notify_groups *g = calloc(1, sizeof(*g));
    if (g == NULL)
        return -ENOMEM;
    g->r = r;
    g->external_url = external_url ? external_url : "";
    *out = g;
    return 0;
}

static void group_free(struct group *gr, size_t n_by)
{
    for (size_t i = 0; i < gr->n; i++)
        free(gr->alerts[i].mem);
    for (size_t i = 0; gr->values != NULL && i < n_by; i++)
        free(gr->values[i]);
    free(gr->values);
    free(gr->labels);
    free(gr->key);
    free(gr->alerts);
}

void notify_groups_free(struct notify_groups *g)
{
    if (g == NULL)
        return;
    for (size_t i = 0; i < g->n; i++)
        group_free(&g->groups[i], g->r->n_group_by);
    free(g->groups);
    free(g->scratch);
    free(g);
}

size_t notify_groups_count(const struct notify_groups *g)
{
    return g->n;
}

static const char *by_value(const struct notify_groups *g,
                            const struct notify_alert *a, size_t i)
{
    const char *v = notify_label_get(a->labels, a->n_labels, g->r->group_by[i]);
    return v ? v : "";
}

static struct group *find(struct notify_groups *g, const struct notify_alert *a)
{
    for (size_t k = 0; k < g->n; k++) {
        bool same = true;
        for (size_t i = 0; i < g->r->n_group_by && same; i++)
            same = strcmp(g->groups[k].values[i], by_value(g, a, i)) == 0;
        if (same)
            return &g->groups[k];
    }
    return NULL;
}

static int by_label_name(const void *x, const void *y)
{
    return strcmp(((const struct notify_label *)x)->name,
                  ((const struct notify_label *)y)->name);
}

/* The group key, Alertmanager's for its root route: {}:{a="1", b="2"}. */
static char *group_key(const struct group *gr)
{
    struct buf b = {0};
    buf_puts(&b, "{}:{");
    for (size_t i = 0; i < gr->n_labels; i++) {
        buf_printf(&b, "%s%s=", i > 0 ? ", " : "", gr->labels[i].name);
        buf_json_string(&b, gr->labels[i].value, strlen(gr->labels[i].value));
    }
    buf_putc(&b, '}');
    return b.oom ? (buf_free(&b), NULL) : buf_release(&b, NULL);
}

/* Makes room for one more of n items of size bytes in *items (*cap of
 * them), doubling it when full; false on -ENOMEM. */
static bool room(void **items, size_t *cap, size_t n, size_t size)
{
    if (n < *cap && *items != NULL)
        return true;
    size_t more = *cap ? 2 * *cap : 4;
    void *p = realloc(*items, more * size);
    if (p == NULL)
        return false;
    *items = p;
    *cap = more;
    return true;
}

/* A new group for a's values, with no alert yet; NULL on -ENOMEM. */
static struct group *add_group(struct notify_groups *g,
                               const struct notify_alert *a)
{
    size_t nb = g->r->n_group_by;
    if (!room((void **)&g->groups, &g->cap, g->n, sizeof(*g->groups)))
        return NULL;
    struct group *gr = &g->groups[g->n];
    *gr = (struct group){.last_sent_ms = -1};
    gr->values = calloc(nb ? nb : 1, sizeof(*gr->values));
    gr->labels = calloc(nb ? nb : 1, sizeof(*gr->labels));
    bool ok = gr->values != NULL && gr->labels != NULL;
    for (size_t i = 0; ok && i < nb; i++) {
        ok = (gr->values[i] = strdup(by_value(g, a, i))) != NULL;
        if (ok && gr->values[i][0] != '\0')
            gr->labels[gr->n_labels++] =
                (struct notify_label){g->r->group_by[i], gr->values[i]};
    }
    if (ok) {
        qsort(gr->labels, gr->n_labels, sizeof(*gr->labels), by_label_name);
        ok = (gr->key = group_key(gr)) != NULL;
    }
    if (!ok) {
        group_free(gr, nb);
        return NULL;
    }
    g->n++;
    return gr;
}

/* The alert with fingerprint fp in gr; NULL when it holds none. */
static struct kept *find_alert(struct group *gr, uint64_t fp)
{
    for (size_t i = 0; i < gr->n; i++)
        if (gr->alerts[i].fp == fp)
            return &gr->alerts[i];
    return NULL;
}

static struct kept *add_alert(struct group *gr)
{
    if (!room((void **)&gr->alerts, &gr->cap, gr->n, sizeof(*gr->alerts)))
        return NULL;
    gr->alerts[gr->n] = (struct kept){0};
    return &gr->alerts[gr->n++];
}

int notify_groups_update(struct notify_groups *g, const struct notify_alert *a,
                         int64_t now_ms)
{
    (void)now_ms;
    struct group *gr = find(g, a);
    struct kept *k = NULL;
    if (gr != NULL)
        k = find_alert(gr, notify_fingerprint(a->labels, a->n_labels));
    if (k != NULL) {
        gr->changed |= k->a.state != a->state;
        return keep(k, a);
    }
    if (a->state == NOTIFY_RESOLVED)
        return 0;
    if (gr == NULL && g->n == NOTIFY_MAX_GROUPS)
        return 1;
    if (gr == NULL && (gr = add_group(g, a)) == NULL)
        return -ENOMEM;
    if (gr->n == NOTIFY_MAX_GROUP_ALERTS)
        return 1;
    if ((k = add_alert(gr)) == NULL)
        return -ENOMEM;
    if (keep(k, a) != 0) {
        gr->n--;
        return -ENOMEM;
    }
    gr->changed = true;
    return 0;
}

/* Firing alerts past their endsAt resolve then. */
static void expire(struct group *gr, int64_t now_ms)
{
    for (size_t i = 0; i < gr->n; i++) {
        struct notify_alert *a = &gr->alerts[i].a;
        if (a->state == NOTIFY_FIRING && a->ends_at_ms > 0 &&
            a->ends_at_ms <= now_ms) {
            a->state = NOTIFY_RESOLVED;
            gr->changed = true;
        }
    }
}

/* Sends gr's message: firing alerts first; then forgets resolved ones. */
static void send_group(struct notify_groups *g, struct group *gr,
                       int64_t now_ms,
                       void (*emit)(void *, const struct notify_message *),
                       void *ctx)
{
    struct notify_alert *list = realloc(g->scratch, gr->n * sizeof(*list));
    size_t n = 0;
    if (list == NULL)
        return; /* tried again at the next flush */
    g->scratch = list;
    for (int pass = 0; pass < 2; pass++)
        for (size_t i = 0; i < gr->n; i++)
            if ((gr->alerts[i].a.state == NOTIFY_FIRING) == (pass == 0))
                list[n++] = gr->alerts[i].a;
    struct notify_message m = {
        .receiver = g->r->name,
        .external_url = g->external_url,
        .group_key = gr->key,
        .group_labels = gr->labels,
        .n_group_labels = gr->n_labels,
        .alerts = list,
        .n_alerts = n,
    };
    emit(ctx, &m);
    gr->last_sent_ms = now_ms;
    gr->changed = false;
    size_t kept = 0;
    for (size_t i = 0; i < gr->n; i++) {
        if (gr->alerts[i].a.state == NOTIFY_RESOLVED)
            free(gr->alerts[i].mem);
        else
            gr->alerts[kept++] = gr->alerts[i];
    }
    gr->n = kept;
}

int64_t
notify_groups_flush(struct notify_groups *g, int64_t now_ms, bool no_wait,
                    void (*emit)(void *ctx, const struct notify_message *m),
                    void *ctx)
{
    int64_t next = -1;
    int64_t every = (int64_t)g->r->repeat_interval_ms;
    for (size_t k = 0; k < g->n;) {
        struct group *gr = &g->groups[k];
        expire(gr, now_ms);
        int64_t due = gr->last_sent_ms < 0 || (no_wait && gr->changed)
                          ? now_ms
                          : gr->last_sent_ms + every;
        if (gr->n > 0 && due <= now_ms)
            send_group(g, gr, now_ms, emit, ctx);
        if (gr->n == 0) {
            group_free(gr, g->r->n_group_by);
            g->groups[k] = g->groups[--g->n];
            continue;
        }
        due = gr->last_sent_ms + every;
        if (gr->last_sent_ms < 0 || (no_wait && gr->changed))
            due = now_ms;
        if (next < 0 || due - now_ms < next)
            next = due > now_ms ? due - now_ms : 0;
        k++;
    }
    return next;
}
