"""--web.config.file: TLS with each client_auth_type, protocol versions and
a suite restriction checked with curl (a real client), basic auth with
bcrypt hashes of each prefix, /health made public, bad files reported at
file:line:column, and values scraped over TLS with authentication equal to
what the lines imply. Certificates are made fresh by certs/mkcerts."""
import base64
import concurrent.futures
import http.client
import os
import signal
import ssl
import subprocess
import sys
import tempfile
import time
import urllib.parse
import warnings

from harness import SLOW, Prometheus, Tokentail, main, poll, run, write_config

with warnings.catch_warnings():
    warnings.simplefilter("ignore", DeprecationWarning)
    import crypt  # libcrypt's bcrypt; the module Debian's Python 3.11 has

HERE = os.path.dirname(os.path.abspath(__file__))
CERTS = tempfile.mkdtemp(prefix="tokentail-certs-")
subprocess.run([os.path.join(HERE, "certs", "mkcerts"), CERTS], check=True)

CONFIG = """
inputs:
  - name: app
    paths: [%s/app.log]
    start_at: beginning
metrics:
  - name: requests_total
    type: counter
    labels: {path: endpoint}
"""

TLS = """
tls_server_config:
  cert_file: %s/server.crt
  key_file: %s/server.key
""" % (CERTS, CERTS)


def bcrypt(password, cost, prefix="$2b$"):
    """A bcrypt hash by libcrypt (Python's crypt module gives $2b$); $2a$
    and $2y$ name the same algorithm for such passwords, so the prefix is
    swapped."""
    h = crypt.crypt(password, crypt.mksalt(crypt.METHOD_BLOWFISH, rounds=1 << cost))
    return prefix + h[4:]


def curl(port, path="/metrics", cert=None, user=None, extra=()):
    """The HTTP status curl got, or 0 when TLS failed."""
    cmd = ["curl", "-sS", "-o", "/dev/null", "-w", "%{http_code}",
           "--max-time", str(10 * SLOW), "--cacert", CERTS + "/ca.crt"]
    if cert:
        cmd += ["--cert", "%s/%s.crt" % (CERTS, cert), "--key", "%s/%s.key" % (CERTS, cert)]
    if user:
        cmd += ["-u", user]
    cmd += list(extra) + ["https://127.0.0.1:%d%s" % (port, path)]
    r = subprocess.run(cmd, capture_output=True, text=True)
    return int(r.stdout or "0")


def start(tmp, web, args=()):
    cfg = write_config(tmp, CONFIG % tmp)
    open(os.path.join(tmp, "app.log"), "a").close()
    path = os.path.join(tmp, "web.yml")
    with open(path, "w") as f:
        f.write(web)
    return Tokentail(cfg, args=["--web.config.file=" + path] + list(args))


def test_client_auth_types():
    # What curl gets with no certificate, a good one, one from another CA.
    want = {
        "NoClientCert": (200, 200, 200),
        "RequestClientCert": (200, 200, 200),
        "RequireAnyClientCert": (0, 200, 200),
        "VerifyClientCertIfGiven": (200, 200, 0),
        "RequireAndVerifyClientCert": (0, 200, 0),
    }
    # The five daemons start side by side: under valgrind, starting is
    # most of the time.
    dirs = [tempfile.TemporaryDirectory() for _ in want]
    daemons = []
    try:
        def one(kind, tmp):
            ca = "" if kind in ("NoClientCert", "RequestClientCert",
                                "RequireAnyClientCert") \
                else "  client_ca_file: %s/ca.crt\n" % CERTS
            return start(tmp.name, TLS + "  client_auth_type: %s\n" % kind + ca)
        with concurrent.futures.ThreadPoolExecutor(len(want)) as pool:
            started = [pool.submit(one, kind, tmp) for kind, tmp in zip(want, dirs)]
            for f in started:  # every one collected, so none is left running
                try:
                    daemons.append(f.result())
                except Exception:
                    daemons.append(None)
        assert None not in daemons, "a daemon did not start"
        for (kind, codes), t in zip(want.items(), daemons):
            got = tuple(curl(t.port, cert=c) for c in (None, "client", "rogue"))
            assert got == codes, (kind, got, codes)
    finally:
        for t in daemons:
            if t is not None:
                t.stop()
        for tmp in dirs:
            tmp.cleanup()


def test_allowed_sans():
    with tempfile.TemporaryDirectory() as tmp:
        t = start(tmp, TLS + """  client_auth_type: RequireAndVerifyClientCert
  client_ca_file: %s/ca.crt
  client_allowed_sans: [prometheus.internal]
""" % CERTS)
        try:
            assert curl(t.port, cert="client") == 200
            assert curl(t.port, cert="client-other-san") == 0
            # Not "prometheus.internal": the name goes on after a NUL.
            assert curl(t.port, cert="client-nul-san") == 0
            assert curl(t.port, cert="rogue") == 0
        finally:
            t.stop()


def test_versions_and_suites():
    with tempfile.TemporaryDirectory() as tmp:
        t = start(tmp, TLS + "  min_version: TLS13\n")
        try:
            assert curl(t.port) == 200
            assert curl(t.port, extra=["--tls-max", "1.2"]) == 0
        finally:
            t.stop()
    with tempfile.TemporaryDirectory() as tmp:
        t = start(tmp, TLS + "  max_version: TLS12\n")
        try:
            assert curl(t.port) == 200
            assert curl(t.port, extra=["--tlsv1.3"]) == 0
        finally:
            t.stop()
    # One TLS 1.2 suite allowed; TLS 1.3 keeps its own, as in Go.
    with tempfile.TemporaryDirectory() as tmp:
        t = start(tmp, TLS + "  cipher_suites: [TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384]\n")
        try:
            tls12 = ["--tls-max", "1.2", "--ciphers"]
            assert curl(t.port, extra=tls12 + ["ECDHE-ECDSA-AES256-GCM-SHA384"]) == 200
            assert curl(t.port, extra=tls12 + ["ECDHE-ECDSA-AES128-GCM-SHA256"]) == 0
            assert curl(t.port, extra=tls12 + ["ECDHE-ECDSA-CHACHA20-POLY1305"]) == 0
            assert curl(t.port) == 200
        finally:
            t.stop()
    # Two suites: GnuTLS's priorities, made of their parts, also admit
    # ECDHE-ECDSA with AES-256-GCM, which neither names; such a connection
    # is closed before it is answered.
    with tempfile.TemporaryDirectory() as tmp:
        t = start(tmp, TLS + "  cipher_suites: [TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256, "
                  "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384]\n")
        try:
            tls12 = ["--tls-max", "1.2", "--ciphers"]
            assert curl(t.port, extra=tls12 + ["ECDHE-ECDSA-AES128-GCM-SHA256"]) == 200
            assert curl(t.port, extra=tls12 + ["ECDHE-ECDSA-AES256-GCM-SHA384"]) == 0
        finally:
            t.stop()


def test_plain_and_tls_do_not_mix():
    with tempfile.TemporaryDirectory() as tmp:
        t = start(tmp, TLS)
        try:
            status, _, body = t.request("/metrics")
            assert status == 400 and b"HTTPS" in body, (status, body)
        finally:
            t.stop()
    with tempfile.TemporaryDirectory() as tmp:
        t = start(tmp, "")  # an empty file: plain HTTP
        try:
            assert t.request("/metrics")[0] == 200
            assert curl(t.port) == 0
        finally:
            t.stop()


def test_basic_auth_variants():
    cost = 4
    users = {"a": bcrypt("pa", cost, "$2a$"), "b": bcrypt("pb", cost, "$2b$"),
             "y": bcrypt("py:with colon", cost, "$2y$")}
    web = "basic_auth_users:\n" + "".join("  %s: '%s'\n" % kv for kv in users.items()) + \
        "http_server_config:\n  headers:\n    X-Content-Type-Options: nosniff\n"
    with tempfile.TemporaryDirectory() as tmp:
        t = start(tmp, web, ["--web.public-health"])
        try:
            def get(path, user=None):
                h = {}
                if user:
                    h["Authorization"] = "Basic " + base64.b64encode(user.encode()).decode()
                # 429 while the bcrypt budget refills (several checks a
                # second under valgrind spend it): the answer that counts
                # comes after Retry-After, as a client honouring it sees.
                deadline = time.monotonic() + 30 * SLOW
                while True:
                    r = t.request(path, headers=h)
                    if r[0] != 429 or time.monotonic() > deadline:
                        return r
                    time.sleep(int(r[1]["Retry-After"]))
            for user, pw in (("a", "pa"), ("b", "pb"), ("y", "py:with colon")):
                status, headers, _ = get("/metrics", "%s:%s" % (user, pw))
                assert status == 200, (user, status)
                assert headers["X-Content-Type-Options"] == "nosniff"
                assert get("/metrics", "%s:wrong" % user)[0] == 401
            status, headers, _ = get("/metrics")
            assert status == 401
            assert headers["WWW-Authenticate"] == 'Basic realm="tokentail"', headers
            assert headers["X-Content-Type-Options"] == "nosniff"
            assert get("/metrics", "nobody:pa")[0] == 401
            assert get("/nowhere")[0] == 401  # every path, even unknown ones
            assert get("/api/v1/alerts")[0] == 401
            assert get("/health")[0] == 200  # --web.public-health
            assert get("/-/healthy")[:3:2] == (200, b"tokentail is healthy.\n")
            assert get("/")[0] == 401
        finally:
            t.stop()


def test_rate_limit():
    """rate_limit: burst requests at once, then one per interval; beyond it
    429 with Retry-After saying when the next token comes, the configured
    headers still sent."""
    web = ("rate_limit: {burst: 3, interval: 1h}\n"
           "http_server_config:\n  headers: {X-Frame-Options: sameorigin}\n")
    with tempfile.TemporaryDirectory() as tmp:
        t = start(tmp, web)
        try:
            got = [t.request("/health") for _ in range(5)]
            assert [g[0] for g in got] == [200, 200, 200, 429, 429], [g[0] for g in got]
            # the next token an hour after the first request, less the
            # time the requests took
            assert 3590 <= int(got[3][1]["Retry-After"]) <= 3600, got[3][1]
            assert got[3][1]["X-Frame-Options"] == "sameorigin"
        finally:
            t.stop()


def test_reload():
    """SIGHUP reads the web configuration again: a new user replaces the
    old at once, a bad file changes nothing and is logged at its line and
    column, and TLS turned on serves TLS to new connections."""
    with tempfile.TemporaryDirectory() as tmp:
        t = start(tmp, "basic_auth_users:\n  alice: '%s'\n" % bcrypt("a", 4))
        web = os.path.join(tmp, "web.yml")

        def status(user=None, path="/metrics"):
            h = {"Authorization": "Basic " + base64.b64encode(user.encode()).decode()} \
                if user else {}
            return t.request(path, headers=h)[0]

        def reload(text):
            with open(web, "w") as f:
                f.write(text)
            def ended():
                log = t.log()
                return log.count("configuration reloaded") + log.count("reload failed")
            n = ended()
            t.proc.send_signal(signal.SIGHUP)
            poll("the reload", lambda: ended() > n)
        try:
            assert status("alice:a") == 200
            reload("basic_auth_users:\n  bob: '%s'\n" % bcrypt("b", 4))
            assert status("bob:b") == 200
            assert status("alice:a") == 401
            reload("basic_auth_users:\n  bob: plain\n")
            assert "web.yml:2:8: basic_auth_users: bob: not a usable bcrypt hash" in t.log()
            assert status("bob:b") == 200  # the settings in force stay
            body = t.request("/metrics", headers={"Authorization": "Basic " +
                             base64.b64encode(b"bob:b").decode()})[2].decode()
            assert "tokentail_config_last_reload_successful 0" in body
            reload(TLS + "basic_auth_users:\n  bob: '%s'\n" % bcrypt("b", 4))
            assert status("bob:b") == 400  # plain HTTP while TLS is on
            assert curl(t.port, user="bob:b") == 200
            assert curl(t.port, user="alice:a") == 401
        finally:
            t.stop()


def test_bad_files():
    with tempfile.TemporaryDirectory() as tmp:
        cfg = write_config(tmp, CONFIG % tmp)
        web = os.path.join(tmp, "web.yml")
        with open(web, "w") as f:
            f.write("""tls_server_config:
  cert_file: %s/server.crt
  client_auth_type: RequireVerified
  min_version: TLS14
  cipher_suites: [TLS_FAST]
http_server_config:
  headers:
    Content-Type: text/html
    X-Frame-Options: allow
basic_auth_user:
  alice: x
""" % CERTS)
        rc, _, err = run(["--config.file=" + cfg, "--web.config.file=" + web,
                          "--check-config"])
        assert rc == 1, (rc, err)
        for want in ("web.yml:2:3: tls_server_config: missing one of key or key_file",
                     "web.yml:3:21: client_auth_type must be",
                     "web.yml:4:16: min_version must be TLS10, TLS11, TLS12 or TLS13",
                     "web.yml:5:19: cipher_suites: unknown cipher suite \"TLS_FAST\"",
                     "web.yml:8:5: http_server_config.headers: header \"Content-Type\" cannot be set",
                     "web.yml:9:22: http_server_config.headers: X-Frame-Options must be deny or sameorigin",
                     "web.yml:10:1: the web configuration: unknown key \"basic_auth_user\""):
            assert want in err, (want, err)
        with open(web, "w") as f:
            f.write("basic_auth_users:\n  alice: $2b$10$short\n")
        rc, _, err = run(["--config.file=" + cfg, "--web.config.file=" + web])
        assert rc == 1 and "web.yml:2:10: basic_auth_users: alice: not a usable bcrypt hash" in err, err
        with open(web, "w") as f:
            f.write(TLS.replace("server.key", "client.key"))
        rc, _, err = run(["--config.file=" + cfg, "--web.config.file=" + web])
        assert rc == 1 and "web.yml:3:14: the certificate and key cannot be used" in err, err


class TLSClient:
    """A kept-alive HTTPS connection with basic auth and a client cert."""

    def __init__(self, port, user):
        ctx = ssl.create_default_context(cafile=CERTS + "/ca.crt")
        ctx.load_cert_chain(CERTS + "/client.crt", CERTS + "/client.key")
        self.conn = http.client.HTTPSConnection("127.0.0.1", port, context=ctx,
                                                timeout=10 * SLOW)
        self.auth = "Basic " + base64.b64encode(user.encode()).decode()

    def get(self, path):
        self.conn.request("GET", path, headers={"Authorization": self.auth})
        r = self.conn.getresponse()
        return r.status, r.read()


def counts(body):
    out = {}
    for line in body.decode().splitlines():
        if line.startswith("requests_total{"):
            key, value = line.rsplit(" ", 1)
            out[key] = int(value)
    return out


def test_values_over_tls_with_auth():
    web = TLS + """  client_auth_type: RequireAndVerifyClientCert
  client_ca_file: %s/ca.crt
basic_auth_users:
  prometheus: '%s'
""" % (CERTS, bcrypt("s3cret", 4))
    with tempfile.TemporaryDirectory() as tmp:
        t = start(tmp, web)
        try:
            with open(os.path.join(tmp, "app.log"), "a") as f:
                for i in range(300):
                    f.write('{"endpoint": "/p%d"}\n' % (i % 3))
            c = TLSClient(t.port, "prometheus:s3cret")
            want = {'requests_total{path="/p%d"}' % i: 100 for i in range(3)}
            poll("300 lines", lambda: counts(c.get("/metrics")[1]) == want)
        finally:
            t.stop()


def test_wrong_password_burst():
    """200 wrong passwords, each another (so no cached failure settles
    them), four at a time from 127.0.0.2, while lines are written and a
    valid client scrapes from 127.0.0.1: every valid scrape is answered within a second, no line is
    lost, and the checks are counted by result. (Shorter under
    valgrind.)"""
    n_bad = 200 if SLOW == 1 else 20
    cost = 10 if SLOW == 1 else 4
    web = "basic_auth_users:\n  prometheus: '%s'\n" % bcrypt("right", cost)
    with tempfile.TemporaryDirectory() as tmp:
        t = start(tmp, web)
        log = open(os.path.join(tmp, "app.log"), "a")
        good = "Basic " + base64.b64encode(b"prometheus:right").decode()
        written = [0]
        slowest = [0.0]
        done = [False]

        def attack(i):
            bad = "Basic " + base64.b64encode(b"prometheus:wrong%d" % i).decode()
            conn = http.client.HTTPConnection("127.0.0.1", t.port, timeout=10 * SLOW,
                                              source_address=("127.0.0.2", 0))
            try:
                conn.request("GET", "/metrics", headers={"Authorization": bad})
                r = conn.getresponse()
                r.read()
                return r.status
            finally:
                conn.close()

        def scraper():
            while not done[0]:
                log.write('{"endpoint": "/x"}\n')
                log.flush()
                written[0] += 1
                start_t = time.monotonic()
                status = t.request("/metrics", headers={"Authorization": good})[0]
                slowest[0] = max(slowest[0], time.monotonic() - start_t)
                assert status == 200, status
        try:
            # The valid client has been seen before the burst: its success
            # is cached, which is what keeps it answered. (Its first check
            # runs bcrypt; on a busy machine one run at cost 10 can spend
            # its address's budget alone, and a burst would then add 429s
            # the client would retry past.)
            deadline = time.monotonic() + 30 * SLOW
            while t.request("/metrics", headers={"Authorization": good})[0] != 200:
                assert time.monotonic() < deadline, "the valid client is refused"
                time.sleep(1)  # Retry-After: 1
            with concurrent.futures.ThreadPoolExecutor(5) as pool:
                s = pool.submit(scraper)
                with concurrent.futures.ThreadPoolExecutor(4) as attackers:
                    codes = list(attackers.map(attack, range(n_bad)))
                done[0] = True
                s.result(timeout=30 * SLOW)
            assert set(codes) <= {401, 429}, set(codes)
            assert slowest[0] < 1.0 * SLOW, slowest[0]
            log.close()
            want = {'requests_total{path="/x"}': written[0]}
            poll("every line", lambda: counts(t.request(
                "/metrics", headers={"Authorization": good})[2]) == want)
            body = t.request("/metrics", headers={"Authorization": good})[2].decode()
            checks, auth = {}, {}
            for line in body.splitlines():
                if line.startswith("tokentail_http_auth_checks_total{"):
                    checks[line.split('"')[1]] = int(line.rsplit(" ", 1)[1])
                elif line.startswith("tokentail_http_auth_") and " " in line \
                        and not line.startswith("#"):
                    auth[line.split(" ")[0]] = line.split(" ")[1]
            ok = checks["ok"]
            assert checks == {"ok": ok, "missing": 0, "malformed": 0, "unknown_user": 0,
                              "wrong_password": codes.count(401),
                              "throttled": codes.count(429)}, (checks, codes)
            # Each wrong password is another, so each 401 took a bcrypt
            # run and no 429 did; of the valid requests (this one
            # included) only the first ran bcrypt, the cache settled the
            # rest.
            assert auth["tokentail_http_auth_bcrypt_runs_total"] == str(codes.count(401) + 1), auth
            assert auth["tokentail_http_auth_cache_hits_total"] == str(ok - 1), auth
            print("    %d wrong passwords: %s; slowest valid scrape %.3fs"
                  % (n_bad, {c: codes.count(c) for c in set(codes)}, slowest[0]))
        finally:
            t.stop()


PROMETHEUS = """
global:
  scrape_interval: 1s
scrape_configs:
  - job_name: basic
    scheme: https
    tls_config: {ca_file: %(certs)s/ca.crt}
    basic_auth: {username: prometheus, password: s3cret}
    static_configs: [{targets: ["127.0.0.1:%(port)d"]}]
  - job_name: mtls
    scheme: https
    tls_config:
      ca_file: %(certs)s/ca.crt
      cert_file: %(certs)s/client.crt
      key_file: %(certs)s/client.key
    basic_auth: {username: prometheus, password: s3cret}
    static_configs: [{targets: ["127.0.0.1:%(port)d"]}]
"""


def query(prom, q):
    doc = prom.get("/api/v1/query?query=" + urllib.parse.quote(q))
    return {tuple(sorted(m["metric"].items())): m["value"][1]
            for m in doc["data"]["result"]}


def test_prometheus_scrapes_over_tls():
    """A real Prometheus scrapes over TLS with basic auth, once without and
    once with a client certificate; what it stores is what the lines
    imply."""
    web = TLS + """  client_auth_type: VerifyClientCertIfGiven
  client_ca_file: %s/ca.crt
basic_auth_users:
  prometheus: '%s'
""" % (CERTS, bcrypt("s3cret", 4))
    with tempfile.TemporaryDirectory() as tmp:
        t = start(tmp, web)
        with open(os.path.join(tmp, "app.log"), "a") as f:
            for i in range(70):
                f.write('{"endpoint": "/p%d"}\n' % (i % 2))
        prom = Prometheus(tmp, PROMETHEUS % {"certs": CERTS, "port": t.port})
        try:
            inst = "127.0.0.1:%d" % t.port
            want = {}
            for job in ("basic", "mtls"):
                for path, n in (("/p0", "35"), ("/p1", "35")):
                    key = (("__name__", "requests_total"), ("instance", inst),
                           ("job", job), ("path", path))
                    want[key] = n
            poll("Prometheus' samples of both jobs",
                 lambda: query(prom, "requests_total") == want, 60)
            up = query(prom, "up")
            assert sorted(up.values()) == ["1", "1"], up
        finally:
            prom.stop()
            t.stop()

if __name__ == "__main__":
    if len(sys.argv) > 1:
        os.environ["TOKENTAIL"] = sys.argv[1]
    main([test_client_auth_types, test_allowed_sans, test_versions_and_suites,
          test_plain_and_tls_do_not_mix, test_basic_auth_variants, test_rate_limit, test_reload, test_bad_files,
          test_values_over_tls_with_auth, test_prometheus_scrapes_over_tls,
          test_wrong_password_burst])
