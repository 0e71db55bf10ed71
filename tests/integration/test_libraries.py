"""Libraries loaded when first needed: libcurl (alert notifications,
remote write, the healthcheck command) and snappy (remote write).

A daemon that sends nothing never maps them, nor what they link
(OpenSSL's libcrypto, the C++ runtime); one with an Alertmanager maps
libcurl as it starts. Where a library is missing (here hidden by a
mount namespace that binds /dev/null over it), a configuration that
needs it is an error at load time naming the file, the place and the
library, and one that does not need it still checks and runs.
"""
import os
import subprocess
import tempfile

from harness import Skip, Tokentail, binary, main, write_config

LOG_ONLY = """inputs:
  - name: app
    paths: [%s/app.log]
metrics:
  - {name: lines_total, type: counter}
"""

SENDING = LOG_ONLY + """alerting:
  alertmanagers:
    - url: http://127.0.0.1:9/
remote_write:
  - url: http://127.0.0.1:9/api/v1/write
"""

# libcurl, snappy, and what libcurl alone brings (snappy's C++ runtime
# is left out: a sanitizer's runtime maps it too).
LAZY = ("libcurl", "libsnappy", "libcrypto.so", "libldap", "libssh2")


def mapped(pid):
    """The file names of the shared objects process pid maps."""
    with open("/proc/%d/maps" % pid) as f:
        return {os.path.basename(line.split()[-1]) for line in f
                if ".so" in line.split()[-1]}


def lazy_mapped(pid):
    return sorted(n for n in mapped(pid) if n.startswith(LAZY))


def test_mapped_only_when_sending():
    with tempfile.TemporaryDirectory() as tmp:
        t = Tokentail(write_config(tmp, LOG_ONLY % tmp))
        try:
            # Listening already: the receivers and remotes have started.
            assert lazy_mapped(t.proc.pid) == [], lazy_mapped(t.proc.pid)
        finally:
            t.stop()
        t = Tokentail(write_config(tmp, SENDING % tmp))
        try:
            # Listening already: the receivers and remotes have started.
            got = lazy_mapped(t.proc.pid)
            assert any(n.startswith("libcurl") for n in got), got
            assert any(n.startswith("libsnappy") for n in got), got
        finally:
            t.stop()


def library_files():
    """Every file dlopen() could take for libcurl or snappy."""
    out = subprocess.run(["ldconfig", "-p"], capture_output=True, text=True,
                         check=True).stdout
    paths = set()
    for line in out.splitlines():
        name = line.strip().split(" ", 1)[0]
        if name.startswith(("libcurl", "libsnappy")) and "=>" in line:
            paths.add(os.path.realpath(line.rsplit("=>", 1)[1].strip()))
    return sorted(paths)


def hidden(args):
    """tokentail args with libcurl and snappy hidden: (rc, out, err). Not
    under the wrapper: glibc's dlopen() keeps the name of a file it could
    not map, which memcheck reports as lost."""
    files = library_files()
    script = "".join("mount --bind /dev/null %s && " % p for p in files) + 'exec "$@"'
    r = subprocess.run(["unshare", "--mount", "sh", "-c", script, "sh", binary()] + args,
                       capture_output=True, text=True, timeout=600)
    return r.returncode, r.stdout, r.stderr


def test_missing_library():
    probe = subprocess.run(["unshare", "--mount", "true"], capture_output=True)
    if probe.returncode != 0 or not library_files():
        raise Skip("no mount namespace here (unshare --mount needs root)")
    with tempfile.TemporaryDirectory() as tmp:
        cfg = write_config(tmp, SENDING % tmp)
        rc, out, err = hidden(["--check-config", "--config.file=" + cfg])
        lines = err.splitlines()
        assert (rc, out, len(lines)) == (1, "", 2), (rc, out, err)
        assert lines[0].startswith(
            cfg + ":7:3: alerting: notifications are sent with libcurl, which "
            "cannot be loaded: "), err
        assert lines[1].startswith(
            cfg + ":10:3: remote_write: sending needs libcurl and snappy, which "
            "cannot be loaded: "), err
        assert "libcurl" in lines[0] and "libcurl" in lines[1], err
        cfg = write_config(tmp, LOG_ONLY % tmp)
        rc, out, err = hidden(["--check-config", "--config.file=" + cfg])
        assert (rc, out, err) == (0, cfg + ": OK (1 inputs, 1 metrics)\n", ""), err
        with open(os.path.join(tmp, "app.log"), "w") as f:
            f.write("{}\n{}\n")
        rc, out, err = hidden(["--once", "--config.file=" + cfg,
                               os.path.join(tmp, "app.log")])
        assert rc == 0 and "\nlines_total 2\n" in out, (rc, err)
        rc, out, err = hidden(["healthcheck", "--url=http://127.0.0.1:9/health"])
        assert (rc, out) == (1, "") and err.startswith(
            "tokentail healthcheck: cannot load libcurl: "), err


if __name__ == "__main__":
    main([test_mapped_only_when_sending, test_missing_library])
