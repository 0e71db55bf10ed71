"""`tokentail healthcheck` against real daemons: exit 0 and one line on
stdout for a 200; exit 1 and one line on stderr saying why for a stopped
daemon (connection refused), a degraded one (503 and the reasons from the
document), one that never answers (the timeout) and a refused login; exit
2 for a usage error. Over HTTPS with basic authentication too, the
password from a file or from the environment."""
import json
import os
import socket
import subprocess
import tempfile
import time
import warnings

from harness import SLOW, Tokentail, binary, main, wrapper, write_config

with warnings.catch_warnings():
    warnings.simplefilter("ignore", DeprecationWarning)
    import crypt  # libcrypt's bcrypt; the module Debian's Python 3.11 has

HERE = os.path.dirname(os.path.abspath(__file__))

CONFIG = """
inputs:
  - {name: app, paths: [%s/*.log]}
metrics:
  - {name: lines_total, type: counter}
"""

def healthcheck(*args, env=None):
    full_env = dict(os.environ)
    full_env.pop("TOKENTAIL_HEALTHCHECK_PASSWORD", None)
    full_env.update(env or {})
    r = subprocess.run(wrapper() + [binary(), "healthcheck"] + list(args),
                       capture_output=True, text=True, env=full_env,
                       timeout=60 * SLOW)
    return r.returncode, r.stdout, r.stderr


def authed_healthcheck(*args, env=None):
    """healthcheck again while tokentail answers 429: its bcrypt budget
    (README: How basic authentication checks passwords) can be spent by
    one check under valgrind on a busy machine; a probe tries again at its
    next period, as this does after the second Retry-After gives."""
    deadline = time.monotonic() + 30 * SLOW
    while True:
        r = healthcheck(*args, env=env)
        if "answered 429" not in r[2] or time.monotonic() > deadline:
            return r
        time.sleep(1)


def url(t, scheme="http"):
    return "%s://127.0.0.1:%d/health" % (scheme, t.port)


def test_healthy_then_stopped():
    with tempfile.TemporaryDirectory() as tmp:
        t = Tokentail(write_config(tmp, CONFIG % tmp))
        try:
            u = url(t)
            assert healthcheck("--url=" + u) == (
                0, "healthy: %s answered 200: healthy\n" % u, "")
        finally:
            t.stop()
        assert healthcheck("--url", u) == (
            1, "", "unreachable: %s: Connection refused\n" % u)


def test_degraded():
    """A state file whose directory is a file: 503, and the reason."""
    with tempfile.TemporaryDirectory() as tmp:
        with open(os.path.join(tmp, "x.log"), "w") as f:
            f.write('{"endpoint": "/a"}\n')
        state = os.path.join(tmp, "x.log", "state.db")
        t = Tokentail(write_config(tmp, CONFIG % tmp), state=state)
        try:
            status, _, body = t.request("/health")
            error = json.loads(body)["state"]["error"]
            assert status == 503 and error, (status, body)
            u = url(t)
            assert healthcheck("--url=" + u) == (
                1, "", "unhealthy: %s answered 503: degraded: state: %s\n"
                % (u, error))
        finally:
            t.stop()


def test_timeout():
    """A socket that accepts connections but never answers."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        s.listen(1)
        u = "http://127.0.0.1:%d/health" % s.getsockname()[1]
        assert healthcheck("--url=" + u, "--timeout=300ms") == (
            1, "", "unreachable: %s: no answer within 300ms\n" % u)


def test_usage_errors():
    hint = "Try 'tokentail healthcheck --help' for more information.\n"
    assert healthcheck("--frobnicate") == (
        2, "", "tokentail healthcheck: unknown argument --frobnicate\n" + hint)
    assert healthcheck("--timeout=soon") == (
        2, "", "tokentail healthcheck: --timeout needs a duration from 1ms "
        "to 24h such as 5s or 500ms, not soon\n" + hint)
    rc, out, err = healthcheck("--help")
    assert (rc, err) == (0, "") and out.startswith(
        "usage: tokentail healthcheck [flags]\n"), out
    rc, out, err = run_help()
    assert rc == 0 and "tokentail healthcheck [--url=URL]" in out, out


def run_help():
    r = subprocess.run([binary(), "--help"], capture_output=True, text=True)
    return r.returncode, r.stdout, r.stderr


def test_https_basic_auth():
    """TLS with a certificate of the test CA, and a user with a bcrypt
    password: refused without the password (401), accepted with it from
    a file or the environment, with --ca-file or --insecure-skip-verify."""
    with tempfile.TemporaryDirectory() as tmp:
        certs = os.path.join(tmp, "certs")
        subprocess.run([os.path.join(HERE, "certs", "mkcerts"), certs], check=True)
        hashed = crypt.crypt("s3cret", crypt.mksalt(crypt.METHOD_BLOWFISH, rounds=16))
        web = os.path.join(tmp, "web.yml")
        with open(web, "w") as f:
            f.write("tls_server_config:\n  cert_file: %s/server.crt\n"
                    "  key_file: %s/server.key\nbasic_auth_users:\n"
                    "  probe: '%s'\n" % (certs, certs, hashed))
        pwfile = os.path.join(tmp, "password")
        with open(pwfile, "w") as f:
            f.write("s3cret\n")
        t = Tokentail(write_config(tmp, CONFIG % tmp),
                      args=["--web.config.file=" + web])
        try:
            u = url(t, "https")
            ok = (0, "healthy: %s answered 200: healthy\n" % u, "")
            ca = "--ca-file=%s/ca.crt" % certs
            r = authed_healthcheck("--url=" + u, ca, "--basic-auth-user=probe",
                                   "--basic-auth-password-file=" + pwfile)
            assert r == ok, r
            r = authed_healthcheck("--url=" + u, "--insecure-skip-verify",
                                   "--basic-auth-user=probe",
                                   env={"TOKENTAIL_HEALTHCHECK_PASSWORD": "s3cret"})
            assert r == ok, r
            rc, out, err = healthcheck("--url=" + u, ca)
            assert (rc, out) == (1, "") and err.startswith(
                "unhealthy: %s answered 401" % u), err
            rc, out, err = healthcheck("--url=" + u, "--basic-auth-user=probe",
                                       "--basic-auth-password-file=" + pwfile)
            assert (rc, out) == (1, "") and err.startswith(
                "unreachable: %s: " % u), err
        finally:
            t.stop()


if __name__ == "__main__":
    main([test_healthy_then_stopped, test_degraded, test_timeout,
          test_usage_errors, test_https_basic_auth])
