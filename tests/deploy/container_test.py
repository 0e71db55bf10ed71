"""The container image run as users run it (tests/deploy/container builds it
and configures podman): a log directory mounted read-only at /var/log/app,
a named volume at /var/lib/tokentail, port 8653 published on a free
loopback port, nothing else given.

The image's configuration is checked first (user, entrypoint, port,
volume, stop signal, health check), and inside the running container the
binary's defaults must be the image's paths (--check-config with and
without --config.file). Lines are written after /health answers (start_at is end) and every family
of the default configuration must equal what the lines imply, exactly
(FlashcaseOracle: counts and sums, so a loss and a duplicate cannot cancel
out). The health check must pass, the daemon must run as UID 65532 and
stop cleanly on SIGTERM (exit 0, within podman's grace period). While it
is down more lines are written; a new container on the same volume must
read exactly those, continuing from the saved positions and values.

usage: container_test.py IMAGE NAME   (containers NAME-a, NAME-b, volume
NAME-state; the caller removes them)
"""
import json
import os
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__))), "integration"))
from harness import (SLOW, Exposition, FlashcaseOracle, feed_all,  # noqa: E402
                     free_port, genlogs, poll)

UID = 65532
STOP_SECONDS = 30  # podman's grace period before SIGKILL


def podman(*args, check=True):
    r = subprocess.run(["podman"] + list(args), capture_output=True, text=True,
                       timeout=120 * SLOW)
    if check and r.returncode != 0:
        raise AssertionError("podman %s: exit %d\n%s%s" % (
            " ".join(args), r.returncode, r.stdout, r.stderr))
    return r


def get(port, path):
    """(status, body) of a GET on the published port; (0, why) when
    nothing answers yet."""
    try:
        with urllib.request.urlopen("http://127.0.0.1:%d%s" % (port, path),
                                    timeout=5 * SLOW) as r:
            return r.status, r.read()
    except urllib.error.HTTPError as e:
        return e.code, e.read()
    except OSError as e:
        return 0, str(e).encode()


class Container:
    def __init__(self, image, name, logs, volume):
        self.name = name
        self.port = free_port()
        podman("run", "--detach", "--name", name,
               "--publish", "127.0.0.1:%d:8653" % self.port,
               "--volume", "%s:/var/log/app:ro" % logs,
               "--volume", "%s:/var/lib/tokentail" % volume, image)
        poll("%s's /health" % name, self.healthy, 60)

    def healthy(self):
        state = self.inspect("{{.State.Status}}")
        if state != "running":
            raise AssertionError("%s is %s:\n%s" % (self.name, state, self.logs()))
        status, body = get(self.port, "/health")
        return status == 200 and json.loads(body)

    def inspect(self, fmt):
        return podman("inspect", "--format", fmt, self.name).stdout.strip()

    def logs(self):
        r = podman("logs", self.name, check=False)
        return r.stdout + r.stderr

    def scrape(self):
        status, body = get(self.port, "/metrics")
        assert status == 200, (status, body)
        return Exposition(body.decode())

    def wait_lines(self, n):
        def done():
            v = self.scrape().value("tokentail_lines_read_total", input="app")
            return v is not None and int(v) >= n and int(v)
        got = poll("%d lines read in %s" % (n, self.name), done, 30)
        assert got == n, "%s read %d lines, expected exactly %d" % (self.name, got, n)
        return self.scrape()

    def stop(self):
        start = time.monotonic()
        podman("stop", "--time", str(STOP_SECONDS), self.name)
        took = time.monotonic() - start
        code = self.inspect("{{.State.ExitCode}}")
        assert code == "0" and took < STOP_SECONDS, (
            "%s exited %s after %.1f s on SIGTERM:\n%s" % (self.name, code, took, self.logs()))
        return took


def append(path, data):
    with open(path, "ab") as f:
        f.write(data)


def check_user(c):
    """The daemon's own process, seen from the host: every UID and GID
    65532, and the image says so numerically (runAsNonRoot)."""
    assert c.inspect("{{.Config.User}}") == "%d:%d" % (UID, UID)
    pid = c.inspect("{{.State.Pid}}")
    with open("/proc/%s/status" % pid) as f:
        ids = {k: v.split() for k, v in (l.split(":", 1) for l in f) if k in ("Uid", "Gid")}
    assert ids == {"Uid": [str(UID)] * 4, "Gid": [str(UID)] * 4}, ids


def check_image(image):
    """What the runtime reads from the image's configuration."""
    cfg = json.loads(podman("image", "inspect", "--format", "{{json .Config}}",
                            image).stdout)
    assert cfg["User"] == "%d:%d" % (UID, UID), cfg
    assert cfg["Entrypoint"] == ["/usr/bin/tokentail",
                                 "--config.file=/etc/tokentail/exporter.yaml"], cfg
    assert list(cfg["ExposedPorts"]) == ["8653/tcp"], cfg
    assert list(cfg["Volumes"]) == ["/var/lib/tokentail"], cfg
    assert cfg["StopSignal"] == "SIGTERM", cfg
    assert cfg["Labels"]["org.opencontainers.image.title"] == "tokentail", cfg
    health = json.loads(podman("image", "inspect", "--format",
                               "{{json .HealthCheck}}", image).stdout)
    assert health["Test"] == ["CMD", "/usr/bin/tokentail", "healthcheck",
                              "--timeout=3s"], health


def check_exec(c):
    """The binary's own defaults are the image's paths."""
    r = podman("exec", c.name, "tokentail", "--check-config")
    assert r.stdout == "/etc/tokentail/exporter.yaml: OK (1 inputs, 5 metrics)\n", r.stdout
    r = podman("exec", c.name, "tokentail", "--check-config", "--config.file="
               "/usr/share/doc/tokentail/examples/story23/exporter.yaml")
    assert r.stdout.startswith("/usr/share/doc/tokentail/examples/story23/"
                               "exporter.yaml: OK ("), r.stdout


def check_healthcheck(c):
    r = podman("healthcheck", "run", c.name, check=False)
    assert r.returncode == 0 and r.stdout.strip() in ("", "healthy"), (
        r.returncode, r.stdout, r.stderr)
    log = json.loads(podman("inspect", "--format", "{{json .State.Health}}", c.name).stdout)
    last = log["Log"][-1]
    assert (last["ExitCode"], last["Output"].strip()) == (
        0, "healthy: http://127.0.0.1:8653/health answered 200: healthy"), last
    assert log["Status"] == "healthy", log


def main(image, name):
    n1, n2 = (400, 300) if SLOW <= 1 else (40, 30)
    first, _ = genlogs("flashcase", n1, seed=15)
    second, _ = genlogs("flashcase", n2, seed=16)
    oracle = FlashcaseOracle()
    with tempfile.TemporaryDirectory() as logs:
        os.chmod(logs, 0o755)
        log = os.path.join(logs, "app.log")
        open(log, "wb").close()
        os.chmod(log, 0o644)
        check_image(image)
        podman("volume", "create", name + "-state")

        a = Container(image, name + "-a", logs, name + "-state")
        check_user(a)
        check_exec(a)
        append(log, first)
        feed_all(oracle, first)
        oracle.check(a.wait_lines(n1))
        check_healthcheck(a)
        took = a.stop()
        assert 'msg="serving HTTP" address=[::]:8653 ' in a.logs(), a.logs()

        append(log, second)  # while no tokentail runs
        feed_all(oracle, second)
        b = Container(image, name + "-b", logs, name + "-state")
        e = b.wait_lines(n2)
        oracle.check(e)
        b.stop()
        print("container: %d + %d lines, values exact across the restart; "
              "stopped in %.1f s" % (n1, n2, took))


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
