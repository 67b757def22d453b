"""TLS certificates a user uploads for a domain, checked before use; and the self-signed fallback.

:func:`certificate_problems` says, in words a user can act on, why a certificate chain and key would not
serve a host: the key does not match, the chain is not complete (a certificate's issuer is neither the
next one in the file nor a certificate authority this machine trusts), it has expired or is not valid
yet, or it does not cover the host. The gateway refuses such an upload with 422 before anything changes.
"""

from __future__ import annotations

import datetime as dt
import itertools
import warnings
from functools import cache
from pathlib import Path

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed448, ed25519, padding, rsa
from cryptography.x509.oid import NameOID

SYSTEM_CAS = Path("/etc/ssl/certs/ca-certificates.crt")
SELF_SIGNED_DAYS = 365


def certificate_problems(chain_pem: str, key_pem: str, host: str, *, now: dt.datetime | None = None) -> list[str]:
    """Why ``chain_pem`` (the host's certificate first, then its intermediates) and ``key_pem`` cannot
    serve ``host``; empty when they can."""
    try:
        chain = x509.load_pem_x509_certificates(chain_pem.encode())
    except ValueError:
        return ["the certificate is not PEM (it should start with -----BEGIN CERTIFICATE-----)"]
    try:
        key = serialization.load_pem_private_key(key_pem.encode(), password=None)
    except (ValueError, TypeError):
        return ["the key is not an unencrypted PEM private key (-----BEGIN PRIVATE KEY-----); remove its passphrase"]
    leaf, problems = chain[0], []
    if leaf.public_key().public_bytes(*_SPKI) != key.public_key().public_bytes(*_SPKI):
        problems.append("the key does not belong to the certificate (the first one in the file)")
    now = now or dt.datetime.now(dt.UTC)
    for cert in chain:
        if cert.not_valid_after_utc <= now:
            problems.append(f"{_name(cert)} expired on {cert.not_valid_after_utc:%Y-%m-%d}")
        elif cert.not_valid_before_utc > now:
            problems.append(f"{_name(cert)} is not valid before {cert.not_valid_before_utc:%Y-%m-%d}")
    if not covers(leaf, host):
        problems.append(f"the certificate does not cover {host} (it names {', '.join(names(leaf)) or 'no host'})")
    problems.extend(_chain_problems(chain))
    return problems


def names(cert: x509.Certificate) -> list[str]:
    """The DNS names a certificate is for (its subject alternative names; its common name without them)."""
    try:
        san = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
        return [str(n).lower() for n in san.get_values_for_type(x509.DNSName)]
    except x509.ExtensionNotFound:
        return [str(a.value).lower() for a in cert.subject.get_attributes_for_oid(NameOID.COMMON_NAME)]


def covers(cert: x509.Certificate, host: str) -> bool:
    """Whether the certificate serves ``host``: a name equal to it, or a wildcard for its parent domain."""
    host = host.lower()
    for name in names(cert):
        if name == host or (name.startswith("*.") and "." in host and host.split(".", 1)[1] == name[2:]):
            return True
    return False


def self_signed(host: str, *, days: int = SELF_SIGNED_DAYS) -> tuple[str, str]:
    """A self-signed certificate for ``host`` and its key (PEM): the fallback where no issuer is configured.
    Browsers warn about it; it still encrypts."""
    key = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, host)])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=days))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName(host)]), critical=False)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    key_pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    return cert.public_bytes(serialization.Encoding.PEM).decode(), key_pem.decode()


def not_after(chain_pem: str) -> dt.datetime:
    """When the host's certificate (the first in the chain) expires."""
    return x509.load_pem_x509_certificates(chain_pem.encode())[0].not_valid_after_utc


_SPKI = (serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)


def _name(cert: x509.Certificate) -> str:
    common = cert.subject.get_attributes_for_oid(NameOID.COMMON_NAME)
    return f"the certificate of {common[0].value!s}" if common else "a certificate in the chain"


def _chain_problems(chain: list[x509.Certificate]) -> list[str]:
    """Each certificate must be signed by the next one; the last must be self-signed or issued by a
    certificate authority this machine trusts (servers need not send the root)."""
    for cert, issuer in itertools.pairwise(chain):
        if cert.issuer != issuer.subject or not _signed_by(cert, issuer):
            return [f"the chain is out of order or broken: {_name(cert)} is not signed by the next one in the file"]
    last = chain[-1]
    if last.issuer == last.subject and _signed_by(last, last):
        if len(chain) == 1 and _is_ca(last):
            return ["the file holds a certificate authority's certificate, not the host's"]
        return []
    if last.issuer.public_bytes() in _trusted_subjects():
        return []
    missing = last.issuer.rfc4514_string()
    return [f"the chain is not complete: add the certificate of its issuer ({missing}) after {_name(last)[4:]}"]


def _signed_by(cert: x509.Certificate, issuer: x509.Certificate) -> bool:
    key = issuer.public_key()
    algorithm = cert.signature_hash_algorithm
    try:
        if isinstance(key, rsa.RSAPublicKey) and algorithm is not None:
            key.verify(cert.signature, cert.tbs_certificate_bytes, padding.PKCS1v15(), algorithm)
        elif isinstance(key, ec.EllipticCurvePublicKey) and algorithm is not None:
            key.verify(cert.signature, cert.tbs_certificate_bytes, ec.ECDSA(algorithm))
        elif isinstance(key, ed25519.Ed25519PublicKey | ed448.Ed448PublicKey):
            key.verify(cert.signature, cert.tbs_certificate_bytes)
        else:
            return False
    except InvalidSignature:
        return False
    return True


def _is_ca(cert: x509.Certificate) -> bool:
    try:
        return bool(cert.extensions.get_extension_for_class(x509.BasicConstraints).value.ca)
    except x509.ExtensionNotFound:
        return False


@cache
def _trusted_subjects() -> frozenset[bytes]:
    """The subjects of the certificate authorities this machine trusts (Debian's ca-certificates). Read one by
    one: the bundle holds an old root whose serial number breaks RFC 5280, which one bad entry must not hide
    all the others for."""
    try:
        text = SYSTEM_CAS.read_text()
    except OSError:
        return frozenset()
    subjects = set()
    end = "-----END CERTIFICATE-----"
    for block in text.split(end)[:-1]:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # the broken serial's deprecation notice
            try:
                subjects.add(x509.load_pem_x509_certificate((block + end).encode()).subject.public_bytes())
            except ValueError:
                continue
    return frozenset(subjects)
