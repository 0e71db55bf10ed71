"""The usage ledger through the real binary: every (series, day) and
(series, hour) row it saves equals what an independent computation from the
same lines gives (Python's zoneinfo and Decimal), across restarts and kill
-9, and the ledger summed over all periods equals the counter exactly.

The lines span several months back from today, a leap day (2024-02-29) and
both summer-time changes of Australia/Adelaide, whose offset is half an
hour off UTC (+09:30, +10:30 in summer), so its local hours start at half
past in UTC. Their times come out of order; a few lines have no time and
land where they were read. The ledger is read back from the state file
with sqlite3, its records decoded as src/usage/ledger_chunk.h writes them.

A backfill (--once --state.file=X FILE...) fills the ledger too, keeps
the values, and no file positions.
"""
import json
import os
import random
import sqlite3
import tempfile
import time
from datetime import date, datetime, timezone
from decimal import Decimal
from zoneinfo import ZoneInfo

from harness import (SLOW, Exposition, Tokentail, _number, main, poll,
                     run, write_config)

ZONE = "Australia/Adelaide"
TZ = ZoneInfo(ZONE)
HOUR = 3600
DAY = 86400
SIZE = 1 if SLOW <= 1 else 0.05  # valgrind: smaller workloads

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
    labels: {model: model}
usage:
  metrics: [tokens_total, cost_usd_total, latency_seconds]
  timezone: %(zone)s
  retention: 1200d
"""

USAGE = ("tokens_total", "cost_usd_total", "latency_seconds")
MODELS = ["gpt-4o-mini", "qwen-turbo", "claude \"3\"", "llama,3"]
USERS = ["u1", "u2", "u3", ""]


def config(tmp, checkpoint="200ms"):
    return write_config(tmp, CONFIG % {"dir": tmp, "checkpoint": checkpoint,
                                       "zone": ZONE})


# --- the lines and what they imply --------------------------------------------

def stamp(t):
    """RFC 3339: whole seconds with Z, or milliseconds with the local
    offset, as services write them."""
    if int(t * 1000) % 2:
        return datetime.fromtimestamp(t, TZ).isoformat(timespec="milliseconds")
    return datetime.fromtimestamp(int(t), timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def parsed_time(ts):
    return datetime.fromisoformat(ts.replace("Z", "+00:00")).timestamp()


class Oracle:
    """Rows per (metric, labels, day) and (metric, labels, hour start)."""

    def __init__(self):
        self.days = {}
        self.hours = {}
        self.totals = {m: Decimal(0) for m in USAGE}
        self.lines = 0

    @staticmethod
    def place(t):
        """(day number, hour start) of the instant t in ZONE: hours start at
        each whole hour of the local clock."""
        s = int(t // 1)
        local = datetime.fromtimestamp(s, TZ)
        off = int(local.utcoffset().total_seconds())
        return (local.date() - date(1970, 1, 1)).days, s - (s + off) % HOUR

    def add(self, metric, labels, t, value, count):
        day, hour = self.place(t)
        for table, period in ((self.days, day), (self.hours, hour)):
            key = (metric, labels, period)
            s, c = table.get(key, (Decimal(0), 0))
            table[key] = (s + value, c + count)
        self.totals[metric] += value

    def feed(self, rec, t):
        self.lines += 1
        m = rec["model"]
        self.add("tokens_total", (("model", m), ("user", rec["user"])), t,
                 Decimal(rec["tokens"]), 0)
        self.add("cost_usd_total", (("model", m),), t, _number(rec["cost"]), 0)
        if "ms" in rec:
            self.add("latency_seconds", (("model", m),), t,
                     _number(Decimal(rec["ms"]), "0.001"), 1)

    def hours_since(self, first):
        return {k: v for k, v in self.hours.items() if k[2] >= first}


def make_lines(rng, times, oracle):
    """JSON lines at the given instants (None: no time field), fed to the
    oracle; the timeless ones are returned, for the caller to place."""
    out, timeless = [], []
    for t in times:
        rec = {"model": rng.choice(MODELS), "user": rng.choice(USERS),
               "tokens": rng.randint(0, 5000),
               "cost": str(Decimal(rng.randint(0, 10 ** 7)) / 10 ** 8)}
        if rng.random() < 0.7:
            rec["ms"] = "%d.%d" % (rng.randint(0, 3000), rng.randint(0, 9))
        if t is not None:
            rec["ts"] = stamp(t)
            oracle.feed(rec, parsed_time(rec["ts"]))
        else:
            timeless.append(rec)
        out.append(json.dumps(rec) + "\n")
    return "".join(out).encode(), timeless


def months_of_times(rng, now, n):
    """Times out of order: a leap day, Adelaide's two changes in 2025,
    months back from today, and the last week (hours kept)."""
    def span(a, b, k):
        return [rng.uniform(a, b) for _ in range(k)]
    leap = datetime(2024, 2, 28, 12, tzinfo=TZ).timestamp()
    april = datetime(2025, 4, 6, 1, tzinfo=TZ).timestamp()  # 03:00 -> 02:00
    october = datetime(2025, 10, 5, 1, tzinfo=TZ).timestamp()  # 02:00 -> 03:00
    times = (span(leap, leap + 2 * DAY, n // 5) +
             span(april, april + 4 * HOUR, n // 10) +
             span(october, october + 4 * HOUR, n // 10) +
             span(now - 200 * DAY, now - 10 * DAY, n // 3) +
             span(now - 7 * DAY, now - 60, n - n // 5 - n // 10 * 2 - n // 3))
    rng.shuffle(times)
    return times


# --- the ledger as stored -------------------------------------------------------

def leb(b, i):
    v = s = 0
    while True:
        x = b[i]
        i += 1
        v |= (x & 0x7f) << s
        s += 7
        if not x & 0x80:
            return v, i


UNITS = (1, 10 ** 6, 10 ** 12)  # per 10^-12, by a row's scale


def records(data):
    """(slot, sum, count) of a stored record."""
    i = 0
    while i < len(data):
        slot, scale = data[i] & 0x3f, data[i] >> 6
        z, i = leb(data, i + 1)
        count, i = leb(data, i)
        v = ((z >> 1) ^ -(z & 1)) * UNITS[scale]
        yield slot, Decimal(v).scaleb(-12), count


def stored(path):
    """The ledger in the state file: ({(metric, labels, day): (sum, count)},
    the same per hour start)."""
    db = sqlite3.connect("file:%s?mode=ro" % path, uri=True)
    try:
        metrics = {mid: (name, labels.split(",") if labels else [])
                   for mid, name, labels in db.execute(
                       "SELECT id, metric, labels FROM ledger_metrics")}
        series = {}
        for mid, chunk, keys in db.execute(
                "SELECT metric, chunk, keys FROM ledger_series"):
            names = metrics[mid][1]
            i, slot = 0, 0
            while i < len(keys):
                n, i = leb(keys, i)
                values = bytes(keys[i:i + n]).decode().split("\0")[:-1]
                assert len(values) == len(names), (names, keys)
                series[(mid, chunk * 64 + slot)] = tuple(zip(names, values))
                i, slot = i + n, slot + 1
        out = []
        for table, column in (("ledger_days", "day"), ("ledger_hours", "start")):
            rows = {}
            for mid, period, chunk, data in db.execute(
                    "SELECT metric, %s, chunk, data FROM %s" % (column, table)):
                for slot, s, c in records(data):
                    key = (metrics[mid][0], series[(mid, chunk * 64 + slot)], period)
                    assert key not in rows, key
                    rows[key] = (s, c)
            out.append(rows)
        return out
    finally:
        db.close()


def totals_of(rows):
    t = {m: Decimal(0) for m in USAGE}
    for (m, _, _), (s, _) in rows.items():
        t[m] += s
    return t


def same(got, want, what):
    if got == want:
        return
    missing = sorted(set(want) - set(got))[:5]
    extra = sorted(set(got) - set(want))[:5]
    wrong = [(k, got[k], want[k]) for k in sorted(set(got) & set(want))
             if got[k] != want[k]][:5]
    raise AssertionError("%s differ: %d rows got, %d wanted\nmissing %s\n"
                         "extra %s\nwrong %s" % (what, len(got), len(want),
                                                 missing, extra, wrong))


def first_hour_kept(now):
    """The start of the oldest hour kept (hourly_retention: 8 days)."""
    return Oracle.place(now - 8 * DAY)[1]


def expect_stored(path, oracle, now):
    days, hours = stored(path)
    same(days, oracle.days, "days")
    same(hours, oracle.hours_since(first_hour_kept(now)), "hours")


def counters(e):
    """Each usage metric's value over all its series, from /metrics."""
    out = {}
    for m in USAGE:
        fam = e.histogram(m)[1] if m == "latency_seconds" else e.family(m)
        out[m] = sum((Decimal(v) for v in fam.values()), Decimal(0))
    return out


def settle(t, path, oracle):
    """Waits until tokentail has counted every line and saved the ledger,
    then compares every row, and the counters once more (a late duplicate
    would show)."""
    poll("every line counted", lambda: counters(t.scrape()) == oracle.totals, 120)
    poll("the ledger saved",
         lambda: totals_of(stored(path)[0]) == oracle.totals, 60)
    expect_stored(path, oracle, time.time())
    assert counters(t.scrape()) == oracle.totals


def append(path, data):
    with open(path, "ab") as f:
        f.write(data)
    return data.count(b"\n")


def hour_left():
    """Seconds until the next local hour starts."""
    now = time.time()
    return Oracle.place(now)[1] + HOUR - now


# --- the tests ----------------------------------------------------------------

def test_restarts_and_kill():
    rng = random.Random(12)
    with tempfile.TemporaryDirectory() as tmp:
        oracle = Oracle()
        app = os.path.join(tmp, "app.log")
        state = os.path.join(tmp, "state.db")
        now = time.time()

        def months(n):
            return months_of_times(rng, now, int(n * SIZE))
        append(app, make_lines(rng, months(20000), oracle)[0])
        t = Tokentail(config(tmp), state=state)
        try:
            settle(t, state, oracle)
        finally:
            t.stop()

        # A restart, and more lines; three have no time, and land in the
        # hour they are read, which must not end while they are.
        t = Tokentail(config(tmp), state=state)
        try:
            data, _ = make_lines(rng, months(5000), oracle)
            bare, timeless = make_lines(rng, [None] * 3, oracle)
            if hour_left() < 60:
                poll("a new hour", lambda: hour_left() > 60, 120, 1)
            before = time.time()
            t.wait_lines(append(app, data + bare), seconds=120)
            assert Oracle.place(before) == Oracle.place(time.time())
            for rec in timeless:
                oracle.feed(rec, before)
            settle(t, state, oracle)
        finally:
            t.stop()

        # No checkpoint after the start, then kill -9: the lines read since
        # are read again, into the ledger as into the counters, once.
        t = Tokentail(config(tmp, "1h"), state=state)
        saved = stored(state)
        t.wait_lines(append(app, make_lines(rng, months(5000), oracle)[0]),
                     seconds=120)
        assert stored(state) == saved
        t.kill()

        # kill -9 at some moment while a long append is read and saved.
        t = Tokentail(config(tmp, "50ms"), state=state)
        append(app, make_lines(rng, months(40000), oracle)[0])
        poll("some lines read", lambda: int(t.scrape().value(
            "tokentail_lines_read_total", input="app") or 0) > 0, 60)
        t.kill()

        t = Tokentail(config(tmp), state=state)
        try:
            settle(t, state, oracle)
            assert totals_of(stored(state)[0]) == counters(t.scrape())
        finally:
            t.stop()


def test_backfill():
    """--once --state.file=X FILE...: the named files fill the ledger and
    the values, two runs adding up; no file position is kept."""
    rng = random.Random(34)
    with tempfile.TemporaryDirectory() as tmp:
        oracle = Oracle()
        now = time.time()
        files = []
        for i in range(3):
            path = os.path.join(tmp, "old-%d.txt" % i)
            append(path, make_lines(rng, months_of_times(rng, now, int(4000 * SIZE)),
                                    oracle)[0])
            files.append(path)
        state = os.path.join(tmp, "q3.db")
        cfg = config(tmp)
        rc, out, err = run(["--config.file=" + cfg, "--once",
                            "--state.file=" + state] + files[:2])
        assert rc == 0, err
        rc, out, err = run(["--config.file=" + cfg, "--once",
                            "--state.file=" + state, files[2]])
        assert rc == 0, err
        assert counters(Exposition(out)) == oracle.totals
        expect_stored(state, oracle, time.time())
        db = sqlite3.connect(state)
        try:
            tables = {r[0] for r in db.execute(
                "SELECT name FROM sqlite_master WHERE type = 'table'")}
            assert "files" not in tables, tables
        finally:
            db.close()


if __name__ == "__main__":
    main([test_restarts_and_kill, test_backfill])
