"""examples/compose/: the stack's files agree with each other, checked
offline (no image can be pulled here; test_fleet.py runs the same
Prometheus and Alertmanager files with Debian's binaries).

- compose.yaml parses; every file or directory it mounts, and the
  Containerfile it builds tokentail from, exists; every named volume is
  declared.
- The configurations are valid as mounted: `promtool check config` on
  prometheus.yml (its rule_files glob resolved through the mounts, so the
  rule files are checked too), `promtool check rules` on the pack's
  alerts.yml, `amtool check-config` on alertmanager.yml, and
  `tokentail --check-config` on the exporter.yaml tokentail mounts, with
  its environment and flags.
- Host names and ports agree: every target in prometheus.yml and
  Grafana's data source URL names a compose service and a port it
  publishes; the log writer writes where tokentail's glob reads, on the
  same volume, which tokentail mounts read-only; tokentail's state is on
  a writable volume of its own.
- Grafana's dashboard provider reads the directory where the dashboards
  are mounted; each dashboard is JSON and names its Prometheus data
  source by the provisioned uid or by a variable offering it.
"""
import fnmatch
import json
import os
import shutil
import subprocess
import tempfile
import urllib.parse

import yaml

from harness import ROOT, main, run

COMPOSE = os.path.join(ROOT, "examples", "compose")
SERVICES = {"loggen", "tokentail", "prometheus", "alertmanager", "grafana"}
# The image's ENTRYPOINT (Containerfile): compose's command follows it.
ENTRYPOINT = ["/usr/bin/tokentail", "--config.file=/etc/tokentail/exporter.yaml"]


def compose():
    with open(os.path.join(COMPOSE, "compose.yaml")) as f:
        return yaml.safe_load(f)


def mounts(service):
    """[(source, target, read_only)]; source is a host path for a bind
    mount (resolved from compose.yaml's directory), else a volume name."""
    out = []
    for v in compose()["services"][service].get("volumes", []):
        parts = v.split(":")
        src, dst = parts[0], parts[1]
        if src.startswith((".", "/")):
            src = os.path.normpath(os.path.join(COMPOSE, src))
        out.append((src, dst, len(parts) > 2 and "ro" in parts[2].split(",")))
    return out


def host_path(service, path):
    """The host file behind path in service, through its bind mounts."""
    for src, dst, _ in mounts(service):
        if os.path.isabs(src) and (path == dst or path.startswith(dst + "/")):
            return src + path[len(dst):]
    raise AssertionError("%s: nothing mounted at %s" % (service, path))


def published(service):
    """The container ports service publishes."""
    return {int(p.split(":")[-1]) for p in compose()["services"][service].get("ports", [])}


def tool(*args, cwd=None):
    p = subprocess.run(list(args), cwd=cwd, stdout=subprocess.PIPE,
                       stderr=subprocess.STDOUT, timeout=120)
    return p.returncode, p.stdout.decode("utf-8", "replace")


def flag(args, name):
    values = [a.split("=", 1)[1] for a in args if a.startswith("--" + name + "=")]
    assert values, "no --%s in %s" % (name, args)
    return values[-1]


def test_files():
    c = compose()
    assert set(c["services"]) == SERVICES, sorted(c["services"])
    declared = set(c.get("volumes") or {})
    named = set()
    for s in SERVICES:
        for src, dst, _ in mounts(s):
            if os.path.isabs(src):
                assert os.path.exists(src), "%s mounts %s, which does not exist" % (s, src)
            else:
                named.add(src)
    assert named == declared, (named, declared)
    build = c["services"]["tokentail"]["build"]
    context = os.path.normpath(os.path.join(COMPOSE, build["context"]))
    assert context == ROOT, context
    assert os.path.exists(os.path.join(context, build["dockerfile"])), (
        "compose builds tokentail from %s, which does not exist"
        % os.path.join(context, build["dockerfile"]))


def test_prometheus():
    prom = compose()["services"]["prometheus"]
    path = host_path("prometheus", flag(prom["command"], "config.file"))
    with open(path) as f:
        cfg = yaml.safe_load(f)
    # The rule files: those mounted where the rule_files glob looks.
    assert len(cfg["rule_files"]) == 1, cfg["rule_files"]
    mounted = [src for src, dst, _ in mounts("prometheus")
               if fnmatch.fnmatch(dst, cfg["rule_files"][0])]
    assert mounted == [os.path.join(ROOT, "examples", "flashcase", "alerts.yml")], mounted
    for r in mounted:
        rc, out = tool("promtool", "check", "rules", r)
        assert rc == 0 and "SUCCESS" in out, out
    with tempfile.TemporaryDirectory() as d:
        cfg["rule_files"] = mounted
        local = os.path.join(d, "prometheus.yml")
        with open(local, "w") as f:
            yaml.safe_dump(cfg, f)
        rc, out = tool("promtool", "check", "config", local)
        assert rc == 0 and "SUCCESS: 1 rule files found" in out, out
    # Every target is a service and a port it serves.
    targets = [t for sc in cfg["scrape_configs"] for s in sc["static_configs"]
               for t in s["targets"]]
    targets += [t for am in cfg["alerting"]["alertmanagers"]
                for s in am["static_configs"] for t in s["targets"]]
    assert targets == ["tokentail:8653", "localhost:9090", "alertmanager:9093"], targets
    for t in targets:
        host, port = t.rsplit(":", 1)
        service = "prometheus" if host == "localhost" else host
        assert int(port) in published(service), t
    assert cfg["global"]["external_labels"] == {"monitor": "flashcase"}


def test_alertmanager():
    am = compose()["services"]["alertmanager"]
    path = host_path("alertmanager", flag(am["command"], "config.file"))
    rc, out = tool("amtool", "check-config", path)
    assert rc == 0 and "SUCCESS" in out, out


def test_tokentail():
    tt = compose()["services"]["tokentail"]
    args = ENTRYPOINT[1:] + tt["command"]
    env = dict(tt["environment"])
    config = host_path("tokentail", flag(args, "config.file"))
    assert config == os.path.join(ROOT, "exporter.yaml"), config
    ms = {dst: (src, ro) for src, dst, ro in mounts("tokentail")}
    # The logs: the writer's volume, read-only here, under the glob.
    gen = compose()["services"]["loggen"]
    out = gen["command"][gen["command"].index("--output") + 1]
    glob_ = env["TOKENTAIL_LOG_PATH"]
    assert fnmatch.fnmatch(out, glob_), (out, glob_)
    logdir = os.path.dirname(glob_)
    gen_ms = {dst: src for src, dst, _ in mounts("loggen")}
    assert ms[logdir] == (gen_ms[os.path.dirname(out)], True), (ms, gen_ms)
    assert host_path("loggen", gen["command"][1]) == os.path.join(
        ROOT, "examples", "demo", "loggen.py")
    # The state: a writable volume of its own.
    state = flag(args, "state.file")
    volume, ro = ms[os.path.dirname(state)]
    assert not ro and not os.path.isabs(volume), (volume, ro)
    assert all(volume != src for s in SERVICES - {"tokentail"} for src, _, _ in mounts(s))
    assert 8653 in published("tokentail")
    # The configuration and flags as tokentail takes them, paths moved
    # into a temporary directory.
    with tempfile.TemporaryDirectory() as d:
        local_env = {"TOKENTAIL_LOG_PATH": d + glob_}
        local = [a for a in args if not a.startswith(("--config.file=", "--state.file="))]
        rc, out, err = run(["--config.file=" + config, "--check-config",
                            "--state.file=" + d + state] + local, env=local_env)
        assert rc == 0, (out, err)


def test_grafana():
    g = compose()["services"]["grafana"]
    prov = host_path("grafana", "/etc/grafana/provisioning")
    with open(os.path.join(prov, "datasources", "prometheus.yaml")) as f:
        ds = yaml.safe_load(f)["datasources"]
    assert len(ds) == 1 and ds[0]["type"] == "prometheus", ds
    url = urllib.parse.urlsplit(ds[0]["url"])
    assert url.hostname in SERVICES and url.port in published(url.hostname), url
    uid = ds[0]["uid"]
    with open(os.path.join(prov, "dashboards", "tokentail.yaml")) as f:
        providers = yaml.safe_load(f)["providers"]
    assert len(providers) == 1 and providers[0]["type"] == "file", providers
    directory = providers[0]["options"]["path"]
    dashboards = [(src, dst) for src, dst, _ in mounts("grafana")
                  if os.path.dirname(dst) == directory]
    assert sorted(os.path.basename(d) for _, d in dashboards) == [
        "flashcase.json", "tokentail.json"], dashboards
    assert g["environment"]["GF_DASHBOARDS_DEFAULT_HOME_DASHBOARD_PATH"] in [
        d for _, d in dashboards]
    for src, _ in dashboards:
        with open(src) as f:
            doc = json.load(f)
        assert doc.get("title"), src

        def walk(x):
            if isinstance(x, dict):
                d = x.get("datasource")
                if isinstance(d, dict) and d.get("type") == "prometheus":
                    assert d["uid"] == uid or d["uid"].startswith("$"), (src, d)
                for v in x.values():
                    walk(v)
            elif isinstance(x, list):
                for v in x:
                    walk(v)
        walk(doc)
        # A data source variable offers the data sources of its type.
        for v in doc.get("templating", {}).get("list", []):
            if v.get("type") == "datasource":
                assert v["query"] == ds[0]["type"], (src, v)
    assert shutil.which("promtool"), "promtool (Debian: prometheus)"


if __name__ == "__main__":
    main([test_files, test_prometheus, test_alertmanager, test_tokentail,
          test_grafana])
