#include "fields.h"

#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>

#include "duration.h"
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
        /* A JSON number token: strict, as the parser checked it. */
        text = fv->p;
        len = fv->len;
        if (rx == NULL)
            return num_parse_json(text, len, out) == 0 ? FIELD_READ_OK
                                                       : FIELD_READ_WRONG_TYPE;
    } else if (fv->type == FIELD_STRING) {
        /* Some services log numbers as strings: "12.5". */
        if ((text = fields_text(fs, fv, &len)) == NULL)
            return FIELD_READ_WRONG_TYPE;
    } else {
        return FIELD_READ_WRONG_TYPE;
    }
    if (rx != NULL && !rx_capture(rx, text, len, &text, &len))
        return FIELD_READ_NO_MATCH;
    /* Text — a string, a capture — is read as people write numbers:
     * "0040", "+1", ".5", "5.". */
    if (num_parse_text(text, len, out) != 0)
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

/* --- times and durations -------------------------------------------------- */

/* The text of a string or a number, and whether it was a number. */
static enum field_read scalar_text(struct fields *fs, int field,
                                   const char **text, size_t *len, bool *number)
{
    const struct field_val *fv = fields_get(fs, field);
    if (fv == NULL)
        return FIELD_READ_MISSING;
    if (fv->type != FIELD_STRING && fv->type != FIELD_NUMBER)
        return FIELD_READ_WRONG_TYPE;
    *number = fv->type == FIELD_NUMBER;
    *text = fields_text(fs, fv, len);
    return *text != NULL ? FIELD_READ_OK : FIELD_READ_WRONG_TYPE;
}

/* What a time or duration reader's -errno means for the caller. */
static enum field_read parse_outcome(int rc)
{
    return rc == 0         ? FIELD_READ_OK
           : rc == -ERANGE ? FIELD_READ_OUT_OF_RANGE
                           : FIELD_READ_UNPARSABLE;
}

/* Seconds times scale (NULL: 1). */
static enum field_read scaled(num_fixed v, const struct num_dec *scale,
                              num_fixed *out)
{
    if (scale == NULL) {
        *out = v;
        return FIELD_READ_OK;
    }
    return num_scale(v, scale, out) == 0 ? FIELD_READ_OK
                                         : FIELD_READ_OUT_OF_RANGE;
}

enum field_read fields_between(struct fields *fs, const struct cfg_between *b,
                               struct timefmt_cache *c,
                               const struct num_dec *scale, num_fixed *out)
{
    num_fixed from, to;
    enum field_read r = fields_time(fs, b->from, &b->fmt, c, &from);
    if (r == FIELD_READ_OK)
        r = fields_time(fs, b->to, &b->fmt, c, &to);
    if (r != FIELD_READ_OK)
        return r;
    return scaled(to - from, scale, out);
}

enum field_read fields_duration(struct fields *fs, int field,
                                const struct num_dec *scale, struct rx *rx,
                                num_fixed *out)
{
    const char *text;
    size_t len;
    bool number;
    num_fixed v;
    enum field_read r = scalar_text(fs, field, &text, &len, &number);
    if (r != FIELD_READ_OK)
        return r;
    if (rx != NULL && !rx_capture(rx, text, len, &text, &len))
        return FIELD_READ_NO_MATCH;
    if ((r = parse_outcome(duration_parse(text, len, &v))) != FIELD_READ_OK)
        return r;
    return scaled(v, scale, out);
}

/*
 * The elements of a JSON array whose text a parser has validated: the
 * commas outside strings and nested values, plus one unless it is empty.
 */
static uint64_t count_elements(const char *p, size_t len)
{
    uint64_t commas = 0;
    size_t depth = 0;
    bool any = false;
    for (size_t i = 1; i + 1 < len; i++) {
        char c = p[i];
        if (c == '"') {
            for (i++; i + 1 < len && p[i] != '"'; i++)
                i += p[i] == '\\';
            any = true;
        } else if (c == '[' || c == '{') {
            depth++;
            any = true;
        } else if (c == ']' || c == '}') {
            depth--;
        } else if (c == ',') {
            commas += depth == 0;
        } else if ((unsigned char)c > ' ') {
            any = true;
        }
    }
    return any ? commas + 1 : 0;
}

enum field_read fields_count(const struct fields *fs, int field, num_fixed *out)
{
    const struct field_val *fv = fields_get(fs, field);
    if (fv == NULL)
        return FIELD_READ_MISSING;
    if (fv->type != FIELD_ARRAY)
        return FIELD_READ_WRONG_TYPE;
    *out = (num_fixed)count_elements(fv->p, fv->len) * NUM_ONE;
    return FIELD_READ_OK;
}
