"""Bad HTTP clients: idle and slow connections, oversized headers, garbage,
pipelining. Scrapes from another address keep answering, tailing never
stops, and every bad request gets a 4xx."""
import os
import socket
import tempfile
import threading
import time

from harness import SLOW, Tokentail, default_config, main, poll

LINE = b'{"endpoint": "/x", "method": "GET", "status_code": 200, "duration_ms": 5}\n'


def raw(port, data, source="127.0.0.1"):
    """Sends data on a fresh connection; returns every byte the server sends
    back before it closes (or stops talking for the timeout)."""
    s = socket.socket()
    s.settimeout(10 * SLOW)
    s.bind((source, 0))
    s.connect(("127.0.0.1", port))
    try:
        try:
            s.sendall(data)
        except (BrokenPipeError, ConnectionResetError):
            pass  # it answered and closed before reading everything
        out = b""
        while True:
            try:
                chunk = s.recv(65536)
            except ConnectionResetError:
                break
            if not chunk:
                break
            out += chunk
        return out
    finally:
        s.close()


def statuses(response):
    """The status codes of the responses in a byte stream, in order."""
    codes, at = [], 0
    while True:
        i = response.find(b"HTTP/1.1 ", at)
        if i < 0:
            return codes
        codes.append(int(response[i + 9:i + 12]))
        head_end = response.index(b"\r\n\r\n", i)
        length = 0
        for h in response[i:head_end].split(b"\r\n")[1:]:
            name, _, value = h.partition(b":")
            if name.strip().lower() == b"content-length":
                length = int(value)
        at = head_end + 4 + length


def still_open(socks):
    """The sockets the server has not closed (an answer it sent before
    closing is read and dropped)."""
    out = []
    for s in socks:
        try:
            while s.recv(65536, socket.MSG_DONTWAIT):
                pass
        except BlockingIOError:
            out.append(s)  # nothing more to read, and not closed
        except OSError:
            pass  # reset, or never connected
    return out


def started(tmp):
    log = os.path.join(tmp, "app.log")
    open(log, "wb").close()
    t = Tokentail(default_config(), env={"TOKENTAIL_LOG_PATH": os.path.join(tmp, "*.log")})
    poll("the log followed", lambda: t.scrape().value(
        "tokentail_files_watched", input="app") == "1")
    return t, log


def test_slow_and_idle_clients():
    """300 connections from 127.0.0.2, half idle and half sending a header
    a byte at a time, while scrapes from 127.0.0.1 answer within 1 s and
    lines written meanwhile are all counted."""
    with tempfile.TemporaryDirectory() as tmp:
        t, log = started(tmp)
        socks, stop = [], threading.Event()
        try:
            for i in range(300):
                s = socket.socket()
                s.setblocking(False)
                s.bind(("127.0.0.2", 0))
                try:
                    s.connect(("127.0.0.1", t.port))
                except BlockingIOError:
                    pass
                socks.append(s)

            def slowloris():
                # The odd sockets send a request line, then every 50 ms one
                # more byte of an endless header; the pause is the attack's
                # pace, not a wait. The even ones send nothing.
                first = b"GET /metrics HTTP/1.1\r\n"
                header = first + b"Host: x\r\nX-Slow: " + b"a" * 100000
                for s in socks[1::2]:
                    try:
                        s.send(first)
                    except OSError:
                        pass
                k = len(first)
                while not stop.wait(0.05) and k < len(header):
                    for s in socks[1::2]:
                        try:
                            s.send(header[k:k + 1])
                        except OSError:
                            pass  # closed by the server: that is the defence
                    k += 1
            th = threading.Thread(target=slowloris)
            th.start()
            written, scrapes, worst = 0, 0, 0.0
            end = time.monotonic() + 2
            try:
                # Scrapes for two seconds of the attack (at most 400).
                with open(log, "ab", buffering=0) as f:
                    while scrapes < 400 and (scrapes < 20 or time.monotonic() < end):
                        f.write(LINE * 50)
                        written += 50
                        start = time.monotonic()
                        t.scrape()
                        worst = max(worst, time.monotonic() - start)
                        scrapes += 1
                    assert worst < 1.0 * SLOW, "a scrape took %.3f s" % worst
                # At most 16 connections from one address wait for their
                # request line and 16 more are served; the rest are closed.
                poll("connections over the limits closed",
                     lambda: len(still_open(socks)) <= 32)
                assert len(still_open(socks)) >= 16
            finally:
                stop.set()
                th.join()
            e = t.wait_lines(written)
            assert e.value("http_requests_total", method="GET", path="/x",
                           status="200") == str(written)
            status, _, _ = t.request("/health")
            assert status == 200
        finally:
            for s in socks:
                s.close()
            t.stop()


def test_bad_requests():
    with tempfile.TemporaryDirectory() as tmp:
        t, log = started(tmp)
        try:
            # A 200 KB header: more than a connection may hold.
            big = raw(t.port, b"GET /metrics HTTP/1.1\r\nHost: x\r\nX-Big: " +
                      b"b" * 200000 + b"\r\n\r\n")
            assert statuses(big) == [431], big[:200]
            # Garbage instead of a request line.
            junk = raw(t.port, b"\x00\x01\x02 garbage \xff\xfe\r\n\r\n")
            assert statuses(junk) == [400], junk[:200]
            junk = raw(t.port, b"GET\r\n\r\n")
            assert statuses(junk) == [400], junk[:200]
            # An unknown HTTP version.
            junk = raw(t.port, b"GET /metrics HTTP/9.9\r\nHost: x\r\n\r\n")
            assert statuses(junk) == [505], junk[:200]
            # A body where none belongs, and a method that is not allowed.
            post = raw(t.port, b"POST /metrics HTTP/1.1\r\nHost: x\r\n"
                       b"Content-Length: 3\r\nConnection: close\r\n\r\nx=1")
            assert statuses(post) == [405], post[:200]
            # Three requests in one write: three answers, in order.
            piped = raw(t.port, b"GET /health HTTP/1.1\r\nHost: x\r\n\r\n"
                        b"GET /nope HTTP/1.1\r\nHost: x\r\n\r\n"
                        b"GET /metrics HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
            assert statuses(piped) == [200, 404, 200], piped[:300]
            assert b"# TYPE http_requests_total counter" in piped
            # Still tailing, still serving.
            with open(log, "ab") as f:
                f.write(LINE * 7)
            e = t.wait_lines(7)
            assert e.value("http_requests_total", method="GET", path="/x",
                           status="200") == "7"
            # Counted: the two 400s and the 404 under "other", the 405 under
            # its path; not the 431 and 505 libmicrohttpd sent itself.
            assert e.value("tokentail_http_responses_total", path="other",
                           code="4xx") == "3"
            assert e.value("tokentail_http_responses_total", path="/metrics",
                           code="4xx") == "1"
        finally:
            t.stop()


if __name__ == "__main__":
    main([test_slow_and_idle_clients, test_bad_requests])
