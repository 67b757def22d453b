"""The checks of an uploaded certificate say which of its faults it has, in words a user can act on."""

from __future__ import annotations

import datetime as dt

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from quickon_common.certificates import certificate_problems, covers, self_signed

NOW = dt.datetime.now(dt.UTC)


def pem(cert: x509.Certificate) -> str:
    return cert.public_bytes(serialization.Encoding.PEM).decode()


def key_pem(key: ec.EllipticCurvePrivateKey) -> str:
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()


def issue(
    name: str,
    *,
    issuer: tuple[x509.Certificate, ec.EllipticCurvePrivateKey] | None = None,
    ca: bool = False,
    hosts: list[str] | None = None,
    days: tuple[int, int] = (-1, 30),
) -> tuple[x509.Certificate, ec.EllipticCurvePrivateKey]:
    """A certificate for ``name`` signed by ``issuer`` (itself when none)."""
    key = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
    builder = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(issuer[0].subject if issuer else subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(NOW + dt.timedelta(days=days[0]))
        .not_valid_after(NOW + dt.timedelta(days=days[1]))
        .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
    )
    if hosts:
        builder = builder.add_extension(x509.SubjectAlternativeName([x509.DNSName(h) for h in hosts]), critical=False)
    return builder.sign(issuer[1] if issuer else key, hashes.SHA256()), key


def test_a_self_signed_certificate_for_the_host_is_fine() -> None:
    cert, key = self_signed("git.example.com")
    assert certificate_problems(cert, key, "git.example.com") == []


def test_a_chain_through_an_intermediate_to_a_root_in_the_file_is_complete() -> None:
    root = issue("Example Root", ca=True)
    intermediate = issue("Example Intermediate", issuer=root, ca=True)
    leaf, key = issue("git.example.com", issuer=intermediate, hosts=["git.example.com", "*.git.example.com"])
    chain = pem(leaf) + pem(intermediate[0]) + pem(root[0])
    assert certificate_problems(chain, key_pem(key), "git.example.com") == []
    assert certificate_problems(chain, key_pem(key), "pages.git.example.com") == []  # the wildcard covers it
    assert covers(leaf, "a.b.git.example.com") is False  # a wildcard covers one label only

    # Without the intermediate, the chain stops at an issuer nobody trusts: the message names it.
    (missing,) = certificate_problems(pem(leaf), key_pem(key), "git.example.com")
    assert "not complete" in missing and "Example Intermediate" in missing
    # Out of order: the leaf is not signed by the certificate after it.
    (broken,) = certificate_problems(pem(leaf) + pem(root[0]), key_pem(key), "git.example.com")
    assert "not signed by the next one" in broken


def test_each_fault_is_named() -> None:
    cert, key = self_signed("git.example.com")
    _other_cert, other_key = self_signed("git.example.com")
    assert certificate_problems(cert, other_key, "git.example.com") == [
        "the key does not belong to the certificate (the first one in the file)"
    ]
    (wrong_host,) = certificate_problems(cert, key, "code.example.com")
    assert "does not cover code.example.com" in wrong_host and "git.example.com" in wrong_host
    expired, old_key = issue("git.example.com", hosts=["git.example.com"], days=(-30, -1))
    (ended,) = certificate_problems(pem(expired), key_pem(old_key), "git.example.com")
    assert "expired on" in ended
    later, later_key = issue("git.example.com", hosts=["git.example.com"], days=(2, 30))
    assert "not valid before" in certificate_problems(pem(later), key_pem(later_key), "git.example.com")[0]
    root, root_key = issue("Example Root", ca=True, hosts=["git.example.com"])
    assert certificate_problems(pem(root), key_pem(root_key), "git.example.com") == [
        "the file holds a certificate authority's certificate, not the host's"
    ]
    assert certificate_problems("not a certificate", key, "git.example.com")[0].startswith("the certificate is not PEM")
    assert "remove its passphrase" in certificate_problems(cert, "not a key", "git.example.com")[0]
