"""--once.workers: a backfill read by several threads gives what one gives.

Each test reads the same files with --once.workers=1 and with several
workers and compares the exposition line for line (all but what depends on
the wall clock: the process figures, checkpoint durations, the sum of
the lines' lateness and budgets' projections), the values a state file keeps, and the usage
ledger's rows as `tokentail report export` prints them. Exact values are
checked as well: the FlashCase families against FlashcaseOracle, and the
gauges (set, max, min, add), the histogram and a counter whose max_series
is reached part way against values computed here from the lines, in
order.
"""
import json
import os
import re
import subprocess
import tempfile
from datetime import datetime, timedelta, timezone
from decimal import Decimal

from harness import (ROOT, SLOW, Exposition, FlashcaseOracle, Skip, _label_text,
                     _number, binary, feed_all, genlogs, genlogs_path, main,
                     promtool_check, run, write_config)
from test_once import corpus

WORKERS = 4
LINES = 12000 if SLOW <= 1 else 1200  # valgrind: a tenth
FILES = 6
TENANT_CAP = FILES - 1  # reached by the last file

# Metrics only these tests have, beside FlashCase's own.
CONFIG = """
inputs:
  - name: app
    paths: [/nonexistent/*.log]
    parser: json
    time: {field: timestamp}
limits:
  max_series: 1000
metrics:
  - name: http_requests_total
    type: counter
    help: Requests.
    labels: {method: method, path: endpoint, status: status_code}
    when: &request [{field: endpoint, exists: true}, {field: method, exists: true},
                    {field: status_code, exists: true}]
  - name: http_request_duration_seconds
    type: histogram
    help: Duration.
    value: duration_ms
    scale: 0.001
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60]
    labels: {method: method, path: endpoint}
    when: *request
  - name: llm_tokens_total
    type: counter
    help: Tokens.
    value: tokens_used
    labels: {model: model}
    when: [{field: model, exists: true}, {field: tokens_used, exists: true}]
  - name: last_duration_seconds
    type: gauge
    help: The duration of the last request to each endpoint.
    value: duration_ms
    scale: 0.001
    labels: {path: endpoint}
  - name: max_tokens
    type: gauge
    update: max
    help: The most tokens one call used.
    value: tokens_used
    labels: {model: model}
  - name: min_tokens
    type: gauge
    update: min
    help: The fewest tokens one call used.
    value: tokens_used
    labels: {model: model}
  - name: tokens_added
    type: gauge
    update: add
    help: Tokens, as a gauge that adds.
    value: tokens_used
  - name: tenant_requests_total
    type: counter
    help: Requests by tenant, capped.
    labels: {tenant: tenant}
    max_series: %d
usage:
  metrics: [llm_tokens_total, http_request_duration_seconds,
            tenant_requests_total]
""" % TENANT_CAP

# What depends on the wall clock, not on the lines.
CLOCK = re.compile(r"^(process_|tokentail_checkpoint_duration_seconds"
                   r"|tokentail_event_lateness_seconds_sum"
                   r"|tokentail_budget_projected)")


def steady(text):
    return "\n".join(l for l in text.split("\n") if not CLOCK.match(l))


def hour(days_ago):
    """The hour days_ago and a half before now ("2026-11-28T13"): a line
    stamped within it is days_ago + 0.5 days late, give or take an hour,
    far from the bounds of tokentail_event_lateness_seconds (1 d, 7 d),
    so its bucket does not depend on when the test runs."""
    t = datetime.now(timezone.utc) - timedelta(days=days_ago, hours=12)
    return t.strftime("%Y-%m-%dT%H")


def recent(data, days_ago):
    """The lines' timestamps moved to hour(days_ago), minutes and seconds
    kept; the ledger keeps their hours (usage.hourly_retention is 8 days)."""
    return re.sub(rb'"timestamp": "\d{4}-\d\d-\d\dT\d\d', b'"timestamp": "'
                  + hour(days_ago).encode(), data)


def split(data, n):
    """data cut into n pieces at line boundaries."""
    lines = data.split(b"\n")[:-1]
    step = -(-len(lines) // n)
    return [b"\n".join(lines[i:i + step]) + b"\n" for i in range(0, len(lines), step)]


def write(tmp, pieces):
    paths = []
    for i, piece in enumerate(pieces):
        paths.append(os.path.join(tmp, "part-%02d.log" % i))
        with open(paths[-1], "wb") as f:
            f.write(piece)
    return paths


def once(cfg, paths, workers, state=None, stdin=None):
    args = ["--config.file=" + cfg, "--once", "--once.workers=%d" % workers]
    if state:
        args.append("--state.file=" + state)
    return run(args + paths, stdin=stdin)


def ledger_rows(cfg, state):
    """Every usage metric's rows, by day and by hour, as CSV."""
    out = []
    now = datetime.now(timezone.utc)
    since = (now - timedelta(days=7)).strftime("%Y-%m-%d")
    until = (now + timedelta(days=2)).strftime("%Y-%m-%d")
    for metric in ("llm_tokens_total", "http_request_duration_seconds",
                   "tenant_requests_total"):
        for grain, start in (("day", "2000-01-01"), ("hour", since)):
            # Not under the wrapper: the report is not what is tested here,
            # and six runs under valgrind would take most of the test's time.
            p = subprocess.run([binary(), "report", "export", "--config.file=" + cfg,
                                "--state.file=" + state, "--format=csv",
                                "metric=" + metric, "granularity=" + grain,
                                "start_date=" + start, "end_date=" + until],
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                               timeout=60 * SLOW)
            assert p.returncode == 0, p.stderr
            out.append(p.stdout.decode())
    return out


class Gauges:
    """The test's own metrics as one pass over the lines in order leaves
    them."""

    def __init__(self):
        self.last, self.max, self.min = {}, {}, {}
        self.added = Decimal(0)
        self.tenants, self.overflow = {}, Decimal(0)

    def feed(self, raw):
        try:
            r = json.loads(raw.decode("utf-8", "replace"), parse_float=Decimal,
                           parse_constant=lambda c: 1 / 0)
        except (ValueError, ZeroDivisionError):
            return
        if not isinstance(r, dict):
            return
        label = lambda k: _label_text(r[k]) if r.get(k) is not None else None
        d, path = _number(r.get("duration_ms"), Decimal("0.001")), label("endpoint")
        if d is not None and path is not None:
            self.last[path] = d
        t, model = _number(r.get("tokens_used")), label("model")
        if t is not None:
            self.added += t
            if model is not None:
                self.max[model] = max(self.max.get(model, t), t)
                self.min[model] = min(self.min.get(model, t), t)
        tenant = label("tenant")
        if tenant is not None:
            if tenant in self.tenants or len(self.tenants) < TENANT_CAP:
                self.tenants[tenant] = self.tenants.get(tenant, 0) + 1
            else:
                self.overflow += 1

    def check(self, e):
        def family(name, label):
            return {dict(k).get(label): Decimal(v) for k, v in e.family(name).items()}
        assert family("last_duration_seconds", "path") == self.last
        assert family("max_tokens", "model") == self.max
        assert family("min_tokens", "model") == self.min
        assert Decimal(e.value("tokens_added")) == self.added
        tenants = family("tenant_requests_total", "tenant")
        assert tenants.pop(None) == self.overflow, tenants  # the overflow
        assert tenants == {k: Decimal(v) for k, v in self.tenants.items()}


def flashcase_files():
    """The FlashCase corpus with its hostile lines and a line from 2001
    (too old for the ledger), cut into FILES files, file k moved to FILES
    - k days ago; file k ends with a line of tenant t<k> and one of t0, so
    the tenant metric is full after the last file but one."""
    data, _ = corpus(17, LINES)
    pieces = [recent(p, FILES - k) for k, p in enumerate(split(data, FILES))]
    pieces[1] += b'{"timestamp": "2001-02-03T04:05:06Z", "model": "old", "tokens_used": 7}\n'
    for k in range(len(pieces)):
        for t in (k, 0):
            pieces[k] += (b'{"timestamp": "%s", "tenant": "t%d", "endpoint": "/t",'
                          b' "method": "GET", "status_code": 200, "duration_ms": %d}\n'
                          % ((hour(2) + ":30:00Z").encode(), t, k))
    return pieces


def test_flashcase_corpus():
    with tempfile.TemporaryDirectory() as tmp:
        cfg = write_config(tmp, CONFIG)
        pieces = flashcase_files()
        paths = write(tmp, pieces)
        results = {}
        for w in (1, WORKERS):
            state = os.path.join(tmp, "w%d.db" % w)
            rc, out, err = once(cfg, paths, w, state)
            assert rc == 0, err
            assert "Traceback" not in err and "backfill:" not in err, err
            # The file after the tenant metric filled up is read again, in
            # order; those before are merged.
            reread = "1 of %d files were read again in order" % len(pieces)
            assert (reread in err) == (w > 1), err
            # What the state file kept, read back by a run that adds nothing.
            rc, kept, err = once(cfg, ["-"], 1, state, stdin=b"")
            assert rc == 0, err
            results[w] = (steady(out), steady(kept), ledger_rows(cfg, state))
            promtool_check(out)
        assert results[1][0] == results[WORKERS][0]
        assert results[1][1] == results[WORKERS][1]
        assert results[1][2] == results[WORKERS][2]

        e = Exposition(out)
        g = Gauges()
        for piece in pieces:
            for line in piece.split(b"\n")[:-1]:
                g.feed(line)
        g.check(e)
        assert e.value("tokentail_lines_read_total", input="app") == str(
            sum(p.count(b"\n") for p in pieces))
        assert e.value("tokentail_files_opened_total", input="app") == str(len(pieces))
        assert e.value("tokentail_usage_too_old_total") == "1"
        assert e.value("tokentail_series_overflow_total",
                       metric="tenant_requests_total") == str(g.overflow)
        assert int(e.value("tokentail_lines_skipped_total", input="app",
                           reason="not_json")) > 0


def test_oracle():
    """The default configuration, several workers: every FlashCase value
    exact, every line accounted for."""
    with tempfile.TemporaryDirectory() as tmp:
        data, _ = corpus(23, LINES)
        paths = write(tmp, split(data, FILES))
        rc, out, err = once(os.path.join(ROOT, "exporter.yaml"), paths, WORKERS)
        assert rc == 0, err
        oracle = FlashcaseOracle()
        feed_all(oracle, data)
        e = Exposition(out)
        oracle.check(e)
        assert e.value("tokentail_lines_read_total", input="app") == str(oracle.lines)
        assert e.value("tokentail_read_bytes_total", input="app") == str(len(data))


def test_packs():
    """Other systems' packs: the same exposition from 1 and from several."""
    if genlogs_path() is None:
        raise Skip("genlogs.py not found (set GENLOGS)")
    packs = {"scarlett": "scarlett", "aegisrag": "aegis", "story23": "story23",
             "apiusage": "apiusage"}
    if SLOW > 1:  # valgrind: two of them
        packs = {"scarlett": "scarlett", "aegisrag": "aegis"}
    for pack, fmt in packs.items():
        with tempfile.TemporaryDirectory() as tmp:
            data, _ = genlogs(fmt, LINES // 3, 31)
            paths = write(tmp, split(recent(data, 1), 5))
            cfg = os.path.join(ROOT, "examples", pack, "exporter.yaml")
            outs = []
            for w in (1, 3):
                rc, out, err = once(cfg, paths, w)
                assert rc == 0, (pack, err)
                outs.append(steady(out))
            assert outs[0] == outs[1], pack
            read = Exposition(out).family("tokentail_lines_read_total").values()
            assert sum(int(v) for v in read) == data.count(b"\n"), pack


def test_unreadable_and_stdin():
    """A file that cannot be read fails the run as with one worker, and
    standard input among the files is read in its turn."""
    with tempfile.TemporaryDirectory() as tmp:
        data, _ = corpus(29, LINES // 4)
        pieces = split(data, 3)
        paths = write(tmp, pieces[:1] + pieces[2:])
        args = [paths[0], os.path.join(tmp, "missing.log"), "-", paths[1]]
        cfg = os.path.join(ROOT, "exporter.yaml")
        outs = []
        for w in (1, 3):
            rc, out, err = once(cfg, args, w, stdin=pieces[1])
            assert rc == 1, err
            assert "cannot read %s" % os.path.join(tmp, "missing.log") in err, err
            outs.append(steady(out))
        assert outs[0] == outs[1]
        oracle = FlashcaseOracle()
        feed_all(oracle, data)
        oracle.check(Exposition(out))


def test_flags():
    cfg = os.path.join(ROOT, "exporter.yaml")
    # Under valgrind one of each: parsing a flag allocates nothing.
    bads, goods = ("-1", "x", "257", "2x", ""), ("0", "auto", "1", "256")
    if SLOW > 1:
        bads, goods = bads[:1], goods[:1]
    for bad in bads:
        rc, _, err = run(["--config.file=" + cfg, "--once", "--once.workers=" + bad,
                          "/dev/null"])
        assert rc == 2 and "--once.workers must be a number from 0 to 256" in err, (
            bad, err)
    rc, _, err = run(["--config.file=" + cfg, "--once", "--once.workers=2"])
    assert rc == 2 and "--once.workers reads the FILE arguments" in err, err
    for good in goods:
        rc, out, err = run(["--config.file=" + cfg, "--once", "--once.workers=" + good,
                            "/dev/null"])
        assert rc == 0, (good, err)


if __name__ == "__main__":
    main([test_flashcase_corpus, test_oracle, test_packs, test_unreadable_and_stdin,
          test_flags])
