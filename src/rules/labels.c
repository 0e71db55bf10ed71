/*
 * Label sets: a sorted array, small enough that a binary search and an
 * insertion by moving the tail cost less than any tree.
 */
#include "labels.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

void labels_free(struct labels *ls)
{
    if (ls == NULL)
        return;
    for (size_t i = 0; i < ls->n; i++) {
        free(ls->v[i].name);
        free(ls->v[i].value);
    }
    free(ls->v);
    ls->v = NULL;
    ls->n = 0;
}

/* The index of name, or of where it would go (*found false). */
static size_t find(const struct labels *ls, const char *name, bool *found)
{
    size_t lo = 0, hi = ls->n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        int c = strcmp(ls->v[mid].name, name);
        if (c == 0) {
            *found = true;
            return mid;
        }
        if (c < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    *found = false;
    return lo;
}

const char *labels_get(const struct labels *ls, const char *name)
{
    bool found;
    size_t i = find(ls, name, &found);
    return found ? ls->v[i].value : NULL;
}

void labels_del(struct labels *ls, const char *name)
{
    bool found;
    size_t i = find(ls, name, &found);
    if (!found)
        return;
    free(ls->v[i].name);
    free(ls->v[i].value);
    memmove(ls->v + i, ls->v + i + 1, (ls->n - i - 1) * sizeof(*ls->v));
    ls->n--;
}

int labels_set(struct labels *ls, const char *name, const char *value)
{
    if (value[0] == '\0') {
        labels_del(ls, name);
        return 0;
    }
    bool found;
    size_t i = find(ls, name, &found);
    char *v = strdup(value);
    if (v == NULL)
        return -ENOMEM;
    if (found) {
        free(ls->v[i].value);
        ls->v[i].value = v;
        return 0;
    }
    char *n = strdup(name);
    struct label *grown = realloc(ls->v, (ls->n + 1) * sizeof(*ls->v));
    if (n == NULL || grown == NULL) {
        free(n);
        free(v);
        if (grown != NULL)
            ls->v = grown;
        return -ENOMEM;
    }
    ls->v = grown;
    memmove(ls->v + i + 1, ls->v + i, (ls->n - i) * sizeof(*ls->v));
    ls->v[i].name = n;
    ls->v[i].value = v;
    ls->n++;
    return 0;
}

static bool taken(const char *name, const char *const *names, size_t n,
                  enum labels_pick pick)
{
    if (pick == LABELS_ALL_BUT_NAME && strcmp(name, LABELS_NAME) == 0)
        return false;
    for (size_t i = 0; i < n; i++)
        if (strcmp(names[i], name) == 0)
            return pick == LABELS_ONLY;
    return pick != LABELS_ONLY;
}

int labels_filter(struct labels *dst, const struct labels *src,
                  const char *const *names, size_t n, enum labels_pick pick)
{
    dst->v = NULL;
    dst->n = 0;
    if (src->n == 0)
        return 0;
    dst->v = calloc(src->n, sizeof(*dst->v));
    if (dst->v == NULL)
        return -ENOMEM;
    for (size_t i = 0; i < src->n; i++) {
        if (!taken(src->v[i].name, names, n, pick))
            continue;
        struct label *l = &dst->v[dst->n];
        l->name = strdup(src->v[i].name);
        l->value = strdup(src->v[i].value);
        dst->n++;
        if (l->name == NULL || l->value == NULL) {
            labels_free(dst);
            return -ENOMEM;
        }
    }
    return 0;
}

int labels_copy(struct labels *dst, const struct labels *src)
{
    return labels_filter(dst, src, NULL, 0, LABELS_ALL_BUT);
}

int labels_cmp(const struct labels *a, const struct labels *b)
{
    for (size_t i = 0; i < a->n && i < b->n; i++) {
        int c = strcmp(a->v[i].name, b->v[i].name);
        if (c == 0)
            c = strcmp(a->v[i].value, b->v[i].value);
        if (c != 0)
            return c;
    }
    return (a->n > b->n) - (a->n < b->n);
}

void labels_key(struct buf *out, const struct labels *ls,
                const char *const *names, size_t n, enum labels_pick pick)
{
    /* Names and values hold no NUL, so NUL separates them unambiguously. */
    for (size_t i = 0; i < ls->n; i++) {
        if (!taken(ls->v[i].name, names, n, pick))
            continue;
        buf_append(out, ls->v[i].name, strlen(ls->v[i].name) + 1);
        buf_append(out, ls->v[i].value, strlen(ls->v[i].value) + 1);
    }
}

void labels_quote(struct buf *out, const char *s)
{
    buf_putc(out, '"');
    for (; *s != '\0'; s++) {
        unsigned char c = (unsigned char)*s;
        if (c == '"' || c == '\\') {
            buf_putc(out, '\\');
            buf_putc(out, (char)c);
        } else if (c == '\n') {
            buf_puts(out, "\\n");
        } else if (c == '\t') {
            buf_puts(out, "\\t");
        } else if (c == '\r') {
            buf_puts(out, "\\r");
        } else if (c < 0x20 || c == 0x7f) {
            buf_printf(out, "\\x%02x", c);
        } else {
            buf_putc(out, (char)c);
        }
    }
    buf_putc(out, '"');
}

void labels_format(struct buf *out, const struct labels *ls)
{
    buf_putc(out, '{');
    for (size_t i = 0; i < ls->n; i++) {
        if (i > 0)
            buf_puts(out, ", ");
        buf_puts(out, ls->v[i].name);
        buf_putc(out, '=');
        labels_quote(out, ls->v[i].value);
    }
    buf_putc(out, '}');
}
