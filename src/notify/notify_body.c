/*
 * Alertmanager's key order is Go's: a struct's fields in declaration
 * order, a map's keys sorted. Prometheus' PostableAlert puts its own
 * fields (annotations, endsAt, startsAt) before the embedded Alert's
 * (generatorURL, labels); the webhook message puts template.Data's fields
 * before version, groupKey and truncatedAlerts.
 */
#include "notify_body.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

#define FNV64_OFFSET 14695981039346656037ULL
#define FNV64_PRIME  1099511628211ULL
#define LABEL_SEP    0xff /* Prometheus' model.SeparatorByte */

static int by_name(const void *x, const void *y)
{
    const struct notify_label *a = *(const struct notify_label *const *)x;
    const struct notify_label *b = *(const struct notify_label *const *)y;
    return strcmp(a->name, b->name);
}

/* Pointers to the n labels sorted by name (caller frees); NULL on
 * -ENOMEM, with b marked so. */
static const struct notify_label **
sorted(struct buf *b, const struct notify_label *l, size_t n)
{
    const struct notify_label **p = malloc((n ? n : 1) * sizeof(*p));
    if (p == NULL) {
        b->oom = true;
        return NULL;
    }
    for (size_t i = 0; i < n; i++)
        p[i] = &l[i];
    qsort(p, n, sizeof(*p), by_name);
    return p;
}

static void put_str(struct buf *b, const char *s)
{
    buf_json_string(b, s, strlen(s));
}

/* {"a":"1","b":"2"}, sorted by name. */
static void put_labels(struct buf *b, const struct notify_label *l, size_t n)
{
    const struct notify_label **p = sorted(b, l, n);
    if (p == NULL)
        return;
    buf_putc(b, '{');
    for (size_t i = 0; i < n; i++) {
        if (i > 0)
            buf_putc(b, ',');
        put_str(b, p[i]->name);
        buf_putc(b, ':');
        put_str(b, p[i]->value);
    }
    buf_putc(b, '}');
    free(p);
}

uint64_t notify_fingerprint(const struct notify_label *labels, size_t n)
{
    struct buf oom = {0};
    const struct notify_label **p = sorted(&oom, labels, n);
    uint64_t h = FNV64_OFFSET;
    for (size_t i = 0; p != NULL && i < n; i++) {
        const char *parts[2] = {p[i]->name, p[i]->value};
        for (int k = 0; k < 2; k++) {
            for (const unsigned char *c = (const unsigned char *)parts[k]; *c;
                 c++)
                h = (h ^ *c) * FNV64_PRIME;
            h = (h ^ LABEL_SEP) * FNV64_PRIME;
        }
    }
    free(p);
    return h;
}

const char *notify_label_get(const struct notify_label *labels, size_t n,
                             const char *name)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp(labels[i].name, name) == 0)
            return labels[i].value;
    return NULL;
}

/* The date and time to the second, "2026-11-29T17:00:05"; 0 when the
 * instant is outside what gmtime_r can write. */
static size_t put_seconds(int64_t ms, char *out, int *frac_ms)
{
    int64_t s = ms / 1000, r = ms % 1000;
    if (r < 0) {
        r += 1000;
        s--;
    }
    time_t t = (time_t)s;
    struct tm tm;
    if (gmtime_r(&t, &tm) == NULL)
        return 0;
    *frac_ms = (int)r;
    return strftime(out, NOTIFY_TIME_MAX, "%Y-%m-%dT%H:%M:%S", &tm);
}

size_t notify_time_api(int64_t ms, char *out)
{
    int frac;
    size_t n = put_seconds(ms, out, &frac);
    if (n == 0)
        return 0;
    return n + (size_t)snprintf(out + n, NOTIFY_TIME_MAX - n, ".%03dZ", frac);
}

size_t notify_time_go(int64_t ms, char *out)
{
    int frac;
    if (ms == 0) {
        static const char zero[] = "0001-01-01T00:00:00Z";
        memcpy(out, zero, sizeof(zero));
        return sizeof(zero) - 1;
    }
    size_t n = put_seconds(ms, out, &frac);
    if (n == 0)
        return 0;
    if (frac != 0) {
        n += (size_t)snprintf(out + n, NOTIFY_TIME_MAX - n, ".%03d", frac);
        while (out[n - 1] == '0')
            n--;
    }
    out[n++] = 'Z';
    out[n] = '\0';
    return n;
}

static void put_time(struct buf *b, const char *key, int64_t ms, bool api)
{
    char t[NOTIFY_TIME_MAX];
    size_t n = api ? notify_time_api(ms, t) : notify_time_go(ms, t);
    buf_printf(b, "\"%s\":\"%.*s\"", key, (int)n, t);
}

void notify_body_api(struct buf *b, const struct notify_alert *alerts, size_t n)
{
    buf_putc(b, '[');
    for (size_t i = 0; i < n; i++) {
        const struct notify_alert *a = &alerts[i];
        buf_puts(b, i > 0 ? ",{" : "{");
        if (a->n_annotations > 0) {
            buf_puts(b, "\"annotations\":");
            put_labels(b, a->annotations, a->n_annotations);
            buf_putc(b, ',');
        }
        put_time(b, "endsAt", a->ends_at_ms, true);
        buf_putc(b, ',');
        put_time(b, "startsAt", a->starts_at_ms, true);
        buf_putc(b, ',');
        if (a->generator_url != NULL && a->generator_url[0] != '\0') {
            buf_puts(b, "\"generatorURL\":");
            put_str(b, a->generator_url);
            buf_putc(b, ',');
        }
        buf_puts(b, "\"labels\":");
        put_labels(b, a->labels, a->n_labels);
        buf_putc(b, '}');
    }
    buf_putc(b, ']');
}

static const char *state_name(enum notify_state s)
{
    return s == NOTIFY_FIRING ? "firing" : "resolved";
}

static bool any_firing(const struct notify_message *m)
{
    for (size_t i = 0; i < m->n_alerts; i++)
        if (m->alerts[i].state == NOTIFY_FIRING)
            return true;
    return false;
}

/*
 * The pairs of the first alert's labels (annotations) that every alert
 * has with the same value: commonLabels, commonAnnotations.
 */
static void put_common(struct buf *b, const struct notify_message *m,
                       bool annotations)
{
    const struct notify_alert *first = &m->alerts[0];
    const struct notify_label *l =
        annotations ? first->annotations : first->labels;
    size_t n = annotations ? first->n_annotations : first->n_labels, k = 0;
    struct notify_label *common = malloc((n ? n : 1) * sizeof(*common));
    if (common == NULL) {
        b->oom = true;
        return;
    }
    for (size_t i = 0; i < n; i++) {
        bool all = true;
        for (size_t j = 1; j < m->n_alerts && all; j++) {
            const struct notify_alert *o = &m->alerts[j];
            const char *v = notify_label_get(
                annotations ? o->annotations : o->labels,
                annotations ? o->n_annotations : o->n_labels, l[i].name);
            all = v != NULL && strcmp(v, l[i].value) == 0;
        }
        if (all)
            common[k++] = l[i];
    }
    put_labels(b, common, k);
    free(common);
}

static void put_webhook_alert(struct buf *b, const struct notify_alert *a)
{
    char fp[17];
    buf_printf(b, "{\"status\":\"%s\",\"labels\":", state_name(a->state));
    put_labels(b, a->labels, a->n_labels);
    buf_puts(b, ",\"annotations\":");
    put_labels(b, a->annotations, a->n_annotations);
    buf_putc(b, ',');
    put_time(b, "startsAt", a->starts_at_ms, false);
    buf_putc(b, ',');
    /* Alertmanager zeroes endsAt while an alert fires. */
    put_time(b, "endsAt", a->state == NOTIFY_FIRING ? 0 : a->ends_at_ms, false);
    buf_puts(b, ",\"generatorURL\":");
    put_str(b, a->generator_url ? a->generator_url : "");
    snprintf(fp, sizeof(fp), "%016llx",
             (unsigned long long)notify_fingerprint(a->labels, a->n_labels));
    buf_printf(b, ",\"fingerprint\":\"%s\"}", fp);
}

void notify_body_webhook(struct buf *b, const struct notify_message *m)
{
    buf_puts(b, "{\"receiver\":");
    put_str(b, m->receiver);
    buf_printf(b, ",\"status\":\"%s\",\"alerts\":[",
               any_firing(m) ? "firing" : "resolved");
    for (size_t i = 0; i < m->n_alerts; i++) {
        if (i > 0)
            buf_putc(b, ',');
        put_webhook_alert(b, &m->alerts[i]);
    }
    buf_puts(b, "],\"groupLabels\":");
    put_labels(b, m->group_labels, m->n_group_labels);
    buf_puts(b, ",\"commonLabels\":");
    if (m->n_alerts > 0)
        put_common(b, m, false);
    else
        buf_puts(b, "{}");
    buf_puts(b, ",\"commonAnnotations\":");
    if (m->n_alerts > 0)
        put_common(b, m, true);
    else
        buf_puts(b, "{}");
    buf_puts(b, ",\"externalURL\":");
    put_str(b, m->external_url);
    buf_puts(b, ",\"version\":\"4\",\"groupKey\":");
    put_str(b, m->group_key);
    buf_printf(b, ",\"truncatedAlerts\":%zu}", m->truncated);
}

/* One alert's line: "• firing: service=api severity=page: the summary (value
 * 0.07)". */
static void slack_line(struct buf *t, const struct notify_alert *a)
{
    buf_printf(t, "\n\xe2\x80\xa2 %s:", state_name(a->state));
    for (size_t i = 0; i < a->n_labels; i++)
        if (strcmp(a->labels[i].name, "alertname") != 0)
            buf_printf(t, " %s=%s", a->labels[i].name, a->labels[i].value);
    const char *summary =
        notify_label_get(a->annotations, a->n_annotations, "summary");
    if (summary != NULL)
        buf_printf(t, " \xe2\x80\x94 %s", summary);
    if (a->state == NOTIFY_FIRING)
        buf_printf(t, " (value %g)", a->value);
}

void notify_body_slack(struct buf *b, const struct notify_message *m)
{
    struct buf t = {0};
    size_t firing = 0;
    for (size_t i = 0; i < m->n_alerts; i++)
        firing += m->alerts[i].state == NOTIFY_FIRING;
    if (firing > 0)
        buf_printf(&t, "[FIRING:%zu]", firing);
    else
        buf_puts(&t, "[RESOLVED]");
    for (size_t i = 0; i < m->n_group_labels; i++)
        buf_printf(&t, " %s", m->group_labels[i].value);
    for (size_t i = 0; i < m->n_alerts; i++)
        slack_line(&t, &m->alerts[i]);
    if (m->truncated > 0)
        buf_printf(&t, "\n(and %zu more)", m->truncated);
    buf_puts(b, "{\"text\":");
    if (t.oom)
        b->oom = true;
    else
        buf_json_string(b, t.data ? t.data : "", t.len);
    buf_putc(b, '}');
    buf_free(&t);
}
