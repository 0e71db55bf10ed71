"""tokentail --test-rules held to Prometheus: promtool is the judge.

The invariant: for the same input series, every expression of the
supported subset gives at the same instant the same samples under
tokentail's evaluator as under Prometheus' own — the same label sets, the
values equal to a relative 1e-9 (sums add in a different order), NaN
where Prometheus gives NaN, and an error where Prometheus fails the query.

How promtool's answers are obtained: each expression goes into a
promtool test file whose expectation can never hold (a sample labelled
with a sentinel), so promtool prints what it got; the same file run by
tokentail prints what tokentail got, and the two are compared. Then the
answers become the expectations of a second file that both
`promtool test rules` and `tokentail --test-rules` must pass (expressions
that give NaN are left out of it: promtool compares with ==, so no NaN
expectation can pass under it).

The expressions: a hand-written list that uses every construct of the
subset, and RANDOM_EXPRS more generated from the subset's grammar over
randomly generated series (seeded, so a failure reproduces). The alert
tests in rules/ (*_test.yml) are run by both tools too, and a rule file
with refused constructs must fail with file:line:column errors.
"""
import glob
import json
import os
import random
import re
import shutil
import subprocess
import tempfile

from harness import Skip, main, run

HERE = os.path.dirname(os.path.abspath(__file__))
RULES = os.path.join(HERE, "rules")
SEED = int(os.environ.get("RULES_SEED", "20261129"))
RANDOM_EXPRS = 300
RANDOM_ALERT_RULES = 40
TOLERANCE = 1e-9
SENTINEL = '{__sentinel__="never"}'
FINAL_ROUNDS = 5  # promtool runs of the file of its own answers, at most

# --- reading promtool's (and tokentail's) reports ---------------------------

HEADER = re.compile(r'^    expr: (".*"), time: (\S+),(?: err: (.*))?$')


def parse_labels(text, i):
    """A label set as Go prints one, from text[i] == '{'; returns (dict, end)."""
    assert text[i] == "{", text[i:]
    i += 1
    labels = {}
    while text[i] != "}":
        m = re.compile(r'([a-zA-Z_][a-zA-Z0-9_]*)=').match(text, i)
        assert m, text[i:]
        j = m.end()
        assert text[j] == '"'
        k = j + 1
        while text[k] != '"':
            k += 2 if text[k] == "\\" else 1
        labels[m.group(1)] = json.loads(text[j:k + 1])
        i = k + 1
        if text.startswith(", ", i):
            i += 2
    return labels, i + 1


def parse_samples(text):
    """'{a="b"} 1E+00, {} NaN' (or 'nil') as a sorted list of (labels, value)."""
    if text == "nil":
        return []
    out, i = [], 0
    while i < len(text):
        labels, i = parse_labels(text, i)
        assert text[i] == " "
        m = re.compile(r"[^,\s]+").match(text, i + 1)
        out.append((tuple(sorted(labels.items())), float(m.group(0))))
        i = m.end()
        if text.startswith(", ", i):
            i += 2
    return sorted(out)


def parse_report(text):
    """{(expr, time): ('err', message) or ('got', samples)} from a report."""
    lines = text.split("\n")
    out = {}
    for n, line in enumerate(lines):
        m = HEADER.match(line)
        if not m:
            continue
        key = (json.loads(m.group(1)), m.group(2))
        if m.group(3) is not None:
            out[key] = ("err", m.group(3))
        else:
            got = lines[n + 2]
            assert got.startswith("        got: "), got
            out[key] = ("got", parse_samples(got[len("        got: "):]))
    return out


def close(a, b):
    if a != a or b != b:
        return a != a and b != b
    return a == b or abs(a - b) <= TOLERANCE * max(abs(a), abs(b))


def same(a, b):
    if a[0] != b[0]:
        return False
    if a[0] == "err":
        return True
    return len(a[1]) == len(b[1]) and all(
        x[0] == y[0] and close(x[1], y[1]) for x, y in zip(a[1], b[1]))


def duration(seconds):
    """Seconds as Prometheus prints a duration: "1h2m3s", "0s"."""
    out = "".join("%d%s" % (v, u) for v, u in
                  ((seconds // 3600, "h"), (seconds // 60 % 60, "m"),
                   (seconds % 60, "s")) if v)
    return out or "0s"


# --- test files ---------------------------------------------------------------


def quote(s):
    return json.dumps(s)


def test_file(series, interval, cases, expectations=None):
    """A promtool test file: series [(name, values)], cases [(expr, time)];
    expectations {(expr, time): samples}, or the sentinel for each."""
    out = ["evaluation_interval: 1m", "tests:", "- interval: %s" % interval,
           "  input_series:"]
    for name, values in series:
        out.append("  - series: %s" % quote(name))
        out.append("    values: %s" % quote(values))
    out.append("  promql_expr_test:")
    for expr, at in cases:
        out.append("  - expr: %s" % quote(expr))
        out.append("    eval_time: %s" % at)
        if expectations is None:
            out.append("    exp_samples: [{labels: %s, value: 0}]" % quote(SENTINEL))
            continue
        samples = expectations[(expr, at)]
        if not samples:
            out.append("    exp_samples: []")
            continue
        out.append("    exp_samples:")
        for labels, value in samples:
            text = "{" + ", ".join("%s=%s" % (k, quote(v)) for k, v in labels) + "}"
            out.append("    - labels: %s" % quote(text))
            out.append("      value: %s" % yaml_float(value))
    return "\n".join(out) + "\n"


def yaml_float(v):
    """A float as YAML (and so promtool) reads it back exactly."""
    if v != v:
        return ".nan"
    if v in (float("inf"), float("-inf")):
        return ".inf" if v > 0 else "-.inf"
    return repr(v)


def promtool(args):
    p = subprocess.run(["promtool"] + args, stdout=subprocess.PIPE,
                       stderr=subprocess.STDOUT, timeout=600)
    return p.returncode, p.stdout.decode()


def need_promtool():
    if shutil.which("promtool") is None:
        raise Skip("promtool is not installed (tests/deps installs it)")


def compare(series, interval, cases, what):
    """Both tools on the sentinel file, then both on the file of promtool's
    answers. Returns how many cases had samples, were empty, failed."""
    with tempfile.TemporaryDirectory() as d:
        probe = os.path.join(d, "probe.yml")
        with open(probe, "w") as f:
            f.write(test_file(series, interval, cases))
        rc, judge = promtool(["test", "rules", probe])
        assert rc == 1, judge
        rc2, out, err = run(["--test-rules", probe])
        assert rc2 == 1 and err == "", (rc2, err)
        want, got = parse_report(judge), parse_report(out)
        counts = {"samples": 0, "empty": 0, "err": 0, "bit-identical": 0}
        wrong = []
        for case in cases:
            w = want.get(case)
            assert w is not None, ("promtool said nothing of", case)
            g = got.get(case)
            if g is None or not same(w, g):
                wrong.append("%s at %s:\n  promtool:  %s\n  tokentail: %s" %
                             (case[0], case[1], w, g))
            counts["err" if w[0] == "err" else
                   "samples" if w[1] else "empty"] += 1
            counts["bit-identical"] += w == g
        assert not wrong, "%s: %d of %d differ:\n%s" % (
            what, len(wrong), len(cases), "\n".join(wrong[:20]))

        kept = [c for c in cases if want[c][0] == "got" and
                all(v == v for _, v in want[c][1])]
        answers = {c: want[c][1] for c in kept}
        final = os.path.join(d, "final.yml")
        # Prometheus adds in map order, so its own last digit can change
        # from run to run: a case it fails by no more than the tolerance
        # is its own variation and leaves the file; anything else fails.
        for _ in range(FINAL_ROUNDS):
            with open(final, "w") as f:
                f.write(test_file(series, interval, kept, answers))
            rc, judge = promtool(["test", "rules", final])
            if rc == 0:
                break
            again = parse_report(judge)
            assert again and all(
                same(("got", answers[c]), again[c]) for c in again), judge
            kept = [c for c in kept if c not in again]
        assert rc == 0, judge
        rc, out, err = run(["--test-rules", final])
        assert rc == 0 and "SUCCESS" in out, out + err
        counts["final"] = len(kept)
        return counts


# --- every construct, by hand ---------------------------------------------

HAND_SERIES = [
    ('req_total{job="api", code="200", inst="0"}', "0+60x30"),
    ('req_total{job="api", code="500", inst="0"}', "0+3x10 30 1 4+2x17"),
    ('req_total{job="web", code="200", inst="1"}', "0+30x12 _x4 390+30x13"),
    ('temp{job="api", inst="0"}', "20 21.5 19 -3 25.25 30x10 stale 18 17"),
    ('temp{job="web", inst="1"}', "1e3 -1e3 NaN 4 Inf 5x20"),
    ('lat_bucket{job="api", le="0.1"}', "0+5x30"),
    ('lat_bucket{job="api", le="0.5"}', "0+12x30"),
    ('lat_bucket{job="api", le="1"}', "0+15x30"),
    ('lat_bucket{job="api", le="+Inf"}', "0+16x30"),
    ('lat_bucket{job="web", le="0.5"}', "0+1x30"),
    ('lat_bucket{job="web", le="+Inf"}', "0+1x30"),
    ('lat_bucket{job="odd", le="1"}', "5x30"),
    ('lat_bucket{job="odd", le="0.5"}', "7x30"),
    ('lat_bucket{job="odd", le="+Inf"}', "9x30"),
    ('lat_bucket{job="noinf", le="1"}', "3x30"),
]

HAND_EXPRS = [
    'req_total', 'req_total{code="200"}', 'req_total{code!="200"}',
    'req_total{job=~"a.*"}', 'req_total{job!~"a.*|x"}',
    '{__name__=~"req_total|temp", job="web"}', 'req_total offset 5m',
    'rate(req_total[5m])', 'rate(req_total[2m] offset 1m)', 'rate(req_total[90s])',
    'increase(req_total[10m])', 'increase(req_total[1h])', 'delta(temp[5m])',
    'irate(req_total[5m])', 'irate(temp[3m])', 'avg_over_time(temp[5m])',
    'min_over_time(temp[10m])', 'max_over_time(temp[10m])',
    'sum_over_time(temp[4m])', 'count_over_time(temp[7m])',
    'sum(req_total)', 'sum by (job) (rate(req_total[5m]))',
    'sum(rate(req_total[5m])) by (code)', 'avg without (inst) (req_total)',
    'min by (job) (temp)', 'max(temp) without (job, inst)',
    'count by (job) (req_total)', 'count(temp)', 'sum by (__name__) (req_total)',
    'histogram_quantile(0.9, sum by (job, le) (rate(lat_bucket[5m])))',
    'histogram_quantile(0.5, lat_bucket)', 'histogram_quantile(0, lat_bucket)',
    'histogram_quantile(1, lat_bucket)', 'histogram_quantile(1.5, lat_bucket)',
    'histogram_quantile(-0.5, lat_bucket)',
    'histogram_quantile(scalar(vector(0.99)), sum by (le) (lat_bucket))',
    'req_total * 2', '2 * req_total', 'req_total / 7', 'req_total % 7',
    'req_total ^ 0.5', '-req_total', '+temp', 'req_total - 100',
    '100 - req_total', 'temp > 20', '20 < temp', 'temp >= bool 20',
    'temp == bool 30', 'temp != 30', 'temp <= 5',
    'req_total{code="500"} / ignoring (code) req_total{code="200"}',
    'req_total{code="500"} / on (job, inst) req_total{code="200"}',
    'sum by (job) (req_total) > on (job) sum by (job) (req_total offset 10m)',
    'temp > bool on (job, inst) temp offset 1m',
    'req_total / on (job) sum by (job) (req_total)',
    'sum by (job) (req_total) / on (job) req_total',
    'req_total and req_total{code="500"}', 'req_total and on (job) temp',
    'req_total or temp', 'temp or on (job) req_total',
    'req_total unless on (job) temp{job="web"}', 'req_total unless req_total',
    'absent(req_total)', 'absent(nosuch{job="x", a=~"b", c="d", c="e"})',
    'absent(sum(nosuch))', 'absent((nosuch{job="x"}))',
    'rate((req_total[5m]))', 'time()', 'time() - 60', 'vector(time())',
    'vector(1) + vector(2)', 'scalar(sum(req_total))', 'scalar(req_total)',
    'clamp_min(temp, 19)', 'clamp_max(temp, 21)', 'abs(temp - 25)',
    'clamp_min(temp, NaN)', '1 + 2 * 3 ^ 2 ^ 0.5', '-2 ^ 2', '(1 - 2) - 3',
    '7 % 3 + 0.5', '1 / 0', '-1 / 0', '0 / 0 > bool 1', 'Inf - Inf',
    'sum(rate(req_total[5m])) / count(rate(req_total[5m])) * 100',
    'max_over_time(temp[1h]) - min_over_time(temp[1h])',
    'sum by (job) (rate(req_total{code=~"5.."}[5m])) / sum by (job) (rate(req_total[5m])) > 0.01',
    'count(req_total > 100) or vector(0)', '0x1F + 1e2 - .5',
]
HAND_TIMES = ["0s", "1m", "4m30s", "10m", "13m7s", "20m", "30m", "40m"]


def test_hand_written():
    need_promtool()
    cases = [(e, t) for e in HAND_EXPRS for t in HAND_TIMES]
    counts = compare(HAND_SERIES, "1m", cases, "hand-written")
    assert counts["samples"] > len(cases) // 2, counts
    assert counts["err"] >= 2 * len(HAND_TIMES) // 2, counts


# --- random expressions ---------------------------------------------------------


class Gen:
    """Series and expressions from the subset, at random."""

    JOBS = ["api", "web", "db"]

    def __init__(self, seed):
        self.r = random.Random(seed)

    def series(self, steps):
        r = self.r
        out = []
        for job in self.JOBS:
            for code in ["200", "500"]:
                out.append(('c_total{job="%s", code="%s"}' % (job, code),
                            self.counter(steps)))
            out.append(('g{job="%s"}' % job, self.gauge(steps)))
        for job in self.JOBS[:2]:
            total = 0
            cum = [0, 0, 0]
            vals = [[], [], []]
            for _ in range(steps):
                total += r.randint(0, 9)
                cum = [c + r.randint(0, 4) for c in cum]
                cum = sorted(cum)
                for i, c in enumerate(cum):
                    vals[i].append(str(min(c, total)))
                vals[2][-1] = str(total)
            for le, v in zip(["0.25", "1", "+Inf"], vals):
                out.append(('h_bucket{job="%s", le="%s"}' % (job, le), " ".join(v)))
        return out

    def counter(self, steps):
        r, v, words = self.r, 0, []
        for _ in range(steps):
            roll = r.random()
            if roll < 0.05:
                words.append("_")
                continue
            if roll < 0.08:
                v = r.randint(0, 5)  # a reset
            else:
                v += r.choice([0, 1, 2, 5, 10, 0.5])
            words.append(repr(v) if isinstance(v, float) else str(v))
        return " ".join(words)

    def gauge(self, steps):
        r, words = self.r, []
        for _ in range(steps):
            roll = r.random()
            words.append("_" if roll < 0.05 else "stale" if roll < 0.07 else
                         "%.2f" % r.uniform(-50, 150))
        return " ".join(words)

    def duration(self):
        return self.r.choice(["30s", "1m", "2m", "90s", "5m", "10m", "1h"])

    def matchers(self, name):
        r = self.r
        ms = []
        if r.random() < 0.4:
            ms.append('job%s"%s"' % (r.choice(["=", "!="]), r.choice(self.JOBS)))
        if r.random() < 0.2:
            ms.append('job%s"%s"' % (r.choice(["=~", "!~"]),
                                     r.choice(["a.*", "api|web", ".*b", "x"])))
        if name == "c_total" and r.random() < 0.3:
            ms.append('code="%s"' % r.choice(["200", "500"]))
        return name + ("{" + ", ".join(ms) + "}" if ms else "")

    def selector(self):
        s = self.matchers(self.r.choice(["c_total", "c_total", "g"]))
        if self.r.random() < 0.15:
            s += " offset " + self.r.choice(["1m", "5m", "-1m"])
        return s

    def range_call(self):
        r = self.r
        fn = r.choice(["rate", "increase", "delta", "irate", "avg_over_time",
                       "min_over_time", "max_over_time", "sum_over_time",
                       "count_over_time"])
        sel = self.matchers(r.choice(["c_total", "g"]))
        off = " offset " + r.choice(["1m", "3m"]) if r.random() < 0.15 else ""
        return "%s(%s[%s]%s)" % (fn, sel, self.duration(), off)

    def grouping(self):
        r = self.r
        labels = r.sample(["job", "code", "le"], r.randint(0, 2))
        return "%s (%s)" % (r.choice(["by", "without"]), ", ".join(labels))

    def scalar(self, depth):
        r = self.r
        roll = r.random()
        if depth <= 0 or roll < 0.5:
            return r.choice(["0", "1", "2", "0.5", "-3", "100", "1e3", "0.25"])
        if roll < 0.6:
            return "time()"
        if roll < 0.75:
            return "scalar(%s)" % self.vector(depth - 1)
        return "(%s %s %s)" % (self.scalar(depth - 1), r.choice("+-*/%^"),
                               self.scalar(depth - 1))

    def vector(self, depth):
        r = self.r
        if depth <= 0:
            return r.choice([self.selector(), self.range_call()])
        roll = r.random()
        if roll < 0.15:
            return self.selector()
        if roll < 0.35:
            return self.range_call()
        if roll < 0.5:
            op = r.choice(["sum", "avg", "min", "max", "count"])
            g = self.grouping() if r.random() < 0.7 else ""
            if g and r.random() < 0.5:
                return "%s(%s) %s" % (op, self.vector(depth - 1), g)
            return "%s %s(%s)" % (op, g + " " if g else "", self.vector(depth - 1))
        if roll < 0.65:
            op = r.choice(["+", "-", "*", "/", "%", "^", "==", "!=", ">", "<",
                           ">=", "<="])
            b = " bool" if op in ("==", "!=", ">", "<", ">=", "<=") and \
                r.random() < 0.4 else ""
            s = self.scalar(depth - 1)
            if r.random() < 0.5:
                return "(%s %s%s %s)" % (self.vector(depth - 1), op, b, s)
            return "(%s %s%s %s)" % (s, op, b, self.vector(depth - 1))
        if roll < 0.78:
            op = r.choice(["+", "-", "*", "/", ">", "<", "and", "or", "unless"])
            b = " bool" if op in (">", "<") and r.random() < 0.3 else ""
            m = r.choice(["", "", " on (job)", " ignoring (code)", " on ()",
                          " ignoring (code, le)"])
            return "(%s %s%s%s %s)" % (self.vector(depth - 1), op, b, m,
                                       self.vector(depth - 1))
        if roll < 0.85:
            q = r.choice(["0.5", "0.9", "0.99", "0", "1"])
            inner = r.choice(["h_bucket", "rate(h_bucket[5m])",
                              "sum by (le) (rate(h_bucket[5m]))",
                              "sum by (job, le) (increase(h_bucket[10m]))"])
            return "histogram_quantile(%s, %s)" % (q, inner)
        if roll < 0.92:
            fn = r.choice(["abs", "clamp_min", "clamp_max"])
            if fn == "abs":
                return "abs(%s)" % self.vector(depth - 1)
            return "%s(%s, %s)" % (fn, self.vector(depth - 1), self.scalar(0))
        if roll < 0.96:
            return "absent(%s)" % self.selector()
        return "vector(%s)" % self.scalar(depth - 1)

    def time(self, steps, step_s):
        r = self.r
        t = r.randint(0, steps * step_s + 300)
        if r.random() < 0.5:
            t -= t % step_s
        return duration(t)


def test_random():
    need_promtool()
    gen = Gen(SEED)
    step_s = gen.r.choice([15, 30, 60])
    steps = 60
    series = gen.series(steps)
    cases = []
    seen = set()
    while len(cases) < RANDOM_EXPRS:
        case = (gen.vector(gen.r.randint(1, 3)), gen.time(steps, step_s))
        if case not in seen:
            seen.add(case)
            cases.append(case)
    counts = compare(series, "%ds" % step_s, cases, "random (seed %d)" % SEED)
    # The comparison means something only if most cases give samples.
    assert counts["samples"] > RANDOM_EXPRS // 2, counts
    print("     random: %s (seed %d, step %ds)" % (counts, SEED, step_s))


# --- alert rules and rule files ---------------------------------------------------


def test_alerts():
    need_promtool()
    tests = sorted(glob.glob(os.path.join(RULES, "*_test.yml")))
    assert len(tests) >= 2, tests
    for test in tests:
        rc, out = promtool(["test", "rules", test])
        assert rc == 0, out
        rc, out, err = run(["--test-rules", test])
        assert rc == 0 and out.endswith("  SUCCESS\n\n") and err == "", out + err
    test = os.path.join(RULES, "alerts_test.yml")
    # A wrong expectation fails, in promtool's layout.
    with tempfile.TemporaryDirectory() as d:
        shutil.copy(os.path.join(RULES, "alerts.yml"), d)
        text = open(test).read().replace("api had 50 errors", "api had 51 errors")
        bad = os.path.join(d, "bad.yml")
        with open(bad, "w") as f:
            f.write(text)
        rc, out, err = run(["--test-rules", bad])
        assert rc == 1, out
        assert "    alertname: ErrorBurst, time: 10m, \n        exp:[\n" in out, out
        assert 'summary="api had 50 errors (50)"' in out, out


def test_refused():
    """Constructs outside the subset fail with file:line:column, exit 2."""
    with tempfile.TemporaryDirectory() as d:
        rules = os.path.join(d, "r.yml")
        with open(rules, "w") as f:
            f.write("groups:\n"
                    "- name: g\n"
                    "  rules:\n"
                    "  - record: job:x:sum\n"
                    "    expr: sum(x)\n"
                    "  - alert: A\n"
                    "    expr: a * on (x) group_left b\n"
                    "  - alert: B\n"
                    "    expr: |\n"
                    "      sum(rate(x[5m]))\n"
                    "        / predict_linear(y[1h], 60)\n"
                    "    fer: 5m\n")
        test = os.path.join(d, "t.yml")
        with open(test, "w") as f:
            f.write("rule_files: [r.yml]\ntests: []\n")
        rc, out, err = run(["--test-rules", test])
        assert rc == 2, (rc, out)
        for want in ["r.yml:4:5: recording rules are not supported (record: job:x:sum)",
                     "r.yml:7:22: expr: group_left is not supported",
                     "r.yml:12:5: a rule: unknown key \"fer\"",
                     "r.yml:11:11: expr: function \"predict_linear\" is not supported"]:
            assert want.replace("r.yml", rules) in out, (want, out)
        rc, out, err = run(["--test-rules"])
        assert rc == 2 and "needs test files" in err, err


# --- random alerting rules ---------------------------------------------------

ALERT_HEADER = re.compile(r"^    alertname: (\S+), time: (\S+), $")
RULE_ERROR = re.compile(r"^    rule: (\S+), time: (\S+), err: ")


def parse_alert_report(text):
    """{(file, alertname, time): sorted alerts, or 'err'} from a report;
    an alert is (labels, annotations), each a sorted tuple of pairs."""
    out, current = {}, None
    lines = text.split("\n")
    for n, line in enumerate(lines):
        if line.startswith("Unit Testing:  "):
            current = os.path.basename(line[len("Unit Testing:  "):])
        m = RULE_ERROR.match(line)
        if m:
            out[(current, "error", m.group(2))] = "err"
        m = ALERT_HEADER.match(line)
        if not m:
            continue
        k = n + 1
        while not lines[k].startswith("        got:"):
            k += 1
        alerts = []
        if not lines[k].endswith("[]"):
            k += 1
            while lines[k] != "            ]":
                if lines[k].startswith("              Labels:"):
                    ls, _ = parse_labels(lines[k], len("              Labels:"))
                    an, _ = parse_labels(lines[k + 1],
                                         len("              Annotations:"))
                    alerts.append((tuple(sorted(ls.items())),
                                   tuple(sorted(an.items()))))
                k += 1
        out[(current, m.group(1), m.group(2))] = sorted(alerts)
    return out


def same_alerts(a, b):
    """Alerts equal but for the last digits of $value (annotations v and
    p): promtool creates the input series in map order, so an aggregation
    adds its elements in an order that changes from run to run."""
    if a == "err" or b == "err":
        return a == b
    if len(a) != len(b):
        return False
    for (la, aa), (lb, ab) in zip(a, b):
        da, db = dict(aa), dict(ab)
        if la != lb or set(da) != set(db):
            return False
        for k in ("v", "p"):
            x, y = da.pop(k), db.pop(k)
            if x != y and not close(float(x), float(y)):
                return False
        if da != db:
            return False
    return True


def alert_files(gen, series, step_s, d, count):
    """count pairs of a random rule file and a test file expecting a
    sentinel alert at random times, in d; returns the test files."""
    r, tests = gen.r, []
    for i in range(count):
        expr = "%s %s %s" % (gen.vector(r.randint(0, 2)),
                             r.choice([">", "<", ">=", "!="]), gen.scalar(0))
        rule = ["groups:", "- name: g%d" % i, "  rules:",
                "  - alert: A%d" % i, "    expr: %s" % quote(expr),
                "    for: %s" % r.choice(["0s", "30s", "1m", "2m", "5m"]),
                "    keep_firing_for: %s" % r.choice(["0s", "1m", "3m"]),
                "    labels: {severity: '{{ $labels.job }}x'}",
                "    annotations: {v: '{{ $value }}', h: '{{ humanize $value }}',"
                " p: '{{ printf \"%.3f\" $value }}'}"]
        with open(os.path.join(d, "r%d.yml" % i), "w") as f:
            f.write("\n".join(rule) + "\n")
        times = sorted({duration(r.randint(0, 60 * step_s + 600) // 15 * 15)
                        for _ in range(6)}, key=lambda t: t)
        test = ["rule_files: [r%d.yml]" % i, "evaluation_interval: 15s",
                "tests:", "- interval: %ds" % step_s, "  input_series:"]
        for name, values in series:
            test += ["  - series: %s" % quote(name),
                     "    values: %s" % quote(values)]
        test.append("  alert_rule_test:")
        for t in times:
            test += ["  - eval_time: %s" % t, "    alertname: A%d" % i,
                     "    exp_alerts: [{exp_labels: {sentinel: never}}]"]
        path = os.path.join(d, "t%d.yml" % i)
        with open(path, "w") as f:
            f.write("\n".join(test) + "\n")
        tests.append(path)
    return tests


def test_random_alerts():
    """Random alerting rules: the same alerts, labels and annotations from
    both tools at each time, through for and keep_firing_for."""
    need_promtool()
    gen = Gen(SEED + 1)
    step_s = gen.r.choice([15, 30, 60])
    series = gen.series(60)
    with tempfile.TemporaryDirectory() as d:
        tests = alert_files(gen, series, step_s, d, RANDOM_ALERT_RULES)
        rc, judge = promtool(["test", "rules"] + tests)
        assert rc == 1, judge
        rc, out, err = run(["--test-rules"] + tests)
        assert rc == 1 and err == "", (rc, err)
    want, got = parse_alert_report(judge), parse_alert_report(out)
    assert set(want) == set(got), sorted(set(want) ^ set(got))[:10]
    wrong = [k for k in want if not same_alerts(want[k], got[k])]
    assert not wrong, "\n".join("%s:\n  promtool:  %s\n  tokentail: %s" % (
        k, want[k], got[k]) for k in wrong[:10])
    firing = sum(1 for v in want.values() if v != "err" and v)
    assert firing > len(want) // 4, (firing, len(want))
    print("     alerts: %d checks, %d with alerts firing (seed %d)" %
          (len(want), firing, SEED + 1))


if __name__ == "__main__":
    main([test_alerts, test_refused, test_hand_written, test_random,
          test_random_alerts])
