"""A multipart/form-data upload read as it arrives: its one file part written straight to a file on disk, its
other parts (small text fields) kept in memory.

FastAPI's ``UploadFile`` would read the whole body (into a nameless temporary file) before a route's
dependencies run, so a caller without a token could make the gateway spool gigabytes, and the bytes would
then be copied once more to a file the blob store can open by path. Here the route authenticates first,
and may check the fields that came before the file (qc sends them first) before the file's bytes are
written at all (:attr:`Spool.on_file`).
"""

from __future__ import annotations

import asyncio
import os
import tempfile
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

from fastapi import Request
from python_multipart.multipart import MultipartParser, parse_options_header

from .problems import Problem

FIELD_MAX_BYTES = 8 * 1024  # a text field: a name, a team, a passphrase (at most 1024 characters)
FIELDS_MAX = 16


@dataclass
class Spooled:
    """What the upload held: its text fields, and its file (None when it had no part of that name)."""

    fields: dict[str, str] = field(default_factory=dict)
    file: Path | None = None
    size: int = 0
    filename: str | None = None


@dataclass
class _Part:
    name: str = ""
    filename: str | None = None
    data: list[bytes] = field(default_factory=list)
    size: int = 0


def _refused(field: str, message: str) -> Problem:
    return Problem(422, f"the request is not valid: {field}: {message}", errors=[{"field": field, "message": message}])


async def spool(
    request: Request, *, file_field: str, directory: Path | None, max_bytes: int, setting: str,
    on_file: Callable[[dict[str, str]], Awaitable[None]] | None = None,
) -> Spooled:  # fmt: skip
    """Read ``request``'s multipart body: the part named ``file_field`` into a new file in ``directory`` (the
    caller removes it), the others as text. ``on_file(fields)`` runs once, when the file part begins, with the
    fields sent before it (raise to refuse before its bytes are written). 413 naming ``setting`` past
    ``max_bytes``; 422 for a body that is not multipart or a field too large."""
    kind, options = parse_options_header(request.headers.get("content-type", ""))
    boundary = options.get(b"boundary")
    if kind != b"multipart/form-data" or not boundary:
        raise _refused("body", f"send multipart/form-data with a file part {file_field!r} and the form's fields")
    found = Spooled()
    part = _Part()
    header_field, header_value = bytearray(), bytearray()
    headers: dict[bytes, bytes] = {}
    errors: list[Problem] = []
    started: list[_Part] = []  # the file part, once its headers are read (on_file runs then)

    def on_part_begin() -> None:
        nonlocal part
        part = _Part()
        headers.clear()

    def on_header_field(data: bytes, start: int, end: int) -> None:
        header_field.extend(data[start:end])

    def on_header_value(data: bytes, start: int, end: int) -> None:
        header_value.extend(data[start:end])

    def on_header_end() -> None:
        headers[bytes(header_field).lower()] = bytes(header_value)
        header_field.clear()
        header_value.clear()

    def on_headers_finished() -> None:
        _, disposition = parse_options_header(headers.get(b"content-disposition", b""))
        part.name = disposition.get(b"name", b"").decode("utf-8", "replace")
        filename = disposition.get(b"filename")
        part.filename = filename.decode("utf-8", "replace") if filename is not None else None
        if part.name == file_field:
            if started:
                errors.append(_refused(f"body.{file_field}", "one file only"))
            started.append(part)

    def on_part_data(data: bytes, start: int, end: int) -> None:
        part.size += end - start
        if part.name == file_field:
            if part.size > max_bytes:
                errors.append(Problem(413, f"the bundle passed {max_bytes} bytes, the most the gateway takes "
                                           f"({setting}); ask the operator to raise it"))  # fmt: skip
                return
        elif part.size > FIELD_MAX_BYTES:
            errors.append(_refused(f"body.{part.name}", f"at most {FIELD_MAX_BYTES} bytes"))
            return
        part.data.append(data[start:end])

    def on_part_end() -> None:
        if part.name != file_field:
            if len(found.fields) >= FIELDS_MAX:
                errors.append(_refused("body", f"at most {FIELDS_MAX} fields"))
            found.fields[part.name] = b"".join(part.data).decode("utf-8", "replace")

    callbacks = {
        "on_part_begin": on_part_begin, "on_part_data": on_part_data, "on_part_end": on_part_end,
        "on_header_field": on_header_field, "on_header_value": on_header_value, "on_header_end": on_header_end,
        "on_headers_finished": on_headers_finished,
    }  # fmt: skip
    parser = MultipartParser(boundary, callbacks)  # type: ignore[arg-type]
    handle, name = tempfile.mkstemp(prefix="qc-import-", suffix=".part", dir=directory)
    found.file = Path(name)
    try:
        with os.fdopen(handle, "wb") as out:
            await _receive(request, parser, found, started, errors, out, on_file)
    except BaseException:
        found.file.unlink(missing_ok=True)
        raise
    if not started:
        found.file.unlink(missing_ok=True)
        found.file = None
    else:
        found.filename = started[0].filename
    return found


async def _receive(
    request: Request, parser: MultipartParser, found: Spooled, started: list[_Part], errors: list[Problem],
    out: IO[bytes], on_file: Callable[[dict[str, str]], Awaitable[None]] | None,
) -> None:  # fmt: skip
    checked = False
    try:
        async for chunk in request.stream():
            parser.write(chunk)
            if errors:
                raise errors[0]
            if started and not checked:
                checked = True
                if on_file is not None:
                    await on_file(dict(found.fields))
            if started and started[0].data:
                pending, started[0].data = started[0].data, []
                found.size += sum(len(p) for p in pending)
                await asyncio.to_thread(out.writelines, pending)
        parser.finalize()
    except ValueError as error:  # python-multipart's parse errors derive from it
        raise _refused("body", f"the multipart body cannot be read ({error}); send multipart/form-data") from None
    if errors:
        raise errors[0]
