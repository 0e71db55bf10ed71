"""Budgets through the real binary: every tokentail_budget_* gauge and every
field of GET /api/v1/budgets equals what an independent computation from the
same lines gives (Python's zoneinfo and Decimal), in three zones: one with
summer time (Europe/Berlin), one half an hour off UTC (Asia/Kolkata) and one
that is both (America/St_Johns).

The lines fall in the current hour, day, ISO week and month and in the ones
before, which must not count. The wall clock is not the test's to choose:
expectations are computed for the period the server answers with, and
projected for the instant it says it used (evaluated_at); the gauges, whose
instant is not shown, must match the projection at one of the whole seconds
around the scrape. An answer whose periods differ from the gauges' (a period
ended in between) is asked again.

Each warn_at fraction a budget reaches is logged exactly once per period:
a restart (SIGTERM) and a kill -9 do not repeat it, and a warning whose lines
had not been saved when tokentail was killed is given after the restart, once.
That the daemon has checked after a restart is shown by a new warning, of a
budget whose line is written after it.
"""
import json
import os
import random
import re
import signal
import tempfile
import time
from datetime import datetime, timedelta, timezone
from decimal import ROUND_HALF_EVEN, Decimal, localcontext
from zoneinfo import ZoneInfo

from harness import Exposition, Tokentail, main, poll, write_config

CHATHAM = ZoneInfo("Pacific/Chatham")
QUANTUM = Decimal("1e-12")
PROJECT_MIN = Decimal("0.05")  # of the period, before projection starts

CONFIG = """
inputs:
  - name: app
    paths: [%(dir)s/*.log]
    start_at: beginning
    time: ts
    reconcile_interval: 200ms
state:
  checkpoint_interval: 300ms
metrics:
  - name: lines_total
    type: counter
  - name: cost_usd_total
    type: counter
    value: cost
    labels: {model: model}
  - name: tokens_total
    type: counter
    value: tokens
    labels: {model: model, kind: kind}
usage:
  timezone: %(zone)s
budgets:
%(budgets)s
"""

MODELS = ["a", "b", "c"]
KINDS = ["in", "out"]

# Budgets as (name, metric, match, period, limit or None, warn_at or None);
# a limit of None is unlimited; limits that depend on the lines are set by
# budgets_for(), a factor of what the current period holds when written.
SHAPES = [
    ("month_all", "cost_usd_total", {}, "month", 0.9, None),
    ("month_a", "cost_usd_total", {"model": "a"}, "month", None, None),
    ("week_b", "tokens_total", {"model": "b"}, "week", 1.2, [0.5, 0.75, 1]),
    ("day_all", "cost_usd_total", {}, "day", 1.1, [0.25, 0.5, 0.75, 1]),
    ("hour_in", "tokens_total", {"kind": "in"}, "hour", 1.5,
     [0.5, 1.0]),
    ("hour_c", "tokens_total", {"model": "c", "kind": "out"}, "hour", 0.7,
     None),
]
# Its lines, written after the others, show that a check has run since.
TRIGGER = ("trigger", "cost_usd_total", {"model": "trigger"}, "month",
           Decimal(10), [Decimal(f) for f in ("0.1", "0.5", "0.7", "1")])


def q(x):
    with localcontext() as c:
        c.prec = 80
        return x.quantize(QUANTUM, rounding=ROUND_HALF_EVEN)


def period_of(kind, t, tz):
    """The [start, end) of the period of kind holding t (a UTC datetime)."""
    local = t.astimezone(tz)
    if kind == "hour":
        start = local.replace(minute=0, second=0, microsecond=0)
        return start, start + timedelta(hours=1)
    day = local.replace(hour=0, minute=0, second=0, microsecond=0, tzinfo=None)
    if kind == "day":
        first, last = day, day + timedelta(days=1)
    elif kind == "week":
        first = day - timedelta(days=day.weekday())
        last = first + timedelta(days=7)
    else:
        first = day.replace(day=1)
        last = (first + timedelta(days=32)).replace(day=1)
    return first.replace(tzinfo=tz), last.replace(tzinfo=tz)


class Lines:
    """The lines written, with their instants and amounts."""

    def __init__(self):
        self.rows = []  # (utc seconds, model, kind, cost, tokens)

    def make(self, rng, now, n):
        text = []
        for i in range(n):
            if i % 4 == 0:
                back = rng.uniform(0, 1800)          # the last half hour
            elif i % 4 == 1:
                back = rng.uniform(0, 3 * 86400)     # the last days
            else:
                back = rng.uniform(0, 70 * 86400)    # the last months
            t = now - timedelta(seconds=back)
            t = t.replace(microsecond=(t.microsecond // 1000) * 1000)
            text.append(self.line(t, rng.choice(MODELS), rng.choice(KINDS),
                                  Decimal(rng.randint(1, 999999)) / 10**6,
                                  rng.randint(1, 5000)))
        return "".join(text)

    def line(self, t, model, kind, cost, tokens):
        self.rows.append((t, model, kind, cost, tokens))
        # Half the times in UTC, half at +13:45 (Pacific/Chatham).
        if tokens % 2:
            ts = t.strftime("%Y-%m-%dT%H:%M:%S.") + "%03dZ" % (t.microsecond // 1000)
        else:
            ts = t.astimezone(CHATHAM).isoformat(timespec="milliseconds")
        return ('{"ts": "%s", "model": "%s", "kind": "%s", "cost": %s, '
                '"tokens": %d}\n' % (ts, model, kind, cost, tokens))

    def used(self, metric, match, start, end):
        total = Decimal(0)
        for t, model, kind, cost, tokens in self.rows:
            labels = {"model": model, "kind": kind}
            if not (start <= t < end):
                continue
            if any(labels.get(k) != v for k, v in match.items()):
                continue
            total += cost if metric == "cost_usd_total" else tokens
        return total


def budgets_for(lines, now, tz):
    """The budgets, their limits a factor of the current period's amount."""
    out = []
    for name, metric, match, kind, factor, warn in SHAPES:
        limit = None
        if factor is not None:
            start, end = period_of(kind, now, tz)
            used = lines.used(metric, match, start, end)
            limit = max(q(used * Decimal(str(factor))), Decimal(1))
        out.append((name, metric, match, kind, limit,
                    [Decimal(str(w)) for w in warn] if warn else None))
    out.append(TRIGGER)
    return out


def budgets_yaml(budgets):
    text = []
    for name, metric, match, kind, limit, warn in budgets:
        item = "  - {name: %s, metric: %s, period: %s, limit: %s" % (
            name, metric, kind, "unlimited" if limit is None else limit)
        if match:
            item += ", match: {%s}" % ", ".join(
                "%s: %s" % kv for kv in match.items())
        if warn:
            item += ", warn_at: [%s]" % ", ".join(str(w) for w in warn)
        text.append(item + "}")
    return "\n".join(text)


def warn_fractions(b):
    limit, warn = b[4], b[5]
    if limit is None:
        return []
    return warn if warn is not None else [Decimal("0.8"), Decimal("1.0")]


# --- what the server says, and what it should say -----------------------------

def instant(s):
    return datetime.fromisoformat(s.replace("Z", "+00:00"))


def project(used, start, end, at):
    length = int((end - start).total_seconds())
    elapsed = int((at - start).total_seconds())
    if elapsed <= 0 or elapsed >= length or elapsed * 1000 < length * 50:
        return used
    return q(used * length / elapsed)


def expected(b, lines, start, end, at):
    name, metric, match, kind, limit, warn = b
    used = lines.used(metric, match, start, end)
    e = {"used": used, "projected": project(used, start, end, at)}
    if limit is None:
        e.update(limit=None, remaining=None, utilization=None, status="ok",
                 reached=[])
        return e
    reached = [f for f in warn_fractions(b) if used >= q(f * limit)]
    status = ("exceeded" if used >= limit
              else "warning" if used >= q(warn_fractions(b)[0] * limit)
              else "ok")
    e.update(limit=limit, remaining=limit - used, utilization=q(used / limit),
             status=status, reached=reached)
    return e


def dec(v):
    return None if v is None else Decimal(str(v))


def check_json(d, budgets, lines, zone):
    tz = ZoneInfo(zone)
    at = instant(d["evaluated_at"])
    assert d["timezone"] == zone, d["timezone"]
    assert at.utcoffset() == at.astimezone(tz).utcoffset(), d["evaluated_at"]
    assert [x["name"] for x in d["budgets"]] == [b[0] for b in budgets]
    for b, got in zip(budgets, d["budgets"]):
        name, metric, match, kind, limit, warn = b
        start, end = instant(got["period"]["start"]), instant(got["period"]["end"])
        want_start, want_end = period_of(kind, at, tz)
        assert (start, end) == (want_start, want_end), (name, got["period"])
        for t in (start, end):  # written with the zone's offset then
            assert t.utcoffset() == t.astimezone(tz).utcoffset(), (name, t)
        assert got["metric"] == metric and got["match"] == match
        assert got["period"]["kind"] == kind
        want = expected(b, lines, start, end, at)
        for key in ("limit", "used", "remaining", "utilization", "projected"):
            assert dec(got[key]) == want[key], (zone, name, key, got[key], want[key])
        assert got["status"] == want["status"], (zone, name, got, want)
    return at


def check_gauges(e, d, budgets, lines, t0, t1):
    """The gauges agree with the answer d, projected at a second in [t0, t1]."""
    for b, got in zip(budgets, d["budgets"]):
        name, limit = b[0], b[4]
        start, end = instant(got["period"]["start"]), instant(got["period"]["end"])
        g = lambda fam: e.value("tokentail_budget_" + fam, budget=name)
        assert Decimal(g("period_end_timestamp_seconds")) == int(end.timestamp())
        assert Decimal(g("used")) == dec(got["used"]), name
        if limit is None:
            for fam in ("limit", "remaining", "utilization_ratio"):
                assert g(fam) is None, (name, fam)
        else:
            assert Decimal(g("limit")) == dec(got["limit"])
            assert Decimal(g("remaining")) == dec(got["remaining"])
            assert Decimal(g("utilization_ratio")) == dec(got["utilization"])
        used = dec(got["used"])
        options = {project(used, start, end,
                           datetime.fromtimestamp(s, timezone.utc))
                   for s in range(int(t0), int(t1) + 1)}
        assert Decimal(g("projected")) in options, (name, g("projected"), options)


def consistent(tt, budgets, lines, zone):
    """One answer and one scrape of the same periods, checked."""
    def once():
        _, _, body1 = tt.request("/api/v1/budgets")
        t0 = time.time()
        e = tt.scrape()
        t1 = time.time()
        _, _, body2 = tt.request("/api/v1/budgets")
        d1, d2 = (json.loads(b, parse_float=Decimal) for b in (body1, body2))
        if [x["period"] for x in d1["budgets"]] != [x["period"] for x in d2["budgets"]]:
            return None  # a period ended in between: ask again
        check_json(d1, budgets, lines, zone)
        check_json(d2, budgets, lines, zone)
        check_gauges(e, d2, budgets, lines, t0, t1)
        return d2
    return poll("answers within one period", once, 30)


WARNING = re.compile(r'level=warn msg="budget (\S+) reached (\S+) of its limit'
                     r'[^"]*" budget=(\S+) period=(\S+) start=(\S+) end=(\S+) '
                     r'used=(\S+) limit=(\S+) fraction=(\S+) utilization=(\S+)')


def warnings(logs):
    out = []
    for log in logs:
        for m in WARNING.finditer(log):
            out.append((m.group(3), m.group(5), Decimal(m.group(9)),
                        Decimal(m.group(7)), Decimal(m.group(8))))
    return out


def check_warnings(logs, budgets, d):
    """Each fraction reached in the current periods, warned exactly once;
    nothing warned twice in any period."""
    got = warnings(logs)
    assert len(got) >= 8, got  # the limits are set so that several are
    keys = [(name, start, frac) for name, start, frac, _, _ in got]
    assert len(keys) == len(set(keys)), "a warning repeated:\n" + "\n".join(map(str, got))
    for b, cur in zip(budgets, d["budgets"]):
        start = cur["period"]["start"]
        want = set(warn_fractions(b)) & {f for f in warn_fractions(b)
                                        if dec(cur["used"]) >= q(f * b[4])} \
            if b[4] is not None else set()
        have = {frac for name, s, frac in keys if name == b[0] and s == start}
        assert have == want, (b[0], start, have, want)
    for name, start, frac, used, limit in got:  # each warned when reached
        assert used >= q(frac * limit), (name, frac, used, limit)


def wait_warning(tt_logs, name, fraction):
    def seen():
        return any(w[0] == name and w[2] == fraction for w in warnings(tt_logs()))
    poll("the warning of %s at %s" % (name, fraction), seen, 15)


# --- the runs -------------------------------------------------------------------

def run_zone(zone, seed):
    rng = random.Random(seed)
    tz = ZoneInfo(zone)
    with tempfile.TemporaryDirectory() as tmp:
        lines = Lines()
        now = datetime.now(timezone.utc)
        first = lines.make(rng, now, 400)
        budgets = budgets_for(lines, now, tz)
        cfg = write_config(tmp, CONFIG % {"dir": tmp, "zone": zone,
                                          "budgets": budgets_yaml(budgets)})
        state = os.path.join(tmp, "state.db")
        log = os.path.join(tmp, "app.log")
        write(log, first + lines.line(now, "trigger", "in", Decimal(1), 1))
        logs = []

        tt = Tokentail(cfg, state=state)
        wait_all(tt, len(lines.rows))
        wait_warning(lambda: logs + [tt.log()], "trigger", Decimal("0.1"))
        d = consistent(tt, budgets, lines, zone)
        logs.append(tt.stop())
        check_warnings(logs, budgets, d)

        # A restart: nothing warned again, and a new warning shows it checked.
        tt = Tokentail(cfg, state=state)
        write(log, lines.line(datetime.now(timezone.utc), "trigger", "in",
                              Decimal(4), 1))
        wait_all(tt, len(lines.rows))
        wait_warning(lambda: logs + [tt.log()], "trigger", Decimal("0.5"))
        consistent(tt, budgets, lines, zone)

        # More lines reaching more fractions; kill -9 once their warnings
        # are given (the checkpoint that follows them is done when the
        # next request is answered): none is given again.
        write(log, lines.make(rng, datetime.now(timezone.utc), 200) +
              lines.line(datetime.now(timezone.utc), "trigger", "in",
                         Decimal(2), 1))
        wait_all(tt, len(lines.rows))
        wait_warning(lambda: logs + [tt.log()], "trigger", Decimal("0.7"))
        tt.scrape()
        logs.append(tt.kill())

        # Lines a killed tokentail never read: their warnings come after
        # the restart, once.
        tt = Tokentail(cfg, state=state)
        wait_all(tt, len(lines.rows))
        tt.proc.send_signal(signal.SIGSTOP)
        write(log, lines.make(rng, datetime.now(timezone.utc), 200) +
              lines.line(datetime.now(timezone.utc), "trigger", "in",
                         Decimal(3), 1))
        logs.append(tt.kill())
        tt = Tokentail(cfg, state=state)
        wait_all(tt, len(lines.rows))
        wait_warning(lambda: logs + [tt.log()], "trigger", Decimal(1))
        d = consistent(tt, budgets, lines, zone)
        logs.append(tt.stop())
        check_warnings(logs, budgets, d)


def wait_all(tt, n):
    """Polls until n lines were counted, restarts included (lines_total
    continues from the state)."""
    def done():
        v = tt.scrape().value("lines_total")
        assert v is None or int(v) <= n, "counted %s of %d lines" % (v, n)
        return v is not None and int(v) == n
    poll("%d lines" % n, done, 20)


def write(path, text):
    with open(path, "a") as f:
        f.write(text)


def test_berlin():
    run_zone("Europe/Berlin", 1)


def test_kolkata():
    run_zone("Asia/Kolkata", 2)


def test_st_johns():
    run_zone("America/St_Johns", 3)


def test_not_configured():
    with tempfile.TemporaryDirectory() as tmp:
        cfg = write_config(tmp, """
inputs: [{name: app, paths: [%s/*.log]}]
metrics: [{name: lines_total, type: counter}]
""" % tmp)
        tt = Tokentail(cfg)
        status, headers, body = tt.request("/api/v1/budgets")
        assert status == 404, status
        assert headers["Content-Type"] == "application/json"
        d = json.loads(body)
        assert d["error"] == "Not Found" and "budgets" in d["detail"], d
        assert tt.request("/api/v1/budgets", method="POST")[0] == 405
        assert "tokentail_budget_" not in tt.scrape().text
        tt.stop()


def test_method():
    with tempfile.TemporaryDirectory() as tmp:
        cfg = write_config(tmp, CONFIG % {
            "dir": tmp, "zone": "UTC",
            "budgets": "  - {name: x, metric: tokens_total, period: day,"
                       " limit: 5}"})
        tt = Tokentail(cfg)
        status, _, _ = tt.request("/api/v1/budgets", method="DELETE")
        assert status == 405, status
        status, _, body = tt.request("/api/v1/budgets", method="HEAD")
        assert status == 200 and body == b""
        d = json.loads(tt.request("/api/v1/budgets")[2])
        assert d["budgets"][0]["used"] == 0 and d["budgets"][0]["status"] == "ok"
        tt.stop()


if __name__ == "__main__":
    main([test_berlin, test_kolkata, test_st_johns, test_not_configured,
          test_method])
