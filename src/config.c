#include "config.h"
#include "config_load.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>

/* --- reporting ----------------------------------------------------------- */

void cfg_err_at(struct loader *L, const yaml_mark_t *mark, const char *fmt, ...)
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
            cfg_err(L, n, "%s: unterminated \"${\" (write $$ for a literal $)",
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
            cfg_err(L, n, "%s: \"${%.*s}\" is not a variable reference", what,
                    (int)body_len, body);
            ok = false;
            break;
        }
        char name[256];
        if (name_len >= sizeof(name)) {
            cfg_err(L, n, "%s: variable name too long", what);
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
            cfg_err(
                L, n,
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
            cfg_oom(L);
        else if (len_out)
            *len_out = out.len;
    }
    buf_free(&out);
    return r;
}

/* A plain (unquoted) scalar, as typed values require. */
const char *cfg_plain(struct loader *L, const yaml_node_t *n, const char *what,
                      const char *type_name)
{
    const char *s = cfg_scalar(L, n, what, NULL);
    if (s == NULL)
        return NULL;
    if (n->data.scalar.style != YAML_PLAIN_SCALAR_STYLE) {
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

/* A whole number in [min, max]; accepts KiB/MiB/GiB suffixes when bytes. */
bool cfg_size(struct loader *L, const yaml_node_t *n, const char *what,
              size_t min, size_t max, bool bytes, size_t *out)
{
    const char *s = cfg_plain(L, n, what, "a whole number");
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

/*
 * A duration: a whole number followed by ms, s, m or h ("500ms", "5s").
 * Stores milliseconds; the value must lie in [min_ms, max_ms].
 */
bool cfg_duration(struct loader *L, const yaml_node_t *n, const char *what,
                  uint64_t min_ms, uint64_t max_ms, uint64_t *out)
{
    const char *s = cfg_plain(L, n, what, "a duration");
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
        cfg_err(L, n,
                "%s must be a duration such as 500ms, 5s, 2m or 1h, not "
                "\"%s\"",
                what, s);
        return false;
    }
    if (v > max_ms / unit || v * unit < min_ms) {
        cfg_err(L, n, "%s must be between %llums and %llums, not %s", what,
                (unsigned long long)min_ms, (unsigned long long)max_ms, s);
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
bool cfg_keys(struct loader *L, const yaml_node_t *n,
              const char *const *allowed, const char *what)
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
                cfg_err(L, k, "unknown key \"%s\" in %s (did you mean \"%s\"?)",
                        key, what, best);
            else
                cfg_err(L, k, "unknown key \"%s\" in %s", key, what);
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

bool cfg_ends_with(const char *s, const char *suffix)
{
    size_t a = strlen(s), b = strlen(suffix);
    return a >= b && strcmp(s + a - b, suffix) == 0;
}

/*
 * Registers the field path written in node n and returns its index, or -1
 * after reporting a malformed path. Dots separate object keys; "\." is a
 * literal dot and "\\" a literal backslash inside a key.
 */
int cfg_field_ref(struct loader *L, const yaml_node_t *n, const char *what)
{
    const char *path = cfg_string(L, n, what);
    if (path == NULL)
        return -1;
    for (size_t i = 0; i < L->n_fields; i++)
        if (strcmp(L->fields[i].path, path) == 0)
            return (int)i;

    size_t len = strlen(path);
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

/* --- inputs -------------------------------------------------------------- */

/* One parser: "json", "logfmt", or {type: regex, pattern: ...}. */
static bool load_parser(struct loader *L, const yaml_node_t *n,
                        struct cfg_parser *p)
{
    static const char *const keys[] = {"type", "pattern", NULL};
    static const char *const names[] = {"json", "regex", "logfmt"};
    const yaml_node_t *type = n;
    if (n->type == YAML_MAPPING_NODE) {
        if (!cfg_keys(L, n, keys, "a parser"))
            return false;
        if ((type = cfg_get(L, n, "type")) == NULL) {
            cfg_err(L, n, "a parser needs a \"type\": json, regex or logfmt");
            return false;
        }
    }
    const char *s = cfg_scalar(L, type, "parser type", NULL);
    if (s == NULL)
        return false;
    int kind = -1;
    for (int i = 0; i < 3; i++)
        if (strcmp(s, names[i]) == 0)
            kind = i;
    if (kind < 0) {
        cfg_err(L, type, "unknown parser \"%s\" (json, regex or logfmt)", s);
        return false;
    }
    p->kind = (enum parser_kind)kind;
    const yaml_node_t *pat =
        n->type == YAML_MAPPING_NODE ? cfg_get(L, n, "pattern") : NULL;
    if (p->kind == PARSER_REGEX) {
        if (pat == NULL) {
            cfg_err(L, n,
                    "a regex parser needs a \"pattern\" with named "
                    "groups, e.g. (?<level>\\w+)");
            return false;
        }
        return cfg_regex(L, pat, "pattern", &p->pattern);
    }
    if (pat != NULL) {
        cfg_err(L, pat, "only a regex parser takes a pattern");
        return false;
    }
    return true;
}

/* The parsers of an input: one, or a list tried in order (default json). */
static void load_parsers(struct loader *L, const yaml_node_t *n,
                         struct cfg_input *in)
{
    size_t cnt = n == NULL                       ? 1
                 : n->type == YAML_SEQUENCE_NODE ? cfg_seq_len(n)
                                                 : 1;
    if (cnt == 0) {
        cfg_err(L, n, "parser must name at least one parser");
        return;
    }
    in->parsers = cfg_alloc(L, cnt * sizeof(*in->parsers));
    if (in->parsers == NULL)
        return;
    in->n_parsers = cnt;
    if (n == NULL)
        return; /* json */
    for (size_t i = 0; i < cnt; i++)
        load_parser(L,
                    n->type == YAML_SEQUENCE_NODE
                        ? cfg_node(L, n->data.sequence.items.start[i])
                        : n,
                    &in->parsers[i]);
}

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
    in->max_line_bytes = CONFIG_DEFAULT_MAX_LINE;
    in->envelope = ENVELOPE_AUTO;
    in->rotate_grace_ms = CONFIG_DEFAULT_GRACE_MS;
    in->reconcile_ms = CONFIG_DEFAULT_RECONCILE_MS;
    if (!cfg_keys(L, n, keys, "an input"))
        return;

    if ((v = cfg_get(L, n, "name")) != NULL) {
        in->name = cfg_string(L, v, "input name");
    } else {
        char name[32];
        snprintf(name, sizeof(name), "input%zu", index);
        in->name = arena_strdup(&L->cfg->arena, name);
    }

    v = cfg_get(L, n, "paths");
    if (v == NULL) {
        cfg_err(L, n, "an input needs \"paths\": the log files to follow");
    } else if (v->type == YAML_SCALAR_NODE) {
        in->paths = cfg_alloc(L, sizeof(*in->paths));
        if (in->paths && (in->paths[0] = cfg_string(L, v, "path")) != NULL)
            in->n_paths = 1;
    } else if (cfg_want(L, v, YAML_SEQUENCE_NODE, "paths")) {
        size_t cnt = cfg_seq_len(v);
        if (cnt == 0)
            cfg_err(L, v, "paths must list at least one file or glob");
        in->paths = cfg_alloc(L, (cnt ? cnt : 1) * sizeof(*in->paths));
        for (size_t i = 0; in->paths && i < cnt; i++) {
            const char *p = cfg_string(
                L, cfg_node(L, v->data.sequence.items.start[i]), "path");
            if (p)
                in->paths[in->n_paths++] = p;
        }
    }

    if ((v = cfg_get(L, n, "start_at")) != NULL) {
        const char *s = cfg_scalar(L, v, "start_at", NULL);
        if (s && strcmp(s, "end") == 0)
            in->start_at = START_AT_END;
        else if (s && strcmp(s, "beginning") == 0)
            in->start_at = START_AT_BEGINNING;
        else if (s)
            cfg_err(L, v,
                    "start_at must be \"end\" or \"beginning\", not \"%s\"", s);
    }

    load_parsers(L, cfg_get(L, n, "parser"), in);

    if ((v = cfg_get(L, n, "max_line_bytes")) != NULL)
        cfg_size(L, v, "max_line_bytes", CONFIG_MIN_MAX_LINE,
                 CONFIG_MAX_MAX_LINE, true, &in->max_line_bytes);

    if ((v = cfg_get(L, n, "envelope")) != NULL) {
        static const char *const names[] = {"auto", "none", "docker", "cri"};
        const char *e = cfg_scalar(L, v, "envelope", NULL);
        bool known = false;
        for (int i = 0; e && i < 4; i++)
            if (strcmp(e, names[i]) == 0) {
                in->envelope = (enum envelope_kind)i;
                known = true;
            }
        if (e && !known)
            cfg_err(L, v,
                    "envelope must be auto, none, docker or cri, not \"%s\"",
                    e);
    }
    if ((v = cfg_get(L, n, "rotate_grace")) != NULL)
        cfg_duration(L, v, "rotate_grace", 0, 3600000, &in->rotate_grace_ms);
    if ((v = cfg_get(L, n, "reconcile_interval")) != NULL)
        cfg_duration(L, v, "reconcile_interval", 10, 3600000,
                     &in->reconcile_ms);
}

/* --- top level ----------------------------------------------------------- */

static const char *const cost_names[COST_KINDS] = {"prompt", "completion",
                                                   "embedding", "cached"};
/* The names providers also use, accepted as the same kinds. */
static const char *const cost_aliases[COST_KINDS] = {"input", "output", NULL,
                                                     "cached_input"};

const char *config_cost_kind_name(enum cost_kind k)
{
    return cost_names[k];
}

static void load_price(struct loader *L, const yaml_node_t *key,
                       const yaml_node_t *n, int32_t unit_exp,
                       struct cfg_price *p)
{
    static const char *const keys[] = {
        "prompt",    "input",  "completion",   "output",
        "embedding", "cached", "cached_input", NULL};
    size_t len;
    p->model = cfg_scalar(L, key, "model name", &len);
    p->model_len = (uint32_t)len;
    if (!cfg_keys(L, n, keys, "a price"))
        return;
    for (yaml_node_pair_t *pair = n->data.mapping.pairs.start;
         pair < n->data.mapping.pairs.top; pair++) {
        yaml_node_t *k = cfg_node(L, pair->key), *v = cfg_node(L, pair->value);
        const char *name = (const char *)k->data.scalar.value;
        for (int c = 0; c < COST_KINDS; c++) {
            if (strcmp(name, cost_names[c]) != 0 &&
                (cost_aliases[c] == NULL || strcmp(name, cost_aliases[c]) != 0))
                continue;
            if (p->has[c]) {
                cfg_err(L, k, "%s is priced twice for %s", cost_names[c],
                        p->model ? p->model : "?");
                break;
            }
            if (!cfg_number(L, v, "price", &p->per_token[c]))
                break;
            if (p->per_token[c].neg) {
                cfg_err(L, v, "prices must not be negative");
                break;
            }
            p->per_token[c].exp -= unit_exp; /* per 1k or 1M -> per token */
            p->has[c] = true;
        }
    }
}

static void load_pricing(struct loader *L, const yaml_node_t *n)
{
    static const char *const keys[] = {"per", "models", NULL};
    struct config *cfg = L->cfg;
    if (!cfg_keys(L, n, keys, "pricing"))
        return;
    yaml_node_t *per = cfg_get(L, n, "per"), *models = cfg_get(L, n, "models");
    int32_t unit_exp = 0;
    if (per == NULL) {
        cfg_err(L, n, "pricing needs \"per\": 1k or 1M tokens");
    } else {
        const char *s = cfg_scalar(L, per, "per", NULL);
        if (s && strcmp(s, "1k") == 0)
            unit_exp = 3;
        else if (s && strcmp(s, "1M") == 0)
            unit_exp = 6;
        else if (s)
            cfg_err(L, per, "per must be 1k or 1M, not \"%s\"", s);
    }
    if (models == NULL) {
        cfg_err(L, n, "pricing needs \"models\": prices per model");
        return;
    }
    if (!cfg_want(L, models, YAML_MAPPING_NODE, "models"))
        return;
    size_t cnt = cfg_map_len(models);
    cfg->prices = cfg_alloc(L, (cnt ? cnt : 1) * sizeof(*cfg->prices));
    if (cfg->prices == NULL)
        return;
    for (size_t i = 0; i < cnt; i++) {
        yaml_node_pair_t *pair = &models->data.mapping.pairs.start[i];
        yaml_node_t *k = cfg_node(L, pair->key), *v = cfg_node(L, pair->value);
        struct cfg_price *p = &cfg->prices[cfg->n_prices];
        load_price(L, k, v, unit_exp, p);
        if (p->model == NULL)
            continue;
        for (size_t j = 0; j < cfg->n_prices; j++)
            if (strcmp(cfg->prices[j].model, p->model) == 0)
                cfg_err(L, k, "model %s is priced twice", p->model);
        if (strcmp(p->model, "default") == 0)
            cfg->default_price = (int)cfg->n_prices;
        cfg->n_prices++;
    }
}

const struct cfg_price *config_price(const struct config *cfg,
                                     const char *model, size_t len)
{
    for (size_t i = 0; model != NULL && i < cfg->n_prices; i++)
        if (cfg->prices[i].model_len == len &&
            memcmp(cfg->prices[i].model, model, len) == 0)
            return &cfg->prices[i];
    return cfg->default_price >= 0 ? &cfg->prices[cfg->default_price] : NULL;
}

static void load_state(struct loader *L, const yaml_node_t *n)
{
    static const char *const keys[] = {"file", "checkpoint_interval", NULL};
    yaml_node_t *v;
    if (!cfg_keys(L, n, keys, "state"))
        return;
    if ((v = cfg_get(L, n, "file")) != NULL)
        L->cfg->state_file = cfg_scalar(L, v, "state file", NULL);
    if ((v = cfg_get(L, n, "checkpoint_interval")) != NULL)
        cfg_duration(L, v, "checkpoint_interval", 10, 3600000,
                     &L->cfg->checkpoint_ms);
}

static void load_limits(struct loader *L, const yaml_node_t *n)
{
    static const char *const keys[] = {"max_series", NULL};
    yaml_node_t *v;
    if (!cfg_keys(L, n, keys, "limits"))
        return;
    if ((v = cfg_get(L, n, "max_series")) != NULL)
        cfg_size(L, v, "max_series", 1, 100000000, false, &L->cfg->max_series);
}

static void load_root(struct loader *L, const yaml_node_t *root)
{
    static const char *const keys[] = {"inputs",  "metrics", "state",
                                       "pricing", "limits",  NULL};
    struct config *cfg = L->cfg;
    yaml_node_t *v;

    if (!cfg_keys(L, root, keys, "the configuration"))
        return;

    v = cfg_get(L, root, "state");
    if (v != NULL)
        load_state(L, v);
    v = cfg_get(L, root, "pricing");
    if (v != NULL)
        load_pricing(L, v);
    v = cfg_get(L, root, "limits");
    if (v != NULL)
        load_limits(L, v);

    v = cfg_get(L, root, "inputs");
    if (v == NULL) {
        cfg_err(L, root,
                "the configuration needs \"inputs\": which files to "
                "follow");
    } else if (cfg_want(L, v, YAML_SEQUENCE_NODE, "inputs")) {
        size_t cnt = cfg_seq_len(v);
        if (cnt == 0)
            cfg_err(L, v, "inputs must list at least one input");
        cfg->inputs = cfg_alloc(L, (cnt ? cnt : 1) * sizeof(*cfg->inputs));
        for (size_t i = 0; cfg->inputs && i < cnt; i++) {
            yaml_node_t *in = cfg_node(L, v->data.sequence.items.start[i]);
            load_input(L, in, &cfg->inputs[i], i);
            for (size_t j = 0; j < i; j++)
                if (cfg->inputs[i].name && cfg->inputs[j].name &&
                    strcmp(cfg->inputs[i].name, cfg->inputs[j].name) == 0)
                    cfg_err(L, in, "duplicate input name \"%s\"",
                            cfg->inputs[i].name);
            cfg->n_inputs = i + 1;
        }
    }

    v = cfg_get(L, root, "metrics");
    if (v != NULL && cfg_want(L, v, YAML_SEQUENCE_NODE, "metrics")) {
        size_t cnt = cfg_seq_len(v);
        cfg->metrics = cfg_alloc(L, (cnt ? cnt : 1) * sizeof(*cfg->metrics));
        for (size_t i = 0; cfg->metrics && i < cnt; i++) {
            cfg_load_metric(L, cfg_node(L, v->data.sequence.items.start[i]),
                            &cfg->metrics[i]);
            cfg->n_metrics = i + 1;
        }
        cfg_check_metric_names(L, v);
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
        cfg_err_at(&L, NULL, "out of memory");
        return -1;
    }
    L.cfg->file = arena_strdup(&L.cfg->arena, name);
    L.cfg->checkpoint_ms = CONFIG_DEFAULT_CHECKPOINT_MS;
    L.cfg->max_series = CONFIG_DEFAULT_TOTAL_SERIES;
    L.cfg->default_price = -1;

    if (!yaml_parser_initialize(&parser)) {
        cfg_err_at(&L, NULL, "cannot initialise the YAML parser");
        config_free(L.cfg);
        return -1;
    }
    yaml_parser_set_input_string(&parser, (const unsigned char *)text, len);
    if (!yaml_parser_load(&parser, &L.doc)) {
        const char *ctx = parser.context ? parser.context : NULL;
        if (ctx)
            cfg_err_at(&L, &parser.problem_mark, "YAML syntax error: %s %s",
                       parser.problem ? parser.problem : "", ctx);
        else
            cfg_err_at(&L, &parser.problem_mark, "YAML syntax error: %s",
                       parser.problem ? parser.problem : "unknown");
        yaml_parser_delete(&parser);
        config_free(L.cfg);
        return -1;
    }
    yaml_parser_delete(&parser);

    yaml_node_t *root = yaml_document_get_root_node(&L.doc);
    if (root == NULL)
        cfg_err_at(&L, NULL, "the configuration is empty");
    else
        load_root(&L, root);

    if (L.n_errors > CONFIG_MAX_ERRORS)
        buf_printf(errors, "%s: %d more errors not shown\n", name,
                   L.n_errors - CONFIG_MAX_ERRORS);

    if (L.n_errors == 0 && L.n_fields > 0) {
        L.cfg->fields = cfg_alloc(&L, L.n_fields * sizeof(*L.cfg->fields));
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

void config_free(struct config *cfg)
{
    if (cfg == NULL)
        return;
    arena_free(&cfg->arena);
    free(cfg);
}
