"""/health: a file that exists but cannot be read makes the daemon degraded
(503) until it can be read; one that does not exist yet does not."""
import os
import pwd
import tempfile

from harness import Tokentail, main, poll, write_config
import json


def health(t):
    status, _, body = t.request("/health")
    return status, json.loads(body)


def test_permission_denied_then_granted():
    # Permission checks do not apply to root: run the daemon as nobody.
    user = "nobody" if os.geteuid() == 0 else None
    with tempfile.TemporaryDirectory() as tmp:
        os.chmod(tmp, 0o755)
        secret = os.path.join(tmp, "secret.log")
        with open(secret, "wb") as f:
            f.write(b'{"endpoint": "/a"}\n{"endpoint": "/b"}\n')
        os.chmod(secret, 0)
        cfg = write_config(tmp, """
inputs:
  - name: app
    paths: [%s/*.log, %s/absent/*.log]
    start_at: beginning
metrics:
  - name: lines_total
    type: counter
    labels: {path: endpoint}
""" % (tmp, tmp))
        os.chmod(cfg, 0o644)
        t = Tokentail(cfg, user=user)
        try:
            status, doc = poll("degraded health", lambda: (lambda s, d: (s, d) if s == 503
                                                           else None)(*health(t)))
            assert doc["status"] == "degraded", doc
            # Liveness does not follow the inputs' health.
            status, headers, body = t.request("/-/healthy")
            assert (status, body) == (200, b"tokentail is healthy.\n")
            assert headers["Content-Type"] == "text/plain; charset=utf-8"
            assert doc["inputs"][0]["errors"] == [
                {"path": secret, "error": "Permission denied"}], doc
            e = t.scrape()
            assert e.value("tokentail_file_errors", input="app") == "1"
            assert e.value("tokentail_files_watched", input="app") == "0"

            os.chmod(secret, 0o644)
            e = t.wait_lines(2)
            assert e.value("lines_total", path="/a") == "1"
            assert e.value("lines_total", path="/b") == "1"
            status, doc = health(t)
            assert status == 200 and doc["status"] == "healthy", doc
            assert doc["inputs"][0]["errors"] == []
            assert t.scrape().value("tokentail_file_errors", input="app") == "0"
        finally:
            t.stop()


def test_unmatched_glob():
    """A glob that matches no file is said at start-up and listed in
    /health, which stays healthy; once a file appears it is read."""
    with tempfile.TemporaryDirectory() as tmp:
        present = os.path.join(tmp, "app.log")
        with open(present, "w") as f:
            f.write('{"endpoint": "/a"}\n')
        later = os.path.join(tmp, "later", "*.log")
        typo = os.path.join(tmp, "*.lgo")
        cfg = write_config(tmp, """
inputs:
  - name: app
    paths: [%s, %s, %s]
    start_at: beginning
metrics:
  - name: lines_total
    type: counter
    labels: {path: endpoint}
""" % (present, later, typo))
        t = Tokentail(cfg)
        try:
            t.wait_lines(1)
            status, doc = health(t)
            assert status == 200 and doc["status"] == "healthy", doc
            assert doc["inputs"][0]["unmatched"] == [later, typo], doc
            os.mkdir(os.path.join(tmp, "later"))
            with open(os.path.join(tmp, "later", "x.log"), "w") as f:
                f.write('{"endpoint": "/b"}\n')
            e = t.wait_lines(2)
            assert e.value("lines_total", path="/b") == "1"
            status, doc = poll("the glob matched", lambda: (lambda s, d: (s, d) if
                               d["inputs"][0]["unmatched"] == [typo] else None)(
                                   *health(t)))
            assert status == 200, doc
        finally:
            log = t.stop()
        for glob in (later, typo):
            assert ('level=warn msg="input app: no file matches %s yet; files '
                    'that appear there are read from their beginning"' % glob) \
                in log, log
        assert "no file matches %s" % present not in log, log


if __name__ == "__main__":
    if os.geteuid() == 0:
        pwd.getpwnam("nobody")  # the test needs this account
    main([test_permission_denied_then_granted, test_unmatched_glob])
