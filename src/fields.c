#include "fields.h"

#include <errno.h>
#include <stdlib.h>

#include "jsonstr.h"
#include "rx.h"

int fields_init(struct fields *fs, size_t n)
{
    *fs = (struct fields){0};
    fs->set.n = n;
    fs->set.vals = calloc(n ? n : 1, sizeof(*fs->set.vals));
    return fs->set.vals ? 0 : -ENOMEM;
}

void fields_free(struct fields *fs)
{
    free(fs->set.vals);
    free(fs->scratch);
    *fs = (struct fields){0};
}

void fields_next(struct fields *fs)
{
    if (++fs->set.gen == 0) {
        /* After 2^32 stamps they wrap: forget them all once. */
        for (size_t i = 0; i < fs->set.n; i++)
            fs->set.vals[i].gen = 0;
        fs->set.gen = 1;
    }
}

const char *fields_decode(struct fields *fs, const struct field_val *fv,
                          size_t *len)
{
    if (fv->len > fs->scratch_cap) {
        char *s = realloc(fs->scratch, fv->len);
        if (s == NULL)
            return NULL;
        fs->scratch = s;
        fs->scratch_cap = fv->len;
    }
    *len = json_unescape(fv->p, fv->len, fs->scratch);
    return fs->scratch;
}

/* fields_decimal, inlined in both entry points: the per-line path. */
static inline enum field_read read_decimal(struct fields *fs, int field,
                                           struct rx *rx, struct num_dec *out)
{
    const struct field_val *fv = fields_get(fs, field);
    const char *text;
    size_t len;
    if (fv == NULL)
        return FIELD_READ_MISSING;
    if (fv->type == FIELD_NUMBER) {
        text = fv->p;
        len = fv->len;
    } else if (fv->type == FIELD_STRING) {
        /* Some services log numbers as strings: "12.5". */
        if ((text = fields_text(fs, fv, &len)) == NULL)
            return FIELD_READ_WRONG_TYPE;
    } else {
        return FIELD_READ_WRONG_TYPE;
    }
    if (rx != NULL && !rx_capture(rx, text, len, &text, &len))
        return FIELD_READ_NO_MATCH;
    if (num_parse_json(text, len, out) != 0)
        return FIELD_READ_WRONG_TYPE;
    return FIELD_READ_OK;
}

enum field_read fields_decimal(struct fields *fs, int field, struct rx *rx,
                               struct num_dec *out)
{
    return read_decimal(fs, field, rx, out);
}

enum field_read fields_number(struct fields *fs, int field,
                              const struct num_dec *scale, struct rx *rx,
                              num_fixed *out)
{
    struct num_dec d;
    enum field_read r = read_decimal(fs, field, rx, &d);
    if (r != FIELD_READ_OK)
        return r;
    if (num_to_fixed(&d, scale, out) != 0)
        return FIELD_READ_OUT_OF_RANGE;
    return FIELD_READ_OK;
}
