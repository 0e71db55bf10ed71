"""examples/nginx: nginx's JSON access log (log_format escape=json, every
variable quoted) read with --once, and every series of every family
compared with what the lines imply, computed here independently: Python's
re for the routes, methods and status classes, exact decimals for the
durations and byte counts. Lines include what real logs hold besides
clean requests: static files and scanners (route "other"), unusual
methods, no upstream ("" or "-"), several upstreams ("0.010, 0.020"),
status 499, escaped user agents, a broken line.
"""
import os
import random
import re
import tempfile
from collections import defaultdict
from decimal import Decimal

from harness import (ROOT, Exposition, assert_family, assert_histogram,
                     labelset, main, promtool_check, run)

CONFIG = os.path.join(ROOT, "examples", "nginx", "exporter.yaml")
BUCKETS = ["0.005", "0.01", "0.025", "0.05", "0.1", "0.25", "0.5", "1", "2.5",
           "5", "10"]

# The label rules as the example's README states them.
METHOD = re.compile(r"(GET|HEAD|POST|PUT|PATCH|DELETE|OPTIONS)")
ROUTE = re.compile(r"(/api/v[0-9]+/[a-z_]+|/health)(?:/|$)")
LAST_NUMBER = re.compile(r"([0-9.]+)$")

URIS = ["/api/v1/chat/completions", "/api/v1/chat", "/api/v1/embeddings",
        "/api/v2/models/gpt-4o", "/api/v1/", "/api/v1/Chat", "/health",
        "/healthz", "/", "/static/app.js", "/favicon.ico", "/wp-login.php",
        "/api/v1/caf\u00e9", "/api/v10/batch_jobs/7"]
METHODS = ["GET"] * 6 + ["POST"] * 4 + ["HEAD", "PUT", "DELETE", "OPTIONS",
                                        "PATCH", "PROPFIND", "get", ""]
STATUSES = ["200"] * 8 + ["201", "204", "301", "304", "400", "401", "404",
                          "429", "499", "500", "502", "504"]
AGENTS = ["curl/8.5.0", "Mozilla/5.0 (X11; Linux x86_64)", 'bot "quoted"',
          "tab\there", "back\\slash", "\u00e9l\u00e8ve"]


def escape(s):
    """A string as nginx's escape=json writes it."""
    out = []
    for c in s:
        if c in '"\\':
            out.append("\\" + c)
        elif c == "\n":
            out.append("\\n")
        elif c == "\t":
            out.append("\\t")
        elif ord(c) < 0x20:
            out.append("\\u%04x" % ord(c))
        else:
            out.append(c)
    return "".join(out)


def seconds(rnd):
    """A $request_time: milliseconds with three decimals, as text."""
    ms = rnd.choice([rnd.randrange(0, 20), rnd.randrange(0, 2000),
                     rnd.randrange(0, 15000)])
    return "%d.%03d" % (ms // 1000, ms % 1000)


def upstream(rnd):
    kind = rnd.randrange(6)
    if kind == 0:
        return ""
    if kind == 1:
        return "-"
    if kind == 2:
        return "%s, %s" % (seconds(rnd), seconds(rnd))
    if kind == 3:
        return "%s : %s" % (seconds(rnd), seconds(rnd))
    return seconds(rnd)


def make_lines(n, seed):
    rnd = random.Random(seed)
    lines = []
    for i in range(n):
        body = rnd.choice([0, rnd.randrange(0, 500), rnd.randrange(0, 10 ** 7)])
        fields = [
            ("time_iso8601", "2025-10-21T15:42:%02d+00:00" % (i % 60)),
            ("remote_addr", "10.0.%d.%d" % (rnd.randrange(256), rnd.randrange(256))),
            ("request_method", rnd.choice(METHODS)),
            ("uri", rnd.choice(URIS)),
            ("status", rnd.choice(STATUSES)),
            ("request_time", seconds(rnd)),
            ("upstream_response_time", upstream(rnd)),
            ("body_bytes_sent", str(body)),
            ("bytes_sent", str(body + rnd.randrange(120, 600))),
            ("request_length", str(rnd.randrange(40, 20000))),
            ("http_user_agent", rnd.choice(AGENTS)),
        ]
        lines.append("{" + ",".join('"%s":"%s"' % (k, escape(v)) for k, v in fields)
                     + "}")
    # What else an access log holds now and then.
    lines.insert(n // 3, "2025/10/21 15:42:22 [error] 12#12: *1 connect() failed")
    lines.insert(n // 2, '{"request_method":"GET","uri":"/api/v1/chat",'
                 '"status":"200","request_time":"0.100","body_bytes_sent":"900",'
                 '"bytes_sent":"800","request_length":"100",'
                 '"upstream_response_time":"0.090"}')
    return lines


class Oracle:
    """The families the example defines, from the lines, as documented."""

    def __init__(self):
        self.requests = defaultdict(int)
        self.durations = defaultdict(list)
        self.upstream = defaultdict(list)
        self.request_bytes = defaultdict(Decimal)
        self.body_bytes = defaultdict(Decimal)
        self.header_bytes = defaultdict(Decimal)
        self.negative_headers = 0
        self.not_json = 0

    def feed(self, line):
        import json
        try:
            rec = json.loads(line)
        except ValueError:
            self.not_json += 1
            return
        m = rec["request_method"]
        method = m if METHOD.fullmatch(m) else "other"
        st = rec["status"]
        status = st[0] + "xx" if re.fullmatch(r"[1-5][0-9][0-9]", st) else "other"
        r = ROUTE.match(rec["uri"])
        route = r.group(1) if r else "other"
        self.requests[labelset(method=method, status=status, route=route)] += 1
        self.durations[labelset(method=method, route=route)].append(
            Decimal(rec["request_time"]))
        up = rec["upstream_response_time"]
        if re.search(r"[0-9]", up):
            self.upstream[labelset(route=route)].append(
                Decimal(LAST_NUMBER.search(up).group(1)))
        key = labelset(route=route)
        self.request_bytes[key] += Decimal(rec["request_length"])
        self.body_bytes[key] += Decimal(rec["body_bytes_sent"])
        header = Decimal(rec["bytes_sent"]) - Decimal(rec["body_bytes_sent"])
        if header < 0:
            self.negative_headers += 1
        else:
            self.header_bytes[key] += header


def test_every_series():
    lines = make_lines(20000, 7)
    oracle = Oracle()
    for line in lines:
        oracle.feed(line)
    assert oracle.negative_headers == 1 and oracle.not_json == 1
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "access.json")
        with open(path, "w", encoding="utf-8") as f:
            f.write("\n".join(lines) + "\n")
        rc, out, err = run(["--config.file=" + CONFIG, "--once", path])
    assert rc == 0, err
    promtool_check(out)
    e = Exposition(out)
    assert_family(e, "nginx_http_requests_total", oracle.requests)
    assert_histogram(e, "nginx_http_request_duration_seconds", BUCKETS,
                     oracle.durations)
    assert_histogram(e, "nginx_http_upstream_duration_seconds", BUCKETS,
                     oracle.upstream)
    assert_family(e, "nginx_http_request_bytes_total", oracle.request_bytes)
    assert_family(e, "nginx_http_response_body_bytes_total", oracle.body_bytes)
    assert_family(e, "nginx_http_response_header_bytes_total",
                  oracle.header_bytes)
    # Every line accounted for: the broken one skipped, the impossible
    # header size skipped as negative, lines without an upstream no skip.
    assert e.value("tokentail_lines_read_total", input="nginx") == str(len(lines))
    assert e.value("tokentail_lines_skipped_total", input="nginx",
                   reason="not_json") == "1"
    skipped = lambda metric, reason: e.value(
        "tokentail_metric_updates_skipped_total", metric=metric, reason=reason)
    assert skipped("nginx_http_response_header_bytes_total", "negative") == "1"
    for metric in ("nginx_http_requests_total", "nginx_http_upstream_duration_seconds"):
        for reason in ("field_missing", "no_match", "wrong_type", "unmapped"):
            assert skipped(metric, reason) in ("0", None), (metric, reason)
    # The fallbacks leave the labels' regexes nothing to refuse: no series
    # for a reason that cannot happen. The upstream's value regex can.
    assert skipped("nginx_http_requests_total", "no_match") is None
    assert skipped("nginx_http_upstream_duration_seconds", "no_match") == "0"
    # Routes stay few whatever the paths: the fallback, not one per URL.
    routes = {dict(k)["route"] for k in oracle.requests}
    assert routes == {"/api/v1/chat", "/api/v1/embeddings", "/api/v2/models",
                      "/api/v10/batch_jobs", "/health", "other"}, routes


if __name__ == "__main__":
    main([test_every_series])
