"""Kubernetes name rules, and the short hashes and suffixes controllers put in generated names."""

from __future__ import annotations

import hashlib
import json
import re
from typing import Any

# The DNS rules are the platform's, written once; the sim's modules take them from here with its own rules.
from quickon_common.names import DNS_LABEL_RULE, DNS_SUBDOMAIN_RULE, is_dns_label, is_dns_subdomain

__all__ = [
    "DNS_1035_RULE", "DNS_LABEL_RULE", "DNS_SUBDOMAIN_RULE", "SAFE_ALPHABET",
    "is_dns_1035_label", "is_dns_label", "is_dns_subdomain", "is_path_segment", "name_suffix", "safe_encode",
    "template_hash",
]  # fmt: skip

# The alphabet of Kubernetes' generated names: no vowels (no words), no look-alike characters.
SAFE_ALPHABET = "bcdfghjklmnpqrstvwxz2456789"

_DNS_1035_LABEL = re.compile(r"^[a-z]([-a-z0-9]*[a-z0-9])?$")

DNS_1035_RULE = "lowercase letters, digits and '-', starting with a letter, ending with a letter or digit, at most 63"


def is_dns_1035_label(name: str) -> bool:
    """RFC 1035 label: what Service names must be (a DNS name that starts with a letter)."""
    return len(name) <= 63 and _DNS_1035_LABEL.match(name) is not None


def is_path_segment(name: str) -> bool:
    """What RBAC object names must be: anything usable as one URL path segment."""
    return bool(name) and name not in {".", ".."} and "/" not in name and "%" not in name


def safe_encode(data: bytes, length: int) -> str:
    """``length`` characters of :data:`SAFE_ALPHABET` drawn from ``data``."""
    number = int.from_bytes(data, "big")
    characters = []
    for _ in range(length):
        number, index = divmod(number, len(SAFE_ALPHABET))
        characters.append(SAFE_ALPHABET[index])
    return "".join(characters)


def template_hash(template: Any) -> str:
    """A pod template's ``pod-template-hash``: equal templates, equal hashes; any change, a new one."""
    canonical = json.dumps(template, sort_keys=True, separators=(",", ":"), default=str)
    return safe_encode(hashlib.sha256(canonical.encode()).digest(), 10)


def name_suffix(seed: str) -> str:
    """The five characters a controller appends to a generated pod name, derived from ``seed``."""
    return safe_encode(hashlib.sha256(seed.encode()).digest(), 5)
