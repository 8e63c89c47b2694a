"""What the rendered overlays promise an operator: Kafka and its users, claims, pods, budgets, scaling,
network and ingress, each checked against the services' own settings where they meet."""
import pytest

from registry_service.wiring import build_claims
from tests.deploy.render import documents, find
from tools.k8s import gen_topics
from ventanilla.adapters.topics import TOPICS
from ventanilla.config import METRICS_PROCESSES, Settings

OVERLAYS = ["dev", "prod"]
WORKLOADS = ("Deployment", "StatefulSet")


def workloads(docs):
    return [d for d in docs if d["kind"] in WORKLOADS]


def settings_of(docs) -> Settings:
    config = next(d for d in docs if d["kind"] == "ConfigMap" and d["metadata"]["name"].startswith("ventanilla-"))
    return Settings.from_env(config["data"])


def test_the_committed_topics_are_generated_from_topics_py():
    assert gen_topics.TARGET.read_text() == gen_topics.render(gen_topics.base_settings()), \
        "deploy/kubernetes/base/kafka/topics.yaml is stale: run `make k8s-topics`"


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_every_topic_the_services_use_is_declared_as_they_expect_it(overlay):
    docs = documents(overlay)
    settings = settings_of(docs)
    topics = {d["spec"]["topicName"]: d["spec"] for d in docs if d["kind"] == "KafkaTopic"}
    assert len(topics) == len(TOPICS)
    for spec in TOPICS:
        request, declared = spec.request(settings), topics[spec.name(settings)]
        assert declared["partitions"] == request["num_partitions"]
        assert declared["replicas"] == request["replication_factor"] == settings.topics.replication_factor
    assert topics[settings.topics.invoice_events]["config"]["retention.ms"] == -1
    assert topics[settings.topics.invoice_events]["config"]["unclean.leader.election.enable"] is False


def test_production_kafka_is_three_controllers_three_brokers_rack_aware_and_safe():
    docs = documents("prod")
    pools = {d["metadata"]["name"]: d["spec"] for d in docs if d["kind"] == "KafkaNodePool"}
    assert sorted((p["roles"], p["replicas"]) for p in pools.values()) == [(["broker"], 3), (["controller"], 3)]
    kafka = find(docs, "Kafka", "ventanilla")["spec"]["kafka"]
    assert kafka["rack"]["topologyKey"] == "topology.kubernetes.io/zone"
    config = kafka["config"]
    assert (config["default.replication.factor"], config["min.insync.replicas"]) == (3, 2)
    assert config["unclean.leader.election.enable"] is False and config["auto.create.topics.enable"] is False
    assert config["offsets.topic.replication.factor"] == config["transaction.state.log.replication.factor"] == 3
    topics = [d["spec"] for d in docs if d["kind"] == "KafkaTopic"]
    assert all(t["replicas"] == 3 and t["config"]["min.insync.replicas"] == 2 for t in topics)
    assert all(listener["authentication"]["type"] == "scram-sha-512" for listener in kafka["listeners"])
    assert kafka["authorization"]["type"] == "simple"


def test_development_kafka_is_one_dual_role_node():
    pools = [d["spec"] for d in documents("dev") if d["kind"] == "KafkaNodePool"]
    assert [(p["roles"], p["replicas"]) for p in pools] == [(["controller", "broker"], 1)]


def test_each_kafka_client_has_its_own_user_and_only_the_gateway_writes_the_backoffice_topic():
    docs = documents("prod")
    settings = settings_of(docs)
    users = {d["metadata"]["name"]: d["spec"] for d in docs if d["kind"] == "KafkaUser"}
    declared = {d["spec"]["topicName"] for d in docs if d["kind"] == "KafkaTopic"}
    for workload in workloads(docs):
        container = workload["spec"]["template"]["spec"]["containers"][0]
        env = {e["name"]: e for e in container.get("env", [])}
        if workload["spec"]["template"]["metadata"]["labels"].get("ventanilla.kafka/client") == "true":
            name = env["VENTANILLA_KAFKA_SASL_USERNAME"]["value"]
            assert name in users and env["VENTANILLA_KAFKA_SASL_PASSWORD"]["valueFrom"]["secretKeyRef"]["name"] == name
    writers = set()
    for name, user in users.items():
        assert user["authentication"]["type"] == "scram-sha-512"
        for acl in user["authorization"]["acls"]:
            resource = acl["resource"]
            if resource["type"] == "topic" and resource.get("patternType", "literal") == "literal":
                assert resource["name"] in declared, (name, resource["name"])
                if "Write" in acl["operations"] and resource["name"] == settings.topics.backoffice_updates:
                    writers.add(name)
            assert "All" not in acl["operations"], name
    assert writers == {"backoffice-gateway"}


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_each_registry_pod_runs_one_registry_process_per_cpu_of_its_limit(overlay):
    container = find(documents(overlay), "Deployment", "registry")["spec"]["template"]["spec"]["containers"][0]
    env = {e["name"]: e.get("value") for e in container["env"]}
    cpus = float(str(container["resources"]["limits"]["cpu"]).removesuffix("m")) / (
        1000 if str(container["resources"]["limits"]["cpu"]).endswith("m") else 1)
    assert int(env["VENTANILLA_REGISTRY_PROCESSES"]) == int(cpus) >= 1


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_the_registry_always_knows_its_replicas_and_never_gets_a_file_claims_store(overlay, tmp_path):
    docs = documents(overlay)
    registry = find(docs, "Deployment", "registry")
    env = {e["name"]: e for e in registry["spec"]["template"]["spec"]["containers"][0]["env"]}
    assert env["VENTANILLA_REGISTRY_REPLICAS"]["value"] == str(registry["spec"]["replicas"])
    dsn = env["VENTANILLA_CLAIMS_DSN"]["valueFrom"]["secretKeyRef"]
    assert dsn == {"name": "claims-app", "key": "uri"}  # the Secret CloudNativePG writes; not optional
    assert find(docs, "Cluster", "claims")["spec"]["bootstrap"]["initdb"]["owner"] == "app"
    # and the mistake the registry refuses is what the overlay would give it without the DSN
    without_dsn = Settings.from_env({"VENTANILLA_STATE_DIR": str(tmp_path),
                                     "VENTANILLA_REGISTRY_REPLICAS": env["VENTANILLA_REGISTRY_REPLICAS"]["value"]})
    if registry["spec"]["replicas"] > 1:
        with pytest.raises(SystemExit):
            build_claims(without_dsn)


def test_production_claims_survive_a_zone_and_commit_synchronously():
    spec = find(documents("prod"), "Cluster", "claims")["spec"]
    assert spec["instances"] == 3 and spec["postgresql"]["synchronous"]["number"] >= 1
    assert spec["affinity"]["topologyKey"] == "topology.kubernetes.io/zone"
    assert spec["backup"]["barmanObjectStore"]["destinationPath"].startswith("s3://")


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_every_pod_meets_the_restricted_profile_and_is_sized_probed_and_spread(overlay):
    docs = documents(overlay)
    accounts = {d["metadata"]["name"]: d for d in docs if d["kind"] == "ServiceAccount"}
    for workload in workloads(docs):
        name, pod = workload["metadata"]["name"], workload["spec"]["template"]["spec"]
        assert accounts[pod["serviceAccountName"]]["automountServiceAccountToken"] is False
        assert pod["serviceAccountName"] == name and pod["automountServiceAccountToken"] is False
        assert pod["securityContext"]["runAsNonRoot"] is True
        assert pod["securityContext"]["seccompProfile"] == {"type": "RuntimeDefault"}
        assert pod["terminationGracePeriodSeconds"] >= 30
        assert pod["topologySpreadConstraints"][0]["topologyKey"] == "topology.kubernetes.io/zone"
        for container in pod["containers"]:
            security = container["securityContext"]
            assert security["allowPrivilegeEscalation"] is False and security["readOnlyRootFilesystem"] is True
            assert security["capabilities"] == {"drop": ["ALL"]} and security["runAsUser"] > 10000
            resources = container["resources"]
            assert {"cpu", "memory"} <= set(resources["requests"]) and {"cpu", "memory"} <= set(resources["limits"])
            assert container["readinessProbe"] != container["livenessProbe"], name
            mounts = {m["mountPath"] for m in container["volumeMounts"]}
            assert "/tmp" in mounts, name
            assert container["envFrom"][0]["configMapRef"]["name"].startswith("ventanilla-")  # hashed: rolls pods


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_status_replicas_are_static_members_of_their_consumer_groups(overlay):
    """A restarted status pod takes its group partitions back at once (docs/operations.md, 'Consumer groups')."""
    [status] = [w for w in workloads(documents(overlay)) if w["metadata"]["name"] == "status"]
    assert status["kind"] == "StatefulSet"  # stable pod names: unique, stable instance ids
    env = status["spec"]["template"]["spec"]["containers"][0]["env"]
    assert {"name": "VENTANILLA_GROUP_INSTANCE_ID", "valueFrom": {"fieldRef": {"fieldPath": "metadata.name"}}} in env


def test_production_images_are_pinned_by_digest():
    for workload in workloads(documents("prod")):
        for container in workload["spec"]["template"]["spec"]["containers"]:
            assert "@sha256:" in container["image"], workload["metadata"]["name"]


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_each_disruption_budget_is_namespaced_and_selects_exactly_its_workload(overlay):
    docs = documents(overlay)
    budgets = [d for d in docs if d["kind"] == "PodDisruptionBudget"]
    assert {b["metadata"]["name"] for b in budgets} == {w["metadata"]["name"] for w in workloads(docs)}
    for budget in budgets:
        assert budget["metadata"]["namespace"] == "ventanilla"
        selector = budget["spec"]["selector"]["matchLabels"]
        selected = [w["metadata"]["name"] for w in workloads(docs)
                    if selector.items() <= w["spec"]["template"]["metadata"]["labels"].items()]
        assert selected == [budget["metadata"]["name"]]


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_autoscaling_is_bounded_by_partition_counts(overlay):
    docs = documents(overlay)
    settings = settings_of(docs)
    bounds = {"soap-edge": settings.topics.invoice_events_partitions, "status": settings.topics.backoffice_partitions}
    scalers = {d["metadata"]["name"]: d["spec"] for d in docs if d["kind"] == "HorizontalPodAutoscaler"}
    assert set(scalers) == set(bounds)
    for name, spec in scalers.items():
        assert 1 <= spec["minReplicas"] <= spec["maxReplicas"] <= bounds[name]
        target = find(docs, spec["scaleTargetRef"]["kind"], spec["scaleTargetRef"]["name"])
        assert "replicas" not in target["spec"]  # the autoscaler alone sets the count


def test_the_edge_balances_grpc_over_every_pod_of_headless_services():
    docs = documents("prod")
    settings = settings_of(docs)
    assert settings.addresses.lb_policy == "round_robin"
    for address, service in ((settings.addresses.registry, "registry"), (settings.addresses.status, "status"),
                             (settings.addresses.cancellation, "cancellation")):
        assert address.startswith(f"dns:///{service}.ventanilla.svc")
        assert find(docs, "Service", service)["spec"]["clusterIP"] == "None"


def test_network_policies_deny_by_default_and_open_only_the_needed_flows():
    docs = documents("prod")
    policies = {d["metadata"]["name"]: d["spec"] for d in docs if d["kind"] == "NetworkPolicy"}
    assert policies["default-deny"] == {"podSelector": {}, "policyTypes": ["Ingress", "Egress"]}
    ingress_controller = {"kubernetes.io/metadata.name": "ingress-nginx"}
    for name, port in (("soap-edge", 8443), ("portal", 8444)):
        [rule] = policies[name]["ingress"]
        assert rule["from"][0]["namespaceSelector"]["matchLabels"] == ingress_controller
        assert rule["ports"] == [{"protocol": "TCP", "port": port}]
    [rule] = policies["cancellation"]["ingress"]
    assert rule["from"] == [{"podSelector": {"matchLabels": {"app.kubernetes.io/name": "soap-edge"}}}]
    assert "ipBlock" in policies["backoffice-gateway"]["ingress"][0]["from"][0]
    for workload in workloads(docs):
        labels = workload["spec"]["template"]["metadata"]["labels"]
        own = [n for n, p in policies.items() if n != "default-deny" and p["podSelector"].get("matchLabels", {})
               and p["podSelector"]["matchLabels"].items() <= labels.items() and "Ingress" in p["policyTypes"]]
        assert own, f"no ingress policy names {workload['metadata']['name']}"


def test_the_ingress_verifies_and_forwards_the_client_certificate_the_edge_trusts():
    docs = documents("prod")
    settings = settings_of(docs)
    edge = find(docs, "Ingress", "soap-edge")["metadata"]["annotations"]
    assert edge["nginx.ingress.kubernetes.io/auth-tls-verify-client"] == "on"
    assert edge["nginx.ingress.kubernetes.io/auth-tls-pass-certificate-to-upstream"] == "true"
    assert edge["nginx.ingress.kubernetes.io/proxy-request-buffering"] == "on"
    assert settings.edge.plain_http and settings.edge.trusted_proxies
    portal = find(docs, "Ingress", "portal")["metadata"]["annotations"]
    assert portal["nginx.ingress.kubernetes.io/auth-tls-pass-certificate-to-upstream"] == "true"


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_everything_lives_in_the_restricted_namespace(overlay):
    docs = documents(overlay)
    namespace = find(docs, "Namespace", "ventanilla")
    assert namespace["metadata"]["labels"]["pod-security.kubernetes.io/enforce"] == "restricted"
    assert all(d["metadata"].get("namespace") == "ventanilla" for d in docs if d["kind"] != "Namespace")


def test_compose_runs_every_service_from_the_one_image_on_kafka_and_postgresql():
    import yaml

    from tests.deploy.render import ROOT
    from ventanilla.stack import SERVICES

    compose = yaml.safe_load((ROOT / "deploy" / "compose.yaml").read_text())
    services = compose["services"]
    assert services["kafka"]["image"].startswith("apache/kafka:")
    assert services["kafka"]["environment"]["KAFKA_PROCESS_ROLES"] == "broker,controller"  # KRaft
    assert services["postgres"]["image"].startswith("postgres:")
    for service in SERVICES:
        spec = services[service.name]
        assert spec["image"] == "ventanilla:dev" and spec["command"] == [service.module]
        assert spec["build"]["dockerfile"] == "deploy/docker/Dockerfile"
    assert services["registry"]["environment"]["VENTANILLA_CLAIMS_DSN"].startswith("postgresql://")


def test_the_volume_component_puts_the_blobs_on_one_shared_claim(tmp_path):
    import os
    import subprocess

    import yaml

    from tests.deploy.render import ROOT, tool

    kubernetes = ROOT / "deploy" / "kubernetes"
    (tmp_path / "kustomization.yaml").write_text(yaml.safe_dump({
        "namespace": "ventanilla", "resources": [os.path.relpath(kubernetes / "overlays" / "prod", tmp_path)],
        "components": [os.path.relpath(kubernetes / "components" / "blobs-on-volume", tmp_path)]}))
    docs = [d for d in yaml.safe_load_all(subprocess.run(
        [str(tool("kustomize")), "build", "--load-restrictor", "LoadRestrictionsNone", str(tmp_path)],
        capture_output=True, text=True, check=True, timeout=120).stdout) if d]
    settings = settings_of(docs)
    assert settings.blobs.store == "directory" and str(settings.blobs.directory) == "/var/lib/ventanilla/blobs"
    assert find(docs, "PersistentVolumeClaim", "blobs")["spec"]["accessModes"] == ["ReadWriteMany"]
    for kind, name in (("Deployment", "registry"), ("StatefulSet", "status")):
        pod = find(docs, kind, name)["spec"]["template"]["spec"]
        assert {"name": "blobs", "persistentVolumeClaim": {"claimName": "blobs"}} in pod["volumes"]
        assert {"name": "blobs", "mountPath": "/var/lib/ventanilla/blobs"} in pod["containers"][0]["volumeMounts"]


def test_the_operations_guide_lists_every_setting():
    from tests.deploy.render import ROOT
    from tools.k8s.settings_table import variables

    guide = (ROOT / "docs" / "operations.md").read_text()
    missing = [name for name in variables() if f"`{name}`" not in guide]
    assert missing == [], "run tools/k8s/settings_table.py and update docs/operations.md"


def test_every_grpc_call_between_services_is_an_allowed_flow():
    docs = documents("prod")
    policies = {d["metadata"]["name"]: d["spec"] for d in docs if d["kind"] == "NetworkPolicy"}

    def allowed(source: str, target: str, port: int) -> bool:
        out = any({"podSelector": {"matchLabels": {"app.kubernetes.io/name": target}}} in rule.get("to", [])
                  and {"protocol": "TCP", "port": port} in rule["ports"]
                  for rule in policies[source].get("egress", []))
        into = any({"podSelector": {"matchLabels": {"app.kubernetes.io/name": source}}} in rule.get("from", [])
                   and {"protocol": "TCP", "port": port} in rule["ports"]
                   for rule in policies[target].get("ingress", []))
        return out and into

    for source, target, port in (("soap-edge", "registry", 15051), ("soap-edge", "status", 15052),
                                 ("soap-edge", "cancellation", 15053), ("cancellation", "status", 15052),
                                 ("portal", "registry", 15051), ("portal", "status", 15052),
                                 ("backoffice-gateway", "status", 15054)):
        assert allowed(source, target, port), (source, target, port)
    assert not allowed("cancellation", "registry", 15051)


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_every_process_serves_metrics_that_a_pod_monitor_scrapes_and_the_network_lets_through(overlay):
    docs = documents(overlay)
    monitors = {d["metadata"]["name"]: d["spec"] for d in docs if d["kind"] == "PodMonitor"}
    [scrape] = [d["spec"] for d in docs if d["kind"] == "NetworkPolicy" and d["metadata"]["name"] == "metrics-scrape"]
    [selected] = scrape["podSelector"]["matchExpressions"]
    open_ports = {p["port"] for p in scrape["ingress"][0]["ports"]}
    for process, (prefix, _default) in METRICS_PROCESSES.items():
        [workload] = [w for w in workloads(docs) if w["metadata"]["name"] == process]
        [container] = [c for c in workload["spec"]["template"]["spec"]["containers"] if c["name"] == process]
        env = {e["name"]: e.get("value") for e in container["env"]}
        port = int(env[f"VENTANILLA_{prefix}_METRICS_ADDRESS"].rpartition(":")[2])
        assert {"name": "metrics", "containerPort": port} in container["ports"], process
        assert env["VENTANILLA_METRICS_TLS_CLIENT_CA"], process  # only Prometheus's scrape certificate gets in
        assert monitors[process]["selector"]["matchLabels"] == {"app.kubernetes.io/name": process}
        assert monitors[process]["podMetricsEndpoints"][0]["port"] == "metrics"
        assert process in selected["values"] and port in open_ports, process


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_status_snapshots_are_taken_on_a_schedule_one_at_a_time_as_the_status_service(overlay):
    """The CronJob of docs/operations.md, 'Snapshots of the status projection'."""
    from ventanilla.cli import parser
    from ventanilla.cli_projections import snapshot

    docs = documents(overlay)
    job, status = find(docs, "CronJob", "status-snapshot"), find(docs, "StatefulSet", "status")
    assert job["spec"]["concurrencyPolicy"] == "Forbid"  # never two copies at once
    assert len(job["spec"]["schedule"].split()) == 5 and job["spec"]["startingDeadlineSeconds"] > 0
    assert 0 < job["spec"]["successfulJobsHistoryLimit"] <= 5 and 0 < job["spec"]["failedJobsHistoryLimit"] <= 5
    assert job["spec"]["jobTemplate"]["spec"]["activeDeadlineSeconds"] > 0
    pod, own = job["spec"]["jobTemplate"]["spec"]["template"]["spec"], status["spec"]["template"]["spec"]
    [container], server = pod["containers"], own["containers"][0]
    # the status service's identity, image and configuration
    assert pod["serviceAccountName"] == own["serviceAccountName"] == "status"
    assert pod["automountServiceAccountToken"] is False and pod["restartPolicy"] in ("Never", "OnFailure")
    assert container["image"] == server["image"] and container["imagePullPolicy"] == "Always"
    assert container["envFrom"] == server["envFrom"]
    args = parser().parse_args(container["args"][1:])
    assert container["args"][0] == "ventanilla.cli" and args.handler is snapshot and args.keep >= 1
    # restricted and bounded, like every service pod
    assert pod["securityContext"]["runAsNonRoot"] is True and pod["securityContext"]["seccompProfile"] == {"type": "RuntimeDefault"}
    assert container["securityContext"] == server["securityContext"]
    assert {"cpu", "memory", "ephemeral-storage"} <= set(container["resources"]["limits"])
    # status-0's projection, where the settings put it, mounted on that pod's node
    mounts = {m["name"]: m["mountPath"] for m in container["volumeMounts"]}
    assert mounts["projection"] == str(settings_of(docs).path("status")) and mounts["tmp"] == "/tmp"
    claim = status["spec"]["volumeClaimTemplates"][0]["metadata"]["name"]
    assert {"name": "projection", "persistentVolumeClaim": {"claimName": f"{claim}-status-0"}} in pod["volumes"]
    [term] = pod["affinity"]["podAffinity"]["requiredDuringSchedulingIgnoredDuringExecution"]
    assert term == {"topologyKey": "kubernetes.io/hostname",
                    "labelSelector": {"matchLabels": {"statefulset.kubernetes.io/pod-name": "status-0"}}}
    env = {e["name"]: e["valueFrom"]["secretKeyRef"]["name"] for e in container["env"] if "valueFrom" in e}
    assert env == {"VENTANILLA_S3_ACCESS_KEY_ID": "object-store-snapshots",
                   "VENTANILLA_S3_SECRET_ACCESS_KEY": "object-store-snapshots"}  # may write and delete
    # never one of the status Service's endpoints; nothing may connect to it
    labels = job["spec"]["jobTemplate"]["spec"]["template"]["metadata"]["labels"]
    assert not find(docs, "Service", "status")["spec"]["selector"].items() <= labels.items()
    [policy] = [d["spec"] for d in docs if d["kind"] == "NetworkPolicy"
                and d["spec"]["podSelector"].get("matchLabels") == {"app.kubernetes.io/name": "status-snapshot"}]
    assert policy["policyTypes"] == ["Ingress", "Egress"] and policy["ingress"] == []
    # in their own bucket (the documents' is under object lock: pruning could not free them), and used
    settings = settings_of(docs)
    assert settings.blobs.s3_snapshot_bucket not in ("", settings.blobs.s3_bucket)
    assert settings.status_snapshot == "latest"


def test_operators_set_the_snapshot_schedule_in_the_overlay():
    import yaml

    from tests.deploy.render import OVERLAYS as OVERLAY_DIR

    overlay = yaml.safe_load((OVERLAY_DIR / "prod" / "kustomization.yaml").read_text())
    [patch] = [p for p in overlay["patches"] if p["target"].get("kind") == "CronJob"]
    [operation] = yaml.safe_load(patch["patch"])
    assert operation["path"] == "/spec/schedule"
    assert find(documents("prod"), "CronJob", "status-snapshot")["spec"]["schedule"] == operation["value"]


STOP_MARGIN_S = 5  # between a service's stop bound and its pod's kill: a loaded node, the container runtime


def stop_bounds(settings: Settings) -> dict[str, float]:
    """Each service's stop bound (docs/operations.md, "Stopping"), from the code that enforces it: the one
    stop_bound_s of the grace its composition root gives the calls under way."""
    from backoffice_gateway.__main__ import stop_grace_s as gateway
    from cancellation_service.__main__ import stop_grace_s as cancellation
    from portal_service.server import stop_grace_s as portal
    from registry_service.__main__ import stop_grace_s as registry
    from soap_edge.http.server import stop_grace_s as edge
    from status_service.__main__ import stop_grace_s as status
    from ventanilla.stopping import stop_bound_s

    graces = {"status": status, "registry": registry, "cancellation": cancellation, "soap-edge": edge,
              "portal": portal, "backoffice-gateway": gateway}
    bounds = {name: stop_bound_s(grace(settings)) for name, grace in graces.items()}
    bounds["registry"] += 1  # its parent of VENTANILLA_REGISTRY_PROCESSES waits a child's bound, then 1 s
    return bounds


def stopping_table() -> dict[str, tuple[float, int]]:
    """docs/operations.md's "Stopping" table: per service, the bound and terminationGracePeriodSeconds it states."""
    import re

    from tests.deploy.render import ROOT

    guide = (ROOT / "docs" / "operations.md").read_text()
    rows = guide[guide.index("| service | grace for calls under way |"):].split("\n\n", 1)[0].splitlines()[2:]
    stated = {}
    for row in rows:
        names, _grace, bound, periods = (cell.strip() for cell in row.strip("|").split("|"))
        for name, period in zip(names.split(", "), periods.split(", "), strict=True):
            stated[name] = (float(re.match(r"[0-9.]+", bound).group()), int(period))
    return stated


def test_the_stopping_table_states_each_services_bound_and_pod_grace():
    docs = documents("prod")
    bounds = stop_bounds(settings_of(docs))
    periods = {w["metadata"]["name"]: w["spec"]["template"]["spec"]["terminationGracePeriodSeconds"]
               for w in workloads(docs) if w["metadata"]["name"] in bounds}
    assert stopping_table() == {name: (bounds[name] - (name == "registry"), periods[name]) for name in bounds}


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_every_service_pod_is_given_time_to_stop_within_its_services_bound(overlay):
    docs = documents(overlay)
    bounds = stop_bounds(settings_of(docs))
    checked = set()
    for workload in workloads(docs):
        name, pod = workload["metadata"]["name"], workload["spec"]["template"]["spec"]
        if name not in bounds:
            continue
        pre_stop = max((c.get("lifecycle", {}).get("preStop", {}).get("sleep", {}).get("seconds", 0)
                        for c in pod["containers"]), default=0)
        assert pod["terminationGracePeriodSeconds"] >= pre_stop + bounds[name] + STOP_MARGIN_S, name
        checked.add(name)
    assert checked == set(bounds)
