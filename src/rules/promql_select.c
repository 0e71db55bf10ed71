/*
 * Selectors: a metric name and label matchers, with a range and an
 * offset after them.
 */
#include "promql_private.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rx.h"

#define COUNT(a) (sizeof(a) / sizeof(*(a)))

/* --- selectors ------------------------------------------------------------ */

bool parser_is_label_name(struct parser *p, const struct token *t)
{
    return t->kind == TOK_IDENT &&
           memchr(p->lex.text + t->pos, ':', t->len) == NULL;
}

static struct promql_matcher *add_matcher(struct parser *p,
                                          struct promql_node *sel)
{
    size_t n = sel->u.sel.n_matchers;
    struct promql_matcher *m =
        realloc(sel->u.sel.matchers, (n + 1) * sizeof(*m));
    if (m == NULL)
        return parser_oom(p);
    sel->u.sel.matchers = m;
    memset(&m[n], 0, sizeof(*m));
    sel->u.sel.n_matchers++;
    return &m[n];
}

static bool compile_matcher(struct parser *p, struct promql_matcher *m,
                            size_t pos)
{
    if (m->type != PROMQL_MATCH_RE && m->type != PROMQL_MATCH_NRE)
        return true;
    /* Prometheus anchors a matcher's expression at both ends. */
    size_t n = strlen(m->value) + sizeof("\\A(?:)\\z");
    char *anchored = malloc(n);
    if (anchored == NULL)
        return parser_oom(p) != NULL;
    snprintf(anchored, n, "\\A(?:%s)\\z", m->value);
    int rc = rx_new_interpreted(anchored, &m->re);
    free(anchored);
    if (rc != 0)
        parser_fail(p, pos, "invalid regular expression \"%s\"", m->value);
    return rc == 0;
}

static bool parse_matcher(struct parser *p, struct promql_node *sel)
{
    struct token name = p->tok;
    if (!parser_is_label_name(p, &name)) {
        parser_unexpected(p, "in label matching, expected a label name");
        return false;
    }
    parser_next(p);
    static const enum tok_kind ops[] = {TOK_ASSIGN, TOK_NEQ, TOK_EQL_RE,
                                        TOK_NEQ_RE};
    size_t op = 0;
    while (op < COUNT(ops) && p->tok.kind != ops[op])
        op++;
    if (op == COUNT(ops)) {
        parser_unexpected(p, "in label matching, expected =, !=, =~ or !~");
        return false;
    }
    parser_next(p);
    struct token val = p->tok;
    if (val.kind != TOK_STRING) {
        parser_unexpected(p, "in label matching, expected a quoted string");
        return false;
    }
    parser_next(p);
    struct promql_matcher *m = add_matcher(p, sel);
    if (m == NULL)
        return false;
    m->type = (enum promql_match_type)op;
    m->name = parser_text(p, &name);
    char why[PROMQL_ERR_MAX];
    m->value = lex_string(&p->lex, &val, why);
    if (m->value == NULL && m->name != NULL)
        return parser_fail(p, val.pos, "%s", why) != NULL;
    return m->name != NULL && compile_matcher(p, m, val.pos);
}

/* Whether some matcher of sel rejects the empty value: Prometheus
 * refuses a selector that would match every series. */
static bool selects_something(const struct promql_node *sel)
{
    for (size_t i = 0; i < sel->u.sel.n_matchers; i++)
        if (!promql_matcher_matches(&sel->u.sel.matchers[i], ""))
            return true;
    return false;
}

struct promql_node *parser_selector(struct parser *p, const struct token *name)
{
    size_t pos = name ? name->pos : p->tok.pos;
    struct promql_node *sel =
        parser_node(p, PROMQL_SELECTOR, PROMQL_VECTOR, pos);
    if (sel == NULL)
        return NULL;
    if (name != NULL) {
        struct promql_matcher *m = add_matcher(p, sel);
        if (m != NULL) {
            m->name = strdup(LABELS_NAME);
            m->value = parser_text(p, name);
            if (m->name == NULL)
                parser_oom(p);
        }
    }
    if (p->rc == 0 && p->tok.kind == TOK_LBRACE) {
        parser_next(p);
        while (p->rc == 0 && p->tok.kind != TOK_RBRACE) {
            if (!parse_matcher(p, sel))
                break;
            if (p->tok.kind == TOK_COMMA)
                parser_next(p);
            else if (p->tok.kind != TOK_RBRACE)
                parser_unexpected(p,
                                  "in label matching, expected \",\" or \"}\"");
        }
        if (p->rc == 0)
            parser_next(p);
    }
    if (p->rc == 0 && name != NULL)
        for (size_t i = 1; i < sel->u.sel.n_matchers; i++)
            if (strcmp(sel->u.sel.matchers[i].name, LABELS_NAME) == 0)
                parser_fail(p, pos, "metric name must not be set twice");
    if (p->rc == 0 && !selects_something(sel))
        parser_fail(p, pos,
                    "vector selector must contain at least one non-empty "
                    "matcher");
    if (p->rc != 0) {
        promql_free(sel);
        return NULL;
    }
    return sel;
}

static bool parse_duration(struct parser *p, int64_t *ms, const char *what)
{
    if (p->tok.kind != TOK_DURATION) {
        parser_unexpected(p, what);
        return false;
    }
    if (promql_duration(p->lex.text + p->tok.pos, p->tok.len, ms) != 0) {
        parser_fail(p, p->tok.pos, "bad duration \"%.*s\"", (int)p->tok.len,
                    p->lex.text + p->tok.pos);
        return false;
    }
    parser_next(p);
    return true;
}

/* A range [5m] after a selector; subqueries and ranges of anything else
 * are refused. */
static bool parse_range(struct parser *p, struct promql_node *n)
{
    size_t pos = p->tok.pos;
    parser_next(p);
    int64_t ms;
    if (!parse_duration(p, &ms, "in a range, expected a duration"))
        return false;
    if (p->tok.kind == TOK_COLON)
        return parser_fail(p, pos, "subqueries are not supported") != NULL;
    if (!parser_expect(p, TOK_RBRACKET, "in a range, expected \"]\""))
        return false;
    if (n->kind != PROMQL_SELECTOR || n->type != PROMQL_VECTOR)
        return parser_fail(p, pos,
                           "ranges are only allowed for vector selectors") !=
               NULL;
    if (n->u.sel.offset_ms != 0)
        return parser_fail(p, pos, "a range must come before offset") != NULL;
    if (ms == 0)
        return parser_fail(p, pos, "a range must not be zero") != NULL;
    n->u.sel.range_ms = ms;
    n->type = PROMQL_MATRIX;
    return true;
}

static bool parse_offset(struct parser *p, struct promql_node *n)
{
    size_t pos = p->tok.pos;
    parser_next(p);
    bool neg = false;
    if (p->tok.kind == TOK_SUB || p->tok.kind == TOK_ADD) {
        neg = p->tok.kind == TOK_SUB;
        parser_next(p);
    }
    int64_t ms;
    if (!parse_duration(p, &ms, "after offset, expected a duration"))
        return false;
    if (n->kind != PROMQL_SELECTOR)
        return parser_fail(p, pos, "offset is only allowed on selectors") !=
               NULL;
    if (n->u.sel.offset_ms != 0)
        return parser_fail(p, pos, "offset may not be set multiple times") !=
               NULL;
    n->u.sel.offset_ms = neg ? -ms : ms;
    return true;
}

/* What may follow a primary expression: a range, offset; @ is refused. */
struct promql_node *parser_postfix(struct parser *p, struct promql_node *n)
{
    for (;;) {
        bool ok = true;
        if (p->tok.kind == TOK_LBRACKET)
            ok = parse_range(p, n);
        else if (lex_is(&p->lex, &p->tok, "offset"))
            ok = parse_offset(p, n);
        else if (p->tok.kind == TOK_AT)
            ok = parser_fail(p, p->tok.pos,
                             "the @ modifier is not supported") != NULL;
        else
            return n;
        if (!ok) {
            promql_free(n);
            return NULL;
        }
    }
}
