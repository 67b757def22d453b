#!/usr/bin/env python3
"""Check an audit inclusion proof offline, with the standard library only (hashlib) and the public key.

    python offline.py proof.json [--public-key BASE64]

It recomputes the entry's hash from its canonical bytes, folds the Merkle audit path (RFC 6962 /
RFC 9162 2.1.3.2) up to the checkpoint's root, and checks the checkpoint's Ed25519 signature with a
pure-Python RFC 8032 verifier. Pass the public key you obtained from a source you trust; without
``--public-key`` the proof's own key is used, which only shows the proof is consistent. This file
imports nothing from QuickOn, so it can be copied and audited on its own. Exit 0: valid; 1: not.
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import json
import sys
from typing import Any

# -- Ed25519 verification, RFC 8032 section 5.1.7 (reference arithmetic; slow, but a proof is one check) --
P = 2**255 - 19
Q = 2**252 + 27742317777372353535851937790883648493
D = -121665 * pow(121666, P - 2, P) % P
SQRT_M1 = pow(2, (P - 1) // 4, P)
Point = tuple[int, int, int, int]


def _add(a: Point, b: Point) -> Point:
    x1, y1, z1, t1 = a
    x2, y2, z2, t2 = b
    aa, bb = (y1 - x1) * (y2 - x2) % P, (y1 + x1) * (y2 + x2) % P
    cc, dd = 2 * t1 * t2 * D % P, 2 * z1 * z2 % P
    e, f, g, h = bb - aa, dd - cc, dd + cc, bb + aa
    return (e * f % P, g * h % P, f * g % P, e * h % P)


def _multiply(scalar: int, point: Point) -> Point:
    result: Point = (0, 1, 1, 0)
    while scalar > 0:
        if scalar & 1:
            result = _add(result, point)
        point = _add(point, point)
        scalar >>= 1
    return result


def _equal(a: Point, b: Point) -> bool:
    return (a[0] * b[2] - b[0] * a[2]) % P == 0 and (a[1] * b[2] - b[1] * a[2]) % P == 0


def _recover_x(y: int, sign: int) -> int | None:
    if y >= P:
        return None
    x2 = (y * y - 1) * pow(D * y * y + 1, P - 2, P) % P
    if x2 == 0:
        return None if sign else 0
    x = pow(x2, (P + 3) // 8, P)
    if (x * x - x2) % P:
        x = x * SQRT_M1 % P
    if (x * x - x2) % P:
        return None
    return P - x if (x & 1) != sign else x


def _decompress(data: bytes) -> Point | None:
    if len(data) != 32:
        return None
    y = int.from_bytes(data, "little")
    sign, y = y >> 255, y & ((1 << 255) - 1)
    x = _recover_x(y, sign)
    return None if x is None else (x, y, 1, x * y % P)


_GY = 4 * pow(5, P - 2, P) % P
_GX = _recover_x(_GY, 0) or 0
BASE: Point = (_GX, _GY, 1, _GX * _GY % P)


def ed25519_verify(public: bytes, message: bytes, signature: bytes) -> bool:
    """Whether ``signature`` is ``public``'s Ed25519 signature of ``message``."""
    if len(public) != 32 or len(signature) != 64:
        return False
    a, r = _decompress(public), _decompress(signature[:32])
    s = int.from_bytes(signature[32:], "little")
    if a is None or r is None or s >= Q:
        return False
    h = int.from_bytes(hashlib.sha512(signature[:32] + public + message).digest(), "little") % Q
    return _equal(_multiply(s, BASE), _add(r, _multiply(h, a)))


# -- the proof ----------------------------------------------------------------------------------------


def _sha256(data: bytes) -> bytes:
    return hashlib.sha256(data).digest()


def merkle_root_from_path(index: int, size: int, entry_hash: bytes, path: list[bytes]) -> bytes:
    """RFC 9162 2.1.3.2: fold the audit path from the leaf up."""
    if not 0 <= index < size:
        raise ValueError(f"leaf {index} is outside a tree of {size}")
    fn, sn, result = index, size - 1, _sha256(b"\x00" + entry_hash)
    for sibling in path:
        if sn == 0:
            raise ValueError("the audit path is too long")
        if fn & 1 or fn == sn:
            result = _sha256(b"\x01" + sibling + result)
            while fn & 1 == 0 and fn != 0:
                fn, sn = fn >> 1, sn >> 1
        else:
            result = _sha256(b"\x01" + result + sibling)
        fn, sn = fn >> 1, sn >> 1
    if sn != 0:
        raise ValueError("the audit path is too short")
    return result


def check(proof: dict[str, Any], public_key_b64: str | None = None) -> list[str]:
    """What is wrong with ``proof`` (empty when it is valid)."""
    problems = []
    data = base64.b64decode(proof["canonical_b64"])
    entry = json.loads(data)
    prev, claimed = bytes.fromhex(proof["prev_hash"]), bytes.fromhex(proof["entry_hash"])
    digest = _sha256(prev + data)
    if digest != claimed:
        problems.append("the entry's hash does not match its canonical bytes")
    cp = proof["checkpoint"]
    seq = entry.get("seq")
    if seq != proof["sequence"] or seq != cp["first_sequence"] + proof["leaf_index"]:
        problems.append(f"the entry's sequence {seq} is not leaf {proof['leaf_index']} of the checkpoint")
    if proof["tree_size"] != cp["sequence"] - cp["first_sequence"] + 1:
        problems.append("the tree size does not match the checkpoint's segment")
    try:
        path = [bytes.fromhex(h) for h in proof["audit_path"]]
        root = merkle_root_from_path(proof["leaf_index"], proof["tree_size"], digest, path)
        if root.hex() != cp["merkle_root"]:
            problems.append("the audit path does not lead to the checkpoint's Merkle root")
    except ValueError as error:
        problems.append(str(error))
    payload = json.dumps({**cp, "v": 1}, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()
    public = base64.b64decode(public_key_b64 or proof["public_key"])
    if not ed25519_verify(public, payload, base64.b64decode(proof["signature"])):
        problems.append("the checkpoint's signature does not verify with the public key")
    return problems


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Check a QuickOn audit inclusion proof offline.")
    parser.add_argument("proof", help="the proof as JSON (qc audit proof SEQ --json > proof.json), or - for stdin")
    parser.add_argument("--public-key", help="the audit public key (base64) from a source you trust")
    args = parser.parse_args(argv)
    with open(args.proof) if args.proof != "-" else sys.stdin as source:
        proof = json.load(source)
    problems = check(proof, args.public_key)
    if problems:
        for problem in problems:
            print(f"INVALID: {problem}")
        return 1
    key_note = "" if args.public_key else " (with the proof's own key: compare it with one you trust)"
    where = proof["checkpoint"]["sequence"]
    print(f"valid: entry {proof['sequence']} is in the log signed at checkpoint {where}{key_note}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
