#include "registry_private.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "buf.h"
#include "log.h"
#include "wordeq.h"

#define REGISTRY_INITIAL_TABLE 16
#define MS_PER_S               1000
#define NS_PER_MS              1000000

static const char *const type_names[METRIC_TYPE_COUNT] = {
    [METRIC_COUNTER] = "counter",
    [METRIC_GAUGE] = "gauge",
    [METRIC_HISTOGRAM] = "histogram",
};

const char *metric_type_name(enum metric_type t)
{
    return (unsigned)t < METRIC_TYPE_COUNT ? type_names[t] : "untyped";
}

/* The index of s among n names, or -1. */
static int find_name(const char *const *names, int n, const char *s)
{
    for (int i = 0; i < n; i++)
        if (strcmp(s, names[i]) == 0)
            return i;
    return -1;
}

int metric_type_parse(const char *s)
{
    return find_name(type_names, METRIC_TYPE_COUNT, s);
}

static const char *const update_names[GAUGE_UPDATE_COUNT] = {
    [GAUGE_SET] = "set",
    [GAUGE_ADD] = "add",
    [GAUGE_MAX] = "max",
    [GAUGE_MIN] = "min",
};

const char *gauge_update_name(enum gauge_update u)
{
    return (unsigned)u < GAUGE_UPDATE_COUNT ? update_names[u] : "?";
}

int gauge_update_parse(const char *s)
{
    return find_name(update_names, GAUGE_UPDATE_COUNT, s);
}

int registry_new(struct registry **out)
{
    *out = calloc(1, sizeof(**out));
    return *out ? 0 : -ENOMEM;
}

static void free_strings(char **s, size_t n)
{
    for (size_t i = 0; s != NULL && i < n; i++)
        free(s[i]);
    free(s);
}

/* Copies n strings into a new array; NULL on -ENOMEM. */
static char **copy_strings(const char *const *from, size_t n)
{
    char **to = calloc(n + 1, sizeof(*to));
    for (size_t i = 0; to != NULL && i < n; i++)
        if ((to[i] = strdup(from[i])) == NULL) {
            free_strings(to, i);
            return NULL;
        }
    return to;
}

static void family_free(struct family *f)
{
    if (f == NULL)
        return;
    for (size_t i = 0; i < f->n_series; i++)
        free(f->order[i]);
    free(f->overflow);
    free(f->order);
    free(f->by_slot);
    free(f->table);
    free_strings(f->label_names, f->n_labels);
    free_strings(f->const_names, f->n_const);
    free_strings(f->const_values, f->n_const);
    free(f->bounds);
    free(f->name);
    free(f->help);
    free(f);
}

void registry_free(struct registry *r)
{
    if (r == NULL)
        return;
    for (size_t i = 0; i < r->n_fams; i++)
        family_free(r->fams[i]);
    free(r->fams);
    free(r);
}

struct family *registry_add(struct registry *r, const struct family_spec *spec)
{
    struct family *f = calloc(1, sizeof(*f));
    if (f == NULL)
        return NULL;
    f->name = strdup(spec->name);
    f->help = strdup(spec->help ? spec->help : "");
    f->type = spec->type;
    f->update = spec->update;
    f->max_series = spec->max_series;
    f->expire_s = spec->expire_s;
    f->reg = r;
    f->flags = spec->flags;
    f->n_labels = spec->n_labels;
    f->label_names = copy_strings(spec->label_names, spec->n_labels);
    f->n_const = spec->n_const;
    f->const_names = copy_strings(spec->const_names, spec->n_const);
    f->const_values = copy_strings(spec->const_values, spec->n_const);
    f->table_cap = REGISTRY_INITIAL_TABLE;
    f->table = calloc(f->table_cap, sizeof(*f->table));
    if (!f->name || !f->help || !f->label_names || !f->const_names ||
        !f->const_values || !f->table)
        goto fail;

    if (spec->n_bounds > 0) {
        f->bounds = malloc(spec->n_bounds * sizeof(*f->bounds));
        if (f->bounds == NULL)
            goto fail;
        memcpy(f->bounds, spec->bounds, spec->n_bounds * sizeof(*f->bounds));
        f->n_bounds = spec->n_bounds;
    }

    if (r->n_fams == r->cap_fams) {
        size_t cap = r->cap_fams ? r->cap_fams * 2 : 16;
        struct family **fams = realloc(r->fams, cap * sizeof(*fams));
        if (fams == NULL)
            goto fail;
        r->fams = fams;
        r->cap_fams = cap;
    }
    r->fams[r->n_fams++] = f;
    return f;
fail:
    family_free(f);
    return NULL;
}

void registry_set_max_series(struct registry *r, size_t max_series)
{
    r->max_series = max_series;
}

size_t registry_n_families(const struct registry *r)
{
    return r->n_fams;
}

struct family *registry_family(struct registry *r, size_t i)
{
    return r->fams[i];
}

struct family *registry_find(struct registry *r, const char *name)
{
    for (size_t i = 0; i < r->n_fams; i++)
        if (strcmp(r->fams[i]->name, name) == 0)
            return r->fams[i];
    return NULL;
}

/*
 * The last len (below 8) bytes of a key as the little-endian word a
 * memcpy into a zeroed uint64_t makes, without a call: two loads that may
 * overlap, and overlapping bytes are the same. The hash must not change:
 * the durable state keeps digests of the series' hashes.
 */
static inline uint64_t hash_tail(const unsigned char *p, size_t len)
{
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
    if (len >= 4) {
        uint32_t lo, hi;
        memcpy(&lo, p, 4);
        memcpy(&hi, p + len - 4, 4);
        return lo | (uint64_t)hi << (8 * (len - 4));
    }
    if (len == 0)
        return 0;
    return p[0] | (uint64_t)p[len / 2] << (8 * (len / 2)) |
           (uint64_t)p[len - 1] << (8 * (len - 1));
#else
    uint64_t tail = 0;
    memcpy(&tail, p, len);
    return tail;
#endif
}

/* A 64-bit multiply-mix hash: 8 bytes per step, murmur3's finaliser. */
uint64_t registry_hash(const char *key, size_t len)
{
    const uint64_t k = 0x9e3779b97f4a7c15ULL;
    uint64_t h = 0x243f6a8885a308d3ULL ^ (len * k);
    const unsigned char *p = (const unsigned char *)key;
    while (len >= 8) {
        uint64_t v;
        memcpy(&v, p, 8);
        h = (h ^ (v * k)) * 0xff51afd7ed558ccdULL;
        h ^= h >> 29;
        p += 8;
        len -= 8;
    }
    uint64_t tail = hash_tail(p, len);
    h = (h ^ (tail * k)) * 0xc4ceb9fe1a85ec53ULL;
    h ^= h >> 33;
    h *= 0xff51afd7ed558ccdULL;
    h ^= h >> 33;
    h *= 0xc4ceb9fe1a85ec53ULL;
    h ^= h >> 33;
    return h;
}

int64_t registry_wall_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * MS_PER_S + ts.tv_nsec / NS_PER_MS;
}

static struct series *series_new(const struct family *f, const char *key,
                                 uint32_t key_len, uint64_t hash)
{
    size_t nb = f->type == METRIC_HISTOGRAM ? f->n_bounds : 0;
    /* One allocation: header, key, then the buckets on an 8-byte boundary. */
    size_t off = (offsetof(struct series, key) + key_len + 7) & ~(size_t)7;
    struct series *s = calloc(1, off + nb * sizeof(uint64_t));
    if (s == NULL)
        return NULL;
    s->hash = hash;
    s->key_len = key_len;
    s->created_ms = registry_wall_ms();
    s->created_new = true;
    memcpy(s->key, key, key_len);
    if (nb > 0)
        s->buckets = (uint64_t *)(void *)((char *)s + off);
    return s;
}

/* Puts s in the first free place from its hash on (cap: a power of two). */
static void table_put(struct series **t, size_t cap, struct series *s)
{
    size_t j = s->hash & (cap - 1);
    while (t[j] != NULL)
        j = (j + 1) & (cap - 1);
    t[j] = s;
}

static bool table_grow(struct family *f)
{
    size_t cap = f->table_cap * 2;
    struct series **t = calloc(cap, sizeof(*t));
    if (t == NULL)
        return false;
    for (size_t i = 0; i < f->table_cap; i++)
        if (f->table[i] != NULL)
            table_put(t, cap, f->table[i]);
    free(f->table);
    f->table = t;
    f->table_cap = cap;
    return true;
}

bool family_over_global(const struct family *f)
{
    if (f->max_series > 0 && f->n_series >= f->max_series)
        return false;
    return f->reg->max_series > 0 && !(f->flags & FAMILY_SELF) &&
           f->reg->n_series >= f->reg->max_series;
}

/* Whether a new series would go over the family's cap or the registry's. */
static bool family_full(const struct family *f)
{
    return (f->max_series > 0 && f->n_series >= f->max_series) ||
           family_over_global(f);
}

size_t family_cap(const struct family *f, bool *global)
{
    *global = family_over_global(f);
    return *global ? f->reg->max_series : f->max_series;
}

const char *family_name(const struct family *f)
{
    return f->name;
}

/* s, which an expiring family keeps another expire_after from now. */
static inline struct series *touched(const struct family *f, struct series *s)
{
    if (f->expire_s > 0)
        s->touched = (uint32_t)(log_now_ms() / MS_PER_S);
    return s;
}

/* Adds a series for key at place i of the table; NULL on -ENOMEM. */
static struct series *add_series(struct family *f, const char *key,
                                 uint32_t key_len, uint64_t hash, size_t i)
{
    /* Keep the load under one half so probes stay short. */
    if ((f->n_series + 1) * 2 > f->table_cap) {
        if (!table_grow(f))
            return NULL;
        size_t mask = f->table_cap - 1;
        i = hash & mask;
        while (f->table[i] != NULL)
            i = (i + 1) & mask;
    }
    if ((f->n_series & (f->n_series - 1)) == 0) {
        size_t cap = f->n_series ? f->n_series * 2 : 4;
        struct series **o = realloc(f->order, cap * sizeof(*o));
        if (o == NULL)
            return NULL;
        f->order = o;
        o = realloc(f->by_slot, cap * sizeof(*o));
        if (o == NULL)
            return NULL;
        f->by_slot = o;
    }
    struct series *s = series_new(f, key, key_len, hash);
    if (s == NULL)
        return NULL;
    f->table[i] = s;
    f->by_slot[f->n_series] = s;
    f->order[f->n_series++] = s;
    if (!(f->flags & FAMILY_SELF))
        f->reg->n_series++;
    return s;
}

struct series *family_get(struct family *f, const char *key, uint32_t key_len,
                          uint64_t hash)
{
    size_t mask = f->table_cap - 1;
    size_t i = hash & mask;
    struct series *s;

    while ((s = f->table[i]) != NULL) {
        if (s->hash == hash && s->key_len == key_len &&
            wordeq(s->key, key, key_len))
            return touched(f, s);
        i = (i + 1) & mask;
    }
    /* The overflow series never expires. */
    if (family_full(f)) {
        f->overflow_updates++;
        return family_overflow(f);
    }
    s = add_series(f, key, key_len, hash, i);
    return s ? touched(f, s) : NULL;
}

static bool expired(const struct family *f, const struct series *s,
                    uint32_t now_s)
{
    return now_s - s->touched >= f->expire_s;
}

size_t family_expire(struct family *f, uint32_t now_s)
{
    size_t gone = 0;
    for (size_t i = 0; f->expire_s > 0 && i < f->n_series; i++)
        gone += expired(f, f->by_slot[i], now_s);
    if (gone == 0)
        return 0;
    /* The survivors keep their creation order, in lower slots, and a new
     * table. */
    size_t kept = 0;
    memset(f->table, 0, f->table_cap * sizeof(*f->table));
    for (size_t i = 0; i < f->n_series; i++) {
        struct series *s = f->by_slot[i];
        if (!expired(f, s, now_s)) {
            f->by_slot[kept++] = s;
            table_put(f->table, f->table_cap, s);
        }
    }
    /* And the exposition order, whose sorted part stays sorted. */
    size_t at = 0, sorted = 0;
    for (size_t i = 0; i < f->n_series; i++) {
        struct series *s = f->order[i];
        if (expired(f, s, now_s)) {
            free(s);
            continue;
        }
        sorted += i < f->n_sorted;
        f->order[at++] = s;
    }
    f->n_series = kept;
    f->n_sorted = sorted;
    f->expired += gone;
    f->renumbered = true;
    if (!(f->flags & FAMILY_SELF))
        f->reg->n_series -= gone;
    return gone;
}

size_t registry_expire(struct registry *r, uint32_t now_s)
{
    size_t all = 0;
    for (size_t i = 0; i < r->n_fams; i++) {
        struct family *f = r->fams[i];
        size_t gone = f->expire_s > 0 ? family_expire(f, now_s) : 0;
        if (gone > 0)
            log_debug("metric %s: %zu series expired", f->name, gone);
        all += gone;
    }
    return all;
}

uint64_t registry_expire_every_ms(const struct registry *r)
{
    uint64_t shortest = 0; /* seconds */
    for (size_t i = 0; i < r->n_fams; i++) {
        uint64_t e = r->fams[i]->expire_s;
        if (e > 0 && (shortest == 0 || e < shortest))
            shortest = e;
    }
    if (shortest == 0)
        return 0;
    uint64_t every = shortest * 1000 / 10;
    return every < REGISTRY_EXPIRE_MIN_EVERY_MS   ? REGISTRY_EXPIRE_MIN_EVERY_MS
           : every > REGISTRY_EXPIRE_MAX_EVERY_MS ? REGISTRY_EXPIRE_MAX_EVERY_MS
                                                  : every;
}

struct series *family_overflow(struct family *f)
{
    if (f->overflow == NULL && (f->overflow = series_new(f, "", 0, 0)) != NULL)
        f->overflow->overflow = true;
    return f->overflow;
}

size_t registry_signature(enum metric_type type, enum gauge_update update,
                          const char *const *labels, size_t n_labels,
                          const num_fixed *bounds, size_t n_bounds, char *sig,
                          size_t cap)
{
    struct buf b = {0};
    buf_puts(&b, metric_type_name(type));
    /* A gauge that is set keeps the signature it had before updates had
     * names, so its saved series stay valid. */
    if (type == METRIC_GAUGE && update != GAUGE_SET) {
        buf_putc(&b, ':');
        buf_puts(&b, gauge_update_name(update));
    }
    buf_putc(&b, '|');
    for (size_t i = 0; i < n_labels; i++) {
        if (i > 0)
            buf_putc(&b, ',');
        buf_puts(&b, labels[i]);
    }
    buf_putc(&b, '|');
    for (size_t i = 0; i < n_bounds; i++) {
        char tmp[NUM_FMT_MAX];
        if (i > 0)
            buf_putc(&b, ',');
        buf_append(&b, tmp, num_format(bounds[i], tmp));
    }
    size_t n = b.oom || b.len >= cap ? 0 : b.len;
    if (n > 0)
        memcpy(sig, b.data, n + 1);
    buf_free(&b);
    return n;
}

/* One part of a signature: the text between two '|' (or its ends). */
struct sig_part {
    const char *p;
    size_t len;
};

/* Splits sig into its type, label names and bounds; false when it is not
 * a signature. */
static bool sig_split(const char *sig, struct sig_part parts[3])
{
    for (int i = 0; i < 3; i++) {
        const char *end = strchr(sig, i < 2 ? '|' : '\0');
        if (end == NULL)
            return false;
        parts[i] = (struct sig_part){sig, (size_t)(end - sig)};
        sig = end + (i < 2);
    }
    return true;
}

/* A list of the signature (names or bounds) as "a, b", or "none". */
static void sig_list(struct buf *b, const struct sig_part *part)
{
    if (part->len == 0)
        buf_puts(b, "none");
    for (size_t i = 0; i < part->len; i++)
        if (part->p[i] == ',')
            buf_puts(b, ", ");
        else
            buf_putc(b, part->p[i]);
}

/*
 * The type part "gauge:max" as the type "gauge" in parts[0] and its
 * update "max" in *update ("set" when the type names none).
 */
static void sig_update(struct sig_part parts[3], struct sig_part *update)
{
    const char *colon = memchr(parts[0].p, ':', parts[0].len);
    *update = (struct sig_part){"set", 3};
    if (colon == NULL)
        return;
    size_t type_len = (size_t)(colon - parts[0].p);
    *update = (struct sig_part){colon + 1, parts[0].len - type_len - 1};
    parts[0].len = type_len;
}

static bool sig_same(const struct sig_part *a, const struct sig_part *b)
{
    return a->len == b->len && memcmp(a->p, b->p, a->len) == 0;
}

void registry_signature_change(const char *was, const char *now,
                               struct buf *out)
{
    static const char *const what[4] = {"type", "label names", "buckets",
                                        "update"};
    struct sig_part a[4], b[4];
    if (!sig_split(was, a) || !sig_split(now, b)) {
        buf_puts(out, "its definition");
        return;
    }
    sig_update(a, &a[3]);
    sig_update(b, &b[3]);
    bool any = false;
    for (int i = 0; i < 4; i++) {
        /* Of a new type, the update goes without saying. */
        if (sig_same(&a[i], &b[i]) || (i == 3 && !sig_same(&a[0], &b[0])))
            continue;
        buf_printf(out, "%sits %s (was ", any ? " and " : "", what[i]);
        sig_list(out, &a[i]);
        buf_puts(out, "; now ");
        sig_list(out, &b[i]);
        buf_putc(out, ')');
        any = true;
    }
    if (!any)
        buf_puts(out, "nothing");
}

size_t family_signature(const struct family *f, char *sig, size_t cap)
{
    return registry_signature(f->type, f->update,
                              (const char *const *)f->label_names, f->n_labels,
                              f->bounds, f->n_bounds, sig, cap);
}

static int series_cmp(const void *a, const void *b)
{
    const struct series *x = *(struct series *const *)a;
    const struct series *y = *(struct series *const *)b;
    uint32_t n = x->key_len < y->key_len ? x->key_len : y->key_len;
    int c = memcmp(x->key, y->key, n);
    if (c != 0)
        return c;
    return (x->key_len > y->key_len) - (x->key_len < y->key_len);
}

void family_sort(struct family *f)
{
    size_t n = f->n_series, k = f->n_sorted;
    if (k == n)
        return;
    qsort(f->order + k, n - k, sizeof(*f->order), series_cmp);
    if (k > 0) {
        /* Merge the sorted prefix with the freshly sorted tail. */
        struct series **tmp = malloc(n * sizeof(*tmp));
        if (tmp == NULL) {
            qsort(f->order, n, sizeof(*f->order), series_cmp);
        } else {
            size_t i = 0, j = k, o = 0;
            while (i < k && j < n)
                tmp[o++] = series_cmp(&f->order[i], &f->order[j]) <= 0
                               ? f->order[i++]
                               : f->order[j++];
            while (i < k)
                tmp[o++] = f->order[i++];
            while (j < n)
                tmp[o++] = f->order[j++];
            memcpy(f->order, tmp, n * sizeof(*tmp));
            free(tmp);
        }
    }
    f->n_sorted = n;
}

void family_view(struct family *f, struct family_view *out)
{
    family_sort(f);
    *out = (struct family_view){
        .def =
            {
                .name = f->name,
                .help = f->help,
                .type = f->type,
                .update = f->update,
                .label_names = (const char *const *)f->label_names,
                .n_labels = f->n_labels,
                .const_names = (const char *const *)f->const_names,
                .const_values = (const char *const *)f->const_values,
                .n_const = f->n_const,
                .bounds = f->bounds,
                .n_bounds = f->n_bounds,
                .max_series = f->max_series,
                .expire_s = f->expire_s,
                .flags = f->flags,
            },
        .series = (const struct series *const *)f->order,
        .n_series = f->n_series,
        .overflow = f->overflow,
    };
}

void series_observe(const struct family *f, struct series *s, num_fixed v)
{
    /* Bucket i counts bounds[i-1] < v <= bounds[i]; past the last, only
     * the +Inf bucket (the count) sees it. */
    size_t lo = 0, hi = f->n_bounds;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        if (v <= f->bounds[mid])
            hi = mid;
        else
            lo = mid + 1;
    }
    if (lo < f->n_bounds)
        s->buckets[lo]++;
    s->count++;
    s->value = num_add_sat(s->value, v);
    s->dirty = true;
}

void family_get_stats(const struct family *f, struct family_stats *out)
{
    out->series = f->n_series;
    out->overflow_updates = f->overflow_updates;
    out->expired = f->expired;
    out->expires = f->expire_s > 0;
}
