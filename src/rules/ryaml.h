/*
 * YAML as the rule files and rule test files read it: Prometheus' own
 * formats, so no ${VAR} expansion and none of the configuration's types,
 * but the same habit of reporting every mistake at file:line:column and
 * going on, so one run shows them all.
 *
 * A struct ryaml holds a parsed document and the errors found in it;
 * ryaml_open() fills one (ryaml_close() frees it; a zeroed one is a
 * no-op). Nodes and the strings they hold belong to the document.
 */
#ifndef TOKENTAIL_RULES_RYAML_H
#define TOKENTAIL_RULES_RYAML_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <yaml.h>

#include "buf.h"

struct ryaml {
    const char *name; /* the file's name in messages (borrowed) */
    char *text;       /* the file's bytes */
    size_t len;
    yaml_document_t doc;
    bool loaded;
    struct buf *errors; /* where messages go (borrowed) */
    int n_errors;
};

/*
 * Reads and parses the file path (borrowed, also the name in messages),
 * errors going to errors (borrowed). Returns 0, or -errno after writing
 * why to errors (a YAML syntax error counts as -EINVAL).
 */
int ryaml_open(struct ryaml *y, const char *path, struct buf *errors);
void ryaml_close(struct ryaml *y);

/* The root node, or NULL for an empty document. */
yaml_node_t *ryaml_root(struct ryaml *y);

/* Writes "file:line:col: message" at n's start (n may be NULL: the
 * whole file). */
void ryaml_err(struct ryaml *y, const yaml_node_t *n, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Writes an error at a line and column (from 1) of the file. */
void ryaml_err_at(struct ryaml *y, size_t line, size_t column, const char *fmt,
                  ...) __attribute__((format(printf, 4, 5)));

/*
 * Whether n is a mapping whose keys are all in allowed (NULL-terminated);
 * reports each other key (and n when it is no mapping), naming what.
 */
bool ryaml_keys(struct ryaml *y, const yaml_node_t *n,
                const char *const *allowed, const char *what);

/* The value of key in mapping n, or NULL. */
yaml_node_t *ryaml_get(struct ryaml *y, const yaml_node_t *n, const char *key);

/* The key node of key in mapping n, or NULL (for errors about a key). */
yaml_node_t *ryaml_key_node(struct ryaml *y, const yaml_node_t *n,
                            const char *key);

/* Sequences and mappings: their length, and their i-th item or pair. */
size_t ryaml_len(const yaml_node_t *n);
yaml_node_t *ryaml_item(struct ryaml *y, const yaml_node_t *n, size_t i);
yaml_node_t *ryaml_pair(struct ryaml *y, const yaml_node_t *n, size_t i,
                        yaml_node_t **value);

/* A scalar's text (the document's), or NULL after reporting that n is
 * not a scalar. */
const char *ryaml_scalar(struct ryaml *y, const yaml_node_t *n,
                         const char *what);

/* A list, reported when n is something else. */
bool ryaml_is_list(struct ryaml *y, const yaml_node_t *n, const char *what);

/* A Prometheus duration ("5m", "1h30m", "0"); false after reporting. */
bool ryaml_duration(struct ryaml *y, const yaml_node_t *n, const char *what,
                    int64_t *ms);

/* A number as Go's ParseFloat reads it ("1", "-2.5e3", "Inf", "NaN");
 * false after reporting. */
bool ryaml_number(struct ryaml *y, const yaml_node_t *n, const char *what,
                  double *out);

/*
 * Where byte pos of scalar n's value lies in the file: line and column
 * from 1. Exact for plain and quoted one-line scalars and for literal
 * blocks; the scalar's start for other forms.
 */
void ryaml_place(const struct ryaml *y, const yaml_node_t *n, size_t pos,
                 size_t *line, size_t *column);

#endif
