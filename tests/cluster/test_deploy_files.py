"""The deployment files, checked without deploying: Kubernetes manifests by kubernetes-validate, the Compose
file by the Compose specification's schema (check-jsonschema), HAProxy's configuration by ``haproxy -c``;
and what they must agree on with the server (ports, timeouts, probes)."""

from __future__ import annotations

import re
import subprocess
import sys

import kubernetes_validate
import yaml
from prometheus_client import generate_latest

from tests.server_process import ROOT
from whisper_live.server.cli import build_parser
from whisper_live.server.ops.metrics import Metrics

DEPLOY = ROOT / "deploy"
HAPROXY_CFG = DEPLOY / "haproxy" / "haproxy.cfg"


def flag(args: list[str], name: str) -> str:
    return args[args.index(name) + 1]


def seconds(duration: str) -> float:
    value, unit = re.fullmatch(r"(\d+)(ms|s|m)?", duration).groups()
    return int(value) * {"ms": 0.001, "s": 1, "m": 60, None: 1}[unit]


def k8s_documents() -> dict[str, dict]:
    docs = {}
    for path in sorted((DEPLOY / "k8s").glob("*.yaml")):
        for doc in yaml.safe_load_all(path.read_text()):
            docs[doc["kind"]] = doc
    return docs


def test_kubernetes_manifests_are_valid_in_strict_mode():
    docs = k8s_documents()
    assert {"Deployment", "PodDisruptionBudget", "Service", "Ingress", "HorizontalPodAutoscaler"} <= set(docs)
    for doc in docs.values():
        kubernetes_validate.validate(doc, kubernetes_validate.latest_version(), strict=True)


def test_a_broken_manifest_is_rejected():
    deployment = k8s_documents()["Deployment"]
    deployment["spec"]["template"]["spec"]["containers"][0]["readinessProbe"]["httpGett"] = {}
    try:
        kubernetes_validate.validate(deployment, kubernetes_validate.latest_version(), strict=True)
    except kubernetes_validate.ValidationError:
        return
    raise AssertionError("kubernetes-validate accepted an unknown field")


def test_pods_are_probed_on_ready_and_health_and_given_time_to_drain():
    docs = k8s_documents()
    pod = docs["Deployment"]["spec"]["template"]["spec"]
    container = pod["containers"][0]
    assert container["readinessProbe"]["httpGet"]["path"] == "/ready"
    assert container["livenessProbe"]["httpGet"]["path"] == "/health"
    assert pod["terminationGracePeriodSeconds"] > float(flag(container["args"], "--drain_timeout"))
    # every flag given is one the server knows
    build_parser().parse_args(container["args"])
    # the autoscaler's target stays below what one pod admits
    target = docs["HorizontalPodAutoscaler"]["spec"]["metrics"][0]["pods"]
    assert target["metric"]["name"] == "whisperlive_connections_active"
    # a series the server exports, and the adapter's rule serves it under that name
    exported = generate_latest(Metrics(gpu=False).registry).decode()
    assert re.search(r"^whisperlive_connections_active ", exported, re.M)
    rule = yaml.safe_load(docs["ConfigMap"]["data"]["config.yaml"])["rules"][0]
    assert "whisperlive_connections_active" in rule["seriesQuery"]
    assert rule["name"]["as"] == target["metric"]["name"]
    assert float(target["target"]["averageValue"]) < float(flag(container["args"], "--max_clients"))
    timeout = docs["Ingress"]["metadata"]["annotations"]["nginx.ingress.kubernetes.io/proxy-read-timeout"]
    assert float(timeout) > build_parser().get_default("max_connection_time")


def test_compose_file_follows_the_compose_specification():
    done = subprocess.run([sys.executable, "-m", "check_jsonschema", "--builtin-schema", "vendor.compose-spec",
                           str(DEPLOY / "compose.yaml")], capture_output=True, text=True)
    assert done.returncode == 0, done.stdout + done.stderr


def test_compose_runs_several_servers_with_agents_behind_haproxy_with_this_configuration():
    compose = yaml.safe_load((DEPLOY / "compose.yaml").read_text())
    server = compose["services"]["whisper-live"]
    build_parser().parse_args(server["command"])
    assert server["deploy"]["replicas"] >= 2
    assert (DEPLOY / server["build"]["context"] / server["build"]["dockerfile"]).is_file()
    assert seconds(server["stop_grace_period"]) > float(flag(server["command"], "--drain_timeout"))
    cfg = HAPROXY_CFG.read_text()
    assert f"agent-port {flag(server['command'], '--agent_port')}" in cfg
    proxy = compose["services"]["haproxy"]
    mounted = [v.split(":") for v in proxy["volumes"]]
    assert any((DEPLOY / src).resolve() == HAPROXY_CFG and dst.endswith("haproxy.cfg") for src, dst, *_ in mounted)
    # the replicas answer on the port the configuration's servers name, by the service's name
    assert re.search(r"server-template node \S+ whisper-live:9090\b", cfg)
    assert "9090" in server["expose"]


def test_haproxy_accepts_its_configuration(tmp_path):
    env = {"WL_HAPROXY_SOCKET": str(tmp_path / "haproxy.sock"), "PATH": "/usr/sbin:/usr/bin:/sbin:/bin"}
    done = subprocess.run(["haproxy", "-c", "-f", str(HAPROXY_CFG)], env=env, capture_output=True, text=True)
    assert done.returncode == 0, done.stdout + done.stderr


def test_haproxy_checks_health_on_health_and_asks_each_server_s_agent():
    cfg = HAPROXY_CFG.read_text()
    assert re.search(r"^\s*http-check send meth GET uri /health ver HTTP/1.1", cfg, re.M)
    assert re.search(r"^\s*default-server check .*\bagent-check\b", cfg, re.M)
    assert re.search(r"^\s*balance leastconn", cfg, re.M)
    assert re.search(r"^\s*stick on url_param\(uid\)", cfg, re.M)
    # the wait servers: backup, without an agent (which would drain them with the others)
    assert re.search(r"^\s*server-template wait .* backup no-agent-check\b", cfg, re.M)


def test_haproxy_retries_what_a_full_server_sends_back_on_another_one_once_per_server():
    from whisper_live.server.ops.balancer import BALANCER_HEADER, LAST_RESORT_PREFIX

    cfg = HAPROXY_CFG.read_text()
    backend = cfg[cfg.index("backend whisper_live\n"):cfg.index("# rest begin")]
    assert re.search(rf"^\s*http-send-name-header {BALANCER_HEADER}$", backend, re.M)
    assert re.search(r"^\s*retry-on .*\b503\b", backend, re.M)
    assert re.search(r"^\s*retry-on .*\bconn-failure\b", backend, re.M)
    assert re.search(r"^\s*option redispatch 1$", backend, re.M), "another server on every retry"
    servers = int(re.search(r"server-template node 1-(\d+) ", backend).group(1))
    assert int(re.search(r"^\s*retries (\d+)$", backend, re.M).group(1)) == servers + 1
    # the last-resort lines are the ones a server never sends back
    assert re.search(rf"^\s*server-template {LAST_RESORT_PREFIX} .* backup ", backend, re.M)
    assert not re.search(rf"^\s*server-template node .* backup", backend, re.M)


def test_the_api_port_is_balanced_by_the_same_health_and_agents():
    cfg = HAPROXY_CFG.read_text()
    rest = cfg[cfg.index("# rest begin"):cfg.index("# rest end")]
    assert re.search(r"^backend whisper_live_rest\n(.*\n)*\s*balance leastconn", rest, re.M)
    assert re.search(r"^\s*default-server check port 9090 .*\bagent-check agent-port 9091\b", rest, re.M)
    assert "uri /health" in rest
    assert re.search(r"^\s*server-template rest \S+ whisper-live:8000\b", rest, re.M)
    compose = yaml.safe_load((DEPLOY / "compose.yaml").read_text())
    assert "8000:8000" in compose["services"]["haproxy"]["ports"]


def test_haproxy_never_cuts_a_session_the_server_would_keep():
    tunnel = re.search(r"^\s*timeout tunnel (\S+)", HAPROXY_CFG.read_text(), re.M).group(1)
    assert seconds(tunnel) > build_parser().get_default("max_connection_time")


def test_cluster_sh_refuses_flags_it_gives_each_server_itself(tmp_path):
    for flags in (["--port", "9999"], ["--agent_port=9998"], ["--metrics_port", "9100"]):
        done = subprocess.run(["bash", str(ROOT / "scripts" / "cluster.sh"), "up", "2", "1", *flags],
                              env={"CLUSTER_DIR": str(tmp_path), "PATH": "/usr/sbin:/usr/bin:/sbin:/bin"},
                              capture_output=True, text=True, timeout=30)
        assert done.returncode == 2 and flags[0].split("=")[0] in done.stderr, done.stderr
    assert not (tmp_path / "processes").exists()
