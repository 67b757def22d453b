"""The first admin, made at the gateway's first start so that a new platform can be logged into."""

from __future__ import annotations

import logging
import os
import uuid
from datetime import UTC, datetime
from pathlib import Path

from sqlmodel import select

from quickon_common.contracts.iam import UserCreated
from quickon_common.service import Service

from .models import UserRecord
from .passwords import generated_password, hash_password, weakness

log = logging.getLogger(__name__)

ADMIN = "admin"


def password_file(service: Service) -> Path:
    """Where a generated first password is kept (owner-only) until the admin changes it."""
    return service.settings.var_dir.resolve() / "gateway" / "initial-admin-password"


async def ensure_first_admin(service: Service, password: str | None) -> None:
    """Create ``admin`` when there is no user at all: with ``password`` (QC_ADMIN_PASSWORD), else a
    generated one written to :func:`password_file` — never logged."""
    async with service.db.read_session() as session:
        if (await session.exec(select(UserRecord.id).limit(1))).first() is not None:
            return
    if password is not None and (problem := weakness(password)):
        raise SystemExit(f"QC_ADMIN_PASSWORD is not acceptable: {problem}")
    generated = password is None
    chosen = password or generated_password()
    now = datetime.now(UTC)
    user = UserRecord(
        id=str(uuid.uuid4()), username=ADMIN, password_hash=await hash_password(chosen), is_admin=True,
        created_at=now, password_changed_at=now,
    )  # fmt: skip
    if generated:
        _keep(password_file(service), chosen)
    async with service.outbox.begin(actor="system") as uow:
        uow.session.add(user)
        uow.emit(UserCreated(user_id=user.id, username=ADMIN, is_admin=True), subject=f"users/{user.id}")
    if generated:
        log.warning(
            "first admin %r created with a generated password, kept in %s (readable by you only); "
            "log in with `qc login -u admin` and change it",
            ADMIN,
            password_file(service),
        )
    else:
        log.info("first admin %r created with the password from QC_ADMIN_PASSWORD", ADMIN)


def _keep(path: Path, password: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.unlink(missing_ok=True)  # a file left by a start that never committed its admin
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "w") as file:
        file.write(password + "\n")
