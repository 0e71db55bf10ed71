"""The five seed packs: examples/<system>/exporter.yaml, fed that system's
logs (genlogs.py FORMAT, several seeds) and the mixed corpus whose foreign
and broken lines must be skipped correctly. Every series of every family is
compared with values computed here, independently, from the lines
(Python's json module, exact decimals), and with genlogs' own --truth.
"""
import json
import os
import random
import re
import tempfile
import time
from collections import defaultdict
from datetime import datetime, timedelta, timezone
from decimal import Decimal
from zoneinfo import ZoneInfo

from harness import (ROOT, Exposition, FlashcaseOracle, Skip, _label_text, _number,
                     feed_all, genlogs, genlogs_path, labelset, main,
                     promtool_check, run)
from test_budgets import period_of, project, q

UTC = ZoneInfo("UTC")

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
    n = _number(r.get("status"))
    if n is not None and n >= 400 and re.fullmatch(r"[1-5][0-9][0-9]", s):
        o.inc("api_key_errors_total", api_key=key, **{"class": s[0] + "xx"})
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
    u = {"provider": pv, "model": md, "task_type": text(r, "task_type")}
    o.inc("aegis_llm_usage_requests_total", **u)
    o.inc("aegis_llm_usage_cost_usd_total", _number(r.get("cost_usd")), **u)
    o.inc("aegis_llm_usage_input_tokens_total", _number(r.get("tokens_input")), **u)
    o.inc("aegis_llm_usage_output_tokens_total", _number(r.get("tokens_output")), **u)
    o.observe("aegis_llm_usage_latency_seconds", _number(r.get("latency_ms"), "0.001"), **u)


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
                 ["http_requests_total", "api_key_requests_total", "api_key_errors_total",
                  "token_usage_prompt_total", "token_usage_completion_total",
                  "token_usage_total"],
                 {"http_request_duration_seconds": ["0.005", "0.01", "0.025", "0.05", "0.1",
                                                    "0.25", "0.5", "1", "2.5", "5", "10"]}),
    "aegisrag": ("aegis", aegis,
                 ["aegis_llm_requests_total", "aegis_llm_cost_usd_total",
                  "aegis_llm_input_tokens_total", "aegis_llm_output_tokens_total"]
                 + ["aegis_llm_usage_%s_total" % n
                    for n in ("requests", "cost_usd", "input_tokens", "output_tokens")],
                 {"aegis_llm_latency_seconds": ["0.5", "1", "2", "5", "10"],
                  "aegis_llm_usage_latency_seconds": ["0.5", "1", "2", "5", "10"]}),
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


# --- budgets -------------------------------------------------------------------

# The packs' budgets: (name, family, match, period, limit or None, warn_at).
AEGIS_COST = "aegis_llm_usage_cost_usd_total"
PACK_BUDGETS = {
    "aegisrag": [
        ("alibaba_cloud", AEGIS_COST, {"provider": "alibaba_cloud"}, "month",
         Decimal(120), None),
        ("openai", AEGIS_COST, {"provider": "openai"}, "month", Decimal(80), None),
        ("local_ollama", AEGIS_COST, {"provider": "local_ollama"}, "month", None, None),
        ("total", AEGIS_COST, {}, "month", Decimal(200), None)],
    "flashcase": [
        ("tokens_hourly", "llm_tokens_total", {}, "hour", Decimal(100000),
         [Decimal("0.5"), Decimal(1)]),
        ("tokens_daily", "llm_tokens_total", {}, "day", Decimal(2400000),
         [Decimal("0.5"), Decimal(1)])],
    "story23": [
        ("ai_cost_daily", "ai_cost_total", {}, "day", Decimal(10), None),
        ("ai_tokens_hourly", "ai_tokens_total", {}, "hour", Decimal(10000),
         [Decimal(1)])],
}
TIME_FIELD = re.compile(rb'"(timestamp|ts)": "[^"]*"')


def retime(data, rng, now):
    """The lines with their times moved to the last weeks, a third of them
    to the last twenty minutes; returns the lines and their instants."""
    out, times = [], []
    for i, raw in enumerate(data.split(b"\n")[:-1]):
        back = rng.uniform(0, (1200, 2 * 86400, 45 * 86400)[i % 3])
        t = now - timedelta(seconds=back)
        t = t.replace(microsecond=t.microsecond // 1000 * 1000)
        ts = t.strftime("%Y-%m-%dT%H:%M:%S.") + "%03dZ" % (t.microsecond // 1000)
        out.append(TIME_FIELD.sub(lambda m: b'"%s": "%s"' % (m.group(1), ts.encode()),
                                  raw, count=1))
        times.append(t)
    return b"\n".join(out) + b"\n", times


def pack_used(pack, lines, times, family, match, start, end):
    """What the pack's family added over [start, end), by the oracle."""
    if pack == "flashcase":
        fc = FlashcaseOracle()
        for l, t in zip(lines, times):
            if start <= t < end:
                fc.feed(l)
        assert family == "llm_tokens_total"
        return sum(fc.tokens.values(), Decimal(0))
    fmt, fn, counters, hists = PACKS[pack]
    o = Oracle(counters, hists)
    o.feed_lines(b"".join(l + b"\n" for l, t in zip(lines, times)
                         if start <= t < end), fn)
    return sum((v for k, v in o.counters[family].items()
                if all(dict(k).get(a) == b for a, b in match.items())), Decimal(0))


def test_pack_budgets():
    """Each pack's budgets over lines of this period and the ones before,
    read once: every gauge exactly, each fraction reached warned once."""
    if genlogs_path() is None:
        raise Skip("genlogs.py not found (set GENLOGS)")
    rng = random.Random(7)
    for pack, budgets in PACK_BUDGETS.items():
        data, _ = genlogs(PACKS[pack][0] if pack in PACKS else pack, 3000, 11)
        data, times = retime(data, rng, datetime.now(timezone.utc))
        lines = data.split(b"\n")[:-1]
        with tempfile.TemporaryDirectory() as tmp:
            path = os.path.join(tmp, "app.log")
            with open(path, "wb") as f:
                f.write(data)
            cfg = os.path.join(ROOT, "examples", pack, "exporter.yaml")
            t0 = time.time()
            rc, out, err = run(["--config.file=" + cfg, "--once", path])
            t1 = time.time()
            assert rc == 0, err
        e = Exposition(out)
        promtool_check(e.text)
        for name, family, match, kind, limit, warn in budgets:
            g = lambda fam: e.value("tokentail_budget_" + fam, budget=name)
            end = datetime.fromtimestamp(int(g("period_end_timestamp_seconds")),
                                         timezone.utc)
            start, end2 = period_of(kind, end - timedelta(seconds=1), UTC)
            assert end2 == end, (pack, name, end)
            used = pack_used(pack, lines, times, family, match, start, end)
            assert Decimal(g("used")) == used, (pack, name, g("used"), used)
            options = {project(used, start, end, datetime.fromtimestamp(s, timezone.utc))
                       for s in range(int(t0), int(t1) + 1)}
            assert Decimal(g("projected")) in options, (pack, name, g("projected"))
            fractions = warn or [Decimal("0.8"), Decimal(1)]
            if limit is None:
                assert g("limit") is None and g("remaining") is None
                fractions = []
            else:
                assert Decimal(g("limit")) == limit
                assert Decimal(g("remaining")) == limit - used
                assert Decimal(g("utilization_ratio")) == q(used / limit)
            warned = [Decimal(m.group(1)) for m in re.finditer(
                r'budget=%s period=\S+ start=\S+ end=\S+ used=\S+ limit=\S+ '
                r'fraction=(\S+)' % re.escape(name), err)]
            assert sorted(warned) == [f for f in fractions if used >= q(f * limit)], \
                (pack, name, warned, used)


# --- AegisRAG's usage answers ------------------------------------------------------

AEGIS_USAGE = ("aegis_llm_usage_requests_total", "aegis_llm_usage_cost_usd_total",
               "aegis_llm_usage_input_tokens_total", "aegis_llm_usage_output_tokens_total")


def usage_want(o, by, match):
    """The usage answer for every line fed to o: per metric its total,
    and per group of the `by` labels its value (a histogram: count, sum
    and average), as the pack's families add them."""
    def keep(k):
        return all(dict(k).get(a) == b for a, b in match.items())

    def group(k):
        return tuple(dict(k)[b] for b in by)
    out = {}
    for name in AEGIS_USAGE:
        groups = defaultdict(Decimal)
        for k, v in o.counters[name].items():
            if keep(k):
                groups[group(k)] += v
        out[name] = (sum(groups.values(), Decimal(0)), dict(groups))
    obs = defaultdict(list)
    for k, values in o.hists["aegis_llm_usage_latency_seconds"][1].items():
        if keep(k):
            obs[group(k)].extend(values)
    out["aegis_llm_usage_latency_seconds"] = (sum(obs.values(), []), dict(obs))
    return out


def hist_figures(values):
    s = sum(values, Decimal(0))
    return {"count": len(values), "sum": s,
            "average": q(s / len(values)) if values else None}


def check_usage_answer(got, want, by):
    assert set(got["metrics"]) == set(want)
    for name, (total, groups) in want.items():
        m = got["metrics"][name]
        assert ("by" in m) == bool(by), (name, by)
        if not by:
            groups = {}
        if name.endswith("_seconds"):
            assert {k: m[k] for k in ("count", "sum", "average")} == hist_figures(total), name
            rows = {tuple(g["labels"][b] for b in by): {k: g[k] for k in ("count", "sum", "average")}
                    for g in m.get("by", [])}
            assert rows == {k: hist_figures(v) for k, v in groups.items()}, (name, by)
        else:
            assert Decimal(m["total"]) == total, (name, m["total"], total)
            rows = {tuple(g["labels"][b] for b in by): Decimal(g["value"]) for g in m.get("by", [])}
            assert rows == groups, (name, by, rows, groups)


def test_aegis_usage():
    """AegisRAG's usage answers (by provider, model and task type, for one
    provider) from a backfill of its lines into a state file, read by the
    offline report: every figure exactly as the lines imply."""
    if genlogs_path() is None:
        raise Skip("genlogs.py not found (set GENLOGS)")
    data, _ = genlogs("aegis", 3000, 12)
    data, times = retime(data, random.Random(12), datetime.now(timezone.utc))
    o = Oracle(*PACKS["aegisrag"][2:])
    o.feed_lines(data, aegis)
    first = min(times).strftime("%Y-%m-%d")
    last = max(times).strftime("%Y-%m-%d")
    cfg = os.path.join(ROOT, "examples", "aegisrag", "exporter.yaml")
    env = {"TOKENTAIL_USAGE_TIMEZONE": "UTC"}
    with tempfile.TemporaryDirectory() as tmp:
        path, db = os.path.join(tmp, "aegis.log"), os.path.join(tmp, "q.db")
        with open(path, "wb") as f:
            f.write(data)
        rc, out, err = run(["--config.file=" + cfg, "--once", "--state.file=" + db, path],
                           env=env)
        assert rc == 0, err
        for by, match in (((), {}), (("provider",), {}), (("model",), {}),
                          (("task_type",), {}), (("model",), {"provider": "alibaba_cloud"}),
                          (("provider", "task_type"), {"model": "gpt-4o-mini"})):
            args = ["report", "usage", "--config.file=" + cfg, "--state.file=" + db,
                    "--format=json", "start_date=" + first, "end_date=" + last]
            args += ["by=" + ",".join(by)] if by else []
            args += ["%s=%s" % kv for kv in match.items()]
            rc, out, err = run(args, env=env)
            assert rc == 0, err
            got = json.loads(out, parse_float=Decimal)
            assert got["period"]["start_date"] == first and got["period"]["end_date"] == last
            check_usage_answer(got, usage_want(o, by, match), by)


if __name__ == "__main__":
    main([test_packs, test_mixed, test_flashcase_pack_is_the_default,
          test_pack_budgets, test_aegis_usage])
