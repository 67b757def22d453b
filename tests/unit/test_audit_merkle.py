"""RFC 6962 Merkle trees: roots and audit paths against the RFC's recursive definitions, and the
offline verifier's own fold (it shares no code with the service)."""

from __future__ import annotations

import hashlib

import pytest

from quickon_audit import merkle, offline


def sha(data: bytes) -> bytes:
    return hashlib.sha256(data).digest()


def mth(leaves: list[bytes]) -> bytes:
    """MTH(D[n]) exactly as RFC 6962 2.1 writes it."""
    if not leaves:
        return sha(b"")
    if len(leaves) == 1:
        return sha(b"\x00" + leaves[0])
    k = 1 << ((len(leaves) - 1).bit_length() - 1)
    return sha(b"\x01" + mth(leaves[:k]) + mth(leaves[k:]))


def path(m: int, leaves: list[bytes]) -> list[bytes]:
    """PATH(m, D[n]) exactly as RFC 6962 2.1.1 writes it."""
    if len(leaves) == 1:
        return []
    k = 1 << ((len(leaves) - 1).bit_length() - 1)
    if m < k:
        return [*path(m, leaves[:k]), mth(leaves[k:])]
    return [*path(m - k, leaves[k:]), mth(leaves[:k])]


LEAVES = [sha(bytes([i])) for i in range(70)]


@pytest.mark.parametrize("size", [0, 1, 2, 3, 4, 5, 7, 8, 9, 16, 31, 33, 70])
def test_root_is_the_rfc_root(size: int) -> None:
    assert merkle.root(LEAVES[:size]) == mth(LEAVES[:size])


@pytest.mark.parametrize("size", [1, 2, 3, 5, 8, 13, 70])
def test_every_audit_path_is_the_rfc_path_and_leads_to_the_root(size: int) -> None:
    leaves = LEAVES[:size]
    for index in range(size):
        found = merkle.audit_path(index, leaves)
        assert found == path(index, leaves)
        assert merkle.root_from_path(index, size, leaves[index], found) == mth(leaves)
        assert offline.merkle_root_from_path(index, size, leaves[index], found) == mth(leaves)


def test_a_wrong_leaf_or_path_leads_elsewhere() -> None:
    leaves = LEAVES[:13]
    found = merkle.audit_path(6, leaves)
    assert offline.merkle_root_from_path(6, 13, leaves[7], found) != mth(leaves)
    assert offline.merkle_root_from_path(5, 13, leaves[6], found) != mth(leaves)
    with pytest.raises(ValueError, match="too short"):
        offline.merkle_root_from_path(6, 13, leaves[6], found[:-1])
    with pytest.raises(ValueError, match="too long"):
        offline.merkle_root_from_path(6, 13, leaves[6], [*found, found[0]])
    with pytest.raises(IndexError):
        merkle.audit_path(13, leaves)
