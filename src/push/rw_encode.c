/*
 * The snapshot reads the text format tokentail itself wrote (expfmt.c),
 * so it needs only what that writer produces: "# " lines, and samples
 * "name{label="value",...} value" with \\, \" and \n escaped in values.
 * Names and values are cut out of the copied text in place (an unescaped
 * value is never longer than its escaped form), so a snapshot is its text
 * and two arrays.
 */
#include "rw_encode.h"

#include <errno.h>
#include <snappy-c.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "remote.pb-c.h"

static const char name_label[] = "__name__";

static int add_label(struct rw_snapshot *s, const char *name, const char *value)
{
    if (s->n_labels == s->cap_labels) {
        size_t cap = s->cap_labels ? 2 * s->cap_labels : 256;
        struct rw_label *l = realloc(s->labels, cap * sizeof(*l));
        if (l == NULL)
            return -ENOMEM;
        s->labels = l;
        s->cap_labels = cap;
    }
    s->labels[s->n_labels++] = (struct rw_label){name, value};
    return 0;
}

static int by_name(const void *a, const void *b)
{
    return strcmp(((const struct rw_label *)a)->name,
                  ((const struct rw_label *)b)->name);
}

/* Reads the labels after '{' from *pp up to the '}' of the line ending
 * at end; *pp is left past the '}'. */
static int read_labels(struct rw_snapshot *s, char **pp, const char *end)
{
    char *p = *pp;
    while (p < end && *p != '}') {
        char *name = p;
        while (p < end && *p != '=')
            p++;
        if (p == name || p + 1 >= end || p[1] != '"')
            return -EINVAL;
        *p = '\0';
        p += 2;
        char *value = p, *w = p;
        while (p < end && *p != '"') {
            if (*p == '\\' && p + 1 < end) {
                p++;
                *w++ = *p == 'n' ? '\n' : *p;
                p++;
            } else {
                *w++ = *p++;
            }
        }
        if (p == end)
            return -EINVAL;
        *w = '\0'; /* at most where the closing quote was */
        p++;
        int rc = add_label(s, name, value);
        if (rc != 0)
            return rc;
        if (p < end && *p == ',')
            p++;
    }
    if (p == end)
        return -EINVAL;
    *pp = p + 1;
    return 0;
}

/* Adds each external label the series has no label of that name for. */
static int add_external(struct rw_snapshot *s, size_t first,
                        const struct cfg_pair *ext, size_t n_ext)
{
    size_t own = s->n_labels;
    for (size_t i = 0; i < n_ext; i++) {
        bool has = false;
        for (size_t k = first; k < own && !has; k++)
            has = strcmp(s->labels[k].name, ext[i].name) == 0;
        int rc = has ? 0 : add_label(s, ext[i].name, ext[i].value);
        if (rc != 0)
            return rc;
    }
    return 0;
}

/* One sample line, NUL-terminated at end. */
static int read_sample(struct rw_snapshot *s, char *p, char *end,
                       const struct cfg_pair *ext, size_t n_ext)
{
    char *name = p;
    while (p < end && *p != '{' && *p != ' ')
        p++;
    if (p == end || p == name)
        return -EINVAL;
    char stop = *p;
    *p++ = '\0';
    size_t first = s->n_labels;
    int rc = add_label(s, name_label, name);
    if (rc == 0 && stop == '{' && (rc = read_labels(s, &p, end)) == 0 &&
        (p == end || *p++ != ' '))
        rc = -EINVAL;
    if (rc == 0)
        rc = add_external(s, first, ext, n_ext);
    if (rc != 0)
        return rc;
    if (s->n_labels - first > RW_MAX_LABELS)
        return -EINVAL;
    char *num_end;
    double v = strtod(p, &num_end);
    if (num_end == p || (*num_end != '\0' && *num_end != ' '))
        return -EINVAL;
    if (s->n_series == s->cap_series) {
        size_t cap = s->cap_series ? 2 * s->cap_series : 64;
        struct rw_series *n = realloc(s->series, cap * sizeof(*n));
        if (n == NULL)
            return -ENOMEM;
        s->series = n;
        s->cap_series = cap;
    }
    qsort(&s->labels[first], s->n_labels - first, sizeof(*s->labels), by_name);
    s->series[s->n_series++] =
        (struct rw_series){first, s->n_labels - first, v};
    return 0;
}

int rw_snapshot_read(struct rw_snapshot *s, const char *text, size_t len,
                     const struct cfg_pair *ext, size_t n_ext)
{
    rw_snapshot_clear(s);
    if ((s->text = malloc(len + 1)) == NULL)
        return -ENOMEM;
    memcpy(s->text, text, len);
    s->text[len] = '\0';
    char *p = s->text, *end = s->text + len;
    while (p < end) {
        char *nl = memchr(p, '\n', (size_t)(end - p));
        char *eol = nl != NULL ? nl : end;
        *eol = '\0';
        if (p < eol && *p != '#') {
            size_t labels = s->n_labels;
            int rc = read_sample(s, p, eol, ext, n_ext);
            if (rc != 0) {
                s->n_labels = labels;
                return rc;
            }
        }
        p = eol + 1;
    }
    return 0;
}

void rw_snapshot_clear(struct rw_snapshot *s)
{
    free(s->text);
    free(s->labels);
    free(s->series);
    s->text = NULL;
    s->labels = NULL;
    s->series = NULL;
    s->n_labels = s->cap_labels = s->n_series = s->cap_series = 0;
}

/* The protobuf-c structs of one request, pointing into the snapshot. */
struct request {
    Prometheus__TimeSeries *ts, **ts_at;
    Prometheus__Sample *sm, **sm_at;
    Prometheus__Label *lb, **lb_at;
};

static void request_free(struct request *r)
{
    free(r->ts);
    free(r->ts_at);
    free(r->sm);
    free(r->sm_at);
    free(r->lb);
    free(r->lb_at);
}

static int request_fill(struct request *r, const struct rw_snapshot *s,
                        size_t from, size_t n, int64_t ts_ms)
{
    size_t nl = 0;
    for (size_t i = 0; i < n; i++)
        nl += s->series[from + i].n_labels;
    size_t m = n ? n : 1;
    r->ts = calloc(m, sizeof(*r->ts));
    r->ts_at = calloc(m, sizeof(*r->ts_at));
    r->sm = calloc(m, sizeof(*r->sm));
    r->sm_at = calloc(m, sizeof(*r->sm_at));
    r->lb = calloc(nl ? nl : 1, sizeof(*r->lb));
    r->lb_at = calloc(nl ? nl : 1, sizeof(*r->lb_at));
    if (!r->ts || !r->ts_at || !r->sm || !r->sm_at || !r->lb || !r->lb_at)
        return -ENOMEM;
    for (size_t i = 0, l = 0; i < n; i++) {
        const struct rw_series *se = &s->series[from + i];
        prometheus__time_series__init(&r->ts[i]);
        prometheus__sample__init(&r->sm[i]);
        r->sm[i].value = se->value;
        r->sm[i].timestamp = ts_ms;
        r->sm_at[i] = &r->sm[i];
        r->ts[i].n_samples = 1;
        r->ts[i].samples = &r->sm_at[i];
        r->ts[i].n_labels = se->n_labels;
        r->ts[i].labels = &r->lb_at[l];
        for (size_t k = 0; k < se->n_labels; k++, l++) {
            const struct rw_label *la = &s->labels[se->first + k];
            prometheus__label__init(&r->lb[l]);
            /* protobuf-c's strings are not const; packing only reads. */
            memcpy(&r->lb[l].name, &la->name, sizeof(r->lb[l].name));
            memcpy(&r->lb[l].value, &la->value, sizeof(r->lb[l].value));
            r->lb_at[l] = &r->lb[l];
        }
        r->ts_at[i] = &r->ts[i];
    }
    return 0;
}

char *rw_encode(const struct rw_snapshot *s, size_t from, size_t n,
                int64_t ts_ms, size_t *len)
{
    struct request r = {0};
    Prometheus__WriteRequest wr = PROMETHEUS__WRITE_REQUEST__INIT;
    uint8_t *raw = NULL;
    char *out = NULL;
    if (request_fill(&r, s, from, n, ts_ms) != 0)
        goto done;
    wr.n_timeseries = n;
    wr.timeseries = r.ts_at;
    size_t raw_len = prometheus__write_request__get_packed_size(&wr);
    if ((raw = malloc(raw_len ? raw_len : 1)) == NULL)
        goto done;
    prometheus__write_request__pack(&wr, raw);
    size_t cap = snappy_max_compressed_length(raw_len);
    if ((out = malloc(cap)) == NULL)
        goto done;
    if (snappy_compress((const char *)raw, raw_len, out, &cap) != SNAPPY_OK) {
        free(out);
        out = NULL;
        goto done;
    }
    *len = cap;
done:
    free(raw);
    request_free(&r);
    return out;
}
