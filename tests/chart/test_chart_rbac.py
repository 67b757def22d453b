"""The deployer's rights are exactly the table of the chart's README, and no other service has any."""

from __future__ import annotations

import re
from collections.abc import Callable

from support.chart import CHART, Manifest, find, render

Rendered = Callable[[str], list[Manifest]]
Rule = tuple[str, str, str, frozenset[str]]  # role, API group, resource, verbs
ROLES = {"cluster": "quickon-deployer-cluster", "apps": "quickon-deployer-apps"}


def documented() -> set[Rule]:
    """The rows of README.md's "What the deployer may do" table, one rule per resource."""
    section = (CHART / "README.md").read_text().split("## What the deployer may do", 1)[1].split("\n## ", 1)[0]
    rules: set[Rule] = set()
    for line in section.splitlines():
        cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
        if len(cells) != 5 or cells[0] not in ROLES:
            continue
        role, group, resources, verbs, _why = cells
        for resource in resources.split(","):
            rules.add((role, "" if group == "core" else group, resource.strip(), frozenset(re.split(r",\s*", verbs))))
    return rules


def granted(objects: list[Manifest]) -> set[Rule]:
    rules: set[Rule] = set()
    for role, name in ROLES.items():
        for rule in find(objects, "ClusterRole", name)["rules"]:
            assert "resourceNames" not in rule and "nonResourceURLs" not in rule
            for group in rule["apiGroups"]:
                for resource in rule["resources"]:
                    rules.add((role, group, resource, frozenset(rule["verbs"])))
    return rules


def test_the_rendered_roles_grant_exactly_what_the_readme_documents(rendered: Rendered) -> None:
    table = documented()
    assert len(table) > 10  # the table was found and read
    assert granted(rendered("default")) == table


def test_only_the_deployers_service_account_is_bound(rendered: Rendered) -> None:
    objects = rendered("default")
    bindings = [o for o in objects if o["kind"] in ("ClusterRoleBinding", "RoleBinding")]
    subjects = {(o["kind"], s["name"]) for o in bindings for s in o["subjects"]}
    # The credentials hook Job's own binding is to its Role in the release's namespace.
    assert subjects == {
        ("ClusterRoleBinding", "quickon-deployer"), ("RoleBinding", "quickon-deployer"),
        ("RoleBinding", "quickon-credentials"),
    }  # fmt: skip
    assert {o["roleRef"]["name"] for o in bindings if o["kind"] == "ClusterRoleBinding"} == set(ROLES.values())


def test_app_namespaces_narrow_the_app_rights_to_role_bindings_there() -> None:
    objects = render("default", "rbac.appNamespaces={team-a,team-b}")
    app_bindings = [o for o in objects if o.get("roleRef", {}).get("name") == ROLES["apps"]]
    assert {(o["kind"], o["metadata"].get("namespace")) for o in app_bindings} == {
        ("RoleBinding", "team-a"), ("RoleBinding", "team-b"),
    }  # fmt: skip
    find(objects, "ClusterRoleBinding", ROLES["cluster"])  # capacity and namespaces stay cluster-wide


def test_the_credentials_job_may_read_and_replace_only_its_two_secrets(rendered: Rendered) -> None:
    role = find(rendered("default"), "Role", "quickon-credentials")
    named = [r for r in role["rules"] if "resourceNames" in r]
    assert named == [{
        "apiGroups": [""], "resources": ["secrets"], "resourceNames": ["quickon-nats-credentials", "quickon-nats-auth"],
        "verbs": ["get", "update"],
    }]  # fmt: skip
    assert [r["verbs"] for r in role["rules"] if "resourceNames" not in r] == [["create"]]


def test_the_deployer_may_scale_only_the_platforms_own_deployments(rendered: Rendered) -> None:
    objects = rendered("default")
    role = find(objects, "Role", "quickon-deployer-platform")
    names = [f"quickon-{name}" for name in ("market", "deployer", "backup", "monitor", "audit", "gateway")]
    assert role["rules"] == [
        {"apiGroups": ["apps"], "resources": ["deployments/scale"], "resourceNames": names, "verbs": ["get", "patch"]}
    ]
    binding = find(objects, "RoleBinding", "quickon-deployer-platform")
    assert binding["roleRef"]["name"] == "quickon-deployer-platform"
    assert [s["name"] for s in binding["subjects"]] == ["quickon-deployer"]
    deployer = find(objects, "Deployment", "quickon-deployer")
    env = {e["name"]: e.get("value") for e in deployer["spec"]["template"]["spec"]["containers"][0]["env"]}
    assert env["QC_PLATFORM_RELEASE"] == "quickon"
