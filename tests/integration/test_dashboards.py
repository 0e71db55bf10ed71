"""The Grafana dashboards: examples/<pack>/dashboard.json and
examples/grafana/tokentail.json.

One real Prometheus (Debian's prometheus) scrapes, every second, one
tokentail per pack, each on its pack's own exporter.yaml and on lines
written here in that system's log format (deterministic, so CI needs no
generator beside the repository). The lines come in two batches with
scrapes between them, so that rates and percentiles have something to
show. Then, for every dashboard:

* the JSON is a Grafana model that imports anywhere: schema 39, a stable
  uid, the tokentail tag, the data source a `${datasource}` variable on
  every panel and target, unique panel ids, panels inside the 24 columns
  and not overlapping, every target with an expression and a refId
  unique in its panel, units Grafana knows, and no variable that is not
  defined;
* every metric the expressions read is served by that pack's tokentail
  (the self-health dashboard's by the FlashCase instance, which also runs
  the pack's alert rules), and every label a matcher names is on it;
* every template variable's query returns values;
* every target's expression, with Grafana's variables substituted, parses
  and returns data from Prometheus as an instant query and as a range
  query, with at least one number that is not NaN, and every label its
  legend names is on every series it returns;
* a few panels whose values are exact (counters and budget gauges read
  as they are) equal what the lines imply.

Under valgrind (TOKENTAIL_SLOW > 1) only the FlashCase and AegisRAG packs
run, with fewer lines; the JSON checks still cover every dashboard.
"""
import json
import math
import os
import re
import tempfile
import time
import urllib.parse
from datetime import datetime, timezone
from decimal import Decimal

from harness import ROOT, SLOW, Prometheus, Tokentail, main, poll, write_config

GRAFANA_VARS = {
    # What Grafana puts in their place; the scrape interval is 1 s, and
    # Grafana's $__rate_interval is at least four of them.
    "$__rate_interval": "1m",
    "$__interval": "15s",
    "$__range": "5m",
}
UNITS = {"short", "none", "reqps", "ops", "s", "percent", "percentunit",
         "currencyUSD", "bytes", "Bps", "dateTimeFromNow"}
KEYWORDS = {"by", "without", "on", "ignoring", "group_left", "group_right",
            "bool", "offset", "and", "or", "unless", "Inf", "NaN", "inf", "nan"}
# Series Prometheus writes itself for every target it scrapes.
SCRAPE_SERIES = {"up", "scrape_duration_seconds", "scrape_samples_scraped"}

BATCH = 60 if SLOW <= 1 else 16  # lines per batch and pack


def now_text(fmt="%Y-%m-%dT%H:%M:%S.%fZ"):
    return datetime.now(timezone.utc).strftime(fmt)


def pick(seq, i, k=1):
    """The i-th element of seq, stepping k at a time: with lengths that
    share no factor, a batch covers every combination."""
    return seq[(i // k) % len(seq)]


# --- each system's lines, as its log writes them --------------------------------

def flashcase_line(i):
    ep = pick([("/api/v1/ai/chat", "POST", "chat"), ("/api/v1/ai/rewrite", "POST", "rewrite"),
               ("/api/v1/decks", "GET", None), ("/api/v1/health", "GET", None)], i)
    status = pick([200, 200, 201, 404, 500, 429, 200], i, 4)
    rec = {"timestamp": now_text(), "level": "INFO", "function": ep[2] or "http",
           "endpoint": ep[0], "method": ep[1], "status_code": status,
           "duration_ms": 20 + (i * 137) % 3000}
    if ep[2]:
        rec.update({"model": pick(["grok-4-fast", "gpt-4o-mini"], i, 2),
                    "tokens_used": 100 + (i * 61) % 900,
                    "cost_estimate": Decimal(1 + i % 7) / 10000})
    return rec


SCARLETT_KEYS = ["sk-live-4f9a8b7c6d5e4f3a2b1c", "sk-test-0123456789abcdefy123", "short1", None]


def scarlett_mask(key):
    if key is None:
        return "unknown"
    return "short_key" if len(key) <= 8 else key[:4] + "..." + key[-4:]


def scarlett_line(i):
    path = pick(["/v1/chat/completions", "/v1/chat/completions", "/v1/models"], i)
    status = pick([200, 200, 401, 500, 429], i, 3)
    key = pick(SCARLETT_KEYS, i)
    rec = {"time": now_text(), "level": "info", "msg": "request", "method":
           "POST" if path != "/v1/models" else "GET", "path": path, "status": status,
           "latency_ms": 5 + (i * 97) % 1500, "model": "qwen-turbo"}
    if key is not None:
        rec["api_key"] = key
    if path == "/v1/chat/completions" and status == 200:
        p, c = 100 + (i * 31) % 4000, 10 + (i * 17) % 1500
        rec["usage"] = {"prompt_tokens": p, "completion_tokens": c, "total_tokens": p + c}
    return rec


AEGIS = [("alibaba_cloud", "qwen-turbo"), ("alibaba_cloud", "qwen3-vl-30b-a3b-instruct"),
         ("openai", "gpt-4o-mini"), ("local_ollama", "llama3.2:8b")]


def aegis_line(i):
    provider, model = pick(AEGIS, i)
    local = provider == "local_ollama"
    return {"timestamp": now_text(), "event": "llm_call", "provider": provider,
            "model": model, "task_type": pick(["extraction", "generation", "vlm"], i, 4),
            "tokens_input": 200 + (i * 53) % 3000, "tokens_output": 50 + (i * 29) % 2000,
            "cost_usd": Decimal(0) if local else Decimal(100 + (i * 7919) % 40000) / 10**6,
            "latency_ms": 300 + (i * 211) % 6000}


def story23_line(i):
    op = pick(["chat_completion", "embedding", "rewrite"], i)
    outcome = pick(["success", "success", "rate_limit", "success", "timeout"], i, 3)
    rec = {"ts": now_text(), "level": "INFO", "logger": "src.ai.client",
           "event": "ai_request", "operation": op, "model": "gpt-4o",
           "status": "success" if outcome == "success" else "error",
           "duration_s": Decimal(5 + (i * 389) % 4000) / 1000}
    if outcome != "success":
        rec["error_type"] = outcome
    elif op == "embedding":
        rec["embedding_tokens"] = 100 + (i * 13) % 800
    else:
        rec["prompt_tokens"] = 100 + (i * 41) % 3000
        rec["completion_tokens"] = 20 + (i * 23) % 900
    return rec


def apiusage_line(i):
    status, detail = pick([(200, None), (200, None), (401, "Invalid API key"),
                           (429, "Rate limit exceeded for minute"), (500, None)], i)
    rec = {"timestamp": now_text(), "api_key_id": pick(["key_1", "key_2", None], i, 5),
           "endpoint": pick(["/api/v1/items", "/api/v1/search"], i, 2), "method": "GET",
           "status_code": status, "response_time": Decimal(50 + (i * 331) % 2900) / 1000}
    if detail:
        rec["detail"] = detail
    if rec["api_key_id"] is None:
        del rec["api_key_id"]
    return rec


def openai_line(i):
    model = pick(["gpt-4o-mini-2024-07-18", "gpt-4.1-2025-04-14"], i)
    p, c = 200 + (i * 37) % 5000, 10 + (i * 19) % 800
    return {"id": "chatcmpl-%d" % i, "object": "chat.completion", "created": int(time.time()),
            "model": model, "usage": {"prompt_tokens": p, "completion_tokens": c,
                                      "total_tokens": p + c,
                                      "prompt_tokens_details": {"cached_tokens": (p // 2) * (i % 2)}}}


def anthropic_line(i):
    model = pick(["claude-sonnet-4-5-20250929", "claude-haiku-4-5-20251001"], i)
    return {"id": "msg_%d" % i, "type": "message", "role": "assistant", "model": model,
            "stop_reason": pick(["end_turn", "max_tokens", "tool_use"], i, 2),
            "usage": {"input_tokens": 100 + (i * 43) % 3000, "output_tokens": 20 + (i * 7) % 900,
                      "cache_read_input_tokens": (i % 3) * 500,
                      "cache_creation_input_tokens": (i % 2) * 300}}


def litellm_line(i):
    end = time.time()
    start = end - (0.2 + (i * 0.137) % 8)
    bare = lambda t: datetime.fromtimestamp(t, timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%f")
    ok = i % 5 != 4
    rec = {"request_id": "chatcmpl-%d" % i, "model": pick(["gpt-4o", "claude-3-5-haiku"], i),
           "status": "success" if ok else "failure",
           "api_key": pick(["88dc28d0f030c55ed4ab77ed8faf098196cb1c05df778539800c9f1243fe6b4b",
                            "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"],
                           i, 2),
           "user": pick(["alice", "bob", ""], i, 3),
           "spend": Decimal(i % 9) / 10000 if ok else 0,
           "prompt_tokens": 100 + i % 700 if ok else 0,
           "completion_tokens": 10 + i % 300 if ok else 0,
           "startTime": bare(start), "endTime": bare(end)}
    if i % 2:
        rec["completionStartTime"] = bare(start + 0.05)
    return rec


def nginx_line(i):
    uri = pick(["/api/v1/chat/completions", "/api/v1/models", "/health", "/favicon.ico"], i)
    up = "" if uri in ("/health", "/favicon.ico") else "%.3f" % (0.01 + (i * 0.113) % 3)
    body = 100 + (i * 57) % 5000
    return {"time_iso8601": now_text("%Y-%m-%dT%H:%M:%S+00:00"), "remote_addr": "127.0.0.1",
            "request_method": pick(["GET", "POST", "PROPFIND"], i, 4), "uri": uri,
            "status": str(pick([200, 200, 404, 502, 499], i, 3)),
            "request_time": "%.3f" % (0.002 + (i * 0.097) % 4),
            "upstream_response_time": up, "body_bytes_sent": str(body),
            "bytes_sent": str(body + 180), "request_length": str(300 + i % 200),
            "http_user_agent": "curl/8.0"}


# pack: (line writer, input name); the self-health dashboard is checked
# against the first, which also evaluates its alert rules.
PACKS = {
    "flashcase": (flashcase_line, "app"),
    "aegisrag": (aegis_line, "aegis"),
    "scarlett": (scarlett_line, "scarlett"),
    "story23": (story23_line, "ai"),
    "apiusage": (apiusage_line, "api"),
    "openai": (openai_line, "openai"),
    "anthropic": (anthropic_line, "anthropic"),
    "litellm": (litellm_line, "litellm"),
    "nginx": (nginx_line, "nginx"),
}
SELF_PACK = "flashcase"


def running_packs():
    return list(PACKS) if SLOW <= 1 else ["flashcase", "aegisrag"]


def dump(rec):
    """A JSON line; Decimals written as the exact numbers they are."""
    text = json.dumps(rec, default=lambda d: "@@%s@@" % d)
    return re.sub(r'"@@([-0-9.E]+)@@"', r"\1", text) + "\n"


def dashboards():
    """[(pack or None, path)] of every dashboard in the repository."""
    out = [(None, os.path.join(ROOT, "examples", "grafana", "tokentail.json"))]
    for pack in sorted(os.listdir(os.path.join(ROOT, "examples"))):
        path = os.path.join(ROOT, "examples", pack, "dashboard.json")
        if os.path.exists(path):
            out.append((pack, path))
    return out


# --- the model -----------------------------------------------------------------

def targets(board):
    """[(panel, target)] of every panel that queries."""
    return [(p, t) for p in board["panels"] for t in p.get("targets", [])]


def check_model(pack, board):
    want_uid = "tokentail-" + (pack or "self")
    assert board["uid"] == want_uid, (board["uid"], want_uid)
    assert board["schemaVersion"] == 39 and board["id"] is None, board["uid"]
    assert "tokentail" in board["tags"] and board["title"], board["uid"]
    tvars = board["templating"]["list"]
    ds = [v for v in tvars if v["name"] == "datasource"]
    assert len(ds) == 1 and ds[0]["type"] == "datasource" and ds[0]["query"] == "prometheus"
    names = {v["name"] for v in tvars}
    assert len(names) == len(tvars), "two variables of one name"
    ids, boxes = set(), []
    for p in board["panels"]:
        where = "%s panel %r" % (board["uid"], p.get("title"))
        assert p["id"] not in ids, where + ": id used twice"
        ids.add(p["id"])
        g = p["gridPos"]
        assert g["x"] >= 0 and g["y"] >= 0 and g["w"] > 0 and g["h"] > 0, where
        assert g["x"] + g["w"] <= 24, where + ": beyond the 24 columns"
        for other, og in boxes:
            apart = (g["x"] + g["w"] <= og["x"] or og["x"] + og["w"] <= g["x"] or
                     g["y"] + g["h"] <= og["y"] or og["y"] + og["h"] <= g["y"])
            assert apart, "%s overlaps %r" % (where, other)
        boxes.append((p["title"], g))
        if p["type"] == "row":
            assert "targets" not in p and g["w"] == 24 and g["h"] == 1, where
            continue
        assert p["datasource"] == {"type": "prometheus", "uid": "${datasource}"}, where
        assert p["targets"], where + ": no target"
        unit = p["fieldConfig"]["defaults"].get("unit")
        assert unit in UNITS, "%s: unit %r" % (where, unit)
        refs = [t["refId"] for t in p["targets"]]
        assert len(set(refs)) == len(refs), where + ": refId used twice"
        for t in p["targets"]:
            assert t["expr"].strip() and t["refId"], where
            assert t["datasource"] == p["datasource"], where
            for v in re.findall(r"\$(\w+)", t["expr"]):
                assert v in names or "$" + v in GRAFANA_VARS, "%s: $%s undefined" % (where, v)


# --- expressions ---------------------------------------------------------------

def without_strings(expr):
    return re.sub(r'"(\\.|[^"\\])*"', '""', expr)


def metric_names(expr):
    """The metric names an expression reads: identifiers that are neither
    called (functions, aggregations) nor keywords, outside matchers,
    ranges and label lists."""
    e = re.sub(r"\{[^}]*\}", " ", without_strings(expr))
    e = re.sub(r"\[[^\]]*\]", " ", e)
    e = re.sub(r"\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)", " ", e)
    out = set()
    for m in re.finditer(r"(?<![\w.$])([A-Za-z_:][\w:]*)(\s*\()?", e):
        if not m.group(2) and m.group(1) not in KEYWORDS:
            out.add(m.group(1))
    return out


def selectors(expr):
    """[(metric, [label names its matchers test])]."""
    return [(m.group(1), re.findall(r"(\w+)\s*(?:=~|!~|!=|=)", m.group(2)))
            for m in re.finditer(r"([A-Za-z_:][\w:]*)\{([^}]*)\}", expr)]


def family_of(name, types):
    if name in types:
        return name
    for suffix in ("_bucket", "_sum", "_count"):
        base = name[:-len(suffix)]
        if name.endswith(suffix) and types.get(base) == "histogram":
            return base
    return None


def check_names(board, pack, exposition):
    """Every metric is served (or written by Prometheus' scrapes, for the
    self-health dashboard), and every label a matcher names is on it."""
    labels = {}
    for (name, ls) in exposition.samples:
        labels.setdefault(name, set()).update(k for k, _ in ls)
    for p, t in targets(board):
        for name in metric_names(t["expr"]):
            if pack is None and name in SCRAPE_SERIES:
                continue
            fam = family_of(name, exposition.types)
            assert fam, "%s %r: %s is not served by the %s pack" % (
                board["uid"], p["title"], name, pack or SELF_PACK)
        for name, used in selectors(t["expr"]):
            if name not in labels:
                continue  # no series now (no alert pending): labels unknown
            have = labels[name] | {"job", "instance"}
            for label in used:
                assert label in have, "%s %r: %s has no label %s (it has %s)" % (
                    board["uid"], p["title"], name, label, sorted(have))


def substitute(expr, values):
    for k in sorted(values, key=len, reverse=True):
        expr = expr.replace("${%s}" % k.lstrip("$"), values[k]).replace(k, values[k])
    assert "$" not in expr, expr
    return expr


# --- a run: several tokentails, one Prometheus -----------------------------------

class Run:
    def __init__(self, tmp, packs):
        self.tmp, self.packs = tmp, packs
        self.daemons, self.files, self.lines = {}, {}, {p: [] for p in packs}
        self.prom = None

    def start(self):
        for pack in self.packs:
            d = os.path.join(self.tmp, pack)
            os.mkdir(d)
            self.files[pack] = os.path.join(d, "app.log")
            open(self.files[pack], "w").close()
            config = os.path.join(ROOT, "examples", pack, "exporter.yaml")
            if pack == SELF_PACK:
                # Its alert rules too, evaluated every second, for the
                # self-health dashboard's rule panels.
                with open(config) as f:
                    text = f.read()
                text += "\nrule_files: [%s]\nalerting: {evaluation_interval: 1s}\n" % \
                    json.dumps(os.path.join(ROOT, "examples", pack, "alerts.yml"))
                config = write_config(d, text)
            self.daemons[pack] = Tokentail(config, env={
                "TOKENTAIL_LOG_PATH": os.path.join(d, "*.log")})
        jobs = "".join("  - job_name: %s\n    static_configs: [{targets: ['127.0.0.1:%d']}]\n"
                       % (p, t.port) for p, t in self.daemons.items())
        self.prom = Prometheus(self.tmp, "global:\n  scrape_interval: 1s\n"
                               "scrape_configs:\n" + jobs)

    def batch(self, start, n):
        for pack in self.packs:
            write, _ = PACKS[pack]
            recs = [write(i) for i in range(start, start + n)]
            self.lines[pack] += recs
            with open(self.files[pack], "a") as f:
                f.write("".join(dump(r) for r in recs))
        for pack, t in self.daemons.items():
            t.wait_lines(len(self.lines[pack]), PACKS[pack][1])

        def scraped():
            got = self.query("sum by (job) (tokentail_lines_read_total)", time.time())
            have = {s["metric"]["job"]: s["value"][1] for s in got}
            return all(have.get(p) == str(len(self.lines[p])) for p in self.packs)
        poll("Prometheus to scrape every line", scraped, 30)

    def query(self, expr, at):
        doc = self.prom.get("/api/v1/query?" + urllib.parse.urlencode(
            {"query": expr, "time": "%.3f" % at}))
        assert doc["status"] == "success", (expr, doc)
        return doc["data"]["result"]

    def query_range(self, expr, start, end):
        doc = self.prom.get("/api/v1/query_range?" + urllib.parse.urlencode(
            {"query": expr, "start": "%.3f" % start, "end": "%.3f" % end, "step": "1"}))
        assert doc["status"] == "success", (expr, doc)
        return doc["data"]["result"]

    def label_values(self, query, values):
        """The values of a label_values() variable query."""
        m = re.fullmatch(r"label_values\((?:(.*),\s*)?(\w+)\)", query.strip())
        assert m, query
        match = substitute(m.group(1) or "{__name__=~\".+\"}", values)
        doc = self.prom.get("/api/v1/series?" + urllib.parse.urlencode(
            {"match[]": match, "start": "%d" % (time.time() - 600)}))
        assert doc["status"] == "success", (query, doc)
        return sorted({s[m.group(2)] for s in doc["data"] if m.group(2) in s})

    def stop(self):
        """Stops everything it started, even when one of them fails to stop
        cleanly; then reports the first failure."""
        if self.prom:
            self.prom.stop()
        failure = None
        for t in self.daemons.values():
            try:
                t.stop()
            except AssertionError as e:
                failure = failure or e
        if failure:
            raise failure


def finite(v):
    return not math.isnan(float(v))


def check_queries(run, pack, board, started):
    """Every variable has values; every target parses, returns data and
    the labels its legend names. Returns {(panel title, refId): result}."""
    values = dict(GRAFANA_VARS)
    for v in board["templating"]["list"]:
        if v["type"] != "query":
            continue
        got = run.label_values(v["query"]["query"], values)
        assert got, "%s: variable %s has no values" % (board["uid"], v["name"])
        if v["name"] == "job" and pack is not None:
            assert pack in got, (board["uid"], got)
            values["$job"] = pack
        else:
            values["$" + v["name"]] = v.get("allValue") or got[0]
    answers = {}
    for p, t in targets(board):
        where = "%s %r %s" % (board["uid"], p["title"], t["refId"])
        expr = substitute(t["expr"], values)
        # The range ends at the instant queried, so both see the same samples.
        at = time.time()
        got = run.query(expr, at)
        assert got, where + ": no data for\n" + expr
        assert any(finite(s["value"][1]) for s in got), where + ": only NaN\n" + expr
        legend = re.findall(r"\{\{\s*(\w+)\s*\}\}", t.get("legendFormat", ""))
        for s in got:
            for label in legend:
                assert label in s["metric"], "%s: legend {{%s}} but %s" % (
                    where, label, s["metric"])
        ranged = run.query_range(expr, at - math.floor(at - started), at)
        assert any(finite(v) for s in ranged for _, v in s["values"]), \
            where + ": no range data for\n" + expr
        answers[(p["title"], t["refId"])] = got
    return answers


# --- exact values ----------------------------------------------------------------

def by_label(result, label):
    return {s["metric"].get(label, ""): s["value"][1] for s in result}


def exact_scarlett(lines, answers):
    reqs, tokens = {}, {}
    for r in lines:
        k = scarlett_mask(r.get("api_key"))
        reqs[k] = reqs.get(k, 0) + 1
        if "usage" in r:
            tokens[k] = tokens.get(k, 0) + r["usage"]["total_tokens"]
    got = by_label(answers[("Requests by API key", "A")], "api_key")
    assert got == {k: str(v) for k, v in reqs.items()}, (got, reqs)
    got = by_label(answers[("Tokens by API key", "A")], "api_key")
    assert got == {k: str(v) for k, v in tokens.items()}, (got, tokens)


def exact_aegisrag(lines, answers):
    limits = {"alibaba_cloud": 120, "openai": 80, "total": 200}
    want = {}
    for name, limit in limits.items():
        used = sum(r["cost_usd"] for r in lines if name in ("total", r["provider"]))
        ratio = (used / limit).quantize(Decimal("1e-12"), rounding="ROUND_HALF_EVEN")
        want[name] = 100 * float(ratio)
    got = {k: float(v) for k, v in by_label(answers[("Budget utilization", "A")],
                                             "budget").items()}
    assert got == want, (got, want)
    got = set(by_label(answers[("LLM cost by provider", "A")], "provider"))
    assert got == {p for p, _ in AEGIS}, got


def exact_story23(lines, answers):
    # The pricing table per 1k tokens; the counter holds each operation's
    # exact sum, Prometheus adds the operations' float64 values.
    price = {"prompt_tokens": Decimal("0.01"), "completion_tokens": Decimal("0.03"),
             "embedding_tokens": Decimal("0.0001")}
    cost = sum(r.get(k, 0) * p / 1000 for r in lines for k, p in price.items())
    got = answers[("Total cost", "A")]
    assert len(got) == 1 and abs(Decimal(got[0]["value"][1]) - cost) <= cost * Decimal("1e-15"), \
        (got, cost)
    got = set(by_label(answers[("Tokens by type", "A")], "type"))
    assert got == {"prompt", "completion", "embedding"}, got
    got = set(by_label(answers[("Errors by type", "A")], "error_type"))
    assert got == {"rate_limit", "timeout"}, got


def exact_self(run, answers):
    got = answers[("Files followed", "A")]
    assert [s["value"][1] for s in got] == [str(len(run.packs))], got
    got = answers[("Up", "A")], answers[("Up", "B")]
    assert [s["value"][1] for s in got[0]] == [str(len(run.packs))], got
    assert [s["value"][1] for s in got[1]] == [str(len(run.packs))], got
    assert [s["value"][1] for s in answers[("Configuration", "A")]] == ["1"]


def exact_flashcase(lines, answers):
    models = {r["model"] for r in lines if "model" in r}
    for panel in ("Cost per model", "Cost per model in range", "Tokens per hour"):
        got = set(by_label(answers[(panel, "A")], "model"))
        assert got == models, (panel, got, models)
    got = by_label(answers[("Request rate by endpoint", "A")], "path")
    assert set(got) == {r["endpoint"] for r in lines}, got


EXACT = {"scarlett": exact_scarlett, "aegisrag": exact_aegisrag, "story23": exact_story23,
         "flashcase": exact_flashcase}


# --- the tests -----------------------------------------------------------------

def test_models():
    """Every dashboard is a sound Grafana model; those of the five seed
    systems, the other packs and tokentail itself all exist."""
    found = {pack for pack, _ in dashboards()}
    assert found == set(PACKS) | {None}, found
    uids = set()
    for pack, path in dashboards():
        with open(path) as f:
            board = json.load(f)
        check_model(pack, board)
        assert board["uid"] not in uids
        uids.add(board["uid"])


def test_queries():
    with tempfile.TemporaryDirectory() as tmp:
        run = Run(tmp, running_packs())
        try:
            run.start()
            started = time.time()
            run.batch(0, BATCH)
            run.batch(BATCH, BATCH)
            for pack, path in dashboards():
                if (pack or SELF_PACK) not in run.packs:
                    continue
                with open(path) as f:
                    board = json.load(f)
                check_names(board, pack, run.daemons[pack or SELF_PACK].scrape())
                answers = check_queries(run, pack, board, started)
                if pack is None:
                    exact_self(run, answers)
                elif pack in EXACT:
                    EXACT[pack](run.lines[pack], answers)
        finally:
            run.stop()


if __name__ == "__main__":
    main([test_models, test_queries])
