"""Reaching a service: how its ingress protects it (rendered for ingress-nginx)."""

from .annotations import (
    ExposureError,
    ForwardAuth,
    access_annotations,
    annotations,
    basic_auth_secret_name,
    modsecurity_directives,
    waf_annotations,
)

__all__ = [
    "ExposureError",
    "ForwardAuth",
    "access_annotations",
    "annotations",
    "basic_auth_secret_name",
    "modsecurity_directives",
    "waf_annotations",
]
