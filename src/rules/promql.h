/*
 * PromQL, the subset tokentail evaluates: its syntax tree and its parser.
 *
 * The subset: instant selectors with =, !=, =~ and !~ matchers; range
 * selectors as the argument of rate, increase, delta, irate and the
 * *_over_time functions; offset; sum, avg, min, max and count with by or
 * without (before or after the argument); histogram_quantile; the
 * arithmetic operators + - * / % ^ and the comparisons == != > < >= <=
 * between scalars and vectors, with on/ignoring one-to-one matching and
 * bool; and, or, unless; absent, time, vector, scalar, clamp_min,
 * clamp_max and abs; numbers, strings in matchers, durations in ranges
 * and offsets; parentheses and unary signs. Precedence and associativity
 * are Prometheus' own: ^ (right), then * / %, then + -, then the
 * comparisons, then and/unless, then or; a unary sign binds as * does.
 *
 * Everything else Prometheus accepts is refused with the column where it
 * starts and what it is ("group_left is not supported", "function
 * \"predict_linear\" is not supported", "subqueries are not supported"),
 * so a rule file loader can turn the column into file:line:column.
 *
 * The tree: promql_parse() returns a root the caller frees with
 * promql_free() (NULL is a no-op), which frees every node below it, with
 * their strings, matchers and compiled regular expressions. Each node owns
 * its children. The text parsed is borrowed for the call only.
 */
#ifndef TOKENTAIL_RULES_PROMQL_H
#define TOKENTAIL_RULES_PROMQL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "labels.h"

struct rx;

/* Prometheus' lookback for instant selectors: 5 minutes, in ms. */
#define PROMQL_LOOKBACK_MS (5 * 60 * 1000)
/* Room for an error message, NUL included. */
#define PROMQL_ERR_MAX 160
/* Nesting deeper than this is refused, so hostile text cannot exhaust
 * the stack. */
#define PROMQL_DEPTH_MAX 200

/* What an expression evaluates to. */
enum promql_type {
    PROMQL_SCALAR,
    PROMQL_VECTOR, /* an instant vector */
    PROMQL_MATRIX, /* a range vector: only as a function's argument */
    PROMQL_STRING, /* only as a function's argument */
};

enum promql_kind {
    PROMQL_NUMBER,
    PROMQL_STRING_LIT,
    PROMQL_SELECTOR, /* instant or range (range_ms > 0) */
    PROMQL_CALL,
    PROMQL_AGGREGATE,
    PROMQL_BINARY,
    PROMQL_UNARY, /* a sign: op is PROMQL_SUB or PROMQL_ADD */
    PROMQL_PAREN,
};

enum promql_op {
    PROMQL_ADD,
    PROMQL_SUB,
    PROMQL_MUL,
    PROMQL_DIV,
    PROMQL_MOD,
    PROMQL_POW,
    PROMQL_EQL,
    PROMQL_NEQ,
    PROMQL_GTR,
    PROMQL_LSS,
    PROMQL_GTE,
    PROMQL_LTE,
    PROMQL_AND,
    PROMQL_OR,
    PROMQL_UNLESS,
};

/* The operator as written: "+", "==", "unless". */
const char *promql_op_name(enum promql_op op);
bool promql_op_is_comparison(enum promql_op op);
bool promql_op_is_set(enum promql_op op);

enum promql_match_type {
    PROMQL_MATCH_EQ,  /* = */
    PROMQL_MATCH_NE,  /* != */
    PROMQL_MATCH_RE,  /* =~ */
    PROMQL_MATCH_NRE, /* !~ */
};

struct promql_matcher {
    char *name;
    char *value;
    enum promql_match_type type;
    struct rx *re; /* compiled, anchored at both ends: =~ and !~ */
};

/* Whether value (borrowed; NULL for a missing label, which matches as
 * the empty string) satisfies m. */
bool promql_matcher_matches(const struct promql_matcher *m, const char *value);

/* Whether the series labelled ls satisfies every one of n matchers. */
bool promql_matchers_match(const struct promql_matcher *m, size_t n,
                           const struct labels *ls);

enum promql_func {
    PROMQL_FN_RATE,
    PROMQL_FN_INCREASE,
    PROMQL_FN_DELTA,
    PROMQL_FN_IRATE,
    PROMQL_FN_AVG_OVER_TIME,
    PROMQL_FN_MIN_OVER_TIME,
    PROMQL_FN_MAX_OVER_TIME,
    PROMQL_FN_SUM_OVER_TIME,
    PROMQL_FN_COUNT_OVER_TIME,
    PROMQL_FN_HISTOGRAM_QUANTILE,
    PROMQL_FN_ABSENT,
    PROMQL_FN_TIME,
    PROMQL_FN_VECTOR,
    PROMQL_FN_SCALAR,
    PROMQL_FN_CLAMP_MIN,
    PROMQL_FN_CLAMP_MAX,
    PROMQL_FN_ABS,
};

/* The function's name as written: "rate". */
const char *promql_func_name(enum promql_func f);

enum promql_agg {
    PROMQL_SUM,
    PROMQL_AVG,
    PROMQL_MIN,
    PROMQL_MAX,
    PROMQL_COUNT
};

const char *promql_agg_name(enum promql_agg a);

/* A list of label names: by/without, on/ignoring. */
struct promql_names {
    char **v;
    size_t n;
};

struct promql_node {
    enum promql_kind kind;
    enum promql_type type;
    size_t pos; /* where it starts in the text, from 0 */
    union {
        double number;
        char *string;
        struct {
            struct promql_matcher *matchers; /* the name as __name__ = */
            size_t n_matchers;
            int64_t range_ms;  /* 0 for an instant selector */
            int64_t offset_ms; /* may be negative */
        } sel;
        struct {
            enum promql_func func;
            struct promql_node **args;
            size_t n_args;
        } call;
        struct {
            enum promql_agg op;
            bool without; /* grouping lists the labels dropped */
            bool grouped; /* by or without was written */
            struct promql_names grouping;
            struct promql_node *arg;
        } agg;
        struct {
            enum promql_op op;
            bool bool_mod; /* comparison returns 0 or 1 */
            bool on;       /* matching lists the labels compared */
            bool ignoring; /* matching lists the labels not compared */
            struct promql_names matching;
            struct promql_node *lhs, *rhs;
        } bin;
        struct {
            enum promql_op op;
            struct promql_node *arg;
        } unary; /* also PROMQL_PAREN, op unused */
    } u;
};

/*
 * Parses text (len bytes, borrowed) into *out (caller frees with
 * promql_free): an expression of type scalar or instant vector, the
 * only ones a rule can have. Returns 0; -EINVAL with a message in err
 * (PROMQL_ERR_MAX bytes) and the byte offset of the problem in *err_pos; or
 * -ENOMEM.
 */
int promql_parse(const char *text, size_t len, struct promql_node **out,
                 char *err, size_t *err_pos);

void promql_free(struct promql_node *n);

/* n without the parentheses around it (borrowed, as n is): a function's
 * argument means the same with or without them. */
const struct promql_node *promql_unparen(const struct promql_node *n);

/*
 * Appends n as PromQL text that parses back to the same tree, each
 * binary operation in parentheses so the tree's shape shows:
 * "(a + (b * 2))", "sum by (job) (rate(x[5m]))".
 */
void promql_format(struct buf *out, const struct promql_node *n);

/*
 * Writes v as Go's strconv.FormatFloat(v, fmt, -1, 64) does, fmt being
 * 'g' (as Prometheus' templates print $value) or 'E' (as promtool
 * prints sample values): the shortest text that reads back as v, "+Inf",
 * "-Inf", "NaN". out must hold PROMQL_FLOAT_MAX bytes.
 */
#define PROMQL_FLOAT_MAX 32
void promql_format_float(double v, char fmt, char *out);

/*
 * Reads a Prometheus duration ("5m", "1h30m", "90s", "1w", "500ms"; the
 * units y w d h m s ms, each at most once and in that order) into *ms.
 * Returns 0 or -EINVAL.
 */
int promql_duration(const char *s, size_t len, int64_t *ms);

/* Appends a duration as Prometheus prints one: "1h30m", "0s". */
void promql_format_duration(struct buf *out, int64_t ms);

#endif
