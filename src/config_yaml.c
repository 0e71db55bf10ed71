/*
 * The loader's generic YAML helpers: reporting at a node's line and column,
 * scalars with ${VAR} expansion, typed values (booleans, sizes, numbers,
 * durations, regular expressions), mappings with their allowed keys, field
 * paths and name checks. They know YAML and the loader's error list, not
 * what any key of the configuration means.
 */
#include "config_yaml.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>

/* --- reporting ----------------------------------------------------------- */

#define CFG_ERRORS_MIN 16 /* room for errors, at first */

void cfg_err_at(struct loader *L, const yaml_mark_t *mark, const char *fmt, ...)
{
    va_list ap;
    L->n_errors++;
    /* Kept apart, to be written in the order of the file. */
    if (L->n_errs == L->cap_errs) {
        size_t cap = L->cap_errs ? L->cap_errs * 2 : CFG_ERRORS_MIN;
        struct cfg_error *e = realloc(L->errs, cap * sizeof(*e));
        if (e == NULL) {
            L->err_text.oom = true;
            return;
        }
        L->errs = e;
        L->cap_errs = cap;
    }
    struct cfg_error *e = &L->errs[L->n_errs++];
    e->line = mark ? mark->line + 1 : 0;
    e->column = mark ? mark->column + 1 : 0;
    e->seq = L->n_errs;
    e->at = L->err_text.len;
    va_start(ap, fmt);
    buf_vprintf(&L->err_text, fmt, ap);
    va_end(ap);
    e->len = L->err_text.len - e->at;
}

static int error_cmp(const void *a, const void *b)
{
    const struct cfg_error *x = a, *y = b;
    if (x->line != y->line)
        return x->line < y->line ? -1 : 1;
    if (x->column != y->column)
        return x->column < y->column ? -1 : 1;
    return x->seq < y->seq ? -1 : x->seq > y->seq;
}

void cfg_flush_errors(struct loader *L)
{
    if (L->n_errs > 1) /* qsort() takes no NULL, even for nothing */
        qsort(L->errs, L->n_errs, sizeof(*L->errs), error_cmp);
    size_t shown = 0;
    for (; shown < L->n_errs && shown < CONFIG_MAX_ERRORS; shown++) {
        const struct cfg_error *e = &L->errs[shown];
        if (e->line > 0)
            buf_printf(L->errors, "%s:%zu:%zu: ", L->name, e->line, e->column);
        else
            buf_printf(L->errors, "%s: ", L->name);
        if (!L->err_text.oom && e->len > 0)
            buf_append(L->errors, L->err_text.data + e->at, e->len);
        buf_putc(L->errors, '\n');
    }
    if (L->err_text.oom)
        buf_printf(L->errors, "%s: out of memory\n", L->name);
    if ((size_t)L->n_errors > shown)
        buf_printf(L->errors, "%s: %zu more errors not shown\n", L->name,
                   (size_t)L->n_errors - shown);
    free(L->errs);
    buf_free(&L->err_text);
    L->errs = NULL;
    L->n_errs = L->cap_errs = 0;
}

void cfg_oom(struct loader *L)
{
    if (!L->oom) {
        L->oom = true;
        cfg_err_at(L, NULL, "out of memory");
    }
}

void *cfg_alloc(struct loader *L, size_t n)
{
    void *p = arena_alloc(&L->cfg->arena, n);
    if (p == NULL)
        cfg_oom(L);
    return p;
}

const char *cfg_strdup(struct loader *L, const char *s)
{
    const char *p = arena_strdup(&L->cfg->arena, s);
    if (p == NULL)
        cfg_oom(L);
    return p;
}

yaml_node_t *cfg_node(struct loader *L, int index)
{
    return yaml_document_get_node(&L->doc, index);
}

static const char *node_kind(const yaml_node_t *n)
{
    switch (n->type) {
    case YAML_SCALAR_NODE:
        return "a scalar";
    case YAML_SEQUENCE_NODE:
        return "a list";
    case YAML_MAPPING_NODE:
        return "a mapping";
    default:
        return "nothing";
    }
}

bool cfg_want(struct loader *L, const yaml_node_t *n, yaml_node_type_t t,
              const char *what)
{
    static const char *const names[] = {
        [YAML_SCALAR_NODE] = "a scalar",
        [YAML_SEQUENCE_NODE] = "a list",
        [YAML_MAPPING_NODE] = "a mapping",
    };
    if (n->type == t)
        return true;
    cfg_err(L, n, "%s must be %s, not %s", what, names[t], node_kind(n));
    return false;
}

/* --- strings and environment expansion ----------------------------------- */

static bool is_env_name(const char *s, size_t n)
{
    if (n == 0 || (s[0] >= '0' && s[0] <= '9'))
        return false;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if (!(c == '_' || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
              (c >= '0' && c <= '9')))
            return false;
    }
    return true;
}

/*
 * Appends the expansion of one reference, body being the text between
 * "${" and "}" (body_len bytes): the variable's value, or the default
 * after ":-" when the variable is unset or empty. Returns false (after
 * reporting) when body is no reference or names an unset variable without
 * a default.
 */
static bool expand_var(struct loader *L, const yaml_node_t *n, const char *what,
                       const char *body, size_t body_len, struct buf *out)
{
    const char *sep = NULL;
    for (size_t k = 0; k + 1 < body_len; k++)
        if (body[k] == ':' && body[k + 1] == '-') {
            sep = body + k;
            break;
        }
    size_t name_len = sep ? (size_t)(sep - body) : body_len;
    if (!is_env_name(body, name_len)) {
        cfg_err(L, n, "%s: \"${%.*s}\" is not a variable reference", what,
                (int)body_len, body);
        return false;
    }
    char name[256];
    if (name_len >= sizeof(name)) {
        cfg_err(L, n, "%s: variable name too long", what);
        return false;
    }
    memcpy(name, body, name_len);
    name[name_len] = '\0';
    const char *val = getenv(name);
    if (sep != NULL && (val == NULL || val[0] == '\0')) {
        buf_append(out, sep + 2, body_len - name_len - 2);
        return true;
    }
    if (val == NULL) {
        cfg_err(L, n,
                "%s: environment variable %s is not set (use ${%s:-default} "
                "for a fallback)",
                what, name, name);
        return false;
    }
    buf_puts(out, val);
    return true;
}

/*
 * The scalar's text with ${VAR} and ${VAR:-default} expanded; NULL (with
 * an error) when n is not a scalar or an expansion is malformed.
 */
const char *cfg_scalar(struct loader *L, const yaml_node_t *n, const char *what,
                       size_t *len_out)
{
    if (!cfg_want(L, n, YAML_SCALAR_NODE, what))
        return NULL;
    const char *s = (const char *)n->data.scalar.value;
    size_t len = n->data.scalar.length;
    struct buf out = {0};
    bool ok = true;

    for (size_t i = 0; ok && i < len; i++) {
        if (s[i] != '$' || i + 1 >= len) {
            buf_putc(&out, s[i]);
            continue;
        }
        if (s[i + 1] == '$') {
            buf_putc(&out, '$');
            i++;
            continue;
        }
        if (s[i + 1] != '{') {
            buf_putc(&out, '$');
            continue;
        }
        const char *body = s + i + 2;
        const char *close = memchr(body, '}', len - i - 2);
        if (close == NULL) {
            cfg_err(L, n, "%s: unterminated \"${\" (write $$ for a literal $)",
                    what);
            ok = false;
        } else {
            ok = expand_var(L, n, what, body, (size_t)(close - body), &out);
            i = (size_t)(close - s);
        }
    }
    const char *r = NULL;
    if (ok) {
        r = arena_strndup(&L->cfg->arena, out.data ? out.data : "", out.len);
        if (r == NULL)
            cfg_oom(L);
        else if (len_out)
            *len_out = out.len;
    }
    buf_free(&out);
    return r;
}

/*
 * A plain (unquoted) scalar, as typed values require: "100" is text. A
 * quoted one holding a ${VAR} reference is typed after expansion, because
 * in a flow mapping ({max_series: ${MAX:-5}}) the braces are YAML's and
 * the reference must be quoted.
 */
const char *cfg_plain(struct loader *L, const yaml_node_t *n, const char *what,
                      const char *type_name)
{
    const char *s = cfg_scalar(L, n, what, NULL);
    if (s == NULL)
        return NULL;
    if (n->data.scalar.style != YAML_PLAIN_SCALAR_STYLE &&
        strstr((const char *)n->data.scalar.value, "${") == NULL) {
        cfg_err(L, n, "%s must be %s, not a quoted string", what, type_name);
        return NULL;
    }
    return s;
}

/* A non-empty string. */
const char *cfg_string(struct loader *L, const yaml_node_t *n, const char *what)
{
    size_t len;
    const char *s = cfg_scalar(L, n, what, &len);
    if (s != NULL && len == 0) {
        cfg_err(L, n, "%s must not be empty", what);
        return NULL;
    }
    return s;
}

bool cfg_bool(struct loader *L, const yaml_node_t *n, const char *what,
              bool *out)
{
    const char *s = cfg_plain(L, n, what, "true or false");
    if (s == NULL)
        return false;
    if (strcmp(s, "true") == 0)
        *out = true;
    else if (strcmp(s, "false") == 0)
        *out = false;
    else {
        cfg_err(L, n, "%s must be true or false, not \"%s\"", what, s);
        return false;
    }
    return true;
}

/* A unit written right after a whole number, and what one of it is worth. */
struct unit {
    const char *suffix;
    uint64_t worth;
};

static const struct unit plain_units[] = {{"", 1}};
static const struct unit byte_units[] = {
    {"", 1},
    {"KiB", 1024},
    {"MiB", 1024 * 1024},
    {"GiB", 1024 * 1024 * 1024ULL},
};
/* Largest first: a limit is written in the largest unit it is whole in. */
static const struct unit ms_units[] = {
    {"d", 24 * 60 * 60 * 1000},
    {"h", 60 * 60 * 1000},
    {"m", 60 * 1000},
    {"s", 1000},
    {"ms", 1},
};
#define DURATION_TEXT_MAX 32 /* "18446744073709551615ms" and a NUL */

/*
 * Reads s, a whole number with one of units right after it, into *v and
 * returns what that unit is worth; 0 when s is no such thing.
 */
static uint64_t whole_number(const char *s, const struct unit *units, size_t n,
                             unsigned long long *v)
{
    char *end;
    errno = 0;
    *v = strtoull(s, &end, 10);
    if (end == s || s[0] == '-' || errno != 0)
        return 0;
    for (size_t i = 0; i < n; i++)
        if (strcmp(end, units[i].suffix) == 0)
            return units[i].worth;
    return 0;
}

/* A whole number in [min, max]; accepts KiB/MiB/GiB suffixes when bytes. */
bool cfg_size(struct loader *L, const yaml_node_t *n, const char *what,
              size_t min, size_t max, bool bytes, size_t *out)
{
    const char *s = cfg_plain(L, n, what, "a whole number");
    if (s == NULL)
        return false;
    unsigned long long v;
    uint64_t mult =
        bytes ? whole_number(s, byte_units,
                             sizeof(byte_units) / sizeof(*byte_units), &v)
              : whole_number(s, plain_units, 1, &v);
    if (mult == 0) {
        cfg_err(L, n, "%s must be a whole number%s, not \"%s\"", what,
                bytes ? " of bytes (optionally with KiB, MiB or GiB)" : "", s);
        return false;
    }
    if (v > max / mult || v * mult < min || v * mult > max) {
        cfg_err(L, n, "%s must be between %zu and %zu, not %s", what, min, max,
                s);
        return false;
    }
    *out = (size_t)(v * mult);
    return true;
}

bool cfg_number(struct loader *L, const yaml_node_t *n, const char *what,
                struct num_dec *out)
{
    const char *s = cfg_plain(L, n, what, "a number");
    if (s == NULL)
        return false;
    if (num_parse_text(s, strlen(s), out) != 0) {
        cfg_err(L, n, "%s must be a decimal number, not \"%s\"", what, s);
        return false;
    }
    return true;
}

/* ms as the user would write it: "31d" rather than "2678400000ms". */
static const char *duration_text(uint64_t ms, char out[DURATION_TEXT_MAX])
{
    const struct unit *u = &ms_units[sizeof(ms_units) / sizeof(*ms_units) - 1];
    for (size_t i = 0; ms > 0 && i < sizeof(ms_units) / sizeof(*ms_units); i++)
        if (ms % ms_units[i].worth == 0) {
            u = &ms_units[i];
            break;
        }
    snprintf(out, DURATION_TEXT_MAX, "%llu%s",
             (unsigned long long)(ms / u->worth), ms > 0 ? u->suffix : "s");
    return out;
}

/*
 * A duration: a whole number followed by ms, s, m, h or d ("500ms", "5s").
 * Stores milliseconds; the value must lie in [min_ms, max_ms].
 */
bool cfg_duration(struct loader *L, const yaml_node_t *n, const char *what,
                  uint64_t min_ms, uint64_t max_ms, uint64_t *out)
{
    const char *s = cfg_plain(L, n, what, "a duration");
    if (s == NULL)
        return false;
    unsigned long long v;
    uint64_t unit =
        whole_number(s, ms_units, sizeof(ms_units) / sizeof(*ms_units), &v);
    if (unit == 0) {
        cfg_err(L, n,
                "%s must be a duration such as 500ms, 5s, 2m, 1h or 7d, not "
                "\"%s\"",
                what, s);
        return false;
    }
    if (v > max_ms / unit || v * unit < min_ms) {
        char lo[DURATION_TEXT_MAX], hi[DURATION_TEXT_MAX];
        cfg_err(L, n, "%s must be between %s and %s, not %s", what,
                duration_text(min_ms, lo), duration_text(max_ms, hi), s);
        return false;
    }
    *out = v * unit;
    return true;
}

bool cfg_regex(struct loader *L, const yaml_node_t *n, const char *what,
               const char **out)
{
    const char *s = cfg_string(L, n, what);
    int code;
    PCRE2_SIZE at;
    if (s == NULL)
        return false;
    pcre2_code *re = pcre2_compile((PCRE2_SPTR)s, PCRE2_ZERO_TERMINATED, 0,
                                   &code, &at, NULL);
    if (re == NULL) {
        PCRE2_UCHAR msg[256];
        pcre2_get_error_message(code, msg, sizeof(msg));
        cfg_err(L, n, "%s: %s at offset %zu of the expression", what,
                (const char *)msg, (size_t)at);
        return false;
    }
    pcre2_code_free(re);
    *out = s;
    return true;
}

/* --- mappings ------------------------------------------------------------ */

/*
 * "Did you mean": an unknown key is taken for an allowed one at most
 * SUGGEST_MAX_EDITS edits away (characters inserted, deleted or replaced),
 * or for one it starts, when at least SUGGEST_MIN_PREFIX characters long
 * ("checkpoint" for "checkpoint_interval"). Keys of EDIT_MAX_LEN
 * characters or more get no suggestion.
 */
#define SUGGEST_MAX_EDITS  2
#define SUGGEST_MIN_PREFIX 4
#define EDIT_MAX_LEN       64

size_t cfg_edit_distance(const char *a, const char *b)
{
    size_t la = strlen(a), lb = strlen(b);
    size_t row[EDIT_MAX_LEN];
    if (la >= EDIT_MAX_LEN || lb >= EDIT_MAX_LEN)
        return SIZE_MAX;
    for (size_t j = 0; j <= lb; j++)
        row[j] = j;
    for (size_t i = 1; i <= la; i++) {
        size_t diag = row[0];
        row[0] = i;
        for (size_t j = 1; j <= lb; j++) {
            size_t up = row[j];
            size_t best = diag + (a[i - 1] != b[j - 1]);
            if (up + 1 < best)
                best = up + 1;
            if (row[j - 1] + 1 < best)
                best = row[j - 1] + 1;
            row[j] = best;
            diag = up;
        }
    }
    return row[lb];
}

/*
 * Checks that n is a mapping whose keys are all in allowed (NULL
 * terminated) and none repeats. Reports each offender; returns false only
 * when n is not a mapping at all.
 */
bool cfg_keys(struct loader *L, const yaml_node_t *n,
              const char *const *allowed, const char *what)
{
    return cfg_keys_hint(L, n, allowed, what, NULL);
}

bool cfg_keys_hint(struct loader *L, const yaml_node_t *n,
                   const char *const *allowed, const char *what,
                   const char *hint)
{
    if (!cfg_want(L, n, YAML_MAPPING_NODE, what))
        return false;
    for (yaml_node_pair_t *p = n->data.mapping.pairs.start;
         p < n->data.mapping.pairs.top; p++) {
        yaml_node_t *k = cfg_node(L, p->key);
        if (k->type != YAML_SCALAR_NODE) {
            cfg_err(L, k, "keys in %s must be scalars", what);
            continue;
        }
        const char *key = (const char *)k->data.scalar.value;
        bool known = false;
        for (const char *const *a = allowed; *a; a++)
            if (strcmp(key, *a) == 0)
                known = true;
        if (!known) {
            const char *best = NULL;
            size_t best_d = SUGGEST_MAX_EDITS + 1;
            for (const char *const *a = allowed; *a; a++) {
                size_t d = cfg_edit_distance(key, *a);
                /* A shortened key ("checkpoint") suggests the full one. */
                size_t kl = strlen(key), al = strlen(*a);
                if (d >= best_d && kl >= SUGGEST_MIN_PREFIX && kl < al &&
                    strncmp(key, *a, kl) == 0)
                    d = best_d - 1;
                if (d < best_d)
                    best_d = d, best = *a;
            }
            char mean[EDIT_MAX_LEN + 32] = "";
            if (best)
                snprintf(mean, sizeof(mean), " (did you mean \"%s\"?)", best);
            cfg_err(L, k, "unknown key \"%s\" in %s%s%s%s", key, what, mean,
                    hint ? "; " : "", hint ? hint : "");
            continue;
        }
        for (yaml_node_pair_t *q = n->data.mapping.pairs.start; q < p; q++) {
            yaml_node_t *k2 = cfg_node(L, q->key);
            if (k2->type == YAML_SCALAR_NODE &&
                strcmp((const char *)k2->data.scalar.value, key) == 0) {
                cfg_err(L, k, "duplicate key \"%s\" in %s (first at line %zu)",
                        key, what, k2->start_mark.line + 1);
                break;
            }
        }
    }
    return true;
}

/* The value node of key in mapping n, or NULL. */
yaml_node_t *cfg_get(struct loader *L, const yaml_node_t *n, const char *key)
{
    if (n->type != YAML_MAPPING_NODE)
        return NULL;
    for (yaml_node_pair_t *p = n->data.mapping.pairs.start;
         p < n->data.mapping.pairs.top; p++) {
        yaml_node_t *k = cfg_node(L, p->key);
        if (k->type == YAML_SCALAR_NODE &&
            strcmp((const char *)k->data.scalar.value, key) == 0)
            return cfg_node(L, p->value);
    }
    return NULL;
}

size_t cfg_seq_len(const yaml_node_t *n)
{
    return (size_t)(n->data.sequence.items.top - n->data.sequence.items.start);
}

size_t cfg_map_len(const yaml_node_t *n)
{
    return (size_t)(n->data.mapping.pairs.top - n->data.mapping.pairs.start);
}

/* --- names and fields ---------------------------------------------------- */

const char *cfg_choices(char *list, size_t cap, const char *(*name)(size_t),
                        size_t n, bool quoted)
{
    const char *q = quoted ? "\"" : "";
    size_t len = 0;
    list[0] = '\0';
    for (size_t i = 0; i < n && len < cap; i++) {
        const char *sep = i == 0 ? "" : i + 1 < n ? ", " : " or ";
        int w = snprintf(list + len, cap - len, "%s%s%s%s", sep, q, name(i), q);
        len += w > 0 ? (size_t)w : 0;
    }
    return list;
}

int cfg_choice(struct loader *L, const yaml_node_t *n, const char *what,
               int (*parse)(const char *), const char *(*name)(size_t),
               size_t count, bool quoted)
{
    const char *s = cfg_scalar(L, n, what, NULL);
    if (s == NULL)
        return -1;
    int v = parse(s);
    if (v < 0) {
        char list[128];
        cfg_err(L, n, "%s must be %s, not \"%s\"", what,
                cfg_choices(list, sizeof(list), name, count, quoted), s);
    }
    return v;
}

bool cfg_is_metric_name(const char *s)
{
    if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') || *s == '_' ||
          *s == ':'))
        return false;
    for (s++; *s; s++)
        if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') ||
              (*s >= '0' && *s <= '9') || *s == '_' || *s == ':'))
            return false;
    return true;
}

bool cfg_is_label_name(const char *s)
{
    if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') || *s == '_'))
        return false;
    for (s++; *s; s++)
        if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') ||
              (*s >= '0' && *s <= '9') || *s == '_'))
            return false;
    return true;
}

bool cfg_starts_with(const char *s, const char *prefix)
{
    return strncmp(s, prefix, strlen(prefix)) == 0;
}

bool cfg_ends_with(const char *s, const char *suffix)
{
    size_t a = strlen(s), b = strlen(suffix);
    return a >= b && strcmp(s + a - b, suffix) == 0;
}

/* Whether a path part that counts back from an array's end ("-3") stays
 * within CONFIG_MAX_FROM_END; any other part is an object key. */
static bool from_end_ok(const char *part, uint32_t len)
{
    if (len < 2 || part[0] != '-' || part[1] < '1' || part[1] > '9')
        return true;
    uint32_t k = 0;
    for (uint32_t i = 1; i < len; i++) {
        if (part[i] < '0' || part[i] > '9')
            return true; /* "-1a": a key */
        if (k <= CONFIG_MAX_FROM_END)
            k = k * 10 + (uint32_t)(part[i] - '0');
    }
    return k <= CONFIG_MAX_FROM_END;
}

/*
 * Registers the field path written in node n and returns its index, or -1
 * after reporting a malformed path. Dots separate object keys; "\." is a
 * literal dot and "\\" a literal backslash inside a key. The path is kept
 * once, however many places name it.
 */
int cfg_field_ref(struct loader *L, const yaml_node_t *n, const char *what)
{
    const char *path = cfg_string(L, n, what);
    return path != NULL ? cfg_field_path(L, n, path, strlen(path), what) : -1;
}

int cfg_field_path(struct loader *L, const yaml_node_t *n, const char *written,
                   size_t len, const char *what)
{
    for (size_t i = 0; i < L->n_fields; i++)
        if (strlen(L->fields[i].path) == len &&
            memcmp(L->fields[i].path, written, len) == 0)
            return (int)i;
    const char *path = arena_strndup(&L->cfg->arena, written, len);
    if (path == NULL) {
        cfg_oom(L);
        return -1;
    }

    size_t max_parts = 1;
    for (size_t i = 0; i < len; i++)
        max_parts += path[i] == '.';
    const char **parts = cfg_alloc(L, max_parts * sizeof(*parts));
    uint32_t *lens = cfg_alloc(L, max_parts * sizeof(*lens));
    char *text = cfg_alloc(L, len + 1);
    if (parts == NULL || lens == NULL || text == NULL)
        return -1;

    uint32_t n_parts = 0;
    size_t t = 0, part_start = 0;
    for (size_t i = 0; i <= len; i++) {
        if (i == len || path[i] == '.') {
            if (t == part_start) {
                cfg_err(L, n, "%s \"%s\" has an empty key", what, path);
                return -1;
            }
            parts[n_parts] = text + part_start;
            lens[n_parts] = (uint32_t)(t - part_start);
            n_parts++;
            text[t++] = '\0';
            part_start = t;
            continue;
        }
        if (path[i] == '\\') {
            if (i + 1 < len && (path[i + 1] == '.' || path[i + 1] == '\\')) {
                text[t++] = path[++i];
                continue;
            }
            cfg_err(L, n, "%s \"%s\": a backslash must precede '.' or '\\'",
                    what, path);
            return -1;
        }
        text[t++] = path[i];
    }

    for (uint32_t i = 0; i < n_parts; i++)
        if (!from_end_ok(parts[i], lens[i])) {
            cfg_err(L, n,
                    "%s \"%s\": a part counts at most %d elements back "
                    "from the end of an array (-1 is the last)",
                    what, path, CONFIG_MAX_FROM_END);
            return -1;
        }

    if (L->n_fields == L->cap_fields) {
        size_t cap = L->cap_fields ? L->cap_fields * 2 : 16;
        struct cfg_field *f = realloc(L->fields, cap * sizeof(*f));
        if (f == NULL) {
            cfg_oom(L);
            return -1;
        }
        L->fields = f;
        L->cap_fields = cap;
    }
    struct cfg_field *f = &L->fields[L->n_fields];
    f->path = path;
    f->parts = parts;
    f->part_lens = lens;
    f->n_parts = n_parts;
    return (int)L->n_fields++;
}
