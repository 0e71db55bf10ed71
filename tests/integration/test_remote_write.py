#!/usr/bin/env python3
"""Remote write against a real Prometheus and a recording receiver.

- A real Prometheus (Debian's prometheus, --web.enable-remote-write-receiver,
  its own TSDB on loopback): after lines are written and a push newer than
  them arrived, every app_ series Prometheus holds equals tokentail's
  /metrics exactly as a float64, external labels added where the series
  has no label of that name. Then the receiver is stopped for OUTAGE_S
  seconds while lines keep coming, and restarted on the same TSDB: what was
  pushed meanwhile arrives, no snapshot is missing (no gap in a series
  every snapshot holds), the final values equal /metrics, and the figures
  add up exactly: in = sent + failed + dropped + queued, with nothing failed
  or dropped, and Prometheus holds exactly `sent` samples up to the newest
  timestamp sent (nothing lost, nothing twice).
- A receiver in Python that decodes every body (snappy through libsnappy,
  protobuf by hand): the protocol's headers, basic auth, an authorization
  token and a configured header arrive; labels are sorted by name; a 400
  drops its batch, counted as failed; a 503 is retried; a queue too small
  for the outage drops its oldest samples, counted exactly, and sends the
  newest when the receiver comes back; a reload keeps a remote's queue
  and figures, its new token in force, and marks stale (StaleNaN) the
  series of a metric it removed, and only those; SIGTERM pushes one last
  snapshot.

Nothing sleeps for a fixed time; everything stays on loopback.
"""
import base64
import ctypes
import http.server
import json
import os
import signal
import struct
import sys
import tempfile
import threading
import time
import urllib.parse

from harness import (SLOW, Prometheus, Tokentail, main, poll, write_config,
                     free_port)

OUTAGE_S = 30 if SLOW <= 1 else 6
INTERVAL_S = 0.25 if SLOW <= 1 else 1.0
LINE_EVERY_S = 0.2
STALE_NAN = struct.pack("<Q", 0x7ff0000000000002)  # Prometheus' stale marker

METRICS = """
metrics:
  - name: app_requests_total
    type: counter
    help: Requests.
    labels: {status: status, model: model}
  - name: app_cost_dollars_total
    type: counter
    help: Cost.
    value: cost
    labels: {model: model}
  - name: app_duration_seconds
    type: histogram
    help: Duration.
    value: ms
    scale: 0.001
    buckets: [0.1, 1]
    labels: {status: status}
"""


def line(i):
    model = ['gpt-"4"', "claude\nx", "small"][i % 3]
    status = [200, 200, 500, 429][i % 4]
    return json.dumps({"status": status, "model": model,
                       "cost": "0.000%d1" % (i % 7), "ms": 37 * (i % 50)}) + "\n"


def config(d, remotes):
    return ("inputs:\n  - name: app\n    paths: [%s/*.log]\n" % d + METRICS +
            "external_labels: {cluster: ci, model: external}\n"
            "remote_write:\n" + remotes)


def write_lines(path, start, n):
    with open(path, "a") as f:
        for i in range(start, start + n):
            f.write(line(i))


def selfval(e, name, remote, **kw):
    v = e.value("tokentail_remote_write_" + name, remote=remote, **kw)
    assert v is not None, "no %s for %s" % (name, remote)
    return v


def figures(e, remote):
    f = {k: int(selfval(e, "samples_%s_total" % k, remote))
         for k in ("in", "sent", "failed", "dropped", "retried")}
    f["queued"] = int(selfval(e, "queue_samples", remote))
    return f


def adds_up(f):
    assert f["in"] == f["sent"] + f["failed"] + f["dropped"] + f["queued"], f


def expected(e, prefix, ext):
    """{frozenset(labels incl. __name__ and external): float} of /metrics."""
    out = {}
    for (name, labels), v in e.samples.items():
        if not name.startswith(prefix):
            continue
        d = dict(labels)
        for k, x in ext.items():
            d.setdefault(k, x)
        d["__name__"] = name
        out[frozenset(d.items())] = float(v)
    return out


def query(prom, q, at):
    path = "/api/v1/query?" + urllib.parse.urlencode({"query": q, "time": "%.3f" % at})
    r = prom.get(path)
    assert r["status"] == "success", r
    return r["data"]["result"]


def stored(prom, selector, at):
    return {frozenset(s["metric"].items()): float(s["value"][1])
            for s in query(prom, selector, at)}


def newer_push(tt, remote, t0):
    """Polls until a push of a snapshot taken after t0 was accepted and
    nothing waits; returns that scrape."""
    def done():
        e = tt.scrape()
        h = e.value("tokentail_remote_write_highest_sent_timestamp_seconds",
                    remote=remote)
        q = e.value("tokentail_remote_write_queue_samples", remote=remote)
        return e if h is not None and float(h) > t0 and q == "0" else None
    return poll("a push after %.3f to %s" % (t0, remote), done, 30)


def agree(prom, e, remote):
    h = float(selfval(e, "highest_sent_timestamp_seconds", remote))
    want = expected(e, "app_", {"cluster": "ci", "model": "external"})
    got = stored(prom, '{__name__=~"app_.*"}', h)
    assert got == want, "Prometheus holds\n%r\n/metrics shows\n%r" % (got, want)
    return h


def test_prometheus():
    with tempfile.TemporaryDirectory() as d:
        pdir = os.path.join(d, "prom")
        os.mkdir(pdir)
        flags = ["--web.enable-remote-write-receiver"]
        prom = Prometheus(pdir, "global: {}\n", args=flags)
        url = "http://127.0.0.1:%d/api/v1/write" % prom.port
        cfg = write_config(d, config(d, (
            "  - url: %s\n    name: prom\n    interval: %dms\n"
            "    queue_config: {capacity: 100000, max_backoff: 1s}\n") % (url, INTERVAL_S * 1000)))
        log = os.path.join(d, "app.log")
        write_lines(log, 0, 0)
        tt = Tokentail(cfg)
        try:
            poll("Prometheus ready", lambda: _ready(prom), 30)
            write_lines(log, 0, 40)
            tt.wait_lines(40)
            agree(prom, newer_push(tt, "prom", time.time()), "prom")

            # The receiver goes away; lines keep coming.
            prom.stop()
            t_stop = time.time()
            n = 40
            end = time.monotonic() + OUTAGE_S
            while time.monotonic() < end:
                write_lines(log, n, 1)
                n += 1
                time.sleep(LINE_EVERY_S)
            e = tt.scrape()
            f = figures(e, "prom")
            assert f["queued"] > 0 and f["retried"] > 0, f
            assert int(selfval(e, "requests_total", "prom", result="retried")) > 0
            t_back = time.time()
            prom = Prometheus(pdir, "global: {}\n", args=flags, port=prom.port)
            poll("Prometheus ready again", lambda: _ready(prom), 30)
            tt.wait_lines(n)
            e = newer_push(tt, "prom", time.time())
            h = agree(prom, e, "prom")
            f = figures(e, "prom")
            adds_up(f)
            assert f["failed"] == 0 and f["dropped"] == 0 and f["queued"] == 0, f
            # Every sample sent is stored once: nothing lost, none twice.
            held = query(prom, '{cluster="ci"}[1h]', h)
            held = sum(len(s["values"]) for s in held)
            assert held == f["sent"], (held, f)
            # Every snapshot of the outage is there: no gap in a series
            # every snapshot holds.
            raw = query(prom, 'tokentail_remote_write_queue_capacity_samples[1h]', h)
            ts = [float(t) for t, _ in raw[0]["values"]]
            during = [t for t in ts if t_stop < t < t_back]
            assert len(during) >= OUTAGE_S / INTERVAL_S / 2, (len(during), OUTAGE_S)
            gaps = [b - a for a, b in zip(ts, ts[1:])]
            assert max(gaps) < 4 * INTERVAL_S + SLOW, max(gaps)
        finally:
            tt.stop()
            prom.stop()


def _ready(prom):
    try:
        return prom.get("/api/v1/status/buildinfo")["status"] == "success"
    except Exception:
        return False


# --- a recording receiver --------------------------------------------------

_snappy = ctypes.CDLL("libsnappy.so.1")


def unsnappy(b):
    n = ctypes.c_size_t()
    assert _snappy.snappy_uncompressed_length(b, ctypes.c_size_t(len(b)),
                                              ctypes.byref(n)) == 0
    out = ctypes.create_string_buffer(n.value)
    assert _snappy.snappy_uncompress(b, ctypes.c_size_t(len(b)), out,
                                     ctypes.byref(n)) == 0
    return out.raw[:n.value]


def fields(b):
    """(field number, wire type, value) of one protobuf message."""
    i = 0
    while i < len(b):
        key, i = varint(b, i)
        num, wt = key >> 3, key & 7
        if wt == 0:
            v, i = varint(b, i)
        elif wt == 1:
            v, i = b[i:i + 8], i + 8
        elif wt == 2:
            n, i = varint(b, i)
            v, i = b[i:i + n], i + n
        else:
            raise AssertionError("wire type %d" % wt)
        yield num, wt, v


def varint(b, i):
    shift = v = 0
    while True:
        c = b[i]
        i += 1
        v |= (c & 0x7f) << shift
        shift += 7
        if not c & 0x80:
            return v, i


def decode(body):
    """[(labels as [(name, value)] in order, value, timestamp ms)]."""
    out = []
    for num, _, ts in fields(unsnappy(body)):
        assert num == 1
        labels, samples = [], []
        for n2, _, v in fields(ts):
            if n2 == 1:
                d = {k: x.decode() for k, _, x in fields(v)}
                labels.append((d.get(1, ""), d.get(2, "")))
            else:
                d = {k: x for k, _, x in fields(v)}
                raw = d.get(1, b"\0" * 8)
                value = ("stale" if raw == STALE_NAN
                         else struct.unpack("<d", raw)[0])
                samples.append((value, d.get(2, 0)))
        assert len(samples) == 1, samples
        out.append((labels, samples[0][0], samples[0][1]))
    return out


class Receiver:
    """Records every POST (path, headers, decoded series, status) and
    answers what answer(n, path) says for the n-th: (status, body)."""

    def __init__(self):
        self.posts = []
        self.lock = threading.Lock()
        self.answer = lambda n, path: (200, b"")
        outer = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers["Content-Length"]))
                with outer.lock:
                    n = len(outer.posts)
                    status, text = outer.answer(n, self.path)
                    outer.posts.append((self.path, dict(self.headers),
                                        decode(body), status))
                self.send_response(status)
                self.send_header("Content-Length", str(len(text)))
                self.end_headers()
                self.wfile.write(text)

            def log_message(self, *a):
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def snapshot(self):
        with self.lock:
            return list(self.posts)

    def close(self):
        self.server.shutdown()
        self.server.server_close()


def test_headers_and_refusals():
    rcv = Receiver()
    # The first request to /basic is refused for good; every other is taken.
    refused = []

    def answer(n, path):
        if not refused and path == "/basic":
            refused.append(n)
            return 400, b"out of bounds\nsecond line"
        return 200, b""
    rcv.answer = answer
    with tempfile.TemporaryDirectory() as d:
        with open(os.path.join(d, "secret"), "w") as f:
            f.write("p4ss\n")
        base = "http://127.0.0.1:%d" % rcv.port
        remotes = (
            "  - url: %s/basic\n    name: basic\n    interval: %dms\n"
            "    basic_auth: {username: u, password_file: secret}\n"
            "    headers: {X-Scope-OrgID: team-a}\n"
            "  - url: %s/token\n    interval: %dms\n"
            "    authorization: {credentials: t0k}\n") % (
                base, INTERVAL_S * 1000, base, INTERVAL_S * 1000)
        cfg = write_config(d, config(d, remotes))
        write_lines(os.path.join(d, "app.log"), 0, 0)
        tt = Tokentail(cfg)
        try:
            write_lines(os.path.join(d, "app.log"), 0, 12)
            tt.wait_lines(12)
            derived = "%06x" % (fnv1a(base + "/token") >> 40)
            e = newer_push(tt, "basic", time.time())
            newer_push(tt, derived, time.time())
            posts = rcv.snapshot()
            basic = [p for p in posts if p[0] == "/basic"]
            token = [p for p in posts if p[0] == "/token"]
            h = basic[0][1]
            assert h["Content-Encoding"] == "snappy"
            assert h["Content-Type"] == "application/x-protobuf"
            assert h["X-Prometheus-Remote-Write-Version"] == "0.1.0"
            assert h["User-Agent"].startswith("tokentail/"), h
            assert h["Authorization"] == "Basic " + base64.b64encode(b"u:p4ss").decode()
            assert h["X-Scope-OrgID"] == "team-a"
            assert token[0][1]["Authorization"] == "Bearer t0k"
            assert "X-Scope-OrgID" not in token[0][1]
            for _, _, series, _ in posts:
                assert len({t for _, _, t in series}) == 1  # one timestamp
                for labels, _, _ in series:
                    names = [k for k, _ in labels]
                    assert names == sorted(names) and "__name__" in names, labels
                    assert ("cluster", "ci") in labels, labels
            # The refused batch: failed, not sent again.
            e = tt.scrape()
            first = basic[0]
            assert first[3] == 400
            f = figures(e, "basic")
            assert f["failed"] == len(first[2]), (f, len(first[2]))
            assert selfval(e, "requests_total", "basic", result="failed") == "1"
            adds_up(f)
            assert "HTTP status 400: out of bounds" in tt.log()
            assert not any(p[2] == first[2] for p in basic[1:])

            # A reload: the first remote is unchanged, the second gets a new
            # token (a rotated secret) and keeps its queue and figures.
            sent = f["sent"]
            sent2 = int(selfval(e, "samples_sent_total", derived))
            cfg = write_config(d, config(d, remotes.replace("t0k", "n3w")))
            tt.proc.send_signal(signal.SIGHUP)
            poll("the reload", lambda: "configuration reloaded" in tt.log(), 20)
            assert "remote write to %s: settings changed" % derived in tt.log()
            assert "stopped" not in tt.log()
            assert "marked stale" not in tt.log()  # every series stays
            e = newer_push(tt, "basic", time.time())
            assert int(selfval(e, "samples_sent_total", "basic")) > sent
            assert int(selfval(e, "samples_failed_total", "basic")) == f["failed"]
            e = newer_push(tt, derived, time.time())
            assert int(selfval(e, "samples_sent_total", derived)) > sent2
            adds_up(figures(e, derived))
            assert any(p[1].get("Authorization") == "Bearer n3w"
                       for p in rcv.snapshot())
        finally:
            tt.stop()
            rcv.close()


def fnv1a(s):
    h = 0xcbf29ce484222325
    for c in s.encode():
        h = ((h ^ c) * 0x100000001b3) & 0xffffffffffffffff
    return h


def test_overflow():
    rcv = Receiver()
    rcv.answer = lambda n, path: (503, b"busy")
    with tempfile.TemporaryDirectory() as d:
        remotes = ("  - url: http://127.0.0.1:%d/w\n    name: small\n"
                   "    interval: %dms\n    queue_config: {capacity: 400,"
                   " max_samples_per_send: 400, min_backoff: 20ms,"
                   " max_backoff: 100ms}\n") % (rcv.port, INTERVAL_S * 1000)
        cfg = write_config(d, config(d, remotes))
        write_lines(os.path.join(d, "app.log"), 0, 0)
        tt = Tokentail(cfg)
        try:
            write_lines(os.path.join(d, "app.log"), 0, 8)
            tt.wait_lines(8)

            def overflowed():
                e = tt.scrape()
                f = figures(e, "small")
                return f if f["dropped"] > 0 and len(rcv.snapshot()) > 3 else None
            f = poll("the queue overflowing", overflowed, 30)
            assert f["sent"] == 0 and f["failed"] == 0, f
            adds_up(f)
            refused = rcv.snapshot()
            last_refused = refused[-1][2][0][2]
            rcv.answer = lambda n, path: (200, b"")
            e = newer_push(tt, "small", time.time())
            f = figures(e, "small")
            adds_up(f)
            assert f["failed"] == 0 and f["queued"] == 0, f
            posts = rcv.snapshot()
            stamps = [p[2][0][2] for p in posts]
            assert stamps == sorted(stamps), "sent out of order"
            taken = [p[2][0][2] for p in posts if p[3] == 200]
            # The oldest were dropped: nothing older than the last refused
            # batch is sent afterwards.
            assert taken[0] >= last_refused, (taken[0], last_refused)
            assert f["sent"] == sum(len(p[2]) for p in posts if p[3] == 200), f
        finally:
            tt.stop()
            rcv.close()


def test_last_push_at_shutdown():
    """With an interval of an hour, the only push is the one SIGTERM makes:
    it holds what /metrics showed last."""
    rcv = Receiver()
    with tempfile.TemporaryDirectory() as d:
        remotes = "  - {url: 'http://127.0.0.1:%d/w', name: last, interval: 1h}\n" % rcv.port
        cfg = write_config(d, config(d, remotes))
        write_lines(os.path.join(d, "app.log"), 0, 0)
        tt = Tokentail(cfg)
        try:
            write_lines(os.path.join(d, "app.log"), 0, 9)
            e = tt.wait_lines(9)
            assert rcv.snapshot() == []
        finally:
            log = tt.stop()
            rcv.close()
        posts = rcv.snapshot()
        assert len(posts) == 1 and posts[0][3] == 200, posts
        got = {frozenset(l): v for l, v, _ in posts[0][2]
               if dict(l)["__name__"].startswith("app_")}
        assert got == expected(e, "app_", {"cluster": "ci", "model": "external"})
        assert "not sent at shutdown" not in log


def test_stale_after_reload():
    """A reload that removes a metric pushes a stale marker for each series
    /metrics no longer shows (the metric's, and tokentail's own about it),
    and for nothing else."""
    rcv = Receiver()
    ext = {"cluster": "ci", "model": "external"}
    with tempfile.TemporaryDirectory() as d:
        remotes = ("  - {url: 'http://127.0.0.1:%d/w', name: s, interval: %dms}\n"
                   % (rcv.port, INTERVAL_S * 1000))
        cfg = write_config(d, config(d, remotes))
        write_lines(os.path.join(d, "app.log"), 0, 0)
        tt = Tokentail(cfg)
        try:
            write_lines(os.path.join(d, "app.log"), 0, 9)
            tt.wait_lines(9)
            before = expected(newer_push(tt, "s", time.time()), "", ext)
            text = config(d, remotes)
            a = text.index("  - name: app_cost_dollars_total")
            b = text.index("  - name: app_duration_seconds")
            write_config(d, text[:a] + text[b:])
            n = len(rcv.snapshot())
            tt.proc.send_signal(signal.SIGHUP)
            poll("the reload", lambda: "configuration reloaded" in tt.log(), 20)
            e = newer_push(tt, "s", time.time())
            gone = set(before) - set(expected(e, "", ext))
            stale = set(frozenset(l) for p in rcv.snapshot()[n:]
                        for l, v, _ in p[2] if v == "stale")
            assert stale == gone, (stale ^ gone)
            cost = [k for k in gone if ("__name__", "app_cost_dollars_total") in k]
            assert len(cost) == 3, gone
            assert frozenset({"__name__": "tokentail_series",
                              "metric": "app_cost_dollars_total",
                              **ext}.items()) in gone
            assert "%d series gone with the reload, marked stale" % len(gone) in tt.log()
            assert e.family("app_cost_dollars_total") == {}
            adds_up(figures(e, "s"))
        finally:
            tt.stop()
            rcv.close()


if __name__ == "__main__":
    only = [t for t in sys.argv[2:]]
    tests = [test_headers_and_refusals, test_overflow,
             test_last_push_at_shutdown, test_stale_after_reload,
             test_prometheus]
    main([t for t in tests if not only or t.__name__ in only])
