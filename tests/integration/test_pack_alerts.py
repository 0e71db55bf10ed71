"""The seed packs' alert rules: examples/<pack>/alerts.yml and their unit
tests alerts_test.yml. Prometheus is the judge: every rule file passes
`promtool check rules`, every test file `promtool test rules`, and the
same test files pass under `tokentail --test-rules`, tokentail's own
evaluator. Besides, each rule reads only families the pack serves, each
rule is seen firing and each alert seen not firing in its tests, and a
wrong expectation fails under both programs, and at every minute of the
tests' series (every ten minutes of the long ones) each rule's
expression and each alert come out of tokentail as out of promtool.

Without promtool, or with a tokentail built without --test-rules, this
test fails: it is not skipped.
"""
import json
import os
import re
import shutil
import subprocess
import tempfile

from harness import ROOT, main, run

PACKS = ["flashcase", "apiusage", "story23", "aegisrag", "scarlett"]

# Words of PromQL that are not metric names.
PROMQL_WORDS = {
    "sum", "avg", "min", "max", "count", "by", "without", "on", "ignoring",
    "and", "or", "unless", "bool", "offset", "rate", "increase", "delta",
    "irate", "avg_over_time", "min_over_time", "max_over_time",
    "sum_over_time", "count_over_time", "histogram_quantile", "absent",
    "time", "vector", "scalar", "clamp_min", "clamp_max", "abs", "Inf", "NaN",
}
HISTOGRAM_SUFFIXES = ("_bucket", "_count", "_sum")


def pack_file(pack, name):
    return os.path.join(ROOT, "examples", pack, name)


def promtool(*args, cwd=None):
    if shutil.which("promtool") is None:
        raise AssertionError("promtool is not installed (Debian: prometheus)")
    p = subprocess.run(["promtool"] + list(args), cwd=cwd, stdout=subprocess.PIPE,
                       stderr=subprocess.STDOUT, timeout=300)
    return p.returncode, p.stdout.decode("utf-8", "replace")


def test_rules(*files):
    """tokentail --test-rules FILE...: (exit code, output)."""
    rc, out, err = run(["--test-rules"] + list(files))
    if rc == 2 and "test-rules" in err and "Unit Testing" not in out:
        raise AssertionError("this tokentail does not run rule tests "
                             "(--test-rules):\n" + err)
    return rc, out + err


# --- reading our own rule and test files (their layout, not all of YAML) ---

def rules(pack):
    """[(alert, severity, expr)] of the pack's alerts.yml."""
    out = []
    lines = open(pack_file(pack, "alerts.yml")).read().split("\n")
    i = 0
    while i < len(lines):
        m = re.match(r"\s*- alert: (\S+)\s*$", lines[i])
        if not m:
            i += 1
            continue
        name, severity, expr = m.group(1), None, None
        indent = len(lines[i]) - len(lines[i].lstrip()) + 2
        i += 1
        while i < len(lines) and (not lines[i].strip() or
                                  len(lines[i]) - len(lines[i].lstrip()) >= indent):
            line = lines[i]
            e = re.match(r"\s*expr: (.*)$", line)
            if e and e.group(1).strip() in ("|", ">", "|-", ">-"):
                depth = len(line) - len(line.lstrip())
                body = []
                i += 1
                while i < len(lines) and (not lines[i].strip() or
                                          len(lines[i]) - len(lines[i].lstrip()) > depth):
                    body.append(lines[i])
                    i += 1
                expr = "\n".join(body)
                continue
            if e:
                expr = e.group(1)
            s = re.match(r"\s*severity: (\S+)\s*$", line)
            if s:
                severity = s.group(1)
            i += 1
        assert expr and severity in ("warning", "critical"), (pack, name, severity)
        out.append((name, severity, expr))
    return out


def metric_names(expr):
    """The metric names an expression reads."""
    e = re.sub(r"#.*", "", expr)
    e = re.sub(r'"(\\.|[^"\\])*"', '""', e)                  # strings
    e = re.sub(r"\{[^}]*\}", "", e)                           # matchers
    e = re.sub(r"\b(by|without|on|ignoring)\s*\([^)]*\)", "", e)  # label lists
    e = re.sub(r"\[[^\]]*\]", "", e)                          # ranges
    e = re.sub(r"\boffset\s+\S+", "", e)                      # offsets
    words = re.findall(r"(?<![\w.])([A-Za-z_:][A-Za-z0-9_:]*)", e)
    return {w for w in words if w not in PROMQL_WORDS}


def served_families(pack):
    """The families the pack's configuration serves (tokentail's own
    included), from an exposition over no lines: every family is declared."""
    with tempfile.TemporaryDirectory() as tmp:
        empty = os.path.join(tmp, "empty.log")
        open(empty, "w").close()
        rc, out, err = run(["--config.file=" + pack_file(pack, "exporter.yaml"),
                            "--once", empty])
    assert rc == 0, err
    return {m.group(1): m.group(2)
            for m in re.finditer(r"^# TYPE (\S+) (\S+)$", out, re.M)}


def expectations(pack):
    """{alertname: (severities seen firing, whether seen not firing)} of the
    pack's alerts_test.yml."""
    text = open(pack_file(pack, "alerts_test.yml")).read()
    seen = {}
    for block in re.split(r"\n\s*- eval_time:", text)[1:]:
        block = re.split(r"\n\s*promql_expr_test:|\n\s*- interval:", block)[0]
        name = re.search(r"alertname: (\S+)", block).group(1)
        firing, quiet = seen.get(name, (set(), False))
        firing |= set(re.findall(r"severity: (\w+)", block))
        quiet = quiet or re.search(r"exp_alerts: \[\]", block) is not None
        seen[name] = (firing, quiet)
    return seen


def test_groups(pack):
    """[(interval, [(series, values)])] of the pack's alerts_test.yml."""
    text = open(pack_file(pack, "alerts_test.yml")).read()
    out = []
    for block in re.split(r"\n  - interval: ", text)[1:]:
        interval = block.split()[0]
        series = re.findall(r"- series: '([^']*)'\s*\n\s*values: '([^']*)'", block)
        assert series, (pack, block[:200])
        out.append((interval, series))
    return out


def seconds(d):
    m = re.fullmatch(r"(?:(\d+)h)?(?:(\d+)m)?", d)
    assert m and d, d
    return int(m.group(1) or 0) * 3600 + int(m.group(2) or 0) * 60


def samples(values):
    """How many samples an expanding notation gives."""
    n = 0
    for tok in values.split():
        m = re.fullmatch(r"[^x]+x(\d+)", tok)
        n += int(m.group(1)) + 1 if m else 1
    return n


def probe_file(pack, path):
    """A test file over the pack's series that asks, at each step, for an
    alert and a sample no rule gives: both programs then print what they
    got. JSON strings are YAML strings. Returns the number of probes."""
    names = []
    for name, severity, expr in rules(pack):
        if name not in names:
            names.append(name)
    exprs = [" ".join(expr.split()) for name, severity, expr in rules(pack)]
    out = ["rule_files: [%s]" % json.dumps(pack_file(pack, "alerts.yml")),
           "evaluation_interval: 1m", "tests:"]
    probes = 0
    for interval, series in test_groups(pack):
        end = (max(samples(v) for _, v in series) - 1) * seconds(interval)
        step = 60 if end <= 3 * 3600 else 600
        probes += (end // step + 1) * (len(names) + len(exprs))
        out += ["  - interval: %s" % interval, "    input_series:"]
        for name, values in series:
            out += ["      - series: %s" % json.dumps(name),
                    "        values: %s" % json.dumps(values)]
        out.append("    alert_rule_test:")
        for t in range(0, end + 1, step):
            for name in names:
                out += ["      - eval_time: %dm" % (t // 60),
                        "        alertname: %s" % name,
                        "        exp_alerts: [{exp_labels: {probe: never}}]"]
        out.append("    promql_expr_test:")
        for t in range(0, end + 1, step):
            for expr in exprs:
                out += ["      - expr: %s" % json.dumps(expr),
                        "        eval_time: %dm" % (t // 60),
                        "        exp_samples: [{labels: '{probe=\"never\"}', value: 0}]"]
    with open(path, "w") as f:
        f.write("\n".join(out) + "\n")
    return probes


NUMBER = re.compile(r"([-+]?(?:[0-9]+\.?[0-9]*(?:E[-+][0-9]+)?|Inf|NaN))(?=,|$)")


def same_report(a, b):
    """promtool's and tokentail's failure reports, line by line; sample
    values to a relative 1e-9, since a sum's last digit depends on the
    order it adds in. Returns the first difference, or None."""
    def close(x, y):
        try:
            fx, fy = float(x), float(y)
        except ValueError:
            return x == y
        if fx != fx or fy != fy:
            return fx != fx and fy != fy
        return fx == fy or abs(fx - fy) <= 1e-9 * max(abs(fx), abs(fy))
    la = [l for l in a.split("\n") if l.strip()]
    lb = [l for l in b.split("\n") if l.strip()]
    for i, (x, y) in enumerate(zip(la, lb)):
        if x == y:
            continue
        xs, ys = NUMBER.split(x), NUMBER.split(y)
        if x.startswith("        got: ") and len(xs) == len(ys) and all(
                close(p, q) if k % 2 else p == q for k, (p, q) in enumerate(zip(xs, ys))):
            continue
        where = next((l.strip() for l in reversed(la[:i + 1]) if ", time: " in l), "")
        return "%s\n  promtool:  %s\n  tokentail: %s" % (where, x.strip(), y.strip())
    if len(la) != len(lb):
        return "promtool printed %d lines, tokentail %d" % (len(la), len(lb))
    return None


# --- the tests ---------------------------------------------------------------

def test_promtool_check_rules():
    for pack in PACKS:
        rc, out = promtool("check", "rules", pack_file(pack, "alerts.yml"))
        assert rc == 0 and "SUCCESS" in out, "%s:\n%s" % (pack, out)
        assert "%d rules found" % len(rules(pack)) in out, (pack, out)


def test_promtool_test_rules():
    for pack in PACKS:
        rc, out = promtool("test", "rules", "alerts_test.yml",
                           cwd=os.path.join(ROOT, "examples", pack))
        assert rc == 0 and "SUCCESS" in out, "%s:\n%s" % (pack, out)


def test_tokentail_test_rules():
    for pack in PACKS:
        rc, out = test_rules(pack_file(pack, "alerts_test.yml"))
        assert rc == 0 and "SUCCESS" in out, "%s:\n%s" % (pack, out)
    # All at once, as the README runs them.
    rc, out = test_rules(*[pack_file(p, "alerts_test.yml") for p in PACKS])
    assert rc == 0 and out.count("SUCCESS") == len(PACKS), out


def test_rules_read_what_the_pack_serves():
    for pack in PACKS:
        families = served_families(pack)
        for name, severity, expr in rules(pack):
            for metric in metric_names(expr):
                base = metric
                for suffix in HISTOGRAM_SUFFIXES:
                    if metric.endswith(suffix) and \
                            families.get(metric[:-len(suffix)]) == "histogram":
                        base = metric[:-len(suffix)]
                assert base in families, "%s: %s (%s) reads %s, which the pack " \
                    "does not serve" % (pack, name, severity, metric)


def test_every_rule_is_tested():
    for pack in PACKS:
        seen = expectations(pack)
        for name, severity, expr in rules(pack):
            firing, quiet = seen.get(name, (set(), False))
            assert severity in firing, "%s: no test sees %s (%s) firing" % (
                pack, name, severity)
            assert quiet, "%s: no test sees %s not firing" % (pack, name)


def test_a_wrong_expectation_fails_under_both():
    """A test that expects a warning where the rules give something else
    fails under promtool and under tokentail: neither passes blindly."""
    for pack in PACKS:
        with tempfile.TemporaryDirectory() as tmp:
            for f in ("alerts.yml", "alerts_test.yml"):
                shutil.copy(pack_file(pack, f), tmp)
            path = os.path.join(tmp, "alerts_test.yml")
            text = open(path).read()
            wrong = text.replace("severity: warning", "severity: info")
            assert wrong != text, pack
            with open(path, "w") as f:
                f.write(wrong)
            rc, out = promtool("test", "rules", "alerts_test.yml", cwd=tmp)
            assert rc == 1 and "FAILED" in out, "%s: promtool:\n%s" % (pack, out)
            rc, out = test_rules(path)
            assert rc == 1 and "FAILED" in out, "%s: tokentail:\n%s" % (pack, out)


def test_every_minute_as_promtool():
    """Every rule's expression and every alert, at each step of each test
    group's series, as promtool has them: labels, annotations and states
    exactly, values to a relative 1e-9."""
    for pack in PACKS:
        with tempfile.TemporaryDirectory() as tmp:
            path = os.path.join(tmp, "probe_test.yml")
            probes = probe_file(pack, path)
            rc, want = promtool("test", "rules", path)
            assert rc == 1 and want.count("got:") == probes, "%s: promtool:\n%s" % (
                pack, want[:2000])
            rc, got = test_rules(path)
            assert rc == 1 and got.count("got:") == probes, "%s: tokentail:\n%s" % (
                pack, got[:2000])
        diff = same_report(want, got)
        assert diff is None, "%s: tokentail differs from promtool at %s" % (pack, diff)


if __name__ == "__main__":
    main([test_promtool_check_rules, test_promtool_test_rules,
          test_tokentail_test_rules, test_rules_read_what_the_pack_serves,
          test_every_rule_is_tested, test_a_wrong_expectation_fails_under_both,
          test_every_minute_as_promtool])
