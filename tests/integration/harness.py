"""Shared helpers for tokentail's integration tests.

The tests drive the real binary: they write log files, start tokentail on
an ephemeral loopback port, scrape /metrics over HTTP, parse the exposition
and compare every value with what the lines imply. Nothing sleeps for a
fixed time: every wait polls a condition until a deadline.

Environment:
  TOKENTAIL          path of the binary (meson passes it as argv[1] too)
  TOKENTAIL_WRAPPER  a command to run it under, e.g. valgrind
  TOKENTAIL_SLOW     a factor for every deadline (valgrind needs ~20)
  GENLOGS            path of genlogs.py (default: ../shared/bench/genlogs.py
                     beside the repository)
"""
import http.client
import json
import os
import pwd
import re
import shlex
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from decimal import Decimal, getcontext

getcontext().prec = 80  # exact for every value tokentail can hold

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
SLOW = float(os.environ.get("TOKENTAIL_SLOW", "1"))


def binary():
    if len(sys.argv) > 1 and os.path.exists(sys.argv[1]):
        return os.path.abspath(sys.argv[1])
    path = os.environ.get("TOKENTAIL")
    if not path:
        sys.exit("pass the tokentail binary as the first argument or in TOKENTAIL")
    return os.path.abspath(path)


def sanitized():
    """Whether the binary is built with AddressSanitizer, whose allocator
    keeps freed memory for a while: memory bounds must allow for it."""
    with open(binary(), "rb") as f:
        return b"__asan_init" in f.read()


def wrapper():
    return shlex.split(os.environ.get("TOKENTAIL_WRAPPER", ""))


class Skip(Exception):
    """A test that cannot run here; reported, not failed."""


def genlogs_path():
    path = os.environ.get("GENLOGS") or os.path.join(
        os.path.dirname(ROOT), "shared", "bench", "genlogs.py")
    return path if os.path.exists(path) else None


def genlogs(fmt, n, seed, truth=False):
    """Lines of genlogs.py FORMAT N (bytes), and its truth if asked.

    Where genlogs.py is not installed beside the repository, FlashCase
    lines come from examples/demo/loggen.py instead; the expected values
    never depend on the generator (FlashcaseOracle computes them from the
    lines), only genlogs' --truth cross-check does, and it is skipped."""
    path = genlogs_path()
    if path is None:
        if truth or fmt != "flashcase":
            raise Skip("genlogs.py not found (set GENLOGS)")
        args = [sys.executable, os.path.join(ROOT, "examples", "demo", "loggen.py"),
                "--count", str(n), "--seed", str(seed)]
        return subprocess.run(args, check=True, stdout=subprocess.PIPE).stdout, None
    args = [sys.executable, path, fmt, str(n), "--seed", str(seed)]
    with tempfile.TemporaryDirectory() as tmp:
        tpath = os.path.join(tmp, "truth.json")
        if truth:
            args += ["--truth", tpath]
        out = subprocess.run(args, check=True, stdout=subprocess.PIPE).stdout
        return out, (json.load(open(tpath)) if truth else None)


def deadline(seconds):
    return time.monotonic() + seconds * SLOW


def poll(what, fn, seconds=10.0, interval=0.01):
    """Calls fn until it returns a true value; fails after the deadline."""
    end = deadline(seconds)
    last = None
    while time.monotonic() < end:
        try:
            last = fn()
            if last:
                return last
        except (ConnectionError, OSError) as e:
            last = e
        time.sleep(interval)
    raise AssertionError("timed out waiting for %s (last: %r)" % (what, last))


# --- the exposition ---------------------------------------------------------

LINE = re.compile(r'^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{.*\})? (\S+)$')


def _labels(text):
    """Parses {a="x",b="y"} with the format's escapes into a dict."""
    out = {}
    i = 1
    while i < len(text) - 1:
        eq = text.index("=", i)
        name = text[i:eq]
        assert text[eq + 1] == '"', text
        j = eq + 2
        val = []
        while text[j] != '"':
            if text[j] == "\\":
                nxt = text[j + 1]
                val.append({"n": "\n", "\\": "\\", '"': '"'}[nxt])
                j += 2
            else:
                val.append(text[j])
                j += 1
        out[name] = "".join(val)
        i = j + 1
        if text[i] == ",":
            i += 1
    return out


class Exposition:
    """A parsed exposition: samples by (name, labels) and family metadata."""

    def __init__(self, text):
        self.text = text
        self.samples = {}
        self.types = {}
        self.helps = {}
        for line in text.split("\n"):
            if not line:
                continue
            if line.startswith("# HELP "):
                name, _, help_ = line[7:].partition(" ")
                assert name not in self.helps, "two HELP lines for " + name
                self.helps[name] = help_
                continue
            if line.startswith("# TYPE "):
                name, _, typ = line[7:].partition(" ")
                assert name not in self.types, "two TYPE lines for " + name
                self.types[name] = typ
                continue
            m = LINE.match(line)
            assert m, "bad sample line: %r" % line
            name, labels, value = m.group(1), m.group(2), m.group(3)
            key = (name, frozenset(_labels(labels).items()) if labels else frozenset())
            assert key not in self.samples, "duplicate sample %r" % line
            self.samples[key] = value

    def value(self, name, **labels):
        return self.samples.get((name, frozenset(labels.items())))

    def family(self, name):
        """{labels-frozenset: value} for every sample of exactly name."""
        return {k[1]: v for k, v in self.samples.items() if k[0] == name}

    def histogram(self, name):
        """{labels-without-le: {le: count}, ...} plus _sum and _count maps."""
        buckets, sums, counts = {}, {}, {}
        for (n, labels), v in self.samples.items():
            d = dict(labels)
            if n == name + "_bucket":
                le = d.pop("le")
                buckets.setdefault(frozenset(d.items()), {})[le] = v
            elif n == name + "_sum":
                sums[labels] = v
            elif n == name + "_count":
                counts[labels] = v
        return buckets, sums, counts


def labelset(**kw):
    return frozenset(kw.items())


def assert_family(e, name, want):
    """Family name of exposition e holds exactly want: {labelset: value}."""
    got = e.family(name)
    assert set(got) == set(want), "%s: series differ\n got %s\nwant %s" % (
        name, sorted(map(sorted, got)), sorted(map(sorted, want)))
    for k, v in want.items():
        assert Decimal(got[k]) == Decimal(v), "%s%s: got %s, want %s" % (
            name, dict(k), got[k], v)


def assert_histogram(e, name, bounds, want):
    """Histogram name holds exactly the observations of want:
    {labelset: [Decimal, ...]}, in buckets with the upper bounds given."""
    buckets, sums, counts = e.histogram(name)
    assert set(buckets) == set(want), "%s: series differ\n got %s\nwant %s" % (
        name, sorted(map(sorted, buckets)), sorted(map(sorted, want)))
    for k, values in want.items():
        expect = {b: sum(1 for v in values if v <= Decimal(b)) for b in bounds}
        expect["+Inf"] = len(values)
        got = {le: int(c) for le, c in buckets[k].items()}
        assert got == expect, "%s%s buckets: got %s, want %s" % (
            name, dict(k), got, expect)
        assert Decimal(sums[k]) == sum(values), "%s%s sum: got %s, want %s" % (
            name, dict(k), sums[k], sum(values))
        assert int(counts[k]) == len(values), "%s%s count" % (name, dict(k))


# --- the daemon ---------------------------------------------------------------

# As Tokentail's state: pass no --state.file, leaving tokentail its default.
DEFAULT_STATE = object()


class Tokentail:
    """A running daemon on an ephemeral loopback port."""

    def __init__(self, config, env=None, args=(), cwd=None, state=None,
                 user=None):
        """state: the state file (default: a fresh one in a temporary
        directory, so tests never touch /var/lib/tokentail), or
        DEFAULT_STATE for no --state.file at all."""
        self.stderr = tempfile.NamedTemporaryFile(prefix="tokentail-", suffix=".log")
        full_env = dict(os.environ)
        full_env.update(env or {})
        exe = binary()
        if user is not None:
            # The other user may not reach the build tree: give it a copy.
            self.bindir = tempfile.TemporaryDirectory()
            os.chmod(self.bindir.name, 0o755)
            copy = os.path.join(self.bindir.name, "tokentail")
            shutil.copy(exe, copy)
            exe = copy
        if state is None:
            self.statedir = tempfile.TemporaryDirectory()
            if user is not None:
                pw = pwd.getpwnam(user)
                os.chown(self.statedir.name, pw.pw_uid, pw.pw_gid)
            state = os.path.join(self.statedir.name, "state.db")
        self.state = state
        flags = [] if state is DEFAULT_STATE else ["--state.file=" + state]
        cmd = wrapper() + [exe, "--config.file=" + config,
                           "--web.listen-address=127.0.0.1:0"] + flags + list(args)
        if user is not None:
            cmd = ["setpriv", "--reuid=" + user, "--regid=" + str(pwd.getpwnam(user).pw_gid),
                   "--clear-groups", "--"] + cmd
        self.proc = subprocess.Popen(cmd, env=full_env, cwd=cwd,
                                     stdout=subprocess.DEVNULL,
                                     stderr=self.stderr)
        self.port = None
        self.port = int(poll("the listening address", self._find_port, 30))

    def log(self):
        with open(self.stderr.name, "r", errors="replace") as f:
            return f.read()

    def _find_port(self):
        if self.proc.poll() is not None:
            raise AssertionError("tokentail exited with %d:\n%s"
                                 % (self.proc.returncode, self.log()))
        m = re.search(r'msg="serving HTTP" address=127\.0\.0\.1:(\d+)', self.log())
        return m and m.group(1)

    def request(self, path, method="GET", headers=None, body=None):
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=10 * SLOW)
        try:
            conn.request(method, path, body=body, headers=headers or {})
            r = conn.getresponse()
            return r.status, dict(r.getheaders()), r.read()
        finally:
            conn.close()

    def scrape(self):
        status, headers, body = self.request("/metrics")
        assert status == 200, status
        assert headers["Content-Type"] == "text/plain; version=0.0.4; charset=utf-8"
        return Exposition(body.decode("utf-8"))

    def wait_lines(self, n, input_name="app", seconds=20):
        """Polls until the input has read n complete lines; returns the scrape."""
        def done():
            e = self.scrape()
            v = e.value("tokentail_lines_read_total", input=input_name)
            return e if v is not None and int(v) >= n else None
        e = poll("%d lines on input %s" % (n, input_name), done, seconds)
        got = int(e.value("tokentail_lines_read_total", input=input_name))
        assert got == n, "read %d lines, expected exactly %d" % (got, n)
        return e

    def kill(self):
        """kill -9, as a crash or the OOM killer would; returns its log."""
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait()
        log = self.log()
        self.stderr.close()
        return log

    def stop(self):
        """SIGTERM, then insists on a clean exit (and, under valgrind, no leak)."""
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
        try:
            rc = self.proc.wait(timeout=30 * SLOW)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
            raise AssertionError("tokentail did not stop on SIGTERM:\n" + self.log())
        log = self.log()
        self.stderr.close()
        assert rc == 0, "tokentail exited with %d:\n%s" % (rc, log)
        return log


def free_port():
    """A loopback port nobody listens on now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Prometheus:
    """A real Prometheus (Debian's prometheus) on a loopback port, with
    config (the text of its prometheus.yml) and its data in directory."""

    def __init__(self, directory, config, args=(), port=None):
        """args: more flags; port: the one to listen on (default: a free
        one), e.g. a stopped Prometheus' when it restarts on its data."""
        if shutil.which("prometheus") is None:
            raise Skip("prometheus is not installed")
        path = os.path.join(directory, "prometheus.yml")
        with open(path, "w") as f:
            f.write(config)
        self.port = port or free_port()
        # Not *.log: tests often follow directory/*.log, and Prometheus'
        # own lines would be read as theirs.
        self.logfile = open(os.path.join(directory, "prometheus.out"), "a")
        self.proc = subprocess.Popen(
            ["prometheus", "--config.file=" + path,
             "--storage.tsdb.path=" + os.path.join(directory, "tsdb"),
             "--web.listen-address=127.0.0.1:%d" % self.port] + list(args),
            stdout=self.logfile, stderr=subprocess.STDOUT)

    def get(self, path):
        """GET path of its API; the decoded JSON answer."""
        url = "http://127.0.0.1:%d%s" % (self.port, path)
        with urllib.request.urlopen(url, timeout=5 * SLOW) as r:
            return json.load(r)

    def stop(self):
        self.proc.terminate()
        self.proc.wait()
        self.logfile.close()


def open_files(pid):
    """What the process's descriptors point to (vanishing ones skipped)."""
    out = []
    for fd in os.listdir("/proc/%d/fd" % pid):
        try:
            out.append(os.readlink("/proc/%d/fd/%s" % (pid, fd)))
        except FileNotFoundError:
            pass
    return out


def run(args, env=None, stdin=None, cwd=None):
    """Runs the binary once (under the wrapper); returns (rc, stdout, stderr)."""
    full_env = dict(os.environ)
    full_env.update(env or {})
    p = subprocess.run(wrapper() + [binary()] + list(args), env=full_env,
                       input=stdin, cwd=cwd, stdout=subprocess.PIPE,
                       stderr=subprocess.PIPE, timeout=600 * SLOW)
    return p.returncode, p.stdout.decode("utf-8", "replace"), p.stderr.decode("utf-8", "replace")


def promtool_check(text):
    """promtool check metrics must print nothing and succeed."""
    p = subprocess.run(["promtool", "check", "metrics"], input=text.encode(),
                       stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    out = p.stdout.decode()
    assert p.returncode == 0 and out.strip() == "", "promtool: " + out


# --- what FlashCase lines imply ----------------------------------------------

FLASHCASE_BUCKETS = ["0.005", "0.01", "0.025", "0.05", "0.1", "0.25", "0.5",
                     "1", "2.5", "5", "10", "30", "60"]


# A number in text (a JSON string, a logfmt value, a regex capture), as the
# README's Values paragraph accepts it: sign, leading zeros, "5." and ".5".
NUMBER = re.compile(r'[+-]?([0-9]+\.?[0-9]*|\.[0-9]+)([eE][+-]?[0-9]+)?')
PICO = Decimal("1e-12")
LIMIT = Decimal("170141183460469231731687303.715884105727")


def _label_text(v):
    """A JSON value as tokentail prints it in a label, or None when it
    cannot be a label (objects, arrays)."""
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, (dict, list)):
        return None
    if isinstance(v, str):
        # NULs and lone surrogates print as U+FFFD.
        return "".join("\ufffd" if c == "\0" or 0xD800 <= ord(c) <= 0xDFFF else c
                       for c in v)
    return str(v)


def _number(v, scale=1):
    """A value as tokentail reads it: a number, or a string holding one,
    scaled and rounded to 12 decimals; None when unusable."""
    if isinstance(v, bool) or v is None:
        return None
    if isinstance(v, str):
        if not NUMBER.fullmatch(v):
            return None
        v = Decimal(v)
    if not isinstance(v, (int, Decimal)):
        return None
    d = Decimal(v) * Decimal(scale)
    if abs(d) > LIMIT:
        return None
    return d.quantize(PICO, rounding="ROUND_HALF_EVEN")


class FlashcaseOracle:
    """Computes the default exporter.yaml families from lines, independently
    of tokentail's code: json.loads with Decimal, the documented rules,
    exact decimal sums."""

    def __init__(self):
        self.requests = {}
        self.durations = {}  # labels -> list of Decimal seconds
        self.llm_requests = {}
        self.tokens = {}
        self.cost = {}
        self.lines = 0
        self.skipped = {"not_json": 0, "not_object": 0, "unmatched": 0}

    def feed(self, raw):
        """raw: one line without its newline (bytes)."""
        self.lines += 1
        try:
            rec = json.loads(raw.decode("utf-8", "replace"), parse_float=Decimal,
                             parse_constant=lambda c: 1 / 0)
        except (ValueError, ZeroDivisionError):
            self.skipped["not_json"] += 1
            return
        if not isinstance(rec, dict):
            self.skipped["not_object"] += 1
            return
        has = lambda k: k in rec and rec[k] is not None
        lab = lambda k: _label_text(rec[k]) if has(k) else None
        used = False
        if has("endpoint") and has("method") and has("status_code"):
            m, p, st = lab("method"), lab("endpoint"), lab("status_code")
            if None not in (m, p, st):
                key = labelset(method=m, path=p, status=st)
                self.requests[key] = self.requests.get(key, 0) + 1
                used = True
            v = _number(rec.get("duration_ms"), Decimal("0.001"))
            if v is not None and None not in (m, p):
                self.durations.setdefault(labelset(method=m, path=p), []).append(v)
                used = True
        if has("model") and has("tokens_used"):
            model, op = lab("model"), lab("function")
            if None not in (model, op):
                key = labelset(model=model, operation=op)
                self.llm_requests[key] = self.llm_requests.get(key, 0) + 1
                used = True
            t = _number(rec["tokens_used"])
            if model is not None and t is not None and t >= 0:
                mk = labelset(model=model)
                self.tokens[mk] = self.tokens.get(mk, 0) + t
                used = True
            c = _number(rec.get("cost_estimate"))
            if model is not None and c is not None and c >= 0:
                mk = labelset(model=model)
                self.cost[mk] = self.cost.get(mk, Decimal(0)) + c
                used = True
        if not used:
            self.skipped["unmatched"] += 1

    def check(self, e):
        """Asserts that exposition e holds exactly these values."""
        def same(name, got, want):
            assert set(got) == set(want), "%s series differ:\n got %s\nwant %s" % (
                name, sorted(map(sorted, got)), sorted(map(sorted, want)))
            for k, v in want.items():
                assert Decimal(got[k]) == Decimal(v), "%s%s: got %s, want %s" % (
                    name, dict(k), got[k], v)

        same("http_requests_total", e.family("http_requests_total"), self.requests)
        same("llm_requests_total", e.family("llm_requests_total"), self.llm_requests)
        same("llm_tokens_total", e.family("llm_tokens_total"), self.tokens)
        same("llm_cost_usd_total", e.family("llm_cost_usd_total"), self.cost)
        buckets, sums, counts = e.histogram("http_request_duration_seconds")
        assert set(buckets) == set(self.durations), "histogram series differ"
        for k, values in self.durations.items():
            want = {le: sum(1 for v in values if v <= Decimal(le))
                    for le in FLASHCASE_BUCKETS}
            want["+Inf"] = len(values)
            got = {le: int(c) for le, c in buckets[k].items()}
            assert got == want, "buckets of %s: got %s want %s" % (dict(k), got, want)
            assert Decimal(sums[k]) == sum(values), "sum of %s: %s != %s" % (
                dict(k), sums[k], sum(values))
            assert int(counts[k]) == len(values)

    def check_truth(self, e, truth):
        """Cross-checks e against genlogs.py's own aggregates."""
        for row in truth:
            m, lab, v = row["metric"], row["labels"], Decimal(str(row["value"]))
            if m == "requests":
                got = e.value("http_requests_total", method=lab["method"],
                              path=lab["endpoint"], status=lab["status"])
                assert Decimal(got) == v, (row, got)
            elif m == "tokens":
                assert Decimal(e.value("llm_tokens_total", model=lab["model"])) == v, row
            elif m == "cost":
                got = Decimal(e.value("llm_cost_usd_total", model=lab["model"]))
                assert abs(got - v) <= Decimal("1e-9"), (row, got)
            elif m == "duration_ms_sum":
                _, sums, _ = e.histogram("http_request_duration_seconds")
                got = sum(Decimal(s) for k, s in sums.items()
                          if dict(k)["path"] == lab["endpoint"]) * 1000
                assert abs(got - v) <= Decimal("1e-6") * max(1, abs(v)), (row, got)


def feed_all(oracle, data):
    """Feeds every complete line of data (bytes) to the oracle."""
    lines = data.split(b"\n")
    for raw in lines[:-1]:
        oracle.feed(raw)
    return lines[-1]  # an unfinished last line, if any


def write_config(directory, text):
    path = os.path.join(directory, "tokentail.yaml")
    with open(path, "w") as f:
        f.write(text)
    return path


def default_config():
    return os.path.join(ROOT, "exporter.yaml")


def main(tests):
    """Runs the test functions in order; any exception fails the run."""
    failed = 0
    for t in tests:
        start = time.monotonic()
        try:
            t()
            print("ok   %-40s %.2fs" % (t.__name__, time.monotonic() - start), flush=True)
        except Skip as e:
            print("skip %-40s %s" % (t.__name__, e), flush=True)
        except Exception:
            failed += 1
            import traceback
            print("FAIL %s" % t.__name__, flush=True)
            traceback.print_exc()
    sys.exit(1 if failed else 0)
