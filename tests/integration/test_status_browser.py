"""The status page in a real browser: Debian's chromium, headless (no
display needed), loads / from tokentail following FlashCase's pack on
generated lines spread over the last ten days. The DOM it builds
(--dump-dom) holds the exact figures the JSON APIs give (spend per model,
each budget's used amount) and the firing alert's name; it is well formed;
the browser logs nothing to its console (an error in the inline script
would show there); and screenshots at a desktop and a phone width, and
at desktop width in the dark scheme, are saved under the build folder
(argv[2]) for people to look at, each checked for its size and its
scheme's background.

It runs once, in the plain build: under AddressSanitizer it skips itself
(what it tests is the page in a browser, which the sanitizers do not
see), and valgrind runs the integration suite only, not this one.
"""
import json
import os
import random
import re
import shutil
import struct
import subprocess
import sys
import tempfile
import zlib
from datetime import datetime, timedelta, timezone
from decimal import Decimal

from harness import (ROOT, SLOW, Skip, Tokentail, genlogs, main, poll,
                     sanitized, write_config)
from test_status_page import Page

CHROMIUM = shutil.which("chromium")
# Nothing leaves the machine: no sync, no component updates, no QUIC.
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
         "--no-first-run", "--disable-background-networking",
         "--disable-component-update", "--disable-sync",
         "--hide-scrollbars", "--enable-logging=stderr", "--v=0"]
# name: (width, height, extra flags, the page's background colour)
SHOTS = {"desktop": (1280, 900, [], "ffffff"),
         "phone": (390, 844, [], "ffffff"),
         "desktop-dark": (1280, 900, ["--force-dark-mode"], "121212")}

RULES = """
groups:
  - name: spend
    interval: 1s
    rules:
      - alert: LlmSpend
        expr: sum(llm_cost_usd_total) > 0
        annotations:
          summary: "LLM calls cost {{ $value }} so far"
"""

N_LINES = 600


def flashcase_config(tmp):
    with open(os.path.join(ROOT, "examples", "flashcase", "exporter.yaml")) as f:
        text = f.read()
    text = text.replace("start_at: end ", "start_at: beginning ")
    with open(os.path.join(tmp, "alerts.yml"), "w") as f:
        f.write(RULES)
    return write_config(tmp, text + "\nrule_files: [alerts.yml]\n")


def retimed_lines(tmp):
    """FlashCase lines whose times are spread over the last ten days, so
    the month's table and the per-day chart have something to show."""
    data, _ = genlogs("flashcase", N_LINES, 16)
    rnd = random.Random(16)
    now = datetime.now(timezone.utc)
    out = []
    for line in data.decode().splitlines():
        rec = json.loads(line)
        t = now - timedelta(seconds=rnd.randint(60, 10 * 86400))
        # Stay in this month, whose figures the page shows.
        if t.month != now.month:
            t = now - timedelta(seconds=rnd.randint(60, 3600))
        rec["timestamp"] = t.strftime("%Y-%m-%dT%H:%M:%S.000Z")
        out.append(json.dumps(rec))
    with open(os.path.join(tmp, "app.log"), "w") as f:
        f.write("\n".join(out) + "\n")
    return len(out)


def chromium(tmp, url, *args):
    profile = tempfile.mkdtemp(dir=tmp)
    p = subprocess.run([CHROMIUM] + FLAGS + ["--user-data-dir=" + profile]
                       + list(args) + [url], capture_output=True,
                       timeout=60 * SLOW)
    assert p.returncode == 0, p.stderr.decode(errors="replace")
    console = [line for line in p.stderr.decode(errors="replace").splitlines()
               if "CONSOLE" in line]
    assert not console, console
    return p.stdout


def png_info(path):
    """A PNG's width, height and its top left pixel as hex RGB: a first
    row's first pixel is stored as is, whatever its row's filter."""
    with open(path, "rb") as f:
        data = f.read()
    assert data[:8] == b"\x89PNG\r\n\x1a\n", path
    at, idat, head = 8, b"", None
    while at < len(data):
        n, kind = struct.unpack(">I4s", data[at:at + 8])
        if kind == b"IHDR":
            head = struct.unpack(">IIBB", data[at + 8:at + 18])
        elif kind == b"IDAT":
            idat += data[at + 8:at + 8 + n]
        at += 12 + n
    w, h, depth, colour = head
    assert depth == 8 and colour in (2, 6), head  # RGB or RGBA
    return w, h, zlib.decompressobj().decompress(idat, 4)[1:4].hex()


def get_json(t, path):
    status, _, body = t.request(path)
    assert status == 200, (path, status)
    return json.loads(body, parse_float=Decimal, parse_int=Decimal)


def test_browser():
    if sanitized():
        raise Skip("the browser test runs in the plain build only")
    if CHROMIUM is None:
        raise Skip("chromium is not installed (tests/deps installs it)")
    shots = sys.argv[2] if len(sys.argv) > 2 else tempfile.mkdtemp()
    os.makedirs(shots, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        n = retimed_lines(tmp)
        t = Tokentail(flashcase_config(tmp),
                      env={"TOKENTAIL_LOG_PATH": os.path.join(tmp, "*.log")})
        try:
            t.wait_lines(n)
            poll("the alert firing", lambda: any(
                a["state"] == "firing"
                for a in get_json(t, "/api/v1/alerts")["data"]["alerts"]))
            usage = get_json(t, "/api/v1/usage?metric=llm_cost_usd_total"
                                "&by=model&period=month")
            budgets = get_json(t, "/api/v1/budgets")["budgets"]
            url = "http://127.0.0.1:%d/" % t.port

            dom = chromium(tmp, url, "--dump-dom").decode()
            page = Page(dom)
            assert not page.errors, page.errors
            rows = page.rows("usage-month")
            m = usage["metrics"]["llm_cost_usd_total"]
            want = {g["labels"]["model"]: g["value"] for g in m["by"]}
            got = {k: Decimal(v[0][1]) for k, v in rows.items() if k != "Total"}
            assert got == want and want, (got, want)
            brows = page.rows("budgets-table")
            for b in budgets:
                assert Decimal(brows[b["name"]][1][1]) == b["used"], b
            assert "LlmSpend" in page.rows("alerts-table")

            for name, (w, h, flags, bg) in SHOTS.items():
                path = os.path.join(shots, "status-%s.png" % name)
                chromium(tmp, url, "--screenshot=" + path,
                         "--window-size=%d,%d" % (w, h), *flags)
                # The size asked, in the scheme asked for.
                assert png_info(path) == (w, h, bg), (path, png_info(path))
        finally:
            t.stop()


if __name__ == "__main__":
    main([test_browser])
