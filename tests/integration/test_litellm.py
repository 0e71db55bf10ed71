"""examples/litellm: LiteLLM spend logs, whose latency is only the gap
between startTime and endTime. Lines in the shapes LiteLLM writes (times
without an offset, with Z or +00:00, float Unix seconds from the
StandardLoggingPayload), streaming requests with a completionStartTime,
failures, and lines that are broken or lack a time, are read with --once;
every series of every family, the update skips and the event-time
fallbacks are compared with values computed here, independently: Python's
json with Decimal, times parsed by regular expression into exact decimal
seconds, sums in Decimal. Event times are set 40 to 41 days back, so that
every line's lateness is beyond the last bucket whatever the clock says;
the lateness sum is checked against the clock read before and after.
"""
import json
import os
import random
import re
import tempfile
import time
from collections import defaultdict
from datetime import datetime, timezone
from decimal import Decimal

from harness import ROOT, Exposition, labelset, main, promtool_check, run

CONFIG = os.path.join(ROOT, "examples", "litellm", "exporter.yaml")
DURATION_BUCKETS = ["0.1", "0.25", "0.5", "1", "2.5", "5", "10", "30", "60", "120"]
TTFT_BUCKETS = ["0.05", "0.1", "0.25", "0.5", "1", "2.5", "5", "10"]
LATENESS_BUCKETS = ["0.01", "0.05", "0.25", "1", "5", "15", "60", "300", "900",
                    "3600", "21600", "86400", "604800", "2592000"]
MODELS = ["gpt-4o-mini", "gpt-4o", "claude-3-5-sonnet", "qwen-turbo"]
USERS = ["alice", "bob", "", None]
# LiteLLM logs the SHA-256 of each virtual key.
KEYS = ["%064x" % (0x88dc28d0 << 224 | k) for k in range(5)]
EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)

ISO = re.compile(r"^(\d{4})-(\d\d)-(\d\d)[T ](\d\d):(\d\d):(\d\d)(?:\.(\d+))?"
                 r"(Z|[+-]\d\d:\d\d)?$")


def seconds(v):
    """A LiteLLM time as exact seconds since the epoch, or None."""
    if isinstance(v, Decimal) or (isinstance(v, int) and not isinstance(v, bool)):
        return Decimal(v)
    if not isinstance(v, str):
        return None
    m = ISO.match(v)
    if not m:
        return None
    y, mo, d, h, mi, s = (int(g) for g in m.groups()[:6])
    whole = datetime(y, mo, d, h, mi, s, tzinfo=timezone.utc) - EPOCH
    t = Decimal(whole.days * 86400 + whole.seconds)
    if m.group(7):
        t += Decimal("0." + m.group(7))
    zone = m.group(8)
    if zone and zone != "Z":
        sign = -1 if zone[0] == "-" else 1
        t -= sign * (int(zone[1:3]) * 3600 + int(zone[4:6]) * 60)
    return t


def write_time(t, shape):
    """Exact seconds t in one of the shapes LiteLLM's logs use."""
    whole = int(t // 1)
    frac = t - whole
    dt = datetime.fromtimestamp(whole, timezone.utc)
    if shape == "number":
        return t  # a JSON number, as the StandardLoggingPayload writes it
    text = dt.strftime("%Y-%m-%dT%H:%M:%S") + "." + ("%.6f" % frac)[2:]
    return text + {"bare": "", "z": "Z", "offset": "+00:00"}[shape]


def dump(rec):
    """A JSON line with Decimals written as the exact numbers they are."""
    text = json.dumps(rec, default=lambda d: "@@%s@@" % d)
    return re.sub(r'"@@([-0-9.E]+)@@"', r"\1", text).encode()


def generate(n, now, seed):
    rng = random.Random(seed)
    base = (Decimal(int(now)) - 41 * 86400).quantize(Decimal(1))
    lines = []
    for i in range(n):
        start = base + Decimal(i) * Decimal("0.5") + Decimal(rng.randrange(0, 10**6)) / 10**6
        latency = Decimal(rng.choice([rng.randrange(50, 900), rng.randrange(900, 70000),
                                      rng.randrange(70000, 200000)])) / 1000
        shape = rng.choice(["bare", "bare", "z", "offset", "number"])
        status = rng.choice(["success"] * 5 + ["failure"])
        prompt = rng.randrange(1, 4000) if status == "success" else 0
        completion = rng.randrange(1, 2000) if status == "success" else 0
        rec = {
            "request_id": "chatcmpl-%06d" % i,
            "call_type": "acompletion",
            "api_key": rng.choice(KEYS),
            "spend": Decimal(rng.randrange(0, 5000000)) / 10**9 if status == "success" else 0,
            "total_tokens": prompt + completion,
            "prompt_tokens": prompt,
            "completion_tokens": completion,
            "startTime": write_time(start, shape),
            "endTime": write_time(start + latency, shape),
            "model": rng.choice(MODELS),
            "status": status,
            "cache_hit": "False",
        }
        user = rng.choice(USERS)
        if user is not None:
            rec["user"] = user
        if rng.random() < 0.3:
            ttft = (latency * Decimal(rng.randrange(1, 100)) / 100).quantize(Decimal("0.000001"))
            rec["completionStartTime"] = write_time(start + ttft, shape)
        kind = rng.random()
        if kind < 0.02:
            del rec["endTime"]
        elif kind < 0.03:
            rec["endTime"] = "yesterday"
        elif kind < 0.04:
            rec["endTime"] = None
        lines.append(dump(rec))
    lines.append(b"not json at all")
    lines.append(b'{"startTime": 1, "endTime": 1761061342000}')
    return b"\n".join(lines) + b"\n"


class Oracle:
    def __init__(self):
        self.requests = defaultdict(Decimal)
        self.durations = defaultdict(list)
        self.ttft = defaultdict(list)
        self.spend = defaultdict(Decimal)
        self.tokens = defaultdict(Decimal)
        self.skips = defaultdict(int)
        self.fallbacks = {"missing": 0, "unparsable": 0, "out_of_range": 0}
        self.ends = []

    def feed(self, raw):
        try:
            rec = json.loads(raw, parse_float=Decimal)
        except ValueError:
            return
        if not isinstance(rec, dict):
            return
        model, status = rec.get("model"), rec.get("status")
        user = rec.get("user")
        user = "" if user is None else user
        end = seconds(rec.get("endTime"))
        if rec.get("endTime") is None:
            self.fallbacks["missing"] += 1
        elif end is None:
            self.fallbacks["unparsable"] += 1
        elif not (Decimal(-62135596800) <= end < Decimal(253402300800)):
            self.fallbacks["out_of_range"] += 1
        else:
            self.ends.append(end)
        if model is None:
            return
        if status is not None:
            self.requests[labelset(model=model, status=status, user=user)] += 1
        start = seconds(rec.get("startTime"))
        if rec.get("endTime") is None:
            self.skips["field_missing"] += 1
        elif end is None:
            self.skips["unparsable"] += 1
        else:
            self.durations[labelset(model=model)].append(end - start)
        if rec.get("completionStartTime") is not None:
            first = seconds(rec["completionStartTime"])
            self.ttft[labelset(model=model)].append(first - start)
        key = rec["api_key"][:16]
        self.spend[labelset(model=model, api_key=key, user=user)] += Decimal(rec["spend"])
        for kind in ("prompt", "completion"):
            self.tokens[labelset(model=model, type=kind)] += rec[kind + "_tokens"]

    def check(self, e):
        def same(name, want):
            got = e.family(name)
            assert set(got) == set(want), "%s: series differ\n got %s\nwant %s" % (
                name, sorted(map(sorted, got)), sorted(map(sorted, want)))
            for k, v in want.items():
                assert Decimal(got[k]) == v, "%s%s: got %s want %s" % (name, dict(k), got[k], v)

        def histogram(name, bounds, want):
            buckets, sums, counts = e.histogram(name)
            assert set(buckets) == set(want), name
            for k, values in want.items():
                w = {b: sum(1 for v in values if v <= Decimal(b)) for b in bounds}
                w["+Inf"] = len(values)
                assert {le: int(c) for le, c in buckets[k].items()} == w, (name, dict(k))
                assert Decimal(sums[k]) == sum(values), (name, dict(k), sums[k], sum(values))
                assert int(counts[k]) == len(values)

        same("litellm_requests_total", self.requests)
        same("litellm_spend_usd_total", self.spend)
        same("litellm_tokens_total", self.tokens)
        histogram("litellm_request_duration_seconds", DURATION_BUCKETS, self.durations)
        histogram("litellm_time_to_first_token_seconds", TTFT_BUCKETS, self.ttft)
        m = "litellm_request_duration_seconds"
        for reason in ("field_missing", "unparsable"):
            got = e.value("tokentail_metric_updates_skipped_total", metric=m, reason=reason)
            assert int(got) == self.skips[reason], (reason, got, self.skips[reason])
        for reason, n in self.fallbacks.items():
            got = e.value("tokentail_event_time_fallbacks_total", input="litellm",
                          reason=reason)
            assert int(got) == n, (reason, got, n)


def test_litellm_spend_logs():
    before = Decimal(repr(time.time()))
    data = generate(3000, time.time(), 7)
    oracle = Oracle()
    for raw in data.split(b"\n")[:-1]:
        oracle.feed(raw)
    assert len(oracle.ends) > 2800 and sum(oracle.skips.values()) > 30
    assert sum(oracle.fallbacks.values()) > 30 and len(oracle.ttft) == len(MODELS)
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "spend.log")
        with open(path, "wb") as f:
            f.write(data)
        rc, out, err = run(["--config.file=" + CONFIG, "--once", path])
        after = Decimal(repr(time.time()))
        assert rc == 0, err
    e = Exposition(out)
    promtool_check(out)
    oracle.check(e)
    # Every line with a time is 40 days old or more: beyond the last bucket.
    buckets, sums, counts = e.histogram("tokentail_event_lateness_seconds")
    k = labelset(input="litellm")
    assert int(counts[k]) == len(oracle.ends)
    assert {le: int(c) for le, c in buckets[k].items()} == dict(
        {b: 0 for b in LATENESS_BUCKETS}, **{"+Inf": len(oracle.ends)})
    # Read between before and after, by a clock a few ms coarse.
    low = sum(before - Decimal("0.05") - t for t in oracle.ends)
    high = sum(after - t for t in oracle.ends)
    assert low <= Decimal(sums[k]) <= high, (low, sums[k], high)
    assert e.value("tokentail_event_time_ahead_total", input="litellm") == "0"


if __name__ == "__main__":
    main([test_litellm_spend_logs])
