/*
 * Loading the pricing table and the costs of metrics: prices per 1k or
 * 1M tokens by exact name, prefix and pattern, a cost's token fields and
 * model, and every mistake in either reported where it is written.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "config_helpers.h"

#define INPUT "inputs:\n  - paths: [/var/log/*.log]\n"

static void test_pricing(void **state)
{
    struct config *cfg;
    (void)state;
    assert_string_equal(
        load(INPUT "pricing:\n"
                   "  per: 1M\n"
                   "  models:\n"
                   "    gpt-4o-mini: {input: 0.15, output: 0.6, "
                   "cached_input: 0.075}\n"
                   "    default: {prompt: 1, cache_write: 1.25}\n"
                   "metrics:\n"
                   "  - name: c_total\n"
                   "    type: counter\n"
                   "    cost: {prompt: p, cached: c, cache_write: w,\n"
                   "           cached_in_prompt: true}\n",
             &cfg),
        "");
    assert_int_equal(cfg->n_prices, 2);
    assert_int_equal(cfg->default_price, 1);
    assert_int_equal(cfg->prices[0].match, PRICE_EXACT);
    assert_int_equal(cfg->prices[1].match, PRICE_DEFAULT);
    const struct cfg_price *p = &cfg->prices[0];
    assert_string_equal(p->model, "gpt-4o-mini");
    num_fixed v;
    /* 0.15 USD per 1M tokens is 0.00000015 per token. */
    assert_int_equal(num_to_fixed(&p->per_token[COST_PROMPT], NULL, &v), 0);
    assert_true(v == 150000);
    assert_true(p->has[COST_CACHED] && !p->has[COST_EMBEDDING]);
    assert_false(p->has[COST_CACHE_WRITE]);
    assert_int_equal(
        num_to_fixed(&cfg->prices[1].per_token[COST_CACHE_WRITE], NULL, &v), 0);
    assert_true(v == 1250000); /* 1.25 USD per 1M is 1.25e-6 per token */
    const struct cfg_cost *c = cfg->metrics[0].cost;
    assert_true(c->cached_in_prompt);
    assert_int_equal(c->tokens[COST_CACHE_WRITE], 2);
    assert_int_equal(c->tokens[COST_EMBEDDING], -1);
    config_free(cfg);

    /* Entries by name, by prefix and by pattern. */
    assert_string_equal(load(INPUT
                             "pricing:\n"
                             "  per: 1M\n"
                             "  models:\n"
                             "    gpt-4o*: {input: 2.5}\n"
                             "    sonnet: {match: 'claude-3-[57]-sonnet', "
                             "input: 3}\n"
                             "    gpt-4o-2024-05-13: {input: 5}\n",
                             &cfg),
                        "");
    assert_int_equal(cfg->prices[0].match, PRICE_PREFIX);
    assert_string_equal(cfg->prices[0].model, "gpt-4o*");
    assert_int_equal(cfg->prices[0].model_len, 6);
    assert_int_equal(cfg->prices[1].match, PRICE_PATTERN);
    assert_string_equal(cfg->prices[1].pattern, "claude-3-[57]-sonnet");
    assert_int_equal(cfg->prices[2].match, PRICE_EXACT);
    assert_int_equal(cfg->prices[2].model_len, 17);
    assert_int_equal(cfg->default_price, -1);
    config_free(cfg);
}

/* The table: per, the names of entries, prices and their kinds. */
static void test_pricing_errors(void **state)
{
    (void)state;
    expect_error(INPUT "pricing: {models: {m: {prompt: 1}}}\n",
                 "t.yaml:3:10: pricing needs \"per\": 1k or 1M tokens");
    expect_error(INPUT "pricing: {per: 1K, models: {m: {prompt: 1}}}\n",
                 "t.yaml:3:16: per must be 1k or 1M, not \"1K\"");
    expect_error(INPUT "pricing: {per: 1k, models: {\"*\": {prompt: 1}}}\n",
                 "t.yaml:3:29: a price for every model is the \"default\" "
                 "entry");
    expect_error(INPUT
                 "pricing: {per: 1k, models: {gpt-*-mini: {prompt: 1}}}\n",
                 "t.yaml:3:29: only a trailing \"*\" is a wildcard, for a "
                 "prefix (gpt-4o*); other patterns take \"match\"");
    expect_error(INPUT "pricing: {per: 1k, models: {\"gpt**\": {prompt: 1}}}\n",
                 "t.yaml:3:29: only a trailing \"*\" is a wildcard");
    expect_error(INPUT "pricing:\n"
                       "  per: 1k\n"
                       "  models:\n"
                       "    gpt*: {match: '^gpt', prompt: 1}\n"
                       "    default: {match: x, prompt: 1}\n"
                       "    sonnet: {match: 'claude-(3-5|3-7-sonnet', "
                       "prompt: 1}\n",
                 "t.yaml:6:19: \"gpt*\" names a prefix; a pattern's entry "
                 "takes a name of its own\n"
                 "t.yaml:7:22: \"default\" names the default entry; a "
                 "pattern's entry takes a name of its own\n"
                 "t.yaml:8:21: match: missing closing parenthesis at offset "
                 "22 of the expression\n");
    expect_error(INPUT "pricing: {per: 1k, models: {m: {prompt: -1}}}\n",
                 "t.yaml:3:41: prices must not be negative");
    expect_error(INPUT "pricing: {per: 1k, models: {m: {prompt: 1, input: "
                       "2}}}\n",
                 "t.yaml:3:44: prompt is priced twice for m");
    expect_error(
        INPUT "pricing: {per: 1k, models: {m: {prompts: 1}}}\n",
        "t.yaml:3:33: unknown key \"prompts\" in a price (did you mean "
        "\"prompt\"?); a price takes prompt (or input), completion (or "
        "output), embedding, cached (or cached_input) or cache_write, and "
        "match\n");
    expect_error(INPUT "pricing: {per: 1k, models: {m: {inptu_cost: 1}}}\n",
                 "t.yaml:3:33: unknown key \"inptu_cost\" in a price; a "
                 "price takes prompt (or input), completion (or output), "
                 "embedding, cached (or cached_input) or cache_write, and "
                 "match\n");
}

/* A cost: its table, token fields, cached_in_prompt, model and type. */
static void test_cost_errors(void **state)
{
    (void)state;
    expect_error(INPUT
                 "metrics:\n"
                 "  - {name: a_total, type: counter, cost: {prompt: p}}\n",
                 "t.yaml:4:42: a cost needs a pricing table");
    expect_error(INPUT "pricing: {per: 1k, models: {d: {prompt: 1}}}\n"
                       "metrics:\n"
                       "  - {name: a_total, type: counter, cost: {prompt: p,\n"
                       "     cached_in_prompt: yes}}\n",
                 "t.yaml:6:24: cached_in_prompt must be true or false, not "
                 "\"yes\"");
    expect_error(INPUT "pricing: {per: 1k, models: {d: {prompt: 1}}}\n"
                       "metrics:\n"
                       "  - {name: a_total, type: counter, cost: {cached: c,\n"
                       "     cached_in_prompt: true}}\n",
                 "t.yaml:6:24: cached_in_prompt says the prompt field counts "
                 "the cached tokens, but this cost names no prompt field");
    expect_error(INPUT "pricing: {per: 1k, models: {d: {prompt: 1}}}\n"
                       "metrics:\n"
                       "  - {name: a_total, type: counter, cost: {prompt: p,\n"
                       "     completion: c, cached_in_prompt: true}}\n",
                 "t.yaml:6:39: cached_in_prompt needs a cached (or "
                 "cache_write) field");
    expect_error(INPUT "pricing: {per: 1k, models: {d: {prompt: 1}}}\n"
                       "metrics:\n"
                       "  - {name: a_total, type: counter, cost: {prompt: p,\n"
                       "     model: {field: m, mask: true}}}\n",
                 "t.yaml:6:24: unknown key \"mask\" in a cost's model (did "
                 "you mean \"map\"?)");
    expect_error(INPUT "pricing: {per: 1k, models: {d: {prompt: 1}}}\n"
                       "metrics:\n"
                       "  - {name: a_total, type: counter, cost: {prompt: p,\n"
                       "     model: {regex: '^(.*)-'}}}\n",
                 "t.yaml:6:13: a cost's model needs \"field\"");
    expect_error(INPUT "pricing: {per: 1k, models: {d: {prompt: 1}}}\n"
                       "metrics:\n"
                       "  - {name: a_total, type: counter, cost: {prompt: p,\n"
                       "     model: {field: m, regex: '^(.*-'}}}\n",
                 "t.yaml:6:31: regex: missing closing parenthesis");
    expect_error(INPUT "pricing: {per: 1k, models: {d: {prompt: 1}}}\n"
                       "metrics:\n"
                       "  - {name: a_total, type: counter, cost: {model: m}}\n",
                 "t.yaml:5:42: a cost needs at least one token field: prompt, "
                 "completion, embedding, cached or cache_write");
    expect_error(INPUT "pricing: {per: 1k, models: {d: {prompt: 1}}}\n"
                       "metrics:\n"
                       "  - {name: h, type: histogram, cost: {prompt: p}}\n",
                 "t.yaml:5:38: a cost is added up: the metric must be a "
                 "counter");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_pricing),
        cmocka_unit_test(test_pricing_errors),
        cmocka_unit_test(test_cost_errors),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
