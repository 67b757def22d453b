"""IAM context: users, tokens and teams (owned by the gateway). No event carries a credential."""

from __future__ import annotations

from typing import Literal

from .base import Event

TeamRole = Literal["owner", "admin", "operator", "viewer"]


class UserCreated(Event):
    subject = "qc.iam.user.created"
    user_id: str
    username: str
    is_admin: bool = False


class UserLoggedIn(Event):
    subject = "qc.iam.user.logged_in"
    user_id: str
    username: str


class UserLoginFailed(Event):
    subject = "qc.iam.user.login_failed"
    username: str
    reason: str


class ApiTokenCreated(Event):
    subject = "qc.iam.token.created"
    token_id: str
    user_id: str
    name: str


class ApiTokenRevoked(Event):
    subject = "qc.iam.token.revoked"
    token_id: str
    user_id: str


class TeamCreated(Event):
    subject = "qc.iam.team.created"
    team_id: str
    name: str


class TeamMemberAdded(Event):
    subject = "qc.iam.team.member_added"
    team_id: str
    user_id: str
    role: TeamRole


class TeamMemberRemoved(Event):
    subject = "qc.iam.team.member_removed"
    team_id: str
    user_id: str


class UserDisabled(Event):
    subject = "qc.iam.user.disabled"
    user_id: str
    username: str


class UserEnabled(Event):
    subject = "qc.iam.user.enabled"
    user_id: str
    username: str


class UserDeleted(Event):
    subject = "qc.iam.user.deleted"
    user_id: str
    username: str


class UserPasswordChanged(Event):
    """A password changed (by its user, or reset by a platform admin); the user's other tokens were revoked."""

    subject = "qc.iam.user.password_changed"
    user_id: str
    username: str
    reset_by_admin: bool = False
    tokens_revoked: int = 0


class TeamRenamed(Event):
    subject = "qc.iam.team.renamed"
    team_id: str
    name: str
    previous_name: str


class TeamDeleted(Event):
    subject = "qc.iam.team.deleted"
    team_id: str
    name: str


class TeamMemberRoleChanged(Event):
    subject = "qc.iam.team.member_role_changed"
    team_id: str
    user_id: str
    role: TeamRole
    previous_role: TeamRole


class TeamNamespaceAssigned(Event):
    subject = "qc.iam.team.namespace_assigned"
    team_id: str
    namespace: str


class TeamNamespaceReleased(Event):
    subject = "qc.iam.team.namespace_released"
    team_id: str
    namespace: str


class ServiceSecretsRevealed(Event):
    """Someone was shown a service's secret values in clear (``GET /api/v1/services/{name}/secrets``).

    Names who and which service and the paths shown, never a value: the audit log keeps who knows what."""

    subject = "qc.iam.secrets.revealed"
    user_id: str
    username: str
    service: str
    namespace: str = "default"
    team: str | None = None
    secret_paths: list[str] = []


class ScanPolicyChanged(Event):
    """A platform admin set which security findings block an install or an upgrade, and which only warn."""

    subject = "qc.iam.scan_policy.changed"
    block: list[str]
    warn: list[str]
