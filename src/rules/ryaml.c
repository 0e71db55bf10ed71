/*
 * YAML for rule files and rule tests: libyaml's document, and messages at
 * the place of each node.
 */
#include "ryaml.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "promql.h"

#define RYAML_FILE_MAX (16u << 20) /* bytes: a rule file is small */

static int read_file(const char *path, char **text, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (f == NULL)
        return -errno;
    struct buf b = {0};
    char chunk[65536];
    size_t n;
    while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0 &&
           b.len <= RYAML_FILE_MAX)
        buf_append(&b, chunk, n);
    int rc = ferror(f) ? -EIO : b.oom ? -ENOMEM : 0;
    if (rc == 0 && b.len > RYAML_FILE_MAX)
        rc = -EFBIG;
    fclose(f);
    if (rc != 0) {
        buf_free(&b);
        return rc;
    }
    *text = buf_release(&b, len);
    if (*text == NULL)
        *text = strdup("");
    return *text ? 0 : -ENOMEM;
}

int ryaml_open(struct ryaml *y, const char *path, struct buf *errors)
{
    memset(y, 0, sizeof(*y));
    y->name = path;
    y->errors = errors;
    int rc = read_file(path, &y->text, &y->len);
    if (rc != 0) {
        buf_printf(errors, "%s: %s\n", path, strerror(-rc));
        return rc;
    }
    yaml_parser_t parser;
    if (!yaml_parser_initialize(&parser))
        return -ENOMEM;
    yaml_parser_set_input_string(&parser, (const unsigned char *)y->text,
                                 y->len);
    if (!yaml_parser_load(&parser, &y->doc)) {
        ryaml_err_at(y, parser.problem_mark.line + 1,
                     parser.problem_mark.column + 1, "YAML: %s",
                     parser.problem ? parser.problem : "syntax error");
        yaml_parser_delete(&parser);
        return -EINVAL;
    }
    yaml_parser_delete(&parser);
    y->loaded = true;
    return 0;
}

void ryaml_close(struct ryaml *y)
{
    if (y->loaded)
        yaml_document_delete(&y->doc);
    free(y->text);
    y->text = NULL;
    y->loaded = false;
}

yaml_node_t *ryaml_root(struct ryaml *y)
{
    return y->loaded ? yaml_document_get_root_node(&y->doc) : NULL;
}

static void verr(struct ryaml *y, size_t line, size_t column, const char *fmt,
                 va_list ap)
{
    y->n_errors++;
    if (line > 0)
        buf_printf(y->errors, "%s:%zu:%zu: ", y->name, line, column);
    else
        buf_printf(y->errors, "%s: ", y->name);
    buf_vprintf(y->errors, fmt, ap);
    buf_putc(y->errors, '\n');
}

void ryaml_err_at(struct ryaml *y, size_t line, size_t column, const char *fmt,
                  ...)
{
    va_list ap;
    va_start(ap, fmt);
    verr(y, line, column, fmt, ap);
    va_end(ap);
}

void ryaml_err(struct ryaml *y, const yaml_node_t *n, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    verr(y, n ? n->start_mark.line + 1 : 0, n ? n->start_mark.column + 1 : 0,
         fmt, ap);
    va_end(ap);
}

size_t ryaml_len(const yaml_node_t *n)
{
    if (n == NULL)
        return 0;
    if (n->type == YAML_SEQUENCE_NODE)
        return (size_t)(n->data.sequence.items.top -
                        n->data.sequence.items.start);
    if (n->type == YAML_MAPPING_NODE)
        return (size_t)(n->data.mapping.pairs.top -
                        n->data.mapping.pairs.start);
    return 0;
}

yaml_node_t *ryaml_item(struct ryaml *y, const yaml_node_t *n, size_t i)
{
    return yaml_document_get_node(&y->doc, n->data.sequence.items.start[i]);
}

yaml_node_t *ryaml_pair(struct ryaml *y, const yaml_node_t *n, size_t i,
                        yaml_node_t **value)
{
    const yaml_node_pair_t *p = &n->data.mapping.pairs.start[i];
    *value = yaml_document_get_node(&y->doc, p->value);
    return yaml_document_get_node(&y->doc, p->key);
}

static bool key_is(const yaml_node_t *k, const char *key)
{
    return k->type == YAML_SCALAR_NODE &&
           k->data.scalar.length == strlen(key) &&
           memcmp(k->data.scalar.value, key, k->data.scalar.length) == 0;
}

yaml_node_t *ryaml_key_node(struct ryaml *y, const yaml_node_t *n,
                            const char *key)
{
    if (n == NULL || n->type != YAML_MAPPING_NODE)
        return NULL;
    for (size_t i = 0; i < ryaml_len(n); i++) {
        yaml_node_t *v, *k = ryaml_pair(y, n, i, &v);
        if (key_is(k, key))
            return k;
    }
    return NULL;
}

yaml_node_t *ryaml_get(struct ryaml *y, const yaml_node_t *n, const char *key)
{
    if (n == NULL || n->type != YAML_MAPPING_NODE)
        return NULL;
    for (size_t i = 0; i < ryaml_len(n); i++) {
        yaml_node_t *v, *k = ryaml_pair(y, n, i, &v);
        if (key_is(k, key))
            return v;
    }
    return NULL;
}

bool ryaml_keys(struct ryaml *y, const yaml_node_t *n,
                const char *const *allowed, const char *what)
{
    if (n == NULL || n->type != YAML_MAPPING_NODE) {
        ryaml_err(y, n, "%s must be a mapping", what);
        return false;
    }
    bool ok = true;
    for (size_t i = 0; i < ryaml_len(n); i++) {
        yaml_node_t *v, *k = ryaml_pair(y, n, i, &v);
        size_t a = 0;
        while (allowed[a] != NULL && !key_is(k, allowed[a]))
            a++;
        for (size_t j = 0; j < i && allowed[a] != NULL; j++) {
            yaml_node_t *v2, *k2 = ryaml_pair(y, n, j, &v2);
            if (key_is(k2, allowed[a])) {
                ryaml_err(y, k, "%s: %s is given twice", what, allowed[a]);
                ok = false;
            }
        }
        if (allowed[a] == NULL) {
            /* Up to a control byte: a message stays on its line. */
            const char *name = k->type == YAML_SCALAR_NODE
                                   ? (const char *)k->data.scalar.value
                                   : "?";
            size_t len = 0;
            while (name[len] != '\0' && (unsigned char)name[len] >= ' ' &&
                   len < 128)
                len++;
            ryaml_err(y, k, "%s: unknown key \"%.*s\"", what, (int)len, name);
            ok = false;
        }
    }
    return ok;
}

const char *ryaml_scalar(struct ryaml *y, const yaml_node_t *n,
                         const char *what)
{
    if (n == NULL || n->type != YAML_SCALAR_NODE) {
        ryaml_err(y, n, "%s must be a scalar", what);
        return NULL;
    }
    return (const char *)n->data.scalar.value;
}

bool ryaml_is_list(struct ryaml *y, const yaml_node_t *n, const char *what)
{
    if (n != NULL && n->type == YAML_SEQUENCE_NODE)
        return true;
    ryaml_err(y, n, "%s must be a list", what);
    return false;
}

bool ryaml_duration(struct ryaml *y, const yaml_node_t *n, const char *what,
                    int64_t *ms)
{
    const char *s = ryaml_scalar(y, n, what);
    if (s == NULL)
        return false;
    if (strcmp(s, "0") == 0) {
        *ms = 0;
        return true;
    }
    if (promql_duration(s, strlen(s), ms) != 0) {
        ryaml_err(y, n,
                  "%s must be a duration such as 30s, 5m or 1h30m, "
                  "not \"%s\"",
                  what, s);
        return false;
    }
    return true;
}

bool ryaml_number(struct ryaml *y, const yaml_node_t *n, const char *what,
                  double *out)
{
    const char *s = ryaml_scalar(y, n, what);
    char *end;
    if (s == NULL)
        return false;
    const char *digits = s + (s[0] == '+' || s[0] == '-');
    /* YAML's own spellings (.inf, .nan), and Go's (Inf, NaN). */
    if (digits[0] == '.' && (strcasecmp(digits + 1, "inf") == 0 ||
                             strcasecmp(digits + 1, "nan") == 0)) {
        *out = tolower((unsigned char)digits[1]) == 'n' ? NAN
               : s[0] == '-'                            ? -INFINITY
                                                        : INFINITY;
        return true;
    }
    if (strcasecmp(digits, "inf") == 0 || strcasecmp(digits, "nan") == 0 ||
        strcasecmp(digits, "infinity") == 0) {
        *out = strtod(s, NULL);
        return true;
    }
    *out = strtod(s, &end);
    if (s[0] == '\0' || *end != '\0' || strchr(s, 'x') || strchr(s, 'X')) {
        ryaml_err(y, n, "%s must be a number, not \"%s\"", what, s);
        return false;
    }
    return true;
}

/* The number of spaces that start line (from 0) of the text. */
static size_t indent_of(const struct ryaml *y, size_t line)
{
    size_t i = 0;
    for (size_t l = 0; l < line && i < y->len; i++)
        if (y->text[i] == '\n')
            l++;
    size_t n = 0;
    while (i + n < y->len && y->text[i + n] == ' ')
        n++;
    return n;
}

void ryaml_place(const struct ryaml *y, const yaml_node_t *n, size_t pos,
                 size_t *line, size_t *column)
{
    const char *v = (const char *)n->data.scalar.value;
    size_t newlines = 0, line_start = 0;
    for (size_t i = 0; i < pos && v[i] != '\0'; i++)
        if (v[i] == '\n') {
            newlines++;
            line_start = i + 1;
        }
    *line = n->start_mark.line + 1;
    *column = n->start_mark.column + 1;
    switch (n->data.scalar.style) {
    case YAML_PLAIN_SCALAR_STYLE:
        if (newlines == 0)
            *column += pos;
        break;
    case YAML_SINGLE_QUOTED_SCALAR_STYLE:
    case YAML_DOUBLE_QUOTED_SCALAR_STYLE:
        if (newlines == 0 && n->start_mark.line == n->end_mark.line)
            *column += pos + 1;
        break;
    case YAML_LITERAL_SCALAR_STYLE:
        /* The text starts on the line after the "|", indented as its
         * first line is. */
        *line = n->start_mark.line + 2 + newlines;
        *column = indent_of(y, n->start_mark.line + 1) + pos - line_start + 1;
        break;
    default:
        break;
    }
}
