"""The usage reports through the real binary: every answer of GET
/api/v1/usage and every row of GET /api/v1/usage/export equals what an
independent computation from the same lines gives (Python's zoneinfo and
Decimal), and `tokentail report` prints the same answers from the state
file, to the byte.

The lines span several months back from today, a leap day (2024-02-29),
the zone's summer-time changes where it has them, month ends, and the
last week (whose hours are kept); their times come out of order. They are
read across a restart and a kill -9, in three zones: Europe/Berlin (summer
time), Asia/Kolkata (+05:30, so its local hours start at half past in
UTC) and America/New_York (west of UTC, summer time on other dates than
Berlin's). Answers about the current period use the dates the server
returns, so that a test running at midnight does not fail.

Then every refusal: 400 for each bad parameter with the sentence naming
it (the same sentence `tokentail report` prints, exiting 2), 404 without a
usage section, 405 for other methods; and the report's own errors.
"""
import csv
import io
import json
import os
import random
import socket
import tempfile
import time
import urllib.parse
from datetime import date, datetime, timedelta, timezone
from decimal import ROUND_HALF_EVEN, Decimal
from zoneinfo import ZoneInfo

from harness import SLOW, Tokentail, main, poll, run, write_config

ZONES = ("Europe/Berlin", "Asia/Kolkata", "America/New_York")
HOUR = 3600
DAY = 86400
SIZE = 1 if SLOW <= 1 else 0.1  # valgrind: smaller workloads
PICO = Decimal("1e-12")
EPOCH = date(1970, 1, 1)

CONFIG = """
inputs:
  - name: app
    paths: [%(dir)s/*.log]
    start_at: beginning
    time: ts
    reconcile_interval: 200ms
state:
  checkpoint_interval: %(checkpoint)s
metrics:
  - name: tokens_total
    type: counter
    value: tokens
    labels: {model: model, user: user}
  - name: cost_usd_total
    type: counter
    value: cost
    labels: {model: model}
  - name: latency_seconds
    type: histogram
    value: ms
    scale: 0.001
    buckets: [0.1, 1]
    labels: {model: model}
  - name: requests_total
    type: counter
    labels: {route: route}
usage:
  metrics: [tokens_total, cost_usd_total, latency_seconds, requests_total]
  timezone: %(zone)s
  retention: 1200d
"""

# name: (type, labels), as configured
METRICS = {
    "tokens_total": ("counter", ("model", "user")),
    "cost_usd_total": ("counter", ("model",)),
    "latency_seconds": ("histogram", ("model",)),
    "requests_total": ("counter", ("route",)),
}
MODELS = ["gpt-4o-mini", "qwen-turbo", "claude \"3\"", "llama,3"]
USERS = ["u1", "u2", ""]
ROUTES = ["/v1/chat", "/v1/embed"]


# --- the lines and what they imply ---------------------------------------------

class Oracle:
    """What each series added per (day) and per (hour start) in a zone."""

    def __init__(self, zone):
        self.zone = zone
        self.tz = ZoneInfo(zone)
        self.days = {}   # (metric, labels, day) -> [sum, count]
        self.hours = {}  # (metric, labels, hour start) -> [sum, count]

    def place(self, t):
        """(day number, hour start) of the instant t: hours start at each
        whole hour of the local clock."""
        s = int(t // 1)
        local = datetime.fromtimestamp(s, self.tz)
        off = int(local.utcoffset().total_seconds())
        return (local.date() - EPOCH).days, s - (s + off) % HOUR

    def add(self, metric, labels, t, value, count):
        day, hour = self.place(t)
        for table, period in ((self.days, day), (self.hours, hour)):
            cell = table.setdefault((metric, labels, period), [Decimal(0), 0])
            cell[0] += value
            cell[1] += count

    def feed(self, rec, t):
        m = rec["model"]
        self.add("tokens_total", (m, rec["user"]), t, Decimal(rec["tokens"]), 0)
        self.add("cost_usd_total", (m,), t, Decimal(rec["cost"]), 0)
        if "ms" in rec:
            self.add("latency_seconds", (m,), t,
                     (Decimal(rec["ms"]) / 1000).quantize(PICO), 1)
        self.add("requests_total", (rec["route"],), t, Decimal(1), 0)

    # -- the answers

    def day_start(self, day):
        d = EPOCH + timedelta(days=day)
        return datetime(d.year, d.month, d.day, tzinfo=self.tz)

    def summary(self, metrics, first, last, by, filters):
        """The /api/v1/usage answer's metrics for days [first, last]."""
        out = {}
        for name in metrics:
            kind, labels = METRICS[name]
            mine = [b for b in by if b in labels]
            groups, total = {}, [Decimal(0), 0]
            for (m, values, day), (s, c) in self.days.items():
                if m != name or not first <= day <= last:
                    continue
                named = dict(zip(labels, values))
                if any(k in named and named[k] != v for k, v in filters.items()):
                    continue
                key = tuple(named[b] for b in mine)
                g = groups.setdefault(key, [Decimal(0), 0])
                g[0] += s
                g[1] += c
                total[0] += s
                total[1] += c
            entry = {"type": kind}
            entry.update(amount(kind, "total", total))
            if by:
                if not mine:
                    entry["by"] = [dict({"labels": {}}, **amount(kind, "value", total))]
                else:
                    entry["by"] = [
                        dict({"labels": dict(zip(mine, k))}, **amount(kind, "value", g))
                        for k, g in sorted(groups.items(),
                                           key=lambda kv: [v.encode() for v in kv[0]])]
            out[name] = entry
        return out

    def rows(self, name, grain, lo, hi, filters):
        """Export rows (start, end, values, sum, count) with periods in
        [lo, hi): day numbers or hour starts."""
        labels = METRICS[name][1]
        table = self.days if grain == "day" else self.hours
        out = []
        for (m, values, p), (s, c) in table.items():
            named = dict(zip(labels, values))
            if m != name or not lo <= p < hi or any(
                    k in named and named[k] != v for k, v in filters.items()):
                continue
            if grain == "day":
                start = self.day_start(p)
                end = self.day_start(p + 1)
            else:
                start = datetime.fromtimestamp(p, self.tz)
                end = datetime.fromtimestamp(p + HOUR, self.tz)
            out.append((p, [v.encode() for v in values], start.isoformat(),
                        end.isoformat(), values, s, c))
        out.sort(key=lambda r: (r[0], r[1]))
        return [r[2:] for r in out]


def amount(kind, key, a):
    s, c = a
    if kind == "counter":
        return {key: s}
    avg = (s / c).quantize(PICO, rounding=ROUND_HALF_EVEN) if c else None
    return {"count": c, "sum": s, "average": avg}


def stamp(t, tz):
    """RFC 3339: whole seconds with Z, or milliseconds with the local
    offset, as services write them."""
    if int(t * 1000) % 2:
        return datetime.fromtimestamp(t, tz).isoformat(timespec="milliseconds")
    return datetime.fromtimestamp(int(t), timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def make_lines(rng, times, oracle):
    out = []
    for t in times:
        rec = {"model": rng.choice(MODELS), "user": rng.choice(USERS),
               "route": rng.choice(ROUTES), "tokens": rng.randint(0, 5000),
               "cost": str(Decimal(rng.randint(0, 10 ** 7)) / 10 ** 8)}
        if rng.random() < 0.7:
            rec["ms"] = "%d.%d" % (rng.randint(0, 3000), rng.randint(0, 9))
        rec["ts"] = stamp(t, oracle.tz)
        oracle.feed(rec, datetime.fromisoformat(
            rec["ts"].replace("Z", "+00:00")).timestamp())
        out.append(json.dumps(rec) + "\n")
    return "".join(out).encode()


def transitions(tz, year):
    """The instants of year where the zone's offset changes."""
    out = []
    t = datetime(year, 1, 1, tzinfo=timezone.utc).timestamp()
    end = datetime(year + 1, 1, 1, tzinfo=timezone.utc).timestamp()
    prev = datetime.fromtimestamp(t, tz).utcoffset()
    while t < end:
        t += HOUR
        off = datetime.fromtimestamp(t, tz).utcoffset()
        if off != prev:
            out.append(t)
            prev = off
    return out


def times_of(rng, zone, now, n):
    """Times out of order: the leap day, the summer-time changes of 2025,
    the month ends of the last months, months back, and the last week."""
    tz = ZoneInfo(zone)

    def span(a, b, k):
        return [rng.uniform(a, b) for _ in range(max(k, 1))]
    leap = datetime(2024, 2, 28, 12, tzinfo=tz).timestamp()
    times = span(leap, leap + 2 * DAY, n // 6)
    for t in transitions(tz, 2025):
        times += span(t - 3 * HOUR, t + 3 * HOUR, n // 12)
    today = datetime.fromtimestamp(now, tz).date()
    for back in (1, 2, 3):
        first = (today.replace(day=1) - timedelta(days=31 * (back - 1)))
        first = first.replace(day=1)
        edge = datetime(first.year, first.month, 1, tzinfo=tz).timestamp()
        if edge < now - DAY:
            times += span(edge - 2 * HOUR, edge + 2 * HOUR, n // 20)
    times += span(now - 200 * DAY, now - 9 * DAY, n // 4)
    times += span(now - 7 * DAY, now - 60, n - len(times))
    rng.shuffle(times)
    return times


# --- asking ----------------------------------------------------------------------

def get(t, path, params):
    q = urllib.parse.urlencode(params)
    return t.request(path + ("?" + q if q else ""))


def as_json(body):
    return json.loads(body, parse_float=Decimal, parse_int=Decimal)


def day_of(text):
    return (date.fromisoformat(text) - EPOCH).days


def date_of(day):
    return (EPOCH + timedelta(days=day)).isoformat()


def check_summary(t, oracle, params):
    """Asks /api/v1/usage; compares with the oracle for the dates the
    server answers for. Returns the body."""
    status, headers, body = get(t, "/api/v1/usage", params)
    assert status == 200, (params, status, body)
    assert headers["Content-Type"] == "application/json", headers
    got = as_json(body)
    period = got["period"]
    first, last = day_of(period["start_date"]), day_of(period["end_date"])
    assert period["days"] == last - first + 1, period
    assert period["timezone"] == oracle.zone, period
    metrics = [v for k, v in params if k == "metric"] or list(METRICS)
    by = next((v.split(",") for k, v in params if k == "by"), [])
    reserved = ("metric", "period", "start_date", "end_date", "by")
    filters = {k: v for k, v in params if k not in reserved}
    want = oracle.summary(metrics, first, last, by, filters)
    assert list(got["metrics"]) == metrics, (got["metrics"].keys(), metrics)
    for name in metrics:
        assert got["metrics"][name] == want[name], (
            params, name, got["metrics"][name], want[name])
    return body, first, last


def check_export(t, oracle, params, first, last, fmt):
    """Asks /api/v1/usage/export in fmt; compares every row. Returns the
    body."""
    status, headers, body = get(t, "/api/v1/usage/export",
                                params + [("format", fmt)])
    assert status == 200, (params, status, body)
    name = dict(params)["metric"]
    grain = dict(params).get("granularity", "day")
    kind, labels = METRICS[name]
    filters = {k: v for k, v in params
               if k not in ("metric", "granularity", "start_date", "end_date")}
    if grain == "day":
        lo, hi = first, last + 1
    else:
        lo = int(oracle.day_start(first).timestamp())
        hi = int(oracle.day_start(last + 1).timestamp())
    want = oracle.rows(name, grain, lo, hi, filters)
    disposition = 'attachment; filename="%s_%s_%s_%s.%s"' % (
        name, date_of(first), date_of(last), grain, fmt)
    assert headers["Content-Disposition"] == disposition, headers
    if fmt == "csv":
        assert headers["Content-Type"] == "text/csv; charset=utf-8", headers
        rows = list(csv.reader(io.StringIO(body.decode(), newline="")))
        assert body.endswith(b"\r\n") or not rows
        tail = ["count", "sum"] if kind == "histogram" else ["value"]
        assert rows[0] == ["start", "end"] + list(labels) + tail, rows[0]
        got = []
        for r in rows[1:]:
            n = len(labels)
            amt = ((Decimal(r[2 + n + 1]), int(r[2 + n])) if kind == "histogram"
                   else (Decimal(r[2 + n]), 0))
            got.append((r[0], r[1], tuple(r[2:2 + n])) + amt)
    else:
        assert headers["Content-Type"] == "application/json", headers
        got = []
        for r in as_json(body)["records"]:
            assert list(r["labels"]) == list(labels), r
            amt = ((r["sum"], int(r["count"])) if kind == "histogram"
                   else (r["value"], 0))
            got.append((r["start"], r["end"], tuple(r["labels"].values())) + amt)
    assert len(got) == len(want), (params, fmt, len(got), len(want))
    for g, w in zip(got, want):
        assert g == tuple(w), (params, fmt, g, w)
    return body


def report(cfg, state, kind, params, fmt):
    args = (["report", kind, "--config.file=" + cfg, "--state.file=" + state,
             "--format=" + fmt] + ["%s=%s" % kv for kv in params])
    return run(args)


# --- the answers compared -----------------------------------------------------------

def summary_queries(oracle, now):
    """Parameter lists for /api/v1/usage."""
    today = oracle.place(now)[0]
    leap = day_of("2024-02-29")
    ranges = [(leap - 1, leap + 1), (leap, leap), (today - 200, today),
              (day_of("2024-01-01"), today)]
    for t in transitions(oracle.tz, 2025):
        d = oracle.place(t)[0]
        ranges += [(d, d), (d - 1, d + 1)]
    first_of_month = day_of(date.fromtimestamp(now).replace(day=1).isoformat())
    ranges.append((first_of_month - 1, first_of_month))
    out = []
    for lo, hi in ranges:
        dates = [("start_date", date_of(lo)), ("end_date", date_of(hi))]
        out += [dates, dates + [("by", "model")],
                dates + [("by", "model,user"), ("metric", "tokens_total")],
                dates + [("by", "user,model"), ("model", "llama,3")],
                dates + [("model", "claude \"3\""), ("by", "route")],
                dates + [("metric", "latency_seconds"), ("by", "model")],
                dates + [("user", ""), ("metric", "tokens_total"),
                         ("metric", "requests_total")]]
    for period in ("day", "week", "month", "year"):
        out += [[("period", period)], [("period", period), ("by", "model")]]
    out.append([])
    return out


def compare_all(t, oracle, cfg, state, check_report):
    now = time.time()
    answers = []
    for params in summary_queries(oracle, now):
        body, first, last = check_summary(t, oracle, params)
        answers.append(("usage", params, "json", body))
    today = oracle.place(now)[0]
    # Hours: from well within the hourly window (8 days), so that the
    # window's start may pass a midnight while the test runs.
    hour_from = oracle.place(now - 8 * DAY)[0] + 2
    hour_dates = [("start_date", date_of(hour_from)),
                  ("end_date", date_of(today))]
    all_dates = [("start_date", "2024-01-01"), ("end_date", date_of(today))]
    for name in METRICS:
        for params, first, last in (
                ([("metric", name)] + all_dates, day_of("2024-01-01"), today),
                ([("metric", name), ("granularity", "hour")] + hour_dates,
                 hour_from, today),
                ([("metric", name), ("model", "qwen-turbo")] + all_dates,
                 day_of("2024-01-01"), today)):
            if name == "requests_total" and ("model", "qwen-turbo") in params:
                continue
            for fmt in ("csv", "json"):
                body = check_export(t, oracle, params, first, last, fmt)
                answers.append(("export", params, fmt, body))
    if check_report:
        # Under valgrind each report is a slow start: a sample of them.
        for kind, params, fmt, body in answers[::1 if SLOW <= 1 else 10]:
            rc, out, err = report(cfg, state, kind, params, fmt)
            assert rc == 0, (kind, params, err)
            assert out.encode() == body, (kind, params, fmt, out[:300], body[:300])


def abandon_export(t):
    """A client that goes away in the middle of an export: the daemon
    drops the rest and answers the next request."""
    s = socket.create_connection(("127.0.0.1", t.port), timeout=10 * SLOW)
    s.sendall(b"GET /api/v1/usage/export?metric=tokens_total&format=json&"
              b"start_date=2024-01-01&end_date=2030-12-31 HTTP/1.1\r\n"
              b"Host: x\r\n\r\n")
    assert s.recv(100).startswith(b"HTTP/1.1 200 OK")
    s.close()
    status, _, _ = get(t, "/api/v1/usage", [])
    assert status == 200


def config(tmp, zone, checkpoint="200ms"):
    return write_config(tmp, CONFIG % {"dir": tmp, "checkpoint": checkpoint,
                                       "zone": zone})


def totals_equal(t, oracle):
    """Whether the all-time totals match: every line counted, once."""
    status, _, body = get(t, "/api/v1/usage", [("start_date", "2020-01-01"),
                                               ("end_date", "2030-12-31")])
    got = as_json(body)["metrics"]
    want = oracle.summary(list(METRICS), day_of("2020-01-01"),
                          day_of("2030-12-31"), [], {})
    return status == 200 and got == want


def append(path, data):
    with open(path, "ab") as f:
        f.write(data)


def one_zone(zone, seed):
    rng = random.Random(seed)
    with tempfile.TemporaryDirectory() as tmp:
        oracle = Oracle(zone)
        app = os.path.join(tmp, "app.log")
        state = os.path.join(tmp, "state.db")
        now = time.time()
        cfg = config(tmp, zone)
        append(app, make_lines(rng, times_of(rng, zone, now, int(3000 * SIZE)),
                               oracle))
        t = Tokentail(cfg, state=state)
        try:
            poll("every line counted", lambda: totals_equal(t, oracle), 120)
        finally:
            t.stop()

        # A restart; more lines; kill -9 while they are read and saved.
        t = Tokentail(config(tmp, zone, "50ms"), state=state)
        append(app, make_lines(rng, times_of(rng, zone, now, int(3000 * SIZE)),
                               oracle))
        poll("some lines read", lambda: int(t.scrape().value(
            "tokentail_lines_read_total", input="app") or 0) > 0, 60)
        t.kill()

        t = Tokentail(cfg, state=state)
        try:
            append(app, make_lines(rng, times_of(rng, zone, now, int(1000 * SIZE)),
                                   oracle))
            poll("every line counted once", lambda: totals_equal(t, oracle), 120)
            compare_all(t, oracle, cfg, state, False)
            abandon_export(t)
        finally:
            t.stop()
        # Stopped, everything saved: the report reads the same answers.
        t = Tokentail(cfg, state=state)
        try:
            poll("every line counted", lambda: totals_equal(t, oracle), 120)
            compare_all(t, oracle, cfg, state, True)
        finally:
            t.stop()


def test_berlin():
    one_zone("Europe/Berlin", 1)


def test_kolkata():
    one_zone("Asia/Kolkata", 2)


def test_new_york():
    one_zone("America/New_York", 3)


# --- budgets ----------------------------------------------------------------------------

BUDGETS = """
budgets:
  - {name: gpt_month, metric: tokens_total, match: {model: gpt-4o-mini},
     period: month, limit: 1000000}
  - {name: cost_day, metric: cost_usd_total, period: day, limit: unlimited}
"""


def test_budgets_report():
    """tokentail report budgets: the figures GET /api/v1/budgets gives,
    each budget's used what the lines of its current period add up to."""
    rng = random.Random(4)
    with tempfile.TemporaryDirectory() as tmp:
        zone = "Asia/Kolkata"
        oracle = Oracle(zone)
        state = os.path.join(tmp, "state.db")
        cfg = write_config(tmp, CONFIG % {"dir": tmp, "checkpoint": "200ms",
                                          "zone": zone} + BUDGETS)
        now = time.time()
        append(os.path.join(tmp, "app.log"), make_lines(
            rng, [rng.uniform(now - 40 * DAY, now - 60) for _ in range(300)],
            oracle))
        t = Tokentail(cfg, state=state)
        try:
            poll("every line counted", lambda: totals_equal(t, oracle), 60)
            status, _, body = t.request("/api/v1/budgets")
            assert status == 200, body
        finally:
            t.stop()
        served = as_json(body)["budgets"]
        rc, out, err = run(["report", "budgets", "--config.file=" + cfg,
                            "--state.file=" + state, "--format=json"])
        assert rc == 0, err
        offline = as_json(out)["budgets"]
        for name, metric, match in (("gpt_month", "tokens_total",
                                     {"model": "gpt-4o-mini"}),
                                    ("cost_day", "cost_usd_total", {})):
            a = next(b for b in served if b["name"] == name)
            b = next(b for b in offline if b["name"] == name)
            if a["period"] != b["period"]:
                # A new day began between the two: nothing to compare.
                assert a["period"]["end"] == b["period"]["start"], (a, b)
                continue
            for key in ("metric", "match", "period", "limit", "used",
                        "remaining", "utilization", "status"):
                assert a[key] == b[key], (name, key, a[key], b[key])
            first = oracle.place(datetime.fromisoformat(
                a["period"]["start"]).timestamp())[0]
            end = oracle.place(datetime.fromisoformat(
                a["period"]["end"]).timestamp())[0]
            want = oracle.summary([metric], first, end - 1, [], match)[metric]
            assert a["used"] == want["total"], (name, a, want)
        for fmt in ("table", "csv"):
            rc, out, err = run(["report", "budgets", "--config.file=" + cfg,
                                "--state.file=" + state, "--format=" + fmt])
            assert rc == 0 and "gpt_month" in out and "cost_day" in out, err
        rc, _, err = run(["report", "budgets", "--config.file=" + cfg,
                          "--state.file=" + state, "period=day"])
        assert rc == 2 and "takes no parameters" in err, err
        other = os.path.join(tmp, "none")
        os.mkdir(other)
        rc, _, err = run(["report", "budgets", "--config.file=" + config(
            other, zone), "--state.file=" + state])
        assert rc == 1 and "has no budgets" in err, err


# --- refusals ------------------------------------------------------------------------

BAD = [
    ("/api/v1/usage", "metric=nope",
     'unknown metric "nope" (the usage metrics: tokens_total, cost_usd_total, '
     'latency_seconds, requests_total)'),
    ("/api/v1/usage", "period=hour",
     'period must be day, week, month or year, not "hour"'),
    ("/api/v1/usage", "period=day&period=week", "period is given twice"),
    ("/api/v1/usage", "period=day&start_date=2025-01-01&end_date=2025-01-02",
     "period and start_date/end_date exclude each other"),
    ("/api/v1/usage", "start_date=2025-01-01",
     "start_date and end_date go together: end_date is missing"),
    ("/api/v1/usage", "start_date=2025-02-29&end_date=2025-03-01",
     'start_date "2025-02-29" is not a date (YYYY-MM-DD)'),
    ("/api/v1/usage", "start_date=2025-03-01&end_date=2025-3-1",
     'end_date "2025-3-1" is not a date (YYYY-MM-DD)'),
    ("/api/v1/usage", "start_date=2025-03-02&end_date=2025-03-01",
     "start_date 2025-03-02 is after end_date 2025-03-01"),
    ("/api/v1/usage", "by=region",
     'by "region": no metric asked for has that label (their labels: model, '
     'user, route)'),
    ("/api/v1/usage", "metric=requests_total&model=a",
     'filter "model": no metric asked for has that label (their labels: '
     'route)'),
    ("/api/v1/usage", "granularity=day",
     "granularity is not a parameter of the usage summary (it is one of the "
     "export)"),
    ("/api/v1/usage/export", "",
     "the export needs a metric: one of tokens_total, cost_usd_total, "
     "latency_seconds, requests_total"),
    ("/api/v1/usage/export", "metric=tokens_total&granularity=week",
     'granularity must be day or hour, not "week"'),
    ("/api/v1/usage/export", "metric=tokens_total&format=xml",
     'format must be csv or json, not "xml"'),
    ("/api/v1/usage/export", "metric=tokens_total&format=csv&format=csv",
     "format is given twice"),
    ("/api/v1/usage/export", "metric=tokens_total&by=model",
     "by is not a parameter of the export (it is one of the usage summary)"),
]


def test_refusals():
    with tempfile.TemporaryDirectory() as tmp:
        cfg = config(tmp, "Asia/Kolkata")
        state = os.path.join(tmp, "state.db")
        append(os.path.join(tmp, "app.log"), b'{"model": "a", "tokens": 1}\n')
        t = Tokentail(cfg, state=state)
        try:
            for path, query, detail in BAD:
                status, headers, body = t.request(path + "?" + query)
                assert status == 400, (path, query, status, body)
                assert headers["Content-Type"] == "application/json"
                assert json.loads(body) == {"error": "Bad Request",
                                            "detail": detail}, (query, body)
            # Hours beyond the hourly window: the sentence says how far back.
            status, _, body = t.request(
                "/api/v1/usage/export?metric=tokens_total&granularity=hour&"
                "start_date=2024-01-01&end_date=2024-01-02")
            detail = json.loads(body)["detail"]
            assert status == 400 and detail.startswith(
                "granularity=hour reaches back before the hours kept: hours "
                "are kept for 8 days (usage.hourly_retention), the oldest "
                "from "), body
            for path in ("/api/v1/usage", "/api/v1/usage/export"):
                for method in ("POST", "PUT", "DELETE"):
                    status, headers, _ = t.request(path, method=method)
                    assert status == 405 and headers["Allow"] == "GET, HEAD"
                status, _, body = t.request(path, method="HEAD")
                assert status in (200, 400) and body == b""
            # A streamed export asked for with HEAD sends no body.
            status, headers, body = t.request(
                "/api/v1/usage/export?metric=tokens_total&format=csv",
                method="HEAD")
            assert status == 200 and body == b"", (status, body)
            assert headers["Content-Type"] == "text/csv; charset=utf-8"
        finally:
            t.stop()

        # The report: the same sentences, exit 2; a missing state file, a
        # state file without a ledger, a configuration without usage: 1.
        for path, query, detail in BAD:
            kind = "export" if path.endswith("export") else "usage"
            params = [urllib.parse.unquote(p) for p in query.split("&") if p]
            rc, out, err = run(["report", kind, "--config.file=" + cfg,
                                "--state.file=" + state] + params)
            assert rc == 2, (query, rc, err)
            assert err.startswith("tokentail report: " + detail + "\n"), err
        rc, _, err = run(["report", "usage", "--config.file=" + cfg,
                          "--state.file=" + os.path.join(tmp, "none.db")])
        assert rc == 1 and "no such file" in err, err
        os.mkdir(os.path.join(tmp, "plain"))
        plain = write_config(os.path.join(tmp, "plain"),
                             CONFIG.split("usage:")[0] % {"dir": tmp,
                                                          "checkpoint": "1s"})
        other = os.path.join(tmp, "plain.db")
        rc, _, err = run(["--config.file=" + plain, "--once",
                          "--state.file=" + other])
        assert rc == 0, err
        rc, _, err = run(["report", "usage", "--config.file=" + cfg,
                          "--state.file=" + other])
        assert rc == 1 and "it holds no usage ledger" in err, err
        rc, _, err = run(["report", "usage", "--config.file=" + plain,
                          "--state.file=" + other])
        assert rc == 1 and "has no usage section" in err, err
        rc, _, err = run(["report", "budget", "--config.file=" + cfg])
        assert rc == 2 and 'no report is called "budget"' in err, err

        # Without a usage section both routes answer 404.
        t = Tokentail(plain)
        try:
            for path in ("/api/v1/usage", "/api/v1/usage/export?format=csv"):
                status, headers, body = t.request(path)
                assert status == 404, (path, status)
                assert json.loads(body) == {
                    "error": "Not Found",
                    "detail": "no usage is kept: the configuration has no "
                              "usage section"}, body
        finally:
            t.stop()


if __name__ == "__main__":
    # Under valgrind one zone exercises every path the others take.
    main([test_refusals, test_budgets_report, test_berlin]
         + ([test_kolkata, test_new_york] if SLOW <= 1 else []))
