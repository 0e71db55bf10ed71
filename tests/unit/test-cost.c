#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "cost.h"
#include "parser.h"

/* A configuration, its price list, its first metric's cost and a JSON
 * parser filling the fields that cost reads. */
struct fixture {
    struct config *cfg;
    struct cost_prices *prices;
    struct cost *cost;
    struct parser *json;
    struct fields fields;
};

static void build(struct fixture *f, const char *yaml)
{
    struct buf errors = {0};
    if (config_load_text("t.yaml", yaml, strlen(yaml), &f->cfg, &errors) != 0)
        fail_msg("%s", errors.data);
    buf_free(&errors);
    assert_int_equal(cost_prices_new(f->cfg, &f->prices), 0);
    assert_int_equal(cost_new(f->cfg->metrics[0].cost, f->prices, &f->cost), 0);
    assert_int_equal(json_parser_new(f->cfg->fields, f->cfg->n_fields,
                                     JSON_NON_FINITE_REJECT, &f->json),
                     0);
    assert_int_equal(fields_init(&f->fields, f->cfg->n_fields), 0);
}

static void teardown_fixture(struct fixture *f)
{
    fields_free(&f->fields);
    parser_free(f->json);
    cost_free(f->cost);
    cost_prices_free(f->prices);
    config_free(f->cfg);
}

/* Reads the cost of one JSON line. */
static enum cost_result read_line(struct fixture *f, const char *line,
                                  struct cost_bill *bill)
{
    fields_next(&f->fields);
    assert_int_equal(parser_parse(f->json, line, strlen(line), &f->fields.set),
                     PARSE_OK);
    return cost_read(f->cost, &f->fields, bill);
}

/* The exact decimal text of a fixed-point value. */
static const char *text(num_fixed v)
{
    static char out[NUM_FMT_MAX];
    num_format(v, out);
    return out;
}

/*
 * Reads the cost of line and checks it: the result, the cost when priced,
 * the tokens counted as unpriced, and (unless NULL) the model's name as
 * looked up, "(none)" for none.
 */
static void expect(struct fixture *f, const char *line, enum cost_result want,
                   const char *usd, const char *unpriced, const char *model)
{
    struct cost_bill b;
    enum cost_result r = read_line(f, line, &b);
    if (r != want)
        fail_msg("%s: result %d, not %d", line, r, want);
    if (r == COST_OK && strcmp(text(b.usd), usd) != 0)
        fail_msg("%s: cost %s, not %s", line, text(b.usd), usd);
    if (strcmp(text(b.unpriced), unpriced) != 0)
        fail_msg("%s: unpriced %s, not %s", line, text(b.unpriced), unpriced);
    if (model != NULL &&
        (b.model == NULL ? strcmp(model, "(none)") != 0
                         : strlen(model) != b.model_len ||
                               memcmp(model, b.model, b.model_len) != 0))
        fail_msg("%s: model %.*s, not %s", line, (int)b.model_len,
                 b.model ? b.model : "(none)", model);
}

#define INPUT "inputs:\n  - paths: [x]\n"

/* Tokens of each kind at their prices, per 1k and per 1M, exactly. */
static void test_bill(void **state)
{
    struct fixture f;
    (void)state;
    build(&f, INPUT "pricing:\n"
                    "  per: 1M\n"
                    "  models:\n"
                    "    gpt-4o-mini: {input: 0.15, output: 0.6, "
                    "cached_input: 0.075}\n"
                    "    text-embedding-3-small: {embedding: 0.02}\n"
                    "metrics:\n"
                    "  - name: cost_total\n"
                    "    type: counter\n"
                    "    cost: {model: model, prompt: p, completion: c,\n"
                    "           embedding: e, cached: k}\n");
    /* 1234 * 0.15e-6 + 56 * 0.6e-6 + 7 * 0.075e-6 */
    expect(&f, "{\"model\": \"gpt-4o-mini\", \"p\": 1234, \"c\": 56, \"k\": 7}",
           COST_OK, "0.000219225", "0", "gpt-4o-mini");
    /* A kind the entry has no price for is counted, the rest priced. */
    expect(&f, "{\"model\": \"gpt-4o-mini\", \"p\": \"10\", \"e\": 99}",
           COST_OK, "0.0000015", "99", NULL);
    /* No entry for the model: every token unpriced, the update skipped. */
    expect(&f, "{\"model\": \"mystery\", \"p\": 5, \"c\": 6}", COST_UNPRICED,
           "", "11", "mystery");
    /* No model field and no default entry: the same, with no model. */
    expect(&f, "{\"e\": 3}", COST_UNPRICED, "", "3", "(none)");
    /* 1e34 cached tokens cost 7.5e26 USD, beyond what a value holds: the
     * line is skipped, and its unpriced embedding tokens are not counted. */
    expect(&f, "{\"model\": \"gpt-4o-mini\", \"e\": 5, \"k\": 1e34}",
           COST_OUT_OF_RANGE, "", "0", NULL);
    teardown_fixture(&f);

    /* Per 1k, and a default entry for every other model. */
    build(&f, INPUT "pricing:\n"
                    "  per: 1k\n"
                    "  models:\n"
                    "    gpt-4o: {prompt: 0.0025, completion: 0.01}\n"
                    "    default: {prompt: 0.001}\n"
                    "metrics:\n"
                    "  - {name: c_total, type: counter, cost: "
                    "{model: m, prompt: p, completion: c}}\n");
    expect(&f, "{\"m\": \"gpt-4o\", \"p\": 1, \"c\": 3}", COST_OK, "0.0000325",
           "0", NULL);
    expect(&f, "{\"m\": \"x\", \"p\": 1000, \"c\": 3}", COST_OK, "0.001", "3",
           NULL);
    teardown_fixture(&f);
}

/*
 * OpenAI's usage: prompt_tokens include the cached tokens, billed at the
 * cached price; only the rest at the prompt price.
 */
static void test_cached_in_prompt(void **state)
{
    struct fixture f;
    (void)state;
    build(&f, INPUT "pricing:\n"
                    "  per: 1M\n"
                    "  models:\n"
                    "    m: {input: 1, cached_input: 0.5, output: 4}\n"
                    "    no-cache-price: {input: 1, output: 4}\n"
                    "metrics:\n"
                    "  - name: c_total\n"
                    "    type: counter\n"
                    "    cost:\n"
                    "      model: model\n"
                    "      prompt: u.prompt_tokens\n"
                    "      completion: u.completion_tokens\n"
                    "      cached: u.prompt_tokens_details.cached_tokens\n"
                    "      cached_in_prompt: true\n");
    /* 500,000 * 1e-6 + 500,000 * 0.5e-6, not 1,000,000 * 1e-6 + ... */
    expect(&f,
           "{\"model\": \"m\", \"u\": {\"prompt_tokens\": 1000000, "
           "\"prompt_tokens_details\": {\"cached_tokens\": 500000}}}",
           COST_OK, "0.75", "0", NULL);
    /* 86 * 1e-6 + 1920 * 0.5e-6 + 300 * 4e-6 */
    expect(&f,
           "{\"model\": \"m\", \"u\": {\"prompt_tokens\": 2006, "
           "\"completion_tokens\": 300, "
           "\"prompt_tokens_details\": {\"cached_tokens\": 1920}}}",
           COST_OK, "0.002246", "0", NULL);
    /* All of the prompt from the cache; none of it; no details at all. */
    expect(&f,
           "{\"model\": \"m\", \"u\": {\"prompt_tokens\": 3, "
           "\"prompt_tokens_details\": {\"cached_tokens\": 3}}}",
           COST_OK, "0.0000015", "0", NULL);
    expect(&f,
           "{\"model\": \"m\", \"u\": {\"prompt_tokens\": 3, "
           "\"prompt_tokens_details\": {\"cached_tokens\": 0}}}",
           COST_OK, "0.000003", "0", NULL);
    expect(&f, "{\"model\": \"m\", \"u\": {\"prompt_tokens\": 3}}", COST_OK,
           "0.000003", "0", NULL);
    /* More cached than prompt: an inconsistent line, never a negative
     * price, and nothing counted as unpriced. */
    expect(&f,
           "{\"model\": \"unknown\", \"u\": {\"prompt_tokens\": 3, "
           "\"prompt_tokens_details\": {\"cached_tokens\": 4}}}",
           COST_CACHED_EXCEEDS_PROMPT, "", "0", NULL);
    /* Unpriced tokens are counted once: 10 uncached, 90 cached, 7. */
    expect(&f,
           "{\"model\": \"unknown\", \"u\": {\"prompt_tokens\": 100, "
           "\"completion_tokens\": 7, "
           "\"prompt_tokens_details\": {\"cached_tokens\": 90}}}",
           COST_UNPRICED, "", "107", "unknown");
    /* A model without a cached price: the cached tokens are unpriced,
     * not billed at the prompt price. */
    expect(&f,
           "{\"model\": \"no-cache-price\", \"u\": {\"prompt_tokens\": 100, "
           "\"prompt_tokens_details\": {\"cached_tokens\": 90}}}",
           COST_OK, "0.00001", "90", NULL);
    /* Cached tokens with no prompt field: billed as they are. */
    expect(&f,
           "{\"model\": \"m\", \"u\": "
           "{\"prompt_tokens_details\": {\"cached_tokens\": 10}}}",
           COST_OK, "0.000005", "0", NULL);
    teardown_fixture(&f);
}

/*
 * The prompt counting cache writes as well (an OpenAI-shaped usage of an
 * Anthropic model, as gateways report it), and the subtraction exact
 * whatever the numbers' exponents.
 */
static void test_cache_write_in_prompt(void **state)
{
    struct fixture f;
    (void)state;
    build(&f, INPUT "pricing:\n"
                    "  per: 1M\n"
                    "  models:\n"
                    "    default: {input: 3, cache_write: 3.75, cached: 0.3}\n"
                    "metrics:\n"
                    "  - name: c_total\n"
                    "    type: counter\n"
                    "    cost: {prompt: p, cached: r, cache_write: w,\n"
                    "           cached_in_prompt: true}\n");
    /* 10 * 3e-6 + 100 * 0.3e-6 + 1000 * 3.75e-6 */
    expect(&f, "{\"p\": 1110, \"r\": 100, \"w\": 1000}", COST_OK, "0.00381",
           "0", NULL);
    expect(&f, "{\"p\": 1099, \"r\": 100, \"w\": 1000}",
           COST_CACHED_EXCEEDS_PROMPT, "", "0", NULL);
    expect(&f, "{\"p\": 1000, \"w\": 1000}", COST_OK, "0.00375", "0", NULL);
    /* Fractions of tokens and other exponents subtract exactly too:
     * 1.25 * 3e-6 + 0.25 * 0.3e-6; 976 * 3e-6 + 24 * 0.3e-6 + 0. */
    expect(&f, "{\"p\": 1.5, \"r\": 0.25}", COST_OK, "0.000003825", "0", NULL);
    expect(&f, "{\"p\": 1e3, \"r\": 24, \"w\": 0}", COST_OK, "0.0029352", "0",
           NULL);
    expect(&f, "{\"p\": 1e3, \"r\": 1.0001e3}", COST_CACHED_EXCEEDS_PROMPT, "",
           "0", NULL);
    /* One exponent: mantissas subtract (1.5 - 0.5 - 1.0 = 0). */
    expect(&f, "{\"p\": 1.5, \"r\": 0.5, \"w\": 1.0}", COST_OK, "0.0000039",
           "0", NULL);
    expect(&f, "{\"p\": 1.5, \"r\": 0.5, \"w\": 1.1}",
           COST_CACHED_EXCEEDS_PROMPT, "", "0", NULL);
    teardown_fixture(&f);
}

/*
 * Anthropic's usage: input_tokens exclude cache reads and writes, each
 * billed at its own price.
 */
static void test_cached_apart(void **state)
{
    struct fixture f;
    (void)state;
    build(&f, INPUT "pricing:\n"
                    "  per: 1M\n"
                    "  models:\n"
                    "    claude-3-5-sonnet-20241022: {input: 3, output: 15,\n"
                    "        cache_write: 3.75, cached: 0.3}\n"
                    "metrics:\n"
                    "  - name: c_total\n"
                    "    type: counter\n"
                    "    cost:\n"
                    "      model: model\n"
                    "      prompt: u.input_tokens\n"
                    "      completion: u.output_tokens\n"
                    "      cached: u.cache_read_input_tokens\n"
                    "      cache_write: u.cache_creation_input_tokens\n");
    /* 21 * 3e-6 + 393 * 15e-6 + 188086 * 3.75e-6 */
    expect(&f,
           "{\"model\": \"claude-3-5-sonnet-20241022\", \"u\": "
           "{\"input_tokens\": 21, \"cache_creation_input_tokens\": 188086, "
           "\"cache_read_input_tokens\": 0, \"output_tokens\": 393}}",
           COST_OK, "0.7112805", "0", "claude-3-5-sonnet-20241022");
    /* Reads far beyond input_tokens are the usual case, not an error. */
    expect(&f,
           "{\"model\": \"claude-3-5-sonnet-20241022\", \"u\": "
           "{\"input_tokens\": 21, \"cache_creation_input_tokens\": 0, "
           "\"cache_read_input_tokens\": 188086, \"output_tokens\": 393}}",
           COST_OK, "0.0623838", "0", NULL);
    teardown_fixture(&f);
}

/* What keeps a line from being priced, and a line's own cost. */
static void test_read(void **state)
{
    struct fixture f;
    (void)state;
    build(&f, INPUT "pricing: {per: 1M, models: {default: {input: 1}}}\n"
                    "metrics:\n"
                    "  - {name: c_total, type: counter, cost: "
                    "{model: m, prompt: p, prefer: usd}}\n");
    expect(&f, "{\"other\": 1}", COST_NONE, "", "0", NULL);
    expect(&f, "{\"p\": null}", COST_NONE, "", "0", NULL);
    expect(&f, "{\"p\": -1}", COST_NEGATIVE, "", "0", NULL);
    expect(&f, "{\"p\": \"many\"}", COST_WRONG_TYPE, "", "0", NULL);
    expect(&f, "{\"p\": {}}", COST_WRONG_TYPE, "", "0", NULL);
    expect(&f, "{\"p\": 1, \"m\": [1]}", COST_WRONG_TYPE, "", "0", NULL);
    /* A number names a model as written. */
    expect(&f, "{\"p\": 2, \"m\": 4}", COST_OK, "0.000002", "0", "4");
    /* The line's own cost wins over its tokens. */
    expect(&f, "{\"p\": 2, \"usd\": 0.25}", COST_OK, "0.25", "0", NULL);
    expect(&f, "{\"usd\": \"0.5\"}", COST_OK, "0.5", "0", NULL);
    expect(&f, "{\"usd\": -0.5}", COST_NEGATIVE, "", "0", NULL);
    expect(&f, "{\"usd\": true}", COST_WRONG_TYPE, "", "0", NULL);
    teardown_fixture(&f);
}

/* The entry of the model's name, else the default entry, else none. */
static void test_find(void **state)
{
    struct fixture f;
    (void)state;
    build(&f, INPUT "pricing:\n"
                    "  per: 1M\n"
                    "  models:\n"
                    "    gpt-4o: {input: 2.5}\n"
                    "    gpt-4o-mini: {input: 0.15}\n"
                    "    default: {input: 1}\n"
                    "metrics:\n"
                    "  - {name: c_total, type: counter, cost: {prompt: p}}\n");
    const struct cfg_price *p = f.cfg->prices;
    assert_ptr_equal(cost_prices_find(f.prices, "gpt-4o", 6), &p[0]);
    assert_ptr_equal(cost_prices_find(f.prices, "gpt-4o-mini", 11), &p[1]);
    assert_ptr_equal(cost_prices_find(f.prices, "gpt-4", 5), &p[2]);
    assert_ptr_equal(cost_prices_find(f.prices, "", 0), &p[2]);
    assert_ptr_equal(cost_prices_find(f.prices, NULL, 0), &p[2]);
    teardown_fixture(&f);

    build(&f, INPUT "pricing: {per: 1M, models: {a: {input: 1}}}\n"
                    "metrics:\n"
                    "  - {name: c_total, type: counter, cost: {prompt: p}}\n");
    assert_ptr_equal(cost_prices_find(f.prices, "a", 1), &f.cfg->prices[0]);
    assert_null(cost_prices_find(f.prices, "b", 1));
    assert_null(cost_prices_find(f.prices, NULL, 0));
    teardown_fixture(&f);
}

/* The model's text through its transform, then looked up. */
static void test_model_transform(void **state)
{
    struct fixture f;
    (void)state;
    build(&f, INPUT "pricing:\n"
                    "  per: 1M\n"
                    "  models:\n"
                    "    claude-3-5-sonnet: {input: 3}\n"
                    "metrics:\n"
                    "  - name: c_total\n"
                    "    type: counter\n"
                    "    cost:\n"
                    "      prompt: p\n"
                    "      model:\n"
                    "        field: model\n"
                    "        regex: '^(claude-.+?)(?:-[0-9]{8}|-latest)?$'\n"
                    "        lower: true\n"
                    "        map: {claude-sonnet: claude-3-5-sonnet}\n"
                    "        unmapped: other\n");
    /* Not in the map: unmapped stands in, and has no price. */
    expect(&f, "{\"model\": \"claude-3-5-sonnet-20241022\", \"p\": 1000}",
           COST_UNPRICED, "", "1000", "other");
    expect(&f, "{\"model\": \"claude-Sonnet-latest\", \"p\": 1000}", COST_OK,
           "0.003", "0", "claude-3-5-sonnet");
    teardown_fixture(&f);

    build(&f, INPUT "pricing:\n"
                    "  per: 1M\n"
                    "  models:\n"
                    "    claude-3-5-sonnet: {input: 3}\n"
                    "    claude-3-5-haiku: {input: 0.8}\n"
                    "    default: {input: 1}\n"
                    "metrics:\n"
                    "  - name: c_total\n"
                    "    type: counter\n"
                    "    cost:\n"
                    "      prompt: p\n"
                    "      model:\n"
                    "        field: model\n"
                    "        regex: '^(claude-.+?)(?:-[0-9]{8}|-latest)?$'\n"
                    "        lower: true\n"
                    "        map: {claude-3-5-sonnet: claude-3-5-sonnet,\n"
                    "              claude-3-5-haiku: claude-3-5-haiku,\n"
                    "              claude-sonnet: claude-3-5-sonnet}\n");
    expect(&f, "{\"model\": \"claude-3-5-haiku-latest\", \"p\": 1000}", COST_OK,
           "0.0008", "0", "claude-3-5-haiku");
    expect(&f, "{\"model\": \"claude-3-5-Sonnet-20240620\", \"p\": 1000}",
           COST_OK, "0.003", "0", "claude-3-5-sonnet");
    expect(&f, "{\"model\": \"claude-sonnet\", \"p\": 1000}", COST_OK, "0.003",
           "0", "claude-3-5-sonnet");
    /* The regex keeps nothing of a name it does not match, the map nothing
     * of a name it lacks: the update is skipped, as a label's would be, and
     * nothing is counted as unpriced. */
    expect(&f, "{\"model\": \"gpt-4o\", \"p\": 1000}", COST_NO_MATCH, "", "0",
           "(none)");
    expect(&f, "{\"model\": \"claude-2-1\", \"p\": 1000}", COST_UNMAPPED, "",
           "0", "(none)");
    /* Missing: the default entry, with no model. */
    expect(&f, "{\"p\": 1000}", COST_OK, "0.001", "0", "(none)");
    expect(&f, "{\"model\": {\"id\": 1}, \"p\": 1000}", COST_WRONG_TYPE, "",
           "0", "(none)");
    teardown_fixture(&f);

    /* Unpriced tokens are counted under the model as looked up. */
    build(&f, INPUT "pricing: {per: 1M, models: {gpt-4o: {input: 2.5}}}\n"
                    "metrics:\n"
                    "  - name: c_total\n"
                    "    type: counter\n"
                    "    cost:\n"
                    "      prompt: p\n"
                    "      model: {field: m, regex: '^(.+?)(?:-\\d{4}-\\d{2}-"
                    "\\d{2})?$'}\n");
    expect(&f, "{\"m\": \"o3-2025-04-16\", \"p\": 5}", COST_UNPRICED, "", "5",
           "o3");
    expect(&f, "{\"m\": \"gpt-4o-2024-11-20\", \"p\": 4}", COST_OK, "0.00001",
           "0", "gpt-4o");
    teardown_fixture(&f);
}

/* The name, then the longest prefix, then the patterns in file order. */
static void test_find_order(void **state)
{
    struct fixture f;
    (void)state;
    build(&f, INPUT "pricing:\n"
                    "  per: 1M\n"
                    "  models:\n"
                    "    any-sonnet: {match: sonnet, input: 3}\n"
                    "    gpt-4o*: {input: 2.5}\n"
                    "    gpt-4o-mini*: {input: 0.15}\n"
                    "    gpt-4o-2024-05-13: {input: 5}\n"
                    "    gpt*: {input: 9}\n"
                    "    bedrock-3-5: {match: '^[a-z]+\\.anthropic\\.claude-"
                    "3-5-', input: 3.3}\n"
                    "    dated: {match: '-[0-9]{8}$', input: 7}\n"
                    "    default: {input: 1}\n"
                    "metrics:\n"
                    "  - {name: c_total, type: counter, cost: {prompt: p}}\n");
    const struct cfg_price *p = f.cfg->prices;
    const struct {
        const char *model;
        const struct cfg_price *want;
    } cases[] = {
        {"gpt-4o", &p[1]},                 /* a prefix of itself */
        {"gpt-4o-2024-08-06", &p[1]},      /* dated */
        {"gpt-4o-mini", &p[2]},            /* the longer prefix */
        {"gpt-4o-mini-2024-07-18", &p[2]}, /* whatever the order written */
        {"gpt-4o-2024-05-13", &p[3]},      /* its name beats every prefix */
        {"gpt-4o-2024-05-13x", &p[1]},     /* not its name */
        {"gpt-4", &p[4]},
        {"gpt", &p[4]},
        {"gp", &p[7]},
        {"claude-3-5-sonnet-20241022", &p[0]}, /* the first pattern */
        {"us.anthropic.claude-3-5-haiku-20241022-v1:0", &p[5]},
        {"claude-3-5-haiku-20241022", &p[6]},
        {"", &p[7]},
        {"GPT-4o", &p[7]}, /* case matters: see the model's transform */
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(*cases); i++) {
        const struct cfg_price *got =
            cost_prices_find(f.prices, cases[i].model, strlen(cases[i].model));
        if (got != cases[i].want)
            fail_msg("%s: priced by %s, not %s", cases[i].model,
                     got ? got->model : "nothing", cases[i].want->model);
    }
    /* The model's bytes are compared, not a C string: a NUL is a byte. */
    assert_ptr_equal(cost_prices_find(f.prices, "gpt-4o\0-2024-05-13", 18),
                     &p[1]);
    teardown_fixture(&f);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_bill),
        cmocka_unit_test(test_cached_in_prompt),
        cmocka_unit_test(test_cache_write_in_prompt),
        cmocka_unit_test(test_cached_apart),
        cmocka_unit_test(test_read),
        cmocka_unit_test(test_find),
        cmocka_unit_test(test_find_order),
        cmocka_unit_test(test_model_transform),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
