"""Scrape formats: gzip, and OpenMetrics 1.0 beside the text format.

- gzip: asked for (by Accept-Encoding, by curl --compressed), /metrics comes
  compressed and inflates to exactly what the same scrape sends plain; small
  answers go plain; every answer that could be compressed says Vary; HEAD
  carries GET's headers; gzip;q=0 and identity alone get plain text.
- OpenMetrics: asked for as Prometheus asks, the exposition is parsed by an
  independent parser (python3-prometheus-client's OpenMetrics parser), and
  every value is compared with what the lines imply; each counter and
  histogram series' _created lies between the test's start and the moment
  its first line had been read, and is the same after a restart.
- A real Prometheus scrapes tokentail both ways (one job directly, in
  OpenMetrics, one through a loopback proxy that asks for the text format,
  since Prometheus 2.42 always asks for OpenMetrics first) and the same
  queries give the same answers.
"""
import gzip
import http.client
import json
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
from decimal import Decimal
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from harness import (SLOW, Exposition, Prometheus, Skip, Tokentail, main,
                     poll, write_config)

try:
    from prometheus_client.openmetrics import parser as om_parser
except ImportError:  # a python3 of its own, beside Debian's packages
    sys.path.append("/usr/lib/python3/dist-packages")
    try:
        from prometheus_client.openmetrics import parser as om_parser
    except ImportError:
        om_parser = None

PROMETHEUS_ACCEPT = (
    "application/openmetrics-text;version=1.0.0,application/openmetrics-text;"
    "version=0.0.1;q=0.75,text/plain;version=0.0.4;q=0.5,*/*;q=0.1")
OM_TYPE = "application/openmetrics-text; version=1.0.0; charset=utf-8"
TEXT_TYPE = "text/plain; version=0.0.4; charset=utf-8"

CONFIG = """
inputs:
  - name: app
    paths: [%(dir)s/*.log]
    start_at: beginning
state:
  checkpoint_interval: 1h
metrics:
  - name: requests_total
    type: counter
    help: 'Requests, "quoted" and \\ backslashed.'
    labels: {model: model, route: route}
  - name: response_bytes_total
    type: counter
    value: size
    labels: {model: model}
  - name: latency_seconds
    type: histogram
    value: ms
    scale: 0.001
    buckets: [0.1, 0.5, 1, 2.5]
    labels: {model: model}
  - name: queue_depth
    type: gauge
    value: depth
usage:
  metrics: [requests_total]
"""

MODELS = ["gpt-4o", 'we"ird\\model', "mod\u00e8le"]
# Kept small under valgrind: every line costs there.
N_LINES = 300 if SLOW <= 1 else 60


def lines(n):
    out = []
    for i in range(n):
        out.append({"model": MODELS[i % 3], "route": "/r%d" % (i % 20),
                    "size": 100 + i, "ms": (i * 37) % 3000, "depth": i % 9})
    return out


def expected(events):
    """What the lines imply, by series: counters, histograms, the gauge."""
    req, size, hist = {}, {}, {}
    bounds = [Decimal("0.1"), Decimal("0.5"), Decimal("1"), Decimal("2.5")]
    for e in events:
        k = (e["model"], e["route"])
        req[k] = req.get(k, 0) + 1
        size[e["model"]] = size.get(e["model"], 0) + e["size"]
        h = hist.setdefault(e["model"], {"b": [0] * 4, "sum": Decimal(0),
                                         "count": 0})
        v = Decimal(e["ms"]) / 1000
        for i, b in enumerate(bounds):
            if v <= b:
                h["b"][i] += 1
        h["sum"] += v
        h["count"] += 1
    return req, size, hist, events[-1]["depth"]


def write_lines(d, events):
    with open(os.path.join(d, "app.log"), "a") as f:
        for e in events:
            f.write(json.dumps(e) + "\n")


def get(t, path, headers=None, method="GET"):
    return t.request(path, method=method, headers=headers or {})


def drop_moving(text):
    """The exposition without what every request moves."""
    return "\n".join(l for l in text.split("\n")
                     if not l.startswith("tokentail_http_responses_total")
                     and not l.startswith("process_"))


def test_gzip():
    with tempfile.TemporaryDirectory() as d:
        cfg = write_config(d, CONFIG % {"dir": d})
        t = Tokentail(cfg)
        try:
            write_lines(d, lines(N_LINES))
            t.wait_lines(N_LINES)

            def same():
                _, ph, plain = get(t, "/metrics")
                _, zh, z = get(t, "/metrics", {"Accept-Encoding": "gzip"})
                assert "Content-Encoding" not in ph, ph
                assert ph["Vary"] == "Accept, Accept-Encoding", ph
                assert zh["Content-Encoding"] == "gzip", zh
                assert zh["Vary"] == "Accept, Accept-Encoding", zh
                assert int(zh["Content-Length"]) == len(z) < len(plain) / 3
                return drop_moving(gzip.decompress(z).decode()) == \
                    drop_moving(plain.decode())
            poll("a gzip scrape identical to the plain one", same, 10)

            # HEAD: GET's headers, no body.
            _, hh, body = get(t, "/metrics", {"Accept-Encoding": "gzip"},
                              method="HEAD")
            assert body == b"" and hh["Content-Encoding"] == "gzip", hh
            assert hh["Vary"] == "Accept, Accept-Encoding", hh
            assert int(hh["Content-Length"]) > 0, hh

            # Refused or not asked for: plain.
            for ae in ("gzip;q=0", "identity", "br", "gzip;q=0.5, identity"):
                _, h, body = get(t, "/metrics", {"Accept-Encoding": ae})
                assert "Content-Encoding" not in h, (ae, h)
                assert h["Vary"] == "Accept, Accept-Encoding", (ae, h)
                assert body.startswith(b"# HELP"), ae
            _, h, _ = get(t, "/metrics", {"Accept-Encoding": "*"})
            assert h["Content-Encoding"] == "gzip", h

            # Too small to pay: plain, but it still varies.
            status, h, body = get(t, "/health", {"Accept-Encoding": "gzip"})
            assert status == 200 and len(body) < 1024, (status, len(body))
            assert "Content-Encoding" not in h and \
                h["Vary"] == "Accept-Encoding", h
            json.loads(body)
            # The JSON API: compressed when it pays, varying always.
            status, h, body = get(t, "/api/v1/usage?by=model,route",
                                  {"Accept-Encoding": "gzip"})
            _, ph, plain = get(t, "/api/v1/usage?by=model,route")
            assert status == 200 and h["Vary"] == "Accept-Encoding", h
            assert len(plain) > 1024 and h["Content-Encoding"] == "gzip", h
            assert gzip.decompress(body) == plain
            assert "Content-Encoding" not in ph and \
                ph["Vary"] == "Accept-Encoding", ph
            # Streamed rows: plain, whatever was asked.
            status, h, body = get(
                t, "/api/v1/usage/export?metric=requests_total&format=csv",
                {"Accept-Encoding": "gzip"})
            assert status == 200, (status, body)
            assert "Content-Encoding" not in h and "Vary" not in h, h
            assert body.startswith(b"start,end,model,route,value\r\n"), body[:40]
            # Never compressed: the page and unknown paths do not vary.
            for path in ("/", "/nothing"):
                _, h, _ = get(t, path, {"Accept-Encoding": "gzip"})
                assert "Vary" not in h and "Content-Encoding" not in h, h

            # curl, as a user would run it.
            if shutil.which("curl"):
                url = "http://127.0.0.1:%d/metrics" % t.port
                p = subprocess.run(["curl", "-sS", "--compressed", "-D", "-",
                                    "--max-time", str(10 * SLOW), url],
                                   capture_output=True, check=True)
                head, _, body = p.stdout.partition(b"\r\n\r\n")
                assert b"\r\nContent-Encoding: gzip" in head, head
                e = Exposition(body.decode())
                assert e.value("tokentail_lines_read_total",
                               input="app") == str(N_LINES)
        finally:
            t.stop()


def om_families(text):
    if om_parser is None:
        raise AssertionError("python3-prometheus-client is not installed "
                             "(tests/deps)")
    return {f.name: f for f in om_parser.text_string_to_metric_families(text)}


def scrape_om(t):
    status, h, body = get(t, "/metrics", {"Accept": PROMETHEUS_ACCEPT})
    assert status == 200 and h["Content-Type"] == OM_TYPE, (status, h)
    text = body.decode()
    assert text.endswith("# EOF\n"), text[-50:]
    return text, om_families(text)


def samples(fam, name):
    return {tuple(sorted(s.labels.items())): s.value
            for s in fam.samples if s.name == name}


def check_values(fams, events):
    req, size, hist, depth = expected(events)
    f = fams["requests"]
    assert f.type == "counter" and f.unit == ""
    assert f.documentation == 'Requests, "quoted" and \\ backslashed.'
    got = samples(f, "requests_total")
    assert got == {(("model", m), ("route", r)): n
                   for (m, r), n in req.items()}, got
    f = fams["response_bytes"]
    assert f.type == "counter" and f.unit == "bytes"
    assert samples(f, "response_bytes_total") == {
        (("model", m),): v for m, v in size.items()}
    f = fams["latency_seconds"]
    assert f.type == "histogram" and f.unit == "seconds"
    buckets = samples(f, "latency_seconds_bucket")
    for m, h in hist.items():
        # expected() counts each bucket as le does: cumulatively.
        for le, n in zip(("0.1", "0.5", "1.0", "2.5"), h["b"]):
            assert buckets[(("le", le), ("model", m))] == n, (m, le)
        assert buckets[(("le", "+Inf"), ("model", m))] == h["count"]
        assert samples(f, "latency_seconds_sum")[(("model", m),)] == \
            float(h["sum"])
        assert samples(f, "latency_seconds_count")[(("model", m),)] == \
            h["count"]
    f = fams["queue_depth"]
    assert f.type == "gauge" and samples(f, "queue_depth") == {(): depth}
    assert not any(s.name.endswith("_created") for s in f.samples)


def created(fams):
    out = {}
    for name in ("requests", "response_bytes", "latency_seconds"):
        for k, v in samples(fams[name], name + "_created").items():
            out[(name, k)] = v
    return out


def test_openmetrics():
    with tempfile.TemporaryDirectory() as d:
        cfg = write_config(d, CONFIG % {"dir": d})
        t = Tokentail(cfg)
        try:
            events = lines(N_LINES)
            start = time.time()
            write_lines(d, events)
            t.wait_lines(N_LINES)
            read_by = time.time()
            text, fams = scrape_om(t)
            check_values(fams, events)
            began = created(fams)
            # One per series: 60 request series, 3 + 3 of the others.
            assert len(began) == 60 + 3 + 3, began
            for k, v in began.items():
                # Milliseconds: the clock's own rounding allowed for.
                assert start - 0.001 <= v <= read_by + 0.001, (k, v, start)
            # No _created for series without a beginning of their own.
            assert "queue_depth_created" not in text
            assert "# UNIT latency_seconds seconds\n" in text
            assert 'latency_seconds_bucket{model="gpt-4o",le="1.0"}' in text
            # The text format is as it always was.
            status, h, body = get(t, "/metrics", {"Accept": "*/*"})
            assert h["Content-Type"] == TEXT_TYPE, h
            plain = body.decode()
            assert "# TYPE requests_total counter\n" in plain
            assert "_created" not in plain and "# EOF" not in plain
            assert 'latency_seconds_bucket{model="gpt-4o",le="1"}' in plain
            for accept in ("application/openmetrics-text;q=0,*/*",
                           "text/html,*/*;q=0.8", "text/plain"):
                _, h, _ = get(t, "/metrics", {"Accept": accept})
                assert h["Content-Type"] == TEXT_TYPE, (accept, h)
        finally:
            t.stop()

        # The same beginnings after a restart, and new series their own.
        t = Tokentail(cfg, state=t.state)
        try:
            # Restored before serving: nothing is read again.
            _, fams = scrape_om(t)
            check_values(fams, events)
            assert created(fams) == began
            more = [{"model": "new", "route": "/n", "size": 1, "ms": 5,
                     "depth": 3}]
            before_new = time.time()
            write_lines(d, more)
            t.wait_lines(1)
            _, fams = scrape_om(t)
            check_values(fams, events + more)
            now = created(fams)
            for k, v in began.items():
                assert now[k] == v, k
            fresh = {k: v for k, v in now.items() if k not in began}
            assert len(fresh) == 3, fresh
            assert all(before_new - 0.001 <= v <= time.time()
                       for v in fresh.values()), fresh
        finally:
            t.stop()


# --- a real Prometheus, both ways ------------------------------------------

class TextProxy(BaseHTTPRequestHandler):
    """Forwards a scrape to tokentail asking for the text format."""
    target = None  # tokentail's port

    def do_GET(self):
        conn = http.client.HTTPConnection("127.0.0.1", self.target,
                                          timeout=10 * SLOW)
        headers = {"Accept": "text/plain;version=0.0.4"}
        if self.headers.get("Accept-Encoding"):
            headers["Accept-Encoding"] = self.headers["Accept-Encoding"]
        try:
            conn.request("GET", self.path, headers=headers)
            r = conn.getresponse()
            body = r.read()
            self.send_response(r.status)
            for k in ("Content-Type", "Content-Encoding"):
                if r.getheader(k):
                    self.send_header(k, r.getheader(k))
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
        finally:
            conn.close()

    def log_message(self, *args):
        pass


PROMETHEUS = """
global:
  scrape_interval: 1s
scrape_configs:
  - job_name: om
    static_configs: [{targets: ['127.0.0.1:%(tt)d']}]
  - job_name: text
    static_configs: [{targets: ['127.0.0.1:%(proxy)d']}]
"""

QUERIES = [
    'sum by (model, route) (requests_total{job="%s"})',
    'response_bytes_total{job="%s"}',
    'sum by (model) (latency_seconds_sum{job="%s"})',
    'latency_seconds_count{job="%s"}',
    'histogram_quantile(0.9, sum by (le, model) '
    '(latency_seconds_bucket{job="%s"}))',
    'queue_depth{job="%s"}',
    'count by (__name__) ({job="%s", __name__!~".*_created"})',
]


def promql(prom, q):
    doc = prom.get("/api/v1/query?" + urllib.parse.urlencode({"query": q}))
    assert doc["status"] == "success", doc
    return doc["data"]["result"]


def answer(result):
    """A query's answer without the job and without a timestamp."""
    out = []
    for s in result:
        m = {k: v for k, v in s["metric"].items()
             if k not in ("job", "instance")}
        out.append((tuple(sorted(m.items())), s["value"][1]))
    return sorted(out)


def test_prometheus_both_ways():
    with tempfile.TemporaryDirectory() as d:
        cfg = write_config(d, CONFIG % {"dir": d})
        t = Tokentail(cfg)
        TextProxy.target = t.port
        proxy = ThreadingHTTPServer(("127.0.0.1", 0), TextProxy)
        threading.Thread(target=proxy.serve_forever, daemon=True).start()
        try:
            prom = Prometheus(d, PROMETHEUS % {
                "tt": t.port, "proxy": proxy.server_address[1]})
        except Skip:
            proxy.shutdown()
            proxy.server_close()
            t.stop()
            raise
        try:
            events = lines(N_LINES)
            write_lines(d, events)
            t.wait_lines(N_LINES)
            req, _, _, _ = expected(events)

            def settled():
                # Both jobs scraped since every line was read.
                for job in ("om", "text"):
                    r = promql(prom, 'sum(requests_total{job="%s"})' % job)
                    if not r or r[0]["value"][1] != str(N_LINES):
                        return None
                return True
            poll("both jobs scraped every line", settled, 60)
            for q in QUERIES:
                om, text = answer(promql(prom, q % "om")), \
                    answer(promql(prom, q % "text"))
                assert om and om == text, (q, om, text)
            got = answer(promql(prom, QUERIES[0] % "om"))
            assert got == sorted(
                ((("model", m), ("route", r)), str(n))
                for (m, r), n in req.items()), got
            # OpenMetrics told Prometheus the unit; the text format cannot.
            meta = prom.get("/api/v1/targets/metadata?"
                            "metric=latency_seconds")["data"]
            units = {m["target"]["job"]: m["unit"] for m in meta}
            assert units == {"om": "seconds", "text": ""}, meta
        finally:
            prom.stop()
            proxy.shutdown()
            proxy.server_close()
            t.stop()


if __name__ == "__main__":
    main([test_gzip, test_openmetrics, test_prometheus_both_ways])
