/*
 * Loading expressions: a value computed from fields (expr: "a + b"),
 * compiled once here (expr.h) so that a mistake is reported with the
 * file's line and column and the column inside the expression, and so
 * that each line only evaluates it. Part of the configuration loader,
 * used by config_metric.c.
 */
#include "config_metric.h"
#include "expr.h"

/* What registering an expression's fields needs. */
struct expr_fields {
    struct loader *L;
    const yaml_node_t *n;
};

static int register_field(void *ctx, const char *path, size_t len)
{
    struct expr_fields *ef = ctx;
    return cfg_field_path(ef->L, ef->n, path, len, "field in the expression");
}

bool cfg_load_expr(struct loader *L, const yaml_node_t *n, struct cfg_value *v)
{
    size_t len;
    const char *text = cfg_scalar(L, n, "expr", &len);
    struct expr *e = text != NULL ? cfg_alloc(L, sizeof(*e)) : NULL;
    struct expr_fields ef = {L, n};
    struct expr_error err;
    if (e == NULL)
        return false;
    if (expr_compile(text, len, register_field, &ef, e, &err) != 0) {
        if (err.msg[0] != '\0')
            cfg_err(L, n, "expr \"%s\": column %zu: %s", text, err.at + 1,
                    err.msg);
        return false;
    }
    v->expr = e;
    v->expr_text = text;
    return true;
}
