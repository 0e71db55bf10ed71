"""Every complete line exactly once, whatever happens to the files or to
tokentail: rotation, truncation, copies, symlinks, restarts, kill -9.

Each line is {"seq": N, "v": N} with a unique N; the configuration counts
lines and sums v, so a lost line and a duplicated one cannot cancel out.
Every check polls /metrics with a deadline, then checks once more after two
further reconciles, to catch late duplicates.
"""
import json
import os
import random
import signal
import sqlite3
import subprocess
import threading
import time

from harness import (SLOW, Tokentail, main, open_files, poll, sanitized,
                     write_config)
import tempfile

# Under valgrind everything is ~20 times slower: smaller workloads.
BIG = 1 if SLOW <= 1 else 0.05

CONFIG = """
inputs:
  - name: app
    paths: %(paths)s
    start_at: beginning
    rotate_grace: 1s
    reconcile_interval: 200ms
    max_line_bytes: %(max_line)s
    envelope: %(envelope)s
state:
  checkpoint_interval: 200ms
metrics:
  - name: lines_total
    type: counter
    help: Lines seen.
  - name: v_total
    type: counter
    help: Sum of v.
    value: v
"""


class Lines:
    """Numbered lines and the totals they imply."""

    def __init__(self):
        self.seq = 0
        self.count = 0
        self.sum = 0
        self.lock = threading.Lock()

    def make(self, n, pad=0):
        out = []
        with self.lock:
            for _ in range(n):
                self.seq += 1
                out.append('{"seq": %d, "v": %d%s}\n' % (
                    self.seq, self.seq, ', "pad": "%s"' % ("x" * pad) if pad else ""))
                self.count += 1
                self.sum += self.seq
        return "".join(out).encode()


def config(tmp, paths, max_line="1MiB", envelope="auto"):
    return write_config(tmp, CONFIG % {"paths": json.dumps(paths),
                                       "max_line": max_line, "envelope": envelope})


def append(path, data):
    with open(path, "ab") as f:
        f.write(data)


def totals(t):
    e = t.scrape()
    return (int(e.value("lines_total") or 0), int(e.value("v_total") or 0), e)


def expect(t, lines, seconds=30):
    """Polls until the totals are exact; fails at once on an overshoot."""
    want = (lines.count, lines.sum)

    def check():
        c, s, e = totals(t)
        assert c <= want[0], "counted %d lines, more than the %d written" % (c, want[0])
        return e if (c, s) == want else None
    poll("totals %r" % (want,), check, seconds)
    settle(t)
    c, s, e = totals(t)
    assert (c, s) == want, "after settling: %r, want %r" % ((c, s), want)
    return e


def settle(t):
    """Waits for two more reconciles: anything missed would be read by then."""
    start = int(t.scrape().value("tokentail_reconciles_total", input="app"))
    poll("two reconciles", lambda: int(t.scrape().value(
        "tokentail_reconciles_total", input="app")) >= start + 2, 10)


def started(tmp, paths, **kw):
    cfg = config(tmp, paths, **{k: v for k, v in kw.items() if k in ("max_line", "envelope")})
    return Tokentail(cfg, state=kw.get("state"))


def following(t, name):
    def check():
        _, _, body = t.request("/health")
        return any(os.path.basename(f["path"]) == name
                   for f in json.loads(body)["inputs"][0]["files"])
    poll("%s followed" % name, check)


# --- scenarios -----------------------------------------------------------------

def test_partial_line_then_completion():
    with tempfile.TemporaryDirectory() as tmp:
        app = os.path.join(tmp, "app.log")
        lines = Lines()
        data = lines.make(50)
        append(app, data + b'{"seq": 100000, ')
        t = started(tmp, [app])
        try:
            expect(t, lines)
            append(app, b'"v": 100000}\n')
            lines.count += 1
            lines.sum += 100000
            expect(t, lines)
        finally:
            t.stop()


def test_partial_line_across_rotation():
    with tempfile.TemporaryDirectory() as tmp:
        app = os.path.join(tmp, "app.log")
        lines = Lines()
        t = started(tmp, [app])
        try:
            w = open(app, "ab", buffering=0)
            following(t, "app.log")
            w.write(lines.make(30) + b'{"seq": 500000, "v"')
            expect(t, lines)
            os.rename(app, app + ".1")  # out of the glob
            append(app, lines.make(20))
            w.write(b': 500000}\n')  # finished through the old descriptor
            w.close()
            lines.count += 1
            lines.sum += 500000
            e = expect(t, lines)
            assert e.value("tokentail_file_rotations_total", input="app") == "1"
        finally:
            t.stop()


def test_rename_rotation_with_late_writes():
    with tempfile.TemporaryDirectory() as tmp:
        app = os.path.join(tmp, "app.log")
        lines = Lines()
        t = started(tmp, [app])
        try:
            w = open(app, "ab", buffering=0)
            following(t, "app.log")
            for k in range(5):
                w.write(lines.make(200))
                os.rename(app, app + ".old")
                append(app, lines.make(100))
                w.write(lines.make(50))  # late writes to the rotated file
                w.close()
                w = open(app, "ab", buffering=0)
                # A file that lives under the glob's name for an instant and
                # is renamed out of it unseen cannot be read by anyone; the
                # README says so. Rotate again once the new file is followed.
                poll("the new app.log followed", lambda: t.scrape().value(
                    "tokentail_files_opened_total", input="app") == str(k + 2))
            w.close()
            expect(t, lines)
            # The rotated files are closed after the grace period.
            poll("rotated files closed", lambda: t.scrape().value(
                "tokentail_files_watched", input="app") == "1", 15)
        finally:
            t.stop()


def test_two_rotations_while_stopped():
    with tempfile.TemporaryDirectory() as tmp:
        app = os.path.join(tmp, "app.log")
        lines = Lines()
        append(app, lines.make(100))
        t = started(tmp, [app + "*"])
        try:
            expect(t, lines)
            t.proc.send_signal(signal.SIGSTOP)
            try:
                append(app, lines.make(100))
                os.rename(app, app + ".1")
                append(app, lines.make(100))
                os.rename(app + ".1", app + ".2")
                os.rename(app, app + ".1")
                append(app, lines.make(100))
            finally:
                t.proc.send_signal(signal.SIGCONT)
            expect(t, lines)
        finally:
            t.stop()


def test_copytruncate():
    with tempfile.TemporaryDirectory() as tmp:
        app = os.path.join(tmp, "app.log")
        lines = Lines()
        append(app, lines.make(100))  # well over the 1 KiB fingerprint
        t = started(tmp, [app + "*"])
        try:
            expect(t, lines)
            for generation in range(1, 4):
                # Lines tokentail has not read yet when the copy is made.
                t.proc.send_signal(signal.SIGSTOP)
                try:
                    append(app, lines.make(60))
                    subprocess.run(["cp", app, "%s.%d" % (app, generation)], check=True)
                    os.truncate(app, 0)
                    append(app, lines.make(40))
                finally:
                    t.proc.send_signal(signal.SIGCONT)
                e = expect(t, lines)
                assert e.value("tokentail_file_copies_total", input="app") == str(generation)
            # A plain byte-identical copy of a followed file is not counted.
            subprocess.run(["cp", app, app + ".backup"], check=True)
            expect(t, lines)
        finally:
            t.stop()


def test_copy_in_progress():
    """A copy seen half-written is not read as a new file; a new file that
    merely starts like a followed one is read in full."""
    with tempfile.TemporaryDirectory() as tmp:
        app = os.path.join(tmp, "app.log")
        lines = Lines()
        append(app, lines.make(100))
        t = started(tmp, [app + "*"])

        def undecided(name):
            _, _, body = t.request("/health")
            return any(os.path.basename(f["path"]) == name and f.get("undecided")
                       for f in json.loads(body)["inputs"][0]["files"])
        try:
            expect(t, lines)
            content = open(app, "rb").read()
            copy = open(app + ".copy", "wb", buffering=0)
            copy.write(content[:500])
            poll("the half copy held back", lambda: undecided("app.log.copy"))
            copy.write(content[500:])
            copy.close()
            e = expect(t, lines)
            assert e.value("tokentail_file_copies_total", input="app") == "1"

            # Starts like app.log, then goes its own way: a new file.
            other = open(app + ".other", "wb", buffering=0)
            cut = content.rindex(b"\n", 0, 300) + 1  # whole lines
            other.write(content[:cut])
            poll("the lookalike held back", lambda: undecided("app.log.other"))
            tail = lines.make(20)
            other.write(tail)
            other.close()
            # Its first lines are lines of app.log: counted again, as lines
            # of this file.
            for raw in content[:cut].split(b"\n"):
                if raw.endswith(b"}"):
                    lines.count += 1
                    lines.sum += json.loads(raw)["v"]
            expect(t, lines)
        finally:
            t.stop()


def test_truncate_and_regrow():
    with tempfile.TemporaryDirectory() as tmp:
        app = os.path.join(tmp, "app.log")
        lines = Lines()
        append(app, lines.make(50))
        t = started(tmp, [app])
        try:
            e = expect(t, lines)
            t.proc.send_signal(signal.SIGSTOP)
            try:
                # Same file, new content, longer than before.
                with open(app, "wb") as f:
                    f.write(lines.make(80))
            finally:
                t.proc.send_signal(signal.SIGCONT)
            e = expect(t, lines)
            assert e.value("tokentail_file_truncations_total", input="app") == "1"
        finally:
            t.stop()


def test_delete_while_open():
    with tempfile.TemporaryDirectory() as tmp:
        app = os.path.join(tmp, "app.log")
        lines = Lines()
        t = started(tmp, [app])
        try:
            w = open(app, "ab", buffering=0)
            following(t, "app.log")
            w.write(lines.make(100))
            os.unlink(app)
            w.write(lines.make(100))
            w.close()
            expect(t, lines)
            poll("descriptor closed", lambda: t.scrape().value(
                "tokentail_files_watched", input="app") == "0")
            targets = open_files(t.proc.pid)
            assert not [f for f in targets if f.startswith(tmp)], targets
        finally:
            t.stop()


def test_directory_created_later():
    with tempfile.TemporaryDirectory() as tmp:
        lines = Lines()
        t = started(tmp, [os.path.join(tmp, "not", "yet", "*.log")])
        try:
            os.makedirs(os.path.join(tmp, "not", "yet"))
            append(os.path.join(tmp, "not", "yet", "a.log"), lines.make(100))
            expect(t, lines)
        finally:
            t.stop()


def test_symlinks():
    """Kubernetes: /var/log/containers/*.log links into /var/log/pods."""
    with tempfile.TemporaryDirectory() as tmp:
        pods = os.path.join(tmp, "pods", "ns_pod_uid", "app")
        links = os.path.join(tmp, "containers")
        os.makedirs(pods)
        os.makedirs(links)
        link = os.path.join(links, "pod_ns_app-1.log")
        os.symlink(os.path.join(pods, "0.log"), link)
        lines = Lines()
        append(os.path.join(pods, "0.log"), lines.make(100))
        t = started(tmp, [os.path.join(links, "*.log")])
        try:
            expect(t, lines)
            # kubelet rotation behind an unchanged link.
            w = open(os.path.join(pods, "0.log"), "ab", buffering=0)
            w.write(lines.make(50))
            os.rename(os.path.join(pods, "0.log"),
                      os.path.join(pods, "0.log.20251113-103000"))
            append(os.path.join(pods, "0.log"), lines.make(70))
            w.write(lines.make(10))
            w.close()
            expect(t, lines)
            # The container restarts: the link moves to a new file.
            old = open(os.path.join(pods, "0.log"), "ab", buffering=0)
            append(os.path.join(pods, "1.log"), lines.make(40))
            tmp_link = link + ".tmp"
            os.symlink(os.path.join(pods, "1.log"), tmp_link)
            os.rename(tmp_link, link)
            old.write(lines.make(5))  # the old container's last words
            old.close()
            append(os.path.join(pods, "1.log"), lines.make(30))
            expect(t, lines)
        finally:
            t.stop()


def test_same_file_two_paths():
    with tempfile.TemporaryDirectory() as tmp:
        app = os.path.join(tmp, "app.log")
        os.symlink(app, os.path.join(tmp, "alias.log"))
        lines = Lines()
        append(app, lines.make(100))
        t = started(tmp, [os.path.join(tmp, "*.log"), os.path.join(tmp, "app.*"), app])
        try:
            expect(t, lines)
            append(app, lines.make(100))
            e = expect(t, lines)
            assert e.value("tokentail_files_watched", input="app") == "1"
        finally:
            t.stop()


def test_overlong_line_between_good_lines():
    with tempfile.TemporaryDirectory() as tmp:
        app = os.path.join(tmp, "app.log")
        lines = Lines()
        data = lines.make(10) + b'{"seq": 0, "v": 999999, "pad": "' + b"x" * 5000 + b'"}\n'
        data += lines.make(10)
        append(app, data)
        t = started(tmp, [app], max_line="1KiB")
        try:
            e = expect(t, lines)
            assert e.value("tokentail_lines_skipped_total", input="app",
                           reason="too_long") == "1"
            # And one arriving in pieces, across reads.
            w = open(app, "ab", buffering=0)
            w.write(lines.make(5) + b'{"seq": 0, "pad": "')
            e = expect(t, lines)
            for _ in range(10):
                w.write(b"y" * 1000)
            w.write(b'"}\n' + lines.make(5))
            w.close()
            e = expect(t, lines)
            assert e.value("tokentail_lines_skipped_total", input="app",
                           reason="too_long") == "2"
        finally:
            t.stop()


def vm_hwm_kib(pid):
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    return 0


def test_endless_line():
    """200 MiB without a newline, written while tokentail reads: it is
    skipped as one too_long line without being held in memory, and the
    lines around it count."""
    size = (200 if BIG == 1 else 10) << 20
    with tempfile.TemporaryDirectory() as tmp:
        app = os.path.join(tmp, "app.log")
        lines = Lines()
        append(app, lines.make(100))
        t = started(tmp, [app])
        try:
            expect(t, lines)
            before = vm_hwm_kib(t.proc.pid)
            block = b"z" * (1 << 20)
            with open(app, "ab", buffering=0) as w:
                for _ in range(size >> 20):
                    w.write(block)
                w.write(b"\n" + lines.make(100))
            e = expect(t, lines, seconds=120)
            assert e.value("tokentail_lines_skipped_total", input="app",
                           reason="too_long") == "1"
            if BIG == 1:
                # The line buffer (max_line_bytes) and a read block, or
                # what ASan's allocator keeps of them.
                grew = vm_hwm_kib(t.proc.pid) - before
                limit = 16384 if sanitized() else 4096
                assert grew < limit, "peak RSS grew by %d KiB" % grew
        finally:
            t.stop()


def test_concurrent_writers():
    with tempfile.TemporaryDirectory() as tmp:
        lines = Lines()
        t = started(tmp, [os.path.join(tmp, "w*.log")])
        n_lines = int(100000 * BIG)

        def writer(k):
            # Two writers share each file, appending whole lines.
            fd = os.open(os.path.join(tmp, "w%d.log" % (k // 2)),
                         os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
            try:
                for _ in range(n_lines // 100):
                    os.write(fd, lines.make(100))
            finally:
                os.close(fd)
        try:
            threads = [threading.Thread(target=writer, args=(k,)) for k in range(8)]
            for th in threads:
                th.start()
            for th in threads:
                th.join()
            assert lines.count == 8 * n_lines
            expect(t, lines, seconds=120)
        finally:
            t.stop()


def test_restart_with_rotation_while_down():
    with tempfile.TemporaryDirectory() as tmp:
        app = os.path.join(tmp, "app.log")
        state = os.path.join(tmp, "state.db")
        lines = Lines()
        append(app, lines.make(100))
        t = started(tmp, [app + "*"], state=state)
        try:
            e = expect(t, lines)
            restored = e.family("v_total")
        finally:
            t.stop()
        w = open(app, "ab", buffering=0)
        w.write(lines.make(100))
        os.rename(app, app + ".1")
        w.write(lines.make(10))
        w.close()
        append(app, lines.make(100))
        t = started(tmp, [app + "*"], state=state)
        try:
            e = expect(t, lines)
            assert e.value("tokentail_files_resumed_total", input="app") == "1"
            assert restored  # values continued: no reset, no double count
        finally:
            t.stop()


def test_crash_loop():
    """kill -9 twenty times, at random moments, during writes and rotations."""
    with tempfile.TemporaryDirectory() as tmp:
        app = os.path.join(tmp, "app.log")
        state = os.path.join(tmp, "state.db")
        lines = Lines()
        stop = threading.Event()
        rnd = random.Random(7)
        rotations = [0]

        def writer():
            fd = os.open(app, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
            while not stop.is_set():
                os.write(fd, lines.make(rnd.randint(1, 50)))
                if rnd.random() < 0.05 and rotations[0] < 60:
                    rotations[0] += 1
                    os.rename(app, "%s.%d" % (app, rotations[0]))
                    os.write(fd, lines.make(3))  # late lines to the old file
                    os.close(fd)
                    fd = os.open(app, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
                time.sleep(0.002)
            os.close(fd)

        th = threading.Thread(target=writer)
        th.start()
        try:
            for _ in range(20 if BIG == 1 else 5):
                t = started(tmp, [app + "*"], state=state)
                # A random moment: while it reads, checkpoints, rotates.
                time.sleep(rnd.uniform(0.05, 0.6) if BIG == 1 else rnd.uniform(0.5, 3))
                t.proc.kill()
                t.proc.wait()
                t.stderr.close()
        finally:
            stop.set()
            th.join()
        assert rotations[0] > 0
        t = started(tmp, [app + "*"], state=state)
        try:
            expect(t, lines, seconds=60)
        finally:
            t.stop()


def test_bad_state_files():
    with tempfile.TemporaryDirectory() as tmp:
        app = os.path.join(tmp, "app.log")
        lines = Lines()
        append(app, lines.make(20))
        cases = {
            "corrupt": lambda p: open(p, "wb").write(b"this is not a database" * 100),
            "empty": lambda p: open(p, "wb").close(),
            "future_version": lambda p: sqlite3.connect(p).execute(
                "PRAGMA user_version = 99").connection.close(),
        }
        for reason, make in cases.items():
            state = os.path.join(tmp, reason + ".db")
            make(state)
            t = started(tmp, [app], state=state)
            try:
                e = expect(t, lines)
                assert e.value("tokentail_state_recoveries_total", reason=reason) == "1", (
                    reason, e.family("tokentail_state_recoveries_total"))
                _, _, body = t.request("/health")
                assert json.loads(body)["status"] == "healthy"
                aside = [f for f in os.listdir(tmp) if f.startswith(reason + ".db.bad-")]
                assert aside, os.listdir(tmp)
            finally:
                t.stop()


def read_chunks(path):
    """Decodes the saved counter series: {metric: {key: (value, count)}}.

    A chunk holds, per series, the key length (4 bytes), the key, the value
    (16: a 128-bit count of 1e-12 units), the count (8); counters have no
    buckets.
    """
    out = {}
    db = sqlite3.connect(path)
    for metric, chunk, data in db.execute("SELECT metric, chunk, data FROM chunks"):
        at = 0
        while at < len(data):
            n = int.from_bytes(data[at:at + 4], "little")
            key = data[at + 4:at + 4 + n]
            v = int.from_bytes(data[at + 4 + n:at + 20 + n], "little", signed=True)
            c = int.from_bytes(data[at + 20 + n:at + 28 + n], "little")
            out.setdefault(metric, {})[b"\xff" if chunk == -1 else key] = (v, c)
            at += 28 + n
    db.close()
    return out


def test_state_from_schema_1():
    """A state file in the first layout (one row per series) is converted."""
    with tempfile.TemporaryDirectory() as tmp:
        app = os.path.join(tmp, "app.log")
        state = os.path.join(tmp, "state.db")
        lines = Lines()
        append(app, lines.make(100))
        t = started(tmp, [app], state=state)
        try:
            expect(t, lines)
        finally:
            t.stop()
        saved = read_chunks(state)
        assert saved["v_total"][b""] == (lines.sum * 10**12, 0), saved
        # Rewrite it as the first schema wrote it.
        db = sqlite3.connect(state)
        db.execute("CREATE TABLE series (metric TEXT NOT NULL, key BLOB NOT NULL, "
                   "value BLOB NOT NULL, count INTEGER NOT NULL, buckets BLOB, "
                   "PRIMARY KEY (metric, key)) WITHOUT ROWID")
        for metric, series in saved.items():
            for key, (v, c) in series.items():
                db.execute("INSERT INTO series VALUES (?,?,?,?,NULL)",
                           (metric, key, v.to_bytes(16, "little", signed=True), c))
        db.execute("DELETE FROM chunks")
        db.execute("PRAGMA user_version = 1")
        db.commit()
        db.close()
        append(app, lines.make(50))
        t = started(tmp, [app], state=state)
        try:
            expect(t, lines)
        finally:
            t.stop()
        db = sqlite3.connect(state)
        assert db.execute("PRAGMA user_version").fetchone() == (3,)
        assert db.execute("SELECT count(*) FROM sqlite_master "
                          "WHERE name = 'series'").fetchone() == (0,)
        db.close()
        assert read_chunks(state)["v_total"][b""] == (lines.sum * 10**12, 0)


LABELLED = """
inputs:
  - name: app
    paths: [%(path)s]
    start_at: beginning
    reconcile_interval: 200ms
state:
  checkpoint_interval: 200ms
metrics:
  - name: by_key_total
    type: counter
    help: Sum of v by key.
    value: v
    labels: {k: k}
    max_series: %(cap)d
"""


def test_state_when_the_cap_shrinks():
    """Saved series beyond a lowered cap add up in the overflow series, and
    what is saved then restores to the same values."""
    with tempfile.TemporaryDirectory() as tmp:
        app = os.path.join(tmp, "app.log")
        state = os.path.join(tmp, "state.db")
        # 200 keys, so several chunks; key i carries v = i + 1, twice.
        text = "".join('{"k": "key%03d", "v": %d}\n' % (i % 200, i % 200 + 1)
                       for i in range(400))
        append(app, text.encode())
        want = {"key%03d" % i: 2 * (i + 1) for i in range(200)}

        def run(cap, expected):
            cfg = write_config(tmp, LABELLED % {"path": json.dumps(app), "cap": cap})
            t = Tokentail(cfg, state=state)
            try:
                def check():
                    fam = t.scrape().family("by_key_total")
                    got = {"overflow" if dict(lb).get("tokentail_overflow") else dict(lb)["k"]:
                           int(v) for lb, v in fam.items()}
                    return got if got == expected else None
                poll("series %d" % cap, check)
            finally:
                t.stop()

        run(1000, want)
        # A cap of 50 keeps the 50 first series and adds the rest up.
        keep = sorted(want)[:50]
        small = {k: want[k] for k in keep}
        small["overflow"] = sum(want[k] for k in want if k not in keep)
        run(50, small)
        run(50, small)
        saved = read_chunks(state)["by_key_total"]
        assert len(saved) == 51 and saved[b"\xff"][0] == small["overflow"] * 10**12


def test_envelopes():
    """The same application lines, bare, Docker-wrapped and CRI-wrapped."""
    with tempfile.TemporaryDirectory() as tmp:
        lines = Lines()
        app_lines = lines.make(200, pad=20).decode().splitlines()
        # A long line, which both runtimes split into pieces.
        app_lines.append('{"seq": 7777777, "v": 7777777, "pad": "%s"}' % ("z" * 40000))
        lines.count += 1
        lines.sum += 7777777
        docker, cri = [], []
        for i, l in enumerate(app_lines):
            stamp = "2025-11-13T10:30:%02d.%09dZ" % (i % 60, i)
            pieces = [l[k:k + 16384] for k in range(0, len(l), 16384)]
            for k, p in enumerate(pieces):
                last = k == len(pieces) - 1
                docker.append(json.dumps({"log": p + ("\n" if last else ""),
                                          "stream": "stdout", "time": stamp}))
                cri.append("%s stdout %s %s" % (stamp, "F" if last else "P", p))
        totals_by_kind = {}
        for kind, text in (("bare", app_lines), ("docker", docker), ("cri", cri)):
            d = os.path.join(tmp, kind)
            os.makedirs(d)
            append(os.path.join(d, "app.log"), ("\n".join(text) + "\n").encode())
            t = started(d, [os.path.join(d, "app.log")])
            try:
                e = expect(t, lines)
                totals_by_kind[kind] = (e.family("lines_total"), e.family("v_total"))
                _, _, body = t.request("/health")
                f = json.loads(body)["inputs"][0]["files"][0]
                assert f["envelope"] == {"bare": "none"}.get(kind, kind), f
                for reason in ("not_json", "bad_envelope", "too_long"):
                    assert e.value("tokentail_lines_skipped_total", input="app",
                                   reason=reason) == "0", reason
            finally:
                t.stop()
        assert totals_by_kind["bare"] == totals_by_kind["docker"] == totals_by_kind["cri"]


def test_sparse_region():
    """A writer that kept its offset after a truncation leaves NULs."""
    with tempfile.TemporaryDirectory() as tmp:
        app = os.path.join(tmp, "app.log")
        lines = Lines()
        w = open(app, "wb", buffering=0)  # no O_APPEND: the offset is its own
        w.write(lines.make(300))
        t = started(tmp, [app])
        try:
            expect(t, lines)
            os.truncate(app, 0)
            w.write(lines.make(300))  # lands after a hole of NULs
            w.close()
            e = expect(t, lines)
            assert e.value("tokentail_lines_skipped_total", input="app",
                           reason="too_long") == "0"
            assert e.value("tokentail_lines_skipped_total", input="app",
                           reason="not_json") == "0"
        finally:
            t.stop()


if __name__ == "__main__":
    main([test_partial_line_then_completion, test_partial_line_across_rotation,
          test_rename_rotation_with_late_writes, test_two_rotations_while_stopped,
          test_copytruncate, test_copy_in_progress, test_truncate_and_regrow, test_delete_while_open,
          test_directory_created_later, test_symlinks, test_same_file_two_paths,
          test_overlong_line_between_good_lines, test_endless_line,
          test_concurrent_writers,
          test_restart_with_rotation_while_down, test_crash_loop,
          test_bad_state_files, test_state_from_schema_1,
          test_state_when_the_cap_shrinks, test_envelopes, test_sparse_region])
