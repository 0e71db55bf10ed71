"""A state file written by tokentail 0.1.0 still loads, exactly.

data/state-0.1.0/ holds what 0.1.0 wrote after reading app.log, and what
it served (its README says how it was made). Started on a copy of that
file, tokentail must serve every configured value exactly as 0.1.0 did
(restored.prom), read nothing of app.log again, and, once more.log is
appended, serve exactly what 0.1.0 prints for both logs read in one pass
(continued.prom). Counters, sums, a gauge, histogram buckets and an
overflow series are compared sample by sample, so a line counted twice
or lost shows whichever metric it touched.
"""
import json
import os
import shutil
import sqlite3
import tempfile
import time

from harness import Exposition, Tokentail, main, poll

DATA = os.path.join(os.path.dirname(os.path.abspath(__file__)), "data",
                    "state-0.1.0")
MORE_LINES = 40


def configured(e):
    """The samples of the configured families: not tokentail's own."""
    return {k: v for k, v in e.samples.items()
            if not k[0].startswith(("tokentail_", "process_"))}


def expected(name):
    with open(os.path.join(DATA, name)) as f:
        return Exposition(f.read())


def place_fixture(tmp):
    """Copies the log and the state file into tmp. The saved position
    names its file by device and inode, which a copy cannot keep, and
    records unseen for a week are forgotten: the copy's identity and the
    present time are written in, as if 0.1.0 had run here just now.
    Nothing else in the file is touched."""
    log = os.path.join(tmp, "app.log")
    state = os.path.join(tmp, "state.db")
    shutil.copy(os.path.join(DATA, "app.log"), log)
    shutil.copy(os.path.join(DATA, "state.db"), state)
    st = os.stat(log)
    db = sqlite3.connect(state)
    assert db.execute("PRAGMA user_version").fetchone() == (2,)
    n = db.execute("UPDATE files SET dev = ?, ino = ?, path = ?, last_seen = ?",
                   (st.st_dev, st.st_ino, log, int(time.time()))).rowcount
    assert n == 1, n
    db.commit()
    db.close()
    return log, state


def start(tmp, log, state):
    return Tokentail(os.path.join(DATA, "tokentail.yaml"),
                     env={"FIXTURE_LOG": log}, state=state)


def settled(t, size):
    """Waits until the log is followed from its end; returns a scrape."""
    def at_end():
        e = t.scrape()
        if e.value("tokentail_files_watched", input="app") != "1":
            return None
        _, _, body = t.request("/health")
        files = json.loads(body)["inputs"][0]["files"]
        return e if files and files[0]["offset"] == size else None
    return poll("the log followed from its saved end", at_end)


def check(e, name, lines_read):
    want = configured(expected(name))
    got = configured(e)
    missing = sorted(set(want) - set(got))
    extra = sorted(set(got) - set(want))
    wrong = sorted((k, got[k], want[k]) for k in want
                   if k in got and got[k] != want[k])
    assert not (missing or extra or wrong), (
        "%s: missing %r, extra %r, different (got, want) %r"
        % (name, missing[:5], extra[:5], wrong[:5]))
    assert e.value("tokentail_lines_read_total", input="app") == str(lines_read)
    assert e.value("tokentail_files_resumed_total", input="app") == "1"


def created(t):
    """The _created samples of the configured families, in OpenMetrics."""
    _, h, body = t.request("/metrics", headers={
        "Accept": "application/openmetrics-text;version=1.0.0"})
    assert h["Content-Type"].startswith("application/openmetrics-text"), h
    return {l.rsplit(" ", 1)[0]: l.rsplit(" ", 1)[1]
            for l in body.decode().split("\n")
            if "_created" in l.split("{")[0]
            and not l.startswith(("tokentail_", "process_", "#"))}


def test_restore_and_continue():
    with tempfile.TemporaryDirectory() as tmp:
        log, state = place_fixture(tmp)
        size = os.path.getsize(log)
        t = start(tmp, log, state)
        try:
            check(settled(t, size), "restored.prom", 0)
            # 0.1.0 did not keep when series began: no _created for them.
            assert created(t) == {}, created(t)
            with open(os.path.join(DATA, "more.log"), "rb") as f:
                more = f.read()
            with open(log, "ab") as f:
                f.write(more)
            check(t.wait_lines(MORE_LINES), "continued.prom", MORE_LINES)
            began = created(t)
        finally:
            t.stop()
        # What this version wrote back restores the same way.
        db = sqlite3.connect(state)
        assert db.execute("PRAGMA user_version").fetchone() == (3,)
        db.close()
        t = start(tmp, log, state)
        try:
            check(settled(t, size + len(more)), "continued.prom", 0)
            # Series new since then keep their beginnings; the others
            # still have none.
            assert created(t) == began
        finally:
            t.stop()


if __name__ == "__main__":
    main([test_restore_and_continue])
