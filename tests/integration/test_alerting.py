"""Alerting rules inside the running daemon, from log lines to alerts.

A rule file over a configured counter, a configured gauge and a budget
gauge is evaluated every second. Lines are written; the test polls
GET /api/v1/alerts and /metrics until each alert is pending, then firing,
then (the gauge's) resolved, and compares labels, annotations and values
with what the lines imply. A restart (SIGTERM) and a kill -9 while an
alert is pending keep its activeAt, so `for` is not restarted, and no
alert is logged firing twice. /api/v1/rules has Prometheus' shape, and
--check-config reports a bad rule file at its own file:line:column.

Where Prometheus is installed, it scrapes tokentail every second with the
same rule file (dropping job and instance, so its series are tokentail's)
and must come to the same alerts: labels, annotations, state and value.

A real Alertmanager (where installed) receives the rule's alert with its
labels, firing, then resolved. The alerts due are handed to the
notifier: an Alertmanager stand-in on
loopback receives the firing alert with startsAt the instant it fired,
endsAt 4 x max(resend_delay, interval) later and the generator URL, again
after resend_delay, and resolved with endsAt the instant it resolved.

Nothing sleeps for a fixed time: every wait polls with a deadline.
"""
import json
import os
import queue
import tempfile
import threading
import time
from datetime import datetime
from http.server import BaseHTTPRequestHandler, HTTPServer

from harness import (Prometheus, Skip, Tokentail, main, poll,
                     promtool_check, run, write_config)

CONFIG = """
inputs:
  - name: app
    paths: [%(dir)s/*.log]
    start_at: beginning
    reconcile_interval: 200ms
state:
  checkpoint_interval: 200ms
metrics:
  - name: errors_total
    type: counter
    labels: {service: service}
  - name: queue_depth
    type: gauge
    value: depth
  - name: cost_usd_total
    type: counter
    value: cost
budgets:
  - {name: all, metric: cost_usd_total, period: month, limit: 10}
rule_files: [alerts.yml]
"""

RULES = """
groups:
  - name: app
    interval: 1s
    rules:
      - alert: ManyErrors
        expr: errors_total{service="api"} > 2
        for: 3s
        labels: {severity: critical}
        annotations:
          summary: "{{ $labels.service }} has {{ $value }} errors"
      - alert: DeepQueue
        expr: queue_depth > 10
        for: 3s
        annotations:
          summary: "queue at {{ $value }}"
  - name: budgets
    interval: 1s
    rules:
      - alert: BudgetHigh
        expr: tokentail_budget_utilization_ratio{budget="all"} > 0.5
        for: 1s
        labels: {severity: warning}
        annotations:
          summary: "{{ $labels.budget }} at {{ $value | humanizePercentage }}"
"""

BAD_RULES = """groups:
  - name: app
    rules:
      - alert: A
        expr: rate(x[5m]) > bool
"""


def write(directory, *lines):
    with open(os.path.join(directory, "app.log"), "a") as f:
        for line in lines:
            f.write(json.dumps(line) + "\n")


def alerts(tt):
    status, _, body = tt.request("/api/v1/alerts")
    assert status == 200, status
    doc = json.loads(body)
    assert doc["status"] == "success"
    return {a["labels"]["alertname"]: a for a in doc["data"]["alerts"]}


def wait_state(tt, name, state, seconds=20):
    def check():
        a = alerts(tt).get(name)
        return a if a and a["state"] == state else None
    return poll("%s %s" % (name, state), check, seconds)


def wait_gone(tt, name, seconds=20):
    poll("%s resolved" % name, lambda: name not in alerts(tt), seconds)


def exposed(tt, name):
    """tokentail_alerts series of alertname name: {labels: value}."""
    e = tt.scrape()
    return {k: v for k, v in e.family("tokentail_alerts").items()
            if dict(k)["alertname"] == name}


def checkpoints(tt):
    return int(tt.scrape().value("tokentail_checkpoints_total") or 0)


def wait_checkpoint(tt):
    """Polls until a checkpoint is written after now."""
    was = checkpoints(tt)
    poll("a checkpoint", lambda: checkpoints(tt) > was, 10)


def test_check_config():
    with tempfile.TemporaryDirectory() as d:
        with open(os.path.join(d, "alerts.yml"), "w") as f:
            f.write(BAD_RULES)
        cfg = write_config(d, CONFIG % {"dir": d})
        rc, out, err = run(["--check-config", "--config.file=" + cfg])
        assert rc != 0, (rc, out, err)
        text = out + err
        assert os.path.join(d, "alerts.yml") + ":5:33: expr: unexpected end of input" in text, text
        assert "tokentail.yaml:21:14: rule file " in text, text


def rules_shape(tt):
    status, headers, body = tt.request("/api/v1/rules")
    assert status == 200 and headers["Content-Type"] == "application/json"
    doc = json.loads(body)
    assert doc["status"] == "success"
    groups = doc["data"]["groups"]
    assert [g["name"] for g in groups] == ["app", "budgets"]
    g = groups[0]
    assert set(g) == {"name", "file", "rules", "interval", "limit",
                      "evaluationTime", "lastEvaluation"}, g
    assert g["interval"] == 1 and g["file"].endswith("alerts.yml")
    r = g["rules"][0]
    assert set(r) == {"state", "name", "query", "duration", "keepFiringFor",
                      "labels", "annotations", "alerts", "health",
                      "evaluationTime", "lastEvaluation", "type"}, r
    assert r["name"] == "ManyErrors" and r["type"] == "alerting"
    assert r["query"] == 'errors_total{service="api"} > 2'
    assert r["duration"] == 3 and r["keepFiringFor"] == 0
    assert r["labels"] == {"severity": "critical"}
    assert r["health"] == "ok"
    datetime.fromisoformat(r["lastEvaluation"].replace("Z", "+00:00"))
    return r


def test_alerts():
    with tempfile.TemporaryDirectory() as d:
        with open(os.path.join(d, "alerts.yml"), "w") as f:
            f.write(RULES)
        cfg = write_config(d, CONFIG % {"dir": d})
        state = os.path.join(d, "state.db")
        logs = []
        tt = Tokentail(cfg, state=state, cwd=d)
        # Three errors of api, one of web; 6 of 10 dollars spent.
        write(d, {"service": "api", "cost": 2}, {"service": "api", "cost": 2},
              {"service": "web", "cost": 1}, {"service": "api", "cost": 1})
        pending = wait_state(tt, "ManyErrors", "pending")
        assert pending["labels"] == {"alertname": "ManyErrors",
                                     "service": "api",
                                     "severity": "critical"}, pending
        assert pending["annotations"] == {"summary": "api has 3 errors"}
        assert pending["value"] == "3e+00", pending
        assert exposed(tt, "ManyErrors") == {frozenset({
            ("alertname", "ManyErrors"), ("alertstate", "pending"),
            ("service", "api"), ("severity", "critical")}): "1"}
        # A restart during for: activeAt is kept.
        wait_checkpoint(tt)
        logs.append(tt.stop())
        tt = Tokentail(cfg, state=state, cwd=d)
        firing = wait_state(tt, "ManyErrors", "firing")
        assert firing["activeAt"] == pending["activeAt"], (firing, pending)
        assert exposed(tt, "ManyErrors") == {frozenset({
            ("alertname", "ManyErrors"), ("alertstate", "firing"),
            ("service", "api"), ("severity", "critical")}): "1"}
        budget = wait_state(tt, "BudgetHigh", "firing")
        assert budget["labels"] == {"alertname": "BudgetHigh", "budget": "all",
                                    "severity": "warning"}, budget
        assert budget["annotations"] == {"summary": "all at 60%"}, budget
        assert budget["value"] == "6e-01", budget
        # The exposition with tokentail_alerts and the rule families is
        # still what promtool accepts.
        promtool_check(tt.request("/metrics")[2].decode())
        rule = rules_shape(tt)
        assert rule["state"] == "firing" and rule["alerts"][0]["value"] == "3e+00"

        # The gauge: pending, then kill -9 during for, then firing.
        write(d, {"depth": 15})
        deep = wait_state(tt, "DeepQueue", "pending")
        assert deep["value"] == "1.5e+01" and deep["labels"] == {
            "alertname": "DeepQueue"}, deep
        assert deep["annotations"] == {"summary": "queue at 15"}
        wait_checkpoint(tt)
        logs.append(tt.kill())
        tt = Tokentail(cfg, state=state, cwd=d)
        deep2 = wait_state(tt, "DeepQueue", "firing")
        assert deep2["activeAt"] == deep["activeAt"], (deep2, deep)
        # Resolved: gone from the API and from tokentail_alerts.
        write(d, {"depth": 3})
        wait_gone(tt, "DeepQueue")
        assert exposed(tt, "DeepQueue") == {}
        assert "ManyErrors" in alerts(tt)
        e = tt.scrape()
        assert int(e.value("tokentail_rule_evaluations_total", group="app")) > 0
        assert e.value("tokentail_rule_evaluation_failures_total",
                       group="app") == "0"
        assert int(e.value("tokentail_rule_history_samples")) > 0
        logs.append(tt.stop())
        text = "".join(logs)
        # Each transition logged once, whatever the restarts.
        assert text.count('level=error msg="alert firing" alertname="ManyErrors"') == 1, text
        assert text.count('level=warn msg="alert firing" alertname="BudgetHigh"') == 1, text
        assert text.count('level=warn msg="alert firing" alertname="DeepQueue"') == 1, text
        assert text.count('level=info msg="alert resolved" alertname="DeepQueue"') == 1, text
        assert 'summary="api has 3 errors"' in text, text


PROMETHEUS = """
global: {scrape_interval: 1s, evaluation_interval: 1s}
rule_files: [%(rules)s]
scrape_configs:
  - job_name: tokentail
    static_configs: [{targets: ['127.0.0.1:%(port)d']}]
    metric_relabel_configs:
      - {action: labeldrop, regex: job|instance}
"""


def prometheus_alerts(prom):
    doc = prom.get("/api/v1/alerts")
    return {a["labels"]["alertname"]: a for a in doc["data"]["alerts"]}


def comparable(alerts):
    return {name: (a["labels"], a["annotations"], a["state"], a["value"])
            for name, a in alerts.items()}


def test_prometheus_agrees():
    with tempfile.TemporaryDirectory() as d:
        rules = os.path.join(d, "alerts.yml")
        with open(rules, "w") as f:
            f.write(RULES)
        cfg = write_config(d, CONFIG % {"dir": d})
        tt = Tokentail(cfg, cwd=d)
        write(d, {"service": "api", "cost": 2}, {"service": "api", "cost": 2},
              {"service": "web", "cost": 1}, {"service": "api", "cost": 1},
              {"depth": 15})
        try:
            prom = Prometheus(d, PROMETHEUS % {"rules": rules, "port": tt.port})
        except Skip:
            tt.stop()
            raise
        try:
            want = {"ManyErrors", "DeepQueue", "BudgetHigh"}

            def all_firing(get):
                got = get()
                return got if set(got) == want and all(
                    a["state"] == "firing" for a in got.values()) else None
            ours = poll("tokentail's alerts firing",
                        lambda: all_firing(lambda: alerts(tt)), 30)
            theirs = poll("Prometheus' alerts firing",
                          lambda: all_firing(lambda: prometheus_alerts(prom)),
                          60)
            assert comparable(ours) == comparable(theirs), (ours, theirs)
        finally:
            prom.stop()
            tt.stop()


def instant(text):
    return datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp()


class Receiver(BaseHTTPRequestHandler):
    posts = None  # a queue.Queue of the alert lists posted

    def do_POST(self):
        body = self.rfile.read(int(self.headers["Content-Length"]))
        assert self.path == "/api/v2/alerts", self.path
        self.posts.put(json.loads(body))
        self.send_response(200)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args):
        pass


def next_post(posts, name, seconds=20):
    """The next alert of alertname name posted."""
    def get():
        try:
            for a in posts.get(timeout=0.1):
                if a["labels"]["alertname"] == name:
                    return a
        except queue.Empty:
            return None
        return None
    return poll("an alert %s posted" % name, get, seconds)


def test_sent():
    Receiver.posts = queue.Queue()
    server = HTTPServer(("127.0.0.1", 0), Receiver)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        with tempfile.TemporaryDirectory() as d:
            with open(os.path.join(d, "alerts.yml"), "w") as f:
                f.write(RULES)
            cfg = write_config(d, CONFIG % {"dir": d} + """
alerting:
  resend_delay: 2s
  alertmanagers: [{url: 'http://127.0.0.1:%d'}]
""" % server.server_port)
            tt = Tokentail(cfg, cwd=d)
            write(d, {"depth": 15})
            a = next_post(Receiver.posts, "DeepQueue")
            assert a["labels"] == {"alertname": "DeepQueue"}, a
            assert a["annotations"] == {"summary": "queue at 15"}, a
            assert a["generatorURL"] == (
                "http://127.0.0.1:%d/graph?g0.expr=queue_depth+%%3E+10"
                "&g0.tab=1" % tt.port), a
            fired = instant(a["startsAt"])
            firing = wait_state(tt, "DeepQueue", "firing")
            # Fired at the first evaluation 3s (for) after it was found,
            # or later if that evaluation came late; sent then, valid for
            # 4 x max(resend_delay 2s, interval 1s).
            assert 3 <= fired - instant(firing["activeAt"]) <= 5, (a, firing)
            assert instant(a["endsAt"]) - fired == 4 * 2, a
            # Sent again at the first evaluation more than 2s later.
            again = next_post(Receiver.posts, "DeepQueue")
            assert instant(again["startsAt"]) == fired, again
            assert 3 <= instant(again["endsAt"]) - 8 - fired <= 5, again
            write(d, {"depth": 3})
            wait_gone(tt, "DeepQueue")

            def resolved():
                # A firing alert's endsAt is ahead; a resolved one's past.
                r = next_post(Receiver.posts, "DeepQueue")
                return r if instant(r["endsAt"]) <= time.time() else None
            r = poll("DeepQueue resolved", resolved, 20)
            assert instant(r["startsAt"]) == fired
            assert instant(r["endsAt"]) > fired
            tt.stop()
    finally:
        server.shutdown()


def test_alertmanager():
    from test_notify import Alertmanager
    am = Alertmanager()
    try:
        with tempfile.TemporaryDirectory() as d:
            with open(os.path.join(d, "alerts.yml"), "w") as f:
                f.write(RULES)
            cfg = write_config(d, CONFIG % {"dir": d} + """
alerting:
  alertmanagers: [{url: 'http://127.0.0.1:%d'}]
""" % am.port)
            tt = Tokentail(cfg, cwd=d)
            write(d, {"depth": 15})

            def deep(state):
                for a in am.alerts():
                    if a["labels"].get("alertname") == "DeepQueue" and \
                            a["status"]["state"] == state:
                        return a
                return None
            a = poll("DeepQueue in Alertmanager", lambda: deep("active"), 30)
            assert a["labels"] == {"alertname": "DeepQueue"}, a
            assert a["annotations"] == {"summary": "queue at 15"}, a
            write(d, {"depth": 3})
            # A resolved alert leaves Alertmanager's active list.
            poll("DeepQueue resolved in Alertmanager",
                 lambda: deep("active") is None, 30)
            tt.stop()
    finally:
        am.close()


if __name__ == "__main__":
    main([test_check_config, test_alerts, test_prometheus_agrees, test_sent,
          test_alertmanager])
