"""Series caps and expiry: a flood of distinct label values keeps memory
bounded and its overflow counted; idle gauge series expire, counters never.
"""
import os
import subprocess
import tempfile
import time

from harness import (SLOW, Exposition, Tokentail, binary, main, poll, wrapper,
                     write_config)

# Under valgrind everything is ~20 times slower: a smaller flood.
FLOOD = 1000000 if SLOW <= 1 else 50000

FLOOD_CONFIG = """
inputs:
  - name: app
    paths: [%(path)s]
limits:
  max_series: 1500
metrics:
  - name: by_user_total
    type: counter
    help: Lines by user.
    labels: {user: u}
    max_series: 500
  - name: v_by_user
    type: gauge
    help: The last v by user.
    value: v
    labels: {user: u}
"""


def run_measured(args):
    """(returncode, stdout, stderr, peak RSS in KiB) of one --once run; the
    peak is VmHWM, read while the process runs."""
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        p = subprocess.Popen(wrapper() + [binary()] + args, stdout=out, stderr=err)
        hwm, end = 0, time.monotonic() + 300 * SLOW
        while p.poll() is None and time.monotonic() < end:
            try:
                with open("/proc/%d/status" % p.pid) as f:
                    for line in f:
                        if line.startswith("VmHWM:"):
                            hwm = max(hwm, int(line.split()[1]))
            except OSError:
                pass
            time.sleep(0.005)  # the sampling period of the memory probe
        if p.poll() is None:
            p.kill()
        p.wait()
        out.seek(0)
        err.seek(0)
        return p.returncode, out.read().decode(), err.read().decode(), hwm


def test_flood():
    """FLOOD distinct users, each line feeding both metrics: the counter
    stops at its own cap of 500 series, the gauge at 1,000 (what is left of
    the 1,500 overall); the rest overflow."""
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "app.log")
        with open(path, "w") as f:
            for i in range(FLOOD):
                f.write('{"u": "user-%07d", "v": %d}\n' % (i, i % 7))
        cfg = write_config(tmp, FLOOD_CONFIG % {"path": path})
        rc, out, err, hwm = run_measured(["--config.file=" + cfg, "--once", path])
        assert rc == 0, err
        e = Exposition(out)
        counter = e.family("by_user_total")
        gauge = e.family("v_by_user")
        over = frozenset({("tokentail_overflow", "true")})
        assert len(counter) == 501 and counter[over] == str(FLOOD - 500)
        assert len(gauge) == 1001
        # The first series are the first users, exactly.
        for i in (0, 250, 499):
            assert counter[frozenset({("user", "user-%07d" % i)})] == "1"
        assert frozenset({("user", "user-0000500")}) not in counter
        for i in (0, 500, 999):
            assert gauge[frozenset({("user", "user-%07d" % i)})] == str(i % 7)
        assert frozenset({("user", "user-0001000")}) not in gauge
        # A gauge's overflow series holds the last value sent to it.
        assert gauge[over] == str((FLOOD - 1) % 7)
        assert e.value("tokentail_series", metric="by_user_total") == "500"
        assert e.value("tokentail_series", metric="v_by_user") == "1000"
        assert e.value("tokentail_series_overflow_total",
                       metric="by_user_total") == str(FLOOD - 500)
        assert e.value("tokentail_series_overflow_total",
                       metric="v_by_user") == str(FLOOD - 1000)
        # Both caps are named in the log, which stays short.
        warnings = [l for l in err.splitlines() if "overflow series" in l]
        assert any("by_user_total: its limit of 500 series (max_series)" in l
                   for l in warnings), err
        assert any("v_by_user: the limit of 1500 series over all metrics" in l
                   for l in warnings), err
        assert len(warnings) <= 10, warnings  # five a minute per metric
        if not wrapper():
            # Bounded: the flood costs at most a few MiB more than a file of
            # the same size with one user in it.
            with open(path, "w") as f:
                for i in range(FLOOD):
                    f.write('{"u": "user-%07d", "v": %d}\n' % (0, i % 7))
            rc, _, err, base = run_measured(["--config.file=" + cfg, "--once", path])
            assert rc == 0 and base > 0, err
            assert hwm - base < 4 * 1024, "peak RSS %d KiB against %d" % (hwm, base)


EXPIRY_CONFIG = """
inputs:
  - name: app
    paths: [%(path)s]
    start_at: beginning
    reconcile_interval: 200ms
state:
  checkpoint_interval: 200ms
metrics:
  - name: jobs_total
    type: counter
    help: Jobs by queue.
    labels: {queue: q}
  - name: queue_depth
    type: gauge
    help: The last depth reported, by queue.
    value: depth
    labels: {queue: q}
    expire_after: 1s
"""


def test_gauge_expiry():
    with tempfile.TemporaryDirectory() as tmp:
        log = os.path.join(tmp, "app.log")
        state = os.path.join(tmp, "state.db")
        cfg = write_config(tmp, EXPIRY_CONFIG % {"path": log})
        with open(log, "w") as f:
            f.write('{"q": "a", "depth": 3}\n{"q": "b", "depth": 5}\n')
        t = Tokentail(cfg, state=state)
        try:
            e = t.wait_lines(2)
            # Both gauges go once nothing updates them for a second; the
            # counters stay.
            e = poll("gauges expired", lambda: (
                lambda e: e if e.family("queue_depth") == {} else None)(t.scrape()))
            assert e.value("tokentail_series_expired_total", metric="queue_depth") == "2"
            assert e.value("tokentail_series", metric="queue_depth") == "0"
            assert e.value("jobs_total", queue="a") == "1"
            assert e.value("jobs_total", queue="b") == "1"
            assert "tokentail_series_expired_total" not in [
                n for (n, lb) in e.samples if dict(lb).get("metric") == "jobs_total"]
            # A new report brings the series back with its new value.
            with open(log, "a") as f:
                f.write('{"q": "a", "depth": 9}\n')
            e = t.wait_lines(3)
            assert e.value("queue_depth", queue="a") == "9"
            assert e.value("jobs_total", queue="a") == "2"
        finally:
            t.stop()
        # After a restart, what was saved comes back: the counters, and the
        # gauge that had not expired when tokentail stopped (if it had, it
        # is gone from the state too).
        t = Tokentail(cfg, state=state)
        try:
            e = t.scrape()
            assert e.value("jobs_total", queue="a") == "2"
            assert e.value("jobs_total", queue="b") == "1"
            assert e.value("queue_depth", queue="b") is None
            depth = e.value("queue_depth", queue="a")
            assert depth in ("9", None), depth
            poll("restored gauge expired", lambda: t.scrape().value(
                "queue_depth", queue="a") is None)
        finally:
            t.stop()


if __name__ == "__main__":
    main([test_flood, test_gauge_expiry])
