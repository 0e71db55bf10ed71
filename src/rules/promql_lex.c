/*
 * PromQL's tokens, as Prometheus' own lexer cuts them: a number followed
 * by a unit letter is a duration ("5m"), never a number and a name; Inf
 * and NaN are names the parser reads as numbers; strings take Go's
 * escapes in double and single quotes, none in backquotes.
 */
#include "promql_private.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "utf8.h"
#include <strings.h>

static bool is_digit(char c)
{
    return c >= '0' && c <= '9';
}

static bool is_alpha(char c)
{
    return c == '_' || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static bool is_alnum(char c)
{
    return is_alpha(c) || is_digit(c);
}

static char at(const struct lexer *lex, size_t i)
{
    return i < lex->len ? lex->text[i] : '\0';
}

static struct token tok(enum tok_kind k, size_t pos, size_t len)
{
    struct token t = {k, pos, len};
    return t;
}

static struct token lex_error(struct lexer *lex, size_t pos, const char *msg)
{
    snprintf(lex->err, sizeof(lex->err), "%s", msg);
    return tok(TOK_ERROR, pos, 0);
}

static size_t digits(const struct lexer *lex, size_t i, bool hex)
{
    while (is_digit(at(lex, i)) ||
           (hex && strchr("abcdefABCDEF", at(lex, i)) != NULL &&
            at(lex, i) != '\0'))
        i++;
    return i;
}

/* The end of a number starting at i, or 0 when what follows it makes
 * it something else (a duration, or garbage). */
static size_t number_end(const struct lexer *lex, size_t i)
{
    if (at(lex, i) == '0' && (at(lex, i + 1) == 'x' || at(lex, i + 1) == 'X')) {
        size_t e = digits(lex, i + 2, true);
        return e > i + 2 && !is_alnum(at(lex, e)) ? e : 0;
    }
    i = digits(lex, i, false);
    if (at(lex, i) == '.')
        i = digits(lex, i + 1, false);
    if (at(lex, i) == 'e' || at(lex, i) == 'E') {
        size_t e = i + 1;
        if (at(lex, e) == '+' || at(lex, e) == '-')
            e++;
        if (is_digit(at(lex, e)))
            i = digits(lex, e, false);
    }
    return is_alnum(at(lex, i)) || at(lex, i) == '.' ? 0 : i;
}

/* The end of a duration starting at i ("1h30m"), or 0. */
static size_t duration_end(const struct lexer *lex, size_t i)
{
    size_t start = i;
    while (is_digit(at(lex, i))) {
        i = digits(lex, i, false);
        if (at(lex, i) == 'm' && at(lex, i + 1) == 's')
            i += 2;
        else if (at(lex, i) != '\0' && strchr("ywdhms", at(lex, i)) != NULL)
            i++;
        else
            return 0;
    }
    return i > start && !is_alnum(at(lex, i)) ? i : 0;
}

static struct token lex_number(struct lexer *lex, size_t start)
{
    size_t end = number_end(lex, start);
    if (end > start)
        return tok(TOK_NUMBER, start, end - start);
    end = duration_end(lex, start);
    if (end > start)
        return tok(TOK_DURATION, start, end - start);
    return lex_error(lex, start, "bad number or duration");
}

static struct token lex_quoted(struct lexer *lex, size_t start)
{
    char q = lex->text[start];
    for (size_t i = start + 1; i < lex->len; i++) {
        char c = lex->text[i];
        if (c == q)
            return tok(TOK_STRING, start, i + 1 - start);
        if (c == '\\' && q != '`')
            i++;
        else if (c == '\n' && q != '`')
            break;
    }
    return lex_error(lex, start, "unterminated quoted string");
}

/* Two-character operators first, so "==" is not "=" twice. */
static const struct {
    const char *text;
    enum tok_kind kind;
} operators[] = {
    {"==", TOK_EQL},    {"!=", TOK_NEQ},     {"=~", TOK_EQL_RE},
    {"!~", TOK_NEQ_RE}, {">=", TOK_GTE},     {"<=", TOK_LTE},
    {"=", TOK_ASSIGN},  {">", TOK_GTR},      {"<", TOK_LSS},
    {"+", TOK_ADD},     {"-", TOK_SUB},      {"*", TOK_MUL},
    {"/", TOK_DIV},     {"%", TOK_MOD},      {"^", TOK_POW},
    {"(", TOK_LPAREN},  {")", TOK_RPAREN},   {"{", TOK_LBRACE},
    {"}", TOK_RBRACE},  {"[", TOK_LBRACKET}, {"]", TOK_RBRACKET},
    {",", TOK_COMMA},   {":", TOK_COLON},    {"@", TOK_AT},
};

struct token lex_next(struct lexer *lex)
{
    size_t i = lex->pos;
    for (;;) {
        while (i < lex->len && strchr(" \t\r\n", lex->text[i]) != NULL)
            i++;
        if (at(lex, i) != '#')
            break;
        while (i < lex->len && lex->text[i] != '\n')
            i++;
    }
    struct token t;
    char c = at(lex, i);
    if (i >= lex->len) {
        t = tok(TOK_EOF, i, 0);
    } else if (is_digit(c) || (c == '.' && is_digit(at(lex, i + 1)))) {
        t = lex_number(lex, i);
    } else if (is_alpha(c) || (c == ':' && !is_digit(at(lex, i + 1)))) {
        size_t e = i;
        while (is_alnum(at(lex, e)) || at(lex, e) == ':')
            e++;
        t = tok(TOK_IDENT, i, e - i);
    } else if (c == '"' || c == '\'' || c == '`') {
        t = lex_quoted(lex, i);
    } else {
        t = lex_error(lex, i, "unexpected character");
        for (size_t k = 0; k < sizeof(operators) / sizeof(*operators); k++) {
            size_t n = strlen(operators[k].text);
            if (i + n <= lex->len &&
                memcmp(lex->text + i, operators[k].text, n) == 0) {
                t = tok(operators[k].kind, i, n);
                break;
            }
        }
        if (t.kind == TOK_ERROR && (unsigned char)c >= 0x20 && c != 0x7f)
            snprintf(lex->err, sizeof(lex->err), "unexpected character '%c'",
                     c);
    }
    lex->pos = t.pos + t.len;
    return t;
}

bool lex_is(const struct lexer *lex, const struct token *t, const char *word)
{
    return t->kind == TOK_IDENT && strlen(word) == t->len &&
           strncasecmp(lex->text + t->pos, word, t->len) == 0;
}

static int hex_value(char c)
{
    if (is_digit(c))
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

/*
 * Reads the escape at s[*i] (after the backslash) into out; returns the
 * bytes written, or 0 for a bad escape.
 */
static size_t unescape(const char *s, size_t len, size_t *i, char q, char *out)
{
    static const char simple[] = "a\ab\bf\fn\nr\rt\tv\v\\\\";
    char c = s[*i];
    for (size_t k = 0; simple[k] != '\0'; k += 2)
        if (simple[k] == c) {
            (*i)++;
            *out = simple[k + 1];
            return 1;
        }
    if (c == q) {
        (*i)++;
        *out = c;
        return 1;
    }
    size_t n = c == 'x' ? 2 : c == 'u' ? 4 : c == 'U' ? 8 : 0;
    unsigned long v = 0;
    if (n == 0 && c >= '0' && c <= '7') {
        for (size_t k = 0; k < 3; k++, (*i)++) {
            if (*i >= len || s[*i] < '0' || s[*i] > '7')
                return 0;
            v = v * 8 + (unsigned long)(s[*i] - '0');
        }
        *out = (char)v;
        return v <= 255;
    }
    if (n == 0)
        return 0;
    (*i)++;
    for (size_t k = 0; k < n; k++, (*i)++) {
        int h = *i < len ? hex_value(s[*i]) : -1;
        if (h < 0)
            return 0;
        v = v * 16 + (unsigned long)h;
    }
    if (c == 'x') {
        *out = (char)v;
        return 1;
    }
    if (v > 0x10ffff || (v >= 0xd800 && v < 0xe000))
        return 0;
    return utf8_encode(v, out);
}

char *lex_string(const struct lexer *lex, const struct token *t, char *err)
{
    const char *s = lex->text + t->pos + 1;
    size_t len = t->len - 2;
    char q = s[-1];
    char *out = malloc(len + 1);
    size_t o = 0;
    if (out == NULL)
        return NULL;
    for (size_t i = 0; i < len;) {
        if (s[i] != '\\' || q == '`') {
            out[o++] = s[i++];
            continue;
        }
        i++;
        size_t n = unescape(s, len, &i, q, out + o);
        if (n == 0) {
            snprintf(err, PROMQL_ERR_MAX, "invalid escape in quoted string");
            free(out);
            return NULL;
        }
        o += n;
    }
    out[o] = '\0';
    if (memchr(out, '\0', o) != NULL) {
        snprintf(err, PROMQL_ERR_MAX, "a quoted string must not hold NUL");
        free(out);
        return NULL;
    }
    return out;
}
