"""What an S3 failure means for us: which store error, with what to check, and whether to retry."""

from __future__ import annotations

from minio.error import InvalidResponseError, MinioException, S3Error, ServerError
from urllib3.exceptions import HTTPError, NewConnectionError, ProtocolError, SSLError
from urllib3.exceptions import TimeoutError as Urllib3Timeout

from .errors import ObjectNotFound, ObjectStoreError, StoreFull, StoreUnavailable

NOT_FOUND = {"NoSuchKey", "NoSuchBucket", "ResourceNotFound"}
REFUSED = {"AccessDenied", "SignatureDoesNotMatch", "InvalidAccessKeyId", "InvalidToken", "ExpiredToken"}
FULL = {"QuotaExceeded", "EntityTooLarge", "XMinioStorageFull", "XMinioAdminBucketQuotaExceeded", "InsufficientStorage"}
BUSY = {"SlowDown", "ServiceUnavailable", "InternalError", "XMinioServerNotInitialized"}
STORE_FAILURES = (MinioException, HTTPError, OSError)


def is_connection_error(error: BaseException) -> bool:
    """Worth another try: the request did not get through (refused, reset, timed out)."""
    if isinstance(error, SSLError):
        return False  # a TLS mismatch does not heal by itself
    if isinstance(error, HTTPError):
        reason = getattr(error, "reason", None)  # MaxRetryError wraps the cause
        return isinstance(error, NewConnectionError | ProtocolError | Urllib3Timeout) or (
            isinstance(reason, BaseException) and is_connection_error(reason)
        )
    return isinstance(error, ConnectionError | TimeoutError)


def store_error(error: BaseException, location: str, what: str) -> ObjectStoreError:
    """The store error for ``error``, met while working on ``what`` (a key or an action)."""
    if isinstance(error, S3Error):
        code = error.code or "?"
        detail = f"{code}: {error.message}" if error.message else code
        if code in NOT_FOUND:
            return ObjectNotFound(f"no object {what!r} in {location}")
        if code in REFUSED:
            return StoreUnavailable(
                f"the S3 store {location} refused our credentials for {what} ({detail}); check the access and "
                "secret key (QC_<SERVICE>_S3_ACCESS_KEY, QC_<SERVICE>_S3_SECRET_KEY) and the key's rights on the bucket"
            )
        if code in FULL:
            return StoreFull(
                f"the S3 store {location} has no room for {what} ({detail}): raise its quota or free space"
            )
        if code in BUSY:
            return StoreUnavailable(f"the S3 store {location} is not serving requests ({detail}); retry later")
        return ObjectStoreError(f"the S3 store {location} refused {what} ({detail})")
    if isinstance(error, ServerError):
        return StoreUnavailable(f"the S3 store {location} failed on {what} (HTTP {error.status_code}); retry later")
    if isinstance(error, InvalidResponseError):
        return StoreUnavailable(
            f"{location} does not answer like an S3 server ({error}); check the endpoint (QC_<SERVICE>_S3_ENDPOINT)"
        )
    if isinstance(error, SSLError):
        return StoreUnavailable(
            f"TLS with the S3 store {location} failed ({error}); check QC_<SERVICE>_S3_SECURE and the certificate"
        )
    return StoreUnavailable(
        f"cannot reach the S3 store {location} for {what} ({_reason(error)}); check the endpoint "
        "(QC_<SERVICE>_S3_ENDPOINT) and that the server runs"
    )


def _reason(error: BaseException) -> str:
    reason = getattr(error, "reason", None)
    cause = reason if isinstance(reason, BaseException) else error
    text = str(cause)
    # urllib3 prefixes its own object's repr: keep the human part after the last ': '.
    return text.rsplit(": ", 1)[-1] if ">: " in text else (text or type(cause).__name__)
