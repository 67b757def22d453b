"""The kubernetes runtime's reading of capacity: a pod's effective requests and a node's allocatable, as
``kubectl describe node`` counts them."""

from __future__ import annotations

from kubernetes import client

from quickon_deployer.runtime.kubernetes.capacity import _claimed, _node, pod_requests


def container(name: str, **requests: str) -> client.V1Container:
    return client.V1Container(name=name, resources=client.V1ResourceRequirements(requests=requests or None))


def test_a_pods_requests_are_its_containers_or_its_largest_init_container_plus_overhead() -> None:
    pod = client.V1Pod(
        spec=client.V1PodSpec(
            containers=[container("app", cpu="250m", memory="128Mi"), container("sidecar", cpu="0.1"), container("x")],
            init_containers=[container("migrate", cpu="1", memory="64Mi")],
            overhead={"memory": "1Mi"},
        )
    )
    # CPU: the init container's 1000m beats 350m; memory: 128Mi beats 64Mi, plus 1Mi of overhead.
    assert pod_requests(pod) == (1000, 129 * 1024**2)
    assert pod_requests(client.V1Pod()) == (0, 0)


def test_a_node_is_its_allocatable_and_readiness_and_a_claim_its_bound_size() -> None:
    node = client.V1Node(
        metadata=client.V1ObjectMeta(name="n1"),
        status=client.V1NodeStatus(
            allocatable={"cpu": "3920m", "memory": "7Gi"},
            conditions=[client.V1NodeCondition(type="Ready", status="True")],
        ),
    )
    seen = _node(node, (500, 1024, 2))
    assert (seen.name, seen.ready, seen.cpu_m, seen.memory, seen.cpu_requested_m, seen.pods) == (
        "n1", True, 3920, 7 * 1024**3, 500, 2,
    )  # fmt: skip
    asked = client.V1PersistentVolumeClaim(
        spec=client.V1PersistentVolumeClaimSpec(
            resources=client.V1VolumeResourceRequirements(requests={"storage": "8Gi"})
        )
    )
    assert _claimed(asked) == 8 * 1024**3
    asked.status = client.V1PersistentVolumeClaimStatus(capacity={"storage": "10Gi"})
    assert _claimed(asked) == 10 * 1024**3
