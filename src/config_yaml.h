/*
 * The configuration loader's YAML helpers (config_yaml.c), shared by
 * config.c (inputs, state, pricing, the top level), config_metric.c
 * (metrics), config_label.c (labels, transforms) and config_cond.c
 * (conditions). Not part of the module's interface.
 *
 * Every helper reports what is wrong with the node it was given, at that
 * node's line and column, and returns a failure value; loading continues
 * so that one run shows every mistake. Strings a helper returns live in
 * the configuration's arena.
 */
#ifndef TOKENTAIL_CONFIG_YAML_H
#define TOKENTAIL_CONFIG_YAML_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <yaml.h>

#include "config.h"

/* One error found, kept until the end to be written in the file's order. */
struct cfg_error {
    size_t line, column; /* from 1; 0: about the whole file */
    size_t seq;          /* the order it was found in, for equal places */
    size_t at, len;      /* its message in the loader's err_text */
};

struct loader {
    const char *name; /* file name for messages */
    yaml_document_t doc;
    struct config *cfg;
    struct buf *errors; /* where cfg_flush_errors() writes them */
    int n_errors;
    struct cfg_error *errs;
    size_t n_errs, cap_errs;
    struct buf err_text;
    struct cfg_field *fields; /* grows while loading, copied at the end */
    size_t n_fields, cap_fields;
    bool oom;
};

/* Records an error at mark (NULL: about the whole file). */
void cfg_err_at(struct loader *L, const yaml_mark_t *mark, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/*
 * Writes the errors recorded to L->errors, sorted by line and column (the
 * order found among equals), at most CONFIG_MAX_ERRORS of them and then
 * how many more there were; forgets them.
 */
void cfg_flush_errors(struct loader *L);
#define cfg_err(L, node, ...) cfg_err_at((L), &(node)->start_mark, __VA_ARGS__)

void cfg_oom(struct loader *L);
/* Zeroed memory from the configuration's arena; NULL (reported) on -ENOMEM. */
void *cfg_alloc(struct loader *L, size_t n);
/* A copy of s in the configuration's arena; NULL (reported) on -ENOMEM. */
const char *cfg_strdup(struct loader *L, const char *s);
yaml_node_t *cfg_node(struct loader *L, int index);
bool cfg_want(struct loader *L, const yaml_node_t *n, yaml_node_type_t t,
              const char *what);

/* Scalars, with ${VAR} expansion; NULL after reporting a problem. */
const char *cfg_scalar(struct loader *L, const yaml_node_t *n, const char *what,
                       size_t *len_out);
const char *cfg_plain(struct loader *L, const yaml_node_t *n, const char *what,
                      const char *type_name);
const char *cfg_string(struct loader *L, const yaml_node_t *n,
                       const char *what);
bool cfg_bool(struct loader *L, const yaml_node_t *n, const char *what,
              bool *out);
bool cfg_size(struct loader *L, const yaml_node_t *n, const char *what,
              size_t min, size_t max, bool bytes, size_t *out);
bool cfg_number(struct loader *L, const yaml_node_t *n, const char *what,
                struct num_dec *out);
bool cfg_duration(struct loader *L, const yaml_node_t *n, const char *what,
                  uint64_t min_ms, uint64_t max_ms, uint64_t *out);

/* Edit distance of two names, for "did you mean" hints (SIZE_MAX for
 * names too long to compare). */
size_t cfg_edit_distance(const char *a, const char *b);

/* Mappings: allowed keys (NULL-terminated), lookups, sizes. */
bool cfg_keys(struct loader *L, const yaml_node_t *n,
              const char *const *allowed, const char *what);
/* The same, with hint (borrowed; NULL for none) after an unknown key's
 * message: "...; a price takes ...". */
bool cfg_keys_hint(struct loader *L, const yaml_node_t *n,
                   const char *const *allowed, const char *what,
                   const char *hint);
yaml_node_t *cfg_get(struct loader *L, const yaml_node_t *n, const char *key);
size_t cfg_seq_len(const yaml_node_t *n);
size_t cfg_map_len(const yaml_node_t *n);

/* Registers a field path and returns its index, or -1. */
int cfg_field_ref(struct loader *L, const yaml_node_t *n, const char *what);

/* The same for a path (len bytes) found inside n's text, such as an
 * expression's; problems are reported at n. */
int cfg_field_path(struct loader *L, const yaml_node_t *n, const char *path,
                   size_t len, const char *what);

/* Checks a regular expression compiles; reports PCRE2's message. */
bool cfg_regex(struct loader *L, const yaml_node_t *n, const char *what,
               const char **out);

/*
 * Choices are an enum's values by name; name(i) gives the name of the
 * i-th of n. Messages list them from the enum's one name table, so a new
 * value shows in every message.
 *
 * cfg_choices writes "a, b or c" (each name in double quotes when quoted)
 * to list (cap bytes, NUL-terminated) and returns list.
 */
const char *cfg_choices(char *list, size_t cap, const char *(*name)(size_t),
                        size_t n, bool quoted);

/*
 * A scalar naming one of the choices: the value parse gives for it, or
 * -1 after reporting "<what> must be a, b or c, not "x"".
 */
int cfg_choice(struct loader *L, const yaml_node_t *n, const char *what,
               int (*parse)(const char *), const char *(*name)(size_t),
               size_t count, bool quoted);

bool cfg_is_metric_name(const char *s);
bool cfg_is_label_name(const char *s);
bool cfg_starts_with(const char *s, const char *prefix);
bool cfg_ends_with(const char *s, const char *suffix);

#endif
