"""Reloading the configuration while lines are written: nothing is lost,
nothing counted twice, and what did not change keeps its values.

Fifty reloads (six under valgrind) alternate between two configurations,
by SIGHUP and by POST /-/reload in turn, while a writer appends lines to
two files. A: metrics m1 (by source) and m2 (by k), input x. B: m1
unchanged, m2 by k and src (a changed definition), m3 new, and a second
input y. Every line carries its number v, and the counters sum it as
well as count lines, so a loss and a duplicate cannot cancel out. Before
the last reload the writer pauses until the daemon has read every x line
and m1 says how many y lines it read, so the lines read after the last
reload are known exactly: m2 and m3 start afresh then (state.
keep_removed_metrics: 0s, so m3's series are dropped each time A removes
it), m1 counts everything once, and tokentail's own counters (lines
read, updates) go on across reloads instead of starting again.

Then: a bad reload (a YAML error, a bad rule file) changes nothing, sets
tokentail_config_last_reload_successful to 0 and logs file:line:column,
and a good one sets it back; without --web.enable-lifecycle POST
/-/reload answers 403; a firing alert keeps its activeAt across a reload
while a changed rule starts afresh; budgets and the usage ledger answer
the same across a reload; /health's config section carries the file's
SHA-256; and a real Prometheus scraping across reloads sees no counter
reset.
"""
import hashlib
import json
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import threading
import time
import urllib.parse
import urllib.request
from decimal import Decimal

from harness import SLOW, Skip, Tokentail, main, poll, write_config

RELOADS = 50 if SLOW <= 1 else 6  # even: the last reload is to B
MAX_LINES = 6000 if SLOW <= 1 else 600  # the writer's bound
AFTER_LAST = 200 if SLOW <= 1 else 40  # lines written after the last reload

INPUT = """  - name: %(name)s
    paths: [%(dir)s/%(name)s.log]
    start_at: beginning
    reconcile_interval: 200ms
"""

COMMON = """state:
  checkpoint_interval: 1s
  keep_removed_metrics: 0s
metrics:
  - name: m1_total
    type: counter
    value: v
    labels: {src: src}
  - name: m1_lines_total
    type: counter
    labels: {src: src}
"""

A = "inputs:\n" + INPUT % {"name": "x", "dir": "%(dir)s"} + COMMON + """\
  - name: m2_total
    type: counter
    value: v
    labels: {k: k}
"""

B = ("inputs:\n" + INPUT % {"name": "x", "dir": "%(dir)s"}
     + INPUT % {"name": "y", "dir": "%(dir)s"} + COMMON + """\
  - name: m2_total
    type: counter
    value: v
    labels: {k: k, src: src}
  - name: m3_total
    type: counter
    value: v
""")


class Writer(threading.Thread):
    """Appends lines to x.log and y.log in turn, at most self.limit of
    them, until self.last is set and the limit reached, or stopped;
    holding self.lock keeps it from writing."""

    def __init__(self, directory):
        super().__init__(daemon=True)
        self.dir = directory
        self.lock = threading.Lock()
        self.stop = threading.Event()
        self.lines = {"x": [], "y": []}  # (v, k) in the order written
        self.n = 0
        self.limit = MAX_LINES
        self.last = False

    def run(self):
        files = {s: open(os.path.join(self.dir, s + ".log"), "a") for s in "xy"}
        while not self.stop.is_set():
            with self.lock:
                if self.n >= self.limit and self.last:
                    break
                for _ in range(min(10, self.limit - self.n)):
                    self.n += 1
                    src = "xy"[self.n % 2]
                    k = "ab"[self.n // 2 % 2]
                    files[src].write(json.dumps({"v": self.n, "k": k, "src": src}) + "\n")
                    files[src].flush()
                    self.lines[src].append((self.n, k))
            self.stop.wait(0.002)  # pacing, not waiting for anything
        for f in files.values():
            f.close()


def health(tt):
    status, _, body = tt.request("/health")
    assert status in (200, 503), status
    return json.loads(body)["config"]


def reload_by_signal(tt, reloads):
    tt.proc.send_signal(signal.SIGHUP)
    return poll("reload %d" % reloads, lambda: health(tt)["reloads"] == reloads
                and health(tt), 20)


def reload_by_post(tt, method="POST"):
    status, _, body = tt.request("/-/reload", method=method)
    return status, body.decode()


def value(e, name, **labels):
    v = e.value(name, **labels)
    return Decimal(0) if v is None else Decimal(v)


def wait_read(tt, src, n):
    """Polls until m1_lines_total{src} is n."""
    poll("%d %s lines" % (n, src),
         lambda: value(tt.scrape(), "m1_lines_total", src=src) == n, 30)


def fifty_reloads(reloads, state=None):
    with tempfile.TemporaryDirectory() as d:
        path = write_config(d, B % {"dir": d})
        tt = Tokentail(path, args=["--web.enable-lifecycle"], state=state)
        w = Writer(d)
        w.start()
        try:
            for i in range(1, reloads + 1):
                # Lines go on being written between every two reloads.
                poll("lines written", lambda: w.n >= i * MAX_LINES // (reloads + 4), 30)
                write_config(d, (A if i % 2 else B) % {"dir": d})
                if i == reloads:
                    # Everything x holds is read, and m1 says which y
                    # lines were: the rest are read after this reload.
                    w.lock.acquire()
                    wait_read(tt, "x", len(w.lines["x"]))
                    y_before = int(value(tt.scrape(), "m1_lines_total", src="y"))
                    x_before = len(w.lines["x"])
                if i % 2:
                    doc = reload_by_signal(tt, i)
                else:
                    status, body = reload_by_post(tt, "POST" if i % 4 else "PUT")
                    assert status == 200, (status, body)
                    doc = health(tt)
                assert doc["reloads"] == i and doc["last_reload_successful"], doc
            w.limit, w.last = w.n + AFTER_LAST, True
            w.lock.release()
            w.join(30 * SLOW)
            assert not w.is_alive() and w.n == w.limit, (w.n, w.limit)
            for src in "xy":
                wait_read(tt, src, len(w.lines[src]))
            e = tt.scrape()
            after = w.lines["x"][x_before:] + w.lines["y"][y_before:]
            for src in "xy":
                assert value(e, "m1_total", src=src) == sum(v for v, _ in w.lines[src]), src
            want_m2 = {}
            for src, lines in (("x", w.lines["x"][x_before:]), ("y", w.lines["y"][y_before:])):
                for v, k in lines:
                    want_m2[(k, src)] = want_m2.get((k, src), 0) + v
            got_m2 = {(dict(k)["k"], dict(k)["src"]): Decimal(v)
                      for k, v in e.family("m2_total").items()}
            assert got_m2 == want_m2, (got_m2, want_m2)
            assert value(e, "m3_total") == sum(v for v, _ in after)
            # tokentail's own counters go on across reloads: x was always
            # configured, so its count is of every line.
            assert value(e, "tokentail_lines_read_total", input="x") == len(w.lines["x"])
            assert value(e, "tokentail_metric_updates_total", metric="m1_total") == w.n
            assert value(e, "tokentail_config_last_reload_successful") == 1
            doc = health(tt)
            with open(path, "rb") as f:
                assert doc["sha256"] == hashlib.sha256(f.read()).hexdigest()
            assert doc["file"] == path and abs(doc["loaded_at_unix"] - time.time()) < 60 * SLOW
            # The same moment: the gauge has its milliseconds, /health whole seconds.
            assert int(value(e, "tokentail_config_last_reload_success_timestamp_seconds")) \
                == doc["loaded_at_unix"]
            log = tt.log()
            assert "metric m2_total changed its label names (was k; now k, src)" in log
            assert "reload: input y is gone" in log and "reload: metric m3_total is new" in log
        finally:
            w.stop.set()
            if w.lock.locked():
                w.lock.release()
            tt.stop()


def test_fifty_reloads():
    fifty_reloads(RELOADS)


def test_reloads_without_state_file():
    """The same handed over through the in-memory state."""
    fifty_reloads(10 if SLOW <= 1 else 2, state="")  # even: ends on B


def test_reload_with_unusable_state_file():
    """A state file that cannot be used (its directory is a file) keeps
    nothing across a restart, but a reload still hands over through
    memory: the unchanged metric keeps its value, the changed one starts
    afresh, and /health goes on saying why the file is not used."""
    with tempfile.TemporaryDirectory() as d:
        path = write_config(d, A % {"dir": d})
        write(d, 1, 2)
        state = os.path.join(d, "x.log", "state.db")
        tt = Tokentail(path, args=["--web.enable-lifecycle"], state=state)
        try:
            wait_read(tt, "x", 2)
            status, _, body = tt.request("/health")
            doc = json.loads(body)["state"]
            assert status == 503 and doc["file"] == state and doc["error"], (status, doc)
            write_config(d, B % {"dir": d})
            status, body = reload_by_post(tt)
            assert status == 200, (status, body)
            e = tt.scrape()
            assert value(e, "m1_total", src="x") == 3
            assert value(e, "m1_lines_total", src="x") == 2
            assert e.family("m2_total") == {}, e.family("m2_total")
            write(d, 4)
            wait_read(tt, "x", 3)
            e = tt.scrape()
            assert value(e, "m1_total", src="x") == 7
            assert value(e, "m2_total", k="a", src="x") == 4
            assert value(e, "m3_total") == 4
            assert value(e, "tokentail_lines_read_total", input="x") == 3
            status, _, body = tt.request("/health")
            assert (status, json.loads(body)["state"]) == (503, doc), (status, body)
        finally:
            tt.stop()


BAD_YAML = """inputs:
  - name: x
    pathz: [%(dir)s/x.log]
"""

RULES = """groups:
  - name: g
    interval: 1s
    rules:
      - alert: Kept
        expr: m1_total > 0
      - alert: Changed
        expr: m1_total > %(threshold)s
"""

BAD_RULES = """groups:
  - name: g
    rules:
      - alert: A
        expr: m1_total > bool
"""

USAGE = """usage:
  timezone: UTC
budgets:
  - {name: all, metric: m1_total, period: month, limit: 1000}
rule_files: [rules.yml]
"""


def write(directory, *vs):
    with open(os.path.join(directory, "x.log"), "a") as f:
        for v in vs:
            f.write(json.dumps({"v": v, "k": "a", "src": "x"}) + "\n")


def alerts(tt):
    status, _, body = tt.request("/api/v1/alerts")
    assert status == 200, status
    return {a["labels"]["alertname"]: a for a in json.loads(body)["data"]["alerts"]}


def firing(tt, name):
    return poll(name + " firing", lambda: alerts(tt).get(name, {}).get("state")
                == "firing" and alerts(tt)[name], 20)


def test_bad_reload_then_good():
    with tempfile.TemporaryDirectory() as d:
        good = A % {"dir": d}
        path = write_config(d, good)
        write(d, 1, 2)
        tt = Tokentail(path, args=["--web.enable-lifecycle"])
        try:
            wait_read(tt, "x", 2)
            before = tt.scrape()
            write_config(d, BAD_YAML % {"dir": d})
            doc = reload_by_signal(tt, 1)
            # Two errors: "paths" missing, "pathz" unknown.
            assert not doc["last_reload_successful"] and doc["last_reload_errors"] == 2, doc
            # The configuration in force is still the good one.
            assert doc["sha256"] == hashlib.sha256(good.encode()).hexdigest(), doc
            poll("the errors logged", lambda: "%s:3:5: unknown key " % path in tt.log()
                 and "%s:2:5: an input needs " % path in tt.log(), 10)
            assert "reload failed; the previous configuration stays in force" in tt.log()
            write(d, 4)  # still counted by the configuration in force
            wait_read(tt, "x", 3)
            e = tt.scrape()
            assert value(e, "tokentail_config_last_reload_successful") == 0
            assert value(e, "m1_total", src="x") == 7
            assert value(e, "m2_total", k="a") == 7
            assert (value(e, "tokentail_config_last_reload_success_timestamp_seconds")
                    == value(before, "tokentail_config_last_reload_success_timestamp_seconds"))

            # A bad rule file: its own file:line:column, over POST too.
            with open(os.path.join(d, "rules.yml"), "w") as f:
                f.write(BAD_RULES)
            write_config(d, good + "rule_files: [rules.yml]\n")
            status, body = reload_by_post(tt)
            # The rule file's error, and the configuration's line naming it.
            where = os.path.join(d, "rules.yml:5:30: expr: unexpected end of input")
            assert status == 500 and where in body and path + ":" in body, (status, body)
            assert where in tt.log()
            doc = health(tt)
            assert (doc["reloads"], doc["last_reload_successful"],
                    doc["last_reload_errors"]) == (2, False, 2), doc

            write_config(d, good)
            status, body = reload_by_post(tt)
            assert status == 200, (status, body)
            e = tt.scrape()
            assert value(e, "tokentail_config_last_reload_successful") == 1
            assert value(e, "m1_total", src="x") == 7

            status, headers, _ = tt.request("/-/reload")
            assert status == 405 and headers["Allow"] == "POST, PUT", (status, headers)
        finally:
            tt.stop()
        tt = Tokentail(path)
        try:
            status, body = reload_by_post(tt)
            assert status == 403 and "Lifecycle API is not enabled" in body, (status, body)
        finally:
            tt.stop()


def steady(body):
    """An answer without what moves with the clock."""
    doc = json.loads(body)
    doc.pop("evaluated_at", None)
    for b in doc.get("budgets", []):
        b.pop("projected", None)
    return doc


def test_alerts_budgets_and_usage_kept():
    with tempfile.TemporaryDirectory() as d:
        with open(os.path.join(d, "rules.yml"), "w") as f:
            f.write(RULES % {"threshold": 1})
        path = write_config(d, A % {"dir": d} + USAGE)
        write(d, 3, 4)
        tt = Tokentail(path, args=["--web.enable-lifecycle"])
        try:
            wait_read(tt, "x", 2)
            kept, changed = firing(tt, "Kept"), firing(tt, "Changed")
            status, _, budgets = tt.request("/api/v1/budgets")
            status2, _, usage = tt.request("/api/v1/usage?metric=m1_total&period=month")
            assert status == 200 and status2 == 200, (status, status2, usage)

            with open(os.path.join(d, "rules.yml"), "w") as f:
                f.write(RULES % {"threshold": 2})
            status, body = reload_by_post(tt)
            assert status == 200, body
            now = alerts(tt)
            assert now["Kept"]["state"] == "firing"
            assert now["Kept"]["activeAt"] == kept["activeAt"], (now, kept)
            again = firing(tt, "Changed")
            assert again["activeAt"] > changed["activeAt"], (again, changed)
            got = steady(tt.request("/api/v1/budgets")[2])
            assert got == steady(budgets), (got, budgets)
            assert got["budgets"][0]["used"] == 7, got
            got = steady(tt.request("/api/v1/usage?metric=m1_total&period=month")[2])
            assert got == steady(usage), (got, usage)
        finally:
            tt.stop()


PROMETHEUS = """
global: {scrape_interval: %(every)s, scrape_timeout: %(every)s}
scrape_configs:
  - job_name: tokentail
    static_configs: [{targets: ["127.0.0.1:%(port)d"]}]
"""


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def prom_query(port, expr):
    """The instant vector expr gives, as {labels: Decimal}."""
    url = "http://127.0.0.1:%d/api/v1/query?%s" % (
        port, urllib.parse.urlencode({"query": expr}))
    with urllib.request.urlopen(url, timeout=5) as r:
        doc = json.load(r)
    assert doc["status"] == "success", doc
    return {tuple(sorted((k, v) for k, v in x["metric"].items()
                         if k not in ("__name__", "job", "instance"))):
            Decimal(x["value"][1])
            for x in doc["data"]["result"]}


def test_prometheus_sees_no_reset():
    """A real Prometheus scraping across reloads sees no counter reset in
    the unchanged metric nor in tokentail's own counters, and ends on
    the values tokentail serves."""
    if shutil.which("prometheus") is None:
        raise Skip("prometheus is not installed")
    reloads = 6 if SLOW <= 1 else 2
    every = "100ms" if SLOW <= 1 else "1s"  # valgrind answers slowly
    with tempfile.TemporaryDirectory() as d:
        path = write_config(d, A % {"dir": d})
        tt = Tokentail(path, args=["--web.enable-lifecycle"])
        port = free_port()
        pcfg = os.path.join(d, "prometheus.yml")
        with open(pcfg, "w") as f:
            f.write(PROMETHEUS % {"port": tt.port, "every": every})
        plog = open(os.path.join(d, "prometheus.log"), "w")
        prom = subprocess.Popen(
            ["prometheus", "--config.file=" + pcfg,
             "--storage.tsdb.path=" + os.path.join(d, "tsdb"),
             "--web.listen-address=127.0.0.1:%d" % port],
            stdout=plog, stderr=subprocess.STDOUT)
        n = 0
        try:
            for i in range(reloads + 1):
                write(d, *range(n + 1, n + 6))
                n += 5
                wait_read(tt, "x", n)
                if i > 0:
                    write_config(d, (B if i % 2 else A) % {"dir": d})
                    status, body = reload_by_post(tt)
                    assert status == 200, body
                # Prometheus has scraped what this configuration serves.
                seen = value(tt.scrape(),
                             "tokentail_config_last_reload_success_timestamp_seconds")
                gauge = "tokentail_config_last_reload_success_timestamp_seconds"
                poll("a scrape after reload %d" % i,
                     lambda: prom_query(port, gauge).get(()) == seen, 30)
                poll("m1 scraped", lambda: prom_query(port, 'm1_total{src="x"}').get(
                    (("src", "x"),)) == n * (n + 1) // 2, 30)
            for expr in ('resets(m1_total[5m])', 'resets(m1_lines_total[5m])',
                         'resets(tokentail_lines_read_total{input="x"}[5m])',
                         'resets(tokentail_metric_updates_total{metric="m1_total"}[5m])'):
                got = prom_query(port, expr)
                assert got and all(v == 0 for v in got.values()), (expr, got)
            assert prom_query(port, 'tokentail_lines_read_total{input="x"}') == {
                (("input", "x"),): n}
        finally:
            prom.terminate()
            prom.wait()
            plog.close()
            tt.stop()


if __name__ == "__main__":
    main([test_fifty_reloads, test_reloads_without_state_file,
          test_reload_with_unusable_state_file,
          test_bad_reload_then_good,
          test_alerts_budgets_and_usage_kept, test_prometheus_sees_no_reset])
