/*
 * Loading the configuration: the file, its top level, the inputs, the
 * state and the limits. The metrics are config_metric.c's (with
 * config_label.c's labels and config_cond.c's conditions), the prices
 * config_pricing.c's, the usage section config_usage.c's, the budgets
 * usage/config_budgets.c's, the alerting section
 * notify/config_alerting.c's, remote write
 * push/config_remote_write.c's, the YAML
 * helpers config_yaml.c's; none of them calls back here.
 */
#include "config.h"
#include "config_metric.h"
#include "config_pricing.h"
#include "config_time.h"
#include "config_alerting.h"
#include "config_remote_write.h"
#include "config_budgets.h"
#include "config_rules.h"
#include "config_usage.h"
#include "config_yaml.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <yaml.h>

/* --- inputs -------------------------------------------------------------- */

/* The enums' names by index, for cfg_choice and cfg_choices. */
static const char *parser_name(size_t i)
{
    return config_parser_name((enum parser_kind)i);
}

static const char *start_at_name(size_t i)
{
    return config_start_at_name((enum start_at)i);
}

static const char *envelope_kind_name(size_t i)
{
    return envelope_name((enum envelope_kind)i);
}

static const char *non_finite_name(size_t i)
{
    return config_non_finite_name((enum json_non_finite)i);
}

/* non_finite: what a JSON parser makes of NaN and Infinity. */
static bool load_non_finite(struct loader *L, const yaml_node_t *v,
                            struct cfg_parser *p)
{
    if (p->kind != PARSER_JSON) {
        cfg_err(L, v, "only a json parser takes non_finite");
        return false;
    }
    int k = cfg_choice(L, v, "non_finite", config_non_finite_parse,
                       non_finite_name, JSON_NON_FINITE_COUNT, false);
    if (k >= 0)
        p->non_finite = (enum json_non_finite)k;
    return k >= 0;
}

/*
 * One parser: "json", "logfmt", {type: regex, pattern: ...} or
 * {type: json, non_finite: ...}.
 */
static bool load_parser(struct loader *L, const yaml_node_t *n,
                        struct cfg_parser *p)
{
    static const char *const keys[] = {"type", "pattern", "non_finite", NULL};
    char kinds[64];
    cfg_choices(kinds, sizeof(kinds), parser_name, PARSER_KIND_COUNT, false);
    const yaml_node_t *type = n;
    if (n->type == YAML_MAPPING_NODE) {
        if (!cfg_keys(L, n, keys, "a parser"))
            return false;
        if ((type = cfg_get(L, n, "type")) == NULL) {
            cfg_err(L, n, "a parser needs a \"type\": %s", kinds);
            return false;
        }
    }
    const char *s = cfg_scalar(L, type, "parser type", NULL);
    if (s == NULL)
        return false;
    int kind = config_parser_parse(s);
    if (kind < 0) {
        cfg_err(L, type, "unknown parser \"%s\" (%s)", s, kinds);
        return false;
    }
    p->kind = (enum parser_kind)kind;
    const yaml_node_t *nf =
        n->type == YAML_MAPPING_NODE ? cfg_get(L, n, "non_finite") : NULL;
    if (nf != NULL && !load_non_finite(L, nf, p))
        return false;
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

/* paths: one glob, or a list of them. */
static void load_paths(struct loader *L, const yaml_node_t *v,
                       struct cfg_input *in)
{
    bool one = v->type == YAML_SCALAR_NODE;
    if (!one && !cfg_want(L, v, YAML_SEQUENCE_NODE, "paths"))
        return;
    size_t cnt = one ? 1 : cfg_seq_len(v);
    if (cnt == 0)
        cfg_err(L, v, "paths must list at least one file or glob");
    const char **paths = cfg_alloc(L, (cnt ? cnt : 1) * sizeof(*paths));
    for (size_t i = 0; paths && i < cnt; i++) {
        const char *p = cfg_string(
            L, one ? v : cfg_node(L, v->data.sequence.items.start[i]), "path");
        if (p)
            paths[in->n_paths++] = p;
    }
    in->paths = paths;
}

/* One entry of "inputs"; index names it when it has no name. */
static void load_input(struct loader *L, const yaml_node_t *n,
                       struct cfg_input *in, size_t index)
{
    static const char *const keys[] = {
        "name",           "paths",    "start_at",     "parser",
        "max_line_bytes", "envelope", "rotate_grace", "reconcile_interval",
        "time",           NULL};
    yaml_node_t *v;
    int k;

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
        in->name = cfg_strdup(L, name);
    }
    if ((v = cfg_get(L, n, "paths")) != NULL)
        load_paths(L, v, in);
    else
        cfg_err(L, n, "an input needs \"paths\": the log files to follow");
    if ((v = cfg_get(L, n, "start_at")) != NULL &&
        (k = cfg_choice(L, v, "start_at", config_start_at_parse, start_at_name,
                        START_AT_COUNT, true)) >= 0)
        in->start_at = (enum start_at)k;
    load_parsers(L, cfg_get(L, n, "parser"), in);
    if ((v = cfg_get(L, n, "max_line_bytes")) != NULL)
        cfg_size(L, v, "max_line_bytes", CONFIG_MIN_MAX_LINE,
                 CONFIG_MAX_MAX_LINE, true, &in->max_line_bytes);
    if ((v = cfg_get(L, n, "envelope")) != NULL &&
        (k = cfg_choice(L, v, "envelope", envelope_kind_parse,
                        envelope_kind_name, ENVELOPE_KIND_COUNT, false)) >= 0)
        in->envelope = (enum envelope_kind)k;
    if ((v = cfg_get(L, n, "rotate_grace")) != NULL)
        cfg_duration(L, v, "rotate_grace", 0, CONFIG_MAX_INTERVAL_MS,
                     &in->rotate_grace_ms);
    if ((v = cfg_get(L, n, "reconcile_interval")) != NULL)
        cfg_duration(L, v, "reconcile_interval", CONFIG_MIN_INTERVAL_MS,
                     CONFIG_MAX_INTERVAL_MS, &in->reconcile_ms);
    if ((v = cfg_get(L, n, "time")) != NULL)
        in->time = cfg_load_time(L, v);
}

/* --- top level ----------------------------------------------------------- */

static void load_state(struct loader *L, const yaml_node_t *n)
{
    static const char *const keys[] = {"file", "checkpoint_interval",
                                       "keep_removed_metrics", NULL};
    yaml_node_t *v;
    if (!cfg_keys(L, n, keys, "state"))
        return;
    if ((v = cfg_get(L, n, "file")) != NULL)
        L->cfg->state_file = cfg_scalar(L, v, "state file", NULL);
    if ((v = cfg_get(L, n, "checkpoint_interval")) != NULL)
        cfg_duration(L, v, "checkpoint_interval", CONFIG_MIN_INTERVAL_MS,
                     CONFIG_MAX_INTERVAL_MS, &L->cfg->checkpoint_ms);
    if ((v = cfg_get(L, n, "keep_removed_metrics")) != NULL)
        cfg_duration(L, v, "keep_removed_metrics", 0,
                     CONFIG_MAX_KEEP_REMOVED_MS, &L->cfg->keep_removed_ms);
}

static void load_limits(struct loader *L, const yaml_node_t *n)
{
    static const char *const keys[] = {"max_series", "max_rule_samples", NULL};
    yaml_node_t *v;
    if (!cfg_keys(L, n, keys, "limits"))
        return;
    if ((v = cfg_get(L, n, "max_series")) != NULL)
        cfg_size(L, v, "max_series", 1, CONFIG_MAX_TOTAL_SERIES, false,
                 &L->cfg->max_series);
    if ((v = cfg_get(L, n, "max_rule_samples")) != NULL)
        cfg_size(L, v, "max_rule_samples", 1, CONFIG_MAX_RULE_SAMPLES, false,
                 &L->cfg->max_rule_samples);
}

static void load_root(struct loader *L, const yaml_node_t *root)
{
    static const char *const keys[] = {
        "inputs",     "metrics",      "state",           "pricing",
        "limits",     "usage",        "budgets",         "alerting",
        "rule_files", "remote_write", "external_labels", NULL};
    struct config *cfg = L->cfg;
    yaml_node_t *v;

    if (!cfg_keys(L, root, keys, "the configuration"))
        return;

    v = cfg_get(L, root, "state");
    if (v != NULL)
        load_state(L, v);
    v = cfg_get(L, root, "pricing");
    if (v != NULL)
        cfg_load_pricing(L, v);
    v = cfg_get(L, root, "limits");
    if (v != NULL)
        load_limits(L, v);

    cfg_load_alerting(L, cfg_get(L, root, "alerting"));
    cfg_load_push(L, cfg_get(L, root, "external_labels"),
                  cfg_get(L, root, "remote_write"));

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

    /* The usage ledger names metrics: after them. */
    v = cfg_get(L, root, "usage");
    if (v != NULL)
        cfg_load_usage(L, v);
    /* Budgets name metrics, and add theirs to the usage section. */
    v = cfg_get(L, root, "budgets");
    if (v != NULL)
        cfg_load_budgets(L, v);
    v = cfg_get(L, root, "usage");
    if (v != NULL && v->type == YAML_MAPPING_NODE &&
        cfg_get(L, v, "metrics") == NULL && cfg->n_budgets == 0)
        cfg_err(L, v,
                "usage needs \"metrics\": the counters and histograms to "
                "keep per day and hour (or budgets that name them)");
    cfg_load_rule_files(L, cfg_get(L, root, "rule_files"));
}

/*
 * Whether a syntax error at mark is a tab in a line's indentation: libyaml
 * says only that the character "cannot start any token". Lines are
 * counted at '\n' and columns in UTF-8 characters, as libyaml counts them.
 */
static bool tab_in_indent(const char *text, size_t len, const yaml_mark_t *m)
{
    size_t i = 0, line = 0, col = 0;
    while (i < len && line < m->line)
        if (text[i++] == '\n')
            line++;
    size_t start = i;
    while (i < len && text[i] != '\n' && col < m->column) {
        i++;
        col += i < len && ((unsigned char)text[i] & 0xc0) != 0x80;
    }
    if (line != m->line || col != m->column || i >= len || text[i] != '\t')
        return false;
    for (size_t k = start; k < i; k++)
        if (text[k] != ' ' && text[k] != '\t')
            return false;
    return true;
}

/* Parses text into L->doc; false (reported) on a syntax error. */
static bool parse_document(struct loader *L, const char *text, size_t len)
{
    yaml_parser_t parser;
    if (!yaml_parser_initialize(&parser)) {
        cfg_err_at(L, NULL, "cannot initialise the YAML parser");
        return false;
    }
    yaml_parser_set_input_string(&parser, (const unsigned char *)text, len);
    bool ok = yaml_parser_load(&parser, &L->doc) != 0;
    if (!ok && tab_in_indent(text, len, &parser.problem_mark))
        cfg_err_at(L, &parser.problem_mark,
                   "YAML syntax error: a tab in the indentation (YAML "
                   "indents with spaces only)");
    else if (!ok && parser.context != NULL)
        cfg_err_at(L, &parser.problem_mark, "YAML syntax error: %s %s",
                   parser.problem ? parser.problem : "", parser.context);
    else if (!ok)
        cfg_err_at(L, &parser.problem_mark, "YAML syntax error: %s",
                   parser.problem ? parser.problem : "unknown");
    yaml_parser_delete(&parser);
    return ok;
}

/* The configuration in L->doc, checked; its fields copied once all is well. */
static void load_document(struct loader *L)
{
    yaml_node_t *root = yaml_document_get_root_node(&L->doc);
    if (root == NULL)
        cfg_err_at(L, NULL, "the configuration is empty");
    else
        load_root(L, root);
    if (L->n_errors == 0 && L->n_fields > 0) {
        L->cfg->fields = cfg_alloc(L, L->n_fields * sizeof(*L->cfg->fields));
        if (L->cfg->fields) {
            memcpy(L->cfg->fields, L->fields,
                   L->n_fields * sizeof(*L->cfg->fields));
            L->cfg->n_fields = L->n_fields;
        }
    }
    yaml_document_delete(&L->doc);
}

int config_load_text(const char *name, const char *text, size_t len,
                     struct config **out, struct buf *errors)
{
    struct loader L = {.name = name, .errors = errors};

    *out = NULL;
    L.cfg = calloc(1, sizeof(*L.cfg));
    if (L.cfg == NULL) {
        cfg_err_at(&L, NULL, "out of memory");
        cfg_flush_errors(&L);
        return -1;
    }
    L.cfg->file = cfg_strdup(&L, name);
    L.cfg->checkpoint_ms = CONFIG_DEFAULT_CHECKPOINT_MS;
    L.cfg->keep_removed_ms = CONFIG_DEFAULT_KEEP_REMOVED_MS;
    L.cfg->max_series = CONFIG_DEFAULT_TOTAL_SERIES;
    L.cfg->max_rule_samples = CONFIG_DEFAULT_RULE_SAMPLES;
    L.cfg->default_price = -1;

    if (parse_document(&L, text, len))
        load_document(&L);
    free(L.fields);
    cfg_flush_errors(&L);
    if (L.n_errors > 0) {
        config_free(L.cfg);
        return -1;
    }
    *out = L.cfg;
    return 0;
}

/* A directory given for the file: say so, and name the file it may hold. */
static void report_directory(const char *path, struct buf *errors)
{
    size_t n = strlen(path);
    while (n > 1 && path[n - 1] == '/')
        n--;
    struct buf inside = {0};
    buf_printf(&inside, "%.*s/%s", (int)n, path, CONFIG_FILE_NAME);
    buf_printf(errors, "%s: is a directory, not a configuration file", path);
    if (!inside.oom && access(inside.data, F_OK) == 0)
        buf_printf(errors, " (did you mean %s?)", inside.data);
    buf_putc(errors, '\n');
    buf_free(&inside);
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
    struct stat st;
    if (fstat(fileno(f), &st) == 0 && S_ISDIR(st.st_mode)) {
        fclose(f);
        report_directory(path, errors);
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

void config_free(struct config *cfg)
{
    if (cfg == NULL)
        return;
    for (struct cfg_zone *z = cfg->zones; z != NULL; z = z->next)
        tz_free(z->tz);
    cfg_rules_free(cfg->rules);
    arena_free(&cfg->arena);
    free(cfg);
}
