/*
 * rule_files: globs expanded against the configuration's directory, each
 * file loaded once.
 */
#include "config_rules.h"

#include <errno.h>
#include <glob.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "config_alerting.h"

#define RULE_FILES_MAX 1024 /* files all globs together may name */

/* The configuration file's directory joined with pattern (caller frees);
 * an absolute pattern as it is. */
static char *beside_config(const char *config_path, const char *pattern)
{
    struct buf b = {0};
    const char *slash = config_path ? strrchr(config_path, '/') : NULL;
    if (pattern[0] != '/' && slash != NULL)
        buf_append(&b, config_path, (size_t)(slash - config_path + 1));
    buf_puts(&b, pattern);
    if (b.oom) {
        buf_free(&b);
        return NULL;
    }
    return buf_release(&b, NULL);
}

static bool has_wildcard(const char *s)
{
    return strpbrk(s, "*?[") != NULL;
}

static bool already(const struct cfg_rules *r, const char *path)
{
    for (size_t i = 0; i < r->n_files; i++)
        if (strcmp(r->files[i].path, path) == 0)
            return true;
    return false;
}

/* Loads path into r; its problems go straight to the errors, at the rule
 * file's own lines, and one more names the entry that led to it. */
static void load_one(struct loader *L, const yaml_node_t *n,
                     struct cfg_rules *r, const char *path)
{
    if (already(r, path))
        return;
    if (r->n_files == RULE_FILES_MAX) {
        cfg_err(L, n, "rule_files name more than %d files", RULE_FILES_MAX);
        return;
    }
    struct rule_file *f = NULL;
    struct buf errs = {0};
    int rc = rulefile_load(path, &f, &errs);
    if (rc != 0) {
        bool listed = errs.len > 0;
        if (listed)
            buf_append(L->errors, errs.data, errs.len);
        buf_free(&errs);
        cfg_err(L, n, "rule file %s is not valid%s", path,
                listed ? " (its problems are listed first)" : "");
        return;
    }
    buf_free(&errs);
    for (size_t g = 0; g < f->n_groups; g++)
        if (f->groups[g].interval_ms > 0 &&
            f->groups[g].interval_ms < CONFIG_MIN_EVAL_INTERVAL_MS)
            cfg_err(L, n, "%s: group \"%s\": interval must be at least 1s",
                    path, f->groups[g].name);
    char *copy = strdup(path);
    if (copy == NULL) {
        rulefile_free(f);
        cfg_oom(L);
        return;
    }
    r->files[r->n_files].path = copy;
    r->files[r->n_files++].file = f;
}

static void load_glob(struct loader *L, const yaml_node_t *n,
                      struct cfg_rules *r)
{
    const char *pattern = cfg_string(L, n, "a rule_files entry");
    if (pattern == NULL)
        return;
    char *full = beside_config(L->cfg->file, pattern);
    glob_t g;
    int rc = full ? glob(full, GLOB_ERR, NULL, &g) : GLOB_NOSPACE;
    if (rc == GLOB_NOMATCH && !has_wildcard(pattern))
        cfg_err(L, n, "rule file %s does not exist", full);
    else if (rc == GLOB_NOSPACE)
        cfg_oom(L);
    else if (rc != 0 && rc != GLOB_NOMATCH)
        cfg_err(L, n, "cannot read the directory of %s", full);
    for (size_t i = 0; rc == 0 && i < g.gl_pathc; i++)
        load_one(L, n, r, g.gl_pathv[i]);
    if (rc == 0 || rc == GLOB_NOMATCH)
        globfree(&g);
    free(full);
}

void cfg_load_rule_files(struct loader *L, const yaml_node_t *n)
{
    if (n == NULL || !cfg_want(L, n, YAML_SEQUENCE_NODE, "rule_files"))
        return;
    struct cfg_rules *r = calloc(1, sizeof(*r));
    if (r != NULL)
        r->files = calloc(RULE_FILES_MAX, sizeof(*r->files));
    if (r == NULL || r->files == NULL) {
        free(r);
        cfg_oom(L);
        return;
    }
    L->cfg->rules = r;
    for (size_t i = 0; i < cfg_seq_len(n); i++)
        load_glob(L, cfg_node(L, n->data.sequence.items.start[i]), r);
}

void cfg_rules_free(struct cfg_rules *r)
{
    if (r == NULL)
        return;
    for (size_t i = 0; i < r->n_files; i++) {
        free(r->files[i].path);
        rulefile_free(r->files[i].file);
    }
    free(r->files);
    free(r);
}
