/*
 * The PromQL parser: precedence climbing over the lexer's tokens, with
 * the types checked as each node is built, as Prometheus checks them, so
 * that an expression that parses can be evaluated without surprises.
 */
#include "promql_private.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void parser_next(struct parser *p)
{
    p->tok = lex_next(&p->lex);
}

void *parser_fail(struct parser *p, size_t pos, const char *fmt, ...)
{
    if (p->rc != 0)
        return NULL;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(p->err, PROMQL_ERR_MAX, fmt, ap);
    va_end(ap);
    p->err_pos = pos;
    p->rc = -EINVAL;
    return NULL;
}

void *parser_oom(struct parser *p)
{
    if (p->rc == 0) {
        snprintf(p->err, PROMQL_ERR_MAX, "out of memory");
        p->rc = -ENOMEM;
    }
    return NULL;
}

/* Refuses the current token as unexpected "in what". */
void *parser_unexpected(struct parser *p, const char *in)
{
    const struct token *t = &p->tok;
    if (t->kind == TOK_ERROR)
        return parser_fail(p, t->pos, "%s", p->lex.err);
    if (t->kind == TOK_EOF)
        return parser_fail(p, t->pos, "unexpected end of input %s", in);
    return parser_fail(p, t->pos, "unexpected \"%.*s\" %s", (int)t->len,
                       p->lex.text + t->pos, in);
}

bool parser_expect(struct parser *p, enum tok_kind k, const char *in)
{
    if (p->tok.kind == k) {
        parser_next(p);
        return true;
    }
    parser_unexpected(p, in);
    return false;
}

struct promql_node *parser_node(struct parser *p, enum promql_kind kind,
                                enum promql_type type, size_t pos)
{
    struct promql_node *n = calloc(1, sizeof(*n));
    if (n == NULL)
        return parser_oom(p);
    n->kind = kind;
    n->type = type;
    n->pos = pos;
    return n;
}

char *parser_text(struct parser *p, const struct token *t)
{
    char *s = strndup(p->lex.text + t->pos, t->len);
    return s ? s : parser_oom(p);
}

static const char *const type_names[] = {
    [PROMQL_SCALAR] = "scalar",
    [PROMQL_VECTOR] = "instant vector",
    [PROMQL_MATRIX] = "range vector",
    [PROMQL_STRING] = "string",
};

/* --- names that PromQL reserves ------------------------------------------- */

static const char *const keywords[] = {
    "and",      "or",         "unless",      "by",   "without", "on",
    "ignoring", "group_left", "group_right", "bool", "offset",  "atan2",
};

static bool is_keyword(struct parser *p, const struct token *t)
{
    for (size_t i = 0; i < sizeof(keywords) / sizeof(*keywords); i++)
        if (lex_is(&p->lex, t, keywords[i]))
            return true;
    return false;
}

static const char *const agg_names_table[] = {"sum", "avg", "min", "max",
                                              "count"};

static const char *const other_aggregations[] = {
    "topk", "bottomk", "count_values", "quantile", "stddev", "stdvar", "group",
};

/* Prometheus' functions outside the subset, to tell them from typos;
 * each name between spaces. */
static const char other_functions[] =
    " absent_over_time acos acosh asin asinh atan atanh ceil changes clamp"
    " cos cosh day_of_month day_of_week day_of_year days_in_month deg deriv"
    " exp floor histogram_count histogram_fraction histogram_sum holt_winters"
    " hour idelta label_join label_replace last_over_time ln log10 log2"
    " minute month pi predict_linear present_over_time quantile_over_time"
    " rad resets round sgn sin sinh sort sort_desc sqrt stddev_over_time"
    " stdvar_over_time tan tanh timestamp year ";

static bool is_other_function(struct parser *p, const struct token *t)
{
    char word[64];
    if (t->len + 3 > sizeof(word))
        return false;
    snprintf(word, sizeof(word), " %.*s ", (int)t->len, p->lex.text + t->pos);
    return strstr(other_functions, word) != NULL;
}

static int find_name(struct parser *p, const struct token *t,
                     const char *const *names, size_t n, bool any_case)
{
    for (size_t i = 0; i < n; i++) {
        if (names[i] == NULL)
            continue;
        if (any_case ? lex_is(&p->lex, t, names[i])
                     : (strlen(names[i]) == t->len &&
                        memcmp(p->lex.text + t->pos, names[i], t->len) == 0))
            return (int)i;
    }
    return -1;
}

#define COUNT(a) (sizeof(a) / sizeof(*(a)))

static struct promql_node *parse_expr(struct parser *p, int min_prec);

/* --- calls and aggregations ----------------------------------------------- */

/* Each function's argument types, its result, and how many it takes. */
static const struct {
    enum promql_type args[2];
    size_t n_args;
    enum promql_type result;
} signatures[] = {
    [PROMQL_FN_RATE] = {{PROMQL_MATRIX}, 1, PROMQL_VECTOR},
    [PROMQL_FN_INCREASE] = {{PROMQL_MATRIX}, 1, PROMQL_VECTOR},
    [PROMQL_FN_DELTA] = {{PROMQL_MATRIX}, 1, PROMQL_VECTOR},
    [PROMQL_FN_IRATE] = {{PROMQL_MATRIX}, 1, PROMQL_VECTOR},
    [PROMQL_FN_AVG_OVER_TIME] = {{PROMQL_MATRIX}, 1, PROMQL_VECTOR},
    [PROMQL_FN_MIN_OVER_TIME] = {{PROMQL_MATRIX}, 1, PROMQL_VECTOR},
    [PROMQL_FN_MAX_OVER_TIME] = {{PROMQL_MATRIX}, 1, PROMQL_VECTOR},
    [PROMQL_FN_SUM_OVER_TIME] = {{PROMQL_MATRIX}, 1, PROMQL_VECTOR},
    [PROMQL_FN_COUNT_OVER_TIME] = {{PROMQL_MATRIX}, 1, PROMQL_VECTOR},
    [PROMQL_FN_HISTOGRAM_QUANTILE] = {{PROMQL_SCALAR, PROMQL_VECTOR},
                                      2,
                                      PROMQL_VECTOR},
    [PROMQL_FN_ABSENT] = {{PROMQL_VECTOR}, 1, PROMQL_VECTOR},
    [PROMQL_FN_TIME] = {{PROMQL_SCALAR}, 0, PROMQL_SCALAR},
    [PROMQL_FN_VECTOR] = {{PROMQL_SCALAR}, 1, PROMQL_VECTOR},
    [PROMQL_FN_SCALAR] = {{PROMQL_VECTOR}, 1, PROMQL_SCALAR},
    [PROMQL_FN_CLAMP_MIN] = {{PROMQL_VECTOR, PROMQL_SCALAR}, 2, PROMQL_VECTOR},
    [PROMQL_FN_CLAMP_MAX] = {{PROMQL_VECTOR, PROMQL_SCALAR}, 2, PROMQL_VECTOR},
    [PROMQL_FN_ABS] = {{PROMQL_VECTOR}, 1, PROMQL_VECTOR},
};

static bool add_arg(struct parser *p, struct promql_node *call,
                    struct promql_node *arg)
{
    size_t n = call->u.call.n_args;
    struct promql_node **a = realloc(call->u.call.args, (n + 1) * sizeof(*a));
    if (a == NULL) {
        promql_free(arg);
        return parser_oom(p) != NULL;
    }
    a[n] = arg;
    call->u.call.args = a;
    call->u.call.n_args++;
    return true;
}

static bool check_args(struct parser *p, const struct promql_node *call,
                       size_t pos)
{
    enum promql_func f = call->u.call.func;
    const char *name = promql_func_name(f);
    if (call->u.call.n_args != signatures[f].n_args)
        return parser_fail(
                   p, pos, "expected %zu argument%s in call to \"%s\", got %zu",
                   signatures[f].n_args, signatures[f].n_args == 1 ? "" : "s",
                   name, call->u.call.n_args) != NULL;
    for (size_t i = 0; i < call->u.call.n_args; i++) {
        const struct promql_node *a = call->u.call.args[i];
        if (a->type != signatures[f].args[i])
            return parser_fail(
                       p, a->pos,
                       "expected type %s in call to function \"%s\", got %s",
                       type_names[signatures[f].args[i]], name,
                       type_names[a->type]) != NULL;
    }
    return true;
}

/* The function fn names in the subset, or -1 after refusing it. */
static int lookup_func(struct parser *p, const struct token *fn)
{
    for (int f = 0; f <= PROMQL_FN_ABS; f++) {
        const char *name = promql_func_name((enum promql_func)f);
        if (strlen(name) == fn->len &&
            memcmp(p->lex.text + fn->pos, name, fn->len) == 0)
            return f;
    }
    if (is_other_function(p, fn))
        parser_fail(p, fn->pos, "function \"%.*s\" is not supported",
                    (int)fn->len, p->lex.text + fn->pos);
    else
        parser_fail(p, fn->pos, "unknown function \"%.*s\"", (int)fn->len,
                    p->lex.text + fn->pos);
    return -1;
}

/* fn( args ), the current token being "(". */
static struct promql_node *parse_call(struct parser *p, const struct token *fn)
{
    int f = lookup_func(p, fn);
    if (f < 0)
        return NULL;
    struct promql_node *call =
        parser_node(p, PROMQL_CALL, signatures[f].result, fn->pos);
    if (call == NULL)
        return NULL;
    call->u.call.func = (enum promql_func)f;
    parser_next(p);
    while (p->rc == 0 && p->tok.kind != TOK_RPAREN) {
        struct promql_node *arg = parse_expr(p, 0);
        if (arg == NULL || !add_arg(p, call, arg))
            break;
        if (p->tok.kind == TOK_COMMA)
            parser_next(p);
        else if (p->tok.kind != TOK_RPAREN)
            parser_unexpected(p, "in a function call, expected \",\" or \")\"");
    }
    if (p->rc == 0)
        parser_next(p);
    if (p->rc != 0 || !check_args(p, call, fn->pos)) {
        promql_free(call);
        return NULL;
    }
    return call;
}

/* ( name, ... ): grouping or matching labels. */
static bool parse_names(struct parser *p, struct promql_names *names,
                        const char *what)
{
    char in[64];
    snprintf(in, sizeof(in), "in %s, expected \"(\"", what);
    if (!parser_expect(p, TOK_LPAREN, in))
        return false;
    while (p->tok.kind != TOK_RPAREN) {
        if (!parser_is_label_name(p, &p->tok)) {
            snprintf(in, sizeof(in), "in %s, expected a label name", what);
            parser_unexpected(p, in);
            return false;
        }
        char **v = realloc(names->v, (names->n + 1) * sizeof(*v));
        if (v == NULL)
            return parser_oom(p) != NULL;
        names->v = v;
        if ((v[names->n] = parser_text(p, &p->tok)) == NULL)
            return false;
        names->n++;
        parser_next(p);
        if (p->tok.kind == TOK_COMMA)
            parser_next(p);
        else if (p->tok.kind != TOK_RPAREN) {
            snprintf(in, sizeof(in), "in %s, expected \",\" or \")\"", what);
            parser_unexpected(p, in);
            return false;
        }
    }
    parser_next(p);
    return true;
}

/* by (...) or without (...), when the current token is one. */
static bool parse_grouping(struct parser *p, struct promql_node *agg)
{
    bool by = lex_is(&p->lex, &p->tok, "by");
    bool without = lex_is(&p->lex, &p->tok, "without");
    if (!by && !without)
        return true;
    if (agg->u.agg.grouped)
        return parser_fail(p, p->tok.pos,
                           "an aggregation takes one by or without "
                           "clause") != NULL;
    agg->u.agg.grouped = true;
    agg->u.agg.without = without;
    parser_next(p);
    return parse_names(p, &agg->u.agg.grouping, by ? "by" : "without");
}

static struct promql_node *parse_aggregate(struct parser *p,
                                           const struct token *t, int op)
{
    struct promql_node *agg =
        parser_node(p, PROMQL_AGGREGATE, PROMQL_VECTOR, t->pos);
    if (agg == NULL)
        return NULL;
    agg->u.agg.op = (enum promql_agg)op;
    if (parse_grouping(p, agg) &&
        parser_expect(p, TOK_LPAREN, "in an aggregation, expected \"(\"")) {
        agg->u.agg.arg = parse_expr(p, 0);
        if (p->rc == 0 && p->tok.kind == TOK_COMMA)
            parser_fail(p, p->tok.pos, "aggregation \"%s\" takes no parameter",
                        promql_agg_name(agg->u.agg.op));
        if (p->rc == 0 &&
            parser_expect(p, TOK_RPAREN, "in an aggregation, expected \")\""))
            parse_grouping(p, agg);
    }
    if (p->rc == 0 && agg->u.agg.arg->type != PROMQL_VECTOR)
        parser_fail(
            p, agg->u.agg.arg->pos,
            "expected type instant vector in aggregation expression, got %s",
            type_names[agg->u.agg.arg->type]);
    if (p->rc != 0) {
        promql_free(agg);
        return NULL;
    }
    return agg;
}

/* --- primary expressions -------------------------------------------------- */

static struct promql_node *parse_number(struct parser *p)
{
    struct promql_node *n =
        parser_node(p, PROMQL_NUMBER, PROMQL_SCALAR, p->tok.pos);
    if (n == NULL)
        return NULL;
    if (p->tok.kind == TOK_IDENT) {
        n->u.number = lex_is(&p->lex, &p->tok, "inf") ? INFINITY : NAN;
    } else {
        char text[64];
        snprintf(text, sizeof(text), "%.*s", (int)p->tok.len,
                 p->lex.text + p->tok.pos);
        n->u.number = strtod(text, NULL);
    }
    parser_next(p);
    return n;
}

static struct promql_node *parse_ident(struct parser *p)
{
    struct token t = p->tok;
    int agg = find_name(p, &t, agg_names_table, COUNT(agg_names_table), true);
    if (agg >= 0) {
        parser_next(p);
        return parse_aggregate(p, &t, agg);
    }
    if (find_name(p, &t, other_aggregations, COUNT(other_aggregations), true) >=
        0)
        return parser_fail(p, t.pos, "aggregation \"%.*s\" is not supported",
                           (int)t.len, p->lex.text + t.pos);
    if (lex_is(&p->lex, &t, "inf") || lex_is(&p->lex, &t, "nan"))
        return parse_number(p);
    if (lex_is(&p->lex, &t, "group_left") || lex_is(&p->lex, &t, "group_right"))
        return parser_fail(p, t.pos, "%.*s is not supported", (int)t.len,
                           p->lex.text + t.pos);
    if (is_keyword(p, &t))
        return parser_unexpected(p, "where an expression was expected");
    parser_next(p);
    if (p->tok.kind == TOK_LPAREN)
        return parse_call(p, &t);
    return parser_selector(p, &t);
}

static struct promql_node *parse_paren(struct parser *p)
{
    struct promql_node *n =
        parser_node(p, PROMQL_PAREN, PROMQL_SCALAR, p->tok.pos);
    if (n == NULL)
        return NULL;
    parser_next(p);
    n->u.unary.arg = parse_expr(p, 0);
    if (p->rc == 0) {
        n->type = n->u.unary.arg->type;
        parser_expect(p, TOK_RPAREN, "in parentheses, expected \")\"");
    }
    if (p->rc != 0) {
        promql_free(n);
        return NULL;
    }
    return n;
}

static struct promql_node *parse_string(struct parser *p)
{
    struct promql_node *n =
        parser_node(p, PROMQL_STRING_LIT, PROMQL_STRING, p->tok.pos);
    if (n == NULL)
        return NULL;
    char why[PROMQL_ERR_MAX];
    n->u.string = lex_string(&p->lex, &p->tok, why);
    if (n->u.string == NULL) {
        promql_free(n);
        return parser_fail(p, p->tok.pos, "%s", why);
    }
    parser_next(p);
    return n;
}

static struct promql_node *parse_primary(struct parser *p)
{
    struct promql_node *n;
    switch (p->tok.kind) {
    case TOK_NUMBER:
        n = parse_number(p);
        break;
    case TOK_STRING:
        n = parse_string(p);
        break;
    case TOK_IDENT:
        n = parse_ident(p);
        break;
    case TOK_LBRACE:
        n = parser_selector(p, NULL);
        break;
    case TOK_LPAREN:
        n = parse_paren(p);
        break;
    default:
        return parser_unexpected(p, "where an expression was expected");
    }
    return n ? parser_postfix(p, n) : NULL;
}

static struct promql_node *parse_unary(struct parser *p);

/* --- operators ------------------------------------------------------------ */

#define PREC_POW 6 /* a unary sign binds as *, below ^ */

/* The binary operator at the current token and its precedence, or 0. */
static int binary_op(struct parser *p, enum promql_op *op)
{
    static const struct {
        enum tok_kind tok;
        enum promql_op op;
        int prec;
    } ops[] = {
        {TOK_POW, PROMQL_POW, 6}, {TOK_MUL, PROMQL_MUL, 5},
        {TOK_DIV, PROMQL_DIV, 5}, {TOK_MOD, PROMQL_MOD, 5},
        {TOK_ADD, PROMQL_ADD, 4}, {TOK_SUB, PROMQL_SUB, 4},
        {TOK_EQL, PROMQL_EQL, 3}, {TOK_NEQ, PROMQL_NEQ, 3},
        {TOK_GTR, PROMQL_GTR, 3}, {TOK_LSS, PROMQL_LSS, 3},
        {TOK_GTE, PROMQL_GTE, 3}, {TOK_LTE, PROMQL_LTE, 3},
    };
    for (size_t i = 0; i < COUNT(ops); i++)
        if (p->tok.kind == ops[i].tok) {
            *op = ops[i].op;
            return ops[i].prec;
        }
    if (lex_is(&p->lex, &p->tok, "and") || lex_is(&p->lex, &p->tok, "unless")) {
        *op = lex_is(&p->lex, &p->tok, "and") ? PROMQL_AND : PROMQL_UNLESS;
        return 2;
    }
    if (lex_is(&p->lex, &p->tok, "or")) {
        *op = PROMQL_OR;
        return 1;
    }
    if (lex_is(&p->lex, &p->tok, "atan2"))
        parser_fail(p, p->tok.pos, "atan2 is not supported");
    return 0;
}

/* bool, on (...), ignoring (...) after an operator. */
static bool parse_modifiers(struct parser *p, struct promql_node *b)
{
    if (lex_is(&p->lex, &p->tok, "bool")) {
        if (!promql_op_is_comparison(b->u.bin.op))
            return parser_fail(p, p->tok.pos,
                               "bool modifier can only be used on "
                               "comparison operators") != NULL;
        b->u.bin.bool_mod = true;
        parser_next(p);
    }
    b->u.bin.on = lex_is(&p->lex, &p->tok, "on");
    b->u.bin.ignoring = lex_is(&p->lex, &p->tok, "ignoring");
    if (b->u.bin.on || b->u.bin.ignoring) {
        const char *what = b->u.bin.on ? "on" : "ignoring";
        parser_next(p);
        if (!parse_names(p, &b->u.bin.matching, what))
            return false;
    }
    if (lex_is(&p->lex, &p->tok, "group_left") ||
        lex_is(&p->lex, &p->tok, "group_right"))
        return parser_fail(p, p->tok.pos, "%.*s is not supported",
                           (int)p->tok.len, p->lex.text + p->tok.pos) != NULL;
    return true;
}

/* Prometheus' type rules for binary operators. */
static bool check_binary(struct parser *p, struct promql_node *b)
{
    const struct promql_node *l = b->u.bin.lhs, *r = b->u.bin.rhs;
    enum promql_op op = b->u.bin.op;
    const char *name = promql_op_name(op);
    bool vectors = l->type == PROMQL_VECTOR && r->type == PROMQL_VECTOR;
    if ((l->type != PROMQL_SCALAR && l->type != PROMQL_VECTOR) ||
        (r->type != PROMQL_SCALAR && r->type != PROMQL_VECTOR))
        return parser_fail(p, b->pos,
                           "binary expression must contain only scalar "
                           "and instant vector types") != NULL;
    if (promql_op_is_set(op) && !vectors)
        return parser_fail(p, b->pos,
                           "set operator \"%s\" not allowed in binary "
                           "scalar expression",
                           name) != NULL;
    if (promql_op_is_comparison(op) && !b->u.bin.bool_mod &&
        l->type == PROMQL_SCALAR && r->type == PROMQL_SCALAR)
        return parser_fail(p, b->pos,
                           "comparisons between scalars must use bool "
                           "modifier") != NULL;
    if ((b->u.bin.on || b->u.bin.ignoring) && !vectors)
        return parser_fail(p, b->pos,
                           "vector matching only allowed between instant "
                           "vectors") != NULL;
    b->type = l->type == PROMQL_VECTOR || r->type == PROMQL_VECTOR
                  ? PROMQL_VECTOR
                  : PROMQL_SCALAR;
    return true;
}

static struct promql_node *parse_expr(struct parser *p, int min_prec)
{
    if (++p->depth > PROMQL_DEPTH_MAX)
        return parser_fail(p, p->tok.pos, "expression nested too deeply");
    struct promql_node *lhs = parse_unary(p);
    enum promql_op op;
    int prec;
    while (lhs != NULL && (prec = binary_op(p, &op)) >= min_prec && prec > 0) {
        struct promql_node *b =
            parser_node(p, PROMQL_BINARY, PROMQL_SCALAR, p->tok.pos);
        if (b == NULL)
            break;
        b->u.bin.op = op;
        b->u.bin.lhs = lhs;
        lhs = b;
        parser_next(p);
        if (!parse_modifiers(p, b))
            break;
        /* ^ is right-associative, the others left. */
        b->u.bin.rhs = parse_expr(p, op == PROMQL_POW ? prec : prec + 1);
        if (b->u.bin.rhs == NULL || !check_binary(p, b))
            break;
    }
    p->depth--;
    if (p->rc != 0) {
        promql_free(lhs);
        return NULL;
    }
    return lhs;
}

static struct promql_node *parse_unary(struct parser *p)
{
    if (p->tok.kind != TOK_ADD && p->tok.kind != TOK_SUB)
        return parse_primary(p);
    size_t pos = p->tok.pos;
    enum promql_op op = p->tok.kind == TOK_SUB ? PROMQL_SUB : PROMQL_ADD;
    parser_next(p);
    struct promql_node *arg = parse_expr(p, PREC_POW);
    if (arg == NULL)
        return NULL;
    if (arg->type != PROMQL_SCALAR && arg->type != PROMQL_VECTOR) {
        promql_free(arg);
        return parser_fail(p, pos,
                           "unary expression only allowed on expressions "
                           "of type scalar or instant vector");
    }
    /* A signed number is a number, as Prometheus folds it. */
    if (arg->kind == PROMQL_NUMBER) {
        if (op == PROMQL_SUB)
            arg->u.number = -arg->u.number;
        arg->pos = pos;
        return arg;
    }
    struct promql_node *n = parser_node(p, PROMQL_UNARY, arg->type, pos);
    if (n == NULL) {
        promql_free(arg);
        return NULL;
    }
    n->u.unary.op = op;
    n->u.unary.arg = arg;
    return n;
}

int promql_parse(const char *text, size_t len, struct promql_node **out,
                 char *err, size_t *err_pos)
{
    struct parser p = {.lex = {.text = text, .len = len}, .err = err};
    *out = NULL;
    err[0] = '\0';
    parser_next(&p);
    struct promql_node *root = parse_expr(&p, 0);
    if (root != NULL && p.tok.kind != TOK_EOF)
        parser_unexpected(&p, "after the expression");
    if (root != NULL && root->type != PROMQL_SCALAR &&
        root->type != PROMQL_VECTOR)
        parser_fail(
            &p, root->pos,
            "expression must be of type instant vector or scalar, not %s",
            type_names[root->type]);
    if (p.rc != 0) {
        promql_free(root);
        *err_pos = p.err_pos;
        return p.rc;
    }
    *out = root;
    return 0;
}
