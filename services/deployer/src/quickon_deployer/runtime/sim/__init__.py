"""The ``sim`` runtime's cluster model: Kubernetes without a kubelet, in the spirit of kwok.

Pure and deterministic: time is whatever the caller passes; the only I/O is the volume directories.
"""

from .admin import NotFoundError
from .cluster import Cluster
from .events import Event
from .failures import FAIL_ANNOTATION, RUN_SECONDS_ANNOTATION, Failure
from .hooks import HookFailed
from .manifests import ManifestError
from .releases import ApplyResult
from .state import NodeSpec, SimConfig, default_nodes
from .status import ClaimStatus, NodeStatus, PodStatus, ReleaseStatus, WorkloadStatus
from .volumes import Mount

__all__ = [
    "FAIL_ANNOTATION",
    "RUN_SECONDS_ANNOTATION",
    "ApplyResult",
    "ClaimStatus",
    "Cluster",
    "Event",
    "Failure",
    "HookFailed",
    "ManifestError",
    "Mount",
    "NodeSpec",
    "NodeStatus",
    "NotFoundError",
    "PodStatus",
    "ReleaseStatus",
    "SimConfig",
    "WorkloadStatus",
    "default_nodes",
]
