"""Which S3 failures are retried (only requests that did not get through) and what each becomes."""

from __future__ import annotations

import pytest
from minio.error import S3Error
from urllib3.exceptions import MaxRetryError, NewConnectionError, ReadTimeoutError, SSLError

from quickon_common.objectstore import ObjectNotFound, ObjectStoreError, StoreFull, StoreUnavailable
from quickon_common.objectstore.s3errors import is_connection_error, store_error

LOCATION = "s3://bk/ at 127.0.0.1:9000"


def s3_error(code: str) -> S3Error:
    return S3Error(None, code, f"{code} happened", "/bk/key", "request-1", "host-1")  # type: ignore[arg-type]


def refused() -> NewConnectionError:
    return NewConnectionError(None, "Failed to establish a new connection: [Errno 111] Connection refused")  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("error", "retried"),
    [
        (refused(), True),
        (MaxRetryError(None, "/bk", refused()), True),  # type: ignore[arg-type]
        (ReadTimeoutError(None, "/bk", "read timed out"), True),  # type: ignore[arg-type]
        (ConnectionResetError(), True),
        (SSLError("wrong version number"), False),
        (s3_error("NoSuchKey"), False),
        (s3_error("AccessDenied"), False),
    ],
)
def test_only_requests_that_did_not_get_through_are_retried(error: BaseException, retried: bool) -> None:
    assert is_connection_error(error) is retried


@pytest.mark.parametrize(
    ("code", "kind", "says"),
    [
        ("NoSuchKey", ObjectNotFound, "no object 'key'"),
        ("NoSuchBucket", ObjectNotFound, "no object 'key'"),
        ("AccessDenied", StoreUnavailable, "refused our credentials"),
        ("SignatureDoesNotMatch", StoreUnavailable, "SECRET_KEY"),
        ("InvalidAccessKeyId", StoreUnavailable, "ACCESS_KEY"),
        ("XMinioStorageFull", StoreFull, "no room"),
        ("QuotaExceeded", StoreFull, "quota"),
        ("EntityTooLarge", StoreFull, "no room"),
        ("SlowDown", StoreUnavailable, "retry later"),
        ("MalformedXML", ObjectStoreError, "refused key"),
    ],
)
def test_s3_codes_become_store_errors_naming_the_location(code: str, kind: type[Exception], says: str) -> None:
    error = store_error(s3_error(code), LOCATION, "key")
    assert type(error) is kind
    assert says in str(error) and LOCATION in str(error)


def test_a_refused_connection_says_what_to_check() -> None:
    error = store_error(MaxRetryError(None, "/bk", refused()), LOCATION, "the bucket check")  # type: ignore[arg-type]
    assert isinstance(error, StoreUnavailable)
    assert "cannot reach" in str(error) and "Connection refused" in str(error) and "S3_ENDPOINT" in str(error)
