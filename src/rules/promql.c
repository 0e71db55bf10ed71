/*
 * The syntax tree's names, matchers and freeing, and Prometheus'
 * durations; the parser is in promql_parse.c.
 */
#include "promql.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rx.h"

static const char *const op_names[] = {
    [PROMQL_ADD] = "+",   [PROMQL_SUB] = "-",  [PROMQL_MUL] = "*",
    [PROMQL_DIV] = "/",   [PROMQL_MOD] = "%",  [PROMQL_POW] = "^",
    [PROMQL_EQL] = "==",  [PROMQL_NEQ] = "!=", [PROMQL_GTR] = ">",
    [PROMQL_LSS] = "<",   [PROMQL_GTE] = ">=", [PROMQL_LTE] = "<=",
    [PROMQL_AND] = "and", [PROMQL_OR] = "or",  [PROMQL_UNLESS] = "unless",
};

const char *promql_op_name(enum promql_op op)
{
    return op_names[op];
}

bool promql_op_is_comparison(enum promql_op op)
{
    return op >= PROMQL_EQL && op <= PROMQL_LTE;
}

bool promql_op_is_set(enum promql_op op)
{
    return op >= PROMQL_AND;
}

static const char *const func_names[] = {
    [PROMQL_FN_RATE] = "rate",
    [PROMQL_FN_INCREASE] = "increase",
    [PROMQL_FN_DELTA] = "delta",
    [PROMQL_FN_IRATE] = "irate",
    [PROMQL_FN_AVG_OVER_TIME] = "avg_over_time",
    [PROMQL_FN_MIN_OVER_TIME] = "min_over_time",
    [PROMQL_FN_MAX_OVER_TIME] = "max_over_time",
    [PROMQL_FN_SUM_OVER_TIME] = "sum_over_time",
    [PROMQL_FN_COUNT_OVER_TIME] = "count_over_time",
    [PROMQL_FN_HISTOGRAM_QUANTILE] = "histogram_quantile",
    [PROMQL_FN_ABSENT] = "absent",
    [PROMQL_FN_TIME] = "time",
    [PROMQL_FN_VECTOR] = "vector",
    [PROMQL_FN_SCALAR] = "scalar",
    [PROMQL_FN_CLAMP_MIN] = "clamp_min",
    [PROMQL_FN_CLAMP_MAX] = "clamp_max",
    [PROMQL_FN_ABS] = "abs",
};

const char *promql_func_name(enum promql_func f)
{
    return func_names[f];
}

static const char *const agg_names[] = {
    [PROMQL_SUM] = "sum", [PROMQL_AVG] = "avg",     [PROMQL_MIN] = "min",
    [PROMQL_MAX] = "max", [PROMQL_COUNT] = "count",
};

const char *promql_agg_name(enum promql_agg a)
{
    return agg_names[a];
}

bool promql_matcher_matches(const struct promql_matcher *m, const char *value)
{
    if (value == NULL)
        value = "";
    switch (m->type) {
    case PROMQL_MATCH_EQ:
        return strcmp(value, m->value) == 0;
    case PROMQL_MATCH_NE:
        return strcmp(value, m->value) != 0;
    case PROMQL_MATCH_RE:
        return rx_match(m->re, value, strlen(value));
    case PROMQL_MATCH_NRE:
        return !rx_match(m->re, value, strlen(value));
    }
    return false;
}

bool promql_matchers_match(const struct promql_matcher *m, size_t n,
                           const struct labels *ls)
{
    for (size_t i = 0; i < n; i++)
        if (!promql_matcher_matches(&m[i], labels_get(ls, m[i].name)))
            return false;
    return true;
}

static void free_names(struct promql_names *names)
{
    for (size_t i = 0; i < names->n; i++)
        free(names->v[i]);
    free(names->v);
}

void promql_free(struct promql_node *n)
{
    if (n == NULL)
        return;
    switch (n->kind) {
    case PROMQL_NUMBER:
        break;
    case PROMQL_STRING_LIT:
        free(n->u.string);
        break;
    case PROMQL_SELECTOR:
        for (size_t i = 0; i < n->u.sel.n_matchers; i++) {
            free(n->u.sel.matchers[i].name);
            free(n->u.sel.matchers[i].value);
            rx_free(n->u.sel.matchers[i].re);
        }
        free(n->u.sel.matchers);
        break;
    case PROMQL_CALL:
        for (size_t i = 0; i < n->u.call.n_args; i++)
            promql_free(n->u.call.args[i]);
        free(n->u.call.args);
        break;
    case PROMQL_AGGREGATE:
        free_names(&n->u.agg.grouping);
        promql_free(n->u.agg.arg);
        break;
    case PROMQL_BINARY:
        free_names(&n->u.bin.matching);
        promql_free(n->u.bin.lhs);
        promql_free(n->u.bin.rhs);
        break;
    case PROMQL_UNARY:
    case PROMQL_PAREN:
        promql_free(n->u.unary.arg);
        break;
    }
    free(n);
}

const struct promql_node *promql_unparen(const struct promql_node *n)
{
    while (n != NULL && n->kind == PROMQL_PAREN)
        n = n->u.unary.arg;
    return n;
}

/* Prometheus' units, in the order a duration must give them. */
static const struct {
    const char *unit;
    int64_t ms;
} units[] = {
    {"y", 365LL * 24 * 3600 * 1000},
    {"w", 7LL * 24 * 3600 * 1000},
    {"d", 24LL * 3600 * 1000},
    {"h", 3600LL * 1000},
    {"m", 60LL * 1000},
    {"s", 1000},
    {"ms", 1},
};
#define N_UNITS (sizeof(units) / sizeof(units[0]))
/* Longer than any sensible range, short enough never to overflow. */
#define DURATION_MAX_MS (INT64_MAX / 4)

int promql_duration(const char *s, size_t len, int64_t *ms)
{
    size_t i = 0, next_unit = 0;
    int64_t total = 0;
    if (len == 0)
        return -EINVAL;
    while (i < len) {
        int64_t v = 0;
        size_t start = i;
        while (i < len && s[i] >= '0' && s[i] <= '9') {
            if (v > DURATION_MAX_MS / 10)
                return -EINVAL;
            v = v * 10 + (s[i++] - '0');
        }
        if (i == start)
            return -EINVAL;
        size_t u = next_unit;
        for (; u < N_UNITS; u++) {
            size_t n = strlen(units[u].unit);
            /* "m" must not take the m of "ms" */
            if (i + n <= len && memcmp(s + i, units[u].unit, n) == 0 &&
                !(n == 1 && s[i] == 'm' && i + 1 < len && s[i + 1] == 's'))
                break;
        }
        if (u == N_UNITS || v > DURATION_MAX_MS / units[u].ms ||
            total > DURATION_MAX_MS - v * units[u].ms)
            return -EINVAL;
        total += v * units[u].ms;
        i += strlen(units[u].unit);
        next_unit = u + 1;
    }
    *ms = total;
    return 0;
}

void promql_format_duration(struct buf *out, int64_t ms)
{
    if (ms == 0) {
        buf_puts(out, "0s");
        return;
    }
    if (ms < 0) {
        buf_putc(out, '-');
        ms = -ms;
    }
    for (size_t u = 0; u < N_UNITS; u++) {
        /* Weeks and years only when the whole duration is made of them. */
        if ((u < 2) && ms % units[u].ms != 0)
            continue;
        if (ms >= units[u].ms) {
            buf_printf(out, "%lld%s", (long long)(ms / units[u].ms),
                       units[u].unit);
            ms %= units[u].ms;
        }
    }
}

/* --- numbers -------------------------------------------------------------- */

#define DOUBLE_DIGITS_MAX 17 /* enough for any double to read back */
#define GO_G_EXP_MAX      6  /* strconv's precision for shortest %g */

void promql_format_float(double v, char fmt, char *out)
{
    if (isnan(v) || isinf(v)) {
        snprintf(out, PROMQL_FLOAT_MAX, "%s",
                 isnan(v) ? "NaN"
                 : v > 0  ? "+Inf"
                          : "-Inf");
        return;
    }
    /* The fewest significant digits that read back as v. */
    char e[PROMQL_FLOAT_MAX];
    int digits = 1;
    for (; digits < DOUBLE_DIGITS_MAX; digits++) {
        snprintf(e, sizeof(e), "%.*e", digits - 1, v);
        if (strtod(e, NULL) == v)
            break;
    }
    snprintf(e, sizeof(e), "%.*e", digits - 1, v);
    long exp = strtol(strchr(e, 'e') + 1, NULL, 10);
    /* Go's %g with the shortest digits uses the exponent form when the
     * exponent is below -4 or at least GO_G_EXP_MAX; 'E' always does. */
    if (fmt == 'E' || exp < -4 || exp >= GO_G_EXP_MAX) {
        char *x = strchr(e, 'e');
        *x = fmt == 'E' ? 'E' : 'e';
        snprintf(out, PROMQL_FLOAT_MAX, "%s", e);
        return;
    }
    long frac = digits - 1 - exp;
    snprintf(out, PROMQL_FLOAT_MAX, "%.*f", frac > 0 ? (int)frac : 0, v);
}

/* --- formatting ----------------------------------------------------------- */

static const char *const match_ops[] = {"=", "!=", "=~", "!~"};

static void format_selector(struct buf *out, const struct promql_node *n)
{
    const struct promql_matcher *m = n->u.sel.matchers;
    size_t first = 0;
    if (n->u.sel.n_matchers > 0 && strcmp(m[0].name, LABELS_NAME) == 0 &&
        m[0].type == PROMQL_MATCH_EQ) {
        buf_puts(out, m[0].value);
        first = 1;
    }
    if (first == 0 || n->u.sel.n_matchers > 1) {
        buf_putc(out, '{');
        for (size_t i = first; i < n->u.sel.n_matchers; i++) {
            buf_puts(out, i > first ? ", " : "");
            buf_printf(out, "%s%s", m[i].name, match_ops[m[i].type]);
            labels_quote(out, m[i].value);
        }
        buf_putc(out, '}');
    }
    if (n->u.sel.range_ms > 0) {
        buf_putc(out, '[');
        promql_format_duration(out, n->u.sel.range_ms);
        buf_putc(out, ']');
    }
    if (n->u.sel.offset_ms != 0) {
        buf_puts(out, " offset ");
        promql_format_duration(out, n->u.sel.offset_ms);
    }
}

static void format_names(struct buf *out, const char *word,
                         const struct promql_names *names)
{
    buf_printf(out, " %s (", word);
    for (size_t i = 0; i < names->n; i++)
        buf_printf(out, "%s%s", i ? ", " : "", names->v[i]);
    buf_puts(out, ")");
}

static void format_binary(struct buf *out, const struct promql_node *n)
{
    buf_putc(out, '(');
    promql_format(out, n->u.bin.lhs);
    buf_printf(out, " %s", promql_op_name(n->u.bin.op));
    if (n->u.bin.bool_mod)
        buf_puts(out, " bool");
    if (n->u.bin.on || n->u.bin.ignoring)
        format_names(out, n->u.bin.on ? "on" : "ignoring", &n->u.bin.matching);
    buf_putc(out, ' ');
    promql_format(out, n->u.bin.rhs);
    buf_putc(out, ')');
}

/* Whether n prints in parentheses of its own. */
static bool own_parentheses(const struct promql_node *n)
{
    return n->kind == PROMQL_BINARY ||
           (n->kind == PROMQL_NUMBER && signbit(n->u.number));
}

void promql_format(struct buf *out, const struct promql_node *n)
{
    char num[PROMQL_FLOAT_MAX];
    switch (n->kind) {
    case PROMQL_NUMBER:
        promql_format_float(n->u.number, 'g', num);
        /* A sign would bind looser than ^ when read back: "-2 ^ 2" is
         * -(2 ^ 2). */
        if (signbit(n->u.number))
            buf_printf(out, "(%s)", num);
        else
            buf_puts(out, num[0] == '+' ? num + 1 : num);
        break;
    case PROMQL_STRING_LIT:
        labels_quote(out, n->u.string);
        break;
    case PROMQL_SELECTOR:
        format_selector(out, n);
        break;
    case PROMQL_CALL:
        buf_printf(out, "%s(", promql_func_name(n->u.call.func));
        for (size_t i = 0; i < n->u.call.n_args; i++) {
            buf_puts(out, i ? ", " : "");
            promql_format(out, n->u.call.args[i]);
        }
        buf_putc(out, ')');
        break;
    case PROMQL_AGGREGATE:
        buf_puts(out, promql_agg_name(n->u.agg.op));
        if (n->u.agg.grouped)
            format_names(out, n->u.agg.without ? "without" : "by",
                         &n->u.agg.grouping);
        buf_puts(out, n->u.agg.grouped ? " (" : "(");
        promql_format(out, n->u.agg.arg);
        buf_putc(out, ')');
        break;
    case PROMQL_BINARY:
        format_binary(out, n);
        break;
    case PROMQL_UNARY:
        buf_puts(out, n->u.unary.op == PROMQL_SUB ? "-" : "+");
        promql_format(out, n->u.unary.arg);
        break;
    case PROMQL_PAREN:
        if (!own_parentheses(n->u.unary.arg))
            buf_putc(out, '(');
        promql_format(out, n->u.unary.arg);
        if (!own_parentheses(n->u.unary.arg))
            buf_putc(out, ')');
        break;
    }
}
