"""The seed packs' alert rules: examples/<pack>/alerts.yml and their unit
tests alerts_test.yml. Prometheus is the judge: every rule file passes
`promtool check rules`, every test file `promtool test rules`, and the
same test files pass under `tokentail --test-rules`, tokentail's own
evaluator. Besides, each rule reads only families the pack serves, each
rule is seen firing and each alert seen not firing in its tests, and a
wrong expectation fails under both programs.

Without promtool, or with a tokentail built without --test-rules, this
test fails: it is not skipped.
"""
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


if __name__ == "__main__":
    main([test_promtool_check_rules, test_promtool_test_rules,
          test_tokentail_test_rules, test_rules_read_what_the_pack_serves,
          test_every_rule_is_tested, test_a_wrong_expectation_fails_under_both])
