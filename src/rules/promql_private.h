/*
 * What the PromQL lexer (promql_lex.c) and parser (promql_parse.c, with
 * selectors in promql_select.c) share. Not part of the module's
 * interface.
 *
 * Tokens point into the text being parsed, which the caller keeps for
 * the parse.
 */
#ifndef TOKENTAIL_RULES_PROMQL_PRIVATE_H
#define TOKENTAIL_RULES_PROMQL_PRIVATE_H

#include <stddef.h>

#include "promql.h"

enum tok_kind {
    TOK_EOF,
    TOK_ERROR, /* the lexer's message is in lex.err */
    TOK_IDENT, /* a metric, label or function name, or a keyword */
    TOK_NUMBER,
    TOK_DURATION,
    TOK_STRING,
    TOK_LPAREN,
    TOK_RPAREN,
    TOK_LBRACE,
    TOK_RBRACE,
    TOK_LBRACKET,
    TOK_RBRACKET,
    TOK_COMMA,
    TOK_COLON,
    TOK_AT,
    TOK_ASSIGN, /* = */
    TOK_EQL,    /* == */
    TOK_NEQ,
    TOK_EQL_RE,
    TOK_NEQ_RE,
    TOK_GTR,
    TOK_LSS,
    TOK_GTE,
    TOK_LTE,
    TOK_ADD,
    TOK_SUB,
    TOK_MUL,
    TOK_DIV,
    TOK_MOD,
    TOK_POW,
};

struct token {
    enum tok_kind kind;
    size_t pos, len; /* in the text */
};

struct lexer {
    const char *text;
    size_t len, pos;
    char err[PROMQL_ERR_MAX];
};

/* The next token; TOK_ERROR with lex->err set on a malformed one. */
struct token lex_next(struct lexer *lex);

/*
 * The value of a string token (quotes removed, escapes resolved as Go
 * does) in a new string (caller frees); NULL on -ENOMEM or, with err
 * set, on a bad escape.
 */
char *lex_string(const struct lexer *lex, const struct token *t, char *err);

/* Whether t is the identifier word (case-insensitive, as PromQL keywords
 * are). */
bool lex_is(const struct lexer *lex, const struct token *t, const char *word);

/* --- the parser, shared by promql_parse.c and promql_select.c --------- */

struct parser {
    struct lexer lex;
    struct token tok; /* the current token */
    char *err;
    size_t err_pos;
    int rc; /* 0 until the first failure */
    int depth;
};

/* Moves to the next token. */
void parser_next(struct parser *p);
/* Records the first failure, at pos; returns NULL. */
void *parser_fail(struct parser *p, size_t pos, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
void *parser_oom(struct parser *p);
/* Refuses the current token as unexpected "in" (a phrase); NULL. */
void *parser_unexpected(struct parser *p, const char *in);
/* Takes a token of kind k, or refuses the current one. */
bool parser_expect(struct parser *p, enum tok_kind k, const char *in);
/* A zeroed node (caller frees with promql_free), or NULL. */
struct promql_node *parser_node(struct parser *p, enum promql_kind kind,
                                enum promql_type type, size_t pos);
/* A copy of t's text (caller frees), or NULL. */
char *parser_text(struct parser *p, const struct token *t);
bool parser_is_label_name(struct parser *p, const struct token *t);

/* A selector: name (borrowed; NULL for one in braces alone) and the
 * matchers in braces after it. Caller frees; NULL on failure. */
struct promql_node *parser_selector(struct parser *p, const struct token *name);
/* A range or offset after n (taken: freed on failure); NULL on failure. */
struct promql_node *parser_postfix(struct parser *p, struct promql_node *n);

#endif
