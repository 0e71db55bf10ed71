"""The five seed packs: examples/<system>/exporter.yaml, fed that system's
logs (genlogs.py FORMAT, several seeds) and the mixed corpus whose foreign
and broken lines must be skipped correctly. Every series of every family is
compared with values computed here, independently, from the lines
(Python's json module, exact decimals), and with genlogs' own --truth.
"""
import json
import os
import re
import tempfile
from collections import defaultdict
from decimal import Decimal

from harness import (ROOT, Exposition, FlashcaseOracle, Skip, _label_text, _number,
                     feed_all, genlogs, genlogs_path, labelset, main,
                     promtool_check, run)

PICO = Decimal("1e-12")


class Oracle:
    """Counters and histograms as the documented rules imply them."""

    def __init__(self, counters, histograms):
        self.counters = {n: defaultdict(Decimal) for n in counters}
        self.hists = {n: (b, defaultdict(list)) for n, b in histograms.items()}
        self.lines = 0

    def inc(self, name, v=Decimal(1), **labels):
        if None in labels.values() or v is None:
            return
        self.counters[name][frozenset(labels.items())] += v

    def observe(self, name, v, **labels):
        if None in labels.values() or v is None:
            return
        self.hists[name][1][frozenset(labels.items())].append(v)

    def feed_lines(self, data, fn):
        for raw in data.split(b"\n")[:-1]:
            self.lines += 1
            try:
                rec = json.loads(raw.decode("utf-8", "replace"), parse_float=Decimal,
                                 parse_constant=lambda c: 1 / 0)
            except (ValueError, ZeroDivisionError):
                continue
            if isinstance(rec, dict):
                fn(self, rec)

    def check(self, e):
        for name, want in self.counters.items():
            got = e.family(name)
            want = {k: v for k, v in want.items()}
            assert set(got) == set(want), "%s: series differ\n got %s\nwant %s" % (
                name, sorted(map(sorted, got)), sorted(map(sorted, want)))
            for k, v in want.items():
                assert Decimal(got[k]) == v, "%s%s: got %s want %s" % (name, dict(k), got[k], v)
        for name, (bounds, series) in self.hists.items():
            buckets, sums, counts = e.histogram(name)
            assert set(buckets) == set(series), "%s: series differ" % name
            for k, values in series.items():
                want = {b: sum(1 for v in values if v <= Decimal(b)) for b in bounds}
                want["+Inf"] = len(values)
                assert {le: int(c) for le, c in buckets[k].items()} == want, (name, dict(k))
                assert Decimal(sums[k]) == sum(values), (name, dict(k), sums[k], sum(values))
                assert int(counts[k]) == len(values)


def present(rec, *keys):
    return all(rec.get(k) is not None for k in keys)


def text(rec, key):
    """A field's text as conditions compare it (None if absent or unusable)."""
    v = rec.get(key)
    return None if v is None else _label_text(v)


def mask(v):
    if not isinstance(v, str) or v == "":
        return "unknown"
    if len(v) <= 8:
        return "short_key"
    return _label_text(v[:4] + "..." + v[-4:])


def dig(rec, path):
    for part in path.split("."):
        if not isinstance(rec, dict):
            return None
        rec = rec.get(part)
    return rec


# --- the packs ---------------------------------------------------------------

def scarlett(o, r):
    if not present(r, "path", "method", "status"):
        return
    m, p, s = text(r, "method"), text(r, "path"), text(r, "status")
    o.inc("http_requests_total", method=m, path=p, status=s)
    o.observe("http_request_duration_seconds", _number(r.get("latency_ms"), "0.001"),
              method=m, path=p)
    key = mask(r.get("api_key"))
    o.inc("api_key_requests_total", api_key=key)
    if p == "/v1/chat/completions" and s == "200":
        for name, field in (("token_usage_prompt_total", "usage.prompt_tokens"),
                            ("token_usage_completion_total", "usage.completion_tokens"),
                            ("token_usage_total", "usage.total_tokens")):
            o.inc(name, _number(dig(r, field)), api_key=key)


def aegis(o, r):
    if text(r, "event") != "llm_call" or not present(r, "provider", "model"):
        return
    pv, md = text(r, "provider"), text(r, "model")
    o.inc("aegis_llm_requests_total", provider=pv, model=md)
    o.inc("aegis_llm_cost_usd_total", _number(r.get("cost_usd")), provider=pv)
    o.observe("aegis_llm_latency_seconds", _number(r.get("latency_ms"), "0.001"), provider=pv)
    o.inc("aegis_llm_input_tokens_total", _number(r.get("tokens_input")), provider=pv, model=md)
    o.inc("aegis_llm_output_tokens_total", _number(r.get("tokens_output")), provider=pv, model=md)


AUTH = {"Missing API key": "missing_key", "Invalid API key": "invalid_key",
        "API key is inactive": "inactive_key"}
WINDOW = re.compile(r"Rate limit exceeded for (\w+)", re.ASCII)


def apiusage(o, r):
    if not present(r, "endpoint", "method", "status_code"):
        return
    ep, st = text(r, "endpoint"), text(r, "status_code")
    key = text(r, "api_key_id") if r.get("api_key_id") is not None else "none"
    o.inc("api_requests_total", api_key_id=key, endpoint=ep, method=text(r, "method"),
          status=st)
    rt = _number(r.get("response_time"))
    o.observe("api_response_time_seconds", rt, endpoint=ep)
    if rt is not None and rt > 1:
        o.inc("api_slow_requests_total", endpoint=ep,
              severity="critical" if rt > 2 else "warning")
    detail = text(r, "detail")
    if st in ("401", "403") and detail in AUTH:
        o.inc("api_auth_failures_total", reason=AUTH[detail])
    m = WINDOW.search(detail) if detail is not None else None
    if st == "429" and m:
        o.inc("api_rate_limited_total", window=m.group(1))


PRICES = {"prompt_tokens": Decimal("0.01"), "completion_tokens": Decimal("0.03"),
          "embedding_tokens": Decimal("0.0001")}


def story23(o, r):
    if text(r, "event") != "ai_request" or not present(r, "operation", "status"):
        return
    op, st = text(r, "operation"), text(r, "status")
    o.inc("ai_requests_total", operation=op, status=st)
    o.observe("ai_request_duration_seconds", _number(r.get("duration_s")), operation=op)
    if st == "error" and present(r, "error_type"):
        o.inc("ai_errors_total", operation=op, error_type=text(r, "error_type"))
        if text(r, "error_type") == "rate_limit":
            o.inc("ai_rate_limit_hits_total", operation=op)
    cost, any_tokens = Decimal(0), False
    for field, kind in (("prompt_tokens", "prompt"), ("completion_tokens", "completion"),
                        ("embedding_tokens", "embedding")):
        if r.get(field) is None:
            continue
        n = _number(r[field])
        o.inc("ai_tokens_total", n, type=kind)
        any_tokens = True
        cost += (Decimal(r[field]) * PRICES[field] / 1000).quantize(PICO, "ROUND_HALF_EVEN")
    if any_tokens:
        o.inc("ai_cost_total", cost, operation=op)


PACKS = {
    "scarlett": ("scarlett", scarlett,
                 ["http_requests_total", "api_key_requests_total", "token_usage_prompt_total",
                  "token_usage_completion_total", "token_usage_total"],
                 {"http_request_duration_seconds": ["0.005", "0.01", "0.025", "0.05", "0.1",
                                                    "0.25", "0.5", "1", "2.5", "5", "10"]}),
    "aegisrag": ("aegis", aegis,
                 ["aegis_llm_requests_total", "aegis_llm_cost_usd_total",
                  "aegis_llm_input_tokens_total", "aegis_llm_output_tokens_total"],
                 {"aegis_llm_latency_seconds": ["0.5", "1", "2", "5", "10"]}),
    "apiusage": ("apiusage", apiusage,
                 ["api_requests_total", "api_slow_requests_total", "api_auth_failures_total",
                  "api_rate_limited_total"],
                 {"api_response_time_seconds": ["0.1", "0.25", "0.5", "1", "2", "5"]}),
    "story23": ("story23", story23,
                ["ai_requests_total", "ai_errors_total", "ai_rate_limit_hits_total",
                 "ai_tokens_total", "ai_cost_total"],
                {"ai_request_duration_seconds": ["0.005", "0.01", "0.025", "0.05", "0.1",
                                                 "0.25", "0.5", "1", "2.5", "5", "10"]}),
}


def once(pack, data):
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "app.log")
        with open(path, "wb") as f:
            f.write(data)
        cfg = os.path.join(ROOT, "examples", pack, "exporter.yaml")
        rc, out, err = run(["--config.file=" + cfg, "--once", path])
        assert rc == 0, err
        return Exposition(out)


def check_truth(pack, e, truth):
    """genlogs' own aggregates, for the ones it keeps for this format."""
    def total(name, **match):
        return sum(Decimal(v) for k, v in e.family(name).items()
                   if all(dict(k).get(a) == b for a, b in match.items()))
    names = {("scarlett", "requests"): ("http_requests_total", {"path": "path", "method": "method", "status": "status"}),
             ("scarlett", "api_key_requests"): ("api_key_requests_total", {"api_key": "api_key"}),
             ("scarlett", "prompt_tokens"): ("token_usage_prompt_total", {"api_key": "api_key"}),
             ("scarlett", "completion_tokens"): ("token_usage_completion_total", {"api_key": "api_key"}),
             ("aegisrag", "llm_requests"): ("aegis_llm_requests_total", {"provider": "provider", "model": "model"}),
             ("aegisrag", "llm_cost"): ("aegis_llm_cost_usd_total", {"provider": "provider"}),
             ("apiusage", "api_requests"): ("api_requests_total", {"endpoint": "endpoint", "method": "method", "status": "status"}),
             ("story23", "ai_requests"): ("ai_requests_total", {"operation": "operation", "status": "status"}),
             ("story23", "ai_errors"): ("ai_errors_total", {"operation": "operation", "error_type": "error_type"}),
             ("story23", "ai_rate_limit_hits"): ("ai_rate_limit_hits_total", {"operation": "operation"}),
             ("story23", "ai_tokens"): ("ai_tokens_total", {"type": "type"})}
    checked = 0
    for row in truth:
        key = (pack, row["metric"])
        if key not in names:
            continue
        family, labels = names[key]
        got = total(family, **{ours: row["labels"][theirs] for theirs, ours in labels.items()})
        want = Decimal(str(row["value"]))
        assert abs(got - want) <= Decimal("1e-9") * max(1, abs(want)), (pack, row, got)
        checked += 1
    assert checked > 0, pack


def test_packs():
    if genlogs_path() is None:
        raise Skip("genlogs.py not found (set GENLOGS)")
    for pack, (fmt, fn, counters, hists) in PACKS.items():
        for seed in (1, 2, 3):
            data, truth = genlogs(fmt, 5000, seed, truth=True)
            o = Oracle(counters, hists)
            o.feed_lines(data, fn)
            e = once(pack, data)
            o.check(e)
            check_truth(pack, e, truth)
            promtool_check(e.text)
            assert e.value("tokentail_lines_read_total", input=e_input(e)) == str(o.lines)


def e_input(e):
    return next(dict(k)["input"] for k in e.family("tokentail_lines_read_total"))


def test_mixed():
    """Every system's lines interleaved, with foreign and broken lines."""
    if genlogs_path() is None:
        raise Skip("genlogs.py not found (set GENLOGS)")
    for seed in (4, 5):
        data, _ = genlogs("mixed", 20000, seed)
        for pack, (fmt, fn, counters, hists) in PACKS.items():
            o = Oracle(counters, hists)
            o.feed_lines(data, fn)
            e = once(pack, data)
            o.check(e)
            skipped = sum(int(v) for v in e.family("tokentail_lines_skipped_total").values())
            assert skipped > 0, pack  # other systems' lines and the noise
        fc = FlashcaseOracle()
        feed_all(fc, data)
        e = once("flashcase", data)
        fc.check(e)
        assert e.value("tokentail_lines_skipped_total", input="app",
                       reason="not_json") == str(fc.skipped["not_json"])


def test_flashcase_pack_is_the_default():
    assert os.path.realpath(os.path.join(ROOT, "examples", "flashcase", "exporter.yaml")) == \
        os.path.realpath(os.path.join(ROOT, "exporter.yaml"))


if __name__ == "__main__":
    main([test_packs, test_mixed, test_flashcase_pack_is_the_default])
