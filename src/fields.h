/*
 * The current line's fields, read as text and as numbers.
 *
 * The parsers fill a field set (parser.h) whose values point into the
 * line; this module reads them for the rules and the conditions: a
 * string's text with its JSON escapes decoded, a number as an exact
 * decimal (a JSON number, or text holding one), optionally taken
 * from a regular expression's capture and scaled; values derived from
 * them: a time (timefmt.h), the seconds between two times, a duration
 * text (duration.h). Whatever cannot be read says why, so that the caller
 * can count it.
 *
 * Decoded text lives in a scratch buffer owned by the fields and reused:
 * it stays valid until the next call that decodes.
 */
#ifndef TOKENTAIL_FIELDS_H
#define TOKENTAIL_FIELDS_H

#include <errno.h>
#include <stddef.h>
#include <stdint.h>

#include "num.h"
#include "parser.h"

struct rx;

struct fields {
    struct field_set set; /* what the parsers filled for this line */
    char *scratch;        /* decoded string values */
    size_t scratch_cap;
};

/* Why a field's value could not be read. */
enum field_read {
    FIELD_READ_OK,
    FIELD_READ_MISSING,          /* absent, or null */
    FIELD_READ_WRONG_TYPE,       /* e.g. an object where a number belongs */
    FIELD_READ_OUT_OF_RANGE,     /* beyond what a fixed-point value holds */
    FIELD_READ_NO_MATCH,         /* the value's regular expression missed */
    FIELD_READ_UNPARSABLE,       /* not a time or duration in its format */
    FIELD_READ_DIVISION_BY_ZERO, /* a value computed from fields (expr.h) */
};

/* Room for n fields (config.fields). Returns 0 or -ENOMEM. */
int fields_init(struct fields *fs, size_t n);

/* Frees what the fields hold; the struct itself is the caller's. */
void fields_free(struct fields *fs);

/* Forgets every value: a new line, or a new parser's attempt at it. */
void fields_next(struct fields *fs);

/* The field's value on this line, or NULL when absent or null. */
static inline const struct field_val *fields_get(const struct fields *fs,
                                                 int field)
{
    const struct field_val *fv = &fs->set.vals[field];
    if (fv->gen != fs->set.gen || fv->type == FIELD_NULL)
        return NULL;
    return fv;
}

/* Decodes an escaped string's text into the scratch buffer. */
const char *fields_decode(struct fields *fs, const struct field_val *fv,
                          size_t *len);

/*
 * The text of a scalar value: a string decoded, a number as written,
 * true/false. NULL for objects and arrays, or when out of memory.
 */
static inline const char *fields_text(struct fields *fs,
                                      const struct field_val *fv, size_t *len)
{
    switch (fv->type) {
    case FIELD_STRING:
        if (fv->escaped)
            return fields_decode(fs, fv, len);
        *len = fv->len;
        return fv->p;
    case FIELD_NUMBER:
        *len = fv->len;
        return fv->p;
    case FIELD_TRUE:
        *len = 4;
        return "true";
    case FIELD_FALSE:
        *len = 5;
        return "false";
    default:
        return NULL;
    }
}

/*
 * A field as a decimal: a JSON number, a string holding one, or — with rx
 * (borrowed; NULL for none) — the number its regex captures in the text.
 * JSON number tokens follow RFC 8259; text (strings, regex and logfmt
 * values, captures) follows num_parse_text: a sign, leading zeros, ".5"
 * and "5." are numbers; spaces, "inf", "NaN" and hexadecimal are not.
 */
enum field_read fields_decimal(struct fields *fs, int field, struct rx *rx,
                               struct num_dec *out);

/* A field's number times scale (NULL: 1), as fixed point. */
enum field_read fields_number(struct fields *fs, int field,
                              const struct num_dec *scale, struct rx *rx,
                              num_fixed *out);

/*
 * A field as a time in format f (borrowed), read with cache c (the
 * caller's, one per format): seconds since the epoch. A time outside the
 * years 0001 to 9999 is FIELD_READ_OUT_OF_RANGE. Inline: an input's time
 * is read on every line.
 */
static inline enum field_read fields_time(struct fields *fs, int field,
                                          const struct timefmt *f,
                                          struct timefmt_cache *c,
                                          num_fixed *out)
{
    const struct field_val *fv = fields_get(fs, field);
    const char *s;
    size_t len;
    if (fv == NULL)
        return FIELD_READ_MISSING;
    if (fv->type != FIELD_STRING && fv->type != FIELD_NUMBER)
        return FIELD_READ_WRONG_TYPE;
    if ((s = fields_text(fs, fv, &len)) == NULL)
        return FIELD_READ_WRONG_TYPE;
    int rc = timefmt_parse(f, c, s, len, fv->type == FIELD_NUMBER, out);
    return rc == 0         ? FIELD_READ_OK
           : rc == -ERANGE ? FIELD_READ_OUT_OF_RANGE
                           : FIELD_READ_UNPARSABLE;
}

/*
 * The seconds from b's "from" time to its "to" time (b borrowed, c as for
 * fields_time), times scale (NULL: 1). Negative when "to" is earlier.
 */
enum field_read fields_between(struct fields *fs, const struct cfg_between *b,
                               struct timefmt_cache *c,
                               const struct num_dec *scale, num_fixed *out);

/*
 * A field's duration text ("381ms"), or with rx what its regex captures
 * in the text, as seconds times scale (NULL: 1).
 */
enum field_read fields_duration(struct fields *fs, int field,
                                const struct num_dec *scale, struct rx *rx,
                                num_fixed *out);

/* The number of elements of an array field, as fixed point: a string,
 * number or object is FIELD_READ_WRONG_TYPE. */
enum field_read fields_count(const struct fields *fs, int field,
                             num_fixed *out);

#endif
