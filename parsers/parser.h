/*
 * Line parsers: one log line in, field values out.
 *
 * The configuration numbers every field path it uses (config.fields); a
 * parser is built for that list and, per line, fills the value of each
 * field it finds. Values point into the line: nothing is copied, nothing is
 * allocated per line. A value is present for the current line when its
 * gen equals the field set's gen, so the set never needs clearing: the
 * caller bumps gen before each line.
 *
 * parse() returns PARSE_OK or the reason the whole line is rejected; the
 * reasons are counted in tokentail_lines_skipped_total.
 */
#ifndef TOKENTAIL_PARSER_H
#define TOKENTAIL_PARSER_H

#include <stddef.h>
#include <stdint.h>

#include "config.h"
#include "json_index.h"

enum field_type {
    FIELD_STRING, /* p/len: the text between the quotes, still escaped */
    FIELD_NUMBER, /* p/len: the number as written */
    FIELD_TRUE,
    FIELD_FALSE,
    FIELD_NULL,
    FIELD_OBJECT, /* p/len: the whole object text */
    FIELD_ARRAY,
};

struct field_val {
    const char *p;
    uint32_t len;
    uint32_t gen;    /* present on the current line when == field_set.gen */
    uint8_t type;    /* enum field_type */
    uint8_t escaped; /* a string holding JSON backslash escapes */
    uint8_t plain;   /* printable ASCII only: usable in a label as it is */
};

struct field_set {
    struct field_val *vals; /* one per config field */
    size_t n;
    uint32_t gen;
};

enum parse_result {
    PARSE_OK = 0,
    PARSE_NOT_JSON,    /* not valid JSON */
    PARSE_NOT_OBJECT,  /* valid JSON, but not an object */
    PARSE_TOO_COMPLEX, /* nested deeper than JSON_MAX_DEPTH */
    PARSE_NO_MATCH,    /* the regular expression does not match */
    PARSE_NOT_LOGFMT,  /* no key=value pair, or a broken one */
};

struct parser;

struct parser_ops {
    enum parse_result (*parse)(struct parser *p, const char *line, size_t len,
                               struct field_set *out);
    void (*free)(struct parser *p);
};

struct parser {
    const struct parser_ops *ops;
};

/*
 * A JSON parser for the given fields (borrowed; must outlive the parser):
 * one strict pass over the line (RFC 8259) that also picks out the values
 * of the configured paths. With JSON_NON_FINITE_MISSING it also takes the
 * tokens NaN, Infinity and -Infinity as values, which read as null (so as
 * missing). Returns 0 or -ENOMEM.
 */
#define JSON_MAX_DEPTH 512 /* nesting; deeper lines are PARSE_TOO_COMPLEX */
int json_parser_new(const struct cfg_field *fields, size_t n_fields,
                    enum json_non_finite non_finite, struct parser **out);

/*
 * The same on a given path of the scanner's first stage (json_index.h; an
 * unsupported one means the best), where json_parser_new takes the one
 * $TOKENTAIL_SCAN names, or the best. Every path gives the same verdicts
 * and fields; tests and benchmarks compare them.
 */
int json_parser_new_on(const struct cfg_field *fields, size_t n_fields,
                       enum json_non_finite non_finite,
                       enum json_index_path path, struct parser **out);

/*
 * Makes the JSON parser p (borrowed) index every line from bytes long on,
 * where it would otherwise only index those its path gains on: tests give
 * 0, so that each line exercises the index. No effect on the scalar path.
 */
void json_parser_index_from(struct parser *p, size_t bytes);

/*
 * A regex parser: the named groups of pattern fill the fields of the same
 * name (a field path with dots never matches a group). Values are strings.
 * Returns 0, -EINVAL or -ENOMEM.
 */
int regex_parser_new(const char *pattern, const struct cfg_field *fields,
                     size_t n_fields, struct parser **out);

/*
 * A logfmt parser: key=value pairs (values bare or double-quoted with
 * backslash escapes; a bare key has an empty value) fill the fields whose
 * whole path is the key. A line needs at least one key=value pair.
 */
int logfmt_parser_new(const struct cfg_field *fields, size_t n_fields,
                      struct parser **out);

/* A field's whole path ("usage.total"), for parsers without nesting. */
size_t parser_field_name(const struct cfg_field *f, char *out, size_t cap);

static inline enum parse_result parser_parse(struct parser *p, const char *line,
                                             size_t len, struct field_set *out)
{
    return p->ops->parse(p, line, len, out);
}

static inline void parser_free(struct parser *p)
{
    if (p != NULL)
        p->ops->free(p);
}

#endif
