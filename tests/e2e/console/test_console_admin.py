"""The admin pages and the dashboard, in a browser: an admin adds a user and a team, makes the user a viewer,
gives the team a namespace and is told why kube-system cannot be one, sees a repository that cannot be read
fail with its last error, sees helm lint's messages for a broken chart, reads every service's health (each
replica), cordons a node and uncordons it;
the dashboard shows the cluster's resources and the services by status; a user who is no admin gets no
Admin menu and is told so at /admin. Every page: no serious accessibility violation.

Names start with ``adm-``: the platform is shared with the other console tests."""

from __future__ import annotations

import re
from pathlib import Path

import httpx
from playwright.sync_api import Page, expect

from support.browser import serious_violations, sign_in, token_of
from support.charts import chart_tgz
from support.platform import ADMIN_PASSWORD, Platform

PASSWORD = "adm-Pa55word-for-tests"
BROKEN_TEMPLATE = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {{ .Release.Name \n"


def test_an_admin_manages_users_teams_repositories_and_charts(
    admin_page: Page, console_platform: Platform, tmp_path: Path
) -> None:
    page = admin_page
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Admin").click()
    expect(page).to_have_url(re.compile("/admin/users$"))

    # A user.
    add_user = page.get_by_role("form", name="Add a user")
    add_user.get_by_label("Username").fill("adm-ada")
    add_user.get_by_label("Password").fill(PASSWORD)
    add_user.get_by_role("button", name="Add user").click()
    expect(page.get_by_role("status")).to_have_text("User adm-ada added.")
    ada = page.locator("tr[data-user='adm-ada']")
    expect(ada).to_contain_text("Active")
    assert serious_violations(page) == []

    # A team, the user in it as a viewer, a namespace; kube-system refused with the gateway's reason.
    page.get_by_role("navigation", name="Admin sections").get_by_role("link", name="Teams").click()
    create = page.get_by_role("form", name="Create a team")
    create.get_by_label("Team name").fill("adm-atlas")
    create.get_by_role("button", name="Create team").click()
    expect(page.get_by_role("heading", name="Team adm-atlas")).to_be_visible()
    add_member = page.get_by_role("form", name="Add member")
    add_member.get_by_label("Username").fill("adm-ada")
    add_member.get_by_label("Role").select_option("viewer")
    add_member.get_by_role("button", name="Add member").click()
    expect(page.locator("tr[data-member='adm-ada']").get_by_label("Role: adm-ada")).to_have_value("viewer")
    add_namespace = page.get_by_role("form", name="Add namespace")
    add_namespace.get_by_label("Namespace").fill("adm-atlas-extra")
    add_namespace.get_by_role("button", name="Add namespace").click()
    expect(page.get_by_role("button", name="Remove namespace adm-atlas-extra")).to_be_visible()
    add_namespace.get_by_label("Namespace").fill("kube-system")
    add_namespace.get_by_role("button", name="Add namespace").click()
    expect(page.get_by_role("alert")).to_contain_text("'kube-system' is Kubernetes' own namespace")
    assert serious_violations(page) == []

    # A repository that cannot be read: the operation fails, the repository stays with its last error.
    page.get_by_role("navigation", name="Admin sections").get_by_role("link", name="Repositories").click()
    add_repository = page.get_by_role("form", name="Add a repository")
    add_repository.get_by_label("Name").fill("adm-broken")
    # .invalid never resolves (RFC 6761): the add is accepted, the first read fails.
    add_repository.get_by_label(re.compile("^URL")).fill("http://charts.invalid/")
    add_repository.get_by_role("button", name="Add repository").click()
    expect(page.locator("[data-state='failed'][aria-label^='Progress of add_repository']")).to_be_visible()
    broken = page.locator("tr[data-repository='adm-broken']")
    expect(broken).to_contain_text("failed")
    expect(broken.locator(".last-error")).to_contain_text("charts.invalid cannot be resolved")
    assert serious_violations(page) == []

    # A chart helm lint refuses: its messages, line by line.
    chart = tmp_path / "adm-ledger-0.1.0.tgz"
    chart.write_bytes(chart_tgz("adm-ledger", "0.1.0", template=BROKEN_TEMPLATE))
    page.get_by_role("navigation", name="Admin sections").get_by_role("link", name="Publish a chart").click()
    page.get_by_label("Chart package (.tgz)").set_input_files(chart)
    page.get_by_role("button", name="Publish").click()
    expect(page.get_by_role("alert")).to_contain_text("helm lint refused adm-ledger 0.1.0")
    expect(page.get_by_role("region", name="What the checks said").get_by_role("listitem").first).to_be_visible()
    assert serious_violations(page) == []

    # Every service of the platform answers and is ready.
    page.get_by_role("navigation", name="Admin sections").get_by_role("link", name="Platform health").click()
    rows = page.locator("tr[data-component]")
    expect(rows).to_have_count(6)
    expect(page.locator("tr[data-component='gateway']")).to_have_attribute("data-state", "ready")
    expect(page.locator("tr[data-component='deployer']")).to_have_attribute("data-state", "ready")
    expect(page.locator("tr[data-component='gateway'] li[data-instance]")).to_have_count(1)  # each replica
    assert serious_violations(page) == []

    # A component scaled (followed live), its desired replicas shown so, then back (the platform is shared; on
    # the sim runtime a scale changes what the Deployment asks for, not the processes `qc up` runs).
    audit = page.locator("tr[data-component='audit']")
    replicas = audit.get_by_label("Replicas of audit")
    expect(replicas).to_have_value("1")
    replicas.fill("0")
    expect(audit).to_contain_text("A component runs 1 to 20 replicas.")
    expect(audit.get_by_role("button", name="Scale audit")).to_be_disabled()
    replicas.fill("2")
    audit.get_by_role("button", name="Scale audit").click()
    expect(page.locator("[data-state='succeeded'][aria-label='Progress of scale_component audit']")).to_be_visible()
    expect(audit.locator("td[data-desired]")).to_have_attribute("data-desired", "2")
    assert serious_violations(page) == []
    audit.get_by_label("Replicas of audit").fill("1")
    audit.get_by_role("button", name="Scale audit").click()
    expect(audit.locator("td[data-desired]")).to_have_attribute("data-desired", "1")

    # The cluster's nodes: one cordoned (followed live), shown so, then uncordoned. (No drain here: the
    # platform is shared; tests/integration/test_cluster_nodes.py drains.)
    page.get_by_role("navigation", name="Admin sections").get_by_role("link", name="Nodes").click()
    node = page.locator("tr[data-node='sim-node-3']")
    expect(node).to_have_attribute("data-state", "ready")
    node.get_by_role("button", name="Cordon sim-node-3").click()
    expect(page.locator("[data-state='succeeded'][aria-label='Progress of cordon_node sim-node-3']")).to_be_visible()
    expect(node).to_have_attribute("data-state", "cordoned")
    assert serious_violations(page) == []
    node.get_by_role("button", name="Uncordon sim-node-3").click()
    expect(node).to_have_attribute("data-state", "ready")


def test_the_dashboard_shows_resources_and_services_by_status(admin_page: Page) -> None:
    resources = admin_page.locator("[data-card='resources']")
    expect(resources.locator("[data-resource='nodes']")).to_have_text(re.compile(r"^(\d+) of \1 ready$"))
    expect(resources.get_by_text(re.compile(r"of \d+ cores"))).to_be_visible()
    expect(resources.get_by_role("meter", name=re.compile("^Memory: "))).to_be_visible()
    expect(admin_page.locator("[data-card='status'] [data-status='running']")).to_contain_text("running")
    expect(admin_page.locator("[data-card='activity']").get_by_role("status")).to_have_text("Live")
    assert serious_violations(admin_page) == []


def test_a_user_who_is_no_admin_has_no_admin_menu_and_is_told_at_admin(
    fresh_page: Page, console_platform: Platform
) -> None:
    admin = token_of(console_platform.url, "admin", ADMIN_PASSWORD)
    made = httpx.post(
        f"{console_platform.url}/api/v1/users",
        json={"username": "adm-nobody", "password": PASSWORD},
        headers={"Authorization": f"Bearer {admin}"},
        timeout=30,
    )
    assert made.status_code == 201, made.text
    sign_in(fresh_page, console_platform.url, "adm-nobody", PASSWORD)
    menu = fresh_page.get_by_role("navigation", name="Main")
    expect(menu.get_by_role("link", name="Market")).to_be_visible()
    expect(menu.get_by_role("link", name="Admin")).to_have_count(0)
    # In no team yet: the dashboard's resources say what to do rather than showing the platform.
    expect(fresh_page.locator("[data-card='resources']").get_by_role("alert")).to_contain_text("no team")
    fresh_page.goto(f"{console_platform.url}/admin")
    expect(fresh_page.get_by_role("alert")).to_contain_text("Only platform admins may use the admin pages")
    assert serious_violations(fresh_page) == []
