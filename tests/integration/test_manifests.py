"""examples/kubernetes/: the manifests agree with each other and with
tokentail. No cluster is needed: the checks are static, and each
workload's tokentail container is then run for real in a directory that
stands for its file system.

- Every file parses and kustomization.yaml lists every one of them.
- The ConfigMap holds the repository's exporter.yaml followed by
  `rule_files: [alerts.yml]`, and the pack's alerts.yml, byte for byte;
  the PrometheusRule's groups are the pack's; extracted to a file they
  pass `promtool check rules`, and the pack's unit tests pass on them
  under promtool and `tokentail --test-rules`.
- Each workload (the sidecar Deployment and the DaemonSet): selectors
  match the pod's labels; every volumeMount names a volume of the pod and
  every volume is mounted; the config volume is the ConfigMap, mounted
  read-only where the image's --config.file points; the state file is on
  a writable mount; every input glob of the configuration, expanded with
  the container's environment, lies under a read-only mount of the logs
  (written by the application in the sidecar's pod; the kubelet's
  /var/log/containers and /var/log/pods in the DaemonSet's); the probes
  ask the named port 8653 for /health (startup, readiness) and /
  (liveness); the security context is the one documented; every flag of
  the command line is one `tokentail --help` lists.
- The Service selects the sidecar's pods and its port `metrics` targets
  the container's port; the ServiceMonitor selects the Service and
  scrapes a port the Service names; the PodMonitor selects the
  DaemonSet's pods and scrapes a port their container names.
- Run: the entrypoint plus the container's args and environment, every
  absolute path moved under a temporary root, pass --check-config and
  then serve: a FlashCase line written where the application (or the
  kubelet, CRI-wrapped behind a /var/log/containers symlink) writes it is
  counted, the probes' paths answer 200, and the state file appears.
"""
import glob
import json
import os
import shutil
import subprocess
import tempfile

import yaml

from harness import DEFAULT_STATE, ROOT, Skip, Tokentail, main, poll, run

KUBE = os.path.join(ROOT, "examples", "kubernetes")
IMAGE = "tokentail:0.1.0"
# The image's ENTRYPOINT (Containerfile): the container's args follow it.
ENTRYPOINT = ["/usr/bin/tokentail", "--config.file=/etc/tokentail/exporter.yaml"]
PORT = 8653
UID = 65532  # the image's user


def manifests():
    """{file name: [documents]} of every YAML file."""
    out = {}
    for path in sorted(glob.glob(os.path.join(KUBE, "*.yaml"))):
        with open(path) as f:
            out[os.path.basename(path)] = [d for d in yaml.safe_load_all(f) if d]
    return out


def objects():
    """{(kind, name): object} of every manifest but the kustomization."""
    out = {}
    for name, docs in manifests().items():
        for d in docs:
            if d.get("kind") == "Kustomization":
                continue
            key = (d["kind"], d["metadata"]["name"])
            assert key not in out, "%s defined twice" % (key,)
            out[key] = d
    return out


def one(kind):
    found = [o for (k, _), o in objects().items() if k == kind]
    assert len(found) == 1, "%d %s" % (len(found), kind)
    return found[0]


def subset(small, big):
    return all(big.get(k) == v for k, v in small.items())


def read(*parts):
    with open(os.path.join(ROOT, *parts)) as f:
        return f.read()


# --- static checks -----------------------------------------------------------

def test_files():
    files = manifests()
    kust = files.pop("kustomization.yaml")[0]
    assert kust["kind"] == "Kustomization", kust
    assert sorted(kust["resources"]) == sorted(files), (kust["resources"], sorted(files))
    kinds = sorted(k for k, _ in objects())
    assert kinds == ["ConfigMap", "DaemonSet", "Deployment", "PodMonitor",
                     "PrometheusRule", "Service", "ServiceMonitor"], kinds
    for (kind, _), o in objects().items():
        group = o["apiVersion"].split("/")[0]
        if kind in ("PodMonitor", "PrometheusRule", "ServiceMonitor"):
            assert o["apiVersion"] == "monitoring.coreos.com/v1", o["apiVersion"]
        elif kind in ("Deployment", "DaemonSet"):
            assert o["apiVersion"] == "apps/v1", o["apiVersion"]
        else:
            assert o["apiVersion"] == "v1", (kind, group)


def test_configmap():
    cm = one("ConfigMap")
    assert sorted(cm["data"]) == ["alerts.yml", "exporter.yaml"], sorted(cm["data"])
    assert cm["data"]["exporter.yaml"] == read("exporter.yaml") + "rule_files: [alerts.yml]\n"
    assert cm["data"]["alerts.yml"] == read("examples", "flashcase", "alerts.yml")


def test_prometheus_rule():
    rule = one("PrometheusRule")
    pack = yaml.safe_load(read("examples", "flashcase", "alerts.yml"))
    assert rule["spec"] == {"groups": pack["groups"]}, "groups differ from the pack's"
    with tempfile.TemporaryDirectory() as d:
        with open(os.path.join(d, "alerts.yml"), "w") as f:
            yaml.safe_dump(rule["spec"], f)
        shutil.copy(os.path.join(ROOT, "examples", "flashcase", "alerts_test.yml"), d)
        p = subprocess.run(["promtool", "check", "rules", "alerts.yml"], cwd=d,
                           stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=60)
        n = sum(len(g["rules"]) for g in pack["groups"])
        assert p.returncode == 0 and (
            "SUCCESS: %d rules found" % n).encode() in p.stdout, p.stdout
        p = subprocess.run(["promtool", "test", "rules", "alerts_test.yml"], cwd=d,
                           stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=120)
        assert p.returncode == 0, p.stdout.decode()
        rc, out, err = run(["--test-rules", "alerts_test.yml"], cwd=d)
        assert rc == 0 and "SUCCESS" in out, (rc, out, err)


def workloads():
    """[(kind, pod template, tokentail container)] of the two workloads."""
    out = []
    for kind in ("Deployment", "DaemonSet"):
        w = one(kind)
        tpl = w["spec"]["template"]
        spec = tpl["spec"]
        found = [c for c in spec.get("initContainers", []) + spec["containers"]
                 if c["name"] == "tokentail"]
        assert len(found) == 1, kind
        out.append((kind, w, found[0]))
    return out


def mounts_of(container):
    return {m["mountPath"]: m for m in container.get("volumeMounts", [])}


def under(path, directory):
    return path == directory or path.startswith(directory.rstrip("/") + "/")


def flag(args, name):
    """The value of --name=VALUE in args (the last one, as tokentail takes)."""
    values = [a.split("=", 1)[1] for a in args if a.startswith("--" + name + "=")]
    assert values, "no --%s in %s" % (name, args)
    return values[-1]


def expand(text, env):
    """${VAR} and ${VAR:-default}, as tokentail expands them."""
    out, i = "", 0
    while i < len(text):
        if text.startswith("${", i):
            end = text.index("}", i)
            name, _, default = text[i + 2:end].partition(":-")
            out += env.get(name) or default
            i = end + 1
        else:
            out += text[i]
            i += 1
    return out


def input_globs(container):
    env = {e["name"]: e["value"] for e in container.get("env", [])}
    cfg = yaml.safe_load(one("ConfigMap")["data"]["exporter.yaml"])
    return [expand(p, env) for i in cfg["inputs"] for p in
            (i["paths"] if isinstance(i["paths"], list) else [i["paths"]])]


def check_pod(kind, w, c):
    tpl = w["spec"]["template"]
    spec = tpl["spec"]
    labels = tpl["metadata"]["labels"]
    assert subset(w["spec"]["selector"]["matchLabels"], labels), kind
    volumes = {v["name"]: v for v in spec["volumes"]}
    assert len(volumes) == len(spec["volumes"]), kind + ": a volume named twice"
    used = set()
    for x in spec.get("initContainers", []) + spec["containers"]:
        for m in x.get("volumeMounts", []):
            assert m["name"] in volumes, "%s/%s mounts %s, no such volume" % (
                kind, x["name"], m["name"])
            used.add(m["name"])
    assert used == set(volumes), "%s: volumes not mounted: %s" % (kind, set(volumes) - used)

    assert c["image"] == IMAGE, c["image"]
    assert "command" not in c, "the image's entrypoint names the config file"
    mounts = mounts_of(c)
    # The configuration: the ConfigMap, where --config.file points.
    config = flag(ENTRYPOINT + c.get("args", []), "config.file")
    cm = mounts[os.path.dirname(config)]
    assert cm["readOnly"] is True
    assert volumes[cm["name"]]["configMap"]["name"] == one("ConfigMap")["metadata"]["name"]
    assert os.path.basename(config) in one("ConfigMap")["data"]
    # The state: on a writable mount, a volume that outlives the container.
    state = flag(c["args"], "state.file")
    smount = [m for p, m in mounts.items() if under(state, p)]
    assert len(smount) == 1 and not smount[0].get("readOnly"), state
    svol = volumes[smount[0]["name"]]
    assert "emptyDir" in svol or "persistentVolumeClaim" in svol or "hostPath" in svol, svol
    # The logs: every glob under a read-only mount.
    for g in input_globs(c):
        m = [m for p, m in mounts.items() if under(g, p)]
        assert len(m) == 1 and m[0]["readOnly"] is True, (kind, g)
    # The port and the probes.
    assert c["ports"] == [{"name": "metrics", "containerPort": PORT, "protocol": "TCP"}]
    for probe, path in (("startupProbe", "/health"), ("readinessProbe", "/health"),
                        ("livenessProbe", "/-/healthy")):
        assert c[probe]["httpGet"] == {"path": path, "port": "metrics"}, (kind, probe)
    sc = c["securityContext"]
    assert sc["readOnlyRootFilesystem"] is True and sc["allowPrivilegeEscalation"] is False
    assert sc["capabilities"] == {"drop": ["ALL"]}
    assert "limits" in c["resources"] and "requests" in c["resources"]
    return volumes, mounts


def test_sidecar():
    kind, w, c = workloads()[0]
    spec = w["spec"]["template"]["spec"]
    volumes, mounts = check_pod(kind, w, c)
    # A native sidecar: an init container restarted always.
    assert c in spec["initContainers"] and c["restartPolicy"] == "Always"
    sc = c["securityContext"]
    assert sc["runAsNonRoot"] is True and sc["runAsUser"] == UID and sc["runAsGroup"] == UID
    assert spec["securityContext"]["runAsNonRoot"] is True
    assert spec["securityContext"]["fsGroup"] == UID
    # The application writes where tokentail reads.
    app = [x for x in spec["containers"] if x["name"] == "app"][0]
    for g in input_globs(c):
        ours = [m for p, m in mounts.items() if under(g, p)][0]
        theirs = [m for p, m in mounts_of(app).items() if under(g, p)]
        assert len(theirs) == 1 and theirs[0]["name"] == ours["name"], g
        assert theirs[0]["mountPath"] == ours["mountPath"] and not theirs[0].get("readOnly")
        assert "emptyDir" in volumes[ours["name"]]


def test_daemonset():
    kind, w, c = workloads()[1]
    spec = w["spec"]["template"]["spec"]
    volumes, mounts = check_pod(kind, w, c)
    assert input_globs(c) == ["/var/log/containers/*.log"]
    # The links and their targets, each at its own path on the node.
    for path in ("/var/log/containers", "/var/log/pods"):
        m = mounts[path]
        assert m["readOnly"] is True
        assert volumes[m["name"]]["hostPath"] == {"path": path, "type": "Directory"}
    state = mounts[os.path.dirname(flag(c["args"], "state.file"))]
    assert volumes[state["name"]]["hostPath"] == {
        "path": "/var/lib/tokentail", "type": "DirectoryOrCreate"}
    assert {"key": "node-role.kubernetes.io/control-plane", "operator": "Exists",
            "effect": "NoSchedule"} in spec["tolerations"]
    assert c["securityContext"]["runAsUser"] == 0


def test_image():
    """Where the Containerfile is, what the manifests assume of the image
    is what it says: the entrypoint, the user, the port, the state."""
    path = os.path.join(ROOT, "Containerfile")
    if not os.path.exists(path):
        raise Skip("no Containerfile in this tree")
    text = read("Containerfile").replace("\\\n", " ")
    assert "\nFROM " in text, "no FROM in the Containerfile"
    final = text[text.rindex("\nFROM "):]
    lines = [line.split(None, 1) for line in final.split("\n") if line.strip()]
    got = {k: v.strip() for k, v in (l for l in lines if len(l) == 2)}
    assert json.loads(got["ENTRYPOINT"]) == ENTRYPOINT, got["ENTRYPOINT"]
    assert got["USER"] in ("%d" % UID, "%d:%d" % (UID, UID)), got["USER"]
    assert got["EXPOSE"] == str(PORT), got["EXPOSE"]
    assert got["VOLUME"] in ("/var/lib/tokentail", '["/var/lib/tokentail"]')


def test_flags():
    rc, out, err = run(["--help"])
    assert rc == 0, err
    for kind, _, c in workloads():
        for a in ENTRYPOINT[1:] + c["args"]:
            assert a.startswith("--") and (" " + a.split("=")[0] + "=") in out, (kind, a)


def test_monitors():
    (_, dep, _), (_, ds, ds_c) = workloads()
    dep_labels = dep["spec"]["template"]["metadata"]["labels"]
    ds_labels = ds["spec"]["template"]["metadata"]["labels"]
    svc = one("Service")
    assert subset(svc["spec"]["selector"], dep_labels)
    assert not subset(svc["spec"]["selector"], ds_labels)
    assert svc["spec"]["ports"] == [{"name": "metrics", "port": PORT,
                                     "targetPort": PORT, "protocol": "TCP"}]
    sm = one("ServiceMonitor")
    assert subset(sm["spec"]["selector"]["matchLabels"], svc["metadata"]["labels"])
    names = {p["name"] for p in svc["spec"]["ports"]}
    for e in sm["spec"]["endpoints"]:
        assert e["port"] in names and e["path"] == "/metrics", e
    pm = one("PodMonitor")
    assert subset(pm["spec"]["selector"]["matchLabels"], ds_labels)
    assert not subset(pm["spec"]["selector"]["matchLabels"], dep_labels)
    ports = {p["name"] for p in ds_c["ports"]}
    for e in pm["spec"]["podMetricsEndpoints"]:
        assert e["port"] in ports and e["path"] == "/metrics", e
    for o in (sm, pm, one("PrometheusRule")):
        assert "release" in o["metadata"]["labels"], o["metadata"]["name"]


# --- the containers, run -----------------------------------------------------

LINE = {"timestamp": "2026-11-29T12:00:00.000Z", "endpoint": "/api/v1/ai/chat",
        "method": "POST", "status_code": 200, "duration_ms": 812.5,
        "function": "chat", "model": "grok-4-fast", "tokens_used": 1500,
        "cost_estimate": 0.0015}


def moved(root, text):
    """text with an absolute path moved under root."""
    return root + text if text.startswith("/") else text


def run_container(kind, c, write):
    """Runs c's command line under a temporary root standing for its file
    system; write(root) writes one line where the logs come from."""
    with tempfile.TemporaryDirectory() as root:
        for path in mounts_of(c):
            os.makedirs(root + path)
        config = root + flag(ENTRYPOINT, "config.file")
        for name, text in one("ConfigMap")["data"].items():
            with open(os.path.join(os.path.dirname(config), name), "w") as f:
                f.write(text)
        args = []
        for a in c["args"]:
            name, _, value = a.partition("=")
            args.append(name + "=" + moved(root, value) if value else a)
        env = {e["name"]: moved(root, e["value"]) for e in c.get("env", [])}
        rc, out, err = run(["--config.file=" + config, "--check-config"] + args, env=env)
        assert rc == 0, (kind, out, err)
        tt = Tokentail(config, args=args, env=env, state=DEFAULT_STATE, cwd=root)
        try:
            write(root)
            e = tt.wait_lines(1)
            assert e.value("llm_tokens_total", model="grok-4-fast") == "1500"
            assert e.value("http_requests_total", method="POST",
                           path="/api/v1/ai/chat", status="200") == "1"
            for probe in ("startupProbe", "readinessProbe", "livenessProbe"):
                status, _, _ = tt.request(c[probe]["httpGet"]["path"])
                assert status == 200, (kind, probe, status)
            state = root + flag(c["args"], "state.file")
            poll("the state file", lambda: os.path.exists(state), 10)
        finally:
            tt.stop()


def test_run_sidecar():
    kind, _, c = workloads()[0]

    def write(root):
        path = root + input_globs(c)[0].replace("*", "flashcase")
        with open(path, "w") as f:
            f.write(json.dumps(LINE) + "\n")
    run_container(kind, c, write)


def test_run_daemonset():
    kind, _, c = workloads()[1]

    def write(root):
        pod = root + "/var/log/pods/default_flashcase-7d4b9_0f3e/app"
        os.makedirs(pod)
        with open(pod + "/0.log", "w") as f:
            f.write("2026-11-29T12:00:00.123456789Z stdout F %s\n" % json.dumps(LINE))
        os.symlink(pod + "/0.log", root + "/var/log/containers/"
                   "flashcase-7d4b9_default_app-0f3e.log")
    run_container(kind, c, write)


if __name__ == "__main__":
    main([test_files, test_configmap, test_prometheus_rule, test_sidecar,
          test_daemonset, test_image, test_flags, test_monitors, test_run_sidecar,
          test_run_daemonset])
