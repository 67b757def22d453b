"""A service's protection as ingress-nginx annotations: its ModSecurity firewall and its access control.

Pure functions of the checked settings (``quickon_common.contracts.exposure``); the saga that writes the
Ingress calls them. The annotation names are ingress-nginx's (docs/user-guide/nginx-configuration/
annotations.md): ``enable-modsecurity``, ``enable-owasp-core-rules``, ``modsecurity-snippet``,
``whitelist-source-range``, ``denylist-source-range``, ``auth-type``, ``auth-secret``, ``auth-secret-type``,
``auth-realm``, ``auth-url``, ``auth-signin``, ``auth-response-headers``.

The ModSecurity snippet is the only text that reaches the controller's configuration, inside
``modsecurity_rules '...'``: it is built from the mode, an integer paranoia level, integer rule ids and the
operator's Core Rule Set path (checked here), never from text a user typed. ingress-nginx ignores
``enable-owasp-core-rules`` when a location has a snippet, so the snippet includes the Core Rule Set itself,
in the one order that works: the paranoia level is set before the rules are loaded (their first phase reads
it), and the exclusions after (``SecRuleRemoveById`` removes rules already loaded).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import urlsplit

from quickon_common.contracts.exposure import AccessSettings, Protection, WafSettings
from quickon_common.names import RELEASE_NAME_MAX, is_dns_label

from ..settings import DeployerSettings

PREFIX = "nginx.ingress.kubernetes.io/"
ENGINE = {"off": "Off", "detect": "DetectionOnly", "block": "On"}
DEFAULT_CRS_INCLUDE = "/etc/nginx/owasp-modsecurity-crs/nginx-modsecurity.conf"
# The headers oauth2-proxy answers its auth endpoint with, passed on to the service (who signed in).
FORWARD_AUTH_HEADERS = "X-Auth-Request-User,X-Auth-Request-Email"
# A path that needs no quoting in a ModSecurity Include nor in nginx's single-quoted string.
_SAFE_PATH = re.compile(r"/[A-Za-z0-9._/-]+")
# Nothing that could end an annotation's value in nginx's configuration or start a new directive.
_URL_FORBIDDEN = re.compile(r"[\s'\"`;{}\\]")


class ExposureError(ValueError):
    """Protection that cannot be rendered as asked, with what to do about it."""


@dataclass(frozen=True)
class ForwardAuth:
    """The operator's single sign-on: the URL nginx asks whether a request is signed in (2xx: yes, 401: no),
    and where it sends a browser that is not (may hold nginx variables, e.g. ``$escaped_request_uri``)."""

    url: str
    signin_url: str | None = None

    def __post_init__(self) -> None:
        for name, value in (("forward auth URL", self.url), ("forward auth sign-in URL", self.signin_url)):
            if value is None:
                continue
            parts = urlsplit(value)
            if parts.scheme not in ("http", "https") or not parts.netloc or _URL_FORBIDDEN.search(value):
                raise ExposureError(
                    f"the {name} {value[:200]!r} must be an http(s) URL without spaces, quotes, ';', braces or "
                    "backslashes (QC_DEPLOYER_FORWARD_AUTH_URL, QC_DEPLOYER_FORWARD_AUTH_SIGNIN_URL)"
                )

    @classmethod
    def from_settings(cls, settings: DeployerSettings) -> ForwardAuth | None:
        """The operator's forward authentication, or None when none is configured."""
        if not settings.forward_auth_url:
            return None
        return cls(settings.forward_auth_url, settings.forward_auth_signin_url or None)


def modsecurity_directives(waf: WafSettings, *, crs_include: str = DEFAULT_CRS_INCLUDE) -> str:
    """The ModSecurity directives for a service's firewall (what goes into ``modsecurity-snippet``).

    Off switches the engine off and loads nothing. Detect and block load the Core Rule Set at the service's
    paranoia level: set as ``tx.paranoia_level`` (CRS 3, which Debian ships) and ``tx.blocking_paranoia_level``
    (CRS 4, its new name), so the snippet means the same under either; each version ignores the other's.
    """
    if not _SAFE_PATH.fullmatch(crs_include) or ".." in crs_include.split("/"):
        raise ExposureError(
            f"the Core Rule Set include {crs_include[:200]!r} must be an absolute path of letters, digits and "
            "._- (QC_DEPLOYER_WAF_CRS_INCLUDE)"
        )
    lines = [f"SecRuleEngine {ENGINE[waf.mode]}"]
    if waf.mode != "off":
        level = int(waf.paranoia)
        lines.append(
            f'SecAction "id:900000,phase:1,nolog,pass,t:none,'
            f'setvar:tx.paranoia_level={level},setvar:tx.blocking_paranoia_level={level}"'
        )
        lines.append(f"Include {crs_include}")
        lines.extend(f"SecRuleRemoveById {int(rule)}" for rule in waf.exclusions)
    return "\n".join(lines) + "\n"


def waf_annotations(waf: WafSettings, *, crs_include: str = DEFAULT_CRS_INCLUDE) -> dict[str, str]:
    """The firewall's annotations. Off is said explicitly (and the engine switched off in the snippet too):
    an operator may have turned ModSecurity on for every location in the controller's ConfigMap."""
    return {
        f"{PREFIX}enable-modsecurity": "false" if waf.mode == "off" else "true",
        f"{PREFIX}enable-owasp-core-rules": "false" if waf.mode == "off" else "true",
        f"{PREFIX}modsecurity-snippet": modsecurity_directives(waf, crs_include=crs_include),
    }


def basic_auth_secret_name(service: str) -> str:
    """The Secret (in the service's namespace) holding its basic-auth users: an htpasswd file under ``auth``."""
    _check_service(service)
    return f"{service}-basic-auth"


def access_annotations(
    access: AccessSettings, *, service: str, forward_auth: ForwardAuth | None = None
) -> dict[str, str]:
    """Who may reach the service: source networks, then basic authentication or single sign-on."""
    _check_service(service)
    result: dict[str, str] = {}
    if access.allow:
        result[f"{PREFIX}whitelist-source-range"] = ",".join(access.allow)
    if access.deny:
        result[f"{PREFIX}denylist-source-range"] = ",".join(access.deny)
    if access.basic_auth_users:
        result[f"{PREFIX}auth-type"] = "basic"
        result[f"{PREFIX}auth-secret"] = basic_auth_secret_name(service)
        result[f"{PREFIX}auth-secret-type"] = "auth-file"
        result[f"{PREFIX}auth-realm"] = f"{service} (QuickOn)"
    if access.sso:
        if forward_auth is None:
            raise ExposureError(
                "single sign-on needs the operator's forward authentication: set QC_DEPLOYER_FORWARD_AUTH_URL "
                "(and QC_DEPLOYER_FORWARD_AUTH_SIGNIN_URL) on the deployer, or turn sso off for this service"
            )
        result[f"{PREFIX}auth-url"] = forward_auth.url
        if forward_auth.signin_url:
            result[f"{PREFIX}auth-signin"] = forward_auth.signin_url
        result[f"{PREFIX}auth-response-headers"] = FORWARD_AUTH_HEADERS
    return result


def ingress_annotations(
    protection: Protection,
    *,
    service: str,
    forward_auth: ForwardAuth | None = None,
    crs_include: str = DEFAULT_CRS_INCLUDE,
) -> dict[str, str]:
    """Every protection annotation of a service's Ingress (merge them into its other annotations)."""
    return {
        **waf_annotations(protection.waf, crs_include=crs_include),
        **access_annotations(protection.access, service=service, forward_auth=forward_auth),
    }


def _check_service(service: str) -> None:
    # The name goes into a Secret's name and the realm nginx shows; a service's name is a Helm release name.
    if not isinstance(service, str) or not is_dns_label(service, max_length=RELEASE_NAME_MAX):
        raise ExposureError(f"service {str(service)[:80]!r} is not a service name (a DNS label of at most 53)")
