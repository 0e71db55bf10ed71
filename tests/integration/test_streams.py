"""Container logs whose stdout and stderr share one file: every line of
every stream exactly once and whole, wherever its pieces fall between the
other stream's records, across restarts, kill -9 at any moment, rotation
and copytruncate, in Docker's json-file and CRI's envelope alike.

Each application line is {"seq": N, "v": N, "src": "out"|"err"} with a
unique N, written on the stream src names; the configuration counts lines
and sums v by src, so a lost line and a duplicated one cannot cancel out,
and a line joined with the other stream's text (not JSON) would be missing
from both. Every check polls /metrics with a deadline, fails at once on an
overshoot, then checks once more after two further reconciles.
"""
import json
import os
import random
import signal
import sqlite3
import subprocess
import tempfile
import threading

from harness import SLOW, Tokentail, main, poll, write_config

# Under valgrind everything is ~20 times slower: fewer rounds.
ROUNDS = 8 if SLOW <= 1 else 2

CONFIG = """
inputs:
  - name: app
    paths: %(paths)s
    start_at: beginning
    rotate_grace: 1s
    reconcile_interval: 200ms
    envelope: auto
state:
  checkpoint_interval: 200ms
metrics:
  - name: lines_total
    type: counter
    help: Lines seen, by the stream that wrote them.
    labels: {src: src}
  - name: v_total
    type: counter
    help: Sum of v, by the stream that wrote it.
    value: v
    labels: {src: src}
"""

STREAM = {"out": "stdout", "err": "stderr"}
KINDS = ("docker", "cri")
DOCKER_PIECE = 16384  # Docker and containerd cut lines in pieces this long


class Streams:
    """Numbered application lines, their records in a container envelope,
    and the totals they imply per stream."""

    def __init__(self, kind):
        self.kind = kind
        self.seq = 0
        self.stamp = 0
        self.count = {"out": 0, "err": 0}
        self.sum = {"out": 0, "err": 0}
        self.lock = threading.Lock()

    def line(self, src, pad=0):
        """A new line of src (counted); its text, without newline."""
        with self.lock:
            self.seq += 1
            self.count[src] += 1
            self.sum[src] += self.seq
            text = {"seq": self.seq, "v": self.seq, "src": src}
            if pad:
                text["pad"] = "x" * pad
            return json.dumps(text)

    def record(self, src, piece, last):
        """One record holding piece of a line of src; last: it ends it."""
        with self.lock:
            self.stamp += 1
            stamp = "2025-11-13T10:30:%02d.%09dZ" % (self.stamp // 10**6 % 60,
                                                     self.stamp)
        if self.kind == "docker":
            return (json.dumps({"log": piece + ("\n" if last else ""),
                                "stream": STREAM[src], "time": stamp})
                    + "\n").encode()
        return ("%s %s %s %s\n" % (stamp, STREAM[src], "F" if last else "P",
                                   piece)).encode()

    def pieces(self, src, n, pad=0):
        """A new line of src as n records, its text cut in near-equal parts."""
        text = self.line(src, pad)
        cuts = [len(text) * k // n for k in range(n + 1)]
        return [self.record(src, text[cuts[k]:cuts[k + 1]], k == n - 1)
                for k in range(n)]

    def whole(self, src):
        return self.record(src, self.line(src), True)


def config(tmp, paths):
    return write_config(tmp, CONFIG % {"paths": json.dumps(paths)})


def append(path, data):
    with open(path, "ab") as f:
        f.write(data)


def totals(t):
    e = t.scrape()
    got = {}
    for src in ("out", "err"):
        got[src] = (int(e.value("lines_total", src=src) or 0),
                    int(e.value("v_total", src=src) or 0))
    return got, e


def settle(t):
    """Waits for two more reconciles: anything missed would be read by then."""
    start = int(t.scrape().value("tokentail_reconciles_total", input="app"))
    poll("two reconciles", lambda: int(t.scrape().value(
        "tokentail_reconciles_total", input="app")) >= start + 2, 10)


def expect(t, s, seconds=30):
    """Polls until every stream's totals are exact; fails at once on an
    overshoot; no line may be skipped."""
    want = {src: (s.count[src], s.sum[src]) for src in ("out", "err")}

    def check():
        got, e = totals(t)
        for src in want:
            assert got[src][0] <= want[src][0], (
                "%s: counted %d lines, more than the %d written"
                % (src, got[src][0], want[src][0]))
        return e if got == want else None
    poll("totals %r" % (want,), check, seconds)
    settle(t)
    got, e = totals(t)
    assert got == want, "after settling: %r, want %r" % (got, want)
    for reason in ("not_json", "bad_envelope", "too_long", "unmatched"):
        assert e.value("tokentail_lines_skipped_total", input="app",
                       reason=reason) == "0", (reason, e.family(
                           "tokentail_lines_skipped_total"))
    return e


def read_to(t, path):
    """Waits until tokentail has read the file to its end."""
    size = os.path.getsize(path)

    def at_end():
        _, _, body = t.request("/health")
        return any(f["path"] == path and f["offset"] == size
                   for f in json.loads(body)["inputs"][0]["files"])
    poll("%s read to %d" % (os.path.basename(path), size), at_end)


def saved_mark(state, path):
    """The mark saved for path: (offset, done_stdout, done_stderr,
    done_none), or None."""
    db = sqlite3.connect("file:%s?mode=ro" % state, uri=True)
    try:
        return db.execute("SELECT offset, done_stdout, done_stderr, done_none "
                          "FROM files WHERE path = ?", (path,)).fetchone()
    except sqlite3.OperationalError:
        return None  # not created yet
    finally:
        db.close()


def checkpointed(state, path, mark):
    poll("mark %r saved" % (mark,), lambda: saved_mark(state, path) == mark)


# --- scenarios -----------------------------------------------------------------

def test_every_interleaving():
    """A stdout line in 2-4 pieces with a stderr line, whole or in two
    pieces, at every position between them; a long line in Docker's 16 KiB
    pieces with stderr lines between; both envelopes."""
    for kind in KINDS:
        with tempfile.TemporaryDirectory() as tmp:
            app = os.path.join(tmp, "app.log")
            s = Streams(kind)
            data = []
            for n in (2, 3, 4):
                for at in range(n + 1):
                    out = s.pieces("out", n)
                    data += out[:at] + [s.whole("err")] + out[at:]
                for i in range(n + 1):
                    for j in range(i, n + 1):
                        out, err = s.pieces("out", n), s.pieces("err", 2)
                        data += (out[:i] + err[:1] + out[i:j] + err[1:]
                                 + out[j:])
            text = s.line("out", pad=3 * DOCKER_PIECE)
            for k in range(0, len(text), DOCKER_PIECE):
                last = k + DOCKER_PIECE >= len(text)
                data.append(s.record("out", text[k:k + DOCKER_PIECE], last))
                data.append(s.whole("err"))
            append(app, b"".join(data))
            t = Tokentail(config(tmp, [app]))
            try:
                expect(t, s)
                _, _, body = t.request("/health")
                f = json.loads(body)["inputs"][0]["files"][0]
                assert f["envelope"] == kind, f
            finally:
                t.stop()


def test_kill_between_pieces():
    """kill -9 with a stdout line unfinished while stderr lines go on:
    the saved mark holds the first piece, and what stderr delivered."""
    for kind in KINDS:
        with tempfile.TemporaryDirectory() as tmp:
            app = os.path.join(tmp, "app.log")
            state = os.path.join(tmp, "state.db")
            s = Streams(kind)
            append(app, s.whole("out") + s.whole("err"))
            start = os.path.getsize(app)
            t = Tokentail(config(tmp, [app]), state=state)
            try:
                out = s.pieces("out", 3)
                append(app, out[0] + s.whole("err"))
                read_to(t, app)
                end = os.path.getsize(app)
                checkpointed(state, app, (start, start, end, end))
                append(app, out[1] + s.whole("err"))
                read_to(t, app)
                end = os.path.getsize(app)
                checkpointed(state, app, (start, start, end, end))
            finally:
                t.kill()
            append(app, out[2])
            t = Tokentail(config(tmp, [app]), state=state)
            try:
                e = expect(t, s)
                assert e.value("tokentail_files_resumed_total", input="app") == "1"
                # Both streams unfinished: the earlier first piece counts.
                out, err = s.pieces("out", 2), s.pieces("err", 2)
                first = os.path.getsize(app)
                append(app, out[0])
                second = os.path.getsize(app)
                append(app, err[0])
                read_to(t, app)
                end = os.path.getsize(app)
                checkpointed(state, app, (first, first, second, end))
                # Stopped, it reads nothing of what follows before it dies.
                t.proc.send_signal(signal.SIGSTOP)
                append(app, out[1] + s.whole("out"))
            finally:
                t.kill()
            append(app, err[1] + s.whole("err"))
            t = Tokentail(config(tmp, [app]), state=state)
            try:
                expect(t, s)
            finally:
                t.stop()


def test_crash_loop():
    """A writer interleaves pieces of both streams at random while
    tokentail is killed again and again, at moments set by how far it has
    counted: every line once in the end."""
    for kind in KINDS:
        with tempfile.TemporaryDirectory() as tmp:
            app = os.path.join(tmp, "app.log")
            state = os.path.join(tmp, "state.db")
            s = Streams(kind)
            rnd = random.Random(11)
            stop = threading.Event()
            written = threading.Event()

            def writer():
                open_lines = {"out": [], "err": []}
                with open(app, "ab", buffering=0) as w:
                    while not stop.is_set():
                        src = rnd.choice(("out", "err"))
                        if not open_lines[src]:
                            open_lines[src] = s.pieces(src, rnd.randint(1, 4))
                        w.write(open_lines[src].pop(0))
                        written.set()
                    for src in ("out", "err"):  # finish both streams' lines
                        for rec in open_lines[src]:
                            w.write(rec)

            th = threading.Thread(target=writer)
            th.start()
            try:
                for _ in range(ROUNDS):
                    t = Tokentail(config(tmp, [app]), state=state)
                    try:
                        base = sum(totals(t)[0][src][0] for src in ("out", "err"))
                        more = rnd.randint(0, 200)
                        poll("%d more lines" % more, lambda: sum(
                            totals(t)[0][src][0] for src in ("out", "err"))
                            >= base + more, 30)
                    finally:
                        t.kill()
            finally:
                stop.set()
                th.join()
            assert written.is_set()
            t = Tokentail(config(tmp, [app]), state=state)
            try:
                expect(t, s, seconds=60)
            finally:
                t.stop()


def test_copytruncate_with_a_piece_waiting():
    """copytruncate while a stdout line waits for its last piece, which is
    written before the copy: the copy takes over from the first piece and
    drops the stderr line read already."""
    for kind in KINDS:
        with tempfile.TemporaryDirectory() as tmp:
            app = os.path.join(tmp, "app.log")
            s = Streams(kind)
            append(app, b"".join(s.whole("out") for _ in range(20)))
            t = Tokentail(config(tmp, [app + "*"]))
            try:
                expect(t, s)
                out = s.pieces("out", 2)
                append(app, out[0] + s.whole("err"))
                read_to(t, app)
                t.proc.send_signal(signal.SIGSTOP)
                try:
                    append(app, out[1] + s.whole("err"))
                    subprocess.run(["cp", app, app + ".1"], check=True)
                    os.truncate(app, 0)
                    append(app, s.whole("out") + s.whole("err"))
                finally:
                    t.proc.send_signal(signal.SIGCONT)
                e = expect(t, s)
                assert e.value("tokentail_file_copies_total", input="app") == "1"
            finally:
                t.stop()


def test_rotated_while_down_with_a_piece_waiting():
    """The file is renamed while tokentail is down, its writer finishing
    the unfinished line in it: found by its inode, it is joined again from
    its first piece, and the stderr lines read before are not."""
    for kind in KINDS:
        with tempfile.TemporaryDirectory() as tmp:
            app = os.path.join(tmp, "app.log")
            state = os.path.join(tmp, "state.db")
            s = Streams(kind)
            w = open(app, "ab", buffering=0)
            w.write(s.whole("err"))
            start = os.path.getsize(app)
            t = Tokentail(config(tmp, [app + "*"]), state=state)
            try:
                out = s.pieces("out", 2)
                w.write(out[0] + s.whole("err"))
                read_to(t, app)
                end = os.path.getsize(app)
                checkpointed(state, app, (start, start, end, end))
            finally:
                t.kill()
            os.rename(app, app + ".1")
            w.write(s.whole("err") + out[1])
            w.close()
            append(app, s.whole("out"))
            t = Tokentail(config(tmp, [app + "*"]), state=state)
            try:
                e = expect(t, s)
                assert e.value("tokentail_files_resumed_total", input="app") == "1"
            finally:
                t.stop()


if __name__ == "__main__":
    main([test_every_interleaving, test_kill_between_pieces, test_crash_loop,
          test_copytruncate_with_a_piece_waiting,
          test_rotated_while_down_with_a_piece_waiting])
