"""The secret values of a request, split out and sealed before any event carries them.

The chart's schema says which paths are secret (the market's ``secret_paths``); a key that names a
credential (``password``, ``token``…) is sealed too, whatever the chart says, because a value in an
event stays in the stream and the audit log. The deployer merges the sealed values back over the
plain ones and keeps them sealed at rest.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from typing import Any

from quickon_common.sealing import Sealer, split_secrets

CREDENTIAL = re.compile(r"(passw(or)?d|secret|token|api_?key|private_?key|credential)", re.IGNORECASE)


def credential_paths(values: dict[str, Any], prefix: str = "") -> Iterator[str]:
    """Dotted paths of the leaves under a key that names a credential (a whole subtree counts)."""
    for key, value in values.items():
        path = f"{prefix}{key}"
        if CREDENTIAL.search(str(key)) and value not in (None, "", {}):
            yield path
        elif isinstance(value, dict):
            yield from credential_paths(value, f"{path}.")


def seal_secrets(
    sealer: Sealer, values: dict[str, Any], secret_paths: Sequence[str] | None
) -> tuple[dict[str, Any], str | None]:
    """``values`` without their secrets, and the secrets sealed (None when there are none).

    ``secret_paths`` None means they are not known (the market did not answer): everything is sealed.
    """
    if secret_paths is None:
        return {}, sealer.seal(values)
    paths = sorted({*secret_paths, *credential_paths(values)})
    plain, secret = split_secrets(values, paths)
    return plain, sealer.seal(secret)
