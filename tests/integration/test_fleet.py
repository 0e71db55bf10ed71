"""A fleet of tokentails scraped by one Prometheus, alerting through one
Alertmanager: the compose stack's topology, run with Debian's binaries.

Three tokentails (two under valgrind or the sanitizers) follow logs of
their own with the default configuration (exporter.yaml), the FlashCase
pack's alerts.yml as their rule file and the Alertmanager as their
receiver. A real Prometheus scrapes all of them every second with the
same rules, from examples/compose/prometheus.yml, and a real Alertmanager
runs examples/compose/alertmanager.yml. The rewrites of the compose files
are only these: intervals of 1s, the compose services' host names turned
into loopback addresses (one target per tokentail), the rule file glob
turned into the file compose mounts there, and the job scraping
Prometheus itself left out. The rules are the pack's, unchanged.

- Each tokentail serves exactly what its lines imply (FlashcaseOracle),
  and Prometheus' sum(...) over the fleet, for every default family
  (requests by status, LLM calls, tokens, cost, the histogram's buckets,
  sums and counts, lines read), equals the sum of the instances: counts
  exactly, and decimals as float64 sums of the values each exposes, in
  some order of addition.
- Tokens spiked in one instance's logs fire ElevatedTokenUsage (over
  50,000 tokens in an hour, no `for`) in Prometheus and in that
  tokentail's own evaluator, and both alerts reach the Alertmanager:
  Prometheus' with job and its external label monitor="flashcase",
  tokentail's with neither. No other instance alerts.

Nothing sleeps for a fixed time: every wait polls with a deadline.
"""
import itertools
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.parse
from decimal import Decimal

import yaml

from harness import (ROOT, SLOW, FlashcaseOracle, Prometheus, Skip, Tokentail,
                     default_config, feed_all, main, poll, sanitized,
                     write_config)
from test_notify import Alertmanager

COMPOSE = os.path.join(ROOT, "examples", "compose")
INSTANCES = 2 if SLOW > 1 or sanitized() else 3
LINES = 80 if INSTANCES == 3 else 60  # per instance: under 50,000 tokens
SPIKE_TOKENS = 30000                   # two lines of it: 60,000 in an hour
ALERT = "ElevatedTokenUsage"


def compose():
    with open(os.path.join(COMPOSE, "compose.yaml")) as f:
        return yaml.safe_load(f)


def mount_source(service, target):
    """The host file compose mounts at target in service, as a path."""
    for v in compose()["services"][service]["volumes"]:
        src, dst = v.split(":")[:2]
        if dst == target:
            return os.path.normpath(os.path.join(COMPOSE, src))
    raise AssertionError("compose mounts nothing at %s in %s" % (target, service))


def pack_rules():
    """The rule files the compose Prometheus loads (its rule_files glob,
    resolved through the mounts): the FlashCase pack's alerts.yml."""
    with open(os.path.join(COMPOSE, "prometheus.yml")) as f:
        cfg = yaml.safe_load(f)
    assert cfg["rule_files"] == ["/etc/prometheus/rules/*.yml"], cfg["rule_files"]
    path = mount_source("prometheus", "/etc/prometheus/rules/flashcase.yml")
    assert path == os.path.join(ROOT, "examples", "flashcase", "alerts.yml"), path
    return path


def prometheus_config(targets, am_port, rules):
    """examples/compose/prometheus.yml with the documented rewrites."""
    with open(os.path.join(COMPOSE, "prometheus.yml")) as f:
        cfg = yaml.safe_load(f)
    cfg["global"]["scrape_interval"] = "1s"
    cfg["global"]["evaluation_interval"] = "1s"
    cfg["rule_files"] = [rules]
    ams = cfg["alerting"]["alertmanagers"]
    assert ams[0]["static_configs"][0]["targets"] == ["alertmanager:9093"], ams
    ams[0]["static_configs"][0]["targets"] = ["127.0.0.1:%d" % am_port]
    jobs = {j["job_name"]: j for j in cfg["scrape_configs"]}
    tt = jobs["tokentail"]
    assert tt["static_configs"][0]["targets"] == ["tokentail:8653"], tt
    tt["static_configs"][0]["targets"] = ["127.0.0.1:%d" % p for p in targets]
    cfg["scrape_configs"] = [tt]
    return yaml.safe_dump(cfg)


def loggen(seed, count):
    """count FlashCase lines from the demo's writer, deterministic by seed."""
    args = [sys.executable, os.path.join(ROOT, "examples", "demo", "loggen.py"),
            "--count", str(count), "--seed", str(seed)]
    return subprocess.run(args, check=True, stdout=subprocess.PIPE,
                          timeout=60).stdout


def tokentail_config(directory, rules, am_port):
    """exporter.yaml as shipped, with the pack's rules evaluated every
    second and sent to the Alertmanager."""
    with open(default_config()) as f:
        text = f.read()
    return write_config(directory, text + """
rule_files: [%s]
alerting:
  evaluation_interval: 1s
  alertmanagers: [{url: 'http://127.0.0.1:%d'}]
""" % (rules, am_port))


def query(prom, expr, at):
    """{labels-frozenset: value text} of an instant query at time at."""
    q = urllib.parse.urlencode({"query": expr, "time": "%.3f" % at})
    doc = prom.get("/api/v1/query?" + q)
    assert doc["status"] == "success", doc
    return {frozenset(r["metric"].items()): r["value"][1]
            for r in doc["data"]["result"]}


def float_sums(values):
    """Every float64 total of values, added in any order, and the
    correctly rounded one (a Prometheus summing with compensation)."""
    out = {float(sum(Decimal(v) for v in values))}
    for order in itertools.permutations(values):
        total = 0.0
        for v in order:
            total += float(v)
        out.add(total)
    return out


def group(labels, keep):
    """The labels of a sum by (keep) group. Bounds are compared as
    numbers: Prometheus scrapes OpenMetrics, where le="1" is written
    le="1.0"."""
    return frozenset((n, str(float(x)) if n == "le" else x)
                     for n, x in labels if n in keep)


def by(family, labels):
    """{group: [value text of each instance]}, grouped as sum by (labels)
    groups, from per-instance {labels: value} maps."""
    out = {}
    for series in family:
        for k, v in series.items():
            out.setdefault(group(k, labels), []).append(v)
    return out


def check_sums(prom, at, scrapes):
    """Prometheus' sum by (...) of every default family equals the sum
    of what each instance exposes."""
    families = [
        ("http_requests_total", ("method", "path", "status"), True),
        ("llm_requests_total", ("model", "operation"), True),
        ("llm_tokens_total", ("model",), True),
        ("llm_cost_usd_total", ("model",), False),
        ("http_request_duration_seconds_bucket", ("method", "path", "le"), True),
        ("http_request_duration_seconds_count", ("method", "path"), True),
        ("http_request_duration_seconds_sum", ("method", "path"), False),
        ("tokentail_lines_read_total", ("input",), True),
    ]
    for name, labels, whole in families:
        want = by([e.family(name) for e in scrapes], labels)
        assert want, name
        got = {group(k, labels): v for k, v in query(
            prom, 'sum by (%s) (%s{job="tokentail"})' % (", ".join(labels), name),
            at).items()}
        assert set(got) == set(want), "%s: groups differ: only got %s, only want %s" % (
            name, [dict(k) for k in set(got) - set(want)],
            [dict(k) for k in set(want) - set(got)])
        for k, values in want.items():
            if whole:
                total = sum(Decimal(v) for v in values)
                assert Decimal(got[k]) == total, "%s%s: %s != %s" % (
                    name, dict(k), got[k], total)
            else:
                assert float(got[k]) in float_sums(values), "%s%s: %s, not a sum of %s" % (
                    name, dict(k), got[k], values)


def spike(model, now_text):
    """Two AI lines of SPIKE_TOKENS each for model."""
    lines = []
    for i in range(2):
        lines.append(json.dumps({
            "timestamp": now_text, "level": "INFO", "function": "chat",
            "endpoint": "/api/v1/ai/chat", "method": "POST", "status_code": 200,
            "duration_ms": 900.5, "tokens_used": SPIKE_TOKENS, "model": model,
            "cost_estimate": 0.03}) + "\n")
    return "".join(lines).encode()


def tokentail_alerts(tt):
    """The instance's ElevatedTokenUsage alerts. (Others may come and go:
    an error rate computed while the lines were being read, say.)"""
    status, _, body = tt.request("/api/v1/alerts")
    assert status == 200, status
    return [a for a in json.loads(body)["data"]["alerts"]
            if a["labels"]["alertname"] == ALERT]


def test_fleet():
    if shutil.which("prometheus") is None:
        raise Skip("prometheus is not installed")
    with tempfile.TemporaryDirectory() as d:
        rules = pack_rules()
        am = Alertmanager(os.path.join(COMPOSE, "alertmanager.yml"))
        fleet, prom = [], None
        try:
            oracles, logs = [], []
            for i in range(INSTANCES):
                home = os.path.join(d, "tt%d" % i)
                os.makedirs(os.path.join(home, "logs"))
                cfg = tokentail_config(home, rules, am.port)
                logs.append(os.path.join(home, "logs", "app.log"))
                fleet.append(Tokentail(cfg, cwd=home, env={
                    "TOKENTAIL_LOG_PATH": os.path.join(home, "logs", "*.log")}))
            # Each instance's lines, all of them read before Prometheus'
            # first scrape: every series starts at its final value, so
            # nothing has increased when the spike comes.
            scrapes = []
            for i, tt in enumerate(fleet):
                data = loggen(100 + i, LINES)
                oracle = FlashcaseOracle()
                assert feed_all(oracle, data) == b""
                assert sum(oracle.tokens.values()) < 50000, "seed %d" % i
                oracles.append(oracle)
                with open(logs[i], "wb") as f:
                    f.write(data)
            for tt, oracle in zip(fleet, oracles):
                e = tt.wait_lines(oracle.lines)
                oracle.check(e)
                scrapes.append(e)
            prom = Prometheus(d, prometheus_config([tt.port for tt in fleet],
                                                   am.port, rules))
            total = sum(o.lines for o in oracles)

            def scraped():
                up = query(prom, 'sum(up{job="tokentail"})', time.time())
                lines = query(prom, 'sum(tokentail_lines_read_total{job="tokentail"})',
                              time.time())
                return (up.get(frozenset()) == str(INSTANCES) and
                        lines.get(frozenset()) == str(total))
            poll("Prometheus scraping the fleet", scraped, 30)
            at = time.time()
            check_sums(prom, at, scrapes)
            assert query(prom, 'ALERTS{alertname="%s"}' % ALERT, at) == {}
            for tt in fleet:
                assert tokentail_alerts(tt) == []

            # The spike, in the first instance's logs only.
            model = sorted(dict(k)["model"] for k in oracles[0].tokens)[0]
            with open(logs[0], "ab") as f:
                f.write(spike(model, time.strftime("%Y-%m-%dT%H:%M:%S.000Z",
                                                  time.gmtime())))
            fleet[0].wait_lines(oracles[0].lines + 2)

            def firing_in_tokentail():
                got = tokentail_alerts(fleet[0])
                return got if got and got[0]["state"] == "firing" else None
            ours = poll("%s firing in tokentail" % ALERT, firing_in_tokentail, 30)
            assert [a["labels"] for a in ours] == [
                {"alertname": ALERT, "severity": "warning"}], ours

            def in_alertmanager():
                got = sorted((a["labels"] for a in am.alerts()
                              if a["labels"]["alertname"] == ALERT
                              and a["status"]["state"] == "active"),
                             key=lambda labels: len(labels))
                return got if len(got) == 2 else None
            got = poll("%s from both in Alertmanager" % ALERT, in_alertmanager, 40)
            assert got == [
                {"alertname": ALERT, "severity": "warning"},
                {"alertname": ALERT, "severity": "warning", "job": "tokentail",
                 "monitor": "flashcase"}], got
            fired = query(prom, 'ALERTS{alertname="%s",alertstate="firing"}' % ALERT,
                          time.time())
            assert list(fired) == [frozenset({
                ("__name__", "ALERTS"), ("alertname", ALERT),
                ("alertstate", "firing"), ("job", "tokentail"),
                ("severity", "warning")})], fired
            for tt in fleet[1:]:
                assert tokentail_alerts(tt) == []
        finally:
            if prom is not None:
                prom.stop()
            for tt in fleet:
                tt.stop()
            am.close()


if __name__ == "__main__":
    main([test_fleet])
