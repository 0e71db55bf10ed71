#!/usr/bin/env python3
"""Alert notifications against real receivers.

- A real Alertmanager (Debian's prometheus-alertmanager, on loopback with
  a temporary configuration and storage): the test alert that SIGUSR1
  sends appears in its API with the labels, annotations and fingerprint
  tokentail gave it; tokentail --test-notify then resolves it, and it
  leaves the list of active alerts.
- A webhook receiver in Python: the bodies of Alertmanager's webhook
  format (version 4) and of the Slack format, exactly; the headers and
  credentials.
- A receiver that accepts connections and never answers, and one that
  refuses them: the daemon keeps tailing and /metrics answers promptly
  (every scrape timed against a bound), the timeouts, retries, the queue's
  bound and its drops are counted.

Every wait polls a condition against a deadline; nothing leaves loopback.
"""
import base64
import http.server
import json
import os
import re
import signal
import socket
import subprocess
import tempfile
import threading
from datetime import datetime
import time
import urllib.request

from harness import (SLOW, Skip, Tokentail, main, poll, run, write_config)

ALERTNAME = "TokentailTestNotification"
SCRAPE_BOUND_S = 0.5  # a scrape while every receiver hangs, at most
TAIL_BOUND_S = 2.0    # a line written to counted, at most
QUEUE_MAX = 64        # notify_send.h


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


class Receiver:
    """An HTTP server on loopback that records every POST and answers 200."""

    def __init__(self):
        self.posts = []
        self.lock = threading.Lock()
        outer = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self):
                n = int(self.headers.get("Content-Length", "0"))
                body = self.rfile.read(n)
                with outer.lock:
                    outer.posts.append((self.path, dict(self.headers), body))
                self.send_response(200)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def received(self, path):
        with self.lock:
            return [p for p in self.posts if p[0] == path]

    def close(self):
        self.server.shutdown()
        self.server.server_close()


class Hanging:
    """Listens, so connections succeed, and never reads or answers."""

    def __init__(self):
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(256)
        self.port = self.sock.getsockname()[1]

    def close(self):
        self.sock.close()


class Alertmanager:
    """A real Alertmanager on loopback, with its own configuration and storage."""

    def __init__(self, cfg=None):
        """cfg: the path of its alertmanager.yml (default: one receiver
        sending nowhere)."""
        exe = "/usr/bin/prometheus-alertmanager"
        if not os.path.exists(exe):
            raise Skip("prometheus-alertmanager is not installed (tests/deps)")
        self.dir = tempfile.TemporaryDirectory()
        if cfg is None:
            cfg = os.path.join(self.dir.name, "alertmanager.yml")
            with open(cfg, "w") as f:
                f.write("route:\n  receiver: none\nreceivers:\n  - name: none\n")
        self.port = free_port()
        self.log = open(os.path.join(self.dir.name, "log"), "w+")
        self.proc = subprocess.Popen(
            [exe, "--config.file=" + cfg,
             "--storage.path=" + os.path.join(self.dir.name, "data"),
             "--web.listen-address=127.0.0.1:%d" % self.port,
             "--cluster.listen-address="],
            stdout=self.log, stderr=subprocess.STDOUT)
        poll("Alertmanager ready", self._ready, 30)

    def _ready(self):
        if self.proc.poll() is not None:
            self.log.seek(0)
            raise AssertionError("alertmanager exited:\n" + self.log.read())
        try:
            with urllib.request.urlopen(
                    "http://127.0.0.1:%d/-/ready" % self.port, timeout=2) as r:
                return r.status == 200
        except OSError:
            return False

    def alerts(self):
        with urllib.request.urlopen(
                "http://127.0.0.1:%d/api/v2/alerts" % self.port, timeout=5) as r:
            return json.load(r)

    def close(self):
        self.proc.terminate()
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        self.log.close()
        self.dir.cleanup()


def config(tmp, alerting):
    logdir = os.path.join(tmp, "logs")
    os.makedirs(logdir, exist_ok=True)
    return write_config(tmp, "inputs:\n  - name: app\n    paths: [%s/*.log]\n"
                        "alerting:\n%s" % (logdir, alerting)), logdir


RFC3339_API = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$")
RFC3339_GO = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d*[1-9])?Z$")


def instant(text):
    """An RFC 3339 time in UTC as a datetime: Go trims a fraction's zeros,
    so such times do not sort as text ("56Z" after "56.593Z")."""
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def test_alertmanager():
    """The alert appears in a real Alertmanager, then resolves."""
    am = Alertmanager()
    hook = Receiver()
    tmp = tempfile.TemporaryDirectory()
    try:
        path, _ = config(tmp.name,
                         "  resend_delay: 1m\n"
                         "  alertmanagers:\n    - url: http://127.0.0.1:%d\n"
                         "  webhooks:\n    - {name: hook, url: http://127.0.0.1:%d/h}\n"
                         % (am.port, hook.port))
        t = Tokentail(path)
        try:
            t.proc.send_signal(signal.SIGUSR1)

            def appeared():
                return [a for a in am.alerts()
                        if a["labels"].get("alertname") == ALERTNAME]
            got = poll("the alert in Alertmanager", appeared, 20)
            a = got[0]
            assert a["labels"] == {"alertname": ALERTNAME, "severity": "none"}, a
            assert a["annotations"]["summary"] == "A test notification from tokentail", a
            assert a["status"]["state"] == "active", a
            # endsAt is 4 × max(resend_delay, evaluation_interval) ahead.
            starts = time.mktime(time.strptime(a["startsAt"][:19], "%Y-%m-%dT%H:%M:%S"))
            ends = time.mktime(time.strptime(a["endsAt"][:19], "%Y-%m-%dT%H:%M:%S"))
            assert abs((ends - starts) - 240) <= 1, (a["startsAt"], a["endsAt"])
            # Alertmanager's fingerprint and tokentail's are the same.
            body = json.loads(poll("the webhook", lambda: hook.received("/h"), 10)[0][2])
            assert body["alerts"][0]["fingerprint"] == a["fingerprint"], (body, a)
            e = t.scrape()
            url = "http://127.0.0.1:%d/api/v2/alerts" % am.port
            assert e.value("tokentail_notifications_total", receiver=url,
                           result="success") == "1"
        finally:
            t.stop()
        # --test-notify sends it firing and then resolved: it leaves the list.
        rc, out, err = run(["--config.file=" + path, "--test-notify"])
        assert rc == 0, (rc, out, err)
        assert "alertmanager %s: ok (2 sent" % url in out, out
        poll("the alert resolved", lambda: not [
            a for a in am.alerts() if a["labels"].get("alertname") == ALERTNAME], 20)
    finally:
        hook.close()
        am.close()
        tmp.cleanup()


def test_webhook_bodies():
    """The webhook and Slack bodies and headers, exactly."""
    hook = Receiver()
    tmp = tempfile.TemporaryDirectory()
    try:
        path, _ = config(tmp.name,
                         "  external_url: http://tt.example:8653\n"
                         "  alertmanagers:\n    - url: http://127.0.0.1:%d/amapi/\n"
                         "  webhooks:\n"
                         "    - name: ops\n      url: http://127.0.0.1:%d/am\n"
                         "      basic_auth: {username: u, password: \"${TT_PW}\"}\n"
                         "    - name: chat\n      url: http://127.0.0.1:%d/slack\n"
                         "      format: slack\n"
                         "      authorization: {credentials: tok}\n"
                         % (hook.port, hook.port, hook.port))
        rc, out, err = run(["--config.file=" + path, "--test-notify"],
                           env={"TT_PW": "pw"})
        assert rc == 0, (rc, out, err)
        assert "webhook ops: ok (2 sent, 0 error, 0 timeout, 0 retries)" in out, out
        # The log notifier: one line per transition, at warn then info.
        assert re.search(r'level=warn msg="alert firing" alertname="%s" state=firing '
                         r'severity="none" value=1 summary="A test notification '
                         r'from tokentail"\n' % ALERTNAME, err), err
        assert re.search(r'level=info msg="alert resolved" alertname="%s" '
                         r'state=resolved ' % ALERTNAME, err), err
        assert "webhook chat: ok (2 sent" in out, out

        am = hook.received("/am")
        assert len(am) == 2, am
        auth = "Basic " + base64.b64encode(b"u:pw").decode()
        for _, headers, _ in am:
            assert headers["Authorization"] == auth, headers
            assert headers["Content-Type"] == "application/json", headers
            assert headers["User-Agent"].startswith("tokentail/"), headers
        firing, resolved = (json.loads(b) for _, _, b in am)
        a = firing["alerts"][0]
        assert RFC3339_GO.match(a["startsAt"]), a
        fp = a["fingerprint"]
        assert re.match(r"^[0-9a-f]{16}$", fp), fp
        labels = {"alertname": ALERTNAME, "severity": "none"}
        annotations = {
            "summary": "A test notification from tokentail",
            "description": "Sent to check that this receiver is reachable and "
                           "accepts tokentail's alerts; nothing is wrong."}

        def message(status, ends):
            return {
                "receiver": "ops", "status": status,
                "alerts": [{"status": status, "labels": labels,
                            "annotations": annotations,
                            "startsAt": a["startsAt"], "endsAt": ends,
                            "generatorURL": "", "fingerprint": fp}],
                "groupLabels": {"alertname": ALERTNAME},
                "commonLabels": labels, "commonAnnotations": annotations,
                "externalURL": "http://tt.example:8653", "version": "4",
                "groupKey": '{}:{alertname="%s"}' % ALERTNAME,
                "truncatedAlerts": 0}
        assert firing == message("firing", "0001-01-01T00:00:00Z"), firing
        ends = resolved["alerts"][0]["endsAt"]
        assert RFC3339_GO.match(ends) and instant(ends) >= instant(a["startsAt"]), \
            (ends, a["startsAt"])
        assert resolved == message("resolved", ends), resolved
        # The keys in Alertmanager's order.
        assert list(firing) == ["receiver", "status", "alerts", "groupLabels",
                                "commonLabels", "commonAnnotations",
                                "externalURL", "version", "groupKey",
                                "truncatedAlerts"], list(firing)

        # The API's body, as Prometheus posts it.
        api = hook.received("/amapi/api/v2/alerts")
        assert len(api) == 2, api
        for i, (_, headers, raw) in enumerate(api):
            assert "Authorization" not in headers, headers
            body = json.loads(raw)
            assert [list(x) for x in body] == [["annotations", "endsAt", "startsAt",
                                                 "labels"]], body
            x = body[0]
            assert x["labels"] == labels and x["annotations"] == annotations, x
            assert RFC3339_API.match(x["startsAt"]) and RFC3339_API.match(x["endsAt"]), x
            # Firing: valid 4 × max(1m, 15s) ahead; resolved: when it did.
            assert x["startsAt"][:19] == a["startsAt"][:19], (x, a)
            if i == 1:
                assert x["endsAt"][:19] == ends[:19], (x, ends)

        slack = hook.received("/slack")
        assert len(slack) == 2, slack
        assert slack[0][1]["Authorization"] == "Bearer tok", slack[0][1]
        texts = [json.loads(b) for _, _, b in slack]
        assert texts[0] == {"text": "[FIRING:1] %s\n\u2022 firing: severity=none "
                                    "\u2014 A test notification from tokentail "
                                    "(value 1)" % ALERTNAME}, texts[0]
        assert texts[1] == {"text": "[RESOLVED] %s\n\u2022 resolved: severity=none "
                                    "\u2014 A test notification from tokentail"
                                    % ALERTNAME}, texts[1]
    finally:
        hook.close()
        tmp.cleanup()


def test_test_notify_failure():
    """--test-notify exits 1 and names the receiver that refused."""
    tmp = tempfile.TemporaryDirectory()
    try:
        path, _ = config(tmp.name, "  webhooks:\n    - name: gone\n"
                         "      url: http://127.0.0.1:%d/x\n      timeout: 1s\n"
                         % free_port())
        rc, out, err = run(["--config.file=" + path, "--test-notify"])
        assert rc == 1, (rc, out, err)
        assert re.search(r"webhook gone: FAILED \(0 sent, 2 error, 0 timeout, 6 retries\)",
                         out), out
        assert 'msg="notification to gone failed (attempt 1 of 4)' in err, err
    finally:
        tmp.cleanup()


def scrape_timed(t, worst):
    start = time.monotonic()
    e = t.scrape()
    took = time.monotonic() - start
    worst[0] = max(worst[0], took)
    assert took < SCRAPE_BOUND_S * SLOW, "a scrape took %.3fs" % took
    return e


def test_hanging_and_refused():
    """Receivers that hang or refuse: tailing and scrapes go on, failures
    are counted, the queue stays bounded and drops the oldest."""
    hang = Hanging()
    tmp = tempfile.TemporaryDirectory()
    refused = free_port()
    try:
        path, logdir = config(tmp.name,
                              "  alertmanagers:\n"
                              "    - {url: http://127.0.0.1:%d, timeout: 1s}\n"
                              "  webhooks:\n"
                              "    - {name: hangs, url: http://127.0.0.1:%d/, timeout: 1s}\n"
                              "    - {name: refuses, url: http://127.0.0.1:%d/, timeout: 1s}\n"
                              % (hang.port, hang.port, refused))
        am = "http://127.0.0.1:%d/api/v2/alerts" % hang.port
        log = os.path.join(logdir, "app.log")
        open(log, "w").close()
        t = Tokentail(path)
        worst = [0.0]
        lines = 0
        tail_worst = 0.0
        try:
            # Fill the hanging Alertmanager's queue past its bound, one
            # test alert (one message) per signal, tailing in between.
            for i in range(QUEUE_MAX + 20):
                t.proc.send_signal(signal.SIGUSR1)
                e = poll("test alert %d queued" % i, lambda: (lambda e: e if int(
                    e.value("tokentail_notification_queue_length", receiver=am) or 0)
                    + int(e.value("tokentail_notifications_dropped_total",
                                  receiver=am) or 0) + int(
                    e.value("tokentail_notifications_total", receiver=am,
                            result="timeout") or 0) > i else None)(
                    scrape_timed(t, worst)), 10)
                if i % 10 == 0:
                    with open(log, "a") as f:
                        f.write('{"n": %d}\n' % i)
                    lines += 1
                    start = time.monotonic()
                    t.wait_lines(lines)
                    tail_worst = max(tail_worst, time.monotonic() - start)
            e = scrape_timed(t, worst)
            assert int(e.value("tokentail_notification_queue_length", receiver=am)) \
                <= QUEUE_MAX, e.value("tokentail_notification_queue_length", receiver=am)
            assert int(e.value("tokentail_notifications_dropped_total", receiver=am)) >= 1

            # The webhooks: a timeout after every attempt, a refusal counted.
            def ended():
                e = scrape_timed(t, worst)
                return e if (e.value("tokentail_notifications_total", receiver="hangs",
                                     result="timeout") == "1" and
                             e.value("tokentail_notifications_total", receiver="refuses",
                                     result="error") == "1") else None
            e = poll("the webhooks given up", ended, 30)
            assert e.value("tokentail_notification_retries_total", receiver="refuses") == "3"
            assert e.value("tokentail_notification_retries_total", receiver="hangs") == "3"
            assert e.value("tokentail_notifications_total", receiver="hangs",
                           result="success") == "0"
            assert tail_worst < TAIL_BOUND_S * SLOW, tail_worst
            print("worst scrape %.1f ms, worst tailing %.1f ms while receivers hang"
                  % (worst[0] * 1000, tail_worst * 1000))
        finally:
            log_text = t.stop()
        assert 'given up' in log_text, log_text
    finally:
        hang.close()
        tmp.cleanup()


def test_receivers_follow_reload():
    """A reload that changes the receivers sends to the new ones from then
    on; a receiver both configurations have keeps its counts, and a reload
    that changes nothing about them neither resets nor doubles them."""
    one, two = Receiver(), Receiver()
    tmp = tempfile.TemporaryDirectory()
    urls = ["http://127.0.0.1:%d" % r.port for r in (one, two)]
    api = [u + "/api/v2/alerts" for u in urls]

    def receivers(*which):
        return "  alertmanagers:\n" + "".join(
            "    - url: %s\n" % urls[i] for i in which)

    def reload_to(t, which, n):
        config(tmp.name, receivers(*which))
        t.proc.send_signal(signal.SIGHUP)
        poll("reload %d" % n, lambda: t.log().count("configuration reloaded") == n, 20)

    def sent(t, n_one, n_two):
        t.proc.send_signal(signal.SIGUSR1)
        poll("posts %d and %d" % (n_one, n_two), lambda: (
            len(one.received("/api/v2/alerts")), len(two.received("/api/v2/alerts")))
            == (n_one, n_two), 20)

    try:
        path, _ = config(tmp.name, receivers(0))
        t = Tokentail(path)
        try:
            sent(t, 1, 0)
            poll("the first count", lambda: t.scrape().value(
                "tokentail_notifications_total", receiver=api[0],
                result="success") == "1", 20)
            reload_to(t, (0, 1), 1)
            assert "the alert receivers changed; 2 from now on" in t.log()
            sent(t, 2, 1)
            poll("counts after the first reload", lambda: [
                t.scrape().value("tokentail_notifications_total", receiver=u,
                                 result="success") for u in api] == ["2", "1"], 20)
            reload_to(t, (0, 1), 2)  # the same receivers: the same notifier
            assert t.log().count("the alert receivers changed") == 1
            e = t.scrape()
            assert [e.value("tokentail_notifications_total", receiver=u,
                            result="success") for u in api] == ["2", "1"]
            reload_to(t, (1,), 3)
            sent(t, 2, 2)
            poll("counts after the last reload", lambda: (
                t.scrape().value("tokentail_notifications_total", receiver=api[1],
                                 result="success") == "2"), 20)
            e = t.scrape()
            assert e.value("tokentail_notifications_total", receiver=api[0],
                           result="success") is None
        finally:
            t.stop()
    finally:
        one.close()
        two.close()
        tmp.cleanup()


if __name__ == "__main__":
    main([test_webhook_bodies, test_test_notify_failure, test_alertmanager,
          test_receivers_follow_reload,
          test_hanging_and_refused])
