"""The durable state from a user's side: what a change of configuration
does to the saved series, and where the state is kept by default.

By default the state lives in /var/lib/tokentail when tokentail may
write there, else in the user's state directory ($XDG_STATE_HOME, else
~/.local/state); the log says which, and a user with neither still runs,
healthy, saying that nothing will survive a restart. --once keeps state
only in the file --state.file names, and only without file arguments.

A metric removed from the configuration keeps its saved series for
state.keep_removed_metrics: configured again, it continues exactly where
it stood; not configured for longer, its series are dropped. A metric
whose definition changed starts afresh, and the log says what changed,
in words.
"""
import json
import os
import pwd
import sqlite3
import tempfile

from harness import (DEFAULT_STATE, Skip, Tokentail, main,
                     run as run_once, write_config)

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


def as_other_user(tmp, env, check):
    """Runs the daemon as nobody (as root; as is otherwise) with the
    default state file and env; check(t, health) runs against it."""
    user = "nobody" if os.geteuid() == 0 else None
    if os.access("/var/lib/tokentail", os.W_OK) and user is None:
        raise Skip("this user can write /var/lib/tokentail")
    os.chmod(tmp, 0o755)
    cfg = config(tmp, REQUESTS)
    os.chmod(cfg, 0o644)
    env = dict(env, STATE_DIRECTORY="")
    t = Tokentail(cfg, env=env, state=DEFAULT_STATE, user=user, cwd=tmp)
    try:
        status, _, body = t.request("/health")
        check(t, status, json.loads(body))
    finally:
        log = t.stop()
    return log


def owned_dir(path):
    """A directory the test's daemon user may write."""
    os.makedirs(path)
    if os.geteuid() == 0:
        pw = pwd.getpwnam("nobody")
        os.chown(path, pw.pw_uid, pw.pw_gid)
    return path


def test_default_state_for_a_user():
    with tempfile.TemporaryDirectory() as tmp:
        xdg = owned_dir(os.path.join(tmp, "xdg"))
        want = os.path.join(xdg, "tokentail", "tokentail.db")

        def check(t, status, doc):
            assert status == 200, doc
            assert doc["status"] == "healthy", doc
            assert doc["state"] == {"file": want, "last_checkpoint":
                                    doc["state"]["last_checkpoint"],
                                    "error": None}, doc
            assert doc["state"]["last_checkpoint"] is not None, doc
        log = as_other_user(tmp, {"XDG_STATE_HOME": xdg, "HOME": "/nonexistent"},
                            check)
        assert ("/var/lib/tokentail cannot be written by this user: keeping "
                "values and read positions in %s (--state.file=PATH or "
                "state.file chooses another)" % want) in log, log
        assert os.path.exists(want)

    with tempfile.TemporaryDirectory() as tmp:
        home = owned_dir(os.path.join(tmp, "home"))
        want = os.path.join(home, ".local", "state", "tokentail", "tokentail.db")

        def check_home(t, status, doc):
            assert status == 200 and doc["state"]["file"] == want, doc
        as_other_user(tmp, {"XDG_STATE_HOME": "", "HOME": home}, check_home)
        assert os.path.exists(want)


def test_no_place_for_state_still_healthy():
    with tempfile.TemporaryDirectory() as tmp:
        def check(t, status, doc):
            assert status == 200 and doc["status"] == "healthy", doc
            assert doc["state"] == {"file": "", "last_checkpoint": None,
                                    "error": None}, doc
        home = os.path.join(tmp, "not-a-directory")
        with open(home, "w"):
            pass
        log = as_other_user(tmp, {"XDG_STATE_HOME": "", "HOME": home}, check)
        assert ("no place to keep values and read positions: /var/lib/tokentail "
                "cannot be written, nor $XDG_STATE_HOME/tokentail or "
                "~/.local/state/tokentail; they will not survive a restart "
                "(--state.file=PATH chooses a file)") in log, log


def test_once_state_only_from_the_flag():
    with tempfile.TemporaryDirectory() as tmp:
        log_path = os.path.join(tmp, "app.log")
        append(log_path, [("/a", 5)])
        state = os.path.join(tmp, "state.db")
        # Named files keep no state without a usage ledger to fill: a
        # usage error, and no file made.
        rc, out, err = run_once(["--config.file=" + config(tmp, TOKENS),
                                 "--once", "--state.file=" + state, log_path])
        assert rc == 2 and out == "", (rc, err)
        assert err == ("tokentail: --state.file with file arguments keeps what "
                       "they add to the usage ledger, and the configuration "
                       "has no usage section; without it, named files such "
                       "as %s are read whole and keep no state (--state.file "
                       "alone makes --once an incremental pass over the "
                       "configured inputs)\nTry 'tokentail --help' for more "
                       "information.\n" % log_path), err
        assert not os.path.exists(state)
        # The configuration's state.file is a daemon's: --once leaves it be.
        cfg = config(tmp, TOKENS, "state: {file: %s}" % state)
        rc, out, err = run_once(["--config.file=" + cfg, "--once"])
        assert rc == 0, err
        assert "\ntokens_total 5\n" in out, out
        assert not os.path.exists(state)
        rc, out, err = run_once(["--config.file=" + cfg, "--once", log_path])
        assert rc == 0 and not os.path.exists(state), err
        # With --state.file, a pass continues where the last one stopped.
        rc, out, err = run_once(["--config.file=" + cfg, "--once",
                                 "--state.file=" + state])
        assert rc == 0 and "\ntokens_total 5\n" in out, err
        append(log_path, [("/a", 2)])
        rc, out, err = run_once(["--config.file=" + cfg, "--once",
                                 "--state.file=" + state])
        assert rc == 0 and "\ntokens_total 7\n" in out, err
        assert "tokentail_lines_read_total{input=\"app\"} 1\n" in out, out


if __name__ == "__main__":
    main([test_removed_metric_kept_then_dropped,
          test_keep_removed_zero_drops_at_once,
          test_changed_metric_said_in_words,
          test_default_state_for_a_user,
          test_no_place_for_state_still_healthy,
          test_once_state_only_from_the_flag])
