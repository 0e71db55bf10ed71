#include "expr.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

/* --- compiling ----------------------------------------------------------- */

/* A recursive-descent pass over the text, emitting postfix steps. */
struct compiler {
    const char *text, *p, *end;
    expr_field_fn *field;
    void *ctx;
    struct expr *out;
    struct expr_error *err;
    int nesting;
    bool failed;
};

static bool fail(struct compiler *c, const char *at, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Records the first error only: later ones follow from it. */
static bool fail(struct compiler *c, const char *at, const char *fmt, ...)
{
    va_list ap;
    if (c->failed)
        return false;
    c->failed = true;
    c->err->at = (size_t)(at - c->text);
    va_start(ap, fmt);
    vsnprintf(c->err->msg, sizeof(c->err->msg), fmt, ap);
    va_end(ap);
    return false;
}

static void skip_space(struct compiler *c)
{
    while (c->p < c->end && (*c->p == ' ' || *c->p == '\t'))
        c->p++;
}

static bool is_digit(char ch)
{
    return ch >= '0' && ch <= '9';
}

/* Bytes that end a key: spaces, operators, parentheses and the dot. */
static bool ends_key(char ch)
{
    return ch == ' ' || ch == '\t' || ch == '+' || ch == '-' || ch == '*' ||
           ch == '/' || ch == '(' || ch == ')' || ch == '.' ||
           (unsigned char)ch < ' ';
}

static bool emit(struct compiler *c, const char *at, enum expr_op op,
                 num_fixed number, int field)
{
    if (c->out->n_steps >= EXPR_MAX_STEPS)
        return fail(c, at, "too long: at most %d operands and operators",
                    EXPR_MAX_STEPS);
    struct expr_step *s = &c->out->steps[c->out->n_steps++];
    s->op = (uint8_t)op;
    s->number = number;
    s->field = field;
    return true;
}

static bool parse_level(struct compiler *c, int level);

/* A decimal constant: digits, a point, an exponent. */
static bool parse_number(struct compiler *c)
{
    const char *start = c->p;
    while (c->p < c->end && (is_digit(*c->p) || *c->p == '.'))
        c->p++;
    if (c->p < c->end && (*c->p == 'e' || *c->p == 'E')) {
        c->p++;
        if (c->p < c->end && (*c->p == '+' || *c->p == '-'))
            c->p++;
        while (c->p < c->end && is_digit(*c->p))
            c->p++;
    }
    struct num_dec d;
    num_fixed v;
    if (num_parse_text(start, (size_t)(c->p - start), &d) != 0)
        return fail(c, start, "\"%.*s\" is not a number", (int)(c->p - start),
                    start);
    if (num_to_fixed(&d, NULL, &v) != 0)
        return fail(c, start, "%.*s is out of range (at most 1.7e26)",
                    (int)(c->p - start), start);
    return emit(c, start, EXPR_NUMBER, v, -1);
}

/*
 * A field path, written into path (EXPR_MAX_PATH bytes) in the
 * configuration's syntax: a key, then ".key" or ".-N" for each level. A
 * backslash takes the next byte into the key; "." and "\" taken so are
 * escaped again for the configuration.
 */
static bool lex_path(struct compiler *c, char *path, size_t *len)
{
    const char *start = c->p;
    size_t n = 0;
    for (;;) {
        const char *part = c->p;
        if (c->p > start && c->p + 1 < c->end && *c->p == '-' &&
            is_digit(c->p[1]))
            path[n++] = *c->p++; /* ".-1": counted from an array's end */
        while (c->p < c->end && n + 2 < EXPR_MAX_PATH) {
            char ch = *c->p;
            if (ch == '\\') {
                if (++c->p >= c->end)
                    return fail(c, c->p - 1, "a backslash ends the text");
                ch = *c->p;
                if (ch == '.' || ch == '\\')
                    path[n++] = '\\';
            } else if (ends_key(ch)) {
                break;
            }
            path[n++] = ch;
            c->p++;
        }
        if (n + 2 >= EXPR_MAX_PATH)
            return fail(c, start, "a field path longer than %d bytes",
                        EXPR_MAX_PATH - 2);
        if (c->p == part)
            return fail(c, c->p, "a key is missing in the field path");
        if (c->p >= c->end || *c->p != '.')
            break;
        path[n++] = *c->p++;
    }
    *len = n;
    return true;
}

/* A field, or len(FIELD); the path's first byte is at c->p. */
static bool parse_field(struct compiler *c)
{
    char path[EXPR_MAX_PATH];
    size_t n = 0;
    const char *start = c->p;
    if (!lex_path(c, path, &n))
        return false;
    enum expr_op op = EXPR_FIELD;
    bool len_word = c->p - start == 3 && memcmp(start, "len", 3) == 0;
    skip_space(c);
    if (len_word && c->p < c->end && *c->p == '(') {
        op = EXPR_LEN;
        c->p++;
        skip_space(c);
        start = c->p;
        if (c->p >= c->end || is_digit(*c->p) || ends_key(*c->p))
            return fail(c, c->p, "len() takes a field path");
        if (!lex_path(c, path, &n))
            return false;
        skip_space(c);
        if (c->p >= c->end || *c->p != ')')
            return fail(c, c->p, "\")\" expected after len's field path");
        c->p++;
    }
    int f = c->field(c->ctx, path, n);
    if (f < 0) {
        c->err->msg[0] = '\0'; /* the callback said why */
        c->err->at = (size_t)(start - c->text);
        c->failed = true;
        return false;
    }
    return emit(c, start, op, 0, f);
}

/* A number, a field, len(FIELD), (EXPR), or a signed one of those. */
static bool parse_unary(struct compiler *c)
{
    skip_space(c);
    if (c->p >= c->end)
        return fail(c, c->p, "an operand is missing at the end");
    const char *at = c->p;
    char ch = *c->p;
    if (ch == '-' || ch == '+' || ch == '(') {
        if (++c->nesting > EXPR_MAX_NESTING)
            return fail(c, at, "nested more than %d deep", EXPR_MAX_NESTING);
        c->p++;
        bool ok;
        if (ch == '(') {
            ok = parse_level(c, 0);
            skip_space(c);
            if (ok && (c->p >= c->end || *c->p != ')'))
                ok = fail(c, c->p, "\")\" expected");
            c->p++;
        } else {
            ok = parse_unary(c) && (ch == '+' || emit(c, at, EXPR_NEG, 0, -1));
        }
        c->nesting--;
        return ok;
    }
    if (is_digit(ch) || ch == '.')
        return parse_number(c);
    if (ends_key(ch))
        return fail(c, at, "an operand is missing before \"%c\"", ch);
    return parse_field(c);
}

/*
 * Operands of the next level joined by this level's operators, left to
 * right: level 0 is + and -, level 1 * and /, level 2 a signed operand.
 */
#define LEVEL_OPERAND 2

static bool parse_level(struct compiler *c, int level)
{
    static const char ops[LEVEL_OPERAND][2] = {{'+', '-'}, {'*', '/'}};
    static const enum expr_op codes[LEVEL_OPERAND][2] = {{EXPR_ADD, EXPR_SUB},
                                                         {EXPR_MUL, EXPR_DIV}};
    if (level == LEVEL_OPERAND)
        return parse_unary(c);
    if (!parse_level(c, level + 1))
        return false;
    for (;;) {
        skip_space(c);
        if (c->p >= c->end ||
            (*c->p != ops[level][0] && *c->p != ops[level][1]))
            return true;
        const char *at = c->p++;
        if (!parse_level(c, level + 1) ||
            !emit(c, at, codes[level][*at == ops[level][1]], 0, -1))
            return false;
    }
}

int expr_compile(const char *text, size_t len, expr_field_fn *field, void *ctx,
                 struct expr *out, struct expr_error *err)
{
    struct compiler c = {.text = text,
                         .p = text,
                         .end = text + len,
                         .field = field,
                         .ctx = ctx,
                         .out = out,
                         .err = err};
    out->n_steps = 0;
    err->at = 0;
    err->msg[0] = '\0';
    skip_space(&c);
    if (c.p >= c.end) {
        fail(&c, c.p, "the expression is empty");
        return -EINVAL;
    }
    if (parse_level(&c, 0)) {
        skip_space(&c);
        if (c.p < c.end && *c.p == ')')
            fail(&c, c.p, "\")\" without its \"(\"");
        else if (c.p < c.end)
            fail(&c, c.p, "an operator (+ - * /) expected");
    }
    return c.failed ? -EINVAL : 0;
}

/* --- evaluating ---------------------------------------------------------- */

bool expr_present(const struct expr *e, const struct fields *fs)
{
    int f;
    for (size_t i = 0; (f = expr_field_at(e, i)) >= 0; i++)
        if (fields_get(fs, f) == NULL)
            return false;
    return true;
}

int expr_field_at(const struct expr *e, size_t i)
{
    for (uint32_t k = 0; k < e->n_steps; k++)
        if ((e->steps[k].op == EXPR_FIELD || e->steps[k].op == EXPR_LEN) &&
            i-- == 0)
            return e->steps[k].field;
    return -1;
}

bool expr_divides(const struct expr *e)
{
    for (uint32_t k = 0; k < e->n_steps; k++)
        if (e->steps[k].op == EXPR_DIV)
            return true;
    return false;
}

/* a OP b into *a: FIELD_READ_OK or why there is no value. */
static enum field_read apply(uint8_t op, num_fixed *a, num_fixed b)
{
    int rc;
    switch (op) {
    case EXPR_ADD:
        rc = num_add(*a, b, a);
        break;
    case EXPR_SUB:
        rc = num_sub(*a, b, a);
        break;
    case EXPR_MUL:
        rc = num_mul(*a, b, a);
        break;
    default:
        rc = num_div(*a, b, a);
        break;
    }
    return rc == 0       ? FIELD_READ_OK
           : rc == -EDOM ? FIELD_READ_DIVISION_BY_ZERO
                         : FIELD_READ_OUT_OF_RANGE;
}

enum field_read expr_eval(const struct expr *e, struct fields *fs,
                          num_fixed *out)
{
    num_fixed stack[EXPR_MAX_STEPS];
    size_t n = 0;
    enum field_read r;
    /* expr_compile writes only well-formed programs; the checks of the
     * stack's height keep one built any other way from reading garbage. */
    for (uint32_t i = 0; i < e->n_steps && i < EXPR_MAX_STEPS; i++) {
        const struct expr_step *s = &e->steps[i];
        switch (s->op) {
        case EXPR_NUMBER:
            stack[n++] = s->number;
            break;
        case EXPR_FIELD:
            if ((r = fields_number(fs, s->field, NULL, NULL, &stack[n])) !=
                FIELD_READ_OK)
                return r;
            n++;
            break;
        case EXPR_LEN:
            if ((r = fields_count(fs, s->field, &stack[n])) != FIELD_READ_OK)
                return r;
            n++;
            break;
        case EXPR_NEG:
            if (n < 1)
                return FIELD_READ_WRONG_TYPE;
            stack[n - 1] = -stack[n - 1]; /* the range is symmetric */
            break;
        default:
            if (n < 2)
                return FIELD_READ_WRONG_TYPE;
            n--;
            if ((r = apply(s->op, &stack[n - 1], stack[n])) != FIELD_READ_OK)
                return r;
            break;
        }
    }
    if (n != 1)
        return FIELD_READ_WRONG_TYPE;
    *out = stack[0];
    return FIELD_READ_OK;
}
