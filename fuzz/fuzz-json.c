/*
 * The JSON scanner (parsers/json.c) against the jsmn-based reference
 * parser (tests/unit/json_reference.c), as test-json's test_differential
 * compares them, on the whole input as one line: the same verdict and, when
 * the line is accepted, the same fields — type, position, length,
 * escapes — for paths at the top, nested, with a backslash in a key, and
 * into arrays by position (the reference counts from the array's size).
 *
 * The verdicts may differ only where the two parsers have different
 * limits, not different grammars:
 *   - the reference says PARSE_NOT_JSON where the scanner says
 *     PARSE_NOT_OBJECT: jsmn cannot end a line on a bare number;
 *   - the reference says PARSE_TOO_COMPLEX: more than
 *     JSON_REFERENCE_MAX_TOKENS tokens;
 *   - the scanner says PARSE_TOO_COMPLEX: nested deeper than
 *     JSON_MAX_DEPTH, which needs at least that many brackets.
 *
 * The same scanner built to take NaN and Infinity must accept every line
 * the strict one accepts, with the same fields.
 *
 * Built twice: fuzz-json on the SSE2 path, fuzz-json-portable with
 * -DJSON_PORTABLE on the eight-bytes-a-word one.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "parser.h"
#include "json_reference.h"
#include "harness.h"

#define N_PATHS   15
#define MAX_PARTS 4

/* At the top, nested, with a backslash in a key, and into arrays by
 * position from the start and from the end. */
static const char *const paths[N_PATHS] = {
    "a",        "a.b",     "a.b.c",  "s",       "n",
    "k\\x",     "arr",     "arr.0",  "arr.0.a", "arr.-1",
    "arr.-4.a", "arr.1.0", "a.x.-2", "a.b.1",   "a.b.-1.c"};

struct parsers {
    struct cfg_field fields[N_PATHS];
    const char *parts[N_PATHS][MAX_PARTS];
    uint32_t lens[N_PATHS][MAX_PARTS];
    struct parser *scanner, *reference;
    struct parser *lenient; /* the scanner taking NaN and Infinity */
};

/* The paths split at dots, as the configuration splits them. */
static struct parsers *parsers(void)
{
    static struct parsers ps;
    static char store[N_PATHS][16];
    if (ps.scanner != NULL)
        return &ps;
    for (size_t i = 0; i < N_PATHS; i++) {
        struct cfg_field *f = &ps.fields[i];
        snprintf(store[i], sizeof(store[i]), "%s", paths[i]);
        f->path = paths[i];
        f->parts = ps.parts[i];
        f->part_lens = ps.lens[i];
        for (char *s = store[i], *dot; s != NULL; s = dot) {
            if ((dot = strchr(s, '.')) != NULL)
                *dot++ = '\0';
            ps.parts[i][f->n_parts] = s;
            ps.lens[i][f->n_parts++] = (uint32_t)strlen(s);
        }
    }
    if (json_parser_new(ps.fields, N_PATHS, JSON_NON_FINITE_REJECT,
                        &ps.scanner) != 0 ||
        json_parser_new(ps.fields, N_PATHS, JSON_NON_FINITE_MISSING,
                        &ps.lenient) != 0 ||
        json_reference_new(ps.fields, N_PATHS, &ps.reference) != 0)
        fuzz_fail("cannot build the parsers");
    return &ps;
}

static size_t count_brackets(const char *s, size_t n)
{
    size_t open = 0;
    for (size_t i = 0; i < n; i++)
        open += s[i] == '[' || s[i] == '{';
    return open;
}

static bool same_field(const struct field_val *a, const struct field_val *b)
{
    return a->type == b->type && a->p == b->p && a->len == b->len &&
           a->escaped == b->escaped;
}

/*
 * The scanner that takes NaN and Infinity accepts every line the strict
 * one does, with the same fields, and a line only the strict one refuses
 * holds one of those words.
 */
static void check_lenient(struct parsers *ps, const char *line, size_t size,
                          enum parse_result strict, const struct field_set *a)
{
    struct field_val vl[N_PATHS] = {{0}};
    struct field_set l = {vl, N_PATHS, 1};
    enum parse_result rl = parser_parse(ps->lenient, line, size, &l);
    if (strict == PARSE_OK || strict == PARSE_NOT_OBJECT) {
        if (rl != strict)
            fuzz_fail("the lenient scanner says %d, the strict one %d", (int)rl,
                      (int)strict);
    } else if (rl == PARSE_OK && memmem(line, size, "NaN", 3) == NULL &&
               memmem(line, size, "Infinity", 8) == NULL) {
        fuzz_fail("the lenient scanner accepts a line without NaN or "
                  "Infinity that the strict one refuses");
    }
    for (size_t i = 0; strict == PARSE_OK && i < N_PATHS; i++) {
        bool fa = a->vals[i].gen == a->gen, fl = vl[i].gen == l.gen;
        if (fa != fl || (fa && !same_field(&a->vals[i], &vl[i])))
            fuzz_fail("field %s differs in the lenient scanner", paths[i]);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct parsers *ps = parsers();
    const char *line = (const char *)data;
    struct field_val va[N_PATHS] = {{0}}, vb[N_PATHS] = {{0}};
    struct field_set a = {va, N_PATHS, 1}, b = {vb, N_PATHS, 1};

    enum parse_result ra = parser_parse(ps->scanner, line, size, &a);
    enum parse_result rb = parser_parse(ps->reference, line, size, &b);
    check_lenient(ps, line, size, ra, &a);
    if (rb == PARSE_NOT_JSON && ra == PARSE_NOT_OBJECT)
        return 0;
    if (rb == PARSE_TOO_COMPLEX)
        return 0;
    if (ra == PARSE_TOO_COMPLEX && count_brackets(line, size) > JSON_MAX_DEPTH)
        return 0;
    if (ra != rb)
        fuzz_fail("verdicts differ: scanner %d, reference %d", (int)ra,
                  (int)rb);
    if (ra != PARSE_OK)
        return 0;
    for (size_t i = 0; i < N_PATHS; i++) {
        bool fa = va[i].gen == a.gen, fb = vb[i].gen == b.gen;
        if (fa != fb || (fa && !same_field(&va[i], &vb[i])))
            fuzz_fail("field %s differs", paths[i]);
        /* plain promises a label value that needs no repair. */
        if (fa && va[i].plain && va[i].type == FIELD_STRING)
            for (uint32_t k = 0; k < va[i].len; k++)
                if (va[i].p[k] == '\\' || (unsigned char)va[i].p[k] < 0x20 ||
                    (unsigned char)va[i].p[k] >= 0x80)
                    fuzz_fail("field %s is plain but holds byte 0x%02x",
                              paths[i], (unsigned char)va[i].p[k]);
    }
    return 0;
}
