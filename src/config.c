#include "config.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

#define LOADER_MAX_COND_DEPTH 16

/* Prometheus' client defaults, for histograms that name no buckets. */
static const char *const default_buckets[] = {"0.005", "0.01", "0.025", "0.05",
                                              "0.1",   "0.25", "0.5",   "1",
                                              "2.5",   "5",    "10"};

struct loader {
    const char *name; /* file name for messages */
    yaml_document_t doc;
    struct config *cfg;
    struct buf *errors;
    int n_errors;
    struct cfg_field *fields; /* grows while loading, copied at the end */
    size_t n_fields, cap_fields;
    bool oom;
};

/* --- reporting ----------------------------------------------------------- */

static void lerr_at(struct loader *L, const yaml_mark_t *mark, const char *fmt,
                    ...) __attribute__((format(printf, 3, 4)));

static void lerr_at(struct loader *L, const yaml_mark_t *mark, const char *fmt,
                    ...)
{
    va_list ap;
    if (++L->n_errors > CONFIG_MAX_ERRORS)
        return;
    if (mark != NULL)
        buf_printf(L->errors, "%s:%zu:%zu: ", L->name, mark->line + 1,
                   mark->column + 1);
    else
        buf_printf(L->errors, "%s: ", L->name);
    va_start(ap, fmt);
    buf_vprintf(L->errors, fmt, ap);
    va_end(ap);
    buf_putc(L->errors, '\n');
}

#define lerr(L, node, ...) lerr_at((L), &(node)->start_mark, __VA_ARGS__)

static void loom(struct loader *L)
{
    if (!L->oom) {
        L->oom = true;
        lerr_at(L, NULL, "out of memory");
    }
}

static void *lalloc(struct loader *L, size_t n)
{
    void *p = arena_alloc(&L->cfg->arena, n);
    if (p == NULL)
        loom(L);
    return p;
}

static yaml_node_t *lnode(struct loader *L, int index)
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

static bool want(struct loader *L, const yaml_node_t *n, yaml_node_type_t t,
                 const char *what)
{
    static const char *const names[] = {
        [YAML_SCALAR_NODE] = "a scalar",
        [YAML_SEQUENCE_NODE] = "a list",
        [YAML_MAPPING_NODE] = "a mapping",
    };
    if (n->type == t)
        return true;
    lerr(L, n, "%s must be %s, not %s", what, names[t], node_kind(n));
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
 * The scalar's text with ${VAR} and ${VAR:-default} expanded; NULL (with
 * an error) when n is not a scalar or an expansion is malformed.
 */
static const char *lscalar(struct loader *L, const yaml_node_t *n,
                           const char *what, size_t *len_out)
{
    if (!want(L, n, YAML_SCALAR_NODE, what))
        return NULL;
    const char *s = (const char *)n->data.scalar.value;
    size_t len = n->data.scalar.length;
    struct buf out = {0};
    bool ok = true;

    for (size_t i = 0; i < len; i++) {
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
        const char *close = memchr(s + i + 2, '}', len - i - 2);
        if (close == NULL) {
            lerr(L, n, "%s: unterminated \"${\" (write $$ for a literal $)",
                 what);
            ok = false;
            break;
        }
        const char *body = s + i + 2;
        size_t body_len = (size_t)(close - body);
        const char *sep = NULL;
        for (size_t k = 0; k + 1 < body_len; k++)
            if (body[k] == ':' && body[k + 1] == '-') {
                sep = body + k;
                break;
            }
        size_t name_len = sep ? (size_t)(sep - body) : body_len;
        if (!is_env_name(body, name_len)) {
            lerr(L, n, "%s: \"${%.*s}\" is not a variable reference", what,
                 (int)body_len, body);
            ok = false;
            break;
        }
        char name[256];
        if (name_len >= sizeof(name)) {
            lerr(L, n, "%s: variable name too long", what);
            ok = false;
            break;
        }
        memcpy(name, body, name_len);
        name[name_len] = '\0';
        const char *val = getenv(name);
        if (sep != NULL) {
            if (val == NULL || val[0] == '\0') {
                val = sep + 2;
                buf_append(&out, val, (size_t)(close - val));
                val = NULL;
            }
        } else if (val == NULL) {
            lerr(L, n,
                 "%s: environment variable %s is not set (use ${%s:-default} "
                 "for a fallback)",
                 what, name, name);
            ok = false;
            break;
        }
        if (val != NULL)
            buf_puts(&out, val);
        i = (size_t)(close - s);
    }
    const char *r = NULL;
    if (ok) {
        r = arena_strndup(&L->cfg->arena, out.data ? out.data : "", out.len);
        if (r == NULL)
            loom(L);
        else if (len_out)
            *len_out = out.len;
    }
    buf_free(&out);
    return r;
}

/* A plain (unquoted) scalar, as typed values require. */
static const char *lplain(struct loader *L, const yaml_node_t *n,
                          const char *what, const char *type_name)
{
    const char *s = lscalar(L, n, what, NULL);
    if (s == NULL)
        return NULL;
    if (n->data.scalar.style != YAML_PLAIN_SCALAR_STYLE) {
        lerr(L, n, "%s must be %s, not a quoted string", what, type_name);
        return NULL;
    }
    return s;
}

/* A non-empty string. */
static const char *lstring(struct loader *L, const yaml_node_t *n,
                           const char *what)
{
    size_t len;
    const char *s = lscalar(L, n, what, &len);
    if (s != NULL && len == 0) {
        lerr(L, n, "%s must not be empty", what);
        return NULL;
    }
    return s;
}

static bool lbool(struct loader *L, const yaml_node_t *n, const char *what,
                  bool *out)
{
    const char *s = lplain(L, n, what, "true or false");
    if (s == NULL)
        return false;
    if (strcmp(s, "true") == 0)
        *out = true;
    else if (strcmp(s, "false") == 0)
        *out = false;
    else {
        lerr(L, n, "%s must be true or false, not \"%s\"", what, s);
        return false;
    }
    return true;
}

/* A whole number in [min, max]; accepts KiB/MiB/GiB suffixes when bytes. */
static bool lsize(struct loader *L, const yaml_node_t *n, const char *what,
                  size_t min, size_t max, bool bytes, size_t *out)
{
    const char *s = lplain(L, n, what, "a whole number");
    if (s == NULL)
        return false;
    char *end;
    errno = 0;
    unsigned long long v = strtoull(s, &end, 10);
    unsigned long long mult = 1;
    if (bytes && end != s) {
        if (strcmp(end, "KiB") == 0)
            mult = 1024ULL, end += 3;
        else if (strcmp(end, "MiB") == 0)
            mult = 1024ULL * 1024, end += 3;
        else if (strcmp(end, "GiB") == 0)
            mult = 1024ULL * 1024 * 1024, end += 3;
    }
    if (end == s || *end != '\0' || s[0] == '-' || errno != 0) {
        lerr(L, n, "%s must be a whole number%s, not \"%s\"", what,
             bytes ? " of bytes (optionally with KiB, MiB or GiB)" : "", s);
        return false;
    }
    if (v > max / mult || v * mult < min || v * mult > max) {
        lerr(L, n, "%s must be between %zu and %zu, not %s", what, min, max, s);
        return false;
    }
    *out = (size_t)(v * mult);
    return true;
}

static bool lnumber(struct loader *L, const yaml_node_t *n, const char *what,
                    struct num_dec *out)
{
    const char *s = lplain(L, n, what, "a number");
    if (s == NULL)
        return false;
    if (num_parse_text(s, strlen(s), out) != 0) {
        lerr(L, n, "%s must be a decimal number, not \"%s\"", what, s);
        return false;
    }
    return true;
}

/*
 * A duration: a whole number followed by ms, s, m or h ("500ms", "5s").
 * Stores milliseconds; the value must lie in [min_ms, max_ms].
 */
static bool lduration(struct loader *L, const yaml_node_t *n, const char *what,
                      uint64_t min_ms, uint64_t max_ms, uint64_t *out)
{
    const char *s = lplain(L, n, what, "a duration");
    if (s == NULL)
        return false;
    char *end;
    errno = 0;
    unsigned long long v = strtoull(s, &end, 10);
    uint64_t unit = 0;
    if (end != s && s[0] != '-' && errno == 0) {
        if (strcmp(end, "ms") == 0)
            unit = 1;
        else if (strcmp(end, "s") == 0)
            unit = 1000;
        else if (strcmp(end, "m") == 0)
            unit = 60000;
        else if (strcmp(end, "h") == 0)
            unit = 3600000;
    }
    if (unit == 0) {
        lerr(L, n,
             "%s must be a duration such as 500ms, 5s, 2m or 1h, not "
             "\"%s\"",
             what, s);
        return false;
    }
    if (v > max_ms / unit || v * unit < min_ms) {
        lerr(L, n, "%s must be between %llums and %llums, not %s", what,
             (unsigned long long)min_ms, (unsigned long long)max_ms, s);
        return false;
    }
    *out = v * unit;
    return true;
}

/* --- mappings ------------------------------------------------------------ */

/* Edit distance, for "did you mean" hints on misspelt keys. */
static size_t edit_distance(const char *a, const char *b)
{
    size_t la = strlen(a), lb = strlen(b);
    size_t row[64];
    if (la >= 64 || lb >= 64)
        return 99;
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
static bool lkeys(struct loader *L, const yaml_node_t *n,
                  const char *const *allowed, const char *what)
{
    if (!want(L, n, YAML_MAPPING_NODE, what))
        return false;
    for (yaml_node_pair_t *p = n->data.mapping.pairs.start;
         p < n->data.mapping.pairs.top; p++) {
        yaml_node_t *k = lnode(L, p->key);
        if (k->type != YAML_SCALAR_NODE) {
            lerr(L, k, "keys in %s must be scalars", what);
            continue;
        }
        const char *key = (const char *)k->data.scalar.value;
        bool known = false;
        for (const char *const *a = allowed; *a; a++)
            if (strcmp(key, *a) == 0)
                known = true;
        if (!known) {
            const char *best = NULL;
            size_t best_d = 3;
            for (const char *const *a = allowed; *a; a++) {
                size_t d = edit_distance(key, *a);
                /* A shortened key ("checkpoint") suggests the full one. */
                size_t kl = strlen(key), al = strlen(*a);
                if (d >= best_d && kl >= 4 && kl < al &&
                    strncmp(key, *a, kl) == 0)
                    d = best_d - 1;
                if (d < best_d)
                    best_d = d, best = *a;
            }
            if (best)
                lerr(L, k, "unknown key \"%s\" in %s (did you mean \"%s\"?)",
                     key, what, best);
            else
                lerr(L, k, "unknown key \"%s\" in %s", key, what);
            continue;
        }
        for (yaml_node_pair_t *q = n->data.mapping.pairs.start; q < p; q++) {
            yaml_node_t *k2 = lnode(L, q->key);
            if (k2->type == YAML_SCALAR_NODE &&
                strcmp((const char *)k2->data.scalar.value, key) == 0) {
                lerr(L, k, "duplicate key \"%s\" in %s (first at line %zu)",
                     key, what, k2->start_mark.line + 1);
                break;
            }
        }
    }
    return true;
}

/* The value node of key in mapping n, or NULL. */
static yaml_node_t *lget(struct loader *L, const yaml_node_t *n,
                         const char *key)
{
    if (n->type != YAML_MAPPING_NODE)
        return NULL;
    for (yaml_node_pair_t *p = n->data.mapping.pairs.start;
         p < n->data.mapping.pairs.top; p++) {
        yaml_node_t *k = lnode(L, p->key);
        if (k->type == YAML_SCALAR_NODE &&
            strcmp((const char *)k->data.scalar.value, key) == 0)
            return lnode(L, p->value);
    }
    return NULL;
}

static size_t seq_len(const yaml_node_t *n)
{
    return (size_t)(n->data.sequence.items.top - n->data.sequence.items.start);
}

static size_t map_len(const yaml_node_t *n)
{
    return (size_t)(n->data.mapping.pairs.top - n->data.mapping.pairs.start);
}

/* --- names and fields ---------------------------------------------------- */

static bool is_metric_name(const char *s)
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

static bool is_label_name(const char *s)
{
    if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') || *s == '_'))
        return false;
    for (s++; *s; s++)
        if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') ||
              (*s >= '0' && *s <= '9') || *s == '_'))
            return false;
    return true;
}

static bool ends_with(const char *s, const char *suffix)
{
    size_t a = strlen(s), b = strlen(suffix);
    return a >= b && strcmp(s + a - b, suffix) == 0;
}

/*
 * Registers the field path written in node n and returns its index, or -1
 * after reporting a malformed path. Dots separate object keys; "\." is a
 * literal dot and "\\" a literal backslash inside a key.
 */
static int lfield(struct loader *L, const yaml_node_t *n, const char *what)
{
    const char *path = lstring(L, n, what);
    if (path == NULL)
        return -1;
    for (size_t i = 0; i < L->n_fields; i++)
        if (strcmp(L->fields[i].path, path) == 0)
            return (int)i;

    size_t len = strlen(path);
    size_t max_parts = 1;
    for (size_t i = 0; i < len; i++)
        max_parts += path[i] == '.';
    const char **parts = lalloc(L, max_parts * sizeof(*parts));
    uint32_t *lens = lalloc(L, max_parts * sizeof(*lens));
    char *text = lalloc(L, len + 1);
    if (parts == NULL || lens == NULL || text == NULL)
        return -1;

    uint32_t n_parts = 0;
    size_t t = 0, part_start = 0;
    for (size_t i = 0; i <= len; i++) {
        if (i == len || path[i] == '.') {
            if (t == part_start) {
                lerr(L, n, "%s \"%s\" has an empty key", what, path);
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
            lerr(L, n, "%s \"%s\": a backslash must precede '.' or '\\'", what,
                 path);
            return -1;
        }
        text[t++] = path[i];
    }

    if (L->n_fields == L->cap_fields) {
        size_t cap = L->cap_fields ? L->cap_fields * 2 : 16;
        struct cfg_field *f = realloc(L->fields, cap * sizeof(*f));
        if (f == NULL) {
            loom(L);
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

/* --- inputs -------------------------------------------------------------- */

static void load_input(struct loader *L, const yaml_node_t *n,
                       struct cfg_input *in, size_t index)
{
    static const char *const keys[] = {"name",
                                       "paths",
                                       "start_at",
                                       "parser",
                                       "max_line_bytes",
                                       "envelope",
                                       "rotate_grace",
                                       "reconcile_interval",
                                       NULL};
    yaml_node_t *v;

    in->start_at = START_AT_END;
    in->parser = PARSER_JSON;
    in->max_line_bytes = CONFIG_DEFAULT_MAX_LINE;
    in->envelope = ENVELOPE_AUTO;
    in->rotate_grace_ms = CONFIG_DEFAULT_GRACE_MS;
    in->reconcile_ms = CONFIG_DEFAULT_RECONCILE_MS;
    if (!lkeys(L, n, keys, "an input"))
        return;

    if ((v = lget(L, n, "name")) != NULL) {
        in->name = lstring(L, v, "input name");
    } else {
        char name[32];
        snprintf(name, sizeof(name), "input%zu", index);
        in->name = arena_strdup(&L->cfg->arena, name);
    }

    v = lget(L, n, "paths");
    if (v == NULL) {
        lerr(L, n, "an input needs \"paths\": the log files to follow");
    } else if (v->type == YAML_SCALAR_NODE) {
        in->paths = lalloc(L, sizeof(*in->paths));
        if (in->paths && (in->paths[0] = lstring(L, v, "path")) != NULL)
            in->n_paths = 1;
    } else if (want(L, v, YAML_SEQUENCE_NODE, "paths")) {
        size_t cnt = seq_len(v);
        if (cnt == 0)
            lerr(L, v, "paths must list at least one file or glob");
        in->paths = lalloc(L, (cnt ? cnt : 1) * sizeof(*in->paths));
        for (size_t i = 0; in->paths && i < cnt; i++) {
            const char *p =
                lstring(L, lnode(L, v->data.sequence.items.start[i]), "path");
            if (p)
                in->paths[in->n_paths++] = p;
        }
    }

    if ((v = lget(L, n, "start_at")) != NULL) {
        const char *s = lscalar(L, v, "start_at", NULL);
        if (s && strcmp(s, "end") == 0)
            in->start_at = START_AT_END;
        else if (s && strcmp(s, "beginning") == 0)
            in->start_at = START_AT_BEGINNING;
        else if (s)
            lerr(L, v, "start_at must be \"end\" or \"beginning\", not \"%s\"",
                 s);
    }

    if ((v = lget(L, n, "parser")) != NULL) {
        const char *s = lscalar(L, v, "parser", NULL);
        if (s && strcmp(s, "json") != 0)
            lerr(L, v, "unknown parser \"%s\" (known: json)", s);
    }

    if ((v = lget(L, n, "max_line_bytes")) != NULL)
        lsize(L, v, "max_line_bytes", CONFIG_MIN_MAX_LINE, CONFIG_MAX_MAX_LINE,
              true, &in->max_line_bytes);

    if ((v = lget(L, n, "envelope")) != NULL) {
        static const char *const names[] = {"auto", "none", "docker", "cri"};
        const char *e = lscalar(L, v, "envelope", NULL);
        bool known = false;
        for (int i = 0; e && i < 4; i++)
            if (strcmp(e, names[i]) == 0) {
                in->envelope = (enum envelope_kind)i;
                known = true;
            }
        if (e && !known)
            lerr(L, v, "envelope must be auto, none, docker or cri, not \"%s\"",
                 e);
    }
    if ((v = lget(L, n, "rotate_grace")) != NULL)
        lduration(L, v, "rotate_grace", 0, 3600000, &in->rotate_grace_ms);
    if ((v = lget(L, n, "reconcile_interval")) != NULL)
        lduration(L, v, "reconcile_interval", 10, 3600000, &in->reconcile_ms);
}

/* --- metrics ------------------------------------------------------------- */

static bool load_cond(struct loader *L, const yaml_node_t *n,
                      struct cfg_cond *c, int depth);

static bool load_cond_list(struct loader *L, const yaml_node_t *n,
                           struct cfg_cond *c, enum cond_op op, int depth)
{
    c->op = op;
    c->field = -1;
    if (!want(L, n, YAML_SEQUENCE_NODE, op == COND_ALL ? "all" : "any"))
        return false;
    c->n_subs = seq_len(n);
    if (c->n_subs == 0) {
        lerr(L, n, "a condition list must not be empty");
        return false;
    }
    c->subs = lalloc(L, c->n_subs * sizeof(*c->subs));
    if (c->subs == NULL)
        return false;
    bool ok = true;
    for (size_t i = 0; i < c->n_subs; i++)
        ok &= load_cond(L, lnode(L, n->data.sequence.items.start[i]),
                        &c->subs[i], depth + 1);
    return ok;
}

/* The text of a scalar compared against field values. */
static bool lmatch_value(struct loader *L, const yaml_node_t *n,
                         const char **value, uint32_t *len)
{
    size_t l;
    *value = lscalar(L, n, "a value to compare with", &l);
    *len = (uint32_t)l;
    return *value != NULL;
}

static bool load_cond(struct loader *L, const yaml_node_t *n,
                      struct cfg_cond *c, int depth)
{
    static const char *const keys[] = {"field", "equals", "in",  "exists",
                                       "all",   "any",    "not", NULL};
    if (depth > LOADER_MAX_COND_DEPTH) {
        lerr(L, n, "conditions nest deeper than %d levels",
             LOADER_MAX_COND_DEPTH);
        return false;
    }
    if (n->type == YAML_SEQUENCE_NODE)
        return load_cond_list(L, n, c, COND_ALL, depth);
    if (!lkeys(L, n, keys, "a condition"))
        return false;

    yaml_node_t *all = lget(L, n, "all"), *any = lget(L, n, "any"),
                *not = lget(L, n, "not"), *field = lget(L, n, "field");
    yaml_node_t *eq = lget(L, n, "equals"), *in = lget(L, n, "in"),
                *ex = lget(L, n, "exists");
    int combinators = !!all + !!any + !!not ;
    int tests = !!eq + !!in + !!ex;

    if (combinators > 0) {
        if (combinators > 1 || field || tests) {
            lerr(L, n,
                 "a condition with all, any or not must have nothing else");
            return false;
        }
        if (all)
            return load_cond_list(L, all, c, COND_ALL, depth);
        if (any)
            return load_cond_list(L, any, c, COND_ANY, depth);
        c->op = COND_NOT;
        c->field = -1;
        c->n_subs = 1;
        c->subs = lalloc(L, sizeof(*c->subs));
        return c->subs && load_cond(L, not, c->subs, depth + 1);
    }
    if (field == NULL) {
        lerr(L, n, "a condition needs \"field\" (or all, any, not)");
        return false;
    }
    if (tests != 1) {
        lerr(L, n, "a condition needs exactly one of equals, in, exists");
        return false;
    }
    c->field = lfield(L, field, "condition field");
    if (c->field < 0)
        return false;
    if (eq) {
        const char **vals = lalloc(L, sizeof(*vals));
        uint32_t *lens = lalloc(L, sizeof(*lens));
        c->op = COND_EQUALS;
        c->n_values = 1;
        c->values = vals;
        c->value_lens = lens;
        return vals && lens && lmatch_value(L, eq, &vals[0], &lens[0]);
    }
    if (in) {
        c->op = COND_IN;
        if (!want(L, in, YAML_SEQUENCE_NODE, "in"))
            return false;
        c->n_values = seq_len(in);
        if (c->n_values == 0) {
            lerr(L, in, "\"in\" must list at least one value");
            return false;
        }
        const char **vals = lalloc(L, c->n_values * sizeof(*vals));
        uint32_t *lens = lalloc(L, c->n_values * sizeof(*lens));
        if (vals == NULL || lens == NULL)
            return false;
        bool ok = true;
        for (size_t i = 0; i < c->n_values; i++)
            ok &= lmatch_value(L, lnode(L, in->data.sequence.items.start[i]),
                               &vals[i], &lens[i]);
        c->values = vals;
        c->value_lens = lens;
        return ok;
    }
    bool b;
    if (!lbool(L, ex, "exists", &b))
        return false;
    c->op = b ? COND_EXISTS : COND_ABSENT;
    return true;
}

static void load_label(struct loader *L, const yaml_node_t *key,
                       const yaml_node_t *val, struct cfg_label *lab,
                       bool constant)
{
    static const char *const keys[] = {"field", "default", NULL};
    lab->field = -1;
    lab->name = lstring(L, key, "label name");
    if (lab->name && !is_label_name(lab->name))
        lerr(L, key,
             "\"%s\" is not a valid label name ([a-zA-Z_][a-zA-Z0-9_]*)",
             lab->name);
    else if (lab->name && strncmp(lab->name, "__", 2) == 0)
        lerr(L, key, "label names starting with \"__\" are reserved");
    if (constant) {
        size_t len;
        lab->value = lscalar(L, val, "label value", &len);
        lab->value_len = (uint32_t)len;
        lab->has_value = lab->value != NULL;
        return;
    }
    if (val->type == YAML_SCALAR_NODE) {
        lab->field = lfield(L, val, "label field");
        return;
    }
    if (!lkeys(L, val, keys, "a label"))
        return;
    yaml_node_t *f = lget(L, val, "field"), *d = lget(L, val, "default");
    if (f == NULL)
        lerr(L, val, "label \"%s\" needs \"field\"",
             lab->name ? lab->name : "?");
    else
        lab->field = lfield(L, f, "label field");
    if (d != NULL) {
        size_t len;
        lab->value = lscalar(L, d, "label default", &len);
        lab->value_len = (uint32_t)len;
        lab->has_value = lab->value != NULL;
    }
}

static void load_labels(struct loader *L, const yaml_node_t *n,
                        struct cfg_label **out, size_t *count, bool constant)
{
    if (!want(L, n, YAML_MAPPING_NODE, constant ? "const_labels" : "labels"))
        return;
    size_t cnt = map_len(n);
    if (cnt == 0)
        return;
    *out = lalloc(L, cnt * sizeof(**out));
    if (*out == NULL)
        return;
    for (size_t i = 0; i < cnt; i++) {
        yaml_node_pair_t *p = &n->data.mapping.pairs.start[i];
        load_label(L, lnode(L, p->key), lnode(L, p->value), &(*out)[i],
                   constant);
    }
    *count = cnt;
}

static void load_buckets(struct loader *L, const yaml_node_t *n,
                         struct cfg_metric *m)
{
    if (!want(L, n, YAML_SEQUENCE_NODE, "buckets"))
        return;
    size_t cnt = seq_len(n);
    if (cnt == 0) {
        lerr(L, n, "buckets must list at least one upper bound");
        return;
    }
    m->buckets = lalloc(L, cnt * sizeof(*m->buckets));
    if (m->buckets == NULL)
        return;
    for (size_t i = 0; i < cnt; i++) {
        yaml_node_t *b = lnode(L, n->data.sequence.items.start[i]);
        struct num_dec d;
        num_fixed v;
        if (!lnumber(L, b, "bucket bound", &d))
            continue;
        if (num_to_fixed(&d, NULL, &v) != 0) {
            lerr(L, b, "bucket bound is out of range");
            continue;
        }
        if (m->n_buckets > 0 && v <= m->buckets[m->n_buckets - 1]) {
            lerr(L, b, "bucket bounds must increase strictly");
            continue;
        }
        m->buckets[m->n_buckets++] = v;
    }
}

static void default_help(struct loader *L, struct cfg_metric *m)
{
    char text[512];
    const char *field =
        m->value_field >= 0 ? L->fields[m->value_field].path : NULL;
    switch (m->type) {
    case METRIC_COUNTER:
        if (field)
            snprintf(text, sizeof(text), "Sum of log field %s.", field);
        else
            snprintf(text, sizeof(text), "Number of matching log lines.");
        break;
    case METRIC_GAUGE:
        snprintf(text, sizeof(text), "Last value of log field %s.",
                 field ? field : "?");
        break;
    case METRIC_HISTOGRAM:
        snprintf(text, sizeof(text), "Distribution of log field %s.",
                 field ? field : "?");
        break;
    }
    m->help = arena_strdup(&L->cfg->arena, text);
}

static void load_metric(struct loader *L, const yaml_node_t *n,
                        struct cfg_metric *m)
{
    static const char *const keys[] = {
        "name",  "type",    "help", "labels", "const_labels", "value",
        "scale", "buckets", "when", "inputs", "max_series",   NULL};
    yaml_node_t *v;

    m->value_field = -1;
    m->max_series = CONFIG_DEFAULT_MAX_SERIES;
    if (!lkeys(L, n, keys, "a metric"))
        return;

    yaml_node_t *name_node = lget(L, n, "name");
    if (name_node == NULL) {
        lerr(L, n, "a metric needs a \"name\"");
    } else if ((m->name = lstring(L, name_node, "metric name")) != NULL) {
        if (!is_metric_name(m->name))
            lerr(L, name_node,
                 "\"%s\" is not a valid metric name "
                 "([a-zA-Z_:][a-zA-Z0-9_:]*)",
                 m->name);
        else if (strncmp(m->name, "tokentail_", 10) == 0 ||
                 strncmp(m->name, "process_", 8) == 0)
            lerr(L, name_node,
                 "metric names starting with \"tokentail_\" or \"process_\" "
                 "are reserved for tokentail's own metrics");
    }

    v = lget(L, n, "type");
    if (v == NULL) {
        lerr(L, n, "a metric needs a \"type\": counter, gauge or histogram");
    } else {
        const char *t = lscalar(L, v, "metric type", NULL);
        if (t && strcmp(t, "counter") == 0)
            m->type = METRIC_COUNTER;
        else if (t && strcmp(t, "gauge") == 0)
            m->type = METRIC_GAUGE;
        else if (t && strcmp(t, "histogram") == 0)
            m->type = METRIC_HISTOGRAM;
        else if (t)
            lerr(L, v,
                 "unknown metric type \"%s\" (counter, gauge or histogram)", t);
    }

    if (m->name && name_node && v) {
        if (m->type == METRIC_COUNTER && !ends_with(m->name, "_total"))
            lerr(L, name_node, "counter names must end in \"_total\"");
        if (m->type != METRIC_COUNTER && ends_with(m->name, "_total"))
            lerr(L, name_node, "only counter names may end in \"_total\"");
        if (m->type == METRIC_HISTOGRAM &&
            (ends_with(m->name, "_bucket") || ends_with(m->name, "_sum") ||
             ends_with(m->name, "_count")))
            lerr(L, name_node,
                 "histogram names must not end in _bucket, _sum or _count");
    }

    if ((v = lget(L, n, "help")) != NULL)
        m->help = lstring(L, v, "help");
    if ((v = lget(L, n, "labels")) != NULL)
        load_labels(L, v, &m->labels, &m->n_labels, false);
    if ((v = lget(L, n, "const_labels")) != NULL)
        load_labels(L, v, &m->const_labels, &m->n_const_labels, true);

    /* Label names are unique across both kinds; "le" belongs to buckets. */
    size_t total = m->n_labels + m->n_const_labels;
    for (size_t i = 0; i < total; i++) {
        const struct cfg_label *a =
            i < m->n_labels ? &m->labels[i] : &m->const_labels[i - m->n_labels];
        if (a->name == NULL)
            continue;
        if (m->type == METRIC_HISTOGRAM && strcmp(a->name, "le") == 0)
            lerr(L, n, "histogram %s: the label \"le\" is reserved",
                 m->name ? m->name : "?");
        for (size_t j = 0; j < i; j++) {
            const struct cfg_label *b = j < m->n_labels
                                            ? &m->labels[j]
                                            : &m->const_labels[j - m->n_labels];
            if (b->name && strcmp(a->name, b->name) == 0)
                lerr(L, n, "metric %s: label \"%s\" is defined twice",
                     m->name ? m->name : "?", a->name);
        }
    }

    if ((v = lget(L, n, "value")) != NULL)
        m->value_field = lfield(L, v, "value field");
    else if (m->type != METRIC_COUNTER)
        lerr(L, n, "a %s needs a \"value\" field",
             config_metric_type_name(m->type));

    if ((v = lget(L, n, "scale")) != NULL) {
        if (lget(L, n, "value") == NULL)
            lerr(L, v, "scale applies to a value; this metric has none");
        else if (lnumber(L, v, "scale", &m->scale)) {
            m->has_scale = true;
            if (m->scale.mant == 0)
                lerr(L, v, "scale must not be zero");
            else if (m->type == METRIC_COUNTER && m->scale.neg)
                lerr(L, v, "a counter's scale must be positive");
        }
    }

    if ((v = lget(L, n, "buckets")) != NULL) {
        if (m->type != METRIC_HISTOGRAM)
            lerr(L, v, "buckets apply to histograms only");
        else
            load_buckets(L, v, m);
    } else if (m->type == METRIC_HISTOGRAM) {
        size_t cnt = sizeof(default_buckets) / sizeof(default_buckets[0]);
        m->buckets = lalloc(L, cnt * sizeof(*m->buckets));
        for (size_t i = 0; m->buckets && i < cnt; i++) {
            struct num_dec d;
            num_parse_text(default_buckets[i], strlen(default_buckets[i]), &d);
            num_to_fixed(&d, NULL, &m->buckets[i]);
            m->n_buckets++;
        }
    }

    if ((v = lget(L, n, "when")) != NULL) {
        m->when = lalloc(L, sizeof(*m->when));
        if (m->when && !load_cond(L, v, m->when, 0))
            m->when = NULL;
    }

    if ((v = lget(L, n, "inputs")) != NULL &&
        want(L, v, YAML_SEQUENCE_NODE, "inputs")) {
        size_t cnt = seq_len(v);
        m->inputs = lalloc(L, (cnt ? cnt : 1) * sizeof(*m->inputs));
        for (size_t i = 0; m->inputs && i < cnt; i++) {
            yaml_node_t *in = lnode(L, v->data.sequence.items.start[i]);
            const char *s = lstring(L, in, "input name");
            if (s == NULL)
                continue;
            int idx = config_input_index(L->cfg, s);
            if (idx < 0)
                lerr(L, in, "no input is named \"%s\"", s);
            else
                m->inputs[m->n_inputs++] = idx;
        }
    }

    if ((v = lget(L, n, "max_series")) != NULL)
        lsize(L, v, "max_series", 1, 10000000, false, &m->max_series);

    if (m->help == NULL)
        default_help(L, m);
}

/* Reports metrics whose exposed names collide. */
static void check_metric_names(struct loader *L, const yaml_node_t *seq)
{
    struct config *cfg = L->cfg;
    static const char *const suffixes[] = {"_bucket", "_sum", "_count"};
    for (size_t i = 0; i < cfg->n_metrics; i++) {
        const struct cfg_metric *a = &cfg->metrics[i];
        yaml_node_t *an = lnode(L, seq->data.sequence.items.start[i]);
        if (a->name == NULL)
            continue;
        for (size_t j = 0; j < cfg->n_metrics; j++) {
            const struct cfg_metric *b = &cfg->metrics[j];
            yaml_node_t *bn = lnode(L, seq->data.sequence.items.start[j]);
            if (j == i || b->name == NULL)
                continue;
            if (j < i && strcmp(a->name, b->name) == 0) {
                lerr(L, an, "duplicate metric name \"%s\" (first at line %zu)",
                     a->name, bn->start_mark.line + 1);
                break;
            }
            if (b->type != METRIC_HISTOGRAM)
                continue;
            size_t bl = strlen(b->name);
            for (int s = 0; s < 3; s++)
                if (strncmp(a->name, b->name, bl) == 0 &&
                    strcmp(a->name + bl, suffixes[s]) == 0)
                    lerr(L, an,
                         "metric name \"%s\" collides with the %s series of "
                         "histogram %s (line %zu)",
                         a->name, suffixes[s] + 1, b->name,
                         bn->start_mark.line + 1);
        }
    }
}

/* --- top level ----------------------------------------------------------- */

static void load_state(struct loader *L, const yaml_node_t *n)
{
    static const char *const keys[] = {"file", "checkpoint_interval", NULL};
    yaml_node_t *v;
    if (!lkeys(L, n, keys, "state"))
        return;
    if ((v = lget(L, n, "file")) != NULL)
        L->cfg->state_file = lscalar(L, v, "state file", NULL);
    if ((v = lget(L, n, "checkpoint_interval")) != NULL)
        lduration(L, v, "checkpoint_interval", 10, 3600000,
                  &L->cfg->checkpoint_ms);
}

static void load_root(struct loader *L, const yaml_node_t *root)
{
    static const char *const keys[] = {"inputs", "metrics", "state", NULL};
    struct config *cfg = L->cfg;
    yaml_node_t *v;

    if (!lkeys(L, root, keys, "the configuration"))
        return;

    v = lget(L, root, "state");
    if (v != NULL)
        load_state(L, v);

    v = lget(L, root, "inputs");
    if (v == NULL) {
        lerr(L, root,
             "the configuration needs \"inputs\": which files to "
             "follow");
    } else if (want(L, v, YAML_SEQUENCE_NODE, "inputs")) {
        size_t cnt = seq_len(v);
        if (cnt == 0)
            lerr(L, v, "inputs must list at least one input");
        cfg->inputs = lalloc(L, (cnt ? cnt : 1) * sizeof(*cfg->inputs));
        for (size_t i = 0; cfg->inputs && i < cnt; i++) {
            yaml_node_t *in = lnode(L, v->data.sequence.items.start[i]);
            load_input(L, in, &cfg->inputs[i], i);
            for (size_t j = 0; j < i; j++)
                if (cfg->inputs[i].name && cfg->inputs[j].name &&
                    strcmp(cfg->inputs[i].name, cfg->inputs[j].name) == 0)
                    lerr(L, in, "duplicate input name \"%s\"",
                         cfg->inputs[i].name);
            cfg->n_inputs = i + 1;
        }
    }

    v = lget(L, root, "metrics");
    if (v != NULL && want(L, v, YAML_SEQUENCE_NODE, "metrics")) {
        size_t cnt = seq_len(v);
        cfg->metrics = lalloc(L, (cnt ? cnt : 1) * sizeof(*cfg->metrics));
        for (size_t i = 0; cfg->metrics && i < cnt; i++) {
            load_metric(L, lnode(L, v->data.sequence.items.start[i]),
                        &cfg->metrics[i]);
            cfg->n_metrics = i + 1;
        }
        check_metric_names(L, v);
    }
}

int config_load_text(const char *name, const char *text, size_t len,
                     struct config **out, struct buf *errors)
{
    struct loader L = {.name = name, .errors = errors};
    yaml_parser_t parser;
    int rc = -1;

    *out = NULL;
    L.cfg = calloc(1, sizeof(*L.cfg));
    if (L.cfg == NULL) {
        lerr_at(&L, NULL, "out of memory");
        return -1;
    }
    L.cfg->file = arena_strdup(&L.cfg->arena, name);
    L.cfg->checkpoint_ms = CONFIG_DEFAULT_CHECKPOINT_MS;

    if (!yaml_parser_initialize(&parser)) {
        lerr_at(&L, NULL, "cannot initialise the YAML parser");
        config_free(L.cfg);
        return -1;
    }
    yaml_parser_set_input_string(&parser, (const unsigned char *)text, len);
    if (!yaml_parser_load(&parser, &L.doc)) {
        const char *ctx = parser.context ? parser.context : NULL;
        if (ctx)
            lerr_at(&L, &parser.problem_mark, "YAML syntax error: %s %s",
                    parser.problem ? parser.problem : "", ctx);
        else
            lerr_at(&L, &parser.problem_mark, "YAML syntax error: %s",
                    parser.problem ? parser.problem : "unknown");
        yaml_parser_delete(&parser);
        config_free(L.cfg);
        return -1;
    }
    yaml_parser_delete(&parser);

    yaml_node_t *root = yaml_document_get_root_node(&L.doc);
    if (root == NULL)
        lerr_at(&L, NULL, "the configuration is empty");
    else
        load_root(&L, root);

    if (L.n_errors > CONFIG_MAX_ERRORS)
        buf_printf(errors, "%s: %d more errors not shown\n", name,
                   L.n_errors - CONFIG_MAX_ERRORS);

    if (L.n_errors == 0 && L.n_fields > 0) {
        L.cfg->fields = lalloc(&L, L.n_fields * sizeof(*L.cfg->fields));
        if (L.cfg->fields) {
            memcpy(L.cfg->fields, L.fields,
                   L.n_fields * sizeof(*L.cfg->fields));
            L.cfg->n_fields = L.n_fields;
        }
    }
    free(L.fields);
    yaml_document_delete(&L.doc);
    if (L.n_errors == 0) {
        *out = L.cfg;
        rc = 0;
    } else {
        config_free(L.cfg);
    }
    return rc;
}

int config_load(const char *path, struct config **out, struct buf *errors)
{
    FILE *f = fopen(path, "rb");
    struct buf text = {0};
    char chunk[8192];
    size_t n;

    *out = NULL;
    if (f == NULL) {
        buf_printf(errors, "%s: cannot open: %s\n", path, strerror(errno));
        return -1;
    }
    while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0)
        buf_append(&text, chunk, n);
    bool failed = ferror(f) != 0;
    fclose(f);
    if (failed || text.oom) {
        buf_printf(errors, "%s: cannot read\n", path);
        buf_free(&text);
        return -1;
    }
    int rc = config_load_text(path, text.data ? text.data : "", text.len, out,
                              errors);
    buf_free(&text);
    return rc;
}

int config_input_index(const struct config *cfg, const char *name)
{
    for (size_t i = 0; i < cfg->n_inputs; i++)
        if (cfg->inputs[i].name && strcmp(cfg->inputs[i].name, name) == 0)
            return (int)i;
    return -1;
}

const char *config_metric_type_name(enum metric_type t)
{
    switch (t) {
    case METRIC_COUNTER:
        return "counter";
    case METRIC_GAUGE:
        return "gauge";
    case METRIC_HISTOGRAM:
        return "histogram";
    }
    return "untyped";
}

void config_free(struct config *cfg)
{
    if (cfg == NULL)
        return;
    arena_free(&cfg->arena);
    free(cfg);
}
