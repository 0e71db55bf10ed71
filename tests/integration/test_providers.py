"""The OpenAI and Anthropic examples: examples/{openai,anthropic}/exporter.yaml
fed response bodies generated here from a seeded random, with what matters to
money: dated and aliased model names, cached prompt tokens in each provider's
shape, cache writes, models without a price, lines that contradict
themselves, error bodies and broken lines.

Every series of every family an example serves, tokentail_unpriced_tokens_total
and the cost metric's skip reasons are compared with what is computed here
from the lines, independently: Python's json, exact decimals, the providers'
list prices written out again below, and the lookup order the README states
(a name, then the longest prefix, then patterns in order, then default).
"""
import json
import random
import re
from collections import defaultdict
from decimal import Decimal

from harness import _number, main, promtool_check
from test_packs import Oracle, dig, once, present, text

PICO = Decimal("1e-12")
MILLION = Decimal(1000000)
KINDS = ("prompt", "completion", "cached", "cache_write")


# --- the price lists, as published (USD per 1M tokens) -----------------------

# OpenAI, standard tier: input, cached input, output. A key ending in * is a
# prefix.
OPENAI_PRICES = {
    "gpt-4o*": {"prompt": "2.50", "cached": "1.25", "completion": "10.00"},
    "gpt-4o-2024-05-13": {"prompt": "5.00", "completion": "15.00"},
    "gpt-4o-mini*": {"prompt": "0.15", "cached": "0.075", "completion": "0.60"},
    "gpt-4.1*": {"prompt": "2.00", "cached": "0.50", "completion": "8.00"},
    "gpt-4.1-mini*": {"prompt": "0.40", "cached": "0.10", "completion": "1.60"},
    "gpt-4.1-nano*": {"prompt": "0.10", "cached": "0.025", "completion": "0.40"},
}


def claude(inp, write, read, out):
    return {"prompt": inp, "cache_write": write, "cached": read, "completion": out}


# Anthropic: base input, 5-minute cache writes, cache hits, output.
ANTHROPIC_PRICES = {
    "claude-opus-4-5": claude("5", "6.25", "0.50", "25"),
    "claude-opus-4-1": claude("15", "18.75", "1.50", "75"),
    "claude-opus-4": claude("15", "18.75", "1.50", "75"),
    "claude-3-opus": claude("15", "18.75", "1.50", "75"),
    "claude-sonnet-4-5": claude("3", "3.75", "0.30", "15"),
    "claude-sonnet-4": claude("3", "3.75", "0.30", "15"),
    "claude-3-7-sonnet": claude("3", "3.75", "0.30", "15"),
    "claude-3-5-sonnet": claude("3", "3.75", "0.30", "15"),
    "claude-haiku-4-5": claude("1", "1.25", "0.10", "5"),
    "claude-3-5-haiku": claude("0.80", "1", "0.08", "4"),
    "claude-3-haiku": claude("0.25", "0.30", "0.03", "1.25"),
}


def lookup(table, model):
    """The entry pricing model: its name, else the longest prefix."""
    if model in table:
        return table[model]
    prefixes = [k[:-1] for k in table if k.endswith("*") and model.startswith(k[:-1])]
    return table[max(prefixes, key=len) + "*"] if prefixes else None


# --- what a cost is, computed here -------------------------------------------

class Costs:
    """Cost metric results besides the counters: unpriced tokens by
    (metric, model) and skipped updates by reason."""

    def __init__(self):
        self.unpriced = defaultdict(Decimal)
        self.skipped = defaultdict(int)


def tokens_of(r, fields):
    """{kind: Decimal} of the token fields present, or a skip reason."""
    out = {}
    for kind, path in fields.items():
        v = dig(r, path)
        if v is None:
            continue
        n = _number(v)
        if n is None:
            return "wrong_type"
        if n < 0:
            return "negative"
        out[kind] = n
    return out


def cost(o, costs, metric, r, fields, priced_as, prices, in_prompt, **labels):
    """Adds the line's cost to metric, as the README defines it; priced_as
    is the model's name as looked up (None without one)."""
    tokens = tokens_of(r, fields)
    if tokens == {}:
        return  # no token field: the cost does not apply
    if isinstance(tokens, str):
        costs.skipped[tokens] += 1
        return
    if in_prompt and "prompt" in tokens:
        rest = tokens["prompt"] - tokens.get("cached", 0) - tokens.get("cache_write", 0)
        if rest < 0:
            costs.skipped["cached_exceeds_prompt"] += 1
            return
        tokens["prompt"] = rest
    entry = lookup(prices, priced_as) if priced_as is not None else None
    usd, unpriced, priced = Decimal(0), Decimal(0), False
    for kind, n in tokens.items():
        if entry is not None and kind in entry:
            usd += (n * Decimal(entry[kind]) / MILLION).quantize(PICO, "ROUND_HALF_EVEN")
            priced = True
        else:
            unpriced += n
    if unpriced > 0:
        costs.unpriced[(metric, priced_as or "")] += unpriced
    if not priced:
        costs.skipped["unpriced"] += 1
        return
    o.inc(metric, usd, **labels)


def amount(v):
    """A value a counter adds, or None when it skips it."""
    n = _number(v)
    return None if n is None or n < 0 else n


# --- OpenAI --------------------------------------------------------------------

OPENAI_MODELS = [
    ("gpt-4o-2024-08-06", 20), ("gpt-4o-2024-11-20", 10), ("gpt-4o", 5),
    ("gpt-4o-2024-05-13", 4), ("gpt-4o-mini-2024-07-18", 20), ("gpt-4o-mini", 5),
    ("gpt-4.1-2025-04-14", 8), ("gpt-4.1-mini-2025-04-14", 8),
    ("gpt-4.1-nano-2025-04-14", 5), ("o3-2025-04-16", 3), ("chatgpt-4o-latest", 2),
]
OPENAI_FIELDS = {"prompt": "usage.prompt_tokens", "completion": "usage.completion_tokens",
                 "cached": "usage.prompt_tokens_details.cached_tokens"}


def openai_line(rnd, i):
    """One logged body: mostly chat completions, a few errors and wrecks."""
    roll = rnd.random()
    if roll < 0.02:
        return json.dumps({"error": {"message": "Rate limit reached for gpt-4o",
                                     "type": "requests", "code": "rate_limit_exceeded"}})
    if roll < 0.03:
        return '{"id": "chatcmpl-%d", "object": "chat.completion", "model": "gpt-4o' % i
    model = rnd.choices([m for m, _ in OPENAI_MODELS], [w for _, w in OPENAI_MODELS])[0]
    prompt = rnd.randint(1, 120000)
    cached = 0
    if model != "gpt-4o-2024-05-13" and prompt >= 1024 and rnd.random() < 0.5:
        cached = 1024 + 128 * rnd.randint(0, (prompt - 1024) // 128)
    if roll < 0.04:
        cached = prompt + rnd.randint(1, 500)  # contradicts itself
    completion = rnd.randint(0, 4000)
    usage = {"prompt_tokens": prompt, "completion_tokens": completion,
             "total_tokens": prompt + completion}
    if roll < 0.04 or roll > 0.12:  # older logs carry no details
        usage["prompt_tokens_details"] = {"cached_tokens": cached, "audio_tokens": 0}
        usage["completion_tokens_details"] = {
            "reasoning_tokens": completion // 3 if model.startswith("o3") else 0,
            "audio_tokens": 0, "accepted_prediction_tokens": 0,
            "rejected_prediction_tokens": 0}
    return json.dumps({
        "id": "chatcmpl-%08d" % i, "object": "chat.completion",
        "created": 1730000000 + i, "model": model,
        "choices": [{"index": 0, "finish_reason": rnd.choice(["stop", "length"]),
                     "message": {"role": "assistant",
                                 "content": "Réponse n°%d: \"ok\"\n" % i}}],
        "usage": usage, "system_fingerprint": "fp_%x" % rnd.getrandbits(40)},
        ensure_ascii=rnd.random() < 0.5)


def openai(o, r, costs):
    if text(r, "object") != "chat.completion" or not present(r, "model"):
        return
    m = text(r, "model")
    o.inc("openai_requests_total", model=m)
    o.inc("openai_prompt_tokens_total", amount(dig(r, "usage.prompt_tokens")), model=m)
    o.inc("openai_cached_prompt_tokens_total",
          amount(dig(r, "usage.prompt_tokens_details.cached_tokens")), model=m)
    o.inc("openai_completion_tokens_total", amount(dig(r, "usage.completion_tokens")), model=m)
    cost(o, costs, "openai_cost_usd_total", r, OPENAI_FIELDS, m, OPENAI_PRICES, True, model=m)


# --- Anthropic -----------------------------------------------------------------

ANTHROPIC_MODELS = [
    ("claude-3-5-sonnet-20241022", 12), ("claude-3-5-sonnet-latest", 4),
    ("claude-3-7-sonnet-20250219", 8), ("claude-sonnet-4-20250514", 10),
    ("claude-sonnet-4-5-20250929", 12), ("claude-opus-4-1-20250805", 4),
    ("claude-opus-4-5-20251101", 4), ("claude-3-5-haiku-20241022", 10),
    ("claude-haiku-4-5-20251001", 8), ("claude-3-haiku-20240307", 5),
    ("claude-3-opus-20240229", 2), ("claude-2.1", 2), ("claude-instant-1.2", 1),
]
ANTHROPIC_FIELDS = {"prompt": "usage.input_tokens", "completion": "usage.output_tokens",
                    "cached": "usage.cache_read_input_tokens",
                    "cache_write": "usage.cache_creation_input_tokens"}
DATE_OR_LATEST = re.compile(r"^(.+?)(?:-[0-9]{8}|-latest)?$")


def anthropic_line(rnd, i):
    roll = rnd.random()
    if roll < 0.02:
        return json.dumps({"type": "error", "error": {"type": "overloaded_error",
                                                      "message": "Overloaded"}})
    if roll < 0.03:
        return '{"id": "msg_%d", "type": "message", "usage": {"input_tokens": 1' % i
    model = rnd.choices([m for m, _ in ANTHROPIC_MODELS], [w for _, w in ANTHROPIC_MODELS])[0]
    usage = {"input_tokens": rnd.randint(1, 5000), "output_tokens": rnd.randint(1, 4000)}
    shape = rnd.randrange(5)
    if shape > 0:  # shape 0: a log from before prompt caching
        usage["cache_creation_input_tokens"] = rnd.randint(1024, 200000) if shape in (2, 4) else 0
        usage["cache_read_input_tokens"] = rnd.randint(1024, 200000) if shape in (3, 4) else 0
    if roll < 0.035:
        usage["input_tokens"] = -usage["input_tokens"]
    elif roll < 0.04 and "cache_read_input_tokens" in usage:
        usage["cache_read_input_tokens"] = str(usage["cache_read_input_tokens"])
    stop = rnd.choice(["end_turn", "end_turn", "max_tokens", "tool_use", "stop_sequence", None])
    return json.dumps({
        "id": "msg_%08d" % i, "type": "message", "role": "assistant", "model": model,
        "content": [{"type": "text", "text": "Voilà %d \u2014 \"done\"" % i}],
        "stop_reason": stop, "stop_sequence": None, "usage": usage},
        ensure_ascii=rnd.random() < 0.5)


def anthropic(o, r, costs):
    if text(r, "type") != "message" or not present(r, "model"):
        return
    m = text(r, "model")
    o.inc("anthropic_requests_total", model=m,
          stop_reason=text(r, "stop_reason") if present(r, "stop_reason") else "none")
    for path, kind in (("usage.input_tokens", "input"),
                       ("usage.cache_read_input_tokens", "cache_read"),
                       ("usage.cache_creation_input_tokens", "cache_write"),
                       ("usage.output_tokens", "output")):
        o.inc("anthropic_tokens_total", amount(dig(r, path)), model=m, type=kind)
    priced_as = DATE_OR_LATEST.match(m).group(1)
    cost(o, costs, "anthropic_cost_usd_total", r, ANTHROPIC_FIELDS, priced_as,
         ANTHROPIC_PRICES, False, model=m)


# --- the checks ------------------------------------------------------------------

PROVIDERS = {
    "openai": (openai_line, openai, "openai_cost_usd_total",
               ["openai_requests_total", "openai_prompt_tokens_total",
                "openai_cached_prompt_tokens_total", "openai_completion_tokens_total",
                "openai_cost_usd_total"]),
    "anthropic": (anthropic_line, anthropic, "anthropic_cost_usd_total",
                  ["anthropic_requests_total", "anthropic_tokens_total",
                   "anthropic_cost_usd_total"]),
}


def check(pack, seed, n):
    """n lines of seed through the example; returns what the cost metric
    could not price or use."""
    make, fn, cost_metric, families = PROVIDERS[pack]
    rnd = random.Random(seed)
    data = "".join(make(rnd, i) + "\n" for i in range(n)).encode()
    o, costs = Oracle(families, {}), Costs()
    o.feed_lines(data, lambda o, r: fn(o, r, costs))
    e = once(pack, data)
    o.check(e)
    # Every family it serves is one of those checked, or tokentail's own.
    served = {name for name, _ in e.samples if not name.startswith(("tokentail_", "process_"))}
    assert served == set(families), (pack, served)
    got = {dict(k)["model"]: Decimal(v)
           for k, v in e.family("tokentail_unpriced_tokens_total").items()}
    want = {model: v for (metric, model), v in costs.unpriced.items()}
    assert {dict(k)["metric"] for k in e.family("tokentail_unpriced_tokens_total")} <= \
        {cost_metric}, pack
    assert got == want, "%s unpriced: got %s want %s" % (pack, got, want)
    for k, v in e.family("tokentail_metric_updates_skipped_total").items():
        k = dict(k)
        if k["metric"] == cost_metric:
            assert int(v) == costs.skipped.get(k["reason"], 0), (pack, k, v, dict(costs.skipped))
    for reason in costs.skipped:
        assert e.value("tokentail_metric_updates_skipped_total", metric=cost_metric,
                       reason=reason) is not None, reason
    assert e.value("tokentail_lines_read_total", input=pack) == str(o.lines)
    promtool_check(e.text)
    return costs


def check_seeds(pack):
    """Three seeds of 4,000 lines; what the cost metric skipped and the
    models it could not price, over all of them."""
    skipped, unpriced = defaultdict(int), set()
    for seed in (1, 2, 3):
        costs = check(pack, seed, 4000)
        for k, v in costs.skipped.items():
            skipped[k] += v
        unpriced |= {model for _, model in costs.unpriced}
    return skipped, unpriced


def test_openai():
    skipped, unpriced = check_seeds("openai")
    # The cases the generator is for did occur.
    assert skipped["cached_exceeds_prompt"] > 0 and skipped["unpriced"] > 0
    assert unpriced == {"o3-2025-04-16", "chatgpt-4o-latest"}


def test_anthropic():
    skipped, unpriced = check_seeds("anthropic")
    assert skipped["negative"] > 0 and skipped["unpriced"] > 0
    # Counted under the name as looked up, without its date.
    assert unpriced == {"claude-2.1", "claude-instant-1.2"}


def test_readme_examples():
    """The README's two worked examples, to the last digit."""
    line = json.dumps({"object": "chat.completion", "model": "gpt-4o-2024-08-06",
                       "usage": {"prompt_tokens": 2006, "completion_tokens": 300,
                                 "total_tokens": 2306,
                                 "prompt_tokens_details": {"cached_tokens": 1920}}})
    e = once("openai", (line + "\n").encode())
    assert e.value("openai_cost_usd_total", model="gpt-4o-2024-08-06") == "0.005615"
    lines = [{"type": "message", "model": "claude-3-5-sonnet-20241022",
              "usage": {"input_tokens": 21, "cache_creation_input_tokens": w,
                        "cache_read_input_tokens": r, "output_tokens": 393}}
             for w, r in ((188086, 0), (0, 188086))]
    e = once("anthropic", b"".join(json.dumps(x).encode() + b"\n" for x in lines[:1]))
    assert e.value("anthropic_cost_usd_total", model="claude-3-5-sonnet-20241022") == "0.7112805"
    e = once("anthropic", b"".join(json.dumps(x).encode() + b"\n" for x in lines))
    assert e.value("anthropic_cost_usd_total", model="claude-3-5-sonnet-20241022") == \
        str(Decimal("0.7112805") + Decimal("0.0623838"))


if __name__ == "__main__":
    main([test_openai, test_anthropic, test_readme_examples])
