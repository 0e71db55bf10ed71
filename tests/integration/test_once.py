"""--once: read files to their end, print the exposition, compare every value.

The corpus is genlogs.py flashcase output with hostile lines mixed in;
the expected values come from FlashcaseOracle (Python's json module and
exact decimals), cross-checked against genlogs.py's own --truth.
"""
import os
import random
import tempfile

from harness import (Exposition, FlashcaseOracle, default_config, feed_all,
                     genlogs, main, promtool_check, run, write_config)

HOSTILE = [
    b"[INFO] 2025-10-21 15:42:22 - app.routers.ai - AI chat request completed",
    b"Traceback (most recent call last):",
    b'{"timestamp": "2025-10-21T15:42:22.392Z", "level": "INFO", "status_code": ',
    b"{}",
    b"[1, 2, 3]",
    b'"just a string"',
    b"",
    b'{"endpoint": "/x", "method": "GET", "status_code": 200,}',
    b'{"endpoint": "/x" "method": "GET", "status_code": 200}',
    b'{"endpoint": "/x", "method": "GET", "status_code": 2OO}',
    b'{"endpoint": "/x", "method": "GET", "status_code": 200}{"a": 1}',
    b'{"endpoint": "/x", "method": "GET", "status_code": 200, "duration_ms": NaN}',
    b'{"endpoint": "/q\\"uote\\\\back\\nnl", "method": "GET", "status_code": 200, '
    b'"duration_ms": 5}',
    b'{"endpoint": "/caf\xc3\xa9", "method": "GET", "status_code": 200, '
    b'"duration_ms": "7.25"}',
    b'{"endpoint": "/bad\xff\xfe", "method": "GET", "status_code": 200}',
    b'{"endpoint": "/nul\\u0000", "method": "GET", "status_code": 200}',
    b'\xef\xbb\xbf{"endpoint": "/bom", "method": "GET", "status_code": 200}',
    b'{"endpoint": "/crlf", "method": "GET", "status_code": 200, '
    b'"duration_ms": 5000}\r',
    b'{"endpoint": {"nested": 1}, "method": "GET", "status_code": 200}',
    b'{"model": "m", "tokens_used": -5, "function": "chat", "cost_estimate": 0.1}',
    b'{"model": "m", "tokens_used": 1e999999, "function": "chat"}',
    b'{"endpoint": "/x", "method": "GET", "status_code": 200, "duration_ms": 60000}',
    b'{"endpoint": "/x", "method": "GET", "status_code": 200, "duration_ms": 5}',
    b'{"endpoint": "/x", "method": "GET", "status_code": 200, '
    b'"duration_ms": 5.000000001}',
    b'{"endpoint": "/x", "method": "GET", "status_code": null}',
    b'  {"endpoint": "/ws", "method": "GET", "status_code": 200}  ',
    bytes(b for b in range(1, 256) if b != 10),
    b'{"endpoint": "/x", "method": "GET", "status_code": 200, "duration_ms": 1}'
    b'\x00trailing',
    b'{"endpoint": "/sur\\ud83d\\ude00\\ud800", "method": "GET", "status_code": 200}',
]


def corpus(seed, n):
    """genlogs lines with the hostile ones scattered among them."""
    data, truth = genlogs("flashcase", n, seed)
    lines = data.split(b"\n")[:-1]
    rnd = random.Random(seed)
    for h in HOSTILE:
        lines.insert(rnd.randrange(len(lines) + 1), h)
    return b"\n".join(lines) + b"\n", truth


def test_exact_values():
    with tempfile.TemporaryDirectory() as tmp:
        data, _ = corpus(11, 20000)
        # 3 MiB, over the default max_line_bytes of 1 MiB; and 100,000
        # nested brackets, too deep for any parser's good.
        long_line = b'{"endpoint": "/long", "pad": "' + b"x" * (3 << 20) + b'"}'
        deep = b'{"endpoint": ' + b"[" * 100000 + b"]" * 100000 + b"}"
        path = os.path.join(tmp, "app.log")
        half = data.index(b"\n", len(data) // 2) + 1  # a line boundary
        third = data.index(b"\n", len(data) // 3) + 1
        with open(path, "wb") as f:
            f.write(data[:third] + deep + b"\n" + data[third:half] + long_line +
                    b"\n" + data[half:])
            f.write(b'{"endpoint": "/unfinished", "method": "GET"')
        oracle = FlashcaseOracle()
        rest = feed_all(oracle, data)
        assert rest == b""

        rc, out, err = run(["--config.file=" + default_config(), "--once", path])
        assert rc == 0, err
        e = Exposition(out)
        oracle.check(e)
        promtool_check(out)
        assert "is its path right?" not in err, err  # every field is there

        # Every line is accounted for exactly once.
        lines = oracle.lines + 3  # the long, deep and unfinished ones
        assert e.value("tokentail_lines_read_total", input="app") == str(lines)
        assert e.value("tokentail_read_bytes_total", input="app") == str(
            os.path.getsize(path))
        skipped = dict(oracle.skipped, too_long=1, incomplete=1, not_object=2,
                       too_complex=1)
        for reason, want in skipped.items():
            got = e.value("tokentail_lines_skipped_total", input="app", reason=reason)
            assert got == str(want), (reason, got, want)

        def skip(metric, reason):
            return e.value("tokentail_metric_updates_skipped_total",
                           metric=metric, reason=reason)
        assert skip("http_requests_total", "wrong_type") == "1"
        assert skip("http_request_duration_seconds", "field_missing") == "5"
        assert skip("llm_tokens_total", "negative") == "1"
        assert skip("llm_tokens_total", "out_of_range") == "1"
        # Only the reasons each metric can have (worked out by hand from
        # exporter.yaml and the README): a field its "when" requires is
        # never missing, a counter of lines reads no value, a histogram's
        # value is never refused as negative.
        reasons = {
            "http_requests_total": {"wrong_type", "label_too_long"},
            "http_request_duration_seconds": {"field_missing", "wrong_type",
                                              "out_of_range", "label_too_long"},
            "llm_requests_total": {"field_missing", "wrong_type",
                                   "label_too_long"},
            "llm_tokens_total": {"wrong_type", "out_of_range", "negative",
                                 "label_too_long"},
            "llm_cost_usd_total": {"wrong_type", "out_of_range", "negative",
                                   "label_too_long"},
        }
        got = {}
        for labels in e.family("tokentail_metric_updates_skipped_total"):
            d = dict(labels)
            got.setdefault(d["metric"], set()).add(d["reason"])
        assert got == reasons, got
        got = {dict(k)["reason"] for k in e.family("tokentail_lines_skipped_total")}
        assert got == {"not_json", "not_object", "too_complex", "too_long",
                       "unmatched", "incomplete", "bad_envelope"}, got

        # Labels come out decoded and as valid UTF-8.
        assert e.value("http_requests_total", method="GET",
                       path='/q"uote\\back\nnl', status="200") == "1"
        assert e.value("http_requests_total", method="GET", path="/caf\u00e9",
                       status="200") == "1"
        assert e.value("http_requests_total", method="GET", path="/bad\ufffd\ufffd",
                       status="200") == "1"
        assert e.value("http_requests_total", method="GET", path="/nul\ufffd",
                       status="200") == "1"
        assert e.value("http_requests_total", method="GET",
                       path="/sur\U0001F600\ufffd", status="200") == "1"
        # Bucket edges: le means "less than or equal", in exact decimals.
        b, _, _ = e.histogram("http_request_duration_seconds")
        x = b[frozenset({("method", "GET"), ("path", "/x")})]
        assert (x["0.005"], x["0.01"], x["30"], x["60"], x["+Inf"]) == (
            "1", "2", "2", "3", "3"), x


def test_truth_cross_check():
    with tempfile.TemporaryDirectory() as tmp:
        data, truth = genlogs("flashcase", 30000, 5, truth=True)
        path = os.path.join(tmp, "clean.log")
        with open(path, "wb") as f:
            f.write(data)
        rc, out, err = run(["--config.file=" + default_config(), "--once", path])
        assert rc == 0, err
        e = Exposition(out)
        FlashcaseOracle().check_truth(e, truth)
        oracle = FlashcaseOracle()
        feed_all(oracle, data)
        oracle.check(e)
        assert e.value("tokentail_lines_skipped_total", input="app",
                       reason="unmatched") == "0"


def test_configured_inputs_and_stdin():
    """Without file arguments, --once reads every file the inputs match."""
    with tempfile.TemporaryDirectory() as tmp:
        a, _ = genlogs("flashcase", 3000, 21)
        b, _ = genlogs("flashcase", 2000, 22)
        for name, data in (("a.log", a), ("b.log", b), ("ignored.txt", a)):
            with open(os.path.join(tmp, name), "wb") as f:
                f.write(data)
        rc, out, err = run(["--config.file=" + default_config(), "--once"],
                           env={"TOKENTAIL_LOG_PATH": os.path.join(tmp, "*.log")})
        assert rc == 0, err
        oracle = FlashcaseOracle()
        feed_all(oracle, a + b)
        e = Exposition(out)
        oracle.check(e)
        assert e.value("tokentail_files_opened_total", input="app") == "2"

        # Standard input, and a locale that writes decimal commas: the
        # exposition must not change.
        rc2, out2, err2 = run(["--config.file=" + default_config(), "--once", "-"],
                              stdin=a + b, env={"LC_ALL": "de_DE.UTF-8",
                                                "LANG": "de_DE.UTF-8"})
        assert rc2 == 0, err2
        # The lateness of the lines depends on when each run read them.
        strip = lambda t: "\n".join(l for l in t.split("\n")
                                    if not l.startswith(("process_", "tokentail_files",
                                                         "tokentail_read_bytes",
                                                         "tokentail_event_lateness_seconds_sum")))
        assert strip(out2) == strip(out)


def test_unmatched_glob():
    """Without file arguments, a configured glob that matches nothing makes
    --once fail, naming it; what the other globs match is still read."""
    with tempfile.TemporaryDirectory() as tmp:
        data, _ = genlogs("flashcase", 100, 3)
        with open(os.path.join(tmp, "a.log"), "wb") as f:
            f.write(data)
        cfg = write_config(tmp, """
inputs:
  - name: app
    paths: [%s/*.log, %s/*.lgo]
metrics:
  - name: lines_total
    type: counter
""" % (tmp, tmp))
        rc, out, err = run(["--config.file=" + cfg, "--once"])
        assert rc == 1, (rc, err)
        assert ('level=error msg="input app: no file matches %s/*.lgo"' % tmp) \
            in err, err
        assert "no file matches %s/*.log" % tmp not in err, err
        assert "\nlines_total 100\n" in out, out


def test_field_never_seen():
    """A field path no line has, after the first 1000 lines: said once,
    with the metric and the input."""
    with tempfile.TemporaryDirectory() as tmp:
        cfg = write_config(tmp, """
inputs:
  - name: app
    paths: [%s/*.log]
metrics:
  - name: tokens_total
    type: counter
    value: usage.prompt_tokenz
  - name: requests_total
    type: counter
    labels: {path: endpoint}
""" % tmp)
        path = os.path.join(tmp, "app.log")
        with open(path, "w") as f:
            for i in range(1500):
                f.write('{"endpoint": "/e%d", "usage": {"prompt_tokens": %d}}\n'
                        % (i % 3, i))
        rc, out, err = run(["--config.file=" + cfg, "--once", path])
        assert rc == 0, err
        warning = ('level=warn msg="input app: no line of the first 1000 had '
                   'the field usage.prompt_tokenz, which metric tokens_total '
                   'reads; is its path right?"')
        assert err.count(warning) == 1, err
        assert err.count("is its path right?") == 1, err
        e = Exposition(out)
        assert e.value("tokentail_metric_updates_skipped_total",
                       metric="tokens_total", reason="field_missing") == "1500"
        assert e.value("requests_total", path="/e0") == "500"


def test_missing_file():
    rc, out, err = run(["--config.file=" + default_config(), "--once",
                        "/nonexistent/file.log"])
    assert rc == 1
    assert "cannot read /nonexistent/file.log: No such file or directory" in err
    assert "# TYPE http_requests_total counter" in out


TWO_INPUTS = """
inputs:
  - name: api
    paths: [/nonexistent/api/*.log]
  - name: worker
    paths: [/nonexistent/worker/*.log]
    parser: logfmt
metrics:
  - name: jobs_total
    type: counter
    labels: {queue: queue}
"""


def test_once_input():
    """--once.input chooses the input whose settings read the named files,
    and the log says which input reads them."""
    with tempfile.TemporaryDirectory() as tmp:
        cfg = write_config(tmp, TWO_INPUTS)
        path = os.path.join(tmp, "worker.log")
        with open(path, "w") as f:
            f.write("queue=mail took=5\nqueue=mail\nqueue=sms\n=oops\n")
        rc, out, err = run(["--config.file=" + cfg, "--once",
                            "--once.input=worker", path])
        assert rc == 0, err
        e = Exposition(out)
        assert e.value("jobs_total", queue="mail") == "2"
        assert e.value("jobs_total", queue="sms") == "1"
        assert e.value("tokentail_lines_read_total", input="worker") == "4"
        assert e.value("tokentail_lines_read_total", input="api") == "0"
        assert e.value("tokentail_lines_skipped_total", input="worker",
                       reason="not_logfmt") == "1"
        assert 'msg="input worker reads the named files"' in err, err

        # Without the flag the first input reads them, and says how to
        # choose another: its JSON parser takes none of these lines.
        rc, out, err = run(["--config.file=" + cfg, "--once", path])
        assert rc == 0, err
        e = Exposition(out)
        assert e.value("tokentail_lines_skipped_total", input="api",
                       reason="not_json") == "4"
        assert ('msg="input api reads the named files (--once.input=NAME '
                'chooses another)"') in err, err

        rc, out, err = run(["--config.file=" + cfg, "--once",
                            "--once.input=wrker", path])
        assert rc == 2 and out == "", rc
        assert err == ('tokentail: --once.input: no input is named "wrker" '
                       "(the inputs: api, worker)\nTry 'tokentail --help' for "
                       "more information.\n"), err
        rc, out, err = run(["--config.file=" + cfg, "--once",
                            "--once.input=worker"])
        assert rc == 2 and "--once.input names the input that reads FILE " \
            "arguments of --once" in err, err


if __name__ == "__main__":
    main([test_exact_values, test_truth_cross_check, test_configured_inputs_and_stdin,
          test_unmatched_glob, test_field_never_seen, test_missing_file,
          test_once_input])
