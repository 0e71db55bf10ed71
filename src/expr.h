/*
 * Expressions: a metric value computed from several fields of a line —
 * "usage.prompt_tokens + usage.completion_tokens", "bytes_sent -
 * request_length", "len(choices)".
 *
 * The language: + - * / with the usual precedence (* and / bind tighter,
 * each left to right), unary minus, parentheses, decimal constants (12,
 * 0.001, 1e3), field paths (as in the configuration, with dots; a
 * backslash takes the next character as part of a key, for keys holding
 * '-', ' ' or other operators) and len(PATH), the number of elements of an
 * array.
 *
 * An expression is compiled once, when the configuration loads, into a
 * postfix program of at most EXPR_MAX_STEPS steps, which the configuration
 * keeps; each line evaluates it with a stack of fixed size, allocating
 * nothing. Values are num.h's exact fixed point: sums and differences are
 * exact, products and quotients are rounded half to even at the twelfth
 * decimal (1 / 3 is 0.333333333333).
 */
#ifndef TOKENTAIL_EXPR_H
#define TOKENTAIL_EXPR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "fields.h"
#include "num.h"

#define EXPR_MAX_STEPS   64  /* operands and operators of one expression */
#define EXPR_MAX_NESTING 32  /* parentheses and signs inside one another */
#define EXPR_MAX_PATH    256 /* bytes of one field path, as registered */

enum expr_op {
    EXPR_NUMBER, /* push the constant */
    EXPR_FIELD,  /* push the field's number */
    EXPR_LEN,    /* push the number of elements of the field's array */
    EXPR_NEG,
    EXPR_ADD,
    EXPR_SUB,
    EXPR_MUL,
    EXPR_DIV,
};

struct expr_step {
    num_fixed number; /* EXPR_NUMBER */
    int32_t field;    /* EXPR_FIELD, EXPR_LEN: index into config.fields */
    uint8_t op;       /* enum expr_op */
};

struct expr {
    struct expr_step steps[EXPR_MAX_STEPS];
    uint32_t n_steps;
};

/* Where and why an expression does not compile. */
struct expr_error {
    size_t at;     /* byte offset into the text */
    char msg[128]; /* empty when the field callback refused a path */
};

/*
 * Registers a field path the expression names (path is len bytes in the
 * configuration's syntax: dots between keys, "\." and "\\" inside one) and
 * returns its index, or -1 after saying itself why it refuses it.
 */
typedef int expr_field_fn(void *ctx, const char *path, size_t len);

/*
 * Compiles text (len bytes) into *out. Returns 0, or -EINVAL with *err
 * saying where and why. field (with ctx) registers each field path.
 */
int expr_compile(const char *text, size_t len, expr_field_fn *field, void *ctx,
                 struct expr *out, struct expr_error *err);

/* Whether every field e names is present (not null) on the current line. */
bool expr_present(const struct expr *e, const struct fields *fs);

/* The index (into config.fields) of the i-th field e reads, or -1 when it
 * reads fewer. */
int expr_field_at(const struct expr *e, size_t i);

/* Whether e divides, so that a line can make it divide by zero. */
bool expr_divides(const struct expr *e);

/*
 * Evaluates e (borrowed) over the current line's fields. Returns
 * FIELD_READ_OK with *out set, or why no value: an operand missing, of the
 * wrong type or out of range, a result out of range, or
 * FIELD_READ_DIVISION_BY_ZERO. Fields are read as fields_number reads
 * them.
 */
enum field_read expr_eval(const struct expr *e, struct fields *fs,
                          num_fixed *out);

#endif
