"""The ``kubernetes`` runtime: a real cluster, reached through a kubeconfig or the in-cluster service account.

Helm (the ``helm`` CLI, driven through pyhelm3) owns releases and their revisions, so ``helm list``
shows what QuickOn installed. The official ``kubernetes`` client (its sync API, in worker threads)
reads health and makes the changes Helm has no verb for, as ``kubectl scale`` and ``kubectl rollout
restart`` would: Helm's three-way merge keeps such live changes across upgrades unless the chart
changes the same field, so a stopped release stays stopped when upgraded (as in the ``sim`` runtime).

Volumes: ``helm uninstall`` honours ``helm.sh/resource-policy: keep`` only as recorded in the release's
manifest, never on the live object. So every install and upgrade passes through a post-renderer that
marks each PersistentVolumeClaim ``keep``: Helm never deletes a claim, and ``uninstall`` deletes the
release's claims itself unless asked to keep them (StatefulSets' claim templates leave theirs too).

Waiting: nothing is polled. While a saga waits for a release, ``until_changed`` watches (the API's watch,
from the resourceVersions ``health`` listed) the release's workloads and pods and returns at the first
change; ``uninstall`` returns once the release's objects and their pods are gone, as ``helm uninstall
--wait`` (helm 3.10 deletes with the background cascade, so the pods are watched by their workloads'
selectors).

Modules: ``runtime`` (the class and the Runtime calls helm answers), ``scaling`` (stop, start, restart,
replace_broken_pods), ``health`` (workloads, pods and events read into Health), ``release`` (reading the
release's objects), ``objects`` (small readers of API objects), ``helm`` (pyhelm3 and the post-renderer),
``capacity`` (the nodes' capacity and the pods' requests), ``waiting`` (until_changed and the uninstall's
wait), ``watching`` (the list+watch logic), ``sources`` (its thin API side), ``errors`` (the edges:
retries, and API/helm errors mapped to RuntimeFailure).
"""

from .runtime import KubernetesRuntime

__all__ = ["KubernetesRuntime"]
