#include "cost.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "rx.h"
#include "transform.h"

/* The entries of the pricing table by how they match, in lookup order. */
struct cost_prices {
    const struct cfg_price **exact; /* by name */
    size_t n_exact;
    const struct cfg_price **prefix; /* longest first */
    size_t n_prefix;
    const struct cfg_price **pattern; /* in the order written */
    struct rx **rx;                   /* each pattern's, compiled */
    size_t n_pattern;
    const struct cfg_price *fallback; /* the default entry, or NULL */
};

struct cost {
    const struct cfg_cost *cfg;
    const struct cost_prices *prices;
    uint8_t kinds[COST_KINDS]; /* the kinds it has token fields for */
    size_t n_kinds;
    struct transform *model_tf; /* NULL without one */
    struct buf model_text;      /* the transformed model */
};

/* --- the price list ------------------------------------------------------ */

/* For qsort: the longer prefix first. */
static int longer_first(const void *a, const void *b)
{
    const struct cfg_price *x = *(const struct cfg_price *const *)a;
    const struct cfg_price *y = *(const struct cfg_price *const *)b;
    return (x->model_len < y->model_len) - (x->model_len > y->model_len);
}

int cost_prices_new(const struct config *cfg, struct cost_prices **out)
{
    size_t n = cfg->n_prices ? cfg->n_prices : 1;
    struct cost_prices *t = calloc(1, sizeof(*t));
    if (t == NULL)
        return -ENOMEM;
    t->exact = calloc(n, sizeof(*t->exact));
    t->prefix = calloc(n, sizeof(*t->prefix));
    t->pattern = calloc(n, sizeof(*t->pattern));
    t->rx = calloc(n, sizeof(*t->rx));
    if (!t->exact || !t->prefix || !t->pattern || !t->rx) {
        cost_prices_free(t);
        return -ENOMEM;
    }
    for (size_t i = 0; i < cfg->n_prices; i++) {
        const struct cfg_price *p = &cfg->prices[i];
        int rc;
        switch (p->match) {
        case PRICE_EXACT:
            t->exact[t->n_exact++] = p;
            break;
        case PRICE_PREFIX:
            t->prefix[t->n_prefix++] = p;
            break;
        case PRICE_PATTERN:
            if ((rc = rx_new(p->pattern, &t->rx[t->n_pattern])) != 0) {
                cost_prices_free(t);
                return rc;
            }
            t->pattern[t->n_pattern++] = p;
            break;
        case PRICE_DEFAULT:
            t->fallback = p;
            break;
        }
    }
    qsort(t->prefix, t->n_prefix, sizeof(*t->prefix), longer_first);
    *out = t;
    return 0;
}

void cost_prices_free(struct cost_prices *t)
{
    if (t == NULL)
        return;
    for (size_t i = 0; i < t->n_pattern; i++)
        rx_free(t->rx[i]);
    free(t->exact);
    free(t->prefix);
    free(t->pattern);
    free(t->rx);
    free(t);
}

const struct cfg_price *cost_prices_find(const struct cost_prices *t,
                                         const char *model, size_t len)
{
    if (model == NULL)
        return t->fallback;
    for (size_t i = 0; i < t->n_exact; i++)
        if (t->exact[i]->model_len == len &&
            memcmp(t->exact[i]->model, model, len) == 0)
            return t->exact[i];
    for (size_t i = 0; i < t->n_prefix; i++)
        if (t->prefix[i]->model_len <= len &&
            memcmp(t->prefix[i]->model, model, t->prefix[i]->model_len) == 0)
            return t->prefix[i];
    for (size_t i = 0; i < t->n_pattern; i++)
        if (rx_search(t->rx[i], model, len))
            return t->pattern[i];
    return t->fallback;
}

/* --- the arithmetic ------------------------------------------------------ */

/* The kinds a prompt counts when cached_in_prompt is set. */
static const enum cost_kind in_prompt[] = {COST_CACHED, COST_CACHE_WRITE};

#define N_IN_PROMPT (sizeof(in_prompt) / sizeof(*in_prompt))

/*
 * prompt - cached - cache_write when all are written with one exponent,
 * as whole numbers are: their mantissas subtract. false when they are not.
 */
static bool uncached_same_exp(const struct cost_tokens *t, enum cost_result *r,
                              struct num_dec *out)
{
    *out = t->n[COST_PROMPT];
    for (size_t i = 0; i < N_IN_PROMPT; i++) {
        const struct num_dec *n = &t->n[in_prompt[i]];
        if (t->have[in_prompt[i]] && n->mant != 0 && n->exp != out->exp)
            return false;
    }
    *r = COST_OK;
    for (size_t i = 0; i < N_IN_PROMPT && *r == COST_OK; i++) {
        const struct num_dec *n = &t->n[in_prompt[i]];
        if (!t->have[in_prompt[i]])
            continue;
        if (n->mant > out->mant)
            *r = COST_CACHED_EXCEEDS_PROMPT;
        else
            out->mant -= n->mant;
    }
    if (out->mant == 0)
        out->exp = 0;
    return true;
}

/*
 * The prompt tokens not read from or written to the cache: prompt minus
 * cached minus cache_write, exact to the 10^-12 token (tokens are whole
 * numbers in practice, so exact).
 */
static enum cost_result uncached_prompt(const struct cost_tokens *t,
                                        struct num_dec *out)
{
    enum cost_result r;
    if (uncached_same_exp(t, &r, out))
        return r;
    num_fixed rest, part;
    if (num_to_fixed(&t->n[COST_PROMPT], NULL, &rest) != 0)
        return COST_OUT_OF_RANGE;
    for (size_t i = 0; i < N_IN_PROMPT; i++) {
        if (!t->have[in_prompt[i]])
            continue;
        if (num_to_fixed(&t->n[in_prompt[i]], NULL, &part) != 0)
            return COST_OUT_OF_RANGE;
        /* rest >= 0 and part >= 0 here: the difference cannot overflow. */
        if ((rest -= part) < 0)
            return COST_CACHED_EXCEEDS_PROMPT;
    }
    /* Trailing zeros stay: num_to_fixed drops digits it cannot hold from
     * the end, and dropping these loses nothing. */
    out->mant = (num_u128)rest;
    out->exp = -NUM_FRAC_DIGITS;
    out->neg = false;
    return COST_OK;
}

enum cost_result cost_bill(const struct cfg_cost *c,
                           const struct cfg_price *price,
                           const struct cost_tokens *t, struct cost_bill *out)
{
    const struct num_dec *prompt = &t->n[COST_PROMPT];
    struct num_dec rest;
    num_fixed v, usd = 0, unpriced = 0;
    bool priced = false;

    if (c->cached_in_prompt && t->have[COST_PROMPT]) {
        enum cost_result r = uncached_prompt(t, &rest);
        if (r != COST_OK)
            return r;
        prompt = &rest;
    }
    for (size_t i = 0; i < t->n_kinds; i++) {
        int k = t->kinds[i];
        const struct num_dec *n = k == COST_PROMPT ? prompt : &t->n[k];
        bool has = price != NULL && price->has[k];
        if (num_to_fixed(n, has ? &price->per_token[k] : NULL, &v) != 0)
            return COST_OUT_OF_RANGE;
        if (has)
            usd = num_add_sat(usd, v);
        else
            unpriced = num_add_sat(unpriced, v);
        priced |= has;
    }
    out->usd = usd;
    out->unpriced = unpriced;
    return priced ? COST_OK : COST_UNPRICED;
}

/* --- a metric's cost ----------------------------------------------------- */

int cost_new(const struct cfg_cost *cfg, const struct cost_prices *prices,
             struct cost **out)
{
    struct cost *c = calloc(1, sizeof(*c));
    if (c == NULL)
        return -ENOMEM;
    c->cfg = cfg;
    c->prices = prices;
    for (int k = 0; k < COST_KINDS; k++)
        if (cfg->tokens[k] >= 0)
            c->kinds[c->n_kinds++] = (uint8_t)k;
    if (cfg->model.has_tf) {
        int rc = transform_new(&cfg->model.tf, &c->model_tf);
        if (rc != 0) {
            free(c);
            return rc;
        }
    }
    *out = c;
    return 0;
}

void cost_free(struct cost *c)
{
    if (c == NULL)
        return;
    transform_free(c->model_tf);
    buf_free(&c->model_text);
    free(c);
}

static const enum cost_result read_result[] = {
    [FIELD_READ_OK] = COST_OK,
    [FIELD_READ_MISSING] = COST_NONE,
    [FIELD_READ_WRONG_TYPE] = COST_WRONG_TYPE,
    [FIELD_READ_OUT_OF_RANGE] = COST_OUT_OF_RANGE,
    [FIELD_READ_NO_MATCH] = COST_WRONG_TYPE, /* no regex: cannot happen */
};

/* The line's token counts; COST_NONE when it has none. */
static enum cost_result read_tokens(const struct cost *c, struct fields *fs,
                                    struct cost_tokens *t)
{
    memset(t->have, 0, sizeof(t->have));
    t->n_kinds = 0;
    for (size_t i = 0; i < c->n_kinds; i++) {
        int k = c->kinds[i], field = c->cfg->tokens[k];
        if (fields_get(fs, field) == NULL)
            continue;
        enum field_read r = fields_decimal(fs, field, NULL, &t->n[k]);
        if (r != FIELD_READ_OK)
            return read_result[r];
        if (t->n[k].neg)
            return COST_NEGATIVE;
        t->have[k] = true;
        t->kinds[t->n_kinds++] = (uint8_t)k;
    }
    return t->n_kinds > 0 ? COST_OK : COST_NONE;
}

static const enum cost_result transform_result[] = {
    [TRANSFORM_OK] = COST_OK,
    [TRANSFORM_MISSING] = COST_WRONG_TYPE, /* present, but not a scalar */
    [TRANSFORM_NO_MATCH] = COST_NO_MATCH,
    [TRANSFORM_UNMAPPED] = COST_UNMAPPED,
    [TRANSFORM_NOT_STATUS] = COST_WRONG_TYPE, /* no status_class: cannot */
};

/* The model's text as looked up (out->model), NULL when it has none. */
static enum cost_result read_model(struct cost *c, struct fields *fs,
                                   struct cost_bill *out)
{
    int field = c->cfg->model.field;
    const struct field_val *fv = field >= 0 ? fields_get(fs, field) : NULL;
    if (fv == NULL)
        return COST_OK;
    size_t len = 0;
    const char *text = fields_text(fs, fv, &len);
    enum transform_result tr = text ? TRANSFORM_OK : TRANSFORM_MISSING;
    if (text != NULL && c->model_tf != NULL) {
        buf_reset(&c->model_text);
        tr = transform_apply(c->model_tf, text, len, fv->type == FIELD_STRING,
                             &c->model_text);
        text = c->model_text.data ? c->model_text.data : "";
        len = c->model_text.len;
    }
    if (tr != TRANSFORM_OK || c->model_text.oom)
        return c->model_text.oom ? COST_WRONG_TYPE : transform_result[tr];
    out->model = text;
    out->model_len = len;
    return COST_OK;
}

enum cost_result cost_read(struct cost *c, struct fields *fs,
                           struct cost_bill *out)
{
    const struct cfg_cost *cfg = c->cfg;
    struct cost_tokens t;
    enum cost_result r;

    out->unpriced = 0;
    out->model = NULL;
    out->model_len = 0;
    if (cfg->prefer >= 0 && fields_get(fs, cfg->prefer) != NULL) {
        r = read_result[fields_number(fs, cfg->prefer, NULL, NULL, &out->usd)];
        return r == COST_OK && out->usd < 0 ? COST_NEGATIVE : r;
    }
    if ((r = read_tokens(c, fs, &t)) != COST_OK ||
        (r = read_model(c, fs, out)) != COST_OK)
        return r;
    return cost_bill(
        cfg, cost_prices_find(c->prices, out->model, out->model_len), &t, out);
}
