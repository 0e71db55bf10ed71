"""The status page at / through the real binary: its exact figures (the
data-value of each cell) equal what the JSON APIs answer at the same
moment: spend and tokens this month per model and in total from
/api/v1/usage, each budget's used, limit and remaining from
/api/v1/budgets, each pending and firing alert from /api/v1/alerts. The
document is well formed (every element closed in order, no stray end
tag; Python's html.parser reads it), hostile text from the logs and the
rules shows as text and never as markup, and the rounded figures people
read are the ones expected.

Then the page without a usage section, budgets or rules (each section
says it is not configured), and behind basic authentication (401
without credentials, like every other path).
"""
import base64
import json
import os
import random
import re
import tempfile
import warnings
from decimal import Decimal
from html.parser import HTMLParser

from harness import SLOW, Tokentail, main, poll, write_config

with warnings.catch_warnings():
    warnings.simplefilter("ignore", DeprecationWarning)
    import crypt  # libcrypt's bcrypt, as test_webtls.py uses it

HOSTILE = '<script>alert("x")</script>&'
MODELS = ["gpt-4o", "claude-3-haiku", "llama3:8b", HOSTILE]

CONFIG = """
inputs:
  - name: app
    paths: [%(dir)s/*.log]
    start_at: beginning
    reconcile_interval: 200ms
state:
  checkpoint_interval: 300ms
metrics:
  - name: cost_usd_total
    type: counter
    value: cost
    labels: {model: model}
  - name: input_tokens_total
    type: counter
    value: tokens
    labels: {model: model}
usage:
  metrics: [cost_usd_total, input_tokens_total]
  timezone: UTC
budgets:
  - {name: month_all, metric: cost_usd_total, period: month, limit: 1000000,
     warn_at: [0.5, 0.9]}
  - {name: month_gpt-4o, metric: cost_usd_total, match: {model: gpt-4o},
     period: month, limit: unlimited}
rule_files: [alerts.yml]
"""

RULES = """
groups:
  - name: spend
    interval: 1s
    rules:
      - alert: Spending
        expr: sum(cost_usd_total) > 0
        labels: {severity: warning}
        annotations:
          summary: "spent <b>{{ $value }}</b> & more"
      - alert: SlowBurn
        expr: sum by (model) (cost_usd_total) > 0
        for: 1h
"""

PLAIN = """
inputs:
  - name: app
    paths: [%(dir)s/*.log]
    start_at: beginning
metrics:
  - name: lines_total
    type: counter
"""

VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link",
        "meta", "source", "track", "wbr"}
# SVG's elements written as <x/>, which html.parser reports as such.


class Page(HTMLParser):
    """Checks nesting and collects each table's rows: (row header text,
    [(cell text, data-value or None)])."""

    def __init__(self, text):
        super().__init__(convert_charrefs=True)
        self.stack, self.errors = [], []
        self.tables, self.table = {}, None
        self.row, self.cell, self.ids = None, None, []
        self.text = []
        self.feed(text)
        self.close()
        if self.stack:
            self.errors.append("not closed: %s" % self.stack)

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if "id" in a:
            self.ids.append(a["id"])
        if tag == "table":
            self.table = self.tables.setdefault(a.get("id", "?"), [])
        elif tag == "tr" and self.table is not None:
            self.row = [None, []]
        elif tag in ("td", "th") and self.row is not None:
            self.cell = [tag, "", a.get("data-value")]
        if tag not in VOID:
            self.stack.append(tag)

    def handle_startendtag(self, tag, attrs):
        pass  # <rect .../>: complete in itself

    def handle_endtag(self, tag):
        if tag in VOID:
            return
        if not self.stack or self.stack[-1] != tag:
            self.errors.append("</%s> closes %s" % (tag, self.stack[-1:]))
            return
        self.stack.pop()
        if tag in ("td", "th") and self.cell is not None:
            kind, text, value = self.cell
            if kind == "th" and self.row[0] is None and not self.row[1]:
                self.row[0] = text
            else:
                self.row[1].append((text, value))
            self.cell = None
        elif tag == "tr" and self.row is not None:
            self.table.append(tuple(self.row))
            self.row = None
        elif tag == "table":
            self.table = None

    def handle_data(self, data):
        self.text.append(data)
        if self.cell is not None:
            self.cell[1] += data

    def rows(self, table):
        """The rows of a table after its header row, by row header."""
        return {h: cells for h, cells in self.tables[table][1:]}


def parse(body):
    page = Page(body.decode("utf-8"))
    assert not page.errors, page.errors
    assert body.startswith(b"<!DOCTYPE html>\n"), body[:40]
    return page


def get_json(t, path):
    status, _, body = t.request(path)
    assert status == 200, (path, status, body)
    return json.loads(body, parse_float=Decimal, parse_int=Decimal)


def get_page(t, headers=None):
    status, h, body = t.request("/", headers=headers)
    assert status == 200, (status, body[:200])
    assert h["Content-Type"] == "text/html; charset=utf-8", h
    return body


def write_lines(directory, n):
    rnd = random.Random(16)
    lines = []
    for i in range(n):
        model = MODELS[i % len(MODELS)]
        cost = Decimal(rnd.randint(1, 999999)) / Decimal(10) ** rnd.randint(2, 6)
        lines.append(json.dumps({"model": model, "cost": str(cost),
                                 "tokens": rnd.randint(1, 5000)}))
    lines.append("not json")  # skipped, by reason
    with open(os.path.join(directory, "app.log"), "w") as f:
        f.write("\n".join(lines) + "\n")


def check_usage(page, usage):
    rows = page.rows("usage-month")
    for col, metric in enumerate(["cost_usd_total", "input_tokens_total"]):
        m = usage["metrics"][metric]
        want = {g["labels"]["model"]: g["value"] for g in m["by"]}
        got = {model: Decimal(cells[col][1]) for model, cells in rows.items()
               if model != "Total"}
        assert got == want, (metric, got, want)
        assert Decimal(rows["Total"][col][1]) == m["total"], metric
    # The hostile model is a row named by its text, not markup.
    assert HOSTILE in rows, list(rows)
    # People read money rounded by magnitude and tokens with separators.
    total = usage["metrics"]["input_tokens_total"]["total"]
    assert rows["Total"][1][0] == "{:,}".format(int(total)), rows["Total"]
    spend = usage["metrics"]["cost_usd_total"]["total"]
    assert rows["Total"][0][0] == "{:,.2f}".format(spend), rows["Total"]


def check_budgets(page, budgets):
    rows = page.rows("budgets-table")
    assert list(rows) == [b["name"] for b in budgets["budgets"]], list(rows)
    for b in budgets["budgets"]:
        cells = rows[b["name"]]
        assert cells[0][0] == b["period"]["kind"], cells
        assert Decimal(cells[1][1]) == b["used"], (b, cells)
        if b["limit"] is None:
            assert cells[2][0] == "unlimited", cells
        else:
            assert Decimal(cells[2][1]) == b["limit"], (b, cells)
            assert Decimal(cells[3][1]) == b["remaining"], (b, cells)
        assert Decimal(cells[4][1]) == b["projected"], (b, cells)
        assert cells[5][0] == b["status"], (b, cells)


def check_inputs(page, e):
    """Lines read and skipped as tokentail's own metrics count them."""
    rows = page.rows("inputs-table")
    assert list(rows) == ["app"], rows
    assert rows["app"][0][1] == e.value("tokentail_lines_read_total", input="app")
    got = {(cells[0][0], cells[1][1]) for _, cells in
           page.tables["skipped-table"][1:]}
    want = {(dict(labels)["reason"], v) for labels, v in
            e.family("tokentail_lines_skipped_total").items() if v != "0"}
    assert got == want and want, (got, want)


def steady_rates(t):
    """A page a second or more after the previous one shows the rates over
    that time: nothing was written meanwhile."""
    page = parse(get_page(t))
    cells = page.rows("inputs-table")["app"]
    return cells[1][0] != "\u2013" and cells


def check_alerts(page, alerts):
    """Every alert once, firing ones first, told apart by its labels."""
    got = [(name, cells[0][0], cells[1][0], float(cells[3][1]), cells[4][0])
           for name, cells in page.tables["alerts-table"][1:]]
    want = [(a["labels"]["alertname"],
             ", ".join('%s="%s"' % kv for kv in sorted(a["labels"].items())
                       if kv[0] != "alertname"),
             a["state"], float(a["value"]), a["annotations"].get("summary", ""))
            for a in alerts["data"]["alerts"]]
    assert sorted(got) == sorted(want), (got, want)
    states = [row[2] for row in got]
    assert states == sorted(states), states  # "firing" before "pending"


def luminance(hexcolour):
    """WCAG 2's relative luminance of #rrggbb or #rgb."""
    h = hexcolour.lstrip("#")
    if len(h) == 3:
        h = "".join(c * 2 for c in h)
    out = 0
    for weight, i in ((0.2126, 0), (0.7152, 2), (0.0722, 4)):
        c = int(h[i:i + 2], 16) / 255
        c = c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4
        out += weight * c
    return out


def contrast(a, b):
    la, lb = sorted((luminance(a), luminance(b)), reverse=True)
    return (la + 0.05) / (lb + 0.05)


def check_contrast(text):
    """Text on the background at 4.5:1 or more in both schemes (WCAG AA),
    the charts' fills at 3:1 (non-text contrast)."""
    style = re.search(r"<style>(.*?)</style>", text, re.S).group(1)
    light = re.match(r":root\{([^}]*)\}", style).group(1)
    dark = re.search(r"prefers-color-scheme:dark\)\{:root\{([^}]*)\}",
                     style).group(1)
    for scheme in (light, dark):
        v = dict(re.findall(r"--(\w+):(#[0-9a-fA-F]+)", scheme))
        for name in ("fg", "muted", "accent", "ok", "warn", "bad"):
            assert contrast(v[name], v["bg"]) >= 4.5, (name, v)
        for name in ("accent", "ok", "warn", "bad"):  # bars and fills
            assert contrast(v[name], v["track"]) >= 3, (name, v)


def consistent(t):
    """The page and the APIs at one instant: budgets asked before and
    after the page must agree (a projection moves every second)."""
    before = get_json(t, "/api/v1/budgets")
    usage = get_json(t, "/api/v1/usage?metric=cost_usd_total&"
                        "metric=input_tokens_total&by=model&period=month")
    alerts = get_json(t, "/api/v1/alerts")
    body = get_page(t)
    after = get_json(t, "/api/v1/budgets")
    again = get_json(t, "/api/v1/alerts")
    if before != after or alerts != again:
        return None
    return body, usage, before, alerts


def test_figures():
    n = 200 if SLOW <= 1 else 40
    with tempfile.TemporaryDirectory() as tmp:
        write_lines(tmp, n)
        with open(os.path.join(tmp, "alerts.yml"), "w") as f:
            f.write(RULES)
        t = Tokentail(write_config(tmp, CONFIG % {"dir": tmp}))
        try:
            e = t.wait_lines(n + 1)

            def all_alerts():
                a = get_json(t, "/api/v1/alerts")["data"]["alerts"]
                return len(a) == 1 + len(MODELS) and a
            poll("every alert", all_alerts)
            body, usage, budgets, alerts = poll("a consistent page",
                                                lambda: consistent(t))
            page = parse(body)
            check_usage(page, usage)
            check_budgets(page, budgets)
            check_alerts(page, alerts)
            check_inputs(page, e)
            cells = poll("rates on the page", lambda: steady_rates(t))
            assert (cells[1][0], cells[2][0]) == ("0.0", "0 B/s"), cells
            text = body.decode()
            assert "<script>alert" not in text and "<b>" not in text
            assert 'id="health">healthy<' in text
            check_contrast(text)
            assert len(page.tables["usage-daily"]) == 31  # 30 days + header
            # Each chart has its text alternative.
            assert text.count('role="img"') == text.count("<svg"), text
        finally:
            t.stop()


def test_not_configured():
    with tempfile.TemporaryDirectory() as tmp:
        with open(os.path.join(tmp, "app.log"), "w") as f:
            f.write("{}\n")
        t = Tokentail(write_config(tmp, PLAIN % {"dir": tmp}))
        try:
            t.wait_lines(1)
            body = get_page(t)
            page = parse(body)
            text = " ".join(page.text)
            for line in ("No usage section is configured",
                         "No budgets are configured",
                         "No rule files are configured"):
                assert line in text, (line, text)
            assert "<svg" not in body.decode()
        finally:
            t.stop()


def test_auth():
    h = crypt.crypt("pw", crypt.mksalt(crypt.METHOD_BLOWFISH, rounds=1 << 4))
    with tempfile.TemporaryDirectory() as tmp:
        with open(os.path.join(tmp, "app.log"), "w") as f:
            f.write("{}\n")
        web = os.path.join(tmp, "web.yml")
        with open(web, "w") as f:
            f.write("basic_auth_users:\n  ops: '%s'\n" % h)
        t = Tokentail(write_config(tmp, PLAIN % {"dir": tmp}),
                      args=["--web.config.file=" + web])
        try:
            status, headers, body = t.request("/")
            assert status == 401 and "WWW-Authenticate" in headers, status
            assert b"tokentail" not in body or b"<table" not in body
            auth = "Basic " + base64.b64encode(b"ops:pw").decode()
            parse(get_page(t, {"Authorization": auth}))
        finally:
            t.stop()


if __name__ == "__main__":
    main([test_figures, test_not_configured, test_auth])
