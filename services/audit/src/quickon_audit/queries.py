"""The audit service's queries (``qc.query.audit.<name>``): entries, verify, proof, checkpoints, public key."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Select, select

from quickon_common.contracts import CE_TYPE_PREFIX
from quickon_common.contracts.audit import AuditVerificationFailed
from quickon_common.contracts.queries import Caller, NoRequest
from quickon_common.contracts.queries import audit as contract
from quickon_common.contracts.queries.audit import CheckpointsRequest, EntriesRequest, ProofRequest
from quickon_common.queries import QueryError, caller_of, visible_rows
from quickon_common.service import Service

from .appender import checkpoints, entries
from .proofs import ALGORITHM, NotProvable, checkpoint_fields, inclusion_proof
from .signing import Signer
from .verify import Checkpoint, verify

MAX_REPLY_BYTES = 512 * 1024  # a page stops early rather than exceed NATS's message size
ADMIN_ONLY_TYPES = f"{CE_TYPE_PREFIX}iam."
NAME = r"^[A-Za-z0-9_.:/@>*-]+$"


def _utc(moment: datetime) -> datetime:
    return (moment if moment.tzinfo else moment.replace(tzinfo=UTC)).astimezone(UTC)


def _scoped(query: Select[Any], caller: Caller) -> Select[Any]:
    """Only what ``caller`` may see: an admin everything, anyone else their teams' entries and those of no
    team, never the iam context (the rule of the events stream)."""
    if caller.is_admin:
        return query
    return query.where(visible_rows(caller, entries.c.team), ~entries.c.type.startswith(ADMIN_ONLY_TYPES))


def filtered(request: EntriesRequest) -> Select[Any]:
    """The entries the request asks for, newest first."""
    query = select(entries.c.seq, entries.c.entry_hash, entries.c.record)
    for name in ("actor", "team", "type", "source", "service", "correlation_id"):
        if (value := getattr(request, name)) is not None:
            query = query.where(entries.c[name] == value)
    if request.context is not None:
        query = query.where(entries.c.type.startswith(f"{CE_TYPE_PREFIX}{request.context}.", autoescape=True))
    if request.subject is not None:
        if request.subject.endswith(".>"):
            query = query.where(entries.c.subject.startswith(request.subject[:-1], autoescape=True))
        else:
            query = query.where(entries.c.subject == request.subject)
    if request.since is not None:
        query = query.where(entries.c.time >= _utc(request.since))
    if request.until is not None:
        query = query.where(entries.c.time < _utc(request.until))
    if request.flagged is not None:
        query = query.where(entries.c.flagged == request.flagged)
    if request.before is not None:
        query = query.where(entries.c.seq < request.before)
    return _scoped(query, caller_of(request)).order_by(entries.c.seq.desc()).limit(request.limit)


def entry_view(seq: int, entry_hash: bytes, stored: bytes) -> dict[str, Any]:
    """An entry as readers see it: what was hashed, with its hashes."""
    view: dict[str, Any] = json.loads(stored[32:])
    view.update(seq=seq, prev_hash=bytes(stored[:32]).hex(), entry_hash=bytes(entry_hash).hex())
    return view


def register(service: Service, *, signer: Signer, stored: Callable[[], Awaitable[list[Checkpoint]]]) -> None:
    """Wire the audit queries into ``service``."""

    @service.answers(contract.ENTRIES)
    async def list_entries(request: EntriesRequest) -> contract.Entries:
        async with service.db.read_engine.connect() as connection:
            rows = (await connection.execute(filtered(request))).all()
        found: list[dict[str, Any]] = []
        size = 0
        for row in rows:
            size += len(row[2]) + 200
            if found and size > MAX_REPLY_BYTES:
                break
            found.append(entry_view(*row))
        more = len(found) < len(rows) or len(rows) == request.limit
        return contract.Entries(entries=found, next_cursor=found[-1]["seq"] if found and more else None)

    @service.answers(contract.VERIFY)
    async def verify_log(_request: NoRequest) -> contract.Verdict:
        copies: list[Checkpoint] = []
        note = None
        try:
            copies = await stored()
        except Exception as error:  # the store away: the database's checkpoints alone, and say so
            note = f"the object store's copies could not be read: {type(error).__name__}: {error}"
        url = service.settings.effective_database_url
        verdict = await asyncio.to_thread(verify, url, signer.public_raw, copies)
        verdict.stored_checkpoints, verdict.store_note = (None, note) if note else (len(copies), None)
        if not verdict.ok and verdict.first_bad_sequence is not None:
            async with service.outbox.begin() as uow:
                uow.emit(
                    AuditVerificationFailed(first_bad_sequence=verdict.first_bad_sequence, reason=verdict.reason or ""),
                    subject="audit/log",
                )
        return verdict

    @service.answers(contract.PROOF)
    async def proof(request: ProofRequest) -> contract.Proof:
        async with service.db.read_engine.connect() as connection:
            row = (
                await connection.execute(
                    _scoped(
                        select(entries.c.seq, entries.c.entry_hash, entries.c.record),
                        caller_of(request),
                    ).where(entries.c.seq == request.seq)
                )
            ).first()
            cp_row = (
                await connection.execute(
                    select(checkpoints).where(checkpoints.c.seq >= request.seq).order_by(checkpoints.c.seq).limit(1)
                )
            ).first()
        if row is None:
            raise QueryError(404, f"there is no entry {request.seq} you may see in the audit log")
        if cp_row is None:
            raise QueryError(
                409, f"entry {request.seq} is not covered by a checkpoint yet; one follows shortly: retry in a minute"
            )
        cp = Checkpoint(
            seq=cp_row.seq, first_seq=cp_row.first_seq, head_hash=cp_row.head_hash, merkle_root=cp_row.merkle_root,
            time=cp_row.time, key_id=cp_row.key_id, signature=cp_row.signature, leaves=bytes(cp_row.leaves),
        )  # fmt: skip
        try:
            return contract.Proof.model_validate(inclusion_proof(
                seq=row[0], entry_hash=bytes(row[1]), stored=bytes(row[2]), cp=cp,
                public_key_b64=signer.public_b64,
            ))  # fmt: skip
        except NotProvable as error:
            raise QueryError(409, str(error)) from None

    @service.answers(contract.CHECKPOINTS)
    async def list_checkpoints(request: CheckpointsRequest) -> contract.Checkpoints:
        query = select(checkpoints).order_by(checkpoints.c.seq.desc()).limit(request.limit)
        async with service.db.read_engine.connect() as connection:
            rows = (await connection.execute(query)).all()
        found: list[dict[str, Any]] = []
        for r in rows:
            cp = Checkpoint(r.seq, r.first_seq, r.head_hash, r.merkle_root, r.time, r.key_id, r.signature, b"")
            found.append({**checkpoint_fields(cp), "signature": r.signature, "stored": r.stored})
        return contract.Checkpoints.model_validate({"checkpoints": found})

    @service.answers(contract.PUBLIC_KEY)
    async def public_key(_request: NoRequest) -> contract.PublicKey:
        return contract.PublicKey(
            algorithm=ALGORITHM, public_key=signer.public_b64, key_id=signer.key_id, encoding="raw, base64"
        )
