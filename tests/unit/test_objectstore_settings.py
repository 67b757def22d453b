"""Where each service's object store is: its own env variables, a folder under var_dir by default."""

from __future__ import annotations

from pathlib import Path

import pytest

from quickon_common.objectstore import ObjectStoreError, StoreSettings, open_store
from quickon_common.objectstore.local import LocalStore
from quickon_common.settings import load_settings


def test_the_default_store_is_a_folder_named_after_the_service(tmp_path: Path) -> None:
    settings = load_settings("backup", var_dir=tmp_path).store_settings()
    assert settings.url == f"file://{tmp_path.resolve()}/objects/backup"
    assert settings.encryption_key is None


def test_each_service_reads_its_own_store_variables(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("QC_BACKUP_STORE_URL", "s3://backups/quickon")
    monkeypatch.setenv("QC_BACKUP_S3_ENDPOINT", "minio:9000")
    monkeypatch.setenv("QC_BACKUP_S3_ACCESS_KEY", "backup")
    monkeypatch.setenv("QC_BACKUP_S3_SECRET_KEY", "s3cret")
    monkeypatch.setenv("QC_BACKUP_S3_SECURE", "false")
    monkeypatch.setenv("QC_BACKUP_S3_REGION", "eu-west-1")
    monkeypatch.setenv("QC_BACKUP_STORE_ENCRYPTION_KEY", "a2V5")
    backup = load_settings("backup").store_settings()
    assert (backup.url, backup.endpoint, backup.secure, backup.region) == (
        "s3://backups/quickon",
        "minio:9000",
        False,
        "eu-west-1",
    )
    assert backup.access_key is not None and backup.access_key.get_secret_value() == "backup"
    assert backup.secret_key is not None and backup.secret_key.get_secret_value() == "s3cret"
    assert backup.encryption_key is not None and backup.encryption_key.get_secret_value() == "a2V5"
    assert load_settings("audit").store_settings().url.endswith("/objects/audit"), "audit keeps its own store"


def test_store_urls(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    relative = open_store(StoreSettings(url="file:var/objects"))
    assert isinstance(relative, LocalStore) and relative.root == tmp_path.resolve() / "var" / "objects"
    assert open_store(StoreSettings(url="file:///srv/objects")).location == "file:///srv/objects"
    for url, problem in [
        ("ftp://host/dir", "neither"),
        ("file://otherhost/dir", "names host"),
        ("s3://No_Such_Bucket", "not a valid S3 bucket name"),
        ("s3://bucket/a/../b", r"'\.\.'"),
    ]:
        with pytest.raises(ObjectStoreError, match=problem):
            open_store(StoreSettings(url=url))
