/* Label sets as blobs: name NUL value NUL, repeated. */
#include "store_labels.h"

#include <errno.h>
#include <sqlite3.h>
#include <string.h>

void store_labels_encode(struct buf *b, const struct labels *ls)
{
    buf_reset(b);
    for (size_t i = 0; i < ls->n; i++) {
        buf_append(b, ls->v[i].name, strlen(ls->v[i].name) + 1);
        buf_append(b, ls->v[i].value, strlen(ls->v[i].value) + 1);
    }
}

int store_labels_decode(const char *p, size_t len, struct labels *out)
{
    const char *end = p + len;
    *out = (struct labels){0};
    while (p < end) {
        const char *name = p, *nul = memchr(p, '\0', (size_t)(end - p));
        if (nul == NULL || nul + 1 >= end)
            break;
        const char *value = nul + 1;
        const char *vnul = memchr(value, '\0', (size_t)(end - value));
        if (vnul == NULL)
            break;
        if (labels_set(out, name, value) != 0) {
            labels_free(out);
            return -ENOMEM;
        }
        p = vnul + 1;
    }
    if (p != end) {
        labels_free(out);
        return -EINVAL;
    }
    return 0;
}

const char *store_blob(struct sqlite3_stmt *q, int c, size_t *len)
{
    const char *p = sqlite3_column_blob(q, c);
    *len = (size_t)sqlite3_column_bytes(q, c);
    return p ? p : "";
}
