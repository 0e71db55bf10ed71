/*
 * The JSON scanner on each path of its first stage, indexing every line,
 * against the scanner as it was (json_previous.c), for test-json_index and the
 * fuzz-json-<path> targets: one set of paths into lines (at the top, nested,
 * with an escape in a key, into arrays from either end, and FlashCase's),
 * parsers built for them, and a comparison of one line's verdicts and fields.
 *
 * scan_compare_new builds the parsers (caller frees with
 * scan_compare_free); scan_compare_line returns NULL when every path
 * agrees with the previous scanner on line, or a static message saying
 * what differs.
 */
#ifndef TOKENTAIL_SCAN_COMPARE_H
#define TOKENTAIL_SCAN_COMPARE_H

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "json_index.h"
#include "json_previous.h"
#include "parser.h"

#define SCAN_COMPARE_FIELDS 21
#define SCAN_COMPARE_PARTS  4

static const char *const scan_compare_paths[SCAN_COMPARE_FIELDS] = {
    "a",           "a.b",         "a.b.c",
    "s",           "n",           "k\\x",
    "arr",         "arr.0",       "arr.0.a",
    "arr.-1",      "arr.-4.a",    "arr.1.0",
    "a.x.-2",      "a.b.1",       "a.b.-1.c",
    "endpoint",    "status_code", "duration_ms",
    "tokens_used", "model",       "cost_estimate"};

/* For each mode (strict, then taking NaN and Infinity): the previous
 * scanner and the new one on each path. */
struct scan_compare {
    struct cfg_field fields[SCAN_COMPARE_FIELDS];
    const char *parts[SCAN_COMPARE_FIELDS][SCAN_COMPARE_PARTS];
    uint32_t lens[SCAN_COMPARE_FIELDS][SCAN_COMPARE_PARTS];
    char store[SCAN_COMPARE_FIELDS][16];
    struct parser *previous[2];
    struct parser *on[2][JSON_INDEX_N_PATHS]; /* NULL: not on this CPU */
    char why[160];
};

static inline void scan_compare_free(struct scan_compare *c)
{
    for (int m = 0; m < 2; m++) {
        parser_free(c->previous[m]);
        for (int p = 0; p < JSON_INDEX_N_PATHS; p++)
            parser_free(c->on[m][p]);
    }
}

/* 0, or -ENOMEM with nothing left to free. */
static inline int scan_compare_new(struct scan_compare *c)
{
    static const enum json_non_finite modes[2] = {JSON_NON_FINITE_REJECT,
                                                  JSON_NON_FINITE_MISSING};
    memset(c, 0, sizeof(*c));
    for (size_t i = 0; i < SCAN_COMPARE_FIELDS; i++) {
        struct cfg_field *f = &c->fields[i];
        snprintf(c->store[i], sizeof(c->store[i]), "%s", scan_compare_paths[i]);
        f->path = scan_compare_paths[i];
        f->parts = c->parts[i];
        f->part_lens = c->lens[i];
        for (char *s = c->store[i], *dot; s != NULL; s = dot) {
            if ((dot = strchr(s, '.')) != NULL)
                *dot++ = '\0';
            c->parts[i][f->n_parts] = s;
            c->lens[i][f->n_parts++] = (uint32_t)strlen(s);
        }
    }
    for (int m = 0; m < 2; m++) {
        if (json_previous_new(c->fields, SCAN_COMPARE_FIELDS, modes[m],
                              &c->previous[m]) != 0)
            goto fail;
        for (int p = 0; p < JSON_INDEX_N_PATHS; p++) {
            if (!json_index_supported((enum json_index_path)p))
                continue;
            if (json_parser_new_on(c->fields, SCAN_COMPARE_FIELDS, modes[m],
                                   (enum json_index_path)p, &c->on[m][p]) != 0)
                goto fail;
            json_parser_index_from(c->on[m][p], 0); /* every line */
        }
    }
    return 0;
fail:
    scan_compare_free(c);
    return -ENOMEM;
}

static inline bool scan_compare_same(const struct field_val *a,
                                     const struct field_val *b)
{
    return a->type == b->type && a->p == b->p && a->len == b->len &&
           a->escaped == b->escaped && a->plain == b->plain;
}

/*
 * Parses line (n bytes) with the previous scanner and with the new one on
 * each path in mode m (0 strict, 1 lenient), or on just path when it is
 * not JSON_INDEX_N_PATHS.
 */
static inline const char *scan_compare_mode(struct scan_compare *c, int m,
                                            int path, const char *line,
                                            size_t n)
{
    struct field_val want[SCAN_COMPARE_FIELDS], got[SCAN_COMPARE_FIELDS];
    struct field_set ws = {want, SCAN_COMPARE_FIELDS, 1};
    struct field_set gs = {got, SCAN_COMPARE_FIELDS, 1};
    memset(want, 0, sizeof(want));
    enum parse_result r = parser_parse(c->previous[m], line, n, &ws);
    for (int p = 0; p < JSON_INDEX_N_PATHS; p++) {
        if (c->on[m][p] == NULL || (path != JSON_INDEX_N_PATHS && p != path))
            continue;
        memset(got, 0, sizeof(got));
        enum parse_result q = parser_parse(c->on[m][p], line, n, &gs);
        if (q != r) {
            snprintf(c->why, sizeof(c->why),
                     "%s%s: verdict %d, the previous scanner's %d",
                     json_index_name((enum json_index_path)p),
                     m ? " (lenient)" : "", (int)q, (int)r);
            return c->why;
        }
        for (size_t i = 0; r == PARSE_OK && i < SCAN_COMPARE_FIELDS; i++) {
            bool fw = want[i].gen == ws.gen, fg = got[i].gen == gs.gen;
            if (fw != fg || (fw && !scan_compare_same(&want[i], &got[i]))) {
                snprintf(c->why, sizeof(c->why),
                         "%s%s: field %s differs from the previous scanner's",
                         json_index_name((enum json_index_path)p),
                         m ? " (lenient)" : "", scan_compare_paths[i]);
                return c->why;
            }
        }
    }
    return NULL;
}

/* Both modes; path as for scan_compare_mode. */
static inline const char *scan_compare_line(struct scan_compare *c, int path,
                                            const char *line, size_t n)
{
    const char *why = scan_compare_mode(c, 0, path, line, n);
    return why != NULL ? why : scan_compare_mode(c, 1, path, line, n);
}

#endif
