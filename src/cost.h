/*
 * Costs: what a line's tokens cost, from the pricing table.
 *
 * A metric with a cost (struct cfg_cost) names fields holding token
 * counts of several kinds — prompt, completion, embedding, cached (read
 * from the provider's prompt cache), cache_write (written to it) — and a
 * field naming the model, whose text may pass through the label
 * transforms (transform.h: regex, lower, map) before the price list
 * (struct cost_prices) finds its entry in the top-level pricing table
 * ("gpt-4o-2024-08-06" looked up as "gpt-4o"); cost_bill multiplies each
 * kind's tokens by that entry's price per token, exactly (num.h), and
 * counts the tokens no price covers; cost_read does both for the current
 * line's fields.
 *
 * Providers count cached tokens in two ways. OpenAI's prompt_tokens
 * include the cached ones (cached_in_prompt: true): the cached and
 * cache_write tokens are billed at their prices and only the rest of the
 * prompt at the prompt price; cached and cache_write tokens beyond the
 * prompt are an inconsistent line, not a negative price. Anthropic's
 * input_tokens exclude them (the default): each kind is billed as it is.
 * Either way every token is billed, or counted as unpriced, exactly once.
 *
 * Ownership: configurations are borrowed and must outlive what is built
 * from them. A struct cost_prices or struct cost is the caller's, freed
 * with its _free (NULL is a no-op). Constructors return 0 or -errno.
 * Nothing is allocated per line once the buffer of a transformed model
 * name has grown.
 */
#ifndef TOKENTAIL_COST_H
#define TOKENTAIL_COST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "config.h"
#include "fields.h"
#include "num.h"

/* Why a line's cost is not added (COST_OK: it is). */
enum cost_result {
    COST_OK,
    COST_NONE,         /* no token field on the line: the cost does not apply */
    COST_WRONG_TYPE,   /* a token, model or cost field of the wrong type */
    COST_OUT_OF_RANGE, /* a number or a product beyond +-1.7e26 */
    COST_NEGATIVE,     /* a negative token count or cost */
    COST_NO_MATCH,     /* the model's regex did not match */
    COST_UNMAPPED,     /* the model's text is not in its map */
    COST_CACHED_EXCEEDS_PROMPT, /* cached_in_prompt, and they exceed it */
    COST_UNPRICED,              /* no token on the line has a price */
    COST_RESULT_COUNT
};

/* The pricing table of a configuration, ready for lookups. */
struct cost_prices;

/* Builds the price list of cfg (borrowed). */
int cost_prices_new(const struct config *cfg, struct cost_prices **out);

void cost_prices_free(struct cost_prices *t);

/*
 * The entry that prices model (len bytes; NULL when the line names none):
 * the entry of exactly that name; else the longest prefix entry the name
 * starts with; else the first pattern entry, in the order written, whose
 * regular expression finds a match in it; else the default entry; else
 * NULL. gpt-4o-mini-2024-07-18 is priced by gpt-4o-mini* rather than
 * gpt-4o*, and gpt-4o-2024-05-13 by its own entry rather than either.
 */
const struct cfg_price *cost_prices_find(const struct cost_prices *t,
                                         const char *model, size_t len);

/* A line's token counts, by kind. */
struct cost_tokens {
    struct num_dec n[COST_KINDS];
    bool have[COST_KINDS];     /* the line has the kind's field */
    uint8_t kinds[COST_KINDS]; /* those it has, in kind order */
    size_t n_kinds;
};

/* What a line's tokens cost, and what no price covered. */
struct cost_bill {
    num_fixed usd;      /* the priced tokens times their prices */
    num_fixed unpriced; /* tokens of kinds price has no price for */
    const char *model;  /* cost_read: the model text looked up, or NULL; */
    size_t model_len;   /*   valid until the next line */
};

/*
 * The cost of tokens under c at price (both borrowed; price NULL: no
 * entry). Returns COST_OK with out->usd and out->unpriced, COST_UNPRICED
 * when no kind had a price (out->unpriced still counts them), or
 * COST_CACHED_EXCEEDS_PROMPT or COST_OUT_OF_RANGE, with nothing counted.
 * out->model is left as it is.
 */
enum cost_result cost_bill(const struct cfg_cost *c,
                           const struct cfg_price *price,
                           const struct cost_tokens *t, struct cost_bill *out);

/* One metric's cost, with what it needs at run time. */
struct cost;

/* Builds the cost of cfg, priced from prices (both borrowed). */
int cost_new(const struct cfg_cost *cfg, const struct cost_prices *prices,
             struct cost **out);

void cost_free(struct cost *c);

/*
 * The cost of the line in fs (borrowed): the preferred cost field if the
 * line has it, else its tokens at their prices. out->model is the model's
 * text as looked up, after its transform; out->unpriced counts the tokens
 * no price covers, whatever the result (0 when there are none).
 */
enum cost_result cost_read(struct cost *c, struct fields *fs,
                           struct cost_bill *out);

#endif
