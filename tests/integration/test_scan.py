"""TOKENTAIL_SCAN: every path of the JSON scanner gives the same metrics.

The same corpus (genlogs flashcase lines, the hostile lines of test_once,
and lines of a kilobyte or more, which the AVX2 path indexes, with escapes,
UTF-8, control characters and broken endings in their long strings) is
read with --once on each path this CPU has. The application's families
and the line accounting (read, skipped by reason, updates) must be
byte-for-byte the same on every path and match FlashcaseOracle's exact
values. The start-up log names the path; a name no path has stops the
start with a usage error.
"""
import os
import random
import tempfile

from harness import (SLOW, Exposition, FlashcaseOracle, Skip, default_config,
                     feed_all, genlogs, main, run, sanitized)
from test_once import HOSTILE

LINES = 3000 if SLOW <= 1 and not sanitized() else 300  # valgrind, ASan
# Under valgrind only the path chosen by default runs (each run costs
# seconds there); the unit test json_index runs every path under it.
ALL_PATHS = SLOW <= 1

# Families compared across paths: everything the lines decide (process
# and timing self-metrics differ from run to run).
COMPARED = ("http_", "llm_", "tokentail_lines_", "tokentail_metric_updates_")


def cpu_flags():
    for line in open("/proc/cpuinfo"):
        if line.startswith("flags"):
            return set(line.split(":", 1)[1].split())
    return set()


def paths():
    """The paths this CPU has, and the one chosen without TOKENTAIL_SCAN."""
    if os.uname().machine not in ("x86_64", "i686", "i386"):
        return ["scalar"], "scalar"
    if "avx2" in cpu_flags():
        return ["avx2", "sse2", "scalar"], "avx2"
    return ["sse2", "scalar"], "scalar"


def long_lines(rnd):
    """FlashCase lines with a long prompt (1-3 KiB), some of them broken
    far from where the line starts, across the AVX2 index's 64-byte
    blocks."""
    inner = [b"", b"\\\"", b"\\\\", b"\\u00e9", b"\xc3\xa9", b"\xff", b"\\n",
             b"\x01", b"\\x", b"\t", b"\\u12", b'"']
    out = []
    for i in range(60):
        pad = b"w" * rnd.randrange(1000, 3000)
        cut = rnd.randrange(len(pad))
        text = pad[:cut] + inner[i % len(inner)] + pad[cut:]
        out.append(b'{"endpoint": "/long/%d", "method": "POST", "status_code": 200, '
                   b'"duration_ms": %d, "prompt": "%s"}' % (i, i, text))
    return out


def corpus(tmp):
    data, _ = genlogs("flashcase", LINES, 23)
    lines = data.split(b"\n")[:-1]
    rnd = random.Random(23)
    for extra in HOSTILE + long_lines(rnd):
        lines.insert(rnd.randrange(len(lines) + 1), extra)
    data = b"\n".join(lines) + b"\n"
    path = os.path.join(tmp, "app.log")
    with open(path, "wb") as f:
        f.write(data)
    return path, data


def compared(out):
    return "".join(line + "\n" for line in out.splitlines()
                   if line.startswith(COMPARED))


def test_same_on_every_path():
    have, best = paths()
    with tempfile.TemporaryDirectory() as tmp:
        path, data = corpus(tmp)
        oracle = FlashcaseOracle()
        assert feed_all(oracle, data) == b""
        seen = {}
        for p in (have if ALL_PATHS else []):
            rc, out, err = run(["--config.file=" + default_config(), "--once", path],
                               env={"TOKENTAIL_SCAN": p})
            assert rc == 0, err
            assert 'msg="json scanner: %s (TOKENTAIL_SCAN)"' % p in err, err
            oracle.check(Exposition(out))
            seen[p] = compared(out)
        rc, out, err = run(["--config.file=" + default_config(), "--once", path],
                           env={"TOKENTAIL_SCAN": ""})
        assert rc == 0, err
        assert 'msg="json scanner: %s (the best this CPU has)"' % best in err, err
        oracle.check(Exposition(out))
        first = compared(out)
        assert "tokentail_lines_skipped_total" in first, first
        for p, got in seen.items():
            assert got == first, (p, got, first)


def test_unknown_path():
    if not ALL_PATHS:
        raise Skip("a usage error needs no valgrind; the normal runs check it")
    for name in ("avx512", "AVX2", "neon"):
        rc, out, err = run(["--config.file=" + default_config(), "--once", "/dev/null"],
                           env={"TOKENTAIL_SCAN": name})
        assert rc == 2, (name, rc, err)
        assert err == ('tokentail: TOKENTAIL_SCAN must be avx2, sse2 or scalar, '
                       'not "%s"\nTry \'tokentail --help\' for more information.\n'
                       % name), err
        assert out == "", out


if __name__ == "__main__":
    main([test_same_on_every_path, test_unknown_path])
