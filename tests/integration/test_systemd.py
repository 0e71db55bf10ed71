"""tokentail under systemd, without systemd: the test plays the service
manager.

Notifications: the test binds an AF_UNIX datagram socket, names it in
NOTIFY_SOCKET (a path, or '@' and an abstract name) and records every
datagram with the sender's pid (SCM_CREDENTIALS, which NotifyAccess=main
checks). READY=1 must come once the inputs are placed (their positions
are in the state file) and HTTP answers; STATUS= lines must say exactly
how many files are followed; WATCHDOG=1 comes at half of WATCHDOG_USEC
and never without it; SIGHUP brings RELOADING=1 with MONOTONIC_USEC (the
monotonic clock when the reload began) then READY=1; SIGTERM brings
STOPPING=1, the last word.

Listening: the real systemd-socket-activate passes two sockets
(127.0.0.1 and ::1) to --web.systemd-socket; a small launcher passes one
the way any service manager does; two --web.listen-address flags serve the same
/metrics on both. Every answer is compared with the lines written.
"""
import os
import re
import select
import shutil
import signal
import socket
import sqlite3
import struct
import subprocess
import sys
import tempfile
import time

from harness import (ROOT, SLOW, Exposition, Skip, Tokentail, binary, deadline,
                     main, poll, wrapper, write_config)

STATUS = re.compile(r"^following (\d+) files?, (\d+)\.(\d) lines/s, "
                    r"(?:last checkpoint (\d+)s ago|no checkpoint yet)$")
UCRED = struct.Struct("iII")  # pid, uid, gid


CONFIG = """
inputs:
  - name: app
    paths: [%s/*.log]
    start_at: beginning
metrics:
  - name: requests_total
    type: counter
    labels: {path: endpoint}
state:
  checkpoint_interval: 1h   # the first, at start-up, is the only one
"""


class Manager:
    """The service manager's end of NOTIFY_SOCKET: every datagram, in order,
    with when it came and from which process."""

    def __init__(self, directory, abstract=False):
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_PASSCRED, 1)
        if abstract:
            name = "tokentail-test-%d-%d" % (os.getpid(), time.monotonic_ns())
            self.sock.bind("\0" + name)
            self.address = "@" + name
        else:
            self.address = os.path.join(directory, "notify")
            self.sock.bind(self.address)
        self.messages = []  # (monotonic seconds, pid, text)

    def env(self, **more):
        env = {"NOTIFY_SOCKET": self.address}
        for k in ("WATCHDOG_USEC", "WATCHDOG_PID"):
            os.environ.pop(k, None)
        env.update(more)
        return env

    def receive(self, timeout):
        """Reads what arrives within timeout seconds (at least what is there)."""
        end = time.monotonic() + timeout
        while True:
            left = max(0.0, end - time.monotonic())
            ready, _, _ = select.select([self.sock], [], [], left)
            if not ready:
                return
            data, anc, _, _ = self.sock.recvmsg(4096, socket.CMSG_SPACE(UCRED.size))
            pid = None
            for level, kind, payload in anc:
                if level == socket.SOL_SOCKET and kind == socket.SCM_CREDENTIALS:
                    pid = UCRED.unpack(payload[:UCRED.size])[0]
            self.messages.append((time.monotonic(), pid, data.decode()))

    def wait_for(self, what, pred, seconds=10):
        """The first message since index start for which pred holds."""
        end = deadline(seconds)
        seen = 0
        while time.monotonic() < end:
            for i in range(seen, len(self.messages)):
                if pred(self.messages[i][2]):
                    return i
            seen = len(self.messages)
            self.receive(min(0.2, max(0.0, end - time.monotonic())))
        raise AssertionError("no %s among %r" % (what, [m[2] for m in self.messages]))

    def texts(self):
        return [m[2] for m in self.messages]

    def close(self):
        self.sock.close()


def write_lines(path, endpoints):
    with open(path, "a") as f:
        for e in endpoints:
            f.write('{"endpoint": "%s"}\n' % e)


def statuses(m, start=0):
    """The status lines from message start on, parsed."""
    out = []
    for text in m.texts()[start:]:
        if text.startswith("STATUS="):
            s = STATUS.match(text[len("STATUS="):])
            assert s, "unparsable status: %r" % text
            out.append(s)
    return out


def test_lifecycle():
    """READY=1 after the positions and the listening socket exist, then the
    status, a reload framed by RELOADING=1 and READY=1, STOPPING=1 last;
    no WATCHDOG=1 without WATCHDOG_USEC; every datagram from the daemon."""
    with tempfile.TemporaryDirectory() as tmp:
        m = Manager(tmp)
        log = os.path.join(tmp, "app.log")
        write_lines(log, ["/a", "/b", "/a"])
        t = Tokentail(write_config(tmp, CONFIG % tmp), env=m.env())
        try:
            m.wait_for("READY=1", lambda s: s == "READY=1")
            # Stopped at once, the daemon shows what it had done by then.
            t.proc.send_signal(signal.SIGSTOP)
            try:
                db = sqlite3.connect("file:%s?mode=ro" % t.state, uri=True)
                rows = db.execute("SELECT input, path FROM files").fetchall()
                db.close()
                assert rows == [("app", log)], rows
                assert 'msg="serving HTTP"' in t.log()
                socket.create_connection(("127.0.0.1", t.port), timeout=5).close()
            finally:
                t.proc.send_signal(signal.SIGCONT)
            e = t.wait_lines(3)
            assert e.value("requests_total", path="/a") == "2"
            assert e.value("requests_total", path="/b") == "1"

            # The first status comes with READY=1; the next SERVICE_STATUS_MS
            # (2 s) later, after the lines below.
            m.wait_for("a status", lambda s: s.startswith("STATUS="))
            write_lines(log, ["/c"] * 40)
            t.wait_lines(43)
            n = len(statuses(m))
            m.wait_for("a later status",
                       lambda s: s.startswith("STATUS=") and len(statuses(m)) > n)
            for s in statuses(m):
                assert s.group(1) == "1", s.group(0)  # one file followed
                assert s.group(4) is not None, s.group(0)  # one at the start
                assert int(s.group(4)) <= 10 * SLOW, s.group(0)
            # The 40 lines came within one interval of 2 s or more.
            rates = [int(s.group(2)) * 10 + int(s.group(3)) for s in statuses(m)]
            assert any(r > 0 for r in rates), rates
            assert all(r <= 400 for r in rates[1:]), rates

            before = time.monotonic_ns() // 1000
            t.proc.send_signal(signal.SIGHUP)
            i = m.wait_for("RELOADING=1", lambda s: s.startswith("RELOADING=1"))
            after = time.monotonic_ns() // 1000
            r = re.fullmatch(r"RELOADING=1\nMONOTONIC_USEC=(\d+)", m.messages[i][2])
            assert r, m.messages[i][2]
            assert before <= int(r.group(1)) <= after, (before, r.group(1), after)
            m.wait_for("READY=1 again", lambda s: m.texts()[i + 1:].count("READY=1"))
            assert m.texts().count("READY=1") == 2
            ready = max(k for k, s in enumerate(m.texts()) if s == "READY=1")

            # The reload's core counts its lines from 0: the rate after it
            # is the new lines', not those less the 43 before.
            write_lines(log, ["/d"] * 20)
            t.wait_lines(63)
            m.receive(0)
            seen = len(m.messages)
            m.wait_for("a status after the 20 lines", lambda s: any(
                x.startswith("STATUS=") for x in m.texts()[seen:]))
            after = [int(s.group(2)) * 10 + int(s.group(3))
                     for s in statuses(m, ready)]
            assert any(r > 0 for r in after), (after, m.texts()[ready:])
        finally:
            log_text = t.stop()
        m.receive(0)
        texts = m.texts()
        assert texts[-1] == "STOPPING=1", texts[-3:]
        assert texts.count("STOPPING=1") == 1
        assert "WATCHDOG=1" not in texts, "a keep-alive nobody asked for"
        assert {pid for _, pid, _ in m.messages} == {t.proc.pid}
        assert "not telling systemd" not in log_text
        m.close()


def watchdog_times(m):
    return [when for when, _, text in m.messages if text == "WATCHDOG=1"]


def test_watchdog():
    """WATCHDOG_USEC=400000: a keep-alive every 200 ms from the loop, to an
    abstract socket; none once SIGSTOP freezes the loop, again after
    SIGCONT."""
    with tempfile.TemporaryDirectory() as tmp:
        m = Manager(tmp, abstract=True)
        write_lines(os.path.join(tmp, "app.log"), ["/a"])
        t = Tokentail(write_config(tmp, CONFIG % tmp),
                      env=m.env(WATCHDOG_USEC="400000"))
        try:
            m.wait_for("READY=1", lambda s: s == "READY=1")
            # 200 ms apart: about 5 a second, never bunched up. A second
            # shows it; under valgrind the loop is slower, not the timer.
            start = time.monotonic()
            m.receive(1.0)
            times = [w for w in watchdog_times(m) if w >= start]
            assert 2 <= len(times) <= 6, times
            gaps = [b - a for a, b in zip(times, times[1:])]
            assert min(gaps) >= 0.1, gaps
            assert max(gaps) <= 0.4 * SLOW, gaps

            t.proc.send_signal(signal.SIGSTOP)
            m.receive(0.05)  # what was on its way
            stopped = time.monotonic()
            m.receive(0.6)
            frozen = [w for w in watchdog_times(m) if w > stopped]
            t.proc.send_signal(signal.SIGCONT)
            assert frozen == [], "keep-alives from a stopped loop"
            resumed = time.monotonic()
            m.wait_for("a keep-alive after SIGCONT",
                       lambda s: s == "WATCHDOG=1"
                       and watchdog_times(m)[-1] > resumed)
        finally:
            t.stop()
        m.close()


def test_watchdog_other_pid():
    """WATCHDOG_PID naming another process: no keep-alives from this one."""
    with tempfile.TemporaryDirectory() as tmp:
        m = Manager(tmp)
        write_lines(os.path.join(tmp, "app.log"), ["/a"])
        t = Tokentail(write_config(tmp, CONFIG % tmp),
                      env=m.env(WATCHDOG_USEC="100000", WATCHDOG_PID="1"))
        try:
            m.wait_for("READY=1", lambda s: s == "READY=1")
            m.receive(0.5)
        finally:
            t.stop()
        m.receive(0)
        assert "WATCHDOG=1" not in m.texts(), m.texts()
        assert m.texts()[-1] == "STOPPING=1"
        m.close()


def test_bad_notify_socket():
    """A NOTIFY_SOCKET that cannot be a socket's name: a warning, and the
    daemon serves as without one."""
    with tempfile.TemporaryDirectory() as tmp:
        write_lines(os.path.join(tmp, "app.log"), ["/a"])
        t = Tokentail(write_config(tmp, CONFIG % tmp),
                      env={"NOTIFY_SOCKET": "relative/notify"})
        try:
            e = t.wait_lines(1)
            assert e.value("requests_total", path="/a") == "1"
        finally:
            log = t.stop()
        assert ('msg="not telling systemd how tokentail is doing: NOTIFY_SOCKET '
                'must be an absolute path or \'@\' and a name"') in log, log


# --- listening ----------------------------------------------------------------

def have_ipv6_loopback():
    try:
        s = socket.socket(socket.AF_INET6, socket.SOCK_STREAM)
        s.bind(("::1", 0))
        s.close()
        return True
    except OSError:
        return False


def free_port(family, host):
    """A port free on host now (systemd-socket-activate needs a number)."""
    s = socket.socket(family, socket.SOCK_STREAM)
    s.bind((host, 0))
    port = s.getsockname()[1]
    s.close()
    return port


def get(family, host, port, path="/metrics"):
    s = socket.create_connection((host, port), timeout=10 * SLOW)
    try:
        s.sendall(("GET %s HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
                   % path).encode())
        data = b""
        while True:
            chunk = s.recv(65536)
            if not chunk:
                break
            data += chunk
    finally:
        s.close()
    head, _, body = data.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 200"), head
    return Exposition(body.decode())


def requests(e):
    return {dict(k)["path"]: v for k, v in e.family("requests_total").items()}


class Activated:
    """tokentail started with its sockets passed in, as a unit's
    ExecStart= behind a .socket would be; its log in a file."""

    def __init__(self, launcher, config, state, extra=(), env=None, fds=()):
        self.stderr = tempfile.NamedTemporaryFile(prefix="tokentail-", suffix=".log")
        full = dict(os.environ)
        full.update(env or {})
        cmd = (launcher + wrapper() + [binary(), "--config.file=" + config,
                                       "--state.file=" + state,
                                       "--web.systemd-socket"] + list(extra))
        self.proc = subprocess.Popen(cmd, env=full, stdout=subprocess.DEVNULL,
                                     stderr=self.stderr, pass_fds=fds)

    def log(self):
        with open(self.stderr.name, errors="replace") as f:
            return f.read()

    def serving(self):
        def find():
            if self.proc.poll() is not None:
                raise AssertionError("exited with %d:\n%s"
                                     % (self.proc.returncode, self.log()))
            return re.search(r'msg="serving HTTP" address=(\S+)', self.log())
        return poll("serving HTTP", find, 30).group(1)

    def stop(self):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
        rc = self.proc.wait(timeout=30 * SLOW)
        log = self.log()
        self.stderr.close()
        assert rc == 0, "exited with %d:\n%s" % (rc, log)
        return log


def test_socket_activate():
    """systemd-socket-activate listens on 127.0.0.1 and ::1 and starts
    tokentail on the first connection; both sockets serve one /metrics."""
    tool = shutil.which("systemd-socket-activate")
    if tool is None:
        raise Skip("systemd-socket-activate not installed (Debian's systemd)")
    if not have_ipv6_loopback():
        raise Skip("no IPv6 loopback")
    with tempfile.TemporaryDirectory() as tmp:
        write_lines(os.path.join(tmp, "app.log"), ["/a", "/b", "/b"])
        p4 = free_port(socket.AF_INET, "127.0.0.1")
        p6 = free_port(socket.AF_INET6, "::1")
        a = Activated([tool, "-l", "127.0.0.1:%d" % p4, "-l", "[::1]:%d" % p6,
                       "--"], write_config(tmp, CONFIG % tmp),
                      os.path.join(tmp, "state.db"),
                      extra=["--web.listen-address=127.0.0.1:1"])
        try:
            # The tool listens before it starts the daemon: wait for it,
            # then the first connection starts tokentail.
            def first():
                e = get(socket.AF_INET, "127.0.0.1", p4)
                return e if requests(e) == {"/a": "1", "/b": "2"} else None
            e4 = poll("the first scrape through the activated socket", first, 30)
            assert a.serving() == "127.0.0.1:%d,[::1]:%d" % (p4, p6)
            e6 = get(socket.AF_INET6, "::1", p6)
            assert requests(e6) == {"/a": "1", "/b": "2"}
            assert e4.value("tokentail_lines_read_total", input="app") == "3"
            assert e6.value("tokentail_lines_read_total", input="app") == "3"
        finally:
            log = a.stop()
        assert ("--web.listen-address is ignored: --web.systemd-socket serves "
                "on the sockets systemd passed") in log


# What a service manager does before it execs the daemon, given argv[1].
PASS_SOCKET = """
import os, sys
fd = int(sys.argv[1])
if fd != 3:
    os.dup2(fd, 3)
    os.close(fd)
os.environ.update(LISTEN_PID=str(os.getpid()), LISTEN_FDS="1")
os.execvp(sys.argv[2], sys.argv[2:])
"""


def test_passed_socket():
    """Any service manager's way: the socket as descriptor 3, LISTEN_PID
    the daemon's own pid (exec keeps it), LISTEN_FDS=1."""
    with tempfile.TemporaryDirectory() as tmp:
        write_lines(os.path.join(tmp, "app.log"), ["/x"])
        srv = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        srv.bind(("127.0.0.1", 0))
        srv.listen(16)
        port = srv.getsockname()[1]
        fd = srv.fileno()
        # sh cannot move a descriptor above 9: a few lines of Python can.
        launcher = [sys.executable, "-c", PASS_SOCKET, str(fd)]
        a = Activated(launcher, write_config(tmp, CONFIG % tmp),
                      os.path.join(tmp, "state.db"), fds=(fd,))
        srv.close()  # the daemon's now
        try:
            assert a.serving() == "127.0.0.1:%d" % port
            e = poll("the line", lambda: (lambda e: e if requests(e) else None)(
                get(socket.AF_INET, "127.0.0.1", port)))
            assert requests(e) == {"/x": "1"}
        finally:
            a.stop()


def test_no_sockets_passed():
    """--web.systemd-socket without sockets, or with another process's, or
    with a descriptor that is no listening socket: a clear error, exit 1."""
    with tempfile.TemporaryDirectory() as tmp:
        cfg = write_config(tmp, CONFIG % tmp)
        state = os.path.join(tmp, "state.db")
        cases = [
            ([], {}, "no sockets were passed (LISTEN_PID and LISTEN_FDS are "
                     "not set: start tokentail from a .socket unit)"),
            ([], {"LISTEN_PID": "1", "LISTEN_FDS": "1"},
             "the sockets were passed to another process (LISTEN_PID)"),
            (["sh", "-c", 'LISTEN_PID=$$ LISTEN_FDS=1 exec "$@" 3</dev/null', "sh"],
             {}, "cannot serve on descriptor 3, passed by systemd: Socket "
                 "operation on non-socket"),
        ]
        for launcher, env, message in cases:
            for k in ("LISTEN_PID", "LISTEN_FDS"):
                os.environ.pop(k, None)
            a = Activated(launcher, cfg, state, env=env)
            rc = a.proc.wait(timeout=30 * SLOW)
            log = a.log()
            assert rc == 1, (rc, log)
            assert message in log, log
            assert "serving HTTP" not in log


def test_two_listen_addresses():
    """--web.listen-address twice: 127.0.0.1 and ::1 answer the same
    /metrics; the log line names both."""
    if not have_ipv6_loopback():
        raise Skip("no IPv6 loopback")
    with tempfile.TemporaryDirectory() as tmp:
        write_lines(os.path.join(tmp, "app.log"), ["/a", "/a", "/c"])
        t = Tokentail(write_config(tmp, CONFIG % tmp),
                      args=["--web.listen-address=[::1]:0"])
        try:
            e4 = t.wait_lines(3)
            m = re.search(r'msg="serving HTTP" address=127\.0\.0\.1:(\d+),\[::1\]:(\d+) ',
                          t.log())
            assert m, t.log()
            assert int(m.group(1)) == t.port
            e6 = get(socket.AF_INET6, "::1", int(m.group(2)))
            assert requests(e4) == requests(e6) == {"/a": "2", "/c": "1"}
        finally:
            t.stop()


def test_listen_address_taken():
    """The second address taken: the daemon says which and exits 1."""
    with tempfile.TemporaryDirectory() as tmp:
        busy = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        busy.bind(("127.0.0.1", 0))
        busy.listen(1)
        port = busy.getsockname()[1]
        cfg = write_config(tmp, CONFIG % tmp)
        p = subprocess.run(wrapper() + [binary(), "--config.file=" + cfg,
                                        "--state.file=",
                                        "--web.listen-address=127.0.0.1:0",
                                        "--web.listen-address=127.0.0.1:%d" % port],
                           stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                           timeout=60 * SLOW)
        busy.close()
        err = p.stderr.decode()
        assert p.returncode == 1, (p.returncode, err)
        assert ('msg="cannot listen on 127.0.0.1:%d: address in use or not '
                'available"' % port) in err, err


# --- the unit -------------------------------------------------------------------

EXPOSURE_MAX = "2.0"  # systemd-analyze security's overall exposure, at most


def test_unit_files():
    """The unit and the socket pass systemd-analyze verify, offline, with
    ExecStart= pointing at this binary; the unit's exposure is 2.0 or less."""
    tool = shutil.which("systemd-analyze")
    if tool is None:
        raise Skip("systemd-analyze not installed (Debian's systemd)")
    with tempfile.TemporaryDirectory() as tmp:
        with open(os.path.join(ROOT, "systemd", "tokentail.service.in")) as f:
            unit = f.read()
        unit = (unit.replace("@BINDIR@", os.path.dirname(binary()))
                .replace("@SYSCONFDIR@", "/etc"))
        assert not re.search(r"@[A-Z]+@", unit), unit
        service = os.path.join(tmp, "tokentail.service")
        with open(service, "w") as f:
            f.write(unit)
        shutil.copy(os.path.join(ROOT, "systemd", "tokentail.socket"), tmp)
        p = subprocess.run([tool, "verify", "--man=no", "tokentail.service",
                            "tokentail.socket"], cwd=tmp, stdout=subprocess.PIPE,
                           stderr=subprocess.STDOUT, timeout=60)
        assert p.returncode == 0 and p.stdout == b"", p.stdout.decode()
        p = subprocess.run([tool, "security", "--offline=true", "--no-pager",
                            "tokentail.service"], cwd=tmp, stdout=subprocess.PIPE,
                           stderr=subprocess.STDOUT, timeout=60)
        m = re.search(r"Overall exposure level for tokentail\.service: (\d+\.\d)",
                      p.stdout.decode())
        assert m, p.stdout.decode()
        assert float(m.group(1)) <= float(EXPOSURE_MAX), p.stdout.decode()
        for want in ("Type=notify", "NotifyAccess=main", "WatchdogSec=30s",
                     "ExecReload=/bin/kill -HUP $MAINPID"):
            assert "\n" + want + "\n" in unit, want


if __name__ == "__main__":
    main([test_lifecycle, test_watchdog, test_watchdog_other_pid,
          test_bad_notify_socket, test_socket_activate, test_passed_socket,
          test_no_sockets_passed, test_two_listen_addresses,
          test_listen_address_taken, test_unit_files])
