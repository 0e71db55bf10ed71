"""The durable state from a user's side: what a change of configuration
does to the saved series, and where the state is kept by default.

A metric removed from the configuration keeps its saved series for
state.keep_removed_metrics: configured again, it continues exactly where
it stood; not configured for longer, its series are dropped. A metric
whose definition changed starts afresh, and the log says what changed,
in words.
"""
import os
import sqlite3
import tempfile

from harness import Tokentail, main, poll, write_config

DAY = 86400


def config(tmp, metrics, state=""):
    return write_config(tmp, """
inputs:
  - name: app
    paths: [%s/*.log]
    start_at: beginning
%s
metrics:
%s
""" % (tmp, state, metrics))


REQUESTS = """
  - name: requests_total
    type: counter
    labels: {path: endpoint}
"""
TOKENS = """
  - name: tokens_total
    type: counter
    value: tokens
"""
TOKENS_BY_MODEL = """
  - name: tokens_total
    type: counter
    value: tokens
    labels: {model: model}
"""


def append(path, lines):
    with open(path, "a") as f:
        for endpoint, tokens in lines:
            f.write('{"endpoint": "%s", "tokens": %d, "model": "m"}\n'
                    % (endpoint, tokens))


def run(cfg, state, n_lines):
    """Starts tokentail, waits until it has read n_lines since it started
    (its own counters start from zero), returns (scrape, log) after a
    clean stop."""
    t = Tokentail(cfg, state=state)
    try:
        e = t.wait_lines(n_lines)
    finally:
        log = t.stop()
    return e, log


def age_removed(state, seconds):
    """Moves back when every metric was found removed."""
    db = sqlite3.connect(state)
    db.execute("UPDATE removed SET since = since - ?", (seconds,))
    db.commit()
    db.close()


def test_removed_metric_kept_then_dropped():
    with tempfile.TemporaryDirectory() as tmp:
        log_path = os.path.join(tmp, "app.log")
        state = os.path.join(tmp, "state.db")
        both = config(tmp, REQUESTS + TOKENS,
                      "state: {keep_removed_metrics: 2d}")
        append(log_path, [("/a", 5), ("/b", 7), ("/a", 11)])
        e, _ = run(both, state, 3)
        assert e.value("tokens_total") == "23"
        assert e.value("requests_total", path="/a") == "2"

        # Without tokens_total: its series are kept, and the log says so.
        only = config(tmp, REQUESTS, "state: {keep_removed_metrics: 2d}")
        append(log_path, [("/b", 100)])
        e, log = run(only, state, 1)
        assert e.value("tokens_total") is None
        assert e.value("requests_total", path="/b") == "2"
        assert "metric tokens_total is not configured; its saved series are " \
               "kept until " in log, log
        assert "(state.keep_removed_metrics), and continue if it is " \
               "configured again by then" in log, log

        # A day later, back to the first configuration: it continues from 23
        # (the line it missed while not configured is not counted).
        age_removed(state, DAY)
        both = config(tmp, REQUESTS + TOKENS,
                      "state: {keep_removed_metrics: 2d}")
        append(log_path, [("/c", 1000)])
        e, log = run(both, state, 1)
        assert e.value("tokens_total") == "1023", e.value("tokens_total")
        assert e.value("requests_total", path="/c") == "1"
        assert 'msg="restored 1 series of tokens_total"' in log, log
        assert "not configured" not in log, log

        # Removed again, and not configured for longer than kept: dropped.
        only = config(tmp, REQUESTS, "state: {keep_removed_metrics: 2d}")
        append(log_path, [("/b", 1)])
        run(only, state, 1)
        age_removed(state, 2 * DAY)
        append(log_path, [("/b", 1)])
        e, log = run(only, state, 1)
        assert "metric tokens_total has not been configured since " in log, log
        assert "its saved series are dropped (state.keep_removed_metrics)" in log
        db = sqlite3.connect(state)
        assert db.execute("SELECT count(*) FROM chunks WHERE metric = "
                          "'tokens_total'").fetchone() == (0,)
        db.close()
        both = config(tmp, REQUESTS + TOKENS,
                      "state: {keep_removed_metrics: 2d}")
        append(log_path, [("/d", 3)])
        e, _ = run(both, state, 1)
        assert e.value("tokens_total") == "3", e.value("tokens_total")


def test_keep_removed_zero_drops_at_once():
    with tempfile.TemporaryDirectory() as tmp:
        log_path = os.path.join(tmp, "app.log")
        state = os.path.join(tmp, "state.db")
        append(log_path, [("/a", 5)])
        run(config(tmp, REQUESTS + TOKENS), state, 1)
        append(log_path, [("/a", 5)])
        e, log = run(config(tmp, REQUESTS, "state: {keep_removed_metrics: 0s}"),
                     state, 1)
        assert "metric tokens_total is not configured; its saved series are " \
               "dropped (state.keep_removed_metrics: 0s)" in log, log
        append(log_path, [("/a", 2)])
        e, _ = run(config(tmp, REQUESTS + TOKENS), state, 1)
        assert e.value("tokens_total") == "2"


def test_changed_metric_said_in_words():
    with tempfile.TemporaryDirectory() as tmp:
        log_path = os.path.join(tmp, "app.log")
        state = os.path.join(tmp, "state.db")
        append(log_path, [("/a", 5), ("/b", 7)])
        run(config(tmp, TOKENS), state, 2)
        append(log_path, [("/a", 1)])
        e, log = run(config(tmp, TOKENS_BY_MODEL), state, 1)
        assert "metric tokens_total changed its label names (was none; now " \
               "model); its saved series start afresh" in log, log
        assert "counter|" not in log, log
        assert e.value("tokens_total", model="m") == "1"


if __name__ == "__main__":
    main([test_removed_metric_kept_then_dropped,
          test_keep_removed_zero_drops_at_once,
          test_changed_metric_said_in_words])
