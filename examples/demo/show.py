#!/usr/bin/env python3
"""Prints a live summary of what tokentail serves, every two seconds.

  show.py BASE_URL SECONDS LOGFILE PID

The figures are the ones the PromQL in README.md computes; here they are
read straight from /metrics so the demo needs no Prometheus.
"""
import re
import sys
import time
import urllib.request

base, seconds, logfile, pid = sys.argv[1], float(sys.argv[2]), sys.argv[3], int(sys.argv[4])
SAMPLE = re.compile(r'^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$')


def alive():
    try:
        with open("/proc/%d/stat" % pid) as f:
            return f.read().split(") ")[1][0] != "Z"
    except OSError:
        return False


def scrape():
    with urllib.request.urlopen(base + "/metrics", timeout=5) as r:
        text = r.read().decode()
    out = []
    for line in text.split("\n"):
        m = SAMPLE.match(line)
        if m:
            labels = dict(re.findall(r'(\w+)="((?:[^"\\]|\\.)*)"', m.group(2) or ""))
            out.append((m.group(1), labels, float(m.group(3))))
    return out


def quantile(q, buckets):
    """histogram_quantile over cumulative (le, count) pairs."""
    buckets = sorted(buckets)
    total = buckets[-1][1]
    if total == 0:
        return 0.0
    rank, prev_le, prev_n = q * total, 0.0, 0.0
    for le, n in buckets:
        if n >= rank:
            if le == float("inf"):
                return prev_le
            return prev_le + (le - prev_le) * (rank - prev_n) / max(n - prev_n, 1e-9)
        prev_le, prev_n = le, n
    return prev_le


def main():
    end = time.monotonic() + seconds if seconds > 0 else None
    while True:  # wait for tokentail to answer
        if not alive():
            sys.exit("tokentail did not start:\n" + open(logfile).read())
        try:
            scrape()
            break
        except OSError:
            time.sleep(0.1)
    print("tokentail is serving %s/metrics  (and %s/health)" % (base, base))
    print("it follows FlashCase-style logs written at 40 lines/s; Ctrl-C stops the demo\n")
    while end is None or time.monotonic() < end:
        time.sleep(2)
        if not alive():
            sys.exit("tokentail stopped:\n" + open(logfile).read())
        s = scrape()
        req = sum(v for n, l, v in s if n == "http_requests_total")
        err = sum(v for n, l, v in s if n == "http_requests_total" and l["status"] >= "500")
        buckets = {}
        for n, l, v in s:
            if n == "http_request_duration_seconds_bucket":
                le = float("inf") if l["le"] == "+Inf" else float(l["le"])
                buckets[le] = buckets.get(le, 0) + v
        tokens = {l["model"]: v for n, l, v in s if n == "llm_tokens_total"}
        cost = {l["model"]: v for n, l, v in s if n == "llm_cost_usd_total"}
        p = [quantile(q, list(buckets.items())) if buckets else 0 for q in (0.5, 0.95, 0.99)]
        print("requests %6d  5xx %5.1f%%  latency p50 %.3fs p95 %.3fs p99 %.3fs" % (
            req, 100 * err / req if req else 0, *p))
        for model in sorted(tokens):
            print("    %-14s %9d tokens  $%.6f" % (model, tokens[model], cost.get(model, 0)))
        sys.stdout.flush()


if __name__ == "__main__":
    try:
        main()
    except KeyboardInterrupt:
        pass
