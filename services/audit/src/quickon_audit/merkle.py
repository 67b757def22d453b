"""RFC 6962 Merkle trees over entry hashes: the root of a segment and audit paths (section 2.1.1)."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence


def leaf_hash(entry_hash: bytes) -> bytes:
    return hashlib.sha256(b"\x00" + entry_hash).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    return hashlib.sha256(b"\x01" + left + right).digest()


def _split(n: int) -> int:
    """The largest power of two smaller than ``n`` (n > 1)."""
    k = 1
    while k * 2 < n:
        k *= 2
    return k


def root(entry_hashes: Sequence[bytes]) -> bytes:
    """MTH(D[n]) of the leaves; the empty tree's root is SHA-256 of nothing.

    Built bottom-up level by level (carrying an odd last node up), which gives the same root as the
    RFC's recursive split into the largest power of two, without recursion.
    """
    if not entry_hashes:
        return hashlib.sha256(b"").digest()
    level = [leaf_hash(h) for h in entry_hashes]
    while len(level) > 1:
        paired = [node_hash(level[i], level[i + 1]) for i in range(0, len(level) - 1, 2)]
        if len(level) % 2:
            paired.append(level[-1])
        level = paired
    return level[0]


def audit_path(index: int, entry_hashes: Sequence[bytes]) -> list[bytes]:
    """PATH(m, D[n]): the sibling hashes from the leaf up to the root (RFC 6962 2.1.1)."""
    if not 0 <= index < len(entry_hashes):
        raise IndexError(f"leaf {index} is outside a tree of {len(entry_hashes)}")
    path: list[bytes] = []
    leaves = entry_hashes
    while len(leaves) > 1:
        k = _split(len(leaves))
        if index < k:
            path.append(root(leaves[k:]))
            leaves = leaves[:k]
        else:
            path.append(root(leaves[:k]))
            leaves, index = leaves[k:], index - k
    path.reverse()  # the RFC lists the siblings from the bottom up
    return path


def root_from_path(index: int, size: int, entry_hash: bytes, path: Sequence[bytes]) -> bytes:
    """The root an audit path leads to (RFC 9162 2.1.3.2's verification algorithm)."""
    if not 0 <= index < size:
        raise ValueError(f"leaf {index} is outside a tree of {size}")
    fn, sn = index, size - 1
    result = leaf_hash(entry_hash)
    for sibling in path:
        if sn == 0:
            raise ValueError("the audit path is longer than the tree is deep")
        if fn & 1 or fn == sn:
            result = node_hash(sibling, result)
            if not fn & 1:
                while fn & 1 == 0 and fn != 0:
                    fn >>= 1
                    sn >>= 1
        else:
            result = node_hash(result, sibling)
        fn >>= 1
        sn >>= 1
    if sn != 0:
        raise ValueError("the audit path is shorter than the tree is deep")
    return result
