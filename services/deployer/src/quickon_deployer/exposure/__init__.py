"""Reaching a service: how its ingress protects it (rendered for ingress-nginx)."""

from .annotations import (
    ExposureError,
    ForwardAuth,
    access_annotations,
    basic_auth_secret_name,
    ingress_annotations,
    modsecurity_directives,
    waf_annotations,
)

__all__ = [
    "ExposureError",
    "ForwardAuth",
    "access_annotations",
    "basic_auth_secret_name",
    "ingress_annotations",
    "modsecurity_directives",
    "waf_annotations",
]
