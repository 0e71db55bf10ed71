"""The daemon: follow files as they grow, appear, rotate and disappear, and
serve exactly what the lines imply over HTTP."""
import http.client
import json
import os
import random
import tempfile

from harness import (SLOW, Exposition, FlashcaseOracle, Tokentail,
                     default_config, feed_all, genlogs, main, open_files, poll,
                     promtool_check, write_config)


def health(t):
    status, headers, body = t.request("/health")
    assert headers["Content-Type"] == "application/json", headers
    return status, json.loads(body)


def followed(t, input_name="app"):
    _, doc = health(t)
    for i in doc["inputs"]:
        if i["name"] == input_name:
            return {os.path.basename(f["path"]): f for f in i["files"]}
    raise AssertionError("no input " + input_name)


def write_in_pieces(path, data, rnd):
    """Appends data in random-sized writes that split lines anywhere."""
    with open(path, "ab", buffering=0) as f:
        i = 0
        while i < len(data):
            n = rnd.randint(1, 8192)
            f.write(data[i:i + n])
            i += n


def test_follow_and_rotate():
    rnd = random.Random(3)
    with tempfile.TemporaryDirectory() as tmp:
        app = os.path.join(tmp, "app.log")
        old, _ = genlogs("flashcase", 200, 30)
        # Present at start-up: skipped (start_at: end), except the line
        # still being written, which is counted once it is finished.
        half = b'{"endpoint": "/pre", "method": "GET", '
        with open(app, "wb") as f:
            f.write(old + half)

        t = Tokentail(default_config(),
                      env={"TOKENTAIL_LOG_PATH": os.path.join(tmp, "*.log")})
        try:
            poll("app.log followed", lambda: "app.log" in followed(t))
            assert followed(t)["app.log"]["offset"] == len(old)
            status, doc = health(t)
            assert status == 200 and doc["status"] == "healthy", doc

            oracle = FlashcaseOracle()
            rest = b'"status_code": 200, "duration_ms": 1.5}\n'
            first, _ = genlogs("flashcase", 3000, 31)
            write_in_pieces(app, rest + first, rnd)
            feed_all(oracle, half + rest + first)
            t.wait_lines(oracle.lines)

            # A file that appears later is read from its beginning; a name
            # the glob does not match is not.
            b_data, _ = genlogs("flashcase", 1500, 32)
            with open(os.path.join(tmp, "b.log"), "wb") as f:
                f.write(b_data)
            with open(os.path.join(tmp, "ignored.txt"), "wb") as f:
                f.write(b_data)
            feed_all(oracle, b_data)
            t.wait_lines(oracle.lines)

            # Rotation by rename: the writer keeps its descriptor for a
            # moment and writes a little more to the old file.
            before, _ = genlogs("flashcase", 700, 33)
            late, _ = genlogs("flashcase", 50, 34)
            after, _ = genlogs("flashcase", 900, 35)
            writer = open(app, "ab", buffering=0)
            writer.write(before)
            os.rename(app, app + ".1")
            with open(app, "wb", buffering=0) as f:
                f.write(after)
            writer.write(late)
            writer.close()
            for chunk in (before, after, late):
                feed_all(oracle, chunk)
            e = t.wait_lines(oracle.lines)
            oracle.check(e)
            assert e.value("tokentail_file_rotations_total", input="app") == "1"
            assert e.value("tokentail_files_watched", input="app") == "3"
            _, doc = health(t)
            rotated = [f for f in doc["inputs"][0]["files"] if f["rotated"]]
            assert [f["path"] for f in rotated] == [app + ".1"], rotated

            # The rotated file is closed after the grace period.
            poll("rotated file closed",
                 lambda: t.scrape().value("tokentail_files_watched", input="app") == "2",
                 seconds=15)
            files = followed(t)
            assert set(files) == {"app.log", "b.log"}, files
            for name, f in files.items():
                assert f["offset"] == f["size"] == os.path.getsize(
                    os.path.join(tmp, name)), f
                assert f["last_read"] is not None

            # Deleted while open: read to the end, then the descriptor goes.
            tail, _ = genlogs("flashcase", 300, 36)
            with open(os.path.join(tmp, "b.log"), "ab") as f:
                f.write(tail)
            os.unlink(os.path.join(tmp, "b.log"))
            feed_all(oracle, tail)
            e = t.wait_lines(oracle.lines)
            poll("deleted file closed",
                 lambda: t.scrape().value("tokentail_files_watched", input="app") == "1")
            targets = open_files(t.proc.pid)
            assert not [x for x in targets if x.startswith(tmp)
                        and x.endswith("(deleted)")], targets

            e = t.scrape()
            oracle.check(e)
            promtool_check(e.text)
            assert e.value("tokentail_lines_skipped_total", input="app",
                           reason="not_json") == "0"
            assert e.value("tokentail_files_opened_total", input="app") == "3"
            assert e.value("tokentail_lag_bytes", input="app") == "0"
        finally:
            t.stop()


def test_directory_appears_later():
    with tempfile.TemporaryDirectory() as tmp:
        cfg = write_config(tmp, """
inputs:
  - name: late
    paths: [%s/later/*/app-*.log]
metrics:
  - name: lines_total
    type: counter
    labels: {path: endpoint}
""" % tmp)
        t = Tokentail(cfg)
        try:
            status, doc = health(t)
            assert status == 200 and doc["inputs"][0]["files"] == [], doc
            os.makedirs(os.path.join(tmp, "later", "x"))
            with open(os.path.join(tmp, "later", "x", "app-1.log"), "wb") as f:
                f.write(b'{"endpoint": "/a"}\n{"endpoint": "/b"}\n')
            os.makedirs(os.path.join(tmp, "later", "y"))
            with open(os.path.join(tmp, "later", "y", "app-2.log"), "wb") as f:
                f.write(b'{"endpoint": "/a"}\n')
            with open(os.path.join(tmp, "later", "y", "other.log"), "wb") as f:
                f.write(b'{"endpoint": "/nope"}\n')
            e = t.wait_lines(3, input_name="late")
            assert e.family("lines_total") == {
                frozenset({("path", "/a")}): "2", frozenset({("path", "/b")}): "1"}
        finally:
            t.stop()


def test_http():
    with tempfile.TemporaryDirectory() as tmp:
        t = Tokentail(default_config(),
                      env={"TOKENTAIL_LOG_PATH": os.path.join(tmp, "*.log")})
        try:
            status, headers, body = t.request("/")
            assert status == 200 and headers["Content-Type"].startswith("text/html")
            assert b'href="metrics"' in body and b'href="health"' in body
            status, _, body = t.request("/nope")
            assert status == 404, status
            for method in ("POST", "PUT", "DELETE"):
                status, headers, _ = t.request("/metrics", method=method, body=b"x=1")
                assert status == 405 and headers["Allow"] == "GET, HEAD", (method, status)
            status, headers, body = t.request("/metrics", method="HEAD")
            assert status == 200 and body == b"", (status, body)
            status, _, body = t.request("/metrics?debug=1")
            assert status == 200 and b"# TYPE http_requests_total counter" in body

            # Keep-alive: several requests on one connection.
            conn = http.client.HTTPConnection("127.0.0.1", t.port, timeout=10 * SLOW)
            for path in ("/metrics", "/health", "/metrics"):
                conn.request("GET", path)
                r = conn.getresponse()
                r.read()
                assert r.status == 200 and r.getheader("Connection") != "close"
            conn.close()

            e = t.scrape()
            promtool_check(e.text)
            assert e.value("tokentail_http_responses_total", path="other", code="4xx") == "1"
            assert e.value("tokentail_http_responses_total", path="/metrics",
                           code="4xx") == "3"
            assert e.value("tokentail_build_info", version="0.1.0") == "1"
            assert e.value("tokentail_files_watched", input="app") == "0"
            assert int(e.value("process_resident_memory_bytes")) > 0
        finally:
            t.stop()


if __name__ == "__main__":
    main([test_follow_and_rotate, test_directory_appears_later, test_http])
