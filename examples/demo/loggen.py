#!/usr/bin/env python3
"""Writes FlashCase-style production JSON logs, for the demo and the tests.

One JSON object per line, as the FlashCase monitoring guide shows them:
request lines (endpoint, method, status_code, duration_ms) and, for AI
calls that succeed, tokens_used, model and cost_estimate.

  loggen.py -o app.log --rate 50          # 50 lines a second until stopped
  loggen.py -o app.log --count 10000      # as fast as possible, then exit
  loggen.py --count 5 --seed 7            # deterministic lines on stdout
"""
import argparse
import json
import random
import sys
import time

ENDPOINTS = [("/api/v1/ai/chat", "POST", "chat"),
             ("/api/v1/ai/rewrite", "POST", "rewrite"),
             ("/api/v1/ai/autocomplete", "POST", "autocomplete"),
             ("/api/v1/decks", "GET", None), ("/api/v1/decks", "POST", None),
             ("/api/v1/health", "GET", None), ("/api/v1/cards/17", "DELETE", None)]
MODELS = ["grok-4-fast", "gpt-4o-mini", "qwen-turbo"]
STATUSES = [200] * 30 + [201] * 4 + [400, 401, 404, 429, 500, 503]


def line(r, now):
    ep, method, op = r.choice(ENDPOINTS)
    status = r.choice(STATUSES)
    rec = {
        "timestamp": time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(now))
                     + ".%03dZ" % int(now * 1000 % 1000),
        "level": "ERROR" if status >= 500 else "INFO",
        "logger": "app.routers." + ("ai" if op else "decks"),
        "message": ("AI %s request completed" % op) if op else "Request completed",
        "module": "ai" if op else "decks",
        "function": op or "handler",
        "line": 123,
        "user_id": "user_%d" % r.randint(1, 40),
        "endpoint": ep,
        "method": method,
        "status_code": status,
        "duration_ms": round(r.lognormvariate(6.5 if op else 3.2, 0.7), 1),
    }
    if op and status == 200:
        tokens = r.randint(40, 2400)
        rec.update({"tokens_used": tokens, "model": r.choice(MODELS),
                    "cost_estimate": round(tokens * 0.000001 * r.choice([1, 2, 5]), 7)})
    return json.dumps(rec) + "\n"


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("-o", "--output", default="-", help="file to append to (- for stdout)")
    ap.add_argument("--rate", type=float, default=0, help="lines per second (0: as fast as possible)")
    ap.add_argument("--count", type=int, default=0, help="stop after this many lines (0: never)")
    ap.add_argument("--seed", type=int, default=None)
    a = ap.parse_args()
    if a.rate <= 0 and a.count <= 0:
        ap.error("give --rate, --count or both")
    r = random.Random(a.seed)
    out = sys.stdout if a.output == "-" else open(a.output, "a", buffering=1)
    start = time.time()
    fixed_clock = a.seed is not None and a.rate <= 0
    n = 0
    try:
        while a.count <= 0 or n < a.count:
            now = 1761061342 + n / 50 if fixed_clock else time.time()
            out.write(line(r, now))
            n += 1
            if a.rate > 0:
                ahead = start + n / a.rate - time.time()
                if ahead > 0:
                    out.flush()
                    time.sleep(ahead)
    except (KeyboardInterrupt, BrokenPipeError):
        pass
    finally:
        try:
            out.flush()
        except BrokenPipeError:
            pass


if __name__ == "__main__":
    main()
