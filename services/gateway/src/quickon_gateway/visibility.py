"""Who may see what: the rule operations, services and the event stream share.

Something that belongs to a team is visible to that team's members (any role) and to platform
admins; something that belongs to no team (the catalog, the platform itself) is visible to
everyone. The iam context (users, logins, tokens, teams) and the events about the cluster's nodes and the
platform's components are for platform admins only.
"""

from __future__ import annotations

from quickon_common.contracts import CE_TYPE_PREFIX
from quickon_common.envelope import Envelope

from .principal import Principal

ADMIN_ONLY_CONTEXTS = frozenset({"iam"})
# The deployer's events about a node (cordon, drain) and about the platform's own components (a scale).
ADMIN_ONLY_SUBJECTS = ("nodes/", "components/")


def can_see(principal: Principal, team: str | None) -> bool:
    """Whether ``principal`` may see what belongs to ``team``."""
    return principal.is_admin or team is None or team in principal.roles


def context_of(envelope: Envelope) -> str:
    """The context of an event from its CloudEvents type (``io.quickon.deploy.…`` -> ``deploy``)."""
    return envelope.type.removeprefix(CE_TYPE_PREFIX).split(".", 1)[0]


def visible(principal: Principal, envelope: Envelope) -> bool:
    """Whether ``principal`` may see the event ``envelope`` describes."""
    if not principal.is_admin and (
        context_of(envelope) in ADMIN_ONLY_CONTEXTS or (envelope.subject or "").startswith(ADMIN_ONLY_SUBJECTS)
    ):
        return False
    return can_see(principal, envelope.team)
