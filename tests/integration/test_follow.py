"""Following many files at once: every line of every file counted exactly
once, per file, when hundreds of them are written, truncated or rewritten
in one burst, so that their inotify events arrive together and are handled
in one pass.

Each line names its file, and a counter labelled by that name gives the
count per file: a line lost in one file and one counted twice in another
cannot cancel out."""
import os
import signal
import tempfile

from harness import SLOW, Tokentail, main, poll, write_config

# Few enough for valgrind, many enough that one pass sees hundreds of events.
FILES = 40 if SLOW > 1 else 300


def config(tmp):
    return write_config(tmp, """
inputs:
  - name: app
    paths: [%s/*.log]
metrics:
  - name: lines_total
    type: counter
    labels: {file: f}
""" % tmp)


def line(name, gen, k):
    # Lines of another generation are longer, so that a file rewritten
    # with them grows past where it was read.
    return b'{"f": "%s", "gen": %d, "k": %d, "pad": "%s"}\n' % (
        name.encode(), gen, k, b"x" * (gen * 7 + k % 5))


def name(i):
    return "f%03d" % i


def expect(t, want):
    """Waits for sum(want) lines, then checks each file's exact count."""
    e = t.wait_lines(sum(want.values()))
    got = e.family("lines_total")
    assert got == {frozenset({("file", n)}): str(c) for n, c in want.items()}, got
    assert e.value("tokentail_lag_bytes", input="app") == "0"
    return e


def test_burst_of_new_files():
    """Files that appear together, each written in several pieces that
    split lines anywhere; the last line of each is finished later."""
    with tempfile.TemporaryDirectory() as tmp:
        t = Tokentail(config(tmp))
        try:
            want = {}
            fds = []
            for i in range(FILES):
                data = b"".join(line(name(i), 1, k) for k in range(1 + i % 9))
                fd = os.open(os.path.join(tmp, name(i) + ".log"),
                             os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
                fds.append(fd)
                cut = (i * 37) % len(data)
                os.write(fd, data[:cut])
                os.write(fd, data[cut:])
                os.write(fd, b'{"f": "%s", "gen": 1, "k": -1' % name(i).encode())
                want[name(i)] = 1 + i % 9
            expect(t, want)
            for i, fd in enumerate(fds):
                os.write(fd, b"}\n")
                want[name(i)] += 1
                os.close(fd)
            e = expect(t, want)
            assert e.value("tokentail_files_watched", input="app") == str(FILES)
            assert e.value("tokentail_files_opened_total", input="app") == str(FILES)
        finally:
            t.stop()


def test_burst_of_truncations_and_appends():
    """While tokentail is stopped, a third of the files are rewritten
    longer than they were, a third truncated and written shorter, and a
    third appended to: one pass finds all of it."""
    with tempfile.TemporaryDirectory() as tmp:
        paths = [os.path.join(tmp, name(i) + ".log") for i in range(FILES)]
        t = Tokentail(config(tmp))
        try:
            want = {}
            for i, p in enumerate(paths):
                with open(p, "wb") as f:
                    f.write(b"".join(line(name(i), 1, k) for k in range(6)))
                want[name(i)] = 6
            expect(t, want)
            t.proc.send_signal(signal.SIGSTOP)
            try:
                for i, p in enumerate(paths):
                    n = 2 + i % 4
                    if i % 3 == 2:
                        with open(p, "ab") as f:
                            f.write(b"".join(line(name(i), 1, 6 + k) for k in range(n)))
                    else:
                        gen, n = (2, 8) if i % 3 == 0 else (3, 1)
                        with open(p, "wb") as f:
                            f.write(b"".join(line(name(i), gen, k) for k in range(n)))
                    want[name(i)] += n
            finally:
                t.proc.send_signal(signal.SIGCONT)
            e = expect(t, want)
            rewritten = len([i for i in range(FILES) if i % 3 != 2])
            assert e.value("tokentail_file_truncations_total",
                           input="app") == str(rewritten)
            poll("every file read to its end",
                 lambda: t.scrape().value("tokentail_lag_bytes", input="app") == "0")
        finally:
            t.stop()


if __name__ == "__main__":
    main([test_burst_of_new_files, test_burst_of_truncations_and_appends])
