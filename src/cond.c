#include "cond.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "rx.h"

int cond_build(const struct cfg_cond *c, struct cond *out)
{
    out->cfg = c;
    if (c->op == COND_MATCHES) {
        int rc = rx_new(c->pattern, &out->rx);
        if (rc != 0)
            return rc;
    }
    if (c->n_subs > 0) {
        out->subs = calloc(c->n_subs, sizeof(*out->subs));
        if (out->subs == NULL)
            return -ENOMEM;
        for (size_t i = 0; i < c->n_subs; i++) {
            int rc = cond_build(&c->subs[i], &out->subs[i]);
            if (rc != 0)
                return rc;
        }
    }
    return 0;
}

void cond_free(struct cond *c)
{
    if (c == NULL)
        return;
    rx_free(c->rx);
    for (size_t i = 0; c->subs && i < c->cfg->n_subs; i++)
        cond_free(&c->subs[i]);
    free(c->subs);
}

bool cond_eval(struct fields *fs, const struct cond *c)
{
    const struct cfg_cond *cc = c->cfg;
    const struct field_val *fv;
    const char *text;
    size_t len;
    num_fixed v;

    switch (cc->op) {
    case COND_ALL:
        for (size_t i = 0; i < cc->n_subs; i++) {
            /* "Lines with X, Y and Z" are the common case: no call. */
            const struct cfg_cond *s = c->subs[i].cfg;
            if (s->op == COND_EXISTS ? fields_get(fs, s->field) == NULL
                                     : !cond_eval(fs, &c->subs[i]))
                return false;
        }
        return true;
    case COND_ANY:
        for (size_t i = 0; i < cc->n_subs; i++)
            if (cond_eval(fs, &c->subs[i]))
                return true;
        return false;
    case COND_NOT:
        return !cond_eval(fs, &c->subs[0]);
    case COND_EXISTS:
        return fields_get(fs, cc->field) != NULL;
    case COND_ABSENT:
        return fields_get(fs, cc->field) == NULL;
    case COND_GT:
    case COND_GE:
    case COND_LT:
    case COND_LE:
        if (fields_number(fs, cc->field, NULL, NULL, &v) != FIELD_READ_OK)
            return false;
        return cc->op == COND_GT   ? v > cc->number
               : cc->op == COND_GE ? v >= cc->number
               : cc->op == COND_LT ? v < cc->number
                                   : v <= cc->number;
    case COND_EQUALS:
    case COND_IN:
    case COND_MATCHES:
        if ((fv = fields_get(fs, cc->field)) == NULL)
            return false;
        if ((text = fields_text(fs, fv, &len)) == NULL)
            return false;
        if (cc->op == COND_MATCHES)
            return rx_search(c->rx, text, len);
        for (size_t i = 0; i < cc->n_values; i++)
            if (cc->value_lens[i] == len &&
                memcmp(cc->values[i], text, len) == 0)
                return true;
        return false;
    }
    return false;
}

bool cond_same(const struct cfg_cond *a, const struct cfg_cond *b)
{
    if (a->op != b->op || a->field != b->field || a->n_values != b->n_values ||
        a->number != b->number || a->n_subs != b->n_subs ||
        (a->pattern == NULL) != (b->pattern == NULL) ||
        (a->pattern != NULL && strcmp(a->pattern, b->pattern) != 0))
        return false;
    for (size_t i = 0; i < a->n_values; i++)
        if (a->value_lens[i] != b->value_lens[i] ||
            memcmp(a->values[i], b->values[i], a->value_lens[i]) != 0)
            return false;
    for (size_t i = 0; i < a->n_subs; i++)
        if (!cond_same(&a->subs[i], &b->subs[i]))
            return false;
    return true;
}
