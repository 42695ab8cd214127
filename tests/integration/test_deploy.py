"""The deploy/ files: Prometheus rules and config, Alertmanager, systemd, Docker, Kubernetes.

promtool and amtool come from Debian's prometheus and prometheus-alertmanager packages: tests that
need them are skipped when they are missing, but fail when CI is set.
"""

from __future__ import annotations

import configparser
import os
import re
import shutil
import subprocess
from collections.abc import Awaitable, Callable
from datetime import timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
import redis
import yaml
from aiohttp.test_utils import TestClient
from builders import REPO, write_config
from prometheus_client import CollectorRegistry
from redis_server import RedisServer

from bridge.config import load_config
from bridge.errors import ConfigError
from bridge.store.redis import RedisStore
from bridge.store.redis.connection import MIGRATION_TIMEOUT
from bridge.web.app import create_app

DEPLOY = REPO / "deploy"
PROM = DEPLOY / "prometheus"
BRIDGE_RULES = PROM / "bridge-rules.yml"
EXAMPLE_RULES = PROM / "example-alerting-rules.yml"
RULE_TESTS = PROM / "tests" / "bridge-rules.test.yml"
ALERTMANAGER = DEPLOY / "alertmanager" / "alertmanager.yml"
UNIT = DEPLOY / "systemd" / "incident-bridge.service"
BACKUP_UNIT = DEPLOY / "systemd" / "incident-bridge-backup.service"
BACKUP_TIMER = DEPLOY / "systemd" / "incident-bridge-backup.timer"
K8S = DEPLOY / "kubernetes"

ClientFactory = Callable[..., Awaitable[TestClient[Any, Any]]]


def require(binary: str) -> str:
    """Path of ``binary``; skip when it is missing, but fail when CI is set."""
    path = shutil.which(binary)
    if path is None:
        reason = f"{binary} not found on PATH (Debian: prometheus, prometheus-alertmanager)"
        if os.environ.get("CI"):
            pytest.fail(f"{reason} - required when CI is set")
        pytest.skip(reason)
    return path


def run(*args: str, cwd: Path = REPO) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        list(args), cwd=cwd, capture_output=True, text=True, timeout=60, check=False
    )


def load_yaml(path: Path) -> Any:
    return yaml.safe_load(path.read_text(encoding="utf-8"))


def rules(path: Path) -> list[dict[str, Any]]:
    return [rule for group in load_yaml(path)["groups"] for rule in group["rules"]]


def duration(text: str) -> timedelta:
    """A Prometheus-style duration such as ``4h``, ``1m30s``."""
    units = {"ms": 0.001, "s": 1, "m": 60, "h": 3600, "d": 86400}
    parts = re.findall(r"(\d+)(ms|s|m|h|d)", text)
    assert parts and "".join(n + u for n, u in parts) == text, text
    return timedelta(seconds=sum(int(n) * units[u] for n, u in parts))


def k8s(name: str) -> list[dict[str, Any]]:
    return [d for d in yaml.safe_load_all((K8S / name).read_text(encoding="utf-8")) if d]


def secret_keys_in_env() -> set[str]:
    """Keys of secrets that the Deployment's or Redis's containers read as variables."""
    docs = [*k8s("deployment.yaml"), *k8s("redis.yaml")]
    return {
        env["valueFrom"]["secretKeyRef"]["key"]
        for doc in docs
        if doc["kind"] in ("Deployment", "StatefulSet")
        for container in doc["spec"]["template"]["spec"]["containers"]
        for env in container.get("env", [])
        if "secretKeyRef" in env.get("valueFrom", {})
    }


def deployment_container() -> tuple[dict[str, Any], dict[str, Any]]:
    (deployment,) = [d for d in k8s("deployment.yaml") if d["kind"] == "Deployment"]
    (container,) = deployment["spec"]["template"]["spec"]["containers"]
    return deployment, container


# ---- Prometheus -------------------------------------------------------------------------


@pytest.mark.parametrize("path", [BRIDGE_RULES, EXAMPLE_RULES], ids=lambda p: p.name)
def test_promtool_check_rules_accepts_rule_file(path):
    """promtool check rules accepts the bridge's rules and the example operator rules."""
    result = run(require("promtool"), "check", "rules", str(path))
    assert result.returncode == 0, result.stdout + result.stderr


def test_promtool_rule_unit_tests_pass():
    """promtool test rules passes the unit tests of bridge-rules.yml."""
    result = run(require("promtool"), "test", "rules", str(RULE_TESTS), cwd=PROM)
    assert result.returncode == 0, result.stdout + result.stderr


def test_promtool_check_config_accepts_prometheus_yml():
    """promtool check config accepts prometheus.yml together with the rule files it names."""
    result = run(require("promtool"), "check", "config", str(PROM / "prometheus.yml"))
    assert result.returncode == 0, result.stdout + result.stderr
    assert "2 rule files found" in result.stdout + result.stderr


def test_prometheus_scrapes_the_bridge_job_that_bridge_down_watches():
    """prometheus.yml scrapes /metrics under job incident-bridge and loads both rule files."""
    config = load_yaml(PROM / "prometheus.yml")
    (job,) = [j for j in config["scrape_configs"] if j["job_name"] == "incident-bridge"]
    assert job.get("metrics_path", "/metrics") == "/metrics"
    assert set(config["rule_files"]) == {BRIDGE_RULES.name, EXAMPLE_RULES.name}
    assert config["alerting"]["alertmanagers"]
    (down,) = [r for r in rules(BRIDGE_RULES) if r["alert"] == "BridgeDown"]
    assert 'job="incident-bridge"' in down["expr"]


def test_rule_unit_tests_check_every_rule_firing_and_not_firing():
    """Every alert in bridge-rules.yml has a unit test where it fires and one where it does not."""
    cases = [c for t in load_yaml(RULE_TESTS)["tests"] for c in t["alert_rule_test"]]
    for rule in rules(BRIDGE_RULES):
        mine = [c for c in cases if c["alertname"] == rule["alert"]]
        assert any(c.get("exp_alerts") for c in mine), f"{rule['alert']}: no firing case"
        assert any(not c.get("exp_alerts") for c in mine), f"{rule['alert']}: no quiet case"


def test_bridge_rules_carry_severity_component_and_annotations():
    """Every bridge alert has a severity, the component label the routing relies on, and text."""
    names = {r["alert"] for r in rules(BRIDGE_RULES)}
    assert names >= {
        "BridgeDown",
        "BridgeWebhookErrors",
        "BridgeWebhookRejected",
        "BridgeStoreErrors",
        "BridgeStaleAlerts",
        "BridgeUnmappedAlerts",
        "BridgeEvaluationSlow",
        "IncidentReportable",
        "IncidentReportableSoon",
    }
    for rule in rules(BRIDGE_RULES):
        assert rule["labels"]["severity"] in {"critical", "warning", "info"}, rule["alert"]
        assert rule["labels"]["component"] == "incident-bridge", rule["alert"]
        assert rule["annotations"]["summary"] and rule["annotations"]["description"]
    (reportable,) = [r for r in rules(BRIDGE_RULES) if r["alert"] == "IncidentReportable"]
    assert reportable["labels"]["severity"] == "info"


def test_example_rules_label_alerts_the_way_the_bridge_maps_them():
    """Example alerts name an element, or describe their own service, region and connections."""
    for rule in rules(EXAMPLE_RULES):
        labels, annotations = rule["labels"], rule.get("annotations", {})
        assert labels["severity"], rule["alert"]
        assert labels["incident_bridge"] == "true", rule["alert"]
        if "element" not in labels:
            assert {"service", "region"} <= labels.keys(), rule["alert"]
            assert "affected_connections" in {**labels, **annotations}, rule["alert"]
    assert any(r["labels"].get("impact") == "degradation" for r in rules(EXAMPLE_RULES))


async def test_bridge_rules_reference_only_metrics_the_bridge_exports(aiohttp_client, tmp_path):
    """Every bridge_* name in bridge-rules.yml's expressions appears in the bridge's /metrics."""
    app = create_app(load_config(write_config(tmp_path), env={}), registry=CollectorRegistry())
    client = await aiohttp_client(app)
    resp = await client.get("/metrics")
    assert resp.status == 200
    text = await resp.text()
    exported: set[str] = set()
    for line in text.splitlines():
        if m := re.match(r"# TYPE (\S+) (\S+)", line):
            name, kind = m.groups()
            exported.add(name)
            if kind == "histogram":
                exported |= {f"{name}_bucket", f"{name}_count", f"{name}_sum"}
        elif line and not line.startswith("#"):
            exported.add(re.split(r"[{ ]", line, maxsplit=1)[0])
    referenced = {n for r in rules(BRIDGE_RULES) for n in re.findall(r"\bbridge_\w+", r["expr"])}
    assert referenced >= {
        "bridge_webhook_requests_total",
        "bridge_store_errors_total",
        "bridge_alerts_stale",
        "bridge_evaluation_duration_seconds_bucket",
        "bridge_incident_reportable",
        "bridge_incident_seconds_to_reportable",
    }
    assert referenced <= exported, sorted(referenced - exported)


# ---- Alertmanager -----------------------------------------------------------------------


def test_amtool_check_config_accepts_alertmanager_example():
    """amtool check-config accepts the Alertmanager example (credentials_file need not exist)."""
    result = run(require("amtool"), "check-config", str(ALERTMANAGER))
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.parametrize(
    ("labels", "receivers"),
    [
        (["alertname=OltDown", "element=se-olt-1", "incident_bridge=true"], "incident-bridge,noc"),
        (["alertname=IncidentReportable", "component=incident-bridge", "incident=x"], "noc"),
        (["alertname=BridgeDown", "component=incident-bridge", "incident_bridge=true"], "noc"),
        (["alertname=DiskFull", "instance=db-1"], "noc"),
    ],
    ids=["outage", "bridge-incident", "bridge-self", "other"],
)
def test_alertmanager_routes_outages_to_the_bridge_and_never_its_own_alerts(labels, receivers):
    """Outage alerts reach the bridge; the bridge's own alerts and unrelated ones do not."""
    result = run(
        require("amtool"), "config", "routes", "test", f"--config.file={ALERTMANAGER}", *labels
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.strip() == receivers


def test_alertmanager_webhook_settings_fit_the_bridge():
    """The bridge receiver posts resolves with a bearer token file, and stale_after exceeds
    repeat_interval plus group_interval in both bridge configs."""
    config = load_yaml(ALERTMANAGER)
    (receiver,) = [r for r in config["receivers"] if r["name"] == "incident-bridge"]
    (hook,) = receiver["webhook_configs"]
    assert hook["url"] == "http://incident-bridge:8080/api/v1/alertmanager"
    assert hook["send_resolved"] is True
    assert hook["max_alerts"] == 1000
    assert hook["http_config"]["authorization"] == {
        "type": "Bearer",
        "credentials_file": "/etc/alertmanager/bridge-token",
    }
    route = config["route"]
    assert route["group_by"] == ["alertname", "element"]
    longest_silence = duration(route["repeat_interval"]) + duration(route["group_interval"])
    (configmap,) = k8s("configmap.yaml")
    for bridge_yaml in (
        yaml.safe_load(configmap["data"]["bridge.yaml"]),
        load_yaml(REPO / "config" / "bridge.yaml"),
    ):
        assert duration(bridge_yaml["evaluation"]["stale_after"]) > longest_silence


def test_example_configs_ship_no_token_that_approves():
    """Neither the example config nor the Kubernetes ConfigMap gives an API token an approver or
    admin role: only a signed-in person with a fresh second factor sends a notice."""
    (configmap,) = k8s("configmap.yaml")
    for bridge_yaml in (
        yaml.safe_load(configmap["data"]["bridge.yaml"]),
        load_yaml(REPO / "config" / "bridge.yaml"),
    ):
        tokens = bridge_yaml["auth"].get("api_tokens", [])
        assert tokens, "the examples show a read-only token"
        for token in tokens:
            for grant in token["roles"]:
                assert grant.partition(":")[0] not in ("approver", "admin"), (token["name"], grant)


# ---- systemd, Docker --------------------------------------------------------------------


def test_systemd_unit_runs_the_bridge_hardened():
    """The unit parses as INI and runs bridge serve as its own user with the hardening asked."""
    unit = configparser.ConfigParser(strict=False, interpolation=None)
    unit.optionxform = str  # type: ignore[assignment,method-assign]
    unit.read_string(UNIT.read_text(encoding="utf-8"))
    service = unit["Service"]
    assert service["Type"] == "simple"
    assert service["ExecStart"] == (
        "/opt/incident-bridge/.venv/bin/bridge serve -c /etc/incident-bridge/bridge.yaml"
    )
    assert service["User"] == "incident-bridge"
    assert service["Restart"] == "on-failure"
    assert service["NoNewPrivileges"] == "true"
    assert service["ProtectSystem"] == "strict"
    assert service["PrivateTmp"] == "true"
    assert service["ReadWritePaths"] == "/var/lib/incident-bridge"
    assert unit["Install"]["WantedBy"] == "multi-user.target"


def test_systemd_analyze_verify_accepts_the_unit(tmp_path):
    """systemd-analyze verify finds nothing to say about the unit (ExecStart pointed at a file
    that exists here, since the venv under /opt is not installed on this machine)."""
    analyze = shutil.which("systemd-analyze")
    if analyze is None:
        pytest.skip("systemd-analyze not installed")
    unit = tmp_path / UNIT.name
    unit.write_text(
        UNIT.read_text(encoding="utf-8").replace(
            "/opt/incident-bridge/.venv/bin/bridge", str(Path(analyze).resolve())
        ),
        encoding="utf-8",
    )
    result = run(analyze, "verify", str(unit))
    assert result.returncode == 0, result.stdout + result.stderr
    about_unit = [line for line in result.stderr.splitlines() if UNIT.name in line]
    assert about_unit == []


def _unit(path: Path) -> configparser.ConfigParser:
    unit = configparser.ConfigParser(strict=False, interpolation=None)
    unit.optionxform = str  # type: ignore[assignment,method-assign]
    unit.read_string(path.read_text(encoding="utf-8"))
    return unit


def _all(path: Path, key: str) -> list[str]:
    """Every value of ``key`` in a unit file, in order (configparser keeps the last only)."""
    lines = path.read_text(encoding="utf-8").splitlines()
    return [line.split("=", 1)[1] for line in lines if line.startswith(key + "=")]


#: the archive folder of the deploy files' configuration (the Kubernetes ConfigMap's, the docs')
ARCHIVE_DIR = "/var/lib/incident-bridge/sent"


def test_the_docs_backup_line_is_the_backup_units_two_steps():
    """docs/deployment.md's backup line runs (the configuration given: without -c it read
    config/bridge.yaml, exited 1 and && skipped the archive), names the copy as the restore
    and the clean-up expect (bridge-TIME.sqlite3, given the folder), and adds the archive
    right after, as the unit does."""
    doc = (REPO / "docs" / "deployment.md").read_text(encoding="utf-8")
    unit = _unit(BACKUP_UNIT)["Service"]
    start = doc.index("bridge backup \\\n        /var/backups/incident-bridge/")
    line = " ".join(doc[start : doc.index("\n\n", start)].replace("\\\n", " ").split())
    copy, archive = line.split(" && ")
    assert copy.endswith(unit["ExecStart"].split("/bin/", 1)[1]), line
    rsync = _all(BACKUP_UNIT, "ExecStartPost")[0].removeprefix("/usr/bin/")
    assert archive == f"sudo -u incident-bridge {rsync}", line
    assert "store-$(date" not in doc
    assert ARCHIVE_DIR in (K8S / "configmap.yaml").read_text(encoding="utf-8")


def test_the_backup_timer_copies_the_store_the_service_serves_as_its_user():
    """The backup unit runs `bridge backup` into its own folder with the service's config,
    user and hardening, may write only the store's folder (a WAL reader writes the -shm) and
    its own, and needs no network; its timer runs it hourly and catches up after downtime."""
    serve, backup = _unit(UNIT)["Service"], _unit(BACKUP_UNIT)["Service"]
    assert backup["Type"] == "oneshot"
    config = serve["ExecStart"].split(" -c ", 1)[1]
    assert backup["ExecStart"] == (
        "/opt/incident-bridge/.venv/bin/bridge backup /var/backups/incident-bridge/ -c " + config
    )
    assert (backup["User"], backup["Group"]) == (serve["User"], serve["Group"])
    assert backup["ReadWritePaths"].split() == [
        serve["ReadWritePaths"],
        "/var/backups/incident-bridge",
    ]
    assert backup["UMask"] == "0077" and backup["PrivateNetwork"] == "true"
    for hardening in ("NoNewPrivileges", "ProtectSystem", "ProtectHome", "PrivateTmp"):
        assert backup[hardening] == serve[hardening], hardening
    # right after the copy, the .eml archive (the compliance record) is added to the backup
    # folder, never deleted from it; then only the copies bridge backup names after the store
    # (bridge-TIME.sqlite3) are pruned
    archive = ARCHIVE_DIR + "/"
    assert archive.startswith(serve["ReadWritePaths"] + "/")
    assert _all(BACKUP_UNIT, "ExecStartPost") == [
        f"/usr/bin/rsync -a {archive} /var/backups/incident-bridge/sent/",
        "/usr/bin/find /var/backups/incident-bridge -maxdepth 1 -name bridge-*.sqlite3 -mtime "
        "+14 -delete",
    ]
    timer = _unit(BACKUP_TIMER)
    assert timer["Timer"]["OnCalendar"] == "hourly"
    assert timer["Timer"]["Persistent"] == "true"
    assert timer["Install"]["WantedBy"] == "timers.target"


def test_systemd_analyze_verify_accepts_the_backup_units(tmp_path):
    """systemd-analyze verify finds nothing to say about the backup service and timer."""
    analyze = shutil.which("systemd-analyze")
    if analyze is None:
        pytest.skip("systemd-analyze not installed")
    here = str(Path(analyze).resolve())
    for path in (BACKUP_UNIT, BACKUP_TIMER):
        text = path.read_text(encoding="utf-8").replace(
            "/opt/incident-bridge/.venv/bin/bridge", here
        )
        for tool in ("/usr/bin/find", "/usr/bin/rsync"):  # present or not on this machine
            text = text.replace(tool, here)
        (tmp_path / path.name).write_text(text, encoding="utf-8")
    result = run(
        analyze, "verify", str(tmp_path / BACKUP_UNIT.name), str(tmp_path / BACKUP_TIMER.name)
    )
    assert result.returncode == 0, result.stdout + result.stderr
    about = [line for line in result.stderr.splitlines() if "incident-bridge-backup" in line]
    assert about == []


def test_dockerfile_runs_the_bridge_as_non_root_with_a_healthcheck():
    """The Dockerfile builds on python:3.11-slim, runs as a non-root user and checks /healthz."""
    text = (DEPLOY / "docker" / "Dockerfile").read_text(encoding="utf-8")
    assert re.search(r"^FROM python:3\.11-slim$", text, re.M)
    (user,) = re.findall(r"^USER (\S+)$", text, re.M)
    assert user.split(":")[0] not in {"root", "0"}
    assert re.search(r"^RUN pip install \.", text, re.M)
    assert re.search(r"^EXPOSE 8080$", text, re.M)
    assert re.search(r"^HEALTHCHECK .*\n?.*urllib.*/healthz", text, re.M)
    assert 'CMD ["bridge", "serve", "-c", "/etc/incident-bridge/bridge.yaml"]' in text


# ---- Kubernetes -------------------------------------------------------------------------


def test_kubernetes_manifests_parse_and_name_their_objects():
    """Every Kubernetes file parses as YAML and each document names its apiVersion, kind, name."""
    kinds = set()
    for path in sorted(K8S.glob("*.yaml")):
        for doc in k8s(path.name):
            assert doc["apiVersion"] and doc["metadata"]["name"], path.name
            kinds.add(doc["kind"])
    assert kinds == {
        "ConfigMap",
        "Secret",
        "Deployment",
        "Service",
        "PersistentVolumeClaim",
        "StatefulSet",
        "PodDisruptionBudget",
    }


def test_deployment_probes_resources_and_security():
    """Two replicas rolled one at a time, each named by its pod, the store URL from the Secret;
    probes on /healthz and /readyz, limits, non-root; a disruption budget keeps one up."""
    deployment, container = deployment_container()
    spec = deployment["spec"]
    assert spec["replicas"] == 2
    assert spec["strategy"]["rollingUpdate"]["maxUnavailable"] == 0
    env = {e["name"]: e for e in container["env"]}
    replica_id = env["BRIDGE_REPLICATION__REPLICA_ID"]["valueFrom"]["fieldRef"]["fieldPath"]
    assert replica_id == "metadata.name"
    store_ref = env["BRIDGE_STORE"]["valueFrom"]["secretKeyRef"]
    (secret,) = k8s("secret.yaml")
    assert store_ref["name"] == secret["metadata"]["name"]
    assert secret["stringData"][store_ref["key"]].startswith("redis://")
    (pdb,) = [d for d in k8s("deployment.yaml") if d["kind"] == "PodDisruptionBudget"]
    assert pdb["spec"]["minAvailable"] == 1
    assert pdb["spec"]["selector"]["matchLabels"].items() <= (
        spec["template"]["metadata"]["labels"].items()
    )
    assert container["livenessProbe"]["httpGet"]["path"] == "/healthz"
    assert container["readinessProbe"]["httpGet"]["path"] == "/readyz"
    limits = container["resources"]["limits"]
    assert limits["cpu"] and limits["memory"]
    assert container["resources"]["requests"]
    security = container["securityContext"]
    assert security["readOnlyRootFilesystem"] is True
    assert security["allowPrivilegeEscalation"] is False
    assert spec["template"]["spec"]["securityContext"]["runAsNonRoot"] is True
    (service,) = k8s("service.yaml")
    assert service["spec"]["selector"].items() <= spec["template"]["metadata"]["labels"].items()
    ports = {p["name"]: p["containerPort"] for p in container["ports"]}
    assert ports == {"http": 8080}
    assert {p["targetPort"] for p in service["spec"]["ports"]} == {"http"}


def test_the_configmaps_rule_sets_and_inventory_are_the_examples_copies():
    """The ConfigMap says its rule sets and inventory are copies of config/: they are, byte for
    byte (a drifted copy attributed the operator's own criteria to the regulator's text)."""
    (configmap,) = k8s("configmap.yaml")
    copies = {
        key: REPO / "config" / "rules" / key.removeprefix("rules-")
        for key in configmap["data"]
        if key.startswith("rules-")
    }
    copies["inventory.yaml"] = REPO / "config" / "inventory.yaml"
    assert {"inventory.yaml", "rules-pts-outage.yaml", "rules-se-cyber.yaml"} <= set(copies)
    drifted = [
        key
        for key, path in copies.items()
        if configmap["data"][key].rstrip("\n") != path.read_text(encoding="utf-8").rstrip("\n")
    ]
    assert not drifted, f"{drifted} differ from config/ (copy the files into the ConfigMap)"


def test_deployment_config_comes_from_the_configmap_and_loads(tmp_path):
    """The container's -c path lies in the volume built from the ConfigMap and the Secret; that
    folder, rebuilt here, is a bridge.yaml the bridge loads, with its store on the PVC."""
    deployment, container = deployment_container()
    argv = [*container.get("command", []), *container["args"]]
    assert argv[:2] == ["bridge", "serve"]
    config_path = Path(argv[argv.index("-c") + 1])
    (mount,) = [m for m in container["volumeMounts"] if config_path.is_relative_to(m["mountPath"])]
    volumes = {v["name"]: v for v in deployment["spec"]["template"]["spec"]["volumes"]}
    (configmap,) = k8s("configmap.yaml")
    (secret,) = k8s("secret.yaml")
    objects = {("configMap", configmap["metadata"]["name"]): configmap["data"]}
    objects[("secret", secret["metadata"]["name"])] = secret["stringData"]
    root = tmp_path / "mounted"
    sources = volumes[mount["name"]]["projected"]["sources"]
    assert {next(iter(s)) for s in sources} == {"configMap", "secret"}
    for source in sources:
        ((kind, ref),) = source.items()
        data = objects[(kind, ref["name"])]
        used = {i["key"] for i in ref["items"]}
        if kind == "secret":  # the rest reaches the containers as environment variables
            used |= secret_keys_in_env()
        assert used == data.keys(), ref["name"]
        for item in ref["items"]:
            target = root / item["path"]
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(data[item["key"]], encoding="utf-8")
    relative = config_path.relative_to(mount["mountPath"])
    env = {
        "BRIDGE_STORE": secret["stringData"]["store-url"],
        "BRIDGE_REPLICATION__REPLICA_ID": "incident-bridge-7d9f-abcde",
    }
    # as shipped, the Secret's placeholders are refused: nobody runs on a published token
    with pytest.raises(ConfigError) as refused:
        load_config(root / relative, env=env)
    assert [p.partition(": a placeholder secret")[0] for p in refused.value.problems] == [
        f"{root / relative}: auth.webhook.tokens.0.token",
        f"{root / relative}: auth.api_tokens.0.token",
        "environment BRIDGE_STORE: store",
    ]
    # replaced as secret.yaml's comment says, it loads
    for key in ("webhook-token", "api-token"):
        (root / "secrets" / key).write_text(f"{key}-{'0123456789abcdef' * 2}", encoding="utf-8")
    password = "r3dis-" + "0123456789abcdef" * 2
    env["BRIDGE_STORE"] = secret["stringData"]["store-url"].replace(
        secret["stringData"]["redis-password"], password
    )
    loaded = load_config(root / relative, env=env)
    cfg = loaded.config
    assert set(loaded.rule_sets) >= {r.rule_set for r in cfg.regulators.values()}
    assert [t.token.get() for t in cfg.auth.webhook.tokens] == [
        (root / "secrets" / "webhook-token").read_text(encoding="utf-8")
    ]
    assert cfg.server.host == "0.0.0.0" and cfg.server.port == 8080
    assert cfg.replication.replica_id == "incident-bridge-7d9f-abcde"
    assert cfg.replication.lease_ttl == cfg.evaluation.interval  # failover within two ticks
    redis_service = next(d for d in k8s("redis.yaml") if d["kind"] == "Service")
    assert urlsplit(loaded.store_url()).hostname == redis_service["metadata"]["name"]
    (pvc,) = k8s("pvc.yaml")
    assert pvc["spec"]["accessModes"] == ["ReadWriteMany"]  # both replicas write the archive
    (archive_mount,) = [
        m
        for m in container["volumeMounts"]
        if volumes[m["name"]].get("persistentVolumeClaim", {}).get("claimName")
        == pvc["metadata"]["name"]
    ]
    assert Path(cfg.notices.archive_dir).is_relative_to(archive_mount["mountPath"])


async def test_the_redis_manifest_passes_the_bridges_durability_check(tmp_path):
    """redis.yaml's server arguments, run by a real redis-server, satisfy the bridge's check
    at start (AOF with fsync always, noeviction), with the Secret's password."""
    (statefulset,) = [d for d in k8s("redis.yaml") if d["kind"] == "StatefulSet"]
    (container,) = statefulset["spec"]["template"]["spec"]["containers"]
    args = list(container["args"])
    (secret,) = k8s("secret.yaml")
    password = secret["stringData"]["redis-password"]
    assert urlsplit(secret["stringData"]["store-url"]).password == password
    args[args.index("--dir") + 1] = str(tmp_path)
    args[args.index("--requirepass") + 1] = password
    with RedisServer(tmp_path, settings=args) as server:
        store = RedisStore(f"redis://:{password}@127.0.0.1:{server.port}/0")
        await store.open()  # raises ConfigError naming any unsafe setting
        await store.close()


def test_the_redis_manifest_refuses_writes_before_its_container_is_killed(tmp_path):
    """redis.yaml's Redis, run by a real redis-server, has a ``maxmemory`` (with ``noeviction``
    it refuses writes past it, and the bridge answers 503) of at most half its container's
    memory limit (the rest for an AOF rewrite's fork and an upgrade's peak; see
    docs/replicas-and-redis.md, Sizing Redis). Without one it grows until the limit kills it."""
    (statefulset,) = [d for d in k8s("redis.yaml") if d["kind"] == "StatefulSet"]
    (container,) = statefulset["spec"]["template"]["spec"]["containers"]
    args = list(container["args"])
    args[args.index("--dir") + 1] = str(tmp_path)
    args[args.index("--requirepass") + 1] = "pw"
    units = {"Ki": 2**10, "Mi": 2**20, "Gi": 2**30}
    limit = container["resources"]["limits"]["memory"]
    limit_bytes = int(limit[:-2]) * units[limit[-2:]]
    with RedisServer(tmp_path, settings=args) as server:
        client = redis.Redis(host="127.0.0.1", port=server.port, password="pw")
        try:
            maxmemory = int(client.config_get("maxmemory")["maxmemory"])
        finally:
            client.close()
    assert 0 < maxmemory <= limit_bytes // 2


def test_kubernetes_lets_a_migrating_start_finish_before_liveness_restarts_it():
    """The bridge listens only once the store is open, and opening a Redis store that migrates
    runs the migration's steps (schemas 11 and 14 on 10^6 audit entries: about a minute,
    docs/deployment.md), waiting up to MIGRATION_TIMEOUT for any one call. The Deployment's
    startup probe covers that wait, so the liveness probe (three failures 10 s apart) does not
    restart the pod in the middle of it."""
    (deployment,) = [d for d in k8s("deployment.yaml") if d["kind"] == "Deployment"]
    (container,) = deployment["spec"]["template"]["spec"]["containers"]
    startup = container.get("startupProbe")
    assert startup is not None, "no startupProbe: liveness restarts a start after about 30 s"
    assert startup["httpGet"]["path"] == "/healthz"
    delay = startup.get("initialDelaySeconds", 0)
    grace = delay + startup.get("periodSeconds", 10) * startup.get("failureThreshold", 3)
    assert grace >= MIGRATION_TIMEOUT
