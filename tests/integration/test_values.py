"""Values derived from fields, through the running daemon: expressions
(sums, a quotient, len() of an array), array elements from the start and
the end, numbers in text from regex and logfmt captures ("0040", "+1",
".5", "5."), gauges that add, keep a maximum or a minimum, a label's
fallback, a counter served as 0 before its first line, and Python's NaN
kept by an input that takes it.

Every value is compared with an exact computation here (Decimal, rounded
half to even at 10^-12 where tokentail rounds: a quotient, then its
scale), before a restart, after it (the gauges continue from their saved
values), and after a kill -9 in the middle of a batch (lines after the
last checkpoint are read again, exactly once).
"""
import json
import os
import random
import re
import tempfile
from collections import defaultdict
from decimal import ROUND_HALF_EVEN, Decimal

from harness import (Tokentail, assert_family, assert_histogram, labelset,
                     main, poll, promtool_check, write_config)

PICO = Decimal("1e-12")
RATE_BUCKETS = ["0.001", "0.01", "0.1"]
CHOICE_BUCKETS = ["1", "2", "4"]
TEXT_NUMBER = re.compile(r"[+-]?([0-9]+\.?[0-9]*|\.[0-9]+)([eE][+-]?[0-9]+)?")

CONFIG = """
inputs:
  - name: app
    paths: [{dir}/app.log]
    start_at: beginning
    parser: {{type: json, non_finite: missing}}
  - name: events
    paths: [{dir}/events.log]
    start_at: beginning
    parser:
      type: regex
      pattern: '^(?<event>\\w+) (?<route>\\S+) offset=(?<offset>\\S+)$'
  - name: kv
    paths: [{dir}/kv.log]
    start_at: beginning
    parser: logfmt

state: {{checkpoint_interval: 50ms}}

metrics:
  - name: llm_tokens_total
    type: counter
    inputs: [app]
    labels:
      model: model
      finish: {{field: choices.-1.finish_reason, default: none}}
    value: {{expr: "usage.prompt_tokens + usage.completion_tokens"}}
  - name: llm_first_choice_index_total
    type: counter
    inputs: [app]
    value: choices.0.index
  - name: llm_choices
    type: histogram
    inputs: [app]
    value: {{expr: "len(choices)"}}
    buckets: [1, 2, 4]
  - name: llm_seconds_per_token
    type: histogram
    inputs: [app]
    value: {{expr: "duration_ms / usage.completion_tokens", scale: 0.001}}
    buckets: [0.001, 0.01, 0.1]
  - name: llm_latency_max_seconds
    type: gauge
    update: max
    inputs: [app]
    value: {{field: duration_ms, scale: 0.001}}
  - name: llm_latency_min_seconds
    type: gauge
    update: min
    inputs: [app]
    value: {{field: duration_ms, scale: 0.001}}
  - name: app_errors_total
    type: counter
    inputs: [app]
    when: {{field: level, equals: error}}
  - name: requests_in_flight
    type: gauge
    update: add
    inputs: [events]
    labels:
      route: {{field: route, regex: '^(/api/[a-z]+)', otherwise: other}}
    values:
      - {{expr: "1", when: {{field: event, equals: start}}}}
      - {{expr: "-1", when: {{field: event, equals: end}}}}
  - name: clock_offset_seconds
    type: gauge
    inputs: [events]
    value: {{field: offset, scale: 0.001}}
  - name: kv_bytes_total
    type: counter
    inputs: [kv]
    labels: {{unit: {{field: unit, map: {{B: bytes, KiB: kibibytes}}, otherwise: unknown}}}}
    value: bytes
"""

MODELS = ["gpt-4o", "gpt-4o-mini"]
REASONS = ["stop", "length", "tool_calls"]
ROUTES = ["/api/chat", "/api/embed", "/static/x.js", "/health"]
TEXT_NUMBERS = ["0040", "+1", ".5", "5.", "12", "-0", "007.250", "1e3", "x",
                "1,5", " 3"]


def round12(d):
    return d.quantize(PICO, rounding=ROUND_HALF_EVEN)


def text_number(s):
    """A number in text as the README accepts it, or None."""
    return Decimal(s) if TEXT_NUMBER.fullmatch(s) else None


class Oracle:
    def __init__(self):
        self.tokens = defaultdict(Decimal)
        self.first_index = Decimal(0)
        self.choices = []
        self.rates = []
        self.max = self.min = None
        self.errors = 0
        self.in_flight = defaultdict(int)
        self.offset = None
        self.kv = defaultdict(Decimal)
        self.lines = defaultdict(int)

    def app(self, rec):
        self.lines["app"] += 1
        usage = rec.get("usage") or {}
        choices = rec.get("choices")
        p, c = usage.get("prompt_tokens"), usage.get("completion_tokens")
        if isinstance(p, (int, Decimal)) and isinstance(c, (int, Decimal)):
            last = choices[-1].get("finish_reason") if choices else None
            key = labelset(model=rec["model"], finish=last or "none")
            self.tokens[key] += Decimal(p) + Decimal(c)
        if choices and isinstance(choices[0].get("index"), int):
            self.first_index += choices[0]["index"]
        if isinstance(choices, list):
            self.choices.append(Decimal(len(choices)))
        d = rec.get("duration_ms")
        if isinstance(d, (int, Decimal)):
            if isinstance(c, (int, Decimal)) and c != 0:
                self.rates.append(round12(round12(Decimal(d) / Decimal(c)) *
                                          Decimal("0.001")))
            s = round12(Decimal(d) * Decimal("0.001"))
            self.max = s if self.max is None else max(self.max, s)
            self.min = s if self.min is None else min(self.min, s)
        if rec.get("level") == "error":
            self.errors += 1

    def event(self, event, route, offset):
        self.lines["events"] += 1
        if not re.fullmatch(r"\S+", offset):
            return  # the input's pattern does not match the line
        m = re.match(r"(/api/[a-z]+)", route)
        key = labelset(route=m.group(1) if m else "other")
        self.in_flight[key] += {"start": 1, "end": -1}.get(event, 0)
        if event in ("start", "end") and key not in self.in_flight:
            self.in_flight[key] = 0
        v = text_number(offset)
        if v is not None:
            self.offset = round12(v * Decimal("0.001"))

    def kv_line(self, unit, text):
        self.lines["kv"] += 1
        v = text_number(text)
        if v is not None and v >= 0:
            label = {"B": "bytes", "KiB": "kibibytes"}.get(unit, "unknown")
            self.kv[labelset(unit=label)] += v

    def check(self, e):
        one = lambda v: {} if v is None else {frozenset(): v}
        many = lambda vs: {frozenset(): vs} if vs else {}
        assert_family(e, "llm_tokens_total", self.tokens)
        assert_family(e, "llm_first_choice_index_total", one(self.first_index))
        assert_histogram(e, "llm_choices", CHOICE_BUCKETS, many(self.choices))
        assert_histogram(e, "llm_seconds_per_token", RATE_BUCKETS,
                         many(self.rates))
        assert_family(e, "llm_latency_max_seconds", one(self.max))
        assert_family(e, "llm_latency_min_seconds", one(self.min))
        assert_family(e, "app_errors_total", one(self.errors))
        assert_family(e, "requests_in_flight", self.in_flight)
        assert_family(e, "clock_offset_seconds", one(self.offset))
        assert_family(e, "kv_bytes_total", self.kv)


class Writer:
    """Lines for the three inputs, each recorded by the oracle."""

    def __init__(self, tmp, seed):
        self.tmp = tmp
        self.rnd = random.Random(seed)
        self.oracle = Oracle()

    def batch(self, n):
        rnd, o = self.rnd, self.oracle
        app, events, kv = [], [], []
        for _ in range(n):
            rec = {"model": rnd.choice(MODELS), "level": rnd.choice(["info"] * 5 + ["error"])}
            if rnd.random() < 0.9:
                rec["usage"] = {"prompt_tokens": rnd.randrange(0, 5000),
                                "completion_tokens": rnd.randrange(0, 900)}
            if rnd.random() < 0.9:
                rec["choices"] = [{"index": i, "finish_reason": rnd.choice(REASONS)}
                                  for i in range(rnd.randrange(0, 6))]
                if rec["choices"] and rnd.random() < 0.2:
                    del rec["choices"][-1]["finish_reason"]
            if rnd.random() < 0.95:
                rec["duration_ms"] = Decimal(rnd.randrange(1, 10 ** 7)) / 1000
            line = json.dumps(rec, default=str)
            # A JSON number, not a string: default=str quoted the Decimal.
            line = re.sub(r'"duration_ms": "([0-9.]+)"', r'"duration_ms": \1', line)
            if rnd.random() < 0.05:
                line = line[:-1] + ', "score": NaN}'
                rec["score"] = None
            if rnd.random() < 0.03 and "duration_ms" in rec:
                line = re.sub(r'"duration_ms": [0-9.]+', '"duration_ms": Infinity', line)
                del rec["duration_ms"]
            app.append(line)
            o.app(json.loads(line, parse_float=Decimal,
                             parse_constant=lambda c: None))
            ev = rnd.choice(["start", "start", "end", "end", "tick"])
            route, off = rnd.choice(ROUTES), rnd.choice(TEXT_NUMBERS)
            events.append("%s %s offset=%s" % (ev, route, off))
            o.event(ev, route, off)
            unit, b = rnd.choice(["B", "KiB", "MB"]), rnd.choice(TEXT_NUMBERS)
            kv.append('unit=%s bytes="%s"' % (unit, b))
            o.kv_line(unit, b)
        for name, lines in (("app", app), ("events", events), ("kv", kv)):
            with open(os.path.join(self.tmp, name + ".log"), "a") as f:
                f.write("\n".join(lines) + "\n")

    def wait(self, t):
        """The scrape once every file is open and read to its end (the
        line counts restart with the daemon, and after a kill -9 it reads
        again what followed its last checkpoint)."""
        def done():
            e = t.scrape()
            for name in ("app", "events", "kv"):
                if (e.value("tokentail_files_watched", input=name) != "1" or
                        e.value("tokentail_lag_bytes", input=name) != "0"):
                    return None
            return e
        return poll("every file read to its end", done, 30)


def test_values_through_restarts():
    with tempfile.TemporaryDirectory() as tmp:
        for name in ("app", "events", "kv"):
            open(os.path.join(tmp, name + ".log"), "w").close()
        cfg = write_config(tmp, CONFIG.format(dir=tmp))
        state = os.path.join(tmp, "state.db")
        w = Writer(tmp, 3)

        t = Tokentail(cfg, state=state)
        try:
            # Before any line: the counter without labels is there, at 0.
            e = t.scrape()
            assert e.value("app_errors_total") == "0"
            assert e.family("llm_tokens_total") == {}
            w.batch(3000)
            e = w.wait(t)
            w.oracle.check(e)
            promtool_check(e.text)
            assert e.value("tokentail_metric_updates_skipped_total",
                           metric="llm_seconds_per_token",
                           reason="division_by_zero") != "0"
        finally:
            t.stop()

        # Restarted: every value continues, the gauges from their saved ones.
        t = Tokentail(cfg, state=state)
        try:
            w.oracle.check(w.wait(t))
            w.batch(2000)
            w.oracle.check(w.wait(t))
            # kill -9 while a batch is read, or just after: what followed the
            # last checkpoint is read again, nothing lost, nothing twice.
            w.batch(20000)
            poll("the batch begun", lambda: int(t.scrape().value(
                "tokentail_lines_read_total", input="app")) > 5000, 30)
            t.proc.kill()
            t.proc.wait()
            t.stderr.close()
        except BaseException:
            t.stop()
            raise

        t = Tokentail(cfg, state=state)
        try:
            w.oracle.check(w.wait(t))
        finally:
            t.stop()


if __name__ == "__main__":
    main([test_values_through_restarts])
