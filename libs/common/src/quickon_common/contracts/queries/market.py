"""The market's queries (``qc.query.market.<name>``): repositories, the catalog, charts and values for the
deployer and the gateway, upgrades, and publishing into QuickOn's own repository."""

from __future__ import annotations

from typing import Any

from pydantic import Field

from .base import NoRequest, QueryReply, QueryRequest, query

# -- requests -------------------------------------------------------------------------------


class AppsRequest(QueryRequest):
    text: str = Field(default="", max_length=200)
    category: str | None = None
    keyword: str | None = None
    repository: str | None = None
    include_deprecated: bool = False
    limit: int = Field(default=50, ge=1, le=500)
    offset: int = Field(default=0, ge=0)


class AppRequest(QueryRequest):
    app: str = Field(min_length=1, max_length=130, description="a name, or repository/name")
    repository: str | None = None


class VersionRequest(AppRequest):
    version: str | None = Field(default=None, max_length=128, description="none: the latest stable one")


class UpgradesRequest(AppRequest):
    version: str = Field(min_length=1, max_length=128)
    include_prerelease: bool = False


class ChartRequest(VersionRequest):
    """What the deployer asks before it renders: the version, its package, and whether values fit it."""

    values: dict[str, Any] | None = Field(
        default=None, description="the user's values: when given, the answer's errors say what does not fit"
    )
    package: bool = Field(default=True, description="false: leave the .tgz out (the asker has it by its digest)")


class ValidateRequest(VersionRequest):
    values: dict[str, Any] = Field(default_factory=dict, description="the user's values, as for helm --values")


class ScanRequest(VersionRequest):
    wait_s: float = Field(
        default=5, ge=0, le=30, description="how long to wait for a scan not done yet before answering 'scanning'"
    )


class PublishRequest(QueryRequest):
    chart: str = Field(description="the packaged chart (.tgz), base64")


# -- replies --------------------------------------------------------------------------------


class RepositoryView(QueryReply):
    name: str
    url: str
    builtin: bool | None = None
    status: str | None = Field(default=None, description="pending, ok or failed")
    last_error: str | None = None
    synced_at: str | None = None
    checked_at: str | None = None
    apps: int | None = None


class Repositories(QueryReply):
    repositories: list[RepositoryView]


class AppSummary(QueryReply):
    id: str = Field(description="repository/name")
    repository: str
    name: str
    title: str | None = None
    description: str | None = None
    icon: str | None = None
    category: str | None = None
    category_inferred: bool | None = Field(
        default=None, description="the chart declares no category: this one was inferred from its name and words"
    )
    keywords: list[str] = []
    latest_version: str | None = None
    app_version: str | None = None
    deprecated: bool | None = None
    versions: int | None = Field(default=None, description="how many versions it has")


class AppList(QueryReply):
    total: int
    offset: int
    apps: list[AppSummary]


class Categories(QueryReply):
    categories: dict[str, int] = {}


class VersionSummary(QueryReply):
    version: str
    app_version: str | None = None
    created: str | None = None
    digest: str | None = None
    deprecated: bool | None = None
    prerelease: bool | None = None
    breaking: bool | None = None
    contains_security_updates: bool | None = None
    changes: list[Any] = []


class AppDetail(AppSummary):
    home: str | None = None
    sources: list[Any] = []
    maintainers: list[Any] = []
    license: Any = None
    links: Any = None
    images: Any = None
    min_resources: Any = None
    dependencies: list[Any] = []
    version_list: list[VersionSummary] = []
    install_as: str | None = Field(
        default=None, description="the shortest name that installs it: repository/name when another repository has one"
    )


class VersionDetail(VersionSummary):
    app: str
    values: dict[str, Any] | None = None
    values_yaml: str | None = None
    schema_: dict[str, Any] | None = Field(default=None, alias="schema", description="values.schema.json")
    secret_paths: list[str] = []
    readme: str | None = None


class ValuesProblem(QueryReply):
    path: str = Field(description="where in the values; '' or '(top)' for the whole")
    message: str


class Chart(QueryReply):
    app: str
    repository: str
    version: str
    digest: str = Field(description="the package's SHA-256")
    values: dict[str, Any] | None = None
    schema_: dict[str, Any] | None = Field(default=None, alias="schema")
    secret_paths: list[str] = []
    chart: str | None = Field(default=None, description="the package (.tgz), base64; only when asked with package")
    errors: list[ValuesProblem] | None = Field(default=None, description="only when asked with values")


class Validation(QueryReply):
    app: str = Field(description="repository/name, as chosen")
    repository: str = Field(description="the repository chosen: installed as checked, without asking again")
    version: str
    digest: str = Field(description="the SHA-256 of the package checked, which the deployer installs")
    valid: bool
    errors: list[ValuesProblem] = []
    secret_paths_given: list[str] = []
    unknown_keys: list[str] = Field(default=[], description="keys Helm would ignore: the install goes ahead, told")


class Upgrades(QueryReply):
    app: str
    current: str
    latest: str
    newer: list[VersionSummary]
    breaking: bool | None = None
    contains_security_updates: bool | None = None


class Published(QueryReply):
    repository: str
    app: str
    version: str
    digest: str


class PublishAnswer(QueryReply):
    published: Published


class ScanFinding(QueryReply):
    kind: str = Field(description="misconfig (a Kubernetes check on the rendered manifests) or secret (in the chart)")
    id: str = Field(description="the check's id (KSV-0017) or the secret rule's (private-key)")
    title: str
    severity: str = Field(description="CRITICAL, HIGH, MEDIUM, LOW or UNKNOWN")
    object_kind: str | None = Field(default=None, description="the rendered object's kind, for a misconfiguration")
    object_name: str | None = None
    message: str | None = None
    resolution: str | None = Field(default=None, description="how to fix it")
    file: str | None = Field(default=None, description="the chart file a secret is in")
    line: int | None = None
    url: str | None = None


class ScanImage(QueryReply):
    image: str = Field(description="as the manifests name it")
    repository: str
    tag: str | None = None
    digest: str | None = Field(default=None, description="sha256:…, when the image is pinned by digest")


class ScanResult(QueryReply):
    """What a Trivy scan found: the part of a chart's report and a service's that is the same."""

    scanner: str | None = Field(default=None, description="the Trivy version that scanned it")
    scanned_at: str | None = None
    error: str | None = None
    counts: dict[str, int] = Field(default={}, description="findings by severity")
    findings: list[ScanFinding] = []
    images: list[ScanImage] = []


class ScanReport(ScanResult):
    app: str = Field(description="repository/name")
    repository: str
    version: str
    digest: str = Field(description="the SHA-256 of the package scanned: a report is kept per digest")
    state: str = Field(description="done, failed (error says why) or scanning (ask again shortly)")


REPOSITORIES = query("market", "repositories", NoRequest, Repositories, "The chart repositories and their state")
APPS = query("market", "apps", AppsRequest, AppList, "Search the catalog")
CATEGORIES = query("market", "categories", NoRequest, Categories, "The categories and how many apps each has")
APP = query(
    "market", "app", AppRequest, AppDetail, "One app and its versions, newest first (409 with choices if ambiguous)"
)
VERSION = query(
    "market", "version", VersionRequest, VersionDetail, "One version: default values, schema, secret paths, readme"
)
CHART = query("market", "chart", ChartRequest, Chart, "One version's chart for the deployer, and whether values fit it")
VALIDATE = query("market", "validate", ValidateRequest, Validation, "Check values against a version's schema")
UPGRADES = query("market", "upgrades", UpgradesRequest, Upgrades, "The versions newer than one, oldest first")
SCAN = query(
    "market", "scan", ScanRequest, ScanReport, "One version's security scan (Trivy): misconfigurations, secrets, images"
)
PUBLISH = query("market", "publish", PublishRequest, PublishAnswer, "Publish a packaged chart to the local repository")
