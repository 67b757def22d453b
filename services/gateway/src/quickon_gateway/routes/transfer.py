"""Export and import of a service (backup service): a bundle (.qcb) made of a service, downloaded, and
uploaded on another QuickOn (or this one) as a new service.

Bundles cross the bus through the blob bucket (quickon_common.blobs), named by their SHA-256: an export's
outcome (``ServiceExported``) names its bundle, which reaches the operation's result, and the download reads
it from there; an import's upload is spooled to disk, put into the bucket, and the request names it. The
passphrase that encrypts a bundle's secret values is sealed with the platform key at once, as every secret.
"""

from __future__ import annotations

import asyncio
import os
import tempfile
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.responses import FileResponse
from pydantic import Field, SecretStr, ValidationError, ValidationInfo, field_validator
from sqlmodel import col, select
from starlette.background import BackgroundTask

from quickon_common.blobs import BlobCorrupt, BlobMissing
from quickon_common.contracts.backup import ExportFormat, ServiceExportRequested, ServiceImportRequested
from quickon_common.contracts.queries.deployer import SERVICE, ServiceRequest

from ..auth import CurrentUser
from ..deps import GatewayParts, Parts
from ..models import OperationRecord
from ..operations import ACCEPTED, DONE, OperationView
from ..principal import Principal
from ..problems import Problem
from ..spool import Spooled, spool
from ..teams.access import ServiceAccess, ServiceAdmin
from .backups import _command, _service, new_backup_id
from .params import DNS_LABEL, OPERATION_ID, SERVICE_NAME_MAX, Strict
from .services import placed

router = APIRouter(prefix="/api/v1", tags=["export"])
PASSPHRASE_CHARS = (8, 1024)
IMPORT_PASSPHRASE_CHARS = (1, 1024)  # the exporter chose it: whatever it was, it is taken
IMPORT_SETTING = "QC_GATEWAY_IMPORT_MAX_BYTES"
BUNDLE = "bundle"


class ExportRequest(Strict):
    format: ExportFormat = Field(
        default="quickon",
        description="quickon: a bundle (.qcb) with the data, for qc import; helm: the chart and its values without "
        "secrets or data, for helm install anywhere",
    )  # fmt: skip
    passphrase: SecretStr | None = Field(
        default=None, validate_default=True,
        description=f"encrypts the bundle's secret values; {PASSPHRASE_CHARS[0]}-{PASSPHRASE_CHARS[1]} characters, "
        "required for the quickon format (write-only: give it again to import)",
    )  # fmt: skip

    @field_validator("passphrase")
    @classmethod
    def _passphrase_fits(cls, passphrase: SecretStr | None, info: ValidationInfo) -> SecretStr | None:
        # Said here, not by Field(min_length=...): pydantic would speak of a secret's "items".
        if info.data.get("format", "quickon") != "quickon":
            return None  # a helm export holds no secret to encrypt
        low, high = PASSPHRASE_CHARS
        if passphrase is None:
            raise ValueError("a passphrase is required for a quickon bundle: it encrypts the secret values")
        if not low <= len(passphrase.get_secret_value()) <= high:
            raise ValueError(f"a passphrase is {low} to {high} characters long; choose another")
        return passphrase


class ImportForm(Strict):
    """The form of an import, beside its file (``bundle``)."""

    name: str = Field(pattern=DNS_LABEL, min_length=1, max_length=SERVICE_NAME_MAX, description="the new service")
    team: str | None = Field(default=None, pattern=DNS_LABEL, max_length=63)
    passphrase: str = Field(min_length=IMPORT_PASSPHRASE_CHARS[0], max_length=IMPORT_PASSPHRASE_CHARS[1], repr=False)
    domains: bool = True


FORM_FIELDS: dict[str, Any] = {
    BUNDLE: {"type": "string", "format": "binary", "description": "the bundle (.qcb) qc export made"},
    "name": {"type": "string", "pattern": DNS_LABEL, "maxLength": SERVICE_NAME_MAX, "description": "the new service"},
    "team": {"type": "string", "pattern": DNS_LABEL, "maxLength": 63,
             "description": "the team it belongs to (name or id); none: as an install chooses"},
    "passphrase": {"type": "string", "format": "password", "minLength": 1, "maxLength": 1024,
                   "description": "the passphrase the bundle was exported with"},
    "domains": {"type": "boolean", "default": True, "description": "false: leave the bundle's custom domains out"},
}  # fmt: skip
FORM = {"type": "object", "required": [BUNDLE, "name", "passphrase"], "properties": FORM_FIELDS}
IMPORT_BODY: dict[str, Any] = {"requestBody": {"required": True, "content": {"multipart/form-data": {"schema": FORM}}}}
BUNDLE_ANSWER: dict[int | str, dict[str, Any]] = {
    200: {
        "description": "The bundle's bytes",
        "content": {"application/octet-stream": {"schema": {"type": "string", "format": "binary"}}},
    },
    410: {"description": "The bundle is past its retention (a day): export again"},
}


@router.post(
    "/services/{name}/export", status_code=202, response_model=OperationView, responses=ACCEPTED,
    summary="Export a service to a bundle: a fresh backup, its chart, values and settings (team admins; download it "
    "with GET …/export once the operation succeeds)",
)  # fmt: skip
async def export_service(
    parts: GatewayParts, access: ServiceAdmin, request: ExportRequest, response: Response
) -> OperationView:
    await _service(parts, access)
    name, namespace, backup_id = access.name, access.namespace, new_backup_id()
    sealed = parts.sealer.seal({"passphrase": request.passphrase.get_secret_value()}) if request.passphrase else None
    event = ServiceExportRequested(
        backup_id=backup_id, service=name, namespace=namespace, format=request.format, sealed_passphrase=sealed
    )
    return await _command(parts, access.user, access.team, response, "export", event, name=name,
                          namespace=namespace, result={"backup_id": backup_id, "format": request.format})  # fmt: skip


@router.get(
    "/services/{name}/export", response_class=FileResponse, responses=BUNDLE_ANSWER,
    summary="Download a service's export (the operation named, else its newest that succeeded; team admins)",
)  # fmt: skip
async def download_export(
    parts: GatewayParts,
    access: ServiceAdmin,
    operation: Annotated[
        str | None,
        Query(pattern=OPERATION_ID, min_length=1, max_length=64, description="the export's operation id"),
    ] = None,
) -> FileResponse:
    record = await _export_of(parts, access, operation)
    result = record.result or {}
    digest, filename = result.get("bundle"), result.get("filename")
    if not isinstance(digest, str) or not isinstance(filename, str):
        raise Problem(404, f"export {record.id} names no bundle; export again: qc export {access.name} -o FILE")
    spooled = _spool_file(parts, "qc-export-")
    try:
        await parts.service.blobs.get_file(digest, spooled)
    except BlobMissing:
        raise Problem(
            410, f"the bundle of export {record.id} is gone: bundles are kept a day; export again "
            f"(qc export {access.name} -o FILE)",
        ) from None  # fmt: skip
    except BlobCorrupt:
        raise Problem(502, f"the bundle of export {record.id} does not match its digest in the store; export again "
                           f"(qc export {access.name} -o FILE)") from None  # fmt: skip
    except BaseException:
        await asyncio.to_thread(spooled.unlink, missing_ok=True)
        raise
    return FileResponse(
        spooled, media_type="application/octet-stream", filename=filename,
        background=BackgroundTask(spooled.unlink, missing_ok=True),
    )  # fmt: skip


async def _export_of(parts: Parts, access: ServiceAccess, operation: str | None) -> OperationRecord:
    """The export operation to download: the one named (404 unless it is a succeeded export of this service,
    409 while it runs), else the service's newest that succeeded (404 when there is none)."""
    start = f"start one: qc export {access.name} -o FILE, or POST /api/v1/services/{access.name}/export"
    async with parts.service.db.read_session() as session:
        if operation is None:
            query = (
                select(OperationRecord)
                .where(OperationRecord.kind == "export", OperationRecord.service == access.name,
                       OperationRecord.namespace == access.namespace, OperationRecord.state == "succeeded")
                .order_by(col(OperationRecord.finished_at).desc())
                .limit(1)
            )  # fmt: skip
            found = (await session.exec(query)).first()
            if found is None:
                raise Problem(404, f"{access.name} has no export that succeeded; {start}")
            return found
        record = await session.get(OperationRecord, operation)
    if record is None or (record.kind, record.service, record.namespace) != ("export", access.name, access.namespace):
        listed = f"GET /api/v1/operations?service={access.name}"
        raise Problem(404, f"operation {operation!r} is not an export of {access.name} in {access.namespace}; "
                           f"list its operations with {listed}, or {start}")  # fmt: skip
    if record.state not in DONE:
        raise Problem(409, f"export {operation} is still {record.state}; wait for it (qc operation {operation} "
                           "--wait) and download it then")  # fmt: skip
    if record.state != "succeeded":
        reason = (record.error or {}).get("reason", "no reason was given")
        raise Problem(404, f"export {operation} failed ({reason}), so it has no bundle; {start}")
    return record


def _spool_file(parts: Parts, prefix: str) -> Path:
    handle, name = tempfile.mkstemp(prefix=prefix, suffix=".qcb", dir=parts.settings.spool_dir)
    os.close(handle)
    return Path(name)


@router.post(
    "/imports", status_code=202, response_model=OperationView, responses=ACCEPTED, openapi_extra=IMPORT_BODY,
    summary="Import a bundle (.qcb) as a new service of a team (admins of the team; multipart/form-data)",
)  # fmt: skip
async def import_service(parts: GatewayParts, user: CurrentUser, request: Request, response: Response) -> OperationView:
    checked: dict[str, Any] = {}

    async def check(fields: dict[str, str]) -> None:
        """Decide on the fields given so far (the form's and who may install where), once they are all there:
        a refusal before the bundle's bytes are spooled, when the fields come first."""
        if fields == checked.get("fields"):
            return
        try:
            ImportForm.model_validate(fields)
        except ValidationError:
            return  # not all there yet, or wrong: said (422) once the whole form is read
        checked.update(fields=dict(fields), placed=await _checked_import(parts, user, fields))

    upload = await spool(
        request, file_field=BUNDLE, directory=parts.settings.spool_dir, max_bytes=parts.settings.import_max_bytes,
        setting=IMPORT_SETTING, on_file=check,
    )  # fmt: skip
    try:
        form = _form(upload)
        await check(upload.fields)
        namespace, team = checked["placed"]
        if upload.file is None or upload.size == 0:
            raise Problem(422, "the bundle is empty; send the .qcb file qc export made",
                          errors=[{"field": f"body.{BUNDLE}", "message": "empty file"}])  # fmt: skip
        digest = await parts.service.blobs.put_file(upload.file)
    finally:
        if upload.file is not None:
            await asyncio.to_thread(upload.file.unlink, missing_ok=True)
    backup_id = new_backup_id()
    event = ServiceImportRequested(
        backup_id=backup_id, service=form.name, namespace=namespace, bundle=digest, domains=form.domains,
        sealed_passphrase=parts.sealer.seal({"passphrase": form.passphrase}),
    )  # fmt: skip
    return await _command(parts, user, team, response, "import", event, name=form.name, namespace=namespace,
                          result={"backup_id": backup_id, "bundle": digest, "size_bytes": upload.size})  # fmt: skip


def _form(upload: Spooled) -> ImportForm:
    """The form's fields checked: 422 naming each one wrong or missing (the bundle too)."""
    errors: list[dict[str, Any]] = []
    try:
        form = ImportForm.model_validate(upload.fields)
    except ValidationError as error:
        errors = [{**e, "loc": ("body", *e["loc"])} for e in error.errors(include_url=False, include_input=False)]
    if upload.file is None:
        errors.append({"type": "missing", "loc": ("body", BUNDLE), "msg": "Field required: the bundle file (.qcb)"})
    if errors:
        raise RequestValidationError(errors)
    return form


async def _checked_import(parts: Parts, user: Principal, fields: dict[str, str]) -> tuple[str, str | None]:
    """Where the import goes (namespace, team), as an install's place is chosen and checked; 409 when its
    name is taken there."""
    form = ImportForm.model_validate(fields)
    namespace, team = await placed(parts, user, team_given=form.team, namespace_given=None)
    try:
        await parts.reads.ask(SERVICE, ServiceRequest(service=form.name, namespace=namespace, caller=user.caller()))
    except Problem as problem:
        if problem.status in (404, 503):  # free, or the deployer cannot say now: the backup service checks again
            return namespace, team
        raise
    raise Problem(409, f"there is already a service {form.name!r} in namespace {namespace!r}; import under another "
                       "name (--name)", errors=[{"field": "body.name", "message": "taken"}])  # fmt: skip
