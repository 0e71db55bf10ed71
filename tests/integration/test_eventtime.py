"""Event time, through the real binary: an input's time in each kind of
format (a Python-logging pattern in a zone half an hour off UTC, Unix
milliseconds in logfmt, nginx's pattern with an offset, RFC 3339), the
fallbacks counted by reason, lateness observed in the right buckets and
lines from the future counted, in --once and while following a file; and
a configuration with a misspelt zone refused at its line and column.

Event times are set relative to the clock when the test starts, far from
every bucket bound, so that the bucket of each line does not depend on how
long tokentail takes to read it; the lateness sum is checked against the
clock read before and after.
"""
import os
import tempfile
import time
from datetime import datetime, timedelta, timezone
from decimal import Decimal
from zoneinfo import ZoneInfo

from harness import (Exposition, Tokentail, labelset, main, poll, promtool_check,
                     run, write_config)

BUCKETS = ["0.01", "0.05", "0.25", "1", "5", "15", "60", "300", "900", "3600",
           "21600", "86400", "604800", "2592000"]
# A zone without summer time: no local time here is skipped or repeated,
# whenever the test runs (the unit tests cover those).
KOLKATA = ZoneInfo("Asia/Kolkata")

CONFIG = """
inputs:
  - name: py
    paths: [{dir}/py.log]
    start_at: beginning
    parser:
      type: regex
      pattern: '^(?<ts>\\S+ \\S+) (?<level>\\w+) (?<msg>.*?)(?: took (?<took>\\S+))?$'
    time: {{field: ts, format: '%Y-%m-%d %H:%M:%S,%f', timezone: Asia/Kolkata}}
  - name: lf
    paths: [{dir}/lf.log]
    start_at: beginning
    parser: logfmt
    time: {{field: at, format: unix_ms}}
  - name: nginx
    paths: [{dir}/nginx.log]
    start_at: beginning
    time: {{field: time_local, format: '%d/%b/%Y:%H:%M:%S %z'}}
metrics:
  - name: lines_total
    type: counter
  - name: took_seconds_total
    type: counter
    value: {{field: took, as: duration}}
"""

# Lateness wanted, in seconds (None: a line from the future), and the
# bucket bound it falls in.
AGES = [Decimal(180), Decimal(2000), Decimal(3 * 86400), Decimal(45 * 86400),
        Decimal("7.5"), None]


def expected_buckets(ages):
    out = {b: 0 for b in BUCKETS}
    for a in ages:
        for b in BUCKETS:
            if (a or 0) <= Decimal(b):
                out[b] += 1
    out["+Inf"] = len(ages)
    return out


def stamp(now, age):
    """The instant age seconds before now (a day after, for None), whole
    milliseconds."""
    t = now - age if age is not None else now + 86400
    return t.quantize(Decimal("0.001"))


def write_logs(tmp, now):
    """Writes the three inputs' files; returns each input's event times
    and wanted fallbacks."""
    py, lf, nginx = [], [], []
    times = {"py": [], "lf": [], "nginx": []}
    for i, age in enumerate(AGES):
        t = stamp(now, age)
        local = datetime.fromtimestamp(int(t), KOLKATA)
        ms = int((t - int(t)) * 1000)
        py.append("%s,%03d INFO request %d took %dms" % (
            local.strftime("%Y-%m-%d %H:%M:%S"), ms, i, i + 1))
        lf.append('at=%d level=info msg="request %d" took=%d.5s' % (int(t * 1000), i, i))
        off = datetime.fromtimestamp(int(t), timezone(timedelta(hours=-5)))
        nginx.append('{"time_local": "%s", "status": 200}' %
                     off.strftime("%d/%b/%Y:%H:%M:%S -0500"))
        times["py"].append((t, age))
        times["lf"].append((t, age))
        times["nginx"].append((Decimal(int(t)), age))  # whole seconds
    # What falls back, and why.
    py += ["2025-13-01 00:00:00,000 INFO bad month took 1ms", "garbage"]
    lf += ["level=info msg=no-time took=2ms", "at=soon took=3ms",
           "at=99999999999999999 took=1h"]
    nginx += ['{"time_local": null}', '{"status": 500}',
              '{"time_local": "21/Oct/2025:15:42:22"}', '{"time_local": 1}']
    for name, lines in (("py", py), ("lf", lf), ("nginx", nginx)):
        with open(os.path.join(tmp, name + ".log"), "w") as f:
            f.write("\n".join(lines) + "\n")
    fallbacks = {"py": {"missing": 0, "unparsable": 1, "out_of_range": 0},
                 "lf": {"missing": 1, "unparsable": 1, "out_of_range": 1},
                 "nginx": {"missing": 2, "unparsable": 2, "out_of_range": 0}}
    return times, fallbacks


def check_input(e, name, times, fallbacks, before, after):
    buckets, sums, counts = e.histogram("tokentail_event_lateness_seconds")
    k = labelset(input=name)
    ages = [a for _, a in times]
    assert {le: int(c) for le, c in buckets[k].items()} == expected_buckets(ages), (
        name, buckets[k])
    assert int(counts[k]) == len(times)
    # Read between before and after by a clock some milliseconds coarse;
    # lines from the future count 0.
    low = sum(max(before - Decimal("0.05") - t, 0) for t, a in times if a is not None)
    high = sum(after - t for t, a in times if a is not None)
    assert low <= Decimal(sums[k]) <= high, (name, low, sums[k], high)
    assert e.value("tokentail_event_time_ahead_total", input=name) == "1"
    for reason, n in fallbacks.items():
        got = e.value("tokentail_event_time_fallbacks_total", input=name, reason=reason)
        assert got == str(n), (name, reason, got, n)


def test_formats_once():
    with tempfile.TemporaryDirectory() as tmp:
        before = Decimal(repr(time.time()))
        times, fallbacks = write_logs(tmp, before)
        cfg = write_config(tmp, CONFIG.format(dir=tmp))
        rc, out, err = run(["--config.file=" + cfg, "--once"])
        after = Decimal(repr(time.time()))
        assert rc == 0, err
    e = Exposition(out)
    promtool_check(out)
    for name in ("py", "lf", "nginx"):
        check_input(e, name, times[name], fallbacks[name], before, after)
    # Lines without a usable time still count, at the time they were read.
    # (py's garbage line matches no pattern: it has no time to fall back.)
    assert e.value("lines_total") == str((6 + 1) + (6 + 3) + (6 + 4))
    # Durations: py's 1..6 ms and the bad month's 1 ms; lf's i + 0.5 s, and
    # 2 ms, 3 ms and 1 h on the lines without a usable time.
    want = sum(Decimal(i + 1) / 1000 for i in range(len(AGES))) + Decimal("0.001")
    want += sum(Decimal(i) + Decimal("0.5") for i in range(len(AGES)))
    want += Decimal("0.005") + 3600
    assert Decimal(e.value("took_seconds_total")) == want, e.value("took_seconds_total")


def test_following():
    """Lines written while tokentail follows: read within the minute, none
    from the future, each time counted."""
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "app.log")
        open(path, "w").close()
        cfg = write_config(tmp, """
inputs:
  - name: app
    paths: [%s]
    time: {field: ts}
metrics:
  - name: lines_total
    type: counter
""" % path)
        t = Tokentail(cfg)
        try:
            n = 200
            with open(path, "a") as f:
                for i in range(n):
                    now = datetime.now(timezone.utc)
                    f.write('{"ts": "%s", "i": %d}\n' % (
                        now.strftime("%Y-%m-%dT%H:%M:%S.%fZ"), i))
                    f.flush()
            e = t.wait_lines(n)

            def observed():
                e = t.scrape()
                v = e.value("tokentail_event_lateness_seconds_count", input="app")
                return e if v == str(n) else None
            e = poll("lateness of every line", observed)
            assert e.value("tokentail_event_lateness_seconds_bucket", input="app",
                           le="60") == str(n)
            assert e.value("tokentail_event_time_ahead_total", input="app") == "0"
            for reason in ("missing", "unparsable", "out_of_range"):
                assert e.value("tokentail_event_time_fallbacks_total", input="app",
                               reason=reason) == "0"
        finally:
            t.stop()


def test_bad_zone():
    with tempfile.TemporaryDirectory() as tmp:
        cfg = write_config(tmp, "inputs:\n  - paths: [x.log]\n"
                                "    time: {field: ts, timezone: Europe/Berln}\n"
                                "metrics: [{name: n_total, type: counter}]\n")
        rc, out, err = run(["--config.file=" + cfg, "--check-config"])
        assert rc == 1, (rc, err)
        assert (cfg + ':3:33: unknown time zone "Europe/Berln" (did you mean '
                '"Europe/Berlin"?)') in err, err


if __name__ == "__main__":
    main([test_formats_once, test_following, test_bad_zone])
