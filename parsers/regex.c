/*
 * The regex parser: one PCRE2 pattern whose named groups are the fields,
 * e.g. for FlashCase's development format
 *   \[(?<level>\w+)\] (?<time>[\d-]+ [\d:]+) - (?<logger>\S+) - (?<message>.*)
 * Compiled once (JIT); a line costs one match and no allocation.
 */
#include "parser.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "rx.h"

struct regex_parser {
    struct parser base;
    struct rx *rx;
    int *group; /* per field: its group number, or -1 */
    size_t n_fields;
};

static enum parse_result regex_parse(struct parser *base, const char *line,
                                     size_t len, struct field_set *out)
{
    struct regex_parser *rp = (struct regex_parser *)base;
    if (!rx_match(rp->rx, line, len))
        return PARSE_NO_MATCH;
    for (size_t f = 0; f < rp->n_fields; f++) {
        size_t start, n;
        if (rp->group[f] < 0 || !rx_span(rp->rx, rp->group[f], &start, &n))
            continue;
        struct field_val *fv = &out->vals[f];
        fv->p = line + start;
        fv->len = (uint32_t)n;
        fv->gen = out->gen;
        fv->type = FIELD_STRING;
        fv->escaped = 0;
        fv->plain = 0;
    }
    return PARSE_OK;
}

static void regex_free(struct parser *base)
{
    struct regex_parser *rp = (struct regex_parser *)base;
    rx_free(rp->rx);
    free(rp->group);
    free(rp);
}

static const struct parser_ops regex_ops = {
    .parse = regex_parse,
    .free = regex_free,
};

int regex_parser_new(const char *pattern, const struct cfg_field *fields,
                     size_t n_fields, struct parser **out)
{
    struct regex_parser *rp = calloc(1, sizeof(*rp));
    if (rp == NULL)
        return -ENOMEM;
    rp->base.ops = &regex_ops;
    rp->n_fields = n_fields;
    rp->group = calloc(n_fields ? n_fields : 1, sizeof(*rp->group));
    int rc = rp->group ? rx_new(pattern, &rp->rx) : -ENOMEM;
    if (rc != 0) {
        free(rp->group);
        free(rp);
        return rc;
    }
    for (size_t f = 0; f < n_fields; f++) {
        char name[256];
        parser_field_name(&fields[f], name, sizeof(name));
        rp->group[f] = fields[f].n_parts == 1 ? rx_group(rp->rx, name) : -1;
    }
    *out = &rp->base;
    return 0;
}
