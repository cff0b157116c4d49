"""deploy/k8s: schema-valid manifests; probes, limits, non-root and secrets from Secret objects."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
K8S = ROOT / "deploy" / "k8s"
MANIFESTS = sorted(K8S.glob("*.yaml"))


def _documents(path: Path) -> list[dict]:
    return [doc for doc in yaml.safe_load_all(path.read_text()) if doc]


def _kinds(kind: str) -> list[dict]:
    return [doc for path in MANIFESTS for doc in _documents(path) if doc["kind"] == kind]


def _deployments() -> dict[str, dict]:
    return {doc["metadata"]["name"]: doc for doc in _kinds("Deployment")}


def _pod_specs() -> list[tuple[str, dict]]:
    specs = [(d["metadata"]["name"], d["spec"]["template"]["spec"]) for d in _kinds("Deployment") + _kinds("Job")]
    specs += [(c["metadata"]["name"], c["spec"]["jobTemplate"]["spec"]["template"]["spec"]) for c in _kinds("CronJob")]
    return specs


@pytest.mark.parametrize("path", MANIFESTS, ids=lambda p: p.name)
def test_manifest_is_valid_for_kubernetes(ops, path):
    result = ops.run(ops.tool("kubernetes-validate"), "--strict", "--quiet", str(path))
    assert result.returncode == 0, result.stdout + result.stderr


def test_app_and_api_deployments_exist_with_the_readme_commands(ops):
    deployments = _deployments()
    app = deployments["sales-app"]["spec"]["template"]["spec"]["containers"][0]
    api = deployments["sales-api"]["spec"]["template"]["spec"]["containers"][0]
    assert app["command"][:3] == ["streamlit", "run", "app.py"]
    assert api["command"][:2] == ["uvicorn", "api.main:app"]
    assert "streamlit run app.py" in ops.readme() and "uvicorn api.main:app" in ops.readme()


@pytest.mark.parametrize("name", ["sales-app", "sales-api"])
def test_deployments_have_probes_limits_and_several_replicas(name):
    deployment = _deployments()[name]
    container = deployment["spec"]["template"]["spec"]["containers"][0]
    assert deployment["spec"]["replicas"] >= 2
    assert container["readinessProbe"]["httpGet"]["path"]
    assert container["livenessProbe"].keys() & {"httpGet", "tcpSocket"}
    assert {"cpu", "memory"} <= set(container["resources"]["limits"])
    assert {"cpu", "memory"} <= set(container["resources"]["requests"])
    assert deployment["spec"]["strategy"]["rollingUpdate"]["maxUnavailable"] == 0


def test_every_workload_runs_as_non_root_without_privilege_escalation():
    for name, spec in _pod_specs():
        assert spec["securityContext"]["runAsNonRoot"] is True, name
        assert spec["securityContext"]["runAsUser"] != 0, name
        for container in spec["containers"]:
            assert container["securityContext"]["allowPrivilegeEscalation"] is False, name


def test_secrets_come_from_secret_objects_only():
    for name, spec in _pod_specs():
        for container in spec["containers"]:
            env = {e["name"]: e for e in container.get("env", [])}
            for key in ("DATABASE_URL", "SECRET_KEY"):
                if key in env:
                    assert "value" not in env[key], f"{name}: {key} is a literal"
                    assert env[key]["valueFrom"]["secretKeyRef"]["name"] == "sales-secrets"
    config = _kinds("ConfigMap")[0]["data"]
    assert not {"DATABASE_URL", "SECRET_KEY"} & set(config)


def test_replicas_mount_the_serving_warehouse_read_only():
    config = _kinds("ConfigMap")[0]["data"]
    for name in ("sales-app", "sales-api"):
        spec = _deployments()[name]["spec"]["template"]["spec"]
        mount = next(m for m in spec["containers"][0]["volumeMounts"] if m["name"] == "warehouse")
        assert mount["readOnly"] is True
        assert config["WAREHOUSE_PATH"].startswith(mount["mountPath"] + "/")
    (claim,) = _kinds("PersistentVolumeClaim")
    assert claim["spec"]["accessModes"] == ["ReadWriteMany"]


def test_services_select_their_deployments_and_the_app_is_sticky():
    deployments = _deployments()
    services = {s["metadata"]["name"]: s for s in _kinds("Service")}
    for name, service in services.items():
        labels = deployments[name]["spec"]["template"]["metadata"]["labels"]
        assert service["spec"]["selector"].items() <= labels.items()
    assert services["sales-app"]["spec"]["sessionAffinity"] == "ClientIP"
    (ingress,) = _kinds("Ingress")
    assert ingress["metadata"]["annotations"]["nginx.ingress.kubernetes.io/affinity"] == "cookie"


def test_migrations_run_as_a_job_with_the_same_image():
    (job,) = [j for j in _kinds("Job") if j["metadata"]["name"] == "sales-migrate"]
    container = job["spec"]["template"]["spec"]["containers"][0]
    assert container["command"] == ["python", "-m", "crm", "migrate"]
    images = {d["spec"]["template"]["spec"]["containers"][0]["image"] for d in _deployments().values()}
    assert images == {container["image"]}


def test_etl_cronjob_refreshes_single_flight():
    (cronjob,) = _kinds("CronJob")
    spec = cronjob["spec"]
    command = " ".join(spec["jobTemplate"]["spec"]["template"]["spec"]["containers"][0].get("command", []))
    assert "etl" in command and "refresh" in command
    assert spec.get("concurrencyPolicy") == "Forbid"
